#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `memvirt serve` scraped by a real Prometheus (Debian's, every second) while
# two VMs of memvirt-vmm run, one of them another user's: serve runs with
# exactly the capabilities of contrib/systemd/memvirt.service and still sees
# both VMs and attaches its probes, and without any one of them it could not. Checks the HTTP side (content type,
# promtool's lint, 404, 405, HEAD, IPv6, a stalled and a malformed client),
# then through Prometheus' API: up and memvirt_up are 1, each VM's memory is
# what `memvirt list --json` says, a touch of N new pages adds N faults to
# memvirt_vm_page_faults_total (and to the latency histogram's count), every
# PromQL expression of the Grafana dashboard returns data, and the rules of
# contrib/prometheus load, evaluate, and give data. SIGTERM: exit 0, no
# probe left. TAP; exit 4 (KSFT_SKIP) when something is missing.
. "$(dirname "$0")/lib/lib.sh"
require_vm_env
for t in prometheus promtool curl jq setpriv bpftool; do
	command -v $t > /dev/null || skip_all "$t not installed"
done
top=$here/..
unit=$top/contrib/systemd/memvirt.service.in
dash=$top/contrib/grafana/memvirt.json
rules=$top/contrib/prometheus/memvirt-rules.yml
for f in "$unit" "$dash" "$rules"; do [ -r "$f" ] || skip_all "no $f"; done

pages=1000
slack=16	# the VMM's code and stack pages, faulted in at its first run
mport=9177 pport=9090
murl=http://127.0.0.1:$mport
purl=http://127.0.0.1:$pport
serve_pid='' prom_pid='' vm2_pid=''
stop_all() {
	for p in $prom_pid $serve_pid $vm2_pid; do kill "$p" 2>/dev/null && wait "$p"; done
	cleanup
}
trap stop_all EXIT

# q QUERY [TIME]: Prometheus' answer to an instant query (JSON).
q() {
	curl -sfG "$purl/api/v1/query" --data-urlencode "query=$1" \
		${2:+--data-urlencode "time=$2"}
}
# qv QUERY [TIME]: the first sample's value ("" if none).
qv() { q "$@" | jq -r '.data.result[0].value[1] // empty'; }
# wait_for SECONDS CMD...: until CMD succeeds; false after SECONDS.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do [ $SECONDS -lt $end ] || return 1; sleep 1; done
}

echo "1..12"

# 1. The rules as promtool sees them.
promtool check rules "$rules" > "$tmp/rules.out" 2>&1
check "promtool check rules $(basename "$rules")" test $? -eq 0
sed 's/^/# /' "$tmp/rules.out"

# Two VMs: one of ours that will fault, one of nobody's (a VMM of another
# user: serve needs CAP_SYS_PTRACE to see it), /dev/kvm opened up for it
# meanwhile as many distros do.
vmm_start --vcpus 1 --slot gpa=0x100000,size=8M,backing=nothp
id=$vm_id
mode=$(stat -c %a /dev/kvm)
chmod 666 /dev/kvm
setpriv --reuid=65534 --regid=65534 --clear-groups "$vmm" --no-stdin --vcpus 2 \
	--slot gpa=0x100000,size=4M,backing=nothp --slot gpa=0x1000000,size=2M,backing=thp \
	--touch 0,0,64,4096,w > "$tmp/vm2.out" 2>&1 &
vm2_pid=$!
wait_for 30 grep -q '^ready' "$tmp/vm2.out"
chmod "$mode" /dev/kvm
grep -q '^ready' "$tmp/vm2.out" || { sed 's/^/# /' "$tmp/vm2.out"; skip_all "nobody's VMM did not start"; }
id2=$(sed -n 's/^vm //p' "$tmp/vm2.out")
echo "# VMs $id (root's), $id2 (nobody's)"

# serve with the unit's capability bounding set and nothing inherited.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sed -n 's/^CAP_/+/p' |
	tr 'A-Z' 'a-z' | paste -sd,)
echo "# the unit's capabilities: $caps"
setpriv --inh-caps=-all --bounding-set=-all,"$caps" "$cli" serve \
	--listen 127.0.0.1:$mport --listen "[::1]:$mport" 2> "$tmp/serve.err" &
