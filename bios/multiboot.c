/*
 * multiboot.c - the Multiboot v1 direct loader (see multiboot.h).
 *
 * Follows the Multiboot Specification version 0.6.96: section 3.1 (the
 * header: found 32-bit aligned in the first 8192 bytes, magic, flags,
 * checksum, and with flag 16 the address fields that replace the
 * executable's own header), 3.2 (the machine state at entry) and 3.3 (the
 * boot information structure). Executables are ELF32 for i386 (ELF
 * specification, "Program Loading": PT_LOAD segments, p_memsz beyond
 * p_filesz is zeroed) or, with header flag 16, any image described by the
 * "a.out kludge" fields.
 *
 * Everything read from a file is checked before use: offsets and sizes
 * against the file size (in 64-bit arithmetic, so nothing wraps), load
 * addresses against the RAM the machine has. A corrupt, truncated or
 * oversized file gives a one-line message; nothing is written to guest
 * memory until everything has been checked.
 *
 * Known deviations (docs/multiboot.md): no video mode is set and the VBE /
 * framebuffer fields stay empty even when header flag 2 asks (the
 * specification lets a loader do so); no boot device, ELF section headers,
 * drive table, config table or APM table are passed; the kernel's command
 * line starts with the kernel's path (as GRUB and QEMU give it); the
 * loader leaves a valid flat GDT and a small stack behind, which the
 * specification does not require.
 */
#include "bios/multiboot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/rom.h"
#include "cpu/seg.h"

#define PAGE_BYTES         4096u
#define LOW_RAM_END        0xA0000u /* conventional memory ends at 640 KiB */
#define HIGH_RAM_START     0x100000u
#define MAX_SEGMENTS       32
#define LOADER_STACK_BYTES (16u << 10)

/* Offsets inside the information area the loader builds. */
#define INFO_STRUCT_BYTES 128u /* the 116-byte structure, rounded up */
#define GDT_OFF           INFO_STRUCT_BYTES
#define GDT_BYTES         24u
#define MMAP_OFF          (GDT_OFF + 32u)
#define MMAP_ENTRY_BYTES  24u /* the size field (4) + 20 bytes it counts */

/* The flat descriptors of the GDT left behind: base 0, limit 4 GiB (G), 32-bit
 * (D/B), present, DPL 0; code execute/read, data read/write; accessed bits
 * set as a segment load sets them. */
#define FLAT_CODE_DESC 0x00CF9B000000FFFFull
#define FLAT_DATA_DESC 0x00CF93000000FFFFull

/* One piece of the kernel image: file_bytes copied from data, the rest up
 * to mem_bytes zeroed. */
typedef struct MbChunk {
    uint32_t addr;
    const uint8_t *data;
    uint32_t file_bytes;
    uint32_t mem_bytes;
} MbChunk;

typedef struct MbModule {
    uint8_t *data;
    uint32_t bytes;
    uint32_t addr;
} MbModule;

struct MultibootKernel {
    uint8_t *file; /* the kernel file; the chunks point into it */
    MbChunk seg[MAX_SEGMENTS];
    int n_seg;
    uint32_t entry;
    uint8_t *info; /* the information area, ready to copy */
    uint32_t info_addr;
    uint32_t info_bytes;
    uint32_t stack_top;
    MbModule mod[MULTIBOOT_MAX_MODULES];
    int n_mod;
};

static uint32_t get32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
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
static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/* True when [addr, addr + bytes) lies in RAM the kernel may be loaded into:
 * conventional memory below 640 KiB or the RAM above 1 MiB. The hole in
 * between belongs to VGA and the ROMs. */
static bool in_ram(uint64_t addr, uint64_t bytes, uint64_t ram_bytes)
{
    uint64_t end = addr + bytes;
    uint64_t low_end = ram_bytes < LOW_RAM_END ? ram_bytes : LOW_RAM_END;
    if (end <= low_end) return true;
    return addr >= HIGH_RAM_START && end <= ram_bytes;
}

