/*
 * fpu.h - x87 FPU state helpers shared by the x87 handlers (cpu/ops_fpu.c),
 * the MMX handlers (cpu/ops_mmx.c) and the CPU core (reset, the FERR# pin).
 *
 * Models the register stack, the tag word, the status word and the
 * exception-pending logic of a P6 x87 (SDM Vol. 1 sections 8.1 and 8.6-8.7,
 * Vol. 3 "x87 FPU Floating-Point Error (#MF)" and Table 9-1). The state itself
 * is X87State (cpu/x87.h), embedded in the Cpu as cpu->fpu.
 *
 * The tag word is kept in full (2 bits per physical register) and derived
 * from the register contents whenever a register is written, so FSTENV and
 * FSAVE store what a P6 stores; FLDENV, FRSTOR and FXRSTOR use the loaded
 * tags only for "empty or not" and recompute the rest (SDM Vol. 1 8.1.7).
 * After an MMX instruction the whole tag word is "valid" (00) whatever the
 * contents are (SDM Vol. 1 9.5.1).
 *
 *   X87State *f = &cpu->fpu;
 *   if (fpu_st_empty(f, 1)) ...            // ST(1) empty?
 *   fpu_push(f, value);                    // TOP - 1, ST(0) = value, tag from value
 *   fpu_pop(f);                            // ST(0) empty, TOP + 1
 *
 * Known deviation: with CR0.NE = 0 a pending unmasked exception asserts
 * FERR# at the next waiting instruction, which then runs; a real P6 freezes
 * there until an interrupt arrives or IGNNE# is asserted (SDM Vol. 1
 * appendix D.2). With FERR# wired to IRQ13 the guest sees the same handler
 * run, one instruction later.
 */
#ifndef BRISK_FPU_H
#define BRISK_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

/* Status word bits (SDM Vol. 1 Figure 8-4). */
enum {
    FSW_IE = 1u << 0,
    FSW_DE = 1u << 1,
    FSW_ZE = 1u << 2,
    FSW_OE = 1u << 3,
    FSW_UE = 1u << 4,
    FSW_PE = 1u << 5,
    FSW_SF = 1u << 6, /* stack fault (with IE; C1 says overflow or underflow) */
    FSW_ES = 1u << 7, /* error summary: an unmasked exception is pending */
    FSW_C0 = 1u << 8,
    FSW_C1 = 1u << 9,
    FSW_C2 = 1u << 10,
    FSW_TOP = 7u << 11,
    FSW_C3 = 1u << 14,
    FSW_B = 1u << 15, /* busy: mirrors ES on a P6 */
};
#define FSW_EXC 0x3Fu /* the six sticky exception flags */
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

/* Control word fields (SDM Vol. 1 Figure 8-6). */
#define FCW_MASKS 0x3Fu
#define FCW_PC 0x300u
#define FCW_RC 0xC00u
/* Bits a P6 keeps on FLDCW: the masks, PC, RC and the obsolete infinity
 * control (bit 12); bit 6 always reads as 1, bits 7 and 13-15 as 0. */
#define FCW_WRITABLE 0x1F3Fu
#define FCW_ALWAYS1 0x0040u

/* Tag values (SDM Vol. 1 Figure 8-7). */
enum { FTAG_VALID = 0, FTAG_ZERO = 1, FTAG_SPECIAL = 2, FTAG_EMPTY = 3 };

/* The power-up / RESET# state (SDM Vol. 3 Table 9-1): CW 0040h, SW 0,
 * TW 5555h, all registers +0.0, pointers 0; FERR# deasserted. */
void fpu_reset(Cpu *cpu);
/* FNINIT: CW 037Fh, SW 0 (TOP 0), TW FFFFh, pointers and opcode 0; the
 * registers keep their contents. */
void fpu_init(X87State *f);

/* The tag a register with this content gets when it is not empty: zero,
 * valid (a normal number: integer bit set) or special (NaN, infinity,
 * denormal, pseudo-denormal, unnormal). */
static inline unsigned fpu_tag_of(Fx80 v)
{
    unsigned e = v.se & 0x7FFFu;
    if (e == 0x7FFFu) return FTAG_SPECIAL;
    if (e == 0) return v.mant ? FTAG_SPECIAL : FTAG_ZERO;
    return (v.mant >> 63) ? FTAG_VALID : FTAG_SPECIAL;
}

