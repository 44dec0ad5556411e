/*
 * ops_stack.c - stack instructions: PUSH/POP of registers, segment
 * registers, immediates and memory; PUSHA/POPA; PUSHF/POPF; ENTER/LEAVE;
 * and BOUND (it lives here for want of a better home).
 *
 * Follows the Intel SDM Vol. 2 pages PUSH, POP, PUSHA/PUSHAD,
 * POPA/POPAD, PUSHF/PUSHFD, POPF/POPFD, ENTER, LEAVE and BOUND for a P6
 * processor. SS.B (cpu->stack32) selects SP or ESP as the stack pointer;
 * the operand size selects the slot size.
 *
 * Fault order: stack reads and writes happen before any register changes,
 * and ESP moves last, so a faulting instruction leaves the registers as
 * they were (the memory below the stack pointer may have been written,
 * as on a real CPU).
 *
 * Choices where the SDM allows several behaviours:
 * - PUSH Sreg with a 32-bit operand size moves ESP by 4 but stores only the
 *   16-bit selector, leaving the upper half of the slot unchanged. The SDM
 *   allows this or a zero-extended store; the 16-bit store is what it
 *   documents for recent Intel processors (and what Bochs does).
 * - PUSH SP/ESP pushes the value it had before the instruction (286 and
 *   later; the 8086 pushed the decremented value).
 * - POP into a memory operand addressed through ESP uses ESP after the pop.
 *
 * PUSHF/POPF follow the protected-mode and virtual-8086 rules as well,
 * CR4.VME (the virtual interrupt flag) included.
 *
 * Known deviations: none.
 */
#include "cpu/ops.h"

/* Writes a new stack pointer computed under the stack size stack32 (which
 * may differ from cpu->stack32 after POP SS has loaded a new SS). */
static inline void set_sp_sized(Cpu *cpu, bool stack32, uint32_t sp)
{
    if (stack32)
        cpu->regs[R_ESP] = sp;
    else
        cpu->regs[R_ESP] = (cpu->regs[R_ESP] & 0xFFFF0000u) | (sp & 0xFFFF);
}

/* --- PUSH/POP r (50+r, 58+r) ---------------------------------------------- */

void op_push_Zv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        cpu_push32(cpu, cpu->regs[d->reg]);
    else
        cpu_push16(cpu, (uint16_t)cpu->regs[d->reg]);
}

/* POP SP/ESP leaves the popped value in the stack pointer: the increment
 * happens first and the register write overwrites it. */
void op_pop_Zv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32) {
        uint32_t v = cpu_pop32(cpu);
        cpu->regs[d->reg] = v;
    } else {
        uint16_t v = cpu_pop16(cpu);
        reg_write(cpu, d->reg, v, 2);
    }
}

/* --- PUSH/POP Sreg ----------------------------------------------------------
 * The segment comes from opcode bits 3-5: 06/07 ES, 0E CS, 16/17 SS,
 * 1E/1F DS, 0F A0/A1 FS, 0F A8/A9 GS. */
static inline int sreg_of(const DecodedInsn *d)
{
    return (d->op >> 3) & 7;
}

void op_push_sreg(Cpu *cpu, const DecodedInsn *d)
{
    uint16_t sel = cpu->seg[sreg_of(d)].sel;
    if (d->pfx & PFX_OP32) {
        uint32_t sp = cpu_sp_add(cpu, -4);
        cpu_wr16(cpu, S_SS, sp, sel);
        cpu_set_sp(cpu, sp);
    } else {
        cpu_push16(cpu, sel);
    }
}

/* POP Sreg: the pop uses the old SS; the segment load may fault and then
 * leaves ESP unchanged. A 32-bit pop discards the upper 16 bits. POP SS
 * inhibits interrupts for one instruction, like MOV SS. */
void op_pop_sreg(Cpu *cpu, const DecodedInsn *d)
{
    int seg = sreg_of(d);
    unsigned sz = op_size(d);
    bool stack32 = cpu->stack32;
    uint32_t sp = cpu_sp(cpu);
    uint16_t sel = (uint16_t)cpu_rd(cpu, S_SS, sp, sz);
    uint32_t new_sp = cpu_sp_add(cpu, (int32_t)sz);
    cpu_load_seg(cpu, seg, sel);
    set_sp_sized(cpu, stack32, new_sp);
    if (seg == S_SS) cpu->inhibit_next = cpu->ss_shadow = true;
}

/* --- PUSH imm (68, 6A: the decoder sign-extends the imm8) ---------------- */

void op_push_Iz(Cpu *cpu, const DecodedInsn *d)
{
    cpu_push(cpu, d->imm, op_size(d));
}

/* --- PUSH/POP Ev (FF /6, 8F /0) ------------------------------------------- */

/* The source address is computed with ESP before the push. */
void op_push_Ev(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    uint32_t v = rm_load(cpu, d, sz);
    cpu_push(cpu, v, sz);
}

