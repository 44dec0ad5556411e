/*
 * fdc.h - the Intel 82077AA floppy disk controller of a PC (PC-AT mode) at
 * ports 0x3F0-0x3F5 and 0x3F7 (0x3F6 belongs to the IDE controller), IRQ 6
 * and DMA channel 2, with up to two 3.5"/5.25" drives backed by raw image
 * files:
 *
 *   FdcConfig cfg = {.drives = 2};
 *   Fdc *fdc = fdc_new(bus, dma, irq_line(pic_set_input, pic, 6), clock, &cfg);
 *   char err[256];
 *   if (!fdc_attach(fdc, 0, "dos.img", false, err, sizeof err)) fprintf(stderr, "%s\n", err);
 *
 * The geometry comes from the image size: 160K, 180K, 320K, 360K, 720K,
 * 1.2M, 1.44M, 2.88M. See fdc.c for the model and its deviations.
 */
#ifndef BRISK_FDC_H
#define BRISK_FDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/device.h"
#include "devices/core/irq.h"
#include "devices/dma.h"

#define FDC_DRIVES      2
#define FDC_DMA_CHANNEL 2

typedef struct FdcConfig {
    unsigned drives; /* drives present, 0-2 (the others answer equipment check) */
} FdcConfig;

typedef struct Fdc Fdc;

/* Registers ports 0x3F0-0x3F5 and 0x3F7. dma may be NULL (then DMA-mode
 * transfers overrun). cfg NULL means two drives. NULL if out of memory. */
Fdc *fdc_new(Bus *bus, Dma *dma, IrqLine irq, Clock *clock, const FdcConfig *cfg);
/* Inserts an image into drive 0 or 1 (replacing any disk there). Returns
 * false with a one-line message in err for a missing, unreadable or
 * unrecognised image. A read-only image is write-protected. */
bool fdc_attach(Fdc *f, unsigned drive, const char *path, bool read_only, char *err, size_t errlen);
/* Ejects the disk (flushing it to the file). */
void fdc_detach(Fdc *f, unsigned drive);
void fdc_reset(void *f);
/* Flushes and closes the images, cancels the timer, frees the chip. */
void fdc_free(void *f);

extern const DeviceOps fdc_device_ops;

#endif
