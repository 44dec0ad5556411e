/*
 * sf_trans.c - the x87 transcendental instructions in portable integer
 * arithmetic: FSIN, FCOS, FPTAN (and so FSINCOS), FPATAN, F2XM1, FYL2X,
 * FYL2XP1, the same on every host (no host floating point, no libm).
 *
 * What a real x87 computes (SDM Vol. 1 8.3.10, Vol. 2 on each
 * instruction), and what is modelled here:
 *  - FSIN/FCOS/FPTAN reduce their argument with a 66-bit approximation of
 *    pi, not with pi itself (SDM Vol. 1 8.3.10, "Transcendental
 *    Instruction Accuracy"): r = |x| - k * pi66/2, pi66 = pi rounded to
 *    66 bits = 0xC90FDAA22168C234C * 2^-66, k the nearest integer. r is
 *    exact (a multiple of 2^-65 below 1), and the result is sin/cos/tan of
 *    r in the quadrant of k. So sin(pi rounded to 64 bits) is -2^-64 here
 *    as on a real x87, where the true value is -0.925 * 2^-64: near a
 *    multiple of pi the result is the exact function of a slightly wrong
 *    reduced argument. |x| >= 2^63: C2 = 1, the operand left unchanged.
 *  - The function of the reduced argument is evaluated to about 122 bits
 *    in a 128-bit "wide" float (Wide: 128-bit significand, 32-bit
 *    exponent) whose operations truncate and jam the lost bits into the
 *    last bit, so that the direction of a neglected tail survives; then it
 *    is rounded once to 64 bits by RC. The result is the exact value (of
 *    the reduced argument) correctly rounded, unless that value lies
 *    within about 2^-58 ulp of a rounding boundary. Precision control does
 *    not apply (SDM Vol. 1 8.1.5.2 lists the instructions it affects; the
 *    transcendentals are not among them, and the host x87 agrees).
 *  - Methods (all textbook): sin and cos by their Taylor series on
 *    |r| <= pi/4; tan = sin/cos; atan by a table of atan(i/32) and the
 *    series of atan((t - c)/(1 + tc)); log2 by a table of log2(i/32) and
 *    2 atanh((m - c)/(m + c)) / ln 2; 2^x - 1 by a table of 2^(j/16) - 1
 *    and the series of expm1((x - j/16) ln 2). Tiny arguments use the two
 *    leading terms of the series, which keeps the sign of the tiny
 *    correction, so that the directed roundings go the right way. The
 *    constants were computed to 128 bits with a multiple-precision
 *    library.
 *  - Exceptions: unsupported operands (unnormals, pseudo-NaN/infinity) and
 *    SNaN -> IE; NaNs propagate as in SDM Vol. 1 Table 4-7; denormal
 *    operands -> DE; each instruction's special-case table in SDM Vol. 2
 *    (FPATAN Table 3-29 for the quadrants and signed zeros; FYL2X and
 *    FYL2XP1 for zero, one and infinity); tiny results -> UE, tininess
 *    detected after rounding (SDM Vol. 1 4.9.1.5), masked: denormalised,
 *    unmasked: exponent + 24576; overflow (FYL2X only) -> OE. An unmasked
 *    IE, ZE or DE returns at once (the caller stores nothing), as the x87
 *    checks them before it computes.
 *  - PE and C1: every result that goes through the computation sets PE,
 *    even when it happens to be exact (fyl2x(8, y) = 3y, f2xm1(1) = 1),
 *    and an exact tiny one UE: the host x87 does so too. C1 = 1 when the
 *    rounding went up in magnitude. Special-case results (zeros,
 *    infinities, NaNs) are exact and set neither.
 *  - Operand classes, NaN propagation and the final round-and-pack come
 *    from softfloat_internal.h, shared with softfloat.c; the wide
 *    arithmetic is this file's.
 *
 * Where the SDM says "undefined", this follows the host x87 (no P6 was at
 * hand): F2XM1 with |x| > 1 returns x unchanged and sets PE; FYL2XP1 is
 * computed as y * log2(1 + x) for every x > -1 (not only for |x| <
 * 1 - sqrt(2)/2), and for x <= -1 with a finite nonzero y it returns x
 * unchanged with PE.
 *
 * Known deviations (docs/fpu-transcendentals.md has the measurements):
 * a real x87 carries only a few guard bits (the host's results are off by
 * up to about 0.1 ulp before their final rounding), so they are not
 * always correctly rounded; where its internal value fell on the other
 * side of a rounding boundary, or on a representable number, its result
 * or its C1 differs from ours by one. The reference for the measurements
 * is the AMD Zen x87 of the development host, which may itself differ
 * from a P6 in the last bit. F2XM1(+1) gives exactly 1 here; the host
 * gives 1 - ulp under RC down and RC zero (and C1 = 1 under the others).
 * For FPTAN of arguments below about 2^-34 the host's tangent is biased
 * low (x - tiny for x + x^3/3): its directed roundings differ from ours.
 */
#include <stdbool.h>
#include <stdint.h>

#include "cpu/softfloat.h"
#include "cpu/softfloat_internal.h"

typedef SfU128 U128;

/* A constant: significand hi:lo (bit 127 set unless zero), value
 * hi:lo * 2^(e - 127). */
typedef struct WConst {
    uint64_t hi, lo;
    int16_t e;
    bool neg;
} WConst;

