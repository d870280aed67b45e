#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# memvirt against a real VMM: QEMU -enable-kvm, a pc machine running SeaBIOS
# (no disk: it stops at "no bootable device"). QEMU's own view of guest
# memory, the flat views of its address spaces read over QMP ("info mtree
# -f"), is the truth: every RAM or ROM range of "memory" must be a memslot of
# address space 0 and every one of "KVM-SMRAM" a memslot of address space 1,
# ROM read-only, and nothing else. Then the VM's identity as QEMU started it
# (pid, comm, vCPUs, and the -name/-uuid QEMU reports over its monitor),
# its mappings as KVM's debugfs counts them, and its end with QEMU. TAP; exit
# 4 (KSFT_SKIP) if QEMU, the CLI, jq or the module is missing.
. "$(dirname "$0")/lib/lib.sh"
[ -n "$cli" ] || skip_all "memvirt CLI not found (build user/ or put it in PATH)"
[ -d /sys/module/memvirt ] || skip_all "memvirt module not loaded"
[ -c /dev/kvm ] || skip_all "no /dev/kvm"
command -v jq > /dev/null || skip_all "jq not installed"
qemu=$(command -v qemu-system-x86_64) || skip_all "qemu-system-x86_64 not installed"
py=/usr/bin/python3
[ -x $py ] || skip_all "python3 not installed"
mem_mib=128 vcpus=2

# qmp CMD: the output of the human monitor command CMD, over QEMU's QMP socket.
qmp() {
	$py - "$tmp/qmp.sock" "$1" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile('rw')
def call(cmd, **args):
    f.write(json.dumps({'execute': cmd, 'arguments': args}) + '\n')
    f.flush()
    while True:
        r = json.loads(f.readline())
        if 'return' in r or 'error' in r:
            return r
json.loads(f.readline())                      # greeting
call('qmp_capabilities')
r = call('human-monitor-command', **{'command-line': sys.argv[2]})
sys.stdout.write(r.get('return', ''))
sys.exit('error' in r)
EOF
}

# The RAM and ROM ranges of QEMU's flat views, "<as> <gpa> <size> ro|rw" per
# line: AS "memory" is KVM's address space 0 and "KVM-SMRAM" its address space
# 1 (SMM). A flat range shows the access of the view ("rom" for RAM that PAM
# made read-only), but QEMU asks KVM for a read-only slot only when the
# memory region behind the range is itself a ROM: so ro/rw comes from the
# region's own type in the full tree ($tmp/tree, "info mtree").
flat_ranges() {
	$py -c '
import re, sys
own = {}
for line in open(sys.argv[1]):
    # "(prio 0, ram): pc.ram" or "(prio 1, ram): alias pam-rom @pc.ram ...":
    # in the tree an alias shows the type of the region it points to.
    m = re.search(r"\(prio -?\d+, (\w+)\): (?:alias [^ ]+ @)?([^ ]+)", line)
    if m:
        own.setdefault(m.group(2), m.group(1))
space = None
for line in sys.stdin:
    if line.startswith("FlatView"):
        space = None
    m = re.match(r" AS \"(memory|KVM-SMRAM)\"", line)
    if m:
        space = 0 if m.group(1) == "memory" else 1
    m = re.match(r"\s+([0-9a-f]+)-([0-9a-f]+) \(prio -?\d+, (ram|rom|romd)\): ([^ ]+)", line)
    if m and space is not None:
        lo, hi = int(m.group(1), 16), int(m.group(2), 16)
        ro = own.get(m.group(4), m.group(3)) in ("rom", "romd")
        print(space, lo, hi - lo + 1, "ro" if ro else "rw")
' "$tmp/tree" | sort -n -k1,1 -k2,2
}

echo "1..10"
qname=memvirt-q1 quuid=5e1f0c2a-7b3d-4e8f-9a01-23456789abcd
"$qemu" -enable-kvm -cpu host -machine pc -m $mem_mib -smp $vcpus -nodefaults \
	-name guest=$qname,debug-threads=on -uuid $quuid \
	-no-user-config -display none -serial none -boot reboot-timeout=-1 -no-reboot \
	-qmp "unix:$tmp/qmp.sock,server=on,wait=off" > "$tmp/qemu.log" 2>&1 &
qpid=$!
trap 'kill $qpid 2>/dev/null; cleanup' EXIT

# The VM by its VMM's pid; SeaBIOS reshapes the low slots while it runs (PAM),
# so wait until the slots stay the same for two seconds.
id= prev= same=0
for _ in $(seq 60); do
	sleep 1
	kill -0 $qpid 2>/dev/null || break
	[ -n "$id" ] || id=$("$cli" list -J | jq -r --argjson p $qpid '.vms[] | select(.pid == $p) | .id')
	[ -n "$id" ] || continue
	cur=$("$cli" show "$id" -J | jq -c '[.. | objects | select(has("gpa")) | [.as, .gpa, .size, .flags]]')
	if [ "$cur" = "$prev" ]; then
		same=$((same + 1))
		[ $same -ge 2 ] && break
	else
		same=0 prev=$cur
	fi
done
sed 's/^/# qemu: /' "$tmp/qemu.log"
[ -n "$id" ] || { not_ok "QEMU's VM is listed"; exit 1; }
echo "# QEMU pid $qpid is VM $id"

