/*
 * linux.c - the Linux boot protocol direct loader (see linux.h).
 *
 * Follows Documentation/x86/boot.rst ("THE LINUX/x86 BOOT PROTOCOL"): the
 * real-mode kernel header (the setup header at 0x1F1, "HdrS" at 0x202, the
 * protocol version at 0x206), "LOADING THE REST OF THE KERNEL" (the
 * protected-mode kernel is the file after the (setup_sects + 1) * 512
 * bytes of setup code and goes to 1 MiB when loadflags has LOADED_HIGH),
 * "THE ZERO PAGE" / "32-bit BOOT PROTOCOL" (a zeroed struct boot_params
 * with the setup header copied in from the image, up to 0x202 + the byte
 * at 0x201, and the loader's fields set; the CPU enters code32_start in
 * flat 32-bit protected mode with CS = __BOOT_CS (10h), DS = ES = SS =
 * __BOOT_DS (18h), paging and interrupts off, ESI = the zero page and
 * EBP = EDI = EBX = 0). The zero page's other offsets are those of struct
 * boot_params (arch/x86/include/uapi/asm/bootparam.h): screen_info at 0,
 * alt_mem_k at 1E0h, e820_entries at 1E8h, e820_table at 2D0h.
 *
 * Everything read from the files is checked before use against the file
 * size and the RAM size; nothing is written to guest memory until it all
 * fits. A corrupt or truncated image gives a one-line message.
 *
 * Known deviations (docs/linux.md): the real-mode setup code never runs
 * (no BIOS calls: the loader supplies what setup would have found: the
 * e820 map, the memory sizes and a screen_info for an 80x25 VGA text
 * screen, which the kernel's vgacon probes before using); the kernel is
 * always loaded at 1 MiB (pref_address and KASLR are the kernel's
 * business); no setup_data, EDD, APM, IST or EFI information is passed;
 * a single initrd file (no list).
 */
#include "bios/linux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/rom.h"
#include "cpu/seg.h"

#define PAGE_BYTES      4096u
#define SECTOR_BYTES    512u
#define ZERO_PAGE_BYTES 4096u
#define CMDLINE_BYTES   4096u
#define GDT_BYTES       32u

/* The setup header (boot.rst, "THE REAL-MODE KERNEL HEADER"): offsets in
 * the image's first sectors and in struct boot_params alike. */
#define HDR_START           0x1F1u
#define HDR_SETUP_SECTS     0x1F1u
#define HDR_SYSSIZE         0x1F4u
#define HDR_JUMP            0x200u
#define HDR_MAGIC           0x202u
#define HDR_VERSION         0x206u
#define HDR_TYPE_OF_LOADER  0x210u
#define HDR_LOADFLAGS       0x211u
#define HDR_CODE32_START    0x214u
#define HDR_RAMDISK_IMAGE   0x218u
#define HDR_RAMDISK_SIZE    0x21Cu
#define HDR_HEAP_END_PTR    0x224u
#define HDR_CMD_LINE_PTR    0x228u
#define HDR_INITRD_ADDR_MAX 0x22Cu
#define HDR_CMDLINE_SIZE    0x238u
#define HDR_INIT_SIZE       0x260u
#define HDR_LIMIT           0x290u /* struct boot_params: edd_mbr_sig_buffer starts here */

/* loadflags bits. */
#define LF_LOADED_HIGH   0x01u
#define LF_KEEP_SEGMENTS 0x40u
#define LF_CAN_USE_HEAP  0x80u

/* Other struct boot_params offsets. */
#define BP_EXT_MEM_K     0x002u /* screen_info.ext_mem_k (16-bit) */
#define BP_ALT_MEM_K     0x1E0u
#define BP_E820_ENTRIES  0x1E8u
#define BP_E820_TABLE    0x2D0u
#define E820_ENTRY_BYTES 20u
#define E820_RAM         1u
#define E820_RESERVED    2u

/* The memory layout described by the e820 map (that of a PC BIOS with a
 * 1 KiB extended BIOS data area, as QEMU's SeaBIOS reports it). */
