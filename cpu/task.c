/*
 * task.c - hardware task switching and the I/O permission check.
 *
 * Models the task management of a P6-family CPU as the Intel SDM Vol. 3
 * describes it: chapter 8 "Task Management" (8.2 the 32-bit and 16-bit
 * TSS formats and descriptors, 8.3 "Task Switching" and its numbered
 * steps, 8.4 task linking: NT, the previous task link and the busy bits),
 * Table 6-6 (the #TS conditions) and chapter 6 "Interrupt 10 - Invalid
 * TSS Exception"; and the I/O permission bit map of the 32-bit TSS (SDM
 * Vol. 1 section 18.5.2 / Vol. 3 section 20.2.8 for virtual-8086 mode).
 *
 * The order of a switch (SDM Vol. 3 8.3, steps 3-13):
 *   1. the new TSS descriptor: in the GDT, a TSS that is available (busy
 *      for IRET), present, with a limit of at least 67H (32-bit) or 2BH
 *      (16-bit); the current TSS must also be large enough to be saved
 *      into. Faults here are raised in the old task's context and change
 *      nothing.
 *   2. the whole new TSS is read before anything is written, so that a
 *      page fault on it still leaves the old task intact;
 *   3. the old task's state goes into the old TSS (EIP, EFLAGS with NT
 *      cleared for IRET, general and segment registers; never CR3 or the
 *      LDT selector, which are static fields);
 *   4. busy bits: cleared in the old descriptor for JMP and IRET, set in
 *      the new one unless IRET (it is already set); for CALL and INT the
 *      new TSS's link field gets the old TR and the new EFLAGS get NT;
 *   5. commit: TR and its hidden cache, CR0.TS, CR3 (32-bit TSS with
 *      paging on), DR7's local enables cleared, EIP, EFLAGS, the general
 *      registers and all selectors. From here on, faults happen in the
 *      context of the new task: the selectors are in place with unusable
 *      caches, and each is then loaded and checked in turn (LDTR, CS, SS,
 *      ES, DS, FS, GS) raising #TS/#NP/#SS with its selector;
 *   6. the error code (exceptions through a task gate) is pushed on the
 *      new stack, EIP is checked against the CS limit, and a set T bit in
 *      the new TSS raises the debug trap (DR6.BT) before the new task's
 *      first instruction.
 *
 * Contract with the callers (cpu/task.h): privilege checks of JMP/CALL
 * and INT n (the TSS or task gate DPL against CPL and RPL) and reading the
 * back link for IRET are the caller's. The old task's EIP is next_eip
 * (JMP, CALL, IRET, INT n/INT3/INTO). An event with no instruction to
 * complete - an exception being delivered (cpu->exc_nesting >= 0) or an
 * external interrupt taken between instructions (eip == next_eip; the IDT
 * delivery in cpu.c also sets next_eip = eip for exceptions) - saves
 * cpu->eip and sets the EXT bit in the error codes of the faults raised
 * here (SDM 6.13).
 *
 * Descriptors are read and cached with cpu/seg.h; implicit accesses to the
 * GDT, LDT and TSSs are supervisor accesses whatever the CPL
 * (seg_sys_read/seg_sys_write).
 *
 * Choices where the SDM is silent or loose (the same as Bochs and QEMU):
 * - CR3 is loaded from a 32-bit TSS only while paging is on.
 * - The new task's segments are loaded in the order CS, SS, ES, DS, FS,
 *   GS (after the LDTR), so with several bad selectors the first in that
 *   order is the one reported.
 * - Faults raised in the new task's context while an exception is being
 *   delivered through a task gate follow the double-fault rules as usual.
 *
 * Known deviations:
 * - A 16-bit TSS has no EFLAGS upper half: loading one clears EFLAGS bits
 *   16-31 (VM, RF, AC, ID, VIF, VIP), sets the upper halves of the general
 *   registers to FFFFh and makes FS and GS null (as Bochs does; the SDM
 *   calls the upper halves "modified and not maintained").
 * - A stack fault while pushing the error code raises #SS(0), not
 *   #SS(EXT).
 */
#include "cpu/task.h"

