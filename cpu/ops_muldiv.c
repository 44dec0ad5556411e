/*
 * ops_muldiv.c - MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV.
 *
 * Intel SDM Vol. 2: MUL, IMUL, DIV, IDIV. Flags are computed eagerly.
 *
 * Defined flags: MUL/IMUL set CF = OF = "the result does not fit the low
 * half" (one-operand forms) or "the result was truncated" (two- and
 * three-operand forms). Everything else is undefined in the SDM; Brisk
 * produces the P6 values as the established Intel-modelling emulators do:
 * - MUL/IMUL: SF, ZF, PF from the low half of the product (the register
 *   written last: AL/AX/EAX or the destination), AF = 0.
 *   (A Zen host leaves SF/ZF/AF/PF unchanged instead.)
 * - DIV/IDIV: all six arithmetic flags are left unchanged.
 *   (A Zen host clears SF/ZF/PF and sets AF instead.)
 *
 * #DE: divisor 0, or a quotient that does not fit the destination. The
 * most negative quotient (-128, -32768, -2^31) is legal for IDIV on a P6
 * (the 8086 raised #DE for it). Faults are raised before any register
 * changes.
 */
#include "cpu/ops.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))
#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone)) /* no ISRA clones either */
#endif

/* Eager flags of a multiply: lo is the low half (destination) value. */
static ALWAYS_INLINE void mul_flags(Cpu *cpu, uint32_t lo, unsigned sz, bool overflow)
{
    lo &= size_mask(sz);
    uint32_t f = flags_parity(lo);
    if (lo == 0) f |= F_ZF;
    if (lo & sign_bit(sz)) f |= F_SF;
    if (overflow) f |= F_CF | F_OF;
    flags_set_eflags(cpu, f);
}

/* ---- MUL ---- */

void op_mul_Eb(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t src = rm_load(cpu, d, 1);
    uint32_t p = (cpu->regs[R_EAX] & 0xFF) * src;
    reg_write(cpu, R_EAX, p, 2);
    mul_flags(cpu, p, 1, p > 0xFF);
}

void op_mul_Ev(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32) {
        uint32_t src = rm_load(cpu, d, 4);
        uint64_t p = (uint64_t)cpu->regs[R_EAX] * src;
        cpu->regs[R_EAX] = (uint32_t)p;
        cpu->regs[R_EDX] = (uint32_t)(p >> 32);
        mul_flags(cpu, (uint32_t)p, 4, (p >> 32) != 0);
    } else {
        uint32_t src = rm_load(cpu, d, 2);
        uint32_t p = (cpu->regs[R_EAX] & 0xFFFF) * src;
        reg_write(cpu, R_EAX, p, 2);
        reg_write(cpu, R_EDX, p >> 16, 2);
        mul_flags(cpu, p, 2, (p >> 16) != 0);
    }
}

/* ---- IMUL ---- */

void op_imul_Eb(Cpu *cpu, const DecodedInsn *d)
{
    int32_t src = (int8_t)rm_load(cpu, d, 1);
    int32_t p = (int8_t)cpu->regs[R_EAX] * src;
    reg_write(cpu, R_EAX, (uint32_t)p, 2);
    mul_flags(cpu, (uint32_t)p, 1, p != (int8_t)p);
}

void op_imul_Ev(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32) {
        int64_t src = (int32_t)rm_load(cpu, d, 4);
        int64_t p = (int64_t)(int32_t)cpu->regs[R_EAX] * src;
        cpu->regs[R_EAX] = (uint32_t)p;
        cpu->regs[R_EDX] = (uint32_t)((uint64_t)p >> 32);
        mul_flags(cpu, (uint32_t)p, 4, p != (int32_t)p);
    } else {
        int32_t src = (int16_t)rm_load(cpu, d, 2);
        int32_t p = (int16_t)cpu->regs[R_EAX] * src;
        reg_write(cpu, R_EAX, (uint32_t)p, 2);
        reg_write(cpu, R_EDX, (uint32_t)p >> 16, 2);
        mul_flags(cpu, (uint32_t)p, 2, p != (int16_t)p);
    }
}

/* dest = a * b truncated to the operand size, with CF = OF = truncated. */
static ALWAYS_INLINE void imul_to_reg(Cpu *cpu, unsigned reg, uint32_t a, uint32_t b, unsigned sz)
{
    if (sz == 4) {
        int64_t p = (int64_t)(int32_t)a * (int32_t)b;
        cpu->regs[reg] = (uint32_t)p;
        mul_flags(cpu, (uint32_t)p, 4, p != (int32_t)p);
    } else {
        int32_t p = (int16_t)a * (int16_t)b;
        reg_write(cpu, reg, (uint32_t)p, 2);
        mul_flags(cpu, (uint32_t)p, 2, p != (int16_t)p);
    }
}

/* The E operand of the two- and three-operand forms: the memory read is
 * out of line so that the register forms stay leaf functions. */
