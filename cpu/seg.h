/*
 * seg.h - protected-mode segmentation: descriptors, the descriptor tables
 * (GDT, LDT), the hidden descriptor caches and the segment register load
 * rules. Implemented in cpu/seg.c.
 *
 * SDM Vol. 3 chapter 3 (segment selectors and descriptors, 3.4-3.5),
 * chapter 5 (protection: limit, type and privilege checks, 5.3-5.8,
 * 5.10.1 for the data-segment nulling on returns), and Vol. 2 MOV/POP/LDS
 * for the load rules and their error codes.
 *
 * A descriptor is read as two dwords (SegDesc); SegReg (cpu.h) is the
 * hidden cache: attr holds descriptor bits 40-47 in bits 0-7 and bits
 * 52-55 in bits 12-15, the limit is byte granular. A null or unusable
 * register has attr 0 (P clear), which the memory access path turns into
 * #GP(0) / #SS(0).
 *
 * Descriptor-table, TSS and IDT accesses are implicit supervisor accesses:
 * seg_sys_read()/seg_sys_write() make them with CPL 0 whatever the
 * current privilege (paging then checks them as supervisor accesses).
 *
 *   SegDesc d;
 *   seg_fetch_desc(cpu, sel, &d, EXC_GP, 0);   // #GP(sel) beyond the table
 *   if (!seg_desc_is_code(&d)) cpu_exception(cpu, EXC_GP, sel & 0xFFFC);
 *   seg_load_checked(cpu, S_DS, sel, cpu->cpl, EXC_TS);  // task-switch rules
 */
#ifndef BRISK_SEG_H
#define BRISK_SEG_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* Selector fields. */
#define SEL_RPL(sel) ((unsigned)(sel) & 3u)
#define SEL_TI 4u
/* The error code that names a selector: index and TI, RPL bits cleared
 * (bit 0 then carries EXT, bit 1 IDT). */
#define SEL_ERR(sel) ((uint32_t)(sel) & 0xFFFCu)
#define SEL_IS_NULL(sel) (((sel) & 0xFFFCu) == 0)

/* System descriptor types (S = 0). */
enum {
    DESC_TSS16 = 0x1,
    DESC_LDT = 0x2,
    DESC_TSS16_BUSY = 0x3,
    DESC_CALL16 = 0x4,
    DESC_TASK = 0x5,
    DESC_INT16 = 0x6,
    DESC_TRAP16 = 0x7,
    DESC_TSS32 = 0x9,
    DESC_TSS32_BUSY = 0xB,
    DESC_CALL32 = 0xC,
    DESC_INT32 = 0xE,
    DESC_TRAP32 = 0xF,
};

/* A descriptor as it lies in memory: lo = bytes 0-3, hi = bytes 4-7. */
typedef struct SegDesc {
    uint32_t lo, hi;
} SegDesc;

static inline unsigned seg_desc_type(const SegDesc *d) { return (d->hi >> 8) & 0xF; }
static inline bool seg_desc_s(const SegDesc *d) { return (d->hi >> 12) & 1; }
static inline unsigned seg_desc_dpl(const SegDesc *d) { return (d->hi >> 13) & 3; }
static inline bool seg_desc_present(const SegDesc *d) { return (d->hi >> 15) & 1; }
static inline bool seg_desc_is_code(const SegDesc *d)
{
    return seg_desc_s(d) && (d->hi & (1u << 11));
}
static inline bool seg_desc_is_data(const SegDesc *d)
{
    return seg_desc_s(d) && !(d->hi & (1u << 11));
}
/* Conforming code (type bit 2 of a code segment). */
static inline bool seg_desc_conforming(const SegDesc *d)
{
    return seg_desc_is_code(d) && (d->hi & (1u << 10));
}
/* Readable code or any data segment. */
static inline bool seg_desc_readable(const SegDesc *d)
{
    return seg_desc_is_data(d) || (seg_desc_is_code(d) && (d->hi & (1u << 9)));
}
static inline bool seg_desc_writable_data(const SegDesc *d)
{
    return seg_desc_is_data(d) && (d->hi & (1u << 9));
}
static inline uint32_t seg_desc_base(const SegDesc *d)
{
    return (d->lo >> 16) | ((d->hi & 0xFF) << 16) | (d->hi & 0xFF000000u);
}
/* The limit in bytes (the G bit applied). */
static inline uint32_t seg_desc_limit(const SegDesc *d)
{
    uint32_t l = (d->lo & 0xFFFF) | (d->hi & 0x000F0000u);
    return (d->hi & (1u << 23)) ? (l << 12) | 0xFFF : l;
}
/* The cache attributes (SegReg.attr). */
static inline uint16_t seg_desc_attr(const SegDesc *d) { return (uint16_t)((d->hi >> 8) & 0xF0FF); }

/* Gates: target selector, offset (32 bits; a 16-bit gate's is masked by
 * the caller), parameter count of a call gate; gate size 2 or 4. */
static inline uint16_t seg_gate_sel(const SegDesc *d) { return (uint16_t)(d->lo >> 16); }
static inline uint32_t seg_gate_offset(const SegDesc *d)
{
    uint32_t off = (d->hi & 0xFFFF0000u) | (d->lo & 0xFFFF);
    return (seg_desc_type(d) & 8) ? off : (off & 0xFFFF);
}
static inline unsigned seg_gate_params(const SegDesc *d) { return d->hi & 0x1F; }
static inline unsigned seg_gate_size(const SegDesc *d) { return (seg_desc_type(d) & 8) ? 4 : 2; }

