/*
 * seg.c - protected-mode segmentation: descriptor table reads, the hidden
 * descriptor caches, the accessed bit, the segment register load rules,
 * checked stacks for privilege changes and the TSS stack pointers.
 *
 * SDM Vol. 3: 3.4.2-3.4.5 (selectors, descriptor tables, descriptors, the
 * accessed bit), 3.5 (system descriptor types), 5.3-5.8 (limit, type and
 * privilege checks; 5.8.5 the stack switch on an inter-privilege call),
 * 7.2.1 (the 32-bit and 16-bit TSS layouts: SS0-SS2 and ESP0-ESP2 or
 * SP0-SP2); Vol. 2 MOV, POP, LDS/LES/LFS/LGS/LSS
 * (the load checks and their error codes) and RET (the data segment
 * nulling on a return to an outer level).
 *
 * Known deviations:
 * - A null selector load keeps the selector and clears the cache (attr 0,
 *   base 0, limit 0); a P6 keeps base and limit but marks the cache
 *   unusable, which no program can observe.
 * - The accessed bit is written with an ordinary byte write (not a locked
 *   read-modify-write cycle); Brisk has one CPU, so nobody can tell.
 */
#include "cpu/seg.h"

#include "cpu/mem.h"

uint32_t seg_sys_read(Cpu *cpu, uint32_t lin, unsigned size)
{
    return cpu_lrd_sys(cpu, lin, size);
}

void seg_sys_write(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size)
{
    cpu_lwr_sys(cpu, lin, val, size);
}

/* ---- descriptor tables ------------------------------------------------- */

bool seg_desc_addr(Cpu *cpu, uint16_t sel, uint32_t *lin)
{
    uint32_t index = sel & 0xFFF8u;
    if (sel & SEL_TI) {
        /* An LDT loaded with a null selector (or never usable) has P clear:
         * every TI = 1 selector is then beyond its limit. */
        if (!(cpu->ldtr.attr & SEG_P)) return false;
        if (index + 7 > cpu->ldtr.limit) return false;
        *lin = cpu->ldtr.base + index;
    } else {
        if (index + 7 > cpu->gdtr.limit) return false;
        *lin = cpu->gdtr.base + index;
    }
    return true;
}

bool seg_read_desc(Cpu *cpu, uint16_t sel, SegDesc *d)
{
    uint32_t lin;
    if (!seg_desc_addr(cpu, sel, &lin)) return false;
    d->lo = seg_sys_read(cpu, lin, 4);
    d->hi = seg_sys_read(cpu, lin + 4, 4);
    return true;
}

void seg_fetch_desc(Cpu *cpu, uint16_t sel, SegDesc *d, int vector, uint32_t ext)
{
    if (!seg_read_desc(cpu, sel, d)) cpu_exception(cpu, vector, SEL_ERR(sel) | ext);
}

void seg_set_accessed(Cpu *cpu, uint16_t sel, SegDesc *d)
{
    if (!seg_desc_s(d) || (d->hi & (1u << 8))) return;
    d->hi |= 1u << 8;
    uint32_t lin;
    if (seg_desc_addr(cpu, sel, &lin)) seg_sys_write(cpu, lin + 5, (d->hi >> 8) & 0xFF, 1);
}

/* ---- caches ------------------------------------------------------------ */

void seg_cache_load(SegReg *s, uint16_t sel, const SegDesc *d)
{
    s->sel = sel;
    s->base = seg_desc_base(d);
    s->limit = seg_desc_limit(d);
    s->attr = seg_desc_attr(d);
}

void seg_cache_null(SegReg *s, uint16_t sel)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0;
    s->attr = 0;
}

