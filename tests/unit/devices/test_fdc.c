/*
 * test_fdc.c - the 82077AA floppy controller (devices/fdc.c) with a 1.44M
 * image in a temporary file, the 8237 DMA (devices/dma.c) and RAM on a
 * real bus, and a virtual clock at 1 ns per instruction. Each sector of the
 * image holds its LBA in its bytes, so what arrives in RAM says where it
 * came from.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/irq.h"
#include "devices/dma.h"
#include "devices/fdc.h"

#define IMG_BYTES 1474560u
#define SPT       18u

static Bus *bus;
static uint8_t *ram;
static Clock clk;
static Dma *dma;
static Fdc *fdc;
static int irq_level;
static int irq_rises;
static char img_path[64];
static char img2_path[64];

static void rec_set(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level && !irq_level) irq_rises++;
    irq_level = level;
}

static void out8(uint16_t port, uint8_t v)
{
    bus_io_write(bus, port, v, 1);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_io_read(bus, port, 1);
}

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

static uint8_t sector_byte(unsigned lba, unsigned i)
{
    return (uint8_t)(lba * 3 + i);
}

static void make_image(char *path, size_t size)
{
    strcpy(path, "/tmp/brisk-fdc-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    uint8_t sec[512];
    for (unsigned lba = 0; lba < size / 512; lba++) {
        for (unsigned i = 0; i < 512; i++)
            sec[i] = sector_byte(lba, i);
        ck_assert_int_eq(pwrite(fd, sec, 512, (off_t)lba * 512), 512);
    }
    close(fd);
}

static void cmd(const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq(in8(0x3F4) & 0xC0, 0x80); /* RQM, host to controller */
        out8(0x3F5, b[i]);
    }
}

static void result(uint8_t *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        ck_assert_uint_eq(in8(0x3F4) & 0xD0, 0xD0); /* RQM, DIO, CB */
        r[i] = in8(0x3F5);
    }
    ck_assert_uint_eq(in8(0x3F4) & 0xD0, 0x80); /* back in the command phase */
}

static void sense_int(uint8_t *st0, uint8_t *pcn)
{
    static const uint8_t c[] = {0x08};
    uint8_t r[2];
    cmd(c, 1);
    result(r, 2);
    *st0 = r[0];
    *pcn = r[1];
}

/* DMA channel 2 for len bytes at addr; mode 0x46 = write to memory, 0x4A =
 * read from memory. */
static void dma_setup(uint8_t mode, uint32_t addr, unsigned len)
{
    out8(0x0A, 0x06);
    out8(0x0C, 0);
    out8(0x0B, mode);
    out8(0x04, (uint8_t)addr);
    out8(0x04, (uint8_t)(addr >> 8));
    out8(0x81, (uint8_t)(addr >> 16));
    out8(0x05, (uint8_t)(len - 1));
    out8(0x05, (uint8_t)((len - 1) >> 8));
    out8(0x0A, 0x02);
}

static void seek(unsigned drive, unsigned head, uint8_t cyl)
{
    uint8_t c[] = {0x0F, (uint8_t)(head << 2 | drive), cyl};
    cmd(c, 3);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    uint8_t st0, pcn;
    sense_int(&st0, &pcn);
    ck_assert_uint_eq(st0, 0x20 | drive); /* the head bit reads 0 after a seek */
    ck_assert_uint_eq(pcn, cyl);
}

/* Reset through the DOR and take the four polling interrupts. */
static void controller_reset(void)
{
    out8(0x3F2, 0x08);
    out8(0x3F2, 0x1C); /* out of reset, DMA gate, motor 0 */
    run_ns(100000);
    for (unsigned d = 0; d < 4; d++) {
        uint8_t st0, pcn;
        sense_int(&st0, &pcn);
        ck_assert_uint_eq(st0, 0xC0 | d);
    }
}

static void setup(void)
{
    bus = bus_new();
    ram = bus_add_ram(bus, 0, 16 << 20, "ram");
    clock_init(&clk, 1000000000);
    dma = dma_new(bus);
    out8(0xD6, 0xC0); /* channel 4 cascade, unmasked */
    out8(0xD4, 0x00);
    irq_level = 0;
    irq_rises = 0;
    FdcConfig cfg = {.drives = 2};
    fdc = fdc_new(bus, dma, irq_line(rec_set, NULL, 6), &clk, &cfg);
    ck_assert_ptr_nonnull(fdc);
    make_image(img_path, IMG_BYTES);
    img2_path[0] = 0;
    char err[256];
    ck_assert_msg(fdc_attach(fdc, 0, img_path, false, err, sizeof err), "%s", err);
    controller_reset();
    static const uint8_t specify[] = {0x03, 0xAF, 0x02}; /* DMA mode */
    cmd(specify, 3);
    out8(0x3F7, 0x00); /* 500 kb/s */
}

