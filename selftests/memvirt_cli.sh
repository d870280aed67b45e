#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The memvirt CLI against VMs of memvirt-vmm: list and show report the
# identity and memory the test gave them. TAP; exit 4 (KSFT_SKIP) if the
# CLI, the helper or the module is missing.
. "$(dirname "$0")/lib/lib.sh"
require_vm_env

echo "1..12"
vmm_start --vcpus 2 --slot gpa=0x100000,size=4M,backing=nothp \
	--slot gpa=0x1000000,size=2M,backing=memfd --touch 0,0,10,4096,w
id=$vm_id vmm_pid=$vm_pid
mem=$((4096 + (4 << 20) + (2 << 20)))
echo "# VM $id, pid $vmm_pid"

line=$("$cli" list -r -n -b -o ID,PID,COMM,VCPUS,MEMORY | awk -v id="$id" '$1 == id')
echo "# list: $line"
check "list shows the VM" test -n "$line"
check "list: pid, comm, vCPUs, memory" test "$line" = "$id $vmm_pid memvirt-vmm 2 $mem"

if command -v jq > /dev/null; then
	got=$("$cli" list -J | jq -r --arg id "$id" '.. | objects | select(.id? == $id) | "\(.pid) \(.memory)"' 2>/dev/null | head -n 1)
	check "list --json: pid and memory in bytes" test "$got" = "$vmm_pid $mem"
else
	ok "list --json # SKIP jq not installed"
fi

"$cli" show "$id" > "$tmp/show" 2>&1
check "show <id> succeeds" test $? -eq 0
check "show names the VM" grep -q -- "$id" "$tmp/show"
! "$cli" show 2147483647-1000 > /dev/null 2>&1
check "show of an unknown VM fails" test $? -eq 0

vmm_quit
check "VM gone from list after its VMM quit" \
	bash -c "! '$cli' list -r -n -o ID | grep -qx -- '$id'"

# faults that cannot work: exit 1 and one line on stderr naming the cause.
# one_line FILE RC PATTERN: exit 1, one line, matching PATTERN.
one_line() {
	echo "# exit $2: $(cat "$1")"
	test "$2" -eq 1 -a "$(wc -l < "$1")" -eq 1 -a -n "$(grep -E -- "$3" "$1")"
}
# Not root, for real: the BPF load is refused.
setpriv --reuid=65534 --regid=65534 --clear-groups "$cli" faults -d 1 > /dev/null 2> "$tmp/f.err"
check "faults as uid 65534: one line, permission denied, CAP_BPF and CAP_PERFMON" \
	one_line "$tmp/f.err" $? 'permission denied.*CAP_BPF and CAP_PERFMON'
# Lockdown and a kvm without BTF cannot be had in this guest: fake sysfs
# trees (MEMVIRT_SYSFS_ROOT) check what memvirt decides from those files.
mkdir -p "$tmp/sys-ld/kernel/security" "$tmp/sys-btf/module/kvm" "$tmp/sys-btf/kernel/btf"
echo "none integrity [confidentiality]" > "$tmp/sys-ld/kernel/security/lockdown"
touch "$tmp/sys-btf/module/kvm/initstate" "$tmp/sys-btf/kernel/btf/vmlinux"
MEMVIRT_SYSFS_ROOT=$tmp/sys-ld "$cli" faults -d 1 > /dev/null 2> "$tmp/f.err"
check "faults under lockdown=confidentiality (fake sysfs): one line saying so" \
	one_line "$tmp/f.err" $? 'lockdown=confidentiality blocks BPF reads'
MEMVIRT_SYSFS_ROOT=$tmp/sys-btf "$cli" faults -d 1 > /dev/null 2> "$tmp/f.err"
check "faults with a modular kvm without BTF (fake sysfs): one line saying so" \
	one_line "$tmp/f.err" $? 'no BTF for kvm \(/sys/kernel/btf/kvm\)'

# Without the module: one line that says what to run, exit 1. This guest
# has no memvirt.ko under /lib/modules, so the fix is insmod from a checkout;
# where only signed modules load (a fake sig_enforce), DKMS's signing key.
mkdir -p "$tmp/sys-sig/module/module/parameters"
echo Y > "$tmp/sys-sig/module/module/parameters/sig_enforce"
if [ -n "${MEMVIRT_KO:-}" ] && rmmod memvirt 2> /dev/null; then
	"$cli" list > /dev/null 2> "$tmp/nomod"
	rc=$?
	MEMVIRT_SYSFS_ROOT=$tmp/sys-sig "$cli" list > /dev/null 2> "$tmp/nomod-sig"
	rc_sig=$?
	insmod "$MEMVIRT_KO"
	echo "# without the module (exit $rc): $(cat "$tmp/nomod")"
	check "without memvirt.ko: exit 1 and one line saying to insmod it" \
		test "$rc" -eq 1 -a "$(wc -l < "$tmp/nomod")" -eq 1 \
		-a -n "$(grep 'memvirt.ko is not loaded: run `sudo insmod kmod/memvirt.ko`' "$tmp/nomod")"
	check "without memvirt.ko, sig_enforce=Y (fake sysfs): one line on unsigned modules and mokutil" \
		one_line "$tmp/nomod-sig" $rc_sig 'only signed modules.*mokutil --import /var/lib/dkms/mok.pub'
else
	ok "without memvirt.ko # SKIP the module cannot be unloaded here (MEMVIRT_KO unset or in use)"
	ok "without memvirt.ko, signed modules only # SKIP the module cannot be unloaded here"
fi

[ "$failed" -eq 0 ]
