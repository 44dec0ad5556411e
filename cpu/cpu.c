/*
 * cpu.c - CPU state, reset, segment loads, EFLAGS, interrupts and
 * exception delivery.
 *
 * SDM Vol. 3: section 9.1 (processor state after reset, Table 9-1),
 * chapter 6 (interrupt and exception handling: classes, double fault
 * conditions in Table 6-5, error codes in 6.13, protected-mode delivery
 * through interrupt, trap and task gates in 6.10-6.12), 20.1.4
 * (real-address-mode delivery), 20.3 (interrupts in virtual-8086 mode);
 * Vol. 2 "INT n/INTO/INT3/INT1" (the order of the checks and their error
 * codes). Segment loads follow cpu/seg.c.
 *
 * CPL is the DPL of the SS cache in protected mode (SS is always loaded
 * with DPL = CPL), 3 in virtual-8086 mode and 0 in real mode: unlike
 * CS.RPL it is right straight after CR0.PE is set, whatever the real-mode
 * CS value was. An unusable SS (only in the middle of a task switch) falls
 * back to CS.RPL.
 *
 * Known deviations:
 * - Faults do not set RF in the pushed EFLAGS image (no instruction
 *   breakpoints exist yet for it to matter).
 * - A fault while delivering a hardware interrupt loses that interrupt
 *   (it was acknowledged at the PIC); the fault itself is delivered.
 */
#include "cpu/cpu.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "cpu/fpu.h"
#include "cpu/mem.h"
#include "cpu/seg.h"
#include "cpu/task.h"
#include "devices/core/log.h"

uint32_t cpu_feature_edx(void)
{
    /* Only what this build implements: TSC, MSR (RDMSR/WRMSR), CX8
     * (CMPXCHG8B), CMOV; PSE (4 MiB pages) and PGE (global pages); the
     * protected-mode and x87 bits below. */
    uint32_t f = (1u << 4) | (1u << 5) | (1u << 8) | (1u << 15) | (1u << 3) | (1u << 13);
    /* VME (CR4.VME and CR4.PVI), DE (CR4.DE: I/O breakpoints, and DR4/DR5
     * are #UD instead of aliases of DR6/DR7), SEP (SYSENTER/SYSEXIT; a family 6 model 5 CPU
     * has working ones, unlike models below 3 with stepping below 3). */
    f |= (1u << 1) | (1u << 2) | (1u << 11);
    /* FPU (the x87, cpu/ops_fpu.c), MMX (cpu/ops_mmx.c), FXSR (FXSAVE and
     * FXRSTOR, as a Pentium II model 5 has them). */
    f |= (1u << 0) | (1u << 23) | (1u << 24);
    return f;
}

Cpu *cpu_new(Bus *bus, Clock *clock)
{
    Cpu *cpu = calloc(1, sizeof *cpu);
    if (!cpu) return NULL;
    cpu->bus = bus;
    cpu->clock = clock;
    cpu->exc_vector = -1;
    cpu->exc_nesting = -1;
    bus_set_remap_hook(bus, cpu_bus_remapped, cpu);
    clock_attach_counter(clock, &cpu->icount);
    cpu_reset(cpu);
    return cpu;
}

void cpu_free(Cpu *cpu)
{
    if (!cpu) return;
    if (cpu->bus && cpu->bus->remap_opaque == cpu) bus_set_remap_hook(cpu->bus, NULL, NULL);
    if (cpu->clock && cpu->clock->insns == &cpu->icount) clock_attach_counter(cpu->clock, NULL);
    free(cpu);
}

static void seg_reset(SegReg *s, uint16_t sel, uint32_t base, uint16_t attr)
{
    s->sel = sel;
    s->base = base;
    s->limit = 0xFFFF;
    s->attr = attr;
}

