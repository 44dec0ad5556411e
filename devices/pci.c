/*
 * pci.c - PCI bus 0, configuration mechanism #1, and the reset control
 * register at 0xCF9.
 *
 * Follows the PCI Local Bus Specification rev. 2.1 (section 3.7.4.1,
 * configuration mechanism #1; section 6, the type 0 configuration header
 * and base address registers), the Intel 440FX PMC datasheet (order no.
 * 290549, CONFADD/CONFDATA) and the PIIX3 datasheet (order no. 290550,
 * section 2.2.1, Reset Control Register).
 *
 * CONFADD is a 32-bit register: only a dword access to 0xCF8 reaches it;
 * byte and word accesses to 0xCF8-0xCFB go on to the ISA side, where the
 * only one decoded is the byte at 0xCF9 (the PIIX3's RC register). CONFDATA
 * at 0xCFC-0xCFF forwards byte, word and dword accesses to the register
 * CONFADD selects plus the port's byte offset, when CONFADD's enable bit is
 * set; otherwise the access is an ordinary I/O cycle nobody claims (reads
 * all ones).
 *
 * Known deviations and choices:
 *  - Only bus 0 exists: a cycle to another bus number, or to a devfn no
 *    device occupies, reads all ones (a master abort) and writes are dropped.
 *  - Type 1 cycles to bus 0 are not special-cased; CONFADD bits 1:0 are
 *    reserved and read 0.
 *  - 64-bit memory BARs are not modelled (every memory BAR is 32-bit).
 *  - A BAR decodes when its command enable bit is set and its address is
 *    not 0, not the all-ones probe value, and (I/O) below 64 KiB.
 *  - A data port access that runs past 0xCFF (an unaligned dword at 0xCFD)
 *    reads ones for the bytes beyond and drops them on writes.
 *  - RC bit 2 (RCPU) is self-clearing here once the reset is requested;
 *    bit 1 (SRST) and bit 3 (full reset, a later chipset's FULL_RST) read
 *    back as written.
 */
#include "devices/pci.h"

#include <stdlib.h>
#include <string.h>

#include "devices/core/log.h"

enum {
    PCI_CONFADD_PORT = 0xCF8,
    PCI_RC_PORT = 0xCF9,
    PCI_CONFDATA_PORT = 0xCFC,
    CONFADD_ENABLE = 0x80000000u,
    CONFADD_MASK = 0x80FFFFFCu,
    RC_SRST = 0x02,
    RC_RCPU = 0x04,
    RC_MASK = 0x0E,
};

#define PCI_LOG_KEY(reason) (0x5043490000ull | (reason))

static uint32_t bar_offset(int n)
{
    return n == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4u * (unsigned)n;
}

void pci_device_init(PciDevice *d, const char *name, uint16_t vendor, uint16_t device,
                     uint8_t revision, uint32_t class_code, uint8_t header_type)
{
    memset(d, 0, sizeof *d);
    d->name = name;
    for (int i = 0; i < PCI_NUM_REGIONS; i++)
        d->bars[i].mapped_at = PCI_BAR_UNMAPPED;
    pci_set_word(d->config + PCI_VENDOR_ID, vendor);
    pci_set_word(d->config + PCI_DEVICE_ID, device);
    d->config[PCI_REVISION_ID] = revision;
    d->config[PCI_CLASS_PROG] = (uint8_t)class_code;
    d->config[PCI_CLASS_DEVICE] = (uint8_t)(class_code >> 8);
    d->config[PCI_CLASS_DEVICE + 1] = (uint8_t)(class_code >> 16);
    d->config[PCI_HEADER_TYPE] = header_type;
    pci_set_word(d->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
                                             PCI_COMMAND_SERR | PCI_COMMAND_PARITY |
                                             PCI_COMMAND_INTX_DISABLE);
    /* Status: parity error, SERR, master/target abort received/signalled
     * and data parity reported are write-one-to-clear. */
    pci_set_word(d->w1cmask + PCI_STATUS, 0xF900);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0xFF;
    d->wmask[PCI_LATENCY_TIMER] = 0xFF;
    d->wmask[PCI_INTERRUPT_LINE] = 0xFF;
}

void pci_register_bar(PciDevice *d, int n, uint32_t size, uint8_t type, PciBarMapFn map)
{
    if (n < 0 || n >= PCI_NUM_REGIONS || size == 0 || (size & (size - 1))) return;
    if (n == PCI_ROM_SLOT) {
        if (size < 2048) size = 2048;
        type = PCI_BAR_MEM;
    } else if (type & PCI_BAR_IO) {
        if (size < 4) size = 4;
        type = PCI_BAR_IO;
    } else if (size < 16) {
        size = 16;
    }
    PciBar *b = &d->bars[n];
    b->size = size;
    b->type = type;
    b->map = map;
    b->mapped_at = PCI_BAR_UNMAPPED;
    uint32_t off = bar_offset(n);
    uint32_t mask = ~(size - 1);
    if (n == PCI_ROM_SLOT) mask |= 1; /* the ROM enable bit */
    pci_set_long(d->wmask + off, mask);
    pci_set_long(d->config + off, type);
}

