/*
 * bus.c - physical memory map and port I/O table (see bus.h).
 */
#include "bus.h"

#include <stdlib.h>

#include "log.h"

Bus *bus_new(void)
{
    Bus *bus = calloc(1, sizeof *bus);
    if (!bus) return NULL;
    /* 1 M entries: calloc'd, so only the pages that get mapped are touched. */
    bus->pages = calloc(BUS_NUM_PAGES, sizeof *bus->pages);
    bus->page_flags = calloc(BUS_NUM_PAGES, 1);
    if (!bus->pages || !bus->page_flags) {
        bus_free(bus);
        return NULL;
    }
    bus->a20_mask = 0xFFFFFFFFu;
    return bus;
}

void bus_free(Bus *bus)
{
    if (!bus) return;
    MemRegion *mr = bus->regions;
    while (mr) {
        MemRegion *n = mr->next;
        if (mr->owns_host) free(mr->host);
        free(mr);
        mr = n;
    }
    free(bus->pages);
    free(bus->page_flags);
    free(bus);
}

static void notify_remap(Bus *bus)
{
    if (bus->remap_notify) bus->remap_notify(bus->remap_opaque);
}

/* Rebuilds the entries of the pages [first, last] from the region list:
 * the enabled region with the highest priority wins; among equals, the one
 * added last. */
/* Decoded code on a page whose mapping changes is stale: the remap counts
 * as a write to the whole page, so the translator drops those blocks. */
static void remap_code_pages(Bus *bus, uint32_t first, uint32_t last)
{
    if (!bus->code_write) return;
    for (uint64_t p = first; p <= last; p++)
        if (bus->page_flags[p] & PAGE_CODE)
            bus->code_write(bus->code_write_opaque, (uint32_t)(p << BUS_PAGE_BITS), BUS_PAGE_SIZE);
}

static void rebuild_pages(Bus *bus, uint32_t first, uint32_t last)
{
    remap_code_pages(bus, first, last);
    for (uint64_t p = first; p <= last; p++) {
        bus->pages[p].host = NULL;
        bus->pages[p].mr = NULL;
        bus->page_flags[p] &= (uint8_t)~PAGE_READONLY;
    }
    /* Regions are kept in insertion order; walk all and let winners overwrite. */
    for (int pass_prio = -100; pass_prio <= 100; pass_prio++) {
        bool any = false;
        for (MemRegion *mr = bus->regions; mr; mr = mr->next) {
            if (mr->priority != pass_prio) continue;
            any = true;
            if (!mr->enabled || mr->size == 0) continue;
            /* RAM and ROM are mapped by whole host pages; a misaligned base
             * (only reachable through bus_region_set) would point pages
             * before the host block, so such a region stays unmapped. */
            if (mr->kind != MR_MMIO && (mr->base & BUS_PAGE_MASK)) continue;
            uint64_t lo = mr->base >> BUS_PAGE_BITS;
            uint64_t hi = ((uint64_t)mr->base + mr->size - 1) >> BUS_PAGE_BITS;
            if (hi < first || lo > last) continue;
            if (lo < first) lo = first;
            if (hi > last) hi = last;
            for (uint64_t p = lo; p <= hi; p++) {
                bus->pages[p].mr = mr;
                if (mr->kind == MR_MMIO) {
                    bus->pages[p].host = NULL;
                    bus->page_flags[p] &= (uint8_t)~PAGE_READONLY;
                } else {
                    bus->pages[p].host = mr->host + ((p << BUS_PAGE_BITS) - mr->base);
                    if (mr->kind == MR_ROM)
                        bus->page_flags[p] |= PAGE_READONLY;
                    else
                        bus->page_flags[p] &= (uint8_t)~PAGE_READONLY;
                }
            }
        }
        (void)any;
    }
}

