#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Who sees what. A caller sees a VM only if it could read its VMM's
# /proc/PID/maps; pids are those of the caller's pid namespace, and VMs
# whose VMM is not in it are left out; another network namespace has no
# memvirt family at all. Checked with root's VM against uid 65534, a process
# with only CAP_NET_ADMIN, a new user namespace, new pid namespaces and a new
# network namespace, and with a VM of uid 65534 that it, and only it and
# root, sees. TAP; exit 4 (KSFT_SKIP) if a tool is missing.
. "$(dirname "$0")/lib/lib.sh"
require_vm_env
for t in setpriv unshare jq; do
	command -v $t > /dev/null || skip_all "$t not installed"
done

echo "1..12"
vmm_start --vcpus 1 --slot gpa=0x100000,size=2M,backing=nothp --touch 0,0,4,4096,w
root_id=$vm_id
echo "# root's VM $root_id (pid $vm_pid)"

# The ids of `memvirt list -J` on one line; the command's exit code is kept.
ids() {
	local out rc
	out=$(timeout 60 "$@" 2> "$tmp/ids.err")
	rc=$?
	echo "$out" | jq -r '.vms[].id' 2>/dev/null | sort | tr '\n' ' '
	return $rc
}
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

got=$(ids "$cli" list -J)
check "root sees its VM" grep -qw -- "$root_id" <<< "$got"

got=$(ids "${nobody[@]}" "$cli" list -J)
rc=$?
echo "# uid 65534: [$got] rc $rc $(cat "$tmp/ids.err")"
check "uid 65534 sees none of root's VMs (and is not refused)" \
	test $rc -eq 0 -a -z "$got"

caps=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_admin \
	--ambient-caps=+net_admin sh -c 'sed -n "s/^CapEff:\t//p" /proc/self/status')
got=$(ids setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+net_admin \
	--ambient-caps=+net_admin "$cli" list -J)
echo "# uid 65534 with CapEff $caps (CAP_NET_ADMIN is bit 12): [$got]"
check "CAP_NET_ADMIN alone shows no VM" \
	test "$caps" = 0000000000001000 -a -z "$got"

got=$(ids "${nobody[@]}" unshare --user --map-root-user "$cli" list -J)
echo "# uid 65534 as root of a new user namespace: [$got]"
check "root of a new user namespace sees none of the host's VMs" test -z "$got"

got=$(ids unshare --pid --fork "$cli" list -J)
echo "# root in a new pid namespace: [$got]"
check "a new pid namespace sees no VMM outside it" test -z "$got"

# A VMM inside a new pid namespace: there it is pid 2 (the shell is 1). It
# reads its commands from a fifo, so closing our end ends it and the
# namespace with it.
mkfifo "$tmp/ns.in"
timeout 60 unshare --pid --fork sh -c '
	"$1" --vcpus 1 --slot gpa=0x100000,size=1M < "$2/ns.in" > "$2/ns.vmm" 2>&1 &
	pid=$!
	for i in $(seq 100); do grep -q "^ready" "$2/ns.vmm" && break; sleep 0.1; done
	echo $pid > "$2/ns.pid"
	"$3" list -J > "$2/ns.list"
	echo go > "$2/ns.ready"
	wait $pid
' sh "$vmm" "$tmp" "$cli" > /dev/null 2>&1 &
nsjob=$!
exec 4<> "$tmp/ns.in"	# read-write: never blocks
for _ in $(seq 150); do [ -s "$tmp/ns.ready" ] && break; sleep 0.1; done
# The VMM prints an id made of its own pid; KVM names the VM with the
# host's pid. Inside, the one VM listed must be it, with the inner pid.
ns_id=$(jq -r '.vms[0].id // empty' "$tmp/ns.list" 2>/dev/null)
nvms=$(jq -r '.vms | length' "$tmp/ns.list" 2>/dev/null)
inner=$(jq -r '.vms[0].pid // empty' "$tmp/ns.list" 2>/dev/null)
outer=$(timeout 30 "$cli" list -J | jq -r --arg id "$ns_id" '.vms[] | select(.id == $id) | .pid')
global=${ns_id%-*}
echo "# VM $ns_id: pid $inner inside (its shell says $(cat "$tmp/ns.pid" 2>/dev/null)), $outer outside; $nvms VM(s) inside"
check "inside a pid namespace: its VM alone, with the namespace's pid" \
	test -n "$ns_id" -a "$nvms" = 1 -a "$inner" = "$(cat "$tmp/ns.pid" 2>/dev/null)"
check "outside: the same VM with the host's pid" \
	test -n "$outer" -a "$outer" = "$global" -a "$outer" != "$inner"
echo quit >&4
exec 4>&-
wait $nsjob 2>/dev/null

out=$(timeout 60 unshare --net "$cli" list 2>&1)
rc=$?
echo "# new network namespace: rc $rc: $out"
check "a new network namespace has no family, and says so" \
	test $rc -ne 0 -a -n "$(echo "$out" | grep -i 'network namespace')"

# A user's own VM: /dev/kvm opened up for the test, as many distros do.
mode=$(stat -c %a /dev/kvm)
chmod 666 /dev/kvm
"${nobody[@]}" "$vmm" --vcpus 1 --slot gpa=0x100000,size=2M,backing=nothp \
	--touch 0,0,8,4096,w --no-stdin > "$tmp/own.vmm" 2>&1 &
own_pid=$!	# setpriv execs the VMM: the same process
for _ in $(seq 100); do grep -q '^ready' "$tmp/own.vmm" && break; sleep 0.1; done
own_id=$(sed -n 's/^vm //p' "$tmp/own.vmm")
chmod "$mode" /dev/kvm
echo "# uid 65534's VM $own_id (pid $own_pid)"

got=$(ids "${nobody[@]}" "$cli" list -J)
echo "# uid 65534 sees [$got]"
check "uid 65534 sees exactly its own VM" test -n "$own_id" -a "$got" = "$own_id "
got=$(ids setpriv --reuid=65533 --regid=65533 --clear-groups "$cli" list -J)
check "another user sees none of them" test -z "$got"
got=$(ids "$cli" list -J)
check "root sees both" bash -c "grep -qw -- '$root_id' <<< '$got' && grep -qw -- '$own_id' <<< '$got'"
"${nobody[@]}" "$cli" show "$own_id" > "$tmp/own.show" 2>&1
check "uid 65534: show of its own VM" test $? -eq 0
kill "$own_pid" 2>/dev/null
wait "$own_pid" 2>/dev/null

[ "$failed" -eq 0 ]
