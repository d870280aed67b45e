#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `memvirt frag` without the module: the zones from /proc/buddyinfo,
# /proc/zoneinfo and /proc/pagetypeinfo give the same numbers as the
# module's zone dump. Compared with the module loaded (--source proc against
# the module's own figures) and after rmmod (the default source then);
# the free blocks move between any two reads, so /proc/buddyinfo is read
# before and after and only the values that held still are compared, in
# rounds until one holds (a wrong value fails every round). TAP;
# exit 4 (KSFT_SKIP) if the CLI, jq or the module is missing.
. "$(dirname "$0")/lib/lib.sh"
[ -n "$cli" ] || skip_all "memvirt CLI not found (build user/ or put it in PATH)"
[ -d /sys/module/memvirt ] || skip_all "memvirt module not loaded"
command -v jq > /dev/null || skip_all "jq not installed"
command -v setpriv > /dev/null || skip_all "setpriv not installed"

echo "1..8"

# blocks FILE: "node zone free-blocks-per-order..." from frag --json.
blocks() {
	jq -r '.zones[] | "\(.node) \(.zone) \([.orders[].free_blocks] | join(" "))"' "$1"
}
# indices FILE: "node zone unusable... frag..." (thousandths).
indices() {
	jq -r '.zones[] | "\(.node) \(.zone) \([.orders[] | .unusable_index * 1000 | round] +
		[.orders[] | .fragmentation_index * 1000 | round] | join(" "))"' "$1"
}
# statics FILE: what does not move with the free lists, per zone.
statics() {
	jq -r '.zones[] | "\(.node) \(.zone) \(.managed) \(.watermark_min) \(.watermark_low) " +
		"\(.watermark_high) \(.lowmem_reserve) \(.highatomic) \(.orders | length)"' "$1"
}
# by_formula FILE: the indices of FILE (frag --json) checked against the
# kernel's formulas of its own free blocks (index_formula).
by_formula() {
	jq -r '.zones[] | "\(.node) \(.zone) \([.orders[].free_blocks] +
		[.orders[] | .unusable_index * 1000 | round] +
		[.orders[] | .fragmentation_index * 1000 | round] | join(" "))"' "$1" |
		index_formula
}
# same_where_held BEFORE AFTER A B: lines of A and B (indices) equal for
# the zones whose buddyinfo line held still; prints "zones compared, moved".
same_where_held() {
	awk 'FNR == 1 { f++ } { k = $1 " " $2; $1 = $2 = ""; v[f, k] = $0; if (f == 1) z[++nz] = k }
	END { for (j = 1; j <= nz; j++) { k = z[j]
		if (v[1, k] != v[2, k]) { moved++; continue }
		cmp++
		if (v[3, k] != v[4, k]) { bad++; print "#   zone " k ": module" v[3, k] "; proc" v[4, k] } }
	  printf "%d %d\n", cmp, moved; exit (bad > 0) }' \
		<(echo "$1") <(echo "$2") <(echo "$3") <(echo "$4")
}

# 1-4. With the module: its zones, then procfs's, between two buddyinfo reads.
for try in $(seq 20); do
	before=$(from_proc /proc/buddyinfo %d)
	"$cli" frag --json --source module > "$tmp/mod.json" 2> "$tmp/mod.err" &&
		"$cli" frag --json --source proc > "$tmp/proc.json" 2> "$tmp/proc.err" || break
	after=$(from_proc /proc/buddyinfo %d)
	rm_=$(held "$before" "$after" "$(blocks "$tmp/mod.json")")
	ok_m=$?
	rp=$(held "$before" "$after" "$(blocks "$tmp/proc.json")")
	ok_p=$?
	ri=$(same_where_held "$before" "$after" "$(indices "$tmp/mod.json")" \
		"$(indices "$tmp/proc.json")")
	ok_i=$?
	# Watermarks include their boost and highatomic blocks come and go:
	# the two runs' statics may straddle a change too.
	[ "$(statics "$tmp/mod.json")" = "$(statics "$tmp/proc.json")" ]
	ok_s=$?
	[ $ok_m -eq 0 ] && [ $ok_p -eq 0 ] && [ $ok_i -eq 0 ] && [ $ok_s -eq 0 ] &&
		[ "${ri%% *}" -gt 0 ] && break
done
echo "# try $try; free blocks compared, moved, mismatched: module $rm_; proc $rp"
fm=$(by_formula "$tmp/mod.json")
ok_fm=$?
fpr=$(by_formula "$tmp/proc.json")
ok_fp=$?
echo "# indices, zones compared and moved: $ri; by the formula, zones checked and wrong: module $fm, proc $fpr"
check "sources: the module's says module, --source proc's says proc" \
	test "$(jq -r .source "$tmp/mod.json")/$(jq -r .source "$tmp/proc.json")" = module/proc
