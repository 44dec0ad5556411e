/*
 * test_i440fx.c - the i440FX host bridge (devices/i440fx.c): identity
 * registers through configuration mechanism #1, and PAM shadowing of
 * 0xC0000-0xFFFFF on a bus with 1 MiB of RAM and a BIOS ROM mapped at
 * 0xE0000-0xFFFFF with bus_add_rom's priority (below the PAM aliases).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/i440fx.h"
#include "devices/pci.h"

#define RAM_SIZE (32u << 20)

static Bus *bus;
static PciBus *pci;
static I440fx *nb;
static uint8_t *ram;
static uint8_t rom[0x20000];
static MemRegion *rom_mr;

static void setup(void)
{
    bus = bus_new();
    ram = bus_add_ram(bus, 0, RAM_SIZE, "ram");
    for (unsigned i = 0; i < sizeof rom; i++)
        rom[i] = (uint8_t)(0x5A ^ i ^ (i >> 8));
    rom_mr = bus_add_rom(bus, 0xE0000, rom, sizeof rom, "bios");
    pci = pci_bus_new(bus, NULL);
    I440fxConfig cfg = {ram, RAM_SIZE};
    nb = i440fx_new(bus, pci, &cfg);
    ck_assert_ptr_nonnull(nb);
}

static void teardown(void)
{
    i440fx_free(nb);
    pci_bus_free(pci);
    bus_free(bus);
}

static uint32_t cfg_read(unsigned reg, unsigned size)
{
    bus_io_write(bus, 0xCF8, 0x80000000u | (reg & 0xFC), 4);
    return bus_io_read(bus, (uint16_t)(0xCFC + (reg & 3)), size);
}

static void cfg_write(unsigned reg, uint32_t val, unsigned size)
{
    bus_io_write(bus, 0xCF8, 0x80000000u | (reg & 0xFC), 4);
    bus_io_write(bus, (uint16_t)(0xCFC + (reg & 3)), val, size);
}

static uint8_t rom_at(uint32_t addr)
{
    return rom[addr - 0xE0000];
}

START_TEST(test_identity)
{
    ck_assert_uint_eq(cfg_read(0x00, 4), 0x12378086u);
    ck_assert_uint_eq(cfg_read(0x08, 1), 0x02);
    ck_assert_uint_eq(cfg_read(0x08, 4) >> 8, 0x060000u);
    ck_assert_uint_eq(cfg_read(0x0E, 1), 0x00);
    ck_assert_uint_eq(cfg_read(0x04, 2), 0x0006);
    ck_assert_uint_eq(cfg_read(0x06, 2), 0x0280);
    cfg_write(0x00, 0xFFFFFFFF, 4);
    ck_assert_uint_eq(cfg_read(0x00, 4), 0x12378086u);
    /* SMRAM: C_BASE_SEG fixed at 010b, closed after reset. */
    ck_assert_uint_eq(cfg_read(0x72, 1), 0x02);
    cfg_write(0x72, 0x07, 1);
    ck_assert_uint_eq(cfg_read(0x72, 1), 0x02);
    /* DRB: 32 MiB is 4 rows of 8 MiB, all in row 0. */
    for (unsigned r = 0; r < 8; r++)
        ck_assert_uint_eq(cfg_read(0x60 + r, 1), 4);
    ck_assert_uint_eq(cfg_read(0x57, 1), 0x01);
    /* PAM registers: reserved bits read 0. */
    cfg_write(0x59, 0xFF, 1);
    ck_assert_uint_eq(cfg_read(0x59, 1), 0x70);
    cfg_write(0x5A, 0xFF, 1);
    ck_assert_uint_eq(cfg_read(0x5A, 1), 0x77);
}
END_TEST

START_TEST(test_pam_disabled_reads_rom_writes_dropped)
{
    memset(ram + 0xF0000, 0x11, 0x10000);
    ck_assert_uint_eq(bus_read(bus, 0xF0000, 1), rom_at(0xF0000));
    ck_assert_uint_eq(bus_read(bus, 0xFFFF0, 4), pci_get_long(rom + 0x1FFF0));
    bus_write(bus, 0xF1234, 0xAB, 1);
    ck_assert_uint_eq(bus_read(bus, 0xF1234, 1), rom_at(0xF1234));
    ck_assert_uint_eq(ram[0xF1234], 0x11);
}
END_TEST

START_TEST(test_pam_read_write_is_shadow_ram)
{
    /* The BIOS copies itself: set WE only, copy, then RE|WE. */
    cfg_write(0x59, 0x20, 1);
    for (uint32_t a = 0xF0000; a < 0x100000; a += 4)
        bus_write(bus, a, bus_read(bus, a, 4), 4);
    cfg_write(0x59, 0x30, 1);
    ck_assert_int_eq(memcmp(ram + 0xF0000, rom + 0x10000, 0x10000), 0);
    ck_assert_uint_eq(bus_read(bus, 0xFFFF0, 1), rom_at(0xFFFF0));
    bus_write(bus, 0xF0010, 0xDEADBEEF, 4);
    ck_assert_uint_eq(bus_read(bus, 0xF0010, 4), 0xDEADBEEFu);
    ck_assert_uint_eq(pci_get_long(ram + 0xF0010), 0xDEADBEEFu);
    /* The CPU's fast path sees RAM there too. */
    ck_assert_ptr_eq(bus_page_host(bus, 0xF0000), ram + 0xF0000);
    ck_assert(!(bus_page_flags(bus, 0xF0000) & PAGE_READONLY));
}
END_TEST

