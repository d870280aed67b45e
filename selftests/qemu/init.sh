#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# memvirt test guest init: mount the host root read-only over 9p, give it
# writable tmpfs where programs need them, load KVM, run the job given as
# memvirt.job=PATH on the kernel command line, report its exit code on the
# result channel (ttyS1) and power off.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for m in $(cat /modules); do
	insmod "/lib/modules/$m" || echo "init: insmod $m failed"
done

out=/dev/ttyS1
stty -F $out raw -echo 2>/dev/null
fail() {
	echo "init: $*" > $out
	echo "MEMVIRT-EXIT 125" > $out
	poweroff -f
}

job=
keep=
modules=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	memvirt.job=*) job=${arg#memvirt.job=} ;;
	memvirt.keep=*) keep=${arg#memvirt.keep=} ;;
	memvirt.modules=*) modules=${arg#memvirt.modules=} ;;
	esac
done

r=/newroot
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose hostroot $r ||
	fail "cannot mount the host root over 9p"
# The host's view stays reachable under /host, so that paths the job needs
# (memvirt.keep=, e.g. a checkout under /tmp or /root) can be put back on
# top of the writable tmpfs mounts.
mkdir -p /host
mount --bind $r /host
for d in tmp run root var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs $r/$d 2>/dev/null
done
for p in $(echo "$keep" | tr ':' ' '); do
	case "$p" in
	/tmp/*|/run/*|/root/*|/var/tmp/*)
		mkdir -p "$r$p" && mount --bind "/host$p" "$r$p" ||
			fail "cannot keep $p visible" ;;
	esac
done
# A kernel of our own keeps its modules outside the host's /lib/modules.
if [ -n "$modules" ]; then
	mount -t tmpfs -o mode=755 tmpfs $r/lib/modules &&
	mkdir -p "$r/lib/modules/$(uname -r)" &&
	mount --bind "/host$modules" "$r/lib/modules/$(uname -r)" ||
		fail "cannot mount the modules of $(uname -r)"
fi
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/shm
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
# devtmpfs has no /dev/fd links; programs (the kselftest runner) need them.
ln -sf /proc/self/fd $r/dev/fd
ln -sf /proc/self/fd/0 $r/dev/stdin
ln -sf /proc/self/fd/1 $r/dev/stdout
ln -sf /proc/self/fd/2 $r/dev/stderr
# Pseudo-terminals (tmux, script): devtmpfs has /dev/ptmx but no pts/ to
# mount devpts on; without it openpty() fails with ENOENT.
mkdir -p $r/dev/pts
mount -t devpts -o mode=0620,ptmxmode=0666 devpts $r/dev/pts ||
	echo "init: cannot mount devpts: no pseudo-terminals"
mount -t debugfs debugfs $r/sys/kernel/debug
mount -t tracefs tracefs $r/sys/kernel/tracing 2>/dev/null
mount -t bpf bpf $r/sys/fs/bpf 2>/dev/null
mount -t cgroup2 cgroup2 $r/sys/fs/cgroup 2>/dev/null
hostname memvirt-guest

[ -n "$job" ] || fail "no memvirt.job= on the kernel command line"

chroot $r /bin/sh -c '
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/root TERM=dumb LANG=C.UTF-8
	cd /tmp
	modprobe kvm_amd || echo "init: modprobe kvm_amd failed"
	exec /bin/sh "$0"
' "$job" > $out 2>&1
echo "MEMVIRT-EXIT $?" > $out
sync
poweroff -f
