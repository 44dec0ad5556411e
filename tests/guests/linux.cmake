# linux.cmake - the Linux boot protocol loader's tests (bios/linux.c),
# included by tests/guests/CMakeLists.txt. The test kernel
# (tests/guests/linux/bzimage.asm, nasm) is a tiny image laid out like a
# bzImage: it checks the 32-bit entry state and the zero page the loader
# filled and prints PASS/FAIL lines on COM1. Variants of it with a broken
# setup header are the negative tests: each must end with exit status 2 and
# exactly one `brisk:` line on stderr. All are labelled `boot`.
#
# Booting a real Linux kernel (scripts/build-linux-guest.sh) is described in
# docs/linux.md.

set(LX_SRC ${GUEST_DIR}/linux)
set(LX_OUT ${GUEST_OUT}/linux)
file(MAKE_DIRECTORY ${LX_OUT})

# lx_image(OUTPUT [nasm -D options...])
set(lx_images)
function(lx_image output)
  add_custom_command(
    OUTPUT ${LX_OUT}/${output}
    COMMAND ${NASM} -f bin ${ARGN} -o ${LX_OUT}/${output} ${LX_SRC}/bzimage.asm
    DEPENDS ${LX_SRC}/bzimage.asm
    COMMENT "Assembling Linux loader test image ${output}"
    VERBATIM)
endfunction()
lx_image(bzimage.bin)
lx_image(old_protocol.bin -DVERSION=0x0201)
lx_image(zimage.bin -DLOADFLAGS=0)
lx_image(setup_only.bin -DSETUP_ONLY)
lx_image(short_syssize.bin -DSYSSIZE_EXTRA=64)
# The good image cut short inside its protected-mode part.
add_custom_command(
  OUTPUT ${LX_OUT}/cut.bin
  COMMAND head -c 3000 ${LX_OUT}/bzimage.bin > ${LX_OUT}/cut.bin
  DEPENDS ${LX_OUT}/bzimage.bin
  COMMENT "Cutting the Linux loader test image short")
add_custom_target(brisk_linux_test_images ALL
                  DEPENDS ${LX_OUT}/bzimage.bin ${LX_OUT}/old_protocol.bin ${LX_OUT}/zimage.bin
                          ${LX_OUT}/setup_only.bin ${LX_OUT}/short_syssize.bin ${LX_OUT}/cut.bin)
# "HdrS" at 202h and nothing after it.
string(REPEAT "0" 514 lx_zeros)
file(WRITE ${LX_OUT}/header_only.bin "${lx_zeros}HdrS")

# The initrd the test kernel expects: 4196 bytes (not a multiple of a page)
# starting "BRISK-INITRD".
string(REPEAT "x" 4184 lx_pad)
file(WRITE ${LX_OUT}/initrd.bin "BRISK-INITRD${lx_pad}")

# lx_test(NAME [run_cli.sh options...] -- ARGS...)
function(lx_test name)
  add_test(NAME linux_${name} COMMAND bash ${RUN_CLI} $<TARGET_FILE:brisk> ${ARGN})
  set_tests_properties(linux_${name} PROPERTIES LABELS "boot" TIMEOUT 60)
endfunction()

set(LX_RUN -display none -serial stdio -no-reboot --icount 100000000)

# The zero page and the entry state (16 MiB: the e820 map and initrd address
# the kernel checks are computed for it).
lx_test(boot_params --status 1 --stdout "^linux: all checks passed" --stdout "^PASS: the e820 table"
        -- ${LX_RUN} -m 16 -kernel ${LX_OUT}/bzimage.bin -initrd ${LX_OUT}/initrd.bin
        -append "console=ttyS0 brisk-test")

# --- images and options the loader must refuse, with one line and status 2 ------
set(LX_ERR --status 2 --one-line-error)
lx_test(old_protocol ${LX_ERR} --stderr "boot protocol 2.01"
        -- ${LX_RUN} -kernel ${LX_OUT}/old_protocol.bin)
lx_test(zimage ${LX_ERR} --stderr "zImage" -- ${LX_RUN} -kernel ${LX_OUT}/zimage.bin)
lx_test(truncated_setup ${LX_ERR} --stderr "truncated"
        -- ${LX_RUN} -kernel ${LX_OUT}/setup_only.bin)
lx_test(truncated_kernel ${LX_ERR} --stderr "truncated"
        -- ${LX_RUN} -kernel ${LX_OUT}/short_syssize.bin)
lx_test(truncated_file ${LX_ERR} --stderr "truncated"
        -- ${LX_RUN} -kernel ${LX_OUT}/cut.bin)
lx_test(truncated_header ${LX_ERR} --stderr "truncated inside its setup header"
        -- ${LX_RUN} -kernel ${LX_OUT}/header_only.bin)
lx_test(too_little_ram ${LX_ERR} --stderr "use -m"
        -- ${LX_RUN} -m 1 -kernel ${LX_OUT}/bzimage.bin)
lx_test(missing_initrd ${LX_ERR} --stderr "-initrd: cannot open"
        -- ${LX_RUN} -kernel ${LX_OUT}/bzimage.bin -initrd ${LX_OUT}/no-such-initrd.img)
string(REPEAT "a" 300 lx_long)
lx_test(cmdline_too_long ${LX_ERR} --stderr "takes 255"
        -- ${LX_RUN} -kernel ${LX_OUT}/bzimage.bin -append ${lx_long})
