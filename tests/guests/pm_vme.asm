; pm_vme.asm - the virtual-8086 mode extensions (CR4.VME) and protected-
; mode virtual interrupts (CR4.PVI).
;
; Intel SDM Vol. 3 20.3 (VIF and VIP, the interrupt redirection bitmap
; 32 bytes below the I/O map base, Table 20-2: methods 3-6 for INT n) and
; 20.4 (PVI); Vol. 2 CLI, STI, PUSHF, POPF, IRET and INT n, Operation: with
; VME and IOPL < 3, CLI/STI/PUSHF/POPF/IRET (16-bit forms) work on VIF in
; place of IF, STI, POPF or IRET that would set the virtual IF while VIP is
; set, or POPF/IRET that would set TF, raise #GP(0), and the 32-bit forms
; still fault. INT n with a clear bit in the redirection bitmap goes to the
; 8086 program's own vector table (FLAGS pushed with IOPL 3 and VIF as IF,
; then VIF cleared when IOPL < 3; IF cleared when IOPL = 3); a set bit means
; #GP(0) with IOPL < 3 and the IDT with IOPL = 3.
;
; QEMU 7.2's TCG does not implement VME or PVI (it treats v86 mode as if
; CR4.VME were clear and CLI at ring 3 as #GP), so this guest fails there;
; Bochs 2.7 passes all of it (see pm.inc).

%include "pm.inc"

CR4_VME         equ 1
CR4_PVI         equ 2
F_VIF           equ 0x80000
F_VIP           equ 0x100000

A_F0            equ VARS + 0x00     ; part A: FLAGS images seen by PUSHF
A_F1            equ VARS + 0x02
A_F2            equ VARS + 0x04
A_F3            equ VARS + 0x06
A_PUSHED        equ VARS + 0x08     ; FLAGS pushed by the redirected INT 21h
A_RIP           equ VARS + 0x0A     ; IP pushed by it
A_INSIDE        equ VARS + 0x0C     ; PUSHF inside the handler
A_R22           equ VARS + 0x0E     ; INT 22h (bit set): vector
A_R22E          equ VARS + 0x10
A_RPUSHFD       equ VARS + 0x12     ; PUSHFD: vector
A_RPOPFTF       equ VARS + 0x14     ; POPF with TF: vector
A_RCS           equ VARS + 0x16     ; CS pushed by the redirected INT 21h
B_STI           equ VARS + 0x20     ; part B: STI with VIP: vector, IP
B_STI_IP        equ VARS + 0x22
B_POPF          equ VARS + 0x24
B_IRET          equ VARS + 0x26
B_POPF0         equ VARS + 0x28     ; POPF with IF = 0 while VIP: no fault (0)
C_PUSHED        equ VARS + 0x30     ; part C (IOPL 3)
C_INSIDE        equ VARS + 0x32
C_AFTER         equ VARS + 0x34
C_V24           equ VARS + 0x36
D_F0            equ VARS + 0x40     ; part D (PVI, ring 3): EFLAGS images
D_F1            equ VARS + 0x44
D_F2            equ VARS + 0x48
D_STI           equ VARS + 0x4C

pm_main:
        PRINTLN "pm_vme: CR4.VME (virtual-8086 mode extensions) and CR4.PVI"
        mov eax, 1
        cpuid
        and edx, 2
        CHECK edx, 2, "CPUID.1:EDX.VME (bit 1) is set"
        mov eax, cr4
        or eax, CR4_VME | CR4_PVI
        mov cr4, eax
        mov word [0x21 * 4], vm_int21
        mov word [0x21 * 4 + 2], 0xF000
        mov word [0x23 * 4], vm_int23
        mov word [0x23 * 4 + 2], 0xF000
        ; The redirection bitmap: 22h, 24h and 30h go to protected mode.
        or byte [TSS_BASE + TSS_IRB + 0x22 / 8], 1 << (0x22 & 7)
        or byte [TSS_BASE + TSS_IRB + 0x24 / 8], 1 << (0x24 & 7)
        or byte [TSS_BASE + TSS_IRB + 0x30 / 8], 1 << (0x30 & 7)
        SET_IDT 3, SEL_CODE32, ring0_return, ACC_INT32 | ACC_DPL(3)
        SET_IDT 0x24, SEL_CODE32, idt_stubs + 0x24 * STUB_SIZE, ACC_INT32 | ACC_DPL(3)

