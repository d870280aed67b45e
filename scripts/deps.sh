#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages memvirt needs to build, test and demo.
# Idempotent: does nothing when everything is there. Runs apt only as root;
# otherwise prints the command to run. Versions are resolved by apt at run
# time through Debian's meta-packages, never pinned here.
set -eu

pkgs="make gcc libc6-dev pkg-config libnl-genl-3-dev libbpf-dev bpftool
clang llvm libsmartcols-dev libjson-c-dev qemu-system-x86 busybox-static python3-yaml
kmod xz-utils zstd cpio jq bpftrace python3-prometheus-client dkms
linux-image-amd64 linux-headers-amd64
linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
flex bison bc libelf-dev libssl-dev dwarves"
# The last line builds the debug test kernel (scripts/debug-kernel.sh).

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "memvirt: missing Debian packages; install them with:" >&2
	echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
	exit 1
fi

echo "memvirt: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