/* Finds the Multiboot header; returns its file offset or -1 with err set. */
static long find_header(const uint8_t *f, size_t size, char *err, size_t errlen)
{
    size_t limit = size < MULTIBOOT_SEARCH_BYTES ? size : MULTIBOOT_SEARCH_BYTES;
    long bad_checksum = -1;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        if (get32(f + off) != MULTIBOOT_HEADER_MAGIC) continue;
        if (get32(f + off) + get32(f + off + 4) + get32(f + off + 8) == 0) return (long)off;
        if (bad_checksum < 0) bad_checksum = (long)off;
    }
    if (bad_checksum >= 0)
        snprintf(err, errlen, "the Multiboot header at offset %ld has a bad checksum",
                 bad_checksum);
    else
        snprintf(err, errlen, "not a Multiboot kernel (no Multiboot header in the first %u bytes)",
                 MULTIBOOT_SEARCH_BYTES);
    return -1;
}

static bool add_chunk(MultibootKernel *k, uint32_t addr, const uint8_t *data, uint64_t file_bytes,
                      uint64_t mem_bytes, uint64_t ram_bytes, char *err, size_t errlen)
{
    if (!in_ram(addr, mem_bytes, ram_bytes)) {
        snprintf(err, errlen,
                 "loads %llu bytes at %#llx, outside the guest's RAM (0-%#x and %#x-%#llx; see -m)",
                 (unsigned long long)mem_bytes, (unsigned long long)addr,
                 (unsigned)(ram_bytes < LOW_RAM_END ? ram_bytes : LOW_RAM_END), HIGH_RAM_START,
                 (unsigned long long)ram_bytes);
        return false;
    }
    if (k->n_seg == MAX_SEGMENTS) {
        snprintf(err, errlen, "has more than %d loadable segments", MAX_SEGMENTS);
        return false;
    }
    k->seg[k->n_seg++] = (MbChunk){addr, data, (uint32_t)file_bytes, (uint32_t)mem_bytes};
    return true;
}

static bool entry_in_image(const MultibootKernel *k)
{
    for (int i = 0; i < k->n_seg; i++)
        if (k->entry >= k->seg[i].addr && k->entry - k->seg[i].addr < k->seg[i].mem_bytes)
            return true;
    return false;
}

/* The "a.out kludge" (header flag 16): the header says where the image
 * goes. Spec section 3.1.3. */
static bool load_kludge(MultibootKernel *k, size_t size, size_t hdr, uint64_t ram_bytes, char *err,
                        size_t errlen)
{
    const uint8_t *h = k->file + hdr;
    if (hdr + 32 > size) {
        snprintf(err, errlen, "the Multiboot header's address fields run past the end of the file");
        return false;
    }
    uint32_t header_addr = get32(h + 12), load_addr = get32(h + 16);
    uint32_t load_end = get32(h + 20), bss_end = get32(h + 24);
    k->entry = get32(h + 28);
    if (load_addr > header_addr || header_addr - load_addr > hdr) {
        snprintf(err, errlen,
                 "bad Multiboot address fields: load_addr %#x and header_addr %#x "
                 "put the image before the start of the file",
                 load_addr, header_addr);
        return false;
    }
    uint64_t file_off = hdr - (header_addr - load_addr);
    uint64_t load_bytes;
    if (load_end == 0) {
        load_bytes = size - file_off;
    } else {
        if (load_end <= load_addr) {
            snprintf(err, errlen,
                     "bad Multiboot address fields: load_end_addr %#x is not above "
                     "load_addr %#x",
                     load_end, load_addr);
            return false;
        }
        load_bytes = (uint64_t)load_end - load_addr;
        if (load_bytes > size - file_off) {
            snprintf(err, errlen,
                     "is truncated: the header asks for %llu bytes from offset %llu "
                     "but the file has %zu",
                     (unsigned long long)load_bytes, (unsigned long long)file_off, size);
            return false;
        }
    }
    uint64_t mem_bytes = load_bytes;
    if (bss_end != 0) {
        if (bss_end < load_addr + load_bytes) {
            snprintf(err, errlen,
                     "bad Multiboot address fields: bss_end_addr %#x is below the "
                     "end of the loaded image %#llx",
                     bss_end, (unsigned long long)(load_addr + load_bytes));
            return false;
        }
        mem_bytes = (uint64_t)bss_end - load_addr;
    }
    if (!add_chunk(k, load_addr, k->file + file_off, load_bytes, mem_bytes, ram_bytes, err, errlen))
        return false;
    if (!entry_in_image(k)) {
        snprintf(err, errlen, "entry_addr %#x is outside the loaded image", k->entry);
        return false;
    }
    return true;
}

