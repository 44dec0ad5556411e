/*
 * ops_string.c - the string instructions MOVS, CMPS, STOS, LODS, SCAS, INS
 * and OUTS (byte, word and doubleword forms) with the REP, REPE and REPNE
 * prefixes.
 *
 * Follows the Intel SDM Vol. 2 pages MOVS, CMPS, STOS, LODS, SCAS, INS,
 * OUTS and REP/REPE/REPZ/REPNE/REPNZ, and Vol. 1 section 7.3.9.
 * - The address size selects SI/DI/CX or ESI/EDI/ECX; with a 16-bit
 *   address size the index registers wrap within 64 KiB and their upper
 *   halves are kept.
 * - The source is DS:(E)SI unless a segment prefix overrides it; the
 *   destination is always ES:(E)DI.
 * - EFLAGS.DF chooses the direction.
 * - REP works with every string instruction; REPE/REPNE make a difference
 *   only for CMPS and SCAS (they test ZF after each iteration).
 *
 * REP is interruptible and fault-exact, as on a real CPU: the iterations
 * run one at a time, and (E)SI, (E)DI and (E)CX are updated after each
 * one, so a fault leaves them describing the completed iterations and
 * EIP at the instruction. After a bounded amount of work per call (or
 * when cpu->stop_block asks the loop to look at pending events, or with
 * TF set: the single-step trap comes after each iteration) a handler with
 * work left sets cpu->next_eip = cpu->eip and cpu->stop_block, so the
 * execution loop can take an interrupt and then re-executes the
 * instruction, which carries on where it stopped.
 *
 * Fast paths: REP MOVS and REP STOS going forward (DF = 0) copy or fill
 * whole runs with memmove/memset when both ends are plain RAM through the
 * soft TLB, stay within one page and within the segment limits, and do
 * not wrap a 16-bit index. Overlapping forward copies where the
 * destination lies inside the source run are done element by element so
 * that the byte-replicating behaviour of a real CPU is kept.
 *
 * INS/OUTS check the I/O permission (IOPL, the TSS I/O bitmap) through
 * cpu_io_allowed() (cpu/task.h) before anything else.
 *
 * Known deviations: none known.
 */
#include "cpu/ops.h"
#include "cpu/task.h"

/* Work allowed per call: one element copied by a fast path costs 1, one
 * iteration through the general path costs REP_SLOW_COST (so at most 256
 * slow iterations or 4096 fast elements run before the instruction
 * yields to the execution loop). */
#define REP_BUDGET    4096
#define REP_SLOW_COST 16

/* Element size: the byte forms have an even opcode. */
static inline unsigned str_size(const DecodedInsn *d)
{
    return (d->op & 1) ? op_size(d) : 1;
}

static inline uint32_t addr_mask(const DecodedInsn *d)
{
    return (d->pfx & PFX_ADDR32) ? 0xFFFFFFFFu : 0xFFFFu;
}

/* The signed step for one element: -size with DF set. */
static inline uint32_t str_delta(const Cpu *cpu, unsigned sz)
{
    return (cpu->eflags & F_DF) ? 0u - sz : sz;
}

/* Moves an index register by delta in the address size. */
static inline void str_advance(Cpu *cpu, const DecodedInsn *d, int r, uint32_t delta)
{
    if (d->pfx & PFX_ADDR32)
        cpu->regs[r] += delta;
    else
        cpu->regs[r] = (cpu->regs[r] & 0xFFFF0000u) | ((cpu->regs[r] + delta) & 0xFFFF);
}

/* Each REP iteration counts as a retired instruction for the virtual
 * clock (as with QEMU's icount), so a long REP MOVS takes guest time like
 * the equivalent loop would; the execution loop adds the final one. */
static inline void rep_retire(Cpu *cpu, const DecodedInsn *d, uint32_t cnt, uint32_t done)
{
    op_set_count(cpu, d, cnt);
    cpu->icount += done;
}

static inline bool has_rep(const DecodedInsn *d)
{
    return (d->pfx & (PFX_REP | PFX_REPNE)) != 0;
}

/* Called with work left: the instruction runs again (with updated
 * registers) after the execution loop has looked at pending events. */
static inline void rep_yield(Cpu *cpu)
{
    cpu->next_eip = cpu->eip;
    cpu->stop_block = true;
}

/* Initial budget of a REP run: none beyond the first iteration when TF
 * is set, so the single-step trap follows each iteration. */
static inline int rep_budget(const Cpu *cpu)
{
    return (cpu->eflags & F_TF) ? 0 : REP_BUDGET;
}

/* --- fast-path helpers ------------------------------------------------------ */

