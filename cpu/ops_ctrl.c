/*
 * ops_ctrl.c - control transfer: Jcc, JMP and CALL (near relative, near
 * indirect, far direct and far indirect), RET and RETF (with and without
 * imm16), LOOP/LOOPE/LOOPNE, JCXZ/JECXZ, INT n, INT3, INTO, INT1 (ICEBP)
 * and IRET.
 *
 * Follows the Intel SDM Vol. 2 pages Jcc, JMP, CALL, RET, LOOP/LOOPcc,
 * INT n/INTO/INT3/INT1 and IRET/IRETD, real-address and virtual-8086
 * paths. Near targets go through op_jump_near() (cpu/ops.h), which
 * truncates to 16 bits with a 16-bit operand size and raises #GP(0)
 * beyond the CS limit before anything else changes.
 *
 * Fault order: the target is checked and every stack slot read or written
 * before ESP, CS or EIP change, so a faulting transfer can be restarted.
 *
 * Far transfers in protected mode (descriptor checks, call gates, task
 * switches, privilege-changing returns) are the protected-mode work's;
 * the far_*_pm() functions below are where that work plugs in. Until then
 * they raise #GP(0).
 *
 * Known deviations: INT1 (F1, ICEBP) is delivered as a software interrupt
 * (return address after the instruction, which is right) but in protected
 * mode it must skip the gate DPL check like a hardware #DB: that belongs
 * to protected-mode delivery.
 */
#include "cpu/ops.h"

/* --- Near relative branches ----------------------------------------------- */

