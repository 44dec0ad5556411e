/*
 * test_uart.c - the PC16550D UART model (devices/uart.c) on a real bus and
 * a virtual clock at 1 ns per instruction, with a CharBuffer backend and an
 * IRQ recorder.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "devices/core/bus.h"
#include "devices/core/chardev.h"
#include "devices/core/clock.h"
#include "devices/core/irq.h"
#include "devices/uart.h"

#define BASE 0x3F8

enum {
    RBR = 0,
    THR = 0,
    DLL = 0,
    IER = 1,
    DLM = 1,
    IIR = 2,
    FCR = 2,
    LCR = 3,
    MCR = 4,
    LSR = 5,
    MSR = 6,
    SCR = 7
};

typedef struct IrqRec {
    int level;
    int rises;
    int falls;
    int calls;
} IrqRec;

static Bus *bus;
static Clock clk;
static CharBuffer out;
static IrqRec rec;
static Uart *u;

static void rec_set(void *opaque, int n, int level)
{
    IrqRec *r = opaque;
    (void)n;
    if (level && !r->level) r->rises++;
    if (!level && r->level) r->falls++;
    r->level = level;
    r->calls++;
}

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    clock_init(&clk, 1000000000); /* 1 ns per instruction */
    memset(&rec, 0, sizeof rec);
    memset(&out, 0, sizeof out);
    u = uart_new(bus, BASE, irq_line(rec_set, &rec, 4), &clk, chardev_buffer(&out));
    ck_assert_ptr_nonnull(u);
}

static void teardown(void)
{
    uart_free(u);
    bus_free(bus);
    chardev_buffer_free(&out);
}

static uint8_t inb(unsigned reg)
{
    return (uint8_t)bus_io_read(bus, (uint16_t)(BASE + reg), 1);
}
static void outb(unsigned reg, uint8_t v)
{
    bus_io_write(bus, (uint16_t)(BASE + reg), v, 1);
}

static void rx_byte(uint8_t b)
{
    uart_receive(u, &b, 1);
}

static void advance_ns(uint64_t ns)
{
    clock_step_insns(&clk, ns); /* 1 ns per instruction */
    clock_run_timers(&clk);
}

START_TEST(test_reset_values)
{
    ck_assert_uint_eq(inb(IER), 0x00);
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_uint_eq(inb(LCR), 0x00);
    ck_assert_uint_eq(inb(MCR), 0x00);
    ck_assert_uint_eq(inb(LSR), 0x60); /* THRE | TEMT */
    ck_assert_uint_eq(inb(MSR), 0xB0); /* host end: DCD, DSR, CTS, no deltas */
    ck_assert_uint_eq(inb(SCR), 0x00);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_int_ge(rec.calls, 1); /* reset drove the line */
    outb(LCR, 0x80);
    ck_assert_uint_eq(inb(DLL), 12); /* 9600 baud */
    ck_assert_uint_eq(inb(DLM), 0);
}
END_TEST

START_TEST(test_dlab_divisor)
{
    outb(IER, 0x05);
    outb(LCR, 0x83); /* DLAB + 8N1 */
    outb(DLL, 0x01);
    outb(DLM, 0x02);
    ck_assert_uint_eq(inb(DLL), 0x01);
    ck_assert_uint_eq(inb(DLM), 0x02);
    ck_assert_uint_eq(out.len, 0); /* the DLL write did not transmit */
    outb(LCR, 0x03);
    ck_assert_uint_eq(inb(IER), 0x05); /* IER untouched by the DLM write */
    ck_assert_uint_eq(inb(LCR), 0x03);
    outb(IER, 0xFF);
    ck_assert_uint_eq(inb(IER), 0x0F); /* bits 4-7 are always 0 */
    outb(IER, 0);
    outb(LCR, 0x80);
    ck_assert_uint_eq(inb(DLL), 0x01); /* divisor kept across DLAB toggles */
    ck_assert_uint_eq(inb(DLM), 0x02);
    /* IIR/FCR is not behind DLAB. */
    ck_assert_uint_eq(inb(IIR), 0x01);
}
END_TEST