static void teardown(void)
{
    fdc_free(fdc);
    dma_free(dma);
    bus_free(bus);
    unlink(img_path);
    if (img2_path[0]) unlink(img2_path);
}

START_TEST(test_reset_and_sense_interrupts)
{
    /* A reset through the DSR: the IRQ comes after a short delay. */
    ck_assert_int_eq(irq_level, 0);
    out8(0x3F4, 0x80);
    ck_assert_int_eq(irq_level, 0);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    uint8_t st0, pcn;
    for (unsigned d = 0; d < 4; d++) {
        sense_int(&st0, &pcn);
        ck_assert_uint_eq(st0, 0xC0 | d);
        ck_assert_uint_eq(pcn, 0);
        ck_assert_int_eq(irq_level, 0);
    }
    /* Nothing pending any more: invalid command. */
    static const uint8_t c[] = {0x08};
    uint8_t r;
    cmd(c, 1);
    result(&r, 1);
    ck_assert_uint_eq(r, 0x80);
    /* Held in reset: MSR reads 0, the DMA gate masks the IRQ. */
    out8(0x3F2, 0x00);
    ck_assert_uint_eq(in8(0x3F4), 0x00);
    out8(0x3F2, 0x04);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 0); /* pending but gated */
    out8(0x3F2, 0x0C);
    ck_assert_int_eq(irq_level, 1);
}
END_TEST

START_TEST(test_version_specify_dumpreg_lock)
{
    static const uint8_t version[] = {0x10};
    uint8_t r[10];
    cmd(version, 1);
    result(r, 1);
    ck_assert_uint_eq(r[0], 0x90);
    static const uint8_t configure[] = {0x13, 0x00, 0x57, 0x05};
    cmd(configure, 4);
    static const uint8_t perp[] = {0x12, 0x87};
    cmd(perp, 2);
    static const uint8_t lock[] = {0x94};
    cmd(lock, 1);
    result(r, 1);
    ck_assert_uint_eq(r[0], 0x10);
    seek(1, 0, 7);
    static const uint8_t dumpreg[] = {0x0E};
    cmd(dumpreg, 1);
    result(r, 10);
    ck_assert_uint_eq(r[0], 0);
    ck_assert_uint_eq(r[1], 7);
    ck_assert_uint_eq(r[4], 0xAF);
    ck_assert_uint_eq(r[5], 0x02);
    ck_assert_uint_eq(r[7], 0x80 | 0x07);
    ck_assert_uint_eq(r[8], 0x57);
    ck_assert_uint_eq(r[9], 0x05);
    /* A reset keeps the locked CONFIGURE and SPECIFY, clears GAP/WGATE;
     * POLL = 1 (0x10 set in 0x57): no polling interrupts. */
    out8(0x3F2, 0x08);
    out8(0x3F2, 0x0C);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 0);
    cmd(dumpreg, 1);
    result(r, 10);
    ck_assert_uint_eq(r[4], 0xAF);
    ck_assert_uint_eq(r[7], 0x80 | 0x04);
    ck_assert_uint_eq(r[8], 0x57);
    static const uint8_t unlock[] = {0x14};
    cmd(unlock, 1);
    result(r, 1);
    ck_assert_uint_eq(r[0], 0x00);
    /* An invalid opcode answers 0x80. */
    static const uint8_t bad[] = {0x1F};
    cmd(bad, 1);
    result(r, 1);
    ck_assert_uint_eq(r[0], 0x80);
}
END_TEST

