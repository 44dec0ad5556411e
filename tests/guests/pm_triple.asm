; pm_triple.asm - a triple fault in protected mode.
;
; Intel SDM Vol. 3 6.15, interrupt 8: a contributory exception while
; delivering a contributory one is a double fault (#DF, error 0); a fault
; while delivering #DF shuts the processor down. First a #DF is delivered
; and checked (the #GP gate is not present, so delivering #GP raises #NP);
; then the #DF gate is made not present too and the same #GP shuts the CPU
; down. With -no-reboot brisk stops with "triple fault" on stderr; nothing
; after the fault may run. On QEMU (-no-reboot) the run ends the same way.

%include "pm.inc"

pm_main:
        PRINTLN "pm_triple: a #DF first, then a triple fault"
        and byte [IDT_BASE + 13 * 8 + 5], 0x7F
        EXPECT_TRAP .df_done
        mov ax, SEL_TSS
        mov fs, ax                  ; #GP(28h) -> #NP(6Bh) -> #DF
.df_done:
        CHECK dword [T_VEC], 8, "#GP with its gate not present: #DF"
        and byte [IDT_BASE + 8 * 8 + 5], 0x7F
        PRINTLN "pm_triple: #GP and #DF gates not present, raising #GP"
        mov ax, SEL_TSS
        mov fs, ax                  ; #GP -> #NP -> #DF -> #NP: shutdown
        PRINTLN "FAIL pm_triple: still running after the triple fault"
        EXIT 1

        ROM_END