START_TEST(test_lcr_mcr_scr_round_trip)
{
    for (unsigned v = 0; v < 256; v++) {
        outb(LCR, (uint8_t)v);
        ck_assert_uint_eq(inb(LCR), v);
        outb(SCR, (uint8_t)v);
        ck_assert_uint_eq(inb(SCR), v);
    }
    outb(LCR, 0x03);
    for (unsigned v = 0; v < 256; v++) {
        outb(MCR, (uint8_t)v);
        ck_assert_uint_eq(inb(MCR), v & 0x1F); /* bits 5-7 are always 0 */
    }
    outb(MCR, 0);
    /* LSR and MSR writes are ignored. */
    outb(LSR, 0x00);
    ck_assert_uint_eq(inb(LSR), 0x60);
    outb(MSR, 0x00);
    ck_assert_uint_eq(inb(MSR) & 0xF0, 0xB0);
}
END_TEST

START_TEST(test_transmit)
{
    outb(LCR, 0x03);
    const char *msg = "Hello, 16550\r\n";
    for (const char *p = msg; *p; p++) {
        ck_assert_uint_eq(inb(LSR) & 0x60, 0x60); /* THRE and TEMT */
        outb(THR, (uint8_t)*p);
    }
    ck_assert_uint_eq(out.len, strlen(msg));
    ck_assert_str_eq((char *)out.data, msg);
    ck_assert_uint_eq(inb(LSR), 0x60);
    /* With the reset LCR (5 data bits) the host still gets whole bytes. */
    outb(LCR, 0x00);
    chardev_buffer_clear(&out);
    outb(THR, 'A');
    ck_assert_str_eq((char *)out.data, "A");
    /* A word write is split by the bus: low byte to THR, high byte to IER. */
    chardev_buffer_clear(&out);
    bus_io_write(bus, BASE, 0x0342, 2);
    ck_assert_str_eq((char *)out.data, "B");
    ck_assert_uint_eq(inb(IER), 0x03);
}
END_TEST

START_TEST(test_receive_16450_mode)
{
    ck_assert_uint_eq(uart_rx_space(u), 1);
    rx_byte('x');
    ck_assert_uint_eq(uart_rx_space(u), 0);
    ck_assert_uint_eq(inb(LSR), 0x61); /* DR */
    ck_assert_uint_eq(inb(IIR), 0x01); /* IER still 0 */
    outb(IER, 0x01);
    ck_assert_uint_eq(inb(IIR), 0x04);
    ck_assert_int_eq(rec.level, 0); /* OUT2 clear */
    outb(MCR, 0x08);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(RBR), 'x');
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(uart_rx_space(u), 1);
    /* An empty RBR reads the last character again, without side effects. */
    ck_assert_uint_eq(inb(RBR), 'x');
    ck_assert_uint_eq(inb(LSR), 0x60);
    /* No FIFO, so no character timeout in 16450 mode. */
    rx_byte('y');
    advance_ns(100000000);
    ck_assert_uint_eq(inb(IIR), 0x04);
}
END_TEST

START_TEST(test_overrun_16450_mode)
{
    outb(IER, 0x05); /* RDA + RLS */
    outb(MCR, 0x08);
    rx_byte('a');
    ck_assert_uint_eq(inb(IIR), 0x04);
    rx_byte('b'); /* arrives while 'a' is unread */
    ck_assert_uint_eq(inb(IIR), 0x06);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(LSR), 0x63); /* OE | DR */
    ck_assert_uint_eq(inb(LSR), 0x61); /* OE cleared by the read */
    ck_assert_uint_eq(inb(IIR), 0x04);
    ck_assert_uint_eq(inb(RBR), 'b'); /* the new character overwrote RBR */
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_int_eq(rec.level, 0);
}
END_TEST

START_TEST(test_fifo_receive)
{
    outb(FCR, 0x01);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    ck_assert_uint_eq(uart_rx_space(u), 16);
    uart_receive(u, (const uint8_t *)"hello", 5);
    ck_assert_uint_eq(uart_rx_space(u), 11);
    ck_assert_uint_eq(inb(LSR), 0x61);
    char got[6] = {0};
    for (int i = 0; i < 5; i++) {
        ck_assert_uint_eq(inb(LSR) & 1, 1);
        got[i] = (char)inb(RBR);
    }
    ck_assert_str_eq(got, "hello");
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_uint_eq(uart_rx_space(u), 16);
    /* The FIFO wraps around its 16 slots. */
    for (int round = 0; round < 3; round++) {
        uint8_t buf[12];
        for (int i = 0; i < 12; i++)
            buf[i] = (uint8_t)(round * 16 + i);
        uart_receive(u, buf, 12);
        for (int i = 0; i < 12; i++)
            ck_assert_uint_eq(inb(RBR), buf[i]);
    }
}
END_TEST

