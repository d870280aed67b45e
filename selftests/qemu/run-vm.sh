#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh KVER SCRIPT - boot the stock kernel KVER in QEMU (TCG, AMD EPYC
# CPU model with SVM and nested paging), with the host's root filesystem as
# the guest's read-only userspace, load kvm_amd and run SCRIPT as root.
#
# SCRIPT's output is streamed to stdout; its exit code is ours. A guest that
# crashes, hangs or never reaches the job is reported with the tail of its
# console log and exit code 125 (124 on timeout, 126 when it never started
# the job within MEMVIRT_QEMU_BOOT_TIMEOUT seconds, default 300).
#
# Environment:
#   MEMVIRT_QEMU_MEM      guest memory (default 3G)
#   MEMVIRT_QEMU_SMP      vCPUs (default 2)
#   MEMVIRT_QEMU_NODES    NUMA nodes, one socket each, memory and vCPUs split
#                         evenly (default 2); with fewer vCPUs than nodes,
#                         the last nodes are memory-only
#   MEMVIRT_QEMU_TIMEOUT  seconds before the guest is killed (default 1200; check.sh
#                         gives the debug kernel 7200)
#   MEMVIRT_QEMU_ARGS     extra QEMU arguments (e.g. NUMA nodes)
#   MEMVIRT_QEMU_APPEND   extra kernel command line
#   MEMVIRT_KROOT         boot a kernel built by scripts/debug-kernel.sh (its
#                         directory) instead of /boot/vmlinuz-KVER
#   BUILD                 build directory (default <repo>/.build)
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 KVER SCRIPT" >&2
	exit 2
fi
kver=$1
script=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=${BUILD:-$top/.build}

if [ -n "${MEMVIRT_KROOT:-}" ]; then
	# A kernel of our own: image and modules outside /boot and /lib/modules.
	kernel=$MEMVIRT_KROOT/vmlinuz
	moddir=$MEMVIRT_KROOT/modules/lib/modules/$kver
	modarg="memvirt.modules=$moddir"
else
	kernel=/boot/vmlinuz-$kver
	moddir=/lib/modules/$kver
	modarg=
fi
[ -r "$kernel" ] || { echo "run-vm: no $kernel (run 'make deps-test')" >&2; exit 125; }
[ -r "$script" ] || { echo "run-vm: cannot read $script" >&2; exit 125; }
[ -d "$moddir/kernel" ] || { echo "run-vm: no modules for $kver" >&2; exit 125; }

dir=$build/qemu/$kver
mkdir -p "$dir" "$build/qemu/jobs"

initrd=$dir/initramfs.gz
if [ ! -s "$initrd" ] || [ "$here/init.sh" -nt "$initrd" ] || [ "$here/mkinitramfs.sh" -nt "$initrd" ]; then
	"$here/mkinitramfs.sh" "$kver" "$initrd" || { echo "run-vm: initramfs failed" >&2; exit 125; }
fi

# The guest mounts tmpfs over /tmp and friends: give it a copy of the job
# under the build directory, which it sees at the same path (init.sh keeps
# the repository and the build directory visible wherever they are).
job=$(mktemp "$build/qemu/jobs/job.XXXXXX")
cp "$script" "$job"
run=$(mktemp -d "$dir/run.XXXXXX")
console=$run/console.log
fifo=$run/result
mkfifo "$fifo"
trap 'rm -rf "$run" "$job"' EXIT

