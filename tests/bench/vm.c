/*
 * vm.c - benchmark workload: a bytecode interpreter. A small stack machine
 * (switch dispatch, an operand stack and 8 variables) runs a fixed program
 * that counts the primes below a limit by trial division and sums them,
 * then a second program that sums Collatz sequence lengths: the indirect
 * branches and short handlers of an interpreter loop. See bench.h.
 */
#include "bench.h"

enum {
    OP_PUSH,  /* imm */
    OP_LOAD,  /* var */
    OP_STORE, /* var */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_MOD,
    OP_LT,
    OP_EQ,
    OP_AND,
    OP_SHR,
    OP_DUP,
    OP_DROP,
    OP_JMP, /* target */
    OP_JZ,  /* target */
    OP_JNZ, /* target */
    OP_INC, /* var */
    OP_HALT,
};

/* The program is assembled at run time from this table of (op, arg) pairs
 * so that jump targets are labels rather than hand-counted offsets. */
typedef struct Ins {
    int32_t op, arg;
} Ins;

enum { L_OUTER = 100, L_INNER, L_PRIME, L_NEXT, L_END, L_LOOP, L_WHILE, L_EVEN, L_STEP, L_DONE };

/* Primes below var7: v0 = n, v1 = d, v2 = count, v3 = sum. The inner
 * test "d * d < n or d * d == n" keeps going while d * d <= n. */
static const Ins primes_src[] = {
    {OP_PUSH, 2},    {OP_STORE, 0},     {-L_OUTER, 0},     {OP_LOAD, 0},  {OP_LOAD, 7},
    {OP_LT, 0},      {OP_JZ, L_END},    {OP_PUSH, 2},      {OP_STORE, 1}, {-L_INNER, 0},
    {OP_LOAD, 1},    {OP_LOAD, 1},      {OP_MUL, 0},       {OP_LOAD, 0},  {OP_LT, 0},
    {OP_LOAD, 1},    {OP_LOAD, 1},      {OP_MUL, 0},       {OP_LOAD, 0},  {OP_EQ, 0},
    {OP_ADD, 0},     {OP_JZ, L_PRIME},  {OP_LOAD, 0},      {OP_LOAD, 1},  {OP_MOD, 0},
    {OP_JZ, L_NEXT}, {OP_INC, 1},       {OP_JMP, L_INNER}, {-L_PRIME, 0}, {OP_INC, 2},
    {OP_LOAD, 3},    {OP_LOAD, 0},      {OP_ADD, 0},       {OP_STORE, 3}, {-L_NEXT, 0},
    {OP_INC, 0},     {OP_JMP, L_OUTER}, {-L_END, 0},       {OP_HALT, 0},
};

/* Sum of Collatz lengths for n in 1..var7: v0 = n, v1 = x, v2 = steps. */
static const Ins collatz_src[] = {
    {OP_PUSH, 1},      {OP_STORE, 0},     {-L_LOOP, 0}, {OP_LOAD, 7},     {OP_LOAD, 0},
    {OP_LT, 0},        {OP_JNZ, L_DONE},  {OP_LOAD, 0}, {OP_STORE, 1},    {-L_WHILE, 0},
    {OP_LOAD, 1},      {OP_PUSH, 1},      {OP_EQ, 0},   {OP_JNZ, L_STEP}, {OP_INC, 2},
    {OP_LOAD, 1},      {OP_PUSH, 1},      {OP_AND, 0},  {OP_JZ, L_EVEN},  {OP_LOAD, 1},
    {OP_PUSH, 3},      {OP_MUL, 0},       {OP_PUSH, 1}, {OP_ADD, 0},      {OP_STORE, 1},
    {OP_JMP, L_WHILE}, {-L_EVEN, 0},      {OP_LOAD, 1}, {OP_PUSH, 1},     {OP_SHR, 0},
    {OP_STORE, 1},     {OP_JMP, L_WHILE}, {-L_STEP, 0}, {OP_INC, 0},      {OP_JMP, L_LOOP},
    {-L_DONE, 0},      {OP_HALT, 0},
};

