#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The memvirt CLI against VMs of memvirt-vmm: list and show report the
# identity and memory the test gave them. TAP; exit 4 (KSFT_SKIP) if the
# CLI, the helper or the module is missing.
set -u
ksft_skip=4
here=$(cd "$(dirname "$0")" && pwd)

cli=$(command -v memvirt || true)
[ -n "$cli" ] || [ ! -x "$here/../user/memvirt" ] || cli=$here/../user/memvirt
vmm=${MEMVIRT_VMM:-$here/memvirt-vmm}
[ -x "$vmm" ] || vmm=${MEMVIRT_SELFTESTS:-/nonexistent}/memvirt-vmm

echo "TAP version 13"
skip_all() { echo "1..0 # SKIP $*"; exit $ksft_skip; }
[ -n "$cli" ] || skip_all "memvirt CLI not found (build user/ or put it in PATH)"
[ -x "$vmm" ] || skip_all "memvirt-vmm not found (set MEMVIRT_VMM)"
[ -d /sys/module/memvirt ] || skip_all "memvirt module not loaded"
[ -c /dev/kvm ] || skip_all "no /dev/kvm"

tmp=$(mktemp -d)
vmm_pid=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$vmm_pid" ] && kill "$vmm_pid" 2>/dev/null && wait "$vmm_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

echo "1..7"
mkfifo "$tmp/in"
"$vmm" --vcpus 2 --slot gpa=0x100000,size=4M,backing=nothp \
	--slot gpa=0x1000000,size=2M,backing=memfd --touch 0,0,10,4096,w \
	< "$tmp/in" > "$tmp/out" 2> "$tmp/err" &
vmm_pid=$!
exec 3> "$tmp/in"
for _ in $(seq 100); do grep -q '^ready$' "$tmp/out" && break; sleep 0.1; done
id=$(sed -n 's/^vm //p' "$tmp/out")
[ -n "$id" ] || { cat "$tmp/err" | sed 's/^/# /'; skip_all "memvirt-vmm did not start"; }
mem=$((4096 + (4 << 20) + (2 << 20)))
echo "# VM $id, pid $vmm_pid"

line=$("$cli" list -r -n -b -o ID,PID,COMM,VCPUS,MEMORY | awk -v id="$id" '$1 == id')
echo "# list: $line"
check "list shows the VM" test -n "$line"
check "list: pid, comm, vCPUs, memory" test "$line" = "$id $vmm_pid memvirt-vmm 2 $mem"

if command -v jq > /dev/null; then
	got=$("$cli" list -J | jq -r --arg id "$id" '.. | objects | select(.id? == $id) | "\(.pid) \(.memory)"' 2>/dev/null | head -n 1)
	check "list --json: pid and memory in bytes" test "$got" = "$vmm_pid $mem"
else
	ok "list --json # SKIP jq not installed"
fi

"$cli" show "$id" > "$tmp/show" 2>&1
check "show <id> succeeds" test $? -eq 0
check "show names the VM" grep -q -- "$id" "$tmp/show"
! "$cli" show 2147483647-1000 > /dev/null 2>&1
check "show of an unknown VM fails" test $? -eq 0

echo quit >&3
exec 3>&-
wait "$vmm_pid"
vmm_pid=
check "VM gone from list after its VMM quit" \
	bash -c "! '$cli' list -r -n -o ID | grep -qx -- '$id'"

[ "$failed" -eq 0 ]
