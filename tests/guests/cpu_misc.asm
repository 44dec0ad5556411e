; cpu_misc.asm - real-mode corners of the CPU that DOS-era code relies on.
;
; Interrupts and exceptions through the IVT: INT n and IRET (IF and TF are
; cleared on entry, the flags come back on return), INT3, INTO; faults
; whose saved CS:IP must point at the faulting instruction (prefixes
; included) so that the handler can retry it: BOUND (#BR, vector 5), DIV
; and IDIV (#DE, vector 0; the registers are left alone), UD2 and LOCK on a
; register operand (#UD, vector 6). The single-step trap (TF, vector 1):
; one trap per instruction, none after the POPF that sets TF, none between
; MOV SS or POP SS and the next instruction (the interrupt shadow); STI's
; shadow with an IRQ pending. PUSHA/POPA, ENTER/LEAVE with nesting levels,
; string instructions with REP/REPE/REPNE, segment overrides, DF = 1 and
; 32-bit addressing, 32-bit operand and address size prefixes (SIB
; addressing, LOOP/JECXZ on ECX, 486/P6 instructions), and the A20 gate at
; port 92h (with A20 off, FFFF:0010 aliases 0000:0000).
;
; Accesses past offset 0xFFFF (#GP, #SS) are in seglimit.asm instead:
; QEMU's TCG does not check real-mode segment limits, and this guest is
; meant to pass on QEMU as well.
;
; Faults are caught by common.inc's trap_N handlers, which record the vector
; and the saved CS:IP and FLAGS, and return to F_RESUME when it is set (a
; fault would otherwise run the faulting instruction again).

%include "common.inc"

H_IP            equ VARS + 0x10     ; INT 0x80 handler: saved IP
H_CS            equ VARS + 0x12
H_FLAGS         equ VARS + 0x14     ; flags pushed by INT
H_ENTRY         equ VARS + 0x16     ; flags inside the handler
SH_X            equ VARS + 0x50     ; STI shadow test
SH_SEEN         equ VARS + 0x52
SAVED_SP        equ VARS + 0x54
E_BP            equ VARS + 0x56
E_SP            equ VARS + 0x58
L_BP            equ VARS + 0x5A
L_SP            equ VARS + 0x5C
REGS            equ VARS + 0x60     ; scratch for register snapshots
TABLE           equ 0x5100          ; dword table for SIB addressing
STRBUF          equ 0x5200          ; string instruction buffers
A20_PROBE       equ 0x0700          ; 0000:0700 and FFFF:0710 = 0x100700

start:
        GUEST_INIT
        PRINTLN "cpu_misc: real-mode interrupts, exceptions and corners"
        call install_traps
        SET_VECTOR 1, step_handler
        SET_VECTOR 0x80, int80

        ; === INT n and IRET ==================================================
        mov ax, 0x1111
        sti                         ; every IRQ is masked at the PIC
        stc
        int 0x80
.int_ret:
        pushf
        cli
        pop bx
        CHECK16 ax, 0xBEEF, "int 0x80: the handler ran and set AX"
        CHECK16 word [H_IP], .int_ret, "int 0x80: saved IP = the next instruction"
        mov cx, cs
        CHECK16 word [H_CS], cx, "int 0x80: saved CS"
        mov cx, [H_FLAGS]
        and cx, 0x0201
        CHECK16 cx, 0x0201, "int 0x80: saved FLAGS has IF and CF"
        mov cx, [H_ENTRY]
        and cx, 0x0300
        CHECK16 cx, 0x0000, "int 0x80: IF and TF clear in the handler"
        and bx, 0x0201
        CHECK16 bx, 0x0201, "iret: IF and CF restored"

        ; === INT3, INT 3, INTO ================================================
        EXPECT_TRAP 0
        int3
.after_int3:
        CHECK16 word [F_VEC], 3, "int3 (CC): vector 3"
        CHECK16 word [F_IP], .after_int3, "int3 (CC): saved IP after the instruction"
        EXPECT_TRAP 0
        db 0xCD, 0x03               ; int 3, the two-byte form
.after_int_3:
        CHECK16 word [F_IP], .after_int_3, "int 3 (CD 03): saved IP after the instruction"
        EXPECT_TRAP 0
        mov al, 0x7F
        add al, 1                   ; OF = 1
        into
.after_into:
        CHECK16 word [F_VEC], 4, "into with OF = 1: vector 4"
        CHECK16 word [F_IP], .after_into, "into: saved IP after the instruction"
        EXPECT_TRAP 0
        mov al, 1
        add al, 1                   ; OF = 0
        into
        CHECK16 word [F_COUNT], 0, "into with OF = 0: no trap"

        ; === BOUND ==========================================================
        EXPECT_TRAP 0
        mov ax, 15
        bound ax, [cs:bounds16]
        mov ax, 20
        bound ax, [cs:bounds16]
        CHECK16 word [F_COUNT], 0, "bound: 15 and 20 are within [10, 20]"
        EXPECT_TRAP .bound1_done
        mov ax, 21
.bound1:
        bound ax, [cs:bounds16]
        FAIL_NOW "bound 21: no trap"
.bound1_done:
        CHECK16 word [F_VEC], 5, "bound 21 > 20: #BR (vector 5)"
        CHECK16 word [F_IP], .bound1, "bound: saved IP = the BOUND (a fault)"
        EXPECT_TRAP .bound2_done
        mov ax, 9
        bound ax, [cs:bounds16]
.bound2_done:
        CHECK16 word [F_VEC], 5, "bound 9 < 10: #BR"
        EXPECT_TRAP .bound3_done
        mov eax, -5
        bound eax, [cs:bounds32]
        CHECK16 word [F_COUNT], 0, "bound eax: -5 within [-100000, 100000]"
        mov eax, 200000
.bound3:
        bound eax, [cs:bounds32]
.bound3_done:
        CHECK16 word [F_VEC], 5, "bound eax 200000: #BR"
        CHECK16 word [F_IP], .bound3, "bound eax: saved IP at the operand-size prefix"

        ; === DIV / IDIV ======================================================
        EXPECT_TRAP .div1_done
        mov ax, 0x1234
        mov bl, 0
.div1:  div bl
        FAIL_NOW "div bl by 0: no trap"
.div1_done:
        CHECK16 word [F_VEC], 0, "div bl by 0: #DE (vector 0)"
        CHECK16 word [F_IP], .div1, "div: saved IP = the DIV (a fault)"
        CHECK16 ax, 0x1234, "div: AX unchanged by the fault"
        EXPECT_TRAP .div2_done
        mov dx, 1
        xor ax, ax
        mov cx, 1
.div2:  div cx                      ; 0x10000 / 1 does not fit in 16 bits
.div2_done:
        CHECK16 word [F_VEC], 0, "div cx: quotient overflow is #DE"
        CHECK16 word [F_IP], .div2, "div cx: saved IP"
        EXPECT_TRAP .div3_done
        mov ax, 0x8000
        cwd
        mov bx, -1
.div3:  idiv bx                     ; -32768 / -1 = 32768 does not fit
.div3_done:
        CHECK16 word [F_VEC], 0, "idiv -32768 / -1: #DE"
        CHECK16 word [F_IP], .div3, "idiv: saved IP"
        EXPECT_TRAP .div4_done
        xor ecx, ecx
.div4:  div ecx                     ; 66 F7 F1
.div4_done:
        CHECK16 word [F_IP], .div4, "div ecx: saved IP at the operand-size prefix"
        EXPECT_TRAP .div5_done
.div5:  div byte [cs:zero_byte]     ; 2E F6 36 ...
.div5_done:
        CHECK16 word [F_IP], .div5, "div [cs:m8]: saved IP at the segment prefix"
        EXPECT_TRAP 0
        mov ax, 100
        mov bl, 7
        div bl
        CHECK16 ax, 0x020E, "div 100 / 7: AL = 14, AH = 2"
        CHECK16 word [F_COUNT], 0, "div 100 / 7: no trap"

        ; === #UD ==============================================================
        EXPECT_TRAP .ud1_done
.ud1:   ud2
.ud1_done:
        CHECK16 word [F_VEC], 6, "ud2: #UD (vector 6)"
        CHECK16 word [F_IP], .ud1, "ud2: saved IP = the UD2"
        EXPECT_TRAP .ud2_done
.ud2:   db 0xF0, 0x01, 0xD8         ; lock add ax, bx: LOCK needs memory
.ud2_done:
        CHECK16 word [F_VEC], 6, "lock add ax, bx: #UD"
        CHECK16 word [F_IP], .ud2, "lock add ax, bx: saved IP at the LOCK prefix"

        ; === single-step ======================================================
        STEP_BEGIN .s_stop
        SET_TF                      ; no trap after the POPF that sets TF
.s1:    nop
.s2:    mov ax, 1
.s3:    add ax, ax
.s4:    nop
.s_stop:
        CHECK16 word [S_COUNT], 4, "single-step: 4 traps over 4 instructions"
        CHECK16 word [S_IPS + 0], .s2, "single-step: trap 1 after the first instruction"
        CHECK16 word [S_IPS + 2], .s3, "single-step: trap 2"
        CHECK16 word [S_IPS + 4], .s4, "single-step: trap 3"
        CHECK16 word [S_IPS + 6], .s_stop, "single-step: trap 4"
        CHECK16 word [S_TF_IN], 0, "single-step: TF clear inside the handler"

        STEP_BEGIN .m_stop
        mov dx, ss
        SET_TF
.m1:    nop
.m2:    mov ss, dx                  ; no trap until after the next one
.m3:    nop
.m4:    nop
.m_stop:
        CHECK16 word [S_COUNT], 3, "mov ss: the trap after it is held back"
        CHECK16 word [S_IPS + 0], .m2, "mov ss: trap 1 before MOV SS"
        CHECK16 word [S_IPS + 2], .m4, "mov ss: trap 2 after the instruction after MOV SS"
        CHECK16 word [S_IPS + 4], .m_stop, "mov ss: trap 3"

        STEP_BEGIN .p_stop
        push ss                     ; for the POP SS
        SET_TF
.p1:    nop
.p2:    pop ss
.p3:    nop
.p4:    nop
.p_stop:
        CHECK16 word [S_COUNT], 3, "pop ss: the trap after it is held back"
        CHECK16 word [S_IPS + 0], .p2, "pop ss: trap 1 before POP SS"
        CHECK16 word [S_IPS + 2], .p4, "pop ss: trap 2 after the instruction after POP SS"

        ; === STI's interrupt shadow with IRQ0 pending ========================
        SET_VECTOR PIC1_BASE + 0, irq0_shadow
        mov al, 0x30                ; channel 0, lobyte/hibyte, mode 0
        out PIT_CMD, al
        mov al, 2                   ; OUT rises after 2 clocks
        out PIT_CH0, al
        xor al, al
        out PIT_CH0, al
        in al, PIC1_DATA
        and al, 0xFE
        out PIC1_DATA, al
        mov cx, 10000
.irr:   mov al, 0x0A                ; OCW3: read IRR
        out PIC1_CMD, al
        in al, PIC1_CMD
        test al, 0x01
        jnz .pending
        loop .irr
.pending:
        CHECK_CC nz, "IRQ0 pending in the PIC's IRR with IF = 0"
        mov word [SH_X], 0
        mov word [SH_SEEN], 0xFFFF
        sti
        mov word [SH_X], 1          ; runs in STI's shadow
        mov word [SH_X], 2          ; the interrupt comes before this one
        cli
        CHECK16 word [SH_SEEN], 1, "sti: one instruction runs before the pending IRQ"
        mov al, 0xFF
        out PIC1_DATA, al

        ; === PUSHA / POPA =====================================================
        mov [SAVED_SP], sp
        mov ax, 0x1001
        mov cx, 0x1002
        mov dx, 0x1003
        mov bx, 0x1004
        mov bp, 0x1006
        mov si, 0x1007
        mov di, 0x1008
        pusha
        mov bp, sp
        CHECK16 word [bp + 14], 0x1001, "pusha: AX at the top"
        CHECK16 word [bp + 12], 0x1002, "pusha: CX"
        CHECK16 word [bp + 10], 0x1003, "pusha: DX"
        CHECK16 word [bp + 8], 0x1004, "pusha: BX"
        CHECK16 word [bp + 6], [SAVED_SP], "pusha: SP as it was before PUSHA"
        CHECK16 word [bp + 4], 0x1006, "pusha: BP"
        CHECK16 word [bp + 2], 0x1007, "pusha: SI"
        CHECK16 word [bp + 0], 0x1008, "pusha: DI at the bottom"
        mov word [bp + 6], 0x1234   ; POPA must skip the SP slot
        xor ax, ax
        xor cx, cx
        xor dx, dx
        xor bx, bx
        xor bp, bp
        xor si, si
        xor di, di
        popa
        mov [REGS + 0], ax
        mov [REGS + 2], cx
        mov [REGS + 4], dx
        mov [REGS + 6], bx
        mov [REGS + 8], bp
        mov [REGS + 10], si
        mov [REGS + 12], di
        mov [REGS + 14], sp
        CHECK16 word [REGS + 0], 0x1001, "popa: AX"
        CHECK16 word [REGS + 2], 0x1002, "popa: CX"
        CHECK16 word [REGS + 4], 0x1003, "popa: DX"
        CHECK16 word [REGS + 6], 0x1004, "popa: BX"
        CHECK16 word [REGS + 8], 0x1006, "popa: BP"
        CHECK16 word [REGS + 10], 0x1007, "popa: SI"
        CHECK16 word [REGS + 12], 0x1008, "popa: DI"
        CHECK16 word [REGS + 14], [SAVED_SP], "popa: SP back, the stored SP ignored"
        mov eax, 0x11111111
        mov ebx, 0x44444444
        mov edi, 0x88888888
        pushad
        mov bp, sp
        CHECK dword [bp + 28], 0x11111111, "pushad: EAX at the top"
        CHECK dword [bp + 16], 0x44444444, "pushad: EBX"
        CHECK dword [bp + 0], 0x88888888, "pushad: EDI at the bottom"
        xor eax, eax
        xor ebx, ebx
        xor edi, edi
        popad
        CHECK eax, 0x11111111, "popad: EAX"
        CHECK edi, 0x88888888, "popad: EDI"
        mov ax, sp
        CHECK16 ax, [SAVED_SP], "pushad/popad: SP balanced"

        ; === ENTER / LEAVE =====================================================
        mov [SAVED_SP], sp
        mov sp, 0x3000              ; a private stack with a known outer frame
        mov bp, 0x3100
        mov word [0x30FE], 0xAAAA   ; the outer frame's display
        mov word [0x30FC], 0xBBBB
        enter 6, 3
        mov [E_BP], bp
        mov [E_SP], sp
        leave
        mov [L_BP], bp
        mov [L_SP], sp
        mov sp, [SAVED_SP]
        CHECK16 word [E_BP], 0x2FFE, "enter 6, 3: BP = the new frame"
        CHECK16 word [E_SP], 0x2FF2, "enter 6, 3: SP below 3 display words and 6 bytes"
        CHECK16 word [0x2FFE], 0x3100, "enter 6, 3: the old BP"
        CHECK16 word [0x2FFC], 0xAAAA, "enter 6, 3: display word 1 copied"
        CHECK16 word [0x2FFA], 0xBBBB, "enter 6, 3: display word 2 copied"
        CHECK16 word [0x2FF8], 0x2FFE, "enter 6, 3: the new frame pointer pushed"
        CHECK16 word [L_BP], 0x3100, "leave: BP restored"
        CHECK16 word [L_SP], 0x3000, "leave: SP restored"
        mov sp, 0x3000
        mov bp, 0x3100
        enter 4, 0
        mov [E_BP], bp
        mov [E_SP], sp
        leave
        mov [L_SP], sp
        mov sp, [SAVED_SP]
        CHECK16 word [E_BP], 0x2FFE, "enter 4, 0: BP"
        CHECK16 word [E_SP], 0x2FFA, "enter 4, 0: SP"
        CHECK16 word [L_SP], 0x3000, "enter 4, 0 / leave: SP restored"
        mov sp, 0x3000
        mov bp, 0x3100
        enter 0, 1
        mov [E_BP], bp
        mov [E_SP], sp
        mov sp, [SAVED_SP]
        CHECK16 word [E_BP], 0x2FFE, "enter 0, 1: BP"
        CHECK16 word [E_SP], 0x2FFC, "enter 0, 1: SP"
        CHECK16 word [0x2FFC], 0x2FFE, "enter 0, 1: the frame pointer pushed"

        ; === string instructions ==============================================
        ; CS: override on the source of REP MOVSB, DS pointing elsewhere.
        push ds
        mov ax, 0x3000
        mov ds, ax
        mov si, str_a
        mov di, STRBUF
        mov cx, 8
        cs rep movsb
        pop ds
        CHECK16 cx, 0, "cs rep movsb: CX = 0"
        CHECK16 si, str_a + 8, "cs rep movsb: SI advanced"
        CHECK16 di, STRBUF + 8, "cs rep movsb: DI advanced"
        CHECK dword [STRBUF], 'ABCD', "cs rep movsb: bytes 0-3 copied"
        CHECK dword [STRBUF + 4], 'EFGH', "cs rep movsb: bytes 4-7 copied"
        ; REPE CMPSB stops at the first difference.
        push ds
        push cs
        pop ds
        mov si, str_a
        mov di, STRBUF
        mov byte [es:STRBUF + 5], 'X'
        mov cx, 8
        repe cmpsb
        pop ds
        CHECK_CC ne, "repe cmpsb: ZF = 0 at the difference"
        CHECK16 cx, 2, "repe cmpsb: CX = 2 after 6 compares"
        CHECK16 di, STRBUF + 6, "repe cmpsb: DI past the difference"
        ; REPNE SCASB finds a byte.
        mov di, STRBUF
        mov al, 'E'
        mov cx, 8
        repne scasb
        CHECK_CC e, "repne scasb: ZF = 1 when found"
        CHECK16 cx, 3, "repne scasb: CX = 3"
        CHECK16 di, STRBUF + 5, "repne scasb: DI after the match"
        ; REP STOSW with ES:DI, and a zero count that does nothing.
        push es
        mov ax, STRBUF >> 4
        mov es, ax
        mov word [es:0x18], 0
        mov di, 0x10
        mov ax, 0xABCD
        mov cx, 4
        rep stosw
        mov cx, 0
        mov di, 0x40
        rep stosw
        pop es
        CHECK16 di, 0x40, "rep stosw with CX = 0: DI unchanged"
        CHECK dword [STRBUF + 0x10], 0xABCDABCD, "rep stosw: words 0-1"
        CHECK dword [STRBUF + 0x14], 0xABCDABCD, "rep stosw: words 2-3"
        CHECK16 word [STRBUF + 0x18], 0, "rep stosw: stops after CX words"
        ; DF = 1: an overlapping move upwards, done from the end.
        mov dword [STRBUF + 0x20], '1234'
        mov dword [STRBUF + 0x24], '5678'
        std
        mov si, STRBUF + 0x27
        mov di, STRBUF + 0x29
        mov cx, 8
        rep movsb
        cld
        CHECK16 si, STRBUF + 0x1F, "std rep movsb: SI went down"
        CHECK dword [STRBUF + 0x22], '1234', "std rep movsb: overlapping move, first half"
        CHECK dword [STRBUF + 0x26], '5678', "std rep movsb: overlapping move, second half"
        ; LODSW with an ES override.
        push ds
        mov ax, 0x3000
        mov ds, ax
        mov si, STRBUF + 0x10
        es lodsw
        pop ds
        CHECK16 ax, 0xABCD, "es lodsw: reads ES:SI"
        ; 32-bit addressing: REP uses ECX, ESI, EDI; 16-bit only CX, SI, DI.
        mov ecx, 4
        mov esi, STRBUF
        mov edi, STRBUF + 0x30
        a32 rep movsb
        CHECK ecx, 0, "a32 rep movsb: ECX = 0"
        CHECK esi, STRBUF + 4, "a32 rep movsb: ESI advanced"
        CHECK edi, STRBUF + 0x34, "a32 rep movsb: EDI advanced"
        mov ecx, 0x00010000
        rep movsb
        CHECK ecx, 0x00010000, "a16 rep movsb with CX = 0 (ECX = 0x10000): nothing done"
        mov ecx, 0x00010002
        mov esi, 0x12340000 + STRBUF
        mov edi, 0xABCD0000 + STRBUF + 0x30
        rep movsb
        CHECK ecx, 0x00010000, "a16 rep movsb: only CX counts"
        CHECK esi, 0x12340000 + STRBUF + 2, "a16 rep movsb: the high half of ESI is kept"
        CHECK edi, 0xABCD0000 + STRBUF + 0x32, "a16 rep movsb: the high half of EDI is kept"

        ; === 32-bit operand and address size ==================================
        mov dword [TABLE + 0], 0x10101010
        mov dword [TABLE + 4], 0x20202020
        mov dword [TABLE + 8], 0x30303030
        mov dword [TABLE + 12], 0x40404040
        mov ebx, TABLE
        mov ecx, 3
        mov eax, [ebx + ecx * 4]
        CHECK eax, 0x40404040, "mov eax, [ebx+ecx*4]"
        mov esi, 1
        mov eax, [ebx + esi * 4 + 4]
        CHECK eax, 0x30303030, "mov eax, [ebx+esi*4+4]"
        mov eax, 0x100
        lea eax, [eax + ecx * 8 + 0x12345]
        CHECK eax, 0x12345 + 0x100 + 24, "lea eax, [eax+ecx*8+disp32]"
        mov eax, 0x12345678
        add eax, 0x87654321
        CHECK eax, 0x99999999, "add eax, imm32"
        mov eax, 0xF0000000
        add eax, 0x20000000
        CHECK_CC c, "add eax: carry out of bit 31"
        mov ebx, 100000
        imul eax, ebx, 30000
        CHECK eax, 3000000000, "imul eax, ebx, imm32 (low 32 bits)"
        mov eax, 0x12345678
        mov ebx, 0x9ABCDEF0
        shld eax, ebx, 8
        CHECK eax, 0x3456789A, "shld eax, ebx, 8"
        mov word [REGS], 0x8001
        movsx eax, word [REGS]
        CHECK eax, 0xFFFF8001, "movsx eax, word"
        movzx eax, word [REGS]
        CHECK eax, 0x00008001, "movzx eax, word"
        push dword 0x12345678
        pop ebx
        CHECK ebx, 0x12345678, "push imm32 / pop ebx"
        mov eax, 0x11223344
        bswap eax
        CHECK eax, 0x44332211, "bswap eax (486)"
        mov eax, 5
        mov ebx, 7
        xadd eax, ebx
        CHECK eax, 12, "xadd: sum"
        CHECK ebx, 5, "xadd: old destination"
        mov eax, 12
        mov ecx, 99
        mov dword [REGS], 12
        cmpxchg [REGS], ecx
        CHECK dword [REGS], 99, "cmpxchg: equal, stores"
        mov eax, 1
        mov ebx, 2
        cmp eax, eax
        cmovz eax, ebx
        CHECK eax, 2, "cmovz (P6): moves when ZF = 1"
        cmp eax, 0
        cmovz eax, ecx
        CHECK eax, 2, "cmovz (P6): keeps when ZF = 0"
        ; LOOP and JCXZ with 16- and 32-bit counters.
        mov ecx, 0x00010001
        loop .loop16_taken          ; CX: 1 -> 0, not taken
        CHECK ecx, 0x00010000, "loop (a16): only CX decremented, falls through"
        jmp .loop32
.loop16_taken:
        FAIL_NOW "loop (a16): jumped with CX = 0"
.loop32:
        mov ecx, 0x00010001
        loop .loop32_taken, ecx     ; ECX: 0x10001 -> 0x10000, taken
        FAIL_NOW "loop ecx (a32): fell through with ECX != 0"
        jmp .jcxz
.loop32_taken:
        CHECK ecx, 0x00010000, "loop ecx (a32): ECX decremented, jumped"
.jcxz:  mov ecx, 0x00010000
        jecxz .jecxz_wrong
        jcxz .jcxz_ok
        FAIL_NOW "jcxz: not taken with CX = 0"
        jmp .a20
.jecxz_wrong:
        FAIL_NOW "jecxz: taken with ECX = 0x10000"
        jmp .a20
.jcxz_ok:
        CHECK ecx, 0x00010000, "jcxz taken and jecxz not with ECX = 0x10000"

        ; === A20 through port 92h ============================================
.a20:   push es
        mov ax, 0xFFFF
        mov es, ax
        in al, PORT_92
        and al, 0xFC                ; A20 off (bit 0 would reset: keep 0)
        out PORT_92, al
        in al, PORT_92
        and al, 0x02
        CHECK8 al, 0x00, "port 92h: bit 1 reads 0 with A20 off"
        mov byte [A20_PROBE], 0x11
        mov byte [es:A20_PROBE + 0x10], 0x22    ; 0x100700 wraps to 0x000700
        mov al, [A20_PROBE]
        CHECK8 al, 0x22, "A20 off: FFFF:0710 aliases 0000:0700"
        in al, PORT_92
        and al, 0xFC
        or al, 0x02                 ; A20 on
        out PORT_92, al
        in al, PORT_92
        and al, 0x02
        CHECK8 al, 0x02, "port 92h: bit 1 reads 1 with A20 on"
        mov byte [es:A20_PROBE + 0x10], 0x33
        mov al, [A20_PROBE]
        CHECK8 al, 0x22, "A20 on: 0000:0700 keeps its byte"
        mov al, [es:A20_PROBE + 0x10]
        CHECK8 al, 0x33, "A20 on: FFFF:0710 is 0x100700"
        pop es

        FINISH

; --- handlers ----------------------------------------------------------------

; int80: sets AX = BEEF, records the saved CS:IP, FLAGS and its own flags.
int80:
        push bp
        mov bp, sp                  ; [bp+2] IP, +4 CS, +6 FLAGS
        push ds
        push word 0
        pop ds
        pushf
        pop word [H_ENTRY]
        mov ax, [bp + 2]
        mov [H_IP], ax
        mov ax, [bp + 4]
        mov [H_CS], ax
        mov ax, [bp + 6]
        mov [H_FLAGS], ax
        mov ax, 0xBEEF
        pop ds
        pop bp
        iret

; irq0_shadow: records SH_X when IRQ0 arrives.
irq0_shadow:
        push ax
        push ds
        push word 0
        pop ds
        mov ax, [SH_X]
        mov [SH_SEEN], ax
        PIC_EOI
        pop ds
        pop ax
        iret

; --- data in the ROM ---------------------------------------------------------
bounds16:       dw 10, 20
bounds32:       dd -100000, 100000
zero_byte:      db 0
str_a:          db "ABCDEFGH"

        ROM_END
