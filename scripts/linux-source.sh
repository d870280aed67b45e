#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unpack the parts of Debian's linux-source-6.12 that memvirt builds with:
# the kselftest headers and lib.mk, checkpatch, and the netlink spec tools.
# Nothing of it is committed; it lands in $1 (default .build/linux-source).
set -eu

out=${1:-.build/linux-source}
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n 1)
[ -n "$tarball" ] || { echo "linux-source-6.12 is not installed: run 'make deps'" >&2; exit 1; }

stamp="$out/.stamp"
[ -f "$stamp" ] && [ "$stamp" -nt "$tarball" ] && exit 0

rm -rf "$out" "$out.tmp"
mkdir -p "$out.tmp"
tar -xf "$tarball" -C "$out.tmp" --strip-components=1 --wildcards \
	'linux-source-6.12/tools/testing/selftests/lib.mk' \
	'linux-source-6.12/tools/testing/selftests/kselftest*' \
	'linux-source-6.12/tools/testing/selftests/run_kselftest.sh' \
	'linux-source-6.12/scripts/subarch.include' \
	'linux-source-6.12/scripts/checkpatch.pl' \
	'linux-source-6.12/scripts/spelling.txt' \
	'linux-source-6.12/scripts/const_structs.checkpatch' \
	'linux-source-6.12/Documentation/netlink/*' \
	'linux-source-6.12/tools/net/ynl/*'
mv "$out.tmp" "$out"
touch "$stamp"
