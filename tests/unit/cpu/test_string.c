/*
 * test_string.c - the string instructions (cpu/ops_string.c): MOVS, STOS,
 * CMPS, SCAS, LODS, INS, OUTS with and without REP/REPE/REPNE.
 *
 * Each test decodes real instruction bytes with decode_insn() and runs the
 * handler on a real-mode Cpu with RAM on a Bus, the way the execution loop
 * does (cpu->eip at the instruction, cpu->next_eip after it, faults
 * caught with sigsetjmp). A REP instruction that yields (next_eip == eip)
 * is run again until it completes, as the loop would.
 *
 * Covered: REP MOVSB/W/D forward and backward, overlapping and
 * page-crossing copies against an element-by-element reference model,
 * REP STOSB/W/D, REPE CMPS stopping at the first difference (registers
 * and flags), REPNE SCAS, segment overrides on the source, 16-bit SI/DI
 * wrap-around with the upper halves kept, 32-bit addressing, a zero
 * count, the re-execution contract (bounded work per call, next_eip ==
 * eip, stop_block and TF honoured), a fault in the middle of a REP that
 * leaves the registers describing the completed iterations, REP
 * INS/OUTS through a port handler, and (on x86-64 hosts) REPE/REPNE
 * CMPS/SCAS against the host CPU as an oracle.
 */
#include <check.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/ops.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"

#define RAM_SIZE (2u << 20)
#define DS_SEL   0x1000u /* DS base 0x10000 */
#define ES_SEL   0x3000u /* ES base 0x30000 */
#define FS_SEL   0x5000u /* FS base 0x50000 */
#define CODE_IP  0x0100u

static Bus *bus;
static Clock clk;
static Cpu *cpu;
static uint8_t *ram;

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    ram = bus_add_ram(bus, 0, RAM_SIZE, "ram");
    ck_assert_ptr_nonnull(ram);
    clock_init(&clk, 1000000000ull);
    cpu = cpu_new(bus, &clk);
    ck_assert_ptr_nonnull(cpu);
    cpu_load_seg(cpu, S_DS, DS_SEL);
    cpu_load_seg(cpu, S_ES, ES_SEL);
    cpu_load_seg(cpu, S_FS, FS_SEL);
    cpu->eip = CODE_IP;
}

static void teardown(void)
{
    cpu_free(cpu);
    bus_free(bus);
}

/* ---- running instructions ---- */

static DecodedInsn decode(const uint8_t *bytes, size_t n)
{
    DecodedInsn d;
    int len = decode_insn(bytes, n, cpu->code32, &d);
    ck_assert_int_eq(len, (int)n);
    return d;
}
#define DECODE(...)                                                                                \
    ({                                                                                             \
        static const uint8_t b_[] = {__VA_ARGS__};                                                 \
        decode(b_, sizeof b_);                                                                     \
    })

/* One call of the handler. Returns the exception vector, or -1. */
static int step(const DecodedInsn *d)
{
    static sigjmp_buf jb;
    cpu->jmp = &jb;
    cpu->exc_vector = -1;
    if (sigsetjmp(jb, 0)) {
        cpu->jmp = NULL;
        return cpu->exc_vector;
    }
    uint32_t mask = cpu->code32 ? 0xFFFFFFFFu : 0xFFFFu;
    cpu->next_eip = (cpu->eip + d->len) & mask;
    cpu->stop_block = false;
    d->fn(cpu, d);
    cpu->jmp = NULL;
    return -1;
}

/* Runs the instruction to completion as the execution loop would
 * (re-executing while it yields). Returns the exception vector or -1;
 * *calls receives the number of handler calls. */
static int run(const DecodedInsn *d, unsigned *calls)
{
    unsigned n = 0;
    for (;;) {
        int v = step(d);
        n++;
        if (v >= 0) {
            if (calls) *calls = n;
            return v;
        }
        if (cpu->next_eip != cpu->eip) break;
        ck_assert_msg(n < 10000000, "REP never completes");
    }
    cpu->eip = cpu->next_eip;
    if (calls) *calls = n;
    return -1;
}

static uint8_t *lin(uint32_t seg_sel, uint32_t off)
{
    return ram + (seg_sel << 4) + off;
}

static void set_df(bool on)
{
    cpu_set_eflags(cpu, on ? F_DF : 0, F_DF);
}

static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

/* Reference model of a forward or backward MOVS on flat host memory: each
 * element is read, then written, one after the other. */
static void ref_movs(uint8_t *base, uint32_t src, uint32_t dst, uint32_t count, unsigned sz,
                     bool df)
{
    for (uint32_t i = 0; i < count; i++) {
        uint8_t tmp[4];
        memcpy(tmp, base + src, sz);
        memcpy(base + dst, tmp, sz);
        src += df ? -sz : sz;
        dst += df ? -sz : sz;
    }
}

/* ---- MOVS ---- */

