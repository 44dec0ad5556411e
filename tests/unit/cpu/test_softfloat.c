/*
 * test_softfloat.c - cpu/softfloat.c against the host's x87 as the oracle.
 *
 * Every operation runs on the host x87 through inline asm (64-bit mode,
 * where the x87 behaves as in protected mode) and through Brisk's soft
 * float, with the same operands and control word, and the two are compared
 * bit for bit: the result (register or memory), the six exception flags
 * and C1 of the status word, and the other condition codes where the
 * operation defines them (compares, FXAM, FPREM).
 *
 * The host sequence is always: fninit; load the operands (fld m80 raises
 * nothing); fldcw with the case's control word; the instruction; fnsave.
 * FNSAVE does not wait, so an unmasked exception left pending by the
 * instruction never fires (#MF would come at the next waiting x87
 * instruction, and FNSAVE reinitializes the FPU): every combination of
 * masks can be observed. With an unmasked IE, DE or ZE the x87 leaves the
 * destination alone, so only the status word is compared; with an
 * unmasked OE or UE a register destination gets the result with its
 * exponent biased by -/+ 24576, which is compared too, while a memory
 * destination is left alone (only the status word is compared).
 *
 * Operands: random values with a bias towards the edges (zeros,
 * denormals, pseudo-denormals, unnormals, infinities, pseudo-infinities,
 * pseudo-NaNs, SNaNs and QNaNs, the smallest and largest normals,
 * exponents that overflow or underflow, significands that sit on or beside
 * a rounding boundary at 24, 53 and 64 bits), in the four rounding modes,
 * the three precision controls (and the reserved one), with all
 * exceptions masked for most cases and random mask sets for the rest.
 * Fixed seed: a failure reproduces. Each test prints its figure (cases
 * compared, cases that differ, and how often the host raised each
 * exception, in all and unmasked, to show that the edges were reached);
 * the goal, and the assertion, is 0.
 *
 * Covered: FADD FSUB FMUL FDIV FSQRT FRNDINT FSCALE FXTRACT FPREM FPREM1
 * FCOM FUCOM FXAM on registers; FADD..FDIVR and FCOM with m32fp/m64fp
 * operands; FST m32/m64, FIST m16/m32, FISTP m64, FISTTP m16/m32/m64,
 * FBSTP; FLD m32/m64, FILD m64, FBLD (invalid digits included).
 *
 * The oracle is whatever x87 runs the test: where this was written, an
 * AMD Zen, not the P6 Brisk models. Where the SDM leaves a behaviour to
 * the implementation this test pins Brisk to the Zen's (see the
 * deviations in cpu/softfloat.c); on an Intel host a difference there is
 * news about the P6 side, not necessarily a bug.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpu/softfloat.h"

/* The oracle needs an x87: elsewhere (AArch64) only the fixed checks run. */
#if defined(__x86_64__)

/* ------------------------------------------------------------------ */
/* random numbers: xorshift64*, fixed seed per test                    */

static uint64_t rng = 1;

/* Long runs: build with -DSF_TEST_SCALE=50 (50 times the cases) and
 * -DSF_TEST_SEED=n (other operands). */
#ifndef SF_TEST_SCALE
#define SF_TEST_SCALE 1
#endif
#ifndef SF_TEST_SEED
#define SF_TEST_SEED 0
#endif
#define CASES(n) ((unsigned)(n) * SF_TEST_SCALE)

static void seed_rng(uint64_t seed)
{
    rng = seed * 0x9E3779B97F4A7C15ull + SF_TEST_SEED * 0x632BE59BD9B4E019ull + 1;
}

