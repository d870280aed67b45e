#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# faults-overhead.sh - what "memvirt faults" costs a KVM page fault, next to a
# bpftrace one-liner on the kvm:kvm_page_fault tracepoint. A benchmark, not a
# test: it prints figures and judges nothing.
#
#   selftests/bench/faults-overhead.sh [KVER...]     on the host: boot each
#                                                    kernel with run-vm.sh
#   selftests/bench/faults-overhead.sh --guest       inside a KVM guest/host
#
# In one boot, for each mode in turn (interleaved, ROUNDS times), a fresh
# memvirt-vmm VM write-touches PAGES new 4K pages (one not-present fault per
# page) and the run's wall time is taken:
#   none      no probes
#   memvirt   memvirt faults (default options)
#   nolat     memvirt faults --no-latency
#   nolevels  memvirt faults --no-latency --no-levels
#   lite      memvirt faults --lite (the exit hook alone: counts by class)
#   bpftrace  tracepoint:kvm:kvm_page_fault { @[pid] = count(); }
#   floor     tracepoint:kvm:kvm_page_fault { } (what bpf_stats charges any
#             program: its own two clock reads, the call)
#   old       a previous memvirt binary, if MEMVIRT_OLD points at one
# and, with kernel.bpf_stats_enabled=1, each program's run_time_ns / run_cnt
# from bpftool: the probes' own CPU time per fault, which is stable to a few
# percent even under TCG, where end-to-end times move +-10 % between boots.
#
# Environment: PAGES (default 20000), ROUNDS (default 5), MODES, MEMVIRT_OLD,
# MEMVIRT_VMM, MEMVIRT_CLI, BUILD; MEMVIRT_QEMU_APPEND for the guest kernel
# (e.g. "clocksource=tsc tsc=reliable": TCG guests pick hpet, and every clock
# read then is an emulated MMIO access costing microseconds, unlike a real
# host's TSC).
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/.build}

if [ "${1:-}" != "--guest" ]; then
	kernels=("$@")
	[ ${#kernels[@]} -gt 0 ] || mapfile -t kernels < <("$top/scripts/kernels.sh")
	make -s -C "$top/user" || exit 1
	make -s -C "$top/selftests" OUTPUT="$build/selftests" >/dev/null || exit 1
	rc=0
	for kver in "${kernels[@]}"; do
		job=$(mktemp)
		cat > "$job" <<JOB
export PAGES='${PAGES:-20000}' ROUNDS='${ROUNDS:-5}' MODES='${MODES:-}'
export MEMVIRT_OLD='${MEMVIRT_OLD:-}' MEMVIRT_VMM='$build/selftests/memvirt-vmm'
export MEMVIRT_CLI='$top/user/memvirt'
exec bash '$here/faults-overhead.sh' --guest
JOB
		echo "# ==== $kver ===="
		MEMVIRT_QEMU_TIMEOUT=${MEMVIRT_QEMU_TIMEOUT:-1500} "$top/selftests/qemu/run-vm.sh" "$kver" "$job" || rc=$?
		rm -f "$job"
	done
	exit $rc
fi

# ---- guest side ----
pages=${PAGES:-20000}
rounds=${ROUNDS:-5}
vmm=${MEMVIRT_VMM:-$build/selftests/memvirt-vmm}
cli=${MEMVIRT_CLI:-$top/user/memvirt}
old=${MEMVIRT_OLD:-}
modes=${MODES:-"none memvirt nolat nolevels lite bpftrace floor${old:+ old}"}
tmp=$(mktemp -d)
bg=
cleanup() {
	[ -n "$bg" ] && kill "$bg" 2>/dev/null && wait "$bg" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "# kernel $(uname -r), $(nproc) CPUs, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
echo "# $pages write faults per run (4K, nothp), $rounds rounds, modes: $modes"
sysctl -q -w kernel.bpf_stats_enabled=1 || echo "# cannot enable bpf_stats"
[ -x "$vmm" ] || { echo "# no memvirt-vmm at $vmm"; exit 1; }

size=$(( (pages * 4096 + (4 << 20)) / (2 << 20) * (2 << 20) ))

storm() {	# prints the wall time of one fresh VM's fault storm in ns
	local t0 t1
	t0=$(date +%s%N)
	echo quit | "$vmm" --slot gpa=0x100000,size=$size,backing=nothp \
		--touch 0,0,$pages,4096,w > /dev/null 2>"$tmp/vmm.err" || cat "$tmp/vmm.err" >&2
	t1=$(date +%s%N)
	echo $((t1 - t0))
}

mode_args() {
	case "$1" in
	nolat) echo --no-latency ;;
	nolevels) echo --no-latency --no-levels ;;
	lite) echo --lite ;;
	esac
}

