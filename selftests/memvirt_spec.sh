#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The netlink spec (Documentation/netlink/specs/memvirt.yaml) describes what
# the module really sends: the kernel's generic ynl client, driven only by
# the spec, decodes the module's replies, and what it decodes agrees with
# the test VMM and with the memvirt CLI. TAP; exit 4 (KSFT_SKIP) if ynl,
# python3-yaml, the VMM or the module is missing.
set -u
ksft_skip=4
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
spec=$top/Documentation/netlink/specs/memvirt.yaml
ynl_cli=${MEMVIRT_YNL:-$top/.build/linux-source/tools/net/ynl/cli.py}
cli=$(command -v memvirt || echo "$top/user/memvirt")
vmm=${MEMVIRT_VMM:-$here/memvirt-vmm}

echo "TAP version 13"
skip_all() { echo "1..0 # SKIP $*"; exit $ksft_skip; }
[ -r "$ynl_cli" ] || skip_all "no ynl client at $ynl_cli (run scripts/linux-source.sh)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip_all "python3-yaml not installed"
command -v jq > /dev/null || skip_all "jq not installed"
[ -x "$vmm" ] || skip_all "memvirt-vmm not found (set MEMVIRT_VMM)"
[ -d /sys/module/memvirt ] || skip_all "memvirt module not loaded"
[ -c /dev/kvm ] || skip_all "no /dev/kvm"

ynl() { /usr/bin/python3 "$ynl_cli" --spec "$spec" --no-schema "$@"; }

tmp=$(mktemp -d)
vmm_pid=
cleanup() {
	exec 3>&- 2>/dev/null
	[ -n "$vmm_pid" ] && kill "$vmm_pid" 2>/dev/null && wait "$vmm_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else not_ok "$what"; fi; }

echo "1..5"
mkfifo "$tmp/in"
"$vmm" --vcpus 1 --slot gpa=0x100000,size=8M,backing=nothp \
	--slot gpa=0x4000000,size=2M,flags=ro --touch 0,0,20,4096,w \
	< "$tmp/in" > "$tmp/out" 2> "$tmp/err" &
vmm_pid=$!
exec 3> "$tmp/in"
for _ in $(seq 100); do grep -q '^ready$' "$tmp/out" && break; sleep 0.1; done
id=$(sed -n 's/^vm //p' "$tmp/out")
[ -n "$id" ] || { sed 's/^/# /' "$tmp/err"; skip_all "memvirt-vmm did not start"; }
echo "# VM $id"

# 1. A dump decodes completely and names the same VMs as the CLI.
ynl --dump vm-get --output-json > "$tmp/dump" 2> "$tmp/dump.err"
a=$(jq -r '.[].id' "$tmp/dump" 2>/dev/null | sort)
b=$("$cli" list -J | jq -r '.vms[].id' | sort)
echo "# ynl: $(echo $a) cli: $(echo $b)"
check "vm-get dump decodes, same VMs as memvirt list" \
	test -s "$tmp/dump" -a ! -s "$tmp/dump.err" -a -n "$a" -a "$a" = "$b"

# 2. do: the VM's declared memory and 4K mappings, by the spec's names.
ynl --do vm-get --json "{\"id\": \"$id\"}" --output-json > "$tmp/do" 2> "$tmp/do.err"
got=$(jq -r '"\(.id) \(.["mem-bytes"]) \(.["map-4k"]) \(.["vcpus-online"])"' "$tmp/do" 2>/dev/null)
want="$id $((4096 + (8 << 20) + (2 << 20))) $(cat "/sys/kernel/debug/kvm/$id/pages_4k") 1"
echo "# do: $got, want $want"
check "vm-get do: id, mem-bytes, map-4k (= debugfs pages_4k), vcpus-online" test "$got" = "$want"

# 3. Every attribute of the reply is known to the spec: ynl refuses an
# attribute its spec lacks, so a clean decode of all of them is the proof.
keys=$(jq -r 'keys[]' "$tmp/do" 2>/dev/null | grep -c .)
echo "# do: $keys attributes decoded"
check "vm-get do: all attributes decoded by the spec" \
	test ! -s "$tmp/do.err" -a "$keys" -ge 20

# 4. memslot-get dump filtered by VM: the slots the VMM created.
ynl --dump memslot-get --json "{\"vm-id\": \"$id\"}" --output-json > "$tmp/slots" 2> "$tmp/slots.err"
got=$(jq -r '.[] | select(.["as-id"] == 0) | "\(.gpa):\(.size):\(.flags)"' "$tmp/slots" 2>/dev/null | sort | tr '\n' ' ')
echo "# slots: $got"
check "memslot-get dump: gpa, size and flags as created" \
	bash -c "echo '$got' | grep -q '1048576:8388608:' && echo '$got' | grep -q '67108864:2097152:.*readonly'"

# 5. An unknown VM: the kernel's extack message reaches the client.
ynl --do vm-get --json '{"id": "2147483647-1"}' > "$tmp/e" 2>&1
echo "# error: $(tr '\n' ' ' < "$tmp/e" | cut -c 1-200)"
check "unknown VM: error with the module's message" grep -q 'no such VM' "$tmp/e"

echo quit >&3
exec 3>&-
wait "$vmm_pid"
vmm_pid=
[ "$failed" -eq 0 ]
