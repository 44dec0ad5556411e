/*
 * test_pci.c - PCI configuration mechanism #1 and bus 0 (devices/pci.c) on
 * a real port bus: CONFADD/CONFDATA at every width and offset, master
 * aborts, BAR size probing and the map callbacks, write masks, RW1C status
 * bits and the 0xCF9 reset control register.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/pci.h"

#define MAX_MAPS 32

typedef struct MapRec {
    int bar;
    uint32_t addr;
} MapRec;

typedef struct TestDev {
    PciDevice pci;
    MapRec maps[MAX_MAPS];
    int nmaps;
    int config_writes;
    unsigned last_off, last_size;
    uint32_t last_val;
} TestDev;

static Bus *bus;
static PciBus *pci;
static TestDev dev;
static int resets, hard_resets;

static void on_reset(void *opaque, bool hard)
{
    (void)opaque;
    resets++;
    if (hard) hard_resets++;
}

static void on_map(PciDevice *d, int bar, uint32_t addr)
{
    TestDev *t = (TestDev *)d;
    if (t->nmaps < MAX_MAPS) t->maps[t->nmaps] = (MapRec){bar, addr};
    t->nmaps++;
}

static void on_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned size)
{
    TestDev *t = (TestDev *)d;
    t->config_writes++;
    t->last_off = off;
    t->last_val = val;
    t->last_size = size;
}

static void setup(void)
{
    bus = bus_new();
    PciBusConfig cfg = {on_reset, NULL};
    pci = pci_bus_new(bus, &cfg);
    resets = hard_resets = 0;
    memset(&dev, 0, sizeof dev);
    pci_device_init(&dev.pci, "test", 0x1234, 0x5678, 0x9A, 0x020000, 0x00);
    pci_register_bar(&dev.pci, 0, 0x100, PCI_BAR_IO, on_map);
    pci_register_bar(&dev.pci, 1, 0x1000, PCI_BAR_MEM, on_map);
    pci_register_bar(&dev.pci, 2, 0x100000, PCI_BAR_MEM_PREFETCH, on_map);
    pci_register_bar(&dev.pci, PCI_ROM_SLOT, 0x10000, PCI_BAR_MEM, on_map);
    pci_set_interrupt_pin(&dev.pci, 1);
    dev.pci.config_write = on_config_write;
    /* A device-specific register: 0x40 writable, 0x41 read-only 0xA5. */
    dev.pci.config[0x41] = 0xA5;
    dev.pci.wmask[0x40] = 0xFF;
    ck_assert(pci_bus_attach(pci, &dev.pci, PCI_DEVFN(3, 0)));
}

static void teardown(void)
{
    pci_bus_free(pci);
    bus_free(bus);
}

static uint32_t addr_of(unsigned devnum, unsigned fn, unsigned reg)
{
    return 0x80000000u | devnum << 11 | fn << 8 | (reg & 0xFC);
}

static uint32_t cfg_read(unsigned devnum, unsigned fn, unsigned reg, unsigned size)
{
    bus_io_write(bus, 0xCF8, addr_of(devnum, fn, reg), 4);
    return bus_io_read(bus, (uint16_t)(0xCFC + (reg & 3)), size);
}

static void cfg_write(unsigned devnum, unsigned fn, unsigned reg, uint32_t val, unsigned size)
{
    bus_io_write(bus, 0xCF8, addr_of(devnum, fn, reg), 4);
    bus_io_write(bus, (uint16_t)(0xCFC + (reg & 3)), val, size);
}

START_TEST(test_confadd_register)
{
    bus_io_write(bus, 0xCF8, 0x80001813u, 4);
    /* Bits 30:24 and 1:0 are reserved and read 0. */
    ck_assert_uint_eq(bus_io_read(bus, 0xCF8, 4), 0x80001810u);
    bus_io_write(bus, 0xCF8, 0x7F00ABCDu, 4);
    ck_assert_uint_eq(bus_io_read(bus, 0xCF8, 4), 0x0000ABCCu);
    /* A word access to 0xCF8 is not CONFADD. */
    bus_io_write(bus, 0xCF8, 0x1234, 2);
    ck_assert_uint_eq(bus_io_read(bus, 0xCF8, 4), 0x0000ABCCu);
}
END_TEST