void seg_load_real(Cpu *cpu, int seg, uint16_t sel, bool v86)
{
    SegReg *s = &cpu->seg[seg];
    s->sel = sel;
    s->base = (uint32_t)sel << 4;
    if (v86) {
        /* Every virtual-8086 segment is a 64 KiB read/write segment at
         * privilege 3 (SDM Vol. 3 20.1.1); CS is code. */
        s->limit = 0xFFFF;
        s->attr = (uint16_t)(SEG_P | SEG_S | SEG_RW | SEG_A | (3u << SEG_DPL_SHIFT) |
                             (seg == S_CS ? SEG_CODE : 0));
    }
}

/* ---- the load rules ------------------------------------------------------ */

void seg_load_checked(Cpu *cpu, int seg, uint16_t sel, unsigned cpl, int fault_vec)
{
    SegDesc d;
    uint32_t err = SEL_ERR(sel);
    unsigned rpl = SEL_RPL(sel);

    if (SEL_IS_NULL(sel)) {
        /* A null selector: allowed for the data registers (any access
         * through it then faults), never for SS or CS. */
        if (seg == S_SS || seg == S_CS) cpu_exception(cpu, fault_vec, 0);
        seg_cache_null(&cpu->seg[seg], sel);
        return;
    }
    seg_fetch_desc(cpu, sel, &d, fault_vec, 0);
    unsigned dpl = seg_desc_dpl(&d);

    if (seg == S_SS) {
        if (rpl != cpl || !seg_desc_writable_data(&d) || dpl != cpl)
            cpu_exception(cpu, fault_vec, err);
        if (!seg_desc_present(&d)) cpu_exception(cpu, EXC_SS, err);
    } else if (seg == S_CS) {
        if (!seg_desc_is_code(&d)) cpu_exception(cpu, fault_vec, err);
        if (seg_desc_conforming(&d) ? dpl > cpl : dpl != cpl) cpu_exception(cpu, fault_vec, err);
        if (!seg_desc_present(&d)) cpu_exception(cpu, EXC_NP, err);
    } else {
        if (!seg_desc_readable(&d)) cpu_exception(cpu, fault_vec, err);
        /* Conforming code may be read from any level; data and
         * non-conforming code need DPL >= both CPL and RPL. */
        if (!seg_desc_conforming(&d) && (dpl < cpl || dpl < rpl))
            cpu_exception(cpu, fault_vec, err);
        if (!seg_desc_present(&d)) cpu_exception(cpu, EXC_NP, err);
    }
    seg_set_accessed(cpu, sel, &d);
    seg_cache_load(&cpu->seg[seg], sel, &d);
}

void seg_null_outer(Cpu *cpu, unsigned new_cpl)
{
    static const int regs[4] = {S_ES, S_DS, S_FS, S_GS};
    for (int i = 0; i < 4; i++) {
        SegReg *s = &cpu->seg[regs[i]];
        uint16_t a = s->attr;
        bool conforming = (a & (SEG_CODE | SEG_DC)) == (SEG_CODE | SEG_DC);
        /* The check looks at the cache: a data or non-conforming code
         * segment more privileged than the new CPL may not stay loaded. */
        if ((a & SEG_S) && !conforming && ((a >> SEG_DPL_SHIFT) & 3) < new_cpl)
            seg_cache_null(s, 0);
    }
}

/* ---- checked stacks ------------------------------------------------------- */

void seg_stack_current(Cpu *cpu, SegStack *st, uint32_t err)
{
    st->ss = cpu->seg[S_SS];
    st->sp = cpu->regs[R_ESP];
    st->err = err;
    st->cpl = cpu->cpl;
}

/* Raises #SS(st->err) unless size bytes at off lie within the stack
 * segment (expand-up or expand-down, SDM 5.3). */
static void stack_check(Cpu *cpu, const SegStack *st, uint32_t off, unsigned size)
{
    const SegReg *s = &st->ss;
    if (!(s->attr & SEG_P)) cpu_exception(cpu, EXC_SS, st->err);
    uint32_t last = off + size - 1;
    if ((s->attr & (SEG_CODE | SEG_DC)) == SEG_DC) {
        uint32_t upper = (s->attr & SEG_DB) ? 0xFFFFFFFFu : 0xFFFFu;
        if (off <= s->limit || last > upper || last < off) cpu_exception(cpu, EXC_SS, st->err);
    } else if (off > s->limit || s->limit - off < size - 1) {
        cpu_exception(cpu, EXC_SS, st->err);
    }
}

