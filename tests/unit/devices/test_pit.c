/*
 * test_pit.c - the 8254 PIT and port 0x61 (devices/pit.c) on a real bus and
 * a virtual clock at 1 ns per instruction. Time is moved the way the main
 * loop moves it: run to each timer deadline, fire, go on. Tick k of the
 * PIT's 1.193182 MHz input starts at ceil(k * 1e9 / PIT_HZ) ns; a count
 * written in tick T is loaded by the CLK pulse at T+1.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/irq.h"
#include "devices/pit.h"

#define MAX_EDGES 64

typedef struct IrqRec {
    int level;
    int rises;
    int falls;
    int calls;
    uint64_t rise_ns[MAX_EDGES];
    uint64_t fall_ns[MAX_EDGES];
} IrqRec;

static Bus *bus;
static Clock clk;
static IrqRec rec;
static Pit *pit;
static int timer_runs; /* deadlines the fake main loop stopped at */

static void rec_set(void *opaque, int n, int level)
{
    IrqRec *r = opaque;
    (void)n;
    uint64_t now = clock_now_ns(&clk);
    if (level && !r->level) {
        if (r->rises < MAX_EDGES) r->rise_ns[r->rises] = now;
        r->rises++;
    }
    if (!level && r->level) {
        if (r->falls < MAX_EDGES) r->fall_ns[r->falls] = now;
        r->falls++;
    }
    r->level = level;
    r->calls++;
}

static void out8(uint16_t port, uint8_t v)
{
    bus_io_write(bus, port, v, 1);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_io_read(bus, port, 1);
}

static uint64_t tick_ns(uint64_t k)
{
    return (k * 1000000000ull + PIT_HZ - 1) / PIT_HZ;
}

/* The main loop: run to each deadline up to target, firing timers. */
static void run_until_ns(uint64_t target)
{
    for (;;) {
        uint64_t d = clock_next_deadline(&clk);
        if (d > target) break;
        uint64_t now = clock_now_ns(&clk);
        if (d > now) clock_step_insns(&clk, d - now);
        clock_run_timers(&clk);
        timer_runs++;
    }
    uint64_t now = clock_now_ns(&clk);
    if (target > now) clock_step_insns(&clk, target - now);
    clock_run_timers(&clk);
}

static void goto_tick(uint64_t k)
{
    run_until_ns(tick_ns(k));
}

/* Programs a counter: control word, then the count LSB and MSB. */
static void program(int ch, uint8_t control, uint16_t count)
{
    out8(0x43, control);
    out8((uint16_t)(0x40 + ch), count & 0xFF);
    out8((uint16_t)(0x40 + ch), count >> 8);
}

/* Counter latch command, then LSB and MSB (RW mode 3). */
static uint16_t read_count(int ch)
{
    out8(0x43, (uint8_t)(ch << 6));
    uint8_t lo = in8((uint16_t)(0x40 + ch));
    uint8_t hi = in8((uint16_t)(0x40 + ch));
    return (uint16_t)(lo | hi << 8);
}

static uint8_t read_status(int ch)
{
    out8(0x43, (uint8_t)(0xE0 | (2 << ch)));
    return in8((uint16_t)(0x40 + ch));
}

/* Two reads without a latch command (RW mode 3). */
static uint16_t read_live(int ch)
{
    uint8_t lo = in8((uint16_t)(0x40 + ch));
    uint8_t hi = in8((uint16_t)(0x40 + ch));
    return (uint16_t)(lo | hi << 8);
}

static int out2(void)
{
    return (in8(0x61) >> 5) & 1;
}

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    clock_init(&clk, 1000000000); /* 1 ns per instruction */
    memset(&rec, 0, sizeof rec);
    timer_runs = 0;
    pit = pit_new(bus, &clk, irq_line(rec_set, &rec, 0));
    ck_assert_ptr_nonnull(pit);
}

static void teardown(void)
{
    pit_free(pit);
    bus_free(bus);
}