static inline unsigned fpu_phys(const X87State *f, unsigned i) { return (f->top + i) & 7; }
static inline unsigned fpu_tag(const X87State *f, unsigned phys)
{
    return (f->tw >> (2 * phys)) & 3;
}
static inline void fpu_set_tag(X87State *f, unsigned phys, unsigned tag)
{
    f->tw = (uint16_t)((f->tw & ~(3u << (2 * phys))) | (tag << (2 * phys)));
}
static inline bool fpu_st_empty(const X87State *f, unsigned i)
{
    return fpu_tag(f, fpu_phys(f, i)) == FTAG_EMPTY;
}
static inline Fx80 fpu_st(const X87State *f, unsigned i) { return f->st[fpu_phys(f, i)]; }
/* ST(i) = v, tagged from its content. */
static inline void fpu_set_st(X87State *f, unsigned i, Fx80 v)
{
    unsigned p = fpu_phys(f, i);
    f->st[p] = v;
    fpu_set_tag(f, p, fpu_tag_of(v));
}
static inline void fpu_pop(X87State *f)
{
    fpu_set_tag(f, f->top, FTAG_EMPTY);
    f->top = (f->top + 1) & 7;
}
static inline void fpu_push(X87State *f, Fx80 v)
{
    f->top = (f->top - 1) & 7;
    fpu_set_st(f, 0, v);
}

/* The status word as FSTSW stores it (TOP in bits 11-13). */
static inline uint16_t fpu_status_word(const X87State *f)
{
    return (uint16_t)((f->sw & ~FSW_TOP) | ((unsigned)f->top << 11));
}
/* Loads a status word (FLDENV, FRSTOR, FXRSTOR): TOP from bits 11-13,
 * ES and B recomputed from the flags and the current control word. */
void fpu_load_status_word(X87State *f, uint16_t sw);
/* ES and B follow "some sticky exception flag is unmasked" (SDM Vol. 1
 * 8.1.3.6: a later FLDCW that unmasks a set flag makes it pending). */
void fpu_update_es(X87State *f);
/* Loads the control word (FLDCW, FLDENV, FRSTOR, FXRSTOR). */
void fpu_load_control_word(X87State *f, uint16_t cw);
/* FLDENV/FRSTOR: every register the tag image calls non-empty gets the tag
 * of its content; the others become empty. */
void fpu_load_tag_word(X87State *f, uint16_t tw);
/* FXSAVE's abridged tag: bit i set when physical register i is not empty. */
uint8_t fpu_abridged_tag(const X87State *f);
void fpu_load_abridged_tag(X87State *f, uint8_t ftw);

/* The FERR# output: calls cpu->on_ferr when the level changes. */
void fpu_set_ferr(Cpu *cpu, bool level);
/* Deasserts FERR# once no unmasked exception is pending any more. */
void fpu_sync_ferr(Cpu *cpu);
/* The check a waiting x87 instruction, WAIT and every MMX instruction make
 * before they run: with an unmasked exception pending, #MF (CR0.NE = 1) or
 * FERR# (CR0.NE = 0, and the instruction then runs). */
void fpu_check_pending(Cpu *cpu);

/* Checks that len bytes at seg:off can be accessed (segment limit and
 * rights, every page touched; faults as the access would) before anything
 * is written, so a multi-part store never faults half-way. Returns the
 * linear address. */
uint32_t fpu_mem_probe(Cpu *cpu, int seg, uint32_t off, unsigned len, bool write);

/* MMX registers alias the significands of the physical registers R0-R7. */
static inline uint64_t mmx_get(const X87State *f, unsigned i) { return f->st[i & 7].mant; }
/* A write sets the sign and exponent (bits 64-79) to all ones. */
static inline void mmx_set(X87State *f, unsigned i, uint64_t v)
{
    f->st[i & 7].mant = v;
    f->st[i & 7].se = 0xFFFF;
}
/* What every MMX instruction but EMMS does to the x87 state: TOP = 0 and
 * the whole tag word valid. */
static inline void mmx_enter(X87State *f)
{
    f->top = 0;
    f->tw = 0;
}

#endif
