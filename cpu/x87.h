/*
 * x87.h - the x87 FPU state of a P6 (SDM Vol. 1 section 8.1): eight 80-bit
 * registers used as a stack (and aliased by the MMX registers), control,
 * status and tag words, last instruction and operand pointers, opcode.
 * The instructions are in cpu/ops_fpu.c and cpu/ops_mmx.c, the arithmetic
 * in cpu/softfloat.c, the helpers and invariants (tags derived from the
 * contents, ES/B recomputed from the flags and masks) in cpu/fpu.h; the
 * representation and what differs from a P6 in docs/fpu.md.
 */
#ifndef BRISK_X87_H
#define BRISK_X87_H

#include <stdint.h>

#include "cpu/softfloat.h"

typedef struct X87State {
    Fx80 st[8];       /* physical registers R0..R7; ST(i) = st[(top + i) & 7] */
    uint16_t cw;      /* control word */
    uint16_t sw;      /* status word without TOP (bits 11-13 come from top) */
    uint8_t top;
    uint16_t tw;      /* full tag word, 2 bits per physical register (11 = empty) */
    uint16_t fop;     /* last opcode (11 bits) */
    uint32_t fip;     /* last instruction pointer (offset) */
    uint16_t fcs;
    uint32_t fdp;     /* last data pointer (offset) */
    uint16_t fds;
    uint32_t mxcsr;   /* saved/restored by FXSAVE/FXRSTOR; no SSE is modelled */
} X87State;

#endif