START_TEST(test_fifo_trigger_levels)
{
    static const struct {
        uint8_t fcr;
        unsigned level;
    } cases[] = {{0x01, 1}, {0x41, 4}, {0x81, 8}, {0xC1, 14}};
    outb(IER, 0x01);
    outb(MCR, 0x08);
    for (size_t c = 0; c < 4; c++) {
        outb(FCR, cases[c].fcr | 0x02); /* also reset the RX FIFO */
        ck_assert_uint_eq(inb(IIR), 0xC1);
        ck_assert_int_eq(rec.level, 0);
        for (unsigned n = 1; n <= 16; n++) {
            rx_byte((uint8_t)n);
            if (n < cases[c].level) {
                ck_assert_uint_eq(inb(IIR), 0xC1);
                ck_assert_int_eq(rec.level, 0);
            } else {
                ck_assert_uint_eq(inb(IIR), 0xC4);
                ck_assert_int_eq(rec.level, 1);
            }
        }
        /* Reading drops the count below the trigger: the indication clears. */
        for (unsigned n = 16; n > 0; n--) {
            ck_assert_uint_eq(inb(IIR), n >= cases[c].level ? 0xC4 : 0xC1);
            ck_assert_uint_eq(inb(RBR), 17 - n);
        }
        ck_assert_uint_eq(inb(IIR), 0xC1);
        ck_assert_int_eq(rec.level, 0);
    }
}
END_TEST

START_TEST(test_fifo_overrun)
{
    outb(FCR, 0xC7);
    outb(IER, 0x04);
    outb(MCR, 0x08);
    uint8_t buf[20];
    for (int i = 0; i < 20; i++)
        buf[i] = (uint8_t)('A' + i);
    uart_receive(u, buf, 20);
    ck_assert_uint_eq(uart_rx_space(u), 0);
    ck_assert_uint_eq(inb(IIR), 0xC6);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(LSR), 0x63);
    ck_assert_uint_eq(inb(LSR), 0x61);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    ck_assert_int_eq(rec.level, 0);
    for (int i = 0; i < 16; i++)
        ck_assert_uint_eq(inb(RBR), 'A' + i); /* the rest was dropped */
    ck_assert_uint_eq(inb(LSR), 0x60);
}
END_TEST

START_TEST(test_char_timeout)
{
    /* 9600 baud 8N1: 10 bits * 16 * 12 / 1.8432 MHz = 1041666.67 ns per
     * character, so the timeout comes 4166667 ns after the last activity. */
    outb(LCR, 0x83);
    outb(DLL, 12);
    outb(DLM, 0);
    outb(LCR, 0x03);
    outb(FCR, 0x81); /* trigger 8 */
    outb(IER, 0x01);
    outb(MCR, 0x08);
    uart_receive(u, (const uint8_t *)"abc", 3);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    advance_ns(4166666);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    ck_assert_int_eq(rec.level, 0);
    advance_ns(1);
    ck_assert_uint_eq(inb(IIR), 0xCC);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(IIR), 0xCC); /* reading IIR does not clear it */
    /* Reading one character clears the timeout and restarts the timer. */
    ck_assert_uint_eq(inb(RBR), 'a');
    ck_assert_uint_eq(inb(IIR), 0xC1);
    ck_assert_int_eq(rec.level, 0);
    advance_ns(4166666);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    advance_ns(1);
    ck_assert_uint_eq(inb(IIR), 0xCC);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(RBR), 'b');
    ck_assert_uint_eq(inb(RBR), 'c');
    /* An empty FIFO never times out. */
    advance_ns(100000000);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    ck_assert_int_eq(rec.level, 0);
}
END_TEST

