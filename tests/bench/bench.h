/*
 * bench.h - the interface between a benchmark workload and the runtime it
 * is linked with. Each workload is ONE C file (tests/bench/<name>.c) that
 * defines bench_run(); it is compiled twice with the same flags apart from
 * the target: as a Multiboot kernel for i386 with rt/rt.c (runs under
 * Brisk and QEMU) and as a native host program with native.c. Both print
 * the checksum bench_run() returns, so tests/bench/run.sh can check that
 * the three runs computed the same thing.
 *
 * Workloads use only uint32_t arithmetic (the same result on a 32-bit guest
 * and a 64-bit host), no libc and no floating point, and keep their data
 * in static arrays (the guest's BSS, zeroed by the loader).
 */
#ifndef BRISK_BENCH_H
#define BRISK_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* The workload: runs once and returns its checksum. */
uint32_t bench_run(void);

/* A small, fast pseudo-random generator (Marsaglia's xorshift32). */
static inline uint32_t bench_xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Keeps the compiler from computing a loop away at build time. */
#define BENCH_OPAQUE(v) __asm__ volatile("" : "+r"(v))

#endif