START_TEST(test_rep_movsb_forward)
{
    uint8_t src[300];
    fill_pattern(src, sizeof src, 1);
    memcpy(lin(DS_SEL, 0x100), src, sizeof src);
    cpu->regs[R_ESI] = 0x100;
    cpu->regs[R_EDI] = 0x800;
    cpu->regs[R_ECX] = 0xABCD0000u | 300;
    DecodedInsn d = DECODE(0xF3, 0xA4);
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_mem_eq(lin(ES_SEL, 0x800), src, sizeof src);
    ck_assert_uint_eq(*lin(ES_SEL, 0x800 + 300), 0); /* no overrun */
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x100 + 300);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x800 + 300);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0xABCD0000u); /* CX only */
    ck_assert_uint_eq(cpu->eip, CODE_IP + 2);
}
END_TEST

START_TEST(test_rep_movsw_backward)
{
    uint8_t src[200];
    fill_pattern(src, sizeof src, 2);
    memcpy(lin(DS_SEL, 0x1000), src, sizeof src);
    set_df(true);
    /* 100 words, starting at the last one. */
    cpu->regs[R_ESI] = 0x1000 + 198;
    cpu->regs[R_EDI] = 0x2000 + 198;
    cpu->regs[R_ECX] = 100;
    DecodedInsn d = DECODE(0xF3, 0xA5);
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_mem_eq(lin(ES_SEL, 0x2000), src, sizeof src);
    ck_assert_uint_eq(*lin(ES_SEL, 0x2000 - 1), 0);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x1000 - 2);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x2000 - 2);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
}
END_TEST

START_TEST(test_rep_movsd_forward_and_backward)
{
    uint8_t src[400];
    fill_pattern(src, sizeof src, 3);
    memcpy(lin(DS_SEL, 0x300), src, sizeof src);
    cpu->regs[R_ESI] = 0x300;
    cpu->regs[R_EDI] = 0x4000;
    cpu->regs[R_ECX] = 100;
    DecodedInsn d = DECODE(0x66, 0xF3, 0xA5); /* REP MOVSD in 16-bit code */
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_mem_eq(lin(ES_SEL, 0x4000), src, sizeof src);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x300 + 400);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x4000 + 400);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);

    set_df(true);
    cpu->regs[R_ESI] = 0x300 + 396;
    cpu->regs[R_EDI] = 0x6000 + 396;
    cpu->regs[R_ECX] = 100;
    cpu->eip = CODE_IP;
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_mem_eq(lin(ES_SEL, 0x6000), src, sizeof src);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x300 - 4);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x6000 - 4);
}
END_TEST

/* Overlapping and page-crossing copies, every size and direction, against
 * the reference model (this exercises the fast path's limits). */
START_TEST(test_rep_movs_overlap_reference)
{
    static const int dists[] = {-7, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 8, 4096, -4096};
    static const uint32_t counts[] = {1, 3, 17, 1000, 3000};
    uint8_t *expect = malloc(0x10000);
    ck_assert_ptr_nonnull(expect);
    cpu_load_seg(cpu, S_ES, DS_SEL); /* same segment: the copies can overlap */
    for (unsigned szi = 0; szi < 3; szi++) {
        unsigned sz = 1u << szi;
        static const uint8_t op_b[] = {0xF3, 0xA4}, op_w[] = {0xF3, 0xA5},
                             op_d[] = {0x66, 0xF3, 0xA5};
        DecodedInsn d = sz == 1 ? decode(op_b, 2) : sz == 2 ? decode(op_w, 2) : decode(op_d, 3);
        for (int df = 0; df < 2; df++) {
            for (size_t di = 0; di < sizeof dists / sizeof dists[0]; di++) {
                for (size_t ci = 0; ci < sizeof counts / sizeof counts[0]; ci++) {
                    uint32_t count = counts[ci];
                    /* Leave room on both sides; start near a page end so
                     * that runs cross pages. */
                    uint32_t src = df ? 0xC000 + 0xFFD : 0x2000 + 0xFF9;
                    uint32_t dst = (uint32_t)((int32_t)src + dists[di]);
                    uint8_t *seg = lin(DS_SEL, 0);
                    fill_pattern(seg, 0x10000, (uint32_t)(di * 31 + ci * 7 + szi + df));
                    memcpy(expect, seg, 0x10000);
                    ref_movs(expect, src, dst, count, sz, df);
                    set_df(df);
                    cpu->regs[R_ESI] = src;
                    cpu->regs[R_EDI] = dst;
                    cpu->regs[R_ECX] = count;
                    cpu->eip = CODE_IP;
                    ck_assert_int_eq(run(&d, NULL), -1);
                    ck_assert_msg(memcmp(seg, expect, 0x10000) == 0,
                                  "movs size %u df %d dist %d count %u differs", sz, df, dists[di],
                                  count);
                    uint32_t moved = count * sz;
                    ck_assert_uint_eq(cpu->regs[R_ESI], (df ? src - moved : src + moved) & 0xFFFF);
                    ck_assert_uint_eq(cpu->regs[R_EDI], (df ? dst - moved : dst + moved) & 0xFFFF);
                    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
                }
            }
        }
    }
    free(expect);
}
END_TEST

/* MOVSB with DI = SI + 1 replicates the first byte, as on a real CPU. */
START_TEST(test_rep_movsb_replicates)
{
    cpu_load_seg(cpu, S_ES, DS_SEL);
    uint8_t *p = lin(DS_SEL, 0x500);
    fill_pattern(p, 64, 9);
    p[0] = 0xAB;
    cpu->regs[R_ESI] = 0x500;
    cpu->regs[R_EDI] = 0x501;
    cpu->regs[R_ECX] = 50;
    DecodedInsn d = DECODE(0xF3, 0xA4);
    ck_assert_int_eq(run(&d, NULL), -1);
    for (int i = 0; i <= 50; i++)
        ck_assert_uint_eq(p[i], 0xAB);
}
END_TEST

