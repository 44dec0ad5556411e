; pm_seg.asm - protected-mode segmentation: segment register loads and
; their faults, the accessed bit, the LDT, LLDT/LTR/SLDT/STR, LAR, LSL,
; VERR, VERW and ARPL.
;
; Intel SDM Vol. 3 3.4 (selectors, descriptors, the accessed bit), 5.5-5.7
; (type and privilege checks), 7.2.4 (TR, the busy bit); Vol. 2 MOV, POP,
; LSS, LLDT, LTR, SLDT, STR, LAR, LSL, VERR/VERW, ARPL (the exact error
; codes: #GP(0) for a null SS, #GP(selector) for the type and privilege
; rules, #NP(selector) and #SS(selector) for segments that are not
; present). Runs the same on QEMU.

%include "pm.inc"

; Test descriptors (GDT slots from SEL_FREE on).
SEL_XCODE       equ 0x40            ; execute-only code, DPL 0
SEL_NPDATA      equ 0x48            ; data, not present
SEL_RODATA      equ 0x50            ; read-only data, DPL 0
SEL_NPSTACK     equ 0x58            ; writable data, not present
SEL_FRESH       equ 0x60            ; writable data, accessed bit clear
SEL_LDT         equ 0x68            ; an LDT (at LDT_BASE, 4 entries)
SEL_CONF        equ 0x70            ; conforming readable code, DPL 0
SEL_GDATA       equ 0x78            ; data, G = 1, limit 0x0000F -> 0xFFFF
SEL_CALLG       equ 0x80            ; call gate, DPL 3
SEL_INTG        equ 0x88            ; an interrupt gate descriptor in the GDT
SEL_DATA_D1     equ 0x90            ; writable data, DPL 1
SEL_L0          equ 0x04            ; LDT entry 0: data at SCRATCH
SEL_L1          equ 0x0C            ; LDT entry 1: read-only data, DPL 3

pm_main:
        PRINTLN "pm_seg: protected-mode segment loads and descriptor instructions"
        smsw ax
        CHECK16 ax, 0x0011, "MSW after entry: PE and ET set"
        mov ax, cs
        CHECK16 ax, SEL_CODE32, "CS = the 32-bit code selector"

        SET_DESC SEL_XCODE, 0xF0000, 0xFFFF, ACC_P | ACC_S | ACC_CODE, FLG_32
        SET_DESC SEL_NPDATA, 0, 0xFFFF, ACC_S | ACC_W, 0
        SET_DESC SEL_RODATA, 0, 0xFFFF, ACC_P | ACC_S, 0
        SET_DESC SEL_NPSTACK, 0, 0xFFFF, ACC_S | ACC_W, 0
        SET_DESC SEL_FRESH, SCRATCH, 0xFFFF, ACC_DATA_R0, 0
        SET_DESC SEL_LDT, LDT_BASE, 4 * 8 - 1, ACC_LDT, 0
        SET_DESC SEL_CONF, 0xF0000, 0xFFFF, ACC_CODE_R0 | ACC_CONF | ACC_A, FLG_32
        SET_DESC SEL_GDATA, 0, 0x0000F, ACC_DATA_R0 | ACC_A, FLG_4K
        SET_GATE SEL_CALLG, SEL_CODE32, 0x5678, ACC_CALL32 | ACC_DPL(3), 2
        SET_GATE SEL_INTG, SEL_CODE32, 0, ACC_INT32, 0
        SET_DESC SEL_DATA_D1, 0, 0xFFFF, ACC_DATA_R0 | ACC_DPL(1), 0
        SET_DESC SEL_L0, SCRATCH, 0xFFFF, ACC_DATA_R0, 0
        SET_DESC SEL_L1, 0, 0xFFFF, ACC_P | ACC_S | ACC_DPL(3) | ACC_A, 0

; --- data segment registers ------------------------------------------------------
        mov ax, 0
        mov es, ax
        mov ax, es
        CHECK16 ax, 0, "MOV ES, 0: a null selector loads without a fault"
        mov ax, 3
        mov fs, ax
        mov ax, fs
        CHECK16 ax, 3, "MOV FS, 3: a null selector with RPL 3 loads too"
        mov ax, SEL_DATA32
        mov es, ax
        mov fs, ax

        EXPECT_TRAP .beyond_done
        mov ax, 0x0400              ; index 128: beyond the GDT limit 0x3FF
        mov ds, ax
