/*
 * softfloat.c - the x87's 80-bit extended-precision arithmetic in portable
 * integer C: add, subtract, multiply, divide, square root, FRNDINT,
 * FSCALE, FXTRACT, FPREM/FPREM1, compares, FXAM classes, the arithmetic
 * and compares with a single/double memory operand, and the integer,
 * single, double and packed BCD conversions. The transcendentals are in
 * sf_trans.c; helpers for both files are in softfloat_internal.h.
 *
 * Follows the Intel SDM Vol. 1: 4.2.2 and 8.2.2 (the extended format and
 * its unsupported encodings), 4.8.3 and Table 4-7 (NaNs and the x87's
 * choice between two), 4.9.2 (exception priority), 8.1.5 (precision and
 * rounding control), 8.5 (the exceptions and their masked and unmasked
 * responses), and the instruction pages of Vol. 2 for each operation's
 * special cases. tests/unit/cpu/test_softfloat.c checks every operation
 * against the host's x87 bit for bit (result, the six flags, C1 and the
 * other condition codes). In brief:
 *   - priority: unsupported formats (unnormals, pseudo-NaNs, pseudo-
 *     infinities) and SNaNs raise IE (an unsupported operand beside a
 *     NaN still gives the indefinite); then a QNaN operand decides the
 *     result (no DE); then invalid combinations and zero divide (a
 *     denormal divided by zero raises ZE alone); then DE for denormal
 *     and pseudo-denormal operands (a pseudo-denormal reads as exponent
 *     1); then OE/UE/PE. An unmasked IE, DE or ZE stops the operation
 *     with only that flag raised;
 *   - tininess is detected after rounding with an unbounded exponent (SDM
 *     8.5.5), the precision control applied. Masked underflow: the value is
 *     denormalized and rounded at the bit the precision control keeps in
 *     the 64-bit field (a PC=24 denormal keeps fewer bits still); UE only
 *     if that is inexact. Unmasked: UE when tiny, the rounded result with
 *     its exponent + 24576; masked overflow: infinity or the largest value
 *     of the precision by the rounding direction (C1 = rounded to
 *     infinity); unmasked: the exponent - 24576. FSCALE's massive
 *     over/underflow, out of range even so, gives a signed infinity (OE PE
 *     C1) or zero (UE PE). A store to memory with OE or UE unmasked stores
 *     nothing and raises that flag alone (no PE, C1 = 0);
 *   - two NaNs: a QNaN beats an SNaN; otherwise the larger significand,
 *     and on equal significands the positive one;
 *   - x - x is +0, -0 when rounding down; FRNDINT, FSCALE, FXTRACT,
 *     FPREM and the stores ignore precision control; the reserved PC
 *     value 01 rounds to 64 bits;
 *   - FPREM/FPREM1 with an exponent difference d of 64 or more reduce by
 *     b * 2^(d - N), N = 32 + d mod 32, truncating the quotient, and
 *     report C2 = 1 with C0 C3 C1 = 0; a remainder is always normalized
 *     (a denormal one raises UE when UE is unmasked);
 *   - FST m32/m64, FIST(TP) and FBSTP raise no DE; an integer or BCD store
 *     out of range, or of a NaN or infinity, raises IE alone and stores
 *     the integer indefinite (the most negative value) or the BCD one
 *     (FFFF C000000000000000);
 *   - a real memory operand of FADD..FDIVR/FCOM keeps its class through
 *     the operation (sf_arith_mem: an SNaN there is still signaling, a
 *     single/double denormal raises DE in a denormal operand's place).
 * Deviations and doubts: the oracle is the host x87, an AMD Zen, not a P6.
 * Where the SDM specifies, the two agree; where it leaves things to the
 * implementation (FPREM's N and the condition codes of an incomplete
 * reduction, the NaN tie, PC = 01, FXAM of pseudo-denormals: denormal)
 * Brisk does what the Zen does, which a P6 might not. Packed BCD digits
 * above 9 are undefined (SDM Vol. 1 4.7): FBLD weighs each nibble by its
 * power of ten as if it were a digit (A = 10, ...) and ignores bits
 * 72..78, as the Zen does.
 *
 * No host floating point: everything is integer arithmetic (with GCC's
 * unsigned __int128), so the results are identical on x86-64 and AArch64.
 */
#include "cpu/softfloat.h"

#include "cpu/softfloat_internal.h"

/* ------------------------------------------------------------------ */
/* Status, construction, classification                                */

SfStatus sf_status(uint16_t cw)
{
    return (SfStatus){
        .rc = (uint8_t)((cw >> 10) & 3),
        .pc = (uint8_t)((cw >> 8) & 3),
        .masks = (uint8_t)(cw & 0x3F),
        .flags = 0,
        .c1 = false,
    };
}

Fx80 sf_make(bool sign, uint16_t exp, uint64_t mant) { return sfi_pack(sign, exp & 0x7FFF, mant); }

