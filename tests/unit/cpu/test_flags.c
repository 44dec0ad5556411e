/*
 * test_flags.c - the lazy arithmetic flags (cpu/flags.h, cpu/flags.c) and
 * the EFLAGS accessors cpu_get_eflags()/cpu_set_eflags() (cpu/cpu.c).
 *
 * The host CPU is the oracle (x86-64 hosts only): each operation runs on
 * the host in 64-bit mode with 8-, 16- or 32-bit operands between popfq
 * and pushfq, with random input flags (CF is the carry-in of ADC/SBB and
 * must survive INC/DEC). Brisk records the same operation the way its
 * handlers do (cpu/ops_alu.c): ADD and ADC as CC_ADD with the carry
 * included in the result, SUB/CMP/NEG as CC_SUB, SBB as CC_SBB, AND/OR/
 * XOR as CC_LOGIC, INC/DEC through flags_set_incdec() from every kind of
 * previous lazy state. Then flags_compute() must equal the host's six
 * arithmetic flags, flags_cf() its CF, and flags_cond() must equal the
 * host's SETcc for all 16 conditions (the compare fast paths included).
 * All six flags are defined for these operations; AND/OR/XOR leave AF
 * undefined in the SDM, and both the P6 and the host clear it.
 * Operands are random with a bias towards edge values; the seed is fixed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/flags.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"

#if !defined(__x86_64__)
#define NO_HOST_ORACLE 1
#endif

/* ------------------------------------------------------------------ */
/* random numbers: xorshift64*, fixed seed                             */

static uint64_t rng = 0x0123456789ABCDEFull;

static uint32_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

static uint32_t mask_of(unsigned bits)
{
    return bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
}

/* An operand of `bits` bits, often an edge value. */
static uint32_t operand(unsigned bits)
{
    uint32_t m = mask_of(bits), s = 1u << (bits - 1);
    switch (rnd() % 14) {
    case 0: return 0;
    case 1: return 1;
    case 2: return m;
    case 3: return s;
    case 4: return s - 1;
    case 5: return s + 1;
    case 6: return 0x0F;
    case 7: return 0x10;
    case 8: return m - 1;
    case 9: return rnd() % 4;
    default: return rnd() & m;
    }
}

/* The six arithmetic flags in random combination, bit 1 set. */
static uint32_t random_flags(void)
{
    return (rnd() & F_ARITH) | 0x2;
}

/* ------------------------------------------------------------------ */
/* the host                                                             */

enum { K_ADD, K_ADC, K_SUB, K_SBB, K_AND, K_OR, K_XOR, K_NEG, K_INC, K_DEC, K_COUNT };
static const char *const kind_names[K_COUNT] = {"add", "adc", "sub", "sbb", "and",
                                                "or",  "xor", "neg", "inc", "dec"};

#ifndef NO_HOST_ORACLE
/* The asm moves the stack pointer below the red zone before pushing. */
#define PRE  "add $-128, %%rsp\n\tpushq %q[f]\n\tpopfq\n\t"
#define POST "\n\tpushfq\n\tpopq %q[f]\n\tsub $-128, %%rsp"

#define HOST_BIN(mn)                                                                               \
    do {                                                                                           \
        if (bits == 8)                                                                             \
            __asm__ volatile(PRE mn "b %b[b], %b[a]" POST                                          \
                             : [a] "+r"(x), [f] "+r"(f)                                            \
                             : [b] "r"(b)                                                          \
                             : "cc");                                                              \
        else if (bits == 16)                                                                       \
            __asm__ volatile(PRE mn "w %w[b], %w[a]" POST                                          \
                             : [a] "+r"(x), [f] "+r"(f)                                            \
                             : [b] "r"(b)                                                          \
                             : "cc");                                                              \
        else                                                                                       \
            __asm__ volatile(PRE mn "l %k[b], %k[a]" POST                                          \
                             : [a] "+r"(x), [f] "+r"(f)                                            \
                             : [b] "r"(b)                                                          \
                             : "cc");                                                              \
    } while (0)

