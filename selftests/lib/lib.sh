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

# until_same TRIES A B: runs the commands A and B (each prints lines) up to
# TRIES times, a tenth of a second apart, until they print the same; leaves
# their last output in $want (A) and $got (B), fails if they never agreed.
# For values the kernel moves at any time (the watermarks include their
# boost, which the allocator raises and kswapd lowers; highatomic blocks
# come and go): one read of each may straddle a change, and a value that is
# wrong stays wrong in every try.
until_same() {
	local tries=$1 i
	for i in $(seq "$tries"); do
		want=$($2) got=$($3)
		[ "$want" = "$got" ] && return 0
		sleep 0.1
	done
	echo "# $2 and $3 differed in each of $tries tries"
	return 1
}

# Zones of /proc/buddyinfo and the like, for held(): the buddy allocator
# moves all the time, so tests read the kernel's file before and after and
# compare only what held still.
from_proc() {	# FILE FORMAT: "node zone value-per-order..."
	awk -v f="$2" '{ s = $2 " " $4; gsub(",", "", s)
		for (i = 5; i <= NF; i++) s = s " " sprintf(f, $i); print s }' "$1"
}
# held BEFORE AFTER GOT: compare GOT with the values that are the same in
# BEFORE and AFTER (lines "node zone v..."); prints "compared moved
# mismatched" and the mismatches; fails on a mismatch or a zone missing
# from either side. How many held still is the caller's to judge: on the
# debug kernel (KASAN's quarantine, vmap stacks) most of them move.
held() {
	awk 'FNR == 1 { f++ }
	{ k = $1 " " $2; n[f, k] = NF; for (i = 3; i <= NF; i++) v[f, k, i] = $i
	  if (f == 1) { z[++nz] = k; known[k] = 1 } else if (f == 3) got[k] = 1 }
	END { for (j = 1; j <= nz; j++) { k = z[j]
		if (!got[k] || n[1, k] != n[3, k] || n[1, k] != n[2, k]) {
			print "#   zone " k ": not the same orders"; bad++; continue }
		for (i = 3; i <= n[1, k]; i++) {
			a = v[1, k, i]; b = v[2, k, i]; g = v[3, k, i]
			if (a != b) { moved++; continue }
			cmp++
			if (a != g) { bad++; print "#   zone " k " order " i - 3 ": kernel " a ", got " g }
		} }
	  for (k in got) if (!(k in known)) { print "#   zone " k ": only in what was got"; bad++ }
	  printf "%d %d %d\n", cmp, moved, bad
	  exit (bad > 0) }' <(echo "$1") <(echo "$2") <(echo "$3")
}
# index_formula: reads lines "node zone FREE-BLOCKS... UNUSABLE... FRAG..."
# (one value per order each; the indices in thousandths, -1000 for "a block
# of this order is free") and checks the indices against the kernel's
# formulas (mm/vmstat.c: fill_contig_page_info, __fragmentation_index,
# unusable_free_index) applied to the same line's free blocks. Prints
# "zones checked, wrong"; fails when one is wrong or there is none. Holds
# whatever the free lists do between two reads: it checks a source's
# arithmetic where no zone held still long enough to compare its results
# with the kernel's directly.
index_formula() {
	awk '{ n = (NF - 2) / 3; fp = tot = 0
		for (o = 0; o < n; o++) { b[o] = $(3 + o); tot += b[o]; fp += b[o] * 2 ^ o }
		bad = 0
		for (o = 0; o < n; o++) {
			suit = 0
			for (j = o; j < n; j++) suit += b[j] * 2 ^ (j - o)
			u = fp ? int((fp - suit * 2 ^ o) * 1000 / fp) : 1000
			f = !tot ? 0 : suit ? -1000 : 1000 - int((1000 + int(fp * 1000 / 2 ^ o)) / tot)
			if ($(3 + n + o) != u || $(3 + 2 * n + o) != f) bad = 1
		}
		if (bad) { wrong++; print "#   zone " $1 " " $2 ": indices not the formula of its free blocks" > "/dev/stderr" }
		zones++ }
	END { printf "%d %d\n", zones, wrong; exit (wrong > 0 || !zones) }'
}
