# task.cmake - the guests of hardware task switching, the TSS I/O
# permission bitmap and virtual-8086 mode (cpu/task.c and the v86 parts of
# the protected-mode work), included by tests/guests/CMakeLists.txt. Their
# protected-mode harness is task.inc. Each prints one PASS line per CHECK.
#
# On QEMU 7.2 (tests/guests/run_qemu.sh) task_switch, task_gate, iobitmap
# and v86 pass entirely; task_context and v86_vme test what QEMU does not
# model (faults in the new task's context, the T bit, CR4.VME): see their
# headers.
foreach(g task_switch task_context task_gate iobitmap v86 v86_vme)
  guest_test(${g} --checks ${GUEST_DIR}/${g}.asm)
endforeach()
