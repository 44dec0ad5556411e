; demo.asm - Brisk's demo guest, the one the README's first command runs:
;
;     brisk -bios build/tests/guests/demo.bin -display none
;
; A tiny real-mode "firmware" that shows the machine is alive: it sets up
; COM1, prints a banner, the CPU's vendor and signature (CPUID), a few
; numbers computed at run time (Fibonacci numbers, primes from a sieve) and
; how many 1 kHz PIT interrupts a fixed busy loop took, then leaves through
; the exit device at port 0xF4 with value 0 (brisk's exit status is 1).
; With --icount the output is the same on every run.

%include "common.inc"

TICKS           equ VARS            ; dword: IRQ0 count
SIEVE           equ SCRATCH         ; 100 bytes, 1 = composite
BUSY_LOOPS      equ 1000000

start:
        GUEST_INIT

        PRINTLN "Brisk demo guest: real mode, COM1 at 3F8h, 115200 8N1"

        ; --- CPUID: vendor string and signature -----------------------------
        PRINT "CPU: "
        xor eax, eax
        cpuid
        push ecx                    ; the vendor is EBX, EDX, ECX
        push edx
        push ebx
        mov cx, 3
.vendor:
        pop eax
        mov dx, 4
.vchar: call putc
        shr eax, 8
        dec dx
        jnz .vchar
        loop .vendor
        mov eax, 1
        cpuid
        PRINT ", family "
        mov ebx, eax
        shr eax, 8
        and eax, 0x0F
        call print_dec
        PRINT " model "
        mov eax, ebx
        shr eax, 4
        and eax, 0x0F
        call print_dec
        PRINT " stepping "
        mov eax, ebx
        and eax, 0x0F
        call print_dec
        call newline

        ; --- Fibonacci numbers ----------------------------------------------
        PRINT "Fibonacci:"
        xor eax, eax                ; F(0)
        mov ebx, 1                  ; F(1)
        mov cx, 20
.fib:   push ax
        mov al, ' '
        call putc
        pop ax
        call print_dec
        xadd ebx, eax               ; eax = F(n+1), ebx = F(n) + F(n+1)
        loop .fib
        call newline

        ; --- primes below 100 (sieve of Eratosthenes in RAM) ----------------
        mov di, SIEVE
        mov cx, 100
        xor al, al
        rep stosb
        mov bx, 2
.sieve: cmp byte [SIEVE + bx], 0
        jne .next
        mov si, bx
        imul si, bx                 ; start at bx * bx
.mark:  cmp si, 100
        jae .next
        mov byte [SIEVE + si], 1
        add si, bx
        jmp .mark
.next:  inc bx
        cmp bx, 10
        jb .sieve
        PRINT "Primes below 100:"
        mov bx, 2
.prime: cmp byte [SIEVE + bx], 0
        jne .notp
        mov al, ' '
        call putc
        movzx eax, bx
        call print_dec
.notp:  inc bx
        cmp bx, 100
        jb .prime
        call newline

        ; --- PIT ticks over a busy loop -------------------------------------
        SET_VECTOR PIC1_BASE + 0, irq0
        mov dword [TICKS], 0
        mov al, 0x34                ; channel 0, lobyte/hibyte, mode 2
        out PIT_CMD, al
        mov ax, 1193                ; 1193182 Hz / 1193 = 1000.15 Hz
        out PIT_CH0, al
        mov al, ah
        out PIT_CH0, al
        in al, PIC1_DATA
        and al, 0xFE                ; unmask IRQ0
        out PIC1_DATA, al
        sti
        mov ecx, BUSY_LOOPS
.busy:  dec ecx
        jnz .busy
        cli
        PRINT "PIT: "
        mov eax, [TICKS]
        call print_dec
        PRINT " ticks of 1 ms during a busy loop of "
        mov eax, BUSY_LOOPS
        call print_dec
        PRINTLN " iterations"
        mov al, 0xFF
        out PIC1_DATA, al

        PRINTLN "Bye: writing 0 to port 0xF4"
        EXIT 0

irq0:
        push ds
        push word 0
        pop ds
        inc dword [TICKS]
        PIC_EOI
        pop ds
        iret

        ROM_END
