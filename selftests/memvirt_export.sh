#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `memvirt export` against a VM of memvirt-vmm: the Prometheus text parses
# with the Prometheus project's own Python parser (python3-prometheus-client)
# into typed families without duplicate series; the VM's values equal `memvirt
# list` and KVM's debugfs; the zones' free blocks and indices equal
# /proc/buddyinfo and the kernel's debugfs extfrag files; with -i the file is
# replaced atomically and its fault counters count a touch of N new pages as
# N faults, the latency histogram's count included, and a loss counter for
# each reason the kernel reports; the probes are gone when it exits. TAP; exit 4 (KSFT_SKIP) when something is missing.
. "$(dirname "$0")/lib/lib.sh"
require_vm_env
py=/usr/bin/python3
command -v jq > /dev/null || skip_all "jq not installed"
$py -c 'import prometheus_client.parser' 2>/dev/null ||
	skip_all "python3-prometheus-client not installed"
kvmdbg=/sys/kernel/debug/kvm

pages=800
slack=16	# the VMM's code and stack pages, faulted in at its first run

# parse FILE: the samples as "name{k=v,...} value" lines, sorted labels;
# fails (with the reason on stderr) unless every sample belongs to a family
# announced with HELP and TYPE, each family comes once and no series repeats.
parse() {
	$py - "$1" <<'EOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams, series, bad = set(), set(), []
for f in text_string_to_metric_families(text):
    if f.type == 'untyped' or not f.documentation:
        bad.append('no HELP/TYPE for %s' % f.name)
    if f.name in fams:
        bad.append('family %s twice' % f.name)
    fams.add(f.name)
    for s in f.samples:
        key = s.name + '{' + ','.join('%s=%s' % kv for kv in sorted(s.labels.items())) + '}'
        if key in series:
            bad.append('series %s twice' % key)
        series.add(key)
        print(key, repr(s.value) if s.value != int(s.value) else int(s.value))
if bad or not fams:
    sys.stderr.write('\n'.join(bad or ['no metrics']) + '\n')
    sys.exit(1)
EOF
}

# value NAME LABELS...: the sample NAME{LABELS} of $tmp/samples ("" if none).
value() {
	local name=$1 l
	shift
	l=$(printf '%s\n' "$@" | sort | paste -sd,)
	awk -v k="$name{$l}" '$1 == k { print $2 }' "$tmp/samples"
}

# sum NAME FILTER: the sum of NAME's samples whose labels contain FILTER.
sum() {
	awk -v n="$1{" -v f="$2" 'index($1, n) == 1 && index($1, f) { s += $2 }
		END { printf "%d\n", s }' "$tmp/samples"
}

echo "1..9"
vmm_start --vcpus 1 --slot gpa=0x100000,size=8M,backing=nothp --touch 0,0,300,4096,w \
	--slot gpa=0x1000000,size=4M,backing=thp --touch 1,0,2,0x200000,w
id=$vm_id
echo "# VM $id"

# 1. Once, on stdout.
"$cli" export > "$tmp/once.prom" 2> "$tmp/err"
rc=$?
sed 's/^/# export: /' "$tmp/err"
parse "$tmp/once.prom" > "$tmp/samples" 2> "$tmp/err"
prc=$?
sed 's/^/# parse: /' "$tmp/err"
echo "# $(wc -l < "$tmp/samples") samples in $(grep -c '^# TYPE' "$tmp/once.prom") families"
check "export exits 0 and its text parses into typed families, no series twice" \
	test "$rc" -eq 0 -a "$prc" -eq 0