.beyond_done:
        CHECK dword [ss:T_VEC], 13, "MOV DS, 0400h (beyond the GDT limit): #GP"
        CHECK dword [ss:T_ERR], 0x0400, "MOV DS, 0400h: error = the selector"
        mov ax, ds
        CHECK16 ax, SEL_DATA32, "MOV DS, 0400h: DS unchanged"

        EXPECT_TRAP .sys_done
        mov ax, SEL_TSS | 3
        mov ds, ax
.sys_done:
        CHECK dword [T_VEC], 13, "MOV DS, TSS selector: #GP"
        CHECK dword [T_ERR], SEL_TSS, "MOV DS, TSS selector: error = selector, RPL bits clear"

        EXPECT_TRAP .xo_done
        mov ax, SEL_XCODE
        mov gs, ax
.xo_done:
        CHECK dword [T_VEC], 13, "MOV GS, execute-only code: #GP"
        CHECK dword [T_ERR], SEL_XCODE, "MOV GS, execute-only code: error = selector"

        EXPECT_TRAP .np_done
        mov ax, SEL_NPDATA
        mov es, ax
.np_done:
        CHECK dword [T_VEC], 11, "MOV ES, not-present data: #NP"
        CHECK dword [T_ERR], SEL_NPDATA, "MOV ES, not-present data: error = selector"

        EXPECT_TRAP .rpl_done
        mov ax, SEL_DATA_D1 | 2
        mov es, ax
.rpl_done:
        CHECK dword [T_VEC], 13, "MOV ES, DPL 1 data with RPL 2: #GP"
        CHECK dword [T_ERR], SEL_DATA_D1, "MOV ES, DPL 1 data with RPL 2: error = selector"
        mov ax, SEL_DATA_D1 | 1
        mov es, ax
        mov ax, es
        CHECK16 ax, SEL_DATA_D1 | 1, "MOV ES, DPL 1 data with RPL 1 at CPL 0: allowed"

        mov ax, SEL_CONF | 3
        mov es, ax
        mov eax, [es:reset_vector]
        mov edx, [cs:reset_vector]
        CHECK eax, edx, "MOV ES, conforming code with RPL 3: allowed, readable"
        mov ax, SEL_DATA32
        mov es, ax

        mov ax, SEL_FRESH
        mov es, ax
        mov al, [GDT_BASE + SEL_FRESH + 5]
        CHECK8 al, ACC_DATA_R0 | ACC_A, "MOV ES sets the accessed bit in the descriptor"
        mov dword [es:0x10], 0xCAFEF00D
        CHECK dword [SCRATCH + 0x10], 0xCAFEF00D, "ES base comes from the descriptor"
        mov ax, SEL_DATA32
        mov es, ax

; --- SS -------------------------------------------------------------------------------
        EXPECT_TRAP .ssnull_done
        xor ax, ax
        mov ss, ax
.ssnull_done:
        CHECK dword [T_VEC], 13, "MOV SS, 0: #GP"
        CHECK dword [T_ERR], 0, "MOV SS, 0: error 0"

        EXPECT_TRAP .ssro_done
        mov ax, SEL_RODATA
        mov ss, ax
.ssro_done:
        CHECK dword [T_VEC], 13, "MOV SS, read-only data: #GP"
        CHECK dword [T_ERR], SEL_RODATA, "MOV SS, read-only data: error = selector"

        EXPECT_TRAP .ssdpl_done
        mov ax, SEL_DATA32_R3
        mov ss, ax
.ssdpl_done:
        CHECK dword [T_VEC], 13, "MOV SS, DPL 3 data at CPL 0: #GP"
        CHECK dword [T_ERR], SEL_DATA32_R3 & 0xFFFC, "MOV SS, DPL 3 data: error = selector"

        EXPECT_TRAP .ssrpl_done
        mov ax, SEL_DATA32 | 1
        mov ss, ax
