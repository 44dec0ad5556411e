/*
 * cpu.h - the x86 CPU state (a P6-family core) and its public API.
 *
 * Models: the architectural state of an Intel P6 (Pentium II class) CPU as
 * the Intel SDM Volume 1 ch. 3 and Volume 3 ch. 2 and 9 describe it:
 * general registers, EIP, EFLAGS, segment registers with their hidden
 * descriptor caches, control, debug and descriptor-table registers, the
 * time-stamp counter and the INTR/NMI inputs. Reset state: SDM Vol. 3
 * section 9.1.1, Table 9-1.
 *
 * Arithmetic flags are lazy (cpu/flags.h): the last flag-setting operation
 * and its operands are kept and a flag is computed only when read.
 *
 * Guest faults leave a handler through siglongjmp to the execution loop
 * (cpu_exception); the loop then delivers them (cpu_deliver_exception).
 * EIP always holds the address of the instruction being executed until it
 * completes, so a fault restarts it with the state as it was.
 *
 *   Cpu *cpu = cpu_new(bus, clock);
 *   cpu_reset(cpu);            // F000:FFF0, real mode
 *   ...the translator's exec loop runs it (translator/exec.h)...
 *
 * Known deviations: see docs/cpu.md.
 */
#ifndef BRISK_CPU_H
#define BRISK_CPU_H

#include <setjmp.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/core/bus.h"
#include "devices/core/clock.h"
#include "cpu/x87.h"

/* General registers, in the encoding order of the ModRM reg field. */
enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
/* Segment registers, in the encoding order of the ModRM reg field. */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_COUNT };

/* EFLAGS bits. */
enum {
    F_CF = 1u << 0,
    F_PF = 1u << 2,
    F_AF = 1u << 4,
    F_ZF = 1u << 6,
    F_SF = 1u << 7,
    F_TF = 1u << 8,
    F_IF = 1u << 9,
    F_DF = 1u << 10,
    F_OF = 1u << 11,
    F_IOPL = 3u << 12,
    F_NT = 1u << 14,
    F_RF = 1u << 16,
    F_VM = 1u << 17,
    F_AC = 1u << 18,
    F_VIF = 1u << 19,
    F_VIP = 1u << 20,
    F_ID = 1u << 21,
};
#define F_ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* CR0 and CR4 bits. */
enum {
    CR0_PE = 1u << 0,
    CR0_MP = 1u << 1,
    CR0_EM = 1u << 2,
    CR0_TS = 1u << 3,
    CR0_ET = 1u << 4,
    CR0_NE = 1u << 5,
    CR0_WP = 1u << 16,
    CR0_AM = 1u << 18,
    CR0_NW = 1u << 29,
    CR0_CD = 1u << 30,
    CR0_PG = 1u << 31,
};
enum {
    CR4_VME = 1u << 0,
    CR4_PVI = 1u << 1,
    CR4_TSD = 1u << 2,
    CR4_DE = 1u << 3,
    CR4_PSE = 1u << 4,
    CR4_PAE = 1u << 5,
    CR4_MCE = 1u << 6,
    CR4_PGE = 1u << 7,
    CR4_PCE = 1u << 8,
};

/* Exception vectors. */
enum {
    EXC_DE = 0,
    EXC_DB = 1,
    EXC_NMI = 2,
    EXC_BP = 3,
    EXC_OF = 4,
    EXC_BR = 5,
    EXC_UD = 6,
    EXC_NM = 7,
    EXC_DF = 8,
    EXC_TS = 10,
    EXC_NP = 11,
    EXC_SS = 12,
    EXC_GP = 13,
    EXC_PF = 14,
    EXC_MF = 16,
    EXC_AC = 17,
    EXC_MC = 18,
};

/* Segment descriptor attribute bits kept in SegReg.attr: descriptor bits
 * 40-47 in the low byte (type, S, DPL, P) and bits 52-55 (AVL, L, D/B, G)
 * in bits 12-15, as LAR returns them shifted right by 8. */
enum {
    SEG_A = 1u << 0,  /* accessed */
    SEG_RW = 1u << 1, /* readable code / writable data */
    SEG_DC = 1u << 2, /* conforming code / expand-down data */
    SEG_CODE = 1u << 3,
    SEG_S = 1u << 4,  /* code or data (not system) */
    SEG_DPL_SHIFT = 5,
    SEG_P = 1u << 7,
    SEG_AVL = 1u << 12,
    SEG_DB = 1u << 14, /* default operand size 32 (CS) / big stack (SS) */
    SEG_G = 1u << 15,
};

typedef struct SegReg {
    uint16_t sel;
    uint16_t attr;
    uint32_t base;
    uint32_t limit; /* byte granular (G already applied) */
} SegReg;

typedef struct DtReg {
    uint32_t base;
    uint16_t limit;
} DtReg;

