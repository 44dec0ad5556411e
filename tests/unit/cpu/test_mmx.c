/*
 * test_mmx.c - the MMX instructions (cpu/ops_mmx.c) run through a Brisk
 * machine core (real mode, tb_exec to a HLT) and, on x86-64 hosts,
 * compared bit for bit with the host CPU.
 *
 * The oracle: a random MMX instruction of the Pentium II set (register form,
 * memory form with the operand at [bx] / [rdi], the shift groups with a
 * random immediate, MOVD to and from EAX, EMMS) on a random x87 state (TOP,
 * tags, register contents with random exponents, since MMX reads only the
 * significands) and random memory. Host: FRSTOR; the instruction; FNSAVE.
 * Brisk: the same instruction, then FNSAVE. Compared: the whole saved image
 * but the pointers (control, status with TOP, the tag word the contents give,
 * all registers with their exponent fields), the memory and EAX.
 *
 * Fixed tests (any host): the aliasing (a write sets bits 64-79, TOP 0, the
 * tag word valid; EMMS empties it), saturation and wrap-around corners,
 * shift counts above the lane width, the 32-bit read of the low unpacks,
 * #UD with CR0.EM, #NM with CR0.TS, #MF for a pending x87 exception, and
 * #UD for the SSE opcodes a Pentium II does not have.
 */
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/disasm.h"
#include "cpu/fpu.h"
#include "cpu/ops.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "translator/exec.h"

#if defined(__x86_64__)
#include <sys/mman.h>
#endif

#define FIXTURE_RNG_SEED 0x13198A2E03707344ull
#include "realmode_fixture.h"

static uint64_t rd64(uint32_t a)
{
    uint64_t v;
    memcpy(&v, ram + a, 8);
    return v;
}
static void wr64(uint32_t a, uint64_t v) { memcpy(ram + a, &v, 8); }
static uint64_t mm(unsigned i) { return mmx_get(&cpu->fpu, i); }

/* MOVQ mmN, [2000h + off] (0F 6F /r, disp16). */
static void load_mm(unsigned n, uint64_t v)
{
    wr64(MEM + 0x100 + 8 * n, v);
    uint8_t code[] = {0x0F, 0x6F, (uint8_t)(0x06 | n << 3), (uint8_t)(0x00 + 8 * n), 0x21};
    ck_assert_int_eq(run_code(code, sizeof code), -1);
}

/* ================================================================== */

START_TEST(test_aliasing)
{
    X87State *f = &cpu->fpu;
    /* FNINIT; FLD1; FLD1: TOP 6, two tags valid. MOVQ mm3, [2000h]. */
    wr64(MEM, 0x0123456789ABCDEFull);
    ck_assert_int_eq(RUN(0xDB, 0xE3, 0xD9, 0xE8, 0xD9, 0xE8, 0x0F, 0x6F, 0x1E, 0x00, 0x20), -1);
    ck_assert_uint_eq(f->top, 0);
    ck_assert_uint_eq(f->tw, 0);
    ck_assert_uint_eq(f->st[3].mant, 0x0123456789ABCDEFull);
    ck_assert_uint_eq(f->st[3].se, 0xFFFF);
    /* The x87 registers R6 and R7 keep 1.0; FNSTENV shows the tags of the
     * contents (R3: special; R6/R7: valid; the others: +0.0 from reset,
     * zero). */
    ck_assert_int_eq(RUN(0xD9, 0x36, 0x00, 0x30), -1);
    uint16_t tw = (uint16_t)(ram[SAVE + 4] | ram[SAVE + 5] << 8);
    ck_assert_uint_eq(tw, 0x0595);
    /* MOVD eax, mm3 (a read) also sets TOP 0 and tags valid (after an FLD1
     * that overflowed: every tag was "valid"); EMMS empties them. */
    ck_assert_int_eq(RUN(0xD9, 0xE8, 0x0F, 0x7E, 0xD8), -1);
    ck_assert_uint_eq(cpu->regs[R_EAX], 0x89ABCDEFu);
    ck_assert_uint_eq(f->top, 0);
    ck_assert_uint_eq(f->tw, 0);
    ck_assert_int_eq(RUN(0x0F, 0x77), -1);
    ck_assert_uint_eq(f->tw, 0xFFFF);
    ck_assert_uint_eq(f->top, 0);
    /* MOVD mm1, eax zero-extends. */
    cpu->regs[R_EAX] = 0xFEDCBA98u;
    ck_assert_int_eq(RUN(0x0F, 0x6E, 0xC8), -1);
    ck_assert_uint_eq(mm(1), 0xFEDCBA98ull);
    /* MMX instructions leave the x87 pointers and opcode alone. */
    ck_assert_uint_eq(f->fop, 0x1E8);
}
END_TEST

