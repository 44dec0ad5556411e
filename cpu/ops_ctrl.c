/*
 * ops_ctrl.c - control transfer: Jcc, JMP and CALL (near relative, near
 * indirect, far direct and far indirect), RET and RETF (with and without
 * imm16), LOOP/LOOPE/LOOPNE, JCXZ/JECXZ, INT n, INT3, INTO, INT1 (ICEBP)
 * and IRET.
 *
 * Follows the Intel SDM Vol. 2 pages Jcc, JMP, CALL, RET, LOOP/LOOPcc,
 * INT n/INTO/INT3/INT1 and IRET/IRETD in every mode, and Vol. 3 chapter 5
 * (5.8: privilege checks of far transfers, call gates and the stack
 * switch), 7.3 (task switches through JMP, CALL and IRET, done by
 * cpu/task.c) and 20.3 (virtual-8086 interrupts, CR4.VME). Near targets go
 * through op_jump_near() (cpu/ops.h), which truncates to 16 bits with a
 * 16-bit operand size and raises #GP(0) beyond the CS limit before
 * anything else changes.
 *
 * Fault order: the target is checked and every stack slot read or written
 * before ESP, CS or EIP change, so a faulting transfer can be restarted.
 * Error codes are the SDM's: #GP(0) for null selectors and offsets beyond
 * a limit, #GP(sel)/#NP(sel)/#SS(sel) for the selector that failed,
 * #TS(sel) for a bad inner stack in the TSS.
 *
 * Known deviations: none known. A far transfer to a 16-bit code segment
 * with a 32-bit offset above 0xFFFF faults as the SDM says (#GP(0) beyond
 * the limit), like real CPUs.
 */
#include "cpu/ops.h"
#include "cpu/seg.h"
#include "cpu/task.h"

/* --- Near relative branches ----------------------------------------------- */