void cpu_reset(Cpu *cpu)
{
    memset(cpu->regs, 0, sizeof cpu->regs);
    cpu->regs[R_EDX] = CPU_SIGNATURE;
    cpu->eip = 0xFFF0;
    cpu->next_eip = 0xFFF0;
    cpu->eflags = 0x2;
    cpu->cc_op = CC_EFLAGS;
    /* CS: selector F000, base FFFF0000 (so the first fetch is at FFFFFFF0). */
    seg_reset(&cpu->seg[S_CS], 0xF000, 0xFFFF0000u, SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_A);
    for (int s = 0; s < S_COUNT; s++)
        if (s != S_CS) seg_reset(&cpu->seg[s], 0, 0, SEG_P | SEG_S | SEG_RW | SEG_A);
    cpu->gdtr.base = 0;
    cpu->gdtr.limit = 0xFFFF;
    cpu->idtr.base = 0;
    cpu->idtr.limit = 0xFFFF;
    seg_reset(&cpu->ldtr, 0, 0, SEG_P | 0x2);
    seg_reset(&cpu->tr, 0, 0, SEG_P | 0xB);
    memset(cpu->cr, 0, sizeof cpu->cr);
    cpu->cr[0] = 0x60000010u; /* CD, NW, ET */
    memset(cpu->dr, 0, sizeof cpu->dr);
    cpu->dr[6] = 0xFFFF0FF0u;
    cpu->dr[7] = 0x00000400u;
    cpu->dbg_code_bps = cpu->dbg_data_bps = cpu->dbg_io_bps = cpu->dbg_hit = 0;
    cpu->tsc_offset = 0;
    cpu->sysenter_cs = cpu->sysenter_esp = cpu->sysenter_eip = 0;
    fpu_reset(cpu); /* x87: CW 0040h, TW 5555h, +0.0 everywhere (Table 9-1) */
    cpu->nmi_pending = false;
    cpu->halted = false;
    cpu->inhibit_irq = false;
    cpu->inhibit_next = false;
    cpu->ss_shadow = false;
    cpu->trap_pending = false;
    cpu->exc_vector = -1;
    cpu->exc_nesting = -1;
    cpu->shutdown = false;
    cpu->stop_block = true;
    cpu->tsc_offset = (uint64_t)0 - clock_now_ns(cpu->clock);
    cpu_update_mode(cpu);
    cpu_bus_remapped(cpu);
}

void cpu_set_intr(Cpu *cpu, bool level)
{
    cpu->intr = level;
    if (level) cpu->stop_block = true;
}

void cpu_intr_line(void *opaque, int n, int level)
{
    (void)n;
    cpu_set_intr(opaque, level != 0);
}

void cpu_set_intr_ack(Cpu *cpu, IntrAckFn fn, void *opaque)
{
    cpu->intr_ack = fn;
    cpu->intr_opaque = opaque;
}

void cpu_raise_nmi(Cpu *cpu)
{
    cpu->nmi_pending = true;
    cpu->stop_block = true;
}

void cpu_update_mode(Cpu *cpu)
{
    cpu->code32 = (cpu->seg[S_CS].attr & SEG_DB) != 0;
    cpu->stack32 = (cpu->seg[S_SS].attr & SEG_DB) != 0;
    if (!(cpu->cr[0] & CR0_PE))
        cpu->cpl = 0;
    else if (cpu->eflags & F_VM)
        cpu->cpl = 3;
    else if (cpu->seg[S_SS].attr & SEG_P)
        cpu->cpl = (uint8_t)seg_dpl(&cpu->seg[S_SS]);
    else
        cpu->cpl = cpu->seg[S_CS].sel & 3;
}

void cpu_load_seg(Cpu *cpu, int seg, uint16_t sel)
{
    if (!(cpu->cr[0] & CR0_PE)) {
        /* Real mode: only the selector and base change; the hidden limit and
         * attributes stay as they were (SDM Vol. 3 section 20.1.1), which
         * is what makes "unreal mode" work. */
        seg_load_real(cpu, seg, sel, false);
        return;
    }
    if (cpu->eflags & F_VM) {
        seg_load_real(cpu, seg, sel, true);
        if (seg == S_CS || seg == S_SS) cpu_update_mode(cpu);
        return;
    }
    /* Protected mode: MOV, POP, LDS... to a data register or SS; CS only
     * reaches here from a task-switch-like load (the far transfers check
     * their targets themselves), checked against its own RPL. */
    seg_load_checked(cpu, seg, sel, seg == S_CS ? SEL_RPL(sel) : cpu->cpl, EXC_GP);
    if (seg == S_CS || seg == S_SS) cpu_update_mode(cpu);
}

