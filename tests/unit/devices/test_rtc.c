/*
 * test_rtc.c - the MC146818A RTC and CMOS RAM (devices/rtc.c) on a real bus
 * and a virtual clock at 1 ns per instruction. Time is moved the way the
 * main loop moves it: run to each timer deadline, fire, go on; a fake
 * interrupt handler reads register C whenever IRQ8 is high, as a guest's
 * does. With the power-on state, update cycles end at whole seconds of
 * virtual time.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/irq.h"
#include "devices/rtc.h"

#define MAX_EDGES 64
#define MS        1000000ull

/* 2024-02-29 13:45:30 UTC, a Thursday (weekday 5). */
#define BASE_LEAP_DAY 1709214330ll

typedef struct IrqRec {
    int level;
    int rises;
    uint64_t rise_ns[MAX_EDGES];
} IrqRec;

static Bus *bus;
static Clock clk;
static IrqRec rec;
static Rtc *rtc;
static int timer_runs; /* deadlines the fake main loop stopped at */
static bool isr;       /* service IRQ8 by reading register C */
static uint8_t last_c; /* register C as the handler last read it */

static void rec_set(void *opaque, int n, int level)
{
    IrqRec *r = opaque;
    (void)n;
    if (level && !r->level) {
        if (r->rises < MAX_EDGES) r->rise_ns[r->rises] = clock_now_ns(&clk);
        r->rises++;
    }
    r->level = level;
}

static void out8(uint16_t port, uint8_t v)
{
    bus_io_write(bus, port, v, 1);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_io_read(bus, port, 1);
}
static uint8_t rd(uint8_t index)
{
    out8(0x70, index);
    return in8(0x71);
}
static void wr(uint8_t index, uint8_t v)
{
    out8(0x70, index);
    out8(0x71, v);
}

static void service(void)
{
    if (isr && rec.level) last_c = rd(0x0C);
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
        service();
    }
    uint64_t now = clock_now_ns(&clk);
    if (target > now) clock_step_insns(&clk, target - now);
    clock_run_timers(&clk);
    service();
}

static void make_rtc(int64_t base)
{
    if (rtc) rtc_free(rtc);
    RtcConfig cfg = {.base_epoch_s = base};
    rtc = rtc_new(bus, irq_line(rec_set, &rec, 8), &clk, &cfg);
    ck_assert_ptr_nonnull(rtc);
}

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    clock_init(&clk, 1000000000); /* 1 ns per instruction */
    memset(&rec, 0, sizeof rec);
    timer_runs = 0;
    isr = true;
    last_c = 0;
    rtc = NULL;
    make_rtc(BASE_LEAP_DAY);
}

static void teardown(void)
{
    rtc_free(rtc);
    rtc = NULL;
    bus_free(bus);
}

/* Seconds, minutes, hours, weekday, day, month, year, century. */
static void expect_time(uint8_t s, uint8_t m, uint8_t h, uint8_t dow, uint8_t day, uint8_t mon,
                        uint8_t y, uint8_t cent)
{
    ck_assert_uint_eq(rd(0), s);
    ck_assert_uint_eq(rd(2), m);
    ck_assert_uint_eq(rd(4), h);
    ck_assert_uint_eq(rd(6), dow);
    ck_assert_uint_eq(rd(7), day);
    ck_assert_uint_eq(rd(8), mon);
    ck_assert_uint_eq(rd(9), y);
    ck_assert_uint_eq(rd(0x32), cent);
}

START_TEST(test_power_on_state_and_bcd_time)
{
    ck_assert_uint_eq(rd(0x0A), 0x26);
    ck_assert_uint_eq(rd(0x0B), 0x02);
    ck_assert_uint_eq(rd(0x0C), 0x00);
    ck_assert_uint_eq(rd(0x0D), 0x80);
    expect_time(0x30, 0x45, 0x13, 5, 0x29, 0x02, 0x24, 0x20);
    ck_assert_int_eq(rtc_time_s(rtc), BASE_LEAP_DAY);
    ck_assert_str_eq(rtc_device_ops.name, "rtc");
}
END_TEST

