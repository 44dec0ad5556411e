/*
 * run_singlestep.c - CPU conformance runner over the 80286 single-step
 * test vectors (../shared/testdata/singlestep-80286, see its README.md).
 *
 * Each test is one instruction recorded on a real 80286 in real mode: the
 * runner loads the initial registers and RAM bytes into a Brisk machine
 * core (bus + 16 MiB RAM + clock + CPU + translator), runs from CS:IP
 * until the HLT that ends the test (an exception goes through the IVT in
 * the test's RAM to a handler that is itself a HLT), and compares the final
 * registers and RAM with the recording. FLAGS are masked by the bits that
 * metadata.json calls undefined for the opcode (per ModRM reg field for
 * group opcodes), both in the FLAGS register and in the FLAGS image an
 * exception pushes (EXCP gives its address).
 *
 * Brisk models a P6, not a 286. Every place where the two legitimately
 * differ is listed in exclusions.txt with its reason and Intel SDM section;
 * the runner skips or masks exactly those and prints how many tests each
 * one removed (and how many of those would have failed). Everything else
 * that differs is a failure.
 *
 * Differences the runner cannot mask bit by bit are handled by the kinds of
 * exclusion (see the head of exclusions.txt): skip a file, a test or a class
 * of tests; mask FLAGS bits or registers; or alias an exception vector
 * (the P6 raises #SS where the 286 raised interrupt 13: IVT entry 12 is
 * pointed at the recorded 13 handler through another CS:IP with the same
 * physical address, so the final CS:IP shows which vector Brisk took and
 * the frame is still compared).
 *
 * One machine serves every test. Between tests the runner undoes what the
 * previous test did: the RAM bytes it wrote or the recording says changed
 * are written back to zero through the bus (so the translator drops blocks
 * decoded from them) and the CPU is reset. After a failing test the low
 * 1.1 MiB is checked for stray writes, and at the end of each file the
 * whole RAM must be zero again; if it is not, a passing test wrote where
 * it should not, and the file runs again with the check after every test
 * to name it. A watchdog timer on the virtual clock stops a test that runs
 * away; a host-time watchdog stops one that loops without retiring
 * instructions (a fault whose delivery faults again).
 *
 *   run_singlestep [-v|-vv] [-n N] [--data=DIR] [--exclusions=FILE]
 *                  [--no-exclusions] [--jit=off|on] [STEM...]
 *
 * The last line of the output is always `N passed, M failed` (CI reads it);
 * the exit status is 1 when anything failed or the data is missing.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "cpu/cpu.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "tests/conformance/moo.h"
#include "translator/exec.h"

#ifndef BRISK_TESTDATA_DIR
#define BRISK_TESTDATA_DIR "../shared/testdata/singlestep-80286"
#endif
#ifndef BRISK_EXCLUSIONS_FILE
#define BRISK_EXCLUSIONS_FILE "tests/conformance/exclusions.txt"
#endif

#define RAM_BYTES (16u << 20)
/* Every physical address a real-mode 286 test can reach: 0xFFFF:0xFFFF
 * plus a word, rounded up. The per-test stray-write check covers this. */
#define REACH_BYTES    0x120000u
#define WATCHDOG_INSNS 10000u
/* Host-time limit per test, for loops that retire no instruction (a fault
 * whose delivery faults again): the instruction watchdog never fires. */
#define HOST_TICK_MS     50
#define HOST_LIMIT_TICKS 5
#define DEFAULT_SHOWN    3 /* failures printed per file without -v */

/* ------------------------------------------------------------------------ */
/* Small helpers                                                            */

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "run_singlestep: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    printf("0 passed, 1 failed\n");
    exit(1);
}

/* Reads a whole text file; NULL if it cannot be read. */
static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        if (got == 0) break;
        n += got;
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parses 40 hex digits; returns false otherwise. */
static bool parse_sha1(const char *s, size_t n, uint8_t out[20])
{
    if (n != 40) return false;
    for (int i = 0; i < 20; i++) {
        int h = hexval(s[2 * i]), l = hexval(s[2 * i + 1]);
        if (h < 0 || l < 0) return false;
        out[i] = (uint8_t)(h << 4 | l);
    }
    return true;
}

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, 20);
}

typedef struct HashSet {
    uint8_t (*h)[20];
    size_t n, cap;
} HashSet;

static void hashset_add(HashSet *s, const uint8_t h[20])
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->h = realloc(s->h, s->cap * 20);
        if (!s->h) die("out of memory");
    }
    memcpy(s->h[s->n++], h, 20);
}
static void hashset_sort(HashSet *s)
{
    if (s->n) qsort(s->h, s->n, 20, cmp_hash);
}
static bool hashset_has(const HashSet *s, const uint8_t h[20])
{
    return s->n && bsearch(h, s->h, s->n, 20, cmp_hash) != NULL;
}

/* ------------------------------------------------------------------------ */
/* metadata.json: the undefined-flags masks                                 */

typedef struct Meta {
    uint16_t op_mask[256]; /* flags-mask of the opcode (0xFFFF: none) */
    bool has_reg[256];     /* a group opcode: masks per reg field */
    uint16_t reg_mask[256][8];
} Meta;

typedef struct Json {
    const char *p, *end;
    bool err;
} Json;

static void js_ws(Json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool js_lit(Json *j, char c)
{
    js_ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return true;
    }
    return false;
}

/* A string into out (escapes kept as the escaped character, \u as '?'). */
static bool js_string(Json *j, char *out, size_t cap)
{
    size_t n = 0;
    if (!js_lit(j, '"')) return j->err = true, false;
    while (j->p < j->end && *j->p != '"') {
        char c = *j->p++;
        if (c == '\\') {
            if (j->p >= j->end) break;
            c = *j->p++;
            if (c == 'u') {
                j->p += (j->end - j->p) < 4 ? (j->end - j->p) : 4;
                c = '?';
            }
        }
        if (n + 1 < cap) out[n++] = c;
    }
    if (cap) out[n] = 0;
    if (j->p >= j->end) return j->err = true, false;
    j->p++;
    return true;
}

static bool js_skip(Json *j, int depth)
{
    js_ws(j);
    if (j->p >= j->end || depth > 64) return j->err = true, false;
    char c = *j->p;
    char tmp[8];
    if (c == '"') return js_string(j, tmp, sizeof tmp);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        if (js_lit(j, close)) return true;
        do {
            if (c == '{') {
                if (!js_string(j, tmp, sizeof tmp) || !js_lit(j, ':')) return j->err = true, false;
            }
            if (!js_skip(j, depth + 1)) return false;
        } while (js_lit(j, ','));
        if (!js_lit(j, close)) return j->err = true, false;
        return true;
    }
    /* number, true, false, null */
    const char *s = j->p;
    while (j->p < j->end && !strchr(",}] \t\r\n", *j->p))
        j->p++;
    if (j->p == s) return j->err = true, false;
    return true;
}

static bool js_number(Json *j, long *v)
{
    js_ws(j);
    char *e;
    char buf[32];
    size_t n = 0;
    while (j->p + n < j->end && n < sizeof buf - 1 && strchr("-+0123456789.eE", j->p[n]))
        n++;
    memcpy(buf, j->p, n);
    buf[n] = 0;
    errno = 0;
    *v = strtol(buf, &e, 10);
    if (n == 0 || e != buf + n || errno) return j->err = true, false;
    j->p += n;
    return true;
}

/* One opcode entry: {"status":..., "flags-mask": N, "reg": {"0": {...}}}. */
static bool meta_entry(Json *j, Meta *m, int op, int reg, int depth)
{
    char key[32];
    if (!js_lit(j, '{')) return j->err = true, false;
    if (js_lit(j, '}')) return true;
    do {
        if (!js_string(j, key, sizeof key) || !js_lit(j, ':')) return j->err = true, false;
        if (!strcmp(key, "flags-mask")) {
            long v;
            if (!js_number(j, &v)) return false;
            if (op >= 0) {
                if (reg >= 0)
                    m->reg_mask[op][reg] = (uint16_t)v;
                else
                    m->op_mask[op] = (uint16_t)v;
            }
        } else if (!strcmp(key, "reg") && reg < 0 && depth == 0) {
            if (!js_lit(j, '{')) return j->err = true, false;
            if (js_lit(j, '}')) continue;
            do {
                char rk[16];
                if (!js_string(j, rk, sizeof rk) || !js_lit(j, ':')) return j->err = true, false;
                int r = (rk[0] >= '0' && rk[0] <= '7' && !rk[1]) ? rk[0] - '0' : -1;
                if (op >= 0 && r >= 0) m->has_reg[op] = true;
                if (!meta_entry(j, m, r >= 0 ? op : -1, r, depth + 1)) return false;
            } while (js_lit(j, ','));
            if (!js_lit(j, '}')) return j->err = true, false;
        } else if (!js_skip(j, depth + 1)) {
            return false;
        }
    } while (js_lit(j, ','));
    if (!js_lit(j, '}')) return j->err = true, false;
    return true;
}

