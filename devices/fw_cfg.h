/*
 * fw_cfg.h - QEMU's firmware configuration device as SeaBIOS uses it on a
 * PC: the selector at 0x510, the data port at 0x511 and the DMA address
 * register at 0x514-0x51B.
 *
 *   FwCfg *fc = fw_cfg_new(bus);
 *   fw_cfg_add_i64(fc, FW_CFG_RAM_SIZE, ram_size);
 *   fw_cfg_add_i16(fc, FW_CFG_NB_CPUS, 1);
 *   fw_cfg_add_file(fc, "etc/e820", e820, sizeof e820);
 *
 * Items are copied when added. Adding an item that exists replaces it.
 * See fw_cfg.c for the protocol and the deviations from QEMU.
 */
#ifndef BRISK_FW_CFG_H
#define BRISK_FW_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/device.h"

#define FW_CFG_PORT_SEL  0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA  0x514

/* Keys (QEMU docs/specs/fw_cfg). 0x8000 and up are x86-specific. */
enum {
    FW_CFG_SIGNATURE = 0x00,
    FW_CFG_ID = 0x01,
    FW_CFG_UUID = 0x02,
    FW_CFG_RAM_SIZE = 0x03,
    FW_CFG_NOGRAPHIC = 0x04,
    FW_CFG_NB_CPUS = 0x05,
    FW_CFG_MACHINE_ID = 0x06,
    FW_CFG_KERNEL_ADDR = 0x07,
    FW_CFG_KERNEL_SIZE = 0x08,
    FW_CFG_KERNEL_CMDLINE = 0x09,
    FW_CFG_INITRD_ADDR = 0x0A,
    FW_CFG_INITRD_SIZE = 0x0B,
    FW_CFG_BOOT_DEVICE = 0x0C,
    FW_CFG_NUMA = 0x0D,
    FW_CFG_BOOT_MENU = 0x0E,
    FW_CFG_MAX_CPUS = 0x0F,
    FW_CFG_KERNEL_ENTRY = 0x10,
    FW_CFG_KERNEL_DATA = 0x11,
    FW_CFG_INITRD_DATA = 0x12,
    FW_CFG_CMDLINE_ADDR = 0x13,
    FW_CFG_CMDLINE_SIZE = 0x14,
    FW_CFG_CMDLINE_DATA = 0x15,
    FW_CFG_SETUP_ADDR = 0x16,
    FW_CFG_SETUP_SIZE = 0x17,
    FW_CFG_SETUP_DATA = 0x18,
    FW_CFG_FILE_DIR = 0x19,
    FW_CFG_FILE_FIRST = 0x20,
    FW_CFG_WRITE_CHANNEL = 0x4000,
    FW_CFG_ARCH_LOCAL = 0x8000,
    FW_CFG_ACPI_TABLES = 0x8000,
    FW_CFG_SMBIOS_ENTRIES = 0x8001,
    FW_CFG_IRQ0_OVERRIDE = 0x8002,
    FW_CFG_E820_TABLE = 0x8003,
    FW_CFG_HPET = 0x8004,
};

/* FW_CFG_ID feature bits. */
enum { FW_CFG_VERSION = 0x01, FW_CFG_VERSION_DMA = 0x02 };

/* FWCfgDmaAccess.control bits. */
enum {
    FW_CFG_DMA_CTL_ERROR = 0x01,
    FW_CFG_DMA_CTL_READ = 0x02,
    FW_CFG_DMA_CTL_SKIP = 0x04,
    FW_CFG_DMA_CTL_SELECT = 0x08,
    FW_CFG_DMA_CTL_WRITE = 0x10,
};

#define FW_CFG_MAX_FILE_PATH 56
#define FW_CFG_DMA_SIGNATURE 0x51454D5520434647ull /* "QEMU CFG" */

typedef struct FwCfg FwCfg;

/* Registers the ports; the signature and ID items exist from the start. */
FwCfg *fw_cfg_new(Bus *bus);
/* Key: 0x00-0x1F or 0x8000-0x801F (not FW_CFG_FILE_DIR); others are
 * ignored with a message on stderr (a machine bug, not a guest's). */
void fw_cfg_add_bytes(FwCfg *fc, uint16_t key, const void *data, size_t len);
void fw_cfg_add_string(FwCfg *fc, uint16_t key, const char *s); /* with its NUL */
void fw_cfg_add_i16(FwCfg *fc, uint16_t key, uint16_t v);       /* little-endian */
void fw_cfg_add_i32(FwCfg *fc, uint16_t key, uint32_t v);
void fw_cfg_add_i64(FwCfg *fc, uint16_t key, uint64_t v);
/* A named file, listed in the directory sorted by name; files take the keys
 * from FW_CFG_FILE_FIRST in that order (adding one renumbers the files
 * after it, as QEMU does). Names longer than 55 bytes are truncated. */
void fw_cfg_add_file(FwCfg *fc, const char *name, const void *data, size_t len);
/* The key a file has now, or -1. */
int fw_cfg_file_key(const FwCfg *fc, const char *name);
void fw_cfg_reset(void *fc);
void fw_cfg_free(void *fc);
extern const DeviceOps fw_cfg_device_ops;

#endif
