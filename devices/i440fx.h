/*
 * i440fx.h - the Intel 82441FX PCI and memory controller (PMC) of the
 * i440FX chipset: the host bridge at PCI 00:00.0, its PAM shadow-RAM
 * registers and the SMRAM register.
 *
 *   I440fxConfig cfg = {.ram = ram, .ram_size_bytes = ram_size};
 *   I440fx *nb = i440fx_new(bus, pci, &cfg);
 *
 * Memory priority contract (bus.h: the highest enabled priority wins):
 *   0   guest RAM (bus_add_ram), covering 0xC0000-0xFFFFF as well;
 *   10  what the PCI/ISA side decodes at 0xC0000-0xFFFFF: the BIOS ROM
 *       (bus_add_rom's default priority), option ROMs, or nothing;
 *   20  (I440FX_PAM_PRIORITY) the PAM aliases of RAM this device creates.
 * So with a PAM region's RE = WE = 0 the machine's ROM shows through, and
 * where the machine maps nothing at priority 1-19 the plain RAM does (a real
 * board would float the bus there; no firmware relies on either).
 * The machine must map its ROMs at a priority below I440FX_PAM_PRIORITY and
 * above 0; the write-only PAM mode reads them through the bus region list.
 */
#ifndef BRISK_I440FX_H
#define BRISK_I440FX_H

#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/device.h"
#include "devices/pci.h"

#define I440FX_PAM_PRIORITY    20
#define I440FX_NUM_PAM_REGIONS 13

enum {
    I440FX_PAM0 = 0x59, /* PAM0..PAM6 at 0x59-0x5F */
    I440FX_DRB0 = 0x60, /* DRAM row boundaries 0x60-0x67 */
    I440FX_DRAMC = 0x57,
    I440FX_SMRAM = 0x72,
};

typedef struct I440fxConfig {
    uint8_t *ram;            /* host pointer of guest RAM at address 0 */
    uint64_t ram_size_bytes; /* PAM regions above it are not shadowed */
} I440fxConfig;

typedef struct I440fx I440fx;

/* Attaches the host bridge at devfn 0. NULL if out of memory or the slot is
 * taken. */
I440fx *i440fx_new(Bus *bus, PciBus *pci, const I440fxConfig *cfg);
PciDevice *i440fx_pci(I440fx *nb);
void i440fx_reset(void *nb);
void i440fx_free(void *nb);
extern const DeviceOps i440fx_device_ops;

#endif
