/*
 * fw_cfg.c - QEMU's firmware configuration interface (fw_cfg) on the x86
 * I/O ports, as SeaBIOS reads it.
 *
 * Follows QEMU's docs/specs/fw_cfg.txt (the guest-side interface) and
 * SeaBIOS's src/fw/paravirt.c documentation of what it reads:
 *  - selector 0x510 (16-bit, little-endian): selects an item and rewinds
 *    the data offset to 0. Bit 14 asks for write mode, bit 15 selects the
 *    architecture-specific key space.
 *  - data 0x511 (8-bit): reads the item's next byte; past the end, or with
 *    no valid item selected, it reads 0. Writes are ignored (as QEMU has
 *    done since 2.4).
 *  - DMA address 0x514-0x51B: a big-endian 64-bit guest address, written as
 *    two 32-bit halves (high at 0x514, low at 0x518); the write of the low
 *    half starts the operation on the FWCfgDmaAccess at that address
 *    {BE32 control, BE32 length, BE64 address}. control's high 16 bits are
 *    the key for SELECT; then READ copies length bytes from the item into
 *    guest memory (zeros past the item's end), SKIP advances the offset.
 *    When done, control is written back as 0, or with ERROR set.
 *    Reading the register gives the signature "QEMU CFG".
 *  - key 0 "QEMU", key 1 the features (traditional + DMA), key 0x19 the
 *    file directory {BE32 count, then per file BE32 size, BE16 select,
 *    BE16 reserved, char name[56]} sorted by name.
 *
 * Known deviations and choices:
 *  - No item is writable: a DMA WRITE sets ERROR, data port writes are
 *    dropped.
 *  - A DMA READ or SKIP with no valid item selected sets ERROR (QEMU fills
 *    zeros); a READ past the end of a valid item fills zeros without error.
 *  - Guest addresses above 4 GiB (the DMA address or the buffer) set ERROR.
 *  - The DMA runs synchronously inside the port write, as in QEMU.
 *  - Any write that ends at 0x51B (a dword at 0x518, or a byte at 0x51B)
 *    starts the DMA; the address register then reads back zeros until
 *    written again.
 */
#include "devices/fw_cfg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/log.h"

#define FW_CFG_NUM_FIXED       0x20
#define FW_CFG_MAX_FILES       (0x4000 - FW_CFG_FILE_FIRST)
#define FW_CFG_DIR_ENTRY_BYTES 64
#define FW_CFG_LOG_KEY(reason) (0x4657434600ull | (reason))

typedef struct FwCfgItem {
    uint8_t *data;
    uint32_t len;
    bool present;
} FwCfgItem;

typedef struct FwCfgFile {
    char name[FW_CFG_MAX_FILE_PATH];
    FwCfgItem item;
} FwCfgFile;

struct FwCfg {
    Bus *bus;
    FwCfgItem fixed[FW_CFG_NUM_FIXED]; /* 0x00-0x1F */
    FwCfgItem arch[FW_CFG_NUM_FIXED];  /* 0x8000-0x801F */
    FwCfgFile *files;                  /* sorted by name; key 0x20 + index */
    unsigned nfiles;
    unsigned files_cap;
    uint16_t selector;
    uint32_t offset;
    uint8_t dma_addr[8]; /* as the ports hold it: big-endian */
};

static void put_be32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t get_be64(const uint8_t *p)
{
    return (uint64_t)get_be32(p) << 32 | get_be32(p + 4);
}

/* The item a selector value names, or NULL. */
static FwCfgItem *lookup(FwCfg *fc, uint16_t selector)
{
    uint16_t key = selector & (uint16_t)~FW_CFG_WRITE_CHANNEL;
    FwCfgItem *it = NULL;
    if (key & FW_CFG_ARCH_LOCAL) {
        key &= (uint16_t)~FW_CFG_ARCH_LOCAL;
        if (key < FW_CFG_NUM_FIXED) it = &fc->arch[key];
    } else if (key < FW_CFG_NUM_FIXED) {
        it = &fc->fixed[key];
    } else if ((unsigned)(key - FW_CFG_FILE_FIRST) < fc->nfiles) {
        it = &fc->files[key - FW_CFG_FILE_FIRST].item;
    }
    return it && it->present ? it : NULL;
}

