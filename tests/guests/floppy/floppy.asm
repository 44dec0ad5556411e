; floppy.asm - a bootable 1.44 MB floppy image for Brisk's SeaBIOS floppy
; boot test (tests/guests/floppy.cmake builds and runs it; run_floppy.sh
; drives brisk and checks the outcome).
;
; SeaBIOS loads the boot sector (LBA 0) at 0000:7C00 and jumps to it with DL
; = the boot drive. The boot sector prints a banner through INT 10h AH=0Eh
; (teletype) and on COM1, then reads LBA 1..40 one sector per INT 13h
; AH=02h call (CHS computed for 18 sectors per track and 2 heads, so the
; reads cross a head boundary at LBA 18 and a cylinder boundary at LBA 36)
; to 0000:7E00, checks that stage 2 (LBA 1..6) arrived whole by its magic
; numbers and jumps to it. Stage 2 runs the checks, each a line "PASS ..."
; or "FAIL ..." on the screen (INT 10h teletype) and on COM1, then a line
; "DONE: N passed, M failed", and exits through the exit device at port
; 0xF4 with 0 when every check passed (brisk and QEMU's isa-debug-exit then
; exit with status 1), 1 otherwise.
;
; The image (org 0x7C00, so that stage 2's addresses are where the boot
; sector loads it):
;   LBA 0            boot sector (55AA)
;   LBA 1..6         stage 2
;   LBA 7..143       pattern sectors
;   LBA 144..2861    zeros
;   LBA 2862..2879   pattern sectors (the last track: C79/H1/S1..18)
; Word k (0..255) of the pattern sector at LBA L is (L + k * 0x0101) mod
; 65536: word 0 is the LBA itself, and no two words of the image's pattern
; sectors are equal at the same offset, so a sector read from the wrong
; place, or in the wrong order, is caught.
;
; Checks of stage 2 (one PASS line each):
;   - the sectors the boot sector loaded hold the pattern (LBA 7..40)
;   - DL was 00h at boot
;   - INT 10h AH=0Fh: mode 03h, 80 columns, page 0
;   - INT 13h AH=08h: drive type 4 (1.44M), 80 cylinders, 2 heads, 18
;     sectors per track, 1 floppy drive; ES:DI's diskette parameter table
;     says 18 sectors per track and 512-byte sectors
;   - INT 13h AH=15h: a floppy drive (AH=01h without change line or 02h
;     with it)
;   - INT 13h AH=00h resets with status 00h; AH=01h then reports 00h
;   - INT 13h AH=02h, one sector per call, LBA 41..116 (C1/H0/S6 ..
;     C3/H0/S9: two head and two cylinder boundaries)
;   - INT 13h AH=02h, 9 sectors in one call: C3/H0/S10..18 (to the end of a
;     track)
;   - INT 13h AH=02h, a whole track in one call: C3/H1/S1..18
;   - INT 13h AH=02h, the last track of the disk: C79/H1/S1..18
;   - INT 13h AH=02h of sector 19 is refused (CF set, AH not 00h) and AH=01h
;     reports the same status
; With -DWRITE_TEST one more: INT 13h AH=03h writes a text to C5/H1/S3
; (LBA 200), AH=02h reads it back the same. The text, "BRISK FLOPPY WRITE
; TEST", is stored with each byte + 1, so the image file holds it in clear
; only once the guest wrote it (run_floppy.sh --image-grep checks that).
;
; With -DNO_EXIT the guest halts at the end instead of exiting, so that the
; text screen can be inspected on QEMU (e.g. with its monitor's pmemsave
; 0xb8000).
;
; No BIOS parameter block: SeaBIOS only wants the 55AA signature.

        bits 16
        cpu 686
        org 0x7C00

SPT             equ 18              ; 1.44M: 80 cylinders, 2 heads, 18 sectors
HEADS           equ 2
CYLS            equ 80
IMG_SECTORS     equ CYLS * HEADS * SPT
STAGE2_SECTORS  equ 6               ; LBA 1..6
BOOT_LOAD       equ 40              ; the boot sector loads LBA 1..40
PAT_FIRST       equ 1 + STAGE2_SECTORS
PAT_LAST        equ 143
LAST_TRACK      equ IMG_SECTORS - SPT
WRITE_LBA       equ 200             ; C5/H1/S3
MAGIC1          equ 0x32534B42      ; "BKS2"
MAGIC2          equ 0x444E4532      ; "2END"