static bool meta_load(Meta *m, const char *path, char *err, size_t errlen)
{
    for (int i = 0; i < 256; i++) {
        m->op_mask[i] = 0xFFFF;
        m->has_reg[i] = false;
        for (int r = 0; r < 8; r++)
            m->reg_mask[i][r] = 0xFFFF;
    }
    size_t len;
    char *text = read_text(path, &len);
    if (!text) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    Json j = {text, text + len, false};
    char key[64];
    bool found = false;
    if (js_lit(&j, '{') && !js_lit(&j, '}')) {
        do {
            if (!js_string(&j, key, sizeof key) || !js_lit(&j, ':')) break;
            if (!strcmp(key, "opcodes")) {
                found = true;
                if (!js_lit(&j, '{')) break;
                if (js_lit(&j, '}')) continue;
                do {
                    char ok[16];
                    if (!js_string(&j, ok, sizeof ok) || !js_lit(&j, ':')) break;
                    /* one-byte opcodes only; the 0F00/0F01 groups are not in
                     * the real-mode data */
                    int op = (strlen(ok) == 2 && hexval(ok[0]) >= 0 && hexval(ok[1]) >= 0)
                                 ? hexval(ok[0]) << 4 | hexval(ok[1])
                                 : -1;
                    if (!meta_entry(&j, m, op, -1, 0)) break;
                } while (js_lit(&j, ','));
                if (j.err || !js_lit(&j, '}')) {
                    j.err = true;
                    break;
                }
            } else if (!js_skip(&j, 0)) {
                break;
            }
        } while (js_lit(&j, ','));
    } else {
        j.err = true;
    }
    free(text);
    if (j.err || !found) {
        snprintf(err, errlen, "%s: %s", path, j.err ? "malformed JSON" : "no \"opcodes\" object");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* Instruction shape: prefixes, opcode, ModRM                               */

/* One-byte opcodes with a ModRM byte (8086/186/286 map). */
static bool in_list(const uint8_t *list, size_t n, int op)
{
    return op >= 0 && memchr(list, op, n) != NULL;
}

static bool has_modrm(uint8_t op)
{
    static const uint8_t more[] = {0x62, 0x63, 0x69, 0x6B, 0xC0, 0xC1, 0xC4, 0xC5, 0xC6,
                                   0xC7, 0xD0, 0xD1, 0xD2, 0xD3, 0xF6, 0xF7, 0xFE, 0xFF};
    if (op < 0x40) return (op & 7) < 4;
    if ((op >= 0x80 && op <= 0x8F) || (op >= 0xD8 && op <= 0xDF)) return true;
    return in_list(more, sizeof more, op);
}

/* Segment register numbers as the memseg condition names them. */
enum { SEG_ES_N, SEG_CS_N, SEG_SS_N, SEG_DS_N };

typedef struct Shape {
    int npfx;
    bool seg_pfx, rep, lock;
    int seg_override; /* SEG_xx_N of the last segment prefix, -1 if none */
    int op;           /* -1: only prefixes */
    int modrm;        /* -1: none */
    int imm8;         /* the first byte after ModRM and displacement, -1 if none */
    int len;          /* instruction length (the bytes before the final HLT) */
    int memseg;       /* segment of the (first) memory operand, -2 if none */
    long ea;          /* its offset, -2 if none */
    bool stack;       /* the instruction uses the stack (push, pop, call, ...) */
} Shape;

static bool is_prefix(uint8_t b)
{
    return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0xF0 || b == 0xF1 ||
           b == 0xF2 || b == 0xF3;
}

static bool is_stack_op(int op, int reg)
{
    static const uint8_t ops[] = {0x06, 0x07, 0x0E, 0x16, 0x17, 0x1E, 0x1F, 0x60, 0x61,
                                  0x68, 0x6A, 0x8F, 0x9A, 0x9C, 0x9D, 0xC2, 0xC3, 0xC8,
                                  0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xE8};
    if (op == 0xFF) return reg == 2 || reg == 3 || reg == 6; /* CALL, CALL far, PUSH */
    return (op >= 0x50 && op <= 0x5F) || in_list(ops, sizeof ops, op);
}

static void shape_of(const MooTest *t, Shape *s)
{
    const uint16_t *r = t->init.regs;
    memset(s, 0, sizeof *s);
    s->op = s->modrm = s->imm8 = s->seg_override = -1;
    s->memseg = -2;
    s->ea = -2;
    s->len = (int)t->nbytes - (t->nbytes && t->bytes[t->nbytes - 1] == 0xF4 ? 1 : 0);
    uint32_t i = 0;
    while (i < t->nbytes && i < 15 && is_prefix(t->bytes[i])) {
        uint8_t b = t->bytes[i++];
        if (b == 0xF0 || b == 0xF1) {
            s->lock = true;
        } else if (b == 0xF2 || b == 0xF3) {
            s->rep = true;
        } else {
            s->seg_pfx = true;
            s->seg_override = (b >> 3) & 3; /* 26 ES, 2E CS, 36 SS, 3E DS */
        }
    }
    s->npfx = (int)i;
    if (i >= t->nbytes) return;
    s->op = t->bytes[i++];
    int dseg = s->seg_override >= 0 ? s->seg_override : SEG_DS_N;
    if (!has_modrm((uint8_t)s->op) || i >= t->nbytes) {
        if (i < t->nbytes) s->imm8 = t->bytes[i];
        s->stack = is_stack_op(s->op, -1);
        int op = s->op;
        if (op >= 0xA0 && op <= 0xA3 && i + 1 < t->nbytes) { /* MOV moffs */
            s->memseg = dseg;
            s->ea = t->bytes[i] | t->bytes[i + 1] << 8;
        } else if ((op >= 0xA4 && op <= 0xA7) || op == 0xAC || op == 0xAD || op == 0x6E ||
                   op == 0x6F) { /* string source DS:SI */
            s->memseg = dseg;
            s->ea = r[MOO_SI];
        } else if (op == 0xAA || op == 0xAB || op == 0xAE || op == 0xAF || op == 0x6C ||
                   op == 0x6D) { /* string destination ES:DI */
            s->memseg = SEG_ES_N;
            s->ea = r[MOO_DI];
        }
        return;
    }
    s->modrm = t->bytes[i++];
    int mod = s->modrm >> 6, rm = s->modrm & 7;
    s->stack = is_stack_op(s->op, (s->modrm >> 3) & 7);
    uint32_t disp = mod == 1 ? 1 : mod == 2 ? 2 : (mod == 0 && rm == 6) ? 2 : 0;
    if (mod != 3 && i + disp <= t->nbytes) {
        /* the 16-bit effective address (SDM Vol. 2A Table 2-1) */
        static const int base[8][2] = {{MOO_BX, MOO_SI}, {MOO_BX, MOO_DI}, {MOO_BP, MOO_SI},
                                       {MOO_BP, MOO_DI}, {MOO_SI, -1},     {MOO_DI, -1},
                                       {MOO_BP, -1},     {MOO_BX, -1}};
        long ea = 0;
        if (!(mod == 0 && rm == 6)) {
            ea = r[base[rm][0]];
            if (base[rm][1] >= 0) ea += r[base[rm][1]];
        }
        if (disp == 1) ea += (int8_t)t->bytes[i];
        if (disp == 2) ea += t->bytes[i] | t->bytes[i + 1] << 8;
        s->ea = ea & 0xFFFF;
        bool bp_based = (rm == 2 || rm == 3 || (rm == 6 && mod != 0));
        s->memseg = s->seg_override >= 0 ? s->seg_override : bp_based ? SEG_SS_N : SEG_DS_N;
    }
    i += disp;
    if (i < t->nbytes) s->imm8 = t->bytes[i];
}

/* Is this an instruction a P6 accepts a LOCK prefix on: ADD, ADC, AND, OR,
 * SBB, SUB, XOR, XCHG, INC, DEC, NOT, NEG with a memory destination (SDM
 * Vol. 2A, LOCK; the other lockable ones are 0F-prefixed, absent here)? */
static bool lockable(const Shape *s)
{
    if (s->op < 0 || s->modrm < 0 || (s->modrm >> 6) == 3) return false;
    int op = s->op, reg = (s->modrm >> 3) & 7;
    if (op < 0x40) return (op & 7) <= 1 && (op >> 3) != 7;     /* ALU Eb,Gb / Ev,Gv but CMP */
    if (op >= 0x80 && op <= 0x83) return reg != 7;             /* group 1 but CMP */
    if (op == 0x86 || op == 0x87) return true;                 /* XCHG */
    if (op == 0xF6 || op == 0xF7) return reg == 2 || reg == 3; /* NOT, NEG */
    if (op == 0xFE || op == 0xFF) return reg <= 1;             /* INC, DEC */
    return false;
}

/* The metadata key of the opcode after the prefixes ("F7.6", "00"). */
static void meta_key(const Meta *m, const Shape *s, char *out, size_t n)
{
    if (s->op < 0)
        snprintf(out, n, "?");
    else if (m->has_reg[s->op] && s->modrm >= 0)
        snprintf(out, n, "%02X.%d", s->op, (s->modrm >> 3) & 7);
    else
        snprintf(out, n, "%02X", s->op);
}

static uint16_t meta_flags_mask(const Meta *m, const Shape *s)
{
    if (s->op < 0) return 0xFFFF;
    if (m->has_reg[s->op] && s->modrm >= 0) return m->reg_mask[s->op][(s->modrm >> 3) & 7];
    return m->op_mask[s->op];
}

/* ------------------------------------------------------------------------ */
/* exclusions.txt                                                           */

typedef enum { EX_FILE, EX_TEST, EX_CLASS, EX_MASK, EX_VECTOR } ExKind;

/* The fields a condition can test: (enum name, name in the file). */
#define COND_FIELDS(X)                                                                             \
    X(OP, "op")                                                                                    \
    X(REG, "reg")                                                                                  \
    X(MOD, "mod")                                                                                  \
    X(RM, "rm")                                                                                    \
    X(EXC, "exc")                                                                                  \
    X(REP, "rep")                                                                                  \
    X(LOCK, "lock")                                                                                \
    X(LOCKABLE, "lockable")                                                                        \
    X(SEGPFX, "segpfx")                                                                            \
    X(COUNT, "count")                                                                              \
    X(IMM8, "imm8")                                                                                \
    X(LEN, "len")                                                                                  \
    X(MEMSEG, "memseg")                                                                            \
    X(EA, "ea")                                                                                    \
    X(STACK, "stack")                                                                              \
    X(AX, "ax")                                                                                    \
    X(AL, "al")                                                                                    \
    X(AH, "ah")                                                                                    \
    X(CX, "cx")                                                                                    \
    X(CL, "cl")                                                                                    \
    X(SP, "sp")                                                                                    \
    X(BP, "bp")                                                                                    \
    X(SI, "si")                                                                                    \
    X(DI, "di")                                                                                    \
    X(IP, "ip")

typedef enum {
#define X(id, name) FLD_##id,
    COND_FIELDS(X)
#undef X
        FLD_NFIELDS
} CondField;

static const char *const field_names[FLD_NFIELDS] = {
#define X(id, name) name,
    COND_FIELDS(X)
#undef X
};

typedef enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } CondOp;

typedef struct Cond {
    CondField field;
    CondOp op;
    long value;
} Cond;

#define MAX_CONDS 6

typedef struct Exclusion {
    ExKind kind;
    char key[64]; /* file stems, opcodes ("F7"), groups ("F7.6") or "*" */
    uint8_t hash[20];
    Cond cond[MAX_CONDS];
    int ncond;
    uint16_t flags_bits; /* EX_MASK: FLAGS bits ignored */
    uint16_t reg_bits;   /* EX_MASK: registers ignored (1 << MOO_xx) */
    int vec_286, vec_p6; /* EX_VECTOR: the 286 raised vec_286, a P6 vec_p6 */
    int line;
    char *text;      /* the line as written, for the report */
    long removed;    /* tests skipped, or decided by the mask */
    long would_fail; /* of the skipped tests, how many fail */
} Exclusion;

typedef struct ExList {
    Exclusion *e;
    int n, cap;
} ExList;

static bool parse_cond(const char *s, Cond *c)
{
    size_t flen = strcspn(s, "=!<>");
    int f;
    for (f = 0; f < FLD_NFIELDS; f++)
        if (strlen(field_names[f]) == flen && !strncmp(s, field_names[f], flen)) break;
    if (f == FLD_NFIELDS) return false;
    c->field = (CondField)f;
    /* two-character operators first */
    static const struct {
        const char *text;
        CondOp op;
    } ops[] = {{"!=", OP_NE}, {"<=", OP_LE}, {">=", OP_GE},
               {"=", OP_EQ},  {"<", OP_LT},  {">", OP_GT}};
    const char *p = s + flen;
    size_t k;
    for (k = 0; k < sizeof ops / sizeof ops[0]; k++)
        if (!strncmp(p, ops[k].text, strlen(ops[k].text))) break;
    if (k == sizeof ops / sizeof ops[0]) return false;
    c->op = ops[k].op;
    p += strlen(ops[k].text);
    static const char *const names[] = {"es", "cs", "ss", "ds"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(p, names[i])) {
            c->value = i;
            return true;
        }
    if (!strcmp(p, "none")) {
        c->value = -1;
        return true;
    }
    char *e;
    errno = 0;
    c->value = strtol(p, &e, 0);
    return *p && !*e && !errno;
}

/* Splits the next whitespace-separated word off *s. */
static char *next_word(char **s)
{
    char *p = *s;
    while (*p == ' ' || *p == '\t')
        p++;
    if (!*p) return NULL;
    char *w = p;
    while (*p && *p != ' ' && *p != '\t')
        p++;
    if (*p) *p++ = 0;
    *s = p;
    return w;
}

static void ex_load(ExList *list, const char *path)
{
    char *text = read_text(path, NULL);
    if (!text) die("cannot read the exclusion file %s: %s", path, strerror(errno));
    int lineno = 0;
    char *save = text;
    for (char *line = text; line; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl) *nl = 0;
        lineno++;
        size_t len = strlen(line);
        while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '#') continue;
        char *orig = strdup(p);
        if (!orig) die("out of memory");
        Exclusion e = {0};
        e.line = lineno;
        e.text = orig;
        char *kind = next_word(&p), *key = next_word(&p);
        if (!kind || !key) die("%s:%d: expected `KIND KEY ...`", path, lineno);
        if (!strcmp(kind, "file"))
            e.kind = EX_FILE;
        else if (!strcmp(kind, "test"))
            e.kind = EX_TEST;
        else if (!strcmp(kind, "class"))
            e.kind = EX_CLASS;
        else if (!strcmp(kind, "mask"))
            e.kind = EX_MASK;
        else if (!strcmp(kind, "vector"))
            e.kind = EX_VECTOR;
        else
            die("%s:%d: unknown kind '%s' (file, test, class, mask, vector)", path, lineno, kind);
        if (e.kind == EX_TEST) {
            if (!parse_sha1(key, strlen(key), e.hash))
                die("%s:%d: '%s' is not a SHA-1", path, lineno, key);
        } else {
            if (strlen(key) >= sizeof e.key) die("%s:%d: key too long", path, lineno);
            strcpy(e.key, key);
        }
        if (e.kind == EX_CLASS || e.kind == EX_MASK || e.kind == EX_VECTOR) {
            char *conds = next_word(&p);
            if (!conds) die("%s:%d: missing condition (or `all`)", path, lineno);
            if (strcmp(conds, "all") != 0) {
                for (char *c = strtok(conds, ","); c; c = strtok(NULL, ",")) {
                    if (e.ncond == MAX_CONDS) die("%s:%d: too many conditions", path, lineno);
                    if (!parse_cond(c, &e.cond[e.ncond++]))
                        die("%s:%d: bad condition '%s'", path, lineno, c);
                }
            } else if (e.kind == EX_CLASS) {
                die("%s:%d: a class needs a condition (use `file` for a whole file)", path, lineno);
            }
        }
        if (e.kind == EX_MASK) {
            /* FLAGS bits in hex, or a comma-separated list of registers */
            char *what = next_word(&p), *end;
            if (!what) die("%s:%d: expected FLAGS bits (hex) or registers", path, lineno);
            unsigned long v = strtoul(what, &end, 16);
            if (!*end && v > 0 && v <= 0xFFFF) {
                e.flags_bits = (uint16_t)v;
            } else {
                for (char *r = strtok(what, ","); r; r = strtok(NULL, ",")) {
                    int k;
                    for (k = 0; k < MOO_NREGS && strcmp(r, moo_reg_names[k]); k++) {
                    }
                    if (k == MOO_NREGS || k == MOO_FLAGS)
                        die("%s:%d: '%s' is neither FLAGS bits nor a register", path, lineno, r);
                    e.reg_bits |= (uint16_t)(1u << k);
                }
            }
        }
        if (e.kind == EX_VECTOR) {
            char *what = next_word(&p), *end = NULL;
            long a = what ? strtol(what, &end, 0) : -1, b = -1;
            if (end && *end == '=') b = strtol(end + 1, &end, 0);
            if (!what || !end || *end || a < 0 || a > 255 || b < 0 || b > 255 || a == b)
                die("%s:%d: expected VEC286=VECP6", path, lineno);
            e.vec_286 = (int)a;
            e.vec_p6 = (int)b;
        }
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p) die("%s:%d: every exclusion needs its reason and SDM reference", path, lineno);
        if (list->n == list->cap) {
            list->cap = list->cap ? 2 * list->cap : 32;
            list->e = realloc(list->e, (size_t)list->cap * sizeof *list->e);
            if (!list->e) die("out of memory");
        }
        list->e[list->n++] = e;
    }
    free(text);
}