START_TEST(test_arithmetic_corners)
{
    /* PADDSB: 7F + 01 = 7F, 80 + FF = 80; PADDUSB: FF + 01 = FF;
     * PSUBUSB: 00 - 01 = 00; PADDB wraps. */
    load_mm(0, 0x7F80FF0010203040ull);
    load_mm(1, 0x01FF01FF01020304ull);
    ck_assert_int_eq(RUN(0x0F, 0xEC, 0xC1), -1); /* paddsb mm0, mm1 */
    ck_assert_uint_eq(mm(0), 0x7F8000FF11223344ull);
    load_mm(0, 0x7F80FF0010203040ull);
    ck_assert_int_eq(RUN(0x0F, 0xDC, 0xC1), -1); /* paddusb */
    ck_assert_uint_eq(mm(0), 0x80FFFFFF11223344ull);
    load_mm(0, 0x7F80FF0010203040ull);
    ck_assert_int_eq(RUN(0x0F, 0xD8, 0xC1), -1); /* psubusb */
    ck_assert_uint_eq(mm(0), 0x7E00FE000F1E2D3Cull);
    load_mm(0, 0x7F80FF0010203040ull);
    ck_assert_int_eq(RUN(0x0F, 0xFC, 0xC1), -1); /* paddb */
    ck_assert_uint_eq(mm(0), 0x807F00FF11223344ull);
    /* PMADDWD: (-32768)^2 * 2 wraps to 80000000h. */
    load_mm(2, 0x8000800000020003ull);
    load_mm(3, 0x8000800000040005ull);
    ck_assert_int_eq(RUN(0x0F, 0xF5, 0xD3), -1);
    ck_assert_uint_eq(mm(2), 0x8000000000000017ull);
    /* PMULHW / PMULLW of -2 * 3 and 7FFF * 7FFF. */
    load_mm(4, 0xFFFE7FFF00000000ull);
    load_mm(5, 0x00037FFF00000000ull);
    ck_assert_int_eq(RUN(0x0F, 0xE5, 0xE5), -1);
    ck_assert_uint_eq(mm(4), 0xFFFF3FFF00000000ull);
    load_mm(4, 0xFFFE7FFF00000000ull);
    ck_assert_int_eq(RUN(0x0F, 0xD5, 0xE5), -1);
    ck_assert_uint_eq(mm(4), 0xFFFA000100000000ull);
    /* PACKSSWB / PACKUSWB / PACKSSDW. */
    load_mm(6, 0x0100FF807FFF8000ull);
    load_mm(7, 0x000100FFFFFF0080ull);
    ck_assert_int_eq(RUN(0x0F, 0x63, 0xF7), -1);
    ck_assert_uint_eq(mm(6), 0x017FFF7F7F807F80ull);
    load_mm(6, 0x0100FF807FFF8000ull);
    ck_assert_int_eq(RUN(0x0F, 0x67, 0xF7), -1);
    ck_assert_uint_eq(mm(6), 0x01FF0080FF00FF00ull);
    load_mm(6, 0x0001000080000000ull);
    load_mm(7, 0xFFFFFFFF7FFFFFFFull);
    ck_assert_int_eq(RUN(0x0F, 0x6B, 0xF7), -1);
    ck_assert_uint_eq(mm(6), 0xFFFF7FFF7FFF8000ull);
}
END_TEST