START_TEST(test_movs_segment_override)
{
    /* FS: A4 reads FS:SI, still writes ES:DI. */
    *lin(FS_SEL, 0x40) = 0x5F;
    *lin(DS_SEL, 0x40) = 0xD5;
    cpu->regs[R_ESI] = 0x40;
    cpu->regs[R_EDI] = 0x60;
    DecodedInsn d = DECODE(0x64, 0xA4);
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_uint_eq(*lin(ES_SEL, 0x60), 0x5F);
    ck_assert_uint_eq(*lin(FS_SEL, 0x60), 0);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x41);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x61);

    /* An ES: override on REP MOVSW: source and destination both in ES. */
    uint8_t src[20];
    fill_pattern(src, sizeof src, 5);
    memcpy(lin(ES_SEL, 0x200), src, sizeof src);
    cpu->regs[R_ESI] = 0x200;
    cpu->regs[R_EDI] = 0x300;
    cpu->regs[R_ECX] = 10;
    cpu->eip = CODE_IP;
    DecodedInsn d2 = DECODE(0x26, 0xF3, 0xA5);
    ck_assert_int_eq(run(&d2, NULL), -1);
    ck_assert_mem_eq(lin(ES_SEL, 0x300), src, sizeof src);
}
END_TEST

/* 16-bit addressing: SI and DI wrap within 64 KiB, the upper halves of
 * ESI and EDI stay. */
START_TEST(test_si_di_wrap_16bit)
{
    *lin(DS_SEL, 0xFFFE) = 0x11;
    *lin(DS_SEL, 0xFFFF) = 0x22;
    *lin(DS_SEL, 0x0000) = 0x33;
    *lin(DS_SEL, 0x0001) = 0x44;
    cpu->regs[R_ESI] = 0xABCDFFFEu;
    cpu->regs[R_EDI] = 0x1234FFFFu;
    cpu->regs[R_ECX] = 4;
    DecodedInsn d = DECODE(0xF3, 0xA4);
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0xABCD0002u);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x12340003u);
    ck_assert_uint_eq(*lin(ES_SEL, 0xFFFF), 0x11);
    ck_assert_uint_eq(*lin(ES_SEL, 0x0000), 0x22);
    ck_assert_uint_eq(*lin(ES_SEL, 0x0001), 0x33);
    ck_assert_uint_eq(*lin(ES_SEL, 0x0002), 0x44);

    /* The same in big ("unreal") segments whose 64 KiB boundary is not a
     * page boundary: 16-bit addressing still wraps at 64 KiB instead of
     * reaching offset 0x10000. */
    cpu_load_seg(cpu, S_DS, DS_SEL + 8);
    cpu_load_seg(cpu, S_ES, ES_SEL + 8);
    cpu->seg[S_DS].limit = 0xFFFFFu;
    cpu->seg[S_ES].limit = 0xFFFFFu;
    uint8_t *ds = lin(DS_SEL + 8, 0), *es = lin(ES_SEL + 8, 0);
    ds[0xFFFE] = 0x55;
    ds[0xFFFF] = 0x66;
    ds[0x0000] = 0x77;
    ds[0x10000] = 0xEE;
    es[0x10000] = 0;
    es[0x10001] = 0;
    cpu->regs[R_ESI] = 0xFFFE;
    cpu->regs[R_EDI] = 0xFFFF;
    cpu->regs[R_ECX] = 3;
    cpu->eip = CODE_IP;
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x0001);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x0002);
    ck_assert_uint_eq(es[0xFFFF], 0x55);
    ck_assert_uint_eq(es[0x0000], 0x66);
    ck_assert_uint_eq(es[0x0001], 0x77);
    ck_assert_uint_eq(es[0x10000], 0x00);
    ck_assert_uint_eq(es[0x10001], 0x00);
    cpu_load_seg(cpu, S_DS, DS_SEL);
    cpu_load_seg(cpu, S_ES, ES_SEL);
    cpu->seg[S_DS].limit = 0xFFFF;
    cpu->seg[S_ES].limit = 0xFFFF;

    /* Backward through zero. */
    set_df(true);
    cpu->regs[R_EDI] = 0x00070001u;
    cpu->regs[R_EAX] = 0x99;
    cpu->regs[R_ECX] = 3;
    cpu->eip = CODE_IP;
    DecodedInsn s = DECODE(0xF3, 0xAA);
    ck_assert_int_eq(run(&s, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x0007FFFEu);
    ck_assert_uint_eq(*lin(ES_SEL, 0x0001), 0x99);
    ck_assert_uint_eq(*lin(ES_SEL, 0x0000), 0x99);
    ck_assert_uint_eq(*lin(ES_SEL, 0xFFFF), 0x99);
    ck_assert_uint_eq(*lin(ES_SEL, 0xFFFE), 0x00);
}
END_TEST

/* 32-bit addressing (67 prefix): ESI/EDI/ECX, beyond 64 KiB in a big
 * ("unreal") segment. */
