/*
 * vga.c - the IBM VGA (registers, planar video memory, text display) and
 * the Bochs VBE DISPI extension, as QEMU's "stdvga" presents them to
 * SeaVGABIOS (vgabios-stdvga.bin).
 *
 * Follows the IBM VGA register descriptions (IBM PS/2 Technical Reference,
 * "Video Subsystem"; the same material as the FreeVGA register pages):
 *  - general registers: misc output (write 3C2h, read 3CCh; bit 0 selects
 *    the CRTC and input status 1 at 3Dxh for colour or 3Bxh for mono, the
 *    other set does not decode and reads FFh), feature control (write
 *    3BAh/3DAh, read 3CAh), input status 0 (3C2h), input status 1
 *    (3BAh/3DAh: bit 0 display disabled, bit 3 vertical retrace; reading it
 *    resets the attribute controller's flip-flop), video subsystem enable
 *    (3C3h);
 *  - sequencer (3C4h/3C5h, registers 0-4), graphics controller (3CEh/3CFh,
 *    0-8), CRTC (index/data, 00h-18h, register 11h bit 7 write-protecting
 *    00h-07h except the line compare bit 4 of 07h), attribute controller
 *    (3C0h: index and data written alternately through a flip-flop, 3C1h
 *    reads the data; index bit 5 is the palette address source, which blanks
 *    the screen while clear), DAC (3C6h pel mask, 3C7h read index / DAC
 *    state, 3C8h write index, 3C9h data: three 6-bit components per entry,
 *    the index advancing after the third);
 *  - video memory: four planes. Byte 4*o+p of vram is offset o of plane p,
 *    so chain-4 (mode 13h) and the VBE modes see vram as a linear frame
 *    buffer and the planar 256 KiB sits at its start. CPU accesses go
 *    through the 0xA0000-0xBFFFF window selected by GC 06h bits 3-2, with
 *    chain-4 (SR 04h bit 3: plane = address bits 1-0), odd/even (writes:
 *    SR 04h bit 2 clear, reads: GC 05h bit 4: plane = address bit 0, with
 *    GC 04h bit 1 choosing planes 0/1 or 2/3) or planar addressing; read
 *    modes 0 and 1 (colour compare 02h, colour don't care 07h); write modes
 *    0-3 with the rotate count and function select (03h), set/reset (00h),
 *    enable set/reset (01h), bit mask (08h) and map mask (SR 02h); every
 *    read loads the four latches.
 *  - text display: columns = CRTC 01h + 1; rows = (vertical display end + 1)
 *    / (character height, doubled by CRTC 09h bit 7); the cell address
 *    counter starts at 0Ch/0Dh, advances by 2 * 13h per row and is turned
 *    into a plane offset by the byte / word (17h bit 6) / doubleword (14h
 *    bit 6) mode; the character is in plane 0 and the attribute in plane 1
 *    at that offset, the font in plane 2 (32 bytes per glyph, the map chosen
 *    by SR 03h and attribute bit 3). Glyphs are 8 or 9 dots wide (SR 01h
 *    bit 0); the 9th column repeats the 8th for C0h-DFh when AR 10h bit 2
 *    (line graphics) is set. Colours go through the colour plane enable
 *    (AR 12h), the palette (AR 00h-0Fh), AR 10h bit 7 / AR 14h and the pel
 *    mask to the DAC. AR 10h bit 3 turns attribute bit 7 into blink
 *    (characters blink every 32 frames, the cursor every 16), on the
 *    virtual clock.
 *  - Bochs VBE DISPI at 1CEh (index) / 1CFh (data), IDs B0C0h-B0C5h, the
 *    GETCAPS read of the maximum resolution, the bank window at 0xA0000 and
 *    the computed virtual height. VBE modes are stored, not yet drawn.
 *
 * Timing: the display is modelled as standard 640x480 at 60 Hz: 800-dot
 * lines of VGA_LINE_NS (31.469 kHz), 525 lines per frame (59.94 Hz), 480
 * visible, vertical retrace in lines 490-491, display enable during the
 * first 640 dots of a visible line. Input status 1 derives these from the
 * virtual clock, so a guest polling for retrace sees it come and go.
 *
 * Known deviations:
 *  - The retrace timing is the fixed 640x480 one, not computed from the
 *    CRTC timing registers; the vertical retrace interrupt is not modelled.
 *  - Graphics modes (planar, CGA, mode 13h, VBE) are not rendered yet (a
 *    later issue); their memory and registers behave.
 *  - Not rendered in text mode: the line compare split screen, the
 *    horizontal pel panning, the preset row scan, the cursor skew, the
 *    underline except in monochrome emulation (AR 10h bit 1).
 *  - Without VBE, plane offsets wrap at 64 KiB (so in the 128 KiB map
 *    B0000h aliases A0000h in planar modes, as the 16-bit address does).
 *  - In odd/even mode the plane offset is the CPU address with bit 0
 *    cleared (the misc output page bit is ignored), which is what the CRTC's
 *    word mode reads back.
 *  - In chain-4 mode the CPU offset is address >> 2 (the "mode X" view of a
 *    mode 13h screen), and writes still pass through the write mode logic.
 *  - With VBE enabled at more than 4 bits per pixel, the 0xA0000 window is
 *    a plain linear view of vram at BANK * 64 KiB (no write modes).
 *  - Reset clears video memory and every register (real hardware keeps
 *    memory and powers up undefined; the VGA BIOS programs everything).
 */