#define EBDA_START     0x9FC00u
#define LOW_RAM_END    0xA0000u
#define BIOS_START     0xF0000u
#define HIGH_RAM_START 0x100000u

/* The boot GDT's flat descriptors (base 0, limit 4 GiB, 32-bit, DPL 0,
 * accessed): code execute/read, data read/write. */
#define FLAT_CODE_DESC 0x00CF9B000000FFFFull
#define FLAT_DATA_DESC 0x00CF93000000FFFFull

struct LinuxKernel {
    uint8_t *file; /* the whole image; the protected-mode part is read from it */
    const uint8_t *pm_data;
    uint32_t pm_bytes;
    uint32_t pm_mem_bytes; /* what the kernel occupies: max(pm_bytes, init_size) */
    uint32_t entry;
    uint16_t protocol;
    uint8_t *initrd;
    uint32_t initrd_bytes;
    uint32_t initrd_addr;
    uint8_t zero_page[ZERO_PAGE_BYTES];
    char cmdline[CMDLINE_BYTES];
    uint32_t cmdline_bytes; /* including the NUL */
    uint32_t hdr_end;       /* where the image's setup header ends */
};

static uint32_t get32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

bool linux_file_is_bzimage(const char *path)
{
    uint8_t buf[HDR_MAGIC + 4];
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == sizeof buf && memcmp(buf + HDR_MAGIC, "HdrS", 4) == 0;
}

static void add_e820(uint8_t *zp, uint64_t addr, uint64_t bytes, uint32_t type)
{
    uint8_t *e = zp + BP_E820_TABLE + E820_ENTRY_BYTES * zp[BP_E820_ENTRIES];
    put64(e, addr);
    put64(e + 8, bytes);
    put32(e + 16, type);
    zp[BP_E820_ENTRIES]++;
}

