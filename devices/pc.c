/*
 * pc.c - the machine: board construction and the main loop (see pc.h).
 *
 * The main loop (DESIGN.md section 5): run the CPU until the next timer
 * deadline or an event, fire the due timers, let the frontend poll. HLT
 * skips guest time ahead to the next deadline (with --icount at once;
 * otherwise by sleeping until wall time gets there) and never spins the
 * host. Without --icount, guest time is kept near wall time by adapting
 * the instruction rate: when the CPU runs ahead of wall time the rate goes
 * up (each instruction then stands for less guest time), when it falls
 * behind the rate goes down, and a guest more than a slack behind jumps
 * forward. The rate, not a sleep, absorbs a fast CPU, so a busy guest runs
 * as fast as the host allows (a fixed rate would throttle it); only HLT
 * and a guest far ahead right after a rate drop wait in wall time.
 *
 * Port 92h (system control port A, PS/2 and later chipsets): bit 1 gates
 * A20, bit 0 pulses a CPU reset. Port 80h (POST codes, Linux's I/O delay)
 * is a sink.
 *
 * -kernel boots a Linux bzImage (bios/linux.h) or a Multiboot kernel
 * (bios/multiboot.h): a file with the Linux setup header is Linux.
 */
#define _POSIX_C_SOURCE 200809L
#include "devices/pc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bios/linux.h"
#include "bios/multiboot.h"
#include "bios/rom.h"
#include "cpu/cpu.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/device.h"
#include "devices/core/log.h"
#include "devices/debugcon.h"
#include "devices/exitdev.h"
#include "devices/i8042.h"
#include "devices/pic.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "translator/exec.h"

#define MAX_DEVICES 16
/* With --icount the RTC starts at a fixed date, so that runs stay
 * identical: 2000-01-01 00:00:00 UTC. */
#define RTC_FIXED_EPOCH_S 946684800
#define SYNC_PERIOD_NS 1000000ull        /* the loop comes up for air every 1 ms of guest time */
#define REALTIME_SLACK_NS 50000000ull    /* behind wall time by more: jump ahead */
#define RATE_BAND_NS 2000000ull          /* ahead or behind by more: adapt the rate */
#define AHEAD_WAIT_NS 20000000ull        /* ahead by more: also wait in wall time */
#define RATE_MIN_IPS 1000000ull
#define RATE_MAX_IPS 100000000000ull

struct Machine {
    MachineConfig cfg;
    Bus *bus;
    Clock clock;
    Cpu *cpu;
    Translator *tb;
    Pic *pic;
    Pit *pit;
    Uart *com1;
    Rtc *rtc;
    I8042 *kbc;
    Debugcon *debugcon;
    ExitDev *exitdev;
    MultibootKernel *kernel;   /* -kernel (Multiboot): booted at every reset */
    LinuxKernel *linux_kernel; /* -kernel (bzImage): booted at every reset */
    Device devices[MAX_DEVICES];
    int n_devices;
    Timer sync_timer;
    uint8_t port92;
    bool exit_requested;
    bool stop_requested;
    bool reset_requested;
    int exit_status;
    uint64_t wall_base_ns;  /* host monotonic time when guest time was 0 */
};

MachineConfig machine_default_config(void)
{
    MachineConfig c;
    memset(&c, 0, sizeof c);
    c.ram_bytes = MACHINE_DEFAULT_RAM_BYTES;
    c.serial = chardev_null();
    c.debugcon = chardev_null();
    return c;
}

static uint64_t host_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void host_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / NS_PER_SEC), (long)(ns % NS_PER_SEC)};
    nanosleep(&ts, NULL);
}

static void add_device(Machine *m, const DeviceOps *ops, void *dev)
{
    if (m->n_devices < MAX_DEVICES) {
        m->devices[m->n_devices].ops = ops;
        m->devices[m->n_devices].dev = dev;
        m->n_devices++;
    }
}

static void on_guest_exit(void *opaque, int status)
{
    Machine *m = opaque;
    m->exit_requested = true;
    m->exit_status = status;
    clock_request_stop(&m->clock);
    m->cpu->stop_block = true;
}

static int intr_ack(void *opaque) { return pic_ack(opaque); }

static uint32_t port92_read(void *opaque, uint16_t port, unsigned size)
{
    Machine *m = opaque;
    (void)port;
    (void)size;
    return (m->port92 & ~2u) | (bus_a20(m->bus) ? 2u : 0u);
}

/* A reset asked for from inside a guest port write: the main loop does it
 * at the next instruction boundary. */
static void request_reset(Machine *m)
{
    m->reset_requested = true;
    clock_request_stop(&m->clock);
    m->cpu->stop_block = true;
}

