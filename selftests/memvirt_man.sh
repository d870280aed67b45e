#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# memvirt_man.sh: the man pages document what the CLI offers. For memvirt
# --help and each verb's --help (verbs as --help lists them): the page
# (memvirt.8, memvirt-VERB.8) exists and renders without a groff warning,
# every option --help names is in the rendered page, every column of
# --help's column list is a term of the page's COLUMNS and every key of its
# key list (top's) a term of KEYS; every parameter of
# the loaded memvirt.ko (/sys/module/memvirt/parameters) is a term of
# memvirt.8. The pages are those 'make man' built: MEMVIRT_MAN, default
# .build/man of the checkout.
. "$(dirname "$0")/lib/lib.sh"

man_dir=${MEMVIRT_MAN:-$here/../.build/man}
[ -n "$cli" ] || skip_all "memvirt CLI not found (build user/ or put it in PATH)"
command -v man > /dev/null || skip_all "man not installed (man-db; make deps-test)"
command -v groff > /dev/null || skip_all "groff not installed (groff-base; make deps-test)"
[ -f "$man_dir/memvirt.8" ] || skip_all "no man pages in $man_dir (run 'make man' or set MEMVIRT_MAN)"

export LC_ALL=C.UTF-8 MANWIDTH=80
verbs=$("$cli" --help | awk '/^Verbs:/ { c = 1; next } c && /^ [a-z]/ { print $1 } c && /^$/ { exit }')
[ -n "$verbs" ] || { not_ok "memvirt --help lists verbs"; echo "1..$n"; exit 1; }

# The options a --help names, one a line: "-J", "--json", ...
help_opts() {
	grep -oE '(^|[ ,])--?[a-zA-Z][a-zA-Z0-9-]*' "$1" | tr -d ' ,' | sort -u
}
# The column names of a --help's column list ("...columns...:" to a blank line).
help_cols() {
	awk '/[Cc]olumns.*:$/ && !c { c = 1; next }
		c && /^$/ { exit }
		c { w = $1 == "*" ? $2 : $1; sub(/^\*/, "", w)
		    if (w ~ /^[A-Z0-9][A-Za-z0-9\/%-]*$/) print w }' "$1"
}
# The first word of each key of a --help's key list ("...Keys:", lines
# "  KEY   what it does" and their continuations indented further).
help_keys() {
	awk '/Keys:$/ { c = 1; next } c && !/^  / { exit }
		c && /^  [^ ]/ { print $1 }' "$1"
}
# The option-like words of rendered text, one a line.
text_opts() {
	grep -oE '(^|[^[:alnum:]-])--?[a-zA-Z][a-zA-Z0-9-]*' "$1" |
		sed -E 's/^[^-]+//' | sort -u
}
# Definition-list terms of the rendered section $2 ("COLUMNS"), first word.
terms() {
	awk -v s="$2" '/^[A-Z]/ { c = $0 == s; next }
		c && /^       [^ ]/ { print $1 }' "$1" | sort -u
}

# check_page NAME HELPFILE: one page against one --help.
check_page() {
	local name=$1 help=$2 page=$man_dir/$1.8 txt=$tmp/$1.txt miss
	if [ ! -f "$page" ]; then
		not_ok "$name: $name.8 exists"
		echo "# $name: no $page: write Documentation/man/$name.rst"
		return
	fi
	ok "$name: $name.8 exists"
	man --nh --nj -l "$page" > "$txt" 2> /dev/null
	check "$name: $name.8 renders without warnings (man --warnings)" \
		test -z "$(man --warnings -l "$page" 2>&1 > /dev/null | tee "$tmp/warn")"
	sed 's/^/# warning: /' "$tmp/warn"

	miss=$(comm -23 <(help_opts "$help") <(text_opts "$txt"))
	check "$name: every option of its --help is in $name.8" test -z "$miss"
	for o in $miss; do
		echo "# $name: option $o is in '${name/-/ } --help' but not in $name.8"
	done

	has_terms "$(help_keys "$help")" key KEYS
	has_terms "$(help_cols "$help")" column COLUMNS
}

# has_terms WORDS WHAT SECTION: each of WORDS (lines of --help) is a term of
# SECTION in the page ($name, $txt of check_page); none: nothing to check.
has_terms() {
	local w miss
	[ -n "$1" ] || return 0
	miss=$(comm -23 <(echo "$1" | sort -u) <(terms "$txt" "$3"))
	check "$name: each of its --help's $(echo "$1" | wc -l) ${2}s is a term of $3 in $name.8" \
		test -z "$miss"
	for w in $miss; do
		echo "# $name: $2 $w is in '${name/-/ } --help' but not in $3 of $name.8"
	done
}

"$cli" --help > "$tmp/help"
check_page memvirt "$tmp/help"
for v in $verbs; do
	"$cli" "$v" --help > "$tmp/help-$v"
	check_page "memvirt-$v" "$tmp/help-$v"
done

# The module's parameters, as the running module has them.
if [ -d /sys/module/memvirt/parameters ]; then
	params=$(ls /sys/module/memvirt/parameters)
	miss=$(comm -23 <(echo "$params" | sort) <(terms "$tmp/memvirt.txt" "KERNEL MODULE"))
	check "memvirt.8: each of memvirt.ko's $(echo "$params" | wc -w) parameters is described" \
		test -z "$miss"
	for p in $miss; do echo "# memvirt.8: module parameter $p is not in KERNEL MODULE"; done
else
	ok "memvirt.8: memvirt.ko's parameters are described # SKIP memvirt.ko not loaded"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
