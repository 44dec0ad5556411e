/*
 * ops_mmx.c - the MMX instructions of a Pentium II (0F 60-7F, 0F D1-FE;
 * no SSE: PSHUFW, PMOVMSKB, PAVGB, PMINUB, ... and the SSE2 forms are #UD).
 *
 * SDM Vol. 1 chapter 9 (the eight 64-bit MMX registers alias the
 * significands of the x87 registers R0-R7: a write sets bits 64-79 to all
 * ones, every MMX instruction but EMMS sets TOP to 0 and the whole tag word
 * to valid, EMMS empties it and sets TOP to 0: "Compatibility with x87 FPU
 * Architecture" and its table of the effects of MMX instructions on the x87
 * state), the exceptions an MMX instruction can raise (#UD when CR0.EM = 1,
 * #NM when CR0.TS = 1, #MF when an x87 exception is pending) and Vol. 2 for
 * each instruction (saturation, shift counts above the lane width,
 * PMADDWD).
 *
 * The 66/F2/F3 prefixes select nothing on a Pentium II and are ignored.
 * MMX instructions leave the x87 instruction and data pointers and the
 * opcode alone (they are not x87 instructions). The lanes are computed on
 * plain integers, so the result is the same on any host.
 *
 * Known deviations: none known (docs/fpu.md lists what the tests compare).
 */
#include "cpu/fpu.h"
#include "cpu/ops.h"

/* The checks every MMX instruction makes first (in this order). */
static inline void mmx_check(Cpu *cpu)
{
    if (cpu->cr[0] & CR0_EM) cpu_fault(cpu, EXC_UD);
    if (cpu->cr[0] & CR0_TS) cpu_fault(cpu, EXC_NM);
    if (cpu->fpu.sw & FSW_ES) fpu_check_pending(cpu);
}

/* The source operand: an MMX register (ModRM.rm) or len bytes of memory
 * (8, or 4 for the low unpacks, which read m32). */
static uint64_t mmx_src(Cpu *cpu, const DecodedInsn *d, unsigned len)
{
    if (!d->is_mem) return mmx_get(&cpu->fpu, d->rm);
    uint32_t ea = decode_ea(cpu, d);
    uint64_t lo = cpu_rd32(cpu, d->seg, ea);
    if (len == 4) return lo;
    return lo | (uint64_t)cpu_rd32(cpu, d->seg, ea + 4) << 32;
}

/* ------------------------------------------------------------------ */
/* lane arithmetic                                                      */

static inline uint64_t lane_mask(unsigned bits) { return bits == 64 ? ~0ull : (1ull << bits) - 1; }
static inline int64_t lane_sext(uint64_t v, unsigned bits)
{
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}
static inline int64_t sat_s(int64_t v, unsigned bits)
{
    int64_t hi = ((int64_t)1 << (bits - 1)) - 1, lo = -hi - 1;
    return v > hi ? hi : v < lo ? lo : v;
}
static inline int64_t sat_u(int64_t v, unsigned bits)
{
    int64_t hi = ((int64_t)1 << bits) - 1;
    return v > hi ? hi : v < 0 ? 0 : v;
}

/* One lane operation: a and b are the zero-extended lanes. */
enum {
    L_ADD, L_SUB, L_ADDS, L_SUBS, L_ADDUS, L_SUBUS, L_CMPEQ, L_CMPGT, L_MULL, L_MULH,
};

static inline uint64_t lane_op(unsigned op, uint64_t a, uint64_t b, unsigned bits)
{
    int64_t sa = lane_sext(a, bits), sb = lane_sext(b, bits);
    switch (op) {
    case L_ADD: return a + b;
    case L_SUB: return a - b;
    case L_ADDS: return (uint64_t)sat_s(sa + sb, bits);
    case L_SUBS: return (uint64_t)sat_s(sa - sb, bits);
    case L_ADDUS: return (uint64_t)sat_u((int64_t)(a + b), bits);
    case L_SUBUS: return (uint64_t)sat_u((int64_t)a - (int64_t)b, bits);
    case L_CMPEQ: return a == b ? ~0ull : 0;
    case L_CMPGT: return sa > sb ? ~0ull : 0;
    case L_MULL: return (uint64_t)(sa * sb);
    default: return (uint64_t)((sa * sb) >> 16); /* L_MULH (words only) */
    }
}

static uint64_t lanes(unsigned op, uint64_t a, uint64_t b, unsigned bits)
{
    uint64_t m = lane_mask(bits), r = 0;
    for (unsigned i = 0; i < 64; i += bits)
        r |= (lane_op(op, (a >> i) & m, (b >> i) & m, bits) & m) << i;
    return r;
}

/* PMADDWD: each dword = a0*b0 + a1*b1 of its two signed word pairs (the
 * sum of two (-32768)^2 wraps to 80000000h). */
static uint64_t pmaddwd(uint64_t a, uint64_t b)
{
    uint64_t r = 0;
    for (unsigned i = 0; i < 64; i += 32) {
        int32_t p0 = (int32_t)(int16_t)(a >> i) * (int16_t)(b >> i);
        int32_t p1 = (int32_t)(int16_t)(a >> (i + 16)) * (int16_t)(b >> (i + 16));
        r |= (uint64_t)((uint32_t)p0 + (uint32_t)p1) << i;
    }
    return r;
}

