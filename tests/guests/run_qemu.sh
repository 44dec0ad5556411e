#!/bin/bash
# run_qemu.sh - runs a test guest image on QEMU, the behavioural reference
# (DESIGN.md section 8), with COM1 on stdout. Not used by CTest.
#
#   run_qemu.sh IMAGE.bin [extra qemu options]
#   QEMU_ICOUNT= run_qemu.sh IMAGE.bin      (without -icount)
#
# -cpu pentium2 gives the same CPUID signature as brisk (0x0652); -apic,
# because without a BIOS to program LINT0 QEMU's local APIC would swallow
# the PIC's interrupts; -icount makes QEMU's timers deterministic (brisk's
# tests use --icount as well; but with -icount QEMU also single-steps a REP
# string instruction once more, with CX = 0: singlestep.asm then fails one
# more check). -debugcon null: port 0xE9 reads 0xE9. QEMU exits with status
# 0 on a triple fault with -no-reboot and never exits on CLI; HLT, unlike
# brisk.

if [ $# -lt 1 ]; then
    echo "usage: $0 IMAGE.bin [qemu options]" >&2
    exit 2
fi
image=$1
shift
icount=${QEMU_ICOUNT-shift=3,sleep=off}
exec qemu-system-i386 -cpu pentium2,-apic -bios "$image" -display none \
    -serial stdio -debugcon null -device isa-debug-exit,iobase=0xf4,iosize=4 \
    -no-reboot ${icount:+-icount "$icount"} "$@"