#include "cpu/mem.h"
#include "cpu/seg.h"

/* The busy bit within a TSS descriptor's type (seg.h: DESC_TSS16/32 and
 * their _BUSY forms). */
#define DT_BUSY 0x02u

/* Minimum limits: 104 and 44 bytes. */
#define TSS32_MIN_LIMIT 0x67u
#define TSS16_MIN_LIMIT 0x2Bu

/* Field offsets of the 32-bit TSS (SDM Vol. 3 Figure 8-2). */
enum {
    T32_LINK = 0x00,
    T32_CR3 = 0x1C,
    T32_EIP = 0x20,
    T32_EFLAGS = 0x24,
    T32_REGS = 0x28, /* EAX ECX EDX EBX ESP EBP ESI EDI, 4 bytes each */
    T32_SEGS = 0x48, /* ES CS SS DS FS GS, 4-byte slots */
    T32_LDT = 0x60,
    T32_TRAP = 0x64,
    T32_IOMAP = 0x66,
};

/* Field offsets of the 16-bit TSS (SDM Vol. 3 Figure 8-11). */
enum {
    T16_LINK = 0x00,
    T16_IP = 0x0E,
    T16_FLAGS = 0x10,
    T16_REGS = 0x12, /* AX CX DX BX SP BP SI DI, 2 bytes each */
    T16_SEGS = 0x22, /* ES CS SS DS, 2 bytes each */
    T16_LDT = 0x2A,
};

/* The dynamic and static fields the switch loads from the new TSS. */
typedef struct TssImage {
    uint32_t cr3, eip, eflags;
    uint32_t regs[8];
    uint16_t sel[S_COUNT];
    uint16_t ldt;
    bool trap;
} TssImage;

/* Sets or clears the busy bit of the TSS descriptor sel (in the GDT). */
static void tss_set_busy(Cpu *cpu, uint16_t sel, bool busy)
{
    uint32_t at = cpu->gdtr.base + (sel & 0xFFF8u) + 5;
    uint32_t ar = seg_sys_read(cpu, at, 1);
    ar = busy ? (ar | DT_BUSY) : (ar & ~(uint32_t)DT_BUSY);
    seg_sys_write(cpu, at, ar, 1);
}

static inline bool tss_is32(uint16_t attr)
{
    return (attr & 0x8) != 0;
}

/* ---- the new task's segments (faults in the new task's context) ---------- */

/* LDTR: null is allowed (and leaves the LDT unusable); otherwise an LDT
 * descriptor in the GDT that is present, else #TS(LDT selector). */
static void load_ldt(Cpu *cpu, uint16_t sel, uint32_t ext)
{
    SegDesc d;
    if (SEL_IS_NULL(sel)) {
        seg_cache_null(&cpu->ldtr, sel);
        return;
    }
    uint32_t err = SEL_ERR(sel) | ext;
    if ((sel & SEL_TI) || !seg_read_desc(cpu, sel, &d)) cpu_exception(cpu, EXC_TS, err);
    if (seg_desc_s(&d) || seg_desc_type(&d) != DESC_LDT || !seg_desc_present(&d))
        cpu_exception(cpu, EXC_TS, err);
    seg_cache_load(&cpu->ldtr, sel, &d);
}

/* CS: a code segment whose DPL equals its RPL (non-conforming) or is at
 * most its RPL (conforming); the RPL becomes the CPL. */
static void load_cs(Cpu *cpu, uint16_t sel, uint32_t ext)
{
    SegDesc d;
    uint32_t err = SEL_ERR(sel) | ext;
    if (SEL_IS_NULL(sel) || !seg_read_desc(cpu, sel, &d)) cpu_exception(cpu, EXC_TS, err);
    if (!seg_desc_is_code(&d)) cpu_exception(cpu, EXC_TS, err);
    unsigned dpl = seg_desc_dpl(&d), rpl = SEL_RPL(sel);
    if (seg_desc_conforming(&d) ? dpl > rpl : dpl != rpl) cpu_exception(cpu, EXC_TS, err);
    if (!seg_desc_present(&d)) cpu_exception(cpu, EXC_NP, err);
    seg_set_accessed(cpu, sel, &d);
    seg_cache_load(&cpu->seg[S_CS], sel, &d);
}