/* ELF32 i386 executables: PT_LOAD segments at their physical addresses. */
static bool load_elf(MultibootKernel *k, size_t size, uint64_t ram_bytes, char *err, size_t errlen)
{
    const uint8_t *f = k->file;
    if (size < 52 || memcmp(f, "\177ELF", 4) != 0) {
        snprintf(err, errlen, "is neither ELF nor has Multiboot address fields (header flag 16)");
        return false;
    }
    if (f[4] != 1 || f[5] != 1 || get16(f + 18) != 3) {
        snprintf(err, errlen, "is not a 32-bit little-endian i386 ELF file");
        return false;
    }
    if (get16(f + 16) != 2) {
        snprintf(err, errlen, "is not an ELF executable (e_type %u)", get16(f + 16));
        return false;
    }
    uint64_t phoff = get32(f + 28), phentsize = get16(f + 42), phnum = get16(f + 44);
    if (phnum == 0 || phentsize < 32 || phoff + phnum * phentsize > size) {
        snprintf(err, errlen,
                 "is truncated or corrupt: its program headers (%llu at offset %llu) "
                 "are not inside the file of %zu bytes",
                 (unsigned long long)phnum, (unsigned long long)phoff, size);
        return false;
    }
    k->entry = get32(f + 24);
    uint32_t entry_phys = k->entry;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = f + phoff + i * phentsize;
        if (get32(ph) != 1) continue; /* PT_LOAD only */
        uint64_t off = get32(ph + 4), vaddr = get32(ph + 8), paddr = get32(ph + 12);
        uint64_t filesz = get32(ph + 16), memsz = get32(ph + 20);
        if (memsz == 0) continue;
        if (filesz > memsz) {
            snprintf(err, errlen, "is corrupt: segment %llu has p_filesz %llu > p_memsz %llu",
                     (unsigned long long)i, (unsigned long long)filesz, (unsigned long long)memsz);
            return false;
        }
        if (off + filesz > size) {
            snprintf(err, errlen,
                     "is truncated: segment %llu needs bytes %llu-%llu but the file "
                     "has %zu",
                     (unsigned long long)i, (unsigned long long)off,
                     (unsigned long long)(off + filesz), size);
            return false;
        }
        if (!add_chunk(k, (uint32_t)paddr, f + off, filesz, memsz, ram_bytes, err, errlen))
            return false;
        /* A kernel linked to run at a virtual address (higher half) names
         * its entry point virtually; it is entered at the physical copy. */
        if (k->entry >= vaddr && k->entry - vaddr < memsz)
            entry_phys = (uint32_t)(k->entry - vaddr + paddr);
    }
    if (k->n_seg == 0) {
        snprintf(err, errlen, "has no loadable segment");
        return false;
    }
    k->entry = entry_phys;
    if (!entry_in_image(k)) {
        snprintf(err, errlen, "its entry point %#x is outside the loaded segments", k->entry);
        return false;
    }
    return true;
}

/* Splits the -initrd list: items separated by ',', ",," a literal comma. */
static char *next_module(const char **p)
{
    const char *s = *p;
    size_t n = 0;
    char *out = malloc(strlen(s) + 1);
    if (!out) return NULL;
    while (*s) {
        if (*s == ',') {
            if (s[1] != ',') {
                s++;
                break;
            }
            s++;
        }
        out[n++] = *s++;
    }
    out[n] = 0;
    *p = s;
    return out;
}

