; pm_exc.asm - protected-mode exceptions and their error codes.
;
; Intel SDM Vol. 3 chapter 6: the exception classes (6.15), the error code
; with its EXT and IDT bits (6.13), double faults from a contributory pair
; (Table 6-5); Vol. 2 INT n (the gate DPL check for software interrupts,
; #GP(vector * 8 + 2) for a gate beyond the IDT limit or of the wrong
; type, #NP(vector * 8 + 2 + EXT) for a gate not present) and JMP/CALL
; (#GP(0) for a null selector or an offset beyond the limit, #GP(selector)
; and #NP(selector) for the target). Faults save the EIP of the faulting
; instruction, traps (INT3, INTO, INT n) the next one. Runs the same on
; QEMU.

%include "pm.inc"

SEL_NPCODE      equ 0x40            ; code, not present
SEL_CODE_D3     equ 0x48            ; non-conforming code, DPL 3
SEL_GATE_NP     equ 0x50            ; call gate, not present
SEL_CODE32_RPL3 equ SEL_CODE32 | 3

pm_main:
        PRINTLN "pm_exc: protected-mode exceptions and error codes"
        SET_DESC SEL_NPCODE, 0xF0000, 0xFFFF, ACC_S | ACC_CODE | ACC_R, FLG_32
        SET_DESC SEL_CODE_D3, 0xF0000, 0xFFFF, ACC_CODE_R0 | ACC_DPL(3), FLG_32
        SET_GATE SEL_GATE_NP, SEL_CODE32, pm_main, 0x0C, 0

; --- faults and traps without an error code ---------------------------------------
        EXPECT_TRAP .de_done
        xor edx, edx
        xor ecx, ecx
        mov eax, 1
.de:    div ecx
.de_done:
        CHECK dword [T_VEC], 0, "DIV by zero: #DE"
        CHECK dword [T_EIP], .de, "#DE: saved EIP = the DIV (a fault)"
        CHECK dword [T_CS], SEL_CODE32, "#DE: saved CS"

        EXPECT_TRAP .ud_done
.ud:    ud2
.ud_done:
        CHECK dword [T_VEC], 6, "UD2: #UD"
        CHECK dword [T_EIP], .ud, "#UD: saved EIP = the UD2"

        mov dword [VARS], 10
        mov dword [VARS + 4], 20
        mov eax, 21
        EXPECT_TRAP .br_done
.br:    bound eax, [VARS]
.br_done:
        CHECK dword [T_VEC], 5, "BOUND out of range: #BR"
        CHECK dword [T_EIP], .br, "#BR: saved EIP = the BOUND"

        EXPECT_TRAP 0
        int3
.bp_next:
        CHECK dword [T_VEC], 3, "INT3: #BP"
        CHECK dword [T_EIP], .bp_next, "#BP: saved EIP = the next instruction (a trap)"

        mov al, 0x7F
        add al, 1                   ; OF = 1
        EXPECT_TRAP 0
        into
.of_next:
        CHECK dword [T_VEC], 4, "INTO with OF = 1: #OF"
        CHECK dword [T_EIP], .of_next, "#OF: saved EIP = the next instruction"

        EXPECT_TRAP 0
        int 0x41
.int_next:
        CHECK dword [T_VEC], 0x41, "INT 41h through a DPL 0 gate at CPL 0"
        CHECK dword [T_EIP], .int_next, "INT 41h: saved EIP = the next instruction"
        CHECK dword [T_CS], SEL_CODE32, "INT 41h: saved CS"

; --- #GP with selector error codes: far transfers -------------------------------------------
        EXPECT_TRAP .jnull_done
.jnull: jmp 0x0000:0
.jnull_done:
        CHECK dword [T_VEC], 13, "JMP FAR to the null selector: #GP"
        CHECK dword [T_ERR], 0, "JMP FAR to the null selector: error 0"
        CHECK dword [T_EIP], .jnull, "JMP FAR to null: saved EIP = the JMP"

        EXPECT_TRAP .jdata_done
        jmp SEL_DATA32:0
.jdata_done:
        CHECK dword [T_ERR], SEL_DATA32, "JMP FAR to a data segment: #GP(selector)"

        EXPECT_TRAP .jlim_done
        jmp SEL_CODE32:0x10000
.jlim_done:
        CHECK dword [T_VEC], 13, "JMP FAR beyond the code limit: #GP"
        CHECK dword [T_ERR], 0, "JMP FAR beyond the code limit: error 0"

        EXPECT_TRAP .jnp_done
        jmp SEL_NPCODE:0
.jnp_done:
        CHECK dword [T_VEC], 11, "JMP FAR to a not-present code segment: #NP"
        CHECK dword [T_ERR], SEL_NPCODE, "JMP FAR to a not-present code segment: error = selector"

        EXPECT_TRAP .jd3_done
        jmp SEL_CODE_D3:0
.jd3_done:
        CHECK dword [T_ERR], SEL_CODE_D3, "JMP FAR to DPL 3 code at CPL 0: #GP(selector)"

        EXPECT_TRAP .jrpl_done
        jmp SEL_CODE32_RPL3:0
.jrpl_done:
        CHECK dword [T_ERR], SEL_CODE32, "JMP FAR with RPL 3 to DPL 0 code: #GP(selector)"

        EXPECT_TRAP .cnp_done
        call SEL_GATE_NP:0
.cnp_done:
        CHECK dword [T_VEC], 11, "CALL FAR through a not-present call gate: #NP"
        CHECK dword [T_ERR], SEL_GATE_NP, "CALL FAR through a not-present gate: error = gate"

        mov ebx, esp
        EXPECT_TRAP .rnull_done
        push dword 0
        push dword .rnull_done
.rnull: retf
.rnull_done:
        CHECK dword [T_ERR], 0, "RETF to the null selector: #GP(0)"
        mov eax, esp
        lea ecx, [ebx - 8]
        CHECK eax, ecx, "RETF that faults leaves ESP unchanged"
        mov esp, ebx

        push dword SEL_CODE32 | 3
        push dword .rret3
        EXPECT_TRAP .rret3
        retf
.rret3:
        mov esp, ebx
        CHECK dword [T_ERR], SEL_CODE32, "RETF to RPL 3 with a DPL 0 code segment: #GP(selector)"

; --- the IDT: gates and error codes ----------------------------------------------------------
        ; A not-present gate: #NP(vector * 8 + 2), EXT = 0 for INT n.
        and byte [IDT_BASE + 0x42 * 8 + 5], 0x7F
        EXPECT_TRAP .inp_done
.inp:   int 0x42
.inp_done:
        CHECK dword [T_VEC], 11, "INT 42h through a not-present gate: #NP"
        CHECK dword [T_ERR], 0x42 * 8 + 2, "INT 42h, gate not present: error 42h * 8 + 2"
        CHECK dword [T_EIP], .inp, "INT 42h, gate not present: saved EIP = the INT"

        ; Not a gate type: a data segment descriptor in the IDT.
        mov dword [IDT_BASE + 0x43 * 8], 0x0000FFFF
        mov dword [IDT_BASE + 0x43 * 8 + 4], 0x00009200
        EXPECT_TRAP .ityp_done
        int 0x43
.ityp_done:
        CHECK dword [T_VEC], 13, "INT 43h through a data descriptor: #GP"
        CHECK dword [T_ERR], 0x43 * 8 + 2, "INT 43h through a data descriptor: error 43h * 8 + 2"

        ; The IDT limit: vectors beyond it.
        mov word [VARS], 0x80 * 8 - 1
        mov dword [VARS + 2], IDT_BASE
        lidt [VARS]
        EXPECT_TRAP .ilim_done
        int 0x80
.ilim_done:
        lidt [cs:idt_ptr]
        CHECK dword [T_VEC], 13, "INT 80h beyond the IDT limit: #GP"
        CHECK dword [T_ERR], 0x80 * 8 + 2, "INT 80h beyond the IDT limit: error 80h * 8 + 2"

        ; A gate whose code selector is null: #GP(0 + EXT).
        SET_IDT 0x44, 0, 0, ACC_INT32
        EXPECT_TRAP .inull_done
        int 0x44
.inull_done:
        CHECK dword [T_ERR], 0, "INT 44h through a gate with a null selector: #GP(0)"

        ; A gate leading to a not-present code segment: #NP(selector).
        SET_IDT 0x45, SEL_NPCODE, 0, ACC_INT32
        EXPECT_TRAP .icnp_done
        int 0x45
.icnp_done:
        CHECK dword [T_VEC], 11, "INT 45h into a not-present code segment: #NP"
        CHECK dword [T_ERR], SEL_NPCODE, "INT 45h into a not-present code segment: error = selector"

        ; A gate leading to a less privileged (DPL 3) code segment.
        SET_IDT 0x46, SEL_CODE_D3, 0, ACC_INT32
        EXPECT_TRAP .icd3_done
        int 0x46
.icd3_done:
        CHECK dword [T_ERR], SEL_CODE_D3, "INT 46h into DPL 3 code from CPL 0: #GP(selector)"

; --- a double fault from a contributory pair ----------------------------------------------------
        ; #GP whose gate is not present: the #NP raised while delivering it
        ; is contributory too, so the CPU delivers #DF (error 0).
        and byte [IDT_BASE + 13 * 8 + 5], 0x7F
        EXPECT_TRAP .df_done
        mov ax, SEL_TSS
.df:    mov fs, ax
.df_done:
        RESTORE_IDT 13
        CHECK dword [T_VEC], 8, "#GP with its gate not present: #DF"
        CHECK dword [T_ERR], 0, "#DF: error code 0"
        CHECK dword [T_COUNT], 1, "#DF: delivered once, nothing else"

        FINISH

        ROM_END
