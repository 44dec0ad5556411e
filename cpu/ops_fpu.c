/*
 * ops_fpu.c - the x87 instructions of a P6: the escape opcodes D8-DF, WAIT
 * (9B) and FXSAVE/FXRSTOR (0F AE /0, /1).
 *
 * SDM Vol. 1 chapter 8 (the register stack, status/control/tag words, the
 * instruction and data pointers: 8.1.8 lists the control instructions that
 * leave them alone; stack overflow and underflow 8.5.1.1; waiting and
 * non-waiting instructions 8.3.12; exception handling 8.6-8.7; the
 * FSTENV/FSAVE images, Figures 8-9 to 8-12), chapter 10.5.1 (the FXSAVE
 * image), Vol. 2 (each instruction's page: masked responses, condition
 * codes), Vol. 3 chapter 9 (CR0.EM/TS/MP and #NM) and the opcode map's x87
 * tables (Appendix A.5), including the aliases a P6 accepts (D9 D8+i FSTP1,
 * DC D0+i FCOM2, DC D8+i FCOMP3, DD C8+i FXCH4, DE D0+i FCOMP5, DF C8+i
 * FXCH7, DF D0+i/D8+i FSTP8/9, DF C0+i FFREEP).
 *
 * The arithmetic is cpu/softfloat.c (bit-exact 80-bit extended precision);
 * this file is the machine around it: which operands an instruction takes,
 * stack faults, masked responses, condition codes, pointers, memory images.
 *
 * Order inside a handler: #UD for an undefined encoding, then #NM (CR0.EM or
 * CR0.TS), then a pending unmasked exception (#MF or FERR#) for the waiting
 * instructions, then the memory operand (a store probes its whole
 * destination first), and only then any change to the FPU state, so a fault
 * leaves the state as it was and the instruction restarts cleanly.
 *
 * Masked and unmasked responses: an unmasked invalid-operation, denormal or
 * zero-divide exception leaves the destination and the stack alone; an
 * unmasked overflow or underflow stores the exponent-adjusted result to a
 * register (softfloat.c computes it) and nothing to memory. Either way ES
 * and B are set and the next waiting instruction reports it.
 *
 * Known deviations (docs/fpu.md): with CR0.NE = 0 FERR# does not freeze
 * the CPU (cpu/fpu.h); where the SDM is silent (C1 after FFREE and FCMOV,
 * FPREM's codes without a numeric result, FLD of a denormal with DE
 * unmasked, FPTAN of a NaN) the behaviour is the host oracle's; the
 * real-mode FSTENV/FSAVE images hold linear pointers computed from the
 * selector (CS * 16 + IP), not from a cached segment base; FXSAVE writes
 * bytes 0-159 only (a Pentium II has no XMM registers). FISTTP (SSE3) is
 * #UD and FENI/FDISI/FSETPM are no-ops, as on a P6.
 */
#include <string.h>

#include "cpu/fpu.h"
#include "cpu/ops.h"
#include "cpu/softfloat.h"

/* Exceptions that keep a result from reaching a register (pre-computation
 * exceptions) and those that also keep it from memory. */
#define BLOCK_REG (FSW_IE | FSW_DE | FSW_ZE)
#define BLOCK_MEM (FSW_IE | FSW_DE | FSW_ZE | FSW_OE | FSW_UE)

static const Fx80 FX_INDEF = {0xC000000000000000ull, 0xFFFF}; /* real indefinite */
static const Fx80 FX_ONE = {0x8000000000000000ull, 0x3FFF};
static const Fx80 FX_ZERO = {0, 0};

/* ------------------------------------------------------------------ */
/* entry, pointers, memory                                             */

/* Every escape opcode: #NM with CR0.EM or CR0.TS (the OS switches the FPU
 * state lazily on the fault); waiting instructions then report a pending
 * unmasked exception. */
static inline void fpu_enter(Cpu *cpu, bool waiting)
{
    if (cpu->cr[0] & (CR0_EM | CR0_TS)) cpu_fault(cpu, EXC_NM);
    if (waiting && (cpu->fpu.sw & FSW_ES)) fpu_check_pending(cpu);
}

/* A non-control instruction records itself: opcode (low 3 bits of the
 * escape byte and the ModRM byte), CS:EIP including prefixes and, with a
 * memory operand, its segment and offset. */
static void fpu_note(Cpu *cpu, const DecodedInsn *d, uint32_t ea)
{
    X87State *f = &cpu->fpu;
    f->fop = (uint16_t)(((d->op & 7u) << 8) | d->modrm);
    f->fip = cpu->eip;
    f->fcs = cpu->seg[S_CS].sel;
    if (d->is_mem) {
        f->fdp = ea;
        f->fds = cpu->seg[d->seg].sel;
    }
}

/* Reads len bytes at seg:off (the pieces are checked one by one, which for
 * a read is the same as checking the whole). */
static void fpu_read(Cpu *cpu, int seg, uint32_t off, uint8_t *buf, unsigned len)
{
    unsigned k = 0;
    for (; k + 4 <= len; k += 4) {
        uint32_t v = cpu_rd32(cpu, seg, off + k);
        memcpy(buf + k, &v, 4);
    }
    for (; k + 2 <= len; k += 2) {
        uint16_t v = cpu_rd16(cpu, seg, off + k);
        memcpy(buf + k, &v, 2);
    }
    if (k < len) buf[k] = cpu_rd8(cpu, seg, off + k);
}

/* Writes len bytes at seg:off; the caller has probed the range. */
static void fpu_write(Cpu *cpu, int seg, uint32_t off, const uint8_t *buf, unsigned len)
{
    unsigned k = 0;
    for (; k + 4 <= len; k += 4) {
        uint32_t v;
        memcpy(&v, buf + k, 4);
        cpu_wr32(cpu, seg, off + k, v);
    }
    for (; k + 2 <= len; k += 2) {
        uint16_t v;
        memcpy(&v, buf + k, 2);
        cpu_wr16(cpu, seg, off + k, v);
    }
    if (k < len) cpu_wr8(cpu, seg, off + k, buf[k]);
}

static inline void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}
static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

static void put_fx80(uint8_t *p, Fx80 v)
{
    put32(p, (uint32_t)v.mant);
    put32(p + 4, (uint32_t)(v.mant >> 32));
    put16(p + 8, v.se);
}
static Fx80 get_fx80(const uint8_t *p)
{
    Fx80 v;
    v.mant = get32(p) | (uint64_t)get32(p + 4) << 32;
    v.se = get16(p + 8);
    return v;
}

static uint64_t rd64(Cpu *cpu, int seg, uint32_t off)
{
    uint8_t b[8];
    fpu_read(cpu, seg, off, b, 8);
    return get32(b) | (uint64_t)get32(b + 4) << 32;
}

/* ------------------------------------------------------------------ */
/* status word helpers                                                 */

static inline void set_c1(X87State *f, bool on)
{
    if (on)
        f->sw |= FSW_C1;
    else
        f->sw &= (uint16_t)~FSW_C1;
}
/* Sets C0-C3 to cc (FSW_C* bits). */
static inline void set_cc(X87State *f, unsigned cc)
{
    f->sw = (uint16_t)((f->sw & ~FSW_CC) | (cc & FSW_CC));
}

