/*
 * native.c - the host runtime of a benchmark workload: runs bench_run()
 * once, timed with the monotonic clock, and prints
 *   checksum: XXXXXXXX
 *   native_ns: N
 * on stdout (tests/bench/run.sh reads both).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <time.h>

#include "bench.h"

int main(void)
{
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    uint32_t sum = bench_run();
    clock_gettime(CLOCK_MONOTONIC, &b);
    long long ns = (long long)(b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec);
    printf("checksum: %08x\nnative_ns: %lld\n", (unsigned)sum, ns);
    return 0;
}
