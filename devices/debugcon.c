/*
 * debugcon.c - the Bochs/QEMU debug console port (Bochs "port e9 hack",
 * QEMU isa-debugcon).
 *
 * Not a chip, so no datasheet: the behaviour follows Bochs and QEMU, which
 * guests and firmware (SeaBIOS's debug output, test kernels) rely on. A byte
 * written to the port goes straight to the backend; a read returns 0xE9, the
 * value guests test to see whether the console is there.
 *
 * The port is one byte wide and takes byte accesses only, so the bus splits
 * a word write into bytes and the high byte goes to the next port (port+1),
 * not to the console, as in QEMU.
 *
 * Deviations: none known. There is no input direction.
 */
#include "devices/debugcon.h"

#include <stdlib.h>

struct Debugcon {
    Bus *bus;
    uint16_t port;
    CharBackend out;
};

static uint32_t debugcon_io_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return DEBUGCON_READBACK;
}

static void debugcon_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    Debugcon *d = opaque;
    uint8_t b = (uint8_t)val;
    (void)port;
    (void)size;
    chardev_write(&d->out, &b, 1);
}

static const IoOps debugcon_io_ops = {debugcon_io_read, debugcon_io_write, 1};

Debugcon *debugcon_new(Bus *bus, uint16_t port, CharBackend out)
{
    Debugcon *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->bus = bus;
    d->port = port;
    d->out = out;
    if (bus) bus_register_io(bus, port, 1, &debugcon_io_ops, d);
    return d;
}

void debugcon_reset(void *d)
{
    /* No state: a reset leaves nothing to clear. */
    (void)d;
}

void debugcon_free(void *opaque)
{
    Debugcon *d = opaque;
    if (!d) return;
    if (d->bus) bus_unregister_io(d->bus, d->port, 1);
    free(d);
}

const DeviceOps debugcon_device_ops = {"debugcon", debugcon_reset, NULL, NULL, debugcon_free};