START_TEST(test_mode0_interrupt_on_terminal_count)
{
    program(0, 0x30, 100);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    goto_tick(1);
    ck_assert_uint_eq(read_count(0), 100);
    goto_tick(50);
    ck_assert_uint_eq(read_count(0), 51);
    goto_tick(100);
    ck_assert_uint_eq(read_count(0), 1);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    ck_assert_int_eq(rec.rises, 0);
    /* OUT rises N+1 pulses after the count was written. */
    goto_tick(101);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    ck_assert_int_eq(rec.rises, 1);
    ck_assert_uint_eq(rec.rise_ns[0], tick_ns(101));
    /* The counter keeps counting through 0, OUT stays high. */
    goto_tick(106);
    ck_assert_uint_eq(read_count(0), 65531);
    goto_tick(70000);
    ck_assert_int_eq(rec.rises, 1);
    ck_assert_int_eq(rec.falls, 0);
    ck_assert_int_eq(rec.level, 1);
}
END_TEST

START_TEST(test_mode0_count_zero_is_65536)
{
    program(0, 0x30, 0);
    goto_tick(1);
    ck_assert_uint_eq(read_count(0), 0);
    goto_tick(2);
    ck_assert_uint_eq(read_count(0), 65535);
    goto_tick(65536);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    goto_tick(65537);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    ck_assert_uint_eq(rec.rise_ns[0], tick_ns(65537));
}
END_TEST

START_TEST(test_mode0_rewrite_while_counting)
{
    program(0, 0x30, 10);
    goto_tick(20);
    ck_assert_int_eq(rec.rises, 1); /* terminal count at tick 11 */
    /* The first byte of a new count stops the counter and drops OUT. */
    out8(0x40, 50);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    ck_assert_int_eq(rec.level, 0);
    uint16_t held = read_count(0);
    ck_assert_uint_eq(held, (uint16_t)(10 - 19));
    goto_tick(30);
    ck_assert_uint_eq(read_count(0), held);
    /* The second byte loads it on the next pulse. */
    out8(0x40, 0);
    goto_tick(31);
    ck_assert_uint_eq(read_count(0), 50);
    goto_tick(80);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    goto_tick(81);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    ck_assert_int_eq(rec.rises, 2);
    ck_assert_uint_eq(rec.rise_ns[1], tick_ns(81));
    /* An LSB-only count in mode 0 restarts at once. */
    out8(0x43, 0x10);
    out8(0x40, 5);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    goto_tick(81 + 6);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
}
END_TEST

START_TEST(test_mode0_gate_channel2)
{
    /* Gate low (port 0x61 bit 0 = 0): the count loads but does not run. */
    program(2, 0xB0, 20);
    goto_tick(10);
    ck_assert_uint_eq(read_count(2), 20);
    out8(0x61, 0x01);
    goto_tick(15);
    ck_assert_uint_eq(read_count(2), 15);
    out8(0x61, 0x00);
    goto_tick(40);
    ck_assert_uint_eq(read_count(2), 15);
    ck_assert_int_eq(out2(), 0);
    out8(0x61, 0x01);
    goto_tick(54);
    ck_assert_uint_eq(read_count(2), 1);
    ck_assert_int_eq(out2(), 0);
    goto_tick(55);
    ck_assert_int_eq(out2(), 1);
    ck_assert_int_eq(pit_get_out(pit, 2), 1);
    ck_assert_int_eq(rec.calls, 0); /* channel 2 is not wired to irq0 */
}
END_TEST

START_TEST(test_mode1_retriggerable_one_shot)
{
    program(2, 0xB2, 10);
    ck_assert_int_eq(out2(), 1);
    goto_tick(30);
    ck_assert_int_eq(out2(), 1); /* nothing happens without a trigger */
    out8(0x61, 0x01);            /* gate rising edge */
    goto_tick(31);
    ck_assert_int_eq(out2(), 0);
    ck_assert_uint_eq(read_count(2), 10);
    goto_tick(40);
    ck_assert_int_eq(out2(), 0);
    ck_assert_uint_eq(read_count(2), 1);
    goto_tick(41);
    ck_assert_int_eq(out2(), 1);
    ck_assert_uint_eq(read_count(2), 0);
    /* The gate level does not gate the count. */
    out8(0x61, 0x00);
    goto_tick(50);
    ck_assert_uint_eq(read_count(2), (uint16_t)(10 - 19));
    /* Retrigger in the middle of a pulse: it restarts from N. */
    out8(0x61, 0x01);
    goto_tick(55);
    ck_assert_uint_eq(read_count(2), 6);
    out8(0x61, 0x00);
    out8(0x61, 0x01);
    goto_tick(65);
    ck_assert_int_eq(out2(), 0);
    goto_tick(66);
    ck_assert_int_eq(out2(), 1);
    /* A new count waits for the next trigger. */
    out8(0x42, 3);
    out8(0x42, 0);
    goto_tick(70);
    ck_assert_int_eq(out2(), 1);
    ck_assert_uint_eq(read_count(2), (uint16_t)(10 - 14));
    out8(0x61, 0x00);
    out8(0x61, 0x01);
    goto_tick(73);
    ck_assert_int_eq(out2(), 0);
    goto_tick(74);
    ck_assert_int_eq(out2(), 1);
}
END_TEST

