/*
 * cpu.c - CPU state, reset, segment loads, EFLAGS, interrupts and
 * exception delivery.
 *
 * SDM Vol. 3: section 9.1 (processor state after reset, Table 9-1),
 * chapter 6 (interrupt and exception handling: classes, double fault
 * conditions in Table 6-5, real-address-mode delivery in section 20.1.4).
 *
 * Known deviations (docs/cpu.md): protected-mode descriptor loads and
 * protected-mode interrupt delivery belong to the protected-mode work and
 * are reported as unimplemented (the machine stops with a clear message)
 * rather than guessed.
 */
#include "cpu/cpu.h"

#include <stdlib.h>
#include <string.h>

#include "cpu/flags.h"
#include "cpu/mem.h"
#include "devices/core/log.h"

uint32_t cpu_feature_edx(void)
{
    /* Only what this build implements: TSC, MSR (RDMSR/WRMSR), CX8
     * (CMPXCHG8B), CMOV. FPU, VME, DE, PSE, SEP, PGE, MMX, FXSR follow with
     * the x87 and protected-mode work. */
    return (1u << 4) | (1u << 5) | (1u << 8) | (1u << 15);
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
    cpu->tsc_offset = 0;
    cpu->sysenter_cs = cpu->sysenter_esp = cpu->sysenter_eip = 0;
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
    else
        cpu->cpl = cpu->seg[S_CS].sel & 3;
}

void cpu_load_seg(Cpu *cpu, int seg, uint16_t sel)
{
    SegReg *s = &cpu->seg[seg];
    if (!(cpu->cr[0] & CR0_PE)) {
        /* Real mode: only the selector and base change; the hidden limit and
         * attributes stay as they were (SDM Vol. 3 section 20.1.1), which
         * is what makes "unreal mode" work. */
        s->sel = sel;
        s->base = (uint32_t)sel << 4;
        return;
    }
    if (cpu->eflags & F_VM) {
        s->sel = sel;
        s->base = (uint32_t)sel << 4;
        s->limit = 0xFFFF;
        s->attr = (uint16_t)(SEG_P | SEG_S | SEG_RW | SEG_A | (3u << SEG_DPL_SHIFT) |
                             (seg == S_CS ? SEG_CODE : 0));
        if (seg == S_CS || seg == S_SS) cpu_update_mode(cpu);
        return;
    }
    /* Protected-mode descriptor loads arrive with the protected-mode work. */
    log_once(LOG_UNIMP, 0x500000000ull, "protected-mode segment load not implemented\n");
    cpu_exception(cpu, EXC_GP, sel & 0xFFFC);
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

void cpu_interrupt(Cpu *cpu, int vector, bool soft, bool has_error, uint32_t error)
{
    (void)has_error;
    (void)error;
    if (cpu->cr[0] & CR0_PE) {
        log_once(LOG_UNIMP, 0x500000001ull, "protected-mode interrupt delivery not implemented\n");
        fprintf(stderr, "brisk: protected-mode interrupts are not implemented yet (vector %d)\n",
                vector);
        cpu->shutdown = true;
        cpu->stop_block = true;
        return;
    }
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

void cpu_tlb_flush(Cpu *cpu)
{
    for (unsigned i = 0; i < TLB_SIZE; i++) {
        cpu->tlb[i].tag_read = TLB_INVALID;
        cpu->tlb[i].tag_write = TLB_INVALID;
    }
    if (cpu->on_tlb_flush) cpu->on_tlb_flush(cpu->hook_opaque);
}

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
    cpu->cr[3] = val;
    cpu_tlb_flush(cpu);
}

void cpu_set_cr4(Cpu *cpu, uint32_t val)
{
    uint32_t old = cpu->cr[4];
    cpu->cr[4] = val;
    if ((old ^ val) & (CR4_PSE | CR4_PGE | CR4_PAE)) cpu_tlb_flush(cpu);
    cpu->stop_block = true;
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
