/*
 * rtc.c - the Motorola MC146818A real-time clock plus RAM, as a PC has it:
 * the address latch at port 0x70 (bits 6-0; bit 7 is the PIIX3's NMI mask,
 * stored for the machine), the data port 0x71, and IRQ8.
 *
 * Follows the MC146818A datasheet: the ten time, calendar and alarm bytes
 * in BCD or binary (register B DM) and in 12-hour (PM = bit 7 of the hour)
 * or 24-hour mode; register A (UIP, the divider select DV2-0, the rate
 * select RS3-0 with the 32.768 kHz column of the periodic rate table),
 * register B (SET, PIE, AIE, UIE, SQWE, DM, 24/12, DSE), register C (IRQF,
 * PF, AF, UF; reading it clears them and releases IRQ), register D (VRT),
 * the alarm "don't care" codes (C0-FF), and the RESET pin.
 *
 * Time: nothing runs per tick. While the divider runs (DV = 010) the
 * divider tick (32768 Hz) is a function of the virtual clock, and the time
 * the chip shows is s0 + floor(tick / 32768) seconds, s0 being a Unix time:
 * an update cycle ends at every multiple of 32768 ticks. The calendar
 * registers are rendered from that count when read, so the calendar
 * (month lengths, leap years) is the proleptic Gregorian one. The flags of
 * register C are brought up to date lazily (from the last tick looked at
 * to now) on every access, and one Timer is armed only for the next edge
 * that would raise IRQ8: the next periodic tap edge if PIE, the next update
 * if UIE, the next alarm match if AIE, and nothing while IRQF is already
 * set. A chip with no interrupt enabled never wakes the main loop.
 * The time is held (its registers stored as written) while SET is 1 or the
 * divider does not run; when it starts again, the registers are parsed and
 * s0 is chosen so that the time continues from them. Releasing the divider
 * from reset puts the first update half a second later, as the datasheet
 * says; clearing SET keeps the divider's phase.
 *
 * UIP is 1 during the 244 us (8 divider ticks) before each update; the
 * update itself is instantaneous at the end of that window (the chip's
 * 1984 us update cycle, during which it would show the old time and UIP=1,
 * is not modelled: the update-ended flag is set at the tick the time
 * advances).
 *
 * Known deviations:
 *  - Out-of-range values written to the time registers (seconds 75, month
 *    13, bad BCD digits) are normalised when the clock starts counting
 *    from them (logged); the chip would count on from the odd value. The
 *    day of the week is kept as an offset from the computed one, so a
 *    wrong weekday written stays wrong by the same amount, as on the chip.
 *  - Changing DM or 24/12 while the clock runs shows the time in the new
 *    format at once; the chip leaves the old bytes until the next update
 *    garbles them. (With SET = 1, as software does it, the bytes are kept.)
 *  - The year rolls over with the century byte at 0x32 (in the DM format,
 *    as BIOSes keep it), so 2100 is not a leap year; the chip alone treats
 *    every year divisible by 4 as one.
 *  - DSE is stored but daylight saving is not applied; SQWE is stored (a PC
 *    has no SQW pin wired).
 *  - DV values other than 010 (the other time bases, test modes, the
 *    divider reset) all stop the divider: no updates, no periodic flag.
 *  - Port 0x70 reads 0xFF (write-only on the PIIX3); ports 0x72-0x77 are
 *    not decoded.
 */
#include "devices/rtc.h"

#include <stdlib.h>
#include <string.h>

#include "devices/core/log.h"

typedef unsigned __int128 u128;

#define RTC_HZ              32768 /* the divider's time base */
#define RTC_UIP_TICKS       8     /* tBUC: 244 us before the update */
#define RTC_SECONDS_PER_DAY 86400
#define RTC_NEVER           INT64_MAX

/* log_once keys: "RTC" in the top bytes, a reason below. */
#define RTC_LOG_KEY(reason) (0x5254430000ull | (reason))

enum {
    RTC_SEC = 0,
    RTC_SEC_ALARM = 1,
    RTC_MIN = 2,
    RTC_MIN_ALARM = 3,
    RTC_HOUR = 4,
    RTC_HOUR_ALARM = 5,
    RTC_DOW = 6,
    RTC_DAY = 7,
    RTC_MONTH = 8,
    RTC_YEAR = 9,
    RTC_REG_A = 10,
    RTC_REG_B = 11,
    RTC_REG_C = 12,
    RTC_REG_D = 13,
};

