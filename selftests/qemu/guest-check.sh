#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Runs inside the test guest (see check.sh): load memvirt.ko, run the
# kselftest suite, unload, and check the kernel log. Prints TAP (the
# runner's, then the harness's own results numbered after it).
#   MEMVIRT_TOP        repository (read-only in the guest)
#   MEMVIRT_KO         module built for the running kernel
#   MEMVIRT_SELFTESTS  prebuilt kselftest output directory
#   MEMVIRT_DKMS_KO    the same module built by DKMS (empty: not built)
#   MEMVIRT_INSTALL_ROOT  a `make install` tree (empty: none)
#   MEMVIRT_DEBS       the directory with the .debs of `make deb` (empty: none)
set -u

n=0
result() {	# result OK|FAIL|SKIP description [reason]
	n=$((n + 1))
	case "$1" in
	OK)   echo "ok $n $2" ;;
	SKIP) echo "ok $n $2 # SKIP $3" ;;
	*)    echo "not ok $n $2" ;;
	esac
}

echo "# kernel $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"

if [ ! -c /dev/kvm ]; then
	result FAIL "harness: /dev/kvm present (kvm_amd did not load)"
	exit 1
fi

# Judge the kernel log from here on only: boot messages are not ours.
echo "memvirt-check: start" > /dev/kmsg
if ! insmod "$MEMVIRT_KO"; then
	result FAIL "harness: insmod memvirt.ko"
	dmesg | tail -n 20 | sed 's/^/# /'
	exit 1
fi

export MEMVIRT_KO
export PATH="$MEMVIRT_TOP/user:$PATH"
# A per-test time limit from the host (the debug kernel's) holds for the
# kselftest runner too.
[ -z "${MEMVIRT_TEST_TIMEOUT:-}" ] || export kselftest_override_timeout=$MEMVIRT_TEST_TIMEOUT
# MEMVIRT_TESTS: run only these tests (names as in selftests/Makefile), in
# the kselftest runner's nested TAP.
run_some() {
	set -- $MEMVIRT_TESTS
	echo "TAP version 13"
	echo "1..$#"
	i=0
	for t in "$@"; do
		i=$((i + 1))
		p=$MEMVIRT_SELFTESTS/$t
		[ -x "$p" ] || p=$MEMVIRT_TOP/selftests/$t
		echo "# selftests: memvirt: $t"
		(cd "$(dirname "$p")" && MEMVIRT_VMM=$MEMVIRT_SELFTESTS/memvirt-vmm \
			timeout "${MEMVIRT_TEST_TIMEOUT:-1200}" "$p"; echo $? > /tmp/rc) 2>&1 |
			sed 's/^/# /'
		case $(cat /tmp/rc) in
		0) echo "ok $i selftests: memvirt: $t" ;;
		4) echo "ok $i selftests: memvirt: $t # SKIP" ;;
		*) echo "not ok $i selftests: memvirt: $t # exit=$(cat /tmp/rc)" ;;
		esac
	done
}
if [ -n "${MEMVIRT_TESTS:-}" ]; then
	run_some 2>&1 | tee /tmp/suite.tap
else
	make -s -C "$MEMVIRT_TOP/selftests" OUTPUT="$MEMVIRT_SELFTESTS" run_tests 2>&1 |
		tee /tmp/suite.tap
fi
# The harness's own results are numbered after the suite's.
n=$(grep -cE '^(not )?ok [0-9]+' /tmp/suite.tap)
result OK "harness: insmod memvirt.ko"

if ! grep -q '^memvirt ' /proc/modules; then
	result FAIL "harness: memvirt.ko loaded after the suite (a test left it unloaded)"
elif rmmod memvirt; then
	result OK "harness: rmmod memvirt.ko"
else
	result FAIL "harness: rmmod memvirt.ko"
fi

# The module as DKMS built it from dkms.conf: it loads, answers, unloads.
if [ -n "${MEMVIRT_DKMS_KO:-}" ]; then
	if insmod "$MEMVIRT_DKMS_KO" && memvirt list -n -o ID > /tmp/dkms.out 2>&1 &&
	   grep -q '^memvirt ' /proc/modules && rmmod memvirt; then
		result OK "dkms: the DKMS-built memvirt.ko loads, answers 'memvirt list', unloads"
	else
		result FAIL "dkms: the DKMS-built memvirt.ko loads, answers 'memvirt list', unloads"
		sed 's/^/# /' /tmp/dkms.out 2>/dev/null
		rmmod memvirt 2>/dev/null
	fi
