/*
 * test_ide.c - the PIIX3 IDE function (devices/ide.c) with ATA disks on raw
 * images (devices/blockdev.c), on a real bus and a virtual clock at 1 ns per
 * instruction. Images are small files in a temporary directory; sector s
 * holds s in its first four bytes and (s * 7 + i) & 0xFF in byte i after.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/blockdev.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/irq.h"
#include "devices/ide.h"

#define DISK_SECTORS 2048u /* 1 MiB: 2 cylinders of 16 heads * 63 sectors */
#define BM_BASE      0xC000
#define P            0x1F0 /* primary command block */
#define PCTL         0x3F6

enum {
    ST_ERR = 0x01,
    ST_DRQ = 0x08,
    ST_DSC = 0x10,
    ST_DRDY = 0x40,
    ST_BSY = 0x80,
    ER_ABRT = 0x04,
    ER_IDNF = 0x10,
};

typedef struct IrqRec {
    int level[16];
    int rises[16];
} IrqRec;

static Bus *bus;
static Clock clk;
static IrqRec rec;
static Ide *ide;
static BlockDev *disk;
static char dir[64];
static char img[128];

static void rec_set(void *opaque, int n, int level)
{
    IrqRec *r = opaque;
    if (level && !r->level[n]) r->rises[n]++;
    r->level[n] = level;
}

static void out8(uint16_t port, uint8_t v)
{
    bus_io_write(bus, port, v, 1);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_io_read(bus, port, 1);
}
static uint16_t in16(uint16_t port)
{
    return (uint16_t)bus_io_read(bus, port, 2);
}
static void out16(uint16_t port, uint16_t v)
{
    bus_io_write(bus, port, v, 2);
}

static uint8_t pattern(uint64_t s, unsigned i)
{
    if (i < 4) return (uint8_t)(s >> (8 * i));
    return (uint8_t)(s * 7 + i);
}

static void make_image(const char *path, uint32_t sectors)
{
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    ck_assert_int_ge(fd, 0);
    uint8_t sec[512];
    for (uint32_t s = 0; s < sectors; s++) {
        for (unsigned i = 0; i < 512; i++)
            sec[i] = pattern(s, i);
        ck_assert_int_eq(write(fd, sec, 512), 512);
    }
    close(fd);
}

static void file_sector(const char *path, uint64_t s, uint8_t *out)
{
    int fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, out, 512, (off_t)(s * 512)), 512);
    close(fd);
}

/* Runs the clock (and the device's timers) for ns of virtual time. */
static void run_ns(uint64_t ns)
{
    uint64_t target = clock_now_ns(&clk) + ns;
    for (;;) {
        uint64_t d = clock_next_deadline(&clk);
        if (d > target) break;
        uint64_t now = clock_now_ns(&clk);
        if (d > now) clock_step_insns(&clk, d - now);
        clock_run_timers(&clk);
    }
    uint64_t now = clock_now_ns(&clk);
    if (target > now) clock_step_insns(&clk, target - now);
    clock_run_timers(&clk);
}

/* Polls the alternate status until BSY clears, as a driver does. */
static uint8_t wait_ready(uint16_t ctl)
{
    for (int i = 0; i < 1000; i++) {
        uint8_t st = in8(ctl);
        if (!(st & ST_BSY)) return st;
        run_ns(100);
    }
    ck_abort_msg("BSY never cleared");
    return 0;
}

