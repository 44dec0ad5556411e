/*
 * pic.c - two cascaded Intel 8259A programmable interrupt controllers, as
 * on every PC/AT: the master at 0x20-0x21 drives the CPU's INTR pin, the
 * slave at 0xA0-0xA1 drives the master's IR2.
 *
 * Follows the Intel 8259A datasheet (order no. 231468): ICW1-ICW4, OCW1-3,
 * fully nested and special fully nested modes, automatic EOI, the rotation
 * commands, special mask mode, poll mode, edge (with the edge sense latch)
 * and level triggering, cascading over CAS0-2, and the default IR7 given
 * to an acknowledge that finds no request left.
 *
 * The INT outputs are re-evaluated after every state change; the master's
 * drives intr_out whenever its level changes.
 *
 * Known deviations and choices where the datasheet is silent:
 *  - The datasheet asks an edge-triggered IR input to stay high until the
 *    first INTA and gives IR7 if it drops earlier. Here the IRR bit latched
 *    by a rising edge stays set when the line falls, so a device may pulse
 *    its line (irq_pulse) as on an ISA bus and the request is not lost.
 *    Level-triggered inputs follow their line, and a level request that
 *    goes away before the acknowledge does give the spurious IR7.
 *  - The 8259A has no reset pin. pic_reset leaves both chips uninitialised
 *    with every input masked (IMR = 0xFF), nothing requested or in service.
 *  - ICW1 also clears ISR (the datasheet lists IMR, the edge sense latches,
 *    priority and special mask; every PC emulator clears ISR too, and a
 *    reboot from inside an interrupt handler depends on it).
 *  - The chips' master/slave roles come from the board's wiring (SP/EN),
 *    not from ICW4's M/S bit, which is stored like BUF.
 *  - A chip's INT output is modelled as dropping during its INTA cycle (the
 *    priority resolver is frozen then) and being re-evaluated afterwards,
 *    so a slave that still has a request after an acknowledge (automatic
 *    EOI, special mask mode) gives the master's edge-triggered IR2 a fresh
 *    rising edge instead of losing the request.
 *  - MCS-80/85 mode (ICW4.uPM = 0, which is what ICW1 without IC4 selects):
 *    an x86 CPU reads the byte the 8259A drives on the second INTA, i.e.
 *    the low byte of the CALL address; that is returned as the vector.
 *  - Only ports 0x20-0x21 and 0xA0-0xA1 are decoded (not the PIIX3's
 *    aliases at 0x24-0x3D and 0xA4-0xBD).
 *  - The poll word with no request pending reads 0x07 (I = 0; the W bits
 *    are undefined and the resolver defaults to IR7 as on an INTA).
 */
#include "devices/pic.h"

#include <stdlib.h>

#include "devices/core/log.h"

enum {
    ICW1_IC4 = 0x01,  /* ICW4 follows */
    ICW1_SNGL = 0x02, /* single chip: no ICW3 */
    ICW1_ADI = 0x04,  /* MCS-80 call address interval of 4 */
    ICW1_LTIM = 0x08, /* level-triggered inputs */
    ICW1_INIT = 0x10, /* D4 = 1 marks ICW1 on A0 = 0 */
    OCW3_SEL = 0x08,  /* D3 = 1 (with D4 = 0) marks OCW3 on A0 = 0 */
};

enum {
    ICW4_UPM = 0x01,  /* 8086/8088 mode */
    ICW4_AEOI = 0x02, /* automatic end of interrupt */
    ICW4_MS = 0x04,   /* buffered mode: master */
    ICW4_BUF = 0x08,  /* buffered mode */
    ICW4_SFNM = 0x10, /* special fully nested mode */
};

enum {
    OCW3_RIS = 0x01,  /* read ISR (with RR) rather than IRR */
    OCW3_RR = 0x02,   /* read register command */
    OCW3_POLL = 0x04, /* poll command */
    OCW3_SMM = 0x20,  /* special mask mode value (with ESMM) */
    OCW3_ESMM = 0x40, /* enable the SMM bit */
};

/* Where the next write to A0 = 1 goes. */
enum { PIC_READY = 0, PIC_WANT_ICW2, PIC_WANT_ICW3, PIC_WANT_ICW4 };

/* log_once keys: "PIC" in the top bytes, a reason below. */
#define PIC_LOG_KEY(reason) (0x5049430000ull | (reason))

