; task_gate.asm - interrupts and exceptions through task gates in the IDT
; (SDM Vol. 3 6.11 "IDT descriptors", 6.12.2 "Interrupt Tasks", 8.3 task
; switching, 8.4 task linking; Vol. 2 INT n "TASK-GATE"; 6.15 interrupt 8
; for the double fault).
;
; - INT n through a task gate: the handler task runs with NT set and a
;   back link to the interrupted task, whose EIP (the instruction after the
;   INT) and busy bit are kept; IRET returns; a second INT resumes the
;   handler after its IRET.
; - From CPL 3: INT n through a DPL 0 task gate is #GP(vector * 8 + 2); a
;   DPL 3 gate switches to the (CPL 0) handler task, whose IRET returns to
;   CPL 3.
; - An exception with an error code through a task gate: #GP(selector)
;   from a bad MOV DS pushes the error code on the handler task's stack
;   (4 bytes for a 32-bit TSS, 2 for a 16-bit one); the faulting task's
;   saved EIP is the faulting instruction.
; - A double fault handled by a task: #NP whose gate is not present (a
;   contributory fault while delivering a contributory fault), and a ring-0
;   stack overflow into an unmapped guard page (#PF while pushing the #PF
;   frame); the #DF task gets error code 0, runs with the CR3 of its own
;   TSS, and repairs the faulting task's TSS; the return loads the main
;   task's CR3 from the main TSS.
; - A hardware interrupt (PIT IRQ 0) through a task gate wakes HLT; the
;   interrupted task's saved EIP is the instruction after the HLT.
;
; Passes on QEMU as well (tests/guests/run_qemu.sh).

%include "task.inc"

TSS_T1          equ TSS_AT(1)       ; INT 40h handler task
TSS_T2          equ TSS_AT(2)       ; INT 41h handler task (DPL 3 gate)
TSS_T3          equ TSS_AT(3)       ; #GP handler task (32-bit)
TSS_T4          equ TSS_AT(4)       ; #GP handler task (16-bit)
TSS_DF          equ TSS_AT(5)       ; #DF handler task
TSS_IRQ         equ TSS_AT(6)       ; IRQ 0 handler task
SEL_T1          equ SEL_TSS(1)
SEL_T2          equ SEL_TSS(2)
SEL_T3          equ SEL_TSS(3)
SEL_T4          equ SEL_TSS(4)
SEL_DF          equ SEL_TSS(5)
SEL_IRQ         equ SEL_TSS(6)
SEL_NP_DATA     equ SEL_SPARE + 8   ; a data descriptor with P = 0
PAGE_DIR        equ 0x40000         ; paging for the stack overflow test
PAGE_DIR2       equ 0x41000         ; the #DF task's page directory
PAGE_TABLE      equ 0x42000         ; 0-4 MiB identity
GUARD           equ 0x30000         ; the page left unmapped

T1_FLAGS        equ VARS + 0x00
T1_LINK         equ VARS + 0x04
T1_MAIN_EIP     equ VARS + 0x08
T1_TYPE_MAIN    equ VARS + 0x0C
T1_RUNS         equ VARS + 0x10
T2_LINK         equ VARS + 0x14
T2_CS           equ VARS + 0x18
T2_RUNS         equ VARS + 0x1C
T3_ERR          equ VARS + 0x20
T3_ESP          equ VARS + 0x24
T3_EIP          equ VARS + 0x28
T3_RUNS         equ VARS + 0x2C
T4_ERR          equ VARS + 0x30
T4_SP           equ VARS + 0x34
T4_RUNS         equ VARS + 0x38
DF_ERR          equ VARS + 0x40
DF_LINK         equ VARS + 0x44
DF_EIP          equ VARS + 0x48
DF_ESP          equ VARS + 0x4C
DF_RUNS         equ VARS + 0x54
DF_RESUME       equ VARS + 0x58
DF_CR3          equ VARS + 0x5C
DF_CR2          equ VARS + 0x70
IRQ_EIP         equ VARS + 0x60
IRQ_LINK        equ VARS + 0x64
IRQ_RUNS        equ VARS + 0x68

start:
        GUEST_INIT
        PRINTLN "task_gate: interrupts and exceptions through task gates"
        PM_START

        mov ebx, SEL_NP_DATA
        xor eax, eax
        mov ecx, 0xFFFFF
        mov dl, ACC_DATA0 & 0x7F
        mov dh, 0xC0
        call pm_set_desc

