/*
 * i440fx.c - the Intel 82441FX PMC (host bridge) of the 440FX chipset.
 *
 * Follows the Intel 440FX PCIset datasheet (82441FX PMC and 82442FX DBX,
 * order no. 290549): section 3.2, the PMC configuration registers
 * (identity 8086:1237 rev 02, class 06/00/00; PAM0-PAM6 at 0x59-0x5F;
 * DRB0-DRB7 at 0x60-0x67; SMRAM at 0x72) and section 4.1 (the memory map:
 * PAM shadowing of 0xC0000-0xFFFFF).
 *
 * PAM: each region has RE (reads go to DRAM) and WE (writes go to DRAM);
 * an access whose bit is clear goes to PCI, i.e. to whatever the machine
 * mapped below I440FX_PAM_PRIORITY (the BIOS ROM). Each region owns three
 * bus regions, created once and switched with bus_region_set:
 *   RE=1 WE=1  a RAM alias of the guest RAM at that address;
 *   RE=1 WE=0  the same alias mapped as ROM (the bus drops writes);
 *   RE=0 WE=1  an MMIO region: reads find the region below (the ROM),
 *              writes store into the guest RAM;
 *   RE=0 WE=0  nothing: the lower regions show.
 *
 * Known deviations and choices:
 *  - SMRAM (0x72) is stored but never opened: 0xA0000-0xBFFFF always goes
 *    to the PCI side (VGA). D_OPEN set by a guest is logged (-d unimp).
 *  - The DRB registers are filled from the RAM size as one populated row
 *    (DRB0 = size in 8 MiB units, rows 1-7 add nothing), saturating at
 *    255 (2040 MiB). SeaBIOS does not read them: it takes the RAM size from
 *    fw_cfg and the CMOS; they are there for software that probes the PMC.
 *  - The cache enable (CE) PAM bits, DRAM timing, error reporting and the
 *    other PMC registers 0x50-0x71 are plain storage with no effect.
 *  - The 0xF0000 region's high-BIOS alias at 0xFFFF0000 is the machine's
 *    business (it maps the BIOS ROM there itself).
 */
#include "devices/i440fx.h"

#include <stdlib.h>
#include <string.h>

#include "devices/core/log.h"

#define I440FX_LOG_KEY(reason) (0x4934343000ull | (reason))

enum { PAM_RE = 1, PAM_WE = 2 };
enum { SMRAM_D_OPEN = 0x40, SMRAM_D_LCK = 0x10, SMRAM_DEFAULT = 0x02 };

typedef struct PamRegion {
    struct I440fx *nb;
    uint32_t base;
    uint32_t size;
    uint8_t mode; /* PAM_RE | PAM_WE as decoded now */
    MemRegion *ram_rw;
    MemRegion *ram_ro;
    MemRegion *write_only;
} PamRegion;

struct I440fx {
    PciDevice pci; /* first: container_of by cast */
    Bus *bus;
    uint8_t *ram;
    uint64_t ram_size_bytes;
    PamRegion pam[I440FX_NUM_PAM_REGIONS];
};

/* Region 0 is 0xF0000-0xFFFFF (PAM0 bits 5:4); regions 1-12 are the 16 KiB
 * blocks from 0xC0000, two per register from PAM1 (low nibble first). */
static unsigned pam_reg(unsigned r)
{
    return r == 0 ? I440FX_PAM0 : I440FX_PAM0 + 1 + (r - 1) / 2;
}
static unsigned pam_shift(unsigned r)
{
    return r == 0 ? 4 : ((r - 1) & 1) * 4;
}

/* The byte the PCI side (everything mapped below the PAM aliases) gives
 * at addr: the highest-priority enabled region there, the last added among
 * equals, as bus.c decides. */
