/*
 * kernel.c - a tiny freestanding Multiboot kernel that checks what Brisk's
 * Multiboot loader (bios/multiboot.c) hands it, then runs on in protected
 * mode with its own GDT and with paging on.
 *
 * Follows the Multiboot Specification 0.6.96 (section 3.2 machine state,
 * 3.3 boot information) and the Intel SDM Vol. 3 (section 3.4.5 segment
 * descriptors, 4.3 32-bit paging). It talks to the world through COM1 by
 * port I/O only (no interrupts) and leaves through the exit device at port
 * 0xF4: value 0 (exit status 1) when every check passed, 1 (status 3)
 * otherwise. Each check prints one PASS or FAIL line.
 *
 * What it expects comes from its own command line (-append):
 *   ram_mib=N       the machine's RAM (-m), for mem_upper and the memory map
 *   mods=N          how many modules -initrd gave
 *   loader=NAME     the boot loader name
 *   hello=world     must appear (the -append text reaches the kernel)
 *   kname=FILE      the first word of the command line ends with FILE
 *   reboot          boot once, dirty memory, reset through port 92h, and
 *                   check on the second boot that the image was reloaded
 * Modules: each file starts with "MODULE-<n>" (n from 1) and ends with
 * "END\n"; the module's command line must end with the text after the
 * module's "expect<n>=" token with '_' standing for a space.
 *
 * Known deviations: none; it is a test program, not a model.
 */
#include <stddef.h>
#include <stdint.h>

#define COM1             0x3F8
#define EXIT_PORT        0xF4
#define PAGE_TABLES      16 /* identity-maps the first 64 MiB */
#define ALIAS_VIRT       0x40000000u
#define REBOOT_MARK_ADDR 0x500u /* low memory the loader never touches */
#define REBOOT_MAGIC     0xB0075EEDu

typedef struct MbInfo {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr, drives_length, drives_addr, config_table;
    uint32_t boot_loader_name, apm_table;
} MbInfo;

typedef struct MbModule {
    uint32_t mod_start, mod_end, string, reserved;
} MbModule;

typedef struct __attribute__((packed)) MbMmap {
    uint32_t size;
    uint64_t base, length;
    uint32_t type;
} MbMmap;

extern char _image_start[], _edata[], _end[];

static uint8_t bss_probe[8192];           /* must be zero at entry */
static uint32_t data_probe = 0x12345678u; /* must hold its initial value */
static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[PAGE_TABLES][1024] __attribute__((aligned(4096)));
static uint32_t alias_table[1024] __attribute__((aligned(4096)));
static uint8_t alias_pages[2][4096] __attribute__((aligned(4096)));
static uint64_t gdt[5] __attribute__((aligned(8)));
static int n_pass, n_fail;

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}
void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static void serial_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xC7); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03);
}

static void putc_(char c)
{
    if (c == '\n') putc_('\r');
    while (!(inb(COM1 + 5) & 0x20)) {
    }
    outb(COM1, (uint8_t)c);
}

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void putn(const char *s, size_t n)
{
    while (n--)
        putc_(*s++);
}

static void puthex(uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    puts_("0x");
    for (int i = 28; i >= 0; i -= 4)
        putc_(hex[(v >> i) & 15]);
}