%macro TASK32 3                     ; TSS, selector, entry
        mov edi, %1
        mov eax, %3
        mov ecx, STACK_TASK((%1 - TSS_AREA) / 0x100)
        call pm_init_tss32
        mov ebx, %2
        call pm_tss_desc32
%endmacro
        TASK32 TSS_T1, SEL_T1, task_t1
        TASK32 TSS_T2, SEL_T2, task_t2
        TASK32 TSS_T3, SEL_T3, task_t3
        TASK32 TSS_DF, SEL_DF, task_df
        TASK32 TSS_IRQ, SEL_IRQ, task_irq

        ; T4: 16-bit TSS, 16-bit code and stack.
        mov edi, TSS_T4
        xor eax, eax
        mov ecx, 0x2C / 4
        rep stosd
        mov word [TSS_T4 + TSS16_IP], task_t4
        mov word [TSS_T4 + TSS16_FLAGS], 2
        mov word [TSS_T4 + TSS16_SP], 0xE000
        mov word [TSS_T4 + TSS16_CS], SEL_CODE16
        mov word [TSS_T4 + TSS16_SS], SEL_DATA16
        mov word [TSS_T4 + TSS16_DS], SEL_DATA16
        mov word [TSS_T4 + TSS16_ES], SEL_DATA0  ; flat, for the main TSS
        mov ebx, SEL_T4
        mov eax, TSS_T4
        mov ecx, 0x2B
        mov dl, ACC_TSS16
        xor dh, dh
        call pm_set_desc

        ; IDT: 40h -> T1 (DPL 0), 41h -> T2 (DPL 3).
        mov ecx, 0x40
        mov bx, SEL_T1
        call pm_set_task_gate
        lea edi, [IDT_BASE + 0x41 * 8]
        xor eax, eax
        mov bx, SEL_T2
        mov dl, ACC_TASKGATE | 0x60
        call pm_set_gate

        ; === INT n through a task gate ==========================================
        mov esi, 0x600DF00D
        int 0x40
.after_int:
        CHECK esi, 0x600DF00D, "int 40h: the caller's registers restored"
        mov eax, [T1_FLAGS]
        and eax, EFL_NT
        CHECK eax, EFL_NT, "int 40h: NT set in the handler task"
        CHECK dword [T1_LINK], SEL_TSS_MAIN, "int 40h: back link = the interrupted task"
        CHECK dword [T1_MAIN_EIP], .after_int, "int 40h: saved EIP = after the INT"
        CHECK dword [T1_TYPE_MAIN], 0x8B, "int 40h: the interrupted task stays busy"
        pushfd
        pop eax
        and eax, EFL_NT
        CHECK eax, 0, "int 40h: NT clear after the IRET"
        mov ebx, SEL_T1
        call pm_desc_type
        movzx eax, al
        CHECK eax, 0x89, "int 40h: the handler's TSS released by IRET"
        int 0x40
        CHECK dword [T1_RUNS], 2, "int 40h again: the handler resumed after its IRET"

        ; === from CPL 3 =========================================================
        PM_EXPECT .ring3_end
        IRET_RING3 ring3_code, 0
.ring3_end:
        ; ring3_code: INT 40h (DPL 0 gate) faults, caught by the #GP stub...
        CHECK dword [P_VEC], 13, "int 40h from CPL 3 through a DPL 0 gate: #GP"
        CHECK dword [P_ERR], 0x40 * 8 + 2, "int 40h from CPL 3: error code = IDT slot"
        CHECK dword [P_EIP], ring3_code.int40, "int 40h from CPL 3: EIP = the INT"
        PM_EXPECT .ring3_end2
        IRET_RING3 ring3_code.int41, 0
.ring3_end2:
        ; ... INT 41h switches to T2 and T2's IRET returns to CPL 3, which HLTs.
        CHECK dword [T2_RUNS], 1, "int 41h from CPL 3 through a DPL 3 task gate: switched"
        CHECK dword [T2_LINK], SEL_TSS_MAIN, "int 41h from CPL 3: back link"
        CHECK dword [T2_CS], SEL_CODE0, "int 41h from CPL 3: the handler task at CPL 0"
        CHECK dword [P_VEC], 13, "int 41h from CPL 3: IRET back to CPL 3 (then HLT faults)"
        CHECK dword [P_EIP], ring3_code.hlt, "int 41h from CPL 3: CPL 3 code resumed after INT"
        CHECK dword [P_CS], SEL_CODE3, "int 41h from CPL 3: CS after the task return"

        ; === an exception with an error code: 32-bit handler task ===============
        mov ecx, 13
        mov bx, SEL_T3
        call pm_set_task_gate
        mov dword [DF_RESUME], .gp_back
        mov ax, 0x1F8
