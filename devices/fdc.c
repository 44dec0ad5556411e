/*
 * fdc.c - the Intel 82077AA floppy disk controller in PC-AT mode, with two
 * drives backed by raw image files.
 *
 * Follows the Intel 82077AA datasheet (order no. 290166): the registers
 * (SRA/SRB at 0x3F0/0x3F1 as the PS/2 mode defines them, DOR 0x3F2 with
 * drive select, /RESET, DMA gate and motor enables, TDR 0x3F3, MSR (RQM,
 * DIO, NDMA, CB, drive busy) and DSR (software reset, data rate) at 0x3F4,
 * the data FIFO at 0x3F5, DIR (disk change) and CCR (data rate) at 0x3F7),
 * the command / execution / result phases, the status registers ST0-ST3,
 * and the commands READ DATA, WRITE DATA, READ ID, FORMAT TRACK,
 * RECALIBRATE, SEEK (with relative seek), SENSE INTERRUPT STATUS, SENSE
 * DRIVE STATUS, SPECIFY, CONFIGURE, VERSION, LOCK/UNLOCK, DUMPREG and
 * PERPENDICULAR MODE. Multi-track transfers and the C/H/R/N values after a
 * transfer follow the datasheet's table: a transfer ends normally at the
 * DMA's terminal count, and at the end of the track (cylinder with MT)
 * without TC it ends abnormally with EN ("end of cylinder"). In PC-AT mode
 * the DMA gate bit of the DOR also gates the INT and DRQ pins.
 *
 * After a reset (DOR bit 2 low then high, or DSR bit 7) with polling
 * enabled (CONFIGURE POLL = 0), four SENSE INTERRUPT STATUS commands return
 * ST0 = 0xC0 | drive for drives 0-3. SPECIFY survives a software reset, and
 * CONFIGURE's settings too if LOCK was given.
 *
 * Media: the geometry comes from the image size (160K to 2.88M). A read or
 * write needs the data rate of the media (500 kb/s for 1.2M and 1.44M,
 * 250 kb/s for 720K, 250 or 300 kb/s for the 40-track formats, 1 Mb/s for
 * 2.88M) and MFM; otherwise the controller finds no address mark (ST1 MA),
 * as a real drive does, which is how BIOSes and Linux probe the media.
 * Sector IDs on an image are C = the head's cylinder, H = the physical head,
 * R = 1..sectors per track, N = 2 (512 bytes).
 *
 * Timing: the execution phase of a command runs FDC_EXEC_NS of virtual
 * time after its last command byte (a seek FDC_SEEK_NS, a reset completes
 * after FDC_RESET_NS); the IRQ rises only once the result phase is there.
 * A DMA transfer moves all its sectors at once through dma_transfer().
 *
 * Known deviations:
 *  - No rotation, head load or step timing; motors are not needed to read
 *    and spin-up is instant. READ ID returns sectors 1, 2, 3, ... in turn.
 *  - An empty drive or a drive that is not present ends a read/write/READ
 *    ID with ST1 MA at once; a real controller waits for index pulses that
 *    never come.
 *  - The 16-byte FIFO and its threshold are not modelled: a DMA transfer
 *    never underruns unless the channel is masked or the DMA gate is off
 *    (then ST1 OR, overrun). In non-DMA mode INT rises when the execution
 *    phase starts and falls at the first data byte (the chip re-asserts it
 *    for each byte; a driver that polls RQM sees no difference).
 *  - READ DELETED DATA, READ TRACK, WRITE DELETED DATA, VERIFY and the SCAN
 *    commands take their command bytes and then answer ST0 = 0x80 (invalid),
 *    logged as unimplemented.
 *  - FORMAT TRACK cannot change a raw image's geometry: each sector ID that
 *    maps onto the image has its sector filled with the filler byte; others
 *    are logged and ignored.
 *  - Host I/O errors on the image end the command with ST1 DE and are logged.
 *  - An implied seek (CONFIGURE EIS) takes no time and the PRETRK and
 *    perpendicular settings only read back through DUMPREG.
 */
#include "devices/fdc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/core/log.h"

#define FDC_LOG_KEY(reason) (0x4644430000ull | (reason))

#define FDC_EXEC_NS      5000u
#define FDC_SEEK_NS      5000u
#define FDC_RESET_NS     2000u
#define FDC_SECTOR_BYTES 512u
#define FDC_MAX_SPT      36u
/* A PIO read of a whole cylinder (two heads) at most. */
#define FDC_BUF_BYTES (2u * FDC_MAX_SPT * FDC_SECTOR_BYTES)

/* DSR/CCR data rate codes, as bits of FdcGeometry.rates. */
enum { RATE_500K = 1 << 0, RATE_300K = 1 << 1, RATE_250K = 1 << 2, RATE_1M = 1 << 3 };

enum {
    ST0_IC_ABNORMAL = 0x40,
    ST0_IC_INVALID = 0x80,
    ST0_IC_POLL = 0xC0,
    ST0_SE = 0x20,
    ST0_EC = 0x10,
    ST1_EN = 0x80,
    ST1_DE = 0x20,
    ST1_OR = 0x10,
    ST1_ND = 0x04,
    ST1_NW = 0x02,
    ST1_MA = 0x01,
    ST2_WC = 0x10,
    ST2_BC = 0x02,
    MSR_RQM = 0x80,
    MSR_DIO = 0x40,
    MSR_NDMA = 0x20,
    MSR_CB = 0x10,
    DOR_RESET_N = 0x04,
    DOR_DMA_GATE = 0x08,
};