typedef struct Pic8259 {
    uint8_t irr;  /* interrupt request register */
    uint8_t isr;  /* in-service register */
    uint8_t imr;  /* interrupt mask register (OCW1) */
    uint8_t line; /* current level of each IR input pin */
    uint8_t elcr; /* chipset level-trigger bits for this chip */
    uint8_t icw1, icw2, icw3, icw4;
    uint8_t lowest; /* the IR with the lowest priority (7 unless rotated) */
    uint8_t init_step;
    bool read_isr; /* OCW3 RR/RIS: a read of A0 = 0 gives ISR, else IRR */
    bool poll;     /* the next read is a poll (OCW3 P) */
    bool special_mask;
    bool rotate_aeoi; /* rotate in automatic EOI mode */
    bool is_master;   /* wired as the master (SP/EN high) */
} Pic8259;

struct Pic {
    Pic8259 chip[2];  /* [0] master, [1] slave */
    IrqLine intr_out; /* the CPU's INTR pin */
    bool intr_level;  /* what intr_out was last driven to */
    bool ext_ir2;     /* a device driving input 2 itself (ORed with the slave's INT) */
};

/* ---- one chip ---- */

/* Inputs that follow their line rather than latch an edge. */
static uint8_t chip_level_mask(const Pic8259 *c)
{
    return (uint8_t)(((c->icw1 & ICW1_LTIM) ? 0xFF : 0) | c->elcr);
}

/* The IR at a priority rank, rank 0 being the highest priority. */
static int chip_irq_at_rank(const Pic8259 *c, int rank)
{
    return (c->lowest + 1 + rank) & 7;
}

/* The highest-priority IR among bits, or -1. */
static int chip_highest(const Pic8259 *c, uint8_t bits)
{
    for (int rank = 0; rank < 8; rank++) {
        int irq = chip_irq_at_rank(c, rank);
        if (bits & (1u << irq)) return irq;
    }
    return -1;
}

/* Is IR irq a cascade input with a slave behind it (master, not single)? */
static bool chip_is_cascade_input(const Pic8259 *c, int irq)
{
    return c->is_master && !(c->icw1 & ICW1_SNGL) && (c->icw3 & (1u << irq));
}

/* The request the priority resolver would hand to the CPU now, or -1.
 * A request needs its mask bit clear and no in-service level of equal or
 * higher priority. In special mask mode a masked level's ISR bit does not
 * inhibit anything; in special fully nested mode the master lets a cascade
 * input interrupt its own in-service level (a higher-priority slave IR). */
static int chip_pending(const Pic8259 *c)
{
    uint8_t req = c->irr & ~c->imr;
    uint8_t isr = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
    bool sfnm = (c->icw4 & ICW4_SFNM) && c->is_master;
    for (int rank = 0; rank < 8; rank++) {
        int irq = chip_irq_at_rank(c, rank);
        uint8_t bit = (uint8_t)(1u << irq);
        if (req & bit) {
            if (!(isr & bit)) return irq;
            if (sfnm && chip_is_cascade_input(c, irq)) return irq;
            return -1;
        }
        if (isr & bit) return -1;
    }
    return -1;
}

static void chip_set_input(Pic8259 *c, int irq, int level)
{
    uint8_t bit = (uint8_t)(1u << irq);
    bool was = c->line & bit;
    if (level) {
        c->line |= bit;
        if (!was) c->irr |= bit; /* the edge sense latch */
    } else {
        c->line &= (uint8_t)~bit;
    }
    if (chip_level_mask(c) & bit) {
        /* Level mode: the request is the line itself. */
        if (level)
            c->irr |= bit;
        else
            c->irr &= (uint8_t)~bit;
    }
}

/* The INTA (or poll) acknowledge of irq: IS bit set, IR bit cleared (a
 * level input still high requests again at once), automatic EOI applied. */
static void chip_acknowledge(Pic8259 *c, int irq)
{
    uint8_t bit = (uint8_t)(1u << irq);
    c->isr |= bit;
    c->irr &= (uint8_t)~bit;
    if (chip_level_mask(c) & c->line & bit) c->irr |= bit;
    if (c->icw4 & ICW4_AEOI) {
        c->isr &= (uint8_t)~bit;
        if (c->rotate_aeoi) c->lowest = (uint8_t)irq;
    }
}

/* The byte the chip gives the CPU for irq on the second INTA. */
static int chip_vector(const Pic8259 *c, int irq)
{
    if (c->icw4 & ICW4_UPM) return (c->icw2 & 0xF8) | irq;
    /* MCS-80/85: the low byte of the CALL address, interval 4 or 8. */
    if (c->icw1 & ICW1_ADI) return (c->icw1 & 0xE0) | (irq << 2);
    return (c->icw1 & 0xC0) | (irq << 3);
}