.gp_mov:
        mov ds, ax                  ; #GP(1F8h) -> T3
        FAIL_NOW "mov ds, 1F8h: no #GP"
.gp_back:
        mov ecx, 13
        call pm_restore_gate
        CHECK dword [T3_RUNS], 1, "#GP through a task gate: the handler task ran"
        CHECK dword [T3_ERR], 0x1F8, "#GP through a task gate: error code on its stack"
        CHECK dword [T3_ESP], STACK_TASK(3), "#GP through a 32-bit TSS: a 4-byte error code"
        CHECK dword [T3_EIP], .gp_mov, "#GP through a task gate: saved EIP = the fault"

        ; === the same with a 16-bit handler task ================================
        mov ecx, 13
        mov bx, SEL_T4
        call pm_set_task_gate
        mov ax, 0x1F0
.gp_mov16:
        mov es, ax                  ; #GP(1F0h) -> T4
        FAIL_NOW "mov es, 1F0h: no #GP"
.gp_back16:
        mov ecx, 13
        call pm_restore_gate
        CHECK dword [T4_RUNS], 1, "#GP through a 16-bit task: the handler task ran"
        CHECK dword [T4_ERR], 0x1F0, "#GP through a 16-bit task: error code"
        CHECK dword [T4_SP], 0xE000 - 2, "#GP through a 16-bit task: a 2-byte error code"

        ; === double fault: a contributory fault during delivery =================
        mov ecx, 8
        mov bx, SEL_DF
        call pm_set_task_gate
        and byte [IDT_BASE + 11 * 8 + 5], 0x7F   ; the #NP gate not present
        mov dword [DF_RESUME], .df_back
        mov [VARS + 0x80], esp
        mov ax, SEL_NP_DATA
.df_mov:
        mov ds, ax                  ; #NP -> #NP (gate) -> #DF -> task
        FAIL_NOW "double fault: no switch"
.df_back:
        or byte [IDT_BASE + 11 * 8 + 5], 0x80
        CHECK dword [DF_RUNS], 1, "#DF task: ran"
        CHECK dword [DF_ERR], 0, "#DF task: error code 0"
        CHECK dword [DF_LINK], SEL_TSS_MAIN, "#DF task: back link"
        CHECK dword [DF_EIP], .df_mov, "#DF task: saved EIP = the first fault"

        ; === double fault: ring-0 stack overflow into a guard page ===========
        ; Paging on: 0-4 MiB identity-mapped except the page at GUARD. A
        ; push below it is #PF, whose frame cannot be pushed either: #PF
        ; during #PF delivery is a double fault. The #DF task runs with its
        ; own CR3 (loaded from its TSS); the main task's CR3 comes back from
        ; the main TSS on the return.
        mov edi, PAGE_DIR
        xor eax, eax
        mov ecx, 3 * 1024
        rep stosd
        mov edi, PAGE_TABLE
        mov eax, 3                  ; present, writable
        mov ecx, 1024
.pt:    stosd
        add eax, 0x1000
        loop .pt
        mov dword [PAGE_TABLE + (GUARD >> 12) * 4], 0
        mov dword [PAGE_DIR], PAGE_TABLE | 3
        mov dword [PAGE_DIR2], PAGE_TABLE | 3
        mov dword [TSS_MAIN + TSS_CR3], PAGE_DIR
        mov dword [TSS_DF + TSS_CR3], PAGE_DIR2
        mov eax, PAGE_DIR
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        mov dword [DF_RESUME], .df2_back
        mov [VARS + 0x80], esp
        mov esp, GUARD + 0x1004
        push eax                    ; ESP -> GUARD + 1000h
.df2_push:
        push eax                    ; #PF; its frame cannot be pushed: #DF
        FAIL_NOW "stack overflow: no fault"