#define HOST_UN(mn)                                                                                \
    do {                                                                                           \
        if (bits == 8)                                                                             \
            __asm__ volatile(PRE mn "b %b[a]" POST : [a] "+r"(x), [f] "+r"(f) : : "cc");           \
        else if (bits == 16)                                                                       \
            __asm__ volatile(PRE mn "w %w[a]" POST : [a] "+r"(x), [f] "+r"(f) : : "cc");           \
        else                                                                                       \
            __asm__ volatile(PRE mn "l %k[a]" POST : [a] "+r"(x), [f] "+r"(f) : : "cc");           \
    } while (0)

/* Runs `kind` on the host with input flags fin; returns the output flags
 * and stores the result. */
static uint32_t host_op(int kind, unsigned bits, uint32_t a, uint32_t b, uint32_t fin,
                        uint32_t *res)
{
    uint64_t f = fin;
    uint32_t x = a;
    switch (kind) {
    case K_ADD: HOST_BIN("add"); break;
    case K_ADC: HOST_BIN("adc"); break;
    case K_SUB: HOST_BIN("sub"); break;
    case K_SBB: HOST_BIN("sbb"); break;
    case K_AND: HOST_BIN("and"); break;
    case K_OR: HOST_BIN("or"); break;
    case K_XOR: HOST_BIN("xor"); break;
    case K_NEG: HOST_UN("neg"); break;
    case K_INC: HOST_UN("inc"); break;
    default: HOST_UN("dec"); break;
    }
    *res = x & mask_of(bits);
    return (uint32_t)f;
}

#define SETCC(mn) __asm__ volatile(PRE mn " %b[v]" POST : [v] "+r"(v), [f] "+r"(f) : : "cc")

/* The host's SETcc for condition `cond` with the given flags. */
static bool host_cond(uint32_t flags, unsigned cond)
{
    uint64_t f = (flags & F_ARITH) | 0x2;
    uint32_t v = 0;
    switch (cond) {
    case COND_O: SETCC("seto"); break;
    case COND_NO: SETCC("setno"); break;
    case COND_B: SETCC("setb"); break;
    case COND_AE: SETCC("setae"); break;
    case COND_E: SETCC("sete"); break;
    case COND_NE: SETCC("setne"); break;
    case COND_BE: SETCC("setbe"); break;
    case COND_A: SETCC("seta"); break;
    case COND_S: SETCC("sets"); break;
    case COND_NS: SETCC("setns"); break;
    case COND_P: SETCC("setp"); break;
    case COND_NP: SETCC("setnp"); break;
    case COND_L: SETCC("setl"); break;
    case COND_GE: SETCC("setge"); break;
    case COND_LE: SETCC("setle"); break;
    default: SETCC("setg"); break;
    }
    return (v & 0xFF) != 0;
}
#endif

/* ck_assert records the location of every passing check (a write to the
 * runner each time): too slow for the loops below. */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) ck_abort_msg(__VA_ARGS__);                                                    \
    } while (0)

/* ------------------------------------------------------------------ */
/* recording an operation the way the handlers do                       */

static unsigned size_idx(unsigned bits)
{
    return bits == 8 ? 0 : bits == 16 ? 1 : 2;
}

/* Records `kind` on cpu (a, b masked to the size, the result not masked,
 * as cpu/ops_alu.c does). Returns the result. */
static uint32_t brisk_op(Cpu *cpu, int kind, unsigned bits, uint32_t a, uint32_t b, uint32_t cin)
{
    unsigned si = size_idx(bits);
    uint32_t r;
    switch (kind) {
    case K_ADD:
        r = a + b;
        flags_set(cpu, CC_ADD8 + si, r, a, b);
        break;
    case K_ADC:
        r = a + b + cin;
        flags_set(cpu, CC_ADD8 + si, r, a, b);
        break;
    case K_SUB:
        r = a - b;
        flags_set(cpu, CC_SUB8 + si, r, a, b);
        break;
    case K_SBB:
        r = a - b - cin;
        flags_set(cpu, CC_SBB8 + si, r, a, b);
        break;
    case K_AND:
        r = a & b;
        flags_set(cpu, CC_LOGIC8 + si, r, a, b);
        break;
    case K_OR:
        r = a | b;
        flags_set(cpu, CC_LOGIC8 + si, r, a, b);
        break;
    case K_XOR:
        r = a ^ b;
        flags_set(cpu, CC_LOGIC8 + si, r, a, b);
        break;
    case K_NEG:
        r = 0 - a;
        flags_set(cpu, CC_SUB8 + si, r, 0, a);
        break;
    case K_INC:
        r = a + 1;
        flags_set_incdec(cpu, CC_INC8 + si, r, a);
        break;
    default:
        r = a - 1;
        flags_set_incdec(cpu, CC_DEC8 + si, r, a);
        break;
    }
    return r;
}

