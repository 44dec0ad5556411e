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

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bios/linux.h"
#include "bios/multiboot.h"
#include "bios/firmware.h"
#include "bios/rom.h"
#include "cpu/cpu.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/device.h"
#include "devices/core/log.h"
#include "devices/blockdev.h"
#include "devices/debugcon.h"
#include "devices/dma.h"
#include "devices/exitdev.h"
#include "devices/fdc.h"
#include "devices/fw_cfg.h"
#include "devices/i440fx.h"
#include "devices/i8042.h"
#include "devices/ide.h"
#include "devices/pci.h"
#include "devices/pic.h"
#include "devices/piix3.h"
#include "devices/pit.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "devices/vga.h"
#include "translator/exec.h"

#define MAX_DEVICES 32
/* With --icount the RTC starts at a fixed date, so that runs stay
 * identical: 2000-01-01 00:00:00 UTC. */
#define RTC_FIXED_EPOCH_S 946684800
#define SYNC_PERIOD_NS 1000000ull        /* the loop comes up for air every 1 ms of guest time */
#define REALTIME_SLACK_NS 50000000ull    /* behind wall time by more: jump ahead */
#define RATE_BAND_NS 2000000ull          /* ahead or behind by more: adapt the rate */
#define AHEAD_WAIT_NS 20000000ull        /* ahead by more: also wait in wall time */
#define RATE_MIN_IPS 1000000ull
#define RATE_MAX_IPS 100000000000ull


/* ---- PCI functions the board builds from device models ----------------
 *
 * The PIIX3's IDE function (00:01.1, 8086:7010): the legacy-mode IDE
 * controller of devices/ide.c behind a PCI header whose BAR4 is the
 * bus-master base (BMIBA). Both channels always decode their legacy ports;
 * the IDETIM registers (40h-43h) and SIDETIM (44h) only store what the
 * firmware writes (decode enable, timings: nothing to time here); the
 * decode enable bits start set (see pci_ide_reset).
 *
 * The VGA (00:02.0, 1234:1111 as QEMU's "stdvga", which SeaVGABIOS's
 * vgabios-stdvga.bin drives): devices/vga.c behind a PCI header with the
 * VBE linear frame buffer as BAR0 (prefetchable memory, the size of VRAM)
 * and the VGA BIOS as its expansion ROM (the ROM BAR), which SeaBIOS maps,
 * copies to C0000h and runs, as on a real board. */
typedef struct PciIde {
    PciDevice pci;
    Bus *bus;
    Ide *ide;
    uint16_t bm_base; /* where the bus-master registers are now (0: nowhere) */
} PciIde;

/* Memory BARs decode below everything the host bridge claims first: DRAM
 * below the top of memory, the PAM ranges, the BIOS ROM (all at priority 0
 * or more), so a BAR a guest puts over them is hidden there, as on the
 * i440FX. */
#define PCI_BAR_PRIORITY (-1)

typedef struct PciVga {
    PciDevice pci;
    Bus *bus;
    Vga *vga;
    MemRegion *lfb;
    MemRegion *rom;
} PciVga;

/* BAR4 placed over ports another device decodes (a positive-decode
 * conflict, undefined on a real bus) is refused: the registers stay
 * unmapped rather than take those ports over, which would leave the other
 * device without its ports for good. */
static void pci_ide_bar_map(PciDevice *d, int bar, uint32_t addr)
{
    PciIde *p = d->opaque;
    if (bar != 4) return;
    uint16_t base = addr == PCI_BAR_UNMAPPED ? 0 : (uint16_t)addr;
    if (base) {
        for (unsigned i = 0; i < IDE_BM_PORTS; i++) {
            uint16_t port = (uint16_t)(base + i);
            bool own = p->bm_base && port >= p->bm_base && port < p->bm_base + IDE_BM_PORTS;
            if (p->bus->io[port].ops && !own) {
                if (log_enabled(LOG_GUEST_ERRORS))
                    log_printf("piix3-ide: BMIBA %04xh overlaps port %04xh of another device: "
                               "not decoded\n", base, port);
                base = 0;
                break;
            }
        }
    }
    ide_bm_set_base(p->ide, base);
    p->bm_base = base;
}

