/*
 * test_vga.c - the VGA registers, planar memory, text display and the Bochs
 * VBE DISPI registers (devices/vga.c) on a real bus and a virtual clock at
 * 1 ns per instruction. Everything goes through the ports and the
 * 0xA0000-0xBFFFF window as a guest (or SeaVGABIOS) would drive them.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/vga.h"

static Bus *bus;
static Clock clk;
static Vga *vga;

#define LINE_NS  31778u
#define FRAME_NS (31778ull * 525)

/* The standard BIOS mode 03h (80x25 text, 9x16 cells, 720x400 at 70 Hz),
 * as the IBM VGA BIOS parameter table gives it. */
static const uint8_t mode3_misc = 0x67;
static const uint8_t mode3_seq[5] = {0x03, 0x00, 0x03, 0x00, 0x02};
static const uint8_t mode3_crtc[25] = {0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00,
                                       0x4F, 0x0D, 0x0E, 0x00, 0x00, 0x00, 0x00, 0x9C, 0x8E,
                                       0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
static const uint8_t mode3_gc[9] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
static const uint8_t mode3_ar[21] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
                                     0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D,
                                     0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};

static void out8(uint16_t port, uint8_t v)
{
    bus_io_write(bus, port, v, 1);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_io_read(bus, port, 1);
}
static void out16(uint16_t port, uint16_t v)
{
    bus_io_write(bus, port, v, 2);
}
static uint16_t in16(uint16_t port)
{
    return (uint16_t)bus_io_read(bus, port, 2);
}

static void seq_w(uint8_t i, uint8_t v)
{
    out8(0x3C4, i);
    out8(0x3C5, v);
}
static void gc_w(uint8_t i, uint8_t v)
{
    out8(0x3CE, i);
    out8(0x3CF, v);
}
static void crtc_w(uint8_t i, uint8_t v)
{
    out8(0x3D4, i);
    out8(0x3D5, v);
}
static uint8_t crtc_r(uint8_t i)
{
    out8(0x3D4, i);
    return in8(0x3D5);
}
static void ar_w(uint8_t i, uint8_t v)
{
    (void)in8(0x3DA); /* flip-flop to index */
    out8(0x3C0, i);
    out8(0x3C0, v);
    out8(0x3C0, 0x20); /* palette address source on: screen visible */
}
static void dac_w(uint8_t i, uint8_t r, uint8_t g, uint8_t b)
{
    out8(0x3C8, i);
    out8(0x3C9, r);
    out8(0x3C9, g);
    out8(0x3C9, b);
}

static void set_mode3(void)
{
    out8(0x3C2, mode3_misc);
    seq_w(0, 0x01); /* synchronous reset while the clocking changes */
    for (uint8_t i = 1; i < 5; i++)
        seq_w(i, mode3_seq[i]);
    seq_w(0, 0x03);
    crtc_w(0x11, mode3_crtc[0x11] & 0x7F); /* unprotect 00h-07h */
    for (uint8_t i = 0; i < 25; i++)
        crtc_w(i, i == 0x11 ? mode3_crtc[i] & 0x7F : mode3_crtc[i]);
    crtc_w(0x11, mode3_crtc[0x11]);
    for (uint8_t i = 0; i < 9; i++)
        gc_w(i, mode3_gc[i]);
    (void)in8(0x3DA);
    for (uint8_t i = 0; i < 21; i++) {
        out8(0x3C0, i);
        out8(0x3C0, mode3_ar[i]);
    }
    out8(0x3C0, 0x20);
}

/* Planar graphics addressing at A0000 (64 KiB), all planes enabled. */
static void set_planar(void)
{
    seq_w(2, 0x0F);
    seq_w(4, 0x06); /* extended memory, odd/even off, chain-4 off */
    gc_w(5, 0x00);
    gc_w(6, 0x05); /* graphics, A0000 64K */
    gc_w(8, 0xFF);
}

static uint8_t plane(unsigned p, uint32_t o)
{
    return vga_vram(vga, NULL)[o * 4 + p];
}
static void set_planes(uint32_t o, uint8_t p0, uint8_t p1, uint8_t p2, uint8_t p3)
{
    uint8_t *v = vga_vram(vga, NULL);
    v[o * 4 + 0] = p0;
    v[o * 4 + 1] = p1;
    v[o * 4 + 2] = p2;
    v[o * 4 + 3] = p3;
}

static void setup(void)
{
    bus = bus_new();
    clock_init(&clk, 1000000000);
    VgaConfig cfg = {.vram_bytes = 16u << 20};
    vga = vga_new(bus, &clk, &cfg);
    ck_assert_ptr_nonnull(vga);
}

static void teardown(void)
{
    vga_free(vga);
    bus_free(bus);
}

static void step_ns(uint64_t ns)
{
    clock_step_insns(&clk, ns);
}

