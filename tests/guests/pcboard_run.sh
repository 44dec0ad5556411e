#!/bin/bash
# pcboard_run.sh - runs the pcboard guest (pcboard.asm) under brisk with
# the brisk options it needs (drives, -m, -boot), which run_guest.sh does
# not pass on, and checks it the way run_guest.sh --checks does: exit
# status 1 (the guest wrote 0 to port F4h), one PASS line per CHECK* macro
# in the source, no FAIL line and the "DONE: N passed, 0 failed" line.
#
#   pcboard_run.sh BRISK IMAGE ASM [brisk options...]
#
# brisk runs with -display none, COM1 to a file, -no-reboot, --icount and
# stdin from /dev/null; on failure the COM1 output and brisk's stderr are
# printed.

set -u

if [ $# -lt 3 ]; then
    echo "usage: $0 BRISK IMAGE ASM [brisk options...]" >&2
    exit 2
fi
brisk=$1
image=$2
asm=$3
shift 3

work=$(mktemp -d "${TMPDIR:-/tmp}/brisk-pcboard.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
serial=$work/com1

timeout 60 "$brisk" -bios "$image" -display none -serial "file:$serial" -no-reboot \
    --icount 100000000 "$@" </dev/null 2>"$work/stderr"
rc=$?
[ -f "$serial" ] || : >"$serial"

failed=0
fail() {
    echo "FAILED: $*"
    failed=1
}

if [ "$rc" = 124 ]; then
    fail "timed out after 60 s"
elif [ "$rc" != 1 ]; then
    fail "exit status $rc, expected 1"
fi
if grep -a -q '^FAIL' "$serial"; then
    fail "the guest reported failures:"
    grep -a '^FAIL' "$serial" | sed 's/^/    /'
fi
want=$(grep -cE '^\s*(CHECK|CHECK8|CHECK16|CHECK_CC)\s' "$asm")
got=$(grep -a -c '^PASS ' "$serial")
[ "$got" = "$want" ] || fail "$got PASS lines, expected $want (one per check in $(basename "$asm"))"
grep -a -q "^DONE: $want passed, 0 failed" "$serial" ||
    fail "no line 'DONE: $want passed, 0 failed'"

if [ "$failed" = 1 ]; then
    echo "command: brisk -bios $image $*"
    echo "--- COM1 output ---"
    tr -d '\r' <"$serial"
    echo "--- stderr (exit status $rc) ---"
    head -50 "$work/stderr"
    exit 1
fi
echo "ok: pcboard: exit status $rc, $got PASS lines"
exit 0
