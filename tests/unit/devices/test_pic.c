/*
 * test_pic.c - the cascaded 8259A pair (devices/pic.c) on a real bus, with a
 * recorder on the INTR output. Every test drives the chips through their
 * ports as a guest would and checks vectors, IRR/ISR/IMR and INTR.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/core/irq.h"
#include "devices/pic.h"

typedef struct IntrRec {
    int level;
    int rises;
    int calls;
} IntrRec;

static Bus *bus;
static IntrRec rec;
static Pic *pic;

static void rec_set(void *opaque, int n, int level)
{
    IntrRec *r = opaque;
    (void)n;
    if (level && !r->level) r->rises++;
    r->level = level;
    r->calls++;
}

static void out8(uint16_t port, uint8_t v)
{
    bus_io_write(bus, port, v, 1);
}
static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_io_read(bus, port, 1);
}
static void irq(int n, int level)
{
    pic_set_irq(pic, n, level);
}

/* The BIOS/Linux initialisation: vectors 0x08 and 0x70, slave on IR2. */
static void init_pc(uint8_t master_icw4, uint8_t slave_icw4)
{
    out8(0x20, 0x11);
    out8(0x21, 0x08);
    out8(0x21, 0x04);
    out8(0x21, master_icw4);
    out8(0xA0, 0x11);
    out8(0xA1, 0x70);
    out8(0xA1, 0x02);
    out8(0xA1, slave_icw4);
}

static uint8_t read_isr(uint16_t base)
{
    out8(base, 0x0B);
    return in8(base);
}

static uint8_t read_irr(uint16_t base)
{
    out8(base, 0x0A);
    return in8(base);
}

static void eoi_master(void)
{
    out8(0x20, 0x20);
}
static void eoi_slave(void)
{
    out8(0xA0, 0x20);
}

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    memset(&rec, 0, sizeof rec);
    pic = pic_new(bus, irq_line(rec_set, &rec, 0));
    ck_assert_ptr_nonnull(pic);
}

static void teardown(void)
{
    pic_free(pic);
    bus_free(bus);
}

START_TEST(test_reset_state)
{
    ck_assert_uint_eq(in8(0x21), 0xFF);
    ck_assert_uint_eq(in8(0xA1), 0xFF);
    irq(1, 1);
    irq(9, 1);
    ck_assert(!pic_intr_pending(pic));
    ck_assert_int_eq(rec.calls, 0);
    /* The request is latched in IRR even though it is masked. */
    ck_assert_uint_eq(in8(0x20), 0x02);
}
END_TEST

START_TEST(test_init_sequence)
{
    init_pc(0x01, 0x01);
    /* ICW1 cleared the masks; the four bytes went to ICW2/3/4, not IMR. */
    ck_assert_uint_eq(in8(0x21), 0x00);
    ck_assert_uint_eq(in8(0xA1), 0x00);
    /* The next A0=1 write is OCW1. */
    out8(0x21, 0xB8);
    ck_assert_uint_eq(in8(0x21), 0xB8);
    out8(0x21, 0x00);
    ck_assert(!pic_intr_pending(pic));
    irq(0, 1);
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(rec.level, 1);
    ck_assert_int_eq(pic_ack(pic), 0x08);
    ck_assert(!pic_intr_pending(pic));
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(read_isr(0x20), 0x01);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    eoi_master();
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    irq(0, 0);
    irq(7, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0F);
    ck_assert_uint_eq(read_isr(0x20), 0x80); /* a real IRQ7 sets its IS bit */
}
END_TEST

START_TEST(test_intr_driven_on_change_only)
{
    init_pc(0x01, 0x01);
    irq(3, 1);
    irq(4, 1); /* INTR already high */
    ck_assert_int_eq(rec.calls, 1);
    ck_assert_int_eq(rec.rises, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0B);
    ck_assert_int_eq(rec.level, 0); /* IRQ4 is blocked by IRQ3 in service */
    eoi_master();
    ck_assert_int_eq(rec.level, 1);
    ck_assert_int_eq(rec.rises, 2);
}
END_TEST