#define REG_A_UIP     0x80
#define REG_A_DV_MASK 0x70
#define REG_A_DV_32K  0x20
#define REG_A_RS_MASK 0x0F

#define REG_B_SET  0x80
#define REG_B_PIE  0x40
#define REG_B_AIE  0x20
#define REG_B_UIE  0x10
#define REG_B_SQWE 0x08
#define REG_B_DM   0x04 /* 1: binary, 0: BCD */
#define REG_B_24H  0x02
#define REG_B_DSE  0x01

#define REG_C_IRQF 0x80
#define REG_C_PF   0x40
#define REG_C_AF   0x20
#define REG_C_UF   0x10

#define REG_D_VRT 0x80

#define RTC_ALARM_DONT_CARE 0xC0 /* both top bits set: matches anything */

struct Rtc {
    Bus *bus;
    Clock *clock;
    IrqLine irq;
    Timer timer;
    /* Registers A, B, C, the alarms and the RAM. The time registers
     * (0, 2, 4, 6-9) and the century (0x32) are meaningful here only while
     * the time is held; while it runs they are rendered from s0. */
    uint8_t cmos[RTC_CMOS_SIZE];
    uint8_t index;
    bool nmi_masked;
    /* The divider: tick div_start_ticks falls at div_start_ns. */
    bool div_running;
    uint64_t div_start_ns;
    int64_t div_start_ticks;
    int64_t s0;         /* shown time is s0 + floor(tick / RTC_HZ) */
    int dow_adjust;     /* weekday register minus the computed weekday, mod 7 */
    int64_t sync_ticks; /* register C's flags are up to date to this tick */
    int irq_level;
};

/* ---- arithmetic ---- */

static int64_t rtc_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) q--;
    return q;
}

static int64_t rtc_floor_mod(int64_t a, int64_t b)
{
    return a - rtc_floor_div(a, b) * b;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). The
 * year is counted from March so that February's leap day ends it. */
static int64_t rtc_days_from_civil(int64_t y, int m, int d)
{
    if (m <= 2) y--;
    int64_t era = rtc_floor_div(y, 400);
    int64_t yoe = y - era * 400;              /* 0..399 */
    int64_t mp = (m + 9) % 12;                /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1; /* day of the March year */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468; /* 719468: 0000-03-01 to 1970 */
}

static void rtc_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = rtc_floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = era * 400 + yoe + (*m <= 2);
}

/* 1 = Sunday ... 7 = Saturday; 1970-01-01 was a Thursday. */
static int rtc_weekday(int64_t days)
{
    return (int)rtc_floor_mod(days + 4, 7) + 1;
}

/* ---- register formats ---- */

static bool rtc_binary(const Rtc *r)
{
    return (r->cmos[RTC_REG_B] & REG_B_DM) != 0;
}

static uint8_t rtc_to_reg(const Rtc *r, int64_t v)
{
    int n = (int)rtc_floor_mod(v, 100);
    return rtc_binary(r) ? (uint8_t)n : (uint8_t)((n / 10) << 4 | n % 10);
}

static int rtc_from_reg(const Rtc *r, uint8_t v)
{
    return rtc_binary(r) ? v : (v >> 4) * 10 + (v & 15);
}

static uint8_t rtc_hour_to_reg(const Rtc *r, int h)
{
    if (r->cmos[RTC_REG_B] & REG_B_24H) return rtc_to_reg(r, h);
    int h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(rtc_to_reg(r, h12) | (h >= 12 ? 0x80 : 0));
}

static int rtc_hour_from_reg(const Rtc *r, uint8_t v)
{
    if (r->cmos[RTC_REG_B] & REG_B_24H) return rtc_from_reg(r, v);
    return rtc_from_reg(r, v & 0x7F) % 12 + ((v & 0x80) ? 12 : 0);
}

static bool rtc_is_time_reg(unsigned i)
{
    return i == RTC_SEC || i == RTC_MIN || i == RTC_HOUR || (i >= RTC_DOW && i <= RTC_YEAR) ||
           i == RTC_CMOS_CENTURY;
}

