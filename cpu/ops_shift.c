/*
 * ops_shift.c - shifts and rotates: ROL, ROR, RCL, RCR, SHL/SAL, SHR, SAR
 * (groups C0/C1 with imm8, D0/D1 by 1, D2/D3 by CL) and the double shifts
 * SHLD/SHRD (0F A4/A5/AC/AD).
 *
 * Intel SDM Vol. 2: "RCL/RCR/ROL/ROR", "SAL/SAR/SHL/SHR", "SHLD", "SHRD".
 * Flags are computed eagerly.
 *
 * P6 behaviour (the 8086 differed):
 * - The count is masked to 5 bits. A masked count of 0 changes nothing,
 *   flags included (a memory operand is still read, and may fault, but
 *   not written).
 * - RCL/RCR rotate through CF by (count & 31) mod 9 (8-bit) or mod 17
 *   (16-bit). A nonzero masked count whose remainder is 0 leaves the value
 *   and CF as they are but still sets OF from them.
 * - ROL/ROR on 8/16 bits rotate by count mod 8/16; CF and OF are set
 *   whenever the masked count is nonzero (ROL AL,8 sets CF = bit 0).
 * - Shifts by more than the operand width (8/16-bit with counts up to 31)
 *   shift everything out: SHL/SHR give 0 and CF = 0 once the count exceeds
 *   the width; SAR fills with the sign and CF = the sign.
 *
 * Undefined flags, as a P6 produces them (the formulas of the one-bit
 * case, evaluated on the result of the multi-bit operation):
 * - OF: SHL, SHLD: CF xor MSB(result); SHR: MSB(original) for count 1,
 *   else 0; SAR: 0; ROL, RCL: CF xor MSB(result); ROR, RCR, SHRD: xor of
 *   the two most significant bits of the result.
 * - AF: 0 after SHL/SHR/SAR/SHLD/SHRD (a Zen host sets it to 1 instead);
 *   rotates do not touch SF/ZF/AF/PF.
 * - SHLD/SHRD of 16 bits by 17..31: the P6 shifts the 48-bit value
 *   dest:src:dest, so bits from the source come in first and then bits of
 *   the destination again; CF is the last bit shifted out of that value.
 *   (The Pentium and a Zen host shift dest:src:src instead; a Zen host also
 *   sets OF = CF for a 16-bit SHLD by exactly 16.)
 */
#include "cpu/ops.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))
#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone)) /* no ISRA clones either */
#endif

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* The shift count of a C0-D3 group instruction, masked to 5 bits. */
static ALWAYS_INLINE unsigned group_count(const Cpu *cpu, const DecodedInsn *d)
{
    unsigned op = d->op;
    if (op >= 0xD2) return cpu->regs[R_ECX] & 0x1F; /* D2, D3: CL */
    if (op >= 0xD0) return 1;                       /* D0, D1 */
    return d->imm & 0x1F;                           /* C0, C1: imm8 */
}

static ALWAYS_INLINE uint32_t szp_flags(uint32_t r, unsigned sz)
{
    uint32_t f = flags_parity(r);
    if ((r & size_mask(sz)) == 0) f |= F_ZF;
    if (r & sign_bit(sz)) f |= F_SF;
    return f;
}

/* Writes the E operand: memory at ea or the ModRM register. */
static ALWAYS_INLINE void write_e(Cpu *cpu, const DecodedInsn *d, uint32_t ea, uint32_t v,
                                  unsigned sz, bool mem)
{
    if (mem)
        cpu_wr(cpu, d->seg, ea, v, sz);
    else
        reg_write(cpu, d->rm, v, sz);
}

/* Sets CF and OF, keeping the other arithmetic flags (rotates). The
 * handlers call it last, so the lazy case is a tail call. */
static NOINLINE void set_cf_of_lazy(Cpu *cpu, uint32_t cf, uint32_t of)
{
    flags_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
}

static ALWAYS_INLINE void set_cf_of(Cpu *cpu, uint32_t cf, uint32_t of)
{
    if (cpu->cc_op == CC_EFLAGS)
        cpu->eflags = (cpu->eflags & ~(F_CF | F_OF)) | (cf ? F_CF : 0) | (of ? F_OF : 0);
    else
        set_cf_of_lazy(cpu, cf, of);
}

