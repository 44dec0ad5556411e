#!/bin/bash
# run_tty.sh - runs brisk on a pseudo-terminal (util-linux `script`), types
# INPUT after a second, and checks the exit status and what appeared on the
# terminal: the tests of the interactive serial console (raw mode, Ctrl-A
# escapes).
#
#   run_tty.sh BRISK STATUS INPUT REGEX -- ARGS...
#
# INPUT is a printf format (e.g. '\001x' for Ctrl-A x); REGEX (grep -E)
# must match a line of the terminal's output.
set -u
if [ $# -lt 5 ] || [ "$5" != "--" ]; then
    echo "usage: $0 BRISK STATUS INPUT REGEX -- ARGS..." >&2
    exit 2
fi
brisk=$1 status=$2 input=$3 regex=$4
shift 5
command -v script >/dev/null || { echo "FAILED: 'script' is missing: apt-get install bsdutils"; exit 1; }
out=$(mktemp "${TMPDIR:-/tmp}/brisk-tty.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT
cmd=$(printf '%q ' "$brisk" "$@")
(sleep 1; printf "$input") | timeout 30 script -qec "$cmd" /dev/null >"$out" 2>&1
rc=$?
echo "command: brisk $*"
failed=0
if [ "$rc" != "$status" ]; then echo "FAILED: exit status $rc, expected $status"; failed=1; fi
if tr -d '\r' <"$out" | grep -Eq -- "$regex"; then echo "ok: output matches '$regex'"
else echo "FAILED: no output line matches '$regex'"; failed=1; fi
if [ $failed = 1 ]; then echo "--- terminal output:"; tr -d '\r' <"$out" | tail -20; fi
exit $failed
