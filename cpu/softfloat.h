/*
 * softfloat.h - 80-bit extended-precision floating point in portable C,
 * bit-exact with the x87 of a P6 (never the host's long double, which is
 * 64- or 128-bit on AArch64).
 *
 * SDM Vol. 1 chapter 4 (formats: extended real with an explicit integer
 * bit; denormals, pseudo-denormals, unnormals, pseudo-NaN/infinity as
 * "unsupported"), chapter 8 (x87 rounding control, precision control,
 * C1 = rounded up), section 4.9 (the six exceptions and their masked
 * responses; unmasked overflow/underflow on a register destination store
 * the result with the exponent biased by -/+ 24576).
 *
 *   SfStatus st = sf_status(cw);          // RC, PC and the masks from the control word
 *   Fx80 r = sf_add(a, b, &st);           // st.flags gets IE/DE/ZE/OE/UE/PE, st.c1 "rounded up"
 *   if (st.flags & ~st.masks & SF_IE) ... // unmasked invalid: the caller stores nothing
 */
#ifndef BRISK_SOFTFLOAT_H
#define BRISK_SOFTFLOAT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct Fx80 {
    uint64_t mant; /* explicit integer bit at bit 63 */
    uint16_t se;   /* sign at bit 15, biased exponent (bias 16383) in bits 0-14 */
} Fx80;

/* Exception flags, in the bit positions of the x87 status word. */
enum {
    SF_IE = 1 << 0, /* invalid operation */
    SF_DE = 1 << 1, /* denormal operand */
    SF_ZE = 1 << 2, /* zero divide */
    SF_OE = 1 << 3, /* overflow */
    SF_UE = 1 << 4, /* underflow */
    SF_PE = 1 << 5, /* precision (inexact) */
};

/* Rounding control (x87 CW bits 10-11) and precision control (bits 8-9). */
enum { SF_RC_NEAREST = 0, SF_RC_DOWN = 1, SF_RC_UP = 2, SF_RC_ZERO = 3 };
enum { SF_PC_24 = 0, SF_PC_53 = 2, SF_PC_64 = 3 };

typedef struct SfStatus {
    uint8_t rc;    /* in: rounding control */
    uint8_t pc;    /* in: precision control (arithmetic results only) */
    uint8_t masks; /* in: exception masks, SF_* bits (CW bits 0-5) */
    uint8_t flags; /* out: exceptions raised (accumulated) */
    bool c1;       /* out: the last rounding went up in magnitude */
} SfStatus;

/* Status from an x87 control word; flags and c1 cleared. */
SfStatus sf_status(uint16_t cw);

/* Constants and classification. */
Fx80 sf_make(bool sign, uint16_t exp, uint64_t mant);
static inline bool sf_sign(Fx80 a) { return (a.se >> 15) != 0; }
static inline uint16_t sf_exp(Fx80 a) { return a.se & 0x7FFF; }
bool sf_is_nan(Fx80 a);
bool sf_is_snan(Fx80 a);
bool sf_is_inf(Fx80 a);
bool sf_is_zero(Fx80 a);
bool sf_is_denormal(Fx80 a);    /* exponent 0, integer bit 0, mantissa != 0 */
bool sf_is_pseudo_denormal(Fx80 a); /* exponent 0, integer bit 1 */
bool sf_is_unsupported(Fx80 a); /* unnormal, pseudo-NaN, pseudo-infinity */
Fx80 sf_indefinite(void);       /* the QNaN "real indefinite": FFFF C000000000000000 */
/* FXAM's C3,C2,C0 classification as a 3-bit value C3<<2 | C2<<1 | C0
 * (the empty-register case is the caller's). */
unsigned sf_fxam_class(Fx80 a);

/* Arithmetic: results rounded to st->pc / st->rc, masked responses as the
 * SDM specifies (NaN propagation: the larger-significand NaN, quieted; an
 * invalid operation returns the indefinite). */
Fx80 sf_add(Fx80 a, Fx80 b, SfStatus *st);
Fx80 sf_sub(Fx80 a, Fx80 b, SfStatus *st);
Fx80 sf_mul(Fx80 a, Fx80 b, SfStatus *st);
Fx80 sf_div(Fx80 a, Fx80 b, SfStatus *st);
Fx80 sf_sqrt(Fx80 a, SfStatus *st);
Fx80 sf_round_to_int(Fx80 a, SfStatus *st); /* FRNDINT (by rc, 64-bit precision) */
Fx80 sf_scale(Fx80 a, Fx80 b, SfStatus *st); /* FSCALE: a * 2^trunc(b) */
/* FXTRACT: *sig gets the significand (exponent 3FFF), the return value the
 * unbiased exponent as a real. */