/* Writes time s into the time registers of regs (a CMOS image). */
static void rtc_render(const Rtc *r, int64_t s, uint8_t *regs)
{
    int64_t days = rtc_floor_div(s, RTC_SECONDS_PER_DAY);
    int64_t tod = s - days * RTC_SECONDS_PER_DAY;
    int64_t y;
    int m, d;
    rtc_civil_from_days(days, &y, &m, &d);
    regs[RTC_SEC] = rtc_to_reg(r, tod % 60);
    regs[RTC_MIN] = rtc_to_reg(r, tod / 60 % 60);
    regs[RTC_HOUR] = rtc_hour_to_reg(r, (int)(tod / 3600));
    regs[RTC_DOW] = (uint8_t)rtc_to_reg(r, (rtc_weekday(days) - 1 + r->dow_adjust) % 7 + 1);
    regs[RTC_DAY] = rtc_to_reg(r, d);
    regs[RTC_MONTH] = rtc_to_reg(r, m);
    regs[RTC_YEAR] = rtc_to_reg(r, y);
    regs[RTC_CMOS_CENTURY] = rtc_to_reg(r, rtc_floor_div(y, 100));
}

/* The time the registers of regs say, normalising odd values; *dow_adjust
 * gets the weekday register's offset from the real weekday. */
static int64_t rtc_parse(const Rtc *r, const uint8_t *regs, int *dow_adjust)
{
    int sec = rtc_from_reg(r, regs[RTC_SEC]);
    int min = rtc_from_reg(r, regs[RTC_MIN]);
    int hour = rtc_hour_from_reg(r, regs[RTC_HOUR]);
    int dow = rtc_from_reg(r, regs[RTC_DOW]);
    int day = rtc_from_reg(r, regs[RTC_DAY]);
    int month = rtc_from_reg(r, regs[RTC_MONTH]);
    int64_t year = rtc_from_reg(r, regs[RTC_YEAR]) + 100 * rtc_from_reg(r, regs[RTC_CMOS_CENTURY]);
    if (sec > 59 || min > 59 || hour > 23 || dow < 1 || dow > 7 || day < 1 || day > 31 ||
        month < 1 || month > 12)
        log_once(LOG_GUEST_ERRORS, RTC_LOG_KEY(1),
                 "rtc: out-of-range time %02x:%02x:%02x %02x %02x-%02x-%02x, normalised\n",
                 regs[RTC_HOUR], regs[RTC_MIN], regs[RTC_SEC], regs[RTC_DOW], regs[RTC_YEAR],
                 regs[RTC_MONTH], regs[RTC_DAY]);
    int64_t m0 = month - 1;
    year += rtc_floor_div(m0, 12);
    m0 = rtc_floor_mod(m0, 12);
    int64_t days = rtc_days_from_civil(year, (int)m0 + 1, 1) + day - 1;
    *dow_adjust = (int)rtc_floor_mod((int64_t)dow - rtc_weekday(days), 7);
    return days * RTC_SECONDS_PER_DAY + (int64_t)hour * 3600 + min * 60 + sec;
}

/* ---- the divider ---- */

static bool rtc_held(const Rtc *r)
{
    return !r->div_running || (r->cmos[RTC_REG_B] & REG_B_SET);
}

static int64_t rtc_now_ticks(const Rtc *r)
{
    uint64_t dt = clock_now_ns(r->clock) - r->div_start_ns;
    return r->div_start_ticks + (int64_t)((u128)dt * RTC_HZ / NS_PER_SEC);
}

/* The first nanosecond of divider tick k (k >= div_start_ticks). */
static uint64_t rtc_ticks_to_ns(const Rtc *r, int64_t k)
{
    u128 dt = ((u128)(uint64_t)(k - r->div_start_ticks) * NS_PER_SEC + RTC_HZ - 1) / RTC_HZ;
    u128 ns = (u128)r->div_start_ns + dt;
    return ns >= CLOCK_NEVER ? CLOCK_NEVER - 1 : (uint64_t)ns;
}

/* The periodic rate in divider ticks for RS3-0 (32.768 kHz column); 0 off. */
static int64_t rtc_period_ticks(unsigned rs)
{
    if (rs == 0) return 0;
    if (rs <= 2) return (int64_t)1 << (rs + 6); /* 256 Hz, 128 Hz */
    return (int64_t)1 << (rs - 1);              /* 8192 Hz down to 2 Hz */
}

/* The time shown at divider tick t while running. */
static int64_t rtc_shown_at(const Rtc *r, int64_t t)
{
    return r->s0 + rtc_floor_div(t, RTC_HZ);
}

/* ---- the alarm ---- */

