#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `memvirt top` on a terminal: tmux runs it in a detached 160x40 session next
# to two VMs of different sizes from two VMMs (the small one's VMM under
# another command name); the test types keys and reads the screen. The first
# frame comes before the first interval ends; the heading counts the VMs
# `list` counts; sorting by MEMORY puts the big VM first, r puts it last; a
# filter by pid, part of a command or UUID, or a glob hides the other VM
# (the matcher of --pid and --comm, lib/filter.c); F hides the fault columns;
# the heading's host resident is not read again on the next frames (it walks
# every VM's pagemap) but shown with its age, and b reads it at once: up by
# the pages the test touched; h
# shows the selected VM's fault-latency histogram with the faults of pages
# the test touched, z empties it; a resize redraws; ? shows the keys. After
# q, SIGTERM or a hangup top is gone, the terminal restored (alternate screen
# off, the shell's prompt and top's exit status 0 on the screen) and its BPF
# programs detached. TAP; exit 4 (KSFT_SKIP) when something it needs is
# missing.
. "$(dirname "$0")/lib/lib.sh"
require_vm_env
command -v tmux > /dev/null || skip_all "tmux not installed"
command -v jq > /dev/null || skip_all "jq not installed"
command -v bpftool > /dev/null || skip_all "bpftool not installed (the probes check)"
# tmux's panes are "screen" terminals; ncurses needs its terminfo entry.
term=screen
[ -e /lib/terminfo/s/$term ] || [ -e /usr/share/terminfo/s/$term ] ||
	skip_all "no terminfo entry for $term (ncurses-base)"

pages=1000
echo "1..21"

uuid=0a1b2c3d-4e5f-6789-abcd-ef0123456789
vmm_start --vcpus 1 --uuid $uuid --slot gpa=0x100000,size=64M,backing=nothp
big=$vm_id
# The small VM's VMM is a copy of memvirt-vmm named vmm-small: its own pid
# and command name.
cp "$vmm" "$tmp/vmm-small"
"$tmp/vmm-small" --no-stdin --vcpus 1 --slot gpa=0x100000,size=8M,backing=nothp \
	> "$tmp/small.out" 2>&1 &
small_pid=$!
for _ in $(seq 100); do grep -q '^ready$' "$tmp/small.out" && break; sleep 0.1; done
small=$(sed -n 's/^vm //p' "$tmp/small.out")
[ -n "$small" ] || { sed 's/^/# /' "$tmp/small.out"; skip_all "second memvirt-vmm did not start"; }
nr_vms=$("$cli" list -J | jq '.vms | length')
echo "# VMs: $big (64M, pid $vm_pid, uuid $uuid), $small (8M, pid $small_pid, vmm-small); list: $nr_vms"

# The tmux server's socket on a tmpfs of its own, its shell without rc files.
export TMUX_TMPDIR=$tmp
tm() { tmux -L memvirt-tui "$@"; }
tui_cleanup() {
	tm kill-server 2> /dev/null
	[ -n "$small_pid" ] && kill "$small_pid" 2> /dev/null && wait "$small_pid" 2> /dev/null
	cleanup
}
trap tui_cleanup EXIT
TERM=$term tm -f /dev/null new-session -d -s tui -x 160 -y 40 \
	"env -i PATH=$PATH HOME=$tmp TERM=$term PS1='tui> ' bash --norc --noprofile" ||
	skip_all "tmux cannot start a session here"

screen() { tm capture-pane -p -t tui > "$tmp/screen"; }
# wait_for REGEX [SECONDS]: until the pane shows it (default 30 s), 0 if it
# did. Each look starts tmux: about a second in a guest on a 9p root.
wait_for() {
	local end=$((SECONDS + ${2:-30}))
	while [ "$SECONDS" -le "$end" ]; do
		screen
		grep -qE -- "$1" "$tmp/screen" && return 0
		sleep 0.1
	done
	sed 's/^/# screen: /' "$tmp/screen"
	return 1
}
# wait_gone REGEX [SECONDS]: until the pane no longer shows it.
wait_gone() {
	local end=$((SECONDS + ${2:-30}))
	while [ "$SECONDS" -le "$end" ]; do
		screen
		grep -qE -- "$1" "$tmp/screen" || return 0
		sleep 0.1
	done
	return 1
}
keys() { tm send-keys -t tui "$@"; }
row() { grep -n -- "^$1 " "$tmp/screen" | cut -d: -f1; }	# ID: its line
alt_screen() { tm display-message -p -t tui '#{alternate_on}'; }
top_pid() { pgrep -P "$(tm display-message -p -t tui '#{pane_pid}')" -x memvirt; }