/* The working format: m * 2^(e - 127), m normalised (bit 127 set) or 0. */
typedef struct Wide {
    U128 m;
    int32_t e;
    bool neg;
} Wide;

/* ------------------------------------------------------------------ */
/* constants (pi, ln 2 and the series and table values, to 128 bits)   */

/* 1/n!, n = 0..34 */
static const WConst INV_FACT[35] = {
    {0x8000000000000000ull, 0x0000000000000000ull, 0, false},
    {0x8000000000000000ull, 0x0000000000000000ull, 0, false},
    {0x8000000000000000ull, 0x0000000000000000ull, -1, false},
    {0xaaaaaaaaaaaaaaaaull, 0xaaaaaaaaaaaaaaabull, -3, false},
    {0xaaaaaaaaaaaaaaaaull, 0xaaaaaaaaaaaaaaabull, -5, false},
    {0x8888888888888888ull, 0x8888888888888889ull, -7, false},
    {0xb60b60b60b60b60bull, 0x60b60b60b60b60b6ull, -10, false},
    {0xd00d00d00d00d00dull, 0x00d00d00d00d00d0ull, -13, false},
    {0xd00d00d00d00d00dull, 0x00d00d00d00d00d0ull, -16, false},
    {0xb8ef1d2ab6399c7dull, 0x560e4472800b8ef2ull, -19, false},
    {0x93f27dbbc4fae397ull, 0x780b69f5333c725bull, -22, false},
    {0xd7322b3faa271c7full, 0x3a3f25c1bee38f10ull, -26, false},
    {0x8f76c77fc6c4bdaaull, 0x26d4c3d67f425f60ull, -29, false},
    {0xb092309d43684be5ull, 0x1c198e91d7b4269eull, -33, false},
    {0xc9cba54603e4e905ull, 0xd6f8a2efd1f27546ull, -37, false},
    {0xd73f9f399dc0f88eull, 0xc32b58774657f48full, -41, false},
    {0xd73f9f399dc0f88eull, 0xc32b58774657f48full, -45, false},
    {0xca963b81856a5359ull, 0x3028cbbb8d7ff53cull, -49, false},
    {0xb413c31dcbecbbddull, 0x8024435161554bc3ull, -53, false},
    {0x97a4da340a0ab926ull, 0x50f61dbdcb3a5abfull, -57, false},
    {0xf2a15d201011283dull, 0x4e5695fc785d5dffull, -62, false},
    {0xb8dc77b6e7ab8c5full, 0x78a37e77372290c2ull, -66, false},
    {0x8671cb6dbfc294a2ull, 0x86485bf99c763abcull, -70, false},
    {0xbb0da098b1c0cecbull, 0xdc3826ebfb13cc27ull, -75, false},
    {0xf96780cb97abbe65ull, 0x25a033e54ec51034ull, -80, false},
    {0x9f9e66e8b2fd46a7ull, 0x22520cbbb7885c4aull, -84, false},
    {0xc4742fe35272cd1cull, 0x790285d3580a4a34ull, -89, false},
    {0xe8d58e16e6751905ull, 0x4d0c78aea13b9a50ull, -94, false},
    {0x850c5131a842e9b9ull, 0xe2e28e1aa546a152ull, -98, false},
    {0x92cfcc5a1ac56bd5ull, 0xf1873bb378948eb3ull, -103, false},
    {0x9c9962823eb07306ull, 0x56f6a614c4e2ba59ull, -108, false},
    {0xa1a6973c1fade217ull, 0x0f7237d35fe1c89eull, -113, false},
    {0xa1a6973c1fade217ull, 0x0f7237d35fe1c89eull, -118, false},
    {0x9cc092a6e86a8da9ull, 0xc166ffd4ba113ea8ull, -123, false},
    {0x9388118e07ebd09full, 0xc515a57ceb5b8644ull, -128, false},
};
/* 1/(2n+1), n = 0..10 */
static const WConst INV_ODD[11] = {
    {0x8000000000000000ull, 0x0000000000000000ull, 0, false},
    {0xaaaaaaaaaaaaaaaaull, 0xaaaaaaaaaaaaaaabull, -2, false},
    {0xccccccccccccccccull, 0xcccccccccccccccdull, -3, false},
    {0x9249249249249249ull, 0x2492492492492492ull, -3, false},
    {0xe38e38e38e38e38eull, 0x38e38e38e38e38e4ull, -4, false},
    {0xba2e8ba2e8ba2e8bull, 0xa2e8ba2e8ba2e8baull, -4, false},
    {0x9d89d89d89d89d89ull, 0xd89d89d89d89d89eull, -4, false},
    {0x8888888888888888ull, 0x8888888888888889ull, -4, false},
    {0xf0f0f0f0f0f0f0f0ull, 0xf0f0f0f0f0f0f0f1ull, -5, false},
    {0xd79435e50d79435eull, 0x50d79435e50d7943ull, -5, false},
    {0xc30c30c30c30c30cull, 0x30c30c30c30c30c3ull, -5, false},
};
/* atan(i/32), i = 0..32 */
static const WConst ATAN_TAB[33] = {
    {0, 0, 0, false},
    {0xffeaaddd4bb12542ull, 0x779d776dda8c6214ull, -6, false},
    {0xffaaddb967ef4e36ull, 0xcb2792dc0e2e0d51ull, -5, false},
    {0xbf70c13017887460ull, 0x93567e784cf83676ull, -4, false},
    {0xfeadd4d5617b6e32ull, 0xc897989f3e888ef8ull, -4, false},
    {0x9eb77746331362c3ull, 0x47619d250360fe85ull, -3, false},
    {0xbdcbda5e72d81134ull, 0x7b0b4f881c9c7488ull, -3, false},
    {0xdc86ba9493051022ull, 0xf621a5c1cb552f03ull, -3, false},
    {0xfadbafc96406eb15ull, 0x6dc79ef5f7a217e6ull, -3, false},
    {0x8c5fad185f8bc130ull, 0xca4748b1bf88298dull, -2, false},
    {0x9b13b9b83f5e5e69ull, 0xc5abb498d27af328ull, -2, false},
    {0xa9856cca8e6a4edaull, 0x99b7f77bf7d9e8c1ull, -2, false},
    {0xb7b0ca0f26f78473ull, 0x8aa32122dcfe4483ull, -2, false},
    {0xc59269ca50d92b6dull, 0xa1746e91f50a28deull, -2, false},
    {0xd327761e611fe5b6ull, 0x427c95e9001e7136ull, -2, false},
    {0xe06da64a764f7c67ull, 0xc631ed96798cb804ull, -2, false},
    {0xed63382b0dda7b45ull, 0x6fe445ecbc3a8d03ull, -2, false},
    {0xfa06e85aa0a0be5cull, 0x66d23c7d5dc8ecc2ull, -2, false},
    {0x832bf4a6d9867e2aull, 0x4b6a09cb61a515c1ull, -1, false},
    {0x892aecdfde9547b5ull, 0x094478fc472b4afcull, -1, false},
    {0x8f005d5ef7f59f9bull, 0x5c835e1665c43748ull, -1, false},
    {0x94ac72c9847186f6ull, 0x18c4f393f78a32f9ull, -1, false},
    {0x9a2f80e671bdda20ull, 0x4226f8e2204ff3bdull, -1, false},
    {0x9f89fdc4f4b7a1ecull, 0xf8b492644f0701e0ull, -1, false},
    {0xa4bc7d1934f70924ull, 0x19a87f2a457dac9full, -1, false},
    {0xa9c7abdc4830f5c8ull, 0x916a84b5be7933f6ull, -1, false},
    {0xaeac4c38b4d8c080ull, 0x14725e2f3e52070aull, -1, false},
    {0xb36b31c91f043691ull, 0x590141744462f93aull, -1, false},
    {0xb8053e2bc2319e73ull, 0xcb2da55210a4443dull, -1, false},
    {0xbc7b5deae98af280ull, 0xd4113006e80fb290ull, -1, false},
    {0xc0ce85b8ac526640ull, 0x89dd62c46e92fa25ull, -1, false},
    {0xc4ffaffabf8fbd54ull, 0x8cb43d10bc9e0221ull, -1, false},
    {0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, -1, false},
};
/* log2(i/32), i = 24..48 */
static const WConst LOG2_TAB[25] = {
    {0xd47fcb8c0852f0c0ull, 0xbfe9dbebf2e8a45eull, -2, true},
    {0xb6587b432e47501bull, 0x6d40900b25024b32ull, -2, true},
    {0x995ff71b8773432dull, 0x124bc6f1acf95dc4ull, -2, true},
    {0xfafec54831f1a484ull, 0x7f7b2787b173da32ull, -3, true},
    {0xc544c055fde99333ull, 0x54dbf16fb0695ee3ull, -3, true},
    {0x916d6e1559a4b696ull, 0x91d79938e7226384ull, -3, true},
    {0xbeb024b67dda6339ull, 0xda288fc615a727dcull, -4, true},
    {0xbb9ca64ecac6aaefull, 0x2e1c07f0438ebac0ull, -5, true},
    {0, 0, 0, false},
    {0xb5d69bac77ec3989ull, 0xb03784b5be084906ull, -5, false},
    {0xb31fb7d64898b3e6ull, 0x629c130a22bad61eull, -4, false},
    {0x8462c466d3cf1cb1ull, 0x3de37e852a9455eaull, -3, false},
    {0xae00d1cfdeb43cfdull, 0x00589050345d6e89ull, -3, false},
    {0xd67af16da7649f7full, 0x08f65e00c1b1a5a9ull, -3, false},
    {0xfde0b5c81340511dull, 0x46ccc53c2779af92ull, -3, false},
    {0x92203d587039cc12ull, 0x2dca5d22601dfddfull, -2, false},
    {0xa4d3c25e68dc57f2ull, 0x495fb7fa6d7eda67ull, -2, false},
    {0xb7110e6ce866f2bcull, 0x6a905a27b81e2219ull, -2, false},
    {0xc8ddd448f8b845a5ull, 0x95a82b5c34e2ac31ull, -2, false},
    {0xda3f5fb9c4150520ull, 0xa377c7ec513c756eull, -2, false},
    {0xeb3a9f01975077f1ull, 0xf5f0cc82aaa9ad7eull, -2, false},
    {0xfbd42b4658367670ull, 0xc98c002287ad91abull, -2, false},
    {0x86082806b1d532c4ull, 0x12ba94db12ef0aa8ull, -1, false},
    {0x8df988f4ae806f1dull, 0xa89d4ee66c3700e4ull, -1, false},
    {0x95c01a39fbd6879full, 0xa00b120a068badd1ull, -1, false},
};
/* 2^(j/16) - 1, j = -16..16 */
static const WConst EXP2M1_TAB[33] = {
    {0x8000000000000000ull, 0x0000000000000000ull, -1, true},
    {0xf4aa7930676f09d6ull, 0x746d48e7bd567c9cull, -2, true},
    {0xe8d47c382ae85232ull, 0x08373af14eb586e0ull, -2, true},
    {0xdc785918a9dc7993ull, 0xe0524e3ea34a6c50ull, -2, true},
    {0xcf901f5ce48ead21ull, 0x72a5b9cfa37a1213ull, -2, true},
    {0xc2159b3edcbddca4ull, 0xbeddc1ec288c045dull, -2, true},
    {0xb40252ac9d5d8e2bull, 0xc685013bd1df1fcaull, -2, true},
    {0xa54f822b7abd6a73ull, 0x6cfeae6e14cba277ull, -2, true},
    {0x95f619980c4336f7ull, 0x4d04ec99156a82c2ull, -2, true},
    {0x85eeb8c14fe79282ull, 0xaefdc09325e0a10cull, -2, true},
    {0xea6357baabe4948bull, 0x0754bcda6c898322ull, -3, true},
    {0xc76dcfab81edfc70ull, 0x7729f1c1a834e44aull, -3, true},
    {0xa2ec0cd4a58a542full, 0x1965d119bf4b0088ull, -3, true},
    {0xf999089eab58f777ull, 0xcd3b57db916661afull, -4, true},
    {0xa9f9c8c116de3689ull, 0x7e9452647c8d582aull, -4, true},
    {0xada82eadb7933d38ull, 0x462f3851267f03c9ull, -5, true},
    {0, 0, 0, false},
    {0xb5586cf9890f6298ull, 0xb92b71842a983643ull, -5, false},
    {0xb95c1e3ea8bd6e6full, 0xbe4628758a53c902ull, -4, false},
    {0x8e1e9b9d588e19b0ull, 0x7eb6c70572d64ec1ull, -3, false},
    {0xc1bf828c6dc54b7aull, 0x356918c17217b7b3ull, -3, false},
    {0xf7a993048d088d6dull, 0x0488f84f5dcfee8bull, -3, false},
    {0x97fb5aa6c544e3a8ull, 0x72f5fd885c41c06cull, -2, false},
    {0xb560fba90a852b19ull, 0x2602a323d668bb12ull, -2, false},
    {0xd413cccfe7799211ull, 0x65f626cdd52afa7cull, -2, false},
    {0xf4228e7d6030dafaull, 0xa2047ed9b43ebde8ull, -2, false},
    {0x8ace5422aa0db5baull, 0x7c55a192c9bb3e6full, -1, false},
    {0x9c49182a3f0901c7ull, 0xc46b071f2be58ddbull, -1, false},
    {0xae89f995ad3ad5e8ull, 0x734d1773205a7fbcull, -1, false},
    {0xc199bdd85529c222ull, 0x0cb12a091ba66794ull, -1, false},
    {0xd5818dcfba48725dull, 0xa05aeb66e0dca9f6ull, -1, false},
    {0xea4afa2a490d9858ull, 0xf73a18f5db301f87ull, -1, false},
    {0x8000000000000000ull, 0x0000000000000000ull, 0, false},
};
static const WConst K_PI = {0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 1, false};
static const WConst K_PI_2 = {0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, 0, false};
static const WConst K_PI_4 = {0xc90fdaa22168c234ull, 0xc4c6628b80dc1cd1ull, -1, false};
static const WConst K_3PI_4 = {0x96cbe3f9990e91a7ull, 0x9394c9e8a0a5159dull, 1, false};
static const WConst K_LN2 = {0xb17217f7d1cf79abull, 0xc9e3b39803f2f6afull, -1, false};
static const WConst K_2_LN2 = {0xb8aa3b295c17f0bbull, 0xbe87fed0691d3e89ull, 1, false};