START_TEST(test_shifts_and_unpacks)
{
    /* Counts above the lane width: logical shifts give 0, arithmetic
     * shifts fill with the sign; a 64-bit count is used whole. */
    load_mm(0, 0x8000123480005678ull);
    ck_assert_int_eq(RUN(0x0F, 0x71, 0xE0, 16), -1); /* psraw mm0, 16 */
    ck_assert_uint_eq(mm(0), 0xFFFF0000FFFF0000ull);
    load_mm(0, 0x8000123480005678ull);
    ck_assert_int_eq(RUN(0x0F, 0x71, 0xD0, 16), -1); /* psrlw mm0, 16 */
    ck_assert_uint_eq(mm(0), 0);
    load_mm(0, 0x8000123480005678ull);
    ck_assert_int_eq(RUN(0x0F, 0x71, 0xF0, 4), -1); /* psllw mm0, 4 */
    ck_assert_uint_eq(mm(0), 0x0000234000006780ull);
    load_mm(0, 0x8000000000000001ull);
    ck_assert_int_eq(RUN(0x0F, 0x73, 0xF0, 63), -1); /* psllq mm0, 63 */
    ck_assert_uint_eq(mm(0), 0x8000000000000000ull);
    load_mm(0, 0x8000000000000001ull);
    load_mm(1, 0x0000000100000000ull); /* count 2^32: 0 */
    ck_assert_int_eq(RUN(0x0F, 0xD3, 0xC1), -1); /* psrlq mm0, mm1 */
    ck_assert_uint_eq(mm(0), 0);
    load_mm(0, 0x80000000FFFFFFF0ull);
    load_mm(1, 4);
    ck_assert_int_eq(RUN(0x0F, 0xE2, 0xC1), -1); /* psrad mm0, mm1 */
    ck_assert_uint_eq(mm(0), 0xF8000000FFFFFFFFull);
    /* The shift groups have no memory form. */
    ck_assert_int_eq(RUN(0x0F, 0x71, 0x10, 1), EXC_UD);
    /* Unpacks. */
    load_mm(2, 0x0706050403020100ull);
    load_mm(3, 0x1716151413121110ull);
    ck_assert_int_eq(RUN(0x0F, 0x60, 0xD3), -1);
    ck_assert_uint_eq(mm(2), 0x1303120211011000ull);
    load_mm(2, 0x0706050403020100ull);
    ck_assert_int_eq(RUN(0x0F, 0x69, 0xD3), -1);
    ck_assert_uint_eq(mm(2), 0x1716070615140504ull);
    load_mm(2, 0x0706050403020100ull);
    ck_assert_int_eq(RUN(0x0F, 0x62, 0xD3), -1);
    ck_assert_uint_eq(mm(2), 0x1312111003020100ull);
    /* PUNPCKLBW reads 32 bits of memory: at offset FFFC of a 64 KiB
     * segment it fits; MOVQ there (8 bytes) is #GP. */
    cpu->regs[R_EBX] = 0xFFFC;
    ck_assert_int_eq(RUN(0x0F, 0x60, 0x17), -1);
    ck_assert_int_eq(RUN(0x0F, 0x6F, 0x17), EXC_GP);
    /* Compares. */
    load_mm(4, 0x00FF7F80000000FFull);
    load_mm(5, 0x00FF80800100007Full);
    ck_assert_int_eq(RUN(0x0F, 0x74, 0xE5), -1);
    ck_assert_uint_eq(mm(4), 0xFFFF00FF00FFFF00ull);
    load_mm(4, 0x00FF7F80000000FFull);
    ck_assert_int_eq(RUN(0x0F, 0x64, 0xE5), -1);
    ck_assert_uint_eq(mm(4), 0x0000FF0000000000ull);
    /* MOVQ to memory and PXOR/PANDN. */
    load_mm(5, 0x1122334455667788ull);
    ck_assert_int_eq(RUN(0x0F, 0x7F, 0x2E, 0x00, 0x22), -1);
    ck_assert_uint_eq(rd64(MEM + 0x200), 0x1122334455667788ull);
    load_mm(6, 0xFF00FF00FF00FF00ull);
    ck_assert_int_eq(RUN(0x0F, 0xDF, 0xF5), -1);
    ck_assert_uint_eq(mm(6), 0x0022004400660088ull);
}
END_TEST

