#!/bin/bash
# run.sh - the benchmark harness: builds the workloads (tests/bench/*.c) as
# Multiboot kernels and as native programs, runs each under Brisk, under
# QEMU (if installed) and natively, alternating them round by round, checks
# that all three print the same checksum and prints a table of the median
# times. Not part of the CTest suite (it takes minutes and measures the
# host). docs/performance.md has results and how to read them.
#
#   tests/bench/run.sh [--brisk PATH] [--rounds N] [--only "hash sort"]
#                      [--out DIR] [--no-qemu]
#
#   --brisk PATH   the brisk binary (default build/frontends/brisk, built
#                  with scripts/build.sh if missing)
#   --rounds N     rounds per workload (default 3)
#   --only LIST    a subset of the workloads: hash sort vm memcpy fib
#   --out DIR      where kernels, programs and logs go (default
#                  ${TMPDIR:-/tmp}/brisk-bench)
#   --no-qemu      skip QEMU
#
# Times are the wall-clock time of the whole emulator process (bash's
# `time`, which also gives its CPU time), so they include start-up: the
# "null" workload measures that, and the ratios use times with it
# subtracted ("net"). Brisk runs at its default rate (guest time follows
# wall time) with --stats, which gives the guest instruction count for the
# MIPS column. Native times come from the program itself (the workload
# alone, monotonic clock). The CPU time column shows how much the host's
# other load inflated a wall time: on a busy host, compare CPU times.
#
# Exit status: 0 when every run finished and the checksums agree, 1 if not,
# 2 for a usage or build error.

set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
brisk=
rounds=3
only=
out=${TMPDIR:-/tmp}/brisk-bench
use_qemu=1
while [ $# -gt 0 ]; do
    case $1 in
    --brisk) brisk=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-qemu) use_qemu=0; shift ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
workloads=(hash sort vm memcpy fib)
[ -n "$only" ] && read -r -a workloads <<<"$only"
for w in "${workloads[@]}"; do
    [ -f "$here/$w.c" ] || { echo "run.sh: no workload '$w'" >&2; exit 2; }
done
mkdir -p "$out" || exit 2

# --- build ---------------------------------------------------------------------
CC=${CC:-gcc}
case $(uname -m) in
x86_64|i?86) guest_cc=$CC ;;
*) guest_cc=i686-linux-gnu-gcc ;;
esac
command -v "$guest_cc" >/dev/null || {
    echo "run.sh: '$guest_cc' not found: install gcc-i686-linux-gnu" \
        "(see scripts/install-deps.sh)" >&2
    exit 2
}
common=(-O2 -fno-tree-loop-distribute-patterns -Wall -Wextra -Werror)
guest=(-m32 -march=i686 -mno-mmx -mno-sse -mno-sse2 -ffreestanding -fno-pic -fno-stack-protector
       -fno-asynchronous-unwind-tables -nostdlib -static -no-pie -Wl,--build-id=none
       -Wl,-T,"$here/rt/link.ld")
echo "building the workloads in $out"
for w in null "${workloads[@]}"; do
    "$guest_cc" "${common[@]}" "${guest[@]}" -o "$out/$w.elf" "$here/rt/entry.S" "$here/rt/rt.c" \
        "$here/$w.c" || { echo "run.sh: cannot build $w.elf" >&2; exit 2; }
    "$CC" "${common[@]}" -o "$out/$w.native" "$here/native.c" "$here/$w.c" ||
        { echo "run.sh: cannot build $w.native" >&2; exit 2; }
done

if [ -z "$brisk" ]; then
    brisk=$root/build/frontends/brisk
    if [ ! -x "$brisk" ]; then
        echo "building brisk (scripts/build.sh)"
        "$root/scripts/build.sh" || exit 2
    fi
fi
[ -x "$brisk" ] || { echo "run.sh: '$brisk' is not executable" >&2; exit 2; }
qemu=
if [ "$use_qemu" = 1 ]; then
    qemu=$(command -v qemu-system-i386) ||
        echo "run.sh: qemu-system-i386 is not installed (Debian: qemu-system-x86): no QEMU column"
fi

