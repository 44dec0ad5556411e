/*
 * test_smc.c - the translator's block cache under self-modifying code, and
 * the execution loop's interrupt and single-step rules (translator/exec.c
 * with the bus's code-write hook, devices/core/bus.c).
 *
 * A machine core is built by hand: a Bus with 1 MiB of RAM, a Clock, a Cpu
 * in real mode and a Translator. Guest programs are real-mode machine code
 * put into RAM; each run starts at CS:IP and ends at HLT (tb_exec returns
 * CPU_EXIT_HALT); the clock's stop point bounds every run so that a broken
 * case cannot loop forever.
 *
 * Self-modifying code (exec.h, docs/architecture.md): decoding a block
 * marks its pages as code on the bus, so every write to them reaches the
 * translator, which invalidates exactly the blocks whose bytes the write
 * touched; a block invalidated while it runs stops after the current
 * instruction; a page with no blocks left loses its mark (and gets fast
 * TLB writes again). Covered: a write into the next instruction, into a
 * later instruction of the same block and into an instruction of the
 * block that already ran; a write from outside into another block of the
 * page; writes next to blocks that must not invalidate them (byte-exact
 * ranges); a block holding an instruction that straddles a page boundary;
 * the page mark; tb_flush; REP STOS/MOVS over code; a read of the code
 * page before the store; and code coherence across a bus remap (shadow
 * RAM mapped over a ROM), which fails today: a known, reported bug.
 *
 * Interrupts (SDM Vol. 3 6.8.3, 17.3.1.4): INTR through cpu_set_intr and
 * an INTA callback of our own (no PIC), taken at an instruction boundary
 * that ends the block, never in the shadow of STI or MOV SS; TF single-
 * stepping delivers vector 1 after every instruction, and MOV SS holds
 * the trap for one instruction.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/mem.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "translator/exec.h"

#define RAM_SIZE  (1u << 20)
#define CODE_SEG  0x1000u /* CS base 0x10000 */
#define CODE_BASE (CODE_SEG << 4)
#define STACK_TOP 0x8000u /* SS = 0 */
#define BAD_IP    0x0F00u /* every unexpected vector lands here */
#define BAD_MARK  0xDEADu
#define MMIO_BASE 0x80000u

static Bus *bus;
static Clock clk;
static Cpu *cpu;
static Translator *tb;
static uint8_t *ram;

static int acks;       /* INTA cycles seen */
static int ack_vector; /* what the INTA cycle returns */

static int test_ack(void *opaque)
{
    Cpu *c = opaque;
    acks++;
    cpu_set_intr(c, false); /* an edge, as a PIC would after INTA */
    return ack_vector;
}

static void set_vector(int vec, uint16_t seg, uint16_t off)
{
    ram[vec * 4 + 0] = (uint8_t)off;
    ram[vec * 4 + 1] = (uint8_t)(off >> 8);
    ram[vec * 4 + 2] = (uint8_t)seg;
    ram[vec * 4 + 3] = (uint8_t)(seg >> 8);
}

/* Copies code into RAM at CS:ip directly (before anything is decoded). */
static void put(uint16_t ip, const uint8_t *b, size_t n)
{
    memcpy(ram + CODE_BASE + ip, b, n);
}
#define PUT(ip, ...)                                                                               \
    do {                                                                                           \
        static const uint8_t b_[] = {__VA_ARGS__};                                                 \
        put(ip, b_, sizeof b_);                                                                    \
    } while (0)

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    ram = bus_add_ram(bus, 0, RAM_SIZE, "ram");
    ck_assert_ptr_nonnull(ram);
    clock_init(&clk, 1000000000ull);
    cpu = cpu_new(bus, &clk);
    ck_assert_ptr_nonnull(cpu);
    tb = tb_new(cpu);
    ck_assert_ptr_nonnull(tb);
    cpu_load_seg(cpu, S_CS, CODE_SEG);
    cpu_load_seg(cpu, S_DS, 0);
    cpu_load_seg(cpu, S_SS, 0);
    cpu_load_seg(cpu, S_ES, 0);
    cpu->regs[R_ESP] = STACK_TOP;
    for (int r = 0; r < 8; r++)
        if (r != R_ESP) cpu->regs[r] = 0;
    /* Every vector goes to "mov dx, BAD_MARK; hlt". */
    PUT(BAD_IP, 0xBA, (uint8_t)BAD_MARK, (uint8_t)(BAD_MARK >> 8), 0xF4);
    for (int v = 0; v < 256; v++)
        set_vector(v, CODE_SEG, BAD_IP);
    acks = 0;
    ack_vector = 0x40;
    cpu_set_intr_ack(cpu, test_ack, cpu);
}

static void teardown(void)
{
    tb_free(tb);
    cpu_free(cpu);
    bus_free(bus);
}