/* PACKSSWB/PACKSSDW (signed) and PACKUSWB: the lanes of a, then of b,
 * narrowed to half their width with saturation. */
static uint64_t pack(uint64_t a, uint64_t b, unsigned bits, bool unsigned_sat)
{
    unsigned half = bits / 2, n = 64 / bits;
    uint64_t r = 0, hm = lane_mask(half);
    for (unsigned i = 0; i < 2 * n; i++) {
        uint64_t src = i < n ? a : b;
        int64_t v = lane_sext(src >> ((i % n) * bits), bits);
        int64_t s = unsigned_sat ? sat_u(v, half) : sat_s(v, half);
        r |= ((uint64_t)s & hm) << (i * half);
    }
    return r;
}

/* PUNPCKL* / PUNPCKH*: interleave the low (or high) halves' lanes, a
 * first. */
static uint64_t unpack(uint64_t a, uint64_t b, unsigned bits, bool high)
{
    unsigned n = 32 / bits, base = high ? 32 : 0;
    uint64_t m = lane_mask(bits), r = 0;
    for (unsigned i = 0; i < n; i++) {
        r |= ((a >> (base + i * bits)) & m) << (2 * i * bits);
        r |= ((b >> (base + i * bits)) & m) << ((2 * i + 1) * bits);
    }
    return r;
}

/* Shifts: a count above the lane width clears the lane (logical) or fills
 * it with the sign (arithmetic). */
enum { SH_LL, SH_RL, SH_RA };
static uint64_t shift(uint64_t a, uint64_t count, unsigned bits, unsigned kind)
{
    if (bits == 64) {
        if (count > 63) return 0;
        return kind == SH_LL ? a << count : a >> count;
    }
    uint64_t m = lane_mask(bits), r = 0;
    for (unsigned i = 0; i < 64; i += bits) {
        uint64_t v = (a >> i) & m, o;
        if (kind == SH_RA)
            o = (uint64_t)(lane_sext(v, bits) >> (count > bits - 1 ? bits - 1 : count));
        else if (count > bits - 1)
            o = 0;
        else
            o = kind == SH_LL ? v << count : v >> count;
        r |= (o & m) << i;
    }
    return r;
}

/* ------------------------------------------------------------------ */
/* handlers                                                            */

/* The source is read before the x87 state changes, so a fault on it
 * leaves TOP and the tags as they were. */
static void mmx_finish(Cpu *cpu, unsigned reg, uint64_t v)
{
    X87State *f = &cpu->fpu;
    mmx_enter(f);
    mmx_set(f, reg, v);
}

#define MMX_LANES(name, op, bits)                                                                  \
    void name(Cpu *cpu, const DecodedInsn *d)                                                      \
    {                                                                                              \
        mmx_check(cpu);                                                                            \
        uint64_t b = mmx_src(cpu, d, 8);                                                           \
        mmx_finish(cpu, d->reg, lanes(op, mmx_get(&cpu->fpu, d->reg), b, bits));                   \
    }

MMX_LANES(op_paddb, L_ADD, 8)
MMX_LANES(op_paddw, L_ADD, 16)
MMX_LANES(op_paddd, L_ADD, 32)
MMX_LANES(op_psubb, L_SUB, 8)
MMX_LANES(op_psubw, L_SUB, 16)
MMX_LANES(op_psubd, L_SUB, 32)
MMX_LANES(op_paddsb, L_ADDS, 8)
MMX_LANES(op_paddsw, L_ADDS, 16)
MMX_LANES(op_psubsb, L_SUBS, 8)
MMX_LANES(op_psubsw, L_SUBS, 16)
MMX_LANES(op_paddusb, L_ADDUS, 8)
MMX_LANES(op_paddusw, L_ADDUS, 16)
MMX_LANES(op_psubusb, L_SUBUS, 8)
MMX_LANES(op_psubusw, L_SUBUS, 16)
MMX_LANES(op_pcmpeqb, L_CMPEQ, 8)
MMX_LANES(op_pcmpeqw, L_CMPEQ, 16)
MMX_LANES(op_pcmpeqd, L_CMPEQ, 32)
MMX_LANES(op_pcmpgtb, L_CMPGT, 8)
MMX_LANES(op_pcmpgtw, L_CMPGT, 16)
MMX_LANES(op_pcmpgtd, L_CMPGT, 32)
MMX_LANES(op_pmullw, L_MULL, 16)
MMX_LANES(op_pmulhw, L_MULH, 16)

/* Whole-register operations: EXPR of a (destination) and b (source). */
#define MMX_WHOLE(name, srclen, EXPR)                                                              \
    void name(Cpu *cpu, const DecodedInsn *d)                                                      \
    {                                                                                              \
        mmx_check(cpu);                                                                            \
        uint64_t b = mmx_src(cpu, d, srclen);                                                      \
        uint64_t a = mmx_get(&cpu->fpu, d->reg);                                                   \
        mmx_finish(cpu, d->reg, (EXPR));                                                           \
    }

