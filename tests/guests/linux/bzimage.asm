; bzimage.asm - a tiny "bzImage" for the tests of Brisk's Linux boot protocol
; loader (bios/linux.c; tests/guests/linux.cmake builds and runs it).
;
; Laid out as Documentation/x86/boot.rst describes a kernel image: one sector
; of boot sector plus setup_sects sectors of setup code holding the setup
; header at 0x1F1 ("HdrS" at 0x202), then the protected-mode kernel, which
; the loader puts at 1 MiB and enters at code32_start. The kernel checks the
; machine state of the 32-bit boot protocol and the zero page the loader
; filled, prints one PASS/FAIL line per check on COM1 and exits through the
; exit device at port 0xF4 (status 1 when every check passed, 3 otherwise).
;
; The test runs it with -m 16, -append "console=ttyS0 brisk-test" and an
; initrd of INITRD_BYTES bytes starting "BRISK-INITRD".
;
; Variants for the negative tests (nasm -D):
;   VERSION=0x0201   a boot protocol older than the loader accepts
;   LOADFLAGS=0      a zImage (not LOADED_HIGH)
;   SETUP_ONLY       no protected-mode kernel after the setup sectors
;   SYSSIZE_EXTRA=N  syssize announces N more 16-byte units than the file has

%ifndef VERSION
%define VERSION 0x020F
%endif
%ifndef LOADFLAGS
%define LOADFLAGS 1
%endif
%ifndef SYSSIZE_EXTRA
%define SYSSIZE_EXTRA 0
%endif

%define SETUP_SECTS  1
%define KERNEL_ADDR  0x100000
%define INIT_SIZE    0x20000
%define RAM_BYTES    0x1000000
%define INITRD_BYTES 4096 + 100
%define COM1         0x3F8

        section setup start=0
        bits 16
        times 0x1F1 - ($ - $$) db 0
        db SETUP_SECTS                  ; 1F1 setup_sects
        dw 0                            ; 1F2 root_flags
%ifdef SETUP_ONLY
        dd 0x100                        ; 1F4 syssize
%else
        dd (pm_end - pm_start + 15) / 16 + SYSSIZE_EXTRA ; 1F4 syssize
%endif
        dw 0                            ; 1F8 ram_size
        dw 0xFFFF                       ; 1FA vid_mode
        dw 0                            ; 1FC root_dev
        dw 0xAA55                       ; 1FE boot_flag
        db 0xEB, hdr_end - 0x202        ; 200 jump: its offset ends the header
        db "HdrS"                       ; 202 header
        dw VERSION                      ; 206 version
        dd 0                            ; 208 realmode_swtch
        dw 0                            ; 20C start_sys_seg
        dw 0                            ; 20E kernel_version
        db 0                            ; 210 type_of_loader
        db LOADFLAGS                    ; 211 loadflags
        dw 0                            ; 212 setup_move_size
        dd KERNEL_ADDR                  ; 214 code32_start
        dd 0                            ; 218 ramdisk_image
        dd 0                            ; 21C ramdisk_size
        dd 0                            ; 220 bootsect_kludge
        dw 0                            ; 224 heap_end_ptr
        db 0, 0                         ; 226 ext_loader_ver, ext_loader_type
        dd 0                            ; 228 cmd_line_ptr
        dd 0x7FFFFFFF                   ; 22C initrd_addr_max
        dd 0x100000                     ; 230 kernel_alignment
        db 0, 0                         ; 234 relocatable_kernel, min_alignment
        dw 0                            ; 236 xloadflags
        dd 255                          ; 238 cmdline_size
        dd 0                            ; 23C hardware_subarch
        dq 0                            ; 240 hardware_subarch_data
        dd 0, 0                         ; 248 payload_offset, payload_length
        dq 0                            ; 250 setup_data
        dq KERNEL_ADDR                  ; 258 pref_address
        dd INIT_SIZE                    ; 260 init_size
        dd 0                            ; 264 handover_offset
        dd 0                            ; 268 kernel_info_offset
