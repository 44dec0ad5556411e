/*
 * options.c - command-line parsing (see options.h). Every error is one line
 * naming the option; nothing here exits or aborts.
 *
 * Parameter lists (-drive, -boot, -rtc) follow QEMU's syntax:
 * "key=value,key=value", ",," in a value is a literal comma, a bare boolean
 * key means key=on, and -boot's first item may omit "order=". -hda and the
 * other shorthands take the file name literally, as in QEMU. A drive slot
 * given twice (-hda X -drive file=Y,index=0) is an error, as in QEMU.
 */
#define _POSIX_C_SOURCE 200809L
#include "frontends/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bios/firmware.h"
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

/* ---- QEMU-style parameter lists ---------------------------------------- */

typedef struct Param {
    char *key;
    char *value; /* NULL for a bare key */
} Param;

/* Takes the next "key[=value]" item off the list p (a private copy that is
 * cut and unescaped in place). Returns where the rest starts, or NULL when
 * the list is exhausted. */
static char *next_param(char *p, Param *out)
{
    if (!*p) return NULL;
    out->key = p;
    while (*p && *p != '=' && *p != ',')
        p++;
    if (*p != '=') {
        out->value = NULL;
        if (*p == ',') *p++ = '\0';
        return p;
    }
    *p++ = '\0';
    out->value = p;
    char *w = p;
    while (*p) {
        if (*p == ',') {
            if (p[1] == ',') {
                *w++ = ',';
                p += 2;
                continue;
            }
            p++;
            break;
        }
        *w++ = *p++;
    }
    *w = '\0';
    return p;
}

