/*
 * test_fw_cfg.c - the fw_cfg interface (devices/fw_cfg.c) driven as
 * SeaBIOS drives it: the selector and data ports, the file directory, and
 * the DMA interface reading into guest RAM on a real bus.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/fw_cfg.h"

static Bus *bus;
static FwCfg *fc;
static uint8_t *ram;

static void setup(void)
{
    bus = bus_new();
    ram = bus_add_ram(bus, 0, 1 << 20, "ram");
    fc = fw_cfg_new(bus);
    ck_assert_ptr_nonnull(fc);
}

static void teardown(void)
{
    fw_cfg_free(fc);
    bus_free(bus);
}

static void select_key(uint16_t key)
{
    bus_io_write(bus, 0x510, key, 2);
}
static uint8_t data8(void)
{
    return (uint8_t)bus_io_read(bus, 0x511, 1);
}
static void read_data(void *dst, size_t n)
{
    uint8_t *d = dst;
    for (size_t i = 0; i < n; i++)
        d[i] = data8();
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static uint32_t bswap32(uint32_t v)
{
    return __builtin_bswap32(v);
}

/* Writes an FWCfgDmaAccess at desc and starts it as SeaBIOS does. Returns
 * the control word the device wrote back. */
static uint32_t dma(uint32_t desc, uint32_t control, uint32_t len, uint32_t addr)
{
    put_be32(ram + desc, control);
    put_be32(ram + desc + 4, len);
    put_be32(ram + desc + 8, 0);
    put_be32(ram + desc + 12, addr);
    bus_io_write(bus, 0x514, bswap32(0), 4);
    bus_io_write(bus, 0x518, bswap32(desc), 4);
    return be32(ram + desc);
}

START_TEST(test_signature_and_id)
{
    char sig[5] = {0};
    select_key(FW_CFG_SIGNATURE);
    read_data(sig, 4);
    ck_assert_str_eq(sig, "QEMU");
    ck_assert_uint_eq(data8(), 0); /* past the end */
    select_key(FW_CFG_ID);
    uint8_t id[4];
    read_data(id, 4);
    ck_assert_uint_eq(id[0], 3); /* traditional + DMA */
    ck_assert_uint_eq(id[1] | id[2] | id[3], 0);
    /* Reselecting rewinds. */
    select_key(FW_CFG_SIGNATURE);
    ck_assert_uint_eq(data8(), 'Q');
    /* The DMA register reads "QEMU CFG". */
    char dsig[9] = {0};
    for (int i = 0; i < 8; i++)
        dsig[i] = (char)bus_io_read(bus, (uint16_t)(0x514 + i), 1);
    ck_assert_str_eq(dsig, "QEMU CFG");
    ck_assert_uint_eq(bus_io_read(bus, 0x514, 4), 0x554D4551u);
}
END_TEST

START_TEST(test_integer_items_little_endian)
{
    fw_cfg_add_i64(fc, FW_CFG_RAM_SIZE, 0x0000000108000000ull);
    fw_cfg_add_i16(fc, FW_CFG_NB_CPUS, 2);
    fw_cfg_add_i16(fc, FW_CFG_MAX_CPUS, 4);
    fw_cfg_add_i32(fc, FW_CFG_E820_TABLE, 0xA1B2C3D4u);
    uint8_t b[8];
    select_key(FW_CFG_RAM_SIZE);
    read_data(b, 8);
    static const uint8_t ram_le[8] = {0, 0, 0, 0x08, 1, 0, 0, 0};
    ck_assert_int_eq(memcmp(b, ram_le, 8), 0);
    select_key(FW_CFG_NB_CPUS);
    ck_assert_uint_eq(data8(), 2);
    ck_assert_uint_eq(data8(), 0);
    select_key(FW_CFG_MAX_CPUS);
    ck_assert_uint_eq(data8(), 4);
    select_key(FW_CFG_E820_TABLE);
    read_data(b, 4);
    ck_assert_uint_eq(b[0], 0xD4);
    ck_assert_uint_eq(b[3], 0xA1);
    /* Replacing an item. */
    fw_cfg_add_i16(fc, FW_CFG_NB_CPUS, 7);
    select_key(FW_CFG_NB_CPUS);
    ck_assert_uint_eq(data8(), 7);
}
END_TEST

START_TEST(test_missing_key_reads_zero)
{
    select_key(FW_CFG_BOOT_MENU); /* never added */
    ck_assert_uint_eq(data8(), 0);
    select_key(0x3FFF);
    ck_assert_uint_eq(data8(), 0);
    select_key(0x20); /* no files yet */
    ck_assert_uint_eq(data8(), 0);
    /* Writes to the data port are ignored. */
    fw_cfg_add_i16(fc, FW_CFG_BOOT_MENU, 1);
    select_key(FW_CFG_BOOT_MENU | FW_CFG_WRITE_CHANNEL);
    bus_io_write(bus, 0x511, 0x55, 1);
    select_key(FW_CFG_BOOT_MENU);
    ck_assert_uint_eq(data8(), 1);
}
END_TEST

