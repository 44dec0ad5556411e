; pm_ring.asm - privilege level changes: IRET to ring 3, INT from ring 3
; with the stack switch from the TSS, interrupt and trap gates, call gates
; (32-bit and 16-bit, with parameter copying) to rings 0 and 1 and RETF
; back, conforming code, #TS for a bad inner stack, and the privilege
; faults of ring 3.
;
; Intel SDM Vol. 3 5.8 (5.8.5 the stack switch and Figure 5-13; 5.8.6
; returns to an outer level and the data segment nulling of Vol. 2 RET),
; 6.12.1 (the stack frame of an interrupt from an outer ring; interrupt
; gates clear IF, trap gates do not), 7.2.1 (SSn:ESPn in the TSS). Runs
; the same on QEMU.

%include "pm.inc"

SEL_GATE3       equ 0x40            ; 32-bit call gate, DPL 3, 3 params -> ring 0
SEL_GATE16      equ 0x48            ; 16-bit call gate, DPL 3, 2 params -> ring 0
SEL_CONF0       equ 0x50            ; conforming code, DPL 0
SEL_DATA_R1     equ 0x59            ; data, DPL 1 (RPL 1)
SEL_CODE_R1     equ 0x61            ; code, DPL 1 (RPL 1)
SEL_GATE_R1     equ 0x68            ; 32-bit call gate, DPL 3 -> ring 1
SEL_CODE_R2     equ 0x72            ; code, DPL 2 (RPL 2)
SEL_GATE_R2     equ 0x78            ; call gate, DPL 3 -> ring 2 (whose SS2 is bad)
SEL_GATE_D0     equ 0x80            ; call gate, DPL 0 -> ring 0
SEL_TSS16       equ 0x88            ; a 16-bit TSS
TSS16_BASE      equ 0x5100

; Results recorded by the ring-3 code and the handlers.
R3_CS           equ VARS + 0x00
R3_DS           equ VARS + 0x04
R3_ESP0         equ VARS + 0x08     ; ring-3 ESP at the start
I31_ESP         equ VARS + 0x10     ; INT 31h handler: ESP at entry
I31_EFL         equ VARS + 0x14     ; ... EFLAGS inside
I31_EIP         equ VARS + 0x18     ; ... the frame: EIP CS EFLAGS ESP SS
I31_CS          equ VARS + 0x1C
I31_FEFL        equ VARS + 0x20
I31_FESP        equ VARS + 0x24
I31_FSS         equ VARS + 0x28
I31_MYCS        equ VARS + 0x2C
R3_ESP_INT      equ VARS + 0x30     ; ring-3 ESP after INT 31h returned
I32_EFL         equ VARS + 0x34     ; INT 32h (trap gate): EFLAGS inside
CG_ESP          equ VARS + 0x40     ; 32-bit call gate: ESP at entry
CG_P0           equ VARS + 0x44     ; ... the copied parameters
CG_P1           equ VARS + 0x48
CG_P2           equ VARS + 0x4C
CG_OESP         equ VARS + 0x50     ; ... the caller's ESP and SS
CG_OSS          equ VARS + 0x54
CG_RCS          equ VARS + 0x58     ; ... the return CS
R3_ESP_CALL     equ VARS + 0x5C     ; ring 3: ESP before the call (params pushed)
R3_ESP_RET      equ VARS + 0x60     ; ring 3: ESP after RETF 12
R3_DS_RET       equ VARS + 0x64     ; ring 3: DS after RETF (nulled)
R3_ES_RET       equ VARS + 0x68     ; ring 3: ES after RETF (DPL 3: kept)
G16_SP          equ VARS + 0x70     ; 16-bit gate: the frame as words
G16_W           equ VARS + 0x74     ; IP CS P2 P1 SP SS (6 words)
R3_ESP16        equ VARS + 0x80
R3_ESP16_RET    equ VARS + 0x84
CONF_CS         equ VARS + 0x88     ; CS inside conforming code called from ring 3
R1_CS           equ VARS + 0x90     ; ring-1 handler: CS, SS, ESP at entry
R1_SS           equ VARS + 0x94
R1_ESP          equ VARS + 0x98
R1_P0           equ VARS + 0x9C

