; smc.asm - self-modifying code.
;
; An emulator that caches decoded or translated code must notice when the
; guest writes to it. On a P6 every store to code is seen by the very next
; instruction fetched after it (Intel SDM Vol. 3, 11.6: the processor
; checks stores against the prefetch queue and the trace cache), so DOS
; programs, packers and old games may patch code anywhere. Checked here:
;   (a) a store to the immediate of the very next instruction;
;   (a2) a store that changes the opcode of the next instruction;
;   (b) a store to an instruction later in the same block, no branch between;
;   (c) a store to another block in the same page, run after a call;
;   (c2) the same through another segment:offset alias, a different page;
;   (d) code copied into a RAM buffer, run, overwritten with different code
;       and run again;
;   (e) a store to the second page of an instruction that straddles a 4 KiB
;       boundary;
;   (f) REP MOVSB overwriting the instructions that follow it.
; Each case runs in a loop (the code is run, cached, patched, run again).
;
; The ROM is read-only (also checked), so the guest first copies its whole
; image to RAM at 1000:0000 and runs there with the same offsets: CS-relative
; stores then patch the running code.

%include "common.inc"

RAM_SEG         equ 0x1000          ; the image's copy, linear 0x10000
BUF_SEG         equ 0x2000          ; the code buffer of case (d)
STRADDLE        equ 0x7FFD          ; where the (e) instruction starts

start:
        GUEST_INIT
        PRINTLN "smc: self-modifying code"

        ; The ROM ignores writes.
        mov al, [cs:rom_probe]
        xor byte [cs:rom_probe], 0xFF
        mov ah, [cs:rom_probe]
        CHECK8 ah, al, "the ROM ignores writes"

        ; Copy the image to RAM and continue there.
        push ds
        push es
        push cs
        pop ds
        push word RAM_SEG
        pop es
        xor si, si
        xor di, di
        mov cx, 0x8000
        rep movsw
        pop es
        pop ds
        jmp RAM_SEG:in_ram

in_ram:
        mov ax, cs
        CHECK16 ax, RAM_SEG, "running from the RAM copy at 1000:0000"

        ; --- (a) the immediate of the very next instruction -----------------
        xor bp, bp                  ; mismatches
        mov cx, 200
.a_loop:
        mov [cs:.a_next + 1], cl
.a_next:
        mov al, 0
        cmp al, cl
        je .a_ok
        inc bp
.a_ok:  loop .a_loop
        CHECK16 bp, 0, "(a) patch the next instruction's immediate (200 times)"

        ; --- (a2) the opcode of the next instruction: INC AX / DEC AX -------
        xor ax, ax                  ; changed by the patched instruction
        xor dx, dx                  ; what AX should be
        xor bp, bp
        mov cx, 200
.a2_loop:
        mov bl, 0x40                ; inc ax
        inc dx
        test cl, 1
        jz .a2_even
        mov bl, 0x48                ; dec ax
        sub dx, 2
.a2_even:
        mov [cs:.a2_op], bl
.a2_op: nop
        cmp ax, dx
        je .a2_ok
        inc bp
        mov ax, dx
.a2_ok: loop .a2_loop
        CHECK16 bp, 0, "(a2) patch the next instruction's opcode (200 times)"

        ; --- (b) an instruction later in the same block ---------------------
        xor bp, bp
        mov cx, 200
.b_loop:
        mov [cs:.b_later + 1], cl
        mov bx, cx                  ; straight-line code, no branch
        add bx, 3
        shl bx, 1
        xor si, si
        inc si
.b_later:
        mov al, 0
        cmp al, cl
        je .b_ok
        inc bp
.b_ok:  loop .b_loop
        CHECK16 bp, 0, "(b) patch a later instruction of the same block"

        ; --- (c) another block in the same page ------------------------------
        jmp .c_go
.blk_c: mov al, 0x5A                ; the block that gets patched
        ret
.c_go:  call .blk_c                 ; run it once unpatched
        CHECK8 al, 0x5A, "(c) the block runs unpatched first"
        xor bp, bp
        mov cx, 200
.c_loop:
        mov [cs:.blk_c + 1], cl
        call .blk_c
        cmp al, cl
        je .c_ok
        inc bp
