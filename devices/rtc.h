/*
 * rtc.h - the Motorola MC146818A real-time clock and its 128 bytes of CMOS
 * RAM, at ports 0x70 (index; bit 7 is the PC's NMI mask) and 0x71 (data),
 * interrupting on IRQ8.
 *
 *   RtcConfig cfg = {.base_epoch_s = time(NULL)};   // the machine's choice
 *   Rtc *rtc = rtc_new(bus, irq_line(pic_set_irq, pic, 8), clock, &cfg);
 *   rtc_cmos_set(rtc, 0x10, 0x40);                  // floppy types, ...
 *   rtc_cmos_set_checksum(rtc);                     // 0x2E-0x2F
 *
 * The clock shows base_epoch_s (read as a UTC calendar date) at guest time
 * 0 and advances with the virtual clock. See rtc.c for the model and its
 * deviations from the datasheet.
 */
#ifndef BRISK_RTC_H
#define BRISK_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "devices/core/device.h"
#include "devices/core/irq.h"

#define RTC_PORT_INDEX 0x70
#define RTC_PORT_DATA  0x71
#define RTC_CMOS_SIZE  128

/* Standard PC CMOS locations the machine fills. */
#define RTC_CMOS_CHECKSUM_FIRST 0x10 /* the AT checksum covers 0x10..0x2D */
#define RTC_CMOS_CHECKSUM_LAST  0x2D
#define RTC_CMOS_CHECKSUM_HI    0x2E
#define RTC_CMOS_CHECKSUM_LO    0x2F
#define RTC_CMOS_CENTURY        0x32

typedef struct RtcConfig {
    /* Guest time 0 corresponds to this Unix time (from the host clock at
     * start, or fixed with -rtc base=...). */
    int64_t base_epoch_s;
} RtcConfig;

typedef struct Rtc Rtc;

/* Registers ports 0x70-0x71. The chip starts as a PC's battery-backed RTC
 * is found: running on the 32.768 kHz time base (register A 0x26), 24-hour
 * BCD (register B 0x02), no interrupt enabled, VRT set, RAM zeroed.
 * Returns NULL if out of memory. */
Rtc *rtc_new(Bus *bus, IrqLine irq, Clock *clock, const RtcConfig *cfg);
/* The RESET pin: clears PIE, AIE, UIE, SQWE and the flags of register C,
 * lowers IRQ8. Time, calendar, RAM and the other bits are kept. */
void rtc_reset(void *rtc);
/* Unregisters the ports, cancels the timer and frees the chip. */
void rtc_free(void *rtc);

/* CMOS access for the machine (index 0..127; others are ignored / read
 * 0xFF). Bytes 14..127 other than 0x32 are plain RAM. Indices 0..13 and
 * 0x32 (the century) behave like a guest write through port 0x71; reading
 * them has no side effect (register C is not cleared). */
void rtc_cmos_set(Rtc *rtc, unsigned index, uint8_t val);
uint8_t rtc_cmos_get(Rtc *rtc, unsigned index);
/* Stores the sum of bytes 0x10..0x2D at 0x2E (high) and 0x2F (low). */
void rtc_cmos_set_checksum(Rtc *rtc);

/* Port 0x70 bit 7 as last written: 1 masks NMI (the machine's NMI logic). */
bool rtc_nmi_masked(const Rtc *rtc);
/* The time the clock shows now, as Unix seconds (the calendar registers
 * taken as UTC), whether it is running or held. */
int64_t rtc_time_s(Rtc *rtc);

extern const DeviceOps rtc_device_ops;

#endif