# --- runs ----------------------------------------------------------------------
# Each run appends "wall_s cpu_s checksum [icount]" to $res/<workload>.<who>.
# bash's `time` gives the child's wall and CPU (user + system) time.
res=$out/results
mkdir -p "$res" || exit 2
TIMEFORMAT='%R %U %S'
failed=0
timed() { # timed TIMEFILE OUTFILE ERRFILE CMD...: runs CMD, returns its status
    local tf=$1 of=$2 ef=$3
    shift 3
    { time "$@" </dev/null >"$of" 2>"$ef"; } 2>"$tf"
}
wall_cpu() { awk '{ printf "%s %.3f", $1, $2 + $3 }' "$1"; }
run_brisk() {
    local w=$1 log=$out/$1.brisk
    timed "$log.time" "$log.out" "$log.err" \
        "$brisk" -m 128 -kernel "$out/$w.elf" -display none -serial stdio --stats
    local rc=$?
    local sum icount
    sum=$(tr -d '\r' <"$log.out" | sed -n 's/^checksum: //p')
    icount=$(sed -n 's/^brisk: stats: icount=\([0-9]*\).*/\1/p' "$log.err")
    if [ "$rc" != 1 ] || [ -z "$sum" ]; then
        echo "run.sh: $w under brisk: exit status $rc (want 1); stderr:" >&2
        head -5 "$log.err" >&2
        failed=1
    fi
    echo "$(wall_cpu "$log.time") ${sum:-none} ${icount:-0}" >>"$res/$w.brisk"
}
run_qemu() {
    local w=$1 log=$out/$1.qemu
    timed "$log.time" "$log.out" "$log.err" \
        "$qemu" -accel tcg -m 128 -kernel "$out/$w.elf" -display none -serial stdio \
        -device isa-debug-exit,iobase=0xf4,iosize=4
    local rc=$?
    local sum
    sum=$(tr -d '\r' <"$log.out" | sed -n 's/^checksum: //p')
    if [ "$rc" != 1 ] || [ -z "$sum" ]; then
        echo "run.sh: $w under qemu: exit status $rc (want 1)" >&2
        head -5 "$log.err" >&2
        failed=1
    fi
    echo "$(wall_cpu "$log.time") ${sum:-none}" >>"$res/$w.qemu"
}
run_native() {
    local w=$1 log=$out/$1.native
    "$out/$w.native" >"$log.out" || failed=1
    local sum ns
    sum=$(sed -n 's/^checksum: //p' "$log.out")
    ns=$(sed -n 's/^native_ns: //p' "$log.out")
    echo "$(awk -v n="${ns:-0}" 'BEGIN { printf "%.4f %.4f", n / 1e9, n / 1e9 }') ${sum:-none}" \
        >>"$res/$w.native"
}

for w in null "${workloads[@]}"; do
    rm -f "$res/$w.brisk" "$res/$w.qemu" "$res/$w.native"
done
for r in $(seq 1 "$rounds"); do
    for w in null "${workloads[@]}"; do
        echo "round $r/$rounds: $w"
        run_brisk "$w"
        [ -n "$qemu" ] && run_qemu "$w"
        run_native "$w"
    done
done

# --- the table -----------------------------------------------------------------
# median FILE COLUMN: the median of a column.
median() {
    awk -v c="$2" '{ print $c }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
sums() { awk '{ print $3 }' "$1" | sort -u; }

b0=$(median "$res/null.brisk" 1)
b0c=$(median "$res/null.brisk" 2)
q0=0
q0c=0
if [ -n "$qemu" ]; then
    q0=$(median "$res/null.qemu" 1)
    q0c=$(median "$res/null.qemu" 2)
fi
printf '\n%-8s %8s %8s %7s %8s %7s %6s %6s %13s %13s  %s\n' workload "native" "Brisk" "(cpu)" \
    "QEMU" "(cpu)" "MIPS" "(cpu)" "Brisk/QEMU" "Brisk/native" checksum
for w in null "${workloads[@]}"; do
    bw=$(median "$res/$w.brisk" 1)
    bc=$(median "$res/$w.brisk" 2)
    bi=$(median "$res/$w.brisk" 4)
    nw=$(median "$res/$w.native" 1)
    qw=
    qc=
    if [ -n "$qemu" ]; then
        qw=$(median "$res/$w.qemu" 1)
        qc=$(median "$res/$w.qemu" 2)
    fi
    all=$( { sums "$res/$w.brisk"; sums "$res/$w.native"; [ -n "$qemu" ] && sums "$res/$w.qemu"; } |
           sort -u)
    if [ "$(echo "$all" | wc -l)" != 1 ] || [ "$all" = none ]; then
        echo "run.sh: $w: the checksums differ: $(echo $all)" >&2
        failed=1
        all="MISMATCH"
    fi
    awk -v w="$w" -v bw="$bw" -v bc="$bc" -v bi="$bi" -v nw="$nw" -v qw="$qw" -v qc="$qc" \
        -v b0="$b0" -v b0c="$b0c" -v q0="$q0" -v q0c="$q0c" -v sum="$all" '
    function ratio(a, b) { return (b > 0) ? sprintf("%.1f", a / b) : "-" }
    BEGIN {
        qs = (qw == "") ? "-" : sprintf("%.3f", qw)
        qcs = (qc == "") ? "-" : sprintf("%.3f", qc)
        mips = bw > 0 ? bi / bw / 1e6 : 0
        cmips = bc > 0 ? bi / bc / 1e6 : 0
        rq = "-"; rn = "-"
        if (w != "null") {
            if (qw != "") rq = ratio(bw - b0, qw - q0) " (" ratio(bc - b0c, qc - q0c) ")"
            rn = ratio(bw - b0, nw) " (" ratio(bc - b0c, nw) ")"
        }
        printf "%-8s %8.4f %8.3f %7.3f %8s %7s %6.0f %6.0f %13s %13s  %s\n",
            w, nw, bw, bc, qs, qcs, mips, cmips, rq, rn, sum
    }'
done
echo
echo "Seconds, medians of $rounds rounds. Brisk and QEMU: wall time of the whole process and,"
echo "in parentheses, its CPU time (user + system). MIPS: guest instructions per second of"
echo "Brisk wall (CPU) time. Ratios: net wall (CPU) times, minus the null workload's (Brisk"
echo "$b0 s ($b0c), QEMU $q0 s ($q0c)). Native: the workload alone, in-process."
exit $failed
