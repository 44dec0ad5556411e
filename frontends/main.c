/*
 * main.c - the `brisk` command: parses options, builds the machine, runs
 * it headless with COM1 on a terminal or file, and turns how it ended into
 * an exit status. Host errors become one-line messages and status 2.
 *
 * Output files (-serial file:, --screendump) are opened before the machine
 * is built, so a bad path fails at once rather than after a long run.
 *
 * With COM1 on a terminal (-serial stdio and stdin a tty), the terminal is
 * put in raw mode while the guest runs, as QEMU does with -nographic: every
 * key, Ctrl-C included, goes to the guest, which does its own echo and
 * line editing. Ctrl-A x quits Brisk (Ctrl-A Ctrl-A sends one Ctrl-A), the
 * escape QEMU users know. The terminal is restored however the run ends.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "devices/core/chardev.h"
#include "devices/core/log.h"
#include "devices/pc.h"
#include "frontends/options.h"

typedef struct Frontend {
    bool stdin_serial;
    bool stdin_eof;
    /* Typed or piped bytes COM1 has not taken yet: fed as its receive FIFO
     * drains, so pasted text and scripted input are not lost. */
    uint8_t pending[4096];
    size_t pending_len, pending_pos;
    bool raw_tty;   /* stdin is a terminal in raw mode: Ctrl-A escapes */
    bool escape;    /* the last key was Ctrl-A */
} Frontend;

#define ESCAPE_KEY 0x01 /* Ctrl-A */

static struct termios saved_tty;
static bool tty_is_raw;

static void restore_tty(void)
{
    if (tty_is_raw) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
    tty_is_raw = false;
}

/* A host crash (a Brisk bug) must not leave the user's terminal raw:
 * restore it (tcsetattr is async-signal-safe) and die as the signal
 * would have made it. */
static void on_fatal_signal(int sig)
{
    if (tty_is_raw) tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
    signal(sig, SIG_DFL);
    raise(sig);
}

static bool make_tty_raw(void)
{
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) != 0) return false;
    struct termios t = saved_tty;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) != 0) return false;
    tty_is_raw = true;
    atexit(restore_tty);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGFPE, &sa, NULL);
    sigaction(SIGABRT, &sa, NULL);
    return true;
}

/* Ctrl-A handling on a raw terminal: removes the escape sequences from the
 * bytes just read; returns false when Ctrl-A x asked to quit. */
static bool filter_escapes(Frontend *fe, uint8_t *buf, size_t *len)
{
    size_t out = 0;
    for (size_t i = 0; i < *len; i++) {
        uint8_t c = buf[i];
        if (fe->escape) {
            fe->escape = false;
            if (c == 'x' || c == 'X') return false;
            if (c == ESCAPE_KEY) buf[out++] = c;
            else if (c == 'h' || c == '?')
                fprintf(stderr, "\r\nbrisk: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A\r\n");
            continue;
        }
        if (c == ESCAPE_KEY) {
            fe->escape = true;
            continue;
        }
        buf[out++] = c;
    }
    *len = out;
    return true;
}

/* SIGINT/SIGTERM: the run stops at the next poll and ends as usual
 * (screen dump, images closed with fsync, statistics). */
static volatile sig_atomic_t stop_signal;
static bool quit_key; /* Ctrl-A x: a normal end, not a signal */

static void on_stop_signal(int sig) { stop_signal = sig; }

/* Feeds bytes typed on stdin to COM1 (when COM1 is on stdio). */
static void poll_input(Machine *m, void *opaque)
{
    Frontend *fe = opaque;
    if (stop_signal) {
        machine_request_stop(m);
        return;
    }
    if (!fe->stdin_serial) return;
    /* stdin is read whenever it has bytes, even while COM1 has no room
     * (a guest that never reads it): Ctrl-A x must always get through.
     * What does not fit in the pending buffer is dropped, as on a line
     * without flow control. */
    if (!fe->stdin_eof) {
        struct pollfd p = {STDIN_FILENO, POLLIN, 0};
        if (poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP))) {
            if (fe->pending_pos > 0) {
                memmove(fe->pending, fe->pending + fe->pending_pos,
                        fe->pending_len - fe->pending_pos);
                fe->pending_len -= fe->pending_pos;
                fe->pending_pos = 0;
            }
            uint8_t buf[256];
            size_t room = sizeof fe->pending - fe->pending_len;
            /* A pipe or file (no terminal) is read only as fast as COM1
             * takes it, so scripted input is never lost. */
            size_t want = fe->raw_tty ? sizeof buf : (room < sizeof buf ? room : sizeof buf);
            ssize_t n = want ? read(STDIN_FILENO, buf, want) : 0;
            if (want && n <= 0) {
                fe->stdin_eof = true;
            } else if (n > 0) {
                size_t len = (size_t)n;
                if (fe->raw_tty && !filter_escapes(fe, buf, &len)) {
                    stop_signal = SIGINT;
                    quit_key = true;
                    machine_request_stop(m);
                    return;
                }
                if (len > room) len = room;
                memcpy(fe->pending + fe->pending_len, buf, len);
                fe->pending_len += len;
            }
        }
    }
    fe->pending_pos += machine_serial_input(m, fe->pending + fe->pending_pos,
                                            fe->pending_len - fe->pending_pos);
}

static FILE *open_chr(const ChrSpec *c, const char *what, CharBackend *be)
{
    switch (c->kind) {
    case CHR_STDIO: *be = chardev_file(stdout); return NULL;
    case CHR_NONE: *be = chardev_null(); return NULL;
    case CHR_FILE: {
        FILE *f = fopen(c->path, "wb");
        if (!f) {
            fprintf(stderr, "brisk: %s: cannot open '%s': %s\n", what, c->path, strerror(errno));
            exit(2);
        }
        *be = chardev_file(f);
        return f;
    }
    }
    return NULL;
}