; --- A: IOPL 0, VIF set -------------------------------------------------------------------------
        TO_V86 0xF000, v86_a, F_VIF | 0x200, back_a
back_a:
        mov ax, [A_F0]
        and ax, 0x3200
        CHECK16 ax, 0x3200, "VME PUSHF with VIF set: IF reads 1, IOPL reads 3"
        mov ax, [A_F1]
        and ax, 0x0200
        CHECK16 ax, 0, "VME CLI: the virtual IF reads 0"
        mov ax, [A_F2]
        and ax, 0x0200
        CHECK16 ax, 0x0200, "VME STI: the virtual IF reads 1"
        mov ax, [A_PUSHED]
        and ax, 0x3200
        CHECK16 ax, 0x3200, "redirected INT 21h: FLAGS pushed with IOPL 3 and VIF as IF"
        CHECK16 word [A_RIP], v86_a.after21, "redirected INT 21h: IP pushed = the next instruction"
        CHECK16 word [A_RCS], 0xF000, "redirected INT 21h: CS pushed"
        mov ax, [A_INSIDE]
        and ax, 0x0200
        CHECK16 ax, 0, "redirected INT 21h: VIF clear in the 8086 handler"
        mov ax, [A_F3]
        and ax, 0x0200
        CHECK16 ax, 0x0200, "VME IRET: the virtual IF back from the FLAGS image"
        CHECK16 word [A_R22], 13, "INT 22h with its redirection bit set and IOPL 0: #GP"
        CHECK16 word [A_R22E], 0, "INT 22h with its bit set: error 0"
        CHECK16 word [A_RPUSHFD], 13, "PUSHFD under VME with IOPL 0: #GP"
        CHECK16 word [A_RPOPFTF], 13, "POPF setting TF under VME: #GP"
        mov eax, [T_EFLAGS]
        and eax, F_VIF | 0x200
        CHECK eax, 0x200, "after VME CLI: VIF clear, the real IF still set"

; --- B: VIP set (a virtual interrupt pending) -----------------------------------------------------
        TO_V86 0xF000, v86_b, F_VIP | 0x200, back_b
back_b:
        CHECK16 word [B_STI], 13, "STI with VIP set: #GP"
        CHECK16 word [B_STI_IP], v86_b.sti, "STI with VIP set: saved IP = the STI"
        CHECK16 word [B_POPF], 13, "POPF setting IF while VIP is set: #GP"
        CHECK16 word [B_POPF0], 0xFFFF, "POPF clearing IF while VIP is set: no fault"
        CHECK16 word [B_IRET], 13, "IRET setting IF while VIP is set: #GP"

; --- C: IOPL 3 (methods 4 and 5) ------------------------------------------------------
        TO_V86 0xF000, v86_c, 0x3000 | 0x200, back_c
back_c:
        mov ax, [C_PUSHED]
        and ax, 0x3200
        CHECK16 ax, 0x3200, "IOPL 3, redirected INT 23h: FLAGS pushed as they are"
        mov ax, [C_INSIDE]
        and ax, 0x0200
        CHECK16 ax, 0, "IOPL 3, redirected INT 23h: IF clear in the 8086 handler"
        mov ax, [C_AFTER]
        and ax, 0x0200
        CHECK16 ax, 0x0200, "IOPL 3: IRET restores IF"
        CHECK16 word [C_V24], 0x24, "IOPL 3, INT 24h with its bit set: through the IDT"
        CHECK dword [T_CS], 0xF000, "IOPL 3, INT 30h with its bit set: the protected-mode handler"

; --- D: PVI at ring 3 -----------------------------------------------------------------
        mov dword [R0_CONT], back_d
        push ds
        push es
        push fs
        push gs
        mov [R0_ESP], esp
        push dword SEL_DATA32_R3
        push dword STACK3
        push dword F_VIF | 0x202    ; IRETD at CPL 0 loads VIF
        push dword SEL_CODE32_R3
        push dword ring3_d
        iretd
