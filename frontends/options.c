/*
 * options.c - command-line parsing (see options.h). Every error is one line
 * naming the option; nothing here exits or aborts.
 */
#include "frontends/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/log.h"

bool options_parse_size(const char *s, uint64_t *bytes)
{
    if (!s || !*s) return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-') return false;
    uint64_t mult = 1ull << 20;
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mult = 1ull << 10; break;
        case 'm': case 'M': mult = 1ull << 20; break;
        case 'g': case 'G': mult = 1ull << 30; break;
        case 'b': case 'B': mult = 1; break;
        default: return false;
        }
        if (end[1] && !((end[1] == 'B' || end[1] == 'b') && !end[2] && mult != 1)) return false;
    }
    if (v > UINT64_MAX / mult) return false;
    *bytes = v * mult;
    return true;
}

static bool parse_chr(const char *opt, const char *v, ChrSpec *c, char *err, size_t errlen)
{
    if (strcmp(v, "stdio") == 0) {
        c->kind = CHR_STDIO;
    } else if (strcmp(v, "none") == 0 || strcmp(v, "null") == 0) {
        c->kind = CHR_NONE;
    } else if (strncmp(v, "file:", 5) == 0 && v[5]) {
        c->kind = CHR_FILE;
        c->path = v + 5;
    } else {
        snprintf(err, errlen, "%s: '%s' is not one of stdio, file:PATH, none", opt, v);
        return false;
    }
    return true;
}

const char *options_help(void)
{
    static char buf[5120];
    snprintf(buf, sizeof buf,
             "Usage: brisk [options]\n"
             "Brisk, a pure-software x86 PC emulator.\n\n"
             "Machine:\n"
             "  -m SIZE              guest RAM (default 128M; suffixes K, M, G; plain number = MiB)\n"
             "  -bios FILE           raw firmware image mapped below 4 GiB and 1 MiB\n"
             "                       (not needed with -kernel)\n"
             "  -kernel FILE         boot a Linux bzImage or a Multiboot kernel (ELF or a.out\n"
             "                       kludge) directly, in protected mode, without firmware\n"
             "  -append CMDLINE      the kernel's command line\n"
             "  -initrd FILE[ ARGS][,FILE[ ARGS]...]\n"
             "                       Linux: the initrd (one FILE); Multiboot: modules, each\n"
             "                       with its own command line (',,' for a comma)\n"
             "  -no-reboot           stop on a triple fault instead of resetting\n"
             "  --icount N           run exactly N instructions per virtual second\n"
             "                       (reproducible runs; default: guest time follows wall time)\n\n"
             "Character devices (stdio, file:PATH, none):\n"
             "  -serial DEV          COM1 (default stdio)\n"
             "  -debugcon DEV        the debug console on port 0xE9 (default off)\n\n"
             "Display:\n"
             "  -display none        no window (the only display so far)\n"
             "  -nographic           same as -display none\n\n"
             "Debugging:\n"
             "  -d ITEM[,ITEM...]    log items:\n%s"
             "  -D FILE              write the log to FILE (default stderr)\n"
             "  --stats              at exit, print guest instructions, blocks decoded,\n"
             "                       wall time and MIPS to stderr\n\n"
             "  -h, --help           this text\n"
             "  --version            the version\n\n"
             "Exit status: the guest's through the exit device at port 0xF4 ((value << 1) | 1),\n"
             "0 when it halts with interrupts disabled, 1 on a triple fault with -no-reboot,\n"
             "2 for a usage or set-up error.\n",
             log_items_help());
    return buf;
}

int options_parse(Options *o, int argc, char **argv, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->ram_bytes = 128ull << 20;
    o->serial.kind = CHR_STDIO;
    o->debugcon.kind = CHR_NONE;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        /* QEMU accepts --opt for -opt; so do we. */
        if (a[0] == '-' && a[1] == '-' && a[2]) a++;
#define NEED_ARG()                                                                                 \
    do {                                                                                           \
        if (i + 1 >= argc) {                                                                       \
            snprintf(err, errlen, "option '%s' needs an argument", argv[i]);                       \
            return 2;                                                                              \
        }                                                                                          \
    } while (0)
        if (!strcmp(a, "-h") || !strcmp(a, "-help")) {
            o->help = true;
            return 1;
        } else if (!strcmp(a, "-version")) {
            o->version = true;
            return 1;
        } else if (!strcmp(a, "-m")) {
            NEED_ARG();
            const char *v = argv[++i];
            if (!strncmp(v, "size=", 5)) v += 5;
            if (!options_parse_size(v, &o->ram_bytes)) {
                snprintf(err, errlen, "-m: '%s' is not a size (e.g. 64M, 1G)", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "-bios")) {
            NEED_ARG();
            o->bios = argv[++i];
        } else if (!strcmp(a, "-kernel")) {
            NEED_ARG();
            o->kernel = argv[++i];
        } else if (!strcmp(a, "-append")) {
            NEED_ARG();
            o->append = argv[++i];
        } else if (!strcmp(a, "-initrd")) {
            NEED_ARG();
            o->initrd = argv[++i];
        } else if (!strcmp(a, "-stats")) {
            o->stats = true;
        } else if (!strcmp(a, "-serial")) {
            NEED_ARG();
            if (!parse_chr("-serial", argv[++i], &o->serial, err, errlen)) return 2;
        } else if (!strcmp(a, "-debugcon")) {
            NEED_ARG();
            if (!parse_chr("-debugcon", argv[++i], &o->debugcon, err, errlen)) return 2;
        } else if (!strcmp(a, "-display")) {
            NEED_ARG();
            const char *v = argv[++i];
            if (strcmp(v, "none") != 0) {
                snprintf(err, errlen, "-display: '%s' is not available (this build has: none)", v);
                return 2;
            }
            o->display_none = true;
        } else if (!strcmp(a, "-nographic")) {
            o->display_none = true;
        } else if (!strcmp(a, "-no-reboot")) {
            o->no_reboot = true;
        } else if (!strcmp(a, "-d")) {
            NEED_ARG();
            const char *bad = NULL;
            if (!log_parse_items(argv[++i], &o->log_mask, &bad)) {
                snprintf(err, errlen, "-d: unknown log item '%s' (see brisk --help)", bad);
                return 2;
            }
        } else if (!strcmp(a, "-D")) {
            NEED_ARG();
            o->log_file = argv[++i];
        } else if (!strcmp(a, "-icount")) {
            NEED_ARG();
            const char *v = argv[++i];
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (errno || end == v || *end || n == 0 || v[0] == '-' || n > 100000000000ull) {
                snprintf(err, errlen, "--icount: '%s' is not a positive instruction rate", v);
                return 2;
            }
            o->icount_ips = n;
        } else {
            snprintf(err, errlen, "unknown option '%s' (see brisk --help)", argv[i]);
            return 2;
        }
#undef NEED_ARG
    }
    return 0;
}