SfClass sfi_class(Fx80 a)
{
    uint16_t e = sf_exp(a);
    if (e == 0)
        return a.mant == 0 ? SFC_ZERO : SFC_DENORMAL;
    if (!(a.mant & SF_INT_BIT))
        return SFC_UNSUPPORTED;
    if (e == SF_EXP_INF) {
        if ((a.mant << 1) == 0)
            return SFC_INF;
        return (a.mant & SF_QUIET_BIT) ? SFC_QNAN : SFC_SNAN;
    }
    return SFC_NORMAL;
}

static inline bool is_nan_class(SfClass c) { return c == SFC_QNAN || c == SFC_SNAN; }

bool sf_is_nan(Fx80 a) { return is_nan_class(sfi_class(a)); }
bool sf_is_snan(Fx80 a) { return sfi_class(a) == SFC_SNAN; }
bool sf_is_inf(Fx80 a) { return sfi_class(a) == SFC_INF; }
bool sf_is_zero(Fx80 a) { return sfi_class(a) == SFC_ZERO; }
bool sf_is_denormal(Fx80 a) { return sf_exp(a) == 0 && a.mant != 0 && !(a.mant & SF_INT_BIT); }
bool sf_is_pseudo_denormal(Fx80 a) { return sf_exp(a) == 0 && (a.mant & SF_INT_BIT); }
bool sf_is_unsupported(Fx80 a) { return sfi_class(a) == SFC_UNSUPPORTED; }
Fx80 sf_indefinite(void) { return sfi_pack(true, SF_EXP_INF, SF_INDEF_MANT); }

unsigned sf_fxam_class(Fx80 a)
{
    /* C3 C2 C0 (SDM Vol. 2 FXAM): 000 unsupported, 001 NaN, 010 normal,
     * 011 infinity, 100 zero, 110 denormal (pseudo-denormals included). */
    switch (sfi_class(a)) {
    case SFC_UNSUPPORTED: return 0;
    case SFC_QNAN:
    case SFC_SNAN: return 1;
    case SFC_NORMAL: return 2;
    case SFC_INF: return 3;
    case SFC_ZERO: return 4;
    case SFC_DENORMAL: return 6;
    }
    return 0;
}

SfUnpacked sfi_unpack(Fx80 a)
{
    SfUnpacked u = {.sign = sf_sign(a), .exp = sf_exp(a), .sig = a.mant};
    if (u.exp == 0)
        u.exp = 1; /* denormals and pseudo-denormals: 2^-16382 scale */
    unsigned n = sfi_clz64(u.sig);
    u.sig <<= n;
    u.exp -= (int32_t)n;
    return u;
}

unsigned sfi_prec(const SfStatus *st)
{
    switch (st->pc) {
    case SF_PC_24: return 24;
    case SF_PC_53: return 53;
    default: return 64;
    }
}

/* ------------------------------------------------------------------ */
/* Rounding                                                             */

/* Keeps the bits of sig above bit `drop` (64 <= drop < 128), rounded by
 * rc. The result may be one more than the largest kept value (a carry out
 * of the kept bits): the caller renormalizes. */
static SfU128 round_kept(SfU128 sig, unsigned drop, bool sign, unsigned rc, bool *inexact,
                         bool *up)
{
    SfU128 kept = sig >> drop;
    SfU128 rest = sig & (((SfU128)1 << drop) - 1);
    SfU128 half = (SfU128)1 << (drop - 1);
    bool inc;
    switch (rc) {
    case SF_RC_NEAREST: inc = rest > half || (rest == half && (kept & 1)); break;
    case SF_RC_DOWN: inc = rest != 0 && sign; break;
    case SF_RC_UP: inc = rest != 0 && !sign; break;
    default: inc = false; break;
    }
    *inexact = rest != 0;
    *up = inc;
    return kept + inc;
}

/* The rounded value of a finite non-zero intermediate in a format with
 * biased exponents 1..emax for normals and a denormal scale of 1: exp is
 * that format's bias. mant has the integer bit at 63; exp 0 with a clear
 * integer bit is a denormal or zero; exp emax + 1 an infinity. wrap is the
 * bias adjustment of an unmasked overflow/underflow (0: memory format,
 * where nothing is stored then and the value does not matter). */
typedef struct Rounded {
    int32_t exp;
    uint64_t mant;
} Rounded;

