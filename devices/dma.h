/*
 * dma.h - the PC/AT's two Intel 8237A DMA controllers and their page
 * registers.
 *
 * DMA1 (channels 0-3, 8-bit, byte addresses) at ports 0x00-0x0F, DMA2
 * (channels 4-7, 16-bit, word addresses) at 0xC0-0xDF (its registers on even
 * ports), the page registers at 0x81-0x8F (0x87/0x83/0x81/0x82 for channels
 * 0-3, 0x8F/0x8B/0x89/0x8A for 4-7; the others are scratch). Channel 4
 * cascades DMA1 into DMA2.
 *
 * A device does not assert DREQ and wait: it pulls a transfer when it has
 * data (or room), and the DMA moves what the channel's count allows:
 *
 *   Dma *dma = dma_new(bus);
 *   if (dma_channel_ready(dma, 2)) {
 *       int n = dma_transfer(dma, 2, sector, 512, true);  // device -> RAM
 *       if (dma_terminal_count(dma, 2)) ...               // TC: end of block
 *   }
 */
#ifndef BRISK_DMA_H
#define BRISK_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/device.h"

#define DMA_CHANNELS 8

typedef struct Dma Dma;

/* Registers the ports (0x00-0x0F, 0xC0-0xDF, 0x81-0x8F) and resets both
 * controllers. Keeps bus for the memory side of transfers. NULL if out of
 * memory. */
Dma *dma_new(Bus *bus);
void dma_reset(void *dma);
/* Frees the model; the ports stay registered (the board owns the bus). */
void dma_free(void *dma);

/* Moves up to len bytes between buf and guest memory on channel ch (0-7):
 * to_memory for a device-to-memory (8237 "write") transfer. Moves what the
 * channel's current count allows (whole words on channels 5-7), updates the
 * current address and count, and at terminal count sets TC in the status
 * register and either reloads the base registers (autoinit) or masks the
 * channel. Returns the bytes moved: 0 if the channel is not ready. A verify
 * transfer, or a transfer whose direction disagrees with the mode register,
 * moves no memory but still counts. */
int dma_transfer(Dma *dma, unsigned ch, void *buf, size_t len, bool to_memory);
/* True if the channel is unmasked, its controller enabled, DMA1 cascaded
 * through an unmasked channel 4, and it is not itself a cascade channel. */
bool dma_channel_ready(Dma *dma, unsigned ch);
/* True if the last dma_transfer on ch ended at terminal count (the TC pulse
 * a device such as the FDC sees). */
bool dma_terminal_count(Dma *dma, unsigned ch);

extern const DeviceOps dma_device_ops;

#endif
