#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM names and the options every verb shares. The command-line parser on
# canned command lines of each VMM memvirt knows (memvirt __vmname); then
# three memvirt-vmm VMs of 16M, 64M and 32M, named by --id (Firecracker's
# option) and one by --uuid, one of them run from a copy of the binary with
# another comm: list, top --batch, faults and export must each show exactly
# the VMs --vm (id, name, UUID), --pid and --comm select, -s must order them
# by the column's values both ways, -o must pick top's and faults' columns,
# and an ambiguous name must fail naming both candidates. A VMM whose comm
# and name are not UTF-8: list, show and top --json are valid UTF-8 (iconv
# accepts them), each byte that starts no UTF-8 sequence a U+FFFD, as in
# export's labels. TAP; exit 4 (KSFT_SKIP) without the CLI, the VMM, the
# module, /dev/kvm or jq.
. "$(dirname "$0")/lib/lib.sh"
require_vm_env
command -v jq > /dev/null || skip_all "jq not installed"
command -v iconv > /dev/null || skip_all "iconv not installed (libc-bin)"

echo "1..43"

# parse EXPECTED ARGS...: __vmname on the command line ARGS gives EXPECTED.
parse() {
	local want=$1 got
	shift
	got=$(printf '%s\0' "$@" | "$cli" __vmname | paste -sd' ')
	[ "$got" = "$want" ] && return
	echo "# $*: got '$got', want '$want'"
	return 1
}
u=0a1b2c3d-4e5f-6789-abcd-ef0123456789
check "QEMU -name guest=N,debug-threads=on -uuid U (libvirt's form)" \
	parse "name=web-1 uuid=$u" /usr/bin/qemu-system-x86_64 -enable-kvm \
	-name guest=web-1,debug-threads=on -uuid "${u^^}"
check "QEMU -name N, the last -name wins, ',,' is a comma" \
	parse "name=a,b uuid=" qemu-system-x86_64 -name first --name 'a,,b'
check "QEMU -name process=P,guest=N; an invalid -uuid is no UUID" \
	parse "name=g uuid=" qemu-kvm -name process=p,guest=g -uuid not-a-uuid
check "QEMU -name process=P alone names nothing" \
	parse "name= uuid=" qemu-system-x86_64 -name process=p
check "Firecracker --id N and --id=N" \
	bash -c "$(declare -f parse); cli='$cli'; parse 'name=fc uuid=' firecracker --api-sock /s --id fc &&
		 parse 'name=fc2 uuid=' /opt/firecracker --id=fc2"
check "crosvm run --name N" parse "name=cv uuid=" crosvm run --name cv vmlinux
check "cloud-hypervisor --platform ...,uuid=U" \
	parse "name= uuid=$u" cloud-hypervisor --platform "num_pci_segments=1,uuid=$u"
check "another program's -name is not a VM name (never guessed)" \
	parse "name= uuid=" bash -name x -uuid "$u"
check "a name that is not UTF-8: the bad byte becomes U+FFFD" \
	parse "name=a$(printf '\xef\xbf\xbd')b uuid=" qemu-system-x86_64 -name "a$(printf '\xff')b"

# start N ARGS...: VMM number N, stdin from a fifo on fd 10+N; sets pid_N, id_N.
start() {
	local k=$1 bin=$vmm
	shift
	[ "$1" = "--copy" ] && { bin=$tmp/memvirt-vmm-b; cp "$vmm" "$bin"; shift; }
	mkfifo "$tmp/in$k"
	"$bin" "$@" < "$tmp/in$k" > "$tmp/out$k" 2> "$tmp/err$k" &
	eval "pid_$k=$!"
	eval "exec $((10 + k))> '$tmp/in$k'"
	for _ in $(seq 100); do grep -q '^ready$' "$tmp/out$k" && break; sleep 0.1; done
	eval "id_$k=\$(sed -n 's/^vm //p' '$tmp/out$k')"
	[ -n "$(eval echo \$id_$k)" ] || { sed 's/^/# /' "$tmp/err$k"; skip_all "memvirt-vmm did not start"; }
}
stop_all() { for k in 1 2 3 5; do eval "[ -n \"\${pid_$k:-}\" ] && kill \$pid_$k" 2>/dev/null; done; cleanup; }
trap stop_all EXIT
start 1 --id alpha --slot gpa=0x100000,size=16M,backing=nothp
start 2 --copy --id beta --uuid "$u" --slot gpa=0x100000,size=64M,backing=nothp
start 3 --id gamma --slot gpa=0x100000,size=32M,backing=nothp
echo "# VMs: $id_1 alpha 16M, $id_2 beta $u 64M (comm memvirt-vmm-b), $id_3 gamma 32M"
ours=(--comm 'memvirt-vmm*')

