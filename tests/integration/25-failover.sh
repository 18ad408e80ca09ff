#!/bin/bash
# Gateways in failover order, end to end, in the lab: a policy with two
# gateways (gw-tokyo = the lab's agency, gw-osaka = agency2) and a
# gateway-timeout of 5 s. The first is dead (its namespace drops the
# tunnel's UDP); the tunnel comes up through the second within the timeout
# and work loads the LGWAN portal through it. The tunnel starts afresh
# (cable out, the first back, cable in): the first is preferred again. Both dead: the gateways are tried in turn, work stays in
# remote mode without LGWAN, the internet stays refused. A leak counter on
# the home router's port proves that nothing but DHCP and the tunnel's UDP
# left the laptop, all test long.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

TIMEOUT_S=5		# the policy's gateway-timeout
BOUND_MS=1000		# on top of it: the switch, the handshake, the fetch (measured 135-182 ms)

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
if lab_agency2_up; then tap_ok "a second agency gateway (lab_agency2_up)"
else tap_not_ok "a second agency gateway (lab_agency2_up)"; tap_done; exit 1; fi
netvm_env
netvm_boot
lab_leak_reset

# The lab's policy with its gateway renamed gw-tokyo, gw-osaka after it,
# and the short timeout.
POLICY=$LAB_DIR/failover.conf
awk -v pub2="$LAB_GW2_PUB" -v ep2="$LAB_GW2_ENDPOINT" -v t="$TIMEOUT_S" '
	/^gateway "agency-gw" \{/ { print "gateway \"gw-tokyo\" {"; ingw = 1; next }
	ingw && /^\}/ { print; printf "gateway \"gw-osaka\" {\n\tendpoint %s\n\tpublic-key \"%s\"\n}\n", ep2, pub2; ingw = 0; next }
	{ print }
	END { printf "timers {\n\tgateway-timeout %s\n}\n", t }' "$LAB_DIR/policy.conf" >"$POLICY"
check "the two-gateway policy is valid" build/sekisho-policy check "$POLICY"

log() { cat "$LAB_DIR/log/sekishod.log"; }
# count_lines LINE: how many times sekishod logged exactly LINE.
count_lines() { log | grep -cxF "$1"; }
portal_ok() { work_get "http://$LAB_PORTAL/" 2 | grep -qF "$LAB_PORTAL_MARKER"; }
peer_is() {	# PUB ENDPOINT: the tunnel's only peer, as the kernel holds it
	local want
	want=$(printf '%s\t%s' "$1" "$2")
	[ "$(n netvm wg show "$NETVM_TUN" endpoints)" = "$want" ]
}
status_has() { ctl status | grep -qxF "$1"; }

# ---- the first gateway is dead before the laptop starts ----------------------
lab_gateway_block agency
check "sekishod starts with two gateways" netvm_start "$POLICY"
check "work gets its address" lab_work_dhcp
check "endpoint rules: both gateways' endpoints looked up in table 1512" bash -c \
	"ip -n $NS_NETVM rule | grep -qF '999:	from all to $LAB_GW_PUBLIC iif lo lookup 1512' &&
	 ip -n $NS_NETVM rule | grep -qF '999:	from all to $LAB_GW2_PUBLIC iif lo lookup 1512'"
lab_uplink_dhcp
t0=$(ms_now)
check "mode becomes remote" netvm_wait_mode remote
check "the tunnel starts with the first gateway, gw-tokyo" peer_is "$LAB_GW_PUB" "$LAB_GW_ENDPOINT"
check "within gateway-timeout + ${BOUND_MS} ms the portal loads from work through gw-osaka" \
	lab_wait_for -t $((TIMEOUT_S + BOUND_MS / 1000)) portal_ok
t1=$(ms_now)
echo "# failover: uplink address -> LGWAN portal from work in $((t1 - t0)) ms (gateway-timeout ${TIMEOUT_S} s)"
check "... and not before gateway-timeout (it did wait for gw-tokyo)" [ $((t1 - t0)) -ge $((TIMEOUT_S * 1000 - 500)) ]
check "one line names both gateways and why" [ "$(count_lines \
	"sekishod: gateway \"gw-tokyo\" gave no handshake in $TIMEOUT_S s over up0, trying \"gw-osaka\"")" = 1 ]
check "the kernel's tunnel has gw-osaka as its only peer" peer_is "$LAB_GW2_PUB" "$LAB_GW2_ENDPOINT"
check "... with the LGWAN prefixes as its allowed IPs" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN allowed-ips | cut -f2 | tr ' ' '\n' | sort | tr '\n' ' ')\" = '10.64.0.0/16 10.65.0.0/16 172.20.0.0/16 ' ]"
check "... and the device's key and address stayed" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN public-key)\" = '$LAB_DEVICE_PUB' ] &&
	 ip -n $NS_NETVM -4 addr show dev $NETVM_TUN | grep -q 'inet 10.77.0.2/32'"
check "both endpoints are routed over up0 in table 1512, never the tunnel" bash -c \
	"ip -n $NS_NETVM route show table 1512 | grep -q '^$LAB_GW_PUBLIC via .* dev up0' &&
	 ip -n $NS_NETVM route show table 1512 | grep -q '^$LAB_GW2_PUBLIC via .* dev up0' &&
	 ip -n $NS_NETVM route get $LAB_GW2_PUBLIC | grep -q 'dev up0'"