START_TEST(test_mode2_rate_generator_waveform)
{
    static const uint16_t ce[] = {5, 4, 3, 2, 1, 5, 4, 3, 2, 1, 5};
    static const int out[] = {1, 1, 1, 1, 0, 1, 1, 1, 1, 0, 1};
    program(0, 0x34, 5);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    for (int k = 1; k <= 11; k++) {
        goto_tick((uint64_t)k);
        ck_assert_uint_eq(read_count(0), ce[k - 1]);
        ck_assert_int_eq(pit_get_out(pit, 0), out[k - 1]);
    }
    /* irq0: low for the one pulse at which the CE holds 1. */
    ck_assert_int_eq(rec.falls, 2);
    ck_assert_int_eq(rec.rises, 3); /* the control word raised it first */
    ck_assert_uint_eq(rec.fall_ns[0], tick_ns(5));
    ck_assert_uint_eq(rec.rise_ns[1], tick_ns(6));
    ck_assert_uint_eq(rec.fall_ns[1], tick_ns(10));
    ck_assert_uint_eq(rec.rise_ns[2], tick_ns(11));
}
END_TEST

START_TEST(test_mode2_irq0_period)
{
    program(0, 0x34, 1193); /* ~1 kHz, as Linux programs it */
    ck_assert_int_eq(rec.rises, 1);
    goto_tick(1 + 1193 * 20);
    ck_assert_int_eq(rec.rises, 21);
    ck_assert_int_eq(rec.falls, 20);
    for (int k = 1; k <= 20; k++)
        ck_assert_uint_eq(rec.rise_ns[k], tick_ns(1 + 1193 * (uint64_t)k));
    /* One timer stop per period: the one-tick low pulse is delivered with
     * the rising edge. */
    ck_assert_int_eq(timer_runs, 20);
}
END_TEST

START_TEST(test_mode2_new_count_at_end_of_period)
{
    program(0, 0x34, 100);
    goto_tick(30);
    out8(0x40, 50);
    out8(0x40, 0);
    ck_assert_uint_eq(read_status(0) & 0x40, 0x40); /* null count until the reload */
    goto_tick(100);
    ck_assert_uint_eq(read_count(0), 1);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    ck_assert_uint_eq(read_status(0) & 0x40, 0x40);
    goto_tick(101);
    ck_assert_uint_eq(read_count(0), 50);
    ck_assert_uint_eq(read_status(0) & 0x40, 0);
    goto_tick(150);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    goto_tick(151);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    ck_assert_uint_eq(rec.rise_ns[1], tick_ns(101));
    ck_assert_uint_eq(rec.rise_ns[2], tick_ns(151));
}
END_TEST

START_TEST(test_mode3_square_wave_even)
{
    static const uint16_t ce[] = {4, 2, 4, 2, 4, 2, 4, 2};
    static const int out[] = {1, 1, 0, 0, 1, 1, 0, 0};
    program(0, 0x36, 4);
    for (int k = 1; k <= 8; k++) {
        goto_tick((uint64_t)k);
        ck_assert_uint_eq(read_count(0), ce[k - 1]);
        ck_assert_int_eq(pit_get_out(pit, 0), out[k - 1]);
    }
}
END_TEST

START_TEST(test_mode3_square_wave_odd)
{
    /* Odd N: high (N+1)/2 pulses, low (N-1)/2, the CE loaded with N-1. */
    static const uint16_t ce[] = {4, 2, 0, 4, 2, 4, 2, 0, 4, 2};
    static const int out[] = {1, 1, 1, 0, 0, 1, 1, 1, 0, 0};
    program(0, 0x36, 5);
    for (int k = 1; k <= 10; k++) {
        goto_tick((uint64_t)k);
        ck_assert_uint_eq(read_count(0), ce[k - 1]);
        ck_assert_int_eq(pit_get_out(pit, 0), out[k - 1]);
    }
    ck_assert_uint_eq(rec.fall_ns[0], tick_ns(4));
    ck_assert_uint_eq(rec.rise_ns[1], tick_ns(6));
}
END_TEST

