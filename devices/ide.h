/*
 * ide.h - the PIIX3 IDE function: two ATA channels with ATA hard disks, PIO
 * and bus-master DMA.
 *
 * Ports registered by ide_new (legacy "compatibility mode" decode):
 *   primary   0x1F0-0x1F7 command block, 0x3F6 device control / alt status, IRQ 14
 *   secondary 0x170-0x177 command block, 0x376 device control / alt status, IRQ 15
 * (0x3F7 / 0x377 are not decoded: 0x3F7 belongs to the floppy controller.)
 * Bus-master DMA: 16 ports at BMIBA (PIIX3 PCI function 1, BAR4), 8 per
 * channel, registered when the machine's PCI code calls ide_bm_set_base.
 *
 *   IdeConfig cfg = {{disk0, NULL, NULL, NULL}};   // index = channel * 2 + unit
 *   Ide *ide = ide_new(bus, irq_line(pic_set_input, pic, 14),
 *                      irq_line(pic_set_input, pic, 15), clock, &cfg);
 *   ide_bm_set_base(ide, 0xC000);                  // when the guest sets BAR4
 *
 * The BlockDevs stay owned by the caller (close them after ide_free).
 * See ide.c for the model and its deviations.
 */
#ifndef BRISK_IDE_H
#define BRISK_IDE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/blockdev.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/device.h"
#include "devices/core/irq.h"

#define IDE_PRIMARY_BASE   0x1F0
#define IDE_PRIMARY_CTRL   0x3F6
#define IDE_SECONDARY_BASE 0x170
#define IDE_SECONDARY_CTRL 0x376
#define IDE_PRIMARY_IRQ    14
#define IDE_SECONDARY_IRQ  15
#define IDE_BM_PORTS       16
/* Virtual time a command keeps BSY set before its data or its completion
 * (and a written block before the next DRQ). */
#define IDE_CMD_LATENCY_NS 1000u

typedef struct Ide Ide;

typedef struct IdeConfig {
    BlockDev *disk[4]; /* channel * 2 + unit; NULL: no device */
} IdeConfig;

/* Registers the legacy ports of both channels and resets. clock may be NULL:
 * every command then completes at once (BSY is never seen). Returns NULL if
 * out of memory. */
Ide *ide_new(Bus *bus, IrqLine irq14, IrqLine irq15, Clock *clock, const IdeConfig *cfg);
/* Moves the bus-master registers to base (16 ports); 0 unregisters them. */
void ide_bm_set_base(Ide *ide, uint16_t base);

/* The level the channel drives on its IRQ line now (tests, debugger). */
bool ide_irq_level(const Ide *ide, int channel);

/* A hardware reset (RESET-): both channels, every drive to power-on state. */
void ide_reset(void *ide);
/* Unregisters every port, cancels the timers and frees; the BlockDevs stay. */
void ide_free(void *ide);

extern const DeviceOps ide_device_ops;

#endif
