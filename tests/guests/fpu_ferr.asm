; fpu_ferr.asm - the MS-DOS compatible x87 error path: CR0.NE = 0, FERR#
; to IRQ13 (slave PIC input 5, vector 0x2D here), the port F0h write that
; clears the latch.
;
; An unmasked zero divide, then a waiting x87 instruction: no #MF; FERR#
; rises and IRQ13 arrives (interrupts on, IRQ2 and IRQ13 unmasked). The
; handler does what DOS-era handlers do: OUT F0h (clear the FERR# latch),
; FNSTSW (the ZE and ES it finds), FNCLEX, EOI to both PICs. After it the
; FPU works and no second IRQ13 comes. A masked exception raises nothing.
;
; Needs the machine to wire cpu->on_ferr to IRQ13 and port F0h
; (devices/pc.c); passes on QEMU.

%include "common.inc"

CWV     equ VARS + 0x30
W       equ VARS + 0x32
COUNT   equ VARS + 0x40             ; IRQ13s taken
SEEN_SW equ VARS + 0x42             ; status word inside the handler
IRQ13_VEC equ PIC2_BASE + 5

start:
        GUEST_INIT
        PRINTLN "fpu_ferr: CR0.NE = 0, FERR# on IRQ13, port F0h"
        call install_traps
        SET_VECTOR 16, unexpected_mf
        SET_VECTOR IRQ13_VEC, irq13
        mov word [COUNT], 0

        mov eax, cr0
        and eax, ~(1 << 5)          ; NE = 0
        mov cr0, eax
        in al, PIC1_DATA
        and al, ~(1 << 2)           ; the cascade
        out PIC1_DATA, al
        in al, PIC2_DATA
        and al, ~(1 << 5)           ; IRQ13
        out PIC2_DATA, al

        ; a masked zero divide: nothing
        fninit
        sti
        fld1
        fldz
        fdivp st1
        fld1
        nop
        nop
        cli
        CHECK16 word [COUNT], 0, "masked zero divide: no IRQ13"

        ; unmasked: IRQ13 at the next waiting instruction
        fninit
        mov word [CWV], 0x037B
        fldcw [CWV]
        fld1
        fldz
        sti
        fdivp st1
        nop
        nop
        CHECK16 word [COUNT], 0, "the zero divide itself raises nothing yet"
        fwait
        mov cx, 1000                ; the IRQ arrives within a few instructions
.wait:  cmp word [COUNT], 0
        jne .got
        loop .wait
.got:   cli
        CHECK16 word [COUNT], 1, "the next waiting instruction: IRQ13 once"
        mov ax, [SEEN_SW]
        and ax, 0x00FF
        CHECK16 ax, 0x0084, "the handler found ZE and ES"
        fnstsw ax
        and ax, 0x00FF
        CHECK16 ax, 0x0000, "after FNCLEX in the handler: no flags"
        sti
        fld1
        fwait
        nop
        nop
        cli
        CHECK16 word [COUNT], 1, "no second IRQ13"
        fninit
        fld1
        fistp word [W]
        CHECK16 word [W], 1, "the FPU works on"

        FINISH

irq13:
        push ax
        push ds
        push word 0
        pop ds
        inc word [COUNT]
        xor al, al
        out 0xF0, al                ; clear FERR# latch (and IGNNE#)
        fnstsw [SEEN_SW]
        fnclex
        mov al, 0x20
        out PIC2_CMD, al
        out PIC1_CMD, al
        pop ds
        pop ax
        iret

unexpected_mf:
        FAIL_NOW "#MF with CR0.NE = 0"
        EXIT 1

        ROM_END