static void pci_ide_reset(void *opaque)
{
    PciIde *p = opaque;
    pci_device_reset(&p->pci);
    /* IDETIM: both channels decode their legacy ports at all times here,
     * so the IDE decode enable bits (41h/43h bit 7) read as set from power
     * on (the chip resets them to 0 and the firmware sets them; Linux's
     * ata_piix skips a channel whose bit is clear, which matters when
     * -kernel runs no firmware). */
    memset(p->pci.config + 0x40, 0, 5);
    p->pci.config[0x41] = 0x80;
    p->pci.config[0x43] = 0x80;
}

static void pci_ide_free(void *opaque) { free(opaque); }

static const DeviceOps pci_ide_device_ops = {"piix3-ide", pci_ide_reset, NULL, NULL, pci_ide_free};

static PciIde *pci_ide_new(Bus *bus, PciBus *pci, Ide *ide)
{
    PciIde *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->bus = bus;
    p->ide = ide;
    /* Mass storage, IDE, programming interface 80h: bus master capable,
     * both channels in (fixed) compatibility mode. */
    pci_device_init(&p->pci, "piix3-ide", 0x8086, 0x7010, 0x00, 0x010180, 0x00);
    p->pci.opaque = p;
    memset(p->pci.wmask + 0x40, 0xFF, 5);
    pci_register_bar(&p->pci, 4, IDE_BM_PORTS, PCI_BAR_IO, pci_ide_bar_map);
    if (!pci_bus_attach(pci, &p->pci, PCI_DEVFN(1, 1))) {
        free(p);
        return NULL;
    }
    pci_ide_reset(p);
    return p;
}

static void pci_vga_bar_map(PciDevice *d, int bar, uint32_t addr)
{
    PciVga *p = d->opaque;
    MemRegion *mr = bar == 0 ? p->lfb : bar == PCI_ROM_SLOT ? p->rom : NULL;
    if (!mr) return;
    bus_region_set(p->bus, mr, addr == PCI_BAR_UNMAPPED ? 0 : addr, addr != PCI_BAR_UNMAPPED);
}

static void pci_vga_reset(void *opaque) { pci_device_reset(&((PciVga *)opaque)->pci); }
static void pci_vga_free(void *opaque) { free(opaque); }

static const DeviceOps pci_vga_device_ops = {"stdvga-pci", pci_vga_reset, NULL, NULL, pci_vga_free};

static PciVga *pci_vga_new(Bus *bus, PciBus *pci, Vga *vga, const uint8_t *rom, size_t rom_len)
{
    PciVga *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->bus = bus;
    p->vga = vga;
    uint32_t vram_size;
    uint8_t *vram = vga_vram(vga, &vram_size);
    pci_device_init(&p->pci, "stdvga", 0x1234, 0x1111, 0x02, 0x030000, 0x00);
    p->pci.opaque = p;
    p->lfb = bus_add_host(bus, 0, vram_size, vram, MR_RAM, PCI_BAR_PRIORITY, "vga-lfb");
    if (p->lfb) bus_region_set(bus, p->lfb, 0, false);
    pci_register_bar(&p->pci, 0, vram_size, PCI_BAR_MEM_PREFETCH, pci_vga_bar_map);
    if (rom && rom_len) {
        uint32_t size = 2048;
        while (size < rom_len) size <<= 1;
        p->rom = bus_add_rom(bus, 0, rom, rom_len, "vgabios");
        if (p->rom) {
            p->rom->priority = PCI_BAR_PRIORITY;
            bus_region_set(bus, p->rom, 0, false);
        }
        pci_register_bar(&p->pci, PCI_ROM_SLOT, size, PCI_BAR_MEM, pci_vga_bar_map);
    }
    if (!p->lfb || (rom && rom_len && !p->rom) || !pci_bus_attach(pci, &p->pci, PCI_DEVFN(2, 0))) {
        free(p);
        return NULL;
    }
    return p;
}

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
    Debugcon *biosdbg;          /* port 0x402: SeaBIOS's debug output */
    ExitDev *exitdev;
    PciBus *pci;
    I440fx *i440fx;
    Piix3 *piix3;
    Dma *dma;
    Fdc *fdc;
    Ide *ide;
    BlockDev *disks[4];
    Vga *vga;
    FwCfg *fw_cfg;
    PciIde *pci_ide;
    PciVga *pci_vga;
    uint8_t *ram;
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

