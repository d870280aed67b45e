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
#   MEMVIRT_JOBS      guests run at once (default: the CPUs; each TCG guest
#                     runs on one host thread). With more than one, each
#                     kernel's output is printed whole when it ends.
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

# Two runs on one BUILD would cross their guests' result files: refuse the
# second. The lock is held until this run and its guests are gone.
exec 7> "$BUILD/check.lock"
if ! flock -n 7; then
	fail "BUILD=$BUILD is in use by another check run: give this one a directory of its own"
	summary
fi

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

# The harness's own counting, on made-up TAP: a program that exits 0 with
# fewer results than its plan, more, or no plan fails.
if out=$("$here/tapsum-test.sh" 2>&1); then
	echo "ok - harness: tapsum.awk counts nested TAP and fails a short or missing plan"
	passed=$((passed + 1))
else
	echo "$out" | sed 's/^/# /'
	fail "harness: tapsum.awk counts nested TAP and fails a short or missing plan"
fi

# The netlink contract: every file generated from the spec, regenerated and
# compared (make regen writes them); a hand edit or a stale file fails.
regen="netlink contract: the generated files match Documentation/netlink/specs/memvirt.yaml"
if "$top/scripts/nl-regen.sh" --check > "$BUILD/regen.log" 2>&1; then
	echo "ok - $regen"
	passed=$((passed + 1))
else
	sed 's/^/# /' "$BUILD/regen.log" | tail -n 60
	fail "$regen (run 'make regen')"
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

# The packages are installed with dpkg in the guest of one kernel, the
# newest stock one; check-deb.sh builds their module for every kernel.
deb_kver=
for kver in "$@"; do
	[ "$kver" = debug ] || deb_kver=$kver
done

# One kernel: build memvirt.ko for it, boot it, run the suite, count.
# MEMVIRT_KROOT is set for a kernel of our own (the debug kernel). Runs in
# a subshell of its own: its counts end as "passed failed skipped" in
# $BUILD/qemu/result-KVER.
run_kernel() {
	local kver=$1 ko dko ino deb job log rc p f s tmo
	passed=0 failed=0 skipped=0
	rm -f "$BUILD/qemu/result-$kver"
	# shellcheck disable=SC2064 # the file named now, the counts at exit
	trap "echo \"\$passed \$failed \$skipped\" > '$BUILD/qemu/result-$kver'" EXIT

	echo
	echo "# ==== kernel $kver ===="
	# The host's builds, one kernel at a time: make install builds
	# memvirt.ko in the checkout's kmod/, which two kernels cannot share.
	exec 8> "$BUILD/qemu/host-build.lock"
	flock 8
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
	flock -u 8
	exec 8>&-
	[ -z "$deb" ] || [ "$kver" = "$deb_kver" ] ||
		echo "# deb: dpkg -i in the guest runs on $deb_kver only (a DKMS build under TCG takes minutes; here DKMS built the package's module for $kver on the host)"
	job=$(mktemp)
	cat > "$job" <<JOB
export MEMVIRT_TOP='$top' MEMVIRT_KO='$ko' MEMVIRT_SELFTESTS='$BUILD/selftests'
export MEMVIRT_MAN='$BUILD/man'
export MEMVIRT_DKMS_KO='$dko' MEMVIRT_INSTALL_ROOT='$ino'
export MEMVIRT_DEBS='$([ "$kver" = "$deb_kver" ] && echo "${deb:+$BUILD/deb}")'
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

# The debug kernel, once cached or built; KASAN and lockdep make it 5-7
# times slower: the 1000-cycle churn outran 1200 s there when other guests
# shared the cores.
run_debug() {
	MEMVIRT_KROOT=$1 MEMVIRT_QEMU_TIMEOUT=${MEMVIRT_QEMU_TIMEOUT:-7200} \
		MEMVIRT_TEST_TIMEOUT=${MEMVIRT_TEST_TIMEOUT:-3000} \
		run_kernel "$(cat "$1/release")"
}

# Guests run MEMVIRT_JOBS at a time (TCG with thread=single keeps each on
# one host thread, so two share two cores without slowing each other
# much); the longest, the debug kernel, starts first when it is cached.
jobs=${MEMVIRT_JOBS:-$(nproc)}
queue=()
droot=
if [ "$debug_mode" != off ] && [ -z "$debug_job" ] &&
   droot=$("$top/scripts/debug-kernel.sh" --cached-only 2> /dev/null); then
	queue+=(debug)
fi
for kver in "$@"; do
	[ "$kver" = debug ] || queue+=("$kver")
done
mkdir -p "$BUILD/qemu"
running=()
run_one() {	# KVER|debug: in a subshell of its own
	if [ "$1" = debug ]; then (run_debug "$droot"); else (run_kernel "$1"); fi
}
add_counts() {	# KVER: its counts into the totals
	local p f s
	if read -r p f s < "$BUILD/qemu/result-$1"; then
		passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	else
		fail "$1: the run ended without its counts"
	fi
}
# collect: count and print the kernels run in the background that ended.
collect() {
	local k kv rest=()
	for k in "${running[@]}"; do
		kv=${k%%:*}
		if kill -0 "${k#*:}" 2> /dev/null; then
			rest+=("$k")
			continue
		fi
		wait "${k#*:}"
		cat "$BUILD/qemu/run-$kv.out"
		add_counts "$kv"
	done
	running=("${rest[@]}")
}
start() {	# KVER|debug
	local kv=$1
	[ "$kv" != debug ] || kv=$(cat "$droot/release")
	if [ "$jobs" -le 1 ]; then
		run_one "$1"
		add_counts "$kv"
		return
	fi
	collect
	while [ "${#running[@]}" -ge "$jobs" ]; do
		sleep 2
		collect
	done
	echo "# $kv: started ($(date +%T)); its output follows when it ends"
	run_one "$1" > "$BUILD/qemu/run-$kv.out" 2>&1 &
	running+=("$kv:$!")
}
for kver in "${queue[@]}"; do
	start "$kver"
done

if [ "$debug_mode" != off ] && [ -n "$debug_job" ]; then
	wait "$debug_job"
	if droot=$("$top/scripts/debug-kernel.sh" --cached-only 2> /dev/null); then
		echo "# debug kernel: built in $(cat "$droot/build-seconds") s"
		start debug
	else
		fail "debug kernel: build failed ($(tail -n 3 "$debug_log" | tr '\n' ' '))"
	fi
elif [ "$debug_mode" = cached ] && [ -z "$droot" ]; then
	echo "ok - debug kernel # SKIP not cached on this machine (MEMVIRT_DEBUG_KERNEL=cached; 'make check-debug' builds it)"
	skipped=$((skipped + 1))
fi
collect
while [ "${#running[@]}" -gt 0 ]; do
	sleep 2
	collect
done
summary
