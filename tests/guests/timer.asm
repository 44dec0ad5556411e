; timer.asm - the 8254 PIT, IRQ0 through the PIC, HLT and the TSC.
;
; The "HLT with a timer interrupt" test: the PIT's channel 0 runs in mode 2
; at 1 kHz, IRQ0 is unmasked and the guest sits in `sti; hlt` until 100
; ticks have been counted. Every HLT must end with exactly one tick (only
; IRQ0 is unmasked) and the TSC must have advanced by about 100 ms: the
; emulator's virtual clock has to skip ahead while the CPU is halted (with
; --icount nothing else would make time pass). Also checked: the read-back
; status of channel 0, the counter latch command (channel 0 stays within
; 1..1193 in mode 2; a mode 0 count on channel 2 decreases), channel 2's
; gate and OUT on port 61h, and that a 10 ms one-shot on channel 2 spans
; about 10 channel 0 ticks.

%include "common.inc"

TICKS           equ VARS + 0x00     ; dword: IRQ0 count
HALTS           equ VARS + 0x04     ; dword: HLTs that returned
TSC0            equ VARS + 0x08     ; qword
TSC1            equ VARS + 0x10     ; qword
C0_A            equ VARS + 0x20     ; word: channel 0 latched counts
C0_B            equ VARS + 0x22
C2_A            equ VARS + 0x24     ; word: channel 2 latched counts
C2_B            equ VARS + 0x26
NTICKS          equ 100
DIVISOR         equ 1193            ; 1193182 Hz / 1193 = 1000.15 Hz

start:
        GUEST_INIT
        PRINTLN "timer: PIT channel 0 at 1 kHz, IRQ0, HLT, TSC"
        SET_VECTOR PIC1_BASE + 0, irq0

        ; --- channel 0: mode 2, lobyte/hibyte --------------------------------
        mov al, 0x34                ; channel 0, lobyte/hibyte, mode 2, binary
        out PIT_CMD, al
        mov ax, DIVISOR
        out PIT_CH0, al
        mov al, ah
        out PIT_CH0, al

        mov al, 0xE2                ; read-back: status only, channel 0
        out PIT_CMD, al
        in al, PIT_CH0
        and al, 0x3F                ; bit 7 = OUT, bit 6 = null count
        CHECK8 al, 0x34, "read-back status: lobyte/hibyte, mode 2, binary"

        ; --- latch command on channel 0 --------------------------------------
        call latch_ch0
        mov [C0_A], ax
        mov cx, 50
.d0:    loop .d0
        call latch_ch0
        mov [C0_B], ax
        mov ax, [C0_A]
        cmp ax, 1
        CHECK_CC ae, "channel 0 latched count >= 1"
        cmp ax, DIVISOR
        CHECK_CC be, "channel 0 latched count <= 1193"
        mov ax, [C0_B]
        cmp ax, 1
        CHECK_CC ae, "channel 0 second latched count >= 1"
        cmp ax, DIVISOR
        CHECK_CC be, "channel 0 second latched count <= 1193"

        ; --- channel 2, mode 0, counting down from FFFF -----------------------
        in al, PORT_B
        and al, 0xFC                ; speaker off
        or al, 0x01                 ; gate 2 on
        out PORT_B, al
        mov al, 0xB0                ; channel 2, lobyte/hibyte, mode 0
        out PIT_CMD, al
        mov al, 0xFF
        out PIT_CH2, al
        out PIT_CH2, al
        mov cx, 1000                ; a few microseconds: the count gets going
.d1:    loop .d1
        call latch_ch2
        mov [C2_A], ax
        mov cx, 2000
.d2:    loop .d2
        call latch_ch2
        mov [C2_B], ax
        mov ax, [C2_A]
        cmp ax, 0xFFFF
        CHECK_CC b, "channel 2 is counting (below FFFF)"
        cmp ax, [C2_B]
        CHECK_CC a, "channel 2 count decreases between two latches"
        in al, PORT_B
        and al, 0x20
        CHECK8 al, 0x00, "port 61h bit 5: channel 2 OUT low while counting"

        ; --- 100 ticks of HLT ---------------------------------------------------
        mov dword [TICKS], 0
        mov dword [HALTS], 0
        in al, PIC1_DATA
        and al, 0xFE                ; unmask IRQ0
        out PIC1_DATA, al
        rdtsc
        mov [TSC0], eax
        mov [TSC0 + 4], edx
.halt:  sti
        hlt                         ; STI's shadow: no interrupt before HLT
        cli
        inc dword [HALTS]
        cmp dword [TICKS], NTICKS
        jb .halt
        rdtsc
        mov [TSC1], eax
        mov [TSC1 + 4], edx
        CHECK dword [TICKS], NTICKS, "100 ticks counted"
        CHECK dword [HALTS], NTICKS, "every HLT ended with exactly one tick"
        mov eax, [TSC1]
        mov edx, [TSC1 + 4]
        sub eax, [TSC0]
        sbb edx, [TSC0 + 4]
        PRINT "TSC advanced by "
        call print_dec
        PRINTLN " over 100 ticks"
        test edx, edx
        CHECK_CC z, "TSC delta below 2^32"
        cmp eax, 50000000
        CHECK_CC a, "TSC advanced by more than 50000000 over 100 ms"

        ; --- a 10 ms one-shot on channel 2 spans about 10 ticks ---------------
        mov al, 0xB0                ; channel 2, mode 0
        out PIT_CMD, al
        mov ax, 11932               ; 10 ms
        out PIT_CH2, al
        mov al, ah
        out PIT_CH2, al
        mov dword [TICKS], 0
.wait2: sti
        hlt
        cli
        cmp dword [TICKS], 100      ; give up after 100 ms
        jae .out2
        in al, PORT_B
        test al, 0x20               ; channel 2 OUT went high: terminal count
        jz .wait2
.out2:  mov eax, [TICKS]
        PRINT "channel 2 one-shot of 10 ms took "
        call print_dec
        PRINTLN " ticks"
        cmp eax, 9
        CHECK_CC ae, "10 ms one-shot: at least 9 ticks"
        cmp eax, 11
        CHECK_CC be, "10 ms one-shot: at most 11 ticks"

        mov al, 0xFF
        out PIC1_DATA, al
        in al, PORT_B
        and al, 0xFC
        out PORT_B, al
        FINISH

; latch_ch0, latch_ch2: AX = the channel's count, latched by the counter
; latch command and read low byte first.
latch_ch0:
        mov al, 0x00                ; latch channel 0
        out PIT_CMD, al
        in al, PIT_CH0
        mov ah, al
        in al, PIT_CH0
        xchg al, ah
        ret

latch_ch2:
        mov al, 0x80                ; latch channel 2
        out PIT_CMD, al
        in al, PIT_CH2
        mov ah, al
        in al, PIT_CH2
        xchg al, ah
        ret

irq0:
        push ds
        push word 0
        pop ds
        inc dword [TICKS]
        PIC_EOI
        pop ds
        iret

        ROM_END