START_TEST(test_attribute_flipflop)
{
    out8(0x3C2, 0x67); /* colour: input status 1 at 3DAh */
    (void)in8(0x3DA);
    out8(0x3C0, 0x10); /* index */
    out8(0x3C0, 0x0C); /* data */
    ck_assert_uint_eq(in8(0x3C1), 0x0C);
    out8(0x3C0, 0x31); /* index again (with PAS) */
    ck_assert_uint_eq(in8(0x3C0), 0x31);
    out8(0x3C0, 0x2A); /* data for register 11h */
    out8(0x3C0, 0x10); /* index */
    ck_assert_uint_eq(in8(0x3C1), 0x0C);
    /* Half way through a pair, reading input status 1 makes the next write
     * an index again. */
    (void)in8(0x3DA);
    out8(0x3C0, 0x11);
    ck_assert_uint_eq(in8(0x3C0), 0x11);
    ck_assert_uint_eq(in8(0x3C1), 0x2A);
    out8(0x3C0, 0x07);
    ck_assert_uint_eq(in8(0x3C1), 0x07);
    /* Palette registers keep 6 bits. */
    (void)in8(0x3DA);
    out8(0x3C0, 0x03);
    out8(0x3C0, 0xFF);
    ck_assert_uint_eq(in8(0x3C1), 0x3F);
}
END_TEST

START_TEST(test_crtc_protect)
{
    out8(0x3C2, 0x67);
    crtc_w(0x11, 0x00);
    crtc_w(0x00, 0x5F);
    crtc_w(0x07, 0x00);
    crtc_w(0x11, 0x80); /* protect */
    crtc_w(0x00, 0x12);
    ck_assert_uint_eq(crtc_r(0x00), 0x5F);
    crtc_w(0x06, 0x34);
    ck_assert_uint_eq(crtc_r(0x06), 0x00);
    /* 07h: only bit 4 (line compare bit 8) goes through. */
    crtc_w(0x07, 0xFF);
    ck_assert_uint_eq(crtc_r(0x07), 0x10);
    /* 08h and above are not protected. */
    crtc_w(0x0C, 0x12);
    ck_assert_uint_eq(crtc_r(0x0C), 0x12);
    crtc_w(0x11, 0x00);
    crtc_w(0x00, 0x12);
    ck_assert_uint_eq(crtc_r(0x00), 0x12);
}
END_TEST

START_TEST(test_dac_auto_increment)
{
    out8(0x3C8, 5);
    ck_assert_uint_eq(in8(0x3C7) & 3, 0); /* write mode */
    const uint8_t vals[6] = {0x01, 0x02, 0x03, 0x3F, 0x7F, 0x20};
    for (int i = 0; i < 6; i++)
        out8(0x3C9, vals[i]);
    ck_assert_uint_eq(in8(0x3C8), 7); /* advanced after each third byte */
    out8(0x3C7, 5);
    ck_assert_uint_eq(in8(0x3C7) & 3, 3); /* read mode */
    ck_assert_uint_eq(in8(0x3C9), 0x01);
    ck_assert_uint_eq(in8(0x3C9), 0x02);
    ck_assert_uint_eq(in8(0x3C9), 0x03);
    ck_assert_uint_eq(in8(0x3C9), 0x3F);
    ck_assert_uint_eq(in8(0x3C9), 0x3F); /* 6-bit DAC */
    ck_assert_uint_eq(in8(0x3C9), 0x20);
    /* An incomplete write does not change the entry. */
    out8(0x3C8, 9);
    out8(0x3C9, 0x11);
    out8(0x3C9, 0x22);
    out8(0x3C7, 9);
    ck_assert_uint_eq(in8(0x3C9), 0);
    /* Pel mask. */
    out8(0x3C6, 0x0F);
    ck_assert_uint_eq(in8(0x3C6), 0x0F);
}
END_TEST

START_TEST(test_misc_output_selects_crtc_port)
{
    out8(0x3C2, 0x67); /* colour: 3D4h */
    ck_assert_uint_eq(in8(0x3CC), 0x67);
    crtc_w(0x0E, 0x12);
    ck_assert_uint_eq(crtc_r(0x0E), 0x12);
    ck_assert_uint_eq(in8(0x3B4), 0xFF);
    ck_assert_uint_eq(in8(0x3B5), 0xFF);
    out8(0x3B4, 0x0E);
    out8(0x3B5, 0x99); /* not decoded */
    ck_assert_uint_eq(crtc_r(0x0E), 0x12);

    out8(0x3C2, 0x66); /* monochrome: 3B4h */
    out8(0x3B4, 0x0E);
    ck_assert_uint_eq(in8(0x3B5), 0x12);
    out8(0x3B5, 0x34);
    ck_assert_uint_eq(in8(0x3B5), 0x34);
    ck_assert_uint_eq(in8(0x3D4), 0xFF);
    ck_assert_uint_eq(in8(0x3DA), 0xFF);
    ck_assert_uint_ne(in8(0x3BA), 0xFF);
    /* Feature control: written at 3BAh (mono), read at 3CAh. */
    out8(0x3BA, 0x01);
    ck_assert_uint_eq(in8(0x3CA), 0x01);
}
END_TEST

