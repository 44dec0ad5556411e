/*
 * ops_alu.c - integer arithmetic and logic handlers: ADD/OR/ADC/SBB/AND/
 * SUB/XOR/CMP in all six encodings, TEST, INC/DEC, NOT/NEG, CBW/CWDE,
 * CWD/CDQ, LAHF/SAHF, CLC/STC/CMC/CLD/STD, SETcc, CMOVcc, MOVZX/MOVSX,
 * XADD, CMPXCHG, CMPXCHG8B, BSWAP and the undocumented SALC.
 *
 * Follows the Intel SDM Vol. 2 instruction pages of each mnemonic. Flags of
 * the regular operations are lazy (cpu/flags.h); everything else is eager.
 *
 * Order of effects (precise exceptions): a handler reads its operands,
 * then writes memory (the only step after the reads that can fault), then
 * registers and flags. So a fault on the write of a read-modify-write
 * leaves registers and flags as they were before the instruction.
 *
 * P6 behaviour where the SDM is vague (checked on the host CPU where a
 * 64-bit host can run the instruction, see tests/unit/cpu/test_alu_oracle.c):
 * - AND/OR/XOR/TEST clear AF (AF is "undefined").
 * - BSWAP with a 16-bit operand size clears the low word of the register
 *   (the result the SDM calls undefined; Intel and AMD both do this).
 * - CMOVcc reads a memory source (and may fault) even when the condition
 *   is false; a false condition leaves the destination unchanged.
 * - CMPXCHG and CMPXCHG8B write the destination back with its own value
 *   when the comparison fails (the locked write cycle of the SDM).
 * - SALC (D6): AL = CF ? FF : 00, flags unchanged.
 *
 * Speed: each handler is specialised per operand size; the register forms
 * compile to short leaf functions, and the memory forms (and ADC/SBB with
 * a lazy carry-in) go to out-of-line helpers.
 *
 * Known deviations: LOCK is a no-op (one CPU, one thread).
 */
#include "cpu/ops.h"

#define ALWAYS_INLINE inline __attribute__((always_inline))

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* The result of ALU operation `kind`; cf is the carry-in of ADC/SBB. The
 * value is not masked to the operand size: writers mask it. */
static ALWAYS_INLINE uint32_t alu_calc(int kind, uint32_t a, uint32_t b, uint32_t cf)
{
    switch (kind) {
    case ALU_ADD: return a + b;
    case ALU_OR: return a | b;
    case ALU_ADC: return a + b + cf;
    case ALU_SBB: return a - b - cf;
    case ALU_AND: return a & b;
    case ALU_XOR: return a ^ b;
    default: return a - b; /* SUB, CMP */
    }
}

/* The carry-in of ADC/SBB (read before anything is written). */
static ALWAYS_INLINE uint32_t alu_cin(const Cpu *cpu, int kind)
{
    return (kind == ALU_ADC || kind == ALU_SBB) ? flags_cf(cpu) : 0;
}

/* Records the lazy flags of operation `kind` (after the destination was
 * written). The lazy formulas derive ADC/SBB carries from a, b and r. */
static ALWAYS_INLINE void alu_flags(Cpu *cpu, int kind, uint32_t r, uint32_t a, uint32_t b,
                                    unsigned sz)
{
    unsigned si = size_index(sz);
    switch (kind) {
    case ALU_ADD:
    case ALU_ADC: flags_set(cpu, CC_ADD8 + si, r, a, b); break;
    case ALU_SBB: flags_set(cpu, CC_SBB8 + si, r, a, b); break;
    case ALU_SUB:
    case ALU_CMP: flags_set(cpu, CC_SUB8 + si, r, a, b); break;
    default: flags_set(cpu, CC_LOGIC8 + si, r, a, b); break;
    }
}

/* The memory-operand paths are out of line, so that the register paths
 * (the common case) compile to short leaf functions without register
 * saves. */
#if defined(__clang__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE __attribute__((noinline, noclone)) /* no ISRA clones either */
#endif

/* op [mem], b */
static NOINLINE void alu_mem_dest(Cpu *cpu, const DecodedInsn *d, int kind, uint32_t b, unsigned sz)
{
    uint32_t ea = decode_ea(cpu, d);
    uint32_t a = cpu_rd(cpu, d->seg, ea, sz);
    uint32_t r = alu_calc(kind, a, b, alu_cin(cpu, kind));
    if (kind != ALU_CMP) cpu_wr(cpu, d->seg, ea, r, sz);
    alu_flags(cpu, kind, r, a, b, sz);
}

