/*
 * ops_move.c - data movement: MOV (register, memory, immediate, moffs and
 * segment-register forms), LEA, XCHG, XLAT, the far-pointer loads
 * LES/LDS/LSS/LFS/LGS, and NOP.
 *
 * Follows the Intel SDM Vol. 2 instruction pages (MOV, MOV--Move to/from
 * Segment Registers, LEA, XCHG, XLAT/XLATB, LDS/LES/LFS/LGS/LSS, NOP) for a
 * P6-family processor. None of these instructions changes EFLAGS.
 *
 * Fault order: every operand is read (and every segment load that may fault
 * is done) before a general register is written, so a faulting instruction
 * leaves the registers as they were (SDM Vol. 3 section 6.5, "faults ...
 * the state is restored to allow the instruction to be restarted").
 *
 * Known deviations: none in real mode. Segment loads in protected mode are
 * cpu_load_seg()'s business (cpu/cpu.c).
 */
#include "cpu/ops.h"

/* --- MOV with a ModRM operand ------------------------------------------ */

void op_mov_EbGb(Cpu *cpu, const DecodedInsn *d)
{
    rm_store(cpu, d, reg_read(cpu, d->reg, 1), 1);
}

void op_mov_EvGv(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    rm_store(cpu, d, reg_read(cpu, d->reg, sz), sz);
}

void op_mov_GbEb(Cpu *cpu, const DecodedInsn *d)
{
    reg_write(cpu, d->reg, rm_load(cpu, d, 1), 1);
}

void op_mov_GvEv(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    reg_write(cpu, d->reg, rm_load(cpu, d, sz), sz);
}

void op_mov_EbIb(Cpu *cpu, const DecodedInsn *d)
{
    rm_store(cpu, d, d->imm, 1);
}

void op_mov_EvIz(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    rm_store(cpu, d, d->imm, sz);
}

/* --- MOV reg, imm (B0+r, B8+r): the register is the low opcode bits ---- */

void op_mov_ZbIb(Cpu *cpu, const DecodedInsn *d)
{
    reg_write(cpu, d->reg, d->imm, 1);
}

void op_mov_ZvIv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        cpu->regs[d->reg] = d->imm;
    else
        reg_write(cpu, d->reg, d->imm, 2);
}

/* --- MOV with a memory offset (A0-A3) ----------------------------------
 * The decoder leaves the address-size offset in d->disp (16 bits already
 * when the address size is 16) and the segment, override applied, in
 * d->seg. */

void op_mov_ALOb(Cpu *cpu, const DecodedInsn *d)
{
    reg_write(cpu, R_EAX, cpu_rd8(cpu, d->seg, d->disp), 1);
}

void op_mov_eAXOv(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    reg_write(cpu, R_EAX, cpu_rd(cpu, d->seg, d->disp, sz), sz);
}

void op_mov_ObAL(Cpu *cpu, const DecodedInsn *d)
{
    cpu_wr8(cpu, d->seg, d->disp, (uint8_t)cpu->regs[R_EAX]);
}

void op_mov_OveAX(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    cpu_wr(cpu, d->seg, d->disp, cpu->regs[R_EAX], sz);
}

/* --- MOV to and from segment registers ---------------------------------- */

/* MOV Ew, Sw (8C). A memory destination is always a 16-bit store. A
 * register destination with a 32-bit operand size receives the selector
 * zero-extended: the SDM says the upper bits are undefined on processors
 * before the Pentium Pro and zero on the P6 family and later. */
void op_mov_EwSw(Cpu *cpu, const DecodedInsn *d)
{
    if (d->reg >= S_COUNT) cpu_fault(cpu, EXC_UD);
    uint32_t sel = cpu->seg[d->reg].sel;
    if (d->is_mem)
        cpu_wr16(cpu, d->seg, decode_ea(cpu, d), (uint16_t)sel);
    else if (d->pfx & PFX_OP32)
        cpu->regs[d->rm] = sel;
    else
        reg_write(cpu, d->rm, sel, 2);
}

/* MOV Sw, Ew (8E). Loading CS this way is #UD, as is a segment register
 * number above 5. Loading SS inhibits interrupts (and debug traps) until
 * the next instruction has completed, so that MOV SS + MOV SP is atomic. */
