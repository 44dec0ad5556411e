/*
 * test_logging.c - the `-d in_asm,int,exec` diagnostics of the execution
 * loop (translator/exec.c, cpu/cpu.c) written through the log
 * (devices/core/log.c) to a `-D` file.
 *
 * A real-mode program runs on a hand-built machine core (Bus, Clock, Cpu,
 * Translator) with the log going to a temporary file: `-d in_asm` must
 * show each decoded block under an "IN:" header with capstone's
 * disassembly of every instruction, `-d exec` a "Trace:" line per block
 * run, `-d int` the software interrupt (INT3 through an IVT entry) and the
 * #UD exception of a UD2. The log's item parser and the mask are checked
 * too. The mask is process-wide state: each test puts it back to 0 and
 * closes the file.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/log.h"
#include "translator/exec.h"

#define CODE_SEG  0x1000u
#define CODE_BASE (CODE_SEG << 4)

static Bus *bus;
static Clock clk;
static Cpu *cpu;
static Translator *tb;
static uint8_t *ram;
static char log_path[64];

static void set_vector(int vec, uint16_t seg, uint16_t off)
{
    ram[vec * 4 + 0] = (uint8_t)off;
    ram[vec * 4 + 1] = (uint8_t)(off >> 8);
    ram[vec * 4 + 2] = (uint8_t)seg;
    ram[vec * 4 + 3] = (uint8_t)(seg >> 8);
}

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    ram = bus_add_ram(bus, 0, 1u << 20, "ram");
    ck_assert_ptr_nonnull(ram);
    clock_init(&clk, 1000000000ull);
    cpu = cpu_new(bus, &clk);
    ck_assert_ptr_nonnull(cpu);
    tb = tb_new(cpu);
    ck_assert_ptr_nonnull(tb);
    cpu_load_seg(cpu, S_CS, CODE_SEG);
    cpu_load_seg(cpu, S_SS, 0);
    cpu->regs[R_ESP] = 0x8000;
    strcpy(log_path, "/tmp/brisk_test_logXXXXXX");
    int fd = mkstemp(log_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
}

static void teardown(void)
{
    log_set_mask(0);
    log_close();
    unlink(log_path);
    tb_free(tb);
    cpu_free(cpu);
    bus_free(bus);
}

/* The whole log file as a string (caller frees). */
static char *read_log(void)
{
    FILE *f = fopen(log_path, "r");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return strdup(buf);
}

static void expect(const char *log, const char *needle)
{
    ck_assert_msg(strstr(log, needle) != NULL, "the log lacks \"%s\"; it reads:\n%s", needle, log);
}

static unsigned count(const char *log, const char *needle)
{
    unsigned n = 0;
    for (const char *p = log; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

START_TEST(test_in_asm_int_exec)
{
    static const uint8_t prog[] = {
        0xB8, 0x34, 0x12, /* 0000: mov ax, 0x1234 */
        0xCC,             /* 0003: int3 -> 0x0100 */
        0x0F, 0x0B,       /* 0004: ud2 -> #UD -> 0x0200 */
    };
    static const uint8_t bp_handler[] = {0x43, 0xCF};             /* inc bx; iret */
    static const uint8_t ud_handler[] = {0xBA, 0x66, 0x00, 0xF4}; /* mov dx, 0x66; hlt */
    memcpy(ram + CODE_BASE, prog, sizeof prog);
    memcpy(ram + CODE_BASE + 0x100, bp_handler, sizeof bp_handler);
    memcpy(ram + CODE_BASE + 0x200, ud_handler, sizeof ud_handler);
    set_vector(EXC_BP, CODE_SEG, 0x0100);
    set_vector(EXC_UD, CODE_SEG, 0x0200);

    ck_assert(log_set_file(log_path));
    log_set_mask(LOG_IN_ASM | LOG_INT | LOG_EXEC);
    ck_assert(log_enabled(LOG_IN_ASM));
    ck_assert(!log_enabled(LOG_CPU));
    cpu->eip = 0;
    clk.stop_insns = 1000;
    ck_assert_int_eq(tb_exec(tb), CPU_EXIT_HALT);
    log_set_mask(0);
    log_close();

    /* The program did what the log is about to tell. */
    ck_assert_uint_eq(cpu->regs[R_EAX] & 0xFFFF, 0x1234);
    ck_assert_uint_eq(cpu->regs[R_EBX] & 0xFFFF, 1);
    ck_assert_uint_eq(cpu->regs[R_EDX] & 0xFFFF, 0x66);

    char *log = read_log();
    /* in_asm: block headers and capstone's disassembly. */
    expect(log, "IN: 1000:00000000");
    expect(log, "IN: 1000:00000100");
    expect(log, "IN: 1000:00000200");
    expect(log, "00000000  mov ax, 0x1234");
    expect(log, "00000003  int3");
    expect(log, "00000004  ud2");
    expect(log, "00000100  inc bx");
    expect(log, "iret");
    expect(log, "00000200  mov dx, 0x66");
    expect(log, "hlt");
    /* exec: one Trace line per block run. */
    expect(log, "Trace: 1000:00000000");
    expect(log, "Trace: 1000:00000100");
    expect(log, "Trace: 1000:00000004");
    expect(log, "Trace: 1000:00000200");
    /* int: the software interrupt and the exception. */
    expect(log, "INT 03 -> 1000:0100");
    expect(log, "exception 6");
    /* Each block is decoded (and shown) once. */
    ck_assert_uint_eq(count(log, "IN: "), (unsigned)tb_stats(tb)->blocks_decoded);
    ck_assert_uint_eq(count(log, "00000003  int3"), 1);
    free(log);
}
END_TEST

/* With the mask at 0 nothing is written. */
START_TEST(test_mask_off)
{
    static const uint8_t prog[] = {0xB8, 0x34, 0x12, 0xF4};
    memcpy(ram + CODE_BASE, prog, sizeof prog);
    ck_assert(log_set_file(log_path));
    log_set_mask(0);
    cpu->eip = 0;
    clk.stop_insns = 1000;
    ck_assert_int_eq(tb_exec(tb), CPU_EXIT_HALT);
    log_close();
    char *log = read_log();
    ck_assert_str_eq(log, "");
    free(log);
}
END_TEST

START_TEST(test_parse_items)
{
    uint32_t mask = 0;
    const char *bad = NULL;
    ck_assert(log_parse_items("in_asm,int,exec", &mask, &bad));
    ck_assert_uint_eq(mask, LOG_IN_ASM | LOG_INT | LOG_EXEC);
    ck_assert(log_parse_items("cpu", &mask, &bad));
    ck_assert_uint_eq(mask, LOG_CPU);
    ck_assert(log_parse_items("all", &mask, &bad));
    ck_assert_uint_eq(mask & (LOG_IN_ASM | LOG_EXEC | LOG_INT | LOG_CPU | LOG_UNIMP),
                      LOG_IN_ASM | LOG_EXEC | LOG_INT | LOG_CPU | LOG_UNIMP);
    mask = 0x55;
    ck_assert(!log_parse_items("in_asm,bogus", &mask, &bad));
    ck_assert_str_eq(bad, "bogus");
    ck_assert_uint_eq(mask, 0x55); /* untouched on error */
    ck_assert(strstr(log_items_help(), "in_asm") != NULL);
}
END_TEST

static Suite *logging_suite(void)
{
    Suite *s = suite_create("logging");
    TCase *tc = tcase_create("log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_in_asm_int_exec);
    tcase_add_test(tc, test_mask_off);
    tcase_add_test(tc, test_parse_items);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(logging_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
