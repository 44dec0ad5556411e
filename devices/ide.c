/*
 * ide.c - the PIIX3 IDE function (82371SB function 1): two ATA channels,
 * ATA hard disks on BlockDevs, PIO and bus-master DMA.
 *
 * Follows ATA/ATAPI-6 (T13 1410D; ATA-4 for the device-1-absent rules):
 * the Command Block and Control Block registers, the 48-bit register FIFO
 * and the HOB bit of Device Control, the status bits, the PIO data-in, PIO
 * data-out, non-data, DMA and EXECUTE DEVICE DIAGNOSTIC protocols with
 * INTRQ at each DRQ block of a data-in command, after each block of a
 * data-out command and at the end of non-data and DMA commands; INTRQ
 * cleared by reading Status or writing Command, gated by nIEN; SRST and
 * the device signature; the IDENTIFY DEVICE block. Bus-master DMA follows
 * the 82371FB/SB (PIIX/PIIX3) datasheet, "Bus Master IDE I/O registers" and
 * the bus master function: BMICX (start, read/write control), BMISX
 * (active, error, interrupt, drive DMA capable), BMIDTPX (PRD table
 * pointer); PRD entries of a 32-bit physical base and a 16-bit byte count
 * (0 = 64 KiB) with EOT in bit 31.
 *
 * Timing: a command's effect on the disk (read into the buffer, write to
 * the image, flush) happens at once; the status transitions a driver sees
 * (BSY, then DRQ or completion with INTRQ) come IDE_CMD_LATENCY_NS of
 * virtual time later, so the ATA protocol order is kept and BSY is seen by
 * a poller. Between data-in blocks the next block is read at once and
 * DRQ/INTRQ follow after the latency; after the last data-in block the
 * drive is ready at once (no interrupt, as the protocol says).
 *
 * Absent devices (ATA-4 "device 0 only" configuration, and PC practice):
 * - A channel with no device at all floats: every register reads 0xFF (the
 *   DD7 pull-down a host should have is not modelled; drivers treat 0xFF
 *   as "nothing there"), writes are dropped.
 * - Device 1 absent beside device 0: device 0 latches every register
 *   write, answers Status and Alternate Status reads for device 1 with 00h,
 *   and other register reads with its own register contents; it ignores
 *   commands for device 1 except EXECUTE DEVICE DIAGNOSTIC. SeaBIOS and
 *   Linux (ata_piix) both read status 00h as "no device".
 *
 * Deviations:
 * - The task file is one set of registers per channel (both drives latch
 *   every write on real hardware, so they hold the same values); Status and
 *   Error are per drive.
 * - An out-of-range address is found at command start: nothing is
 *   transferred, the status is ERR with IDNF and the address registers hold
 *   the first sector beyond the disk. On success the address registers hold
 *   the last sector transferred and the count registers the sectors left
 *   (0).
 * - DEVICE RESET (08h) is a PACKET-device command: an ATA disk aborts it,
 *   as the standard requires. SRST completes when the host clears the bit.
 * - The PIIX3 only does multiword DMA timing; IDENTIFY still reports UDMA
 *   modes 0-5 (as QEMU does) since timing is not modelled. A UDMA CRC error
 *   never happens.
 * - Multiple mode is disabled at power-on (word 59 bit 8 clear) and kept
 *   across SRST; a write cache is reported and can be toggled, but writes
 *   always go to the image at once (see blockdev.h).
 * - The bus master follows the command's direction if BMICX bit 3 does not
 *   match it (logged). Bit 1 (PCI error) never sets.
 */
#include "devices/ide.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/log.h"

#define IDE_BUF_SECTORS 128u
#define IDE_BUF_BYTES   (IDE_BUF_SECTORS * BLOCKDEV_SECTOR_BYTES)
#define IDE_MAX_MULT    16u
#define LBA28_MAX       0x0FFFFFFFull
#define LBA48_MAX       0xFFFFFFFFFFFFull

enum {
    ST_ERR = 0x01,
    ST_DRQ = 0x08,
    ST_DSC = 0x10,
    ST_DF = 0x20,
    ST_DRDY = 0x40,
    ST_BSY = 0x80,

    ER_AMNF = 0x01,
    ER_ABRT = 0x04,
    ER_IDNF = 0x10,
    ER_UNC = 0x40,

    DC_NIEN = 0x02,
    DC_SRST = 0x04,
    DC_HOB = 0x80,

    DEV_LBA = 0x40,
    DEV_DEV = 0x10,

    BMCMD_START = 0x01,
    BMCMD_TO_MEM = 0x08, /* the bus master writes memory: a disk read */
    BMST_ACTIVE = 0x01,
    BMST_ERROR = 0x02,
    BMST_INT = 0x04,
    BMST_CAP = 0x60, /* drive 0 / drive 1 DMA capable: software-set */
};

/* ATA registers by offset from the command block base. */
enum { REG_DATA, REG_ERROR, REG_NSECT, REG_LBAL, REG_LBAM, REG_LBAH, REG_DEV, REG_STATUS };

typedef enum { XFER_NONE, XFER_PIO_IN, XFER_PIO_OUT, XFER_DMA_IN, XFER_DMA_OUT } Xfer;
typedef enum { PEND_NONE, PEND_COMPLETE, PEND_DRQ, PEND_DMA } Pending;
typedef enum { ADDR_CHS, ADDR_LBA28, ADDR_LBA48 } AddrMode;

typedef struct IdeDrive {
    BlockDev *bd; /* NULL: absent */
    uint64_t sectors;
    uint16_t cyls, heads, spt;             /* default translation */
    uint16_t cur_cyls, cur_heads, cur_spt; /* INITIALIZE DEVICE PARAMETERS */
    bool chs_valid;
    uint8_t mult;      /* sectors per block of READ/WRITE MULTIPLE; 0: disabled */
    uint8_t xfer_mode; /* SET FEATURES 03h value: 0x08|pio, 0x20|mwdma, 0x40|udma */
    bool wcache;
    uint8_t status;
    uint8_t error;
    bool intrq; /* the drive's interrupt pending */
    char serial[21];
} IdeDrive;