static void putdec(uint32_t v)
{
    char buf[11];
    int n = 0;
    do {
        buf[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        putc_(buf[--n]);
}

_Noreturn static void guest_exit(uint8_t v)
{
    outb(EXIT_PORT, v);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static void check(int ok, const char *what, uint32_t got)
{
    if (ok) {
        n_pass++;
        puts_("PASS: ");
        puts_(what);
    } else {
        n_fail++;
        puts_("FAIL: ");
        puts_(what);
        puts_(" (got ");
        puthex(got);
        puts_(")");
    }
    putc_('\n');
}

static size_t slen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static int sneq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static int ends_with(const char *s, const char *suffix, size_t suffix_len)
{
    size_t n = slen(s);
    return n >= suffix_len && sneq(s + n - suffix_len, suffix, suffix_len);
}

/* Finds "key=" (or a bare "key") as a whole word of the command line;
 * returns the value and its length through *len (0 for a bare key). */
static const char *find_arg(const char *cmd, const char *key, size_t *len)
{
    size_t klen = slen(key);
    for (const char *p = cmd; *p;) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        if ((size_t)(p - w) >= klen && sneq(w, key, klen)) {
            if ((size_t)(p - w) == klen) {
                *len = 0;
                return w + klen;
            }
            if (w[klen] == '=') {
                *len = (size_t)(p - w) - klen - 1;
                return w + klen + 1;
            }
        }
    }
    return NULL;
}

static uint32_t arg_num(const char *cmd, const char *key)
{
    size_t len;
    const char *v = find_arg(cmd, key, &len);
    uint32_t n = 0;
    if (!v) return 0xFFFFFFFFu;
    for (size_t i = 0; i < len && v[i] >= '0' && v[i] <= '9'; i++)
        n = n * 10 + (uint32_t)(v[i] - '0');
    return n;
}

/* A pointer to a fixed physical address, hidden from the compiler's
 * bounds analysis (it warns about small constant addresses). */
static volatile uint32_t *phys32(uint32_t addr)
{
    __asm__("" : "+r"(addr));
    return (volatile uint32_t *)addr;
}

static uint32_t read_cr0(void)
{
    uint32_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static uint16_t read_cs(void)
{
    uint16_t v;
    __asm__ volatile("mov %%cs, %0" : "=r"(v));
    return v;
}

static uint16_t read_ds(void)
{
    uint16_t v;
    __asm__ volatile("mov %%ds, %0" : "=r"(v));
    return v;
}

static uint16_t read_ss(void)
{
    uint16_t v;
    __asm__ volatile("mov %%ss, %0" : "=r"(v));
    return v;
}

static void check_loader_state(uint32_t magic, uint32_t eflags)
{
    check(magic == 0x2BADB002u, "EAX holds the Multiboot boot loader magic", magic);
    uint32_t cr0 = read_cr0();
    check((cr0 & 1) && !(cr0 & 0x80000000u), "CR0: PE set, PG clear", cr0);
    check(!(eflags & (1u << 9)) && !(eflags & (1u << 17)), "EFLAGS: IF and VM clear", eflags);
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } gdtr;
    __asm__ volatile("sgdt %0" : "=m"(gdtr));
    uint16_t cs = read_cs(), ds = read_ds();
    check(gdtr.limit >= 23, "the loader's GDT has a code and a data descriptor", gdtr.limit);
    if (gdtr.limit >= 23) {
        const uint64_t *g = (const uint64_t *)gdtr.base;
        uint64_t code = g[cs >> 3], data = g[ds >> 3];
        /* Flat: base 0, limit 0xFFFFF with G and D set, present, code/data. */
        check((code & 0x00CF9A000000FFFFull) == 0x00CF9A000000FFFFull &&
                  !(code & 0xFF0000FFFFFF0000ull),
              "CS is a flat 32-bit code segment", (uint32_t)(code >> 32));
        check((data & 0x00CF92000000FFFFull) == 0x00CF92000000FFFFull &&
                  !(data & 0xFF0000FFFFFF0000ull) && !(data & (1ull << 43)),
              "DS is a flat 32-bit data segment", (uint32_t)(data >> 32));
    }
    /* A20 on: 3 MiB must not alias 2 MiB. */
    volatile uint32_t *two = phys32(0x200000), *three = phys32(0x300000);
    uint32_t save2 = *two, save3 = *three;
    *two = 0x11111111u;
    *three = 0x22222222u;
    check(*two == 0x11111111u, "A20 is enabled", *two);
    *two = save2;
    *three = save3;
}

static int range_in_ram(const MbInfo *mb, uint64_t start, uint64_t end)
{
    const uint8_t *p = (const uint8_t *)mb->mmap_addr;
    const uint8_t *stop = p + mb->mmap_length;
    while (p < stop) {
        const MbMmap *e = (const MbMmap *)p;
        if (e->type == 1 && start >= e->base && end <= e->base + e->length) return 1;
        p += e->size + 4;
    }
    return 0;
}

static void check_info(const MbInfo *mb)
{
    const uint32_t want_flags = (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9);
    check((mb->flags & want_flags) == want_flags,
          "info flags: memory, cmdline, mods, mmap, boot loader name", mb->flags);
    if ((mb->flags & want_flags) != want_flags) return;
    const char *cmd = (const char *)mb->cmdline;
    puts_("cmdline: ");
    puts_(cmd);
    putc_('\n');
    size_t len;
    check(find_arg(cmd, "hello", &len) && len == 5 &&
              sneq(find_arg(cmd, "hello", &len), "world", 5),
          "the command line holds the -append text", mb->cmdline);
    /* GRUB and QEMU put the kernel's path first; so does Brisk. */
    const char *kname = find_arg(cmd, "kname", &len);
    size_t first = 0;
    while (cmd[first] && cmd[first] != ' ')
        first++;
    check(kname && len && first >= len && sneq(cmd + first - len, kname, len),
          "the command line starts with the kernel's path", (uint32_t)first);

    const char *name = (const char *)mb->boot_loader_name;
    const char *want_name = find_arg(cmd, "loader", &len);
    check(want_name && slen(name) == len && sneq(name, want_name, len), "boot loader name",
          mb->boot_loader_name);
    puts_("boot loader: ");
    puts_(name);
    putc_('\n');

    uint32_t ram_mib = arg_num(cmd, "ram_mib");
    check(mb->mem_lower == 640, "mem_lower is 640 KiB", mb->mem_lower);
    check(mb->mem_upper == ram_mib * 1024 - 1024, "mem_upper is the RAM above 1 MiB",
          mb->mem_upper);

    /* The memory map. */
    uint64_t total = 0;
    int entries = 0, bad_type = 0;
    const uint8_t *p = (const uint8_t *)mb->mmap_addr;
    const uint8_t *stop = p + mb->mmap_length;
    while (p < stop) {
        const MbMmap *e = (const MbMmap *)p;
        puts_("mmap: base ");
        puthex((uint32_t)e->base);
        puts_(" length ");
        puthex((uint32_t)e->length);
        puts_(" type ");
        putdec(e->type);
        putc_('\n');
        if (e->type == 1)
            total += e->length;
        else
            bad_type++;
        entries++;
        p += e->size + 4;
    }
    check(entries == 2 && bad_type == 0, "two type-1 memory map entries", (uint32_t)entries);
    check(total == 640u * 1024 + (uint64_t)(ram_mib - 1) * 1024 * 1024,
          "the memory map covers 640 KiB + the RAM above 1 MiB", (uint32_t)(total >> 10));
    check(range_in_ram(mb, (uint32_t)_image_start, (uint32_t)_end), "the kernel lies in RAM",
          (uint32_t)_end);
    check(range_in_ram(mb, (uint32_t)mb, (uint32_t)mb + sizeof *mb) &&
              (uint32_t)mb >= (uint32_t)_end,
          "the info structure lies in RAM above the kernel", (uint32_t)mb);

    /* Modules. */
    uint32_t want_mods = arg_num(cmd, "mods");
    check(mb->mods_count == want_mods, "module count", mb->mods_count);
    const MbModule *mods = (const MbModule *)mb->mods_addr;
    for (uint32_t i = 0; i < mb->mods_count && i < want_mods && i < 9; i++) {
        const MbModule *m = &mods[i];
        const char *mc = (const char *)m->string;
        const char *data = (const char *)m->mod_start;
        uint32_t size = m->mod_end - m->mod_start;
        char tag[] = "MODULE-0";
        char key[] = "expect0";
        tag[7] = (char)('1' + i);
        key[6] = (char)('1' + i);
        puts_("module ");
        putdec(i + 1);
        puts_(": ");
        puthex(m->mod_start);
        puts_("-");
        puthex(m->mod_end);
        puts_(" '");
        puts_(mc);
        puts_("'\n");
        check((m->mod_start & 0xFFF) == 0, "module is page-aligned (header flag 0)", m->mod_start);
        check(m->mod_start >= (uint32_t)_end && range_in_ram(mb, m->mod_start, m->mod_end),
              "module lies in RAM above the kernel", m->mod_start);
        check(size >= 12 && sneq(data, tag, 8) && sneq(data + size - 4, "END\n", 4),
              "module content from its first to its last byte", size);
        const char *want = find_arg(cmd, key, &len);
        char exp[64];
        size_t n = 0;
        for (; want && n < len && n < sizeof exp; n++)
            exp[n] = want[n] == '_' ? ' ' : want[n];
        check(want && ends_with(mc, exp, n), "module command line", m->string);
        if (want && !ends_with(mc, exp, n)) {
            puts_("  expected to end with '");
            putn(exp, n);
            puts_("'\n");
        }
    }
}

/* The second boot of the reboot test must find the image as built. */
static void reboot_test(const char *cmd)
{
    size_t len;
    if (!find_arg(cmd, "reboot", &len)) return;
    volatile uint32_t *mark = phys32(REBOOT_MARK_ADDR);
    if (*mark != REBOOT_MAGIC) {
        puts_("reboot: first boot: dirtying BSS and data, resetting through port 92h\n");
        *mark = REBOOT_MAGIC;
        bss_probe[100] = 0xAA;
        data_probe = 0;
        outb(0x92, inb(0x92) | 1);
        for (;;) {
        }
    }
    *mark = 0;
    check(1, "reboot: the kernel runs again after a reset", 0);
}

static void check_image(void)
{
    uint32_t nonzero = 0;
    for (size_t i = 0; i < sizeof bss_probe; i++)
        nonzero |= bss_probe[i];
    check(nonzero == 0, "BSS is zero", nonzero);
    check(data_probe == 0x12345678u, "initialised data as linked", data_probe);
}

/* Our own GDT with other selectors than the loader's (code 18h, data 20h). */
static void load_gdt(void)
{
    gdt[0] = 0;
    gdt[1] = 0;
    gdt[2] = 0;
    gdt[3] = 0x00CF9A000000FFFFull;
    gdt[4] = 0x00CF92000000FFFFull;
    struct __attribute__((packed)) {
        uint16_t limit;
        uint32_t base;
    } gdtr = {sizeof gdt - 1, (uint32_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "ljmp $0x18, $1f\n"
                     "1:\n\t"
                     "mov $0x20, %%ax\n\t"
                     "mov %%ax, %%ds\n\t"
                     "mov %%ax, %%es\n\t"
                     "mov %%ax, %%fs\n\t"
                     "mov %%ax, %%gs\n\t"
                     "mov %%ax, %%ss\n\t"
                     :
                     : "m"(gdtr)
                     : "eax", "memory");
    check(read_cs() == 0x18 && read_ds() == 0x20 && read_ss() == 0x20,
          "own GDT loaded, segments reloaded", read_cs());
}

static void enable_paging(void)
{
    for (uint32_t t = 0; t < PAGE_TABLES; t++) {
        for (uint32_t i = 0; i < 1024; i++)
            page_tables[t][i] = ((t << 22) | (i << 12)) | 3;
        page_dir[t] = (uint32_t)page_tables[t] | 3;
    }
    alias_table[0] = (uint32_t)alias_pages[0] | 3;
    page_dir[ALIAS_VIRT >> 22] = (uint32_t)alias_table | 3;
    __asm__ volatile("mov %0, %%cr3\n\t"
                     "mov %%cr0, %%eax\n\t"
                     "or $0x80000000, %%eax\n\t"
                     "mov %%eax, %%cr0\n\t"
                     "jmp 1f\n"
                     "1:"
                     :
                     : "r"(page_dir)
                     : "eax", "memory");
    check(read_cr0() & 0x80000000u, "paging is on", read_cr0());
    volatile uint32_t *alias = (volatile uint32_t *)ALIAS_VIRT;
    volatile uint32_t *page0 = (volatile uint32_t *)alias_pages[0];
    volatile uint32_t *page1 = (volatile uint32_t *)alias_pages[1];
    *page0 = 0xCAFEF00Du;
    *page1 = 0x5EEDBEEFu;
    check(*alias == 0xCAFEF00Du, "a page mapped twice reads the same through both", *alias);
    *alias = 0x01020304u;
    check(*page0 == 0x01020304u, "a write through the alias reaches the page", *page0);
    /* Remap the alias to the other page; INVLPG must drop the old entry. */
    alias_table[0] = (uint32_t)alias_pages[1] | 3;
    __asm__ volatile("invlpg (%0)" ::"r"(ALIAS_VIRT) : "memory");
    check(*alias == 0x5EEDBEEFu, "INVLPG after a remap", *alias);
    /* Keep running with paging on: a loop over a buffer through the alias. */
    uint32_t sum = 0;
    for (uint32_t i = 0; i < 1024; i++)
        ((volatile uint32_t *)ALIAS_VIRT)[i] = i * 7;
    for (uint32_t i = 0; i < 1024; i++)
        sum += ((volatile uint32_t *)alias_pages[1])[i];
    check(sum == 7u * 1023 * 1024 / 2, "code keeps running with paging on", sum);
}

void kmain(uint32_t magic, const MbInfo *mb, uint32_t eflags)
{
    serial_init();
    puts_("multiboot: test kernel at ");
    puthex((uint32_t)_image_start);
    putc_('\n');
    check_loader_state(magic, eflags);
    if (magic != 0x2BADB002u) guest_exit(1);
    check_image();
    reboot_test((const char *)mb->cmdline);
    check_info(mb);
    load_gdt();
    enable_paging();
    if (n_fail == 0) {
        puts_("multiboot: all ");
        putdec((uint32_t)n_pass);
        puts_(" checks passed\n");
        guest_exit(0);
    }
    puts_("multiboot: ");
    putdec((uint32_t)n_fail);
    puts_(" checks FAILED\n");
    guest_exit(1);
}
