/*
 * test_clock.c - the virtual clock and the deadline timer queue
 * (devices/core/clock.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/clock.h"

/* ---- a recorder of timer firings ---- */

typedef struct Fired {
    char order[32];
    int n;
    uint64_t at_ns[32];
} Fired;

typedef struct Probe {
    Timer t;
    Fired *fired;
    char tag;
    Clock *clock;
    int rearm_left; /* re-arm this many times from the callback */
    uint64_t period_ns;
    Timer *kill; /* timer_del this one from the callback */
} Probe;

static void probe_cb(void *opaque)
{
    Probe *p = opaque;
    Fired *f = p->fired;
    if (f->n < 31) {
        f->order[f->n] = p->tag;
        f->at_ns[f->n] = clock_now_ns(p->clock);
        f->order[f->n + 1] = 0;
    }
    f->n++;
    if (p->kill) timer_del(p->kill);
    if (p->rearm_left > 0) {
        p->rearm_left--;
        timer_mod(&p->t, p->t.deadline_ns + p->period_ns);
    }
}

static void probe_init(Probe *p, Clock *c, Fired *f, char tag)
{
    memset(p, 0, sizeof *p);
    p->fired = f;
    p->tag = tag;
    p->clock = c;
    timer_init(&p->t, c, probe_cb, p, "probe");
}

/* ---- time from the instruction counter ---- */

START_TEST(test_now_from_insns)
{
    Clock c;
    clock_init(&c, 1000000000); /* 1 ns per instruction */
    ck_assert_uint_eq(clock_now_ns(&c), 0);
    ck_assert_uint_eq(clock_insns(&c), 0);
    clock_step_insns(&c, 12345);
    ck_assert_uint_eq(clock_now_ns(&c), 12345);
    ck_assert_uint_eq(clock_insns(&c), 12345);

    clock_init(&c, 1000000); /* 1 MIPS: 1000 ns per instruction */
    clock_step_insns(&c, 7);
    ck_assert_uint_eq(clock_now_ns(&c), 7000);

    clock_init(&c, 3); /* 333333333.3 ns per instruction: rounds down */
    clock_step_insns(&c, 1);
    ck_assert_uint_eq(clock_now_ns(&c), 333333333);
    clock_step_insns(&c, 1);
    ck_assert_uint_eq(clock_now_ns(&c), 666666666);
    clock_step_insns(&c, 1);
    ck_assert_uint_eq(clock_now_ns(&c), NS_PER_SEC);

    clock_init(&c, 0); /* a zero rate is taken as 1 instruction per second */
    clock_step_insns(&c, 2);
    ck_assert_uint_eq(clock_now_ns(&c), 2 * NS_PER_SEC);

    /* A long run at a high rate does not overflow: 2^60 instructions at
     * 4 GIPS is 2^60 / 4e9 s. */
    clock_init(&c, 4000000000ull);
    clock_step_insns(&c, 1ull << 60);
    ck_assert_uint_eq(clock_now_ns(&c), (1ull << 60) / 4);
}
END_TEST

START_TEST(test_attach_counter)
{
    Clock c;
    clock_init(&c, 1000000);
    clock_step_insns(&c, 5); /* 5000 ns on the clock's own counter */
    uint64_t cpu_insns = 1000;
    clock_attach_counter(&c, &cpu_insns);
    ck_assert_uint_eq(clock_now_ns(&c), 5000); /* time continues */
    cpu_insns += 3;
    ck_assert_uint_eq(clock_now_ns(&c), 8000);
    ck_assert_uint_eq(clock_insns(&c), 1003);
    clock_attach_counter(&c, NULL);
    ck_assert_uint_eq(clock_now_ns(&c), 8000);
}
END_TEST

START_TEST(test_insns_at_rounding)
{
    Clock c;
    clock_init(&c, 3);
    /* The first instruction count at which now_ns >= ns. */
    ck_assert_uint_eq(clock_insns_at(&c, 0), 0);
    ck_assert_uint_eq(clock_insns_at(&c, 1), 1);
    ck_assert_uint_eq(clock_insns_at(&c, 333333333), 1);
    ck_assert_uint_eq(clock_insns_at(&c, 333333334), 2);
    ck_assert_uint_eq(clock_insns_at(&c, NS_PER_SEC), 3);
    ck_assert_uint_eq(clock_insns_at(&c, NS_PER_SEC + 1), 4);
    ck_assert_uint_eq(clock_insns_at(&c, CLOCK_NEVER), UINT64_MAX);
    /* Round trip: at that count the time has reached ns, one before not. */
    clock_init(&c, 1193182);
    for (uint64_t ns = 1; ns < 10000000; ns = ns * 3 + 7) {
        uint64_t n = clock_insns_at(&c, ns);
        Clock probe = c;
        probe.own_insns = n;
        probe.insns = &probe.own_insns;
        ck_assert_uint_ge(clock_now_ns(&probe), ns);
        probe.own_insns = n - 1;
        ck_assert_uint_lt(clock_now_ns(&probe), ns);
    }
    /* A time already past maps to the base count (the CPU stops at once). */
    clock_init(&c, 1000);
    clock_step_insns(&c, 10);
    clock_set_ips(&c, 1000);
    ck_assert_uint_eq(clock_insns_at(&c, 5), 10);
}
END_TEST