check "every zone's free blocks per order: module = /proc/buddyinfo = --source proc where they held still" \
	test "$ok_m" = 0 -a "$ok_p" = 0 -a "${rm_%% *}" -gt 0 -a "${rp%% *}" -gt 0
check "unusable and fragmentation indices per order: --source proc = module for zones that held still, both the kernel's formulas of their free blocks" \
	test "$ok_i" = 0 -a "$ok_fm" = 0 -a "$ok_fp" = 0
statics "$tmp/mod.json" | sed 's/^/# module: /'
check "managed, watermarks, lowmem reserve, highatomic, orders: --source proc = module" \
	test "$ok_s" = 0 -a ! -s "$tmp/proc.err"

# 5. Not root: /proc/pagetypeinfo is root's; highatomic is unknown, and said so.
setpriv --reuid=65534 --regid=65534 --clear-groups "$cli" frag --json --source proc \
	> "$tmp/nobody.json" 2> "$tmp/nobody.err"
rc=$?
echo "# uid 65534 (exit $rc): $(cat "$tmp/nobody.err")"
check "uid 65534: exit 0, highatomic null, one line naming /proc/pagetypeinfo" \
	test "$rc" = 0 -a "$(jq '[.zones[].highatomic] | unique | tostring' "$tmp/nobody.json")" = '"[null]"' \
	-a "$(wc -l < "$tmp/nobody.err")" = 1 -a -n "$(grep -F /proc/pagetypeinfo "$tmp/nobody.err")"

# 6-8. Without the module: the default source is procfs, and it says so.
# Its free blocks are compared where /proc/buddyinfo held still around it,
# its statics with the module's just before the rmmod or just after the
# insmod; a value can move and come back between two reads ("kernel 267,
# got 268" with 267 before and after), so the round is tried again, as
# 1-4 are, until it holds (a wrong value fails every round).
without_module() {	# one round; 0 when the free blocks and statics held
	"$cli" frag --json --source module > "$tmp/mod-b.json" 2> /dev/null
	rmmod memvirt 2> /dev/null || return 2
	before=$(from_proc /proc/buddyinfo %d)
	"$cli" frag --json > "$tmp/nomod.json" 2> "$tmp/nomod.err"
	rc=$?
	after=$(from_proc /proc/buddyinfo %d)
	"$cli" frag --source module > /dev/null 2> "$tmp/nomod-module.err"
	rc_m=$?
	"$cli" frag > "$tmp/nomod.txt" 2> /dev/null
	insmod "$MEMVIRT_KO"
	"$cli" frag --json --source module > "$tmp/mod-a.json" 2> /dev/null
	r=$(held "$before" "$after" "$(blocks "$tmp/nomod.json")")
	ok_b=$?
	ok_s=1
	[ "$(statics "$tmp/nomod.json")" = "$(statics "$tmp/mod-b.json")" ] ||
		[ "$(statics "$tmp/nomod.json")" = "$(statics "$tmp/mod-a.json")" ] && ok_s=0
	[ $ok_b -eq 0 ] && [ $ok_s -eq 0 ] && [ "${r%% *}" -gt 0 ]
}
rounds=0
if [ -n "${MEMVIRT_KO:-}" ]; then
	for rounds in $(seq 20); do
		without_module
		case $? in 0) break ;; 2) rounds=0; break ;; esac
	done
fi
if [ "$rounds" -gt 0 ]; then
	echo "# without the module (exit $rc, round $rounds): $(cat "$tmp/nomod.err")"
	echo "# free blocks compared, moved, mismatched: $r"
	check "without memvirt.ko: exit 0, source proc, one line saying /proc; headings say /proc" \
		test "$rc" = 0 -a "$(jq -r .source "$tmp/nomod.json")" = proc \
		-a "$(wc -l < "$tmp/nomod.err")" = 1 -a -n "$(grep -F /proc/buddyinfo "$tmp/nomod.err")" \
		-a -n "$(grep -F '(from /proc/buddyinfo)' "$tmp/nomod.txt")"
	check "without memvirt.ko: managed, watermarks, reserves, orders as the module gave them; free blocks as /proc/buddyinfo" \
		test "$ok_s" = 0 -a "$ok_b" = 0
	check "without memvirt.ko: --source module fails (exit 1) saying to load it" \
		test "$rc_m" = 1 -a -n "$(grep 'memvirt.ko is not loaded' "$tmp/nomod-module.err")"
else
	for t in "default source procfs" "same statics" "--source module fails"; do
		ok "without memvirt.ko: $t # SKIP the module cannot be unloaded here (MEMVIRT_KO unset or in use)"
	done
fi

[ "$failed" -eq 0 ]