static void setup_with(BlockDev *slave)
{
    snprintf(dir, sizeof dir, "/tmp/brisk-ide-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(img, sizeof img, "%s/disk.img", dir);
    make_image(img, DISK_SECTORS);
    char err[256];
    disk = blockdev_open(img, false, false, err, sizeof err);
    ck_assert_msg(disk != NULL, "%s", err);
    bus = bus_new();
    bus_add_ram(bus, 0, 1 << 20, "ram");
    clock_init(&clk, 1000000000);
    memset(&rec, 0, sizeof rec);
    IdeConfig cfg = {{disk, slave, NULL, NULL}};
    ide = ide_new(bus, irq_line(rec_set, &rec, 14), irq_line(rec_set, &rec, 15), &clk, &cfg);
    ck_assert_ptr_nonnull(ide);
    ide_bm_set_base(ide, BM_BASE);
}

static void setup(void)
{
    setup_with(NULL);
}

static void teardown(void)
{
    ide_free(ide);
    bus_free(bus);
    blockdev_close(disk);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void lba28(uint32_t lba, uint8_t count)
{
    out8(P + 2, count);
    out8(P + 3, (uint8_t)lba);
    out8(P + 4, (uint8_t)(lba >> 8));
    out8(P + 5, (uint8_t)(lba >> 16));
    out8(P + 6, (uint8_t)(0xE0 | ((lba >> 24) & 0x0F)));
}

static void lba48(uint64_t lba, uint16_t count)
{
    out8(P + 2, (uint8_t)(count >> 8));
    out8(P + 2, (uint8_t)count);
    out8(P + 3, (uint8_t)(lba >> 24));
    out8(P + 3, (uint8_t)lba);
    out8(P + 4, (uint8_t)(lba >> 32));
    out8(P + 4, (uint8_t)(lba >> 8));
    out8(P + 5, (uint8_t)(lba >> 40));
    out8(P + 5, (uint8_t)(lba >> 16));
    out8(P + 6, 0x40);
}

/* Reads one DRQ block of n sectors and checks it against sectors s... */
static void read_block_check(uint64_t s, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        for (unsigned i = 0; i < 512; i += 2) {
            uint16_t w = in16(P);
            ck_assert_msg(w == (pattern(s + k, i) | pattern(s + k, i + 1) << 8),
                          "sector %llu byte %u", (unsigned long long)(s + k), i);
        }
}

static void write_block(uint8_t fill, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        for (unsigned i = 0; i < 512; i += 2)
            out16(P, (uint16_t)((fill + k) | (i & 0xFF) << 8));
}

static void check_written(uint64_t s, uint8_t fill)
{
    uint8_t sec[512];
    file_sector(img, s, sec);
    for (unsigned i = 0; i < 512; i += 2) {
        ck_assert_int_eq(sec[i], fill);
        ck_assert_int_eq(sec[i + 1], i & 0xFF);
    }
}

START_TEST(test_identify)
{
    out8(P + 6, 0xA0);
    out8(P + 7, 0xEC);
    /* BSY first, no interrupt yet; then DRQ with INTRQ. */
    ck_assert_int_eq(in8(PCTL) & (ST_BSY | ST_DRQ), ST_BSY);
    ck_assert_int_eq(rec.level[14], 0);
    uint8_t st = wait_ready(PCTL);
    ck_assert_int_eq(st & (ST_BSY | ST_DRQ | ST_ERR | ST_DRDY), ST_DRQ | ST_DRDY);
    ck_assert_int_eq(rec.level[14], 1);
    in8(P + 7);
    ck_assert_int_eq(rec.level[14], 0);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = in16(P);
    ck_assert_int_eq(in8(P + 7) & (ST_BSY | ST_DRQ), 0);
    ck_assert_int_eq(rec.rises[14], 1);
    char model[41];
    for (int i = 0; i < 20; i++) {
        model[2 * i] = (char)(w[27 + i] >> 8);
        model[2 * i + 1] = (char)w[27 + i];
    }
    model[40] = 0;
    ck_assert_str_eq(model, "BRISK HARDDISK                          ");
    ck_assert_int_eq(w[0] & 0x8000, 0);
    ck_assert_int_eq(w[1], 2); /* 2048 / (16 * 63) */
    ck_assert_int_eq(w[3], 16);
    ck_assert_int_eq(w[6], 63);
    ck_assert_int_eq(w[60] | (uint32_t)w[61] << 16, DISK_SECTORS);
    ck_assert_int_eq(w[100] | (uint32_t)w[101] << 16, DISK_SECTORS);
    ck_assert_int_eq(w[102] | w[103], 0);
    ck_assert_int_eq(w[47] & 0xFF, 16);
    ck_assert(w[49] & (1 << 9));  /* LBA */
    ck_assert(w[49] & (1 << 8));  /* DMA */
    ck_assert(w[83] & (1 << 10)); /* LBA48 */
    ck_assert_int_eq(w[63] & 7, 7);
    ck_assert_int_eq(w[88] & 0x3F, 0x3F);
    ck_assert(w[10] != 0x2020); /* a serial number */
    ck_assert_int_eq(w[255] & 0xFF, 0xA5);
    uint8_t sum = 0;
    for (int i = 0; i < 256; i++)
        sum = (uint8_t)(sum + (w[i] & 0xFF) + (w[i] >> 8));
    ck_assert_int_eq(sum, 0);
}
END_TEST

START_TEST(test_pio_read_lba28)
{
    lba28(5, 3);
    out8(P + 7, 0x20);
    for (int b = 0; b < 3; b++) {
        uint8_t st = wait_ready(PCTL);
        ck_assert_int_eq(st & (ST_DRQ | ST_ERR), ST_DRQ);
        ck_assert_int_eq(rec.level[14], 1);
        in8(P + 7); /* acknowledge */
        ck_assert_int_eq(rec.level[14], 0);
        read_block_check(5 + (unsigned)b, 1);
    }
    /* After the last block: ready at once, no further interrupt. */
    ck_assert_int_eq(in8(PCTL) & (ST_BSY | ST_DRQ | ST_ERR), 0);
    ck_assert_int_eq(rec.rises[14], 3);
    run_ns(10000);
    ck_assert_int_eq(rec.rises[14], 3);
    ck_assert_int_eq(in8(P + 3), 7); /* the last sector transferred */
}
END_TEST

START_TEST(test_pio_read_32bit)
{
    lba28(9, 1);
    out8(P + 7, 0x21);
    wait_ready(PCTL);
    for (unsigned i = 0; i < 512; i += 4) {
        uint32_t v = bus_io_read(bus, P, 4);
        uint32_t want = pattern(9, i) | pattern(9, i + 1) << 8 | pattern(9, i + 2) << 16 |
                        (uint32_t)pattern(9, i + 3) << 24;
        ck_assert_uint_eq(v, want);
    }
    ck_assert_int_eq(in8(P + 7) & ST_DRQ, 0);
}
END_TEST

START_TEST(test_pio_write_lba28)
{
    lba28(100, 2);
    out8(P + 7, 0x30);
    /* Data-out: DRQ for the first block without an interrupt. */
    uint8_t st = wait_ready(PCTL);
    ck_assert_int_eq(st & ST_DRQ, ST_DRQ);
    ck_assert_int_eq(rec.rises[14], 0);
    write_block(0x40, 1);
    /* The block is on the file before the next DRQ. */
    check_written(100, 0x40);
    st = wait_ready(PCTL);
    ck_assert_int_eq(st & ST_DRQ, ST_DRQ);
    ck_assert_int_eq(rec.rises[14], 1);
    in8(P + 7);
    write_block(0x50, 1);
    st = wait_ready(PCTL);
    ck_assert_int_eq(st & (ST_DRQ | ST_ERR), 0);
    ck_assert_int_eq(rec.rises[14], 2);
    check_written(101, 0x50);
    uint8_t sec[512];
    file_sector(img, 102, sec);
    ck_assert_int_eq(sec[0], 102); /* untouched */
}
END_TEST

START_TEST(test_chs)
{
    /* Default translation 16 heads * 63: C/H/S 0/1/1 is LBA 63. */
    out8(P + 2, 1);
    out8(P + 3, 1);
    out8(P + 4, 0);
    out8(P + 5, 0);
    out8(P + 6, 0xA1);
    out8(P + 7, 0x20);
    ck_assert_int_eq(wait_ready(PCTL) & ST_DRQ, ST_DRQ);
    read_block_check(63, 1);
    /* INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors; 1/0/1 is LBA 68. */
    out8(P + 2, 17);
    out8(P + 6, 0xA3);
    out8(P + 7, 0x91);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, 0);
    out8(P + 2, 1);
    out8(P + 3, 1);
    out8(P + 4, 1);
    out8(P + 5, 0);
    out8(P + 6, 0xA0);
    out8(P + 7, 0x30);
    wait_ready(PCTL);
    write_block(0x77, 1);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, 0);
    check_written(68, 0x77);
    /* Sector 18 does not exist with 17 sectors per track. */
    out8(P + 2, 1);
    out8(P + 3, 18);
    out8(P + 7, 0x20);
    uint8_t st = wait_ready(PCTL);
    ck_assert_int_eq(st & (ST_ERR | ST_DRQ), ST_ERR);
    ck_assert_int_eq(in8(P + 1), ER_IDNF);
}
END_TEST