static uint8_t lower_read_byte(I440fx *nb, uint32_t addr)
{
    MemRegion *best = NULL;
    for (MemRegion *mr = nb->bus->regions; mr; mr = mr->next) {
        if (!mr->enabled || mr->priority >= I440FX_PAM_PRIORITY) continue;
        if (addr < mr->base || (uint64_t)addr >= (uint64_t)mr->base + mr->size) continue;
        if (!best || mr->priority >= best->priority) best = mr;
    }
    if (!best) return 0xFF;
    uint32_t off = addr - best->base;
    if (best->kind != MR_MMIO) return best->host[off];
    if (!best->ops || !best->ops->read) return 0xFF;
    return (uint8_t)best->ops->read(best->opaque, off, 1);
}

/* RE = 0, WE = 1: reads from the PCI side, writes into DRAM. */
static uint32_t pam_wo_read(void *opaque, uint32_t off, unsigned size)
{
    PamRegion *p = opaque;
    uint32_t v = 0;
    for (unsigned i = 0; i < size && off + i < p->size; i++)
        v |= (uint32_t)lower_read_byte(p->nb, p->base + off + i) << (8 * i);
    return v;
}

static void pam_wo_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    PamRegion *p = opaque;
    for (unsigned i = 0; i < size && off + i < p->size; i++)
        p->nb->ram[p->base + off + i] = (uint8_t)(val >> (8 * i));
}

static const MemOps pam_wo_ops = {pam_wo_read, pam_wo_write, 4};

static void pam_apply(I440fx *nb, unsigned r, uint8_t mode)
{
    PamRegion *p = &nb->pam[r];
    if (!p->ram_rw || mode == p->mode) return;
    p->mode = mode;
    bus_region_set(nb->bus, p->ram_rw, p->base, mode == (PAM_RE | PAM_WE));
    bus_region_set(nb->bus, p->ram_ro, p->base, mode == PAM_RE);
    bus_region_set(nb->bus, p->write_only, p->base, mode == PAM_WE);
}

static void pam_update(I440fx *nb)
{
    for (unsigned r = 0; r < I440FX_NUM_PAM_REGIONS; r++) {
        uint8_t v = nb->pci.config[pam_reg(r)] >> pam_shift(r);
        pam_apply(nb, r, v & (PAM_RE | PAM_WE));
    }
}

static void i440fx_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned size)
{
    I440fx *nb = (I440fx *)d;
    if (off < I440FX_PAM0 + 7 && off + size > I440FX_PAM0) pam_update(nb);
    if (off <= I440FX_SMRAM && off + size > I440FX_SMRAM &&
        (d->config[I440FX_SMRAM] & SMRAM_D_OPEN))
        log_once(LOG_UNIMP, I440FX_LOG_KEY(I440FX_SMRAM),
                 "i440fx: SMRAM D_OPEN is not modelled (0xA0000 stays VGA)\n");
}

static void fill_drb(I440fx *nb)
{
    uint64_t units = nb->ram_size_bytes >> 23; /* 8 MiB */
    if (units > 255) units = 255;
    for (unsigned i = 0; i < 8; i++)
        nb->pci.config[I440FX_DRB0 + i] = (uint8_t)units;
}

void i440fx_reset(void *opaque)
{
    I440fx *nb = opaque;
    PciDevice *d = &nb->pci;
    pci_device_reset(d);
    /* Power-on values from the datasheet's register table. */
    pci_set_word(d->config + PCI_COMMAND, 0x0006);
    pci_set_word(d->config + PCI_STATUS, 0x0280);
    memset(d->config + 0x50, 0, 0x30);
    d->config[I440FX_DRAMC] = 0x01;
    fill_drb(nb);
    d->config[I440FX_SMRAM] = SMRAM_DEFAULT;
    d->config[0x90] = 0; /* ERRCMD */
    d->config[0x91] = 0; /* ERRSTS */
    pam_update(nb);
}

static MemRegion *pam_alias(I440fx *nb, PamRegion *p, MemKind kind, const char *name)
{
    MemRegion *mr =
        bus_add_host(nb->bus, p->base, p->size, nb->ram + p->base, kind, I440FX_PAM_PRIORITY, name);
    if (mr) bus_region_set(nb->bus, mr, p->base, false);
    return mr;
}

