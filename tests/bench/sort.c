/*
 * sort.c - benchmark workload: quicksort (median of three, insertion sort
 * below 16 elements, recursion on the smaller part) of 256 Ki
 * pseudo-random 32-bit integers, several times with different seeds.
 * Data-dependent branches and memory traffic. The checksum covers the
 * sorted arrays and fails loudly (checksum 0) if one is not sorted.
 * See bench.h.
 */
#include "bench.h"

#define N      (1u << 18)
#define ROUNDS 8

static uint32_t a[N];

static void insertion(uint32_t *v, int lo, int hi)
{
    for (int i = lo + 1; i <= hi; i++) {
        uint32_t x = v[i];
        int j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

static void swap(uint32_t *v, int i, int j)
{
    uint32_t t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void quicksort(uint32_t *v, int lo, int hi)
{
    while (hi - lo >= 16) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) swap(v, mid, lo);
        if (v[hi] < v[lo]) swap(v, hi, lo);
        if (v[hi] < v[mid]) swap(v, hi, mid);
        uint32_t pivot = v[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                swap(v, i, j);
                i++;
                j--;
            }
        }
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
    insertion(v, lo, hi);
}

uint32_t bench_run(void)
{
    uint32_t sum = 0;
    for (uint32_t r = 0; r < ROUNDS; r++) {
        uint32_t s = 0x2545F491u + r * 0x9E3779B9u;
        for (uint32_t i = 0; i < N; i++)
            a[i] = bench_xorshift(&s) >> (r & 3) * 4;
        quicksort(a, 0, (int)N - 1);
        for (uint32_t i = 1; i < N; i++)
            if (a[i - 1] > a[i]) return 0;
        for (uint32_t i = 0; i < N; i += 97)
            sum = sum * 33 + a[i];
    }
    return sum;
}
