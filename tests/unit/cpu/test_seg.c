/*
 * test_seg.c - protected-mode segmentation (cpu/seg.c) and the CPL rule of
 * cpu_update_mode (cpu/cpu.c), without the execution loop.
 *
 * SDM Vol. 3 3.4-3.5 (descriptor formats, the accessed bit), 5.3 (limits,
 * expand-down segments), 5.5-5.8 (type and privilege checks, the stack of
 * an inter-privilege call), 7.2.1 (SSn:ESPn in 32-bit and 16-bit TSSs);
 * Vol. 2 MOV/POP (the error codes of segment loads) and RET (nulling data
 * registers on a return to an outer level).
 *
 * A Cpu on a Bus with 1 MiB of RAM in protected mode (cr[0] written
 * directly); descriptors are written into a GDT and an LDT with bus_write.
 * Each operation that may fault runs inside a sigsetjmp frame of the
 * test's own, so a fault comes back as its vector and error code.
 */
#include <check.h>
#include <setjmp.h>
#include <stdlib.h>

#include "cpu/mem.h"
#include "cpu/seg.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"

#define RAM_SIZE (1u << 20)
#define GDT 0x1000u
#define LDT 0x2000u
#define TSS 0x3000u
#define STK 0x40000u

static Bus *bus;
static Clock clk;
static Cpu *cpu;
static sigjmp_buf jb;

/* Descriptor words from base, limit (20 bits), access byte, flags nibble. */
static void put_desc(uint32_t table, uint16_t sel, uint32_t base, uint32_t limit, uint8_t access,
                     uint8_t flags)
{
    uint32_t at = table + (sel & 0xFFF8u);
    uint32_t lo = (base << 16) | (limit & 0xFFFF);
    uint32_t hi = (base & 0xFF000000u) | ((uint32_t)(flags & 0xF) << 20) | (limit & 0xF0000u) |
                  ((uint32_t)access << 8) | ((base >> 16) & 0xFF);
    bus_write(bus, at, lo, 4);
    bus_write(bus, at + 4, hi, 4);
}

/* Runs op; returns -1 if it completed, else the vector (error code in
 * last_err). */
static uint32_t last_err;
#define TRY(op)                                                                                    \
    ({                                                                                             \
        volatile int r_ = -1;                                                                      \
        cpu->jmp = &jb;                                                                            \
        if (sigsetjmp(jb, 0) == 0) {                                                               \
            op;                                                                                    \
        } else {                                                                                   \
            r_ = cpu->exc_vector;                                                                  \
            last_err = cpu->exc_error;                                                             \
        }                                                                                          \
        cpu->jmp = NULL;                                                                           \
        r_;                                                                                        \
    })

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    ck_assert_ptr_nonnull(bus_add_ram(bus, 0, RAM_SIZE, "ram"));
    clock_init(&clk, 1000000000ull);
    cpu = cpu_new(bus, &clk);
    ck_assert_ptr_nonnull(cpu);
    cpu->cr[0] |= CR0_PE;
    cpu->gdtr.base = GDT;
    cpu->gdtr.limit = 0xFF;
    /* 08: code DPL 0, 10: data DPL 0 (4 GiB), 18: data DPL 3, 20: read-only
     * data, 28: exec-only code, 30: data not present, 38: conforming code
     * DPL 0, 40: 32-bit TSS (busy), 48: LDT, 50: code DPL 3, 58: data DPL 1 */
    put_desc(GDT, 0x08, 0, 0xFFFFF, 0x9A, 0xC);
    put_desc(GDT, 0x10, 0, 0xFFFFF, 0x92, 0xC);
    put_desc(GDT, 0x18, 0x1234, 0xFFFF, 0xF2, 0x4);
    put_desc(GDT, 0x20, 0, 0xFFFF, 0x90, 0x0);
    put_desc(GDT, 0x28, 0, 0xFFFF, 0x98, 0x4);
    put_desc(GDT, 0x30, 0, 0xFFFF, 0x12, 0x0);
    put_desc(GDT, 0x38, 0, 0xFFFF, 0x9E, 0x4);
    put_desc(GDT, 0x40, TSS, 0x67, 0x8B, 0x0);
    put_desc(GDT, 0x48, LDT, 0x0F, 0x82, 0x0);
    put_desc(GDT, 0x50, 0, 0xFFFF, 0xFA, 0x4);
    put_desc(GDT, 0x58, 0, 0xFFFF, 0xB2, 0x4);
    put_desc(LDT, 0x04, 0x5000, 0xFFF, 0x92, 0x0);
    cpu->ldtr.attr = 0; /* no LDT until a test loads one */
    cpu->seg[S_SS].attr = SEG_P | SEG_S | SEG_RW | SEG_A | SEG_DB;
    cpu->seg[S_SS].limit = 0xFFFFFFFFu;
    cpu->seg[S_SS].sel = 0x10;
    cpu_update_mode(cpu);
}

