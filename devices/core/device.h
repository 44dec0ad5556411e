/*
 * device.h - the common shape of every device model.
 *
 * Each chip has a typed constructor that takes what it is wired to
 * (`pit_new(bus, irq, clock, cfg)`) and exposes a const DeviceOps record, so
 * that reset, snapshots and teardown walk one list:
 *
 *   static const DeviceOps pit_ops = {"pit", pit_reset, NULL, NULL, pit_free};
 *   Device d = {&pit_ops, pit};
 *   device_reset(&d);
 *
 * A device includes only devices/core (bus, irq, clock, log); it never sees
 * the CPU or the translator.
 */
#ifndef BRISK_DEVICE_H
#define BRISK_DEVICE_H

#include <stdbool.h>
#include <stdio.h>

typedef struct DeviceOps {
    const char *name;
    void (*reset)(void *dev);
    bool (*save)(void *dev, FILE *f); /* NULL until snapshots exist */
    bool (*load)(void *dev, FILE *f);
    void (*destroy)(void *dev);
} DeviceOps;

typedef struct Device {
    const DeviceOps *ops;
    void *dev;
} Device;

static inline void device_reset(const Device *d)
{
    if (d->ops->reset) d->ops->reset(d->dev);
}
static inline void device_destroy(const Device *d)
{
    if (d->ops->destroy) d->ops->destroy(d->dev);
}

#endif