/* Records the exception flags of an operation. Returns false when an
 * unmasked one among `block` forbids writing the result. */
static bool fpu_exc(X87State *f, unsigned flags, unsigned block)
{
    flags &= FSW_EXC;
    /* An unmasked invalid, denormal or zero-divide exception stops the
     * instruction before it computes: no overflow, underflow or precision
     * flag can come with it. */
    if (flags & ~f->cw & BLOCK_REG) flags &= BLOCK_REG;
    f->sw |= (uint16_t)flags;
    unsigned unmasked = flags & ~f->cw & FSW_EXC;
    if (unmasked) f->sw |= FSW_ES | FSW_B;
    return !(unmasked & block);
}

/* Stack overflow (a push onto a full register) or underflow (an empty
 * source): IE and SF, C1 = 1 or 0. Returns true when IE is masked: the
 * caller then applies the masked response (the indefinite). */
static bool fpu_stack_fault(X87State *f, bool overflow)
{
    f->sw |= FSW_IE | FSW_SF;
    set_c1(f, overflow);
    if (f->cw & FSW_IE) return true;
    f->sw |= FSW_ES | FSW_B;
    return false;
}
static inline bool fpu_underflow(X87State *f) { return fpu_stack_fault(f, false); }
static inline bool fpu_overflow(X87State *f) { return fpu_stack_fault(f, true); }

static void fpu_pops(X87State *f, unsigned n)
{
    while (n--) fpu_pop(f);
}

/* Arithmetic is rounded to the precision control; everything else (FSCALE,
 * FPREM, transcendentals, conversions) to 64 bits (SDM Vol. 1 8.1.5.2). */
static inline SfStatus st_pc(const X87State *f) { return sf_status(f->cw); }
static inline SfStatus st_64(const X87State *f)
{
    SfStatus st = sf_status(f->cw);
    st.pc = SF_PC_64;
    return st;
}

/* ------------------------------------------------------------------ */
/* loads and stores                                                     */

/* Pushes v (a load); st holds the flags of its conversion. */
static void fpu_load(X87State *f, Fx80 v, SfStatus st)
{
    set_c1(f, false);
    if (!fpu_st_empty(f, 7)) {
        if (fpu_overflow(f)) fpu_push(f, FX_INDEF);
        return;
    }
    /* Only an unmasked invalid operation (an SNaN) keeps the value out;
     * a denormal is loaded whatever DM says. */
    if (!fpu_exc(f, st.flags, FSW_IE)) return;
    fpu_push(f, v);
}

/* FLD ST(i). */
static void fpu_load_st(X87State *f, unsigned i)
{
    set_c1(f, false);
    /* An empty source is reported before a full destination (as the host
     * oracle does; either way IE and SF, masked: the indefinite). */
    if (fpu_st_empty(f, i)) {
        if (fpu_underflow(f)) fpu_push(f, FX_INDEF);
        return;
    }
    if (!fpu_st_empty(f, 7)) {
        if (fpu_overflow(f)) fpu_push(f, FX_INDEF);
        return;
    }
    fpu_push(f, fpu_st(f, i));
}

/* FST/FSTP ST(i) and the aliases FSTP1/8/9. */
static void fpu_store_st(X87State *f, unsigned i, bool pop)
{
    set_c1(f, false);
    if (fpu_st_empty(f, 0)) {
        if (!fpu_underflow(f)) return;
        fpu_set_st(f, i, FX_INDEF);
    } else {
        fpu_set_st(f, i, fpu_st(f, 0));
    }
    if (pop) fpu_pop(f);
}

/* Memory stores: the destination has been probed. */
enum { ST_F32, ST_F64, ST_F80, ST_I16, ST_I32, ST_I64, ST_BCD };
static const uint8_t store_len[] = {4, 8, 10, 2, 4, 8, 10};

static void fpu_store_mem(Cpu *cpu, const DecodedInsn *d, unsigned kind, bool pop)
{
    X87State *f = &cpu->fpu;
    unsigned len = store_len[kind];
    uint32_t ea = decode_ea(cpu, d);
    fpu_mem_probe(cpu, d->seg, ea, len, true);
    fpu_note(cpu, d, ea);
    uint8_t b[10];
    SfStatus st = st_64(f);
    set_c1(f, false);
    if (fpu_st_empty(f, 0)) {
        if (!fpu_underflow(f)) return;
        /* The masked response writes the indefinite of the format. */
        static const uint8_t indef[][10] = {
            [ST_F32] = {0x00, 0x00, 0xC0, 0xFF},
            [ST_F64] = {0, 0, 0, 0, 0, 0, 0xF8, 0xFF},
            [ST_F80] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF},
            [ST_I16] = {0x00, 0x80},
            [ST_I32] = {0, 0, 0, 0x80},
            [ST_I64] = {0, 0, 0, 0, 0, 0, 0, 0x80},
            [ST_BCD] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF},
        };
        memcpy(b, indef[kind], len);
    } else {
        Fx80 v = fpu_st(f, 0);
        switch (kind) {
        case ST_F32: put32(b, sf_to_f32(v, &st)); break;
        case ST_F64: {
            uint64_t r = sf_to_f64(v, &st);
            put32(b, (uint32_t)r);
            put32(b + 4, (uint32_t)(r >> 32));
            break;
        }
        case ST_F80: put_fx80(b, v); break;
        case ST_I16: put16(b, (uint32_t)sf_to_int(v, 16, false, &st)); break;
        case ST_I32: put32(b, (uint32_t)sf_to_int(v, 32, false, &st)); break;
        case ST_I64: {
            uint64_t r = (uint64_t)sf_to_int(v, 64, false, &st);
            put32(b, (uint32_t)r);
            put32(b + 4, (uint32_t)(r >> 32));
            break;
        }
        default: sf_to_bcd(v, b, &st); break;
        }
        if (!fpu_exc(f, st.flags, BLOCK_MEM)) return;
        set_c1(f, st.c1);
    }
    fpu_write(cpu, d->seg, ea, b, len);
    if (pop) fpu_pop(f);
}

/* ------------------------------------------------------------------ */
/* arithmetic and comparisons                                           */

/* The eight operations of D8/DC/DE and their memory forms, by ModRM.reg,
 * on x = ST(0) and y = the other operand: 4 and 6 compute x - y and x / y,
 * 5 and 7 the reverse. (DC/DE register forms name them the other way
 * round because their destination is ST(i): DC E0+i "FSUBR ST(i), ST(0)"
 * computes ST(0) - ST(i), which is x - y.) */
static Fx80 arith(unsigned op, Fx80 x, Fx80 y, SfStatus *st)
{
    switch (op & 7) {
    case 0: return sf_add(x, y, st);
    case 1: return sf_mul(x, y, st);
    case 4: return sf_sub(x, y, st);
    case 5: return sf_sub(y, x, st);
    case 6: return sf_div(x, y, st);
    default: return sf_div(y, x, st);
    }
}

/* ST(dst) = x op y, then pop if asked. */
static void fpu_arith(X87State *f, unsigned op, unsigned dst, Fx80 x, Fx80 y, bool pop,
                      SfStatus st)
{
    Fx80 r = arith(op, x, y, &st);
    set_c1(f, false);
    if (!fpu_exc(f, st.flags, BLOCK_REG)) return;
    set_c1(f, st.c1);
    fpu_set_st(f, dst, r);
    if (pop) fpu_pop(f);
}