/* Runs from CS:ip until HLT; asserts it halted (not the stop point). */
static void run_from(uint16_t ip)
{
    cpu->eip = ip;
    cpu->halted = false;
    clk.stop_insns = cpu->icount + 100000;
    CpuExit e = tb_exec(tb);
    ck_assert_msg(e == CPU_EXIT_HALT, "tb_exec returned %d at %04x:%04x, not HALT", (int)e,
                  cpu->seg[S_CS].sel, cpu->eip);
    ck_assert_msg((cpu->regs[R_EDX] & 0xFFFF) != BAD_MARK, "an unexpected vector was taken");
}

static uint16_t ax(void)
{
    return (uint16_t)cpu->regs[R_EAX];
}
static uint16_t stack_word(unsigned i)
{
    return (uint16_t)bus_read(bus, cpu_sp(cpu) + 2 * i, 2);
}

/* ------------------------------------------------------------------ */
/* self-modifying code                                                  */

/* (a) The instruction right after the store is the one patched. */
START_TEST(test_patch_next_instruction)
{
    PUT(0x0000, 0x2E, 0xC6, 0x06, 0x07, 0x00, 0x42, /* mov byte [cs:0x0007], 0x42 */
        0xB0, 0x00,                                 /* 0006: mov al, 0 (imm at 0007) */
        0xF4);                                      /* 0008: hlt */
    uint64_t icount0 = cpu->icount;
    run_from(0x0000);
    ck_assert_msg(ax() == 0x0042, "AL = %02x: the stale 'mov al, 0' ran", ax() & 0xFF);
    ck_assert_uint_eq(cpu->eip, 0x0009);
    ck_assert_uint_eq(cpu->icount - icount0, 3); /* each instruction ran once */
    ck_assert_uint_eq(ram[CODE_BASE + 7], 0x42);
    ck_assert_uint_eq(tb_stats(tb)->blocks_invalidated, 1);
    ck_assert_uint_eq(tb_stats(tb)->blocks_decoded, 2); /* the block, then its tail */
}
END_TEST

/* (b) A later instruction of the same block is patched. */
START_TEST(test_patch_later_in_block)
{
    PUT(0x0000, 0x2E, 0xC6, 0x06, 0x09, 0x00, 0x40, /* mov byte [cs:0x0009], 0x40 */
        0x90, 0x90, 0x90,                           /* 0006: nop x3 */
        0x43,                                       /* 0009: inc bx -> inc ax */
        0xF4);                                      /* 000A: hlt */
    run_from(0x0000);
    ck_assert_msg(ax() == 1 && cpu->regs[R_EBX] == 0, "AX = %04x BX = %04x: the old code ran", ax(),
                  cpu->regs[R_EBX]);
    ck_assert_uint_eq(tb_stats(tb)->blocks_invalidated, 1);
}
END_TEST

/* A store into an instruction of the running block that already ran:
 * the rest of the block goes on, nothing runs twice, and the next run
 * sees the new code. */
START_TEST(test_patch_executed_instruction)
{
    PUT(0x0000, 0x40,                       /* inc ax (becomes inc cx) */
        0x2E, 0xC6, 0x06, 0x00, 0x00, 0x41, /* 0001: mov byte [cs:0], 0x41 */
        0x43,                               /* 0007: inc bx */
        0xF4);                              /* 0008: hlt */
    uint64_t icount0 = cpu->icount;
    run_from(0x0000);
    ck_assert_uint_eq(ax(), 1);
    ck_assert_uint_eq(cpu->regs[R_EBX], 1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
    ck_assert_uint_eq(cpu->icount - icount0, 4);
    ck_assert_uint_eq(tb_stats(tb)->blocks_invalidated, 1);
    run_from(0x0000);
    ck_assert_uint_eq(ax(), 1);
    ck_assert_uint_eq(cpu->regs[R_ECX], 1);
    ck_assert_uint_eq(cpu->regs[R_EBX], 2);
}
END_TEST

/* A read from the code page first (it fills the TLB entry for reading)
 * must not give the page a fast write entry: the store still reaches the
 * translator. */
START_TEST(test_read_then_patch)
{
    PUT(0x0000, 0x2E, 0x8A, 0x26, 0x0C, 0x00, /* mov ah, [cs:0x000C] */
        0x2E, 0xC6, 0x06, 0x0C, 0x00, 0x42,   /* 0005: mov byte [cs:0x000C], 0x42 */
        0xB0, 0x00,                           /* 000B: mov al, 0 (imm at 000C) */
        0xF4);                                /* 000D: hlt */
    run_from(0x0000);
    ck_assert_uint_eq(ax(), 0x0042);
    ck_assert_uint_eq(tb_stats(tb)->blocks_invalidated, 1);
    ck_assert_uint_eq(ram[CODE_BASE + 0x0C], 0x42);
}
END_TEST

/* REP STOSB and REP MOVSB overwriting the code that follows them in the
 * same block (their fast paths must not bypass the translator). */
START_TEST(test_rep_string_over_code)
{
    PUT(0x0000, 0xF3, 0xAA,             /* rep stosb: 4 x 'inc ax' over 0x0010 */
        0xEB, 0x0C);                    /* 0002: jmp 0x0010 */
    PUT(0x0010, 0x43, 0x43, 0x43, 0x43, /* inc bx x4 */
        0xF4);                          /* 0014: hlt */
    cpu_load_seg(cpu, S_ES, CODE_SEG);
    cpu->regs[R_EDI] = 0x0010;
    cpu->regs[R_ECX] = 4;
    cpu->regs[R_EAX] = 0x40;
    /* The target block is decoded first, so the page holds it. */
    run_from(0x0010);
    ck_assert_uint_eq(cpu->regs[R_EBX], 4);
    cpu->regs[R_EBX] = 0;
    cpu->regs[R_EAX] = 0x40;
    run_from(0x0000);
    ck_assert_msg(cpu->regs[R_EBX] == 0 && ax() == 0x44,
                  "BX = %u AX = %04x: the code REP STOSB wrote was not the code run",
                  cpu->regs[R_EBX], ax());
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);

    /* REP MOVSB copying 'inc cx' x2 over the start of the next block. */
    PUT(0x0100, 0xF3, 0xA4,  /* rep movsb */
        0x43, 0x43, 0x43,    /* 0102: inc bx x3 */
        0xF4);               /* 0105: hlt */
    PUT(0x0200, 0x41, 0x41); /* the new code */
    cpu_load_seg(cpu, S_DS, CODE_SEG);
    cpu->regs[R_ESI] = 0x0200;
    cpu->regs[R_EDI] = 0x0102;
    cpu->regs[R_ECX] = 2;
    cpu->regs[R_EBX] = 0;
    run_from(0x0100);
    ck_assert_msg(cpu->regs[R_ECX] == 2 && cpu->regs[R_EBX] == 1,
                  "CX = %u BX = %u: the code REP MOVSB wrote was not the code run",
                  cpu->regs[R_ECX], cpu->regs[R_EBX]);
}
END_TEST