/* QEMU's booleans; a bare key means on. Returns 1, 0, or -1 if neither. */
static int parse_onoff(const char *v)
{
    if (!v || !strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true")) return 1;
    if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false")) return 0;
    return -1;
}

/* Keeps a copy of s for the lifetime of o (file names from -drive). */
static char *own_copy(Options *o, const char *s)
{
    char **grown = realloc(o->owned, (o->n_owned + 1) * sizeof *grown);
    if (!grown) return NULL;
    o->owned = grown;
    char *c = strdup(s);
    if (c) o->owned[o->n_owned++] = c;
    return c;
}

void options_free(Options *o)
{
    for (size_t i = 0; i < o->n_owned; i++)
        free(o->owned[i]);
    free(o->owned);
    o->owned = NULL;
    o->n_owned = 0;
}

/* Puts a disk image in slot index (-1: the first free one) of if=ide
 * (IDE) or if=floppy. */
static bool attach_drive(Options *o, const char *opt, bool floppy, long index, const char *path,
                         bool read_only, char *err, size_t errlen)
{
    const char **slots = floppy ? o->fd : o->hd;
    bool *ro = floppy ? o->fd_read_only : o->hd_read_only;
    long n = floppy ? 2 : 4;
    const char *iface = floppy ? "floppy" : "ide";
    if (!*path) {
        snprintf(err, errlen, "%s: empty file name", opt);
        return false;
    }
    if (index < 0) {
        for (index = 0; index < n && slots[index]; index++) {
        }
        if (index == n) {
            snprintf(err, errlen, "%s: no free if=%s slot (all %ld are in use)", opt, iface, n);
            return false;
        }
    } else if (index >= n) {
        snprintf(err, errlen, "%s: index=%ld is out of range for if=%s (0..%ld)", opt, index, iface,
                 n - 1);
        return false;
    } else if (slots[index]) {
        snprintf(err, errlen, "%s: drive if=%s,index=%ld is given twice", opt, iface, index);
        return false;
    }
    slots[index] = path;
    ro[index] = read_only;
    return true;
}

/* -drive file=PATH[,format=raw][,if=ide|floppy][,index=N][,media=disk]
 *        [,readonly=on|off][,snapshot=on|off] */
static bool parse_drive(Options *o, const char *spec, char *err, size_t errlen)
{
    char *copy = own_copy(o, spec);
    if (!copy) {
        snprintf(err, errlen, "-drive: out of memory");
        return false;
    }
    const char *file = NULL;
    bool floppy = false, cdrom = false, read_only = false;
    long index = -1;
    Param prm;
    for (char *p = copy; (p = next_param(p, &prm)) != NULL;) {
        const char *k = prm.key, *v = prm.value;
        bool is_bool = !strcmp(k, "readonly") || !strcmp(k, "snapshot");
        if (!*k) {
            snprintf(err, errlen, "-drive: empty parameter name in '%s'", spec);
            return false;
        }
        if (!is_bool && !v &&
            (!strcmp(k, "file") || !strcmp(k, "format") || !strcmp(k, "if") ||
             !strcmp(k, "index") || !strcmp(k, "media"))) {
            snprintf(err, errlen, "-drive: parameter '%s' needs a value (%s=...)", k, k);
            return false;
        }
        if (!strcmp(k, "file")) {
            file = v;
        } else if (!strcmp(k, "format")) {
            if (strcmp(v, "raw") != 0) {
                snprintf(err, errlen,
                         "-drive: format=%s is not supported: only raw images "
                         "(qemu-img convert -O raw converts)",
                         v);
                return false;
            }
        } else if (!strcmp(k, "if")) {
            if (!strcmp(v, "ide")) {
                floppy = false;
            } else if (!strcmp(v, "floppy")) {
                floppy = true;
            } else {
                snprintf(err, errlen,
                         "-drive: if=%s is not available (this build has: ide, floppy)", v);
                return false;
            }
        } else if (!strcmp(k, "index")) {
            char *end;
            errno = 0;
            long n = strtol(v, &end, 10);
            if (errno || end == v || *end || v[0] < '0' || v[0] > '9' || n > 1000) {
                snprintf(err, errlen, "-drive: index=%s is not a drive number", v);
                return false;
            }
            index = n;
        } else if (!strcmp(k, "media")) {
            if (!strcmp(v, "disk")) {
                cdrom = false;
            } else if (!strcmp(v, "cdrom")) {
                cdrom = true;
            } else {
                snprintf(err, errlen, "-drive: media=%s is not disk or cdrom", v);
                return false;
            }
        } else if (is_bool) {
            int b = parse_onoff(v);
            if (b < 0) {
                snprintf(err, errlen, "-drive: %s=%s is not on or off", k, v);
                return false;
            }
            if (!strcmp(k, "readonly")) {
                read_only = b;
            } else if (b) {
                o->snapshot = true; /* one switch for the machine (options.h) */
            }
        } else {
            snprintf(err, errlen, "-drive: unknown parameter '%s' (see brisk --help)", k);
            return false;
        }
    }
    if (cdrom) {
        snprintf(err, errlen, "-drive: media=cdrom: CD-ROM comes in a later version");
        return false;
    }
    if (!file) {
        snprintf(err, errlen, "-drive: file=PATH is missing in '%s'", spec);
        return false;
    }
    return attach_drive(o, "-drive", floppy, index, file, read_only, err, errlen);
}

/* Checks a -boot drive list and stores it: letters from a, b, c, d, n, each
 * at most once. */
static bool set_boot_order(Options *o, const char *key, const char *v, char *err, size_t errlen)
{
    if (!v || !*v) {
        snprintf(err, errlen, "-boot: %s= needs drive letters (e.g. %s=cad)", key, key);
        return false;
    }
    for (const char *c = v; *c; c++) {
        if (!strchr("abcdn", *c)) {
            snprintf(err, errlen,
                     "-boot: '%c' is not a boot device (a, b: floppy; c: hard disk; d: CD-ROM; "
                     "n: network)",
                     *c);
            return false;
        }
        if (strchr(c + 1, *c)) {
            snprintf(err, errlen, "-boot: boot device '%c' is given twice in '%s'", *c, v);
            return false;
        }
    }
    /* The PC's CMOS holds three boot devices (QEMU refuses more too). */
    if (strlen(v) > 3) {
        snprintf(err, errlen, "-boot: '%s' names %zu devices; a PC boots from 3 at most", v,
                 strlen(v));
        return false;
    }
    snprintf(o->boot_order, sizeof o->boot_order, "%s", v);
    return true;
}

/* -boot [order=]LETTERS[,once=LETTERS][,menu=on|off]; repeated -boot
 * options merge, as in QEMU. */
static bool parse_boot(Options *o, const char *spec, char *err, size_t errlen)
{
    char *copy = strdup(spec);
    if (!copy) {
        snprintf(err, errlen, "-boot: out of memory");
        return false;
    }
    bool ok = true;
    const char *once = NULL;
    Param prm;
    bool first = true;
    for (char *p = copy; ok && (p = next_param(p, &prm)) != NULL; first = false) {
        const char *k = prm.key, *v = prm.value;
        if (first && !v) { /* QEMU's implied "order=" */
            v = k;
            k = "order";
        }
        if (!strcmp(k, "order")) {
            ok = set_boot_order(o, k, v, err, errlen);
        } else if (!strcmp(k, "once")) {
            once = v ? v : "";
        } else if (!strcmp(k, "menu")) {
            int b = parse_onoff(v);
            if (b < 0) {
                snprintf(err, errlen, "-boot: menu=%s is not on or off", v);
                ok = false;
            }
            o->boot_menu = b > 0;
        } else {
            snprintf(err, errlen, "-boot: unknown parameter '%s' (see brisk --help)", k);
            ok = false;
        }
    }
    /* once= wins over order= (Brisk keeps it after a reset, see options.h). */
    if (ok && once) ok = set_boot_order(o, "once", once, err, errlen);
    free(copy);
    return ok;
}

/* Days from 1970-01-01 to the given proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Reads 1..max decimal digits. */
static bool read_digits(const char **p, int min, int max, int *out)
{
    int v = 0, n = 0;
    while (n < max && **p >= '0' && **p <= '9') {
        v = v * 10 + (*(*p)++ - '0');
        n++;
    }
    *out = v;
    return n >= min;
}

/* YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, UTC, 1970..9999. */
static bool parse_date(const char *s, int64_t *secs)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    const char *p = s;
    if (!read_digits(&p, 4, 4, &y) || *p++ != '-' || !read_digits(&p, 1, 2, &mo) || *p++ != '-' ||
        !read_digits(&p, 1, 2, &d))
        return false;
    if (*p == 'T') {
        p++;
        if (!read_digits(&p, 1, 2, &h) || *p++ != ':' || !read_digits(&p, 1, 2, &mi) ||
            *p++ != ':' || !read_digits(&p, 1, 2, &se))
            return false;
    }
    if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return false;
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] + (mo == 2 && leap)) return false;
    *secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return true;
}