static void port92_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    Machine *m = opaque;
    (void)port;
    (void)size;
    bus_set_a20(m->bus, (val & 2) != 0);
    if ((val & 1) && !(m->port92 & 1)) request_reset(m);
    m->port92 = (uint8_t)(val & 0xFF);
}

/* The 8042's output port: A20 (bit 1) and the CPU reset line (bit 0). */
static void kbc_set_a20(void *opaque, bool enabled) { bus_set_a20(((Machine *)opaque)->bus, enabled); }
static void kbc_reset(void *opaque) { request_reset(opaque); }

/* The standard PC/AT CMOS layout that BIOSes and OSes read (the IBM AT
 * technical reference; SeaBIOS reads the same bytes on QEMU): base memory,
 * extended memory up to 64 MiB in KiB, memory above 16 MiB in 64 KiB units,
 * the equipment byte (an FPU, a VGA), no floppies or hard disks yet. */
static void cmos_fill(Machine *m)
{
    uint64_t ram = m->cfg.ram_bytes;
    uint64_t ext_k = ram > (1u << 20) ? (ram - (1u << 20)) >> 10 : 0;
    if (ext_k > 0xFFFF) ext_k = 0xFFFF;
    uint64_t above16 = ram > (16u << 20) ? (ram - (16u << 20)) >> 16 : 0;
    if (above16 > 0xFFFF) above16 = 0xFFFF;
    rtc_cmos_set(m->rtc, 0x10, 0x00); /* floppy types: none */
    rtc_cmos_set(m->rtc, 0x12, 0x00); /* hard disk types: none */
    rtc_cmos_set(m->rtc, 0x14, 0x02); /* equipment: FPU, VGA, no floppy */
    rtc_cmos_set(m->rtc, 0x15, 640 & 0xFF);
    rtc_cmos_set(m->rtc, 0x16, 640 >> 8);
    rtc_cmos_set(m->rtc, 0x17, (uint8_t)ext_k);
    rtc_cmos_set(m->rtc, 0x18, (uint8_t)(ext_k >> 8));
    rtc_cmos_set(m->rtc, 0x30, (uint8_t)ext_k);
    rtc_cmos_set(m->rtc, 0x31, (uint8_t)(ext_k >> 8));
    rtc_cmos_set(m->rtc, 0x34, (uint8_t)above16);
    rtc_cmos_set(m->rtc, 0x35, (uint8_t)(above16 >> 8));
    rtc_cmos_set_checksum(m->rtc);
}

static const IoOps port92_ops = {port92_read, port92_write, 1};

/* The PC/AT's x87 error path (CR0.NE = 0): FERR# sets a latch that drives
 * IRQ13; a write to port F0h clears the latch (and asserts IGNNE#, which
 * Brisk's FPU does not need: it never freezes on a pending error). */
static void ferr_changed(void *opaque, bool level)
{
    Machine *m = opaque;
    if (level) pic_set_irq(m->pic, 13, 1);
}

static uint32_t portf0_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return 0xFF;
}

static void portf0_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    Machine *m = opaque;
    (void)port;
    (void)val;
    (void)size;
    pic_set_irq(m->pic, 13, 0);
}

static const IoOps portf0_ops = {portf0_read, portf0_write, 1};

/* Port 80h: the POST code port. Nothing decodes it on this board, but
 * Linux writes to it for short I/O delays (outb_p) and firmware writes its
 * progress codes there: writes are dropped, reads give the open bus. */
static uint32_t port80_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return 0xFFFFFFFFu;
}

static void port80_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)val;
    (void)size;
}

static const IoOps port80_ops = {port80_read, port80_write, 1};

static void sync_tick(void *opaque)
{
    Machine *m = opaque;
    timer_mod(&m->sync_timer, clock_now_ns(&m->clock) + SYNC_PERIOD_NS);
}

/* -kernel: loads the kernel into RAM and sets the CPU's entry state. */
static void boot_kernel(Machine *m)
{
    if (m->kernel) multiboot_boot(m->kernel, m->bus, m->cpu);
    if (m->linux_kernel) linux_boot(m->linux_kernel, m->bus, m->cpu);
}