START_TEST(test_set_ips_continuous)
{
    Clock c;
    clock_init(&c, 1000000000);
    clock_step_insns(&c, 500);
    clock_set_ips(&c, 1000000); /* from now on 1000 ns per instruction */
    ck_assert_uint_eq(clock_now_ns(&c), 500);
    clock_step_insns(&c, 1);
    ck_assert_uint_eq(clock_now_ns(&c), 1500);
    clock_set_ips(&c, 2000000000);
    ck_assert_uint_eq(clock_now_ns(&c), 1500);
    clock_step_insns(&c, 4);
    ck_assert_uint_eq(clock_now_ns(&c), 1502);
    /* Deadlines stay in guest time: the stop count follows the new rate. */
    Fired f = {0};
    Probe p;
    probe_init(&p, &c, &f, 'a');
    timer_mod(&p.t, 2502); /* 1000 ns from now = 2000 insns at 2 GIPS */
    ck_assert_uint_eq(c.stop_insns, clock_insns(&c) + 2000);
    clock_set_ips(&c, 1000000000);
    ck_assert_uint_eq(c.stop_insns, clock_insns(&c) + 1000);
}
END_TEST

START_TEST(test_advance_to)
{
    Clock c;
    clock_init(&c, 1000000);
    clock_step_insns(&c, 2); /* 2000 ns */
    clock_advance_to(&c, 50000);
    ck_assert_uint_eq(clock_now_ns(&c), 50000);
    clock_step_insns(&c, 1);
    ck_assert_uint_eq(clock_now_ns(&c), 51000);
    clock_advance_to(&c, 100); /* never backwards */
    ck_assert_uint_eq(clock_now_ns(&c), 51000);
    /* HLT: skip to the next deadline and fire it. */
    Fired f = {0};
    Probe p;
    probe_init(&p, &c, &f, 'h');
    timer_mod(&p.t, 1000000);
    clock_run_timers(&c);
    ck_assert_int_eq(f.n, 0);
    clock_advance_to(&c, clock_next_deadline(&c));
    ck_assert_uint_eq(c.stop_insns, clock_insns(&c)); /* due now */
    clock_run_timers(&c);
    ck_assert_int_eq(f.n, 1);
    ck_assert_uint_eq(f.at_ns[0], 1000000);
}
END_TEST

/* ---- timers ---- */

START_TEST(test_timer_order)
{
    Clock c;
    clock_init(&c, 1000000000);
    Fired f = {0};
    Probe a, b1, b2, b3, d, late;
    probe_init(&a, &c, &f, 'a');
    probe_init(&b1, &c, &f, '1');
    probe_init(&b2, &c, &f, '2');
    probe_init(&b3, &c, &f, '3');
    probe_init(&d, &c, &f, 'd');
    probe_init(&late, &c, &f, 'L');
    timer_mod(&d.t, 400);
    timer_mod(&b1.t, 200);
    timer_mod(&late.t, 5000);
    timer_mod(&a.t, 100);
    timer_mod(&b2.t, 200); /* equal deadlines fire in the order they were set */
    timer_mod(&b3.t, 200);
    ck_assert(timer_pending(&a.t));
    ck_assert_uint_eq(clock_next_deadline(&c), 100);
    clock_step_insns(&c, 99);
    clock_run_timers(&c);
    ck_assert_int_eq(f.n, 0);
    clock_step_insns(&c, 901);
    clock_run_timers(&c);
    ck_assert_str_eq(f.order, "a123d");
    ck_assert(!timer_pending(&a.t));
    ck_assert(timer_pending(&late.t));
    ck_assert_uint_eq(clock_next_deadline(&c), 5000);
    /* Re-setting a pending timer moves it (and its place among equals). */
    timer_mod(&b1.t, 6000);
    timer_mod(&b2.t, 6000);
    timer_mod(&b1.t, 6000);
    timer_mod(&late.t, 7000);
    clock_step_insns(&c, 10000);
    clock_run_timers(&c);
    ck_assert_str_eq(f.order, "a123d21L");
    ck_assert_uint_eq(clock_next_deadline(&c), CLOCK_NEVER);
}
END_TEST