static NOINLINE void imul_mem(Cpu *cpu, const DecodedInsn *d, bool three, unsigned sz)
{
    uint32_t e = cpu_rd(cpu, d->seg, decode_ea(cpu, d), sz);
    imul_to_reg(cpu, d->reg, three ? d->imm : cpu->regs[d->reg], e, sz);
}

static ALWAYS_INLINE void imul_form(Cpu *cpu, const DecodedInsn *d, bool three, unsigned sz)
{
    if (__builtin_expect(d->is_mem, 0))
        imul_mem(cpu, d, three, sz);
    else
        imul_to_reg(cpu, d->reg, three ? d->imm : cpu->regs[d->reg], reg_read(cpu, d->rm, sz), sz);
}

/* 0F AF: IMUL Gv, Ev */
void op_imul_GvEv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        imul_form(cpu, d, false, 4);
    else
        imul_form(cpu, d, false, 2);
}

/* 69 /r iz and 6B /r ib: IMUL Gv, Ev, imm. The decoder leaves a 16-bit
 * imm16 zero-extended and an imm8 sign-extended; only the low operand-size
 * bits matter. */
void op_imul_GvEvIz(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        imul_form(cpu, d, true, 4);
    else
        imul_form(cpu, d, true, 2);
}

/* ---- DIV ---- */

void op_div_Eb(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t src = rm_load(cpu, d, 1);
    if (src == 0) cpu_fault(cpu, EXC_DE);
    uint32_t n = cpu->regs[R_EAX] & 0xFFFF;
    uint32_t q = n / src;
    if (q > 0xFF) cpu_fault(cpu, EXC_DE);
    reg_write(cpu, R_EAX, ((n % src) << 8) | q, 2);
}

void op_div_Ev(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32) {
        uint32_t src = rm_load(cpu, d, 4);
        if (src == 0) cpu_fault(cpu, EXC_DE);
        uint64_t n = (uint64_t)cpu->regs[R_EDX] << 32 | cpu->regs[R_EAX];
        uint64_t q = n / src;
        if (q > 0xFFFFFFFFu) cpu_fault(cpu, EXC_DE);
        cpu->regs[R_EAX] = (uint32_t)q;
        cpu->regs[R_EDX] = (uint32_t)(n % src);
    } else {
        uint32_t src = rm_load(cpu, d, 2);
        if (src == 0) cpu_fault(cpu, EXC_DE);
        uint32_t n = (cpu->regs[R_EDX] & 0xFFFF) << 16 | (cpu->regs[R_EAX] & 0xFFFF);
        uint32_t q = n / src;
        if (q > 0xFFFF) cpu_fault(cpu, EXC_DE);
        reg_write(cpu, R_EAX, q, 2);
        reg_write(cpu, R_EDX, n % src, 2);
    }
}

/* ---- IDIV (quotient truncated toward zero, remainder has the sign of
 * the dividend) ---- */

void op_idiv_Eb(Cpu *cpu, const DecodedInsn *d)
{
    int32_t src = (int8_t)rm_load(cpu, d, 1);
    if (src == 0) cpu_fault(cpu, EXC_DE);
    int32_t n = (int16_t)cpu->regs[R_EAX];
    int32_t q = n / src; /* no host overflow: |n| <= 32768 */
    if (q < -128 || q > 127) cpu_fault(cpu, EXC_DE);
    int32_t r = n % src;
    reg_write(cpu, R_EAX, ((uint32_t)r & 0xFF) << 8 | ((uint32_t)q & 0xFF), 2);
}

void op_idiv_Ev(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32) {
        int64_t src = (int32_t)rm_load(cpu, d, 4);
        if (src == 0) cpu_fault(cpu, EXC_DE);
        int64_t n = (int64_t)((uint64_t)cpu->regs[R_EDX] << 32 | cpu->regs[R_EAX]);
        /* INT64_MIN / -1 would overflow the host; its quotient does not
         * fit 32 bits anyway. */
        if (src == -1 && n == INT64_MIN) cpu_fault(cpu, EXC_DE);
        int64_t q = n / src;
        if (q < INT32_MIN || q > INT32_MAX) cpu_fault(cpu, EXC_DE);
        cpu->regs[R_EAX] = (uint32_t)q;
        cpu->regs[R_EDX] = (uint32_t)(n % src);
    } else {
        int32_t src = (int16_t)rm_load(cpu, d, 2);
        if (src == 0) cpu_fault(cpu, EXC_DE);
        int32_t n = (int32_t)((cpu->regs[R_EDX] & 0xFFFF) << 16 | (cpu->regs[R_EAX] & 0xFFFF));
        /* INT32_MIN / -1 would overflow the host. */
        if (src == -1 && n == INT32_MIN) cpu_fault(cpu, EXC_DE);
        int32_t q = n / src;
        if (q < -32768 || q > 32767) cpu_fault(cpu, EXC_DE);
        reg_write(cpu, R_EAX, (uint32_t)q, 2);
        reg_write(cpu, R_EDX, (uint32_t)(n % src), 2);
    }
}
