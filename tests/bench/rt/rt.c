/*
 * rt.c - the guest runtime of the benchmark kernels: COM1 output by port
 * I/O, identity-mapped paging with 4 KiB pages (so the workload runs with
 * paging on, as code under an OS does), and the exit through port 0xF4.
 * Prints "checksum: XXXXXXXX" (the same line the native build prints) and
 * exits with value 0 (QEMU and Brisk then exit with status 1).
 *
 * Intel SDM Vol. 3 section 4.3 (32-bit paging). Multiboot 0.6.96 section
 * 3.2 for the state at entry. No interrupts are used.
 */
#include <stddef.h>
#include <stdint.h>

#include "../bench.h"

#define COM1        0x3F8
#define MAPPED_MIB  128 /* identity-mapped; the kernels use far less */
#define PAGE_TABLES (MAPPED_MIB / 4)

static uint32_t page_dir[1024] __attribute__((aligned(4096)));
static uint32_t page_tables[PAGE_TABLES][1024] __attribute__((aligned(4096)));

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

static void puthex(uint32_t v)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 28; i >= 0; i -= 4)
        putc_(hex[(v >> i) & 15]);
}

_Noreturn static void rt_exit(uint8_t v)
{
    outb(0xF4, v);
    for (;;)
        __asm__ volatile("cli; hlt");
}

void rt_main(uint32_t magic, const void *info)
{
    (void)info;
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x80);
    outb(COM1 + 0, 0x01);
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);
    outb(COM1 + 2, 0xC7);
    outb(COM1 + 4, 0x03);
    if (magic != 0x2BADB002u) {
        puts_("bench: not booted by a Multiboot loader\n");
        rt_exit(1);
    }
    for (uint32_t t = 0; t < PAGE_TABLES; t++) {
        for (uint32_t i = 0; i < 1024; i++)
            page_tables[t][i] = (t << 22) | (i << 12) | 3;
        page_dir[t] = (uint32_t)page_tables[t] | 3;
    }
    __asm__ volatile("mov %0, %%cr3\n\t"
                     "mov %%cr0, %%eax\n\t"
                     "or $0x80010000, %%eax\n\t" /* PG, WP */
                     "mov %%eax, %%cr0\n\t"
                     "jmp 1f\n"
                     "1:"
                     :
                     : "r"(page_dir)
                     : "eax", "memory");
    uint32_t sum = bench_run();
    puts_("checksum: ");
    puthex(sum);
    putc_('\n');
    rt_exit(0);
}