/* A word store that straddles a page boundary, its second byte landing
 * on the first byte of a block in the next page. */
START_TEST(test_store_straddling_into_code)
{
    PUT(0x6000, 0x43, 0x43, 0xF4);                        /* inc bx x2; hlt */
    PUT(0x5000, 0x2E, 0xC7, 0x06, 0xFF, 0x5F, 0x40, 0x40, /* mov word [cs:0x5FFF], 0x4040 */
        0xE9, 0xF6, 0x0F);                                /* 0007: jmp 0x6000 */
    run_from(0x6000);
    ck_assert_uint_eq(cpu->regs[R_EBX], 2);
    cpu->regs[R_EBX] = 0;
    run_from(0x5000);
    ck_assert_uint_eq(ram[CODE_BASE + 0x5FFF], 0x40);
    ck_assert_msg(ax() == 1 && cpu->regs[R_EBX] == 1, "AX = %04x BX = %u: the stale block ran",
                  ax(), cpu->regs[R_EBX]);
}
END_TEST

/* (c) and (d): a program of three blocks in one page. Writes beside the
 * blocks (by the guest itself and from outside) must not invalidate them;
 * writes into a block's bytes invalidate just that block. */
START_TEST(test_patch_other_block_and_exact_ranges)
{
    PUT(0x0000, 0xE8, 0xFD, 0x00, /* call 0x0100 */
        0x2E, 0xA2, 0x00, 0x08,   /* 0003: mov [cs:0x0800], al */
        0xF4);                    /* 0007: hlt */
    PUT(0x0100, 0xB0, 0x11,       /* mov al, 0x11 */
        0xC3);                    /* 0102: ret */
    const TbStats *st = tb_stats(tb);
    run_from(0x0000);
    ck_assert_uint_eq(ax() & 0xFF, 0x11);
    ck_assert_uint_eq(ram[CODE_BASE + 0x800], 0x11); /* the guest's data write went through */
    ck_assert_uint_eq(st->blocks_decoded, 3);
    ck_assert_msg(st->blocks_invalidated == 0, "a data write beside the code invalidated %llu",
                  (unsigned long long)st->blocks_invalidated);
    ck_assert(bus_page_flags(bus, CODE_BASE) & PAGE_CODE);

    /* Again: everything comes from the cache. */
    run_from(0x0000);
    ck_assert_uint_eq(st->blocks_decoded, 3);
    ck_assert_uint_eq(st->blocks_invalidated, 0);

    /* (d) Outside writes next to every block, but not into one. */
    bus_write(bus, CODE_BASE + 0x0800, 0x55, 1);
    bus_write(bus, CODE_BASE + 0x0008, 0x90, 1);        /* right after the hlt */
    bus_write(bus, CODE_BASE + 0x00FE, 0x9090, 2);      /* the two bytes before 0x0100 */
    bus_write(bus, CODE_BASE + 0x0103, 0x90909090u, 4); /* right after the ret */
    bus_write_block(bus, CODE_BASE + 0x0200, "data", 4);
    ck_assert_uint_eq(st->blocks_invalidated, 0);
    ck_assert(bus_page_flags(bus, CODE_BASE) & PAGE_CODE);
    run_from(0x0000);
    ck_assert_uint_eq(st->blocks_decoded, 3);
    ck_assert_uint_eq(st->blocks_invalidated, 0);

    /* A write that overlaps a block by one byte invalidates it, even when
     * it stores the value already there. */
    bus_write(bus, CODE_BASE + 0x00FF, 0xB090, 2); /* 0x100 keeps its B0 */
    ck_assert_uint_eq(st->blocks_invalidated, 1);
    run_from(0x0000);
    ck_assert_uint_eq(st->blocks_decoded, 4);
    ck_assert_uint_eq(ax() & 0xFF, 0x11);

    /* (c) Patch the called block from outside: the new code runs. */
    bus_write(bus, CODE_BASE + 0x0101, 0x22, 1);
    ck_assert_uint_eq(st->blocks_invalidated, 2);
    run_from(0x0000);
    ck_assert_msg((ax() & 0xFF) == 0x22, "AL = %02x: the stale block ran", ax() & 0xFF);
    ck_assert_uint_eq(ram[CODE_BASE + 0x800], 0x22);
    ck_assert_uint_eq(st->blocks_decoded, 5); /* only that block again */

    /* The last byte of the first block (its hlt) belongs to it. */
    bus_write(bus, CODE_BASE + 0x0007, 0xF4, 1);
    ck_assert_uint_eq(st->blocks_invalidated, 3);
    /* A block copy (a loader, DMA) into a block invalidates it too. */
    bus_write_block(bus, CODE_BASE + 0x0100, "\xB0\x55", 2);
    ck_assert_uint_eq(st->blocks_invalidated, 4);
    run_from(0x0000);
    ck_assert_uint_eq(ax() & 0xFF, 0x55);
}
END_TEST

