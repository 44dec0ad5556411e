/*
 * exec.h - the execution loop and the block cache.
 *
 * The loop finds the block for the current CPU state, keyed by (physical
 * address of EIP, CS base, mode bits), decodes it on a miss, and runs its
 * pre-decoded instructions through their handlers (tier 0). Blocks end at
 * a branch or an instruction that changes how the following code runs
 * (A_END in cpu/opcodes.def), at a guest page boundary, or after
 * TB_MAX_INSNS instructions.
 *
 * Self-modifying code: the pages that hold blocks are marked on the bus
 * (bus_mark_code), so a write to them reaches tb_code_written(), which
 * invalidates every block on the page; if the running block was among
 * them, the loop leaves it after the current instruction.
 *
 *   Translator *tb = tb_new(cpu);
 *   CpuExit why = tb_exec(tb);   // until the clock's stop point, HLT, shutdown
 *   tb_free(tb);
 */
#ifndef BRISK_EXEC_H
#define BRISK_EXEC_H

#include "cpu/cpu.h"

#define TB_MAX_INSNS 64

typedef struct Translator Translator;

typedef struct TbStats {
    uint64_t blocks_decoded;
    uint64_t blocks_invalidated;
    uint64_t lookups;
    uint64_t exceptions;
    uint64_t interrupts;
} TbStats;

/* Creates the block cache for cpu and hooks code writes on its bus. */
Translator *tb_new(Cpu *cpu);
void tb_free(Translator *tb);
/* Runs the CPU until the clock's stop point (cpu->clock->stop_insns),
 * HLT with nothing to wake it, a triple fault or a debugger stop. */
CpuExit tb_exec(Translator *tb);
/* Drops every block (mode changes that the key does not cover, tests). */
void tb_flush(Translator *tb);
const TbStats *tb_stats(const Translator *tb);
/* When set, blocks hold one instruction (single-stepping, TF). */
void tb_set_single_step(Translator *tb, bool on);

#endif