/* pi66/2 (pi rounded to 66 bits, halved) in units of 2^-65: the P6's
 * argument-reduction constant, an odd 66-bit integer. */
#define PI66_HALF_HI 0x3ull                /* bits 64..65 */
#define PI66_HALF_LO 0x243F6A8885A308D3ull /* bits 0..63 */

/* Below this exponent a series argument is "tiny": the two leading terms
 * are exact to far below 2^-128, and the third would be lost in the noise
 * of the wide arithmetic anyway. */
#define TINY_EXP (-32)

/* ------------------------------------------------------------------ */
/* wide arithmetic: truncate, and jam lost bits into bit 0              */

static Wide w_zero(void)
{
    return (Wide){0, 0, false};
}

/* m * 2^scale, normalised. */
static Wide w_make(U128 m, int32_t scale, bool neg)
{
    if (!m) return w_zero();
    int lz = (int)sfi_clz128(m);
    return (Wide){m << lz, scale + 127 - lz, neg};
}

static Wide w_const(const WConst *c)
{
    return (Wide){((U128)c->hi << 64) | c->lo, c->e, c->neg};
}

static Wide w_int(int64_t v)
{
    return w_make(v < 0 ? (U128)(-(uint64_t)v) : (U128)v, 0, v < 0);
}

static Wide w_neg(Wide a)
{
    a.neg = !a.neg;
    return a;
}