enum {
    CMD_READ = 0x06,
    CMD_WRITE = 0x05,
    CMD_READ_ID = 0x0A,
    CMD_FORMAT = 0x0D,
    CMD_RECALIBRATE = 0x07,
    CMD_SEEK = 0x0F,
    CMD_SENSE_INT = 0x08,
    CMD_SENSE_DRIVE = 0x04,
    CMD_SPECIFY = 0x03,
    CMD_CONFIGURE = 0x13,
    CMD_VERSION = 0x10,
    CMD_LOCK = 0x14,
    CMD_DUMPREG = 0x0E,
    CMD_PERPENDICULAR = 0x12,
};

typedef enum { PHASE_COMMAND, PHASE_EXEC, PHASE_RESULT } FdcPhase;

typedef struct FdcGeometry {
    uint64_t size_bytes;
    uint8_t cyls, heads, spt;
    uint8_t rates;
} FdcGeometry;

static const FdcGeometry fdc_geometries[] = {
    {163840, 40, 1, 8, RATE_250K | RATE_300K}, /* 160K */
    {184320, 40, 1, 9, RATE_250K | RATE_300K}, /* 180K */
    {327680, 40, 2, 8, RATE_250K | RATE_300K}, /* 320K */
    {368640, 40, 2, 9, RATE_250K | RATE_300K}, /* 360K */
    {737280, 80, 2, 9, RATE_250K},             /* 720K */
    {1228800, 80, 2, 15, RATE_500K},           /* 1.2M */
    {1474560, 80, 2, 18, RATE_500K},           /* 1.44M */
    {2949120, 80, 2, 36, RATE_1M},             /* 2.88M */
};

typedef struct FdcDrive {
    int fd; /* -1: no disk */
    const FdcGeometry *geo;
    bool read_only;
    uint8_t pcn;     /* present cylinder number */
    bool changed;    /* the DSKCHG line */
    uint8_t next_id; /* READ ID: the next sector passing the head, 0-based */
} FdcDrive;

/* The state of a READ/WRITE/FORMAT in its execution phase. */
typedef struct FdcXfer {
    uint8_t cmd; /* CMD_* */
    unsigned drive;
    uint8_t phys_head;       /* HDS */
    uint8_t c, h, r, n, eot; /* ID being addressed; advanced as sectors pass */
    bool mt;
    uint8_t st1, st2;
    uint8_t fill;      /* FORMAT: filler byte */
    unsigned ids_left; /* FORMAT: sector IDs still to come */
} FdcXfer;

struct Fdc {
    Dma *dma;
    IrqLine irq;
    Clock *clock;
    Timer timer; /* execution phase and reset completion */
    Timer seek_timer[4];
    unsigned ndrives;
    FdcDrive drive[FDC_DRIVES];

    uint8_t dor, tdr, rate, precomp;
    bool in_reset;
    bool reset_pending; /* the timer completes a reset */
    bool int_req;       /* INT before the DMA gate */
    bool irq_level;

    FdcPhase phase;
    uint8_t cmd[9];
    unsigned cmd_len, cmd_need;
    uint8_t res[10];
    unsigned res_len, res_pos;

    /* Execution phase. */
    FdcXfer x;
    bool pio;         /* non-DMA data transfer */
    bool pio_to_host; /* DIO during PIO execution */
    uint8_t buf[FDC_BUF_BYTES];
    size_t buf_len, buf_pos;
    uint8_t pio_res[7]; /* a PIO read's result, shown once buf is drained */

    /* SENSE INTERRUPT STATUS: pending ST0/PCN per drive. */
    uint8_t int_pending; /* bit per drive */
    uint8_t int_st0[4];
    uint8_t busy; /* MSR bits 0-3: seeking drives */
    uint8_t seek_target[4];
    uint8_t seek_st0[4];
    uint8_t pcn_absent[2]; /* PCN of drives 2 and 3 (not present) */

    /* SPECIFY, CONFIGURE, LOCK, PERPENDICULAR, and the last EOT. */
    uint8_t specify[2];
    uint8_t config; /* EIS, EFIFO, POLL, FIFOTHR */
    uint8_t pretrk;
    bool lock;
    uint8_t perp; /* D3-D0 << 2 | GAP << 1 | WGATE */
    uint8_t last_eot;
};

static uint8_t fdc_pcn(const Fdc *f, unsigned d)
{
    return d < FDC_DRIVES ? f->drive[d].pcn : f->pcn_absent[d - 2];
}

static void fdc_set_pcn(Fdc *f, unsigned d, uint8_t pcn)
{
    if (d < FDC_DRIVES)
        f->drive[d].pcn = pcn;
    else
        f->pcn_absent[d - 2] = pcn;
}

static void fdc_update_irq(Fdc *f)
{
    bool level = f->int_req && (f->dor & DOR_DMA_GATE);
    if (level != f->irq_level) {
        f->irq_level = level;
        irq_set(&f->irq, level);
    }
}

static void fdc_set_int(Fdc *f, bool on)
{
    f->int_req = on;
    fdc_update_irq(f);
}

static void fdc_enter_command(Fdc *f)
{
    f->phase = PHASE_COMMAND;
    f->cmd_len = 0;
    f->cmd_need = 0;
    f->res_len = f->res_pos = 0;
    f->pio = false;
}

static void fdc_enter_result(Fdc *f, const uint8_t *res, unsigned n, bool interrupt)
{
    memcpy(f->res, res, n);
    f->res_len = n;
    f->res_pos = 0;
    f->phase = PHASE_RESULT;
    f->pio = false;
    if (interrupt) fdc_set_int(f, true);
}

