#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# How a VM is held, as the CLI shows it: two VMs of memvirt-vmm, one then
# kept alive only by its vCPU fds, the other only by its vCPUs' kvm_run
# mappings (every KVM fd closed, as a VMM that leaks a VM leaves it).
# `list` flags both and names their holder, ids unchanged; `show` reaches
# them; `list --summary` adds up to what `list` shows and KVM's debugfs
# holds no VM directory memvirt did not attribute; `export` has the same as
# labels and host gauges; when the VMM exits both are gone. Before that,
# each VM's host resident in `list` is what `show --backing` finds for it
# alone. TAP; exit 4 (KSFT_SKIP) when something is missing.
. "$(dirname "$0")/lib/lib.sh"
require_vm_env
command -v jq > /dev/null || skip_all "jq not installed"

echo "1..8"
vmm_start --vms 2 --vcpus 2 --slot gpa=0x100000,size=4M,backing=nothp --touch 0,0,64,4096,w
set -- $(sed -n 's/^vm //p' "$tmp/out")
a=$1 b=$2
echo "# VMs $a $b of pid $vm_pid"

held() {	# ID: "held_by holders" as list -J reports them
	"$cli" list -J -o ID,HELD-BY,HOLDERS |
		jq -r --arg id "$1" '.vms[] | select(.id == $id) | "\(.held_by) \(.holders)"'
}
check "both VMs held by a VM fd, by the VMM" \
	test "$(held "$a")" = "vm-fd $vm_pid" -a "$(held "$b")" = "vm-fd $vm_pid"

# 32 pages more in b's slot than in a's: list finds each VM's own memslots
# among both VMs' (sorted once), show --backing reads one VM's alone.
echo "touch 0,1048576,32,4096,w vm=$b" >&3
for _ in $(seq 50); do [ "$(grep -c '^ok$\|^error' "$tmp/out")" -ge 1 ] && break; sleep 0.1; done
resident() {	# ID: "list's show's" host resident bytes
	echo "$("$cli" list -J -o ID,RESIDENT |
		jq -r --arg id "$1" '.vms[] | select(.id == $id) | .resident')" \
	     "$("$cli" show -J --backing "$1" | jq -r '.backing.total.resident')"
}
ra=$(resident "$a") rb=$(resident "$b")
echo "# resident, list and show --backing: $a $ra, $b $rb"
set -- $ra $rb
check "list's resident of each VM is show --backing's, $b 32 pages more" \
	test $# = 4 -a "${1:-x}" = "${2:-y}" -a "${3:-x}" = "${4:-y}" -a \
	"$(( ${3:-0} - ${1:-0} ))" = $((32 * 4096))

echo "hold vcpu-fd vm=$a" >&3
echo "hold mapping vm=$b" >&3
for _ in $(seq 50); do [ "$(grep -c '^ok$\|^error' "$tmp/out")" -ge 3 ] && break; sleep 0.1; done
grep '^error' "$tmp/out" | sed 's/^/# memvirt-vmm: /'
kvmfds=$(ls -l /proc/$vm_pid/fd | grep -c 'anon_inode:kvm-' || true)
maps=$(grep -c 'anon_inode:kvm-vcpu' /proc/$vm_pid/maps || true)
echo "# VMM now: $kvmfds KVM fds (2 vCPU fds of $a), $maps kvm_run mappings"
echo "# $a: $(held "$a"); $b: $(held "$b")"
check "vCPU fds only: $a listed as vcpu-fd-only, held by the VMM, same id" \
	test "$(held "$a")" = "vcpu-fd-only $vm_pid"
check "mappings only: $b listed as mapping-only, held by the VMM, same id" \
	test "$(held "$b")" = "mapping-only $vm_pid" -a "$kvmfds" = 2

s=$("$cli" show "$b" | sed -n 's/^Held by: *//p')
m=$("$cli" show -J "$b" | jq -r '.memory')
echo "# show $b: held by '$s', memory $m"
check "show reaches the mapping-only VM and says so" \
	test "$s" = "mapping-only" -a "$m" = $((4096 + (4 << 20)))

"$cli" list -J > "$tmp/list.json"
"$cli" list --summary -J > "$tmp/sum.json"
want=$(jq -r '[(.vms | length), ([.vms[].memory] | add), ([.vms[].overhead] | add),
	([.vms[] | select(.held_by | startswith("vm-fd") | not)] | length)] | @tsv' "$tmp/list.json")
got=$(jq -r '.host | [.vms, .memory, .overhead, .vms_without_vm_fd] | @tsv' "$tmp/sum.json")
dirs=$(ls /sys/kernel/debug/kvm | grep -c '^[0-9]*-[0-9]*$')
kd=$(jq -r '.host | "\(.kvm_debugfs_vms) \(.unattributed_kvm_debugfs_vms)"' "$tmp/sum.json")
echo "# list: $want; --summary: $got; debugfs dirs $dirs, summary says $kd"
check "list --summary adds up to list; KVM's debugfs VMs all attributed" \
	test -n "$got" -a "$got" = "$want" -a "$kd" = "$dirs 0"

"$cli" export > "$tmp/x.prom"
l_a=$(grep "^memvirt_vm_info{vm=\"$a\"" "$tmp/x.prom" | grep -o 'held_by="[^"]*"')
l_b=$(grep "^memvirt_vm_info{vm=\"$b\"" "$tmp/x.prom" | grep -o 'held_by="[^"]*"')
hv=$(awk '$1 == "memvirt_host_vms_without_vm_fd" { print $2 }' "$tmp/x.prom")
hu=$(awk '$1 == "memvirt_host_unattributed_vms" { print $2 }' "$tmp/x.prom")
echo "# export: $a $l_a, $b $l_b, without VM fd $hv, unattributed $hu"
check "export labels both and counts them, nothing unattributed" \
	test "$l_a" = 'held_by="vcpu-fd-only"' -a "$l_b" = 'held_by="mapping-only"' \
	-a "$hv" = "$(echo "$want" | cut -f4)" -a "$hu" = 0

vmm_quit
left=$("$cli" list -J | jq -r --arg a "$a" --arg b "$b" '[.vms[] | select(.id == $a or .id == $b)] | length')
check "both gone when the VMM exits" test "$left" = 0
exit $((failed ? 1 : 0))