static uint64_t rnd64(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

static unsigned rndn(unsigned n) { return (unsigned)((rnd64() >> 16) % n); }

/* ------------------------------------------------------------------ */
/* the host x87                                                         */

#define SW_C0 0x0100
#define SW_C1 0x0200
#define SW_C2 0x0400
#define SW_C3 0x4000
#define SW_FLAGS 0x003F

typedef struct HostOut {
    uint16_t sw;
    Fx80 st[2];      /* ST(0), ST(1) after the instruction */
    uint8_t mem[16]; /* a memory destination (pre-filled with 0xA5) */
} HostOut;

typedef struct SaveArea {
    uint8_t b[108]; /* FNSAVE, 32-bit protected-mode format */
} SaveArea;

static void host_unsave(const SaveArea *s, HostOut *o)
{
    o->sw = (uint16_t)(s->b[4] | s->b[5] << 8);
    for (int i = 0; i < 2; i++) {
        memcpy(&o->st[i].mant, s->b + 28 + 10 * i, 8);
        memcpy(&o->st[i].se, s->b + 36 + 10 * i, 2);
    }
}

/* Two register operands: ST(0) = a, ST(1) = b. */
#define HOST_BIN(fn, insn)                                                                        \
    static void fn(Fx80 a, Fx80 b, uint16_t cw, HostOut *o)                                       \
    {                                                                                             \
        SaveArea s;                                                                               \
        __asm__ volatile("fninit\n\tfldt %2\n\tfldt %1\n\tfldcw %3\n\t" insn "\n\tfnsave %0"      \
                         : "=m"(s)                                                                \
                         : "m"(a), "m"(b), "m"(cw));                                              \
        host_unsave(&s, o);                                                                       \
    }

HOST_BIN(host_add, "fadd %%st(1), %%st")
HOST_BIN(host_sub, "fsub %%st(1), %%st")
HOST_BIN(host_mul, "fmul %%st(1), %%st")
HOST_BIN(host_div, "fdiv %%st(1), %%st")
HOST_BIN(host_scale, "fscale")
HOST_BIN(host_prem, "fprem")
HOST_BIN(host_prem1, "fprem1")
HOST_BIN(host_com, "fcom %%st(1)")
HOST_BIN(host_ucom, "fucom %%st(1)")

/* One register operand: ST(0) = a. */
#define HOST_UN(fn, insn)                                                                         \
    static void fn(Fx80 a, uint16_t cw, HostOut *o)                                               \
    {                                                                                             \
        SaveArea s;                                                                               \
        __asm__ volatile("fninit\n\tfldt %1\n\tfldcw %2\n\t" insn "\n\tfnsave %0"                 \
                         : "=m"(s)                                                                \
                         : "m"(a), "m"(cw));                                                      \
        host_unsave(&s, o);                                                                       \
    }

HOST_UN(host_sqrt, "fsqrt")
HOST_UN(host_rndint, "frndint")
HOST_UN(host_xtract, "fxtract")
HOST_UN(host_xam, "fxam")

/* A store of ST(0) = a to memory. */
#define HOST_STORE(fn, insn)                                                                      \
    static void fn(Fx80 a, uint16_t cw, HostOut *o)                                               \
    {                                                                                             \
        SaveArea s;                                                                               \
        memset(o->mem, 0xA5, sizeof o->mem);                                                      \
        __asm__ volatile("fninit\n\tfldt %2\n\tfldcw %3\n\t" insn " %1\n\tfnsave %0"              \
                         : "=m"(s), "+m"(o->mem)                                                  \
                         : "m"(a), "m"(cw));                                                      \
        host_unsave(&s, o);                                                                       \
    }

HOST_STORE(host_st32, "fsts")
HOST_STORE(host_st64, "fstl")
HOST_STORE(host_ist16, "fists")
HOST_STORE(host_ist32, "fistl")
HOST_STORE(host_ist64, "fistpll")
HOST_STORE(host_bstp, "fbstp")
HOST_STORE(host_istt16, "fisttps")
HOST_STORE(host_istt32, "fisttpl")
HOST_STORE(host_istt64, "fisttpll")

/* ST(0) = a op a 32/64-bit real in memory (the bytes of m). */
#define HOST_MEM(fn, insn)                                                                        \
    static void fn(Fx80 a, uint64_t m, uint16_t cw, HostOut *o)                                   \
    {                                                                                             \
        SaveArea s;                                                                               \
        __asm__ volatile("fninit\n\tfldt %1\n\tfldcw %3\n\t" insn " %2\n\tfnsave %0"              \
                         : "=m"(s)                                                                \
                         : "m"(a), "m"(m), "m"(cw));                                              \
        host_unsave(&s, o);                                                                       \
    }

HOST_MEM(host_fadds, "fadds")
HOST_MEM(host_fmuls, "fmuls")
HOST_MEM(host_fcoms, "fcoms")
HOST_MEM(host_fsubs, "fsubs")
HOST_MEM(host_fsubrs, "fsubrs")
HOST_MEM(host_fdivs, "fdivs")
HOST_MEM(host_fdivrs, "fdivrs")
HOST_MEM(host_faddl, "faddl")
HOST_MEM(host_fmull, "fmull")
HOST_MEM(host_fcoml, "fcoml")
HOST_MEM(host_fsubl, "fsubl")
HOST_MEM(host_fsubrl, "fsubrl")
HOST_MEM(host_fdivl, "fdivl")
HOST_MEM(host_fdivrl, "fdivrl")

/* A load from memory (src: the bytes) to ST(0). */
#define HOST_LOAD(fn, insn)                                                                       \
    static void fn(const uint8_t *src, uint16_t cw, HostOut *o)                                   \
    {                                                                                             \
        SaveArea s;                                                                               \
        struct {                                                                                  \
            uint8_t b[16];                                                                        \
        } m;                                                                                      \
        memcpy(m.b, src, sizeof m.b);                                                             \
        __asm__ volatile("fninit\n\tfldcw %2\n\t" insn " %1\n\tfnsave %0"                         \
                         : "=m"(s)                                                                \
                         : "m"(m), "m"(cw));                                                      \
        host_unsave(&s, o);                                                                       \
    }

HOST_LOAD(host_ld32, "flds")
HOST_LOAD(host_ld64, "fldl")
HOST_LOAD(host_ild64, "fildll")
HOST_LOAD(host_bld, "fbld")

/* ------------------------------------------------------------------ */
/* operands                                                             */

#define BIAS 16383

static Fx80 mk(bool sign, unsigned exp, uint64_t mant)
{
    return (Fx80){.mant = mant, .se = (uint16_t)((sign ? 0x8000u : 0u) | (exp & 0x7FFF))};
}

/* A significand with the integer bit set, often on or beside a rounding
 * boundary: the bits below the kept 24, 53, 64 or a random count are
 * 0, half, half - 1, half + 1, 1 or all ones. */
static uint64_t gen_mant(void)
{
    uint64_t m;
    switch (rndn(8)) {
    case 0:
    case 1: return rnd64() | (1ull << 63);
    case 2:
        m = 1ull << 63;
        for (unsigned j = rndn(4); j; j--)
            m |= 1ull << rndn(64);
        return m;
    case 3:
        m = ~0ull;
        for (unsigned j = rndn(4); j; j--)
            m &= ~(1ull << rndn(63));
        return m;
    default: break;
    }
    static const unsigned keeps[] = {24, 53, 64, 0};
    unsigned k = keeps[rndn(4)];
    if (k == 0)
        k = 1 + rndn(63);
    unsigned c = 64 - k;
    m = rndn(4) ? rnd64() | (1ull << 63) : ~0ull; /* all ones: carries into the exponent */
    if (c == 0)
        return m;
    uint64_t mask = c == 64 ? ~0ull : (1ull << c) - 1, half = 1ull << (c - 1);
    static const int pats = 6;
    uint64_t low;
    switch (rndn(pats)) {
    case 0: low = 0; break;
    case 1: low = half; break;
    case 2: low = half - 1; break;
    case 3: low = half + 1; break;
    case 4: low = 1; break;
    default: low = mask; break;
    }
    return ((m & ~mask) | low) | (1ull << 63);
}

static unsigned gen_exp(void)
{
    switch (rndn(20)) {
    case 0:
    case 1:
    case 2:
    case 3: return 1 + rndn(0x7FFE);
    case 4:
    case 5:
    case 6:
    case 7: return 1 + rndn(80);
    case 8:
    case 9:
    case 10:
    case 11: return 0x7FFE - rndn(80);
    default: return BIAS - 64 + rndn(129);
    }
}

/* The edge values of the format. */
static Fx80 gen_special(void)
{
    bool s = rndn(2);
    switch (rndn(16)) {
    case 0:
    case 1: return mk(s, 0, 0);
    case 2:
    case 3: return mk(s, 0, gen_mant() >> (1 + rndn(63)));       /* denormal */
    case 4: return mk(s, 0, gen_mant());                          /* pseudo-denormal */
    case 5: /* unnormal (a zero significand: a pseudo-zero) */
        return mk(s, 1 + rndn(0x7FFE), rndn(8) ? gen_mant() >> (1 + rndn(63)) : 0);
    case 6:
    case 7: return mk(s, 0x7FFF, 1ull << 63);                     /* infinity */
    case 8: return mk(s, 0x7FFF, rndn(2) ? 0 : rnd64() >> 1);     /* pseudo-inf/NaN */
    case 9: {                                                     /* SNaN */
        uint64_t m = (rnd64() >> (2 + rndn(62))) & ~(3ull << 62);
        return mk(s, 0x7FFF, (1ull << 63) | (m ? m : 1));
    }
    case 10:
    case 11: return mk(s, 0x7FFF, (3ull << 62) | (rnd64() >> (2 + rndn(62)))); /* QNaN */
    case 12: return mk(true, 0x7FFF, 3ull << 62);                 /* indefinite */
    case 13: return mk(s, 1, 1ull << 63);
    case 14: return mk(s, 0x7FFE, ~0ull << rndn(2) * (rndn(2) ? 11 : 40));
    default: return mk(s, BIAS, 1ull << 63);
    }
}

static Fx80 gen_operand(void)
{
    if (rndn(100) < 18)
        return gen_special();
    return mk(rndn(2), gen_exp(), gen_mant());
}

static bool is_finite_nonzero(Fx80 a)
{
    unsigned e = a.se & 0x7FFF;
    return e != 0x7FFF && a.mant != 0 && (e == 0 || (a.mant >> 63));
}

static unsigned clip_exp(int e)
{
    if (e < 1)
        return 1;
    if (e > 0x7FFE)
        return 0x7FFE;
    return (unsigned)e;
}

enum { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SCALE, OP_PREM, OP_PREM1, OP_COM, OP_UCOM };

/* Operand pairs: independent, or b made close to a (cancellation in add
 * and subtract, equal values for compares) or placed so that the result
 * of a multiply or divide lands near the bottom or the top of the range. */
static void gen_pair(int op, Fx80 *a, Fx80 *b)
{
    *a = gen_operand();
    *b = gen_operand();
    if (rndn(40) == 0) {
        /* NaNs with equal significands: the x87's tie rule. */
        uint64_t m = (1ull << 63) | (rnd64() >> (1 + rndn(63)));
        if (!(m << 1))
            m |= 1;
        *a = mk(rndn(2), 0x7FFF, m);
        *b = mk(rndn(2), 0x7FFF, rndn(2) ? m : m ^ (1ull << 62));
        return;
    }
    if (!is_finite_nonzero(*a) || (a->se & 0x7FFF) == 0 || rndn(10) < 4)
        return;
    bool sb = rndn(2);
    int ea = a->se & 0x7FFF;
    int target = rndn(2) ? (int)rndn(140) - 70 : 0x7FFF + (int)rndn(140) - 70;
    switch (op) {
    case OP_ADD:
    case OP_SUB:
    case OP_COM:
    case OP_UCOM:
        if (rndn(3) == 0) {
            *b = mk(sb, clip_exp(ea + (int)rndn(140) - 70), gen_mant());
        } else {
            uint64_t m = a->mant;
            switch (rndn(3)) {
            case 0: m += rnd64() >> (40 + rndn(24)); break;
            case 1: m -= rnd64() >> (40 + rndn(24)); break;
            default: m ^= rnd64() >> rndn(64); break;
            }
            *b = mk(sb, clip_exp(ea + (int)rndn(3) - 1), m | (1ull << 63));
        }
        break;
    case OP_MUL:
        if (rndn(4) == 0) /* a power of two: the result is a rounded, right at the edge */
            *b = mk(sb, clip_exp((rndn(2) ? (int)rndn(3) - 1 : 0x7FFE + (int)rndn(3)) - ea + BIAS),
                    1ull << 63);
        else
            *b = mk(sb, clip_exp(target - ea + BIAS), gen_mant());
        break;
    case OP_DIV:
        if (rndn(4) == 0) /* a power of two, as for OP_MUL */
            *b = mk(sb, clip_exp(ea + BIAS - (rndn(2) ? (int)rndn(3) - 1 : 0x7FFE + (int)rndn(3))),
                    1ull << 63);
        else
            *b = mk(sb, clip_exp(ea + BIAS - target), gen_mant());
        break;
    case OP_SCALE: {
        /* The scale: a small integer or fraction, or one that moves a to
         * the edges of the range. */
        int n = rndn(2) ? (int)rndn(200) - 100 : target - ea;
        if (rndn(8) == 0)
            n = (int)rndn(140000) - 70000;
        if (rndn(8) == 0) /* around the massive overflow/underflow limits */
            n = (rndn(2) ? 0x7FFF + 24576 : -24576) + (int)rndn(140) - 70 - ea;
        uint64_t m = (uint64_t)(n < 0 ? -n : n);
        if (m == 0) {
            *b = mk(sb, rndn(2) ? 0 : BIAS - 1 - rndn(3), rndn(2) ? 0 : gen_mant());
        } else {
            unsigned lz = (unsigned)__builtin_clzll(m);
            uint64_t frac = rndn(2) ? rnd64() >> (1 + rndn(63)) >> (63 - lz) : 0;
            *b = mk(n < 0, BIAS + 63 - lz, (m << lz) | frac);
        }
        break;
    }
    case OP_PREM:
    case OP_PREM1: {
        int d = rndn(4) ? (int)rndn(140) - 4 : (int)rndn(3000);
        if (rndn(4) == 0)
            d = 62 + (int)rndn(4);
        *b = mk(sb, clip_exp(ea - d), gen_mant());
        if (rndn(8) == 0) /* denormal divisors */
            *b = mk(sb, 0, gen_mant() >> (1 + rndn(63)));
        break;
    }
    default: break;
    }
}

/* A random control word: rounding control, precision control (the
 * reserved 01 now and then), all masked or a random mask set. */
static uint16_t gen_cw(void)
{
    static const unsigned pcs[] = {0, 2, 3, 3, 3, 1};
    unsigned pc = pcs[rndn(rndn(16) ? 5 : 6)];
    unsigned masks = rndn(10) < 6 ? 0x3F : rndn(64);
    return (uint16_t)(0x40 | masks | pc << 8 | rndn(4) << 10);
}

/* ------------------------------------------------------------------ */
/* comparing                                                            */

typedef struct Stats {
    const char *name;
    unsigned cases, diffs;
    unsigned raised[6];   /* cases where the host raised each exception */
    unsigned unmasked[6]; /* ... with that exception unmasked */
} Stats;

/* Tallies of what the host raised, so the figures show that the edges
 * were reached. */
static void tally(Stats *s, uint16_t sw, uint16_t cw)
{
    for (int i = 0; i < 6; i++) {
        if (sw & (1u << i)) {
            s->raised[i]++;
            if (!(cw & (1u << i)))
                s->unmasked[i]++;
        }
    }
}

static void fx_str(char *buf, Fx80 a)
{
    sprintf(buf, "%04x:%016llx", a.se, (unsigned long long)a.mant);
}

static void report(Stats *s, bool differ, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(Stats *s, bool differ, const char *fmt, ...)
{
    s->cases++;
    if (!differ)
        return;
    if (s->diffs++ < 25) {
        va_list ap;
        va_start(ap, fmt);
        printf("%s: ", s->name);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
    }
}

/* Prints the figure of one operation; returns its differences. */
static unsigned finish(Stats *s)
{
    static const char names[6][3] = {"IE", "DE", "ZE", "OE", "UE", "PE"};
    printf("softfloat %-10s %6u cases compared, %u differ  (host raised", s->name, s->cases,
           s->diffs);
    for (int i = 0; i < 6; i++)
        printf(" %s %u/%u", names[i], s->raised[i], s->unmasked[i]);
    printf(" [all/unmasked])\n");
    fflush(stdout);
    return s->diffs;
}

static void expect_same(Stats *s, unsigned n)
{
    unsigned diffs = 0;
    for (unsigned i = 0; i < n; i++)
        diffs += finish(&s[i]);
    ck_assert_msg(diffs == 0, "%s: %u cases differ from the host x87", s[0].name, diffs);
}

static bool same(Fx80 a, Fx80 b) { return a.se == b.se && a.mant == b.mant; }

static uint16_t brisk_sw(const SfStatus *st)
{
    return (uint16_t)(st->flags | (st->c1 ? SW_C1 : 0));
}

/* Did an unmasked exception keep the x87 from writing a register (IE,
 * DE, ZE) or memory (any but PE)? */
static bool reg_written(uint16_t sw, uint16_t cw)
{
    return !(sw & ~cw & (SF_IE | SF_DE | SF_ZE));
}
static bool mem_written(uint16_t sw, uint16_t cw)
{
    return !(sw & ~cw & (SF_IE | SF_DE | SF_ZE | SF_OE | SF_UE));
}

/* ------------------------------------------------------------------ */
/* arithmetic on registers                                              */

typedef void (*HostBin)(Fx80, Fx80, uint16_t, HostOut *);

static void run_binary(const char *name, int op, HostBin host, unsigned n, uint64_t seed)
{
    Stats s = {.name = name};
    seed_rng(seed);
    for (unsigned i = 0; i < CASES(n); i++) {
        Fx80 a, b;
        gen_pair(op, &a, &b);
        uint16_t cw = gen_cw();
        HostOut h;
        host(a, b, cw, &h);
        SfStatus st = sf_status(cw);
        Fx80 r = {0, 0};
        uint16_t cc = 0, ccmask = SW_C1;
        switch (op) {
        case OP_ADD: r = sf_add(a, b, &st); break;
        case OP_SUB: r = sf_sub(a, b, &st); break;
        case OP_MUL: r = sf_mul(a, b, &st); break;
        case OP_DIV: r = sf_div(a, b, &st); break;
        case OP_SCALE: r = sf_scale(a, b, &st); break;
        case OP_PREM:
        case OP_PREM1: {
            unsigned q;
            bool inc;
            r = sf_prem(a, b, op == OP_PREM1, &q, &inc, &st);
            st.c1 = false;
            cc = (uint16_t)((q & 4 ? SW_C0 : 0) | (q & 2 ? SW_C3 : 0) | (q & 1 ? SW_C1 : 0) |
                            (inc ? SW_C2 : 0));
            ccmask = SW_C0 | SW_C1 | SW_C2 | SW_C3;
            break;
        }
        case OP_COM:
        case OP_UCOM: {
            int c = sf_compare(a, b, op == OP_UCOM, &st);
            st.c1 = false;
            cc = c == -1 ? SW_C0 : c == 0 ? SW_C3 : c == 1 ? 0 : SW_C0 | SW_C2 | SW_C3;
            ccmask = SW_C1;
            if (!(st.flags & ~cw & (SF_IE | SF_DE)))
                ccmask |= SW_C0 | SW_C2 | SW_C3;
            break;
        }
        }
        uint16_t want = h.sw & (SW_FLAGS | ccmask);
        uint16_t got = (uint16_t)((brisk_sw(&st) | cc) & (SW_FLAGS | ccmask));
        bool differ = want != got;
        bool has_result = op != OP_COM && op != OP_UCOM;
        if (has_result && reg_written(h.sw, cw) && !same(h.st[0], r))
            differ = true;
        char sa[32], sb[32], sh[32], sr[32];
        fx_str(sa, a);
        fx_str(sb, b);
        fx_str(sh, h.st[0]);
        fx_str(sr, r);
        tally(&s, h.sw, cw);
        report(&s, differ, "a=%s b=%s cw=%04x: host %s sw=%04x, brisk %s sw=%04x", sa, sb, cw, sh,
               want, sr, got);
    }
    expect_same(&s, 1);
}

START_TEST(test_add) { run_binary("fadd", OP_ADD, host_add, 90000, 0x1111); }
END_TEST
START_TEST(test_sub) { run_binary("fsub", OP_SUB, host_sub, 90000, 0x2222); }
END_TEST
START_TEST(test_mul) { run_binary("fmul", OP_MUL, host_mul, 90000, 0x3333); }
END_TEST
START_TEST(test_div) { run_binary("fdiv", OP_DIV, host_div, 90000, 0x4444); }
END_TEST
START_TEST(test_scale) { run_binary("fscale", OP_SCALE, host_scale, 60000, 0x5555); }
END_TEST
START_TEST(test_prem) { run_binary("fprem", OP_PREM, host_prem, 60000, 0x6666); }
END_TEST
START_TEST(test_prem1) { run_binary("fprem1", OP_PREM1, host_prem1, 60000, 0x7777); }
END_TEST
START_TEST(test_com) { run_binary("fcom", OP_COM, host_com, 45000, 0x8888); }
END_TEST
START_TEST(test_ucom) { run_binary("fucom", OP_UCOM, host_ucom, 45000, 0x9999); }
END_TEST

/* One register operand. */
static Fx80 gen_unary(int kind)
{
    Fx80 a = gen_operand();
    if (kind == 0 && rndn(5) == 0 && is_finite_nonzero(a)) {
        /* sqrt: exact squares now and then */
        uint64_t r = rnd64() >> (32 + rndn(32)) | 1;
        uint64_t sq = r * r;
        unsigned lz = (unsigned)__builtin_clzll(sq);
        a = mk(false, a.se & 0x7FFF, sq << lz);
    }
    if (kind == 1 && rndn(2)) /* frndint: around the integers */
        a = mk(rndn(2), BIAS - 3 + rndn(70), gen_mant());
    return a;
}

START_TEST(test_sqrt)
{
    Stats s = {.name = "fsqrt"};
    seed_rng(0xAAAA);
    for (unsigned i = 0; i < CASES(75000); i++) {
        Fx80 a = gen_unary(0);
        if (rndn(2))
            a.se &= 0x7FFF;
        uint16_t cw = gen_cw();
        HostOut h;
        host_sqrt(a, cw, &h);
        SfStatus st = sf_status(cw);
        Fx80 r = sf_sqrt(a, &st);
        uint16_t want = h.sw & (SW_FLAGS | SW_C1), got = brisk_sw(&st);
        bool differ = want != got || (reg_written(h.sw, cw) && !same(h.st[0], r));
        char sa[32], sh[32], sr[32];
        fx_str(sa, a);
        fx_str(sh, h.st[0]);
        fx_str(sr, r);
        tally(&s, h.sw, cw);
        report(&s, differ, "a=%s cw=%04x: host %s sw=%04x, brisk %s sw=%04x", sa, cw, sh, want, sr,
               got);
    }
    expect_same(&s, 1);
}
END_TEST

START_TEST(test_rndint)
{
    Stats s = {.name = "frndint"};
    seed_rng(0xBBBB);
    for (unsigned i = 0; i < CASES(60000); i++) {
        Fx80 a = gen_unary(1);
        uint16_t cw = gen_cw();
        HostOut h;
        host_rndint(a, cw, &h);
        SfStatus st = sf_status(cw);
        Fx80 r = sf_round_to_int(a, &st);
        uint16_t want = h.sw & (SW_FLAGS | SW_C1), got = brisk_sw(&st);
        bool differ = want != got || (reg_written(h.sw, cw) && !same(h.st[0], r));
        char sa[32], sh[32], sr[32];
        fx_str(sa, a);
        fx_str(sh, h.st[0]);
        fx_str(sr, r);
        tally(&s, h.sw, cw);
        report(&s, differ, "a=%s cw=%04x: host %s sw=%04x, brisk %s sw=%04x", sa, cw, sh, want, sr,
               got);
    }
    expect_same(&s, 1);
}
END_TEST

START_TEST(test_xtract)
{
    Stats s = {.name = "fxtract"};
    seed_rng(0xCCCC);
    for (unsigned i = 0; i < CASES(45000); i++) {
        Fx80 a = gen_operand();
        uint16_t cw = gen_cw();
        HostOut h;
        host_xtract(a, cw, &h);
        SfStatus st = sf_status(cw);
        Fx80 sig;
        Fx80 e = sf_xtract(a, &sig, &st);
        uint16_t want = h.sw & (SW_FLAGS | SW_C1), got = brisk_sw(&st);
        bool differ = want != got ||
                      (reg_written(h.sw, cw) && (!same(h.st[0], sig) || !same(h.st[1], e)));
        char sa[32], sh0[32], sh1[32], s0[32], s1[32];
        fx_str(sa, a);
        fx_str(sh0, h.st[0]);
        fx_str(sh1, h.st[1]);
        fx_str(s0, sig);
        fx_str(s1, e);
        tally(&s, h.sw, cw);
        report(&s, differ, "a=%s cw=%04x: host %s %s sw=%04x, brisk %s %s sw=%04x", sa, cw, sh0,
               sh1, want, s0, s1, got);
    }
    expect_same(&s, 1);
}
END_TEST

START_TEST(test_xam)
{
    Stats s = {.name = "fxam"};
    seed_rng(0xDDDD);
    for (unsigned i = 0; i < CASES(20000); i++) {
        Fx80 a = gen_operand();
        HostOut h;
        host_xam(a, 0x37F, &h);
        unsigned c = sf_fxam_class(a);
        uint16_t got = (uint16_t)((c & 4 ? SW_C3 : 0) | (c & 2 ? SW_C2 : 0) | (c & 1 ? SW_C0 : 0) |
                                  (sf_sign(a) ? SW_C1 : 0));
        uint16_t want = h.sw & (SW_C0 | SW_C1 | SW_C2 | SW_C3 | SW_FLAGS);
        char sa[32];
        fx_str(sa, a);
        tally(&s, h.sw, 0x37F);
        report(&s, want != got, "a=%s: host sw=%04x, brisk sw=%04x", sa, want, got);
    }
    expect_same(&s, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* stores to memory                                                     */

/* A value of about 2^e2 (unbiased), often on a rounding boundary. */
static Fx80 gen_near(int e2lo, int e2hi)
{
    if (rndn(8) == 0)
        return gen_operand();
    int e = e2lo + (int)rndn((unsigned)(e2hi - e2lo + 1));
    unsigned be = (unsigned)(e + BIAS);
    if (e + BIAS < 1)
        return mk(rndn(2), 0, gen_mant() >> (1 - (e + BIAS) > 63 ? 63 : 1 - (e + BIAS)));
    return mk(rndn(2), be, gen_mant());
}

START_TEST(test_st_f32_f64)
{
    Stats s32 = {.name = "fst m32"}, s64 = {.name = "fst m64"};
    seed_rng(0xEEEE);
    for (unsigned i = 0; i < CASES(100000); i++) {
        bool dbl = i & 1;
        Fx80 a;
        switch (rndn(4)) {
        case 0: a = dbl ? gen_near(-1100, -1000) : gen_near(-160, -110); break;
        case 1: a = dbl ? gen_near(1010, 1030) : gen_near(115, 135); break;
        case 2: a = gen_near(-70, 70); break;
        default: a = gen_operand(); break;
        }
        uint16_t cw = gen_cw();
        HostOut h;
        SfStatus st = sf_status(cw);
        uint64_t r, hr = 0;
        if (dbl) {
            host_st64(a, cw, &h);
            r = sf_to_f64(a, &st);
            memcpy(&hr, h.mem, 8);
        } else {
            host_st32(a, cw, &h);
            r = sf_to_f32(a, &st);
            memcpy(&hr, h.mem, 4);
            hr &= 0xFFFFFFFF;
        }
        uint16_t want = h.sw & (SW_FLAGS | SW_C1), got = brisk_sw(&st);
        bool differ = want != got || (mem_written(h.sw, cw) && hr != r);
        char sa[32];
        fx_str(sa, a);
        tally((dbl ? &s64 : &s32), h.sw, cw);
        report(dbl ? &s64 : &s32, differ,
               "a=%s cw=%04x: host %016llx sw=%04x, brisk %016llx sw=%04x", sa, cw,
               (unsigned long long)hr, want, (unsigned long long)r, got);
    }
    Stats all[2] = {s32, s64};
    expect_same(all, 2);
}
END_TEST

/* About k (an integer) plus a fraction that is 0, 1/2, beside 1/2 or
 * random. */
static Fx80 gen_around_int(uint64_t k, bool neg)
{
    static const uint64_t fracs[] = {0, 1ull << 63, (1ull << 63) - 1, (1ull << 63) + 1, 1, ~0ull};
    uint64_t f = rndn(7) < 6 ? fracs[rndn(6)] : rnd64();
    if (k == 0 && f == 0)
        return mk(neg, 0, 0);
    /* normalize the fixed-point k.f, truncating what does not fit */
    unsigned lz = k ? (unsigned)__builtin_clzll(k) : 64 + (unsigned)__builtin_clzll(f);
    unsigned __int128 x = ((unsigned __int128)k << 64 | f) << lz;
    return mk(neg, (unsigned)(BIAS + 63 - (int)lz), (uint64_t)(x >> 64));
}

START_TEST(test_ist)
{
    Stats ss[6] = {{.name = "fist m16"},   {.name = "fist m32"},   {.name = "fistp m64"},
                   {.name = "fisttp m16"}, {.name = "fisttp m32"}, {.name = "fisttp m64"}};
    static const unsigned bits[3] = {16, 32, 64};
    typedef void (*HostStore)(Fx80, uint16_t, HostOut *);
    static const HostStore hosts[6] = {host_ist16,  host_ist32,  host_ist64,
                                       host_istt16, host_istt32, host_istt64};
    seed_rng(0xF0F0);
    for (unsigned i = 0; i < CASES(180000); i++) {
        unsigned k = i % 6, w = k % 3; /* k >= 3: FISTTP (truncates) */
        Fx80 a;
        switch (rndn(4)) {
        case 0: {
            uint64_t lim = 1ull << (bits[w] - 1);
            a = gen_around_int(lim - 2 + rndn(4), rndn(2));
            break;
        }
        case 1: a = gen_around_int(rndn(5), rndn(2)); break;
        case 2: a = gen_near(-3, (int)bits[w] + 1); break;
        default: a = gen_operand(); break;
        }
        uint16_t cw = gen_cw();
        HostOut h;
        SfStatus st = sf_status(cw);
        int64_t r = sf_to_int(a, bits[w], k >= 3, &st);
        hosts[k](a, cw, &h);
        int64_t hr;
        if (w == 0) {
            int16_t v;
            memcpy(&v, h.mem, 2);
            hr = v;
        } else if (w == 1) {
            int32_t v;
            memcpy(&v, h.mem, 4);
            hr = v;
        } else {
            memcpy(&hr, h.mem, 8);
        }
        uint16_t want = h.sw & (SW_FLAGS | SW_C1), got = brisk_sw(&st);
        bool differ = want != got || (mem_written(h.sw, cw) && hr != r);
        char sa[32];
        fx_str(sa, a);
        tally(&ss[k], h.sw, cw);
        report(&ss[k], differ, "a=%s cw=%04x: host %lld sw=%04x, brisk %lld sw=%04x", sa, cw,
               (long long)hr, want, (long long)r, got);
    }
    expect_same(ss, 6);
}
END_TEST

START_TEST(test_bstp)
{
    Stats s = {.name = "fbstp"};
    seed_rng(0xF1F1);
    for (unsigned i = 0; i < CASES(60000); i++) {
        Fx80 a;
        switch (rndn(4)) {
        case 0: a = gen_around_int(999999999999999999ull - 1 + rndn(3), rndn(2)); break;
        case 1: a = gen_around_int(rndn(3), rndn(2)); break;
        case 2: a = gen_near(-3, 62); break;
        default: a = gen_operand(); break;
        }
        uint16_t cw = gen_cw();
        HostOut h;
        host_bstp(a, cw, &h);
        SfStatus st = sf_status(cw);
        uint8_t r[10];
        sf_to_bcd(a, r, &st);
        uint16_t want = h.sw & (SW_FLAGS | SW_C1), got = brisk_sw(&st);
        bool differ = want != got || (mem_written(h.sw, cw) && memcmp(h.mem, r, 10) != 0);
        char sa[32], hb[24], rb[24];
        fx_str(sa, a);
        for (int j = 0; j < 10; j++) {
            sprintf(hb + 2 * j, "%02x", h.mem[9 - j]);
            sprintf(rb + 2 * j, "%02x", r[9 - j]);
        }
        tally(&s, h.sw, cw);
        report(&s, differ, "a=%s cw=%04x: host %s sw=%04x, brisk %s sw=%04x", sa, cw, hb, want, rb,
               got);
    }
    expect_same(&s, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* loads from memory                                                    */

static uint64_t gen_ieee_bits(bool dbl)
{
    unsigned fb = dbl ? 52 : 23, eb = dbl ? 11 : 8;
    uint64_t f = rnd64() >> (64 - fb), emax = (1u << eb) - 1, e;
    switch (rndn(6)) {
    case 0: e = 0; f >>= rndn(fb); break;
    case 1: e = emax; f >>= rndn(fb); break;
    case 2: e = rndn(2) ? 1 : emax - 1; break;
    default: e = rndn((unsigned)emax + 1); break;
    }
    return (uint64_t)rndn(2) << (fb + eb) | e << fb | f;
}

START_TEST(test_ld_f32_f64)
{
    Stats s32 = {.name = "fld m32"}, s64 = {.name = "fld m64"};
    seed_rng(0xF2F2);
    for (unsigned i = 0; i < CASES(60000); i++) {
        bool dbl = i & 1;
        uint64_t v = gen_ieee_bits(dbl);
        uint8_t m[16] = {0};
        memcpy(m, &v, 8);
        uint16_t cw = gen_cw();
        HostOut h;
        SfStatus st = sf_status(cw);
        Fx80 r;
        if (dbl) {
            host_ld64(m, cw, &h);
            r = sf_from_f64(v, &st);
        } else {
            host_ld32(m, cw, &h);
            r = sf_from_f32((uint32_t)v, &st);
        }
        uint16_t want = h.sw & (SW_FLAGS | SW_C1), got = brisk_sw(&st);
        bool differ = want != got || (reg_written(h.sw, cw) && !same(h.st[0], r));
        char sh[32], sr[32];
        fx_str(sh, h.st[0]);
        fx_str(sr, r);
        tally((dbl ? &s64 : &s32), h.sw, cw);
        report(dbl ? &s64 : &s32, differ, "v=%016llx cw=%04x: host %s sw=%04x, brisk %s sw=%04x",
               (unsigned long long)v, cw, sh, want, sr, got);
    }
    Stats all[2] = {s32, s64};
    expect_same(all, 2);
}
END_TEST

/* A 32/64-bit real near the value of a (its significand cut short, the
 * low bits disturbed), or any value. */
static uint64_t gen_ieee_near(Fx80 a, bool dbl)
{
    unsigned fb = dbl ? 52 : 23, eb = dbl ? 11 : 8;
    int bias = dbl ? 1023 : 127, e = (a.se & 0x7FFF) - BIAS + bias;
    if (rndn(2) || !is_finite_nonzero(a) || e < 1 || e >= (1 << eb) - 1)
        return gen_ieee_bits(dbl);
    uint64_t f = (a.mant << 1) >> (64 - fb);
    if (rndn(2))
        f ^= rnd64() >> (56 + rndn(8));
    return (uint64_t)rndn(2) << (fb + eb) | (uint64_t)e << fb | (f & ((1ull << fb) - 1));
}

/* FADD..FDIVR and FCOM with a real memory operand. */
START_TEST(test_mem_operand)
{
    typedef void (*HostMem)(Fx80, uint64_t, uint16_t, HostOut *);
    static const HostMem hosts[2][8] = {
        {host_fadds, host_fmuls, host_fcoms, host_fcoms, host_fsubs, host_fsubrs, host_fdivs,
         host_fdivrs},
        {host_faddl, host_fmull, host_fcoml, host_fcoml, host_fsubl, host_fsubrl, host_fdivl,
         host_fdivrl},
    };
    Stats ss[2] = {{.name = "fop m32"}, {.name = "fop m64"}};
    seed_rng(0xF5F5);
    for (unsigned i = 0; i < CASES(80000); i++) {
        bool dbl = i & 1;
        unsigned op = rndn(8);
        Fx80 a = gen_operand();
        uint64_t m = gen_ieee_near(a, dbl);
        uint16_t cw = gen_cw();
        HostOut h;
        hosts[dbl][op](a, m, cw, &h);
        SfStatus st = sf_status(cw);
        Fx80 r = {0, 0};
        uint16_t cc = 0, ccmask = SW_C1;
        if (op == 2 || op == 3) {
            int c = sf_compare_mem(a, m, dbl, &st);
            cc = c == -1 ? SW_C0 : c == 0 ? SW_C3 : c == 1 ? 0 : SW_C0 | SW_C2 | SW_C3;
            if (!(st.flags & ~cw & (SF_IE | SF_DE)))
                ccmask |= SW_C0 | SW_C2 | SW_C3;
        } else {
            r = sf_arith_mem(op, a, m, dbl, &st);
        }
        uint16_t want = h.sw & (SW_FLAGS | ccmask);
        uint16_t got = (uint16_t)((brisk_sw(&st) | cc) & (SW_FLAGS | ccmask));
        bool differ = want != got || (op != 2 && op != 3 && reg_written(h.sw, cw) &&
                                      !same(h.st[0], r));
        char sa[32], sh[32], sr[32];
        fx_str(sa, a);
        fx_str(sh, h.st[0]);
        fx_str(sr, r);
        tally(&ss[dbl], h.sw, cw);
        report(&ss[dbl], differ, "op %u a=%s m=%016llx cw=%04x: host %s sw=%04x, brisk %s sw=%04x",
               op, sa, (unsigned long long)m, cw, sh, want, sr, got);
    }
    expect_same(ss, 2);
}
END_TEST

START_TEST(test_ild)
{
    Stats s = {.name = "fild m64"};
    seed_rng(0xF3F3);
    for (unsigned i = 0; i < CASES(20000); i++) {
        int64_t v = (int64_t)(rnd64() >> rndn(64));
        if (rndn(2))
            v = -v;
        if (rndn(50) == 0)
            v = INT64_MIN;
        uint8_t m[16] = {0};
        memcpy(m, &v, 8);
        HostOut h;
        host_ild64(m, 0x37F, &h);
        Fx80 r = sf_from_i64(v);
        char sh[32], sr[32];
        fx_str(sh, h.st[0]);
        fx_str(sr, r);
        tally(&s, h.sw, 0x37F);
        report(&s, !same(h.st[0], r) || (h.sw & SW_FLAGS), "v=%lld: host %s, brisk %s",
               (long long)v, sh, sr);
    }
    expect_same(&s, 1);
}
END_TEST

START_TEST(test_bld)
{
    Stats s = {.name = "fbld"};
    seed_rng(0xF4F4);
    for (unsigned i = 0; i < CASES(20000); i++) {
        uint8_t m[16] = {0};
        unsigned digits = rndn(19);
        bool bad = rndn(10) == 0;
        for (unsigned d = 0; d < digits; d++) {
            unsigned v = bad && rndn(3) == 0 ? rndn(16) : rndn(10);
            m[d / 2] |= (uint8_t)(v << (4 * (d & 1)));
        }
        m[9] = (uint8_t)((rndn(2) ? 0x80 : 0) | (rndn(4) == 0 ? rndn(128) : 0));
        HostOut h;
        host_bld(m, 0x37F, &h);
        Fx80 r = sf_from_bcd(m);
        char sh[32], sr[32], mb[24];
        fx_str(sh, h.st[0]);
        fx_str(sr, r);
        for (int j = 0; j < 10; j++)
            sprintf(mb + 2 * j, "%02x", m[9 - j]);
        tally(&s, h.sw, 0x37F);
        report(&s, !same(h.st[0], r) || (h.sw & SW_FLAGS), "bcd=%s: host %s, brisk %s", mb, sh,
               sr);
    }
    expect_same(&s, 1);
}
END_TEST

#endif /* __x86_64__ */

/* ------------------------------------------------------------------ */
/* fixed facts that the host cannot show                                */

static Fx80 fx(bool sign, unsigned exp, uint64_t mant)
{
    return (Fx80){.mant = mant, .se = (uint16_t)((sign ? 0x8000u : 0u) | exp)};
}

START_TEST(test_fixed)
{
    /* The classification helpers and sf_status, which the oracle tests
     * use without checking. */
    ck_assert(sf_is_denormal(fx(false, 0, 1)));
    ck_assert(!sf_is_denormal(fx(false, 0, 1ull << 63)));
    ck_assert(sf_is_pseudo_denormal(fx(true, 0, 1ull << 63)));
    ck_assert(sf_is_unsupported(fx(false, 5, 1)));
    ck_assert(sf_is_unsupported(fx(false, 0x7FFF, 0)));
    ck_assert(sf_is_snan(fx(false, 0x7FFF, (1ull << 63) | 1)));
    ck_assert(!sf_is_snan(sf_indefinite()));
    ck_assert(sf_is_nan(sf_indefinite()));
    ck_assert(sf_is_inf(fx(true, 0x7FFF, 1ull << 63)));
    ck_assert(sf_is_zero(fx(true, 0, 0)));
    SfStatus st = sf_status(0x0F7F);
    ck_assert_int_eq(st.rc, SF_RC_ZERO);
    ck_assert_int_eq(st.pc, SF_PC_64);
    ck_assert_int_eq(st.masks, 0x3F);
    /* FISTP m16 of an out-of-range value: the 16-bit integer indefinite. */
    ck_assert_int_eq(sf_to_int(fx(false, 16383 + 20, 1ull << 63), 16, false, &st), INT16_MIN);
    st = sf_status(0x037F);
    ck_assert_int_eq(sf_to_int(fx(false, 16383 + 1, 5ull << 61), 32, true, &st), 2); /* 2.5 */
}
END_TEST

static Suite *softfloat_suite(void)
{
    Suite *s = suite_create("softfloat");
    TCase *tc = tcase_create("oracle");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fixed);
#if defined(__x86_64__)
    tcase_add_test(tc, test_add);
    tcase_add_test(tc, test_sub);
    tcase_add_test(tc, test_mul);
    tcase_add_test(tc, test_div);
    tcase_add_test(tc, test_sqrt);
    tcase_add_test(tc, test_rndint);
    tcase_add_test(tc, test_scale);
    tcase_add_test(tc, test_xtract);
    tcase_add_test(tc, test_prem);
    tcase_add_test(tc, test_prem1);
    tcase_add_test(tc, test_com);
    tcase_add_test(tc, test_ucom);
    tcase_add_test(tc, test_xam);
    tcase_add_test(tc, test_mem_operand);
    tcase_add_test(tc, test_st_f32_f64);
    tcase_add_test(tc, test_ist);
    tcase_add_test(tc, test_bstp);
    tcase_add_test(tc, test_ld_f32_f64);
    tcase_add_test(tc, test_ild);
    tcase_add_test(tc, test_bld);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(softfloat_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
