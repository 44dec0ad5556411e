/*
 * exitdev.h - the exit device: QEMU's isa-debug-exit at port 0xF4.
 *
 *   static void on_exit(void *m, int status) { machine_request_exit(m, status); }
 *   ExitDev *e = exitdev_new(bus, 0xF4, on_exit, machine);
 *   // guest: outb(0xF4, 0x10)  ->  on_exit(machine, 0x21)
 *
 * See exitdev.c.
 */
#ifndef BRISK_EXITDEV_H
#define BRISK_EXITDEV_H

#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/device.h"

#define EXITDEV_DEFAULT_PORT 0xF4
#define EXITDEV_PORTS        4

typedef struct ExitDev ExitDev;
typedef void (*ExitDevFn)(void *opaque, int status);

/* Registers the ports [port, port+4). on_exit may be NULL (writes ignored).
 * Returns NULL if out of memory. */
ExitDev *exitdev_new(Bus *bus, uint16_t port, ExitDevFn on_exit, void *opaque);
void exitdev_reset(void *e);
/* Unregisters the ports and frees the device. */
void exitdev_free(void *e);

extern const DeviceOps exitdev_device_ops;

#endif