void op_jcc_Jb(Cpu *cpu, const DecodedInsn *d)
{
    if (flags_cond(cpu, d->op & 0xF)) op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

void op_jcc_Jz(Cpu *cpu, const DecodedInsn *d)
{
    if (flags_cond(cpu, d->op & 0xF)) op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

void op_jmp_Jb(Cpu *cpu, const DecodedInsn *d)
{
    op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

void op_jmp_Jz(Cpu *cpu, const DecodedInsn *d)
{
    op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

/* CALL rel: the target is checked before the return address is pushed;
 * if the push faults, the changed next_eip is irrelevant (the fault
 * restarts at cpu->eip). */
void op_call_Jz(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t ret = cpu->next_eip;
    op_jump_near(cpu, d, ret + d->imm);
    cpu_push(cpu, ret, op_size(d));
}

/* --- Near indirect ------------------------------------------------------- */

void op_call_Ev(Cpu *cpu, const DecodedInsn *d)
{
    unsigned sz = op_size(d);
    uint32_t ret = cpu->next_eip;
    op_jump_near(cpu, d, rm_load(cpu, d, sz));
    cpu_push(cpu, ret, sz);
}

void op_jmp_Ev(Cpu *cpu, const DecodedInsn *d)
{
    op_jump_near(cpu, d, rm_load(cpu, d, op_size(d)));
}

/* --- Near return ------------------------------------------------------------
 * RET imm16 releases imm16 bytes of parameters after the return address;
 * the stack pointer wraps in the stack size. */
static inline void near_return(Cpu *cpu, const DecodedInsn *d, uint32_t release)
{
    unsigned sz = op_size(d);
    uint32_t target = cpu_rd(cpu, S_SS, cpu_sp(cpu), sz);
    op_jump_near(cpu, d, target);
    cpu_set_sp(cpu, cpu_sp_add(cpu, (int32_t)(sz + release)));
}

void op_ret(Cpu *cpu, const DecodedInsn *d)
{
    near_return(cpu, d, 0);
}

void op_ret_Iw(Cpu *cpu, const DecodedInsn *d)
{
    near_return(cpu, d, d->imm & 0xFFFF);
}

/* --- Far transfers ----------------------------------------------------------
 * Real and virtual-8086 mode: CS is loaded real-mode style (base = sel<<4)
 * and the offset is checked against the CS limit (which a real-mode load
 * keeps). A 32-bit operand size uses 32-bit stack slots (CS zero-extended
 * on a push, the upper half ignored on a pop). */

static inline bool pm_segments(const Cpu *cpu)
{
    return (cpu->cr[0] & CR0_PE) && !(cpu->eflags & F_VM);
}

/* --- Protected-mode far transfers (SDM Vol. 3 5.8 "Privilege Level
 * Checking When Transferring Program Control Between Code Segments", 7.3
 * for task switches; Vol. 2 JMP, CALL, RET and IRET, Operation). Every
 * check, and every stack slot written or read, comes before CS, SS, ESP or
 * EIP change. */

/* The descriptor of a far target: a null selector is #GP(0), one beyond
 * its table #GP(sel). */
static void far_target(Cpu *cpu, uint16_t sel, SegDesc *d)
{
    if (SEL_IS_NULL(sel)) cpu_exception(cpu, EXC_GP, 0);
    seg_fetch_desc(cpu, sel, d, EXC_GP, 0);
}

/* Loads CS from a checked code descriptor with RPL = cpl and jumps. */
static void load_cs_pm(Cpu *cpu, uint16_t sel, SegDesc *d, unsigned cpl, uint32_t eip)
{
    seg_set_accessed(cpu, sel, d);
    seg_cache_load(&cpu->seg[S_CS], (uint16_t)((sel & 0xFFFC) | cpl), d);
    cpu->next_eip = eip;
    cpu_update_mode(cpu);
    cpu->stop_block = true;
}

/* A code segment named directly by JMP or CALL: the privilege never
 * changes; conforming code needs DPL <= CPL, non-conforming code RPL <= CPL
 * and DPL = CPL (SDM 5.8.1, 5.8.2). */
static void check_code_direct(Cpu *cpu, uint16_t sel, const SegDesc *d)
{
    unsigned dpl = seg_desc_dpl(d);
    if (seg_desc_conforming(d) ? dpl > cpu->cpl : (SEL_RPL(sel) > cpu->cpl || dpl != cpu->cpl))
        cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    if (!seg_desc_present(d)) cpu_exception(cpu, EXC_NP, SEL_ERR(sel));
}

/* A call gate, task gate or TSS named by JMP or CALL: its DPL must be at
 * least CPL and RPL (SDM 5.8.4, 7.3). */
static void check_gate(Cpu *cpu, uint16_t sel, const SegDesc *d)
{
    unsigned dpl = seg_desc_dpl(d);
    if (dpl < cpu->cpl || dpl < SEL_RPL(sel)) cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    if (!seg_desc_present(d)) cpu_exception(cpu, EXC_NP, SEL_ERR(sel));
}

/* The code segment behind a call gate: code with DPL <= CPL (a gate leads
 * to the same or a more privileged level, never outwards). */
static uint16_t gate_target(Cpu *cpu, const SegDesc *gate, SegDesc *cd)
{
    uint16_t sel = seg_gate_sel(gate);
    if (SEL_IS_NULL(sel)) cpu_exception(cpu, EXC_GP, 0);
    seg_fetch_desc(cpu, sel, cd, EXC_GP, 0);
    if (!seg_desc_is_code(cd) || seg_desc_dpl(cd) > cpu->cpl)
        cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    return sel;
}

/* JMP or CALL to a task gate or an available TSS: the DPL check is the
 * caller's (here), the TSS checks and the switch are cpu/task.c's. A busy
 * TSS never gets here (the type switch sends it to #GP(sel)). */
static void far_task(Cpu *cpu, uint16_t sel, const SegDesc *d, TaskSwitchReason why)
{
    check_gate(cpu, sel, d);
    uint16_t tss = seg_desc_type(d) == DESC_TASK ? seg_gate_sel(d) : sel;
    cpu_task_switch(cpu, tss, why, false, 0);
    cpu->stop_block = true;
}

static unsigned far_kind(const SegDesc *d) { return seg_desc_s(d) ? 0 : seg_desc_type(d); }

static void far_jump_pm(Cpu *cpu, const DecodedInsn *d, uint16_t sel, uint32_t off)
{
    SegDesc desc;
    far_target(cpu, sel, &desc);
    if (seg_desc_is_code(&desc)) {
        check_code_direct(cpu, sel, &desc);
        if (!(d->pfx & PFX_OP32)) off &= 0xFFFF;
        if (off > seg_desc_limit(&desc)) cpu_exception(cpu, EXC_GP, 0);
        load_cs_pm(cpu, sel, &desc, cpu->cpl, off);
        return;
    }
    switch (far_kind(&desc)) {
    case DESC_CALL16:
    case DESC_CALL32: {
        check_gate(cpu, sel, &desc);
        SegDesc cd;
        uint16_t csel = gate_target(cpu, &desc, &cd);
        /* JMP never changes privilege, through a gate or not. */
        if (!seg_desc_conforming(&cd) && seg_desc_dpl(&cd) != cpu->cpl)
            cpu_exception(cpu, EXC_GP, SEL_ERR(csel));
        if (!seg_desc_present(&cd)) cpu_exception(cpu, EXC_NP, SEL_ERR(csel));
        uint32_t target = seg_gate_offset(&desc);
        if (target > seg_desc_limit(&cd)) cpu_exception(cpu, EXC_GP, 0);
        load_cs_pm(cpu, csel, &cd, cpu->cpl, target);
        return;
    }
    case DESC_TASK:
    case DESC_TSS16:
    case DESC_TSS32:
        far_task(cpu, sel, &desc, TASK_JMP);
        return;
    default:
        cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    }
}

/* CALL through a call gate to a more privileged non-conforming segment
 * (SDM 5.8.5, Figure 5-13): the new stack comes from the TSS; onto it go
 * the caller's SS and ESP, the gate's parameter count of words or dwords
 * copied from the caller's stack (the deepest first, so the layout stays),
 * then CS and EIP. Slots are the gate's size, whatever the operand size. */
static void call_gate_inner(Cpu *cpu, const SegDesc *gate, uint16_t csel, SegDesc *cd)
{
    unsigned dpl = seg_desc_dpl(cd);
    unsigned gsz = seg_gate_size(gate);
    uint32_t target = seg_gate_offset(gate);
    SegStack st, old;
    SegDesc ssd;
    uint16_t ss_sel;
    seg_inner_stack(cpu, dpl, &st, &ss_sel, &ssd, 0);
    seg_stack_current(cpu, &old, 0);
    seg_stack_push(cpu, &st, cpu->seg[S_SS].sel, gsz);
    seg_stack_push(cpu, &st, cpu->regs[R_ESP], gsz);
    for (unsigned i = seg_gate_params(gate); i-- > 0;)
        seg_stack_push(cpu, &st, seg_stack_peek(cpu, &old, i * gsz, gsz), gsz);
    seg_stack_push(cpu, &st, cpu->seg[S_CS].sel, gsz);
    seg_stack_push(cpu, &st, cpu->next_eip, gsz);
    if (target > seg_desc_limit(cd)) cpu_exception(cpu, EXC_GP, 0);
    seg_set_accessed(cpu, ss_sel, &ssd);
    seg_cache_load(&cpu->seg[S_SS], ss_sel, &ssd);
    cpu->regs[R_ESP] = st.sp;
    load_cs_pm(cpu, csel, cd, dpl, target);
}

static void far_call_pm(Cpu *cpu, const DecodedInsn *d, uint16_t sel, uint32_t off)
{
    SegDesc desc;
    SegStack st;
    far_target(cpu, sel, &desc);
    if (seg_desc_is_code(&desc)) {
        unsigned sz = op_size(d);
        check_code_direct(cpu, sel, &desc);
        if (sz == 2) off &= 0xFFFF;
        seg_stack_current(cpu, &st, 0);
        seg_stack_push(cpu, &st, cpu->seg[S_CS].sel, sz);
        seg_stack_push(cpu, &st, cpu->next_eip, sz);
        if (off > seg_desc_limit(&desc)) cpu_exception(cpu, EXC_GP, 0);
        cpu->regs[R_ESP] = st.sp;
        load_cs_pm(cpu, sel, &desc, cpu->cpl, off);
        return;
    }
    switch (far_kind(&desc)) {
    case DESC_CALL16:
    case DESC_CALL32: {
        check_gate(cpu, sel, &desc);
        SegDesc cd;
        uint16_t csel = gate_target(cpu, &desc, &cd);
        if (!seg_desc_present(&cd)) cpu_exception(cpu, EXC_NP, SEL_ERR(csel));
        if (!seg_desc_conforming(&cd) && seg_desc_dpl(&cd) < cpu->cpl) {
            call_gate_inner(cpu, &desc, csel, &cd);
            return;
        }
        unsigned gsz = seg_gate_size(&desc);
        uint32_t target = seg_gate_offset(&desc);
        seg_stack_current(cpu, &st, 0);
        seg_stack_push(cpu, &st, cpu->seg[S_CS].sel, gsz);
        seg_stack_push(cpu, &st, cpu->next_eip, gsz);
        if (target > seg_desc_limit(&cd)) cpu_exception(cpu, EXC_GP, 0);
        cpu->regs[R_ESP] = st.sp;
        load_cs_pm(cpu, csel, &cd, cpu->cpl, target);
        return;
    }
    case DESC_TASK:
    case DESC_TSS16:
    case DESC_TSS32:
        far_task(cpu, sel, &desc, TASK_CALL);
        return;
    default:
        cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    }
}

/* The CS a RETF or IRET returns to: code, RPL >= CPL (never inwards),
 * conforming with DPL <= RPL or non-conforming with DPL = RPL, present. */
static void check_return_cs(Cpu *cpu, uint16_t sel, SegDesc *cd)
{
    far_target(cpu, sel, cd);
    unsigned rpl = SEL_RPL(sel), dpl = seg_desc_dpl(cd);
    if (!seg_desc_is_code(cd) || rpl < cpu->cpl) cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    if (seg_desc_conforming(cd) ? dpl > rpl : dpl != rpl) cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    if (!seg_desc_present(cd)) cpu_exception(cpu, EXC_NP, SEL_ERR(sel));
}

/* The SS of a return to the outer level rpl: writable data with
 * RPL = DPL = rpl; not present is #SS(sel). */
static void check_return_ss(Cpu *cpu, uint16_t sel, unsigned rpl, SegDesc *ssd)
{
    if (SEL_IS_NULL(sel)) cpu_exception(cpu, EXC_GP, 0);
    seg_fetch_desc(cpu, sel, ssd, EXC_GP, 0);
    if (SEL_RPL(sel) != rpl || !seg_desc_writable_data(ssd) || seg_desc_dpl(ssd) != rpl)
        cpu_exception(cpu, EXC_GP, SEL_ERR(sel));
    if (!seg_desc_present(ssd)) cpu_exception(cpu, EXC_SS, SEL_ERR(sel));
}

/* Commits a return to the outer level of cs_sel's RPL: SS:ESP (a 16-bit
 * stack takes SP only), CS:EIP, then the data registers that the outer
 * level may not use become null. */
static void return_outer(Cpu *cpu, uint16_t cs_sel, SegDesc *cd, uint32_t eip, uint16_t ss_sel,
                         SegDesc *ssd, uint32_t esp)
{
    unsigned rpl = SEL_RPL(cs_sel);
    seg_set_accessed(cpu, ss_sel, ssd);
    seg_cache_load(&cpu->seg[S_SS], ss_sel, ssd);
    if (cpu->seg[S_SS].attr & SEG_DB)
        cpu->regs[R_ESP] = esp;
    else
        cpu->regs[R_ESP] = (cpu->regs[R_ESP] & 0xFFFF0000u) | (esp & 0xFFFF);
    load_cs_pm(cpu, cs_sel, cd, rpl, eip);
    seg_null_outer(cpu, rpl);
}

/* RETF [imm16] (SDM RET, Operation: PROTECTED-MODE, RETURN-TO-SAME-
 * PRIVILEGE-LEVEL, RETURN-TO-OUTER-PRIVILEGE-LEVEL). To an outer level,
 * imm16 is released on both stacks. */
static void far_return_pm(Cpu *cpu, const DecodedInsn *d, uint32_t release)
{
    unsigned sz = op_size(d);
    SegStack st;
    SegDesc cd;
    seg_stack_current(cpu, &st, 0);
    uint32_t off = seg_stack_peek(cpu, &st, 0, sz);
    uint16_t sel = (uint16_t)seg_stack_peek(cpu, &st, sz, sz);
    check_return_cs(cpu, sel, &cd);
    unsigned rpl = SEL_RPL(sel);
    if (rpl == cpu->cpl) {
        if (off > seg_desc_limit(&cd)) cpu_exception(cpu, EXC_GP, 0);
        cpu->regs[R_ESP] = seg_stack_sp_add(&st, (int32_t)(2 * sz + release));
        load_cs_pm(cpu, sel, &cd, rpl, off);
        return;
    }
    uint32_t esp = seg_stack_peek(cpu, &st, 2 * sz + release, sz);
    uint16_t ss_sel = (uint16_t)seg_stack_peek(cpu, &st, 3 * sz + release, sz);
    SegDesc ssd;
    check_return_ss(cpu, ss_sel, rpl, &ssd);
    if (off > seg_desc_limit(&cd)) cpu_exception(cpu, EXC_GP, 0);
    return_outer(cpu, sel, &cd, off, ss_sel, &ssd, esp + release);
}

/* IRETD at CPL 0 with VM set in the popped EFLAGS (SDM IRET, RETURN-TO-
 * VIRTUAL-8086-MODE): EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS, all
 * dwords, all read before anything changes. */
static void iret_to_v86(Cpu *cpu, SegStack *st, uint32_t off, uint16_t cs, uint32_t fl)
{
    uint32_t esp = seg_stack_peek(cpu, st, 12, 4);
    uint16_t sel[4];
    uint16_t ss = (uint16_t)seg_stack_peek(cpu, st, 16, 4);
    for (int i = 0; i < 4; i++) sel[i] = (uint16_t)seg_stack_peek(cpu, st, 20 + 4 * (uint32_t)i, 4);
    if (off > 0xFFFF) cpu_exception(cpu, EXC_GP, 0);
    cpu_set_eflags(cpu, fl, 0xFFFFFFFFu);
    seg_load_real(cpu, S_CS, cs, true);
    seg_load_real(cpu, S_SS, ss, true);
    seg_load_real(cpu, S_ES, sel[0], true);
    seg_load_real(cpu, S_DS, sel[1], true);
    seg_load_real(cpu, S_FS, sel[2], true);
    seg_load_real(cpu, S_GS, sel[3], true);
    cpu->regs[R_ESP] = esp;
    cpu->next_eip = off;
    cpu_update_mode(cpu);
    cpu->stop_block = true;
}

/* IRET in protected mode (SDM IRET, Operation: PROTECTED-MODE, TASK-
 * RETURN, RETURN-TO-VIRTUAL-8086-MODE, PROTECTED-MODE-RETURN). EFLAGS
 * bits load by the old CPL: IF only when CPL <= IOPL, IOPL (and, 32-bit,
 * VIF and VIP) only at CPL 0; a 16-bit IRET loads bits 0-15 only. */
static void iret_pm(Cpu *cpu, const DecodedInsn *d)
{
    if (cpu->eflags & F_NT) {
        /* Return from a nested task: the back link is the TSS's first
         * word. */
        uint16_t link = (uint16_t)seg_sys_read(cpu, cpu->tr.base, 2);
        cpu_task_switch(cpu, link, TASK_IRET, false, 0);
        cpu->stop_block = true;
        return;
    }
    unsigned sz = op_size(d);
    SegStack st;
    SegDesc cd;
    seg_stack_current(cpu, &st, 0);
    uint32_t off = seg_stack_peek(cpu, &st, 0, sz);
    uint16_t sel = (uint16_t)seg_stack_peek(cpu, &st, sz, sz);
    uint32_t fl = seg_stack_peek(cpu, &st, 2 * sz, sz);
    if (sz == 4 && (fl & F_VM) && cpu->cpl == 0) {
        iret_to_v86(cpu, &st, off, sel, fl);
        return;
    }
    check_return_cs(cpu, sel, &cd);
    unsigned rpl = SEL_RPL(sel);
    unsigned iopl = (cpu->eflags & F_IOPL) >> 12;
    uint32_t mask = F_ARITH | F_TF | F_DF | F_NT;
    if (sz == 4) mask |= F_RF | F_AC | F_ID;
    if (cpu->cpl <= iopl) mask |= F_IF;
    if (cpu->cpl == 0) mask |= F_IOPL | (sz == 4 ? F_VIF | F_VIP : 0);
    if (rpl == cpu->cpl) {
        if (off > seg_desc_limit(&cd)) cpu_exception(cpu, EXC_GP, 0);
        cpu->regs[R_ESP] = seg_stack_sp_add(&st, (int32_t)(3 * sz));
        cpu_set_eflags(cpu, fl, mask);
        load_cs_pm(cpu, sel, &cd, rpl, off);
        return;
    }
    uint32_t esp = seg_stack_peek(cpu, &st, 3 * sz, sz);
    uint16_t ss_sel = (uint16_t)seg_stack_peek(cpu, &st, 4 * sz, sz);
    SegDesc ssd;
    check_return_ss(cpu, ss_sel, rpl, &ssd);
    if (off > seg_desc_limit(&cd)) cpu_exception(cpu, EXC_GP, 0);
    cpu_set_eflags(cpu, fl, mask);
    return_outer(cpu, sel, &cd, off, ss_sel, &ssd, esp);
}

static void far_jump(Cpu *cpu, const DecodedInsn *d, uint16_t sel, uint32_t off)
{
    if (pm_segments(cpu)) {
        far_jump_pm(cpu, d, sel, off);
        return;
    }
    if (!(d->pfx & PFX_OP32)) off &= 0xFFFF;
    if (off > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, 0);
    cpu_load_seg(cpu, S_CS, sel);
    cpu->next_eip = off;
}

static void far_call(Cpu *cpu, const DecodedInsn *d, uint16_t sel, uint32_t off)
{
    if (pm_segments(cpu)) {
        far_call_pm(cpu, d, sel, off);
        return;
    }
    unsigned sz = op_size(d);
    if (sz == 2) off &= 0xFFFF;
    if (off > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, 0);
    /* Both slots are written before SP moves, so a stack fault leaves SP
     * as it was. */
    uint32_t sp1 = cpu_sp_add(cpu, -(int32_t)sz);
    uint32_t sp2 = cpu_sp_add(cpu, -2 * (int32_t)sz);
    cpu_wr(cpu, S_SS, sp1, cpu->seg[S_CS].sel, sz);
    cpu_wr(cpu, S_SS, sp2, cpu->next_eip, sz);
    cpu_set_sp(cpu, sp2);
    cpu_load_seg(cpu, S_CS, sel);
    cpu->next_eip = off;
}

static void far_return(Cpu *cpu, const DecodedInsn *d, uint32_t release)
{
    if (pm_segments(cpu)) {
        far_return_pm(cpu, d, release);
        return;
    }
    unsigned sz = op_size(d);
    uint32_t off = cpu_stack_peek(cpu, 0, sz);
    uint16_t sel = (uint16_t)cpu_stack_peek(cpu, sz, sz);
    if (off > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, 0);
    cpu_set_sp(cpu, cpu_sp_add(cpu, (int32_t)(2 * sz + release)));
    cpu_load_seg(cpu, S_CS, sel);
    cpu->next_eip = off;
}

/* The m16:16/m16:32 operand of JMP/CALL FAR [mem]: offset first, then the
 * selector, whose address wraps in the address size. */
static inline uint32_t far_pointer(Cpu *cpu, const DecodedInsn *d, uint16_t *sel)
{
    unsigned sz = op_size(d);
    uint32_t ea = decode_ea(cpu, d);
    uint32_t off = cpu_rd(cpu, d->seg, ea, sz);
    uint32_t ea2 = ea + sz;
    if (!(d->pfx & PFX_ADDR32)) ea2 &= 0xFFFF;
    *sel = cpu_rd16(cpu, d->seg, ea2);
    return off;
}

void op_jmpf_Ap(Cpu *cpu, const DecodedInsn *d)
{
    far_jump(cpu, d, (uint16_t)d->imm2, d->imm);
}

void op_callf_Ap(Cpu *cpu, const DecodedInsn *d)
{
    far_call(cpu, d, (uint16_t)d->imm2, d->imm);
}

void op_jmpf_Mp(Cpu *cpu, const DecodedInsn *d)
{
    uint16_t sel;
    uint32_t off = far_pointer(cpu, d, &sel);
    far_jump(cpu, d, sel, off);
}

void op_callf_Mp(Cpu *cpu, const DecodedInsn *d)
{
    uint16_t sel;
    uint32_t off = far_pointer(cpu, d, &sel);
    far_call(cpu, d, sel, off);
}

void op_retf(Cpu *cpu, const DecodedInsn *d)
{
    far_return(cpu, d, 0);
}

void op_retf_Iw(Cpu *cpu, const DecodedInsn *d)
{
    far_return(cpu, d, d->imm & 0xFFFF);
}

/* --- LOOP family and JCXZ ---------------------------------------------------
 * The count is CX or ECX by the address size; the target is truncated by
 * the operand size. The count is written only after the branch target
 * passed its limit check, so a #GP leaves (E)CX unchanged. */

void op_loop(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t c = op_count(cpu, d) - 1;
    if (!(d->pfx & PFX_ADDR32)) c &= 0xFFFF;
    if (c != 0) op_jump_near(cpu, d, cpu->next_eip + d->imm);
    op_set_count(cpu, d, c);
}

void op_loope(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t c = op_count(cpu, d) - 1;
    if (!(d->pfx & PFX_ADDR32)) c &= 0xFFFF;
    if (c != 0 && flags_cond(cpu, COND_E)) op_jump_near(cpu, d, cpu->next_eip + d->imm);
    op_set_count(cpu, d, c);
}

void op_loopne(Cpu *cpu, const DecodedInsn *d)
{
    uint32_t c = op_count(cpu, d) - 1;
    if (!(d->pfx & PFX_ADDR32)) c &= 0xFFFF;
    if (c != 0 && !flags_cond(cpu, COND_E)) op_jump_near(cpu, d, cpu->next_eip + d->imm);
    op_set_count(cpu, d, c);
}

void op_jcxz(Cpu *cpu, const DecodedInsn *d)
{
    if (op_count(cpu, d) == 0) op_jump_near(cpu, d, cpu->next_eip + d->imm);
}

/* --- Software interrupts ------------------------------------------------------
 * cpu_interrupt() pushes FLAGS, CS and the return address (next_eip for a
 * software interrupt) and loads CS:EIP from the vector table. */

/* INT n in virtual-8086 mode (SDM Vol. 3 20.3.3, Table 20-2; Vol. 2 INT n,
 * Operation). Without CR4.VME it is IOPL-sensitive: IOPL < 3 is #GP(0),
 * IOPL = 3 goes through the IDT. With CR4.VME the TSS's interrupt
 * redirection bitmap (32 bytes just below the I/O map base) decides: a set
 * bit means "as without VME"; a clear bit redirects the interrupt to the
 * 8086 program's own vector table at linear 0 (methods 5 and 6), without
 * leaving virtual-8086 mode. INT3 and INTO are not IOPL-sensitive and
 * never redirected. */

/* The vector's bit in the redirection bitmap; #GP(0) if the TSS is not a
 * 32-bit one or the bit lies beyond its limit. */
static bool v86_int_bit(Cpu *cpu, unsigned vector)
{
    const SegReg *tr = &cpu->tr;
    if (!(tr->attr & SEG_P) || !(tr->attr & 8) || tr->limit < 0x67) cpu_exception(cpu, EXC_GP, 0);
    uint32_t iomap = seg_sys_read(cpu, tr->base + 0x66, 2);
    uint32_t at = iomap - 32 + vector / 8;
    if (iomap < 32 || at > tr->limit) cpu_exception(cpu, EXC_GP, 0);
    return (seg_sys_read(cpu, tr->base + at, 1) >> (vector & 7)) & 1;
}

/* Methods 5 (IOPL = 3) and 6 (IOPL < 3): a real-mode style interrupt on
 * the 8086 program's stack. With IOPL < 3 the pushed FLAGS show VIF as IF
 * and IOPL as 3, and VIF (not IF) is cleared. */
static void v86_int_redirect(Cpu *cpu, unsigned vector, bool iopl3)
{
    uint32_t vec = cpu_lrd32(cpu, vector * 4);
    uint32_t fl = cpu_get_eflags(cpu) & 0xFFFF;
    if (!iopl3) fl = (fl & ~F_IF) | F_IOPL | ((cpu->eflags & F_VIF) ? F_IF : 0);
    uint32_t sp1 = cpu_sp_add(cpu, -2), sp2 = cpu_sp_add(cpu, -4), sp3 = cpu_sp_add(cpu, -6);
    cpu_wr16(cpu, S_SS, sp1, (uint16_t)fl);
    cpu_wr16(cpu, S_SS, sp2, cpu->seg[S_CS].sel);
    cpu_wr16(cpu, S_SS, sp3, (uint16_t)cpu->next_eip);
    cpu_set_sp(cpu, sp3);
    cpu->eflags &= ~(F_TF | (iopl3 ? F_IF : F_VIF));
    seg_load_real(cpu, S_CS, (uint16_t)(vec >> 16), true);
    cpu->next_eip = vec & 0xFFFF;
    cpu->stop_block = true;
}

void op_int_Ib(Cpu *cpu, const DecodedInsn *d)
{
    unsigned vector = d->imm & 0xFF;
    if (cpu->eflags & F_VM) {
        bool iopl3 = (cpu->eflags & F_IOPL) == F_IOPL;
        if ((cpu->cr[4] & CR4_VME) && !v86_int_bit(cpu, vector)) {
            v86_int_redirect(cpu, vector, iopl3);
            return;
        }
        if (!iopl3) cpu_exception(cpu, EXC_GP, 0);
    }
    cpu_interrupt(cpu, (int)vector, true, false, 0);
}

void op_int3(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    cpu_interrupt(cpu, EXC_BP, true, false, 0);
}

void op_into(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    if (flags_cond(cpu, COND_O)) cpu_interrupt(cpu, EXC_OF, true, false, 0);
}

/* INT1 (ICEBP): a debug exception that returns past the instruction; in
 * protected mode it skips the gate DPL check (cpu_interrupt_icebp). */
void op_int1(Cpu *cpu, const DecodedInsn *d)
{
    (void)d;
    cpu_interrupt_icebp(cpu);
}

/* --- IRET ------------------------------------------------------------------------
 * Real-address mode (SDM IRET, REAL-ADDRESS-MODE):
 *   16-bit: IP, CS, FLAGS[15:0] popped; FLAGS follow the POPF rules
 *           (IOPL and NT change, bit 15 stays 0).
 *   32-bit: EIP, CS (upper half discarded), EFLAGS popped;
 *           EFLAGS = (temp AND 257FD5H) OR (EFLAGS AND 1A0000H), i.e. VM,
 *           VIF, VIP stay and RF, AC, ID are loaded.
 * Virtual-8086 mode with IOPL = 3: the same, except IOPL does not change.
 * With IOPL < 3 it is #GP(0), except with CR4.VME and a 16-bit operand
 * size (SDM IRET, virtual-8086 mode with VME): FLAGS load except IF and
 * IOPL, the popped IF goes to VIF; popping TF = 1, or IF = 1 while VIP is
 * set, is #GP(0) so that the monitor sees it.
 * Protected mode: iret_pm() above.
 * Unlike STI, IRET setting IF does not delay interrupts. */
void op_iret(Cpu *cpu, const DecodedInsn *d)
{
    bool v86 = (cpu->eflags & F_VM) != 0;
    if (!v86 && (cpu->cr[0] & CR0_PE)) {
        iret_pm(cpu, d);
        return;
    }
    unsigned sz = op_size(d);
    uint32_t mask = sz == 4 ? 0x257FD5u : 0x7FD5u;
    bool vme = false;
    if (v86 && (cpu->eflags & F_IOPL) != F_IOPL) {
        if (!(cpu->cr[4] & CR4_VME) || sz == 4) cpu_exception(cpu, EXC_GP, 0);
        vme = true;
    }
    uint32_t off = cpu_stack_peek(cpu, 0, sz);
    uint16_t sel = (uint16_t)cpu_stack_peek(cpu, sz, sz);
    uint32_t fl = cpu_stack_peek(cpu, 2 * sz, sz);
    if (v86) mask &= ~F_IOPL;
    if (vme) {
        if ((fl & F_TF) || ((fl & F_IF) && (cpu->eflags & F_VIP))) cpu_exception(cpu, EXC_GP, 0);
        mask = (mask & ~F_IF) | F_VIF;
        fl = (fl & ~F_VIF) | ((fl & F_IF) ? F_VIF : 0);
    }
    if (off > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, 0);

    cpu_set_sp(cpu, cpu_sp_add(cpu, (int32_t)(3 * sz)));
    cpu_load_seg(cpu, S_CS, sel);
    cpu->next_eip = off;
    cpu_set_eflags(cpu, fl, mask);
}