START_TEST(test_pam_write_only_reads_rom_writes_ram)
{
    cfg_write(0x5E, 0x02, 1); /* 0xE0000-0xE3FFF: WE only */
    bus_write(bus, 0xE0100, 0x12345678, 4);
    ck_assert_uint_eq(pci_get_long(ram + 0xE0100), 0x12345678u);
    ck_assert_uint_eq(bus_read(bus, 0xE0100, 4), pci_get_long(rom + 0x100));
    ck_assert_uint_eq(bus_read(bus, 0xE0101, 2), rom_at(0xE0101) | rom_at(0xE0102) << 8);
    /* The neighbouring 16 KiB block is unaffected (reads ROM, writes dropped). */
    bus_write(bus, 0xE4000, 0x77, 1);
    ck_assert_uint_eq(ram[0xE4000], 0);
    ck_assert_uint_eq(bus_read(bus, 0xE4000, 1), rom_at(0xE4000));
    ck_assert_ptr_null(bus_page_host(bus, 0xE0000));
}
END_TEST

START_TEST(test_pam_read_only_ram)
{
    ram[0xE8000] = 0x42;
    cfg_write(0x5F, 0x01, 1); /* 0xE8000: RE only */
    ck_assert_uint_eq(bus_read(bus, 0xE8000, 1), 0x42);
    bus_write(bus, 0xE8000, 0x99, 1);
    ck_assert_uint_eq(ram[0xE8000], 0x42);
    ck_assert(bus_page_flags(bus, 0xE8000) & PAGE_READONLY);
}
END_TEST

START_TEST(test_pam_redisable_shows_rom_keeps_ram)
{
    cfg_write(0x59, 0x30, 1);
    bus_write(bus, 0xF8000, 0xCAFE, 2);
    cfg_write(0x59, 0x00, 1);
    ck_assert_uint_eq(bus_read(bus, 0xF8000, 2), rom_at(0xF8000) | rom_at(0xF8001) << 8);
    ck_assert_uint_eq(pci_get_word(ram + 0xF8000), 0xCAFE);
    cfg_write(0x59, 0x10, 1);
    ck_assert_uint_eq(bus_read(bus, 0xF8000, 2), 0xCAFE);
}
END_TEST

START_TEST(test_pam_c0000_regions_and_dword_write)
{
    /* One dword write at 0x58 sets DRAMT, PAM0, PAM1 and PAM2. */
    cfg_write(0x58, 0x33333300, 4);
    ck_assert_uint_eq(cfg_read(0x59, 1), 0x30);
    ck_assert_uint_eq(cfg_read(0x5A, 2), 0x3333);
    ck_assert_uint_eq(cfg_read(0x5C, 1), 0);
    bus_write(bus, 0xC0000, 0x55, 1);
    bus_write(bus, 0xCFFFF, 0x66, 1);
    ck_assert_uint_eq(ram[0xC0000], 0x55);
    ck_assert_uint_eq(ram[0xCFFFF], 0x66);
    /* 0xCC000 (PAM2 high nibble) off: the write-protected path. The PCI side
     * there is plain RAM at priority 0 in this test (no ROM mapped), so
     * check through a ROM mapped over it. */
    uint8_t opt[0x4000];
    memset(opt, 0xEE, sizeof opt);
    bus_add_rom(bus, 0xCC000, opt, sizeof opt, "option-rom");
    ck_assert_uint_eq(bus_read(bus, 0xCFFFF, 1), 0x66); /* shadow still on */
    cfg_write(0x5B, 0x03, 1);                           /* 0xC8000 RE|WE, 0xCC000 off */
    ck_assert_uint_eq(bus_read(bus, 0xCFFFF, 1), 0xEE);
    bus_write(bus, 0xCC000, 0x12, 1);
    ck_assert_uint_eq(ram[0xCC000], 0);
    ck_assert_uint_eq(bus_read(bus, 0xC0000, 1), 0x55);
    /* 0xD0000 (PAM3) never enabled: RAM content untouched by the test. */
    ck_assert_uint_eq(ram[0xD0000], 0);
}
END_TEST

START_TEST(test_reset_closes_pam)
{
    cfg_write(0x59, 0x30, 1);
    bus_write(bus, 0xF0000, 0x77, 1);
    i440fx_reset(nb);
    ck_assert_uint_eq(cfg_read(0x59, 1), 0);
    ck_assert_uint_eq(bus_read(bus, 0xF0000, 1), rom_at(0xF0000));
    ck_assert_uint_eq(ram[0xF0000], 0x77);
}
END_TEST

static Suite *i440fx_suite(void)
{
    Suite *s = suite_create("i440fx");
    TCase *tc = tcase_create("pam");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_pam_disabled_reads_rom_writes_dropped);
    tcase_add_test(tc, test_pam_read_write_is_shadow_ram);
    tcase_add_test(tc, test_pam_write_only_reads_rom_writes_ram);
    tcase_add_test(tc, test_pam_read_only_ram);
    tcase_add_test(tc, test_pam_redisable_shows_rom_keeps_ram);
    tcase_add_test(tc, test_pam_c0000_regions_and_dword_write);
    tcase_add_test(tc, test_reset_closes_pam);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(i440fx_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