/* (e) An instruction that straddles a page boundary: its block covers
 * bytes in both pages, and a write to either invalidates it. */
START_TEST(test_page_straddle)
{
    /* phys 0x11FFC..0x12001 */
    PUT(0x1FFC, 0x90, 0x90, /* nop nop */
        0xB8, 0x34, 0x12,   /* 1FFE: mov ax, 0x1234 (12 at 0x2000) */
        0xF4);              /* 2001: hlt */
    const TbStats *st = tb_stats(tb);
    run_from(0x1FFC);
    ck_assert_uint_eq(ax(), 0x1234);
    ck_assert_uint_eq(st->blocks_decoded, 3); /* nop nop | mov (straddles) | hlt */
    ck_assert(bus_page_flags(bus, CODE_BASE + 0x1000) & PAGE_CODE);
    ck_assert(bus_page_flags(bus, CODE_BASE + 0x2000) & PAGE_CODE);

    /* After the hlt: nothing. */
    bus_write(bus, CODE_BASE + 0x2002, 0x90, 1);
    ck_assert_uint_eq(st->blocks_invalidated, 0);
    /* The straddling instruction's byte in the second page. */
    bus_write(bus, CODE_BASE + 0x2000, 0x56, 1);
    ck_assert_msg(st->blocks_invalidated == 1,
                  "a write to the second page of a straddling block invalidated %llu blocks",
                  (unsigned long long)st->blocks_invalidated);
    ck_assert(bus_page_flags(bus, CODE_BASE + 0x2000) & PAGE_CODE); /* the hlt block is left */
    run_from(0x1FFC);
    ck_assert_msg(ax() == 0x5634, "AX = %04x: the stale straddling block ran", ax());
    ck_assert_uint_eq(st->blocks_decoded, 4);

    /* Its byte in the first page. */
    bus_write(bus, CODE_BASE + 0x1FFF, 0x78, 1);
    ck_assert_uint_eq(st->blocks_invalidated, 2);
    run_from(0x1FFC);
    ck_assert_uint_eq(ax(), 0x5678);
    ck_assert_uint_eq(st->blocks_decoded, 5);

    /* The guest patching the second half itself, from the first page. */
    PUT(0x0000, 0x2E, 0xC6, 0x06, 0x00, 0x20, 0x9A, /* mov byte [cs:0x2000], 0x9a */
        0xE9, 0xF3, 0x1F);                          /* 0006: jmp 0x1FFC */
    run_from(0x0000);
    ck_assert_uint_eq(ax(), 0x9A78);
    ck_assert_uint_eq(st->blocks_invalidated, 3);
}
END_TEST

/* (f) The page mark goes when the last block of the page goes, and the
 * TLB then gives the page fast writes again. */