/* The CMOS floppy drive type (high nibble A:, low nibble B:) for an image
 * of the given size: 1 = 360K 5.25", 2 = 1.2M 5.25", 3 = 720K 3.5",
 * 4 = 1.44M 3.5", 5 = 2.88M 3.5" (the smaller 5.25" formats sit in a 360K
 * drive). */
static uint8_t cmos_floppy_type(uint64_t bytes)
{
    switch (bytes) {
    case 163840: case 184320: case 327680: case 368640: return 1;
    case 1228800: return 2;
    case 737280: return 3;
    case 1474560: return 4;
    case 2949120: return 5;
    default: return 0;
    }
}

/* Boot device codes of the CMOS boot order bytes 3Dh and 38h (as QEMU
 * stores -boot and SeaBIOS reads it): 1 floppy, 2 hard disk, 3 CD-ROM,
 * 4 network. */
static uint8_t boot_code(char c)
{
    switch (c) {
    case 'a': case 'b': return 1;
    case 'c': return 2;
    case 'd': return 3;
    case 'n': return 4;
    default: return 0;
    }
}

/* What the board adds to the AT CMOS layout once its drives are known:
 * floppy types and the equipment byte, hard disk types 0Fh/47 with the
 * user-defined geometry of drives 0 and 1 (what IDENTIFY reports), the
 * boot order. */
static void cmos_fill_drives(Machine *m, const uint64_t fd_bytes[2])
{
    uint8_t fa = cmos_floppy_type(fd_bytes[0]), fb = cmos_floppy_type(fd_bytes[1]);
    rtc_cmos_set(m->rtc, 0x10, (uint8_t)(fa << 4 | fb));
    unsigned nfd = (fa != 0) + (fb != 0);
    uint8_t equip = 0x02; /* FPU; video 00: EGA/VGA */
    if (nfd) equip |= 0x01 | (uint8_t)((nfd - 1) << 6);
    rtc_cmos_set(m->rtc, 0x14, equip);
    uint8_t hdtypes = 0;
    for (int d = 0; d < 2; d++) {
        if (!m->disks[d]) continue;
        hdtypes |= d == 0 ? 0xF0 : 0x0F;
        rtc_cmos_set(m->rtc, 0x19 + (unsigned)d, 47);
        uint64_t sectors = blockdev_sectors(m->disks[d]);
        uint64_t cyls = sectors / (16 * 63);
        if (cyls > 16383) cyls = 16383;
        if (cyls == 0) cyls = 1;
        unsigned base = d == 0 ? 0x1B : 0x24;
        rtc_cmos_set(m->rtc, base + 0, (uint8_t)cyls);
        rtc_cmos_set(m->rtc, base + 1, (uint8_t)(cyls >> 8));
        rtc_cmos_set(m->rtc, base + 2, 16);   /* heads */
        rtc_cmos_set(m->rtc, base + 3, 0xFF); /* write precompensation: none */
        rtc_cmos_set(m->rtc, base + 4, 0xFF);
        rtc_cmos_set(m->rtc, base + 5, 0x08); /* control: more than 8 heads */
        rtc_cmos_set(m->rtc, base + 6, (uint8_t)cyls); /* landing zone */
        rtc_cmos_set(m->rtc, base + 7, (uint8_t)(cyls >> 8));
        rtc_cmos_set(m->rtc, base + 8, 63); /* sectors per track */
    }
    rtc_cmos_set(m->rtc, 0x12, hdtypes);
    const char *order = m->cfg.boot_order ? m->cfg.boot_order : "cad";
    uint8_t code[3] = {0, 0, 0};
    for (int i = 0; i < 3 && order[i]; i++) code[i] = boot_code(order[i]);
    rtc_cmos_set(m->rtc, 0x3D, (uint8_t)(code[1] << 4 | code[0]));
    rtc_cmos_set(m->rtc, 0x38, (uint8_t)(code[2] << 4)); /* bit 0 clear: check the boot signature */
    rtc_cmos_set_checksum(m->rtc);
}

