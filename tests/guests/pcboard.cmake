# pcboard.cmake - the board wiring of devices/pc.c seen by a bare-metal
# guest, without SeaBIOS (tests/guests/pcboard.asm: PCI identities and
# BARs, the IDE bus master, the VGA's frame buffer and ROM BARs, PAM, PIRQ
# routing, ELCR, the CMOS drive and boot bytes, fw_cfg). Included by
# tests/guests/CMakeLists.txt; labelled `boot`.
#
# The guest checks the CMOS bytes that come from the command line, so it
# runs with a 64 MiB hard disk (130 cylinders of 16 x 63 sectors), a
# 1.44 MB floppy, -m 32 and -boot order=ac (run_guest.sh --arg). The images are blank (the guest
# never reads them): sparse files made at build time; -snapshot keeps them
# unchanged and unlocked. It also needs SeaVGABIOS (vgabios-stdvga.bin, the
# Debian seabios package) where brisk finds firmware: pc.c gives it to the
# VGA as its expansion ROM, and the guest reads 55AAh through the ROM BAR.
#
# The same image on QEMU (7 checks differ there; pcboard.asm's header says
# which and why):
#   tests/guests/run_qemu.sh build/tests/guests/pcboard.bin -m 32 -boot order=ac -nic none \
#       -drive file=HDA,format=raw,if=ide,index=0 \
#       -drive file=FDA,format=raw,if=floppy,index=0,readonly=on

set(PCBOARD_HDA ${GUEST_OUT}/pcboard_hda.img)
set(PCBOARD_FDA ${GUEST_OUT}/pcboard_fda.img)
add_custom_command(
  OUTPUT ${PCBOARD_HDA}
  COMMAND truncate -s 64M ${PCBOARD_HDA}
  COMMENT "Creating the pcboard guest's 64 MiB disk image"
  VERBATIM)
add_custom_command(
  OUTPUT ${PCBOARD_FDA}
  COMMAND truncate -s 1474560 ${PCBOARD_FDA}
  COMMENT "Creating the pcboard guest's 1.44 MB floppy image"
  VERBATIM)
add_custom_target(brisk_pcboard_images ALL DEPENDS ${PCBOARD_HDA} ${PCBOARD_FDA})

set(pcboard_args)
foreach(arg -m 32 -snapshot -hda ${PCBOARD_HDA} -fda ${PCBOARD_FDA} -boot order=ac)
  list(APPEND pcboard_args --arg ${arg})
endforeach()
add_test(NAME guest_pcboard
         COMMAND bash ${RUN_GUEST} $<TARGET_FILE:brisk> ${GUEST_OUT}/pcboard.bin
                 --checks ${GUEST_DIR}/pcboard.asm ${pcboard_args})
set_tests_properties(guest_pcboard PROPERTIES LABELS "boot" TIMEOUT 150)

# BARs a guest puts over the board's own decoders (tests/guests/pci_conflict.asm):
# the PCI configuration ports and the BIOS keep working, also after a reset.
guest_test(pci_conflict --reboot --no-debugcon --status 1)
set_tests_properties(guest_pci_conflict PROPERTIES LABELS "boot")
