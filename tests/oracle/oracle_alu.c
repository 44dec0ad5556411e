/*
 * test_alu_oracle.c - the host CPU as the oracle for the arithmetic, logic,
 * shift, multiply/divide and bit handlers (cpu/ops_alu.c, ops_muldiv.c,
 * ops_shift.c, ops_bit.c) and fixed vectors for the BCD adjusts
 * (cpu/ops_bcd.c), which do not exist in 64-bit mode.
 *
 * For each case: random operands (with a bias towards edge values) and
 * random input flags; the host runs the instruction in 64-bit mode with
 * the same operand size (8/16/32-bit forms behave there as in protected
 * mode) between popfq and pushfq; Brisk runs its handler on a Cpu with a
 * hand-made DecodedInsn, mostly in register form (random register
 * numbers, AH..BH included) and sometimes with the operand in guest RAM.
 * Registers (all eight), memory and flags are compared, and for the
 * lazily-flagged operations flags_cond() is checked for all 16 conditions
 * (its compare fast paths included). Fixed seed, so a failure reproduces.
 *
 * Usage: oracle_alu [--scale N]   (also BRISK_ORACLE_SCALE=N)
 *
 * Flags compared (the rest are documented below and in the handlers):
 *   ADD..CMP, TEST, INC, DEC, NEG, NOT, XADD, CMPXCHG, rotates,
 *   BT/BTS/BTR/BTC, BSF/BSR       all six (OF SF ZF AF PF CF)
 *   SHL/SHR/SAR, SHLD/SHRD          all but AF when the count is nonzero:
 *                                   P6 leaves AF = 0, the Zen host sets 1.
 *                                   16-bit SHLD/SHRD by 17..31: the P6
 *                                   shifts dest:src:dest, the Zen host
 *                                   dest:src:src (as the Pentium did), so
 *                                   the expected value comes from the host
 *                                   running the equivalent swapped-operand
 *                                   shift by count - 16. 16-bit SHLD by 16:
 *                                   OF not compared (Zen: OF = CF).
 *   MUL/IMUL                        CF, OF (SF/ZF/AF/PF: P6 values from
 *                                   the low half, AF = 0; the Zen host
 *                                   leaves them unchanged). Brisk's values
 *                                   are checked against that rule instead.
 *   DIV/IDIV                        none from the host (the Zen host
 *                                   clears SF/ZF/PF and sets AF); Brisk
 *                                   must leave all six unchanged, as the
 *                                   P6 does. #DE must happen exactly when
 *                                   the host raises SIGFPE.
 * The undefined flags that are compared (OF of multi-bit shifts and
 * rotates, SHLD/SHRD of 16 bits by more than 16, BT's untouched flags,
 * BSF/BSR flags and a zero source) agree between the P6 rules Brisk
 * implements and the host.
 */
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/ops.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"

#define MEM_OFF 0x1000u /* guest offset (DS base 0) of memory operands */

/* Cases per form: the counts below times the scale (--scale N or
 * BRISK_ORACLE_SCALE): 1 in CI (tens of thousands per instruction family,
 * about 2 s), 100 or more for a long run (millions). */
static long scale = 1;
static inline long cases(long n) { return n * scale; }

/* ------------------------------------------------------------------ */
/* random numbers: xorshift64*, fixed seed                             */

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

/* An operand of sz bytes, often an edge value. */
static uint32_t operand(unsigned sz)
{
    uint32_t m = size_mask(sz), s = sign_bit(sz);
    switch (rnd() % 12) {
    case 0: return 0;
    case 1: return 1;
    case 2: return m;
    case 3: return s;
    case 4: return s - 1;
    case 5: return s + 1;
    case 6: return rnd() % 32;
    case 7: return (m - rnd() % 32) & m;
    default: return rnd() & m;
    }
}

static uint32_t random_flags(void)
{
    return rnd() & F_ARITH;
}

/* ------------------------------------------------------------------ */
/* the host side                                                        */

/* The asm moves the stack pointer below the red zone before pushing. */
#define PRE  "add $-128, %%rsp\n\tpushq %q[f]\n\tpopfq\n\t"
#define POST "\n\tpushfq\n\tpopq %q[f]\n\tsub $-128, %%rsp"

typedef uint32_t (*HostBin)(uint32_t a, uint32_t b, uint32_t *fl);

/* a = a op b */
#define HBIN(name, insn)                                                                           \
    static uint32_t name(uint32_t a, uint32_t b, uint32_t *fl)                                     \
    {                                                                                              \
        uint64_t f = *fl | 2;                                                                      \
        __asm__ volatile(PRE insn POST : [a] "+r"(a), [f] "+r"(f) : [b] "r"(b) : "cc");            \
        *fl = (uint32_t)f & F_ARITH;                                                               \
        return a;                                                                                  \
    }
