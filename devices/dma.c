/*
 * dma.c - the two Intel 8237A DMA controllers of a PC/AT and the 74LS612
 * page registers above them.
 *
 * Follows the Intel 8237A datasheet (order no. 231466): per channel a
 * 16-bit base and current address and word count reached through the byte
 * pointer flip-flop (low byte first), the mode register (bits 1-0 channel,
 * 3-2 transfer type: 00 verify, 01 write to memory, 10 read from memory;
 * bit 4 autoinitialize, bit 5 address decrement, bits 7-6 demand / single /
 * block / cascade), the command register (bit 2 controller disable), the
 * request register, the single and all-mask registers, the status register
 * (bits 0-3 TC, cleared when read; bits 4-7 requests), master clear, clear
 * mask register and clear byte pointer. A count of N moves N+1 units; TC is
 * reached when the count rolls from 0 to 0xFFFF. Without autoinitialize the
 * channel masks itself at TC.
 *
 * The AT wiring (IBM PC/AT Technical Reference, "DMA controller"): DMA2's
 * registers sit on even ports 0xC0-0xDE and its channels move 16-bit words:
 * its address register holds a word address, bits 16-1 of the physical
 * address, with bits 23-17 from the page register (whose bit 0 is unused),
 * and the word never crosses a 128 KiB boundary. DMA1's channels move bytes
 * within a 64 KiB page. Channel 4 is DMA1's cascade input: DMA1 works only
 * while channel 4 is unmasked.
 *
 * Known deviations and choices:
 *  - No DREQ/DACK timing: the device pulls a whole block with dma_transfer()
 *    and the transfer happens at once, whatever the mode (demand, single and
 *    block all move what the device offers up to TC).
 *  - The request register only shows in the status register; a software
 *    request starts no memory-to-memory transfer (not used on the PC).
 *  - A transfer whose direction disagrees with the mode register (a disk
 *    read through a channel programmed for "read from memory") moves no data
 *    and is logged; the count still advances, like a verify.
 *  - The temporary register reads 0 and the command register's priority,
 *    timing and DREQ/DACK polarity bits are stored and ignored.
 *  - The mask register reads back at port 0x0F/0xDE (as on the 82374/PIIX);
 *    bits 7-4 read as 1.
 */
#include "devices/dma.h"

#include <stdlib.h>

#include "devices/core/log.h"

#define DMA_LOG_KEY(reason) (0x444D410000ull | (reason))

enum {
    DMA_MODE_TYPE_MASK = 0x0C,
    DMA_MODE_VERIFY = 0x00,
    DMA_MODE_WRITE = 0x04, /* device -> memory */
    DMA_MODE_READ = 0x08,  /* memory -> device */
    DMA_MODE_AUTOINIT = 0x10,
    DMA_MODE_DECREMENT = 0x20,
    DMA_MODE_CASCADE = 0xC0,
    DMA_CMD_DISABLE = 0x04,
};

typedef struct DmaChannel {
    uint16_t base_addr;
    uint16_t base_count;
    uint16_t cur_addr;
    uint16_t cur_count;
    uint8_t mode; /* bits 7-2 of the mode register */
    bool tc_last; /* the last dma_transfer ended at TC */
} DmaChannel;

typedef struct DmaCtrl {
    DmaChannel ch[4];
    bool flip_flop; /* false: next access is the low byte */
    uint8_t command;
    uint8_t status;  /* bits 0-3 TC */
    uint8_t request; /* bits 0-3 software requests */
    uint8_t mask;    /* bits 0-3 */
} DmaCtrl;

struct Dma {
    Bus *bus;
    DmaCtrl ctrl[2];
    uint8_t page[16]; /* ports 0x80-0x8F; 0x80 itself is not ours */
};

/* Page register port offset (from 0x80) for channels 0-7. */
static const uint8_t dma_page_port[DMA_CHANNELS] = {0x7, 0x3, 0x1, 0x2, 0xF, 0xB, 0x9, 0xA};

static void dma_master_clear(DmaCtrl *c)
{
    c->command = 0;
    c->status = 0;
    c->request = 0;
    c->flip_flop = false;
    c->mask = 0x0F;
}

