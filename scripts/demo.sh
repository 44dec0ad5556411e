#!/usr/bin/env bash
# The main job: install, build, build the Linux guest (Debian 12's i386
# kernel and busybox, downloaded once) and boot it on the emulated PC:
# SeaBIOS runs, boots the guest's hard disk image, SYSLINUX loads Linux,
# and the busybox shell comes up on this terminal (COM1 on stdio).
#
#   scripts/demo.sh             # boot through the BIOS from the IDE disk
#   scripts/demo.sh --kernel    # boot the same kernel directly (-kernel, no BIOS)
#   scripts/demo.sh [--kernel] -- EXTRA BRISK OPTIONS
#
# Type commands at the shell; `poweroff -f` ends the run (exit status 0),
# as does Ctrl-A x. The disk image is used with -snapshot: the guest's
# writes are thrown away at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
direct=0
if [ "${1:-}" = "--kernel" ]; then direct=1; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
scripts/install-deps.sh
scripts/build.sh
scripts/build-linux-guest.sh build/guest
g=build/guest
if [ "$direct" = 1 ]; then
    boot=(-kernel "$g/linux/vmlinuz" -initrd "$g/initrd.gz" -append "console=ttyS0")
else
    boot=(-hda "$g/disk.img" -snapshot)
fi
echo "demo: booting Linux on Brisk (type 'poweroff -f' or Ctrl-A x to stop)" >&2
exec build/frontends/brisk "${boot[@]}" -m 256M -display none -serial stdio "$@"
