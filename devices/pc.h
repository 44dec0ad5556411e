/*
 * pc.h - the machine: builds the board from a config and owns the main
 * loop. The frontend reaches the emulator only through this API.
 *
 *   MachineConfig cfg = machine_default_config();
 *   cfg.bios_path = "demo.bin";
 *   cfg.serial = chardev_file(stdout);
 *   char err[256];
 *   Machine *m = machine_new(&cfg, err, sizeof err);
 *   int status = machine_run(m, NULL, NULL);   // until the guest exits
 *   machine_free(m);
 *
 * The board is an i440FX/PIIX3 PC (docs/machine.md): RAM, the firmware
 * ROM (-bios, or SeaBIOS found at run time), PCI with the i440FX (PAM), the
 * PIIX3 (PIRQ, ELCR) and its IDE function, a VGA with SeaVGABIOS as its
 * ROM, two 8259A PICs, the 8254 PIT with port 61h, the RTC/CMOS, the 8042,
 * two 8237 DMA controllers, the 82077AA FDC, COM1 (16550A at 3F8h, IRQ4),
 * fw_cfg, the 0xE9 and 0x402 debug ports, the exit device at 0xF4 and
 * ports 92h (fast A20 and reset), F0h and 80h.
 *
 * With kernel_path set the machine boots a Linux bzImage (bios/linux.h) or
 * a Multiboot kernel (bios/multiboot.h) directly: no firmware runs, the CPU starts at the kernel's
 * entry in protected mode, and every reset boots the kernel again.
 */
#ifndef BRISK_PC_H
#define BRISK_PC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/core/chardev.h"

#define MACHINE_DEFAULT_RAM_BYTES (128ull << 20)
#define MACHINE_MAX_RAM_BYTES (3584ull << 20) /* below the PCI hole */
#define MACHINE_DEFAULT_IPS 100000000ull      /* nominal rate before adaptation */

typedef struct MachineConfig {
    uint64_t ram_bytes;
    /* Firmware: a raw image (-bios). NULL with no kernel: SeaBIOS
     * (bios-256k.bin) is looked up in firmware_dir (-L), then
     * /usr/share/seabios, then /usr/share/qemu. */
    const char *bios_path;
    const char *firmware_dir;   /* -L: searched first for BIOS and VGA BIOS files */
    const char *kernel_path;    /* bzImage or Multiboot kernel booted directly (-kernel) */
    const char *kernel_cmdline; /* its command line (-append) */
    const char *initrd;         /* Linux: the initrd; Multiboot: "FILE[ ARGS],..." (-initrd) */
    /* IDE disks: index = channel * 2 + unit (-hda..-hdd, -drive if=ide,index=N). */
    const char *hd_path[4];
    bool hd_read_only[4];
    /* Floppy drives A: and B: (-fda, -fdb, -drive if=floppy,index=N). */
    const char *fd_path[2];
    bool fd_read_only[2];
    bool snapshot;              /* -snapshot: disk writes go to a temporary overlay */
    /* -boot: drive letters in order ('a' floppy, 'c' first hard disk, 'd'
     * CD-ROM, 'n' network); NULL: "cad" as QEMU. boot_menu: -boot menu=on. */
    const char *boot_order;
    bool boot_menu;
    /* -rtc base=...: the RTC's time at power-on as Unix seconds. Unset: the
     * host's clock (UTC), or 2000-01-01 with --icount. */
    bool rtc_base_set;
    int64_t rtc_base_s;
    uint64_t icount_ips;    /* 0: guest time follows wall time; N: fixed N insns/s */
    CharBackend serial;     /* COM1 output */
    CharBackend debugcon;   /* ports 0xE9 and 0x402 (SeaBIOS's debug port) output */
    bool debugcon_enabled;
    bool no_reboot;         /* a reset or triple fault stops instead of rebooting */
} MachineConfig;

typedef struct Machine Machine;

/* Called by the main loop about every 10 ms of wall time (and while the
 * guest is halted), so the frontend can feed input. */
typedef void (*MachinePollFn)(Machine *m, void *opaque);

/* Why machine_run returned. */
typedef enum {
    MACHINE_EXIT_GUEST = 0,  /* the exit device: status in machine_exit_status */
    MACHINE_EXIT_SHUTDOWN,   /* triple fault with no_reboot */
    MACHINE_EXIT_HALTED,     /* HLT with interrupts disabled: nothing can wake it */
    MACHINE_EXIT_REQUESTED,  /* machine_request_stop (frontend) */
    MACHINE_EXIT_RESET,      /* the guest reset the machine (port 92h, 8042, CF9h) with no_reboot */
} MachineExit;

MachineConfig machine_default_config(void);
/* Builds the machine; returns NULL with a one-line message in err. */
Machine *machine_new(const MachineConfig *cfg, char *err, size_t errlen);
void machine_free(Machine *m);
void machine_reset(Machine *m);
MachineExit machine_run(Machine *m, MachinePollFn poll, void *opaque);
int machine_exit_status(const Machine *m);
void machine_request_stop(Machine *m);
/* Input from the host to COM1; returns how many bytes were taken. */
size_t machine_serial_input(Machine *m, const uint8_t *buf, size_t n);
/* Register dump of the CPU (used on a triple fault or a host error). */
void machine_dump_cpu(Machine *m, FILE *f);
uint64_t machine_icount(const Machine *m);
/* Blocks the translator has decoded since the machine was built (--stats). */
uint64_t machine_blocks_decoded(const Machine *m);
uint64_t machine_now_ns(const Machine *m);
/* The VGA text screen as plain ASCII rows (vga_text_dump); empty in a
 * graphics mode. Same return convention as snprintf. */
size_t machine_text_dump(Machine *m, char *buf, size_t cap);

#endif
