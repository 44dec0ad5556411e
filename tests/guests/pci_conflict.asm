; pci_conflict.asm - a guest programming PCI BARs where they collide with
; the board's own decoders must not take the board apart:
;   boot 1: the IDE bus-master BAR (00:01.1 BAR4) at CF0h, over the PCI
;           configuration ports CF8h-CFFh, with I/O decode on: the BAR is
;           not decoded there (pc.c refuses the overlap), so 00:00.0 still
;           reads 8086:1237 through CF8h/CFCh; then a reset (port 92h);
;   boot 2: the same read after the reset (a reset unmaps the BAR: that
;           must not remove the configuration ports either); then the
;           VGA's expansion ROM BAR at F0000h, over the BIOS this code runs
;           from, with memory decode on: the BIOS ROM keeps decoding there
;           (BARs rank below DRAM, PAM and the BIOS on the i440FX), so the
;           next instructions are still ours; exit 0.
; Writes "1", "2", "3" on the debug console (port E9h) as it goes.
        bits 16
        org 0

MARK    equ 0x0600                  ; word in RAM: 1234h after boot 1

; cfg_read ADDR: EAX = the dword of configuration space at ADDR
%macro cfg_addr 1
        mov dx, 0xCF8
        mov eax, %1
        out dx, eax
        mov dx, 0xCFC
%endmacro

start:
        cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        cmp word [MARK], 0x1234
        je boot2
        mov word [MARK], 0x1234
        cfg_addr 0x80000920             ; 00:01.1 BAR4
        mov eax, 0x00000CF1             ; I/O at CF0h
        out dx, eax
        cfg_addr 0x80000904             ; 00:01.1 command: I/O decode on
        mov ax, 1
        out dx, ax
        call check_host_bridge
        mov al, '1'
        out 0xE9, al
        in al, 0x92                     ; reset
        or al, 1
        out 0x92, al
.hang:  hlt
        jmp .hang

boot2:
        call check_host_bridge
        mov al, '2'
        out 0xE9, al
        cfg_addr 0x80001030             ; 00:02.0 ROM BAR at F0000h, enabled
        mov eax, 0x000F0001
        out dx, eax
        cfg_addr 0x80001004             ; 00:02.0 command: memory decode on
        mov ax, 2
        out dx, ax
        nop
        nop
        mov al, '3'
        out 0xE9, al
        mov al, 0
        out 0xF4, al
        hlt

; check_host_bridge: exits with 1 unless 00:00.0 reads 8086:1237.
check_host_bridge:
        cfg_addr 0x80000000
        in eax, dx
        cmp eax, 0x12378086
        jne .bad
        ret
.bad:   mov al, 1
        out 0xF4, al
        hlt

        times 0xFFF0 - ($ - $$) db 0xF4
        jmp 0xF000:start
        times 0x10000 - ($ - $$) db 0