/* Checks the setup header and finds the protected-mode kernel. */
static bool parse_image(LinuxKernel *k, size_t size, uint64_t ram_bytes, char *err, size_t errlen)
{
    const uint8_t *f = k->file;
    if (size < HDR_MAGIC + 4 || memcmp(f + HDR_MAGIC, "HdrS", 4) != 0) {
        snprintf(err, errlen, "is not a Linux kernel image (no \"HdrS\" setup header at 0x202)");
        return false;
    }
    if (size < HDR_VERSION + 2) {
        snprintf(err, errlen, "is truncated inside its setup header (%zu bytes)", size);
        return false;
    }
    k->protocol = get16(f + HDR_VERSION);
    if (k->protocol < LINUX_MIN_PROTOCOL) {
        snprintf(err, errlen,
                 "uses Linux boot protocol %u.%02u; this loader needs %u.%02u or later "
                 "(a kernel from 2.4 or newer)",
                 k->protocol >> 8, k->protocol & 0xFF, LINUX_MIN_PROTOCOL >> 8,
                 LINUX_MIN_PROTOCOL & 0xFF);
        return false;
    }
    uint64_t hdr_end = HDR_JUMP + 2 + (uint64_t)f[HDR_JUMP + 1];
    k->hdr_end = (uint32_t)hdr_end;
    if (hdr_end < HDR_CMD_LINE_PTR + 4 || hdr_end > size) {
        snprintf(err, errlen, "has a corrupt setup header (it would end at %#llx)",
                 (unsigned long long)hdr_end);
        return false;
    }
    if (!(f[HDR_LOADFLAGS] & LF_LOADED_HIGH)) {
        snprintf(err, errlen,
                 "is a zImage (loaded below 1 MiB); only bzImage kernels are supported");
        return false;
    }
    uint64_t setup_sects = f[HDR_SETUP_SECTS] ? f[HDR_SETUP_SECTS] : 4;
    uint64_t setup_bytes = (setup_sects + 1) * SECTOR_BYTES;
    if (setup_bytes >= size) {
        snprintf(err, errlen,
                 "is truncated: its %llu bytes of setup code leave no protected-mode kernel "
                 "in a file of %zu bytes",
                 (unsigned long long)setup_bytes, size);
        return false;
    }
    uint64_t pm_bytes = size - setup_bytes;
    if (k->protocol >= 0x0204) {
        /* syssize: the protected-mode code in 16-byte units, rounded up. */
        uint64_t sys_bytes = (uint64_t)get32(f + HDR_SYSSIZE) * 16;
        if (sys_bytes > pm_bytes + 15) {
            snprintf(err, errlen,
                     "is truncated: the setup header announces %llu bytes of kernel "
                     "but the file has %llu after the setup code",
                     (unsigned long long)sys_bytes, (unsigned long long)pm_bytes);
            return false;
        }
    }
    uint64_t mem_bytes = pm_bytes;
    if (k->protocol >= 0x020A && hdr_end >= HDR_INIT_SIZE + 4) {
        /* init_size: the memory the kernel needs from its load address
         * while it decompresses itself. */
        uint64_t init = get32(f + HDR_INIT_SIZE);
        if (init > mem_bytes) mem_bytes = init;
    }
    if (HIGH_RAM_START + mem_bytes > ram_bytes) {
        snprintf(err, errlen,
                 "needs %llu KiB of RAM above 1 MiB to boot but the machine has %llu KiB "
                 "(use -m)",
                 (unsigned long long)(mem_bytes >> 10),
                 (unsigned long long)(ram_bytes > HIGH_RAM_START
                                          ? (ram_bytes - HIGH_RAM_START) >> 10
                                          : 0));
        return false;
    }
    k->entry = get32(f + HDR_CODE32_START);
    if (k->entry < HIGH_RAM_START || k->entry - HIGH_RAM_START >= pm_bytes) {
        snprintf(err, errlen, "has a corrupt setup header: code32_start %#x is outside the kernel",
                 k->entry);
        return false;
    }
    k->pm_data = f + setup_bytes;
    k->pm_bytes = (uint32_t)pm_bytes;
    k->pm_mem_bytes = (uint32_t)mem_bytes;
    /* The zero page starts as the image's setup header, nothing else. */
    size_t copy_end = hdr_end < HDR_LIMIT ? (size_t)hdr_end : HDR_LIMIT;
    memcpy(k->zero_page + HDR_START, f + HDR_START, copy_end - HDR_START);
    return true;
}

/* Reads the initrd and puts it as high as the kernel allows. */
static bool place_initrd(LinuxKernel *k, const char *path, uint64_t ram_bytes, char *err,
                         size_t errlen)
{
    char e[512];
    size_t bytes = 0;
    k->initrd = rom_read_file(path, (size_t)ram_bytes, &bytes, e, sizeof e);
    if (!k->initrd) {
        snprintf(err, errlen, "-initrd: %s", e);
        return false;
    }
    k->initrd_bytes = (uint32_t)bytes;
    /* initrd_addr_max: the highest address the initrd may occupy (2.03+;
     * before, 0x37FFFFFF as the protocol says). */
    uint64_t max = 0x37FFFFFFu;
    if (k->protocol >= 0x0203 && k->hdr_end >= HDR_INITRD_ADDR_MAX + 4)
        max = get32(k->zero_page + HDR_INITRD_ADDR_MAX);
    uint64_t top = ram_bytes < max + 1 ? ram_bytes : max + 1;
    uint64_t kernel_end = HIGH_RAM_START + (uint64_t)k->pm_mem_bytes;
    if (bytes > top || ((top - bytes) & ~(uint64_t)(PAGE_BYTES - 1)) < kernel_end) {
        snprintf(err, errlen,
                 "-initrd '%s': %zu bytes do not fit between the kernel (up to %#llx) and "
                 "%#llx (use -m)",
                 path, bytes, (unsigned long long)kernel_end, (unsigned long long)top);
        return false;
    }
    k->initrd_addr = (uint32_t)((top - bytes) & ~(uint64_t)(PAGE_BYTES - 1));
    return true;
}