/* --screendump: the text screen, however the run ended. Returns false
 * (with the message printed) if the file could not be written. */
static bool write_screendump(Machine *m, FILE *f, const char *path)
{
    size_t cap = 64 * 1024;
    char *buf = malloc(cap);
    size_t n = buf ? machine_text_dump(m, buf, cap) : 0;
    if (buf && n >= cap) { /* larger than expected: ask again with room for all */
        char *big = realloc(buf, n + 1);
        if (big) {
            buf = big;
            n = machine_text_dump(m, buf, n + 1);
        } else {
            n = cap - 1;
        }
    }
    bool ok = buf != NULL;
    if (ok && n && fwrite(buf, 1, n, f) != n) ok = false;
    if (fclose(f) != 0) ok = false;
    if (!ok)
        fprintf(stderr, "brisk: --screendump: cannot write '%s': %s\n", path,
                buf ? strerror(errno) : "out of memory");
    free(buf);
    return ok;
}

static double wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* --stats: one line for scripts (tests/bench/run.sh parses it). Wall time
 * covers the whole run, machine set-up (loading files) included. */
static void print_stats(Machine *m, double start_s)
{
    double wall = wall_seconds() - start_s;
    uint64_t icount = machine_icount(m);
    fprintf(stderr, "brisk: stats: icount=%llu blocks=%llu wall_s=%.6f mips=%.2f\n",
            (unsigned long long)icount, (unsigned long long)machine_blocks_decoded(m), wall,
            wall > 0 ? (double)icount / wall / 1e6 : 0.0);
}

int main(int argc, char **argv)
{
    double start_s = wall_seconds();
    Options o;
    char err[512];
    int rc = options_parse(&o, argc, argv, err, sizeof err);
    if (rc != 0) options_free(&o);
    if (rc == 2) {
        fprintf(stderr, "brisk: %s\n", err);
        return 2;
    }
    if (o.help) {
        fputs(options_help(), stdout);
        return 0;
    }
    if (o.version) {
        printf("brisk %s\n", BRISK_VERSION);
        return 0;
    }
    if (o.log_file && !log_set_file(o.log_file)) {
        fprintf(stderr, "brisk: -D: cannot open '%s': %s\n", o.log_file, strerror(errno));
        options_free(&o);
        return 2;
    }
    FILE *screendump_file = NULL;
    if (o.screendump && !(screendump_file = fopen(o.screendump, "wb"))) {
        fprintf(stderr, "brisk: --screendump: cannot open '%s': %s\n", o.screendump,
                strerror(errno));
        options_free(&o);
        return 2;
    }
    log_set_mask(o.log_mask);

    MachineConfig cfg = machine_default_config();
    cfg.ram_bytes = o.ram_bytes;
    cfg.bios_path = o.bios;
    cfg.kernel_path = o.kernel;
    cfg.kernel_cmdline = o.append;
    cfg.initrd = o.initrd;
    cfg.icount_ips = o.icount_ips;
    cfg.no_reboot = o.no_reboot;
    cfg.firmware_dir = o.firmware_dir;
    for (int i = 0; i < 4; i++) {
        cfg.hd_path[i] = o.hd[i];
        cfg.hd_read_only[i] = o.hd_read_only[i];
    }
    for (int i = 0; i < 2; i++) {
        cfg.fd_path[i] = o.fd[i];
        cfg.fd_read_only[i] = o.fd_read_only[i];
    }
    cfg.snapshot = o.snapshot;
    cfg.boot_order = o.boot_order[0] ? o.boot_order : NULL;
    cfg.boot_menu = o.boot_menu;
    cfg.rtc_base_set = o.rtc_base_set;
    cfg.rtc_base_s = o.rtc_base_s;
    FILE *serial_file = open_chr(&o.serial, "-serial", &cfg.serial);
    FILE *debugcon_file = open_chr(&o.debugcon, "-debugcon", &cfg.debugcon);
    cfg.debugcon_enabled = o.debugcon.kind != CHR_NONE;

    Machine *m = machine_new(&cfg, err, sizeof err);
    if (!m) {
        fprintf(stderr, "brisk: %s\n", err);
        if (screendump_file) fclose(screendump_file);
        options_free(&o);
        return 2;
    }
    static Frontend fe;
    fe.stdin_serial = o.serial.kind == CHR_STDIO;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (fe.stdin_serial) fe.raw_tty = make_tty_raw();
    MachineExit why = machine_run(m, poll_input, &fe);
    int status;
    switch (why) {
    case MACHINE_EXIT_GUEST: status = machine_exit_status(m); break;
    case MACHINE_EXIT_SHUTDOWN: status = 1; break;
    default: status = 0; break;
    }
    restore_tty();
    if (quit_key) {
        fprintf(stderr, "\nbrisk: quit (Ctrl-A x)\n");
        status = 0;
    } else if (stop_signal) {
        fprintf(stderr, "brisk: stopped by signal %d\n", (int)stop_signal);
        status = 128 + stop_signal;
    }
    if (o.stats) print_stats(m, start_s);
    if (screendump_file && !write_screendump(m, screendump_file, o.screendump)) status = 2;
    machine_free(m);
    if (serial_file) fclose(serial_file);
    if (debugcon_file) fclose(debugcon_file);
    fflush(stdout);
    log_close();
    options_free(&o);
    return status;
}