/* Does the key of an exclusion (a comma-separated list) cover this file? */
static bool key_matches(const char *key, const char *stem)
{
    for (const char *k = key; *k;) {
        size_t n = strcspn(k, ",");
        if ((n == 1 && *k == '*') || (strlen(stem) == n && !strncmp(stem, k, n))) return true;
        /* an opcode ("F7") covers its group files ("F7.6") */
        if (!memchr(k, '.', n) && !strncmp(stem, k, n) && stem[n] == '.') return true;
        k += n;
        if (*k == ',') k++;
    }
    return false;
}

static long cond_field(CondField f, const MooTest *t, const Shape *s)
{
    const uint16_t *r = t->init.regs;
    switch (f) {
    case FLD_OP: return s->op;
    case FLD_REG: return s->modrm < 0 ? -2 : (s->modrm >> 3) & 7;
    case FLD_MOD: return s->modrm < 0 ? -2 : s->modrm >> 6;
    case FLD_RM: return s->modrm < 0 ? -2 : s->modrm & 7;
    case FLD_EXC: return t->has_exception ? t->exc_vector : -1;
    case FLD_REP: return s->rep;
    case FLD_LOCK: return s->lock;
    case FLD_LOCKABLE: return lockable(s);
    case FLD_SEGPFX: return s->seg_pfx;
    case FLD_COUNT:
        /* the shift/rotate count as the instruction names it */
        if (s->op == 0xD0 || s->op == 0xD1) return 1;
        if (s->op == 0xD2 || s->op == 0xD3) return r[MOO_CX] & 0xFF;
        if (s->op == 0xC0 || s->op == 0xC1) return s->imm8;
        return -2;
    case FLD_IMM8: return s->imm8;
    case FLD_LEN: return s->len;
    case FLD_MEMSEG: return s->memseg;
    case FLD_EA: return s->ea;
    case FLD_STACK: return s->stack;
    case FLD_AX: return r[MOO_AX];
    case FLD_AL: return r[MOO_AX] & 0xFF;
    case FLD_AH: return r[MOO_AX] >> 8;
    case FLD_CX: return r[MOO_CX];
    case FLD_CL: return r[MOO_CX] & 0xFF;
    case FLD_SP: return r[MOO_SP];
    case FLD_BP: return r[MOO_BP];
    case FLD_SI: return r[MOO_SI];
    case FLD_DI: return r[MOO_DI];
    case FLD_IP: return r[MOO_IP];
    default: return -2;
    }
}