/* The loader's fields of the zero page (boot.rst "THE ZERO PAGE" and the
 * setup header fields marked "write" for the boot loader). */
static bool fill_zero_page(LinuxKernel *k, const char *cmdline, uint64_t ram_bytes, char *err,
                           size_t errlen)
{
    uint8_t *zp = k->zero_page;
    /* The command line: cmdline_size (2.06+) excludes the NUL; 255 before. */
    uint64_t max_len = 255;
    if (k->protocol >= 0x0206 && k->hdr_end >= HDR_CMDLINE_SIZE + 4)
        max_len = get32(zp + HDR_CMDLINE_SIZE);
    if (max_len > CMDLINE_BYTES - 1) max_len = CMDLINE_BYTES - 1;
    size_t len = cmdline ? strlen(cmdline) : 0;
    if (len > max_len) {
        snprintf(err, errlen,
                 "-append: the command line has %zu characters; this kernel takes %llu", len,
                 (unsigned long long)max_len);
        return false;
    }
    if (len) memcpy(k->cmdline, cmdline, len);
    k->cmdline[len] = 0;
    k->cmdline_bytes = (uint32_t)len + 1;

    zp[HDR_TYPE_OF_LOADER] = 0xFF; /* "undefined" loader, no ID assigned */
    /* No real-mode setup runs: no heap, and the kernel reloads segments. */
    zp[HDR_LOADFLAGS] &= (uint8_t) ~(LF_KEEP_SEGMENTS | LF_CAN_USE_HEAP);
    put16(zp + HDR_HEAP_END_PTR, 0);
    put32(zp + HDR_CMD_LINE_PTR, LINUX_CMDLINE_ADDR);
    put32(zp + HDR_RAMDISK_IMAGE, k->initrd_bytes ? k->initrd_addr : 0);
    put32(zp + HDR_RAMDISK_SIZE, k->initrd_bytes);

    /* screen_info: what a BIOS leaves behind in 80x25 colour text mode 3 on
     * a VGA (cursor at the top left). The kernel's vgacon checks that text
     * memory is there before it uses it, so a board without a VGA falls
     * back to the dummy console. */
    zp[0x06] = 0x03;      /* orig_video_mode */
    zp[0x07] = 80;        /* orig_video_cols */
    zp[0x0E] = 25;        /* orig_video_lines */
    zp[0x0F] = 1;         /* orig_video_isVGA: VIDEO_TYPE_VGAC */
    put16(zp + 0x10, 16); /* orig_video_points: character height */

    /* Memory sizes: extended memory above 1 MiB in KiB, as INT 15h AH=88h
     * (16-bit, saturated) and AX=E801h would report it. */
    uint64_t ext_k = (ram_bytes - HIGH_RAM_START) >> 10;
    put16(zp + BP_EXT_MEM_K, (uint16_t)(ext_k > 0xFFFF ? 0xFFFF : ext_k));
    put32(zp + BP_ALT_MEM_K, (uint32_t)ext_k);

    /* The e820 map. */
    add_e820(zp, 0, EBDA_START, E820_RAM);
    add_e820(zp, EBDA_START, LOW_RAM_END - EBDA_START, E820_RESERVED);
    add_e820(zp, BIOS_START, HIGH_RAM_START - BIOS_START, E820_RESERVED);
    add_e820(zp, HIGH_RAM_START, ram_bytes - HIGH_RAM_START, E820_RAM);
    return true;
}

LinuxKernel *linux_open(const char *kernel_path, const char *cmdline, const char *initrd_path,
                        uint64_t ram_bytes, char *err, size_t errlen)
{
    char e[512];
    LinuxKernel *k = calloc(1, sizeof *k);
    if (!k) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    size_t size = 0;
    k->file = rom_read_file(kernel_path, (size_t)ram_bytes, &size, e, sizeof e);
    if (!k->file) {
        snprintf(err, errlen, "-kernel: %s", e);
        goto fail;
    }
    if (!parse_image(k, size, ram_bytes, e, sizeof e)) {
        snprintf(err, errlen, "-kernel '%s': %s", kernel_path, e);
        goto fail;
    }
    if (initrd_path && *initrd_path && !place_initrd(k, initrd_path, ram_bytes, err, errlen))
        goto fail;
    if (!fill_zero_page(k, cmdline, ram_bytes, err, errlen)) goto fail;
    return k;

fail:
    linux_free(k);
    return NULL;
}

