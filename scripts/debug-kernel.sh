#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# debug-kernel.sh [--cached-only] - build memvirt's debug test kernel from
# Debian's linux-source-6.12 with selftests/qemu/debug.config (KASAN,
# KFENCE, lockdep, ...) and print its directory on stdout:
#   DIR/vmlinuz       the kernel image
#   DIR/release       its release string (uname -r in the guest)
#   DIR/build         the build tree (make -C DIR/build M=... for modules)
#   DIR/modules       its modules (DIR/modules/lib/modules/RELEASE)
#
# The build is cached outside the checkout, under $MEMVIRT_CACHE (default
# /var/cache/memvirt), keyed by the hash of the config fragment, the source
# package's version and the recipe below, so only a new machine pays for it.
# With --cached-only nothing is built: exit 3 when no build is cached.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
frag=$top/selftests/qemu/debug.config
cache=${MEMVIRT_CACHE:-/var/cache/memvirt}
cached_only=0
[ "${1:-}" = --cached-only ] && cached_only=1

tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1 || true)
[ -n "$tarball" ] || { echo "debug-kernel: linux-source-6.12 is not installed: run 'make deps-test'" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || stat -c %Y "$tarball")
# Bump when the way the kernel is built changes.
recipe=1
key=$( (cat "$frag"; echo "recipe $recipe source $srcver") | sha256sum | cut -c1-16)
dir=$cache/debug-kernel/$key

if [ -s "$dir/release" ] && [ -f "$dir/vmlinuz" ]; then
	echo "$dir"
	exit 0
fi
[ $cached_only -eq 0 ] || exit 3

mkdir -p "$cache"
exec 9> "$cache/.debug-kernel.lock"
flock 9
if [ -s "$dir/release" ]; then
	echo "$dir"
	exit 0
fi

log=$cache/debug-kernel-$key.log
echo "debug-kernel: building $key (log: $log); a cold build takes a while" >&2
start=$(date +%s)
src=$cache/src-$srcver
if [ ! -f "$src/.stamp" ]; then
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.stamp"
	mv "$src.tmp" "$src"
fi

rm -rf "$dir"
mkdir -p "$dir/build"
mk() { make -C "$src" O="$dir/build" ARCH=x86_64 "$@"; }
{
	mk tinyconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$dir/build" \
		"$dir/build/.config" "$frag"
	mk olddefconfig
} > "$log" 2>&1

# Every line of the fragment must have taken effect: a dependency that
# Kconfig quietly dropped would give a kernel that is not what we test on.
bad=0
while IFS='=' read -r k v; do
	case "$k" in CONFIG_*) ;; *) continue ;; esac
	if [ "$v" = n ]; then
		! grep -q "^$k=" "$dir/build/.config" && continue
	else
		grep -qx "$k=$v" "$dir/build/.config" && continue
	fi
	echo "debug-kernel: $k=$v did not take effect" >&2
	bad=1
done < "$frag"
[ $bad -eq 0 ] || exit 1

if ! mk -j"$(nproc)" bzImage modules >> "$log" 2>&1 ||
   ! mk INSTALL_MOD_PATH="$dir/modules" \
	INSTALL_MOD_STRIP=1 DEPMOD=/sbin/depmod modules_install >> "$log" 2>&1; then
	echo "debug-kernel: build failed; last lines of $log:" >&2
	tail -n 30 "$log" >&2
	exit 1
fi
cp "$dir/build/arch/x86/boot/bzImage" "$dir/vmlinuz"
echo "$(( $(date +%s) - start ))" > "$dir/build-seconds"
# Written last: a build cut short leaves no release and is redone.
mk -s kernelrelease > "$dir/release"
echo "debug-kernel: built in $(cat "$dir/build-seconds") s" >&2
echo "$dir"
