; task_context.asm - faults raised while a task switch loads the new task's
; segments, and the T (debug trap) bit of the TSS (SDM Vol. 3 8.3 steps
; 11-12: "any errors associated with loading and qualifying segment
; descriptors occur in the context of the new task"; chapter 6, Interrupt
; 10 #TS: the task switch is complete once TR is loaded; 8.2.1 and 17.3.1.5:
; T = 1 raises a debug exception, DR6.BT, when the task is switched to).
;
; - A bad DS selector (beyond the GDT) in the new TSS: #TS(DS) with the
;   saved CS:EIP = the new task's first instruction, the busy bits already
;   moved, TR = the new task.
; - A DS descriptor that is not present: #NP(DS).
; - An SS descriptor that is not present: #SS(SS), delivered through a task
;   gate (the faulting task's stack is unusable): the handler task gets the
;   error code on its stack and a back link to the faulting task, whose TSS
;   holds its first instruction as the EIP.
; - A switch caused by an exception (#UD through a task gate) into a task
;   with a bad DS: #NP(DS | EXT) - the EXT bit says the fault came while an
;   earlier exception was being delivered (SDM 6.13).
; - T = 1: #DB before the new task's first instruction, DR6.BT set.
;
; QEMU 7.2 differs from the SDM here: its task switch raises these faults
; with the old task's EIP (the JMP), raises #NP rather than #SS for a
; stack segment that is not present, and has no T-bit trap; on QEMU this
; guest fails from the first EIP check on.

%include "task.inc"

TSS_E           equ TSS_AT(1)       ; bad DS selector
TSS_G           equ TSS_AT(2)       ; DS not present
TSS_H           equ TSS_AT(3)       ; SS not present
TSS_K           equ TSS_AT(4)       ; #SS handler task (IDT 12)
TSS_L           equ TSS_AT(5)       ; #UD task (IDT 6) with DS not present
TSS_F           equ TSS_AT(6)       ; T bit
SEL_E           equ SEL_TSS(1)
SEL_G           equ SEL_TSS(2)
SEL_H           equ SEL_TSS(3)
SEL_K           equ SEL_TSS(4)
SEL_L           equ SEL_TSS(5)
SEL_F           equ SEL_TSS(6)
SEL_NP_DATA     equ SEL_SPARE + 8   ; a data descriptor with P = 0

K_ERR           equ VARS + 0x00
K_LINK          equ VARS + 0x04
K_FLAGS         equ VARS + 0x08
K_H_EIP         equ VARS + 0x0C
K_RUNS          equ VARS + 0x10

start:
        GUEST_INIT
        PRINTLN "task_context: faults in the new task, the T bit"
        PM_START

        mov ebx, SEL_NP_DATA
        xor eax, eax
        mov ecx, 0xFFFFF
        mov dl, ACC_DATA0 & 0x7F
        mov dh, 0xC0
        call pm_set_desc

        mov edi, TSS_E
        mov eax, task_never
        mov ecx, STACK_TASK(1)
        call pm_init_tss32
        mov dword [TSS_E + TSS_DS], 0x1F8
        mov ebx, SEL_E
        call pm_tss_desc32

        mov edi, TSS_G
        mov eax, task_never
        mov ecx, STACK_TASK(2)
        call pm_init_tss32
        mov dword [TSS_G + TSS_DS], SEL_NP_DATA
        mov ebx, SEL_G
        call pm_tss_desc32

        mov edi, TSS_H
        mov eax, task_never
        mov ecx, STACK_TASK(3)
        call pm_init_tss32
        mov dword [TSS_H + TSS_SS], SEL_NP_DATA
        mov ebx, SEL_H
        call pm_tss_desc32

        mov edi, TSS_K
        mov eax, task_k
        mov ecx, STACK_TASK(4)
        call pm_init_tss32
        mov ebx, SEL_K
        call pm_tss_desc32

        mov edi, TSS_L
        mov eax, task_never
        mov ecx, STACK_TASK(5)
        call pm_init_tss32
        mov dword [TSS_L + TSS_ES], SEL_NP_DATA
        mov ebx, SEL_L
        call pm_tss_desc32

        mov edi, TSS_F
        mov eax, task_never
        mov ecx, STACK_TASK(6)
        call pm_init_tss32
        mov word [TSS_F + TSS_TRAP], 1
        mov ebx, SEL_F
        call pm_tss_desc32

        ; === bad DS selector: #TS(DS) in the new task ===========================
        PM_EXPECT .e_fault
        jmp SEL_E:0
.after_e:
        jmp .e_done                 ; the main task resumes here
.e_fault:                           ; running as task E, on the main stack
        CHECK dword [P_VEC], 10, "new task's DS beyond the GDT: #TS"
        CHECK dword [P_ERR], 0x1F8, "new task's DS beyond the GDT: error code = DS"
        CHECK dword [P_EIP], task_never, "new task's DS beyond the GDT: EIP = the new task's"
        CHECK dword [P_CS], SEL_CODE0, "new task's DS beyond the GDT: CS = the new task's"
        mov ebx, SEL_E
        call pm_desc_type
        movzx eax, al
        CHECK eax, 0x8B, "new task's DS beyond the GDT: the new TSS busy"
        mov ebx, SEL_TSS_MAIN
        call pm_desc_type
        movzx eax, al
        CHECK eax, 0x89, "new task's DS beyond the GDT: the old TSS released"
        CHECK dword [TSS_MAIN + TSS_EIP], .after_e, "new task's DS beyond the GDT: old EIP saved"
        jmp SEL_TSS_MAIN:0
.e_done:

        ; === DS not present: #NP(DS) ============================================
        PM_EXPECT .g_fault
        jmp SEL_G:0
        jmp .g_done
.g_fault:
        CHECK dword [P_VEC], 11, "new task's DS not present: #NP"
        CHECK dword [P_ERR], SEL_NP_DATA, "new task's DS not present: error code = DS"
        CHECK dword [P_EIP], task_never, "new task's DS not present: EIP = the new task's"
        jmp SEL_TSS_MAIN:0
.g_done:

        ; === SS not present: #SS(SS) through a task gate ========================
        mov ecx, 12
        mov bx, SEL_K
        call pm_set_task_gate
        jmp SEL_H:0                 ; K comes back here with a JMP
        mov ecx, 12
        call pm_restore_gate
        CHECK dword [K_RUNS], 1, "new task's SS not present: the #SS task gate ran"
        CHECK dword [K_ERR], SEL_NP_DATA, "new task's SS not present: #SS error code = SS"
        CHECK dword [K_LINK], SEL_H, "new task's SS not present: handler's link = the new task"
        mov eax, [K_FLAGS]
        and eax, EFL_NT
        CHECK eax, EFL_NT, "new task's SS not present: NT set in the handler task"
        CHECK dword [K_H_EIP], task_never, "new task's SS not present: EIP saved = the new task's"

        ; === a switch by an exception: EXT in the new task's fault ==============
        mov ecx, 6
        mov bx, SEL_L
        call pm_set_task_gate
        mov dword [TSS_MAIN + TSS_EIP], 0
        PM_EXPECT .l_fault
.ud:
        ud2
        FAIL_NOW "ud2 through a task gate: no switch"
.l_fault:                           ; running as task L
        mov ecx, 6
        call pm_restore_gate
        CHECK dword [P_VEC], 11, "exception task's ES not present: #NP"
        CHECK dword [P_ERR], SEL_NP_DATA | 1, "exception task's ES not present: error code has EXT"
        CHECK dword [P_EIP], task_never, "exception task's ES not present: EIP = the new task's"
        CHECK dword [TSS_MAIN + TSS_EIP], .ud, "exception task switch: old EIP = the faulting UD2"
        movzx eax, word [TSS_L + TSS_LINK]
        CHECK eax, SEL_TSS_MAIN, "exception task switch: back link written"
        ; Back to the main task: it is busy (nested), so release it by hand
        ; and let it resume after the UD2.
        and byte [GDT_BASE + SEL_TSS_MAIN + 5], ~2
        mov dword [TSS_MAIN + TSS_EIP], .l_done
        jmp SEL_TSS_MAIN:0
.l_done:
        pushfd
        and dword [esp], ~EFL_NT
        popfd

        ; === the T bit ==========================================================
        xor eax, eax
        mov dr6, eax
        PM_EXPECT .t_trap
        jmp SEL_F:0
        jmp .t_done
.t_trap:
        CHECK dword [P_VEC], 1, "T bit: #DB"
        CHECK dword [P_EIP], task_never, "T bit: before the new task's first instruction"
        mov eax, dr6
        and eax, 0x8000
        CHECK eax, 0x8000, "T bit: DR6.BT"
        jmp SEL_TSS_MAIN:0
.t_done:
        FINISH

; The tasks that must not run an instruction.
task_never:
        FAIL_NOW "a task whose switch should have faulted ran"
        jmp SEL_TSS_MAIN:0

; The #SS handler task: records and jumps back to the main task.
task_k:
        pop dword [K_ERR]
        movzx eax, word [TSS_K + TSS_LINK]
        mov [K_LINK], eax
        pushfd
        pop dword [K_FLAGS]
        mov eax, [TSS_H + TSS_EIP]
        mov [K_H_EIP], eax
        inc dword [K_RUNS]
        pushfd
        and dword [esp], ~EFL_NT
        popfd
        jmp SEL_TSS_MAIN:0

        ROM_END
