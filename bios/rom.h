/*
 * rom.h - loading a raw firmware image given with -bios.
 *
 * A PC's firmware ROM sits at the top of the 4 GiB physical space (the
 * reset vector FFFFFFF0 is its last 16 bytes) and its last 128 KiB also
 * appear just below 1 MiB (E0000-FFFFF), where real-mode code runs it.
 * This is the layout SeaBIOS and QEMU's `-bios` expect.
 *
 *   char err[256];
 *   if (!rom_load_bios(bus, "demo.bin", err, sizeof err)) fprintf(stderr, "%s\n", err);
 */
#ifndef BRISK_ROM_H
#define BRISK_ROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/core/bus.h"

#define ROM_MAX_BYTES (16u << 20)
#define ROM_LOW_WINDOW_BYTES (128u << 10)

/* Reads a whole file (at most max bytes). Returns NULL with err filled. */
uint8_t *rom_read_file(const char *path, size_t max, size_t *size, char *err, size_t errlen);
/* Maps a firmware image at the top of 4 GiB and its last 128 KiB below
 * 1 MiB. Returns false with a one-line message in err. */
bool rom_load_bios(Bus *bus, const char *path, char *err, size_t errlen);
/* The same from memory (tests). */
bool rom_map_bios(Bus *bus, const uint8_t *data, size_t size, char *err, size_t errlen);

#endif