START_TEST(test_addr32_big_segment)
{
    cpu->seg[S_DS].limit = 0xFFFFFu;
    cpu->seg[S_ES].limit = 0xFFFFFu;
    uint8_t *src = lin(DS_SEL, 0xFFF0);
    fill_pattern(src, 0x30000, 11);
    cpu->regs[R_ESI] = 0xFFF0;
    cpu->regs[R_EDI] = 0x40000;
    cpu->regs[R_ECX] = 0x30000 / 4;
    DecodedInsn d = DECODE(0x67, 0x66, 0xF3, 0xA5);
    unsigned calls;
    ck_assert_int_eq(run(&d, &calls), -1);
    ck_assert_uint_gt(calls, 1);
    ck_assert_mem_eq(lin(ES_SEL, 0x40000), src, 0x30000);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0xFFF0 + 0x30000);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x40000 + 0x30000);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
}
END_TEST

/* ---- STOS ---- */

START_TEST(test_rep_stos)
{
    cpu->regs[R_EAX] = 0x1122335Au;
    cpu->regs[R_EDI] = 0x100;
    cpu->regs[R_ECX] = 1000;
    DecodedInsn b = DECODE(0xF3, 0xAA);
    ck_assert_int_eq(run(&b, NULL), -1);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(*lin(ES_SEL, 0x100 + i), 0x5A);
    ck_assert_uint_eq(*lin(ES_SEL, 0x100 + 1000), 0);
    ck_assert_uint_eq(*lin(ES_SEL, 0x100 - 1), 0);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x100 + 1000);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);

    cpu->regs[R_EDI] = 0x2001; /* odd: words straddle nothing special */
    cpu->regs[R_ECX] = 3000;
    cpu->eip = CODE_IP;
    DecodedInsn w = DECODE(0xF3, 0xAB);
    ck_assert_int_eq(run(&w, NULL), -1);
    for (int i = 0; i < 3000; i++) {
        ck_assert_uint_eq(*lin(ES_SEL, 0x2001 + 2 * i), 0x5A);
        ck_assert_uint_eq(*lin(ES_SEL, 0x2002 + 2 * i), 0x33);
    }
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x2001 + 6000);

    cpu->regs[R_EDI] = 0x9000;
    cpu->regs[R_ECX] = 2000;
    cpu->eip = CODE_IP;
    DecodedInsn dd = DECODE(0x66, 0xF3, 0xAB);
    ck_assert_int_eq(run(&dd, NULL), -1);
    for (int i = 0; i < 2000; i++) {
        uint32_t v;
        memcpy(&v, lin(ES_SEL, 0x9000 + 4 * i), 4);
        ck_assert_uint_eq(v, 0x1122335Au);
    }
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x9000 + 8000);

    /* Backward, no REP. */
    set_df(true);
    cpu->regs[R_EDI] = 0x50;
    cpu->eip = CODE_IP;
    DecodedInsn one = DECODE(0xAB);
    ck_assert_int_eq(run(&one, NULL), -1);
    ck_assert_uint_eq(*lin(ES_SEL, 0x50), 0x5A);
    ck_assert_uint_eq(*lin(ES_SEL, 0x51), 0x33);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x4E);
}
END_TEST

/* ---- CMPS / SCAS ---- */

START_TEST(test_repe_cmpsb_first_difference)
{
    uint8_t a[40], b[40];
    fill_pattern(a, sizeof a, 21);
    memcpy(b, a, sizeof b);
    a[10] = 0x30;
    b[10] = 0x50;
    memcpy(lin(DS_SEL, 0x700), a, sizeof a);
    memcpy(lin(ES_SEL, 0x900), b, sizeof b);
    cpu->regs[R_ESI] = 0x700;
    cpu->regs[R_EDI] = 0x900;
    cpu->regs[R_ECX] = 40;
    DecodedInsn d = DECODE(0xF3, 0xA6);
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 40 - 11);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x700 + 11);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x900 + 11);
    /* 0x30 - 0x50 = 0xE0: CF SF AF... as CMP. */
    uint32_t f = cpu_get_eflags(cpu) & F_ARITH;
    ck_assert_uint_eq(f, F_CF | F_SF);
    ck_assert(!flags_cond(cpu, COND_E));
    ck_assert(flags_cond(cpu, COND_B));

    /* Equal all the way: stops on the count with ZF set. */
    memcpy(lin(ES_SEL, 0x900), a, sizeof a);
    cpu->regs[R_ESI] = 0x700;
    cpu->regs[R_EDI] = 0x900;
    cpu->regs[R_ECX] = 20;
    cpu->eip = CODE_IP;
    DecodedInsn w = DECODE(0xF3, 0xA7);
    ck_assert_int_eq(run(&w, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x700 + 40);
    ck_assert(flags_cond(cpu, COND_E));
}
END_TEST

