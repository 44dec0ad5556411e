# multiboot.cmake - the Multiboot loader's tests (bios/multiboot.c), included
# by tests/guests/CMakeLists.txt. The test kernel (tests/guests/multiboot/)
# is freestanding C for i386, built with the host gcc and -m32 on x86 hosts
# or with i686-linux-gnu-gcc elsewhere, and booted with `brisk -kernel`; it
# checks what the loader filled in and prints PASS/FAIL lines on COM1. The
# negative tests feed the loader corrupt files: each must end with exit
# status 2 and exactly one `brisk:` line on stderr. All are labelled `boot`.

set(MB_SRC ${GUEST_DIR}/multiboot)
set(MB_OUT ${GUEST_OUT}/multiboot)
file(MAKE_DIRECTORY ${MB_OUT})

# A compiler for freestanding i386 code, checked by building a probe.
set(MB_CC_OK FALSE)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i[3-6]86)$")
  set(MB_CC ${CMAKE_C_COMPILER})
else()
  find_program(MB_CC i686-linux-gnu-gcc)
endif()
if(MB_CC)
  file(WRITE ${MB_OUT}/probe.c "void _start(void) { for (;;) { } }\n")
  execute_process(COMMAND ${MB_CC} -m32 -ffreestanding -nostdlib -static -no-pie -fno-pic
                          -o ${MB_OUT}/probe.elf ${MB_OUT}/probe.c
                  RESULT_VARIABLE mb_probe_rc OUTPUT_QUIET ERROR_QUIET)
  if(mb_probe_rc EQUAL 0)
    set(MB_CC_OK TRUE)
  endif()
endif()

# mb_test(NAME [run_cli.sh options...] -- ARGS...)
function(mb_test name)
  add_test(NAME multiboot_${name} COMMAND bash ${RUN_CLI} $<TARGET_FILE:brisk> ${ARGN})
  set_tests_properties(multiboot_${name} PROPERTIES LABELS "boot" TIMEOUT 120)
endfunction()

if(NOT MB_CC_OK)
  # Not skipped silently: the test fails and says what to install.
  add_test(NAME multiboot_toolchain
           COMMAND sh -c "echo 'the Multiboot test kernel needs a compiler for i386: \
install gcc-multilib (x86-64) or gcc-i686-linux-gnu (other hosts); see scripts/install-deps.sh'; \
exit 1")
  set_tests_properties(multiboot_toolchain PROPERTIES LABELS "boot")
  return()
endif()

set(MB_CFLAGS -m32 -march=i686 -mno-mmx -mno-sse -mno-sse2 -ffreestanding -nostdlib -fno-pic
    -fno-stack-protector -fno-asynchronous-unwind-tables -fno-builtin -O2 -Wall -Wextra
    -Werror)
set(MB_LDFLAGS -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-T,${MB_SRC}/link.ld)
set(MB_DEPS ${MB_SRC}/kernel.c ${MB_SRC}/entry.S ${MB_SRC}/link.ld)

# mb_kernel(OUTPUT [extra flags...]): compiles and links the test kernel.
function(mb_kernel output)
  add_custom_command(
    OUTPUT ${MB_OUT}/${output}
    COMMAND ${MB_CC} ${MB_CFLAGS} -o ${MB_OUT}/${output} ${MB_SRC}/entry.S
            ${MB_SRC}/kernel.c ${MB_LDFLAGS} ${ARGN}
    DEPENDS ${MB_DEPS}
    COMMENT "Building Multiboot test kernel ${output}"
    VERBATIM)
endfunction()

mb_kernel(mb_kernel.elf -Wl,--defsym=KERNEL_BASE=0x100000)
mb_kernel(mb_kernel_aout.bin -DAOUT_KLUDGE -Wl,--oformat=binary -Wl,--defsym=KERNEL_BASE=0x100000)
mb_kernel(mb_kernel_high.elf -Wl,--defsym=KERNEL_BASE=0x40000000)
add_custom_command(
  OUTPUT ${MB_OUT}/bad/truncated.elf ${MB_OUT}/bad/truncated.bin ${MB_OUT}/bad/badsum.bin
         ${MB_OUT}/bad/badflags.bin
  COMMAND bash ${MB_SRC}/make_bad.sh ${MB_OUT}/bad ${MB_OUT}/mb_kernel.elf
          ${MB_OUT}/mb_kernel_aout.bin
  DEPENDS ${MB_SRC}/make_bad.sh ${MB_OUT}/mb_kernel.elf ${MB_OUT}/mb_kernel_aout.bin
  COMMENT "Making corrupt Multiboot kernels"
  VERBATIM)
