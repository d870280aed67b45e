#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `memvirt top` against a VM of memvirt-vmm: the module's columns as `memvirt
# list` reports them, and the KVM page faults of each interval from the BPF
# probes, joined on the VM's id: a touch of N new pages while top runs must
# add up to N faults over its intervals; every interval says what the probes
# could not count. TAP; exit 4 (KSFT_SKIP) if the CLI, the helper, the module
# or jq is missing.
. "$(dirname "$0")/lib/lib.sh"
require_vm_env
command -v jq > /dev/null || skip_all "jq not installed"

pages=1000
slack=16	# the VMM's code and stack pages, faulted in at its first run
echo "1..7"
vmm_start --vcpus 1 --slot gpa=0x100000,size=8M,backing=nothp
id=$vm_id
echo "# VM $id"

"$cli" top -J -i 1 -d 6 > "$tmp/top.json" 2> "$tmp/top.err" &
top_pid=$!
# The touch starts once the probes are attached: after top's first interval
# (on the debug kernel attaching alone can take seconds).
for _ in $(seq 300); do [ -s "$tmp/top.json" ] && break; sleep 0.1; done
echo "touch 0,0,$pages,4096,w" >&3
for _ in $(seq 100); do grep -q '^ok$' "$tmp/out" && break; sleep 0.1; done
wait "$top_pid"
rc=$?
sed 's/^/# top: /' "$tmp/top.err"
check "top --json -d 6 exits 0" test "$rc" -eq 0

lines=$(grep -c . "$tmp/top.json")
docs=$(jq -s length "$tmp/top.json" 2>/dev/null || echo 0)
echo "# $lines lines, $docs JSON documents"
check "one JSON document per interval and line (5 to 7 of 1 s in 6 s)" \
	test "$lines" -eq "$docs" -a "$docs" -ge 5 -a "$docs" -le 7

faults=$(jq -s --arg id "$id" '[.[].vms[] | select(.id == $id) | .faults // 0] | add // 0' \
	"$tmp/top.json")
per=$(jq -r --arg id "$id" '[.vms[] | select(.id == $id) | .faults] | map(tostring) | join(" ")' \
	"$tmp/top.json" | tr '\n' ' ')
echo "# faults per interval: $per(attach: $(jq -r .faults_attach "$tmp/top.json" | head -n 1))"
check "the VM's faults over the intervals: $faults for $pages new pages (<= +$slack)" \
	test "$faults" -ge "$pages" -a "$faults" -le $((pages + slack))

# Losses: every interval has them by reason, each a count (null: this kernel
# does not report it), none a negative delta printed as a huge number.
lost_ok=$(jq -s '[.[] | .faults_lost | select(type == "object" and has("vm_table_full")
	and has("recursion_missed") and has("counter_resets") and
	all(.[]; . == null or (type == "number" and . >= 0 and . < 4611686018427387904)))] |
	length' "$tmp/top.json")
echo "# faults_lost, first interval: $(head -n 1 "$tmp/top.json" | jq -c .faults_lost)"
check "faults_lost in each of the $docs intervals: counts or null, none >= 2^62" \
	test "$lost_ok" -eq "$docs"

want=$("$cli" list -J -o ID,PID,MEMORY,MAPPED | jq -r --arg id "$id" '.vms[] | select(.id == $id) |
	"\(.pid) \(.memory) \(.mapped)"')
got=$(tail -n 1 "$tmp/top.json" | jq -r --arg id "$id" '.vms[] | select(.id == $id) |
	"\(.pid) \(.memory) \(.mapped)"')
echo "# list: $want; top: $got"
check "pid, memory and mapped as list reports them" test -n "$got" -a "$got" = "$want"

"$cli" top --batch -i 1 -d 1 > "$tmp/top.txt" 2>&1
sed 's/^/# /' "$tmp/top.txt"
check "the table: a heading and the VM's row" \
	bash -c "grep -q '^memvirt top - ' '$tmp/top.txt' && grep -q '^$id ' '$tmp/top.txt'"
check "the heading says what the probes lost in the interval" \
	grep -q '^memvirt top - .*, faults: [a-z]*, lost: [0-9]' "$tmp/top.txt"

vmm_quit
[ "$failed" -eq 0 ]