static bool open_modules(MultibootKernel *k, const char *list, uint64_t ram_bytes, char **strings,
                         char *err, size_t errlen)
{
    const char *p = list;
    while (p && *p) {
        char *item = next_module(&p);
        if (!item) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        strings[k->n_mod] = item;
        if (k->n_mod == MULTIBOOT_MAX_MODULES) {
            snprintf(err, errlen, "-initrd: more than %d modules", MULTIBOOT_MAX_MODULES);
            free(item);
            strings[k->n_mod] = NULL;
            return false;
        }
        k->n_mod++;
        /* The file name ends at the first space; the whole item is the
         * module's command line (as GRUB and QEMU pass it). */
        size_t name_len = strcspn(item, " ");
        if (name_len == 0) {
            snprintf(err, errlen, "-initrd: empty module file name in '%s'", list);
            return false;
        }
        char path[4096];
        if (name_len >= sizeof path) {
            snprintf(err, errlen, "-initrd: module file name too long");
            return false;
        }
        memcpy(path, item, name_len);
        path[name_len] = 0;
        size_t bytes = 0;
        char e[256];
        MbModule *m = &k->mod[k->n_mod - 1];
        m->data = rom_read_file(path, (size_t)ram_bytes, &bytes, e, sizeof e);
        if (!m->data) {
            snprintf(err, errlen, "-initrd: %s", e);
            return false;
        }
        m->bytes = (uint32_t)bytes;
    }
    return true;
}

/* Lays out the information area and the modules above the kernel and
 * builds the area's contents. */
