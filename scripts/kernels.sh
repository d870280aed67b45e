#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the test kernels, one release per line: the newest installed Debian
# bookworm 6.1 and 6.12 amd64 kernels that have both an image and headers.
set -eu

pick() {
	for d in /usr/src/linux-headers-$1; do
		[ -d "$d" ] || continue
		v=${d#/usr/src/linux-headers-}
		[ -f "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v/kernel" ] && echo "$v"
	done | sort -V | tail -n 1
}

k61=$(pick '6.1.0-*-amd64')
k612=$(pick '6.12.*+deb12-amd64')
[ -n "$k61" ] && echo "$k61"
[ -n "$k612" ] && echo "$k612"
exit 0