START_TEST(test_mode3_irq0_18hz)
{
    /* The BIOS setting: mode 3, count 0 = 65536, 18.2 Hz. */
    program(0, 0x36, 0);
    ck_assert_int_eq(rec.rises, 1);
    run_until_ns(1000000000);
    ck_assert_int_eq(rec.rises, 1 + 18);
    ck_assert_int_eq(rec.falls, 18);
    for (int k = 1; k <= 18; k++) {
        ck_assert_uint_eq(rec.rise_ns[k], tick_ns(1 + 65536 * (uint64_t)k));
        ck_assert_uint_eq(rec.fall_ns[k - 1], tick_ns(1 + 32768 + 65536 * (uint64_t)(k - 1)));
    }
    ck_assert_int_le(timer_runs, 40);
}
END_TEST

START_TEST(test_mode3_new_count_at_end_of_half_cycle)
{
    program(0, 0x36, 10);
    /* Written in the high half (ticks 1-5): takes over at tick 6 with the
     * new count's low half. */
    goto_tick(3);
    out8(0x40, 4);
    out8(0x40, 0);
    static const int out_a[] = {1, 1, 0, 0, 1, 1, 0, 0};
    for (int k = 4; k <= 11; k++) {
        goto_tick((uint64_t)k);
        ck_assert_int_eq(pit_get_out(pit, 0), out_a[k - 4]);
    }
    goto_tick(14);
    ck_assert_uint_eq(read_count(0), 4);
    /* Written in a low half: the new count starts high when it ends. */
    program(0, 0x36, 10); /* at tick 14: loaded at 15, low at 20-24 */
    goto_tick(21);
    out8(0x40, 6);
    out8(0x40, 0);
    goto_tick(24);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    goto_tick(25);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    ck_assert_uint_eq(read_count(0), 6);
    goto_tick(27);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    goto_tick(28);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
}
END_TEST

START_TEST(test_mode4_software_strobe)
{
    program(0, 0x38, 3);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    goto_tick(3);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    ck_assert_uint_eq(read_count(0), 1);
    goto_tick(4);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    ck_assert_uint_eq(read_count(0), 0);
    goto_tick(5);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    /* Once per count: no strobe when the wrapped counter passes 0 again. */
    goto_tick(4 + 65536);
    ck_assert_uint_eq(read_count(0), 0);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    ck_assert_int_eq(rec.falls, 1);
    ck_assert_uint_eq(rec.fall_ns[0], tick_ns(4));
    ck_assert_uint_eq(rec.rise_ns[1], tick_ns(5));
    /* Rewriting the count retriggers the strobe. */
    uint64_t t = 4 + 65536;
    program(0, 0x38, 2);
    goto_tick(t + 3);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    /* Unobserved, a one-tick strobe reaches irq0 as a 0-1 pulse at its
     * rising edge (no timer stop for the short low pulse itself). */
    goto_tick(t + 4);
    ck_assert_int_eq(rec.falls, 2);
    ck_assert_int_eq(rec.rises, 3);
    ck_assert_uint_eq(rec.fall_ns[1], tick_ns(t + 4));
    ck_assert_uint_eq(rec.rise_ns[2], tick_ns(t + 4));
    /* Channel 2, gate low: counting is held. */
    program(2, 0xB8, 5);
    goto_tick(t + 20);
    ck_assert_uint_eq(read_count(2), 5);
    out8(0x61, 0x01);
    goto_tick(t + 24);
    ck_assert_int_eq(out2(), 1);
    goto_tick(t + 25);
    ck_assert_int_eq(out2(), 0);
    goto_tick(t + 26);
    ck_assert_int_eq(out2(), 1);
}
END_TEST