START_TEST(test_exceptions)
{
    ck_assert_int_eq(RUN(0xDB, 0xE3), -1);
    cpu->cr[0] |= CR0_EM;
    ck_assert_int_eq(RUN(0x0F, 0xEF, 0xC0), EXC_UD); /* pxor */
    ck_assert_int_eq(RUN(0x0F, 0x77), EXC_UD);       /* emms */
    cpu->cr[0] &= ~CR0_EM;
    cpu->cr[0] |= CR0_TS;
    ck_assert_int_eq(RUN(0x0F, 0xEF, 0xC0), EXC_NM);
    ck_assert_int_eq(RUN(0x0F, 0x77), EXC_NM);
    cpu->cr[0] &= ~CR0_TS;
    /* A pending x87 exception: #MF before the MMX instruction runs. */
    cpu->cr[0] |= CR0_NE;
    ram[MEM] = 0x7B;
    ram[MEM + 1] = 0x03;
    ck_assert_int_eq(RUN(0xD9, 0x2E, 0x00, 0x20, 0xD9, 0xE8, 0xD9, 0xEE, 0xDE, 0xF9), -1);
    uint8_t top = cpu->fpu.top;
    ck_assert_int_eq(RUN(0x0F, 0xEF, 0xC0), EXC_MF);
    ck_assert_uint_eq(cpu->fpu.top, top); /* nothing changed */
    ck_assert_int_eq(RUN(0xDB, 0xE2, 0x0F, 0xEF, 0xC0), -1);
    cpu->cr[0] &= ~CR0_NE;
    /* SSE and SSE2 opcodes in the MMX space: #UD on a Pentium II. */
    static const uint8_t sse[][4] = {
        {0x0F, 0x70, 0xC1, 0x00}, /* pshufw */
        {0x0F, 0xD7, 0xC1, 0x90}, /* pmovmskb */
        {0x0F, 0xE0, 0xC1, 0x90}, /* pavgb */
        {0x0F, 0xD4, 0xC1, 0x90}, /* paddq */
        {0x0F, 0xE7, 0x07, 0x90}, /* movntq */
        {0x0F, 0xF4, 0xC1, 0x90}, /* pmuludq */
        {0x0F, 0x6C, 0xC1, 0x90}, /* punpcklqdq (66 only) */
    };
    for (unsigned i = 0; i < sizeof sse / sizeof sse[0]; i++)
        ck_assert_int_eq(run_code(sse[i], 4), EXC_UD);
    /* LOCK: #UD. */
    ck_assert_int_eq(RUN(0xF0, 0x0F, 0xFC, 0x07), EXC_UD);
}
END_TEST

/* ================================================================== */
/* the host as the oracle                                              */

#if defined(__x86_64__)

typedef struct Img {
    uint8_t b[108];
} Img;

static uint16_t img16(const Img *m, unsigned off)
{
    return (uint16_t)(m->b[off] | m->b[off + 1] << 8);
}
static void img_put16(Img *m, unsigned off, uint32_t v)
{
    m->b[off] = (uint8_t)v;
    m->b[off + 1] = (uint8_t)(v >> 8);
}

static void rnd_state(Img *m)
{
    memset(m->b, 0, sizeof m->b);
    img_put16(m, 0, 0x037F);
    img_put16(m, 2, 0xFFFF);
    img_put16(m, 4, (rnd() & (FSW_CC | FSW_TOP)));
    img_put16(m, 6, 0xFFFF);
    uint16_t tw = 0;
    for (unsigned p = 0; p < 8; p++)
        if (rnd() % 3 == 0) tw |= (uint16_t)(3u << (2 * p));
    img_put16(m, 8, tw);
    img_put16(m, 10, 0xFFFF);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t v = rnd64();
        switch (rnd() % 6) {
        case 0: v = 0; break;
        case 1: v = ~0ull; break;
        case 2: v &= 0x8080808080808080ull; break;
        case 3: v = 0x7FFF80007F80807Full ^ (v & 0x0101010101010101ull); break;
        default: break;
        }
        uint16_t se = (uint16_t)(rnd() % 3 ? 0xFFFF : rnd());
        memcpy(m->b + 28 + 10 * i, &v, 8);
        memcpy(m->b + 28 + 10 * i + 8, &se, 2);
    }
}