static uint8_t dma_rw_byte(DmaCtrl *c, uint16_t *reg, bool write, uint8_t val)
{
    bool high = c->flip_flop;
    c->flip_flop = !c->flip_flop;
    if (!write) return high ? (uint8_t)(*reg >> 8) : (uint8_t)*reg;
    if (high)
        *reg = (uint16_t)((*reg & 0x00FF) | (val << 8));
    else
        *reg = (uint16_t)((*reg & 0xFF00) | val);
    return 0;
}

/* reg is the 8237 register number 0-15 of controller ci. */
static uint8_t dma_reg_access(Dma *d, unsigned ci, unsigned reg, bool write, uint8_t val)
{
    DmaCtrl *c = &d->ctrl[ci];
    if (reg < 8) {
        DmaChannel *ch = &c->ch[reg >> 1];
        bool count = reg & 1;
        if (!write) return dma_rw_byte(c, count ? &ch->cur_count : &ch->cur_addr, false, 0);
        /* A write goes to both the base and the current register. */
        bool ff = c->flip_flop;
        dma_rw_byte(c, count ? &ch->base_count : &ch->base_addr, true, val);
        c->flip_flop = ff;
        dma_rw_byte(c, count ? &ch->cur_count : &ch->cur_addr, true, val);
        return 0;
    }
    if (!write) {
        switch (reg) {
        case 8: { /* status; reading clears the TC bits */
            uint8_t s = (uint8_t)((c->status & 0x0F) | (c->request << 4));
            c->status &= 0xF0;
            return s;
        }
        case 13: return 0; /* temporary register: only memory-to-memory fills it */
        case 15: return (uint8_t)(0xF0 | c->mask);
        default:
            log_once(LOG_GUEST_ERRORS, DMA_LOG_KEY(0x100 | ci << 4 | reg),
                     "dma%u: read of write-only register %u\n", ci + 1, reg);
            return 0xFF;
        }
    }
    switch (reg) {
    case 8: c->command = val; break;
    case 9:
        if (val & 4)
            c->request |= (uint8_t)(1u << (val & 3));
        else
            c->request &= (uint8_t) ~(1u << (val & 3));
        break;
    case 10:
        if (val & 4)
            c->mask |= (uint8_t)(1u << (val & 3));
        else
            c->mask &= (uint8_t) ~(1u << (val & 3));
        break;
    case 11:
        c->ch[val & 3].mode = val & 0xFC;
        if ((val & DMA_MODE_TYPE_MASK) == 0x0C && (val & 0xC0) != DMA_MODE_CASCADE)
            log_once(LOG_GUEST_ERRORS, DMA_LOG_KEY(0x200 | ci),
                     "dma%u: illegal transfer type 11 in mode %02x\n", ci + 1, val);
        break;
    case 12: c->flip_flop = false; break;
    case 13: dma_master_clear(c); break;
    case 14: c->mask = 0; break;
    case 15: c->mask = val & 0x0F; break;
    }
    return 0;
}

static uint32_t dma1_io_read(void *opaque, uint16_t port, unsigned size)
{
    (void)size;
    return dma_reg_access(opaque, 0, port & 0x0F, false, 0);
}

static void dma1_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    (void)size;
    dma_reg_access(opaque, 0, port & 0x0F, true, (uint8_t)val);
}

static uint32_t dma2_io_read(void *opaque, uint16_t port, unsigned size)
{
    (void)size;
    if (port & 1) return 0xFF; /* odd ports: not decoded */
    return dma_reg_access(opaque, 1, (unsigned)(port - 0xC0) >> 1, false, 0);
}

static void dma2_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    (void)size;
    if (port & 1) return;
    dma_reg_access(opaque, 1, (unsigned)(port - 0xC0) >> 1, true, (uint8_t)val);
}

static uint32_t dma_page_io_read(void *opaque, uint16_t port, unsigned size)
{
    Dma *d = opaque;
    (void)size;
    return d->page[port & 0x0F];
}

static void dma_page_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    Dma *d = opaque;
    (void)size;
    d->page[port & 0x0F] = (uint8_t)val;
}

static const IoOps dma1_io_ops = {dma1_io_read, dma1_io_write, 1};
static const IoOps dma2_io_ops = {dma2_io_read, dma2_io_write, 1};
static const IoOps dma_page_io_ops = {dma_page_io_read, dma_page_io_write, 1};