START_TEST(test_mode5_hardware_strobe)
{
    program(2, 0xBA, 4);
    goto_tick(10);
    ck_assert_int_eq(out2(), 1);
    out8(0x61, 0x01); /* trigger: loaded at 11, strobe at 15 */
    goto_tick(14);
    ck_assert_int_eq(out2(), 1);
    ck_assert_uint_eq(read_count(2), 1);
    goto_tick(15);
    ck_assert_int_eq(out2(), 0);
    goto_tick(16);
    ck_assert_int_eq(out2(), 1);
    /* Retrigger before the end restarts the count. */
    out8(0x61, 0x00);
    goto_tick(20);
    out8(0x61, 0x01); /* strobe at 25 */
    goto_tick(23);
    out8(0x61, 0x00);
    out8(0x61, 0x01); /* restarted: strobe at 28 */
    goto_tick(25);
    ck_assert_int_eq(out2(), 1);
    goto_tick(28);
    ck_assert_int_eq(out2(), 0);
    goto_tick(29);
    ck_assert_int_eq(out2(), 1);
}
END_TEST

START_TEST(test_bcd_counting)
{
    program(0, 0x31, 0x0100); /* 100 decimal */
    goto_tick(11);
    ck_assert_uint_eq(read_count(0), 0x0090);
    goto_tick(92);
    ck_assert_uint_eq(read_count(0), 0x0009);
    goto_tick(101);
    ck_assert_uint_eq(read_count(0), 0x0000);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    goto_tick(102);
    ck_assert_uint_eq(read_count(0), 0x9999);
    /* Count 0 in BCD is 10000. */
    program(0, 0x31, 0);
    goto_tick(103);
    ck_assert_uint_eq(read_count(0), 0x0000);
    goto_tick(104);
    ck_assert_uint_eq(read_count(0), 0x9999);
    goto_tick(102 + 10000);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    goto_tick(103 + 10000);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    /* Mode 2 in BCD: period 10 decimal. */
    program(1, 0x75, 0x0010);
    goto_tick(200);
    uint16_t a = read_count(1);
    goto_tick(210);
    ck_assert_uint_eq(read_count(1), a);
    ck_assert_uint_le(a, 0x0010);
}
END_TEST

START_TEST(test_access_modes)
{
    /* LSB only: one byte written, one byte read. */
    out8(0x43, 0x50); /* counter 1, LSB, mode 0 */
    out8(0x41, 0x20);
    goto_tick(1);
    ck_assert_uint_eq(in8(0x41), 0x20);
    ck_assert_uint_eq(in8(0x41), 0x20);
    goto_tick(5);
    ck_assert_uint_eq(in8(0x41), 0x1C);
    /* MSB only: the count is 0x0100. */
    out8(0x43, 0x60);
    out8(0x41, 0x01);
    goto_tick(6);
    ck_assert_uint_eq(in8(0x41), 0x01);
    goto_tick(7);
    ck_assert_uint_eq(in8(0x41), 0x00); /* 0x00FF */
    goto_tick(6 + 256);
    ck_assert_int_eq(pit_get_out(pit, 1), 1);
    /* LSB then MSB, read live: two reads, low byte first. */
    out8(0x43, 0x70);
    out8(0x41, 0x34);
    out8(0x41, 0x12);
    goto_tick(263);
    ck_assert_uint_eq(in8(0x41), 0x34);
    ck_assert_uint_eq(in8(0x41), 0x12);
    goto_tick(265);
    ck_assert_uint_eq(in8(0x41), 0x32);
    ck_assert_uint_eq(in8(0x41), 0x12);
}
END_TEST

START_TEST(test_counter_latch)
{
    program(0, 0x34, 1000);
    goto_tick(100);
    out8(0x43, 0x00);
    goto_tick(200);
    ck_assert_uint_eq(in8(0x40), 901 & 0xFF);
    out8(0x43, 0x00); /* ignored: the first latch is not fully read */
    goto_tick(300);
    ck_assert_uint_eq(in8(0x40), 901 >> 8);
    /* Read, the output latch follows the CE again. */
    ck_assert_uint_eq(in8(0x40), 701 & 0xFF);
    ck_assert_uint_eq(in8(0x40), 701 >> 8);
    out8(0x43, 0x00);
    goto_tick(400);
    out8(0x43, 0x00); /* ignored */
    ck_assert_uint_eq(read_live(0), 701);
    /* A control word discards a pending latch. */
    out8(0x43, 0x00);
    program(0, 0x34, 1000);
    goto_tick(401);
    ck_assert_uint_eq(read_live(0), 1000);
}
END_TEST