#include "devices/vga.h"

#include <stdlib.h>
#include <string.h>

#include "devices/core/log.h"

#define VGA_MMIO_BASE   0xA0000u
#define VGA_MMIO_BYTES  0x20000u
#define VGA_PLANE_BYTES (VGA_PLANAR_BYTES / 4)

/* 640x480 timing from the 25.175 MHz dot clock: 800 dots per line. */
#define VGA_LINE_NS        31778u
#define VGA_HDISPLAY_NS    25422u /* 640 of the 800 dots */
#define VGA_LINES          525u
#define VGA_VDISPLAY_LINES 480u
#define VGA_VRETRACE_FIRST 490u
#define VGA_VRETRACE_LAST  491u
#define VGA_FRAME_NS       ((uint64_t)VGA_LINE_NS * VGA_LINES)

#define VGA_NUM_SEQ  5
#define VGA_NUM_GC   9
#define VGA_NUM_CRTC 0x19
#define VGA_NUM_AR   0x15

/* log_once keys: "VGA" in the top bytes, a reason below. */
#define VGA_LOG_KEY(reason) (0x5647410000ull | (reason))

struct Vga {
    Bus *bus;
    Clock *clock;
    MemRegion *mr;
    uint8_t *vram;
    uint32_t vram_bytes;

    uint8_t misc;
    uint8_t feature;
    uint8_t vse; /* 3C3h */
    uint8_t seq_index;
    uint8_t seq[8];
    uint8_t gc_index;
    uint8_t gc[16];
    uint8_t crtc_index;
    uint8_t crtc[64];
    uint8_t ar_index; /* with the palette address source in bit 5 */
    bool ar_flipflop; /* true: the next 3C0h write is data */
    uint8_t ar[32];

    uint8_t dac[256 * 3];
    uint8_t pel_mask;
    uint8_t dac_write_index;
    uint8_t dac_read_index;
    uint8_t dac_sub;      /* component 0-2 of the entry being read/written */
    uint8_t dac_state;    /* 0: write mode, 3: read mode (3C7h) */
    uint8_t dac_cache[3]; /* a write commits with the third component */

    uint8_t latch[4];

    uint16_t vbe_index;
    uint16_t vbe[VBE_DISPI_INDEX_NB];

    bool dirty;
    int shown_blink_phase; /* blink state at the last dirty check */
};

/* Writable bits of each register. */
static const uint8_t seq_mask[VGA_NUM_SEQ] = {0x03, 0x3D, 0x0F, 0x3F, 0x0E};
static const uint8_t gc_mask[VGA_NUM_GC] = {0x0F, 0x0F, 0x0F, 0x1F, 0x03, 0x7B, 0x0F, 0x0F, 0xFF};

static bool vga_color(const Vga *v)
{
    return v->misc & 1;
}
static bool vbe_linear(const Vga *v)
{
    return (v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED) && v->vbe[VBE_DISPI_INDEX_BPP] > 4;
}

/* ---- Input status 1: the beam position on the virtual clock ---- */

static uint8_t vga_status1(Vga *v)
{
    uint64_t now = v->clock ? clock_now_ns(v->clock) : 0;
    uint64_t line = (now / VGA_LINE_NS) % VGA_LINES;
    uint64_t pos = now % VGA_LINE_NS;
    uint8_t st = 0;
    if (line >= VGA_VRETRACE_FIRST && line <= VGA_VRETRACE_LAST) st |= 0x08;
    if (line >= VGA_VDISPLAY_LINES || pos >= VGA_HDISPLAY_NS) st |= 0x01;
    return st;
}

/* Bit 0: characters shown (blink on), bit 1: cursor shown. */
static int vga_blink_phase(const Vga *v)
{
    uint64_t frame = v->clock ? clock_now_ns(v->clock) / VGA_FRAME_NS : 0;
    return (((frame >> 4) & 1) ? 0 : 1) | (((frame >> 3) & 1) ? 0 : 2);
}

/* ---- Video memory ---- */

/* Reduces a plane offset to the memory that answers: the legacy planes are
 * 64 KiB and their address wraps; with VBE on, banked planar modes reach
 * the rest of vram. Returns false when nothing answers. */
static bool vga_plane_offset(const Vga *v, uint32_t *o)
{
    if (!(v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED)) {
        *o &= VGA_PLANE_BYTES - 1;
        return true;
    }
    return *o < v->vram_bytes / 4;
}

/* Maps a window offset (0..128K) to the CPU address inside the selected
 * memory map, or returns false when the window does not decode it. */