START_TEST(test_fixed_priority)
{
    init_pc(0x01, 0x01);
    irq(5, 1);
    irq(3, 1);
    irq(6, 1);
    ck_assert_uint_eq(read_irr(0x20), 0x68);
    ck_assert_int_eq(pic_ack(pic), 0x0B);
    ck_assert(!pic_intr_pending(pic)); /* lower levels wait for the EOI */
    eoi_master();
    ck_assert_int_eq(pic_ack(pic), 0x0D);
    eoi_master();
    ck_assert_int_eq(pic_ack(pic), 0x0E);
    eoi_master();
    ck_assert(!pic_intr_pending(pic));
}
END_TEST

START_TEST(test_nesting_and_nonspecific_eoi)
{
    init_pc(0x01, 0x01);
    irq(4, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0C);
    irq(1, 1); /* higher priority nests */
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x09);
    ck_assert_uint_eq(read_isr(0x20), 0x12);
    irq(6, 1); /* lower than both in service */
    ck_assert(!pic_intr_pending(pic));
    eoi_master(); /* resets the highest IS bit: IRQ1 */
    ck_assert_uint_eq(read_isr(0x20), 0x10);
    ck_assert(!pic_intr_pending(pic));
    eoi_master();
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_int_eq(pic_ack(pic), 0x0E);
}
END_TEST

START_TEST(test_masking)
{
    init_pc(0x01, 0x01);
    out8(0x21, 0x01);
    irq(0, 1);
    ck_assert(!pic_intr_pending(pic));
    ck_assert_uint_eq(read_irr(0x20), 0x01);
    irq(5, 1); /* IRQ5 gets through while IRQ0 is masked */
    ck_assert_int_eq(pic_ack(pic), 0x0D);
    eoi_master();
    ck_assert(!pic_intr_pending(pic));
    out8(0x21, 0x00); /* unmasking delivers the latched request */
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x08);
    /* Masking the slave's input on the master hides every slave IRQ. */
    eoi_master();
    out8(0x21, 0x04);
    irq(14, 1);
    ck_assert(!pic_intr_pending(pic));
    out8(0x21, 0x00);
    ck_assert_int_eq(pic_ack(pic), 0x76);
}
END_TEST

START_TEST(test_cascade_vectors)
{
    init_pc(0x01, 0x01);
    irq(12, 1);
    ck_assert(pic_intr_pending(pic));
    ck_assert_uint_eq(read_irr(0x20), 0x04);
    ck_assert_int_eq(pic_ack(pic), 0x74);
    ck_assert_uint_eq(read_isr(0x20), 0x04);
    ck_assert_uint_eq(read_isr(0xA0), 0x10);
    /* A second slave IRQ of lower priority waits for both EOIs. */
    irq(13, 1);
    ck_assert(!pic_intr_pending(pic));
    eoi_slave();
    ck_assert(!pic_intr_pending(pic)); /* master IR2 still in service */
    eoi_master();
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x75);
    eoi_slave();
    eoi_master();
    /* Slave IRQs rank at IR2: above IRQ3, below IRQ1. */
    irq(12, 0);
    irq(13, 0);
    irq(3, 1);
    irq(9, 1);
    irq(1, 1);
    ck_assert_int_eq(pic_ack(pic), 0x09);
    eoi_master();
    ck_assert_int_eq(pic_ack(pic), 0x71);
    eoi_slave();
    eoi_master();
    ck_assert_int_eq(pic_ack(pic), 0x0B);
}
END_TEST

