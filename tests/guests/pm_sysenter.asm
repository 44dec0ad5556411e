; pm_sysenter.asm - SYSENTER and SYSEXIT.
;
; Intel SDM Vol. 2 SYSENTER, SYSEXIT; Vol. 3 5.8.7: SYSENTER loads CS from
; IA32_SYSENTER_CS (MSR 174h, RPL forced to 0) and SS from CS + 8 as flat
; 4 GiB ring-0 segments, ESP and EIP from MSRs 175h and 176h, and clears
; VM, IF and RF; SYSEXIT (CPL 0 only) returns to ring 3 with CS =
; SYSENTER_CS + 16 and SS = SYSENTER_CS + 24 (RPL 3), EIP = EDX, ESP = ECX.
; Both are #GP(0) with SYSENTER_CS = 0 (and SYSEXIT at CPL > 0). The
; segments loaded are flat (base 0), so EIPs are linear addresses here:
; the ROM is at F0000h. Runs the same on QEMU.

%include "pm.inc"

SYS_CS          equ 0x80            ; 80h ring-0 code, 88h ring-0 data,
                                    ; 90h ring-3 code, 98h ring-3 data
SYS_ESP         equ 0x5800
R3_ESP          equ 0x6F00
ROM             equ 0xF0000

E_CS            equ VARS + 0x00     ; inside SYSENTER's target
E_SS            equ VARS + 0x04
E_ESP           equ VARS + 0x08
E_EFL           equ VARS + 0x0C
E_EIP           equ VARS + 0x10     ; EIP read with CALL/POP (linear)
X_CS            equ VARS + 0x20     ; after SYSEXIT
X_SS            equ VARS + 0x24
X_ESP           equ VARS + 0x28
X_EAX           equ VARS + 0x2C
X_GP            equ VARS + 0x30     ; SYSEXIT at ring 3: vector

pm_main:
        PRINTLN "pm_sysenter: SYSENTER and SYSEXIT"
        mov eax, 1
        cpuid
        and edx, 1 << 11
        CHECK edx, 1 << 11, "CPUID.1:EDX.SEP (bit 11) is set"

        SET_DESC SYS_CS, 0, 0xFFFFF, ACC_CODE_R0, FLG_32 | FLG_4K
        SET_DESC SYS_CS + 8, 0, 0xFFFFF, ACC_DATA_R0, FLG_32 | FLG_4K
        SET_DESC SYS_CS + 16, 0, 0xFFFFF, ACC_CODE_R0 | ACC_DPL(3), FLG_32 | FLG_4K
        SET_DESC SYS_CS + 24, 0, 0xFFFFF, ACC_DATA_R0 | ACC_DPL(3), FLG_32 | FLG_4K

        ; SYSENTER_CS = 0: #GP(0).
        xor eax, eax
        xor edx, edx
        mov ecx, 0x174
        wrmsr
        EXPECT_TRAP .gp0_done
.gp0:   sysenter
.gp0_done:
        CHECK dword [T_VEC], 13, "SYSENTER with SYSENTER_CS = 0: #GP"
        CHECK dword [T_ERR], 0, "SYSENTER with SYSENTER_CS = 0: error 0"
        CHECK dword [T_EIP], .gp0, "SYSENTER with SYSENTER_CS = 0: saved EIP"

        mov eax, SYS_CS | 3         ; the RPL bits are ignored
        mov ecx, 0x174
        wrmsr
        mov eax, SYS_ESP
        mov ecx, 0x175
        wrmsr
        mov eax, ROM + sys_entry
        mov ecx, 0x176
        wrmsr
        mov ecx, 0x174
        rdmsr
        CHECK eax, SYS_CS | 3, "RDMSR 174h reads SYSENTER_CS back"

        sti                         ; IF set in ring 3 (every IRQ is masked)
        TO_RING3 ring3_code, back
back:
        cli
        CHECK dword [E_CS], SYS_CS, "SYSENTER: CS = SYSENTER_CS with RPL 0"
        CHECK dword [E_SS], SYS_CS + 8, "SYSENTER: SS = SYSENTER_CS + 8"
        CHECK dword [E_ESP], SYS_ESP, "SYSENTER: ESP = SYSENTER_ESP"
        CHECK dword [E_EIP], ROM + sys_entry.here, "SYSENTER: EIP = SYSENTER_EIP, CS base 0"
        mov eax, [E_EFL]
        and eax, 0x200
        CHECK eax, 0, "SYSENTER clears IF"
        CHECK dword [X_CS], SYS_CS + 16 + 3, "SYSEXIT: CS = SYSENTER_CS + 16, RPL 3"
        CHECK dword [X_SS], SYS_CS + 24 + 3, "SYSEXIT: SS = SYSENTER_CS + 24, RPL 3"
        CHECK dword [X_ESP], R3_ESP, "SYSEXIT: ESP = ECX"
        CHECK dword [X_EAX], 0x600DF00D, "SYSEXIT: EAX passes through"
        CHECK dword [X_GP], 13, "SYSEXIT at ring 3: #GP"
        CHECK dword [T_CS], SYS_CS + 16 + 3, "INT 30h after SYSEXIT: saved CS"
        FINISH

; --- SYSENTER's target: CPL 0, CS base 0 ---------------------------------------------------
sys_entry:
        mov [ss:E_ESP], esp
        mov eax, cs
        mov [ss:E_CS], eax
        mov eax, ss
        mov [ss:E_SS], eax
        pushfd
        pop dword [ss:E_EFL]
        call .here
.here:  pop dword [ss:E_EIP]
        mov eax, 0x600DF00D
        mov ecx, R3_ESP
        mov edx, ROM + after_sysexit
        sysexit

; --- ring 3 -------------------------------------------------------------------------------
ring3_code:
        mov ax, SEL_DATA32_R3
        mov ds, ax
        sysenter

after_sysexit:                      ; ring 3, CS base 0
        mov [ss:X_EAX], eax
        mov [ss:X_ESP], esp
        mov eax, cs
        mov [ss:X_CS], eax
        mov eax, ss
        mov [ss:X_SS], eax
        EXPECT_TRAP ROM + .gp_done
        sysexit
.gp_done:
        mov eax, [T_VEC]
        mov [X_GP], eax
        int BACK_VEC

        ROM_END