uint32_t cpu_get_eflags(Cpu *cpu)
{
    return (cpu->eflags & ~F_ARITH) | flags_compute(cpu);
}

void cpu_set_eflags(Cpu *cpu, uint32_t val, uint32_t mask)
{
    flags_materialize(cpu);
    uint32_t old = cpu->eflags;
    uint32_t f = (old & ~mask) | (val & mask);
    /* Bit 1 reads as 1; bits 3, 5, 15 and 22-31 as 0. */
    f = (f | 0x2) & 0x003F7FD7u;
    cpu->eflags = f;
    cpu->cc_op = CC_EFLAGS;
    if ((f ^ old) & (F_TF | F_IF | F_VM)) cpu->stop_block = true;
    if ((f ^ old) & F_VM) cpu_update_mode(cpu);
}

_Noreturn void cpu_exception(Cpu *cpu, int vector, uint32_t error)
{
    bool has_error = vector == EXC_DF || (vector >= EXC_TS && vector <= EXC_PF) || vector == EXC_AC;
    cpu->exc_vector = vector;
    cpu->exc_error = error;
    cpu->exc_has_error = has_error && (cpu->cr[0] & CR0_PE);
    if (!cpu->jmp) {
        /* An invariant: handlers run only inside the execution loop. */
        fprintf(stderr, "brisk: internal error: exception %d outside the execution loop\n", vector);
        abort();
    }
    siglongjmp(*cpu->jmp, 1);
}

_Noreturn void cpu_fault(Cpu *cpu, int vector) { cpu_exception(cpu, vector, 0); }

static bool contributory(int v)
{
    return v == EXC_DE || v == EXC_TS || v == EXC_NP || v == EXC_SS || v == EXC_GP;
}

bool cpu_deliver_exception(Cpu *cpu)
{
    int vec = cpu->exc_vector;
    uint32_t err = cpu->exc_error;
    bool has_err = cpu->exc_has_error;
    int prev = cpu->exc_nesting;
    cpu->exc_vector = -1;
    /* The event is delivered at the privilege the committed segment caches
     * say: recompute the mode bits from them, so that nothing a faulting
     * transfer did on its way (it commits only once nothing can fault, but
     * a task switch faults after its commit) can leave them stale. */
    cpu_update_mode(cpu);
    if (prev == EXC_DF) {
        /* A fault while delivering a double fault: shutdown (SDM 6.15,
         * interrupt 8). */
        if (log_enabled(LOG_INT))
            log_printf("triple fault (exception %d while delivering #DF)\n", vec);
        cpu->shutdown = true;
        cpu->exc_nesting = -1;
        return false;
    }
    if (prev >= 0 && ((contributory(prev) && contributory(vec)) ||
                      (prev == EXC_PF && (contributory(vec) || vec == EXC_PF)))) {
        vec = EXC_DF;
        err = 0;
        has_err = (cpu->cr[0] & CR0_PE) != 0;
    }
    if (log_enabled(LOG_INT))
        log_printf("exception %d error %04x at %04x:%08x\n", vec, err, cpu->seg[S_CS].sel, cpu->eip);
    cpu->exc_nesting = vec;
    cpu_interrupt(cpu, vec, false, has_err, err);
    cpu->exc_nesting = -1;
    return !cpu->shutdown;
}

/* How an event reaches the IDT: it decides the return address (the
 * faulting instruction or the next one), the gate DPL check (software
 * interrupts only) and the EXT bit of the error codes raised while
 * delivering it (set for everything but INT n, INT3 and INTO: SDM 6.13). */
typedef enum {
    EV_HW,    /* exceptions, NMI, INTR, the single-step trap */
    EV_SOFT,  /* INT n, INT3, INTO */
    EV_ICEBP, /* INT1: returns past itself, but no DPL check and EXT = 1 */
} EventKind;

/* Protected-mode and virtual-8086-mode delivery through the IDT (SDM Vol.
 * 3 6.10-6.12; Vol. 2 INT n, Operation: PROTECTED-MODE, TRAP-OR-INTERRUPT-
 * GATE, INTER-PRIVILEGE-LEVEL-INTERRUPT, INTERRUPT-FROM-VIRTUAL-8086-MODE,
 * INTRA-PRIVILEGE-LEVEL-INTERRUPT). Every check and every push happens
 * before any register changes, so a fault during delivery leaves the
 * interrupted state intact for the next (double fault) delivery. */