START_TEST(test_multiple)
{
    lba28(0, 8);
    out8(P + 7, 0xC4);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, ST_ERR); /* multiple mode is off */
    ck_assert_int_eq(in8(P + 1), ER_ABRT);
    out8(P + 2, 3);
    out8(P + 7, 0xC6);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, ST_ERR); /* not a power of two */
    out8(P + 2, 4);
    out8(P + 7, 0xC6);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, 0);
    in8(P + 7);
    rec.rises[14] = 0;
    lba28(20, 10);
    out8(P + 7, 0xC4);
    unsigned sizes[3] = {4, 4, 2}, s = 20;
    for (int b = 0; b < 3; b++) {
        ck_assert_int_eq(wait_ready(PCTL) & ST_DRQ, ST_DRQ);
        in8(P + 7);
        read_block_check(s, sizes[b]);
        s += sizes[b];
    }
    ck_assert_int_eq(rec.rises[14], 3);
    ck_assert_int_eq(in8(P + 7) & ST_DRQ, 0);
    rec.rises[14] = 0;
    lba28(300, 6);
    out8(P + 7, 0xC5);
    ck_assert_int_eq(wait_ready(PCTL) & ST_DRQ, ST_DRQ);
    write_block(0x10, 4);
    ck_assert_int_eq(wait_ready(PCTL) & ST_DRQ, ST_DRQ);
    ck_assert_int_eq(rec.rises[14], 1);
    in8(P + 7);
    write_block(0x14, 2);
    ck_assert_int_eq(wait_ready(PCTL) & (ST_DRQ | ST_ERR), 0);
    ck_assert_int_eq(rec.rises[14], 2);
    for (unsigned k = 0; k < 6; k++)
        check_written(300 + k, (uint8_t)(0x10 + k));
    /* IDENTIFY word 59 reports the setting. */
    out8(P + 7, 0xEC);
    wait_ready(PCTL);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = in16(P);
    ck_assert_int_eq(w[59], 0x0104);
}
END_TEST