/* op G, [mem] */
static NOINLINE void alu_mem_src(Cpu *cpu, const DecodedInsn *d, int kind, unsigned sz)
{
    uint32_t b = cpu_rd(cpu, d->seg, decode_ea(cpu, d), sz);
    uint32_t a = reg_read(cpu, d->reg, sz);
    uint32_t r = alu_calc(kind, a, b, alu_cin(cpu, kind));
    if (kind != ALU_CMP) reg_write(cpu, d->reg, r, sz);
    alu_flags(cpu, kind, r, a, b, sz);
}

/* op a (register number ra), b: with lazy flags ADC/SBB go out of line
 * for their carry-in; with eager flags it is at hand. */
static NOINLINE void alu_reg_lazy_cin(Cpu *cpu, int kind, unsigned ra, uint32_t b, unsigned sz)
{
    uint32_t a = reg_read(cpu, ra, sz);
    uint32_t r = alu_calc(kind, a, b, alu_cin(cpu, kind));
    reg_write(cpu, ra, r, sz);
    alu_flags(cpu, kind, r, a, b, sz);
}

static ALWAYS_INLINE void alu_reg(Cpu *cpu, int kind, unsigned ra, uint32_t b, unsigned sz)
{
    uint32_t cf = 0;
    if (kind == ALU_ADC || kind == ALU_SBB) {
        if (cpu->cc_op != CC_EFLAGS) {
            alu_reg_lazy_cin(cpu, kind, ra, b, sz);
            return;
        }
        cf = cpu->eflags & F_CF;
    }
    uint32_t a = reg_read(cpu, ra, sz);
    uint32_t r = alu_calc(kind, a, b, cf);
    if (kind != ALU_CMP) reg_write(cpu, ra, r, sz);
    alu_flags(cpu, kind, r, a, b, sz);
}

/* op E, G */
static ALWAYS_INLINE void alu_e_g(Cpu *cpu, const DecodedInsn *d, int kind, unsigned sz)
{
    uint32_t b = reg_read(cpu, d->reg, sz);
    if (__builtin_expect(d->is_mem, 0))
        alu_mem_dest(cpu, d, kind, b, sz);
    else
        alu_reg(cpu, kind, d->rm, b, sz);
}

/* op G, E */
static ALWAYS_INLINE void alu_g_e(Cpu *cpu, const DecodedInsn *d, int kind, unsigned sz)
{
    if (__builtin_expect(d->is_mem, 0))
        alu_mem_src(cpu, d, kind, sz);
    else
        alu_reg(cpu, kind, d->reg, reg_read(cpu, d->rm, sz), sz);
}

/* op E, imm (imm already sign- or zero-extended by the decoder) */
static ALWAYS_INLINE void alu_e_i(Cpu *cpu, const DecodedInsn *d, int kind, unsigned sz)
{
    uint32_t b = d->imm & size_mask(sz);
    if (__builtin_expect(d->is_mem, 0))
        alu_mem_dest(cpu, d, kind, b, sz);
    else
        alu_reg(cpu, kind, d->rm, b, sz);
}

/* op AL/eAX, imm */
static ALWAYS_INLINE void alu_a_i(Cpu *cpu, const DecodedInsn *d, int kind, unsigned sz)
{
    alu_reg(cpu, kind, R_EAX, d->imm & size_mask(sz), sz);
}

