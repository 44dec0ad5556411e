/*
 * test_i8042.c - the 8042 keyboard controller, PS/2 keyboard and PS/2
 * mouse (devices/i8042.c) on a real bus and a virtual clock at 1 ns per
 * instruction. Device bytes reach the output buffer some time after it
 * empties, so the helpers run the clock (as the main loop would) until
 * OBF is set or a limit passes.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/irq.h"
#include "devices/i8042.h"

#define MS 1000000ull

static Bus *bus;
static Clock clk;
static I8042 *kbc;
static int irq_level[16];
static int irq_rises[16];
static int a20_calls, a20_state, reset_calls;

static void rec_set(void *opaque, int n, int level)
{
    (void)opaque;
    if (level && !irq_level[n]) irq_rises[n]++;
    irq_level[n] = level;
}

static void cb_a20(void *opaque, bool on)
{
    (void)opaque;
    a20_calls++;
    a20_state = on;
}

static void cb_reset(void *opaque)
{
    (void)opaque;
    reset_calls++;
}

static void out8(uint16_t port, uint8_t v)
{
    bus_io_write(bus, port, v, 1);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_io_read(bus, port, 1);
}

static void run_ns(uint64_t ns)
{
    uint64_t target = clock_now_ns(&clk) + ns;
    for (;;) {
        uint64_t d = clock_next_deadline(&clk);
        if (d > target) break;
        uint64_t now = clock_now_ns(&clk);
        if (d > now) clock_step_insns(&clk, d - now);
        clock_run_timers(&clk);
    }
    uint64_t now = clock_now_ns(&clk);
    if (target > now) clock_step_insns(&clk, target - now);
    clock_run_timers(&clk);
}

/* Runs up to 5 ms until OBF; returns the status then (0 if none). */
static uint8_t wait_obf(void)
{
    for (int i = 0; i < 500; i++) {
        uint8_t st = in8(0x64);
        if (st & 1) return st;
        run_ns(10000);
    }
    return 0;
}

/* Next byte: asserts one arrives; *aux gets status bit 5. */
static int next_byte_src(bool *aux)
{
    uint8_t st = wait_obf();
    if (!(st & 1)) return -1;
    if (aux) *aux = (st & 0x20) != 0;
    return in8(0x60);
}

static int next_byte(void)
{
    return next_byte_src(NULL);
}

static void expect(const uint8_t *bytes, int n)
{
    for (int i = 0; i < n; i++) {
        int b = next_byte();
        ck_assert_msg(b == bytes[i], "byte %d: got %#x, want %#x", i, b, bytes[i]);
    }
}
#define EXPECT(...)                                                                                \
    do {                                                                                           \
        const uint8_t e_[] = {__VA_ARGS__};                                                        \
        expect(e_, (int)sizeof e_);                                                                \
    } while (0)

static void expect_none(void)
{
    run_ns(2 * MS);
    ck_assert_uint_eq(in8(0x64) & 1, 0);
}

static void write_ctr(uint8_t v)
{
    out8(0x64, 0x60);
    out8(0x60, v);
}

static uint8_t read_ctr(void)
{
    out8(0x64, 0x20);
    return (uint8_t)next_byte();
}

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    clock_init(&clk, 1000000000);
    memset(irq_level, 0, sizeof irq_level);
    memset(irq_rises, 0, sizeof irq_rises);
    a20_calls = reset_calls = 0;
    a20_state = 1;
    I8042Config cfg = {cb_a20, cb_reset, NULL};
    kbc = i8042_new(bus, irq_line(rec_set, NULL, 1), irq_line(rec_set, NULL, 12), &clk, &cfg);
    ck_assert_ptr_nonnull(kbc);
}

static void teardown(void)
{
    i8042_free(kbc);
    bus_free(bus);
}

