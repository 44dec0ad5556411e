/*
 * linux.h - the Linux boot protocol direct loader (`-kernel bzImage
 * -initrd FILE -append CMD`): boots a Linux bzImage at its 32-bit entry
 * point with a boot_params page ("zero page") filled by the loader, with
 * no BIOS code run (Documentation/x86/boot.rst, "THE LINUX/x86 BOOT
 * PROTOCOL", protocol 2.02 and later, section "32-bit BOOT PROTOCOL").
 *
 * As with bios/multiboot.h, loading has two steps so that a reset boots
 * the kernel again without touching the host file system: linux_open()
 * reads and checks the image and the initrd and lays out guest RAM;
 * linux_boot() copies everything into RAM and sets the CPU state (it
 * cannot fail).
 *
 *   char err[256];
 *   if (linux_file_is_bzimage("vmlinuz")) {
 *       LinuxKernel *k = linux_open("vmlinuz", "console=ttyS0", "initrd.gz", ram_bytes,
 *                                   err, sizeof err);
 *       if (!k) { fprintf(stderr, "brisk: %s\n", err); return 2; }
 *       linux_boot(k, bus, cpu);        // after every cpu_reset()
 *       linux_free(k);
 *   }
 *
 * The fields the loader fills and where things go: docs/linux.md.
 */
#ifndef BRISK_LINUX_H
#define BRISK_LINUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "devices/core/bus.h"

/* Where the loader puts its pieces in conventional memory. */
#define LINUX_BOOT_PARAMS_ADDR 0x90000u  /* the zero page (4 KiB) */
#define LINUX_CMDLINE_ADDR     0x91000u  /* the command line (up to 4 KiB) */
#define LINUX_GDT_ADDR         0x92000u  /* the boot GDT */
#define LINUX_KERNEL_ADDR      0x100000u /* the protected-mode kernel */

/* The selectors the 32-bit boot protocol requires. */
#define LINUX_BOOT_CS 0x10
#define LINUX_BOOT_DS 0x18

/* The oldest protocol accepted: 2.02 has cmd_line_ptr. */
#define LINUX_MIN_PROTOCOL 0x0202u

typedef struct LinuxKernel LinuxKernel;

/* True when the file at path starts like a bzImage or zImage: the setup
 * header's "HdrS" signature at offset 0x202. Unreadable files are false
 * (the Multiboot loader then reports the error). */
bool linux_file_is_bzimage(const char *path);

/* Reads and checks the kernel and the optional initrd (NULL or "" for
 * none; one file), and lays out guest RAM of ram_bytes. cmdline may be
 * NULL. Returns NULL with a one-line message in err. */
LinuxKernel *linux_open(const char *kernel_path, const char *cmdline, const char *initrd_path,
                        uint64_t ram_bytes, char *err, size_t errlen);
void linux_free(LinuxKernel *k);

/* Copies the kernel, the initrd, the zero page, the command line and the
 * GDT into guest RAM and puts the CPU in the state of the 32-bit boot
 * protocol. Call it after cpu_reset(). */
void linux_boot(const LinuxKernel *k, Bus *bus, Cpu *cpu);

/* For tests and logs. */
uint32_t linux_entry(const LinuxKernel *k);
uint16_t linux_protocol(const LinuxKernel *k);
uint32_t linux_initrd_addr(const LinuxKernel *k);
const uint8_t *linux_boot_params(const LinuxKernel *k); /* the 4 KiB zero page */

#endif
