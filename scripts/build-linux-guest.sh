#!/usr/bin/env bash
# build-linux-guest.sh - builds the Linux guest of Brisk's boot tests from
# Debian 12 ("bookworm") i386 packages: the 686 kernel (vmlinuz, a bzImage),
# an initramfs with busybox-static whose /init runs a shell or a test on the
# serial console, a bootable hard-disk image and a blank data disk.
#
#   scripts/build-linux-guest.sh [DEST]        (DEST defaults to build/guest)
#
# Results:
#   DEST/linux/vmlinuz     the kernel (bzImage, Linux boot protocol)
#   DEST/initrd.gz         the initramfs (newc cpio, gzip)
#   DEST/linux/root/       the unpacked kernel package (modules in lib/modules)
#   DEST/disk.img          64 MiB raw hard disk: MBR (SYSLINUX's mbr.bin) and
#                          one active FAT16 partition from sector 2048 with
#                          SYSLINUX, vmlinuz, initrd.gz and syslinux.cfg
#   DEST/data.img          16 MiB of zeros: the disk the in-guest test formats
#
# The /init of the initramfs picks what it does from the kernel command
# line: brisk.test=shell (the default) runs a shell on ttyS0;
# brisk.test=disk loads the IDE, SCSI disk and ext4 modules, makes an ext2
# file system on the data disk (brisk.disk=NAME, or else the one disk whose
# first MiB is all zeros), writes /brisk-disk-test.txt on it and powers off;
# see docs/linux.md.
#
# The packages come from `apt-get download` with i386 as APT's architecture
# and APT state, cache and sources of the script's own under DEST/apt: no
# architecture is added to the host's dpkg, nothing is installed system-wide
# and the host's package lists are left alone. Downloads already present
# are kept (run again after deleting DEST/apt/debs to fetch new versions).
# The disk image is built without root and without mounting anything:
# sfdisk writes the partition table into the file, mkfs.fat --offset makes
# the file system inside it, mtools copies the files in and `syslinux
# --offset --install` (the mtools installer) makes it bootable. Its bytes
# depend only on the inputs (fixed disk and volume IDs, file times set to
# SOURCE_DATE_EPOCH, default 2000-01-01) where the tools allow.
# Needs apt-get, dpkg-deb, cpio, gzip, sfdisk, mkfs.fat, mtools and syslinux
# (scripts/install-deps.sh).
#
# Boot it with:
#   build/frontends/brisk -kernel DEST/linux/vmlinuz -initrd DEST/initrd.gz \
#       -append "console=ttyS0 panic=-1" -m 256M -display none -serial stdio -no-reboot
#   build/frontends/brisk -hda DEST/disk.img -snapshot -m 256M -display none \
#       -serial stdio -no-reboot
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin

die() { echo "build-linux-guest: $*" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/build/guest}
mkdir -p "$dest" || die "cannot create $dest"
dest=$(cd "$dest" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

for tool in apt-get dpkg-deb cpio gzip sfdisk mkfs.fat mcopy mmd syslinux; do
    command -v "$tool" >/dev/null || die "'$tool' is missing: run scripts/install-deps.sh"
done

apt_dir=$dest/apt
debs=$apt_dir/debs
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc" \
    "$apt_dir/etc/preferences.d" "$apt_dir/etc/trusted.gpg.d" "$debs"
echo "deb $mirror bookworm main" >"$apt_dir/etc/sources.list"
: >"$apt_dir/status"
apt_opts=(
    -o APT::Architecture=i386
    -o APT::Architectures::=i386
    -o Dir::State="$apt_dir"
    -o Dir::State::Lists="$apt_dir/lists"
    -o Dir::State::status="$apt_dir/status"
    -o Dir::Cache="$apt_dir/cache"
    -o Dir::Etc::SourceList="$apt_dir/etc/sources.list"
    -o Dir::Etc::SourceParts=/dev/null
    -o Dir::Etc::Preferences="$apt_dir/etc/preferences"
    -o Dir::Etc::PreferencesParts="$apt_dir/etc/preferences.d"
    -o Debug::NoLocking=1
)
# As root, APT would download as the _apt user, who cannot write to DEST.
[ "$(id -u)" -ne 0 ] || apt_opts+=(-o APT::Sandbox::User=root)

# The package lists: fetched once (a later run reuses them).
if ! ls "$apt_dir/lists/"*_Packages* >/dev/null 2>&1; then
    echo "build-linux-guest: fetching the bookworm i386 package lists"
    apt-get "${apt_opts[@]}" -qq update || die "apt-get update failed (network? mirror $mirror)"
fi

# The kernel package: the newest linux-image-6.1.*-686 (not -pae, not
# -unsigned, not -dbg) the lists name.
kpkg=$(apt-cache "${apt_opts[@]}" pkgnames linux-image-6.1 2>/dev/null |
    grep -E '^linux-image-6\.1\.[0-9]+-[0-9]+-686$' | sort -V | tail -n 1 || true)
[ -n "$kpkg" ] || die "no linux-image-6.1.*-686 package in the bookworm i386 lists"

fetch() { # fetch PACKAGE: downloads its .deb into $debs unless it is there
    local pkg=$1 ver file
    ver=$(apt-cache "${apt_opts[@]}" policy "$pkg" 2>/dev/null |
        awk '/Candidate:/ { print $2 }')
    if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then die "package $pkg not found in the lists"; fi
    file=$(ls "$debs/${pkg}_"*"_i386.deb" 2>/dev/null | head -n 1 || true)
    if [ -z "$file" ]; then
        echo "build-linux-guest: downloading $pkg $ver" >&2
        (cd "$debs" && apt-get "${apt_opts[@]}" -qq download "$pkg:i386=$ver") ||
            die "apt-get download $pkg failed"
        file=$(ls "$debs/${pkg}_"*"_i386.deb" 2>/dev/null | head -n 1 || true)
        [ -n "$file" ] || die "apt-get download $pkg left no .deb in $debs"
    fi
    echo "$file"
}

kdeb=$(fetch "$kpkg")
bdeb=$(fetch busybox-static)

# Unpack (again, so the tree always matches the .debs).
linux=$dest/linux
rm -rf "$linux/root" "$dest/busybox"
mkdir -p "$linux/root" "$dest/busybox"
dpkg-deb -x "$kdeb" "$linux/root" || die "cannot unpack $kdeb"
dpkg-deb -x "$bdeb" "$dest/busybox" || die "cannot unpack $bdeb"
vmlinuz=$(ls "$linux/root/boot/"vmlinuz-* 2>/dev/null | head -n 1 || true)
[ -n "$vmlinuz" ] || die "$kdeb has no boot/vmlinuz-*"
cp "$vmlinuz" "$linux/vmlinuz"
kver=${vmlinuz##*/vmlinuz-}
[ -x "$dest/busybox/bin/busybox" ] || die "$bdeb has no bin/busybox"

# The initramfs tree.
ird=$dest/initramfs
rm -rf "$ird"
mkdir -p "$ird"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,mnt}
cp "$dest/busybox/bin/busybox" "$ird/bin/busybox"
# The links /init needs before it runs `busybox --install -s`, which
# links every other applet (the host may not run i386 binaries, so the
# applet list cannot be asked for here).
for a in sh mount mkdir mknod echo cat grep uname setsid cttyhack; do
    ln -sf busybox "$ird/bin/$a"
done
# The kernel modules of the disk tests (the 686 kernel builds them as
# modules) and, found through the "depends=" entries of their .modinfo
# sections, every module they need. The package has no modules.dep (dpkg's
# hook would make it with the host's depmod): /init runs busybox's depmod.
mods=$linux/root/lib/modules/$kver
[ -d "$mods/kernel" ] || die "$kdeb has no lib/modules/$kver/kernel"
declare -A modfile=() modseen=()
while IFS= read -r f; do
    n=${f##*/}
    n=${n%%.ko*}
    modfile[${n//-/_}]=$f
done < <(find "$mods/kernel" -name '*.ko*')
# modinfo_depends FILE: the modules FILE depends on, space-separated.
modinfo_depends() {
    case $1 in
    *.ko) cat "$1" ;;
    *.ko.xz) xz -dc "$1" ;;
    *.ko.zst) zstd -dcq "$1" ;;
    *.ko.gz) gzip -dc "$1" ;;
    *) die "cannot read module $1" ;;
    esac | tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}
