#!/bin/bash
# Office-mode switching, printed as "bench: NAME = VALUE UNIT":
#   switch.to_office_ms   p50/p95 over N plugs into the office: from the
#                         uplink's address (the DHCP client's hook wrote the
#                         lease) to work's first LGWAN packet on the office
#                         LAN (a 5 ms ping runs throughout)
#   switch.to_remote_ms   p50/p95 over N plugs back home: from the address
#                         to the first LGWAN reply seen by work
#   switch.dhcp_ms        the DHCP exchange alone (cable in to lease), p50
#   switch.ping_gap_ms    the longest gap in a 10 ms ping from work to an
#                         LGWAN host while the office cable is pulled and
#                         the tunnel takes over on WWAN; and the same for
#                         the way back (cable in, office verified)
# Each also as NAME_10k (to_office_p95_ms_10k, to_remote_p95_ms_10k,
# ping_gap_ms_10k: goals < 60, < 60, < 50 ms) with a policy of
# BENCH_PREFIXES (10,000) prefixes and BENCH_SERVICES (1,000) services, in
# the same run: a mode change does not carry the policy's sets.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lab/lab.sh
. tests/integration/lib.sh

runs=${BENCH_SWITCHES:-20}
prefixes=${BENCH_PREFIXES:-10000}
services=${BENCH_SERVICES:-1000}
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
# Rate limits off: the bench probes faster than a laptop ever would.
LAB_BEACON_OPTS="-r 0 -R 0" LAB_SEGMENTS="office lte" lab_up || exit 1
netvm_env
netvm_boot
# The same figures with the lab's policy and with one of $prefixes prefixes
# and $services services (tests/bench/lib.sh, gen_policy; the portal's
# service last), in one run so that the ratio is visible.
big=$LAB_DIR/policy-10k.conf
gen_policy "$LAB_POLICY" "$prefixes" "$services" last >"$big" &&
	build/sekisho-policy check "$big" || exit 1

lease_time() { stat -c %.9Y "$LAB_DIR/lease.up0"; }
now_s() { date +%s.%N; }
ms() { python3 -c "print(round(($2 - $1) * 1000, 1))"; }

# First LGWAN reply after t0, from a 5 ms ping log with -D timestamps.
first_reply_after() {
	awk -v t0="$2" '/bytes from/ { t = substr($1, 2, length($1) - 2) + 0; if (t >= t0) { printf "%.6f\n", t; exit } }' "$1"
}
# Work's first packet to LGWAN seen on the office LAN (the office path in
# force), from tcpdump on the office's port; waits up to 5 s.
first_office_packet() {
	n office timeout 5 tcpdump -tt -n -c 1 -i on0 "icmp and dst host $LAB_PORTAL" 2>/dev/null |
		awk '{ printf "%.6f\n", $1; exit }'
}
pinging() {	# LOG: a 5 ms ping from work to the portal, in the background
	n work timeout 10 ping -D -n -i 0.005 -W 1 -c 2000 "$LAB_PORTAL" >"$1" 2>&1 &
	pinger=$!
}
stop_ping() {
	kill_tree "$pinger"; wait "$pinger" 2>/dev/null
}
# Longest gap in a 10 ms ping (LOG -> the longest interval between
# consecutive replies, ms).
gap() {
	awk '/bytes from/ { t = substr($1, 2, length($1) - 2) + 0; if (p) { d = (t - p) * 1000; if (d > m) m = d } p = t }
	    END { if (m) printf "%.0f\n", m }' "$1"
}

