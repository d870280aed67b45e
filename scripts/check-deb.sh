#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# check-deb.sh KVER: on the build host, before the guest installs them for
# real (selftests/qemu/deb-overlay.sh: dpkg -i, DKMS in the postinst):
# unpack the packages `make deb` left in $BUILD/deb (memvirt, memvirt-dkms)
# into a throwaway root and build memvirt.ko for kernel release KVER with
# DKMS from the unpacked /usr/src, so that a broken package fails here with
# DKMS's log. Prints "ROOT KO"; exit 1 with the reason on stderr.
set -eu

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/.build}
root=$build/deb/root-$kver

set -- "$build"/deb/memvirt_*.deb "$build"/deb/memvirt-dkms_*.deb
for f; do [ -f "$f" ] || { echo "no $f: run 'make deb'" >&2; exit 1; }; done
rm -rf "$root"
mkdir -p "$root"
for f; do dpkg-deb -x "$f" "$root"; done
[ -x "$root/usr/sbin/memvirt" ] || { echo "memvirt package: no usr/sbin/memvirt" >&2; exit 1; }
for p in "$top"/Documentation/man/memvirt*.rst; do
	p=$(basename "$p" .rst)
	[ -f "$root/usr/share/man/man8/$p.8.gz" ] ||
		{ echo "memvirt package: no usr/share/man/man8/$p.8.gz" >&2; exit 1; }
done
ko=$(BUILD=$build "$top/scripts/build-dkms.sh" "$kver" "$root/usr/src") || exit 1
echo "$root $ko"