serve_pid=$!
up_with_probes() {
	curl -sf "$murl/metrics" > "$tmp/m.prom" &&
		grep -q '^memvirt_up 1$' "$tmp/m.prom" && grep -q '^memvirt_faults_probe_info' "$tmp/m.prom"
}
wait_for 120 up_with_probes
sed 's/^/# serve: /' "$tmp/serve.err"
vis=$(grep -c "^memvirt_vm_info{vm=\"\($id\|$id2\)\"" "$tmp/m.prom")
probe=$(sed -n 's/^memvirt_faults_probe_info{method="\([a-z]*\)"} 1$/\1/p' "$tmp/m.prom")
echo "# VMs seen: $vis of 2; probes: ${probe:-not attached}"
check "serve with only $caps: memvirt_up 1, probes attached, both VMs seen" \
	test "$(grep -c '^memvirt_up 1$' "$tmp/m.prom")" -eq 1 -a "$vis" -eq 2 -a -n "$probe"

# Each capability of the set is needed: without it fewer VMs are seen
# (list) or no probe attaches (faults).
needed=0 ncaps=0
for c in ${caps//,/ }; do
	ncaps=$((ncaps + 1))
	less=$(echo "$caps" | tr ',' '\n' | grep -vx -- "$c" | paste -sd,)
	run=(setpriv --inh-caps=-all --bounding-set=-all${less:+,$less})
	nvm=$("${run[@]}" "$cli" list -J 2>/dev/null | jq '.vms | length')
	att=$("${run[@]}" "$cli" faults -d 1 -i 1 2>&1 | grep -c 'faults: attached with')
	echo "# without ${c#+}: $nvm VMs seen, probes attached: $att"
	{ [ "${nvm:-0}" -lt 2 ] || [ "$att" -eq 0 ]; } && needed=$((needed + 1))
done
check "each of the unit's $ncaps capabilities is needed: without it fewer VMs or no probes" \
	test "$needed" -eq "$ncaps" -a "$ncaps" -gt 0

# 2. HTTP: text format 0.0.4 that promtool's linter accepts; [::1] too; 404,
# 405, HEAD; a client that stalls mid-request or sends garbage stalls nobody.
ctype=$(curl -sf -o /dev/null -w '%{content_type}' "$murl/metrics")
lint=$(promtool check metrics < "$tmp/m.prom" 2>&1)
echo "# content type: $ctype; promtool check metrics: ${lint:-clean}"
check "GET /metrics: text/plain version=0.0.4, promtool check metrics clean" \
	test "$ctype" = "text/plain; version=0.0.4; charset=utf-8" -a -z "$lint"
exec 5<> /dev/tcp/127.0.0.1/$mport
printf 'GET /metrics HTTP/1.1\r\nHost: stalled\r\n' >&5	# and never the end
# Garbage: an answer (400) or the connection closed, not left open.
exec 6<> /dev/tcp/127.0.0.1/$mport
printf 'GARBAGE\r\n\r\n' >&6
timeout 30 cat <&6 > "$tmp/garbage"
closed=$?
exec 6>&-
garbage=$(head -n 1 "$tmp/garbage" | tr -d '\r')
g_ok=no
case $garbage in ''|'HTTP/1.1 400 '*) [ "$closed" -eq 0 ] && g_ok=yes ;; esac
big=$(curl -s -m 30 -o /dev/null -w '%{http_code}' -H "X-Big: $(printf '%*s' 100000 '' | tr ' ' a)" \
	"$murl/metrics")
codes=$(for r in "-g http://[::1]:$mport/metrics" "$murl/nope" "-X POST $murl/metrics" \
	"-I $murl/metrics" "-X DELETE $murl/"; do
	# shellcheck disable=SC2086
	curl -s -m 30 -o /dev/null -w '%{http_code} ' $r
done)
exec 5>&-
echo "# garbage: ${garbage:-connection closed} (exit $closed); a 100 kB header: $big"
echo "# then [::1] GET, /nope, POST, HEAD, DELETE /: $codes(one client stalled meanwhile)"
check "garbage closed or 400, huge header 4xx; then 200 on [::1], 404, 405, HEAD 200, 405; a stalled client stalls nobody" \
	test "$g_ok" = yes -a "${big#4}" != "$big" -a "$codes" = "200 404 405 200 405 "

