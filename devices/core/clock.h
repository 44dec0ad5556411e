/*
 * clock.h - the virtual clock and the deadline timer queue.
 *
 * Guest time is derived from retired instructions: now_ns = base_ns +
 * (insns - base_insns) * 1e9 / ips. The CPU owns the instruction counter;
 * the clock only holds a pointer to it, so a device reading the time in the
 * middle of a CPU slice (a PIT counter read, say) sees the exact instruction
 * it was read at. With a fixed rate (`--icount N`) every run of the same
 * guest with the same inputs is identical.
 *
 * Devices schedule only their edges:
 *
 *   Timer t;
 *   timer_init(&t, clock, my_expired, dev, "pit0");
 *   timer_mod(&t, clock_now_ns(clock) + 1000000);   // in 1 ms of guest time
 *   ...
 *   timer_del(&t);
 *
 * The main loop asks `clock->stop_insns` (the instruction count at which the
 * next deadline falls, or 0 after clock_request_stop) and runs the CPU until
 * its counter reaches it; then clock_run_timers() fires what is due.
 * Devices never read the host clock.
 */
#ifndef BRISK_CLOCK_H
#define BRISK_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define NS_PER_SEC 1000000000ull
#define CLOCK_NEVER UINT64_MAX

typedef struct Clock Clock;
typedef void (*TimerFn)(void *opaque);

typedef struct Timer {
    uint64_t deadline_ns;
    TimerFn cb;
    void *opaque;
    const char *name;
    Clock *clock;
    struct Timer *next;
    bool armed;
} Timer;

struct Clock {
    const uint64_t *insns; /* the CPU's retired-instruction counter */
    uint64_t own_insns;    /* used when no CPU is attached (unit tests) */
    uint64_t base_ns;      /* guest time at base_insns */
    uint64_t base_insns;
    uint64_t ips;          /* instructions per virtual second */
    Timer *head;           /* armed timers, sorted by deadline */
    uint64_t stop_insns;   /* the CPU runs while its counter is below this */
};

/* A clock at time 0 running `ips` instructions per second. */
void clock_init(Clock *c, uint64_t ips);
/* Attaches the CPU's instruction counter (NULL: the clock's own). */
void clock_attach_counter(Clock *c, const uint64_t *insns);

static inline uint64_t clock_insns(const Clock *c) { return *c->insns; }
uint64_t clock_now_ns(const Clock *c);
/* Instruction count at which guest time reaches ns (>= now). */
uint64_t clock_insns_at(const Clock *c, uint64_t ns);
/* Changes the rate from now on; time stays continuous. */
void clock_set_ips(Clock *c, uint64_t ips);
/* Moves guest time forward to ns (HLT, catching up with wall time). */
void clock_advance_to(Clock *c, uint64_t ns);
/* Test helper: advance by n instructions on the clock's own counter. */
void clock_step_insns(Clock *c, uint64_t n);

void timer_init(Timer *t, Clock *c, TimerFn cb, void *opaque, const char *name);
void timer_mod(Timer *t, uint64_t deadline_ns);
void timer_del(Timer *t);
static inline bool timer_pending(const Timer *t) { return t->armed; }

/* Deadline of the first armed timer, or CLOCK_NEVER. */
uint64_t clock_next_deadline(const Clock *c);
/* Fires every timer whose deadline is <= now, in deadline order. */
void clock_run_timers(Clock *c);
/* Makes the CPU leave its run loop at the next block boundary. */
static inline void clock_request_stop(Clock *c) { c->stop_insns = 0; }
/* Recomputes stop_insns from the next deadline. */
void clock_update_stop(Clock *c);

#endif
