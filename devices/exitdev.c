/*
 * exitdev.c - the exit device, with the semantics of QEMU's isa-debug-exit.
 *
 * Not a chip, so no datasheet: it follows QEMU, so that test guests written
 * for `qemu -device isa-debug-exit,iobase=0xf4` run unchanged. A write of
 * value v to any of its ports, of any size (1, 2 or 4 bytes), requests that
 * the emulator exit with status (v << 1) | 1: a guest can never produce
 * status 0, so a test harness tells "the guest reported" from "the
 * emulator exited normally". The owner's callback records the request; the
 * machine stops at the next instruction boundary. The status is passed in
 * full (computed in 32 bits); the process exit code is its low 8 bits, as
 * with QEMU on POSIX hosts.
 *
 * Reads return all ones, as from an unmapped port: the device has nothing
 * to report, and no guest depends on the value.
 *
 * Deviations: four ports wide (QEMU's default iosize is 2); any write in the
 * range counts, as in QEMU, which ignores the offset.
 */
#include "devices/exitdev.h"

#include <stdlib.h>

struct ExitDev {
    Bus *bus;
    uint16_t port;
    ExitDevFn on_exit;
    void *opaque;
};

static uint32_t exitdev_io_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    return size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}

static void exitdev_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    ExitDev *e = opaque;
    (void)port;
    (void)size;
    /* Unsigned arithmetic: v << 1 drops bit 31 rather than overflowing. */
    uint32_t status = (val << 1) | 1;
    if (e->on_exit) e->on_exit(e->opaque, (int)status);
}

static const IoOps exitdev_io_ops = {exitdev_io_read, exitdev_io_write, 4};

ExitDev *exitdev_new(Bus *bus, uint16_t port, ExitDevFn on_exit, void *opaque)
{
    ExitDev *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->bus = bus;
    e->port = port;
    e->on_exit = on_exit;
    e->opaque = opaque;
    if (bus) bus_register_io(bus, port, EXITDEV_PORTS, &exitdev_io_ops, e);
    return e;
}

void exitdev_reset(void *e)
{
    /* No state of its own: an exit request already made belongs to the machine. */
    (void)e;
}

void exitdev_free(void *opaque)
{
    ExitDev *e = opaque;
    if (!e) return;
    if (e->bus) bus_unregister_io(e->bus, e->port, EXITDEV_PORTS);
    free(e);
}

const DeviceOps exitdev_device_ops = {"exitdev", exitdev_reset, NULL, NULL, exitdev_free};