static Wide w_abs(Wide a)
{
    a.neg = false;
    return a;
}

static Wide w_ldexp(Wide a, int32_t k)
{
    if (a.m) a.e += k;
    return a;
}

/* |a| compared with |b|: -1, 0, 1. */
static int w_cmp_abs(Wide a, Wide b)
{
    if (!a.m || !b.m) return (a.m != 0) - (b.m != 0);
    if (a.e != b.e) return a.e < b.e ? -1 : 1;
    return (a.m > b.m) - (a.m < b.m);
}

static Wide w_add(Wide a, Wide b)
{
    if (!b.m) return a;
    if (!a.m) return b;
    if (w_cmp_abs(a, b) < 0) {
        Wide t = a;
        a = b;
        b = t;
    }
    /* a part of b wholly below the last bit keeps only its direction */
    int64_t d = (int64_t)a.e - b.e;
    U128 bm = sfi_shr_jam128(b.m, d > 128 ? 128u : (uint32_t)d);
    if (a.neg == b.neg) {
        U128 s = a.m + bm;
        if (s < a.m) { /* carry out of bit 127 */
            s = (s >> 1) | (s & 1) | ((U128)1 << 127);
            a.e++;
        }
        a.m = s;
        return a;
    }
    U128 diff = a.m - bm;
    if (!diff) return w_zero();
    int lz = (int)sfi_clz128(diff);
    a.m = diff << lz;
    a.e -= lz;
    return a;
}