.ssrpl_done:
        CHECK dword [T_VEC], 13, "MOV SS, RPL 1 at CPL 0: #GP"
        CHECK dword [T_ERR], SEL_DATA32, "MOV SS, RPL 1: error = selector"

        EXPECT_TRAP .ssnp_done
        mov ax, SEL_NPSTACK
        mov ss, ax
.ssnp_done:
        CHECK dword [T_VEC], 12, "MOV SS, not-present data: #SS"
        CHECK dword [T_ERR], SEL_NPSTACK, "MOV SS, not-present data: error = selector"

        mov ebx, esp
        push dword SEL_NPDATA
        EXPECT_TRAP .popnp_done
.popnp: pop ds
.popnp_done:
        CHECK dword [T_VEC], 11, "POP DS, not-present data: #NP"
        CHECK dword [T_EIP], .popnp, "POP DS: saved EIP = the POP"
        mov eax, esp
        add esp, 4
        lea ecx, [ebx - 4]
        CHECK eax, ecx, "POP DS that faults leaves ESP unchanged"

        mov dword [VARS], 0x1000
        mov word [VARS + 4], SEL_XCODE
        EXPECT_TRAP .lss_done
        lss esp, [VARS]
.lss_done:
        CHECK dword [T_VEC], 13, "LSS with an execute-only code selector: #GP"
        CHECK dword [T_ERR], SEL_XCODE, "LSS: error = selector"
        mov eax, esp
        CHECK eax, ebx, "LSS that faults leaves ESP unchanged"

; --- the LDT and LLDT/SLDT ------------------------------------------------------------
        mov ax, SEL_LDT
        lldt ax
        mov eax, 0xFFFFFFFF
        sldt eax
        CHECK eax, SEL_LDT, "SLDT r32: the selector, zero-extended"
        mov ax, SEL_L0
        mov es, ax
        mov dword [es:0x20], 0x600DDA7A
        CHECK dword [SCRATCH + 0x20], 0x600DDA7A, "an LDT data segment: base from the LDT"
        mov al, [LDT_BASE + 5]
        CHECK8 al, ACC_DATA_R0 | ACC_A, "loading an LDT selector sets the accessed bit in the LDT"
        EXPECT_TRAP .ldtlim_done
        mov ax, 0x0024              ; LDT index 4: beyond its limit of 31
        mov es, ax
.ldtlim_done:
        CHECK dword [T_ERR], 0x0024, "MOV ES, LDT selector beyond the LDT limit: #GP(0024h)"
        mov ax, SEL_DATA32
        mov es, ax
        xor ax, ax
        lldt ax
        EXPECT_TRAP .noldt_done
        mov ax, SEL_L0
        mov es, ax
.noldt_done:
        CHECK dword [T_VEC], 13, "after LLDT 0: an LDT selector is #GP"
        CHECK dword [T_ERR], SEL_L0 & 0xFFFC, "after LLDT 0: error = the selector"
        EXPECT_TRAP .lldtbad_done
        mov ax, SEL_DATA32
        lldt ax
.lldtbad_done:
        CHECK dword [T_ERR], SEL_DATA32, "LLDT with a data segment: #GP(selector)"
        EXPECT_TRAP .lldtti_done
        mov ax, SEL_LDT | 4
        lldt ax
.lldtti_done:
        CHECK dword [T_ERR], SEL_LDT | 4, "LLDT with TI = 1: #GP(selector)"
        mov ax, SEL_LDT
        lldt ax

; --- TR: LTR, STR, the busy bit ---------------------------------------------------------
        mov eax, 0xFFFFFFFF
        str eax
        CHECK eax, SEL_TSS, "STR r32: the TSS selector, zero-extended"
        str word [VARS]
        CHECK16 word [VARS], SEL_TSS, "STR m16"
        mov al, [GDT_BASE + SEL_TSS + 5]
        CHECK8 al, 0x8B, "LTR marked the TSS descriptor busy (type 1011b)"
        EXPECT_TRAP .ltrbusy_done
        mov ax, SEL_TSS
        ltr ax
.ltrbusy_done:
        CHECK dword [T_VEC], 13, "LTR with a busy TSS: #GP"
        CHECK dword [T_ERR], SEL_TSS, "LTR with a busy TSS: error = selector"