static void interrupt_pm(Cpu *cpu, int vector, EventKind kind, bool has_error, uint32_t error)
{
    uint32_t ext = kind == EV_SOFT ? 0 : 1;
    uint32_t gate_err = (uint32_t)vector * 8 + 2 + ext;
    if ((uint32_t)vector * 8 + 7 > cpu->idtr.limit) cpu_exception(cpu, EXC_GP, gate_err);
    SegDesc gate;
    uint32_t at = cpu->idtr.base + (uint32_t)vector * 8;
    gate.lo = seg_sys_read(cpu, at, 4);
    gate.hi = seg_sys_read(cpu, at + 4, 4);
    unsigned type = seg_desc_type(&gate);
    if (seg_desc_s(&gate) || (type != DESC_TASK && (type & 7) != 6 && (type & 7) != 7))
        cpu_exception(cpu, EXC_GP, gate_err);
    if (kind == EV_SOFT && seg_desc_dpl(&gate) < cpu->cpl)
        cpu_exception(cpu, EXC_GP, (uint32_t)vector * 8 + 2);
    if (!seg_desc_present(&gate)) cpu_exception(cpu, EXC_NP, gate_err);

    uint32_t ret = kind == EV_HW ? cpu->eip : cpu->next_eip;
    if (type == DESC_TASK) {
        /* The old task's saved EIP is next_eip (cpu/task.c): for a fault
         * or an interrupt that is the interrupted instruction itself. */
        cpu->next_eip = ret;
        cpu_task_switch(cpu, seg_gate_sel(&gate), TASK_INT, has_error, error);
        cpu->halted = false;
        cpu->stop_block = true;
        if (log_enabled(LOG_INT))
            log_printf("INT %02x -> task %04x\n", vector, seg_gate_sel(&gate));
        return;
    }

    /* Interrupt or trap gate: the target code segment. */
    uint16_t sel = seg_gate_sel(&gate);
    if (SEL_IS_NULL(sel)) cpu_exception(cpu, EXC_GP, ext);
    SegDesc cd;
    seg_fetch_desc(cpu, sel, &cd, EXC_GP, ext);
    uint32_t cerr = SEL_ERR(sel) | ext;
    unsigned dpl = seg_desc_dpl(&cd);
    if (!seg_desc_is_code(&cd) || dpl > cpu->cpl) cpu_exception(cpu, EXC_GP, cerr);
    if (!seg_desc_present(&cd)) cpu_exception(cpu, EXC_NP, cerr);

    bool v86 = (cpu->eflags & F_VM) != 0;
    unsigned gsz = seg_gate_size(&gate);
    uint32_t off = seg_gate_offset(&gate);
    uint32_t fl = cpu_get_eflags(cpu);
    bool inner = !seg_desc_conforming(&cd) && dpl < cpu->cpl;
    SegStack st;
    SegDesc ssd;
    uint16_t ss_sel = 0;
    unsigned new_cpl = cpu->cpl;
    if (inner) {
        /* From virtual-8086 mode only a ring-0 handler will do. */
        if (v86 && dpl != 0) cpu_exception(cpu, EXC_GP, cerr);
        seg_inner_stack(cpu, dpl, &st, &ss_sel, &ssd, ext);
        if (v86) {
            seg_stack_push(cpu, &st, cpu->seg[S_GS].sel, gsz);
            seg_stack_push(cpu, &st, cpu->seg[S_FS].sel, gsz);
            seg_stack_push(cpu, &st, cpu->seg[S_DS].sel, gsz);
            seg_stack_push(cpu, &st, cpu->seg[S_ES].sel, gsz);
        }
        seg_stack_push(cpu, &st, cpu->seg[S_SS].sel, gsz);
        seg_stack_push(cpu, &st, cpu->regs[R_ESP], gsz);
        new_cpl = dpl;
    } else {
        if (v86 || (!seg_desc_conforming(&cd) && dpl != cpu->cpl))
            cpu_exception(cpu, EXC_GP, cerr);
        seg_stack_current(cpu, &st, ext);
    }
    seg_stack_push(cpu, &st, fl, gsz);
    seg_stack_push(cpu, &st, cpu->seg[S_CS].sel, gsz);
    seg_stack_push(cpu, &st, ret, gsz);
    if (has_error) seg_stack_push(cpu, &st, error, gsz);
    if (off > seg_desc_limit(&cd)) cpu_exception(cpu, EXC_GP, 0);

    /* Commit. */
    seg_set_accessed(cpu, sel, &cd);
    if (inner) {
        seg_set_accessed(cpu, ss_sel, &ssd);
        seg_cache_load(&cpu->seg[S_SS], ss_sel, &ssd);
    }
    cpu->regs[R_ESP] = st.sp;
    if (v86) {
        /* The handler must not run with real-mode style selectors. */
        seg_cache_null(&cpu->seg[S_ES], 0);
        seg_cache_null(&cpu->seg[S_DS], 0);
        seg_cache_null(&cpu->seg[S_FS], 0);
        seg_cache_null(&cpu->seg[S_GS], 0);
    }
    seg_cache_load(&cpu->seg[S_CS], (uint16_t)((sel & 0xFFFC) | new_cpl), &cd);
    cpu->eflags &= ~(F_TF | F_VM | F_RF | F_NT);
    if (!(type & 1)) cpu->eflags &= ~F_IF; /* interrupt gate (trap gates keep IF) */
    cpu->eip = off;
    cpu->next_eip = off;
    cpu_update_mode(cpu);
    cpu->halted = false;
    cpu->stop_block = true;
    if (log_enabled(LOG_INT) && (kind != EV_HW || vector >= 32))
        log_printf("%s %02x -> %04x:%08x\n", kind == EV_HW ? "IRQ" : "INT", vector,
                   cpu->seg[S_CS].sel, off);
}

