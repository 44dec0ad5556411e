#!/usr/bin/env bash
# build-linux-guest.sh - builds the Linux guest of Brisk's boot tests from
# Debian 12 ("bookworm") i386 packages: the 686 kernel (vmlinuz, a bzImage)
# and an initramfs with busybox-static whose /init prints a marker line and
# runs a shell on the serial console.
#
#   scripts/build-linux-guest.sh [DEST]        (DEST defaults to build/guest)
#
# Results:
#   DEST/linux/vmlinuz     the kernel (bzImage, Linux boot protocol)
#   DEST/initrd.gz         the initramfs (newc cpio, gzip)
#   DEST/linux/root/       the unpacked kernel package (modules in lib/modules)
#
# The packages come from `apt-get download` with i386 as APT's architecture
# and APT state, cache and sources of the script's own under DEST/apt: no
# architecture is added to the host's dpkg, nothing is installed system-wide
# and the host's package lists are left alone. Downloads already present
# are kept (run again after deleting DEST/apt/debs to fetch new versions).
# Needs apt-get, dpkg-deb, cpio and gzip (scripts/install-deps.sh).
#
# Boot it with:
#   build/frontends/brisk -kernel DEST/linux/vmlinuz -initrd DEST/initrd.gz \
#       -append "console=ttyS0 panic=-1" -m 256M -display none -serial stdio -no-reboot
set -euo pipefail

die() { echo "build-linux-guest: $*" >&2; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:-$root/build/guest}
mkdir -p "$dest" || die "cannot create $dest"
dest=$(cd "$dest" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

for tool in apt-get dpkg-deb cpio gzip; do
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
# The kernel modules the later disk tests need (the 686 kernel builds
# them as modules), with their dependency files, when the package has them.
mods=$linux/root/lib/modules/$kver
if [ -d "$mods" ]; then
    mkdir -p "$ird/lib/modules/$kver"
    for m in ata_piix libata ata_generic sd_mod scsi_mod scsi_common ext2 ext4 mbcache jbd2 \
        crc16 crc32c_generic libcrc32c fat vfat isofs cdrom sr_mod nls_cp437 nls_ascii; do
        f=$(find "$mods/kernel" -name "$m.ko*" 2>/dev/null | head -n 1)
        [ -n "$f" ] || continue
        rel=${f#"$mods"/}
        mkdir -p "$ird/lib/modules/$kver/$(dirname "$rel")"
        cp "$f" "$ird/lib/modules/$kver/$rel"
    done
    for f in modules.dep modules.alias modules.builtin modules.order; do
        [ -f "$mods/$f" ] && cp "$mods/$f" "$ird/lib/modules/$kver/"
    done
fi
cat >"$ird/init" <<'EOF'
#!/bin/sh
# /init of Brisk's Linux guest (scripts/build-linux-guest.sh).
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || mknod /dev/ttyS0 c 4 64
echo "Brisk Linux guest: init started ($(uname -r))"
echo "Brisk Linux guest: $(cat /proc/cpuinfo | grep -m1 'model name')"
echo "Brisk Linux guest: type 'poweroff -f' to stop"
exec setsid cttyhack sh </dev/ttyS0 >/dev/ttyS0 2>&1
EOF
chmod 755 "$ird/init"

# newc cpio, files owned by root, gzip-compressed.
(cd "$ird" && find . -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc --owner=0:0 --quiet) | gzip -9n >"$dest/initrd.gz.tmp" ||
    die "cannot build the initramfs"
mv "$dest/initrd.gz.tmp" "$dest/initrd.gz"
echo "build-linux-guest: kernel $kver: $linux/vmlinuz"
echo "build-linux-guest: initramfs: $dest/initrd.gz ($(stat -c %s "$dest/initrd.gz") bytes)"