/* SS: a writable data segment with RPL = DPL = CPL; not present: #SS. */
static void load_ss(Cpu *cpu, uint16_t sel, unsigned cpl, uint32_t ext)
{
    SegDesc d;
    uint32_t err = SEL_ERR(sel) | ext;
    if (SEL_IS_NULL(sel) || !seg_read_desc(cpu, sel, &d)) cpu_exception(cpu, EXC_TS, err);
    if (SEL_RPL(sel) != cpl || !seg_desc_writable_data(&d) || seg_desc_dpl(&d) != cpl)
        cpu_exception(cpu, EXC_TS, err);
    if (!seg_desc_present(&d)) cpu_exception(cpu, EXC_SS, err);
    seg_set_accessed(cpu, sel, &d);
    seg_cache_load(&cpu->seg[S_SS], sel, &d);
}

/* DS, ES, FS, GS: null stays null (unusable); otherwise data or readable
 * code, with DPL >= CPL and RPL unless conforming code; not present: #NP. */
static void load_data(Cpu *cpu, int seg, uint16_t sel, unsigned cpl, uint32_t ext)
{
    SegDesc d;
    if (SEL_IS_NULL(sel)) return; /* already null with an unusable cache */
    uint32_t err = SEL_ERR(sel) | ext;
    if (!seg_read_desc(cpu, sel, &d) || !seg_desc_readable(&d)) cpu_exception(cpu, EXC_TS, err);
    unsigned dpl = seg_desc_dpl(&d);
    if (!seg_desc_conforming(&d) && (dpl < cpl || dpl < SEL_RPL(sel)))
        cpu_exception(cpu, EXC_TS, err);
    if (!seg_desc_present(&d)) cpu_exception(cpu, EXC_NP, err);
    seg_set_accessed(cpu, sel, &d);
    seg_cache_load(&cpu->seg[seg], sel, &d);
}

/* ---- TSS images -------------------------------------------------------------- */

static void tss_read(Cpu *cpu, const SegReg *t, TssImage *im)
{
    uint32_t b = t->base;
    if (tss_is32(t->attr)) {
        im->cr3 = seg_sys_read(cpu, b + T32_CR3, 4);
        im->eip = seg_sys_read(cpu, b + T32_EIP, 4);
        im->eflags = seg_sys_read(cpu, b + T32_EFLAGS, 4);
        for (int r = 0; r < 8; r++)
            im->regs[r] = seg_sys_read(cpu, b + T32_REGS + 4 * r, 4);
        for (int s = 0; s < S_COUNT; s++)
            im->sel[s] = (uint16_t)seg_sys_read(cpu, b + T32_SEGS + 4 * s, 2);
        im->ldt = (uint16_t)seg_sys_read(cpu, b + T32_LDT, 2);
        im->trap = (seg_sys_read(cpu, b + T32_TRAP, 2) & 1) != 0;
    } else {
        im->cr3 = 0;
        im->eip = seg_sys_read(cpu, b + T16_IP, 2);
        im->eflags = seg_sys_read(cpu, b + T16_FLAGS, 2);
        for (int r = 0; r < 8; r++)
            im->regs[r] = 0xFFFF0000u | seg_sys_read(cpu, b + T16_REGS + 2 * r, 2);
        for (int s = 0; s < 4; s++)
            im->sel[s] = (uint16_t)seg_sys_read(cpu, b + T16_SEGS + 2 * s, 2);
        im->sel[S_FS] = 0;
        im->sel[S_GS] = 0;
        im->ldt = (uint16_t)seg_sys_read(cpu, b + T16_LDT, 2);
        im->trap = false;
    }
}

