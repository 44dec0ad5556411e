#!/bin/bash
# make_bad.sh - makes the corrupt kernels of the Multiboot loader's negative
# tests from the good ones (tests/guests/multiboot.cmake runs it).
#
#   make_bad.sh OUT_DIR KERNEL_ELF KERNEL_AOUT_BIN
#
# OUT_DIR/truncated.elf   the ELF cut inside its first loadable segment (the
#                         Multiboot header is still in it)
# OUT_DIR/truncated.bin   the a.out-kludge image without its last 16 bytes
# OUT_DIR/badsum.bin      a Multiboot header whose checksum is off by one
# OUT_DIR/badflags.bin    a valid header requiring an unknown feature (bit 3)
set -eu
out=$1
elf=$2
aout=$3
mkdir -p "$out"

le32() { # prints a 32-bit little-endian value as raw bytes
    local v=$(( $1 & 0xFFFFFFFF ))
    printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((v & 255)) $(((v >> 8) & 255)) \
        $(((v >> 16) & 255)) $(((v >> 24) & 255)))"
}

# Where the header is in the ELF: the first 4-aligned 1BADB002.
hdr=$(od -A d -t x4 -v -w4 "$elf" | awk '$2 == "1badb002" && $1 % 4 == 0 { print $1; exit }')
if [ -z "$hdr" ]; then
    echo "make_bad.sh: no Multiboot header in $elf" >&2
    exit 1
fi
hdr=$((10#$hdr))
head -c $((hdr + 64)) "$elf" >"$out/truncated.elf"
size=$(stat -c %s "$aout")
head -c $((size - 16)) "$aout" >"$out/truncated.bin"

{ le32 0x1BADB002; le32 0x00000003; le32 $(( -(0x1BADB002 + 3) + 1 )); head -c 500 /dev/zero; } \
    >"$out/badsum.bin"
{ le32 0x1BADB002; le32 0x00000008; le32 $(( -(0x1BADB002 + 8) )); head -c 500 /dev/zero; } \
    >"$out/badflags.bin"