/* mem: the operand is memory (a constant, so that each path compiles to
 * code without the other's tests). */
static ALWAYS_INLINE void shift_body(Cpu *cpu, const DecodedInsn *d, int kind, unsigned sz,
                                     bool mem)
{
    const unsigned n = 8 * sz;
    const uint32_t m = size_mask(sz);
    unsigned c = group_count(cpu, d);
    uint32_t ea = 0, a;
    if (mem) {
        ea = decode_ea(cpu, d);
        a = cpu_rd(cpu, d->seg, ea, sz);
    } else {
        a = reg_read(cpu, d->rm, sz);
    }
    if (c == 0) return;

    uint32_t r, cf, of;
    switch (kind) {
    case SH_ROL: {
        unsigned k = c & (n - 1);
        r = k ? ((a << k) | (a >> (n - k))) & m : a;
        cf = r & 1;
        of = cf ^ (r >> (n - 1));
        write_e(cpu, d, ea, r, sz, mem);
        set_cf_of(cpu, cf, of);
        return;
    }
    case SH_ROR: {
        unsigned k = c & (n - 1);
        r = k ? ((a >> k) | (a << (n - k))) & m : a;
        cf = r >> (n - 1);
        of = cf ^ ((r >> (n - 2)) & 1);
        write_e(cpu, d, ea, r, sz, mem);
        set_cf_of(cpu, cf, of);
        return;
    }
    case SH_RCL:
    case SH_RCR: {
        /* Rotate the n+1 bit value CF:dest. */
        unsigned k = n == 8 ? c % 9 : n == 16 ? c % 17 : c;
        uint64_t v = (uint64_t)flags_cf(cpu) << n | a;
        uint64_t vm = ((uint64_t)1 << (n + 1)) - 1;
        if (k) {
            if (kind == SH_RCL)
                v = ((v << k) | (v >> (n + 1 - k))) & vm;
            else
                v = ((v >> k) | (v << (n + 1 - k))) & vm;
        }
        r = (uint32_t)v & m;
        cf = (uint32_t)(v >> n) & 1;
        if (kind == SH_RCL)
            of = cf ^ (r >> (n - 1));
        else
            of = (r >> (n - 1)) ^ ((r >> (n - 2)) & 1);
        write_e(cpu, d, ea, r, sz, mem);
        set_cf_of(cpu, cf, of);
        return;
    }
    case SH_SHL:
    case SH_SAL: {
        uint64_t w = (uint64_t)a << c; /* c <= 31: no overflow */
        r = (uint32_t)w & m;
        cf = (uint32_t)(w >> n) & 1;
        of = cf ^ (r >> (n - 1));
        break;
    }
    case SH_SHR:
        r = a >> c;
        cf = (a >> (c - 1)) & 1;
        of = c == 1 ? a >> (n - 1) : 0;
        break;
    default: { /* SH_SAR */
        int32_t s = (int32_t)sext(a, sz);
        r = (uint32_t)(s >> c) & m;
        cf = (uint32_t)(s >> (c - 1)) & 1;
        of = 0;
        break;
    }
    }
    write_e(cpu, d, ea, r, sz, mem);
    flags_set_eflags(cpu, szp_flags(r, sz) | (cf ? F_CF : 0) | (of ? F_OF : 0));
}

/* The memory form out of line: the register form stays a short leaf. */
static NOINLINE void shift_mem(Cpu *cpu, const DecodedInsn *d, int kind, unsigned sz)
{
    shift_body(cpu, d, kind, sz, true);
}

static ALWAYS_INLINE void shift_op(Cpu *cpu, const DecodedInsn *d, int kind, unsigned sz)
{
    if (__builtin_expect(d->is_mem, 0))
        shift_mem(cpu, d, kind, sz);
    else
        shift_body(cpu, d, kind, sz, false);
}