typedef void (*HostFn)(void *mem, void *img, uint64_t *flags, uint64_t *rax);
static uint8_t *host_page;

static HostFn host_build(const uint8_t *insn, unsigned n)
{
    static const uint8_t pre[] = {0x48, 0x8B, 0x01, 0xFF, 0x32, 0x9D, 0xDD, 0x26};
    static const uint8_t post[] = {0xDD, 0x36, 0x9C, 0x8F, 0x02, 0x48, 0x89, 0x01, 0xC3};
    ck_assert_int_eq(mprotect(host_page, 4096, PROT_READ | PROT_WRITE), 0);
    uint8_t *p = host_page;
    memcpy(p, pre, sizeof pre);
    p += sizeof pre;
    memcpy(p, insn, n);
    p += n;
    memcpy(p, post, sizeof post);
    ck_assert_int_eq(mprotect(host_page, 4096, PROT_READ | PROT_EXEC), 0);
    HostFn fn;
    void *vp = host_page;
    memcpy(&fn, &vp, sizeof fn);
    return fn;
}

typedef struct Result {
    Img img;
    uint8_t mem[16];
    uint32_t eax;
} Result;

static void host_run(const uint8_t *insn, unsigned n, const Img *in, const uint8_t *mem,
                     uint32_t eax, Result *r)
{
    HostFn fn = host_build(insn, n);
    static uint8_t hmem[32];
    memcpy(hmem, mem, 16);
    r->img = *in;
    uint64_t fl = 0x2, ax = eax;
    fn(hmem, r->img.b, &fl, &ax);
    /* Only the opcode of the pointer fields is compared. */
    uint16_t fop = (uint16_t)(img16(&r->img, 18) & 0x7FF);
    memset(r->img.b + 12, 0, 16);
    img_put16(&r->img, 18, fop);
    memcpy(r->mem, hmem, 16);
    r->eax = (uint32_t)ax;
}

static void brisk_run(const uint8_t *insn, unsigned n, const Img *in, const uint8_t *mem,
                      uint32_t eax, Result *r)
{
    X87State *f = &cpu->fpu;
    uint16_t sw = img16(in, 4);
    unsigned top = (sw >> 11) & 7;
    for (unsigned i = 0; i < 8; i++) {
        Fx80 v;
        memcpy(&v.mant, in->b + 28 + 10 * i, 8);
        memcpy(&v.se, in->b + 28 + 10 * i + 8, 2);
        f->st[(top + i) & 7] = v;
    }
    fpu_load_control_word(f, img16(in, 0));
    fpu_load_status_word(f, sw);
    fpu_load_tag_word(f, img16(in, 8));
    f->fop = 0;
    memcpy(ram + MEM, mem, 16);
    cpu->regs[R_EBX] = MEM;
    cpu->regs[R_EAX] = eax;
    uint8_t code[20];
    memcpy(code, insn, n); /* MOVD's register operand is EAX in 16-bit code too */
    static const uint8_t save[] = {0x66, 0xDD, 0x36, (uint8_t)SAVE, (uint8_t)(SAVE >> 8)};
    memcpy(code + n, save, sizeof save);
    ck_assert_int_eq(run_code(code, n + (unsigned)sizeof save), -1);
    memcpy(r->img.b, ram + SAVE, 108);
    uint16_t fop = (uint16_t)(img16(&r->img, 16) & 0x7FF);
    memset(r->img.b + 12, 0, 16);
    img_put16(&r->img, 18, fop);
    memcpy(r->mem, ram + MEM, 16);
    r->eax = cpu->regs[R_EAX];
}

