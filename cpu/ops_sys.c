/*
 * ops_sys.c - system instructions: port I/O, HLT, CLI/STI, CPUID, RDTSC,
 * MSRs, control and debug registers, descriptor-table registers, and the
 * handlers for opcodes that raise #UD.
 *
 * SDM Vol. 2 instruction pages; Vol. 3 sections 2.5 (control registers),
 * 17.2 (debug registers), 9.1 (CPUID after reset), Vol. 4 (MSRs of the
 * P6 family: TSC 10h, SYSENTER_CS/ESP/EIP 174h-176h).
 *
 * The protected-mode instructions (LLDT, LTR, SLDT, STR, LAR, LSL,
 * VERR, VERW, ARPL: #UD in real and virtual-8086 mode) follow the Vol. 2
 * pages with Vol. 3 3.4-3.5 and 7.2.4; SYSENTER/SYSEXIT Vol. 3 5.8.7;
 * CLI/STI with CR4.VME/PVI Vol. 3 20.3-20.4; I/O permission goes through
 * cpu_io_allowed() (cpu/task.c).
 *
 * Known deviations: LAR reads descriptor bits 16-19 (limit 19:16) as 0,
 * which the SDM leaves undefined (QEMU does the same).
 * The x87 escape opcodes raise #NM when CR0.EM or
 * CR0.TS says so and #UD otherwise until the FPU exists. RDPMC returns 0:
 * no performance events are counted.
 */
#include "cpu/ops.h"
#include "cpu/seg.h"
#include "cpu/task.h"
#include "devices/core/log.h"

static bool protected_mode(const Cpu *cpu) { return (cpu->cr[0] & CR0_PE) && !(cpu->eflags & F_VM); }

/* Instructions that need CPL 0 raise #GP(0) otherwise (in v86 mode too). */
static void require_cpl0(Cpu *cpu)
{
    if ((cpu->cr[0] & CR0_PE) && cpu->cpl != 0) cpu_exception(cpu, EXC_GP, 0);
}

/* IOPL-sensitive I/O: CPL > IOPL in protected mode, and virtual-8086
 * mode, consult the TSS I/O permission bitmap (cpu/task.c). */
static void io_check(Cpu *cpu, uint16_t port, unsigned size)
{
    if (!cpu_io_allowed(cpu, port, size)) cpu_exception(cpu, EXC_GP, 0);
}

void op_ud(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    cpu_fault(cpu, EXC_UD);
}

void op_prefix(Cpu *cpu, const DecodedInsn *d) { op_ud(cpu, d); }

/* ---- port I/O ---- */

static uint32_t in_port(Cpu *cpu, uint16_t port, unsigned size)
{
    if (cpu->dbg_io_bps) cpu_dbg_check(cpu, port, size, 2);
    io_check(cpu, port, size);
    return bus_io_read(cpu->bus, port, size);
}

static void out_port(Cpu *cpu, uint16_t port, uint32_t v, unsigned size)
{
    if (cpu->dbg_io_bps) cpu_dbg_check(cpu, port, size, 2);
    io_check(cpu, port, size);
    bus_io_write(cpu->bus, port, v, size);
    cpu->stop_block = true; /* the device may have raised an IRQ or asked to stop */
}

void op_in_ALIb(Cpu *cpu, const DecodedInsn *d) { reg_write(cpu, R_EAX, in_port(cpu, (uint16_t)d->imm, 1), 1); }
void op_in_eAXIb(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    reg_write(cpu, R_EAX, in_port(cpu, (uint16_t)d->imm, sz), sz);
}
void op_in_ALDX(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    reg_write(cpu, R_EAX, in_port(cpu, (uint16_t)cpu->regs[R_EDX], 1), 1);
}
void op_in_eAXDX(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    reg_write(cpu, R_EAX, in_port(cpu, (uint16_t)cpu->regs[R_EDX], sz), sz);
}
void op_out_IbAL(Cpu *cpu, const DecodedInsn *d) { out_port(cpu, (uint16_t)d->imm, cpu->regs[R_EAX] & 0xFF, 1); }
void op_out_IbeAX(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    out_port(cpu, (uint16_t)d->imm, cpu->regs[R_EAX] & size_mask(sz), sz);
}
void op_out_DXAL(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    out_port(cpu, (uint16_t)cpu->regs[R_EDX], cpu->regs[R_EAX] & 0xFF, 1);
}
void op_out_DXeAX(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    out_port(cpu, (uint16_t)cpu->regs[R_EDX], cpu->regs[R_EAX] & size_mask(sz), sz);
}