START_TEST(test_identity_all_widths_and_offsets)
{
    uint8_t expect[64];
    memcpy(expect, dev.pci.config, sizeof expect);
    for (unsigned reg = 0; reg < 64; reg++) {
        ck_assert_uint_eq(cfg_read(3, 0, reg, 1), expect[reg]);
        if ((reg & 3) <= 2)
            ck_assert_uint_eq(cfg_read(3, 0, reg, 2), expect[reg] | expect[reg + 1] << 8);
    }
    for (unsigned reg = 0; reg < 64; reg += 4)
        ck_assert_uint_eq(cfg_read(3, 0, reg, 4), pci_get_long(expect + reg));
    ck_assert_uint_eq(cfg_read(3, 0, 0, 4), 0x56781234u);
    ck_assert_uint_eq(cfg_read(3, 0, 0x08, 4), 0x0200009Au);
    ck_assert_uint_eq(cfg_read(3, 0, 0x3D, 1), 1);
}
END_TEST

START_TEST(test_byte_word_writes_at_offsets)
{
    cfg_write(3, 0, 0x3C, 0x0B, 1); /* interrupt line */
    ck_assert_uint_eq(cfg_read(3, 0, 0x3C, 4), 0x0000010Bu);
    cfg_write(3, 0, 0x0D, 0x40, 1); /* latency timer at byte 1 */
    cfg_write(3, 0, 0x0C, 0x08, 1);
    ck_assert_uint_eq(cfg_read(3, 0, 0x0C, 2), 0x4008u);
    /* Word write at byte offset 2 of the dword 0x40. */
    dev.pci.wmask[0x42] = dev.pci.wmask[0x43] = 0xFF;
    cfg_write(3, 0, 0x42, 0xBEEF, 2);
    ck_assert_uint_eq(dev.pci.config[0x42], 0xEF);
    ck_assert_uint_eq(dev.pci.config[0x43], 0xBE);
    ck_assert_uint_eq(dev.last_off, 0x42);
    ck_assert_uint_eq(dev.last_size, 2);
    ck_assert_uint_eq(dev.last_val, 0xBEEF);
    /* Dword write: read-only 0x41 keeps its value. */
    cfg_write(3, 0, 0x40, 0x11223344, 4);
    ck_assert_uint_eq(cfg_read(3, 0, 0x40, 4), 0x1122A544u);
}
END_TEST

START_TEST(test_read_only_bits)
{
    cfg_write(3, 0, 0x00, 0xFFFFFFFF, 4);
    cfg_write(3, 0, 0x08, 0xFFFFFFFF, 4);
    cfg_write(3, 0, 0x3D, 0x04, 1);
    ck_assert_uint_eq(cfg_read(3, 0, 0x00, 4), 0x56781234u);
    ck_assert_uint_eq(cfg_read(3, 0, 0x08, 4), 0x0200009Au);
    ck_assert_uint_eq(cfg_read(3, 0, 0x3D, 1), 1);
    /* Command: reserved bits stay 0. */
    cfg_write(3, 0, 0x04, 0xFFFF, 2);
    ck_assert_uint_eq(cfg_read(3, 0, 0x04, 2), 0x0547u);
}
END_TEST

START_TEST(test_status_write_one_to_clear)
{
    pci_set_word(dev.pci.config + PCI_STATUS, 0x3280); /* targets aborts + fast b2b */
    cfg_write(3, 0, 0x06, 0x1000, 2);                  /* clear signalled target abort */
    ck_assert_uint_eq(cfg_read(3, 0, 0x06, 2), 0x2280u);
    cfg_write(3, 0, 0x06, 0x0080, 2); /* read-only bit: no effect */
    ck_assert_uint_eq(cfg_read(3, 0, 0x06, 2), 0x2280u);
}
END_TEST