#define DEF_ALU(name, kind)                                                                        \
    void op_##name##_EbGb(Cpu *cpu, const DecodedInsn *d)                                          \
    {                                                                                              \
        alu_e_g(cpu, d, kind, 1);                                                                  \
    }                                                                                              \
    void op_##name##_EvGv(Cpu *cpu, const DecodedInsn *d)                                          \
    {                                                                                              \
        if (d->pfx & PFX_OP32)                                                                     \
            alu_e_g(cpu, d, kind, 4);                                                              \
        else                                                                                       \
            alu_e_g(cpu, d, kind, 2);                                                              \
    }                                                                                              \
    void op_##name##_GbEb(Cpu *cpu, const DecodedInsn *d)                                          \
    {                                                                                              \
        alu_g_e(cpu, d, kind, 1);                                                                  \
    }                                                                                              \
    void op_##name##_GvEv(Cpu *cpu, const DecodedInsn *d)                                          \
    {                                                                                              \
        if (d->pfx & PFX_OP32)                                                                     \
            alu_g_e(cpu, d, kind, 4);                                                              \
        else                                                                                       \
            alu_g_e(cpu, d, kind, 2);                                                              \
    }                                                                                              \
    void op_##name##_EbIb(Cpu *cpu, const DecodedInsn *d)                                          \
    {                                                                                              \
        alu_e_i(cpu, d, kind, 1);                                                                  \
    }                                                                                              \
    void op_##name##_EvIz(Cpu *cpu, const DecodedInsn *d)                                          \
    {                                                                                              \
        if (d->pfx & PFX_OP32)                                                                     \
            alu_e_i(cpu, d, kind, 4);                                                              \
        else                                                                                       \
            alu_e_i(cpu, d, kind, 2);                                                              \
    }                                                                                              \
    void op_##name##_ALIb(Cpu *cpu, const DecodedInsn *d)                                          \
    {                                                                                              \
        alu_a_i(cpu, d, kind, 1);                                                                  \
    }                                                                                              \
    void op_##name##_eAXIz(Cpu *cpu, const DecodedInsn *d)                                         \
    {                                                                                              \
        if (d->pfx & PFX_OP32)                                                                     \
            alu_a_i(cpu, d, kind, 4);                                                              \
        else                                                                                       \
            alu_a_i(cpu, d, kind, 2);                                                              \
    }

DEF_ALU(add, ALU_ADD)
DEF_ALU(or, ALU_OR)
DEF_ALU(adc, ALU_ADC)
DEF_ALU(sbb, ALU_SBB)
DEF_ALU(and, ALU_AND)
DEF_ALU(sub, ALU_SUB)
DEF_ALU(xor, ALU_XOR)
DEF_ALU(cmp, ALU_CMP)

/* ---- TEST: AND without the write ---- */

static ALWAYS_INLINE void test_op(Cpu *cpu, uint32_t a, uint32_t b, unsigned sz)
{
    flags_set(cpu, CC_LOGIC8 + size_index(sz), a & b, a, b);
}

static NOINLINE void test_mem(Cpu *cpu, const DecodedInsn *d, uint32_t b, unsigned sz)
{
    test_op(cpu, cpu_rd(cpu, d->seg, decode_ea(cpu, d), sz), b, sz);
}

/* TEST E, b */
static ALWAYS_INLINE void test_e(Cpu *cpu, const DecodedInsn *d, uint32_t b, unsigned sz)
{
    if (__builtin_expect(d->is_mem, 0))
        test_mem(cpu, d, b, sz);
    else
        test_op(cpu, reg_read(cpu, d->rm, sz), b, sz);
}

void op_test_EbGb(Cpu *cpu, const DecodedInsn *d)
{
    test_e(cpu, d, reg_read(cpu, d->reg, 1), 1);
}
void op_test_EvGv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        test_e(cpu, d, cpu->regs[d->reg], 4);
    else
        test_e(cpu, d, cpu->regs[d->reg] & 0xFFFF, 2);
}
void op_test_EbIb(Cpu *cpu, const DecodedInsn *d)
{
    test_e(cpu, d, d->imm & 0xFF, 1);
}
void op_test_EvIz(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        test_e(cpu, d, d->imm, 4);
    else
        test_e(cpu, d, d->imm & 0xFFFF, 2);
}
void op_test_ALIb(Cpu *cpu, const DecodedInsn *d)
{
    test_op(cpu, cpu->regs[R_EAX] & 0xFF, d->imm & 0xFF, 1);
}
void op_test_eAXIz(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    test_op(cpu, cpu->regs[R_EAX] & size_mask(sz), d->imm & size_mask(sz), sz);
}

/* ---- INC / DEC (CF is preserved) ---- */

static NOINLINE void incdec_mem(Cpu *cpu, const DecodedInsn *d, bool dec, unsigned sz)
{
    uint32_t ea = decode_ea(cpu, d);
    uint32_t a = cpu_rd(cpu, d->seg, ea, sz);
    uint32_t r = dec ? a - 1 : a + 1;
    cpu_wr(cpu, d->seg, ea, r, sz);
    flags_set_incdec(cpu, (dec ? CC_DEC8 : CC_INC8) + size_index(sz), r, a);
}

/* The register form. CF must survive into the new lazy state: it is
 * already in eflags after eager flags and after INC/DEC, and 0 after a
 * logic operation; only after ADD/SUB/SBB does it take flags_cf(), which
 * the out-of-line path does (so the common path stays a leaf). */
