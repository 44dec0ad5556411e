/*
 * pci.h - PCI bus 0 behind configuration mechanism #1 (ports 0xCF8/0xCFC),
 * and the PIIX3's reset control register at 0xCF9.
 *
 * A device embeds a PciDevice, fills its identity with pci_device_init,
 * declares its BARs with pci_register_bar and attaches to a slot:
 *
 *   PciBus *pci = pci_bus_new(bus, &(PciBusConfig){machine_reset, machine});
 *   pci_device_init(&dev->pci, 0x8086, 0x1237, 0x02, 0x060000, 0x00);
 *   pci_register_bar(&dev->pci, 0, 0x100, PCI_BAR_IO, my_bar_map);
 *   pci_bus_attach(pci, &dev->pci, PCI_DEVFN(1, 0));
 *
 * Config space writes go through a per-byte write mask (read-only bits stay)
 * and a per-byte write-one-to-clear mask (status bits); after the write the
 * BAR decoding is re-evaluated and each BAR's map callback learns its new
 * address (or PCI_BAR_UNMAPPED), then the device's config_write hook runs.
 * See pci.c for the model and its deviations.
 */
#ifndef BRISK_PCI_H
#define BRISK_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/device.h"

#define PCI_MAX_DEVICES    32
#define PCI_MAX_FUNCTIONS  8
#define PCI_DEVFN(dev, fn) ((((unsigned)(dev)&31) << 3) | ((unsigned)(fn)&7))
#define PCI_CONFIG_SIZE    256
#define PCI_NUM_BARS       6
#define PCI_ROM_SLOT       6 /* the expansion ROM BAR at 0x30 */
#define PCI_NUM_REGIONS    7
#define PCI_BAR_UNMAPPED   0xFFFFFFFFu

/* Type 0 header offsets (PCI Local Bus Specification 2.1, section 6.1). */
enum {
    PCI_VENDOR_ID = 0x00,
    PCI_DEVICE_ID = 0x02,
    PCI_COMMAND = 0x04,
    PCI_STATUS = 0x06,
    PCI_REVISION_ID = 0x08,
    PCI_CLASS_PROG = 0x09,
    PCI_CLASS_DEVICE = 0x0A, /* sub-class, then base class at 0x0B */
    PCI_CACHE_LINE_SIZE = 0x0C,
    PCI_LATENCY_TIMER = 0x0D,
    PCI_HEADER_TYPE = 0x0E,
    PCI_BIST = 0x0F,
    PCI_BASE_ADDRESS_0 = 0x10,
    PCI_SUBSYSTEM_VENDOR_ID = 0x2C,
    PCI_SUBSYSTEM_ID = 0x2E,
    PCI_ROM_ADDRESS = 0x30,
    PCI_INTERRUPT_LINE = 0x3C,
    PCI_INTERRUPT_PIN = 0x3D,
};

enum {
    PCI_COMMAND_IO = 0x0001,
    PCI_COMMAND_MEMORY = 0x0002,
    PCI_COMMAND_MASTER = 0x0004,
    PCI_COMMAND_SPECIAL = 0x0008,
    PCI_COMMAND_INVALIDATE = 0x0010,
    PCI_COMMAND_VGA_PALETTE = 0x0020,
    PCI_COMMAND_PARITY = 0x0040,
    PCI_COMMAND_SERR = 0x0100,
    PCI_COMMAND_FAST_BACK = 0x0200,
    PCI_COMMAND_INTX_DISABLE = 0x0400,
};

enum {
    PCI_HEADER_TYPE_MULTI_FUNCTION = 0x80,
};

/* BAR types (the low bits a BAR reads back). */
enum {
    PCI_BAR_MEM = 0x00,
    PCI_BAR_IO = 0x01,
    PCI_BAR_MEM_PREFETCH = 0x08,
};

typedef struct PciBus PciBus;
typedef struct PciDevice PciDevice;