# measure SUFFIX POLICY WHAT: a fresh sekishod with POLICY at home, then
# $runs plugs into the office and back, then the cable pulled with the
# tunnel on WWAN; the figures named with SUFFIX.
measure() {
	local sfx=$1 pol=$2 what=$3 i t t_lease r log p50 p95 n
	local to_office=() to_remote=() dhcp=()
	lab_stop sekishod 2>/dev/null
	lab_unplug up2 2>/dev/null
	lab_plug up0 home >/dev/null || return 1
	netvm_start "$pol" || { echo "bench: switch: sekishod did not start ($what)" >&2; return 1; }
	lab_pid work-dhcp >/dev/null || lab_work_dhcp || return 1
	lab_uplink_dhcp up0 >/dev/null || return 1
	netvm_wait_mode remote 30 || return 1
	for i in $(seq 1 "$runs"); do
		pinging "$LAB_DIR/ping-o$i.log"
		( first_office_packet >"$LAB_DIR/office-$i" ) &
		watcher=$!
		sleep 0.3
		t=$(now_s)
		lab_plug up0 office >/dev/null || return 1
		t_lease=$(lease_time)
		dhcp+=("$(ms "$t" "$t_lease")")
		wait "$watcher"
		stop_ping
		r=$(cat "$LAB_DIR/office-$i")
		[ -n "$r" ] && to_office+=("$(ms "$t_lease" "$r")")
		log=$LAB_DIR/ping-$i.log
		pinging "$log"
		sleep 0.2
		lab_plug up0 home >/dev/null || return 1
		t_lease=$(lease_time)
		lab_wait_for -t 5 bash -c "[ -n \"\$(awk -v t0=$t_lease '/bytes from/ { t = substr(\$1, 2, length(\$1) - 2) + 0; if (t >= t0) { print t; exit } }' '$log')\" ]"
		r=$(first_reply_after "$log" "$t_lease")
		stop_ping
		[ -n "$r" ] && to_remote+=("$(ms "$t_lease" "$r")")
	done
	# Each plug's figure in order, on stderr: which plug was slow (the
	# first after start, one in the middle) tells where to look.
	echo "bench: switch$sfx: to_office_ms by plug: ${to_office[*]}; to_remote_ms by plug: ${to_remote[*]}" >&2
	BENCH_WHY="no LGWAN packet on the office LAN within 5 s of any plug ($what)"
	read -r p50 p95 n <<<"$(printf '%s\n' "${to_office[@]}" | stats)"
	bench "switch.to_office_ms$sfx" "$p50" "ms p50 over $n, $what"
	bench "switch.to_office_p95_ms$sfx" "$p95" "ms ($what; goal < 60)"
	BENCH_WHY="no LGWAN reply within 5 s of any plug back home ($what)"
	read -r p50 p95 n <<<"$(printf '%s\n' "${to_remote[@]}" | stats)"
	bench "switch.to_remote_ms$sfx" "$p50" "ms p50 over $n, $what"
	bench "switch.to_remote_p95_ms$sfx" "$p95" "ms ($what; goal < 60)"
	read -r p50 p95 n <<<"$(printf '%s\n' "${dhcp[@]}" | stats)"
	BENCH_WHY="no lease"
	bench "switch.dhcp_ms$sfx" "$p50" "ms p50 (cable in to lease, busybox udhcpc; not in the figures above)"

	# Longest gap in a 10 ms ping across a cable pull (office -> tunnel
	# on WWAN) and back (office verified again).
	lab_plug up2 lte >/dev/null && lab_uplink_dhcp up2 >/dev/null || return 1
	lab_plug up0 office >/dev/null && lab_wait_for -t 5 netvm_mode_is office || return 1
	log=$LAB_DIR/gap$sfx.log
	n work ping -D -n -i 0.01 -W 1 -c 300 "$LAB_PORTAL" >"$log" 2>&1 &
	pinger=$!
	sleep 1
	lab_unplug up0
	wait "$pinger"
	BENCH_WHY="no ping replies ($what)"
	bench "switch.ping_gap_ms$sfx" "$(gap "$log")" "ms, office cable pulled, tunnel over WWAN ($what; goal < 50)"
	n work ping -D -n -i 0.01 -W 1 -c 300 "$LAB_PORTAL" >"$log" 2>&1 &
	pinger=$!
	sleep 1
	lab_plug up0 office >/dev/null
	wait "$pinger"
	bench "switch.ping_gap_back_ms$sfx" "$(gap "$log")" "ms, office cable back in (DHCP, probe, office; $what)"
	BENCH_WHY=
}

measure "" "$LAB_POLICY" "the lab's policy" || echo "bench: switch: the lab's policy: a step failed" >&2
measure _10k "$big" "$prefixes prefixes + $services services" ||
	echo "bench: switch: the $prefixes-prefix policy: a step failed" >&2
bench_done