typedef struct IdeChannel {
    struct Ide *ide;
    int index;
    uint16_t base, ctrl;
    IrqLine irq;
    bool irq_level;
    IdeDrive drive[2];
    /* Task file: current values and the previous ones (48-bit FIFO). */
    uint8_t feature, nsector, lbal, lbam, lbah;
    uint8_t hob_feature, hob_nsector, hob_lbal, hob_lbam, hob_lbah;
    uint8_t select;
    uint8_t devctl;
    /* The command in progress. */
    int cur; /* the drive that owns it */
    uint8_t cmd;
    Xfer xfer;
    AddrMode amode;
    uint64_t lba;       /* next sector to transfer */
    uint32_t remaining; /* sectors not yet transferred */
    uint32_t block;     /* sectors per DRQ block */
    uint32_t blk_n;     /* sectors in the current PIO block */
    uint32_t pos, end;  /* bytes in buf */
    uint8_t *buf;
    bool identify; /* the data-in is the IDENTIFY block, not the disk */
    Timer timer;
    Pending pending;
    uint8_t final_status, final_error;
    /* Bus master. */
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prd;
} IdeChannel;

struct Ide {
    Bus *bus;
    Clock *clock;
    IdeChannel ch[2];
    uint16_t bm_base;
};

static bool present(const IdeChannel *ch, int unit)
{
    return ch->drive[unit].bd != NULL;
}
static int sel_unit(const IdeChannel *ch)
{
    return (ch->select & DEV_DEV) ? 1 : 0;
}
static bool channel_empty(const IdeChannel *ch)
{
    return !present(ch, 0) && !present(ch, 1);
}

static void update_irq(IdeChannel *ch)
{
    int u = sel_unit(ch);
    bool level = !(ch->devctl & DC_NIEN) && present(ch, u) && ch->drive[u].intrq;
    if (level == ch->irq_level) return;
    ch->irq_level = level;
    /* BMISX bit 2 latches the rising edge of the channel's interrupt. */
    if (level) ch->bm_status |= BMST_INT;
    irq_set(&ch->irq, level);
}

static void raise_intrq(IdeChannel *ch, int unit)
{
    ch->drive[unit].intrq = true;
    update_irq(ch);
}

/* ---- geometry and IDENTIFY ---- */

static void drive_power_on(IdeDrive *d)
{
    d->mult = 0;
    d->xfer_mode = 0x22; /* multiword DMA 2 */
    d->wcache = true;
    d->cur_cyls = d->cyls;
    d->cur_heads = d->heads;
    d->cur_spt = d->spt;
    d->chs_valid = true;
    d->intrq = false;
    d->status = d->bd ? (ST_DRDY | ST_DSC) : 0;
    d->error = 0x01;
}

static void drive_init(IdeDrive *d, BlockDev *bd, int index)
{
    memset(d, 0, sizeof *d);
    d->bd = bd;
    if (!bd) return;
    d->sectors = blockdev_sectors(bd);
    if (d->sectors > LBA48_MAX) d->sectors = LBA48_MAX;
    d->heads = 16;
    d->spt = 63;
    uint64_t cyls = d->sectors / (16 * 63);
    if (cyls > 16383) cyls = 16383;
    if (cyls == 0) cyls = 1;
    d->cyls = (uint16_t)cyls;
    snprintf(d->serial, sizeof d->serial, "BRISK%010d", index + 1);
    drive_power_on(d);
}

/* ATA strings: two characters a word, the first in the high byte. */
static void put_string(uint16_t *w, const char *s, unsigned words)
{
    size_t len = strlen(s);
    for (unsigned i = 0; i < words * 2; i++) {
        uint8_t c = i < len ? (uint8_t)s[i] : ' ';
        if (i & 1)
            w[i / 2] |= c;
        else
            w[i / 2] = (uint16_t)(c << 8);
    }
}

static void build_identify(const IdeChannel *ch, int unit, uint16_t *w)
{
    const IdeDrive *d = &ch->drive[unit];
    memset(w, 0, 512);
    w[0] = 0x0040; /* fixed device, ATA */
    w[1] = d->cyls;
    w[3] = d->heads;
    w[4] = (uint16_t)(512 * d->spt); /* retired: unformatted bytes per track */
    w[5] = 512;                      /* retired: unformatted bytes per sector */
    w[6] = d->spt;
    put_string(&w[10], d->serial, 10);
    w[20] = 3;   /* retired: dual-ported buffer with read cache */
    w[21] = 512; /* retired: buffer size in sectors */
    w[22] = 4;   /* retired: ECC bytes */
    put_string(&w[23], "1.0", 4);
    put_string(&w[27], "BRISK HARDDISK", 20);
    w[47] = 0x8000 | IDE_MAX_MULT;
    w[48] = 0x0001; /* doubleword PIO (ATA-1 word 48; the PIIX does 32-bit PIO) */
    w[49] = 0x0F00; /* DMA, LBA, IORDY may be disabled, IORDY supported */
    w[50] = 0x4000;
    w[51] = 0x0200; /* PIO timing mode 2 (retired) */
    w[52] = 0x0200;
    w[53] = 0x0007; /* words 54-58, 64-70 and 88 are valid */
    if (d->chs_valid) {
        w[54] = d->cur_cyls;
        w[55] = d->cur_heads;
        w[56] = d->cur_spt;
        uint32_t cap = (uint32_t)d->cur_cyls * d->cur_heads * d->cur_spt;
        w[57] = (uint16_t)cap;
        w[58] = (uint16_t)(cap >> 16);
    }
    if (d->mult) w[59] = 0x0100 | d->mult;
    uint64_t lba28 = d->sectors < LBA28_MAX ? d->sectors : LBA28_MAX;
    w[60] = (uint16_t)lba28;
    w[61] = (uint16_t)(lba28 >> 16);
    w[63] = 0x0007; /* multiword DMA 0-2 supported */
    if ((d->xfer_mode & 0xF8) == 0x20) w[63] |= (uint16_t)(0x0100 << (d->xfer_mode & 7));
    w[64] = 0x0003; /* PIO modes 3 and 4 */
    w[65] = 120;
    w[66] = 120;
    w[67] = 120;
    w[68] = 120;
    w[80] = 0x007E; /* ATA-1 .. ATA-6 */
    w[81] = 0x0000;
    w[82] = (1 << 14) | (1 << 5) | (1 << 3);            /* NOP, write cache, power management */
    w[83] = 0x4000 | (1 << 13) | (1 << 12) | (1 << 10); /* FLUSH EXT, FLUSH, LBA48 */
    w[84] = 0x4000;
    w[85] = (uint16_t)((1 << 14) | (d->wcache ? (1 << 5) : 0) | (1 << 3));
    w[86] = (1 << 13) | (1 << 12) | (1 << 10);
    w[87] = 0x4000;
    w[88] = 0x003F; /* UDMA 0-5 supported */
    if ((d->xfer_mode & 0xF8) == 0x40) w[88] |= (uint16_t)(0x0100 << (d->xfer_mode & 7));
    /* Hardware reset result: device 0 or 1 determined by jumper, passed
     * diagnostics, 80-conductor cable detected (CBLID). */
    w[93] = 0x4000 | 0x2000 | (unit == 0 ? 0x000B : 0x0B00);
    w[100] = (uint16_t)d->sectors;
    w[101] = (uint16_t)(d->sectors >> 16);
    w[102] = (uint16_t)(d->sectors >> 32);
    w[103] = 0;
    /* Word 255: signature A5h and a checksum making the 512 bytes sum to 0. */
    uint8_t sum = 0xA5;
    const uint8_t *b = (const uint8_t *)w;
    for (int i = 0; i < 510; i++)
        sum = (uint8_t)(sum + b[i]);
    w[255] = (uint16_t)(((uint8_t)(-sum) << 8) | 0xA5);
}