pm_main:
        PRINTLN "pm_ring: privilege changes through IRET, INT, call gates and RETF"
        SET_GATE SEL_GATE3, SEL_CODE32, cg32_handler, ACC_CALL32 | ACC_DPL(3), 3
        SET_GATE SEL_GATE16, SEL_CODE16, cg16_handler, ACC_CALL16 | ACC_DPL(3), 2
        SET_DESC SEL_CONF0, 0xF0000, 0xFFFF, ACC_CODE_R0 | ACC_CONF, FLG_32
        SET_DESC SEL_DATA_R1, 0, 0xFFFFF, ACC_DATA_R0 | ACC_DPL(1), FLG_32 | FLG_4K
        SET_DESC SEL_CODE_R1, 0xF0000, 0xFFFF, ACC_CODE_R0 | ACC_DPL(1), FLG_32
        SET_GATE SEL_GATE_R1, SEL_CODE_R1, r1_handler, ACC_CALL32 | ACC_DPL(3), 1
        SET_DESC SEL_CODE_R2, 0xF0000, 0xFFFF, ACC_CODE_R0 | ACC_DPL(2), FLG_32
        SET_GATE SEL_GATE_R2, SEL_CODE_R2, r1_handler, ACC_CALL32 | ACC_DPL(3), 0
        SET_GATE SEL_GATE_D0, SEL_CODE32, cg32_handler, ACC_CALL32, 0
        mov dword [TSS_BASE + 16], SEL_DATA_R1          ; SS1
        mov dword [TSS_BASE + 24], SEL_DATA32 | 2       ; SS2: DPL 0 data, a bad ring-2 stack
        SET_IDT 0x31, SEL_CODE32, int31_handler, ACC_INT32 | ACC_DPL(3)
        SET_IDT 0x32, SEL_CODE32, int32_handler, ACC_TRAP32 | ACC_DPL(3)

        sti                         ; every IRQ is masked at the PICs
        mov ax, SEL_DATA32_R3
        mov es, ax                  ; a DPL 3 selector survives the return to ring 3
        TO_RING3 ring3_code, back_from_ring3
back_from_ring3:
        cli
        CHECK dword [R3_CS], SEL_CODE32_R3, "IRET to ring 3: CS = the ring-3 selector"
        CHECK dword [R3_DS], 0, "IRET to ring 3: DS (DPL 0) became null"
        CHECK dword [R3_ESP0], STACK3, "IRET to ring 3: ESP from the frame"
        CHECK dword [T_CS], SEL_CODE32_R3, "INT 30h from ring 3: saved CS"
        CHECK dword [T_SS], SEL_DATA32_R3, "INT 30h from ring 3: saved SS"

        CHECK dword [I31_ESP], STACK0_INT - 20, "INT from ring 3: ESP = ESP0 - a 5-dword frame"
        CHECK dword [I31_MYCS], SEL_CODE32, "INT from ring 3: the handler runs at CPL 0"
        CHECK dword [I31_EIP], ring3_code.after_int31, "INT from ring 3: saved EIP = next"
        CHECK dword [I31_CS], SEL_CODE32_R3, "INT from ring 3: saved CS"
        CHECK dword [I31_FSS], SEL_DATA32_R3, "INT from ring 3: saved SS"
        CHECK dword [I31_FESP], STACK3, "INT from ring 3: saved ESP"
        mov eax, [I31_FEFL]
        and eax, 0x3200
        CHECK eax, 0x0200, "INT from ring 3: saved EFLAGS has IF set, IOPL 0"
        mov eax, [I31_EFL]
        and eax, 0x200
        CHECK eax, 0, "interrupt gate: IF clear in the handler"
        mov eax, [I32_EFL]
        and eax, 0x200
        CHECK eax, 0x200, "trap gate: IF still set in the handler"
        CHECK dword [R3_ESP_INT], STACK3, "IRET back to ring 3 restores ESP"

        CHECK dword [CG_ESP], STACK0_INT - 28, "call gate: ESP = ESP0 - SS, ESP, 3 params, CS, EIP"
        CHECK dword [CG_P0], 0x33333333, "call gate: parameter 0 copied"
        CHECK dword [CG_P1], 0x22222222, "call gate: parameter 1 copied"
        CHECK dword [CG_P2], 0x11111111, "call gate: parameter 2 copied"
        mov eax, [R3_ESP_CALL]
        CHECK dword [CG_OESP], eax, "call gate: the caller's ESP pushed"
        CHECK dword [CG_OSS], SEL_DATA32_R3, "call gate: the caller's SS pushed"
        CHECK dword [CG_RCS], SEL_CODE32_R3, "call gate: the caller's CS pushed"
        add eax, 12
        CHECK dword [R3_ESP_RET], eax, "RETF 12 to ring 3: params released on the outer stack"
        CHECK dword [R3_DS_RET], 0, "RETF to ring 3: DS loaded at ring 0 (DPL 0) became null"
        CHECK dword [R3_ES_RET], SEL_DATA32_R3, "RETF to ring 3: ES (DPL 3) kept"

        mov eax, [R3_ESP16]
        CHECK dword [G16_SP], STACK0_INT - 12, "16-bit call gate: a 6-word frame"
        CHECK16 word [G16_W + 2], SEL_CODE32_R3, "16-bit call gate: CS pushed as a word"
        CHECK16 word [G16_W + 4], 0xBBBB, "16-bit call gate: word parameter 0"
        CHECK16 word [G16_W + 6], 0xAAAA, "16-bit call gate: word parameter 1"
        CHECK16 word [G16_W + 8], ax, "16-bit call gate: the caller's SP"
        CHECK16 word [G16_W + 10], SEL_DATA32_R3, "16-bit call gate: the caller's SS"
        add eax, 4
        CHECK dword [R3_ESP16_RET], eax, "16-bit RETF 4 back to ring 3: SP past the parameters"

        CHECK dword [CONF_CS], SEL_CONF0 | 3, "CALL to conforming DPL 0 code: CPL stays 3"

        CHECK dword [R1_CS], SEL_CODE_R1, "call gate to ring 1: CS with RPL 1"
        CHECK dword [R1_SS], SEL_DATA_R1, "call gate to ring 1: SS1 from the TSS"
        CHECK dword [R1_ESP], STACK1 - 20, "call gate to ring 1: ESP1 - (SS, ESP, 1 param, CS, EIP)"
        CHECK dword [R1_P0], 0x5A5A5A5A, "call gate to ring 1: the parameter"

        CHECK dword [VARS + 0xA0], 13, "CLI at ring 3 with IOPL 0: #GP"
        CHECK dword [VARS + 0xA4], 0, "CLI at ring 3: error 0"
        CHECK dword [VARS + 0xA8], 13, "INT 33h (gate DPL 0) from ring 3: #GP"
        CHECK dword [VARS + 0xAC], 0x33 * 8 + 2, "INT 33h from ring 3: error 33h * 8 + 2"
        CHECK dword [VARS + 0xB0], SEL_CODE32, "JMP FAR to DPL 0 code from ring 3: #GP(selector)"
        CHECK dword [VARS + 0xB4], SEL_GATE_D0, "CALL FAR via a DPL 0 gate at ring 3: #GP(gate)"
        CHECK dword [VARS + 0xB8], 10, "call gate to ring 2 with a bad SS2: #TS"
        CHECK dword [VARS + 0xBC], SEL_DATA32, "call gate to ring 2 with a bad SS2: error = SS2"
        CHECK dword [VARS + 0xC0], 13, "MOV DS, DPL 0 data at ring 3: #GP"
        CHECK dword [VARS + 0xC4], SEL_DATA32, "MOV DS, DPL 0 data at ring 3: error = selector"
        CHECK dword [VARS + 0xC8], 13, "HLT at ring 3: #GP"
        CHECK dword [VARS + 0xCC], ring3_code.hlt, "HLT at ring 3: saved EIP = the HLT"
        CHECK dword [VARS + 0xD0], SEL_CODE32, "RETF from ring 3 to ring 0 (inwards): #GP(selector)"

        ; A 16-bit TSS: the ring-0 stack is SS0:SP0 at offsets 4 and 2.
        SET_DESC SEL_TSS16, TSS16_BASE, 0x2B, ACC_P | 0x01, 0
        mov word [TSS16_BASE + 2], STACK0_INT - 0x100
        mov word [TSS16_BASE + 4], SEL_DATA32
        mov ax, SEL_TSS16
        ltr ax
        TO_RING3 ring3_tss16, back_tss16
