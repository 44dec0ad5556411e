; singlestep.asm - finer points of the single-step trap (TF, vector 1).
;
; Debuggers (DEBUG.COM, dosdebug, gdb stubs) step code with TF, and copy
; protections use TF tricks; the SDM (Vol. 3, "Single-Step Exception
; Condition" and "Masking Exceptions and Interrupts When Switching Stacks";
; Vol. 2, STI) fixes when the trap comes:
;   - not after the POPF that sets TF, but after the POPF that clears it
;     (TF is looked at when an instruction starts);
;   - after a taken jump, with the saved IP at the target;
;   - after each iteration of a REP string instruction, the saved IP at the
;     REP instruction until the count runs out;
;   - after STI: STI's shadow holds back maskable interrupts only, not debug
;     traps (MOV SS and POP SS hold back both; cpu_misc.asm checks those).
;     Bochs does this (STI inhibits interrupts only, MOV SS interrupts and
;     debug traps); QEMU's TCG (7.2) holds the trap back after STI as well,
;     so that one check fails on QEMU.

%include "common.inc"

start:
        GUEST_INIT
        PRINTLN "singlestep: when the single-step trap comes"
        call install_traps
        SET_VECTOR 1, step_handler

        ; --- POPF clearing TF still traps --------------------------------
        STEP_BEGIN 0xFFFF           ; never stop: the POPF below clears TF
        SET_TF
.c1:    nop
.c2:    pushf                       ; 4 instructions that clear TF with POPF
.c3:    pop ax
.c4:    and ah, 0xFE
.c5:    push ax
.c6:    popf
.c_after:
        nop
        CHECK16 word [S_COUNT], 6, "popf clearing TF: 6 traps, the last after the POPF"
        CHECK16 word [S_IPS + 8], .c6, "popf clearing TF: trap 5 before the POPF"
        CHECK16 word [S_IPS + 10], .c_after, "popf clearing TF: trap 6 after the POPF"

        ; --- a taken jump ---------------------------------------------------
        STEP_BEGIN .j_stop
        SET_TF
.j1:    jmp short .j_target
        nop
        nop
.j_target:
        nop
.j_stop:
        CHECK16 word [S_COUNT], 2, "jmp: 2 traps"
        CHECK16 word [S_IPS + 0], .j_target, "jmp: the trap's saved IP is the target"

        ; --- REP MOVSB: one trap per iteration ------------------------------
        mov si, SCRATCH
        mov di, SCRATCH + 0x100
        mov cx, 3
        STEP_BEGIN .r_stop
        SET_TF
.r1:    rep movsb
.r_stop:
        CHECK16 word [S_COUNT], 3, "rep movsb with CX = 3: 3 traps"
        CHECK16 word [S_IPS + 0], .r1, "rep movsb: trap 1 at the REP (2 iterations left)"
        CHECK16 word [S_IPS + 2], .r1, "rep movsb: trap 2 at the REP (1 iteration left)"
        CHECK16 word [S_IPS + 4], .r_stop, "rep movsb: trap 3 after the REP"
        CHECK16 cx, 0, "rep movsb: CX = 0"

        ; --- STI does not hold the trap back --------------------------------
        STEP_BEGIN .t_stop
        SET_TF
.t1:    nop
.t2:    sti                         ; every IRQ is masked at the PIC
.t3:    nop
.t_stop:
        cli
        CHECK16 word [S_COUNT], 3, "sti: the single-step trap after STI is not held back"
        CHECK16 word [S_IPS + 2], .t3, "sti: trap 2 right after STI"

        CHECK16 word [S_TF_IN], 0, "TF clear inside the handler"
        FINISH

        ROM_END
