#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Build a tiny initramfs for kernel release $1 into $2: static busybox, the
# modules needed to mount the host's root over virtio-9p, and init.sh.
# The guest's real userspace is the host root, shared read-only.
set -eu

kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/bin" "$tmp/lib/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev" "$tmp/newroot"
cp /bin/busybox "$tmp/bin/busybox"
cp "$here/init.sh" "$tmp/init"
chmod 755 "$tmp/init"

# Modules in dependency order, each once, decompressed (busybox insmod
# cannot read .ko.xz).
: > "$tmp/modules"
for m in virtio_pci 9pnet_virtio 9p; do
	# Built-in drivers (the debug kernel's) print "builtin", not "insmod".
	modprobe ${MEMVIRT_KROOT:+-d "$MEMVIRT_KROOT/modules"} -S "$kver" \
		--show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
	name=$(basename "$ko")
	case "$ko" in
	*.xz)  xz -dc "$ko" > "$tmp/lib/modules/${name%.xz}"; name=${name%.xz} ;;
	*.zst) zstd -qdc "$ko" > "$tmp/lib/modules/${name%.zst}"; name=${name%.zst} ;;
	*)     cp "$ko" "$tmp/lib/modules/$name" ;;
	esac
	echo "$name" >> "$tmp/modules"
done

(cd "$tmp" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