static bool vga_window(const Vga *v, uint32_t off, uint32_t *addr)
{
    static const uint32_t base[4] = {0x00000, 0x00000, 0x10000, 0x18000};
    static const uint32_t size[4] = {0x20000, 0x10000, 0x08000, 0x08000};
    unsigned mm = (v->gc[6] >> 2) & 3;
    if (off < base[mm] || off >= base[mm] + size[mm]) return false;
    *addr = off - base[mm];
    if (v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED)
        *addr += (uint32_t)v->vbe[VBE_DISPI_INDEX_BANK] << 16;
    return true;
}

static uint8_t vga_mem_readb(Vga *v, uint32_t off)
{
    uint32_t a;
    if (!vga_window(v, off, &a)) return 0xFF;
    if (vbe_linear(v)) return a < v->vram_bytes ? v->vram[a] : 0xFF;

    unsigned plane;
    uint32_t o;
    if (v->seq[4] & 0x08) { /* chain-4 */
        plane = a & 3;
        o = a >> 2;
    } else if (v->gc[5] & 0x10) { /* odd/even */
        plane = (v->gc[4] & 2) | (a & 1);
        o = a & ~1u;
    } else {
        plane = v->gc[4] & 3;
        o = a;
    }
    if (!vga_plane_offset(v, &o)) return 0xFF;
    memcpy(v->latch, &v->vram[o * 4], 4);
    if (!(v->gc[5] & 0x08)) return v->latch[plane];

    /* Read mode 1: 1 where every plane not "don't care" matches the colour. */
    uint8_t diff = 0;
    for (unsigned p = 0; p < 4; p++) {
        if (!((v->gc[7] >> p) & 1)) continue;
        uint8_t want = ((v->gc[2] >> p) & 1) ? 0xFF : 0x00;
        diff |= v->latch[p] ^ want;
    }
    return (uint8_t)~diff;
}

static uint8_t ror8(uint8_t x, unsigned n)
{
    n &= 7;
    return n ? (uint8_t)((x >> n) | (x << (8 - n))) : x;
}

static void vga_mem_writeb(Vga *v, uint32_t off, uint8_t val)
{
    uint32_t a;
    if (!vga_window(v, off, &a)) return;
    v->dirty = true;
    if (vbe_linear(v)) {
        if (a < v->vram_bytes) v->vram[a] = val;
        return;
    }

    uint8_t mask = v->seq[2] & 0x0F;
    uint32_t o;
    if (v->seq[4] & 0x08) { /* chain-4 */
        mask &= (uint8_t)(1u << (a & 3));
        o = a >> 2;
    } else if (!(v->seq[4] & 0x04)) { /* odd/even */
        mask &= (a & 1) ? 0x0A : 0x05;
        o = a & ~1u;
    } else {
        o = a;
    }
    if (!vga_plane_offset(v, &o)) return;
    uint8_t *dst = &v->vram[o * 4];

    unsigned mode = v->gc[5] & 3;
    if (mode == 1) { /* the latches, as they are */
        for (unsigned p = 0; p < 4; p++)
            if ((mask >> p) & 1) dst[p] = v->latch[p];
        return;
    }
    uint8_t bitmask = v->gc[8];
    uint8_t rot = ror8(val, v->gc[3] & 7);
    if (mode == 3) bitmask &= rot;
    unsigned fn = (v->gc[3] >> 3) & 3;
    for (unsigned p = 0; p < 4; p++) {
        if (!((mask >> p) & 1)) continue;
        uint8_t d;
        uint8_t sr = ((v->gc[0] >> p) & 1) ? 0xFF : 0x00;
        switch (mode) {
        case 0: d = ((v->gc[1] >> p) & 1) ? sr : rot; break;
        case 2: d = ((val >> p) & 1) ? 0xFF : 0x00; break;
        default: d = sr; break; /* mode 3 */
        }
        switch (fn) {
        case 1: d &= v->latch[p]; break;
        case 2: d |= v->latch[p]; break;
        case 3: d ^= v->latch[p]; break;
        default: break;
        }
        dst[p] = (uint8_t)((d & bitmask) | (v->latch[p] & ~bitmask));
    }
}

static uint32_t vga_mmio_read(void *opaque, uint32_t off, unsigned size)
{
    Vga *v = opaque;
    uint32_t r = 0;
    for (unsigned i = 0; i < size; i++)
        r |= (uint32_t)vga_mem_readb(v, off + i) << (8 * i);
    return r;
}

static void vga_mmio_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    Vga *v = opaque;
    for (unsigned i = 0; i < size; i++)
        vga_mem_writeb(v, off + i, (uint8_t)(val >> (8 * i)));
}

static const MemOps vga_mmio_ops = {vga_mmio_read, vga_mmio_write, 1};

/* ---- Registers ---- */

static void vga_crtc_write(Vga *v, uint8_t val)
{
    unsigned i = v->crtc_index;
    if (i >= VGA_NUM_CRTC) {
        log_once(LOG_GUEST_ERRORS, VGA_LOG_KEY(0x100 + i), "vga: write to CRTC register %02Xh\n",
                 i);
        return;
    }
    if (i <= 7 && (v->crtc[0x11] & 0x80)) {
        /* Protected; only the line compare bit 8 of 07h stays writable. */
        if (i == 7) v->crtc[7] = (uint8_t)((v->crtc[7] & ~0x10) | (val & 0x10));
        return;
    }
    v->crtc[i] = val;
}