START_TEST(test_char_timeout_restarted_by_rx)
{
    outb(LCR, 0x03); /* divisor 12 from reset */
    outb(FCR, 0xC1); /* trigger 14 */
    outb(IER, 0x01);
    outb(MCR, 0x08);
    rx_byte('1');
    advance_ns(3000000);
    rx_byte('2'); /* new character: the 4 character times start again */
    advance_ns(3000000);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    advance_ns(1166666);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    advance_ns(1);
    ck_assert_uint_eq(inb(IIR), 0xCC);
    /* RDA outranks a pending timeout once the trigger level is reached. */
    for (int i = 0; i < 12; i++)
        rx_byte('x');
    ck_assert_uint_eq(inb(IIR), 0xC4);
    /* An RX FIFO reset drops the data and the timeout indication. */
    outb(FCR, 0xC3);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    ck_assert_int_eq(rec.level, 0);
    advance_ns(100000000);
    ck_assert_uint_eq(inb(IIR), 0xC1);
}
END_TEST

START_TEST(test_char_timeout_frame_formats)
{
    /* 5 data bits, 1.5 stop bits, no parity (7.5 bits), divisor 3:
     * 4 * 7.5 * 16 * 3 / 1843200 s = 781250 ns exactly. */
    outb(LCR, 0x80);
    outb(DLL, 3);
    outb(LCR, 0x04);
    outb(FCR, 0x41);
    outb(IER, 0x01);
    outb(MCR, 0x08);
    rx_byte(0x11);
    advance_ns(781249);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    advance_ns(1);
    ck_assert_uint_eq(inb(IIR), 0xCC);
    ck_assert_uint_eq(inb(RBR), 0x11);
    /* 8 data bits, parity, 2 stop bits (12 bits), divisor 1 (115200):
     * 4 * 12 * 16 / 1843200 s = 416666.67 ns, rounded up to 416667. */
    outb(LCR, 0x80);
    outb(DLL, 1);
    outb(LCR, 0x0F);
    rx_byte(0x22);
    advance_ns(416666);
    ck_assert_uint_eq(inb(IIR), 0xC1);
    advance_ns(1);
    ck_assert_uint_eq(inb(IIR), 0xCC);
    ck_assert_uint_eq(inb(RBR), 0x22);
    /* Divisor 0 is timed as 65536 rather than firing at once. */
    outb(LCR, 0x80);
    outb(DLL, 0);
    outb(LCR, 0x03);
    rx_byte(0x33);
    advance_ns(1000000000); /* 1 s; 4 chars at 65536 take 22.8 s */
    ck_assert_uint_eq(inb(IIR), 0xC1);
}
END_TEST

START_TEST(test_thre_interrupt_on_enable)
{
    outb(MCR, 0x08);
    outb(IER, 0x02); /* THR is empty: enabling raises the interrupt */
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(IIR), 0x02); /* the read clears it */
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(inb(IIR), 0x01);
    outb(IER, 0x02); /* already enabled: no new interrupt */
    ck_assert_uint_eq(inb(IIR), 0x01);
    outb(IER, 0x00);
    outb(IER, 0x02); /* newly enabled again */
    ck_assert_uint_eq(inb(IIR), 0x02);
    ck_assert_uint_eq(inb(IIR), 0x01);
    /* Disabling masks a pending THRE interrupt without consuming it. */
    outb(THR, 'a');
    ck_assert_int_eq(rec.level, 1);
    outb(IER, 0x00);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(inb(IIR), 0x01);
}
END_TEST

START_TEST(test_thre_interrupt_after_write)
{
    outb(MCR, 0x08);
    outb(THR, 'a'); /* IER bit 1 clear: no interrupt shown */
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_int_eq(rec.level, 0);
    outb(IER, 0x02);
    ck_assert_uint_eq(inb(IIR), 0x02);
    ck_assert_int_eq(rec.level, 0);
    int rises = rec.rises, falls = rec.falls;
    /* Each write clears THRE (line low) and the byte leaves at once, THR
     * empties, THRE is raised again: one edge per byte, as a driver expects. */
    outb(THR, 'b');
    ck_assert_int_eq(rec.level, 1);
    ck_assert_int_eq(rec.rises, rises + 1);
    outb(THR, 'c');
    ck_assert_int_eq(rec.level, 1);
    ck_assert_int_eq(rec.falls, falls + 1);
    ck_assert_int_eq(rec.rises, rises + 2);
    ck_assert_uint_eq(inb(IIR), 0x02);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_str_eq((char *)out.data, "abc");
    /* In FIFO mode the IIR carries the FIFO bits. */
    outb(FCR, 0x01); /* changing FCR0 makes the next THRE interrupt immediate */
    ck_assert_uint_eq(inb(IIR), 0xC2);
    ck_assert_uint_eq(inb(IIR), 0xC1);
}
END_TEST

