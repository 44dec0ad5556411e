/*
 * pit.c - the Intel 8254 programmable interval timer (three counters at
 * ports 0x40-0x42, control word register at 0x43) and the PC's system
 * control port B at 0x61.
 *
 * Follows the Intel 8254 datasheet (order no. 231164): the six modes,
 * binary and BCD counting, count 0 as 2^16 (10^4 in BCD), the LSB / MSB /
 * LSB-then-MSB access modes, the counter latch and read-back commands, the
 * status byte with OUT and null count, gate triggering and gating, and what
 * each mode does with a count written while counting.
 *
 * Time: the input clock runs at PIT_HZ and tick k is the k-th CLK pulse
 * since virtual time 0: ticks = now_ns * PIT_HZ / 1e9. A count written in
 * tick T is transferred to the counting element (CE) by the pulse at T+1,
 * as the datasheet says ("loaded on the next CLK pulse"). Nothing runs per
 * tick: each counter holds the initial count n of its current sequence and
 * the number of counting pulses e elapsed since its load (e0 at tick s0,
 * frozen while the gate stops the count), and the CE value and OUT are pure
 * functions of (mode, n, e). Only channel 0's OUT edges are scheduled, with
 * one Timer, to drive irq0; channel 2's OUT is computed when port 0x61 is
 * read. Rising edges (what the PIC latches) fire at their exact tick. A low
 * pulse shorter than PIT_MIN_TIMER_NS (mode 2's one-tick pulse, a strobe,
 * the low half of a tiny mode 3 count) gets no timer of its own: the
 * callback at its rising edge drives irq0 0 then 1. Callbacks are never
 * closer than PIT_MIN_TIMER_NS; any edge that falls between two of them is
 * still seen, and irq0 still gets its rising edge. So however small the
 * count, the main loop stops at most once per period and once per
 * microsecond of guest time.
 *
 * Port 0x61 (the PIIX3's NMI status and control register): bit 0 channel 2
 * gate, bit 1 speaker data enable, bits 2-3 stored (parity / IOCHK check
 * enables), bit 4 the refresh request toggle (flips every 18 ticks, the
 * 15.09 us DRAM refresh period of the AT), bit 5 channel 2 OUT, bits 6-7
 * (NMI sources) read 0.
 *
 * Known deviations and choices where the datasheet is silent:
 *  - Within the one tick between a write (or gate trigger) and the CLK pulse
 *    that loads the CE, a read already returns the new count and a mode 1
 *    OUT is already low; from the load on, every value and edge is exact.
 *  - After reset, every counter is in mode 0 (LSB then MSB, binary) with no
 *    count: OUT low, CE 0. The real chip powers up undefined.
 *  - A control word clears pending latched count and status (the counter
 *    is "reprogrammed") and stops the CE, which keeps its value.
 *  - Counts below the datasheet's minimum (1 in modes 2 and 3) are logged:
 *    mode 2 with 1 keeps OUT low, mode 3 with 1 keeps OUT high.
 *  - BCD counts with digits above 9 are reduced modulo 10000 and logged.
 *  - Port 0x43 reads as 0xFF (the 8254 does not drive the bus then).
 *  - irq0 stays high through a low pulse shorter than PIT_MIN_TIMER_NS
 *    and falls just before the rising edge's callback raises it again
 *    (unless a port access sees the low level first). The edge-triggered
 *    PIC gets every rising edge at its exact time; a level-triggered IRQ0
 *    (not possible on the PIIX3) would miss those short lows.
 *  - Mode 3, odd count N: the CE reads N-1, N-3, ..., 2, 0 while OUT is
 *    high for (N+1)/2 pulses, then N-1, ..., 2 while it is low, which is
 *    our reading of the datasheet's "one CLK pulse after the count expires".
 */
#include "devices/pit.h"

#include <stdbool.h>
#include <stdlib.h>

#include "devices/core/log.h"

typedef unsigned __int128 u128;

#define PIT_NEVER UINT64_MAX
/* The closest two timer callbacks; shorter low pulses are not scheduled. */
#define PIT_MIN_TIMER_NS 1000u
/* The refresh toggle's half period: 18 input clocks (15.0857 us). */
#define PIT_REFRESH_TICKS 18u

/* log_once keys: "PIT" in the top bytes, a reason below. */
#define PIT_LOG_KEY(reason) (0x5049540000ull | (reason))