static bool conds_match(const Exclusion *e, const MooTest *t, const Shape *s)
{
    for (int i = 0; i < e->ncond; i++) {
        long v = cond_field(e->cond[i].field, t, s), w = e->cond[i].value;
        bool ok;
        switch (e->cond[i].op) {
        case OP_EQ: ok = v == w; break;
        case OP_NE: ok = v != w; break;
        case OP_LT: ok = v < w; break;
        case OP_LE: ok = v <= w; break;
        case OP_GT: ok = v > w; break;
        default: ok = v >= w; break;
        }
        if (!ok) return false;
    }
    return true;
}

/* ------------------------------------------------------------------------ */
/* The machine                                                              */

typedef struct Machine {
    Bus *bus;
    uint8_t *ram;
    Clock clk;
    Cpu *cpu;
    Translator *tb;
    Timer watchdog;
    bool watchdog_fired;
    long host_timeouts;
    uint64_t icount0, exc0; /* at the start of the current test */
    /* A vector exclusion's IVT alias: the P6's vector points at the 286
     * vector's handler through another CS:IP with the same physical
     * address, so the final CS:IP tells which one Brisk took. */
    bool alias_on, alias_used;
    uint32_t probe_base; /* see probe_vector(); 0 when not probing */
    uint16_t alias_cs, alias_ip, handler_cs, handler_ip;
    uint32_t alias_entry; /* physical address of the aliased IVT entry */
} Machine;

static void watchdog_expired(void *opaque)
{
    Machine *m = opaque;
    m->watchdog_fired = true;
    clock_request_stop(&m->clk);
}

/* The host-time watchdog: SIGALRM every HOST_TICK_MS. When the current
 * test has run for HOST_LIMIT_TICKS it asks the execution loop to stop by
 * zeroing the clock's stop point, which tb_exec reads at the top of its
 * loop, also between exception deliveries. (An aligned 64-bit store: the
 * loop sees it whole on every host Brisk supports.) */
static Clock *volatile host_clock;
static volatile sig_atomic_t host_ticks, host_test_start, host_expired;

static void host_tick(int sig)
{
    (void)sig;
    host_ticks++;
    Clock *c = host_clock;
    if (c && host_ticks - host_test_start >= HOST_LIMIT_TICKS) {
        host_expired = 1;
        c->stop_insns = 0;
    }
}

static void host_watchdog_start(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = host_tick;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, HOST_TICK_MS * 1000}, {0, HOST_TICK_MS * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void machine_init(Machine *m)
{
    m->bus = bus_new();
    if (!m->bus) die("bus_new failed");
    m->ram = bus_add_ram(m->bus, 0, RAM_BYTES, "ram");
    if (!m->ram) die("cannot allocate guest RAM");
    clock_init(&m->clk, NS_PER_SEC); /* 1 instruction = 1 ns of guest time */
    m->cpu = cpu_new(m->bus, &m->clk);
    if (!m->cpu) die("cpu_new failed");
    clock_attach_counter(&m->clk, &m->cpu->icount);
    m->tb = tb_new(m->cpu);
    if (!m->tb) die("tb_new failed");
    timer_init(&m->watchdog, &m->clk, watchdog_expired, m, "watchdog");
}

static void machine_free(Machine *m)
{
    timer_del(&m->watchdog);
    tb_free(m->tb);
    cpu_free(m->cpu);
    bus_free(m->bus);
}

/* ------------------------------------------------------------------------ */
/* Running and checking one test                                            */

enum { K_EXC, K_HANG, K_REGS, K_MEM, K_FLAGS, K_COUNT };
static const char *const kind_names[K_COUNT] = {
    "exception", "runaway/shutdown", "registers", "memory", "flags",
};

typedef struct Diff {
    char text[96];
} Diff;

#define MAX_DIFFS 24

typedef struct Result {
    bool fail;
    unsigned kinds; /* 1 << K_xxx */
    int ndiff;
    Diff diff[MAX_DIFFS];
    int extra; /* diffs not stored */
} Result;

static void add_diff(Result *r, int kind, const char *fmt, ...)
{
    r->fail = true;
    r->kinds |= 1u << kind;
    if (r->ndiff == MAX_DIFFS) {
        r->extra++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->diff[r->ndiff++].text, sizeof r->diff[0].text, fmt, ap);
    va_end(ap);
}

static void flag_names(uint16_t bits, char *out, size_t n)
{
    static const char *const names[16] = {"CF", "b1", "PF", "b3", "AF",    "b5",    "ZF", "SF",
                                          "TF", "IF", "DF", "OF", "IOPL0", "IOPL1", "NT", "b15"};
    size_t k = 0;
    out[0] = 0;
    for (int i = 0; i < 16; i++)
        if (bits >> i & 1)
            k += (size_t)snprintf(out + k, k < n ? n - k : 0, "%s%s", k ? " " : "", names[i]);
}

/* What the runner needs about one test, computed once. */
typedef struct TestCtx {
    const MooTest *t;
    Shape shape;
    char key[16];       /* metadata key: "F7.6", "00" */
    uint16_t meta_mask; /* undefined flags (metadata) */
    uint16_t ex_mask;   /* FLAGS bits masked by mask exclusions */
    uint16_t ex_regs;   /* registers masked by mask exclusions */
    int mask_ex[8];     /* the mask exclusions that apply */
    int nmask_ex;
    int vec_ex; /* the vector exclusion that applies, or -1 */
} TestCtx;

/* Expected final bytes: INIT values overridden by FINA. Scratch arrays
 * reused from test to test. */
typedef struct Expect {
    uint32_t *addr;
    uint8_t *val;
    uint8_t *init;
    bool *in_init;
    uint32_t n, cap;
} Expect;

static void expect_build(Expect *x, const MooTest *t)
{
    uint32_t need = t->init.ram_count + t->fina.ram_count;
    if (need > x->cap) {
        x->cap = need * 2;
        x->addr = realloc(x->addr, x->cap * sizeof *x->addr);
        x->val = realloc(x->val, x->cap);
        x->init = realloc(x->init, x->cap);
        x->in_init = realloc(x->in_init, x->cap * sizeof *x->in_init);
        if (!x->addr || !x->val || !x->init || !x->in_init) die("out of memory");
    }
    x->n = 0;
    for (uint32_t i = 0; i < t->init.ram_count; i++) {
        uint32_t a = moo_ram_addr(&t->init, i);
        uint8_t v = moo_ram_value(&t->init, i);
        uint32_t k;
        for (k = 0; k < x->n && x->addr[k] != a; k++) {
        }
        if (k == x->n) x->n++;
        x->addr[k] = a;
        x->val[k] = x->init[k] = v;
        x->in_init[k] = true;
    }
    uint32_t ninit = x->n;
    for (uint32_t i = 0; i < t->fina.ram_count; i++) {
        uint32_t a = moo_ram_addr(&t->fina, i);
        uint32_t k;
        for (k = 0; k < ninit && x->addr[k] != a; k++) {
        }
        if (k == ninit) {
            for (k = ninit; k < x->n && x->addr[k] != a; k++) {
            }
            if (k == x->n) {
                x->n++;
                x->init[k] = 0;
                x->in_init[k] = false;
            }
        }
        x->addr[k] = a;
        x->val[k] = moo_ram_value(&t->fina, i);
    }
}

/* The vector whose IVT entry (from the test's RAM) points at phys, or -1. */
static int vector_at(const Expect *x, uint32_t phys)
{
    for (uint32_t k = 0; k < x->n; k++) {
        uint32_t a = x->addr[k];
        if (a >= 0x400 || (a & 3) || !x->in_init[k]) continue;
        uint8_t b[4];
        int found = 0;
        for (uint32_t j = 0; j < x->n; j++)
            if (x->in_init[j] && x->addr[j] >= a && x->addr[j] < a + 4) {
                b[x->addr[j] - a] = x->init[j];
                found++;
            }
        if (found != 4) continue;
        uint32_t ip = (uint32_t)b[0] | (uint32_t)b[1] << 8;
        uint32_t cs = (uint32_t)b[2] | (uint32_t)b[3] << 8;
        if (((cs << 4) + ip) == phys) return (int)(a / 4);
    }
    return -1;
}

/* Loads the test into the machine and runs it. Returns how it ended. */
/* The INIT byte at addr, or -1 if the test does not give it. */
static int init_byte(const Expect *x, uint32_t addr)
{
    for (uint32_t k = 0; k < x->n; k++)
        if (x->addr[k] == addr && x->in_init[k]) return x->init[k];
    return -1;
}

/* Points IVT entry vec_p6 at the handler of vec_286 through an alias
 * CS:IP (see Machine). Only when the test gives the 286 vector's entry and
 * not the P6 one's. */
static void install_alias(Machine *m, const Expect *x, int vec_286, int vec_p6)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++) {
        int v = init_byte(x, (uint32_t)vec_286 * 4 + (uint32_t)i);
        if (v < 0 || init_byte(x, (uint32_t)vec_p6 * 4 + (uint32_t)i) >= 0) return;
        b[i] = (uint8_t)v;
    }
    uint16_t ip = (uint16_t)(b[0] | b[1] << 8), cs = (uint16_t)(b[2] | b[3] << 8);
    if (cs >= 1 && ip <= 0xFFEF) {
        m->alias_cs = (uint16_t)(cs - 1);
        m->alias_ip = (uint16_t)(ip + 16);
    } else if (cs <= 0xFFFE && ip >= 16) {
        m->alias_cs = (uint16_t)(cs + 1);
        m->alias_ip = (uint16_t)(ip - 16);
    } else {
        return;
    }
    m->handler_cs = cs;
    m->handler_ip = ip;
    m->alias_entry = (uint32_t)vec_p6 * 4;
    bus_write(m->bus, m->alias_entry, m->alias_ip, 2);
    bus_write(m->bus, m->alias_entry + 2, m->alias_cs, 2);
    m->alias_on = true;
}

