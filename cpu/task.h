/*
 * task.h - hardware task switching and the I/O permission check (SDM
 * Vol. 3 chapter 8 "Task Management", chapter 19 "Input/Output" 19.5 I/O
 * permission bit map). Implemented in cpu/task.c.
 *
 *   cpu_task_switch(cpu, sel, TASK_CALL, false, 0);   // CALL/JMP/INT/IRET through a TSS or task gate
 *   if (!cpu_io_allowed(cpu, port, 2)) cpu_exception(cpu, EXC_GP, 0);
 */
#ifndef BRISK_TASK_H
#define BRISK_TASK_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"

typedef enum { TASK_JMP, TASK_CALL, TASK_IRET, TASK_INT } TaskSwitchReason;

/* Switches to the task whose TSS descriptor is selected by tss_sel (a task
 * gate has already been resolved by the caller). With has_error, the error
 * code is pushed on the new task's stack (exceptions through task gates).
 * Raises the faults the SDM lists (#TS, #NP, #GP, #SS); on return EIP and
 * next_eip hold the new task's EIP. */
void cpu_task_switch(Cpu *cpu, uint16_t tss_sel, TaskSwitchReason reason, bool has_error,
                     uint32_t error);

/* True when the current privilege may access size ports at port: real
 * mode always; protected mode with CPL <= IOPL; otherwise (and in v86
 * mode) the TSS I/O permission bitmap decides. */
bool cpu_io_allowed(Cpu *cpu, uint16_t port, unsigned size);

#endif
