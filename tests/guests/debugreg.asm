; debugreg.asm - the debug registers (SDM Vol. 3 17.2-17.3), in real mode
; where they work as in protected mode: a data write breakpoint (a #DB trap
; after the writing instruction, DR6.B0), a write-only breakpoint ignoring
; reads, a read/write breakpoint catching a read, a breakpoint on a word
; that a dword access overlaps, an instruction breakpoint (a #DB fault with
; the saved IP at the instruction, DR6.B1), an I/O breakpoint with CR4.DE
; (DR6.B2 after an OUT), DR7.GD (any MOV DR faults with DR6.BD and GD is
; cleared), and disabled breakpoints staying silent. (QEMU 7.2 does not
; pass the data breakpoint checks: its TCG traps on reads of a write-only
; breakpoint and saves a different IP.)

%include "common.inc"

WATCH           equ 0x6000          ; the watched byte (DS = 0: linear 6000h)

start:
        GUEST_INIT
        call install_traps

        ; === a data write breakpoint: DR0 = 6000h, L0, R/W0 = 01, LEN0 = 1 byte
        mov eax, WATCH
        mov dr0, eax
        xor eax, eax
        mov dr6, eax
        mov eax, 0x00010001
        mov dr7, eax
        EXPECT_TRAP 0
        mov al, [WATCH]                 ; a read: no trap for a write breakpoint
        CHECK16 word [F_COUNT], 0, "write breakpoint: a read does not trap"
        EXPECT_TRAP 0
        mov byte [WATCH], 0x5A          ; the write: a trap after it
.after_write:
        CHECK16 word [F_VEC], 1, "write breakpoint: #DB (vector 1)"
        CHECK16 word [F_IP], .after_write, "write breakpoint: a trap, saved IP after the write"
        mov eax, dr6
        and eax, 0xF
        CHECK eax, 1, "write breakpoint: DR6.B0"
        EXPECT_TRAP 0
        mov byte [WATCH + 1], 1         ; the next byte is not watched
        CHECK16 word [F_COUNT], 0, "write breakpoint: the byte beside it is not watched"

        ; === read/write breakpoint on a word (LEN = 01), hit by a dword read
        xor eax, eax
        mov dr6, eax
        mov eax, WATCH + 2
        mov dr0, eax
        mov eax, 0x00070001             ; R/W0 = 11, LEN0 = 01 (2 bytes)
        mov dr7, eax
        EXPECT_TRAP 0
        mov ebx, [WATCH]                ; bytes 6000h-6003h overlap 6002h-6003h
.after_read:
        CHECK16 word [F_VEC], 1, "read/write breakpoint: a read traps"
        CHECK16 word [F_IP], .after_read, "read/write breakpoint: saved IP after the read"

        ; === an instruction breakpoint: DR1 = the linear address of .bp_here
        xor eax, eax
        mov dr6, eax
        mov eax, 0xF0000 + .bp_here
        mov dr1, eax
        mov eax, 0x00000004             ; L1, R/W1 = 00 (execution), LEN1 = 00
        mov dr7, eax
        EXPECT_TRAP .bp_resume          ; FLAGS has no RF in real mode: resume past it
        nop
.bp_here:
        inc word [WATCH + 8]            ; must not run: the fault comes first
.bp_resume:
        CHECK16 word [F_VEC], 1, "instruction breakpoint: #DB"
        CHECK16 word [F_IP], .bp_here, "instruction breakpoint: a fault, saved IP at the instruction"
        CHECK16 word [WATCH + 8], 0, "instruction breakpoint: the instruction did not run"
        mov eax, dr6
        and eax, 0xF
        CHECK eax, 2, "instruction breakpoint: DR6.B1"

        ; === an I/O breakpoint (needs CR4.DE): DR2 = port 80h, R/W2 = 10
        ; (not 0E9h: the guest prints through the debug console)
        xor eax, eax
        mov dr6, eax
        mov eax, cr4
        or eax, 8                       ; DE
        mov cr4, eax
        mov eax, 0x80
        mov dr2, eax
        mov eax, 0x02000010             ; L2, R/W2 = 10 (bits 24-25), LEN2 = 1
        mov dr7, eax
        EXPECT_TRAP 0
        mov al, 0x55
        out 0x80, al                    ; the POST port: nothing listens
.after_out:
        CHECK16 word [F_VEC], 1, "I/O breakpoint: OUT traps"
        CHECK16 word [F_IP], .after_out, "I/O breakpoint: saved IP after the OUT"
        mov eax, dr6
        and eax, 0xF
        CHECK eax, 4, "I/O breakpoint: DR6.B2"
        xor eax, eax
        mov dr7, eax
        mov eax, cr4
        and eax, ~8
        mov cr4, eax

        ; === general detect: DR7.GD makes the next MOV DR fault
        xor eax, eax
        mov dr6, eax
        mov eax, 0x00002000             ; GD
        mov dr7, eax
        EXPECT_TRAP .gd_resume
.gd_here:
        mov eax, dr0
.gd_resume:
        CHECK16 word [F_VEC], 1, "DR7.GD: MOV DR raises #DB"
        CHECK16 word [F_IP], .gd_here, "DR7.GD: a fault, saved IP at the MOV"
        mov eax, dr6
        and eax, 0x2000
        CHECK eax, 0x2000, "DR7.GD: DR6.BD set"
        mov eax, dr7
        and eax, 0x2000
        CHECK eax, 0, "DR7.GD: GD cleared on the #DB"

        ; === everything off: silence
        xor eax, eax
        mov dr7, eax
        EXPECT_TRAP 0
        mov byte [WATCH], 1
        inc word [WATCH + 2]
        CHECK16 word [F_COUNT], 0, "DR7 = 0: no breakpoints"

        FINISH
        ROM_END
