/*
 * mmu.c - the slow paths of guest memory access: segment checks that the
 * inline path does not cover, linear -> physical translation, the soft TLB
 * fill, page-crossing and MMIO accesses.
 *
 * SDM Vol. 3 section 5.3 (limit checking, expand-down segments), 5.4-5.5
 * (type and privilege checks on data access), 20.1 (real mode: the A20
 * line masks physical bit 20).
 *
 * Known deviations: paging (CR0.PG) arrives with the protected-mode work;
 * until then CR0.PG cannot be set (MOV CR0 refuses it with #GP, as it does
 * without PE).
 */
#include "cpu/mem.h"

#include "devices/core/log.h"

_Noreturn void cpu_seg_fault(Cpu *cpu, int seg)
{
    cpu_exception(cpu, seg == S_SS ? EXC_SS : EXC_GP, 0);
}

void cpu_seg_check_slow(Cpu *cpu, int seg, uint32_t off, unsigned size, bool write)
{
    const SegReg *s = &cpu->seg[seg];
    uint32_t last = off + size - 1;
    if ((cpu->cr[0] & CR0_PE) && !(cpu->eflags & F_VM)) {
        /* A null or otherwise unusable selector leaves P clear. */
        if (!(s->attr & SEG_P)) cpu_seg_fault(cpu, seg);
        if (s->attr & SEG_CODE) {
            if (write || !(s->attr & SEG_RW)) cpu_seg_fault(cpu, seg);
        } else if (write && !(s->attr & SEG_RW)) {
            cpu_seg_fault(cpu, seg);
        }
    }
    if ((s->attr & (SEG_CODE | SEG_DC)) == SEG_DC) {
        /* Expand-down: valid offsets are limit+1 .. 0xFFFF or 0xFFFFFFFF. */
        uint32_t upper = (s->attr & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        if (off <= s->limit || last > upper || last < off) cpu_seg_fault(cpu, seg);
    } else {
        if (off > s->limit || s->limit - off < size - 1) cpu_seg_fault(cpu, seg);
    }
}

uint32_t cpu_translate(Cpu *cpu, uint32_t lin, bool write, bool user)
{
    (void)write;
    (void)user;
    return lin & cpu->a20_mask;
}

void cpu_tlb_fill(Cpu *cpu, uint32_t lin, bool write)
{
    uint32_t page = lin & ~0xFFFu;
    uint32_t phys = cpu_translate(cpu, page, write, cpu->cpl == 3);
    uint8_t *host = bus_page_host(cpu->bus, phys);
    TlbEntry *e = &cpu->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    if (!host) return; /* MMIO or unmapped: every access goes to the bus */
    /* With A20 off, the page at 1 MiB aliases page 0 by whole pages, so
     * page-granular entries are exact. */
    e->addend = (uintptr_t)host - page;
    e->tag_read = page;
    e->tag_write =
        (bus_page_flags(cpu->bus, phys) & (PAGE_READONLY | PAGE_CODE)) ? TLB_INVALID : page;
}

uint32_t cpu_read_slow(Cpu *cpu, uint32_t lin, unsigned size)
{
    if ((lin & 0xFFF) + size > 0x1000) {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++) v |= (uint32_t)cpu_lrd8(cpu, lin + i) << (8 * i);
        return v;
    }
    uint32_t phys = cpu_translate(cpu, lin, false, cpu->cpl == 3);
    if (bus_page_host(cpu->bus, phys)) {
        cpu_tlb_fill(cpu, lin, false);
        uint8_t *p = cpu_tlb_read_ptr(cpu, lin, size);
        if (p) {
            uint32_t v = 0;
            memcpy(&v, p, size);
            return v;
        }
    }
    return bus_read(cpu->bus, phys, size);
}

void cpu_write_slow(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size)
{
    if ((lin & 0xFFF) + size > 0x1000) {
        /* Translate both pages before writing anything, so that a fault on
         * the second page leaves memory unchanged. */
        cpu_translate(cpu, lin, true, cpu->cpl == 3);
        cpu_translate(cpu, (lin + size - 1), true, cpu->cpl == 3);
        for (unsigned i = 0; i < size; i++) cpu_lwr8(cpu, lin + i, (uint8_t)(val >> (8 * i)));
        return;
    }
    uint32_t phys = cpu_translate(cpu, lin, true, cpu->cpl == 3);
    uint8_t fl = bus_page_flags(cpu->bus, phys);
    if (bus_page_host(cpu->bus, phys) && !(fl & (PAGE_READONLY | PAGE_CODE))) {
        cpu_tlb_fill(cpu, lin, true);
        uint8_t *p = cpu_tlb_write_ptr(cpu, lin, size);
        if (p) {
            memcpy(p, &val, size);
            return;
        }
    }
    /* ROM (dropped), MMIO, unmapped, or a page holding decoded code (the
     * bus calls the translator's code-write hook). */
    bus_write(cpu->bus, phys, val, size);
}
