/*
 * options.h - the command line of `brisk`: QEMU's spellings where they
 * exist, Brisk's own long options otherwise.
 *
 *   Options o;
 *   char err[256];
 *   int rc = options_parse(&o, argc, argv, err, sizeof err);
 *   // rc: 0 run, 1 help or version asked for, 2 error (message in err)
 *   ...
 *   options_free(&o);   // after the machine is gone: cfg points into o
 *
 * Strings point into argv, except the file names of -drive (QEMU's ",,"
 * escape makes them copies, owned by Options until options_free).
 *
 * Deviations from QEMU: -drive snapshot=on on any drive turns on -snapshot
 * for every drive (the machine has one snapshot switch); -boot once= is
 * the same as order= (the order stays after a reset); one -L folder (the
 * last one given).
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
    /* Disks: IDE index = channel * 2 + unit (-hda..-hdd, -drive if=ide). */
    const char *hd[4];
    bool hd_read_only[4];
    const char *fd[2];   /* -fda, -fdb, -drive if=floppy */
    bool fd_read_only[2];
    bool snapshot;       /* -snapshot, or snapshot=on on any -drive */
    char boot_order[8];  /* -boot: drive letters from a,b,c,d,n; "" = default */
    bool boot_menu;      /* -boot menu=on */
    bool rtc_base_set;   /* -rtc base=localtime or a date */
    int64_t rtc_base_s;  /* the RTC's power-on time, Unix seconds */
    const char *firmware_dir; /* -L */
    const char *screendump;   /* --screendump: the text screen to this file at exit */
    char **owned;        /* copies made for -drive values (options_free) */
    size_t n_owned;
    bool help;
    bool version;
} Options;

/* Parses a size such as 64, 64M, 512K, 1G (default unit MiB, as QEMU's -m). */
bool options_parse_size(const char *s, uint64_t *bytes);
int options_parse(Options *o, int argc, char **argv, char *err, size_t errlen);
/* Frees the copies made while parsing (also after an error). */
void options_free(Options *o);
const char *options_help(void);

#endif
