/*
 * test_debugcon.c - the test ports: the 0xE9 debug console
 * (devices/debugcon.c), the 0xF4 exit device (devices/exitdev.c), and the
 * character backends they write through (devices/core/chardev.h).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/core/chardev.h"
#include "devices/debugcon.h"
#include "devices/exitdev.h"

static Bus *bus;

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
}

static void teardown(void)
{
    bus_free(bus);
}

/* ---- debug console ---- */

START_TEST(test_debugcon_output)
{
    CharBuffer out = {0};
    Debugcon *d = debugcon_new(bus, 0xE9, chardev_buffer(&out));
    ck_assert_ptr_nonnull(d);
    for (const char *p = "hello, e9\n"; *p; p++)
        bus_io_write(bus, 0xE9, (uint8_t)*p, 1);
    ck_assert_uint_eq(out.len, 10);
    ck_assert_str_eq((char *)out.data, "hello, e9\n");
    /* Binary bytes pass unchanged. */
    bus_io_write(bus, 0xE9, 0x00, 1);
    bus_io_write(bus, 0xE9, 0xFF, 1);
    ck_assert_uint_eq(out.len, 12);
    ck_assert_uint_eq(out.data[10], 0x00);
    ck_assert_uint_eq(out.data[11], 0xFF);
    debugcon_free(d);
    chardev_buffer_free(&out);
}
END_TEST

START_TEST(test_debugcon_readback)
{
    CharBuffer out = {0};
    Debugcon *d = debugcon_new(bus, DEBUGCON_DEFAULT_PORT, chardev_buffer(&out));
    ck_assert_uint_eq(bus_io_read(bus, 0xE9, 1), 0xE9);
    /* Reading has no side effect on the output. */
    ck_assert_uint_eq(out.len, 0);
    /* The port is one byte wide: the high byte of a word read is port 0xEA,
     * unmapped. */
    ck_assert_uint_eq(bus_io_read(bus, 0xE9, 2), 0xFFE9);
    ck_assert_uint_eq(bus_io_read(bus, 0xEA, 1), 0xFF);
    debugcon_free(d);
    chardev_buffer_free(&out);
}
END_TEST

START_TEST(test_debugcon_word_write_and_ops)
{
    CharBuffer out = {0};
    Debugcon *d = debugcon_new(bus, 0x402, chardev_buffer(&out)); /* SeaBIOS's port */
    /* A word write is split: only the low byte reaches the console. */
    bus_io_write(bus, 0x402, 0x4241, 2);
    ck_assert_str_eq((char *)out.data, "A");
    Device dev = {&debugcon_device_ops, d};
    ck_assert_str_eq(debugcon_device_ops.name, "debugcon");
    device_reset(&dev);
    bus_io_write(bus, 0x402, 'C', 1);
    ck_assert_str_eq((char *)out.data, "AC");
    device_destroy(&dev);
    /* Freed: the port is unmapped again and writes go nowhere. */
    ck_assert_uint_eq(bus_io_read(bus, 0x402, 1), 0xFF);
    bus_io_write(bus, 0x402, 'D', 1);
    ck_assert_str_eq((char *)out.data, "AC");
    chardev_buffer_free(&out);
}
END_TEST

/* ---- exit device ---- */

typedef struct ExitRec {
    int calls;
    int status[8];
} ExitRec;

static void rec_exit(void *opaque, int status)
{
    ExitRec *r = opaque;
    if (r->calls < 8) r->status[r->calls] = status;
    r->calls++;
}

START_TEST(test_exitdev_status)
{
    ExitRec rec = {0};
    ExitDev *e = exitdev_new(bus, EXITDEV_DEFAULT_PORT, rec_exit, &rec);
    ck_assert_ptr_nonnull(e);
    bus_io_write(bus, 0xF4, 0x00, 1);
    bus_io_write(bus, 0xF4, 0x01, 1);
    bus_io_write(bus, 0xF4, 0x10, 1);
    ck_assert_int_eq(rec.calls, 3);
    ck_assert_int_eq(rec.status[0], 1);
    ck_assert_int_eq(rec.status[1], 3);
    ck_assert_int_eq(rec.status[2], 0x21);
    /* Wider writes pass the whole value, as in QEMU. */
    bus_io_write(bus, 0xF4, 0x0100, 2);
    ck_assert_int_eq(rec.status[3], 0x201);
    bus_io_write(bus, 0xF4, 0x7FFFFFFF, 4);
    ck_assert_int_eq(rec.status[4], -1); /* 0xFFFFFFFF */
    bus_io_write(bus, 0xF4, 0x80000000u, 4);
    ck_assert_int_eq(rec.status[5], 1); /* bit 31 shifts out */
    ck_assert_int_eq(rec.calls, 6);
    exitdev_free(e);
}
END_TEST