check "agency2 saw the device's handshake" bash -c \
	"ip netns exec $NS_AGENCY2 wg show $LAB_WG_GW2 latest-handshakes | awk '{ exit !(\$2 > 0) }'"
check "status: gateway gw-osaka (2 of 2, gw-tokyo gave no handshake)" \
	status_has "  gateway:  gw-osaka (2 of 2, gw-tokyo gave no handshake)"
check "status: the peer is gw-osaka's key at its endpoint" bash -c \
	"$SEKISHOCTL -s $NETVM_SOCK status | grep -qxF '  peer:     $LAB_GW2_PUB (gw-osaka)' &&
	 $SEKISHOCTL -s $NETVM_SOCK status | grep -qxF '  endpoint: $LAB_GW2_ENDPOINT'"
check "status --json: position, count and failover" bash -c \
	"$SEKISHOCTL -s $NETVM_SOCK status --json | grep -qF '\"gateway_position\":2,\"gateways\":2,\"failover\":{\"from\":\"gw-tokyo\",\"why\":\"gave no handshake\"},\"peer\":\"$LAB_GW2_PUB\",\"gateway\":\"gw-osaka\"'"
check "internet refused fast" refused_fast 1000 work_get "http://$LAB_INET_WEB/"
check "home router refused fast" refused_fast 1000 work_get "http://$LAB_HOME_ROUTER/"

# ---- the tunnel starts afresh: the first gateway again ------------------------
# (A working backup is left for the first when the first answers again:
# 28-failback.sh. Here the cable goes out while gw-tokyo is still dead, so
# no probe can have moved the tunnel back before it starts afresh.)
lab_uplink_unplug
check "cable out: blocked" netvm_wait_mode blocked
lab_gateway_unblock agency
lab_uplink_plug
check "cable in: remote" netvm_wait_mode remote
check "afresh: back to gw-tokyo, one line" [ "$(count_lines \
	"sekishod: gateway \"gw-tokyo\" again, the first in order, as the tunnel starts afresh over up0 (was \"gw-osaka\")")" = 1 ]
check "afresh: the kernel's tunnel has gw-tokyo as its only peer" peer_is "$LAB_GW_PUB" "$LAB_GW_ENDPOINT"
check "afresh: work reaches LGWAN through gw-tokyo" lab_wait_for -t 5 portal_ok
check "afresh: status says gw-tokyo (1 of 2)" status_has "  gateway:  gw-tokyo (1 of 2)"
check "afresh: no timeout since (gw-tokyo answered)" bash -c \
	"sleep $((TIMEOUT_S + 1)); [ \"\$(grep -c 'gave no handshake' $LAB_DIR/log/sekishod.log)\" = 1 ]"

# ---- both gateways dead: tried in turn, work stays without LGWAN -------------
# A clean stop removes the tunnel (and its session); the next start has to
# handshake, and neither gateway answers.
lab_stop sekishod
lab_gateway_block agency
lab_gateway_block agency2
: >"$LAB_DIR/log/sekishod.log"
check "sekishod starts again, both gateways dead" netvm_start "$POLICY"
check "mode becomes remote" netvm_wait_mode remote
both_tried() {
	[ "$(count_lines "sekishod: gateway \"gw-tokyo\" gave no handshake in $TIMEOUT_S s over up0, trying \"gw-osaka\"")" -ge 1 ] &&
	[ "$(count_lines "sekishod: gateway \"gw-osaka\" gave no handshake in $TIMEOUT_S s over up0, trying \"gw-tokyo\"")" -ge 1 ]
}
check "both dead: gw-tokyo, then gw-osaka, then around to gw-tokyo" \
	lab_wait_for -t $((3 * TIMEOUT_S)) both_tried
check "both dead: the switches are in file order" bash -c \
	"grep '^sekishod: gateway ' $LAB_DIR/log/sekishod.log | head -2 | grep -c 'trying' | grep -qx 2 &&
	 grep '^sekishod: gateway ' $LAB_DIR/log/sekishod.log | head -1 | grep -qF 'gateway \"gw-tokyo\" gave'"
check "both dead: mode stays remote" netvm_mode_is remote
check "both dead: LGWAN unreachable from work" bash -c "! ip netns exec $NS_WORK curl -s -m 2 http://$LAB_PORTAL/"
check "both dead: internet still refused fast" refused_fast 1000 work_get "http://$LAB_INET_WEB/"
check "both dead: home router still refused fast" refused_fast 1000 work_get "http://$LAB_HOME_ROUTER/"
check "both dead: the tunnel still has exactly one peer" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN peers | wc -l)\" = 1 ]"
lab_gateway_unblock agency2
check "gw-osaka back: the rotation finds it, LGWAN reachable" \
	lab_wait_for -t $((2 * TIMEOUT_S + BOUND_MS / 1000)) portal_ok
lab_stop sekishod

# ---- the leak counter: nothing but DHCP and the tunnel ------------------------
leaks() {
	lab_leaks
	[ "$(lab_leak leak)" -eq 0 ] && [ "$(lab_leak tunnel)" -gt 0 ] && [ "$(lab_leak dhcp)" -gt 0 ]
}
check "home router saw only DHCP and the tunnel's UDP (to both gateways), all test long" leaks

tap_done