start_probe() {	# mode -> starts the probe in the background, waits until attached
	: > "$tmp/probe.err"
	prog_ids > "$tmp/ids.before"
	case "$1" in
	none) return 0 ;;
	memvirt|nolat|nolevels|lite)
		"$cli" faults $(mode_args "$1") -i 3600 > "$tmp/probe.out" 2> "$tmp/probe.err" &
		bg=$! ;;
	old) "$old" faults -i 3600 > "$tmp/probe.out" 2> "$tmp/probe.err" & bg=$! ;;
	bpftrace) bpftrace -e 'tracepoint:kvm:kvm_page_fault { @[pid] = count(); }' \
		> "$tmp/probe.out" 2> "$tmp/probe.err" & bg=$! ;;
	floor) bpftrace -e 'tracepoint:kvm:kvm_page_fault { }' \
		> "$tmp/probe.out" 2> "$tmp/probe.err" & bg=$! ;;
	esac
	for _ in $(seq 300); do
		grep -q -e 'attached with' -e 'Attaching' "$tmp/probe.err" "$tmp/probe.out" 2>/dev/null && return 0
		kill -0 "$bg" 2>/dev/null || break
		sleep 0.1
	done
	echo "# $1: did not attach:"; sed 's/^/#   /' "$tmp/probe.err" | head -n 5
	return 1
}

prog_ids() {
	bpftool -j prog show 2>/dev/null | jq -r '.[].id' | sort
}

# "name run_time_ns run_cnt" per program loaded since start_probe (bpftool
# shows no owning pids on every kernel, so new program ids tell them).
prog_stats() {
	local ids
	ids=$(prog_ids | comm -13 "$tmp/ids.before" - | tr '\n' ' ')
	bpftool -j prog show 2>/dev/null | jq -r --arg ids "$ids" \
		'($ids | split(" ") | map(select(. != "") | tonumber)) as $new |
		 .[] | select(.id as $i | $new | index($i)) |
		 "\(.name) \(.run_time_ns // 0) \(.run_cnt // 0)"'
}

stop_probe() {	# mode -> records bpf_stats of the probe, stops it
	[ "$1" = none ] && return 0
	prog_stats > "$tmp/stats"
	kill -INT "$bg" 2>/dev/null
	wait "$bg" 2>/dev/null
	bg=
}

declare -A e2e bpfns bpfcnt nruns e2emin bpfmin
for m in $modes; do e2e[$m]=0 bpfns[$m]=0 bpfcnt[$m]=0 nruns[$m]=0 e2emin[$m]=0 bpfmin[$m]=0; done
storm > /dev/null	# warm up: page cache, KVM module paths

for r in $(seq "$rounds"); do
	for m in $modes; do
		start_probe "$m" || continue
		ns=$(storm)
		stop_probe "$m"
		e2e[$m]=$((e2e[$m] + ns))
		nruns[$m]=$((nruns[$m] + 1))
		pf=$((ns / pages))
		[ "${e2emin[$m]}" -eq 0 ] || [ "$pf" -lt "${e2emin[$m]}" ] && e2emin[$m]=$pf
		line="# round $r $m: $((ns / pages)) ns/fault end to end"
		if [ "$m" != none ] && [ -s "$tmp/stats" ]; then
			t=$(awk '{ t += $2 } END { print t + 0 }' "$tmp/stats")
			# Faults = calls of a program that runs once per fault.
			c=$(awk '$1 ~ /page_fault/ && $3 > c { c = $3 } END { print c + 0 }' "$tmp/stats")
			bpfns[$m]=$((bpfns[$m] + t))
			bpfcnt[$m]=$((bpfcnt[$m] + c))
			if [ "$c" -gt 0 ]; then
				pb=$((t / c))
				[ "${bpfmin[$m]}" -eq 0 ] || [ "$pb" -lt "${bpfmin[$m]}" ] && bpfmin[$m]=$pb
			fi
			line="$line; BPF $((c ? t / c : 0)) ns/fault over $c faults:"
			line="$line $(awk '{ printf " %s=%d/%d", $1, $2, $3 }' "$tmp/stats")"
		fi
		echo "$line"
		if [ "$r" = 1 ] && [ "$m" != none ]; then
			grep -v '^$' "$tmp/probe.out" | head -n 4 | sed "s/^/#   $m: /"
		fi
	done
done

base=${e2e[none]:-0}
bn=${nruns[none]:-0}
echo "#"
# Means over the rounds, and minima (host preemption only ever adds time).
printf '%-9s %12s %10s %14s %12s %12s\n' MODE E2E_NS/FAULT E2E_RATIO BPF_NS/FAULT E2E_MIN BPF_MIN
for m in $modes; do
	n=${nruns[$m]}
	[ "$n" -gt 0 ] || { printf '%-9s %12s\n' "$m" "failed"; continue; }
	per=$((e2e[$m] / n / pages))
	if [ "$bn" -gt 0 ] && [ "$base" -gt 0 ]; then
		ratio=$(awk -v a="${e2e[$m]}" -v an="$n" -v b="$base" -v bn="$bn" \
			'BEGIN { printf "%.3f", (a / an) / (b / bn) }')
	else
		ratio=-
	fi
	bpf=-
	[ "${bpfcnt[$m]}" -gt 0 ] && bpf=$((bpfns[$m] / bpfcnt[$m]))
	bmin=${bpfmin[$m]}
	[ "$bmin" -gt 0 ] || bmin=-
	printf '%-9s %12d %10s %14s %12s %12s\n' "$m" "$per" "$ratio" "$bpf" "${e2emin[$m]}" "$bmin"
done