/* Puts cpu into a lazy (or eager) state whose CF is `cf`, of a random
 * kind: eager flags, ADD, SUB, SBB, LOGIC, INC/DEC. The other flags of
 * that state are random. The CF of each candidate is computed here, not
 * with flags_cf(), which is under test. Returns the kind used. */
static int prior_state(Cpu *cpu, uint32_t cf)
{
    for (;;) {
        int pick = (int)(rnd() % 6);
        unsigned bits = 8u << (rnd() % 3);
        unsigned si = size_idx(bits);
        uint64_t a = operand(bits), b = operand(bits), m = mask_of(bits);
        uint32_t cin = rnd() & 1;
        uint32_t c;
        switch (pick) {
        case 0: c = cf; break;          /* eager */
        case 1: c = a + b > m; break;   /* ADD */
        case 2: c = a < b; break;       /* SUB */
        case 3: c = a < b + cin; break; /* SBB */
        case 4: c = 0; break;           /* LOGIC */
        default: c = cf; break;         /* INC/DEC on eager */
        }
        if ((c ? F_CF : 0) != cf) continue;
        uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b;
        cpu->eflags = (cpu->eflags & ~F_ARITH) | (random_flags() & ~F_CF);
        cpu->cc_op = CC_EFLAGS;
        switch (pick) {
        case 0: cpu->eflags |= cf; break;
        case 1: flags_set(cpu, CC_ADD8 + si, a32 + b32, a32, b32); break;
        case 2: flags_set(cpu, CC_SUB8 + si, a32 - b32, a32, b32); break;
        case 3: flags_set(cpu, CC_SBB8 + si, a32 - b32 - cin, a32, b32); break;
        case 4:
            cpu->eflags |= F_CF ^ cf; /* a stale eager CF that must not count */
            flags_set(cpu, CC_LOGIC8 + si, a32 | b32, a32, b32);
            break;
        default: {
            cpu->eflags |= cf;
            bool dec = rnd() & 1;
            flags_set_incdec(cpu, (dec ? CC_DEC8 : CC_INC8) + si, dec ? a32 - 1 : a32 + 1, a32);
            break;
        }
        }
        return pick;
    }
}

/* ------------------------------------------------------------------ */
/* tests                                                                */

#define CASES 20000 /* per kind and size */