static void interrupt_real(Cpu *cpu, int vector, bool soft)
{
    /* Real-address mode (SDM Vol. 3 section 20.1.4). */
    uint32_t entry = (uint32_t)vector * 4;
    if (entry + 3 > cpu->idtr.limit) cpu_exception(cpu, EXC_GP, 0);
    uint32_t vec = cpu_lrd32(cpu, cpu->idtr.base + entry);
    uint32_t ret = soft ? cpu->next_eip : cpu->eip;
    uint32_t fl = cpu_get_eflags(cpu);
    cpu_push16(cpu, (uint16_t)fl);
    cpu_push16(cpu, cpu->seg[S_CS].sel);
    cpu_push16(cpu, (uint16_t)ret);
    cpu->eflags &= ~(F_IF | F_TF | F_AC | F_RF);
    cpu_load_seg(cpu, S_CS, (uint16_t)(vec >> 16));
    cpu->eip = vec & 0xFFFF;
    cpu->next_eip = cpu->eip;
    cpu->halted = false;
    cpu->stop_block = true;
    if (log_enabled(LOG_INT) && (soft || vector >= 32))
        log_printf("%s %02x -> %04x:%04x\n", soft ? "INT" : "IRQ", vector, vec >> 16, vec & 0xFFFF);
}

void cpu_interrupt(Cpu *cpu, int vector, bool soft, bool has_error, uint32_t error)
{
    if (!(cpu->cr[0] & CR0_PE))
        interrupt_real(cpu, vector, soft);
    else
        interrupt_pm(cpu, vector, soft ? EV_SOFT : EV_HW, has_error, error);
}

void cpu_interrupt_icebp(Cpu *cpu)
{
    if (!(cpu->cr[0] & CR0_PE))
        interrupt_real(cpu, EXC_DB, true);
    else
        interrupt_pm(cpu, EXC_DB, EV_ICEBP, false, 0);
}

bool cpu_check_interrupts(Cpu *cpu)
{
    if (cpu->inhibit_irq) return false;
    if (cpu->nmi_pending) {
        cpu->nmi_pending = false;
        cpu->halted = false;
        cpu_interrupt(cpu, EXC_NMI, false, false, 0);
        return true;
    }
    if (cpu->intr && (cpu->eflags & F_IF) && cpu->intr_ack) {
        int vec = cpu->intr_ack(cpu->intr_opaque);
        cpu->halted = false;
        if (vec >= 0) {
            cpu_interrupt(cpu, vec & 0xFF, false, false, 0);
            return true;
        }
    }
    return false;
}

