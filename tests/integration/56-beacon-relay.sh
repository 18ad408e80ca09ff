#!/bin/bash
# A relay with an accomplice on the office LAN does not get office mode
# (issue 10, item 4). The hotel answers the beacon's address with a relay
# (tests/lab/relay.py) that hands every challenge to an accomplice on the
# office LAN over a link of their own, with RELAY_US (5 ms) added to the
# round trip as the internet between two sites would; the accomplice asks
# the real beacon with TTL 255 and the genuine, fresh, signed answer comes
# back to the laptop with TTL 255. Only its round trip gives it away:
# sekishod sends every challenge and receives every answer on its own
# socket, the kernel times both, and it refuses an answer slower than
# beacon-rtt (default 2000 us). With work sending LGWAN traffic, exactly 0
# of its packets reach the hotel LAN. The same with a compromised probe
# (tests/lab/lying-probe.py, "fast") that passes every datagram back at
# once as verified: nothing it does touches the time. Controls: the same laptop on the
# office LAN itself gets office mode; and with a policy whose beacon-rtt
# is 100 ms the same relay does get office mode in the hotel (and work's
# packets do reach the hotel): the bound is what stops it.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

RELAY_US=${RELAY_US:-5000}	# added to the round trip by the relay
RELAY_PORT=51900
HOTEL_SIDE=198.18.9.1 OFFICE_SIDE=198.18.9.2	# the relay's own link
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS="office hotel" lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
log=$LAB_DIR/log/sekishod.log
status_has() { ctl status | grep -qE "$1"; }
since() { tail -n +"$(( $1 + 1 ))" "$log"; }
log_lines() { wc -l <"$log"; }
office_rule() { n netvm nft list chain inet sekisho forward | grep -qF 'oifname "up0" ip daddr @lgwan'; }

# ---- the relay: hotel half <-> accomplice on the office LAN ---------------------------
relay_up() {
	ip link add rl0 netns "$NS_HOTEL" type veth peer name rl0 netns "$NS_OFFICE" &&
	ip -n "$NS_HOTEL" addr add "$HOTEL_SIDE/30" dev rl0 &&
	ip -n "$NS_OFFICE" addr add "$OFFICE_SIDE/30" dev rl0 &&
	ip -n "$NS_HOTEL" link set rl0 up && ip -n "$NS_OFFICE" link set rl0 up &&
	lab_hotel_beacon none &&
	lab_spawn relay-accomplice office python3 tests/lab/relay.py accomplice \
		"$OFFICE_SIDE" "$RELAY_PORT" "$LAB_BEACON_ADDR" "$LAB_BEACON_PORT" &&
	lab_spawn relay-hotel hotel python3 tests/lab/relay.py hotel \
		"$LAB_BEACON_ADDR" "$LAB_BEACON_PORT" "$OFFICE_SIDE" "$RELAY_PORT" "$RELAY_US" &&
	lab_wait_for -t 5 bash -c "ip netns exec $NS_HOTEL ss -Hlnu 'sport = :$LAB_BEACON_PORT' | grep -q ." &&
	lab_wait_for -t 5 bash -c "ip netns exec $NS_OFFICE ss -Hlnu 'sport = :$RELAY_PORT' | grep -q ."
}
check "relay: hotel half at the beacon's address, accomplice on the office LAN" relay_up
# What a laptop in the hotel gets from it: the office beacon's genuine answer.
relayed() {
	local out
	out=$(n hotel "$LAB_BEACON_PROBE" -t 1000 -p "$LAB_OFFICE_BEACON_PUB" \
		"$LAB_BEACON_ADDR:$LAB_BEACON_PORT") || { echo "$out"; return 1; }
	echo "$out"
	[[ $out == "verified beacon $LAB_BEACON_ID "* ]]
}
check "relay: a probe in the hotel gets the office beacon's genuine, fresh answer" relayed

check "sekishod starts (default beacon-rtt)" netvm_start
check "the policy's beacon-rtt is the default, 2000 us" bash -c \
	"build/sekisho-policy print '$LAB_POLICY' | grep -qx '	beacon-rtt 2000'"
check "work gets its address" lab_work_dhcp
check "home: uplink DHCP" lab_uplink_dhcp up0
check "home: remote" netvm_wait_mode remote

# ---- the hotel with the relay: not an office ------------------------------------------
lab_leak_reset hotel
lines=$(log_lines)
check "hotel: plugged in (the office's subnet, router and DNS)" lab_plug up0 hotel
check "hotel (relay): up0 probed and found not to be an office" lab_wait_for -t 10 bash -c \
	"$SEKISHOCTL -s $NETVM_SOCK status | grep -qE '^  up0 .* not-office'"
