/*
 * exec.c - the block cache and the tier-0 execution loop (see exec.h).
 *
 * A block is a run of pre-decoded instructions starting at one physical
 * address, valid for one CS base and one set of decode-relevant mode bits
 * (cpu_mode_key). Blocks are position-independent in EIP (relative
 * branches add to next_eip at run time), so the physical address is the
 * right key: two linear aliases of the same code share a block.
 *
 * Invalidation is byte-exact: each block records the physical byte ranges
 * it was decoded from (at most two pages: only an instruction that
 * straddles a page boundary reaches the second, and it is then the last
 * one in the block). A write to a code page invalidates only the blocks
 * whose bytes it touches; when a page has no blocks left its code mark is
 * cleared so that the TLB gives it fast writes again. A block invalidated
 * while it runs finishes its current instruction and stops; its memory is
 * freed at the next block boundary.
 *
 * Interrupt and trap rules (SDM Vol. 3 section 6.8.3, 17.3.1.4): an
 * interrupt is taken only between instructions, never in the shadow of
 * STI/MOV SS/POP SS, and the single-step trap (TF set when an instruction
 * starts) is taken after it. In both cases the loop runs one instruction
 * at a time.
 */
#include "translator/exec.h"

#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/decode.h"
#include "cpu/disasm.h"
#include "cpu/mem.h"
#include "devices/core/log.h"

#define HASH_BITS 15
#define HASH_SIZE (1u << HASH_BITS)
/* The jump cache: linear PC -> block, in front of the physical-address hash
 * (QEMU's tb_jmp_cache idea). It skips the address translation and the hash
 * walk; it is cleared whenever the CPU flushes its TLB, since a remap may
 * change which physical code a linear address reaches. */
#define JC_BITS 12
#define JC_SIZE (1u << JC_BITS)
#define JC_NONE 0xFFFFFFFFu

typedef struct Block Block;
struct Block {
    uint32_t phys;     /* physical address of the first byte */
    uint32_t cs_base;
    uint32_t mode;
    uint32_t len1;     /* bytes in the first page */
    uint32_t phys2;    /* second page (start), if len2 > 0 */
    uint32_t len2;
    Block *hash_next;
    Block *page_next[2]; /* lists of blocks per physical page */
    Block *all_prev, *all_next; /* every live block, for tb_flush */
    uint32_t lin_pc;   /* linear PC under which the jump cache holds it */
    uint32_t jc_slot;  /* its jump-cache slot, or JC_NONE */
    bool valid;
    uint16_t n;
    DecodedInsn insns[];
};

struct Translator {
    Cpu *cpu;
    Block *hash[HASH_SIZE];
    Block **page_blocks; /* BUS_NUM_PAGES list heads, per physical page */
    Block *graveyard;    /* invalidated blocks waiting to be freed */
    Block *all;          /* every live block */
    Block *jc[JC_SIZE];  /* jump cache, by linear PC */
    Block *running;
    bool single_step;
    TbStats stats;
};

static inline unsigned hash_key(uint32_t phys, uint32_t cs_base, uint32_t mode)
{
    uint32_t h = phys * 0x9E3779B1u ^ cs_base * 0x85EBCA77u ^ mode * 0xC2B2AE3Du;
    return (h >> (32 - HASH_BITS)) & (HASH_SIZE - 1);
}

static void code_written(void *opaque, uint32_t paddr, unsigned size);

static inline unsigned jc_index(uint32_t lin) { return (lin ^ (lin >> JC_BITS)) & (JC_SIZE - 1); }

static void jc_clear(void *opaque)
{
    Translator *tb = opaque;
    for (unsigned i = 0; i < JC_SIZE; i++)
        if (tb->jc[i]) {
            tb->jc[i]->jc_slot = JC_NONE;
            tb->jc[i] = NULL;
        }
}

static void jc_remove(Translator *tb, Block *b)
{
    if (b->jc_slot != JC_NONE && tb->jc[b->jc_slot] == b) tb->jc[b->jc_slot] = NULL;
    b->jc_slot = JC_NONE;
}

static void jc_insert(Translator *tb, Block *b, uint32_t lin)
{
    unsigned i = jc_index(lin);
    jc_remove(tb, b);
    if (tb->jc[i]) tb->jc[i]->jc_slot = JC_NONE;
    tb->jc[i] = b;
    b->jc_slot = i;
    b->lin_pc = lin;
}