static MemRegion *add_region(Bus *bus, uint32_t base, uint64_t size, MemKind kind, int priority,
                             const char *name)
{
    if (size == 0 || (uint64_t)base + size > (1ull << 32) || (base & BUS_PAGE_MASK)) return NULL;
    if (priority < -100) priority = -100;
    if (priority > 100) priority = 100;
    MemRegion *mr = calloc(1, sizeof *mr);
    if (!mr) return NULL;
    mr->name = name;
    mr->base = base;
    mr->size = size;
    mr->kind = kind;
    mr->priority = priority;
    mr->enabled = true;
    MemRegion **pp = &bus->regions;
    while (*pp) pp = &(*pp)->next;
    *pp = mr;
    return mr;
}

/* Last page a region covers, clamped to the 4 GiB space: bus_region_set may
 * move a region (a PCI BAR a guest programs) so that it runs past 4 GiB, and
 * the part above is simply not decoded. */
static uint32_t region_last_page(const MemRegion *mr)
{
    uint64_t hi = ((uint64_t)mr->base + mr->size - 1) >> BUS_PAGE_BITS;
    return hi >= BUS_NUM_PAGES ? BUS_NUM_PAGES - 1 : (uint32_t)hi;
}

static void map_region(Bus *bus, MemRegion *mr)
{
    rebuild_pages(bus, mr->base >> BUS_PAGE_BITS, region_last_page(mr));
    notify_remap(bus);
}

uint8_t *bus_add_ram(Bus *bus, uint32_t base, uint64_t size, const char *name)
{
    uint64_t sz = (size + BUS_PAGE_MASK) & ~(uint64_t)BUS_PAGE_MASK;
    uint8_t *host = calloc(1, sz);
    if (!host) return NULL;
    MemRegion *mr = add_region(bus, base, sz, MR_RAM, 0, name);
    if (!mr) {
        free(host);
        return NULL;
    }
    mr->host = host;
    mr->owns_host = true;
    map_region(bus, mr);
    return host;
}

MemRegion *bus_add_rom(Bus *bus, uint32_t base, const uint8_t *data, uint64_t size,
                       const char *name)
{
    uint64_t sz = (size + BUS_PAGE_MASK) & ~(uint64_t)BUS_PAGE_MASK;
    uint8_t *host = calloc(1, sz);
    if (!host) return NULL;
    memcpy(host, data, size);
    MemRegion *mr = add_region(bus, base, sz, MR_ROM, 10, name);
    if (!mr) {
        free(host);
        return NULL;
    }
    mr->host = host;
    mr->owns_host = true;
    map_region(bus, mr);
    return mr;
}

MemRegion *bus_add_host(Bus *bus, uint32_t base, uint64_t size, uint8_t *host, MemKind kind,
                        int priority, const char *name)
{
    MemRegion *mr = add_region(bus, base, size, kind, priority, name);
    if (!mr) return NULL;
    mr->host = host;
    map_region(bus, mr);
    return mr;
}

MemRegion *bus_add_mmio(Bus *bus, uint32_t base, uint64_t size, const MemOps *ops,
                        void *opaque, int priority, const char *name)
{
    MemRegion *mr = add_region(bus, base & ~BUS_PAGE_MASK, size + (base & BUS_PAGE_MASK),
                               MR_MMIO, priority, name);
    if (!mr) return NULL;
    mr->base = base;
    mr->size = size;
    mr->ops = ops;
    mr->opaque = opaque;
    map_region(bus, mr);
    return mr;
}

void bus_region_set(Bus *bus, MemRegion *mr, uint32_t base, bool enabled)
{
    uint32_t old_lo = mr->base >> BUS_PAGE_BITS;
    uint32_t old_hi = region_last_page(mr);
    mr->base = base;
    mr->enabled = enabled;
    rebuild_pages(bus, old_lo, old_hi);
    map_region(bus, mr);
}