START_TEST(test_exitdev_ports_and_reads)
{
    ExitRec rec = {0};
    ExitDev *e = exitdev_new(bus, 0xF4, rec_exit, &rec);
    /* All four ports take writes; the value, not the offset, decides. */
    bus_io_write(bus, 0xF5, 0x02, 1);
    bus_io_write(bus, 0xF7, 0x03, 1);
    bus_io_write(bus, 0xF6, 0x0004, 2);
    ck_assert_int_eq(rec.calls, 3);
    ck_assert_int_eq(rec.status[0], 5);
    ck_assert_int_eq(rec.status[1], 7);
    ck_assert_int_eq(rec.status[2], 9);
    /* Outside the device. */
    bus_io_write(bus, 0xF8, 0x01, 1);
    bus_io_write(bus, 0xF3, 0x01, 1);
    ck_assert_int_eq(rec.calls, 3);
    /* Reads look unmapped and request nothing. */
    ck_assert_uint_eq(bus_io_read(bus, 0xF4, 1), 0xFF);
    ck_assert_uint_eq(bus_io_read(bus, 0xF4, 2), 0xFFFF);
    ck_assert_uint_eq(bus_io_read(bus, 0xF4, 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(bus_io_read(bus, 0xF7, 1), 0xFF);
    ck_assert_int_eq(rec.calls, 3);
    Device dev = {&exitdev_device_ops, e};
    ck_assert_str_eq(exitdev_device_ops.name, "exitdev");
    device_reset(&dev);
    device_destroy(&dev);
    bus_io_write(bus, 0xF4, 0x01, 1); /* unregistered: dropped */
    ck_assert_int_eq(rec.calls, 3);
}
END_TEST

START_TEST(test_exitdev_without_callback)
{
    ExitDev *e = exitdev_new(bus, 0xF4, NULL, NULL);
    ck_assert_ptr_nonnull(e);
    bus_io_write(bus, 0xF4, 0x01, 1); /* must not crash */
    exitdev_free(e);
    exitdev_free(NULL);
    debugcon_free(NULL);
}
END_TEST

/* ---- character backends ---- */

START_TEST(test_chardev_buffer)
{
    CharBuffer b = {0};
    CharBackend be = chardev_buffer(&b);
    chardev_write(&be, (const uint8_t *)"", 0);
    ck_assert_uint_eq(b.len, 0);
    uint8_t big[1000];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)('a' + i % 26);
    for (int k = 0; k < 5; k++)
        chardev_write(&be, big, sizeof big);
    ck_assert_uint_eq(b.len, 5000);
    ck_assert_uint_ge(b.cap_bytes, 5001);
    ck_assert_uint_eq(b.data[5000], 0);
    ck_assert_int_eq(memcmp(b.data + 4000, big, sizeof big), 0);
    chardev_buffer_clear(&b);
    ck_assert_uint_eq(b.len, 0);
    chardev_write(&be, (const uint8_t *)"ok", 2);
    ck_assert_str_eq((char *)b.data, "ok");
    chardev_buffer_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);
    chardev_write(&be, (const uint8_t *)"again", 5); /* reusable after free */
    ck_assert_str_eq((char *)b.data, "again");
    chardev_buffer_free(&b);
}
END_TEST

START_TEST(test_chardev_file_flushes)
{
    char path[] = "/tmp/brisk_chardev_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *w = fdopen(fd, "w");
    ck_assert_ptr_nonnull(w);
    CharBackend be = chardev_file(w);
    chardev_write(&be, (const uint8_t *)"serial", 6);
    /* Without closing the writer, another reader sees the bytes already. */
    FILE *r = fopen(path, "r");
    ck_assert_ptr_nonnull(r);
    char got[16] = {0};
    ck_assert_uint_eq(fread(got, 1, sizeof got - 1, r), 6);
    ck_assert_str_eq(got, "serial");
    fclose(r);
    fclose(w);
    remove(path);
    /* A NULL file and the null backend swallow bytes. */
    CharBackend nf = chardev_file(NULL);
    chardev_write(&nf, (const uint8_t *)"x", 1);
    CharBackend nb = chardev_null();
    chardev_write(&nb, (const uint8_t *)"x", 1);
    CharBackend empty = {0};
    chardev_write(&empty, (const uint8_t *)"x", 1);
}
END_TEST

START_TEST(test_chardev_null_debugcon)
{
    Debugcon *d = debugcon_new(bus, 0xE9, chardev_null());
    bus_io_write(bus, 0xE9, 'x', 1);
    ck_assert_uint_eq(bus_io_read(bus, 0xE9, 1), 0xE9);
    debugcon_free(d);
}
END_TEST

static Suite *testports_suite(void)
{
    Suite *s = suite_create("testports");
    TCase *tc = tcase_create("debugcon");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_debugcon_output);
    tcase_add_test(tc, test_debugcon_readback);
    tcase_add_test(tc, test_debugcon_word_write_and_ops);
    tcase_add_test(tc, test_chardev_null_debugcon);
    suite_add_tcase(s, tc);

    tc = tcase_create("exitdev");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_exitdev_status);
    tcase_add_test(tc, test_exitdev_ports_and_reads);
    tcase_add_test(tc, test_exitdev_without_callback);
    suite_add_tcase(s, tc);

    tc = tcase_create("chardev");
    tcase_add_test(tc, test_chardev_buffer);
    tcase_add_test(tc, test_chardev_file_flushes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(testports_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