static bool set_item(FwCfgItem *it, const void *data, size_t len)
{
    if (len > UINT32_MAX) return false;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) return false;
    if (len) memcpy(copy, data, len);
    free(it->data);
    it->data = copy;
    it->len = (uint32_t)len;
    it->present = true;
    return true;
}

static void rebuild_dir(FwCfg *fc)
{
    size_t len = 4 + (size_t)fc->nfiles * FW_CFG_DIR_ENTRY_BYTES;
    uint8_t *dir = calloc(1, len);
    if (!dir) return;
    put_be32(dir, fc->nfiles);
    for (unsigned i = 0; i < fc->nfiles; i++) {
        uint8_t *e = dir + 4 + (size_t)i * FW_CFG_DIR_ENTRY_BYTES;
        put_be32(e, fc->files[i].item.len);
        put_be16(e + 4, (uint16_t)(FW_CFG_FILE_FIRST + i));
        memcpy(e + 8, fc->files[i].name, FW_CFG_MAX_FILE_PATH);
    }
    set_item(&fc->fixed[FW_CFG_FILE_DIR], dir, len);
    free(dir);
}

void fw_cfg_add_bytes(FwCfg *fc, uint16_t key, const void *data, size_t len)
{
    FwCfgItem *it = NULL;
    if (key & FW_CFG_ARCH_LOCAL) {
        uint16_t k = key & (uint16_t)~FW_CFG_ARCH_LOCAL;
        if (k < FW_CFG_NUM_FIXED) it = &fc->arch[k];
    } else if (key < FW_CFG_NUM_FIXED && key != FW_CFG_FILE_DIR) {
        it = &fc->fixed[key];
    }
    if (!it) {
        fprintf(stderr, "fw_cfg: key %#x cannot hold an item\n", key);
        return;
    }
    if (!set_item(it, data, len)) fprintf(stderr, "fw_cfg: out of memory for key %#x\n", key);
}

void fw_cfg_add_string(FwCfg *fc, uint16_t key, const char *s)
{
    fw_cfg_add_bytes(fc, key, s, strlen(s) + 1);
}

void fw_cfg_add_i16(FwCfg *fc, uint16_t key, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    fw_cfg_add_bytes(fc, key, b, sizeof b);
}

void fw_cfg_add_i32(FwCfg *fc, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    fw_cfg_add_bytes(fc, key, b, sizeof b);
}

void fw_cfg_add_i64(FwCfg *fc, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    fw_cfg_add_bytes(fc, key, b, sizeof b);
}

int fw_cfg_file_key(const FwCfg *fc, const char *name)
{
    for (unsigned i = 0; i < fc->nfiles; i++)
        if (strncmp(fc->files[i].name, name, FW_CFG_MAX_FILE_PATH - 1) == 0)
            return FW_CFG_FILE_FIRST + (int)i;
    return -1;
}

