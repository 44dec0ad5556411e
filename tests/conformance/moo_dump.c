/*
 * moo_dump.c - prints the tests of a MOO file, and checks the reader.
 *
 *   moo_dump FILE [N]         dump the first N tests (default 3), then
 *                             count them all against the header
 *   moo_dump --fuzz FILE [N]  parse N (default 2000) truncated and
 *                             corrupted copies of FILE: the reader must
 *                             return errors, never crash (run under ASan)
 *
 * A development tool for tests/conformance/moo.c; CTest does not run it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/conformance/moo.h"

static void dump_state(const char *what, const MooState *s)
{
    printf("  %s:", what);
    for (int i = 0; i < MOO_NREGS; i++)
        if (s->reg_mask >> i & 1) printf(" %s=%04X", moo_reg_names[i], s->regs[i]);
    printf("\n    ram[%u]:", s->ram_count);
    for (uint32_t i = 0; i < s->ram_count; i++)
        printf(" %05X=%02X", moo_ram_addr(s, i), moo_ram_value(s, i));
    printf("\n");
}

static void dump_test(const MooTest *t)
{
    printf("test %u: %.*s\n  bytes:", t->index, (int)t->name_len, t->name);
    for (uint32_t i = 0; i < t->nbytes; i++)
        printf(" %02X", t->bytes[i]);
    printf("\n");
    dump_state("init", &t->init);
    dump_state("fina", &t->fina);
    if (t->has_exception)
        printf("  exception %u, flags at %05X\n", t->exc_vector, t->exc_flag_addr);
    if (t->has_hash) {
        printf("  hash ");
        for (int i = 0; i < 20; i++)
            printf("%02x", t->hash[i]);
        printf("\n");
    }
}

/* Parses every test of the buffer; returns the count or -1. */
static long parse_all(MooFile *f, const uint8_t *buf, size_t n)
{
    if (moo_open_mem(f, buf, n) != 0) return -1;
    MooTest t;
    long count = 0;
    int r;
    unsigned sum = 0;
    while ((r = moo_next(f, &t)) > 0) {
        /* touch what the pointers reach so ASan sees a bad one */
        for (uint32_t i = 0; i < t.nbytes; i++)
            sum += t.bytes[i];
        for (uint32_t i = 0; i < t.name_len; i++)
            sum += (uint8_t)t.name[i];
        for (uint32_t i = 0; i < t.init.ram_count; i++)
            sum += moo_ram_value(&t.init, i);
        for (uint32_t i = 0; i < t.fina.ram_count; i++)
            sum += moo_ram_addr(&t.fina, i);
        count++;
    }
    if (sum == 0xFFFFFFFFu) printf("!");
    return r < 0 ? -1 : count;
}

static int fuzz(const char *path, long rounds)
{
    MooFile f = {0};
    if (moo_open(&f, path) != 0) {
        fprintf(stderr, "%s\n", f.error);
        return 1;
    }
    size_t size = f.size;
    uint8_t *orig = malloc(size), *buf = malloc(size);
    if (!orig || !buf) return 1;
    memcpy(orig, f.data, size);
    MooFile g = {0};
    long errors = 0, ok = 0;
    srand(12345);
    for (long i = 0; i < rounds; i++) {
        size_t n = size;
        memcpy(buf, orig, size);
        if (i % 2 == 0) {
            n = (size_t)(((double)rand() / RAND_MAX) * (double)size);
        } else {
            int flips = 1 + rand() % 8;
            for (int k = 0; k < flips; k++) {
                size_t at = (size_t)rand() % size;
                buf[at] = (uint8_t)(rand() % 3 == 0 ? 0xFF : rand());
            }
        }
        /* a private copy of exactly n bytes, so ASan catches any overread */
        uint8_t *exact = malloc(n ? n : 1);
        memcpy(exact, buf, n);
        if (parse_all(&g, exact, n) < 0)
            errors++;
        else
            ok++;
        free(exact);
    }
    /* truncated gzip stream through moo_open */
    char tmp[] = "/tmp/moo_fuzz_XXXXXX";
    FILE *in = fopen(path, "rb");
    if (in) {
        fseek(in, 0, SEEK_END);
        long gzsize = ftell(in);
        fseek(in, 0, SEEK_SET);
        uint8_t *gz = malloc((size_t)gzsize);
        if (gz && fread(gz, 1, (size_t)gzsize, in) == (size_t)gzsize) {
            for (int k = 1; k <= 4; k++) {
                int fd = mkstemp(tmp);
                FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
                if (!out) break;
                fwrite(gz, 1, (size_t)gzsize * k / 5, out);
                fclose(out);
                int r = moo_open(&g, tmp);
                printf("truncated gzip (%d/5): %s\n", k, r ? g.error : "opened (!)");
                remove(tmp);
                strcpy(tmp, "/tmp/moo_fuzz_XXXXXX");
            }
        }
        free(gz);
        fclose(in);
    }
    printf("fuzz: %ld rounds, %ld parsed, %ld errors, no crash\n", rounds, ok, errors);
    moo_free(&f);
    moo_free(&g);
    free(orig);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "--fuzz"))
        return fuzz(argv[2], argc > 3 ? atol(argv[3]) : 2000);
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [N] | --fuzz FILE [N]\n", argv[0]);
        return 2;
    }
    long show = argc > 2 ? atol(argv[2]) : 3;
    MooFile f = {0};
    if (moo_open(&f, argv[1]) != 0) {
        fprintf(stderr, "%s\n", f.error);
        return 1;
    }
    printf("MOO version %u, cpu '%s', %u tests, %zu bytes inflated\n", f.version, f.cpu_name,
           f.test_count, f.size);
    MooTest t;
    long count = 0;
    int r;
    while ((r = moo_next(&f, &t)) > 0) {
        if (count < show) dump_test(&t);
        count++;
    }
    if (r < 0) {
        fprintf(stderr, "error after %ld tests: %s\n", count, f.error);
        return 1;
    }
    printf("%ld tests read%s\n", count, count == (long)f.test_count ? "" : " (header differs!)");
    moo_free(&f);
    return count == (long)f.test_count ? 0 : 1;
}