/* ---- task file helpers ---- */

static void set_signature(IdeChannel *ch)
{
    ch->nsector = 1;
    ch->lbal = 1;
    ch->lbam = 0;
    ch->lbah = 0;
    ch->hob_nsector = ch->hob_lbal = ch->hob_lbam = ch->hob_lbah = 0;
    ch->select = 0;
}

/* Puts sector number lba into the address registers in the command's mode. */
static void set_address(IdeChannel *ch, uint64_t lba)
{
    IdeDrive *d = &ch->drive[ch->cur];
    switch (ch->amode) {
    case ADDR_LBA48:
        ch->lbal = (uint8_t)lba;
        ch->lbam = (uint8_t)(lba >> 8);
        ch->lbah = (uint8_t)(lba >> 16);
        ch->hob_lbal = (uint8_t)(lba >> 24);
        ch->hob_lbam = (uint8_t)(lba >> 32);
        ch->hob_lbah = (uint8_t)(lba >> 40);
        break;
    case ADDR_LBA28:
        ch->lbal = (uint8_t)lba;
        ch->lbam = (uint8_t)(lba >> 8);
        ch->lbah = (uint8_t)(lba >> 16);
        ch->select = (uint8_t)((ch->select & 0xF0) | ((lba >> 24) & 0x0F));
        break;
    case ADDR_CHS: {
        uint32_t per_cyl = (uint32_t)d->cur_heads * d->cur_spt;
        if (per_cyl == 0) break;
        uint64_t cyl = lba / per_cyl;
        uint32_t r = (uint32_t)(lba % per_cyl);
        ch->lbam = (uint8_t)cyl;
        ch->lbah = (uint8_t)(cyl >> 8);
        ch->select = (uint8_t)((ch->select & 0xF0) | ((r / d->cur_spt) & 0x0F));
        ch->lbal = (uint8_t)(r % d->cur_spt + 1);
        break;
    }
    }
}

static void set_count(IdeChannel *ch, uint32_t n)
{
    ch->nsector = (uint8_t)n;
    if (ch->amode == ADDR_LBA48) ch->hob_nsector = (uint8_t)(n >> 8);
}

/* ---- completion and the deferred status transitions ---- */

static void fire_pending(IdeChannel *ch);
static void dma_run(IdeChannel *ch);

static void ch_timer(void *opaque)
{
    fire_pending(opaque);
}

static void cancel_pending(IdeChannel *ch)
{
    if (ch->ide->clock) timer_del(&ch->timer);
    ch->pending = PEND_NONE;
}

/* BSY now; the pending step after the latency (at once without a clock). */
static void defer(IdeChannel *ch, Pending p)
{
    ch->pending = p;
    if (!ch->ide->clock) {
        fire_pending(ch);
        return;
    }
    ch->drive[ch->cur].status = ST_BSY | ST_DRDY;
    timer_mod(&ch->timer, clock_now_ns(ch->ide->clock) + IDE_CMD_LATENCY_NS);
}

static void complete(IdeChannel *ch, uint8_t status, uint8_t error)
{
    ch->xfer = XFER_NONE;
    ch->final_status = status;
    ch->final_error = error;
    defer(ch, PEND_COMPLETE);
}

static void complete_ok(IdeChannel *ch)
{
    complete(ch, ST_DRDY | ST_DSC, 0);
}
static void abort_cmd(IdeChannel *ch)
{
    complete(ch, ST_DRDY | ST_DSC | ST_ERR, ER_ABRT);
}

static void fire_pending(IdeChannel *ch)
{
    IdeDrive *d = &ch->drive[ch->cur];
    Pending p = ch->pending;
    ch->pending = PEND_NONE;
    switch (p) {
    case PEND_NONE: break;
    case PEND_COMPLETE:
        d->status = ch->final_status;
        d->error = ch->final_error;
        raise_intrq(ch, ch->cur);
        break;
    case PEND_DRQ:
        d->status = ST_DRDY | ST_DSC | ST_DRQ;
        raise_intrq(ch, ch->cur);
        break;
    case PEND_DMA:
        d->status = ST_DRDY | ST_DSC | ST_DRQ;
        if (ch->bm_cmd & BMCMD_START) dma_run(ch);
        break;
    }
}

/* ---- addressing ---- */

/* Decodes the command's start address and count. False (with the command
 * completed in error) for a bad CHS address or a range beyond the disk. */