static Wide w_sub(Wide a, Wide b)
{
    return w_add(a, w_neg(b));
}

static Wide w_mul(Wide a, Wide b)
{
    if (!a.m || !b.m) return w_zero();
    uint64_t a1 = (uint64_t)(a.m >> 64), a0 = (uint64_t)a.m;
    uint64_t b1 = (uint64_t)(b.m >> 64), b0 = (uint64_t)b.m;
    U128 p00 = (U128)a0 * b0, p01 = (U128)a0 * b1, p10 = (U128)a1 * b0, p11 = (U128)a1 * b1;
    U128 mid = (p00 >> 64) + (uint64_t)p01 + (uint64_t)p10;
    U128 hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    U128 lo = ((U128)(uint64_t)mid << 64) | (uint64_t)p00;
    Wide r = {0, a.e + b.e, a.neg != b.neg};
    if (hi >> 127) {
        r.m = hi | (U128)(lo != 0);
        r.e += 1;
    } else {
        r.m = (hi << 1) | (lo >> 127) | (U128)((lo << 1) != 0);
    }
    return r;
}

/* One 64-bit quotient digit: floor((r * 2^64 + u) / b) for r < b, b with
 * bit 127 set (Knuth's algorithm D, one step: the estimate from the top
 * digits is at most 2 too large). *r becomes the remainder. */
static uint64_t div_digit(U128 *r, uint64_t u, U128 b)
{
    uint64_t b1 = (uint64_t)(b >> 64), b0 = (uint64_t)b;
    uint64_t n2 = (uint64_t)(*r >> 64);
    U128 n10 = (*r << 64) | u; /* numerator = n2 : n10 (192 bits) */
    uint64_t q = n2 >= b1 ? ~0ull : (uint64_t)(*r / b1);
    /* product q * b = p2 : p10 */
    U128 lo = (U128)q * b0, hi = (U128)q * b1;
    U128 p10 = (hi << 64) + lo;
    uint64_t p2 = (uint64_t)(hi >> 64) + (p10 < lo);
    while (p2 > n2 || (p2 == n2 && p10 > n10)) { /* q too large */
        q--;
        p2 -= (p10 < b);
        p10 -= b;
    }
    *r = n10 - p10; /* the difference is below b: its top digit cancels */
    return q;
}

/* a / b, b nonzero: two quotient digits, the remainder as the jam bit. */
static Wide w_div(Wide a, Wide b)
{
    if (!a.m) return w_zero();
    int32_t e = a.e - b.e;
    U128 r = a.m;
    uint64_t u = 0;
    if (r >= b.m) { /* quotient in [1, 2): divide a.m / 2 (keeping its last bit) */
        u = (uint64_t)(r & 1) << 63;
        r >>= 1;
    } else {
        e -= 1;
    }
    uint64_t q1 = div_digit(&r, u, b.m);
    uint64_t q0 = div_digit(&r, 0, b.m);
    return (Wide){((U128)q1 << 64) | q0 | (U128)(r != 0), e, a.neg != b.neg};
}

/* Horner: c[first] + z*(c[first+step] + z*(...)) with count terms, the
 * signs alternating when alt is set. */
static Wide w_series(const WConst *c, int first, int step, int count, bool alt, Wide z)
{
    int last = first + step * (count - 1);
    Wide p = w_const(&c[last]);
    if (alt && ((count - 1) & 1)) p = w_neg(p);
    for (int i = count - 2; i >= 0; i--) {
        Wide ci = w_const(&c[first + step * i]);
        if (alt && (i & 1)) ci = w_neg(ci);
        p = w_add(ci, w_mul(z, p));
    }
    return p;
}

/* ------------------------------------------------------------------ */
/* the functions on wide values                                         */

/* sin r, |r| <= pi/4. */
static Wide wf_sin(Wide r)
{
    Wide r2 = w_mul(r, r);
    if (r.e < TINY_EXP) /* r - r^3/6 */
        return w_sub(r, w_mul(w_mul(r, r2), w_const(&INV_FACT[3])));
    /* r * sum (-1)^n r^2n / (2n+1)!, n = 0..15 */
    return w_mul(r, w_series(INV_FACT, 1, 2, 16, true, r2));
}