modqueue=(ata_piix ata_generic sd_mod sr_mod ext4 crc32c_generic vfat isofs nls_cp437 nls_ascii)
while [ ${#modqueue[@]} -gt 0 ]; do
    m=${modqueue[0]//-/_}
    modqueue=("${modqueue[@]:1}")
    [ -z "$m" ] || [ -n "${modseen[$m]:-}" ] && continue
    modseen[$m]=1
    if [ -z "${modfile[$m]:-}" ]; then
        grep -q "/${m//_/[-_]}\.ko" "$mods/modules.builtin" 2>/dev/null && continue
        die "module $m is neither in $kdeb nor built in"
    fi
    f=${modfile[$m]}
    rel=${f#"$mods"/}
    mkdir -p "$ird/lib/modules/$kver/$(dirname "$rel")"
    cp "$f" "$ird/lib/modules/$kver/$rel"
    read -r -a deps < <(modinfo_depends "$f"; echo)
    modqueue+=("${deps[@]+"${deps[@]}"}")
done
for f in modules.builtin modules.order; do
    [ -f "$mods/$f" ] && cp "$mods/$f" "$ird/lib/modules/$kver/"
done
cat >"$ird/init" <<'EOF'
#!/bin/sh
# /init of Brisk's Linux guest (scripts/build-linux-guest.sh). The kernel
# command line chooses what it does:
#   brisk.test=shell   (the default) a shell on ttyS0; 'poweroff -f' ends it
#   brisk.test=disk    formats the data disk (brisk.disk=NAME, e.g. sdb; by
#                      default the one sd* disk whose first MiB is zeros)
#                      with ext2, writes /brisk-disk-test.txt and /seq.txt,
#                      reads them back after a remount, prints
#                      "BRISK-DISK-TEST: done" (or FAIL lines) and powers off
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mknod /dev/ttyS0 c 4 64
echo "Brisk Linux guest: init started ($(uname -r))"
echo "Brisk Linux guest: $(grep -m1 'model name' /proc/cpuinfo)"

mode=shell
disk=
for w in $(cat /proc/cmdline); do
    case $w in
    brisk.test=*) mode=${w#brisk.test=} ;;
    brisk.disk=*) disk=${w#brisk.disk=} ;;
    esac
done

# fail MESSAGE: ends the disk test with a FAIL line (and the kernel's last
# words, which usually say why).
fail() {
    echo "BRISK-DISK-TEST: FAIL: $*"
    dmesg | tail -n 12 | sed 's/^/BRISK-DISK-TEST: dmesg: /'
    poweroff -f
    sleep 100000
}

# blank NAME: true when the first MiB of /dev/NAME is all zeros.
blank() {
    [ "$(dd if="/dev/$1" bs=65536 count=16 2>/dev/null | tr -d '\000' | wc -c)" = 0 ] &&
        [ "$(dd if="/dev/$1" bs=65536 count=16 2>/dev/null | wc -c)" = 1048576 ]
}

disk_test() {
    echo "BRISK-DISK-TEST: start"
    # The package has no modules.dep (dpkg's hook makes it): busybox's
    # depmod makes it for the few modules here.
    depmod || fail "depmod failed"
    # ext4 (which serves ext2) finds crc32c through the crypto API: load it.
    for m in ata_piix sd_mod crc32c_generic ext4; do
        modprobe "$m" || fail "modprobe $m failed"
    done
    # The disks are there when every SCSI disk (type 0) the ATA probe made
    # has its block device (sd attaches them asynchronously) and its node
    # in /dev (devtmpfs makes it in a kernel thread), and the named one
    # exists: wait up to 30 s.
    i=0
    while :; do
        n=0
        ready=0
        for t in /sys/bus/scsi/devices/*/type; do
            [ -e "$t" ] && [ "$(cat "$t")" = 0 ] || continue
            n=$((n + 1))
            for b in "${t%/type}"/block/sd*; do
                [ -b "/dev/${b##*/}" ] && ready=$((ready + 1))
            done
        done
        if [ "$n" -gt 0 ] && [ "$ready" = "$n" ] && { [ -z "$disk" ] || [ -e "/sys/block/$disk" ]; }; then
            break
        fi
        i=$((i + 1))
        [ "$i" -le 300 ] ||
            fail "no disk ${disk:-sd*} after 30 s ($n SCSI disks, $ready attached; block:" \
                "$(ls /sys/block | tr '\n' ' '))"
        usleep 100000
    done
    for d in /sys/block/sd*; do
        [ -e "$d" ] || continue
        echo "BRISK-DISK-TEST: found ${d##*/}: $(($(cat "$d/size") / 2)) KiB," \
            $(cat "$d/device/vendor" "$d/device/model" 2>/dev/null)
    done
    if [ -z "$disk" ]; then
        for d in /sys/block/sd*; do
            d=${d##*/}
            [ -b "/dev/$d" ] && blank "$d" || continue
            [ -z "$disk" ] || fail "two blank disks ($disk, $d): name one with brisk.disk="
            disk=$d
        done
        [ -n "$disk" ] || fail "no blank disk (first MiB all zeros) to format"
    fi
    dev=/dev/$disk
    [ -b "$dev" ] || fail "$dev is not a block device"
    echo "BRISK-DISK-TEST: formatting $dev (ext2)"
    mke2fs -L brisk-data "$dev" >/tmp/mke2fs.log 2>&1 || {
        cat /tmp/mke2fs.log
        fail "mke2fs $dev failed"
    }
    mkdir -p /mnt/data
    mount -t ext2 "$dev" /mnt/data || fail "mount $dev failed"
    # A file of many blocks (seq 1 30000: 168894 bytes) and a short one
    # with a number the host checks.
    seq 1 30000 >/mnt/data/seq.txt || fail "writing seq.txt failed"
    sum=$(md5sum </mnt/data/seq.txt)
    sum=${sum%% *}
    { echo "brisk-disk-test $((6 * 7 * 1000 + 1))"; echo "seq.txt md5 $sum"; } \
        >/mnt/data/brisk-disk-test.txt || fail "writing brisk-disk-test.txt failed"
    sync
    umount /mnt/data || fail "umount $dev failed"
    # Read back from the disk, not from the page cache.
    blockdev --flushbufs "$dev"
    echo 3 >/proc/sys/vm/drop_caches
    mount -t ext2 -o ro "$dev" /mnt/data || fail "mount $dev again failed"
    grep -q '^brisk-disk-test 42001$' /mnt/data/brisk-disk-test.txt ||
        fail "brisk-disk-test.txt reads back wrong: $(head -c 80 /mnt/data/brisk-disk-test.txt)"
    back=$(md5sum </mnt/data/seq.txt)
    back=${back%% *}
    [ "$back" = "$sum" ] || fail "seq.txt reads back with md5 $back, written $sum"
    echo "BRISK-DISK-TEST: wrote and read back /brisk-disk-test.txt and /seq.txt (md5 $sum)"
    umount /mnt/data || fail "umount $dev (read-only) failed"
    echo "BRISK-DISK-TEST: done"
    poweroff -f
    sleep 100000
}

case $mode in
shell)
    echo "Brisk Linux guest: type 'poweroff -f' to stop"
    exec setsid cttyhack sh </dev/ttyS0 >/dev/ttyS0 2>&1
    ;;
disk)
    disk_test </dev/ttyS0 >/dev/ttyS0 2>&1
    ;;
*)
    echo "Brisk Linux guest: FAIL: unknown brisk.test=$mode (shell, disk)"
    poweroff -f
    ;;
esac
sleep 100000
EOF
chmod 755 "$ird/init"

# newc cpio, files owned by root, all with one time (SOURCE_DATE_EPOCH,
# default 2000-01-01) and renumbered inodes, gzip-compressed: the same
# inputs give the same bytes.
epoch=${SOURCE_DATE_EPOCH:-946684800}
find "$ird" -exec touch -h -d "@$epoch" {} +
(cd "$ird" && find . -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc --owner=0:0 --reproducible --quiet) | gzip -9n >"$dest/initrd.gz.tmp" ||
    die "cannot build the initramfs"
mv "$dest/initrd.gz.tmp" "$dest/initrd.gz"
echo "build-linux-guest: kernel $kver: $linux/vmlinuz"
echo "build-linux-guest: initramfs: $dest/initrd.gz ($(stat -c %s "$dest/initrd.gz") bytes)"

# --- the disks -----------------------------------------------------------------
# The files in the image get $epoch as their time too (mcopy -m keeps the
# files' own modification times).
export MTOOLS_SKIP_CHECK=1 TZ=UTC
mbr=
for f in /usr/lib/syslinux/mbr/mbr.bin /usr/lib/SYSLINUX/mbr.bin; do
    [ -f "$f" ] && { mbr=$f; break; }
done
[ -n "$mbr" ] || die "no SYSLINUX mbr.bin (package syslinux-common): run scripts/install-deps.sh"

# The files of the boot partition, with fixed times.
files=$dest/diskfiles
rm -rf "$files"
mkdir -p "$files"
cp "$linux/vmlinuz" "$files/vmlinuz"
cp "$dest/initrd.gz" "$files/initrd.gz"
cat >"$files/syslinux.cfg" <<'EOF'
# syslinux.cfg of Brisk's Linux guest disk (scripts/build-linux-guest.sh).
# SYSLINUX talks on COM1 too; at the boot: prompt, Enter or 3 s boots
# "linux" (the shell); type "disk" for the disk test (it formats the
# blank disk, e.g. one given with -hdb). "disk" skips the kernel's crypto
# self-tests and trusts the TSC (docs/linux.md, "How far Linux 6.1 gets").
SERIAL 0 115200
DEFAULT linux
PROMPT 1
TIMEOUT 30
SAY Brisk Linux guest disk (SYSLINUX): labels linux (default), disk
LABEL linux
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND console=ttyS0 panic=-1
LABEL disk
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND console=ttyS0 panic=-1 cryptomgr.notests tsc=reliable brisk.test=disk
EOF
touch -d "@$epoch" "$files"/*

# le16 FILE OFFSET: the little-endian 16-bit number at OFFSET of FILE.
le16() { od -An -tu2 -j "$2" -N 2 --endian=little "$1" | tr -d ' '; }

# fat_fix_times IMAGE OFFSET EPOCH: sets the times of every entry in the
# root folder of the FAT16 file system at byte OFFSET of IMAGE to EPOCH
# (UTC), so that ldlinux.sys and ldlinux.c32, which `syslinux --install`
# writes with the current time, do not make the image differ run to run.
fat_fix_times() {
    local img=$1 off=$2 t bps reserved nfats nroot fatsz root i e first attr
    read -r -a t < <(date -u -d "@$3" '+%Y %-m %-d %-H %-M %-S')
    local date=$(( ((t[0] - 1980) << 9) | (t[1] << 5) | t[2] ))
    local time=$(( (t[3] << 11) | (t[4] << 5) | (t[5] / 2) ))
    local stamp
    stamp=$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $((time & 255)) $((time >> 8)) \
        $((date & 255)) $((date >> 8)))
    local dstamp
    dstamp=$(printf '\\x%02x\\x%02x' $((date & 255)) $((date >> 8)))
    bps=$(le16 "$img" $((off + 11)))
    reserved=$(le16 "$img" $((off + 14)))
    nfats=$(od -An -tu1 -j $((off + 16)) -N 1 "$img" | tr -d ' ')
    nroot=$(le16 "$img" $((off + 17)))
    fatsz=$(le16 "$img" $((off + 22)))
    root=$((off + (reserved + nfats * fatsz) * bps))
    for ((i = 0; i < nroot; i++)); do
        e=$((root + i * 32))
        first=$(od -An -tu1 -j "$e" -N 1 "$img" | tr -d ' ')
        [ "$first" != 0 ] || break
        attr=$(od -An -tu1 -j $((e + 11)) -N 1 "$img" | tr -d ' ')
        [ "$first" != 229 ] && [ "$attr" != 15 ] || continue
        # creation (10 ms units, time, date), access date, write time and date
        printf %b "\\x00$stamp" | dd of="$img" bs=1 seek=$((e + 13)) conv=notrunc status=none
        printf %b "$dstamp" | dd of="$img" bs=1 seek=$((e + 18)) conv=notrunc status=none
        printf %b "$stamp" | dd of="$img" bs=1 seek=$((e + 22)) conv=notrunc status=none
    done
}

# disk.img: 64 MiB, one active FAT16 partition (type 06h) from sector 2048
# to the end, the MBR code from SYSLINUX.
img=$dest/disk.img.tmp
rm -f "$img"
truncate -s 64M "$img"
sfdisk --quiet --no-reread --no-tell-kernel "$img" >/dev/null <<'EOF' || die "sfdisk failed on $img"
label: dos
label-id: 0x4252534b
unit: sectors
start=2048, type=6, bootable
EOF
dd if="$mbr" of="$img" bs=440 count=1 conv=notrunc status=none || die "cannot write the MBR code"
part_sectors=$(( (64 * 1024 * 1024) / 512 - 2048 ))
mkfs.fat -F 16 -n BRISK --invariant -i 4252534b --offset 2048 -h 2048 "$img" \
    $((part_sectors / 2)) >/dev/null || die "mkfs.fat failed on $img"
part="$img@@$((2048 * 512))"
mcopy -m -i "$part" "$files/vmlinuz" "$files/initrd.gz" "$files/syslinux.cfg" :: ||
    die "mcopy into $img failed"
syslinux --offset $((2048 * 512)) --install "$img" || die "syslinux --install failed on $img"
fat_fix_times "$img" $((2048 * 512)) "$epoch"
mv "$img" "$dest/disk.img"
rm -rf "$files"

# data.img: a blank 16 MiB disk.
rm -f "$dest/data.img"
truncate -s 16M "$dest/data.img"

echo "build-linux-guest: boot disk: $dest/disk.img (SYSLINUX, FAT16)"
echo "build-linux-guest: data disk: $dest/data.img (16 MiB of zeros)"