; RAM (segment 0)
BOOT_DRIVE      equ 0x0600          ; byte: DL at boot
PASSES          equ 0x0602          ; word
FAILS           equ 0x0604          ; word
BAD_LBA         equ 0x0606          ; word: verify's first mismatch: its LBA,
BAD_OFF         equ 0x0608          ; word: byte offset in the sector,
BAD_GOT         equ 0x060A          ; word: the word found there
R_AX            equ 0x0610          ; words: registers after an INT 13h call
R_BX            equ 0x0612
R_CX            equ 0x0614
R_DX            equ 0x0616
R_FL            equ 0x0618
R_ES            equ 0x061A
R_DI            equ 0x061C
BUF1_SEG        equ 0x1000          ; single-sector reads (76 sectors)
BUF2_SEG        equ 0x2000          ; multi-sector reads (up to 18 sectors)
BUF3_SEG        equ 0x3000          ; the write test

COM1            equ 0x3F8
EXIT_PORT       equ 0xF4

; ============================================================================
; LBA 0: the boot sector
; ============================================================================
boot:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        cld
        jmp 0:.cs0                  ; CS = 0 whatever the BIOS used
.cs0:   sti
        mov [BOOT_DRIVE], dl
        call uart_init
        mov si, s_banner
        call puts

        ; LBA 1..BOOT_LOAD to 0000:7E00, one sector per call.
        mov di, 1                   ; LBA
        mov bx, 0x7E00
.load:  mov ax, di
        call lba_chs
        mov dl, [BOOT_DRIVE]
        mov ax, 0x0201
        int 0x13
        jc .bad_read
        cmp ax, 0x0001              ; AH = 0 status, AL = 1 sector read
        jne .bad_read
        add bx, 512
        inc di
        cmp di, BOOT_LOAD
        jbe .load

        cmp dword [stage2], MAGIC1
        jne .bad_magic
        cmp dword [stage2_end - 4], MAGIC2
        jne .bad_magic
        jmp stage2_main

.bad_read:
        mov si, s_bad_read
        call puts
        call print_hex16            ; AX
        mov si, s_lba
        call puts
        mov ax, di
        call print_hex16
        jmp .fail
.bad_magic:
        mov si, s_bad_magic
        call puts
.fail:  call newline
        mov al, 1
        jmp exit

; lba_chs: AX = LBA -> CH = cylinder, CL = sector (1-based), DH = head.
; Keeps BX, DI and DL; changes AX.
lba_chs:
        push dx
        push bx
        xor dx, dx
        mov bx, SPT
        div bx                      ; AX = track, DX = sector - 1
        mov cl, dl
        inc cl
        mov bx, ax
        shr ax, 1                   ; cylinder (2 heads)
        mov ch, al
        and bl, 1                   ; head
        pop ax                      ; the caller's BX
        pop dx
        mov dh, bl
        mov bx, ax
        ret

; uart_init: COM1 at 115200 baud (divisor 1), 8N1, FIFOs on, no interrupts.
; SeaBIOS may have set it up already: the guest does not rely on that.
uart_init:
        mov si, uart_regs
.reg:   lodsw                       ; AL = register, AH = value
        cmp al, 0xFF
        je .done
        movzx dx, al
        add dx, COM1
        mov al, ah
        out dx, al
        jmp .reg
.done:  ret

; putc: AL to the screen (INT 10h AH=0Eh, page 0) and to COM1 (after
; waiting for LSR bit 5, THR empty). Keeps every register.
putc:
        pusha
        mov ah, 0x0E
        mov bx, 0x0007
        push ax
        int 0x10
        pop ax
        mov ah, al
        mov dx, COM1 + 5
.wait:  in al, dx
        test al, 0x20
        jz .wait
        mov dx, COM1
        mov al, ah
        out dx, al
        popa
        ret

; puts: the NUL-terminated string at DS:SI (DS = 0). Keeps every register.
puts:
        push si
        push ax
.next:  lodsb
        test al, al
        jz .end
        call putc
        jmp .next
.end:   pop ax
        pop si
        ret

newline:
        push si
        mov si, s_crlf
        call puts
        pop si
        ret

; print_hex16 / print_hex8: AX / AL in hex. Keep every register.
print_hex16:
        xchg al, ah
        call print_hex8
        xchg al, ah
