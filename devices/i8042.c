/*
 * i8042.c - the Intel 8042 keyboard controller (ports 0x60 / 0x64) with a
 * PS/2 keyboard (IRQ1) and a PS/2 mouse (IRQ12) behind it.
 *
 * Follows the IBM PC/AT and PS/2 Technical References (keyboard controller
 * commands, status register, command byte, output and input ports; the
 * keyboard's commands, scancode sets 1/2/3, typematic rates), the IBM PS/2
 * mouse (auxiliary device) interface, and Microsoft's IntelliMouse wheel
 * extension (sample rates 200, 100, 80 switch the ID to 03 and add a
 * fourth packet byte; 200, 200, 80 after that gives the Explorer ID 04).
 *
 * The controller has one output buffer. Its own replies (0x20 command byte,
 * 0xAA self test, ...) and the bytes written with 0xD2 / 0xD3 enter it as
 * soon as it is empty. Bytes from the keyboard or the mouse arrive
 * I8042_XFER_NS after the buffer emptied (roughly a PS/2 byte time), the
 * keyboard first: so a guest that reads port 0x60 twice in one handler
 * reads the same byte twice, as on hardware, instead of losing the next.
 * A device's bytes wait in the device while its clock is disabled in the
 * command byte (bits 4 and 5, commands 0xAD/0xAE, 0xA7/0xA8). IRQ1 is OBF
 * with a keyboard byte and command byte bit 0; IRQ12 is OBF with a mouse
 * byte (status bit 5) and bit 1; both are levels that fall when 0x60 is
 * read. With command byte bit 6 the controller translates each keyboard
 * byte through the PC/XT translation table (set 2 to set 1) and folds an
 * F0 prefix into bit 7 of the next byte, as the 8042 firmware does: so
 * the keyboard ID reads AB 41 and a set query reads 41 for set 2.
 *
 * The keyboard answers each command at once (ACK FA first, then data);
 * replies go ahead of queued key bytes, and a new command discards a reply
 * not yet sent. Key bytes queue up to KBD_SCAN_BYTES; when a key does not
 * fit, the overrun code (00 in sets 2 and 3, FF in set 1) is queued instead.
 * Typematic repeat runs on the virtual clock: the last key pressed repeats
 * its make code after the F3 delay, at the F3 rate, until it is released.
 *
 * Known deviations and choices:
 *  - IBF is never set: a write is handled before the next instruction.
 *    Timeout and parity bits (status 6, 7) are always 0: both devices are
 *    always present.
 *  - The command byte after reset is 0x50 (keyboard clock disabled,
 *    translation on, no interrupts, SYS 0): the firmware (SeaBIOS) or the
 *    kernel (Linux's i8042 driver) programs it anyway.
 *  - Scancode set 3 can be selected and queried, but the keyboard keeps
 *    sending set 2 codes (equal to set 3 for the main alphanumeric keys);
 *    the set 3 key-type commands F7-FD are acknowledged and ignored.
 *  - Keyboard reset (FF) answers FA AA at once, without the BAT delay.
 *  - No fake shifts around E0 keys; Print Screen always sends its full
 *    sequence (E0 12 E0 7C), whatever modifiers are held.
 *  - Mouse packets are not paced by the sample rate: one is built from the
 *    accumulated movement whenever the previous one has been taken, so fast
 *    host motion coalesces. Movement beyond 9 bits sets the overflow bit
 *    and the excess is dropped, as the hardware does.
 *  - Output port pulses (0xF0-0xFF) act only on bit 0 (reset); a pulse of
 *    bit 1 would drop A20 for 6 us and is ignored. 0xD1 with bit 0 clear
 *    requests a reset and the bit reads back as 1 (the real CPU would stay
 *    in reset until it is written 1 again).
 *  - 0xC1/0xC2 (poll input port) and 0xAC (diagnostic dump) are logged
 *    and ignored.
 */
#include "devices/i8042.h"

#include <stdlib.h>
#include <string.h>

#include "devices/core/log.h"

/* Delay from the output buffer emptying to the next device byte in it. */
#define I8042_XFER_NS 100000ull

/* Status register. */
#define ST_OBF    0x01
#define ST_IBF    0x02
#define ST_SYS    0x04
#define ST_A2     0x08 /* the last write was to port 0x64 */
#define ST_INH    0x10 /* keyboard not inhibited (the keylock switch) */
#define ST_AUXOBF 0x20 /* the byte in the output buffer is from the mouse */