# ids ARGS...: the ids list ARGS shows, sorted, one line.
ids() { "$cli" list -r -n -o ID "$@" | sort | paste -sd' '; }
sorted() { printf '%s\n' "$@" | sort | paste -sd' '; }

"$cli" list -J "${ours[@]}" -o ID,NAME,UUID,PID,COMM > "$tmp/list.json"
got=$(jq -r '.vms[] | "\(.id) \(.name) \(.uuid) \(.comm)"' "$tmp/list.json" | sort | paste -sd'|')
want=$(printf '%s\n' "$id_1 alpha null memvirt-vmm" "$id_2 beta $u memvirt-vmm-b" \
	"$id_3 gamma null memvirt-vmm" | sort | paste -sd'|')
echo "# list: $got"
check "list: name and uuid from each VMM's command line, null where none" test "$got" = "$want"
check "list: NAME is a default column" bash -c "'$cli' list | head -1 | grep -qw NAME"
check "list --vm NAME" test "$(ids --vm alpha)" = "$id_1"
check "list --vm UUID (any case)" test "$(ids --vm "${u^^}")" = "$id_2"
check "list --vm ID --vm NAME" test "$(ids --vm "$id_3" --vm alpha)" = "$(sorted "$id_1" "$id_3")"
check "list --pid" test "$(ids --pid "$pid_3")" = "$id_3"
check "list --comm GLOB" test "$(ids --comm '*-b')" = "$id_2"
check "list --comm and --vm together (AND)" test -z "$(ids --comm '*-b' --vm alpha)"
"$cli" list --vm nosuchvm > /dev/null 2> "$tmp/err"
check "list --vm of no VM fails (exit 1) and says so" \
	bash -c "[ $? -eq 1 ] && grep -q \"no VM 'nosuchvm'\" '$tmp/err'"

# order ARGS...: "NAME,MEMORY NAME,MEMORY ..." (bytes) of list ARGS, in its order.
order() { "$cli" list -r -n -b -o NAME,MEMORY "${ours[@]}" "$@" | tr ' ' , | paste -sd' '; }
# names_by ORDER LIST: the names of LIST if its MEMORY values are in ORDER
# (asc or desc), else "unsorted".
names_by() {
	local flag=-c
	[ "$1" = desc ] && flag=-cr
	echo "$2" | tr ' ' '\n' | cut -d, -f2 | sort -n $flag 2> /dev/null || { echo unsorted; return; }
	echo "$2" | tr ' ' '\n' | cut -d, -f1 | paste -sd' '
}
got=$(order -s MEMORY:asc)
echo "# list -s MEMORY:asc: $got"
check "list -s MEMORY:asc: ascending by bytes (16M, 32M, 64M slots)" \
	test "$(names_by asc "$got")" = "alpha gamma beta"
check "list -s memory:desc: descending" \
	test "$(names_by desc "$(order -s memory:desc)")" = "beta gamma alpha"
check "list -s MEMORY: numbers largest first" \
	test "$(names_by desc "$(order -s MEMORY)")" = "beta gamma alpha"
check "list -J -s NAME:desc: JSON sorted too" \
	test "$("$cli" list -J "${ours[@]}" -s NAME:desc | jq -r '[.vms[].name] | join(" ")')" = "gamma beta alpha"
check "list -s NOSUCH is a usage error (exit 2)" \
	bash -c "'$cli' list -s NOSUCH > /dev/null 2>&1; [ \$? -eq 2 ]"

# show by name and UUID; two VMs named alike
check "show NAME is that VM" \
	test "$("$cli" show -J gamma | jq -r '"\(.id) \(.name)"')" = "$id_3 gamma"
