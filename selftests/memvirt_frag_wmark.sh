#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The zone watermarks memvirt reports, and what they do to "2M now": a node's
# hugetlb pool is grown until the kernel refuses, and memvirt may then not
# claim more 2M pages allocatable than the kernel still hands out.
. "$(dirname "$0")/lib.sh"

[ -n "$cli" ] || skip_all "memvirt CLI not found (build user/ or put it in PATH)"
[ -d /sys/module/memvirt ] || skip_all "memvirt module not loaded"
command -v jq > /dev/null || skip_all "jq not installed"
node=1
pool=/sys/devices/system/node/node$node/hugepages/hugepages-2048kB/nr_hugepages
[ -w "$pool" ] || skip_all "no node $node with a 2M hugetlb pool"
echo "1..4"

restore() { echo 0 > "$pool"; }
trap 'restore; cleanup' EXIT

# Watermarks of every populated zone of the node, memvirt's next to
# /proc/zoneinfo's (which lists empty zones too: managed 0).
want=$(awk -v n="Node $node," '
	function flush() { if (z != "" && managed > 0) printf "%s min %d\n%s low %d\n%s high %d\n", z, w["min"], z, w["low"], z, w["high"]; z = "" }
	/^Node/ { flush(); if ($1 " " $2 == n && $3 == "zone") { z = $4; managed = 0 }; next }
	z != "" && $1 ~ /^(min|low|high)$/ && NF == 2 { w[$1] = $2 * 4096 }
	z != "" && $1 == "managed" { managed = $2 }
	END { flush() }' /proc/zoneinfo)
got=$("$cli" frag --json | jq -r --argjson n "$node" '.zones[] | select(.node == $n) |
	"\(.zone) min \(.watermark_min)\n\(.zone) low \(.watermark_low)\n\(.zone) high \(.watermark_high)"')
echo "# zoneinfo: $(echo $want)"
echo "# memvirt:  $(echo $got)"
check "watermarks of node $node equal /proc/zoneinfo" test -n "$want" -a "$want" = "$got"

avail() {
	"$cli" frag --json | jq --argjson n "$node" '.nodes[] | select(.node == $n) | .hugepages_2m_now'
}

# Fill the node's free memory with 2M hugetlb pages until the kernel refuses.
echo 1000000 > "$pool" 2>/dev/null
filled=$(cat "$pool")
echo "# node $node: $filled hugetlb pages of 2M"
"$cli" frag | grep "^node $node:" | sed 's/^/# /'
now=$("$cli" frag --json)
a=$(echo "$now" | jq --argjson n "$node" '.nodes[] | select(.node == $n) | .hugepages_2m_now')
b=$(echo "$now" | jq --argjson n "$node" '.nodes[] | select(.node == $n) | .free_blocks_2m')
v=$(echo "$now" | jq -r --argjson n "$node" '.nodes[] | select(.node == $n) | .compaction')
# What the kernel still gives now, with reclaim and compaction even.
echo $((filled + a + 1)) > "$pool" 2>/dev/null
more=$(( $(cat "$pool") - filled ))
echo "# memvirt: $a x 2M now of $b free blocks ($v); the kernel then gave $more more"
check "node full: memvirt claims no more 2M pages than the kernel gives ($a <= $more)" \
	test "$a" -le "$more"
check "node full: verdict is not \"not needed\" unless 2M pages remain" \
	test "$v" != not-needed -o "$more" -gt 0

restore
a=$(avail)
echo "# after emptying the pool: $a x 2M now"
check "pool emptied: 2M pages allocatable again" test "$a" -gt 100

[ "$failed" -eq 0 ]
