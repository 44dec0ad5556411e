#!/bin/bash
# boot_linux.sh - boot time of the Linux guest (scripts/build-linux-guest.sh)
# to its busybox shell prompt, under Brisk and under QEMU (TCG), with the
# kernel booted directly (-kernel, no BIOS code) and through the BIOS
# (SeaBIOS -> the IDE disk's MBR -> SYSLINUX -> the same kernel and
# initramfs). Not part of CTest: it measures the host.
#
#   tests/bench/boot_linux.sh [--brisk PATH] [--guest DIR] [--rounds N] [--no-qemu]
#                             [--append "EXTRA KERNEL OPTIONS"]
#
# Each run starts the emulator in real time (no --icount: guest time
# follows wall time, as a user runs it) with COM1 in a file, and stops it
# when the line "built-in shell" appears; the time is the wall-clock time
# from the start to that line (polled every 50 ms). The BIOS boots include
# SYSLINUX's 3 s prompt timeout (syslinux.cfg), for both emulators. Rounds
# alternate Brisk and QEMU; the table gives the median of each.
#
# Exit status: 0 when every run reached the shell, 1 if one did not, 2 for
# a usage error or a missing guest.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
brisk=$root/build/frontends/brisk
guest=$root/build/guest
rounds=3
use_qemu=1
extra=
while [ $# -gt 0 ]; do
    case $1 in
    --brisk) brisk=$2; shift 2 ;;
    --guest) guest=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --no-qemu) use_qemu=0; shift ;;
    --append) extra=$2; shift 2 ;;
    *) echo "boot_linux.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
for f in linux/vmlinuz initrd.gz disk.img; do
    [ -f "$guest/$f" ] || { echo "boot_linux.sh: $guest/$f missing: run scripts/build-linux-guest.sh" >&2; exit 2; }
done
[ -x "$brisk" ] || { echo "boot_linux.sh: $brisk missing: run scripts/build.sh" >&2; exit 2; }
if [ "$use_qemu" = 1 ] && ! command -v qemu-system-i386 >/dev/null; then
    echo "boot_linux.sh: qemu-system-i386 missing: apt-get install qemu-system-x86 (or --no-qemu)" >&2
    exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/brisk-bootbench.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
cmdline="console=ttyS0${extra:+ $extra}"

# run NAME CMD...: prints the seconds to the shell prompt, or FAIL.
run() {
    local name=$1 out=$work/$1.out
    shift
    : >"$out"
    local t0 t1
    t0=$(date +%s.%N)
    "$@" </dev/null >"$out" 2>"$work/$name.err" &
    local pid=$!
    local limit=$((SECONDS + 600))
    while ! grep -q "built-in shell" "$out" 2>/dev/null; do
        if ! kill -0 "$pid" 2>/dev/null || [ $SECONDS -ge $limit ]; then
            kill "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            echo FAIL
            return
        fi
        sleep 0.05
    done
    t1=$(date +%s.%N)
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    echo "$t0 $t1" | awk '{ printf "%.2f\n", $2 - $1 }'
}

declare -A times
configs=(brisk_kernel brisk_bios)
[ "$use_qemu" = 1 ] && configs+=(qemu_kernel qemu_bios)
q=(qemu-system-i386 -m 256M -display none -serial stdio -no-reboot -nic none)
b=("$brisk" -m 256M -display none -serial stdio -no-reboot)
for r in $(seq 1 "$rounds"); do
    for c in "${configs[@]}"; do
        case $c in
        brisk_kernel) t=$(run "$c" "${b[@]}" -kernel "$guest/linux/vmlinuz" -initrd "$guest/initrd.gz" -append "$cmdline") ;;
        brisk_bios) t=$(run "$c" "${b[@]}" -hda "$guest/disk.img" -snapshot) ;;
        qemu_kernel) t=$(run "$c" "${q[@]}" -kernel "$guest/linux/vmlinuz" -initrd "$guest/initrd.gz" -append "$cmdline") ;;
        qemu_bios) t=$(run "$c" "${q[@]}" -drive "file=$guest/disk.img,format=raw,if=ide,index=0" -snapshot) ;;
        esac
        echo "round $r: $c: $t s" >&2
        times[$c]="${times[$c]:-} $t"
    done
done

status=0
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "-"; else print a[int((NR + 1) / 2)] }'; }
printf "%-14s %10s %s\n" "boot" "median s" "(all rounds)"
for c in "${configs[@]}"; do
    case " ${times[$c]} " in *FAIL*) status=1 ;; esac
    m=$(echo "${times[$c]}" | tr ' ' '\n' | grep -v FAIL | tr '\n' ' ' | median)
    printf "%-14s %10s (%s)\n" "$c" "$m" "${times[$c]# }"
done
if [ "$use_qemu" = 1 ]; then
    for k in kernel bios; do
        bm=$(echo "${times[brisk_$k]}" | tr ' ' '\n' | grep -v FAIL | tr '\n' ' ' | median)
        qm=$(echo "${times[qemu_$k]}" | tr ' ' '\n' | grep -v FAIL | tr '\n' ' ' | median)
        awk -v b="$bm" -v q="$qm" -v k="$k" 'BEGIN { if (b + 0 > 0 && q + 0 > 0) printf "brisk/qemu (%s): %.2fx\n", k, b / q }'
    done
fi
exit $status