/* fw_cfg items SeaBIOS reads on this board (QEMU's docs/specs/fw_cfg.rst
 * and SeaBIOS's paravirt code): RAM size, one CPU, the boot menu switch and
 * the e820 map of RAM (20-byte entries: base, length, type 1). */
static void fw_cfg_fill(Machine *m)
{
    FwCfg *fc = m->fw_cfg;
    fw_cfg_add_i64(fc, FW_CFG_RAM_SIZE, m->cfg.ram_bytes);
    fw_cfg_add_i16(fc, FW_CFG_NB_CPUS, 1);
    fw_cfg_add_i16(fc, FW_CFG_MAX_CPUS, 1);
    fw_cfg_add_i16(fc, FW_CFG_NOGRAPHIC, 0);
    fw_cfg_add_i16(fc, FW_CFG_BOOT_MENU, m->cfg.boot_menu ? 1 : 0);
    uint8_t e820[20] = {0};
    uint64_t len = m->cfg.ram_bytes;
    for (int i = 0; i < 8; i++) e820[8 + i] = (uint8_t)(len >> (8 * i));
    e820[16] = 1;
    fw_cfg_add_file(fc, "etc/e820", e820, sizeof e820);
}

/* Port 0x402, SeaBIOS's debug port on QEMU: its output goes to the log
 * with -d bios and to the -debugcon backend when there is one. */
static void biosdbg_write(void *opaque, const uint8_t *buf, size_t n)
{
    Machine *m = opaque;
    if (log_enabled(LOG_BIOS)) log_printf("%.*s", (int)n, (const char *)buf);
    if (m->cfg.debugcon_enabled) chardev_write(&m->cfg.debugcon, buf, n);
}

static void pci_reset_request(void *opaque, bool hard)
{
    (void)hard;
    request_reset(opaque);
}

static void set_elcr(void *opaque, uint16_t elcr) { pic_set_elcr(opaque, elcr); }

/* A copy of a floppy image in an unlinked temporary file, for -snapshot:
 * the FDC writes through to its file, so it gets a private one. Returns
 * the path (the caller unlinks it after fdc_attach) or NULL. */
static char *snapshot_copy(const char *path, char *err, size_t errlen)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        snprintf(err, errlen, "-fda/-fdb: cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    const char *tmp = getenv("TMPDIR");
    char *name = malloc(4096);
    if (!name) {
        fclose(in);
        return NULL;
    }
    snprintf(name, 4096, "%s/brisk-floppy.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(name);
    FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (fd >= 0 && !out) close(fd);
    bool ok = out != NULL;
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0) ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    fclose(in);
    if (out && fclose(out) != 0) ok = false;
    if (!ok) {
        snprintf(err, errlen, "-snapshot: cannot copy the floppy image '%s' to %s", path, name);
        if (fd >= 0) unlink(name);
        free(name);
        return NULL;
    }
    return name;
}