static uint32_t mmio_read(MemRegion *mr, uint32_t paddr, unsigned size)
{
    uint32_t off = paddr - mr->base;
    if ((uint64_t)off + size > mr->size) return 0xFFFFFFFFu >> (32 - 8 * size);
    unsigned max = mr->ops->max_size ? mr->ops->max_size : 4;
    if (size <= max && mr->ops->read) return mr->ops->read(mr->opaque, off, size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (mr->ops->read ? mr->ops->read(mr->opaque, off + i, 1) & 0xFF : 0xFF) << (8 * i);
    return v;
}

static void mmio_write(MemRegion *mr, uint32_t paddr, uint32_t val, unsigned size)
{
    uint32_t off = paddr - mr->base;
    if ((uint64_t)off + size > mr->size || !mr->ops->write) return;
    unsigned max = mr->ops->max_size ? mr->ops->max_size : 4;
    if (size <= max) {
        mr->ops->write(mr->opaque, off, val, size);
        return;
    }
    for (unsigned i = 0; i < size; i++) mr->ops->write(mr->opaque, off + i, (val >> (8 * i)) & 0xFF, 1);
}

static uint32_t read_one_page(Bus *bus, uint32_t paddr, unsigned size)
{
    BusPage *pg = &bus->pages[paddr >> BUS_PAGE_BITS];
    if (pg->host) {
        const uint8_t *p = pg->host + (paddr & BUS_PAGE_MASK);
        uint32_t v = 0;
        memcpy(&v, p, size);
        return v;
    }
    if (pg->mr) return mmio_read(pg->mr, paddr, size);
    log_once(LOG_UNIMP, 0x100000000ull | (paddr >> BUS_PAGE_BITS),
             "unmapped memory read at %08x\n", paddr);
    return 0xFFFFFFFFu >> (32 - 8 * size);
}

static void write_one_page(Bus *bus, uint32_t paddr, uint32_t val, unsigned size)
{
    uint32_t pn = paddr >> BUS_PAGE_BITS;
    BusPage *pg = &bus->pages[pn];
    uint8_t fl = bus->page_flags[pn];
    if (pg->host) {
        if (fl & PAGE_READONLY) return;
        memcpy(pg->host + (paddr & BUS_PAGE_MASK), &val, size);
        if ((fl & PAGE_CODE) && bus->code_write) bus->code_write(bus->code_write_opaque, paddr, size);
        return;
    }
    if (pg->mr) {
        mmio_write(pg->mr, paddr, val, size);
        return;
    }
    log_once(LOG_UNIMP, 0x200000000ull | pn, "unmapped memory write at %08x\n", paddr);
}

uint32_t bus_read(Bus *bus, uint32_t paddr, unsigned size)
{
    if (((paddr & BUS_PAGE_MASK) + size) <= BUS_PAGE_SIZE) return read_one_page(bus, paddr, size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) v |= read_one_page(bus, paddr + i, 1) << (8 * i);
    return v;
}

void bus_write(Bus *bus, uint32_t paddr, uint32_t val, unsigned size)
{
    if (((paddr & BUS_PAGE_MASK) + size) <= BUS_PAGE_SIZE) {
        write_one_page(bus, paddr, val, size);
        return;
    }
    for (unsigned i = 0; i < size; i++) write_one_page(bus, paddr + i, (val >> (8 * i)) & 0xFF, 1);
}

void bus_read_block(Bus *bus, uint32_t paddr, void *dst, size_t n)
{
    uint8_t *d = dst;
    while (n) {
        size_t chunk = BUS_PAGE_SIZE - (paddr & BUS_PAGE_MASK);
        if (chunk > n) chunk = n;
        BusPage *pg = &bus->pages[paddr >> BUS_PAGE_BITS];
        if (pg->host) {
            memcpy(d, pg->host + (paddr & BUS_PAGE_MASK), chunk);
        } else {
            for (size_t i = 0; i < chunk; i++) d[i] = (uint8_t)read_one_page(bus, paddr + (uint32_t)i, 1);
        }
        d += chunk;
        paddr += (uint32_t)chunk;
        n -= chunk;
    }
}

void bus_write_block(Bus *bus, uint32_t paddr, const void *src, size_t n)
{
    const uint8_t *s = src;
    while (n) {
        size_t chunk = BUS_PAGE_SIZE - (paddr & BUS_PAGE_MASK);
        if (chunk > n) chunk = n;
        uint32_t pn = paddr >> BUS_PAGE_BITS;
        BusPage *pg = &bus->pages[pn];
        if (pg->host && !(bus->page_flags[pn] & (PAGE_READONLY | PAGE_CODE))) {
            memcpy(pg->host + (paddr & BUS_PAGE_MASK), s, chunk);
        } else {
            for (size_t i = 0; i < chunk; i++) write_one_page(bus, paddr + (uint32_t)i, s[i], 1);
        }
        s += chunk;
        paddr += (uint32_t)chunk;
        n -= chunk;
    }
}

void bus_set_code_hook(Bus *bus, CodeWriteFn fn, void *opaque)
{
    bus->code_write = fn;
    bus->code_write_opaque = opaque;
}

void bus_set_remap_hook(Bus *bus, BusRemapFn fn, void *opaque)
{
    bus->remap_notify = fn;
    bus->remap_opaque = opaque;
}

void bus_mark_code(Bus *bus, uint32_t paddr)
{
    uint32_t pn = paddr >> BUS_PAGE_BITS;
    if (bus->page_flags[pn] & PAGE_CODE) return;
    bus->page_flags[pn] |= PAGE_CODE;
    notify_remap(bus);
}

void bus_clear_code(Bus *bus, uint32_t paddr)
{
    bus->page_flags[paddr >> BUS_PAGE_BITS] &= (uint8_t)~PAGE_CODE;
}

void bus_set_a20(Bus *bus, bool enabled)
{
    uint32_t m = enabled ? 0xFFFFFFFFu : 0xFFEFFFFFu;
    if (m == bus->a20_mask) return;
    bus->a20_mask = m;
    notify_remap(bus);
}

static uint32_t io_unmapped_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    log_once(LOG_UNIMP, 0x300000000ull | port, "unmapped port read %04x (size %u)\n", port, size);
    return 0xFFFFFFFFu >> (32 - 8 * size);
}

