#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build memvirt.ko for kernel release $1 in a private copy of the sources,
# so several kernels can be built side by side without touching the tree.
# Result: $BUILD/$1/src/kmod/memvirt.ko (path printed on stdout).
set -eu

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/.build}
# MEMVIRT_KROOT: a kernel of our own (scripts/debug-kernel.sh's directory).
if [ -n "${MEMVIRT_KROOT:-}" ]; then
	kdir=$MEMVIRT_KROOT/build
else
	kdir=/usr/src/linux-headers-$kver
	[ -d "$kdir" ] || kdir=/lib/modules/$kver/build
fi
[ -d "$kdir" ] || { echo "no headers for $kver: run 'make deps'" >&2; exit 1; }

src=$build/$kver/src
mkdir -p "$src"
# Copy only what the module build reads; keep old objects for incremental builds.
for d in kmod include; do
	mkdir -p "$src/$d"
	cp -pR "$top/$d/." "$src/$d/"
done
cp -p "$top/Kbuild" "$src/Kbuild"

if [ "${V:-0}" = 1 ]; then
	make -C "$kdir" M="$src" modules >&2
else
	make -s -C "$kdir" M="$src" modules >&2
fi
echo "$src/kmod/memvirt.ko"