/* ---- interrupt flag, halt ---- */

/* CLI and STI (SDM Vol. 2 CLI, STI, Operation; Vol. 3 20.3 and 20.4):
 * with CPL <= IOPL (real mode is CPL 0) they change IF. Otherwise, in
 * virtual-8086 mode with CR4.VME, or at CPL 3 in protected mode with
 * CR4.PVI, they change the virtual interrupt flag VIF instead, and STI
 * with a pending virtual interrupt (VIP) is #GP(0) so that the monitor can
 * deliver it. Anything else is #GP(0). */
static bool cli_sti_virtual(Cpu *cpu)
{
    if (!(cpu->cr[0] & CR0_PE) || cpu->cpl <= ((cpu->eflags & F_IOPL) >> 12)) return false;
    bool virt = (cpu->eflags & F_VM) ? (cpu->cr[4] & CR4_VME) != 0
                                     : (cpu->cpl == 3 && (cpu->cr[4] & CR4_PVI));
    if (!virt) cpu_exception(cpu, EXC_GP, 0);
    return true;
}

void op_cli(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    if (cli_sti_virtual(cpu)) {
        cpu->eflags &= ~F_VIF;
        return;
    }
    cpu->eflags &= ~F_IF;
}

void op_sti(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    if (cli_sti_virtual(cpu)) {
        if (cpu->eflags & F_VIP) cpu_exception(cpu, EXC_GP, 0);
        cpu->eflags |= F_VIF;
        return;
    }
    /* STI delays interrupts by one instruction only when IF was clear
     * (SDM Vol. 2, STI). */
    if (!(cpu->eflags & F_IF)) cpu->inhibit_next = true;
    cpu->eflags |= F_IF;
    cpu->stop_block = true;
}

void op_hlt(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    require_cpl0(cpu);
    cpu->halted = true;
    cpu->stop_block = true;
}

void op_nop_Ev(Cpu *cpu, const DecodedInsn *d)
{
    (void)cpu;
    (void)d;
}

/* ---- identification and time ---- */

void op_cpuid(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    uint32_t leaf = cpu->regs[R_EAX];
    uint32_t a, b, c, dd;
    /* Leaves above the maximum return the highest basic leaf (Intel). */
    if (leaf > 2) leaf = 2;
    switch (leaf) {
    case 0:
        a = 2;
        b = 0x756E6547; /* "Genu" */
        dd = 0x49656E69; /* "ineI" */
        c = 0x6C65746E; /* "ntel" */
        break;
    case 1:
        a = CPU_SIGNATURE;
        b = 0;
        c = 0;
        dd = cpu_feature_edx();
        break;
    default:
        /* Cache descriptors of a Pentium II: 16K L1 I and D, 512K L2, TLBs. */
        a = 0x03020101;
        b = 0;
        c = 0;
        dd = 0x0C040843;
        break;
    }
    cpu->regs[R_EAX] = a;
    cpu->regs[R_EBX] = b;
    cpu->regs[R_ECX] = c;
    cpu->regs[R_EDX] = dd;
}

void op_rdtsc(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    if ((cpu->cr[4] & CR4_TSD) && (cpu->cr[0] & CR0_PE) && cpu->cpl != 0)
        cpu_exception(cpu, EXC_GP, 0);
    uint64_t t = cpu_read_tsc(cpu);
    cpu->regs[R_EAX] = (uint32_t)t;
    cpu->regs[R_EDX] = (uint32_t)(t >> 32);
}

void op_rdpmc(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    if (cpu->regs[R_ECX] > 1) cpu_exception(cpu, EXC_GP, 0);
    if (!(cpu->cr[4] & CR4_PCE) && (cpu->cr[0] & CR0_PE) && cpu->cpl != 0)
        cpu_exception(cpu, EXC_GP, 0);
    cpu->regs[R_EAX] = 0;
    cpu->regs[R_EDX] = 0;
}

