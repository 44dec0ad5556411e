; pm_v86.asm - virtual-8086 mode without VME: entered by IRETD with VM set
; at CPL 0, real-mode code running in it, and a protected-mode monitor that
; emulates the IOPL-sensitive INT n and IRET of the 8086 program.
;
; Intel SDM Vol. 3 chapter 20: 20.2.1 (entering v86 mode through IRET:
; EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS popped), 20.2.5-20.2.7 (address
; translation, CPL 3, the IOPL-sensitive instructions CLI, STI, PUSHF,
; POPF, INT n and IRET), 20.3.1 and Table 20-2 methods 1 and 2 (INT n with
; IOPL 3 goes through the IDT, with IOPL < 3 it is #GP(0)), 6.12.1 and
; Figure 6-5 (the interrupt frame from v86 mode with GS, FS, DS, ES, and
; the data segment registers nulled in the handler). INT3 is not IOPL-
; sensitive: it goes through the IDT, subject to the gate DPL. Runs the
; same on QEMU.

%include "pm.inc"

MON_INTS        equ VARS + 0x00     ; INT n emulated by the monitor
MON_IRETS       equ VARS + 0x04     ; IRET emulated by the monitor
A_DS            equ VARS + 0x10     ; part A results (v86 code)
A_CS            equ VARS + 0x12
A_FLAGS         equ VARS + 0x14
A_CLI_FLAGS     equ VARS + 0x16
A_LIN           equ VARS + 0x18
I31_DS          equ VARS + 0x20     ; INT 31h handler: DS, ES, FS, GS at entry
I31_ES          equ VARS + 0x24
I31_FS          equ VARS + 0x28
I31_GS          equ VARS + 0x2C
I31_FRAME       equ VARS + 0x30     ; its frame: 9 dwords EIP CS EFLAGS ESP SS ES DS FS GS
B_RES           equ VARS + 0x60     ; part B: vector/error/IP of each #GP
C_AX            equ VARS + 0x90     ; part C: AX after the emulated INT 21h
C_HIT           equ VARS + 0x94     ; the 8086 program's INT 21h handler ran
C_IP            equ VARS + 0x96     ; IP it saw pushed by the monitor's INT

pm_main:
        PRINTLN "pm_v86: virtual-8086 mode, IOPL-sensitive instructions, a monitor"
        mov byte [0x20010], 0

; --- A: IOPL 3 --------------------------------------------------------------------------
        SET_IDT 0x31, SEL_CODE32, int31_handler, ACC_TRAP32 | ACC_DPL(3)
        TO_V86 0xF000, v86_a, 0x3000 | 0x200, back_a
back_a:
        CHECK dword [T_CS], 0xF000, "INT 30h from v86 mode: saved CS = the real-mode segment"
        CHECK dword [T_EIP], v86_a.back, "INT 30h from v86 mode: saved EIP = the next instruction"
        mov eax, [T_EFLAGS]
        and eax, 0x23000
        CHECK eax, 0x23000, "INT 30h from v86 mode: saved EFLAGS has VM and IOPL 3"
        CHECK dword [T_SS], V86_SS, "INT 30h from v86 mode: saved SS"
        CHECK dword [T_ESP], V86_SP, "INT 30h from v86 mode: saved ESP"
        CHECK16 word [A_CS], 0xF000, "v86 mode: CS reads as the segment"
        CHECK16 word [A_DS], 0, "v86 mode: DS = 0 from the IRET frame"
        CHECK8 byte [0x20010], 0x5A, "v86 mode: ES = 2000h addresses linear 20000h"
        CHECK16 word [A_LIN], 0x5A5A, "v86 mode: ES:0010h reads back what was written"
        mov ax, [A_FLAGS]
        and ax, 0x3200
        CHECK16 ax, 0x3200, "PUSHF in v86 mode with IOPL 3: IOPL 3, IF 1"
        mov ax, [A_CLI_FLAGS]
        and ax, 0x0200
        CHECK16 ax, 0, "CLI in v86 mode with IOPL 3 clears IF"
        CHECK dword [I31_DS], 0, "INT from v86 mode: DS null in the handler"
        CHECK dword [I31_ES], 0, "INT from v86 mode: ES null in the handler"
        CHECK dword [I31_FS], 0, "INT from v86 mode: FS null in the handler"
        CHECK dword [I31_GS], 0, "INT from v86 mode: GS null in the handler"
        CHECK dword [I31_FRAME + 4], 0xF000, "INT from v86 mode: frame CS"
        CHECK dword [I31_FRAME + 16], V86_SS, "INT from v86 mode: frame SS"
        CHECK dword [I31_FRAME + 20], 0x2000, "INT from v86 mode: frame ES"
        CHECK dword [I31_FRAME + 24], 0, "INT from v86 mode: frame DS"
        CHECK dword [I31_FRAME + 28], 0x3456, "INT from v86 mode: frame FS"
        CHECK dword [I31_FRAME + 32], 0x789A, "INT from v86 mode: frame GS"

; --- B: IOPL 0: the sensitive instructions fault -------------------------------------------
        SET_IDT 3, SEL_CODE32, ring0_return, ACC_INT32 | ACC_DPL(3)
        TO_V86 0xF000, v86_b, 0x0200, back_b
back_b:
        RESTORE_IDT 3
        CHECK16 word [B_RES + 0], 13, "INT 21h in v86 mode with IOPL 0: #GP"
        CHECK16 word [B_RES + 2], 0, "INT 21h with IOPL 0: error 0"
        CHECK16 word [B_RES + 4], v86_b.int21, "INT 21h with IOPL 0: saved IP = the INT"
        CHECK16 word [B_RES + 6], 13, "PUSHF with IOPL 0: #GP"
        CHECK16 word [B_RES + 8], 13, "POPF with IOPL 0: #GP"
        CHECK16 word [B_RES + 10], 13, "CLI with IOPL 0: #GP"
        CHECK16 word [B_RES + 12], 13, "STI with IOPL 0: #GP"
        CHECK16 word [B_RES + 14], 13, "IRET with IOPL 0: #GP"
        CHECK16 word [B_RES + 16], 13, "HLT in v86 mode: #GP"
        CHECK16 word [B_RES + 18], 13, "INT3 through a DPL 0 gate in v86 mode: #GP"
        CHECK16 word [B_RES + 20], 3 * 8 + 2, "INT3 through a DPL 0 gate: error 3 * 8 + 2"
        CHECK16 word [B_RES + 22], 13, "OUT to a port while IOPL 0 and the bit set: #GP"
        CHECK dword [T_CS], 0xF000, "INT3 (DPL 3 gate) from v86 mode with IOPL 0: delivered"
        mov eax, [T_EFLAGS]
        and eax, 0x23000
        CHECK eax, 0x20000, "INT3 from v86 mode: saved EFLAGS has VM, IOPL 0"

; --- C: a monitor emulating INT n and IRET -------------------------------------------------------
        mov word [0x21 * 4], rm_int21
        mov word [0x21 * 4 + 2], 0xF000
        SET_IDT 13, SEL_CODE32, v86_monitor, ACC_INT32
        TO_V86 0xF000, v86_c, 0x0200, back_c
back_c:
        RESTORE_IDT 13
        CHECK dword [MON_INTS], 1, "monitor: one INT n emulated"
        CHECK dword [MON_IRETS], 1, "monitor: one IRET emulated"
        CHECK16 word [C_HIT], 0x2121, "monitor: the 8086 program's INT 21h handler ran"
        CHECK16 word [C_AX], 0x1112, "monitor: AX back from the handler"
        CHECK16 word [C_IP], v86_c.after, "monitor: the return IP on the v86 stack"
        CHECK dword [T_EIP], v86_c.stop, "monitor: HLT ended the v86 task at the HLT"
        CHECK dword [T_ESP], V86_SP, "monitor: the v86 stack balanced"
        FINISH

; --- ring-0 handlers ------------------------------------------------------------------------

; INT 31h (trap gate, DPL 3) from v86 mode: records the data segment
; registers at entry and the 9-dword frame, then IRETD back to v86 mode.
int31_handler:
        mov [ss:I31_DS], ds
        mov [ss:I31_ES], es
        mov [ss:I31_FS], fs
        mov [ss:I31_GS], gs
        push eax
        push ecx
        push esi
        xor ecx, ecx
.copy:  mov eax, [esp + 12 + ecx * 4]
        mov [ss:I31_FRAME + ecx * 4], eax
        inc ecx
        cmp ecx, 9
        jb .copy
        pop esi
        pop ecx
        pop eax
        iretd

; The v86 monitor (the #GP handler for part C): emulates INT n and IRET
; of the 8086 program on its own stack and vector table; HLT ends the v86
; task (back to ring 0 at [R0_CONT]).
;   [ebp+4] error, +8 EIP, +12 CS, +16 EFLAGS, +20 ESP, +24 SS
v86_monitor:
        push ebp
        mov ebp, esp
        push eax
        push ebx
        push ecx
        push edx
        push esi
        push ds
        mov ax, SEL_DATA32
        mov ds, ax
        test dword [ebp + 16], 0x20000
        jz .exit
        movzx esi, word [ebp + 12]
        shl esi, 4
        movzx eax, word [ebp + 8]
        add esi, eax                ; linear CS:IP
        movzx ebx, word [ebp + 24]
        shl ebx, 4                  ; v86 SS base
        movzx ecx, word [ebp + 20]  ; SP
        mov al, [esi]
        cmp al, 0xCD
        je .int
        cmp al, 0xCF
        je .iret
        jmp .exit
.int:   sub cx, 6
        mov ax, [ebp + 16]          ; FLAGS
        mov [ebx + ecx + 4], ax
        mov ax, [ebp + 12]          ; CS
        mov [ebx + ecx + 2], ax
        mov ax, [ebp + 8]           ; IP past the INT n
        add ax, 2
        mov [ebx + ecx], ax
        mov [ebp + 20], ecx
        movzx eax, byte [esi + 1]
        mov eax, [eax * 4]          ; the vector
        mov [ebp + 8], ax
        shr eax, 16
        mov [ebp + 12], eax
        and dword [ebp + 16], ~0x100 ; TF, as an INT would
        inc dword [MON_INTS]
        jmp .done
.iret:  movzx eax, word [ebx + ecx]
        mov [ebp + 8], eax
        movzx eax, word [ebx + ecx + 2]
        mov [ebp + 12], eax
        mov ax, [ebx + ecx + 4]
        and ax, 0x0DD5              ; the arithmetic flags, TF, DF (not IF, IOPL)
        and word [ebp + 16], ~0x0DD5
        or [ebp + 16], ax
        add cx, 6
        mov [ebp + 20], ecx
        inc dword [MON_IRETS]
.done:  pop ds
        pop esi
        pop edx
        pop ecx
        pop ebx
        pop eax
        pop ebp
        add esp, 4                  ; the error code
        iretd
.exit:  pop ds
        pop esi
        pop edx
        pop ecx
        pop ebx
        pop eax
        pop ebp
        jmp ring0_return_err

; --- the 8086 programs (16-bit code at F000:xxxx) ----------------------------------------
        bits 16
v86_a:
        mov [A_DS], ds
        mov [A_CS], cs
        pushf
        pop word [A_FLAGS]
        cli
        pushf
        pop word [A_CLI_FLAGS]
        sti
        mov ax, 0x2000
        mov es, ax
        mov byte [es:0x10], 0x5A
        mov al, [es:0x10]
        mov ah, al
        mov [A_LIN], ax
        mov ax, 0x3456
        mov fs, ax
        mov ax, 0x789A
        mov gs, ax
        int 0x31
        int BACK_VEC
.back:

v86_b:
        EXPECT_TRAP .after_int
.int21: int 0x21
.after_int:
        mov ax, [T_VEC]
        mov [B_RES + 0], ax
        mov ax, [T_ERR]
        mov [B_RES + 2], ax
        mov ax, [T_EIP]
        mov [B_RES + 4], ax
        EXPECT_TRAP .after_pushf
        pushf
.after_pushf:
        mov ax, [T_VEC]
        mov [B_RES + 6], ax
        EXPECT_TRAP .after_popf
        popf
.after_popf:
        mov ax, [T_VEC]
        mov [B_RES + 8], ax
        EXPECT_TRAP .after_cli
        cli
.after_cli:
        mov ax, [T_VEC]
        mov [B_RES + 10], ax
        EXPECT_TRAP .after_sti
        sti
.after_sti:
        mov ax, [T_VEC]
        mov [B_RES + 12], ax
        EXPECT_TRAP .after_iret
        iret
.after_iret:
        mov ax, [T_VEC]
        mov [B_RES + 14], ax
        EXPECT_TRAP .after_hlt
        hlt
.after_hlt:
        mov ax, [T_VEC]
        mov [B_RES + 16], ax
        ; INT3 with the (DPL 0) recording gate: #GP(3 * 8 + 2).
        mov byte [IDT_BASE + 3 * 8 + 5], ACC_INT32
        EXPECT_TRAP .after_int3
        int3
.after_int3:
        mov ax, [T_VEC]
        mov [B_RES + 18], ax
        mov ax, [T_ERR]
        mov [B_RES + 20], ax
        ; The I/O bitmap: port 80h denied.
        or byte [TSS_BASE + TSS_IOMAP + 0x80 / 8], 1 << (0x80 & 7)
        EXPECT_TRAP .after_out
        out 0x80, al
.after_out:
        and byte [TSS_BASE + TSS_IOMAP + 0x80 / 8], ~(1 << (0x80 & 7))
        mov ax, [T_VEC]
        mov [B_RES + 22], ax
        mov byte [IDT_BASE + 3 * 8 + 5], ACC_INT32 | ACC_DPL(3)
        int3                        ; -> ring0_return

v86_c:
        mov ax, 0x1111
        int 0x21
.after:
        mov [C_AX], ax
.stop:  hlt

; The 8086 program's own INT 21h handler (reached through the monitor).
rm_int21:
        push bp
        mov bp, sp
        mov word [C_HIT], 0x2121
        push ax
        mov ax, [bp + 2]
        mov [C_IP], ax
        pop ax
        inc ax
        pop bp
        iret

        bits 32
        ROM_END
