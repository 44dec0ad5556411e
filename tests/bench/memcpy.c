/*
 * memcpy.c - benchmark workload: memory copies. A word-at-a-time forward
 * copy with byte heads and tails (what a simple C library memcpy does) and
 * an overlap-safe memmove, over sizes from 8 bytes to 1 MiB, aligned and
 * misaligned, plus overlapping moves in both directions. Loads and stores
 * dominate: this is the soft TLB's and the memory path's workload.
 * See bench.h.
 */
#include "bench.h"

#define BUF_BYTES (2u << 20)

static uint8_t src_buf[BUF_BYTES];
static uint8_t dst_buf[BUF_BYTES];

static void copy_fwd(uint8_t *d, const uint8_t *s, size_t n)
{
    while (n && ((uintptr_t)d & 3)) {
        *d++ = *s++;
        n--;
    }
    if (!((uintptr_t)s & 3)) {
        uint32_t *dw = (uint32_t *)d;
        const uint32_t *sw = (const uint32_t *)s;
        for (; n >= 16; n -= 16) {
            dw[0] = sw[0];
            dw[1] = sw[1];
            dw[2] = sw[2];
            dw[3] = sw[3];
            dw += 4;
            sw += 4;
        }
        for (; n >= 4; n -= 4)
            *dw++ = *sw++;
        d = (uint8_t *)dw;
        s = (const uint8_t *)sw;
    }
    while (n--)
        *d++ = *s++;
}

static void move(uint8_t *d, const uint8_t *s, size_t n)
{
    if (d <= s || d >= s + n) {
        copy_fwd(d, s, n);
        return;
    }
    /* Overlap with the destination above the source: copy backwards. */
    d += n;
    s += n;
    while (n && ((uintptr_t)d & 3)) {
        *--d = *--s;
        n--;
    }
    if (!((uintptr_t)s & 3)) {
        for (; n >= 4; n -= 4) {
            d -= 4;
            s -= 4;
            *(uint32_t *)d = *(const uint32_t *)s;
        }
    }
    while (n--)
        *--d = *--s;
}

static uint32_t sample(const uint8_t *p, size_t n)
{
    uint32_t h = (uint32_t)n;
    for (size_t i = 0; i < n; i += 61)
        h = h * 16777619u ^ p[i];
    return h ^ p[n - 1];
}

uint32_t bench_run(void)
{
    static const uint32_t sizes[] = {8, 31, 64, 100, 256, 1000, 4096, 16384, 65536, 1u << 20};
    uint32_t s = 0xC0FFEE11u;
    for (size_t i = 0; i < BUF_BYTES; i++)
        src_buf[i] = (uint8_t)bench_xorshift(&s);
    uint32_t sum = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        uint32_t n = sizes[k];
        /* About 6 MiB moved per size. */
        uint32_t reps = (6u << 20) / n;
        for (uint32_t r = 0; r < reps; r++) {
            uint32_t soff = (r * 2654435761u >> 8) % (BUF_BYTES - n - 8) & ~(r & 1 ? 0u : 3u);
            uint32_t doff = (r * 40503u + k * 977u) % (BUF_BYTES - n - 8) & ~(r & 2 ? 0u : 3u);
            copy_fwd(dst_buf + doff, src_buf + soff, n);
            if ((r & 63) == 0) sum = sum * 31 + sample(dst_buf + doff, n);
        }
        /* Overlapping moves, both directions, inside the destination. */
        uint32_t mreps = reps / 4 + 1;
        for (uint32_t r = 0; r < mreps; r++) {
            uint32_t off = (r * 7919u) % (BUF_BYTES / 2 - n - 64);
            uint32_t delta = 1 + (r & 31);
            if (r & 1)
                move(dst_buf + off + delta, dst_buf + off, n);
            else
                move(dst_buf + off, dst_buf + off + delta, n);
        }
        sum = sum * 31 + sample(dst_buf, BUF_BYTES);
    }
    return sum;
}
