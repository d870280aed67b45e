# SPDX-License-Identifier: GPL-2.0
# Count leaf test results in (nested) kselftest TAP: a top-level result
# counts only when its program printed no results of its own; a failing
# program whose own results all passed (crash, timeout) counts one failure.
# A program that passed (exit 0) must have printed its plan ("1..N") and N
# results: one that stopped early, printed more, or planned nothing counts
# one failure more, named on stderr.
function leaf(line) {
	if (line ~ /^not ok/) { failed++; return }
	if (line ~ /# *[Ss][Kk][Ii][Pp]/) { skipped++; return }
	passed++
}
# A program's output starts: "# selftests: memvirt: NAME" (the kselftest
# runner, guest-check.sh's run_some).
/^# selftests: [^ ]+: [^ ]+$/ {
	prog = $4
	plan = -1
	next
}
prog != "" && /^# 1\.\.[0-9]+/ {
	if (plan < 0)
		plan = substr($2, 4) + 0
	next
}
/^# (not )?ok [0-9]+/ {
	sub(/^# /, "")
	leaf($0)
	nested++
	if ($0 ~ /^not ok/) nested_failed++
	next
}
/^(not )?ok [0-9]+/ {
	if (prog != "" && $0 ~ /^ok/ && $0 !~ /# *[Ss][Kk][Ii][Pp]/ && plan != nested) {
		failed++
		if (plan < 0)
			printf "# %s: exit 0 without a TAP plan (%d results)\n", prog, nested > "/dev/stderr"
		else
			printf "# %s: exit 0 with %d results of a plan of %d\n", prog, nested, plan > "/dev/stderr"
	} else if (!nested)
		leaf($0)
	else if ($0 ~ /^not ok/ && !nested_failed)
		failed++
	nested = 0
	nested_failed = 0
	prog = ""
}
END { printf "%d %d %d\n", passed, failed, skipped }