Translator *tb_new(Cpu *cpu)
{
    Translator *tb = calloc(1, sizeof *tb);
    if (!tb) return NULL;
    tb->page_blocks = calloc(BUS_NUM_PAGES, sizeof *tb->page_blocks);
    if (!tb->page_blocks) {
        free(tb);
        return NULL;
    }
    tb->cpu = cpu;
    bus_set_code_hook(cpu->bus, code_written, tb);
    cpu->on_tlb_flush = jc_clear;
    cpu->hook_opaque = tb;
    return tb;
}

static void free_graveyard(Translator *tb)
{
    while (tb->graveyard) {
        Block *b = tb->graveyard;
        tb->graveyard = b->hash_next;
        free(b);
    }
}

void tb_flush(Translator *tb)
{
    jc_clear(tb);
    Block *b = tb->all;
    while (b) {
        Block *n = b->all_next;
        bus_clear_code(tb->cpu->bus, b->phys);
        tb->page_blocks[b->phys >> BUS_PAGE_BITS] = NULL;
        if (b->len2) {
            bus_clear_code(tb->cpu->bus, b->phys2);
            tb->page_blocks[b->phys2 >> BUS_PAGE_BITS] = NULL;
        }
        tb->hash[hash_key(b->phys, b->cs_base, b->mode)] = NULL;
        if (b == tb->running) {
            b->valid = false;
            b->hash_next = tb->graveyard;
            tb->graveyard = b;
            tb->cpu->stop_block = true;
        } else {
            free(b);
        }
        b = n;
    }
    tb->all = NULL;
}

void tb_free(Translator *tb)
{
    if (!tb) return;
    tb->running = NULL;
    tb_flush(tb);
    free_graveyard(tb);
    if (tb->cpu->bus->code_write_opaque == tb) bus_set_code_hook(tb->cpu->bus, NULL, NULL);
    if (tb->cpu->hook_opaque == tb) {
        tb->cpu->on_tlb_flush = NULL;
        tb->cpu->hook_opaque = NULL;
    }
    free(tb->page_blocks);
    free(tb);
}

const TbStats *tb_stats(const Translator *tb) { return &tb->stats; }
void tb_set_single_step(Translator *tb, bool on) { tb->single_step = on; }

/* Removes b from the hash chain and from both page lists; queues it. */
static void invalidate_block(Translator *tb, Block *b)
{
    jc_remove(tb, b);
    Block **pp = &tb->hash[hash_key(b->phys, b->cs_base, b->mode)];
    while (*pp && *pp != b) pp = &(*pp)->hash_next;
    if (*pp) *pp = b->hash_next;
    for (int k = 0; k < 2; k++) {
        if (k == 1 && !b->len2) break;
        uint32_t pn = (k ? b->phys2 : b->phys) >> BUS_PAGE_BITS;
        Block **lp = &tb->page_blocks[pn];
        while (*lp && *lp != b) {
            Block *c = *lp;
            lp = (c->phys >> BUS_PAGE_BITS) == pn ? &c->page_next[0] : &c->page_next[1];
        }
        if (*lp) *lp = b->page_next[k];
        if (!tb->page_blocks[pn]) bus_clear_code(tb->cpu->bus, pn << BUS_PAGE_BITS);
    }
    if (b->all_prev)
        b->all_prev->all_next = b->all_next;
    else
        tb->all = b->all_next;
    if (b->all_next) b->all_next->all_prev = b->all_prev;
    b->valid = false;
    b->hash_next = tb->graveyard;
    tb->graveyard = b;
    tb->stats.blocks_invalidated++;
    if (b == tb->running) tb->cpu->stop_block = true;
}

static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    return a < b + blen && b < a + alen;
}

static void code_written(void *opaque, uint32_t paddr, unsigned size)
{
    Translator *tb = opaque;
    uint32_t pn = paddr >> BUS_PAGE_BITS;
    Block *b = tb->page_blocks[pn];
    while (b) {
        int k = (b->phys >> BUS_PAGE_BITS) == pn ? 0 : 1;
        Block *next = b->page_next[k];
        bool hit = k == 0 ? overlaps(paddr, size, b->phys, b->len1)
                          : overlaps(paddr, size, b->phys2, b->len2);
        if (hit) invalidate_block(tb, b);
        b = next;
    }
}

