; uart.asm - the 16550A UART at COM1 (3F8h, IRQ4) seen from the guest.
;
; Every serial driver (BIOS, DOS, Linux's 8250 driver) probes and programs
; the chip through these registers, so they must behave as the PC16550D
; datasheet says: the reset values, the scratch register, the divisor latch
; behind LCR.DLAB, LSR.THRE/TEMT, loopback mode (MCR bit 4: transmitted
; bytes come back in RBR, the modem outputs come back in MSR), overrun in
; 16450 mode, the FIFOs (FCR, IIR bits 7:6 = 11), and interrupts: received
; data (IER bit 0) and THR empty (IER bit 1) delivered through MCR.OUT2 and
; the PIC as IRQ4 (vector 0x24 after remapping), with IIR naming the cause.
;
; While COM1 is in loopback nothing can be printed on it, so the results
; are stored in RAM and checked after loopback is turned off; the debug
; console gets everything.

%include "common.inc"

V_RESET         equ VARS + 0x00     ; 5 bytes: IER IIR LCR MCR LSR after reset
V_DLL           equ VARS + 0x50
V_DLM           equ VARS + 0x51
V_LCR           equ VARS + 0x52
V_IER           equ VARS + 0x53
V_MSR_ON        equ VARS + 0x08
V_MSR_OFF       equ VARS + 0x09
V_LSR1          equ VARS + 0x0A     ; LSR after one loopback byte
V_RBR1          equ VARS + 0x0B
V_LSR2          equ VARS + 0x0C     ; LSR after the byte was read
V_OVR_LSR       equ VARS + 0x0D     ; LSR after two bytes, no FIFO
V_OVR_LSR2      equ VARS + 0x0E     ; LSR read again (OE clears on read)
V_OVR_RBR       equ VARS + 0x0F
V_FIFO_IIR      equ VARS + 0x10
V_FIFO_N        equ VARS + 0x12     ; word: bytes read back
V_FIFO_BUF      equ VARS + 0x20     ; 16 bytes
V_NOFIFO_IIR    equ VARS + 0x30
U_IRQS          equ VARS + 0x40     ; word: IRQ4 handler runs
U_IIR           equ VARS + 0x42     ; byte: IIR read by the handler
U_RBR           equ VARS + 0x43     ; byte: RBR read by the handler
U_IIR_AFTER     equ VARS + 0x44     ; byte: IIR after the handler

start:
        ; The reset values come first, before serial_init programs the chip.
        xor ax, ax
        mov ds, ax
        mov dx, UART_IER
        in al, dx
        mov [V_RESET + 0], al
        mov dx, UART_IIR
        in al, dx
        mov [V_RESET + 1], al
        mov dx, UART_LCR
        in al, dx
        mov [V_RESET + 2], al
        mov dx, UART_MCR
        in al, dx
        mov [V_RESET + 3], al
        mov dx, UART_LSR
        in al, dx
        mov [V_RESET + 4], al

        GUEST_INIT
        PRINTLN "uart: 16550A registers, loopback, FIFO and IRQ4"

        CHECK8 byte [V_RESET + 0], 0x00, "reset: IER = 00"
        CHECK8 byte [V_RESET + 1], 0x01, "reset: IIR = 01 (no interrupt, no FIFO)"
        CHECK8 byte [V_RESET + 2], 0x00, "reset: LCR = 00"
        ; The datasheet clears all of MCR at reset; QEMU sets OUT2 (bit 3).
        mov al, [V_RESET + 3]
        and al, 0xF7
        CHECK8 al, 0x00, "reset: MCR = 00 (OUT2 aside)"
        CHECK8 byte [V_RESET + 4], 0x60, "reset: LSR = 60 (THRE, TEMT)"

        ; --- scratch register -------------------------------------------------
        mov dx, UART_SCR
        mov al, 0x55
        out dx, al
        in al, dx
        CHECK8 al, 0x55, "scratch register holds 55"
        mov al, 0xAA
        out dx, al
        in al, dx
        CHECK8 al, 0xAA, "scratch register holds aa"

        ; --- divisor latch (LCR.DLAB) ----------------------------------------
        ; While DLAB is set, port +0 is DLL: nothing may be printed.
        mov dx, UART_LCR
        mov al, 0x83                ; DLAB + 8N1
        out dx, al
        mov dx, UART_RBR
        mov al, 0x34
        out dx, al                  ; DLL
        inc dx
        mov al, 0x12
        out dx, al                  ; DLM
        mov dx, UART_RBR
        in al, dx
        mov [V_DLL], al
        inc dx
        in al, dx
        mov [V_DLM], al
        mov dx, UART_LCR
        in al, dx
        mov [V_LCR], al
        mov al, 0x03                ; DLAB off: port +1 is IER again
        out dx, al
        mov dx, UART_IER
        in al, dx
        mov [V_IER], al
        call serial_init            ; back to divisor 1
        CHECK8 byte [V_DLL], 0x34, "divisor latch round trip: DLL"
        CHECK8 byte [V_DLM], 0x12, "divisor latch round trip: DLM"
        CHECK8 byte [V_LCR], 0x83, "LCR reads back 83"
        CHECK8 byte [V_IER], 0x00, "IER unchanged by the DLM write"

        ; --- LSR --------------------------------------------------------------
        mov dx, UART_LSR
        in al, dx
        and al, 0x60
        CHECK8 al, 0x60, "LSR: THRE and TEMT set when idle"

        ; --- loopback: modem lines -------------------------------------------
        mov byte [OUTMASK], OUT_DEBUGCON   ; COM1 is busy from here on
        mov dx, UART_MCR
        mov al, 0x1F                ; LOOP + OUT2 + OUT1 + RTS + DTR
        out dx, al
        mov dx, UART_MSR
        in al, dx
        mov [V_MSR_ON], al
        mov dx, UART_MCR
        mov al, 0x10                ; LOOP alone
        out dx, al
        mov dx, UART_MSR
        in al, dx
        mov [V_MSR_OFF], al

        ; --- loopback without FIFO: one byte, then an overrun -----------------
        mov dx, UART_FCR
        mov al, 0x00
        out dx, al
        call drain_rx
        mov dx, UART_THR
        mov al, 'L'
        out dx, al
        mov dx, UART_LSR
        in al, dx
        mov [V_LSR1], al
        mov dx, UART_RBR
        in al, dx
        mov [V_RBR1], al
        mov dx, UART_LSR
        in al, dx
        mov [V_LSR2], al
        mov dx, UART_THR
        mov al, 'a'
        out dx, al
        mov al, 'b'
        out dx, al
        mov dx, UART_LSR
        in al, dx
        mov [V_OVR_LSR], al
        in al, dx
        mov [V_OVR_LSR2], al
        mov dx, UART_RBR
        in al, dx
        mov [V_OVR_RBR], al
        mov dx, UART_IIR
        in al, dx
        mov [V_NOFIFO_IIR], al

        ; --- loopback with FIFOs: six bytes come back in order ----------------
        mov dx, UART_FCR
        mov al, 0x07                ; enable, clear both FIFOs
        out dx, al
        mov dx, UART_IIR
        in al, dx
        mov [V_FIFO_IIR], al
        mov si, fifo_msg
        mov dx, UART_THR
.send:  cs lodsb
        test al, al
        jz .sent
        out dx, al
        jmp .send
.sent:  mov di, V_FIFO_BUF
        xor cx, cx
.recv:  mov dx, UART_LSR
        in al, dx
        test al, 0x01               ; DR
        jz .done
        mov dx, UART_RBR
        in al, dx
        stosb
        inc cx
        cmp cx, 16
        jb .recv
.done:  mov [V_FIFO_N], cx
        mov byte [di], 0

        ; --- back to normal, then check ---------------------------------------
        call drain_rx
        call serial_init
        mov byte [OUTMASK], OUT_SERIAL | OUT_DEBUGCON

        mov al, [V_MSR_ON]
        and al, 0xF0
        CHECK8 al, 0xF0, "loopback MSR: DCD RI DSR CTS follow OUT2 OUT1 DTR RTS"
        mov al, [V_MSR_OFF]
        and al, 0xF0
        CHECK8 al, 0x00, "loopback MSR: all modem inputs off"
        mov al, [V_LSR1]
        and al, 0x01
        CHECK8 al, 0x01, "loopback: LSR.DR set after a byte"
        CHECK8 byte [V_RBR1], 'L', "loopback: RBR holds the byte sent"
        mov al, [V_LSR2]
        and al, 0x01
        CHECK8 al, 0x00, "loopback: LSR.DR clear after reading RBR"
        mov al, [V_OVR_LSR]
        and al, 0x03
        CHECK8 al, 0x03, "16450 mode: a second byte sets LSR.OE"
        mov al, [V_OVR_LSR2]
        and al, 0x02
        CHECK8 al, 0x00, "reading LSR clears OE"
        CHECK8 byte [V_OVR_RBR], 'b', "overrun: RBR holds the newest byte"
        mov al, [V_NOFIFO_IIR]
        and al, 0xC0
        CHECK8 al, 0x00, "FIFOs off: IIR bits 7:6 = 00"
        mov al, [V_FIFO_IIR]
        and al, 0xC0
        CHECK8 al, 0xC0, "FIFOs on: IIR bits 7:6 = 11"
        CHECK16 word [V_FIFO_N], 6, "FIFO loopback: 6 bytes came back"
        mov si, fifo_msg
        mov di, V_FIFO_BUF
        mov cx, 6
        push cs
        pop ds
        repe cmpsb
        push word 0
        pop ds
        CHECK_CC e, "FIFO loopback: the bytes came back in order"

        ; --- received data interrupt through the PIC --------------------------
        SET_VECTOR PIC1_BASE + 4, irq4
        in al, PIC1_DATA
        and al, 0xEF                ; unmask IRQ4
        out PIC1_DATA, al
        mov byte [OUTMASK], OUT_DEBUGCON
        mov dx, UART_FCR
        xor al, al                  ; 16450 mode: IIR = 04 for received data
        out dx, al
        mov dx, UART_MCR
        mov al, 0x18                ; LOOP + OUT2 (OUT2 gates the IRQ line)
        out dx, al
        call drain_rx
        mov word [U_IRQS], 0
        mov byte [U_IIR], 0xFF
        mov byte [U_RBR], 0
        mov dx, UART_IER
        mov al, 0x01                ; received data available
        out dx, al
        mov dx, UART_THR
        mov al, 0x5A
        out dx, al
        sti
        mov cx, 1000
.wait1: cmp word [U_IRQS], 0
        jne .got1
        loop .wait1
.got1:  cli
        mov dx, UART_IIR
        in al, dx
        mov [U_IIR_AFTER], al
        mov dx, UART_IER
        xor al, al
        out dx, al
        call drain_rx
        call serial_init
        mov byte [OUTMASK], OUT_SERIAL | OUT_DEBUGCON
        CHECK16 word [U_IRQS], 1, "RX interrupt: IRQ4 handler ran once"
        CHECK8 byte [U_IIR], 0x04, "RX interrupt: IIR = 04 in the handler"
        CHECK8 byte [U_RBR], 0x5A, "RX interrupt: the handler read the byte"
        CHECK8 byte [U_IIR_AFTER], 0x01, "RX interrupt: IIR = 01 after RBR was read"

        ; --- THR empty interrupt: raised when IER bit 1 is set ----------------
        mov dx, UART_FCR
        xor al, al
        out dx, al
        mov dx, UART_MCR
        mov al, 0x0B                ; OUT2 + RTS + DTR, no loopback
        out dx, al
        mov word [U_IRQS], 0
        mov byte [U_IIR], 0xFF
        mov dx, UART_IER
        mov al, 0x02                ; THR empty
        out dx, al
        sti
        mov cx, 1000
.wait2: cmp word [U_IRQS], 0
        jne .got2
        loop .wait2
.got2:  nop                         ; a second interrupt would come here
        nop
        cli
        mov dx, UART_IER
        xor al, al
        out dx, al
        call serial_init
        CHECK16 word [U_IRQS], 1, "THRE interrupt: IRQ4 handler ran once"
        CHECK8 byte [U_IIR], 0x02, "THRE interrupt: IIR = 02 in the handler"

        in al, PIC1_DATA
        or al, 0x10
        out PIC1_DATA, al
        FINISH

; drain_rx: reads RBR until LSR.DR is clear (at most 32 bytes).
drain_rx:
        push ax
        push cx
        push dx
        mov cx, 32
.more:  mov dx, UART_LSR
        in al, dx
        test al, 0x01
        jz .empty
        mov dx, UART_RBR
        in al, dx
        loop .more
.empty: pop dx
        pop cx
        pop ax
        ret

; irq4: reads IIR (which clears a THRE interrupt), reads RBR when IIR says
; received data, counts, EOI.
irq4:
        push ax
        push dx
        push ds
        push word 0
        pop ds
        mov dx, UART_IIR
        in al, dx
        mov [U_IIR], al
        and al, 0x0F
        cmp al, 0x04
        je .rx
        cmp al, 0x0C
        jne .count
.rx:    mov dx, UART_RBR
        in al, dx
        mov [U_RBR], al
.count: inc word [U_IRQS]
        PIC_EOI
        pop ds
        pop dx
        pop ax
        iret

fifo_msg: db "Brisk!", 0

        ROM_END