/* cos r, |r| <= pi/4. */
static Wide wf_cos(Wide r)
{
    Wide r2 = w_mul(r, r);
    if (r.e < TINY_EXP) /* 1 - r^2/2 */
        return w_sub(w_int(1), w_ldexp(r2, -1));
    /* sum (-1)^n r^2n / (2n)!, n = 0..16 */
    return w_series(INV_FACT, 0, 2, 17, true, r2);
}

/* atan t, 0 <= t <= 1. */
static Wide wf_atan(Wide t)
{
    if (!t.m) return t;
    Wide t2 = w_mul(t, t);
    if (t.e < TINY_EXP) /* t - t^3/3 */
        return w_sub(t, w_mul(w_mul(t, t2), w_const(&INV_ODD[1])));
    /* i = round(32 t); u = (t - i/32) / (1 + t i/32), |u| <= 1/64 */
    int i = t.e < -6 ? 0 : (int)(((t.m >> (121 - t.e)) + 1) >> 1);
    Wide u = t;
    if (i) {
        Wide c = w_make((U128)i, -5, false);
        u = w_div(w_sub(t, c), w_add(w_int(1), w_mul(t, c)));
    }
    /* atan u = u * sum (-1)^n u^2n / (2n+1), n = 0..10 */
    Wide s = w_mul(u, w_series(INV_ODD, 0, 1, 11, true, w_mul(u, u)));
    return w_add(w_const(&ATAN_TAB[i]), s);
}

/* 2 atanh(s) / ln 2 = log2((1 + s) / (1 - s)), |s| <= 1/64. */
static Wide wf_log2_atanh(Wide s)
{
    Wide p = w_series(INV_ODD, 0, 1, 10, false, w_mul(s, s));
    return w_mul(w_mul(s, p), w_const(&K_2_LN2));
}

/* log2 v, v > 0. */
static Wide wf_log2(Wide v)
{
    int32_t e = v.e;
    Wide m = {v.m, 0, false};      /* v = m * 2^e, 1 <= m < 2 */
    if (m.m >= ((U128)3 << 126)) { /* m >= 1.5: use m/2 in [0.75, 1) */
        m.e = -1;
        e += 1;
    }
    /* i = round(32 m), 24..48; s = (m - i/32) / (m + i/32) */
    int i = (int)(((m.m >> (121 - m.e)) + 1) >> 1);
    Wide c = w_make((U128)i, -5, false);
    Wide num = w_sub(m, c);
    Wide l = w_const(&LOG2_TAB[i - 24]);
    if (num.m) l = w_add(l, wf_log2_atanh(w_div(num, w_add(m, c))));
    return w_add(w_int(e), l);
}

/* 2^x - 1, |x| < 1. */
static Wide wf_exp2m1(Wide x)
{
    /* j = round(16 x), -16..16; w = x - j/16, |w| <= 1/32, exact */
    int j = 0;
    if (x.e >= -5) j = (int)(((x.m >> (122 - x.e)) + 1) >> 1);
    if (x.neg) j = -j;
    Wide w = w_sub(x, w_make((U128)(j < 0 ? -j : j), -4, j < 0));
    Wide e = w_zero();
    if (w.m) {
        Wide z = w_mul(w, w_const(&K_LN2));
        if (z.e < 2 * TINY_EXP) /* z + z^2/2: z^3/6 is below 2^-128 z */
            e = w_add(z, w_ldexp(w_mul(z, z), -1));
        else /* z * sum z^n / (n+1)!, n = 0..15 */
            e = w_mul(z, w_series(INV_FACT, 1, 1, 16, false, z));
    }
    if (!j) return e;
    /* 2^x - 1 = d + e + d e, d = 2^(j/16) - 1 */
    Wide d = w_const(&EXP2M1_TAB[j + 16]);
    return w_add(d, w_add(e, w_mul(d, e)));
}

/* ------------------------------------------------------------------ */
/* operands and results                                                 */

static bool is_nan_class(SfClass c)
{
    return c == SFC_QNAN || c == SFC_SNAN;
}

/* Finite nonzero operand (denormals and pseudo-denormals included). */
static Wide unpack(Fx80 a)
{
    SfUnpacked u = sfi_unpack(a);
    return (Wide){(U128)u.sig << 64, u.exp - SF_BIAS, u.sign};
}

/* One NaN operand: quieted, IE when it was signalling. */
static Fx80 nan1(Fx80 a, SfStatus *st)
{
    return sfi_propagate_nan(a, a, st);
}

/* An invalid operation: IE, and the indefinite when it is masked (when
 * it is not, the caller stores nothing). */
static Fx80 invalid(SfStatus *st)
{
    return sfi_invalid(st);
}

/* Round v (nonzero) to 64 bits by st->rc, with the x87's responses to
 * underflow and overflow. PE is set even when v is exact, and so is UE
 * for an exact tiny result (see the head of the file): the host does so.
 * C1 tells whether the rounding went up. */
static Fx80 round_pack(Wide v, SfStatus *st)
{
    Fx80 r = sfi_round_pack(v.neg, v.e + SF_BIAS, v.m, 64, st);
    st->flags |= SF_PE;
    if (!(r.se & 0x7FFF) && (st->masks & SF_UE)) st->flags |= SF_UE;
    return r;
}

