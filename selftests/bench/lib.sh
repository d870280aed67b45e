# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared by the benchmarks (bench.sh, backing.sh, faults-overhead.sh): the
# host side that builds and boots each test kernel with a job, and on the
# guest side one memvirt-vmm process at a time. Sourced; sets here (the
# bench directory), top, build. Not the kselftests' lib/lib.sh: a benchmark
# prints figures and judges nothing, and its VMM is started its own way.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/.build}

# ---- host side ----

# bench_kernels [KVER...]: the kernels to boot into $kernels (default: all
# test kernels), userspace and the selftests built for them.
bench_kernels() {
	kernels=("$@")
	[ ${#kernels[@]} -gt 0 ] || mapfile -t kernels < <("$top/scripts/kernels.sh")
	[ ${#kernels[@]} -gt 0 ] || { echo "bench: no test kernels (run 'make deps')"; return 1; }
	make -s -C "$top/user" || return 1
	make -s -C "$top/selftests" OUTPUT="$build/selftests" >/dev/null || return 1
}

# bench_boot KVER JOB TIMEOUT [icount [MEM]]: boots KVER and runs the script
# JOB in it (selftests/qemu/run-vm.sh). With "icount" (unless
# MEMVIRT_BENCH_ICOUNT=0) the guest runs with QEMU's -icount shift=0, one
# vCPU, one node and the TSC clocksource: one guest ns per emulated
# instruction, so host load drops out (Documentation/performance.rst);
# MEM then sets its memory. MEMVIRT_QEMU_* set by the caller win.
bench_boot() {
	local kver=$1 job=$2 tmo=$3
	if [ "${4:-}" = icount ] && [ "${MEMVIRT_BENCH_ICOUNT:-1}" = 1 ]; then
		MEMVIRT_QEMU_ARGS=${MEMVIRT_QEMU_ARGS:--icount shift=0,sleep=off} \
		MEMVIRT_QEMU_SMP=${MEMVIRT_QEMU_SMP:-1} MEMVIRT_QEMU_NODES=${MEMVIRT_QEMU_NODES:-1} \
		MEMVIRT_QEMU_APPEND=${MEMVIRT_QEMU_APPEND:-clocksource=tsc tsc=reliable} \
		MEMVIRT_QEMU_MEM=${MEMVIRT_QEMU_MEM:-${5:-}} \
		MEMVIRT_QEMU_TIMEOUT=${MEMVIRT_QEMU_TIMEOUT:-$tmo} \
			"$top/selftests/qemu/run-vm.sh" "$kver" "$job"
	else
		MEMVIRT_QEMU_TIMEOUT=${MEMVIRT_QEMU_TIMEOUT:-$tmo} \
			"$top/selftests/qemu/run-vm.sh" "$kver" "$job"
	fi
}

# bench_each JOB_FN TIMEOUT [icount]: for each of $kernels, boots it and
# runs the script "JOB_FN KVER" prints (no boot where JOB_FN fails). Fails
# if one did.
bench_each() {
	local fn=$1 tmo=$2 mode=${3:-} kver job rc=0
	for kver in "${kernels[@]}"; do
		job=$(mktemp)
		if "$fn" "$kver" > "$job"; then
			echo "# ==== $kver ===="
			bench_boot "$kver" "$job" "$tmo" "$mode" || rc=$?
		else
			rc=1
		fi
		rm -f "$job"
	done
	return $rc
}

# ---- guest side ----

# shellcheck disable=SC2034 # for the scripts that source this
vmm=${MEMVIRT_VMM:-$build/selftests/memvirt-vmm}
cli=${MEMVIRT_CLI:-$top/user/memvirt}
bench_vmm_pid=''
bench_vmm_ids=''
tmp=${tmp:-}

# bench_vmm_start ARGS...: memvirt-vmm ARGS, its stdin on fd 3, once it
# says "ready" (its output in $tmp/vmm.out); its VMs' ids in
# $bench_vmm_ids. Fails, saying why, if it exits first.
bench_vmm_start() {
	rm -f "$tmp/vmm.in"
	mkfifo "$tmp/vmm.in"
	"$vmm" "$@" < "$tmp/vmm.in" > "$tmp/vmm.out" 2> "$tmp/vmm.err" &
	bench_vmm_pid=$!
	exec 3> "$tmp/vmm.in"
	while ! grep -q '^ready$' "$tmp/vmm.out"; do
		kill -0 "$bench_vmm_pid" 2>/dev/null || {
			echo "# memvirt-vmm $* failed:"
			sed 's/^/#   /' "$tmp/vmm.err"
			bench_vmm_pid=
			return 1
		}
		sleep 0.2
	done
	# shellcheck disable=SC2034 # for the scripts that source this
	bench_vmm_ids=$(sed -n 's/^vm //p' "$tmp/vmm.out" | tr '\n' ' ')
}

# bench_vmm_stop: memvirt-vmm told to go (its stdin closed), waited for.
bench_vmm_stop() {
	exec 3>&-
	[ -z "$bench_vmm_pid" ] || wait "$bench_vmm_pid"
	bench_vmm_pid=
}

# bench_cleanup: what the guest side leaves at exit (trap it).
bench_cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$bench_vmm_pid" ] && kill "$bench_vmm_pid" 2>/dev/null && wait "$bench_vmm_pid" 2>/dev/null
	bench_vmm_pid=
	rm -rf "$tmp"
}
