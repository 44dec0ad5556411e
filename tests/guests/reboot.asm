; reboot.asm - the machine resets and the guest boots again.
;
; A PC reboots through the chipset: port 92h bit 0 (fast reset) or a triple
; fault, which a PC turns into a reset (unless brisk runs with -no-reboot;
; this test runs without it). After either, the CPU starts again at
; F000:FFF0 with the reset state (EDX = signature, IDTR limit 0xFFFF,
; segments 0), while RAM keeps its contents: the guest counts its boots in
; RAM.
;   boot 1: write 1 to port 92h bit 0;
;   boot 2: check the state, pulse the 8042's reset line (command FEh);
;   boot 3: check the state, the PIIX3's reset control register (CF9h:
;           SRST, then RCPU);
;   boot 4: check the state, load an IDT limit of 0, divide by zero
;           (#DE -> #GP -> #DF -> shutdown -> reset);
;   boot 5: check the state again, exit.
; (The reset state checked here is also what INIT gives, which is what
; many chipsets really send in both cases.)

%include "common.inc"

BOOTS           equ VARS + 0x00     ; word: boots so far
MAGIC           equ VARS + 0x04     ; dword: BOOTS is valid when 'BOOT'
R_EDX           equ VARS + 0x10     ; the state at this boot's entry
R_FS            equ VARS + 0x14
R_IDTR          equ VARS + 0x18     ; limit word, base dword

start:
        mov [R_EDX], edx            ; DS = 0 after a reset
        mov [R_FS], fs
        sidt [R_IDTR]
        GUEST_INIT
        cmp dword [MAGIC], 'BOOT'
        je .again
        mov dword [MAGIC], 'BOOT'
        mov word [BOOTS], 0
.again: inc word [BOOTS]
        PRINT "reboot: boot "
        movzx eax, word [BOOTS]
        call print_dec
        call newline
        cmp word [BOOTS], 1
        je boot1
        cmp word [BOOTS], 2
        je boot2
        cmp word [BOOTS], 3
        je boot3
        cmp word [BOOTS], 4
        je boot4
        jmp boot5

boot1:
        mov ax, 0x1234              ; state that the reset must undo
        mov fs, ax
        PRINTLN "reboot: resetting through port 92h bit 0"
        in al, PORT_92
        and al, 0xFE
        out PORT_92, al
        or al, 0x01                 ; a rising edge of bit 0: reset
        out PORT_92, al
        call wait_for_reset
        FAIL_NOW "reboot: port 92h bit 0 did not reset the machine"
        FINISH

boot2:
        call check_state
        mov ax, 0x1234
        mov fs, ax
        PRINTLN "reboot: resetting through the 8042 (command FEh)"
        mov al, 0xFE
        out 0x64, al
        call wait_for_reset
        FAIL_NOW "reboot: the 8042's FEh command did not reset the machine"
        FINISH

boot3:
        call check_state
        mov ax, 0x1234
        mov fs, ax
        PRINTLN "reboot: resetting through port CF9h"
        mov dx, 0xCF9
        mov al, 0x02                ; SRST: a hard reset ...
        out dx, al
        mov al, 0x06                ; ... when RCPU goes to 1
        out dx, al
        call wait_for_reset
        FAIL_NOW "reboot: port CF9h did not reset the machine"
        FINISH

boot4:
        call check_state
        PRINTLN "reboot: resetting through a triple fault"
        mov ax, 0x1234
        mov fs, ax
        lidt [cs:null_idt]
        xor bx, bx
        div bx                      ; #DE -> #GP -> #DF -> shutdown
        call wait_for_reset
        FAIL_NOW "reboot: the triple fault did not reset the machine"
        FINISH

boot5:
        call check_state
        FINISH

; check_state: the reset state seen at this boot's entry.
check_state:
        CHECK dword [R_EDX], 0x00000652, "edx = 0x0652 after the reset"
        CHECK16 word [R_FS], 0, "fs = 0 after the reset"
        CHECK16 word [R_IDTR], 0xFFFF, "idtr limit = 0xffff after the reset"
        ret

; wait_for_reset: spins a while (a reset takes effect at once); returns if
; nothing happened.
wait_for_reset:
        mov ecx, 1000000
.spin:  dec ecx
        jnz .spin
        ret

null_idt:
        dw 0
        dd 0

        ROM_END
