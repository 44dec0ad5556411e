# cli_pc.cmake - the PC machine's command line (disks, -boot, -rtc, -L,
# --screendump), included by tests/guests/CMakeLists.txt. Every bad option
# must end with status 2 and one `brisk:` line naming what is wrong; good
# spellings must start the machine (the demo guest then exits with status
# 1). Labelled `boot` and `cli` (cli_test()).
#
# The images are written at configure time: their content does not matter
# (the demo guest never reads a disk), only that they open. Tests that open
# them use -snapshot or readonly=on (shared locks), so they may run in
# parallel. The floppy boot itself (SeaBIOS, -fda, a text screen with
# --screendump) is tested in floppy.cmake.

set(CLI_DISK ${GUEST_OUT}/cli_disk.img)
string(REPEAT "x" 1024 cli_two_sectors)
file(WRITE ${CLI_DISK} "${cli_two_sectors}")
# A comma in the file name: -drive spells it ",,".
set(CLI_COMMA_DISK ${GUEST_OUT}/cli_disk,comma.img)
file(WRITE ${CLI_COMMA_DISK} "${cli_two_sectors}")
# 160 KiB, the smallest floppy format.
string(REPEAT "x" 163840 cli_floppy_bytes)
set(CLI_FLOPPY ${GUEST_OUT}/cli_floppy160k.img)
file(WRITE ${CLI_FLOPPY} "${cli_floppy_bytes}")

set(CLI_RUN_DEMO -bios ${DEMO} -display none --icount 100000000)
set(CLI_NO_RUN -bios ${DEMO} -display none -serial none)

# --- the help lists every new option ------------------------------------------
cli_test(help_pc --status 0 --stdout "^Usage: brisk" --stdout "^  -bios FILE"
         --stdout "^  -hda/-hdb/-hdc/-hdd FILE" --stdout "^  -fda/-fdb FILE"
         --stdout "^  -drive file=PATH" --stdout "^  -snapshot" --stdout "^  -boot "
         --stdout "^  -rtc base=" --stdout "^  -L DIR" --stdout "^  --screendump FILE"
         --stdout "SeaBIOS" --stdout "BRISK_FIRMWARE_PATH"
         --stdout "/usr/share/seabios:/usr/share/qemu" --stdout "^ +bios +firmware"
         -- --help)

# --- good spellings: the machine starts -----------------------------------------
cli_test(disks_parse --status 1 --stdout "^Brisk demo guest"
         -- ${CLI_RUN_DEMO} -snapshot -hda ${CLI_DISK}
         -drive file=${GUEST_OUT}/cli_disk,,comma.img,if=ide,index=3,format=raw,media=disk,readonly
         -drive file=${CLI_DISK},snapshot=on
         -drive if=floppy,file=${CLI_FLOPPY},readonly=on)
cli_test(fd_hd_shorthands --status 1 --stdout "^Brisk demo guest"
         -- ${CLI_RUN_DEMO} -snapshot -hdb ${CLI_DISK} -hdd ${CLI_DISK} -fdb ${CLI_FLOPPY})
cli_test(boot_rtc_parse --status 1 --stdout "^Brisk demo guest"
         -- ${CLI_RUN_DEMO} -boot cad -boot order=dc,menu=on -boot once=n,menu=off
         -rtc base=2020-02-29T23:59:59,clock=vm,driftfix=none -L ${GUEST_OUT})
cli_test(rtc_localtime --status 1 --stdout "^Brisk demo guest"
         -- ${CLI_RUN_DEMO} -rtc base=localtime -rtc base=utc -rtc base=1999-12-31)
cli_test(log_bios --status 1 --stdout "^Brisk demo guest" -- ${CLI_RUN_DEMO} -d bios)

# --- --screendump: written however the run ends ----------------------------------
# The ROM guests never set a video mode: the dump is blank rows (a "\n"
# each), never an empty file, which is what a dump that was not written
# would leave (brisk creates the file before the run).
cli_test(screendump_triple_fault --status 1 --stderr "triple fault"
         --file ${GUEST_OUT}/cli_screen_triple.txt "^$"
         -- -bios ${GUEST_OUT}/triplefault.bin -display none -serial none -no-reboot
         --screendump ${GUEST_OUT}/cli_screen_triple.txt)
cli_test(screendump_guest_exit --status 1 --stdout "^Brisk demo guest"
         --file ${GUEST_OUT}/cli_screen_demo.txt "^$"
         -- ${CLI_RUN_DEMO} --screendump ${GUEST_OUT}/cli_screen_demo.txt)
cli_test(screendump_unwritable --status 2 --one-line-error
         --stderr "--screendump: cannot open '.*no-such-dir/screen\\.txt'"
         -- ${CLI_NO_RUN} --screendump ${GUEST_OUT}/no-such-dir/screen.txt)

# --- bad options ---------------------------------------------------------------
cli_test(hda_missing_argument --status 2 --one-line-error --stderr "'-hda' needs an argument"
         -- ${CLI_NO_RUN} -hda)
cli_test(drive_bad_format --status 2 --one-line-error --stderr "format=qcow2 .*only raw images"
         -- ${CLI_NO_RUN} -drive file=${CLI_DISK},format=qcow2)
cli_test(drive_unknown_key --status 2 --one-line-error --stderr "unknown parameter 'cache'"
         -- ${CLI_NO_RUN} -drive file=${CLI_DISK},cache=none)
cli_test(drive_duplicate_index --status 2 --one-line-error --stderr "if=ide,index=0 is given twice"
         -- ${CLI_NO_RUN} -hda ${CLI_DISK} -drive file=${CLI_DISK},index=0)
