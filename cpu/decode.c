/*
 * decode.c - the x86 decoder (see decode.h).
 *
 * SDM Vol. 2 section 2.1 (prefixes, opcode, ModRM, SIB, displacement,
 * immediate), Tables 2-1 and 2-2 (16- and 32-bit ModRM), Table 2-3 (SIB),
 * Appendix A (opcode map). The table itself is cpu/opcodes.def.
 */
#include "cpu/decode.h"

#include "cpu/ops.h"

/* Row indices: 0 is "undefined", then every OP and GRP row in table order. */
enum {
    OPI_BAD = 0,
#define OP(code, name, fn, form, attrs, fr, fw) OPI_##code,
#define GRP(code, reg, name, fn, form, attrs, fr, fw) OPI_##code##_##reg,
#include "cpu/opcodes.def"
#undef OP
#undef GRP
    OPI_COUNT
};

const OpInfo op_info[] = {
    {"(bad)", op_ud, FORM_NONE, A_UD, 0, 0},
#define OP(code, name, fn, form, attrs, fr, fw) {name, fn, form, attrs, fr, fw},
#define GRP(code, reg, name, fn, form, attrs, fr, fw) {name, fn, form, attrs, fr, fw},
#include "cpu/opcodes.def"
#undef OP
#undef GRP
};
const unsigned op_info_count = OPI_COUNT;

static const uint16_t op_index[512] = {
#define OP(code, name, fn, form, attrs, fr, fw) [code] = OPI_##code,
#define GRP(code, reg, name, fn, form, attrs, fr, fw)
#include "cpu/opcodes.def"
#undef OP
#undef GRP
};

static const uint16_t grp_index[512][8] = {
#define OP(code, name, fn, form, attrs, fr, fw)
#define GRP(code, reg, name, fn, form, attrs, fr, fw) [code][reg] = OPI_##code##_##reg,
#include "cpu/opcodes.def"
#undef OP
#undef GRP
};

static bool is_group(unsigned op)
{
    for (int r = 0; r < 8; r++)
        if (grp_index[op][r]) return true;
    return false;
}

const OpInfo *decode_info(const DecodedInsn *d) { return &op_info[d->info]; }

#define NEED(n)                                                                                    \
    do {                                                                                           \
        if (i + (n) > 15) return -1;                                                               \
        if (i + (n) > avail) return 0;                                                             \
    } while (0)

static uint32_t get_le(const uint8_t *p, unsigned n)
{
    uint32_t v = 0;
    for (unsigned k = 0; k < n; k++) v |= (uint32_t)p[k] << (8 * k);
    return v;
}