static uint8_t vga_dac_component(const Vga *v, uint8_t x)
{
    return (v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC) ? x : (x & 0x3F);
}

static uint32_t vga_io_read(void *opaque, uint16_t port, unsigned size)
{
    Vga *v = opaque;
    (void)size;
    /* The CRTC and status ports of the addressing mode not selected. */
    if ((port >= 0x3B0 && port <= 0x3BF && vga_color(v)) ||
        (port >= 0x3D0 && port <= 0x3DF && !vga_color(v)))
        return 0xFF;
    switch (port) {
    case 0x3C0: return v->ar_index;
    case 0x3C1: {
        unsigned i = v->ar_index & 0x1F;
        return i < VGA_NUM_AR ? v->ar[i] : 0;
    }
    case 0x3C2: return 0x00; /* input status 0: no retrace IRQ, no switch sense */
    case 0x3C3: return v->vse;
    case 0x3C4: return v->seq_index;
    case 0x3C5: return v->seq_index < VGA_NUM_SEQ ? v->seq[v->seq_index] : 0xFF;
    case 0x3C6: return v->pel_mask;
    case 0x3C7: return v->dac_state;
    case 0x3C8: return v->dac_write_index;
    case 0x3C9: {
        uint8_t c = vga_dac_component(v, v->dac[v->dac_read_index * 3 + v->dac_sub]);
        if (++v->dac_sub == 3) {
            v->dac_sub = 0;
            v->dac_read_index++;
        }
        return c;
    }
    case 0x3CA: return v->feature;
    case 0x3CC: return v->misc;
    case 0x3CE: return v->gc_index;
    case 0x3CF: return v->gc_index < VGA_NUM_GC ? v->gc[v->gc_index] : 0xFF;
    case 0x3B4:
    case 0x3D4: return v->crtc_index;
    case 0x3B5:
    case 0x3D5: return v->crtc_index < VGA_NUM_CRTC ? v->crtc[v->crtc_index] : 0xFF;
    case 0x3BA:
    case 0x3DA: v->ar_flipflop = false; return vga_status1(v);
    default:
        log_once(LOG_UNIMP, VGA_LOG_KEY(port), "vga: read from port %03Xh\n", port);
        return 0xFF;
    }
}

static void vga_io_write(void *opaque, uint16_t port, uint32_t val32, unsigned size)
{
    Vga *v = opaque;
    uint8_t val = (uint8_t)val32;
    (void)size;
    if ((port >= 0x3B0 && port <= 0x3BF && vga_color(v)) ||
        (port >= 0x3D0 && port <= 0x3DF && !vga_color(v)))
        return;
    v->dirty = true;
    switch (port) {
    case 0x3C0:
        if (!v->ar_flipflop) {
            v->ar_index = val & 0x3F;
        } else {
            unsigned i = v->ar_index & 0x1F;
            static const uint8_t ar_mask[VGA_NUM_AR] = {0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,
                                                        0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,
                                                        0x3F, 0x3F, 0xEF, 0xFF, 0x3F, 0x0F, 0x0F};
            if (i < VGA_NUM_AR)
                v->ar[i] = val & ar_mask[i];
            else
                log_once(LOG_GUEST_ERRORS, VGA_LOG_KEY(0x200 + i),
                         "vga: write to attribute register %02Xh\n", i);
        }
        v->ar_flipflop = !v->ar_flipflop;
        break;
    case 0x3C2: v->misc = val; break;
    case 0x3C3: v->vse = val & 1; break;
    case 0x3C4: v->seq_index = val & 7; break;
    case 0x3C5:
        if (v->seq_index < VGA_NUM_SEQ)
            v->seq[v->seq_index] = val & seq_mask[v->seq_index];
        else
            log_once(LOG_GUEST_ERRORS, VGA_LOG_KEY(0x300 + v->seq_index),
                     "vga: write to sequencer register %u\n", v->seq_index);
        break;
    case 0x3C6: v->pel_mask = val; break;
    case 0x3C7:
        v->dac_read_index = val;
        v->dac_sub = 0;
        v->dac_state = 3;
        break;
    case 0x3C8:
        v->dac_write_index = val;
        v->dac_sub = 0;
        v->dac_state = 0;
        break;
    case 0x3C9:
        v->dac_cache[v->dac_sub] = vga_dac_component(v, val);
        if (++v->dac_sub == 3) {
            memcpy(&v->dac[v->dac_write_index * 3], v->dac_cache, 3);
            v->dac_sub = 0;
            v->dac_write_index++;
        }
        break;
    case 0x3CE: v->gc_index = val & 0x0F; break;
    case 0x3CF:
        if (v->gc_index < VGA_NUM_GC)
            v->gc[v->gc_index] = val & gc_mask[v->gc_index];
        else
            log_once(LOG_GUEST_ERRORS, VGA_LOG_KEY(0x400 + v->gc_index),
                     "vga: write to graphics register %u\n", v->gc_index);
        break;
    case 0x3B4:
    case 0x3D4: v->crtc_index = val & 0x3F; break;
    case 0x3B5:
    case 0x3D5: vga_crtc_write(v, val); break;
    case 0x3BA:
    case 0x3DA: v->feature = val; break;
    default:
        log_once(LOG_UNIMP, VGA_LOG_KEY(port), "vga: write %02Xh to port %03Xh\n", val, port);
        break;
    }
}