static Rounded round_core(bool sign, int32_t exp, SfU128 sig, unsigned prec, int32_t emax,
                          int32_t wrap, SfStatus *st)
{
    unsigned drop = 128 - prec;
    bool inexact, up;
    SfU128 k = round_kept(sig, drop, sign, st->rc, &inexact, &up);
    int32_t e = exp;
    if (k >> prec) { /* rounded up to the next power of two */
        k >>= 1;
        e++;
    }
    uint64_t mant = (uint64_t)(k << (64 - prec));

    if (e > emax) {
        if (!(st->masks & SF_OE)) {
            /* SDM Vol. 1 8.5.4: a memory destination gets nothing, and
             * the x87 reports OE alone; a register gets the rounded
             * result scaled back into range, or (FSCALE's massive
             * overflow) an infinity if even that does not fit. */
            if (wrap == 0) {
                st->flags |= SF_OE;
                return (Rounded){emax + 1, SF_INT_BIT};
            }
            if (e - wrap > emax) {
                st->flags |= SF_OE | SF_PE;
                st->c1 = true;
                return (Rounded){emax + 1, SF_INT_BIT};
            }
            st->flags |= SF_OE | (inexact ? SF_PE : 0);
            st->c1 = up;
            return (Rounded){e - wrap, mant};
        }
        st->flags |= SF_OE | SF_PE;
        bool to_inf = st->rc == SF_RC_NEAREST || (st->rc == SF_RC_UP && !sign) ||
                      (st->rc == SF_RC_DOWN && sign);
        st->c1 = to_inf;
        if (to_inf)
            return (Rounded){emax + 1, SF_INT_BIT};
        return (Rounded){emax, ~0ull << (64 - prec)};
    }
    if (e < 1) {
        /* Tiny after rounding with an unbounded exponent. */
        if (!(st->masks & SF_UE)) {
            /* SDM Vol. 1 8.5.5, as for overflow: UE alone for memory;
             * for a register the scaled result, or a zero (FSCALE's
             * massive underflow). */
            if (wrap == 0) {
                st->flags |= SF_UE;
                return (Rounded){0, 0};
            }
            if (e + wrap < 1) {
                st->flags |= SF_UE | SF_PE;
                return (Rounded){0, 0};
            }
            st->flags |= SF_UE | (inexact ? SF_PE : 0);
            st->c1 = up;
            return (Rounded){e + wrap, mant};
        }
        /* Masked: gradual underflow. Shift to the denormal scale and
         * round again at the same bit of the significand field. */
        SfU128 d = sfi_shr_jam128(sig, (uint32_t)(1 - exp));
        k = round_kept(d, drop, sign, st->rc, &inexact, &up);
        mant = (uint64_t)(k << (64 - prec));
        if (inexact)
            st->flags |= SF_UE | SF_PE;
        st->c1 = up;
        return (Rounded){(mant & SF_INT_BIT) ? 1 : 0, mant};
    }
    if (inexact)
        st->flags |= SF_PE;
    st->c1 = up;
    return (Rounded){e, mant};
}

Fx80 sfi_round_pack(bool sign, int32_t exp, SfU128 sig, unsigned prec, SfStatus *st)
{
    if (sig == 0) {
        st->c1 = false;
        return sfi_zero(sign);
    }
    Rounded r = round_core(sign, exp, sig, prec, SF_EXP_MAX, SF_WRAP, st);
    return sfi_pack(sign, (uint16_t)r.exp, r.mant);
}

/* A finite non-zero unpacked operand, rounded back into a register. */
static Fx80 round_unpacked(SfUnpacked u, unsigned prec, SfStatus *st)
{
    return sfi_round_pack(u.sign, u.exp, (SfU128)u.sig << 64, prec, st);
}

/* ------------------------------------------------------------------ */
/* NaNs and invalid operands                                            */

Fx80 sfi_invalid(SfStatus *st)
{
    st->flags |= SF_IE;
    return sf_indefinite();
}

static inline Fx80 quieted(Fx80 a)
{
    a.mant |= SF_QUIET_BIT;
    return a;
}

Fx80 sfi_propagate_nan(Fx80 a, Fx80 b, SfStatus *st)
{
    SfClass ca = sfi_class(a), cb = sfi_class(b);
    if (ca == SFC_SNAN || cb == SFC_SNAN)
        st->flags |= SF_IE;
    if (!is_nan_class(cb))
        return quieted(a);
    if (!is_nan_class(ca))
        return quieted(b);
    /* Two NaNs (Table 4-7): a QNaN beats an SNaN; otherwise the larger
     * significand, then the positive sign. */
    if (ca != cb)
        return ca == SFC_QNAN ? a : b;
    if (a.mant != b.mant)
        return quieted(a.mant > b.mant ? a : b);
    return quieted(sf_sign(a) ? b : a);
}

bool sfi_nan_operands(Fx80 a, Fx80 b, Fx80 *res, SfStatus *st)
{
    SfClass ca = sfi_class(a), cb = sfi_class(b);
    if (ca == SFC_UNSUPPORTED || cb == SFC_UNSUPPORTED) {
        *res = sfi_invalid(st);
        return true;
    }
    if (is_nan_class(ca) || is_nan_class(cb)) {
        *res = sfi_propagate_nan(a, b, st);
        return true;
    }
    return false;
}