# 2. The VM as `memvirt list` and KVM's debugfs report it.
want=$("$cli" list -J -o ID,PID,COMM,MEMORY,MAPPED,MAP-4K,MAP-2M,OVERHEAD |
	jq -r --arg id "$id" '.vms[] | select(.id == $id) |
	"\(.pid) \(.comm) \(.memory) \(.mapped) \(.map_4k) \(.map_2m) \(.overhead)"')
# memvirt-vmm without --id or --uuid: no name, no UUID (empty labels)
got="$(value memvirt_vm_info vm="$id" pid="$vm_pid" comm=memvirt-vmm name= uuid= held_by=vm-fd |
	sed "s/^1$/$vm_pid memvirt-vmm/")"
got="$got $(value memvirt_vm_memory_bytes vm="$id") $(value memvirt_vm_mapped_bytes vm="$id")"
got="$got $(value memvirt_vm_mappings vm="$id" size=4K) $(value memvirt_vm_mappings vm="$id" size=2M)"
got="$got $(sum memvirt_vm_overhead_bytes "vm=$id}")"
echo "# list:   $want"
echo "# export: $got (pid comm memory mapped 4K 2M overhead-parts-summed)"
check "pid, comm, memory, mappings and overhead (its parts summed) as list reports them" \
	test -n "$want" -a "$got" = "$want"

dbg=$(cat "$kvmdbg/$id/pages_4k" "$kvmdbg/$id/pages_2m" "$kvmdbg/$id/pages_1g" 2>/dev/null |
	paste -sd' ')
got="$(value memvirt_vm_mappings vm="$id" size=4K) $(value memvirt_vm_mappings vm="$id" size=2M)"
got="$got $(value memvirt_vm_mappings vm="$id" size=1G)"
echo "# debugfs pages_4k/2m/1g: $dbg; export: $got"
check "mappings by size equal KVM's debugfs pages_4k, pages_2m, pages_1g" \
	test -n "$dbg" -a "$got" = "$dbg"