static void fdc_invalid(Fdc *f)
{
    uint8_t st0 = ST0_IC_INVALID;
    fdc_enter_result(f, &st0, 1, false);
}

/* ---- images ---------------------------------------------------------- */

static bool fdc_has_disk(const Fdc *f, unsigned d)
{
    return d < f->ndrives && d < FDC_DRIVES && f->drive[d].fd >= 0;
}

static void fdc_close_image(FdcDrive *dr)
{
    if (dr->fd < 0) return;
    if (!dr->read_only) fsync(dr->fd);
    close(dr->fd);
    dr->fd = -1;
    dr->geo = NULL;
}

bool fdc_attach(Fdc *f, unsigned drive, const char *path, bool read_only, char *err, size_t errlen)
{
    if (drive >= FDC_DRIVES || drive >= f->ndrives) {
        snprintf(err, errlen, "floppy drive %u does not exist", drive);
        return false;
    }
    int fd = open(path, read_only ? O_RDONLY : O_RDWR);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open floppy image %s: %s", path, strerror(errno));
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat floppy image %s: %s", path, strerror(errno));
        close(fd);
        return false;
    }
    const FdcGeometry *geo = NULL;
    for (size_t i = 0; i < sizeof fdc_geometries / sizeof fdc_geometries[0]; i++)
        if ((uint64_t)st.st_size == fdc_geometries[i].size_bytes) geo = &fdc_geometries[i];
    if (!geo) {
        snprintf(err, errlen,
                 "floppy image %s: size %lld is not a 160K/180K/320K/360K/720K/1.2M/1.44M/2.88M "
                 "disk",
                 path, (long long)st.st_size);
        close(fd);
        return false;
    }
    FdcDrive *dr = &f->drive[drive];
    fdc_close_image(dr);
    dr->fd = fd;
    dr->geo = geo;
    dr->read_only = read_only;
    dr->changed = true; /* the door was opened */
    dr->next_id = 0;
    return true;
}

void fdc_detach(Fdc *f, unsigned drive)
{
    if (drive >= FDC_DRIVES) return;
    fdc_close_image(&f->drive[drive]);
    f->drive[drive].changed = true;
}

/* ---- sectors --------------------------------------------------------- */

static bool fdc_rate_ok(const Fdc *f, const FdcDrive *dr)
{
    return (dr->geo->rates & (1u << f->rate)) != 0;
}

/* Finds the sector x->r on the current track: its byte offset, or false
 * with ST1/ST2 set. */
static bool fdc_locate(Fdc *f, FdcXfer *x, uint64_t *off)
{
    if (!fdc_has_disk(f, x->drive)) {
        x->st1 |= ST1_MA;
        return false;
    }
    FdcDrive *dr = &f->drive[x->drive];
    const FdcGeometry *g = dr->geo;
    if (!fdc_rate_ok(f, dr) || !(f->cmd[0] & 0x40) || dr->pcn >= g->cyls ||
        x->phys_head >= g->heads) {
        x->st1 |= ST1_MA; /* wrong density, or no track there: no address marks */
        return false;
    }
    if (x->c != dr->pcn || x->h != x->phys_head || x->n != 2 || x->r < 1 || x->r > g->spt) {
        x->st1 |= ST1_ND;
        if (x->c != dr->pcn) x->st2 |= x->c == 0xFF ? ST2_BC : ST2_WC;
        return false;
    }
    uint64_t lba = ((uint64_t)dr->pcn * g->heads + x->phys_head) * g->spt + (x->r - 1u);
    *off = lba * FDC_SECTOR_BYTES;
    return true;
}

static bool fdc_pread(Fdc *f, unsigned d, uint8_t *buf, uint64_t off)
{
    ssize_t n = pread(f->drive[d].fd, buf, FDC_SECTOR_BYTES, (off_t)off);
    if (n == (ssize_t)FDC_SECTOR_BYTES) return true;
    log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x100 | d), "fdc: read error on drive %u image: %s\n", d,
             n < 0 ? strerror(errno) : "short read");
    return false;
}

static bool fdc_pwrite(Fdc *f, unsigned d, const uint8_t *buf, uint64_t off)
{
    ssize_t n = pwrite(f->drive[d].fd, buf, FDC_SECTOR_BYTES, (off_t)off);
    if (n == (ssize_t)FDC_SECTOR_BYTES) return true;
    log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x200 | d), "fdc: write error on drive %u image: %s\n",
             d, n < 0 ? strerror(errno) : "short write");
    return false;
}

/* Moves the ID to the next sector after x->r, as the datasheet's table
 * says. Returns true if that left the end of the track (cylinder with MT). */
static bool fdc_advance(FdcXfer *x)
{
    if (x->r != x->eot) {
        x->r++;
        return false;
    }
    x->r = 1;
    if (x->mt) {
        x->h ^= 1;
        if (x->phys_head == 0) {
            x->phys_head = 1; /* go on with side 1 */
            return false;
        }
    }
    x->c++;
    return true;
}

/* The result phase of a READ/WRITE/FORMAT/READ ID. */
static void fdc_xfer_result(Fdc *f, uint8_t ic, uint8_t *res)
{
    FdcXfer *x = &f->x;
    if (x->st1 || x->st2) ic = ST0_IC_ABNORMAL;
    res[0] = (uint8_t)(ic | (x->phys_head & 1) << 2 | (x->drive & 3));
    res[1] = x->st1;
    res[2] = x->st2;
    res[3] = x->c;
    res[4] = x->h;
    res[5] = x->r;
    res[6] = x->n;
}