START_TEST(test_seek_and_recalibrate)
{
    static const uint8_t s[] = {0x0F, 0x00, 40};
    cmd(s, 3);
    ck_assert_uint_eq(in8(0x3F4), 0x81); /* RQM, drive 0 busy */
    ck_assert_int_eq(irq_level, 0);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    ck_assert_uint_eq(in8(0x3F4), 0x80);
    uint8_t st0, pcn;
    sense_int(&st0, &pcn);
    ck_assert_uint_eq(st0, 0x20);
    ck_assert_uint_eq(pcn, 40);
    /* Relative seek, outwards by 5. */
    static const uint8_t rs[] = {0x8F, 0x00, 5};
    cmd(rs, 3);
    run_ns(100000);
    sense_int(&st0, &pcn);
    ck_assert_uint_eq(pcn, 35);
    static const uint8_t recal[] = {0x07, 0x00};
    cmd(recal, 2);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    sense_int(&st0, &pcn);
    ck_assert_uint_eq(st0, 0x20);
    ck_assert_uint_eq(pcn, 0);
    /* No drive 2: equipment check. */
    static const uint8_t recal2[] = {0x07, 0x02};
    cmd(recal2, 2);
    run_ns(100000);
    sense_int(&st0, &pcn);
    ck_assert_uint_eq(st0, 0x72);
    /* SENSE DRIVE STATUS: track 0, ready, two-sided, not protected. */
    static const uint8_t sds[] = {0x04, 0x04};
    uint8_t st3;
    cmd(sds, 2);
    result(&st3, 1);
    ck_assert_uint_eq(st3, 0x20 | 0x10 | 0x08 | 0x04);
}
END_TEST

START_TEST(test_read_sector_dma)
{
    dma_setup(0x46, 0x10000, 512);
    static const uint8_t rd[] = {0xE6, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF};
    cmd(rd, 9);
    ck_assert_uint_eq(in8(0x3F4) & 0xF0, 0x10); /* execution: CB only */
    run_ns(1000);
    ck_assert_int_eq(irq_level, 0); /* not before the execution phase */
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    uint8_t r[7];
    result(r, 7);
    ck_assert_int_eq(irq_level, 0);
    static const uint8_t want[] = {0x00, 0x00, 0x00, 0, 0, 2, 2};
    ck_assert_mem_eq(r, want, 7);
    for (unsigned i = 0; i < 512; i++)
        ck_assert_uint_eq(ram[0x10000 + i], sector_byte(0, i));
    ck_assert_uint_eq(ram[0x10200], 0);
    ck_assert_uint_eq(in8(0x08) & 0x04, 0x04); /* DMA TC */
}
END_TEST

START_TEST(test_multitrack_read_across_head)
{
    seek(0, 0, 2);
    dma_setup(0x46, 0x20000, 4 * 512);
    static const uint8_t rd[] = {0xC6, 0x00, 2, 0, 17, 2, 18, 0x1B, 0xFF};
    cmd(rd, 9);
    run_ns(100000);
    uint8_t r[7];
    result(r, 7);
    static const uint8_t want[] = {0x04, 0x00, 0x00, 2, 1, 3, 2};
    ck_assert_mem_eq(r, want, 7);
    unsigned lbas[4] = {2 * 36 + 16, 2 * 36 + 17, 2 * 36 + 18, 2 * 36 + 19};
    for (unsigned s = 0; s < 4; s++)
        for (unsigned i = 0; i < 512; i += 37)
            ck_assert_uint_eq(ram[0x20000 + s * 512 + i], sector_byte(lbas[s], i));
}
END_TEST

START_TEST(test_read_to_end_of_track_without_tc)
{
    seek(0, 1, 3);
    dma_setup(0x46, 0x30000, 8192);
    static const uint8_t rd[] = {0x46, 0x04, 3, 1, 17, 2, 18, 0x1B, 0xFF};
    cmd(rd, 9);
    run_ns(100000);
    uint8_t r[7];
    result(r, 7);
    /* End of cylinder: C+1, R=1, ST1 EN, abnormal termination. */
    static const uint8_t want[] = {0x44, 0x80, 0x00, 4, 1, 1, 2};
    ck_assert_mem_eq(r, want, 7);
    ck_assert_uint_eq(ram[0x30000 + 512], sector_byte(3 * 36 + 18 + 17, 0));
}
END_TEST

START_TEST(test_sector_not_found)
{
    dma_setup(0x46, 0x10000, 512);
    static const uint8_t rd[] = {0x46, 0x00, 0, 0, 19, 2, 19, 0x1B, 0xFF};
    cmd(rd, 9);
    run_ns(100000);
    uint8_t r[7];
    result(r, 7);
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x04);
    /* Wrong cylinder in the command: ND and WC. */
    static const uint8_t rd2[] = {0x46, 0x00, 5, 0, 1, 2, 18, 0x1B, 0xFF};
    cmd(rd2, 9);
    run_ns(100000);
    result(r, 7);
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x04);
    ck_assert_uint_eq(r[2], 0x10);
    /* Wrong data rate (250 kb/s on a 1.44M disk): no address mark. */
    out8(0x3F7, 0x02);
    cmd(rd, 9);
    run_ns(100000);
    result(r, 7);
    ck_assert_uint_eq(r[1], 0x01);
}
END_TEST