START_TEST(test_retrace_follows_virtual_clock)
{
    out8(0x3C2, 0x67);
    ck_assert_uint_eq(in8(0x3DA) & 0x09, 0x00); /* line 0, dot 0: displaying */
    step_ns(26000);                             /* horizontal blanking */
    ck_assert_uint_eq(in8(0x3DA) & 0x09, 0x01);
    step_ns(LINE_NS - 26000 + 100); /* line 1 */
    ck_assert_uint_eq(in8(0x3DA) & 0x09, 0x00);
    step_ns(489ull * LINE_NS); /* line 490: retrace */
    ck_assert_uint_eq(in8(0x3DA) & 0x09, 0x09);
    step_ns(2ull * LINE_NS); /* line 492 */
    ck_assert_uint_eq(in8(0x3DA) & 0x09, 0x01);

    /* Polling for a whole second sees 60 retraces begin. */
    int starts = 0;
    bool was = in8(0x3DA) & 0x08;
    for (uint64_t t = 0; t < 1000000000ull; t += 5000) {
        step_ns(5000);
        bool now = in8(0x3DA) & 0x08;
        if (now && !was) starts++;
        was = now;
    }
    ck_assert_int_ge(starts, 59);
    ck_assert_int_le(starts, 61);
}
END_TEST

START_TEST(test_memory_map_select)
{
    set_planar();
    /* GC 06h, and an address outside the window (C0000h: none). */
    static const struct {
        uint8_t gc6;
        uint32_t out;
    } w[] = {
        {0x01, 0xC0000}, /* 128K at A0000 */
        {0x05, 0xB0000}, /* 64K at A0000 */
        {0x09, 0xA0000}, /* 32K at B0000 */
        {0x0D, 0xB0000}, /* 32K at B8000 */
    };
    for (unsigned i = 0; i < 4; i++) {
        memset(vga_vram(vga, NULL), 0, VGA_PLANAR_BYTES);
        gc_w(6, w[i].gc6);
        uint32_t base = (w[i].gc6 >> 2) == 2 ? 0xB0000 : (w[i].gc6 >> 2) == 3 ? 0xB8000 : 0xA0000;
        bus_write(bus, base + 0x10, 0x5A, 1);
        ck_assert_uint_eq(plane(0, 0x10), 0x5A);
        ck_assert_uint_eq(plane(3, 0x10), 0x5A);
        ck_assert_uint_eq(bus_read(bus, base + 0x10, 1), 0x5A);
        if (w[i].out < 0xC0000) {
            ck_assert_uint_eq(bus_read(bus, w[i].out + 0x10, 1), 0xFF);
            bus_write(bus, w[i].out + 0x20, 0x77, 1);
            ck_assert_uint_eq(plane(0, 0x20), 0);
        }
    }
    /* The 32K windows end at 8000h. */
    gc_w(6, 0x09);
    ck_assert_uint_eq(bus_read(bus, 0xB8000, 1), 0xFF);
    /* In the 128K map, B8010h is plane offset 18010h, which wraps to 8010h. */
    gc_w(6, 0x01);
    bus_write(bus, 0xB8010, 0x3C, 1);
    ck_assert_uint_eq(plane(1, 0x8010), 0x3C);
}
END_TEST