static const IoOps vga_io_ops = {vga_io_read, vga_io_write, 1};

/* ---- Bochs VBE DISPI ---- */

static unsigned vbe_bytes_per_pixel(const Vga *v)
{
    unsigned bpp = v->vbe[VBE_DISPI_INDEX_BPP];
    return bpp <= 8 ? 1 : (bpp + 7) / 8;
}

/* The virtual height is whatever whole lines of virt_width fit in vram. */
static void vbe_update_virt_height(Vga *v)
{
    uint32_t line_bytes = (uint32_t)v->vbe[VBE_DISPI_INDEX_VIRT_WIDTH] * vbe_bytes_per_pixel(v);
    if (v->vbe[VBE_DISPI_INDEX_BPP] == 4) line_bytes = v->vbe[VBE_DISPI_INDEX_VIRT_WIDTH] / 2;
    uint32_t lines = line_bytes ? v->vram_bytes / line_bytes : 0;
    v->vbe[VBE_DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)(lines > 0xFFFF ? 0xFFFF : lines);
}

static uint32_t vbe_io_read(void *opaque, uint16_t port, unsigned size)
{
    Vga *v = opaque;
    (void)size;
    if (port == VBE_DISPI_IOPORT_INDEX) return v->vbe_index;
    unsigned i = v->vbe_index;
    if (i >= VBE_DISPI_INDEX_NB) {
        log_once(LOG_GUEST_ERRORS, VGA_LOG_KEY(0x500 + (i & 0xFF)),
                 "vga: read of VBE DISPI register %u\n", i);
        return 0;
    }
    if (v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS) {
        if (i == VBE_DISPI_INDEX_XRES) return VBE_DISPI_MAX_XRES;
        if (i == VBE_DISPI_INDEX_YRES) return VBE_DISPI_MAX_YRES;
        if (i == VBE_DISPI_INDEX_BPP) return VBE_DISPI_MAX_BPP;
    }
    if (i == VBE_DISPI_INDEX_VIDEO_MEMORY_64K) return v->vram_bytes >> 16;
    return v->vbe[i];
}

static void vbe_io_write(void *opaque, uint16_t port, uint32_t val32, unsigned size)
{
    Vga *v = opaque;
    uint16_t val = (uint16_t)val32;
    (void)size;
    if (port == VBE_DISPI_IOPORT_INDEX) {
        v->vbe_index = val;
        return;
    }
    unsigned i = v->vbe_index;
    bool ok = true;
    v->dirty = true;
    switch (i) {
    case VBE_DISPI_INDEX_ID:
        ok = val >= VBE_DISPI_ID0 && val <= VBE_DISPI_ID5;
        if (ok) v->vbe[i] = val;
        break;
    case VBE_DISPI_INDEX_XRES:
        ok = val <= VBE_DISPI_MAX_XRES && (val & 7) == 0;
        if (ok) v->vbe[i] = val;
        break;
    case VBE_DISPI_INDEX_YRES:
        ok = val <= VBE_DISPI_MAX_YRES;
        if (ok) v->vbe[i] = val;
        break;
    case VBE_DISPI_INDEX_BPP:
        if (val == 0) val = 8;
        ok = val == 4 || val == 8 || val == 15 || val == 16 || val == 24 || val == 32;
        if (ok) v->vbe[i] = val;
        break;
    case VBE_DISPI_INDEX_BANK:
        ok = ((uint32_t)val << 16) < v->vram_bytes;
        if (ok) v->vbe[i] = val;
        break;
    case VBE_DISPI_INDEX_ENABLE: {
        bool was_on = v->vbe[i] & VBE_DISPI_ENABLED;
        v->vbe[i] = val & (VBE_DISPI_ENABLED | VBE_DISPI_GETCAPS | VBE_DISPI_8BIT_DAC |
                           VBE_DISPI_LFB_ENABLED | VBE_DISPI_NOCLEARMEM);
        if ((val & VBE_DISPI_ENABLED) && !was_on) {
            /* A mode set: the virtual screen is the visible one, at 0,0. */
            v->vbe[VBE_DISPI_INDEX_VIRT_WIDTH] = v->vbe[VBE_DISPI_INDEX_XRES];
            v->vbe[VBE_DISPI_INDEX_X_OFFSET] = 0;
            v->vbe[VBE_DISPI_INDEX_Y_OFFSET] = 0;
            vbe_update_virt_height(v);
            if (!(val & VBE_DISPI_NOCLEARMEM)) memset(v->vram, 0, v->vram_bytes);
        }
        break;
    }
    case VBE_DISPI_INDEX_VIRT_WIDTH:
        v->vbe[i] = val;
        vbe_update_virt_height(v);
        break;
    case VBE_DISPI_INDEX_VIRT_HEIGHT:
        /* Computed from the memory size; a smaller value is kept. */
        vbe_update_virt_height(v);
        if (val < v->vbe[i]) v->vbe[i] = val;
        break;
    case VBE_DISPI_INDEX_X_OFFSET:
    case VBE_DISPI_INDEX_Y_OFFSET: v->vbe[i] = val; break;
    default: ok = false; break;
    }
    if (!ok)
        log_once(LOG_GUEST_ERRORS, VGA_LOG_KEY(0x600 + (i & 0xFF)),
                 "vga: bad VBE DISPI write %04Xh to register %u\n", val, i);
}