bool dma_channel_ready(Dma *d, unsigned chn)
{
    if (!d || chn >= DMA_CHANNELS) return false;
    DmaCtrl *c = &d->ctrl[chn >> 2];
    unsigned i = chn & 3;
    if (c->command & DMA_CMD_DISABLE) return false;
    if (c->mask & (1u << i)) return false;
    if ((c->ch[i].mode & 0xC0) == DMA_MODE_CASCADE) return false;
    if (chn < 4) {
        /* DMA1 reaches the bus only through DMA2's channel 4. */
        const DmaCtrl *c2 = &d->ctrl[1];
        if ((c2->mask & 1) || (c2->command & DMA_CMD_DISABLE)) return false;
    }
    return true;
}

bool dma_terminal_count(Dma *d, unsigned chn)
{
    if (!d || chn >= DMA_CHANNELS) return false;
    return d->ctrl[chn >> 2].ch[chn & 3].tc_last;
}

int dma_transfer(Dma *d, unsigned chn, void *buf, size_t len, bool to_memory)
{
    if (!dma_channel_ready(d, chn)) return 0;
    DmaCtrl *c = &d->ctrl[chn >> 2];
    unsigned i = chn & 3;
    DmaChannel *ch = &c->ch[i];
    bool wide = chn >= 4;
    unsigned unit = wide ? 2 : 1;
    uint8_t type = ch->mode & DMA_MODE_TYPE_MASK;
    bool move = true;
    if (type == DMA_MODE_VERIFY) {
        move = false;
    } else if (type == 0x0C || (type == DMA_MODE_WRITE) != to_memory) {
        log_once(LOG_GUEST_ERRORS, DMA_LOG_KEY(0x300 | chn),
                 "dma: channel %u mode %02x disagrees with the device's direction\n", chn,
                 ch->mode);
        move = false;
    }
    uint8_t page = d->page[dma_page_port[chn]];
    uint32_t page_base = wide ? (uint32_t)(page & 0xFE) << 16 : (uint32_t)page << 16;
    uint8_t *p = buf;
    size_t units = len / unit;
    size_t done = 0;
    bool tc = false;
    while (done < units && !tc) {
        /* A run of consecutive units up to the end of the page (or TC). */
        size_t n;
        uint32_t paddr = page_base + (wide ? (uint32_t)ch->cur_addr << 1 : ch->cur_addr);
        if (ch->mode & DMA_MODE_DECREMENT) {
            n = 1;
        } else {
            n = 0x10000u - ch->cur_addr;
        }
        size_t left_in_count = (size_t)ch->cur_count + 1;
        if (n > left_in_count) n = left_in_count;
        if (n > units - done) n = units - done;
        if (move) {
            if (to_memory)
                bus_write_block(d->bus, paddr, p + done * unit, n * unit);
            else
                bus_read_block(d->bus, paddr, p + done * unit, n * unit);
        }
        done += n;
        if (ch->mode & DMA_MODE_DECREMENT)
            ch->cur_addr = (uint16_t)(ch->cur_addr - n);
        else
            ch->cur_addr = (uint16_t)(ch->cur_addr + n);
        tc = n == left_in_count;
        ch->cur_count = (uint16_t)(ch->cur_count - n);
    }
    ch->tc_last = tc;
    if (tc) {
        c->status |= (uint8_t)(1u << i);
        c->request &= (uint8_t) ~(1u << i);
        if (ch->mode & DMA_MODE_AUTOINIT) {
            ch->cur_addr = ch->base_addr;
            ch->cur_count = ch->base_count;
        } else {
            c->mask |= (uint8_t)(1u << i);
        }
    }
    return (int)(done * unit);
}

void dma_reset(void *opaque)
{
    Dma *d = opaque;
    for (int i = 0; i < 2; i++) {
        d->ctrl[i] = (DmaCtrl){0};
        dma_master_clear(&d->ctrl[i]);
    }
    memset(d->page, 0, sizeof d->page);
}

Dma *dma_new(Bus *bus)
{
    Dma *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->bus = bus;
    dma_reset(d);
    bus_register_io(bus, 0x00, 16, &dma1_io_ops, d);
    bus_register_io(bus, 0xC0, 32, &dma2_io_ops, d);
    bus_register_io(bus, 0x81, 15, &dma_page_io_ops, d);
    return d;
}

void dma_free(void *opaque)
{
    free(opaque);
}

const DeviceOps dma_device_ops = {"dma", dma_reset, NULL, NULL, dma_free};