/* The denormal-operand exception for the operands of one operation; true
 * when it is unmasked (the operation then stops). den: an operand came
 * from a single or double denormal in memory (exact here, but still a
 * denormal operand to the x87). */
static bool denormal_check(SfClass ca, SfClass cb, bool den, SfStatus *st)
{
    if (ca == SFC_DENORMAL || cb == SFC_DENORMAL || den)
        return sfi_raise(st, SF_DE);
    return false;
}

/* ------------------------------------------------------------------ */
/* Add, subtract, multiply, divide, square root                        */

static Fx80 add_sub(Fx80 a, Fx80 b, bool negate_b, bool den, SfStatus *st)
{
    Fx80 res;
    st->c1 = false;
    if (sfi_nan_operands(a, b, &res, st))
        return res;
    SfClass ca = sfi_class(a), cb = sfi_class(b);
    bool sa = sf_sign(a), sb = sf_sign(b) ^ negate_b;
    if (ca == SFC_INF || cb == SFC_INF) {
        if (ca == SFC_INF && cb == SFC_INF && sa != sb)
            return sfi_invalid(st);
        if (denormal_check(ca, cb, den, st))
            return a;
        return sfi_inf(ca == SFC_INF ? sa : sb);
    }
    if (denormal_check(ca, cb, den, st))
        return a;
    unsigned prec = sfi_prec(st);
    if (ca == SFC_ZERO && cb == SFC_ZERO)
        return sfi_zero(sa == sb ? sa : st->rc == SF_RC_DOWN);
    if (cb == SFC_ZERO)
        return round_unpacked(sfi_unpack(a), prec, st);
    if (ca == SFC_ZERO) {
        SfUnpacked ub = sfi_unpack(b);
        ub.sign = sb;
        return round_unpacked(ub, prec, st);
    }
    SfUnpacked x = sfi_unpack(a), y = sfi_unpack(b);
    y.sign = sb;
    if (y.exp > x.exp || (y.exp == x.exp && y.sig > x.sig)) {
        SfUnpacked t = x;
        x = y;
        y = t;
    }
    SfU128 big = (SfU128)x.sig << 64;
    SfU128 small = sfi_shr_jam128((SfU128)y.sig << 64, (uint32_t)(x.exp - y.exp));
    int32_t e = x.exp;
    SfU128 s;
    if (x.sign == y.sign) {
        s = big + small;
        if (s < big) { /* carry out of bit 127 */
            s = (s >> 1) | (s & 1) | ((SfU128)1 << 127);
            e++;
        }
    } else {
        s = big - small;
        if (s == 0) /* x - x: +0, or -0 when rounding down (IEEE 754 6.3) */
            return sfi_zero(st->rc == SF_RC_DOWN);
        unsigned n = sfi_clz128(s);
        s <<= n;
        e -= (int32_t)n;
    }
    return sfi_round_pack(x.sign, e, s, prec, st);
}

Fx80 sf_add(Fx80 a, Fx80 b, SfStatus *st) { return add_sub(a, b, false, false, st); }
Fx80 sf_sub(Fx80 a, Fx80 b, SfStatus *st) { return add_sub(a, b, true, false, st); }

static Fx80 multiply(Fx80 a, Fx80 b, bool den, SfStatus *st)
{
    Fx80 res;
    st->c1 = false;
    if (sfi_nan_operands(a, b, &res, st))
        return res;
    SfClass ca = sfi_class(a), cb = sfi_class(b);
    bool sign = sf_sign(a) ^ sf_sign(b);
    if (ca == SFC_INF || cb == SFC_INF) {
        if (ca == SFC_ZERO || cb == SFC_ZERO)
            return sfi_invalid(st);
        if (denormal_check(ca, cb, den, st))
            return a;
        return sfi_inf(sign);
    }
    if (denormal_check(ca, cb, den, st))
        return a;
    if (ca == SFC_ZERO || cb == SFC_ZERO)
        return sfi_zero(sign);
    SfUnpacked x = sfi_unpack(a), y = sfi_unpack(b);
    SfU128 p = sfi_mul64(x.sig, y.sig); /* in [2^126, 2^128) */
    int32_t e = x.exp + y.exp - SF_BIAS + 1;
    if (!(p >> 127)) {
        p <<= 1;
        e--;
    }
    return sfi_round_pack(sign, e, p, sfi_prec(st), st);
}

Fx80 sf_mul(Fx80 a, Fx80 b, SfStatus *st) { return multiply(a, b, false, st); }