static void teardown(void)
{
    cpu_free(cpu);
    bus_free(bus);
}

START_TEST(test_desc_fields)
{
    SegDesc d = {.lo = 0x5678FFFFu, .hi = 0x12CF9A34u};
    ck_assert_uint_eq(seg_desc_base(&d), 0x12345678u);
    ck_assert_uint_eq(seg_desc_limit(&d), 0xFFFFFFFFu);
    ck_assert_uint_eq(seg_desc_attr(&d), 0xC09A);
    ck_assert(seg_desc_is_code(&d));
    ck_assert(seg_desc_readable(&d));
    ck_assert(!seg_desc_conforming(&d));
    d.hi &= ~(1u << 23); /* G = 0: byte granular */
    ck_assert_uint_eq(seg_desc_limit(&d), 0xFFFFFu);
    SegDesc gate = {.lo = 0x00085678u, .hi = 0x1234EC03u};
    ck_assert_uint_eq(seg_gate_sel(&gate), 0x0008);
    ck_assert_uint_eq(seg_gate_offset(&gate), 0x12345678u);
    ck_assert_uint_eq(seg_gate_params(&gate), 3);
    ck_assert_uint_eq(seg_gate_size(&gate), 4);
    ck_assert_uint_eq(seg_desc_dpl(&gate), 3);
    gate.hi = 0x1234E403u; /* 16-bit call gate: offset bits 16-31 ignored */
    ck_assert_uint_eq(seg_gate_offset(&gate), 0x5678u);
    ck_assert_uint_eq(seg_gate_size(&gate), 2);
}
END_TEST

START_TEST(test_data_loads)
{
        ck_assert_int_eq(TRY(seg_load_checked(cpu, S_DS, 0x0003, 0, EXC_GP)), -1);
    ck_assert_uint_eq(cpu->seg[S_DS].sel, 3);
    ck_assert_uint_eq(cpu->seg[S_DS].attr & SEG_P, 0);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_DS, 0x0100, 0, EXC_GP)), EXC_GP);
    ck_assert_uint_eq(last_err, 0x0100);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_DS, 0x0043, 0, EXC_GP)), EXC_GP);
    ck_assert_uint_eq(last_err, 0x0040);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_ES, 0x0028, 0, EXC_GP)), EXC_GP);
    ck_assert_uint_eq(last_err, 0x0028);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_ES, 0x0030, 0, EXC_GP)), EXC_NP);
    ck_assert_uint_eq(last_err, 0x0030);
    /* DPL 1 data: RPL 2 or CPL 2 too weak; RPL 1 at CPL 1 fine. */
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_FS, 0x005A, 0, EXC_GP)), EXC_GP);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_FS, 0x0059, 2, EXC_GP)), EXC_GP);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_FS, 0x0059, 1, EXC_GP)), -1);
    /* Conforming code: readable from any level. */
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_GS, 0x003B, 3, EXC_GP)), -1);
    /* Task-switch rules raise #TS for the same cases. */
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_DS, 0x0028, 0, EXC_TS)), EXC_TS);
    ck_assert_uint_eq(last_err, 0x0028);
    /* Base, limit, attributes and the accessed bit. */
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_DS, 0x001B, 3, EXC_GP)), -1);
    ck_assert_uint_eq(cpu->seg[S_DS].base, 0x1234);
    ck_assert_uint_eq(cpu->seg[S_DS].limit, 0xFFFF);
    ck_assert_uint_eq(cpu->seg[S_DS].attr, 0x40F3);
    ck_assert_uint_eq(bus_read(bus, GDT + 0x18 + 5, 1), 0xF3);
}
END_TEST

START_TEST(test_ss_and_cs_loads)
{
        ck_assert_int_eq(TRY(seg_load_checked(cpu, S_SS, 0x0000, 0, EXC_GP)), EXC_GP);
    ck_assert_uint_eq(last_err, 0);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_SS, 0x0020, 0, EXC_GP)), EXC_GP);
    ck_assert_uint_eq(last_err, 0x0020);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_SS, 0x0011, 0, EXC_GP)), EXC_GP);
    ck_assert_uint_eq(last_err, 0x0010);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_SS, 0x001B, 0, EXC_GP)), EXC_GP);
    ck_assert_uint_eq(last_err, 0x0018);
    put_desc(GDT, 0x60, 0, 0xFFFF, 0x12, 0x0); /* writable, not present */
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_SS, 0x0060, 0, EXC_GP)), EXC_SS);
    ck_assert_uint_eq(last_err, 0x0060);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_SS, 0x001B, 3, EXC_GP)), -1);
    /* CS (task switch): non-conforming DPL = CPL, conforming DPL <= CPL. */
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_CS, 0x0053, 0, EXC_TS)), EXC_TS);
    ck_assert_uint_eq(last_err, 0x0050);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_CS, 0x0053, 3, EXC_TS)), -1);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_CS, 0x003B, 3, EXC_TS)), -1);
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_CS, 0x0010, 0, EXC_TS)), EXC_TS);
}
END_TEST

