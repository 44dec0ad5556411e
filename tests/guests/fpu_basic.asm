; fpu_basic.asm - the x87 FPU and MMX as real-mode code sees them.
;
; CPUID reports FPU, MMX and FXSR; FNINIT's control and status words; a few
; arithmetic results stored as doubles and floats (1 + 1, sqrt(2), pi, 1/3,
; 17 mod 5 with FPREM's quotient bits in C0/C3/C1); FIST under the four
; rounding controls; FBSTP; the constants rounded by RC (FLDPI); FXAM's
; classes (empty, normal, zero, infinity, NaN, denormal); FCOM and FCOMI
; results (C3/C2/C0 and ZF/PF/CF for less, equal, greater, unordered); stack
; overflow and underflow (IE, SF, C1, the indefinite); FCMOVcc; a few MMX
; instructions (saturation, PMADDWD, the aliasing with the x87 registers,
; EMMS).
;
; Everything here is architectural and passes on QEMU as well
; (tests/guests/run_qemu.sh).

%include "common.inc"

D       equ VARS + 0x10             ; qword results
W       equ VARS + 0x20             ; word operands
CW      equ VARS + 0x30
BCD     equ VARS + 0x40             ; 10 bytes
MMA     equ VARS + 0x60             ; MMX operands
MMB     equ VARS + 0x68
ENV     equ VARS + 0x80             ; FNSTENV image (14 bytes)

start:
        GUEST_INIT
        PRINTLN "fpu_basic: x87 arithmetic, compares, stack faults, MMX"
        call install_traps

        ; === CPUID and FNINIT ===============================================
        mov eax, 1
        cpuid
        and edx, (1 << 0) | (1 << 23) | (1 << 24)
        CHECK edx, (1 << 0) | (1 << 23) | (1 << 24), "cpuid 1 edx: FPU, MMX, FXSR"
        fninit
        fnstcw [CW]
        CHECK16 word [CW], 0x037F, "fninit: control word 037F"
        fnstsw ax
        CHECK16 ax, 0x0000, "fninit: status word 0"

        ; === arithmetic =====================================================
        fld1
        fld1
        faddp st1
        fstp qword [D]
        CHECK dword [D + 4], 0x40000000, "1 + 1 = 2.0 (high dword)"
        CHECK dword [D], 0, "1 + 1 = 2.0 (low dword)"
        mov word [W], 2
        fild word [W]
        fsqrt
        fstp qword [D]
        CHECK dword [D + 4], 0x3FF6A09E, "sqrt(2) as a double (high)"
        CHECK dword [D], 0x667F3BCD, "sqrt(2) as a double (low)"
        fldpi
        fstp qword [D]
        CHECK dword [D + 4], 0x400921FB, "fldpi as a double (high)"
        CHECK dword [D], 0x54442D18, "fldpi as a double (low)"
        fld1
        mov word [W], 3
        fidiv word [W]
        fstp dword [D]
        CHECK dword [D], 0x3EAAAAAB, "1/3 as a float (round to nearest)"
        fnstsw ax
        and ax, 0x3800 | 0x0020
        CHECK16 ax, 0x0020, "1/3: PE set, TOP back to 0"

        ; FPREM: 17 mod 5 = 2, quotient 3 (Q2 Q1 Q0 = 0 1 1 -> C0 C3 C1)
        mov word [W], 5
        fild word [W]
        mov word [W], 17
        fild word [W]
        fprem
        fnstsw ax
        and ax, 0x4700
        CHECK16 ax, 0x4200, "fprem 17 mod 5: C3 = Q1, C1 = Q0, C0 = Q2 = 0, C2 = 0"
        fistp word [W]
        CHECK16 word [W], 2, "fprem 17 mod 5 = 2"
        fstp st0

        ; FIST of 2.5 and -2.5 under each rounding control
        mov si, 0
.rc_loop:
        mov ax, si
        shl ax, 10
        or ax, 0x037F
        mov [CW], ax
        fldcw [CW]
        mov dword [D], 0x40200000   ; 2.5f
        fld dword [D]
        fistp word [W]
        mov ax, [W]
        mov bx, si
        mov [VARS + 0x38 + bx], al
        mov dword [D], 0xC0200000   ; -2.5f
        fld dword [D]
        fistp word [W]
        mov ax, [W]
        mov [VARS + 0x3C + bx], al
        inc si
        cmp si, 4
        jb .rc_loop
        fninit
        CHECK dword [VARS + 0x38], 0x02030202, "fist 2.5: nearest 2, down 2, up 3, chop 2"
        CHECK dword [VARS + 0x3C], 0xFEFEFDFE, "fist -2.5: nearest -2, down -3, up -2, chop -2"

        ; FBSTP: -12345 as packed BCD
        mov word [W], -12345
        fild word [W]
        fbstp tword [BCD]
        CHECK dword [BCD], 0x00012345, "fbstp -12345: digits"
        CHECK8 byte [BCD + 9], 0x80, "fbstp -12345: sign byte"
        fbld tword [BCD]
        fistp word [W]
        CHECK16 word [W], -12345, "fbld: back to -12345"

        ; FLDPI rounded down (RC = 01): the last bit of the significand is 4, not 5
        mov word [CW], 0x077F
        fldcw [CW]
        fldpi
        fstp tword [BCD]
        CHECK dword [BCD], 0x2168C234, "fldpi, RC down: significand ...2168C234"
        mov word [CW], 0x037F
        fldcw [CW]
        fldpi
        fstp tword [BCD]
        CHECK dword [BCD], 0x2168C235, "fldpi, RC nearest: significand ...2168C235"

        ; === FXAM ===========================================================
        fninit
        fxam
        call cc
        CHECK16 ax, 0x4100, "fxam empty: C3 C0"
        fld1
        fxam
        call cc
        CHECK16 ax, 0x0400, "fxam +1.0: C2 (normal)"
        fchs
        fxam
        call cc
        CHECK16 ax, 0x0600, "fxam -1.0: C2, C1 = sign"
        fldz
        fxam
        call cc
        CHECK16 ax, 0x4000, "fxam +0.0: C3"
        mov dword [D], 0xFF800000   ; -inf
        fld dword [D]
        fxam
        call cc
        CHECK16 ax, 0x0700, "fxam -inf: C2 C0, C1 = sign"
        mov dword [D], 0x7FC00000   ; QNaN
        fld dword [D]
        fxam
        call cc
        CHECK16 ax, 0x0100, "fxam NaN: C0"
        mov dword [BCD], 1          ; the smallest extended denormal
        mov dword [BCD + 4], 0
        mov word [BCD + 8], 0
        fld tword [BCD]
        fxam
        call cc
        CHECK16 ax, 0x4400, "fxam denormal: C3 C2"
        fninit

        ; === comparisons ====================================================
        mov word [W], 1
        fild word [W]               ; ST1 = 1
        mov word [W], 2
        fild word [W]               ; ST0 = 2
        fcom st1
        call cc
        CHECK16 ax, 0x0000, "fcom 2 vs 1: greater (C3 C2 C0 = 000)"
        fxch st1
        fcom st1
        call cc
        CHECK16 ax, 0x0100, "fcom 1 vs 2: less (C0)"
        fcom st0
        call cc
        CHECK16 ax, 0x4000, "fcom 1 vs 1: equal (C3)"
        fcomi st1
        pushf
        pop ax
        and ax, 0x08D5
        CHECK16 ax, 0x0001, "fcomi 1 vs 2: CF, ZF = PF = 0, OF SF AF cleared"
        fucomi st0
        pushf
        pop ax
        and ax, 0x08D5
        CHECK16 ax, 0x0040, "fucomi 1 vs 1: ZF"
        mov dword [D], 0x7FC00000
        fld dword [D]               ; ST0 = QNaN
        fucomip st1
        pushf
        pop ax
        and ax, 0x0045
        CHECK16 ax, 0x0045, "fucomip NaN: unordered (ZF PF CF)"
        fnstsw ax
        test ax, 1
        CHECK_CC z, "fucomip QNaN: no invalid operation"
        mov dword [D], 0x7FC00000
        fld dword [D]
        fcomp st1
        call cc
        CHECK16 ax, 0x4500, "fcomp NaN: unordered (C3 C2 C0)"
        fnstsw ax
        and ax, 0x3841
        CHECK16 ax, 0x3001, "fcomp QNaN: IE (masked), popped to TOP 6"
        fninit

        ; FCMOVcc follows EFLAGS
        mov word [W], 7
        fild word [W]
        mov word [W], 9
        fild word [W]               ; ST0 = 9, ST1 = 7
        stc
        fcmovnb st1                 ; CF = 1: no move
        clc
        fcmovb st1                  ; CF = 0: no move
        fistp word [W]
        CHECK16 word [W], 9, "fcmovnb/fcmovb: no move"
        fld1                        ; ST0 = 1, ST1 = 7
        xor ax, ax                  ; ZF = 1
        fcmove st1
        fistp word [W]
        CHECK16 word [W], 7, "fcmove (ZF = 1): moved"
        fninit

        ; === stack overflow and underflow ====================================
        mov cx, 8
.push8: fld1
        loop .push8
        fnstsw ax
        CHECK16 ax, 0x0000, "eight pushes: no fault, TOP 0"
        fld1
        fnstsw ax
        and ax, 0x3A7F
        CHECK16 ax, 0x3841 | 0x0200, "ninth push: IE SF C1 (overflow), TOP 7"
        fstp tword [BCD]
        CHECK dword [BCD + 4], 0xC0000000, "overflow: the indefinite was loaded (significand)"
        CHECK16 word [BCD + 8], 0xFFFF, "overflow: the indefinite (sign and exponent)"
        fninit
        fadd st0, st1               ; both empty
        fnstsw ax
        and ax, 0x027F
        CHECK16 ax, 0x0041, "fadd on empty registers: IE SF, C1 = 0 (underflow)"
        fninit

        ; === MMX ============================================================
        mov dword [MMA], 0x10203040
        mov dword [MMA + 4], 0x7F80FF00
        mov dword [MMB], 0x01020304
        mov dword [MMB + 4], 0x01FF01FF
        fld1                        ; TOP 7
        movq mm0, [MMA]
        paddsb mm0, [MMB]
        movq [MMA], mm0
        CHECK dword [MMA], 0x11223344, "paddsb low"
        CHECK dword [MMA + 4], 0x7F8000FF, "paddsb high: 7F+1 = 7F, 80+FF = 80"
        fnstenv [ENV]
        CHECK16 word [ENV + 2], 0x0000, "after MMX: TOP 0"
        mov ax, [ENV + 4]
        and ax, 0x0003
        CHECK16 ax, 0x0002, "after MMX: R0 tagged special (exponent all ones)"
        mov dword [MMA], 0x00030002
        mov dword [MMA + 4], 0x80008000
        movq mm1, [MMA]
        pmaddwd mm1, mm1
        movq [MMB], mm1
        CHECK dword [MMB], 13, "pmaddwd: 2*2 + 3*3"
        CHECK dword [MMB + 4], 0x80000000, "pmaddwd: (-32768)^2 * 2 wraps"
        emms
        fnstenv [ENV]
        CHECK16 word [ENV + 4], 0xFFFF, "emms: every tag empty"
        fld1
        fnstsw ax
        test ax, 0x0041
        CHECK_CC z, "after emms the x87 stack is usable"

        FINISH

; cc: AX = the status word's C3 C2 C1 C0 bits.
cc:
        fnstsw ax
        and ax, 0x4700
        ret

        ROM_END