static bool build_info(MultibootKernel *k, const char *kernel_path, const char *cmdline,
                       char *const *mod_strings, uint64_t ram_bytes, char *err, size_t errlen)
{
    static const char loader_name[] = "Brisk";
    uint64_t kernel_end = HIGH_RAM_START;
    for (int i = 0; i < k->n_seg; i++)
        if ((uint64_t)k->seg[i].addr + k->seg[i].mem_bytes > kernel_end)
            kernel_end = (uint64_t)k->seg[i].addr + k->seg[i].mem_bytes;
    uint64_t base = align_up(kernel_end, PAGE_BYTES);

    int n_mmap = ram_bytes > HIGH_RAM_START ? 2 : 1;
    uint64_t mods_off = MMAP_OFF + (uint64_t)n_mmap * MMAP_ENTRY_BYTES;
    uint64_t str_off = mods_off + 16ull * (uint64_t)k->n_mod;
    size_t path_len = strlen(kernel_path);
    size_t cmd_len = path_len + (cmdline && *cmdline ? 1 + strlen(cmdline) : 0);
    uint64_t strings = sizeof loader_name + cmd_len + 1;
    for (int i = 0; i < k->n_mod; i++)
        strings += strlen(mod_strings[i]) + 1;
    uint64_t info_bytes = align_up(str_off + strings, 16);
    uint64_t stack_base = align_up(base + info_bytes, PAGE_BYTES);
    uint64_t end = stack_base + LOADER_STACK_BYTES;
    /* Modules always start on a page boundary: what header flag 0 asks for,
     * and harmless when it does not. */
    for (int i = 0; i < k->n_mod; i++) {
        end = align_up(end, PAGE_BYTES);
        k->mod[i].addr = (uint32_t)end;
        end += k->mod[i].bytes;
        if (end > ram_bytes) break;
    }
    if (end > ram_bytes) {
        snprintf(err, errlen,
                 "the kernel, its boot information and modules need %llu KiB of "
                 "RAM but the machine has %llu KiB (use -m)",
                 (unsigned long long)(end >> 10), (unsigned long long)(ram_bytes >> 10));
        return false;
    }

    uint8_t *a = calloc(1, (size_t)info_bytes);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    k->info = a;
    k->info_addr = (uint32_t)base;
    k->info_bytes = (uint32_t)info_bytes;
    k->stack_top = (uint32_t)(stack_base + LOADER_STACK_BYTES);

    /* Strings. */
    uint32_t so = (uint32_t)str_off;
    uint32_t name_addr = k->info_addr + so;
    memcpy(a + so, loader_name, sizeof loader_name);
    so += sizeof loader_name;
    uint32_t cmd_addr = k->info_addr + so;
    memcpy(a + so, kernel_path, path_len);
    if (cmd_len > path_len) {
        a[so + path_len] = ' ';
        memcpy(a + so + path_len + 1, cmdline, cmd_len - path_len - 1);
    }
    so += (uint32_t)cmd_len + 1;
    /* The module list. */
    for (int i = 0; i < k->n_mod; i++) {
        uint8_t *e = a + mods_off + 16u * (unsigned)i;
        size_t len = strlen(mod_strings[i]);
        put32(e, k->mod[i].addr);
        put32(e + 4, k->mod[i].addr + k->mod[i].bytes); /* first byte after */
        put32(e + 8, k->info_addr + so);
        memcpy(a + so, mod_strings[i], len + 1);
        so += (uint32_t)len + 1;
    }
    /* The memory map: conventional memory and the RAM above 1 MiB. */
    uint64_t low_end = ram_bytes < LOW_RAM_END ? ram_bytes : LOW_RAM_END;
    put32(a + MMAP_OFF, 20);
    put64(a + MMAP_OFF + 4, 0);
    put64(a + MMAP_OFF + 12, low_end);
    put32(a + MMAP_OFF + 20, 1);
    if (n_mmap == 2) {
        uint8_t *e = a + MMAP_OFF + MMAP_ENTRY_BYTES;
        put32(e, 20);
        put64(e + 4, HIGH_RAM_START);
        put64(e + 12, ram_bytes - HIGH_RAM_START);
        put32(e + 20, 1);
    }
    /* The GDT: null, flat code at 08h, flat data at 10h. */
    put64(a + GDT_OFF + MULTIBOOT_CODE_SEL, FLAT_CODE_DESC);
    put64(a + GDT_OFF + MULTIBOOT_DATA_SEL, FLAT_DATA_DESC);
    /* The information structure (spec section 3.3). */
    put32(a + 0, MB_INFO_MEMORY | MB_INFO_CMDLINE | MB_INFO_MODS | MB_INFO_MEM_MAP |
                     MB_INFO_BOOT_LOADER_NAME);
    put32(a + 4, (uint32_t)(low_end >> 10));
    put32(a + 8, (uint32_t)(ram_bytes > HIGH_RAM_START ? (ram_bytes - HIGH_RAM_START) >> 10 : 0));
    put32(a + 16, cmd_addr);
    put32(a + 20, (uint32_t)k->n_mod);
    put32(a + 24, k->info_addr + (uint32_t)mods_off);
    put32(a + 44, (uint32_t)n_mmap * MMAP_ENTRY_BYTES);
    put32(a + 48, k->info_addr + MMAP_OFF);
    put32(a + 64, name_addr);
    return true;
}

MultibootKernel *multiboot_open(const char *kernel_path, const char *cmdline, const char *modules,
                                uint64_t ram_bytes, char *err, size_t errlen)
{
    char e[512];
    MultibootKernel *k = calloc(1, sizeof *k);
    char *mod_strings[MULTIBOOT_MAX_MODULES + 1] = {0};
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
    long hdr = find_header(k->file, size, e, sizeof e);
    if (hdr < 0) goto fail_kernel;
    uint32_t flags = get32(k->file + hdr + 4);
    if (flags & 0xFFF8u) {
        snprintf(e, sizeof e,
                 "needs Multiboot features this loader does not have (required "
                 "header flags %#x)",
                 flags & 0xFFF8u);
        goto fail_kernel;
    }
    if (flags & MB_HDR_AOUT_KLUDGE) {
        if (!load_kludge(k, size, (size_t)hdr, ram_bytes, e, sizeof e)) goto fail_kernel;
    } else if (!load_elf(k, size, ram_bytes, e, sizeof e)) {
        goto fail_kernel;
    }
    if (!open_modules(k, modules, ram_bytes, mod_strings, err, errlen)) goto fail;
    if (!build_info(k, kernel_path, cmdline, mod_strings, ram_bytes, e, sizeof e)) goto fail_kernel;
    for (int i = 0; mod_strings[i]; i++)
        free(mod_strings[i]);
    return k;

fail_kernel:
    snprintf(err, errlen, "-kernel '%s': %s", kernel_path, e);
fail:
    for (int i = 0; mod_strings[i]; i++)
        free(mod_strings[i]);
    multiboot_free(k);
    return NULL;
}

