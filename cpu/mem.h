/*
 * mem.h - guest memory access from instruction handlers.
 *
 * Every access goes segment -> linear -> (paging) -> physical. The fast
 * path is inline: a segment limit check, then the soft TLB (tag compare and
 * add) to a host pointer. A miss, an MMIO page, a write to a page holding
 * decoded code, or an access that crosses a page takes the slow path in
 * cpu/mmu.c, which may raise #GP/#SS/#PF through cpu_exception().
 *
 *   uint16_t v = cpu_rd16(cpu, S_DS, off);   // DS:off, limit-checked
 *   cpu_wr32(cpu, S_ES, edi, v);
 *   cpu_push16(cpu, cpu->seg[S_CS].sel);
 *   uint32_t w = cpu_lrd32(cpu, idt_base + 8 * vec);   // linear, system access
 */
#ifndef BRISK_MEM_H
#define BRISK_MEM_H

#include <string.h>

#include "cpu/cpu.h"

/* Slow paths (cpu/mmu.c). */
uint32_t cpu_read_slow(Cpu *cpu, uint32_t lin, unsigned size);
void cpu_write_slow(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size);
/* Segment check failure: raises #GP(0) or #SS(0) (for SS). */
_Noreturn void cpu_seg_fault(Cpu *cpu, int seg);
/* Full segment check for the unusual cases (expand-down, protected-mode
 * rights); returns when the access is allowed. */
void cpu_seg_check_slow(Cpu *cpu, int seg, uint32_t off, unsigned size, bool write);
/* Linear -> physical for an access (raises #PF when paging says so).
 * Also used by the translator for instruction fetch (write = false). */
uint32_t cpu_translate(Cpu *cpu, uint32_t lin, bool write, bool user);
/* Fills the TLB entry for lin if the page is plain RAM/ROM. */
void cpu_tlb_fill(Cpu *cpu, uint32_t lin, bool write);

/* Offset -> linear address with the segment limit checked. Expand-up data
 * and code segments (all of real mode) take the inline path. */
static inline uint32_t cpu_seg_linear(Cpu *cpu, int seg, uint32_t off, unsigned size, bool write)
{
    const SegReg *s = &cpu->seg[seg];
    if (__builtin_expect((s->attr & (SEG_CODE | SEG_DC)) == SEG_DC || (cpu->cr[0] & CR0_PE), 0))
        cpu_seg_check_slow(cpu, seg, off, size, write);
    else if (__builtin_expect(off > s->limit || s->limit - off < size - 1, 0))
        cpu_seg_fault(cpu, seg);
    return s->base + off;
}

static inline uint8_t *cpu_tlb_read_ptr(Cpu *cpu, uint32_t lin, unsigned size)
{
    TlbEntry *e = &cpu->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e->tag_read == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size, 1))
        return (uint8_t *)(e->addend + lin);
    return NULL;
}

static inline uint8_t *cpu_tlb_write_ptr(Cpu *cpu, uint32_t lin, unsigned size)
{
    TlbEntry *e = &cpu->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e->tag_write == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size, 1))
        return (uint8_t *)(e->addend + lin);
    return NULL;
}

/* Linear-address accesses (descriptor tables, IVT, stack frames built by
 * the CPU itself). */
static inline uint32_t cpu_lrd(Cpu *cpu, uint32_t lin, unsigned size)
{
    uint8_t *p = cpu_tlb_read_ptr(cpu, lin, size);
    if (p) {
        uint32_t v = 0;
        memcpy(&v, p, size);
        return v;
    }
    return cpu_read_slow(cpu, lin, size);
}
static inline void cpu_lwr(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size)
{
    uint8_t *p = cpu_tlb_write_ptr(cpu, lin, size);
    if (p) {
        memcpy(p, &val, size);
        return;
    }
    cpu_write_slow(cpu, lin, val, size);
}
static inline uint8_t cpu_lrd8(Cpu *cpu, uint32_t lin) { return (uint8_t)cpu_lrd(cpu, lin, 1); }
static inline uint16_t cpu_lrd16(Cpu *cpu, uint32_t lin) { return (uint16_t)cpu_lrd(cpu, lin, 2); }
static inline uint32_t cpu_lrd32(Cpu *cpu, uint32_t lin) { return cpu_lrd(cpu, lin, 4); }
static inline void cpu_lwr8(Cpu *cpu, uint32_t lin, uint8_t v) { cpu_lwr(cpu, lin, v, 1); }
static inline void cpu_lwr16(Cpu *cpu, uint32_t lin, uint16_t v) { cpu_lwr(cpu, lin, v, 2); }
static inline void cpu_lwr32(Cpu *cpu, uint32_t lin, uint32_t v) { cpu_lwr(cpu, lin, v, 4); }