void op_rdmsr(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    require_cpl0(cpu);
    uint64_t v;
    switch (cpu->regs[R_ECX]) {
    case 0x10: v = cpu_read_tsc(cpu); break;
    case 0x174: v = cpu->sysenter_cs; break;
    case 0x175: v = cpu->sysenter_esp; break;
    case 0x176: v = cpu->sysenter_eip; break;
    case 0x1B: v = 0; break; /* IA32_APIC_BASE: no local APIC (CPUID bit 9 clear) */
    case 0x17: v = 0; break; /* IA32_PLATFORM_ID: platform 0 */
    case 0x8B: v = 0; break; /* IA32_BIOS_SIGN_ID: no microcode update loaded */
    default:
        log_once(LOG_UNIMP, 0x700000000ull | cpu->regs[R_ECX], "rdmsr %08x: #GP\n",
                 cpu->regs[R_ECX]);
        cpu_exception(cpu, EXC_GP, 0);
    }
    cpu->regs[R_EAX] = (uint32_t)v;
    cpu->regs[R_EDX] = (uint32_t)(v >> 32);
}

void op_wrmsr(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    require_cpl0(cpu);
    uint64_t v = ((uint64_t)cpu->regs[R_EDX] << 32) | cpu->regs[R_EAX];
    switch (cpu->regs[R_ECX]) {
    case 0x10: cpu->tsc_offset = v - clock_now_ns(cpu->clock); break;
    case 0x174: cpu->sysenter_cs = (uint32_t)v; break;
    case 0x175: cpu->sysenter_esp = (uint32_t)v; break;
    case 0x176: cpu->sysenter_eip = (uint32_t)v; break;
    case 0x1B: break; /* IA32_APIC_BASE: no local APIC to enable or move */
    case 0x8B: break; /* IA32_BIOS_SIGN_ID: cleared before CPUID; nothing to load */
    default:
        log_once(LOG_UNIMP, 0x800000000ull | cpu->regs[R_ECX], "wrmsr %08x: #GP\n",
                 cpu->regs[R_ECX]);
        cpu_exception(cpu, EXC_GP, 0);
    }
}

/* ---- control and debug registers ---- */

/* OSFXSR (bit 9) exists because CPUID reports FXSR: an OS sets it before
 * using FXSAVE (Linux does). Without SSE it changes nothing else. */
#define CR4_OSFXSR (1u << 9)
#define CR4_SUPPORTED                                                                              \
    (CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_MCE | CR4_PGE | CR4_PCE | CR4_OSFXSR)

void op_mov_RdCd(Cpu *cpu, const DecodedInsn *d)
{
    require_cpl0(cpu);
    if (d->reg == 1 || d->reg > 4) cpu_fault(cpu, EXC_UD);
    cpu->regs[d->rm] = cpu->cr[d->reg];
}

void op_mov_CdRd(Cpu *cpu, const DecodedInsn *d)
{
    require_cpl0(cpu);
    uint32_t v = cpu->regs[d->rm];
    switch (d->reg) {
    case 0:
        if ((v & CR0_PG) && !(v & CR0_PE)) cpu_exception(cpu, EXC_GP, 0);
        if ((v & CR0_NW) && !(v & CR0_CD)) cpu_exception(cpu, EXC_GP, 0);
        cpu_set_cr0(cpu, v);
        break;
    case 2: cpu->cr[2] = v; break;
    case 3: cpu_set_cr3(cpu, v); break;
    case 4:
        if (v & ~CR4_SUPPORTED) cpu_exception(cpu, EXC_GP, 0);
        cpu_set_cr4(cpu, v);
        break;
    default: cpu_fault(cpu, EXC_UD);
    }
}

static unsigned dr_index(Cpu *cpu, unsigned r)
{
    if (r == 4 || r == 5) {
        if (cpu->cr[4] & CR4_DE) cpu_fault(cpu, EXC_UD);
        return r + 2;
    }
    return r;
}

/* DR7.GD: any MOV to or from a debug register raises #DB (a fault) with
 * DR6.BD set, and GD is cleared so the handler can use them (SDM 17.2.4). */
static void dr_general_detect(Cpu *cpu)
{
    if (!(cpu->dr[7] & (1u << 13))) return;
    cpu->dr[6] |= 1u << 13;
    cpu->dr[7] &= ~(1u << 13);
    cpu_fault(cpu, EXC_DB);
}

void op_mov_RdDd(Cpu *cpu, const DecodedInsn *d)
{
    require_cpl0(cpu);
    unsigned r = dr_index(cpu, d->reg);
    dr_general_detect(cpu);
    cpu->regs[d->rm] = cpu->dr[r];
}