print_hex8:
        push ax
        shr al, 4
        call .digit
        pop ax
        push ax
        and al, 0x0F
        call .digit
        pop ax
        ret
.digit: add al, '0'
        cmp al, '9'
        jbe .out
        add al, 'A' - '9' - 1
.out:   jmp putc

; exit: AL to the exit device; halts if there is none (or with NO_EXIT).
exit:
%ifndef NO_EXIT
        out EXIT_PORT, al
%endif
.hang:  cli
        hlt
        jmp .hang

uart_regs:
        db 1, 0x00                  ; IER: no interrupts
        db 3, 0x80                  ; LCR: DLAB
        db 0, 0x01                  ; DLL: divisor 1 = 115200 baud
        db 1, 0x00                  ; DLM
        db 3, 0x03                  ; LCR: 8N1
        db 2, 0x07                  ; FCR: FIFOs on and cleared
        db 4, 0x03                  ; MCR: DTR, RTS
        db 0xFF, 0
s_banner:       db "Brisk floppy boot test: boot sector at 0000:7C00", 13, 10, 0
s_bad_read:     db "FAIL boot sector: INT 13h AH=02h returned AX=", 0
s_lba:          db "h at LBA ", 0
s_bad_magic:    db "FAIL boot sector: stage 2 loaded wrong (magic)", 0
s_crlf:         db 13, 10, 0

        times 510 - ($ - $$) db 0
        dw 0xAA55

; ============================================================================
; LBA 1..6: stage 2 (at 0000:7E00)
; ============================================================================
stage2:
        dd MAGIC1

; PASS_LINE "text": a PASS line.
%macro PASS_LINE 1+
        mov si, %%s
        call pass
        jmp %%e
%%s:    db %1, 0
%%e:
%endmacro

; FAIL_START "text": the start of a FAIL line (details and newline follow).
%macro FAIL_START 1+
        mov si, %%s
        call fail_start
        jmp %%e
%%s:    db %1, 0
%%e:
%endmacro

; SAY "text": prints it.
%macro SAY 1+
        push si
        mov si, %%s
        call puts
        pop si
        jmp %%e
%%s:    db %1, 0
%%e:
%endmacro

stage2_main:
        mov word [PASSES], 0
        mov word [FAILS], 0

; --- the sectors the boot sector loaded -------------------------------------
        xor ax, ax
        mov es, ax
        mov di, 0x7C00 + PAT_FIRST * 512
        mov ax, PAT_FIRST
        mov cx, BOOT_LOAD - PAT_FIRST + 1
        call verify
        jc .t1_bad
        PASS_LINE "boot sector: 40 single-sector reads, C0/H0/S2..C1/H0/S5"
        jmp .t2
.t1_bad:
        FAIL_START "boot sector loaded wrong data:"
        call print_bad
        call newline

; --- the boot drive ---------------------------------------------------------
.t2:    cmp byte [BOOT_DRIVE], 0
        jne .t2_bad
        PASS_LINE "boot drive DL=00h"
        jmp .t3
.t2_bad:
        FAIL_START "boot drive DL="
        mov al, [BOOT_DRIVE]
        call print_hex8
        SAY "h, expected 00h"
        call newline

; --- INT 10h AH=0Fh ----------------------------------------------------------
.t3:    mov ah, 0x0F
        int 0x10
        mov dx, ax
        and dl, 0x7F                ; bit 7: the last mode set kept memory
        cmp dx, 0x5003
        jne .t3_bad
        test bh, bh
        jnz .t3_bad
        PASS_LINE "INT 10h AH=0Fh: mode 03h, 80 columns, page 0"
        jmp .t4
.t3_bad:
        FAIL_START "INT 10h AH=0Fh: AX="
        call print_hex16
        SAY "h BH="
        mov al, bh
        call print_hex8
        SAY "h, expected AX=5003h BH=00h"
        call newline

; --- INT 13h AH=08h ----------------------------------------------------------
.t4:    push es
        xor di, di
        mov es, di
        mov ah, 0x08
        mov dl, [BOOT_DRIVE]
        int 0x13
        call save_regs
        pop es
        jc .t4_bad
        cmp word [R_AX], 0
        jne .t4_bad
        cmp bl, 4                   ; 1.44M
        jne .t4_bad
        cmp cx, ((CYLS - 1) << 8) | SPT
        jne .t4_bad
        cmp dx, ((HEADS - 1) << 8) | 1
        jne .t4_bad
        jmp .t4_dpt