START_TEST(test_repne_cmpsw_and_zero_count)
{
    uint16_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {9, 9, 9, 9, 5, 9, 9, 9};
    memcpy(lin(DS_SEL, 0x100), a, sizeof a);
    memcpy(lin(ES_SEL, 0x100), b, sizeof b);
    cpu->regs[R_ESI] = 0x100;
    cpu->regs[R_EDI] = 0x100;
    cpu->regs[R_ECX] = 8;
    DecodedInsn d = DECODE(0xF2, 0xA7);
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 3);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x100 + 10);
    ck_assert(flags_cond(cpu, COND_E));

    /* A zero count does nothing at all, flags included. */
    cpu_set_eflags(cpu, F_CF | F_OF, F_ARITH);
    cpu->regs[R_ECX] = 0xFFFF0000u;
    cpu->regs[R_ESI] = 0x100;
    cpu->eip = CODE_IP;
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x100);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0xFFFF0000u);
    ck_assert_uint_eq(cpu_get_eflags(cpu) & F_ARITH, F_CF | F_OF);
    ck_assert_uint_eq(cpu->eip, CODE_IP + 2);
}
END_TEST

START_TEST(test_repne_scasb)
{
    uint8_t buf[100];
    memset(buf, 0x11, sizeof buf);
    buf[25] = 0x77;
    buf[60] = 0x77;
    memcpy(lin(ES_SEL, 0x400), buf, sizeof buf);
    cpu->regs[R_EAX] = 0xFFFFFF77u;
    cpu->regs[R_EDI] = 0x400;
    cpu->regs[R_ECX] = 100;
    DecodedInsn d = DECODE(0xF2, 0xAE);
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 100 - 26);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x400 + 26);
    ck_assert(flags_cond(cpu, COND_E));

    /* Not found: runs out of count with ZF clear. */
    cpu->regs[R_EAX] = 0x42;
    cpu->regs[R_EDI] = 0x400;
    cpu->regs[R_ECX] = 100;
    cpu->eip = CODE_IP;
    ck_assert_int_eq(run(&d, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x400 + 100);
    ck_assert(!flags_cond(cpu, COND_E));
    ck_assert(flags_cond(cpu, COND_A)); /* 0x42 - 0x11 */

    /* REPE SCASW: skip equal words. */
    uint16_t w[6] = {7, 7, 7, 8, 7, 7};
    memcpy(lin(ES_SEL, 0x600), w, sizeof w);
    cpu->regs[R_EAX] = 7;
    cpu->regs[R_EDI] = 0x600;
    cpu->regs[R_ECX] = 6;
    cpu->eip = CODE_IP;
    DecodedInsn e = DECODE(0xF3, 0xAF);
    ck_assert_int_eq(run(&e, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 2);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x600 + 8);
    ck_assert(flags_cond(cpu, COND_B)); /* 7 - 8 */
}
END_TEST

/* ---- LODS ---- */

START_TEST(test_lods)
{
    uint8_t buf[4] = {0xA1, 0xB2, 0xC3, 0xD4};
    memcpy(lin(DS_SEL, 0x80), buf, 4);
    cpu->regs[R_EAX] = 0x12345678u;
    cpu->regs[R_ESI] = 0x80;
    DecodedInsn b = DECODE(0xAC);
    ck_assert_int_eq(run(&b, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0x123456A1u);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x81);

    cpu->regs[R_ESI] = 0x80;
    cpu->eip = CODE_IP;
    DecodedInsn dd = DECODE(0x66, 0xAD);
    ck_assert_int_eq(run(&dd, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0xD4C3B2A1u);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x84);

    /* REP LODSB leaves the last element in AL. */
    cpu->regs[R_ESI] = 0x80;
    cpu->regs[R_ECX] = 3;
    cpu->eip = CODE_IP;
    DecodedInsn r = DECODE(0xF3, 0xAC);
    ck_assert_int_eq(run(&r, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_EAX] & 0xFF, 0xC3);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
}
END_TEST

/* ---- the REP re-execution contract ---- */

START_TEST(test_rep_reexecution)
{
    cpu->regs[R_EAX] = 0xEE;
    cpu->regs[R_EDI] = 0;
    cpu->regs[R_ECX] = 0xFFFF;
    DecodedInsn d = DECODE(0xF3, 0xAA);
    /* One call does a bounded part of the work and asks to run again. */
    ck_assert_int_eq(step(&d), -1);
    uint32_t cx = cpu->regs[R_ECX];
    ck_assert_uint_gt(cx, 0);
    ck_assert_uint_lt(cx, 0xFFFF);
    ck_assert_uint_eq(cpu->next_eip, cpu->eip);
    ck_assert_uint_eq(cpu->eip, CODE_IP);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0xFFFF - cx);
    ck_assert_uint_eq(*lin(ES_SEL, 0xFFFF - cx - 1), 0xEE);
    ck_assert_uint_eq(*lin(ES_SEL, 0xFFFF - cx), 0);
    /* Then it carries on where it stopped. */
    unsigned calls;
    ck_assert_int_eq(run(&d, &calls), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0xFFFF);
    ck_assert_uint_eq(*lin(ES_SEL, 0xFFFE), 0xEE);
    ck_assert_uint_eq(*lin(ES_SEL, 0xFFFF), 0);
    ck_assert_uint_eq(cpu->eip, CODE_IP + 2);

    /* The general path (here: DF set, so no fast path) is bounded too. */
    set_df(true);
    cpu->regs[R_ESI] = 0xFFFE;
    cpu->regs[R_EDI] = 0xFFFE;
    cpu->regs[R_ECX] = 0x7FFF;
    cpu->eip = CODE_IP;
    DecodedInsn m = DECODE(0xF3, 0xA5);
    ck_assert_int_eq(step(&m), -1);
    ck_assert_uint_eq(cpu->next_eip, cpu->eip);
    ck_assert_uint_lt(cpu->regs[R_ECX], 0x7FFF);
    ck_assert_uint_gt(cpu->regs[R_ECX], 0);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0xFFFE - 2 * (0x7FFF - cpu->regs[R_ECX]));
    ck_assert_int_eq(run(&m, NULL), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0);
}
END_TEST