void pci_set_interrupt_pin(PciDevice *d, uint8_t pin)
{
    d->config[PCI_INTERRUPT_PIN] = pin;
}

uint32_t pci_bar_address(const PciDevice *d, int n)
{
    if (n < 0 || n >= PCI_NUM_REGIONS) return PCI_BAR_UNMAPPED;
    const PciBar *b = &d->bars[n];
    if (b->size == 0) return PCI_BAR_UNMAPPED;
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
    uint32_t raw = pci_get_long(d->config + bar_offset(n));
    uint32_t addr = raw & ~(b->size - 1);
    if (b->type & PCI_BAR_IO) {
        if (!(cmd & PCI_COMMAND_IO)) return PCI_BAR_UNMAPPED;
        if (addr == 0 || (uint64_t)addr + b->size > 0x10000) return PCI_BAR_UNMAPPED;
        return addr;
    }
    if (!(cmd & PCI_COMMAND_MEMORY)) return PCI_BAR_UNMAPPED;
    if (n == PCI_ROM_SLOT && !(raw & 1)) return PCI_BAR_UNMAPPED;
    /* The all-ones probe leaves ~(size-1): the region would end at 4 GiB
     * exactly, which is where firmware never puts a BAR; treat as a probe. */
    if (addr == 0 || addr == ~(b->size - 1)) return PCI_BAR_UNMAPPED;
    return addr;
}

void pci_update_mappings(PciDevice *d)
{
    for (int n = 0; n < PCI_NUM_REGIONS; n++) {
        PciBar *b = &d->bars[n];
        if (b->size == 0) continue;
        uint32_t addr = pci_bar_address(d, n);
        if (addr == b->mapped_at) continue;
        b->mapped_at = addr;
        if (b->map) b->map(d, n, addr);
    }
}

void pci_device_reset(PciDevice *d)
{
    uint16_t cmd = pci_get_word(d->config + PCI_COMMAND);
    cmd &= (uint16_t)~pci_get_word(d->wmask + PCI_COMMAND);
    pci_set_word(d->config + PCI_COMMAND, cmd);
    uint16_t st = pci_get_word(d->config + PCI_STATUS);
    st &= (uint16_t)~pci_get_word(d->w1cmask + PCI_STATUS);
    pci_set_word(d->config + PCI_STATUS, st);
    d->config[PCI_CACHE_LINE_SIZE] = 0;
    d->config[PCI_LATENCY_TIMER] = 0;
    d->config[PCI_INTERRUPT_LINE] = 0;
    for (int n = 0; n < PCI_NUM_REGIONS; n++)
        if (d->bars[n].size) pci_set_long(d->config + bar_offset(n), d->bars[n].type);
    pci_update_mappings(d);
}

uint32_t pci_config_read(PciDevice *d, unsigned off, unsigned size)
{
    if (size == 0 || size > 4 || off >= PCI_CONFIG_SIZE) return 0xFFFFFFFFu;
    if (off + size > PCI_CONFIG_SIZE) size = PCI_CONFIG_SIZE - off;
    if (d->config_read) return d->config_read(d, off, size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)d->config[off + i] << (8 * i);
    return v;
}

void pci_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned size)
{
    if (size == 0 || size > 4 || off >= PCI_CONFIG_SIZE) return;
    if (off + size > PCI_CONFIG_SIZE) size = PCI_CONFIG_SIZE - off;
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        unsigned a = off + i;
        uint8_t wm = d->wmask[a], w1c = d->w1cmask[a];
        d->config[a] = (uint8_t)((d->config[a] & ~wm) | (b & wm));
        d->config[a] &= (uint8_t) ~(b & w1c);
    }
    /* Only the command register and the BARs change decoding. */
    bool touches_cmd = off < PCI_COMMAND + 2 && off + size > PCI_COMMAND;
    bool touches_bar = off < PCI_BASE_ADDRESS_0 + 24 && off + size > PCI_BASE_ADDRESS_0;
    bool touches_rom = off < PCI_ROM_ADDRESS + 4 && off + size > PCI_ROM_ADDRESS;
    if (touches_cmd || touches_bar || touches_rom) pci_update_mappings(d);
    if (d->config_write) d->config_write(d, off, val, size);
}