static uint64_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* The chipset and the devices on it. Returns false with err filled. */
static bool build_board(Machine *m, char *err, size_t errlen)
{
    const MachineConfig *cfg = &m->cfg;
    m->pci = pci_bus_new(m->bus, &(PciBusConfig){pci_reset_request, m});
    if (!m->pci) goto oom;
    add_device(m, &pci_bus_device_ops, m->pci);
    m->i440fx = i440fx_new(m->bus, m->pci, &(I440fxConfig){m->ram, cfg->ram_bytes});
    if (!m->i440fx) goto oom;
    add_device(m, &i440fx_device_ops, m->i440fx);
    /* QEMU's subsystem IDs on the host bridge: SeaBIOS takes them as "this
     * is a QEMU-compatible board" (and then trusts fw_cfg). */
    PciDevice *nb = i440fx_pci(m->i440fx);
    pci_set_word(nb->config + PCI_SUBSYSTEM_VENDOR_ID, 0x1AF4);
    pci_set_word(nb->config + PCI_SUBSYSTEM_ID, 0x1100);
    Piix3Config sb = {.set_elcr = set_elcr, .elcr_opaque = m->pic};
    for (int i = 0; i < 16; i++) sb.isa_irq[i] = irq_line(pic_set_irq, m->pic, i);
    m->piix3 = piix3_new(m->bus, m->pci, PCI_DEVFN(1, 0), &sb);
    if (!m->piix3) goto oom;
    add_device(m, &piix3_device_ops, m->piix3);

    /* Storage: the IDE disks (opened first: a bad image is the likeliest
     * error), then the floppies. */
    for (int i = 0; i < 4; i++) {
        if (!cfg->hd_path[i]) continue;
        char e[400];
        m->disks[i] = blockdev_open(cfg->hd_path[i], cfg->hd_read_only[i], cfg->snapshot, e,
                                    sizeof e);
        if (!m->disks[i]) {
            snprintf(err, errlen, "-hd%c (-drive index=%d): %s", 'a' + i, i, e);
            return false;
        }
    }
    IdeConfig ic = {{m->disks[0], m->disks[1], m->disks[2], m->disks[3]}};
    m->ide = ide_new(m->bus, irq_line(pic_set_irq, m->pic, 14), irq_line(pic_set_irq, m->pic, 15),
                     &m->clock, &ic);
    if (!m->ide) goto oom;
    add_device(m, &ide_device_ops, m->ide);
    m->pci_ide = pci_ide_new(m->bus, m->pci, m->ide);
    if (!m->pci_ide) goto oom;
    add_device(m, &pci_ide_device_ops, m->pci_ide);

    m->dma = dma_new(m->bus);
    if (!m->dma) goto oom;
    add_device(m, &dma_device_ops, m->dma);
    unsigned ndrives = 0;
    uint64_t fd_bytes[2] = {0, 0};
    for (int i = 0; i < 2; i++)
        if (cfg->fd_path[i]) ndrives = (unsigned)i + 1;
    m->fdc = fdc_new(m->bus, m->dma, irq_line(pic_set_irq, m->pic, 6), &m->clock,
                     &(FdcConfig){ndrives ? ndrives : 1});
    if (!m->fdc) goto oom;
    add_device(m, &fdc_device_ops, m->fdc);
    for (int i = 0; i < 2; i++) {
        if (!cfg->fd_path[i]) continue;
        char e[400];
        const char *path = cfg->fd_path[i];
        char *copy = NULL;
        /* The size check comes first (fdc_attach on the user's file,
         * read-only): a copy of a file that is no floppy image would be
         * wasted, or endless for a device file. */
        if (cfg->snapshot && !cfg->fd_read_only[i] && !cmos_floppy_type(file_size(path))) {
            bool ok = fdc_attach(m->fdc, (unsigned)i, path, true, e, sizeof e);
            if (ok) fdc_detach(m->fdc, (unsigned)i);
            snprintf(err, errlen, "-fd%c (-drive if=floppy,index=%d): %s", 'a' + i, i,
                     ok ? "not a floppy image of a known size" : e);
            return false;
        }
        if (cfg->snapshot && !cfg->fd_read_only[i]) {
            copy = snapshot_copy(path, err, errlen);
            if (!copy) return false;
            path = copy;
        }
        bool ok = fdc_attach(m->fdc, (unsigned)i, path, cfg->fd_read_only[i], e, sizeof e);
        if (copy) {
            unlink(copy);
            free(copy);
        }
        if (!ok) {
            snprintf(err, errlen, "-fd%c (-drive if=floppy,index=%d): %s", 'a' + i, i, e);
            return false;
        }
        fd_bytes[i] = file_size(cfg->fd_path[i]);
    }

    /* The VGA, with SeaVGABIOS as its ROM when SeaBIOS runs. */
    m->vga = vga_new(m->bus, &m->clock, NULL);
    if (!m->vga) goto oom;
    add_device(m, &vga_device_ops, m->vga);
    uint8_t *vgarom = NULL;
    size_t vgarom_len = 0;
    if (!cfg->kernel_path) {
        /* SeaBIOS needs it; a -bios ROM of the user's may do without. */
        char *path = firmware_find(FIRMWARE_VGA_BIOS, cfg->firmware_dir, err, errlen);
        if (path) {
            vgarom = rom_read_file(path, 1u << 20, &vgarom_len, err, errlen);
            if (vgarom && vgarom_len < 512) {
                snprintf(err, errlen, "the VGA BIOS %s is empty or truncated (%zu bytes)", path,
                         vgarom_len);
                free(vgarom);
                vgarom = NULL;
            }
            free(path);
            if (!vgarom) return false;
        } else if (!cfg->bios_path) {
            return false;
        }
    } else {
        vga_set_mode3_registers(m->vga);
    }
    m->pci_vga = pci_vga_new(m->bus, m->pci, m->vga, vgarom, vgarom_len);
    free(vgarom);
    if (!m->pci_vga) goto oom;
    add_device(m, &pci_vga_device_ops, m->pci_vga);

    m->fw_cfg = fw_cfg_new(m->bus);
    if (!m->fw_cfg) goto oom;
    add_device(m, &fw_cfg_device_ops, m->fw_cfg);
    fw_cfg_fill(m);
    cmos_fill_drives(m, fd_bytes);
    return true;
oom:
    snprintf(err, errlen, "out of memory while building the machine");
    return false;
}

