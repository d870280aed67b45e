#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The --json output of every verb against the schema in
# Documentation/memvirt.rst ("JSON output"), so that keys and types cannot
# drift from what is documented: each documented path has values of the
# documented types only, and each documented object has exactly the
# documented keys (object* and paths ending in "?" excepted). TAP; exit 4
# (KSFT_SKIP) if the CLI, the helper, the module or jq is missing.
. "$(dirname "$0")/lib.sh"
require_vm_env
command -v jq > /dev/null || skip_all "jq not installed"
doc=$here/../Documentation/memvirt.rst
[ -r "$doc" ] || skip_all "no $doc"

# "   schema VERB: ARGS" and "   VERB PATH TYPES" lines of the schema block.
schema=$(sed -n '/^   schema [a-z]*: /p; /^   [a-z]* \.[^ ]* *[a-z*|]*$/p' "$doc" | sed 's/^ *//')
verbs=$(echo "$schema" | sed -n 's/^schema \([a-z]*\): .*/\1/p')
echo "1..$(($(echo "$verbs" | wc -w) * 2))"

vmm_start --vcpus 2 --slot gpa=0x100000,size=4M,backing=nothp \
	--slot gpa=0x1000000,size=2M,backing=memfd --touch 0,0,16,4096,w
ID=$vm_id
echo "# VM $ID"

# VERB FILE: the types of every documented path; prints what is wrong.
check_types() {
	local verb=$1 file=$2 path types p want got
	echo "$schema" | awk -v v="$verb" '$1 == v { print $2, $3 }' |
	while read -r path types; do
		p=${path%\?}
		want=$(echo "$types" | tr '|' '\n' | sed 's/\*$//' | sort -u | paste -sd, -)
		got=$(jq -c "[($p)?] | map(type) | unique | .[]" "$file" 2>&1 | tr -d '"' |
		      paste -sd, -)
		for t in $(echo "$got" | tr ',' ' '); do
			[ "$t" = null ] && [ "$p" != "$path" ] && continue
			case ",$want," in *",$t,"*) ;; *) echo "$path: $t, want $types";; esac
		done
	done
}

# VERB FILE: each documented object (not object*) has exactly its keys.
check_keys() {
	local verb=$1 file=$2 path all req out
	{ echo ". object"; echo "$schema" | awk -v v="$verb" '$1 == v { print $2, $3 }'; } |
	awk '$2 ~ /(^|\|)object($|\|)/ { print $1 }' |
	while read -r path; do
		p=${path%\?}
		kids=$(echo "$schema" | awk -v v="$verb" '$1 == v { print $2 }' |
		       awk -v p="$p" '{ q = (p == ".") ? "" : p
				       if (index($0, q ".") == 1) {
					       r = substr($0, length(q) + 2)
					       if (r ~ /^[a-z0-9_]+\??$/) print r } }')
		all=$(echo "$kids" | sed 's/?$//' | jq -R . | jq -sc 'map(select(. != ""))')
		req=$(echo "$kids" | grep -v '?$' | jq -R . | jq -sc 'map(select(. != ""))')
		out=$(jq -c --argjson all "$all" --argjson req "$req" \
			"[($p)? | objects] | if length == 0 then empty else
			 {extra: (map(keys) | add | unique - \$all),
			  missing: ([.[] | \$req - keys] | add | unique)} |
			 select(.extra != [] or .missing != []) end" "$file")
		[ -z "$out" ] || echo "$path: $out"
	done
}

# VERB ARGS: the output into $tmp/VERB.json, the exit code in $rc. Verbs
# that report every interval run while the VM faults new pages in; the
# first document that has VMs is kept.
touched=1
run_verb() {
	local verb=$1; shift
	# shellcheck disable=SC2068
	"$cli" $@ > "$tmp/$verb.all" 2> "$tmp/$verb.err" &
	local pid=$!
	if [ "$verb" = top ] || [ "$verb" = faults ]; then
		sleep 1.2
		echo "touch 0,$((touched << 20)),64,4096,w" >&3
		touched=$((touched + 1))
	fi
	wait "$pid"
	rc=$?
	jq -c 'select((.vms? // [1]) | length > 0)' "$tmp/$verb.all" 2>/dev/null |
		head -n 1 > "$tmp/$verb.json"
	[ -s "$tmp/$verb.json" ] ||
		jq -c . "$tmp/$verb.all" 2>/dev/null | head -n 1 > "$tmp/$verb.json"
	[ -s "$tmp/$verb.json" ] || cp "$tmp/$verb.all" "$tmp/$verb.json"
}

for verb in $verbs; do
	args=$(echo "$schema" | sed -n "s/^schema $verb: //p" | sed "s/\\\$ID/$ID/")
	run_verb "$verb" $args
	if [ "$verb" = faults ] && [ "$rc" -ne 0 ]; then
		sed 's/^/# /' "$tmp/$verb.err"
		ok "$verb: keys # SKIP the probes did not attach"
		ok "$verb: types # SKIP the probes did not attach"
		continue
	fi
	jq -e . "$tmp/$verb.json" > /dev/null 2>&1 || sed 's/^/# /' "$tmp/$verb.err"
	bad=$(check_keys "$verb" "$tmp/$verb.json")
	[ -z "$bad" ] || echo "$bad" | sed 's/^/# /'
	check "$verb ($args): the documented keys, no others" \
		test -z "$bad" -a -s "$tmp/$verb.json"
	bad=$(check_types "$verb" "$tmp/$verb.json")
	[ -z "$bad" ] || echo "$bad" | sed 's/^/# /'
	check "$verb: values of the documented types" test -z "$bad"
done

vmm_quit
[ "$failed" -eq 0 ]