#define DEF_SHIFT(name, kind)                                                                      \
    void op_##name##_Eb(Cpu *cpu, const DecodedInsn *d)                                            \
    {                                                                                              \
        shift_op(cpu, d, kind, 1);                                                                 \
    }                                                                                              \
    void op_##name##_Ev(Cpu *cpu, const DecodedInsn *d)                                            \
    {                                                                                              \
        if (d->pfx & PFX_OP32)                                                                     \
            shift_op(cpu, d, kind, 4);                                                             \
        else                                                                                       \
            shift_op(cpu, d, kind, 2);                                                             \
    }

DEF_SHIFT(rol, SH_ROL)
DEF_SHIFT(ror, SH_ROR)
DEF_SHIFT(rcl, SH_RCL)
DEF_SHIFT(rcr, SH_RCR)
DEF_SHIFT(shl, SH_SHL)
DEF_SHIFT(shr, SH_SHR)
DEF_SHIFT(sal, SH_SAL) /* /6: an alias of SHL on every x86 */
DEF_SHIFT(sar, SH_SAR)

/* ---- SHLD / SHRD ---- */

static ALWAYS_INLINE void double_body(Cpu *cpu, const DecodedInsn *d, bool left, unsigned c,
                                      unsigned sz, bool mem)
{
    uint32_t ea = 0, a;
    if (mem) {
        ea = decode_ea(cpu, d);
        a = cpu_rd(cpu, d->seg, ea, sz);
    } else {
        a = reg_read(cpu, d->rm, sz);
    }
    uint32_t b = reg_read(cpu, d->reg, sz);
    c &= 0x1F;
    if (c == 0) return;

    uint32_t r, cf, of;
    if (sz == 4) {
        if (left) {
            uint64_t v = (uint64_t)a << 32 | b;
            r = (uint32_t)(v >> (32 - c));
            cf = (uint32_t)(v >> (64 - c)) & 1;
        } else {
            uint64_t v = (uint64_t)b << 32 | a;
            r = (uint32_t)(v >> c);
            cf = (uint32_t)(v >> (c - 1)) & 1;
        }
    } else {
        /* The 48-bit value dest:src:dest covers counts up to 31. */
        uint64_t v = (uint64_t)a << 32 | (uint64_t)b << 16 | a;
        if (left) {
            r = (uint32_t)(v >> (32 - c)) & 0xFFFF;
            cf = (uint32_t)(v >> (48 - c)) & 1;
        } else {
            r = (uint32_t)(v >> c) & 0xFFFF;
            cf = (uint32_t)(v >> (c - 1)) & 1;
        }
    }
    const unsigned n = 8 * sz;
    if (left)
        of = cf ^ (r >> (n - 1));
    else
        of = (r >> (n - 1)) ^ ((r >> (n - 2)) & 1);
    write_e(cpu, d, ea, r, sz, mem);
    flags_set_eflags(cpu, szp_flags(r, sz) | (cf ? F_CF : 0) | (of ? F_OF : 0));
}

static NOINLINE void double_mem(Cpu *cpu, const DecodedInsn *d, bool left, unsigned c, unsigned sz)
{
    double_body(cpu, d, left, c, sz, true);
}

static ALWAYS_INLINE void double_shift(Cpu *cpu, const DecodedInsn *d, bool left, unsigned c,
                                       unsigned sz)
{
    if (__builtin_expect(d->is_mem, 0))
        double_mem(cpu, d, left, c, sz);
    else
        double_body(cpu, d, left, c, sz, false);
}

void op_shld_EvGvIb(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        double_shift(cpu, d, true, d->imm, 4);
    else
        double_shift(cpu, d, true, d->imm, 2);
}

void op_shld_EvGvCL(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        double_shift(cpu, d, true, cpu->regs[R_ECX], 4);
    else
        double_shift(cpu, d, true, cpu->regs[R_ECX], 2);
}

void op_shrd_EvGvIb(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        double_shift(cpu, d, false, d->imm, 4);
    else
        double_shift(cpu, d, false, d->imm, 2);
}

void op_shrd_EvGvCL(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        double_shift(cpu, d, false, cpu->regs[R_ECX], 4);
    else
        double_shift(cpu, d, false, cpu->regs[R_ECX], 2);
}