START_TEST(test_lba48_and_hob)
{
    lba48(0x000000000123ull, 2);
    /* The previous contents: HOB set reads the high bytes written first. */
    out8(PCTL, 0x80);
    ck_assert_int_eq(in8(P + 2), 0);
    out8(PCTL, 0x00);
    ck_assert_int_eq(in8(P + 2), 2);
    ck_assert_int_eq(in8(P + 3), 0x23);
    out8(P + 7, 0x24);
    for (int b = 0; b < 2; b++) {
        ck_assert_int_eq(wait_ready(PCTL) & ST_DRQ, ST_DRQ);
        read_block_check(0x123 + (unsigned)b, 1);
    }
    ck_assert_int_eq(in8(P + 7) & (ST_DRQ | ST_ERR), 0);
    /* Beyond the disk: sector 1 << 40. */
    lba48(0x010000000005ull, 1);
    out8(P + 7, 0x24);
    uint8_t st = wait_ready(PCTL);
    ck_assert_int_eq(st & (ST_ERR | ST_DRQ), ST_ERR);
    ck_assert_int_eq(in8(P + 1), ER_IDNF);
    ck_assert_int_eq(in8(P + 3), 0x05);
    ck_assert_int_eq(in8(P + 5), 0x00);
    out8(PCTL, 0x80);
    ck_assert_int_eq(in8(P + 5), 0x01); /* LBA bits 47:40 */
    ck_assert_int_eq(in8(P + 3), 0x00);
    /* Writing a command block register clears HOB. */
    out8(P + 1, 0);
    ck_assert_int_eq(in8(P + 5), 0x00);
    /* LBA48 write with EXT. */
    lba48(0x200, 1);
    out8(P + 7, 0x34);
    wait_ready(PCTL);
    write_block(0x99, 1);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, 0);
    check_written(0x200, 0x99);
}
END_TEST

START_TEST(test_nien)
{
    out8(PCTL, 0x02); /* nIEN */
    lba28(1, 1);
    out8(P + 7, 0x40); /* READ VERIFY */
    wait_ready(PCTL);
    run_ns(5000);
    ck_assert_int_eq(rec.rises[14], 0);
    /* The pending interrupt appears when nIEN is cleared... */
    out8(PCTL, 0x00);
    ck_assert_int_eq(rec.level[14], 1);
    /* ...and goes when the host reads Status (not Alternate Status). */
    in8(PCTL);
    ck_assert_int_eq(rec.level[14], 1);
    in8(P + 7);
    ck_assert_int_eq(rec.level[14], 0);
    /* Writing the command register also clears it. */
    out8(P + 7, 0x70);
    wait_ready(PCTL);
    ck_assert_int_eq(rec.level[14], 1);
    out8(P + 7, 0x70);
    ck_assert_int_eq(rec.level[14], 0);
    wait_ready(PCTL);
    ck_assert_int_eq(rec.level[14], 1);
}
END_TEST