START_TEST(test_interrupt_priorities)
{
    outb(MCR, 0x08);
    outb(IER, 0x0F); /* raises THRE */
    ck_assert_uint_eq(inb(LSR), 0x60);
    uart_set_modem_inputs(u, 0x90);    /* DSR drops: modem status change */
    ck_assert_uint_eq(inb(IIR), 0x02); /* THRE above modem status; read clears THRE */
    ck_assert_uint_eq(inb(IIR), 0x00); /* modem status */
    rx_byte('1');
    ck_assert_uint_eq(inb(IIR), 0x04); /* data above modem status */
    outb(THR, 'z');                    /* THRE again */
    ck_assert_uint_eq(inb(IIR), 0x04); /* data above THRE (not consumed) */
    rx_byte('2');                      /* overrun */
    ck_assert_uint_eq(inb(IIR), 0x06); /* line status above all */
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(LSR), 0x63);
    ck_assert_uint_eq(inb(IIR), 0x04);
    ck_assert_uint_eq(inb(RBR), '2');
    ck_assert_uint_eq(inb(IIR), 0x02);
    ck_assert_uint_eq(inb(IIR), 0x00);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(MSR), 0x92); /* CTS, DCD, delta DSR */
    ck_assert_uint_eq(inb(MSR), 0x90);
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_int_eq(rec.level, 0);
}
END_TEST

START_TEST(test_modem_status_interrupt)
{
    outb(MCR, 0x08);
    outb(IER, 0x08);
    ck_assert_uint_eq(inb(IIR), 0x01);
    uart_set_modem_inputs(u, 0xF0); /* RI rises: no TERI yet */
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_uint_eq(inb(MSR), 0xF0);
    uart_set_modem_inputs(u, 0xB0); /* RI falls: trailing edge */
    ck_assert_uint_eq(inb(IIR), 0x00);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(MSR), 0xB4);
    ck_assert_int_eq(rec.level, 0);
    uart_set_modem_inputs(u, 0x00); /* CTS, DSR, DCD drop */
    ck_assert_uint_eq(inb(MSR), 0x0B);
    ck_assert_uint_eq(inb(MSR), 0x00);
}
END_TEST

START_TEST(test_out2_gates_irq)
{
    outb(IER, 0x01);
    rx_byte('q');
    ck_assert_uint_eq(inb(IIR), 0x04);
    ck_assert_int_eq(rec.level, 0);
    outb(MCR, 0x0B); /* DTR | RTS | OUT2 */
    ck_assert_int_eq(rec.level, 1);
    outb(MCR, 0x03); /* OUT2 off: the interrupt stays pending, the line drops */
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(inb(IIR), 0x04);
    outb(MCR, 0x0B);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(RBR), 'q');
    ck_assert_int_eq(rec.level, 0);
}
END_TEST

START_TEST(test_loopback_data)
{
    outb(LCR, 0x03);
    outb(MCR, 0x10);
    ck_assert_uint_eq(uart_rx_space(u), 0); /* serial input disconnected */
    rx_byte('h');                           /* dropped */
    ck_assert_uint_eq(inb(LSR), 0x60);
    outb(THR, 'Z');
    ck_assert_uint_eq(out.len, 0); /* nothing leaves the chip */
    ck_assert_uint_eq(inb(LSR), 0x61);
    ck_assert_uint_eq(inb(RBR), 'Z');
    /* The receiver takes the word length: 5 bits of 0xFF. */
    outb(LCR, 0x00);
    outb(THR, 0xFF);
    ck_assert_uint_eq(inb(RBR), 0x1F);
    /* Loopback with FIFOs and interrupts (OUT2 set too). */
    outb(LCR, 0x03);
    outb(FCR, 0x41);
    outb(IER, 0x01);
    outb(MCR, 0x18);
    for (const char *p = "loop"; *p; p++)
        outb(THR, (uint8_t)*p);
    ck_assert_uint_eq(inb(IIR), 0xC4);
    ck_assert_int_eq(rec.level, 1);
    char got[5] = {0};
    for (int i = 0; i < 4; i++)
        got[i] = (char)inb(RBR);
    ck_assert_str_eq(got, "loop");
    /* Setting break in loopback makes the receiver see one break character. */
    outb(IER, 0x05);
    outb(LCR, 0x43);
    ck_assert_uint_eq(inb(IIR), 0xC6);
    ck_assert_uint_eq(inb(LSR), 0xF1); /* FIFO error | BI | DR */
    ck_assert_uint_eq(inb(RBR), 0x00);
    outb(LCR, 0x03);
    ck_assert_uint_eq(inb(LSR), 0x60);
    /* Leaving loopback reconnects the input. */
    outb(MCR, 0x08);
    ck_assert_uint_eq(uart_rx_space(u), 16);
    outb(THR, '!');
    ck_assert_str_eq((char *)out.data, "!");
}
END_TEST