/* -rtc base=utc|localtime|DATE[,clock=host|rt|vm][,driftfix=none|slew] */
static bool parse_rtc(Options *o, const char *spec, char *err, size_t errlen)
{
    char *copy = strdup(spec);
    if (!copy) {
        snprintf(err, errlen, "-rtc: out of memory");
        return false;
    }
    bool ok = true;
    Param prm;
    for (char *p = copy; ok && (p = next_param(p, &prm)) != NULL;) {
        const char *k = prm.key, *v = prm.value ? prm.value : "";
        if (!strcmp(k, "base")) {
            int64_t t;
            if (!strcmp(v, "utc")) {
                o->rtc_base_set = false; /* the machine's default clock */
            } else if (!strcmp(v, "localtime")) {
                /* The host's wall-clock time written as if it were UTC: the
                 * RTC then shows local time, as QEMU's base=localtime. */
                time_t now = time(NULL);
                struct tm lt;
                if (!localtime_r(&now, &lt)) {
                    snprintf(err, errlen, "-rtc: base=localtime: the host's local time is unknown");
                    ok = false;
                } else {
                    o->rtc_base_set = true;
                    o->rtc_base_s =
                        days_from_civil(lt.tm_year + 1900, lt.tm_mon + 1, lt.tm_mday) * 86400 +
                        lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec;
                }
            } else if (parse_date(v, &t)) {
                o->rtc_base_set = true;
                o->rtc_base_s = t;
            } else {
                snprintf(err, errlen,
                         "-rtc: base=%s is not utc, localtime or a date YYYY-MM-DD[THH:MM:SS] "
                         "(1970..9999)",
                         v);
                ok = false;
            }
        } else if (!strcmp(k, "clock")) {
            if (strcmp(v, "host") && strcmp(v, "rt") && strcmp(v, "vm")) {
                snprintf(err, errlen, "-rtc: clock=%s is not host, rt or vm", v);
                ok = false;
            }
        } else if (!strcmp(k, "driftfix")) {
            if (strcmp(v, "none") && strcmp(v, "slew")) {
                snprintf(err, errlen, "-rtc: driftfix=%s is not none or slew", v);
                ok = false;
            }
        } else {
            snprintf(err, errlen, "-rtc: unknown parameter '%s' (see brisk --help)", k);
            ok = false;
        }
    }
    free(copy);
    return ok;
}