START_TEST(test_write_sector_reaches_image)
{
    seek(0, 1, 10);
    for (unsigned i = 0; i < 1024; i++)
        ram[0x40000 + i] = (uint8_t)(0x5A ^ i);
    dma_setup(0x4A, 0x40000, 1024);
    static const uint8_t wr[] = {0xC5, 0x04, 10, 1, 5, 2, 18, 0x1B, 0xFF};
    cmd(wr, 9);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    uint8_t r[7];
    result(r, 7);
    static const uint8_t want[] = {0x04, 0x00, 0x00, 10, 1, 7, 2};
    ck_assert_mem_eq(r, want, 7);
    FILE *fp = fopen(img_path, "rb");
    ck_assert_ptr_nonnull(fp);
    uint8_t sec[1024];
    fseek(fp, (long)((10 * 36 + 18 + 4) * 512), SEEK_SET);
    ck_assert_uint_eq(fread(sec, 1, 1024, fp), 1024);
    fclose(fp);
    ck_assert_mem_eq(sec, ram + 0x40000, 1024);
}
END_TEST

START_TEST(test_read_id)
{
    seek(0, 0, 3);
    static const uint8_t rid[] = {0x4A, 0x00};
    uint8_t r[7];
    cmd(rid, 2);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    result(r, 7);
    static const uint8_t want[] = {0x00, 0x00, 0x00, 3, 0, 1, 2};
    ck_assert_mem_eq(r, want, 7);
    cmd(rid, 2);
    run_ns(100000);
    result(r, 7);
    ck_assert_uint_eq(r[5], 2);
    /* FM instead of MFM: nothing found. */
    static const uint8_t rid_fm[] = {0x0A, 0x00};
    cmd(rid_fm, 2);
    run_ns(100000);
    result(r, 7);
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x01);
}
END_TEST

START_TEST(test_format_track)
{
    seek(0, 1, 5);
    for (unsigned s = 0; s < SPT; s++) {
        ram[0x50000 + s * 4 + 0] = 5;
        ram[0x50000 + s * 4 + 1] = 1;
        ram[0x50000 + s * 4 + 2] = (uint8_t)(s + 1);
        ram[0x50000 + s * 4 + 3] = 2;
    }
    dma_setup(0x4A, 0x50000, SPT * 4);
    static const uint8_t fmt[] = {0x4D, 0x04, 2, SPT, 0x54, 0xF6};
    cmd(fmt, 6);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    uint8_t r[7];
    result(r, 7);
    ck_assert_uint_eq(r[0], 0x04);
    ck_assert_uint_eq(r[1], 0x00);
    ck_assert_uint_eq(r[2], 0x00);
    FILE *fp = fopen(img_path, "rb");
    uint8_t trk[SPT * 512];
    fseek(fp, (long)((5 * 36 + 18) * 512), SEEK_SET);
    ck_assert_uint_eq(fread(trk, 1, sizeof trk, fp), sizeof trk);
    for (unsigned i = 0; i < sizeof trk; i++)
        ck_assert_uint_eq(trk[i], 0xF6);
    /* Head 0 of the same cylinder is untouched. */
    fseek(fp, (long)((5 * 36) * 512), SEEK_SET);
    ck_assert_uint_eq(fread(trk, 1, 512, fp), 512);
    ck_assert_uint_eq(trk[0], sector_byte(5 * 36, 0));
    fclose(fp);
}
END_TEST

START_TEST(test_read_only_write_protect)
{
    make_image(img2_path, IMG_BYTES);
    char err[256];
    ck_assert(fdc_attach(fdc, 1, img2_path, true, err, sizeof err));
    static const uint8_t sds[] = {0x04, 0x01};
    uint8_t st3;
    cmd(sds, 2);
    result(&st3, 1);
    ck_assert_uint_eq(st3 & 0x40, 0x40);
    for (unsigned i = 0; i < 512; i++)
        ram[0x40000 + i] = 0xEE;
    dma_setup(0x4A, 0x40000, 512);
    static const uint8_t wr[] = {0x45, 0x01, 0, 0, 1, 2, 18, 0x1B, 0xFF};
    cmd(wr, 9);
    run_ns(100000);
    uint8_t r[7];
    result(r, 7);
    ck_assert_uint_eq(r[0], 0x41);
    ck_assert_uint_eq(r[1], 0x02);
    FILE *fp = fopen(img2_path, "rb");
    uint8_t b;
    ck_assert_uint_eq(fread(&b, 1, 1, fp), 1);
    fclose(fp);
    ck_assert_uint_eq(b, sector_byte(0, 0));
}
END_TEST