typedef struct PitCounter {
    /* Programming, as the guest wrote it. */
    uint8_t ctrl; /* RW, mode and BCD bits of the control word (status bits 5-0) */
    uint8_t mode; /* 0..5 */
    uint8_t rw;   /* 1 LSB only, 2 MSB only, 3 LSB then MSB */
    bool bcd;
    uint16_t cr;    /* count register */
    bool cr_valid;  /* a whole count was written since the control word */
    uint8_t cr_lsb; /* first byte of an LSB-then-MSB count */
    bool write_msb; /* the next count byte written is the MSB */
    bool read_msb;  /* the next byte read is the MSB */
    bool count_latched;
    uint16_t latch; /* output latch holding a latched count */
    bool status_latched;
    uint8_t status;
    bool gate;
    /* The counting element. */
    bool armed;        /* CE holds a sequence (else it shows `hold`) */
    bool running;      /* the gate lets it count (modes 1 and 5: always) */
    uint32_t n;        /* initial count of the current sequence, 1..65536 */
    uint64_t s0_ticks; /* e == e0 at this tick (and before it) */
    uint64_t e0;
    uint16_t hold; /* CE contents while not armed */
    /* Modes 2 and 3: a count written while counting takes over at the end
     * of the period (mode 2) or half-cycle (mode 3). */
    bool reload_pending;
    uint64_t reload_ticks;
    uint32_t reload_n;
    uint64_t reload_e0;
    uint64_t null_until_ticks; /* the null count flag is set before this tick */
} PitCounter;

struct Pit {
    PitCounter ch[3];
    Clock *clock;
    Timer timer; /* channel 0's next OUT edge */
    IrqLine irq0;
    int irq_level;            /* what irq0 was last driven to */
    uint64_t irq_ticks;       /* irq0 reflects channel 0's OUT up to this tick */
    uint64_t min_deadline_ns; /* PIT_MIN_TIMER_NS after the last callback */
    uint8_t port61;           /* bits 0-3 as written */
};

/* ---- time ---- */

static uint64_t pit_now_ticks(const Pit *p)
{
    return (uint64_t)((u128)clock_now_ns(p->clock) * PIT_HZ / NS_PER_SEC);
}

/* The first nanosecond that falls in tick t. */
static uint64_t pit_ticks_to_ns(uint64_t t)
{
    u128 ns = ((u128)t * NS_PER_SEC + PIT_HZ - 1) / PIT_HZ;
    return ns >= CLOCK_NEVER ? CLOCK_NEVER - 1 : (uint64_t)ns;
}

/* ---- counts ---- */

static uint32_t pit_modulus(const PitCounter *c)
{
    return c->bcd ? 10000 : 65536;
}

/* The initial count a CR value means: 1..65536 (BCD: 1..10000). */
static uint32_t pit_count_value(const PitCounter *c, uint16_t raw)
{
    uint32_t v = raw;
    if (c->bcd) {
        unsigned d3 = raw >> 12, d2 = (raw >> 8) & 15, d1 = (raw >> 4) & 15, d0 = raw & 15;
        if (d3 > 9 || d2 > 9 || d1 > 9 || d0 > 9)
            log_once(LOG_GUEST_ERRORS, PIT_LOG_KEY(1), "pit: count %04x is not BCD\n", raw);
        v = (d3 * 1000 + d2 * 100 + d1 * 10 + d0) % 10000;
    }
    return v ? v : pit_modulus(c);
}

static uint16_t pit_encode(const PitCounter *c, uint32_t v)
{
    v %= pit_modulus(c);
    if (!c->bcd) return (uint16_t)v;
    return (uint16_t)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | v % 10);
}

/* Pulses of the mode 3 high half-cycle: N/2, or (N+1)/2 for odd N. */
static uint32_t pit_mode3_high(uint32_t n)
{
    return (n + 1) / 2;
}

/* OUT after e counting pulses of a sequence of initial count n. */
static int pit_out_fn(int mode, uint32_t n, uint64_t e)
{
    switch (mode) {
    case 0: /* low until terminal count, then high */
    case 1: /* low from the trigger until terminal count */ return e >= n;
    case 2: /* low for the one pulse at which the CE holds 1 */ return n < 2 ? 0 : (e % n) != n - 1;
    case 3: return n < 2 ? 1 : (e % n) < pit_mode3_high(n);
    default: /* 4, 5: low for the one pulse at terminal count */ return e != n;
    }
}