void bus_register_io(Bus *bus, uint16_t base, unsigned len, const IoOps *ops, void *opaque)
{
    for (unsigned i = 0; i < len && base + i < 65536; i++) {
        bus->io[base + i].ops = ops;
        bus->io[base + i].opaque = opaque;
    }
}

void bus_unregister_io(Bus *bus, uint16_t base, unsigned len)
{
    for (unsigned i = 0; i < len && base + i < 65536; i++) {
        bus->io[base + i].ops = NULL;
        bus->io[base + i].opaque = NULL;
    }
}

static uint32_t io_read_byte(Bus *bus, uint16_t port)
{
    IoHandler *h = &bus->io[port];
    if (h->ops && h->ops->read) return h->ops->read(h->opaque, port, 1) & 0xFF;
    return io_unmapped_read(NULL, port, 1);
}

static void io_write_byte(Bus *bus, uint16_t port, uint32_t v)
{
    IoHandler *h = &bus->io[port];
    if (h->ops && h->ops->write)
        h->ops->write(h->opaque, port, v & 0xFF, 1);
    else
        log_once(LOG_UNIMP, 0x400000000ull | port, "unmapped port write %04x <- %02x\n", port,
                 v & 0xFF);
}

uint32_t bus_io_read(Bus *bus, uint16_t port, unsigned size)
{
    IoHandler *h = &bus->io[port];
    if (h->ops && h->ops->read && size <= (h->ops->max_size ? h->ops->max_size : 1)) {
        uint32_t v = h->ops->read(h->opaque, port, size);
        return size == 4 ? v : v & ((1u << (8 * size)) - 1);
    }
    if (size == 1) return io_read_byte(bus, port);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) v |= io_read_byte(bus, (uint16_t)(port + i)) << (8 * i);
    return v;
}

void bus_io_write(Bus *bus, uint16_t port, uint32_t val, unsigned size)
{
    IoHandler *h = &bus->io[port];
    if (h->ops && h->ops->write && size <= (h->ops->max_size ? h->ops->max_size : 1)) {
        h->ops->write(h->opaque, port, size == 4 ? val : val & ((1u << (8 * size)) - 1), size);
        return;
    }
    for (unsigned i = 0; i < size; i++) io_write_byte(bus, (uint16_t)(port + i), val >> (8 * i));
}