back_d:
        mov eax, [D_F0]
        and eax, F_VIF | 0x200
        CHECK eax, F_VIF | 0x200, "ring 3: IRETD from CPL 0 loaded VIF"
        mov eax, [D_F1]
        and eax, F_VIF | 0x200
        CHECK eax, 0x200, "PVI: CLI at ring 3 clears VIF, not IF, without a fault"
        mov eax, [D_F2]
        and eax, F_VIF | 0x200
        CHECK eax, F_VIF | 0x200, "PVI: STI at ring 3 sets VIF"
        mov dword [R0_CONT], back_d2
        push ds
        push es
        push fs
        push gs
        mov [R0_ESP], esp
        push dword SEL_DATA32_R3
        push dword STACK3
        push dword F_VIP | 0x202
        push dword SEL_CODE32_R3
        push dword ring3_d2
        iretd
back_d2:
        CHECK dword [D_STI], 13, "PVI: STI at ring 3 with VIP set: #GP"

        mov eax, cr4
        and eax, ~(CR4_VME | CR4_PVI)
        mov cr4, eax
        FINISH

; --- ring 3 (protected mode) ---------------------------------------------------------------------
ring3_d:
        mov ax, SEL_DATA32_R3
        mov ds, ax
        pushfd
        pop dword [D_F0]
        cli
        pushfd
        pop dword [D_F1]
        sti
        pushfd
        pop dword [D_F2]
        int BACK_VEC

ring3_d2:                           ; entered with VIP set, VIF clear
        mov ax, SEL_DATA32_R3
        mov ds, ax
        EXPECT_TRAP .sti_done
        sti
.sti_done:
        mov eax, [T_VEC]
        mov [D_STI], eax
        int BACK_VEC

; --- the 8086 programs ---------------------------------------------------------------------------
        bits 16
v86_a:
        pushf
        pop word [A_F0]
        cli
        pushf
        pop word [A_F1]
        sti
        pushf
        pop word [A_F2]
        int 0x21
.after21:
        pushf
        pop word [A_F3]
        EXPECT_TRAP .a22
        int 0x22
.a22:   mov ax, [T_VEC]
        mov [A_R22], ax
        mov ax, [T_ERR]
        mov [A_R22E], ax
        EXPECT_TRAP .apfd
        pushfd
.apfd:  mov ax, [T_VEC]
        mov [A_RPUSHFD], ax
        push word 0x0100
        EXPECT_TRAP .apftf
        popf
.apftf: add sp, 2
        mov ax, [T_VEC]
        mov [A_RPOPFTF], ax
        cli
        int3                        ; -> ring0_return

vm_int21:                           ; reached by redirection (VME, IOPL 0)
        push bp
        mov bp, sp
        mov ax, [bp + 6]
        mov [A_PUSHED], ax
        mov ax, [bp + 2]
        mov [A_RIP], ax
        mov ax, [bp + 4]
        mov [A_RCS], ax
        pushf
        pop word [A_INSIDE]
        pop bp
        iret

v86_b:
        EXPECT_TRAP .b1
.sti:   sti
.b1:    mov ax, [T_VEC]
        mov [B_STI], ax
        mov ax, [T_EIP]
        mov [B_STI_IP], ax
        push word 0x0200
        EXPECT_TRAP .b2
        popf
.b2:    add sp, 2
        mov ax, [T_VEC]
        mov [B_POPF], ax
        mov dword [T_VEC], 0xFFFFFFFF
        push word 0x0000
        popf
        mov ax, [T_VEC]
        mov [B_POPF0], ax
        push word 0x0200
        push cs
        push word .b3
        EXPECT_TRAP .b3
        iret
.b3:    add sp, 6
        mov ax, [T_VEC]
        mov [B_IRET], ax
        int3

v86_c:
        int 0x23
        pushf
        pop word [C_AFTER]
        EXPECT_TRAP 0
        int 0x24
        mov ax, [T_VEC]
        mov [C_V24], ax
        int BACK_VEC

vm_int23:                           ; reached by redirection (VME, IOPL 3)
        push bp
        mov bp, sp
        mov ax, [bp + 6]
        mov [C_PUSHED], ax
        pushf
        pop word [C_INSIDE]
        pop bp
        iret

        bits 32
        ROM_END
