/*
 * fib.c - benchmark workload: calls. Doubly recursive Fibonacci and the
 * Takeuchi function: small frames, CALL/RET, pushes and pops, and
 * return-address prediction, nearly nothing else. See bench.h.
 */
#include "bench.h"

static uint32_t __attribute__((noinline)) fib(uint32_t n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int32_t __attribute__((noinline)) tak(int32_t x, int32_t y, int32_t z)
{
    if (y >= x) return z;
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y));
}

uint32_t bench_run(void)
{
    uint32_t n = 35, x = 22;
    BENCH_OPAQUE(n);
    BENCH_OPAQUE(x);
    uint32_t sum = fib(n);
    sum = sum * 31 + (uint32_t)tak((int32_t)x, 14, 6);
    return sum;
}