static Fx80 divide(Fx80 a, Fx80 b, bool den, SfStatus *st)
{
    Fx80 res;
    st->c1 = false;
    if (sfi_nan_operands(a, b, &res, st))
        return res;
    SfClass ca = sfi_class(a), cb = sfi_class(b);
    bool sign = sf_sign(a) ^ sf_sign(b);
    if (ca == SFC_INF) {
        if (cb == SFC_INF)
            return sfi_invalid(st);
        if (denormal_check(ca, cb, den, st))
            return a;
        return sfi_inf(sign);
    }
    if (cb == SFC_INF) {
        if (denormal_check(ca, cb, den, st))
            return a;
        return sfi_zero(sign);
    }
    if (cb == SFC_ZERO) {
        /* Zero divide ranks above the denormal operand (SDM Vol. 1
         * 4.9.2): a denormal divided by zero raises ZE alone. */
        if (ca == SFC_ZERO)
            return sfi_invalid(st);
        if (sfi_raise(st, SF_ZE))
            return a;
        return sfi_inf(sign);
    }
    if (denormal_check(ca, cb, den, st))
        return a;
    if (ca == SFC_ZERO)
        return sfi_zero(sign);
    SfUnpacked x = sfi_unpack(a), y = sfi_unpack(b);
    /* A 64-bit quotient with its leading bit at 63, then 64 more bits and
     * a sticky bit for the remainder. */
    unsigned shift = x.sig >= y.sig ? 63 : 64;
    int32_t e = x.exp - y.exp + SF_BIAS - (shift == 64);
    SfU128 num = (SfU128)x.sig << shift;
    uint64_t q1 = (uint64_t)(num / y.sig);
    SfU128 r = num % y.sig;
    num = r << 64;
    uint64_t q2 = (uint64_t)(num / y.sig);
    r = num % y.sig;
    SfU128 q = ((SfU128)q1 << 64) | q2 | (r != 0);
    return sfi_round_pack(sign, e, q, sfi_prec(st), st);
}

Fx80 sf_div(Fx80 a, Fx80 b, SfStatus *st) { return divide(a, b, false, st); }