/* The CE value (binary, 0..m-1) after e counting pulses. */
static uint32_t pit_ce_fn(int mode, uint32_t n, uint64_t e, uint32_t m)
{
    switch (mode) {
    case 2: /* n, n-1, ..., 1, reload */ return (n - (uint32_t)(e % n)) % m;
    case 3: { /* decrements by two; odd counts load N-1 (file comment) */
        uint32_t r = (uint32_t)(e % n);
        uint32_t h = pit_mode3_high(n);
        if (r >= h) r -= h;
        return ((n & 1) ? n - 1 - 2 * r : n - 2 * r) % m;
    }
    default: /* 0, 1, 4, 5: n down to 0, then wraps and keeps counting */
        return (n + m - (uint32_t)(e % m)) % m;
    }
}

/* The smallest e' > e at which OUT changes, or PIT_NEVER. */
static uint64_t pit_next_change(int mode, uint32_t n, uint64_t e)
{
    switch (mode) {
    case 0:
    case 1: return e < n ? n : PIT_NEVER;
    case 2: {
        if (n < 2) return PIT_NEVER;
        uint32_t r = (uint32_t)(e % n);
        return r < n - 1 ? e + (n - 1 - r) : e + 1;
    }
    case 3: {
        if (n < 2) return PIT_NEVER;
        uint32_t r = (uint32_t)(e % n);
        uint32_t h = pit_mode3_high(n);
        return r < h ? e + (h - r) : e + (n - r);
    }
    default:
        if (e < n) return n;
        return e == n ? n + 1 : PIT_NEVER;
    }
}

/* ---- the counting element as a function of time ---- */

/* The sequence (n, e) in force at tick t, a pending reload included. */
static void pit_regime(const PitCounter *c, uint64_t t, uint32_t *n, uint64_t *e)
{
    if (c->reload_pending && t >= c->reload_ticks) {
        *n = c->reload_n;
        *e = c->reload_e0 + (t - c->reload_ticks);
        return;
    }
    *n = c->n;
    *e = (c->running && t > c->s0_ticks) ? c->e0 + (t - c->s0_ticks) : c->e0;
}

static int pit_out_at(const PitCounter *c, uint64_t t)
{
    if (!c->armed) return c->mode == 0 ? 0 : 1;
    /* Modes 2 and 3: a low gate forces OUT high. */
    if ((c->mode == 2 || c->mode == 3) && !c->gate) return 1;
    uint32_t n;
    uint64_t e;
    pit_regime(c, t, &n, &e);
    return pit_out_fn(c->mode, n, e);
}

/* The CE contents at tick t, as the output latch would show them. */
static uint16_t pit_ce_at(const PitCounter *c, uint64_t t)
{
    if (!c->armed) return c->hold;
    uint32_t n;
    uint64_t e;
    pit_regime(c, t, &n, &e);
    return pit_encode(c, pit_ce_fn(c->mode, n, e, pit_modulus(c)));
}

/* First tick > after in one running sequence at which OUT changes. */
static uint64_t pit_sequence_edge(int mode, uint32_t n, uint64_t s0, uint64_t e0, uint64_t after)
{
    uint64_t t = after > s0 ? after : s0;
    uint64_t e = pit_next_change(mode, n, e0 + (t - s0));
    return e == PIT_NEVER ? PIT_NEVER : s0 + (e - e0);
}

/* First tick > after at which OUT changes by itself, or PIT_NEVER. */
static uint64_t pit_next_edge(const PitCounter *c, uint64_t after)
{
    if (!c->armed || !c->running) return PIT_NEVER;
    if (c->reload_pending && after >= c->reload_ticks)
        return pit_sequence_edge(c->mode, c->reload_n, c->reload_ticks, c->reload_e0, after);
    uint64_t t = pit_sequence_edge(c->mode, c->n, c->s0_ticks, c->e0, after);
    if (!c->reload_pending || t < c->reload_ticks) return t;
    /* The new count takes over at b (> s0): an edge there, or in it. */
    uint64_t b = c->reload_ticks;
    int before = pit_out_fn(c->mode, c->n, c->e0 + (b - 1 - c->s0_ticks));
    if (before != pit_out_fn(c->mode, c->reload_n, c->reload_e0)) return b;
    return pit_sequence_edge(c->mode, c->reload_n, b, c->reload_e0, b);
}