wait_for '^tui>' 120 || skip_all "the shell in tmux did not start"
# 1. The first frame before the first interval (600 s) ends.
start=$(date +%s)
keys "$cli top -b -i 600; echo top-exit=\$?" Enter
wait_for '^memvirt top - ' 300
took=$(($(date +%s) - start))
sed 's/^/# /' "$tmp/screen" | head -n 8
check "the first frame comes at once, not after the 600 s interval ($took s)" \
	test "$took" -lt 600 -a "$(grep -c '^memvirt top - ' "$tmp/screen")" -eq 1
check "the alternate screen is on while top runs" test "$(alt_screen)" = 1
check "the heading counts the VMs list counts ($nr_vms)" \
	grep -q "^VMs: $nr_vms ($nr_vms shown" "$tmp/screen"

# 2. Sort by MEMORY: the big VM first; reversed: last.
keys s; wait_for 'sort by column:' > /dev/null
keys MEMORY Enter
wait_for '^sort: MEMORY \(largest' > /dev/null
b=$(row "$big") s=$(row "$small")
echo "# sort MEMORY: $big on line $b, $small on line $s"
check "sorted by MEMORY the 64M VM comes before the 8M VM" test -n "$b" -a -n "$s" -a "${b:-0}" -lt "${s:-0}"
keys r
wait_for '^sort: MEMORY \(reversed' > /dev/null
b=$(row "$big") s=$(row "$small")
echo "# reversed: $big on line $b, $small on line $s"
check "reversed, the 64M VM comes after the 8M VM" test -n "$b" -a -n "$s" -a "${b:-0}" -gt "${s:-0}"

