/*
 * pit.h - the Intel 8254 programmable interval timer at ports 0x40-0x43 and
 * the PC's system control port B (0x61: channel 2 gate, speaker enable,
 * refresh toggle, channel 2 OUT).
 *
 *   Pit *pit = pit_new(bus, clock, irq_line(pic_set_irq, pic, 0));
 *
 * Channel 0's OUT drives irq0 (the PIC sees its rising edges); channel 1
 * (DRAM refresh on old PCs) only counts; channel 2's gate is port 0x61 bit
 * 0 and its OUT is readable at 0x61 bit 5 (the speaker). The input clock is
 * PIT_HZ, derived from the virtual clock. The model keeps no reference to
 * the bus after pit_new; pit_free does not unregister the ports.
 */
#ifndef BRISK_PIT_H
#define BRISK_PIT_H

#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/device.h"
#include "devices/core/irq.h"

#define PIT_HZ 1193182u /* 14.31818 MHz / 12 */

typedef struct Pit Pit;

/* Registers ports 0x40-0x43 and 0x61. Returns NULL if out of memory. */
Pit *pit_new(Bus *bus, Clock *clock, IrqLine irq0);
void pit_reset(void *pit);
void pit_free(void *pit);
/* Current OUT level (0 or 1) of channel 0..2; -1 for a bad channel. */
int pit_get_out(Pit *pit, int channel);

extern const DeviceOps pit_device_ops;

#endif