static void fdc_xfer_finish(Fdc *f)
{
    uint8_t res[7];
    fdc_xfer_result(f, 0, res);
    fdc_enter_result(f, res, 7, true);
}

/* DMA possible now? Without the DMA gate or an unmasked channel 2 the
 * controller's data requests go unanswered: an overrun. */
static bool fdc_dma_ok(Fdc *f)
{
    return f->dma && (f->dor & DOR_DMA_GATE) && dma_channel_ready(f->dma, FDC_DMA_CHANNEL);
}

static void fdc_exec_read(Fdc *f)
{
    FdcXfer *x = &f->x;
    uint8_t sector[FDC_SECTOR_BYTES];
    f->buf_len = f->buf_pos = 0;
    for (;;) {
        uint64_t off;
        if (!fdc_locate(f, x, &off)) break;
        if (!fdc_pread(f, x->drive, sector, off)) {
            x->st1 |= ST1_DE;
            break;
        }
        bool tc = false;
        if (!f->pio) {
            if (!fdc_dma_ok(f)) {
                x->st1 |= ST1_OR;
                break;
            }
            dma_transfer(f->dma, FDC_DMA_CHANNEL, sector, FDC_SECTOR_BYTES, true);
            tc = dma_terminal_count(f->dma, FDC_DMA_CHANNEL);
        } else {
            memcpy(f->buf + f->buf_len, sector, FDC_SECTOR_BYTES);
            f->buf_len += FDC_SECTOR_BYTES;
        }
        bool end = fdc_advance(x);
        if (tc) break;
        if (end) {
            x->st1 |= ST1_EN;
            break;
        }
        if (f->buf_len + FDC_SECTOR_BYTES > sizeof f->buf) { /* EOT beyond 36 */
            x->st1 |= ST1_EN;
            break;
        }
    }
    if (f->pio && f->buf_len > 0) {
        fdc_xfer_result(f, 0, f->pio_res);
        f->phase = PHASE_EXEC;
        f->pio_to_host = true;
        fdc_set_int(f, true);
        return;
    }
    fdc_xfer_finish(f);
}

/* WRITE DATA: one sector from f->buf is written; returns true to go on. */
static bool fdc_write_sector(Fdc *f, bool tc)
{
    FdcXfer *x = &f->x;
    uint64_t off;
    if (!fdc_locate(f, x, &off)) return false;
    if (!fdc_pwrite(f, x->drive, f->buf, off)) {
        x->st1 |= ST1_DE;
        return false;
    }
    bool end = fdc_advance(x);
    if (tc) return false;
    if (end) {
        x->st1 |= ST1_EN;
        return false;
    }
    return true;
}

/* FORMAT TRACK: one 4-byte ID in f->buf; returns true to go on. */
static bool fdc_format_id(Fdc *f)
{
    FdcXfer *x = &f->x;
    if (!fdc_has_disk(f, x->drive)) { /* ejected in the middle of a format */
        x->st1 |= ST1_MA;
        return false;
    }
    FdcDrive *dr = &f->drive[x->drive];
    const FdcGeometry *g = dr->geo;
    x->c = f->buf[0];
    x->h = f->buf[1];
    x->r = f->buf[2];
    x->n = f->buf[3];
    if (x->n == 2 && x->r >= 1 && x->r <= g->spt && dr->pcn < g->cyls && x->phys_head < g->heads) {
        uint8_t sector[FDC_SECTOR_BYTES];
        memset(sector, x->fill, sizeof sector);
        uint64_t lba = ((uint64_t)dr->pcn * g->heads + x->phys_head) * g->spt + (x->r - 1u);
        if (!fdc_pwrite(f, x->drive, sector, lba * FDC_SECTOR_BYTES)) {
            x->st1 |= ST1_DE;
            return false;
        }
    } else {
        log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x300),
                 "fdc: FORMAT TRACK ID C=%u H=%u R=%u N=%u does not fit the image\n", x->c, x->h,
                 x->r, x->n);
    }
    if (x->c != dr->pcn || x->h != x->phys_head)
        log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x301),
                 "fdc: FORMAT TRACK IDs other than the physical track are not kept\n");
    return --x->ids_left > 0;
}

/* Checks done before any data moves for WRITE DATA and FORMAT TRACK. */
static bool fdc_write_allowed(Fdc *f)
{
    FdcXfer *x = &f->x;
    if (!fdc_has_disk(f, x->drive) || !fdc_rate_ok(f, &f->drive[x->drive]) || !(f->cmd[0] & 0x40)) {
        x->st1 |= ST1_MA;
        return false;
    }
    if (f->drive[x->drive].read_only) {
        x->st1 |= ST1_NW;
        return false;
    }
    return true;
}

static void fdc_exec_write(Fdc *f)
{
    FdcXfer *x = &f->x;
    if (!fdc_write_allowed(f)) {
        fdc_xfer_finish(f);
        return;
    }
    if (f->pio) {
        uint64_t off;
        if (!fdc_locate(f, x, &off)) {
            fdc_xfer_finish(f);
            return;
        }
        f->buf_len = FDC_SECTOR_BYTES;
        f->buf_pos = 0;
        f->pio_to_host = false;
        fdc_set_int(f, true);
        return;
    }
    for (;;) {
        uint64_t off;
        if (!fdc_locate(f, x, &off)) break;
        if (!fdc_dma_ok(f)) {
            x->st1 |= ST1_OR;
            break;
        }
        int n = dma_transfer(f->dma, FDC_DMA_CHANNEL, f->buf, FDC_SECTOR_BYTES, false);
        bool tc = dma_terminal_count(f->dma, FDC_DMA_CHANNEL);
        /* TC in mid-sector: the rest of the sector is written as zeros. */
        if (n < (int)FDC_SECTOR_BYTES) memset(f->buf + n, 0, FDC_SECTOR_BYTES - (size_t)n);
        if (!fdc_write_sector(f, tc)) break;
    }
    fdc_xfer_finish(f);
}