/* The DPL of a cache. */
static inline unsigned seg_dpl(const SegReg *s) { return (s->attr >> SEG_DPL_SHIFT) & 3; }

/* Implicit supervisor accesses to linear memory (descriptor tables, the
 * TSS, the IDT). */
uint32_t seg_sys_read(Cpu *cpu, uint32_t lin, unsigned size);
void seg_sys_write(Cpu *cpu, uint32_t lin, uint32_t val, unsigned size);

/* Linear address of the descriptor that sel selects, false when it lies
 * beyond the GDT or LDT limit (or TI = 1 with no usable LDT). */
bool seg_desc_addr(Cpu *cpu, uint16_t sel, uint32_t *lin);
/* Reads the descriptor; false (and *d untouched) beyond the table limit. */
bool seg_read_desc(Cpu *cpu, uint16_t sel, SegDesc *d);
/* Reads the descriptor or raises vector with error SEL_ERR(sel) | ext. */
void seg_fetch_desc(Cpu *cpu, uint16_t sel, SegDesc *d, int vector, uint32_t ext);
/* Sets the accessed bit of a code/data descriptor in memory (and in *d)
 * if it is clear, as a segment register load does. */
void seg_set_accessed(Cpu *cpu, uint16_t sel, SegDesc *d);

/* Fills a cache from a descriptor (selector as given). */
void seg_cache_load(SegReg *s, uint16_t sel, const SegDesc *d);
/* Makes a register null/unusable: selector kept, attr 0. */
void seg_cache_null(SegReg *s, uint16_t sel);

/* Protected-mode segment register load with every check (SDM MOV, POP,
 * LDS; Table 7-1 for task switches), against privilege level cpl:
 *   DS/ES/FS/GS: a null selector loads a null register; otherwise the
 *     descriptor must be data or readable code, and for data and
 *     non-conforming code DPL >= max(cpl, RPL); not present: #NP(sel).
 *   SS: not null, RPL = cpl, writable data, DPL = cpl; not present: #SS(sel).
 *   CS (task switches): code; non-conforming: DPL = cpl, conforming:
 *     DPL <= cpl; not present: #NP(sel).
 * fault_vec is the vector of the other faults (EXC_GP for instructions,
 * EXC_TS for task switches); a null SS or CS faults with error 0. The
 * accessed bit is set. Does not call cpu_update_mode(). */
void seg_load_checked(Cpu *cpu, int seg, uint16_t sel, unsigned cpl, int fault_vec);

/* Real-address / virtual-8086 style load: base = sel << 4. v86 also sets
 * the 64 KiB limit and the DPL 3 read/write attributes. */
void seg_load_real(Cpu *cpu, int seg, uint16_t sel, bool v86);

/* After a return to an outer privilege level (RETF, IRET): DS, ES, FS and
 * GS become null when their segment is data or non-conforming code with
 * DPL < the new CPL (SDM Vol. 3 5.10.1 ... RET Operation). */
void seg_null_outer(Cpu *cpu, unsigned new_cpl);

/* A stack that is being built before it becomes SS:ESP (privilege
 * changes) or read before it is released (returns): pushes and pops check
 * the offsets against the cache and raise #SS(err) beyond them. */
typedef struct SegStack {
    SegReg ss;
    uint32_t sp;     /* the ESP register value (SP used when !ss.DB) */
    uint32_t err;    /* the #SS error code */
    uint8_t cpl;     /* the privilege of the accesses (paging) */
} SegStack;

/* The current SS:ESP as a SegStack (error code err). */
void seg_stack_current(Cpu *cpu, SegStack *st, uint32_t err);
void seg_stack_push(Cpu *cpu, SegStack *st, uint32_t val, unsigned size);
uint32_t seg_stack_pop(Cpu *cpu, SegStack *st, unsigned size);
/* Value size bytes at offset above the stack pointer, not popped. */
uint32_t seg_stack_peek(Cpu *cpu, SegStack *st, uint32_t above, unsigned size);
/* The stack pointer register after adding delta: a 16-bit stack wraps SP
 * and keeps the upper half of ESP. */
static inline uint32_t seg_stack_sp_add(const SegStack *st, int32_t delta)
{
    uint32_t sp = st->sp + (uint32_t)delta;
    return (st->ss.attr & SEG_DB) ? sp : ((st->sp & 0xFFFF0000u) | (sp & 0xFFFF));
}

/* SSn:ESPn of the current TSS for privilege level dpl (16- or 32-bit TSS
 * by TR's type); #TS(TR | ext) if it lies beyond the TSS limit. */
void seg_tss_stack(Cpu *cpu, unsigned dpl, uint16_t *ss, uint32_t *esp, uint32_t ext);

/* The new stack of an inter-privilege CALL or interrupt: reads SSn:ESPn
 * from the TSS and checks the SS descriptor against dpl (#TS(sel | ext),
 * not present #SS(sel | ext)). Fills st (cpl = dpl) and *ss_desc. */
void seg_inner_stack(Cpu *cpu, unsigned dpl, SegStack *st, uint16_t *ss_sel, SegDesc *ss_desc,
                     uint32_t ext);

/* INT1 (ICEBP, F1): delivered like the debug exception it raises (no gate
 * DPL check, EXT set) but returning past the instruction, as INT n does.
 * Implemented in cpu/cpu.c beside cpu_interrupt(). */
void cpu_interrupt_icebp(Cpu *cpu);

#endif
