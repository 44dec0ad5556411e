#!/bin/bash
# run_cli.sh - runs brisk with a given command line and checks the exit
# status and what it printed (CTest's tests of the command line itself).
#
#   run_cli.sh BRISK [options] -- ARGS...
#
#   --status N         expected exit status (required)
#   --one-line-error   stderr must be exactly one line, starting "brisk:"
#                      (usage and set-up errors)
#   --stdout REGEX     a line of stdout must match (grep -E); repeatable
#   --stderr REGEX     a line of stderr must match; repeatable
#   --timeout S        wall-clock limit in seconds (default 30)
#   --env NAME=VALUE   set an environment variable for brisk; repeatable
#                      (e.g. BRISK_FIRMWARE_PATH=/nonexistent: no firmware)
#   --file PATH REGEX  after the run, a line of the file PATH (which brisk
#                      writes, e.g. --screendump PATH) must match; PATH is
#                      removed before the run, so a stale file cannot pass
#
# brisk's stdin is /dev/null, so a mistake that starts the guest with COM1
# on stdio cannot wait for input.

set -u

if [ $# -lt 1 ]; then
    echo "usage: $0 BRISK [options] -- ARGS..." >&2
    exit 2
fi
brisk=$1
shift

status=
one_line=0
out_expects=()
err_expects=()
env_vars=()
file_paths=()
file_expects=()
timeout_s=30
while [ $# -gt 0 ]; do
    case $1 in
    --status) status=$2; shift 2 ;;
    --one-line-error) one_line=1; shift ;;
    --stdout) out_expects+=("$2"); shift 2 ;;
    --stderr) err_expects+=("$2"); shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --file) file_paths+=("$2"); file_expects+=("$3"); shift 3 ;;
    --env)
        case $2 in
        [A-Za-z_]*=*) env_vars+=("$2") ;;
        *) echo "$0: --env needs NAME=VALUE, not '$2'" >&2; exit 2 ;;
        esac
        shift 2 ;;
    --) shift; break ;;
    *) echo "$0: unknown option '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$status" ]; then
    echo "$0: --status is required" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/brisk-cli.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT

for f in "${file_paths[@]+"${file_paths[@]}"}"; do
    rm -f -- "$f"
done

env "${env_vars[@]+"${env_vars[@]}"}" timeout "$timeout_s" "$brisk" "$@" \
    </dev/null >"$work/out" 2>"$work/err"
rc=$?
failed=0
echo "command: ${env_vars[*]+"${env_vars[*]} "}brisk $*"
fail() {
    echo "FAILED: $*"
    failed=1
}

if [ "$rc" != "$status" ]; then
    fail "exit status $rc, expected $status"
fi
if [ "$one_line" = 1 ]; then
    lines=$(wc -l <"$work/err")
    if [ "$lines" != 1 ]; then
        fail "stderr has $lines lines, expected one"
    elif ! grep -q '^brisk: ' "$work/err"; then
        fail "stderr does not start with 'brisk: '"
    fi
fi
for re in "${out_expects[@]+"${out_expects[@]}"}"; do
    grep -a -q -E -e "$re" "$work/out" || fail "no stdout line matches '$re'"
done
for re in "${err_expects[@]+"${err_expects[@]}"}"; do
    grep -a -q -E -e "$re" "$work/err" || fail "no stderr line matches '$re'"
done
for i in "${!file_paths[@]}"; do
    f=${file_paths[$i]}
    if [ ! -f "$f" ]; then
        fail "brisk did not write $f"
    else
        grep -a -q -E -e "${file_expects[$i]}" "$f" ||
            fail "no line of $f matches '${file_expects[$i]}'"
    fi
done

if [ "$failed" = 1 ]; then
    echo "--- stdout ---"
    head -40 "$work/out"
    echo "--- stderr ---"
    head -40 "$work/err"
    exit 1
fi
echo "ok: exit status $rc"
head -3 "$work/err"
exit 0