START_TEST(test_write_modes_and_map_mask)
{
    set_planar();
    /* Mode 0, plain, map mask 0101b. */
    seq_w(2, 0x05);
    bus_write(bus, 0xA0000, 0xA5, 1);
    ck_assert_uint_eq(plane(0, 0), 0xA5);
    ck_assert_uint_eq(plane(1, 0), 0x00);
    ck_assert_uint_eq(plane(2, 0), 0xA5);
    ck_assert_uint_eq(plane(3, 0), 0x00);
    seq_w(2, 0x0F);

    /* Mode 0 with set/reset on planes 0 and 1, enabled for plane 0 only. */
    gc_w(0, 0x03);
    gc_w(1, 0x01);
    bus_write(bus, 0xA0001, 0x42, 1);
    ck_assert_uint_eq(plane(0, 1), 0xFF);
    ck_assert_uint_eq(plane(1, 1), 0x42);
    ck_assert_uint_eq(plane(2, 1), 0x42);
    gc_w(1, 0x0F);
    bus_write(bus, 0xA0001, 0x42, 1);
    ck_assert_uint_eq(plane(1, 1), 0xFF);
    ck_assert_uint_eq(plane(2, 1), 0x00);
    gc_w(0, 0);
    gc_w(1, 0);

    /* Rotate. */
    gc_w(3, 0x01);
    bus_write(bus, 0xA0002, 0x01, 1);
    ck_assert_uint_eq(plane(3, 2), 0x80);

    /* Function select against the latches (planes hold F0h). */
    set_planes(3, 0xF0, 0xF0, 0xF0, 0xF0);
    static const struct {
        uint8_t gc3, result;
    } fn[] = {
        {0x08, 0x30}, /* AND */
        {0x10, 0xFC}, /* OR */
        {0x18, 0xCC}, /* XOR */
    };
    for (unsigned i = 0; i < 3; i++) {
        set_planes(3, 0xF0, 0xF0, 0xF0, 0xF0);
        (void)bus_read(bus, 0xA0003, 1); /* load latches */
        gc_w(3, fn[i].gc3);
        bus_write(bus, 0xA0003, 0x3C, 1);
        ck_assert_uint_eq(plane(0, 3), fn[i].result);
        ck_assert_uint_eq(plane(2, 3), fn[i].result);
    }
    gc_w(3, 0x00);

    /* Bit mask: masked bits come from the latches. */
    set_planes(4, 0xF0, 0xF0, 0xF0, 0xF0);
    (void)bus_read(bus, 0xA0004, 1);
    gc_w(8, 0x0F);
    bus_write(bus, 0xA0004, 0x00, 1);
    ck_assert_uint_eq(plane(1, 4), 0xF0);
    bus_write(bus, 0xA0004, 0xFF, 1);
    ck_assert_uint_eq(plane(1, 4), 0xFF);
    gc_w(8, 0xFF);

    /* Mode 1: the latches copied to another address (a blit). */
    set_planes(5, 0x11, 0x22, 0x33, 0x44);
    (void)bus_read(bus, 0xA0005, 1);
    gc_w(5, 0x01);
    bus_write(bus, 0xA0006, 0x00, 1);
    ck_assert_uint_eq(plane(0, 6), 0x11);
    ck_assert_uint_eq(plane(1, 6), 0x22);
    ck_assert_uint_eq(plane(2, 6), 0x33);
    ck_assert_uint_eq(plane(3, 6), 0x44);

    /* Mode 2: data bits 0-3 are the colour, bit mask 81h. */
    set_planes(7, 0, 0, 0, 0);
    (void)bus_read(bus, 0xA0007, 1);
    gc_w(5, 0x02);
    gc_w(8, 0x81);
    bus_write(bus, 0xA0007, 0x05, 1);
    ck_assert_uint_eq(plane(0, 7), 0x81);
    ck_assert_uint_eq(plane(1, 7), 0x00);
    ck_assert_uint_eq(plane(2, 7), 0x81);
    ck_assert_uint_eq(plane(3, 7), 0x00);

    /* Mode 3: set/reset colour, rotated data AND bit mask as the mask. */
    set_planes(8, 0, 0, 0, 0);
    (void)bus_read(bus, 0xA0008, 1);
    gc_w(5, 0x03);
    gc_w(8, 0x3C);
    gc_w(0, 0x06);
    bus_write(bus, 0xA0008, 0xF0, 1);
    ck_assert_uint_eq(plane(0, 8), 0x00);
    ck_assert_uint_eq(plane(1, 8), 0x30);
    ck_assert_uint_eq(plane(2, 8), 0x30);
    ck_assert_uint_eq(plane(3, 8), 0x00);
}
END_TEST

START_TEST(test_read_modes)
{
    set_planar();
    set_planes(0x100, 0xFF, 0x0F, 0xF0, 0x00);
    /* Mode 0: the plane chosen by the read map select. */
    for (uint8_t p = 0; p < 4; p++) {
        gc_w(4, p);
        ck_assert_uint_eq(bus_read(bus, 0xA0100, 1), plane(p, 0x100));
    }
    /* Mode 1: colour compare 0011b over all planes. */
    gc_w(5, 0x08);
    gc_w(2, 0x03);
    gc_w(7, 0x0F);
    ck_assert_uint_eq(bus_read(bus, 0xA0100, 1), 0x0F);
    /* Only plane 0 cares. */
    gc_w(7, 0x01);
    ck_assert_uint_eq(bus_read(bus, 0xA0100, 1), 0xFF);
    /* Nobody cares: everything matches. */
    gc_w(7, 0x00);
    ck_assert_uint_eq(bus_read(bus, 0xA0100, 1), 0xFF);
    /* Colour 0100b against planes 2 and 1: F0h & ~0Fh. */
    gc_w(7, 0x06);
    gc_w(2, 0x04);
    ck_assert_uint_eq(bus_read(bus, 0xA0100, 1), 0xF0);
}
END_TEST