/* The Pentium II's MMX opcodes (0F xx). */
static const uint8_t mmx_ops[] = {
    0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6E, 0x6F,
    0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x7E, 0x7F, 0xD1, 0xD2, 0xD3, 0xD5, 0xD8,
    0xD9, 0xDB, 0xDC, 0xDD, 0xDF, 0xE1, 0xE2, 0xE5, 0xE8, 0xE9, 0xEB, 0xEC, 0xED, 0xEF,
    0xF1, 0xF2, 0xF3, 0xF5, 0xF8, 0xF9, 0xFA, 0xFC, 0xFD, 0xFE,
};

#define ORACLE_CASES 30000

START_TEST(test_mmx_vs_host)
{
    host_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(host_page, MAP_FAILED);
    unsigned fails = 0;
    for (int it = 0; it < ORACLE_CASES; it++) {
        uint8_t insn[4];
        unsigned n = 3;
        uint8_t op = mmx_ops[rnd() % sizeof mmx_ops];
        insn[0] = 0x0F;
        insn[1] = op;
        unsigned reg = rnd() % 8;
        if (op >= 0x71 && op <= 0x73) {
            static const uint8_t regs71[] = {2, 4, 6}, regs73[] = {2, 6};
            reg = op == 0x73 ? regs73[rnd() % 2] : regs71[rnd() % 3];
            insn[2] = (uint8_t)(0xC0 | reg << 3 | rnd() % 8);
            insn[3] = (uint8_t)(rnd() % 4 ? rnd() % 70 : rnd());
            n = 4;
        } else if (op == 0x77) {
            n = 2;
        } else if (rnd() % 2) {
            insn[2] = (uint8_t)(reg << 3 | 7); /* [bx] / [rdi] */
        } else if (op == 0x6E || op == 0x7E) {
            insn[2] = (uint8_t)(0xC0 | reg << 3); /* EAX */
        } else {
            insn[2] = (uint8_t)(0xC0 | reg << 3 | rnd() % 8);
        }
        Img in;
        rnd_state(&in);
        uint8_t mem[16];
        for (int i = 0; i < 16; i++) mem[i] = (uint8_t)rnd();
        uint32_t eax = rnd();
        Result b, h;
        host_run(insn, n, &in, mem, eax, &h);
        brisk_run(insn, n, &in, mem, eax, &b);
        bool same = memcmp(b.img.b, h.img.b, 108) == 0 && memcmp(b.mem, h.mem, 16) == 0 &&
                    b.eax == h.eax;
        if (!same) {
            if (fails++ < 8) {
                char text[96];
                disasm_one(insn, n, 0, 0, text, sizeof text);
                printf("  %s [%02x %02x %02x %02x]: sw %04x/%04x tw %04x/%04x eax %08x/%08x\n",
                       text, insn[0], insn[1], insn[2], insn[3], img16(&b.img, 4),
                       img16(&h.img, 4), img16(&b.img, 8), img16(&h.img, 8), b.eax, h.eax);
                for (unsigned i = 0; i < 8; i++)
                    if (memcmp(b.img.b + 28 + 10 * i, h.img.b + 28 + 10 * i, 10))
                        printf("    st%u differs\n", i);
            }
        }
    }
    printf("MMX vs host: %d cases, %u failures\n", ORACLE_CASES, fails);
    fflush(stdout);
    munmap(host_page, 4096);
    ck_assert_msg(fails == 0, "%u of %d random MMX instructions differ from the host", fails,
                  ORACLE_CASES);
}
END_TEST

#endif /* __x86_64__ */

static Suite *mmx_suite(void)
{
    Suite *s = suite_create("mmx");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_aliasing);
    tcase_add_test(tc, test_arithmetic_corners);
    tcase_add_test(tc, test_shifts_and_unpacks);
    tcase_add_test(tc, test_exceptions);
#if defined(__x86_64__)
    tcase_add_test(tc, test_mmx_vs_host);
#endif
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mmx_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