void fw_cfg_add_file(FwCfg *fc, const char *name, const void *data, size_t len)
{
    char n[FW_CFG_MAX_FILE_PATH] = {0};
    strncpy(n, name, FW_CFG_MAX_FILE_PATH - 1);
    unsigned pos = 0;
    while (pos < fc->nfiles && strcmp(fc->files[pos].name, n) < 0)
        pos++;
    if (pos < fc->nfiles && strcmp(fc->files[pos].name, n) == 0) {
        if (!set_item(&fc->files[pos].item, data, len))
            fprintf(stderr, "fw_cfg: out of memory for %s\n", n);
        rebuild_dir(fc);
        return;
    }
    if (fc->nfiles >= FW_CFG_MAX_FILES) {
        fprintf(stderr, "fw_cfg: too many files, %s dropped\n", n);
        return;
    }
    if (fc->nfiles == fc->files_cap) {
        unsigned cap = fc->files_cap ? fc->files_cap * 2 : 16;
        FwCfgFile *f = realloc(fc->files, cap * sizeof *f);
        if (!f) {
            fprintf(stderr, "fw_cfg: out of memory for %s\n", n);
            return;
        }
        fc->files = f;
        fc->files_cap = cap;
    }
    FwCfgFile nf = {{0}, {NULL, 0, false}};
    memcpy(nf.name, n, sizeof n);
    if (!set_item(&nf.item, data, len)) {
        fprintf(stderr, "fw_cfg: out of memory for %s\n", n);
        return;
    }
    memmove(&fc->files[pos + 1], &fc->files[pos], (fc->nfiles - pos) * sizeof *fc->files);
    fc->files[pos] = nf;
    fc->nfiles++;
    rebuild_dir(fc);
}

static void dma_run(FwCfg *fc, uint64_t desc_addr)
{
    uint8_t desc[16];
    if (desc_addr > 0xFFFFFFFFull - 15) {
        log_once(LOG_GUEST_ERRORS, FW_CFG_LOG_KEY(1), "fw_cfg: DMA descriptor above 4 GiB\n");
        return; /* nowhere to report the error */
    }
    uint32_t at = (uint32_t)desc_addr;
    bus_read_block(fc->bus, at, desc, sizeof desc);
    uint32_t control = get_be32(desc);
    uint32_t length = get_be32(desc + 4);
    uint64_t addr = get_be64(desc + 8);
    bool error = false;

    if (control & FW_CFG_DMA_CTL_SELECT) {
        fc->selector = (uint16_t)(control >> 16);
        fc->offset = 0;
    }
    FwCfgItem *it = lookup(fc, fc->selector);
    if (control & FW_CFG_DMA_CTL_WRITE) {
        log_once(LOG_GUEST_ERRORS, FW_CFG_LOG_KEY(2), "fw_cfg: DMA write refused\n");
        error = true;
    } else if (control & (FW_CFG_DMA_CTL_READ | FW_CFG_DMA_CTL_SKIP)) {
        bool read = (control & FW_CFG_DMA_CTL_READ) != 0;
        if (!it) {
            log_once(LOG_GUEST_ERRORS, FW_CFG_LOG_KEY(3), "fw_cfg: DMA on invalid key %#x\n",
                     fc->selector);
            error = true;
        } else if (read && length && addr + length - 1 > 0xFFFFFFFFull) {
            log_once(LOG_GUEST_ERRORS, FW_CFG_LOG_KEY(4), "fw_cfg: DMA buffer above 4 GiB\n");
            error = true;
        } else {
            if (read) {
                uint32_t avail = fc->offset < it->len ? it->len - fc->offset : 0;
                uint32_t n = length < avail ? length : avail;
                if (n) bus_write_block(fc->bus, (uint32_t)addr, it->data + fc->offset, n);
                static const uint8_t zeros[256];
                for (uint32_t z = n; z < length;) {
                    uint32_t chunk = length - z < sizeof zeros ? length - z : sizeof zeros;
                    bus_write_block(fc->bus, (uint32_t)addr + z, zeros, chunk);
                    z += chunk;
                }
            }
            uint64_t off = (uint64_t)fc->offset + length;
            fc->offset = off > UINT32_MAX ? UINT32_MAX : (uint32_t)off;
        }
    }
    uint8_t status[4];
    put_be32(status, error ? FW_CFG_DMA_CTL_ERROR : 0);
    bus_write_block(fc->bus, at, status, sizeof status);
}

