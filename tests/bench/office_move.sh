#!/bin/bash
# Office mode ending with its link (issue 10, items 1 and 2), printed as
# "bench: NAME = VALUE UNIT". Work floods LGWAN (a ping every 2 ms)
# throughout, the policy has 1,003 LGWAN prefixes; the office cable moves
# to a hotel that hands out the office's addresses (no beacon there),
# BENCH_MOVES times (default 20) of each kind:
#   blip    a fast cable swap: carrier down for a moment, address kept;
#   switch  through a small switch: carrier kept, the hotel's router has
#           its own MAC;
#   mimic   through a small switch into a hotel whose router imitates the
#           office router's MAC.
# After each move the laptop goes back to the office (a swap) and office
# mode is reached again before the next one.
#   switch.office_leak_packets    work's LGWAN packets counted on the hotel
#                                 segment (ingress of its wall socket),
#                                 summed over the blip and switch moves
#                                 (goal 0); each kind also on its own line
#   switch.office_exposure_ms     mimic: from the move to the last LGWAN
#                                 packet tcpdump saw on the hotel LAN, max
#                                 (goal < 2000); p50 on its own line
#   switch.office_leak_newmac_F_A_packets
#                                 the switch moves again, with the policy's
#                                 router-arp F and router-alive A (BENCH_FAST,
#                                 default "40 100"): sekishod restarted with
#                                 that policy after the moves above
#   switch.office_router_arp_per_s  sekishod's ARP requests to the office
#                                 router counted on the office LAN in a 5 s
#                                 window in office mode, per second, for the
#                                 defaults and for F / A: the cost beside
#                                 the leak
# A figure without samples is printed as "= - UNIT", says why on stderr,
# and the bench exits non-zero.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lab/lab.sh
. tests/integration/lib.sh

moves=${BENCH_MOVES:-20}
pinger=""
cleanup() {
	[ -n "$pinger" ] && kill_tree "$pinger"
	netvm_cleanup; lab_down
}
trap cleanup EXIT
failed=0
# none NAME UNIT WHY: a figure with no samples.
none() {
	printf 'bench: %s = - %s\n' "$1" "$2"
	echo "bench $1: no samples: $3" >&2
	failed=1
}

# Rate limits off: moves follow each other faster than a laptop's ever do.
LAB_BEACON_OPTS="-r 0 -R 0" LAB_SEGMENTS="office hotel" lab_up || exit 1
netvm_env
netvm_boot
lab_hotel_beacon none || exit 1
# The policy of tests/integration/53-office-move.sh: 1,000 more LGWAN
# prefixes, so that each mode change takes sekishod as long as an agency's.
pol=$LAB_DIR/policy-large.conf
awk '{ print } /^lgwan \{/ { for (i = 0; i < 1000; i++) printf "\tprefix 10.%d.%d.0/24\n", 100 + int(i / 256), i % 256 }' \
	"$LAB_POLICY" >"$pol"
read -r fast_arp fast_alive <<<"${BENCH_FAST:-40 100}"
pol_fast=$LAB_DIR/policy-large-fast.conf
{ cat "$pol"; printf 'timers {\n\trouter-arp %s\n\trouter-alive %s\n}\n' "$fast_arp" "$fast_alive"; } >"$pol_fast"
netvm_start "$pol" || exit 1
lab_work_dhcp || exit 1
lab_uplink_dhcp up0 || exit 1
netvm_wait_mode remote || exit 1
lab_plug up0 office >/dev/null && netvm_wait_mode office 5 || exit 1

patch=$(_lab_ns patch)
hotel_ns=$(_lab_ns hotel)
mac_of() { ip -n "$(_lab_ns "$1")" -o link show dev "$2" | sed -E 's/.* link\/ether ([0-9a-f:]+) .*/\1/'; }
office_mac=$(mac_of office br0)
hotel_mac=$(mac_of hotel br0)
lgwan_set="" lgwan_bpf=""
for p in $LAB_LGWAN_PREFIXES; do
	lgwan_set+="${lgwan_set:+, }$p"
	lgwan_bpf+="${lgwan_bpf:+ or }dst net $p"