.t4_bad:
        FAIL_START "INT 13h AH=08h:"
        call print_regs
        call newline
        jmp .t5
.t4_dpt:
        ; the diskette parameter table at ES:DI: byte 3 = sector size code
        ; (2: 512 bytes), byte 4 = sectors per track
        push es
        mov es, [R_ES]
        mov di, [R_DI]
        mov ax, [es:di + 3]
        pop es
        cmp ax, (SPT << 8) | 2
        jne .t4_dpt_bad
        PASS_LINE "INT 13h AH=08h: type 4, 80 cyl, 2 heads, 18 spt, 1 drive"
        jmp .t5
.t4_dpt_bad:
        FAIL_START "INT 13h AH=08h: parameter table bytes 3-4: "
        call print_hex16
        SAY "h, expected 1202h"
        call newline

; --- INT 13h AH=15h ----------------------------------------------------------
.t5:    mov ah, 0x15
        mov dl, [BOOT_DRIVE]
        int 0x13
        call save_regs
        jc .t5_bad
        cmp ah, 1
        je .t5_ok
        cmp ah, 2
        jne .t5_bad
.t5_ok: PASS_LINE "INT 13h AH=15h: a floppy drive"
        jmp .t6
.t5_bad:
        FAIL_START "INT 13h AH=15h:"
        call print_regs
        call newline

; --- INT 13h AH=00h, AH=01h ---------------------------------------------------
.t6:    mov ah, 0x00
        mov dl, [BOOT_DRIVE]
        int 0x13
        call save_regs
        jc .t6_bad
        test ah, ah
        jnz .t6_bad
        mov ah, 0x01
        mov dl, [BOOT_DRIVE]
        int 0x13
        call save_regs
        jc .t6_bad
        test ah, ah
        jnz .t6_bad
        PASS_LINE "INT 13h AH=00h reset: status 00h, AH=01h: 00h"
        jmp .t7
.t6_bad:
        FAIL_START "INT 13h AH=00h/01h:"
        call print_regs
        call newline

; --- single-sector reads across heads and cylinders --------------------------
.t7:    mov di, BOOT_LOAD + 1       ; LBA
        mov bp, BUF1_SEG
.t7_next:
        mov es, bp
        xor bx, bx
        mov ax, di
        call lba_chs
        mov dl, [BOOT_DRIVE]
        mov ax, 0x0201
        int 0x13
        call save_regs
        jc .t7_bad_read
        cmp ax, 0x0001
        jne .t7_bad_read
        add bp, 512 / 16
        inc di
        cmp di, 116
        jbe .t7_next
        mov ax, BUF1_SEG
        mov es, ax
        xor di, di
        mov ax, BOOT_LOAD + 1
        mov cx, 116 - BOOT_LOAD
        call verify
        jc .t7_bad_data
        PASS_LINE "INT 13h AH=02h: 76 single sectors C1/H0/S6..C3/H0/S9"
        jmp .t8
.t7_bad_read:
        FAIL_START "INT 13h AH=02h single sector, LBA "
        mov ax, di
        call print_hex16
        SAY "h:"
        call print_regs
        call newline
        jmp .t8
.t7_bad_data:
        FAIL_START "INT 13h AH=02h single sectors:"
        call print_bad
        call newline

; --- multi-sector reads --------------------------------------------------------
.t8:    mov cx, (3 << 8) | 10       ; C3/H0/S10
        mov dh, 0
        mov al, 9
        mov si, 117
        call read_verify
        jc .t9
        PASS_LINE "INT 13h AH=02h: 9 sectors in one call, C3/H0/S10..18"

.t9:    mov cx, (3 << 8) | 1        ; C3/H1/S1
        mov dh, 1
        mov al, 18
        mov si, 126
        call read_verify
        jc .t10
        PASS_LINE "INT 13h AH=02h: a track in one call, C3/H1/S1..18"

.t10:   mov cx, ((CYLS - 1) << 8) | 1 ; C79/H1/S1
        mov dh, 1
        mov al, 18
        mov si, LAST_TRACK
        call read_verify
        jc .t11
        PASS_LINE "INT 13h AH=02h: the last track, C79/H1/S1..18"

