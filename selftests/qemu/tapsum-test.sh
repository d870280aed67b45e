#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The harness checks itself: tapsum.awk's counts of made-up kselftest TAP,
# among them programs that exit 0 having run fewer results than they
# planned, more, or no plan at all. Prints "ok" or what went wrong; exit 1
# on a wrong count. check.sh runs it before any guest.
here=$(dirname "$0")
bad=0

# expect "PASSED FAILED SKIPPED" DESCRIPTION: stdin counted.
expect() {
	got=$(awk -f "$here/tapsum.awk" 2>/dev/null)
	[ "$got" = "$1" ] && return
	echo "tapsum.awk: $2: got '$got', want '$1'"
	bad=1
}

expect "2 0 1" "a full plan, a skip" <<'EOT'
TAP version 13
1..1
# selftests: memvirt: t.sh
# TAP version 13
# 1..3
# ok 1 a
# ok 2 b
# ok 3 c # SKIP no d
ok 1 selftests: memvirt: t.sh
EOT
expect "1 1 0" "exit 0 after 1 result of a plan of 3" <<'EOT'
# selftests: memvirt: short.sh
# 1..3
# ok 1 a
ok 1 selftests: memvirt: short.sh
EOT
expect "0 1 0" "exit 0 without a plan or a result" <<'EOT'
# selftests: memvirt: silent
ok 1 selftests: memvirt: silent
EOT
expect "2 1 0" "exit 0 with more results than planned" <<'EOT'
# selftests: memvirt: long
# 1..1
# ok 1 a
# ok 2 b
ok 1 selftests: memvirt: long
EOT
expect "0 0 1" "a skip of the whole program (1..0, exit 4)" <<'EOT'
# selftests: memvirt: none
# 1..0 # SKIP no /dev/kvm
ok 1 selftests: memvirt: none # SKIP
EOT
expect "1 1 0" "a crash after a passing result" <<'EOT'
# selftests: memvirt: crash
# 1..2
# ok 1 a
not ok 1 selftests: memvirt: crash # exit=139
EOT
expect "2 0 0" "the harness's own results have no plan" <<'EOT'
ok 1 harness: insmod memvirt.ko
ok 2 harness: kernel log clean
EOT
[ "$bad" = 0 ] && echo ok
exit "$bad"