/* POP Ev: an ESP-based destination address uses ESP after the increment
 * (SDM POP: "If the ESP register is used as a base register for addressing
 * a destination operand in memory, the POP instruction computes the
 * effective address of the operand after it increments the ESP
 * register"). The memory write comes before ESP is committed, so a fault
 * leaves ESP unchanged. */
void op_pop_Ev(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    uint32_t v = cpu_rd(cpu, S_SS, cpu_sp(cpu), sz);
    uint32_t new_sp = cpu_sp_add(cpu, (int32_t)sz);
    if (!d->is_mem) {
        cpu_set_sp(cpu, new_sp);
        reg_write(cpu, d->rm, v, sz);
        return;
    }
    uint32_t ea = decode_ea(cpu, d);
    if (d->ea_base == R_ESP) {
        /* Only 32-bit addressing can use ESP as a base. */
        uint32_t esp_after = cpu->stack32 ? new_sp : ((cpu->regs[R_ESP] & 0xFFFF0000u) | new_sp);
        ea = ea - cpu->regs[R_ESP] + esp_after;
    }
    cpu_wr(cpu, d->seg, ea, v, sz);
    cpu_set_sp(cpu, new_sp);
}

/* --- PUSHA/POPA -------------------------------------------------------------
 * PUSHA stores AX CX DX BX (original SP) BP SI DI downwards; POPA reads
 * them back, discarding the SP slot. All stores/loads happen before the
 * stack pointer and the registers change. */

void op_pusha(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    uint32_t sp = cpu_sp(cpu);
    for (int r = R_EAX; r <= R_EDI; r++) {
        sp = cpu->stack32 ? sp - sz : ((sp - sz) & 0xFFFF);
        cpu_wr(cpu, S_SS, sp, cpu->regs[r], sz);
    }
    cpu_set_sp(cpu, sp);
}

void op_popa(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    uint32_t sp = cpu_sp(cpu);
    uint32_t v[8];
    for (int r = R_EDI; r >= R_EAX; r--) {
        v[r] = cpu_rd(cpu, S_SS, sp, sz);
        sp = cpu->stack32 ? sp + sz : ((sp + sz) & 0xFFFF);
    }
    for (int r = R_EAX; r <= R_EDI; r++)
        if (r != R_ESP) reg_write(cpu, r, v[r], sz);
    cpu_set_sp(cpu, sp);
}

/* --- PUSHF/POPF ------------------------------------------------------------
 * IOPL sensitivity (SDM Vol. 2 PUSHF, POPF; Vol. 3 20.2.7 "Sensitive
 * Instructions" and 20.3 for CR4.VME): in real and protected mode they
 * never fault; in virtual-8086 mode with IOPL < 3 they are #GP(0), except
 * with CR4.VME and a 16-bit operand size, where the virtual interrupt flag
 * VIF stands in for IF (the 32-bit forms still fault). */

/* True when the VME forms apply; raises #GP(0) when the instruction must
 * trap to the virtual-8086 monitor. */
static inline bool v86_flags_vme(Cpu *cpu, const DecodedInsn *d)
{
    if (!(cpu->eflags & F_VM) || (cpu->eflags & F_IOPL) == F_IOPL) return false;
    if (!(cpu->cr[4] & CR4_VME) || (d->pfx & PFX_OP32)) cpu_exception(cpu, EXC_GP, 0);
    return true;
}

/* PUSHFD stores EFLAGS with VM and RF cleared. The VME form stores FLAGS
 * with VIF in the IF position and IOPL reading 3. */
void op_pushf(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t fl = cpu_get_eflags(cpu);
    if (v86_flags_vme(cpu, d)) {
        fl = (fl & ~F_IF) | F_IOPL | ((fl & F_VIF) ? F_IF : 0);
        cpu_push16(cpu, (uint16_t)fl);
        return;
    }
    if (d->pfx & PFX_OP32)
        cpu_push32(cpu, fl & ~(F_VM | F_RF));
    else
        cpu_push16(cpu, (uint16_t)fl);
}

/* POPF (SDM POPF, Operation):
 * - CF PF AF ZF SF TF DF OF NT always change;
 * - IOPL only at CPL 0 (real mode is CPL 0; virtual-8086 mode is CPL 3);
 * - IF only when CPL <= IOPL (else it keeps its value, without a fault);
 * - with a 32-bit operand size also AC and ID change and RF is cleared
 *   (left alone in virtual-8086 mode); VM, VIP, VIF never change;
 *   reserved bits keep their fixed values.
 * The VME form (virtual-8086 mode, IOPL < 3, 16-bit): the popped IF goes
 * to VIF and IF and IOPL stay; popping IF = 1 while VIP is set, or TF = 1,
 * is #GP(0) so that the monitor can deliver the pending interrupt or the
 * trace.
 * Setting IF with POPF does not create an interrupt shadow (unlike STI). */