START_TEST(test_timer_rearm_from_callback)
{
    Clock c;
    clock_init(&c, 1000000000);
    Fired f = {0};
    Probe p;
    probe_init(&p, &c, &f, 'p');
    p.rearm_left = 100;
    p.period_ns = 100;
    timer_mod(&p.t, 100);
    clock_step_insns(&c, 350);
    clock_run_timers(&c);
    /* 100, 200, 300 are all due by 350: each re-arm that is still due fires
     * in the same run, and the one at 400 waits. */
    ck_assert_int_eq(f.n, 3);
    ck_assert(timer_pending(&p.t));
    ck_assert_uint_eq(clock_next_deadline(&c), 400);
    ck_assert_uint_eq(c.stop_insns, 400);
    clock_step_insns(&c, 50);
    clock_run_timers(&c);
    ck_assert_int_eq(f.n, 4);
    ck_assert_uint_eq(clock_next_deadline(&c), 500);
    /* A periodic timer stops once it no longer re-arms. */
    p.rearm_left = 0;
    clock_step_insns(&c, 1000);
    clock_run_timers(&c);
    ck_assert_int_eq(f.n, 5);
    ck_assert(!timer_pending(&p.t));
    ck_assert_uint_eq(c.stop_insns, UINT64_MAX);
}
END_TEST

START_TEST(test_timer_del)
{
    Clock c;
    clock_init(&c, 1000000000);
    Fired f = {0};
    Probe a, b, k;
    probe_init(&a, &c, &f, 'a');
    probe_init(&b, &c, &f, 'b');
    probe_init(&k, &c, &f, 'k');
    timer_del(&a.t); /* never armed: harmless */
    timer_mod(&a.t, 100);
    timer_mod(&b.t, 200);
    timer_del(&a.t);
    ck_assert(!timer_pending(&a.t));
    timer_del(&a.t); /* twice: harmless */
    ck_assert_uint_eq(clock_next_deadline(&c), 200);
    /* A callback deleting a timer that is due in the same run. */
    k.kill = &b.t;
    timer_mod(&k.t, 150);
    clock_step_insns(&c, 1000);
    clock_run_timers(&c);
    ck_assert_str_eq(f.order, "k");
    ck_assert_uint_eq(clock_next_deadline(&c), CLOCK_NEVER);
    /* Deleting the last timer in the middle of a longer queue. */
    timer_mod(&a.t, 3000);
    timer_mod(&b.t, 2000);
    timer_mod(&k.t, 4000);
    timer_del(&a.t);
    k.kill = NULL;
    clock_step_insns(&c, 5000);
    clock_run_timers(&c);
    ck_assert_str_eq(f.order, "kbk");
}
END_TEST

START_TEST(test_stop_insns)
{
    Clock c;
    clock_init(&c, 1000000); /* 1000 ns per instruction */
    ck_assert_uint_eq(c.stop_insns, UINT64_MAX);
    Fired f = {0};
    Probe a, b;
    probe_init(&a, &c, &f, 'a');
    probe_init(&b, &c, &f, 'b');
    timer_mod(&a.t, 10000);
    ck_assert_uint_eq(c.stop_insns, 10);
    timer_mod(&b.t, 4500); /* rounds up: 5 instructions */
    ck_assert_uint_eq(c.stop_insns, 5);
    timer_del(&b.t);
    ck_assert_uint_eq(c.stop_insns, 10);
    /* A stop request holds through timer changes... */
    clock_request_stop(&c);
    ck_assert_uint_eq(c.stop_insns, 0);
    timer_mod(&b.t, 20000);
    ck_assert_uint_eq(c.stop_insns, 0);
    timer_del(&b.t);
    ck_assert_uint_eq(c.stop_insns, 0);
    clock_update_stop(&c);
    ck_assert_uint_eq(c.stop_insns, 0);
    /* ...until the main loop has run the timers. */
    clock_step_insns(&c, 3);
    clock_run_timers(&c);
    ck_assert_uint_eq(c.stop_insns, 10);
    clock_step_insns(&c, 7);
    clock_run_timers(&c);
    ck_assert_str_eq(f.order, "a");
    ck_assert_uint_eq(c.stop_insns, UINT64_MAX);
    /* A deadline in the past: the CPU must stop at once. */
    timer_mod(&a.t, 1);
    ck_assert_uint_le(c.stop_insns, clock_insns(&c));
    clock_run_timers(&c);
    ck_assert_str_eq(f.order, "aa");
}
END_TEST

static Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("time");
    tcase_add_test(tc, test_now_from_insns);
    tcase_add_test(tc, test_attach_counter);
    tcase_add_test(tc, test_insns_at_rounding);
    tcase_add_test(tc, test_set_ips_continuous);
    tcase_add_test(tc, test_advance_to);
    suite_add_tcase(s, tc);

    tc = tcase_create("timers");
    tcase_add_test(tc, test_timer_order);
    tcase_add_test(tc, test_timer_rearm_from_callback);
    tcase_add_test(tc, test_timer_del);
    tcase_add_test(tc, test_stop_insns);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(clock_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
