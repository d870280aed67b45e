#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# deps.sh [build|test] - install the Debian packages memvirt needs:
#   build  what building and running it needs (make deps)
#   test   that, plus what the tests, the demo and the debug kernel need
#          (make deps-test; make check and make demo run it)
# Idempotent: does nothing when everything is there. Runs apt only as root;
# otherwise prints the command to run. Versions are resolved by apt at run
# time through Debian's meta-packages, never pinned here.
set -eu

build="make gcc libc6-dev pkg-config libnl-genl-3-dev libbpf-dev bpftool
clang llvm libsmartcols-dev libjson-c-dev libncurses-dev libmicrohttpd-dev
python3-docutils kmod dkms linux-headers-amd64"
# The test guests: both bookworm kernels, QEMU, the kselftest headers and
# ynl from linux-source (ynl-gen-c.py also regenerates the netlink contract:
# make regen, checked by make check; it validates the spec with jsonschema),
# the tools the tests drive (a real terminal, a real
# Prometheus, man and groff to render the man pages); the debug test
# kernel's build (scripts/debug-kernel.sh); make deb and its lintian check.
test="qemu-system-x86 busybox-static python3-yaml python3-jsonschema xz-utils zstd cpio jq bpftrace
python3-prometheus-client tmux prometheus curl man-db groff-base linux-image-amd64
linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
flex bison bc libelf-dev libssl-dev dwarves
debhelper dh-dkms dpkg-dev fakeroot lintian"

case "${1:-test}" in
build) pkgs=$build ;;
test) pkgs="$build $test" ;;
*) echo "usage: deps.sh [build|test]" >&2; exit 2 ;;
esac

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
