/*
 * ops_bit.c - bit test and scan: BT, BTS, BTR, BTC (0F A3/AB/B3/BB with a
 * register offset, 0F BA /4-/7 with an imm8 offset), BSF, BSR (0F BC/BD).
 *
 * Intel SDM Vol. 2: "BT", "BTS", "BTR", "BTC", "BSF", "BSR".
 *
 * Bit offsets: with a register operand the offset is taken modulo the
 * operand size. With a memory operand, the register form treats the offset
 * as a signed 16- or 32-bit number and addresses the word/dword at
 * EA + operand_size * floor(offset / bits) (so it can reach memory below
 * and above the operand); the imm8 form masks the offset to the operand
 * size and stays inside the operand.
 *
 * Flags: BT* set CF to the selected bit and leave OF, SF, ZF, AF, PF
 * unchanged (the SDM: ZF unaffected, the others undefined; P6 hardware and
 * a Zen host leave them alone). BSF/BSR set ZF when the source is zero and
 * then leave the destination unchanged (P6 behaviour; the SDM says
 * "undefined"). The other flags, undefined in the SDM, are those of a
 * logical operation on the result (index) -- PF from its parity, CF = OF =
 * SF = AF = 0 -- and on 0 for a zero source; measured so on the host.
 */
#include "cpu/ops.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))
#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone)) /* no ISRA clones either */
#endif

enum { BT_TEST, BT_SET, BT_RESET, BT_COMPLEMENT };

/* Sets CF, keeping the other flags. Called last, so that the lazy case is
 * a tail call. */
static NOINLINE void set_cf_lazy(Cpu *cpu, uint32_t bit)
{
    flags_materialize(cpu);
    cpu->eflags = (cpu->eflags & ~F_CF) | (bit & 1);
}

static ALWAYS_INLINE void set_cf(Cpu *cpu, uint32_t bit)
{
    if (cpu->cc_op == CC_EFLAGS)
        cpu->eflags = (cpu->eflags & ~F_CF) | (bit & 1);
    else
        set_cf_lazy(cpu, bit);
}

static ALWAYS_INLINE uint32_t bt_apply(int kind, uint32_t v, uint32_t mask)
{
    switch (kind) {
    case BT_SET: return v | mask;
    case BT_RESET: return v & ~mask;
    case BT_COMPLEMENT: return v ^ mask;
    default: return v;
    }
}

/* off: the bit offset (for the register form of a memory operand, a
 * signed value of the operand size); wide: the register form. */
static NOINLINE void bt_mem(Cpu *cpu, const DecodedInsn *d, int kind, uint32_t off, bool wide,
                            unsigned sz)
{
    const unsigned n = 8 * sz;
    uint32_t ea = decode_ea(cpu, d);
    if (wide) {
        int32_t soff = (int32_t)sext(off, sz);
        /* Arithmetic shift: floor division by the operand width. */
        int32_t units = soff >> (sz == 4 ? 5 : 4);
        ea += (uint32_t)units * sz;
        if (!(d->pfx & PFX_ADDR32)) ea &= 0xFFFF;
    }
    uint32_t mask = 1u << (off & (n - 1));
    uint32_t v = cpu_rd(cpu, d->seg, ea, sz);
    if (kind != BT_TEST) cpu_wr(cpu, d->seg, ea, bt_apply(kind, v, mask), sz);
    set_cf(cpu, (v & mask) != 0);
}

static ALWAYS_INLINE void bt_op(Cpu *cpu, const DecodedInsn *d, int kind, uint32_t off, bool wide,
                                unsigned sz)
{
    if (__builtin_expect(d->is_mem, 0)) {
        bt_mem(cpu, d, kind, off, wide, sz);
        return;
    }
    uint32_t v = reg_read(cpu, d->rm, sz);
    uint32_t mask = 1u << (off & (8 * sz - 1));
    if (kind != BT_TEST) reg_write(cpu, d->rm, bt_apply(kind, v, mask), sz);
    set_cf(cpu, (v & mask) != 0);
}

#define DEF_BT(name, kind)                                                                         \
    void op_##name##_EvGv(Cpu *cpu, const DecodedInsn *d)                                          \
    {                                                                                              \
        if (d->pfx & PFX_OP32)                                                                     \
            bt_op(cpu, d, kind, cpu->regs[d->reg], true, 4);                                       \
        else                                                                                       \
            bt_op(cpu, d, kind, cpu->regs[d->reg] & 0xFFFF, true, 2);                              \
    }                                                                                              \
    void op_##name##_EvIb(Cpu *cpu, const DecodedInsn *d)                                          \
    {                                                                                              \
        if (d->pfx & PFX_OP32)                                                                     \
            bt_op(cpu, d, kind, d->imm & 31, false, 4);                                            \
        else                                                                                       \
            bt_op(cpu, d, kind, d->imm & 15, false, 2);                                            \
    }

DEF_BT(bt, BT_TEST)
DEF_BT(bts, BT_SET)
DEF_BT(btr, BT_RESET)
DEF_BT(btc, BT_COMPLEMENT)

/* ---- BSF / BSR ---- */

static ALWAYS_INLINE void scan_value(Cpu *cpu, const DecodedInsn *d, bool reverse, uint32_t v,
                                     unsigned sz)
{
    if (v == 0) {
        flags_set_eflags(cpu, F_ZF | F_PF);
        return;
    }
    uint32_t idx = reverse ? 31u - (uint32_t)__builtin_clz(v) : (uint32_t)__builtin_ctz(v);
    reg_write(cpu, d->reg, idx, sz);
    flags_set_eflags(cpu, flags_parity(idx));
}

static NOINLINE void scan_mem(Cpu *cpu, const DecodedInsn *d, bool reverse, unsigned sz)
{
    scan_value(cpu, d, reverse, cpu_rd(cpu, d->seg, decode_ea(cpu, d), sz), sz);
}

static ALWAYS_INLINE void bit_scan(Cpu *cpu, const DecodedInsn *d, bool reverse, unsigned sz)
{
    if (__builtin_expect(d->is_mem, 0))
        scan_mem(cpu, d, reverse, sz);
    else
        scan_value(cpu, d, reverse, reg_read(cpu, d->rm, sz), sz);
}

void op_bsf_GvEv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        bit_scan(cpu, d, false, 4);
    else
        bit_scan(cpu, d, false, 2);
}

void op_bsr_GvEv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        bit_scan(cpu, d, true, 4);
    else
        bit_scan(cpu, d, true, 2);
}
