/*
 * test_piix3.c - the PIIX3 PCI-to-ISA bridge (devices/piix3.c): identity,
 * PIRQ steering of PCI interrupts onto recorded ISA IRQ lines (disable bit,
 * reserved IRQs, shared lines), and the ELCR ports with their callback.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/core/irq.h"
#include "devices/pci.h"
#include "devices/piix3.h"

static Bus *bus;
static PciBus *pci;
static Piix3 *sb;
static int level[16];
static int calls[16];
static uint16_t elcr_seen;
static int elcr_calls;

static void rec_irq(void *opaque, int n, int lvl)
{
    (void)opaque;
    level[n] = lvl;
    calls[n]++;
}

static void rec_elcr(void *opaque, uint16_t elcr)
{
    (void)opaque;
    elcr_seen = elcr;
    elcr_calls++;
}

static void setup(void)
{
    bus = bus_new();
    pci = pci_bus_new(bus, NULL);
    memset(level, 0, sizeof level);
    memset(calls, 0, sizeof calls);
    elcr_calls = 0;
    elcr_seen = 0xFFFF;
    Piix3Config cfg = {.set_elcr = rec_elcr};
    for (int i = 0; i < 16; i++)
        cfg.isa_irq[i] = irq_line(rec_irq, NULL, i);
    sb = piix3_new(bus, pci, PCI_DEVFN(1, 0), &cfg);
    ck_assert_ptr_nonnull(sb);
}

static void teardown(void)
{
    piix3_free(sb);
    pci_bus_free(pci);
    bus_free(bus);
}

static uint32_t cfg_read(unsigned reg, unsigned size)
{
    bus_io_write(bus, 0xCF8, 0x80000800u | (reg & 0xFC), 4);
    return bus_io_read(bus, (uint16_t)(0xCFC + (reg & 3)), size);
}

static void cfg_write(unsigned reg, uint32_t val, unsigned size)
{
    bus_io_write(bus, 0xCF8, 0x80000800u | (reg & 0xFC), 4);
    bus_io_write(bus, (uint16_t)(0xCFC + (reg & 3)), val, size);
}

static int total_calls(void)
{
    int n = 0;
    for (int i = 0; i < 16; i++)
        n += calls[i];
    return n;
}

START_TEST(test_identity)
{
    ck_assert_uint_eq(cfg_read(0x00, 4), 0x70008086u);
    ck_assert_uint_eq(cfg_read(0x08, 4) >> 8, 0x060100u);
    ck_assert_uint_eq(cfg_read(0x0E, 1), 0x80); /* multi-function */
    ck_assert_uint_eq(cfg_read(0x60, 4), 0x80808080u);
    ck_assert_uint_eq(cfg_read(0x4C, 1), 0x4D);
    ck_assert_uint_eq(cfg_read(0x69, 1), 0x02);
    /* Reset drove the ELCR callback with all edge. */
    ck_assert_int_eq(elcr_calls, 1);
    ck_assert_uint_eq(elcr_seen, 0);
}
END_TEST

START_TEST(test_pirq_routing)
{
    /* Not routed yet: asserting does nothing. */
    piix3_pci_set_irq(sb, 0, 1);
    ck_assert_int_eq(total_calls(), 0);
    /* Routing PIRQA to IRQ 11 while asserted raises IRQ 11 at once. */
    cfg_write(0x60, 0x0B, 1);
    ck_assert_int_eq(level[11], 1);
    ck_assert_int_eq(calls[11], 1);
    piix3_pci_set_irq(sb, 0, 0);
    ck_assert_int_eq(level[11], 0);
    piix3_pci_set_irq(sb, 0, 1);
    ck_assert_int_eq(level[11], 1);
    /* Moving the route lowers the old IRQ and raises the new one. */
    cfg_write(0x60, 0x0A, 1);
    ck_assert_int_eq(level[11], 0);
    ck_assert_int_eq(level[10], 1);
    /* The disable bit unroutes it. */
    cfg_write(0x60, 0x8A, 1);
    ck_assert_int_eq(level[10], 0);
    ck_assert_uint_eq(cfg_read(0x60, 1), 0x8A);
    /* Reserved bits 6:4 read 0. */
    cfg_write(0x61, 0x7F, 1);
    ck_assert_uint_eq(cfg_read(0x61, 1), 0x0F);
    /* Each PIRQ has its own register: PIRQD -> IRQ 5 via a dword write. */
    cfg_write(0x60, 0x05808080u, 4);
    piix3_pci_set_irq(sb, 3, 1);
    ck_assert_int_eq(level[5], 1);
    piix3_pci_set_irq(sb, 2, 1);
    ck_assert_int_eq(calls[5], 1);
}
END_TEST