START_TEST(test_binary_mode)
{
    wr(0x0B, 0x06); /* DM = binary, 24-hour */
    expect_time(30, 45, 13, 5, 29, 2, 24, 20);
    wr(0x0B, 0x02);
    ck_assert_uint_eq(rd(0), 0x30);
}
END_TEST

START_TEST(test_12_hour_mode)
{
    wr(0x0B, 0x00); /* 12-hour BCD: 13:45 is 1 PM */
    ck_assert_uint_eq(rd(4), 0x81);
    wr(0x0B, 0x04); /* 12-hour binary */
    ck_assert_uint_eq(rd(4), 0x81);
    /* 00:30 reads 12 AM, 12:30 reads 12 PM. */
    make_rtc(1709166600); /* 2024-02-29 00:30:00 */
    wr(0x0B, 0x00);
    ck_assert_uint_eq(rd(4), 0x12);
    make_rtc(1709166600 + 12 * 3600);
    wr(0x0B, 0x00);
    ck_assert_uint_eq(rd(4), 0x92);
    /* Writing 12 AM in 12-hour mode sets hour 0. */
    wr(0x0B, 0x80);
    wr(4, 0x12);
    wr(0x0B, 0x00);
    ck_assert_int_eq(rtc_time_s(rtc), 1709166600);
    /* 11 PM. */
    wr(0x0B, 0x80);
    wr(4, 0x91);
    wr(0x0B, 0x00);
    wr(0x0B, 0x02);
    ck_assert_uint_eq(rd(4), 0x23);
}
END_TEST

START_TEST(test_time_advances_across_boundaries)
{
    make_rtc(946684798); /* 1999-12-31 23:59:58, a Friday */
    expect_time(0x58, 0x59, 0x23, 6, 0x31, 0x12, 0x99, 0x19);
    run_until_ns(1000 * MS - 1);
    ck_assert_uint_eq(rd(0), 0x58);
    run_until_ns(1000 * MS);
    expect_time(0x59, 0x59, 0x23, 6, 0x31, 0x12, 0x99, 0x19);
    run_until_ns(2000 * MS);
    /* Minute, hour, day, month, year and century at once. */
    expect_time(0x00, 0x00, 0x00, 7, 0x01, 0x01, 0x00, 0x20);
    ck_assert_int_eq(rtc_time_s(rtc), 946684800);

    /* The leap day of 2024, then March. */
    make_rtc(1709164799 - 2); /* 2024-02-28 23:59:59 at virtual 2 s */
    expect_time(0x59, 0x59, 0x23, 4, 0x28, 0x02, 0x24, 0x20);
    run_until_ns(3000 * MS);
    expect_time(0x00, 0x00, 0x00, 5, 0x29, 0x02, 0x24, 0x20);
    run_until_ns(3000 * MS + 86400ull * 1000 * MS);
    expect_time(0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20);

    /* 2023 has no leap day. */
    uint64_t now_s = clock_now_ns(&clk) / (1000 * MS);
    make_rtc(1677628799 - (int64_t)now_s); /* 2023-02-28 23:59:59 now */
    expect_time(0x59, 0x59, 0x23, 3, 0x28, 0x02, 0x23, 0x20);
    run_until_ns((now_s + 1) * 1000 * MS);
    expect_time(0x00, 0x00, 0x00, 4, 0x01, 0x03, 0x23, 0x20);
    ck_assert_int_eq(timer_runs, 0); /* no interrupt enabled: no wake-ups */
}
END_TEST