void multiboot_free(MultibootKernel *k)
{
    if (!k) return;
    for (int i = 0; i < k->n_mod; i++)
        free(k->mod[i].data);
    free(k->info);
    free(k->file);
    free(k);
}

uint32_t multiboot_entry(const MultibootKernel *k)
{
    return k->entry;
}
uint32_t multiboot_info_addr(const MultibootKernel *k)
{
    return k->info_addr;
}

static void zero_guest(Bus *bus, uint32_t addr, uint32_t bytes)
{
    static const uint8_t zeros[PAGE_BYTES];
    while (bytes) {
        uint32_t n = bytes < PAGE_BYTES ? bytes : PAGE_BYTES;
        bus_write_block(bus, addr, zeros, n);
        addr += n;
        bytes -= n;
    }
}

void multiboot_boot(const MultibootKernel *k, Bus *bus, Cpu *cpu)
{
    /* A20 on (spec 3.2): before the copies, so nothing lands on an alias. */
    bus_set_a20(bus, true);
    for (int i = 0; i < k->n_seg; i++) {
        const MbChunk *c = &k->seg[i];
        bus_write_block(bus, c->addr, c->data, c->file_bytes);
        zero_guest(bus, c->addr + c->file_bytes, c->mem_bytes - c->file_bytes);
    }
    bus_write_block(bus, k->info_addr, k->info, k->info_bytes);
    for (int i = 0; i < k->n_mod; i++)
        bus_write_block(bus, k->mod[i].addr, k->mod[i].data, k->mod[i].bytes);

    /* The machine state of spec section 3.2. */
    cpu->regs[R_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
    cpu->regs[R_EBX] = k->info_addr;
    cpu->regs[R_ECX] = 0;
    cpu->regs[R_EDX] = 0;
    cpu->regs[R_ESP] = k->stack_top; /* undefined by the spec: a free 16 KiB stack */
    cpu->gdtr.base = k->info_addr + GDT_OFF;
    cpu->gdtr.limit = GDT_BYTES - 1;
    /* The hidden descriptor caches are filled directly from the descriptors
     * of the GDT above, through cpu/seg.c's seg_cache_load so that they hold
     * exactly what a far jump and MOV Sreg through that GDT would load.
     * Nothing else caches segment state: the access fast path (cpu/mem.h,
     * cpu_seg_fast) reads attr each time, and cpu_update_mode() below
     * derives code32/stack32/CPL. */
    const SegDesc code = {(uint32_t)FLAT_CODE_DESC, (uint32_t)(FLAT_CODE_DESC >> 32)};
    const SegDesc data = {(uint32_t)FLAT_DATA_DESC, (uint32_t)(FLAT_DATA_DESC >> 32)};
    seg_cache_load(&cpu->seg[S_CS], MULTIBOOT_CODE_SEL, &code);
    for (int s = 0; s < S_COUNT; s++)
        if (s != S_CS) seg_cache_load(&cpu->seg[s], MULTIBOOT_DATA_SEL, &data);
    cpu_set_eflags(cpu, 0x2, 0xFFFFFFFFu); /* IF = 0, VM = 0 */
    /* PE on, PG off; caches enabled (CD and NW clear) as firmware leaves them.
     * cpu_set_cr0 flushes the TLB and recomputes code32/stack32/CPL from the
     * caches set above. */
    cpu_set_cr0(cpu, CR0_PE | CR0_ET);
    cpu_update_mode(cpu);
    cpu->eip = k->entry;
    cpu->next_eip = k->entry;
    cpu->halted = false;
    cpu->stop_block = true;
}