hdr_end:
        times (SETUP_SECTS + 1) * 512 - ($ - $$) db 0

%ifndef SETUP_ONLY
        section pm follows=setup vstart=KERNEL_ADDR
        bits 32
pm_start:
        ; Registers as the loader left them, before anything changes them.
        mov [saved_esi], esi
        mov [saved_ebx], ebx
        mov [saved_edi], edi
        mov [saved_ebp], ebp
        pushfd                          ; whatever stack there is (not required)
        pop dword [saved_eflags]
        mov ax, cs
        mov [saved_cs], ax
        mov ax, ds
        mov [saved_ds], ax
        mov ax, es
        mov [saved_es], ax
        mov ax, ss
        mov [saved_ss], ax
        mov esp, stack_top

        mov esi, msg_start
        call puts

%macro CHECK 2                          ; CHECK cc, "name": after a CMP
        j%-1 %%fail
        mov esi, %%name
        call pass
        jmp %%done
%%fail: mov esi, %%name
        call fail
        jmp %%done
%%name: db %2, 0
%%done:
%endmacro

        cmp word [saved_cs], 0x10
        CHECK e, "CS is __BOOT_CS (10h)"
        cmp word [saved_ds], 0x18
        CHECK e, "DS is __BOOT_DS (18h)"
        cmp word [saved_es], 0x18
        CHECK e, "ES is __BOOT_DS"
        cmp word [saved_ss], 0x18
        CHECK e, "SS is __BOOT_DS"
        cmp dword [saved_esi], 0x90000
        CHECK e, "ESI points to the zero page at 90000h"
        mov eax, [saved_ebx]
        or eax, [saved_edi]
        or eax, [saved_ebp]
        CHECK z, "EBX, EDI and EBP are 0"
        test dword [saved_eflags], 0x200
        CHECK z, "interrupts are off"
        mov eax, cr0
        and eax, 0x80000001
        cmp eax, 1
        CHECK e, "CR0: PE on, PG off"
        sgdt [gdtr]
        cmp word [gdtr], 31
        CHECK e, "the GDT has __BOOT_CS and __BOOT_DS"

        mov ebx, [saved_esi]
        cmp dword [ebx + 0x202], "HdrS"
        CHECK e, "the setup header is copied into the zero page"
        cmp word [ebx + 0x206], VERSION
        CHECK e, "protocol version copied"
        cmp dword [ebx + 0x260], INIT_SIZE
        CHECK e, "init_size copied"
        cmp byte [ebx + 0x210], 0xFF
        CHECK e, "type_of_loader is FFh"
        test byte [ebx + 0x211], 1
        CHECK nz, "loadflags keeps LOADED_HIGH"
        test byte [ebx + 0x211], 0x40
        CHECK z, "loadflags: KEEP_SEGMENTS clear"
        ; The command line.
        mov esi, [ebx + 0x228]
        mov edi, expected_cmdline
        mov ecx, expected_cmdline_len
        repe cmpsb
        CHECK e, "cmd_line_ptr points to the -append string"
        ; The initrd: at the top of RAM, page-aligned, with its contents.
        cmp dword [ebx + 0x21C], INITRD_BYTES
        CHECK e, "ramdisk_size is the initrd's size"
        cmp dword [ebx + 0x218], (RAM_BYTES - (INITRD_BYTES)) & ~0xFFF
        CHECK e, "ramdisk_image is the highest page-aligned address"
        mov esi, [ebx + 0x218]
        cmp dword [esi], "BRIS"
        CHECK e, "the initrd's contents are there"
        ; Memory sizes.
        cmp dword [ebx + 0x1E0], (RAM_BYTES - 0x100000) >> 10
        CHECK e, "alt_mem_k is the RAM above 1 MiB in KiB"
        cmp word [ebx + 0x002], (RAM_BYTES - 0x100000) >> 10
        CHECK e, "ext_mem_k is the RAM above 1 MiB in KiB"
        ; The e820 map.
        cmp byte [ebx + 0x1E8], 4
        CHECK e, "e820_entries is 4"
        lea esi, [ebx + 0x2D0]
        mov edi, expected_e820
        mov ecx, 4 * 20
        repe cmpsb
        CHECK e, "the e820 table"
        ; Text-mode screen_info.
        cmp byte [ebx + 0x07], 80
        CHECK e, "screen_info: 80 columns"
        cmp byte [ebx + 0x0E], 25
        CHECK e, "screen_info: 25 lines"
        ; What the loader does not fill is zero (the EDD buffer, the APM and
        ; IST info, the e820 table past its entries).
        lea esi, [ebx + 0x290]
        mov ecx, 0x2D0 - 0x290
        call all_zero
        CHECK z, "the zero page beyond the header is zero"
        lea esi, [ebx + 0x2D0 + 4 * 20]
        mov ecx, 20
        call all_zero
        CHECK z, "no fifth e820 entry"

        mov esi, msg_done_a
        call puts
        mov eax, [passes]
        call putdec
        mov esi, msg_done_b
        call puts
        cmp dword [fails], 0
        jne .failed
        mov esi, msg_all
        call puts
        mov al, 0
        out 0xF4, al