static void fdc_exec_format(Fdc *f)
{
    FdcXfer *x = &f->x;
    if (!fdc_write_allowed(f) || x->phys_head >= f->drive[x->drive].geo->heads) {
        if (!x->st1) x->st1 |= ST1_MA;
        fdc_xfer_finish(f);
        return;
    }
    if (x->ids_left == 0) {
        fdc_xfer_finish(f);
        return;
    }
    if (f->pio) {
        f->buf_len = 4;
        f->buf_pos = 0;
        f->pio_to_host = false;
        fdc_set_int(f, true);
        return;
    }
    for (;;) {
        if (!fdc_dma_ok(f)) {
            x->st1 |= ST1_OR;
            break;
        }
        int n = dma_transfer(f->dma, FDC_DMA_CHANNEL, f->buf, 4, false);
        if (n < 4) memset(f->buf + n, 0, 4 - (size_t)n);
        bool tc = dma_terminal_count(f->dma, FDC_DMA_CHANNEL);
        if (!fdc_format_id(f) || tc) break;
    }
    fdc_xfer_finish(f);
}

static void fdc_exec_read_id(Fdc *f)
{
    FdcXfer *x = &f->x;
    if (!fdc_has_disk(f, x->drive)) {
        x->st1 |= ST1_MA;
    } else {
        FdcDrive *dr = &f->drive[x->drive];
        const FdcGeometry *g = dr->geo;
        if (!fdc_rate_ok(f, dr) || !(f->cmd[0] & 0x40) || dr->pcn >= g->cyls ||
            x->phys_head >= g->heads) {
            x->st1 |= ST1_MA;
        } else {
            dr->next_id = (uint8_t)(dr->next_id % g->spt);
            x->c = dr->pcn;
            x->h = x->phys_head;
            x->r = (uint8_t)(dr->next_id + 1);
            x->n = 2;
            dr->next_id++;
        }
    }
    fdc_xfer_finish(f);
}

/* The execution phase starts (timer). */
static void fdc_execute(Fdc *f)
{
    switch (f->x.cmd) {
    case CMD_READ: fdc_exec_read(f); break;
    case CMD_WRITE: fdc_exec_write(f); break;
    case CMD_FORMAT: fdc_exec_format(f); break;
    case CMD_READ_ID: fdc_exec_read_id(f); break;
    }
}

/* ---- seeks and resets ------------------------------------------------ */

static void fdc_post_drive_int(Fdc *f, unsigned d, uint8_t st0)
{
    f->int_pending |= (uint8_t)(1u << d);
    f->int_st0[d] = st0;
    fdc_set_int(f, true);
}

static void fdc_seek_done(Fdc *f, unsigned d)
{
    uint8_t old = fdc_pcn(f, d);
    uint8_t target = f->seek_target[d];
    fdc_set_pcn(f, d, target);
    /* A step pulse with a disk in the drive resets the change line. */
    if (old != target && fdc_has_disk(f, d)) f->drive[d].changed = false;
    f->busy &= (uint8_t) ~(1u << d);
    fdc_post_drive_int(f, d, f->seek_st0[d]);
}

static void fdc_seek_cb0(void *o)
{
    fdc_seek_done(o, 0);
}
static void fdc_seek_cb1(void *o)
{
    fdc_seek_done(o, 1);
}
static void fdc_seek_cb2(void *o)
{
    fdc_seek_done(o, 2);
}
static void fdc_seek_cb3(void *o)
{
    fdc_seek_done(o, 3);
}

static void fdc_start_seek(Fdc *f, unsigned d, uint8_t target, uint8_t st0)
{
    f->seek_target[d] = target;
    f->seek_st0[d] = st0;
    f->busy |= (uint8_t)(1u << d);
    timer_mod(&f->seek_timer[d], clock_now_ns(f->clock) + FDC_SEEK_NS);
}

static void fdc_timer_cb(void *opaque)
{
    Fdc *f = opaque;
    if (f->reset_pending) {
        f->reset_pending = false;
        if (!(f->config & 0x10)) { /* polling enabled: a "ready changed" per drive */
            for (unsigned d = 0; d < 4; d++)
                f->int_st0[d] = (uint8_t)(ST0_IC_POLL | d);
            f->int_pending = 0x0F;
            fdc_set_int(f, true);
        }
        return;
    }
    if (f->phase == PHASE_EXEC && !f->pio_to_host && f->buf_len == 0) fdc_execute(f);
}

/* The controller's reset: what DOR bit 2 low or DSR bit 7 does. */
static void fdc_soft_reset(Fdc *f)
{
    timer_del(&f->timer);
    for (unsigned d = 0; d < 4; d++)
        timer_del(&f->seek_timer[d]);
    fdc_enter_command(f);
    f->buf_len = f->buf_pos = 0;
    f->reset_pending = false;
    f->int_pending = 0;
    f->busy = 0;
    fdc_set_int(f, false);
    if (!f->lock) {
        f->config = 0x20; /* implied seeks off, FIFO disabled, polling on */
        f->pretrk = 0;
    }
    f->perp &= 0x3C; /* GAP and WGATE cleared */
}

