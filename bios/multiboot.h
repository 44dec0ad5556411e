/*
 * multiboot.h - the Multiboot v1 direct loader (`-kernel FILE -append CMD
 * -initrd MOD1,MOD2`): boots a Multiboot kernel in 32-bit protected mode
 * with no BIOS code run, as the Multiboot Specification version 0.6.96
 * says a boot loader must.
 *
 * Loading has two steps, so that a reset can boot the kernel again without
 * touching the host file system: multiboot_open() reads the kernel and the
 * modules, validates them against the file sizes and the RAM size and
 * works out where everything goes; multiboot_boot() then copies all of it
 * into guest RAM and puts the CPU in the state the specification gives
 * (it cannot fail: every check was made when the kernel was opened).
 *
 *   char err[256];
 *   MultibootKernel *k = multiboot_open("kernel.elf", "console=ttyS0",
 *                                       "initrd.img arg,other.bin", ram_bytes,
 *                                       err, sizeof err);
 *   if (!k) { fprintf(stderr, "brisk: %s\n", err); return 2; }
 *   multiboot_boot(k, bus, cpu);        // after every cpu_reset()
 *   multiboot_free(k);
 *
 * What the loader fills in, where it puts it and its deviations from GRUB
 * and QEMU: docs/multiboot.md.
 */
#ifndef BRISK_MULTIBOOT_H
#define BRISK_MULTIBOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "devices/core/bus.h"

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT_SEARCH_BYTES     8192u
#define MULTIBOOT_MAX_MODULES      64

/* Multiboot header flags (bits 0-15 are requirements: a loader must refuse
 * a kernel that sets one it does not understand). */
enum {
    MB_HDR_PAGE_ALIGN = 1u << 0,   /* modules on 4 KiB boundaries */
    MB_HDR_MEMORY_INFO = 1u << 1,  /* mem_* (and mmap_*) must be filled */
    MB_HDR_VIDEO_MODE = 1u << 2,   /* video mode table wanted (we give none) */
    MB_HDR_AOUT_KLUDGE = 1u << 16, /* the address fields of the header are valid */
};

/* Multiboot information flags (what the loader filled in). */
enum {
    MB_INFO_MEMORY = 1u << 0,
    MB_INFO_BOOTDEV = 1u << 1,
    MB_INFO_CMDLINE = 1u << 2,
    MB_INFO_MODS = 1u << 3,
    MB_INFO_MEM_MAP = 1u << 6,
    MB_INFO_BOOT_LOADER_NAME = 1u << 9,
};

/* Flat selectors of the GDT the loader leaves behind (see docs/multiboot.md). */
#define MULTIBOOT_CODE_SEL 0x08
#define MULTIBOOT_DATA_SEL 0x10

typedef struct MultibootKernel MultibootKernel;

/* Reads and validates the kernel (and the modules: a comma-separated list,
 * each "FILE[ ARGS]", ",," for a literal comma; NULL or "" for none) and
 * lays out guest RAM of ram_bytes. cmdline may be NULL. Returns NULL with
 * a one-line message in err. */
MultibootKernel *multiboot_open(const char *kernel_path, const char *cmdline, const char *modules,
                                uint64_t ram_bytes, char *err, size_t errlen);
void multiboot_free(MultibootKernel *k);

/* Copies the kernel, the information structure and the modules into guest
 * RAM and sets the CPU to the Multiboot machine state (EAX = 0x2BADB002,
 * EBX = the info address, flat 32-bit protected mode, paging off, IF = 0,
 * A20 on). Call it after cpu_reset(). */
void multiboot_boot(const MultibootKernel *k, Bus *bus, Cpu *cpu);

/* The kernel's entry point and the info structure's address (tests, logs). */
uint32_t multiboot_entry(const MultibootKernel *k);
uint32_t multiboot_info_addr(const MultibootKernel *k);

#endif