START_TEST(test_specific_eoi)
{
    init_pc(0x01, 0x01);
    irq(5, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0D);
    irq(3, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0B);
    ck_assert_uint_eq(read_isr(0x20), 0x28);
    out8(0x20, 0x65); /* specific EOI for IR5, the lower one */
    ck_assert_uint_eq(read_isr(0x20), 0x08);
    out8(0x20, 0x63);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    out8(0x20, 0x40); /* OCW2 no-op */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_rotate_on_nonspecific_eoi)
{
    init_pc(0x01, 0x01);
    irq(1, 1);
    ck_assert_int_eq(pic_ack(pic), 0x09);
    out8(0x20, 0xA0); /* rotate on non-specific EOI: IR1 becomes lowest */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    irq(1, 0);
    irq(0, 1);
    irq(3, 1);
    irq(1, 1);
    /* Priority now 2,3,4,5,6,7,0,1. */
    ck_assert_int_eq(pic_ack(pic), 0x0B);
    out8(0x20, 0xA0); /* IR3 lowest: 4,5,6,7,0,1,2,3 */
    ck_assert_int_eq(pic_ack(pic), 0x08);
    out8(0x20, 0xA0);
    ck_assert_int_eq(pic_ack(pic), 0x09);
    out8(0x20, 0x20);
}
END_TEST

START_TEST(test_set_priority_and_specific_rotate)
{
    init_pc(0x01, 0x01);
    out8(0x20, 0xC4); /* set priority: IR4 lowest, IR5 highest */
    irq(0, 1);
    irq(4, 1);
    irq(5, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0D);
    /* IR5 in service blocks everything (it is the highest now). */
    ck_assert(!pic_intr_pending(pic));
    out8(0x20, 0xE5); /* rotate on specific EOI 5: IR5 lowest, IR6 highest */
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_int_eq(pic_ack(pic), 0x08);
    out8(0x20, 0xE7); /* specific EOI of a level not in service: IR0 stays */
    ck_assert_uint_eq(read_isr(0x20), 0x01);
    /* With IR7 lowest again IR0 is the highest and blocks IR4. */
    ck_assert(!pic_intr_pending(pic));
    out8(0x20, 0x60);
    ck_assert_int_eq(pic_ack(pic), 0x0C);
}
END_TEST

START_TEST(test_auto_eoi)
{
    init_pc(0x03, 0x01); /* master in automatic EOI */
    irq(1, 1);
    irq(4, 1);
    ck_assert_int_eq(pic_ack(pic), 0x09);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    /* No EOI needed: the lower request is delivered at once. */
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x0C);
    ck_assert(!pic_intr_pending(pic));
    /* Slave IRQs: the master's IR2 ends by itself, the slave's needs EOI. */
    irq(8, 1);
    ck_assert_int_eq(pic_ack(pic), 0x70);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    ck_assert_uint_eq(read_isr(0xA0), 0x01);
    irq(10, 1);
    ck_assert(!pic_intr_pending(pic));
    eoi_slave();
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x72);
}
END_TEST

START_TEST(test_slave_still_requesting_after_ack)
{
    /* Slave in automatic EOI with two requests: after the first INTA its
     * INT stays asserted; the master's edge-triggered IR2 must still see
     * the second request (the INT output drops during the INTA cycle). */
    init_pc(0x01, 0x03);
    irq(8, 1);
    irq(10, 1);
    ck_assert_int_eq(pic_ack(pic), 0x70);
    ck_assert_uint_eq(read_isr(0xA0), 0x00);
    ck_assert(!pic_intr_pending(pic)); /* master IR2 in service */
    eoi_master();
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x72);
    eoi_master();
    ck_assert(!pic_intr_pending(pic));
}
END_TEST

START_TEST(test_rotate_in_auto_eoi)
{
    init_pc(0x03, 0x01);
    out8(0x20, 0x80); /* rotate in automatic EOI mode (set) */
    irq(0, 1);
    irq(3, 1);
    irq(6, 1);
    ck_assert_int_eq(pic_ack(pic), 0x08); /* IR0 becomes lowest */
    irq(0, 0);
    irq(0, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0B); /* IR3 lowest: 4..7,0..3 */
    ck_assert_int_eq(pic_ack(pic), 0x0E); /* IR6 lowest: 7,0..6 */
    ck_assert_int_eq(pic_ack(pic), 0x08);
    out8(0x20, 0x00); /* clear: priorities no longer move */
    irq(0, 0);
    irq(0, 1);
    irq(5, 1);
    /* IR0 was made lowest by the last rotation; IR5 wins, twice. */
    ck_assert_int_eq(pic_ack(pic), 0x0D);
    irq(5, 0);
    irq(5, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0D);
    ck_assert_int_eq(pic_ack(pic), 0x08);
}
END_TEST