static inline uint32_t stack_off(const SegStack *st)
{
    return (st->ss.attr & SEG_DB) ? st->sp : (st->sp & 0xFFFF);
}

static inline void stack_set(SegStack *st, uint32_t off)
{
    if (st->ss.attr & SEG_DB)
        st->sp = off;
    else
        st->sp = (st->sp & 0xFFFF0000u) | (off & 0xFFFF);
}

void seg_stack_push(Cpu *cpu, SegStack *st, uint32_t val, unsigned size)
{
    uint32_t off = stack_off(st) - size;
    if (!(st->ss.attr & SEG_DB)) off &= 0xFFFF;
    stack_check(cpu, st, off, size);
    cpu_lwr_pl(cpu, st->ss.base + off, val, size, st->cpl == 3);
    stack_set(st, off);
}

uint32_t seg_stack_peek(Cpu *cpu, SegStack *st, uint32_t above, unsigned size)
{
    uint32_t off = stack_off(st) + above;
    if (!(st->ss.attr & SEG_DB)) off &= 0xFFFF;
    stack_check(cpu, st, off, size);
    return cpu_lrd_pl(cpu, st->ss.base + off, size, st->cpl == 3);
}

uint32_t seg_stack_pop(Cpu *cpu, SegStack *st, unsigned size)
{
    uint32_t v = seg_stack_peek(cpu, st, 0, size);
    stack_set(st, stack_off(st) + size);
    return v;
}

/* ---- the TSS stacks ---------------------------------------------------------- */

void seg_tss_stack(Cpu *cpu, unsigned dpl, uint16_t *ss, uint32_t *esp, uint32_t ext)
{
    const SegReg *tr = &cpu->tr;
    uint32_t err = SEL_ERR(tr->sel) | ext;
    if (tr->attr & 8) {
        /* 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n. */
        uint32_t off = 8 * dpl + 4;
        if (off + 7 > tr->limit) cpu_exception(cpu, EXC_TS, err);
        *esp = seg_sys_read(cpu, tr->base + off, 4);
        *ss = (uint16_t)seg_sys_read(cpu, tr->base + off + 4, 2);
    } else {
        /* 16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n. */
        uint32_t off = 4 * dpl + 2;
        if (off + 3 > tr->limit) cpu_exception(cpu, EXC_TS, err);
        *esp = seg_sys_read(cpu, tr->base + off, 2);
        *ss = (uint16_t)seg_sys_read(cpu, tr->base + off + 2, 2);
    }
}

void seg_inner_stack(Cpu *cpu, unsigned dpl, SegStack *st, uint16_t *ss_sel, SegDesc *ss_desc,
                     uint32_t ext)
{
    uint16_t ss;
    uint32_t esp;
    seg_tss_stack(cpu, dpl, &ss, &esp, ext);
    uint32_t err = SEL_ERR(ss) | ext;
    if (SEL_IS_NULL(ss)) cpu_exception(cpu, EXC_TS, ext);
    seg_fetch_desc(cpu, ss, ss_desc, EXC_TS, ext);
    if (SEL_RPL(ss) != dpl || seg_desc_dpl(ss_desc) != dpl || !seg_desc_writable_data(ss_desc))
        cpu_exception(cpu, EXC_TS, err);
    if (!seg_desc_present(ss_desc)) cpu_exception(cpu, EXC_SS, err);
    seg_cache_load(&st->ss, ss, ss_desc);
    st->sp = esp;
    st->err = err;
    st->cpl = (uint8_t)dpl;
    *ss_sel = ss;
}
