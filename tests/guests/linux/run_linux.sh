#!/bin/bash
# run_linux.sh - boots the Linux guest of scripts/build-linux-guest.sh under
# brisk (or QEMU, the reference), talks to its shell on COM1 and checks
# what it printed and what it wrote to its disks (CTest's Linux boot tests,
# tests/guests/linux_guest.cmake).
#
#   run_linux.sh BRISK GUEST_DIR [options] -- ARGS...
#
# ARGS are brisk's arguments (COM1 must be on stdio); @WORK@ in them is
# replaced by the test's temporary folder.
#
#   --qemu             run qemu-system-i386 with the same ARGS instead
#                      (--icount dropped, -hda/-hdb as raw IDE drives, no NIC)
#   --copy NAME        copy GUEST_DIR/NAME to @WORK@/NAME first (a disk the
#                      guest may write: the one in GUEST_DIR stays as it is)
#   --wait REGEX       wait until COM1's output, past what the previous
#                      --wait matched, matches REGEX (grep -E; lines end in
#                      \r\n, so do not anchor with $)
#   --send TEXT        type TEXT and Enter on COM1, a byte every 20 ms (the
#                      UART has a 16-byte FIFO and no flow control)
#   --expect REGEX     after the run, a line of COM1's output must match
#   --reject REGEX     after the run, no line of COM1's output may match
#   --hash TOOL GUEST_FILE HOST_FILE
#                      after the run, COM1's output must hold the line
#                      `TOOL GUEST_FILE` prints in the guest (md5sum,
#                      sha256sum), with the digest the host's TOOL computes
#                      for GUEST_DIR/HOST_FILE (the same bytes): the host
#                      as the oracle of the guest's integer arithmetic
#   --status N         expected exit status (default 0: `poweroff -f` halts
#                      the CPU with interrupts off)
#   --disk-test IMG    after the run, @WORK@/IMG must hold what /init's
#                      brisk.test=disk writes: a clean ext2 file system
#                      (e2fsck -fn) with /brisk-disk-test.txt saying
#                      "brisk-disk-test 42001" and /seq.txt equal to
#                      `seq 1 30000` (read with debugfs)
#   --timeout S        wall-clock limit of the whole run (default 300)
#   --log FILE         also keep COM1's whole output (\r removed) in FILE
#
# --wait and --send happen in their order while the guest runs; a --wait
# that is not met before the guest exits or the time runs out fails the
# test. Without a built guest (GUEST_DIR/linux/vmlinuz, initrd.gz, disk.img,
# data.img) the test fails and says how to build it: it is never skipped.
# On failure it prints the end of COM1's output and brisk's stderr.

set -u

if [ $# -lt 2 ]; then
    echo "usage: $0 BRISK GUEST_DIR [options] -- ARGS..." >&2
    exit 2
fi
brisk=$1
guest=$2
shift 2

qemu=0
copies=()
steps=()
expects=()
rejects=()
hashes=()
status=0
disk_tests=()
timeout_s=300
log=
while [ $# -gt 0 ]; do
    case $1 in
    --qemu) qemu=1; shift ;;
    --copy) copies+=("$2"); shift 2 ;;
    --wait) steps+=("wait" "$2"); shift 2 ;;
    --send) steps+=("send" "$2"); shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --reject) rejects+=("$2"); shift 2 ;;
    --hash) hashes+=("$2" "$3" "$4"); shift 4 ;;
    --status) status=$2; shift 2 ;;
    --disk-test) disk_tests+=("$2"); shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --) shift; break ;;
    *) echo "$0: unknown option '$1'" >&2; exit 2 ;;
    esac
done

for f in linux/vmlinuz initrd.gz disk.img data.img; do
    if [ ! -f "$guest/$f" ]; then
        echo "FAILED: the Linux guest is not built ($guest/$f is missing):" \
            "run scripts/build-linux-guest.sh (needs network)"
        exit 1
    fi
done