static CpuExit run_test(Machine *m, const MooTest *t, const Expect *x, const Exclusion *vec,
                        bool *runaway, bool *took_exc)
{
    Cpu *cpu = m->cpu;
    const uint16_t *r = t->init.regs;

    cpu_reset(cpu);
    for (uint32_t i = 0; i < t->init.ram_count; i++) {
        uint32_t a = moo_ram_addr(&t->init, i);
        if (a < RAM_BYTES) bus_write(m->bus, a, moo_ram_value(&t->init, i), 1);
    }
    m->alias_on = m->alias_used = false;
    if (vec) install_alias(m, x, vec->vec_286, vec->vec_p6);
    if (m->probe_base) {
        /* every IVT entry the test does not give points at its own HLT */
        for (uint32_t v = 0; v < 256; v++) {
            bool given = false;
            for (uint32_t i = 0; i < 4 && !given; i++)
                given = init_byte(x, v * 4 + i) >= 0;
            bus_write(m->bus, m->probe_base + v, 0xF4, 1);
            if (given) continue;
            bus_write(m->bus, v * 4, v, 2);
            bus_write(m->bus, v * 4 + 2, m->probe_base >> 4, 2);
        }
    }
    cpu->regs[R_EAX] = r[MOO_AX];
    cpu->regs[R_EBX] = r[MOO_BX];
    cpu->regs[R_ECX] = r[MOO_CX];
    cpu->regs[R_EDX] = r[MOO_DX];
    cpu->regs[R_ESP] = r[MOO_SP];
    cpu->regs[R_EBP] = r[MOO_BP];
    cpu->regs[R_ESI] = r[MOO_SI];
    cpu->regs[R_EDI] = r[MOO_DI];
    cpu_load_seg(cpu, S_CS, r[MOO_CS]);
    cpu_load_seg(cpu, S_SS, r[MOO_SS]);
    cpu_load_seg(cpu, S_DS, r[MOO_DS]);
    cpu_load_seg(cpu, S_ES, r[MOO_ES]);
    cpu_update_mode(cpu);
    cpu->eip = r[MOO_IP];
    cpu->next_eip = r[MOO_IP];
    /* A 286 in real mode holds FLAGS bits 12-15 clear whatever the
     * recording's INIT says (its FINA and every pushed image show them
     * clear): load the state the 286 actually ran with. */
    cpu_set_eflags(cpu, r[MOO_FLAGS] & 0x0FFFu, 0xFFFFFFFFu);

    m->exc0 = tb_stats(m->tb)->exceptions;
    m->icount0 = cpu->icount;
    m->watchdog_fired = false;
    timer_mod(&m->watchdog, clock_now_ns(&m->clk) + WATCHDOG_INSNS);
    host_expired = 0;
    host_test_start = host_ticks;
    host_clock = &m->clk;
    CpuExit why;
    for (;;) {
        why = tb_exec(m->tb);
        if (why != CPU_EXIT_STOP) break;
        if (host_expired) break;
        clock_run_timers(&m->clk);
        if (m->watchdog_fired) break;
    }
    host_clock = NULL;
    timer_del(&m->watchdog);
    if (host_expired) {
        m->host_timeouts++;
        clock_update_stop(&m->clk);
    }
    *runaway = m->watchdog_fired || host_expired;
    *took_exc = tb_stats(m->tb)->exceptions != m->exc0;
    return why;
}

/* Compares the machine with the expected final state. flags_mask selects
 * the FLAGS bits that count (in the register and in the pushed image of an
 * exception); reg_ignore the registers that do not. */