/* Makes a reload whose time has come the current sequence. */
static void pit_commit(PitCounter *c, uint64_t t)
{
    if (c->reload_pending && t >= c->reload_ticks) {
        c->n = c->reload_n;
        c->s0_ticks = c->reload_ticks;
        c->e0 = c->reload_e0;
        c->reload_pending = false;
    }
}

/* Starts a sequence of the count in CR at the next CLK pulse. */
static void pit_start(PitCounter *c, uint64_t t, bool running)
{
    c->n = pit_count_value(c, c->cr);
    c->e0 = 0;
    c->s0_ticks = t + 1;
    c->armed = true;
    c->running = running;
    c->reload_pending = false;
    c->null_until_ticks = t + 1;
    if (c->n == 1 && (c->mode == 2 || c->mode == 3))
        log_once(LOG_GUEST_ERRORS, PIT_LOG_KEY(2), "pit: count 1 is illegal in mode %d\n", c->mode);
}

/* Stops counting at tick t (the CE keeps its value). */
static void pit_pause(PitCounter *c, uint64_t t)
{
    if (c->running && t > c->s0_ticks) {
        c->e0 += t - c->s0_ticks;
        c->s0_ticks = t;
    }
    c->running = false;
}

/* Modes 2/3: a count written while counting replaces the current one at the
 * end of the period (mode 2) or of the half-cycle (mode 3); a mode 3 count
 * that takes over after a high half starts with its low half. */
static void pit_reload_later(PitCounter *c, uint64_t t, uint32_t n_new)
{
    uint32_t n;
    uint64_t e;
    pit_regime(c, t, &n, &e);
    uint32_t r = (uint32_t)(e % n);
    uint64_t target = e - r + n;
    uint64_t e0_new = 0;
    if (c->mode == 3 && r < pit_mode3_high(n)) {
        target = e - r + pit_mode3_high(n);
        e0_new = pit_mode3_high(n_new);
    }
    c->reload_pending = true;
    c->reload_n = n_new;
    c->reload_e0 = e0_new;
    c->reload_ticks = c->s0_ticks + (target - c->e0);
    c->null_until_ticks = c->reload_ticks;
}

/* A whole count has been written to CR at tick t. */
static void pit_count_written(PitCounter *c, uint64_t t)
{
    c->cr_valid = true;
    switch (c->mode) {
    case 0:
    case 4: /* loaded on the next pulse, counting from there */ pit_start(c, t, c->gate); break;
    case 1:
    case 5: /* loaded by the next trigger */ c->null_until_ticks = PIT_NEVER; break;
    default: /* 2, 3 */
        if (!c->armed) {
            pit_start(c, t, c->gate); /* the first count after the control word */
        } else if (!c->running) {
            c->null_until_ticks = PIT_NEVER; /* the gate's rising edge loads it */
        } else {
            uint32_t n_new = pit_count_value(c, c->cr);
            if (n_new == 1)
                log_once(LOG_GUEST_ERRORS, PIT_LOG_KEY(2), "pit: count 1 is illegal in mode %d\n",
                         c->mode);
            pit_reload_later(c, t, n_new);
        }
        break;
    }
}

static void pit_set_gate(PitCounter *c, bool gate, uint64_t t)
{
    if (gate == c->gate) return;
    pit_commit(c, t);
    c->gate = gate;
    switch (c->mode) {
    case 0:
    case 4: /* the gate enables counting */
        if (!c->armed) break;
        if (!gate) {
            pit_pause(c, t);
        } else {
            if (c->s0_ticks < t) c->s0_ticks = t;
            c->running = true;
        }
        break;
    case 2:
    case 3: /* low: stop, OUT high; rising edge: reload from CR */
        if (!gate) {
            if (c->armed) pit_pause(c, t);
            if (c->reload_pending) {
                c->reload_pending = false;
                c->null_until_ticks = PIT_NEVER;
            }
        } else if (c->cr_valid) {
            pit_start(c, t, true);
        }
        break;
    default: /* 1, 5: the rising edge triggers, the level does nothing */
        if (gate && c->cr_valid) pit_start(c, t, true);
        break;
    }
}

/* ---- channel 0 and irq0 ---- */