add_custom_target(brisk_multiboot_kernels ALL
                  DEPENDS ${MB_OUT}/mb_kernel.elf ${MB_OUT}/mb_kernel_aout.bin
                          ${MB_OUT}/mb_kernel_high.elf ${MB_OUT}/bad/truncated.elf)

set(MB_ELF ${MB_OUT}/mb_kernel.elf)
set(MB_AOUT ${MB_OUT}/mb_kernel_aout.bin)
set(MB_RUN -display none -serial stdio -no-reboot --icount 100000000)
set(MB_PASS --status 1 --timeout 60 --stdout "^multiboot: all [0-9]+ checks passed")

# --- kernels that boot ---------------------------------------------------------
# ELF, two modules (the second with ",," in its argument), 64 MiB.
mb_test(elf ${MB_PASS} --stdout "^boot loader: Brisk" --stdout "^module 2: .*mod2.txt a,b'"
        -- ${MB_RUN} -m 64 -kernel ${MB_ELF}
        -append "hello=world ram_mib=64 mods=2 loader=Brisk kname=mb_kernel.elf \
expect1=first_arg expect2=a,b"
        -initrd "${MB_SRC}/mod1.txt first arg,${MB_SRC}/mod2.txt a,,b")
# The a.out kludge (header flag 16), a flat image, no modules, 32 MiB.
mb_test(aout ${MB_PASS}
        -- ${MB_RUN} -m 32 -kernel ${MB_AOUT}
        -append "hello=world ram_mib=32 mods=0 loader=Brisk kname=mb_kernel_aout.bin")
# A reset (port 92h) boots the kernel again, with BSS and data as loaded.
mb_test(reboot ${MB_PASS} --stdout "^reboot: first boot"
        --stdout "^PASS: reboot: the kernel runs again"
        -- -display none -serial stdio --icount 100000000 -m 16 -kernel ${MB_ELF}
        -append "hello=world ram_mib=16 mods=1 loader=Brisk kname=mb_kernel.elf reboot expect1=x"
        -initrd "${MB_SRC}/mod1.txt x")
# --stats prints the instruction count at exit.
mb_test(stats ${MB_PASS} --stderr "^brisk: stats: icount=[1-9][0-9]* blocks=[1-9][0-9]* wall_s="
        -- ${MB_RUN} --stats -m 8 -kernel ${MB_ELF}
        -append "hello=world ram_mib=8 mods=0 loader=Brisk kname=mb_kernel.elf")
mb_test(help --status 0 --stdout "-kernel FILE" --stdout "-initrd" --stdout "--stats" -- --help)

# --- files the loader must refuse, with one line and status 2 -------------------
set(MB_ERR --status 2 --one-line-error)
mb_test(truncated_elf ${MB_ERR} --stderr "truncated"
        -- ${MB_RUN} -kernel ${MB_OUT}/bad/truncated.elf)
mb_test(truncated_aout ${MB_ERR} --stderr "truncated"
        -- ${MB_RUN} -kernel ${MB_OUT}/bad/truncated.bin)
mb_test(bad_checksum ${MB_ERR} --stderr "bad checksum"
        -- ${MB_RUN} -kernel ${MB_OUT}/bad/badsum.bin)
mb_test(unknown_required_flag ${MB_ERR} --stderr "features"
        -- ${MB_RUN} -kernel ${MB_OUT}/bad/badflags.bin)
mb_test(outside_ram ${MB_ERR} --stderr "outside the guest's RAM"
        -- ${MB_RUN} -m 64 -kernel ${MB_OUT}/mb_kernel_high.elf)
mb_test(too_little_ram ${MB_ERR} --stderr "outside the guest's RAM"
        -- ${MB_RUN} -m 1 -kernel ${MB_ELF})
mb_test(missing_module ${MB_ERR} --stderr "-initrd: cannot open"
        -- ${MB_RUN} -kernel ${MB_ELF} -initrd "${MB_SRC}/mod1.txt,${MB_OUT}/no-such-module.bin")
mb_test(missing_kernel ${MB_ERR} --stderr "-kernel: cannot open"
        -- ${MB_RUN} -kernel ${MB_OUT}/no-such-kernel.elf)
mb_test(not_multiboot ${MB_ERR} --stderr "not a Multiboot kernel"
        -- ${MB_RUN} -kernel ${MB_SRC}/mod1.txt)
mb_test(empty_kernel ${MB_ERR} --stderr "not a Multiboot kernel"
        -- ${MB_RUN} -kernel ${GUEST_OUT}/empty.bin)
mb_test(append_without_kernel ${MB_ERR} --stderr "need -kernel"
        -- ${MB_RUN} -bios ${GUEST_OUT}/demo.bin -append "x")
