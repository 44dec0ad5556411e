/*
 * fpu.c - x87 state helpers (see fpu.h): reset and FNINIT values, the status,
 * control and tag word loads, the FERR# pin and the pending-exception check.
 *
 * SDM Vol. 1 sections 8.1.3 (status word: ES and B summarise the unmasked
 * sticky flags), 8.1.5 (control word), 8.1.7 (tag word: loaded tags only say
 * empty or not), 8.6-8.7 (waiting instructions report a pending exception as
 * #MF, or through FERR# when CR0.NE = 0); Vol. 3 Table 9-1 (reset values).
 *
 * Known deviation: see fpu.h (FERR# does not freeze the processor).
 */
#include "cpu/fpu.h"

#include <string.h>

#include "cpu/mem.h"

void fpu_init(X87State *f)
{
    f->cw = 0x037F;
    f->sw = 0;
    f->top = 0;
    f->tw = 0xFFFF;
    f->fop = 0;
    f->fip = 0;
    f->fcs = 0;
    f->fdp = 0;
    f->fds = 0;
}

void fpu_reset(Cpu *cpu)
{
    X87State *f = &cpu->fpu;
    memset(f->st, 0, sizeof f->st); /* +0.0 */
    fpu_init(f);
    f->cw = 0x0040;
    f->tw = 0x5555; /* every register "zero" */
    f->mxcsr = 0x1F80;
    fpu_set_ferr(cpu, false);
}

void fpu_update_es(X87State *f)
{
    if (f->sw & ~f->cw & FSW_EXC)
        f->sw |= FSW_ES | FSW_B;
    else
        f->sw &= (uint16_t)~(FSW_ES | FSW_B);
}

void fpu_load_status_word(X87State *f, uint16_t sw)
{
    f->top = (sw >> 11) & 7;
    f->sw = sw & (uint16_t)~FSW_TOP;
    fpu_update_es(f);
}

void fpu_load_control_word(X87State *f, uint16_t cw)
{
    f->cw = (uint16_t)((cw & FCW_WRITABLE) | FCW_ALWAYS1);
    fpu_update_es(f);
}

void fpu_load_tag_word(X87State *f, uint16_t tw)
{
    for (unsigned p = 0; p < 8; p++) {
        unsigned t = (tw >> (2 * p)) & 3;
        fpu_set_tag(f, p, t == FTAG_EMPTY ? FTAG_EMPTY : fpu_tag_of(f->st[p]));
    }
}

uint8_t fpu_abridged_tag(const X87State *f)
{
    uint8_t t = 0;
    for (unsigned p = 0; p < 8; p++)
        if (fpu_tag(f, p) != FTAG_EMPTY) t |= (uint8_t)(1u << p);
    return t;
}

void fpu_load_abridged_tag(X87State *f, uint8_t ftw)
{
    for (unsigned p = 0; p < 8; p++)
        fpu_set_tag(f, p, (ftw >> p) & 1 ? fpu_tag_of(f->st[p]) : FTAG_EMPTY);
}

void fpu_set_ferr(Cpu *cpu, bool level)
{
    if (cpu->ferr == level) return;
    cpu->ferr = level;
    if (cpu->on_ferr) cpu->on_ferr(cpu->ferr_opaque, level);
}

void fpu_sync_ferr(Cpu *cpu)
{
    if (cpu->ferr && !(cpu->fpu.sw & FSW_ES)) fpu_set_ferr(cpu, false);
}

void fpu_check_pending(Cpu *cpu)
{
    if (__builtin_expect(!(cpu->fpu.sw & FSW_ES), 1)) return;
    /* Native mode: #MF, a fault, so the saved CS:EIP is this instruction
     * and the handler can clear the flags and return to it. */
    if (cpu->cr[0] & CR0_NE) cpu_fault(cpu, EXC_MF);
    /* MS-DOS compatibility mode: the error goes out on FERR# (IRQ13 on a
     * PC); the instruction runs (see the deviation in fpu.h). */
    fpu_set_ferr(cpu, true);
}

uint32_t fpu_mem_probe(Cpu *cpu, int seg, uint32_t off, unsigned len, bool write)
{
    uint32_t lin = cpu_seg_linear(cpu, seg, off, len, write);
    bool user = cpu->cpl == 3;
    cpu_translate(cpu, lin, write, user);
    uint32_t last = lin + len - 1;
    if ((last ^ lin) & ~0xFFFu) cpu_translate(cpu, last, write, user);
    return lin;
}
