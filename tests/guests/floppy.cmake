# floppy.cmake - booting SeaBIOS from a floppy image of our own, included by
# tests/guests/CMakeLists.txt. tests/guests/floppy/floppy.asm (nasm) is a
# whole 1.44 MB image: a boot sector that prints through INT 10h and COM1
# and loads stage 2 with INT 13h across head and cylinder boundaries, and a
# stage 2 that checks INT 10h/13h services and the data of many reads, one
# PASS/FAIL line each on the screen and on COM1, and exits through port
# 0xF4. run_floppy.sh runs brisk on a copy of the image and checks the exit
# status, COM1 and the text screen (--screendump: SeaBIOS's banner must be
# there). Bad images must end with status 2 and one `brisk:` line.
# All are labelled `boot` and `floppy`.
#
# Not tested here: a floppy without the 55AA signature. SeaBIOS then prints
# "Boot failed: not a bootable disk" and retries forever, and brisk has no
# clean way to end such a run (no guest time limit), only the wall clock.
#
# The same images run on QEMU:
#   qemu-system-i386 -drive file=build/tests/guests/floppy/floppy.img,format=raw,if=floppy \
#       -boot a -display none -serial stdio -nic none \
#       -device isa-debug-exit,iobase=0xf4,iosize=0x04      (exit status 1)

set(FL_SRC ${GUEST_DIR}/floppy)
set(FL_OUT ${GUEST_OUT}/floppy)
file(MAKE_DIRECTORY ${FL_OUT})

# fl_image(OUTPUT [nasm -D options...])
function(fl_image output)
  add_custom_command(
    OUTPUT ${FL_OUT}/${output}
    COMMAND ${NASM} -f bin ${ARGN} -o ${FL_OUT}/${output} ${FL_SRC}/floppy.asm
    DEPENDS ${FL_SRC}/floppy.asm
    COMMENT "Assembling floppy test image ${output}"
    VERBATIM)
endfunction()
fl_image(floppy.img)
fl_image(floppy_write.img -DWRITE_TEST)
add_custom_target(brisk_floppy_images ALL DEPENDS ${FL_OUT}/floppy.img ${FL_OUT}/floppy_write.img)

# 1000 bytes: no floppy format has that size.
string(REPEAT "x" 1000 fl_bad)
file(WRITE ${FL_OUT}/bad_size.img "${fl_bad}")

set(RUN_FLOPPY ${FL_SRC}/run_floppy.sh)

# fl_test(NAME [run_floppy.sh options...])
function(fl_test name image)
  add_test(NAME floppy_${name}
           COMMAND bash ${RUN_FLOPPY} $<TARGET_FILE:brisk> ${FL_OUT}/${image} ${ARGN})
  set_tests_properties(floppy_${name} PROPERTIES LABELS "boot;floppy" TIMEOUT 120)
endfunction()

set(FL_SCREEN --screen "^SeaBIOS \\(version " --screen "^Booting from Floppy"
              --screen "^Brisk floppy boot test: boot sector at 0000:7C00")

fl_test(boot floppy.img --passes 11 --expect "^Brisk floppy boot test: boot sector"
        ${FL_SCREEN} --screen "^PASS INT 13h AH=02h: the last track" --screen "^DONE: 11 passed, 0 failed")
# INT 13h AH=03h: the written sector must reach the image file.
fl_test(write floppy_write.img --passes 12 ${FL_SCREEN} --screen "^DONE: 12 passed, 0 failed"
        --image-grep "BRISK FLOPPY WRITE TEST")
# The same write with -snapshot: the guest reads its write back (12 PASS),
# the image file stays as it was.
fl_test(write_snapshot floppy_write.img --snapshot --passes 12 ${FL_SCREEN}
        --screen "^DONE: 12 passed, 0 failed" --image-grep "BRISK FLOPPY WRITE TEST")

# --- images brisk must refuse, with one line and status 2 -------------------
# fl_cli_test(NAME [run_cli.sh options...] -- ARGS...)
function(fl_cli_test name)
  add_test(NAME floppy_${name} COMMAND bash ${RUN_CLI} $<TARGET_FILE:brisk> ${ARGN})
  set_tests_properties(floppy_${name} PROPERTIES LABELS "boot;floppy;cli" TIMEOUT 60)
endfunction()

fl_cli_test(bad_size --status 2 --one-line-error --stderr "floppy.*bad_size\\.img.*1000"
            -- -fda ${FL_OUT}/bad_size.img -boot a -display none -serial none)
fl_cli_test(missing --status 2 --one-line-error --stderr "no-such-floppy\\.img"
            -- -fda ${FL_OUT}/no-such-floppy.img -boot a -display none -serial none)

# SeaBIOS's debug port (0x402) in the log with -d bios; -snapshot keeps the
# build's image unchanged (the guest does not write here, but the FDC gets
# a private copy).
fl_cli_test(bios_log --status 1 --file ${FL_OUT}/bios_log.txt "^SeaBIOS \\(version "
            --file ${FL_OUT}/bios_log.txt "^Booting from Floppy"
            -- -fda ${FL_OUT}/floppy.img -snapshot -boot a -display none -serial none
            --icount 100000000 -d bios -D ${FL_OUT}/bios_log.txt)

# The boot order reaches SeaBIOS (CMOS 3Dh/38h): with the same image as the
# floppy and as the first hard disk, -boot c boots the hard disk (where the
# guest's floppy checks fail, DL being 80h: status 3) and -boot order=a the
# floppy.
fl_cli_test(boot_order_c --status 3 --file ${FL_OUT}/order_c.txt "^Booting from Hard Disk"
            -- -fda ${FL_OUT}/floppy.img -hda ${FL_OUT}/floppy.img -snapshot -boot c
            -display none -serial none -no-reboot --icount 100000000
            --screendump ${FL_OUT}/order_c.txt)
fl_cli_test(boot_order_a --status 1 --file ${FL_OUT}/order_a.txt "^Booting from Floppy"
            -- -fda ${FL_OUT}/floppy.img -hda ${FL_OUT}/floppy.img -snapshot -boot order=a
            -display none -serial none -no-reboot --icount 100000000
            --screendump ${FL_OUT}/order_a.txt)
