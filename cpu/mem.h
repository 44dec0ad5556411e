/*
 * mem.h - guest memory access from instruction handlers.
 *
 * Every access goes segment -> linear -> (paging) -> physical. The fast
 * path is inline: a segment limit check, then the soft TLB (tag compare and
 * add) to a host pointer. A miss, an MMIO page, a write to a page holding
 * decoded code, a write to a page whose dirty bit is still clear, or an
 * access that crosses a page takes the slow path in cpu/mmu.c, which may
 * raise #GP/#SS/#PF through cpu_exception().
 *
 * Privilege: paging checks (U/S, R/W) depend on whether an access is a
 * user access. The ordinary functions below (cpu_rd*, cpu_wr*, cpu_lrd*,
 * cpu_lwr*, cpu_push*, cpu_pop*) make an access at the current privilege:
 * a user access at CPL 3, a supervisor access otherwise. The accesses the
 * CPU makes for itself - GDT/LDT descriptors (and their accessed bits), the
 * IDT, the TSS (stack pointers for a privilege change, the I/O bitmap, a
 * task switch's state save and load) - are supervisor accesses whatever the
 * CPL (SDM Vol. 3 4.6 "implicit supervisor-mode accesses") and must use the
 * *_sys functions. Pushes onto a more privileged stack are ordinary
 * accesses made once CPL has changed (or *_sys ones before it changes).
 *
 *   uint16_t v = cpu_rd16(cpu, S_DS, off);   // DS:off, limit-checked
 *   cpu_wr32(cpu, S_ES, edi, v);
 *   cpu_push16(cpu, cpu->seg[S_CS].sel);
 *   uint32_t w = cpu_lrd32_sys(cpu, cpu->idtr.base + 8 * vec);  // system access
 */
#ifndef BRISK_MEM_H
#define BRISK_MEM_H

#include <string.h>

#include "cpu/cpu.h"

/* Slow paths (cpu/mmu.c). user: the TLB set and the paging rights to use. */
uint32_t cpu_read_slow(Cpu *cpu, uint32_t lin, unsigned size, bool user);
void cpu_write_slow(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size, bool user);
/* Segment check failure: raises #GP(0) or #SS(0) (for SS). */
_Noreturn void cpu_seg_fault(Cpu *cpu, int seg);
/* Full segment check for the unusual cases (expand-down, segments whose
 * type does not allow the access in protected mode, a clear P bit);
 * returns when the access is allowed. */
void cpu_seg_check_slow(Cpu *cpu, int seg, uint32_t off, unsigned size, bool write);
/* Linear -> physical for one byte at lin: the page walk of SDM Vol. 3 4.3
 * (4 KiB and 4 MiB pages) with its rights checks, accessed/dirty updates
 * and #PF (CR2 = lin), or lin & A20 without paging. Goes through the TLB
 * and fills it. user: a user-mode access (CPL 3, not a system access). */
uint32_t cpu_translate(Cpu *cpu, uint32_t lin, bool write, bool user);
/* Instruction fetch at the current privilege (the translator): the same,
 * as a read. */
uint32_t cpu_fetch_phys(Cpu *cpu, uint32_t lin);
/* Debugger and log view: the physical address of lin, without faults and
 * without touching accessed/dirty bits or the TLB. False if not mapped. */
bool cpu_translate_debug(Cpu *cpu, uint32_t lin, uint32_t *phys);
/* Translates lin (may raise #PF) and fills its TLB entry at the current
 * privilege. */
void cpu_tlb_fill(Cpu *cpu, uint32_t lin, bool write);

/* Offset -> linear address with the segment checked. The inline path takes
 * a present code or data segment whose type alone allows the access in
 * protected mode: expand-up data (writable data for writes) or readable
 * code (for reads). Real and virtual-8086 mode allow a superset of that,
 * so the rule holds in every mode; everything else (expand-down segments,
 * CS writes in real mode, anything that faults) goes to the slow check. */
static inline bool cpu_seg_fast(const SegReg *s, bool write)
{
    uint32_t a = s->attr & (SEG_P | SEG_S | SEG_CODE | SEG_DC | SEG_RW);
    if (write) return a == (SEG_P | SEG_S | SEG_RW);
    /* Type bits RW, DC, CODE as an index: data up (0, 1), readable code
     * (5: RW|CODE, 7: RW|DC|CODE). */
    return (a & (SEG_P | SEG_S)) == (SEG_P | SEG_S) && ((0xA3u >> ((a >> 1) & 7)) & 1);
}