START_TEST(test_self_test)
{
    ck_assert_uint_eq(in8(0x64) & 0x04, 0); /* SYS clear at power-on */
    out8(0x64, 0xAA);
    uint8_t st = in8(0x64);
    ck_assert_uint_eq(st & 0x01, 1);    /* the reply is there at once */
    ck_assert_uint_eq(st & 0x08, 0x08); /* A2: last write was a command */
    ck_assert_uint_eq(st & 0x04, 0x04); /* SYS after a passed self test */
    ck_assert_uint_eq(st & 0x10, 0x10); /* keyboard not inhibited */
    ck_assert_uint_eq(in8(0x60), 0x55);
    ck_assert_uint_eq(in8(0x64) & 1, 0);
    out8(0x64, 0xAB);
    ck_assert_uint_eq(next_byte(), 0x00);
    out8(0x64, 0xA9);
    ck_assert_uint_eq(next_byte(), 0x00);
}
END_TEST

START_TEST(test_command_byte_round_trip)
{
    ck_assert_uint_eq(read_ctr(), 0x50);
    write_ctr(0x47);
    ck_assert_uint_eq(in8(0x64) & 0x08, 0); /* A2 clear after a data write */
    ck_assert_uint_eq(read_ctr(), 0x47);
    ck_assert_uint_eq(in8(0x64) & 0x04, 0x04); /* SYS follows bit 2 */
    write_ctr(0x43);
    ck_assert_uint_eq(in8(0x64) & 0x04, 0);
    out8(0x64, 0xAD);
    ck_assert_uint_eq(read_ctr(), 0x53);
    out8(0x64, 0xA7);
    ck_assert_uint_eq(read_ctr(), 0x73);
    out8(0x64, 0xAE);
    out8(0x64, 0xA8);
    ck_assert_uint_eq(read_ctr(), 0x43);
    /* Controller RAM beyond the command byte. */
    out8(0x64, 0x65);
    out8(0x60, 0x9C);
    out8(0x64, 0x25);
    ck_assert_uint_eq(next_byte(), 0x9C);
    out8(0x64, 0xC0);
    ck_assert_uint_eq(next_byte() & 0x80, 0x80); /* keyboard not inhibited */
}
END_TEST

START_TEST(test_key_translated)
{
    write_ctr(0x41);                     /* keyboard IRQ, translation */
    i8042_key_event(kbc, 0x1C, true);    /* A */
    ck_assert_uint_eq(in8(0x64) & 1, 0); /* not before a byte time */
    ck_assert_uint_eq(next_byte(), 0x1E);
    i8042_key_event(kbc, 0x1C, false);
    ck_assert_uint_eq(next_byte(), 0x9E);
    i8042_key_event(kbc, 0x76, true); /* Esc */
    i8042_key_event(kbc, 0x76, false);
    EXPECT(0x01, 0x81);
    i8042_key_event(kbc, 0x5A, true); /* Enter */
    i8042_key_event(kbc, 0x05, true); /* F1 */
    i8042_key_event(kbc, 0x83, true); /* F7 */
    EXPECT(0x1C, 0x3B, 0x41);
    expect_none();
}
END_TEST

START_TEST(test_key_untranslated)
{
    write_ctr(0x01);
    i8042_key_event(kbc, 0x1C, true);
    i8042_key_event(kbc, 0x1C, true); /* host auto-repeat: ignored */
    i8042_key_event(kbc, 0x1C, false);
    EXPECT(0x1C, 0xF0, 0x1C);
    expect_none();
}
END_TEST