.df2_back:                          ; the #DF task restored ESP
        mov eax, cr3
        mov ebx, cr0
        and ebx, ~0x80000000
        mov cr0, ebx
        CHECK eax, PAGE_DIR, "stack overflow: CR3 from the main TSS after the return"
        CHECK dword [DF_RUNS], 2, "stack overflow #DF task: ran"
        CHECK dword [DF_EIP], .df2_push, "stack overflow #DF task: EIP = the PUSH"
        CHECK dword [DF_ESP], GUARD + 0x1000, "stack overflow #DF task: saved ESP"
        CHECK dword [DF_CR3], PAGE_DIR2, "stack overflow #DF task: CR3 from its TSS"
        mov eax, [DF_CR2]
        and eax, ~0xFFF
        CHECK eax, GUARD, "stack overflow #DF task: CR2 in the guard page"
        mov ecx, 8
        call pm_restore_gate

        ; === IRQ 0 through a task gate ==========================================
        mov ecx, PIC1_BASE
        mov bx, SEL_IRQ
        call pm_set_task_gate
        mov al, 0x34                ; PIT channel 0, mode 2, binary
        out PIT_CMD, al
        mov al, 0x00
        out PIT_CH0, al
        mov al, 0x10                ; 1000h: about 3.4 ms
        out PIT_CH0, al
        in al, PIC1_DATA
        and al, 0xFE
        out PIC1_DATA, al
        sti
        hlt
.after_hlt:
        cli
        CHECK dword [IRQ_RUNS], 1, "IRQ 0 through a task gate: the task ran"
        CHECK dword [IRQ_EIP], .after_hlt, "IRQ 0 through a task gate: saved EIP = after HLT"
        CHECK dword [IRQ_LINK], SEL_TSS_MAIN, "IRQ 0 through a task gate: back link"
        FINISH

; --- handler tasks ---

task_t1:
        pushfd
        pop dword [T1_FLAGS]
        movzx eax, word [TSS_T1 + TSS_LINK]
        mov [T1_LINK], eax
        mov eax, [TSS_MAIN + TSS_EIP]
        mov [T1_MAIN_EIP], eax
        mov ebx, SEL_TSS_MAIN
        call pm_desc_type
        movzx eax, al
        mov [T1_TYPE_MAIN], eax
        inc dword [T1_RUNS]
        iretd
        inc dword [T1_RUNS]
        iretd

task_t2:
        movzx eax, word [TSS_T2 + TSS_LINK]
        mov [T2_LINK], eax
        xor eax, eax
        mov ax, cs
        mov [T2_CS], eax
        inc dword [T2_RUNS]
        iretd

; #GP handler: the error code, ESP after popping it, the saved EIP; the
; faulting task resumes at DF_RESUME.
task_t3:
        pop dword [T3_ERR]
        mov [T3_ESP], esp
        mov eax, [TSS_MAIN + TSS_EIP]
        mov [T3_EIP], eax
        mov eax, [DF_RESUME]
        mov [TSS_MAIN + TSS_EIP], eax
        inc dword [T3_RUNS]
        iretd

; #DF handler: records, repairs the main task (EIP, SS:ESP) and returns.
task_df:
        pop dword [DF_ERR]
        movzx eax, word [TSS_DF + TSS_LINK]
        mov [DF_LINK], eax
        mov eax, [TSS_MAIN + TSS_EIP]
        mov [DF_EIP], eax
        mov eax, [TSS_MAIN + TSS_ESP]
        mov [DF_ESP], eax
        mov eax, cr3
        mov [DF_CR3], eax
        mov eax, cr2
        mov [DF_CR2], eax
        mov eax, [DF_RESUME]
        mov [TSS_MAIN + TSS_EIP], eax
        mov eax, [VARS + 0x80]
        mov [TSS_MAIN + TSS_ESP], eax
        inc dword [DF_RUNS]
        iretd
        jmp task_df

task_irq:
        in al, PIC1_DATA
        or al, 1
        out PIC1_DATA, al
        mov al, 0x20
        out PIC1_CMD, al
        mov eax, [TSS_MAIN + TSS_EIP]
        mov [IRQ_EIP], eax
        movzx eax, word [TSS_IRQ + TSS_LINK]
        mov [IRQ_LINK], eax
        inc dword [IRQ_RUNS]
        iretd

; --- CPL 3 code ---
ring3_code:
.int40:
        int 0x40                    ; #GP: DPL 0 gate
        hlt
.int41:
        int 0x41                    ; DPL 3 task gate: T2, which IRETs here
.hlt:
        hlt                         ; #GP: back to the monitor

; --- the 16-bit #GP handler task ---
        bits 16
task_t4:
        mov [T4_SP], sp
        pop word [T4_ERR]
        mov word [es:dword TSS_MAIN + TSS_EIP], main_gp_back16
        inc word [T4_RUNS]
        iret

main_gp_back16 equ start.gp_back16

        ROM_END
