/*
 * uart.c - National Semiconductor PC16550D UART, the PC's 16550A COM port.
 *
 * Follows the PC16550D datasheet (National Semiconductor, June 1995):
 * registers RBR/THR, IER, IIR/FCR, LCR (DLAB), MCR, LSR, MSR, SCR, DLL/DLM;
 * 16450 (character) mode and FIFO mode with a 16-byte receiver FIFO and the
 * trigger levels 1/4/8/14; the interrupt priorities (receiver line status >
 * received data available / character timeout > THR empty > modem status);
 * the FIFO character timeout after 4 character times without receiver FIFO
 * activity, timed on the virtual clock from the divisor and the frame
 * (start + data + parity + stop bits, each 16 * divisor cycles of the
 * 1.8432 MHz PC clock); loopback (MCR bit 4) with the modem outputs looped
 * to the MSR inputs; the MSR delta bits. As on every PC serial card, MCR
 * OUT2 gates the chip's interrupt output onto the ISA IRQ line, so the line
 * is only asserted with OUT2 set. The line is a level; it follows the IIR
 * "interrupt pending" bit.
 *
 * Deviations, all chosen so that guests run fast and unchanged:
 * - Transmission is immediate (as in QEMU): a byte written to THR goes to
 *   the backend at once and THR, the TX FIFO and the shift register are
 *   empty again right away, so THRE and TEMT always read 1, the THRE
 *   interrupt is re-raised straight after a THR write (the line drops for
 *   the write and rises again, an edge as on the hardware), the baud rate
 *   never slows output, and FCR bit 2 (TX FIFO reset) has nothing to drop.
 * - Reception is paced by the frontend (uart_rx_space) and each byte
 *   arrives whole at the instant uart_receive is called.
 * - The host side is not a serial line with a frame: bytes to and from the
 *   backend are 8 bits whatever LCR says (a guest that never programs LCR,
 *   where 5 data bits are the reset value, still prints), and parity or
 *   framing errors cannot occur. In loopback the data is cut to the word
 *   length as a real receiver would.
 * - LCR "set break" has no effect on the backend (there is no out-of-band
 *   channel); in loopback the receiver sees it as a break character.
 * - FCR bit 3 (DMA mode) is stored but the TXRDY/RXRDY pins are not wired,
 *   as on a PC.
 * - A divisor of 0 (not allowed by the datasheet) is timed as 65536.
 * - Reset: the datasheet's master reset leaves SCR and the divisor alone
 *   (undefined at power-on); we set them to 0 and 12 (9600 baud) so that
 *   every reset is the same.
 * - A discrete 16550 forces its OUT2 pin inactive in loopback, which on an
 *   ISA card also cuts the IRQ; we gate on the OUT2 bit alone, in loopback
 *   too, so that guests probing the IRQ in loopback get it.
 */
#include "devices/uart.h"

#include <stdlib.h>

#include "devices/core/log.h"

#define UART_FIFO_BYTES 16
#define UART_CLOCK_HZ   1843200u /* the PC's baud rate crystal */

enum {
    IER_RDI = 0x01,  /* received data available (and character timeout) */
    IER_THRI = 0x02, /* THR empty */
    IER_RLSI = 0x04, /* receiver line status */
    IER_MSI = 0x08,  /* modem status */

    IIR_NO_INT = 0x01,
    IIR_MSI = 0x00,
    IIR_THRI = 0x02,
    IIR_RDI = 0x04,
    IIR_RLSI = 0x06,
    IIR_TIMEOUT = 0x0C,
    IIR_FIFO_ON = 0xC0,

    FCR_ENABLE = 0x01,
    FCR_RX_RESET = 0x02,
    FCR_TX_RESET = 0x04,
    FCR_DMA = 0x08,
    FCR_TRIGGER = 0xC0,

    LCR_WLEN = 0x03,
    LCR_STOP = 0x04,
    LCR_PEN = 0x08,
    LCR_BREAK = 0x40,
    LCR_DLAB = 0x80,

