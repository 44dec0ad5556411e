; iobitmap.asm - the I/O permission bit map of the 32-bit TSS (SDM Vol. 1
; 18.5.2 "I/O Permission Bit Map", 18.5.1 I/O privilege level; Vol. 3
; 20.2.8.1 I/O-port-mapped I/O in virtual-8086 mode; Vol. 2 IN, OUT, INS,
; OUTS).
;
; In protected mode CPL <= IOPL may use any port; otherwise, and always in
; virtual-8086 mode, every bit of the access in the bitmap of the current
; TSS must be clear, else #GP(0). The CPU reads two bytes of the map, which
; must both lie within the TSS limit; a 16-bit TSS has no map at all.
;
; - CPL 3, IOPL 0: IN/OUT (imm8 and DX forms) on an allowed and a denied
;   port; word and dword accesses whose bits span two map bytes (one bit
;   denied is enough); INS/OUTS (checked before the memory access: a
;   refused INSB leaves memory alone; REP with ECX = 0 still checks);
;   port FFFFh, whose second map byte is the trailing byte of the map.
; - CPL 3 with IOPL 3 and CPL 0 with IOPL 0: the map is not consulted.
; - A TSS whose limit ends inside the map: a port whose two map bytes are
;   not both within the limit is refused.
; - A 16-bit TSS: every port is refused at CPL 3 with IOPL 0.
; - Virtual-8086 mode: the map decides even with IOPL 3, and IN/OUT are
;   not IOPL-sensitive (allowed ports work with IOPL 0).
;
; Every probe runs a snippet at CPL 3 (or in v86 mode) that ends in HLT: a
; #GP with EIP = the HLT means the I/O instruction ran, EIP = the I/O
; instruction means it was refused. Passes on QEMU as well.

%include "task.inc"

TSS_Q           equ TSS_AT(1)       ; map cut short by the TSS limit
TSS_R           equ TSS_AT(2)       ; 16-bit TSS
SEL_Q           equ SEL_TSS(1)
SEL_R           equ SEL_TSS(2)
BUF             equ VARS + 0x40

; map_allow port: clears the port's bit in the main TSS's map.
%macro MAP_ALLOW 1
        and byte [IOMAP + ((%1) >> 3)], ~(1 << ((%1) & 7))
%endmacro

