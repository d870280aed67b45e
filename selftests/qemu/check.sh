#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - memvirt's "make check": for every test kernel, build memvirt.ko
# against its headers, boot it in QEMU, run the kselftest suite there and
# collect TAP. Ends with one line "N passed, N failed, N skipped" summed over
# all kernels; exits non-zero on any failure, including a kernel that does
# not build, boot or finish in time.
#
#   MEMVIRT_KERNELS   space-separated kernel releases, "debug" for the debug
#                     kernel (default: scripts/kernels.sh, then debug)
#   MEMVIRT_TESTS     run only these tests, e.g. "memvirt_vm_test memvirt_cli.sh"
#   MEMVIRT_DEBUG_KERNEL  build (default), cached or off: see below
#   MEMVIRT_FUZZ_*, MEMVIRT_CHURN_*, MEMVIRT_TEST_TIMEOUT (seconds per test
#                     with MEMVIRT_TESTS)  passed to the guest
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
	fail "test kernels: want bookworm 6.1 and 6.12 with headers, found '${kernels}' (run 'make deps-test' as root)"
fi
[ $# -gt 0 ] || summary
[ -n "${MEMVIRT_KERNELS:-}" ] || set -- "$@" debug

# The debug kernel (KASAN, KFENCE, lockdep, ...; selftests/qemu/debug.config),
# "debug" in the kernel list, runs the suite after the stock kernels.
# MEMVIRT_DEBUG_KERNEL: "build" (the default: build it when it is not cached,
# in the background while the stock kernels run), "cached" (use it only if
# cached; say so otherwise) or "off".
debug_mode=${MEMVIRT_DEBUG_KERNEL:-build}
case " $* " in *" debug "*) ;; *) debug_mode=off ;; esac
debug_job= debug_log=$BUILD/debug-kernel.out
case "$debug_mode" in
build)
	if ! "$top/scripts/debug-kernel.sh" --cached-only > "$debug_log" 2>&1; then
		echo "# debug kernel: not cached; building it in the background"
		"$top/scripts/debug-kernel.sh" > "$debug_log" 2>&1 &
		debug_job=$!
	fi ;;
cached|off) ;;
*) fail "MEMVIRT_DEBUG_KERNEL=$debug_mode: want build, cached or off" ;;
esac

echo "# building userspace and selftests"
if ! "$top/scripts/linux-source.sh" "$BUILD/linux-source" ||
   ! make -s -C "$top/user" || ! make -s -C "$top" man ||
   ! make -s -C "$top/selftests" OUTPUT="$BUILD/selftests"; then
	fail "build: user/, the man pages and selftests/"
	summary
fi

# The Debian packages, once for all kernels (not for the debug kernel
# alone: DKMS builds against installed headers); lintian must pass.
debs=no
case " ${MEMVIRT_KERNELS:-x} " in
" debug ") ;;
*)
	if make -s -C "$top" deb > "$BUILD/deb.log" 2>&1; then
		debs=ok
		echo "ok - make deb: memvirt and memvirt-dkms built, lintian finds no error"
		passed=$((passed + 1))
	else
		sed 's/^/# /' "$BUILD/deb.log" | tail -n 40
		fail "make deb: memvirt and memvirt-dkms built, lintian finds no error"
	fi ;;
esac