START_TEST(test_poll_mode)
{
    init_pc(0x01, 0x01);
    irq(6, 1);
    irq(3, 1);
    out8(0x20, 0x0C); /* poll */
    ck_assert_uint_eq(in8(0x20), 0x83);
    /* The poll acknowledged IR3 like an INTA. */
    ck_assert_uint_eq(read_isr(0x20), 0x08);
    ck_assert_uint_eq(read_irr(0x20), 0x40);
    /* After the poll read, reads return IRR again. */
    ck_assert_uint_eq(in8(0x20), 0x40);
    out8(0x20, 0x0C); /* IR6 is blocked by IR3 in service */
    ck_assert_uint_eq(in8(0x20) & 0x80, 0);
    eoi_master();
    out8(0x20, 0x0C);
    ck_assert_uint_eq(in8(0x21), 0x86); /* the poll takes any read, A0 = 1 too */
    ck_assert_uint_eq(in8(0x21), 0x00); /* then IMR again */
    eoi_master();
    /* Polling the slave for a slave IRQ. */
    irq(11, 1);
    out8(0x20, 0x0C);
    ck_assert_uint_eq(in8(0x20), 0x82);
    out8(0xA0, 0x0C);
    ck_assert_uint_eq(in8(0xA0), 0x83);
    ck_assert_uint_eq(read_isr(0xA0), 0x08);
}
END_TEST

START_TEST(test_special_mask_mode)
{
    init_pc(0x01, 0x01);
    irq(1, 1);
    ck_assert_int_eq(pic_ack(pic), 0x09);
    irq(3, 1);
    ck_assert(!pic_intr_pending(pic));
    out8(0x20, 0x68);                  /* set special mask mode */
    ck_assert(!pic_intr_pending(pic)); /* IR1 not masked yet: still inhibits */
    out8(0x21, 0x02);                  /* mask the level in service: lower levels open up */
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x0B);
    ck_assert_uint_eq(read_isr(0x20), 0x0A);
    /* A non-specific EOI leaves the masked IS bit alone. */
    eoi_master();
    ck_assert_uint_eq(read_isr(0x20), 0x02);
    out8(0x20, 0x61);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    /* Reset special mask mode: an IS bit inhibits lower levels again. */
    out8(0x20, 0x48);
    out8(0x21, 0x00);
    irq(1, 0);
    irq(1, 1);
    ck_assert_int_eq(pic_ack(pic), 0x09);
    irq(3, 0);
    irq(3, 1);
    out8(0x21, 0x02);
    ck_assert(!pic_intr_pending(pic));
}
END_TEST

START_TEST(test_level_mode)
{
    /* ICW1 with LTIM on the master. */
    out8(0x20, 0x19);
    out8(0x21, 0x08);
    out8(0x21, 0x04);
    out8(0x21, 0x01);
    irq(5, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0D);
    /* The line is still high: IRR follows it. */
    ck_assert_uint_eq(read_irr(0x20), 0x20);
    ck_assert(!pic_intr_pending(pic));
    eoi_master();
    ck_assert(pic_intr_pending(pic)); /* requests again, no new edge needed */
    ck_assert_int_eq(pic_ack(pic), 0x0D);
    eoi_master();
    irq(5, 0);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    ck_assert(!pic_intr_pending(pic));
}
END_TEST

START_TEST(test_edge_needs_new_edge)
{
    init_pc(0x01, 0x01);
    irq(4, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0C);
    eoi_master();
    ck_assert(!pic_intr_pending(pic)); /* line still high, no new edge */
    irq(4, 1);
    ck_assert(!pic_intr_pending(pic));
    irq(4, 0);
    irq(4, 1);
    ck_assert_int_eq(pic_ack(pic), 0x0C);
    eoi_master();
    /* A pulse is latched by the edge sense latch. */
    irq(4, 0);
    pic_set_irq(pic, 6, 1);
    pic_set_irq(pic, 6, 0);
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x0E);
    /* ICW1 resets the edge sense: a line held high needs a new edge. */
    irq(7, 1);
    init_pc(0x01, 0x01);
    ck_assert_uint_eq(read_irr(0x20), 0x00);
    ck_assert(!pic_intr_pending(pic));
}
END_TEST