start:
        GUEST_INIT
        PRINTLN "iobitmap: the TSS I/O permission bitmap"
        PM_START

        ; Allowed: EEh, 300h, 306h-307h, 310h-316h, FFFFh. Everything else denied.
        MAP_ALLOW 0xEE
        MAP_ALLOW 0x300
        MAP_ALLOW 0x306
        MAP_ALLOW 0x307
        MAP_ALLOW 0x310
        MAP_ALLOW 0x311
        MAP_ALLOW 0x312
        MAP_ALLOW 0x313
        MAP_ALLOW 0x314
        MAP_ALLOW 0x315
        MAP_ALLOW 0x316
        MAP_ALLOW 0xFFFF

        ; === CPL 3, IOPL 0 =======================================================
        mov eax, r3_in_imm_ok
        call ring3_try
        CHECK eax, r3_in_imm_ok.end, "CPL 3 IOPL 0: IN AL, imm8 on an allowed port"
        mov eax, r3_in_denied
        call ring3_try
        CHECK eax, r3_in_denied.io, "CPL 3 IOPL 0: IN AL, DX on a denied port: #GP"
        CHECK dword [P_ERR], 0, "CPL 3 IOPL 0: denied port: error code 0"
        mov eax, r3_out_ok
        call ring3_try
        CHECK eax, r3_out_ok.end, "CPL 3 IOPL 0: OUT DX, AL on an allowed port"
        mov eax, r3_out_denied
        call ring3_try
        CHECK eax, r3_out_denied.io, "CPL 3 IOPL 0: OUT imm8, AL on a denied port: #GP"
        mov eax, r3_inw_span
        call ring3_try
        CHECK eax, r3_inw_span.io, "CPL 3 IOPL 0: IN AX at 307h (308h denied): #GP"
        mov eax, r3_inw_ok
        call ring3_try
        CHECK eax, r3_inw_ok.end, "CPL 3 IOPL 0: IN AX at 306h"
        mov eax, r3_ind_ok
        call ring3_try
        CHECK eax, r3_ind_ok.end, "CPL 3 IOPL 0: IN EAX at 310h"
        mov eax, r3_ind_span
        call ring3_try
        CHECK eax, r3_ind_span.io, "CPL 3 IOPL 0: IN EAX at 314h (317h denied): #GP"
        mov eax, r3_in_ffff
        call ring3_try
        CHECK eax, r3_in_ffff.end, "CPL 3 IOPL 0: IN AL at FFFFh (map's last byte)"

        mov byte [BUF], 0x5A
        mov eax, r3_insb_denied
        call ring3_try
        CHECK eax, r3_insb_denied.io, "CPL 3 IOPL 0: INSB from a denied port: #GP"
        movzx eax, byte [BUF]
        CHECK eax, 0x5A, "CPL 3 IOPL 0: refused INSB wrote nothing"
        mov eax, r3_insb_ok
        call ring3_try
        CHECK eax, r3_insb_ok.end, "CPL 3 IOPL 0: INSB from an allowed port"
        movzx eax, byte [BUF]
        CHECK eax, 0xFF, "CPL 3 IOPL 0: INSB stored the (unassigned) port's FFh"
        mov eax, r3_outsw_ok
        call ring3_try
        CHECK eax, r3_outsw_ok.end, "CPL 3 IOPL 0: OUTSW to 306h"
        mov eax, r3_rep_outsb0
        call ring3_try
        CHECK eax, r3_rep_outsb0.io, "CPL 3 IOPL 0: REP OUTSB, ECX = 0, denied port: #GP"

        ; === privilege that does not need the map ===============================
        mov eax, r3_in_denied
        mov ebx, EFL_IOPL3
        call ring3_try_flags
        CHECK eax, r3_in_denied.end, "CPL 3 IOPL 3: a denied port is allowed"
        mov dx, 0x301
        xor eax, eax
        in al, dx
        CHECK eax, 0xFF, "CPL 0 IOPL 0: a denied port is allowed"

        ; === a map cut short by the TSS limit ===================================
        ; Q: a ring-3 task, map base 68h, limit 78h: map bytes for ports
        ; 0-7Fh (all clear) plus one (FFh). Port 7Fh: bytes 77h and 78h,
        ; both inside; port 80h: bytes 78h and 79h, the second outside.
        mov edi, TSS_Q
        mov eax, r3_q
        mov ecx, STACK_RING3
        call pm_init_tss32
        mov dword [TSS_Q + TSS_ESP0], STACK_TRAP
        mov dword [TSS_Q + TSS_CS], SEL_CODE3
        mov dword [TSS_Q + TSS_SS], SEL_DATA3
        mov dword [TSS_Q + TSS_DS], SEL_DATA3
        mov dword [TSS_Q + TSS_ES], SEL_DATA3
        mov dword [TSS_Q + TSS_FS], SEL_DATA3
        mov dword [TSS_Q + TSS_GS], SEL_DATA3
        mov dword [TSS_Q + 0x68], 0
        mov dword [TSS_Q + 0x6C], 0
        mov dword [TSS_Q + 0x70], 0
        mov dword [TSS_Q + 0x74], 0
        mov byte [TSS_Q + 0x78], 0xFF
        mov ebx, SEL_Q
        mov eax, TSS_Q
        mov ecx, 0x78
        mov dl, ACC_TSS32
        xor dh, dh
        call pm_set_desc
        PM_EXPECT .q_trap
        jmp SEL_Q:0
.q_main:
        jmp .q_done
.q_trap:                            ; running as task Q
        CHECK dword [P_EIP], r3_q.io, "short map: port 80h (map bytes past the limit): #GP"
        jmp SEL_TSS_MAIN:0
.q_done:

        ; === a 16-bit TSS: no map ===============================================
        mov edi, TSS_R
        xor eax, eax
        mov ecx, 0x2C / 4
        rep stosd
        mov word [TSS_R + TSS16_IP], r3_in_imm_ok
        mov word [TSS_R + TSS16_FLAGS], 2
        mov word [TSS_R + TSS16_SP], STACK_RING3 & 0xFFFF
        mov word [TSS_R + TSS16_SP0], 0xD000
        mov word [TSS_R + TSS16_SS0], SEL_DATA0
        mov word [TSS_R + TSS16_CS], SEL_CODE3
        mov word [TSS_R + TSS16_SS], SEL_DATA3
        mov word [TSS_R + TSS16_DS], SEL_DATA3
        mov word [TSS_R + TSS16_ES], SEL_DATA3
        mov ebx, SEL_R
        mov eax, TSS_R
        mov ecx, 0x2B
        mov dl, ACC_TSS16
        xor dh, dh
        call pm_set_desc
        PM_EXPECT .r_trap
        jmp SEL_R:0
.r_main:
        jmp .r_done