/* floor(sqrt(r)) and the remainder r - root^2, digit by digit. */
static uint64_t isqrt128(SfU128 r, SfU128 *rem)
{
    SfU128 root = 0, bit = (SfU128)1 << 126;
    while (bit > r)
        bit >>= 2;
    while (bit) {
        if (r >= root + bit) {
            r -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    *rem = r;
    return (uint64_t)root;
}

Fx80 sf_sqrt(Fx80 a, SfStatus *st)
{
    Fx80 res;
    st->c1 = false;
    if (sfi_nan_operands(a, a, &res, st))
        return res;
    SfClass ca = sfi_class(a);
    if (ca == SFC_ZERO)
        return a;
    if (sf_sign(a))
        return sfi_invalid(st);
    if (ca == SFC_INF)
        return a;
    if (denormal_check(ca, ca, false, st))
        return a;
    SfUnpacked x = sfi_unpack(a);
    /* value = sig * 2^t; take R = sig * 2^k with t - k even, R in
     * [2^126, 2^128), so that its root has exactly 64 bits. */
    int32_t t = x.exp - SF_BIAS - 63;
    unsigned k = ((t - 63) & 1) ? 64 : 63;
    SfU128 rem;
    uint64_t s = isqrt128((SfU128)x.sig << k, &rem);
    /* The root is never exactly s + 1/2, so rem > s means above half. */
    SfU128 sig = ((SfU128)s << 64) | (rem > s ? (SfU128)1 << 63 : 0) | (rem != 0);
    int32_t e = (t - (int32_t)k) / 2 + 63 + SF_BIAS;
    return sfi_round_pack(false, e, sig, sfi_prec(st), st);
}

/* ------------------------------------------------------------------ */
/* FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1                               */

/* The integer nearest to a finite non-zero u by rc (or toward zero),
 * as a magnitude of up to 2^64; unbiased exponents of 64 or more return
 * false (out of every range) without rounding. */
static bool round_to_integer(SfUnpacked u, unsigned rc, SfU128 *out, bool *inexact, bool *up)
{
    int32_t e = u.exp - SF_BIAS;
    if (e >= 64)
        return false;
    SfU128 x = (SfU128)u.sig << 64;
    if (e < 63)
        x = sfi_shr_jam128(x, (uint32_t)(63 - e));
    *out = round_kept(x, 64, u.sign, rc, inexact, up);
    return true;
}

static Fx80 from_u64(bool sign, uint64_t m)
{
    if (m == 0)
        return sfi_zero(sign);
    unsigned n = sfi_clz64(m);
    return sfi_pack(sign, (uint16_t)(SF_BIAS + 63 - n), m << n);
}

Fx80 sf_round_to_int(Fx80 a, SfStatus *st)
{
    Fx80 res;
    st->c1 = false;
    if (sfi_nan_operands(a, a, &res, st))
        return res;
    SfClass ca = sfi_class(a);
    if (ca == SFC_ZERO || ca == SFC_INF)
        return a;
    if (denormal_check(ca, ca, false, st))
        return a;
    SfUnpacked u = sfi_unpack(a);
    if (u.exp - SF_BIAS >= 63)
        return a; /* already an integer (a normal: canonical as it is) */
    SfU128 k;
    bool inexact, up;
    round_to_integer(u, st->rc, &k, &inexact, &up);
    if (inexact)
        st->flags |= SF_PE;
    st->c1 = up;
    return from_u64(u.sign, (uint64_t)k); /* k <= 2^63 here */
}

Fx80 sf_scale(Fx80 a, Fx80 b, SfStatus *st)
{
    Fx80 res;
    st->c1 = false;
    if (sfi_nan_operands(a, b, &res, st))
        return res;
    SfClass ca = sfi_class(a), cb = sfi_class(b);
    if (cb == SFC_INF) {
        /* SDM Vol. 2 FSCALE table: 0 * 2^+inf and inf * 2^-inf are
         * invalid; otherwise the scale saturates. */
        if (!sf_sign(b)) {
            if (ca == SFC_ZERO)
                return sfi_invalid(st);
            if (denormal_check(ca, cb, false, st))
                return a;
            return sfi_inf(sf_sign(a));
        }
        if (ca == SFC_INF)
            return sfi_invalid(st);
        if (denormal_check(ca, cb, false, st))
            return a;
        return sfi_zero(sf_sign(a));
    }
    if (denormal_check(ca, cb, false, st))
        return a;
    if (ca == SFC_INF || ca == SFC_ZERO)
        return a;
    /* trunc(b), saturated well beyond any exponent that can matter. */
    int32_t n = 0;
    if (cb != SFC_ZERO) {
        SfUnpacked ub = sfi_unpack(b);
        int32_t e = ub.exp - SF_BIAS;
        if (e >= 20)
            n = 1 << 20;
        else if (e >= 0)
            n = (int32_t)(ub.sig >> (63 - e));
        if (ub.sign)
            n = -n;
    }
    SfUnpacked u = sfi_unpack(a);
    u.exp += n;
    return round_unpacked(u, 64, st);
}

Fx80 sf_xtract(Fx80 a, Fx80 *sig, SfStatus *st)
{
    Fx80 res;
    st->c1 = false;
    if (sfi_nan_operands(a, a, &res, st)) {
        *sig = res;
        return res;
    }
    SfClass ca = sfi_class(a);
    if (ca == SFC_ZERO) {
        /* SDM Vol. 2 FXTRACT: a zero raises ZE; the exponent is -inf. */
        *sig = a;
        sfi_raise(st, SF_ZE);
        return sfi_inf(true);
    }
    if (ca == SFC_INF) {
        *sig = a;
        return sfi_inf(false);
    }
    if (denormal_check(ca, ca, false, st)) {
        *sig = a;
        return a;
    }
    SfUnpacked u = sfi_unpack(a);
    *sig = sfi_pack(u.sign, SF_BIAS, u.sig);
    return sf_from_i64(u.exp - SF_BIAS);
}

Fx80 sf_prem(Fx80 a, Fx80 b, bool ieee, unsigned *q, bool *incomplete, SfStatus *st)
{
    Fx80 res;
    *q = 0;
    *incomplete = false;
    st->c1 = false;
    if (sfi_nan_operands(a, b, &res, st))
        return res;
    SfClass ca = sfi_class(a), cb = sfi_class(b);
    if (ca == SFC_INF || cb == SFC_ZERO)
        return sfi_invalid(st);
    if (denormal_check(ca, cb, false, st))
        return a;
    if (ca == SFC_ZERO)
        return a;
    SfUnpacked x = sfi_unpack(a);
    /* a rem inf is a, normalized like any result (a denormal remainder
     * raises UE when that is unmasked). */
    if (cb == SFC_INF)
        return round_unpacked(x, 64, st);
    SfUnpacked y = sfi_unpack(b);
    int32_t d = x.exp - y.exp;
    if (d < (ieee ? -1 : 0))
        return round_unpacked(x, 64, st); /* |a| < |b| (/2): a itself */
    /* num / den with both scaled by 2, so that FPREM1's half-way test is
     * an integer compare; the unit of num, den and the remainder is
     * 2^(lsb(b) - 1) for a complete reduction. */
    int32_t shift = d + 1;
    int32_t unit = y.exp - SF_BIAS - 63 - 1;
    bool partial = d >= 64;
    if (partial) {
        /* SDM Vol. 2 FPREM: reduce by b * 2^(d - N) at most, C2 = 1. */
        int32_t n = 32 + d % 32;
        shift = n + 1;
        unit += d - n;
        *incomplete = true;
    }
    SfU128 num = (SfU128)x.sig << shift, den = (SfU128)y.sig << 1;
    SfU128 quo = num / den, rem = num % den;
    bool sign = x.sign;
    if (ieee && !partial && (rem * 2 > den || (rem * 2 == den && (quo & 1)))) {
        rem = den - rem;
        quo++;
        sign = !sign;
    }
    /* An incomplete reduction reports no quotient bits (C0 C3 C1 = 0). */
    *q = partial ? 0 : (unsigned)(quo & 7);
    if (rem == 0)
        return sfi_zero(x.sign);
    unsigned lz = sfi_clz128(rem);
    return sfi_round_pack(sign, unit + 127 - (int32_t)lz + SF_BIAS, rem << lz, 64, st);
}

/* ------------------------------------------------------------------ */
/* Compare                                                              */

static int compare(Fx80 a, Fx80 b, bool quiet, bool den, SfStatus *st)
{
    SfClass ca = sfi_class(a), cb = sfi_class(b);
    if (ca == SFC_UNSUPPORTED || cb == SFC_UNSUPPORTED) {
        st->flags |= SF_IE;
        return 2;
    }
    if (is_nan_class(ca) || is_nan_class(cb)) {
        if (!quiet || ca == SFC_SNAN || cb == SFC_SNAN)
            st->flags |= SF_IE;
        return 2;
    }
    if (denormal_check(ca, cb, den, st))
        return 2;
    if (ca == SFC_ZERO && cb == SFC_ZERO)
        return 0;
    bool sa = sf_sign(a), sb = sf_sign(b);
    if (ca == SFC_ZERO)
        return sb ? 1 : -1;
    if (cb == SFC_ZERO || sa != sb)
        return sa ? -1 : 1;
    /* Same sign, both non-zero: compare magnitudes. */
    int mag;
    if (ca == SFC_INF || cb == SFC_INF) {
        mag = (ca == SFC_INF) - (cb == SFC_INF);
    } else {
        SfUnpacked x = sfi_unpack(a), y = sfi_unpack(b);
        if (x.exp != y.exp)
            mag = x.exp > y.exp ? 1 : -1;
        else
            mag = x.sig == y.sig ? 0 : x.sig > y.sig ? 1 : -1;
    }
    return sa ? -mag : mag;
}

int sf_compare(Fx80 a, Fx80 b, bool quiet, SfStatus *st) { return compare(a, b, quiet, false, st); }

/* ------------------------------------------------------------------ */
/* Conversions                                                          */

Fx80 sf_from_i64(int64_t v)
{
    bool sign = v < 0;
    uint64_t m = sign ? 0 - (uint64_t)v : (uint64_t)v;
    return from_u64(sign, m);
}

/* A single (dbl false) or double real, exactly: an SNaN stays signaling
 * and nothing is raised; *den is set for a denormal (normalized here). */
static Fx80 ieee_operand(uint64_t v, bool dbl, bool *den)
{
    unsigned frac_bits = dbl ? 52 : 23, exp_bits = dbl ? 11 : 8;
    int32_t bias = dbl ? 1023 : 127;
    bool sign = (v >> (frac_bits + exp_bits)) & 1;
    int32_t e = (int32_t)((v >> frac_bits) & ((1u << exp_bits) - 1));
    uint64_t f = v & ((1ull << frac_bits) - 1);
    *den = false;
    if (e == (int32_t)(1u << exp_bits) - 1) {
        if (f == 0)
            return sfi_inf(sign);
        return sfi_pack(sign, SF_EXP_INF, SF_INT_BIT | f << (63 - frac_bits));
    }
    if (e == 0) {
        if (f == 0)
            return sfi_zero(sign);
        *den = true;
        unsigned n = sfi_clz64(f);
        /* value = f * 2^(1 - bias - frac_bits) */
        int32_t x = 1 - bias - (int32_t)frac_bits + 63 - (int32_t)n + SF_BIAS;
        return sfi_pack(sign, (uint16_t)x, f << n);
    }
    return sfi_pack(sign, (uint16_t)(e - bias + SF_BIAS), SF_INT_BIT | f << (63 - frac_bits));
}

/* FLD m32fp/m64fp: exact; an SNaN raises IE and is quieted, a denormal
 * raises DE. */
static Fx80 from_ieee(uint64_t v, bool dbl, SfStatus *st)
{
    bool den;
    Fx80 r = ieee_operand(v, dbl, &den);
    st->c1 = false;
    if (sfi_class(r) == SFC_SNAN) {
        st->flags |= SF_IE;
        r.mant |= SF_QUIET_BIT;
    }
    if (den && sfi_raise(st, SF_DE))
        return sfi_zero(sf_sign(r));
    return r;
}

Fx80 sf_arith_mem(unsigned op, Fx80 x, uint64_t m, bool dbl, SfStatus *st)
{
    bool den;
    Fx80 y = ieee_operand(m, dbl, &den);
    switch (op) {
    case SF_OP_ADD: return add_sub(x, y, false, den, st);
    case SF_OP_MUL: return multiply(x, y, den, st);
    case SF_OP_SUB: return add_sub(x, y, true, den, st);
    case SF_OP_SUBR: return add_sub(y, x, true, den, st);
    case SF_OP_DIV: return divide(x, y, den, st);
    default: return divide(y, x, den, st);
    }
}

int sf_compare_mem(Fx80 x, uint64_t m, bool dbl, SfStatus *st)
{
    bool den;
    Fx80 y = ieee_operand(m, dbl, &den);
    return compare(x, y, false, den, st);
}

Fx80 sf_from_f32(uint32_t v, SfStatus *st) { return from_ieee(v, false, st); }
Fx80 sf_from_f64(uint64_t v, SfStatus *st) { return from_ieee(v, true, st); }

/* Stores to the IEEE single and double formats, rounded by st->rc (the
 * precision control does not apply to stores). */
static uint64_t to_ieee(Fx80 a, unsigned frac_bits, int32_t bias, SfStatus *st)
{
    unsigned exp_bits = frac_bits == 23 ? 8 : 11;
    uint64_t sign = (uint64_t)sf_sign(a) << (frac_bits + exp_bits);
    uint64_t inf = (((1ull << exp_bits) - 1) << frac_bits);
    uint64_t qbit = 1ull << (frac_bits - 1);
    st->c1 = false;
    switch (sfi_class(a)) {
    case SFC_UNSUPPORTED: st->flags |= SF_IE; return (1ull << (frac_bits + exp_bits)) | inf | qbit;
    case SFC_SNAN: /* stored quieted */
    case SFC_QNAN:
        if (!(a.mant & SF_QUIET_BIT))
            st->flags |= SF_IE;
        return sign | inf | qbit | ((a.mant << 1) >> (64 - frac_bits));
    case SFC_INF: return sign | inf;
    case SFC_ZERO: return sign;
    default: break;
    }
    SfUnpacked u = sfi_unpack(a);
    Rounded r = round_core(u.sign, u.exp - SF_BIAS + bias, (SfU128)u.sig << 64, frac_bits + 1,
                           2 * bias, 0, st);
    return sign | ((uint64_t)r.exp << frac_bits) | ((r.mant << 1) >> (64 - frac_bits));
}

uint32_t sf_to_f32(Fx80 a, SfStatus *st) { return (uint32_t)to_ieee(a, 23, 127, st); }
uint64_t sf_to_f64(Fx80 a, SfStatus *st) { return to_ieee(a, 52, 1023, st); }

int64_t sf_to_int(Fx80 a, unsigned bits, bool trunc, SfStatus *st)
{
    int64_t indef = (int64_t)(~0ull << (bits - 1)); /* the most negative value */
    st->c1 = false;
    SfClass ca = sfi_class(a);
    if (ca == SFC_ZERO)
        return 0;
    if (ca != SFC_NORMAL && ca != SFC_DENORMAL) {
        st->flags |= SF_IE;
        return indef;
    }
    SfUnpacked u = sfi_unpack(a);
    SfU128 k;
    bool inexact, up;
    uint64_t limit = (1ull << (bits - 1)) - !u.sign; /* magnitude allowed */
    if (!round_to_integer(u, trunc ? SF_RC_ZERO : st->rc, &k, &inexact, &up) || k > limit) {
        st->flags |= SF_IE;
        return indef;
    }
    if (inexact)
        st->flags |= SF_PE;
    st->c1 = up;
    uint64_t m = (uint64_t)k;
    return u.sign ? (int64_t)(0 - m) : (int64_t)m;
}

Fx80 sf_from_bcd(const uint8_t bcd[10])
{
    uint64_t v = 0;
    for (int i = 8; i >= 0; i--) {
        v = v * 10 + (bcd[i] >> 4);
        v = v * 10 + (bcd[i] & 15);
    }
    Fx80 r = from_u64(false, v);
    if (bcd[9] & 0x80)
        r.se |= 0x8000;
    return r;
}

void sf_to_bcd(Fx80 a, uint8_t bcd[10], SfStatus *st)
{
    static const uint8_t indefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
    st->c1 = false;
    SfClass ca = sfi_class(a);
    uint64_t m = 0;
    if (ca != SFC_ZERO) {
        SfU128 k;
        bool inexact, up;
        if ((ca != SFC_NORMAL && ca != SFC_DENORMAL) ||
            !round_to_integer(sfi_unpack(a), st->rc, &k, &inexact, &up) ||
            k > 999999999999999999ull) {
            st->flags |= SF_IE;
            for (int i = 0; i < 10; i++)
                bcd[i] = indefinite[i];
            return;
        }
        if (inexact)
            st->flags |= SF_PE;
        st->c1 = up;
        m = (uint64_t)k;
    }
    for (int i = 0; i < 9; i++) {
        uint8_t lo = (uint8_t)(m % 10);
        m /= 10;
        bcd[i] = (uint8_t)(lo | (m % 10) << 4);
        m /= 10;
    }
    bcd[9] = sf_sign(a) ? 0x80 : 0;
}