.failed:
        mov al, 1
        out 0xF4, al
        cli
.hang:  hlt
        jmp .hang

; all_zero: ZF = 1 when the ECX bytes at ESI are all zero.
all_zero:
        xor eax, eax
.next:  or al, [esi]
        inc esi
        dec ecx
        jnz .next
        test al, al
        ret

pass:   push esi
        mov esi, msg_pass
        call puts
        pop esi
        call puts
        mov esi, msg_nl
        call puts
        inc dword [passes]
        ret

fail:   push esi
        mov esi, msg_fail
        call puts
        pop esi
        call puts
        mov esi, msg_nl
        call puts
        inc dword [fails]
        ret

; puts: the NUL-terminated string at ESI to COM1.
puts:   push eax
        push edx
.next:  lodsb
        test al, al
        jz .done
        mov ah, al
        mov dx, COM1 + 5
.wait:  in al, dx                       ; LSR: transmitter holding register empty
        test al, 0x20
        jz .wait
        mov al, ah
        mov dx, COM1
        out dx, al
        jmp .next
.done:  pop edx
        pop eax
        ret

; putdec: EAX in decimal.
putdec: push ebx
        push ecx
        push edx
        mov ebx, 10
        xor ecx, ecx
.div:   xor edx, edx
        div ebx
        add dl, '0'
        push edx
        inc ecx
        test eax, eax
        jnz .div
.out:   pop eax
        mov [digit], al
        mov esi, digit
        call puts
        loop .out
        pop edx
        pop ecx
        pop ebx
        ret

msg_start:  db "linux: 32-bit entry reached", 13, 10, 0
msg_pass:   db "PASS: ", 0
msg_fail:   db "FAIL: ", 0
msg_nl:     db 13, 10, 0
msg_done_a: db "linux: ", 0
msg_done_b: db " checks passed", 13, 10, 0
msg_all:    db "linux: all checks passed", 13, 10, 0
expected_cmdline: db "console=ttyS0 brisk-test", 0
expected_cmdline_len equ $ - expected_cmdline
        align 4
expected_e820:
        dq 0, 0x9FC00
        dd 1
        dq 0x9FC00, 0x400
        dd 2
        dq 0xF0000, 0x10000
        dd 2
        dq 0x100000, RAM_BYTES - 0x100000
        dd 1
digit:  db 0, 0
        align 4
saved_esi:    dd 0
saved_ebx:    dd 0
saved_edi:    dd 0
saved_ebp:    dd 0
saved_eflags: dd 0
saved_cs:     dw 0
saved_ds:     dw 0
saved_es:     dw 0
saved_ss:     dw 0
passes:       dd 0
fails:        dd 0
gdtr:         dw 0
              dd 0
        align 16
stack:  times 1024 db 0
stack_top:
pm_end:
%endif
