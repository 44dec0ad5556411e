/*
 * rom.c - firmware image loading (see rom.h).
 */
#include "bios/rom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *rom_read_file(const char *path, size_t max, size_t *size, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 64 << 10, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap > max) break;
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    bool read_error = ferror(f);
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "out of memory reading '%s'", path);
        return NULL;
    }
    if (read_error) {
        snprintf(err, errlen, "cannot read '%s'", path);
        free(buf);
        return NULL;
    }
    if (n > max) {
        snprintf(err, errlen, "'%s' is too large (more than %zu bytes)", path, max);
        free(buf);
        return NULL;
    }
    *size = n;
    return buf;
}

bool rom_map_bios(Bus *bus, const uint8_t *data, size_t size, char *err, size_t errlen)
{
    if (size < 16) {
        snprintf(err, errlen, "firmware image of %zu bytes is too small (it must hold the reset "
                              "vector at its last 16 bytes)", size);
        return false;
    }
    if (size > ROM_MAX_BYTES) {
        snprintf(err, errlen, "firmware image of %zu bytes is larger than %u MiB", size,
                 ROM_MAX_BYTES >> 20);
        return false;
    }
    /* Pad at the front to whole pages so the image ends at FFFFFFFF. */
    size_t padded = (size + BUS_PAGE_MASK) & ~(size_t)BUS_PAGE_MASK;
    uint8_t *img = malloc(padded);
    if (!img) {
        snprintf(err, errlen, "out of memory for the firmware image");
        return false;
    }
    memset(img, 0xFF, padded - size);
    memcpy(img + (padded - size), data, size);
    bool ok = bus_add_rom(bus, (uint32_t)(0x100000000ull - padded), img, padded, "bios-high") != NULL;
    size_t low = padded < ROM_LOW_WINDOW_BYTES ? padded : ROM_LOW_WINDOW_BYTES;
    ok = ok && bus_add_rom(bus, 0x100000 - (uint32_t)low, img + (padded - low), low, "bios-low") != NULL;
    free(img);
    if (!ok) snprintf(err, errlen, "cannot map the firmware image");
    return ok;
}

bool rom_load_bios(Bus *bus, const char *path, char *err, size_t errlen)
{
    size_t size = 0;
    char e[200];
    uint8_t *data = rom_read_file(path, ROM_MAX_BYTES, &size, e, sizeof e);
    if (!data) {
        snprintf(err, errlen, "-bios: %s", e);
        return false;
    }
    bool ok = rom_map_bios(bus, data, size, e, sizeof e);
    if (!ok) snprintf(err, errlen, "-bios '%s': %s", path, e);
    free(data);
    return ok;
}
