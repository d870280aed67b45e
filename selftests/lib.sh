# SPDX-License-Identifier: GPL-2.0
# Shared by the shell kselftests: TAP output, skips, and one test VM from
# memvirt-vmm that lives until the test exits. Source it after setting
# nothing; it sets: here, cli, vmm, tmp, and after vmm_start: vm_id,
# vm_pid, and fd 3 (the VMM's stdin).
set -u
ksft_skip=4
here=$(cd "$(dirname "$0")" && pwd)

cli=$(command -v memvirt || true)
[ -n "$cli" ] || [ ! -x "$here/../user/memvirt" ] || cli=$here/../user/memvirt
vmm=${MEMVIRT_VMM:-$here/memvirt-vmm}
[ -x "$vmm" ] || vmm=${MEMVIRT_SELFTESTS:-/nonexistent}/memvirt-vmm

echo "TAP version 13"
skip_all() { echo "1..0 # SKIP $*"; exit $ksft_skip; }

# The common needs: the CLI, the VMM, the module and /dev/kvm.
require_vm_env() {
	[ -n "$cli" ] || skip_all "memvirt CLI not found (build user/ or put it in PATH)"
	[ -x "$vmm" ] || skip_all "memvirt-vmm not found (set MEMVIRT_VMM)"
	[ -d /sys/module/memvirt ] || skip_all "memvirt module not loaded"
	[ -c /dev/kvm ] || skip_all "no /dev/kvm"
}

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

tmp=$(mktemp -d)
vm_pid=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$vm_pid" ] && kill "$vm_pid" 2>/dev/null && wait "$vm_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# vmm_start ARGS...: start memvirt-vmm, wait for "ready", set vm_id/vm_pid.
vmm_start() {
	mkfifo "$tmp/in"
	"$vmm" "$@" < "$tmp/in" > "$tmp/out" 2> "$tmp/err" &
	vm_pid=$!
	exec 3> "$tmp/in"
	for _ in $(seq 100); do grep -q '^ready$' "$tmp/out" && break; sleep 0.1; done
	vm_id=$(sed -n 's/^vm //p' "$tmp/out")
	[ -n "$vm_id" ] || { sed 's/^/# /' "$tmp/err"; skip_all "memvirt-vmm did not start"; }
}

# vmm_quit: ask the VMM to exit and wait for it.
vmm_quit() {
	echo quit >&3
	exec 3>&-
	wait "$vm_pid"
	vm_pid=
}

# The fault probes' BPF programs attached now (bpftool prog show).
probes_attached() {
	bpftool prog show 2>/dev/null | grep -c -e kvm_mmu_page_fault -e kvm_destroy_vm
}

# The same once they are gone, or after 5 s: freeing them is deferred (RCU).
probes_left() {
	local left
	for _ in $(seq 50); do
		left=$(probes_attached)
		[ "$left" -eq 0 ] && break
		sleep 0.1
	done
	echo "$left"
}
