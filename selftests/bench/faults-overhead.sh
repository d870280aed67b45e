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
# page); the time of its KVM_RUN loop alone is taken (memvirt-vmm --time):
#   none      no probes
#   memvirt   memvirt faults (default options)
#   nolat     memvirt faults --no-latency
#   nolevels  memvirt faults --no-latency --no-levels
#   lite      memvirt faults --lite (the exit hook alone: counts by class)
#   bpftrace  tracepoint:kvm:kvm_page_fault { @[pid] = count(); }
#   bpftrace-eq  what memvirt's default shows, as a bpftrace script: faults
#             by process and error code from kvm:kvm_page_fault, a latency
#             histogram per process from kprobe+kretprobe kvm_mmu_page_fault
#   floor     tracepoint:kvm:kvm_page_fault { } (an empty program: the cost of
#             a perf tracepoint with BPF attached, and bpf_stats' own share)
#   floor-fexit  kretfunc:kvm:kvm_mmu_page_fault { } (an empty fexit program:
#             what any exit hook on the fault handler costs at the least)
#   old       a previous memvirt binary, if MEMVIRT_OLD points at one
# These end-to-end rounds run with bpf_stats off. A last round per mode runs
# with kernel.bpf_stats_enabled=1 and takes each program's run_time_ns /
# run_cnt from bpftool: where the time goes, program by program.
#
# On the host side the guest runs by default with QEMU's -icount shift=0 (one
# guest nanosecond per emulated instruction), one vCPU and the TSC
# clocksource: the guest's clock then counts instructions, so host load and
# TCG's uneven speed drop out: rounds repeat to within a few hundred
# instructions, 1-4 % of a fault (wall-clock TCG moves +-10-25 %). The
# price: every instruction costs the same, so a VM exit/entry (one emulated
# instruction) and an atomic or a TSC read weigh less, a long arithmetic path
# more, than on hardware. MEMVIRT_BENCH_ICOUNT=0 runs in wall-clock TCG instead.
#
# Environment: PAGES (default 10000), ROUNDS (default 3), MODES, STATS_MODES
# (the modes of the bpf_stats round, default all but none), MEMVIRT_OLD,
# MEMVIRT_VMM, MEMVIRT_CLI, BUILD, MEMVIRT_BENCH_ICOUNT; MEMVIRT_QEMU_* for
# run-vm.sh (the defaults above are set only where unset).
set -u
. "$(dirname "$0")/lib.sh"

job() {	# KVER: the guest's script
	cat <<JOB
export PAGES='${PAGES:-10000}' ROUNDS='${ROUNDS:-3}' MODES='${MODES:-}'
export MEMVIRT_OLD='${MEMVIRT_OLD:-}' MEMVIRT_VMM='$build/selftests/memvirt-vmm'
export MEMVIRT_CLI='${MEMVIRT_CLI:-$top/user/memvirt}'
exec bash '$here/faults-overhead.sh' --guest
JOB
}
if [ "${1:-}" != "--guest" ]; then
	bench_kernels "$@" || exit 1
	bench_each job 1500 icount
	exit
fi

