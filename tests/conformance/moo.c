/*
 * moo.c - reader for the MOO single-step CPU test format (see moo.h).
 *
 * Parsing is a bounds-checked walk over the inflated buffer: each chunk's
 * declared length must fit in what remains of its parent, each field must
 * fit in its chunk, so corrupt input ends in an error message.
 */
#include "tests/conformance/moo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

const char *const moo_reg_names[MOO_NREGS] = {
    "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags",
};

static int fail(MooFile *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->error, sizeof f->error, fmt, ap);
    va_end(ap);
    return -1;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* A chunk inside [p, end): fills tag/payload/len and returns the end of the
 * chunk, or NULL if the header or the payload does not fit. */
static const uint8_t *chunk(const uint8_t *p, const uint8_t *end, const uint8_t **payload,
                            uint32_t *len)
{
    if ((size_t)(end - p) < 8) return NULL;
    *len = get_u32(p + 4);
    if (*len > (size_t)(end - p) - 8) return NULL;
    *payload = p + 8;
    return p + 8 + *len;
}

static int grow(MooFile *f, size_t need)
{
    if (need <= f->cap) return 0;
    size_t cap = f->cap ? f->cap : 1u << 20;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) return fail(f, "file too large");
        cap *= 2;
    }
    uint8_t *d = realloc(f->data, cap);
    if (!d) return fail(f, "out of memory (%zu bytes)", cap);
    f->data = d;
    f->cap = cap;
    return 0;
}

/* Parses the header chunk at the start of the buffer. */
static int parse_header(MooFile *f)
{
    const uint8_t *p = f->data, *end = f->data + f->size, *pl;
    uint32_t len;
    f->pos = 0;
    f->version = 0;
    f->test_count = 0;
    memset(f->cpu_name, 0, sizeof f->cpu_name);
    if (f->size < 8 || memcmp(p, "MOO ", 4) != 0) return fail(f, "not a MOO file (no header)");
    const uint8_t *next = chunk(p, end, &pl, &len);
    if (!next) return fail(f, "truncated MOO header");
    if (len < 8) return fail(f, "MOO header too short (%u bytes)", len);
    f->version = pl[0];
    f->test_count = get_u32(pl + 4);
    if (len >= 12) memcpy(f->cpu_name, pl + 8, 4);
    f->pos = (size_t)(next - f->data);
    return 0;
}

int moo_open(MooFile *f, const char *path)
{
    f->size = 0;
    f->pos = 0;
    f->error[0] = 0;
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) return fail(f, "%s: %s", path, errno ? strerror(errno) : "cannot open");
    gzbuffer(gz, 256 * 1024);
    for (;;) {
        if (grow(f, f->size + (1u << 18)) != 0) {
            gzclose(gz);
            return -1;
        }
        size_t room = f->cap - f->size;
        if (room > (1u << 30)) room = 1u << 30;
        int n = gzread(gz, f->data + f->size, (unsigned)room);
        if (n < 0) {
            int err;
            const char *msg = gzerror(gz, &err);
            fail(f, "%s", msg); /* zlib's message names the file */
            gzclose(gz);
            return -1;
        }
        if (n == 0) break;
        f->size += (size_t)n;
    }
    int err;
    const char *msg = gzerror(gz, &err);
    if (err != Z_OK) {
        fail(f, "%s", msg);
        gzclose(gz);
        return -1;
    }
    gzclose(gz);
    if (parse_header(f) != 0) {
        char tmp[sizeof f->error];
        snprintf(tmp, sizeof tmp, "%s", f->error);
        return fail(f, "%s: %s", path, tmp);
    }
    return 0;
}

int moo_open_mem(MooFile *f, const void *data, size_t size)
{
    f->size = 0;
    f->pos = 0;
    f->error[0] = 0;
    if (grow(f, size ? size : 1) != 0) return -1;
    if (size) memcpy(f->data, data, size);
    f->size = size;
    return parse_header(f);
}