/* Copies up to n code bytes at physical address phys (one page at most). */
static void fetch_bytes(Bus *bus, uint32_t phys, uint8_t *dst, size_t n)
{
    bus_read_block(bus, phys, dst, n);
}

static void log_block(Cpu *cpu, const Block *b, uint32_t eip)
{
    log_printf("IN: %04x:%08x (phys %08x, %u insns)\n", cpu->seg[S_CS].sel, eip, b->phys, b->n);
    uint32_t a = eip;
    for (unsigned i = 0; i < b->n; i++) {
        uint8_t buf[16];
        uint32_t lin = cpu->seg[S_CS].base + a;
        for (unsigned k = 0; k < b->insns[i].len; k++) {
            /* A view only: no fault, no accessed flag. */
            uint32_t pa;
            buf[k] = cpu_translate_debug(cpu, lin + k, &pa) ? (uint8_t)bus_read(cpu->bus, pa, 1)
                                                            : 0xFF;
        }
        char text[96];
        disasm_one(buf, b->insns[i].len, a, cpu->code32, text, sizeof text);
        log_printf("  %08x  %s\n", a, text);
        a += b->insns[i].len;
    }
    log_printf("\n");
}

/* Decodes a block at the current CS:EIP. Raises the fetch fault (#GP for
 * the CS limit, #PF later) only for the first instruction; a later
 * instruction that cannot be fetched simply ends the block before it. */
static Block *decode_block(Translator *tb, uint32_t phys, uint32_t mode)
{
    Cpu *cpu = tb->cpu;
    DecodedInsn insns[TB_MAX_INSNS];
    unsigned max = tb->single_step ? 1 : TB_MAX_INSNS;
    uint32_t eip = cpu->eip;
    uint32_t page_end = (phys | BUS_PAGE_MASK) + 1; /* may be 0 at the top */
    uint32_t off = 0, len2 = 0, phys2 = 0;
    unsigned n = 0;
    const SegReg *cs = &cpu->seg[S_CS];

    while (n < max) {
        uint8_t buf[16];
        uint32_t here = phys + off;
        size_t in_page = (size_t)(page_end - here);
        size_t avail = in_page < 15 ? in_page : 15;
        fetch_bytes(cpu->bus, here, buf, avail);
        DecodedInsn *d = &insns[n];
        int len = decode_insn(buf, avail, cpu->code32, d);
        if (len == 0) {
            /* The instruction continues on the next page. */
            uint32_t lin_next = cs->base + eip + (uint32_t)in_page;
            if (n > 0) break;
            /* Segmentation comes before paging: if the next page starts past
             * the CS limit the instruction cannot fit (#GP), whatever the
             * page would say. Else a fault on the second page (#PF, CR2 =
             * its first byte) is this instruction's fault. */
            if (eip + (uint32_t)in_page > cs->limit || eip + (uint32_t)in_page < eip)
                cpu_exception(cpu, EXC_GP, 0);
            phys2 = cpu_fetch_phys(cpu, lin_next);
            fetch_bytes(cpu->bus, phys2, buf + in_page, 15 - in_page);
            len = decode_insn(buf, 15, cpu->code32, d);
        }
        if (len < 0) {
            if (n > 0) break;
            cpu_exception(cpu, EXC_GP, 0); /* longer than 15 bytes */
        }
        /* The whole instruction must lie within the CS limit. */
        uint32_t last = eip + (uint32_t)len - 1;
        if (last < eip || last > cs->limit) {
            if (n > 0) break;
            cpu_exception(cpu, EXC_GP, 0);
        }
        n++;
        if ((size_t)len > in_page) {
            len2 = (uint32_t)len - (uint32_t)in_page;
            off += (uint32_t)in_page;
            break;
        }
        off += (uint32_t)len;
        eip += (uint32_t)len;
        if (!cpu->code32 && eip > 0xFFFF) break; /* IP wraps: start a new block there */
        if (op_info[d->info].attrs & (A_END | A_BRANCH)) break;
        if (off >= in_page) break; /* the page ends exactly here */
    }

    Block *b = malloc(sizeof *b + n * sizeof(DecodedInsn));
    if (!b) return NULL;
    b->phys = phys;
    b->cs_base = cs->base;
    b->mode = mode;
    b->len1 = off;
    b->len2 = len2;
    b->phys2 = len2 ? (phys2 & ~BUS_PAGE_MASK) : 0;
    b->valid = true;
    b->jc_slot = JC_NONE;
    b->lin_pc = 0;
    b->n = (uint16_t)n;
    memcpy(b->insns, insns, n * sizeof(DecodedInsn));

    b->all_prev = NULL;
    b->all_next = tb->all;
    if (tb->all) tb->all->all_prev = b;
    tb->all = b;
    unsigned h = hash_key(phys, b->cs_base, mode);
    b->hash_next = tb->hash[h];
    tb->hash[h] = b;
    uint32_t pn = phys >> BUS_PAGE_BITS;
    b->page_next[0] = tb->page_blocks[pn];
    tb->page_blocks[pn] = b;
    bus_mark_code(cpu->bus, phys);
    if (len2) {
        uint32_t pn2 = b->phys2 >> BUS_PAGE_BITS;
        b->page_next[1] = tb->page_blocks[pn2];
        tb->page_blocks[pn2] = b;
        bus_mark_code(cpu->bus, b->phys2);
    } else {
        b->page_next[1] = NULL;
    }
    tb->stats.blocks_decoded++;
    if (log_enabled(LOG_IN_ASM)) log_block(cpu, b, cpu->eip);
    return b;
}

