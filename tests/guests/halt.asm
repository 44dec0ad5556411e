; halt.asm - a guest that halts with interrupts disabled.
;
; CLI; HLT can never be woken (there is no NMI source on this board), so
; brisk must stop at once with exit status 0 and a message on stderr
; instead of idling forever.

%include "common.inc"

start:
        GUEST_INIT
        PRINTLN "halt: cli; hlt"
        cli
        hlt
        PRINTLN "FAIL halt: HLT returned with interrupts disabled"
        EXIT 1

        ROM_END
