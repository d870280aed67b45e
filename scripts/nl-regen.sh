#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# nl-regen.sh [--check] - the netlink contract, regenerated from its spec
# (Documentation/netlink/specs/memvirt.yaml), as the kernel's ynl-regen.sh
# does for its families (make regen):
#
#   include/uapi/linux/memvirt.h  ynl-gen-c.py --mode uapi (Debian's
#                                 linux-source-6.12), then nlgen.py uapi-doc
#   kmod/netlink-gen.[ch]         nlgen.py kernel-h, kernel-c
#   user/lib/nl-gen.[ch]          nlgen.py user-h, user-c
#   selftests/lib/memvirt_nl_gen.h    nlgen.py selftests-h
#
# The generated files are committed. --check regenerates them into a
# scratch directory and fails, with the difference, if any committed file
# differs (make check runs it). PYTHON: the interpreter (default Debian's
# /usr/bin/python3, with python3-yaml and python3-jsonschema: ynl-gen-c
# validates the spec against the kernel's genetlink-c schema).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/.build}
python=${PYTHON:-/usr/bin/python3}
spec_rel=Documentation/netlink/specs/memvirt.yaml
files="include/uapi/linux/memvirt.h kmod/netlink-gen.h kmod/netlink-gen.c
user/lib/nl-gen.h user/lib/nl-gen.c selftests/lib/memvirt_nl_gen.h"

check=
case "${1:-}" in
--check) check=1 ;;
"") ;;
*) echo "usage: nl-regen.sh [--check]" >&2; exit 2 ;;
esac

"$top/scripts/linux-source.sh" "$build/linux-source"
src=$build/linux-source
ynl=$src/tools/net/ynl/ynl-gen-c.py
[ -r "$ynl" ] || { echo "nl-regen: no $ynl: is linux-source-6.12 installed? (make deps-test)" >&2; exit 1; }
if ! "$python" -c 'import yaml, jsonschema' 2> /dev/null; then
	echo "nl-regen: $python needs python3-yaml and python3-jsonschema (make deps-test)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# ynl-gen-c names the spec relative to the kernel tree it sits in (found
# by MAINTAINERS) and validates it against ../genetlink-c.yaml: give it a
# tree of its own with the kernel's schema.
stage=$tmp/tree
mkdir -p "$stage/Documentation/netlink/specs"
: > "$stage/MAINTAINERS"
cp "$src/Documentation/netlink/genetlink-c.yaml" "$stage/Documentation/netlink/"
cp "$top/$spec_rel" "$stage/$spec_rel"
spec=$stage/$spec_rel

if [ -n "$check" ]; then
	out=$tmp/out
else
	out=$top
fi
for f in $files; do
	mkdir -p "$out/$(dirname "$f")"
done

"$python" "$ynl" --mode uapi --header --spec "$spec" -o "$tmp/uapi.h" > "$tmp/ynl.log" 2>&1 ||
	{ cat "$tmp/ynl.log" >&2; echo "nl-regen: ynl-gen-c failed on $spec_rel" >&2; exit 1; }
gen() {
	"$python" "$top/scripts/nlgen.py" --spec "$spec" "$@"
}
gen uapi-doc "$tmp/uapi.h" -o "$out/include/uapi/linux/memvirt.h"
gen kernel-h -o "$out/kmod/netlink-gen.h"
gen kernel-c -o "$out/kmod/netlink-gen.c"
gen user-h -o "$out/user/lib/nl-gen.h"
gen user-c -o "$out/user/lib/nl-gen.c"
gen selftests-h -o "$out/selftests/lib/memvirt_nl_gen.h"

if [ -z "$check" ]; then
	for f in $files; do
		echo "  GEN     $f"
	done
	exit 0
fi

bad=
for f in $files; do
	if ! cmp -s "$out/$f" "$top/$f"; then
		bad="$bad $f"
		diff -u "$top/$f" "$out/$f" | head -n 40 || true
	fi
done
if [ -n "$bad" ]; then
	echo "nl-regen: differs from $spec_rel:$bad; run 'make regen' and commit" >&2
	exit 1
fi
