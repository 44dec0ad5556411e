/*
 * disasm.h - disassembly of guest code for logs and the debugger
 * (capstone, AT&T-free Intel syntax as the SDM spells it).
 *
 *   char text[96];
 *   int n = disasm_one(bytes, avail, 0xFFF0, false, text, sizeof text);
 */
#ifndef BRISK_DISASM_H
#define BRISK_DISASM_H

#include <stddef.h>
#include <stdint.h>

/* Disassembles one instruction; returns its length, or 0 with "(bad)". */
int disasm_one(const uint8_t *buf, size_t avail, uint32_t addr, int code32, char *out, size_t outsz);

#endif