/* Saves the dynamic state of the running task into its TSS. */
static void tss_save(Cpu *cpu, uint32_t eip, uint32_t eflags)
{
    uint32_t b = cpu->tr.base;
    if (tss_is32(cpu->tr.attr)) {
        seg_sys_write(cpu, b + T32_EIP, eip, 4);
        seg_sys_write(cpu, b + T32_EFLAGS, eflags, 4);
        for (int r = 0; r < 8; r++)
            seg_sys_write(cpu, b + T32_REGS + 4 * r, cpu->regs[r], 4);
        for (int s = 0; s < S_COUNT; s++)
            seg_sys_write(cpu, b + T32_SEGS + 4 * s, cpu->seg[s].sel, 2);
    } else {
        seg_sys_write(cpu, b + T16_IP, eip & 0xFFFF, 2);
        seg_sys_write(cpu, b + T16_FLAGS, eflags & 0xFFFF, 2);
        for (int r = 0; r < 8; r++)
            seg_sys_write(cpu, b + T16_REGS + 2 * r, cpu->regs[r] & 0xFFFF, 2);
        for (int s = 0; s < 4; s++)
            seg_sys_write(cpu, b + T16_SEGS + 2 * s, cpu->seg[s].sel, 2);
    }
}

/* ---- the switch ------------------------------------------------------------------ */

/* An event with no instruction to complete: an exception being delivered
 * or an external interrupt (NMI, INTR, single-step trap) taken between
 * instructions. See the contract in the header comment. */
static bool event_external(const Cpu *cpu, TaskSwitchReason reason)
{
    return reason == TASK_INT && (cpu->exc_nesting >= 0 || cpu->eip == cpu->next_eip);
}