void linux_free(LinuxKernel *k)
{
    if (!k) return;
    free(k->initrd);
    free(k->file);
    free(k);
}

uint32_t linux_entry(const LinuxKernel *k)
{
    return k->entry;
}
uint16_t linux_protocol(const LinuxKernel *k)
{
    return k->protocol;
}
uint32_t linux_initrd_addr(const LinuxKernel *k)
{
    return k->initrd_bytes ? k->initrd_addr : 0;
}
const uint8_t *linux_boot_params(const LinuxKernel *k)
{
    return k->zero_page;
}

void linux_boot(const LinuxKernel *k, Bus *bus, Cpu *cpu)
{
    /* A20 on before the copies, so nothing lands on an alias. */
    bus_set_a20(bus, true);
    bus_write_block(bus, HIGH_RAM_START, k->pm_data, k->pm_bytes);
    if (k->initrd_bytes) bus_write_block(bus, k->initrd_addr, k->initrd, k->initrd_bytes);
    bus_write_block(bus, LINUX_BOOT_PARAMS_ADDR, k->zero_page, ZERO_PAGE_BYTES);
    bus_write_block(bus, LINUX_CMDLINE_ADDR, (const uint8_t *)k->cmdline, k->cmdline_bytes);
    uint8_t gdt[GDT_BYTES] = {0};
    put64(gdt + LINUX_BOOT_CS, FLAT_CODE_DESC);
    put64(gdt + LINUX_BOOT_DS, FLAT_DATA_DESC);
    bus_write_block(bus, LINUX_GDT_ADDR, gdt, sizeof gdt);
    /* The BIOS data area words the kernel reads to find the EBDA and the
     * base memory size (arch/x86/kernel/ebda.c): EBDA segment at 40Eh,
     * base memory in KiB at 413h. */
    uint8_t w[2];
    put16(w, EBDA_START >> 4);
    bus_write_block(bus, 0x40E, w, 2);
    put16(w, EBDA_START >> 10);
    bus_write_block(bus, 0x413, w, 2);

    /* The machine state of the 32-bit boot protocol. */
    for (int r = 0; r < 8; r++)
        cpu->regs[r] = 0;
    cpu->regs[R_ESI] = LINUX_BOOT_PARAMS_ADDR;
    /* Not required by the protocol: a stack below the zero page. */
    cpu->regs[R_ESP] = LINUX_BOOT_PARAMS_ADDR;
    cpu->gdtr.base = LINUX_GDT_ADDR;
    cpu->gdtr.limit = GDT_BYTES - 1;
    /* As in multiboot_boot: the hidden caches are loaded from the GDT's
     * descriptors through seg_cache_load, exactly as a far jump and MOV
     * Sreg would load them. */
    const SegDesc code = {(uint32_t)FLAT_CODE_DESC, (uint32_t)(FLAT_CODE_DESC >> 32)};
    const SegDesc data = {(uint32_t)FLAT_DATA_DESC, (uint32_t)(FLAT_DATA_DESC >> 32)};
    seg_cache_load(&cpu->seg[S_CS], LINUX_BOOT_CS, &code);
    for (int s = 0; s < S_COUNT; s++)
        if (s != S_CS) seg_cache_load(&cpu->seg[s], LINUX_BOOT_DS, &data);
    cpu_set_eflags(cpu, 0x2, 0xFFFFFFFFu); /* IF = 0, DF = 0, VM = 0 */
    cpu_set_cr0(cpu, CR0_PE | CR0_ET);
    cpu_update_mode(cpu);
    cpu->eip = k->entry;
    cpu->next_eip = k->entry;
    cpu->halted = false;
    cpu->stop_block = true;
}
