; pcboard.asm - the i440FX/PIIX3 board as devices/pc.c wires it, seen from
; a bare-metal guest without SeaBIOS: the PCI functions through
; configuration mechanism #1 (CF8h/CFCh: identities, BAR sizing, the IDE
; bus master behind BAR4, the VGA's frame buffer and expansion ROM BARs),
; the i440FX's PAM shadow-RAM modes at C0000h, the PIIX3's PIRQ route
; registers and ELCR, the CMOS bytes the machine fills from its drives and
; -boot, and QEMU's fw_cfg interface (signature, RAM size, CPU count, the
; etc/e820 file).
;
; It needs the command line pcboard.cmake gives it:
;   -m 32 -hda <64 MiB raw image> -fda <1.44 MB image> -boot order=ac
; and SeaVGABIOS (vgabios-stdvga.bin) where brisk looks for firmware: pc.c
; then gives it to the VGA as its expansion ROM even with -bios.
;
; References: PCI Local Bus Specification 2.1 (3.7.4.1 configuration
; mechanism #1; 6.2.5 base address registers and their sizing; 6.2.5.2 the
; expansion ROM BAR, bit 0 the decode enable); Intel 440FX PCIset datasheet
; 290549 (3.2: PMC 8086:1237, PAM0-PAM6 at 59h-5Fh, RE = bit 0, WE = bit 1
; of each nibble); PIIX3 datasheet 290550 (2.2 function 0: PIRQRC 60h-63h
; reset 80h; 2.3 ELCR 4D0h/4D1h, IRQ 0, 1, 2, 8, 13 edge only; the IDE
; function: IDETIM 40h-43h, BMIBA at 20h, BMISX bits 5-6 "drive DMA
; capable" read/write); the IBM AT CMOS layout (10h-2Fh) and QEMU's
; docs/specs/fw_cfg.rst.
;
; Brisk's choices that these checks pin down (pc.c, i440fx.h):
;  - IDETIM decode enable bits (41h, 43h bit 7) read 1 from power on (the
;    PIIX3 resets them to 0; Brisk sets them so a -kernel Linux finds both
;    channels). QEMU resets them to 0.
;  - PAM mode 0 (RE = WE = 0) at C0000h: nothing is mapped there on the PCI
;    side (no option ROM: with -bios the VGA ROM is only in its ROM BAR),
;    so, as i440fx.h documents, the plain guest RAM under the region shows
;    through, and it is the same RAM the shadow alias uses: the pattern
;    written in mode 3 reads back. Mode 2 (WE only) reads the same way. A
;    real board floats the bus (FFh); QEMU reads its "pc.rom" region.
;  - The hard disk parameter control byte (CMOS 20h) is 08h (more than 8
;    heads); QEMU writes C8h (also "disable retries").
;  - The CMOS checksum (2Eh-2Fh, the sum of 10h-2Dh) is kept up to date;
;    QEMU leaves it 0 (SeaBIOS does not read it).
;  - A memory address nothing decodes reads all ones (a PCI master abort);
;    QEMU reads 0 there (the ROM and frame buffer BARs switched off).
; So on QEMU (tests/guests/run_qemu.sh with the same drives and options)
; these 7 checks fail and the others pass.

%include "common.inc"

; PCI(dev, fn, reg): a CONFADD value for bus 0.
%define PCI(dev, fn, reg) (0x80000000 | ((dev) << 11) | ((fn) << 8) | (reg))

FW_KEY          equ VARS + 0x00     ; word: fw_cfg key of etc/e820 (0: not found)
FW_SIZE         equ VARS + 0x04     ; dword: its size in the directory
FW_FILES        equ VARS + 0x08     ; dword: directory entries

BM_BASE         equ 0xC000          ; where BAR4 (the IDE bus master) goes
LFB_BASE        equ 0xFD000000      ; the VGA's BAR0
VGAROM_BASE     equ 0xFEB00000      ; the VGA's ROM BAR

; PCI_RD32 addr: EAX = the config dword at addr.
%macro PCI_RD32 1
        push ebx
        mov ebx, %1
        call pci_rd32
        pop ebx
%endmacro

; PCI_RD16 addr / PCI_RD8 addr: EAX = the word / byte at addr (zero-extended).
%macro PCI_RD16 1
        push ebx
        mov ebx, %1
        call pci_rd16
        pop ebx
%endmacro

%macro PCI_RD8 1
        push ebx
        mov ebx, %1
        call pci_rd8
        pop ebx
%endmacro

; PCI_WR32 addr, value / PCI_WR16 / PCI_WR8: keep every register.
%macro PCI_WR32 2
        push eax
        push ebx
        mov eax, %2
        mov ebx, %1
        call pci_wr32
        pop ebx
        pop eax
%endmacro

%macro PCI_WR16 2
        push eax
        push ebx
        mov eax, %2
        mov ebx, %1
        call pci_wr16
        pop ebx
        pop eax
%endmacro

%macro PCI_WR8 2
        push eax
        push ebx
        mov eax, %2
        mov ebx, %1
        call pci_wr8
        pop ebx
        pop eax
%endmacro

; CMOS_READ reg: EAX = CMOS[reg] (NMI left enabled).
%macro CMOS_READ 1
        mov al, %1
        out 0x70, al
        in al, 0x71
        movzx eax, al
%endmacro

start:
        GUEST_INIT
        PRINTLN "pcboard: the i440FX/PIIX3 board: PCI, PAM, ELCR, PIRQ, CMOS, fw_cfg"

        ; === identities ======================================================
        PCI_RD32 PCI(0, 0, 0x00)
        CHECK eax, 0x12378086, "00:00.0 is the i440FX PMC 8086:1237"
        PCI_RD32 PCI(0, 0, 0x08)
        shr eax, 8
        CHECK eax, 0x060000, "00:00.0 class 060000 (host bridge)"
        PCI_RD32 PCI(0, 0, 0x2C)
        CHECK eax, 0x11001AF4, "00:00.0 subsystem 1AF4:1100 (QEMU's)"
        PCI_RD32 PCI(1, 0, 0x00)
        CHECK eax, 0x70008086, "00:01.0 is the PIIX3 ISA bridge 8086:7000"
        PCI_RD32 PCI(1, 0, 0x08)
        shr eax, 8
        CHECK eax, 0x060100, "00:01.0 class 060100 (ISA bridge)"
        PCI_RD8 PCI(1, 0, 0x0E)
        CHECK eax, 0x80, "00:01.0 header type 80h: multi-function"
        PCI_RD32 PCI(1, 1, 0x00)
        CHECK eax, 0x70108086, "00:01.1 is the PIIX3 IDE 8086:7010"
        PCI_RD32 PCI(1, 1, 0x08)
        shr eax, 8
        CHECK eax, 0x010180, "00:01.1 class 010180 (IDE, bus master, legacy mode)"
        PCI_RD32 PCI(2, 0, 0x00)
        CHECK eax, 0x11111234, "00:02.0 is the VGA 1234:1111"
        PCI_RD32 PCI(2, 0, 0x08)
        shr eax, 8
        CHECK eax, 0x030000, "00:02.0 class 030000 (VGA)"
        PCI_RD32 PCI(3, 0, 0x00)
        CHECK eax, 0xFFFFFFFF, "00:03.0 is empty: reads FFFFFFFFh"
        PCI_RD32 PCI(0, 0, 0x00) | (1 << 16)
        CHECK eax, 0xFFFFFFFF, "bus 1 does not exist: reads FFFFFFFFh"

        ; === the PIIX3 IDE: BAR4, the bus master, IDETIM =====================
        PCI_RD8 PCI(1, 1, 0x41)
        and eax, 0x80
        CHECK eax, 0x80, "IDE IDETIM 41h bit 7: primary channel decode enabled"
        PCI_RD8 PCI(1, 1, 0x43)
        and eax, 0x80
        CHECK eax, 0x80, "IDE IDETIM 43h bit 7: secondary channel decode enabled"
        PCI_WR32 PCI(1, 1, 0x20), 0xFFFFFFFF
        PCI_RD32 PCI(1, 1, 0x20)
        CHECK eax, 0xFFFFFFF1, "IDE BAR4 sizing: 16 bytes of I/O"
        PCI_WR32 PCI(1, 1, 0x20), BM_BASE
        PCI_RD32 PCI(1, 1, 0x20)
        CHECK eax, BM_BASE | 1, "IDE BAR4 holds C000h (I/O space bit set)"
        PCI_WR16 PCI(1, 1, 0x04), 0x0001    ; I/O space enable
        mov dx, BM_BASE + 2                 ; BMISX, primary channel
        mov al, 0x60                        ; drive 0 and 1 DMA capable
        out dx, al
        in al, dx
        CHECK8 al, 0x60, "BMISX at C002h: bits 5-6 (DMA capable) written and read"
        xor al, al
        out dx, al
        in al, dx
        CHECK8 al, 0x00, "BMISX at C002h: written 0, reads 0"
        mov dx, BM_BASE + 0x0A              ; BMISX, secondary channel
        mov al, 0x20
        out dx, al
        in al, dx
        CHECK8 al, 0x20, "BMISX at C00Ah (secondary): bit 5 written and read"
        mov dx, BM_BASE + 4                 ; BMIDTP, primary channel
        mov eax, 0x00123450
        out dx, eax
        in eax, dx
        CHECK eax, 0x00123450, "BMIDTP at C004h: the PRD table pointer"
        PCI_WR16 PCI(1, 1, 0x04), 0x0000    ; I/O space off
        mov dx, BM_BASE + 2
        in al, dx
        CHECK8 al, 0xFF, "I/O enable off: nothing answers at C002h (FFh)"

        ; === the VGA's BARs ===================================================
        PCI_WR32 PCI(2, 0, 0x10), 0xFFFFFFFF
        PCI_RD32 PCI(2, 0, 0x10)
        CHECK eax, 0xFF000008, "VGA BAR0 sizing: 16 MiB prefetchable memory"
        ; The expansion ROM BAR: bit 0 (the decode enable) is writable, the
        ; address bits below the size read 0: SeaVGABIOS (39936 bytes) is
        ; rounded up to 64 KiB.
        PCI_WR32 PCI(2, 0, 0x30), 0xFFFFFFFF
        PCI_RD32 PCI(2, 0, 0x30)
        CHECK eax, 0xFFFF0001, "VGA ROM BAR sizing: 64 KiB (the enable bit read back)"
        PCI_WR32 PCI(2, 0, 0x10), LFB_BASE
        PCI_WR32 PCI(2, 0, 0x30), VGAROM_BASE | 1
        PCI_RD32 PCI(2, 0, 0x30)
        CHECK eax, VGAROM_BASE | 1, "VGA ROM BAR holds FEB00000h, enabled"
        PCI_WR16 PCI(2, 0, 0x04), 0x0002    ; memory space enable
        call enter_unreal
        mov esi, VGAROM_BASE
        mov ax, [esi]
        CHECK16 ax, 0xAA55, "VGA ROM at FEB00000h starts with 55h AAh"
        mov edi, LFB_BASE + 0x100000
        mov dword [edi], 0x5AA5C33C
        mov eax, [edi]
        CHECK eax, 0x5AA5C33C, "VGA frame buffer at FD000000h (BAR0) keeps a write"
        PCI_WR32 PCI(2, 0, 0x30), VGAROM_BASE   ; ROM decode off
        mov eax, [esi]
        CHECK eax, 0xFFFFFFFF, "VGA ROM enable bit off: nothing at FEB00000h"
        PCI_WR16 PCI(2, 0, 0x04), 0x0000    ; memory space off
        mov eax, [edi]
        CHECK eax, 0xFFFFFFFF, "VGA memory enable off: nothing at FD100000h"

        ; === PAM: the 16 KiB at C0000h (PAM1 5Ah, low nibble) ================
        ; The guest runs from F0000h (PAM0): that register stays untouched.
        PCI_RD8 PCI(0, 0, 0x5A)
        CHECK eax, 0x00, "PAM1 reads 0 at reset"
        mov ax, 0xC000
        mov es, ax
        PCI_WR8 PCI(0, 0, 0x5A), 0x03       ; RE | WE: shadow RAM
        mov dword [es:0], 0x11223344
        CHECK dword [es:0], 0x11223344, "PAM C0000h mode 3 (RE|WE): RAM reads back a write"
        PCI_WR8 PCI(0, 0, 0x5A), 0x01       ; RE: write protected
        mov dword [es:0], 0x55667788
        CHECK dword [es:0], 0x11223344, "PAM C0000h mode 1 (RE): the write is dropped"
        PCI_WR8 PCI(0, 0, 0x5A), 0x00       ; reads and writes to PCI
        ; Nothing decodes C0000h on the PCI side here: i440fx.h says the
        ; plain RAM shows through (the same RAM as the shadow).
        CHECK dword [es:0], 0x11223344, "PAM C0000h mode 0: plain RAM shows through (i440fx.h)"
        PCI_WR8 PCI(0, 0, 0x5A), 0x02       ; WE: writes go to the shadow RAM
        mov dword [es:0], 0x99AABBCC
        CHECK dword [es:0], 0x99AABBCC, "PAM C0000h mode 2 (WE): reads find the same plain RAM"
        PCI_WR8 PCI(0, 0, 0x5A), 0x03
        CHECK dword [es:0], 0x99AABBCC, "PAM C0000h mode 2 wrote the shadow RAM (seen in mode 3)"
        PCI_WR8 PCI(0, 0, 0x5A), 0x00
        xor ax, ax
        mov es, ax

        ; === the PIIX3 ISA bridge: PIRQ routing, ELCR =========================
        PCI_RD32 PCI(1, 0, 0x60)
        CHECK eax, 0x80808080, "PIRQRC A-D (60h-63h) read 80h at reset: not routed"
        PCI_WR8 PCI(1, 0, 0x60), 0x0B
        PCI_RD8 PCI(1, 0, 0x60)
        CHECK eax, 0x0B, "PIRQRC A takes 0Bh (IRQ 11)"
        PCI_WR8 PCI(1, 0, 0x60), 0x80
        mov dx, 0x4D0
        mov al, 0xFF
        out dx, al
        inc dx
        out dx, al
        in al, dx
        CHECK8 al, 0xDE, "ELCR2 (4D1h) FFh written: IRQ 8 and 13 stay edge (DEh)"
        dec dx
        in al, dx
        CHECK8 al, 0xF8, "ELCR1 (4D0h) FFh written: IRQ 0, 1, 2 stay edge (F8h)"
        xor al, al
        out dx, al
        inc dx
        mov al, 0x0C
        out dx, al
        in al, dx
        CHECK8 al, 0x0C, "ELCR2 (4D1h): IRQ 10 and 11 level"
        dec dx
        in al, dx
        CHECK8 al, 0x00, "ELCR1 (4D0h): written 0, reads 0"
        inc dx
        xor al, al
        out dx, al

        ; === CMOS: memory, drives, boot order, checksum ======================
        CMOS_READ 0x17
        mov ebx, eax
        CMOS_READ 0x18
        shl eax, 8
        or eax, ebx
        CHECK eax, 31 * 1024, "CMOS 17h-18h: 31744 KiB of extended memory (-m 32)"
        CMOS_READ 0x34
        mov ebx, eax
        CMOS_READ 0x35
        shl eax, 8
        or eax, ebx
        CHECK eax, (32 - 16) * 16, "CMOS 34h-35h: 256 x 64 KiB above 16 MiB"
        CMOS_READ 0x10
        CHECK eax, 0x40, "CMOS 10h: drive A 1.44 MB (4), no drive B"
        CMOS_READ 0x14
        and eax, 0xC1
        CHECK eax, 0x01, "CMOS 14h: floppy drives present, one of them (bits 7-6 = 0)"
        CMOS_READ 0x12
        CHECK eax, 0xF0, "CMOS 12h: disk 0 type 15 (user-defined, see 19h), no disk 1"
        CMOS_READ 0x19
        CHECK eax, 47, "CMOS 19h: disk 0 extended type 47"
        ; 64 MiB = 131072 sectors / (16 heads * 63 sectors) = 130 cylinders
        CMOS_READ 0x1B
        CHECK eax, 130, "CMOS 1Bh: disk 0 cylinders low (130)"
        CMOS_READ 0x1C
        CHECK eax, 0, "CMOS 1Ch: disk 0 cylinders high"
        CMOS_READ 0x1D
        CHECK eax, 16, "CMOS 1Dh: disk 0 heads (16)"
        CMOS_READ 0x1E
        CHECK eax, 0xFF, "CMOS 1Eh: write precompensation low (none)"
        CMOS_READ 0x1F
        CHECK eax, 0xFF, "CMOS 1Fh: write precompensation high (none)"
        CMOS_READ 0x20
        CHECK eax, 0x08, "CMOS 20h: control byte 08h (more than 8 heads)"
        CMOS_READ 0x21
        CHECK eax, 130, "CMOS 21h: landing zone low (130)"
        CMOS_READ 0x22
        CHECK eax, 0, "CMOS 22h: landing zone high"
        CMOS_READ 0x23
        CHECK eax, 63, "CMOS 23h: disk 0 sectors per track (63)"
        CMOS_READ 0x3D
        CHECK eax, 0x21, "CMOS 3Dh: boot order a (1) then c (2)"
        CMOS_READ 0x38
        CHECK eax, 0x00, "CMOS 38h: no third boot device, boot signature checked"
        xor ebx, ebx                        ; the checksum: sum of 10h-2Dh
        mov cl, 0x10
.cmos_sum:
        mov al, cl
        out 0x70, al
        in al, 0x71
        movzx eax, al
        add ebx, eax
        inc cl
        cmp cl, 0x2E
        jb .cmos_sum
        CMOS_READ 0x2E
        shl eax, 8
        mov edx, eax
        CMOS_READ 0x2F
        or eax, edx
        CHECK eax, ebx, "CMOS 2Eh-2Fh: the checksum of 10h-2Dh"

        ; === fw_cfg ===========================================================
        mov ax, 0x00                        ; FW_CFG_SIGNATURE
        call fw_select
        mov di, SCRATCH
        mov cx, 4
        call fw_read
        CHECK dword [SCRATCH], 'QEMU', "fw_cfg key 0: signature QEMU"
        mov ax, 0x03                        ; FW_CFG_RAM_SIZE, 64-bit LE
        call fw_select
        mov di, SCRATCH
        mov cx, 8
        call fw_read
        CHECK dword [SCRATCH], 0x02000000, "fw_cfg key 3: RAM size low dword (32 MiB)"
        CHECK dword [SCRATCH + 4], 0, "fw_cfg key 3: RAM size high dword"
        mov ax, 0x05                        ; FW_CFG_NB_CPUS, 16-bit LE
        call fw_select
        mov di, SCRATCH
        mov cx, 2
        call fw_read
        CHECK16 word [SCRATCH], 1, "fw_cfg key 5: one CPU"
        call fw_find_e820
        movzx eax, word [FW_KEY]
        cmp eax, 0x20
        CHECK_CC ae, "fw_cfg directory (key 19h) lists etc/e820 (key 20h or above)"
        CHECK dword [FW_SIZE], 20, "fw_cfg etc/e820: one 20-byte entry"
        mov ax, [FW_KEY]
        call fw_select
        mov di, SCRATCH
        mov cx, 20
        call fw_read
        CHECK dword [SCRATCH], 0, "etc/e820 entry 0: base low 0"
        CHECK dword [SCRATCH + 4], 0, "etc/e820 entry 0: base high 0"
        CHECK dword [SCRATCH + 8], 0x02000000, "etc/e820 entry 0: length 32 MiB"
        CHECK dword [SCRATCH + 12], 0, "etc/e820 entry 0: length high 0"
        CHECK dword [SCRATCH + 16], 1, "etc/e820 entry 0: type 1 (RAM)"

        FINISH

; === Routines ================================================================

; pci_rd32: EAX = the config dword at CONFADD EBX (low 2 bits ignored).
pci_rd32:
        push dx
        mov eax, ebx
        and al, 0xFC
        mov dx, 0xCF8
        out dx, eax
        mov dx, 0xCFC
        in eax, dx
        pop dx
        ret

; pci_rd16 / pci_rd8: EAX = the word / byte at CONFADD EBX (its low 2 bits
; pick the data port byte).
pci_rd16:
        push dx
        call pci_select
        in ax, dx
        movzx eax, ax
        pop dx
        ret

pci_rd8:
        push dx
        call pci_select
        in al, dx
        movzx eax, al
        pop dx
        ret

; pci_wr32 / pci_wr16 / pci_wr8: writes EAX / AX / AL at CONFADD EBX.
pci_wr32:
        push dx
        push eax
        mov eax, ebx
        and al, 0xFC
        mov dx, 0xCF8
        out dx, eax
        pop eax
        mov dx, 0xCFC
        out dx, eax
        pop dx
        ret

pci_wr16:
        push dx
        call pci_select
        out dx, ax
        pop dx
        ret

pci_wr8:
        push dx
        call pci_select
        out dx, al
        pop dx
        ret

; pci_select: writes CONFADD from EBX (dword aligned) and returns in DX the
; data port for EBX's byte offset (CFCh-CFFh). Keeps EAX.
pci_select:
        push eax
        mov eax, ebx
        and al, 0xFC
        mov dx, 0xCF8
        out dx, eax
        mov dx, bx
        and dx, 3
        add dx, 0xCFC
        pop eax
        ret

; enter_unreal: DS and ES get a 4 GiB limit (base 0) and real mode again
; ("unreal mode", Intel SDM Vol. 3 20.1.1: a real-mode segment load keeps
; the hidden limit). Interrupts stay off. A20 on (port 92h) first.
enter_unreal:
        push eax
        push bx
        in al, PORT_92
        and al, 0xFE                        ; never the reset bit
        or al, 0x02
        out PORT_92, al
        o32 lgdt [cs:unreal_gdt_ptr]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        mov bx, 0x08
        mov ds, bx
        mov es, bx
        and al, 0xFE
        mov cr0, eax
        xor bx, bx
        mov ds, bx
        mov es, bx
        pop bx
        pop eax
        ret

        align 8
unreal_gdt:
        dq 0
        dq 0x00CF93000000FFFF               ; data, base 0, 4 GiB, accessed
unreal_gdt_ptr:
        dw 15
        dd 0xF0000 + unreal_gdt

; fw_select: selects fw_cfg item AX (a 16-bit write to 510h).
fw_select:
        push dx
        mov dx, 0x510
        out dx, ax
        pop dx
        ret

; fw_read: reads CX bytes of the selected item into ES:DI (DI advances).
fw_read:
        push ax
        push cx
        push dx
        mov dx, 0x511
.next:  jcxz .done
        in al, dx
        stosb
        dec cx
        jmp .next
.done:  pop dx
        pop cx
        pop ax
        ret

; fw_be32: EAX = the next 4 bytes of the selected item, big-endian.
fw_be32:
        push cx
        push dx
        mov dx, 0x511
        xor eax, eax
        mov cx, 4
.next:  shl eax, 8
        in al, dx
        loop .next
        pop dx
        pop cx
        ret

; fw_find_e820: walks the file directory (key 19h: BE32 count, then per
; file BE32 size, BE16 key, BE16 reserved, name[56]) and stores the key
; and size of "etc/e820" in FW_KEY and FW_SIZE (0 if it is not there).
fw_find_e820:
        pushad
        mov word [FW_KEY], 0
        mov dword [FW_SIZE], 0
        mov ax, 0x19
        call fw_select
        call fw_be32
        mov [FW_FILES], eax
        mov ecx, eax
        cmp ecx, 256                        ; a bound for a broken count
        jbe .count
        mov ecx, 256
.count: jecxz .done
.entry: call fw_be32
        mov ebx, eax                        ; size
        call fw_be32
        shr eax, 16
        mov bp, ax                          ; key
        mov di, SCRATCH
        push cx
        mov cx, 56
        call fw_read
        pop cx
        mov si, e820_name
        mov di, SCRATCH
.cmp:   mov al, [cs:si]
        cmp al, [di]
        jne .next
        inc si
        inc di
        test al, al
        jnz .cmp
        mov [FW_KEY], bp
        mov [FW_SIZE], ebx
.next:  dec ecx
        jnz .entry
.done:  popad
        ret

e820_name:
        db "etc/e820", 0

        ROM_END