START_TEST(test_extended_keys)
{
    write_ctr(0x01);
    i8042_key_event(kbc, I8042_KEY_EXT | 0x75, true); /* Up */
    i8042_key_event(kbc, I8042_KEY_EXT | 0x75, false);
    EXPECT(0xE0, 0x75, 0xE0, 0xF0, 0x75);
    write_ctr(0x41);
    i8042_key_event(kbc, I8042_KEY_EXT | 0x75, true);
    i8042_key_event(kbc, I8042_KEY_EXT | 0x75, false);
    EXPECT(0xE0, 0x48, 0xE0, 0xC8);
    i8042_key_event(kbc, I8042_KEY_EXT | 0x14, true); /* right Ctrl */
    EXPECT(0xE0, 0x1D);
    i8042_key_event(kbc, I8042_KEY_PAUSE, true);
    i8042_key_event(kbc, I8042_KEY_PAUSE, false);
    EXPECT(0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5);
    i8042_key_event(kbc, I8042_KEY_PRINT_SCREEN, true);
    EXPECT(0xE0, 0x2A, 0xE0, 0x37);
    /* Codes that are not keys are ignored. */
    i8042_key_event(kbc, 0x1234, true);
    i8042_key_event(kbc, 0xF0, true);
    expect_none();
}
END_TEST

START_TEST(test_keyboard_reset_and_id)
{
    write_ctr(0x01);
    out8(0x60, 0xFF);
    EXPECT(0xFA, 0xAA);
    out8(0x60, 0xF2);
    EXPECT(0xFA, 0xAB, 0x83);
    out8(0x60, 0xEE);
    EXPECT(0xEE);
    write_ctr(0x41); /* the controller translates the ID too */
    out8(0x60, 0xF2);
    EXPECT(0xFA, 0xAB, 0x41);
    out8(0x60, 0xFE); /* resend the last byte */
    EXPECT(0x41);
    out8(0x60, 0xD7); /* not a command */
    EXPECT(0xFE);
}
END_TEST

START_TEST(test_leds_and_disable)
{
    write_ctr(0x01);
    out8(0x60, 0xED);
    EXPECT(0xFA);
    out8(0x60, 0x05);
    EXPECT(0xFA);
    ck_assert_uint_eq(i8042_kbd_leds(kbc), I8042_LED_SCROLL | I8042_LED_CAPS);
    out8(0x60, 0xF5); /* disable scanning */
    EXPECT(0xFA);
    i8042_key_event(kbc, 0x1C, true);
    expect_none();
    out8(0x60, 0xF4);
    EXPECT(0xFA);
    i8042_key_event(kbc, 0x1C, false);
    EXPECT(0xF0, 0x1C);
    /* An ED whose argument is a command: the command wins. */
    out8(0x60, 0xED);
    EXPECT(0xFA);
    out8(0x60, 0xEE);
    EXPECT(0xEE);
}
END_TEST

START_TEST(test_scancode_sets)
{
    write_ctr(0x01);
    out8(0x60, 0xF0);
    out8(0x60, 0x00);
    EXPECT(0xFA, 0x02); /* the ACK of F0 was replaced by the second byte's */
    out8(0x60, 0xF0);
    EXPECT(0xFA);
    out8(0x60, 0x01);
    EXPECT(0xFA);
    out8(0x60, 0xF0);
    EXPECT(0xFA);
    out8(0x60, 0x00);
    EXPECT(0xFA, 0x01);
    i8042_key_event(kbc, 0x1C, true); /* set 1 straight from the keyboard */
    i8042_key_event(kbc, 0x1C, false);
    i8042_key_event(kbc, I8042_KEY_EXT | 0x75, true);
    EXPECT(0x1E, 0x9E, 0xE0, 0x48);
    out8(0x60, 0xF0);
    EXPECT(0xFA);
    out8(0x60, 0x07); /* no such set */
    EXPECT(0xFE);
    out8(0x60, 0x02);
    EXPECT(0xFA);
    write_ctr(0x41); /* translated, set 2 reads as 41 */
    out8(0x60, 0xF0);
    EXPECT(0xFA);
    out8(0x60, 0x00);
    EXPECT(0xFA, 0x41);
}
END_TEST