void op_mov_DdRd(Cpu *cpu, const DecodedInsn *d)
{
    require_cpl0(cpu);
    unsigned r = dr_index(cpu, d->reg);
    dr_general_detect(cpu);
    uint32_t v = cpu->regs[d->rm];
    if (r == 6)
        v = (v & 0x0000E00Fu) | 0xFFFF0FF0u;
    else if (r == 7)
        v = (v & 0xFFFF2BFFu) | 0x400u;
    cpu->dr[r] = v;
    if (r != 6) cpu_dbg_update(cpu);
    cpu->stop_block = true; /* the loop re-reads which breakpoints are on */
}

void op_clts(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    require_cpl0(cpu);
    cpu->cr[0] &= ~CR0_TS;
}

void op_invd(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    require_cpl0(cpu);
}

void op_wbinvd(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    require_cpl0(cpu);
}

void op_invlpg(Cpu *cpu, const DecodedInsn *d)
{
    /* The operand is not accessed: no segment limit check, no fault; the
     * TLB entries of its page go, global or not (SDM Vol. 2 INVLPG). */
    require_cpl0(cpu);
    cpu_tlb_flush_page(cpu, cpu->seg[d->seg].base + decode_ea(cpu, d));
}

/* ---- descriptor-table registers and the machine status word ---- */

static void load_dt(Cpu *cpu, const DecodedInsn *d, DtReg *dt)
{
    require_cpl0(cpu);
    uint32_t ea = decode_ea(cpu, d);
    uint16_t limit = cpu_rd16(cpu, d->seg, ea);
    uint32_t base = cpu_rd32(cpu, d->seg, ea + 2);
    /* With a 16-bit operand size only 24 bits of the base are loaded. */
    if (!(d->pfx & PFX_OP32)) base &= 0x00FFFFFFu;
    dt->limit = limit;
    dt->base = base;
}

static void store_dt(Cpu *cpu, const DecodedInsn *d, const DtReg *dt)
{
    uint32_t ea = decode_ea(cpu, d);
    /* The full 32-bit base is stored whatever the operand size (P6). */
    cpu_wr16(cpu, d->seg, ea, dt->limit);
    cpu_wr32(cpu, d->seg, ea + 2, dt->base);
}

void op_lgdt(Cpu *cpu, const DecodedInsn *d) { load_dt(cpu, d, &cpu->gdtr); }
void op_lidt(Cpu *cpu, const DecodedInsn *d) { load_dt(cpu, d, &cpu->idtr); }
void op_sgdt(Cpu *cpu, const DecodedInsn *d) { store_dt(cpu, d, &cpu->gdtr); }
void op_sidt(Cpu *cpu, const DecodedInsn *d) { store_dt(cpu, d, &cpu->idtr); }

void op_smsw(Cpu *cpu, const DecodedInsn *d)
{
    /* A register destination with 32-bit operand size receives all of CR0. */
    if (!d->is_mem && (d->pfx & PFX_OP32))
        cpu->regs[d->rm] = cpu->cr[0];
    else
        rm_store(cpu, d, cpu->cr[0] & 0xFFFF, 2);
}

void op_lmsw(Cpu *cpu, const DecodedInsn *d)
{
    require_cpl0(cpu);
    uint32_t v = rm_load(cpu, d, 2);
    /* Only PE, MP, EM, TS; LMSW can set PE but never clear it. */
    uint32_t cr0 = (cpu->cr[0] & ~0xEu) | (v & 0xF);
    if (cpu->cr[0] & CR0_PE) cr0 |= CR0_PE;
    cpu_set_cr0(cpu, cr0);
}

/* ---- protected-mode-only instructions: #UD in real and v86 mode ----
 * SDM Vol. 2 LLDT, LTR, SLDT, STR, LAR, LSL, VERR/VERW, ARPL; Vol. 3
 * 3.5.1 (the LDT descriptor) and 7.2.4 (TR and the busy bit). */

static void require_pm(Cpu *cpu)
{
    if (!protected_mode(cpu)) cpu_fault(cpu, EXC_UD);
}

/* SLDT/STR: a register destination with a 32-bit operand size receives
 * the selector zero-extended (P6 family); memory is always 16 bits. */
static void store_sel(Cpu *cpu, const DecodedInsn *d, uint16_t sel)
{
    if (!d->is_mem && (d->pfx & PFX_OP32))
        cpu->regs[d->rm] = sel;
    else
        rm_store(cpu, d, sel, 2);
}