static bool decode_range(IdeChannel *ch, bool lba48, uint64_t *lba_out, uint32_t *count_out)
{
    IdeDrive *d = &ch->drive[ch->cur];
    uint64_t lba;
    uint32_t count;
    if (lba48) {
        ch->amode = ADDR_LBA48;
        lba = (uint64_t)ch->lbal | (uint64_t)ch->lbam << 8 | (uint64_t)ch->lbah << 16 |
              (uint64_t)ch->hob_lbal << 24 | (uint64_t)ch->hob_lbam << 32 |
              (uint64_t)ch->hob_lbah << 40;
        count = (uint32_t)ch->hob_nsector << 8 | ch->nsector;
        if (count == 0) count = 65536;
    } else {
        count = ch->nsector ? ch->nsector : 256;
        if (ch->select & DEV_LBA) {
            ch->amode = ADDR_LBA28;
            lba = (uint64_t)ch->lbal | (uint64_t)ch->lbam << 8 | (uint64_t)ch->lbah << 16 |
                  (uint64_t)(ch->select & 0x0F) << 24;
        } else {
            ch->amode = ADDR_CHS;
            uint32_t cyl = (uint32_t)ch->lbah << 8 | ch->lbam;
            uint32_t head = ch->select & 0x0F;
            uint32_t sec = ch->lbal;
            if (!d->chs_valid || sec == 0 || sec > d->cur_spt || head >= d->cur_heads) {
                log_once(LOG_GUEST_ERRORS, 0x1DE00000u | ch->cmd,
                         "ide%d: bad CHS address %u/%u/%u\n", ch->index, cyl, head, sec);
                complete(ch, ST_DRDY | ST_DSC | ST_ERR, ER_IDNF);
                return false;
            }
            lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + sec - 1;
        }
    }
    if (lba >= d->sectors || count > d->sectors - lba) {
        log_once(LOG_GUEST_ERRORS, 0x1DE10000u | ch->cmd,
                 "ide%d: command %02x beyond the disk (sector %llu + %u of %llu)\n", ch->index,
                 ch->cmd, (unsigned long long)lba, count, (unsigned long long)d->sectors);
        set_address(ch, lba >= d->sectors ? lba : d->sectors);
        complete(ch, ST_DRDY | ST_DSC | ST_ERR, ER_IDNF);
        return false;
    }
    *lba_out = lba;
    *count_out = count;
    return true;
}

/* ---- PIO ---- */

/* Reads the next data-in block and schedules its DRQ + INTRQ. */
static void pio_in_next_block(IdeChannel *ch)
{
    IdeDrive *d = &ch->drive[ch->cur];
    uint32_t n = ch->remaining < ch->block ? ch->remaining : ch->block;
    int r = blockdev_read(d->bd, ch->lba, ch->buf, n);
    if (r < 0) {
        log_once(LOG_GUEST_ERRORS, 0x1DE20000u, "ide%d: read error at sector %llu: %s\n", ch->index,
                 (unsigned long long)ch->lba, strerror(-r));
        set_address(ch, ch->lba);
        complete(ch, ST_DRDY | ST_DSC | ST_ERR, ER_UNC);
        return;
    }
    ch->blk_n = n;
    ch->pos = 0;
    ch->end = n * BLOCKDEV_SECTOR_BYTES;
    ch->xfer = XFER_PIO_IN;
    defer(ch, PEND_DRQ);
}

static void pio_in_block_done(IdeChannel *ch)
{
    IdeDrive *d = &ch->drive[ch->cur];
    if (ch->identify) {
        ch->identify = false;
        ch->xfer = XFER_NONE;
        d->status = ST_DRDY | ST_DSC;
        return;
    }
    ch->lba += ch->blk_n;
    ch->remaining -= ch->blk_n;
    set_address(ch, ch->lba - 1);
    set_count(ch, ch->remaining);
    if (ch->remaining > 0) {
        pio_in_next_block(ch);
    } else {
        /* After the last block: ready, no interrupt (PIO data-in protocol). */
        ch->xfer = XFER_NONE;
        d->status = ST_DRDY | ST_DSC;
    }
}

static void pio_out_block_start(IdeChannel *ch)
{
    uint32_t n = ch->remaining < ch->block ? ch->remaining : ch->block;
    ch->blk_n = n;
    ch->pos = 0;
    ch->end = n * BLOCKDEV_SECTOR_BYTES;
    ch->xfer = XFER_PIO_OUT;
}

static void pio_out_block_done(IdeChannel *ch)
{
    IdeDrive *d = &ch->drive[ch->cur];
    int r = blockdev_write(d->bd, ch->lba, ch->buf, ch->blk_n);
    if (r < 0) {
        log_once(LOG_GUEST_ERRORS, 0x1DE30000u, "ide%d: write error at sector %llu: %s\n",
                 ch->index, (unsigned long long)ch->lba, strerror(-r));
        set_address(ch, ch->lba);
        complete(ch, ST_DRDY | ST_DSC | ST_ERR, ER_UNC);
        return;
    }
    ch->lba += ch->blk_n;
    ch->remaining -= ch->blk_n;
    set_address(ch, ch->lba - 1);
    set_count(ch, ch->remaining);
    if (ch->remaining > 0) {
        pio_out_block_start(ch);
        defer(ch, PEND_DRQ);
    } else {
        complete_ok(ch);
    }
}

/* ---- bus-master DMA ---- */