/* How many elements of size sz starting at offset off of segment seg pass
 * the segment checks, without raising anything; 0 when the general path
 * must decide (expand-down segments, protected-mode rights it does not
 * handle, an offset past the limit). */
static uint32_t seg_room(const Cpu *cpu, int seg, uint32_t off, unsigned sz, bool write)
{
    const SegReg *s = &cpu->seg[seg];
    if ((s->attr & (SEG_CODE | SEG_DC)) == SEG_DC) return 0;
    if ((cpu->cr[0] & CR0_PE) && !(cpu->eflags & F_VM)) {
        if (!(s->attr & SEG_P)) return 0;
        if (write && (s->attr & (SEG_CODE | SEG_RW)) != SEG_RW) return 0;
        if (!write && (s->attr & (SEG_CODE | SEG_RW)) == SEG_CODE) return 0;
    }
    if (off > s->limit) return 0;
    uint64_t bytes = (uint64_t)s->limit - off + 1;
    return bytes / sz > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)(bytes / sz);
}

/* Elements that fit before the end of the 4 KiB page at lin. */
static inline uint32_t page_room(uint32_t lin, unsigned sz)
{
    return (0x1000 - (lin & 0xFFF)) / sz;
}

static inline uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* --- MOVS ------------------------------------------------------------------- */

static inline void movs_once(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    uint32_t am = addr_mask(d);
    uint32_t v = cpu_rd(cpu, d->seg, cpu->regs[R_ESI] & am, sz);
    cpu_wr(cpu, S_ES, cpu->regs[R_EDI] & am, v, sz);
    uint32_t delta = str_delta(cpu, sz);
    str_advance(cpu, d, R_ESI, delta);
    str_advance(cpu, d, R_EDI, delta);
}

/* Forward run of up to max elements on plain RAM; returns how many were
 * copied (0: use the general path for the next element). */
static uint32_t movs_fast(Cpu *cpu, const DecodedInsn *d, unsigned sz, uint32_t max)
{
    uint32_t am = addr_mask(d);
    uint32_t si = cpu->regs[R_ESI] & am, di = cpu->regs[R_EDI] & am;
    uint32_t n = min_u32(max, seg_room(cpu, d->seg, si, sz, false));
    n = min_u32(n, seg_room(cpu, S_ES, di, sz, true));
    if (n == 0) return 0;
    uint32_t ls = cpu->seg[d->seg].base + si, ld = cpu->seg[S_ES].base + di;
    n = min_u32(n, min_u32(page_room(ls, sz), page_room(ld, sz)));
    if (am == 0xFFFF) n = min_u32(n, min_u32((0x10000 - si) / sz, (0x10000 - di) / sz));
    if (n == 0) return 0;
    uint8_t *ps = cpu_tlb_read_ptr(cpu, ls, sz);
    uint8_t *pd = cpu_tlb_write_ptr(cpu, ld, sz);
    if (!ps || !pd) return 0;
    size_t bytes = (size_t)n * sz;
    uintptr_t s = (uintptr_t)ps, t = (uintptr_t)pd;
    if (t <= s || t >= s + bytes) {
        memmove(pd, ps, bytes);
    } else {
        /* The destination starts inside the source run: element by element,
         * each read after the previous write, as the CPU does. */
        for (size_t i = 0; i < bytes; i += sz) {
            uint32_t v;
            memcpy(&v, ps + i, sz);
            memcpy(pd + i, &v, sz);
        }
    }
    str_advance(cpu, d, R_ESI, (uint32_t)bytes);
    str_advance(cpu, d, R_EDI, (uint32_t)bytes);
    return n;
}

void op_movs(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = str_size(d);
    if (!has_rep(d)) {
        movs_once(cpu, d, sz);
        return;
    }
    uint32_t cnt = op_count(cpu, d);
    if (cnt == 0) return;
    int budget = rep_budget(cpu);
    for (;;) {
        uint32_t n = 0;
        if (budget > 0 && !(cpu->eflags & F_DF))
            n = movs_fast(cpu, d, sz, min_u32(cnt, (uint32_t)budget));
        if (n) {
            budget -= (int)n;
        } else {
            movs_once(cpu, d, sz);
            n = 1;
            budget -= REP_SLOW_COST;
        }
        cnt -= n;
        rep_retire(cpu, d, cnt, n);
        if (cnt == 0) return;
        if (budget <= 0 || cpu->stop_block) {
            rep_yield(cpu);
            return;
        }
    }
}

/* --- STOS ------------------------------------------------------------------- */