; --- a sector number beyond the track --------------------------------------------
.t11:   mov ax, BUF2_SEG
        mov es, ax
        xor bx, bx
        mov cx, SPT + 1             ; C0/S19
        mov dh, 0
        mov dl, [BOOT_DRIVE]
        mov ax, 0x0201
        int 0x13
        call save_regs
        jnc .t11_bad
        test ah, ah
        jz .t11_bad
        mov bl, ah                  ; the error status
        mov ah, 0x01
        mov dl, [BOOT_DRIVE]
        int 0x13
        call save_regs
        cmp ah, bl
        jne .t11_bad
        mov ah, 0x00                ; reset: clears the status
        mov dl, [BOOT_DRIVE]
        int 0x13
        PASS_LINE "INT 13h AH=02h of C0/H0/S19 refused, AH=01h agrees"
        jmp .t12
.t11_bad:
        FAIL_START "INT 13h AH=02h of C0/H0/S19 (then AH=01h):"
        call print_regs
        call newline

.t12:
%ifdef WRITE_TEST
        call write_test
%endif

; --- the summary -------------------------------------------------------------
        SAY "DONE: "
        mov ax, [PASSES]
        call print_dec
        SAY " passed, "
        mov ax, [FAILS]
        call print_dec
        SAY " failed", 13, 10
        xor al, al
        cmp word [FAILS], 0
        je .exit
        mov al, 1
.exit:  jmp exit

; ============================================================================
; stage 2's routines
; ============================================================================

; pass: "PASS " + the string at SI + CR LF; counts it.
pass:
        push si
        mov si, s_pass
        call puts
        pop si
        call puts
        call newline
        inc word [PASSES]
        ret

; fail_start: "FAIL " + the string at SI; counts it (the caller ends the line).
fail_start:
        push si
        mov si, s_fail
        call puts
        pop si
        call puts
        inc word [FAILS]
        ret

; save_regs: stores AX, BX, CX, DX, FLAGS, ES, DI for print_regs. Keeps
; every register and the flags.
save_regs:
        pushf
        mov [R_AX], ax
        mov [R_BX], bx
        mov [R_CX], cx
        mov [R_DX], dx
        mov [R_ES], es
        mov [R_DI], di
        push ax
        pushf
        pop ax
        mov [R_FL], ax
        pop ax
        popf
        ret

; print_regs: " AX=....h BX=....h CX=....h DX=....h CF=." from save_regs.
print_regs:
        push ax
        SAY " AX="
        mov ax, [R_AX]
        call print_hex16
        SAY "h BX="
        mov ax, [R_BX]
        call print_hex16
        SAY "h CX="
        mov ax, [R_CX]
        call print_hex16
        SAY "h DX="
        mov ax, [R_DX]
        call print_hex16
        SAY "h CF="
        mov ax, [R_FL]
        and al, 1
        add al, '0'
        call putc
        pop ax
        ret

; print_bad: " LBA ....h offset ....h: ....h" from verify's mismatch.
print_bad:
        push ax
        SAY " LBA "
        mov ax, [BAD_LBA]
        call print_hex16
        SAY "h offset "
        mov ax, [BAD_OFF]
        call print_hex16
        SAY "h holds "
        mov ax, [BAD_GOT]
        call print_hex16
        SAY "h"
        pop ax
        ret

; print_dec: AX in decimal. Keeps every register.
print_dec:
        pusha
        mov bx, 10
        xor cx, cx
.div:   xor dx, dx
        div bx
        push dx
        inc cx
        test ax, ax
        jnz .div
.out:   pop ax
        add al, '0'
        call putc
        loop .out
        popa
        ret

; verify: CX pattern sectors at ES:DI, the first at LBA AX, one after the
; other. CF clear if all hold the pattern; otherwise CF set and BAD_LBA,
; BAD_OFF, BAD_GOT describe the first mismatch. Keeps every register.
verify:
        pusha
        push es
        mov bx, di
.sector:
        mov dx, ax                  ; word 0 = the LBA
        xor si, si
.word:  cmp [es:bx + si], dx
        jne .bad
        add dx, 0x0101
        add si, 2
        cmp si, 512
        jb .word
        mov dx, es
        add dx, 512 / 16
        mov es, dx
        inc ax
        loop .sector
        pop es
        popa
        clc
        ret