static void fdc_leave_reset(Fdc *f)
{
    f->in_reset = false;
    f->reset_pending = true;
    timer_mod(&f->timer, clock_now_ns(f->clock) + FDC_RESET_NS);
}

/* ---- commands -------------------------------------------------------- */

/* Bytes of a command given its first byte, or 0 if invalid. */
static unsigned fdc_cmd_length(uint8_t b)
{
    switch (b & 0x1F) {
    case CMD_READ:
    case 0x0C:                                    /* READ DELETED DATA */
    case 0x16:                                    /* VERIFY */
    case 0x11:                                    /* SCAN EQUAL */
    case 0x19:                                    /* SCAN LOW OR EQUAL */
    case 0x1D: /* SCAN HIGH OR EQUAL */ return 9; /* MT, MF and SK all allowed */
    case CMD_WRITE:
    case 0x09: /* WRITE DELETED DATA */ return (b & 0x20) ? 0 : 9;
    case 0x02: /* READ TRACK */ return (b & 0x80) ? 0 : 9;
    case CMD_READ_ID: return (b & 0xA0) ? 0 : 2;
    case CMD_FORMAT: return (b & 0xA0) ? 0 : 6;
    case CMD_RECALIBRATE: return b == CMD_RECALIBRATE ? 2 : 0;
    case CMD_SEEK: return (b & 0x20) ? 0 : 3;
    case CMD_SENSE_INT: return b == CMD_SENSE_INT ? 1 : 0;
    case CMD_SENSE_DRIVE: return b == CMD_SENSE_DRIVE ? 2 : 0;
    case CMD_SPECIFY: return b == CMD_SPECIFY ? 3 : 0;
    case CMD_CONFIGURE: return b == CMD_CONFIGURE ? 4 : 0;
    case CMD_VERSION: return b == CMD_VERSION ? 1 : 0;
    case CMD_LOCK: return (b & 0x60) ? 0 : 1;
    case CMD_DUMPREG: return b == CMD_DUMPREG ? 1 : 0;
    case CMD_PERPENDICULAR: return b == CMD_PERPENDICULAR ? 2 : 0;
    default: return 0;
    }
}

static void fdc_start_xfer(Fdc *f, uint8_t cmd)
{
    FdcXfer *x = &f->x;
    *x = (FdcXfer){0};
    x->cmd = cmd;
    x->drive = f->cmd[1] & 3;
    x->phys_head = (f->cmd[1] >> 2) & 1;
    x->mt = (f->cmd[0] & 0x80) && (cmd == CMD_READ || cmd == CMD_WRITE);
    if (cmd == CMD_READ || cmd == CMD_WRITE) {
        x->c = f->cmd[2];
        x->h = f->cmd[3];
        x->r = f->cmd[4];
        x->n = f->cmd[5];
        x->eot = f->cmd[6];
        f->last_eot = x->eot;
        if ((f->config & 0x40) && x->drive < f->ndrives) {
            /* CONFIGURE EIS: an implied seek to C, without an interrupt. */
            if (fdc_pcn(f, x->drive) != x->c && fdc_has_disk(f, x->drive))
                f->drive[x->drive].changed = false;
            fdc_set_pcn(f, x->drive, x->c);
        }
    } else if (cmd == CMD_FORMAT) {
        x->c = fdc_pcn(f, x->drive);
        x->h = x->phys_head;
        x->r = 1;
        x->n = f->cmd[2];
        x->ids_left = f->cmd[3];
        x->fill = f->cmd[5];
        f->last_eot = f->cmd[3];
    }
    /* SPECIFY's ND bit: the data moves through the FIFO instead of DMA. */
    f->pio = (f->specify[1] & 1) != 0 && cmd != CMD_READ_ID;
    f->pio_to_host = false;
    f->buf_len = f->buf_pos = 0;
    f->phase = PHASE_EXEC;
    timer_mod(&f->timer, clock_now_ns(f->clock) + FDC_EXEC_NS);
}