START_TEST(test_chain4)
{
    set_planar();
    seq_w(4, 0x0E); /* chain-4 (mode 13h) */
    gc_w(5, 0x40);
    for (uint32_t i = 0; i < 8; i++)
        bus_write(bus, 0xA0000 + i, 0x10 + i, 1);
    uint8_t *vram = vga_vram(vga, NULL);
    for (uint32_t i = 0; i < 8; i++) {
        ck_assert_uint_eq(vram[i], 0x10 + i);
        ck_assert_uint_eq(bus_read(bus, 0xA0000 + i, 1), 0x10 + i);
    }
    /* Plane 2 of offset 1 is linear byte 6. */
    ck_assert_uint_eq(plane(2, 1), 0x16);
    /* The map mask still gates the planes. */
    seq_w(2, 0x01);
    bus_write(bus, 0xA0001, 0xEE, 1);
    ck_assert_uint_eq(vram[1], 0x11);
    bus_write(bus, 0xA0004, 0xEE, 1);
    ck_assert_uint_eq(vram[4], 0xEE);
}
END_TEST

static void put_text(unsigned row, unsigned col, const char *s, uint8_t attr)
{
    for (unsigned i = 0; s[i]; i++) {
        uint32_t a = 0xB8000 + (row * 80 + col + i) * 2;
        bus_write(bus, a, (uint8_t)s[i], 1);
        bus_write(bus, a + 1, attr, 1);
    }
}

START_TEST(test_text_odd_even_and_dump)
{
    set_mode3();
    put_text(0, 0, "Hello", 0x1F);
    /* Characters in plane 0, attributes in plane 1, at even offsets. */
    ck_assert_uint_eq(plane(0, 0), 'H');
    ck_assert_uint_eq(plane(1, 0), 0x1F);
    ck_assert_uint_eq(plane(0, 2), 'e');
    ck_assert_uint_eq(plane(1, 2), 0x1F);
    ck_assert_uint_eq(plane(2, 0), 0); /* the font plane is untouched */
    ck_assert_uint_eq(bus_read(bus, 0xB8000, 2), 0x1F48);
    ck_assert_uint_eq(bus_read(bus, 0xB8008, 1), 'o');

    VgaTextScreen *s = malloc(sizeof *s);
    vga_text_snapshot(vga, s);
    ck_assert(s->text_mode);
    ck_assert_uint_eq(s->cols, 80);
    ck_assert_uint_eq(s->rows, 25);
    ck_assert_uint_eq(s->char_width, 9);
    ck_assert_uint_eq(s->char_height, 16);
    ck_assert_uint_eq(s->ch[4], 'o');
    ck_assert_uint_eq(s->attr[4], 0x1F);
    free(s);

    char buf[4096];
    size_t n = vga_text_dump(vga, buf, sizeof buf);
    ck_assert_uint_eq(n, 5 + 25); /* "Hello" and 25 line ends */
    ck_assert_str_eq(buf, "Hello\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n");

    /* Text further right, trailing spaces trimmed, CP437 mapped. */
    put_text(1, 3, "A  B   ", 0x07);
    bus_write(bus, 0xB8000 + (2 * 80 + 0) * 2, 0xC9, 1); /* double box corner */
    bus_write(bus, 0xB8000 + (2 * 80 + 1) * 2, 0xCD, 1); /* double horizontal */
    bus_write(bus, 0xB8000 + (2 * 80 + 2) * 2, 0xB3, 1); /* single vertical */
    bus_write(bus, 0xB8000 + (2 * 80 + 3) * 2, 0xDB, 1); /* full block */
    n = vga_text_dump(vga, buf, sizeof buf);
    ck_assert(strncmp(buf, "Hello\n   A  B\n+=|#\n\n", 20) == 0);
    ck_assert_uint_eq(n, strlen(buf));

    /* A small buffer: truncated, NUL-terminated, full length returned. */
    char small[4];
    ck_assert_uint_eq(vga_text_dump(vga, small, sizeof small), n);
    ck_assert_str_eq(small, "Hel");

    /* Byte mode (CRTC 17h bit 6) reads every plane offset, doubleword mode
     * (14h bit 6) every fourth. */
    crtc_w(0x17, 0xA3 | 0x40);
    vga_text_dump(vga, buf, sizeof buf);
    ck_assert(strncmp(buf, "H e l l o\n", 10) == 0);
    crtc_w(0x17, 0xA3);
    crtc_w(0x14, 0x1F | 0x40);
    vga_text_dump(vga, buf, sizeof buf);
    ck_assert(strncmp(buf, "Hlo  ", 5) == 0); /* offsets 0, 4, 8, 12, 16 */
    crtc_w(0x14, 0x1F);

    /* The start address scrolls the screen. */
    crtc_w(0x0C, 0);
    crtc_w(0x0D, 80);
    n = vga_text_dump(vga, buf, sizeof buf);
    ck_assert(strncmp(buf, "   A  B\n", 8) == 0);

    /* A graphics mode has no text. */
    ar_w(0x10, 0x01);
    ck_assert_uint_eq(vga_text_dump(vga, buf, sizeof buf), 0);
    ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_cp437_table_complete)
{
    for (unsigned c = 0; c < 256; c++) {
        char a = vga_cp437_to_ascii((uint8_t)c);
        ck_assert_msg(a >= 0x20 && a < 0x7F, "code %02X", c);
        if (c >= 0x20 && c < 0x7F) ck_assert_int_eq(a, (char)c);
    }
    ck_assert_int_eq(vga_cp437_to_ascii(0xC4), '-');
    ck_assert_int_eq(vga_cp437_to_ascii(0xBA), '|');
    ck_assert_int_eq(vga_cp437_to_ascii(0xDA), '+');
    ck_assert_int_eq(vga_cp437_to_ascii(0x82), 'e');
}
END_TEST