/* Soft TLB (cpu/mmu.c): guest linear page -> host pointer, one
 * direct-mapped set per privilege: set 0 for supervisor accesses (CPL 0-2
 * and the CPU's own system accesses), set 1 for user accesses (CPL 3), so
 * an access can never use an entry whose rights were checked for the other
 * privilege. A hit needs the tag to equal the page address; TLB_INVALID
 * never equals one. tag_read is set when the page may be read at that
 * privilege and is plain RAM/ROM; tag_write only when it may also be
 * written, its dirty bit is already set (the first write takes the slow
 * path, which sets it) and it is RAM that holds no decoded code. */
#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
#define TLB_INVALID 0xFFFFFFFFu
typedef struct TlbEntry {
    uint32_t tag_read;
    uint32_t tag_write;
    uintptr_t addend; /* host address = addend + linear address */
} TlbEntry;
/* The translation behind each TlbEntry (also for MMIO pages, which have no
 * fast entry): what the slow paths and instruction fetch use to skip the
 * page walk. phys holds the physical page and TLBX_* bits. */
enum {
    TLBX_WRITE = 1u << 0,  /* a write at this privilege needs no walk */
    TLBX_GLOBAL = 1u << 1, /* a global page (kept by MOV CR3) */
    TLBX_LARGE = 1u << 2,  /* part of a 4 MiB page (INVLPG drops all of it) */
};
typedef struct TlbXlat {
    uint32_t tag;  /* linear page, or TLB_INVALID */
    uint32_t phys; /* physical page | TLBX_* */
} TlbXlat;

/* Exit reasons of the execution loop. */
typedef enum {
    CPU_EXIT_STOP = 0,  /* the clock's stop point was reached or requested */
    CPU_EXIT_HALT,      /* HLT with no interrupt to take */
    CPU_EXIT_SHUTDOWN,  /* triple fault */
    CPU_EXIT_BREAK,     /* debugger stop */
} CpuExit;

typedef struct Cpu Cpu;
typedef int (*IntrAckFn)(void *opaque);
typedef void (*CpuHook)(void *opaque);

struct Cpu {
    /* --- hot state: the interpreter touches these on every instruction --- */
    uint32_t regs[8];
    uint32_t eip;      /* the current instruction until it completes */
    uint32_t next_eip; /* set before each handler runs; branches change it */
    /* Lazy flags (cpu/flags.h): cc_op says how to derive CF/PF/AF/ZF/SF/OF
     * from cc_res/cc_src1/cc_src2; with CC_EFLAGS they are in eflags. */
    uint32_t cc_op;
    uint32_t cc_res, cc_src1, cc_src2;
    uint32_t eflags; /* all other bits (always), bit 1 always set */
    SegReg seg[S_COUNT];
    uint64_t icount; /* retired instructions: the virtual clock runs on it */
    uint32_t a20_mask;
    bool code32;  /* CS.D: default operand and address size 32 */
    bool stack32; /* SS.B: ESP (not SP) is the stack pointer */
    bool stop_block; /* leave the current block after this instruction */
    uint8_t cpl;
    union {
        TlbEntry tlb[TLB_SIZE];          /* the supervisor set, tlb_set[0] */
        TlbEntry tlb_set[2][TLB_SIZE];   /* [0] supervisor, [1] user (CPL 3) */
    };

    /* --- system state --- */
    uint32_t cr[5];
    uint32_t dr[8];
    DtReg gdtr, idtr;
    SegReg ldtr, tr;
    uint64_t tsc_offset;
    uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
    TlbXlat tlb_xlat[2][TLB_SIZE]; /* beside tlb_set: the translations */
    bool tlb_has_global;   /* some entry is TLBX_GLOBAL (MOV CR3 must scan) */
    bool tlb_has_large;    /* some entry is TLBX_LARGE (INVLPG must scan) */
    X87State fpu;
    bool ferr;
    /* Debug registers (SDM Vol. 3 17.2-17.3), derived from DR7 and CR4.DE
     * by cpu_dbg_update(): which breakpoints are enabled, by kind. */
    uint8_t dbg_code_bps;  /* instruction breakpoints: a fault before the instruction */
    uint8_t dbg_data_bps;  /* data breakpoints: a trap after the access */
    uint8_t dbg_io_bps;    /* I/O breakpoints (CR4.DE): a trap after the access */
    uint8_t dbg_hit;       /* B0-B3 matched by the current instruction */             /* the FERR# output (IRQ13 path when CR0.NE = 0) */
    /* Called with the new level whenever FERR# changes (cpu/fpu.c); the
     * machine wires it to IRQ13. NULL: FERR# goes nowhere. */
    void (*on_ferr)(void *opaque, bool level);
    void *ferr_opaque;

    /* --- pins and pending events --- */
    bool intr;          /* the INTR input level */
    bool nmi_pending;
    bool halted;
    bool inhibit_irq;   /* interrupt shadow after STI, MOV SS, POP SS */
    bool inhibit_next;  /* set by such an instruction; becomes inhibit_irq */
    bool ss_shadow;     /* MOV SS / POP SS: also hold the single-step trap */
    bool trap_pending;  /* single-step trap after the current instruction */