Fx80 sf_xtract(Fx80 a, Fx80 *sig, SfStatus *st);
/* FPREM (ieee = false: truncating quotient) and FPREM1 (ieee = true):
 * partial remainder. *q gets the low three quotient bits (Q2 Q1 Q0 for
 * C0 C3 C1), *incomplete is set when C2 must be 1 (reduction incomplete). */
Fx80 sf_prem(Fx80 a, Fx80 b, bool ieee, unsigned *q, bool *incomplete, SfStatus *st);

/* Comparison: -1 less, 0 equal, 1 greater, 2 unordered. quiet = FUCOM
 * (only SNaN raises IE); otherwise any NaN raises IE. Denormals raise DE. */
int sf_compare(Fx80 a, Fx80 b, bool quiet, SfStatus *st);

/* Arithmetic and compares with a 32/64-bit real memory operand m (its raw
 * bits; dbl: 64-bit) and x = ST(0): FADD/FMUL/FSUB/FSUBR/FDIV/FDIVR and
 * FCOM/FCOMP m32fp/m64fp. The x87 does not load m first: m takes part with
 * its own class, so an SNaN in memory is still signaling for the NaN rules
 * (an SNaN m and a QNaN x give x) and a single or double denormal raises
 * DE only where a denormal operand would (not beside a NaN, not when
 * divided by zero). Composing sf_from_f32/f64 with sf_add etc. differs from
 * the x87 in exactly those cases. op numbers as ModRM.reg of D8/DC. */
enum { SF_OP_ADD = 0, SF_OP_MUL = 1, SF_OP_SUB = 4, SF_OP_SUBR = 5, SF_OP_DIV = 6, SF_OP_DIVR = 7 };
/* x op m; SUBR and DIVR compute m - x and m / x. */
Fx80 sf_arith_mem(unsigned op, Fx80 x, uint64_t m, bool dbl, SfStatus *st);
/* FCOM/FCOMP: as sf_compare(x, m, false). */
int sf_compare_mem(Fx80 x, uint64_t m, bool dbl, SfStatus *st);

/* Conversions. Loads are exact except that 32/64-bit SNaNs raise IE and
 * become QNaNs, and denormal sources raise DE. */
Fx80 sf_from_i64(int64_t v);
Fx80 sf_from_f32(uint32_t v, SfStatus *st);
Fx80 sf_from_f64(uint64_t v, SfStatus *st);
/* Stores round by st->rc; overflow and underflow as the masks say (an
 * unmasked OE/UE/IE means the caller must not store: the return value is
 * then unspecified). */
uint32_t sf_to_f32(Fx80 a, SfStatus *st);
uint64_t sf_to_f64(Fx80 a, SfStatus *st);
/* Integer stores: round by st->rc (truncate when trunc is set: FISTTP is
 * SSE3 and not modelled, but FIST with RC=zero uses it too). Out of range
 * or NaN: IE and the integer indefinite (the most negative value). */
int64_t sf_to_int(Fx80 a, unsigned bits, bool trunc, SfStatus *st);
/* 80-bit packed BCD (FBLD/FBSTP): 18 digits, sign in bit 79. */
Fx80 sf_from_bcd(const uint8_t bcd[10]);
void sf_to_bcd(Fx80 a, uint8_t bcd[10], SfStatus *st);

/* Transcendentals, with the P6's domain rules (|x| >= 2^63 for FSIN/FCOS/
 * FPTAN/FSINCOS: *out_of_range set, C2 = 1, operand unchanged). */
Fx80 sf_sin(Fx80 a, bool *out_of_range, SfStatus *st);
Fx80 sf_cos(Fx80 a, bool *out_of_range, SfStatus *st);
Fx80 sf_tan(Fx80 a, bool *out_of_range, SfStatus *st);
Fx80 sf_atan2(Fx80 y, Fx80 x, SfStatus *st);      /* FPATAN: atan(y/x) with quadrants */
Fx80 sf_f2xm1(Fx80 a, SfStatus *st);              /* 2^a - 1 for -1 <= a <= 1 */
Fx80 sf_fyl2x(Fx80 x, Fx80 y, SfStatus *st);      /* y * log2(x) */
Fx80 sf_fyl2xp1(Fx80 x, Fx80 y, SfStatus *st);    /* y * log2(x + 1) */

#endif