# NUMA: N nodes of equal memory, vCPUs split evenly; with fewer vCPUs than
# nodes, one each for the first nodes and the rest memory-only.
mem=${MEMVIRT_QEMU_MEM:-3G}
smp=${MEMVIRT_QEMU_SMP:-2}
nodes=${MEMVIRT_QEMU_NODES:-2}
numa=()
topo="$smp,sockets=1,cores=$smp,threads=1"
if [ "$nodes" -gt 1 ]; then
	# One socket per node, so the scheduler's topology checks stay quiet.
	if [ "$smp" -lt "$nodes" ]; then
		per=1 sockets=$smp
	elif [ $((smp % nodes)) -eq 0 ]; then
		per=$((smp / nodes)) sockets=$nodes
	else
		echo "run-vm: $smp vCPUs do not split over $nodes nodes" >&2
		exit 125
	fi
	topo="$smp,sockets=$sockets,cores=$per,threads=1"
	case "$mem" in
	*G) mib=$((${mem%G} * 1024)) ;;
	*M) mib=${mem%M} ;;
	*) echo "run-vm: MEMVIRT_QEMU_MEM must end in M or G" >&2; exit 125 ;;
	esac
	for ((i = 0; i < nodes; i++)); do
		cpus=()
		for ((c = 0; c < per && i < sockets; c++)); do
			cpus+=(-numa "cpu,node-id=$i,socket-id=$i,core-id=$c,thread-id=0")
		done
		numa+=(-object "memory-backend-ram,id=mem$i,size=$((mib / nodes))M"
		       -numa "node,nodeid=$i,memdev=mem$i" "${cpus[@]}")
	done
	mem=$(( (mib / nodes) * nodes ))M
fi

exec 3< <(cat "$fifo")
# Stream the result channel; remember the exit line.
(
	while IFS= read -r line <&3; do
		[ -e "$run/started" ] || : > "$run/started"
		case "$line" in
		"MEMVIRT-EXIT "*) echo "${line#MEMVIRT-EXIT }" > "$run/rc" ;;
		*) printf '%s\n' "$line" ;;
		esac
	done
) &
reader=$!

# The soft-lockup watchdog at its longest (2 x 60 s): under TCG the guest
# runs some 20-50 times slower than hardware, and the kernel's own direct
# compaction for a hugetlb page on a node full of 4K holes (the watermark
# test) once held a CPU for 22 s of guest time. A real hang still shows.
# no_timer_check: the boot's check that the IO-APIC timer ticks within a
# few jiffies of busy-waiting fails when the host's cores are overloaded
# ("IO-APIC + timer doesn't work!", a panic; seen with the debug kernel
# booting beside two other guests).
# shellcheck disable=SC2086
timeout -k 10 "${MEMVIRT_QEMU_TIMEOUT:-1200}" qemu-system-x86_64 \
	-nodefaults -no-user-config -display none -monitor none -no-reboot \
	-accel "tcg,thread=${MEMVIRT_QEMU_TCG_THREAD:-single}" -cpu EPYC \
	-smp "$topo" -m "$mem" "${numa[@]}" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 loglevel=6 watchdog_thresh=60 no_timer_check memvirt.job=$job memvirt.keep=$top:$build $modarg ${MEMVIRT_QEMU_APPEND:-}" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-serial "file:$console" -serial "file:$fifo" \
	${MEMVIRT_QEMU_ARGS:-} < /dev/null > "$run/qemu.log" 2>&1 &
qemu=$!
# A guest that never starts its job (seen once in a while under TCG: a
# boot that stalls before init runs the job) is stopped early, not after
# the whole timeout.
boot=${MEMVIRT_QEMU_BOOT_TIMEOUT:-300}
(
	for _ in $(seq "$boot"); do
		[ -e "$run/started" ] && exit 0
		sleep 1
	done
	: > "$run/stalled"
	kill "$qemu" 2>/dev/null
) &
watchdog=$!
wait "$qemu"
qrc=$?
kill "$watchdog" 2>/dev/null
exec 3<&-
wait "$reader" 2>/dev/null

if [ -s "$run/rc" ]; then
	exit "$(cat "$run/rc")"
fi
if [ -e "$run/stalled" ]; then
	echo "run-vm: $kver: the guest did not start its job within ${boot}s; console tail:" >&2
	rc=126
elif [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	echo "run-vm: $kver: guest timed out after ${MEMVIRT_QEMU_TIMEOUT:-1200}s; console tail:" >&2
	rc=124
else
	echo "run-vm: $kver: guest ended without a result (qemu exit $qrc); console tail:" >&2
	rc=125
fi
grep -v 'TCG doesn.t support' "$run/qemu.log" | tail -n 5 >&2
tail -n 40 "$console" | sed 's/^/  | /' >&2
cp "$console" "$dir/console.last.log" 2>/dev/null
exit $rc