START_TEST(test_year_2100_is_not_leap)
{
    /* Set 2099-12-31 23:59:59 with SET, BCD; the century byte rolls. */
    wr(0x0B, 0x82);
    wr(0, 0x59);
    wr(2, 0x59);
    wr(4, 0x23);
    wr(6, 0x05); /* a Thursday */
    wr(7, 0x31);
    wr(8, 0x12);
    wr(9, 0x99);
    wr(0x32, 0x20);
    wr(0x0B, 0x02);
    run_until_ns(1000 * MS);
    expect_time(0x00, 0x00, 0x00, 6, 0x01, 0x01, 0x00, 0x21);
    /* 2100-02-28 + 1 day is March 1st. */
    run_until_ns(1000 * MS + 59ull * 86400 * 1000 * MS);
    expect_time(0x00, 0x00, 0x00, 2, 0x01, 0x03, 0x00, 0x21); /* Monday */
    ck_assert_int_eq(rtc_time_s(rtc), 4107542400ll);          /* 2100-03-01 00:00:00 */
    /* Stopped and started again: parsed back to the same time. */
    wr(0x0B, 0x82);
    wr(0x0B, 0x02);
    ck_assert_int_eq(rtc_time_s(rtc), 4107542400ll);
    ck_assert_uint_eq(rd(8), 0x03);
}
END_TEST

START_TEST(test_uip_window)
{
    /* UIP is set during the 8 divider ticks (244 us) before the update. */
    uint64_t uip_start = (32760ull * 1000000000ull + 32767) / 32768; /* 999755860 */
    run_until_ns(500 * MS);
    ck_assert_uint_eq(rd(0x0A) & 0x80, 0);
    run_until_ns(uip_start - 1);
    ck_assert_uint_eq(rd(0x0A), 0x26);
    run_until_ns(uip_start);
    ck_assert_uint_eq(rd(0x0A), 0xA6);
    ck_assert_uint_eq(rd(0), 0x30); /* still the old second */
    run_until_ns(1000 * MS - 1);
    ck_assert_uint_eq(rd(0x0A), 0xA6);
    run_until_ns(1000 * MS);
    ck_assert_uint_eq(rd(0x0A), 0x26);
    ck_assert_uint_eq(rd(0), 0x31);
    /* SET clears UIP. */
    run_until_ns(2000 * MS - 100000);
    ck_assert_uint_eq(rd(0x0A) & 0x80, 0x80);
    wr(0x0B, 0x82);
    ck_assert_uint_eq(rd(0x0A) & 0x80, 0);
    /* UIP writes are ignored. */
    wr(0x0B, 0x02);
    wr(0x0A, 0xA6);
    run_until_ns(2500 * MS);
    ck_assert_uint_eq(rd(0x0A), 0x26);
}
END_TEST

START_TEST(test_set_halts_updates_and_sets_time)
{
    wr(0x0B, 0x12); /* UIE on */
    run_until_ns(1200 * MS);
    ck_assert_int_eq(rec.rises, 1);
    wr(0x0B, 0x92); /* SET: updates stop, and SET going high clears UIE */
    ck_assert_uint_eq(rd(0x0B), 0x82);
    ck_assert_uint_eq(rd(0), 0x31);
    run_until_ns(4200 * MS);
    ck_assert_uint_eq(rd(0), 0x31);
    ck_assert_int_eq(rec.rises, 1);
    ck_assert_uint_eq(rd(0x0C) & 0x10, 0); /* no update ended */
    /* Write 2030-06-15 08:00:00, a Saturday, in binary. */
    wr(0x0B, 0x86);
    wr(0, 0);
    wr(2, 0);
    wr(4, 8);
    wr(6, 7);
    wr(7, 15);
    wr(8, 6);
    wr(9, 30);
    wr(0x32, 20);
    ck_assert_uint_eq(rd(4), 8); /* held as written */
    run_until_ns(4700 * MS);
    wr(0x0B, 0x06); /* go */
    ck_assert_int_eq(rtc_time_s(rtc), 1907740800);
    /* The divider kept its phase: the next update is at 5 s. */
    run_until_ns(5000 * MS - 1);
    ck_assert_uint_eq(rd(0), 0);
    run_until_ns(5000 * MS);
    expect_time(1, 0, 8, 7, 15, 6, 30, 20);
    run_until_ns(5000 * MS + 16ull * 3600 * 1000 * MS);
    expect_time(1, 0, 0, 1, 16, 6, 30, 20); /* Sunday */
}
END_TEST