static void pit_drive_irq(Pit *p, int level)
{
    if (level == p->irq_level) return;
    p->irq_level = level;
    irq_set(&p->irq0, level);
}

/* Brings irq0 up to date with channel 0's OUT at tick now. When OUT went
 * through more than one change since the last evaluation, irq0 still gets
 * the rising edge the PIC needs. */
static void pit_irq_sync(Pit *p, uint64_t now)
{
    const PitCounter *c = &p->ch[0];
    int cur = pit_out_at(c, now);
    int changes = 0;
    if (now > p->irq_ticks) {
        uint64_t t1 = pit_next_edge(c, p->irq_ticks);
        if (t1 <= now) changes = pit_next_edge(c, t1) <= now ? 2 : 1;
    }
    if (changes >= 2 || (changes == 1 && cur == p->irq_level)) {
        pit_drive_irq(p, 0);
        pit_drive_irq(p, 1);
    }
    pit_drive_irq(p, cur);
    p->irq_ticks = now;
}

static void pit_schedule(Pit *p, uint64_t now)
{
    const PitCounter *c = &p->ch[0];
    uint64_t edge = pit_next_edge(c, now);
    if (edge == PIT_NEVER) {
        timer_del(&p->timer);
        return;
    }
    uint64_t deadline_ns = pit_ticks_to_ns(edge); /* > now_ns, since edge > now */
    if (!pit_out_at(c, edge)) {
        /* A falling edge: if OUT rises again soon, wait for the rise. */
        uint64_t rise = pit_next_edge(c, edge);
        if (rise != PIT_NEVER && pit_ticks_to_ns(rise) - deadline_ns < PIT_MIN_TIMER_NS)
            deadline_ns = pit_ticks_to_ns(rise);
    }
    if (deadline_ns < p->min_deadline_ns) deadline_ns = p->min_deadline_ns;
    timer_mod(&p->timer, deadline_ns);
}

static void pit_timer_cb(void *opaque)
{
    Pit *p = opaque;
    uint64_t now = pit_now_ticks(p);
    p->min_deadline_ns = clock_now_ns(p->clock) + PIT_MIN_TIMER_NS;
    pit_irq_sync(p, now);
    pit_schedule(p, now);
}

/* ---- ports ---- */

static void pit_latch_count(PitCounter *c, uint64_t t)
{
    if (c->count_latched) return; /* a second latch before the read is ignored */
    c->latch = pit_ce_at(c, t);
    c->count_latched = true;
}

static void pit_latch_status(PitCounter *c, uint64_t t)
{
    if (c->status_latched) return;
    c->status = (uint8_t)(pit_out_at(c, t) << 7 | (t < c->null_until_ticks ? 0x40 : 0) | c->ctrl);
    c->status_latched = true;
}

static void pit_read_back(Pit *p, uint8_t val, uint64_t t)
{
    if (val & 1)
        log_once(LOG_GUEST_ERRORS, PIT_LOG_KEY(3), "pit: read-back %02x with D0 set\n", val);
    for (int i = 0; i < 3; i++) {
        if (!(val & (2 << i))) continue;
        /* Status first: if both are latched the first read returns it. */
        if (!(val & 0x10)) pit_latch_status(&p->ch[i], t);
        if (!(val & 0x20)) pit_latch_count(&p->ch[i], t);
    }
}

static void pit_write_control(Pit *p, uint8_t val, uint64_t t)
{
    int sc = val >> 6;
    if (sc == 3) {
        pit_read_back(p, val, t);
        return;
    }
    PitCounter *c = &p->ch[sc];
    if (!(val & 0x30)) {
        pit_latch_count(c, t);
        return;
    }
    pit_commit(c, t);
    c->hold = pit_ce_at(c, t); /* the control logic resets; the CE stops */
    c->ctrl = val & 0x3F;
    c->rw = (val >> 4) & 3;
    c->mode = (val >> 1) & 7;
    if (c->mode > 5) c->mode -= 4; /* 6 and 7 are modes 2 and 3 */
    c->bcd = val & 1;
    c->armed = false;
    c->running = false;
    c->reload_pending = false;
    c->cr_valid = false;
    c->write_msb = false;
    c->read_msb = false;
    c->count_latched = false;
    c->status_latched = false;
    c->null_until_ticks = PIT_NEVER;
}

