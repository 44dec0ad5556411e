/*
 * irq.h - interrupt request lines between devices, PICs and the CPU.
 *
 * A line is a callback plus the input number it drives on its sink. A device
 * holds an IrqLine by value and drives it; it never learns what is on the
 * other end (a PIC input, the CPU's INTR pin, a test's recorder).
 *
 *   IrqLine irq = irq_line(pic_set_input, pic, 4);
 *   irq_raise(&irq);   // level 1
 *   irq_lower(&irq);   // level 0
 *   irq_pulse(&irq);   // 1 then 0: an edge
 */
#ifndef BRISK_IRQ_H
#define BRISK_IRQ_H

#include <stddef.h>

typedef void (*IrqSetFn)(void *opaque, int n, int level);

typedef struct IrqLine {
    IrqSetFn set;
    void *opaque;
    int n;
} IrqLine;

static inline IrqLine irq_line(IrqSetFn set, void *opaque, int n)
{
    IrqLine l = {set, opaque, n};
    return l;
}

static inline void irq_set(const IrqLine *l, int level)
{
    if (l && l->set) l->set(l->opaque, l->n, level);
}
static inline void irq_raise(const IrqLine *l) { irq_set(l, 1); }
static inline void irq_lower(const IrqLine *l) { irq_set(l, 0); }
static inline void irq_pulse(const IrqLine *l)
{
    irq_set(l, 1);
    irq_set(l, 0);
}

#endif
