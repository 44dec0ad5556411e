/*
 * log.c - the diagnostic log (see log.h).
 */
#include "log.h"

#include <stdlib.h>
#include <string.h>

uint32_t log_mask_;
static FILE *log_fp;

/* A small open-addressed set for log_once keys. */
#define ONCE_SLOTS 4096
static uint64_t once_keys[ONCE_SLOTS];
static bool once_used[ONCE_SLOTS];

static const struct {
    const char *name;
    uint32_t bit;
    const char *help;
} items[] = {
    {"in_asm", LOG_IN_ASM, "guest code of each block when decoded"},
    {"exec", LOG_EXEC, "each block as it executes"},
    {"int", LOG_INT, "interrupts and exceptions"},
    {"cpu", LOG_CPU, "CPU registers before each block"},
    {"unimp", LOG_UNIMP, "unmapped memory and ports (once per address)"},
    {"guest_errors", LOG_GUEST_ERRORS, "guest misuse of devices"},
    {"bios", LOG_BIOS, "firmware debug output"},
};

void log_set_mask(uint32_t mask) { log_mask_ = mask; }

bool log_parse_items(const char *spec, uint32_t *mask, const char **bad_item)
{
    static char bad[64];
    uint32_t m = 0;
    const char *p = spec;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        bool found = false;
        if (n == 3 && strncmp(p, "all", 3) == 0) {
            m = ~0u;
            found = true;
        }
        for (size_t i = 0; !found && i < sizeof items / sizeof items[0]; i++) {
            if (strlen(items[i].name) == n && strncmp(items[i].name, p, n) == 0) {
                m |= items[i].bit;
                found = true;
            }
        }
        if (!found) {
            snprintf(bad, sizeof bad, "%.*s", (int)(n < 60 ? n : 60), p);
            if (bad_item) *bad_item = bad;
            return false;
        }
        p += n;
        if (*p == ',') p++;
    }
    *mask = m;
    return true;
}

const char *log_items_help(void)
{
    static char buf[1024];
    size_t off = 0;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++)
        off += (size_t)snprintf(buf + off, sizeof buf - off, "  %-13s %s\n", items[i].name,
                                items[i].help);
    snprintf(buf + off, sizeof buf - off, "  %-13s %s\n", "all", "everything above");
    return buf;
}

bool log_set_file(const char *path)
{
    if (log_fp && log_fp != stderr) fclose(log_fp);
    log_fp = NULL;
    if (!path) return true;
    log_fp = fopen(path, "w");
    return log_fp != NULL;
}

FILE *log_file(void) { return log_fp ? log_fp : stderr; }

void log_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file(), fmt, ap);
    va_end(ap);
}

void log_once(uint32_t item, uint64_t key, const char *fmt, ...)
{
    if (!log_enabled(item)) return;
    uint64_t h = (key * 0x9E3779B97F4A7C15ull) >> 52;
    for (unsigned i = 0; i < ONCE_SLOTS; i++) {
        unsigned s = (unsigned)(h + i) & (ONCE_SLOTS - 1);
        if (once_used[s] && once_keys[s] == key) return;
        if (!once_used[s]) {
            once_used[s] = true;
            once_keys[s] = key;
            break;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    vfprintf(log_file(), fmt, ap);
    va_end(ap);
}

void log_close(void)
{
    if (log_fp) fflush(log_fp);
    if (log_fp && log_fp != stderr) fclose(log_fp);
    log_fp = NULL;
}
