/*
 * vga.h - the IBM VGA register set and video memory, the Bochs VBE "DISPI"
 * extension, and the text-mode renderers (plain text dump, pixels).
 *
 *   VgaConfig cfg = {.vram_bytes = 16 << 20};
 *   Vga *vga = vga_new(bus, clock, &cfg);      // ports + MMIO at 0xA0000
 *   ...
 *   char text[16384];
 *   vga_text_dump(vga, text, sizeof text);     // --screendump file.txt
 *   unsigned w = 720, h = 400;                 // in: capacity, out: size
 *   vga_render_text(vga, pixels, &w, &h);
 *
 * Ports: 0x3B4/0x3B5 and 0x3BA (CRTC and input status 1 when the misc
 * output register selects monochrome addressing), 0x3C0-0x3CF, 0x3D4/0x3D5
 * and 0x3DA (colour addressing), 0x1CE/0x1CF (VBE DISPI index/data, 16 bit).
 * Memory: an MMIO region over 0xA0000-0xBFFFF; the graphics controller's
 * memory map select decides which part of it answers. The VBE linear frame
 * buffer (a PCI BAR, wired by the machine) is vga_vram() mapped with
 * bus_add_host. There is no IRQ (the VGA's vertical retrace interrupt is not
 * wired on PC/AT-class boards).
 *
 * See vga.c for the model and its deviations.
 */
#ifndef BRISK_VGA_H
#define BRISK_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/device.h"

/* The legacy VGA's four 64 KiB planes; they live at the start of VRAM. */
#define VGA_PLANAR_BYTES       (256u * 1024u)
#define VGA_DEFAULT_VRAM_BYTES (16u * 1024u * 1024u)
#define VGA_MAX_VRAM_BYTES     (256u * 1024u * 1024u)

/* Priority of the 0xA0000-0xBFFFF window over RAM mapped at priority 0. */
#define VGA_MMIO_PRIORITY 5

/* Bochs VBE DISPI (the interface SeaVGABIOS's vgabios-stdvga.bin drives). */
#define VBE_DISPI_IOPORT_INDEX 0x1CE
#define VBE_DISPI_IOPORT_DATA  0x1CF
enum {
    VBE_DISPI_INDEX_ID = 0,
    VBE_DISPI_INDEX_XRES = 1,
    VBE_DISPI_INDEX_YRES = 2,
    VBE_DISPI_INDEX_BPP = 3,
    VBE_DISPI_INDEX_ENABLE = 4,
    VBE_DISPI_INDEX_BANK = 5,
    VBE_DISPI_INDEX_VIRT_WIDTH = 6,
    VBE_DISPI_INDEX_VIRT_HEIGHT = 7,
    VBE_DISPI_INDEX_X_OFFSET = 8,
    VBE_DISPI_INDEX_Y_OFFSET = 9,
    VBE_DISPI_INDEX_VIDEO_MEMORY_64K = 10,
    VBE_DISPI_INDEX_NB = 11,
};
#define VBE_DISPI_ID0         0xB0C0
#define VBE_DISPI_ID5         0xB0C5
#define VBE_DISPI_DISABLED    0x00
#define VBE_DISPI_ENABLED     0x01
#define VBE_DISPI_GETCAPS     0x02
#define VBE_DISPI_8BIT_DAC    0x20
#define VBE_DISPI_LFB_ENABLED 0x40
#define VBE_DISPI_NOCLEARMEM  0x80
#define VBE_DISPI_MAX_XRES    2560
#define VBE_DISPI_MAX_YRES    1600
#define VBE_DISPI_MAX_BPP     32

/* Limits of a text snapshot (the CRTC can describe more; the rest is cut). */
#define VGA_TEXT_MAX_COLS 256
#define VGA_TEXT_MAX_ROWS 128

typedef struct VgaConfig {
    /* Video memory; 0 means VGA_DEFAULT_VRAM_BYTES. Rounded up to a power
     * of two between VGA_PLANAR_BYTES and VGA_MAX_VRAM_BYTES. */
    uint32_t vram_bytes;
} VgaConfig;

typedef struct VgaTextScreen {
    bool text_mode;         /* false: the attribute controller is in graphics mode */
    unsigned cols, rows;    /* from CRTC 01h, 12h/07h and 09h */
    unsigned char_width;    /* 8 or 9 (sequencer clocking mode bit 0) */
    unsigned char_height;   /* CRTC 09h maximum scan line + 1 */
    uint16_t start_address; /* CRTC 0Ch/0Dh */
    /* Cell (r, c) is at [r * cols + c]. */
    uint8_t ch[VGA_TEXT_MAX_COLS * VGA_TEXT_MAX_ROWS];
    uint8_t attr[VGA_TEXT_MAX_COLS * VGA_TEXT_MAX_ROWS];
    /* Cursor (CRTC 0Ah/0Bh/0Eh/0Fh). visible is false when disabled by 0Ah
     * bit 5, when start > end, or when it lies outside the screen. */
    bool cursor_visible;
    unsigned cursor_row, cursor_col;
    unsigned cursor_start, cursor_end; /* scan lines within the cell */
} VgaTextScreen;

typedef struct Vga Vga;

/* Registers the ports and the 0xA0000 window (cfg may be NULL: defaults)
 * and resets the chip. Returns NULL if out of memory. */
Vga *vga_new(Bus *bus, Clock *clock, const VgaConfig *cfg);
void vga_reset(void *vga);
/* Unregisters the ports, unmaps the window and frees the chip. */
void vga_free(void *vga);

/* The whole video memory (the planar 256 KiB first, byte 4*o+p being
 * offset o of plane p) for the VBE linear frame buffer BAR. */
uint8_t *vga_vram(Vga *vga, uint32_t *size_bytes);

/* Loads the standard mode 3 (80x25 colour text) register values and the
 * default EGA DAC palette, without touching video memory or the font: for
 * boots that run no VGA BIOS (a direct Linux boot). */
void vga_set_mode3_registers(Vga *vga);

void vga_text_snapshot(Vga *vga, VgaTextScreen *out);
/* The text screen as rows of plain ASCII, each with its trailing spaces
 * trimmed and ended by '\n' (CP437 is mapped to ASCII approximations: box
 * drawing to + - |, shades and blocks to #, accented letters to their base
 * letter). Like snprintf: writes at most cap - 1 bytes and a NUL (if cap >
 * 0) and returns the length of the whole dump. In a graphics mode the dump
 * is empty. */
size_t vga_text_dump(Vga *vga, char *buf, size_t cap);
/* Maps one CP437 code to the ASCII character the dump uses. */
char vga_cp437_to_ascii(uint8_t c);

/* Draws the text screen as 0x00RRGGBB pixels. On entry *w and *h give the
 * buffer's capacity (it holds *w * *h pixels); on return the image size,
 * clipped to that capacity, with a row stride equal to the returned *w.
 * Returns 0 x 0 in a graphics mode (rendered in a later issue). */
void vga_render_text(Vga *vga, uint32_t *pixels, unsigned *w, unsigned *h);
/* True when the screen changed (memory, registers, blink phase) since the
 * last call; clears the flag. */
bool vga_test_and_clear_dirty(Vga *vga);

extern const DeviceOps vga_device_ops;

#endif
