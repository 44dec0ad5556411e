; pm_real.asm - leaving protected mode and coming back: real mode after
; protected mode, "unreal" mode (a 4 GiB data segment limit kept across
; the return to real mode), the real-mode IVT again, and CPL 0 right after
; CR0.PE is set whatever the real-mode CS value.
;
; Intel SDM Vol. 3 9.9.2 (switching back to real-address mode: a 16-bit
; code segment with a 64 KiB limit, data segment registers loaded with
; suitable descriptors, then CR0.PE cleared and a far jump), 20.1.1 (in
; real mode a segment load changes only the selector and the base: the
; hidden limit and attributes stay, which is what "unreal mode" relies on),
; 9.9.1 (switching to protected mode: the instructions after MOV CR0 run at
; CPL 0 until the far jump). Runs the same on QEMU.

%include "pm.inc"

RM_MSW          equ VARS + 0x00     ; MSW seen in real mode
RM_HIGH         equ VARS + 0x04     ; dword read at 110000h through DS in real mode
RM_SEGRD        equ VARS + 0x08     ; dword read at 1100:0000 (linear 11000h)
RM_INT          equ VARS + 0x0C     ; set by the real-mode INT 80h handler
RM_INT_CS       equ VARS + 0x0E     ; CS seen by the handler
RM_FAR          equ VARS + 0x10     ; set by a far call in real mode
PE_CR0          equ VARS + 0x14     ; CR0 read right after setting PE with CS = EFFFh
PE_CS           equ VARS + 0x18

pm_main:
        PRINTLN "pm_real: back to real mode, unreal mode, and into protected mode again"
        mov dword [0x110000], 0x0BADCAFE
        mov dword [0x011000], 0x12345678
        mov dword [0x010000], 0
        mov word [0x80 * 4], rm_int80
        mov word [0x80 * 4 + 2], 0xF000

        ; To real mode: a 16-bit code segment first; DS and FS keep a 4 GiB
        ; limit, SS and ES get 64 KiB ones.
        jmp SEL_CODE16:to_real16

        bits 16
to_real16:
        mov ax, SEL_DATA16
        mov ss, ax
        mov es, ax
        mov gs, ax
        mov ax, SEL_DATA32
        mov ds, ax
        mov fs, ax
        mov eax, cr0
        and eax, ~1
        mov cr0, eax
        jmp 0xF000:real_mode

real_mode:
        xor ax, ax
        mov ss, ax
        mov sp, 0x7C00
        mov ds, ax
        mov es, ax
        lidt [cs:real_idt]
        smsw [RM_MSW]
        mov ebx, 0x110000           ; above 1 MiB through DS: the 4 GiB limit stayed
        mov eax, [ebx]
        mov [RM_HIGH], eax
        mov dword [ebx + 4], 0x0DDBA11
        mov ax, 0x1100              ; real-mode segment arithmetic
        mov fs, ax
        mov eax, [fs:0]
        mov [RM_SEGRD], eax
        int 0x80
        call 0xF000:rm_far
        ; Back to protected mode with a real-mode CS whose low bits are 3:
        ; CPL must be 0 all the same until the far jump.
        jmp 0xEFFF:cs_efff + 0x10    ; the same linear address (EFFF0h + 10h = F0000h)
cs_efff:
        o32 lgdt [cs:gdt_ptr + 0x10]
        o32 lidt [cs:idt_ptr + 0x10]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        mov eax, cr0                ; CPL 0 only
        mov [PE_CR0], eax
        mov [PE_CS], cs
        jmp dword SEL_CODE32:back_in_pm

rm_int80:
        mov word [RM_INT], 0x8080
        mov [RM_INT_CS], cs
        iret

rm_far:
        mov word [RM_FAR], 0xFA4
        retf

real_idt:
        dw 0x3FF
        dd 0

        bits 32
back_in_pm:
        mov ax, SEL_DATA32
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax
        mov esp, STACK0
        CHECK16 word [RM_MSW], 0x0010, "real mode again: MSW.PE clear"
        CHECK dword [RM_HIGH], 0x0BADCAFE, "unreal mode: DS kept 4 GiB, reads above 1 MiB"
        CHECK dword [0x110004], 0x0DDBA11, "unreal mode: writes above 1 MiB"
        CHECK dword [RM_SEGRD], 0x12345678, "real mode: FS = 1100h reads linear 11000h"
        CHECK16 word [RM_INT], 0x8080, "real mode: INT 80h through the IVT"
        CHECK16 word [RM_INT_CS], 0xF000, "real mode: the IVT gave CS = F000h"
        CHECK16 word [RM_FAR], 0xFA4, "real mode: far CALL/RETF"
        mov eax, [PE_CR0]
        and eax, 0x80000001
        CHECK eax, 1, "right after MOV CR0 (PE): MOV from CR0 works (CPL 0) with CS = EFFFh"
        CHECK16 word [PE_CS], 0xEFFF, "right after MOV CR0 (PE): CS still holds EFFFh"
        mov ax, cs
        CHECK16 ax, SEL_CODE32, "far JMP: protected mode again"

        ; The IDT works again in protected mode.
        EXPECT_TRAP 0
        int 0x40
        CHECK dword [T_VEC], 0x40, "protected mode again: INT 40h through the IDT"
        FINISH

        ROM_END