static void pit_write_counter(PitCounter *c, uint8_t val, uint64_t t)
{
    pit_commit(c, t);
    switch (c->rw) {
    case 1: c->cr = val; break;
    case 2: c->cr = (uint16_t)(val << 8); break;
    default:
        if (!c->write_msb) {
            c->cr_lsb = val;
            c->write_msb = true;
            if (c->mode == 0) {
                /* Mode 0: the first byte stops the count and sets OUT low. */
                c->hold = pit_ce_at(c, t);
                c->armed = false;
            }
            return;
        }
        c->cr = (uint16_t)(c->cr_lsb | val << 8);
        c->write_msb = false;
        break;
    }
    pit_count_written(c, t);
}

static uint8_t pit_read_counter(PitCounter *c, uint64_t t)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v = c->count_latched ? c->latch : pit_ce_at(c, t);
    switch (c->rw) {
    case 1: c->count_latched = false; return (uint8_t)v;
    case 2: c->count_latched = false; return (uint8_t)(v >> 8);
    default:
        if (!c->read_msb) {
            c->read_msb = true;
            return (uint8_t)v;
        }
        c->read_msb = false;
        c->count_latched = false;
        return (uint8_t)(v >> 8);
    }
}

static uint8_t pit_read_port61(const Pit *p, uint64_t t)
{
    uint8_t v = p->port61 & 0x0F;
    if ((t / PIT_REFRESH_TICKS) & 1) v |= 0x10;
    if (pit_out_at(&p->ch[2], t)) v |= 0x20;
    return v;
}

static uint32_t pit_io_read(void *opaque, uint16_t port, unsigned size)
{
    (void)size; /* max_size 1: always a byte */
    Pit *p = opaque;
    uint64_t t = pit_now_ticks(p);
    if (port == 0x61) return pit_read_port61(p, t);
    if (port == 0x43) {
        log_once(LOG_GUEST_ERRORS, PIT_LOG_KEY(4), "pit: read of the control word register\n");
        return 0xFF;
    }
    return pit_read_counter(&p->ch[port - 0x40], t);
}

static void pit_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    (void)size;
    Pit *p = opaque;
    uint64_t t = pit_now_ticks(p);
    uint8_t v = (uint8_t)val;
    if (port == 0x61) {
        p->port61 = v & 0x0F;
        pit_set_gate(&p->ch[2], v & 1, t);
        return;
    }
    /* Let irq0 catch up with the old programming before it changes. */
    pit_irq_sync(p, t);
    if (port == 0x43)
        pit_write_control(p, v, t);
    else
        pit_write_counter(&p->ch[port - 0x40], v, t);
    pit_irq_sync(p, t);
    pit_schedule(p, t);
}

static const IoOps pit_io_ops = {pit_io_read, pit_io_write, 1};

int pit_get_out(Pit *p, int channel)
{
    if (channel < 0 || channel > 2) return -1;
    return pit_out_at(&p->ch[channel], pit_now_ticks(p));
}

void pit_reset(void *opaque)
{
    Pit *p = opaque;
    for (int i = 0; i < 3; i++) {
        PitCounter *c = &p->ch[i];
        *c = (PitCounter){0};
        c->ctrl = 0x30; /* LSB then MSB, mode 0, binary */
        c->rw = 3;
        c->gate = i != 2; /* channels 0 and 1: tied high; 2: port 0x61 bit 0 */
        c->null_until_ticks = PIT_NEVER;
    }
    p->port61 = 0;
    timer_del(&p->timer);
    p->min_deadline_ns = 0;
    p->irq_ticks = pit_now_ticks(p);
    pit_drive_irq(p, pit_out_at(&p->ch[0], p->irq_ticks));
}

Pit *pit_new(Bus *bus, Clock *clock, IrqLine irq0)
{
    Pit *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->clock = clock;
    p->irq0 = irq0;
    timer_init(&p->timer, clock, pit_timer_cb, p, "pit0");
    pit_reset(p);
    bus_register_io(bus, 0x40, 4, &pit_io_ops, p);
    bus_register_io(bus, 0x61, 1, &pit_io_ops, p);
    return p;
}

void pit_free(void *opaque)
{
    Pit *p = opaque;
    if (!p) return;
    timer_del(&p->timer);
    free(p);
}

const DeviceOps pit_device_ops = {"pit", pit_reset, NULL, NULL, pit_free};