logged() { since "$lines" | grep -E "$1"; }
check "hotel (relay): the relayed answers verified, and were refused for their round trip" \
	logged 'uplink up0: beacon tokyo-3f answered in [0-9]+ us, over the bound of 2000 us \(beacon-rtt\)'
check "hotel (relay): log says why not office" logged \
	'uplink up0: no office beacon verified: tokyo-3f: answered in [0-9]+ us at best of [0-9]+, over the bound of 2000 us \(beacon-rtt\): not on this LAN, or relayed'
check "hotel (relay): never office in the log" bash -c "! tail -n +$(( lines + 1 )) '$log' | grep -q 'beacon tokyo-3f verified'"
check "hotel (relay): mode remote" netvm_mode_is remote
no_office_rule() { ! office_rule; }
check "hotel (relay): no office rule in the kernel" no_office_rule
portal_ok() { work_get "http://$LAB_PORTAL/" 2 | grep -qF "$LAB_PORTAL_MARKER"; }
check "hotel (relay): work reaches the LGWAN portal (through the tunnel)" lab_wait_for -t 10 portal_ok
lgwan_traffic() {	# work sends LGWAN traffic: 20 pings and a fetch
	n work ping -n -q -i 0.05 -c 20 -W 1 "$LAB_PORTAL" >/dev/null 2>&1
	work_get "http://$LAB_PORTAL/" 2 >/dev/null
	return 0
}
no_leak_hotel() { lgwan_traffic; lab_leaks hotel; [ "$(lab_leak hotel leak)" -eq 0 ]; }
check "hotel (relay): exactly 0 of work's packets on the hotel LAN" no_leak_hotel
relay_used() { lab_leaks hotel; [ "$(lab_leak hotel beacon)" -gt 0 ]; }
check "hotel (relay): the laptop's challenges reached the relay" relay_used

# ---- the same with a compromised probe that answers at once, unchecked -------------------
# The probe says nothing about time: the kernel timed the round on sekishod's socket.
check "fast liar: back home" lab_plug up0 home
check "fast liar: sekishod stopped" lab_stop sekishod
rm -f "$NETVM_SOCK"
fast_liar_start() {
	SEKISHO_LYING_PROBE=fast lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -f "$LAB_POLICY" \
		-P "$PWD/tests/lab/lying-probe.py" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
check "fast liar: sekishod starts with a probe that passes everything at once" fast_liar_start
check "fast liar: home: remote" netvm_wait_mode remote 10
lab_leak_reset hotel
lines=$(log_lines)
check "fast liar: plugged into the hotel (relay)" lab_plug up0 hotel
check "fast liar: up0 probed and found not to be an office" lab_wait_for -t 10 bash -c \
	"$SEKISHOCTL -s $NETVM_SOCK status | grep -qE '^  up0 .* not-office'"
check "fast liar: refused for the round trip the kernel measured" logged \
	'uplink up0: no office beacon verified: tokyo-3f: answered in [0-9]{4,} us at best of [0-9]+, over the bound of 2000 us'
check "fast liar: mode remote" netvm_mode_is remote
check "fast liar: no office rule in the kernel" no_office_rule
check "fast liar: exactly 0 of work's packets on the hotel LAN" no_leak_hotel
check "fast liar: sekishod stopped" lab_stop sekishod
rm -f "$NETVM_SOCK"
check "sekishod starts again with the real probe" netvm_start
check "home: plugged in" lab_plug up0 home
check "home: remote again" netvm_wait_mode remote 10

# ---- control: the office LAN itself ----------------------------------------------------
lines=$(log_lines)
check "office: plugged in" lab_plug up0 office
check "office: mode office" netvm_wait_mode office 5
check "office: the log gives the round trip under the bound" logged \
	'uplink up0: beacon tokyo-3f verified \(key 0, round trip [0-9]+ us, bound 2000 us' 
check "office: the kernel holds the office rule" office_rule

# ---- control: a policy without a useful bound lets the same relay in ----------------------
check "back home" lab_plug up0 home
check "home: remote" netvm_wait_mode remote 5
check "sekishod stopped" lab_stop sekishod
pol=$LAB_DIR/policy-loose.conf
{ cat "$LAB_POLICY"; printf '\ntimers {\n\tbeacon-rtt 100000\n}\n'; } >"$pol"
check "sekishod starts with beacon-rtt 100000" netvm_start "$pol"
lab_leak_reset hotel
check "loose: plugged into the hotel (relay)" lab_plug up0 hotel
check "loose: the relay gets office mode in the hotel" netvm_wait_mode office 10
leaked() { lgwan_traffic; lab_leaks hotel; [ "$(lab_leak hotel leak)" -gt 0 ]; }
check "loose: and work's LGWAN packets reach the hotel LAN" lab_wait_for -t 5 leaked

tap_done