START_TEST(test_cursor)
{
    set_mode3();
    VgaTextScreen *s = malloc(sizeof *s);
    crtc_w(0x0E, 0x00);
    crtc_w(0x0F, 2 * 80 + 5);
    vga_text_snapshot(vga, s);
    ck_assert(s->cursor_visible);
    ck_assert_uint_eq(s->cursor_row, 2);
    ck_assert_uint_eq(s->cursor_col, 5);
    ck_assert_uint_eq(s->cursor_start, 0x0D);
    ck_assert_uint_eq(s->cursor_end, 0x0E);
    /* Past row 24 (0x07D0 = 2000): off screen. */
    crtc_w(0x0E, 0x07);
    crtc_w(0x0F, 0xD0);
    vga_text_snapshot(vga, s);
    ck_assert(!s->cursor_visible);
    crtc_w(0x0E, 0x07);
    crtc_w(0x0F, 0xCF);
    vga_text_snapshot(vga, s);
    ck_assert(s->cursor_visible);
    ck_assert_uint_eq(s->cursor_row, 24);
    ck_assert_uint_eq(s->cursor_col, 79);
    /* Disabled by 0Ah bit 5. */
    crtc_w(0x0A, 0x2D);
    vga_text_snapshot(vga, s);
    ck_assert(!s->cursor_visible);
    /* Start after end: no cursor on the VGA. */
    crtc_w(0x0A, 0x0F);
    crtc_w(0x0B, 0x0E);
    vga_text_snapshot(vga, s);
    ck_assert(!s->cursor_visible);
    free(s);
}
END_TEST

/* Loads an 8x16 glyph for code c into plane 2 the way a BIOS does. */
static void load_glyph(uint8_t c, const uint8_t rows[16])
{
    seq_w(2, 0x04);
    seq_w(4, 0x06);
    gc_w(4, 0x02);
    gc_w(5, 0x00);
    gc_w(6, 0x04);
    for (unsigned y = 0; y < 16; y++)
        bus_write(bus, 0xA0000 + c * 32u + y, rows[y], 1);
    /* Back to text addressing. */
    seq_w(2, mode3_seq[2]);
    seq_w(4, mode3_seq[4]);
    gc_w(4, mode3_gc[4]);
    gc_w(5, mode3_gc[5]);
    gc_w(6, mode3_gc[6]);
}

#define YELLOW 0xFFFF55u /* EGA colour 3Eh */
#define BLUE   0x0000AAu /* EGA colour 01h */