    MCR_DTR = 0x01,
    MCR_RTS = 0x02,
    MCR_OUT1 = 0x04,
    MCR_OUT2 = 0x08,
    MCR_LOOP = 0x10,

    LSR_DR = 0x01,
    LSR_OE = 0x02,
    LSR_PE = 0x04,
    LSR_FE = 0x08,
    LSR_BI = 0x10,
    LSR_THRE = 0x20,
    LSR_TEMT = 0x40,
    LSR_FIFO_ERR = 0x80,
    LSR_ERRORS = LSR_OE | LSR_PE | LSR_FE | LSR_BI,
    LSR_CHAR_ERRORS = LSR_PE | LSR_FE | LSR_BI, /* travel with a character */

    MSR_DCTS = 0x01,
    MSR_DDSR = 0x02,
    MSR_TERI = 0x04,
    MSR_DDCD = 0x08,
    MSR_CTS = 0x10,
    MSR_DSR = 0x20,
    MSR_RI = 0x40,
    MSR_DCD = 0x80,
};

struct Uart {
    Bus *bus;
    uint16_t base;
    IrqLine irq;
    Clock *clock;
    CharBackend out;
    Timer timeout_timer;

    uint8_t ier;
    uint8_t lcr;
    uint8_t mcr;
    uint8_t scr;
    uint8_t fcr; /* FIFO enable, DMA mode and trigger bits as programmed */
    uint16_t divisor;
    uint8_t lsr_errs; /* latched OE/PE/FE/BI, cleared by reading LSR */
    bool fifo_err;    /* LSR bit 7: an erroneous character is in the FIFO */
    uint8_t msr;      /* delta bits 0-3 and the present line states 4-7 */
    uint8_t msr_in;   /* the host side's modem inputs (MSR bits 4-7) */

    /* The receiver FIFO; in 16450 mode it holds one byte and is the RBR. */
    uint8_t rx[UART_FIFO_BYTES];
    uint8_t rx_errs[UART_FIFO_BYTES]; /* PE/FE/BI of each character */
    unsigned rx_head;
    unsigned rx_count;
    uint8_t rbr_last; /* what an empty RBR reads as: the last byte read */

    bool thr_ipending;     /* THRE interrupt latched */
    bool timeout_ipending; /* character timeout indication */
    bool loop_break;       /* loopback: our own break is on the receiver */
    int irq_level;         /* last level driven, -1 before the first */
};

static bool fifo_on(const Uart *u)
{
    return u->fcr & FCR_ENABLE;
}
static bool loopback(const Uart *u)
{
    return u->mcr & MCR_LOOP;
}
static unsigned rx_capacity(const Uart *u)
{
    return fifo_on(u) ? UART_FIFO_BYTES : 1;
}

static unsigned rx_trigger(const Uart *u)
{
    static const uint8_t levels[4] = {1, 4, 8, 14};
    return levels[u->fcr >> 6];
}

/* The interrupt identification as the IIR would read now (side-effect free). */
static uint8_t uart_iir(const Uart *u)
{
    uint8_t id = IIR_NO_INT;
    bool rda = fifo_on(u) ? u->rx_count >= rx_trigger(u) : u->rx_count > 0;
    if ((u->ier & IER_RLSI) && (u->lsr_errs & LSR_ERRORS))
        id = IIR_RLSI;
    else if ((u->ier & IER_RDI) && rda)
        id = IIR_RDI;
    else if ((u->ier & IER_RDI) && u->timeout_ipending)
        id = IIR_TIMEOUT;
    else if ((u->ier & IER_THRI) && u->thr_ipending)
        id = IIR_THRI;
    else if ((u->ier & IER_MSI) && (u->msr & 0x0F))
        id = IIR_MSI;
    return id | (fifo_on(u) ? IIR_FIFO_ON : 0);
}

static void update_irq(Uart *u)
{
    int level = !(uart_iir(u) & IIR_NO_INT) && (u->mcr & MCR_OUT2);
    if (level == u->irq_level) return;
    u->irq_level = level;
    irq_set(&u->irq, level);
}