START_TEST(test_loopback_msr)
{
    ck_assert_uint_eq(inb(MSR), 0xB0);
    /* The check Linux's 8250 driver makes: LOOP | OUT2 | RTS -> DCD | CTS. */
    outb(MCR, 0x1A);
    ck_assert_uint_eq(inb(MSR) & 0xF0, 0x90);
    outb(MCR, 0x10);
    ck_assert_uint_eq(inb(MSR), 0x08 | 0x01); /* DCD and CTS fell: deltas */
    outb(MCR, 0x11);                          /* DTR -> DSR */
    ck_assert_uint_eq(inb(MSR), 0x22);
    outb(MCR, 0x12); /* RTS -> CTS (DTR off) */
    ck_assert_uint_eq(inb(MSR), 0x13);
    outb(MCR, 0x14); /* OUT1 -> RI (rising RI: no TERI) */
    ck_assert_uint_eq(inb(MSR), 0x41);
    outb(MCR, 0x10); /* RI falls: TERI */
    ck_assert_uint_eq(inb(MSR), 0x04);
    outb(MCR, 0x1F);
    ck_assert_uint_eq(inb(MSR), 0xFB);
    ck_assert_uint_eq(inb(MSR), 0xF0);
    /* Modem status interrupt from loopback, gated by OUT2 (set here). */
    outb(IER, 0x08);
    outb(MCR, 0x1D); /* RTS off */
    ck_assert_uint_eq(inb(IIR), 0x00);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(MSR), 0xE1);
    ck_assert_int_eq(rec.level, 0);
    /* Leaving loopback shows the host's inputs again. */
    outb(MCR, 0x00);
    ck_assert_uint_eq(inb(MSR) & 0xF0, 0xB0);
}
END_TEST

START_TEST(test_fcr_resets)
{
    ck_assert_uint_eq(inb(IIR) & 0xC0, 0x00);
    outb(FCR, 0x01);
    ck_assert_uint_eq(inb(IIR) & 0xC0, 0xC0);
    uart_receive(u, (const uint8_t *)"12345", 5);
    outb(FCR, 0x05); /* TX reset leaves the receiver alone */
    ck_assert_uint_eq(uart_rx_space(u), 11);
    outb(FCR, 0x03); /* RX reset */
    ck_assert_uint_eq(uart_rx_space(u), 16);
    ck_assert_uint_eq(inb(LSR), 0x60);
    /* Leaving FIFO mode empties the FIFO too. */
    uart_receive(u, (const uint8_t *)"ab", 2);
    outb(FCR, 0x00);
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_uint_eq(uart_rx_space(u), 1);
    /* Bits other than 0 are not programmed while bit 0 is written 0. */
    outb(FCR, 0xC0);
    outb(FCR, 0x01);
    outb(IER, 0x01);
    rx_byte('t');
    ck_assert_uint_eq(inb(IIR), 0xC4); /* trigger 1, not 14 */
    /* Entering FIFO mode drops what was in RBR. */
    outb(FCR, 0x00);
    rx_byte('u');
    outb(FCR, 0x01);
    ck_assert_uint_eq(inb(LSR), 0x60);
}
END_TEST