    /* --- exceptions --- */
    sigjmp_buf *jmp;       /* where cpu_exception lands (the exec loop) */
    int exc_vector;        /* the exception being raised, -1 if none */
    uint32_t exc_error;
    bool exc_has_error;
    int exc_nesting;       /* for double and triple fault classification */
    bool shutdown;         /* triple fault happened */

    /* --- wiring --- */
    Bus *bus;
    Clock *clock;
    IntrAckFn intr_ack;    /* the PIC's INTA cycle */
    void *intr_opaque;
    CpuHook on_tlb_flush;  /* the translator may cache per-mode state */
    void *hook_opaque;
};

Cpu *cpu_new(Bus *bus, Clock *clock);
void cpu_free(Cpu *cpu);
/* The power-on / RESET# state (SDM Vol. 3 Table 9-1). */
void cpu_reset(Cpu *cpu);
/* INTR pin (wired to the PIC's output). Raising it stops the run loop at
 * the next block boundary so the interrupt is taken promptly. */
void cpu_set_intr(Cpu *cpu, bool level);
void cpu_set_intr_ack(Cpu *cpu, IntrAckFn fn, void *opaque);
/* IrqSetFn-compatible INTR input (n is ignored). */
void cpu_intr_line(void *cpu, int n, int level);
void cpu_raise_nmi(Cpu *cpu);

/* Raises a guest exception: does not return. */
_Noreturn void cpu_exception(Cpu *cpu, int vector, uint32_t error);
_Noreturn void cpu_fault(Cpu *cpu, int vector); /* no error code */
/* Delivers the exception recorded by cpu_exception (called by the loop
 * after the longjmp). Returns false on a triple fault (shutdown). */
bool cpu_deliver_exception(Cpu *cpu);
/* Delivers an interrupt or exception through the IVT/IDT. soft: INT n
 * (pushes next_eip); for faults EIP is pushed. */
void cpu_interrupt(Cpu *cpu, int vector, bool soft, bool has_error, uint32_t error);
/* Takes a pending NMI or INTR if allowed; returns true if one was taken. */
bool cpu_check_interrupts(Cpu *cpu);

/* Segment register loads. In real mode: base = sel << 4, the cached limit
 * and attributes stay (so "unreal mode" works). */
void cpu_load_seg(Cpu *cpu, int seg, uint16_t sel);
/* Recomputes code32/stack32/cpl from the segment caches and CR0. */
void cpu_update_mode(Cpu *cpu);
/* Mode bits that select how code is decoded (block cache key). */
static inline uint32_t cpu_mode_key(const Cpu *cpu)
{
    return (uint32_t)cpu->code32 | (uint32_t)(cpu->cr[0] & CR0_PE) << 1 |
           (uint32_t)((cpu->eflags & F_VM) ? 4 : 0) | (uint32_t)cpu->cpl << 3;
}

/* Writes to control registers (handle TLB flushes and mode changes). */
void cpu_set_cr0(Cpu *cpu, uint32_t val);
void cpu_set_cr3(Cpu *cpu, uint32_t val);
void cpu_set_cr4(Cpu *cpu, uint32_t val);

/* The soft TLB (SDM Vol. 3 4.10.4). Each flush also calls on_tlb_flush.
 * cpu_tlb_flush: every entry, global ones too (CR0.PG/WP/PE, CR4.PGE/PSE,
 * remaps). cpu_tlb_flush_nonglobal: all but global pages (MOV CR3, a task
 * switch that loads CR3: both through cpu_set_cr3). cpu_tlb_flush_page:
 * every entry for the page holding lin, global or not, and the whole 4 MiB
 * page if lin lies in one (INVLPG). */
/* Recomputes the enabled breakpoints after a DR0-DR3/DR7/CR4 change. */
void cpu_dbg_update(Cpu *cpu);
/* Data/I-O breakpoint check of an access (kind: 1 write, 3 read or write,
 * 2 I/O); records matches in dbg_hit. */
void cpu_dbg_check(Cpu *cpu, uint32_t addr, unsigned size, unsigned kind);
void cpu_tlb_flush(Cpu *cpu);
void cpu_tlb_flush_nonglobal(Cpu *cpu);
void cpu_tlb_flush_page(Cpu *cpu, uint32_t lin);
/* Bus remap hook: flushes the TLB and picks up the A20 mask. */
void cpu_bus_remapped(void *cpu);

/* Time-stamp counter value (virtual nanoseconds scaled to the nominal
 * 1 GHz rate plus the offset WRMSR set). */
uint64_t cpu_read_tsc(Cpu *cpu);

/* Complete EFLAGS (materializes the lazy flags). */
uint32_t cpu_get_eflags(Cpu *cpu);
/* Sets EFLAGS bits selected by mask (the lazy state becomes CC_EFLAGS). */
void cpu_set_eflags(Cpu *cpu, uint32_t val, uint32_t mask);

/* Host-side register dump (triple fault, -d cpu). */
void cpu_dump_state(Cpu *cpu, FILE *f);

/* CPUID feature bits that this build implements honestly. */
#define CPU_SIGNATURE 0x00000652u /* family 6, model 5, stepping 2: Pentium II */
uint32_t cpu_feature_edx(void);

#endif