/* Runs the whole DMA transfer over the PRD table (PIIX3 3.5). */
static void dma_run(IdeChannel *ch)
{
    IdeDrive *d = &ch->drive[ch->cur];
    Bus *bus = ch->ide->bus;
    bool to_mem = ch->xfer == XFER_DMA_IN;
    if (!!(ch->bm_cmd & BMCMD_TO_MEM) != to_mem)
        log_once(LOG_GUEST_ERRORS, 0x1DE40000u | (unsigned)ch->index,
                 "ide%d: bus-master direction does not match command %02x\n", ch->index, ch->cmd);
    uint32_t prd = ch->bm_prd;
    bool eot = false;
    /* ch->pos/end: bytes of buf already moved / valid (kept if the PRD table
     * ends early, so that a restart goes on from there). */
    while (!eot && (ch->remaining > 0 || (to_mem && ch->pos < ch->end))) {
        uint32_t addr = bus_read(bus, prd, 4) & ~1u;
        uint32_t cnt = bus_read(bus, prd + 4, 4);
        prd += 8;
        eot = (cnt & 0x80000000u) != 0;
        uint32_t bytes = cnt & 0xFFFEu;
        if (bytes == 0) bytes = 0x10000;
        while (bytes > 0) {
            if (to_mem) {
                if (ch->pos >= ch->end) {
                    if (ch->remaining == 0) break;
                    uint32_t n = ch->remaining < IDE_BUF_SECTORS ? ch->remaining : IDE_BUF_SECTORS;
                    int r = blockdev_read(d->bd, ch->lba, ch->buf, n);
                    if (r < 0) goto io_error;
                    ch->lba += n;
                    ch->remaining -= n;
                    ch->pos = 0;
                    ch->end = n * BLOCKDEV_SECTOR_BYTES;
                }
                uint32_t c = ch->end - ch->pos;
                if (c > bytes) c = bytes;
                bus_write_block(bus, addr, ch->buf + ch->pos, c);
                ch->pos += c;
                addr += c;
                bytes -= c;
            } else {
                if (ch->remaining == 0) break;
                uint32_t n = ch->remaining < IDE_BUF_SECTORS ? ch->remaining : IDE_BUF_SECTORS;
                uint32_t want = n * BLOCKDEV_SECTOR_BYTES;
                uint32_t c = want - ch->end;
                if (c > bytes) c = bytes;
                bus_read_block(bus, addr, ch->buf + ch->end, c);
                ch->end += c;
                addr += c;
                bytes -= c;
                if (ch->end == want) {
                    int r = blockdev_write(d->bd, ch->lba, ch->buf, n);
                    if (r < 0) goto io_error;
                    ch->lba += n;
                    ch->remaining -= n;
                    ch->end = 0;
                }
            }
        }
    }
    if (ch->remaining == 0 && !(to_mem && ch->pos < ch->end)) {
        /* The drive is done. With PRD entries left the bus master stays
         * active (the driver stops it); with EOT reached it goes idle. */
        if (eot) ch->bm_status &= (uint8_t)~BMST_ACTIVE;
        set_address(ch, ch->lba - 1);
        set_count(ch, 0);
        ch->xfer = XFER_NONE;
        d->status = ST_DRDY | ST_DSC;
        d->error = 0;
        raise_intrq(ch, ch->cur);
    } else {
        /* The PRD table ended before the drive: idle, no interrupt; the
         * drive still waits with DRQ for the rest. */
        log_once(LOG_GUEST_ERRORS, 0x1DE50000u | (unsigned)ch->index,
                 "ide%d: PRD table shorter than the transfer\n", ch->index);
        ch->bm_status &= (uint8_t)~BMST_ACTIVE;
    }
    return;
io_error:
    log_once(LOG_GUEST_ERRORS, 0x1DE60000u, "ide%d: DMA I/O error at sector %llu\n", ch->index,
             (unsigned long long)ch->lba);
    ch->bm_status &= (uint8_t)~BMST_ACTIVE;
    set_address(ch, ch->lba);
    ch->xfer = XFER_NONE;
    d->status = ST_DRDY | ST_DSC | ST_ERR;
    d->error = ER_UNC;
    raise_intrq(ch, ch->cur);
}

static void dma_start_if_ready(IdeChannel *ch)
{
    if ((ch->xfer == XFER_DMA_IN || ch->xfer == XFER_DMA_OUT) && (ch->bm_cmd & BMCMD_START) &&
        ch->pending == PEND_NONE)
        defer(ch, PEND_DMA);
}

/* ---- commands ---- */

static void cmd_rw(IdeChannel *ch, bool write, bool lba48, bool multiple, bool dma)
{
    IdeDrive *d = &ch->drive[ch->cur];
    if (multiple && d->mult == 0) {
        log_once(LOG_GUEST_ERRORS, 0x1DE70000u | ch->cmd,
                 "ide%d: READ/WRITE MULTIPLE without SET MULTIPLE MODE\n", ch->index);
        abort_cmd(ch);
        return;
    }
    if (write && blockdev_is_read_only(d->bd)) {
        log_once(LOG_GUEST_ERRORS, 0x1DE80000u, "ide%d: write to a read-only disk\n", ch->index);
        abort_cmd(ch);
        return;
    }
    uint64_t lba;
    uint32_t count;
    if (!decode_range(ch, lba48, &lba, &count)) return;
    ch->lba = lba;
    ch->remaining = count;
    ch->block = multiple ? d->mult : 1;
    ch->identify = false;
    if (dma) {
        ch->xfer = write ? XFER_DMA_OUT : XFER_DMA_IN;
        ch->pos = ch->end = 0;
        d->status = ST_DRDY | ST_DSC | ST_DRQ;
        dma_start_if_ready(ch);
    } else if (write) {
        /* PIO data-out: DRQ for the first block, no interrupt. */
        pio_out_block_start(ch);
        d->status = ST_DRDY | ST_DSC | ST_DRQ;
    } else {
        pio_in_next_block(ch);
    }
}

static void cmd_set_features(IdeChannel *ch)
{
    IdeDrive *d = &ch->drive[ch->cur];
    switch (ch->feature) {
    case 0x03: { /* set transfer mode */
        uint8_t v = ch->nsector;
        uint8_t mode = v & 7;
        bool ok = (v & 0xF8) == 0x00   ? mode <= 1
                  : (v & 0xF8) == 0x08 ? mode <= 4
                  : (v & 0xF8) == 0x20 ? mode <= 2
                  : (v & 0xF8) == 0x40 ? mode <= 5
                                       : false;
        if (!ok) {
            abort_cmd(ch);
            return;
        }
        if ((v & 0xF8) == 0x20 || (v & 0xF8) == 0x40) d->xfer_mode = v;
        break;
    }
    case 0x02: d->wcache = true; break;
    case 0x82: d->wcache = false; break;
    default: break; /* accepted: look-ahead, reverting defaults, ... */
    }
    complete_ok(ch);
}