START_TEST(test_spurious_irq7)
{
    init_pc(0x01, 0x01);
    /* An acknowledge with nothing requested gives IR7, IS bit not set. */
    ck_assert_int_eq(pic_ack(pic), 0x0F);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    /* A level request withdrawn before the INTA: the same. */
    pic_set_elcr(pic, 0x0020);
    irq(5, 1);
    ck_assert(pic_intr_pending(pic));
    irq(5, 0);
    ck_assert(!pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x0F);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
    /* A request masked after INTR rose. */
    irq(3, 1);
    out8(0x21, 0x08);
    ck_assert_int_eq(pic_ack(pic), 0x0F);
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_spurious_irq15)
{
    init_pc(0x01, 0x01);
    pic_set_elcr(pic, 1u << 10); /* IRQ10 level-triggered */
    irq(10, 1);
    ck_assert(pic_intr_pending(pic));
    irq(10, 0); /* the slave's INT drops, the master's IR2 edge is latched */
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x77);
    ck_assert_uint_eq(read_isr(0xA0), 0x00);
    ck_assert_uint_eq(read_isr(0x20), 0x04); /* the master must still get its EOI */
    eoi_master();
    ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_elcr_level_trigger)
{
    init_pc(0x01, 0x01);
    pic_set_elcr(pic, 1u << 9);
    irq(9, 1);
    ck_assert_int_eq(pic_ack(pic), 0x71);
    eoi_slave();
    eoi_master();
    /* Still high: a level input requests again after the EOIs. */
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x71);
    irq(9, 0); /* dropped while in service: no request left behind */
    ck_assert_uint_eq(read_irr(0xA0), 0x00);
    eoi_slave();
    eoi_master();
    ck_assert(!pic_intr_pending(pic));
    /* Back to edge: a high line does not request twice. */
    pic_set_elcr(pic, 0);
    irq(9, 1);
    ck_assert_int_eq(pic_ack(pic), 0x71);
    eoi_slave();
    eoi_master();
    ck_assert(!pic_intr_pending(pic));
}
END_TEST

START_TEST(test_special_fully_nested)
{
    /* Without SFNM a higher slave IRQ waits for the master's IR2 EOI. */
    init_pc(0x01, 0x01);
    irq(12, 1);
    ck_assert_int_eq(pic_ack(pic), 0x74);
    irq(9, 1);
    ck_assert(!pic_intr_pending(pic));
    eoi_slave();
    eoi_master();
    ck_assert_int_eq(pic_ack(pic), 0x71);
    eoi_slave();
    eoi_master();
    irq(12, 0);
    irq(9, 0);
    /* With SFNM on the master it nests inside the slave's service. */
    init_pc(0x11, 0x01);
    irq(12, 1);
    ck_assert_int_eq(pic_ack(pic), 0x74);
    irq(13, 1); /* lower than IRQ12 on the slave: still blocked */
    ck_assert(!pic_intr_pending(pic));
    irq(9, 1);
    ck_assert(pic_intr_pending(pic));
    ck_assert_int_eq(pic_ack(pic), 0x71);
    ck_assert_uint_eq(read_isr(0xA0), 0x12);
    /* IRQ3 is still below the in-service IR2 on the master. */
    irq(3, 1);
    ck_assert(!pic_intr_pending(pic));
}
END_TEST