; --- LAR, LSL, VERR, VERW ------------------------------------------------------------------
        mov eax, 0x11111111
        mov bx, SEL_GDATA
        lar eax, bx
        CHECK_CC z, "LAR of a data segment: ZF = 1"
        CHECK eax, 0x00809300, "LAR r32: access rights masked with 00F0FF00h"
        mov eax, 0x11111111
        lar ax, bx
        CHECK eax, 0x11119300, "LAR r16: FF00h of the rights, upper half kept"
        mov eax, 0x22222222
        mov bx, SEL_INTG
        lar eax, bx
        CHECK_CC nz, "LAR of an interrupt gate: ZF = 0"
        CHECK eax, 0x22222222, "LAR that fails leaves the destination alone"
        mov bx, SEL_CALLG
        lar eax, bx
        CHECK eax, 0x0000EC00, "LAR of a DPL 3 call gate: type C, DPL 3"
        mov bx, SEL_DATA32 | 3
        lar eax, bx
        CHECK_CC nz, "LAR of DPL 0 data with RPL 3: ZF = 0"
        mov bx, SEL_CONF | 3
        lar eax, bx
        CHECK_CC z, "LAR of DPL 0 conforming code with RPL 3: ZF = 1"
        xor bx, bx
        lar eax, bx
        CHECK_CC nz, "LAR of the null selector: ZF = 0"
        mov bx, 0x0400
        lar eax, bx
        CHECK_CC nz, "LAR beyond the GDT limit: ZF = 0"

        mov bx, SEL_GDATA
        lsl eax, bx
        CHECK eax, 0xFFFF, "LSL of a G = 1 segment with limit 0Fh: FFFFh"
        mov bx, SEL_DATA32
        lsl eax, bx
        CHECK eax, 0xFFFFFFFF, "LSL of the 4 GiB data segment"
        mov eax, 0x33333333
        lsl ax, bx
        CHECK eax, 0x3333FFFF, "LSL r16 of a 4 GiB segment: FFFFh"
        mov bx, SEL_TSS
        lsl eax, bx
        CHECK eax, TSS_LIMIT, "LSL of the (busy) TSS: its limit"
        mov bx, SEL_CALLG
        lsl eax, bx
        CHECK_CC nz, "LSL of a call gate: ZF = 0"
        mov bx, SEL_LDT
        lsl eax, bx
        CHECK eax, 31, "LSL of the LDT descriptor"

        mov ax, SEL_XCODE
        verr ax
        CHECK_CC nz, "VERR execute-only code: ZF = 0"
        mov ax, SEL_CODE32
        verr ax
        CHECK_CC z, "VERR readable code: ZF = 1"
        mov ax, SEL_RODATA
        verr ax
        CHECK_CC z, "VERR read-only data: ZF = 1"
        verw ax
        CHECK_CC nz, "VERW read-only data: ZF = 0"
        mov ax, SEL_DATA32
        verw ax
        CHECK_CC z, "VERW writable data: ZF = 1"
        mov ax, SEL_DATA32 | 3
        verw ax
        CHECK_CC nz, "VERW DPL 0 data with RPL 3: ZF = 0"
        mov ax, SEL_CODE32
        verw ax
        CHECK_CC nz, "VERW code: ZF = 0"
        mov ax, SEL_TSS
        verr ax
        CHECK_CC nz, "VERR a TSS: ZF = 0"
        mov word [VARS], SEL_L1
        verr word [VARS]
        CHECK_CC z, "VERR m16 of a DPL 3 LDT segment: ZF = 1"

; --- ARPL ---------------------------------------------------------------------------------
        mov ax, 0x0010
        mov bx, 0x0003
        arpl ax, bx
        CHECK_CC z, "ARPL raising RPL 0 to 3: ZF = 1"
        CHECK16 ax, 0x0013, "ARPL: the destination gets RPL 3"
        mov bx, 0x0001
        arpl ax, bx
        CHECK_CC nz, "ARPL with a lower source RPL: ZF = 0"
        CHECK16 ax, 0x0013, "ARPL with a lower source RPL: unchanged"
        mov word [VARS], 0x0029
        mov cx, 0x0002
        arpl [VARS], cx
        CHECK16 word [VARS], 0x002A, "ARPL m16: RPL 1 raised to 2"

        FINISH

        ROM_END