/* Command byte (controller RAM byte 0). */
#define CTR_KBDINT 0x01
#define CTR_AUXINT 0x02
#define CTR_SYS    0x04
#define CTR_KBDDIS 0x10
#define CTR_AUXDIS 0x20
#define CTR_XLATE  0x40
#define CTR_RESET  0x50

/* Output port. */
#define OUT_RESET       0x01 /* active low */
#define OUT_A20         0x02
#define OUT_IRQ1        0x10
#define OUT_IRQ12       0x20
#define OUT_RESET_VALUE 0xCF

/* Input port: keyboard not inhibited, no manufacturing jumper, 512 KiB on
 * the system board, colour display (IBM AT Technical Reference). */
#define INPUT_PORT 0xB0

#define KBD_ACK               0xFA
#define KBD_RESEND            0xFE
#define KBD_BAT_OK            0xAA
#define KBD_ECHO              0xEE
#define KBD_SCAN_BYTES        16
#define KBD_TYPEMATIC_DEFAULT 0x2B /* 10.9 characters/s after 500 ms */

#define MOUSE_PACKET_BYTES 16
#define MOUSE_RATE_DEFAULT 100
#define MOUSE_RES_DEFAULT  2 /* 4 counts/mm */

#define QUEUE_CAP 32
#define CTL_AUX   0x100 /* a controller queue entry meant as a mouse byte */

#define KBC_LOG_KEY(reason) (0x4B42430000ull | (reason))

typedef struct ByteQueue {
    uint8_t buf[QUEUE_CAP];
    unsigned head, count;
} ByteQueue;

typedef struct Kbd {
    ByteQueue reply; /* answers to commands: sent before key bytes */
    ByteQueue scan;  /* key bytes, at most KBD_SCAN_BYTES */
    uint8_t pending; /* command waiting for its argument byte, or 0 */
    bool scanning;
    unsigned set; /* 1, 2 or 3 */
    uint8_t leds;
    uint8_t typematic;   /* F3 argument */
    uint8_t last_sent;   /* for FE (resend) */
    unsigned repeat_key; /* keycode being repeated, or 0 */
    Timer repeat_timer;
    uint64_t held[8]; /* bitmap: base code, +256 for E0 keys */
} Kbd;

typedef struct Mouse {
    ByteQueue reply;
    ByteQueue packets;
    uint8_t pending;
    bool enabled, remote, wrap, scale21;
    uint8_t resolution, rate;
    uint8_t id;       /* 0, 3 (wheel) or 4 (wheel + buttons 4, 5) */
    uint8_t rates[3]; /* the last three sample rates, oldest first */
    int dx, dy, dz;   /* accumulated, PS/2 directions (y up) */
    unsigned buttons;
    bool dirty;
    uint8_t last_sent;
} Mouse;

struct I8042 {
    Bus *bus;
    Clock *clock;
    IrqLine irq_kbd, irq_mouse;
    I8042Config cfg;
    uint8_t ram[32]; /* ram[0] is the command byte */
    bool sys, a2;
    uint8_t ob;
    bool ob_full, ob_aux;
    uint16_t ctl_q[4]; /* controller replies; CTL_AUX marks 0xD3 bytes */
    unsigned ctl_count;
    uint8_t pending; /* command waiting for a data byte on port 0x60, or 0 */
    uint8_t outport;
    bool xlat_break; /* translation saw F0: set bit 7 of the next byte */
    Timer xfer_timer;
    int irq1_level, irq12_level;
    Kbd kbd;
    Mouse mouse;
};

/*
 * The 8042's scancode translation table, set 2 code -> set 1 code (IBM
 * PS/2 keyboard controller; published e.g. in A. Brouwer's "Keyboard
 * scancodes", section 10). Codes 0x80-0xFF translate to themselves except
 * 0x83 (F7) and 0x84 (Alt+SysRq).
 */