static void chip_icw1(Pic8259 *c, uint8_t val)
{
    c->icw1 = val;
    c->init_step = PIC_WANT_ICW2;
    c->imr = 0;
    c->isr = 0;
    /* The edge sense latches are reset: an edge input needs a new rising
     * edge; a level input keeps requesting while its line is high. */
    c->irr = chip_level_mask(c) & c->line;
    c->lowest = 7;
    c->icw3 = 7; /* "slave mode address set to 7" */
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_aeoi = false;
    if (!(val & ICW1_IC4)) c->icw4 = 0;
    if ((val & (ICW1_ADI | 0xE0)) && (c->icw4 & ICW4_UPM))
        log_once(LOG_GUEST_ERRORS, PIC_LOG_KEY(1), "pic: MCS-80 bits in ICW1 %02x ignored\n", val);
}

static void chip_ocw2(Pic8259 *c, uint8_t val)
{
    int level = val & 7;
    switch (val >> 5) {
    case 0: /* rotate in automatic EOI mode (clear) */ c->rotate_aeoi = false; break;
    case 4: /* rotate in automatic EOI mode (set) */ c->rotate_aeoi = true; break;
    case 1:   /* non-specific EOI */
    case 5: { /* rotate on non-specific EOI */
        /* In special mask mode a masked IS bit is not reset by a
         * non-specific EOI (datasheet note on OCW2). */
        uint8_t isr = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
        int irq = chip_highest(c, isr);
        if (irq < 0) break;
        c->isr &= (uint8_t) ~(1u << irq);
        if (val & 0x80) c->lowest = (uint8_t)irq;
        break;
    }
    case 3: /* specific EOI */ c->isr &= (uint8_t) ~(1u << level); break;
    case 7: /* rotate on specific EOI */
        c->isr &= (uint8_t) ~(1u << level);
        c->lowest = (uint8_t)level;
        break;
    case 6: /* set priority: level becomes the lowest */ c->lowest = (uint8_t)level; break;
    case 2: /* no operation */ break;
    }
}

static void chip_ocw3(Pic8259 *c, uint8_t val)
{
    if (val & 0x80) log_once(LOG_GUEST_ERRORS, PIC_LOG_KEY(2), "pic: OCW3 %02x with D7 set\n", val);
    if (val & OCW3_POLL) c->poll = true;
    if (val & OCW3_RR) c->read_isr = val & OCW3_RIS;
    if (val & OCW3_ESMM) c->special_mask = val & OCW3_SMM;
}

static void chip_write_a1(Pic8259 *c, uint8_t val)
{
    switch (c->init_step) {
    case PIC_WANT_ICW2:
        c->icw2 = val;
        if (!(c->icw1 & ICW1_SNGL))
            c->init_step = PIC_WANT_ICW3;
        else if (c->icw1 & ICW1_IC4)
            c->init_step = PIC_WANT_ICW4;
        else
            c->init_step = PIC_READY;
        break;
    case PIC_WANT_ICW3:
        c->icw3 = val;
        c->init_step = (c->icw1 & ICW1_IC4) ? PIC_WANT_ICW4 : PIC_READY;
        break;
    case PIC_WANT_ICW4:
        c->icw4 = val;
        c->init_step = PIC_READY;
        if (val & 0xE0)
            log_once(LOG_GUEST_ERRORS, PIC_LOG_KEY(3), "pic: reserved bits in ICW4 %02x\n", val);
        break;
    default: /* OCW1 */ c->imr = val; break;
    }
}

/* ---- the pair ---- */

/* Re-evaluates both INT outputs: the slave's feeds the master's IR2, the
 * master's the CPU. slave_acked: the slave just went through an acknowledge,
 * during which its INT output was low. */
static void pic_update(Pic *p, bool slave_acked)
{
    Pic8259 *m = &p->chip[0];
    bool slave_int = chip_pending(&p->chip[1]) >= 0;
    if (slave_acked) chip_set_input(m, 2, p->ext_ir2);
    chip_set_input(m, 2, slave_int || p->ext_ir2);
    bool level = chip_pending(m) >= 0;
    if (level != p->intr_level) {
        p->intr_level = level;
        irq_set(&p->intr_out, level);
    }
}

void pic_set_irq(void *opaque, int n, int level)
{
    Pic *p = opaque;
    if (n < 0 || n > 15) {
        log_once(LOG_GUEST_ERRORS, PIC_LOG_KEY(4), "pic: input %d does not exist\n", n);
        return;
    }
    if (n == 2)
        p->ext_ir2 = level != 0; /* wired-OR with the slave's INT in pic_update */
    else
        chip_set_input(&p->chip[n >> 3], n & 7, level != 0);
    pic_update(p, false);
}