static bool rtc_alarm_field_matches(uint8_t alarm, uint8_t value)
{
    return (alarm & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE || alarm == value;
}

/* The first time after s whose hour, minute and second registers match the
 * alarm registers (compared as bytes in the current format, as the chip
 * does), or RTC_NEVER. */
static int64_t rtc_next_alarm(const Rtc *r, int64_t s)
{
    bool hour_ok[24], min_ok[60], sec_ok[60];
    bool any_h = false, any_m = false, any_s = false;
    for (int h = 0; h < 24; h++) {
        hour_ok[h] = rtc_alarm_field_matches(r->cmos[RTC_HOUR_ALARM], rtc_hour_to_reg(r, h));
        any_h = any_h || hour_ok[h];
    }
    for (int v = 0; v < 60; v++) {
        min_ok[v] = rtc_alarm_field_matches(r->cmos[RTC_MIN_ALARM], rtc_to_reg(r, v));
        sec_ok[v] = rtc_alarm_field_matches(r->cmos[RTC_SEC_ALARM], rtc_to_reg(r, v));
        any_m = any_m || min_ok[v];
        any_s = any_s || sec_ok[v];
    }
    if (!any_h || !any_m || !any_s) return RTC_NEVER;
    int64_t day = rtc_floor_div(s + 1, RTC_SECONDS_PER_DAY);
    int tod = (int)(s + 1 - day * RTC_SECONDS_PER_DAY);
    int h0 = tod / 3600, m0 = tod / 60 % 60, s0 = tod % 60;
    /* Some time of day matches, so one does within the next two days. */
    for (int pass = 0; pass < 2; pass++, day++) {
        for (int h = pass ? 0 : h0; h < 24; h++) {
            if (!hour_ok[h]) continue;
            bool first_h = !pass && h == h0;
            for (int m = first_h ? m0 : 0; m < 60; m++) {
                if (!min_ok[m]) continue;
                bool first_m = first_h && m == m0;
                for (int sec = first_m ? s0 : 0; sec < 60; sec++)
                    if (sec_ok[sec]) return day * RTC_SECONDS_PER_DAY + h * 3600 + m * 60 + sec;
            }
        }
    }
    return RTC_NEVER;
}

/* ---- flags, IRQ8 and the timer ---- */

static void rtc_update_irq(Rtc *r)
{
    uint8_t b = r->cmos[RTC_REG_B], c = r->cmos[RTC_REG_C];
    bool irqf = ((c & REG_C_PF) && (b & REG_B_PIE)) || ((c & REG_C_AF) && (b & REG_B_AIE)) ||
                ((c & REG_C_UF) && (b & REG_B_UIE));
    r->cmos[RTC_REG_C] = (uint8_t)((c & ~REG_C_IRQF) | (irqf ? REG_C_IRQF : 0));
    if ((int)irqf != r->irq_level) {
        r->irq_level = irqf;
        irq_set(&r->irq, irqf);
    }
}

/* Sets the flags of every edge between the last tick looked at and now. */
static void rtc_sync(Rtc *r)
{
    if (!r->div_running) return;
    int64_t t = rtc_now_ticks(r);
    int64_t from = r->sync_ticks;
    if (t <= from) return;
    uint8_t c = r->cmos[RTC_REG_C];
    int64_t p = rtc_period_ticks(r->cmos[RTC_REG_A] & REG_A_RS_MASK);
    if (p && rtc_floor_div(t, p) > rtc_floor_div(from, p)) c |= REG_C_PF;
    if (!(r->cmos[RTC_REG_B] & REG_B_SET)) {
        int64_t before = rtc_shown_at(r, from), after = rtc_shown_at(r, t);
        if (after > before) {
            c |= REG_C_UF;
            if (!(c & REG_C_AF) && rtc_next_alarm(r, before) <= after) c |= REG_C_AF;
        }
    }
    r->cmos[RTC_REG_C] = c;
    r->sync_ticks = t;
    rtc_update_irq(r);
}

/* Arms the timer for the next edge that would raise IRQ8, if any. */
static void rtc_schedule(Rtc *r)
{
    uint8_t b = r->cmos[RTC_REG_B];
    int64_t next = RTC_NEVER;
    if (r->div_running && !(r->cmos[RTC_REG_C] & REG_C_IRQF)) {
        int64_t t = r->sync_ticks;
        int64_t p = rtc_period_ticks(r->cmos[RTC_REG_A] & REG_A_RS_MASK);
        if ((b & REG_B_PIE) && p) next = (rtc_floor_div(t, p) + 1) * p;
        if (!(b & REG_B_SET)) {
            int64_t upd = (rtc_floor_div(t, RTC_HZ) + 1) * RTC_HZ;
            if ((b & REG_B_UIE) && upd < next) next = upd;
            if (b & REG_B_AIE) {
                int64_t a = rtc_next_alarm(r, rtc_shown_at(r, t));
                if (a != RTC_NEVER && (a - r->s0) * RTC_HZ < next) next = (a - r->s0) * RTC_HZ;
            }
        }
    }
    if (next == RTC_NEVER)
        timer_del(&r->timer);
    else
        timer_mod(&r->timer, rtc_ticks_to_ns(r, next));
}

static void rtc_timer_cb(void *opaque)
{
    Rtc *r = opaque;
    rtc_sync(r);
    rtc_schedule(r);
}

/* ---- holding and starting the time ---- */

/* The time stops counting: its registers take the value shown now. */
static void rtc_hold(Rtc *r)
{
    rtc_render(r, rtc_shown_at(r, r->sync_ticks), r->cmos);
}

/* The time counts on from its registers, from divider tick sync_ticks. */
static void rtc_start_from_regs(Rtc *r)
{
    int64_t s = rtc_parse(r, r->cmos, &r->dow_adjust);
    r->s0 = s - rtc_floor_div(r->sync_ticks, RTC_HZ);
}

static void rtc_write_a(Rtc *r, uint8_t v)
{
    bool run = (v & REG_A_DV_MASK) == REG_A_DV_32K;
    if (r->div_running && !run) {
        if (!rtc_held(r)) rtc_hold(r);
        r->div_running = false;
    }
    r->cmos[RTC_REG_A] = v & (uint8_t)~REG_A_UIP;
    if (!r->div_running && run) {
        /* Out of reset: the first update comes half a second later. */
        r->div_running = true;
        r->div_start_ns = clock_now_ns(r->clock);
        r->div_start_ticks = RTC_HZ / 2;
        r->sync_ticks = r->div_start_ticks;
        if (!(r->cmos[RTC_REG_B] & REG_B_SET)) rtc_start_from_regs(r);
    }
}

static void rtc_write_b(Rtc *r, uint8_t v)
{
    uint8_t old = r->cmos[RTC_REG_B];
    if (!(old & REG_B_SET) && (v & REG_B_SET)) {
        /* Rendered in the old format: the bytes are what the guest saw. */
        if (r->div_running) rtc_hold(r);
        /* The datasheet: SET going high clears UIE. */
        v &= (uint8_t)~REG_B_UIE;
    }
    r->cmos[RTC_REG_B] = v;
    if ((old & REG_B_SET) && !(v & REG_B_SET) && r->div_running) rtc_start_from_regs(r);
}

/* ---- register access ---- */

static uint8_t rtc_read_reg(Rtc *r, unsigned i, bool side_effects)
{
    rtc_sync(r);
    if (rtc_is_time_reg(i) && !rtc_held(r)) {
        uint8_t regs[RTC_CMOS_SIZE];
        rtc_render(r, rtc_shown_at(r, r->sync_ticks), regs);
        return regs[i];
    }
    switch (i) {
    case RTC_REG_A: {
        uint8_t a = r->cmos[RTC_REG_A];
        if (!rtc_held(r) && rtc_floor_mod(r->sync_ticks, RTC_HZ) >= RTC_HZ - RTC_UIP_TICKS)
            a |= REG_A_UIP;
        return a;
    }
    case RTC_REG_C: {
        uint8_t c = r->cmos[RTC_REG_C];
        if (side_effects) {
            r->cmos[RTC_REG_C] = 0;
            rtc_update_irq(r);
            rtc_schedule(r);
        }
        return c;
    }
    case RTC_REG_D: return REG_D_VRT;
    default: return r->cmos[i];
    }
}

static void rtc_write_reg(Rtc *r, unsigned i, uint8_t v)
{
    rtc_sync(r);
    if (rtc_is_time_reg(i)) {
        if (rtc_held(r)) {
            r->cmos[i] = v;
        } else {
            /* Writing while counting: the time goes on from the new value
             * at the divider's phase. */
            uint8_t regs[RTC_CMOS_SIZE];
            rtc_render(r, rtc_shown_at(r, r->sync_ticks), regs);
            regs[i] = v;
            int64_t s = rtc_parse(r, regs, &r->dow_adjust);
            r->s0 = s - rtc_floor_div(r->sync_ticks, RTC_HZ);
        }
    } else {
        switch (i) {
        case RTC_REG_A: rtc_write_a(r, v); break;
        case RTC_REG_B: rtc_write_b(r, v); break;
        case RTC_REG_C:
        case RTC_REG_D:
            log_once(LOG_GUEST_ERRORS, RTC_LOG_KEY(2), "rtc: write %02x to read-only register %u\n",
                     v, i);
            break;
        default: r->cmos[i] = v; break;
        }
    }
    rtc_update_irq(r);
    rtc_schedule(r);
}

static uint32_t rtc_io_read(void *opaque, uint16_t port, unsigned size)
{
    Rtc *r = opaque;
    (void)size;
    if (port == RTC_PORT_DATA) return rtc_read_reg(r, r->index, true);
    return 0xFF; /* the index port is write-only */
}

static void rtc_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    Rtc *r = opaque;
    (void)size;
    if (port == RTC_PORT_DATA) {
        rtc_write_reg(r, r->index, (uint8_t)val);
    } else {
        r->index = val & 0x7F;
        r->nmi_masked = (val & 0x80) != 0;
    }
}