cli_test(hda_twice --status 2 --one-line-error --stderr "-hda: .*index=0 is given twice"
         -- ${CLI_NO_RUN} -hda ${CLI_DISK} -hda ${CLI_DISK})
cli_test(drive_no_free_slot --status 2 --one-line-error --stderr "no free if=floppy slot"
         -- ${CLI_NO_RUN} -fda ${CLI_FLOPPY} -fdb ${CLI_FLOPPY} -drive if=floppy,file=${CLI_FLOPPY})
cli_test(drive_index_range --status 2 --one-line-error --stderr "index=2 is out of range"
         -- ${CLI_NO_RUN} -drive file=${CLI_FLOPPY},if=floppy,index=2)
cli_test(drive_cdrom --status 2 --one-line-error --stderr "CD-ROM comes in a later version"
         -- ${CLI_NO_RUN} -drive file=${CLI_DISK},media=cdrom)
cli_test(drive_bad_if --status 2 --one-line-error --stderr "if=virtio is not available"
         -- ${CLI_NO_RUN} -drive file=${CLI_DISK},if=virtio)
cli_test(drive_no_file --status 2 --one-line-error --stderr "file=PATH is missing"
         -- ${CLI_NO_RUN} -drive if=ide,index=1)
cli_test(drive_bad_readonly --status 2 --one-line-error --stderr "readonly=maybe is not on or off"
         -- ${CLI_NO_RUN} -drive file=${CLI_DISK},readonly=maybe)
cli_test(boot_bad_letter --status 2 --one-line-error --stderr "-boot: 'z' is not a boot device"
         -- ${CLI_NO_RUN} -boot cz)
cli_test(boot_letter_twice --status 2 --one-line-error --stderr "'c' is given twice"
         -- ${CLI_NO_RUN} -boot order=cdc)
cli_test(boot_bad_menu --status 2 --one-line-error --stderr "menu=maybe is not on or off"
         -- ${CLI_NO_RUN} -boot c,menu=maybe)
cli_test(boot_unknown_key --status 2 --one-line-error --stderr "-boot: unknown parameter 'bogus'"
         -- ${CLI_NO_RUN} -boot order=c,bogus=1)
cli_test(rtc_bad_date --status 2 --one-line-error --stderr "-rtc: base=2023-02-29 is not"
         -- ${CLI_NO_RUN} -rtc base=2023-02-29)
cli_test(rtc_bad_time --status 2 --one-line-error --stderr "-rtc: base=2023-01-01T24:00:00 is not"
         -- ${CLI_NO_RUN} -rtc base=2023-01-01T24:00:00)
cli_test(rtc_unknown_key --status 2 --one-line-error --stderr "-rtc: unknown parameter 'bogus'"
         -- ${CLI_NO_RUN} -rtc base=utc,bogus=1)

# --- set-up errors from the machine ------------------------------------------------
cli_test(missing_disk_image --status 2 --one-line-error --stderr "no-such-disk\\.img"
         -- ${CLI_NO_RUN} -hda ${GUEST_OUT}/no-such-disk.img)
# ",," must reach the machine as one comma.
cli_test(missing_disk_image_comma --status 2 --one-line-error --stderr "no-such,disk\\.img"
         -- ${CLI_NO_RUN} -drive file=${GUEST_OUT}/no-such,,disk.img)
# -L is searched (and named in the message) before BRISK_FIRMWARE_PATH.
cli_test(no_firmware_in_L --env BRISK_FIRMWARE_PATH=/nonexistent --status 2 --one-line-error
         --stderr "seabios" --stderr "no-firmware-here"
         -- -L ${GUEST_OUT}/no-firmware-here -display none -serial none)

# -no-reboot: a reset the guest asks for (port 92h here) ends the run with
# status 0, as QEMU does.
cli_test(no_reboot_on_reset --status 0 --stdout "^reboot: resetting through port 92h"
         --stderr "reset the machine. stopping"
         -- -bios ${GUEST_OUT}/reboot.bin -display none -serial stdio -no-reboot --icount 100000000)

# The serial console on a terminal: Ctrl-A x quits (status 0) while SeaBIOS
# waits for a boot device, as QEMU's -nographic escape does.
add_test(NAME cli_tty_quit
         COMMAND bash ${GUEST_DIR}/run_tty.sh $<TARGET_FILE:brisk> 0 "\\001x" "quit \\(Ctrl-A x\\)"
                 -- -display none -serial stdio)
set_tests_properties(cli_tty_quit PROPERTIES LABELS "boot;cli" TIMEOUT 60)

# QEMU users will try -cdrom: a clear word rather than "unknown option".
cli_test(cdrom_not_yet --status 2 --one-line-error --stderr "-cdrom: CD-ROM comes in a later version"
         -- -cdrom ${GUEST_OUT}/demo.bin -display none)
cli_test(boot_too_many --status 2 --one-line-error --stderr "-boot: 'acdn' names 4 devices"
         -- -bios ${GUEST_OUT}/demo.bin -display none -serial none -boot acdn)
# ... also after keys the guest never reads (SeaBIOS leaves COM1 alone, so
# its receive buffer stays full): the escape is seen when it is typed.
add_test(NAME cli_tty_quit_after_typing
         COMMAND bash ${GUEST_DIR}/run_tty.sh $<TARGET_FILE:brisk> 0 "hello world\\r\\001x"
                 "quit \\(Ctrl-A x\\)" -- -display none -serial stdio)
set_tests_properties(cli_tty_quit_after_typing PROPERTIES LABELS "boot;cli" TIMEOUT 60)