static const IoOps vbe_io_ops = {vbe_io_read, vbe_io_write, 2};

/* ---- Text display ---- */

void vga_text_snapshot(Vga *v, VgaTextScreen *out)
{
    const uint8_t *cr = v->crtc;
    out->text_mode = !(v->ar[0x10] & 1);
    out->char_width = (v->seq[1] & 1) ? 8 : 9;
    out->char_height = (cr[9] & 0x1F) + 1u;
    unsigned scan = out->char_height * ((cr[9] & 0x80) ? 2 : 1);
    unsigned vde = cr[0x12] | ((cr[7] & 0x02) << 7) | ((cr[7] & 0x40) << 3);
    unsigned cols = cr[1] + 1u;
    unsigned rows = (vde + 1) / scan;
    if (cols > VGA_TEXT_MAX_COLS) cols = VGA_TEXT_MAX_COLS;
    if (rows > VGA_TEXT_MAX_ROWS) rows = VGA_TEXT_MAX_ROWS;
    out->cols = cols;
    out->rows = rows;

    uint16_t start = (uint16_t)(cr[0x0C] << 8 | cr[0x0D]);
    out->start_address = start;
    unsigned stride = cr[0x13] * 2u;
    if (stride == 0) stride = cols;
    unsigned shift = (cr[0x14] & 0x40) ? 2 : (cr[0x17] & 0x40) ? 0 : 1;
    for (unsigned r = 0; r < rows; r++) {
        for (unsigned c = 0; c < cols; c++) {
            uint32_t o = (((uint32_t)start + r * stride + c) << shift) & (VGA_PLANE_BYTES - 1);
            out->ch[r * cols + c] = v->vram[o * 4 + 0];
            out->attr[r * cols + c] = v->vram[o * 4 + 1];
        }
    }

    uint16_t loc = (uint16_t)(cr[0x0E] << 8 | cr[0x0F]);
    unsigned diff = (uint16_t)(loc - start);
    out->cursor_row = diff / stride;
    out->cursor_col = diff % stride;
    out->cursor_start = cr[0x0A] & 0x1F;
    out->cursor_end = cr[0x0B] & 0x1F;
    out->cursor_visible = !(cr[0x0A] & 0x20) && out->cursor_start <= out->cursor_end &&
                          out->cursor_row < rows && out->cursor_col < cols;
}

/* CP437 to ASCII, 16 codes per line. Control-code glyphs and symbols get a
 * look-alike, box drawing + - | (double lines = and |), shades # . */
static const char cp437_ascii[257] =
    " OO*****#o#o+!!*" /* 00-0F: smileys, suits, bullets, sexes, notes, sun */
    "><|!PS_|^v><L-^v" /* 10-1F: triangles, arrows, pilcrow, section */
    " !\"#$%&'()*+,-./"
    "0123456789:;<=>?"
    "@ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZ[\\]^_"
    "`abcdefghijklmno"
    "pqrstuvwxyz{|}~^"
    "CueaaaaceeeiiiAA"  /* 80-8F: accented letters */
    "EaAooouuyOUcLYPf"  /* 90-9F */
    "aiounNao?--42!<>"  /* A0-AF */
    "###|++++++|+++++"  /* B0-BF: shades, box drawing */
    "++++-++++++++=++"  /* C0-CF */
    "+++++++++++#####"  /* D0-DF: box drawing, blocks */
    "aBGpSsmtPTOdoqeU"  /* E0-EF: Greek and maths */
    "=+><()/~o..vn2# "; /* F0-FF */

char vga_cp437_to_ascii(uint8_t c)
{
    return cp437_ascii[c];
}

size_t vga_text_dump(Vga *v, char *buf, size_t cap)
{
    VgaTextScreen *s = malloc(sizeof *s);
    size_t n = 0;
    if (s) {
        vga_text_snapshot(v, s);
        if (s->text_mode) {
            for (unsigned r = 0; r < s->rows; r++) {
                unsigned len = s->cols;
                while (len > 0 && cp437_ascii[s->ch[r * s->cols + len - 1]] == ' ')
                    len--;
                for (unsigned c = 0; c <= len; c++) {
                    char ch = c < len ? cp437_ascii[s->ch[r * s->cols + c]] : '\n';
                    if (cap && n < cap - 1) buf[n] = ch;
                    n++;
                }
            }
        }
        free(s);
    }
    if (cap) buf[n < cap - 1 ? n : cap - 1] = '\0';
    return n;
}