static void fdc_run_command(Fdc *f)
{
    uint8_t *c = f->cmd;
    uint8_t res[10];
    unsigned d = c[1] & 3;
    switch (c[0] & 0x1F) {
    case CMD_READ:
    case CMD_WRITE:
    case CMD_READ_ID:
    case CMD_FORMAT: fdc_start_xfer(f, c[0] & 0x1F); return;
    case CMD_RECALIBRATE: {
        uint8_t st0 = (uint8_t)(ST0_SE | d);
        uint8_t target = 0;
        if (d >= f->ndrives) {
            /* No drive, no track 0 signal after 79 steps: equipment check. */
            st0 |= ST0_IC_ABNORMAL | ST0_EC;
            target = (uint8_t)(fdc_pcn(f, d) > 79 ? fdc_pcn(f, d) - 79 : 0);
        } else if (fdc_pcn(f, d) > 79) {
            st0 |= ST0_IC_ABNORMAL | ST0_EC;
            target = (uint8_t)(fdc_pcn(f, d) - 79);
        }
        fdc_enter_command(f);
        fdc_start_seek(f, d, target, st0);
        return;
    }
    case CMD_SEEK: {
        uint8_t pcn = fdc_pcn(f, d);
        uint8_t target = c[2];
        if (c[0] & 0x80) /* relative seek: DIR is bit 6, 1 = towards the spindle */
            target = (c[0] & 0x40) ? (uint8_t)(pcn + c[2]) : (uint8_t)(pcn - c[2]);
        fdc_enter_command(f);
        /* ST0's head bit reads 0 after a seek (82077AA section 5.2.4). */
        fdc_start_seek(f, d, target, (uint8_t)(ST0_SE | d));
        return;
    }
    case CMD_SENSE_INT:
        fdc_set_int(f, false);
        if (!f->int_pending) {
            fdc_invalid(f);
            return;
        }
        for (unsigned i = 0; i < 4; i++) {
            if (f->int_pending & (1u << i)) {
                f->int_pending &= (uint8_t) ~(1u << i);
                res[0] = f->int_st0[i];
                res[1] = fdc_pcn(f, i);
                fdc_enter_result(f, res, 2, false);
                return;
            }
        }
        return;
    case CMD_SENSE_DRIVE: {
        uint8_t head = (c[1] >> 2) & 1;
        uint8_t st3 = (uint8_t)(0x20 | 0x08 | head << 2 | d);
        if (fdc_pcn(f, d) == 0) st3 |= 0x10;
        if (fdc_has_disk(f, d) && f->drive[d].read_only) st3 |= 0x40;
        fdc_enter_result(f, &st3, 1, false);
        return;
    }
    case CMD_SPECIFY:
        f->specify[0] = c[1];
        f->specify[1] = c[2];
        fdc_enter_command(f);
        return;
    case CMD_CONFIGURE:
        f->config = c[2] & 0x7F;
        f->pretrk = c[3];
        fdc_enter_command(f);
        return;
    case CMD_VERSION:
        res[0] = 0x90;
        fdc_enter_result(f, res, 1, false);
        return;
    case CMD_LOCK:
        f->lock = (c[0] & 0x80) != 0;
        res[0] = (uint8_t)(f->lock ? 0x10 : 0x00);
        fdc_enter_result(f, res, 1, false);
        return;
    case CMD_DUMPREG:
        res[0] = fdc_pcn(f, 0);
        res[1] = fdc_pcn(f, 1);
        res[2] = fdc_pcn(f, 2);
        res[3] = fdc_pcn(f, 3);
        res[4] = f->specify[0];
        res[5] = f->specify[1];
        res[6] = f->last_eot;
        res[7] = (uint8_t)((f->lock ? 0x80 : 0) | (f->perp & 0x3F));
        res[8] = f->config;
        res[9] = f->pretrk;
        fdc_enter_result(f, res, 10, false);
        return;
    case CMD_PERPENDICULAR:
        if (c[1] & 0x80)
            f->perp = c[1] & 0x3F;
        else
            f->perp = (uint8_t)((f->perp & 0x3C) | (c[1] & 0x03));
        fdc_enter_command(f);
        return;
    default:
        log_once(LOG_UNIMP, FDC_LOG_KEY(0x400 | (c[0] & 0x1F)),
                 "fdc: command %02x not implemented\n", c[0]);
        fdc_invalid(f);
        return;
    }
}

/* ---- PIO data -------------------------------------------------------- */

static uint8_t fdc_pio_read(Fdc *f)
{
    fdc_set_int(f, false);
    if (!f->pio_to_host || f->buf_pos >= f->buf_len) {
        log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x500), "fdc: data read while none is ready\n");
        return 0;
    }
    uint8_t v = f->buf[f->buf_pos++];
    if (f->buf_pos == f->buf_len) fdc_enter_result(f, f->pio_res, 7, true);
    return v;
}

static void fdc_pio_write(Fdc *f, uint8_t v)
{
    fdc_set_int(f, false);
    if (f->pio_to_host || f->buf_pos >= f->buf_len) {
        log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x501), "fdc: data write while none is wanted\n");
        return;
    }
    f->buf[f->buf_pos++] = v;
    if (f->buf_pos < f->buf_len) return;
    f->buf_pos = 0;
    bool more = f->x.cmd == CMD_WRITE ? fdc_write_sector(f, false) : fdc_format_id(f);
    if (more && f->x.cmd == CMD_WRITE) {
        uint64_t off;
        more = fdc_locate(f, &f->x, &off);
    }
    if (!more) fdc_xfer_finish(f);
}

/* ---- ports ----------------------------------------------------------- */

static uint8_t fdc_msr(const Fdc *f)
{
    if (f->in_reset) return 0;
    uint8_t msr = f->busy;
    switch (f->phase) {
    case PHASE_COMMAND:
        msr |= MSR_RQM;
        if (f->cmd_len) msr |= MSR_CB;
        break;
    case PHASE_EXEC:
        msr |= MSR_CB;
        if (f->pio && f->buf_len) {
            msr |= MSR_RQM | MSR_NDMA;
            if (f->pio_to_host) msr |= MSR_DIO;
        }
        break;
    case PHASE_RESULT: msr |= MSR_RQM | MSR_DIO | MSR_CB; break;
    }
    return msr;
}