START_TEST(test_page_mark)
{
    PUT(0x3000, 0xEB, 0x0E);            /* jmp 0x3010 */
    PUT(0x3010, 0xB0, 0x01,             /* mov al, 1 */
        0xF4);                          /* hlt */
    PUT(0x4000, 0x2E, 0xA2, 0x00, 0x38, /* mov [cs:0x3800], al */
        0xF4);                          /* hlt */
    const uint32_t page = CODE_BASE + 0x3000;
    TlbEntry *e = &cpu->tlb[(page >> 12) & (TLB_SIZE - 1)];
    const TbStats *st = tb_stats(tb);

    ck_assert(!(bus_page_flags(bus, page) & PAGE_CODE));
    run_from(0x3000);
    ck_assert_uint_eq(ax() & 0xFF, 1);
    ck_assert(bus_page_flags(bus, page) & PAGE_CODE);
    /* A guest write to the code page takes the slow path (no fast entry). */
    run_from(0x4000);
    ck_assert_uint_eq(ram[page + 0x800], 1);
    ck_assert_msg(e->tag_write != page, "a code page has a fast TLB write entry");
    ck_assert_uint_eq(st->blocks_invalidated, 0);

    /* One of the two blocks goes: the page stays marked. */
    bus_write(bus, page + 0x11, 0x02, 1);
    ck_assert_uint_eq(st->blocks_invalidated, 1);
    ck_assert(bus_page_flags(bus, page) & PAGE_CODE);
    /* The other one too: the mark is gone. */
    bus_write(bus, page + 0x01, 0x0E, 1);
    ck_assert_uint_eq(st->blocks_invalidated, 2);
    ck_assert_msg(!(bus_page_flags(bus, page) & PAGE_CODE),
                  "a page without blocks is still marked as code");
    /* The guest's next write to it gets a fast entry. */
    cpu->regs[R_EAX] = 7;
    run_from(0x4000);
    ck_assert_uint_eq(ram[page + 0x800], 7);
    ck_assert_msg(e->tag_write == page, "no fast TLB write entry after the page lost its code");
    /* And the page becomes code again when it is run. */
    run_from(0x3000);
    ck_assert_uint_eq(ax() & 0xFF, 2);
    ck_assert(bus_page_flags(bus, page) & PAGE_CODE);
    ck_assert_msg(e->tag_write != page, "the fast write entry survived the page becoming code");
    cpu->regs[R_EAX] = 9;
    uint64_t inv = st->blocks_invalidated;
    run_from(0x4000);
    ck_assert_uint_eq(ram[page + 0x800], 9);
    ck_assert_uint_eq(st->blocks_invalidated, inv);
    /* ...and a guest write into a block's bytes invalidates it again. */
    PUT(0x4010, 0x2E, 0xC6, 0x06, 0x11, 0x30, 0x05, /* mov byte [cs:0x3011], 5 */
        0xF4);
    run_from(0x4010);
    ck_assert_uint_eq(st->blocks_invalidated, inv + 1);
    run_from(0x3000);
    ck_assert_uint_eq(ax() & 0xFF, 5);
}
END_TEST

/* (g) tb_flush drops every block and every page mark. */
START_TEST(test_flush)
{
    PUT(0x0000, 0xE8, 0xFD, 0x00, 0xF4); /* call 0x0100; hlt */
    PUT(0x0100, 0xB0, 0x33, 0xC3);       /* mov al, 0x33; ret */
    const TbStats *st = tb_stats(tb);
    run_from(0x0000);
    ck_assert_uint_eq(st->blocks_decoded, 3);
    run_from(0x0000);
    ck_assert_uint_eq(st->blocks_decoded, 3);
    tb_flush(tb);
    ck_assert(!(bus_page_flags(bus, CODE_BASE) & PAGE_CODE));
    /* Without blocks, an outside write is plain memory. */
    bus_write(bus, CODE_BASE + 0x101, 0x44, 1);
    run_from(0x0000);
    ck_assert_uint_eq(st->blocks_decoded, 6);
    ck_assert_uint_eq(ax() & 0xFF, 0x44);
    ck_assert(bus_page_flags(bus, CODE_BASE) & PAGE_CODE);
    run_from(0x0000);
    ck_assert_uint_eq(st->blocks_decoded, 6);

    /* After another flush, a different program in the same page: writes
     * into the bytes of the dropped blocks find nothing to invalidate,
     * writes into the new block invalidate just it. */
    tb_flush(tb);
    PUT(0x0200, 0xB0, 0x66, 0xF4); /* mov al, 0x66; hlt */
    run_from(0x0200);
    ck_assert_uint_eq(st->blocks_decoded, 7);
    uint64_t inv = st->blocks_invalidated;
    bus_write(bus, CODE_BASE + 0x0000, 0xE8, 1);
    bus_write(bus, CODE_BASE + 0x0101, 0x44, 1);
    ck_assert_msg(st->blocks_invalidated == inv, "a write hit a block dropped by tb_flush");
    bus_write(bus, CODE_BASE + 0x0201, 0x77, 1);
    ck_assert_uint_eq(st->blocks_invalidated, inv + 1);
    /* That was the page's only block: no stale list entry keeps the mark. */
    ck_assert_msg(!(bus_page_flags(bus, CODE_BASE) & PAGE_CODE),
                  "the page is still marked as code after its last block went");
    run_from(0x0200);
    ck_assert_uint_eq(ax() & 0xFF, 0x77);
}
END_TEST

/* Code coherence across a bus remap: the bytes behind a physical page
 * that holds blocks change without any write, because another region is
 * mapped over it (PAM-style shadow RAM over the BIOS ROM, docs/
 * architecture.md) or uncovered again. The next run must execute the
 * bytes now mapped there.
 *
 * KNOWN BUG (reported, not fixed here): blocks are keyed by physical
 * address and nothing invalidates them on a remap (the CPU's remap hook
 * only flushes the TLB and, through it, the jump cache), so the stale
 * block decoded from the ROM keeps running. */