done
n hotel nft insert rule netdev lableak ingress ether type ip ip daddr "{ $lgwan_set }" counter comment '"lgwan-from-laptop"'
hotel_lgwan() {
	n hotel nft list chain netdev lableak ingress |
		sed -n 's/.*counter packets \([0-9]*\) bytes [0-9]* comment "lgwan-from-laptop".*/\1/p'
}
in_hotel_remote() { netvm_mode_is remote && ctl status | grep -qE '^  up0 .* not-office'; }
# A swap: the carrier is gone for a few milliseconds (a real cable swap
# keeps it down far longer: autonegotiation alone takes over a second).
# The kernel flushes the uplink's neighbour entries when its link watch
# finds the carrier down (at once for these veths, within a second for a
# physical NIC); a blip shorter than that is a move with carrier kept.
swap_to() {
	ip -n "$patch" link set c-up0 down &&
	ip -n "$patch" link set c-up0 nomaster &&
	ip -n "$patch" link set c-up0 master "s-$1" &&
	ip -n "$patch" link set c-up0 up
}
switch_to() {
	ip -n "$patch" link set c-up0 nomaster &&
	ip -n "$patch" link set c-up0 master "s-$1"
}
back_to_office() { swap_to office && netvm_wait_mode office 5; }
now_s() { date +%s.%N; }

# sekishod's requests on the office LAN: unicast to the router's MAC and
# naming it as the target (the kernel's own probes name none).
n office nft -f - <<-EOT
table netdev benchar {
	counter asked { }
	chain ingress {
		type filter hook ingress device "on0" priority -400; policy accept;
		ether daddr $office_mac arp operation request arp daddr ether $office_mac counter name "asked"
	}
}
EOT
# arp_per_s: requests per second over a 5 s window in office mode.
arp_per_s() {
	local a0 a1 t0 t1
	netvm_mode_is office || back_to_office >/dev/null || return 1
	a0=$(n office nft list counter netdev benchar asked | awk '/packets/ { print $2 }'); t0=$(now_s)
	sleep 5
	a1=$(n office nft list counter netdev benchar asked | awk '/packets/ { print $2 }'); t1=$(now_s)
	netvm_mode_is office || return 1
	python3 -c "print(round(($a1 - $a0) / ($t1 - $t0), 1))"
}
arp_default=$(arp_per_s) || arp_default=-

n work ping -n -q -i 0.002 -W 1 "$LAB_PORTAL" >/dev/null 2>&1 &
pinger=$!
sleep 1

# move KIND: one move of that kind and back; prints the hotel's count of
# LGWAN packets it brought, or nothing if the move did not end in remote
# mode over the hotel (then no sample).
move() {
	local kind=$1 before after
	# A move from office mode, or none (a swap back when a probe failed,
	# e.g. a round trip over beacon-rtt on this busy machine).
	netvm_mode_is office || back_to_office >/dev/null || return 1
	before=$(hotel_lgwan)
	case $kind in
	blip) swap_to hotel ;;
	switch) switch_to hotel ;;
	esac || return 1
	lab_wait_for -t 5 in_hotel_remote || { back_to_office >/dev/null; return 1; }
	sleep 0.3	# flooding on in remote mode: nothing more may come
	after=$(hotel_lgwan)
	back_to_office >/dev/null || return 1
	echo $(( after - before ))
}

leak_blip=() leak_switch=()
for i in $(seq 1 "$moves"); do
	if r=$(move blip); then leak_blip+=("$r"); fi
	if r=$(move switch); then leak_switch+=("$r"); fi
done

