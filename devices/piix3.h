/*
 * piix3.h - the PCI-to-ISA bridge (function 0) of the Intel 82371SB PIIX3:
 * PIRQ routing of the PCI interrupt lines onto ISA IRQs and the ELCR.
 *
 *   Piix3Config cfg = {.set_elcr = pc_set_elcr, .elcr_opaque = pic};
 *   for (int i = 0; i < 16; i++) cfg.isa_irq[i] = irq_line(pic_set_irq, pic, i);
 *   Piix3 *sb = piix3_new(bus, pci, PCI_DEVFN(1, 0), &cfg);
 *   piix3_pci_set_irq(sb, 0, 1);   // PIRQA# asserted
 *
 * The IDE (function 1) and power management (function 3) functions are
 * separate devices. See piix3.c for the model and its deviations.
 */
#ifndef BRISK_PIIX3_H
#define BRISK_PIIX3_H

#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/device.h"
#include "devices/core/irq.h"
#include "devices/pci.h"

#define PIIX3_NUM_PIRQ 4
#define PIIX3_PIRQRC   0x60 /* PIRQRC[A:D] at 0x60-0x63 */

typedef struct Piix3Config {
    IrqLine isa_irq[16]; /* the PIC inputs the PIRQs can be steered to */
    /* Called with the ELCR (bit n = IRQ n level-triggered) whenever a guest
     * writes 0x4D0/0x4D1 and on reset; the machine calls pic_set_elcr. */
    void (*set_elcr)(void *opaque, uint16_t elcr);
    void *elcr_opaque;
} Piix3Config;

typedef struct Piix3 Piix3;

Piix3 *piix3_new(Bus *bus, PciBus *pci, unsigned devfn, const Piix3Config *cfg);
/* PCI interrupt PIRQA#..PIRQD# (pirq 0-3) asserted (level 1) or not. */
void piix3_pci_set_irq(Piix3 *sb, unsigned pirq, int level);
/* An IrqSetFn form of the above (n = pirq), for IrqLines of PCI devices. */
void piix3_set_pirq(void *sb, int n, int level);
uint16_t piix3_elcr(const Piix3 *sb);
PciDevice *piix3_pci(Piix3 *sb);
void piix3_reset(void *sb);
void piix3_free(void *sb);
extern const DeviceOps piix3_device_ops;

#endif