static inline void stos_once(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    cpu_wr(cpu, S_ES, cpu->regs[R_EDI] & addr_mask(d), cpu->regs[R_EAX], sz);
    str_advance(cpu, d, R_EDI, str_delta(cpu, sz));
}

static uint32_t stos_fast(Cpu *cpu, const DecodedInsn *d, unsigned sz, uint32_t max)
{
    uint32_t am = addr_mask(d);
    uint32_t di = cpu->regs[R_EDI] & am;
    uint32_t n = min_u32(max, seg_room(cpu, S_ES, di, sz, true));
    if (n == 0) return 0;
    uint32_t ld = cpu->seg[S_ES].base + di;
    n = min_u32(n, page_room(ld, sz));
    if (am == 0xFFFF) n = min_u32(n, (0x10000 - di) / sz);
    if (n == 0) return 0;
    uint8_t *pd = cpu_tlb_write_ptr(cpu, ld, sz);
    if (!pd) return 0;
    uint32_t v = cpu->regs[R_EAX];
    size_t bytes = (size_t)n * sz;
    if (sz == 1) {
        memset(pd, (int)(v & 0xFF), bytes);
    } else if (sz == 2) {
        uint16_t w = (uint16_t)v;
        for (size_t i = 0; i < bytes; i += 2)
            memcpy(pd + i, &w, 2);
    } else {
        for (size_t i = 0; i < bytes; i += 4)
            memcpy(pd + i, &v, 4);
    }
    str_advance(cpu, d, R_EDI, (uint32_t)bytes);
    return n;
}

void op_stos(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = str_size(d);
    if (!has_rep(d)) {
        stos_once(cpu, d, sz);
        return;
    }
    uint32_t cnt = op_count(cpu, d);
    if (cnt == 0) return;
    int budget = rep_budget(cpu);
    for (;;) {
        uint32_t n = 0;
        if (budget > 0 && !(cpu->eflags & F_DF))
            n = stos_fast(cpu, d, sz, min_u32(cnt, (uint32_t)budget));
        if (n) {
            budget -= (int)n;
        } else {
            stos_once(cpu, d, sz);
            n = 1;
            budget -= REP_SLOW_COST;
        }
        cnt -= n;
        rep_retire(cpu, d, cnt, n);
        if (cnt == 0) return;
        if (budget <= 0 || cpu->stop_block) {
            rep_yield(cpu);
            return;
        }
    }
}

/* --- LODS ------------------------------------------------------------------- */

static inline void lods_once(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    uint32_t v = cpu_rd(cpu, d->seg, cpu->regs[R_ESI] & addr_mask(d), sz);
    reg_write(cpu, R_EAX, v, sz);
    str_advance(cpu, d, R_ESI, str_delta(cpu, sz));
}

void op_lods(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = str_size(d);
    if (!has_rep(d)) {
        lods_once(cpu, d, sz);
        return;
    }
    uint32_t cnt = op_count(cpu, d);
    if (cnt == 0) return;
    int budget = rep_budget(cpu);
    for (;;) {
        lods_once(cpu, d, sz);
        rep_retire(cpu, d, --cnt, 1);
        if (cnt == 0) return;
        budget -= REP_SLOW_COST;
        if (budget <= 0 || cpu->stop_block) {
            rep_yield(cpu);
            return;
        }
    }
}

/* --- CMPS and SCAS ---------------------------------------------------------------
 * Flags as CMP: CMPS computes [src] - ES:[(E)DI], SCAS computes
 * accumulator - ES:[(E)DI]. REPE stops when the operands differ (ZF = 0),
 * REPNE when they are equal (ZF = 1); either stops when (E)CX reaches 0. */

/* Returns true when the operands were equal. */
static inline bool cmps_once(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    uint32_t am = addr_mask(d);
    uint32_t a = cpu_rd(cpu, d->seg, cpu->regs[R_ESI] & am, sz);
    uint32_t b = cpu_rd(cpu, S_ES, cpu->regs[R_EDI] & am, sz);
    uint32_t delta = str_delta(cpu, sz);
    str_advance(cpu, d, R_ESI, delta);
    str_advance(cpu, d, R_EDI, delta);
    flags_set(cpu, CC_SUB8 + size_index(sz), a - b, a, b);
    return a == b;
}

void op_cmps(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = str_size(d);
    if (!has_rep(d)) {
        cmps_once(cpu, d, sz);
        return;
    }
    uint32_t cnt = op_count(cpu, d);
    if (cnt == 0) return;
    bool want_equal = (d->pfx & PFX_REP) != 0; /* REPE; else REPNE */
    int budget = rep_budget(cpu);
    for (;;) {
        bool eq = cmps_once(cpu, d, sz);
        rep_retire(cpu, d, --cnt, 1);
        if (cnt == 0 || eq != want_equal) return;
        budget -= REP_SLOW_COST;
        if (budget <= 0 || cpu->stop_block) {
            rep_yield(cpu);
            return;
        }
    }
}