# mimic: tcpdump on the hotel's side of its wall socket sees each LGWAN
# packet; the last one's time minus the move's is the exposure.
ip -n "$hotel_ns" link set br0 address "$office_mac" || exit 1
exposure=()
for i in $(seq 1 "$moves"); do
	cap=$LAB_DIR/mimic-$i.txt
	netvm_mode_is office || { back_to_office >/dev/null; continue; }
	n hotel tcpdump -l -tt -n -i tn0 "ip and ($lgwan_bpf)" >"$cap" 2>/dev/null &
	dump=$!
	sleep 0.3	# tcpdump listening
	t0=$(now_s)
	switch_to hotel || break
	if ! lab_wait_for -t 5 in_hotel_remote; then
		kill_tree "$dump"; wait "$dump" 2>/dev/null
		back_to_office >/dev/null; continue
	fi
	sleep 0.3
	kill_tree "$dump"; wait "$dump" 2>/dev/null
	last=$(awk 'NF { t = $1 } END { print t }' "$cap")
	if [ -n "$last" ]; then
		exposure+=("$(python3 -c "print(max(0, round(($last - $t0) * 1000)))")")
	else
		exposure+=(0)
	fi
	back_to_office >/dev/null || break
done
ip -n "$hotel_ns" link set br0 address "$hotel_mac"

# The switch moves again under router-arp F, router-alive A.
leak_fast=() arp_fast=-
lab_stop sekishod
if netvm_start "$pol_fast" && netvm_wait_mode office 10; then
	arp_fast=$(arp_per_s) || arp_fast=-
	for i in $(seq 1 "$moves"); do
		if r=$(move switch); then leak_fast+=("$r"); fi
	done
fi

sum() { local s=0 v; for v in "$@"; do s=$((s + v)); done; echo "$s"; }
if [ ${#leak_blip[@]} -eq 0 ] || [ ${#leak_switch[@]} -eq 0 ]; then
	none switch.office_leak_packets packets "no move of a kind ended in remote mode over the hotel (blip ${#leak_blip[@]}, switch ${#leak_switch[@]} of $moves)"
else
	printf 'bench: switch.office_leak_packets = %s packets over %s blip + %s switch moves (goal 0)\n' \
		"$(( $(sum "${leak_blip[@]}") + $(sum "${leak_switch[@]}") ))" "${#leak_blip[@]}" "${#leak_switch[@]}"
	printf 'bench: switch.office_leak_blip_packets = %s packets over %s carrier blips, address kept\n' \
		"$(sum "${leak_blip[@]}")" "${#leak_blip[@]}"
	printf 'bench: switch.office_leak_newmac_packets = %s packets over %s moves with carrier kept, new router MAC (max %s per move)\n' \
		"$(sum "${leak_switch[@]}")" "${#leak_switch[@]}" "$(printf '%s\n' "${leak_switch[@]}" | sort -n | tail -1)"
fi
if [ ${#leak_fast[@]} -eq 0 ]; then
	none "switch.office_leak_newmac_${fast_arp}_${fast_alive}_packets" packets "no switch move under router-arp $fast_arp ended in remote mode over the hotel"
else
	printf 'bench: switch.office_leak_newmac_%s_%s_packets = %s packets over %s moves with carrier kept, new router MAC (max %s per move), router-arp %s router-alive %s\n' \
		"$fast_arp" "$fast_alive" "$(sum "${leak_fast[@]}")" "${#leak_fast[@]}" \
		"$(printf '%s\n' "${leak_fast[@]}" | sort -n | tail -1)" "$fast_arp" "$fast_alive"
fi
for f in "default:$arp_default" "${fast_arp}_${fast_alive}:$arp_fast"; do
	if [ "${f#*:}" = - ]; then
		none "switch.office_router_arp_per_s.${f%%:*}" "requests/s" "not in office mode for the window"
	else
		printf 'bench: switch.office_router_arp_per_s.%s = %s requests/s per laptop in office mode\n' "${f%%:*}" "${f#*:}"
	fi
done
if [ ${#exposure[@]} -eq 0 ]; then
	none switch.office_exposure_ms ms "no mimic move ended in remote mode over the hotel"
else
	read -r p50 p95 cnt <<<"$(printf '%s\n' "${exposure[@]}" | stats)"
	printf 'bench: switch.office_exposure_ms = %s ms max over %s (goal < 2000)\n' \
		"$(printf '%s\n' "${exposure[@]}" | sort -n | tail -1)" "$cnt"
	printf 'bench: switch.office_exposure_p50_ms = %s ms\n' "$p50"
fi
exit "$failed"
