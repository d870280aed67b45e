#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The --json output of every verb against the schema in
# Documentation/memvirt.rst ("JSON output"), so that keys and types cannot
# drift from what is documented: each documented path has values of the
# documented types only, and each documented object has exactly the
# documented keys (object* and paths ending in "?" excepted). TAP; exit 4
# (KSFT_SKIP) if the CLI, the helper, the module or jq is missing.
. "$(dirname "$0")/lib/lib.sh"
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

# VERB: the documented "PATH TYPES" lines.
paths_of() { echo "$schema" | awk -v v="$1" '$1 == v { print $2, $3 }'; }

# VERB FILE: the types of every documented path, in one jq run; prints
# "PATH: TYPE, want TYPES" for each value of another type.
check_types() {
	local prog
	prog=$(paths_of "$1" | awk '{
		p = $1; opt = sub(/\?$/, "", p)
		n = split($2, t, "|"); w = ""
		for (i = 1; i <= n; i++) { sub(/\*$/, "", t[i]); w = w (w ? "," : "") "\"" t[i] "\"" }
		if (opt) w = w ",\"null\""
		printf "([(%s)?] | map(type) | unique - [%s] | map(\"%s: \" + . + \", want %s\")[]),\n", p, w, $1, $2
	} END { print "empty" }')
	jq -r "$prog" "$2" 2>&1
}

# VERB FILE: each documented object (not object*, and the root) has
# exactly the documented keys, in one jq run; prints what differs.
check_keys() {
	local prog
	prog=$({ echo ". object"; paths_of "$1"; } | awk '
		{ p[NR] = $1; t[NR] = $2 }
		END {
			for (i = 1; i <= NR; i++) {
				if (t[i] !~ /(^|\|)object($|\|)/) continue
				q = p[i]; sub(/\?$/, "", q); pre = (q == ".") ? "" : q
				all = ""; req = ""
				for (j = 2; j <= NR; j++) {
					if (index(p[j], pre ".") != 1) continue
					r = substr(p[j], length(pre) + 2)
					if (r !~ /^[a-z0-9_]+\??$/) continue
					k = r; o = sub(/\?$/, "", k)
					all = all (all ? "," : "") "\"" k "\""
					if (!o) req = req (req ? "," : "") "\"" k "\""
				}
				printf "([(%s)? | objects] | select(length > 0) | {p: \"%s\", extra: (map(keys) | add | unique - [%s]), missing: ([.[] | [%s] - keys] | add | unique)} | select(.extra != [] or .missing != []) | tostring),\n", q, p[i], all, req
			}
			print "empty"
		}')
	jq -r "$prog" "$2" 2>&1
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
