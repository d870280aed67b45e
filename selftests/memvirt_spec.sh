#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The netlink spec (Documentation/netlink/specs/memvirt.yaml) describes what
# the module really sends: the kernel's generic ynl client, driven only by
# the spec, decodes the module's replies, and what it decodes agrees with
# the test VMM and with the memvirt CLI. TAP; exit 4 (KSFT_SKIP) if ynl,
# python3-yaml, the VMM or the module is missing.
. "$(dirname "$0")/lib/lib.sh"
top=$(cd "$here/.." && pwd)
spec=$top/Documentation/netlink/specs/memvirt.yaml
ynl_cli=${MEMVIRT_YNL:-$top/.build/linux-source/tools/net/ynl/cli.py}

[ -r "$ynl_cli" ] || skip_all "no ynl client at $ynl_cli (run scripts/linux-source.sh)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip_all "python3-yaml not installed"
command -v jq > /dev/null || skip_all "jq not installed"
require_vm_env

ynl() { /usr/bin/python3 "$ynl_cli" --spec "$spec" --no-schema "$@"; }

echo "1..5"
vmm_start --vcpus 1 --slot gpa=0x100000,size=8M,backing=nothp \
	--slot gpa=0x4000000,size=2M,flags=ro --touch 0,0,20,4096,w
id=$vm_id
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

vmm_quit
[ "$failed" -eq 0 ]
