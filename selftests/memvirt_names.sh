#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# VM names and the options every verb shares. The command-line parser on
# canned command lines of each VMM memvirt knows (memvirt __vmname); then
# three memvirt-vmm VMs of 16M, 64M and 32M, named by --id (Firecracker's
# option) and one by --uuid, one of them run from a copy of the binary with
# another comm: list, top --batch, faults and export must each show exactly
# the VMs --vm (id, name, UUID), --pid and --comm select, -s must order them
# by the column's values both ways, -o must pick top's and faults' columns,
# and an ambiguous name must fail naming both candidates. TAP; exit 4
# (KSFT_SKIP) without the CLI, the VMM, the module, /dev/kvm or jq.
. "$(dirname "$0")/lib.sh"
require_vm_env
command -v jq > /dev/null || skip_all "jq not installed"

echo "1..38"

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
stop_all() { for k in 1 2 3; do eval "[ -n \"\${pid_$k:-}\" ] && kill \$pid_$k" 2>/dev/null; done; cleanup; }
trap stop_all EXIT
start 1 --id alpha --slot gpa=0x100000,size=16M
start 2 --copy --id beta --uuid "$u" --slot gpa=0x100000,size=64M
start 3 --id gamma --slot gpa=0x100000,size=32M
echo "# VMs: $id_1 alpha 16M, $id_2 beta $u 64M (comm memvirt-vmm-b), $id_3 gamma 32M"
ours="--comm memvirt-vmm*"

# ids ARGS...: the ids list ARGS shows, sorted, one line.
ids() { "$cli" list -r -n -o ID "$@" | sort | paste -sd' '; }
sorted() { printf '%s\n' "$@" | sort | paste -sd' '; }

"$cli" list -J $ours -o ID,NAME,UUID,PID,COMM > "$tmp/list.json"
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

# order ARGS...: the MEMORY column (bytes) of list ARGS, one line.
order() { "$cli" list -r -n -b -o MEMORY $ours "$@" | paste -sd' '; }
check "list -s MEMORY:asc: ascending by bytes" test "$(order -s MEMORY:asc)" = "16777216 33554432 67108864"
check "list -s memory:desc: descending" test "$(order -s memory:desc)" = "67108864 33554432 16777216"
check "list -s MEMORY: numbers largest first" test "$(order -s MEMORY)" = "67108864 33554432 16777216"
check "list -J -s NAME:desc: JSON sorted too" \
	test "$("$cli" list -J $ours -s NAME:desc | jq -r '[.vms[].name] | join(" ")')" = "gamma beta alpha"
check "list -s NOSUCH is a usage error (exit 2)" \
	bash -c "'$cli' list -s NOSUCH > /dev/null 2>&1; [ \$? -eq 2 ]"

# show by name and UUID; two VMs named alike
check "show NAME is that VM" \
	test "$("$cli" show -J gamma | jq -r '"\(.id) \(.name)"')" = "$id_3 gamma"
check "show UUID is that VM" \
	test "$("$cli" show -J "$u" | jq -r '"\(.id) \(.uuid)"')" = "$id_2 $u"
start 4 --id alpha --slot gpa=0x100000,size=8M
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
top() { "$cli" top --batch --no-faults -i 0.2 -d 0.3 "$@" 2>/dev/null; }
check "top --vm NAME --vm UUID: only those" \
	test "$(top -J --vm alpha --vm "$u" | jq -r '.vms[].id' | sort | paste -sd' ')" = "$(sorted "$id_1" "$id_2")"
check "top --pid" test "$(top -J --pid "$pid_3" | jq -r '.vms[].id' | paste -sd' ')" = "$id_3"
check "top -s MEMORY:asc" \
	test "$(top -J $ours -s MEMORY:asc | jq -r '[.vms[].memory] | join(" ")')" = "16777216 33554432 67108864"
check "top -s MEMORY:desc" \
	test "$(top -J $ours -s MEMORY:desc | jq -r '[.vms[].memory] | join(" ")')" = "67108864 33554432 16777216"
check "top -o ID,NAME,MEMORY: those columns" \
	test "$(top -n -r -o ID,NAME,MEMORY -b --vm beta)" = "$id_2 beta 67108864"
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

# faults: the VMs touch memory while faults runs; --vm/--comm/-s/-o on its table
if "$cli" faults -d 0.1 > /dev/null 2>&1; then
	"$cli" faults -i 3 -d 3 -J $ours -o ID,NAME,FAULTS/s > "$tmp/f.json" 2> "$tmp/ferr" &
	fpid=$!
	sleep 1
	echo "touch 0,0,512,4096,w" >&11
	echo "touch 0,0,1024,4096,w" >&12
	echo "touch 0,0,256,4096,w" >&13
	wait $fpid
	got=$(jq -r '[.vms[] | "\(.id)=\(.name)"] | sort | join(" ")' "$tmp/f.json" | tail -1)
	echo "# faults: $got"
	check "faults --comm: the three VMs, named" test "$got" = "$(sorted "$id_1=alpha" "$id_2=beta" "$id_3=gamma")"
	"$cli" faults -i 3 -d 3 -r -n -o NAME,FAULTS/s --vm beta --vm gamma -s FAULTS/s:asc > "$tmp/f.txt" 2>/dev/null &
	fpid=$!
	sleep 1
	echo "touch 0,8388608,1024,4096,w" >&12
	echo "touch 0,8388608,512,4096,w" >&13
	echo "touch 0,8388608,512,4096,w" >&11
	wait $fpid
	sed 's/^/# /' "$tmp/f.txt"
	check "faults --vm --vm -s FAULTS/s:asc -o NAME,FAULTS/s" \
		bash -c "[ \"\$(awk '\$1 != \"lost:\" && NF == 2 { print \$1 }' '$tmp/f.txt' | paste -sd' ')\" = 'gamma beta' ] &&
			 awk '\$1 != \"lost:\" && NF == 2 { print \$2 }' '$tmp/f.txt' | sort -c -g"
else
	ok "faults --comm # SKIP faults cannot attach here (no BTF or not root)"
	ok "faults --vm -s -o # SKIP faults cannot attach here"
fi

[ "$failed" -eq 0 ]
