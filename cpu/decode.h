/*
 * decode.h - x86 instruction decoder: bytes -> DecodedInsn.
 *
 * Follows the Intel SDM Vol. 2 chapter 2 (instruction format) and Appendix
 * A (opcode map). Decoding happens once per block (translator/); the
 * interpreter then runs the DecodedInsn records through their handlers.
 *
 * The decoder never fails on guest input: an undefined opcode decodes to
 * a record whose handler raises #UD when executed, so the exception is
 * precise. It reports only "ran out of bytes" (the caller fetches more or
 * raises the fetch fault) and "longer than 15 bytes" (#GP(0)).
 *
 *   DecodedInsn d;
 *   int n = decode_insn(buf, avail, code32, &d);
 *   if (n > 0) d.fn(cpu, &d);
 */
#ifndef BRISK_DECODE_H
#define BRISK_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

typedef struct DecodedInsn DecodedInsn;
typedef void (*InsnFn)(Cpu *cpu, const DecodedInsn *d);

/* DecodedInsn.pfx bits. */
enum {
    PFX_OP32 = 1 << 0,   /* effective operand size is 32 */
    PFX_ADDR32 = 1 << 1, /* effective address size is 32 */
    PFX_LOCK = 1 << 2,
    PFX_REP = 1 << 3,    /* F3 */
    PFX_REPNE = 1 << 4,  /* F2 */
    PFX_SEG = 1 << 5,    /* a segment override was given */
    PFX_66 = 1 << 6,     /* the 66 prefix was present */
};

#define EA_NONE 0xFF

struct DecodedInsn {
    InsnFn fn;
    uint16_t op;      /* 0x000-0x0FF one-byte opcodes, 0x100-0x1FF 0F xx */
    uint8_t len;      /* total length in bytes, prefixes included */
    uint8_t pfx;      /* PFX_* */
    uint8_t seg;      /* segment of the memory operand (override or default) */
    uint8_t modrm;    /* the ModRM byte (0 if none) */
    uint8_t reg;      /* ModRM.reg (or the low 3 opcode bits for +r forms) */
    uint8_t rm;       /* ModRM.rm: the register when mod == 3 */
    uint8_t is_mem;   /* the ModRM operand is memory */
    uint8_t ea_base;  /* register index or EA_NONE */
    uint8_t ea_index; /* register index or EA_NONE */
    uint8_t ea_scale; /* shift count 0..3 */
    uint16_t info;    /* index into op_info[] (name, attributes, flags) */
    uint32_t disp;
    uint32_t imm;     /* first immediate, sign- or zero-extended per form */
    uint32_t imm2;    /* second immediate: ENTER level, far pointer selector */
};

/* Operand forms: what follows the opcode. */
enum {
    FORM_NONE,     /* nothing */
    FORM_M,        /* ModRM */
    FORM_M_IB,     /* ModRM, imm8 (zero-extended in imm) */
    FORM_M_IBS,    /* ModRM, imm8 sign-extended to 32 bits */
    FORM_M_IZ,     /* ModRM, imm16/32 by operand size */
    FORM_IB,       /* imm8 (zero-extended) */
    FORM_IBS,      /* imm8 sign-extended (PUSH Ib) */
    FORM_IW,       /* imm16 */
    FORM_IZ,       /* imm16/32 by operand size */
    FORM_IV,       /* imm16/32 by operand size (MOV r, imm) */
    FORM_IW_IB,    /* imm16 in imm, imm8 in imm2 (ENTER) */
    FORM_AP,       /* far pointer: offset16/32 in imm, selector in imm2 */
    FORM_MOFFS,    /* address-size offset in disp (MOV AL, [moffs]) */
    FORM_JB,       /* rel8, sign-extended in imm */
    FORM_JZ,       /* rel16/32 by operand size, sign-extended in imm */
    FORM_GROUP,    /* ModRM; the row is chosen by ModRM.reg (group tables) */
};

/* Attributes. */
enum {
    A_END = 1 << 0,     /* ends the block (branch, mode or interrupt-state change) */
    A_LOCK = 1 << 1,    /* LOCK allowed when the destination is memory */
    A_MEMONLY = 1 << 2, /* ModRM operand must be memory, else #UD */
    A_REGONLY = 1 << 3, /* ModRM operand must be a register, else #UD */
    A_STRING = 1 << 4,  /* REP/REPE/REPNE apply */
    A_IO = 1 << 5,      /* port I/O */
    A_BRANCH = 1 << 6,  /* changes EIP (the block ends) */
    A_PFX = 1 << 7,     /* a prefix byte (only in the table for names) */
    A_UD = 1 << 8,      /* undefined */
    A_SEGLOAD = 1 << 9, /* loads a segment register */
};

typedef struct OpInfo {
    const char *name;
    InsnFn fn;
    uint8_t form;
    uint16_t attrs;
    uint16_t flags_read;    /* EFLAGS bits read (F_*) */
    uint16_t flags_written; /* EFLAGS bits written or left undefined */
} OpInfo;

extern const OpInfo op_info[];
extern const unsigned op_info_count;

/* Decodes one instruction from buf (avail bytes). code32: CS.D.
 * Returns the length (> 0), 0 if more bytes are needed, -1 if the
 * instruction would be longer than 15 bytes (#GP(0)). */
int decode_insn(const uint8_t *buf, size_t avail, int code32, DecodedInsn *d);

/* Table lookups for tools and tests. */
const OpInfo *decode_info(const DecodedInsn *d);

/* Effective address of the ModRM memory operand (offset in d->seg). */
static inline uint32_t decode_ea(const Cpu *cpu, const DecodedInsn *d)
{
    uint32_t a = d->disp;
    if (d->ea_base != EA_NONE) a += cpu->regs[d->ea_base];
    if (d->ea_index != EA_NONE) a += cpu->regs[d->ea_index] << d->ea_scale;
    return (d->pfx & PFX_ADDR32) ? a : (a & 0xFFFF);
}

#endif