static int parse_regs(MooFile *f, MooState *s, const uint8_t *p, uint32_t len)
{
    if (len < 2) return fail(f, "REGS chunk too short");
    uint16_t mask = get_u16(p);
    if (mask >> MOO_NREGS) return fail(f, "REGS mask %#06x names unknown registers", mask);
    uint32_t need = 2;
    for (int i = 0; i < MOO_NREGS; i++)
        need += 2 * ((mask >> i) & 1);
    if (len < need) return fail(f, "REGS chunk too short for mask %#06x", mask);
    s->reg_mask = mask;
    const uint8_t *q = p + 2;
    for (int i = 0; i < MOO_NREGS; i++) {
        if (mask >> i & 1) {
            s->regs[i] = get_u16(q);
            q += 2;
        }
    }
    return 0;
}

static int parse_state(MooFile *f, MooState *s, const uint8_t *p, uint32_t len, const char *what)
{
    const uint8_t *end = p + len, *pl;
    uint32_t clen;
    memset(s, 0, sizeof *s);
    while (p < end) {
        const uint8_t *next = chunk(p, end, &pl, &clen);
        if (!next) return fail(f, "%s: truncated sub-chunk", what);
        if (!memcmp(p, "REGS", 4)) {
            if (parse_regs(f, s, pl, clen) != 0) return -1;
        } else if (!memcmp(p, "RAM ", 4)) {
            if (clen < 4) return fail(f, "%s: RAM chunk too short", what);
            uint32_t n = get_u32(pl);
            if (n > (clen - 4) / 5)
                return fail(f, "%s: RAM chunk holds fewer than %u entries", what, n);
            s->ram_count = n;
            s->ram = pl + 4;
        }
        p = next;
    }
    return 0;
}

int moo_next(MooFile *f, MooTest *t)
{
    const uint8_t *end = f->data + f->size;
    for (;;) {
        if (f->pos >= f->size) return 0;
        const uint8_t *p = f->data + f->pos, *pl;
        uint32_t len;
        const uint8_t *next = chunk(p, end, &pl, &len);
        if (!next) return fail(f, "truncated chunk at offset %zu", f->pos);
        size_t at = f->pos;
        f->pos = (size_t)(next - f->data);
        if (memcmp(p, "TEST", 4) != 0) continue; /* unknown top-level chunk */

        memset(t, 0, sizeof *t);
        if (len < 4) return fail(f, "TEST chunk at offset %zu too short", at);
        t->index = get_u32(pl);
        const uint8_t *q = pl + 4, *tend = pl + len, *sp;
        uint32_t slen;
        bool have_bytes = false, have_init = false, have_fina = false;
        while (q < tend) {
            const uint8_t *qn = chunk(q, tend, &sp, &slen);
            if (!qn) return fail(f, "test %u: truncated sub-chunk", t->index);
            if (!memcmp(q, "NAME", 4) || !memcmp(q, "BYTS", 4)) {
                if (slen < 4 || get_u32(sp) > slen - 4)
                    return fail(f, "test %u: bad %.4s chunk", t->index, (const char *)q);
                if (q[0] == 'N') {
                    t->name = (const char *)sp + 4;
                    t->name_len = get_u32(sp);
                } else {
                    t->bytes = sp + 4;
                    t->nbytes = get_u32(sp);
                    have_bytes = true;
                }
            } else if (!memcmp(q, "INIT", 4)) {
                if (parse_state(f, &t->init, sp, slen, "INIT") != 0) return -1;
                have_init = true;
            } else if (!memcmp(q, "FINA", 4)) {
                if (parse_state(f, &t->fina, sp, slen, "FINA") != 0) return -1;
                have_fina = true;
            } else if (!memcmp(q, "EXCP", 4)) {
                if (slen < 5) return fail(f, "test %u: EXCP chunk too short", t->index);
                t->has_exception = true;
                t->exc_vector = sp[0];
                t->exc_flag_addr = get_u32(sp + 1);
            } else if (!memcmp(q, "HASH", 4)) {
                if (slen < 20) return fail(f, "test %u: HASH chunk too short", t->index);
                memcpy(t->hash, sp, 20);
                t->has_hash = true;
            }
            q = qn;
        }
        if (!have_bytes || !have_init || !have_fina)
            return fail(f, "test %u: missing %s chunk", t->index,
                        !have_bytes  ? "BYTS"
                        : !have_init ? "INIT"
                                     : "FINA");
        if (!t->name) {
            t->name = "";
            t->name_len = 0;
        }
        return 1;
    }
}

void moo_free(MooFile *f)
{
    free(f->data);
    f->data = NULL;
    f->size = f->cap = f->pos = 0;
}