/* Register forms: D8 (ST(0) = ST(0) op ST(i)), DC and DE (ST(i) = ...). */
static void fpu_arith_reg(X87State *f, unsigned op, unsigned i, bool to_sti, bool pop)
{
    unsigned dst = to_sti ? i : 0;
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, i)) {
        if (fpu_underflow(f)) {
            fpu_set_st(f, dst, FX_INDEF);
            if (pop) fpu_pop(f);
        }
        return;
    }
    fpu_arith(f, op, dst, fpu_st(f, 0), fpu_st(f, i), pop, st_pc(f));
}

static unsigned cmp_cc(int r)
{
    switch (r) {
    case -1: return FSW_C0;
    case 0: return FSW_C3;
    case 1: return 0;
    default: return FSW_C3 | FSW_C2 | FSW_C0;
    }
}

/* FCOM, FCOMP, FCOMPP, FUCOM, FUCOMP, FUCOMPP, FICOM, FICOMP, FTST: ST(0)
 * against b (b_empty: b is an empty register). */
static void fpu_compare(X87State *f, bool b_empty, Fx80 b, bool quiet, unsigned pops,
                        SfStatus st)
{
    if (fpu_st_empty(f, 0) || b_empty) {
        if (fpu_underflow(f)) {
            set_cc(f, FSW_C3 | FSW_C2 | FSW_C0);
            fpu_pops(f, pops);
        }
        return;
    }
    int r = sf_compare(fpu_st(f, 0), b, quiet, &st);
    set_c1(f, false);
    /* Unmasked invalid: the condition codes are not set, nothing pops. */
    if (!fpu_exc(f, st.flags, BLOCK_REG)) return;
    set_cc(f, cmp_cc(r));
    fpu_pops(f, pops);
}

static void fpu_compare_reg(X87State *f, unsigned i, bool quiet, unsigned pops)
{
    fpu_compare(f, fpu_st_empty(f, i), fpu_st(f, i), quiet, pops, st_64(f));
}

/* FCOMI/FCOMIP/FUCOMI/FUCOMIP: the result goes to ZF, PF, CF (OF, SF, AF
 * cleared); C1 = 0. */
static void fpu_comi(Cpu *cpu, unsigned i, bool quiet, bool pop)
{
    X87State *f = &cpu->fpu;
    set_c1(f, false);
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, i)) {
        if (fpu_underflow(f)) {
            flags_set_eflags(cpu, F_ZF | F_PF | F_CF);
            if (pop) fpu_pop(f);
        } else {
            cpu_set_eflags(cpu, 0, F_OF | F_SF | F_AF);
        }
        return;
    }
    SfStatus st = st_64(f);
    int r = sf_compare(fpu_st(f, 0), fpu_st(f, i), quiet, &st);
    if (!fpu_exc(f, st.flags, BLOCK_REG)) {
        /* Unmasked invalid: ZF, PF, CF stay; OF, SF, AF are cleared
         * regardless (SDM Vol. 2 FCOMI). */
        cpu_set_eflags(cpu, 0, F_OF | F_SF | F_AF);
        return;
    }
    uint32_t e = r == 2 ? (F_ZF | F_PF | F_CF) : r == 0 ? F_ZF : r < 0 ? F_CF : 0;
    flags_set_eflags(cpu, e);
    if (pop) fpu_pop(f);
}

/* The memory forms of D8/DA/DC/DE: arithmetic or FCOM/FCOMP on ST(0) and
 * the converted operand y (st carries the conversion's flags). */
static void fpu_mem_op(X87State *f, unsigned op, Fx80 y, SfStatus st)
{
    /* FDIVR of a denormal operand by a zero ST(0) is a zero divide and
     * nothing else (as on the host oracle). */
    if (op == 7 && !fpu_st_empty(f, 0) && sf_is_zero(fpu_st(f, 0))) st.flags &= (uint8_t)~SF_DE;
    /* A denormal operand with DE unmasked: nothing is computed (after the
     * stack check, which comes first). */
    if ((st.flags & ~f->cw & SF_DE) && !fpu_st_empty(f, 0)) {
        set_c1(f, false);
        fpu_exc(f, st.flags, BLOCK_REG);
        return;
    }
    if (op == 2 || op == 3) {
        fpu_compare(f, false, y, false, op == 3, st);
        return;
    }
    if (fpu_st_empty(f, 0)) {
        if (fpu_underflow(f)) fpu_set_st(f, 0, FX_INDEF);
        return;
    }
    fpu_arith(f, op, 0, fpu_st(f, 0), y, false, st);
}

/* Register forms shared by D8, DC, DE (op = ModRM.reg). */
static void fpu_reg_op(X87State *f, unsigned op, unsigned i, bool to_sti, bool pop)
{
    if (op == 2 || op == 3)
        fpu_compare_reg(f, i, false, op == 3);
    else
        fpu_arith_reg(f, op, i, to_sti, pop);
}

/* ------------------------------------------------------------------ */
/* one-operand and special instructions                                */

/* ST(0) = fn(ST(0)). */
static void fpu_unary(X87State *f, Fx80 (*fn)(Fx80, SfStatus *), SfStatus st)
{
    set_c1(f, false);
    if (fpu_st_empty(f, 0)) {
        if (fpu_underflow(f)) fpu_set_st(f, 0, FX_INDEF);
        return;
    }
    Fx80 r = fn(fpu_st(f, 0), &st);
    if (!fpu_exc(f, st.flags, BLOCK_REG)) return;
    set_c1(f, st.c1);
    fpu_set_st(f, 0, r);
}

static Fx80 f2xm1(Fx80 a, SfStatus *st) { return sf_f2xm1(a, st); }
static Fx80 fsqrt(Fx80 a, SfStatus *st) { return sf_sqrt(a, st); }
static Fx80 frndint(Fx80 a, SfStatus *st) { return sf_round_to_int(a, st); }

/* FPATAN, FYL2X, FYL2XP1: ST(1) = fn(ST(0), ST(1)), pop. */
enum { TWO_ATAN, TWO_YL2X, TWO_YL2XP1 };
static void fpu_two_pop(X87State *f, unsigned which)
{
    set_c1(f, false);
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, 1)) {
        if (fpu_underflow(f)) {
            fpu_set_st(f, 1, FX_INDEF);
            fpu_pop(f);
        }
        return;
    }
    SfStatus st = st_64(f);
    Fx80 x = fpu_st(f, 0), y = fpu_st(f, 1), r;
    switch (which) {
    case TWO_ATAN: r = sf_atan2(y, x, &st); break;
    case TWO_YL2X: r = sf_fyl2x(x, y, &st); break;
    default: r = sf_fyl2xp1(x, y, &st); break;
    }
    if (!fpu_exc(f, st.flags, BLOCK_REG)) return;
    set_c1(f, st.c1);
    fpu_set_st(f, 1, r);
    fpu_pop(f);
}

/* FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)). */
static void fpu_fscale(X87State *f)
{
    set_c1(f, false);
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, 1)) {
        if (fpu_underflow(f)) fpu_set_st(f, 0, FX_INDEF);
        return;
    }
    SfStatus st = st_64(f);
    Fx80 r = sf_scale(fpu_st(f, 0), fpu_st(f, 1), &st);
    if (!fpu_exc(f, st.flags, BLOCK_REG)) return;
    set_c1(f, st.c1);
    fpu_set_st(f, 0, r);
}

/* FPREM (ieee = false) and FPREM1: ST(0) = remainder of ST(0) / ST(1);
 * C2 = 1 while the reduction is incomplete; C0, C3, C1 = quotient bits 2, 1,
 * 0. */
static void fpu_fprem(X87State *f, bool ieee)
{
    /* Without a numeric result (stack fault, invalid operation, NaN
     * operand) C2 and C1 are cleared and C0, C3 stay (as measured on the
     * host oracle; the SDM leaves them unspecified). */
    set_c1(f, false);
    f->sw &= (uint16_t)~FSW_C2;
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, 1)) {
        if (fpu_underflow(f)) fpu_set_st(f, 0, FX_INDEF);
        return;
    }
    SfStatus st = st_64(f);
    unsigned q = 0;
    bool incomplete = false;
    Fx80 r = sf_prem(fpu_st(f, 0), fpu_st(f, 1), ieee, &q, &incomplete, &st);
    if (!fpu_exc(f, st.flags, BLOCK_REG)) return;
    if (sf_is_nan(r)) {
        fpu_set_st(f, 0, r);
        return;
    }
    unsigned cc = 0;
    if (incomplete) {
        cc = FSW_C2;
    } else {
        if (q & 4) cc |= FSW_C0;
        if (q & 2) cc |= FSW_C3;
        if (q & 1) cc |= FSW_C1;
    }
    set_cc(f, cc);
    fpu_set_st(f, 0, r);
}

/* The instructions that replace ST(0) and push a second result (FXTRACT,
 * FPTAN, FSINCOS) fault when ST(0) is empty or ST(7) is in use; the masked
 * response leaves the indefinite in both. Returns true when the operation
 * may go ahead. */
static bool fpu_two_results_ok(X87State *f)
{
    set_c1(f, false);
    bool under = fpu_st_empty(f, 0);
    if (!under && fpu_st_empty(f, 7)) return true;
    if (fpu_stack_fault(f, !under)) {
        fpu_set_st(f, 0, FX_INDEF);
        fpu_push(f, FX_INDEF);
    }
    return false;
}

static void fpu_fxtract(X87State *f)
{
    if (!fpu_two_results_ok(f)) return;
    SfStatus st = st_64(f);
    Fx80 sig = FX_ZERO;
    Fx80 e = sf_xtract(fpu_st(f, 0), &sig, &st);
    if (!fpu_exc(f, st.flags, BLOCK_REG)) return;
    fpu_set_st(f, 0, e);
    fpu_push(f, sig);
}

/* FPTAN (push 1.0 after tan), FSINCOS (ST(1) = sin, ST(0) = cos). An
 * operand beyond 2^63 sets C2 and leaves the stack alone. */
static void fpu_fptan_fsincos(X87State *f, bool sincos)
{
    f->sw &= (uint16_t)~FSW_C2; /* 1 only when out of range */
    if (!fpu_two_results_ok(f)) return;
    SfStatus st = st_64(f);
    bool oor = false;
    Fx80 a = fpu_st(f, 0), r1, r2;
    if (sincos) {
        r1 = sf_sin(a, &oor, &st);
        if (!oor) {
            SfStatus st2 = st_64(f);
            r2 = sf_cos(a, &oor, &st2);
            st.flags |= st2.flags;
        } else {
            r2 = FX_ZERO;
        }
    } else {
        /* A NaN result (NaN operand, or the indefinite of an invalid
         * one) is pushed again instead of 1.0, as the host oracle does. */
        r1 = sf_tan(a, &oor, &st);
        r2 = sf_is_nan(r1) ? r1 : FX_ONE;
    }
    if (oor) {
        f->sw |= FSW_C2;
        return;
    }
    if (!fpu_exc(f, st.flags, BLOCK_REG)) return;
    set_c1(f, st.c1);
    fpu_set_st(f, 0, r1);
    fpu_push(f, r2);
}

/* FSIN, FCOS: C2 = 1 (and ST(0) unchanged) beyond 2^63. */
static void fpu_fsin_fcos(X87State *f, bool cos)
{
    set_c1(f, false);
    f->sw &= (uint16_t)~FSW_C2; /* 1 only when out of range */
    if (fpu_st_empty(f, 0)) {
        if (fpu_underflow(f)) fpu_set_st(f, 0, FX_INDEF);
        return;
    }
    SfStatus st = st_64(f);
    bool oor = false;
    Fx80 r = cos ? sf_cos(fpu_st(f, 0), &oor, &st) : sf_sin(fpu_st(f, 0), &oor, &st);
    if (oor) {
        f->sw |= FSW_C2;
        return;
    }
    if (!fpu_exc(f, st.flags, BLOCK_REG)) return;
    set_c1(f, st.c1);
    fpu_set_st(f, 0, r);
}

/* FCHS, FABS: the sign alone changes; never an arithmetic exception. */
static void fpu_sign(X87State *f, bool abs)
{
    set_c1(f, false);
    if (fpu_st_empty(f, 0)) {
        if (fpu_underflow(f)) fpu_set_st(f, 0, FX_INDEF);
        return;
    }
    Fx80 v = fpu_st(f, 0);
    v.se = abs ? (uint16_t)(v.se & 0x7FFF) : (uint16_t)(v.se ^ 0x8000);
    fpu_set_st(f, 0, v);
}

/* FXAM: C3 C2 C0 classify ST(0) (empty: 1 0 1), C1 is its sign bit. */
static void fpu_fxam(X87State *f)
{
    Fx80 v = fpu_st(f, 0);
    unsigned cls = fpu_st_empty(f, 0) ? 5 : sf_fxam_class(v);
    unsigned cc = (cls & 4 ? FSW_C3 : 0) | (cls & 2 ? FSW_C2 : 0) | (cls & 1 ? FSW_C0 : 0);
    if (sf_sign(v)) cc |= FSW_C1;
    set_cc(f, cc);
}

/* FXCH ST(i): an empty operand is an underflow; masked, it takes part in
 * the exchange as the indefinite. */
static void fpu_fxch(X87State *f, unsigned i)
{
    set_c1(f, false);
    Fx80 a = fpu_st(f, 0), b = fpu_st(f, i);
    bool ea = fpu_st_empty(f, 0), eb = fpu_st_empty(f, i);
    if (ea || eb) {
        if (!fpu_underflow(f)) return;
        if (ea) a = FX_INDEF;
        if (eb) b = FX_INDEF;
    }
    fpu_set_st(f, 0, b);
    fpu_set_st(f, i, a);
}

/* FCMOVcc: ST(0) = ST(i) when the EFLAGS condition holds. */
static void fpu_fcmov(Cpu *cpu, unsigned i, unsigned cond, bool negate)
{
    X87State *f = &cpu->fpu;
    /* C1 is defined only for the underflow (0); otherwise it stays. */
    if (fpu_st_empty(f, 0) || fpu_st_empty(f, i)) {
        if (fpu_underflow(f)) fpu_set_st(f, 0, FX_INDEF);
        return;
    }
    if (flags_cond(cpu, cond) != negate) fpu_set_st(f, 0, fpu_st(f, i));
}

/* FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ (D9 E8-EE). The
 * irrational constants are the exact values rounded by RC (the P6 keeps
 * them to more than 64 bits, SDM Vol. 1 8.3.8): the nearest 64-bit
 * significand is below the true value for log2(10) and above it for the
 * others, so RC=up raises L2T by one unit and RC=down or chop lowers the
 * rest. */
static Fx80 fpu_constant(unsigned k, unsigned rc)
{
    bool up = rc == SF_RC_UP, down = rc == SF_RC_DOWN || rc == SF_RC_ZERO;
    switch (k) {
    case 0: return FX_ONE;
    case 1: return (Fx80){0xD49A784BCD1B8AFEull + up, 0x4000};
    case 2: return (Fx80){0xB8AA3B295C17F0BCull - down, 0x3FFF};
    case 3: return (Fx80){0xC90FDAA22168C235ull - down, 0x4000};
    case 4: return (Fx80){0x9A209A84FBCFF799ull - down, 0x3FFD};
    case 5: return (Fx80){0xB17217F7D1CF79ACull - down, 0x3FFE};
    default: return FX_ZERO;
    }
}

/* ------------------------------------------------------------------ */
/* environment and state images                                        */

/* FSTENV/FLDENV image: 28 bytes with a 32-bit operand size, else 14;
 * the real-mode layout in real and virtual-8086 mode (Figures 8-9..8-12). */
static inline bool env_32(const DecodedInsn *d) { return (d->pfx & PFX_OP32) != 0; }
static inline bool env_real(const Cpu *cpu)
{
    return !(cpu->cr[0] & CR0_PE) || (cpu->eflags & F_VM);
}
static inline unsigned env_len(const DecodedInsn *d) { return env_32(d) ? 28 : 14; }

/* The full tag word as FSTENV/FSAVE store it: empty, or the class of the
 * register's content (so after MMX instructions, which leave every tag
 * "valid", the stored tags describe what the registers hold). */
static uint16_t fpu_tag_word(const X87State *f)
{
    uint16_t tw = 0;
    for (unsigned p = 0; p < 8; p++) {
        unsigned t = fpu_tag(f, p) == FTAG_EMPTY ? FTAG_EMPTY : fpu_tag_of(f->st[p]);
        tw |= (uint16_t)(t << (2 * p));
    }
    return tw;
}

static void env_build(const Cpu *cpu, const DecodedInsn *d, uint8_t *b)
{
    const X87State *f = &cpu->fpu;
    uint16_t sw = fpu_status_word(f), tw = fpu_tag_word(f);
    if (env_32(d)) {
        /* The unused upper halves read as ones on a P6 (and on the host
         * oracle); the reserved top bits of the real-mode pointer words
         * as zeros. */
        put32(b + 0, 0xFFFF0000u | f->cw);
        put32(b + 4, 0xFFFF0000u | sw);
        put32(b + 8, 0xFFFF0000u | tw);
        if (env_real(cpu)) {
            uint32_t ip = ((uint32_t)f->fcs << 4) + f->fip;
            uint32_t dp = ((uint32_t)f->fds << 4) + f->fdp;
            put32(b + 12, 0xFFFF0000u | (ip & 0xFFFF));
            put32(b + 16, ((ip >> 16) << 12) | (f->fop & 0x7FFu));
            put32(b + 20, 0xFFFF0000u | (dp & 0xFFFF));
            put32(b + 24, (dp >> 16) << 12);
        } else {
            put32(b + 12, f->fip);
            put32(b + 16, f->fcs | (uint32_t)(f->fop & 0x7FFu) << 16);
            put32(b + 20, f->fdp);
            put32(b + 24, 0xFFFF0000u | f->fds);
        }
    } else {
        put16(b + 0, f->cw);
        put16(b + 2, sw);
        put16(b + 4, tw);
        if (env_real(cpu)) {
            uint32_t ip = ((uint32_t)f->fcs << 4) + f->fip;
            uint32_t dp = ((uint32_t)f->fds << 4) + f->fdp;
            put16(b + 6, ip);
            put16(b + 8, ((ip >> 16) & 0xF) << 12 | (f->fop & 0x7FFu));
            put16(b + 10, dp);
            put16(b + 12, ((dp >> 16) & 0xF) << 12);
        } else {
            put16(b + 6, f->fip);
            put16(b + 8, f->fcs);
            put16(b + 10, f->fdp);
            put16(b + 12, f->fds);
        }
    }
}

/* Loads an environment image. The registers must already hold what the
 * tags are computed from (FRSTOR loads them first). */
static void env_apply(Cpu *cpu, const DecodedInsn *d, const uint8_t *b)
{
    X87State *f = &cpu->fpu;
    uint16_t cw, sw, tw;
    if (env_32(d)) {
        cw = get16(b + 0);
        sw = get16(b + 4);
        tw = get16(b + 8);
        if (env_real(cpu)) {
            f->fip = (get32(b + 12) & 0xFFFF) | ((get32(b + 16) >> 12) & 0xFFFF) << 16;
            f->fop = get32(b + 16) & 0x7FF;
            f->fdp = (get32(b + 20) & 0xFFFF) | ((get32(b + 24) >> 12) & 0xFFFF) << 16;
            f->fcs = 0;
            f->fds = 0;
        } else {
            f->fip = get32(b + 12);
            f->fcs = get16(b + 16);
            f->fop = (get32(b + 16) >> 16) & 0x7FF;
            f->fdp = get32(b + 20);
            f->fds = get16(b + 24);
        }
    } else {
        cw = get16(b + 0);
        sw = get16(b + 2);
        tw = get16(b + 4);
        if (env_real(cpu)) {
            f->fip = get16(b + 6) | (uint32_t)(get16(b + 8) >> 12) << 16;
            f->fop = get16(b + 8) & 0x7FF;
            f->fdp = get16(b + 10) | (uint32_t)(get16(b + 12) >> 12) << 16;
            f->fcs = 0;
            f->fds = 0;
        } else {
            /* The 16-bit protected-mode image has no opcode field. */
            f->fip = get16(b + 6);
            f->fcs = get16(b + 8);
            f->fdp = get16(b + 10);
            f->fds = get16(b + 12);
        }
    }
    fpu_load_control_word(f, cw);
    fpu_load_status_word(f, sw);
    fpu_load_tag_word(f, tw);
    fpu_sync_ferr(cpu);
}

static void fpu_fldenv(Cpu *cpu, const DecodedInsn *d)
{
    uint8_t b[28];
    uint32_t ea = decode_ea(cpu, d);
    fpu_read(cpu, d->seg, ea, b, env_len(d));
    env_apply(cpu, d, b);
}

static void fpu_fnstenv(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    uint8_t b[28];
    uint32_t ea = decode_ea(cpu, d);
    fpu_mem_probe(cpu, d->seg, ea, env_len(d), true);
    env_build(cpu, d, b);
    fpu_write(cpu, d->seg, ea, b, env_len(d));
    /* Then every exception is masked, so the handler that saved the
     * environment can use the FPU; nothing is pending any more. */
    f->cw |= FCW_MASKS;
    fpu_update_es(f);
    fpu_sync_ferr(cpu);
}