START_TEST(test_no_disk_and_bad_image)
{
    dma_setup(0x46, 0x10000, 512);
    static const uint8_t rd[] = {0x46, 0x01, 0, 0, 1, 2, 18, 0x1B, 0xFF};
    cmd(rd, 9);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    uint8_t r[7];
    result(r, 7);
    ck_assert_uint_eq(r[0], 0x41);
    ck_assert_uint_eq(r[1], 0x01);
    char err[256];
    ck_assert(!fdc_attach(fdc, 1, "/nonexistent/brisk.img", false, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/brisk.img"));
    strcpy(img2_path, "/tmp/brisk-fdc-XXXXXX");
    int fd = mkstemp(img2_path);
    ck_assert_int_eq(write(fd, "abc", 3), 3);
    close(fd);
    ck_assert(!fdc_attach(fdc, 1, img2_path, false, err, sizeof err));
    ck_assert(!fdc_attach(fdc, 2, img_path, false, err, sizeof err));
}
END_TEST

START_TEST(test_disk_change_line)
{
    /* Drive 0 selected in the DOR; the disk was inserted at attach. */
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x80);
    seek(0, 0, 0); /* no step pulse: stays set */
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x80);
    seek(0, 0, 1);
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x00);
    fdc_detach(fdc, 0);
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x80);
    seek(0, 0, 2); /* no disk: a step does not clear it */
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x80);
    char err[256];
    ck_assert(fdc_attach(fdc, 0, img_path, false, err, sizeof err));
    seek(0, 0, 3);
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x00);
}
END_TEST

START_TEST(test_pio_read_and_write)
{
    static const uint8_t specify_nd[] = {0x03, 0xAF, 0x03};
    cmd(specify_nd, 3);
    static const uint8_t rd[] = {0x46, 0x00, 0, 0, 2, 2, 2, 0x1B, 0xFF};
    cmd(rd, 9);
    run_ns(100000);
    ck_assert_int_eq(irq_level, 1);
    for (unsigned i = 0; i < 512; i++) {
        ck_assert_uint_eq(in8(0x3F4) & 0xF0, 0xF0); /* RQM DIO NDMA CB */
        ck_assert_uint_eq(in8(0x3F5), sector_byte(1, i));
    }
    ck_assert_int_eq(irq_level, 1); /* the result phase */
    uint8_t r[7];
    result(r, 7);
    /* No TC without DMA: the read ends at EOT with EN. */
    static const uint8_t want[] = {0x40, 0x80, 0x00, 1, 0, 1, 2};
    ck_assert_mem_eq(r, want, 7);

    static const uint8_t wr[] = {0x45, 0x00, 0, 0, 3, 2, 3, 0x1B, 0xFF};
    cmd(wr, 9);
    run_ns(100000);
    for (unsigned i = 0; i < 512; i++) {
        ck_assert_uint_eq(in8(0x3F4) & 0xF0, 0xB0); /* RQM NDMA CB, host to FDC */
        out8(0x3F5, (uint8_t)(i ^ 0x33));
    }
    result(r, 7);
    ck_assert_uint_eq(r[1], 0x80);
    FILE *fp = fopen(img_path, "rb");
    uint8_t sec[512];
    fseek(fp, 2 * 512, SEEK_SET);
    ck_assert_uint_eq(fread(sec, 1, 512, fp), 512);
    fclose(fp);
    for (unsigned i = 0; i < 512; i++)
        ck_assert_uint_eq(sec[i], (uint8_t)(i ^ 0x33));
}
END_TEST

START_TEST(test_dma_masked_overrun)
{
    out8(0x0A, 0x06); /* channel 2 masked */
    static const uint8_t rd[] = {0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF};
    cmd(rd, 9);
    run_ns(100000);
    uint8_t r[7];
    result(r, 7);
    ck_assert_uint_eq(r[0], 0x40);
    ck_assert_uint_eq(r[1], 0x10);
}
END_TEST

