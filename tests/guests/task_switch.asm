; task_switch.asm - hardware task switches through JMP, CALL and IRET (SDM
; Vol. 3 chapter 8 "Task Management": 8.3 task switching, 8.4 task linking,
; Table 8-2 busy flag and NT; Table 6-6 #TS conditions).
;
; - JMP to a 32-bit TSS: the new task gets EIP, EFLAGS, the general and
;   segment registers from its TSS; CR0.TS is set; the old task's state
;   (EIP = the instruction after the JMP, registers) goes into the old TSS;
;   the old busy bit is cleared and the new one set; NT stays clear and the
;   link field is not written; L0-L3 of DR7 are cleared. Jumping back and
;   forth resumes each task where it left.
; - CALL to a TSS: NT is set in the new task, the link field holds the old
;   TR, both busy bits are set; IRET returns to the caller (NT = 1), clears
;   the called task's busy bit and NT in its saved EFLAGS; a second CALL
;   resumes after the IRET.
; - A 16-bit TSS (CALL and IRET, 16-bit code in the task), a task with an
;   LDT (its DS selects an LDT descriptor, whose accessed bit is set).
; - Faults in the old task's context, which change nothing: JMP or CALL to
;   a busy TSS is #GP(sel), to a non-present one #NP(sel), a 32-bit TSS
;   with a limit below 67h or a 16-bit one below 2Bh is #TS(sel), IRET with
;   NT to a link that is not a busy TSS is #TS(link).
;
; Faults in the new task's context and the T bit are in task_context.asm.
; Passes on QEMU as well (tests/guests/run_qemu.sh).

%include "task.inc"

; Task slots.
TSS_A           equ TSS_AT(1)       ; JMP target
TSS_B           equ TSS_AT(2)       ; CALL target
TSS_C           equ TSS_AT(3)       ; 16-bit task
TSS_D           equ TSS_AT(4)       ; task with an LDT
TSS_X           equ TSS_AT(7)       ; for the descriptor checks
SEL_A           equ SEL_TSS(1)
SEL_B           equ SEL_TSS(2)
SEL_C           equ SEL_TSS(3)
SEL_D           equ SEL_TSS(4)
SEL_X           equ SEL_TSS(7)
SEL_LDT         equ SEL_SPARE       ; the LDT descriptor
SEL_LDATA       equ 0x04            ; LDT entry 0, TI = 1, RPL 0
LDT_DATA        equ 0x20000         ; the LDT data segment's base

; What the tasks record (VARS = 600h).
A_EAX           equ VARS + 0x00
A_EBX           equ VARS + 0x04
A_ESI           equ VARS + 0x08
A_ESP           equ VARS + 0x0C
A_FLAGS         equ VARS + 0x10
A_CR0           equ VARS + 0x14
A_CS            equ VARS + 0x18
A_DS            equ VARS + 0x1C
A_SS            equ VARS + 0x20
A_TYPE_A        equ VARS + 0x24
A_TYPE_MAIN     equ VARS + 0x28
A_MAIN_EIP      equ VARS + 0x2C
A_MAIN_EBX      equ VARS + 0x30
A_RUNS          equ VARS + 0x34
A_DR7           equ VARS + 0x38
B_FLAGS         equ VARS + 0x40
B_LINK          equ VARS + 0x44
B_TYPE_B        equ VARS + 0x48
B_TYPE_MAIN     equ VARS + 0x4C
B_RUNS          equ VARS + 0x50
C_AX            equ VARS + 0x60
C_SI            equ VARS + 0x64
C_FLAGS         equ VARS + 0x68
C_CS            equ VARS + 0x6C
C_SP            equ VARS + 0x70
D_DS            equ VARS + 0x80
D_RUNS          equ VARS + 0x84
M_ESP           equ VARS + 0x90
M_EBX           equ VARS + 0x94
M_FLAGS         equ VARS + 0x98

start:
        GUEST_INIT
        PRINTLN "task_switch: JMP, CALL, IRET task switches"
        PM_START

        ; --- the tasks' TSSs and descriptors ---
        mov edi, TSS_A
        mov eax, task_a
        mov ecx, STACK_TASK(1)
        call pm_init_tss32
        mov dword [TSS_A + TSS_EFLAGS], 0x00000CD7   ; OF DF SF ZF AF PF CF
        mov dword [TSS_A + TSS_EAX], 0xA0A0A0A0
        mov dword [TSS_A + TSS_EBX], 0xB0B0B0B0
        mov dword [TSS_A + TSS_ESI], 0x51515151
        mov ebx, SEL_A
        call pm_tss_desc32

        mov edi, TSS_B
        mov eax, task_b
        mov ecx, STACK_TASK(2)
        call pm_init_tss32
        mov ebx, SEL_B
        call pm_tss_desc32

        ; C: a 16-bit TSS (limit 2Bh, the minimum), 16-bit code and stack.
        mov edi, TSS_C
        xor eax, eax
        mov ecx, 0x2C / 4
        rep stosd
        mov word [TSS_C + TSS16_IP], task_c
        mov word [TSS_C + TSS16_FLAGS], 0x0003   ; CF
        mov word [TSS_C + TSS16_AX], 0x1234
        mov word [TSS_C + TSS16_SI], 0x5678
        mov word [TSS_C + TSS16_SP], 0xE000
        mov word [TSS_C + TSS16_CS], SEL_CODE16
        mov word [TSS_C + TSS16_SS], SEL_DATA16
        mov word [TSS_C + TSS16_DS], SEL_DATA16
        mov word [TSS_C + TSS16_ES], SEL_DATA16
        mov ebx, SEL_C
        mov eax, TSS_C
        mov ecx, 0x2B
        mov dl, ACC_TSS16
        xor dh, dh
        call pm_set_desc

        ; D: DS from its LDT.
        mov dword [LDT_BASE], 0x0000FFFF          ; base 20000h, limit FFFFh
        mov dword [LDT_BASE + 4], 0x00009202      ; data, DPL 0, not accessed
        mov ebx, SEL_LDT
        mov eax, LDT_BASE
        mov ecx, 7
        mov dl, ACC_LDT
        xor dh, dh
        call pm_set_desc
        mov edi, TSS_D
        mov eax, task_d
        mov ecx, STACK_TASK(4)
        call pm_init_tss32
        mov dword [TSS_D + TSS_LDT], SEL_LDT
        mov dword [TSS_D + TSS_DS], SEL_LDATA
        mov ebx, SEL_D
        call pm_tss_desc32

        ; === JMP ================================================================
        mov eax, 0x000003FF         ; L0-L3, G0-G3, LE, GE (all at address 0)
        mov dr7, eax
        clts
        mov ebx, 0x5A5A5A5A
        mov [M_ESP], esp
        jmp SEL_A:0
.after_jmp_a:
        mov [M_EBX], ebx
        pushfd
        pop dword [M_FLAGS]
        xor eax, eax
        mov dr7, eax
        CHECK dword [A_EAX], 0xA0A0A0A0, "jmp: EAX from the new TSS"
        CHECK dword [A_EBX], 0xB0B0B0B0, "jmp: EBX from the new TSS"
        CHECK dword [A_ESI], 0x51515151, "jmp: ESI from the new TSS"
        CHECK dword [A_ESP], STACK_TASK(1), "jmp: ESP from the new TSS"
        CHECK dword [A_FLAGS], 0x00000CD7, "jmp: EFLAGS from the new TSS, NT clear"
        mov eax, [A_CR0]
        and eax, 8
        CHECK eax, 8, "jmp: CR0.TS set by the task switch"
        CHECK dword [A_CS], SEL_CODE0, "jmp: CS from the new TSS"
        CHECK dword [A_DS], SEL_DATA0, "jmp: DS from the new TSS"
        CHECK dword [A_SS], SEL_DATA0, "jmp: SS from the new TSS"
        CHECK dword [A_TYPE_A], 0x8B, "jmp: the new TSS is busy"
        CHECK dword [A_TYPE_MAIN], 0x89, "jmp: the old TSS is no longer busy"
        CHECK dword [A_MAIN_EIP], .after_jmp_a, "jmp: old EIP saved = the next instruction"
        CHECK dword [A_MAIN_EBX], 0x5A5A5A5A, "jmp: old EBX saved in the old TSS"
        mov eax, [A_DR7]
        and eax, 0xFF
        CHECK eax, 0xAA, "jmp: DR7 L0-L3 cleared, G0-G3 kept"
        CHECK dword [M_EBX], 0x5A5A5A5A, "jmp back: EBX restored from the main TSS"
        mov eax, esp
        CHECK eax, [M_ESP], "jmp back: ESP restored"
        mov ebx, SEL_A
        call pm_desc_type
        movzx eax, al
        CHECK eax, 0x89, "jmp back: task A's TSS no longer busy"
        mov ebx, SEL_TSS_MAIN
        call pm_desc_type
        movzx eax, al
        CHECK eax, 0x8B, "jmp back: the main TSS busy again"
        CHECK dword [TSS_A + TSS_EIP], task_a.back, "jmp back: task A's EIP saved"
        CHECK dword [TSS_A + TSS_EAX], 0x13572468, "jmp back: task A's EAX saved"
        CHECK dword [TSS_MAIN + TSS_LINK], 0, "jmp: no back link written"
        jmp SEL_A:0                 ; A resumes after its JMP, counts, comes back
        CHECK dword [A_RUNS], 1, "jmp again: task A resumed where it left"

        ; === CALL and IRET ======================================================
        mov esi, 0x0BADF00D
        call SEL_B:0
.after_call_b:
        pushfd
        pop eax
        and eax, EFL_NT
        CHECK eax, 0, "call/iret: NT clear again in the caller"
        CHECK esi, 0x0BADF00D, "call/iret: caller's ESI restored"
        mov eax, [B_FLAGS]
        and eax, EFL_NT
        CHECK eax, EFL_NT, "call: NT set in the called task"
        CHECK dword [B_LINK], SEL_TSS_MAIN, "call: back link = the caller's TR"
        CHECK dword [B_TYPE_B], 0x8B, "call: the called TSS is busy"
        CHECK dword [B_TYPE_MAIN], 0x8B, "call: the caller's TSS stays busy"
        mov ebx, SEL_B
        call pm_desc_type
        movzx eax, al
        CHECK eax, 0x89, "iret: the called task's TSS no longer busy"
        mov eax, [TSS_B + TSS_EFLAGS]
        and eax, EFL_NT
        CHECK eax, 0, "iret: NT clear in the called task's saved EFLAGS"
        CHECK dword [TSS_B + TSS_EIP], task_b.again, "iret: saved EIP = after the IRET"
        CHECK dword [TSS_MAIN + TSS_EIP], .after_call_b, "call: caller's EIP saved"
        call SEL_B:0
        CHECK dword [B_RUNS], 2, "call again: the task resumed after its IRET"

        ; === a 16-bit TSS =======================================================
        call SEL_C:0
        CHECK dword [C_AX], 0x1234, "16-bit TSS: AX loaded"
        CHECK dword [C_SI], 0x5678, "16-bit TSS: SI loaded"
        CHECK dword [C_SP], 0xE000, "16-bit TSS: SP loaded"
        CHECK dword [C_CS], SEL_CODE16, "16-bit TSS: CS loaded"
        CHECK dword [C_FLAGS], EFL_NT | 3, "16-bit TSS: FLAGS loaded, NT set by CALL"
        movzx eax, word [TSS_C + TSS16_LINK]
        CHECK eax, SEL_TSS_MAIN, "16-bit TSS: back link"
        movzx eax, word [TSS_C + TSS16_IP]
        CHECK eax, task_c.again, "16-bit TSS: IP saved by the IRET"
        movzx eax, word [TSS_C + TSS16_AX]
        CHECK eax, 0x4321, "16-bit TSS: AX saved by the IRET"
        mov ebx, SEL_C
        call pm_desc_type
        movzx eax, al
        CHECK eax, 0x81, "16-bit TSS: available again after IRET"

        ; === a task with an LDT =================================================
        jmp SEL_D:0
        CHECK dword [D_DS], SEL_LDATA, "LDT task: DS = the LDT selector"
        CHECK dword [LDT_DATA + 0x10], 0xD00DD00D, "LDT task: DS base from the LDT"
        movzx eax, byte [LDT_BASE + 5]
        CHECK eax, 0x93, "LDT task: accessed bit set in the LDT descriptor"

        ; === faults in the old task's context ===================================
        PM_EXPECT .busy_jmp
.j_busy:
        jmp SEL_TSS_MAIN:0
        FAIL_NOW "jmp to a busy TSS: no fault"
.busy_jmp:
        CHECK dword [P_VEC], 13, "jmp to a busy TSS: #GP"
        CHECK dword [P_ERR], SEL_TSS_MAIN, "jmp to a busy TSS: error code = selector"
        CHECK dword [P_EIP], .j_busy, "jmp to a busy TSS: EIP = the JMP"

        PM_EXPECT .busy_call
        call SEL_TSS_MAIN:0
        FAIL_NOW "call to a busy TSS: no fault"
.busy_call:
        CHECK dword [P_VEC], 13, "call to a busy TSS: #GP"
        CHECK dword [P_ERR], SEL_TSS_MAIN, "call to a busy TSS: error code"

        ; X: a 32-bit TSS that is not present.
        mov edi, TSS_X
        mov eax, task_a
        mov ecx, STACK_TASK(7)
        call pm_init_tss32
        mov ebx, SEL_X
        mov eax, TSS_X
        mov ecx, 0x67
        mov dl, ACC_TSS32 & 0x7F
        xor dh, dh
        call pm_set_desc
        PM_EXPECT .np
        jmp SEL_X:0
        FAIL_NOW "jmp to a TSS not present: no fault"
.np:
        CHECK dword [P_VEC], 11, "jmp to a TSS not present: #NP"
        CHECK dword [P_ERR], SEL_X, "jmp to a TSS not present: error code"

        ; X: limit 66h.
        mov ebx, SEL_X
        mov eax, TSS_X
        mov ecx, 0x66
        mov dl, ACC_TSS32
        call pm_set_desc
        PM_EXPECT .ts32
        jmp SEL_X:0
        FAIL_NOW "32-bit TSS with limit 66h: no fault"
.ts32:
        CHECK dword [P_VEC], 10, "32-bit TSS with limit 66h: #TS"
        CHECK dword [P_ERR], SEL_X, "32-bit TSS with limit 66h: error code"
        mov ebx, SEL_X
        call pm_desc_type
        movzx eax, al
        CHECK eax, 0x89, "32-bit TSS with limit 66h: not marked busy"
        mov ebx, SEL_TSS_MAIN
        call pm_desc_type
        movzx eax, al
        CHECK eax, 0x8B, "32-bit TSS with limit 66h: the old TSS still busy"

        ; X: a 16-bit TSS with limit 2Ah.
        mov ebx, SEL_X
        mov eax, TSS_X
        mov ecx, 0x2A
        mov dl, ACC_TSS16
        call pm_set_desc
        PM_EXPECT .ts16
        call SEL_X:0
        FAIL_NOW "16-bit TSS with limit 2Ah: no fault"
.ts16:
        CHECK dword [P_VEC], 10, "16-bit TSS with limit 2Ah: #TS"
        CHECK dword [P_ERR], SEL_X, "16-bit TSS with limit 2Ah: error code"

        ; IRET with NT set and a link to an available TSS (A).
        mov word [TSS_MAIN + TSS_LINK], SEL_A
        PM_EXPECT .iret_link
        pushfd
        or dword [esp], EFL_NT
        popfd
.iret_nt:
        iretd
        FAIL_NOW "iret to an available TSS: no fault"
.iret_link:
        mov word [TSS_MAIN + TSS_LINK], 0
        CHECK dword [P_VEC], 10, "iret to a TSS that is not busy: #TS"
        CHECK dword [P_ERR], SEL_A, "iret to a TSS that is not busy: error code = link"
        CHECK dword [P_EIP], .iret_nt, "iret to a TSS that is not busy: EIP = the IRET"

        FINISH

; --- task A (JMP): records what it was given, sets EAX, jumps back ---------
task_a:
        mov [A_EAX], eax
        mov [A_EBX], ebx
        mov [A_ESI], esi
        mov [A_ESP], esp
        pushfd
        pop dword [A_FLAGS]
        cld
        mov eax, cr0
        mov [A_CR0], eax
        mov eax, dr7
        mov [A_DR7], eax
        xor eax, eax
        mov ax, cs
        mov [A_CS], eax
        mov ax, ds
        mov [A_DS], eax
        mov ax, ss
        mov [A_SS], eax
        mov ebx, SEL_A
        call pm_desc_type
        movzx eax, al
        mov [A_TYPE_A], eax
        mov ebx, SEL_TSS_MAIN
        call pm_desc_type
        movzx eax, al
        mov [A_TYPE_MAIN], eax
        mov eax, [TSS_MAIN + TSS_EIP]
        mov [A_MAIN_EIP], eax
        mov eax, [TSS_MAIN + TSS_EBX]
        mov [A_MAIN_EBX], eax
        mov eax, 0x13572468
        jmp SEL_TSS_MAIN:0
.back:
        inc dword [A_RUNS]
        jmp SEL_TSS_MAIN:0

; --- task B (CALL): records NT, the link and the busy bits; IRET ----------
task_b:
        pushfd
        pop dword [B_FLAGS]
        movzx eax, word [TSS_B + TSS_LINK]
        mov [B_LINK], eax
        mov ebx, SEL_B
        call pm_desc_type
        movzx eax, al
        mov [B_TYPE_B], eax
        mov ebx, SEL_TSS_MAIN
        call pm_desc_type
        movzx eax, al
        mov [B_TYPE_MAIN], eax
        inc dword [B_RUNS]
        iretd
.again:
        inc dword [B_RUNS]
        iretd

; --- task D (LDT) ---
task_d:
        mov dword [0x10], 0xD00DD00D    ; DS = the LDT segment (base 20000h)
        xor eax, eax
        mov ax, ds
        push ds
        push es
        pop ds
        mov [D_DS], eax
        pop ds
        jmp SEL_TSS_MAIN:0

; --- task C: 16-bit code (CS = SEL_CODE16, DS = SS = SEL_DATA16) ---------
        bits 16
task_c:
        mov [C_AX], ax
        mov [C_SI], si
        mov [C_SP], sp
        pushf
        pop word [C_FLAGS]
        mov word [C_CS], cs
        mov ax, 0x4321
        iret
.again:
        iret

        ROM_END