# 3. Filters: a pid, part of a command name, of a UUID (any case), a glob, none.
keys /; wait_for '^filter' > /dev/null
keys "$small_pid" Enter
wait_for "filter: $small_pid" > /dev/null
check "filter by pid $small_pid: only $small shows" \
	test -n "$(row "$small")" -a -z "$(row "$big")" -a -n "$(grep "^VMs: $nr_vms (1 shown" "$tmp/screen")"
keys f; wait_for '^filter' > /dev/null
keys memvirt-vmm Enter
wait_for "filter: memvirt-vmm" > /dev/null
check "filter by command memvirt-vmm: only $big shows" \
	test -n "$(row "$big")" -a -z "$(row "$small")"
keys /; wait_for '^filter' > /dev/null
keys "6789-ABCD" Enter
wait_for "filter: 6789-ABCD" > /dev/null
check "filter by part of the UUID in capitals: only $big shows" \
	test -n "$(row "$big")" -a -z "$(row "$small")"
keys /; wait_for '^filter' > /dev/null
keys '*-small' Enter
wait_for "filter: \\*-small" > /dev/null
check "filter by the glob *-small (the command vmm-small): only $small shows" \
	test -n "$(row "$small")" -a -z "$(row "$big")"
keys /; wait_for '^filter' > /dev/null
keys Enter
wait_for "^VMs: $nr_vms \\($nr_vms shown" > /dev/null
check "an empty filter shows both again" test -n "$(row "$big")" -a -n "$(row "$small")"

# 4. F hides the fault columns and shows them again.
keys F
wait_gone 'FAULTS/s'
hidden=$(grep -c 'FAULTS/s' "$tmp/screen")
keys F
wait_for 'FAULTS/s' > /dev/null
shown=$(grep -c 'FAULTS/s' "$tmp/screen")
check "F hides FAULTS/s and shows it again ($hidden, then $shown)" test "$hidden" -eq 0 -a "$shown" -eq 1

# 5. Host resident (bytes, -b): the first frame read it; the big VM touches
# $pages new pages; at a 2 s interval the next frames show the same figure
# and its age; at a 600 s interval (no frames) b reads it at once: up by the
# pages touched (4K, nothp).
resident() { sed -n 's/.*Host resident: \([0-9]*\).*/\1/p' "$tmp/screen"; }
screen
r0=$(resident)
grep -q 'Host resident: [0-9]* (' "$tmp/screen" && r0=aged
echo "touch 0,0,$pages,4096,w" >&3
for _ in $(seq 100); do grep -q '^ok$' "$tmp/out" && break; sleep 0.1; done
keys r d; wait_for '^interval' > /dev/null
keys 2 Enter
wait_for ' 2\.0 s interval' > /dev/null
wait_for 'Host resident: [0-9]+ \([0-9]+ s old\)' > /dev/null
r1=$(resident)
echo "# host resident: $r0 bytes on the first frame, $r1 on a later one"
check "between readings the heading keeps host resident ($r0) and shows its age" \
	test -n "$r0" -a "$r0" != aged -a "$r1" = "$r0" -a \
	-n "$(grep 'Host resident: [0-9]* ([0-9]* s old)' "$tmp/screen")"
keys d; wait_for '^interval' > /dev/null
keys 600 Enter
wait_for ' 600\.0 s interval' > /dev/null
keys b
wait_gone 'Host resident: [0-9]+ \(' > /dev/null
r2=$(resident)
echo "# after b: $r2 bytes, $((${r2:-0} - ${r0:-0})) more; the test touched $((pages * 4096))"
check "b reads host resident now: up by the $pages pages touched" \
	test -n "$r2" -a "$((${r2:-0} - ${r0:-0}))" -ge $((pages * 4096)) -a \
	"$((${r2:-0} - ${r0:-0}))" -lt $((pages * 4096 + (2 << 20)))

# The histogram of the big VM (first, sorted by MEMORY) counts its faults:
# refresh every second, select it, h.
keys d; wait_for '^interval' > /dev/null
keys 1 Enter
wait_for ' 1\.0 s interval' > /dev/null
keys k k h
wait_for "^Fault latency of VM $big" > /dev/null
sleep 2
screen
sum=$(awk '/^ *[0-9]+ -> [0-9]+ : [0-9]+/ { n += $5 } END { print n + 0 }' "$tmp/screen")
sed -n '/^Fault latency/,$p' "$tmp/screen" | sed 's/^/# /'
check "h: $big's fault-latency histogram holds its $pages touches ($sum samples)" \
	test "$sum" -ge "$pages"
# A resize redraws: the histogram's bars are as wide as the screen allows,
# 60 of 100 columns (80 of 160 before).
tm resize-window -t tui -x 100 -y 40
wait_for '\|\*{60}\|$' > /dev/null
check "a resize to 100 columns redraws: the longest bar 60 wide, closed" \
	grep -qE '\|\*{60}\|$' "$tmp/screen"
keys z
wait_for 'histograms reset' > /dev/null
wait_for "no latency samples" > /dev/null
check "z: the histogram counts from now: no samples" grep -q "no latency samples" "$tmp/screen"

# 6. Help.
keys '?'
wait_for '^memvirt top - keys' > /dev/null
check "? shows the keys" grep -q 'reverse the sort order' "$tmp/screen"
keys x

# 7. q: exit status 0, the terminal restored, the probes gone.
attached=$(probes_attached)
keys q
wait_for '^top-exit=' 60 > /dev/null
left=$(probes_left)
echo "# probes: $attached programs attached while top ran, $left after q"
check "q: top exits 0, its BPF programs gone" \
	test -n "$(grep '^top-exit=0$' "$tmp/screen")" -a "$attached" -gt 0 -a "$left" -eq 0
check "q: the terminal is restored (alternate screen off, the prompt back)" \
	test "$(alt_screen)" = 0 -a -n "$(tail -n 40 "$tmp/screen" | grep '^tui>')"

# 8. SIGTERM to an interactive top: the same.
keys clear Enter
keys "$cli top -i 600; echo top-exit=\$?" Enter
wait_for '^memvirt top - ' 300 > /dev/null
pid=$(top_pid)
kill -TERM "$pid"
wait_for '^top-exit=' 60 > /dev/null
left=$(probes_left)
check "SIGTERM: top (pid $pid) exits 0, the terminal restored, no BPF programs left" \
	test -n "$(grep '^top-exit=0$' "$tmp/screen")" -a "$(alt_screen)" = 0 -a "$left" -eq 0

# 9. A hangup (the session killed): top goes and takes its probes along.
keys "$cli top -i 600" Enter
wait_for '^memvirt top - ' 300 > /dev/null
pid=$(top_pid)
tm kill-server
for _ in $(seq 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
left=$(probes_left)
check "hangup: top (pid $pid) exits, no BPF programs left" \
	test -n "$pid" -a ! -d "/proc/$pid" -a "$left" -eq 0

kill "$small_pid"
wait "$small_pid" 2> /dev/null
small_pid=
vmm_quit
[ "$failed" -eq 0 ]
