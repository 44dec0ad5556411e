/*
 * disasm.c - capstone wrapper (see disasm.h). Handles are opened lazily
 * and kept for the process: opening capstone costs far more than one call.
 */
#include "cpu/disasm.h"

#include <capstone/capstone.h>
#include <stdio.h>

int disasm_one(const uint8_t *buf, size_t avail, uint32_t addr, int code32, char *out, size_t outsz)
{
    static csh handles[2];
    static int opened[2];
    int m = code32 ? 1 : 0;
    if (!opened[m]) {
        if (cs_open(CS_ARCH_X86, m ? CS_MODE_32 : CS_MODE_16, &handles[m]) != CS_ERR_OK) {
            snprintf(out, outsz, "(no disassembler)");
            return 0;
        }
        opened[m] = 1;
    }
    cs_insn *insn = NULL;
    size_t n = cs_disasm(handles[m], buf, avail, addr, 1, &insn);
    if (n == 0) {
        snprintf(out, outsz, "(bad)");
        return 0;
    }
    snprintf(out, outsz, "%s%s%s", insn[0].mnemonic, insn[0].op_str[0] ? " " : "", insn[0].op_str);
    int len = insn[0].size;
    cs_free(insn, n);
    return len;
}