void cpu_task_switch(Cpu *cpu, uint16_t tss_sel, TaskSwitchReason reason, bool has_error,
                     uint32_t error)
{
    bool external = event_external(cpu, reason);
    uint32_t ext = external ? 1u : 0u;
    uint32_t err = SEL_ERR(tss_sel) | ext;
    /* A bad selector is #TS for IRET (the back link, Table 6-6) and #GP
     * for JMP, CALL and task gates (SDM JMP, CALL, INT n pages). */
    int bad_sel = reason == TASK_IRET ? EXC_TS : EXC_GP;

    /* 1. The new TSS descriptor. */
    SegDesc d;
    if (SEL_IS_NULL(tss_sel) || (tss_sel & SEL_TI) || !seg_read_desc(cpu, tss_sel, &d))
        cpu_exception(cpu, bad_sel, err);
    unsigned type = seg_desc_s(&d) ? 0 : seg_desc_type(&d);
    if (reason == TASK_IRET) {
        if (type != DESC_TSS16_BUSY && type != DESC_TSS32_BUSY) cpu_exception(cpu, EXC_TS, err);
    } else if (type != DESC_TSS16 && type != DESC_TSS32) {
        cpu_exception(cpu, EXC_GP, err);
    }
    if (!seg_desc_present(&d)) cpu_exception(cpu, EXC_NP, err);
    SegReg tss;
    seg_cache_load(&tss, tss_sel, &d);
    if (tss.limit < (tss_is32(tss.attr) ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT))
        cpu_exception(cpu, EXC_TS, err);
    /* The current TSS must hold the state about to be saved. */
    if (cpu->tr.limit < (tss_is32(cpu->tr.attr) ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT))
        cpu_exception(cpu, EXC_TS, SEL_ERR(cpu->tr.sel) | ext);

    /* 2. Read all of the new TSS before writing anything. */
    TssImage in;
    tss_read(cpu, &tss, &in);

    /* 3. Save the current task. */
    uint32_t old_eip = external ? cpu->eip : cpu->next_eip;
    uint32_t old_flags = cpu_get_eflags(cpu);
    if (reason == TASK_IRET) old_flags &= ~F_NT;
    tss_save(cpu, old_eip, old_flags);

    /* 4. Task linking and the busy bits (SDM 8.4, Table 8-2). */
    bool old_tr_valid = !SEL_IS_NULL(cpu->tr.sel) && !(cpu->tr.sel & SEL_TI);
    if (reason == TASK_CALL || reason == TASK_INT) {
        seg_sys_write(cpu, tss.base + T32_LINK, cpu->tr.sel, 2); /* T16_LINK is the same */
        in.eflags |= F_NT;
    }
    if ((reason == TASK_JMP || reason == TASK_IRET) && old_tr_valid)
        tss_set_busy(cpu, cpu->tr.sel, false);
    if (reason != TASK_IRET) tss_set_busy(cpu, tss_sel, true);

    /* 5. Commit: the task register and everything the new TSS holds. */
    bool is32 = tss_is32(tss.attr);
    tss.attr |= DT_BUSY;
    cpu->tr = tss;
    cpu->cr[0] |= CR0_TS;
    cpu->dr[7] &= ~0x155u; /* L0-L3 and LE are cleared on every task switch */
    cpu_dbg_update(cpu);
    if (is32 && (cpu->cr[0] & CR0_PG)) cpu_set_cr3(cpu, in.cr3);
    for (int r = 0; r < 8; r++)
        cpu->regs[r] = in.regs[r];
    cpu->eip = cpu->next_eip = is32 ? in.eip : (in.eip & 0xFFFF);
    bool v86 = is32 && (in.eflags & F_VM);
    /* The selectors first, with unusable caches (or, in virtual-8086 mode,
     * the final real-mode style ones), so that a fault while loading them
     * shows the new task fully loaded (SDM 8.3 step 11). */
    for (int s = 0; s < S_COUNT; s++) {
        if (v86)
            seg_load_real(cpu, s, in.sel[s], true);
        else
            seg_cache_null(&cpu->seg[s], in.sel[s]);
    }
    seg_cache_null(&cpu->ldtr, in.ldt);
    cpu_set_eflags(cpu, in.eflags, 0xFFFFFFFFu);
    cpu_update_mode(cpu);
    cpu->halted = false;
    cpu->stop_block = true;

    /* 6. LDT and segments, checked in the new task's context. */
    load_ldt(cpu, in.ldt, ext);
    if (!v86) {
        unsigned cpl = SEL_RPL(in.sel[S_CS]);
        load_cs(cpu, in.sel[S_CS], ext);
        load_ss(cpu, in.sel[S_SS], cpl, ext);
        load_data(cpu, S_ES, in.sel[S_ES], cpl, ext);
        load_data(cpu, S_DS, in.sel[S_DS], cpl, ext);
        load_data(cpu, S_FS, in.sel[S_FS], cpl, ext);
        load_data(cpu, S_GS, in.sel[S_GS], cpl, ext);
        cpu_update_mode(cpu);
    }

    /* 7. The error code on the new stack, the EIP limit check, the T bit. */
    if (has_error) cpu_push(cpu, error, is32 ? 4 : 2);
    if (cpu->eip > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, ext);
    if (in.trap) {
        /* The switch is complete: the debug trap is a new event, taken
         * before the new task's first instruction (SDM 17.3.1.5). */
        cpu->dr[6] |= 1u << 15; /* BT */
        cpu->exc_nesting = -1;
        cpu_exception(cpu, EXC_DB, 0);
    }
}

/* ---- I/O permission -------------------------------------------------------------- */

bool cpu_io_allowed(Cpu *cpu, uint16_t port, unsigned size)
{
    if (!(cpu->cr[0] & CR0_PE)) return true;
    if (!(cpu->eflags & F_VM) && cpu->cpl <= ((cpu->eflags & F_IOPL) >> 12)) return true;
    /* Only a 32-bit TSS (available or busy) has an I/O map base. */
    unsigned type = cpu->tr.attr & 0x1F; /* S = 0 and the type */
    if (!(cpu->tr.attr & SEG_P) || (type != DESC_TSS32_BUSY && type != DESC_TSS32)) return false;
    if (cpu->tr.limit < T32_IOMAP + 1) return false;
    uint32_t at = seg_sys_read(cpu, cpu->tr.base + T32_IOMAP, 2) + (uint32_t)(port >> 3);
    /* The CPU always reads two bytes (a run of up to four bits starting
     * anywhere in a byte may reach the next), and both must lie within the
     * TSS limit (SDM Vol. 1 18.5.2). */
    if (at + 1 > cpu->tr.limit) return false;
    uint32_t bits = seg_sys_read(cpu, cpu->tr.base + at, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    return (bits & mask) == 0;
}