#define CODE_MAX 256

/* Assembles (op, arg) pairs into flat code; labels are negative ops. */
static int assemble(const Ins *src, int n, int32_t *code)
{
    int label_at[16];
    int pc = 0;
    for (int i = 0; i < n; i++) {
        if (src[i].op < 0)
            label_at[-src[i].op - L_OUTER] = pc;
        else
            pc += (src[i].op == OP_PUSH || src[i].op == OP_LOAD || src[i].op == OP_STORE ||
                   src[i].op == OP_JMP || src[i].op == OP_JZ || src[i].op == OP_JNZ ||
                   src[i].op == OP_INC)
                      ? 2
                      : 1;
    }
    pc = 0;
    for (int i = 0; i < n; i++) {
        int32_t op = src[i].op;
        if (op < 0) continue;
        code[pc++] = op;
        if (op == OP_JMP || op == OP_JZ || op == OP_JNZ)
            code[pc++] = label_at[src[i].arg - L_OUTER];
        else if (op == OP_PUSH || op == OP_LOAD || op == OP_STORE || op == OP_INC)
            code[pc++] = src[i].arg;
    }
    return pc;
}

static uint32_t run(const int32_t *code, uint32_t *var)
{
    uint32_t stack[64];
    int sp = 0, pc = 0;
    uint32_t steps = 0;
    for (;;) {
        steps++;
        int32_t op = code[pc++];
        switch (op) {
        case OP_PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
        case OP_LOAD: stack[sp++] = var[code[pc++]]; break;
        case OP_STORE: var[code[pc++]] = stack[--sp]; break;
        case OP_ADD:
            sp--;
            stack[sp - 1] += stack[sp];
            break;
        case OP_SUB:
            sp--;
            stack[sp - 1] -= stack[sp];
            break;
        case OP_MUL:
            sp--;
            stack[sp - 1] *= stack[sp];
            break;
        case OP_DIV:
            sp--;
            stack[sp - 1] = stack[sp] ? stack[sp - 1] / stack[sp] : 0;
            break;
        case OP_MOD:
            sp--;
            stack[sp - 1] = stack[sp] ? stack[sp - 1] % stack[sp] : 0;
            break;
        case OP_LT:
            sp--;
            stack[sp - 1] = stack[sp - 1] < stack[sp];
            break;
        case OP_EQ:
            sp--;
            stack[sp - 1] = stack[sp - 1] == stack[sp];
            break;
        case OP_AND:
            sp--;
            stack[sp - 1] &= stack[sp];
            break;
        case OP_SHR:
            sp--;
            stack[sp - 1] >>= stack[sp] & 31;
            break;
        case OP_DUP:
            stack[sp] = stack[sp - 1];
            sp++;
            break;
        case OP_DROP: sp--; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: pc = stack[--sp] ? pc + 1 : code[pc]; break;
        case OP_JNZ: pc = stack[--sp] ? code[pc] : pc + 1; break;
        case OP_INC: var[code[pc++]]++; break;
        default: return steps;
        }
    }
}

uint32_t bench_run(void)
{
    int32_t code[CODE_MAX];
    uint32_t var[8] = {0};
    uint32_t limit = 12000;
    BENCH_OPAQUE(limit);
    assemble(primes_src, (int)(sizeof primes_src / sizeof primes_src[0]), code);
    var[7] = limit;
    uint32_t steps = run(code, var);
    uint32_t sum = var[2] * 31 + var[3] + steps;
    for (int i = 0; i < 8; i++)
        var[i] = 0;
    var[7] = limit * 2;
    assemble(collatz_src, (int)(sizeof collatz_src / sizeof collatz_src[0]), code);
    steps = run(code, var);
    return sum * 31 + var[2] + steps;
}