START_TEST(test_a20_and_reset)
{
    out8(0x64, 0xD0);
    ck_assert_uint_eq(next_byte() & 0x03, 0x03); /* A20 on, not in reset */
    out8(0x64, 0xD1);
    out8(0x60, 0xDD);
    ck_assert_int_eq(a20_calls, 1);
    ck_assert_int_eq(a20_state, 0);
    out8(0x64, 0xD0);
    ck_assert_uint_eq(next_byte() & 0x02, 0);
    out8(0x64, 0xD1);
    out8(0x60, 0xDF);
    ck_assert_int_eq(a20_calls, 2);
    ck_assert_int_eq(a20_state, 1);
    out8(0x64, 0xDF); /* already on: no edge */
    ck_assert_int_eq(a20_calls, 2);
    out8(0x64, 0xDD);
    ck_assert_int_eq(a20_state, 0);
    out8(0x64, 0xDF);
    ck_assert_int_eq(a20_state, 1);
    ck_assert_int_eq(a20_calls, 4);
    ck_assert_int_eq(reset_calls, 0);
    out8(0x64, 0xFF); /* pulses nothing */
    out8(0x64, 0xFD); /* pulses A20 only */
    ck_assert_int_eq(reset_calls, 0);
    out8(0x64, 0xFE);
    ck_assert_int_eq(reset_calls, 1);
    out8(0x64, 0xF0);
    ck_assert_int_eq(reset_calls, 2);
    out8(0x64, 0xD1);
    out8(0x60, 0xDE); /* bit 0 low: reset */
    ck_assert_int_eq(reset_calls, 3);
    ck_assert_int_eq(a20_state, 1);
}
END_TEST

START_TEST(test_mouse_reset_and_intellimouse)
{
    write_ctr(0x03);
    out8(0x64, 0xD4);
    out8(0x60, 0xFF);
    bool aux = false;
    ck_assert_int_eq(next_byte_src(&aux), 0xFA);
    ck_assert(aux);
    ck_assert_int_eq(irq_level[12], 0); /* read: line down */
    ck_assert_int_eq(irq_rises[12], 1);
    ck_assert_int_eq(irq_rises[1], 0);
    EXPECT(0xAA, 0x00);
    out8(0x64, 0xD4);
    out8(0x60, 0xF2);
    EXPECT(0xFA, 0x00);
    static const uint8_t magic[] = {200, 100, 80};
    for (int i = 0; i < 3; i++) {
        out8(0x64, 0xD4);
        out8(0x60, 0xF3);
        EXPECT(0xFA);
        out8(0x64, 0xD4);
        out8(0x60, magic[i]);
        EXPECT(0xFA);
    }
    out8(0x64, 0xD4);
    out8(0x60, 0xF2);
    EXPECT(0xFA, 0x03);
    out8(0x64, 0xD4); /* status: stream, disabled, 1:1, res 2, rate 80 */
    out8(0x60, 0xE9);
    EXPECT(0xFA, 0x00, 0x02, 80);
    out8(0x64, 0xD4);
    out8(0x60, 0xFF);
    EXPECT(0xFA, 0xAA, 0x00);
    out8(0x64, 0xD4);
    out8(0x60, 0xF2);
    EXPECT(0xFA, 0x00); /* reset leaves wheel mode */
}
END_TEST

static void mouse_cmd(uint8_t v)
{
    out8(0x64, 0xD4);
    out8(0x60, v);
    EXPECT(0xFA);
}