.r_trap:
        CHECK dword [P_EIP], r3_in_imm_ok.io, "16-bit TSS, CPL 3 IOPL 0: every port refused"
        jmp SEL_TSS_MAIN:0
.r_done:

        ; === virtual-8086 mode ==================================================
        mov eax, v86_in_ok
        xor ebx, ebx
        call v86_try
        CHECK eax, v86_in_ok.end, "v86 IOPL 0: IN on an allowed port (not IOPL-sensitive)"
        mov eax, v86_in_denied
        xor ebx, ebx
        call v86_try
        CHECK eax, v86_in_denied.io, "v86 IOPL 0: IN on a denied port: #GP"
        mov eax, v86_in_denied
        mov ebx, EFL_IOPL3
        call v86_try
        CHECK eax, v86_in_denied.io, "v86 IOPL 3: a denied port is still refused"
        mov eax, v86_outsb_ok
        mov ebx, EFL_IOPL3
        call v86_try
        CHECK eax, v86_outsb_ok.end, "v86 IOPL 3: OUTSB on an allowed port"
        FINISH

; ring3_try: runs the CPL 3 snippet at EAX with IOPL 0 (ring3_try_flags:
; with EFLAGS EBX); returns in EAX the EIP of the #GP that ended it, or
; DEAD00vvh for another vector vv.
ring3_try:
        xor ebx, ebx
ring3_try_flags:
        PM_EXPECT .back
        push dword SEL_DATA3
        push dword STACK_RING3
        or ebx, 2
        push ebx
        push dword SEL_CODE3
        push eax
        iretd
.back:
        mov eax, [P_EIP]
        cmp dword [P_VEC], 13
        je .ret
        mov eax, [P_VEC]
        or eax, 0xDEAD0000
.ret:   ret

; v86_try: the same for the v86 snippet at F000:AX with EFLAGS EBX | VM.
v86_try:
        PM_EXPECT .back
        push dword 0
        push dword 0
        push dword 0
        push dword 0
        push dword V86_SS
        push dword V86_SP
        or ebx, EFL_VM | 2
        push ebx
        push dword 0xF000
        push eax
        iretd
.back:
        mov eax, [P_EIP]
        cmp dword [P_VEC], 13
        je .ret
        mov eax, [P_VEC]
        or eax, 0xDEAD0000
.ret:   ret

; --- CPL 3 snippets (32-bit) ---
r3_in_imm_ok:
.io:    in al, 0xEE
.end:   hlt

r3_in_denied:
        mov dx, 0x301
.io:    in al, dx
.end:   hlt

r3_out_ok:
        mov dx, 0x300
.io:    out dx, al
.end:   hlt

r3_out_denied:
.io:    out 0x80, al
.end:   hlt

r3_inw_span:
        mov dx, 0x307
.io:    in ax, dx
.end:   hlt

r3_inw_ok:
        mov dx, 0x306
.io:    in ax, dx
.end:   hlt

r3_ind_ok:
        mov dx, 0x310
.io:    in eax, dx
.end:   hlt

r3_ind_span:
        mov dx, 0x314
.io:    in eax, dx
.end:   hlt

r3_in_ffff:
        mov dx, 0xFFFF
.io:    in al, dx
.end:   hlt

r3_insb_denied:
        mov ax, SEL_DATA3
        mov es, ax
        mov edi, BUF
        mov dx, 0x301
        cld
.io:    insb
.end:   hlt

r3_insb_ok:
        mov ax, SEL_DATA3
        mov es, ax
        mov edi, BUF
        mov dx, 0x300
        cld
.io:    insb
.end:   hlt

r3_outsw_ok:
        mov ax, SEL_DATA3
        mov ds, ax
        mov esi, BUF
        mov dx, 0x306
        cld
.io:    outsw
.end:   hlt

r3_rep_outsb0:
        mov ax, SEL_DATA3
        mov ds, ax
        mov esi, BUF
        mov dx, 0x301
        xor ecx, ecx
        cld
.io:    rep outsb
.end:   hlt

r3_q:
        in al, 0x7F                 ; allowed: map bytes 77h, 78h
.io:    in al, 0x80                 ; refused: map byte 79h is past the limit
        hlt

; --- v86 snippets ---
        bits 16
v86_in_ok:
        mov dx, 0x300
.io:    in al, dx
.end:   hlt

v86_in_denied:
        mov dx, 0x301
.io:    in al, dx
.end:   hlt

v86_outsb_ok:
        mov si, BUF
        mov dx, 0x300
        cld
.io:    outsb
.end:   hlt

        ROM_END
