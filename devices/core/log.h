/*
 * log.h - Brisk's diagnostic log: `-d item,item` and `-D file`.
 *
 * The one process-wide piece of state in Brisk (the design guide's "no
 * mutable globals" rule is about machine state; which diagnostics a user
 * asked for is a property of the process, as in QEMU's qemu_loglevel).
 *
 *   log_set_mask(LOG_INT | LOG_CPU);
 *   if (log_enabled(LOG_INT)) log_printf("INT %02x at %04x:%04x\n", ...);
 */
#ifndef BRISK_LOG_H
#define BRISK_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum {
    LOG_IN_ASM = 1u << 0,  /* each block's guest code when it is decoded */
    LOG_EXEC = 1u << 1,    /* each block as it runs */
    LOG_INT = 1u << 2,     /* interrupts and exceptions */
    LOG_CPU = 1u << 3,     /* registers before each block */
    LOG_UNIMP = 1u << 4,   /* unmapped or unimplemented ports and memory */
    LOG_GUEST_ERRORS = 1u << 5, /* guest misuse of a device */
    LOG_BIOS = 1u << 6,    /* firmware debug output */
};

extern uint32_t log_mask_;

static inline bool log_enabled(uint32_t item) { return (log_mask_ & item) != 0; }
void log_set_mask(uint32_t mask);
/* Parses "in_asm,int" into a mask; returns false and names the bad item. */
bool log_parse_items(const char *spec, uint32_t *mask, const char **bad_item);
/* A help text listing the items. */
const char *log_items_help(void);
/* Redirects the log to a file (NULL: stderr). Returns false if it cannot open. */
bool log_set_file(const char *path);
FILE *log_file(void);
void log_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs at most once per distinct key (e.g. a port number). */
void log_once(uint32_t item, uint64_t key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void log_close(void);

#endif