/* Time of 4 characters in the present frame format, rounded up so that the
 * timeout never fires early. */
static uint64_t timeout_ns(const Uart *u)
{
    unsigned data_bits = 5 + (u->lcr & LCR_WLEN);
    /* Counted in half bits because 5-bit words with LCR bit 2 have 1.5 stop bits. */
    unsigned half_bits = 2 * (1 + data_bits + ((u->lcr & LCR_PEN) ? 1 : 0));
    if (!(u->lcr & LCR_STOP))
        half_bits += 2;
    else
        half_bits += data_bits == 5 ? 3 : 4;
    uint64_t div = u->divisor ? u->divisor : 65536;
    /* 4 chars * (half_bits / 2) * 16 clocks per bit * div / 1.8432 MHz */
    uint64_t num = 4ull * half_bits * 8 * div * NS_PER_SEC;
    return (num + UART_CLOCK_HZ - 1) / UART_CLOCK_HZ;
}

/* Receiver FIFO activity (a character in, or the CPU reading one) restarts
 * the 4-character timeout while anything is left in the FIFO. */
static void restart_timeout(Uart *u)
{
    if (!u->clock) return;
    if (fifo_on(u) && u->rx_count)
        timer_mod(&u->timeout_timer, clock_now_ns(u->clock) + timeout_ns(u));
    else
        timer_del(&u->timeout_timer);
}

static void timeout_expired(void *opaque)
{
    Uart *u = opaque;
    if (fifo_on(u) && u->rx_count) u->timeout_ipending = true;
    update_irq(u);
}

static void rx_clear(Uart *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
    u->fifo_err = false;
    u->timeout_ipending = false;
    if (u->clock) timer_del(&u->timeout_timer);
}

/* A character has been assembled in the receiver shift register. errs are
 * its PE/FE/BI bits. The caller updates the IRQ. */
static void rx_push(Uart *u, uint8_t byte, uint8_t errs)
{
    if (u->rx_count >= rx_capacity(u)) {
        u->lsr_errs |= LSR_OE;
        if (!fifo_on(u)) {
            /* 16450 mode: the new character overwrites the unread one. */
            u->rx[u->rx_head] = byte;
            u->rx_errs[u->rx_head] = errs;
            u->lsr_errs |= errs;
        }
        /* FIFO mode: the character stays in the shift register, which the
         * next one overwrites; it never reaches the FIFO. */
        return;
    }
    unsigned i = (u->rx_head + u->rx_count) % UART_FIFO_BYTES;
    u->rx[i] = byte;
    u->rx_errs[i] = errs;
    u->rx_count++;
    /* A character's errors show in LSR once it is at the top of the FIFO. */
    if (u->rx_count == 1) u->lsr_errs |= errs;
    if (errs && fifo_on(u)) u->fifo_err = true;
    restart_timeout(u);
}

/* The CPU reads RBR. The caller updates the IRQ. */
static uint8_t rx_pop(Uart *u)
{
    if (!u->rx_count) return u->rbr_last;
    uint8_t b = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART_FIFO_BYTES;
    u->rx_count--;
    u->rbr_last = b;
    if (u->rx_count) u->lsr_errs |= u->rx_errs[u->rx_head];
    /* A read clears a timeout indication and restarts the timer. */
    u->timeout_ipending = false;
    restart_timeout(u);
    return b;
}

static uint8_t read_lsr(Uart *u)
{
    uint8_t v = u->lsr_errs | LSR_THRE | LSR_TEMT;
    if (u->rx_count) v |= LSR_DR;
    if (fifo_on(u) && u->fifo_err) v |= LSR_FIFO_ERR;
    u->lsr_errs = 0;
    /* LSR bit 7 stays only if erroneous characters follow the top one,
     * whose errors this read has just reported. */
    u->fifo_err = false;
    for (unsigned k = 1; k < u->rx_count; k++)
        if (u->rx_errs[(u->rx_head + k) % UART_FIFO_BYTES]) u->fifo_err = true;
    return v;
}

