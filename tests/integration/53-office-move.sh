#!/bin/bash
# Office mode ends with the link it was proven on (issue 10, items 1 and 2).
# Work floods LGWAN (a ping every 2 ms) throughout; every LGWAN packet the
# laptop sends into the hotel segment is counted there, exactly (a counter
# on the ingress of the hotel's wall socket, LGWAN destinations only).
#
#  (b) a fast cable swap office -> hotel, carrier blipping, address kept,
#      eight times: exactly 0 packets. The kernel flushes the uplink's
#      neighbour entries at carrier loss, resolves the router afresh, finds
#      the hotel's MAC, and the office egress check (table netdev
#      sekisho_office) drops every office-path frame towards it before
#      sekishod has even heard of the swap.
#  (a) the cable moved through a small switch (carrier kept) to the hotel,
#      whose router has its own MAC: nothing in the kernel changes until
#      the next re-verification (beacon-reverify, 500 ms) finds no beacon;
#      then office mode ends, and from then on exactly 0 packets. Once the
#      kernel resolves the hotel's router, the engine ends office mode by
#      itself (the neighbour event) and the egress check drops the rest.
#  (c) the same into a hotel whose router imitates the office router's MAC:
#      re-verification ends office mode all the same; then exactly 0.
# Each ends in remote mode over the hotel, then goes back to the office.
# Figures (packets, exposure) are in tests/bench/office_move.sh.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

SWAPS=${OFFICE_SWAPS:-8}
pinger=""
cleanup() {
	[ -n "$pinger" ] && kill "$pinger" 2>/dev/null
	netvm_cleanup; lab_down
}
trap cleanup EXIT
LAB_SEGMENTS="office hotel" lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
patch=$(_lab_ns patch)
log=$LAB_DIR/log/sekishod.log
# An agency's policy has many LGWAN prefixes: each mode change then takes
# sekishod tens of milliseconds (a ruleset, an office route per prefix),
# the time the kernel alone must hold the line. 1,000 more /24s in
# 10.100.0.0/14 (unused by the lab).
pol=$LAB_DIR/policy-large.conf
awk '{ print } /^lgwan \{/ { for (i = 0; i < 1000; i++) printf "\tprefix 10.%d.%d.0/24\n", 100 + int(i / 256), i % 256 }' \
	"$LAB_POLICY" >"$pol"

mac_of() { ip -n "$(_lab_ns "$1")" -o link show dev "$2" | sed -E 's/.* link\/ether ([0-9a-f:]+) .*/\1/'; }
office_mac=$(mac_of office br0)
hotel_mac=$(mac_of hotel br0)
lgwan_set=""
for p in $LAB_LGWAN_PREFIXES; do lgwan_set+="${lgwan_set:+, }$p"; done
# Every LGWAN packet the laptop sends into the hotel, counted first (the
# lab's own counters after it are untouched).
n hotel nft insert rule netdev lableak ingress ether type ip ip daddr "{ $lgwan_set }" counter comment '"lgwan-from-laptop"'
# (nft 1.0.6 resets named counters only: this one is read as a difference)
hotel_base=0
hotel_reset() { hotel_base=$(hotel_lgwan_total); }
hotel_lgwan_total() {
	n hotel nft list chain netdev lableak ingress |
		sed -n 's/.*counter packets \([0-9]*\) bytes [0-9]* comment "lgwan-from-laptop".*/\1/p'
}
hotel_lgwan() { echo $(( $(hotel_lgwan_total) - hotel_base )); }

status_has() { ctl status | grep -qE "$1"; }
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
in_hotel_remote() { netvm_mode_is remote && status_has '^  up0 .* not-office'; }
# The cable's far end into SEGMENT: through a switch (carrier kept), or
# swapped fast (carrier down for a moment); the DHCP client is not told,
# so the address stays.
switch_to() {
	ip -n "$patch" link set c-up0 nomaster &&
	ip -n "$patch" link set c-up0 master "s-$1" &&
	[ "$(lab_uplink_segment up0)" = "$1" ]
}
# A swap: the carrier is gone for a few milliseconds (a real cable swap
# keeps it down far longer: autonegotiation alone takes over a second).
# The kernel flushes the uplink's neighbour entries when its link watch
# finds the carrier down (at once for these veths, within a second for a
# physical NIC); a blip shorter than that is a move with carrier kept.
# So the carrier comes back only once the netvm's kernel has taken its
# loss in (lab_carrier_lost in tests/lab/lab.sh, which lab_plug uses
# too): under load the link watch ran after the carrier was back,
# saw no loss, flushed nothing, and a swap became a move with carrier kept
# (the router's planted entry survived: "neighbour: back to the office"
# failed once; a bare down/up under load left it 48 times in 50).
swap_to() {
	ip -n "$patch" link set c-up0 down &&
	lab_wait_for -t 10 lab_carrier_lost up0 &&
	ip -n "$patch" link set c-up0 nomaster &&
	ip -n "$patch" link set c-up0 master "s-$1" &&
	ip -n "$patch" link set c-up0 up &&
	[ "$(lab_uplink_segment up0)" = "$1" ]
}
back_to_office() {	# a swap: carrier changes, so the beacon is asked
	swap_to office && netvm_wait_mode office 5 && lab_wait_for -t 5 portal_ok
}

