# SPDX-License-Identifier: GPL-2.0
# Runs inside the demo guest, started by demo.sh (environment: top, ko, vmm,
# kver, ginit).
set -u
PATH=$top/user:$PATH
say() { printf '\n$ %s\n' "$*"; "$@"; }

# start_vmm NAME ARGS...: run the test VMM in the background until "ready".
start_vmm() {
	local name=$1 i
	shift
	"$vmm" --no-stdin "$@" > "/tmp/$name.out" 2>&1 &
	for i in $(seq 1 60); do
		grep -q '^ready' "/tmp/$name.out" && { sed 's/^/vmm: /' "/tmp/$name.out"; return 0; }
		sleep 1
	done
	echo "demo: $name did not start:"; cat "/tmp/$name.out"
	return 1
}

insmod "$ko" || exit 1
echo always > /sys/kernel/mm/transparent_hugepage/enabled

echo "Starting four VMs:"
echo " 1. test VMM: 1 vCPU, 64 MiB without THP, 1000 scattered 4K pages written"
start_vmm vm1 --vcpus 1 --slot gpa=0x100000,size=64M,backing=nothp \
	--touch 0,0,1000,0x10000,w || exit 1
echo " 2. test VMM: 2 vCPUs, 512 MiB THP-backed with 128 MiB written, plus a read-only slot"
start_vmm vm2 --vcpus 2 --slot gpa=0x40000000,size=512M,backing=thp \
	--slot gpa=0xb0000000,size=1M,flags=ro --touch 0,0,32768,4096,w || exit 1

echo " 3. QEMU -enable-kvm booting Linux $kver with 256 MiB (nested SVM)"
# A nested guest under single-threaded TCG with two outer vCPUs stalled in
# most boots (running in guest mode, no exits but host interrupts, no
# interrupt injected, at a random point of early boot); demo.sh gives the
# outer guest one vCPU, with which it came up in 6 of 6 boots, in ~15 s or
# less. Keep a retry all the same: give each boot 40 s and start it again,
# up to five times; the last one is left running either way: a stalled guest
# is still a KVM VM with its memory.
for try in 1 2 3 4 5; do
	qemu-system-x86_64 -enable-kvm -cpu host -m 256 -smp 1 -nodefaults -no-user-config \
		-display none -serial file:/tmp/demo-guest.log -kernel "/boot/vmlinuz-$kver" \
		-initrd "$ginit" -append "console=ttyS0" </dev/null >/tmp/demo-qemu.log 2>&1 &
	qpid=$!
	for i in $(seq 1 40); do
		grep -q 'demo-guest: up' /tmp/demo-guest.log 2>/dev/null && break 2
		sleep 1
	done
	[ "$try" -lt 5 ] || break
	echo "    (boot $try stalled at: $(tail -n 1 /tmp/demo-guest.log | cut -c1-60); starting it again)"
	kill "$qpid"
	wait "$qpid" 2>/dev/null
done
if ! grep 'demo-guest:' /tmp/demo-guest.log; then
	echo "demo: the nested QEMU guest did not come up in five boots (the last stays, stalled):"
	tail -n 20 /tmp/demo-guest.log /tmp/demo-qemu.log
fi

echo " 4. test VMM that leaks its VM: every KVM fd closed, only the vCPU's kvm_run mapping left"
mkfifo /tmp/vm4.in
"$vmm" --vcpus 1 --slot gpa=0x100000,size=16M,backing=nothp --touch 0,0,100,4096,w \
	< /tmp/vm4.in > /tmp/vm4.out 2>&1 &
exec 5> /tmp/vm4.in
for i in $(seq 1 60); do grep -q '^ready' /tmp/vm4.out && break; sleep 1; done
echo "hold mapping" >&5
for i in $(seq 1 60); do grep -q '^ok' /tmp/vm4.out && break; sleep 1; done
sed 's/^/vmm: /' /tmp/vm4.out
echo "    its fds now: $(ls -l /proc/$!/fd | grep -c 'anon_inode:kvm') KVM files;" \
	"its maps: $(grep -c 'anon_inode:kvm-vcpu' /proc/$!/maps) kvm_run mapping"