START_TEST(test_ldt)
{
        SegDesc d;
    ck_assert(!seg_read_desc(cpu, 0x0004, &d));
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_ES, 0x0004, 0, EXC_GP)), EXC_GP);
    ck_assert_uint_eq(last_err, 0x0004);
    cpu->ldtr.sel = 0x48;
    cpu->ldtr.base = LDT;
    cpu->ldtr.limit = 0x0F;
    cpu->ldtr.attr = SEG_P | 0x2;
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_ES, 0x0004, 0, EXC_GP)), -1);
    ck_assert_uint_eq(cpu->seg[S_ES].base, 0x5000);
    ck_assert_uint_eq(bus_read(bus, LDT + 5, 1), 0x93);
    /* Index 2 (offset 16) is beyond the LDT limit of 15. */
    ck_assert_int_eq(TRY(seg_load_checked(cpu, S_ES, 0x0014, 0, EXC_GP)), EXC_GP);
    ck_assert_uint_eq(last_err, 0x0014);
}
END_TEST

START_TEST(test_null_outer)
{
    cpu->seg[S_ES].attr = 0x93;                            /* data DPL 0 */
    cpu->seg[S_ES].sel = 0x10;
    cpu->seg[S_DS].attr = 0xF3;                            /* data DPL 3 */
    cpu->seg[S_DS].sel = 0x1B;
    cpu->seg[S_FS].attr = 0x9F;                            /* conforming code DPL 0 */
    cpu->seg[S_FS].sel = 0x38;
    cpu->seg[S_GS].attr = 0x9B;                            /* code DPL 0 */
    cpu->seg[S_GS].sel = 0x08;
    seg_null_outer(cpu, 3);
    ck_assert_uint_eq(cpu->seg[S_ES].sel, 0);
    ck_assert_uint_eq(cpu->seg[S_ES].attr, 0);
    ck_assert_uint_eq(cpu->seg[S_DS].sel, 0x1B);
    ck_assert_uint_eq(cpu->seg[S_FS].sel, 0x38);
    ck_assert_uint_eq(cpu->seg[S_GS].sel, 0);
}
END_TEST

START_TEST(test_stacks)
{
        SegStack st = {.err = 0x77, .cpl = 0};
    /* 16-bit expand-up stack, limit FFFh: SP wraps, ESP's upper half stays. */
    st.ss.base = STK;
    st.ss.limit = 0xFFF;
    st.ss.attr = SEG_P | SEG_S | SEG_RW;
    st.sp = 0xABCD0004u;
    ck_assert_int_eq(TRY(seg_stack_push(cpu, &st, 0x11223344u, 4)), -1);
    ck_assert_uint_eq(st.sp, 0xABCD0000u);
    ck_assert_uint_eq(bus_read(bus, STK, 4), 0x11223344u);
    ck_assert_int_eq(TRY(seg_stack_push(cpu, &st, 1, 2)), EXC_SS); /* SP FFFEh > limit */
    ck_assert_uint_eq(last_err, 0x77);
    ck_assert_uint_eq(st.sp, 0xABCD0000u);
    ck_assert_int_eq(TRY(seg_stack_pop(cpu, &st, 4)), -1);
    ck_assert_uint_eq(st.sp, 0xABCD0004u);
    /* 32-bit expand-down, limit FFFh: 1000h..FFFFFFFFh valid. */
    st.ss.attr = SEG_P | SEG_S | SEG_RW | SEG_DC | SEG_DB;
    st.sp = 0x1004;
    ck_assert_int_eq(TRY(seg_stack_push(cpu, &st, 2, 4)), -1);
    ck_assert_int_eq(TRY(seg_stack_push(cpu, &st, 3, 4)), EXC_SS);
    ck_assert_uint_eq(st.sp, 0x1000);
    ck_assert_uint_eq(seg_stack_sp_add(&st, -8), 0x0FF8);
    /* 16-bit expand-down: the top is FFFFh. */
    st.ss.attr = SEG_P | SEG_S | SEG_RW | SEG_DC;
    st.sp = 0x0000;
    ck_assert_int_eq(TRY(seg_stack_push(cpu, &st, 4, 2)), -1);
    ck_assert_uint_eq(st.sp & 0xFFFF, 0xFFFE);
    ck_assert_int_eq(TRY(seg_stack_peek(cpu, &st, 1, 2)), EXC_SS); /* FFFFh + 1 byte */
}
END_TEST