START_TEST(test_render_glyph)
{
    set_mode3();
    dac_w(0x01, 0x00, 0x00, 0x2A);
    dac_w(0x3E, 0x3F, 0x3F, 0x15);
    crtc_w(0x0A, 0x20); /* cursor off */
    uint8_t glyph[16] = {0};
    glyph[0] = 0x81; /* both edges */
    glyph[1] = 0xFF;
    glyph[5] = 0x01;
    load_glyph('A', glyph);
    load_glyph(0xC4, glyph);
    ck_assert_uint_eq(plane(2, 'A' * 32 + 1), 0xFF);
    ck_assert_uint_eq(plane(0, 'A' * 32 + 1), 0x00);
    put_text(0, 0, "A", 0x1E); /* yellow on blue */
    bus_write(bus, 0xB8002, 0xC4, 1);
    bus_write(bus, 0xB8003, 0x1E, 1);

    unsigned w = 720, h = 400;
    uint32_t *px = calloc(w * h, sizeof *px);
    vga_render_text(vga, px, &w, &h);
    ck_assert_uint_eq(w, 720);
    ck_assert_uint_eq(h, 400);
    ck_assert_uint_eq(px[0], YELLOW);
    ck_assert_uint_eq(px[1], BLUE);
    ck_assert_uint_eq(px[7], YELLOW);
    ck_assert_uint_eq(px[8], BLUE); /* 9th column of a letter: background */
    ck_assert_uint_eq(px[720 + 3], YELLOW);
    ck_assert_uint_eq(px[2 * 720 + 3], BLUE);
    /* Line graphics C4h: the 9th column repeats the 8th. */
    ck_assert_uint_eq(px[9 + 8], YELLOW);
    ck_assert_uint_eq(px[5 * 720 + 9 + 8], YELLOW);
    ck_assert_uint_eq(px[2 * 720 + 9 + 8], BLUE);
    /* Empty cells: attribute 0, black on black. */
    ck_assert_uint_eq(px[20], 0);

    /* 8-dot characters (SR 01h bit 0): 640 wide. */
    seq_w(1, 0x01);
    w = 720, h = 400;
    vga_render_text(vga, px, &w, &h);
    ck_assert_uint_eq(w, 640);
    ck_assert_uint_eq(px[8], YELLOW); /* first column of the C4h cell */
    seq_w(1, 0x00);

    /* Clipping to the buffer. */
    w = 100, h = 50;
    vga_render_text(vga, px, &w, &h);
    ck_assert_uint_eq(w, 100);
    ck_assert_uint_eq(h, 50);
    ck_assert_uint_eq(px[100 + 3], YELLOW);

    /* Palette: attribute colour 0Eh goes through AR 0Eh. */
    ar_w(0x0E, 0x01);
    w = 720, h = 400;
    vga_render_text(vga, px, &w, &h);
    ck_assert_uint_eq(px[0], BLUE);
    ar_w(0x0E, 0x3E);

    /* The cursor: scan lines 14-15 of its cell in the foreground colour. */
    crtc_w(0x0A, 0x0E);
    crtc_w(0x0B, 0x0F);
    crtc_w(0x0E, 0);
    crtc_w(0x0F, 0);
    w = 720, h = 400;
    vga_render_text(vga, px, &w, &h);
    ck_assert_uint_eq(px[14 * 720 + 4], YELLOW);
    ck_assert_uint_eq(px[15 * 720 + 4], YELLOW);
    ck_assert_uint_eq(px[13 * 720 + 4], BLUE);
    /* The cursor blinks: off 8 frames later. */
    step_ns(8 * FRAME_NS + 1000);
    vga_render_text(vga, px, &w, &h);
    ck_assert_uint_eq(px[14 * 720 + 4], BLUE);
    free(px);
}
END_TEST

START_TEST(test_blink_and_dirty)
{
    set_mode3();
    dac_w(0x01, 0x00, 0x00, 0x2A);
    dac_w(0x3E, 0x3F, 0x3F, 0x15);
    crtc_w(0x0A, 0x20);
    uint8_t glyph[16] = {0xFF};
    load_glyph('A', glyph);
    put_text(0, 0, "A", 0x9E); /* blinking yellow on blue */
    unsigned w = 720, h = 400;
    uint32_t *px = calloc(w * h, sizeof *px);
    ck_assert(vga_test_and_clear_dirty(vga));
    vga_render_text(vga, px, &w, &h);
    ck_assert(!vga_test_and_clear_dirty(vga));
    ck_assert_uint_eq(px[0], YELLOW);
    step_ns(16 * FRAME_NS + 1000); /* blink off */
    ck_assert(vga_test_and_clear_dirty(vga));
    ck_assert(!vga_test_and_clear_dirty(vga));
    vga_render_text(vga, px, &w, &h);
    ck_assert_uint_eq(px[0], BLUE);
    /* With AR 10h bit 3 clear, bit 7 is background intensity instead. */
    ar_w(0x10, 0x04);
    dac_w(0x39, 0x15, 0x15, 0x3F);
    vga_render_text(vga, px, &w, &h);
    ck_assert_uint_eq(px[0], YELLOW);
    ck_assert_uint_eq(px[8], 0x5555FFu);
    /* Memory writes make it dirty. */
    ck_assert(vga_test_and_clear_dirty(vga));
    bus_write(bus, 0xB8010, 'x', 1);
    ck_assert(vga_test_and_clear_dirty(vga));
    free(px);
}
END_TEST

