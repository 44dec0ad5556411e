/*
 * piix3.c - function 0 of the Intel 82371SB PIIX3: the PCI-to-ISA bridge
 * (8086:7000, class 06/01/00, multi-function header).
 *
 * Follows the PIIX3 datasheet (order no. 290550): section 2.2 (the function
 * 0 configuration registers: PIRQRC[A:D] at 0x60-0x63 and their defaults),
 * section 2.3 (ELCR1/ELCR2 at 0x4D0/0x4D1) and section 4.3 (PCI interrupt
 * steering: a routed PIRQ# drives its ISA IRQ level-sensitive, several PCI
 * lines may share one IRQ).
 *
 * Each PIRQ route register: bit 7 IRQROUTEN (1 = not routed), bits 3:0 the
 * ISA IRQ. IRQ 0, 1, 2, 8 and 13 are reserved values and route nowhere. An
 * ISA IRQ line is driven with the OR of the levels of every PIRQ routed to
 * it; the line is only driven when its level changes.
 *
 * Known deviations and choices:
 *  - The ISA IRQ lines driven here are the PIRQs' share only: an ISA device
 *    on the same IRQ drives the PIC input through its own IrqLine, so a
 *    PCI and an ISA source on one IRQ are not ORed (PC firmware never
 *    routes a PIRQ onto an IRQ an ISA device uses).
 *  - ELCR bits of IRQ 0, 1, 2, 8 and 13 are forced to 0 (edge) as the
 *    datasheet requires; the other bits read back as written.
 *  - The other function 0 registers (ISA clock, XBCS, TOM, motherboard
 *    IRQ/DMA routing, SMI control, APIC base) are storage with their reset
 *    values; the motherboard IRQs (MBIRQ0/1) are not routed.
 *  - The reset control register at 0xCF9 lives in pci.c with the PCI bus.
 */
#include "devices/piix3.h"

#include <stdlib.h>
#include <string.h>

#include "devices/core/log.h"

enum {
    PIIX3_ELCR_PORT = 0x4D0,
    PIRQ_DISABLE = 0x80,
    PIRQ_IRQ_MASK = 0x0F,
    ELCR_WMASK = 0xDEF8, /* not IRQ 0, 1, 2, 8, 13 */
};

#define PIIX3_LOG_KEY(reason) (0x5049583300ull | (reason))

struct Piix3 {
    PciDevice pci; /* first: container by cast */
    Bus *bus;
    Piix3Config cfg;
    uint8_t pirq_level[PIIX3_NUM_PIRQ];
    uint16_t irq_driven; /* the level last driven on each ISA IRQ */
    uint16_t elcr;
};

/* The ISA IRQ PIRQ p is routed to, or -1. */
static int pirq_route(const Piix3 *sb, unsigned p)
{
    uint8_t r = sb->pci.config[PIIX3_PIRQRC + p];
    if (r & PIRQ_DISABLE) return -1;
    unsigned irq = r & PIRQ_IRQ_MASK;
    if (irq <= 2 || irq == 8 || irq == 13) return -1;
    return (int)irq;
}

static void update_irqs(Piix3 *sb)
{
    uint16_t levels = 0;
    for (unsigned p = 0; p < PIIX3_NUM_PIRQ; p++) {
        int irq = pirq_route(sb, p);
        if (irq >= 0 && sb->pirq_level[p]) levels |= (uint16_t)(1u << irq);
    }
    uint16_t changed = levels ^ sb->irq_driven;
    sb->irq_driven = levels;
    for (unsigned i = 0; i < 16; i++)
        if (changed & (1u << i)) irq_set(&sb->cfg.isa_irq[i], (levels >> i) & 1);
}

void piix3_pci_set_irq(Piix3 *sb, unsigned pirq, int level)
{
    if (pirq >= PIIX3_NUM_PIRQ) return;
    sb->pirq_level[pirq] = level != 0;
    update_irqs(sb);
}

void piix3_set_pirq(void *opaque, int n, int level)
{
    if (n >= 0) piix3_pci_set_irq(opaque, (unsigned)n, level);
}

static void piix3_config_write(PciDevice *d, unsigned off, uint32_t val, unsigned size)
{
    if (off < PIIX3_PIRQRC + PIIX3_NUM_PIRQ && off + size > PIIX3_PIRQRC) update_irqs((Piix3 *)d);
}

static void set_elcr(Piix3 *sb, uint16_t v)
{
    sb->elcr = v & ELCR_WMASK;
    if (sb->cfg.set_elcr) sb->cfg.set_elcr(sb->cfg.elcr_opaque, sb->elcr);
}

static uint32_t elcr_read(void *opaque, uint16_t port, unsigned size)
{
    Piix3 *sb = opaque;
    return (uint8_t)(sb->elcr >> (8 * (port - PIIX3_ELCR_PORT)));
}

