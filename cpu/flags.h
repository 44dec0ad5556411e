/*
 * flags.h - lazy arithmetic flags.
 *
 * The last flag-setting operation stores its kind (cc_op), result and
 * operands; CF/PF/AF/ZF/SF/OF are computed only when something reads them
 * (Jcc, SETcc, PUSHF, ADC...). The formulas work for ADC/SBB too, because
 * the carry out of the top bit and the carry into it are derived from the
 * operands and the result alone:
 *
 *   add: carry-out = msb((a & b) | ((a | b) & ~r)),  AF = bit 4 of a^b^r,
 *        OF = msb((a ^ r) & (b ^ r))
 *   sub: borrow-out = msb((~a & b) | ((~a | b) & r)), OF = msb((a ^ b) & (a ^ r))
 *
 * INC/DEC keep CF: before setting CC_INC/CC_DEC the handler folds the old
 * CF into eflags (flags_set_incdec does it). Operations whose flags are
 * irregular (shifts, rotates, multiplies, BCD) compute them eagerly with
 * flags_set_eflags().
 *
 *   flags_set(cpu, CC_ADD32, r, a, b);
 *   if (flags_cond(cpu, COND_B)) ...
 */
#ifndef BRISK_FLAGS_H
#define BRISK_FLAGS_H

#include "cpu/cpu.h"

/* cc_op values: kind * 3 + size index (0: 8, 1: 16, 2: 32 bit). */
enum {
    CC_EFLAGS = 0, /* flags are in cpu->eflags */
    CC_ADD8 = 3, CC_ADD16, CC_ADD32,     /* also ADC */
    CC_SUB8, CC_SUB16, CC_SUB32,         /* also CMP, NEG */
    CC_LOGIC8, CC_LOGIC16, CC_LOGIC32,   /* CF=OF=0, AF=0 */
    CC_INC8, CC_INC16, CC_INC32,         /* CF from eflags */
    CC_DEC8, CC_DEC16, CC_DEC32,         /* CF from eflags */
    CC_SBB8, CC_SBB16, CC_SBB32,         /* as SUB, but a < b is not the borrow */
};

/* Condition codes in the encoding order of Jcc/SETcc/CMOVcc (low nibble). */
enum {
    COND_O, COND_NO, COND_B, COND_AE, COND_E, COND_NE, COND_BE, COND_A,
    COND_S, COND_NS, COND_P, COND_NP, COND_L, COND_GE, COND_LE, COND_G,
};

static inline unsigned cc_size_bits(uint32_t op) { return 8u << ((op - CC_ADD8) % 3); }

static inline void flags_set(Cpu *cpu, uint32_t op, uint32_t res, uint32_t a, uint32_t b)
{
    cpu->cc_op = op;
    cpu->cc_res = res;
    cpu->cc_src1 = a;
    cpu->cc_src2 = b;
}

/* Parity of the low byte: PF set when the number of 1 bits is even. */
static inline uint32_t flags_parity(uint32_t v)
{
    return (__builtin_parity(v & 0xFF) ? 0 : F_PF);
}

/* Computes CF/PF/AF/ZF/SF/OF from the lazy state. */
uint32_t flags_compute(const Cpu *cpu);
/* CF alone (cheaper). */
uint32_t flags_cf(const Cpu *cpu);
/* Evaluates a condition code (0..15): the general case. */
bool flags_cond_slow(const Cpu *cpu, unsigned cond);

/* Evaluates a condition code (0..15). ZF and SF of any lazy operation come
 * straight from the stored result: the common DEC/JNZ, TEST/JZ pairs never
 * compute the other flags. */
static inline bool flags_cond(const Cpu *cpu, unsigned cond)
{
    uint32_t op = cpu->cc_op;
    if (op != CC_EFLAGS && ((cond & ~1u) == COND_E || (cond & ~1u) == COND_S)) {
        unsigned bits = cc_size_bits(op);
        uint32_t r = cpu->cc_res << (32 - bits);
        bool v = (cond & ~1u) == COND_E ? r == 0 : (int32_t)r < 0;
        return (cond & 1) ? !v : v;
    }
    return flags_cond_slow(cpu, cond);
}

/* Stores the arithmetic flags eagerly. */
static inline void flags_set_eflags(Cpu *cpu, uint32_t arith)
{
    cpu->eflags = (cpu->eflags & ~F_ARITH) | (arith & F_ARITH);
    cpu->cc_op = CC_EFLAGS;
}
/* Folds the lazy flags into eflags (before an eager partial update). */
static inline void flags_materialize(Cpu *cpu)
{
    if (cpu->cc_op != CC_EFLAGS) flags_set_eflags(cpu, flags_compute(cpu));
}
/* INC/DEC: keep CF in eflags, then record the operation. */
static inline void flags_set_incdec(Cpu *cpu, uint32_t op, uint32_t res, uint32_t a)
{
    uint32_t cf = flags_cf(cpu);
    cpu->eflags = (cpu->eflags & ~F_CF) | cf;
    flags_set(cpu, op, res, a, 1);
}

#endif