I440fx *i440fx_new(Bus *bus, PciBus *pci, const I440fxConfig *cfg)
{
    if (!pci || pci_bus_find(pci, PCI_DEVFN(0, 0))) return NULL;
    I440fx *nb = calloc(1, sizeof *nb);
    if (!nb) return NULL;
    nb->bus = bus;
    nb->ram = cfg ? cfg->ram : NULL;
    nb->ram_size_bytes = cfg ? cfg->ram_size_bytes : 0;

    PciDevice *d = &nb->pci;
    pci_device_init(d, "i440fx", 0x8086, 0x1237, 0x02, 0x060000, 0x00);
    d->opaque = nb;
    d->config_write = i440fx_config_write;
    /* The host bridge decodes memory and I/O always; bus master is fixed. */
    pci_set_word(d->wmask + PCI_COMMAND, PCI_COMMAND_SERR | PCI_COMMAND_PARITY);
    d->wmask[PCI_INTERRUPT_LINE] = 0;
    d->wmask[PCI_CACHE_LINE_SIZE] = 0;
    d->wmask[PCI_LATENCY_TIMER] = 0xF8;
    memset(d->wmask + 0x50, 0xFF, 0x08); /* PMCCFG..DRAMC */
    d->wmask[0x58] = 0xFF;               /* DRAMT */
    d->wmask[I440FX_PAM0] = 0x70;
    memset(d->wmask + I440FX_PAM0 + 1, 0x77, 6);
    d->wmask[0x68] = 0xFF;         /* FDHC */
    d->wmask[0x70] = 0xFF;         /* MTT */
    d->wmask[0x71] = 0xFF;         /* CLT */
    d->wmask[I440FX_SMRAM] = 0x78; /* C_BASE_SEG is fixed at 010b */
    d->wmask[0x90] = 0xFF;         /* ERRCMD */
    d->w1cmask[0x91] = 0xFF;       /* ERRSTS */

    for (unsigned r = 0; r < I440FX_NUM_PAM_REGIONS; r++) {
        PamRegion *p = &nb->pam[r];
        p->nb = nb;
        p->base = r == 0 ? 0xF0000 : 0xC0000 + (r - 1) * 0x4000;
        p->size = r == 0 ? 0x10000 : 0x4000;
        p->mode = 0;
        if (!nb->ram || (uint64_t)p->base + p->size > nb->ram_size_bytes) continue;
        p->ram_rw = pam_alias(nb, p, MR_RAM, "pam-ram");
        p->ram_ro = pam_alias(nb, p, MR_ROM, "pam-ram-ro");
        p->write_only = bus_add_mmio(bus, p->base, p->size, &pam_wo_ops, p, I440FX_PAM_PRIORITY,
                                     "pam-write-only");
        if (p->write_only) bus_region_set(bus, p->write_only, p->base, false);
        if (!p->ram_rw || !p->ram_ro || !p->write_only) {
            free(nb);
            return NULL; /* the bus keeps the regions; bus_free releases them */
        }
    }
    if (!pci_bus_attach(pci, d, PCI_DEVFN(0, 0))) {
        free(nb);
        return NULL;
    }
    i440fx_reset(nb);
    return nb;
}

PciDevice *i440fx_pci(I440fx *nb)
{
    return &nb->pci;
}

void i440fx_free(void *opaque)
{
    I440fx *nb = opaque;
    if (!nb) return;
    if (nb->pci.bus) pci_bus_detach(nb->pci.bus, &nb->pci);
    /* The bus has no region removal: the aliases stay, disabled, and are
     * freed with the bus (they point into RAM the machine owns). */
    for (unsigned r = 0; r < I440FX_NUM_PAM_REGIONS; r++)
        pam_apply(nb, r, 0);
    free(nb);
}

const DeviceOps i440fx_device_ops = {"i440fx", i440fx_reset, NULL, NULL, i440fx_free};