static void diagnostic(IdeChannel *ch)
{
    /* Both devices run it; device 0 reports for both (01h: passed, device 1
     * passed or absent). */
    for (int u = 0; u < 2; u++) {
        IdeDrive *d = &ch->drive[u];
        d->intrq = false;
        if (!d->bd) continue;
        d->error = 0x01;
    }
    set_signature(ch);
    ch->cur = present(ch, 0) ? 0 : 1;
    ch->xfer = XFER_NONE;
    complete(ch, ST_DRDY | ST_DSC, 0x01);
}

static void exec_command(IdeChannel *ch, uint8_t cmd)
{
    int u = sel_unit(ch);
    IdeDrive *d = &ch->drive[u];
    if (!d->bd) {
        /* Device 0 ignores commands for an absent device 1, except the
         * diagnostic, which every device on the cable runs. */
        if (cmd == 0x90 && !channel_empty(ch)) {
            cancel_pending(ch);
            diagnostic(ch);
        }
        return;
    }
    if (d->status & ST_BSY) {
        log_once(LOG_GUEST_ERRORS, 0x1DE90000u | cmd,
                 "ide%d: command %02x written while BSY: ignored\n", ch->index, cmd);
        return;
    }
    /* A new command ends any transfer in progress and clears INTRQ. */
    cancel_pending(ch);
    ch->xfer = XFER_NONE;
    ch->identify = false;
    ch->cur = u;
    ch->cmd = cmd;
    d->intrq = false;
    update_irq(ch);
    d->error = 0;

    switch (cmd) {
    case 0x20:
    case 0x21: cmd_rw(ch, false, false, false, false); break;
    case 0x24: cmd_rw(ch, false, true, false, false); break;
    case 0x29: cmd_rw(ch, false, true, true, false); break;
    case 0xC4: cmd_rw(ch, false, false, true, false); break;
    case 0x30:
    case 0x31: cmd_rw(ch, true, false, false, false); break;
    case 0x34: cmd_rw(ch, true, true, false, false); break;
    case 0x39: cmd_rw(ch, true, true, true, false); break;
    case 0xC5: cmd_rw(ch, true, false, true, false); break;
    case 0xC8:
    case 0xC9: cmd_rw(ch, false, false, false, true); break;
    case 0x25: cmd_rw(ch, false, true, false, true); break;
    case 0xCA:
    case 0xCB: cmd_rw(ch, true, false, false, true); break;
    case 0x35: cmd_rw(ch, true, true, false, true); break;
    case 0x40:
    case 0x41:
    case 0x42: { /* READ VERIFY (EXT) */
        uint64_t lba;
        uint32_t count;
        if (!decode_range(ch, cmd == 0x42, &lba, &count)) break;
        set_address(ch, lba + count - 1);
        set_count(ch, 0);
        complete_ok(ch);
        break;
    }
    case 0x70:
    case 0x71:
    case 0x72:
    case 0x73:
    case 0x74:
    case 0x75:
    case 0x76:
    case 0x77:
    case 0x78:
    case 0x79:
    case 0x7A:
    case 0x7B:
    case 0x7C:
    case 0x7D:
    case 0x7E:
    case 0x7F:
    case 0x10:
    case 0x11:
    case 0x12:
    case 0x13:
    case 0x14:
    case 0x15:
    case 0x16:
    case 0x17:
    case 0x18:
    case 0x19:
    case 0x1A:
    case 0x1B:
    case 0x1C:
    case 0x1D:
    case 0x1E:
    case 0x1F:
        /* SEEK, RECALIBRATE: nothing moves. */
        complete_ok(ch);
        break;
    case 0x91: { /* INITIALIZE DEVICE PARAMETERS */
        uint32_t heads = (ch->select & 0x0F) + 1u;
        uint32_t spt = ch->nsector;
        if (spt == 0) {
            d->chs_valid = false;
            abort_cmd(ch);
            break;
        }
        uint64_t cyls = d->sectors / (heads * spt);
        if (cyls > 65535) cyls = 65535;
        d->cur_heads = (uint16_t)heads;
        d->cur_spt = (uint16_t)spt;
        d->cur_cyls = (uint16_t)cyls;
        d->chs_valid = true;
        complete_ok(ch);
        break;
    }
    case 0xEC: /* IDENTIFY DEVICE */
        build_identify(ch, u, (uint16_t *)ch->buf);
        ch->identify = true;
        ch->pos = 0;
        ch->end = 512;
        ch->blk_n = 1;
        ch->xfer = XFER_PIO_IN;
        defer(ch, PEND_DRQ);
        break;
    case 0xC6: { /* SET MULTIPLE MODE */
        uint8_t n = ch->nsector;
        if (n > IDE_MAX_MULT || (n & (n - 1)) != 0) {
            abort_cmd(ch);
            break;
        }
        d->mult = n; /* 0 disables */
        complete_ok(ch);
        break;
    }
    case 0xEF: cmd_set_features(ch); break;
    case 0xE7:
    case 0xEA: { /* FLUSH CACHE (EXT) */
        int r = blockdev_flush(d->bd);
        if (r < 0) {
            log_once(LOG_GUEST_ERRORS, 0x1DEA0000u, "ide%d: flush failed: %s\n", ch->index,
                     strerror(-r));
            complete(ch, ST_DRDY | ST_DSC | ST_ERR, ER_UNC);
        } else {
            complete_ok(ch);
        }
        break;
    }
    case 0x90: diagnostic(ch); break;
    case 0xE5:
    case 0x98: /* CHECK POWER MODE: always active */
        ch->nsector = 0xFF;
        complete_ok(ch);
        break;
    case 0xE0:
    case 0xE1:
    case 0xE2:
    case 0xE3:
    case 0xE6:
    case 0x94:
    case 0x95:
    case 0x96:
    case 0x97:
    case 0x99:
        /* STANDBY / IDLE / SLEEP: accepted, the disk never spins down. */
        complete_ok(ch);
        break;
    default:
        /* DEVICE RESET (08h), IDENTIFY PACKET DEVICE (A1h), PACKET (A0h),
         * NOP (00h) and everything not implemented: ABRT. */
        log_once(LOG_UNIMP, 0x1DEB0000u | cmd, "ide%d: command %02x aborted\n", ch->index, cmd);
        abort_cmd(ch);
        break;
    }
}

