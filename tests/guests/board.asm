; board.asm - the PC board devices as the machine wires them: the MC146818
; RTC/CMOS at ports 70h/71h (status registers, the CMOS memory-size bytes
; the machine fills, the fixed date that --icount gives, time advancing
; with the virtual clock) and the 8042 keyboard controller at 60h/64h
; (self test, the command byte, the output port's A20 line).

%include "common.inc"

; cmos_read reg: AL = CMOS[reg] (NMI left enabled).
%macro CMOS_READ 1
        mov al, %1
        out 0x70, al
        in al, 0x71
        movzx eax, al
%endmacro

start:
        GUEST_INIT
        PRINTLN "board: RTC/CMOS and the 8042"

        ; === RTC status registers and the CMOS memory bytes ==================
        CMOS_READ 0x0D
        CHECK eax, 0x80, "RTC register D: valid RAM and time (VRT)"
        CMOS_READ 0x0A
        and eax, 0x7F                   ; UIP may be set at any moment
        CHECK eax, 0x26, "RTC register A: 32.768 kHz time base, 1024 Hz rate"
        CMOS_READ 0x0B
        CHECK eax, 0x02, "RTC register B: 24-hour BCD, no interrupts"
        CMOS_READ 0x15
        mov ebx, eax
        CMOS_READ 0x16
        shl eax, 8
        or eax, ebx
        CHECK eax, 640, "CMOS 15h-16h: 640 KiB base memory"
        CMOS_READ 0x17
        mov ebx, eax
        CMOS_READ 0x18
        shl eax, 8
        or eax, ebx
        CHECK eax, 0xFFFF, "CMOS 17h-18h: extended memory in KiB, capped at 65535 (-m 128)"
        CMOS_READ 0x34
        mov ebx, eax
        CMOS_READ 0x35
        shl eax, 8
        or eax, ebx
        CHECK eax, (128 - 16) * 16, "CMOS 34h-35h: memory above 16 MiB in 64 KiB units"

        ; === the date: --icount starts the RTC at 2000-01-01 00:00:00 UTC ====
        CMOS_READ 0x32
        CHECK eax, 0x20, "CMOS 32h: century 20 (BCD)"
        CMOS_READ 0x09
        CHECK eax, 0x00, "RTC year 00 (BCD)"
        CMOS_READ 0x08
        CHECK eax, 0x01, "RTC month 01"
        CMOS_READ 0x07
        CHECK eax, 0x01, "RTC day 01"

        ; === the time advances with the virtual clock: wait for the seconds
        ; register to change (a busy loop: the clock runs on instructions)
        CMOS_READ 0x00
        mov bl, al
        mov ecx, 200000000
.tick:  CMOS_READ 0x00
        cmp al, bl
        jne .ticked
        dec ecx
        jnz .tick
.ticked:
        mov edx, ecx
        xor eax, eax
        test edx, edx
        setnz al
        CHECK eax, 1, "RTC seconds advance with the virtual clock"

        ; === the 8042 ========================================================
        mov al, 0xAA                    ; controller self test
        out 0x64, al
        call kbc_read
        CHECK eax, 0x55, "8042 self test: 55h"
        mov al, 0x20                    ; read the command byte
        out 0x64, al
        call kbc_read
        mov ebx, eax
        mov al, 0x60                    ; write it back with translation and
        out 0x64, al                    ; the keyboard interrupt off
        mov al, 0x40
        out 0x60, al
        mov al, 0x20
        out 0x64, al
        call kbc_read
        CHECK eax, 0x40, "8042 command byte round trip"

        ; A20 through the output port: off (DDh), then the alias shows, on (DFh)
        mov byte [0x6000], 0x11
        mov ax, 0xFFFF
        mov es, ax
        mov byte [es:0x6010], 0x22      ; 1 MiB + 6000h while A20 is on
        mov al, 0xDD
        out 0x64, al
        mov al, [es:0x6010]             ; A20 off: this is 0000:6000
        movzx eax, al
        CHECK eax, 0x11, "8042 command DDh: A20 off, FFFF:6010 aliases 0000:6000"
        mov al, 0xDF
        out 0x64, al
        mov al, [es:0x6010]
        movzx eax, al
        CHECK eax, 0x22, "8042 command DFh: A20 on again"
        xor ax, ax
        mov es, ax

        FINISH

; kbc_read: waits for the output buffer, returns the byte in EAX.
kbc_read:
        mov ecx, 1000000
.wait:  in al, 0x64
        test al, 1
        jnz .full
        dec ecx
        jnz .wait
.full:  in al, 0x60
        movzx eax, al
        ret

        ROM_END
