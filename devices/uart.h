/*
 * uart.h - National Semiconductor PC16550D UART (a PC's 16550A COM port).
 *
 * Eight ports at base (COM1 0x3F8 / IRQ 4, COM2 0x2F8 / IRQ 3, COM3 0x3E8,
 * COM4 0x2E8). Output goes to a CharBackend; input comes from the frontend
 * through uart_receive(), paced with uart_rx_space():
 *
 *   Uart *com1 = uart_new(bus, 0x3F8, irq_line(pic_set_input, pic, 4), clock,
 *                         chardev_file(stdout));
 *   size_t n = uart_rx_space(com1);          // frontend: feed at most n bytes
 *   uart_receive(com1, host_bytes, n);
 *
 * See uart.c for the model and its deviations from the datasheet.
 */
#ifndef BRISK_UART_H
#define BRISK_UART_H

#include <stddef.h>
#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/chardev.h"
#include "devices/core/clock.h"
#include "devices/core/device.h"
#include "devices/core/irq.h"

typedef struct Uart Uart;

/* Registers the ports [base, base+8) and resets the chip. clock may be NULL
 * (no character timeout then). Returns NULL if out of memory. */
Uart *uart_new(Bus *bus, uint16_t base, IrqLine irq, Clock *clock, CharBackend out);
/* Bytes from the host arrive on the serial input, as if each had just been
 * received. In FIFO mode what does not fit is dropped and sets OE; in 16450
 * mode a byte arriving while DR is set overwrites RBR and sets OE, as the
 * hardware does. In loopback mode the serial input is disconnected and the
 * bytes are dropped (uart_rx_space() is 0 then). */
void uart_receive(Uart *u, const uint8_t *buf, size_t n);
/* A break condition on the serial input: one 0x00 character with BI. */
void uart_receive_break(Uart *u);
/* How many bytes uart_receive() can take now without an overrun. */
size_t uart_rx_space(const Uart *u);
/* Sets the modem status inputs as the host side sees them (MSR bits 4-7:
 * CTS 0x10, DSR 0x20, RI 0x40, DCD 0x80; the default is CTS|DSR|DCD).
 * Changes set the MSR delta bits as the pins would. */
void uart_set_modem_inputs(Uart *u, uint8_t msr_bits);

void uart_reset(void *u);
/* Unregisters the ports, cancels the timer and frees the chip. */
void uart_free(void *u);

extern const DeviceOps uart_device_ops;

#endif
