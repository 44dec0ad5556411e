; reset.asm - the CPU state after a reset, as the first instruction sees it.
;
; Firmware depends on the documented reset state (Intel SDM Vol. 3, 9.1.1
; and Table 9-1): EDX holds the processor signature (family 6 on a P6; this
; board models a Pentium II, 0x0652, which `qemu-system-i386 -cpu pentium2`
; also gives), the other general registers are 0, EFLAGS = 0x00000002,
; CS = F000 (base FFFF0000 until the first far jump: the jump at F000:FFF0
; brought us here), the other segment registers 0, CR0 = 0x60000010 (CD, NW,
; ET), CR2-CR4 = 0, DR6 = 0xFFFF0FF0, DR7 = 0x400, GDTR and IDTR base 0 and
; limit 0xFFFF. CPUID leaf 1 must report the same signature as EDX, and
; leaf 0 the vendor "GenuineIntel".
;
; The registers are stored to RAM before anything else touches them (DS is
; 0 after reset), then checked. Output goes to COM1 and the debug console
; (port 0xE9), whose reads return 0xE9.

%include "common.inc"

R_EAX   equ VARS + 0x00
R_EBX   equ VARS + 0x04
R_ECX   equ VARS + 0x08
R_EDX   equ VARS + 0x0C
R_ESI   equ VARS + 0x10
R_EDI   equ VARS + 0x14
R_EBP   equ VARS + 0x18
R_ESP   equ VARS + 0x1C
R_EFL   equ VARS + 0x20
R_CR0   equ VARS + 0x24
R_CR2   equ VARS + 0x28
R_CR3   equ VARS + 0x2C
R_CR4   equ VARS + 0x30
R_DR6   equ VARS + 0x34
R_DR7   equ VARS + 0x38
R_CS    equ VARS + 0x40
R_DS    equ VARS + 0x42
R_ES    equ VARS + 0x44
R_SS    equ VARS + 0x46
R_FS    equ VARS + 0x48
R_GS    equ VARS + 0x4A
R_GDTR  equ VARS + 0x50             ; limit word, base dword
R_IDTR  equ VARS + 0x58
VENDOR  equ VARS + 0x60             ; 12 bytes + NUL

start:
        ; Nothing may change a register before it is saved.
        mov [R_EAX], eax
        mov [R_EBX], ebx
        mov [R_ECX], ecx
        mov [R_EDX], edx
        mov [R_ESI], esi
        mov [R_EDI], edi
        mov [R_EBP], ebp
        mov [R_ESP], esp
        mov [R_CS], cs
        mov [R_DS], ds
        mov [R_ES], es
        mov [R_SS], ss
        mov [R_FS], fs
        mov [R_GS], gs
        pushfd                      ; SS:SP = 0000:0000 wraps to 0000:FFFC
        pop dword [R_EFL]
        mov eax, cr0
        mov [R_CR0], eax
        mov eax, cr2
        mov [R_CR2], eax
        mov eax, cr3
        mov [R_CR3], eax
        mov eax, cr4
        mov [R_CR4], eax
        mov eax, dr6
        mov [R_DR6], eax
        mov eax, dr7
        mov [R_DR7], eax
        sgdt [R_GDTR]
        sidt [R_IDTR]

        GUEST_INIT
        PRINTLN "reset: the CPU state after reset"

        PRINT "EDX at reset (signature): 0x"
        mov eax, [R_EDX]
        call print_hex32
        call newline
        CHECK dword [R_EDX], 0x00000652, "edx = 0x0652 (family 6 model 5 stepping 2)"
        mov eax, [R_EDX]
        and eax, 0x0F00
        CHECK eax, 0x0600, "edx family = 6"
        CHECK dword [R_EAX], 0, "eax = 0"
        CHECK dword [R_EBX], 0, "ebx = 0"
        CHECK dword [R_ECX], 0, "ecx = 0"
        CHECK dword [R_ESI], 0, "esi = 0"
        CHECK dword [R_EDI], 0, "edi = 0"
        CHECK dword [R_EBP], 0, "ebp = 0"
        CHECK dword [R_ESP], 0, "esp = 0"
        CHECK dword [R_EFL], 0x00000002, "eflags = 0x00000002"
        CHECK16 word [R_CS], 0xF000, "cs = f000"
        CHECK16 word [R_DS], 0, "ds = 0"
        CHECK16 word [R_ES], 0, "es = 0"
        CHECK16 word [R_SS], 0, "ss = 0"
        CHECK16 word [R_FS], 0, "fs = 0"
        CHECK16 word [R_GS], 0, "gs = 0"
        CHECK dword [R_CR0], 0x60000010, "cr0 = 0x60000010"
        CHECK dword [R_CR2], 0, "cr2 = 0"
        CHECK dword [R_CR3], 0, "cr3 = 0"
        CHECK dword [R_CR4], 0, "cr4 = 0"
        CHECK dword [R_DR6], 0xFFFF0FF0, "dr6 = 0xffff0ff0"
        CHECK dword [R_DR7], 0x00000400, "dr7 = 0x400"
        CHECK16 word [R_GDTR], 0xFFFF, "gdtr limit = 0xffff"
        CHECK dword [R_GDTR + 2], 0, "gdtr base = 0"
        CHECK16 word [R_IDTR], 0xFFFF, "idtr limit = 0xffff"
        CHECK dword [R_IDTR + 2], 0, "idtr base = 0"

        ; The reset vector is visible in the low alias of the ROM too.
        CHECK8 byte [cs:0xFFF0], 0xEA, "f000:fff0 holds the far jump"

        ; --- CPUID ----------------------------------------------------------
        xor eax, eax
        cpuid
        mov [VENDOR], ebx
        mov [VENDOR + 4], edx
        mov [VENDOR + 8], ecx
        mov byte [VENDOR + 12], 0
        cmp eax, 1
        CHECK_CC ae, "cpuid max leaf >= 1"
        CHECK ebx, 'Genu', "cpuid vendor ebx = Genu"
        CHECK edx, 'ineI', "cpuid vendor edx = ineI"
        CHECK ecx, 'ntel', "cpuid vendor ecx = ntel"
        PRINT "CPUID vendor: "
        mov cx, 12
        mov si, VENDOR
.vendor:
        lodsb
        call putc
        loop .vendor
        call newline
        mov eax, 1
        cpuid
        CHECK eax, dword [R_EDX], "cpuid 1 eax = the reset signature"
        and edx, 0x10
        CHECK edx, 0x10, "cpuid 1 edx: TSC"

        ; --- the debug console ------------------------------------------------
        in al, DEBUGCON
        CHECK8 al, 0xE9, "port 0xe9 reads 0xe9"

        FINISH

        ROM_END