static void check_test(Machine *m, const TestCtx *c, const Expect *x, uint16_t flags_mask,
                       uint16_t reg_ignore, CpuExit why, bool runaway, bool took_exc, Result *res)
{
    const MooTest *t = c->t;
    Cpu *cpu = m->cpu;
    res->fail = false;
    res->kinds = 0;
    res->ndiff = 0;
    res->extra = 0;

    if (runaway && host_expired)
        add_diff(res, K_HANG,
                 "no HLT after %d ms of host time: %llu instructions retired, "
                 "%llu exceptions delivered",
                 HOST_TICK_MS * HOST_LIMIT_TICKS, (unsigned long long)(cpu->icount - m->icount0),
                 (unsigned long long)(tb_stats(m->tb)->exceptions - m->exc0));
    else if (runaway)
        add_diff(res, K_HANG, "no HLT within %u instructions", WATCHDOG_INSNS);
    else if (why == CPU_EXIT_SHUTDOWN)
        add_diff(res, K_HANG, "triple fault (shutdown)");
    else if (why != CPU_EXIT_HALT)
        add_diff(res, K_HANG, "tb_exec returned %d", (int)why);

    uint16_t got[MOO_NREGS], want[MOO_NREGS];
    static const int gpr[] = {R_EAX, R_EBX, R_ECX, R_EDX};
    for (int i = 0; i < 4; i++)
        got[MOO_AX + i] = (uint16_t)cpu->regs[gpr[i]];
    got[MOO_CS] = cpu->seg[S_CS].sel;
    got[MOO_SS] = cpu->seg[S_SS].sel;
    got[MOO_DS] = cpu->seg[S_DS].sel;
    got[MOO_ES] = cpu->seg[S_ES].sel;
    got[MOO_SP] = (uint16_t)cpu->regs[R_ESP];
    got[MOO_BP] = (uint16_t)cpu->regs[R_EBP];
    got[MOO_SI] = (uint16_t)cpu->regs[R_ESI];
    got[MOO_DI] = (uint16_t)cpu->regs[R_EDI];
    got[MOO_IP] = (uint16_t)cpu->eip;
    uint32_t eflags = cpu_get_eflags(cpu);
    got[MOO_FLAGS] = (uint16_t)eflags;
    for (int i = 0; i < MOO_NREGS; i++)
        want[i] = (t->fina.reg_mask >> i & 1) ? t->fina.regs[i] : t->init.regs[i];

    /* Brisk took the P6 vector of a vector exclusion: it ended at the
     * alias of the 286 vector's handler. */
    m->alias_used =
        m->alias_on && got[MOO_CS] == m->alias_cs && got[MOO_IP] == (uint16_t)(m->alias_ip + 1);
    if (m->alias_used) {
        got[MOO_CS] = m->handler_cs;
        got[MOO_IP] = (uint16_t)(m->handler_ip + 1);
    }

    /* The exception. Brisk counts the faults it delivers; INT n, INT3 and
     * INTO are not faults, the final CS:IP shows them. */
    int exp_vec = t->has_exception ? t->exc_vector : -1;
    uint32_t final_phys = ((uint32_t)got[MOO_CS] << 4) + (uint16_t)(got[MOO_IP] - 1);
    int got_vec = vector_at(x, final_phys);
    char gotv[48];
    if (got_vec >= 0 && (took_exc || exp_vec >= 0))
        snprintf(gotv, sizeof gotv, "#%d", got_vec);
    else
        snprintf(gotv, sizeof gotv, "%s", took_exc ? "an exception (vector unknown)" : "none");
    if (exp_vec >= 0 && (got[MOO_CS] != want[MOO_CS] || got[MOO_IP] != want[MOO_IP]))
        add_diff(res, K_EXC, "exception: expected #%d, got %s", exp_vec, gotv);
    else if (exp_vec < 0 && took_exc)
        add_diff(res, K_EXC, "exception: expected none, got %s", gotv);

    for (int i = 0; i < MOO_NREGS; i++) {
        if (i == MOO_FLAGS) {
            uint16_t d = (uint16_t)((want[i] ^ got[i]) & flags_mask);
            if (d) {
                char names[96];
                flag_names(d, names, sizeof names);
                add_diff(res, K_FLAGS, "flags: init %04X expected %04X got %04X (differ: %s)",
                         t->init.regs[i], want[i], got[i], names);
            }
        } else if (want[i] != got[i] && !(reg_ignore >> i & 1)) {
            add_diff(res, K_REGS, "%s: init %04X expected %04X got %04X", moo_reg_names[i],
                     t->init.regs[i], want[i], got[i]);
        }
    }
    /* A 16-bit instruction never touches the upper halves. */
    static const char *const rn[8] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    for (int i = 0; i < 8; i++)
        if (cpu->regs[i] >> 16)
            add_diff(res, K_REGS, "%s: upper half %04X (expected 0)", rn[i], cpu->regs[i] >> 16);
    if (cpu->eip >> 16) add_diff(res, K_REGS, "eip: %08X (expected a 16-bit IP)", cpu->eip);
    if (eflags >> 16) add_diff(res, K_FLAGS, "eflags: upper bits %04X set", eflags >> 16);
    for (int s = 0; s < S_COUNT; s++)
        if (cpu->seg[s].base != (uint32_t)cpu->seg[s].sel << 4 && (s != S_FS && s != S_GS))
            add_diff(res, K_REGS, "segment %d: base %08X for selector %04X", s, cpu->seg[s].base,
                     cpu->seg[s].sel);

    /* The FLAGS image an exception pushed: at SS:SP+4 after the frame. EXCP
     * gives its bus address, rounded down to a word (an odd image starts
     * one byte further), so take it from the final SS:SP and check that
     * the two agree. */
    uint32_t img_lo = UINT32_MAX, img_hi = UINT32_MAX;
    if (t->has_exception) {
        uint32_t ss = (uint32_t)want[MOO_SS] << 4;
        img_lo = ss + (uint16_t)(want[MOO_SP] + 4);
        img_hi = ss + (uint16_t)(want[MOO_SP] + 5);
        if ((img_lo & ~1u) != (t->exc_flag_addr & ~1u)) {
            img_lo = t->exc_flag_addr;
            img_hi = t->exc_flag_addr + 1;
        }
    }
    for (uint32_t k = 0; k < x->n; k++) {
        uint32_t a = x->addr[k];
        if (a >= RAM_BYTES) {
            add_diff(res, K_MEM, "ram[%06X]: address beyond the 16 MiB of RAM", a);
            continue;
        }
        uint8_t mask = 0xFF;
        if (a == img_lo) mask = (uint8_t)flags_mask;
        if (a == img_hi) mask = (uint8_t)(flags_mask >> 8);
        if ((m->ram[a] ^ x->val[k]) & mask)
            add_diff(res, K_MEM, "ram[%06X]: init %02X expected %02X got %02X%s", a,
                     x->in_init[k] ? x->init[k] : 0, x->val[k], m->ram[a],
                     mask != 0xFF ? " (pushed FLAGS, masked)" : "");
    }
}

/* Writes back zero to every byte the test touched or was meant to touch. */
static void undo_test(Machine *m, const Expect *x)
{
    for (uint32_t k = 0; k < x->n; k++)
        if (x->addr[k] < RAM_BYTES && m->ram[x->addr[k]]) bus_write(m->bus, x->addr[k], 0, 1);
    if (m->alias_on) {
        for (uint32_t i = 0; i < 4; i++)
            if (m->ram[m->alias_entry + i]) bus_write(m->bus, m->alias_entry + i, 0, 1);
        m->alias_on = false;
    }
}

/* Runs the test again with a HLT for every vector the test's IVT leaves
 * out, to learn which exception Brisk took first. Returns it, or -1. */
static int probe_vector(Machine *m, const MooTest *t, const Expect *x)
{
    /* 256 bytes no test byte lies in, 16-aligned, below 1 MiB */
    uint32_t base;
    for (base = 0xE0000; base >= 0x10000; base -= 0x10000) {
        bool clash = false;
        for (uint32_t k = 0; k < x->n && !clash; k++)
            clash = x->addr[k] >= base && x->addr[k] < base + 256;
        if (!clash) break;
    }
    if (base < 0x10000) return -1;
    bool runaway, took_exc;
    m->probe_base = base;
    run_test(m, t, x, NULL, &runaway, &took_exc);
    m->probe_base = 0;
    uint32_t cs = m->cpu->seg[S_CS].sel, ip = (uint16_t)(m->cpu->eip - 1);
    int vec = (cs == base >> 4 && ip < 256) ? (int)ip : -1;
    for (uint32_t a = 0; a < 0x400; a++)
        if (m->ram[a]) bus_write(m->bus, a, 0, 1);
    for (uint32_t a = base; a < base + 256; a++)
        if (m->ram[a]) bus_write(m->bus, a, 0, 1);
    undo_test(m, x);
    return vec;
}

/* Finds nonzero RAM bytes in [lo, hi): reports up to max of them through
 * res (if given), clears them all, returns how many there were. */
static long sweep_ram(Machine *m, uint32_t lo, uint32_t hi, Result *res, int max)
{
    long found = 0;
    for (uint32_t page = lo; page < hi; page += 4096) {
        const uint64_t *w = (const uint64_t *)(m->ram + page);
        uint64_t any = 0;
        for (int i = 0; i < 512; i++)
            any |= w[i];
        if (!any) continue;
        for (uint32_t a = page; a < page + 4096; a++) {
            if (!m->ram[a]) continue;
            if (res && found < max)
                add_diff(res, K_MEM, "ram[%06X]: stray write %02X (expected unchanged 00)", a,
                         m->ram[a]);
            found++;
            bus_write(m->bus, a, 0, 1);
        }
    }
    return found;
}

/* ------------------------------------------------------------------------ */
/* Files and the report                                                     */

typedef struct Options {
    int verbose;
    long limit; /* tests per file, 0 = all */
    const char *data;
    const char *exclusions;
    bool no_exclusions;
    char **stems;
    int nstems;
} Options;

typedef struct Totals {
    long passed, failed, excluded, revoked;
    long kinds[K_COUNT];
} Totals;

typedef struct Runner {
    Options opt;
    Machine m;
    Meta meta;
    HashSet revoked;
    HashSet test_ex; /* hashes of `test` exclusions */
    ExList ex;
    Expect x;
    MooFile f;
    Totals total;
} Runner;

static void print_failure(FILE *out, const char *stem, const MooTest *t, const TestCtx *c,
                          const Result *r)
{
    fprintf(out, "  FAIL %s #%u: %.*s  [", stem, t->index, (int)t->name_len, t->name);
    for (uint32_t i = 0; i < t->nbytes; i++)
        fprintf(out, "%s%02X", i ? " " : "", t->bytes[i]);
    fprintf(out, "]");
    if (t->has_hash) {
        fprintf(out, " hash ");
        for (int i = 0; i < 20; i++)
            fprintf(out, "%02x", t->hash[i]);
    }
    fprintf(out, "\n");
    for (int i = 0; i < r->ndiff; i++)
        fprintf(out, "       %s\n", r->diff[i].text);
    if (r->extra) fprintf(out, "       ... %d more differences\n", r->extra);
    fprintf(out, "       (opcode %s, FLAGS compared under mask %04X", c->key,
            (unsigned)(c->meta_mask & (uint16_t)~c->ex_mask));
    if (c->ex_regs) {
        fprintf(out, "; ignored:");
        for (int i = 0; i < MOO_NREGS; i++)
            if (c->ex_regs >> i & 1) fprintf(out, " %s", moo_reg_names[i]);
    }
    fprintf(out, ")\n");
}