say memvirt list
say memvirt list --summary
ids=$(memvirt list --json | jq -r '.vms[].id')
for id in $ids; do
	say memvirt show "$id"
done

# Host backing of the THP VM, and of the 4K one, by their ids.
say memvirt show "$(sed -n 's/^vm //p' /tmp/vm2.out)" --backing
say memvirt show "$(sed -n 's/^vm //p' /tmp/vm1.out)" --backing
say memvirt list -o ID,COMM,MEMORY,HUGE,RESIDENT,HOST-HUGE
say memvirt frag

# Page faults per VM while a fifth VM writes 3000 new pages.
printf '\n$ memvirt faults -d 8 -i 8   # while a VM writes 3000 new 4K pages\n'
memvirt faults -d 8 -i 8 &
fpid=$!
sleep 3
"$vmm" --slot gpa=0x100000,size=32M,backing=nothp --touch 0,0,3000,4096,w \
	<<< quit > /dev/null
wait "$fpid"

# The same, joined with the module's view of every VM.
printf '\n$ memvirt top --batch -i 4 -d 4   # while a VM writes 2000 new 4K pages\n'
memvirt top --batch -i 4 -d 4 &
fpid=$!
sleep 1
# top lists the VMs alive at each refresh: keep this one up past the first.
{ sleep 5; echo quit; } | "$vmm" --slot gpa=0x100000,size=32M,backing=nothp \
	--touch 0,0,2000,4096,w > /dev/null
wait "$fpid"

# The same numbers for a monitoring system (first lines of each VM family).
printf '\n$ memvirt export | grep -m 12 "^memvirt_vm_"   # Prometheus text format\n'
memvirt export | grep -m 12 '^memvirt_vm_'

# The same, scraped: memvirt serve, a Prometheus scraping it every second,
# a VM writing pages meanwhile, and a few queries through Prometheus' API.
promq() {	# QUERY: "labels: value" lines
	printf '\n$ promql %s\n' "$1"
	curl -sG http://127.0.0.1:9090/api/v1/query --data-urlencode "query=$1" |
		jq -r '.data.result[] | "  \(.metric | del(.__name__, .instance, .job) |
			to_entries | map("\(.key)=\(.value)") | join(",") |
			if . == "" then "all" else . end): \(.value[1])"'
}
printf '\n$ memvirt serve &   # and Prometheus scraping http://127.0.0.1:9177/metrics every second\n'
memvirt serve --listen 127.0.0.1:9177 2> /tmp/serve.err &
printf 'global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: memvirt\n    static_configs: [{targets: ["127.0.0.1:9177"]}]\n' \
	> /tmp/prometheus.yml
prometheus --config.file=/tmp/prometheus.yml --storage.tsdb.path=/tmp/tsdb \
	--web.listen-address=127.0.0.1:9090 > /tmp/prometheus.log 2>&1 &
for i in $(seq 1 300); do
	[ "$(curl -sG http://127.0.0.1:9090/api/v1/query --data-urlencode 'query=memvirt_up' |
		jq -r '.data.result[0].value[1] // empty' 2>/dev/null)" = 1 ] && break
	sleep 1
done
"$vmm" --no-stdin --slot gpa=0x100000,size=32M,backing=nothp --touch 0,0,4000,4096,w \
	> /tmp/vm6.out 2>&1 &
sleep 15
promq 'memvirt_vm_memory_bytes'
promq 'sum by (vm) (memvirt_vm_overhead_bytes)'
promq 'sum by (vm) (memvirt_vm_page_faults_total) > 0'
promq 'histogram_quantile(0.99, sum by (le) (rate(memvirt_vm_page_fault_duration_seconds_bucket[30s])))'
promq 'sum by (node) (memvirt_zone_huge_2m_available_pages)'

exec 5>&-
kill $(jobs -p) 2>/dev/null
wait
rmmod memvirt