/* The colour of a 4-bit attribute colour, through the attribute controller
 * and the DAC, as 0x00RRGGBB. */
static uint32_t vga_attr_rgb(const Vga *v, unsigned colour)
{
    uint8_t pal = v->ar[colour & v->ar[0x12] & 0x0F];
    unsigned idx;
    if (v->ar[0x10] & 0x80)
        idx = (pal & 0x0F) | ((v->ar[0x14] & 0x03u) << 4);
    else
        idx = pal & 0x3F;
    idx = (idx | ((v->ar[0x14] & 0x0Cu) << 4)) & v->pel_mask;
    const uint8_t *e = &v->dac[idx * 3];
    uint32_t rgb = 0;
    for (unsigned k = 0; k < 3; k++) {
        uint32_t x = e[k];
        if (!(v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC)) x = (x << 2) | (x >> 4);
        rgb = (rgb << 8) | (x & 0xFF);
    }
    return rgb;
}

void vga_render_text(Vga *v, uint32_t *pixels, unsigned *w, unsigned *h)
{
    unsigned cap_w = *w, cap_h = *h;
    *w = *h = 0;
    VgaTextScreen *s = malloc(sizeof *s);
    if (!s) return;
    vga_text_snapshot(v, s);
    if (!s->text_mode) {
        free(s);
        return;
    }
    unsigned cw = s->char_width, chh = s->char_height;
    unsigned dbl = (v->crtc[9] & 0x80) ? 2 : 1;
    unsigned img_w = s->cols * cw, img_h = s->rows * chh * dbl;
    unsigned out_w = img_w < cap_w ? img_w : cap_w;
    unsigned out_h = img_h < cap_h ? img_h : cap_h;
    int phase = vga_blink_phase(v);
    v->shown_blink_phase = phase;
    bool blanked = !(v->ar_index & 0x20) || (v->seq[1] & 0x20);
    bool blink_attr = v->ar[0x10] & 0x08;
    bool line_gfx = v->ar[0x10] & 0x04;
    bool mono = v->ar[0x10] & 0x02;
    uint8_t sr3 = v->seq[3];
    unsigned map_a = ((sr3 >> 2) & 3) | ((sr3 >> 3) & 4);
    unsigned map_b = (sr3 & 3) | ((sr3 >> 2) & 4);
    uint32_t font_a = (map_a & 3) * 0x4000u + (map_a >> 2) * 0x2000u;
    uint32_t font_b = (map_b & 3) * 0x4000u + (map_b >> 2) * 0x2000u;
    unsigned underline = v->crtc[0x14] & 0x1F;

    for (unsigned r = 0; r < s->rows; r++) {
        for (unsigned c = 0; c < s->cols; c++) {
            uint8_t ch = s->ch[r * s->cols + c];
            uint8_t at = s->attr[r * s->cols + c];
            unsigned fg = at & 0x0F, bg = at >> 4;
            bool hide_fg = false;
            if (blink_attr) {
                bg &= 7;
                if ((at & 0x80) && !(phase & 1)) hide_fg = true;
            }
            uint32_t fg_rgb = blanked ? 0 : vga_attr_rgb(v, fg);
            uint32_t bg_rgb = blanked ? 0 : vga_attr_rgb(v, bg);
            if (hide_fg) fg_rgb = bg_rgb;
            bool cursor_here =
                s->cursor_visible && (phase & 2) && r == s->cursor_row && c == s->cursor_col;
            uint32_t font = (at & 0x08) ? font_a : font_b;
            for (unsigned y = 0; y < chh; y++) {
                uint8_t bits = y < 32 ? v->vram[(font + ch * 32u + y) * 4 + 2] : 0;
                if (mono && (at & 0x77) == 0x01 && y == underline) bits = 0xFF;
                bool cur = cursor_here && y >= s->cursor_start && y <= s->cursor_end;
                for (unsigned d = 0; d < dbl; d++) {
                    unsigned py = (r * chh + y) * dbl + d;
                    if (py >= out_h) continue;
                    for (unsigned x = 0; x < cw; x++) {
                        unsigned px = c * cw + x;
                        if (px >= out_w) break;
                        bool on;
                        if (x < 8)
                            on = (bits >> (7 - x)) & 1;
                        else
                            on = line_gfx && ch >= 0xC0 && ch <= 0xDF && (bits & 1);
                        if (cur) on = true;
                        pixels[py * out_w + px] = on ? fg_rgb : bg_rgb;
                    }
                }
            }
        }
    }
    free(s);
    *w = out_w;
    *h = out_h;
}

bool vga_test_and_clear_dirty(Vga *v)
{
    int phase = vga_blink_phase(v);
    bool d = v->dirty || phase != v->shown_blink_phase;
    v->dirty = false;
    v->shown_blink_phase = phase;
    return d;
}