START_TEST(test_write_while_running)
{
    run_until_ns(1500 * MS);
    ck_assert_uint_eq(rd(0), 0x31);
    wr(2, 0x10); /* minutes */
    ck_assert_uint_eq(rd(2), 0x10);
    ck_assert_uint_eq(rd(0), 0x31);
    run_until_ns(2000 * MS);
    expect_time(0x32, 0x10, 0x13, 5, 0x29, 0x02, 0x24, 0x20);
    wr(6, 2); /* a wrong weekday stays as wrong */
    run_until_ns(2000 * MS + 86400ull * 1000 * MS);
    ck_assert_uint_eq(rd(6), 3);
    ck_assert_uint_eq(rd(7), 0x01);
    ck_assert_uint_eq(rd(8), 0x03);
}
END_TEST

/* Rises of IRQ8 (each serviced) during one virtual second from now. */
static int rises_in_one_second(void)
{
    int before = rec.rises;
    run_until_ns(clock_now_ns(&clk) + 1000 * MS);
    return rec.rises - before;
}

START_TEST(test_periodic_interrupt_two_rates)
{
    wr(0x0B, 0x42); /* PIE, RS = 6: 1024 Hz */
    ck_assert_int_eq(rises_in_one_second(), 1024);
    ck_assert_int_eq(timer_runs, 1024);        /* one wake-up per interrupt */
    ck_assert_uint_eq(rec.rise_ns[0], 976563); /* tick 32: 976.5625 us */
    ck_assert_uint_eq(rec.rise_ns[2] - rec.rise_ns[0], 1953125);
    ck_assert_uint_eq(last_c & 0xC0, 0xC0); /* IRQF, PF */
    wr(0x0A, 0x2F);                         /* RS = 15: 2 Hz */
    ck_assert_int_eq(rises_in_one_second(), 2);
    wr(0x0A, 0x23); /* RS = 3: 8192 Hz */
    ck_assert_int_eq(rises_in_one_second(), 8192);
    wr(0x0A, 0x21); /* RS = 1: 256 Hz (the 32.768 kHz column) */
    ck_assert_int_eq(rises_in_one_second(), 256);
    wr(0x0A, 0x20); /* RS = 0: none */
    ck_assert_int_eq(rises_in_one_second(), 0);
    ck_assert_uint_eq(clock_next_deadline(&clk), CLOCK_NEVER);
}
END_TEST

START_TEST(test_unserviced_interrupt_stays_quiet)
{
    isr = false;
    wr(0x0B, 0x42);
    run_until_ns(1000 * MS);
    ck_assert_int_eq(rec.rises, 1);
    ck_assert_int_eq(timer_runs, 1); /* IRQF set: nothing more to schedule */
    ck_assert_uint_eq(clock_next_deadline(&clk), CLOCK_NEVER);
    ck_assert_uint_eq(rd(0x0C), 0xD0); /* IRQF, PF, UF */
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_ne(clock_next_deadline(&clk), CLOCK_NEVER);
}
END_TEST

START_TEST(test_no_timer_without_enables)
{
    ck_assert_uint_eq(clock_next_deadline(&clk), CLOCK_NEVER);
    run_until_ns(10000 * MS);
    ck_assert_int_eq(timer_runs, 0);
    ck_assert_int_eq(rec.rises, 0);
    /* The flags were still set, lazily. */
    ck_assert_uint_eq(rd(0x0C), 0x50);
    ck_assert_uint_eq(rd(0x0C), 0x00);
    /* PIE with RS = 0 has nothing to time. */
    wr(0x0A, 0x20);
    wr(0x0B, 0x42);
    ck_assert_uint_eq(clock_next_deadline(&clk), CLOCK_NEVER);
}
END_TEST

