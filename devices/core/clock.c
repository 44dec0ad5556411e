/*
 * clock.c - the virtual clock and the deadline timer queue (see clock.h).
 *
 * Time arithmetic uses unsigned __int128 (GCC and Clang on every 64-bit host
 * Brisk supports) so that insns * 1e9 cannot overflow in a long run.
 */
#include "clock.h"

#include <stddef.h>

typedef unsigned __int128 u128;

void clock_init(Clock *c, uint64_t ips)
{
    c->own_insns = 0;
    c->insns = &c->own_insns;
    c->base_ns = 0;
    c->base_insns = 0;
    c->ips = ips ? ips : 1;
    c->head = NULL;
    c->stop_insns = UINT64_MAX;
}

void clock_attach_counter(Clock *c, const uint64_t *insns)
{
    uint64_t now = clock_now_ns(c);
    c->insns = insns ? insns : &c->own_insns;
    c->base_insns = *c->insns;
    c->base_ns = now;
    clock_update_stop(c);
}

uint64_t clock_now_ns(const Clock *c)
{
    uint64_t d = *c->insns - c->base_insns;
    return c->base_ns + (uint64_t)((u128)d * NS_PER_SEC / c->ips);
}

uint64_t clock_insns_at(const Clock *c, uint64_t ns)
{
    if (ns == CLOCK_NEVER) return UINT64_MAX;
    if (ns <= c->base_ns) return c->base_insns;
    u128 d = (u128)(ns - c->base_ns) * c->ips;
    /* Round up: the first instruction count at which now_ns >= ns. */
    u128 n = (d + NS_PER_SEC - 1) / NS_PER_SEC;
    u128 r = (u128)c->base_insns + n;
    return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
}

void clock_set_ips(Clock *c, uint64_t ips)
{
    c->base_ns = clock_now_ns(c);
    c->base_insns = *c->insns;
    c->ips = ips ? ips : 1;
    clock_update_stop(c);
}

void clock_advance_to(Clock *c, uint64_t ns)
{
    if (ns <= clock_now_ns(c)) return;
    c->base_ns = ns;
    c->base_insns = *c->insns;
    clock_update_stop(c);
}

void clock_step_insns(Clock *c, uint64_t n) { c->own_insns += n; }

void timer_init(Timer *t, Clock *c, TimerFn cb, void *opaque, const char *name)
{
    t->deadline_ns = CLOCK_NEVER;
    t->cb = cb;
    t->opaque = opaque;
    t->name = name;
    t->clock = c;
    t->next = NULL;
    t->armed = false;
}

static void unlink_timer(Timer *t)
{
    Timer **pp = &t->clock->head;
    while (*pp && *pp != t) pp = &(*pp)->next;
    if (*pp) *pp = t->next;
    t->next = NULL;
    t->armed = false;
}

void timer_mod(Timer *t, uint64_t deadline_ns)
{
    if (t->armed) unlink_timer(t);
    t->deadline_ns = deadline_ns;
    /* Insert after every timer with a deadline <= ours: equal deadlines fire
     * in the order they were set, which keeps runs deterministic. */
    Timer **pp = &t->clock->head;
    while (*pp && (*pp)->deadline_ns <= deadline_ns) pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
    clock_update_stop(t->clock);
}

void timer_del(Timer *t)
{
    if (!t->armed) return;
    unlink_timer(t);
    clock_update_stop(t->clock);
}

uint64_t clock_next_deadline(const Clock *c) { return c->head ? c->head->deadline_ns : CLOCK_NEVER; }

void clock_update_stop(Clock *c)
{
    uint64_t at = clock_insns_at(c, clock_next_deadline(c));
    /* Never raise stop_insns past a pending stop request (0). */
    if (c->stop_insns != 0 || at == 0) c->stop_insns = at;
}

void clock_run_timers(Clock *c)
{
    uint64_t now = clock_now_ns(c);
    while (c->head && c->head->deadline_ns <= now) {
        Timer *t = c->head;
        c->head = t->next;
        t->next = NULL;
        t->armed = false;
        t->cb(t->opaque); /* may re-arm itself */
    }
    c->stop_insns = UINT64_MAX;
    clock_update_stop(c);
}