static NOINLINE void incdec_reg_slow(Cpu *cpu, unsigned reg, bool dec, unsigned sz)
{
    uint32_t a = reg_read(cpu, reg, sz);
    uint32_t r = dec ? a - 1 : a + 1;
    reg_write(cpu, reg, r, sz);
    flags_set_incdec(cpu, (dec ? CC_DEC8 : CC_INC8) + size_index(sz), r, a);
}

static ALWAYS_INLINE void incdec_reg(Cpu *cpu, unsigned reg, bool dec, unsigned sz)
{
    uint32_t op = cpu->cc_op;
    if (op >= CC_LOGIC8 && op <= CC_LOGIC32) {
        cpu->eflags &= ~F_CF;
    } else if (__builtin_expect(op != CC_EFLAGS && !(op >= CC_INC8 && op <= CC_DEC32), 0)) {
        incdec_reg_slow(cpu, reg, dec, sz);
        return;
    }
    uint32_t a = reg_read(cpu, reg, sz);
    uint32_t r = dec ? a - 1 : a + 1;
    reg_write(cpu, reg, r, sz);
    flags_set(cpu, (dec ? CC_DEC8 : CC_INC8) + size_index(sz), r, a, 1);
}

static ALWAYS_INLINE void incdec_rm(Cpu *cpu, const DecodedInsn *d, bool dec, unsigned sz)
{
    if (__builtin_expect(d->is_mem, 0))
        incdec_mem(cpu, d, dec, sz);
    else
        incdec_reg(cpu, d->rm, dec, sz);
}

void op_inc_Eb(Cpu *cpu, const DecodedInsn *d)
{
    incdec_rm(cpu, d, false, 1);
}
void op_dec_Eb(Cpu *cpu, const DecodedInsn *d)
{
    incdec_rm(cpu, d, true, 1);
}
void op_inc_Ev(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        incdec_rm(cpu, d, false, 4);
    else
        incdec_rm(cpu, d, false, 2);
}
void op_dec_Ev(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        incdec_rm(cpu, d, true, 4);
    else
        incdec_rm(cpu, d, true, 2);
}
void op_inc_Zv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        incdec_reg(cpu, d->reg, false, 4);
    else
        incdec_reg(cpu, d->reg, false, 2);
}
void op_dec_Zv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        incdec_reg(cpu, d->reg, true, 4);
    else
        incdec_reg(cpu, d->reg, true, 2);
}

/* ---- NOT / NEG ---- */

/* NEG is 0 - a: CF = (a != 0), the other flags as SUB. NOT: no flags. */
static ALWAYS_INLINE void negnot_body(Cpu *cpu, const DecodedInsn *d, bool neg, unsigned sz,
                                      bool mem)
{
    uint32_t ea = 0, a;
    if (mem) {
        ea = decode_ea(cpu, d);
        a = cpu_rd(cpu, d->seg, ea, sz);
    } else {
        a = reg_read(cpu, d->rm, sz);
    }
    uint32_t r = neg ? 0u - a : ~a;
    if (mem)
        cpu_wr(cpu, d->seg, ea, r, sz);
    else
        reg_write(cpu, d->rm, r, sz);
    if (neg) flags_set(cpu, CC_SUB8 + size_index(sz), r, 0, a);
}

static NOINLINE void negnot_mem(Cpu *cpu, const DecodedInsn *d, bool neg, unsigned sz)
{
    negnot_body(cpu, d, neg, sz, true);
}

static ALWAYS_INLINE void negnot(Cpu *cpu, const DecodedInsn *d, bool neg, unsigned sz)
{
    if (__builtin_expect(d->is_mem, 0))
        negnot_mem(cpu, d, neg, sz);
    else
        negnot_body(cpu, d, neg, sz, false);
}

void op_not_Eb(Cpu *cpu, const DecodedInsn *d)
{
    negnot(cpu, d, false, 1);
}
void op_not_Ev(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        negnot(cpu, d, false, 4);
    else
        negnot(cpu, d, false, 2);
}
void op_neg_Eb(Cpu *cpu, const DecodedInsn *d)
{
    negnot(cpu, d, true, 1);
}
void op_neg_Ev(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        negnot(cpu, d, true, 4);
    else
        negnot(cpu, d, true, 2);
}

/* ---- sign extension of the accumulator ---- */

/* CBW: AX = sext(AL); CWDE: EAX = sext(AX). */
void op_cbw(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t *eax = &cpu->regs[R_EAX];
    if (d->pfx & PFX_OP32)
        *eax = (uint32_t)(int32_t)(int16_t)*eax;
    else
        *eax = (*eax & 0xFFFF0000u) | ((uint32_t)(int32_t)(int8_t)*eax & 0xFFFF);
}