static void set_stop_block(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    (void)port;
    (void)val;
    (void)size;
    ((Cpu *)opaque)->stop_block = true; /* as an interrupt request would */
}

static uint32_t io_read_none(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return 0;
}

/* A pending event (stop_block) or TF makes a REP yield after the current
 * iteration. */
START_TEST(test_rep_yields_to_events)
{
    static const IoOps ops = {io_read_none, set_stop_block, 4};
    bus_register_io(bus, 0x80, 1, &ops, cpu);
    memset(lin(DS_SEL, 0), 0x12, 16);
    cpu->regs[R_EDX] = 0x80;
    cpu->regs[R_ESI] = 0;
    cpu->regs[R_ECX] = 10;
    DecodedInsn d = DECODE(0xF3, 0x6E); /* REP OUTSB */
    ck_assert_int_eq(step(&d), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 9);
    ck_assert_uint_eq(cpu->regs[R_ESI], 1);
    ck_assert_uint_eq(cpu->next_eip, cpu->eip);

    cpu_set_eflags(cpu, F_TF, F_TF);
    cpu->regs[R_EDI] = 0;
    cpu->regs[R_ECX] = 10;
    DecodedInsn s = DECODE(0xF3, 0xAA);
    ck_assert_int_eq(step(&s), -1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 9);
    ck_assert_uint_eq(cpu->regs[R_EDI], 1);
    ck_assert_uint_eq(cpu->next_eip, cpu->eip);
}
END_TEST

/* A fault in the middle: the registers describe the completed iterations
 * and the instruction can be restarted. */
START_TEST(test_rep_fault_midway)
{
    uint8_t src[16];
    fill_pattern(src, sizeof src, 33);
    memcpy(lin(DS_SEL, 0x100), src, sizeof src);
    /* Warm the TLB for the pages just past the 64 KiB limits (through a
     * temporarily bigger limit), so that a fast path would have host
     * pointers there and only the limit check stops it. */
    cpu->seg[S_DS].limit = 0xFFFFFu;
    cpu->seg[S_ES].limit = 0xFFFFFu;
    cpu->regs[R_EDI] = 0x10000;
    cpu->regs[R_ESI] = 0x10000;
    DecodedInsn warm_w = DECODE(0x67, 0xAA), warm_r = DECODE(0x67, 0xAC);
    ck_assert_int_eq(run(&warm_w, NULL), -1);
    ck_assert_int_eq(run(&warm_r, NULL), -1);
    cpu->seg[S_DS].limit = 0xFFFF;
    cpu->seg[S_ES].limit = 0xFFFF;
    cpu->eip = CODE_IP;

    cpu->regs[R_ESI] = 0x100;
    cpu->regs[R_EDI] = 0xFFF8;
    cpu->regs[R_ECX] = 8;
    /* REP MOVSW with 32-bit addressing: EDI reaches 0x10000, beyond the
     * 64 KiB limit of ES, after four words. */
    DecodedInsn d = DECODE(0x67, 0xF3, 0xA5);
    ck_assert_int_eq(run(&d, NULL), EXC_GP);
    ck_assert_uint_eq(cpu->regs[R_ECX], 4);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x108);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x10000);
    ck_assert_uint_eq(cpu->eip, CODE_IP);
    ck_assert_mem_eq(lin(ES_SEL, 0xFFF8), src, 8);

    /* Same with a source that runs off the limit, one word at a time. */
    cpu->regs[R_ESI] = 0xFFFC;
    cpu->regs[R_EDI] = 0x200;
    cpu->regs[R_ECX] = 5;
    ck_assert_int_eq(run(&d, NULL), EXC_GP);
    ck_assert_uint_eq(cpu->regs[R_ECX], 3);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x10000);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x204);

    /* A word at offset 0xFFFF (16-bit addressing) faults before anything
     * changes. */
    cpu->regs[R_ESI] = 0xFFFF;
    cpu->regs[R_EDI] = 0x300;
    cpu->regs[R_ECX] = 2;
    DecodedInsn w = DECODE(0xF3, 0xA5);
    ck_assert_int_eq(run(&w, NULL), EXC_GP);
    ck_assert_uint_eq(cpu->regs[R_ECX], 2);
    ck_assert_uint_eq(cpu->regs[R_ESI], 0xFFFF);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x300);
}
END_TEST

/* ---- INS / OUTS ---- */

typedef struct Port {
    uint32_t next;
    uint32_t written[16];
    unsigned sizes[16];
    int nw;
} Port;