static Fx80 round_const(const WConst *c, bool neg, SfStatus *st)
{
    Wide w = w_const(c);
    w.neg = neg;
    return round_pack(w, st);
}

/* ------------------------------------------------------------------ */
/* FSIN, FCOS, FPTAN                                                    */

enum { F_SIN, F_COS, F_TAN };

/* |x| = k * pi66/2 + r exactly, |r| <= pi66/4; x finite, nonzero,
 * |x| < 2^63. Returns r (with the sign of the remainder, not of x). */
static Wide reduce(Fx80 a, unsigned *k)
{
    Wide x = w_abs(unpack(a));
    int32_t e = x.e; /* |x| = M * 2^(e - 63), 2^63 <= M < 2^64 */
    if (e < -1) {    /* below 0.5 < pi/4 */
        *k = 0;
        return x;
    }
    uint64_t mant = (uint64_t)(x.m >> 64);
    U128 X = (U128)mant << (e + 2); /* |x| in units of 2^-65; e <= 62 */
    U128 P = ((U128)PI66_HALF_HI << 64) | PI66_HALF_LO;
    U128 q = X / P, rem = X - q * P;
    bool neg = false;
    if (rem > P - rem) { /* P is odd: no ties */
        q += 1;
        rem = P - rem;
        neg = true;
    }
    *k = (unsigned)(q & 3);
    return w_make(rem, -65, neg);
}

static Fx80 trig(int fn, Fx80 a, bool *out_of_range, SfStatus *st)
{
    *out_of_range = false;
    st->c1 = false;
    SfClass k = sfi_class(a);
    bool neg = (a.se >> 15) != 0;
    switch (k) {
    case SFC_UNSUPPORTED:
    case SFC_INF: return invalid(st);
    case SFC_QNAN:
    case SFC_SNAN: return nan1(a, st);
    case SFC_ZERO: return fn == F_COS ? sfi_pack(false, 0x3FFF, 1ull << 63) : a;
    case SFC_DENORMAL:
        if (sfi_raise(st, SF_DE)) return a;
        break;
    default:
        if ((a.se & 0x7FFF) >= 16383 + 63) { /* |x| >= 2^63: C2 = 1, no change */
            *out_of_range = true;
            return a;
        }
        break;
    }
    unsigned quad;
    Wide r = reduce(a, &quad);
    Wide v;
    if (fn == F_TAN && r.e < TINY_EXP) {
        /* tan r = r + r^3/3, -cot r = r/3 - 1/r: exact to 2^-128, and the
         * tiny term keeps its direction (1/r is exact when r = 2^-n) */
        Wide third = w_const(&INV_ODD[1]);
        if (quad & 1)
            v = w_sub(w_mul(r, third), w_div(w_int(1), r));
        else
            v = w_add(r, w_mul(w_mul(w_mul(r, r), r), third));
        v.neg ^= neg;
    } else if (fn == F_TAN) {
        Wide s = wf_sin(r), c = wf_cos(r);
        v = (quad & 1) ? w_neg(w_div(c, s)) : w_div(s, c);
        v.neg ^= neg;
    } else {
        if (fn == F_COS) quad = (quad + 1) & 3; /* cos x = sin(x + pi/2) */
        v = (quad & 1) ? wf_cos(r) : wf_sin(r);
        if (quad & 2) v = w_neg(v);
        if (fn == F_SIN) v.neg ^= neg;
    }
    return round_pack(v, st);
}

Fx80 sf_sin(Fx80 a, bool *out_of_range, SfStatus *st)
{
    return trig(F_SIN, a, out_of_range, st);
}

Fx80 sf_cos(Fx80 a, bool *out_of_range, SfStatus *st)
{
    return trig(F_COS, a, out_of_range, st);
}

Fx80 sf_tan(Fx80 a, bool *out_of_range, SfStatus *st)
{
    return trig(F_TAN, a, out_of_range, st);
}

/* ------------------------------------------------------------------ */
/* FPATAN                                                               */

Fx80 sf_atan2(Fx80 y, Fx80 x, SfStatus *st)
{
    SfClass ky = sfi_class(y), kx = sfi_class(x);
    bool sy = (y.se >> 15) != 0, sx = (x.se >> 15) != 0;
    st->c1 = false;
    if (ky == SFC_UNSUPPORTED || kx == SFC_UNSUPPORTED) return invalid(st);
    if (is_nan_class(ky) || is_nan_class(kx)) return sfi_propagate_nan(y, x, st);
    if ((ky == SFC_DENORMAL || kx == SFC_DENORMAL) && sfi_raise(st, SF_DE)) return y;
    /* SDM Vol. 2 FPATAN Table 3-29 */
    if (ky == SFC_ZERO) return sx ? round_const(&K_PI, sy, st) : sfi_zero(sy);
    if (ky == SFC_INF) {
        if (kx == SFC_INF) return round_const(sx ? &K_3PI_4 : &K_PI_4, sy, st);
        return round_const(&K_PI_2, sy, st);
    }
    if (kx == SFC_ZERO) return round_const(&K_PI_2, sy, st);
    if (kx == SFC_INF) return sx ? round_const(&K_PI, sy, st) : sfi_zero(sy);
    /* atan(t) with t = min(|y|,|x|) / max(|y|,|x|) <= 1, then the octant */
    Wide wy = w_abs(unpack(y)), wx = w_abs(unpack(x));
    bool swap = w_cmp_abs(wy, wx) > 0;
    Wide v = wf_atan(swap ? w_div(wx, wy) : w_div(wy, wx));
    if (swap) v = w_sub(w_const(&K_PI_2), v);
    if (sx) v = w_sub(w_const(&K_PI), v);
    v.neg = sy;
    return round_pack(v, st);
}