START_TEST(test_reserved_irqs_route_nowhere)
{
    static const unsigned bad[] = {0, 1, 2, 8, 13};
    piix3_pci_set_irq(sb, 1, 1);
    for (unsigned i = 0; i < 5; i++) {
        cfg_write(0x61, bad[i], 1);
        ck_assert_int_eq(total_calls(), 0);
    }
    cfg_write(0x61, 15, 1);
    ck_assert_int_eq(level[15], 1);
}
END_TEST

START_TEST(test_shared_line_is_or)
{
    cfg_write(0x60, 0x0B0B0B0Bu, 4);
    piix3_pci_set_irq(sb, 0, 1);
    piix3_pci_set_irq(sb, 2, 1);
    ck_assert_int_eq(level[11], 1);
    ck_assert_int_eq(calls[11], 1);
    piix3_pci_set_irq(sb, 0, 0);
    ck_assert_int_eq(level[11], 1); /* PIRQC still asserted */
    piix3_pci_set_irq(sb, 2, 0);
    ck_assert_int_eq(level[11], 0);
    ck_assert_int_eq(calls[11], 2);
    /* The IrqSetFn form. */
    IrqLine intb = irq_line(piix3_set_pirq, sb, 1);
    irq_raise(&intb);
    ck_assert_int_eq(level[11], 1);
    irq_lower(&intb);
    ck_assert_int_eq(level[11], 0);
    /* Out-of-range PIRQ numbers are ignored. */
    piix3_pci_set_irq(sb, 4, 1);
    ck_assert_int_eq(calls[11], 4);
}
END_TEST

START_TEST(test_elcr_ports)
{
    bus_io_write(bus, 0x4D0, 0xFF, 1);
    ck_assert_uint_eq(bus_io_read(bus, 0x4D0, 1), 0xF8); /* IRQ 0-2 forced edge */
    ck_assert_uint_eq(elcr_seen, 0x00F8);
    bus_io_write(bus, 0x4D1, 0xFF, 1);
    ck_assert_uint_eq(bus_io_read(bus, 0x4D1, 1), 0xDE); /* IRQ 8 and 13 forced edge */
    ck_assert_uint_eq(elcr_seen, 0xDEF8);
    ck_assert_int_eq(elcr_calls, 3);
    /* A word access covers both registers. */
    bus_io_write(bus, 0x4D0, 0x0C20, 2);
    ck_assert_uint_eq(bus_io_read(bus, 0x4D0, 2), 0x0C20);
    ck_assert_uint_eq(elcr_seen, 0x0C20);
    ck_assert_uint_eq(piix3_elcr(sb), 0x0C20);
    piix3_reset(sb);
    ck_assert_uint_eq(bus_io_read(bus, 0x4D0, 2), 0);
    ck_assert_uint_eq(elcr_seen, 0);
}
END_TEST

START_TEST(test_reset_lowers_lines)
{
    cfg_write(0x62, 0x09, 1);
    piix3_pci_set_irq(sb, 2, 1);
    ck_assert_int_eq(level[9], 1);
    piix3_reset(sb);
    ck_assert_int_eq(level[9], 0);
    ck_assert_uint_eq(cfg_read(0x62, 1), 0x80);
}
END_TEST

static Suite *piix3_suite(void)
{
    Suite *s = suite_create("piix3");
    TCase *tc = tcase_create("isa-bridge");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_identity);
    tcase_add_test(tc, test_pirq_routing);
    tcase_add_test(tc, test_reserved_irqs_route_nowhere);
    tcase_add_test(tc, test_shared_line_is_or);
    tcase_add_test(tc, test_elcr_ports);
    tcase_add_test(tc, test_reset_lowers_lines);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(piix3_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