static inline uint32_t cpu_seg_linear(Cpu *cpu, int seg, uint32_t off, unsigned size, bool write)
{
    const SegReg *s = &cpu->seg[seg];
    if (__builtin_expect(!cpu_seg_fast(s, write), 0))
        cpu_seg_check_slow(cpu, seg, off, size, write);
    else if (__builtin_expect(off > s->limit || s->limit - off < size - 1, 0))
        cpu_seg_fault(cpu, seg);
    return s->base + off;
}

/* The TLB set for an access at the current privilege: 1 (user) at CPL 3. */
static inline bool cpu_user_access(const Cpu *cpu)
{
    return cpu->cpl == 3;
}

static inline uint8_t *cpu_tlb_read_ptr_pl(Cpu *cpu, uint32_t lin, unsigned size, bool user)
{
    TlbEntry *e = &cpu->tlb_set[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e->tag_read == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size, 1))
        return (uint8_t *)(e->addend + lin);
    return NULL;
}

static inline uint8_t *cpu_tlb_write_ptr_pl(Cpu *cpu, uint32_t lin, unsigned size, bool user)
{
    TlbEntry *e = &cpu->tlb_set[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e->tag_write == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size, 1))
        return (uint8_t *)(e->addend + lin);
    return NULL;
}

/* Host pointers for size bytes at lin at the current privilege, or NULL
 * (the caller then uses the ordinary access functions). */
static inline uint8_t *cpu_tlb_read_ptr(Cpu *cpu, uint32_t lin, unsigned size)
{
    return cpu_tlb_read_ptr_pl(cpu, lin, size, cpu_user_access(cpu));
}
static inline uint8_t *cpu_tlb_write_ptr(Cpu *cpu, uint32_t lin, unsigned size)
{
    return cpu_tlb_write_ptr_pl(cpu, lin, size, cpu_user_access(cpu));
}

/* Host loads and stores of 1, 2 or 4 bytes. Spelled out per size because a
 * memcpy of a size only known at run time (rm_read's operand size) turns
 * into a byte loop; with a constant size the branches fold away. */