START_TEST(test_remap_over_code)
{
    static const uint8_t rom_code[] = {0xB0, 0x11, 0xF4}; /* mov al, 0x11; hlt */
    static uint8_t shadow[BUS_PAGE_SIZE];
    memset(shadow, 0, sizeof shadow);
    memcpy(shadow, "\xB0\x22\xF4", 3); /* mov al, 0x22; hlt */
    ck_assert_ptr_nonnull(bus_add_rom(bus, 0xE0000, rom_code, sizeof rom_code, "rom"));
    MemRegion *sh = bus_add_host(bus, 0xE0000, BUS_PAGE_SIZE, shadow, MR_RAM, 20, "shadow");
    ck_assert_ptr_nonnull(sh);
    bus_region_set(bus, sh, 0xE0000, false);
    cpu_load_seg(cpu, S_CS, 0xE000);

    run_from(0x0000);
    ck_assert_uint_eq(ax() & 0xFF, 0x11);
    bus_region_set(bus, sh, 0xE0000, true); /* the shadow RAM now covers the ROM */
    ck_assert_uint_eq(bus_read(bus, 0xE0001, 1), 0x22);
    run_from(0x0000);
    ck_assert_msg((ax() & 0xFF) == 0x22,
                  "BUG: after shadow RAM was mapped over the ROM at E0000, the block decoded "
                  "from the ROM still ran (AL = %02x, memory now says 22): blocks are not "
                  "invalidated when a bus remap changes the bytes behind their physical pages",
                  ax() & 0xFF);
    bus_region_set(bus, sh, 0xE0000, false); /* and back to the ROM */
    run_from(0x0000);
    ck_assert_uint_eq(ax() & 0xFF, 0x11);
}
END_TEST

/* ------------------------------------------------------------------ */
/* interrupts and single-stepping                                       */

#define HANDLER_IP 0x0600u

/* The INTR handler: BX = AX at the time of the interrupt; hlt. */
static void put_intr_handler(void)
{
    PUT(HANDLER_IP, 0x89, 0xC3, 0xF4); /* mov bx, ax; hlt */
    set_vector(0x40, CODE_SEG, HANDLER_IP);
}

/* After STI (with IF clear before), exactly one more instruction runs
 * before a pending interrupt is taken. */
START_TEST(test_sti_shadow)
{
    put_intr_handler();
    PUT(0x0000, 0xFB,     /* sti */
        0x40, 0x40, 0x40, /* 0001: inc ax x3 */
        0xF4);            /* 0004: hlt */
    cpu->regs[R_EBX] = 0xFFFF;
    cpu_set_eflags(cpu, 0, F_IF);
    cpu_set_intr(cpu, true);
    run_from(0x0000);
    ck_assert_uint_eq(acks, 1);
    ck_assert_uint_eq(cpu->eip, HANDLER_IP + 3);
    ck_assert_msg(cpu->regs[R_EBX] == 1, "%u instructions ran after STI before the interrupt",
                  cpu->regs[R_EBX]);
    /* The frame: IP of the second inc, CS, FLAGS with IF. */
    ck_assert_uint_eq(stack_word(0), 0x0002);
    ck_assert_uint_eq(stack_word(1), CODE_SEG);
    ck_assert(stack_word(2) & F_IF);
    ck_assert_uint_eq(cpu_sp(cpu), STACK_TOP - 6);
    ck_assert_uint_eq(tb_stats(tb)->interrupts, 1);
}
END_TEST

/* With IF already set, STI opens no shadow: the interrupt comes at the
 * first block boundary, before anything runs. */
START_TEST(test_intr_at_start)
{
    put_intr_handler();
    PUT(0x0000, 0xFB, 0x40, 0x40, 0xF4);
    cpu->regs[R_EBX] = 0xFFFF;
    cpu_set_eflags(cpu, F_IF, F_IF);
    cpu_set_intr(cpu, true);
    run_from(0x0000);
    ck_assert_uint_eq(acks, 1);
    ck_assert_uint_eq(cpu->regs[R_EBX], 0);
    ck_assert_uint_eq(stack_word(0), 0x0000);
}
END_TEST

/* The shadows of MOV SS and STI survive a return from tb_exec (the clock's
 * stop point right after them): INTR raised then is still taken only
 * after one more instruction. */