START_TEST(test_update_interrupt)
{
    wr(0x0B, 0x12); /* UIE */
    run_until_ns(3500 * MS);
    ck_assert_int_eq(rec.rises, 3);
    ck_assert_uint_eq(rec.rise_ns[0], 1000 * MS);
    ck_assert_uint_eq(rec.rise_ns[1], 2000 * MS);
    ck_assert_uint_eq(rec.rise_ns[2], 3000 * MS);
    ck_assert_uint_eq(last_c & 0xB0, 0x90); /* IRQF, UF; no alarm */
    ck_assert_int_eq(timer_runs, 3);
}
END_TEST

START_TEST(test_alarm_with_dont_care_fields)
{
    /* Every minute at second 35: hour and minute are "don't care". */
    wr(1, 0x35);
    wr(3, 0xC0);
    wr(5, 0xFF);
    wr(0x0B, 0x22); /* AIE */
    run_until_ns(70 * 1000 * MS);
    ck_assert_int_eq(rec.rises, 2);
    ck_assert_uint_eq(rec.rise_ns[0], 5000 * MS);  /* 13:45:35 */
    ck_assert_uint_eq(rec.rise_ns[1], 65000 * MS); /* 13:46:35 */
    ck_assert_uint_eq(last_c & 0xA0, 0xA0);
    ck_assert_int_eq(timer_runs, 2);

    /* Every second: all three don't care. */
    wr(1, 0xC0);
    int before = rec.rises;
    run_until_ns(73 * 1000 * MS);
    ck_assert_int_eq(rec.rises - before, 3);

    /* Once a day: 13:47:00 (at virtual 90 s), then not within the hour. */
    wr(1, 0x00);
    wr(3, 0x47);
    wr(5, 0x13);
    before = rec.rises;
    run_until_ns(3600ull * 1000 * MS);
    ck_assert_int_eq(rec.rises - before, 1);
    ck_assert_uint_eq(rec.rise_ns[before], 90000 * MS);

    /* Minute and second fixed, any hour: 14:05:00 is 1170 s after base. */
    wr(5, 0xC5);
    wr(3, 0x05);
    before = rec.rises;
    run_until_ns(2 * 3600ull * 1000 * MS);
    /* 14:05 is past (virtual 1170 s); 15:05:00 at 4770 s is in range. */
    ck_assert_int_eq(rec.rises - before, 1);
    ck_assert_uint_eq(rec.rise_ns[before], 4770000 * MS);
}
END_TEST

START_TEST(test_alarm_flag_without_enable_and_12_hour)
{
    /* AF is set on a match even with AIE clear; IRQ8 stays low. */
    wr(0x0B, 0x00); /* 12-hour BCD */
    wr(1, 0x40);
    wr(3, 0x45);
    wr(5, 0x81); /* 1 PM */
    run_until_ns(9500 * MS);
    ck_assert_uint_eq(rd(0x0C), 0x50); /* 13:45:39 */
    run_until_ns(10500 * MS);
    ck_assert_uint_eq(rd(0x0C), 0x70); /* 13:45:40: PF, AF, UF */
    ck_assert_int_eq(rec.rises, 0);
    /* 1 AM (0x01) does not match 1 PM. */
    wr(5, 0x01);
    wr(0x0B, 0x20);
    run_until_ns(3600ull * 1000 * MS);
    ck_assert_int_eq(rec.rises, 0);
}
END_TEST