START_TEST(test_nonexistent_device_reads_ones)
{
    ck_assert_uint_eq(cfg_read(4, 0, 0, 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(cfg_read(3, 1, 0, 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(cfg_read(31, 7, 0x3E, 2), 0xFFFFu);
    ck_assert_uint_eq(cfg_read(4, 0, 0x01, 1), 0xFFu);
    /* Another bus number. */
    bus_io_write(bus, 0xCF8, 0x80011800u, 4);
    ck_assert_uint_eq(bus_io_read(bus, 0xCFC, 4), 0xFFFFFFFFu);
    /* Writes to nothing are dropped harmlessly. */
    cfg_write(4, 0, 0x04, 0x7, 2);
    ck_assert_uint_eq(cfg_read(4, 0, 0x04, 2), 0xFFFFu);
}
END_TEST

START_TEST(test_enable_bit_clear)
{
    bus_io_write(bus, 0xCF8, 0x00001800u, 4);
    ck_assert_uint_eq(bus_io_read(bus, 0xCFC, 4), 0xFFFFFFFFu);
    bus_io_write(bus, 0xCFC, 0x0B, 1);
    ck_assert_uint_eq(dev.config_writes, 0);
    /* Unaligned dword past 0xCFF: the bytes beyond read ones. */
    bus_io_write(bus, 0xCF8, addr_of(3, 0, 0), 4);
    ck_assert_uint_eq(bus_io_read(bus, 0xCFE, 4), 0xFFFF5678u);
}
END_TEST

START_TEST(test_bar_size_probing)
{
    cfg_write(3, 0, 0x10, 0xFFFFFFFF, 4);
    ck_assert_uint_eq(cfg_read(3, 0, 0x10, 4), 0xFFFFFF01u); /* 256 bytes of I/O */
    cfg_write(3, 0, 0x14, 0xFFFFFFFF, 4);
    ck_assert_uint_eq(cfg_read(3, 0, 0x14, 4), 0xFFFFF000u); /* 4 KiB memory */
    cfg_write(3, 0, 0x18, 0xFFFFFFFF, 4);
    ck_assert_uint_eq(cfg_read(3, 0, 0x18, 4), 0xFFF00008u); /* 1 MiB prefetchable */
    cfg_write(3, 0, 0x1C, 0xFFFFFFFF, 4);
    ck_assert_uint_eq(cfg_read(3, 0, 0x1C, 4), 0u); /* not implemented */
    cfg_write(3, 0, 0x30, 0xFFFFFFFF, 4);
    ck_assert_uint_eq(cfg_read(3, 0, 0x30, 4), 0xFFFF0001u); /* 64 KiB ROM */
    /* Probing with decoding off maps nothing. */
    ck_assert_int_eq(dev.nmaps, 0);
    cfg_write(3, 0, 0x10, 0xC100, 4);
    ck_assert_uint_eq(cfg_read(3, 0, 0x10, 4), 0xC101u);
    cfg_write(3, 0, 0x10, 0xC1FF, 4); /* low bits inside the size are 0 */
    ck_assert_uint_eq(cfg_read(3, 0, 0x10, 4), 0xC101u);
}
END_TEST

START_TEST(test_bar_map_on_enable_disable)
{
    cfg_write(3, 0, 0x10, 0xC000, 4);
    cfg_write(3, 0, 0x14, 0xFEBF0000, 4);
    ck_assert_int_eq(dev.nmaps, 0);
    /* I/O enable maps the I/O BAR only. */
    cfg_write(3, 0, 0x04, PCI_COMMAND_IO, 2);
    ck_assert_int_eq(dev.nmaps, 1);
    ck_assert_int_eq(dev.maps[0].bar, 0);
    ck_assert_uint_eq(dev.maps[0].addr, 0xC000);
    ck_assert_uint_eq(pci_bar_address(&dev.pci, 0), 0xC000);
    /* Memory enable maps BAR1 (BAR2 is still 0: unmapped, no call). */
    cfg_write(3, 0, 0x04, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    ck_assert_int_eq(dev.nmaps, 2);
    ck_assert_int_eq(dev.maps[1].bar, 1);
    ck_assert_uint_eq(dev.maps[1].addr, 0xFEBF0000u);
    /* Moving a BAR while enabled: one call with the new address. */
    cfg_write(3, 0, 0x10, 0xD000, 4);
    ck_assert_int_eq(dev.nmaps, 3);
    ck_assert_uint_eq(dev.maps[2].addr, 0xD000);
    /* Rewriting the same value: no call. */
    cfg_write(3, 0, 0x10, 0xD000, 4);
    ck_assert_int_eq(dev.nmaps, 3);
    /* Probing an enabled BAR unmaps it, restoring maps it back. */
    cfg_write(3, 0, 0x14, 0xFFFFFFFF, 4);
    ck_assert_int_eq(dev.nmaps, 4);
    ck_assert_uint_eq(dev.maps[3].addr, PCI_BAR_UNMAPPED);
    cfg_write(3, 0, 0x14, 0xFEBF0000, 4);
    ck_assert_int_eq(dev.nmaps, 5);
    ck_assert_uint_eq(dev.maps[4].addr, 0xFEBF0000u);
    /* ROM BAR needs its enable bit as well as memory decoding. */
    cfg_write(3, 0, 0x30, 0xFEB00000, 4);
    ck_assert_int_eq(dev.nmaps, 5);
    cfg_write(3, 0, 0x30, 0xFEB00001, 4);
    ck_assert_int_eq(dev.nmaps, 6);
    ck_assert_int_eq(dev.maps[5].bar, PCI_ROM_SLOT);
    ck_assert_uint_eq(dev.maps[5].addr, 0xFEB00000u);
    /* Disabling both decoders unmaps the three mapped BARs. */
    cfg_write(3, 0, 0x04, 0, 2);
    ck_assert_int_eq(dev.nmaps, 9);
    for (int i = 6; i < 9; i++)
        ck_assert_uint_eq(dev.maps[i].addr, PCI_BAR_UNMAPPED);
    /* A byte write to the command register works as well. */
    cfg_write(3, 0, 0x04, PCI_COMMAND_IO, 1);
    ck_assert_int_eq(dev.nmaps, 10);
    ck_assert_uint_eq(dev.maps[9].addr, 0xD000);
    /* Device reset unmaps and clears the BAR addresses. */
    pci_device_reset(&dev.pci);
    ck_assert_int_eq(dev.nmaps, 11);
    ck_assert_uint_eq(dev.maps[10].addr, PCI_BAR_UNMAPPED);
    ck_assert_uint_eq(cfg_read(3, 0, 0x10, 4), 0x1u);
    ck_assert_uint_eq(cfg_read(3, 0, 0x04, 2), 0u);
}
END_TEST

START_TEST(test_io_bar_above_64k_not_mapped)
{
    cfg_write(3, 0, 0x04, PCI_COMMAND_IO, 2);
    cfg_write(3, 0, 0x10, 0x10000, 4);
    ck_assert_int_eq(dev.nmaps, 0);
    ck_assert_uint_eq(pci_bar_address(&dev.pci, 0), PCI_BAR_UNMAPPED);
}
END_TEST

START_TEST(test_attach_rules)
{
    PciDevice other;
    pci_device_init(&other, "other", 0x8086, 0x1111, 0, 0xFF0000, 0);
    ck_assert(!pci_bus_attach(pci, &other, PCI_DEVFN(3, 0)));
    ck_assert(!pci_bus_attach(pci, &other, 256));
    ck_assert(pci_bus_attach(pci, &other, PCI_DEVFN(31, 7)));
    ck_assert_uint_eq(cfg_read(31, 7, 0, 4), 0x11118086u);
    pci_bus_detach(pci, &other);
    ck_assert_uint_eq(cfg_read(31, 7, 0, 4), 0xFFFFFFFFu);
}
END_TEST

START_TEST(test_reset_control_cf9)
{
    bus_io_write(bus, 0xCF9, 0x02, 1); /* SRST alone: no reset */
    ck_assert_int_eq(resets, 0);
    ck_assert_uint_eq(bus_io_read(bus, 0xCF9, 1), 0x02);
    bus_io_write(bus, 0xCF9, 0x06, 1); /* RCPU with SRST: hard reset */
    ck_assert_int_eq(resets, 1);
    ck_assert_int_eq(hard_resets, 1);
    ck_assert_uint_eq(bus_io_read(bus, 0xCF9, 1), 0x02);
    bus_io_write(bus, 0xCF9, 0x04, 1); /* RCPU alone: soft reset */
    ck_assert_int_eq(resets, 2);
    ck_assert_int_eq(hard_resets, 1);
    /* A dword write to 0xCF8 is CONFADD, never a reset. */
    bus_io_write(bus, 0xCF8, 0x00000600u, 4);
    ck_assert_int_eq(resets, 2);
    /* Without a handler the request is dropped. */
    pci_bus_free(pci);
    PciBus *lone = pci_bus_new(bus, NULL);
    bus_io_write(bus, 0xCF9, 0x06, 1);
    ck_assert_int_eq(resets, 2);
    pci_bus_free(lone);
    pci = pci_bus_new(bus, &(PciBusConfig){on_reset, NULL});
}
END_TEST

static Suite *pci_suite(void)
{
    Suite *s = suite_create("pci");
    TCase *tc = tcase_create("mechanism1");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_confadd_register);
    tcase_add_test(tc, test_identity_all_widths_and_offsets);
    tcase_add_test(tc, test_byte_word_writes_at_offsets);
    tcase_add_test(tc, test_read_only_bits);
    tcase_add_test(tc, test_status_write_one_to_clear);
    tcase_add_test(tc, test_nonexistent_device_reads_ones);
    tcase_add_test(tc, test_enable_bit_clear);
    tcase_add_test(tc, test_bar_size_probing);
    tcase_add_test(tc, test_bar_map_on_enable_disable);
    tcase_add_test(tc, test_io_bar_above_64k_not_mapped);
    tcase_add_test(tc, test_attach_rules);
    tcase_add_test(tc, test_reset_control_cf9);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pci_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