void op_jcc_Jb(Cpu *cpu, const DecodedInsn *d)
{
    if (flags_cond(cpu, d->op & 0xF)) op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

void op_jcc_Jz(Cpu *cpu, const DecodedInsn *d)
{
    if (flags_cond(cpu, d->op & 0xF)) op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

void op_jmp_Jb(Cpu *cpu, const DecodedInsn *d)
{
    op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

void op_jmp_Jz(Cpu *cpu, const DecodedInsn *d)
{
    op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

/* CALL rel: the target is checked before the return address is pushed;
 * if the push faults, the changed next_eip is irrelevant (the fault
 * restarts at cpu->eip). */
void op_call_Jz(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t ret = cpu->next_eip;
    op_jump_near(cpu, d, ret + d->imm);
    cpu_push(cpu, ret, op_size(d));
}

/* --- Near indirect ------------------------------------------------------- */

void op_call_Ev(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    uint32_t ret = cpu->next_eip;
    op_jump_near(cpu, d, rm_load(cpu, d, sz));
    cpu_push(cpu, ret, sz);
}

void op_jmp_Ev(Cpu *cpu, const DecodedInsn *d)
{
    op_jump_near(cpu, d, rm_load(cpu, d, op_size(d)));
}

/* --- Near return ------------------------------------------------------------
 * RET imm16 releases imm16 bytes of parameters after the return address;
 * the stack pointer wraps in the stack size. */
static inline void near_return(Cpu *cpu, const DecodedInsn *d, uint32_t release)
{
    unsigned sz = op_size(d);
    uint32_t target = cpu_rd(cpu, S_SS, cpu_sp(cpu), sz);
    op_jump_near(cpu, d, target);
    cpu_set_sp(cpu, cpu_sp_add(cpu, (int32_t)(sz + release)));
}

void op_ret(Cpu *cpu, const DecodedInsn *d)
{
    near_return(cpu, d, 0);
}

void op_ret_Iw(Cpu *cpu, const DecodedInsn *d)
{
    near_return(cpu, d, d->imm & 0xFFFF);
}

/* --- Far transfers ----------------------------------------------------------
 * Real and virtual-8086 mode: CS is loaded real-mode style (base = sel<<4)
 * and the offset is checked against the CS limit (which a real-mode load
 * keeps). A 32-bit operand size uses 32-bit stack slots (CS zero-extended
 * on a push, the upper half ignored on a pop). */

static inline bool pm_segments(const Cpu *cpu)
{
    return (cpu->cr[0] & CR0_PE) && !(cpu->eflags & F_VM);
}

/* Protected-mode far JMP/CALL/RET: descriptor checks, conforming and
 * non-conforming code, call gates, task gates and TSS selectors, and
 * returns to an outer privilege level. Not implemented yet (the
 * protected-mode issue replaces these bodies). */
static _Noreturn void far_jump_pm(Cpu *cpu, const DecodedInsn *d, uint16_t sel, uint32_t off)
{
    (void)d;
    (void)sel;
    (void)off;
    cpu_exception(cpu, EXC_GP, 0);
}

static _Noreturn void far_call_pm(Cpu *cpu, const DecodedInsn *d, uint16_t sel, uint32_t off)
{
    (void)d;
    (void)sel;
    (void)off;
    cpu_exception(cpu, EXC_GP, 0);
}

static _Noreturn void far_return_pm(Cpu *cpu, const DecodedInsn *d, uint32_t release)
{
    (void)d;
    (void)release;
    cpu_exception(cpu, EXC_GP, 0);
}

static _Noreturn void iret_pm(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    cpu_exception(cpu, EXC_GP, 0);
}

static void far_jump(Cpu *cpu, const DecodedInsn *d, uint16_t sel, uint32_t off)
{
    if (pm_segments(cpu)) far_jump_pm(cpu, d, sel, off);
    if (!(d->pfx & PFX_OP32)) off &= 0xFFFF;
    if (off > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, 0);
    cpu_load_seg(cpu, S_CS, sel);
    cpu->next_eip = off;
}

static void far_call(Cpu *cpu, const DecodedInsn *d, uint16_t sel, uint32_t off)
{
    if (pm_segments(cpu)) far_call_pm(cpu, d, sel, off);
    unsigned sz = op_size(d);
    if (sz == 2) off &= 0xFFFF;
    if (off > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, 0);
    /* Both slots are written before SP moves, so a stack fault leaves SP
     * as it was. */
    uint32_t sp1 = cpu_sp_add(cpu, -(int32_t)sz);
    uint32_t sp2 = cpu_sp_add(cpu, -2 * (int32_t)sz);
    cpu_wr(cpu, S_SS, sp1, cpu->seg[S_CS].sel, sz);
    cpu_wr(cpu, S_SS, sp2, cpu->next_eip, sz);
    cpu_set_sp(cpu, sp2);
    cpu_load_seg(cpu, S_CS, sel);
    cpu->next_eip = off;
}

static void far_return(Cpu *cpu, const DecodedInsn *d, uint32_t release)
{
    if (pm_segments(cpu)) far_return_pm(cpu, d, release);
    unsigned sz = op_size(d);
    uint32_t off = cpu_stack_peek(cpu, 0, sz);
    uint16_t sel = (uint16_t)cpu_stack_peek(cpu, sz, sz);
    if (off > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, 0);
    cpu_set_sp(cpu, cpu_sp_add(cpu, (int32_t)(2 * sz + release)));
    cpu_load_seg(cpu, S_CS, sel);
    cpu->next_eip = off;
}

/* The m16:16/m16:32 operand of JMP/CALL FAR [mem]: offset first, then the
 * selector, whose address wraps in the address size. */
static inline uint32_t far_pointer(Cpu *cpu, const DecodedInsn *d, uint16_t *sel)
{
    unsigned sz = op_size(d);
    uint32_t ea = decode_ea(cpu, d);
    uint32_t off = cpu_rd(cpu, d->seg, ea, sz);
    uint32_t ea2 = ea + sz;
    if (!(d->pfx & PFX_ADDR32)) ea2 &= 0xFFFF;
    *sel = cpu_rd16(cpu, d->seg, ea2);
    return off;
}

void op_jmpf_Ap(Cpu *cpu, const DecodedInsn *d)
{
    far_jump(cpu, d, (uint16_t)d->imm2, d->imm);
}

void op_callf_Ap(Cpu *cpu, const DecodedInsn *d)
{
    far_call(cpu, d, (uint16_t)d->imm2, d->imm);
}

void op_jmpf_Mp(Cpu *cpu, const DecodedInsn *d)
{
    uint16_t sel;
    uint32_t off = far_pointer(cpu, d, &sel);
    far_jump(cpu, d, sel, off);
}

void op_callf_Mp(Cpu *cpu, const DecodedInsn *d)
{
    uint16_t sel;
    uint32_t off = far_pointer(cpu, d, &sel);
    far_call(cpu, d, sel, off);
}

void op_retf(Cpu *cpu, const DecodedInsn *d)
{
    far_return(cpu, d, 0);
}

void op_retf_Iw(Cpu *cpu, const DecodedInsn *d)
{
    far_return(cpu, d, d->imm & 0xFFFF);
}

/* --- LOOP family and JCXZ ---------------------------------------------------
 * The count is CX or ECX by the address size; the target is truncated by
 * the operand size. The count is written only after the branch target
 * passed its limit check, so a #GP leaves (E)CX unchanged. */

void op_loop(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t c = op_count(cpu, d) - 1;
    if (!(d->pfx & PFX_ADDR32)) c &= 0xFFFF;
    if (c != 0) op_jump_near(cpu, d, cpu->next_eip + d->imm);
    op_set_count(cpu, d, c);
}

void op_loope(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t c = op_count(cpu, d) - 1;
    if (!(d->pfx & PFX_ADDR32)) c &= 0xFFFF;
    if (c != 0 && flags_cond(cpu, COND_E)) op_jump_near(cpu, d, cpu->next_eip + d->imm);
    op_set_count(cpu, d, c);
}

void op_loopne(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t c = op_count(cpu, d) - 1;
    if (!(d->pfx & PFX_ADDR32)) c &= 0xFFFF;
    if (c != 0 && !flags_cond(cpu, COND_E)) op_jump_near(cpu, d, cpu->next_eip + d->imm);
    op_set_count(cpu, d, c);
}

void op_jcxz(Cpu *cpu, const DecodedInsn *d)
{
    if (op_count(cpu, d) == 0) op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

/* --- Software interrupts ------------------------------------------------------
 * cpu_interrupt() pushes FLAGS, CS and the return address (next_eip for a
 * software interrupt) and loads CS:EIP from the vector table. */

/* INT n in virtual-8086 mode with IOPL < 3 is #GP(0) (without CR4.VME,
 * whose redirection bitmap comes with the protected-mode work). INT3 and
 * INTO are not IOPL-sensitive. */
void op_int_Ib(Cpu *cpu, const DecodedInsn *d)
{
    if ((cpu->eflags & F_VM) && (cpu->eflags & F_IOPL) != F_IOPL) cpu_exception(cpu, EXC_GP, 0);
    cpu_interrupt(cpu, (int)(d->imm & 0xFF), true, false, 0);
}

void op_int3(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    cpu_interrupt(cpu, EXC_BP, true, false, 0);
}

void op_into(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    if (flags_cond(cpu, COND_O)) cpu_interrupt(cpu, EXC_OF, true, false, 0);
}

void op_int1(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    cpu_interrupt(cpu, EXC_DB, true, false, 0);
}

/* --- IRET ------------------------------------------------------------------------
 * Real-address mode (SDM IRET, REAL-ADDRESS-MODE):
 *   16-bit: IP, CS, FLAGS[15:0] popped; FLAGS follow the POPF rules
 *           (IOPL and NT change, bit 15 stays 0).
 *   32-bit: EIP, CS (upper half discarded), EFLAGS popped;
 *           EFLAGS = (temp AND 257FD5H) OR (EFLAGS AND 1A0000H), i.e. VM,
 *           VIF, VIP stay and RF, AC, ID are loaded.
 * Virtual-8086 mode with IOPL = 3: the same, except IOPL does not change;
 * with IOPL < 3 it is #GP(0) (no VME yet).
 * Unlike STI, IRET setting IF does not delay interrupts. */
void op_iret(Cpu *cpu, const DecodedInsn *d)
{
    bool v86 = (cpu->eflags & F_VM) != 0;
    if (!v86 && (cpu->cr[0] & CR0_PE)) iret_pm(cpu, d);
    if (v86 && (cpu->eflags & F_IOPL) != F_IOPL) cpu_exception(cpu, EXC_GP, 0);

    unsigned sz = op_size(d);
    uint32_t off = cpu_stack_peek(cpu, 0, sz);
    uint16_t sel = (uint16_t)cpu_stack_peek(cpu, sz, sz);
    uint32_t fl = cpu_stack_peek(cpu, 2 * sz, sz);
    uint32_t mask = sz == 4 ? 0x257FD5u : 0x7FD5u;
    if (v86) mask &= ~F_IOPL;
    if (off > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, 0);

    cpu_set_sp(cpu, cpu_sp_add(cpu, (int32_t)(3 * sz)));
    cpu_load_seg(cpu, S_CS, sel);
    cpu->next_eip = off;
    cpu_set_eflags(cpu, fl, mask);
}
