/*
 * entry.S - the Multiboot header and entry point of the test kernel.
 *
 * Multiboot Specification 0.6.96 section 3.1: the header (magic, flags,
 * checksum) 32-bit aligned in the first 8192 bytes. Flags: bit 0 (modules
 * page-aligned) and bit 1 (memory information). Built with -DAOUT_KLUDGE it
 * also sets bit 16 and gives the address fields, for the flat-binary copy
 * of the kernel (tests the loader's a.out-kludge path).
 *
 * At entry (spec section 3.2) EAX holds the boot loader magic and EBX the
 * address of the information structure. The loader's stack is not to be
 * trusted, so the first thing done is switching to our own; EFLAGS as the
 * loader left it is passed on so that kmain can check IF and VM.
 */
#define MB_MAGIC 0x1BADB002
#ifdef AOUT_KLUDGE
#define MB_FLAGS 0x00010003
#else
#define MB_FLAGS 0x00000003
#endif

    .section .multiboot, "a"
    .align 4
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
#ifdef AOUT_KLUDGE
    .long mb_header     /* header_addr */
    .long _image_start  /* load_addr */
    .long _edata        /* load_end_addr */
    .long _end          /* bss_end_addr */
    .long _start        /* entry_addr */
#endif

    .text
    .globl _start
_start:
    pushfl
    popl %ecx
    movl $stack_top, %esp
    pushl %ecx          /* eflags at entry */
    pushl %ebx          /* info */
    pushl %eax          /* magic */
    call kmain
1:  cli
    hlt
    jmp 1b

    .bss
    .align 16
    .space 16384
stack_top:

    .section .note.GNU-stack, "", @progbits
