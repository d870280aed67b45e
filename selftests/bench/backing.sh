#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# backing.sh - how fast "memvirt show --backing" reads the host backing of a
# 1 GiB memslot, fully touched, 4K-, THP- and hugetlb-backed. A benchmark,
# not a test: it prints figures and judges nothing ("make bench" runs it).
#
#   selftests/bench/backing.sh [KVER...]     on the host: boot each kernel
#                                            with run-vm.sh (default: all)
#   selftests/bench/backing.sh --guest       inside a KVM host, as root,
#                                            memvirt.ko loaded
#
# For each variant a memvirt-vmm VM gets one SIZE slot, every 4K page
# written once. Then ROUNDS times, in turn: "memvirt show ID --json" (netlink
# only) and "memvirt show ID --backing --json"; the difference is the cost of
# the backing walk, printed as GiB/s of guest memory per round ("round R
# VARIANT SHOW_NS BACKING_NS GIB/S") and from the means. The hugetlb
# variant reserves SIZE of 2M pages for itself and gives them back.
#
# Environment: SIZE (default 1G), ROUNDS (default 5), MEMVIRT_VMM,
# MEMVIRT_CLI, BUILD; MEMVIRT_BENCH_TIMER, a command that runs the words
# after it once and prints "<ns> ..." (bench.sh: benchtool in its tmpfs
# root), with MEMVIRT_BENCH_CLI the CLI as that command sees it.
set -u
. "$(dirname "$0")/lib.sh"

job() {	# KVER: the guest's script
	local ko
	ko=$("$top/scripts/build-kmod.sh" "$1") || return 1
	cat <<JOB
insmod '$ko' || exit 1
export SIZE='${SIZE:-1G}' ROUNDS='${ROUNDS:-5}'
export MEMVIRT_VMM='$build/selftests/memvirt-vmm' MEMVIRT_CLI='$top/user/memvirt'
bash '$here/backing.sh' --guest
rc=\$?
rmmod memvirt
exit \$rc
JOB
}
if [ "${1:-}" != "--guest" ]; then
	bench_kernels "$@" || exit 1
	bench_each job 900
	exit
fi

# ---- guest side ----
size=${SIZE:-1G}
rounds=${ROUNDS:-5}
tmp=$(mktemp -d)
trap bench_cleanup EXIT

case "$size" in
*G) bytes=$((${size%G} << 30)) ;;
*M) bytes=$((${size%M} << 20)) ;;
*) echo "# SIZE must end in M or G"; exit 1 ;;
esac
pages=$((bytes / 4096))
thp_path=/sys/kernel/mm/transparent_hugepage/enabled
echo "# kernel $(uname -r), $(nproc) CPUs, THP: $(cat $thp_path 2>/dev/null)"
echo "# $size slot ($pages pages) written in full, $rounds rounds per figure"

now() { date +%s%N; }

timer=${MEMVIRT_BENCH_TIMER:-}
tcli=${MEMVIRT_BENCH_CLI:-$cli}

# ns of one run of "$@"
once_ns() {
	local t0 t1
	if [ -n "$timer" ]; then
		[ "$1" = "$cli" ] && shift && set -- "$tcli" "$@"
		# shellcheck disable=SC2086
		$timer "$@" | awk '$3 != 0 { exit 1 } { print $1 }' ||
			{ echo "#   $* failed" >&2; return 1; }
		return
	fi
	t0=$(now)
	"$@" > "$tmp/out" 2> "$tmp/err" || { sed 's/^/#   /' "$tmp/err" >&2; return 1; }
	t1=$(now)
	echo $((t1 - t0))
}

# mean ns of ROUNDS runs of "$@"
mean_ns() {
	local r ns sum=0
	for r in $(seq "$rounds"); do
		ns=$(once_ns "$@") || return 1
		sum=$((sum + ns))
	done
	echo $((sum / rounds))
}

variant() {	# name backing
	local name=$1 backing=$2 id t0 t1 plain bk
	t0=$(now)
	bench_vmm_start --slot "gpa=0x40000000,size=$size,backing=$backing" \
		--touch "0,0,$pages,4096,w" || { echo "# $name: no VM"; return 1; }
	t1=$(now)
	id=${bench_vmm_ids%% *}
	echo "# $name: VM $id ready in $(((t1 - t0) / 1000000)) ms"
	"$cli" show "$id" --backing > "$tmp/show"
	sed -n '/^Host backing/,$p' "$tmp/show" | sed 's/^/#   /'
	plain=0 bk=0
	for r in $(seq "$rounds"); do
		p=$(once_ns "$cli" show "$id" --json) || return 1
		b=$(once_ns "$cli" show "$id" --backing --json) || return 1
		plain=$((plain + p)) bk=$((bk + b))
		awk -v r="$r" -v name="$name" -v p="$p" -v b="$b" -v bytes="$bytes" 'BEGIN {
			d = b - p; if (d <= 0) d = 1
			printf "round %d %s %d %d %.3f\n", r, name, p, b, (bytes / 1073741824) / (d / 1e9)
		}'
	done
	plain=$((plain / rounds)) bk=$((bk / rounds))
	awk -v name="$name" -v p="$plain" -v b="$bk" -v bytes="$bytes" 'BEGIN {
		d = b - p; if (d <= 0) d = 1
		printf "%-6s show %8.1f ms, show --backing %8.1f ms: backing %8.1f ms = %6.2f GiB/s\n",
		       name, p / 1e6, b / 1e6, d / 1e6, (bytes / 1073741824) / (d / 1e9)
	}'
	lst=$(mean_ns "$cli" list -o ID,HUGE,RESIDENT,HOST-HUGE) || return 1
	echo "#   list -o ID,HUGE,RESIDENT,HOST-HUGE: $((lst / 1000000)) ms"
	# The timer keeps no output: list once more to show what was timed.
	"$cli" list -o ID,HUGE,RESIDENT,HOST-HUGE | sed 's/^/#   /'
	bench_vmm_stop
}

variant thp thp
variant 4k nothp
hp=/proc/sys/vm/nr_hugepages
hp0=$(cat $hp)
echo $((hp0 + bytes / (2 << 20))) > $hp
if [ "$(cat $hp)" -ge $((hp0 + bytes / (2 << 20))) ]; then
	variant hugetlb hugetlb
else
	echo "# hugetlb: only $(cat $hp) of $((hp0 + bytes / (2 << 20))) 2M pages reserved; skipped"
fi
echo "$hp0" > $hp