static void fpu_frstor(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    uint8_t b[28 + 80];
    unsigned el = env_len(d);
    uint32_t ea = decode_ea(cpu, d);
    fpu_read(cpu, d->seg, ea, b, el + 80);
    /* The registers are stored in stack order: ST(i) of the loaded TOP. */
    unsigned top = (get16(b + (env_32(d) ? 4 : 2)) >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) f->st[(top + i) & 7] = get_fx80(b + el + 10 * i);
    env_apply(cpu, d, b);
}

static void fpu_fnsave(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    uint8_t b[28 + 80];
    unsigned el = env_len(d);
    uint32_t ea = decode_ea(cpu, d);
    fpu_mem_probe(cpu, d->seg, ea, el + 80, true);
    env_build(cpu, d, b);
    for (unsigned i = 0; i < 8; i++) put_fx80(b + el + 10 * i, fpu_st(f, i));
    fpu_write(cpu, d->seg, ea, b, el + 80);
    fpu_init(f);
    fpu_sync_ferr(cpu);
}

/* ------------------------------------------------------------------ */
/* the escape opcodes                                                  */

static inline _Noreturn void fpu_ud(Cpu *cpu) { cpu_fault(cpu, EXC_UD); }

/* m32fp/m64fp widened to extended precision (exact). The conversion runs
 * with DE masked so that the value is always computed: FLD loads a
 * denormal even when DE is unmasked (ES is set and the next waiting
 * instruction reports it, as the host oracle shows); an arithmetic
 * instruction does not compute (fpu_mem_op). */
static Fx80 load_real(uint64_t v, bool dbl, SfStatus *st)
{
    SfStatus cs = *st;
    cs.masks |= SF_DE;
    Fx80 r = dbl ? sf_from_f64(v, &cs) : sf_from_f32((uint32_t)v, &cs);
    st->flags |= cs.flags;
    st->c1 = cs.c1;
    return r;
}

/* A real memory operand of an arithmetic or compare instruction (m32fp,
 * m64fp), widened exactly. A NaN keeps its kind (an SNaN stays
 * signalling), so the operation applies the x87 NaN rules itself: an SNaN
 * and a QNaN give the QNaN, two SNaNs the larger significand (SDM Vol. 1
 * Table 4-7). A denormal raises DE unless the other operand is a NaN or
 * unsupported, which take precedence (Vol. 1 4.9.2). */
static Fx80 mem_real(uint64_t v, bool dbl, Fx80 other, SfStatus *st)
{
    unsigned fbits = dbl ? 52 : 23, ebits = dbl ? 11 : 8;
    uint64_t frac = v & ((1ull << fbits) - 1);
    uint32_t exp = (uint32_t)(v >> fbits) & ((1u << ebits) - 1);
    uint16_t sign = (v >> (fbits + ebits)) & 1 ? 0x8000 : 0;
    if (exp == (1u << ebits) - 1 && frac)
        return (Fx80){0x8000000000000000ull | frac << (63 - fbits), (uint16_t)(sign | 0x7FFF)};
    SfStatus cs = *st;
    cs.flags = 0;
    Fx80 r = load_real(v, dbl, &cs);
    if ((cs.flags & SF_DE) && (sf_is_nan(other) || sf_is_unsupported(other)))
        cs.flags &= (uint8_t)~SF_DE;
    st->flags |= cs.flags;
    return r;
}

/* Memory operands of the arithmetic escapes, converted exactly. */
static Fx80 load_i32(Cpu *cpu, const DecodedInsn *d, uint32_t ea)
{
    return sf_from_i64((int32_t)cpu_rd32(cpu, d->seg, ea));
}
static Fx80 load_i16(Cpu *cpu, const DecodedInsn *d, uint32_t ea)
{
    return sf_from_i64((int16_t)cpu_rd16(cpu, d->seg, ea));
}

/* D8: FADD..FDIVR with m32fp or ST(i) (destination ST(0)). */
void op_fpu_d8(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    fpu_enter(cpu, true);
    if (d->is_mem) {
        uint32_t ea = decode_ea(cpu, d);
        uint32_t v = cpu_rd32(cpu, d->seg, ea);
        fpu_note(cpu, d, ea);
        SfStatus st = st_pc(f);
        Fx80 y = mem_real(v, false, fpu_st(f, 0), &st);
        fpu_mem_op(f, d->reg, y, st);
        return;
    }
    fpu_note(cpu, d, 0);
    fpu_reg_op(f, d->reg, d->rm, false, false);
}

/* DC: the same with m64fp, or ST(i) as the destination (D0/D8: the FCOM2
 * and FCOMP3 aliases). */
void op_fpu_dc(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    fpu_enter(cpu, true);
    if (d->is_mem) {
        uint32_t ea = decode_ea(cpu, d);
        uint64_t v = rd64(cpu, d->seg, ea);
        fpu_note(cpu, d, ea);
        SfStatus st = st_pc(f);
        Fx80 y = mem_real(v, true, fpu_st(f, 0), &st);
        fpu_mem_op(f, d->reg, y, st);
        return;
    }
    fpu_note(cpu, d, 0);
    fpu_reg_op(f, d->reg, d->rm, true, false);
}

/* DA: FIADD..FIDIVR m32int; FCMOVB/E/BE/U; FUCOMPP (DA E9). */
void op_fpu_da(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    if (d->is_mem) {
        fpu_enter(cpu, true);
        uint32_t ea = decode_ea(cpu, d);
        Fx80 y = load_i32(cpu, d, ea);
        fpu_note(cpu, d, ea);
        fpu_mem_op(f, d->reg, y, st_pc(f));
        return;
    }
    static const uint8_t cond[4] = {COND_B, COND_E, COND_BE, COND_P};
    if (d->reg < 4) {
        fpu_enter(cpu, true);
        fpu_note(cpu, d, 0);
        fpu_fcmov(cpu, d->rm, cond[d->reg], false);
    } else if (d->modrm == 0xE9) {
        fpu_enter(cpu, true);
        fpu_note(cpu, d, 0);
        fpu_compare_reg(f, 1, true, 2);
    } else {
        fpu_ud(cpu);
    }
}

/* DE: FIADD..FIDIVR m16int; FADDP..FDIVP ST(i), ST(0); FCOMP5 (DE D0+i);
 * FCOMPP (DE D9). */
void op_fpu_de(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    if (d->is_mem) {
        fpu_enter(cpu, true);
        uint32_t ea = decode_ea(cpu, d);
        Fx80 y = load_i16(cpu, d, ea);
        fpu_note(cpu, d, ea);
        fpu_mem_op(f, d->reg, y, st_pc(f));
        return;
    }
    if (d->reg == 3 && d->modrm != 0xD9) fpu_ud(cpu);
    fpu_enter(cpu, true);
    fpu_note(cpu, d, 0);
    if (d->reg == 3)
        fpu_compare_reg(f, 1, false, 2);
    else if (d->reg == 2)
        fpu_compare_reg(f, d->rm, false, 1);
    else
        fpu_arith_reg(f, d->reg, d->rm, true, true);
}