"$cli" show "$id" -J > "$tmp/show.json"
"$cli" list -J -o ID,PID,COMM,VCPUS,MEMORY |
	jq --arg id "$id" '.vms[] | select(.id == $id)' > "$tmp/list.json"
want="$qpid qemu-system-x86 $vcpus"
got=$(jq -r '"\(.pid) \(.comm) \(.vcpus)"' "$tmp/list.json")
echo "# list: $got"
check "VM listed with QEMU's pid, comm and its $vcpus vCPUs" test "$got" = "$want"

# The VM's name and UUID: QEMU's own answer over its monitor is the truth.
qn=$(qmp "info name" | tr -d '\r')
qu=$(qmp "info uuid" | tr -d '\r')
got=$("$cli" list -J -o ID,NAME,UUID | jq -r --arg id "$id" '.vms[] | select(.id == $id) | "\(.name) \(.uuid)"')
echo "# QEMU: '$qn' '$qu'; memvirt list: $got"
check "list: name and uuid are QEMU's (info name, info uuid)" \
	test "$got" = "$qname $quuid" -a "$qn" = "$qname" -a "$qu" = "$quuid"
check "show NAME and show UUID are QEMU's VM" \
	test "$("$cli" show -J $qname | jq -r .id) $("$cli" show -J $quuid | jq -r .id)" = "$id $id"
check "export: memvirt_vm_info carries name and uuid" \
	bash -c "'$cli' export --vm $qname | grep -q '^memvirt_vm_info{vm=\"$id\",pid=\"$qpid\",comm=\"qemu-system-x86\",name=\"$qname\",uuid=\"$quuid\",'"
if [ -x "$vmm" ]; then
	vmm_start --id $qname --slot gpa=0x100000,size=8M
	"$cli" show $qname > /dev/null 2> "$tmp/amb"
	rc=$?
	sed 's/^/# /' "$tmp/amb"
	check "show of a name QEMU and another VMM share fails, listing both" \
		bash -c "[ $rc -eq 1 ] && grep -q -- '$id' '$tmp/amb' && grep -q -- '$vm_id' '$tmp/amb'"
	vmm_quit
else
	ok "ambiguous name # SKIP memvirt-vmm not found (set MEMVIRT_VMM)"
fi

qmp "info mtree" > "$tmp/tree" && qmp "info mtree -f" > "$tmp/mtree" ||
	echo "# QMP failed: $(head -c 200 "$tmp/mtree")"
flat_ranges < "$tmp/mtree" > "$tmp/qemu.slots"
jq -r '.. | objects | select(has("gpa")) | "\(.as) \(.gpa) \(.size) \(if ((.flags // []) | index("readonly")) then "ro" else "rw" end)"' \
	"$tmp/show.json" | sort -n -k1,1 -k2,2 > "$tmp/memvirt.slots"
echo "# QEMU flat views (as gpa size ro/rw) | memvirt memslots:"
paste -d'|' "$tmp/qemu.slots" "$tmp/memvirt.slots" | sed 's/^/#   /'
check "memslots are QEMU's RAM/ROM flat ranges, both address spaces, ROM regions read-only" \
	bash -c "[ -s '$tmp/qemu.slots' ] && cmp -s '$tmp/qemu.slots' '$tmp/memvirt.slots'"
check "the SMM address space is there (pc machine, KVM with SMM)" \
	grep -q '^1 ' "$tmp/memvirt.slots"

ram=$(awk '$1 == 0 { s += $3 } END { printf "%d\n", s }' "$tmp/qemu.slots")
memory=$(jq -r .memory "$tmp/list.json")
echo "# guest memory: memvirt $memory, QEMU's RAM and ROM in address space 0 $ram (-m ${mem_mib}M)"
check "guest memory is address space 0 counted once: QEMU's RAM and ROM" \
	test "$memory" = "$ram" -a "$ram" -gt $((mem_mib << 20))

# Both reads back to back, a few times: SeaBIOS may still be at work.
for try in $(seq 10); do
	got=$("$cli" list -J -o ID,MAP-4K,MAP-2M,MAP-1G | jq -r --arg id "$id" \
		'.vms[] | select(.id == $id) | "\(.map_4k) \(.map_2m) \(.map_1g)"')
	dbg=$(cat "/sys/kernel/debug/kvm/$id/pages_4k" "/sys/kernel/debug/kvm/$id/pages_2m" \
		"/sys/kernel/debug/kvm/$id/pages_1g" 2>/dev/null | paste -sd' ')
	[ -n "$dbg" ] && [ "$got" = "$dbg" ] && break
	sleep 0.5
done
echo "# debugfs pages_4k/2m/1g: $dbg; memvirt: $got (try $try)"
check "mappings by size equal KVM's debugfs" test -n "$dbg" -a "$got" = "$dbg"

qmp quit > /dev/null 2>&1 || kill $qpid
wait $qpid 2>/dev/null
gone=no
for _ in $(seq 50); do
	"$cli" list -r -n -o ID | grep -qx -- "$id" || { gone=yes; break; }
	sleep 0.1
done
check "the VM is gone once QEMU has quit" test $gone = yes

[ "$failed" -eq 0 ]