# ---- guest side ----
pages=${PAGES:-10000}
rounds=${ROUNDS:-3}
old=${MEMVIRT_OLD:-}
modes=${MODES:-"none memvirt nolat nolevels lite bpftrace bpftrace-eq floor floor-fexit${old:+ old}"}
stats_modes=${STATS_MODES:-$modes}
tmp=$(mktemp -d)
bg=
cleanup() {
	[ -n "$bg" ] && kill "$bg" 2>/dev/null && wait "$bg" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "# kernel $(uname -r), $(nproc) CPUs, clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
echo "# $pages write faults per run (4K, nothp), $rounds rounds, modes: $modes"
echo "# $(grep -o 'icount[^ ]*' /proc/cmdline 2>/dev/null || true)"
[ -x "$vmm" ] || { echo "# no memvirt-vmm at $vmm"; exit 1; }

size=$(( (pages * 4096 + (4 << 20)) / (2 << 20) * (2 << 20) ))

storm() {	# prints the time of one fresh VM's fault storm (its KVM_RUN loop) in ns
	local ns
	ns=$(echo quit | timeout 600 "$vmm" --time --slot gpa=0x100000,size=$size,backing=nothp \
		--touch 0,0,$pages,4096,w 2>"$tmp/vmm.err" | sed -n 's/^time .* ns=//p')
	[ -n "$ns" ] || { cat "$tmp/vmm.err" >&2; ns=0; }
	echo "$ns"
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
	bpftrace-eq) bpftrace -e '
		tracepoint:kvm:kvm_page_fault { @cls[pid, args->error_code] = count(); }
		kprobe:kvm_mmu_page_fault { @start[tid] = nsecs; }
		kretprobe:kvm_mmu_page_fault /@start[tid]/ {
			@lat[pid] = hist(nsecs - @start[tid]); delete(@start[tid]); }' \
		> "$tmp/probe.out" 2> "$tmp/probe.err" & bg=$! ;;
	floor) bpftrace -e 'tracepoint:kvm:kvm_page_fault { }' \
		> "$tmp/probe.out" 2> "$tmp/probe.err" & bg=$! ;;
	floor-fexit) bpftrace -e 'kretfunc:kvm:kvm_mmu_page_fault { }' \
		> "$tmp/probe.out" 2> "$tmp/probe.err" & bg=$! ;;
	esac
	for _ in $(seq 300); do
		case "$1" in
		bpftrace|floor)
			# "Attaching" comes before the attach: wait for the perf link.
			bpftool perf show 2>/dev/null | grep -q kvm_page_fault && return 0 ;;
		floor-fexit)
			bpftool link show 2>/dev/null | grep -q tracing && return 0 ;;
		bpftrace-eq)
			[ "$(bpftool perf show 2>/dev/null | grep -c 'kvm_page_fault\|kvm_mmu_page_fault')" -ge 3 ] &&
				return 0 ;;
		*)
			grep -q 'attached with' "$tmp/probe.err" 2>/dev/null && return 0 ;;
		esac
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
	# A probe that ignores SIGINT must not stall the run (a bench once sat
	# in this wait for 20 minutes): 30 s of guest clock, then SIGKILL.
	for _ in $(seq 300); do
		kill -0 "$bg" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$bg" 2>/dev/null; then
		echo "# $1: still running 30 s after SIGINT: killed"
		kill -KILL "$bg" 2>/dev/null
	fi
	wait "$bg" 2>/dev/null
	bg=
}

declare -A e2e bpfns bpfcnt nruns e2emin
for m in $modes; do e2e[$m]=0 bpfns[$m]=0 bpfcnt[$m]=0 nruns[$m]=0 e2emin[$m]=0; done
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
		echo "# round $r $m: $pf ns/fault end to end"
		if [ "$r" = 1 ] && [ "$m" != none ]; then
			grep -v '^$' "$tmp/probe.out" | head -n 4 | sed "s/^/#   $m: /"
		fi
	done
done

# Where the time goes: one more round per mode with bpf_stats on.
if sysctl -q -w kernel.bpf_stats_enabled=1; then
	for m in $stats_modes; do
		[ "$m" != none ] || continue
		start_probe "$m" || continue
		ns=$(storm)
		stop_probe "$m"
		[ -s "$tmp/stats" ] || continue
		t=$(awk '{ t += $2 } END { print t + 0 }' "$tmp/stats")
		# Faults = calls of a program that runs once per fault.
		c=$(awk '$1 ~ /page_fa/ && $3 > c { c = $3 } END { print c + 0 }' "$tmp/stats")
		bpfns[$m]=$t
		bpfcnt[$m]=$c
		line="# stats $m: $((ns / pages)) ns/fault end to end; BPF $((c ? t / c : 0)) ns/fault over $c faults:"
		echo "$line $(awk '$3 > 0 { printf " %s=%d", $1, $2 / $3 }' "$tmp/stats")"
	done
	sysctl -q -w kernel.bpf_stats_enabled=0
else
	echo "# cannot enable bpf_stats"
fi

base=${e2e[none]:-0}
bn=${nruns[none]:-0}
echo "#"
# Means over the rounds, and minima (host preemption only ever adds time).
# ADDED: end-to-end time the probes add to one fault (mean); BPF: the
# programs' own run time per fault from the bpf_stats round.
printf '%-11s %12s %10s %8s %12s %12s\n' MODE E2E_NS/FAULT E2E_RATIO ADDED E2E_MIN BPF_NS/FAULT
for m in $modes; do
	n=${nruns[$m]}
	[ "$n" -gt 0 ] || { printf '%-11s %12s\n' "$m" "failed"; continue; }
	per=$((e2e[$m] / n / pages))
	ratio=- added=-
	if [ "$bn" -gt 0 ] && [ "$base" -gt 0 ]; then
		ratio=$(awk -v a="${e2e[$m]}" -v an="$n" -v b="$base" -v bn="$bn" \
			'BEGIN { printf "%.3f", (a / an) / (b / bn) }')
		added=$((per - base / bn / pages))
	fi
	bpf=-
	[ "${bpfcnt[$m]}" -gt 0 ] && bpf=$((bpfns[$m] / bpfcnt[$m]))
	printf '%-11s %12d %10s %8s %12s %12s\n' "$m" "$per" "$ratio" "$added" "${e2emin[$m]}" "$bpf"
done