/* CWD: DX = sign of AX; CDQ: EDX = sign of EAX. */
void op_cwd(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        cpu->regs[R_EDX] = (uint32_t)((int32_t)cpu->regs[R_EAX] >> 31);
    else
        reg_write(cpu, R_EDX, (cpu->regs[R_EAX] & 0x8000) ? 0xFFFF : 0, 2);
}

/* ---- flag instructions ---- */

#define FL_SZAPC_MASK (F_SF | F_ZF | F_AF | F_PF | F_CF)

/* LAHF: AH = SF:ZF:0:AF:0:PF:1:CF. */
void op_lahf(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    uint32_t f = (flags_compute(cpu) & FL_SZAPC_MASK) | 0x02;
    reg_write(cpu, 4 /* AH */, f, 1);
}

/* SAHF: SF, ZF, AF, PF, CF from AH; OF unchanged. */
void op_sahf(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    uint32_t ah = (cpu->regs[R_EAX] >> 8) & FL_SZAPC_MASK;
    uint32_t of = flags_compute(cpu) & F_OF;
    flags_set_eflags(cpu, of | ah);
}

void op_clc(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    flags_materialize(cpu);
    cpu->eflags &= ~F_CF;
}

void op_stc(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    flags_materialize(cpu);
    cpu->eflags |= F_CF;
}

void op_cmc(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    flags_materialize(cpu);
    cpu->eflags ^= F_CF;
}

/* DF is never lazy. */
void op_cld(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    cpu->eflags &= ~F_DF;
}

void op_std(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    cpu->eflags |= F_DF;
}

/* SALC (undocumented, D6): AL = CF ? FF : 00. No flags change. */
void op_salc(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    reg_write(cpu, R_EAX, flags_cf(cpu) ? 0xFF : 0x00, 1);
}

/* ---- conditional set and move ---- */

static NOINLINE void setcc_mem(Cpu *cpu, const DecodedInsn *d)
{
    cpu_wr(cpu, d->seg, decode_ea(cpu, d), flags_cond(cpu, d->op & 0xF) ? 1 : 0, 1);
}

void op_setcc(Cpu *cpu, const DecodedInsn *d)
{
    if (__builtin_expect(d->is_mem, 0))
        setcc_mem(cpu, d);
    else
        reg_write(cpu, d->rm, flags_cond(cpu, d->op & 0xF) ? 1 : 0, 1);
}

/* The source is read (and may fault) whatever the condition. */
static NOINLINE void cmov_mem(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    uint32_t v = cpu_rd(cpu, d->seg, decode_ea(cpu, d), sz);
    if (flags_cond(cpu, d->op & 0xF)) reg_write(cpu, d->reg, v, sz);
}

void op_cmovcc(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    if (__builtin_expect(d->is_mem, 0))
        cmov_mem(cpu, d, sz);
    else if (flags_cond(cpu, d->op & 0xF))
        reg_write(cpu, d->reg, reg_read(cpu, d->rm, sz), sz);
}

/* ---- zero and sign extension ---- */

enum { X_ZB, X_ZW, X_SB, X_SW }; /* MOVZX/MOVSX from a byte/word */

static ALWAYS_INLINE uint32_t ext(int kind, uint32_t v)
{
    switch (kind) {
    case X_ZB: return v & 0xFF;
    case X_ZW: return v & 0xFFFF;
    case X_SB: return (uint32_t)(int32_t)(int8_t)v;
    default: return (uint32_t)(int32_t)(int16_t)v;
    }
}

static NOINLINE void movx_mem(Cpu *cpu, const DecodedInsn *d, int kind)
{
    unsigned ssz = (kind == X_ZB || kind == X_SB) ? 1 : 2;
    uint32_t v = cpu_rd(cpu, d->seg, decode_ea(cpu, d), ssz);
    reg_write(cpu, d->reg, ext(kind, v), op_size(d));
}

static ALWAYS_INLINE void movx(Cpu *cpu, const DecodedInsn *d, int kind)
{
    if (__builtin_expect(d->is_mem, 0)) {
        movx_mem(cpu, d, kind);
        return;
    }
    unsigned ssz = (kind == X_ZB || kind == X_SB) ? 1 : 2;
    uint32_t v = ext(kind, reg_read(cpu, d->rm, ssz));
    if (d->pfx & PFX_OP32)
        cpu->regs[d->reg] = v;
    else
        reg_write(cpu, d->reg, v, 2);
}

