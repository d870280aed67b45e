#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - memvirt's "make check": for every test kernel, build memvirt.ko
# against its headers, boot it in QEMU, run the kselftest suite there and
# collect TAP. Ends with one line "N passed, N failed, N skipped" summed over
# all kernels; exits non-zero on any failure, including a kernel that does
# not build, boot or finish in time.
#
#   MEMVIRT_KERNELS   space-separated kernel releases (default: scripts/kernels.sh)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export BUILD=${BUILD:-$top/.build}
mkdir -p "$BUILD"

passed=0 failed=0 skipped=0
fail() { echo "not ok - $*"; failed=$((failed + 1)); }

summary() {
	echo
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
}

kernels=${MEMVIRT_KERNELS:-$("$top/scripts/kernels.sh" | tr '\n' ' ')}
set -- $kernels
if [ $# -lt 2 ] && [ -z "${MEMVIRT_KERNELS:-}" ]; then
	fail "test kernels: want bookworm 6.1 and 6.12 with headers, found '${kernels}' (run 'make deps' as root)"
fi
[ $# -gt 0 ] || summary

echo "# building userspace and selftests"
if ! "$top/scripts/linux-source.sh" "$BUILD/linux-source" ||
   ! make -s -C "$top/user" ||
   ! make -s -C "$top/selftests" OUTPUT="$BUILD/selftests"; then
	fail "build: user/ and selftests/"
	summary
fi

for kver in "$@"; do
	echo
	echo "# ==== kernel $kver ===="
	if ! ko=$("$top/scripts/build-kmod.sh" "$kver"); then
		fail "$kver: build memvirt.ko"
		continue
	fi
	# The same sources the way a host gets them: through dkms.conf.
	if ! dko=$("$top/scripts/build-dkms.sh" "$kver"); then
		fail "$kver: DKMS build of memvirt.ko (dkms.conf)"
		dko=
	fi
	job=$(mktemp)
	cat > "$job" <<JOB
export MEMVIRT_TOP='$top' MEMVIRT_KO='$ko' MEMVIRT_SELFTESTS='$BUILD/selftests'
export MEMVIRT_DKMS_KO='$dko'
exec /bin/sh '$here/guest-check.sh'
JOB
	log=$BUILD/qemu/check-$kver.tap
	mkdir -p "$BUILD/qemu"
	"$here/run-vm.sh" "$kver" "$job" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	rm -f "$job"
	read -r p f s < <(awk -f "$here/tapsum.awk" "$log")
	echo "# $kver: $p passed, $f failed, $s skipped (guest exit $rc)"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$kver: guest run exited $rc"
	fi
done
summary
