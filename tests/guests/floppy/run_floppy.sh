#!/bin/bash
# run_floppy.sh - boots a floppy image under brisk with SeaBIOS and checks
# how the run ended: the exit status, the guest's COM1 output and the text
# screen (--screendump). CTest runs it for tests/guests/floppy.cmake.
#
#   run_floppy.sh BRISK IMAGE [options]
#
#   --status N          expected exit status (default 1: the guest wrote 0
#                       to the exit port 0xF4)
#   --passes N          exactly N "PASS" lines on COM1, no "FAIL" line, and
#                       a line "DONE: N passed, 0 failed"
#   --expect REGEX      a line of the COM1 output must match (grep -E, CRs
#                       removed); repeatable
#   --screen REGEX      a line of the text screen must match; repeatable.
#                       A screen line starting "FAIL" always fails the test
#   --stderr REGEX      a line of brisk's stderr must match; repeatable
#   --image-grep TEXT   after the run the image must contain TEXT, which it
#                       did not before (the guest wrote it)
#   --snapshot          run with -snapshot: then the image must NOT contain
#                       the --image-grep TEXT after the run (the guest's
#                       write went to the temporary copy only)
#   --icount N          instructions per virtual second (default 100000000)
#   --timeout S         wall-clock limit in seconds (default 60)
#
# The guest boots from a copy of IMAGE (the floppy controller writes through
# to its file): the build's image never changes. The command is
#   brisk -fda COPY -boot a -display none -serial stdio -no-reboot
#         --icount N --screendump SCREEN.txt
# with stdin from /dev/null. It prints each comparison it made; on failure
# it says why and shows the COM1 output, the screen and stderr.

set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 BRISK IMAGE [options]" >&2
    exit 2
fi
brisk=$1
image=$2
shift 2

status=1
passes=
expects=()
screens=()
stderr_expects=()
image_grep=
snapshot=0
icount=100000000
timeout_s=60
while [ $# -gt 0 ]; do
    case $1 in
    --status) status=$2; shift 2 ;;
    --passes) passes=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --screen) screens+=("$2"); shift 2 ;;
    --stderr) stderr_expects+=("$2"); shift 2 ;;
    --image-grep) image_grep=$2; shift 2 ;;
    --snapshot) snapshot=1; shift ;;
    --icount) icount=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    *) echo "$0: unknown option '$1'" >&2; exit 2 ;;
    esac
done

name=$(basename "$image")
if [ ! -f "$image" ]; then
    echo "FAILED: $name: no such image '$image'"
    exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/brisk-floppy.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
cp "$image" "$work/$name" || exit 2

failed=0
fail() {
    echo "FAILED: $name: $*"
    failed=1
}
ok() {
    echo "ok: $*"
}

if [ -n "$image_grep" ] && grep -a -q -F -e "$image_grep" "$image"; then
    fail "the image holds '$image_grep' before the run: the check would prove nothing"
fi

args=(-fda "$work/$name" -boot a -display none -serial stdio -no-reboot
      --icount "$icount" --screendump "$work/screen.txt")
[ "$snapshot" = 1 ] && args+=(-snapshot)
echo "command: $brisk ${args[*]}"
timeout "$timeout_s" "$brisk" "${args[@]}" </dev/null >"$work/com1.raw" 2>"$work/stderr"
rc=$?
tr -d '\r' <"$work/com1.raw" >"$work/com1"
[ -f "$work/screen.txt" ] || : >"$work/screen.txt"

if [ "$rc" = 124 ]; then
    fail "timed out after $timeout_s s"
elif [ "$rc" != "$status" ]; then
    fail "exit status $rc, expected $status"
else
    ok "exit status $rc"
fi

if grep -a -q '^FAIL' "$work/com1"; then
    fail "the guest reported failures on COM1:"
    grep -a '^FAIL' "$work/com1" | sed 's/^/    /'
fi

if [ -n "$passes" ]; then
    got=$(grep -a -c '^PASS ' "$work/com1")
    if [ "$got" = "$passes" ]; then
        ok "$got PASS lines on COM1"
    else
        fail "$got PASS lines on COM1, expected $passes"
    fi
    if grep -a -q -x "DONE: $passes passed, 0 failed" "$work/com1"; then
        ok "COM1 has 'DONE: $passes passed, 0 failed'"
    else
        fail "no COM1 line 'DONE: $passes passed, 0 failed'"
    fi
fi

for re in "${expects[@]+"${expects[@]}"}"; do
    if grep -a -q -E -e "$re" "$work/com1"; then
        ok "COM1 matches '$re'"
    else
        fail "no COM1 line matches '$re'"
    fi
done

if [ ${#screens[@]} -gt 0 ] && [ ! -s "$work/screen.txt" ]; then
    fail "the screen dump is empty or missing (--screendump)"
fi
for re in "${screens[@]+"${screens[@]}"}"; do
    if grep -a -q -E -e "$re" "$work/screen.txt"; then
        ok "screen matches '$re'"
    else
        fail "no screen line matches '$re'"
    fi
done
if grep -a -q '^FAIL' "$work/screen.txt"; then
    fail "the screen shows failures:"
    grep -a '^FAIL' "$work/screen.txt" | sed 's/^/    /'
fi

for re in "${stderr_expects[@]+"${stderr_expects[@]}"}"; do
    if grep -a -q -E -e "$re" "$work/stderr"; then
        ok "stderr matches '$re'"
    else
        fail "no stderr line matches '$re'"
    fi
done

if [ -n "$image_grep" ] && [ "$snapshot" = 1 ]; then
    if grep -a -q -F -e "$image_grep" "$work/$name"; then
        fail "the image holds '$image_grep' after a -snapshot run (the write reached the file)"
    else
        ok "-snapshot: the image file is unchanged"
    fi
elif [ -n "$image_grep" ]; then
    if grep -a -q -F -e "$image_grep" "$work/$name"; then
        ok "the guest wrote '$image_grep' to the image"
    else
        fail "the image does not hold '$image_grep' after the run (the write did not reach the file)"
    fi
fi

if [ "$failed" = 1 ]; then
    echo "--- COM1 output ---"
    head -60 "$work/com1"
    echo "--- screen ---"
    cat "$work/screen.txt"
    echo "--- stderr (exit status $rc) ---"
    head -40 "$work/stderr"
    exit 1
fi
echo "ok: $name passed"
exit 0