void op_sldt(Cpu *cpu, const DecodedInsn *d)
{
    require_pm(cpu);
    store_sel(cpu, d, cpu->ldtr.sel);
}

void op_str(Cpu *cpu, const DecodedInsn *d)
{
    require_pm(cpu);
    store_sel(cpu, d, cpu->tr.sel);
}

/* LLDT: a null selector leaves the LDT unusable (every TI = 1 selector
 * then faults); otherwise an LDT descriptor in the GDT. */
void op_lldt(Cpu *cpu, const DecodedInsn *d)
{
    require_pm(cpu);
    require_cpl0(cpu);
    uint16_t sel = (uint16_t)rm_load(cpu, d, 2);
    if (SEL_IS_NULL(sel)) {
        seg_cache_null(&cpu->ldtr, sel);
        return;
    }
    SegDesc desc;
    if (sel & SEL_TI) cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    seg_fetch_desc(cpu, sel, &desc, EXC_GP, 0);
    if (seg_desc_s(&desc) || seg_desc_type(&desc) != DESC_LDT)
        cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    if (!seg_desc_present(&desc)) cpu_exception(cpu, EXC_NP, SEL_ERR(sel));
    seg_cache_load(&cpu->ldtr, sel, &desc);
}

/* LTR: an available TSS in the GDT, which becomes busy (in memory and in
 * the TR cache). */
void op_ltr(Cpu *cpu, const DecodedInsn *d)
{
    require_pm(cpu);
    require_cpl0(cpu);
    uint16_t sel = (uint16_t)rm_load(cpu, d, 2);
    if (SEL_IS_NULL(sel)) cpu_exception(cpu, EXC_GP, 0);
    SegDesc desc;
    if (sel & SEL_TI) cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    seg_fetch_desc(cpu, sel, &desc, EXC_GP, 0);
    unsigned type = seg_desc_type(&desc);
    if (seg_desc_s(&desc) || (type != DESC_TSS16 && type != DESC_TSS32))
        cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    if (!seg_desc_present(&desc)) cpu_exception(cpu, EXC_NP, SEL_ERR(sel));
    desc.hi |= 2u << 8; /* busy */
    uint32_t lin;
    if (seg_desc_addr(cpu, sel, &lin)) seg_sys_write(cpu, lin + 5, (desc.hi >> 8) & 0xFF, 1);
    seg_cache_load(&cpu->tr, sel, &desc);
}

/* The descriptor as LAR, LSL, VERR and VERW see it: not null, within its
 * table, and (unless conforming code) DPL >= CPL and DPL >= RPL. These
 * instructions never fault on the selector: they report through ZF. */
static bool visible_desc(Cpu *cpu, uint16_t sel, SegDesc *d)
{
    if (SEL_IS_NULL(sel) || !seg_read_desc(cpu, sel, d)) return false;
    if (seg_desc_conforming(d)) return true;
    unsigned dpl = seg_desc_dpl(d);
    return dpl >= cpu->cpl && dpl >= SEL_RPL(sel);
}

static void set_zf(Cpu *cpu, bool z) { cpu_set_eflags(cpu, z ? F_ZF : 0, F_ZF); }

/* LAR: access rights (descriptor bytes 5-6) masked with 00F0FF00H (32-bit;
 * the limit bits 16-19 read as 0 as on QEMU, the SDM leaves them
 * undefined) or FF00H (16-bit). Valid system types: TSSs, LDT, call and
 * task gates - not interrupt or trap gates. */
void op_lar(Cpu *cpu, const DecodedInsn *d)
{
    require_pm(cpu);
    unsigned sz = op_size(d);
    uint16_t sel = (uint16_t)rm_load(cpu, d, 2);
    SegDesc desc;
    bool ok = visible_desc(cpu, sel, &desc);
    if (ok && !seg_desc_s(&desc)) ok = (0x1A3Eu >> seg_desc_type(&desc)) & 1; /* 1-5, 9, B, C */
    if (ok) reg_write(cpu, d->reg, desc.hi & (sz == 4 ? 0x00F0FF00u : 0xFF00u), sz);
    set_zf(cpu, ok);
}

/* LSL: the byte-granular limit (G applied); a 16-bit operand size keeps
 * its low 16 bits. Valid system types: TSSs and the LDT. */
