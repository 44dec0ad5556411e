/*
 * moo.h - reader for the MOO single-step CPU test format.
 *
 * MOO is the binary container of the SingleStepTests project (see
 * ../shared/testdata/README.md): a gzip-compressed sequence of chunks
 * `tag[4] len:u32 payload[len]`, a `MOO ` header and one `TEST` chunk per
 * test, whose sub-chunks give the disassembly (NAME), the instruction bytes
 * (BYTS), the initial and final CPU state (INIT / FINA, each holding REGS
 * and RAM sub-chunks), the exception taken (EXCP) and a SHA-1 (HASH).
 * Unknown chunks (GMET, QUEU, CYCL, ...) are skipped.
 *
 * The whole file is inflated into one buffer that a MooFile keeps and
 * reuses from file to file; MooTest fields point into that buffer, so a
 * test stays valid until the next moo_open(). Every length read from the
 * file is checked against the bytes that remain: a truncated or corrupt
 * file gives an error message, never a crash.
 *
 *   MooFile f = {0};
 *   if (moo_open(&f, "00.MOO.gz") != 0) { puts(f.error); ... }
 *   MooTest t;
 *   int r;
 *   while ((r = moo_next(&f, &t)) > 0) { ...use t... }
 *   if (r < 0) puts(f.error);
 *   moo_free(&f);
 */
#ifndef BRISK_TESTS_MOO_H
#define BRISK_TESTS_MOO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The 16-bit register set of the 8086/286 files, in REGS mask bit order. */
enum {
    MOO_AX,
    MOO_BX,
    MOO_CX,
    MOO_DX,
    MOO_CS,
    MOO_SS,
    MOO_DS,
    MOO_ES,
    MOO_SP,
    MOO_BP,
    MOO_SI,
    MOO_DI,
    MOO_IP,
    MOO_FLAGS,
    MOO_NREGS
};

extern const char *const moo_reg_names[MOO_NREGS];

/* One INIT or FINA state. */
typedef struct MooState {
    uint16_t reg_mask;        /* bit i: regs[i] is given */
    uint16_t regs[MOO_NREGS]; /* 0 where not given */
    uint32_t ram_count;
    const uint8_t *ram; /* ram_count packed (addr:u32, value:u8) entries */
} MooState;

typedef struct MooTest {
    uint32_t index;
    const char *name; /* not NUL-terminated: name_len bytes */
    uint32_t name_len;
    const uint8_t *bytes; /* the instruction bytes (BYTS) */
    uint32_t nbytes;
    MooState init, fina;
    bool has_exception;
    uint8_t exc_vector;
    uint32_t exc_flag_addr;
    bool has_hash;
    uint8_t hash[20];
} MooTest;

typedef struct MooFile {
    uint8_t *data; /* the inflated file */
    size_t size, cap;
    size_t pos; /* next chunk to read */
    uint8_t version;
    uint32_t test_count; /* from the header */
    char cpu_name[5];
    char error[256];
} MooFile;

/* Inflates and opens path (gzip or plain). Returns 0, or -1 with f->error
 * set. The buffer of a previous file is reused. */
int moo_open(MooFile *f, const char *path);
/* Opens a file already in memory (copied into the file's buffer). */
int moo_open_mem(MooFile *f, const void *data, size_t size);
/* Reads the next test: 1 on success, 0 at the end, -1 with f->error set. */
int moo_next(MooFile *f, MooTest *t);
void moo_free(MooFile *f);

static inline uint32_t moo_ram_addr(const MooState *s, uint32_t i)
{
    const uint8_t *p = s->ram + 5 * (size_t)i;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint8_t moo_ram_value(const MooState *s, uint32_t i)
{
    return s->ram[5 * (size_t)i + 4];
}

#endif