START_TEST(test_read_back_status)
{
    out8(0x43, 0x34);
    /* After a control word: OUT high (mode 2), null count, 0x34's bits. */
    ck_assert_uint_eq(read_status(0), 0xC0 | 0x34);
    out8(0x40, 10);
    out8(0x40, 0);
    ck_assert_uint_eq(read_status(0), 0xC0 | 0x34); /* not loaded yet */
    goto_tick(1);
    ck_assert_uint_eq(read_status(0), 0x80 | 0x34);
    goto_tick(10);
    ck_assert_uint_eq(read_status(0), 0x34); /* OUT low at CE = 1 */
    /* Count and status together: status first, then the count. */
    goto_tick(12);
    out8(0x43, 0xC2);
    goto_tick(20);
    ck_assert_uint_eq(in8(0x40), 0x80 | 0x34);
    ck_assert_uint_eq(in8(0x40), 9);
    ck_assert_uint_eq(in8(0x40), 0);
    /* A second status latch before the read is ignored. */
    goto_tick(21);
    out8(0x43, 0xE2);
    goto_tick(30);
    ck_assert_int_eq(pit_get_out(pit, 0), 0); /* CE = 1 */
    out8(0x43, 0xE2);
    ck_assert_uint_eq(in8(0x40), 0x80 | 0x34);
    /* Several counters at once, with the mode and BCD bits as written. */
    out8(0x43, 0x7D); /* counter 1: mode 6 (= 2), BCD */
    out8(0x43, 0xB6);
    out8(0x42, 4);
    out8(0x42, 0);
    out8(0x43, 0xEC); /* status of counters 1 and 2 */
    ck_assert_uint_eq(in8(0x41), 0xC0 | 0x3D);
    ck_assert_uint_eq(in8(0x42), 0xC0 | 0x36);
    /* Count only (D4 = 1), several counters. */
    goto_tick(100);
    out8(0x43, 0xD6); /* counts of 0 and 2 */
    goto_tick(105);
    ck_assert_uint_eq(read_live(2), 4); /* gate 2 low: held */
    ck_assert_uint_eq(read_live(0), 10 - (100 - 1) % 10);
}
END_TEST

START_TEST(test_mode6_and_7_alias_2_and_3)
{
    program(0, 0x3C, 4); /* "mode 6" */
    goto_tick(4);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    goto_tick(5);
    ck_assert_int_eq(pit_get_out(pit, 0), 1);
    program(0, 0x3E, 4); /* "mode 7" at tick 5 */
    goto_tick(8);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    ck_assert_uint_eq(read_status(0) & 0x3F, 0x3E);
}
END_TEST

START_TEST(test_gate_channel2_modes2_and_3)
{
    out8(0x61, 0x01);
    program(2, 0xB6, 4);
    goto_tick(3);
    ck_assert_int_eq(out2(), 0);
    /* A low gate forces OUT high and stops the count. */
    out8(0x61, 0x00);
    ck_assert_int_eq(out2(), 1);
    goto_tick(10);
    ck_assert_int_eq(out2(), 1);
    ck_assert_uint_eq(read_count(2), 4);
    /* The rising edge reloads on the next pulse, starting high. */
    out8(0x61, 0x01);
    goto_tick(11);
    ck_assert_int_eq(out2(), 1);
    goto_tick(13);
    ck_assert_int_eq(out2(), 0);
    goto_tick(15);
    ck_assert_int_eq(out2(), 1);
    /* Mode 2: same gate rules; OUT goes low N pulses after the trigger. */
    program(2, 0xB4, 3);
    goto_tick(16);
    out8(0x61, 0x00);
    goto_tick(30);
    ck_assert_int_eq(out2(), 1);
    out8(0x61, 0x01);
    goto_tick(32);
    ck_assert_int_eq(out2(), 1);
    goto_tick(33);
    ck_assert_int_eq(out2(), 0);
    goto_tick(34);
    ck_assert_int_eq(out2(), 1);
}
END_TEST