START_TEST(test_ops_vs_host)
{
#ifdef NO_HOST_ORACLE
    printf("test_flags: not an x86-64 host, host oracle skipped\n");
    return;
#else
    Cpu cpu;
    memset(&cpu, 0, sizeof cpu);
    unsigned long checked = 0;
    int prior_kinds[6] = {0};
    for (int kind = 0; kind < K_COUNT; kind++) {
        for (unsigned bits = 8; bits <= 32; bits *= 2) {
            uint32_t m = mask_of(bits);
            for (int i = 0; i < CASES; i++) {
                uint32_t a = operand(bits), b = operand(bits);
                uint32_t fin = random_flags();
                uint32_t cin = fin & F_CF;
                /* Brisk's state before the operation: eflags carries
                 * garbage in the arithmetic bits that are not CF, and
                 * INC/DEC must find CF = cin in whatever lazy form. */
                cpu.eflags = (rnd() & (F_ARITH | F_DF | F_IF)) | 0x2;
                cpu.cc_op = CC_EFLAGS;
                if (kind == K_INC || kind == K_DEC) {
                    prior_kinds[prior_state(&cpu, cin)]++;
                } else {
                    cpu.eflags = (cpu.eflags & ~F_CF) | cin;
                }
                uint32_t hres;
                uint32_t hf = host_op(kind, bits, a, b, fin, &hres) & F_ARITH;
                uint32_t r = brisk_op(&cpu, kind, bits, a, b, cin);
                CHECK((r & m) == hres, "%s%u %x,%x cin %u: result %x, host %x", kind_names[kind],
                      bits, a, b, cin, r & m, hres);
                uint32_t bf = flags_compute(&cpu);
                CHECK(bf == hf, "%s%u %x,%x cin %u: flags %03x, host %03x", kind_names[kind], bits,
                      a, b, cin, bf, hf);
                CHECK(flags_cf(&cpu) == (hf & F_CF), "%s%u %x,%x cin %u: flags_cf %u, host %u",
                      kind_names[kind], bits, a, b, cin, flags_cf(&cpu), hf & F_CF);
                for (unsigned c = 0; c < 16; c++) {
                    bool want = host_cond(hf, c);
                    CHECK(flags_cond(&cpu, c) == want, "%s%u %x,%x cin %u: cond %u is %d, host %d",
                          kind_names[kind], bits, a, b, cin, c, !want, want);
                }
                checked++;
            }
        }
    }
    ck_assert_uint_eq(checked, (unsigned long)K_COUNT * 3 * CASES);
    /* Every kind of previous state was exercised under INC/DEC. */
    for (int k = 0; k < 6; k++)
        ck_assert_int_gt(prior_kinds[k], 100);
#endif
}
END_TEST

/* Fixed vectors, so that a failure reads easily (and the formulas are
 * checked on a non-x86 host too). */
START_TEST(test_fixed_vectors)
{
    Cpu cpu;
    memset(&cpu, 0, sizeof cpu);
    cpu.eflags = 0x2;
    /* 0xFF + 1 = 0x00: CF ZF AF PF */
    flags_set(&cpu, CC_ADD8, 0x100, 0xFF, 0x01);
    ck_assert_uint_eq(flags_compute(&cpu), F_CF | F_ZF | F_AF | F_PF);
    /* 0x7FFF + 1 = 0x8000: OF SF AF PF */
    flags_set(&cpu, CC_ADD16, 0x8000, 0x7FFF, 0x0001);
    ck_assert_uint_eq(flags_compute(&cpu), F_OF | F_SF | F_AF | F_PF);
    /* ADC 0xFFFFFFFF + 0xFFFFFFFF + 1 = 0xFFFFFFFF, CF */
    flags_set(&cpu, CC_ADD32, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu);
    ck_assert_uint_eq(flags_compute(&cpu) & (F_CF | F_ZF | F_SF | F_OF), F_CF | F_SF);
    /* ADC 0 + 0xFF + 1 = 0x00: CF ZF (carry only through the carry-in) */
    flags_set(&cpu, CC_ADD8, 0x100, 0x00, 0xFF);
    ck_assert_uint_eq(flags_compute(&cpu) & (F_CF | F_ZF), F_CF | F_ZF);
    /* SUB 0 - 1 = 0xFF: CF SF AF PF */
    flags_set(&cpu, CC_SUB8, 0xFFFFFFFFu, 0, 1);
    ck_assert_uint_eq(flags_compute(&cpu), F_CF | F_SF | F_AF | F_PF);
    /* SBB 5 - 5 - 1 = -1: CF (a == b, so "a < b" would be wrong) */
    flags_set(&cpu, CC_SBB16, 0xFFFFFFFFu, 5, 5);
    ck_assert_uint_eq(flags_cf(&cpu), F_CF);
    ck_assert(flags_cond(&cpu, COND_B));
    ck_assert(flags_cond(&cpu, COND_L));
    ck_assert(!flags_cond(&cpu, COND_E));
    /* SBB 0x80000000 - 0 - 1 = 0x7FFFFFFF: OF, no CF */
    flags_set(&cpu, CC_SBB32, 0x7FFFFFFFu, 0x80000000u, 0);
    ck_assert_uint_eq(flags_compute(&cpu) & (F_OF | F_CF | F_SF), F_OF);
    ck_assert(flags_cond(&cpu, COND_O));
    ck_assert(flags_cond(&cpu, COND_L)); /* SF != OF */
    /* LOGIC: CF = OF = AF = 0 whatever eflags holds */
    cpu.eflags = 0x2 | F_ARITH;
    flags_set(&cpu, CC_LOGIC32, 0x80000000u, 0xFFFFFFFFu, 0x80000000u);
    ck_assert_uint_eq(flags_compute(&cpu), F_SF | F_PF);
    ck_assert_uint_eq(flags_cf(&cpu), 0);
    /* INC 0x7F: OF SF AF, CF from eflags */
    cpu.eflags = 0x2 | F_CF;
    cpu.cc_op = CC_EFLAGS;
    flags_set_incdec(&cpu, CC_INC8, 0x80, 0x7F);
    ck_assert_uint_eq(flags_compute(&cpu), F_OF | F_SF | F_AF | F_CF);
    ck_assert_uint_eq(flags_cf(&cpu), F_CF);
    /* DEC 0x8000 after a SUB that borrowed: CF kept, OF AF PF */
    flags_set(&cpu, CC_SUB16, 0xFFFFFFFFu, 0, 1);
    flags_set_incdec(&cpu, CC_DEC16, 0x7FFF, 0x8000);
    ck_assert_uint_eq(flags_compute(&cpu), F_OF | F_AF | F_PF | F_CF);
    /* DEC 1 after a LOGIC op: CF = 0, ZF */
    flags_set(&cpu, CC_LOGIC8, 1, 1, 1);
    cpu.eflags |= F_CF; /* stale eager CF must not come back */
    flags_set_incdec(&cpu, CC_DEC8, 0, 1);
    ck_assert_uint_eq(flags_compute(&cpu), F_ZF | F_PF);
    /* Handlers do not mask the result: its upper bits do not count. */
    flags_set(&cpu, CC_ADD8, 0xABCD0100u, 0xFF, 0x01);
    ck_assert_uint_eq(flags_compute(&cpu), F_CF | F_ZF | F_AF | F_PF);
}
END_TEST

