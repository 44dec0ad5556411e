; v86.asm - virtual-8086 mode without CR4.VME (SDM Vol. 3 chapter 20
; "8086 Emulation": 20.2.1 entering v86 mode by IRET or a task switch,
; 20.2.5 v86 addressing, 20.2.7 sensitive instructions, 20.3.1 class 1
; interrupt handling, 20.3.1.1 the handler's stack frame; Vol. 2 CLI, STI,
; PUSHF, POPF, INT n, IRET).
;
; - Entered by IRETD with VM = 1 and IOPL 3: real-mode addressing (segment
;   << 4), CLI/STI/PUSHF/POPF/IRET work, POPF cannot change IOPL, PUSHFD
;   stores VM clear; INT n goes through the IDT to a ring-0 handler whose
;   frame holds GS FS DS ES SS ESP EFLAGS(VM) CS EIP, and which starts with
;   DS, ES, FS and GS null.
; - IOPL 0: CLI, STI, PUSHF, POPF, INT n and IRET are #GP(0); INT3 is not
;   IOPL-sensitive: it goes to the IDT, whose DPL 0 gate makes it
;   #GP(3 * 8 + 2).
; - Entered by a task switch to a TSS with EFLAGS.VM = 1: the segment
;   registers are loaded real-mode style; a #GP through a task gate saves
;   the v86 state (VM set in EFLAGS, CS F000h) in its TSS and returns to
;   the monitor task with the error code on its stack.
;
; A snippet ends with HLT (#GP at CPL 3): the monitor then checks where
; it stopped. Passes on QEMU as well. CR4.VME is in v86_vme.asm.

%include "task.inc"

TSS_V           equ TSS_AT(1)
SEL_V           equ SEL_TSS(1)

V_CS            equ VARS + 0x00
V_FL1           equ VARS + 0x04
V_FL2           equ VARS + 0x08
V_FL3           equ VARS + 0x0C
V_FL4           equ VARS + 0x10
V_IRET          equ VARS + 0x14
V_FS            equ VARS + 0x18
H_DS            equ VARS + 0x20
H_GS            equ VARS + 0x24
H_RUNS          equ VARS + 0x28

start:
        GUEST_INIT
        PRINTLN "v86: virtual-8086 mode, IOPL 3 and 0, task switch"
        PM_START
        mov ecx, 0x32
        mov eax, int32_entry
        call pm_set_int_gate
        or byte [IDT_BASE + 0x32 * 8 + 5], 0x60         ; DPL 3

        ; === IOPL 3 ==============================================================
        mov eax, v86_a
        mov ebx, EFL_IOPL3
        call v86_run
        CHECK dword [P_VEC], 0x32, "IOPL 3: INT 32h went through the IDT"
        movzx eax, word [0x12350]
        CHECK eax, 0xBEEF, "IOPL 3: DS 1234h offset 10h is linear 12350h"
        CHECK dword [V_CS], 0xF000, "IOPL 3: CS reads F000h"
        mov eax, [V_FL1]
        and eax, EFL_IF | EFL_IOPL3
        CHECK eax, EFL_IOPL3, "IOPL 3: CLI clears IF (PUSHF shows it)"
        mov eax, [V_FL2]
        and eax, EFL_IF | EFL_IOPL3
        CHECK eax, EFL_IF | EFL_IOPL3, "IOPL 3: STI sets IF"
        mov eax, [V_FL3]
        and eax, EFL_IF | EFL_IOPL3
        CHECK eax, EFL_IOPL3, "IOPL 3: POPF loads IF but not IOPL"
        mov eax, [V_FL4]
        and eax, EFL_VM | EFL_IOPL3
        CHECK eax, EFL_IOPL3, "IOPL 3: PUSHFD stores VM clear"
        CHECK dword [V_IRET], 1, "IOPL 3: IRET returns within v86 mode"
        CHECK dword [P_EIP], v86_a.after_int, "INT 32h frame: EIP after the INT"
        CHECK dword [P_CS], 0xF000, "INT 32h frame: CS"
        mov eax, [P_EFLAGS]
        and eax, EFL_VM | EFL_IOPL3
        CHECK eax, EFL_VM | EFL_IOPL3, "INT 32h frame: EFLAGS with VM"
        CHECK dword [P_DS], 0x4321, "INT 32h frame: DS"
        CHECK dword [P_ES], 0, "INT 32h frame: ES"
        CHECK dword [P_SS], V86_SS, "INT 32h frame: SS"
        CHECK dword [P_ESP], V86_SP, "INT 32h frame: SP"
        CHECK dword [H_DS], 0, "INT 32h handler: DS null on entry"
        CHECK dword [H_GS], 0, "INT 32h handler: GS null on entry"

        ; === IOPL 0 ==============================================================
        mov eax, v86_cli
        xor ebx, ebx
        call v86_run
        CHECK dword [P_EIP], v86_cli.io, "IOPL 0: CLI is #GP"
        CHECK dword [P_ERR], 0, "IOPL 0: CLI #GP error code 0"
        mov eax, v86_sti
        xor ebx, ebx
        call v86_run
        CHECK dword [P_EIP], v86_sti.io, "IOPL 0: STI is #GP"
        mov eax, v86_pushf
        xor ebx, ebx
        call v86_run
        CHECK dword [P_EIP], v86_pushf.io, "IOPL 0: PUSHF is #GP"
        mov eax, v86_popf
        xor ebx, ebx
        call v86_run
        CHECK dword [P_EIP], v86_popf.io, "IOPL 0: POPF is #GP"
        mov eax, v86_int
        xor ebx, ebx
        call v86_run
        CHECK dword [P_EIP], v86_int.io, "IOPL 0: INT n is #GP"
        CHECK dword [P_VEC], 13, "IOPL 0: INT n is #GP (vector)"
        CHECK dword [P_ERR], 0, "IOPL 0: INT n #GP error code 0"
        mov eax, v86_iret
        xor ebx, ebx
        call v86_run
        CHECK dword [P_EIP], v86_iret.io, "IOPL 0: IRET is #GP"
        mov eax, v86_int3
        xor ebx, ebx
        call v86_run
        CHECK dword [P_EIP], v86_int3.io, "IOPL 0: INT3 through a DPL 0 gate is #GP"
        CHECK dword [P_ERR], 3 * 8 + 2, "IOPL 0: INT3 is not IOPL-sensitive (#GP(1Ah))"

        ; === entered by a task switch ===========================================
        mov edi, TSS_V
        mov eax, v86_task
        mov ecx, V86_SP
        call pm_init_tss32
        mov dword [TSS_V + TSS_EFLAGS], EFL_VM | EFL_IOPL3 | 2
        mov dword [TSS_V + TSS_CS], 0xF000
        mov dword [TSS_V + TSS_SS], V86_SS
        mov dword [TSS_V + TSS_DS], 0x1234
        mov dword [TSS_V + TSS_ES], 0
        mov dword [TSS_V + TSS_FS], 0x0055
        mov dword [TSS_V + TSS_GS], 0x0066
        mov dword [TSS_V + TSS_ESP0], STACK_TRAP
        mov ebx, SEL_V
        call pm_tss_desc32
        mov ecx, 13
        mov bx, SEL_TSS_MAIN
        call pm_set_task_gate
        jmp SEL_V:0                 ; the v86 task's HLT comes back here
        pop eax                     ; the #GP error code
        push eax
        pushfd
        and dword [esp], ~EFL_NT
        popfd
        mov ecx, 13
        call pm_restore_gate
        and byte [GDT_BASE + SEL_V + 5], ~2
        pop eax
        CHECK eax, 0, "v86 task: #GP error code on the monitor's stack"
        movzx eax, word [TSS_MAIN + TSS_LINK]
        CHECK eax, SEL_V, "v86 task: the monitor's back link = the v86 task"
        movzx eax, word [0x12352]
        CHECK eax, 0xCAFE, "v86 task: DS 1234h loaded real-mode style"
        CHECK dword [V_FS], 0x55, "v86 task: FS loaded"
        mov eax, [TSS_V + TSS_EFLAGS]
        and eax, EFL_VM
        CHECK eax, EFL_VM, "v86 task: VM saved in its EFLAGS"
        CHECK dword [TSS_V + TSS_EIP], v86_task.hlt, "v86 task: EIP saved = the HLT"
        movzx eax, word [TSS_V + TSS_CS]
        CHECK eax, 0xF000, "v86 task: CS saved"
        movzx eax, word [TSS_V + TSS_DS]
        CHECK eax, 0x1234, "v86 task: DS saved"
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

; INT 32h: records DS and GS as the handler finds them, then goes on as the
; harness stub does.
int32_entry:
        push eax
        mov ax, ds
        movzx eax, ax
        mov [ss:H_DS], eax
        mov ax, gs
        movzx eax, ax
        mov [ss:H_GS], eax
        inc dword [ss:H_RUNS]
        pop eax
        jmp pm_stub_50                  ; vector 32h

; --- v86 code ---
        bits 16
v86_a:
        mov ax, 0x1234
        mov ds, ax
        mov word [0x10], 0xBEEF
        mov ax, cs
        mov [es:V_CS], ax
        cli
        pushf
        pop ax
        mov [es:V_FL1], ax
        sti
        pushf
        pop ax
        mov [es:V_FL2], ax
        push word 0x0002            ; IOPL 0, IF 0
        popf
        pushf
        pop ax
        mov [es:V_FL3], ax
        pushfd
        pop eax
        mov [es:V_FL4], eax
        pushf
        push cs
        push word .iret_ret
        iret
.iret_ret:
        mov byte [es:V_IRET], 1
        mov ax, 0x4321
        mov ds, ax
        int 0x32
.after_int:
        hlt

v86_cli:
.io:    cli
        hlt
v86_sti:
.io:    sti
        hlt
v86_pushf:
.io:    pushf
        hlt
v86_popf:
        push word 2                 ; (the PUSH itself is fine)
.io:    popf
        hlt
v86_int:
.io:    int 0x32
        hlt
v86_iret:
        push word 2
        push cs
        push word .hlt
.io:    iret
.hlt:   hlt
v86_int3:
.io:    int3
        hlt

v86_task:
        mov word [0x12], 0xCAFE
        mov ax, fs
        mov [es:V_FS], ax
.hlt:   hlt

        ROM_END