check "show UUID is that VM" \
	test "$("$cli" show -J "$u" | jq -r '"\(.id) \(.uuid)"')" = "$id_2 $u"
start 4 --id alpha --slot gpa=0x100000,size=8M,backing=nothp
"$cli" show alpha > /dev/null 2> "$tmp/err"
rc=$?
sed 's/^/# /' "$tmp/err"
check "show of a name two VMs have fails (exit 1) listing both" \
	bash -c "[ $rc -eq 1 ] && grep -q 'ambiguous' '$tmp/err' && grep -q -- '$id_1' '$tmp/err' &&
		 grep -q -- '$id_4' '$tmp/err'"
check "list --vm of an ambiguous name fails too" \
	bash -c "! '$cli' list --vm alpha > /dev/null 2>&1"
kill $pid_4; wait $pid_4 2>/dev/null; pid_4=

# top --batch: one interval, JSON and table
top() { "$cli" top --batch --no-faults -i 0.5 -d 0.5 "$@" 2>/dev/null; }
check "top --vm NAME --vm UUID: only those" \
	test "$(top -J --vm alpha --vm "$u" | jq -r '.vms[].id' | sort | paste -sd' ')" = "$(sorted "$id_1" "$id_2")"
check "top --pid" test "$(top -J --pid "$pid_3" | jq -r '.vms[].id' | paste -sd' ')" = "$id_3"
topsort() { top -J "${ours[@]}" -s "$1" | jq -r '[.vms[] | "\(.name),\(.memory)"] | join(" ")'; }
check "top -s MEMORY:asc" test "$(names_by asc "$(topsort MEMORY:asc)")" = "alpha gamma beta"
check "top -s MEMORY:desc" test "$(names_by desc "$(topsort MEMORY:desc)")" = "beta gamma alpha"
want=$("$cli" list -n -r -b -o ID,NAME,MEMORY --vm beta)
check "top -o ID,NAME,MEMORY: those columns ($want)" \
	test "$(top -n -r -o ID,NAME,MEMORY -b --vm beta)" = "$want"
check "top -o NAME,UUID -J: those keys" \
	test "$(top -J -o NAME,UUID --vm beta | jq -c '.vms')" = "[{\"name\":\"beta\",\"uuid\":\"$u\"}]"

# export: only the VMs selected; name and uuid on memvirt_vm_info only
"$cli" export --comm 'memvirt-vmm*' --vm "$u" > "$tmp/x.prom"
check "export --vm UUID: one VM's info and memory" \
	test "$(grep -c '^memvirt_vm_info{' "$tmp/x.prom") $(grep -c '^memvirt_vm_memory_bytes{' "$tmp/x.prom")" = "1 1"
check "export: memvirt_vm_info has name and uuid" \
	grep -q "^memvirt_vm_info{vm=\"$id_2\",pid=\"$pid_2\",comm=\"memvirt-vmm-b\",name=\"beta\",uuid=\"$u\"," "$tmp/x.prom"
check "export: no name label on other series" \
	bash -c "! grep -v '^memvirt_vm_info' '$tmp/x.prom' | grep -q 'name=\"beta\"'"