# The digests the guest must print, from the host's own tools.
i=0
while [ $i -lt ${#hashes[@]} ]; do
    tool=${hashes[$i]} gfile=${hashes[$((i + 1))]} hfile=${hashes[$((i + 2))]}
    digest=$("$tool" <"$guest/$hfile" | cut -d' ' -f1) ||
        { echo "FAILED: cannot run $tool on $guest/$hfile"; exit 1; }
    expects+=("^$digest  $gfile")
    i=$((i + 3))
done

work=$(mktemp -d "${TMPDIR:-/tmp}/brisk-linux.XXXXXX") || exit 2
pid=
cleanup() {
    [ -z "$pid" ] || kill -9 "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

for c in "${copies[@]+"${copies[@]}"}"; do
    cp "$guest/$c" "$work/$c" || { echo "FAILED: cannot copy $guest/$c"; exit 1; }
done

# The command line: @WORK@ replaced; for QEMU, translated.
args=()
for a in "$@"; do
    args+=("${a//@WORK@/$work}")
done
prog=$brisk
if [ "$qemu" = 1 ]; then
    prog="qemu-system-i386"
    command -v "$prog" >/dev/null || { echo "FAILED: $prog is not installed"; exit 1; }
    qargs=(-nic none)
    i=0
    while [ $i -lt ${#args[@]} ]; do
        a=${args[$i]}
        case $a in
        --icount) i=$((i + 1)) ;;
        -hda) i=$((i + 1)); qargs+=(-drive "file=${args[$i]},format=raw,if=ide,index=0") ;;
        -hdb) i=$((i + 1)); qargs+=(-drive "file=${args[$i]},format=raw,if=ide,index=1") ;;
        *) qargs+=("$a") ;;
        esac
        i=$((i + 1))
    done
    args=("${qargs[@]}")
fi

out=$work/out
err=$work/err
failed=0
fail() {
    echo "FAILED: $*"
    failed=1
}

# COM1's input: a FIFO held open here for reading and writing, so that
# neither side blocks opening it and the guest never sees end-of-file.
mkfifo "$work/in" || exit 2
exec 3<>"$work/in"
: >"$out"
start=$SECONDS
deadline=$((SECONDS + timeout_s))
echo "command: $prog ${args[*]}"
"$prog" "${args[@]}" <"$work/in" >"$out" 2>"$err" &
pid=$!

alive() { kill -0 "$pid" 2>/dev/null; }

# The output is searched from byte $pos on (past the last --wait's match).
pos=0
i=0
while [ $i -lt ${#steps[@]} ] && [ "$failed" = 0 ]; do
    kind=${steps[$i]}
    arg=${steps[$((i + 1))]}
    i=$((i + 2))
    if [ "$kind" = send ]; then
        text="$arg"$'\n'
        for ((k = 0; k < ${#text}; k++)); do
            printf '%s' "${text:$k:1}" >&3
            sleep 0.02
        done
        continue
    fi
    while :; do
        m=$(tail -c +$((pos + 1)) "$out" | grep -a -b -o -E -e "$arg" | head -n 1)
        if [ -n "$m" ]; then
            off=${m%%:*}
            hit=${m#*:}
            pos=$((pos + off + ${#hit}))
            echo "at $((SECONDS - start)) s: seen '$arg'"
            break
        fi
        if ! alive; then
            fail "the run ended before the output matched '$arg'"
            break
        fi
        if [ $SECONDS -ge $deadline ]; then
            fail "no output matched '$arg' within $timeout_s s"
            break
        fi
        sleep 0.2
    done
done

# The end of the run (at once when a step failed: nothing more will come).
[ "$failed" = 0 ] || deadline=$SECONDS
while alive && [ $SECONDS -lt $deadline ]; do
    sleep 0.5
done
if alive; then
    kill "$pid" 2>/dev/null
    sleep 1
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=124
    [ "$failed" = 1 ] || fail "still running after $timeout_s s (killed)"
else
    wait "$pid"
    rc=$?
fi
pid=
exec 3>&-
echo "exit status $rc after $((SECONDS - start)) s"
[ "$rc" = 124 ] || [ "$rc" = "$status" ] || fail "exit status $rc, expected $status"

tr -d '\r' <"$out" >"$work/console"
[ -z "$log" ] || cp "$work/console" "$log"
if grep -a -q -E '(BRISK-DISK-TEST|Brisk Linux guest): FAIL' "$work/console"; then
    fail "the guest reported failures:"
    grep -a -E '(BRISK-DISK-TEST|Brisk Linux guest): FAIL' "$work/console" | sed 's/^/    /'
fi
for re in "${expects[@]+"${expects[@]}"}"; do
    grep -a -q -E -e "$re" "$work/console" || fail "no output line matches '$re'"
done
for re in "${rejects[@]+"${rejects[@]}"}"; do
    if grep -a -q -E -e "$re" "$work/console"; then
        fail "an output line matches '$re':"
        grep -a -E -e "$re" "$work/console" | head -5 | sed 's/^/    /'
    fi
done

for img in "${disk_tests[@]+"${disk_tests[@]}"}"; do
    f=$work/$img
    if ! fsck_out=$(e2fsck -fn "$f" 2>&1); then
        fail "$img: e2fsck -fn finds no clean ext2 file system:"
        echo "$fsck_out" | head -20 | sed 's/^/    /'
        continue
    fi
    echo "$img: $(echo "$fsck_out" | tail -n 1)"
    text=$(debugfs -R "cat /brisk-disk-test.txt" "$f" 2>/dev/null)
    if ! grep -q -x 'brisk-disk-test 42001' <<<"$text"; then
        fail "$img: /brisk-disk-test.txt does not say 'brisk-disk-test 42001' (it holds: $(head -c 200 <<<"$text"))"
    fi
    debugfs -R "dump /seq.txt $work/seq.txt" "$f" >/dev/null 2>&1
    if ! seq 1 30000 | cmp -s - "$work/seq.txt"; then
        fail "$img: /seq.txt is not the output of 'seq 1 30000' ($(stat -c %s "$work/seq.txt" 2>/dev/null || echo no) bytes)"
    else
        echo "$img: /brisk-disk-test.txt and /seq.txt ($(stat -c %s "$work/seq.txt") bytes) are right"
    fi
done

if [ "$failed" = 1 ]; then
    echo "--- the last 40 lines of COM1's output ---"
    tail -n 40 "$work/console"
    echo "--- stderr ---"
    head -n 30 "$err"
    exit 1
fi
grep -a -E '^(Brisk Linux guest|BRISK-DISK-TEST):' "$work/console" | head -n 20
echo "ok: $(grep -a -c . "$work/console") lines of output"
exit 0