/* D9: FLD/FST/FSTP m32fp, FLDENV, FLDCW, FNSTENV, FNSTCW; FLD/FXCH/FSTP1
 * ST(i), FNOP and the operand-less group (D9 E0-FF). */
void op_fpu_d9(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    if (d->is_mem) {
        uint32_t ea;
        switch (d->reg) {
        case 0: {
            fpu_enter(cpu, true);
            ea = decode_ea(cpu, d);
            uint32_t v = cpu_rd32(cpu, d->seg, ea);
            fpu_note(cpu, d, ea);
            SfStatus st = st_64(f);
            Fx80 x = load_real(v, false, &st);
            fpu_load(f, x, st);
            return;
        }
        case 2:
        case 3:
            fpu_enter(cpu, true);
            fpu_store_mem(cpu, d, ST_F32, d->reg == 3);
            return;
        case 4:
            fpu_enter(cpu, true);
            fpu_fldenv(cpu, d);
            return;
        case 5:
            fpu_enter(cpu, true);
            fpu_load_control_word(f, cpu_rd16(cpu, d->seg, decode_ea(cpu, d)));
            fpu_sync_ferr(cpu);
            return;
        case 6:
            fpu_enter(cpu, false);
            fpu_fnstenv(cpu, d);
            return;
        case 7:
            fpu_enter(cpu, false);
            cpu_wr16(cpu, d->seg, decode_ea(cpu, d), f->cw);
            return;
        default: fpu_ud(cpu);
        }
    }
    unsigned m = d->modrm, i = d->rm;
    /* Undefined: D9 D1-D7, E2, E3, E6, E7, EF. */
    if ((m >= 0xD1 && m <= 0xD7) || m == 0xE2 || m == 0xE3 || m == 0xE6 || m == 0xE7 ||
        m == 0xEF)
        fpu_ud(cpu);
    fpu_enter(cpu, true);
    fpu_note(cpu, d, 0);
    switch (d->reg) {
    case 0: fpu_load_st(f, i); return;
    case 1: fpu_fxch(f, i); return;
    case 2: return; /* FNOP */
    case 3: fpu_store_st(f, i, true); return;
    case 4:
        switch (m) {
        case 0xE0: fpu_sign(f, false); return;
        case 0xE1: fpu_sign(f, true); return;
        case 0xE4: {
            /* FTST: compare with +0.0; a NaN is invalid. */
            fpu_compare(f, false, FX_ZERO, false, 0, st_64(f));
            return;
        }
        default: fpu_fxam(f); return;
        }
    case 5: {
        SfStatus none = st_64(f);
        fpu_load(f, fpu_constant(i, (f->cw >> 10) & 3), none);
        return;
    }
    case 6:
        switch (m) {
        case 0xF0: fpu_unary(f, f2xm1, st_64(f)); return;
        case 0xF1: fpu_two_pop(f, TWO_YL2X); return;
        case 0xF2: fpu_fptan_fsincos(f, false); return;
        case 0xF3: fpu_two_pop(f, TWO_ATAN); return;
        case 0xF4: fpu_fxtract(f); return;
        case 0xF5: fpu_fprem(f, true); return;
        case 0xF6:
            f->top = (f->top - 1) & 7; /* FDECSTP */
            set_c1(f, false);
            return;
        default:
            f->top = (f->top + 1) & 7; /* FINCSTP */
            set_c1(f, false);
            return;
        }
    default:
        switch (m) {
        case 0xF8: fpu_fprem(f, false); return;
        case 0xF9: fpu_two_pop(f, TWO_YL2XP1); return;
        case 0xFA: fpu_unary(f, fsqrt, st_pc(f)); return;
        case 0xFB: fpu_fptan_fsincos(f, true); return;
        case 0xFC: fpu_unary(f, frndint, st_64(f)); return;
        case 0xFD: fpu_fscale(f); return;
        case 0xFE: fpu_fsin_fcos(f, false); return;
        default: fpu_fsin_fcos(f, true); return;
        }
    }
}

/* DB: FILD/FIST/FISTP m32int, FLD/FSTP m80fp; FCMOVNB/NE/NBE/NU, FNCLEX,
 * FNINIT, FUCOMI, FCOMI (and the 287 no-ops FNENI, FNDISI, FNSETPM). */
void op_fpu_db(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    if (d->is_mem) {
        uint32_t ea;
        switch (d->reg) {
        case 0: {
            fpu_enter(cpu, true);
            ea = decode_ea(cpu, d);
            Fx80 x = load_i32(cpu, d, ea);
            fpu_note(cpu, d, ea);
            fpu_load(f, x, st_64(f));
            return;
        }
        case 2:
        case 3:
            fpu_enter(cpu, true);
            fpu_store_mem(cpu, d, ST_I32, d->reg == 3);
            return;
        case 5: {
            /* An 80-bit load is a copy: no conversion, no exception. */
            fpu_enter(cpu, true);
            uint8_t b[10];
            ea = decode_ea(cpu, d);
            fpu_read(cpu, d->seg, ea, b, 10);
            fpu_note(cpu, d, ea);
            fpu_load(f, get_fx80(b), st_64(f));
            return;
        }
        case 7:
            fpu_enter(cpu, true);
            fpu_store_mem(cpu, d, ST_F80, true);
            return;
        default: fpu_ud(cpu); /* FISTTP is SSE3; /4 and /6 are undefined */
        }
    }
    static const uint8_t cond[4] = {COND_B, COND_E, COND_BE, COND_P};
    switch (d->reg) {
    case 0:
    case 1:
    case 2:
    case 3:
        fpu_enter(cpu, true);
        fpu_note(cpu, d, 0);
        fpu_fcmov(cpu, d->rm, cond[d->reg], true);
        return;
    case 4:
        switch (d->modrm) {
        case 0xE0: /* FNENI */
        case 0xE1: /* FNDISI */
        case 0xE4: /* FNSETPM: no-ops since the 387, non-waiting */
            fpu_enter(cpu, false);
            return;
        case 0xE2: /* FNCLEX */
            fpu_enter(cpu, false);
            f->sw &= (uint16_t)~(FSW_EXC | FSW_SF | FSW_ES | FSW_B);
            fpu_sync_ferr(cpu);
            return;
        case 0xE3: /* FNINIT */
            fpu_enter(cpu, false);
            fpu_init(f);
            fpu_sync_ferr(cpu);
            return;
        default: fpu_ud(cpu);
        }
    case 5:
    case 6:
        fpu_enter(cpu, true);
        fpu_note(cpu, d, 0);
        fpu_comi(cpu, d->rm, d->reg == 5, false);
        return;
    default: fpu_ud(cpu);
    }
}

/* DD: FLD/FST/FSTP m64fp, FRSTOR, FNSAVE, FNSTSW m16; FFREE, FXCH4, FST,
 * FSTP, FUCOM, FUCOMP ST(i). */
