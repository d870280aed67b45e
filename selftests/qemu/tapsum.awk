# SPDX-License-Identifier: GPL-2.0
# Count leaf test results in (nested) kselftest TAP: a top-level result
# counts only when its program printed no results of its own; a failing
# program whose own results all passed (crash, timeout) counts one failure.
function leaf(line) {
	if (line ~ /^not ok/) { failed++; return }
	if (line ~ /# *[Ss][Kk][Ii][Pp]/) { skipped++; return }
	passed++
}
/^# (not )?ok [0-9]+/ {
	sub(/^# /, "")
	leaf($0)
	nested++
	if ($0 ~ /^not ok/) nested_failed++
	next
}
/^(not )?ok [0-9]+/ {
	if (!nested)
		leaf($0)
	else if ($0 ~ /^not ok/ && !nested_failed)
		failed++
	nested = 0
	nested_failed = 0
}
END { printf "%d %d %d\n", passed, failed, skipped }