back_tss16:
        CHECK dword [I31_ESP], STACK0_INT - 0x100 - 20, "16-bit TSS: INT from ring 3 uses SP0"
        CHECK dword [I31_FSS], SEL_DATA32_R3, "16-bit TSS: the frame holds the ring-3 SS"
        mov al, [GDT_BASE + SEL_TSS16 + 5]
        CHECK8 al, ACC_P | 0x03, "LTR marked the 16-bit TSS busy"
        and byte [GDT_BASE + SEL_TSS + 5], ~2
        mov ax, SEL_TSS
        ltr ax
        FINISH

; --- ring-0 handlers ---------------------------------------------------------------
int31_handler:
        mov [ss:I31_ESP], esp
        pushfd
        pop dword [ss:I31_EFL]
        mov eax, [esp]
        mov [ss:I31_EIP], eax
        movzx eax, word [esp + 4]
        mov [ss:I31_CS], eax
        mov eax, [esp + 8]
        mov [ss:I31_FEFL], eax
        mov eax, [esp + 12]
        mov [ss:I31_FESP], eax
        movzx eax, word [esp + 16]
        mov [ss:I31_FSS], eax
        mov eax, cs
        mov [ss:I31_MYCS], eax
        iretd

int32_handler:
        pushfd
        pop dword [ss:I32_EFL]
        iretd

