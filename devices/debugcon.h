/*
 * debugcon.h - the Bochs/QEMU debug console port (0xE9 by default).
 *
 *   Debugcon *d = debugcon_new(bus, 0xE9, chardev_file(stdout));
 *
 * See debugcon.c.
 */
#ifndef BRISK_DEBUGCON_H
#define BRISK_DEBUGCON_H

#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/chardev.h"
#include "devices/core/device.h"

#define DEBUGCON_DEFAULT_PORT 0xE9
/* What a read of the port returns, so that guests can detect the console. */
#define DEBUGCON_READBACK 0xE9

typedef struct Debugcon Debugcon;

/* Registers one port. Returns NULL if out of memory. */
Debugcon *debugcon_new(Bus *bus, uint16_t port, CharBackend out);
void debugcon_reset(void *d);
/* Unregisters the port and frees the device. */
void debugcon_free(void *d);

extern const DeviceOps debugcon_device_ops;

#endif
