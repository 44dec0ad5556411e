; triplefault.asm - a guest that shuts the CPU down.
;
; With the IDTR limit set to 0 by LIDT, no real-mode vector can be read:
; the #DE raised by a division by zero becomes #GP, which cannot be
; delivered either (double fault), nor can the #DF: the CPU shuts down
; (Intel SDM Vol. 3, 6.15, interrupt 8). With -no-reboot brisk must stop
; with exit status 1, "triple fault" and a register dump on stderr; the
; test checks that nothing after the fault runs.

%include "common.inc"

start:
        GUEST_INIT
        PRINTLN "triplefault: loading an IDT limit of 0, then dividing by zero"
        lidt [cs:null_idt]
        xor bx, bx
        div bx                      ; #DE -> #GP -> #DF -> shutdown
        PRINTLN "FAIL triplefault: still running after the fault"
        EXIT 1

null_idt:
        dw 0                        ; limit
        dd 0                        ; base

        ROM_END
