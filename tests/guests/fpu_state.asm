; fpu_state.asm - saving and restoring the x87 state in real mode.
;
; FNSAVE/FRSTOR in the 16-bit (94-byte) and 32-bit (108-byte, o32 prefix)
; real-mode formats: the control, status and tag words at their places
; (the tag word classifies each register: valid, zero, special, empty),
; the registers in stack order, FNSAVE initialising the FPU, FRSTOR then
; FNSAVE giving the same image again. FNSTENV/FLDENV: FNSTENV masks every
; exception after storing, FLDENV brings the old control word back.
; FXSAVE/FXRSTOR: the 512-byte image (control, status, abridged tag,
; registers at 32 + 16 * i), a round trip, #GP for an operand that is not
; 16-byte aligned.
;
; The pointer fields (FIP, FDP, FCS, FDS) are left out of the comparisons
; between the formats: QEMU stores zeros there (docs/fpu.md); fpu_except
; checks them on Brisk.

%include "common.inc"

SAVE1   equ SCRATCH                 ; FNSAVE images
SAVE2   equ SCRATCH + 0x100
SAVE3   equ SCRATCH + 0x200
FX1     equ SCRATCH + 0x400         ; FXSAVE images (16-byte aligned)
FX2     equ SCRATCH + 0x600
ENV1    equ VARS + 0x100
W       equ VARS + 0x20
CWV     equ VARS + 0x30