static uint32_t fdc_io_read(void *opaque, uint16_t port, unsigned size)
{
    Fdc *f = opaque;
    (void)size;
    unsigned sel = f->dor & 3;
    switch (port & 7) {
    case 0: { /* SRA (PS/2 layout): INT pending, /DRV2, /TRK0, HDSEL, /WP... */
        uint8_t v = 0;
        if (f->irq_level) v |= 0x80;
        if (f->ndrives < 2) v |= 0x40;
        if (!(sel < 4 && fdc_pcn(f, sel) == 0)) v |= 0x10;
        if (!(fdc_has_disk(f, sel) && f->drive[sel].read_only)) v |= 0x02;
        return v;
    }
    case 1: /* SRB: drive select 0, motor enables 0-1 */
        return (uint8_t)(0xC0 | (sel == 0 ? 0x20 : 0) | ((f->dor >> 4) & 3));
    case 2: return f->dor;
    case 3: return f->tdr;
    case 4: return fdc_msr(f);
    case 5:
        if (f->in_reset) return 0;
        if (f->phase == PHASE_RESULT) {
            fdc_set_int(f, false);
            uint8_t v = f->res[f->res_pos++];
            if (f->res_pos >= f->res_len) fdc_enter_command(f);
            return v;
        }
        if (f->phase == PHASE_EXEC && f->pio) return fdc_pio_read(f);
        log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x600), "fdc: FIFO read outside a result\n");
        return 0;
    case 7: /* DIR: the selected drive's disk change line */
        return sel < FDC_DRIVES && sel < f->ndrives && f->drive[sel].changed ? 0x80 : 0x00;
    default: return 0xFF;
    }
}

static void fdc_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    Fdc *f = opaque;
    uint8_t v = (uint8_t)val;
    (void)size;
    switch (port & 7) {
    case 2: { /* DOR */
        uint8_t old = f->dor;
        f->dor = v;
        if ((old & DOR_RESET_N) && !(v & DOR_RESET_N)) {
            fdc_soft_reset(f);
            f->in_reset = true;
        } else if (!(old & DOR_RESET_N) && (v & DOR_RESET_N)) {
            fdc_leave_reset(f);
        }
        fdc_update_irq(f);
        break;
    }
    case 3: f->tdr = v & 3; break;
    case 4: /* DSR */
        f->rate = v & 3;
        f->precomp = (v >> 2) & 7;
        if (v & 0x80) { /* self-clearing software reset */
            fdc_soft_reset(f);
            if (f->dor & DOR_RESET_N) fdc_leave_reset(f);
        }
        break;
    case 5:
        if (f->in_reset) return;
        if (f->phase == PHASE_EXEC && f->pio) {
            fdc_pio_write(f, v);
            return;
        }
        if (f->phase != PHASE_COMMAND) {
            log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x700),
                     "fdc: FIFO write outside the command phase\n");
            return;
        }
        if (f->cmd_len == 0) {
            f->cmd_need = fdc_cmd_length(v);
            if (!f->cmd_need) {
                log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x800 | v), "fdc: invalid command %02x\n",
                         v);
                fdc_invalid(f);
                return;
            }
        }
        f->cmd[f->cmd_len++] = v;
        if (f->cmd_len == f->cmd_need) fdc_run_command(f);
        break;
    case 7: /* CCR */ f->rate = v & 3; break;
    default:
        log_once(LOG_GUEST_ERRORS, FDC_LOG_KEY(0x900 | (port & 7)),
                 "fdc: write %02x to read-only port %x\n", v, port);
        break;
    }
}

static const IoOps fdc_io_ops = {fdc_io_read, fdc_io_write, 1};

/* ---- lifetime -------------------------------------------------------- */

void fdc_reset(void *opaque)
{
    Fdc *f = opaque;
    f->lock = false;
    fdc_soft_reset(f);
    f->dor = 0; /* hardware reset: held in reset until DOR bit 2 is set */
    f->in_reset = true;
    f->tdr = 0;
    f->rate = 2; /* 250 kb/s */
    f->precomp = 0;
    f->specify[0] = f->specify[1] = 0;
    f->perp = 0;
    f->last_eot = 0;
    f->pcn_absent[0] = f->pcn_absent[1] = 0;
    for (unsigned d = 0; d < FDC_DRIVES; d++) {
        f->drive[d].pcn = 0;
        f->drive[d].next_id = 0;
    }
    fdc_update_irq(f);
}

Fdc *fdc_new(Bus *bus, Dma *dma, IrqLine irq, Clock *clock, const FdcConfig *cfg)
{
    Fdc *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->dma = dma;
    f->irq = irq;
    f->clock = clock;
    f->ndrives = cfg ? cfg->drives : FDC_DRIVES;
    if (f->ndrives > FDC_DRIVES) f->ndrives = FDC_DRIVES;
    for (unsigned d = 0; d < FDC_DRIVES; d++) {
        f->drive[d].fd = -1;
        f->drive[d].changed = true; /* no disk seen yet */
    }
    static const TimerFn seek_cbs[4] = {fdc_seek_cb0, fdc_seek_cb1, fdc_seek_cb2, fdc_seek_cb3};
    timer_init(&f->timer, clock, fdc_timer_cb, f, "fdc");
    for (unsigned d = 0; d < 4; d++)
        timer_init(&f->seek_timer[d], clock, seek_cbs[d], f, "fdc-seek");
    fdc_reset(f);
    bus_register_io(bus, 0x3F0, 6, &fdc_io_ops, f);
    bus_register_io(bus, 0x3F7, 1, &fdc_io_ops, f);
    return f;
}

void fdc_free(void *opaque)
{
    Fdc *f = opaque;
    if (!f) return;
    timer_del(&f->timer);
    for (unsigned d = 0; d < 4; d++)
        timer_del(&f->seek_timer[d]);
    for (unsigned d = 0; d < FDC_DRIVES; d++)
        fdc_close_image(&f->drive[d]);
    free(f);
}

const DeviceOps fdc_device_ops = {"fdc", fdc_reset, NULL, NULL, fdc_free};