/* ------------------------------------------------------------------ */
/* F2XM1                                                                */

Fx80 sf_f2xm1(Fx80 a, SfStatus *st)
{
    bool neg = (a.se >> 15) != 0;
    st->c1 = false;
    switch (sfi_class(a)) {
    case SFC_UNSUPPORTED: return invalid(st);
    case SFC_QNAN:
    case SFC_SNAN: return nan1(a, st);
    case SFC_ZERO: return a;
    case SFC_INF: return neg ? sfi_pack(true, 0x3FFF, 1ull << 63) : a; /* 2^-inf - 1 = -1 */
    case SFC_DENORMAL:
        if (sfi_raise(st, SF_DE)) return a;
        break;
    default:
        if ((a.se & 0x7FFF) >= 0x3FFF) {
            if ((a.se & 0x7FFF) == 0x3FFF && a.mant == 1ull << 63) /* exact: 1 or -1/2 */
                return round_pack(w_make(1, neg ? -1 : 0, neg), st);
            /* |x| > 1: undefined on the P6; the host x87 returns x with PE */
            st->flags |= SF_PE;
            return a;
        }
        break;
    }
    return round_pack(wf_exp2m1(unpack(a)), st);
}

/* ------------------------------------------------------------------ */
/* FYL2X, FYL2XP1                                                       */

/* Zero or infinity with the sign of y times the sign of log2(x). */
static Fx80 signed_special(bool inf_result, bool sy, bool log_neg)
{
    return inf_result ? sfi_inf(sy != log_neg) : sfi_zero(sy != log_neg);
}

Fx80 sf_fyl2x(Fx80 x, Fx80 y, SfStatus *st)
{
    SfClass kx = sfi_class(x), ky = sfi_class(y);
    bool sx = (x.se >> 15) != 0, sy = (y.se >> 15) != 0;
    st->c1 = false;
    if (kx == SFC_UNSUPPORTED || ky == SFC_UNSUPPORTED) return invalid(st);
    if (is_nan_class(kx) || is_nan_class(ky)) return sfi_propagate_nan(x, y, st);
    if (sx && kx != SFC_ZERO) /* log of a negative number */
        return invalid(st);
    if (kx == SFC_ZERO) { /* log2(0) = -inf */
        if (ky == SFC_ZERO) return invalid(st);
        if (ky != SFC_INF && sfi_raise(st, SF_ZE)) return y;
        return sfi_inf(!sy);
    }
    if ((kx == SFC_DENORMAL || ky == SFC_DENORMAL) && sfi_raise(st, SF_DE)) return y;
    bool one = (x.se & 0x7FFF) == 0x3FFF && x.mant == 1ull << 63;
    bool below_one = (x.se & 0x7FFF) < 0x3FFF;
    if (kx == SFC_INF) { /* log2(+inf) = +inf */
        if (ky == SFC_ZERO) return invalid(st);
        return sfi_inf(sy);
    }
    if (one) { /* log2(1) = +0 */
        if (ky == SFC_INF) return invalid(st);
        return sfi_zero(sy);
    }
    if (ky == SFC_ZERO || ky == SFC_INF) return signed_special(ky == SFC_INF, sy, below_one);
    return round_pack(w_mul(unpack(y), wf_log2(unpack(x))), st);
}

Fx80 sf_fyl2xp1(Fx80 x, Fx80 y, SfStatus *st)
{
    SfClass kx = sfi_class(x), ky = sfi_class(y);
    bool sx = (x.se >> 15) != 0, sy = (y.se >> 15) != 0;
    st->c1 = false;
    if (kx == SFC_UNSUPPORTED || ky == SFC_UNSUPPORTED) return invalid(st);
    if (is_nan_class(kx) || is_nan_class(ky)) return sfi_propagate_nan(x, y, st);
    if ((kx == SFC_INF && (sx || ky == SFC_ZERO)) || (kx == SFC_ZERO && ky == SFC_INF))
        return invalid(st); /* log2(-inf), inf * 0 */
    if ((kx == SFC_DENORMAL || ky == SFC_DENORMAL) && sfi_raise(st, SF_DE)) return y;
    if (kx == SFC_INF) return sfi_inf(sy);
    if (kx == SFC_ZERO || ky == SFC_ZERO || ky == SFC_INF) /* log2(1 + x) has the sign of x */
        return signed_special(ky == SFC_INF, sy, sx);
    Wide wx = unpack(x);
    if (sx && w_cmp_abs(wx, w_int(1)) >= 0) {
        /* x <= -1: undefined on the P6; the host x87 returns x with PE */
        st->flags |= SF_PE;
        return x;
    }
    Wide l;
    if (wx.e < -6) /* |x| < 1/64: log2(1 + x) = 2 atanh(x / (2 + x)) / ln 2 */
        l = wf_log2_atanh(w_div(wx, w_add(w_int(2), wx)));
    else /* 1 + x is exact (or x is huge and 1 is lost in the jam bit) */
        l = wf_log2(w_add(w_int(1), wx));
    return round_pack(w_mul(unpack(y), l), st);
}