start:
        GUEST_INIT
        PRINTLN "fpu_state: FSAVE/FRSTOR, FSTENV/FLDENV, FXSAVE/FXRSTOR"
        call install_traps

        ; === FNSAVE, 16-bit format ===========================================
        call load_state
        fnsave [SAVE1]
        CHECK16 word [SAVE1], 0x0B7F, "fnsave16: control word"
        CHECK16 word [SAVE1 + 2], 0x2000, "fnsave16: status word (TOP 4)"
        CHECK16 word [SAVE1 + 4], 0x04FF, "fnsave16: tag word (R5 zero, R0-R3 empty)"
        CHECK dword [SAVE1 + 14 + 4], 0xA0000000, "fnsave16: ST0 = -5 (significand)"
        CHECK16 word [SAVE1 + 14 + 8], 0xC001, "fnsave16: ST0 = -5 (sign, exponent)"
        CHECK16 word [SAVE1 + 14 + 18], 0x0000, "fnsave16: ST1 = +0"
        CHECK dword [SAVE1 + 14 + 24], 0xC90FDAA2, "fnsave16: ST2 = pi"
        CHECK16 word [SAVE1 + 14 + 38], 0x3FFF, "fnsave16: ST3 = 1.0"
        fnstcw [CWV]
        CHECK16 word [CWV], 0x037F, "fnsave16 then initialises: control word"
        fnstsw ax
        CHECK16 ax, 0, "fnsave16 then initialises: status word"
        frstor [SAVE1]
        fnsave [SAVE2]
        mov si, SAVE1
        mov di, SAVE2
        mov cx, 94
        repe cmpsb
        CHECK16 cx, 0, "frstor16 + fnsave16: the same 94 bytes"

        ; === FNSAVE, 32-bit format ===========================================
        frstor [SAVE1]
        o32 fnsave [SAVE3]
        CHECK16 word [SAVE3], 0x0B7F, "fnsave32: control word"
        CHECK16 word [SAVE3 + 4], 0x2000, "fnsave32: status word"
        CHECK16 word [SAVE3 + 8], 0x04FF, "fnsave32: tag word"
        CHECK16 word [SAVE3 + 28 + 8], 0xC001, "fnsave32: ST0 = -5"
        CHECK16 word [SAVE3 + 28 + 38], 0x3FFF, "fnsave32: ST3 = 1.0"
        o32 frstor [SAVE3]
        o32 fnsave [SAVE2]
        mov si, SAVE3
        mov di, SAVE2
        mov cx, 108
        repe cmpsb
        CHECK16 cx, 0, "frstor32 + fnsave32: the same 108 bytes"
        ; the two formats hold the same registers
        mov si, SAVE1 + 14
        mov di, SAVE3 + 28
        mov cx, 80
        repe cmpsb
        CHECK16 cx, 0, "fnsave16 and fnsave32: the same registers"

        ; === FNSTENV / FLDENV ================================================
        frstor [SAVE1]
        mov word [CWV], 0x0360      ; every exception unmasked
        fldcw [CWV]
        fnstenv [ENV1]
        CHECK16 word [ENV1], 0x0360, "fnstenv16: control word stored"
        CHECK16 word [ENV1 + 4], 0x04FF, "fnstenv16: tag word"
        fnstcw [CWV]
        CHECK16 word [CWV], 0x037F, "fnstenv: then every exception is masked"
        fldenv [ENV1]
        fnstcw [CWV]
        CHECK16 word [CWV], 0x0360, "fldenv16: the control word is back"
        fnstsw ax
        CHECK16 ax, 0x2000, "fldenv16: the status word is back"
        mov word [CWV], 0x037F
        fldcw [CWV]
        o32 fnstenv [ENV1]
        CHECK16 word [ENV1 + 4], 0x2000, "fnstenv32: status word"
        CHECK16 word [ENV1 + 8], 0x04FF, "fnstenv32: tag word"
        fninit
        o32 fldenv [ENV1]
        fnstsw ax
        CHECK16 ax, 0x2000, "fldenv32: TOP 4 again"
        fistp word [W]              ; the registers were kept by FNINIT/FLDENV
        CHECK16 word [W], -5, "fldenv32: ST0 is -5 again"

        ; === FXSAVE / FXRSTOR ================================================
        frstor [SAVE1]
        fxsave [FX1]
        CHECK16 word [FX1], 0x0B7F, "fxsave: control word"
        CHECK16 word [FX1 + 2], 0x2000, "fxsave: status word"
        CHECK8 byte [FX1 + 4], 0xF0, "fxsave: abridged tag (R4-R7 in use)"
        CHECK dword [FX1 + 32 + 4], 0xA0000000, "fxsave: ST0 = -5 (significand)"
        CHECK16 word [FX1 + 32 + 8], 0xC001, "fxsave: ST0 = -5 (sign, exponent)"
        CHECK16 word [FX1 + 32 + 16 * 3 + 8], 0x3FFF, "fxsave: ST3 = 1.0"
        fnstsw ax
        CHECK16 ax, 0x2000, "fxsave leaves the state alone"
        fninit
        fxrstor [FX1]
        fnsave [SAVE2]
        mov si, SAVE1
        mov di, SAVE2
        mov cx, 6
        repe cmpsb
        CHECK16 cx, 0, "fxrstor: control, status and tag words back"
        mov si, SAVE1 + 14
        mov di, SAVE2 + 14
        mov cx, 80
        repe cmpsb
        CHECK16 cx, 0, "fxrstor: the registers back"
        ; an empty register in the abridged tag stays empty
        fninit
        fld1
        fxsave [FX2]
        CHECK8 byte [FX2 + 4], 0x80, "fxsave: one register in use (R7)"
        fninit
        fxrstor [FX2]
        fnstenv [ENV1]
        CHECK16 word [ENV1 + 4], 0x3FFF, "fxrstor: R7 valid, the others empty"
        ; misaligned operands: #GP
        EXPECT_TRAP .gp1
        fxsave [FX2 + 8]
.gp1:
        CHECK16 word [F_VEC], 13, "fxsave misaligned: #GP"
        EXPECT_TRAP .gp2
        fxrstor [FX2 + 4]
.gp2:
        CHECK16 word [F_VEC], 13, "fxrstor misaligned: #GP"

        FINISH

; load_state: control word 0B7F (RC up, 64-bit precision, all masked) and
; four registers: ST0 = -5, ST1 = +0, ST2 = pi, ST3 = 1.0 (TOP 4).
load_state:
        fninit
        mov word [CWV], 0x0B7F
        fldcw [CWV]
        fld1
        mov word [CWV], 0x037F      ; pi rounded to nearest...
        fldcw [CWV]
        fldpi
        mov word [CWV], 0x0B7F      ; ...then back to RC up
        fldcw [CWV]
        fldz
        mov word [W], -5
        fild word [W]
        ret

        ROM_END
