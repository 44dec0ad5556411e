/*
 * realmode_fixture.h - the small real-mode machine shared by the x87 and MMX
 * unit tests: 1 MiB of RAM, a CPU and its translator, every interrupt vector
 * pointing at a HLT at VEC_BASE + vector, and run_code()/RUN() to execute a
 * few bytes at CODE and report how they ended. Each test program includes it
 * once (static definitions) after defining FIXTURE_RNG_SEED.
 */
#ifndef BRISK_REALMODE_FIXTURE_H
#define BRISK_REALMODE_FIXTURE_H

#include <check.h>
#include <string.h>

#include "cpu/ops.h"
#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "translator/exec.h"

#ifndef FIXTURE_RNG_SEED
#error "define FIXTURE_RNG_SEED before including realmode_fixture.h"
#endif

#define RAM_SIZE  (1u << 20)
#define VEC_BASE  0x0500u /* vector v's handler is a HLT at VEC_BASE + v */
#define CODE      0x1000u
#define MEM       0x2000u /* the memory operand ([bx]) */
#define SAVE      0x3000u /* FNSAVE / FSTENV images */
#define STACK_TOP 0x7000u

static Bus *bus;
static Clock clk;
static Cpu *cpu;
static Translator *tb;
static uint8_t *ram;

/* ---- random numbers: xorshift64*, fixed seed ---- */
static uint64_t rng = FIXTURE_RNG_SEED;
static uint64_t rnd64(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}
static uint32_t rnd(void) { return (uint32_t)(rnd64() >> 32); }

/* ---- the machine ---- */

static void setup(void)
{
    bus = bus_new();
    ck_assert_ptr_nonnull(bus);
    ram = bus_add_ram(bus, 0, RAM_SIZE, "ram");
    ck_assert_ptr_nonnull(ram);
    clock_init(&clk, 1000000000ull);
    cpu = cpu_new(bus, &clk);
    ck_assert_ptr_nonnull(cpu);
    tb = tb_new(cpu);
    ck_assert_ptr_nonnull(tb);
    for (int s = 0; s < S_COUNT; s++) cpu_load_seg(cpu, s, 0);
    for (unsigned v = 0; v < 256; v++) {
        ram[4 * v] = (uint8_t)(VEC_BASE + v);
        ram[4 * v + 1] = (uint8_t)((VEC_BASE + v) >> 8);
        ram[4 * v + 2] = 0;
        ram[4 * v + 3] = 0;
        ram[VEC_BASE + v] = 0xF4;
    }
}

static void teardown(void)
{
    tb_free(tb);
    cpu_free(cpu);
    bus_free(bus);
}

/* Runs n bytes of code at CODE (a HLT is appended). Returns -1 when the
 * code ran to its HLT, else the vector of the exception it raised (whose
 * handler is a HLT). */
static int run_code(const uint8_t *code, unsigned n)
{
    memcpy(ram + CODE, code, n);
    ram[CODE + n] = 0xF4;
    tb_flush(tb);
    cpu->eip = CODE;
    cpu->halted = false;
    cpu->regs[R_ESP] = STACK_TOP;
    clk.stop_insns = cpu->icount + 10000;
    CpuExit e = tb_exec(tb);
    ck_assert_msg(e == CPU_EXIT_HALT, "tb_exec returned %d at %04x", (int)e, cpu->eip);
    if (cpu->eip == CODE + n + 1) return -1;
    ck_assert_msg(cpu->eip > VEC_BASE && cpu->eip <= VEC_BASE + 256, "stopped at %04x",
                  cpu->eip);
    return (int)(cpu->eip - VEC_BASE - 1);
}
#define RUN(...)                                                                                   \
    ({                                                                                             \
        static const uint8_t c_[] = {__VA_ARGS__};                                                 \
        run_code(c_, sizeof c_);                                                                   \
    })
#endif
