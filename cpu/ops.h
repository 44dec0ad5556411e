/*
 * ops.h - what instruction handlers share: their declarations (from
 * opcodes.def) and the operand helpers.
 *
 * A handler runs with cpu->eip at its own instruction and cpu->next_eip
 * at the one after it (masked to 16 bits in 16-bit code). It reads and
 * writes operands through the helpers below, sets flags through
 * cpu/flags.h, changes cpu->next_eip to branch, and raises faults with
 * cpu_exception(), which never returns. Sizes are in bytes (1, 2, 4).
 *
 *   void op_add_EvGv(Cpu *cpu, const DecodedInsn *d)
 *   {
 *       unsigned sz = op_size(d);
 *       uint32_t ea, a = rm_read(cpu, d, &ea, sz), b = reg_read(cpu, d->reg, sz);
 *       uint32_t r = a + b;
 *       rm_write(cpu, d, ea, r, sz);
 *       flags_set(cpu, CC_ADD8 + size_index(sz), r, a, b);
 *   }
 */
#ifndef BRISK_OPS_H
#define BRISK_OPS_H

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/flags.h"
#include "cpu/mem.h"

#define FL_C F_CF
#define FL_ARITH F_ARITH
#define FL_OSZAP (F_OF | F_SF | F_ZF | F_AF | F_PF)
#define FL_SZAPC (F_SF | F_ZF | F_AF | F_PF | F_CF)

/* Every handler named in the table. */
#define OP(code, name, fn, form, attrs, fr, fw) void fn(Cpu *cpu, const DecodedInsn *d);
#define GRP(code, reg, name, fn, form, attrs, fr, fw) void fn(Cpu *cpu, const DecodedInsn *d);
#include "cpu/opcodes.def"
#undef OP
#undef GRP
/* Undefined opcodes and prefixes that reach execution raise #UD. */
void op_ud(Cpu *cpu, const DecodedInsn *d);

/* Operand size of the instruction: 2 or 4 bytes. */
static inline unsigned op_size(const DecodedInsn *d) { return (d->pfx & PFX_OP32) ? 4 : 2; }
/* 0, 1, 2 for 1, 2, 4 bytes: the offset added to CC_xxx8. */
static inline unsigned size_index(unsigned size) { return size >> 1; }
static inline uint32_t size_mask(unsigned size)
{
    return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
}
static inline uint32_t sign_bit(unsigned size) { return 1u << (8 * size - 1); }
/* Sign-extends the low size bytes of v to 32 bits. */
static inline uint32_t sext(uint32_t v, unsigned size)
{
    return size == 1 ? (uint32_t)(int32_t)(int8_t)v
                     : size == 2 ? (uint32_t)(int32_t)(int16_t)v : v;
}

/* Registers by encoding: size 1 uses AL,CL,DL,BL,AH,CH,DH,BH. */
static inline uint32_t reg_read(const Cpu *cpu, unsigned r, unsigned size)
{
    if (size == 1) return r < 4 ? cpu->regs[r] & 0xFF : (cpu->regs[r - 4] >> 8) & 0xFF;
    if (size == 2) return cpu->regs[r] & 0xFFFF;
    return cpu->regs[r];
}
static inline void reg_write(Cpu *cpu, unsigned r, uint32_t v, unsigned size)
{
    if (size == 1) {
        if (r < 4)
            cpu->regs[r] = (cpu->regs[r] & ~0xFFu) | (v & 0xFF);
        else
            cpu->regs[r - 4] = (cpu->regs[r - 4] & ~0xFF00u) | ((v & 0xFF) << 8);
    } else if (size == 2) {
        cpu->regs[r] = (cpu->regs[r] & 0xFFFF0000u) | (v & 0xFFFF);
    } else {
        cpu->regs[r] = v;
    }
}

/* The ModRM operand (register or memory). rm_read stores the effective
 * address in *ea so that a read-modify-write computes it once. */
static inline uint32_t rm_read(Cpu *cpu, const DecodedInsn *d, uint32_t *ea, unsigned size)
{
    if (!d->is_mem) return reg_read(cpu, d->rm, size);
    *ea = decode_ea(cpu, d);
    return cpu_rd(cpu, d->seg, *ea, size);
}
static inline void rm_write(Cpu *cpu, const DecodedInsn *d, uint32_t ea, uint32_t v, unsigned size)
{
    if (!d->is_mem)
        reg_write(cpu, d->rm, v, size);
    else
        cpu_wr(cpu, d->seg, ea, v, size);
}
/* Write-only destination (MOV, SETcc): computes the address itself. */
static inline void rm_store(Cpu *cpu, const DecodedInsn *d, uint32_t v, unsigned size)
{
    if (!d->is_mem)
        reg_write(cpu, d->rm, v, size);
    else
        cpu_wr(cpu, d->seg, decode_ea(cpu, d), v, size);
}
static inline uint32_t rm_load(Cpu *cpu, const DecodedInsn *d, unsigned size)
{
    uint32_t ea;
    return rm_read(cpu, d, &ea, size);
}

/* Near branch to target (an offset in CS): truncated to 16 bits with a
 * 16-bit operand size, #GP(0) beyond the CS limit. */
static inline void op_jump_near(Cpu *cpu, const DecodedInsn *d, uint32_t target)
{
    if (!(d->pfx & PFX_OP32)) target &= 0xFFFF;
    if (target > cpu->seg[S_CS].limit) cpu_exception(cpu, EXC_GP, 0);
    cpu->next_eip = target;
}

/* The count register of string instructions and LOOP: CX or ECX by the
 * address size. */
static inline uint32_t op_count(const Cpu *cpu, const DecodedInsn *d)
{
    return (d->pfx & PFX_ADDR32) ? cpu->regs[R_ECX] : cpu->regs[R_ECX] & 0xFFFF;
}
static inline void op_set_count(Cpu *cpu, const DecodedInsn *d, uint32_t v)
{
    if (d->pfx & PFX_ADDR32)
        cpu->regs[R_ECX] = v;
    else
        cpu->regs[R_ECX] = (cpu->regs[R_ECX] & 0xFFFF0000u) | (v & 0xFFFF);
}

#endif
