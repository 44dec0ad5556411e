; v86_vme.asm - virtual-8086 mode extensions, CR4.VME, at IOPL 0 (SDM
; Vol. 3 20.3.2 "Class 2 - Maskable Hardware Interrupt Handling in
; Virtual-8086 Mode Using the Virtual Interrupt Mechanism", 20.3.3 "Class 3
; - Software Interrupt Handling in Virtual-8086 Mode" (method 5: the
; interrupt redirection bit map), 20.2.7; Vol. 2 CLI, STI, PUSHF, POPF,
; INT n, IRET).
;
; With VME and IOPL < 3 the IOPL-sensitive instructions work on the
; virtual interrupt flag VIF instead of trapping:
; - CLI clears VIF, STI sets it (IF is left alone); STI with VIP set is
;   #GP(0).
; - PUSHF stores FLAGS with VIF in the IF position and IOPL as 3; POPF
;   loads the popped IF into VIF and leaves IF and IOPL; popping TF = 1, or
;   IF = 1 while VIP is set, is #GP(0). PUSHFD and POPFD still trap.
; - INT n whose bit in the TSS's interrupt redirection bit map (the 32
;   bytes below the I/O map base) is clear goes through the v86 program's
;   own vector table at linear 0, like real mode: it pushes FLAGS (VIF as
;   IF, IOPL 3), CS and IP and clears VIF and TF; the handler's IRET (VME
;   form) puts the popped IF back into VIF. A set bit keeps the #GP(0).
;
; QEMU 7.2 does not implement VME for these instructions (it traps them as
; without VME); this guest checks brisk against the SDM alone.

%include "task.inc"

REDIR           equ TSS_MAIN + 0x68 ; the redirection map (I/O base 88h)
V_FL            equ VARS + 0x00
I_IP            equ VARS + 0x04
I_FL            equ VARS + 0x08
I_FL_IN         equ VARS + 0x0C
I_RUNS          equ VARS + 0x10