# 3. Prometheus, scraping every second, the rules loaded.
cat > "$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: memvirt
    static_configs:
      - targets: ['127.0.0.1:$mport']
EOF
promtool check config "$tmp/prometheus.yml" > "$tmp/config.out" 2>&1 ||
	{ sed 's/^/# /' "$tmp/config.out"; }
mkdir -p "$tmp/tsdb"
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
	--web.listen-address=127.0.0.1:$pport > "$tmp/prom.log" 2>&1 &
prom_pid=$!
t0=$SECONDS
# Slow under TCG: a generous bound, no timing asserted.
wait_for 600 curl -sf -o /dev/null "$purl/-/ready"
ready=$?
scraped() { [ "$(qv 'up{job="memvirt"}')" = 1 ] && [ "$(qv memvirt_up)" = 1 ]; }
wait_for 120 scraped
up=$?
echo "# Prometheus ready after $((SECONDS - t0)) s (exit of the wait: $ready)"
[ $ready -eq 0 ] || tail -n 20 "$tmp/prom.log" | sed 's/^/# prometheus: /'
check "Prometheus ready; up{job=\"memvirt\"} and memvirt_up are 1" test $ready -eq 0 -a $up -eq 0

# 4. Each VM's memory as `memvirt list --json` has it.
want=$("$cli" list -J | jq -r '.vms[] | "\(.id) \(.memory)"' | sort)
got=$(q memvirt_vm_memory_bytes | jq -r '.data.result[] | "\(.metric.vm) \(.value[1])"' | sort)
echo "# list: $(echo "$want" | paste -sd,); Prometheus: $(echo "$got" | paste -sd,)"
check "memvirt_vm_memory_bytes of both VMs as list --json" \
	test -n "$got" -a "$got" = "$want" -a "$(echo "$got" | wc -l)" -eq 2

# 5. A fault storm: N new pages written, N faults more in Prometheus. The
# counter's samples before the touch and after it (a scrape later than the
# VMM's "ok"), compared exactly; increase() extrapolates, so it is only
# required to reach N.
sel="vm=\"$id\""
counted() { [ -n "$(qv "sum(memvirt_vm_page_faults_total{$sel})")" ]; }
wait_for 60 counted
sleep 2
t_before=$(date +%s.%N)
f0=$(qv "sum(memvirt_vm_page_faults_total{$sel})" "$t_before")
c0=$(qv "sum(memvirt_vm_page_fault_duration_seconds_count{$sel})" "$t_before")
echo "touch 0,0,$pages,4096,w" >&3
wait_for 120 grep -q '^ok$' "$tmp/out"
t_ok=$(date +%s)
later() { [ "$(qv "max(timestamp(memvirt_vm_page_faults_total{$sel}))" | cut -d. -f1)" -gt "$t_ok" ]; }
wait_for 60 later
f1=$(qv "sum(memvirt_vm_page_faults_total{$sel})")
c1=$(qv "sum(memvirt_vm_page_fault_duration_seconds_count{$sel})")
win=$(( $(date +%s) - ${t_before%.*} + 2 ))
inc=$(qv "sum(increase(memvirt_vm_page_faults_total{$sel}[${win}s]))")
d=$((f1 - f0)) dc=$((c1 - c0))
echo "# faults $f0 -> $f1 (+$d), histogram count $c0 -> $c1 (+$dc), increase over ${win}s: $inc"
check "$pages pages written: +$d faults (<= +$slack), histogram count the same, increase() >= $pages" \
	test "$d" -ge "$pages" -a "$d" -le $((pages + slack)) -a "$dc" -eq "$d" -a \
	"$(awk -v a="${inc:-0}" -v b="$pages" 'BEGIN { print (a >= b) }')" = 1