/* ---- Standard mode 3 ---- */

void vga_set_mode3_registers(Vga *v)
{
    static const uint8_t seq3[VGA_NUM_SEQ] = {0x03, 0x00, 0x03, 0x00, 0x02};
    static const uint8_t crtc3[VGA_NUM_CRTC] = {
        0x5F, 0x4F, 0x50, 0x82, 0x55, 0x81, 0xBF, 0x1F, 0x00, 0x4F, 0x0D, 0x0E, 0x00,
        0x00, 0x00, 0x00, 0x9C, 0x8E, 0x8F, 0x28, 0x1F, 0x96, 0xB9, 0xA3, 0xFF};
    static const uint8_t gc3[VGA_NUM_GC] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x0E, 0x00, 0xFF};
    static const uint8_t ar3[VGA_NUM_AR] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x14,
                                            0x07, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D,
                                            0x3E, 0x3F, 0x0C, 0x00, 0x0F, 0x08, 0x00};
    v->misc = 0x67;
    memcpy(v->seq, seq3, sizeof seq3);
    memcpy(v->crtc, crtc3, sizeof crtc3);
    memcpy(v->gc, gc3, sizeof gc3);
    memcpy(v->ar, ar3, sizeof ar3);
    v->ar_index = 0x20;
    v->ar_flipflop = false;
    v->pel_mask = 0xFF;
    /* The EGA's 64 colours rgbRGB: primaries 2/3 intensity, secondaries 1/3. */
    for (unsigned i = 0; i < 64; i++) {
        v->dac[i * 3 + 0] = (uint8_t)(((i >> 2) & 1) * 0x2A + ((i >> 5) & 1) * 0x15);
        v->dac[i * 3 + 1] = (uint8_t)(((i >> 1) & 1) * 0x2A + ((i >> 4) & 1) * 0x15);
        v->dac[i * 3 + 2] = (uint8_t)(((i >> 0) & 1) * 0x2A + ((i >> 3) & 1) * 0x15);
    }
    v->dirty = true;
}

/* ---- Life cycle ---- */

uint8_t *vga_vram(Vga *v, uint32_t *size_bytes)
{
    if (size_bytes) *size_bytes = v->vram_bytes;
    return v->vram;
}

void vga_reset(void *opaque)
{
    Vga *v = opaque;
    memset(v->vram, 0, v->vram_bytes);
    v->misc = 0;
    v->feature = 0;
    v->vse = 1;
    v->seq_index = v->gc_index = v->crtc_index = 0;
    memset(v->seq, 0, sizeof v->seq);
    memset(v->gc, 0, sizeof v->gc);
    memset(v->crtc, 0, sizeof v->crtc);
    memset(v->ar, 0, sizeof v->ar);
    v->ar_index = 0;
    v->ar_flipflop = false;
    memset(v->dac, 0, sizeof v->dac);
    v->pel_mask = 0xFF;
    v->dac_write_index = v->dac_read_index = v->dac_sub = v->dac_state = 0;
    memset(v->latch, 0, sizeof v->latch);
    v->vbe_index = 0;
    memset(v->vbe, 0, sizeof v->vbe);
    v->vbe[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
    v->vbe[VBE_DISPI_INDEX_BPP] = 8;
    v->dirty = true;
    v->shown_blink_phase = -1;
}

Vga *vga_new(Bus *bus, Clock *clock, const VgaConfig *cfg)
{
    uint32_t want = cfg && cfg->vram_bytes ? cfg->vram_bytes : VGA_DEFAULT_VRAM_BYTES;
    uint32_t bytes = VGA_PLANAR_BYTES;
    while (bytes < want && bytes < VGA_MAX_VRAM_BYTES)
        bytes <<= 1;
    Vga *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->vram = calloc(1, bytes);
    if (!v->vram) {
        free(v);
        return NULL;
    }
    v->vram_bytes = bytes;
    v->bus = bus;
    v->clock = clock;
    v->mr = bus_add_mmio(bus, VGA_MMIO_BASE, VGA_MMIO_BYTES, &vga_mmio_ops, v, VGA_MMIO_PRIORITY,
                         "vga");
    if (!v->mr) {
        free(v->vram);
        free(v);
        return NULL;
    }
    bus_register_io(bus, 0x3B0, 0x30, &vga_io_ops, v);
    bus_register_io(bus, VBE_DISPI_IOPORT_INDEX, 2, &vbe_io_ops, v);
    vga_reset(v);
    return v;
}

void vga_free(void *opaque)
{
    Vga *v = opaque;
    if (!v) return;
    bus_unregister_io(v->bus, 0x3B0, 0x30);
    bus_unregister_io(v->bus, VBE_DISPI_IOPORT_INDEX, 2);
    /* The bus keeps the region record; disabled, it no longer reaches us. */
    bus_region_set(v->bus, v->mr, v->mr->base, false);
    v->mr->opaque = NULL;
    free(v->vram);
    free(v);
}

const DeviceOps vga_device_ops = {"vga", vga_reset, NULL, NULL, vga_free};