# 3. Zones: free blocks per order as /proc/buddyinfo and fragmentation indices
# as the kernel's debugfs. The allocator moves all the time (every process
# started or ended moves pages between per-CPU lists and the buddy lists, and
# on the debug kernel KASAN's quarantine and vmap stacks move higher orders
# too), so the kernel's files are read before and after the export and only
# the values that did not move in between are compared; they must be equal.
# Tries until one round has no mismatch and some free blocks held still (on
# the debug kernel most move). The indices are also checked against the
# kernel's formulas of the export's own free blocks, which holds whatever
# moved: that is the module's arithmetic where little held still.
from_export() {	# METRIC FORMAT [SAMPLES]
	awk -v m="$1{" -v f="$2" 'index($1, m) == 1 {
		match($1, /node=[0-9]+/); n = substr($1, RSTART + 5, RLENGTH - 5)
		match($1, /order=[0-9]+/); o = substr($1, RSTART + 6, RLENGTH - 6)
		match($1, /zone=[A-Za-z0-9]+/); z = n " " substr($1, RSTART + 5, RLENGTH - 5)
		v[z, o] = sprintf(f, $2); if (!(z in seen)) { seen[z] = 1; k[++nk] = z }
		if (o + 0 > max) max = o + 0 }
		END { for (i = 1; i <= nk; i++) { s = k[i]
			for (o = 0; o <= max; o++) s = s " " v[k[i], o]; print s } }' "${3:-$tmp/samples}"
}
# The kernel's fragmentation index as one series again: -1 where
# memvirt_zone_block_available is 1 (the index must have no sample there),
# the index where it is 0 (and must have one); 9, no index's value, else.
frag_joined() {
	awk 'index($1, "memvirt_zone_block_available{") == 1 { a[substr($1, 30)] = $2 }
	index($1, "memvirt_zone_fragmentation_index{") == 1 { f[substr($1, 34)] = $2 }
	END { for (k in a) { v = 9
		if (a[k] == 1 && !(k in f)) v = -1
		if (a[k] == 0 && (k in f)) v = f[k]
		print "memvirt_zone_fragmentation_index{" k, v }
	      for (k in f) if (!(k in a)) print "memvirt_zone_fragmentation_index{" k, 9 }' "$tmp/samples"
}
extfrag=/sys/kernel/debug/extfrag
snap() {	# DIR: the kernel's own files, now
	mkdir -p "$1" && cp /proc/buddyinfo "$extfrag/extfrag_index" "$extfrag/unusable_index" "$1/"
}
for try in $(seq 20); do
	snap "$tmp/before" && "$cli" export > "$tmp/z.prom" &&
		"$cli" frag --json > "$tmp/frag.json" && snap "$tmp/after" &&
		parse "$tmp/z.prom" > "$tmp/samples" || break
	rb=$(held "$(from_proc "$tmp/before/buddyinfo" %d)" "$(from_proc "$tmp/after/buddyinfo" %d)" \
		"$(from_export memvirt_zone_free_blocks %d)")
	ok_b=$?
	rf=$(held "$(from_proc "$tmp/before/extfrag_index" %.3f)" \
		"$(from_proc "$tmp/after/extfrag_index" %.3f)" \
		"$(from_export memvirt_zone_fragmentation_index %.3f <(frag_joined))")
	ok_f=$?
	ru=$(held "$(from_proc "$tmp/before/unusable_index" %.3f)" \
		"$(from_proc "$tmp/after/unusable_index" %.3f)" \
		"$(from_export memvirt_zone_unusable_free_ratio %.3f)")
	ok_u=$?
	# 2M pages allocatable now: the zones of a node add up to frag's figure
	# (both from the module; frag ran after the export, so compared only
	# when the free blocks of orders >= 9 held still over both).
	f2=$(jq -r '.nodes[] | "\(.node) \(.hugepages_2m_now)"' "$tmp/frag.json" | paste -sd' ')
	e2=$(awk 'index($1, "memvirt_zone_huge_2m_available_pages{") == 1 {
		match($1, /node=[0-9]+/); n = substr($1, RSTART + 5, RLENGTH - 5)
		if (!(n in v)) k[++nk] = n; v[n] += $2 }
		END { for (i = 1; i <= nk; i++) printf "%s%s %d", (i > 1 ? " " : ""), k[i], v[k[i]] }' \
		"$tmp/samples")
	ok_2=2	# 2: not compared, orders >= 9 moved
	if [ "$(from_proc "$tmp/before/buddyinfo" %d | cut -d' ' -f1-2,12-)" = \
	     "$(from_proc "$tmp/after/buddyinfo" %d | cut -d' ' -f1-2,12-)" ]; then
		ok_2=1
		[ -n "$f2" ] && [ "$f2" = "$e2" ] && ok_2=0
	fi
	[ $ok_b -eq 0 ] && [ $ok_f -eq 0 ] && [ $ok_u -eq 0 ] && [ $ok_2 -eq 0 ] &&
		[ "${rb%% *}" -gt 0 ] && break
done
# The export's indices in thousandths, after its free blocks, per zone.
thousandths() {
	awk '{ s = $1 " " $2; for (i = 3; i <= NF; i++) s = s " " sprintf("%.0f", $i * 1000); print s }'
}
fx=$( (from_export memvirt_zone_free_blocks %d
	from_export memvirt_zone_unusable_free_ratio %.3f | thousandths
	from_export memvirt_zone_fragmentation_index %.3f <(frag_joined) | thousandths) |
	awk '{ k = $1 " " $2; if (!(k in l)) { z[++nz] = k; l[k] = k }
		for (i = 3; i <= NF; i++) l[k] = l[k] " " $i }
		END { for (i = 1; i <= nz; i++) print l[z[i]] }' | index_formula)
ok_x=$?
echo "# try $try; compared, moved, mismatched (and the mismatches):"
printf '%s\n' "free blocks: $rb" "extfrag_index: $rf" "unusable_index: $ru" | sed 's/^/#   /'
echo "# indices as the kernel's formulas of the export's free blocks, zones checked and wrong: $fx"
echo "# 2M now per node: frag $f2; export, zones summed: $e2$([ $ok_2 = 2 ] &&
	echo " (not compared: orders >= 9 moved in every try)")"
