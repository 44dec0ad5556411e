; pm_strict.asm - protected-mode rules that QEMU's TCG leaves out: segment
; limit and type checks on data and stack accesses (expand-up and
; expand-down, #GP(0) and #SS(0)), the accessed bit of a CS load, the EXT
; bit of error codes raised while delivering an exception, INT1 (ICEBP)
; skipping the gate DPL check, EIP limit checks on jumps and interrupt
; gates, LTR with a null selector, and the 64 KiB limit a real-mode segment
; keeps next to an unreal one.
;
; Intel SDM Vol. 3 3.4.5.1 (the accessed bit), 5.3 (limit checking,
; expand-down segments: valid offsets limit+1 .. FFFFh or FFFFFFFFh by the
; B flag), 5.4-5.6 (type checks: no writes to code, no use of a null
; selector), 6.13 (EXT), 6.15 interrupt 12 (#SS(0) for a stack limit
; violation), 20.1.1 (real-mode limits); Vol. 2 INT n/INT1, LTR.
;
; QEMU 7.2 fails most of these checks (it checks neither segment limits
; nor types on memory accesses, sets no accessed bit on far jumps, never
; sets EXT, jumps beyond the CS limit and accepts LTR 0); Bochs 2.7
; passes all of it (see pm.inc).

%include "pm.inc"

SEL_EDOWN16     equ 0x40            ; expand-down data, limit 0FFFh, B = 0
SEL_STK3        equ 0x4B            ; DPL 3 data, base SCRATCH, limit 0FFFh
SEL_EDSTK3      equ 0x53            ; DPL 3 expand-down data, limit 0FFFh, B = 1
SEL_CODE64K     equ 0x58            ; code, base F0000, limit FFFFh (= SEL_CODE32)

S3_RES          equ VARS + 0x00     ; ring-3 results
RM_GP           equ VARS + 0x40     ; real mode: #GP count, vector
RM_GP_IP        equ VARS + 0x42
RM_OK           equ VARS + 0x44

pm_main:
        PRINTLN "pm_strict: limit, type and error-code rules QEMU does not check"
        mov eax, [GDT_BASE + SEL_CODE32 + 4]
        and eax, 0x100
        CHECK eax, 0x100, "far JMP into the code segment set its accessed bit"

        SET_DESC SEL_EDOWN16, 0, 0x0FFF, ACC_DATA_R0 | ACC_EDOWN, 0
        SET_DESC SEL_STK3, SCRATCH, 0x0FFF, ACC_DATA_R0 | ACC_DPL(3), FLG_32
        SET_DESC SEL_EDSTK3, SCRATCH, 0x0FFF, ACC_DATA_R0 | ACC_DPL(3) | ACC_EDOWN, FLG_32

; --- data segment types and limits -------------------------------------------------------
        mov ax, 3
        mov fs, ax
        EXPECT_TRAP .null_done
.null:  mov eax, [fs:0]
.null_done:
        CHECK dword [T_VEC], 13, "a read through a null FS: #GP"
        CHECK dword [T_ERR], 0, "a read through a null FS: error 0"
        CHECK dword [T_EIP], .null, "a read through a null FS: saved EIP = the MOV"

        mov ax, SEL_CODE32
        mov es, ax
        EXPECT_TRAP .cw_done
.cw:    mov byte [es:0x100], 0
.cw_done:
        CHECK dword [T_VEC], 13, "a write through a code segment in ES: #GP(0)"
        CHECK dword [T_EIP], .cw, "a write through a code segment: saved EIP"

        mov ax, SEL_DATA16
        mov es, ax
        EXPECT_TRAP .lim_done
.lim:   mov eax, [es:0xFFFE]
.lim_done:
        CHECK dword [T_VEC], 13, "a dword at FFFEh of a 64 KiB segment: #GP"
        CHECK dword [T_ERR], 0, "a dword at FFFEh of a 64 KiB segment: error 0"
        mov eax, [es:0xFFFC]
        CHECK dword [T_COUNT], 1, "a dword at FFFCh of a 64 KiB segment: no fault"

        mov ax, SEL_EDOWN16
        mov es, ax
        EXPECT_TRAP .ed1_done
        mov eax, [es:0x1000]
        mov eax, [es:0xFFFC]
.ed1_done:
        CHECK dword [T_COUNT], 0, "expand-down, limit 0FFFh: 1000h and FFFCh are valid"
        EXPECT_TRAP .ed2_done
.ed2:   mov al, [es:0x0FFF]
.ed2_done:
        CHECK dword [T_VEC], 13, "expand-down, limit 0FFFh: a byte at 0FFFh is #GP"
        CHECK dword [T_EIP], .ed2, "expand-down: saved EIP"
        EXPECT_TRAP .ed3_done
        mov ax, [es:0xFFFF]
.ed3_done:
        CHECK dword [T_VEC], 13, "expand-down with B = 0: a word at FFFFh is #GP"
        mov ax, SEL_DATA32
        mov es, ax
        mov fs, ax

; --- jumps beyond the CS limit ------------------------------------------------------------
        EXPECT_TRAP .jn_done
        mov eax, 0x10000
.jn:    jmp eax
.jn_done:
        CHECK dword [T_VEC], 13, "JMP near beyond the CS limit: #GP"
        CHECK dword [T_EIP], .jn, "JMP near beyond the CS limit: saved EIP = the JMP"

        SET_IDT 0x47, SEL_CODE32, 0x10000, ACC_INT32
        EXPECT_TRAP .iolim_done
        int 0x47
.iolim_done:
        RESTORE_IDT 0x47
        CHECK dword [T_VEC], 13, "INT 47h with an offset beyond the CS limit: #GP"
        CHECK dword [T_ERR], 0, "INT 47h with an offset beyond the CS limit: error 0"

; --- the EXT bit --------------------------------------------------------------------------
        and byte [IDT_BASE + 6 * 8 + 5], 0x7F
        EXPECT_TRAP .udnp_done
.udnp:  ud2
.udnp_done:
        RESTORE_IDT 6
        CHECK dword [T_VEC], 11, "#UD through a not-present gate: #NP"
        CHECK dword [T_ERR], 6 * 8 + 3, "#UD through a not-present gate: error 6 * 8 + 2 + EXT"
        CHECK dword [T_EIP], .udnp, "#UD, gate not present: saved EIP = the UD2"

        and byte [IDT_BASE + 1 * 8 + 5], 0x7F
        EXPECT_TRAP .dbnp_done
        int1
.dbnp_done:
        RESTORE_IDT 1
        CHECK dword [T_VEC], 11, "ICEBP with #DB's gate not present: #NP, not #DF"
        CHECK dword [T_ERR], 1 * 8 + 3, "ICEBP, gate not present: error 1 * 8 + 2 + EXT"

        and byte [IDT_BASE + 3 * 8 + 5], 0x7F
        EXPECT_TRAP .bpnp_done
        int3
.bpnp_done:
        RESTORE_IDT 3
        CHECK dword [T_ERR], 3 * 8 + 2, "INT3, gate not present: error 3 * 8 + 2 (EXT 0)"

; --- ring 3: ICEBP, stack limits -----------------------------------------------------------
        TO_RING3 ring3_code, back3
back3:
        CHECK dword [S3_RES + 0x00], 1, "ICEBP at ring 3 through a DPL 0 gate: #DB, no #GP"
        CHECK dword [S3_RES + 0x04], ring3_code.after_icebp, "ICEBP: saved EIP = next"
        CHECK dword [S3_RES + 0x08], 12, "PUSH beyond the stack limit: #SS"
        CHECK dword [S3_RES + 0x0C], 0, "PUSH beyond the stack limit: error 0"
        CHECK dword [S3_RES + 0x10], 2, "PUSH beyond the stack limit: ESP unchanged"
        CHECK dword [S3_RES + 0x14], 12, "[EBP] beyond the SS limit: #SS(0)"
        CHECK dword [S3_RES + 0x18], 0x1000, "expand-down stack: a push down to the limit + 1"
        CHECK dword [S3_RES + 0x1C], 12, "expand-down stack: a push at or below the limit is #SS"
        CHECK dword [S3_RES + 0x20], 0x1000, "expand-down stack: ESP unchanged by the fault"

; --- real mode: a 64 KiB segment next to a 4 GiB one ----------------------------------------
        mov word [13 * 4], rm_gp
        mov word [13 * 4 + 2], 0xF000
        jmp SEL_CODE16:to_real16
        bits 16
to_real16:
        mov ax, SEL_DATA16
        mov ss, ax
        mov es, ax
        mov ax, SEL_DATA32
        mov ds, ax
        mov eax, cr0
        and eax, ~1
        mov cr0, eax
        jmp 0xF000:.rm
.rm:    xor ax, ax
        mov ss, ax
        mov sp, 0x7C00
        mov ds, ax
        mov es, ax
        lidt [cs:real_idt]
        mov ebx, 0x10000
        mov eax, [ebx]              ; DS: 4 GiB limit, fine
        mov word [RM_OK], 1
        mov word [RM_GP_IP], .gp_done
        mov eax, [es:ebx]           ; ES: 64 KiB limit: #GP
.gp_done:
        o32 lgdt [cs:gdt_ptr]
        o32 lidt [cs:idt_ptr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword SEL_CODE32:back_pm

rm_gp:                              ; real-mode #GP: count, resume at [RM_GP_IP]
        push bp
        mov bp, sp
        inc word [RM_GP]
        mov ax, [RM_GP_IP]
        mov [bp + 2], ax
        pop bp
        iret

real_idt:
        dw 0x3FF
        dd 0

        bits 32
back_pm:
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, STACK0
        CHECK16 word [RM_OK], 1, "unreal mode: DS with a 4 GiB limit reads at 10000h"
        CHECK16 word [RM_GP], 1, "real mode: ES with a 64 KiB limit at 10000h: #GP"

; --- last: LTR with a null selector ------------------------------------------------------------
        EXPECT_TRAP .ltrnull_done
        xor ax, ax
        ltr ax
.ltrnull_done:
        CHECK dword [T_VEC], 13, "LTR 0: #GP"
        CHECK dword [T_ERR], 0, "LTR 0: error 0"
        FINISH

; --- ring 3 ------------------------------------------------------------------------------------
ring3_code:
        mov ax, SEL_DATA32_R3
        mov ds, ax
        EXPECT_TRAP 0
        int1
.after_icebp:
        mov eax, [T_VEC]
        mov [S3_RES + 0x00], eax
        mov eax, [T_EIP]
        mov [S3_RES + 0x04], eax

        mov ax, SEL_STK3
        mov ss, ax
        mov esp, 2
        EXPECT_TRAP .push_done
        push eax
.push_done:
        mov [S3_RES + 0x10], esp
        mov eax, [T_VEC]
        mov [S3_RES + 0x08], eax
        mov eax, [T_ERR]
        mov [S3_RES + 0x0C], eax
        mov ebp, 0x2000
        EXPECT_TRAP .ebp_done
        mov eax, [ebp]
.ebp_done:
        mov eax, [T_VEC]
        mov [S3_RES + 0x14], eax

        mov ax, SEL_EDSTK3
        mov ss, ax
        mov esp, 0x1004
        push eax
        mov [S3_RES + 0x18], esp
        EXPECT_TRAP .ed_done
        push eax
.ed_done:
        mov eax, [T_VEC]
        mov [S3_RES + 0x1C], eax
        mov [S3_RES + 0x20], esp
        mov ax, SEL_DATA32_R3
        mov ss, ax
        mov esp, STACK3
        int BACK_VEC

        ROM_END