# 6. Every PromQL expression of the dashboard returns data, Grafana's
# variables put as Grafana would with every host and VM selected.
subst() {
	sed -e 's/\$__rate_interval/30s/g; s/\$__interval/5s/g; s/\$__range/5m/g' \
		-e 's/\${\?instance}\?/.*/g; s/\${\?vm}\?/.*/g'
}
n_expr=0 empty=0
while IFS= read -r e; do
	n_expr=$((n_expr + 1))
	r=$(q "$(echo "$e" | subst)" | jq -r 'if .status == "success" then (.data.result | length) else "error" end')
	case $r in ''|0|error) empty=$((empty + 1)); echo "# no data ($r): $e" ;; esac
done < <(jq -r '.. | objects | select(has("expr")) | .expr' "$dash")
vars=0
for v in $(jq -r '.templating.list[] | select(.type == "query") | .query.query' "$dash" |
	sed -n 's/^label_values(\([a-z_]*\).*, *\([a-z_]*\))$/\1:\2/p'); do
	r=$(curl -sfG "$purl/api/v1/label/${v#*:}/values" --data-urlencode "match[]=${v%%:*}" |
		jq '.data | length')
	[ "${r:-0}" -gt 0 ] && vars=$((vars + 1))
done
echo "# dashboard: $n_expr expressions, $empty without data; $vars label variables with values"
check "every PromQL expression of the dashboard ($n_expr) returns data; its variables have values" \
	test "$n_expr" -ge 8 -a "$empty" -eq 0 -a "$vars" -eq 2

# 7. The rules: loaded and evaluated without error, each recording rule's
# series and each alert's expression without its threshold have data.
rules_ok() {
	curl -sf "$purl/api/v1/rules" > "$tmp/rules.json" &&
	[ "$(jq '[.data.groups[].rules[] | select(.lastEvaluation != "0001-01-01T00:00:00Z")] |
		length' "$tmp/rules.json")" -eq "$(grep -c -e '- record:' -e '- alert:' "$rules")" ]
}
wait_for 60 rules_ok
bad=$(jq -r '.data.groups[].rules[] | select(.health != "ok") | "\(.name): \(.lastError)"' \
	"$tmp/rules.json")
nodata=0 nrules=0
while IFS=$'\t' read -r type name expr; do
	nrules=$((nrules + 1))
	if [ "$type" = recording ]; then
		e=$name
	else
		e=$(echo "$expr" | sed -E 's/[[:space:]]*(>|<|>=|<=|==|!=)[[:space:]]*[-0-9.e+]+[[:space:]]*$//')
		[ "$e" != "$expr" ] || { echo "# alert $name: no trailing threshold"; nodata=$((nodata + 1)); }
	fi
	r=$(q "$e" | jq -r '.data.result | length')
	[ "${r:-0}" -gt 0 ] || { nodata=$((nodata + 1)); echo "# no data: $e"; }
done < <(jq -r '.data.groups[].rules[] | [.type, .name, .query] | @tsv' "$tmp/rules.json")
echo "# rules: $nrules evaluated; unhealthy: ${bad:-none}; without data: $nodata"
check "every rule ($nrules) evaluates, recorded series and alerts without threshold have data" \
	test "$nrules" -ge 6 -a -z "$bad" -a "$nodata" -eq 0

# 8. The exporter's own metrics; and nothing of the probes lost huge.
bi=$(q memvirt_build_info | jq -r '.data.result[0].metric | "\(.version) \(.kernel)"')
sd=$(qv memvirt_scrape_duration_seconds)
lost=$(qv 'max(memvirt_probe_lost_total)')
echo "# build_info: $bi; scrape duration: $sd s; largest loss counter: $lost"
check "memvirt_build_info{version,kernel} ($(uname -r)), a scrape duration, loss counters" \
	test "$bi" = "$("$cli" --version | cut -d' ' -f2) $(uname -r)" -a -n "$sd" -a -n "$lost"

# 9. SIGTERM: exit 0 and the probes detached.
kill -TERM "$serve_pid"
wait "$serve_pid"
rc=$?
serve_pid=
left=$(probes_left)
sed -n '/stopping/s/^/# serve: /p' "$tmp/serve.err"
check "SIGTERM: serve exits 0, no probe left" test "$rc" -eq 0 -a "$left" -eq 0

kill "$prom_pid" && wait "$prom_pid" 2>/dev/null
prom_pid=
vmm_quit
[ "$failed" -eq 0 ]