cg32_handler:
        mov [ss:CG_ESP], esp
        mov eax, [esp + 8]
        mov [ss:CG_P0], eax
        mov eax, [esp + 12]
        mov [ss:CG_P1], eax
        mov eax, [esp + 16]
        mov [ss:CG_P2], eax
        mov eax, [esp + 20]
        mov [ss:CG_OESP], eax
        movzx eax, word [esp + 24]
        mov [ss:CG_OSS], eax
        movzx eax, word [esp + 4]
        mov [ss:CG_RCS], eax
        mov ax, SEL_DATA32          ; the return must make DS null again
        mov ds, ax
        retf 12

r1_handler:
        mov eax, cs
        mov [ss:R1_CS], eax
        mov eax, ss
        mov [ss:R1_SS], eax
        mov [ss:R1_ESP], esp
        mov eax, [esp + 8]
        mov [ss:R1_P0], eax
        retf 4

        bits 16
cg16_handler:                       ; 16-bit code at ring 0; SS is 32-bit
        mov [ss:G16_SP], esp
        mov ax, [ss:esp]
        mov [ss:G16_W], ax
        mov ax, [ss:esp + 2]
        mov [ss:G16_W + 2], ax
        mov ax, [ss:esp + 4]
        mov [ss:G16_W + 4], ax
        mov ax, [ss:esp + 6]
        mov [ss:G16_W + 6], ax
        mov ax, [ss:esp + 8]
        mov [ss:G16_W + 8], ax
        mov ax, [ss:esp + 10]
        mov [ss:G16_W + 10], ax
        retf 4
        bits 32

; --- ring 3 ---------------------------------------------------------------------------
ring3_code:
        mov eax, cs
        mov [ss:R3_CS], eax
        mov eax, ds
        mov [ss:R3_DS], eax
        mov [ss:R3_ESP0], esp
        mov ax, SEL_DATA32_R3
        mov ds, ax

        int 0x31
.after_int31:
        mov [R3_ESP_INT], esp
        int 0x32

        push dword 0x11111111
        push dword 0x22222222
        push dword 0x33333333
        mov [R3_ESP_CALL], esp
        call SEL_GATE3:0
        mov [ss:R3_ESP_RET], esp
        mov eax, ds
        mov [ss:R3_DS_RET], eax
        mov eax, es
        mov [ss:R3_ES_RET], eax
        mov ax, SEL_DATA32_R3
        mov ds, ax

        push word 0xAAAA
        push word 0xBBBB
        mov [R3_ESP16], esp
        call SEL_GATE16:0
        mov [R3_ESP16_RET], esp
        mov ax, SEL_DATA32_R3
        mov ds, ax

        call SEL_CONF0:conf_code

        push dword 0x5A5A5A5A
        call SEL_GATE_R1:0
        mov ax, SEL_DATA32_R3
        mov ds, ax

        EXPECT_TRAP .cli_done
        cli
.cli_done:
        mov eax, [T_VEC]
        mov [VARS + 0xA0], eax
        mov eax, [T_ERR]
        mov [VARS + 0xA4], eax

        EXPECT_TRAP .int33_done
        int 0x33
.int33_done:
        mov eax, [T_VEC]
        mov [VARS + 0xA8], eax
        mov eax, [T_ERR]
        mov [VARS + 0xAC], eax

        EXPECT_TRAP .jmp0_done
        jmp SEL_CODE32:0
.jmp0_done:
        mov eax, [T_ERR]
        mov [VARS + 0xB0], eax

        EXPECT_TRAP .gd0_done
        call SEL_GATE_D0:0
.gd0_done:
        mov eax, [T_ERR]
        mov [VARS + 0xB4], eax

        EXPECT_TRAP .ts_done
        call SEL_GATE_R2:0
.ts_done:
        mov eax, [T_VEC]
        mov [VARS + 0xB8], eax
        mov eax, [T_ERR]
        mov [VARS + 0xBC], eax

        EXPECT_TRAP .ds0_done
        mov ax, SEL_DATA32
        mov ds, ax
.ds0_done:
        mov eax, [T_VEC]
        mov [VARS + 0xC0], eax
        mov eax, [T_ERR]
        mov [VARS + 0xC4], eax

        EXPECT_TRAP .hlt_done
.hlt:   hlt
.hlt_done:
        mov eax, [T_VEC]
        mov [VARS + 0xC8], eax
        mov eax, [T_EIP]
        mov [VARS + 0xCC], eax

        mov dword [VARS + 0xD0], 0xFFFFFFFF
        EXPECT_TRAP .retin_done
        push dword SEL_CODE32
        push dword .retin_done
        retf
.retin_done:
        mov eax, [T_ERR]
        mov [VARS + 0xD0], eax
        mov esp, STACK3

        int BACK_VEC

ring3_tss16:
        int 0x31
        int BACK_VEC

conf_code:                          ; conforming DPL 0 code, entered from ring 3
        mov eax, cs
        mov [ss:CONF_CS], eax
        retf

        ROM_END
