/*
 * firmware.h - finding the firmware files Brisk does not ship: SeaBIOS
 * (bios-256k.bin) and SeaVGABIOS (vgabios-stdvga.bin) from Debian's
 * `seabios` package, looked up at run time, never copied into the repo.
 *
 *   char err[512];
 *   char *path = firmware_find("bios-256k.bin", opt_L, err, sizeof err);
 *   if (!path) { fprintf(stderr, "brisk: %s\n", err); ... }
 *   free(path);
 *
 * Search order: the folder given with -L (if any); then the folders of the
 * environment variable BRISK_FIRMWARE_PATH (colon-separated) if it is set,
 * otherwise /usr/share/seabios and /usr/share/qemu (where Debian's seabios
 * and qemu-system-data packages put them).
 */
#ifndef BRISK_FIRMWARE_H
#define BRISK_FIRMWARE_H

#include <stddef.h>

#define FIRMWARE_BIOS     "bios-256k.bin"
#define FIRMWARE_VGA_BIOS "vgabios-stdvga.bin"
#define FIRMWARE_DEFAULT_PATH "/usr/share/seabios:/usr/share/qemu"

/* Returns the first readable regular file called name in the search path
 * (malloc'd; the caller frees it), or NULL with a one-line message in err
 * that lists the folders searched and names the package to install. */
char *firmware_find(const char *name, const char *dir, char *err, size_t errlen);

#endif