static uint32_t port_read(void *opaque, uint16_t port, unsigned size)
{
    Port *p = opaque;
    (void)port;
    uint32_t v = p->next;
    p->next += 0x01010101u;
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static void port_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    Port *p = opaque;
    (void)port;
    if (p->nw < 16) {
        p->written[p->nw] = val;
        p->sizes[p->nw] = size;
    }
    p->nw++;
}

START_TEST(test_ins_outs)
{
    static const IoOps ops = {port_read, port_write, 4};
    Port port = {.next = 0x04030201u};
    bus_register_io(bus, 0x300, 4, &ops, &port);
    cpu->regs[R_EDX] = 0xABCD0300u; /* only DX is the port */
    cpu->regs[R_EDI] = 0x10;
    cpu->regs[R_ECX] = 3;
    DecodedInsn ib = DECODE(0xF3, 0x6C);
    ck_assert_int_eq(run(&ib, NULL), -1);
    ck_assert_uint_eq(*lin(ES_SEL, 0x10), 0x01);
    ck_assert_uint_eq(*lin(ES_SEL, 0x11), 0x02);
    ck_assert_uint_eq(*lin(ES_SEL, 0x12), 0x03);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x13);

    cpu->regs[R_EDI] = 0x20;
    cpu->regs[R_ECX] = 2;
    cpu->eip = CODE_IP;
    DecodedInsn iw = DECODE(0xF3, 0x6D);
    ck_assert_int_eq(run(&iw, NULL), -1);
    uint16_t w0, w1;
    memcpy(&w0, lin(ES_SEL, 0x20), 2);
    memcpy(&w1, lin(ES_SEL, 0x22), 2);
    ck_assert_uint_eq(w0, 0x0504);
    ck_assert_uint_eq(w1, 0x0605);

    /* INS to a destination beyond the limit faults without reading the
     * port. */
    uint32_t before = port.next;
    cpu->regs[R_EDI] = 0xFFFF;
    cpu->regs[R_ECX] = 1;
    cpu->eip = CODE_IP;
    ck_assert_int_eq(run(&iw, NULL), EXC_GP);
    ck_assert_uint_eq(port.next, before);

    /* REP OUTSW from FS (segment override). */
    uint16_t out[3] = {0x1111, 0x2222, 0x3333};
    memcpy(lin(FS_SEL, 0x40), out, sizeof out);
    cpu->regs[R_ESI] = 0x40;
    cpu->regs[R_ECX] = 3;
    cpu->eip = CODE_IP;
    DecodedInsn ow = DECODE(0x64, 0xF3, 0x6F);
    ck_assert_int_eq(run(&ow, NULL), -1);
    ck_assert_int_eq(port.nw, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_eq(port.written[i], out[i]);
        ck_assert_uint_eq(port.sizes[i], 2);
    }
    ck_assert_uint_eq(cpu->regs[R_ESI], 0x46);
}
END_TEST

/* ---- the host CPU as an oracle for REPE/REPNE CMPS and SCAS ---- */

#if defined(__x86_64__)

/* Runs insn with RSI/RDI/RCX/RAX as given and DF as asked; returns the
 * arithmetic flags. Runs below the red zone. */
#define HOST_STR(name, insn)                                                                       \
    static uint32_t name(uint64_t *rsi, uint64_t *rdi, uint64_t *rcx, uint64_t rax, int df)        \
    {                                                                                              \
        uint64_t s = *rsi, d = *rdi, c = *rcx, f;                                                  \
        if (df)                                                                                    \
            __asm__ volatile("add $-128, %%rsp\n\tstd\n\t" insn                                    \
                             "\n\tpushfq\n\tpopq %[f]\n\tcld\n\tsub $-128, %%rsp"                  \
                             : "+S"(s), "+D"(d), "+c"(c), [f] "=r"(f)                              \
                             : "a"(rax)                                                            \
                             : "memory", "cc");                                                    \
        else                                                                                       \
            __asm__ volatile("add $-128, %%rsp\n\tcld\n\t" insn                                    \
                             "\n\tpushfq\n\tpopq %[f]\n\tsub $-128, %%rsp"                         \
                             : "+S"(s), "+D"(d), "+c"(c), [f] "=r"(f)                              \
                             : "a"(rax)                                                            \
                             : "memory", "cc");                                                    \
        *rsi = s;                                                                                  \
        *rdi = d;                                                                                  \
        *rcx = c;                                                                                  \
        return (uint32_t)f & F_ARITH;                                                              \
    }

HOST_STR(h_repe_cmpsb, "repe cmpsb")
HOST_STR(h_repe_cmpsw, "repe cmpsw")
HOST_STR(h_repe_cmpsd, "repe cmpsl")
HOST_STR(h_repne_cmpsb, "repne cmpsb")
HOST_STR(h_repne_cmpsw, "repne cmpsw")
HOST_STR(h_repne_cmpsd, "repne cmpsl")
HOST_STR(h_repe_scasb, "repe scasb")
HOST_STR(h_repe_scasw, "repe scasw")
HOST_STR(h_repe_scasd, "repe scasl")
HOST_STR(h_repne_scasb, "repne scasb")
HOST_STR(h_repne_scasw, "repne scasw")
HOST_STR(h_repne_scasd, "repne scasl")

typedef uint32_t (*HostStr)(uint64_t *, uint64_t *, uint64_t *, uint64_t, int);