.c_ok:  loop .c_loop
        ; (an assembly error here: .blk_c and .c_loop are in different pages)
        times -((((.blk_c - $$) >> 12) != ((.c_loop - $$) >> 12))) db 0
        CHECK16 bp, 0, "(c) patch another block in the same page, then call it"

        ; --- (c2) through an alias, in another page --------------------------
        call blk_far
        CHECK16 ax, 0x1234, "(c2) the far block runs unpatched first"
        push es
        mov ax, cs
        add ax, 0x100               ; ES:(offset - 0x1000) = CS:offset
        mov es, ax
        xor bp, bp
        mov cx, 200
.c2_loop:
        mov [es:blk_far + 1 - 0x1000], cx
        call blk_far
        cmp ax, cx
        je .c2_ok
        inc bp
.c2_ok: loop .c2_loop
        pop es
        CHECK16 bp, 0, "(c2) patch through another segment alias, another page"

        ; --- (d) a RAM buffer, overwritten with different code ---------------
        xor bp, bp
        mov cx, 50
.d_loop:
        mov si, snip1
        mov dx, snip1_end - snip1
        call load_snippet
        call BUF_SEG:0x0000
        cmp ax, 0x1111
        je .d_ok1
        inc bp
.d_ok1: mov si, snip2
        mov dx, snip2_end - snip2
        call load_snippet
        call BUF_SEG:0x0000
        cmp ax, 0x4444
        je .d_ok2
        inc bp
.d_ok2: loop .d_loop
        CHECK16 bp, 0, "(d) code in a RAM buffer overwritten and run again (100 runs)"

        ; --- (e) an instruction straddling a page boundary -------------------
        call straddle
        CHECK eax, 0x11223344, "(e) the straddling instruction runs unpatched first"
        xor bp, bp
        mov cx, 200
.e_loop:
        mov [cs:STRADDLE + 4], cl   ; byte 2 of the immediate, next page
        call straddle
        mov edx, 0x11003344
        movzx ebx, cl
        shl ebx, 16
        or edx, ebx
        cmp eax, edx
        je .e_ok
        inc bp
.e_ok:  loop .e_loop
        CHECK16 bp, 0, "(e) patch the second page of a straddling instruction"

        ; --- (f) REP MOVSB over the instructions that follow it ---------------
        push ds
        push es
        push cs
        pop ds
        push cs
        pop es
        xor bp, bp
        mov bx, 200
.f_loop:
        mov si, f_code_a            ; even: mov al, 0x77
        mov dl, 0x77
        test bl, 1
        jz .f_even
        mov si, f_code_b            ; odd: mov al, 0x11
        mov dl, 0x11
.f_even:
        mov di, .f_victim
        mov cx, 2
        rep movsb
.f_victim:
        mov al, 0
        cmp al, dl
        je .f_ok
        inc bp
.f_ok:  dec bx
        jnz .f_loop
        pop es
        pop ds
        CHECK16 bp, 0, "(f) REP MOVSB overwrites the instructions after it"

        FINISH

; load_snippet: copies DX bytes from CS:SI to BUF_SEG:0000.
load_snippet:
        push cx
        push di
        push si
        push ds
        push es
        push cs
        pop ds
        push word BUF_SEG
        pop es
        xor di, di
        mov cx, dx
        rep movsb
        pop es
        pop ds
        pop si
        pop di
        pop cx
        ret

; The snippets of case (d): position independent, return far.
snip1:  mov ax, 0x1111
        retf
snip1_end:
snip2:  mov ax, 0x2222
        add ax, ax
        retf
snip2_end:

; The patterns of case (f).
f_code_a:
        mov al, 0x77
f_code_b:
        mov al, 0x11

rom_probe:
        db 0xA5

; The instruction of case (e) straddles the page boundary at 0x8000.
        times STRADDLE - ($ - $$) db 0xCC
straddle:
        mov eax, 0x11223344         ; 66 B8 44 33 22 11: 0x7FFD..0x8002
        ret

; blk_far: the block of case (c2), well away from its caller's page.
        times 0x9000 - ($ - $$) db 0xCC
blk_far:
        mov ax, 0x1234
        ret

        ROM_END
