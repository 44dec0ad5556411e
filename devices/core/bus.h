/*
 * bus.h - the physical address space and the port I/O space.
 *
 * Memory: a table indexed by 4 KiB physical page (the whole 4 GiB), each
 * entry either a host pointer (RAM, ROM: the CPU's soft TLB maps guest pages
 * straight onto it) or an MMIO region with read/write callbacks. Regions
 * are mapped with a priority; a later or higher-priority mapping covers a
 * lower one, and unmapping uncovers it again (PAM shadowing, PCI BARs).
 * Unmapped reads return all ones and unmapped writes are dropped, each
 * logged once per page with `-d unimp`.
 *
 * Ports: a 64 K table of handlers registered by base and length. An access
 * wider than a handler's max_size is split into byte accesses (low first).
 *
 * Code pages: the translator marks a page that holds decoded blocks
 * (bus_mark_code); the CPU's TLB never gives such a page a fast write
 * entry, so every write to it reaches bus_write(), which calls the code
 * write hook so that the translator can invalidate the blocks there.
 *
 *   Bus *bus = bus_new();
 *   uint8_t *ram = bus_add_ram(bus, 0, 16 << 20, "ram");
 *   static const IoOps uart_io = {uart_io_read, uart_io_write, 1};
 *   bus_register_io(bus, 0x3F8, 8, &uart_io, uart);
 *   bus_write(bus, 0x1000, 0x1234, 2);
 *
 * The host is assumed little-endian (x86-64, AArch64): guest memory is
 * accessed with plain host loads and stores. This is the one place that
 * says so; BRISK_STATIC_ASSERT_LE below checks it at build time.
 */
#ifndef BRISK_BUS_H
#define BRISK_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "Brisk assumes a little-endian host (x86-64, AArch64)"
#endif

#define BUS_PAGE_BITS 12
#define BUS_PAGE_SIZE (1u << BUS_PAGE_BITS)
#define BUS_PAGE_MASK (BUS_PAGE_SIZE - 1)
#define BUS_NUM_PAGES (1u << (32 - BUS_PAGE_BITS))

typedef struct MemOps {
    /* off is relative to the region's base; size is 1, 2 or 4. */
    uint32_t (*read)(void *opaque, uint32_t off, unsigned size);
    void (*write)(void *opaque, uint32_t off, uint32_t val, unsigned size);
    unsigned max_size; /* wider accesses are split; 0 means 4 */
} MemOps;

typedef enum { MR_RAM, MR_ROM, MR_MMIO } MemKind;

typedef struct MemRegion {
    const char *name;
    uint32_t base;
    uint64_t size;
    MemKind kind;
    int priority;
    bool enabled;
    uint8_t *host;      /* RAM/ROM backing */
    bool owns_host;     /* allocated by the bus, freed with it */
    const MemOps *ops;  /* MMIO */
    void *opaque;
    struct MemRegion *next;
} MemRegion;

typedef struct BusPage {
    uint8_t *host;   /* host address of the page start for RAM/ROM, else NULL */
    MemRegion *mr;   /* the region covering the page, or NULL */
} BusPage;

enum { PAGE_READONLY = 1, PAGE_CODE = 2 };

typedef struct IoOps {
    uint32_t (*read)(void *opaque, uint16_t port, unsigned size);
    void (*write)(void *opaque, uint16_t port, uint32_t val, unsigned size);
    unsigned max_size; /* 1, 2 or 4; wider accesses are split into bytes */
} IoOps;

typedef struct IoHandler {
    const IoOps *ops;
    void *opaque;
} IoHandler;

typedef void (*CodeWriteFn)(void *opaque, uint32_t paddr, unsigned size);
typedef void (*BusRemapFn)(void *opaque);

typedef struct Bus {
    BusPage *pages;          /* BUS_NUM_PAGES entries */
    uint8_t *page_flags;     /* PAGE_* per page */
    MemRegion *regions;      /* every region, mapped or not */
    IoHandler io[65536];
    CodeWriteFn code_write;
    void *code_write_opaque;
    BusRemapFn remap_notify; /* the CPU flushes its TLB */
    void *remap_opaque;
    uint32_t a20_mask;       /* 0xFFFFFFFF, or 0xFFEFFFFF with A20 off */
} Bus;

Bus *bus_new(void);
void bus_free(Bus *bus);

/* Allocates zeroed RAM and maps it. Returns the host pointer or NULL. */
uint8_t *bus_add_ram(Bus *bus, uint32_t base, uint64_t size, const char *name);
/* Maps a ROM at base from a copy of data (size rounded up to a page). */
MemRegion *bus_add_rom(Bus *bus, uint32_t base, const uint8_t *data, uint64_t size,
                       const char *name);
/* Maps host memory owned by the caller (aliases, shadow RAM). */
MemRegion *bus_add_host(Bus *bus, uint32_t base, uint64_t size, uint8_t *host, MemKind kind,
                        int priority, const char *name);
MemRegion *bus_add_mmio(Bus *bus, uint32_t base, uint64_t size, const MemOps *ops,
                        void *opaque, int priority, const char *name);
/* Moves, enables or disables a region; the page table is rebuilt. */
void bus_region_set(Bus *bus, MemRegion *mr, uint32_t base, bool enabled);

/* Slow-path physical access (size 1, 2 or 4; any alignment). */
uint32_t bus_read(Bus *bus, uint32_t paddr, unsigned size);
void bus_write(Bus *bus, uint32_t paddr, uint32_t val, unsigned size);
/* Copies to/from guest physical memory (loaders, tests, DMA). Writes to ROM
 * are dropped by bus_write_block (it goes through the same rules as the CPU). */
void bus_read_block(Bus *bus, uint32_t paddr, void *dst, size_t n);
void bus_write_block(Bus *bus, uint32_t paddr, const void *src, size_t n);

/* Host pointer for reading a whole page, or NULL (MMIO, unmapped). */
static inline uint8_t *bus_page_host(const Bus *bus, uint32_t paddr)
{
    return bus->pages[paddr >> BUS_PAGE_BITS].host;
}
static inline uint8_t bus_page_flags(const Bus *bus, uint32_t paddr)
{
    return bus->page_flags[paddr >> BUS_PAGE_BITS];
}

void bus_set_code_hook(Bus *bus, CodeWriteFn fn, void *opaque);
void bus_set_remap_hook(Bus *bus, BusRemapFn fn, void *opaque);
/* Marks or clears a page as holding decoded code. Marking notifies the
 * remap hook so fast write entries to the page disappear. */
void bus_mark_code(Bus *bus, uint32_t paddr);
void bus_clear_code(Bus *bus, uint32_t paddr);

/* The A20 gate: with it off, physical bit 20 reads as 0 (applied by the
 * CPU when it forms physical addresses). */
void bus_set_a20(Bus *bus, bool enabled);
static inline bool bus_a20(const Bus *bus) { return bus->a20_mask & (1u << 20); }

void bus_register_io(Bus *bus, uint16_t base, unsigned len, const IoOps *ops, void *opaque);
void bus_unregister_io(Bus *bus, uint16_t base, unsigned len);
uint32_t bus_io_read(Bus *bus, uint16_t port, unsigned size);
void bus_io_write(Bus *bus, uint16_t port, uint32_t val, unsigned size);

#endif