START_TEST(test_out_of_range)
{
    lba28(DISK_SECTORS - 1, 2);
    out8(P + 7, 0x20);
    uint8_t st = wait_ready(PCTL);
    ck_assert_int_eq(st & (ST_ERR | ST_DRQ | ST_DRDY), ST_ERR | ST_DRDY);
    ck_assert_int_eq(in8(P + 1), ER_IDNF);
    ck_assert_int_eq(rec.level[14], 1);
    ck_assert_int_eq(in8(P + 3) | in8(P + 4) << 8, DISK_SECTORS); /* first bad sector */
    /* The last sector alone is fine. */
    lba28(DISK_SECTORS - 1, 1);
    out8(P + 7, 0x20);
    ck_assert_int_eq(wait_ready(PCTL) & (ST_ERR | ST_DRQ), ST_DRQ);
    read_block_check(DISK_SECTORS - 1, 1);
    /* An unknown command aborts. */
    out8(P + 7, 0xB0);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, ST_ERR);
    ck_assert_int_eq(in8(P + 1), ER_ABRT);
}
END_TEST

START_TEST(test_flush_and_features)
{
    ck_assert_uint_eq(blockdev_flush_count(disk), 0);
    out8(P + 7, 0xE7);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, 0);
    ck_assert_uint_eq(blockdev_flush_count(disk), 1);
    out8(P + 7, 0xEA);
    wait_ready(PCTL);
    ck_assert_uint_eq(blockdev_flush_count(disk), 2);
    out8(P + 1, 0x03);
    out8(P + 2, 0x45); /* UDMA 5 */
    out8(P + 7, 0xEF);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, 0);
    out8(P + 1, 0x03);
    out8(P + 2, 0x27); /* MWDMA 7 does not exist */
    out8(P + 7, 0xEF);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, ST_ERR);
    out8(P + 7, 0xEC);
    wait_ready(PCTL);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = in16(P);
    ck_assert_int_eq(w[88], 0x203F);
    ck_assert_int_eq(w[63] & 0x0700, 0);
    out8(P + 7, 0xE0); /* STANDBY IMMEDIATE */
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, 0);
}
END_TEST

START_TEST(test_srst_signature)
{
    lba28(0x123456, 9);
    out8(PCTL, 0x04);
    ck_assert_int_eq(in8(PCTL) & ST_BSY, ST_BSY);
    out8(PCTL, 0x00);
    uint8_t st = wait_ready(PCTL);
    ck_assert_int_eq(st & (ST_DRDY | ST_ERR | ST_DRQ), ST_DRDY);
    ck_assert_int_eq(in8(P + 1), 0x01);
    ck_assert_int_eq(in8(P + 2), 0x01);
    ck_assert_int_eq(in8(P + 3), 0x01);
    ck_assert_int_eq(in8(P + 4), 0x00);
    ck_assert_int_eq(in8(P + 5), 0x00);
    ck_assert_int_eq(in8(P + 6) & 0x10, 0);
    ck_assert_int_eq(rec.rises[14], 0);
    /* EXECUTE DEVICE DIAGNOSTIC: the same signature, with an interrupt. */
    lba28(0x42, 3);
    out8(P + 7, 0x90);
    wait_ready(PCTL);
    ck_assert_int_eq(in8(P + 1), 0x01);
    ck_assert_int_eq(in8(P + 2), 0x01);
    ck_assert_int_eq(in8(P + 3), 0x01);
    ck_assert_int_eq(rec.rises[14], 1);
    /* DEVICE RESET is for packet devices: an ATA disk aborts it. */
    out8(P + 7, 0x08);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, ST_ERR);
}
END_TEST

START_TEST(test_missing_slave)
{
    out8(P + 6, 0xB0);
    ck_assert_int_eq(in8(P + 7), 0x00);
    ck_assert_int_eq(in8(PCTL), 0x00);
    /* Device 0 latches the writes and answers the other registers. */
    out8(P + 2, 0x55);
    out8(P + 3, 0xAA);
    ck_assert_int_eq(in8(P + 2), 0x55);
    ck_assert_int_eq(in8(P + 3), 0xAA);
    out8(P + 7, 0xEC);
    run_ns(10000);
    ck_assert_int_eq(in8(P + 7), 0x00);
    ck_assert_int_eq(rec.rises[14], 0);
    /* The master is unaffected. */
    out8(P + 6, 0xA0);
    ck_assert_int_eq(in8(P + 7) & (ST_DRDY | ST_BSY), ST_DRDY);
    /* The secondary channel has no device at all: the bus floats. */
    ck_assert_int_eq(in8(0x177), 0xFF);
    ck_assert_int_eq(in8(0x376), 0xFF);
    out8(0x172, 0x55);
    ck_assert_int_eq(in8(0x172), 0xFF);
}
END_TEST