#define HBIN3(name, mn)                                                                            \
    HBIN(name##8, mn "b %b[b], %b[a]")                                                             \
    HBIN(name##16, mn "w %w[b], %w[a]")                                                            \
    HBIN(name##32, mn "l %k[b], %k[a]")

/* a = a op CL (b is the count) */
#define HCNT(name, insn)                                                                           \
    static uint32_t name(uint32_t a, uint32_t b, uint32_t *fl)                                     \
    {                                                                                              \
        uint64_t f = *fl | 2;                                                                      \
        __asm__ volatile(PRE insn POST : [a] "+r"(a), [f] "+r"(f) : "c"(b) : "cc");                \
        *fl = (uint32_t)f & F_ARITH;                                                               \
        return a;                                                                                  \
    }
#define HCNT3(name, mn)                                                                            \
    HCNT(name##8, mn "b %%cl, %b[a]")                                                              \
    HCNT(name##16, mn "w %%cl, %w[a]")                                                             \
    HCNT(name##32, mn "l %%cl, %k[a]")

/* a = op a */
#define HUN(name, insn)                                                                            \
    static uint32_t name(uint32_t a, uint32_t b, uint32_t *fl)                                     \
    {                                                                                              \
        (void)b;                                                                                   \
        uint64_t f = *fl | 2;                                                                      \
        __asm__ volatile(PRE insn POST : [a] "+r"(a), [f] "+r"(f) : : "cc");                       \
        *fl = (uint32_t)f & F_ARITH;                                                               \
        return a;                                                                                  \
    }
#define HUN3(name, mn)                                                                             \
    HUN(name##8, mn "b %b[a]")                                                                     \
    HUN(name##16, mn "w %w[a]")                                                                    \
    HUN(name##32, mn "l %k[a]")

HBIN3(h_add, "add")
HBIN3(h_or, "or")
HBIN3(h_adc, "adc")
HBIN3(h_sbb, "sbb")
HBIN3(h_and, "and")
HBIN3(h_sub, "sub")
HBIN3(h_xor, "xor")
HBIN3(h_cmp, "cmp")
HBIN3(h_test, "test")
HUN3(h_inc, "inc")
HUN3(h_dec, "dec")
HUN3(h_neg, "neg")
HUN3(h_not, "not")
HCNT3(h_rol, "rol")
HCNT3(h_ror, "ror")
HCNT3(h_rcl, "rcl")
HCNT3(h_rcr, "rcr")
HCNT3(h_shl, "shl")
HCNT3(h_shr, "shr")
HCNT3(h_sar, "sar")
HBIN(h_imul16, "imulw %w[b], %w[a]")
HBIN(h_imul32, "imull %k[b], %k[a]")
HBIN(h_bt16, "btw %w[b], %w[a]")
HBIN(h_bt32, "btl %k[b], %k[a]")
HBIN(h_bts16, "btsw %w[b], %w[a]")
HBIN(h_bts32, "btsl %k[b], %k[a]")
HBIN(h_btr16, "btrw %w[b], %w[a]")
HBIN(h_btr32, "btrl %k[b], %k[a]")
HBIN(h_btc16, "btcw %w[b], %w[a]")
HBIN(h_btc32, "btcl %k[b], %k[a]")
HBIN(h_bsf16, "bsfw %w[b], %w[a]")
HBIN(h_bsf32, "bsfl %k[b], %k[a]")
HBIN(h_bsr16, "bsrw %w[b], %w[a]")
HBIN(h_bsr32, "bsrl %k[b], %k[a]")

/* SHLD/SHRD a, b, CL */
typedef uint32_t (*HostDbl)(uint32_t a, uint32_t b, uint32_t c, uint32_t *fl);
#define HDBL(name, insn)                                                                           \
    static uint32_t name(uint32_t a, uint32_t b, uint32_t c, uint32_t *fl)                         \
    {                                                                                              \
        uint64_t f = *fl | 2;                                                                      \
        __asm__ volatile(PRE insn POST : [a] "+r"(a), [f] "+r"(f) : [b] "r"(b), "c"(c) : "cc");    \
        *fl = (uint32_t)f & F_ARITH;                                                               \
        return a;                                                                                  \
    }
HDBL(h_shld16, "shldw %%cl, %w[b], %w[a]")
HDBL(h_shld32, "shldl %%cl, %k[b], %k[a]")
HDBL(h_shrd16, "shrdw %%cl, %w[b], %w[a]")
HDBL(h_shrd32, "shrdl %%cl, %k[b], %k[a]")

/* XADD a, b (both change) */
typedef void (*HostXadd)(uint32_t *a, uint32_t *b, uint32_t *fl);
#define HXADD(name, insn)                                                                          \
    static void name(uint32_t *pa, uint32_t *pb, uint32_t *fl)                                     \
    {                                                                                              \
        uint32_t a = *pa, b = *pb;                                                                 \
        uint64_t f = *fl | 2;                                                                      \
        __asm__ volatile(PRE insn POST : [a] "+r"(a), [b] "+r"(b), [f] "+r"(f) : : "cc");          \
        *pa = a;                                                                                   \
        *pb = b;                                                                                   \
        *fl = (uint32_t)f & F_ARITH;                                                               \
    }
HXADD(h_xadd8, "xaddb %b[b], %b[a]")
HXADD(h_xadd16, "xaddw %w[b], %w[a]")
HXADD(h_xadd32, "xaddl %k[b], %k[a]")

/* CMPXCHG dest, src with the accumulator */
typedef void (*HostCx)(uint32_t *acc, uint32_t *dest, uint32_t src, uint32_t *fl);
#define HCX(name, insn)                                                                            \
    static void name(uint32_t *pacc, uint32_t *pd, uint32_t src, uint32_t *fl)                     \
    {                                                                                              \
        uint32_t acc = *pacc, dst = *pd;                                                           \
        uint64_t f = *fl | 2;                                                                      \
        __asm__ volatile(PRE insn POST                                                             \
                         : "+a"(acc), [d] "+r"(dst), [f] "+r"(f)                                   \
                         : [s] "r"(src)                                                            \
                         : "cc");                                                                  \
        *pacc = acc;                                                                               \
        *pd = dst;                                                                                 \
        *fl = (uint32_t)f & F_ARITH;                                                               \
    }
HCX(h_cx8, "cmpxchgb %b[s], %b[d]")
HCX(h_cx16, "cmpxchgw %w[s], %w[d]")
HCX(h_cx32, "cmpxchgl %k[s], %k[d]")

/* MUL/IMUL/DIV/IDIV with EAX/EDX */
typedef void (*HostMd)(uint32_t *eax, uint32_t *edx, uint32_t s, uint32_t *fl);
#define HMD(name, insn)                                                                            \
    static void name(uint32_t *peax, uint32_t *pedx, uint32_t s, uint32_t *fl)                     \
    {                                                                                              \
        uint32_t a = *peax, dd = *pedx;                                                            \
        uint64_t f = *fl | 2;                                                                      \
        __asm__ volatile(PRE insn POST : "+a"(a), "+d"(dd), [f] "+r"(f) : [s] "r"(s) : "cc");      \
        *peax = a;                                                                                 \
        *pedx = dd;                                                                                \
        *fl = (uint32_t)f & F_ARITH;                                                               \
    }
#define HMD3(name, mn)                                                                             \
    HMD(name##8, mn "b %b[s]")                                                                     \
    HMD(name##16, mn "w %w[s]")                                                                    \
    HMD(name##32, mn "l %k[s]")
HMD3(h_mul, "mul")
HMD3(h_imul1, "imul")
HMD3(h_div, "div")
HMD3(h_idiv, "idiv")

static sigjmp_buf host_fpe;
static void on_sigfpe(int sig)
{
    (void)sig;
    siglongjmp(host_fpe, 1);
}

/* Runs a host divide; false if it raised #DE (SIGFPE). */
static bool host_divide(HostMd fn, uint32_t *eax, uint32_t *edx, uint32_t s, uint32_t *fl)
{
    if (sigsetjmp(host_fpe, 1)) return false;
    fn(eax, edx, s, fl);
    return true;
}

/* ------------------------------------------------------------------ */
/* the Brisk side                                                       */

static Bus *bus;
static Clock clk;
static Cpu *cpu;
static uint8_t *ram;
static unsigned failures;

static void setup(void)
{
    bus = bus_new();
    ram = bus_add_ram(bus, 0, 1u << 20, "ram");
    clock_init(&clk, 100000000);
    cpu = cpu_new(bus, &clk);
    failures = 0;
}

static void teardown(void)
{
    cpu_free(cpu);
    bus_free(bus);
}

#define REPORT(...)                                                                                \
    do {                                                                                           \
        if (failures++ < 12) {                                                                     \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

static const char *const szname[5] = {"?", "8", "16", "?", "32"};

/* reg_write on a plain array (the expected register file). */
static void arr_write(uint32_t *regs, unsigned r, uint32_t v, unsigned sz)
{
    if (sz == 1) {
        if (r < 4)
            regs[r] = (regs[r] & ~0xFFu) | (v & 0xFF);
        else
            regs[r - 4] = (regs[r - 4] & ~0xFF00u) | ((v & 0xFF) << 8);
    } else if (sz == 2) {
        regs[r] = (regs[r] & 0xFFFF0000u) | (v & 0xFFFF);
    } else {
        regs[r] = v;
    }
}

/* A register number for an operand of size sz, not in the avoid mask
 * (bit i: register number i). For sizes 2 and 4, a 16/32-bit register
 * conflicts with the bytes that alias it; the callers avoid those. */
static unsigned pick_reg(unsigned avoid)
{
    for (;;) {
        unsigned r = rnd() & 7;
        if (!(avoid >> r & 1)) return r;
    }
}

/* 8-bit register numbers that share a 32-bit register with r. */
static unsigned alias_mask(unsigned r, unsigned sz)
{
    if (sz == 1) return 1u << r;
    unsigned m = 1u << r;
    if (r < 4) m |= 1u << (r + 4);
    return m;
}

static void random_regs(void)
{
    for (int i = 0; i < 8; i++)
        cpu->regs[i] = rnd();
}

static void set_flags(uint32_t f)
{
    cpu->eflags = 0x2 | (f & F_ARITH);
    cpu->cc_op = CC_EFLAGS;
}

static uint32_t get_flags(void)
{
    return flags_compute(cpu) & F_ARITH;
}

/* Condition cc (Jcc order) evaluated on explicit flags. */
static bool cond_of(uint32_t f, unsigned cc)
{
    bool of = f & F_OF, cf = f & F_CF, zf = f & F_ZF, sf = f & F_SF, pf = f & F_PF, v;
    switch (cc >> 1) {
    case 0: v = of; break;
    case 1: v = cf; break;
    case 2: v = zf; break;
    case 3: v = cf || zf; break;
    case 4: v = sf; break;
    case 5: v = pf; break;
    case 6: v = sf != of; break;
    default: v = zf || sf != of; break;
    }
    return (cc & 1) ? !v : v;
}

/* flags_cond on the lazy state (its fast paths included) agrees with the
 * flags f for all 16 conditions. */
static bool conds_ok(uint32_t f)
{
    for (unsigned cc = 0; cc < 16; cc++)
        if (flags_cond(cpu, cc) != cond_of(f, cc)) return false;
    return true;
}

static DecodedInsn insn(uint16_t op, unsigned sz, unsigned reg, unsigned rm, uint32_t imm)
{
    DecodedInsn d;
    memset(&d, 0, sizeof d);
    d.op = op;
    d.len = 3;
    d.pfx = (uint8_t)((sz == 4 ? PFX_OP32 : 0) | PFX_ADDR32);
    d.seg = S_DS;
    d.reg = (uint8_t)reg;
    d.rm = (uint8_t)rm;
    d.ea_base = EA_NONE;
    d.ea_index = EA_NONE;
    d.imm = imm;
    return d;
}

/* Makes the ModRM operand memory at MEM_OFF holding v. */
static void to_mem(DecodedInsn *d, uint32_t v, unsigned sz)
{
    d->is_mem = 1;
    d->disp = MEM_OFF;
    memset(ram + MEM_OFF - 8, 0xA5, 16);
    memcpy(ram + MEM_OFF, &v, sz);
}

static uint32_t mem_val(unsigned sz)
{
    uint32_t v = 0;
    memcpy(&v, ram + MEM_OFF, sz);
    return v;
}

static void run(InsnFn fn, const DecodedInsn *d)
{
    cpu->eip = 0x100;
    cpu->next_eip = 0x100 + d->len;
    fn(cpu, d);
}

/* Runs fn; returns the exception vector it raised, or -1. */
static int run_catch(InsnFn fn, const DecodedInsn *d)
{
    sigjmp_buf env;
    cpu->jmp = &env;
    cpu->exc_vector = -1;
    if (sigsetjmp(env, 0)) {
        int v = cpu->exc_vector;
        cpu->exc_vector = -1;
        cpu->jmp = NULL;
        return v;
    }
    run(fn, d);
    cpu->jmp = NULL;
    return -1;
}

static unsigned size_of(int k)
{
    return k == 0 ? 1 : k == 1 ? 2 : 4;
}

/* ------------------------------------------------------------------ */
/* ADD OR ADC SBB AND SUB XOR CMP in all six forms, and TEST            */

typedef struct AluRow {
    const char *name;
    HostBin host[3];
    InsnFn eg[2], ge[2], ai[2], ei[2]; /* [0]: 8-bit, [1]: 16/32-bit */
    uint16_t base;                     /* opcode of the E,G byte form */
    unsigned grp;                      /* /r of the 80/81/83 group */
    bool writes;
} AluRow;

#define ALU_ROW(n, b, g, w)                                                                        \
    {                                                                                              \
#n, {h_##n##8, h_##n##16, h_##n##32 },                                                     \
             {op_##n##_EbGb, op_##n##_EvGv },                                                      \
              {op_##n##_GbEb, op_##n##_GvEv },                                                     \
               {op_##n##_ALIb, op_##n##_eAXIz }, {op_##n##_EbIb, op_##n##_EvIz }, b, g, w          \
    }

static const AluRow alu_rows[] = {
    ALU_ROW(add, 0x00, 0, true), ALU_ROW(or, 0x08, 1, true),   ALU_ROW(adc, 0x10, 2, true),
    ALU_ROW(sbb, 0x18, 3, true), ALU_ROW(and, 0x20, 4, true),  ALU_ROW(sub, 0x28, 5, true),
    ALU_ROW(xor, 0x30, 6, true), ALU_ROW(cmp, 0x38, 7, false),
};

START_TEST(test_alu)
{
    for (unsigned row = 0; row < sizeof alu_rows / sizeof alu_rows[0]; row++) {
        const AluRow *R = &alu_rows[row];
        for (int k = 0; k < 3; k++) {
            unsigned sz = size_of(k), v = k ? 1 : 0;
            for (int i = 0; i < cases(6000); i++) {
                uint32_t a = operand(sz), b = operand(sz), fin = random_flags();
                unsigned form = rnd() % 4;
                bool mem = (form == 0 || form == 3) && rnd() % 4 == 0;
                random_regs();
                unsigned dst, src = 0;
                DecodedInsn d;
                InsnFn fn;
                if (form == 0) { /* E,G */
                    dst = pick_reg(0);
                    src = pick_reg(alias_mask(dst, sz));
                    d = insn((uint16_t)(R->base + (k ? 1 : 0)), sz, src, dst, 0);
                    fn = R->eg[v];
                } else if (form == 1) { /* G,E */
                    dst = pick_reg(0);
                    src = pick_reg(alias_mask(dst, sz));
                    d = insn((uint16_t)(R->base + 2 + (k ? 1 : 0)), sz, dst, src, 0);
                    fn = R->ge[v];
                } else if (form == 2) { /* AL/eAX, imm */
                    dst = R_EAX;
                    d = insn((uint16_t)(R->base + 4 + (k ? 1 : 0)), sz, 0, 0, b);
                    fn = R->ai[v];
                } else { /* E, imm: 80/81, or 83 with a sign-extended imm8 */
                    dst = pick_reg(0);
                    uint32_t imm = b;
                    uint16_t op = k ? 0x81 : 0x80;
                    if (k && rnd() % 2) {
                        imm = (uint32_t)(int32_t)(int8_t)rnd();
                        b = imm & size_mask(sz);
                        op = 0x83;
                    }
                    d = insn(op, sz, R->grp, dst, imm);
                    fn = R->ei[v];
                }
                if (mem)
                    to_mem(&d, a, sz);
                else
                    reg_write(cpu, dst, a, sz);
                if (form < 2) reg_write(cpu, src, b, sz);
                uint32_t exp_regs[8];
                memcpy(exp_regs, cpu->regs, sizeof exp_regs);
                uint32_t hf = fin, hr = R->host[k](a, b, &hf);
                if (R->writes && !mem) arr_write(exp_regs, dst, hr, sz);
                set_flags(fin);
                run(fn, &d);
                bool conds = conds_ok(hf);
                uint32_t bf = get_flags();
                bool ok = memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0 && bf == hf && conds;
                if (mem) ok = ok && mem_val(sz) == ((R->writes ? hr : a) & size_mask(sz));
                if (!ok)
                    REPORT("%s%s form %u%s a=%x b=%x fin=%03x: host r=%x f=%03x, brisk f=%03x",
                           R->name, szname[sz], form, mem ? " mem" : "", a, b, fin,
                           hr & size_mask(sz), hf, bf);
            }
        }
    }
    /* TEST in its forms (84/85 E,G; A8/A9; F6/F7 /0 E,imm). */
    static const InsnFn test_eg[2] = {op_test_EbGb, op_test_EvGv};
    static const InsnFn test_ai[2] = {op_test_ALIb, op_test_eAXIz};
    static const InsnFn test_ei[2] = {op_test_EbIb, op_test_EvIz};
    static const HostBin test_h[3] = {h_test8, h_test16, h_test32};
    for (int k = 0; k < 3; k++) {
        unsigned sz = size_of(k), v = k ? 1 : 0;
        for (int i = 0; i < cases(4000); i++) {
            uint32_t a = operand(sz), b = operand(sz), fin = random_flags();
            unsigned form = rnd() % 3;
            random_regs();
            unsigned dst = form == 1 ? R_EAX : pick_reg(0);
            unsigned src = pick_reg(alias_mask(dst, sz));
            DecodedInsn d = insn(0x84, sz, src, dst, b);
            reg_write(cpu, dst, a, sz);
            if (form == 0) reg_write(cpu, src, b, sz);
            uint32_t exp_regs[8];
            memcpy(exp_regs, cpu->regs, sizeof exp_regs);
            uint32_t hf = fin;
            test_h[k](a, b, &hf);
            set_flags(fin);
            run(form == 0 ? test_eg[v] : form == 1 ? test_ai[v] : test_ei[v], &d);
            uint32_t bf = get_flags();
            if (memcmp(exp_regs, cpu->regs, sizeof exp_regs) || bf != hf)
                REPORT("test%s form %u a=%x b=%x: host f=%03x brisk f=%03x", szname[sz], form, a, b,
                       hf, bf);
        }
    }
    ck_assert_uint_eq(failures, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* INC DEC NEG NOT                                                      */

START_TEST(test_unary)
{
    static const struct {
        const char *name;
        HostBin host[3];
        InsnFn fn[2];
    } rows[] = {
        {"inc", {h_inc8, h_inc16, h_inc32}, {op_inc_Eb, op_inc_Ev}},
        {"dec", {h_dec8, h_dec16, h_dec32}, {op_dec_Eb, op_dec_Ev}},
        {"neg", {h_neg8, h_neg16, h_neg32}, {op_neg_Eb, op_neg_Ev}},
        {"not", {h_not8, h_not16, h_not32}, {op_not_Eb, op_not_Ev}},
    };
    for (unsigned row = 0; row < 4; row++) {
        for (int k = 0; k < 3; k++) {
            unsigned sz = size_of(k);
            for (int i = 0; i < cases(5000); i++) {
                uint32_t a = operand(sz), fin = random_flags();
                bool mem = rnd() % 4 == 0;
                /* INC/DEC also in the +r form (40-4F) for 16/32 bits. */
                bool zv = row < 2 && k && !mem && rnd() % 2;
                random_regs();
                unsigned dst = pick_reg(0);
                DecodedInsn d = insn(0xFE, sz, zv ? dst : row, dst, 0);
                InsnFn fn = rows[row].fn[k ? 1 : 0];
                if (zv) fn = row == 0 ? op_inc_Zv : op_dec_Zv;
                if (mem)
                    to_mem(&d, a, sz);
                else
                    reg_write(cpu, dst, a, sz);
                uint32_t exp_regs[8];
                memcpy(exp_regs, cpu->regs, sizeof exp_regs);
                uint32_t hf = fin, hr = rows[row].host[k](a, 0, &hf);
                if (!mem) arr_write(exp_regs, dst, hr, sz);
                set_flags(fin);
                run(fn, &d);
                bool conds = conds_ok(hf);
                uint32_t bf = get_flags();
                bool ok = memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0 && bf == hf && conds;
                if (mem) ok = ok && mem_val(sz) == (hr & size_mask(sz));
                if (!ok)
                    REPORT("%s%s%s a=%x fin=%03x: host r=%x f=%03x brisk f=%03x", rows[row].name,
                           szname[sz], mem ? " mem" : "", a, fin, hr & size_mask(sz), hf, bf);
            }
        }
    }
    ck_assert_uint_eq(failures, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ROL ROR RCL RCR SHL SHR SAL SAR                                      */

START_TEST(test_shift)
{
    static const struct {
        const char *name;
        HostBin host[3];
        InsnFn fn[2];
        unsigned grp;
        bool rotate;
    } rows[] = {
        {"rol", {h_rol8, h_rol16, h_rol32}, {op_rol_Eb, op_rol_Ev}, 0, true},
        {"ror", {h_ror8, h_ror16, h_ror32}, {op_ror_Eb, op_ror_Ev}, 1, true},
        {"rcl", {h_rcl8, h_rcl16, h_rcl32}, {op_rcl_Eb, op_rcl_Ev}, 2, true},
        {"rcr", {h_rcr8, h_rcr16, h_rcr32}, {op_rcr_Eb, op_rcr_Ev}, 3, true},
        {"shl", {h_shl8, h_shl16, h_shl32}, {op_shl_Eb, op_shl_Ev}, 4, false},
        {"shr", {h_shr8, h_shr16, h_shr32}, {op_shr_Eb, op_shr_Ev}, 5, false},
        {"sal", {h_shl8, h_shl16, h_shl32}, {op_sal_Eb, op_sal_Ev}, 6, false},
        {"sar", {h_sar8, h_sar16, h_sar32}, {op_sar_Eb, op_sar_Ev}, 7, false},
    };
    for (unsigned row = 0; row < 8; row++) {
        for (int k = 0; k < 3; k++) {
            unsigned sz = size_of(k);
            /* Every count 0..255 through CL and imm8, many times; D0/D1. */
            for (int i = 0; i < cases(8192); i++) {
                uint32_t a = operand(sz), fin = random_flags();
                unsigned form = rnd() % 4; /* 0: by 1, 1: imm8, 2-3: CL */
                uint32_t count = form == 0 ? 1 : (i < cases(4096) ? (uint32_t)(i & 31) : rnd() & 0xFF);
                bool mem = rnd() % 4 == 0;
                random_regs();
                unsigned dst = pick_reg(alias_mask(R_ECX, 4) | (sz > 1 ? (1u << 5) : 0));
                uint16_t op = (uint16_t)((form == 0   ? 0xD0
                                          : form == 1 ? 0xC0
                                                      : 0xD2) +
                                         (k ? 1 : 0));
                DecodedInsn d = insn(op, sz, rows[row].grp, dst, form == 1 ? count : 0);
                if (form >= 2) cpu->regs[R_ECX] = (cpu->regs[R_ECX] & ~0xFFu) | count;
                if (mem)
                    to_mem(&d, a, sz);
                else
                    reg_write(cpu, dst, a, sz);
                uint32_t exp_regs[8];
                memcpy(exp_regs, cpu->regs, sizeof exp_regs);
                uint32_t hf = fin, hr = rows[row].host[k](a, count, &hf);
                if (!mem) arr_write(exp_regs, dst, hr, sz);
                set_flags(fin);
                run(rows[row].fn[k ? 1 : 0], &d);
                uint32_t bf = get_flags();
                /* AF after a nonzero shift: P6 0, Zen 1 (see the top). */
                uint32_t mask = F_ARITH;
                if (!rows[row].rotate && (count & 31)) {
                    mask &= ~F_AF;
                    if (bf & F_AF) REPORT("%s: AF set after a shift", rows[row].name);
                }
                bool ok =
                    memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0 && (bf & mask) == (hf & mask);
                if (mem) ok = ok && mem_val(sz) == (hr & size_mask(sz));
                if (!ok)
                    REPORT("%s%s%s a=%x count=%u fin=%03x: host r=%x f=%03x brisk r=%x f=%03x",
                           rows[row].name, szname[sz], mem ? " mem" : "", a, count, fin,
                           hr & size_mask(sz), hf, mem ? mem_val(sz) : reg_read(cpu, dst, sz), bf);
            }
        }
    }
    ck_assert_uint_eq(failures, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* SHLD SHRD                                                            */

START_TEST(test_double_shift)
{
    static const HostDbl host[2][2] = {{h_shld16, h_shld32}, {h_shrd16, h_shrd32}};
    static const InsnFn fn_ib[2] = {op_shld_EvGvIb, op_shrd_EvGvIb};
    static const InsnFn fn_cl[2] = {op_shld_EvGvCL, op_shrd_EvGvCL};
    for (int right = 0; right < 2; right++) {
        for (int k = 0; k < 2; k++) {
            unsigned sz = k ? 4 : 2;
            for (int i = 0; i < cases(16384); i++) {
                uint32_t a = operand(sz), b = operand(sz), fin = random_flags();
                uint32_t count = i < cases(8192) ? (uint32_t)(i & 31) : rnd() & 0xFF;
                bool by_cl = rnd() % 2, mem = rnd() % 4 == 0;
                random_regs();
                unsigned dst = pick_reg(alias_mask(R_ECX, 4));
                unsigned src = pick_reg(alias_mask(R_ECX, 4) | alias_mask(dst, 4));
                uint16_t op = (uint16_t)(0x1A4 + (right ? 8 : 0) + (by_cl ? 1 : 0));
                DecodedInsn d = insn(op, sz, src, dst, by_cl ? 0 : count);
                cpu->regs[R_ECX] = (cpu->regs[R_ECX] & ~0xFFu) | count;
                reg_write(cpu, src, b, sz);
                if (mem)
                    to_mem(&d, a, sz);
                else
                    reg_write(cpu, dst, a, sz);
                uint32_t exp_regs[8];
                memcpy(exp_regs, cpu->regs, sizeof exp_regs);
                uint32_t hf = fin, hr;
                if (sz == 2 && (count & 31) > 16) {
                    /* P6: 16-bit SHLD/SHRD by 17..31 shift dest:src:dest,
                     * which equals the operation with the operands swapped
                     * and the count reduced by 16. (The Zen host shifts
                     * dest:src:src here, as the Pentium did.) */
                    uint32_t t = hf;
                    hr = host[right][k](b, a, (count & 31) - 16, &t);
                    hr = (a & 0xFFFF0000u) | (hr & 0xFFFF);
                    hf = t;
                } else {
                    hr = host[right][k](a, b, count, &hf);
                }
                if (!mem) arr_write(exp_regs, dst, hr, sz);
                set_flags(fin);
                run(by_cl ? fn_cl[right] : fn_ib[right], &d);
                uint32_t bf = get_flags();
                uint32_t mask = (count & 31) ? F_ARITH & ~F_AF : F_ARITH;
                /* SHLD of 16 bits by exactly 16: the Zen host sets OF = CF;
                 * Brisk keeps the rule of every other count, CF xor
                 * MSB(result). (SHRD by 16 agrees.) */
                if (!right && sz == 2 && (count & 31) == 16) mask &= ~F_OF;
                bool ok =
                    memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0 && (bf & mask) == (hf & mask);
                if (mem) ok = ok && mem_val(sz) == (hr & size_mask(sz));
                if (!ok)
                    REPORT("%s%s a=%x b=%x count=%u fin=%03x: host r=%x f=%03x brisk r=%x f=%03x",
                           right ? "shrd" : "shld", szname[sz], a, b, count, fin,
                           hr & size_mask(sz), hf, mem ? mem_val(sz) : reg_read(cpu, dst, sz), bf);
            }
        }
    }
    ck_assert_uint_eq(failures, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* MUL IMUL DIV IDIV                                                    */

/* The P6 rule for the undefined multiply flags: SZP of the low half. */
static uint32_t mul_szp(uint32_t lo, unsigned sz)
{
    lo &= size_mask(sz);
    return flags_parity(lo) | (lo ? 0 : F_ZF) | ((lo & sign_bit(sz)) ? F_SF : 0);
}

START_TEST(test_muldiv)
{
    static const HostMd host[4][3] = {{h_mul8, h_mul16, h_mul32},
                                      {h_imul18, h_imul116, h_imul132},
                                      {h_div8, h_div16, h_div32},
                                      {h_idiv8, h_idiv16, h_idiv32}};
    static const InsnFn fn[4][2] = {{op_mul_Eb, op_mul_Ev},
                                    {op_imul_Eb, op_imul_Ev},
                                    {op_div_Eb, op_div_Ev},
                                    {op_idiv_Eb, op_idiv_Ev}};
    static const char *const names[4] = {"mul", "imul", "div", "idiv"};
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigfpe;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &old);
    unsigned de_cases = 0;
    for (int op = 0; op < 4; op++) {
        for (int k = 0; k < 3; k++) {
            unsigned sz = size_of(k);
            for (int i = 0; i < cases(8000); i++) {
                uint32_t eax = rnd(), edx = rnd(), s = operand(sz), fin = random_flags();
                if (op >= 2) {
                    /* Make most divisions legal: a high half below the
                     * divisor (or a sign extension for IDIV). */
                    switch (rnd() % 4) {
                    case 0: break; /* anything: mostly #DE */
                    case 1:
                        if (sz == 1)
                            eax = (eax & ~0xFF00u) | ((rnd() & 0xFF) % (s ? s : 1)) << 8;
                        else
                            edx = rnd() % (s ? s : 1);
                        break;
                    case 2: /* signed: sign-extend the low half */
                        if (sz == 1)
                            eax = (eax & ~0xFFFFu) | (sext(eax, 1) & 0xFFFF);
                        else if (sz == 2)
                            edx = (eax & 0x8000) ? 0xFFFF : 0;
                        else
                            edx = (eax & 0x80000000u) ? 0xFFFFFFFFu : 0;
                        break;
                    default: /* the most negative quotient and its neighbours */
                        s = size_mask(sz) & (rnd() % 2 ? size_mask(sz) : 2); /* -1 or 2 */
                        if (sz == 1)
                            eax = (eax & ~0xFFFFu) | ((s == 2 ? 0xFF00u : 0x0080u) + rnd() % 3 - 1);
                        else if (sz == 2) {
                            uint32_t n = (s == 2 ? 0xFFFF0000u : 0x00008000u) + rnd() % 3 - 1;
                            eax = (eax & ~0xFFFFu) | (n & 0xFFFF);
                            edx = (edx & ~0xFFFFu) | (n >> 16);
                        } else {
                            uint64_t n =
                                (s == 2 ? 0xFFFFFFFF00000000ull : 0x80000000ull) + rnd() % 3 - 1;
                            eax = (uint32_t)n;
                            edx = (uint32_t)(n >> 32);
                        }
                        break;
                    }
                }
                bool mem = rnd() % 4 == 0;
                random_regs();
                cpu->regs[R_EAX] = eax;
                cpu->regs[R_EDX] = edx;
                unsigned src = pick_reg(alias_mask(R_EAX, 4) | alias_mask(R_EDX, 4));
                DecodedInsn d = insn((uint16_t)(k ? 0xF7 : 0xF6), sz, (unsigned)(4 + op), src, 0);
                if (mem)
                    to_mem(&d, s, sz);
                else
                    reg_write(cpu, src, s, sz);
                uint32_t exp_regs[8];
                memcpy(exp_regs, cpu->regs, sizeof exp_regs);
                uint32_t hf = fin, heax = eax, hedx = edx;
                bool host_ok = host_divide(host[op][k], &heax, &hedx, s, &hf);
                exp_regs[R_EAX] = heax;
                exp_regs[R_EDX] = hedx;
                set_flags(fin);
                int vec = run_catch(fn[op][k ? 1 : 0], &d);
                uint32_t bf = get_flags();
                bool ok;
                if (!host_ok) {
                    de_cases++;
                    /* #DE: nothing may have changed. */
                    exp_regs[R_EAX] = eax;
                    exp_regs[R_EDX] = edx;
                    ok = vec == EXC_DE && bf == fin;
                } else if (op < 2) {
                    uint32_t low_half = heax & size_mask(sz); /* AL, AX or EAX */
                    uint32_t want = (hf & (F_CF | F_OF)) | mul_szp(low_half, sz);
                    ok = vec == -1 && bf == want;
                } else {
                    ok = vec == -1 && bf == fin; /* P6: flags unchanged */
                }
                ok = ok && memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0;
                if (!ok)
                    REPORT("%s%s eax=%x edx=%x s=%x fin=%03x: host %s eax=%x edx=%x f=%03x; "
                           "brisk vec=%d eax=%x edx=%x f=%03x",
                           names[op], szname[sz], eax, edx, s, fin, host_ok ? "ok" : "#DE", heax,
                           hedx, hf, vec, cpu->regs[R_EAX], cpu->regs[R_EDX], bf);
            }
        }
    }
    sigaction(SIGFPE, &old, NULL);
    ck_assert_uint_gt(de_cases, 100);
    ck_assert_uint_eq(failures, 0);
}
END_TEST

/* Two- and three-operand IMUL. */
START_TEST(test_imul_forms)
{
    for (int k = 0; k < 2; k++) {
        unsigned sz = k ? 4 : 2;
        for (int i = 0; i < cases(20000); i++) {
            uint32_t a = operand(sz), b = operand(sz), fin = random_flags();
            unsigned form = rnd() % 3; /* 0: 0F AF, 1: 69 iz, 2: 6B ib */
            bool mem = rnd() % 4 == 0;
            random_regs();
            unsigned dst = pick_reg(0);
            unsigned src = pick_reg(alias_mask(dst, 4));
            DecodedInsn d;
            InsnFn fn;
            if (form == 0) {
                d = insn(0x1AF, sz, dst, src, 0);
                reg_write(cpu, dst, a, sz);
                fn = op_imul_GvEv;
            } else {
                uint32_t imm = b; /* 69: the decoder zero-extends an imm16 */
                if (form == 2) {
                    imm = (uint32_t)(int32_t)(int8_t)rnd();
                    b = imm & size_mask(sz);
                }
                d = insn(form == 1 ? 0x69 : 0x6B, sz, dst, src, imm);
                fn = op_imul_GvEvIz;
            }
            /* The E operand: b for 0F AF, a for the immediate forms. */
            uint32_t e = form == 0 ? b : a;
            if (mem)
                to_mem(&d, e, sz);
            else
                reg_write(cpu, src, e, sz);
            uint32_t exp_regs[8];
            memcpy(exp_regs, cpu->regs, sizeof exp_regs);
            uint32_t hf = fin, hr = (k ? h_imul32 : h_imul16)(a, b, &hf);
            arr_write(exp_regs, dst, hr, sz);
            set_flags(fin);
            run(fn, &d);
            uint32_t bf = get_flags();
            uint32_t want = (hf & (F_CF | F_OF)) | mul_szp(hr, sz);
            if (memcmp(exp_regs, cpu->regs, sizeof exp_regs) || bf != want)
                REPORT("imul%s form %u a=%x b=%x: host r=%x f=%03x brisk r=%x f=%03x", szname[sz],
                       form, a, b, hr & size_mask(sz), hf, reg_read(cpu, dst, sz), bf);
        }
    }
    ck_assert_uint_eq(failures, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* BT BTS BTR BTC BSF BSR                                               */

START_TEST(test_bits)
{
    static const HostBin host[4][2] = {
        {h_bt16, h_bt32}, {h_bts16, h_bts32}, {h_btr16, h_btr32}, {h_btc16, h_btc32}};
    static const InsnFn fn_gv[4] = {op_bt_EvGv, op_bts_EvGv, op_btr_EvGv, op_btc_EvGv};
    static const InsnFn fn_ib[4] = {op_bt_EvIb, op_bts_EvIb, op_btr_EvIb, op_btc_EvIb};
    for (int op = 0; op < 4; op++) {
        for (int k = 0; k < 2; k++) {
            unsigned sz = k ? 4 : 2;
            for (int i = 0; i < cases(8000); i++) {
                uint32_t a = operand(sz), off = rnd() & size_mask(sz), fin = random_flags();
                bool imm = rnd() % 2;
                /* A memory operand only with the imm form here (the register
                 * form's memory addressing is tested below). */
                bool mem = imm && rnd() % 3 == 0;
                if (imm) off &= 0xFF;
                random_regs();
                unsigned dst = pick_reg(0);
                unsigned src = pick_reg(alias_mask(dst, 4));
                DecodedInsn d = imm ? insn(0x1BA, sz, (unsigned)(4 + op), dst, off)
                                    : insn((uint16_t)(0x1A3 + 8 * op), sz, src, dst, 0);
                if (!imm) reg_write(cpu, src, off, sz);
                if (mem)
                    to_mem(&d, a, sz);
                else
                    reg_write(cpu, dst, a, sz);
                uint32_t exp_regs[8];
                memcpy(exp_regs, cpu->regs, sizeof exp_regs);
                /* The host's register form masks the offset as the imm form
                 * does. */
                uint32_t hf = fin, hr = host[op][k](a, off, &hf);
                if (!mem) arr_write(exp_regs, dst, hr, sz);
                set_flags(fin);
                run(imm ? fn_ib[op] : fn_gv[op], &d);
                uint32_t bf = get_flags();
                bool ok = memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0 && bf == hf;
                if (mem) ok = ok && mem_val(sz) == (hr & size_mask(sz));
                if (!ok)
                    REPORT("bt%d%s%s a=%x off=%x fin=%03x: host r=%x f=%03x brisk f=%03x", op,
                           szname[sz], imm ? " imm" : "", a, off, fin, hr & size_mask(sz), hf, bf);
            }
        }
    }
    static const HostBin hscan[2][2] = {{h_bsf16, h_bsf32}, {h_bsr16, h_bsr32}};
    static const InsnFn fscan[2] = {op_bsf_GvEv, op_bsr_GvEv};
    for (int op = 0; op < 2; op++) {
        for (int k = 0; k < 2; k++) {
            unsigned sz = k ? 4 : 2;
            for (int i = 0; i < cases(8000); i++) {
                uint32_t s = rnd() % 8 ? operand(sz) >> (rnd() % (8 * sz)) : 0;
                uint32_t fin = random_flags();
                bool mem = rnd() % 4 == 0;
                random_regs();
                unsigned dst = pick_reg(0);
                unsigned src = pick_reg(alias_mask(dst, 4));
                DecodedInsn d = insn((uint16_t)(0x1BC + op), sz, dst, src, 0);
                if (mem)
                    to_mem(&d, s, sz);
                else
                    reg_write(cpu, src, s, sz);
                uint32_t exp_regs[8];
                memcpy(exp_regs, cpu->regs, sizeof exp_regs);
                uint32_t hf = fin, hr = hscan[op][k](cpu->regs[dst], s, &hf);
                arr_write(exp_regs, dst, hr, sz);
                set_flags(fin);
                run(fscan[op], &d);
                uint32_t bf = get_flags();
                if (memcmp(exp_regs, cpu->regs, sizeof exp_regs) || bf != hf)
                    REPORT("%s%s s=%x fin=%03x: host r=%x f=%03x brisk r=%x f=%03x",
                           op ? "bsr" : "bsf", szname[sz], s, fin, hr, hf, cpu->regs[dst], bf);
            }
        }
    }
    ck_assert_uint_eq(failures, 0);
}
END_TEST

/* The register-offset form with a memory operand reaches beyond it. */
START_TEST(test_bt_memory_offset)
{
    static const struct {
        InsnFn fn;
        unsigned sz;
        uint32_t off;
        uint32_t byte; /* MEM_OFF-relative byte that holds the bit */
        unsigned bit;
    } cases[] = {
        {op_bts_EvGv, 4, 0xFFFFFFFFu, (uint32_t)-1, 7}, /* -1: dword below, bit 31 */
        {op_bts_EvGv, 4, 35, 4, 3},
        {op_bts_EvGv, 4, 0xFFFFFFE0u, (uint32_t)-4, 0}, /* -32 */
        {op_bts_EvGv, 2, 0xFFFF, (uint32_t)-1, 7},      /* -1 at 16 bits: word below */
        {op_bts_EvGv, 2, 17, 2, 1},
        {op_bts_EvGv, 2, 0x8000, (uint32_t)-4096, 0}, /* -32768 bits */
        {op_bts_EvIb, 4, 35, 0, 3},                   /* imm: masked to 3 */
        {op_bts_EvIb, 2, 0xFF, 1, 7},                 /* imm: masked to 15 */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(ram, 0, 0x3000);
        bool imm = cases[i].fn == op_bts_EvIb;
        DecodedInsn d = imm ? insn(0x1BA, cases[i].sz, 5, 0, cases[i].off)
                            : insn(0x1AB, cases[i].sz, R_ESI, 0, 0);
        d.is_mem = 1;
        d.disp = MEM_OFF;
        cpu->regs[R_ESI] = cases[i].off;
        set_flags(0);
        run(cases[i].fn, &d);
        uint32_t at = MEM_OFF + cases[i].byte;
        ck_assert_msg(ram[at] == 1u << cases[i].bit, "case %u: byte %x = %x", i, at, ram[at]);
        unsigned set = 0;
        for (unsigned j = 0; j < 0x3000; j++)
            set += (unsigned)__builtin_popcount(ram[j]);
        ck_assert_msg(set == 1, "case %u: %u bits set", i, set);
        ck_assert_uint_eq(get_flags() & F_CF, 0);
        /* BT of the same bit now reports it. */
        d.op = imm ? 0x1BA : 0x1A3;
        run(imm ? op_bt_EvIb : op_bt_EvGv, &d);
        ck_assert_uint_eq(get_flags() & F_CF, F_CF);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* XADD CMPXCHG CMPXCHG8B                                               */

START_TEST(test_xadd_cmpxchg)
{
    static const HostXadd hx[3] = {h_xadd8, h_xadd16, h_xadd32};
    static const HostCx hc[3] = {h_cx8, h_cx16, h_cx32};
    for (int k = 0; k < 3; k++) {
        unsigned sz = size_of(k);
        InsnFn fx = k ? op_xadd_EvGv : op_xadd_EbGb;
        InsnFn fc = k ? op_cmpxchg_EvGv : op_cmpxchg_EbGb;
        for (int i = 0; i < cases(8000); i++) {
            uint32_t a = operand(sz), b = operand(sz), fin = random_flags();
            bool mem = rnd() % 4 == 0;
            random_regs();
            /* XADD */
            unsigned dst = pick_reg(0);
            unsigned src = pick_reg(alias_mask(dst, sz));
            DecodedInsn d = insn((uint16_t)(0x1C0 + (k ? 1 : 0)), sz, src, dst, 0);
            reg_write(cpu, src, b, sz);
            if (mem)
                to_mem(&d, a, sz);
            else
                reg_write(cpu, dst, a, sz);
            uint32_t exp_regs[8];
            memcpy(exp_regs, cpu->regs, sizeof exp_regs);
            uint32_t hf = fin, ha = a, hb = b;
            hx[k](&ha, &hb, &hf);
            arr_write(exp_regs, src, hb, sz);
            if (!mem) arr_write(exp_regs, dst, ha, sz);
            set_flags(fin);
            run(fx, &d);
            uint32_t bf = get_flags();
            bool ok = memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0 && bf == hf && conds_ok(hf);
            if (mem) ok = ok && mem_val(sz) == (ha & size_mask(sz));
            if (!ok) REPORT("xadd%s a=%x b=%x: host f=%03x brisk f=%03x", szname[sz], a, b, hf, bf);

            /* CMPXCHG: destination and source avoid the accumulator. */
            random_regs();
            uint32_t acc = rnd() % 2 ? a : operand(sz);
            dst = pick_reg(alias_mask(R_EAX, sz == 1 ? 1 : 4));
            src = pick_reg(alias_mask(R_EAX, sz == 1 ? 1 : 4) | alias_mask(dst, sz));
            d = insn((uint16_t)(0x1B0 + (k ? 1 : 0)), sz, src, dst, 0);
            reg_write(cpu, R_EAX, acc, sz);
            reg_write(cpu, src, b, sz);
            if (mem)
                to_mem(&d, a, sz);
            else
                reg_write(cpu, dst, a, sz);
            memcpy(exp_regs, cpu->regs, sizeof exp_regs);
            uint32_t hacc = acc, hd = a;
            hf = fin;
            hc[k](&hacc, &hd, b, &hf);
            arr_write(exp_regs, R_EAX, hacc, sz);
            if (!mem) arr_write(exp_regs, dst, hd, sz);
            set_flags(fin);
            run(fc, &d);
            bool conds = conds_ok(hf);
            bf = get_flags();
            ok = memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0 && bf == hf && conds;
            if (mem) ok = ok && mem_val(sz) == (hd & size_mask(sz));
            if (!ok)
                REPORT("cmpxchg%s acc=%x dest=%x src=%x: host acc=%x dest=%x f=%03x brisk f=%03x",
                       szname[sz], acc, a, b, hacc, hd, hf, bf);
        }
    }
    ck_assert_uint_eq(failures, 0);

    /* CMPXCHG8B m64 */
    for (int eq = 0; eq < 2; eq++) {
        uint64_t m = 0x1122334455667788ull;
        memcpy(ram + MEM_OFF, &m, 8);
        DecodedInsn d = insn(0x1C7, 4, 1, 0, 0);
        d.is_mem = 1;
        d.disp = MEM_OFF;
        cpu->regs[R_EAX] = eq ? 0x55667788u : 0x55667789u;
        cpu->regs[R_EDX] = 0x11223344u;
        cpu->regs[R_EBX] = 0xAAAAAAAAu;
        cpu->regs[R_ECX] = 0xBBBBBBBBu;
        set_flags(eq ? 0 : F_ZF | F_CF);
        run(op_cmpxchg8b, &d);
        uint64_t now;
        memcpy(&now, ram + MEM_OFF, 8);
        if (eq) {
            ck_assert_uint_eq(now, 0xBBBBBBBBAAAAAAAAull);
            ck_assert_uint_eq(get_flags(), F_ZF);
        } else {
            ck_assert_uint_eq(now, m);
            ck_assert_uint_eq(cpu->regs[R_EAX], 0x55667788u);
            ck_assert_uint_eq(cpu->regs[R_EDX], 0x11223344u);
            ck_assert_uint_eq(get_flags(), F_CF);
        }
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* SETcc CMOVcc LAHF SAHF CBW CWD MOVZX MOVSX BSWAP CLC STC CMC SALC     */

START_TEST(test_misc)
{
    for (int i = 0; i < cases(20000); i++) {
        uint32_t fin = random_flags(), cc = rnd() & 15;
        /* The host evaluates the condition with SETcc. */
        uint64_t f = fin | 2;
        uint8_t host_set;
        switch (cc) {
#define SETCASE(n, mn)                                                                             \
    case n:                                                                                        \
        __asm__ volatile(PRE mn " %b[r]" POST : [r] "=&r"(host_set), [f] "+r"(f) : : "cc");        \
        break;
            // clang-format off
            SETCASE(0, "seto") SETCASE(1, "setno") SETCASE(2, "setb") SETCASE(3, "setae")
            SETCASE(4, "sete") SETCASE(5, "setne") SETCASE(6, "setbe") SETCASE(7, "seta")
            SETCASE(8, "sets") SETCASE(9, "setns") SETCASE(10, "setp") SETCASE(11, "setnp")
            SETCASE(12, "setl") SETCASE(13, "setge") SETCASE(14, "setle") SETCASE(15, "setg")
            // clang-format on
#undef SETCASE
        }
        random_regs();
        unsigned dst = pick_reg(0);
        DecodedInsn d = insn((uint16_t)(0x190 + cc), 4, 0, dst, 0);
        uint32_t exp_regs[8];
        memcpy(exp_regs, cpu->regs, sizeof exp_regs);
        arr_write(exp_regs, dst, host_set, 1);
        set_flags(fin);
        run(op_setcc, &d);
        ck_assert_msg(memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0, "setcc %u fin %03x", cc,
                      fin);
        /* CMOVcc with the same condition, 16 or 32 bits. */
        unsigned sz = rnd() % 2 ? 4 : 2;
        unsigned src = pick_reg(alias_mask(dst, 4));
        d = insn((uint16_t)(0x140 + cc), sz, dst, src, 0);
        memcpy(exp_regs, cpu->regs, sizeof exp_regs);
        if (host_set) arr_write(exp_regs, dst, cpu->regs[src], sz);
        run(op_cmovcc, &d);
        ck_assert_msg(memcmp(exp_regs, cpu->regs, sizeof exp_regs) == 0, "cmov %u", cc);
        ck_assert_uint_eq(get_flags(), fin);
    }

    /* LAHF / SAHF against the host. */
    for (int i = 0; i < cases(2000); i++) {
        uint32_t fin = random_flags(), ah_in = rnd() & 0xFF;
        uint64_t f = fin | 2;
        uint32_t hax = ah_in << 8;
        __asm__ volatile(PRE "lahf" POST : "+a"(hax), [f] "+r"(f) : : "cc");
        set_flags(fin);
        cpu->regs[R_EAX] = 0x12340000u | (ah_in << 8) | 0x56;
        run(op_lahf, &(DecodedInsn){.op = 0x9F});
        ck_assert_uint_eq((cpu->regs[R_EAX] >> 8) & 0xFF, (hax >> 8) & 0xFF);
        ck_assert_uint_eq(cpu->regs[R_EAX] & 0xFFFF00FFu, 0x12340056u);
        f = fin | 2;
        hax = ah_in << 8;
        __asm__ volatile(PRE "sahf" POST : "+a"(hax), [f] "+r"(f) : : "cc");
        cpu->regs[R_EAX] = ah_in << 8;
        set_flags(fin);
        run(op_sahf, &(DecodedInsn){.op = 0x9E});
        ck_assert_uint_eq(get_flags(), (uint32_t)f & F_ARITH);
    }

    /* CBW/CWDE, CWD/CDQ, MOVZX/MOVSX, BSWAP against the host. */
    for (int i = 0; i < cases(5000); i++) {
        uint32_t v = rnd(), w = rnd();
        uint32_t h;
        DecodedInsn d;
        /* cbw */
        h = v;
        __asm__("cbtw" : "+a"(h));
        cpu->regs[R_EAX] = v;
        d = insn(0x98, 2, 0, 0, 0);
        run(op_cbw, &d);
        ck_assert_uint_eq(cpu->regs[R_EAX], h);
        /* cwde */
        h = v;
        __asm__("cwtl" : "+a"(h));
        cpu->regs[R_EAX] = v;
        d = insn(0x98, 4, 0, 0, 0);
        run(op_cbw, &d);
        ck_assert_uint_eq(cpu->regs[R_EAX], h);
        /* cwd */
        uint32_t hd = w;
        h = v;
        __asm__("cwtd" : "+a"(h), "+d"(hd));
        cpu->regs[R_EAX] = v;
        cpu->regs[R_EDX] = w;
        d = insn(0x99, 2, 0, 0, 0);
        run(op_cwd, &d);
        ck_assert_uint_eq(cpu->regs[R_EDX], hd);
        /* cdq */
        hd = w;
        h = v;
        __asm__("cltd" : "+a"(h), "+d"(hd));
        cpu->regs[R_EAX] = v;
        cpu->regs[R_EDX] = w;
        d = insn(0x99, 4, 0, 0, 0);
        run(op_cwd, &d);
        ck_assert_uint_eq(cpu->regs[R_EDX], hd);
        /* movzx / movsx r16/32, r/m8 and r/m16 */
        uint32_t r16 = w, r32;
        __asm__("movzbw %b1, %w0" : "+r"(r16) : "r"(v));
        cpu->regs[R_EBX] = w;
        cpu->regs[R_EDX] = v;
        d = insn(0x1B6, 2, R_EBX, 2 /* DL */, 0);
        run(op_movzx_GvEb, &d);
        ck_assert_uint_eq(cpu->regs[R_EBX], r16);
        __asm__("movsbl %b1, %0" : "=r"(r32) : "r"(v));
        d = insn(0x1BE, 4, R_EBX, 2, 0);
        run(op_movsx_GvEb, &d);
        ck_assert_uint_eq(cpu->regs[R_EBX], r32);
        __asm__("movswl %w1, %0" : "=r"(r32) : "r"(v));
        d = insn(0x1BF, 4, R_EBX, 2, 0);
        run(op_movsx_GvEw, &d);
        ck_assert_uint_eq(cpu->regs[R_EBX], r32);
        __asm__("movzwl %w1, %0" : "=r"(r32) : "r"(v));
        d = insn(0x1B7, 4, R_EBX, 2, 0);
        run(op_movzx_GvEw, &d);
        ck_assert_uint_eq(cpu->regs[R_EBX], r32);
        /* movsx r16, r/m8 with AH as the source */
        r16 = w;
        __asm__("movsbw %b1, %w0" : "+r"(r16) : "r"(v >> 8));
        cpu->regs[R_EBX] = w;
        cpu->regs[R_EAX] = v;
        d = insn(0x1BE, 2, R_EBX, 4 /* AH */, 0);
        run(op_movsx_GvEb, &d);
        ck_assert_uint_eq(cpu->regs[R_EBX], r16);
        /* bswap r32 and r16 (66 0F C8+r) */
        h = v;
        __asm__("bswapl %k0" : "+r"(h));
        cpu->regs[R_ESI] = v;
        d = insn(0x1CE, 4, R_ESI, 0, 0);
        run(op_bswap, &d);
        ck_assert_uint_eq(cpu->regs[R_ESI], h);
        h = v;
        __asm__(".byte 0x66, 0x0F, 0xC8" : "+a"(h)); /* bswap ax */
        cpu->regs[R_ESI] = v;
        d = insn(0x1CE, 2, R_ESI, 0, 0);
        run(op_bswap, &d);
        ck_assert_uint_eq(cpu->regs[R_ESI], h);
    }

    /* CLC STC CMC keep the other flags; CLD/STD; SALC (not in 64-bit mode). */
    for (int i = 0; i < cases(500); i++) {
        uint32_t fin = random_flags();
        DecodedInsn d = insn(0xF8, 2, 0, 0, 0);
        set_flags(fin);
        run(op_clc, &d);
        ck_assert_uint_eq(get_flags(), fin & ~F_CF);
        set_flags(fin);
        run(op_stc, &d);
        ck_assert_uint_eq(get_flags(), fin | F_CF);
        set_flags(fin);
        run(op_cmc, &d);
        ck_assert_uint_eq(get_flags(), fin ^ F_CF);
        cpu->regs[R_EAX] = 0x12345678u;
        set_flags(fin);
        run(op_salc, &d);
        ck_assert_uint_eq(cpu->regs[R_EAX], 0x12345600u | ((fin & F_CF) ? 0xFF : 0));
        ck_assert_uint_eq(get_flags(), fin);
    }
    DecodedInsn d = insn(0xFD, 2, 0, 0, 0);
    run(op_std, &d);
    ck_assert_uint_eq(cpu->eflags & F_DF, F_DF);
    run(op_cld, &d);
    ck_assert_uint_eq(cpu->eflags & F_DF, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* BCD adjusts: fixed vectors (the SDM's examples and 386+ behaviour)    */

static void bcd(InsnFn fn, uint32_t ax, uint32_t fin, uint32_t imm, uint32_t want_ax,
                uint32_t want_flags, uint32_t mask)
{
    DecodedInsn d = insn(0x27, 2, 0, 0, imm);
    cpu->regs[R_EAX] = 0xABCD0000u | ax;
    set_flags(fin);
    run(fn, &d);
    ck_assert_msg((cpu->regs[R_EAX] & 0xFFFF) == want_ax && cpu->regs[R_EAX] >> 16 == 0xABCD,
                  "ax %04x fin %03x: got %08x, want %04x", ax, fin, cpu->regs[R_EAX], want_ax);
    ck_assert_msg((get_flags() & mask) == (want_flags & mask),
                  "ax %04x fin %03x: flags %03x, want %03x (mask %03x)", ax, fin, get_flags(),
                  want_flags, mask);
}

START_TEST(test_bcd)
{
    const uint32_t DEF_DAA = F_SF | F_ZF | F_AF | F_PF | F_CF; /* OF undefined */
    const uint32_t DEF_AAA = F_AF | F_CF;
    const uint32_t DEF_AAM = F_SF | F_ZF | F_PF;
    /* DAA: 79h + 35h = AEh (AF=0, CF=0) -> 14h, CF=1, AF=1. */
    bcd(op_daa, 0x00AE, 0, 0, 0x0014, F_CF | F_AF | F_PF, DEF_DAA);
    /* DAA: 0x9A -> 0x00 with carry. */
    bcd(op_daa, 0x009A, 0, 0, 0x0000, F_CF | F_AF | F_ZF | F_PF, DEF_DAA);
    /* DAA with AF from 08h + 08h = 10h, AF=1 -> 16h. */
    bcd(op_daa, 0x0010, F_AF, 0, 0x0016, F_AF, DEF_DAA);
    /* DAS: 35h - 47h = EEh (CF=1, AF=1) -> 88h, CF=1, AF=1. */
    bcd(op_das, 0x00EE, F_CF | F_AF, 0, 0x0088, F_CF | F_AF | F_SF | F_PF, DEF_DAA);
    /* DAS: AL=03h with AF: the borrow of AL-6 sets CF. */
    bcd(op_das, 0x0003, F_AF, 0, 0x00FD, F_CF | F_AF | F_SF, DEF_DAA);
    /* AAA: 8 + 7 = 0Fh -> AX 0105h. */
    bcd(op_aaa, 0x000F, 0, 0, 0x0105, F_AF | F_CF, DEF_AAA);
    /* AAA on 386+: AL=FAh carries into AH through AX + 106h. */
    bcd(op_aaa, 0x00FA, 0, 0, 0x0200, F_AF | F_CF, DEF_AAA);
    /* AAA with nothing to adjust clears AF, CF and AL's high nibble. */
    bcd(op_aaa, 0x0234, 0, 0, 0x0204, 0, DEF_AAA);
    /* AAS: AX=0200h with AF: AX - 6 = 01FAh, AH - 1 -> 000Ah. */
    bcd(op_aas, 0x0200, F_AF, 0, 0x000A, F_AF | F_CF, DEF_AAA);
    /* AAS: AX=020Bh: AL - 6 = 05h, AH - 1 -> 0105h. */
    bcd(op_aas, 0x020B, 0, 0, 0x0105, F_AF | F_CF, DEF_AAA);
    /* AAM 10: 63 -> 0603h; AAM 16: ABh -> 0A0Bh. */
    bcd(op_aam, 0x003F, 0, 10, 0x0603, F_PF, DEF_AAM);
    bcd(op_aam, 0x77AB, 0, 16, 0x0A0B, 0, DEF_AAM);
    bcd(op_aam, 0x0000, 0, 10, 0x0000, F_ZF | F_PF, DEF_AAM);
    /* AAD 10: 0603h -> 003Fh; AAD 16: 0A0Bh -> 00ABh (SF set). */
    bcd(op_aad, 0x0603, 0, 10, 0x003F, F_PF, DEF_AAM);
    bcd(op_aad, 0x0A0B, 0, 16, 0x00AB, F_SF, DEF_AAM);
    bcd(op_aad, 0xFFFF, 0, 0, 0x00FF, F_SF | F_PF, DEF_AAM); /* base 0: AL only */

    /* AAM 0 raises #DE and changes nothing. */
    DecodedInsn d = insn(0xD4, 2, 0, 0, 0);
    cpu->regs[R_EAX] = 0x1234;
    set_flags(F_CF);
    ck_assert_int_eq(run_catch(op_aam, &d), EXC_DE);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0x1234);
    ck_assert_uint_eq(get_flags(), F_CF);

    /* ADD/SUB of every pair of packed BCD bytes, then DAA/DAS, gives the
     * decimal sum/difference and its carry/borrow. */
    for (uint32_t x = 0; x < 100; x++)
        for (uint32_t y = 0; y < 100; y++) {
            uint32_t a = (x / 10) << 4 | (x % 10), b = (y / 10) << 4 | (y % 10);
            uint32_t sum = a + b;
            /* ADD AL, BL then DAA */
            cpu->regs[R_EAX] = sum & 0xFF;
            flags_set(cpu, CC_ADD8, sum, a, b);
            run(op_daa, &d);
            uint32_t dec = x + y;
            uint32_t want = ((dec % 100) / 10) << 4 | (dec % 10);
            ck_assert_uint_eq(cpu->regs[R_EAX] & 0xFF, want);
            ck_assert_uint_eq(get_flags() & F_CF, dec >= 100 ? F_CF : 0);
            /* SUB AL, BL then DAS */
            uint32_t diff = a - b;
            cpu->regs[R_EAX] = diff & 0xFF;
            flags_set(cpu, CC_SUB8, diff, a, b);
            run(op_das, &d);
            uint32_t dd = (x + 100 - y) % 100;
            want = (dd / 10) << 4 | (dd % 10);
            ck_assert_uint_eq(cpu->regs[R_EAX] & 0xFF, want);
            ck_assert_uint_eq(get_flags() & F_CF, x < y ? F_CF : 0);
        }
}
END_TEST

static Suite *alu_suite(void)
{
    Suite *s = suite_create("alu_oracle");
    TCase *tc = tcase_create("host");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60.0 * (double)scale);
    tcase_add_test(tc, test_alu);
    tcase_add_test(tc, test_unary);
    tcase_add_test(tc, test_shift);
    tcase_add_test(tc, test_double_shift);
    tcase_add_test(tc, test_muldiv);
    tcase_add_test(tc, test_imul_forms);
    tcase_add_test(tc, test_bits);
    tcase_add_test(tc, test_bt_memory_offset);
    tcase_add_test(tc, test_xadd_cmpxchg);
    tcase_add_test(tc, test_misc);
    tcase_add_test(tc, test_bcd);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    const char *env = getenv("BRISK_ORACLE_SCALE");
    if (env) scale = strtol(env, NULL, 10);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            scale = strtol(argv[++i], NULL, 10);
        } else {
            fprintf(stderr, "usage: %s [--scale N]\n", argv[0]);
            return 2;
        }
    }
    if (scale < 1) {
        fprintf(stderr, "%s: the scale must be a positive number\n", argv[0]);
        return 2;
    }
    SRunner *sr = srunner_create(alu_suite());

    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