Machine *machine_new(const MachineConfig *cfg, char *err, size_t errlen)
{
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
    /* The firmware: -bios, else SeaBIOS from the search path (none with a
     * directly booted kernel). */
    char *bios_found = NULL;
    const char *bios = cfg->bios_path;
    if (!bios && !cfg->kernel_path) {
        bios_found = firmware_find(FIRMWARE_BIOS, cfg->firmware_dir, err, errlen);
        if (!bios_found) {
            machine_free(m);
            return NULL;
        }
        bios = bios_found;
    }
    clock_init(&m->clock, cfg->icount_ips ? cfg->icount_ips : MACHINE_DEFAULT_IPS);
    m->bus = bus_new();
    m->ram = m->bus ? bus_add_ram(m->bus, 0, cfg->ram_bytes, "ram") : NULL;
    if (!m->ram) {
        snprintf(err, errlen, "cannot allocate %llu MiB of guest RAM",
                 (unsigned long long)(cfg->ram_bytes >> 20));
        free(bios_found);
        machine_free(m);
        return NULL;
    }
    bool rom_ok = !bios || rom_load_bios(m->bus, bios, err, errlen);
    free(bios_found);
    if (!rom_ok) {
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
     * time of day), except with --icount, where runs must be identical,
     * or when -rtc base= fixes it. */
    RtcConfig rtc_cfg = {.base_epoch_s = cfg->rtc_base_set ? cfg->rtc_base_s
                                         : cfg->icount_ips ? RTC_FIXED_EPOCH_S
                                                           : (int64_t)time(NULL)};
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
    m->biosdbg = debugcon_new(m->bus, 0x402, (CharBackend){biosdbg_write, m});
    add_device(m, &debugcon_device_ops, m->biosdbg);
    m->exitdev = exitdev_new(m->bus, 0xF4, on_guest_exit, m);
    add_device(m, &exitdev_device_ops, m->exitdev);
    bus_register_io(m->bus, 0x92, 1, &port92_ops, m);
    bus_register_io(m->bus, 0xF0, 1, &portf0_ops, m);
    bus_register_io(m->bus, 0x80, 1, &port80_ops, m);
    if (!build_board(m, err, errlen)) {
        machine_free(m);
        return NULL;
    }
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
    for (int i = 0; i < 4; i++) blockdev_close(m->disks[i]);
    tb_free(m->tb);
    cpu_free(m->cpu);
    bus_free(m->bus);
    multiboot_free(m->kernel);
    linux_free(m->linux_kernel);
    free(m);
}

size_t machine_text_dump(Machine *m, char *buf, size_t cap)
{
    return vga_text_dump(m->vga, buf, cap);
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
            /* -no-reboot: any reset ends the run, as with QEMU. */
            if (m->cfg.no_reboot) {
                fprintf(stderr, "brisk: the guest reset the machine; stopping (-no-reboot)\n");
                return MACHINE_EXIT_RESET;
            }
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