START_TEST(test_mouse_packets)
{
    write_ctr(0x03);
    i8042_mouse_event(kbc, 4, 4, 0, 0); /* reporting disabled: nothing */
    expect_none();
    mouse_cmd(0xF4);
    i8042_mouse_event(kbc, 10, -20, 0, I8042_BUTTON_RIGHT);
    EXPECT(0x0A, 10, 20); /* y up is positive on PS/2 */
    i8042_mouse_event(kbc, -5, 3, 0, I8042_BUTTON_LEFT);
    EXPECT(0x39, 0xFB, 0xFD);
    i8042_mouse_event(kbc, 300, 0, 0, 0); /* beyond 9 bits: overflow */
    EXPECT(0x48, 0xFF, 0x00);
    /* Wheel mode: a fourth byte, positive = towards the user. */
    static const uint8_t magic[] = {200, 100, 80};
    for (int i = 0; i < 3; i++) {
        mouse_cmd(0xF3);
        mouse_cmd(magic[i]);
    }
    i8042_mouse_event(kbc, -1, 0, 2, I8042_BUTTON_MIDDLE); /* wheel up 2 */
    bool aux = false;
    ck_assert_int_eq(next_byte_src(&aux), 0x1C);
    ck_assert(aux);
    EXPECT(0xFF, 0x00, 0xFE);
    expect_none();
    /* Motion while a packet waits is merged into the next one. */
    i8042_mouse_event(kbc, 1, 0, 0, 0);
    i8042_mouse_event(kbc, 2, 0, 0, 0);
    i8042_mouse_event(kbc, 3, 0, 0, 0);
    EXPECT(0x08, 1, 0, 0, 0x08, 5, 0, 0);
    expect_none();
    /* Remote mode: only on request. */
    mouse_cmd(0xF0);
    i8042_mouse_event(kbc, 7, 0, 0, 0);
    expect_none();
    mouse_cmd(0xEB);
    EXPECT(0x08, 7, 0, 0);
}
END_TEST

START_TEST(test_irq_routing)
{
    write_ctr(0x40); /* no interrupts */
    i8042_key_event(kbc, 0x1C, true);
    ck_assert_uint_eq(wait_obf(), 0x11); /* OBF | not inhibited */
    ck_assert_int_eq(irq_level[1], 0);
    write_ctr(0x41); /* enabling raises the line for the waiting byte */
    ck_assert_int_eq(irq_level[1], 1);
    ck_assert_int_eq(irq_level[12], 0);
    ck_assert_uint_eq(in8(0x60), 0x1E);
    ck_assert_int_eq(irq_level[1], 0);
    /* The mouse goes to IRQ12 only, and only with bit 1. */
    out8(0x64, 0xD4);
    out8(0x60, 0xF4);
    ck_assert_uint_eq(wait_obf(), 0x31);
    ck_assert_int_eq(irq_level[12], 0);
    ck_assert_int_eq(irq_level[1], 0);
    write_ctr(0x43);
    ck_assert_int_eq(irq_level[12], 1);
    ck_assert_int_eq(irq_level[1], 0);
    ck_assert_uint_eq(in8(0x60), 0xFA);
    ck_assert_int_eq(irq_level[12], 0);
    /* Keyboard first when both have bytes; the mouse waits its turn. */
    i8042_mouse_event(kbc, 1, 0, 0, 0);
    i8042_key_event(kbc, 0x1C, false);
    bool aux = true;
    ck_assert_int_eq(next_byte_src(&aux), 0x9E);
    ck_assert(!aux);
    ck_assert_int_eq(next_byte_src(&aux), 0x08);
    ck_assert(aux);
    ck_assert_int_eq(irq_rises[12], 2);
    /* A disabled port holds its bytes. */
    out8(0x64, 0xAD);
    i8042_key_event(kbc, 0x1C, true);
    ck_assert_int_eq(next_byte_src(&aux), 1); /* the rest of the packet */
    ck_assert_int_eq(next_byte_src(&aux), 0);
    expect_none();
    out8(0x64, 0xAE);
    ck_assert_int_eq(next_byte(), 0x1E);
    /* 0xD2 / 0xD3 inject bytes as from either port. */
    out8(0x64, 0xD2);
    out8(0x60, 0x5A);
    ck_assert_int_eq(irq_level[1], 1);
    ck_assert_int_eq(next_byte_src(&aux), 0x5A);
    ck_assert(!aux);
    out8(0x64, 0xD3);
    out8(0x60, 0xA5);
    ck_assert_int_eq(irq_level[12], 1);
    ck_assert_int_eq(next_byte_src(&aux), 0xA5);
    ck_assert(aux);
}
END_TEST