START_TEST(test_port61)
{
    out8(0x61, 0xFF);
    ck_assert_uint_eq(in8(0x61) & 0xCF, 0x0F); /* bits 0-3 stored, 6-7 zero */
    out8(0x61, 0x0C);
    ck_assert_uint_eq(in8(0x61) & 0xCF, 0x0C);
    /* Bit 4 toggles every 18 input clocks (15.09 us). */
    goto_tick(17);
    ck_assert_uint_eq(in8(0x61) & 0x10, 0);
    goto_tick(18);
    ck_assert_uint_eq(in8(0x61) & 0x10, 0x10);
    goto_tick(35);
    ck_assert_uint_eq(in8(0x61) & 0x10, 0x10);
    goto_tick(36);
    ck_assert_uint_eq(in8(0x61) & 0x10, 0);
    run_until_ns(1000000);
    int toggles = 0;
    int last = in8(0x61) & 0x10;
    for (int i = 0; i < 100; i++) {
        run_until_ns(1000000 + (uint64_t)i * 15086);
        int b = in8(0x61) & 0x10;
        if (b != last) toggles++;
        last = b;
    }
    ck_assert_int_ge(toggles, 98);
    /* Bit 5 is channel 2's OUT (mode 0 with no count after reset: low). */
    ck_assert_uint_eq(in8(0x61) & 0x20, 0);
    out8(0x43, 0xB6); /* mode 3 control word: OUT high */
    ck_assert_uint_eq(in8(0x61) & 0x20, 0x20);
    ck_assert_uint_eq(in8(0x43), 0xFF);
}
END_TEST

START_TEST(test_small_count_stays_cheap)
{
    /* Mode 2, count 2: a 1.68 us period. The main loop may not be stopped
     * more than once per PIT_MIN_TIMER_NS, and irq0 still sees edges. */
    program(0, 0x34, 2);
    run_until_ns(1000000);
    ck_assert_int_le(timer_runs, 1001);
    ck_assert_int_ge(rec.rises, 300);
    /* Mode 3 count 2 likewise. */
    timer_runs = 0;
    int rises = rec.rises;
    program(0, 0x36, 2);
    run_until_ns(2000000);
    ck_assert_int_le(timer_runs, 1001);
    ck_assert_int_ge(rec.rises - rises, 300);
    /* Count 1 (illegal in mode 2) schedules nothing. */
    program(0, 0x34, 1);
    timer_runs = 0;
    run_until_ns(3000000);
    ck_assert_int_le(timer_runs, 2);
}
END_TEST

START_TEST(test_reset)
{
    program(0, 0x34, 100);
    goto_tick(50);
    ck_assert_int_eq(rec.level, 1);
    pit_device_ops.reset(pit);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_int_eq(pit_get_out(pit, 0), 0);
    int rises = rec.rises;
    run_until_ns(10000000);
    ck_assert_int_eq(rec.rises, rises);
    ck_assert_int_eq(timer_runs, 0); /* the pending deadline was removed */
    ck_assert_str_eq(pit_device_ops.name, "pit");
    ck_assert_int_eq(pit_get_out(pit, 3), -1);
}
END_TEST

static Suite *pit_suite(void)
{
    Suite *s = suite_create("pit");
    TCase *tc = tcase_create("8254");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_mode0_interrupt_on_terminal_count);
    tcase_add_test(tc, test_mode0_count_zero_is_65536);
    tcase_add_test(tc, test_mode0_rewrite_while_counting);
    tcase_add_test(tc, test_mode0_gate_channel2);
    tcase_add_test(tc, test_mode1_retriggerable_one_shot);
    tcase_add_test(tc, test_mode2_rate_generator_waveform);
    tcase_add_test(tc, test_mode2_irq0_period);
    tcase_add_test(tc, test_mode2_new_count_at_end_of_period);
    tcase_add_test(tc, test_mode3_square_wave_even);
    tcase_add_test(tc, test_mode3_square_wave_odd);
    tcase_add_test(tc, test_mode3_irq0_18hz);
    tcase_add_test(tc, test_mode3_new_count_at_end_of_half_cycle);
    tcase_add_test(tc, test_mode4_software_strobe);
    tcase_add_test(tc, test_mode5_hardware_strobe);
    tcase_add_test(tc, test_bcd_counting);
    tcase_add_test(tc, test_access_modes);
    tcase_add_test(tc, test_counter_latch);
    tcase_add_test(tc, test_read_back_status);
    tcase_add_test(tc, test_mode6_and_7_alias_2_and_3);
    tcase_add_test(tc, test_gate_channel2_modes2_and_3);
    tcase_add_test(tc, test_port61);
    tcase_add_test(tc, test_small_count_stays_cheap);
    tcase_add_test(tc, test_reset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pit_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