START_TEST(test_tss_stacks)
{
        uint16_t ss = 0;
    uint32_t esp = 0;
    cpu->tr.sel = 0x40;
    cpu->tr.base = TSS;
    cpu->tr.limit = 0x67;
    cpu->tr.attr = SEG_P | 0xB;
    bus_write(bus, TSS + 4, 0x8000, 4);  /* ESP0 */
    bus_write(bus, TSS + 8, 0x10, 2);    /* SS0 */
    bus_write(bus, TSS + 20, 0x9000, 4); /* ESP2 */
    bus_write(bus, TSS + 24, 0x32, 2);   /* SS2 */
    ck_assert_int_eq(TRY(seg_tss_stack(cpu, 2, &ss, &esp, 0)), -1);
    ck_assert_uint_eq(ss, 0x32);
    ck_assert_uint_eq(esp, 0x9000);
    cpu->tr.limit = 0x1A; /* ESP2/SS2 (offsets 14h-1Bh) cut off */
    ck_assert_int_eq(TRY(seg_tss_stack(cpu, 2, &ss, &esp, 1)), EXC_TS);
    ck_assert_uint_eq(last_err, 0x41);
    /* 16-bit TSS: SP1 at 6, SS1 at 8. */
    cpu->tr.attr = SEG_P | 0x3;
    cpu->tr.limit = 0x2B;
    bus_write(bus, TSS + 6, 0x7000, 2);
    bus_write(bus, TSS + 8, 0x59, 2);
    ck_assert_int_eq(TRY(seg_tss_stack(cpu, 1, &ss, &esp, 0)), -1);
    ck_assert_uint_eq(ss, 0x59);
    ck_assert_uint_eq(esp, 0x7000);

    /* The inner stack's SS checks: SS0 = 10h is right for ring 0. */
    SegStack st;
    SegDesc d;
    cpu->tr.attr = SEG_P | 0xB;
    cpu->tr.limit = 0x67;
    bus_write(bus, TSS + 4, 0x8000, 4); /* ESP0 and SS0 again: the 16-bit TSS */
    bus_write(bus, TSS + 8, 0x10, 2);   /* fields above overlapped them */
    ck_assert_int_eq(TRY(seg_inner_stack(cpu, 0, &st, &ss, &d, 0)), -1);
    ck_assert_uint_eq(st.sp, 0x8000);
    ck_assert_uint_eq(st.err, 0x10);
    /* SS2 = 32h names a DPL 0 segment with RPL 2: #TS(30h | EXT). */
    ck_assert_int_eq(TRY(seg_inner_stack(cpu, 2, &st, &ss, &d, 1)), EXC_TS);
    ck_assert_uint_eq(last_err, 0x31);
    bus_write(bus, TSS + 24, 0, 2); /* a null SS2: #TS(EXT) */
    ck_assert_int_eq(TRY(seg_inner_stack(cpu, 2, &st, &ss, &d, 1)), EXC_TS);
    ck_assert_uint_eq(last_err, 1);
}
END_TEST

START_TEST(test_cpl)
{
    /* CPL follows SS.DPL in protected mode, whatever CS.RPL says. */
    cpu->seg[S_CS].sel = 0xEFFF;
    cpu_update_mode(cpu);
    ck_assert_uint_eq(cpu->cpl, 0);
    cpu->seg[S_SS].attr = 0x40F3;
    cpu_update_mode(cpu);
    ck_assert_uint_eq(cpu->cpl, 3);
    ck_assert(cpu->stack32);
    /* An unusable SS (mid task switch): CS.RPL. */
    cpu->seg[S_SS].attr = 0;
    cpu->seg[S_CS].sel = 0x0052;
    cpu_update_mode(cpu);
    ck_assert_uint_eq(cpu->cpl, 2);
    cpu->eflags |= F_VM;
    cpu_update_mode(cpu);
    ck_assert_uint_eq(cpu->cpl, 3);
    cpu->eflags &= ~F_VM;
    cpu->cr[0] &= ~CR0_PE;
    cpu_update_mode(cpu);
    ck_assert_uint_eq(cpu->cpl, 0);
}
END_TEST

static Suite *seg_suite(void)
{
    Suite *s = suite_create("seg");
    TCase *tc = tcase_create("seg");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_desc_fields);
    tcase_add_test(tc, test_data_loads);
    tcase_add_test(tc, test_ss_and_cs_loads);
    tcase_add_test(tc, test_ldt);
    tcase_add_test(tc, test_null_outer);
    tcase_add_test(tc, test_stacks);
    tcase_add_test(tc, test_tss_stacks);
    tcase_add_test(tc, test_cpl);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(seg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
