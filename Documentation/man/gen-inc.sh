#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# gen-inc.sh OUT CLI DOC: the parts of the man pages that have their one
# source elsewhere, as reStructuredText for the pages' ".. include::"s:
#   common.inc          the options every verb takes   (CLI: memvirt --help)
#   VERB.columns.inc    a verb's columns               (CLI: memvirt VERB --help)
#   top.keys.inc        the keys of the interactive top (CLI: memvirt top --help)
#   VERB.json.inc       a verb's JSON keys and types   (DOC: "JSON output")
#   export.metrics.inc  the Prometheus metrics         (DOC: the metric table)
# CLI is the built memvirt, DOC Documentation/memvirt.rst.
set -eu

out=$1 cli=$2 doc=$3
mkdir -p "$out"

# Text of --help as reStructuredText: escape what is markup there.
esc() { sed 's/[\\*`|_]/\\&/g'; }

# The "Options:" lines of the top-level --help but -V (memvirt.8 has it),
# as a definition list: "-J, --json" / description.
"$cli" --help | awk '/^Options:/ { c = 1; next } c && /^$/ { exit }
	c && !/--version/ { print }' | esc |
	sed -E 's/^ (-[^ ,]+, --[^ ]+|    --[^ ]+) +(.*)/\1\n    \2\n/; s/^ +-/-/' \
	> "$out/common.inc"

# The column list after "...columns...:" of VERB --help: one term a
# column, "(default)" for the starred ones, continuation lines joined.
columns() {
	"$cli" "$1" --help | awk '
		/[Cc]olumns.*:$/ && !c { c = 1; next }
		!c { next }
		/^$/ { exit }
		{
			line = $0
			def = sub(/^ \*/, "", line)
			sub(/^ +/, "", line)
			name = line
			sub(/ .*/, "", name)
			rest = substr(line, length(name) + 1)
			if (name ~ /^[A-Z0-9][A-Za-z0-9\/%-]*$/ && rest ~ /^  /) {
				if (n++)
					print ""
				sub(/^ +/, "", rest)
				printf "**%s**%s\n    %s\n", name, def ? " (default)" : "", rest
			} else {
				printf "    %s\n", line
			}
		}' | sed -E '/^    /s/[\\`|_]/\\&/g; /^    /s/\*/\\*/g'
}
for v in list top faults frag; do
	columns "$v" > "$out/$v.columns.inc"
	[ -s "$out/$v.columns.inc" ] || { echo "gen-inc: no columns in '$v --help'" >&2; exit 1; }
done

# The key list after "Keys:" of top --help ("  r R            reverse ...",
# continuation lines indented further) as a definition list.
"$cli" top --help | awk '
	/Keys:$/ { c = 1; next }
	!c { next }
	!/^  / { exit }
	/^  [^ ]/ {
		k = substr($0, 3, 15); sub(/ +$/, "", k)
		printf "%s``%s``\n", n++ ? "\n" : "", k
		$0 = substr($0, 18)
	}
	{ sub(/^ +/, ""); print "    " $0 }' | sed -E '/^    /s/[\\*`|_]/\\&/g' > "$out/top.keys.inc"
grep -q '^``q``' "$out/top.keys.inc" || { echo "gen-inc: no keys in 'top --help'" >&2; exit 1; }

# The schema lines of DOC's "JSON output" for VERB (list: also summary):
# "   list .vms[].id   string" -> ".vms[].id   string", a literal block.
json() {
	printf '::\n\n'
	awk -v want="$2" '$1 ~ "^(" want ")$" && $2 ~ /^\./ && /^   [a-z]/ {
		printf "    %-38s %s\n", $2, $3 }' "$doc"
	echo
}
for v in list show frag top faults export; do
	case $v in list) w='list|summary' ;; *) w=$v ;; esac
	json "$v" "$w" > "$out/$v.json.inc"
	grep -q '^    \.' "$out/$v.json.inc" ||
		{ echo "gen-inc: no schema lines for '$v' in $doc" >&2; exit 1; }
done

# DOC's table of metrics ("Metric  Type  Value" between "=== === ===" borders)
# as a definition list: a table that wide would not fit a terminal.
awk '/^=+ +=+ +=+$/ { if (c && ++b == 2) exit; t = index($0, " =") + 1
		v = t + index(substr($0, t + 1), " =") + 1; next }
	/^Metric +Type/ { c = 1; next }
	!c { next }
	{
		name = substr($0, 1, t - 1); sub(/ +$/, "", name)
		type = substr($0, t, v - t); sub(/ +$/, "", type)
		val = substr($0, v)
		if (name != "")
			printf "%s**%s** (%s)\n", n++ ? "\n" : "", name, type
		printf "    %s\n", val
	}' "$doc" > "$out/export.metrics.inc"
grep -q '^\*\*memvirt_vm_info\*\* (gauge)' "$out/export.metrics.inc" ||
	{ echo "gen-inc: no metric table in $doc" >&2; exit 1; }