PciDevice *pci_bus_find(PciBus *pci, unsigned devfn)
{
    return devfn < PCI_MAX_DEVICES * PCI_MAX_FUNCTIONS ? pci->devs[devfn] : NULL;
}

bool pci_bus_attach(PciBus *pci, PciDevice *d, unsigned devfn)
{
    if (devfn >= PCI_MAX_DEVICES * PCI_MAX_FUNCTIONS || pci->devs[devfn]) return false;
    pci->devs[devfn] = d;
    d->bus = pci;
    d->devfn = devfn;
    return true;
}

void pci_bus_detach(PciBus *pci, PciDevice *d)
{
    if (d->devfn < PCI_MAX_DEVICES * PCI_MAX_FUNCTIONS && pci->devs[d->devfn] == d)
        pci->devs[d->devfn] = NULL;
    d->bus = NULL;
}

/* The device CONFADD selects, or NULL for a master abort. */
static PciDevice *selected_device(PciBus *pci)
{
    uint32_t ca = pci->config_address;
    if (!(ca & CONFADD_ENABLE)) return NULL;
    if (((ca >> 16) & 0xFF) != 0) return NULL;
    return pci->devs[(ca >> 8) & 0xFF];
}

static uint32_t pci_io_read(void *opaque, uint16_t port, unsigned size)
{
    PciBus *pci = opaque;
    if (port == PCI_CONFADD_PORT && size == 4) return pci->config_address;
    if (port == PCI_RC_PORT && size == 1) return pci->reset_control;
    if (port >= PCI_CONFDATA_PORT) {
        if (!(pci->config_address & CONFADD_ENABLE)) return 0xFFFFFFFFu >> (32 - 8 * size);
        PciDevice *d = selected_device(pci);
        unsigned byte = port - PCI_CONFDATA_PORT;
        unsigned n = byte + size > 4 ? 4 - byte : size;
        uint32_t ones = 0xFFFFFFFFu >> (32 - 8 * size);
        if (!d) return ones;
        unsigned off = (pci->config_address & 0xFC) + byte;
        uint32_t v = pci_config_read(d, off, n);
        if (n < size) v |= ones & ~(0xFFFFFFFFu >> (32 - 8 * n));
        return v;
    }
    log_once(LOG_UNIMP, PCI_LOG_KEY(port << 4 | size), "pci: %u-byte read of port %#x\n", size,
             port);
    return 0xFFFFFFFFu >> (32 - 8 * size);
}

static void pci_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    PciBus *pci = opaque;
    if (port == PCI_CONFADD_PORT && size == 4) {
        pci->config_address = val & CONFADD_MASK;
        return;
    }
    if (port == PCI_RC_PORT && size == 1) {
        pci->reset_control = (uint8_t)(val & RC_MASK);
        if (val & RC_RCPU) {
            pci->reset_control &= (uint8_t)~RC_RCPU;
            if (pci->cfg.reset_request)
                pci->cfg.reset_request(pci->cfg.reset_opaque, (val & RC_SRST) != 0);
            else
                log_once(LOG_UNIMP, PCI_LOG_KEY(0xCF9), "pci: reset request with no handler\n");
        }
        return;
    }
    if (port >= PCI_CONFDATA_PORT) {
        PciDevice *d = selected_device(pci);
        if (!d) return;
        unsigned byte = port - PCI_CONFDATA_PORT;
        unsigned n = byte + size > 4 ? 4 - byte : size;
        pci_config_write(d, (pci->config_address & 0xFC) + byte, val, n);
        return;
    }
    log_once(LOG_UNIMP, PCI_LOG_KEY(port << 4 | size), "pci: %u-byte write of port %#x\n", size,
             port);
}

static const IoOps pci_io_ops = {pci_io_read, pci_io_write, 4};

PciBus *pci_bus_new(Bus *bus, const PciBusConfig *cfg)
{
    PciBus *pci = calloc(1, sizeof *pci);
    if (!pci) return NULL;
    pci->bus = bus;
    if (cfg) pci->cfg = *cfg;
    bus_register_io(bus, PCI_CONFADD_PORT, 4, &pci_io_ops, pci);
    bus_register_io(bus, PCI_CONFDATA_PORT, 4, &pci_io_ops, pci);
    return pci;
}

void pci_bus_reset(void *opaque)
{
    PciBus *pci = opaque;
    pci->config_address = 0;
    pci->reset_control = 0;
}

void pci_bus_free(void *opaque)
{
    PciBus *pci = opaque;
    if (!pci) return;
    bus_unregister_io(pci->bus, PCI_CONFADD_PORT, 4);
    bus_unregister_io(pci->bus, PCI_CONFDATA_PORT, 4);
    free(pci);
}

const DeviceOps pci_bus_device_ops = {"pci", pci_bus_reset, NULL, NULL, pci_bus_free};