void op_movzx_GvEb(Cpu *cpu, const DecodedInsn *d)
{
    movx(cpu, d, X_ZB);
}
void op_movzx_GvEw(Cpu *cpu, const DecodedInsn *d)
{
    movx(cpu, d, X_ZW);
}
void op_movsx_GvEb(Cpu *cpu, const DecodedInsn *d)
{
    movx(cpu, d, X_SB);
}
void op_movsx_GvEw(Cpu *cpu, const DecodedInsn *d)
{
    movx(cpu, d, X_SW);
}

/* ---- XADD / CMPXCHG / CMPXCHG8B ---- */

/* TEMP = SRC + DEST; SRC = DEST; DEST = TEMP. With the same register as
 * both operands the sum wins (DEST is written last). */
static ALWAYS_INLINE void xadd(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    uint32_t ea = 0;
    uint32_t a = rm_read(cpu, d, &ea, sz);
    uint32_t b = reg_read(cpu, d->reg, sz);
    uint32_t r = a + b;
    if (d->is_mem) {
        cpu_wr(cpu, d->seg, ea, r, sz);
        reg_write(cpu, d->reg, a, sz);
    } else {
        reg_write(cpu, d->reg, a, sz);
        reg_write(cpu, d->rm, r, sz);
    }
    flags_set(cpu, CC_ADD8 + size_index(sz), r, a, b);
}

void op_xadd_EbGb(Cpu *cpu, const DecodedInsn *d)
{
    xadd(cpu, d, 1);
}
void op_xadd_EvGv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        xadd(cpu, d, 4);
    else
        xadd(cpu, d, 2);
}

/* Flags as CMP accumulator, DEST. Equal: DEST = SRC. Not equal: the
 * accumulator receives DEST and DEST is written back unchanged. */
static ALWAYS_INLINE void cmpxchg(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    uint32_t ea = 0;
    uint32_t dest = rm_read(cpu, d, &ea, sz);
    uint32_t acc = reg_read(cpu, R_EAX, sz);
    uint32_t src = reg_read(cpu, d->reg, sz);
    if (acc == dest) {
        rm_write(cpu, d, ea, src, sz);
    } else {
        if (d->is_mem) cpu_wr(cpu, d->seg, ea, dest, sz);
        reg_write(cpu, R_EAX, dest, sz);
    }
    flags_set(cpu, CC_SUB8 + size_index(sz), acc - dest, acc, dest);
}

void op_cmpxchg_EbGb(Cpu *cpu, const DecodedInsn *d)
{
    cmpxchg(cpu, d, 1);
}
void op_cmpxchg_EvGv(Cpu *cpu, const DecodedInsn *d)
{
    if (d->pfx & PFX_OP32)
        cmpxchg(cpu, d, 4);
    else
        cmpxchg(cpu, d, 2);
}

/* CMPXCHG8B m64 (the decoder rejects a register operand). Only ZF changes.
 * The high dword is written first with its old value so that a fault on
 * either half happens before anything changed (an m64 may cross a page). */
void op_cmpxchg8b(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t ea = decode_ea(cpu, d);
    uint32_t ea_hi = ea + 4;
    if (!(d->pfx & PFX_ADDR32)) ea_hi &= 0xFFFF;
    uint32_t lo = cpu_rd32(cpu, d->seg, ea);
    uint32_t hi = cpu_rd32(cpu, d->seg, ea_hi);
    bool eq = lo == cpu->regs[R_EAX] && hi == cpu->regs[R_EDX];
    cpu_wr32(cpu, d->seg, ea_hi, hi);
    if (eq) {
        cpu_wr32(cpu, d->seg, ea, cpu->regs[R_EBX]);
        cpu_wr32(cpu, d->seg, ea_hi, cpu->regs[R_ECX]);
    } else {
        cpu_wr32(cpu, d->seg, ea, lo);
        cpu->regs[R_EAX] = lo;
        cpu->regs[R_EDX] = hi;
    }
    flags_materialize(cpu);
    if (eq)
        cpu->eflags |= F_ZF;
    else
        cpu->eflags &= ~F_ZF;
}

/* ---- BSWAP ---- */

/* The register is in d->reg (+r form). With a 16-bit operand size the
 * P6 (like later CPUs) leaves zero in the low word; the high word stays. */
void op_bswap(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t *r = &cpu->regs[d->reg];
    if (d->pfx & PFX_OP32)
        *r = __builtin_bswap32(*r);
    else
        *r &= 0xFFFF0000u;
}