void op_lsl(Cpu *cpu, const DecodedInsn *d)
{
    require_pm(cpu);
    unsigned sz = op_size(d);
    uint16_t sel = (uint16_t)rm_load(cpu, d, 2);
    SegDesc desc;
    bool ok = visible_desc(cpu, sel, &desc);
    if (ok && !seg_desc_s(&desc)) ok = (0x0A0Eu >> seg_desc_type(&desc)) & 1; /* 1, 2, 3, 9, B */
    if (ok) reg_write(cpu, d->reg, seg_desc_limit(&desc), sz);
    set_zf(cpu, ok);
}

/* VERR: readable (data or readable code); VERW: writable data. */
void op_verr(Cpu *cpu, const DecodedInsn *d)
{
    require_pm(cpu);
    uint16_t sel = (uint16_t)rm_load(cpu, d, 2);
    SegDesc desc;
    set_zf(cpu, visible_desc(cpu, sel, &desc) && seg_desc_readable(&desc));
}

void op_verw(Cpu *cpu, const DecodedInsn *d)
{
    require_pm(cpu);
    uint16_t sel = (uint16_t)rm_load(cpu, d, 2);
    SegDesc desc;
    set_zf(cpu, visible_desc(cpu, sel, &desc) && seg_desc_writable_data(&desc));
}

/* ARPL r/m16, r16: raises the destination's RPL to the source's. */
void op_arpl(Cpu *cpu, const DecodedInsn *d)
{
    require_pm(cpu);
    uint32_t ea = 0;
    uint32_t dst = rm_read(cpu, d, &ea, 2);
    uint32_t src = reg_read(cpu, d->reg, 2);
    bool raise = (dst & 3) < (src & 3);
    if (raise) rm_write(cpu, d, ea, (dst & ~3u) | (src & 3), 2);
    set_zf(cpu, raise);
}

/* ---- SYSENTER / SYSEXIT (SDM Vol. 2; Vol. 3 5.8.7) ----
 * Flat segments from IA32_SYSENTER_CS: CS = SYSENTER_CS (ring 0, 32-bit
 * code, 4 GiB), SS = SYSENTER_CS + 8 (ring 0 data); SYSEXIT returns to
 * CS = SYSENTER_CS + 16 and SS = SYSENTER_CS + 24 at ring 3, EIP from EDX
 * and ESP from ECX. The descriptors are not read: the caches are loaded
 * with fixed values, as the SDM says. */

static void flat_seg(SegReg *s, uint16_t sel, bool code, unsigned dpl)
{
    s->sel = sel;
    s->base = 0;
    s->limit = 0xFFFFFFFFu;
    s->attr = (uint16_t)(SEG_P | SEG_S | SEG_RW | SEG_A | SEG_DB | SEG_G | (code ? SEG_CODE : 0) |
                         (dpl << SEG_DPL_SHIFT));
}

void op_sysenter(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    /* #GP(0) in real mode or with SYSENTER_CS = 0. */
    if (!(cpu->cr[0] & CR0_PE) || (cpu->sysenter_cs & 0xFFFC) == 0) cpu_exception(cpu, EXC_GP, 0);
    uint16_t cs = (uint16_t)(cpu->sysenter_cs & 0xFFFC);
    cpu->eflags &= ~(F_VM | F_IF | F_RF);
    flat_seg(&cpu->seg[S_CS], cs, true, 0);
    flat_seg(&cpu->seg[S_SS], (uint16_t)(cs + 8), false, 0);
    cpu->regs[R_ESP] = cpu->sysenter_esp;
    cpu->next_eip = cpu->sysenter_eip;
    cpu_update_mode(cpu);
    cpu->stop_block = true;
}

void op_sysexit(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    if (!(cpu->cr[0] & CR0_PE) || (cpu->sysenter_cs & 0xFFFC) == 0 || cpu->cpl != 0)
        cpu_exception(cpu, EXC_GP, 0);
    uint16_t cs = (uint16_t)cpu->sysenter_cs;
    flat_seg(&cpu->seg[S_CS], (uint16_t)((cs + 16) | 3), true, 3);
    flat_seg(&cpu->seg[S_SS], (uint16_t)((cs + 24) | 3), false, 3);
    cpu->regs[R_ESP] = cpu->regs[R_ECX];
    cpu->next_eip = cpu->regs[R_EDX];
    cpu_update_mode(cpu);
    cpu->stop_block = true;
}