fi

# installed ROOT LOAD WHAT [chroot]: after the command LOAD loads memvirt.ko,
# the memvirt under ROOT (an install, or packages dpkg installed; with
# "chroot", run in ROOT) lists a VM, the installed bash completion offers
# that VM's id, and the module unloads.
installed() {
	r=$1
	mv=$r/usr/sbin/memvirt
	[ "${4:-}" != chroot ] || mv="chroot $r /usr/sbin/memvirt"
	"$MEMVIRT_SELFTESTS/memvirt-vmm" --no-stdin > /tmp/inst-vmm.out 2>&1 &
	vpid=$!
	for _ in $(seq 100); do grep -q '^ready' /tmp/inst-vmm.out && break; sleep 0.1; done
	id=$(sed -n 's/^vm //p' /tmp/inst-vmm.out)
	comp=
	if $2 && $mv list -r -n -o ID > /tmp/inst.out 2>&1 &&
	   [ -n "$id" ] && grep -qx -- "$id" /tmp/inst.out &&
	   comp=$(PATH=$r/usr/sbin:$PATH bash -c ". '$r/usr/share/bash-completion/completions/memvirt'
		COMP_WORDS=(memvirt show ''); COMP_CWORD=2; _memvirt; echo \"\${COMPREPLY[*]}\"" 2>&1) &&
	   echo " $comp " | grep -q " $id " && rmmod memvirt; then
		result OK "$3"
	else
		result FAIL "$3"
		echo "# VM '$id'; list: $(cat /tmp/inst.out 2>/dev/null); completion of 'show': $comp"
		rmmod memvirt 2>/dev/null
	fi
	kill "$vpid" 2>/dev/null
	wait "$vpid" 2>/dev/null
}
if [ -n "${MEMVIRT_INSTALL_ROOT:-}" ]; then
	installed "$MEMVIRT_INSTALL_ROOT" \
		"insmod $(ls "$MEMVIRT_INSTALL_ROOT"/lib/modules/*/updates/kmod/memvirt.ko*)" \
		"install: make install's memvirt.ko loads, its memvirt lists a VM, its completion completes"
fi
# The packages installed for real, with dpkg in an overlay of this read-only
# root (deb-overlay.sh): the maintainer scripts run, DKMS builds on install.
if [ -n "${MEMVIRT_DEBS:-}" ]; then
	t0=$(date +%s)
	if r=$(sh "$MEMVIRT_TOP/selftests/qemu/deb-overlay.sh" "$MEMVIRT_DEBS" 2> /tmp/deb.log); then
		echo "# deb: installed in $(($(date +%s) - t0)) s (one DKMS build, for the running kernel)"
		sed 's/^/# /' /tmp/deb.log | grep -E 'dpkg -i|Building|Signing|installed|memvirt' | head -n 20
		result OK "deb: dpkg -i memvirt-dkms memvirt: maintainer scripts ran, DKMS installed memvirt.ko for $(uname -r)"
		installed "$r" "chroot $r modprobe memvirt" \
			"deb: modprobe memvirt loads DKMS's module, /usr/sbin/memvirt lists a VM, its completion completes" chroot
	else
		result FAIL "deb: dpkg -i memvirt-dkms memvirt: maintainer scripts ran, DKMS installed memvirt.ko for $(uname -r)"
		tail -n 40 /tmp/deb.log | sed 's/^/# /'
	fi
fi

bad=$(dmesg | sed -n '/memvirt-check: start/,$p' |
	grep -E -A 20 'BUG:|WARNING:|Oops|KFENCE|general protection fault|refcount_t:')
if [ -n "$bad" ]; then
	result FAIL "harness: kernel log clean"
	echo "$bad" | head -n 80 | sed 's/^/# dmesg: /'
	exit 1
fi
result OK "harness: kernel log clean"