check "hotel: no beacon there" lab_hotel_beacon none
check "the policy with 1,003 LGWAN prefixes is valid" build/sekisho-policy check "$pol"
check "sekishod starts (beacon-reverify and office-vouch by default)" netvm_start "$pol"
check "work gets its address" lab_work_dhcp
check "home: uplink DHCP" lab_uplink_dhcp up0
check "home: remote" netvm_wait_mode remote
check "office: plugged in" lab_plug up0 office
check "office: mode office" netvm_wait_mode office 3
check "office: LGWAN portal straight from the office LAN" lab_wait_for -t 5 portal_ok
office_bound() {
	n netvm nft list table netdev sekisho_office | tee /dev/stderr |
		grep -q "elements = { $office_mac }" &&
	n netvm nft list chain netdev sekisho_office egress |
		grep -q 'type filter hook egress device "up0"'
}
check "office: the kernel binds the office path to the office router ($office_mac)" office_bound
check "the hotel's router has its own MAC ($hotel_mac)" test "$hotel_mac" != "$office_mac"

n work ping -n -q -i 0.002 -W 1 "$LAB_PORTAL" >/dev/null 2>&1 &
pinger=$!

# ---- (b) fast cable swaps, carrier blipping, address kept -----------------------------
hotel_reset
swapped=0
for i in $(seq 1 "$SWAPS"); do
	netvm_mode_is office || continue	# (the check below says so)
	check "(b) swap $i: office -> hotel, carrier blip, address kept" swap_to hotel
	r=no; lab_wait_for -t 5 in_hotel_remote && r=yes && swapped=$((swapped + 1))
	check "(b) swap $i: remote over the hotel (no beacon there)" test "$r" = yes
	sleep 0.5	# flooding on, in remote mode
	check "(b) swap $i: back to the office, office mode again" back_to_office
done
# Only swaps from office mode into remote mode over the hotel count: a
# run where office mode never held proves nothing.
swaps_leak() {
	local l
	l=$(hotel_lgwan)
	echo "work's LGWAN packets on the hotel LAN over $swapped of $SWAPS swaps from office mode: $l"
	[ "$swapped" -eq "$SWAPS" ] && [ "$l" -eq 0 ]
}
check "(b) $SWAPS swaps: exactly 0 of work's LGWAN packets reached the hotel" swaps_leak
same_lease() { [ "$(lab_uplink_lease up0 router)" = "$LAB_OFFICE_ROUTER" ]; }
check "(b) the office lease was kept throughout (carrier flaps only)" same_lease

# ---- (a) through a switch, carrier kept, the hotel's own router ----------------------
lines=$(wc -l <"$log")
was_a=no; netvm_mode_is office && was_a=yes
check "(a) office -> hotel through a switch: carrier and address kept" switch_to hotel
ended_a=no; lab_wait_for -t 5 in_hotel_remote && ended_a=yes
check "(a) re-verification finds no beacon: remote" test "$ended_a" = yes
exposure_a=$(hotel_lgwan)
hotel_reset
sleep 2
after_a() {
	local l
	l=$(hotel_lgwan)
	echo "office before the move: $was_a; office mode ended: $ended_a;" \
		"before it ended: $exposure_a; in the 2 s after it: $l"
	[ "$was_a" = yes ] && [ "$ended_a" = yes ] && [ "$l" -eq 0 ]
}
check "(a) once office mode ended: exactly 0 more LGWAN packets on the hotel LAN" after_a
check "(a) the log says the beacon was not verified on up0" bash -c \
	"tail -n +$(( lines + 1 )) '$log' | grep -q 'uplink up0: no office beacon verified'"
closed_l2() {
	local t
	t=$(n netvm nft list table netdev sekisho_office) || return 1
	echo "$t"
	! grep -q office_router <<<"$t" &&
	grep -qE 'meta mark & 0x0000ffff == 0x000005e2 counter packets [0-9]+ bytes [0-9]+ drop' <<<"$t"
}
check "(a) remote mode's ruleset drops every office-path frame on up0" closed_l2
check "(a) back to the office" back_to_office

# ---- (c) a hotel router that imitates the office router's MAC ---------------------------
check "(c) the hotel's router takes the office router's MAC" \
	ip -n "$(_lab_ns hotel)" link set br0 address "$office_mac"
