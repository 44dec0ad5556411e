; fpu_except.asm - x87 exceptions and the CR0 bits that govern the FPU.
;
; With CR0.NE = 1 an unmasked exception is reported as #MF (vector 16) by
; the next waiting x87 instruction (or WAIT), not by the one that caused it:
; the saved IP points at that next instruction, the non-waiting FNSTSW and
; FNSTENV run in between, and FNSTENV shows the instruction pointer and
; opcode of the culprit (real-mode image: linear address, opcode DE F9).
; An unmasked stack underflow is reported the same way. MMX instructions
; report a pending x87 exception too.
;
; CR0.TS: every x87 and MMX instruction raises #NM (vector 7), WAIT only
; when CR0.MP is set too; FXSAVE as well; CLTS ends it. CR0.EM: x87
; instructions raise #NM, WAIT does not, MMX instructions raise #UD.
;
; QEMU stores zeros in the pointer fields of FNSTENV, so the one check of
; the opcode there fails on QEMU (docs/fpu.md).

%include "common.inc"

W       equ VARS + 0x20
CWV     equ VARS + 0x30
ENV     equ VARS + 0x40
FX      equ SCRATCH

CR0_MP  equ 1 << 1
CR0_EM  equ 1 << 2
CR0_TS  equ 1 << 3
CR0_NE  equ 1 << 5

start:
        GUEST_INIT
        PRINTLN "fpu_except: #MF, #NM, #UD and the CR0 FPU bits"
        call install_traps
        SET_VECTOR 16, mf_trap

        mov eax, cr0
        or eax, CR0_NE
        and eax, ~(CR0_MP | CR0_EM | CR0_TS)
        mov cr0, eax

        ; === #MF after an unmasked zero divide ===============================
        fninit
        mov word [CWV], 0x037B      ; ZM = 0
        fldcw [CWV]
        fld1
        fldz
.fdiv:  fdivp st1
        fnstsw ax                   ; no wait: runs
        and ax, 0x80FF
        CHECK16 ax, 0x8084, "fdivp 1/0 unmasked: ZE, ES, B; no #MF yet"
        EXPECT_TRAP .mf1
.next1: fld1
        FAIL_NOW "the FLD1 after the zero divide ran"
.mf1:
        CHECK16 word [F_VEC], 16, "next waiting instruction: #MF (vector 16)"
        CHECK16 word [F_IP], .next1, "#MF: saved IP = the next x87 instruction"
        fnstenv [ENV]
        CHECK16 word [ENV + 6], .fdiv, "fnstenv in the handler: FIP = the FDIVP (low 16 bits)"
        CHECK16 word [ENV + 8], 0xF6F9, "fnstenv: FIP bits 16-19 (F) and the opcode DE F9"
        fldcw [CWV]                 ; FNSTENV masked everything: unmask ZE again
        EXPECT_TRAP .mf2
.next2: fwait
        FAIL_NOW "the WAIT with a pending exception ran"
.mf2:
        CHECK16 word [F_VEC], 16, "wait: #MF too"
        CHECK16 word [F_IP], .next2, "wait: saved IP = the WAIT"
        EXPECT_TRAP .mf3
.next3: pxor mm0, mm0
        FAIL_NOW "the MMX instruction with a pending exception ran"
.mf3:
        CHECK16 word [F_VEC], 16, "mmx: #MF for a pending x87 exception"
        fnclex
        EXPECT_TRAP 0
        fld1
        fwait
        CHECK16 word [F_COUNT], 0, "after fnclex: no fault"

        ; === #MF after an unmasked stack underflow ============================
        fninit
        mov word [CWV], 0x037E      ; IM = 0
        fldcw [CWV]
        fadd st0, st1               ; both empty
        fnstsw ax
        and ax, 0x82FF
        CHECK16 ax, 0x80C1, "underflow unmasked: IE, SF, ES, B, C1 = 0"
        EXPECT_TRAP .mf4
.next4: fnop
        FAIL_NOW "the FNOP after the underflow ran"
.mf4:
        CHECK16 word [F_IP], .next4, "underflow: #MF at the next instruction"
        fninit

        ; === CR0.TS ==========================================================
        mov eax, cr0
        or eax, CR0_TS
        mov cr0, eax
        EXPECT_TRAP .nm1
.ts1:   fld1
        FAIL_NOW "fld1 ran with TS"
.nm1:
        CHECK16 word [F_VEC], 7, "TS: fld1 raises #NM (vector 7)"
        CHECK16 word [F_IP], .ts1, "TS: saved IP = the x87 instruction"
        EXPECT_TRAP .nm2
        fninit
        FAIL_NOW "fninit ran with TS"
.nm2:
        CHECK16 word [F_VEC], 7, "TS: fninit raises #NM too"
        EXPECT_TRAP 0
        fwait
        CHECK16 word [F_COUNT], 0, "TS without MP: wait runs"
        mov eax, cr0
        or eax, CR0_MP
        mov cr0, eax
        EXPECT_TRAP .nm3
        fwait
        FAIL_NOW "wait ran with TS and MP"
.nm3:
        CHECK16 word [F_VEC], 7, "TS and MP: wait raises #NM"
        EXPECT_TRAP .nm4
        fxsave [FX]
        FAIL_NOW "fxsave ran with TS"
.nm4:
        CHECK16 word [F_VEC], 7, "TS: fxsave raises #NM"
        EXPECT_TRAP .nm5
        paddb mm1, mm2
        FAIL_NOW "paddb ran with TS"
.nm5:
        CHECK16 word [F_VEC], 7, "TS: mmx raises #NM"
        clts
        EXPECT_TRAP 0
        fld1
        fwait
        CHECK16 word [F_COUNT], 0, "clts: the FPU works again"

        ; === CR0.EM ==========================================================
        mov eax, cr0
        and eax, ~CR0_MP
        or eax, CR0_EM
        mov cr0, eax
        EXPECT_TRAP .em1
.e1:    fld1
        FAIL_NOW "fld1 ran with EM"
.em1:
        CHECK16 word [F_VEC], 7, "EM: fld1 raises #NM"
        CHECK16 word [F_IP], .e1, "EM: saved IP = the x87 instruction"
        EXPECT_TRAP 0
        fwait
        CHECK16 word [F_COUNT], 0, "EM: wait runs"
        EXPECT_TRAP .em2
        pxor mm0, mm0
        FAIL_NOW "pxor ran with EM"
.em2:
        CHECK16 word [F_VEC], 6, "EM: mmx raises #UD"
        EXPECT_TRAP .em3
        emms
        FAIL_NOW "emms ran with EM"
.em3:
        CHECK16 word [F_VEC], 6, "EM: emms raises #UD"
        mov eax, cr0
        and eax, ~CR0_EM
        mov cr0, eax
        EXPECT_TRAP 0
        fninit
        fld1
        fistp word [W]
        CHECK16 word [W], 1, "EM clear: the FPU works again"

        FINISH

; #MF through common.inc's trap recorder.
mf_trap:
        push word 16
        jmp trap_common

        ROM_END