START_TEST(test_icw1_resets_state)
{
    init_pc(0x01, 0x01);
    irq(1, 1);
    ck_assert_int_eq(pic_ack(pic), 0x09);
    out8(0x21, 0xF0);
    out8(0x20, 0xC3); /* set priority */
    out8(0x20, 0x6B); /* special mask + read ISR */
    init_pc(0x01, 0x01);
    ck_assert_uint_eq(in8(0x21), 0x00); /* IMR cleared */
    ck_assert_uint_eq(in8(0x20), 0x00); /* reads IRR again */
    out8(0x20, 0x0B);
    ck_assert_uint_eq(in8(0x20), 0x00); /* ISR cleared */
    irq(0, 1);
    irq(7, 1);
    ck_assert_int_eq(pic_ack(pic), 0x08); /* IR7 lowest again */
}
END_TEST

START_TEST(test_single_mode)
{
    /* ICW1: single, ICW4 needed: ICW3 is skipped. */
    out8(0x20, 0x13);
    out8(0x21, 0x20);
    out8(0x21, 0x01); /* ICW4 */
    out8(0x21, 0xFE); /* OCW1 */
    ck_assert_uint_eq(in8(0x21), 0xFE);
    out8(0x21, 0x00);
    irq(10, 1); /* the slave (uninitialised, masked) stays quiet */
    irq(2, 1);  /* IR2 is an ordinary input in single mode */
    ck_assert_int_eq(pic_ack(pic), 0x22);
}
END_TEST

START_TEST(test_mcs80_vector)
{
    /* ICW1 without IC4 zeroes ICW4: MCS-80 mode; the CPU reads the CALL
     * address low byte, interval 8 here (A7-A6 from ICW1). */
    out8(0x20, 0x52); /* single, interval 8, A7-A5 = 010 */
    out8(0x21, 0x12);
    irq(3, 1);
    ck_assert_int_eq(pic_ack(pic), 0x40 | (3 << 3));
    out8(0x20, 0x56); /* interval 4 */
    out8(0x21, 0x12);
    irq(3, 0);
    irq(3, 1);
    ck_assert_int_eq(pic_ack(pic), 0x40 | (3 << 2));
}
END_TEST

START_TEST(test_device_reset)
{
    init_pc(0x01, 0x01);
    irq(0, 1);
    ck_assert(pic_intr_pending(pic));
    pic_device_ops.reset(pic);
    ck_assert(!pic_intr_pending(pic));
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(in8(0x21), 0xFF);
    ck_assert_str_eq(pic_device_ops.name, "pic");
    /* Bad input numbers are ignored. */
    pic_set_irq(pic, 16, 1);
    pic_set_irq(pic, -1, 1);
    ck_assert(!pic_intr_pending(pic));
}
END_TEST

static Suite *pic_suite(void)
{
    Suite *s = suite_create("pic");
    TCase *tc = tcase_create("8259a");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_state);
    tcase_add_test(tc, test_init_sequence);
    tcase_add_test(tc, test_intr_driven_on_change_only);
    tcase_add_test(tc, test_fixed_priority);
    tcase_add_test(tc, test_nesting_and_nonspecific_eoi);
    tcase_add_test(tc, test_masking);
    tcase_add_test(tc, test_cascade_vectors);
    tcase_add_test(tc, test_specific_eoi);
    tcase_add_test(tc, test_rotate_on_nonspecific_eoi);
    tcase_add_test(tc, test_set_priority_and_specific_rotate);
    tcase_add_test(tc, test_auto_eoi);
    tcase_add_test(tc, test_slave_still_requesting_after_ack);
    tcase_add_test(tc, test_rotate_in_auto_eoi);
    tcase_add_test(tc, test_poll_mode);
    tcase_add_test(tc, test_special_mask_mode);
    tcase_add_test(tc, test_level_mode);
    tcase_add_test(tc, test_edge_needs_new_edge);
    tcase_add_test(tc, test_spurious_irq7);
    tcase_add_test(tc, test_spurious_irq15);
    tcase_add_test(tc, test_elcr_level_trigger);
    tcase_add_test(tc, test_special_fully_nested);
    tcase_add_test(tc, test_icw1_resets_state);
    tcase_add_test(tc, test_single_mode);
    tcase_add_test(tc, test_mcs80_vector);
    tcase_add_test(tc, test_device_reset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