static void prd(uint32_t at, uint32_t addr, uint32_t bytes, bool eot)
{
    bus_write(bus, at, addr, 4);
    bus_write(bus, at + 4, (bytes & 0xFFFF) | (eot ? 0x80000000u : 0), 4);
}

START_TEST(test_dma_read)
{
    prd(0x1000, 0x2000, 512, false);
    prd(0x1008, 0x3000, 1024, true);
    bus_io_write(bus, BM_BASE + 4, 0x1000, 4);
    out8(BM_BASE + 2, 0x06); /* clear INT and ERR */
    out8(BM_BASE, 0x08);     /* to memory, not started */
    lba28(40, 3);
    out8(P + 7, 0xC8);
    run_ns(5000);
    ck_assert_int_eq(rec.rises[14], 0); /* waits for the bus master */
    out8(BM_BASE, 0x09);
    ck_assert_int_eq(in8(BM_BASE + 2) & 0x01, 0x01);
    uint8_t st = wait_ready(PCTL);
    ck_assert_int_eq(st & (ST_DRQ | ST_ERR), 0);
    ck_assert_int_eq(rec.level[14], 1);
    uint8_t bms = in8(BM_BASE + 2);
    ck_assert_int_eq(bms & 0x07, 0x04); /* interrupt, not active, no error */
    out8(BM_BASE, 0x08);
    out8(BM_BASE + 2, 0x04);
    ck_assert_int_eq(in8(BM_BASE + 2) & 0x04, 0);
    uint8_t buf[1024];
    bus_read_block(bus, 0x2000, buf, 512);
    for (unsigned i = 0; i < 512; i++)
        ck_assert_int_eq(buf[i], pattern(40, i));
    bus_read_block(bus, 0x3000, buf, 1024);
    for (unsigned i = 0; i < 512; i++)
        ck_assert_int_eq(buf[i], pattern(41, i));
    for (unsigned i = 0; i < 512; i++)
        ck_assert_int_eq(buf[512 + i], pattern(42, i));
}
END_TEST

START_TEST(test_dma_write_ext)
{
    uint8_t data[1536];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 3 + 1);
    bus_write_block(bus, 0x4000, data, 1024);
    bus_write_block(bus, 0x6000, data + 1024, 512);
    prd(0x1000, 0x4000, 1024, false);
    prd(0x1008, 0x6000, 512, true);
    bus_io_write(bus, BM_BASE + 4, 0x1000, 4);
    out8(BM_BASE, 0x01); /* start first, from memory */
    lba48(500, 3);
    out8(P + 7, 0x35);
    uint8_t st = wait_ready(PCTL);
    ck_assert_int_eq(st & (ST_DRQ | ST_ERR), 0);
    ck_assert_int_eq(in8(BM_BASE + 2) & 0x07, 0x04);
    ck_assert_int_eq(rec.rises[14], 1);
    for (unsigned s = 0; s < 3; s++) {
        uint8_t sec[512];
        file_sector(img, 500 + s, sec);
        ck_assert_mem_eq(sec, data + s * 512, 512);
    }
    uint8_t sec[512];
    file_sector(img, 503, sec);
    ck_assert_int_eq(sec[0], (uint8_t)503);
}
END_TEST

START_TEST(test_dma_short_prd)
{
    /* A PRD table smaller than the transfer: idle, no interrupt. */
    prd(0x1000, 0x2000, 512, true);
    bus_io_write(bus, BM_BASE + 4, 0x1000, 4);
    out8(BM_BASE, 0x09);
    lba28(0, 2);
    out8(P + 7, 0xC8);
    run_ns(10000);
    ck_assert_int_eq(in8(BM_BASE + 2) & 0x07, 0x00);
    ck_assert_int_eq(rec.rises[14], 0);
    ck_assert_int_eq(in8(PCTL) & ST_DRQ, ST_DRQ);
}
END_TEST