/* The line states the MSR shows: the host's inputs, or in loopback the
 * modem control outputs (RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD). */
static uint8_t msr_lines(const Uart *u)
{
    if (!loopback(u)) return u->msr_in;
    uint8_t v = 0;
    if (u->mcr & MCR_RTS) v |= MSR_CTS;
    if (u->mcr & MCR_DTR) v |= MSR_DSR;
    if (u->mcr & MCR_OUT1) v |= MSR_RI;
    if (u->mcr & MCR_OUT2) v |= MSR_DCD;
    return v;
}

static void update_msr(Uart *u)
{
    uint8_t old = u->msr & 0xF0, now = msr_lines(u);
    uint8_t changed = old ^ now;
    if (changed & MSR_CTS) u->msr |= MSR_DCTS;
    if (changed & MSR_DSR) u->msr |= MSR_DDSR;
    if (changed & MSR_DCD) u->msr |= MSR_DDCD;
    /* TERI: the trailing edge of a ring, MSR bit 6 going from 1 to 0. */
    if ((old & MSR_RI) && !(now & MSR_RI)) u->msr |= MSR_TERI;
    u->msr = (uint8_t)((u->msr & 0x0F) | now);
}

/* In loopback the serial output feeds the receiver, so setting break there
 * makes the receiver see one break character (a 0 with BI). */
static void check_loop_break(Uart *u)
{
    bool brk = loopback(u) && (u->lcr & LCR_BREAK);
    if (brk && !u->loop_break) rx_push(u, 0, LSR_BI);
    u->loop_break = brk;
}

static void write_thr(Uart *u, uint8_t val)
{
    /* Writing THR clears the THRE interrupt... */
    u->thr_ipending = false;
    update_irq(u);
    if (loopback(u)) {
        rx_push(u, val & (uint8_t)((1u << (5 + (u->lcr & LCR_WLEN))) - 1), 0);
    } else {
        chardev_write(&u->out, &val, 1);
    }
    /* ...and the byte leaves at once, so THR is empty again (see the header). */
    u->thr_ipending = true;
    update_irq(u);
}

static void write_fcr(Uart *u, uint8_t val)
{
    if ((val ^ u->fcr) & FCR_ENABLE) {
        /* Switching between 16450 and FIFO mode empties both FIFOs, and the
         * next THRE interrupt is immediate. */
        rx_clear(u);
        u->thr_ipending = true;
    }
    if (!(val & FCR_ENABLE)) {
        /* The other bits are only programmed while FCR bit 0 is written 1. */
        u->fcr = 0;
        return;
    }
    if (val & FCR_RX_RESET) rx_clear(u);
    /* FCR_TX_RESET: the TX FIFO is always empty here (immediate transmit). */
    u->fcr = val & (FCR_ENABLE | FCR_DMA | FCR_TRIGGER);
}

static uint32_t uart_io_read(void *opaque, uint16_t port, unsigned size)
{
    Uart *u = opaque;
    bool dlab = u->lcr & LCR_DLAB;
    uint8_t v = 0xFF;
    (void)size; /* byte registers: the bus splits wider accesses */
    switch ((uint16_t)(port - u->base) & 7) {
    case 0: v = dlab ? (uint8_t)u->divisor : rx_pop(u); break;
    case 1: v = dlab ? (uint8_t)(u->divisor >> 8) : u->ier; break;
    case 2:
        v = uart_iir(u);
        /* Reading IIR clears a THRE interrupt when that is what it reports. */
        if ((v & 0x0F) == IIR_THRI) u->thr_ipending = false;
        break;
    case 3: v = u->lcr; break;
    case 4: v = u->mcr; break;
    case 5: v = read_lsr(u); break;
    case 6:
        v = u->msr;
        u->msr &= 0xF0; /* reading MSR clears the delta bits */
        break;
    case 7: v = u->scr; break;
    }
    update_irq(u);
    return v;
}

