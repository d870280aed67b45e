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
# The installed completion, run by bash as on a host (the VM ids it offers
# are checked in the guest, where VMs run): completing the last of the
# words before '|' ('_': an empty word) must offer each word after it.
comp() {	# WORDS...
	PATH=$root/usr/sbin:$PATH bash -c '. "$0"; COMP_WORDS=("$@")
		[ "${COMP_WORDS[-1]}" != _ ] || COMP_WORDS[-1]=
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _memvirt
		printf "%s\n" "${COMPREPLY[@]}"' \
		"$root/usr/share/bash-completion/completions/memvirt" memvirt "$@"
}
while IFS='|' read -r words want; do
	# shellcheck disable=SC2086
	got=$(comp $words)
	for w in $want; do
		echo "$got" | grep -qx -- "$w" || {
			# shellcheck disable=SC2086 # one line
			echo "completion of 'memvirt $words' lacks '$w'; it offers:" $got >&2
			exit 1
		}
	done
done <<EOF
_|list show frag faults top export serve --help --version
list -|--json --output --sort --vm --pid --comm --summary
top -|--interval --batch --sort --vm
faults -|--vm --trace --sort
frag -|--source --interval
serve -|--listen
list -o _|ID NAME UUID
top --sort _|NAME
frag --source _|auto module proc
EOF
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