START_TEST(test_snapshot)
{
    char err[256];
    char path[160];
    snprintf(path, sizeof path, "%s/snap.img", dir);
    make_image(path, 64);
    BlockDev *bd = blockdev_open(path, false, true, err, sizeof err);
    ck_assert_msg(bd != NULL, "%s", err);
    uint8_t sec[512], back[512];
    memset(sec, 0xAB, sizeof sec);
    ck_assert_int_eq(blockdev_write(bd, 3, sec, 1), 0);
    ck_assert_int_eq(blockdev_read(bd, 3, back, 1), 0);
    ck_assert_mem_eq(back, sec, 512);
    ck_assert_int_eq(blockdev_read(bd, 4, back, 1), 0);
    ck_assert_int_eq(back[0], 4);
    ck_assert_int_eq(blockdev_flush(bd), 0);
    file_sector(path, 3, back);
    ck_assert_int_eq(back[0], 3); /* the file is unchanged */
    /* Through the IDE disk on the secondary channel. */
    ide_free(ide);
    IdeConfig cfg = {{disk, NULL, bd, NULL}};
    ide = ide_new(bus, irq_line(rec_set, &rec, 14), irq_line(rec_set, &rec, 15), &clk, &cfg);
    out8(0x172, 1);
    out8(0x173, 10);
    out8(0x174, 0);
    out8(0x175, 0);
    out8(0x176, 0xE0);
    out8(0x177, 0x30);
    wait_ready(0x376);
    for (int i = 0; i < 256; i++)
        out16(0x170, 0x5A5A);
    ck_assert_int_eq(wait_ready(0x376) & ST_ERR, 0);
    ck_assert_int_eq(rec.rises[15], 1);
    out8(0x172, 1);
    out8(0x173, 10);
    out8(0x177, 0x20);
    wait_ready(0x376);
    ck_assert_int_eq(in16(0x170), 0x5A5A);
    file_sector(path, 10, back);
    ck_assert_int_eq(back[0], 10);
    ide_free(ide);
    ide = NULL;
    blockdev_close(bd);
    file_sector(path, 10, back);
    ck_assert_int_eq(back[0], 10);
    IdeConfig cfg2 = {{disk, NULL, NULL, NULL}};
    ide = ide_new(bus, irq_line(rec_set, &rec, 14), irq_line(rec_set, &rec, 15), &clk, &cfg2);
}
END_TEST

START_TEST(test_blockdev_errors)
{
    char err[256] = "";
    char path[160];
    snprintf(path, sizeof path, "%s/missing.img", dir);
    ck_assert_ptr_null(blockdev_open(path, false, false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "missing.img"));
    ck_assert_ptr_nonnull(strstr(err, strerror(ENOENT)));
    ck_assert_ptr_null(blockdev_open(dir, true, false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "directory"));
    snprintf(path, sizeof path, "%s/empty.img", dir);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    ck_assert_ptr_null(blockdev_open(path, false, false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "empty"));
    ck_assert_ptr_null(blockdev_open(path, false, false, NULL, 0));
    /* Two writers on one image: the second is refused. */
    ck_assert_ptr_null(blockdev_open(img, false, false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "in use"));
}
END_TEST

START_TEST(test_blockdev_odd_size_and_ro)
{
    char err[256];
    char path[160];
    snprintf(path, sizeof path, "%s/odd.img", dir);
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    uint8_t b[700];
    memset(b, 0x11, sizeof b);
    ck_assert_int_eq(write(fd, b, sizeof b), (ssize_t)sizeof b);
    close(fd);
    BlockDev *bd = blockdev_open(path, true, false, err, sizeof err);
    ck_assert_msg(bd != NULL, "%s", err);
    ck_assert_uint_eq(blockdev_sectors(bd), 2);
    ck_assert_uint_eq(blockdev_size_bytes(bd), 700);
    uint8_t sec[1024];
    ck_assert_int_eq(blockdev_read(bd, 0, sec, 2), 0);
    ck_assert_int_eq(sec[699], 0x11);
    ck_assert_int_eq(sec[700], 0x00);
    ck_assert_int_eq(sec[1023], 0x00);
    ck_assert_int_eq(blockdev_read(bd, 2, sec, 1), -EINVAL);
    ck_assert_int_eq(blockdev_write(bd, 0, sec, 1), -EROFS);
    /* A read-only disk aborts writes. */
    ide_free(ide);
    IdeConfig cfg = {{bd, NULL, NULL, NULL}};
    ide = ide_new(bus, irq_line(rec_set, &rec, 14), irq_line(rec_set, &rec, 15), &clk, &cfg);
    lba28(0, 1);
    out8(P + 7, 0x30);
    ck_assert_int_eq(wait_ready(PCTL) & (ST_ERR | ST_DRQ), ST_ERR);
    ck_assert_int_eq(in8(P + 1), ER_ABRT);
    ide_free(ide);
    blockdev_close(bd);
    IdeConfig cfg2 = {{disk, NULL, NULL, NULL}};
    ide = ide_new(bus, irq_line(rec_set, &rec, 14), irq_line(rec_set, &rec, 15), &clk, &cfg2);
}
END_TEST