/* Runs one file; with sweep_each, checks for stray writes after each test.
 * Returns false (and counts nothing) if the file left stray writes behind
 * that only a rerun with sweep_each can attribute. */
static bool run_file(Runner *R, const char *path, const char *stem, bool sweep_each, Totals *ft,
                     FILE *out)
{
    Machine *m = &R->m;
    memset(ft, 0, sizeof *ft);
    if (moo_open(&R->f, path) != 0) {
        fprintf(out, "  %s: %s\n", stem, R->f.error);
        ft->failed++;
        return true;
    }
    int nex = R->opt.no_exclusions ? 0 : R->ex.n;
    /* This file's share of each exclusion, committed when the run counts. */
    long *removed = calloc((size_t)nex + 1, sizeof *removed);
    long *failing = calloc((size_t)nex + 1, sizeof *failing);
    if (!removed || !failing) die("out of memory");
    int file_ex = -1, *cls = malloc(((size_t)nex + 1) * sizeof *cls), ncls = 0;
    if (!cls) die("out of memory");
    for (int i = 0; i < nex; i++) {
        const Exclusion *e = &R->ex.e[i];
        if (e->kind == EX_FILE && !strcmp(e->key, stem)) file_ex = i;
        if ((e->kind == EX_CLASS || e->kind == EX_MASK || e->kind == EX_VECTOR) &&
            key_matches(e->key, stem))
            cls[ncls++] = i;
    }
    int shown = 0;
    bool leftovers = false;

    tb_flush(m->tb);
    MooTest t;
    int rc;
    long n = 0;
    while ((rc = moo_next(&R->f, &t)) > 0) {
        if (R->opt.limit && n >= R->opt.limit) break;
        n++;
        if (t.has_hash && hashset_has(&R->revoked, t.hash)) {
            ft->revoked++;
            continue;
        }
        TestCtx c = {.t = &t, .vec_ex = -1};
        shape_of(&t, &c.shape);
        c.meta_mask = meta_flags_mask(&R->meta, &c.shape);
        meta_key(&R->meta, &c.shape, c.key, sizeof c.key);
        int skip_by = file_ex; /* the exclusion that removes this test, or -1 */
        if (skip_by < 0 && t.has_hash && hashset_has(&R->test_ex, t.hash))
            for (int i = 0; i < nex; i++)
                if (R->ex.e[i].kind == EX_TEST && !memcmp(R->ex.e[i].hash, t.hash, 20)) {
                    skip_by = i;
                    break;
                }
        for (int k = 0; k < ncls; k++) {
            const Exclusion *e = &R->ex.e[cls[k]];
            if (!conds_match(e, &t, &c.shape)) continue;
            if (e->kind == EX_CLASS) {
                if (skip_by < 0) skip_by = cls[k];
            } else if (e->kind == EX_VECTOR) {
                if (c.vec_ex < 0) c.vec_ex = cls[k];
            } else if (c.nmask_ex < 8) {
                c.ex_mask |= e->flags_bits;
                c.ex_regs |= e->reg_bits;
                c.mask_ex[c.nmask_ex++] = cls[k];
            }
        }

        expect_build(&R->x, &t);
        bool runaway, took_exc;
        CpuExit why =
            run_test(m, &t, &R->x, c.vec_ex >= 0 ? &R->ex.e[c.vec_ex] : NULL, &runaway, &took_exc);
        Result res;
        uint16_t fmask = c.meta_mask & (uint16_t)~c.ex_mask;
        check_test(m, &c, &R->x, fmask, c.ex_regs, why, runaway, took_exc, &res);
        if (m->alias_on && !m->alias_used) {
            /* a vector exclusion says what a P6 does: hold Brisk to it */
            const Exclusion *e = &R->ex.e[c.vec_ex];
            add_diff(&res, K_EXC, "exception: a P6 raises #%d here, not #%d (exclusions line %d)",
                     e->vec_p6, e->vec_286, e->line);
        }
        if (skip_by < 0 && m->alias_used) removed[c.vec_ex]++;
        if (skip_by < 0 && !res.fail) {
            /* Which mask exclusions decided this test? */
            for (int k = 0; k < c.nmask_ex; k++) {
                uint16_t others_f = 0, others_r = 0;
                for (int j = 0; j < c.nmask_ex; j++)
                    if (j != k) {
                        others_f |= R->ex.e[c.mask_ex[j]].flags_bits;
                        others_r |= R->ex.e[c.mask_ex[j]].reg_bits;
                    }
                Result r2;
                check_test(m, &c, &R->x, c.meta_mask & (uint16_t)~others_f, others_r, why, runaway,
                           took_exc, &r2);
                if (r2.fail) removed[c.mask_ex[k]]++;
            }
        }
        undo_test(m, &R->x);
        /* A failing test (a runaway above all) may have written anywhere:
         * look now. The bytes found are blamed on it only if running it
         * again on clean RAM writes as many; otherwise an earlier, passing
         * test left some, and the file runs again with a check after every
         * test to name it. */
        if (sweep_each || res.fail) {
            long found = sweep_ram(m, 0, REACH_BYTES, &res, 8);
            if (found && !sweep_each) {
                run_test(m, &t, &R->x, c.vec_ex >= 0 ? &R->ex.e[c.vec_ex] : NULL, &runaway,
                         &took_exc);
                undo_test(m, &R->x);
                if (sweep_ram(m, 0, REACH_BYTES, NULL, 0) < found) leftovers = true;
            }
        }
        if (res.fail && took_exc && (skip_by < 0 || R->opt.verbose > 1)) {
            static const char *const names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR",
                                                "#UD", "#NM", "#DF", "",    "#TS", "#NP",
                                                "#SS", "#GP", "#PF", "",    "#MF", "#AC"};
            int v = probe_vector(m, &t, &R->x);
            if (v >= 0)
                add_diff(&res, K_EXC, "Brisk's first exception: vector %d %s", v,
                         v < 18 ? names[v] : "");
            sweep_ram(m, 0, REACH_BYTES, NULL, 0); /* what the probe run left */
        }

        if (skip_by >= 0) {
            ft->excluded++;
            removed[skip_by]++;
            failing[skip_by] += res.fail;
            if (R->opt.verbose > 1) {
                /* -vv: audit the exclusions, passing tests included */
                fprintf(out, "  (excluded by line %d%s)", R->ex.e[skip_by].line,
                        res.fail ? "" : ", passes");
                print_failure(out, stem, &t, &c, &res);
            }
            continue;
        }
        if (res.fail) {
            ft->failed++;
            for (int k = 0; k < K_COUNT; k++)
                if (res.kinds >> k & 1) {
                    ft->kinds[k]++;
                    break;
                }
            if (R->opt.verbose || shown < DEFAULT_SHOWN) {
                print_failure(out, stem, &t, &c, &res);
                shown++;
            }
        } else {
            ft->passed++;
        }
    }
    if (rc < 0) {
        fprintf(out, "  %s: %s\n", stem, R->f.error);
        ft->failed++;
    }
    bool counted = true;
    long stray = sweep_ram(m, 0, RAM_BYTES, NULL, 0);
    if ((stray || leftovers) && !sweep_each) {
        printf("  %s: stray bytes written outside the tests' RAM; running the file again to "
               "name the tests\n",
               stem);
        counted = false;
    } else if (stray) {
        fprintf(out, "  %s: %ld stray byte(s) above %06X that no test could be blamed for\n", stem,
                stray, REACH_BYTES);
        ft->failed++;
    }
    if (counted)
        for (int i = 0; i < nex; i++) {
            R->ex.e[i].removed += removed[i];
            R->ex.e[i].would_fail += failing[i];
        }
    free(removed);
    free(failing);
    free(cls);
    return counted;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}
static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: run_singlestep [options] [STEM...]\n"
            "Runs the 80286 single-step tests (STEM: a file name stem such as 00 or F7.6;\n"
            "default all) on Brisk's CPU and compares the results.\n"
            "  -v                 list every file and every failure\n"
            "  -vv                also every excluded test, passing or not\n"
            "  -n N               only the first N tests of each file\n"
            "  -d, --data=DIR     test data (default %s)\n"
            "  --exclusions=FILE  exclusion list (default %s)\n"
            "  --no-exclusions    run and judge everything (for auditing the list)\n"
            "  --jit=off|on       execution tier (only off exists so far)\n",
            BRISK_TESTDATA_DIR, BRISK_EXCLUSIONS_FILE);
}

