/*
 * flags.c - evaluation of the lazy arithmetic flags (see flags.h).
 * SDM Vol. 1 section 3.4.3 and Appendix A (EFLAGS cross-reference).
 */
#include "cpu/flags.h"

static inline uint32_t msb(uint32_t v, unsigned bits) { return (v >> (bits - 1)) & 1; }
static inline uint32_t mask_of(unsigned bits) { return bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1; }

uint32_t flags_compute(const Cpu *cpu)
{
    uint32_t op = cpu->cc_op;
    if (op == CC_EFLAGS) return cpu->eflags & F_ARITH;
    unsigned bits = cc_size_bits(op);
    uint32_t m = mask_of(bits);
    uint32_t r = cpu->cc_res & m, a = cpu->cc_src1 & m, b = cpu->cc_src2 & m;
    uint32_t f = flags_parity(r);
    if (r == 0) f |= F_ZF;
    if (msb(r, bits)) f |= F_SF;
    switch ((op - CC_ADD8) / 3) {
    case 0: /* ADD/ADC */
        if (msb((a & b) | ((a | b) & ~r), bits)) f |= F_CF;
        if (msb((a ^ r) & (b ^ r), bits)) f |= F_OF;
        f |= (a ^ b ^ r) & F_AF;
        break;
    case 1: /* SUB */
    case 5: /* SBB */
        if (msb((~a & b) | ((~a | b) & r), bits)) f |= F_CF;
        if (msb((a ^ b) & (a ^ r), bits)) f |= F_OF;
        f |= (a ^ b ^ r) & F_AF;
        break;
    case 2: /* logic */
        break;
    case 3: /* INC: b == 1 */
        f |= cpu->eflags & F_CF;
        if (msb((a ^ r) & (b ^ r), bits)) f |= F_OF;
        f |= (a ^ b ^ r) & F_AF;
        break;
    case 4: /* DEC: b == 1 */
        f |= cpu->eflags & F_CF;
        if (msb((a ^ b) & (a ^ r), bits)) f |= F_OF;
        f |= (a ^ b ^ r) & F_AF;
        break;
    }
    return f;
}

uint32_t flags_cf(const Cpu *cpu)
{
    uint32_t op = cpu->cc_op;
    if (op == CC_EFLAGS || (op >= CC_LOGIC8 && op <= CC_DEC32)) {
        if (op >= CC_LOGIC8 && op <= CC_LOGIC32) return 0;
        return cpu->eflags & F_CF;
    }
    unsigned bits = cc_size_bits(op);
    uint32_t m = mask_of(bits);
    uint32_t r = cpu->cc_res & m, a = cpu->cc_src1 & m, b = cpu->cc_src2 & m;
    if (op <= CC_ADD32) return msb((a & b) | ((a | b) & ~r), bits);
    return msb((~a & b) | ((~a | b) & r), bits);
}

bool flags_cond_slow(const Cpu *cpu, unsigned cond)
{
    uint32_t op = cpu->cc_op;
    bool v;
    /* Fast paths for the common compare-and-branch pairs. */
    if (op >= CC_SUB8 && op <= CC_SUB32 && cond >= COND_B) {
        unsigned bits = cc_size_bits(op);
        uint32_t m = mask_of(bits);
        uint32_t a = cpu->cc_src1 & m, b = cpu->cc_src2 & m, r = cpu->cc_res & m;
        uint32_t sh = 32 - bits;
        switch (cond & ~1u) {
        case COND_B: v = a < b; return (cond & 1) ? !v : v;
        case COND_E: v = r == 0; return (cond & 1) ? !v : v;
        case COND_BE: v = a <= b; return (cond & 1) ? !v : v;
        case COND_L: v = (int32_t)(a << sh) < (int32_t)(b << sh); return (cond & 1) ? !v : v;
        case COND_LE: v = (int32_t)(a << sh) <= (int32_t)(b << sh); return (cond & 1) ? !v : v;
        default: break;
        }
    }
    uint32_t f = flags_compute(cpu);
    switch (cond & ~1u) {
    case COND_O: v = f & F_OF; break;
    case COND_B: v = f & F_CF; break;
    case COND_E: v = f & F_ZF; break;
    case COND_BE: v = f & (F_CF | F_ZF); break;
    case COND_S: v = f & F_SF; break;
    case COND_P: v = f & F_PF; break;
    case COND_L: v = !(f & F_SF) != !(f & F_OF); break;
    default: /* COND_LE */ v = (f & F_ZF) || (!(f & F_SF) != !(f & F_OF)); break;
    }
    return (cond & 1) ? !v : v;
}