static void elcr_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    Piix3 *sb = opaque;
    unsigned shift = 8 * (port - PIIX3_ELCR_PORT);
    uint16_t v = (uint16_t)((sb->elcr & ~(0xFFu << shift)) | ((val & 0xFFu) << shift));
    if (val & ~(ELCR_WMASK >> shift) & 0xFFu)
        log_once(LOG_GUEST_ERRORS, PIIX3_LOG_KEY(port),
                 "piix3: ELCR bit for IRQ 0/1/2/8/13 set, forced to edge\n");
    set_elcr(sb, v);
}

static const IoOps elcr_ops = {elcr_read, elcr_write, 1};

uint16_t piix3_elcr(const Piix3 *sb)
{
    return sb->elcr;
}
PciDevice *piix3_pci(Piix3 *sb)
{
    return &sb->pci;
}

void piix3_reset(void *opaque)
{
    Piix3 *sb = opaque;
    PciDevice *d = &sb->pci;
    pci_device_reset(d);
    /* Reset values from the datasheet's function 0 register table. */
    pci_set_word(d->config + PCI_COMMAND, 0x0007);
    pci_set_word(d->config + PCI_STATUS, 0x0200);
    d->config[0x4C] = 0x4D;                 /* IORT */
    pci_set_word(d->config + 0x4E, 0x0003); /* XBCS */
    memset(d->config + PIIX3_PIRQRC, PIRQ_DISABLE, PIIX3_NUM_PIRQ);
    d->config[0x69] = 0x02;                 /* TOM */
    pci_set_word(d->config + 0x6A, 0x0000); /* MSTAT */
    d->config[0x70] = 0x80;                 /* MBIRQ0 */
    d->config[0x71] = 0x80;                 /* MBIRQ1 */
    d->config[0x76] = 0x0C;                 /* MBDMA0 */
    d->config[0x77] = 0x0C;                 /* MBDMA1 */
    pci_set_word(d->config + 0x78, 0x0002); /* PCSC */
    d->config[0x80] = 0x00;                 /* APICBASE */
    d->config[0x82] = 0x00;                 /* DLC */
    pci_set_word(d->config + 0xA0, 0x0008); /* SMICNTL */
    pci_set_word(d->config + 0xA2, 0x0000); /* SMIEN */
    memset(d->config + 0xA4, 0, 4);         /* SEE */
    d->config[0xA8] = 0x0F;                 /* FTMR */
    pci_set_word(d->config + 0xAA, 0x0000); /* SMIREQ */
    d->config[0xAC] = 0x00;                 /* CTLTMR */
    d->config[0xAE] = 0x00;                 /* CTHTMR */
    memset(sb->pirq_level, 0, sizeof sb->pirq_level);
    update_irqs(sb);
    set_elcr(sb, 0);
}

Piix3 *piix3_new(Bus *bus, PciBus *pci, unsigned devfn, const Piix3Config *cfg)
{
    Piix3 *sb = calloc(1, sizeof *sb);
    if (!sb) return NULL;
    sb->bus = bus;
    if (cfg) sb->cfg = *cfg;
    PciDevice *d = &sb->pci;
    pci_device_init(d, "piix3", 0x8086, 0x7000, 0x00, 0x060100, PCI_HEADER_TYPE_MULTI_FUNCTION);
    d->opaque = sb;
    d->config_write = piix3_config_write;
    /* I/O, memory and bus master are hardwired on: only SERR is writable. */
    pci_set_word(d->wmask + PCI_COMMAND, PCI_COMMAND_SERR);
    d->wmask[PCI_CACHE_LINE_SIZE] = 0;
    d->wmask[PCI_LATENCY_TIMER] = 0;
    d->wmask[PCI_INTERRUPT_LINE] = 0;
    d->wmask[0x4C] = 0x7F;
    pci_set_word(d->wmask + 0x4E, 0x07FF);
    memset(d->wmask + PIIX3_PIRQRC, PIRQ_DISABLE | PIRQ_IRQ_MASK, PIIX3_NUM_PIRQ);
    d->wmask[0x69] = 0xFE;
    pci_set_word(d->wmask + 0x6A, 0x0080);
    d->wmask[0x70] = 0xEF;
    d->wmask[0x71] = 0xEF;
    d->wmask[0x76] = 0x87;
    d->wmask[0x77] = 0x87;
    pci_set_word(d->wmask + 0x78, 0xFFFF);
    d->wmask[0x80] = 0x3F;
    d->wmask[0x82] = 0x0F;
    memset(d->wmask + 0xA0, 0xFF, 0x10);

    if (!pci_bus_attach(pci, d, devfn)) {
        free(sb);
        return NULL;
    }
    bus_register_io(bus, PIIX3_ELCR_PORT, 2, &elcr_ops, sb);
    piix3_reset(sb);
    return sb;
}

void piix3_free(void *opaque)
{
    Piix3 *sb = opaque;
    if (!sb) return;
    if (sb->pci.bus) pci_bus_detach(sb->pci.bus, &sb->pci);
    bus_unregister_io(sb->bus, PIIX3_ELCR_PORT, 2);
    free(sb);
}

const DeviceOps piix3_device_ops = {"piix3", piix3_reset, NULL, NULL, piix3_free};