START_TEST(test_register_c_clear_and_late_enable)
{
    run_until_ns(1500 * MS);
    ck_assert_int_eq(rec.level, 0);
    /* Enabling UIE while UF is pending raises IRQ8 at once. */
    isr = false;
    wr(0x0B, 0x12);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_int_eq(rec.rises, 1);
    ck_assert_uint_eq(rd(0x0C), 0xD0);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(rd(0x0C), 0x00);
    /* Clearing the enable drops IRQ8 while the flag stays. */
    run_until_ns(2000 * MS);
    ck_assert_int_eq(rec.level, 1);
    wr(0x0B, 0x02);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(rd(0x0C), 0x50);
    /* Register C and D ignore writes. */
    wr(0x0C, 0xFF);
    wr(0x0D, 0x00);
    ck_assert_uint_eq(rd(0x0C), 0x00);
    ck_assert_uint_eq(rd(0x0D), 0x80);
}
END_TEST

START_TEST(test_divider_reset)
{
    wr(0x0A, 0x76); /* hold the divider in reset */
    run_until_ns(5200 * MS);
    ck_assert_uint_eq(rd(0), 0x30);
    ck_assert_uint_eq(rd(0x0A), 0x76);
    ck_assert_uint_eq(rd(0x0C), 0x00); /* no periodic or update flags */
    wr(0, 0x00);
    ck_assert_int_eq(rtc_time_s(rtc), BASE_LEAP_DAY - 30);
    /* Released: the first update comes half a second later. */
    wr(0x0B, 0x12);
    wr(0x0A, 0x26);
    run_until_ns(5700 * MS - 1);
    ck_assert_int_eq(rec.rises, 0);
    ck_assert_uint_eq(rd(0), 0x00);
    run_until_ns(6700 * MS);
    ck_assert_int_eq(rec.rises, 2);
    ck_assert_uint_eq(rec.rise_ns[0], 5700 * MS);
    ck_assert_uint_eq(rec.rise_ns[1], 6700 * MS);
    ck_assert_uint_eq(rd(0), 0x02);
}
END_TEST

START_TEST(test_garbage_does_not_crash)
{
    /* Every byte 0xFF, the time included: odd values are normalised. */
    for (unsigned i = 0; i < 128; i++)
        wr((uint8_t)i, 0xFF);
    run_until_ns(2000 * MS);
    wr(0x0A, 0x26);
    wr(0x0B, 0x7C); /* 12-hour binary, every interrupt enabled */
    run_until_ns(4000 * MS);
    for (unsigned i = 0; i < 128; i++)
        (void)rd((uint8_t)i);
    wr(0x0B, 0x02);
    wr(8, 0x00); /* month 0 */
    wr(7, 0x00); /* day 0 */
    run_until_ns(5000 * MS);
    ck_assert_uint_le(rd(8), 0x12);
    ck_assert_uint_ge(rd(7), 0x01);
}
END_TEST

START_TEST(test_reset_pin)
{
    isr = false;
    wr(0x0B, 0x7F & ~0x04); /* PIE AIE UIE SQWE, 24h, DSE; BCD */
    run_until_ns(1000 * MS);
    ck_assert_int_eq(rec.level, 1);
    rtc_device_ops.reset(rtc);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(rd(0x0B), 0x03);
    ck_assert_uint_eq(rd(0x0C), 0x00);
    ck_assert_uint_eq(rd(0x0A), 0x26);
    ck_assert_uint_eq(rd(0), 0x31);
    ck_assert_uint_eq(clock_next_deadline(&clk), CLOCK_NEVER);
}
END_TEST