static const uint8_t xlat_low[128] = {
    0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29, 0x59,
    0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11, 0x03, 0x5b,
    0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14, 0x13, 0x06, 0x5d,
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5f,
    0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0c, 0x61,
    0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36, 0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76,
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c, 0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f,
    0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45, 0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

static uint8_t xlat(uint8_t b)
{
    if (b < 0x80) return xlat_low[b];
    if (b == 0x83) return 0x41;
    if (b == 0x84) return 0x54;
    return b;
}

/* ---- byte queues ---- */

static void q_clear(ByteQueue *q)
{
    q->head = q->count = 0;
}

static bool q_push(ByteQueue *q, uint8_t b)
{
    if (q->count >= QUEUE_CAP) return false;
    q->buf[(q->head + q->count) % QUEUE_CAP] = b;
    q->count++;
    return true;
}

static uint8_t q_pop(ByteQueue *q)
{
    uint8_t b = q->buf[q->head];
    q->head = (q->head + 1) % QUEUE_CAP;
    q->count--;
    return b;
}

/* ---- the controller's output buffer and interrupts ---- */

static void update_irq(I8042 *k)
{
    uint8_t ctr = k->ram[0];
    int l1 = k->ob_full && !k->ob_aux && (ctr & CTR_KBDINT);
    int l12 = k->ob_full && k->ob_aux && (ctr & CTR_AUXINT);
    if (l1 != k->irq1_level) {
        k->irq1_level = l1;
        irq_set(&k->irq_kbd, l1);
    }
    if (l12 != k->irq12_level) {
        k->irq12_level = l12;
        irq_set(&k->irq_mouse, l12);
    }
}

static void mouse_flush(I8042 *k);

static bool kbd_has_byte(const I8042 *k)
{
    return k->kbd.reply.count || k->kbd.scan.count;
}

static bool mouse_has_byte(const I8042 *k)
{
    return k->mouse.reply.count || k->mouse.packets.count;
}

static bool device_byte_ready(I8042 *k)
{
    mouse_flush(k);
    uint8_t ctr = k->ram[0];
    return (!(ctr & CTR_KBDDIS) && kbd_has_byte(k)) || (!(ctr & CTR_AUXDIS) && mouse_has_byte(k));
}

static void load_ob(I8042 *k, uint8_t b, bool aux)
{
    k->ob = b;
    k->ob_full = true;
    k->ob_aux = aux;
    update_irq(k);
}

/* Fills an empty output buffer with a controller reply at once, or
 * schedules the next device byte. */
static void kick(I8042 *k)
{
    if (k->ob_full) return;
    if (k->ctl_count) {
        uint16_t e = k->ctl_q[0];
        k->ctl_count--;
        memmove(k->ctl_q, k->ctl_q + 1, k->ctl_count * sizeof k->ctl_q[0]);
        load_ob(k, (uint8_t)e, (e & CTL_AUX) != 0);
        return;
    }
    if (device_byte_ready(k) && !timer_pending(&k->xfer_timer))
        timer_mod(&k->xfer_timer, clock_now_ns(k->clock) + I8042_XFER_NS);
}

static void ctl_push(I8042 *k, uint16_t e)
{
    if (k->ctl_count >= sizeof k->ctl_q / sizeof k->ctl_q[0]) {
        log_once(LOG_GUEST_ERRORS, KBC_LOG_KEY(1), "i8042: controller replies not read, dropped\n");
        return;
    }
    k->ctl_q[k->ctl_count++] = e;
    kick(k);
}

static uint8_t kbd_pop(Kbd *kb)
{
    uint8_t b = kb->reply.count ? q_pop(&kb->reply) : q_pop(&kb->scan);
    kb->last_sent = b;
    return b;
}

static void xfer_expired(void *opaque)
{
    I8042 *k = opaque;
    if (k->ob_full) return;
    if (k->ctl_count) {
        kick(k);
        return;
    }
    uint8_t ctr = k->ram[0];
    if (!(ctr & CTR_KBDDIS)) {
        while (kbd_has_byte(k)) {
            uint8_t b = kbd_pop(&k->kbd);
            if (ctr & CTR_XLATE) {
                if (b == 0xF0) {
                    k->xlat_break = true;
                    continue;
                }
                b = xlat(b) | (k->xlat_break ? 0x80 : 0);
                k->xlat_break = false;
            }
            load_ob(k, b, false);
            kick(k);
            return;
        }
    }
    if (!(ctr & CTR_AUXDIS) && mouse_has_byte(k)) {
        Mouse *m = &k->mouse;
        uint8_t b = m->reply.count ? q_pop(&m->reply) : q_pop(&m->packets);
        m->last_sent = b;
        load_ob(k, b, true);
    }
    kick(k);
}

/* ---- keyboard ---- */

static void kbd_reply(Kbd *kb, uint8_t b)
{
    q_push(&kb->reply, b);
}

static void kbd_stop_repeat(Kbd *kb)
{
    kb->repeat_key = 0;
    timer_del(&kb->repeat_timer);
}

static void kbd_defaults(Kbd *kb)
{
    kb->typematic = KBD_TYPEMATIC_DEFAULT;
    kbd_stop_repeat(kb);
    q_clear(&kb->scan);
}

/* Delay and period from the F3 byte: delay (1 + bits 6-5) * 250 ms,
 * period (8 + bits 2-0) * 2^(bits 4-3) * 4.17 ms (1/240 s). */
static uint64_t kbd_delay_ns(const Kbd *kb)
{
    return (1 + ((kb->typematic >> 5) & 3)) * 250000000ull;
}

static uint64_t kbd_period_ns(const Kbd *kb)
{
    unsigned a = kb->typematic & 7, b = (kb->typematic >> 3) & 3;
    return (8 + a) * (1ull << b) * NS_PER_SEC / 240;
}

/* The bytes a key sends in the keyboard's current set. Returns the count. */
static unsigned kbd_key_bytes(const Kbd *kb, unsigned key, bool down, uint8_t *out)
{
    unsigned n = 0;
    bool set1 = kb->set == 1;
    if (key == I8042_KEY_PAUSE) {
        static const uint8_t p2[] = {0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77};
        static const uint8_t p1[] = {0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5};
        if (!down) return 0;
        if (set1) {
            memcpy(out, p1, sizeof p1);
            return sizeof p1;
        }
        memcpy(out, p2, sizeof p2);
        return sizeof p2;
    }
    if (key == I8042_KEY_PRINT_SCREEN) {
        static const uint8_t m2[] = {0xE0, 0x12, 0xE0, 0x7C};
        static const uint8_t b2[] = {0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12};
        static const uint8_t m1[] = {0xE0, 0x2A, 0xE0, 0x37};
        static const uint8_t b1[] = {0xE0, 0xB7, 0xE0, 0xAA};
        const uint8_t *s = set1 ? (down ? m1 : b1) : (down ? m2 : b2);
        n = set1 ? 4 : (down ? 4 : 6);
        memcpy(out, s, n);
        return n;
    }
    uint8_t code = key & 0xFF;
    if (key & I8042_KEY_EXT) out[n++] = 0xE0;
    if (set1) {
        out[n++] = xlat(code) | (down ? 0 : 0x80);
    } else {
        if (!down) out[n++] = 0xF0;
        out[n++] = code;
    }
    return n;
}

static void kbd_send_key(I8042 *k, unsigned key, bool down)
{
    Kbd *kb = &k->kbd;
    uint8_t bytes[8];
    unsigned n = kbd_key_bytes(kb, key, down, bytes);
    if (!n) return;
    if (kb->scan.count + n <= KBD_SCAN_BYTES) {
        for (unsigned i = 0; i < n; i++)
            q_push(&kb->scan, bytes[i]);
    } else if (kb->scan.count < KBD_SCAN_BYTES) {
        q_push(&kb->scan, kb->set == 1 ? 0xFF : 0x00); /* overrun */
    }
    kick(k);
}

static void kbd_repeat_expired(void *opaque)
{
    I8042 *k = opaque;
    Kbd *kb = &k->kbd;
    if (!kb->repeat_key || !kb->scanning) return;
    kbd_send_key(k, kb->repeat_key, true);
    timer_mod(&kb->repeat_timer, clock_now_ns(k->clock) + kbd_period_ns(kb));
}

static bool key_valid(unsigned key)
{
    if (key == I8042_KEY_PAUSE || key == I8042_KEY_PRINT_SCREEN) return true;
    unsigned code = key & 0xFF;
    if ((key & ~0xFFu) == I8042_KEY_EXT) return code && code < 0x80 && code != 0x12;
    return !(key & ~0xFFu) && code && code <= 0x84;
}

static unsigned key_index(unsigned key)
{
    return (key & 0xFF) | ((key & I8042_KEY_EXT) ? 0x100 : 0);
}

void i8042_key_event(I8042 *k, unsigned key, bool down)
{
    if (!k) return;
    if (!key_valid(key)) {
        log_once(LOG_UNIMP, KBC_LOG_KEY(0x10000 | (key & 0xFFFF)),
                 "i8042: host key code %#x is not a set 2 code\n", key);
        return;
    }
    Kbd *kb = &k->kbd;
    unsigned i = key_index(key);
    bool was_down = (kb->held[i / 64] >> (i % 64)) & 1;
    if (down == was_down && key != I8042_KEY_PAUSE) return;
    if (down)
        kb->held[i / 64] |= 1ull << (i % 64);
    else
        kb->held[i / 64] &= ~(1ull << (i % 64));
    if (!kb->scanning) return;
    kbd_send_key(k, key, down);
    if (down && key != I8042_KEY_PAUSE) {
        kb->repeat_key = key;
        timer_mod(&kb->repeat_timer, clock_now_ns(k->clock) + kbd_delay_ns(kb));
    } else if (!down && key == kb->repeat_key) {
        kbd_stop_repeat(kb);
    }
}

unsigned i8042_kbd_leds(const I8042 *k)
{
    return k ? k->kbd.leds : 0;
}

static void kbd_command(I8042 *k, uint8_t v)
{
    Kbd *kb = &k->kbd;
    /* A new byte from the host cancels a reply not yet sent. */
    q_clear(&kb->reply);
    if (kb->pending) {
        uint8_t cmd = kb->pending;
        bool is_cmd = (cmd >= 0xFB) ? v >= 0xED : (v & 0x80) != 0;
        if (!is_cmd) {
            switch (cmd) {
            case 0xED:
                kb->leds = v & 7;
                kbd_reply(kb, KBD_ACK);
                kb->pending = 0;
                break;
            case 0xF3:
                kb->typematic = v & 0x7F;
                kbd_reply(kb, KBD_ACK);
                kb->pending = 0;
                break;
            case 0xF0:
                if (v == 0) {
                    kbd_reply(kb, KBD_ACK);
                    kbd_reply(kb, (uint8_t)kb->set);
                    kb->pending = 0;
                } else if (v <= 3) {
                    kb->set = v;
                    q_clear(&kb->scan);
                    kbd_stop_repeat(kb);
                    kbd_reply(kb, KBD_ACK);
                    kb->pending = 0;
                } else {
                    log_once(LOG_GUEST_ERRORS, KBC_LOG_KEY(2), "i8042: kbd: bad scancode set %u\n",
                             v);
                    kbd_reply(kb, KBD_RESEND);
                }
                break;
            default: /* FB-FD: a list of set 3 keys, acknowledged and ignored */
                kbd_reply(kb, KBD_ACK);
                break;
            }
            return;
        }
        kb->pending = 0;
    }
    switch (v) {
    case 0xED: /* set LEDs */
    case 0xF0: /* get/set scancode set */
    case 0xF3: /* typematic rate and delay */
    case 0xFB: /* set 3: keys typematic only */
    case 0xFC: /* set 3: keys make/break */
    case 0xFD: /* set 3: keys make only */
        kbd_reply(kb, KBD_ACK);
        kb->pending = v;
        break;
    case 0xEE: kbd_reply(kb, KBD_ECHO); break;
    case 0xF2: /* identify: an MF2 keyboard */
        kbd_reply(kb, KBD_ACK);
        kbd_reply(kb, 0xAB);
        kbd_reply(kb, 0x83);
        break;
    case 0xF4: /* enable: clears the buffer and scans */
        q_clear(&kb->scan);
        kbd_stop_repeat(kb);
        kb->scanning = true;
        kbd_reply(kb, KBD_ACK);
        break;
    case 0xF5: /* default disable */
        kbd_defaults(kb);
        kb->scanning = false;
        kbd_reply(kb, KBD_ACK);
        break;
    case 0xF6: /* set default */
        kbd_defaults(kb);
        kb->scanning = true;
        kbd_reply(kb, KBD_ACK);
        break;
    case 0xF7: /* set 3 all keys typematic / make-break / make / all */
    case 0xF8:
    case 0xF9:
    case 0xFA: kbd_reply(kb, KBD_ACK); break;
    case 0xFE: kbd_reply(kb, kb->last_sent); break;
    case 0xFF: /* reset: BAT passes at once */
        kbd_defaults(kb);
        kb->set = 2;
        kb->leds = 0;
        kb->scanning = true;
        kbd_reply(kb, KBD_ACK);
        kbd_reply(kb, KBD_BAT_OK);
        break;
    default:
        log_once(LOG_GUEST_ERRORS, KBC_LOG_KEY(0x100 | v), "i8042: kbd: unknown command %#x\n", v);
        kbd_reply(kb, KBD_RESEND);
        break;
    }
}

static void kbd_reset(I8042 *k)
{
    Kbd *kb = &k->kbd;
    q_clear(&kb->reply);
    kbd_defaults(kb);
    kb->pending = 0;
    kb->scanning = true;
    kb->set = 2;
    kb->leds = 0;
    kb->last_sent = 0;
    memset(kb->held, 0, sizeof kb->held);
}

/* ---- mouse ---- */

static void mouse_reply(Mouse *m, uint8_t b)
{
    q_push(&m->reply, b);
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 2:1 scaling (stream mode only): 0 1 1 3 6 9, then twice the count. */
static int scale21(int v)
{
    static const int t[6] = {0, 1, 1, 3, 6, 9};
    int a = v < 0 ? -v : v;
    int s = a < 6 ? t[a] : 2 * a;
    return v < 0 ? -s : s;
}

/* Builds a packet from the accumulated state into q and clears it. */
static void mouse_packet(Mouse *m, ByteQueue *q, bool scaled)
{
    int dx = scaled ? scale21(m->dx) : m->dx;
    int dy = scaled ? scale21(m->dy) : m->dy;
    bool xo = dx < -256 || dx > 255, yo = dy < -256 || dy > 255;
    dx = clamp(dx, -256, 255);
    dy = clamp(dy, -256, 255);
    uint8_t b0 = 0x08 | (m->buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0) |
                 (xo ? 0x40 : 0) | (yo ? 0x80 : 0);
    q_push(q, b0);
    q_push(q, (uint8_t)dx);
    q_push(q, (uint8_t)dy);
    if (m->id == 3) {
        q_push(q, (uint8_t)clamp(m->dz, -8, 7));
    } else if (m->id == 4) {
        q_push(q, (uint8_t)((clamp(m->dz, -8, 7) & 0x0F) | ((m->buttons & 0x18) << 1)));
    }
    m->dx = m->dy = m->dz = 0;
    m->dirty = false;
}

/* Stream mode: one packet at a time; motion meanwhile accumulates. */
static void mouse_flush(I8042 *k)
{
    Mouse *m = &k->mouse;
    if (m->dirty && m->enabled && !m->remote && !m->wrap && !m->packets.count)
        mouse_packet(m, &m->packets, m->scale21);
}

void i8042_mouse_event(I8042 *k, int dx, int dy, int dz, unsigned buttons)
{
    if (!k) return;
    Mouse *m = &k->mouse;
    if (!m->remote && !m->enabled) { /* stream mode, reporting disabled */
        m->buttons = buttons & 0x1F;
        return;
    }
    /* Keep the accumulators far from int overflow; anything past 9 bits
     * is reported as overflow anyway. */
    m->dx = clamp(m->dx + clamp(dx, -4096, 4096), -4096, 4096);
    m->dy = clamp(m->dy - clamp(dy, -4096, 4096), -4096, 4096);
    m->dz = clamp(m->dz - clamp(dz, -4096, 4096), -4096, 4096);
    if (dx || dy || dz || buttons != m->buttons) m->dirty = true;
    m->buttons = buttons & 0x1F;
    kick(k);
}

static void mouse_defaults(Mouse *m)
{
    m->rate = MOUSE_RATE_DEFAULT;
    m->resolution = MOUSE_RES_DEFAULT;
    m->scale21 = false;
    m->enabled = false;
    m->remote = false;
    m->dx = m->dy = m->dz = 0;
    m->dirty = false;
    q_clear(&m->packets);
}

static bool valid_rate(uint8_t r)
{
    return r == 10 || r == 20 || r == 40 || r == 60 || r == 80 || r == 100 || r == 200;
}

static void mouse_command(I8042 *k, uint8_t v)
{
    Mouse *m = &k->mouse;
    if (m->wrap && v != 0xEC && v != 0xFF) { /* wrap mode echoes */
        mouse_reply(m, v);
        return;
    }
    q_clear(&m->reply);
    if (m->pending) {
        uint8_t cmd = m->pending;
        if (cmd == 0xE8 && v <= 3) {
            m->resolution = v;
            mouse_reply(m, KBD_ACK);
            m->pending = 0;
        } else if (cmd == 0xF3 && valid_rate(v)) {
            m->rate = v;
            m->rates[0] = m->rates[1];
            m->rates[1] = m->rates[2];
            m->rates[2] = v;
            if (m->rates[1] == 100 && m->rates[2] == 80 && m->rates[0] == 200 && m->id == 0)
                m->id = 3;
            else if (m->rates[1] == 200 && m->rates[2] == 80 && m->rates[0] == 200 && m->id == 3)
                m->id = 4;
            mouse_reply(m, KBD_ACK);
            m->pending = 0;
        } else {
            log_once(LOG_GUEST_ERRORS, KBC_LOG_KEY(3), "i8042: mouse: bad argument %#x to %#x\n", v,
                     cmd);
            mouse_reply(m, KBD_RESEND);
        }
        return;
    }
    switch (v) {
    case 0xE6:
        m->scale21 = false;
        mouse_reply(m, KBD_ACK);
        break;
    case 0xE7:
        m->scale21 = true;
        mouse_reply(m, KBD_ACK);
        break;
    case 0xE8:
    case 0xF3:
        m->pending = v;
        mouse_reply(m, KBD_ACK);
        break;
    case 0xE9: /* status request */
        mouse_reply(m, KBD_ACK);
        mouse_reply(m, (uint8_t)((m->remote ? 0x40 : 0) | (m->enabled ? 0x20 : 0) |
                                 (m->scale21 ? 0x10 : 0) | ((m->buttons & 1) << 2) |
                                 ((m->buttons & 4) >> 1) | ((m->buttons & 2) >> 1)));
        mouse_reply(m, m->resolution);
        mouse_reply(m, m->rate);
        break;
    case 0xEA: /* stream mode */
        m->remote = false;
        m->dx = m->dy = m->dz = 0;
        m->dirty = false;
        mouse_reply(m, KBD_ACK);
        break;
    case 0xEB: /* read data: a packet whatever the mode */
        mouse_reply(m, KBD_ACK);
        mouse_packet(m, &m->reply, false);
        break;
    case 0xEC:
        m->wrap = false;
        mouse_reply(m, KBD_ACK);
        break;
    case 0xEE:
        m->wrap = true;
        mouse_reply(m, KBD_ACK);
        break;
    case 0xF0: /* remote mode */
        m->remote = true;
        q_clear(&m->packets);
        mouse_reply(m, KBD_ACK);
        break;
    case 0xF2:
        mouse_reply(m, KBD_ACK);
        mouse_reply(m, m->id);
        break;
    case 0xF4:
        m->enabled = true;
        mouse_reply(m, KBD_ACK);
        break;
    case 0xF5:
        m->enabled = false;
        q_clear(&m->packets);
        mouse_reply(m, KBD_ACK);
        break;
    case 0xF6:
        mouse_defaults(m);
        mouse_reply(m, KBD_ACK);
        break;
    case 0xFE: mouse_reply(m, m->last_sent); break;
    case 0xFF:
        mouse_defaults(m);
        m->wrap = false;
        m->id = 0;
        memset(m->rates, 0, sizeof m->rates);
        mouse_reply(m, KBD_ACK);
        mouse_reply(m, KBD_BAT_OK);
        mouse_reply(m, 0x00);
        break;
    default:
        log_once(LOG_GUEST_ERRORS, KBC_LOG_KEY(0x200 | v), "i8042: mouse: unknown command %#x\n",
                 v);
        mouse_reply(m, KBD_RESEND);
        break;
    }
}

static void mouse_reset(I8042 *k)
{
    Mouse *m = &k->mouse;
    mouse_defaults(m);
    q_clear(&m->reply);
    m->pending = 0;
    m->wrap = false;
    m->id = 0;
    m->buttons = 0;
    m->last_sent = 0;
    memset(m->rates, 0, sizeof m->rates);
}

/* ---- controller ---- */

static void set_a20(I8042 *k, bool on)
{
    bool was = (k->outport & OUT_A20) != 0;
    k->outport = (uint8_t)((k->outport & ~OUT_A20) | (on ? OUT_A20 : 0));
    if (was != on && k->cfg.set_a20) k->cfg.set_a20(k->cfg.opaque, on);
}

static void pulse_reset(I8042 *k)
{
    if (k->cfg.reset) k->cfg.reset(k->cfg.opaque);
}

static void write_ctr(I8042 *k, uint8_t v)
{
    k->ram[0] = v;
    k->sys = (v & CTR_SYS) != 0;
    update_irq(k);
    kick(k);
}

static void controller_command(I8042 *k, uint8_t cmd)
{
    k->pending = 0;
    if (cmd >= 0x20 && cmd <= 0x3F) {
        ctl_push(k, k->ram[cmd & 0x1F]);
        return;
    }
    if (cmd >= 0x60 && cmd <= 0x7F) {
        k->pending = cmd;
        return;
    }
    if (cmd >= 0xF0) { /* pulse the output port bits whose mask bit is 0 */
        if (!(cmd & OUT_RESET)) pulse_reset(k);
        return;
    }
    switch (cmd) {
    case 0xA7: write_ctr(k, k->ram[0] | CTR_AUXDIS); break;
    case 0xA8: write_ctr(k, k->ram[0] & ~CTR_AUXDIS); break;
    case 0xA9: ctl_push(k, 0x00); break; /* aux interface test: no error */
    case 0xAA:                           /* self test */
        k->sys = true;
        ctl_push(k, 0x55);
        break;
    case 0xAB: ctl_push(k, 0x00); break; /* keyboard interface test */
    case 0xAD: write_ctr(k, k->ram[0] | CTR_KBDDIS); break;
    case 0xAE: write_ctr(k, k->ram[0] & ~CTR_KBDDIS); break;
    case 0xC0: ctl_push(k, INPUT_PORT); break;
    case 0xD0: {
        uint8_t v = k->outport & ~(OUT_IRQ1 | OUT_IRQ12);
        if (k->irq1_level > 0) v |= OUT_IRQ1;
        if (k->irq12_level > 0) v |= OUT_IRQ12;
        ctl_push(k, v);
        break;
    }
    case 0xD1:
    case 0xD2:
    case 0xD3:
    case 0xD4: k->pending = cmd; break;
    case 0xDD: set_a20(k, false); break;
    case 0xDF: set_a20(k, true); break;
    case 0xE0: ctl_push(k, 0x00); break; /* test inputs */
    default:
        log_once(LOG_GUEST_ERRORS, KBC_LOG_KEY(0x300 | cmd), "i8042: unknown command %#x\n", cmd);
        break;
    }
}

static void data_write(I8042 *k, uint8_t v)
{
    uint8_t cmd = k->pending;
    k->pending = 0;
    if (cmd >= 0x60 && cmd <= 0x7F) {
        if (cmd == 0x60)
            write_ctr(k, v);
        else
            k->ram[cmd & 0x1F] = v;
        return;
    }
    switch (cmd) {
    case 0xD1: /* write output port */
        set_a20(k, (v & OUT_A20) != 0);
        k->outport = (uint8_t)((v & ~OUT_A20) | (k->outport & OUT_A20) | OUT_RESET);
        if (!(v & OUT_RESET)) pulse_reset(k);
        break;
    case 0xD2: ctl_push(k, v); break;
    case 0xD3: ctl_push(k, CTL_AUX | v); break;
    case 0xD4:
        mouse_command(k, v);
        kick(k);
        break;
    default:
        kbd_command(k, v);
        kick(k);
        break;
    }
}

static uint32_t i8042_io_read(void *opaque, uint16_t port, unsigned size)
{
    I8042 *k = opaque;
    (void)size;
    if (port == I8042_STATUS_PORT) {
        return (k->ob_full ? ST_OBF : 0) | (k->sys ? ST_SYS : 0) | (k->a2 ? ST_A2 : 0) | ST_INH |
               (k->ob_full && k->ob_aux ? ST_AUXOBF : 0);
    }
    /* Reading an empty buffer returns its last contents. */
    if (k->ob_full) {
        k->ob_full = false;
        update_irq(k);
        kick(k);
    }
    return k->ob;
}

static void i8042_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    I8042 *k = opaque;
    (void)size;
    if (port == I8042_STATUS_PORT) {
        k->a2 = true;
        controller_command(k, (uint8_t)val);
    } else {
        k->a2 = false;
        data_write(k, (uint8_t)val);
    }
}

static const IoOps i8042_io_ops = {i8042_io_read, i8042_io_write, 1};

void i8042_reset(void *opaque)
{
    I8042 *k = opaque;
    if (!k) return;
    memset(k->ram, 0, sizeof k->ram);
    k->ram[0] = CTR_RESET;
    k->sys = false;
    k->a2 = false;
    k->ob = 0;
    k->ob_full = false;
    k->ob_aux = false;
    k->ctl_count = 0;
    k->pending = 0;
    k->outport = OUT_RESET_VALUE; /* A20 on: the machine's reset turns it on */
    k->xlat_break = false;
    timer_del(&k->xfer_timer);
    kbd_reset(k);
    mouse_reset(k);
    k->irq1_level = k->irq12_level = -1; /* drive both lines low */
    update_irq(k);
}

I8042 *i8042_new(Bus *bus, IrqLine irq_kbd, IrqLine irq_mouse, Clock *clock, const I8042Config *cfg)
{
    I8042 *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->bus = bus;
    k->clock = clock;
    k->irq_kbd = irq_kbd;
    k->irq_mouse = irq_mouse;
    if (cfg) k->cfg = *cfg;
    timer_init(&k->xfer_timer, clock, xfer_expired, k, "i8042-xfer");
    timer_init(&k->kbd.repeat_timer, clock, kbd_repeat_expired, k, "i8042-typematic");
    if (bus) {
        bus_register_io(bus, I8042_DATA_PORT, 1, &i8042_io_ops, k);
        bus_register_io(bus, I8042_STATUS_PORT, 1, &i8042_io_ops, k);
    }
    i8042_reset(k);
    return k;
}

void i8042_free(void *opaque)
{
    I8042 *k = opaque;
    if (!k) return;
    timer_del(&k->xfer_timer);
    timer_del(&k->kbd.repeat_timer);
    if (k->bus) {
        bus_unregister_io(k->bus, I8042_DATA_PORT, 1);
        bus_unregister_io(k->bus, I8042_STATUS_PORT, 1);
    }
    free(k);
}

const DeviceOps i8042_device_ops = {"i8042", i8042_reset, NULL, NULL, i8042_free};