/* flags_cond() on eager flags: all 64 combinations of the six flags. */
START_TEST(test_cond_eager)
{
    Cpu cpu;
    memset(&cpu, 0, sizeof cpu);
    for (unsigned combo = 0; combo < 64; combo++) {
        static const uint32_t bit[6] = {F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF};
        uint32_t f = 0x2 | F_IF;
        for (int k = 0; k < 6; k++)
            if (combo & (1u << k)) f |= bit[k];
        cpu.eflags = f;
        cpu.cc_op = CC_EFLAGS;
        ck_assert_uint_eq(flags_compute(&cpu), f & F_ARITH);
        ck_assert_uint_eq(flags_cf(&cpu), f & F_CF);
        for (unsigned c = 0; c < 16; c++) {
            bool cf = f & F_CF, zf = f & F_ZF, sf = f & F_SF, of = f & F_OF, pf = f & F_PF;
            bool want;
            switch (c & ~1u) {
            case COND_O: want = of; break;
            case COND_B: want = cf; break;
            case COND_E: want = zf; break;
            case COND_BE: want = cf || zf; break;
            case COND_S: want = sf; break;
            case COND_P: want = pf; break;
            case COND_L: want = sf != of; break;
            default: want = zf || sf != of; break;
            }
            if (c & 1) want = !want;
#ifndef NO_HOST_ORACLE
            ck_assert_int_eq(host_cond(f, c), want); /* the table above is the SDM's */
#endif
            ck_assert_msg(flags_cond(&cpu, c) == want, "flags %03x cond %u", f, c);
        }
    }
}
END_TEST