/* addr is the BAR's new base, or PCI_BAR_UNMAPPED when it stops decoding. */
typedef void (*PciBarMapFn)(PciDevice *d, int bar, uint32_t addr);

typedef struct PciBar {
    uint32_t size; /* 0: the BAR is not implemented (reads 0) */
    uint8_t type;  /* PCI_BAR_* */
    PciBarMapFn map;
    uint32_t mapped_at; /* what map was last told */
} PciBar;

struct PciDevice {
    PciBus *bus; /* NULL until attached */
    unsigned devfn;
    const char *name;
    void *opaque; /* for the device's own use (its state struct) */
    uint8_t config[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE];   /* bits a write may change */
    uint8_t w1cmask[PCI_CONFIG_SIZE]; /* bits a write of one clears */
    PciBar bars[PCI_NUM_REGIONS];
    /* Optional: runs after the bytes are stored and BARs re-evaluated. */
    void (*config_write)(PciDevice *d, unsigned off, uint32_t val, unsigned size);
    /* Optional: replaces the stored bytes on reads (registers that change). */
    uint32_t (*config_read)(PciDevice *d, unsigned off, unsigned size);
};

typedef struct PciBusConfig {
    /* 0xCF9 RCPU written to 1: hard is the SRST bit (a full reset rather than
     * an INIT). NULL: the request is logged and dropped. */
    void (*reset_request)(void *opaque, bool hard);
    void *reset_opaque;
} PciBusConfig;

struct PciBus {
    Bus *bus;
    PciDevice *devs[PCI_MAX_DEVICES * PCI_MAX_FUNCTIONS];
    uint32_t config_address; /* CONFADD at 0xCF8 */
    uint8_t reset_control;   /* 0xCF9 */
    PciBusConfig cfg;
};

PciBus *pci_bus_new(Bus *bus, const PciBusConfig *cfg);
void pci_bus_reset(void *pci);
void pci_bus_free(void *pci);
extern const DeviceOps pci_bus_device_ops;

/* Clears d and fills the identity registers and the standard write masks
 * (command, status RW1C bits, cache line size, latency timer, interrupt
 * line). class_code is base << 16 | sub << 8 | prog_if. */
void pci_device_init(PciDevice *d, const char *name, uint16_t vendor, uint16_t device,
                     uint8_t revision, uint32_t class_code, uint8_t header_type);
/* Declares BAR n (0-5, or PCI_ROM_SLOT) of size bytes (a power of two; at
 * least 4 for I/O and 16 for memory, 2 KiB for the ROM). */
void pci_register_bar(PciDevice *d, int n, uint32_t size, uint8_t type, PciBarMapFn map);
void pci_set_interrupt_pin(PciDevice *d, uint8_t pin); /* 1 = INTA# ... 4 = INTD# */
/* Puts d at devfn; false if the slot is taken or out of range. */
bool pci_bus_attach(PciBus *pci, PciDevice *d, unsigned devfn);
void pci_bus_detach(PciBus *pci, PciDevice *d);
PciDevice *pci_bus_find(PciBus *pci, unsigned devfn);

/* The power-on state of the standard header: command, BAR addresses,
 * interrupt line, cache line, latency and status error bits cleared; BARs
 * are unmapped (map callbacks run). Device-specific registers are left to
 * the device's own reset. */
void pci_device_reset(PciDevice *d);

/* Config space access as a configuration cycle makes it (off + size <= 256). */
uint32_t pci_config_read(PciDevice *d, unsigned off, unsigned size);
void pci_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned size);
/* Re-evaluates BAR decoding and calls map callbacks whose result changed. */
void pci_update_mappings(PciDevice *d);
/* The address BAR n decodes at now, or PCI_BAR_UNMAPPED. */
uint32_t pci_bar_address(const PciDevice *d, int n);

static inline uint16_t pci_get_word(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

#endif