Machine *machine_new(const MachineConfig *cfg, char *err, size_t errlen)
{
    if (!cfg->bios_path && !cfg->kernel_path) {
        snprintf(err, errlen, "no firmware given: use -bios FILE (or boot a kernel with -kernel)");
        return NULL;
    }
    if (!cfg->kernel_path && (cfg->kernel_cmdline || cfg->initrd)) {
        snprintf(err, errlen, "-append and -initrd need -kernel");
        return NULL;
    }
    if (cfg->ram_bytes < (1ull << 20) || cfg->ram_bytes > MACHINE_MAX_RAM_BYTES) {
        snprintf(err, errlen, "RAM size must be between 1 MiB and %llu MiB",
                 MACHINE_MAX_RAM_BYTES >> 20);
        return NULL;
    }
    Machine *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    m->cfg = *cfg;
    if (cfg->kernel_path) {
        /* Read and check the kernel first: a bad file is the likeliest error.
         * A Linux bzImage is recognised by its setup header ("HdrS" at 202h,
         * which Multiboot kernels do not have); anything else must be a
         * Multiboot kernel. */
        bool ok;
        if (linux_file_is_bzimage(cfg->kernel_path)) {
            m->linux_kernel = linux_open(cfg->kernel_path, cfg->kernel_cmdline, cfg->initrd,
                                         cfg->ram_bytes, err, errlen);
            ok = m->linux_kernel != NULL;
        } else {
            m->kernel = multiboot_open(cfg->kernel_path, cfg->kernel_cmdline, cfg->initrd,
                                       cfg->ram_bytes, err, errlen);
            ok = m->kernel != NULL;
        }
        if (!ok) {
            machine_free(m);
            return NULL;
        }
    }
    clock_init(&m->clock, cfg->icount_ips ? cfg->icount_ips : MACHINE_DEFAULT_IPS);
    m->bus = bus_new();
    if (!m->bus || !bus_add_ram(m->bus, 0, cfg->ram_bytes, "ram")) {
        snprintf(err, errlen, "cannot allocate %llu MiB of guest RAM",
                 (unsigned long long)(cfg->ram_bytes >> 20));
        machine_free(m);
        return NULL;
    }
    if (cfg->bios_path && !rom_load_bios(m->bus, cfg->bios_path, err, errlen)) {
        machine_free(m);
        return NULL;
    }
    m->cpu = cpu_new(m->bus, &m->clock);
    m->tb = m->cpu ? tb_new(m->cpu) : NULL;
    if (!m->tb) {
        snprintf(err, errlen, "out of memory");
        machine_free(m);
        return NULL;
    }
    m->pic = pic_new(m->bus, irq_line(cpu_intr_line, m->cpu, 0));
    cpu_set_intr_ack(m->cpu, intr_ack, m->pic);
    add_device(m, &pic_device_ops, m->pic);
    m->pit = pit_new(m->bus, &m->clock, irq_line(pic_set_irq, m->pic, 0));
    add_device(m, &pit_device_ops, m->pit);
    m->com1 = uart_new(m->bus, 0x3F8, irq_line(pic_set_irq, m->pic, 4), &m->clock, cfg->serial);
    add_device(m, &uart_device_ops, m->com1);
    /* The RTC is the one device whose start comes from the host (its
     * time of day), except with --icount, where runs must be identical. */
    RtcConfig rtc_cfg = {.base_epoch_s = cfg->icount_ips ? RTC_FIXED_EPOCH_S : (int64_t)time(NULL)};
    m->rtc = rtc_new(m->bus, irq_line(pic_set_irq, m->pic, 8), &m->clock, &rtc_cfg);
    add_device(m, &rtc_device_ops, m->rtc);
    cmos_fill(m);
    I8042Config kbc_cfg = {kbc_set_a20, kbc_reset, m};
    m->kbc = i8042_new(m->bus, irq_line(pic_set_irq, m->pic, 1), irq_line(pic_set_irq, m->pic, 12),
                       &m->clock, &kbc_cfg);
    add_device(m, &i8042_device_ops, m->kbc);
    if (cfg->debugcon_enabled) {
        m->debugcon = debugcon_new(m->bus, 0xE9, cfg->debugcon);
        add_device(m, &debugcon_device_ops, m->debugcon);
    }
    m->exitdev = exitdev_new(m->bus, 0xF4, on_guest_exit, m);
    add_device(m, &exitdev_device_ops, m->exitdev);
    bus_register_io(m->bus, 0x92, 1, &port92_ops, m);
    bus_register_io(m->bus, 0xF0, 1, &portf0_ops, m);
    bus_register_io(m->bus, 0x80, 1, &port80_ops, m);
    m->cpu->on_ferr = ferr_changed;
    m->cpu->ferr_opaque = m;
    timer_init(&m->sync_timer, &m->clock, sync_tick, m, "sync");
    timer_mod(&m->sync_timer, SYNC_PERIOD_NS);
    boot_kernel(m);
    m->wall_base_ns = host_now_ns();
    return m;
}

void machine_free(Machine *m)
{
    if (!m) return;
    for (int i = m->n_devices - 1; i >= 0; i--) device_destroy(&m->devices[i]);
    tb_free(m->tb);
    cpu_free(m->cpu);
    bus_free(m->bus);
    multiboot_free(m->kernel);
    linux_free(m->linux_kernel);
    free(m);
}