START_TEST(test_shadow_across_stop)
{
    put_intr_handler();
    static const uint8_t mov_ss[] = {0x8E, 0xD0}, sti[] = {0xFB};
    for (int k = 0; k < 2; k++) {
        const uint8_t *first = k ? sti : mov_ss;
        size_t n = k ? sizeof sti : sizeof mov_ss;
        put(0x0000, first, n);
        PUT((uint16_t)n, 0x40, 0x40, 0x40, 0xF4); /* inc ax x3; hlt */
        tb_flush(tb);
        cpu->regs[R_EAX] = 0;
        cpu->regs[R_EBX] = 0xFFFF;
        cpu->regs[R_ESP] = STACK_TOP;
        cpu_set_eflags(cpu, k ? 0 : F_IF, F_IF);
        cpu->eip = 0;
        cpu->halted = false;
        clk.stop_insns = cpu->icount + 1;
        ck_assert_int_eq(tb_exec(tb), CPU_EXIT_STOP);
        ck_assert_uint_eq(cpu->eip, n);
        cpu_set_intr(cpu, true);
        clk.stop_insns = cpu->icount + 1000;
        ck_assert_int_eq(tb_exec(tb), CPU_EXIT_HALT);
        ck_assert_msg(cpu->regs[R_EBX] == 1, "%s: %u instructions ran in the shadow",
                      k ? "sti" : "mov ss", cpu->regs[R_EBX]);
        ck_assert_uint_eq(stack_word(0), n + 1);
    }
    ck_assert_uint_eq(acks, 2);
}
END_TEST

/* STI; HLT: the loop returns HALT; INTR raised later wakes the CPU and
 * the interrupt returns after the HLT. */
START_TEST(test_hlt_wakeup)
{
    put_intr_handler();
    PUT(0x0000, 0x40, 0xFB, 0xF4, /* inc ax; sti; hlt */
        0x40, 0xF4);              /* 0003: inc ax; hlt */
    cpu_set_eflags(cpu, 0, F_IF);
    run_from(0x0000);
    ck_assert_uint_eq(cpu->eip, 0x0003);
    ck_assert(cpu->halted);
    ck_assert_uint_eq(acks, 0);
    /* Still halted with nothing pending: returns at once. */
    ck_assert_int_eq(tb_exec(tb), CPU_EXIT_HALT);
    ck_assert_uint_eq(cpu->eip, 0x0003);
    cpu_set_intr(cpu, true);
    clk.stop_insns = cpu->icount + 1000;
    ck_assert_int_eq(tb_exec(tb), CPU_EXIT_HALT);
    ck_assert_uint_eq(acks, 1);
    ck_assert_uint_eq(cpu->eip, HANDLER_IP + 3);
    ck_assert_uint_eq(cpu->regs[R_EBX], 1);
    ck_assert_uint_eq(stack_word(0), 0x0003);
}
END_TEST

/* IF clear: INTR stays pending, no INTA cycle. */
START_TEST(test_intr_masked)
{
    put_intr_handler();
    PUT(0x0000, 0x40, 0x40, 0xF4);
    cpu_set_eflags(cpu, 0, F_IF);
    cpu_set_intr(cpu, true);
    run_from(0x0000);
    ck_assert_uint_eq(acks, 0);
    ck_assert_uint_eq(ax(), 2);
    ck_assert_uint_eq(cpu->eip, 0x0003);
}
END_TEST

/* A device raising INTR in the middle of a block (an MMIO write): the
 * block ends after that instruction and the interrupt is taken there. */
static void mmio_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    (void)off;
    (void)val;
    (void)size;
    cpu_set_intr(opaque, true);
}
static uint32_t mmio_read(void *opaque, uint32_t off, unsigned size)
{
    (void)opaque;
    (void)off;
    (void)size;
    return 0;
}

START_TEST(test_intr_mid_block)
{
    static const MemOps ops = {mmio_read, mmio_write, 4};
    ck_assert_ptr_nonnull(bus_add_mmio(bus, MMIO_BASE, BUS_PAGE_SIZE, &ops, cpu, 10, "irq"));
    put_intr_handler();
    PUT(0x0000, 0x40,           /* inc ax */
        0x26, 0xA2, 0x00, 0x00, /* 0001: mov [es:0], al -> INTR */
        0x40, 0x40, 0x40,       /* 0005: inc ax x3 */
        0xF4);                  /* 0008: hlt */
    cpu_load_seg(cpu, S_ES, MMIO_BASE >> 4);
    cpu->regs[R_EBX] = 0xFFFF;
    cpu_set_eflags(cpu, F_IF, F_IF);
    run_from(0x0000);
    ck_assert_uint_eq(acks, 1);
    ck_assert_msg(cpu->regs[R_EBX] == 1, "the interrupt came after %u incs instead of 1",
                  cpu->regs[R_EBX]);
    ck_assert_uint_eq(stack_word(0), 0x0005);
}
END_TEST

/* The single-step handler records the return IP of every trap at DS:BX. */
#define TRAP_IP  0x0700u
#define TRAP_LOG 0x9000u

static void put_trap_handler(void)
{
    PUT(TRAP_IP, 0x55,    /* push bp */
        0x89, 0xE5,       /* mov bp, sp */
        0x8B, 0x76, 0x02, /* mov si, [bp+2] */
        0x89, 0x37,       /* mov [bx], si */
        0x83, 0xC3, 0x02, /* add bx, 2 */
        0x5D,             /* pop bp */
        0xCF);            /* iret */
    set_vector(EXC_DB, CODE_SEG, TRAP_IP);
    cpu->regs[R_EBX] = TRAP_LOG;
    /* POPF at the end of the programs pops flags without TF. */
    cpu->regs[R_ESP] = STACK_TOP - 2;
    bus_write(bus, STACK_TOP - 2, 0x0002, 2);
}