static inline bool scas_once(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    uint32_t a = cpu->regs[R_EAX] & size_mask(sz);
    uint32_t b = cpu_rd(cpu, S_ES, cpu->regs[R_EDI] & addr_mask(d), sz);
    str_advance(cpu, d, R_EDI, str_delta(cpu, sz));
    flags_set(cpu, CC_SUB8 + size_index(sz), a - b, a, b);
    return a == b;
}

void op_scas(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = str_size(d);
    if (!has_rep(d)) {
        scas_once(cpu, d, sz);
        return;
    }
    uint32_t cnt = op_count(cpu, d);
    if (cnt == 0) return;
    bool want_equal = (d->pfx & PFX_REP) != 0;
    int budget = rep_budget(cpu);
    for (;;) {
        bool eq = scas_once(cpu, d, sz);
        rep_retire(cpu, d, --cnt, 1);
        if (cnt == 0 || eq != want_equal) return;
        budget -= REP_SLOW_COST;
        if (budget <= 0 || cpu->stop_block) {
            rep_yield(cpu);
            return;
        }
    }
}

/* --- INS and OUTS -------------------------------------------------------------
 * The port is DX. INS makes sure the destination is writable (segment
 * checks and, with paging, the page walk) before it reads the port, so a
 * faulting INS has no side effect on the device.
 *
 * The I/O permission check (CPL > IOPL in protected mode, or virtual-8086
 * mode: the TSS I/O bitmap, cpu/task.c) comes first, before any memory or
 * port access and whatever the count: with REP and (E)CX = 0 a refused
 * port still faults (as on QEMU). The port cannot change between
 * iterations, so one check covers a whole REP run. */

static inline void io_permission(Cpu *cpu, unsigned sz)
{
    if (!cpu_io_allowed(cpu, (uint16_t)cpu->regs[R_EDX], sz)) cpu_exception(cpu, EXC_GP, 0);
}

static inline void ins_once(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    uint32_t lin = cpu_seg_linear(cpu, S_ES, cpu->regs[R_EDI] & addr_mask(d), sz, true);
    if (!cpu_tlb_write_ptr(cpu, lin, sz)) {
        bool user = cpu->cpl == 3;
        cpu_translate(cpu, lin, true, user);
        if ((lin & 0xFFF) + sz > 0x1000) cpu_translate(cpu, (lin | 0xFFF) + 1, true, user);
    }
    uint32_t v = bus_io_read(cpu->bus, (uint16_t)cpu->regs[R_EDX], sz);
    cpu_lwr(cpu, lin, v, sz);
    str_advance(cpu, d, R_EDI, str_delta(cpu, sz));
}

static inline void outs_once(Cpu *cpu, const DecodedInsn *d, unsigned sz)
{
    uint32_t v = cpu_rd(cpu, d->seg, cpu->regs[R_ESI] & addr_mask(d), sz);
    bus_io_write(cpu->bus, (uint16_t)cpu->regs[R_EDX], v, sz);
    str_advance(cpu, d, R_ESI, str_delta(cpu, sz));
}

void op_ins(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = str_size(d);
    io_permission(cpu, sz);
    if (!has_rep(d)) {
        ins_once(cpu, d, sz);
        return;
    }
    uint32_t cnt = op_count(cpu, d);
    if (cnt == 0) return;
    int budget = rep_budget(cpu);
    for (;;) {
        ins_once(cpu, d, sz);
        rep_retire(cpu, d, --cnt, 1);
        if (cnt == 0) return;
        budget -= REP_SLOW_COST;
        if (budget <= 0 || cpu->stop_block) {
            rep_yield(cpu);
            return;
        }
    }
}

void op_outs(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = str_size(d);
    io_permission(cpu, sz);
    if (!has_rep(d)) {
        outs_once(cpu, d, sz);
        return;
    }
    uint32_t cnt = op_count(cpu, d);
    if (cnt == 0) return;
    int budget = rep_budget(cpu);
    for (;;) {
        outs_once(cpu, d, sz);
        rep_retire(cpu, d, --cnt, 1);
        if (cnt == 0) return;
        budget -= REP_SLOW_COST;
        if (budget <= 0 || cpu->stop_block) {
            rep_yield(cpu);
            return;
        }
    }
}