# One kernel: build memvirt.ko for it, boot it, run the suite, count.
# MEMVIRT_KROOT is set for a kernel of our own (the debug kernel).
run_kernel() {
	local kver=$1 ko dko ino deb job log rc p f s tmo

	echo
	echo "# ==== kernel $kver ===="
	if ! ko=$("$top/scripts/build-kmod.sh" "$kver"); then
		fail "$kver: build memvirt.ko"
		return
	fi
	# The same sources the way a host gets them: through dkms.conf.
	dko=
	if [ -n "${MEMVIRT_KROOT:-}" ]; then
		echo "# dkms: not run on the debug kernel (DKMS builds against installed headers)"
	elif ! dko=$("$top/scripts/build-dkms.sh" "$kver"); then
		fail "$kver: DKMS build of memvirt.ko (dkms.conf)"
		dko=
	fi
	# And as `make install` leaves it in a throwaway root, and as the
	# Debian packages bring it.
	ino= deb=
	if [ -z "${MEMVIRT_KROOT:-}" ] && ! ino=$("$top/scripts/check-install.sh" "$kver"); then
		fail "$kver: make install DESTDIR=... (the tree, then make uninstall)"
		ino=
	fi
	if [ -z "${MEMVIRT_KROOT:-}" ] && [ "$debs" = ok ] &&
	   ! deb=$("$top/scripts/check-deb.sh" "$kver"); then
		fail "$kver: the packages unpacked, memvirt.ko built by DKMS from memvirt-dkms"
		deb=
	fi
	job=$(mktemp)
	cat > "$job" <<JOB
export MEMVIRT_TOP='$top' MEMVIRT_KO='$ko' MEMVIRT_SELFTESTS='$BUILD/selftests'
export MEMVIRT_MAN='$BUILD/man'
export MEMVIRT_DKMS_KO='$dko' MEMVIRT_INSTALL_ROOT='$ino'
export MEMVIRT_DEBS='${deb:+$BUILD/deb}'
export MEMVIRT_TESTS='${MEMVIRT_TESTS:-}'
$(env | grep -E '^MEMVIRT_(FUZZ_[A-Z]+|CHURN_[A-Z]+|TEST_TIMEOUT)=[0-9a-fA-Fx]+$' | sed 's/^/export /')
exec /bin/sh '$here/guest-check.sh'
JOB
	log=$BUILD/qemu/check-$kver.tap
	mkdir -p "$BUILD/qemu"
	# dpkg -i in the guest builds memvirt.ko with DKMS under TCG: 450 s
	# measured on a loaded machine, on top of the suite's time.
	tmo=${MEMVIRT_QEMU_TIMEOUT:-1200}
	[ -n "${MEMVIRT_QEMU_TIMEOUT:-}" ] || [ -z "$deb" ] || tmo=1800
	MEMVIRT_QEMU_TIMEOUT=$tmo "$here/run-vm.sh" "$kver" "$job" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" -eq 126 ]; then
		# A boot that stalled before the job (TCG, rarely): once more.
		echo "# $kver: the guest stalled before running the suite; booting it again"
		MEMVIRT_QEMU_TIMEOUT=$tmo "$here/run-vm.sh" "$kver" "$job" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	fi
	rm -f "$job"
	read -r p f s < <(awk -f "$here/tapsum.awk" "$log")
	echo "# $kver: $p passed, $f failed, $s skipped (guest exit $rc)"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		fail "$kver: guest run exited $rc"
	fi
}

for kver in "$@"; do
	[ "$kver" = debug ] || run_kernel "$kver"
done

if [ "$debug_mode" != off ]; then
	[ -z "$debug_job" ] || wait "$debug_job"
	if droot=$("$top/scripts/debug-kernel.sh" --cached-only 2> /dev/null); then
		[ -z "$debug_job" ] || echo "# debug kernel: built in $(cat "$droot/build-seconds") s"
		# KASAN and lockdep make it 5-7 times slower: the 1000-cycle churn
		# outran 1200 s there when other guests shared the cores.
		MEMVIRT_KROOT=$droot MEMVIRT_QEMU_TIMEOUT=${MEMVIRT_QEMU_TIMEOUT:-7200} \
			MEMVIRT_TEST_TIMEOUT=${MEMVIRT_TEST_TIMEOUT:-3000} \
			run_kernel "$(cat "$droot/release")"
	elif [ "$debug_mode" = cached ]; then
		echo "ok - debug kernel # SKIP not cached on this machine (MEMVIRT_DEBUG_KERNEL=cached; 'make check-debug' builds it)"
		skipped=$((skipped + 1))
	else
		fail "debug kernel: build failed ($(tail -n 3 "$debug_log" | tr '\n' ' '))"
	fi
fi
summary