START_TEST(test_file_directory_sorted)
{
    fw_cfg_add_file(fc, "etc/show-boot-menu", "\x01\x00", 2);
    fw_cfg_add_file(fc, "bootorder", "/pci@i0cf8/ide@1,1/drive@0/disk@0\n", 35);
    fw_cfg_add_file(fc, "etc/e820", "0123456789abcdefghij", 20);
    fw_cfg_add_file(fc, "etc/boot-menu-wait", "\xE8\x03", 2);

    uint8_t cnt[4];
    select_key(FW_CFG_FILE_DIR);
    read_data(cnt, 4);
    ck_assert_uint_eq(be32(cnt), 4);
    static const char *names[4] = {"bootorder", "etc/boot-menu-wait", "etc/e820",
                                   "etc/show-boot-menu"};
    static const uint32_t sizes[4] = {35, 2, 20, 2};
    for (int i = 0; i < 4; i++) {
        uint8_t e[64];
        read_data(e, 64);
        ck_assert_uint_eq(be32(e), sizes[i]);
        ck_assert_uint_eq((unsigned)(e[4] << 8 | e[5]), 0x20u + (unsigned)i);
        ck_assert_uint_eq(e[6] | e[7], 0);
        ck_assert_str_eq((const char *)e + 8, names[i]);
        ck_assert_int_eq(fw_cfg_file_key(fc, names[i]), 0x20 + i);
    }
    ck_assert_int_eq(fw_cfg_file_key(fc, "nope"), -1);
}
END_TEST

START_TEST(test_read_file_by_select)
{
    fw_cfg_add_file(fc, "zz/last", "LAST", 4);
    fw_cfg_add_file(fc, "etc/e820", "E820DATA", 8);
    int key = fw_cfg_file_key(fc, "etc/e820");
    ck_assert_int_eq(key, 0x20); /* sorted before zz/last, which moved */
    char buf[9] = {0};
    select_key((uint16_t)key);
    read_data(buf, 8);
    ck_assert_str_eq(buf, "E820DATA");
    ck_assert_uint_eq(data8(), 0);
    select_key(0x21);
    read_data(buf, 4);
    buf[4] = 0;
    ck_assert_str_eq(buf, "LAST");
}
END_TEST

START_TEST(test_dma_select_read_and_skip)
{
    uint8_t blob[300];
    for (int i = 0; i < 300; i++)
        blob[i] = (uint8_t)(i * 7 + 1);
    fw_cfg_add_file(fc, "etc/blob", blob, sizeof blob);
    int key = fw_cfg_file_key(fc, "etc/blob");
    /* Select + read the first 100 bytes. */
    uint32_t ctl =
        dma(0x1000, (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 100, 0x2000);
    ck_assert_uint_eq(ctl, 0);
    ck_assert_int_eq(memcmp(ram + 0x2000, blob, 100), 0);
    ck_assert_uint_eq(ram[0x2000 + 100], 0);
    /* Skip 50, then read 50 more without selecting. */
    ck_assert_uint_eq(dma(0x1000, FW_CFG_DMA_CTL_SKIP, 50, 0), 0);
    ck_assert_uint_eq(dma(0x1000, FW_CFG_DMA_CTL_READ, 50, 0x3000), 0);
    ck_assert_int_eq(memcmp(ram + 0x3000, blob + 150, 50), 0);
    /* The port offset follows the DMA offset. */
    ck_assert_uint_eq(data8(), blob[200]);
    /* Reading past the end fills zeros, no error. */
    memset(ram + 0x4000, 0xCC, 200);
    ck_assert_uint_eq(dma(0x1000, FW_CFG_DMA_CTL_READ, 200, 0x4000), 0);
    ck_assert_int_eq(memcmp(ram + 0x4000, blob + 201, 99), 0);
    for (int i = 99; i < 200; i++)
        ck_assert_uint_eq(ram[0x4000 + i], 0);
    /* The signature through DMA (key 0). */
    ck_assert_uint_eq(dma(0x1000, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, 0x5000), 0);
    ck_assert_int_eq(memcmp(ram + 0x5000, "QEMU", 4), 0);
}
END_TEST

START_TEST(test_dma_errors)
{
    memset(ram + 0x2000, 0xCC, 16);
    /* A key nobody added. */
    uint32_t ctl =
        dma(0x1000, 0x1234u << 16 | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 16, 0x2000);
    ck_assert_uint_eq(ctl, FW_CFG_DMA_CTL_ERROR);
    ck_assert_uint_eq(ram[0x2000], 0xCC);
    /* Writes are refused. */
    ctl = dma(0x1000, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
    ck_assert_uint_eq(ctl, FW_CFG_DMA_CTL_ERROR);
    /* Select alone succeeds and selects (the port reads the item). */
    ctl = dma(0x1000, FW_CFG_ID << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0);
    ck_assert_uint_eq(ctl, 0);
    ck_assert_uint_eq(data8(), 3);
    /* A buffer above 4 GiB. */
    put_be32(ram + 0x1000, FW_CFG_DMA_CTL_READ);
    put_be32(ram + 0x1004, 4);
    put_be32(ram + 0x1008, 1);
    put_be32(ram + 0x100C, 0);
    bus_io_write(bus, 0x514, 0, 4);
    bus_io_write(bus, 0x518, bswap32(0x1000), 4);
    ck_assert_uint_eq(be32(ram + 0x1000), FW_CFG_DMA_CTL_ERROR);
}
END_TEST

START_TEST(test_reset_selects_signature)
{
    select_key(FW_CFG_ID);
    fw_cfg_reset(fc);
    ck_assert_uint_eq(data8(), 'Q');
}
END_TEST

static Suite *fw_cfg_suite(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("ports");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_signature_and_id);
    tcase_add_test(tc, test_integer_items_little_endian);
    tcase_add_test(tc, test_missing_key_reads_zero);
    tcase_add_test(tc, test_file_directory_sorted);
    tcase_add_test(tc, test_read_file_by_select);
    tcase_add_test(tc, test_dma_select_read_and_skip);
    tcase_add_test(tc, test_dma_errors);
    tcase_add_test(tc, test_reset_selects_signature);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fw_cfg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