start:
        GUEST_INIT
        PRINTLN "v86_vme: CR4.VME, the virtual interrupt flag"
        SET_VECTOR 0x40, v86_isr    ; the v86 program's own IVT entry
        PM_START
        ; I/O map base 88h: the 32 bytes at 68h-87h become the interrupt
        ; redirection map: every vector set (as without VME) but 40h.
        mov word [TSS_MAIN + TSS_IOBASE], 0x88
        mov edi, REDIR
        mov al, 0xFF
        mov ecx, 32
        rep stosb
        and byte [REDIR + (0x40 >> 3)], ~(1 << (0x40 & 7))
        mov eax, cr4
        or eax, 1                   ; VME
        mov cr4, eax

        ; === CLI and STI ========================================================
        mov eax, v86_sti
        mov ebx, 0                  ; IF = 0, VIF = 0
        call v86_run
        CHECK dword [P_EIP], v86_sti.end, "VME: STI does not trap"
        mov eax, [P_EFLAGS]
        and eax, EFL_VIF | EFL_IF | EFL_IOPL3
        CHECK eax, EFL_VIF, "VME: STI sets VIF, not IF"
        mov eax, v86_cli
        mov ebx, EFL_VIF | EFL_IF
        call v86_run
        CHECK dword [P_EIP], v86_cli.end, "VME: CLI does not trap"
        mov eax, [P_EFLAGS]
        and eax, EFL_VIF | EFL_IF
        CHECK eax, EFL_IF, "VME: CLI clears VIF, not IF"
        mov eax, v86_sti
        mov ebx, EFL_VIP
        call v86_run
        CHECK dword [P_EIP], v86_sti.io, "VME: STI with VIP set is #GP"

        ; === PUSHF and POPF =====================================================
        mov eax, v86_pushf
        mov ebx, EFL_VIF
        call v86_run
        CHECK dword [P_EIP], v86_pushf.end, "VME: PUSHF does not trap"
        mov eax, [V_FL]
        and eax, EFL_IF | EFL_IOPL3
        CHECK eax, EFL_IF | EFL_IOPL3, "VME: PUSHF stores VIF as IF and IOPL as 3"
        mov eax, v86_pushf
        mov ebx, EFL_IF
        call v86_run
        mov eax, [V_FL]
        and eax, EFL_IF | EFL_IOPL3
        CHECK eax, EFL_IOPL3, "VME: PUSHF with VIF clear stores IF clear"
        mov eax, v86_popf_if
        mov ebx, 0
        call v86_run
        CHECK dword [P_EIP], v86_popf_if.end, "VME: POPF does not trap"
        mov eax, [P_EFLAGS]
        and eax, EFL_VIF | EFL_IF | EFL_IOPL3 | 0xFF
        CHECK eax, EFL_VIF | 0x2 | 0x1 | 0x40, "VME: POPF loads VIF and the flags, not IF"
        mov eax, v86_popf_0
        mov ebx, EFL_VIF | EFL_IF
        call v86_run
        mov eax, [P_EFLAGS]
        and eax, EFL_VIF | EFL_IF
        CHECK eax, EFL_IF, "VME: POPF with IF clear clears VIF"
        mov eax, v86_popf_tf
        mov ebx, 0
        call v86_run
        CHECK dword [P_EIP], v86_popf_tf.io, "VME: POPF setting TF is #GP"
        mov eax, v86_popf_if
        mov ebx, EFL_VIP
        call v86_run
        CHECK dword [P_EIP], v86_popf_if.io, "VME: POPF setting IF with VIP set is #GP"
        mov eax, v86_pushfd
        mov ebx, 0
        call v86_run
        CHECK dword [P_EIP], v86_pushfd.io, "VME: PUSHFD is #GP"
        mov eax, v86_popfd
        mov ebx, 0
        call v86_run
        CHECK dword [P_EIP], v86_popfd.io, "VME: POPFD is #GP"

        ; === INT n and the redirection map ======================================
        mov eax, v86_int40
        mov ebx, EFL_VIF
        call v86_run
        CHECK dword [P_EIP], v86_int40.end, "VME: INT 40h (redirected) and its IRET"
        CHECK dword [I_RUNS], 1, "VME: INT 40h ran the v86 IVT handler"
        CHECK dword [I_IP], v86_int40.after, "VME: INT 40h pushed IP after the INT"
        mov eax, [I_FL]
        and eax, EFL_IF | EFL_IOPL3
        CHECK eax, EFL_IF | EFL_IOPL3, "VME: INT 40h pushed FLAGS with VIF as IF, IOPL 3"
        mov eax, [I_FL_IN]
        and eax, EFL_IF
        CHECK eax, 0, "VME: INT 40h cleared VIF for the handler"
        mov eax, [P_EFLAGS]
        and eax, EFL_VIF
        CHECK eax, EFL_VIF, "VME: the handler's IRET restored VIF"
        mov eax, v86_int41
        mov ebx, EFL_VIF
        call v86_run
        CHECK dword [P_EIP], v86_int41.io, "VME: INT 41h (bit set, IOPL 0) is #GP"
        FINISH

; v86_run: IRETD to the v86 snippet at F000:AX with EFLAGS EBX | VM; a trap
; ends it (P_* hold the details).
v86_run:
        PM_EXPECT .back
        push dword 0
        push dword 0
        push dword 0
        push dword 0
        push dword V86_SS
        push dword V86_SP
        or ebx, EFL_VM | 2
        push ebx
        push dword 0xF000
        push eax
        iretd
.back:
        ret

; --- v86 code ---
        bits 16
v86_sti:
.io:    sti
.end:   hlt
v86_cli:
.io:    cli
.end:   hlt
v86_pushf:
.io:    pushf
        pop ax
        mov [es:V_FL], ax
.end:   hlt
v86_popf_if:
        push word 0x0243            ; IF, ZF, CF
.io:    popf
.end:   hlt
v86_popf_0:
        push word 0x0002
.io:    popf
.end:   hlt
v86_popf_tf:
        push word 0x0102
.io:    popf
.end:   hlt
v86_pushfd:
.io:    pushfd
.end:   hlt
v86_popfd:
        push dword 2
.io:    popfd
.end:   hlt
v86_int40:
.io:    int 0x40
.after:
.end:   hlt
v86_int41:
.io:    int 0x41
.end:   hlt

; The v86 program's INT 40h handler: records the frame and the flags.
v86_isr:
        push bp
        mov bp, sp
        mov ax, [bp + 2]
        mov [es:I_IP], ax
        mov ax, [bp + 6]
        mov [es:I_FL], ax
        pushf
        pop ax
        mov [es:I_FL_IN], ax
        inc word [es:I_RUNS]
        pop bp
        iret

        ROM_END