MMX_WHOLE(op_pand, 8, a & b)
MMX_WHOLE(op_pandn, 8, ~a & b)
MMX_WHOLE(op_por, 8, a | b)
MMX_WHOLE(op_pxor, 8, a ^ b)
MMX_WHOLE(op_pmaddwd, 8, pmaddwd(a, b))
MMX_WHOLE(op_packsswb, 8, pack(a, b, 16, false))
MMX_WHOLE(op_packssdw, 8, pack(a, b, 32, false))
MMX_WHOLE(op_packuswb, 8, pack(a, b, 16, true))
/* The low unpacks read only 32 bits of a memory source. */
MMX_WHOLE(op_punpcklbw, 4, unpack(a, b, 8, false))
MMX_WHOLE(op_punpcklwd, 4, unpack(a, b, 16, false))
MMX_WHOLE(op_punpckldq, 4, unpack(a, b, 32, false))
MMX_WHOLE(op_punpckhbw, 8, unpack(a, b, 8, true))
MMX_WHOLE(op_punpckhwd, 8, unpack(a, b, 16, true))
MMX_WHOLE(op_punpckhdq, 8, unpack(a, b, 32, true))
/* Shifts by an MMX register or a 64-bit memory count. */
MMX_WHOLE(op_psllw, 8, shift(a, b, 16, SH_LL))
MMX_WHOLE(op_pslld, 8, shift(a, b, 32, SH_LL))
MMX_WHOLE(op_psllq, 8, shift(a, b, 64, SH_LL))
MMX_WHOLE(op_psrlw, 8, shift(a, b, 16, SH_RL))
MMX_WHOLE(op_psrld, 8, shift(a, b, 32, SH_RL))
MMX_WHOLE(op_psrlq, 8, shift(a, b, 64, SH_RL))
MMX_WHOLE(op_psraw, 8, shift(a, b, 16, SH_RA))
MMX_WHOLE(op_psrad, 8, shift(a, b, 32, SH_RA))

/* Shifts by an immediate (0F 71/72/73 groups, register operand only): the
 * register is ModRM.rm. */
#define MMX_SHIFT_IMM(name, bits, kind)                                                            \
    void name(Cpu *cpu, const DecodedInsn *d)                                                      \
    {                                                                                              \
        mmx_check(cpu);                                                                            \
        uint64_t a = mmx_get(&cpu->fpu, d->rm);                                                    \
        mmx_finish(cpu, d->rm, shift(a, d->imm & 0xFF, bits, kind));                               \
    }

MMX_SHIFT_IMM(op_psllw_imm, 16, SH_LL)
MMX_SHIFT_IMM(op_pslld_imm, 32, SH_LL)
MMX_SHIFT_IMM(op_psllq_imm, 64, SH_LL)
MMX_SHIFT_IMM(op_psrlw_imm, 16, SH_RL)
MMX_SHIFT_IMM(op_psrld_imm, 32, SH_RL)
MMX_SHIFT_IMM(op_psrlq_imm, 64, SH_RL)
MMX_SHIFT_IMM(op_psraw_imm, 16, SH_RA)
MMX_SHIFT_IMM(op_psrad_imm, 32, SH_RA)

/* MOVD mm, r/m32: zero-extended. */
void op_movd_PdEd(Cpu *cpu, const DecodedInsn *d)
{
    mmx_check(cpu);
    uint32_t v = rm_load(cpu, d, 4);
    mmx_finish(cpu, d->reg, v);
}

/* MOVQ mm, mm/m64. */
void op_movq_PqQq(Cpu *cpu, const DecodedInsn *d)
{
    mmx_check(cpu);
    mmx_finish(cpu, d->reg, mmx_src(cpu, d, 8));
}

/* MOVD r/m32, mm. Reading an MMX register changes the x87 state too. */
void op_movd_EdPd(Cpu *cpu, const DecodedInsn *d)
{
    mmx_check(cpu);
    rm_store(cpu, d, (uint32_t)mmx_get(&cpu->fpu, d->reg), 4);
    mmx_enter(&cpu->fpu);
}

/* MOVQ mm/m64, mm: the whole destination is checked before either half
 * is written. */
void op_movq_QqPq(Cpu *cpu, const DecodedInsn *d)
{
    mmx_check(cpu);
    uint64_t v = mmx_get(&cpu->fpu, d->reg);
    if (d->is_mem) {
        uint32_t ea = decode_ea(cpu, d);
        fpu_mem_probe(cpu, d->seg, ea, 8, true);
        cpu_wr32(cpu, d->seg, ea, (uint32_t)v);
        cpu_wr32(cpu, d->seg, ea + 4, (uint32_t)(v >> 32));
        mmx_enter(&cpu->fpu);
    } else {
        mmx_finish(cpu, d->rm, v);
    }
}

/* EMMS: every tag empty (and TOP 0), so x87 code can follow. */
void op_emms(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    mmx_check(cpu);
    cpu->fpu.top = 0;
    cpu->fpu.tw = 0xFFFF;
}