check "export --pid: that VM only" \
	test "$("$cli" export --pid "$pid_1" | sed -n 's/^memvirt_vm_memory_bytes{vm="\([^"]*\)".*/\1/p')" = "$id_1"

# faults: the VMs touch new pages once the probes are attached (after the
# first interval); --vm/--comm/-s/-o on its table and JSON.
# faults_run FILE ARGS...: faults -i 1 -d 5 ARGS into FILE, touching new pages
# of each VM (slot offset $1 MiB, 256/1024/512 pages) after the first interval.
faults_run() {
	local out=$1 mib=$2
	shift 2
	"$cli" faults -i 1 -d 5 "$@" > "$out" 2> "$tmp/ferr" &
	local fpid=$!
	for _ in $(seq 300); do grep -q 'lost' "$out" 2>/dev/null && break; sleep 0.1; done
	echo "touch 0,$((mib << 20)),256,4096,w" >&11
	echo "touch 0,$((mib << 20)),1024,4096,w" >&12
	echo "touch 0,$((mib << 20)),512,4096,w" >&13
	wait $fpid
}
if "$cli" faults -d 0.1 > /dev/null 2>&1; then
	faults_run "$tmp/f.json" 2 -J "${ours[@]}"
	got=$(jq -r '.vms[] | select(.faults > 0) | "\(.id)=\(.name)"' "$tmp/f.json" | sort -u | paste -sd' ')
	echo "# faults --comm: VMs with faults: $got"
	check "faults --comm: the three VMs, named" test "$got" = "$(sorted "$id_1=alpha" "$id_2=beta" "$id_3=gamma")"
	faults_run "$tmp/f.txt" 8 -r -n -o NAME,FAULTS/s --vm beta --vm "$id_3" -s FAULTS/s:asc
	sed 's/^/# /' "$tmp/f.txt"
	# Per interval (blocks end at "lost:"): only beta and gamma, 2 columns,
	# rates ascending; and one interval in which both faulted.
	verdict=$(awk '
		$1 == "lost:" { if (n == 2 && v[1] > 0 && v[2] > 0) both = 1; n = 0; next }
		NF == 0 || /^\(/ { next }
		NF != 2 || ($1 != "beta" && $1 != "gamma") { bad = "row: " $0 }
		{ n++; v[n] = $2; if (n > 1 && v[n] + 0 < v[n - 1] + 0) bad = "order: " $0 }
		END { print bad ? bad : both ? "ok" : "no interval with both" }' "$tmp/f.txt")
	echo "# $verdict"
	check "faults --vm NAME --vm ID -s FAULTS/s:asc -o NAME,FAULTS/s" test "$verdict" = ok
	faults_run "$tmp/t.json" 12 -J --trace --vm gamma
	tid=$(jq -r 'select(.trace) | .trace.id' "$tmp/t.json" | sort -u | paste -sd' ')
	events=$(jq -r 'select(has("gpa")) | .id' "$tmp/t.json" | wc -l)
	echo "# faults --trace --vm gamma: traced $tid, $events events (gamma touched 512 new pages, alpha 256, beta 1024)"
	check "faults --trace --vm NAME: that VM's id, its 512 faults and no other VM's" \
		test "$tid" = "$id_3" -a "$events" -ge 512 -a "$events" -lt 768
else
	ok "faults --comm # SKIP faults cannot attach here (no BTF or not root)"
	ok "faults --vm -s -o # SKIP faults cannot attach here"
	ok "faults --trace --vm NAME # SKIP faults cannot attach here"
fi

# Not UTF-8: the comm "vmm<ff><fe>-x" (prctl) and the name "n<c3>(" (a
# lead byte without its continuation). JSON wants UTF-8: each byte that
# starts no valid sequence is U+FFFD.
start 5 --comm "$(printf 'vmm\xff\xfe-x')" --id "$(printf 'n\xc3(')" \
	--slot gpa=0x100000,size=2M,backing=nothp
r=$(printf '\xef\xbf\xbd')
# utf8_json FILE: valid UTF-8, parsed by jq, with that comm and name.
utf8_json() {
	local got
	iconv -f UTF-8 -t UTF-8 "$1" > /dev/null || return 1
	got=$(jq -r "${2:-.}"' | "\(.comm)|\(.name)"' "$1") || return 1
	echo "# $got"
	test "$got" = "vmm$r$r-x|n$r("
}
"$cli" list -J --pid "$pid_5" -o ID,COMM,NAME > "$tmp/u-list.json"
check "list -J: a comm and name not UTF-8 come out valid UTF-8, bad bytes U+FFFD" \
	utf8_json "$tmp/u-list.json" '.vms[0]'
"$cli" show -J "$id_5" > "$tmp/u-show.json"
check "show -J: the same comm and name" utf8_json "$tmp/u-show.json"
top -J --pid "$pid_5" -o ID,COMM,NAME > "$tmp/u-top.json"
check "top -J: the same comm and name" utf8_json "$tmp/u-top.json" '.vms[0]'
kill "$pid_5"; wait "$pid_5" 2>/dev/null; pid_5=

[ "$failed" -eq 0 ]
