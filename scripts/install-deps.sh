#!/usr/bin/env bash
# Installs what Brisk needs to build and test on Debian 12, as root or with
# sudo. Safe to run again: it installs only what is missing.
set -euo pipefail
pkgs=(build-essential cmake ninja-build pkg-config nasm
      libsdl2-dev libcapstone-dev zlib1g-dev check libslirp-dev
      seabios qemu-system-x86
      cpio                # scripts/build-linux-guest.sh (apt-get, dpkg-deb, gzip in every Debian)
      fdisk dosfstools mtools syslinux syslinux-common   # its disk image: sfdisk, mkfs.fat, SYSLINUX
      e2fsprogs)          # the Linux disk tests read the guest's ext2 with debugfs and e2fsck
# The Multiboot test kernel and the benchmarks are i386 code: x86 hosts
# build them with gcc -m32 (freestanding, no 32-bit libc needed); other
# hosts need the cross compiler.
case $(uname -m) in
x86_64|i?86) ;;
*) pkgs+=(gcc-i686-linux-gnu) ;;
esac
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  SUDO=sudo
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