static uint32_t fw_cfg_io_read(void *opaque, uint16_t port, unsigned size)
{
    FwCfg *fc = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        uint8_t b = 0;
        if (p == FW_CFG_PORT_DATA) {
            FwCfgItem *it = lookup(fc, fc->selector);
            if (it && fc->offset < it->len) b = it->data[fc->offset];
            if (fc->offset < UINT32_MAX) fc->offset++;
        } else if (p >= FW_CFG_PORT_DMA && p < FW_CFG_PORT_DMA + 8) {
            b = (uint8_t)(FW_CFG_DMA_SIGNATURE >> (56 - 8 * (p - FW_CFG_PORT_DMA)));
        }
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void fw_cfg_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    FwCfg *fc = opaque;
    if (port == FW_CFG_PORT_SEL) {
        fc->selector = size == 1 ? (uint16_t)(val & 0xFF) : (uint16_t)val;
        fc->offset = 0;
        return;
    }
    if (port == FW_CFG_PORT_DATA) {
        log_once(LOG_GUEST_ERRORS, FW_CFG_LOG_KEY(5), "fw_cfg: data port write ignored\n");
        return;
    }
    if (port >= FW_CFG_PORT_DMA && port < FW_CFG_PORT_DMA + 8) {
        unsigned first = port - FW_CFG_PORT_DMA;
        bool kick = false;
        for (unsigned i = 0; i < size && first + i < 8; i++) {
            fc->dma_addr[first + i] = (uint8_t)(val >> (8 * i));
            if (first + i == 7) kick = true;
        }
        if (kick) {
            uint64_t addr = get_be64(fc->dma_addr);
            memset(fc->dma_addr, 0, sizeof fc->dma_addr);
            dma_run(fc, addr);
        }
        return;
    }
    log_once(LOG_UNIMP, FW_CFG_LOG_KEY(0x100 | port), "fw_cfg: write to port %#x\n", port);
}

static const IoOps fw_cfg_sel_ops = {fw_cfg_io_read, fw_cfg_io_write, 2};
static const IoOps fw_cfg_data_ops = {fw_cfg_io_read, fw_cfg_io_write, 1};
static const IoOps fw_cfg_dma_ops = {fw_cfg_io_read, fw_cfg_io_write, 4};

FwCfg *fw_cfg_new(Bus *bus)
{
    FwCfg *fc = calloc(1, sizeof *fc);
    if (!fc) return NULL;
    fc->bus = bus;
    fw_cfg_add_bytes(fc, FW_CFG_SIGNATURE, "QEMU", 4);
    fw_cfg_add_i32(fc, FW_CFG_ID, FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    rebuild_dir(fc);
    bus_register_io(bus, FW_CFG_PORT_SEL, 1, &fw_cfg_sel_ops, fc);
    bus_register_io(bus, FW_CFG_PORT_DATA, 1, &fw_cfg_data_ops, fc);
    bus_register_io(bus, FW_CFG_PORT_DMA, 8, &fw_cfg_dma_ops, fc);
    return fc;
}

void fw_cfg_reset(void *opaque)
{
    FwCfg *fc = opaque;
    fc->selector = FW_CFG_SIGNATURE;
    fc->offset = 0;
    memset(fc->dma_addr, 0, sizeof fc->dma_addr);
}

void fw_cfg_free(void *opaque)
{
    FwCfg *fc = opaque;
    if (!fc) return;
    bus_unregister_io(fc->bus, FW_CFG_PORT_SEL, 2);
    bus_unregister_io(fc->bus, FW_CFG_PORT_DMA, 8);
    for (unsigned i = 0; i < FW_CFG_NUM_FIXED; i++) {
        free(fc->fixed[i].data);
        free(fc->arch[i].data);
    }
    for (unsigned i = 0; i < fc->nfiles; i++)
        free(fc->files[i].item.data);
    free(fc->files);
    free(fc);
}

const DeviceOps fw_cfg_device_ops = {"fw_cfg", fw_cfg_reset, NULL, NULL, fw_cfg_free};