static const IoOps rtc_io = {rtc_io_read, rtc_io_write, 1};

/* ---- public API ---- */

Rtc *rtc_new(Bus *bus, IrqLine irq, Clock *clock, const RtcConfig *cfg)
{
    Rtc *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->bus = bus;
    r->clock = clock;
    r->irq = irq;
    timer_init(&r->timer, clock, rtc_timer_cb, r, "rtc");
    r->cmos[RTC_REG_A] = REG_A_DV_32K | 0x06; /* what PC BIOSes program */
    r->cmos[RTC_REG_B] = REG_B_24H;
    r->cmos[RTC_REG_D] = REG_D_VRT;
    /* Guest time 0 shows base_epoch_s; updates fall on whole seconds. */
    r->div_running = true;
    r->div_start_ns = 0;
    r->div_start_ticks = 0;
    r->s0 = cfg ? cfg->base_epoch_s : 0;
    r->sync_ticks = rtc_now_ticks(r);
    if (bus) bus_register_io(bus, RTC_PORT_INDEX, 2, &rtc_io, r);
    return r;
}

void rtc_reset(void *opaque)
{
    Rtc *r = opaque;
    rtc_sync(r);
    r->cmos[RTC_REG_B] &= (uint8_t) ~(REG_B_PIE | REG_B_AIE | REG_B_UIE | REG_B_SQWE);
    r->cmos[RTC_REG_C] = 0;
    rtc_update_irq(r);
    rtc_schedule(r);
}