/* ---- SRST ---- */

static void srst_begin(IdeChannel *ch)
{
    cancel_pending(ch);
    ch->xfer = XFER_NONE;
    ch->identify = false;
    for (int u = 0; u < 2; u++) {
        IdeDrive *d = &ch->drive[u];
        d->intrq = false;
        if (d->bd) d->status = ST_BSY;
    }
    update_irq(ch);
}

static void srst_end(IdeChannel *ch)
{
    /* Reset done: the signature, diagnostic code 01h, ready; no INTRQ. */
    for (int u = 0; u < 2; u++) {
        IdeDrive *d = &ch->drive[u];
        if (!d->bd) continue;
        d->status = ST_DRDY | ST_DSC;
        d->error = 0x01;
    }
    set_signature(ch);
    update_irq(ch);
}

/* ---- port handlers ---- */

static uint32_t data_read(IdeChannel *ch, unsigned size)
{
    unsigned bytes = size == 4 ? 4 : 2;
    IdeDrive *d = &ch->drive[ch->cur];
    if (ch->xfer != XFER_PIO_IN || !(d->status & ST_DRQ) || sel_unit(ch) != ch->cur) {
        log_once(LOG_GUEST_ERRORS, 0x1DEC0000u | (unsigned)ch->index,
                 "ide%d: data read without DRQ\n", ch->index);
        return 0xFFFFFFFFu;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes && ch->pos < ch->end; i++)
        v |= (uint32_t)ch->buf[ch->pos++] << (8 * i);
    if (ch->pos >= ch->end) pio_in_block_done(ch);
    return v; /* an 8-bit read gets the low byte of the word it consumed */
}

static void data_write(IdeChannel *ch, uint32_t val, unsigned size)
{
    unsigned bytes = size == 4 ? 4 : 2;
    IdeDrive *d = &ch->drive[ch->cur];
    if (ch->xfer != XFER_PIO_OUT || !(d->status & ST_DRQ) || sel_unit(ch) != ch->cur) {
        log_once(LOG_GUEST_ERRORS, 0x1DED0000u | (unsigned)ch->index,
                 "ide%d: data write without DRQ\n", ch->index);
        return;
    }
    for (unsigned i = 0; i < bytes && ch->pos < ch->end; i++)
        ch->buf[ch->pos++] = (uint8_t)(val >> (8 * i));
    if (ch->pos >= ch->end) pio_out_block_done(ch);
}

static uint8_t status_value(const IdeChannel *ch)
{
    if (channel_empty(ch)) return 0xFF;
    int u = sel_unit(ch);
    return present(ch, u) ? ch->drive[u].status : 0x00;
}

static uint32_t cmd_read(void *opaque, uint16_t port, unsigned size)
{
    IdeChannel *ch = opaque;
    unsigned reg = (unsigned)(port - ch->base) & 7;
    if (channel_empty(ch)) return 0xFFFFFFFFu;
    if (reg == REG_DATA) return data_read(ch, size);
    bool hob = (ch->devctl & DC_HOB) != 0;
    int u = sel_unit(ch);
    switch (reg) {
    case REG_ERROR: /* Error is one register: HOB does not apply to it */
        return ch->drive[present(ch, u) ? u : 0].error;
    case REG_NSECT: return hob ? ch->hob_nsector : ch->nsector;
    case REG_LBAL: return hob ? ch->hob_lbal : ch->lbal;
    case REG_LBAM: return hob ? ch->hob_lbam : ch->lbam;
    case REG_LBAH: return hob ? ch->hob_lbah : ch->lbah;
    case REG_DEV: return ch->select;
    default: { /* status: reading it clears the selected drive's INTRQ */
        uint8_t st = status_value(ch);
        if (present(ch, u) && ch->drive[u].intrq) {
            ch->drive[u].intrq = false;
            update_irq(ch);
        }
        return st;
    }
    }
}

static void cmd_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    IdeChannel *ch = opaque;
    unsigned reg = (unsigned)(port - ch->base) & 7;
    uint8_t v = (uint8_t)val;
    if (channel_empty(ch)) return;
    if (reg == REG_DATA) {
        data_write(ch, val, size);
        return;
    }
    int u = sel_unit(ch);
    if (present(ch, u) && (ch->drive[u].status & ST_BSY)) {
        log_once(LOG_GUEST_ERRORS, 0x1DEE0000u | reg,
                 "ide%d: register %u written while BSY: ignored\n", ch->index, reg);
        return;
    }
    /* Any command block write clears HOB (ATA-6, Device Control register). */
    ch->devctl &= (uint8_t)~DC_HOB;
    switch (reg) {
    case REG_ERROR:
        ch->hob_feature = ch->feature;
        ch->feature = v;
        break;
    case REG_NSECT:
        ch->hob_nsector = ch->nsector;
        ch->nsector = v;
        break;
    case REG_LBAL:
        ch->hob_lbal = ch->lbal;
        ch->lbal = v;
        break;
    case REG_LBAM:
        ch->hob_lbam = ch->lbam;
        ch->lbam = v;
        break;
    case REG_LBAH:
        ch->hob_lbah = ch->lbah;
        ch->lbah = v;
        break;
    case REG_DEV:
        ch->select = v;
        update_irq(ch); /* INTRQ follows the selected drive */
        break;
    default: exec_command(ch, v); break;
    }
}

static uint32_t ctrl_read(void *opaque, uint16_t port, unsigned size)
{
    return status_value(opaque); /* alternate status: no INTRQ side effect */
}

static void ctrl_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    IdeChannel *ch = opaque;
    uint8_t old = ch->devctl;
    ch->devctl = (uint8_t)val;
    if (channel_empty(ch)) return;
    if ((val & DC_SRST) && !(old & DC_SRST))
        srst_begin(ch);
    else if (!(val & DC_SRST) && (old & DC_SRST))
        srst_end(ch);
    update_irq(ch);
}

static const IoOps ide_data_io = {cmd_read, cmd_write, 4};
static const IoOps ide_cmd_io = {cmd_read, cmd_write, 1};
static const IoOps ide_ctrl_io = {ctrl_read, ctrl_write, 1};

