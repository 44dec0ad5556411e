# The x87 FPU and MMX guests (cpu/ops_fpu.c, cpu/ops_mmx.c): each checks
# itself (one PASS line per CHECK). They pass on QEMU as well
# (tests/guests/run_qemu.sh), except where docs/fpu.md says QEMU differs.
foreach(g fpu_basic fpu_state fpu_except)
  guest_test(${g} --checks ${GUEST_DIR}/${g}.asm)
endforeach()
# fpu_ferr.asm: CR0.NE = 0, FERR# -> IRQ13, port F0h (wired in devices/pc.c).
guest_test(fpu_ferr --checks ${GUEST_DIR}/fpu_ferr.asm)