START_TEST(test_vbe_dispi)
{
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_ID);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_INDEX), VBE_DISPI_INDEX_ID);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), VBE_DISPI_ID5);
    out16(VBE_DISPI_IOPORT_DATA, VBE_DISPI_ID0);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), VBE_DISPI_ID0);
    out16(VBE_DISPI_IOPORT_DATA, 0xB0C4);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), 0xB0C4);
    out16(VBE_DISPI_IOPORT_DATA, 0x1234); /* not an ID: ignored */
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), 0xB0C4);

    static const struct {
        uint16_t index, value;
    } rt[] = {
        {VBE_DISPI_INDEX_XRES, 800}, {VBE_DISPI_INDEX_YRES, 600},    {VBE_DISPI_INDEX_BPP, 32},
        {VBE_DISPI_INDEX_BANK, 3},   {VBE_DISPI_INDEX_X_OFFSET, 16}, {VBE_DISPI_INDEX_Y_OFFSET, 7},
    };
    for (unsigned i = 0; i < sizeof rt / sizeof rt[0]; i++) {
        out16(VBE_DISPI_IOPORT_INDEX, rt[i].index);
        out16(VBE_DISPI_IOPORT_DATA, rt[i].value);
    }
    for (unsigned i = 0; i < sizeof rt / sizeof rt[0]; i++) {
        out16(VBE_DISPI_IOPORT_INDEX, rt[i].index);
        ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), rt[i].value);
    }
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_VIDEO_MEMORY_64K);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), 256); /* 16 MiB */

    /* Bad values are refused. */
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_BPP);
    out16(VBE_DISPI_IOPORT_DATA, 12);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), 32);
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_XRES);
    out16(VBE_DISPI_IOPORT_DATA, 801);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), 800);

    /* GETCAPS: the maxima read back instead. */
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_ENABLE);
    out16(VBE_DISPI_IOPORT_DATA, VBE_DISPI_GETCAPS);
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_XRES);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), VBE_DISPI_MAX_XRES);
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_BPP);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), VBE_DISPI_MAX_BPP);

    /* Enable with the LFB: memory cleared, virtual size computed. */
    uint8_t *vram = vga_vram(vga, NULL);
    vram[12345] = 0xAB;
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_ENABLE);
    out16(VBE_DISPI_IOPORT_DATA, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    ck_assert_uint_eq(vram[12345], 0);
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_VIRT_WIDTH);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), 800);
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_VIRT_HEIGHT);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), (16u << 20) / (800 * 4));
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_X_OFFSET);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), 0);
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_VIRT_WIDTH);
    out16(VBE_DISPI_IOPORT_DATA, 1024);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), 1024);
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_VIRT_HEIGHT);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), (16u << 20) / (1024 * 4));

    /* The banked window at A0000 (BANK was 3). */
    gc_w(6, 0x05);
    bus_write(bus, 0xA0010, 0xCD, 1);
    ck_assert_uint_eq(vram[3 * 65536 + 0x10], 0xCD);
    ck_assert_uint_eq(bus_read(bus, 0xA0010, 1), 0xCD);

    /* Disable, then enable again without clearing. */
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_ENABLE);
    out16(VBE_DISPI_IOPORT_DATA, 0);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), 0);
    out16(VBE_DISPI_IOPORT_DATA, VBE_DISPI_ENABLED | VBE_DISPI_NOCLEARMEM);
    ck_assert_uint_eq(vram[3 * 65536 + 0x10], 0xCD);
}
END_TEST

START_TEST(test_reset)
{
    set_mode3();
    put_text(0, 0, "Hi", 0x07);
    vga_reset(vga);
    ck_assert_uint_eq(in8(0x3CC), 0);
    ck_assert_uint_eq(plane(0, 0), 0);
    out8(0x3C2, 0x67);
    ck_assert_uint_eq(crtc_r(0x01), 0);
    out16(VBE_DISPI_IOPORT_INDEX, VBE_DISPI_INDEX_ID);
    ck_assert_uint_eq(in16(VBE_DISPI_IOPORT_DATA), VBE_DISPI_ID5);
    /* The built-in mode 3 set matches the table. */
    vga_set_mode3_registers(vga);
    ck_assert_uint_eq(in8(0x3CC), mode3_misc);
    for (uint8_t i = 0; i < 25; i++)
        ck_assert_uint_eq(crtc_r(i), mode3_crtc[i]);
    put_text(3, 0, "ok", 0x07);
    char buf[256];
    vga_text_dump(vga, buf, sizeof buf);
    ck_assert_str_eq(buf, "\n\n\nok\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n");
}
END_TEST

static Suite *vga_suite(void)
{
    Suite *s = suite_create("vga");
    TCase *tc = tcase_create("vga");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_attribute_flipflop);
    tcase_add_test(tc, test_crtc_protect);
    tcase_add_test(tc, test_dac_auto_increment);
    tcase_add_test(tc, test_misc_output_selects_crtc_port);
    tcase_add_test(tc, test_retrace_follows_virtual_clock);
    tcase_add_test(tc, test_memory_map_select);
    tcase_add_test(tc, test_write_modes_and_map_mask);
    tcase_add_test(tc, test_read_modes);
    tcase_add_test(tc, test_chain4);
    tcase_add_test(tc, test_text_odd_even_and_dump);
    tcase_add_test(tc, test_cp437_table_complete);
    tcase_add_test(tc, test_cursor);
    tcase_add_test(tc, test_render_glyph);
    tcase_add_test(tc, test_blink_and_dirty);
    tcase_add_test(tc, test_vbe_dispi);
    tcase_add_test(tc, test_reset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(vga_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