check "free blocks and both indices equal /proc/buddyinfo and debugfs where they held still, the indices the kernel's formulas; 2M now as frag" \
	test "$ok_b" = 0 -a "${rb%% *}" -gt 0 -a "$ok_f" = 0 -a "$ok_u" = 0 -a "$ok_x" = 0 -a "$ok_2" != 1

# 4. Every interval, into a file, with fault counters: a reader in the
# meantime must always find a whole file, and no temporary file stays.
out=$tmp/textfile/memvirt.prom
mkdir -p "$tmp/textfile"
# The first file comes once the probes are attached, which takes seconds on
# the debug kernel (more under load): the pages are written after it. 30 s
# leave the rest of the run time to count them.
"$cli" export -i 1 -d 30 -o "$out" 2> "$tmp/err" &
ex_pid=$!
for _ in $(seq 250); do [ -s "$out" ] && break; sleep 0.1; done
echo "touch 0,0x200000,$pages,4096,w" >&3
reads=0 torn=0
while kill -0 "$ex_pid" 2>/dev/null; do
	if [ -s "$out" ]; then
		cp "$out" "$tmp/read.prom"
		reads=$((reads + 1))
		tail -c 1 "$tmp/read.prom" | od -An -c | grep -q '\\n' &&
			parse "$tmp/read.prom" > /dev/null 2>&1 || torn=$((torn + 1))
	fi
	sleep 0.2
done
wait "$ex_pid"
rc=$?
sed 's/^/# export -i: /' "$tmp/err"
echo "# $reads reads while it ran, $torn not whole; files left: $(ls "$tmp/textfile" | paste -sd' ')"
check "export -i 1 -d 30 -o FILE exits 0, FILE always whole, nothing else left" \
	test "$rc" -eq 0 -a "$reads" -ge 2 -a "$torn" -eq 0 -a \
	"$(ls "$tmp/textfile")" = memvirt.prom

parse "$out" > "$tmp/samples"
faults=$(awk -v id="$id" 'index($1, "memvirt_vm_page_faults_total{") == 1 &&
	index($1, "vm=" id "}") { s += $2 } END { printf "%d\n", s }' "$tmp/samples")
np_w=$(value memvirt_vm_page_faults_total vm="$id" access=write cause=not_present)
count=$(value memvirt_vm_page_fault_duration_seconds_count vm="$id")
inf=$(value memvirt_vm_page_fault_duration_seconds_bucket vm="$id" le=+Inf)
mono=$(awk -v id="$id" 'index($1, "memvirt_vm_page_fault_duration_seconds_bucket{") == 1 &&
	index($1, "vm=" id "}") { match($1, /le=[^,}]+/); le = substr($1, RSTART + 3, RLENGTH - 3)
	if (le == "+Inf") le = 1e300; print le, $2 }' "$tmp/samples" | sort -g |
	awk '$2 < last { bad = 1 } { last = $2 } END { print bad ? "no" : "yes" }')
echo "# faults $faults (write, not present: $np_w), histogram count $count, +Inf $inf, cumulative: $mono"
echo "# $(grep -m1 '^memvirt_faults_probe_info' "$out")"
check "fault counters: $pages new pages written -> $faults faults (<= +$slack), histogram count the same" \
	test "$faults" -ge "$pages" -a "$faults" -le $((pages + slack)) -a \
	"${np_w:-0}" -ge "$pages" -a "$count" = "$faults" -a "$inf" = "$count" -a "$mono" = yes

