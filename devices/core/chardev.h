/*
 * chardev.h - character backends: where a device's byte stream goes.
 *
 * A serial port or a debug console does not know whether its output lands
 * on the terminal, in a log file or in a test's buffer; it holds a
 * CharBackend by value and calls chardev_write(). The ready-made backends
 * below cover what the frontend and the tests need:
 *
 *   chardev_file(stdout)      the terminal (-serial stdio), or a FILE* the
 *                             frontend opened for -serial file:PATH; flushed
 *                             after every write so that nothing is lost if
 *                             the emulator is killed
 *   chardev_buffer(&buf)      a growable memory buffer (unit tests)
 *   chardev_null()            discards everything (-serial none)
 *
 *   CharBuffer out = {0};
 *   Debugcon *d = debugcon_new(bus, 0xE9, chardev_buffer(&out));
 *   ... guest prints ...
 *   assert(strcmp((char *)out.data, "hello\n") == 0);
 *   chardev_buffer_free(&out);
 *
 * The input direction (host -> device) is not part of the backend: each
 * device has its own typed entry point (uart_receive), so that the device
 * can say how much it can take (uart_rx_space) and the frontend paces it.
 */
#ifndef BRISK_CHARDEV_H
#define BRISK_CHARDEV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct CharBackend {
    void (*write)(void *opaque, const uint8_t *buf, size_t n); /* device -> host */
    void *opaque;
} CharBackend;

static inline void chardev_write(const CharBackend *be, const uint8_t *buf, size_t n)
{
    if (be->write && n) be->write(be->opaque, buf, n);
}

/* Growable buffer. data is NUL-terminated after len bytes (once anything has
 * been written), so tests can compare it as a string. Zero-initialise it. */
typedef struct CharBuffer {
    uint8_t *data;
    size_t len;
    size_t cap_bytes;
} CharBuffer;

/* The functions are static inline so that the backends need no .c file of
 * their own (every user links them from this header). */

static inline void chardev_null_write_(void *opaque, const uint8_t *buf, size_t n)
{
    (void)opaque;
    (void)buf;
    (void)n;
}

/* Discards every byte. */
static inline CharBackend chardev_null(void)
{
    CharBackend be = {chardev_null_write_, NULL};
    return be;
}

static inline void chardev_file_write_(void *opaque, const uint8_t *buf, size_t n)
{
    FILE *f = opaque;
    if (!f) return;
    /* A short write (closed pipe, full disk) is not the guest's problem: the
     * bytes are dropped, as on a serial line with nobody listening. */
    (void)fwrite(buf, 1, n, f);
    fflush(f);
}

/* Writes to f (not owned: the caller closes it) and flushes after each write. */
static inline CharBackend chardev_file(FILE *f)
{
    CharBackend be = {chardev_file_write_, f};
    return be;
}

static inline void chardev_buffer_write_(void *opaque, const uint8_t *buf, size_t n)
{
    CharBuffer *b = opaque;
    if (b->len + n + 1 > b->cap_bytes) { /* +1: the terminating NUL */
        size_t cap = b->cap_bytes ? b->cap_bytes : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p) return; /* out of memory: drop, never abort */
        b->data = p;
        b->cap_bytes = cap;
    }
    memcpy(b->data + b->len, buf, n);
    b->len += n;
    b->data[b->len] = 0;
}

/* Appends to b. If memory runs out, further bytes are dropped. */
static inline CharBackend chardev_buffer(CharBuffer *b)
{
    CharBackend be = {chardev_buffer_write_, b};
    return be;
}

/* Forgets the contents but keeps the allocation. */
static inline void chardev_buffer_clear(CharBuffer *b)
{
    b->len = 0;
    if (b->data) b->data[0] = 0;
}

/* Releases the memory and leaves b empty and reusable. */
static inline void chardev_buffer_free(CharBuffer *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap_bytes = 0;
}

#endif