static Block *find_block(Translator *tb)
{
    Cpu *cpu = tb->cpu;
    uint32_t cs_base = cpu->seg[S_CS].base;
    uint32_t lin = cs_base + cpu->eip;
    uint32_t mode = cpu_mode_key(cpu);
    if (__builtin_expect(cpu->eip > cpu->seg[S_CS].limit, 0)) cpu_exception(cpu, EXC_GP, 0);
    Block *b = tb->jc[jc_index(lin)];
    if (b && b->lin_pc == lin && b->cs_base == cs_base && b->mode == mode) return b;
    /* The fetch at the current privilege: #PF with the fetch's error code. */
    uint32_t phys = cpu_fetch_phys(cpu, lin);
    tb->stats.lookups++;
    for (b = tb->hash[hash_key(phys, cs_base, mode)]; b; b = b->hash_next)
        if (b->phys == phys && b->cs_base == cs_base && b->mode == mode) {
            /* A block whose (only) instruction runs into the next page is
             * valid only while that page still maps to the same place; the
             * fetch may also fault there (the instruction's #PF). */
            if (!b->len2 ||
                (cpu_fetch_phys(cpu, (lin | BUS_PAGE_MASK) + 1) & ~BUS_PAGE_MASK) == b->phys2)
                break;
        }
    if (!b) b = decode_block(tb, phys, mode);
    if (b) jc_insert(tb, b, lin);
    return b;
}

/* Runs at most max instructions of b. */
static void run_block(Translator *tb, Block *b, unsigned max)
{
    Cpu *cpu = tb->cpu;
    uint32_t ip_mask = (b->mode & 1) ? 0xFFFFFFFFu : 0xFFFFu;
    unsigned n = b->n < max ? b->n : max;
    tb->running = b;
    cpu->stop_block = false;
    for (unsigned i = 0; i < n; i++) {
        const DecodedInsn *d = &b->insns[i];
        uint32_t next = (cpu->eip + d->len) & ip_mask;
        cpu->next_eip = next;
        d->fn(cpu, d);
        cpu->eip = cpu->next_eip;
        cpu->icount++;
        if (__builtin_expect(cpu->stop_block || cpu->eip != next, 0)) break;
    }
    tb->running = NULL;
}

/* The #DB trap after an instruction: the single step (TF set when it
 * began: DR6.BS) and the data and I/O breakpoints it hit (DR6.B0-B3),
 * reported together in one exception (SDM Vol. 3 17.3.1). */
static void debug_trap(Cpu *cpu, bool step, uint8_t hits)
{
    if (step) cpu->dr[6] |= 1u << 14; /* BS */
    cpu->dr[6] |= hits;
    if (log_enabled(LOG_INT))
        log_printf("debug trap (%s%s) at %04x:%08x\n", step ? "single step" : "",
                   hits ? " breakpoint" : "", cpu->seg[S_CS].sel, cpu->eip);
    cpu_interrupt(cpu, EXC_DB, false, false, 0);
}