void machine_reset(Machine *m)
{
    for (int i = 0; i < m->n_devices; i++) device_reset(&m->devices[i]);
    m->port92 = 0;
    bus_set_a20(m->bus, true);
    tb_flush(m->tb);
    cpu_reset(m->cpu);
    /* A reboot boots the kernel again (the guest may have overwritten it). */
    boot_kernel(m);
}

int machine_exit_status(const Machine *m) { return m->exit_status; }
uint64_t machine_icount(const Machine *m) { return m->cpu->icount; }
uint64_t machine_blocks_decoded(const Machine *m) { return tb_stats(m->tb)->blocks_decoded; }
uint64_t machine_now_ns(const Machine *m) { return clock_now_ns(&m->clock); }

void machine_request_stop(Machine *m)
{
    m->stop_requested = true;
    clock_request_stop(&m->clock);
    m->cpu->stop_block = true;
}

size_t machine_serial_input(Machine *m, const uint8_t *buf, size_t n)
{
    size_t room = uart_rx_space(m->com1);
    if (n > room) n = room;
    if (n) uart_receive(m->com1, buf, n);
    return n;
}

void machine_dump_cpu(Machine *m, FILE *f) { cpu_dump_state(m->cpu, f); }

/* Without --icount: keeps guest time near wall time by adapting the rate
 * (multiplicative steps, about one per millisecond of guest time, so it
 * settles within a few milliseconds and then stays within the band). */
static void realtime_sync(Machine *m)
{
    uint64_t guest = clock_now_ns(&m->clock);
    uint64_t wall = host_now_ns() - m->wall_base_ns;
    uint64_t ips = m->clock.ips;
    if (guest > wall + RATE_BAND_NS) {
        if (ips < RATE_MAX_IPS) clock_set_ips(&m->clock, ips + ips / 4);
        if (guest > wall + AHEAD_WAIT_NS) {
            uint64_t d = guest - wall - AHEAD_WAIT_NS;
            host_sleep_ns(d < 10000000 ? d : 10000000);
        }
    } else if (wall > guest + RATE_BAND_NS) {
        if (ips > RATE_MIN_IPS) clock_set_ips(&m->clock, ips - ips / 8);
        if (wall > guest + REALTIME_SLACK_NS) clock_advance_to(&m->clock, wall);
    }
}

MachineExit machine_run(Machine *m, MachinePollFn poll, void *opaque)
{
    uint64_t last_poll = host_now_ns();
    for (;;) {
        CpuExit why = tb_exec(m->tb);
        if (m->exit_requested) return MACHINE_EXIT_GUEST;
        if (m->stop_requested) {
            m->stop_requested = false;
            clock_run_timers(&m->clock);
            return MACHINE_EXIT_REQUESTED;
        }
        if (m->reset_requested) {
            m->reset_requested = false;
            machine_reset(m);
        }
        if (why == CPU_EXIT_SHUTDOWN) {
            fprintf(stderr, "brisk: triple fault: the CPU shut down. Registers:\n");
            machine_dump_cpu(m, stderr);
            if (m->cfg.no_reboot) return MACHINE_EXIT_SHUTDOWN;
            fprintf(stderr, "brisk: resetting the machine (use -no-reboot to stop instead)\n");
            machine_reset(m);
        } else if (why == CPU_EXIT_HALT) {
            if (!(m->cpu->eflags & F_IF) && !m->cpu->nmi_pending) {
                fprintf(stderr, "brisk: the guest halted with interrupts disabled; nothing can "
                                "wake it, stopping\n");
                return MACHINE_EXIT_HALTED;
            }
            /* Skip ahead to the next event. */
            uint64_t next = clock_next_deadline(&m->clock);
            if (m->cfg.icount_ips) {
                if (next != CLOCK_NEVER) clock_advance_to(&m->clock, next);
            } else {
                uint64_t wall = host_now_ns() - m->wall_base_ns;
                uint64_t guest = clock_now_ns(&m->clock);
                if (next > guest) {
                    uint64_t target = next < guest + 10000000 ? next : guest + 10000000;
                    if (target > wall) host_sleep_ns(target - wall);
                    clock_advance_to(&m->clock, target);
                }
            }
        }
        clock_run_timers(&m->clock);
        if (!m->cfg.icount_ips) realtime_sync(m);
        uint64_t now = host_now_ns();
        if (poll && (now - last_poll >= 10000000 || why == CPU_EXIT_HALT)) {
            last_poll = now;
            poll(m, opaque);
        }
    }
}