.bad:   mov [BAD_LBA], ax
        mov [BAD_OFF], si
        mov dx, [es:bx + si]
        mov [BAD_GOT], dx
        pop es
        popa
        stc
        ret

; read_verify: reads AL sectors at CH/DH/CL (cylinder, head, sector) to
; BUF2_SEG:0000 in one INT 13h AH=02h call and checks them against the
; pattern of LBA SI onwards. Prints a FAIL line and sets CF on any error;
; the caller prints the PASS line.
read_verify:
        push es
        mov bx, BUF2_SEG
        mov es, bx
        xor bx, bx
        movzx bp, al                ; the count
        mov dl, [BOOT_DRIVE]
        mov ah, 0x02
        int 0x13
        call save_regs
        jc .bad_read
        test ah, ah
        jnz .bad_read
        movzx ax, al
        cmp ax, bp
        jne .bad_read
        xor di, di
        mov ax, si
        mov cx, bp
        call verify
        jc .bad_data
        pop es
        clc
        ret
.bad_read:
        FAIL_START "INT 13h AH=02h multi-sector read, CX/DX in:"
        call print_regs
        call newline
        pop es
        stc
        ret
.bad_data:
        FAIL_START "INT 13h AH=02h multi-sector read:"
        call print_bad
        call newline
        pop es
        stc
        ret

%ifdef WRITE_TEST
; write_test: writes the decoded text to WRITE_LBA, reads it back into the
; next 512 bytes of the buffer and compares.
write_test:
        mov ax, BUF3_SEG
        mov es, ax
        xor di, di                  ; fill 512 bytes with the text, decoded
        xor bx, bx
.fill:  mov al, [write_text + bx]
        dec al
        stosb
        inc bx
        cmp bx, write_text_len
        jb .fill2
        xor bx, bx
.fill2: cmp di, 512
        jb .fill
        mov cx, 512 / 2             ; clear the read-back buffer
        mov ax, 0xEEEE
        rep stosw
        mov ax, WRITE_LBA
        call lba_chs
        xor bx, bx
        mov dl, [BOOT_DRIVE]
        mov ax, 0x0301
        int 0x13
        call save_regs
        jc .bad_write
        cmp ax, 0x0001
        jne .bad_write
        mov ax, WRITE_LBA
        call lba_chs
        mov bx, 512
        mov dl, [BOOT_DRIVE]
        mov ax, 0x0201
        int 0x13
        call save_regs
        jc .bad_read
        cmp ax, 0x0001
        jne .bad_read
        push ds
        push es
        pop ds
        xor si, si
        mov di, 512
        mov cx, 512
        repe cmpsb
        pop ds
        jne .bad_data
        PASS_LINE "INT 13h AH=03h wrote C5/H1/S3, AH=02h read it back"
        ret
.bad_write:
        FAIL_START "INT 13h AH=03h write of C5/H1/S3:"
        call print_regs
        call newline
        ret
.bad_read:
        FAIL_START "INT 13h AH=02h read back of C5/H1/S3:"
        call print_regs
        call newline
        ret
.bad_data:
        FAIL_START "INT 13h AH=03h/02h: C5/H1/S3 read back differs"
        call newline
        ret

; "BRISK FLOPPY WRITE TEST, " with each byte + 1.
write_text:
%strcat WT "BRISK FLOPPY WRITE TEST, "
%strlen WT_LEN WT
%assign i 1
%rep WT_LEN
%substr ch WT i
        db ch + 1
%assign i i + 1
%endrep
write_text_len equ $ - write_text
%endif

s_pass: db "PASS ", 0
s_fail: db "FAIL ", 0

        times (1 + STAGE2_SECTORS) * 512 - 4 - ($ - $$) db 0
        dd MAGIC2
stage2_end:

; ============================================================================
; the pattern sectors and the rest of the disk
; ============================================================================
%macro PATTERN 2                    ; first LBA, last LBA
%assign lba %1
%rep %2 - %1 + 1
%assign w lba
%rep 256
        dw w & 0xFFFF
%assign w w + 0x0101
%endrep
%assign lba lba + 1
%endrep
%endmacro

        PATTERN PAT_FIRST, PAT_LAST
        times LAST_TRACK * 512 - ($ - $$) db 0
        PATTERN LAST_TRACK, IMG_SECTORS - 1
%if IMG_SECTORS * 512 != 1474560
%error "not a 1.44M image"
%endif