lines=$(wc -l <"$log")
hotel_reset
was_c=no; netvm_mode_is office && was_c=yes
check "(c) office -> imitating hotel through a switch" switch_to hotel
ended_c=no; lab_wait_for -t 5 in_hotel_remote && ended_c=yes
check "(c) re-verification finds no beacon: remote" test "$ended_c" = yes
exposure_c=$(hotel_lgwan)
hotel_reset
sleep 2
after_c() {
	local l
	l=$(hotel_lgwan)
	echo "office before the move: $was_c; office mode ended: $ended_c;" \
		"before it ended: $exposure_c; in the 2 s after it: $l"
	[ "$was_c" = yes ] && [ "$ended_c" = yes ] && [ "$l" -eq 0 ]
}
check "(c) once office mode ended: exactly 0 more LGWAN packets on the hotel LAN" after_c
check "(c) the hotel's router gets its own MAC back" \
	ip -n "$(_lab_ns hotel)" link set br0 address "$hotel_mac"
check "(c) back to the office" back_to_office

# ---- the router's neighbour entry changes under office mode ----------------------------
# Another router behind the office router's address, as the kernel would
# learn it from an ARP answer (planted here, carrier kept): office mode
# ends at once, by the engine's neighbour event, not at a re-verification.
lines=$(wc -l <"$log")
check "neighbour: the office router's entry now names another MAC" \
	ip -n "$NS_NETVM" neigh replace "$LAB_OFFICE_ROUTER" dev up0 lladdr "$hotel_mac" nud reachable
check "neighbour: office mode ended (the ruleset of mode remote loaded)" lab_wait_for -t 3 bash -c \
	"tail -n +$(( lines + 1 )) '$log' | grep -q 'mode remote: ruleset in force'"
no_fail_needed() {
	tail -n +$(( lines + 1 )) "$log" | grep -q 'mode remote: ruleset in force' &&
	! tail -n +$(( lines + 1 )) "$log" | grep -q 'no office beacon verified'
}
check "neighbour: no beacon failure was needed for it" no_fail_needed
check "neighbour: back to the office (the real router learnt again)" back_to_office
check "neighbour: bound to the office router again" office_bound
kill "$pinger" 2>/dev/null; wait "$pinger" 2>/dev/null; pinger=""

# ---- the carrier comes back: what the kernel began while it was out ----------------------
# While up0 has no carrier the kernel sends nothing on it (its queue
# discipline drops every frame, ARP requests too), yet a datagram sent
# meanwhile still makes a neighbour entry: incomplete, its one request
# lost, the next one a retransmission time away (1 s by default), and
# every datagram to that address queued behind it. A beacon round sent
# just before a swap (the re-verification after the neighbour change
# above) left such an entry for the beacon: after the swap every round
# (100 ms each) waited in that queue, the answers came after the probe
# had given up, and "neighbour: back to the office" failed (1 run in 4).
# Here the entry is made on purpose, and the retransmission time is 10 s
# (set before the carrier goes, so that any entry of the outage has it)
# so that the check does not depend on how fast this machine is: the
# beacon must still answer at once once the carrier is back.
lines=$(wc -l <"$log")
retrans=$(n netvm sysctl -n net.ipv4.neigh.up0.retrans_time_ms)
beacon_unresolved() {
	n netvm bash -c "echo x >/dev/udp/$LAB_BEACON_ADDR/$LAB_BEACON_PORT" &&
	ip -n "$NS_NETVM" neigh show "$LAB_BEACON_ADDR" dev up0 | tee /dev/stderr | grep -q INCOMPLETE
}
check "the kernel waits 10 s between ARP requests on up0" \
	n netvm sysctl -qw net.ipv4.neigh.up0.retrans_time_ms=10000
check "carrier out: the cable's far end pulled" ip -n "$patch" link set c-up0 down
check "carrier out: the netvm's kernel has taken it in" lab_wait_for -t 10 lab_carrier_lost up0
check "carrier out: a datagram to the beacon leaves an unresolved entry" beacon_unresolved
check "carrier back: plugged in again" ip -n "$patch" link set c-up0 up
carrier_back_office() {
	netvm_wait_mode office 5 && lab_wait_for -t 5 portal_ok && return 0
	tail -n +$(( lines + 1 )) "$log"; ip -n "$NS_NETVM" neigh show dev up0
	return 1
}
check "carrier back: office mode again, the beacon's answer not held up" carrier_back_office
check "carrier back: sekishod had the kernel resolve the beacon afresh" bash -c \
	"tail -n +$(( lines + 1 )) '$log' | grep -F 'uplink up0: the kernel had been resolving $LAB_BEACON_ADDR for'"
n netvm sysctl -qw net.ipv4.neigh.up0.retrans_time_ms="$retrans"

echo "# (a) carrier kept, new router MAC: $exposure_a LGWAN packets on the hotel before re-verification ended office mode"
echo "# (c) carrier kept, imitated MAC: $exposure_c"
tap_done
