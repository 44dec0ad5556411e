/*
 * softfloat_internal.h - helpers shared by the soft-float files of cpu/
 * (softfloat.c: the arithmetic, conversions and x87 special operations;
 * sf_trans.c: the transcendentals). Not for use outside those files: the
 * contract with the x87 instructions is softfloat.h.
 *
 * The intermediate form of a finite non-zero value is (sign, exp, sig):
 *   SfUnpacked:   value = sig * 2^(exp - SF_BIAS - 63),  sig bit 63 set
 *   a 128-bit significand (sfi_round_pack):
 *                 value = sig * 2^(exp - SF_BIAS - 127), sig bit 127 set
 * exp is the x87 biased exponent of the leading bit, as a wide integer so
 * that intermediates may leave the 15-bit range (the rounding decides what
 * overflows and what underflows). Denormals and pseudo-denormals unpack to
 * a normalized sig with an exp below 1.
 *
 * No host floating point anywhere: only integer arithmetic, so the results
 * are the same on every host.
 */
#ifndef BRISK_SOFTFLOAT_INTERNAL_H
#define BRISK_SOFTFLOAT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/softfloat.h"

typedef unsigned __int128 SfU128;

#define SF_BIAS        16383
#define SF_EXP_INF     0x7FFF
#define SF_EXP_MAX     0x7FFE /* largest exponent of a finite value */
#define SF_WRAP        24576  /* unmasked OE/UE: the exponent is biased by -/+ this */
#define SF_INT_BIT     0x8000000000000000ull
#define SF_QUIET_BIT   0x4000000000000000ull
#define SF_INDEF_MANT  0xC000000000000000ull

/* What an operand is, as the x87 sees it in a register. */
typedef enum SfClass {
    SFC_ZERO,
    SFC_NORMAL,      /* exponent 1..7FFE, integer bit set */
    SFC_DENORMAL,    /* exponent 0, non-zero: denormals and pseudo-denormals */
    SFC_INF,
    SFC_QNAN,
    SFC_SNAN,
    SFC_UNSUPPORTED, /* unnormal, pseudo-infinity, pseudo-NaN */
} SfClass;

typedef struct SfUnpacked {
    bool sign;
    int32_t exp; /* biased; below 1 for a denormal operand */
    uint64_t sig; /* bit 63 set */
} SfUnpacked;

SfClass sfi_class(Fx80 a);

/* A finite non-zero operand (SFC_NORMAL or SFC_DENORMAL), normalized. A
 * pseudo-denormal is read with exponent 1 (SDM Vol. 1 8.2.2). */
SfUnpacked sfi_unpack(Fx80 a);

static inline Fx80 sfi_pack(bool sign, uint16_t exp, uint64_t mant)
{
    return (Fx80){.mant = mant, .se = (uint16_t)((sign ? 0x8000u : 0u) | exp)};
}
static inline Fx80 sfi_zero(bool sign) { return sfi_pack(sign, 0, 0); }
static inline Fx80 sfi_inf(bool sign) { return sfi_pack(sign, SF_EXP_INF, SF_INT_BIT); }

/* Counting and shifting. The _jam shifts OR every bit shifted out into the
 * lowest bit of the result (a "sticky" bit), so rounding still sees that
 * the value was inexact; a count beyond the width leaves only that bit. */
static inline unsigned sfi_clz64(uint64_t x) { return x ? (unsigned)__builtin_clzll(x) : 64; }
static inline unsigned sfi_clz128(SfU128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? sfi_clz64(hi) : 64 + sfi_clz64((uint64_t)x);
}
static inline SfU128 sfi_shr_jam128(SfU128 x, uint32_t n)
{
    if (n == 0)
        return x;
    if (n >= 128)
        return x != 0;
    return (x >> n) | ((x << (128 - n)) != 0);
}
static inline SfU128 sfi_mul64(uint64_t a, uint64_t b) { return (SfU128)a * b; }

/* Raise exceptions; true when one of them is unmasked (the x87 then does
 * not complete a faulting operation: the caller returns at once). */
static inline bool sfi_raise(SfStatus *st, uint8_t flags)
{
    st->flags |= flags;
    return (flags & ~st->masks) != 0;
}

/* The significand precision in bits (24, 53 or 64) of st->pc, for the
 * operations precision control applies to. The reserved value 01 rounds
 * to 64 bits. */
unsigned sfi_prec(const SfStatus *st);

/* Rounds and packs a register result. value = sig * 2^(exp - SF_BIAS -
 * 127); sig has bit 127 set, or is 0 for an exact zero (packed with sign
 * as given). prec is 24, 53 or 64. Applies st->rc; sets PE, OE, UE and c1
 * (c1 = the magnitude was rounded up). Tininess is detected after rounding
 * (with unbounded exponent). Masked overflow gives infinity or the largest
 * finite value by the rounding direction; masked underflow a denormal (UE
 * only if it is also inexact); unmasked overflow/underflow the rounded
 * value with its exponent biased by -/+ SF_WRAP. */
Fx80 sfi_round_pack(bool sign, int32_t exp, SfU128 sig, unsigned prec, SfStatus *st);

/* The masked response to an invalid operation: IE, the real indefinite. */
Fx80 sfi_invalid(SfStatus *st);

/* NaN operands of a two-operand operation (SDM Vol. 1 Table 4-7): at least
 * one of a, b is a NaN (b may be ignored by passing a twice). An SNaN
 * raises IE; the result is quieted. */
Fx80 sfi_propagate_nan(Fx80 a, Fx80 b, SfStatus *st);

/* The common front of every arithmetic operation on two register
 * operands, in the x87's priority order (SDM Vol. 1 4.9.2): unsupported
 * formats and SNaNs (IE), then QNaNs. Returns true with *res set when
 * that decides the result. */
bool sfi_nan_operands(Fx80 a, Fx80 b, Fx80 *res, SfStatus *st);

#endif