int decode_insn(const uint8_t *buf, size_t avail, int code32, DecodedInsn *d)
{
    size_t i = 0;
    int seg_override = -1;
    bool op32 = code32, addr32 = code32;
    uint8_t pfx = 0;

    /* Prefixes: any number, in any order, up to the 15-byte limit. */
    for (;;) {
        NEED(1);
        uint8_t b = buf[i];
        switch (b) {
        case 0x26: seg_override = S_ES; break;
        case 0x2E: seg_override = S_CS; break;
        case 0x36: seg_override = S_SS; break;
        case 0x3E: seg_override = S_DS; break;
        case 0x64: seg_override = S_FS; break;
        case 0x65: seg_override = S_GS; break;
        case 0x66: op32 = !code32; pfx |= PFX_66; break;
        case 0x67: addr32 = !code32; break;
        case 0xF0: pfx |= PFX_LOCK; break;
        case 0xF2: pfx = (uint8_t)((pfx & ~PFX_REP) | PFX_REPNE); break;
        case 0xF3: pfx = (uint8_t)((pfx & ~PFX_REPNE) | PFX_REP); break;
        default: goto opcode;
        }
        i++;
    }
opcode:;
    unsigned op = buf[i++];
    if (op == 0x0F) {
        NEED(1);
        op = 0x100 | buf[i++];
    }
    if (op32) pfx |= PFX_OP32;
    if (addr32) pfx |= PFX_ADDR32;

    d->op = (uint16_t)op;
    d->modrm = 0;
    d->reg = (uint8_t)(op & 7); /* +r forms; ModRM overrides */
    d->rm = 0;
    d->is_mem = 0;
    d->ea_base = EA_NONE;
    d->ea_index = EA_NONE;
    d->ea_scale = 0;
    d->disp = 0;
    d->imm = 0;
    d->imm2 = 0;

    unsigned idx = op_index[op];
    bool group = idx == 0 && is_group(op);
    unsigned form = idx ? op_info[idx].form : (group ? FORM_M : FORM_NONE);
    bool has_modrm = group || form == FORM_M || form == FORM_M_IB || form == FORM_M_IBS ||
                     form == FORM_M_IZ;
    int def_seg = S_DS;

    if (has_modrm) {
        NEED(1);
        uint8_t m = buf[i++];
        unsigned mod = m >> 6, rm = m & 7;
        d->modrm = m;
        d->reg = (m >> 3) & 7;
        d->rm = (uint8_t)rm;
        if (group) {
            idx = grp_index[op][d->reg];
            form = idx ? op_info[idx].form : FORM_M;
        }
        /* MOV to/from CR and DR: the mod field is ignored, the operand is
         * always a register (SDM Vol. 2, MOV--Move to/from Control Registers). */
        if (op >= 0x120 && op <= 0x123) mod = 3;
        if (mod != 3) {
            d->is_mem = 1;
            if (!addr32) {
                static const uint8_t base16[8] = {R_EBX, R_EBX, R_EBP, R_EBP,
                                                  EA_NONE, EA_NONE, R_EBP, R_EBX};
                static const uint8_t index16[8] = {R_ESI, R_EDI, R_ESI, R_EDI,
                                                   R_ESI, R_EDI, EA_NONE, EA_NONE};
                if (mod == 0 && rm == 6) {
                    NEED(2);
                    d->disp = get_le(buf + i, 2);
                    i += 2;
                } else {
                    d->ea_base = base16[rm];
                    d->ea_index = index16[rm];
                    if (d->ea_base == R_EBP) def_seg = S_SS;
                    if (mod == 1) {
                        NEED(1);
                        d->disp = (uint32_t)(int32_t)(int8_t)buf[i++];
                    } else if (mod == 2) {
                        NEED(2);
                        d->disp = get_le(buf + i, 2);
                        i += 2;
                    }
                }
            } else {
                unsigned base = rm;
                if (rm == 4) {
                    NEED(1);
                    uint8_t sib = buf[i++];
                    unsigned index = (sib >> 3) & 7;
                    base = sib & 7;
                    d->ea_scale = sib >> 6;
                    if (index != 4) d->ea_index = (uint8_t)index;
                    if (base == 5 && mod == 0) {
                        base = EA_NONE;
                        NEED(4);
                        d->disp = get_le(buf + i, 4);
                        i += 4;
                    }
                } else if (rm == 5 && mod == 0) {
                    base = EA_NONE;
                    NEED(4);
                    d->disp = get_le(buf + i, 4);
                    i += 4;
                }
                d->ea_base = (uint8_t)base;
                if (base == R_ESP || base == R_EBP) def_seg = S_SS;
                if (mod == 1) {
                    NEED(1);
                    d->disp = (uint32_t)(int32_t)(int8_t)buf[i++];
                } else if (mod == 2) {
                    NEED(4);
                    d->disp = get_le(buf + i, 4);
                    i += 4;
                }
            }
        }
    }

    unsigned zsize = op32 ? 4 : 2;
    switch (form) {
    case FORM_M_IB:
    case FORM_IB:
        NEED(1);
        d->imm = buf[i++];
        break;
    case FORM_M_IBS:
    case FORM_IBS:
    case FORM_JB:
        NEED(1);
        d->imm = (uint32_t)(int32_t)(int8_t)buf[i++];
        break;
    case FORM_IW:
        NEED(2);
        d->imm = get_le(buf + i, 2);
        i += 2;
        break;
    case FORM_M_IZ:
    case FORM_IZ:
    case FORM_IV:
        NEED(zsize);
        d->imm = get_le(buf + i, zsize);
        i += zsize;
        break;
    case FORM_JZ:
        NEED(zsize);
        d->imm = get_le(buf + i, zsize);
        if (zsize == 2) d->imm = (uint32_t)(int32_t)(int16_t)d->imm;
        i += zsize;
        break;
    case FORM_IW_IB:
        NEED(3);
        d->imm = get_le(buf + i, 2);
        d->imm2 = buf[i + 2];
        i += 3;
        break;
    case FORM_AP:
        NEED(zsize + 2);
        d->imm = get_le(buf + i, zsize);
        d->imm2 = get_le(buf + i + zsize, 2);
        i += zsize + 2;
        break;
    case FORM_MOFFS: {
        unsigned asz = addr32 ? 4 : 2;
        NEED(asz);
        d->disp = get_le(buf + i, asz);
        d->is_mem = 1;
        i += asz;
        break;
    }
    default: break;
    }

    if (seg_override >= 0) pfx |= PFX_SEG;
    d->pfx = pfx;
    d->seg = (uint8_t)(seg_override >= 0 ? seg_override : def_seg);
    d->len = (uint8_t)i;

    const OpInfo *info = &op_info[idx];
    InsnFn fn = info->fn;
    if ((pfx & PFX_LOCK) && (!(info->attrs & A_LOCK) || !d->is_mem)) fn = op_ud;
    if ((info->attrs & A_MEMONLY) && !d->is_mem) fn = op_ud;
    if ((info->attrs & A_REGONLY) && d->is_mem) fn = op_ud;
    d->info = (uint16_t)idx;
    d->fn = fn;
    return (int)i;
}