void rtc_free(void *opaque)
{
    Rtc *r = opaque;
    if (!r) return;
    timer_del(&r->timer);
    if (r->bus) bus_unregister_io(r->bus, RTC_PORT_INDEX, 2);
    free(r);
}

void rtc_cmos_set(Rtc *r, unsigned index, uint8_t val)
{
    if (index >= RTC_CMOS_SIZE) return;
    if (index <= RTC_REG_D || index == RTC_CMOS_CENTURY)
        rtc_write_reg(r, index, val);
    else
        r->cmos[index] = val;
}

uint8_t rtc_cmos_get(Rtc *r, unsigned index)
{
    if (index >= RTC_CMOS_SIZE) return 0xFF;
    return rtc_read_reg(r, index, false);
}

void rtc_cmos_set_checksum(Rtc *r)
{
    unsigned sum = 0;
    for (unsigned i = RTC_CMOS_CHECKSUM_FIRST; i <= RTC_CMOS_CHECKSUM_LAST; i++)
        sum += r->cmos[i];
    r->cmos[RTC_CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
    r->cmos[RTC_CMOS_CHECKSUM_LO] = (uint8_t)sum;
}

bool rtc_nmi_masked(const Rtc *r)
{
    return r->nmi_masked;
}

int64_t rtc_time_s(Rtc *r)
{
    rtc_sync(r);
    if (!rtc_held(r)) return rtc_shown_at(r, r->sync_ticks);
    int adjust;
    return rtc_parse(r, r->cmos, &adjust);
}

const DeviceOps rtc_device_ops = {"rtc", rtc_reset, NULL, NULL, rtc_free};