/* cpu_tlb_flush, cpu_tlb_flush_nonglobal, cpu_tlb_flush_page: cpu/mmu.c. */

void cpu_bus_remapped(void *opaque)
{
    Cpu *cpu = opaque;
    cpu->a20_mask = cpu->bus->a20_mask;
    cpu_tlb_flush(cpu);
}

void cpu_set_cr0(Cpu *cpu, uint32_t val)
{
    uint32_t old = cpu->cr[0];
    cpu->cr[0] = val | CR0_ET;
    if ((old ^ cpu->cr[0]) & (CR0_PE | CR0_PG | CR0_WP)) cpu_tlb_flush(cpu);
    cpu_update_mode(cpu);
    cpu->stop_block = true;
}

void cpu_set_cr3(Cpu *cpu, uint32_t val)
{
    /* SDM Vol. 3 4.10.4.1: MOV CR3 invalidates all but global pages (with
     * CR4.PGE clear no entry is global). The code at the next EIP may now
     * come from elsewhere: leave the block. */
    cpu->cr[3] = val;
    cpu_tlb_flush_nonglobal(cpu);
    cpu->stop_block = true;
}

void cpu_set_cr4(Cpu *cpu, uint32_t val)
{
    uint32_t old = cpu->cr[4];
    cpu->cr[4] = val;
    if ((old ^ val) & (CR4_PSE | CR4_PGE | CR4_PAE)) cpu_tlb_flush(cpu);
    cpu->stop_block = true;
    if ((old ^ val) & CR4_DE) cpu_dbg_update(cpu);
}

uint64_t cpu_read_tsc(Cpu *cpu) { return clock_now_ns(cpu->clock) + cpu->tsc_offset; }

void cpu_dump_state(Cpu *cpu, FILE *f)
{
    static const char *rn[8] = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};
    static const char *sn[6] = {"ES", "CS", "SS", "DS", "FS", "GS"};
    uint32_t fl = cpu_get_eflags(cpu);
    for (int i = 0; i < 8; i++)
        fprintf(f, "%s=%08x%s", rn[i], cpu->regs[i], (i & 3) == 3 ? "\n" : " ");
    fprintf(f, "EIP=%08x EFL=%08x [%c%c%c%c%c%c%c%c%c] CPL=%d icount=%llu%s\n", cpu->eip, fl,
            fl & F_OF ? 'O' : '-', fl & F_DF ? 'D' : '-', fl & F_IF ? 'I' : '-',
            fl & F_TF ? 'T' : '-', fl & F_SF ? 'S' : '-', fl & F_ZF ? 'Z' : '-',
            fl & F_AF ? 'A' : '-', fl & F_PF ? 'P' : '-', fl & F_CF ? 'C' : '-', cpu->cpl,
            (unsigned long long)cpu->icount, cpu->halted ? " HALTED" : "");
    for (int s = 0; s < S_COUNT; s++)
        fprintf(f, "%s =%04x %08x %08x %04x\n", sn[s], cpu->seg[s].sel, cpu->seg[s].base,
                cpu->seg[s].limit, cpu->seg[s].attr);
    fprintf(f, "LDT=%04x %08x %08x %04x\n", cpu->ldtr.sel, cpu->ldtr.base, cpu->ldtr.limit,
            cpu->ldtr.attr);
    fprintf(f, "TR =%04x %08x %08x %04x\n", cpu->tr.sel, cpu->tr.base, cpu->tr.limit,
            cpu->tr.attr);
    fprintf(f, "GDT=     %08x %08x\nIDT=     %08x %08x\n", cpu->gdtr.base, cpu->gdtr.limit,
            cpu->idtr.base, cpu->idtr.limit);
    fprintf(f, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", cpu->cr[0], cpu->cr[2], cpu->cr[3],
            cpu->cr[4]);
    fprintf(f, "DR0=%08x DR1=%08x DR2=%08x DR3=%08x DR6=%08x DR7=%08x\n", cpu->dr[0],
            cpu->dr[1], cpu->dr[2], cpu->dr[3], cpu->dr[6], cpu->dr[7]);
}
