/*
 * entry.S - Multiboot header and entry of the benchmark kernels (Multiboot
 * Specification 0.6.96 section 3.1; flags: bit 1, memory information).
 * Switches to a stack of our own and calls rt_main(magic, info).
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000002

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .text
    .globl _start
_start:
    movl $stack_top, %esp
    pushl %ebx
    pushl %eax
    call rt_main
1:  cli
    hlt
    jmp 1b

    .bss
    .align 16
    .space 65536
stack_top:

    .section .note.GNU-stack, "", @progbits