START_TEST(test_nvram_round_trip_and_checksum)
{
    for (unsigned i = 14; i < 128; i++) {
        if (i == 0x32) continue;
        wr((uint8_t)i, (uint8_t)(i * 7 + 3));
    }
    for (unsigned i = 14; i < 128; i++) {
        if (i == 0x32) continue;
        ck_assert_uint_eq(rd((uint8_t)i), (uint8_t)(i * 7 + 3));
        ck_assert_uint_eq(rtc_cmos_get(rtc, i), (uint8_t)(i * 7 + 3));
    }
    for (unsigned i = 0x10; i <= 0x2D; i++)
        rtc_cmos_set(rtc, i, 0);
    rtc_cmos_set(rtc, 0x10, 0x40);
    rtc_cmos_set(rtc, 0x15, 0x80);
    rtc_cmos_set(rtc, 0x16, 0x02);
    rtc_cmos_set(rtc, 0x2D, 0xFF);
    rtc_cmos_set(rtc, 0x2E, 0x12); /* not part of the sum */
    rtc_cmos_set_checksum(rtc);
    ck_assert_uint_eq(rd(0x2E), 0x01); /* 0x40 + 0x80 + 0x02 + 0xFF = 0x1C1 */
    ck_assert_uint_eq(rd(0x2F), 0xC1);
    ck_assert_uint_eq(rtc_cmos_get(rtc, 0x2E), 0x01);
    /* Out of range indices. */
    rtc_cmos_set(rtc, 200, 1);
    ck_assert_uint_eq(rtc_cmos_get(rtc, 200), 0xFF);
    /* The machine reading C has no side effect. */
    run_until_ns(1500 * MS);
    ck_assert_uint_eq(rtc_cmos_get(rtc, 0x0C), 0x50);
    ck_assert_uint_eq(rd(0x0C), 0x50);
    ck_assert_uint_eq(rtc_cmos_get(rtc, 0), 0x31);
}
END_TEST

START_TEST(test_nmi_bit_in_index_port)
{
    ck_assert(!rtc_nmi_masked(rtc));
    out8(0x70, 0x80 | 0x40);
    ck_assert(rtc_nmi_masked(rtc));
    out8(0x71, 0x5A);
    out8(0x70, 0x40);
    ck_assert(!rtc_nmi_masked(rtc));
    ck_assert_uint_eq(in8(0x71), 0x5A);
    out8(0x70, 0x80 | 0x00);
    ck_assert_uint_eq(in8(0x71), 0x30); /* seconds */
    out8(0x70, 0x8A);
    ck_assert_uint_eq(in8(0x71), 0x26);
    ck_assert_uint_eq(in8(0x70), 0xFF); /* write-only */
    /* A word write: index then data. */
    bus_io_write(bus, 0x70, 0xA541, 2);
    ck_assert_uint_eq(rd(0x41), 0xA5);
}
END_TEST

static Suite *rtc_suite(void)
{
    Suite *s = suite_create("rtc");
    TCase *tc = tcase_create("mc146818a");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_power_on_state_and_bcd_time);
    tcase_add_test(tc, test_binary_mode);
    tcase_add_test(tc, test_12_hour_mode);
    tcase_add_test(tc, test_time_advances_across_boundaries);
    tcase_add_test(tc, test_year_2100_is_not_leap);
    tcase_add_test(tc, test_uip_window);
    tcase_add_test(tc, test_set_halts_updates_and_sets_time);
    tcase_add_test(tc, test_write_while_running);
    tcase_add_test(tc, test_periodic_interrupt_two_rates);
    tcase_add_test(tc, test_unserviced_interrupt_stays_quiet);
    tcase_add_test(tc, test_no_timer_without_enables);
    tcase_add_test(tc, test_update_interrupt);
    tcase_add_test(tc, test_alarm_with_dont_care_fields);
    tcase_add_test(tc, test_alarm_flag_without_enable_and_12_hour);
    tcase_add_test(tc, test_register_c_clear_and_late_enable);
    tcase_add_test(tc, test_divider_reset);
    tcase_add_test(tc, test_garbage_does_not_crash);
    tcase_add_test(tc, test_reset_pin);
    tcase_add_test(tc, test_nvram_round_trip_and_checksum);
    tcase_add_test(tc, test_nmi_bit_in_index_port);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rtc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