START_TEST(test_eflags_accessors)
{
    Bus *bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    Clock clk;
    clock_init(&clk, 1000000000ull);
    Cpu *cpu = cpu_new(bus, &clk);
    ck_assert_ptr_nonnull(cpu);

    /* Reset: only bit 1. */
    ck_assert_uint_eq(cpu_get_eflags(cpu), 0x2);
    /* Everything set: bit 1 forced, reserved bits 3, 5, 15, 22-31 clear. */
    cpu_set_eflags(cpu, 0xFFFFFFFFu, 0xFFFFFFFFu);
    ck_assert_uint_eq(cpu_get_eflags(cpu), 0x003F7FD7u);
    ck_assert_uint_eq(cpu->cc_op, CC_EFLAGS);
    cpu_set_eflags(cpu, 0, 0xFFFFFFFFu);
    ck_assert_uint_eq(cpu_get_eflags(cpu), 0x2);

    /* Random values: set, get, and set(get()) changes nothing. */
    for (int i = 0; i < 2000; i++) {
        uint32_t v = rnd();
        cpu_set_eflags(cpu, v, 0xFFFFFFFFu);
        uint32_t got = cpu_get_eflags(cpu);
        CHECK(got == ((v | 0x2) & 0x003F7FD7u), "set %08x, got %08x", v, got);
        cpu_set_eflags(cpu, got, 0xFFFFFFFFu);
        CHECK(cpu_get_eflags(cpu) == got, "round trip of %08x", got);
    }

    /* The mask: only the selected bits change; the lazy arithmetic
     * flags survive a write that does not select them. */
    cpu_set_eflags(cpu, 0x2, 0xFFFFFFFFu);
    flags_set(cpu, CC_SUB8, 0xFFFFFFFFu, 0, 1); /* CF SF AF PF */
    ck_assert_uint_eq(cpu_get_eflags(cpu), 0x2 | F_CF | F_SF | F_AF | F_PF);
    cpu_set_eflags(cpu, F_IF | F_ZF, F_IF);
    ck_assert_uint_eq(cpu_get_eflags(cpu), 0x2 | F_IF | F_CF | F_SF | F_AF | F_PF);
    ck_assert_uint_eq(cpu->cc_op, CC_EFLAGS);
    flags_set(cpu, CC_ADD16, 0x10000, 0xFFFF, 1); /* CF ZF AF PF */
    cpu_set_eflags(cpu, 0, F_CF | F_DF);
    ck_assert_uint_eq(cpu_get_eflags(cpu), 0x2 | F_IF | F_ZF | F_AF | F_PF);
    cpu_set_eflags(cpu, 0xFFFFFFFFu, F_OF | F_DF);
    ck_assert_uint_eq(cpu_get_eflags(cpu), 0x2 | F_IF | F_ZF | F_AF | F_PF | F_OF | F_DF);
    /* A mask without bit 1 still leaves it set. */
    cpu_set_eflags(cpu, 0, 0x2);
    ck_assert(cpu_get_eflags(cpu) & 0x2);
    /* A write that changes IF or TF ends the block (the loop must look at
     * interrupts and single-stepping again); one that does not, does not. */
    cpu->stop_block = false;
    cpu_set_eflags(cpu, F_IF, F_IF);
    ck_assert(!cpu->stop_block);
    cpu_set_eflags(cpu, 0, F_IF);
    ck_assert(cpu->stop_block);
    cpu->stop_block = false;
    cpu_set_eflags(cpu, F_TF, F_TF);
    ck_assert(cpu->stop_block);
    cpu_set_eflags(cpu, 0, F_TF);

    /* get_eflags does not change the lazy state it reads. */
    flags_set(cpu, CC_INC32, 0, 0xFFFFFFFFu, 1);
    uint32_t e1 = cpu_get_eflags(cpu);
    ck_assert_uint_eq(cpu->cc_op, CC_INC32);
    ck_assert_uint_eq(cpu_get_eflags(cpu), e1);
    ck_assert_uint_eq(e1 & F_ARITH, F_ZF | F_AF | F_PF); /* CF was cleared above */

    cpu_free(cpu);
    bus_free(bus);
}
END_TEST

static Suite *flags_suite(void)
{
    Suite *s = suite_create("flags");
    TCase *tc = tcase_create("lazy");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_ops_vs_host);
    tcase_add_test(tc, test_fixed_vectors);
    tcase_add_test(tc, test_cond_eager);
    tcase_add_test(tc, test_eflags_accessors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(flags_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
