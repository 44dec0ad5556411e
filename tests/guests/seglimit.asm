; seglimit.asm - real-mode segment limits: offset 0xFFFF is the last byte.
;
; On the 8086 a word at offset 0xFFFF wrapped to offset 0; from the 286 on,
; real-mode segments have a 64 KiB limit and an access that runs past it
; faults (Intel SDM Vol. 3, 21.1.3; Vol. 2 "Real-Address Mode Exceptions":
; #GP for CS/DS/ES/FS/GS, #SS for SS) before anything is written, with the
; saved IP pointing at the faulting instruction. Himem.sys, EMM386 and the
; "unreal mode" probes depend on this; so does wrap-around detection.
;
; QEMU's TCG does not check segment limits (real mode or not), so this guest
; fails there; Bochs and real CPUs give the faults.

%include "common.inc"

start:
        GUEST_INIT
        PRINTLN "seglimit: accesses past offset 0xFFFF of a real-mode segment"
        call install_traps

        EXPECT_TRAP 0
        mov al, [0xFFFF]
        mov ax, [0xFFFE]
        mov eax, [0xFFFC]
        CHECK16 word [F_COUNT], 0, "byte at ffff, word at fffe, dword at fffc: no fault"

        EXPECT_TRAP .gp1_done
.gp1:   mov ax, [0xFFFF]
.gp1_done:
        CHECK16 word [F_VEC], 13, "word read at ds:ffff: #GP (vector 13)"
        CHECK16 word [F_IP], .gp1, "word read at ds:ffff: saved IP = the MOV"

        ; A faulting write leaves memory alone: neither byte is written.
        mov byte [0xFFFF], 0x11
        push ds
        push word 0x1000
        pop ds
        mov byte [0x0000], 0x22     ; linear 0x10000
        pop ds
        EXPECT_TRAP .gp2_done
.gp2:   mov word [0xFFFF], 0xAAAA
.gp2_done:
        CHECK16 word [F_VEC], 13, "word write at ds:ffff: #GP"
        CHECK16 word [F_IP], .gp2, "word write at ds:ffff: saved IP"
        CHECK8 byte [0xFFFF], 0x11, "word write at ds:ffff: byte at ffff unchanged"
        push ds
        push word 0x1000
        pop ds
        mov al, [0x0000]
        pop ds
        CHECK8 al, 0x22, "word write at ds:ffff: no wrap to ds:0000 or 10000"

        EXPECT_TRAP .gp3_done
.gp3:   mov dword [es:0xFFFD], 0
.gp3_done:
        CHECK16 word [F_VEC], 13, "dword write at es:fffd: #GP"
        CHECK16 word [F_IP], .gp3, "dword write at es:fffd: saved IP at the ES prefix"

        EXPECT_TRAP .gp4_done
        mov ebx, 0x10000
.gp4:   mov al, [ebx]               ; a 32-bit offset above the limit
.gp4_done:
        CHECK16 word [F_VEC], 13, "byte read at ds:00010000 (a32): #GP"
        CHECK16 word [F_IP], .gp4, "byte read at ds:00010000: saved IP at the a32 prefix"

        EXPECT_TRAP .gp5_done
        mov si, 0xFFFF
.gp5:   lodsw
.gp5_done:
        CHECK16 word [F_VEC], 13, "lodsw at ds:ffff: #GP"
        CHECK16 si, 0xFFFF, "lodsw at ds:ffff: SI unchanged"

        EXPECT_TRAP .ss1_done
        mov bp, 0xFFFF
.ss1:   mov ax, [bp]
.ss1_done:
        CHECK16 word [F_VEC], 12, "word read at ss:ffff ([bp]): #SS (vector 12)"
        CHECK16 word [F_IP], .ss1, "word read at ss:ffff: saved IP"

        FINISH

        ROM_END