# Losses: memvirt_probe_lost_total{reason} for each reason measured here, none
# for a reason this kernel does not report, and no count near 2^64.
reasons() {	# METRIC: "reason value" lines, sorted
	awk -v m="$1{" 'index($1, m) == 1 { match($1, /reason=[a-z_]+/)
		print substr($1, RSTART + 7, RLENGTH - 7), $2 }' "$tmp/samples" | sort
}
meas=$(reasons memvirt_probe_lost_measurable)
lost=$(reasons memvirt_probe_lost_total)
echo "# measurable: $(echo "$meas" | paste -sd,)"
echo "# lost:       $(echo "$lost" | paste -sd,)"
want=$(echo "$meas" | awk '$2 == 1 { print $1 }')
huge=$(echo "$lost" | awk '$2 >= 4611686018427387904' | wc -l)
check "memvirt_probe_lost_total: one counter per reason measured (vm_table_full among them), none huge" \
	test -n "$want" -a "$want" = "$(echo "$lost" | cut -d' ' -f1)" -a "$huge" -eq 0 -a \
	-n "$(echo "$lost" | grep '^vm_table_full ')"

# 5. The probes go when it ends, at the end of -d as above or at SIGTERM (a
# service stopped), and --json carries the same samples.
after_d=$(probes_left)
"$cli" export -i 1 --textfile "$tmp/term.prom" 2> "$tmp/err" &
ex_pid=$!
for _ in $(seq 100); do [ -s "$tmp/term.prom" ] && break; sleep 0.1; done
attached=$(probes_attached)
kill -TERM "$ex_pid"
wait "$ex_pid"
rc=$?
sed 's/^/# export -i (SIGTERM): /' "$tmp/err"
left=$(probes_left)
text=$("$cli" export | grep -vc '^#')
json=$("$cli" export --json | jq '[.metrics[].samples[]] | length')
echo "# BPF programs after -d: $after_d; while it ran: $attached, after SIGTERM (exit $rc): $left"
echo "# samples: text $text, json $json"
check "no probe left after -d or SIGTERM (exit 0); --json has as many samples as the text" \
	test "$after_d" -eq 0 -a "$attached" -gt 0 -a "$rc" -eq 0 -a "${left:-1}" -eq 0 -a \
	"$text" -gt 0 -a "$json" = "$text"

# 6. --backing: the host side of the VM's memory as `show --backing` has it.
"$cli" export --backing > "$tmp/bk.prom" 2> "$tmp/err" && parse "$tmp/bk.prom" > "$tmp/samples"
sed 's/^/# export --backing: /' "$tmp/err"
got="$(value memvirt_vm_host_bytes vm="$id" state=resident) $(value memvirt_vm_host_bytes vm="$id" state=zero)"
got="$got $(value memvirt_vm_host_bytes vm="$id" state=swapped) $(value memvirt_vm_host_bytes vm="$id" state=not_present)"
got="$got $(value memvirt_vm_host_huge_bytes vm="$id" kind=thp) $(value memvirt_vm_host_huge_bytes vm="$id" kind=hugetlb)"
got="$got $(value memvirt_vm_host_runs vm="$id") $(value memvirt_vm_host_longest_run_bytes vm="$id")"
got="$got $(awk -v id="$id" 'index($1, "memvirt_vm_host_node_bytes{") == 1 && index($1, "vm=" id "}") {
	match($1, /node=[0-9]+/); printf "%s:%s ", substr($1, RSTART + 5, RLENGTH - 5), $2 }' "$tmp/samples")"
want=$("$cli" show "$id" --backing -J | jq -r '.. | objects | select(has("backing")) | .backing.total |
	"\(.resident) \(.zero) \(.swapped) \(.not_present) \(.thp) \(.hugetlb) \(.runs) \(.longest_run) " +
	([.nodes[] | "\(.node):\(.bytes) "] | join(""))')
echo "# show --backing: $want"
echo "# export:         $got (resident zero swapped not-present thp hugetlb runs longest nodes)"
check "--backing: host states, huge pages, runs and nodes as show --backing has them" \
	test -n "$want" -a "$got" = "$want"

vmm_quit
[ "$failed" -eq 0 ]
