/*
 * hash.c - benchmark workload: integer hashing over a buffer. FNV-1a (one
 * multiply per byte, a serial dependency chain) and a four-lane
 * multiply-rotate hash in the style of xxHash32 (32-bit loads, independent
 * lanes), over a 1 MiB pseudo-random buffer that changes a little between
 * rounds so that no round can be skipped. See bench.h.
 */
#include "bench.h"

#define BUF_BYTES (1u << 20)
#define ROUNDS    48

#define P1 0x9E3779B1u
#define P2 0x85EBCA77u
#define P3 0xC2B2AE3Du
#define P4 0x27D4EB2Fu

static uint8_t buf[BUF_BYTES];

static uint32_t rotl(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static uint32_t load32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 0x811C9DC5u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x01000193u;
    }
    return h;
}

static uint32_t lanes(const uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        v1 = rotl(v1 + load32(p + i) * P2, 13) * P1;
        v2 = rotl(v2 + load32(p + i + 4) * P2, 13) * P1;
        v3 = rotl(v3 + load32(p + i + 8) * P2, 13) * P1;
        v4 = rotl(v4 + load32(p + i + 12) * P2, 13) * P1;
    }
    uint32_t h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18) + (uint32_t)n;
    for (; i < n; i++)
        h = rotl(h + p[i] * P4, 11) * P1;
    h ^= h >> 15;
    h *= P2;
    h ^= h >> 13;
    h *= P3;
    return h ^ (h >> 16);
}

uint32_t bench_run(void)
{
    uint32_t s = 0x12345678u;
    for (size_t i = 0; i < BUF_BYTES; i++)
        buf[i] = (uint8_t)bench_xorshift(&s);
    uint32_t h = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        h = h * 31 + fnv1a(buf, BUF_BYTES);
        h = h * 31 + lanes(buf, BUF_BYTES, r);
        /* Odd lengths exercise the byte tails. */
        h = h * 31 + lanes(buf + r, BUF_BYTES / 3 + r, h);
        buf[(h >> 8) & (BUF_BYTES - 1)] ^= (uint8_t)h;
    }
    return h;
}