int main(int argc, char **argv)
{
    static Runner R;
    R.opt.data = BRISK_TESTDATA_DIR;
    R.opt.exclusions = BRISK_EXCLUSIONS_FILE;
    R.opt.stems = calloc((size_t)argc, sizeof *R.opt.stems);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-v"))
            R.opt.verbose++;
        else if (!strcmp(a, "-vv"))
            R.opt.verbose += 2;
        else if (!strcmp(a, "-n") && i + 1 < argc)
            R.opt.limit = atol(argv[++i]);
        else if (!strncmp(a, "-n", 2) && a[2])
            R.opt.limit = atol(a + 2);
        else if ((!strcmp(a, "-d") || !strcmp(a, "--data")) && i + 1 < argc)
            R.opt.data = argv[++i];
        else if (!strncmp(a, "--data=", 7))
            R.opt.data = a + 7;
        else if (!strncmp(a, "--exclusions=", 13))
            R.opt.exclusions = a + 13;
        else if (!strcmp(a, "--no-exclusions"))
            R.opt.no_exclusions = true;
        else if (!strcmp(a, "--jit=off"))
            continue; /* the interpreter: the only tier so far */
        else if (!strcmp(a, "--jit=on")) {
            fprintf(stderr, "run_singlestep: --jit=on: this build has no JIT tier yet\n");
            printf("0 passed, 1 failed\n");
            return 1;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-') {
            usage(stderr);
            return 2;
        } else if (is_dir(a)) {
            R.opt.data = a;
        } else {
            R.opt.stems[R.opt.nstems++] = argv[i];
        }
    }

    /* Locate the data: DIR/v1_real_mode or DIR itself. */
    char dir[4096], path[4096 + 64];
    snprintf(dir, sizeof dir, "%s/v1_real_mode", R.opt.data);
    if (!is_dir(dir)) snprintf(dir, sizeof dir, "%s", R.opt.data);
    snprintf(path, sizeof path, "%s/metadata.json", dir);
    if (!is_dir(dir) || !is_file(path))
        die("test data not found: expected %s/v1_real_mode/ with metadata.json and the *.MOO.gz "
            "files (see ../shared/testdata/README.md; pass another place with --data=DIR)",
            R.opt.data);
    char err[sizeof path + 64];
    if (!meta_load(&R.meta, path, err, sizeof err)) die("%s", err);

    /* Revocation list: beside the version folder, or in it. */
    snprintf(path, sizeof path, "%s/../revocation_list.txt", dir);
    if (!is_file(path)) snprintf(path, sizeof path, "%s/revocation_list.txt", dir);
    char *rev = read_text(path, NULL);
    if (!rev) die("cannot read the revocation list %s", path);
    for (char *line = strtok(rev, "\n"); line; line = strtok(NULL, "\n")) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t n = strcspn(line, " \t\r#");
        uint8_t h[20];
        if (line[0] == '#' || n == 0) continue;
        if (!parse_sha1(line, n, h)) die("%s: bad line '%s'", path, line);
        hashset_add(&R.revoked, h);
    }
    free(rev);
    hashset_sort(&R.revoked);

    if (!R.opt.no_exclusions) {
        ex_load(&R.ex, R.opt.exclusions);
        for (int i = 0; i < R.ex.n; i++)
            if (R.ex.e[i].kind == EX_TEST) hashset_add(&R.test_ex, R.ex.e[i].hash);
        hashset_sort(&R.test_ex);
    }

    /* The files. */
    DIR *d = opendir(dir);
    if (!d) die("%s: %s", dir, strerror(errno));
    char **files = NULL;
    int nfiles = 0, capf = 0;
    for (struct dirent *de; (de = readdir(d));) {
        size_t n = strlen(de->d_name);
        if (n <= 7 || strcmp(de->d_name + n - 7, ".MOO.gz")) continue;
        if (nfiles == capf) {
            capf = capf ? 2 * capf : 512;
            files = realloc(files, (size_t)capf * sizeof *files);
            if (!files) die("out of memory");
        }
        files[nfiles] = strdup(de->d_name);
        files[nfiles++][n - 7] = 0;
    }
    closedir(d);
    if (nfiles == 0) die("no *.MOO.gz files in %s", dir);
    qsort(files, (size_t)nfiles, sizeof *files, cmp_str);
    for (int i = 0; i < R.opt.nstems; i++) {
        bool found = false;
        for (int k = 0; k < nfiles && !found; k++)
            found = !strcasecmp(files[k], R.opt.stems[i]);
        if (!found) die("no test file %s.MOO.gz in %s", R.opt.stems[i], dir);
    }
    /* Exclusions must name files that exist. */
    for (int i = 0; i < R.ex.n; i++) {
        Exclusion *e = &R.ex.e[i];
        if (e->kind == EX_TEST) continue;
        char one[sizeof e->key];
        for (const char *k = e->key; *k;) {
            size_t n = strcspn(k, ",");
            snprintf(one, sizeof one, "%.*s", (int)n, k);
            bool found = false;
            for (int f = 0; f < nfiles && !found; f++)
                found = key_matches(one, files[f]);
            if (!found) die("%s:%d: no test file matches '%s'", R.opt.exclusions, e->line, one);
            k += n;
            if (*k == ',') k++;
        }
    }

    machine_init(&R.m);
    host_watchdog_start();
    printf("80286 single-step tests from %s (interpreter)\n", dir);
    int files_failed = 0;
    for (int k = 0; k < nfiles; k++) {
        if (R.opt.nstems) {
            bool want = false;
            for (int i = 0; i < R.opt.nstems && !want; i++)
                want = !strcasecmp(files[k], R.opt.stems[i]);
            if (!want) continue;
        }
        snprintf(path, sizeof path, "%s/%s.MOO.gz", dir, files[k]);
        /* A file's report is kept until it counts (a rerun replaces it). */
        Totals ft;
        char *report = NULL;
        size_t report_len = 0;
        FILE *out = open_memstream(&report, &report_len);
        if (!out) die("open_memstream: %s", strerror(errno));
        if (!run_file(&R, path, files[k], false, &ft, out)) {
            fclose(out);
            free(report);
            report = NULL;
            out = open_memstream(&report, &report_len);
            if (!out) die("open_memstream: %s", strerror(errno));
            run_file(&R, path, files[k], true, &ft, out);
        }
        fclose(out);
        fwrite(report, 1, report_len, stdout);
        free(report);
        if (ft.failed) files_failed++;
        if (ft.failed || R.opt.verbose) {
            printf("%-6s passed %5ld  failed %5ld  excluded %5ld", files[k], ft.passed, ft.failed,
                   ft.excluded);
            if (ft.revoked) printf("  revoked %ld", ft.revoked);
            bool any_kind = false;
            for (int i = 0; i < K_COUNT; i++)
                any_kind |= ft.kinds[i] != 0;
            if (any_kind) {
                printf("  [");
                bool first = true;
                for (int i = 0; i < K_COUNT; i++)
                    if (ft.kinds[i]) {
                        printf("%s%s %ld", first ? "" : ", ", kind_names[i], ft.kinds[i]);
                        first = false;
                    }
                printf("]");
            }
            printf("\n");
        }
        R.total.passed += ft.passed;
        R.total.failed += ft.failed;
        R.total.excluded += ft.excluded;
        R.total.revoked += ft.revoked;
        for (int i = 0; i < K_COUNT; i++)
            R.total.kinds[i] += ft.kinds[i];
    }

    if (R.ex.n) {
        printf("\nexclusions (%s):\n", R.opt.exclusions);
        for (int i = 0; i < R.ex.n; i++) {
            const Exclusion *e = &R.ex.e[i];
            bool skips = e->kind == EX_FILE || e->kind == EX_TEST || e->kind == EX_CLASS;
            printf("  line %3d: %-7s %6ld test(s)", e->line,
                   skips                ? "removed"
                   : e->kind == EX_MASK ? "decided"
                                        : "applied",
                   e->removed);
            if (skips) printf(" (%ld would fail)", e->would_fail);
            printf("  %.70s\n", e->text);
        }
    }
    printf("\ntotal: %ld passed, %ld failed, %ld excluded, %ld revoked; %d file(s) with "
           "failures\n",
           R.total.passed, R.total.failed, R.total.excluded, R.total.revoked, files_failed);
    if (R.total.failed) {
        printf("failures by kind:");
        for (int i = 0; i < K_COUNT; i++)
            printf(" %s %ld%s", kind_names[i], R.total.kinds[i], i + 1 < K_COUNT ? "," : "\n");
    }
    printf("%ld passed, %ld failed\n", R.total.passed, R.total.failed);

    machine_free(&R.m);
    moo_free(&R.f);
    free(R.x.addr);
    free(R.x.val);
    free(R.x.init);
    free(R.x.in_init);
    for (int k = 0; k < nfiles; k++)
        free(files[k]);
    free(files);
    for (int i = 0; i < R.ex.n; i++)
        free(R.ex.e[i].text);
    free(R.ex.e);
    free(R.revoked.h);
    free(R.test_ex.h);
    free(R.opt.stems);
    /* CI reads the last line: have it out before anything at exit can fail */
    fflush(stdout);
    return R.total.failed ? 1 : 0;
}
