# SPDX-License-Identifier: GPL-2.0
# Sourced inside the demo guest by demo.sh (variables top, ko, vmm, kver, ginit).
set -u
PATH=$top/user:$PATH
say() { printf '\n$ %s\n' "$*"; "$@"; }

insmod "$ko" || exit 1
echo always > /sys/kernel/mm/transparent_hugepage/enabled

# VM 1: 1 vCPU, 64 MiB, 1000 scattered 4K pages written.
coproc VM1 { "$vmm" --vcpus 1 --slot gpa=0x100000,size=64M,backing=anon \
	--touch 0,0,1000,0x10000,w; }
# VM 2: 2 vCPUs, 512 MiB THP-backed, the first 128 MiB touched in 2M runs,
# plus a read-only ROM-like slot.
coproc VM2 { "$vmm" --vcpus 2 --slot gpa=0x40000000,size=512M,backing=thp \
	--slot gpa=0xfff00000,size=1M,flags=ro --touch 0,0,32768,4096,w; }
for fd in "${VM1[0]}" "${VM2[0]}"; do
	while read -r line <&"$fd"; do
		echo "vmm: $line"
		[ "$line" = ready ] && break
	done
done

# VM 3: a real QEMU guest booting Linux under KVM (nested SVM).
qemu-system-x86_64 -enable-kvm -cpu host -m 256 -smp 1 -nodefaults -no-user-config \
	-display none -serial file:/tmp/demo-guest.log -kernel "/boot/vmlinuz-$kver" \
	-initrd "$ginit" -append "console=ttyS0 quiet" </dev/null >/tmp/demo-qemu.log 2>&1 &
qpid=$!
for i in $(seq 1 120); do
	grep -q 'demo-guest: up' /tmp/demo-guest.log 2>/dev/null && break
	sleep 1
done
grep 'demo-guest' /tmp/demo-guest.log || { echo "nested QEMU guest did not come up:"; tail -n 20 /tmp/demo-guest.log /tmp/demo-qemu.log; }

say memvirt list
for id in $(memvirt list --json | jq -r '.vms[].id'); do
	say memvirt show "$id"
done

kill "$qpid" 2>/dev/null
echo quit >&"${VM1[1]}"
echo quit >&"${VM2[1]}"
wait
rmmod memvirt