void op_popf(Cpu *cpu, const DecodedInsn *d)
{
    if (v86_flags_vme(cpu, d)) {
        uint32_t val = cpu_rd(cpu, S_SS, cpu_sp(cpu), 2);
        if (((val & F_IF) && (cpu->eflags & F_VIP)) || (val & F_TF)) cpu_exception(cpu, EXC_GP, 0);
        cpu_set_sp(cpu, cpu_sp_add(cpu, 2));
        cpu_set_eflags(cpu, val | ((val & F_IF) ? F_VIF : 0), F_ARITH | F_TF | F_DF | F_NT | F_VIF);
        return;
    }
    unsigned sz = op_size(d);
    uint32_t val = cpu_rd(cpu, S_SS, cpu_sp(cpu), sz);
    uint32_t mask = F_ARITH | F_TF | F_DF | F_NT;
    unsigned iopl = (cpu->eflags & F_IOPL) >> 12;
    if (cpu->cpl == 0) mask |= F_IOPL;
    if (cpu->cpl <= iopl) mask |= F_IF;
    if (sz == 4) {
        mask |= F_AC | F_ID;
        /* RF is cleared, except in virtual-8086 mode where it stays. */
        if (!(cpu->eflags & F_VM)) {
            mask |= F_RF;
            val &= ~F_RF;
        }
    }
    cpu_set_sp(cpu, cpu_sp_add(cpu, (int32_t)sz));
    cpu_set_eflags(cpu, val, mask);
}

/* --- ENTER/LEAVE ------------------------------------------------------------
 * ENTER imm16, imm8 (SDM ENTER, Operation): push (E)BP; FrameTemp = (E)SP;
 * for a nesting level L > 0 copy L-1 frame pointers from [SS:(E)BP - k*sz]
 * and push FrameTemp; then (E)BP = FrameTemp and (E)SP -= imm16. The
 * operand size gives the slot size, the stack size says SP or ESP (and BP
 * or EBP for the display reads). The level is taken modulo 32. Everything
 * is stored first; BP and SP change last. */
void op_enter(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    unsigned level = d->imm2 & 31;
    uint32_t alloc = d->imm & 0xFFFF;
    bool s32 = cpu->stack32;
    uint32_t smask = s32 ? 0xFFFFFFFFu : 0xFFFF;
    uint32_t sp = cpu_sp(cpu);
    uint32_t bp = cpu->regs[R_EBP] & smask;

    sp = (sp - sz) & smask;
    cpu_wr(cpu, S_SS, sp, cpu->regs[R_EBP], sz);
    /* FrameTemp: SP after the first push; with a 32-bit operand size the
     * whole ESP register (its upper half unchanged with a 16-bit stack). */
    uint32_t frame = s32 ? sp : ((cpu->regs[R_ESP] & 0xFFFF0000u) | sp);
    if (level > 0) {
        for (unsigned i = 1; i < level; i++) {
            bp = (bp - sz) & smask;
            uint32_t v = cpu_rd(cpu, S_SS, bp, sz);
            sp = (sp - sz) & smask;
            cpu_wr(cpu, S_SS, sp, v, sz);
        }
        sp = (sp - sz) & smask;
        cpu_wr(cpu, S_SS, sp, frame, sz);
    }
    sp = (sp - alloc) & smask;
    /* #SS if the new stack pointer is outside the stack segment. In real
     * mode with a 16-bit stack this cannot happen; with a big (unreal) or
     * expand-down stack it can. */
    if (alloc) (void)cpu_seg_linear(cpu, S_SS, sp, 1, true);

    reg_write(cpu, R_EBP, frame, sz);
    set_sp_sized(cpu, s32, sp);
}

/* LEAVE: (E)SP = (E)BP by the stack size, then pop (E)BP by the operand
 * size. The pop is read before either register changes. */
void op_leave(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    bool s32 = cpu->stack32;
    uint32_t sp = s32 ? cpu->regs[R_EBP] : (cpu->regs[R_EBP] & 0xFFFF);
    uint32_t v = cpu_rd(cpu, S_SS, sp, sz);
    sp = s32 ? sp + sz : ((sp + sz) & 0xFFFF);
    set_sp_sized(cpu, s32, sp);
    reg_write(cpu, R_EBP, v, sz);
}

/* --- BOUND r, m (62) -------------------------------------------------------
 * #BR (vector 5, a fault: EIP points at BOUND) unless
 * lower <= index <= upper, all signed in the operand size. The register
 * form is #UD (A_MEMONLY). */
void op_bound(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    uint32_t ea = decode_ea(cpu, d);
    uint32_t ea2 = ea + sz;
    if (!(d->pfx & PFX_ADDR32)) ea2 &= 0xFFFF;
    int32_t lo = (int32_t)sext(cpu_rd(cpu, d->seg, ea, sz), sz);
    int32_t hi = (int32_t)sext(cpu_rd(cpu, d->seg, ea2, sz), sz);
    int32_t idx = (int32_t)sext(reg_read(cpu, d->reg, sz), sz);
    if (idx < lo || idx > hi) cpu_fault(cpu, EXC_BR);
}