START_TEST(test_implied_seek)
{
    static const uint8_t configure[] = {0x13, 0x00, 0x40, 0x00}; /* EIS, polling on */
    cmd(configure, 4);
    dma_setup(0x46, 0x10000, 512);
    static const uint8_t rd[] = {0x46, 0x00, 4, 0, 1, 2, 18, 0x1B, 0xFF};
    cmd(rd, 9);
    run_ns(100000);
    uint8_t r[10];
    result(r, 7);
    static const uint8_t want[] = {0x00, 0x00, 0x00, 4, 0, 2, 2};
    ck_assert_mem_eq(r, want, 7);
    ck_assert_uint_eq(ram[0x10000], sector_byte(4 * 36, 0));
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x00); /* the step cleared the change line */
    static const uint8_t dumpreg[] = {0x0E};
    cmd(dumpreg, 1);
    result(r, 10);
    ck_assert_uint_eq(r[0], 4);
    ck_assert_uint_eq(r[6], 18);
}
END_TEST

START_TEST(test_720k_geometry)
{
    make_image(img2_path, 737280);
    char err[256];
    ck_assert_msg(fdc_attach(fdc, 1, img2_path, false, err, sizeof err), "%s", err);
    seek(1, 0, 79);
    dma_setup(0x46, 0x10000, 1024);
    /* 720K wants 250 kb/s: at 500 kb/s nothing is found. */
    static const uint8_t rd[] = {0xC6, 0x05, 79, 1, 8, 2, 9, 0x1B, 0xFF};
    cmd(rd, 9);
    run_ns(100000);
    uint8_t r[7];
    result(r, 7);
    ck_assert_uint_eq(r[1], 0x01);
    out8(0x3F7, 0x02);
    dma_setup(0x46, 0x10000, 1024);
    cmd(rd, 9);
    run_ns(100000);
    result(r, 7);
    /* Sectors 8 and 9 of the last track, side 1: the end of the disk. TC
     * with the last sector: normal end, C+1 and H complemented (MT). */
    static const uint8_t want[] = {0x05, 0x00, 0x00, 80, 0, 1, 2};
    ck_assert_mem_eq(r, want, 7);
    ck_assert_uint_eq(ram[0x10000 + 512 + 5], sector_byte(1439, 5));
    ck_assert_uint_eq(ram[0x10000 + 5], sector_byte(1438, 5));
}
END_TEST

START_TEST(test_registers)
{
    out8(0x3F2, 0x2D); /* motor 1, DMA gate, running, drive 1 */
    ck_assert_uint_eq(in8(0x3F2), 0x2D);
    ck_assert_uint_eq(in8(0x3F1) & 0x23, 0x02); /* SRB: motor 1 on, drive 0 not selected */
    out8(0x3F3, 0x02);
    ck_assert_uint_eq(in8(0x3F3) & 0x03, 0x02);
    ck_assert_uint_eq(in8(0x3F0) & 0x40, 0x00); /* SRA: a second drive is installed */
    ck_assert_uint_eq(in8(0x3F7) & 0x80, 0x80); /* drive 1: no disk seen yet */
    /* A command in progress: CB from the first byte. */
    out8(0x3F5, 0x03);
    ck_assert_uint_eq(in8(0x3F4), 0x90);
    out8(0x3F5, 0xAF);
    out8(0x3F5, 0x02);
    ck_assert_uint_eq(in8(0x3F4), 0x80);
}
END_TEST

static Suite *fdc_suite(void)
{
    Suite *s = suite_create("fdc");
    TCase *tc = tcase_create("82077");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_and_sense_interrupts);
    tcase_add_test(tc, test_version_specify_dumpreg_lock);
    tcase_add_test(tc, test_seek_and_recalibrate);
    tcase_add_test(tc, test_read_sector_dma);
    tcase_add_test(tc, test_multitrack_read_across_head);
    tcase_add_test(tc, test_read_to_end_of_track_without_tc);
    tcase_add_test(tc, test_sector_not_found);
    tcase_add_test(tc, test_write_sector_reaches_image);
    tcase_add_test(tc, test_read_id);
    tcase_add_test(tc, test_format_track);
    tcase_add_test(tc, test_read_only_write_protect);
    tcase_add_test(tc, test_no_disk_and_bad_image);
    tcase_add_test(tc, test_disk_change_line);
    tcase_add_test(tc, test_pio_read_and_write);
    tcase_add_test(tc, test_dma_masked_overrun);
    tcase_add_test(tc, test_implied_seek);
    tcase_add_test(tc, test_720k_geometry);
    tcase_add_test(tc, test_registers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fdc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