static uint64_t rng = 0x243F6A8885A308D3ull;
static uint32_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Bytes from a small alphabet so that equal elements are common. */
static uint8_t rnd_byte(void)
{
    static const uint8_t alphabet[] = {0x00, 0x01, 0x7F, 0x80, 0xFF, 0x10};
    return alphabet[rnd() % sizeof alphabet];
}

START_TEST(test_cmps_scas_host_oracle)
{
    enum { N = 64 };
    static const HostStr host[2][2][3] = {
        {{h_repe_cmpsb, h_repe_cmpsw, h_repe_cmpsd}, {h_repne_cmpsb, h_repne_cmpsw, h_repne_cmpsd}},
        {{h_repe_scasb, h_repe_scasw, h_repe_scasd}, {h_repne_scasb, h_repne_scasw, h_repne_scasd}},
    };
    uint8_t a[N * 4], b[N * 4];
    for (int iter = 0; iter < 6000; iter++) {
        int scas = rnd() & 1, ne = rnd() & 1, szi = (int)(rnd() % 3), df = (int)(rnd() & 1);
        unsigned sz = 1u << szi;
        /* Mostly-equal buffers (REPE runs long) or random ones. */
        bool similar = rnd() & 1;
        for (int i = 0; i < N * 4; i++) {
            a[i] = rnd_byte();
            b[i] = similar && (rnd() % 16) ? a[i] : rnd_byte();
        }
        uint32_t acc = rnd();
        if (scas && similar) {
            /* An accumulator that matches the data often. */
            memcpy(&acc, b + (rnd() % N) * sz, sz);
            for (int i = 0; i < N; i++)
                if (rnd() % 4) memcpy(b + i * sz, &acc, sz);
        }
        uint32_t count = 1 + rnd() % N;
        uint32_t first = df ? (N - 1) * sz : 0;

        uint64_t hs = (uint64_t)(uintptr_t)(a + first), hd = (uint64_t)(uintptr_t)(b + first);
        uint64_t hc = count;
        uint32_t hf = host[scas][ne][szi](&hs, &hd, &hc, acc, df);

        memcpy(lin(DS_SEL, 0x1000), a, sizeof a);
        memcpy(lin(ES_SEL, 0x2000), b, sizeof b);
        set_df(df);
        cpu->regs[R_ESI] = 0x1000 + first;
        cpu->regs[R_EDI] = 0x2000 + first;
        cpu->regs[R_ECX] = count;
        cpu->regs[R_EAX] = acc;
        cpu->eip = CODE_IP;
        uint8_t code[3];
        size_t n = 0;
        if (sz == 4) code[n++] = 0x66;
        code[n++] = ne ? 0xF2 : 0xF3;
        code[n++] = (uint8_t)((scas ? 0xAE : 0xA6) + (sz > 1));
        DecodedInsn d = decode(code, n);
        ck_assert_int_eq(run(&d, NULL), -1);

        int64_t host_dsi = (int64_t)(hs - (uint64_t)(uintptr_t)(a + first));
        int64_t host_ddi = (int64_t)(hd - (uint64_t)(uintptr_t)(b + first));
        int64_t our_dsi = (int64_t)cpu->regs[R_ESI] - (int64_t)(0x1000 + first);
        int64_t our_ddi = (int64_t)cpu->regs[R_EDI] - (int64_t)(0x2000 + first);
        ck_assert_msg(cpu->regs[R_ECX] == hc, "iter %d %s%s size %u df %d: ECX %u, host %u", iter,
                      ne ? "repne " : "repe ", scas ? "scas" : "cmps", sz, df, cpu->regs[R_ECX],
                      (unsigned)hc);
        ck_assert_int_eq(our_ddi, host_ddi);
        if (!scas) ck_assert_int_eq(our_dsi, host_dsi);
        ck_assert_msg((cpu_get_eflags(cpu) & F_ARITH) == hf, "iter %d: flags %03x, host %03x", iter,
                      cpu_get_eflags(cpu) & F_ARITH, hf);
    }
}
END_TEST

#endif

static Suite *string_suite(void)
{
    Suite *s = suite_create("string");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rep_movsb_forward);
    tcase_add_test(tc, test_rep_movsw_backward);
    tcase_add_test(tc, test_rep_movsd_forward_and_backward);
    tcase_add_test(tc, test_rep_movs_overlap_reference);
    tcase_add_test(tc, test_rep_movsb_replicates);
    tcase_add_test(tc, test_movs_segment_override);
    tcase_add_test(tc, test_si_di_wrap_16bit);
    tcase_add_test(tc, test_addr32_big_segment);
    tcase_add_test(tc, test_rep_stos);
    tcase_add_test(tc, test_repe_cmpsb_first_difference);
    tcase_add_test(tc, test_repne_cmpsw_and_zero_count);
    tcase_add_test(tc, test_repne_scasb);
    tcase_add_test(tc, test_lods);
    tcase_add_test(tc, test_rep_reexecution);
    tcase_add_test(tc, test_rep_yields_to_events);
    tcase_add_test(tc, test_rep_fault_midway);
    tcase_add_test(tc, test_ins_outs);
#if defined(__x86_64__)
    tcase_add_test(tc, test_cmps_scas_host_oracle);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(string_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
