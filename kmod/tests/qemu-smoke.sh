#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of memvirt.ko, run as root inside a test guest:
#   selftests/qemu/run-vm.sh KVER kmod/tests/qemu-smoke.sh
# Uses memvirt-vmm (copied to $BUILD/kmod-test) and the ynl CLI of the Linux
# sources. Checks a VM created before insmod, the do/dump paths, errors with
# their extack messages, a dump of many VMs, rmmod with live VMs and dmesg.
set -u

top=${MEMVIRT_TOP:-/work/main}
build=${BUILD:-$top/.build}
kver=$(uname -r)
ko=$build/$kver/src/kmod/memvirt.ko
vmm=$build/kmod-test/memvirt-vmm
[ -r /tmp/smoke.env ] && . /tmp/smoke.env
nvms=${MEMVIRT_SMOKE_VMS:-1000}
ynl() {
	/usr/bin/python3 "$build/linux-source/tools/net/ynl/cli.py" \
		--spec "$top/Documentation/netlink/specs/memvirt.yaml" --no-schema "$@"
}
fail=0
check() {	# check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then echo "ok - $d"; else echo "NOT OK - $d"; fail=1; fi
}

echo "memvirt-smoke: start" > /dev/kmsg
cd /tmp || exit 1

# A VM that exists before the module is loaded: 2 vCPUs, 16M with 100
# pages touched, 2M with dirty logging.
mkfifo in1
"$vmm" --vcpus 2 --slot gpa=0x100000,size=16M \
	--slot gpa=0x2000000,size=2M,flags=dirty --touch 0,0,100,4096,w < in1 > out1 2>&1 &
exec 7> in1
for i in $(seq 50); do grep -q ready out1 && break; sleep 0.2; done
cat out1
id=$(awk '/^vm /{ print $2; exit }' out1)

check "insmod" insmod "$ko"
ynl --dump vm-get > dump1 2>&1
cat dump1
check "dump lists the old VM" grep -q "'id': '$id'" dump1
ynl --do vm-get --json "{\"id\": \"$id\"}" > do1 2>&1
cat do1
dbg=/sys/kernel/debug/kvm/$id
echo "debugfs pages_4k=$(cat $dbg/pages_4k) pages_2m=$(cat $dbg/pages_2m)"
check "map-4k equals debugfs pages_4k" grep -q "'map-4k': $(cat $dbg/pages_4k)," do1
check "vcpus-online 2" grep -q "'vcpus-online': 2," do1
check "mem-bytes 16M + 2M + code page" grep -q "'mem-bytes': 18878464," do1
check "dirty bitmaps of a 2M slot" grep -q "'dirty-bitmap-bytes': 128," do1
ynl --dump memslot-get --json "{\"vm-id\": \"$id\"}" > slots1 2>&1
cat slots1

# Errors carry an errno and an extack message.
ynl --do vm-get --json '{"id": "99999-3"}' > e1 2>&1
cat e1
check "unknown id: ENOENT + extack" grep -q "no such VM" e1
ynl --do vm-get > e2 2>&1
cat e2
check "missing id: EINVAL + extack" grep -q "needs MEMVIRT_A_VM_ID" e2
ynl --dump memslot-get --json '{"vm-id": "bogus"}' > e3 2>&1
cat e3
check "unknown slot filter: ENOENT" grep -q "error: -2" e3
# Linux 6.1 has no extack in a dump's start callback: errno only there.
[ "$(uname -r | cut -d. -f1-2)" = 6.1 ] ||
	check "unknown slot filter: extack" grep -q "no such VM" e3
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	/usr/bin/python3 "$build/linux-source/tools/net/ynl/cli.py" \
	--spec "$top/Documentation/netlink/specs/memvirt.yaml" --no-schema \
	--dump vm-get > e4 2>&1
cat e4
check "unprivileged dump: EPERM" grep -q "error: -1" e4
[ "$(uname -r | cut -d. -f1-2)" = 6.1 ] ||
	check "unprivileged dump: extack" grep -q "need CAP_NET_ADMIN" e4
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	/usr/bin/python3 "$build/linux-source/tools/net/ynl/cli.py" \
	--spec "$top/Documentation/netlink/specs/memvirt.yaml" --no-schema \
	--do vm-get --json "{\"id\": \"$id\"}" > e5 2>&1
cat e5
check "unprivileged do: EPERM + extack" grep -q "need CAP_NET_ADMIN" e5

# Many VMs: one dump over many messages, each VM once, ordered.
ulimit -n 8192
"$vmm" --vms "$nvms" --no-stdin > outn 2>&1 &
vmmpid=$!
for i in $(seq 600); do grep -q ready outn && break; sleep 0.5; done
tail -n 1 outn
t0=$(date +%s.%N)
ynl --dump vm-get --output-json > dumpn 2>&1
t1=$(date +%s.%N)
python3 - "$nvms" <<'PY'
import json, sys
vms = json.load(open("dumpn"))
ids = [v["id"] for v in vms]
keys = [tuple(map(int, i.split("-"))) for i in ids]
print("dumped", len(ids), "VMs, unique", len(set(ids)), "sorted", keys == sorted(keys))
sys.exit(0 if len(ids) == len(set(ids)) == int(sys.argv[1]) + 1 and keys == sorted(keys) else 1)
PY
check "dump of $nvms+1 VMs complete, unique, ordered" [ $? -eq 0 ]
echo "dump took $(echo "$t1 - $t0" | bc) s"
ynl --dump memslot-get --output-json > slotsn 2>&1
check "memslot dump of all VMs" python3 -c "import json; s = json.load(open('slotsn')); print(len(s), 'slots'); exit(len(s) != $nvms + 3)"

# Unload while VMs are alive, reload, unload again.
check "rmmod with live VMs" rmmod memvirt
check "insmod again" insmod "$ko"
check "rmmod again" rmmod memvirt
kill "$vmmpid"
echo quit >&7
wait

dmesg | sed -n '/memvirt-smoke: start/,$p' > kmsg
if grep -E "BUG|WARNING|Oops|refcount|Call Trace" kmsg; then
	echo "NOT OK - kernel log"
	fail=1
else
	echo "ok - kernel log clean"
fi
grep memvirt kmsg
exit $fail