void op_fpu_dd(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    if (d->is_mem) {
        uint32_t ea;
        switch (d->reg) {
        case 0: {
            fpu_enter(cpu, true);
            ea = decode_ea(cpu, d);
            uint64_t v = rd64(cpu, d->seg, ea);
            fpu_note(cpu, d, ea);
            SfStatus st = st_64(f);
            Fx80 x = load_real(v, true, &st);
            fpu_load(f, x, st);
            return;
        }
        case 2:
        case 3:
            fpu_enter(cpu, true);
            fpu_store_mem(cpu, d, ST_F64, d->reg == 3);
            return;
        case 4:
            fpu_enter(cpu, true);
            fpu_frstor(cpu, d);
            return;
        case 6:
            fpu_enter(cpu, false);
            fpu_fnsave(cpu, d);
            return;
        case 7:
            fpu_enter(cpu, false);
            cpu_wr16(cpu, d->seg, decode_ea(cpu, d), fpu_status_word(f));
            return;
        default: fpu_ud(cpu); /* FISTTP m64 is SSE3; /5 is undefined */
        }
    }
    if (d->reg >= 6) fpu_ud(cpu);
    fpu_enter(cpu, true);
    fpu_note(cpu, d, 0);
    unsigned i = d->rm;
    switch (d->reg) {
    case 0: /* FFREE: C0-C3 undefined; C1 is cleared (as the host oracle does) */
        fpu_set_tag(f, fpu_phys(f, i), FTAG_EMPTY);
        set_c1(f, false);
        return;
    case 1: fpu_fxch(f, i); return;
    case 2: fpu_store_st(f, i, false); return;
    case 3: fpu_store_st(f, i, true); return;
    default: fpu_compare_reg(f, i, true, d->reg == 5); return;
    }
}

/* DF: FILD/FIST/FISTP m16int, FBLD, FILD m64int, FBSTP, FISTP m64int;
 * FFREEP, FXCH7, FSTP8, FSTP9, FNSTSW AX, FUCOMIP, FCOMIP. */
void op_fpu_df(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    if (d->is_mem) {
        uint32_t ea;
        switch (d->reg) {
        case 0: {
            fpu_enter(cpu, true);
            ea = decode_ea(cpu, d);
            Fx80 x = load_i16(cpu, d, ea);
            fpu_note(cpu, d, ea);
            fpu_load(f, x, st_64(f));
            return;
        }
        case 2:
        case 3:
            fpu_enter(cpu, true);
            fpu_store_mem(cpu, d, ST_I16, d->reg == 3);
            return;
        case 4: {
            fpu_enter(cpu, true);
            uint8_t b[10];
            ea = decode_ea(cpu, d);
            fpu_read(cpu, d->seg, ea, b, 10);
            fpu_note(cpu, d, ea);
            fpu_load(f, sf_from_bcd(b), st_64(f));
            return;
        }
        case 5: {
            fpu_enter(cpu, true);
            ea = decode_ea(cpu, d);
            uint64_t v = rd64(cpu, d->seg, ea);
            fpu_note(cpu, d, ea);
            fpu_load(f, sf_from_i64((int64_t)v), st_64(f));
            return;
        }
        case 6:
            fpu_enter(cpu, true);
            fpu_store_mem(cpu, d, ST_BCD, true);
            return;
        case 7:
            fpu_enter(cpu, true);
            fpu_store_mem(cpu, d, ST_I64, true);
            return;
        default: fpu_ud(cpu); /* FISTTP m16 is SSE3 */
        }
    }
    unsigned i = d->rm;
    switch (d->reg) {
    case 0: /* FFREEP */
        fpu_enter(cpu, true);
        fpu_note(cpu, d, 0);
        fpu_set_tag(f, fpu_phys(f, i), FTAG_EMPTY);
        fpu_pop(f);
        set_c1(f, false);
        return;
    case 1:
        fpu_enter(cpu, true);
        fpu_note(cpu, d, 0);
        fpu_fxch(f, i);
        return;
    case 2:
    case 3:
        fpu_enter(cpu, true);
        fpu_note(cpu, d, 0);
        fpu_store_st(f, i, true);
        return;
    case 4:
        if (d->modrm != 0xE0) fpu_ud(cpu);
        fpu_enter(cpu, false); /* FNSTSW AX */
        reg_write(cpu, R_EAX, fpu_status_word(f), 2);
        return;
    case 5:
    case 6:
        fpu_enter(cpu, true);
        fpu_note(cpu, d, 0);
        fpu_comi(cpu, i, d->reg == 5, true);
        return;
    default: fpu_ud(cpu);
    }
}

/* WAIT/FWAIT (9B): #NM only when both TS and MP are set (so an OS that
 * runs without an FPU, EM = 1, still lets WAIT through); then any pending
 * unmasked exception. */
void op_fwait(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    if ((cpu->cr[0] & (CR0_TS | CR0_MP)) == (CR0_TS | CR0_MP)) cpu_fault(cpu, EXC_NM);
    fpu_check_pending(cpu);
}

/* ------------------------------------------------------------------ */
/* FXSAVE / FXRSTOR (0F AE /0, /1): the 512-byte image of SDM Vol. 2
 * FXSAVE, Table 3-53 (non-64-bit mode). Neither checks for pending
 * exceptions; both need a 16-byte aligned operand (#GP(0)). */

static uint32_t fx_begin(Cpu *cpu, const DecodedInsn *d, bool write)
{
    if (cpu->cr[0] & (CR0_EM | CR0_TS)) cpu_fault(cpu, EXC_NM);
    uint32_t ea = decode_ea(cpu, d);
    uint32_t lin = cpu->seg[d->seg].base + ea;
    if (lin & 15) cpu_exception(cpu, EXC_GP, 0);
    /* The limit check covers the whole 512 bytes; only the first 160 are
     * read or written. */
    fpu_mem_probe(cpu, d->seg, ea, 512, write);
    return ea;
}

void op_fxsave(Cpu *cpu, const DecodedInsn *d)
{
    const X87State *f = &cpu->fpu;
    uint32_t ea = fx_begin(cpu, d, true);
    uint8_t b[160];
    memset(b, 0, sizeof b);
    put16(b + 0, f->cw);
    put16(b + 2, fpu_status_word(f));
    b[4] = fpu_abridged_tag(f);
    put16(b + 6, f->fop & 0x7FFu);
    put32(b + 8, f->fip);
    put16(b + 12, f->fcs);
    put32(b + 16, f->fdp);
    put16(b + 20, f->fds);
    put32(b + 24, f->mxcsr);
    put32(b + 28, 0); /* MXCSR_MASK: no SSE on a Pentium II */
    for (unsigned i = 0; i < 8; i++) put_fx80(b + 32 + 16 * i, fpu_st(f, i));
    fpu_write(cpu, d->seg, ea, b, sizeof b);
}

void op_fxrstor(Cpu *cpu, const DecodedInsn *d)
{
    X87State *f = &cpu->fpu;
    uint32_t ea = fx_begin(cpu, d, false);
    uint8_t b[160];
    fpu_read(cpu, d->seg, ea, b, sizeof b);
    uint16_t sw = get16(b + 2);
    unsigned top = (sw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) f->st[(top + i) & 7] = get_fx80(b + 32 + 16 * i);
    f->fop = get16(b + 6) & 0x7FF;
    f->fip = get32(b + 8);
    f->fcs = get16(b + 12);
    f->fdp = get32(b + 16);
    f->fds = get16(b + 20);
    f->mxcsr = get32(b + 24);
    fpu_load_control_word(f, get16(b + 0));
    fpu_load_status_word(f, sw);
    fpu_load_abridged_tag(f, b[4]);
    fpu_sync_ferr(cpu);
}
