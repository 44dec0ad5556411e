#!/bin/bash
# run_guest.sh - runs one bare-metal test guest under brisk and checks how
# it ended (CTest runs this for every guest in tests/guests/).
#
#   run_guest.sh BRISK IMAGE [options]
#
#   --status N         expected exit status (default 1: the guest wrote 0 to
#                      the exit port 0xF4)
#   --checks ASM       the guest's source: it must print one PASS line per
#                      CHECK* macro in it, and no FAIL line
#   --passes N         exactly N PASS lines, and no FAIL line
#   --expect REGEX     a line of the COM1 output must match (grep -E);
#                      may be repeated
#   --stderr REGEX     a line of brisk's stderr must match; may be repeated
#   --twice            run twice: the COM1 outputs must be identical (with
#                      --icount every run of a guest is the same)
#   --no-debugcon      do not require the debug console (port 0xE9) output
#                      to be the same as the COM1 output
#   --reboot           run without -no-reboot (a triple fault resets)
#   --icount N         instructions per virtual second (default 100000000)
#   --timeout S        wall-clock limit in seconds (default 60)
#   --arg ARG          one more brisk argument (repeatable), e.g. --arg -hda
#                      --arg disk.img for a guest that looks at the board
#
# On failure it says why and prints the guest's output and brisk's stderr.

set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 BRISK IMAGE [options]" >&2
    exit 2
fi
brisk=$1
image=$2
shift 2

status=1
checks=
passes=
reboot=-no-reboot
expects=()
stderr_expects=()
twice=0
debugcon=1
icount=100000000
timeout_s=60
extra=()
while [ $# -gt 0 ]; do
    case $1 in
    --status) status=$2; shift 2 ;;
    --checks) checks=$2; shift 2 ;;
    --passes) passes=$2; shift 2 ;;
    --reboot) reboot=; shift ;;
    --expect) expects+=("$2"); shift 2 ;;
    --stderr) stderr_expects+=("$2"); shift 2 ;;
    --twice) twice=1; shift ;;
    --no-debugcon) debugcon=0; shift ;;
    --icount) icount=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --arg) extra+=("$2"); shift 2 ;;
    *) echo "$0: unknown option '$1'" >&2; exit 2 ;;
    esac
done

work=$(mktemp -d "${TMPDIR:-/tmp}/brisk-guest.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
name=$(basename "$image" .bin)
failed=0

fail() {
    echo "FAILED: $name: $*"
    failed=1
}

# run N: runs the guest, output in $work/serialN, debugconN, stderrN, rcN.
run() {
    timeout "$timeout_s" "$brisk" -bios "$image" -display none \
        -serial "file:$work/serial$1" -debugcon "file:$work/debugcon$1" \
        $reboot --icount "$icount" "${extra[@]+"${extra[@]}"}" 2>"$work/stderr$1"
    echo $? >"$work/rc$1"
}

run 1
rc=$(cat "$work/rc1")
serial=$work/serial1

if [ "$rc" = 124 ]; then
    fail "timed out after $timeout_s s"
elif [ "$rc" != "$status" ]; then
    fail "exit status $rc, expected $status"
fi
[ -f "$serial" ] || : >"$serial"

if grep -a -q '^FAIL' "$serial"; then
    fail "the guest reported failures:"
    grep -a '^FAIL' "$serial" | sed 's/^/    /'
fi

if [ -n "$checks" ]; then
    want=$(grep -cE '^\s*(CHECK|CHECK8|CHECK16|CHECK_CC)\s' "$checks")
    got=$(grep -a -c '^PASS ' "$serial")
    if [ "$got" != "$want" ]; then
        fail "$got PASS lines, expected $want (one per check in $(basename "$checks"))"
    fi
    if ! grep -a -q "^DONE: $want passed, 0 failed" "$serial"; then
        fail "no line 'DONE: $want passed, 0 failed'"
    fi
fi

if [ -n "$passes" ]; then
    got=$(grep -a -c '^PASS ' "$serial")
    [ "$got" = "$passes" ] || fail "$got PASS lines, expected $passes"
fi

for re in "${expects[@]+"${expects[@]}"}"; do
    if ! tr -d '\r' <"$serial" | grep -a -q -E -e "$re"; then
        fail "no output line matches '$re'"
    fi
done

for re in "${stderr_expects[@]+"${stderr_expects[@]}"}"; do
    if ! grep -a -q -E -e "$re" "$work/stderr1"; then
        fail "no stderr line matches '$re'"
    fi
done

if [ "$debugcon" = 1 ] && ! cmp -s "$serial" "$work/debugcon1"; then
    fail "the debug console output differs from the COM1 output"
    diff -a "$serial" "$work/debugcon1" | head -20 | sed 's/^/    /'
fi

if [ "$twice" = 1 ]; then
    run 2
    if ! cmp -s "$serial" "$work/serial2"; then
        fail "a second run gave different output (not deterministic)"
        diff -a "$serial" "$work/serial2" | head -20 | sed 's/^/    /'
    fi
fi

if [ "$failed" = 1 ]; then
    echo "--- COM1 output ($serial) ---"
    tr -d '\r' <"$serial"
    echo "--- stderr (exit status $rc) ---"
    head -50 "$work/stderr1"
    exit 1
fi
echo "ok: $name: exit status $rc, $(grep -a -c '^PASS ' "$serial") PASS lines"
exit 0