static inline uint32_t cpu_host_load(const uint8_t *p, unsigned size)
{
    if (size == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    if (size == 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    if (size == 1) return *p;
    uint32_t v = 0;
    memcpy(&v, p, size);
    return v;
}
static inline void cpu_host_store(uint8_t *p, uint32_t val, unsigned size)
{
    if (size == 4) {
        memcpy(p, &val, 4);
    } else if (size == 2) {
        uint16_t v = (uint16_t)val;
        memcpy(p, &v, 2);
    } else if (size == 1) {
        *p = (uint8_t)val;
    } else {
        memcpy(p, &val, size);
    }
}

/* Linear-address accesses with an explicit privilege. The hit test is
 * spelled out (not through the _ptr functions) so that no NULL test of the
 * resulting pointer is left on the fast path. */
static inline uint32_t cpu_lrd_pl(Cpu *cpu, uint32_t lin, unsigned size, bool user)
{
    const TlbEntry *e = &cpu->tlb_set[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e->tag_read == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size, 1))
        return cpu_host_load((const uint8_t *)(e->addend + lin), size);
    return cpu_read_slow(cpu, lin, size, user);
}
static inline void cpu_lwr_pl(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size, bool user)
{
    const TlbEntry *e = &cpu->tlb_set[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (__builtin_expect(e->tag_write == (lin & ~0xFFFu) && (lin & 0xFFF) <= 0x1000 - size, 1)) {
        cpu_host_store((uint8_t *)(e->addend + lin), val, size);
        return;
    }
    cpu_write_slow(cpu, lin, val, size, user);
}

/* Linear-address accesses at the current privilege (data the program
 * itself addresses, once the segment part is done). */
static inline uint32_t cpu_lrd(Cpu *cpu, uint32_t lin, unsigned size)
{
    return cpu_lrd_pl(cpu, lin, size, cpu_user_access(cpu));
}
static inline void cpu_lwr(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size)
{
    cpu_lwr_pl(cpu, lin, val, size, cpu_user_access(cpu));
}
static inline uint8_t cpu_lrd8(Cpu *cpu, uint32_t lin)
{
    return (uint8_t)cpu_lrd(cpu, lin, 1);
}
static inline uint16_t cpu_lrd16(Cpu *cpu, uint32_t lin)
{
    return (uint16_t)cpu_lrd(cpu, lin, 2);
}
static inline uint32_t cpu_lrd32(Cpu *cpu, uint32_t lin)
{
    return cpu_lrd(cpu, lin, 4);
}
static inline void cpu_lwr8(Cpu *cpu, uint32_t lin, uint8_t v)
{
    cpu_lwr(cpu, lin, v, 1);
}
static inline void cpu_lwr16(Cpu *cpu, uint32_t lin, uint16_t v)
{
    cpu_lwr(cpu, lin, v, 2);
}
static inline void cpu_lwr32(Cpu *cpu, uint32_t lin, uint32_t v)
{
    cpu_lwr(cpu, lin, v, 4);
}

/* System accesses: supervisor whatever the CPL (descriptor tables, IDT,
 * TSS). Use these, not cpu_lrd/cpu_lwr, for every structure the CPU reads
 * or writes on its own behalf. */
static inline uint32_t cpu_lrd_sys(Cpu *cpu, uint32_t lin, unsigned size)
{
    return cpu_lrd_pl(cpu, lin, size, false);
}
static inline void cpu_lwr_sys(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size)
{
    cpu_lwr_pl(cpu, lin, val, size, false);
}
static inline uint8_t cpu_lrd8_sys(Cpu *cpu, uint32_t lin)
{
    return (uint8_t)cpu_lrd_sys(cpu, lin, 1);
}
static inline uint16_t cpu_lrd16_sys(Cpu *cpu, uint32_t lin)
{
    return (uint16_t)cpu_lrd_sys(cpu, lin, 2);
}
static inline uint32_t cpu_lrd32_sys(Cpu *cpu, uint32_t lin)
{
    return cpu_lrd_sys(cpu, lin, 4);
}
static inline void cpu_lwr8_sys(Cpu *cpu, uint32_t lin, uint8_t v)
{
    cpu_lwr_sys(cpu, lin, v, 1);
}
static inline void cpu_lwr16_sys(Cpu *cpu, uint32_t lin, uint16_t v)
{
    cpu_lwr_sys(cpu, lin, v, 2);
}
static inline void cpu_lwr32_sys(Cpu *cpu, uint32_t lin, uint32_t v)
{
    cpu_lwr_sys(cpu, lin, v, 4);
}

/* Segment:offset accesses. */
static inline uint32_t cpu_rd(Cpu *cpu, int seg, uint32_t off, unsigned size)
{
    return cpu_lrd(cpu, cpu_seg_linear(cpu, seg, off, size, false), size);
}
static inline void cpu_wr(Cpu *cpu, int seg, uint32_t off, uint32_t val, unsigned size)
{
    cpu_lwr(cpu, cpu_seg_linear(cpu, seg, off, size, true), val, size);
}
static inline uint8_t cpu_rd8(Cpu *cpu, int seg, uint32_t off)
{
    return (uint8_t)cpu_rd(cpu, seg, off, 1);
}
static inline uint16_t cpu_rd16(Cpu *cpu, int seg, uint32_t off)
{
    return (uint16_t)cpu_rd(cpu, seg, off, 2);
}
static inline uint32_t cpu_rd32(Cpu *cpu, int seg, uint32_t off)
{
    return cpu_rd(cpu, seg, off, 4);
}
static inline void cpu_wr8(Cpu *cpu, int seg, uint32_t off, uint8_t v)
{
    cpu_wr(cpu, seg, off, v, 1);
}
static inline void cpu_wr16(Cpu *cpu, int seg, uint32_t off, uint16_t v)
{
    cpu_wr(cpu, seg, off, v, 2);
}
static inline void cpu_wr32(Cpu *cpu, int seg, uint32_t off, uint32_t v)
{
    cpu_wr(cpu, seg, off, v, 4);
}

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
static inline void cpu_push16(Cpu *cpu, uint16_t v)
{
    cpu_push(cpu, v, 2);
}
static inline void cpu_push32(Cpu *cpu, uint32_t v)
{
    cpu_push(cpu, v, 4);
}
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
static inline uint16_t cpu_pop16(Cpu *cpu)
{
    return (uint16_t)cpu_pop(cpu, 2);
}
static inline uint32_t cpu_pop32(Cpu *cpu)
{
    return cpu_pop(cpu, 4);
}

#endif
