# pm.cmake - the protected-mode guests (tests/guests/pm_*.asm, harness in
# pm.inc): segmentation, exceptions and their error codes, privilege
# changes, SYSENTER/SYSEXIT, virtual-8086 mode and VME, real/unreal mode
# round trips. Included by tests/guests/CMakeLists.txt; all labelled `boot`.
# Each also runs on QEMU (tests/guests/run_qemu.sh); the guests' headers
# say where QEMU differs.

foreach(g pm_seg pm_exc pm_ring pm_v86 pm_vme pm_sysenter pm_real pm_strict)
  guest_test(${g} --checks ${GUEST_DIR}/${g}.asm)
endforeach()

# A triple fault: brisk stops (-no-reboot) after the one PASS line.
guest_test(pm_triple --status 1 --passes 1
           --expect "^pm_triple: #GP and #DF gates not present"
           --stderr "triple fault")
