#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# check-install.sh KVER: `make install` into a throwaway root for kernel
# release KVER (PREFIX=/usr, as a package would), check the tree it leaves
# file by file, then `make uninstall` a copy of it and check that nothing of
# memvirt's is left. Prints the root on stdout (the test guest loads its
# memvirt.ko and runs its memvirt); exit 1 with the reason on stderr.
set -eu

kver=$1
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/.build}
root=$build/install/$kver
kdir=/lib/modules/$kver/build
args="-s -C $top PREFIX=/usr KDIR=$kdir"

rm -rf "$root" "$root.un"
mkdir -p "$root"
# shellcheck disable=SC2086
if ! make $args DESTDIR="$root" install > "$root.log" 2>&1; then
	cat "$root.log" >&2
	exit 1
fi
want="lib/modules/$kver/modules.dep
lib/modules/$kver/updates/kmod/memvirt.ko
usr/lib/systemd/system/memvirt-export.service
usr/lib/systemd/system/memvirt.service
usr/sbin/memvirt
usr/share/bash-completion/completions/memvirt
usr/share/doc/memvirt/README.md
usr/share/doc/memvirt/examples/grafana/memvirt.json
usr/share/doc/memvirt/examples/modules-load.d/memvirt.conf
usr/share/doc/memvirt/examples/prometheus/memvirt-rules.yml
usr/share/doc/memvirt/faults.rst
usr/share/doc/memvirt/memvirt.rst
$(for p in "$top"/Documentation/man/memvirt*.rst; do
	echo "usr/share/man/man8/$(basename "$p" .rst).8"; done)"
want=$(echo "$want" | sort)
# Module compression is the kernel's choice; the depmod index files other
# than modules.dep are depmod's.
got=$(cd "$root" && find . -type f | sed 's|^\./||; s|\.ko\.[a-z]*$|.ko|' |
	grep -v "^lib/modules/$kver/modules\.[a-z.]*$" | sort)
got=$(printf '%s\n%s\n' "$got" "lib/modules/$kver/modules.dep" | sort -u)
if [ "$got" != "$want" ]; then
	echo "make install left:" >&2
	echo "$got" | sed 's/^/  /' >&2
	echo "instead of:" >&2
	echo "$want" | sed 's/^/  /' >&2
	exit 1
fi
grep -q "updates/kmod/memvirt.ko" "$root/lib/modules/$kver/modules.dep" ||
	{ echo "depmod did not index memvirt.ko in $root" >&2; exit 1; }
for u in memvirt-export memvirt; do
	grep -q "^ExecStart=/usr/sbin/memvirt " "$root/usr/lib/systemd/system/$u.service" ||
		{ echo "$u.service does not run /usr/sbin/memvirt" >&2; exit 1; }
done
if ls /lib/modules/"$kver"/updates/kmod/memvirt.ko* > /dev/null 2>&1; then
	echo "make install with DESTDIR wrote to /lib/modules/$kver" >&2
	exit 1
fi

cp -a "$root" "$root.un"
# shellcheck disable=SC2086
make $args DESTDIR="$root.un" uninstall > "$root.un.log" 2>&1 ||
	{ cat "$root.un.log" >&2; exit 1; }
left=$(find "$root.un" -name '*memvirt*')
[ -z "$left" ] || { echo "make uninstall left: $left" >&2; exit 1; }
rm -rf "$root.un"
echo "$root"