START_TEST(test_double_read_loses_nothing)
{
    write_ctr(0x41);
    i8042_key_event(kbc, 0x1C, true);
    i8042_key_event(kbc, 0x1C, false);
    ck_assert_int_eq(next_byte(), 0x1E);
    ck_assert_uint_eq(in8(0x60), 0x1E); /* stale, the break is still coming */
    ck_assert_int_eq(next_byte(), 0x9E);
}
END_TEST

/* Counts the make codes the keyboard sends from now for ns. */
static int count_bytes_for(uint64_t ns, uint8_t want)
{
    int n = 0;
    uint64_t end = clock_now_ns(&clk) + ns;
    while (clock_now_ns(&clk) < end) {
        if (in8(0x64) & 1) {
            ck_assert_uint_eq(in8(0x60), want);
            n++;
        }
        run_ns(10000);
    }
    return n;
}

START_TEST(test_typematic)
{
    write_ctr(0x41);
    i8042_key_event(kbc, 0x1C, true);
    ck_assert_int_eq(next_byte(), 0x1E);
    /* Default: 500 ms delay, then every 2 * 11 / 240 s = 91.67 ms. */
    ck_assert_int_eq(count_bytes_for(495 * MS, 0x1E), 0);
    ck_assert_int_eq(count_bytes_for(10 * MS, 0x1E), 1);
    ck_assert_int_eq(count_bytes_for(80 * MS, 0x1E), 0);
    ck_assert_int_eq(count_bytes_for(10 * MS, 0x1E), 1);
    i8042_key_event(kbc, 0x1C, false);
    EXPECT(0x9E);
    expect_none();
    run_ns(1000 * MS);
    expect_none();
    /* Fastest: 250 ms, then 30/s. */
    out8(0x60, 0xF3);
    EXPECT(0xFA);
    out8(0x60, 0x00);
    EXPECT(0xFA);
    i8042_key_event(kbc, 0x2A, true); /* V */
    ck_assert_int_eq(next_byte(), 0x2F);
    ck_assert_int_eq(count_bytes_for(245 * MS, 0x2F), 0);
    /* Repeats at 250 ms + k * 33.3 ms: 250, 283, ..., 983 in the next 0.75 s. */
    ck_assert_int_eq(count_bytes_for(750 * MS, 0x2F), 23);
    /* A second key takes over the repeat; releasing it ends all repeat. */
    i8042_key_event(kbc, 0x32, true); /* B */
    ck_assert_int_eq(next_byte(), 0x30);
    ck_assert_int_eq(count_bytes_for(400 * MS, 0x30), 5);
    i8042_key_event(kbc, 0x32, false);
    EXPECT(0xB0);
    run_ns(500 * MS);
    expect_none();
}
END_TEST

START_TEST(test_reset_device)
{
    write_ctr(0x43);
    i8042_key_event(kbc, 0x1C, true);
    ck_assert_uint_eq(wait_obf() & 1, 1);
    ck_assert_int_eq(irq_level[1], 1);
    i8042_reset(kbc);
    ck_assert_int_eq(irq_level[1], 0);
    ck_assert_uint_eq(in8(0x64) & 1, 0);
    ck_assert_uint_eq(read_ctr(), 0x50);
}
END_TEST

static Suite *i8042_suite(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("8042");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_self_test);
    tcase_add_test(tc, test_command_byte_round_trip);
    tcase_add_test(tc, test_key_translated);
    tcase_add_test(tc, test_key_untranslated);
    tcase_add_test(tc, test_extended_keys);
    tcase_add_test(tc, test_keyboard_reset_and_id);
    tcase_add_test(tc, test_leds_and_disable);
    tcase_add_test(tc, test_scancode_sets);
    tcase_add_test(tc, test_a20_and_reset);
    tcase_add_test(tc, test_mouse_reset_and_intellimouse);
    tcase_add_test(tc, test_mouse_packets);
    tcase_add_test(tc, test_irq_routing);
    tcase_add_test(tc, test_double_read_loses_nothing);
    tcase_add_test(tc, test_typematic);
    tcase_add_test(tc, test_reset_device);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(i8042_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
