#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build memvirt.ko for kernel release $1 the way a host gets it from DKMS
# (dkms.conf at the top of the tree; or, with $2, the source tree a
# memvirt-dkms package unpacked: $2/memvirt-<version>), in private trees
# under $BUILD/dkms:
# nothing is added to /usr/src or /var/lib/dkms (DKMS still creates its
# module-signing key there the first time, as on any host).
# Result: the module as DKMS leaves it (path printed on stdout).
set -eu

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/.build}
command -v dkms > /dev/null || { echo "dkms not installed: run 'make deps'" >&2; exit 1; }
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$ver" ] || { echo "dkms.conf: no PACKAGE_VERSION" >&2; exit 1; }

d=$build/dkms/$kver${2:+-pkg}
rm -rf "$d"
mkdir -p "$d/src/memvirt-$ver" "$d/tree"
if [ -n "${2:-}" ]; then
	[ -f "$2/memvirt-$ver/dkms.conf" ] || { echo "no $2/memvirt-$ver/dkms.conf" >&2; exit 1; }
	cp -pR "$2/memvirt-$ver/." "$d/src/memvirt-$ver/"
else
	cp -pR "$top/dkms.conf" "$top/Kbuild" "$top/kmod" "$top/include" "$d/src/memvirt-$ver/"
fi
opts="-m memvirt -v $ver --sourcetree $d/src --dkmstree $d/tree"
# shellcheck disable=SC2086
if ! dkms add $opts > "$d/log" 2>&1 || ! dkms build $opts -k "$kver" >> "$d/log" 2>&1; then
	cat "$d/log" >&2
	find "$d/tree" -name make.log -exec cat {} + >&2
	exit 1
fi
ko=$(find "$d/tree/memvirt/$ver/$kver" -name 'memvirt.ko*' | head -n 1)
[ -n "$ko" ] || { echo "dkms build left no memvirt.ko for $kver" >&2; exit 1; }
echo "$ko"
