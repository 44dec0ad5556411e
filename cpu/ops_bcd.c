/*
 * ops_bcd.c - decimal adjust instructions: DAA, DAS, AAA, AAS, AAM, AAD.
 *
 * Intel SDM Vol. 2: "DAA", "DAS", "AAA", "AAS", "AAM", "AAD" (the
 * non-64-bit-mode Operation sections). Flags are computed eagerly.
 *
 * 386+ behaviour kept by the P6 (the 8086 differed): AAA/AAS adjust the
 * whole AX (AX + 106h, AX - 6 then AH - 1), so the carry out of AL reaches
 * AH. AAM with an immediate of 0 raises #DE; AAM and AAD take any base
 * (D4 ib / D5 ib), not only 10.
 *
 * Undefined flags (the 64-bit host cannot run these instructions, so they
 * follow what the emulators that were checked against Pentium-family
 * hardware produce; unverified against a P6 here):
 * - DAA/DAS: OF = 0.
 * - AAA/AAS: SF, ZF, PF from the final AL (after the AND 0Fh, so SF = 0),
 *   OF = 0.
 * - AAM/AAD: SF, ZF, PF from the final AL (defined), OF = AF = CF = 0.
 */
#include "cpu/ops.h"

static inline uint32_t szp8(uint32_t v)
{
    v &= 0xFF;
    return flags_parity(v) | (v == 0 ? F_ZF : 0) | (v & 0x80 ? F_SF : 0);
}

void op_daa(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    uint32_t f = flags_compute(cpu);
    uint32_t old_al = cpu->regs[R_EAX] & 0xFF, al = old_al;
    uint32_t af = 0, cf = 0;
    if ((al & 0x0F) > 9 || (f & F_AF)) {
        al += 6;
        af = F_AF;
    }
    /* A carry out of AL + 6 implies old AL > 99h, so it is covered here. */
    if (old_al > 0x99 || (f & F_CF)) {
        al += 0x60;
        cf = F_CF;
    }
    reg_write(cpu, R_EAX, al, 1);
    flags_set_eflags(cpu, szp8(al) | af | cf);
}

void op_das(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    uint32_t f = flags_compute(cpu);
    uint32_t old_al = cpu->regs[R_EAX] & 0xFF, al = old_al;
    uint32_t af = 0, cf = 0;
    if ((al & 0x0F) > 9 || (f & F_AF)) {
        if (al < 6 || (f & F_CF)) cf = F_CF; /* borrow from AL - 6, or old CF */
        al -= 6;
        af = F_AF;
    }
    if (old_al > 0x99 || (f & F_CF)) {
        al -= 0x60;
        cf = F_CF;
    }
    reg_write(cpu, R_EAX, al, 1);
    flags_set_eflags(cpu, szp8(al) | af | cf);
}

void op_aaa(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    uint32_t f = flags_compute(cpu);
    uint32_t ax = cpu->regs[R_EAX] & 0xFFFF;
    uint32_t fl = 0;
    if ((ax & 0x0F) > 9 || (f & F_AF)) {
        ax += 0x106;
        fl = F_AF | F_CF;
    }
    ax &= 0xFF0F;
    reg_write(cpu, R_EAX, ax, 2);
    flags_set_eflags(cpu, szp8(ax) | fl);
}

void op_aas(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    uint32_t f = flags_compute(cpu);
    uint32_t ax = cpu->regs[R_EAX] & 0xFFFF;
    uint32_t fl = 0;
    if ((ax & 0x0F) > 9 || (f & F_AF)) {
        ax -= 6;
        ax -= 0x100;
        fl = F_AF | F_CF;
    }
    ax &= 0xFF0F;
    reg_write(cpu, R_EAX, ax, 2);
    flags_set_eflags(cpu, szp8(ax) | fl);
}

/* AAM ib: AH = AL / base, AL = AL mod base. */
void op_aam(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t base = d->imm & 0xFF;
    if (base == 0) cpu_fault(cpu, EXC_DE);
    uint32_t al = cpu->regs[R_EAX] & 0xFF;
    uint32_t q = al / base, r = al % base;
    reg_write(cpu, R_EAX, q << 8 | r, 2);
    flags_set_eflags(cpu, szp8(r));
}

/* AAD ib: AL = AL + AH * base (mod 256), AH = 0. */
void op_aad(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t base = d->imm & 0xFF;
    uint32_t ax = cpu->regs[R_EAX];
    uint32_t al = ((ax & 0xFF) + ((ax >> 8) & 0xFF) * base) & 0xFF;
    reg_write(cpu, R_EAX, al, 2);
    flags_set_eflags(cpu, szp8(al));
}
