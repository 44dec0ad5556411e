/*
 * options.h - the command line of `brisk`: QEMU's spellings where they
 * exist, Brisk's own long options otherwise.
 *
 *   Options o;
 *   char err[256];
 *   int rc = options_parse(&o, argc, argv, err, sizeof err);
 *   // rc: 0 run, 1 help or version printed, 2 error (message in err)
 */
#ifndef BRISK_OPTIONS_H
#define BRISK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { CHR_NONE, CHR_STDIO, CHR_FILE } ChrKind;

typedef struct ChrSpec {
    ChrKind kind;
    const char *path;
} ChrSpec;

typedef struct Options {
    uint64_t ram_bytes;
    const char *bios;
    const char *kernel;  /* -kernel: a Multiboot kernel booted directly */
    const char *append;  /* -append: its command line */
    const char *initrd;  /* -initrd: its modules, "FILE[ ARGS],..." */
    ChrSpec serial;
    ChrSpec debugcon;
    bool display_none;
    bool no_reboot;
    uint32_t log_mask;
    const char *log_file;
    uint64_t icount_ips;
    bool stats;          /* --stats: instructions, blocks, wall time at exit */
    bool help;
    bool version;
} Options;

/* Parses a size such as 64, 64M, 512K, 1G (default unit MiB, as QEMU's -m). */
bool options_parse_size(const char *s, uint64_t *bytes);
int options_parse(Options *o, int argc, char **argv, char *err, size_t errlen);
const char *options_help(void);

#endif