int pic_ack(Pic *p)
{
    Pic8259 *m = &p->chip[0];
    Pic8259 *s = &p->chip[1];
    bool slave_acked = false;
    int vector;
    int irq = chip_pending(m);
    if (irq < 0) {
        /* Nothing left to acknowledge: the default IR7, no IS bit set. */
        vector = chip_vector(m, 7);
        if (log_enabled(LOG_INT)) log_printf("pic: spurious IRQ7 (vector %02x)\n", vector);
    } else {
        chip_acknowledge(m, irq);
        if (!chip_is_cascade_input(m, irq)) {
            vector = chip_vector(m, irq);
        } else if (irq == 2 && (s->icw3 & 7) == 2) {
            /* The master puts 2 on CAS0-2 and the slave with that ID
             * supplies the vector. */
            int sirq = chip_pending(s);
            slave_acked = true;
            if (sirq < 0) {
                vector = chip_vector(s, 7);
                if (log_enabled(LOG_INT)) log_printf("pic: spurious IRQ15 (vector %02x)\n", vector);
            } else {
                chip_acknowledge(s, sirq);
                vector = chip_vector(s, sirq);
            }
        } else {
            /* No chip answers on these CAS lines: the data bus floats. */
            log_once(LOG_GUEST_ERRORS, PIC_LOG_KEY(5),
                     "pic: cascade acknowledge of IR%d finds no slave with that ID\n", irq);
            vector = 0xFF;
        }
    }
    pic_update(p, slave_acked);
    return vector;
}

bool pic_intr_pending(const Pic *p)
{
    return p->intr_level;
}

void pic_set_elcr(Pic *p, uint16_t elcr)
{
    for (int i = 0; i < 2; i++) {
        Pic8259 *c = &p->chip[i];
        c->elcr = (uint8_t)(elcr >> (8 * i));
        uint8_t lm = chip_level_mask(c);
        c->irr = (uint8_t)((c->irr & ~lm) | (c->line & lm));
    }
    pic_update(p, false);
}

/* A read after a poll command: acknowledges the highest request as an INTA
 * would and returns 0x80 | its level. */
static uint8_t pic_poll_read(Pic *p, int idx)
{
    Pic8259 *c = &p->chip[idx];
    c->poll = false;
    int irq = chip_pending(c);
    if (irq < 0) return 0x07;
    chip_acknowledge(c, irq);
    pic_update(p, idx == 1);
    return (uint8_t)(0x80 | irq);
}

static uint32_t pic_io_read(void *opaque, uint16_t port, unsigned size)
{
    (void)size; /* max_size 1: always a byte */
    Pic *p = opaque;
    int idx = (port & 0x80) ? 1 : 0;
    Pic8259 *c = &p->chip[idx];
    /* The poll takes the next RD pulse, whatever A0 is. */
    if (c->poll) return pic_poll_read(p, idx);
    if (port & 1) return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

static void pic_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    (void)size;
    Pic *p = opaque;
    Pic8259 *c = &p->chip[(port & 0x80) ? 1 : 0];
    uint8_t v = (uint8_t)val;
    if (port & 1)
        chip_write_a1(c, v);
    else if (v & ICW1_INIT)
        chip_icw1(c, v);
    else if (v & OCW3_SEL)
        chip_ocw3(c, v);
    else
        chip_ocw2(c, v);
    pic_update(p, false);
}

static const IoOps pic_io_ops = {pic_io_read, pic_io_write, 1};

void pic_reset(void *opaque)
{
    Pic *p = opaque;
    for (int i = 0; i < 2; i++) {
        Pic8259 *c = &p->chip[i];
        uint8_t line = c->line; /* the input pins stay where the devices drive them */
        *c = (Pic8259){0};
        c->line = line;
        c->imr = 0xFF;
        c->icw4 = ICW4_UPM;
        c->lowest = 7;
        c->is_master = i == 0;
    }
    pic_update(p, false);
}

Pic *pic_new(Bus *bus, IrqLine intr_out)
{
    Pic *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->intr_out = intr_out;
    pic_reset(p);
    bus_register_io(bus, 0x20, 2, &pic_io_ops, p);
    bus_register_io(bus, 0xA0, 2, &pic_io_ops, p);
    return p;
}

void pic_free(void *opaque)
{
    free(opaque);
}

const DeviceOps pic_device_ops = {"pic", pic_reset, NULL, NULL, pic_free};