void op_mov_SwEw(Cpu *cpu, const DecodedInsn *d)
{
    if (d->reg == S_CS || d->reg >= S_COUNT) cpu_fault(cpu, EXC_UD);
    uint16_t sel = (uint16_t)rm_load(cpu, d, 2);
    cpu_load_seg(cpu, d->reg, sel);
    if (d->reg == S_SS) cpu->inhibit_next = cpu->ss_shadow = true;
}

/* --- LEA ----------------------------------------------------------------
 * The effective address, computed in the address size (decode_ea masks a
 * 16-bit one), then truncated or zero-extended to the operand size. The
 * register form is #UD (A_MEMONLY in the table). */
void op_lea(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t ea = decode_ea(cpu, d);
    if (d->pfx & PFX_OP32)
        cpu->regs[d->reg] = ea;
    else
        reg_write(cpu, d->reg, ea, 2);
}

/* --- XCHG ----------------------------------------------------------------
 * With a memory operand the bus is locked (LOCK or not); in a
 * single-threaded emulator that needs nothing extra. The memory write
 * comes before the register write so a fault leaves the register intact. */

void op_xchg_EbGb(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t ea = 0;
    uint32_t a = rm_read(cpu, d, &ea, 1);
    uint32_t b = reg_read(cpu, d->reg, 1);
    rm_write(cpu, d, ea, b, 1);
    reg_write(cpu, d->reg, a, 1);
}

void op_xchg_EvGv(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    uint32_t ea = 0;
    uint32_t a = rm_read(cpu, d, &ea, sz);
    uint32_t b = reg_read(cpu, d->reg, sz);
    rm_write(cpu, d, ea, b, sz);
    reg_write(cpu, d->reg, a, sz);
}

/* XCHG eAX, r (91-97; 90 is NOP). */
void op_xchg_Zv(Cpu *cpu, const DecodedInsn *d)
{
    unsigned r = d->reg;
    if (d->pfx & PFX_OP32) {
        uint32_t t = cpu->regs[R_EAX];
        cpu->regs[R_EAX] = cpu->regs[r];
        cpu->regs[r] = t;
    } else {
        uint32_t a = cpu->regs[R_EAX] & 0xFFFF, b = cpu->regs[r] & 0xFFFF;
        cpu->regs[R_EAX] = (cpu->regs[R_EAX] & 0xFFFF0000u) | b;
        cpu->regs[r] = (cpu->regs[r] & 0xFFFF0000u) | a;
    }
}

/* --- XLAT: AL <- [seg:(E)BX + AL], DS unless overridden ------------------ */
void op_xlat(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t off = cpu->regs[R_EBX] + (cpu->regs[R_EAX] & 0xFF);
    if (!(d->pfx & PFX_ADDR32)) off &= 0xFFFF;
    reg_write(cpu, R_EAX, cpu_rd8(cpu, d->seg, off), 1);
}

/* --- LES/LDS/LSS/LFS/LGS: load a far pointer -----------------------------
 * The offset (operand size) comes first in memory, the selector after it;
 * the selector's address wraps in the address size. The segment register
 * is loaded (it may fault) before the general register is written. LSS
 * does not create an interrupt shadow (only MOV SS and POP SS do). */
static void load_far_pointer(Cpu *cpu, const DecodedInsn *d, int seg)
{
    unsigned sz = op_size(d);
    uint32_t ea = decode_ea(cpu, d);
    uint32_t off = cpu_rd(cpu, d->seg, ea, sz);
    uint32_t sel_ea = ea + sz;
    if (!(d->pfx & PFX_ADDR32)) sel_ea &= 0xFFFF;
    uint16_t sel = cpu_rd16(cpu, d->seg, sel_ea);
    cpu_load_seg(cpu, seg, sel);
    reg_write(cpu, d->reg, off, sz);
}

void op_les(Cpu *cpu, const DecodedInsn *d)
{
    load_far_pointer(cpu, d, S_ES);
}
void op_lds(Cpu *cpu, const DecodedInsn *d)
{
    load_far_pointer(cpu, d, S_DS);
}
void op_lss(Cpu *cpu, const DecodedInsn *d)
{
    load_far_pointer(cpu, d, S_SS);
}
void op_lfs(Cpu *cpu, const DecodedInsn *d)
{
    load_far_pointer(cpu, d, S_FS);
}
void op_lgs(Cpu *cpu, const DecodedInsn *d)
{
    load_far_pointer(cpu, d, S_GS);
}

/* --- NOP (90, also F3 90 = PAUSE) ---------------------------------------- */
void op_nop(Cpu *cpu, const DecodedInsn *d)
{
    (void)cpu;
    (void)d;
}
