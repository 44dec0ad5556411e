/*
 * test_bus.c - the physical memory map and the port table (devices/core/bus.c).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"

static Bus *bus;

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
}

static void teardown(void)
{
    bus_free(bus);
}

/* ---- recorders ---- */

typedef struct Access {
    uint32_t off;
    uint32_t val;
    unsigned size;
    bool write;
} Access;

typedef struct Recorder {
    Access log[64];
    int n;
    uint32_t read_base; /* reads return read_base + off, truncated to size */
} Recorder;

static void rec_add(Recorder *r, uint32_t off, uint32_t val, unsigned size, bool write)
{
    if (r->n < 64) r->log[r->n] = (Access){off, val, size, write};
    r->n++;
}

static uint32_t size_mask(unsigned size)
{
    return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

static uint32_t mmio_rd(void *opaque, uint32_t off, unsigned size)
{
    Recorder *r = opaque;
    uint32_t v = (r->read_base + off) & size_mask(size);
    rec_add(r, off, v, size, false);
    return v;
}

static void mmio_wr(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    rec_add(opaque, off, val, size, true);
}

static uint32_t io_rd(void *opaque, uint16_t port, unsigned size)
{
    return mmio_rd(opaque, port, size);
}

static void io_wr(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    mmio_wr(opaque, port, val, size);
}

typedef struct Hooks {
    int remaps;
    int code_writes;
    uint32_t last_paddr;
    unsigned last_size;
} Hooks;

static void on_remap(void *opaque)
{
    ((Hooks *)opaque)->remaps++;
}

static void on_code_write(void *opaque, uint32_t paddr, unsigned size)
{
    Hooks *h = opaque;
    h->code_writes++;
    h->last_paddr = paddr;
    h->last_size = size;
}

/* ---- RAM ---- */

START_TEST(test_ram_sizes)
{
    uint8_t *ram = bus_add_ram(bus, 0, 1 << 20, "ram");
    ck_assert_ptr_nonnull(ram);
    ck_assert_ptr_eq(bus_page_host(bus, 0x1234), ram + 0x1000);
    bus_write(bus, 0x100, 0xAB, 1);
    bus_write(bus, 0x102, 0xBEEF, 2);
    bus_write(bus, 0x105, 0x12345678, 4); /* unaligned */
    ck_assert_uint_eq(ram[0x100], 0xAB);
    ck_assert_uint_eq(ram[0x102], 0xEF);
    ck_assert_uint_eq(ram[0x103], 0xBE);
    ck_assert_uint_eq(ram[0x105], 0x78);
    ck_assert_uint_eq(ram[0x108], 0x12);
    ck_assert_uint_eq(bus_read(bus, 0x100, 1), 0xAB);
    ck_assert_uint_eq(bus_read(bus, 0x102, 2), 0xBEEF);
    ck_assert_uint_eq(bus_read(bus, 0x105, 4), 0x12345678);
    ck_assert_uint_eq(bus_read(bus, 0x104, 4), 0x345678 << 8);
    /* A byte write leaves its neighbours alone. */
    bus_write(bus, 0x106, 0x00, 1);
    ck_assert_uint_eq(bus_read(bus, 0x105, 4), 0x12340078);
    /* Fresh RAM is zero. */
    ck_assert_uint_eq(bus_read(bus, 0xFFFFC, 4), 0);
    /* Past the end of RAM is unmapped. */
    ck_assert_uint_eq(bus_read(bus, 0x100000, 4), 0xFFFFFFFFu);
}
END_TEST

START_TEST(test_ram_page_crossing)
{
    uint8_t *ram = bus_add_ram(bus, 0, 0x3000, "ram");
    for (unsigned off = 0xFFD; off <= 0xFFF; off++) {
        bus_write(bus, off, 0xA1B2C3D4, 4);
        ck_assert_uint_eq(bus_read(bus, off, 4), 0xA1B2C3D4);
        ck_assert_uint_eq(ram[off], 0xD4);
        ck_assert_uint_eq(ram[off + 3], 0xA1);
    }
    bus_write(bus, 0x1FFF, 0x5566, 2);
    ck_assert_uint_eq(ram[0x1FFF], 0x66);
    ck_assert_uint_eq(ram[0x2000], 0x55);
    ck_assert_uint_eq(bus_read(bus, 0x1FFF, 2), 0x5566);
    /* Crossing from RAM into unmapped space: the missing bytes read as ones
     * and writes to them are dropped. */
    bus_write(bus, 0x2FFE, 0x11223344, 4);
    ck_assert_uint_eq(ram[0x2FFE], 0x44);
    ck_assert_uint_eq(ram[0x2FFF], 0x33);
    ck_assert_uint_eq(bus_read(bus, 0x2FFE, 4), 0xFFFF3344);
    /* Block copies across pages. */
    uint8_t src[0x1800], dst[0x1800];
    for (size_t i = 0; i < sizeof src; i++)
        src[i] = (uint8_t)(i * 7);
    bus_write_block(bus, 0x0800, src, sizeof src);
    ck_assert_int_eq(memcmp(ram + 0x800, src, sizeof src), 0);
    bus_read_block(bus, 0x0800, dst, sizeof dst);
    ck_assert_int_eq(memcmp(dst, src, sizeof src), 0);
    /* A block read running off the end of RAM gets ones for the rest. */
    uint8_t tail[8];
    bus_read_block(bus, 0x2FFC, tail, 8);
    ck_assert_uint_eq(tail[3], ram[0x2FFF]);
    ck_assert_uint_eq(tail[4], 0xFF);
    ck_assert_uint_eq(tail[7], 0xFF);
}
END_TEST

START_TEST(test_ram_rejects_bad_regions)
{
    ck_assert_ptr_null(bus_add_ram(bus, 0x123, 0x1000, "misaligned"));
    ck_assert_ptr_null(bus_add_ram(bus, 0xFFFFF000u, 0x2000, "past 4G"));
    ck_assert_ptr_null(bus_add_ram(bus, 0, 0, "empty"));
    /* The top page of the address space is fine. */
    uint8_t *top = bus_add_ram(bus, 0xFFFFF000u, 0x1000, "top");
    ck_assert_ptr_nonnull(top);
    bus_write(bus, 0xFFFFFFFCu, 0xCAFEBABE, 4);
    ck_assert_uint_eq(bus_read(bus, 0xFFFFFFFCu, 4), 0xCAFEBABE);
    /* Size rounded up to a page. */
    uint8_t *odd = bus_add_ram(bus, 0x10000, 100, "odd");
    ck_assert_ptr_nonnull(odd);
    bus_write(bus, 0x10FFC, 0x01020304, 4);
    ck_assert_uint_eq(odd[0xFFC], 0x04);
}
END_TEST

/* ---- ROM ---- */

START_TEST(test_rom_ignores_writes)
{
    uint8_t img[0x2000];
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = (uint8_t)(0xC0 + i);
    MemRegion *rom = bus_add_rom(bus, 0xFE000, img, sizeof img, "bios");
    ck_assert_ptr_nonnull(rom);
    ck_assert_uint_eq(rom->kind, MR_ROM);
    ck_assert(bus_page_flags(bus, 0xFE000) & PAGE_READONLY);
    ck_assert_uint_eq(bus_read(bus, 0xFE000, 4), 0xC3C2C1C0);
    bus_write(bus, 0xFE000, 0, 4);
    bus_write(bus, 0xFEFFE, 0, 4); /* crossing into the second ROM page */
    ck_assert_uint_eq(bus_read(bus, 0xFE000, 4), 0xC3C2C1C0);
    ck_assert_uint_eq(bus_read(bus, 0xFEFFE, 2),
                      (uint32_t)((uint8_t)(0xC0 + 0xFFF) << 8) | (uint8_t)(0xC0 + 0xFFE));
    uint8_t zeros[16] = {0};
    bus_write_block(bus, 0xFE010, zeros, sizeof zeros);
    ck_assert_uint_eq(bus_read(bus, 0xFE010, 1), (uint8_t)(0xC0 + 0x10));
    /* The bus owns a copy: changing the source image changes nothing. */
    img[0] = 0;
    ck_assert_uint_eq(bus_read(bus, 0xFE000, 1), 0xC0);
    /* A ROM image not a page multiple is padded with zeros. */
    MemRegion *small = bus_add_rom(bus, 0xC0000, (const uint8_t *)"\x55\xAA", 2, "optrom");
    ck_assert_ptr_nonnull(small);
    ck_assert_uint_eq(bus_read(bus, 0xC0000, 2), 0xAA55);
    ck_assert_uint_eq(bus_read(bus, 0xC0002, 2), 0);
}
END_TEST

/* ---- MMIO ---- */

START_TEST(test_mmio_callbacks)
{
    Recorder r = {.read_base = 0x10};
    static const MemOps ops = {mmio_rd, mmio_wr, 0}; /* 0: up to 4 bytes natively */
    MemRegion *mr = bus_add_mmio(bus, 0xFEC00000u, 0x1000, &ops, &r, 0, "mmio");
    ck_assert_ptr_nonnull(mr);
    ck_assert_ptr_null(bus_page_host(bus, 0xFEC00000u));
    ck_assert_uint_eq(bus_read(bus, 0xFEC00010u, 4), 0x20);
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(r.log[0].off, 0x10);
    ck_assert_uint_eq(r.log[0].size, 4);
    bus_write(bus, 0xFEC00020u, 0x12345678, 4);
    ck_assert_int_eq(r.n, 2);
    ck_assert(r.log[1].write);
    ck_assert_uint_eq(r.log[1].off, 0x20);
    ck_assert_uint_eq(r.log[1].val, 0x12345678);
    ck_assert_uint_eq(r.log[1].size, 4);
    bus_write(bus, 0xFEC00003u, 0xAB, 1);
    ck_assert_uint_eq(r.log[2].off, 3);
    ck_assert_uint_eq(r.log[2].size, 1);
    bus_write(bus, 0xFEC00006u, 0xABCD, 2);
    ck_assert_uint_eq(r.log[3].val, 0xABCD);
    ck_assert_uint_eq(r.log[3].size, 2);
}
END_TEST

START_TEST(test_mmio_splitting)
{
    Recorder r = {.read_base = 0x40};
    static const MemOps byte_ops = {mmio_rd, mmio_wr, 1};
    bus_add_mmio(bus, 0xA0000, 0x20000, &byte_ops, &r, 0, "vga");
    /* A dword read of a byte-wide region: four byte reads, low first. */
    ck_assert_uint_eq(bus_read(bus, 0xA0004, 4), 0x47464544);
    ck_assert_int_eq(r.n, 4);
    for (int i = 0; i < 4; i++) {
        ck_assert_uint_eq(r.log[i].off, 4 + (uint32_t)i);
        ck_assert_uint_eq(r.log[i].size, 1);
    }
    r.n = 0;
    bus_write(bus, 0xA0010, 0xDDCCBBAA, 4);
    ck_assert_int_eq(r.n, 4);
    ck_assert_uint_eq(r.log[0].val, 0xAA);
    ck_assert_uint_eq(r.log[0].off, 0x10);
    ck_assert_uint_eq(r.log[3].val, 0xDD);
    ck_assert_uint_eq(r.log[3].off, 0x13);
    /* An access crossing a page inside the region is split into bytes. */
    r.n = 0;
    bus_write(bus, 0xA0FFF, 0x2211, 2);
    ck_assert_int_eq(r.n, 2);
    ck_assert_uint_eq(r.log[0].off, 0xFFF);
    ck_assert_uint_eq(r.log[1].off, 0x1000);
    ck_assert_uint_eq(r.log[1].val, 0x22);
    /* A word-wide region splits a dword into bytes too (max_size 2). */
    Recorder w = {.read_base = 0};
    static const MemOps word_ops = {mmio_rd, mmio_wr, 2};
    bus_add_mmio(bus, 0xD0000, 0x1000, &word_ops, &w, 0, "word");
    bus_read(bus, 0xD0000, 2);
    ck_assert_int_eq(w.n, 1);
    ck_assert_uint_eq(w.log[0].size, 2);
    bus_read(bus, 0xD0000, 4);
    ck_assert_int_eq(w.n, 5);
}
END_TEST

START_TEST(test_mmio_small_region)
{
    /* A region smaller than a page at an unaligned base (like an I/O APIC
     * window): offsets are relative to its base; outside reads ones. */
    Recorder r = {.read_base = 0};
    static const MemOps ops = {mmio_rd, mmio_wr, 4};
    MemRegion *mr = bus_add_mmio(bus, 0xFED00040u, 0x20, &ops, &r, 0, "small");
    ck_assert_ptr_nonnull(mr);
    ck_assert_uint_eq(bus_read(bus, 0xFED00044u, 4), 4);
    ck_assert_uint_eq(r.log[0].off, 4);
    ck_assert_uint_eq(bus_read(bus, 0xFED00000u, 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(bus_read(bus, 0xFED00060u, 1), 0xFF);
    bus_write(bus, 0xFED00060u, 1, 1);
    ck_assert_int_eq(r.n, 1);
    /* A region without a read callback reads as ones. */
    static const MemOps wo = {NULL, mmio_wr, 4};
    bus_add_mmio(bus, 0xFEE00000u, 0x1000, &wo, &r, 0, "write-only");
    ck_assert_uint_eq(bus_read(bus, 0xFEE00000u, 4), 0xFFFFFFFFu);
    static const MemOps ro = {mmio_rd, NULL, 4};
    bus_add_mmio(bus, 0xFEF00000u, 0x1000, &ro, &r, 0, "read-only");
    bus_write(bus, 0xFEF00000u, 1, 4); /* dropped, no crash */
}
END_TEST

/* ---- priorities and remapping ---- */

START_TEST(test_priority_cover_and_uncover)
{
    uint8_t *ram = bus_add_ram(bus, 0, 1 << 20, "ram");
    bus_write(bus, 0xA0000, 0x11111111, 4);
    Recorder r = {.read_base = 0x80};
    static const MemOps ops = {mmio_rd, mmio_wr, 4};
    MemRegion *vga = bus_add_mmio(bus, 0xA0000, 0x20000, &ops, &r, 1, "vga");
    ck_assert_ptr_null(bus_page_host(bus, 0xA0000));
    ck_assert_uint_eq(bus_read(bus, 0xA0000, 4), 0x80);
    bus_write(bus, 0xA0000, 0x22222222, 4);
    ck_assert_uint_eq(ram[0xA0000], 0x11); /* the write went to the MMIO */
    /* Pages outside the region still show RAM. */
    ck_assert_ptr_eq(bus_page_host(bus, 0x9F000), ram + 0x9F000);
    ck_assert_ptr_eq(bus_page_host(bus, 0xC0000), ram + 0xC0000);
    /* Disabling the region uncovers the RAM below it. */
    bus_region_set(bus, vga, 0xA0000, false);
    ck_assert_ptr_eq(bus_page_host(bus, 0xA0000), ram + 0xA0000);
    ck_assert_uint_eq(bus_read(bus, 0xA0000, 4), 0x11111111);
    /* Moving it re-covers elsewhere; the old place stays RAM. */
    bus_region_set(bus, vga, 0xB0000, true);
    ck_assert_ptr_eq(bus_page_host(bus, 0xA0000), ram + 0xA0000);
    ck_assert_ptr_null(bus_page_host(bus, 0xB0000));
    int before = r.n;
    ck_assert_uint_eq(bus_read(bus, 0xB0004, 4), 0x84);
    ck_assert_int_eq(r.n, before + 1);
    /* A lower priority region does not cover a higher one even if added later. */
    static const MemOps ops2 = {mmio_rd, mmio_wr, 4};
    Recorder low = {.read_base = 0x1000};
    bus_add_mmio(bus, 0xB0000, 0x1000, &ops2, &low, -1, "low");
    ck_assert_uint_eq(bus_read(bus, 0xB0000, 4), 0x80);
    /* Equal priority: the region added last wins. */
    Recorder same = {.read_base = 0x2000};
    MemRegion *s = bus_add_mmio(bus, 0xB0000, 0x1000, &ops2, &same, 1, "same");
    ck_assert_uint_eq(bus_read(bus, 0xB0000, 4), 0x2000);
    bus_region_set(bus, s, 0xB0000, false);
    ck_assert_uint_eq(bus_read(bus, 0xB0000, 4), 0x80);
    /* With both disabled, RAM (priority 0) covers the priority -1 region. */
    bus_region_set(bus, vga, 0xB0000, false);
    ram[0xB0000] = 0x5A;
    ck_assert_uint_eq(bus_read(bus, 0xB0000, 4), 0x5A);
    int low_reads = low.n;
    ck_assert_int_eq(low_reads, 0);
}
END_TEST

START_TEST(test_region_moved_to_the_top)
{
    /* A region moved so that it runs past 4 GiB (a guest programming a PCI
     * BAR) maps only the part below 4 GiB and does not run off the table. */
    Recorder r = {.read_base = 0};
    static const MemOps ops = {mmio_rd, mmio_wr, 4};
    MemRegion *bar = bus_add_mmio(bus, 0xE0000000u, 0x4000, &ops, &r, 0, "bar");
    ck_assert_ptr_nonnull(bar);
    bus_region_set(bus, bar, 0xFFFFE000u, true);
    ck_assert_uint_eq(bus_read(bus, 0xFFFFF010u, 4), 0x1010);
    ck_assert_uint_eq(bus_read(bus, 0xE0000000u, 4), 0xFFFFFFFFu);
    bus_region_set(bus, bar, 0xFFFFFFF0u, true);
    ck_assert_uint_eq(bus_read(bus, 0xFFFFFFF4u, 4), 4);
    bus_region_set(bus, bar, 0xE0000000u, true);
    ck_assert_uint_eq(bus_read(bus, 0xFFFFFFF4u, 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(bus_read(bus, 0xE0000008u, 4), 8);
    /* A RAM region moved to a base that is not page aligned is not mapped
     * (its host pages could not line up); moving it back restores it. */
    uint8_t *ram = bus_add_ram(bus, 0x100000, 0x2000, "ram");
    MemRegion *mr = NULL;
    for (MemRegion *m = bus->regions; m; m = m->next)
        if (m->host == ram) mr = m;
    ck_assert_ptr_nonnull(mr);
    ram[0] = 0x77;
    bus_region_set(bus, mr, 0x200800, true);
    ck_assert_ptr_null(bus_page_host(bus, 0x200000));
    ck_assert_ptr_null(bus_page_host(bus, 0x100000));
    ck_assert_uint_eq(bus_read(bus, 0x200800, 1), 0xFF);
    bus_region_set(bus, mr, 0x300000, true);
    ck_assert_uint_eq(bus_read(bus, 0x300000, 1), 0x77);
    /* A low-priority region shows where nothing covers it. */
    Recorder low = {.read_base = 0x500};
    MemRegion *l = bus_add_mmio(bus, 0x400000, 0x1000, &ops, &low, -5, "low");
    MemRegion *h = bus_add_mmio(bus, 0x400000, 0x1000, &ops, &r, 5, "high");
    ck_assert_uint_eq(bus_read(bus, 0x400000, 4), 0);
    bus_region_set(bus, h, 0x400000, false);
    ck_assert_uint_eq(bus_read(bus, 0x400000, 4), 0x500);
    bus_region_set(bus, l, 0x400000, false);
    ck_assert_uint_eq(bus_read(bus, 0x400000, 4), 0xFFFFFFFFu);
}
END_TEST

START_TEST(test_rom_shadowing)
{
    /* PAM-style: ROM over RAM at the BIOS area; disabling the ROM region
     * exposes the shadow RAM, re-enabling it hides it again. */
    uint8_t *ram = bus_add_ram(bus, 0, 1 << 20, "ram");
    uint8_t img[0x1000];
    memset(img, 0x90, sizeof img);
    MemRegion *rom = bus_add_rom(bus, 0xF0000, img, sizeof img, "bios");
    ck_assert_uint_eq(bus_read(bus, 0xF0000, 1), 0x90);
    ck_assert(bus_page_flags(bus, 0xF0000) & PAGE_READONLY);
    bus_region_set(bus, rom, 0xF0000, false);
    ck_assert(!(bus_page_flags(bus, 0xF0000) & PAGE_READONLY));
    ck_assert_uint_eq(bus_read(bus, 0xF0000, 1), 0x00);
    bus_write(bus, 0xF0000, 0xEA, 1);
    ck_assert_uint_eq(ram[0xF0000], 0xEA);
    bus_region_set(bus, rom, 0xF0000, true);
    ck_assert_uint_eq(bus_read(bus, 0xF0000, 1), 0x90);
    /* Host-backed region the caller owns (an alias of RAM). */
    MemRegion *alias = bus_add_host(bus, 0xFFFF0000u, 0x10000, ram + 0xF0000, MR_ROM, 10, "alias");
    ck_assert_ptr_nonnull(alias);
    ck_assert_uint_eq(bus_read(bus, 0xFFFF0000u, 1), 0xEA);
    bus_write(bus, 0xFFFF0000u, 0x00, 1); /* read-only alias */
    ck_assert_uint_eq(ram[0xF0000], 0xEA);
}
END_TEST

START_TEST(test_unmapped)
{
    ck_assert_uint_eq(bus_read(bus, 0x12345678, 1), 0xFF);
    ck_assert_uint_eq(bus_read(bus, 0x12345678, 2), 0xFFFF);
    ck_assert_uint_eq(bus_read(bus, 0x12345678, 4), 0xFFFFFFFFu);
    ck_assert_uint_eq(bus_read(bus, 0xFFFFFFFFu, 4), 0xFFFFFFFFu); /* wraps at 4G */
    bus_write(bus, 0x12345678, 0, 4);                              /* dropped */
    bus_write(bus, 0xFFFFFFFEu, 0, 4);
    ck_assert_uint_eq(bus_read(bus, 0x12345678, 4), 0xFFFFFFFFu);
    uint8_t buf[4] = {1, 2, 3, 4};
    bus_write_block(bus, 0x5000, buf, 4);
    bus_read_block(bus, 0x5000, buf, 4);
    ck_assert_uint_eq(buf[0], 0xFF);
    ck_assert_uint_eq(buf[3], 0xFF);
}
END_TEST

START_TEST(test_code_write_hook)
{
    Hooks h = {0};
    uint8_t *ram = bus_add_ram(bus, 0, 0x10000, "ram");
    bus_set_code_hook(bus, on_code_write, &h);
    bus_write(bus, 0x3000, 1, 4);
    ck_assert_int_eq(h.code_writes, 0);
    bus_mark_code(bus, 0x3123);
    ck_assert(bus_page_flags(bus, 0x3000) & PAGE_CODE);
    bus_write(bus, 0x3010, 0xCCCC, 2);
    ck_assert_int_eq(h.code_writes, 1);
    ck_assert_uint_eq(h.last_paddr, 0x3010);
    ck_assert_uint_eq(h.last_size, 2);
    ck_assert_uint_eq(ram[0x3010], 0xCC); /* the write itself still happens */
    /* Other pages are not reported. */
    bus_write(bus, 0x4000, 1, 1);
    bus_write(bus, 0x2FFC, 1, 4);
    ck_assert_int_eq(h.code_writes, 1);
    /* A write crossing into the code page reports the bytes that land there. */
    bus_write(bus, 0x2FFE, 0x11223344, 4);
    ck_assert_int_eq(h.code_writes, 3);
    ck_assert_uint_eq(h.last_paddr, 0x3001);
    /* Block writes to a code page are reported too. */
    uint8_t buf[8] = {0};
    int before = h.code_writes;
    bus_write_block(bus, 0x3100, buf, sizeof buf);
    ck_assert_int_gt(h.code_writes, before);
    ck_assert_uint_eq(ram[0x3100], 0);
    /* Cleared: no more reports. */
    bus_clear_code(bus, 0x3000);
    before = h.code_writes;
    bus_write(bus, 0x3000, 1, 1);
    ck_assert_int_eq(h.code_writes, before);
    /* Reads never report. */
    bus_mark_code(bus, 0x3000);
    bus_read(bus, 0x3000, 4);
    ck_assert_int_eq(h.code_writes, before);
}
END_TEST

START_TEST(test_remap_hook)
{
    Hooks h = {0};
    bus_set_remap_hook(bus, on_remap, &h);
    uint8_t *ram = bus_add_ram(bus, 0, 1 << 20, "ram");
    ck_assert_ptr_nonnull(ram);
    ck_assert_int_eq(h.remaps, 1);
    static const MemOps ops = {mmio_rd, mmio_wr, 4};
    Recorder r = {0};
    MemRegion *mr = bus_add_mmio(bus, 0xA0000, 0x20000, &ops, &r, 1, "vga");
    ck_assert_int_eq(h.remaps, 2);
    bus_region_set(bus, mr, 0xA0000, false);
    ck_assert_int_gt(h.remaps, 2);
    int n = h.remaps;
    /* A20: only a real change notifies. */
    ck_assert(bus_a20(bus));
    bus_set_a20(bus, true);
    ck_assert_int_eq(h.remaps, n);
    bus_set_a20(bus, false);
    ck_assert_int_eq(h.remaps, n + 1);
    ck_assert(!bus_a20(bus));
    ck_assert_uint_eq(bus->a20_mask, 0xFFEFFFFFu);
    bus_set_a20(bus, false);
    ck_assert_int_eq(h.remaps, n + 1);
    bus_set_a20(bus, true);
    ck_assert_int_eq(h.remaps, n + 2);
    /* Marking a page as code notifies (its fast write entries must go),
     * marking it again does not. */
    bus_mark_code(bus, 0x7000);
    ck_assert_int_eq(h.remaps, n + 3);
    bus_mark_code(bus, 0x7FFF);
    ck_assert_int_eq(h.remaps, n + 3);
    bus_add_rom(bus, 0xF0000, (const uint8_t *)"x", 1, "rom");
    ck_assert_int_eq(h.remaps, n + 4);
}
END_TEST

/* ---- ports ---- */

START_TEST(test_ports_basic)
{
    Recorder r = {.read_base = 0x100};
    static const IoOps byte_ops = {io_rd, io_wr, 1};
    bus_register_io(bus, 0x60, 1, &byte_ops, &r);
    bus_register_io(bus, 0x64, 1, &byte_ops, &r);
    ck_assert_uint_eq(bus_io_read(bus, 0x60, 1), (0x100 + 0x60) & 0xFF);
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(r.log[0].off, 0x60); /* handlers get the absolute port */
    bus_io_write(bus, 0x64, 0xD1, 1);
    ck_assert_uint_eq(r.log[1].off, 0x64);
    ck_assert_uint_eq(r.log[1].val, 0xD1);
    /* Unmapped ports. */
    ck_assert_uint_eq(bus_io_read(bus, 0x61, 1), 0xFF);
    ck_assert_uint_eq(bus_io_read(bus, 0x1234, 2), 0xFFFF);
    ck_assert_uint_eq(bus_io_read(bus, 0x1234, 4), 0xFFFFFFFFu);
    bus_io_write(bus, 0x1234, 0x55, 1); /* dropped */
    ck_assert_int_eq(r.n, 2);
    /* Unregistering frees the port. */
    bus_unregister_io(bus, 0x60, 1);
    ck_assert_uint_eq(bus_io_read(bus, 0x60, 1), 0xFF);
    ck_assert_int_eq(r.n, 2);
    /* A range at the very top of the port space. */
    bus_register_io(bus, 0xFFFE, 8, &byte_ops, &r);
    ck_assert_uint_eq(bus_io_read(bus, 0xFFFF, 1), (0x100 + 0xFFFF) & 0xFF);
}
END_TEST

START_TEST(test_ports_word_split_for_byte_handler)
{
    Recorder r = {.read_base = 0x10};
    static const IoOps byte_ops = {io_rd, io_wr, 1};
    bus_register_io(bus, 0x3F8, 8, &byte_ops, &r);
    /* Word read: two byte reads, low port first, assembled little-endian. */
    uint32_t v = bus_io_read(bus, 0x3F8, 2);
    ck_assert_int_eq(r.n, 2);
    ck_assert_uint_eq(r.log[0].off, 0x3F8);
    ck_assert_uint_eq(r.log[0].size, 1);
    ck_assert_uint_eq(r.log[1].off, 0x3F9);
    ck_assert_uint_eq(v, ((0x10 + 0x3F9) & 0xFF) << 8 | ((0x10 + 0x3F8) & 0xFF));
    r.n = 0;
    bus_io_write(bus, 0x3FA, 0xC1C7, 2);
    ck_assert_int_eq(r.n, 2);
    ck_assert_uint_eq(r.log[0].off, 0x3FA);
    ck_assert_uint_eq(r.log[0].val, 0xC7);
    ck_assert_uint_eq(r.log[0].size, 1);
    ck_assert_uint_eq(r.log[1].off, 0x3FB);
    ck_assert_uint_eq(r.log[1].val, 0xC1);
    /* A word access at the last port: the high half is unmapped. */
    r.n = 0;
    v = bus_io_read(bus, 0x3FF, 2);
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(v >> 8, 0xFF);
    /* Dword write: four bytes. */
    r.n = 0;
    bus_io_write(bus, 0x3F8, 0x44332211, 4);
    ck_assert_int_eq(r.n, 4);
    ck_assert_uint_eq(r.log[3].off, 0x3FB);
    ck_assert_uint_eq(r.log[3].val, 0x44);
}
END_TEST

START_TEST(test_ports_native_word)
{
    Recorder r = {.read_base = 0xABCD0000};
    static const IoOps word_ops = {io_rd, io_wr, 2};
    bus_register_io(bus, 0x1F0, 8, &word_ops, &r); /* like the IDE data port */
    uint32_t v = bus_io_read(bus, 0x1F0, 2);
    ck_assert_int_eq(r.n, 1);
    ck_assert_uint_eq(r.log[0].size, 2);
    ck_assert_uint_eq(v, (0xABCD0000 + 0x1F0) & 0xFFFF);
    bus_io_write(bus, 0x1F0, 0x12345678, 2);
    ck_assert_int_eq(r.n, 2);
    ck_assert_uint_eq(r.log[1].size, 2);
    ck_assert_uint_eq(r.log[1].val, 0x5678); /* the bus masks to the access size */
    /* Byte access to a word handler stays a byte access. */
    bus_io_read(bus, 0x1F1, 1);
    ck_assert_uint_eq(r.log[2].size, 1);
    /* Wider than max_size: split into bytes. */
    r.n = 0;
    bus_io_read(bus, 0x1F0, 4);
    ck_assert_int_eq(r.n, 4);
    ck_assert_uint_eq(r.log[0].size, 1);
    /* A dword handler gets dwords whole. */
    Recorder d = {.read_base = 0x80000000u};
    static const IoOps dword_ops = {io_rd, io_wr, 4};
    bus_register_io(bus, 0xCF8, 4, &dword_ops, &d);
    ck_assert_uint_eq(bus_io_read(bus, 0xCF8, 4), 0x80000000u + 0xCF8);
    ck_assert_int_eq(d.n, 1);
    ck_assert_uint_eq(d.log[0].size, 4);
    bus_io_write(bus, 0xCF8, 0x8000F800u, 4);
    ck_assert_uint_eq(d.log[1].val, 0x8000F800u);
}
END_TEST

static Suite *bus_suite(void)
{
    Suite *s = suite_create("bus");
    TCase *tc = tcase_create("memory");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ram_sizes);
    tcase_add_test(tc, test_ram_page_crossing);
    tcase_add_test(tc, test_ram_rejects_bad_regions);
    tcase_add_test(tc, test_rom_ignores_writes);
    tcase_add_test(tc, test_mmio_callbacks);
    tcase_add_test(tc, test_mmio_splitting);
    tcase_add_test(tc, test_mmio_small_region);
    tcase_add_test(tc, test_priority_cover_and_uncover);
    tcase_add_test(tc, test_region_moved_to_the_top);
    tcase_add_test(tc, test_rom_shadowing);
    tcase_add_test(tc, test_unmapped);
    tcase_add_test(tc, test_code_write_hook);
    tcase_add_test(tc, test_remap_hook);
    suite_add_tcase(s, tc);

    tc = tcase_create("ports");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ports_basic);
    tcase_add_test(tc, test_ports_word_split_for_byte_handler);
    tcase_add_test(tc, test_ports_native_word);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(bus_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
