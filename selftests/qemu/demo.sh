#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - "make demo": boot the stock 6.12 kernel in QEMU, load memvirt.ko,
# start four VMs of different shapes (three from the test VMM, one of them
# leaked by it, and a real QEMU -enable-kvm guest booting Linux) and show
# what memvirt sees; at the end, memvirt serve scraped by Prometheus.
#
#   MEMVIRT_DEMO_KERNEL   kernel release (default: the newest 6.12 installed)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
export BUILD=${BUILD:-$top/.build}
mkdir -p "$BUILD/qemu"

kver=${MEMVIRT_DEMO_KERNEL:-$("$top/scripts/kernels.sh" | grep '^6\.12\.' | tail -n 1)}
[ -n "$kver" ] || { echo "demo: no 6.12 kernel installed: run 'make deps-test' as root" >&2; exit 1; }

echo "memvirt demo: building for $kver"
"$top/scripts/linux-source.sh" "$BUILD/linux-source" || exit 1
make -s -C "$top/user" || exit 1
make -s -C "$top/selftests" OUTPUT="$BUILD/selftests" || exit 1
ko=$("$top/scripts/build-kmod.sh" "$kver") || exit 1

# The nested guest: the same kernel, an initramfs that fills some page cache
# and waits.
ginit=$BUILD/qemu/demo-guest.gz
if [ ! -s "$ginit" ] || [ "$here/demo.sh" -nt "$ginit" ]; then
	d=$(mktemp -d)
	mkdir -p "$d/bin" "$d/proc" "$d/sys" "$d/dev" "$d/tmp"
	cp /bin/busybox "$d/bin/"
	cat > "$d/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t devtmpfs dev /dev
mount -t tmpfs -o size=96m tmpfs /tmp
dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>/dev/null
echo "demo-guest: up, $(awk '/MemTotal/ {print $2}' /proc/meminfo) kB"
while :; do sleep 3600; done
INIT
	chmod 755 "$d/init"
	(cd "$d" && find . | cpio -o -H newc --quiet) | gzip -1 > "$ginit"
	rm -rf "$d"
fi

job=$(mktemp)
cat > "$job" <<JOB
export top='$top' ko='$ko' vmm='$BUILD/selftests/memvirt-vmm' kver='$kver' ginit='$ginit'
exec /bin/bash '$here/demo-guest.sh'
JOB
echo "memvirt demo: booting $kver in QEMU (TCG, nested SVM)"
# One vCPU: under single-threaded TCG (see run-vm.sh) a nested guest stalls
# in most boots when the outer guest has two vCPUs taking turns, and boots
# every time with one (6 of 6 against 1 of 6, 8-13 s). Node 1 then has
# memory only, which is all `memvirt frag` needs to show two nodes.
MEMVIRT_QEMU_SMP=${MEMVIRT_QEMU_SMP:-1} MEMVIRT_QEMU_MEM=${MEMVIRT_QEMU_MEM:-4G} \
	"$here/run-vm.sh" "$kver" "$job"
rc=$?
rm -f "$job"
exit $rc
