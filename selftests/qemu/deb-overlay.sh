#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# deb-overlay.sh DEBDIR: runs in the test guest, whose root is the host's /
# shared read-only over 9p. Makes a writable copy-on-write root of it
# (overlayfs: the 9p root as the lower layer, a tmpfs as the upper), installs
# DEBDIR's memvirt-dkms and memvirt there with `dpkg -i`, so that their
# maintainer scripts run as on a host (memvirt-dkms's postinst: dkms add,
# build and install memvirt.ko for the running kernel, then depmod), and
# prints the root on stdout. dpkg's and
# DKMS's output go to stderr; exit 1 with the reason if a step fails.
set -eu

debs=$1
o=/tmp/deb-overlay
r=$o/root
say() { echo "deb-overlay: $*" >&2; }

mkdir -p $o
mount -t tmpfs -o mode=755 tmpfs $o
mkdir $o/upper $o/work $r
modprobe overlay 2> /dev/null || true
# index and xino need file handles and inode numbers the 9p lower layer
# cannot promise; neither matters for a throwaway root.
mount -t overlay overlay -o lowerdir=/,upperdir=$o/upper,workdir=$o/work,index=off,xino=off $r ||
	{ say "cannot mount an overlay over the 9p root"; exit 1; }
mount -t proc proc $r/proc
mount --rbind /sys $r/sys
mount --rbind /dev $r/dev
for d in tmp run; do
	mount -t tmpfs -o mode=1777 tmpfs $r/$d
done
# memvirt-dkms's postinst builds for the running kernel and for the newest
# one in /boot. Under TCG a second module build costs minutes (700 s for
# both on a loaded machine), and check-deb.sh already builds from the
# package for every test kernel on the host: this root shows the running
# kernel only, as a host that runs its newest kernel does.
for c in $r/boot/config-*; do
	[ "$c" = "$r/boot/config-$(uname -r)" ] || rm -f "$c"
done
cp "$debs"/memvirt-dkms_*.deb "$debs"/memvirt_*.deb $r/tmp/ ||
	{ say "no memvirt-dkms_*.deb and memvirt_*.deb in $debs"; exit 1; }
say "dpkg -i $(cd $r/tmp && echo *.deb)"
chroot $r sh -c 'dpkg -i /tmp/memvirt-dkms_*.deb /tmp/memvirt_*.deb' >&2 ||
	{ say "dpkg -i failed"; exit 1; }
chroot $r dpkg-query -W -f '${Package} ${Version} ${db:Status-Abbrev}\n' memvirt memvirt-dkms >&2
chroot $r dkms status memvirt >&2
ls $r/lib/modules/"$(uname -r)"/updates/dkms/memvirt.ko* > /dev/null 2>&1 ||
	{ say "DKMS installed no memvirt.ko for $(uname -r)"; exit 1; }
echo $r
