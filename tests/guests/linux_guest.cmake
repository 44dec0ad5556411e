# linux_guest.cmake - boot tests with the real Linux guest of
# scripts/build-linux-guest.sh (Debian 12's 6.1 686 kernel, a busybox
# initramfs, a SYSLINUX hard disk and a blank data disk), included by
# tests/guests/CMakeLists.txt. tests/guests/linux/run_linux.sh runs each:
# it types on COM1 once the shell is up and checks the output and, for the
# disk test, the ext2 file system the guest wrote (debugfs, e2fsck).
#
# The guest is not built by CMake (it needs the network once): without it
# every test here FAILS saying "run scripts/build-linux-guest.sh (needs
# network)". BRISK_GUEST_DIR is where it is (the script's DEST).
#
# Each brisk run takes ~40-80 s of wall time (--icount 200000000 makes it
# reproducible); the linux_qemu_* twins run the same guest on QEMU in a few
# seconds, which tells a broken guest from a Brisk bug. Labels: linux, boot
# (and qemu for the twins).

set(BRISK_GUEST_DIR ${CMAKE_SOURCE_DIR}/build/guest
    CACHE PATH "The Linux guest of scripts/build-linux-guest.sh (its DEST folder)")
set(RUN_LINUX ${GUEST_DIR}/linux/run_linux.sh)
set(LXG ${BRISK_GUEST_DIR})
set(LXG_RUN -m 256M -display none -serial stdio -no-reboot --icount 200000000)
set(LXG_KERNEL -kernel ${LXG}/linux/vmlinuz -initrd ${LXG}/initrd.gz)
set(LXG_CMDLINE "console=ttyS0 panic=-1")
# Most of a boot is the kernel's crypto self-tests (Debian's config runs
# them): 3.7e9 of the 4.2e9 instructions before /init, mostly mpi_powm in
# the DH and RSA tests, i.e. ~18 s of guest time and ~25 s of wall time
# per brisk run (docs/linux.md). The shell boots keep them as a check of
# the CPU's integer arithmetic (--reject: a wrong result fails a test
# vector); the disk tests skip them. tsc=reliable: with no HPET, ACPI PM
# timer or local APIC the clocksource watchdog checks the TSC against the
# jiffies-based "pit" clocksource, which is off by up to a tick once the
# PIT runs one-shot, so sleeps off the tick get the TSC marked unstable.
set(LXG_FAST "cryptomgr.notests tsc=reliable")
set(LXG_ALG_FAIL "alg: .*fail")

# No run may oops or panic.
set(LXG_REJECT --reject "Kernel panic|Oops:|BUG: ")

# lxg_test(NAME [run_linux.sh options...] -- ARGS...): linux_NAME on brisk
# and linux_qemu_NAME on QEMU.
function(lxg_test name)
  add_test(NAME linux_${name} COMMAND bash ${RUN_LINUX} $<TARGET_FILE:brisk> ${LXG}
                                      --timeout 300 ${LXG_REJECT} ${ARGN})
  set_tests_properties(linux_${name} PROPERTIES LABELS "linux;boot" TIMEOUT 360)
  add_test(NAME linux_qemu_${name} COMMAND bash ${RUN_LINUX} $<TARGET_FILE:brisk> ${LXG}
                                           --qemu --timeout 120 ${LXG_REJECT} ${ARGN})
  set_tests_properties(linux_qemu_${name} PROPERTIES LABELS "linux;boot;qemu" TIMEOUT 150)
endfunction()

# The kernel booted directly; commands typed at the busybox shell.
lxg_test(kernel_shell
         --wait "type 'poweroff -f' to stop" --wait "/ # "
         --send "echo hello-$((6*7))" --wait "hello-42"
         --send "cat /proc/cpuinfo" --wait "cpu family"
         --send "md5sum /bin/busybox" --wait "  /bin/busybox"
         --send "sha256sum /bin/busybox" --wait "[0-9a-f]{64}  /bin/busybox"
         --send "poweroff -f"
         --hash md5sum /bin/busybox busybox/bin/busybox
         --hash sha256sum /bin/busybox busybox/bin/busybox
         --expect "^Brisk Linux guest: init started \\(6\\.1\\."
         --expect "^hello-42"
         --expect "^vendor_id"
         --reject "${LXG_ALG_FAIL}"
         -- ${LXG_RUN} ${LXG_KERNEL} -append ${LXG_CMDLINE})

# SeaBIOS boots disk.img: its MBR, SYSLINUX on the FAT16 partition (its
# label typed at the boot: prompt), then the kernel and initrd it loads
# through INT 13h; the kernel command line is syslinux.cfg's.
lxg_test(bios_disk
         --wait "boot:" --send "linux"
         --wait "type 'poweroff -f' to stop" --wait "/ # "
         --send "cat /proc/cmdline" --wait "BOOT_IMAGE=/vmlinuz"
         --send "poweroff -f"
         --expect "^SYSLINUX 6\\."
         --expect "^Loading /initrd.gz"
         --expect "^BOOT_IMAGE=/vmlinuz console=ttyS0"
         --reject "${LXG_ALG_FAIL}"
         -- ${LXG_RUN} -hda ${LXG}/disk.img -snapshot)

# The guest's IDE disk test (ata_piix, sd_mod, ext2) on a copy of the blank
# data.img as the primary master; the host then reads what it wrote.
lxg_test(disk_write
         --copy data.img
         --expect "^BRISK-DISK-TEST: formatting /dev/sda"
         --expect "^BRISK-DISK-TEST: done"
         --disk-test data.img
         -- ${LXG_RUN} ${LXG_KERNEL} -append "${LXG_CMDLINE} ${LXG_FAST} brisk.test=disk"
         -hda @WORK@/data.img)

# All of it: SeaBIOS, SYSLINUX's "disk" label, and the disk test on the
# primary slave (the blank disk beside the boot disk). Linux names the two
# disks in the order sd attaches them, which varies (on QEMU the slave is
# sometimes sda): the test finds the blank one. Both disks are copies:
# -snapshot would cover every drive, as in QEMU.
lxg_test(bios_disk_write
         --copy disk.img --copy data.img
         --wait "boot:" --send "disk"
         --expect "^BRISK-DISK-TEST: start"
         --expect "^BRISK-DISK-TEST: found sd[ab]: 65536 KiB"
         --expect "^BRISK-DISK-TEST: found sd[ab]: 16384 KiB"
         --expect "^BRISK-DISK-TEST: formatting /dev/sd[ab] "
         --expect "^BRISK-DISK-TEST: done"
         --disk-test data.img
         -- ${LXG_RUN} -hda @WORK@/disk.img -hdb @WORK@/data.img)