/* Instruction breakpoints: a #DB fault before the instruction at a linear
 * address in an enabled DRn with R/W = 00 (SDM Vol. 3 17.3.1.1). */
static void code_breakpoint_check(Cpu *cpu)
{
    uint32_t lin = cpu->seg[S_CS].base + cpu->eip;
    uint8_t hit = 0;
    for (unsigned i = 0; i < 4; i++)
        if ((cpu->dbg_code_bps & (1u << i)) && cpu->dr[i] == lin) hit |= (uint8_t)(1u << i);
    if (!hit) return;
    cpu->dr[6] = (cpu->dr[6] & ~0xFu) | hit;
    cpu_fault(cpu, EXC_DB);
}

CpuExit tb_exec(Translator *tb)
{
    Cpu *cpu = tb->cpu;
    sigjmp_buf jb;
    sigjmp_buf *saved = cpu->jmp;
    cpu->jmp = &jb;

    if (sigsetjmp(jb, 0)) {
        /* A guest fault: EIP still holds the faulting instruction. */
        tb->running = NULL;
        tb->stats.exceptions++;
        cpu->dbg_hit = 0; /* a faulting instruction does not complete its accesses */
        /* Delivering an exception takes guest time like an instruction: a
         * handler that faults again at once must not freeze the clock (the
         * stop point and every timer would never come). */
        cpu->icount++;
        cpu->halted = false;
        if (!cpu_deliver_exception(cpu)) {
            if (log_enabled(LOG_INT)) cpu_dump_state(cpu, log_file());
            cpu->jmp = saved;
            return CPU_EXIT_SHUTDOWN;
        }
    }

    for (;;) {
        if (__builtin_expect(tb->graveyard != NULL, 0)) free_graveyard(tb);
        if (__builtin_expect(cpu->icount >= cpu->clock->stop_insns || cpu->shutdown, 0)) {
            cpu->jmp = saved;
            return cpu->shutdown ? CPU_EXIT_SHUTDOWN : CPU_EXIT_STOP;
        }
        if (__builtin_expect(cpu->nmi_pending || (cpu->intr && (cpu->eflags & F_IF)), 0)) {
            if (cpu_check_interrupts(cpu)) tb->stats.interrupts++;
        }
        if (__builtin_expect(cpu->halted, 0)) {
            cpu->jmp = saved;
            return CPU_EXIT_HALT;
        }
        if (__builtin_expect(log_mask_ & LOG_CPU, 0)) cpu_dump_state(cpu, log_file());
        bool tf = (cpu->eflags & F_TF) != 0;
        bool dbg = (cpu->dbg_code_bps | cpu->dbg_data_bps | cpu->dbg_io_bps) != 0;
        unsigned max = (cpu->inhibit_irq || tf || dbg || tb->single_step) ? 1 : TB_MAX_INSNS;
        if (__builtin_expect(cpu->dbg_code_bps != 0, 0) && !(cpu->eflags & F_RF))
            code_breakpoint_check(cpu);
        bool rf = (cpu->eflags & F_RF) != 0;
        Block *b = find_block(tb);
        if (!b) {
            fprintf(stderr, "brisk: out of memory for a code block\n");
            cpu->shutdown = true;
            continue;
        }
        if (log_enabled(LOG_EXEC))
            log_printf("Trace: %04x:%08x [%08x]\n", cpu->seg[S_CS].sel, cpu->eip, b->phys);
        cpu->inhibit_irq = false;
        run_block(tb, b, max);
        /* RF suppresses instruction breakpoints for one instruction: clear
         * it once an instruction started with it has completed (an IRET
         * that loads RF = 1 keeps it for the next one). */
        if (rf) cpu->eflags &= ~F_RF;
        if (cpu->inhibit_next) {
            cpu->inhibit_next = false;
            cpu->inhibit_irq = true;
        }
        /* MOV SS and POP SS hold the single-step trap too (SDM Vol. 3
         * 6.8.3): it comes after the next instruction instead. STI does not. */
        bool ss_shadow = cpu->ss_shadow;
        cpu->ss_shadow = false;
        uint8_t hits = cpu->dbg_hit;
        cpu->dbg_hit = 0;
        bool step = tf && !ss_shadow;
        if ((step || hits) && !cpu->shutdown) debug_trap(cpu, step, hits);
    }
}
