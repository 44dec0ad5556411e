/*
 * pic.h - the PC's two cascaded Intel 8259A programmable interrupt
 * controllers: the master at ports 0x20-0x21, the slave at 0xA0-0xA1, the
 * slave's INT output wired to the master's IR2.
 *
 *   Pic *pic = pic_new(bus, irq_line(cpu_set_intr, cpu, 0));
 *   IrqLine irq4 = irq_line(pic_set_irq, pic, 4);      // COM1
 *   ...
 *   if (pic_intr_pending(pic)) vector = pic_ack(pic);  // the CPU's INTA cycle
 *
 * Inputs 0..7 are the master's IR0..IR7, 8..15 the slave's IR0..IR7. The
 * model keeps no reference to the bus after pic_new; pic_free does not
 * unregister the ports (the bus is torn down with the machine).
 */
#ifndef BRISK_PIC_H
#define BRISK_PIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/device.h"
#include "devices/core/irq.h"

typedef struct Pic Pic; /* the master + slave pair */

/* Registers ports 0x20-0x21 and 0xA0-0xA1; intr_out drives the CPU's INTR
 * pin. Returns NULL if out of memory. */
Pic *pic_new(Bus *bus, IrqLine intr_out);
/* IrqSetFn for the sixteen inputs: n = 0..15 (8..15 are the slave's). */
void pic_set_irq(void *pic, int n, int level);
/* The CPU's interrupt acknowledge cycle: returns the vector (0..255) and
 * updates ISR/IRR. With no request left it returns the IR7 vector of the
 * chip concerned (a spurious IRQ7 or IRQ15) without setting an ISR bit. */
int pic_ack(Pic *pic);
/* The level of the master's INT output (the CPU's INTR pin). */
bool pic_intr_pending(const Pic *pic);
/* The PIIX3 ELCR pair: bit n set makes input n level-triggered (in
 * addition to a chip programmed with ICW1.LTIM). */
void pic_set_elcr(Pic *pic, uint16_t elcr);
void pic_reset(void *pic);
void pic_free(void *pic);

extern const DeviceOps pic_device_ops;

#endif