static void uart_io_write(void *opaque, uint16_t port, uint32_t val32, unsigned size)
{
    Uart *u = opaque;
    uint8_t val = (uint8_t)val32;
    bool dlab = u->lcr & LCR_DLAB;
    (void)size;
    switch ((uint16_t)(port - u->base) & 7) {
    case 0:
        if (dlab)
            u->divisor = (uint16_t)((u->divisor & 0xFF00) | val);
        else
            write_thr(u, val);
        break;
    case 1:
        if (dlab) {
            u->divisor = (uint16_t)((u->divisor & 0x00FF) | (val << 8));
        } else {
            uint8_t old = u->ier;
            u->ier = val & 0x0F;
            /* Enabling the THRE interrupt while THR is empty (always, here)
             * raises it: drivers rely on this to start transmitting. */
            if (!(old & IER_THRI) && (u->ier & IER_THRI)) u->thr_ipending = true;
        }
        break;
    case 2: write_fcr(u, val); break;
    case 3:
        u->lcr = val;
        check_loop_break(u);
        break;
    case 4:
        u->mcr = val & 0x1F;
        update_msr(u);
        check_loop_break(u);
        break;
    case 5:
    case 6:
        /* LSR and MSR are for factory testing when written; ignore. */
        log_once(LOG_GUEST_ERRORS, 0x5541525400000000ull | port,
                 "uart: write %02x to read-only port %04x ignored\n", val, port);
        break;
    case 7: u->scr = val; break;
    }
    update_irq(u);
}

static const IoOps uart_io_ops = {uart_io_read, uart_io_write, 1};

void uart_receive(Uart *u, const uint8_t *buf, size_t n)
{
    /* In loopback the serial input is disconnected from the receiver. */
    if (!u || loopback(u)) return;
    for (size_t i = 0; i < n; i++)
        rx_push(u, buf[i], 0);
    update_irq(u);
}

void uart_receive_break(Uart *u)
{
    if (!u || loopback(u)) return;
    rx_push(u, 0, LSR_BI);
    update_irq(u);
}

size_t uart_rx_space(const Uart *u)
{
    if (!u || loopback(u)) return 0;
    return rx_capacity(u) - u->rx_count;
}

void uart_set_modem_inputs(Uart *u, uint8_t msr_bits)
{
    if (!u) return;
    u->msr_in = msr_bits & 0xF0;
    update_msr(u);
    update_irq(u);
}

void uart_reset(void *opaque)
{
    Uart *u = opaque;
    if (!u) return;
    u->ier = 0;
    u->lcr = 0;
    u->mcr = 0;
    u->fcr = 0;
    u->scr = 0;
    u->divisor = 12;
    u->lsr_errs = 0;
    rx_clear(u);
    u->rbr_last = 0;
    u->thr_ipending = false;
    u->loop_break = false;
    u->msr = msr_lines(u); /* present lines, no deltas */
    u->irq_level = -1;     /* drive the line even if it was already low */
    update_irq(u);
}

Uart *uart_new(Bus *bus, uint16_t base, IrqLine irq, Clock *clock, CharBackend out)
{
    Uart *u = calloc(1, sizeof *u);
    if (!u) return NULL;
    u->bus = bus;
    u->base = base;
    u->irq = irq;
    u->clock = clock;
    u->out = out;
    /* A host end that is always there and ready: BIOS INT 14h waits for
     * DSR and CTS before it sends. */
    u->msr_in = MSR_CTS | MSR_DSR | MSR_DCD;
    if (clock) timer_init(&u->timeout_timer, clock, timeout_expired, u, "uart-timeout");
    if (bus) bus_register_io(bus, base, 8, &uart_io_ops, u);
    uart_reset(u);
    return u;
}

void uart_free(void *opaque)
{
    Uart *u = opaque;
    if (!u) return;
    if (u->clock) timer_del(&u->timeout_timer);
    if (u->bus) bus_unregister_io(u->bus, u->base, 8);
    free(u);
}

const DeviceOps uart_device_ops = {"uart", uart_reset, NULL, NULL, uart_free};