/* ---- bus-master registers ---- */

static uint8_t bm_read_byte(Ide *ide, unsigned off)
{
    IdeChannel *ch = &ide->ch[(off >> 3) & 1];
    switch (off & 7) {
    case 0: return ch->bm_cmd;
    case 2: return ch->bm_status;
    case 4:
    case 5:
    case 6:
    case 7: return (uint8_t)(ch->bm_prd >> (8 * ((off & 7) - 4)));
    default: return 0;
    }
}

static void bm_write_byte(Ide *ide, unsigned off, uint8_t v)
{
    IdeChannel *ch = &ide->ch[(off >> 3) & 1];
    switch (off & 7) {
    case 0: {
        uint8_t old = ch->bm_cmd;
        ch->bm_cmd = v & (BMCMD_START | BMCMD_TO_MEM);
        if ((v & BMCMD_START) && !(old & BMCMD_START)) {
            ch->bm_status |= BMST_ACTIVE;
            dma_start_if_ready(ch);
        } else if (!(v & BMCMD_START) && (old & BMCMD_START)) {
            /* Stop: the bus master goes idle; the drive keeps its state. */
            ch->bm_status &= (uint8_t)~BMST_ACTIVE;
            if (ch->pending == PEND_DMA) {
                cancel_pending(ch);
                ch->drive[ch->cur].status = ST_DRDY | ST_DSC | ST_DRQ;
            }
        }
        break;
    }
    case 2:
        ch->bm_status = (uint8_t)((ch->bm_status & ~(BMST_CAP | BMST_ERROR | BMST_INT)) |
                                  (ch->bm_status & ~v & (BMST_ERROR | BMST_INT)) | (v & BMST_CAP));
        break;
    case 4:
    case 5:
    case 6:
    case 7: {
        unsigned sh = 8 * ((off & 7) - 4);
        ch->bm_prd = (ch->bm_prd & ~(0xFFu << sh)) | ((uint32_t)v << sh);
        ch->bm_prd &= ~3u; /* dword aligned */
        break;
    }
    default: break;
    }
}

static uint32_t bm_read(void *opaque, uint16_t port, unsigned size)
{
    Ide *ide = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)bm_read_byte(ide, (unsigned)(port - ide->bm_base + i) & 15) << (8 * i);
    return v;
}

static void bm_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    Ide *ide = opaque;
    for (unsigned i = 0; i < size; i++)
        bm_write_byte(ide, (unsigned)(port - ide->bm_base + i) & 15, (uint8_t)(val >> (8 * i)));
}

static const IoOps ide_bm_io = {bm_read, bm_write, 4};

void ide_bm_set_base(Ide *ide, uint16_t base)
{
    if (!ide) return;
    if (ide->bm_base) bus_unregister_io(ide->bus, ide->bm_base, IDE_BM_PORTS);
    ide->bm_base = base & 0xFFF0;
    if (ide->bm_base) bus_register_io(ide->bus, ide->bm_base, IDE_BM_PORTS, &ide_bm_io, ide);
}

/* ---- life cycle ---- */

bool ide_irq_level(const Ide *ide, int channel)
{
    return ide && channel >= 0 && channel < 2 && ide->ch[channel].irq_level;
}

void ide_reset(void *opaque)
{
    Ide *ide = opaque;
    if (!ide) return;
    for (int c = 0; c < 2; c++) {
        IdeChannel *ch = &ide->ch[c];
        cancel_pending(ch);
        ch->xfer = XFER_NONE;
        ch->identify = false;
        ch->cur = 0;
        ch->feature = ch->hob_feature = 0;
        set_signature(ch);
        ch->devctl = 0;
        ch->bm_cmd = 0;
        ch->bm_status = 0;
        ch->bm_prd = 0;
        for (int u = 0; u < 2; u++)
            drive_power_on(&ch->drive[u]);
        update_irq(ch);
    }
}

Ide *ide_new(Bus *bus, IrqLine irq14, IrqLine irq15, Clock *clock, const IdeConfig *cfg)
{
    Ide *ide = calloc(1, sizeof *ide);
    if (!ide) return NULL;
    ide->ch[0].buf = calloc(1, IDE_BUF_BYTES);
    ide->ch[1].buf = calloc(1, IDE_BUF_BYTES);
    if (!ide->ch[0].buf || !ide->ch[1].buf) {
        free(ide->ch[0].buf);
        free(ide->ch[1].buf);
        free(ide);
        return NULL;
    }
    ide->bus = bus;
    ide->clock = clock;
    for (int c = 0; c < 2; c++) {
        IdeChannel *ch = &ide->ch[c];
        ch->ide = ide;
        ch->index = c;
        ch->base = c == 0 ? IDE_PRIMARY_BASE : IDE_SECONDARY_BASE;
        ch->ctrl = c == 0 ? IDE_PRIMARY_CTRL : IDE_SECONDARY_CTRL;
        ch->irq = c == 0 ? irq14 : irq15;
        for (int u = 0; u < 2; u++)
            drive_init(&ch->drive[u], cfg ? cfg->disk[c * 2 + u] : NULL, c * 2 + u);
        if (clock) timer_init(&ch->timer, clock, ch_timer, ch, c == 0 ? "ide0" : "ide1");
        bus_register_io(bus, ch->base, 1, &ide_data_io, ch);
        bus_register_io(bus, (uint16_t)(ch->base + 1), 7, &ide_cmd_io, ch);
        bus_register_io(bus, ch->ctrl, 1, &ide_ctrl_io, ch);
    }
    ide_reset(ide);
    return ide;
}

void ide_free(void *opaque)
{
    Ide *ide = opaque;
    if (!ide) return;
    ide_bm_set_base(ide, 0);
    for (int c = 0; c < 2; c++) {
        IdeChannel *ch = &ide->ch[c];
        if (ide->clock) timer_del(&ch->timer);
        bus_unregister_io(ide->bus, ch->base, 8);
        bus_unregister_io(ide->bus, ch->ctrl, 1);
        free(ch->buf);
    }
    free(ide);
}

const DeviceOps ide_device_ops = {"ide", ide_reset, NULL, NULL, ide_free};