/* Segment:offset accesses. */
static inline uint32_t cpu_rd(Cpu *cpu, int seg, uint32_t off, unsigned size)
{
    return cpu_lrd(cpu, cpu_seg_linear(cpu, seg, off, size, false), size);
}
static inline void cpu_wr(Cpu *cpu, int seg, uint32_t off, uint32_t val, unsigned size)
{
    cpu_lwr(cpu, cpu_seg_linear(cpu, seg, off, size, true), val, size);
}
static inline uint8_t cpu_rd8(Cpu *cpu, int seg, uint32_t off) { return (uint8_t)cpu_rd(cpu, seg, off, 1); }
static inline uint16_t cpu_rd16(Cpu *cpu, int seg, uint32_t off) { return (uint16_t)cpu_rd(cpu, seg, off, 2); }
static inline uint32_t cpu_rd32(Cpu *cpu, int seg, uint32_t off) { return cpu_rd(cpu, seg, off, 4); }
static inline void cpu_wr8(Cpu *cpu, int seg, uint32_t off, uint8_t v) { cpu_wr(cpu, seg, off, v, 1); }
static inline void cpu_wr16(Cpu *cpu, int seg, uint32_t off, uint16_t v) { cpu_wr(cpu, seg, off, v, 2); }
static inline void cpu_wr32(Cpu *cpu, int seg, uint32_t off, uint32_t v) { cpu_wr(cpu, seg, off, v, 4); }

/* The stack. SS.B selects ESP or SP; a push writes first and moves the
 * stack pointer only when the write succeeded, so a fault leaves ESP as it
 * was. */
static inline uint32_t cpu_sp(const Cpu *cpu)
{
    return cpu->stack32 ? cpu->regs[R_ESP] : (cpu->regs[R_ESP] & 0xFFFF);
}
static inline void cpu_set_sp(Cpu *cpu, uint32_t sp)
{
    if (cpu->stack32)
        cpu->regs[R_ESP] = sp;
    else
        cpu->regs[R_ESP] = (cpu->regs[R_ESP] & 0xFFFF0000u) | (sp & 0xFFFF);
}
static inline uint32_t cpu_sp_add(const Cpu *cpu, int32_t delta)
{
    uint32_t sp = cpu_sp(cpu) + (uint32_t)delta;
    return cpu->stack32 ? sp : (sp & 0xFFFF);
}
static inline void cpu_push(Cpu *cpu, uint32_t val, unsigned size)
{
    uint32_t sp = cpu_sp_add(cpu, -(int32_t)size);
    cpu_wr(cpu, S_SS, sp, val, size);
    cpu_set_sp(cpu, sp);
}
static inline void cpu_push16(Cpu *cpu, uint16_t v) { cpu_push(cpu, v, 2); }
static inline void cpu_push32(Cpu *cpu, uint32_t v) { cpu_push(cpu, v, 4); }
/* Reads the value n bytes above the stack top without popping. */
static inline uint32_t cpu_stack_peek(Cpu *cpu, uint32_t above, unsigned size)
{
    return cpu_rd(cpu, S_SS, cpu_sp_add(cpu, (int32_t)above), size);
}
static inline uint32_t cpu_pop(Cpu *cpu, unsigned size)
{
    uint32_t v = cpu_rd(cpu, S_SS, cpu_sp(cpu), size);
    cpu_set_sp(cpu, cpu_sp_add(cpu, (int32_t)size));
    return v;
}
static inline uint16_t cpu_pop16(Cpu *cpu) { return (uint16_t)cpu_pop(cpu, 2); }
static inline uint32_t cpu_pop32(Cpu *cpu) { return cpu_pop(cpu, 4); }

#endif