const char *options_help(void)
{
    static char buf[8192];
    snprintf(buf, sizeof buf,
             "Usage: brisk [options]\n"
             "Brisk, a pure-software x86 PC emulator.\n\n"
             "Machine:\n"
             "  -m SIZE              guest RAM (default 128M; suffixes K, M, G; plain number = MiB)\n"
             "  -bios FILE           raw firmware image mapped below 4 GiB and 1 MiB.\n"
             "                       With neither -bios nor -kernel: SeaBIOS (" FIRMWARE_BIOS "),\n"
             "                       looked up in the -L folder, then in the folders of\n"
             "                       $BRISK_FIRMWARE_PATH (colon-separated) or, if that is\n"
             "                       unset, in " FIRMWARE_DEFAULT_PATH "\n"
             "                       (Debian: apt install seabios)\n"
             "  -L DIR               look for firmware (BIOS, VGA BIOS) in DIR first\n"
             "  -kernel FILE         boot a Linux bzImage or a Multiboot kernel (ELF or a.out\n"
             "                       kludge) directly, in protected mode, without firmware\n"
             "  -append CMDLINE      the kernel's command line\n"
             "  -initrd FILE[ ARGS][,FILE[ ARGS]...]\n"
             "                       Linux: the initrd (one FILE); Multiboot: modules, each\n"
             "                       with its own command line (',,' for a comma)\n"
             "  -boot [order=]DRIVES[,once=DRIVES][,menu=on|off]\n"
             "                       firmware boot order: a, b floppy, c hard disk, d CD-ROM,\n"
             "                       n network, each at most once (default cad); once= is the\n"
             "                       same as order= here; menu=on: the firmware's boot menu\n"
             "  -rtc base=utc|localtime|DATE[,clock=host|rt|vm][,driftfix=none|slew]\n"
             "                       the RTC at power-on: utc (default: host time, or\n"
             "                       2000-01-01 with --icount), host local time, or a fixed UTC\n"
             "                       DATE as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS; clock= and\n"
             "                       driftfix= are accepted and ignored\n"
             "  -no-reboot           stop on a triple fault instead of resetting\n"
             "  --icount N           run exactly N instructions per virtual second\n"
             "                       (reproducible runs; default: guest time follows wall time)\n\n"
             "Disks (raw images only):\n"
             "  -hda/-hdb/-hdc/-hdd FILE\n"
             "                       IDE disk 0..3 (primary master, slave, secondary master,\n"
             "                       slave)\n"
             "  -fda/-fdb FILE       floppy drive A: or B: (160K..2.88M images)\n"
             "  -drive file=PATH[,if=ide|floppy][,index=N][,format=raw][,media=disk]\n"
             "         [,readonly=on|off][,snapshot=on|off]\n"
             "                       a disk in slot N of the interface (default: ide, the\n"
             "                       first free slot); ',,' is a comma in PATH; snapshot=on\n"
             "                       on any drive means -snapshot for all drives\n"
             "  -snapshot            the guest's disk writes go to memory and are thrown away\n"
             "                       at exit; the images never change\n\n"
             "Character devices (stdio, file:PATH, none):\n"
             "  -serial DEV          COM1 (default stdio)\n"
             "  -debugcon DEV        the debug console on ports 0xE9 and 0x402 (default off)\n\n"
             "Display:\n"
             "  -display none        no window (the only display so far)\n"
             "  -nographic           same as -display none\n"
             "  --screendump FILE    at exit (whatever the reason), write the VGA text screen\n"
             "                       to FILE as plain text (empty in a graphics mode)\n\n"
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
        } else if (!strcmp(a, "-hda") || !strcmp(a, "-hdb") || !strcmp(a, "-hdc") ||
                   !strcmp(a, "-hdd")) {
            NEED_ARG();
            if (!attach_drive(o, argv[i], false, a[3] - 'a', argv[i + 1], false, err, errlen))
                return 2;
            i++;
        } else if (!strcmp(a, "-fda") || !strcmp(a, "-fdb")) {
            NEED_ARG();
            if (!attach_drive(o, argv[i], true, a[3] - 'a', argv[i + 1], false, err, errlen))
                return 2;
            i++;
        } else if (!strcmp(a, "-drive")) {
            NEED_ARG();
            if (!parse_drive(o, argv[++i], err, errlen)) return 2;
        } else if (!strcmp(a, "-cdrom")) {
            snprintf(err, errlen, "-cdrom: CD-ROM comes in a later version (IDE disks: -hda..-hdd)");
            return 2;
        } else if (!strcmp(a, "-snapshot")) {
            o->snapshot = true;
        } else if (!strcmp(a, "-boot")) {
            NEED_ARG();
            if (!parse_boot(o, argv[++i], err, errlen)) return 2;
        } else if (!strcmp(a, "-rtc")) {
            NEED_ARG();
            if (!parse_rtc(o, argv[++i], err, errlen)) return 2;
        } else if (!strcmp(a, "-L")) {
            NEED_ARG();
            o->firmware_dir = argv[++i];
        } else if (!strcmp(a, "-screendump")) {
            NEED_ARG();
            o->screendump = argv[++i];
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