static void check_traps(const uint16_t *want, unsigned n)
{
    unsigned got = (cpu->regs[R_EBX] - TRAP_LOG) / 2;
    for (unsigned i = 0; i < n && i < got; i++) {
        uint16_t ip = (uint16_t)bus_read(bus, TRAP_LOG + 2 * i, 2);
        ck_assert_msg(ip == want[i], "trap %u: at %04x, expected %04x", i, ip, want[i]);
    }
    ck_assert_msg(got == n, "%u single-step traps, expected %u", got, n);
}

START_TEST(test_single_step)
{
    put_trap_handler();
    PUT(0x0000, 0x40, /* inc ax */
        0x40,         /* 0001: inc ax */
        0x90,         /* 0002: nop */
        0x41,         /* 0003: inc cx */
        0x9D,         /* 0004: popf (clears TF) */
        0xF4);        /* 0005: hlt */
    cpu_set_eflags(cpu, F_TF, F_TF);
    cpu->dr[6] &= ~(1u << 14);
    run_from(0x0000);
    static const uint16_t want[] = {0x0001, 0x0002, 0x0003, 0x0004, 0x0005};
    check_traps(want, 5);
    ck_assert_uint_eq(ax(), 2);
    ck_assert_uint_eq(cpu->regs[R_ECX], 1);
    ck_assert_uint_eq(cpu->eip, 0x0006);
    ck_assert(!(cpu_get_eflags(cpu) & F_TF));
    ck_assert(cpu->dr[6] & (1u << 14)); /* DR6.BS */
}
END_TEST

/* A REP string instruction under TF traps after every iteration, with
 * the REP instruction's own address until the last one. */
START_TEST(test_single_step_rep)
{
    put_trap_handler();
    PUT(0x0000, 0xF3, 0xAA, /* rep stosb */
        0x9D,               /* 0002: popf */
        0xF4);              /* 0003: hlt */
    cpu_load_seg(cpu, S_ES, 0x2000);
    cpu->regs[R_EDI] = 0x0100;
    cpu->regs[R_ECX] = 3;
    cpu->regs[R_EAX] = 0x5A;
    cpu_set_eflags(cpu, F_TF, F_TF);
    run_from(0x0000);
    static const uint16_t want[] = {0x0000, 0x0000, 0x0002, 0x0003};
    check_traps(want, 4);
    ck_assert_uint_eq(cpu->regs[R_ECX], 0);
    ck_assert_uint_eq(cpu->regs[R_EDI], 0x0103);
    ck_assert_uint_eq(ram[0x20000 + 0x100], 0x5A);
    ck_assert_uint_eq(ram[0x20000 + 0x102], 0x5A);
    ck_assert_uint_eq(ram[0x20000 + 0x103], 0);
}
END_TEST

/* MOV SS holds the trap (and interrupts) until after the next
 * instruction: one trap covers both. */
START_TEST(test_single_step_mov_ss)
{
    put_trap_handler();
    PUT(0x0000, 0x8E, 0xD0, /* mov ss, ax (AX = 0) */
        0x41,               /* 0002: inc cx */
        0x9D,               /* 0003: popf */
        0xF4);              /* 0004: hlt */
    cpu_set_eflags(cpu, F_TF, F_TF);
    run_from(0x0000);
    static const uint16_t want[] = {0x0003, 0x0004};
    check_traps(want, 2);
    ck_assert_uint_eq(cpu->regs[R_ECX], 1);
}
END_TEST

static Suite *smc_suite(void)
{
    Suite *s = suite_create("smc");
    TCase *tc = tcase_create("smc");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_patch_next_instruction);
    tcase_add_test(tc, test_patch_later_in_block);
    tcase_add_test(tc, test_patch_executed_instruction);
    tcase_add_test(tc, test_read_then_patch);
    tcase_add_test(tc, test_rep_string_over_code);
    tcase_add_test(tc, test_store_straddling_into_code);
    tcase_add_test(tc, test_patch_other_block_and_exact_ranges);
    tcase_add_test(tc, test_page_straddle);
    tcase_add_test(tc, test_page_mark);
    tcase_add_test(tc, test_flush);
    suite_add_tcase(s, tc);
    tc = tcase_create("remap");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_remap_over_code);
    suite_add_tcase(s, tc);
    tc = tcase_create("interrupts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_sti_shadow);
    tcase_add_test(tc, test_intr_at_start);
    tcase_add_test(tc, test_shadow_across_stop);
    tcase_add_test(tc, test_hlt_wakeup);
    tcase_add_test(tc, test_intr_masked);
    tcase_add_test(tc, test_intr_mid_block);
    tcase_add_test(tc, test_single_step);
    tcase_add_test(tc, test_single_step_rep);
    tcase_add_test(tc, test_single_step_mov_ss);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(smc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