START_TEST(test_large_sparse_disk)
{
    /* 200 GiB, sparse: CHS capped at 16383 cylinders, LBA28 capacity capped,
     * LBA48 capacity whole, and sectors beyond 2^28 reachable with EXT. */
    char err[256];
    char path[160];
    snprintf(path, sizeof path, "%s/big.img", dir);
    const uint64_t sectors = 200ull << 21;
    int fd = open(path, O_CREAT | O_WRONLY, 0644);
    ck_assert_int_ge(fd, 0);
    if (ftruncate(fd, (off_t)(sectors * 512)) != 0) {
        close(fd);
        return; /* the host file system cannot hold it: nothing to test */
    }
    close(fd);
    BlockDev *bd = blockdev_open(path, false, false, err, sizeof err);
    ck_assert_msg(bd != NULL, "%s", err);
    ide_free(ide);
    IdeConfig cfg = {{bd, NULL, NULL, NULL}};
    ide = ide_new(bus, irq_line(rec_set, &rec, 14), irq_line(rec_set, &rec, 15), &clk, &cfg);
    out8(P + 6, 0xA0);
    out8(P + 7, 0xEC);
    wait_ready(PCTL);
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = in16(P);
    ck_assert_int_eq(w[1], 16383);
    ck_assert_uint_eq(w[60] | (uint32_t)w[61] << 16, 0x0FFFFFFFu);
    uint64_t cap48 = w[100] | (uint64_t)w[101] << 16 | (uint64_t)w[102] << 32;
    ck_assert_uint_eq(cap48, sectors);
    uint64_t high = (1ull << 28) + 12345;
    lba48(high, 1);
    out8(P + 7, 0x34);
    wait_ready(PCTL);
    write_block(0x33, 1);
    ck_assert_int_eq(wait_ready(PCTL) & ST_ERR, 0);
    uint8_t sec[512];
    fd = open(path, O_RDONLY);
    ck_assert_int_eq(pread(fd, sec, 512, (off_t)(high * 512)), 512);
    close(fd);
    ck_assert_int_eq(sec[0], 0x33);
    ck_assert_int_eq(sec[3], 2);
    ide_free(ide);
    blockdev_close(bd);
    unlink(path);
    IdeConfig cfg2 = {{disk, NULL, NULL, NULL}};
    ide = ide_new(bus, irq_line(rec_set, &rec, 14), irq_line(rec_set, &rec, 15), &clk, &cfg2);
}
END_TEST

static Suite *ide_suite(void)
{
    Suite *s = suite_create("ide");
    TCase *tc = tcase_create("ata");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_identify);
    tcase_add_test(tc, test_pio_read_lba28);
    tcase_add_test(tc, test_pio_read_32bit);
    tcase_add_test(tc, test_pio_write_lba28);
    tcase_add_test(tc, test_chs);
    tcase_add_test(tc, test_multiple);
    tcase_add_test(tc, test_lba48_and_hob);
    tcase_add_test(tc, test_nien);
    tcase_add_test(tc, test_out_of_range);
    tcase_add_test(tc, test_flush_and_features);
    tcase_add_test(tc, test_srst_signature);
    tcase_add_test(tc, test_missing_slave);
    tcase_add_test(tc, test_dma_read);
    tcase_add_test(tc, test_dma_write_ext);
    tcase_add_test(tc, test_dma_short_prd);
    tcase_add_test(tc, test_snapshot);
    tcase_add_test(tc, test_blockdev_errors);
    tcase_add_test(tc, test_blockdev_odd_size_and_ro);
    tcase_add_test(tc, test_large_sparse_disk);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ide_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