START_TEST(test_fifo_error_bit)
{
    outb(FCR, 0x01);
    outb(IER, 0x04);
    outb(MCR, 0x08);
    rx_byte('a');
    uart_receive_break(u);
    rx_byte('b');
    ck_assert_uint_eq(inb(IIR), 0xC1); /* the break is not at the top yet */
    ck_assert_uint_eq(inb(LSR), 0xE1); /* FIFO error + DR */
    ck_assert_uint_eq(inb(RBR), 'a');
    ck_assert_uint_eq(inb(IIR), 0xC6);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_uint_eq(inb(LSR), 0xF1); /* FIFO error + BI + DR */
    ck_assert_int_eq(rec.level, 0);
    ck_assert_uint_eq(inb(LSR), 0x61); /* no more errors behind it */
    ck_assert_uint_eq(inb(RBR), 0x00);
    ck_assert_uint_eq(inb(RBR), 'b');
    ck_assert_uint_eq(inb(LSR), 0x60);
    /* In 16450 mode a break shows at once and bit 7 is never set. */
    outb(FCR, 0x00);
    uart_receive_break(u);
    ck_assert_uint_eq(inb(LSR), 0x71);
}
END_TEST

START_TEST(test_reset)
{
    outb(LCR, 0x83);
    outb(DLL, 1);
    outb(LCR, 0x1B);
    outb(FCR, 0x01);
    outb(IER, 0x0F);
    outb(MCR, 0x0F);
    outb(SCR, 0x55);
    uart_receive(u, (const uint8_t *)"xyz", 3);
    ck_assert_int_eq(rec.level, 1);
    ck_assert_ptr_nonnull(clk.head); /* the timeout timer is armed */
    uart_device_ops.reset(u);
    ck_assert_int_eq(rec.level, 0);
    ck_assert_ptr_null(clk.head); /* the timeout timer is cancelled */
    ck_assert_uint_eq(inb(IER), 0);
    ck_assert_uint_eq(inb(IIR), 0x01);
    ck_assert_uint_eq(inb(LCR), 0);
    ck_assert_uint_eq(inb(MCR), 0);
    ck_assert_uint_eq(inb(LSR), 0x60);
    ck_assert_uint_eq(inb(MSR), 0xB0);
    ck_assert_uint_eq(inb(SCR), 0);
    ck_assert_uint_eq(uart_rx_space(u), 1);
    outb(LCR, 0x80);
    ck_assert_uint_eq(inb(DLL), 12);
}
END_TEST

START_TEST(test_free_unregisters)
{
    Uart *com2 = uart_new(bus, 0x2F8, irq_line(NULL, NULL, 3), &clk, chardev_null());
    ck_assert_ptr_nonnull(com2);
    bus_io_write(bus, 0x2F8 + SCR, 0x5A, 1);
    ck_assert_uint_eq(bus_io_read(bus, 0x2F8 + SCR, 1), 0x5A);
    bus_io_write(bus, 0x2F8 + FCR, 0x01, 1);
    uint8_t b = 1;
    uart_receive(com2, &b, 1); /* arms its timeout timer */
    Device d = {&uart_device_ops, com2};
    device_destroy(&d);
    ck_assert_ptr_null(clk.head);
    ck_assert_uint_eq(bus_io_read(bus, 0x2F8 + SCR, 1), 0xFF);
    /* COM1 is untouched. */
    ck_assert_uint_eq(inb(LSR), 0x60);
}
END_TEST

static Suite *uart_suite(void)
{
    Suite *s = suite_create("uart");
    TCase *tc = tcase_create("16550");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_values);
    tcase_add_test(tc, test_dlab_divisor);
    tcase_add_test(tc, test_lcr_mcr_scr_round_trip);
    tcase_add_test(tc, test_transmit);
    tcase_add_test(tc, test_receive_16450_mode);
    tcase_add_test(tc, test_overrun_16450_mode);
    tcase_add_test(tc, test_fifo_receive);
    tcase_add_test(tc, test_fifo_trigger_levels);
    tcase_add_test(tc, test_fifo_overrun);
    tcase_add_test(tc, test_char_timeout);
    tcase_add_test(tc, test_char_timeout_restarted_by_rx);
    tcase_add_test(tc, test_char_timeout_frame_formats);
    tcase_add_test(tc, test_thre_interrupt_on_enable);
    tcase_add_test(tc, test_thre_interrupt_after_write);
    tcase_add_test(tc, test_interrupt_priorities);
    tcase_add_test(tc, test_modem_status_interrupt);
    tcase_add_test(tc, test_out2_gates_irq);
    tcase_add_test(tc, test_loopback_data);
    tcase_add_test(tc, test_loopback_msr);
    tcase_add_test(tc, test_fcr_resets);
    tcase_add_test(tc, test_fifo_error_bit);
    tcase_add_test(tc, test_reset);
    tcase_add_test(tc, test_free_unregisters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(uart_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
