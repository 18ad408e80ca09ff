#!/bin/bash
# Office mode in the lab: home -> office -> home with work reaching LGWAN in
# each mode and the internet in none; a hotel that copies the office's DHCP
# options, with an impostor beacon and with a replayer of genuine answers,
# never gets office mode and sees nothing but the tunnel; the office cable
# pulled during a running transfer moves work to the tunnel over the next
# uplink; uplink priority and failover.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS="office hotel lte" lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
lab_leak_reset all

portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
internet_refused() { refused_fast 1000 work_get "http://$LAB_INET_WEB/"; }
status_has() { ctl status | grep -qE "$1"; }
no_leak() {	# SEGMENT: nothing from the laptop but DHCP, beacon probes, tunnel, ARP
	local l
	l=$(lab_leaks "$1"); echo "$1: $l"
	[ "$(lab_leak "$1" leak)" -eq 0 ]
}

# OFFICE_PREFIXES, OFFICE_SERVICES (51-office-large): the same test with
# the lab's policy grown to that many LGWAN prefixes and services
# (tests/bench/lib.sh, gen_policy: the lab's three /16s among the
# prefixes; the portal's service, the lab's /16s with TCP 80, 443 and
# 5201 and ICMP echo, last), every mode change under it.
if [ -n "${OFFICE_PREFIXES:-}" ]; then
	. tests/bench/lib.sh
	grow() {
		gen_policy "$LAB_DIR/policy.conf" "$OFFICE_PREFIXES" "${OFFICE_SERVICES:-0}" last \
			>"$LAB_DIR/policy-large.conf" &&
		build/sekisho-policy check "$LAB_DIR/policy-large.conf" &&
		[ "$(sed -n '/^lgwan {/,/^}/p' "$LAB_DIR/policy-large.conf" | grep -c '^	prefix ')" = "$OFFICE_PREFIXES" ] &&
		[ "$(grep -c '^service ' "$LAB_DIR/policy-large.conf")" = "${OFFICE_SERVICES:-0}" ] &&
		mv "$LAB_DIR/policy-large.conf" "$LAB_DIR/policy.conf"
	}
	check "the lab's policy grown to $OFFICE_PREFIXES LGWAN prefixes and ${OFFICE_SERVICES:-0} services" grow
fi
check "sekishod starts with the office policy" netvm_start
check "work gets its address" lab_work_dhcp

# ---- home: remote -----------------------------------------------------------------
check "home: uplink DHCP" lab_uplink_dhcp up0
check "home: remote" netvm_wait_mode remote
check "home: up0 probed and found not to be an office" lab_wait_for -t 5 status_has '^  up0 .* not-office'
check "home: LGWAN through the tunnel" lab_wait_for -t 5 portal_ok
check "home: internet refused" internet_refused

# ---- office: straight onto the LAN ---------------------------------------------------
tx_before=$(n netvm wg show "$NETVM_TUN" transfer | awk '{ print $3 }')
check "office: plugged in, fresh lease" lab_plug up0 office
check "office: mode office within a second" netvm_wait_mode office 1
check "office: status names the verified beacon" status_has '^mode:       office \(beacon tokyo-3f verified [0-9.]+ s ago on up0'
check "office: up0 listed as office(tokyo-3f)" status_has '^  up0 .* office\(tokyo-3f\)'
lab_leak_reset office
check "office: LGWAN portal straight from the office LAN" portal_ok
check "office: LGWAN name through the office resolver" bash -c \
	"[ \"\$(ip netns exec $NS_WORK dig +short +time=2 +tries=1 @$LAB_WORK_ROUTER $LAB_PORTAL_NAME)\" = $LAB_PORTAL ]"
office_path() {
	lab_leaks office
	[ "$(lab_leak office lgwan)" -gt 0 ] && [ "$(lab_leak office tunnel)" -eq 0 ]
}
check "office: work's LGWAN traffic crossed the office LAN, none of it in the tunnel" office_path
check "office: the tunnel carried none of it" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN transfer | awk '{ print \$3 }')\" -le \$(( $tx_before + 1000 )) ]"
check "office: internet refused" internet_refused
# (with services, the office path's first rule classes work's packets by
# their destination: policy/render/fw_svc.c)
office_rule='iifname "wk0" oifname "up0" ip daddr @lgwan ct mark set meta mark map @fwd_gen counter packets'
[ "${OFFICE_SERVICES:-0}" -gt 0 ] && office_rule='iifname "wk0" oifname "up0" meta mark set ip daddr map @svc_class'
check "office: kernel holds the office rule" bash -c \
	"ip netns exec $NS_NETVM nft list chain inet sekisho forward | grep -qF '$office_rule'"

# ---- home again: back to the tunnel ---------------------------------------------------
check "home again: plugged in" lab_plug up0 home
check "home again: remote" netvm_wait_mode remote 3
check "home again: LGWAN through the tunnel" lab_wait_for -t 5 portal_ok
check "home again: internet refused" internet_refused

# ---- hotel: impostor, then replayed genuine answers ------------------------------------
lab_leak_reset hotel
check "hotel: impostor beacon answers" lab_hotel_beacon impostor
check "hotel: plugged in (same subnet, router, DNS, domain as the office)" lab_plug up0 hotel
same_as_office() {
	[ "$(lab_uplink_lease up0 router)" = "$LAB_OFFICE_ROUTER" ] &&
	[ "$(lab_uplink_lease up0 dns)" = "$LAB_OFFICE_DNS" ]
}
check "hotel: the lease has the office's router and DNS" same_as_office
check "hotel (impostor): probe rejected, up0 not an office" lab_wait_for -t 5 status_has '^  up0 .* not-office'
check "hotel (impostor): still remote" netvm_mode_is remote
# "not-office" may come first from the office's last re-verification,
# cut off by the move ("no answer"): the impostor's verdict follows.
check "hotel (impostor): log says why" lab_wait_for -t 5 grep -q "uplink up0: no office beacon verified: tokyo-3f: .*signature" "$LAB_DIR/log/sekishod.log"
check "hotel (impostor): LGWAN through the tunnel" lab_wait_for -t 5 portal_ok
check "hotel (impostor): internet refused" internet_refused
check "hotel: replayer of genuine office answers" lab_hotel_beacon replayer
check "hotel (replayer): re-plugged" lab_plug up0 hotel
check "hotel (replayer): probe rejected, up0 not an office" lab_wait_for -t 5 status_has '^  up0 .* not-office'
check "hotel (replayer): still remote" netvm_mode_is remote
check "hotel (replayer): log says the nonce did not match" grep -q "uplink up0: no office beacon verified: tokyo-3f: .*nonce" "$LAB_DIR/log/sekishod.log"
check "hotel (replayer): LGWAN through the tunnel" lab_wait_for -t 5 portal_ok
check "hotel: the hotel saw nothing from the laptop but DHCP, probes and the tunnel" no_leak hotel
check "hotel: home saw nothing either, all test long" no_leak home

# ---- uplink priority and failover -------------------------------------------------------
check "lte: WWAN plugged with its own lease" lab_plug up2 lte
check "lte: DHCP on up2" lab_uplink_dhcp up2
check "wired home again" lab_plug up0 home
check "priority: tunnel over up0 (wired)" lab_wait_for -t 5 status_has '^mode:       remote \(tunnel over up0'
lab_unplug up0
check "wired lost: tunnel over up2 (WWAN)" lab_wait_for -t 5 status_has '^mode:       remote \(tunnel over up2'
check "wired lost: LGWAN through the tunnel over WWAN" lab_wait_for -t 10 portal_ok
check "wired lost: internet refused" internet_refused
check "wired back: plugged" lab_plug up0 home
check "wired back: tunnel returns to up0" lab_wait_for -t 5 status_has '^mode:       remote \(tunnel over up0'
check "wired back: LGWAN reachable" lab_wait_for -t 10 portal_ok

# ---- the office cable pulled during a running transfer -----------------------------------
check "office again: plugged" lab_plug up0 office
check "office again: mode office" netvm_wait_mode office 3
lab_leak_reset all
pinglog=$LAB_DIR/transfer.log
n work ping -D -n -i 0.02 -c 300 -W 1 "$LAB_PORTAL" >"$pinglog" 2>&1 &
pinger=$!
sleep 1
lab_unplug up0
check "cable pulled: remote over up2 (WWAN)" lab_wait_for -t 5 status_has '^mode:       remote \(tunnel over up2'
wait "$pinger"
resumed() {
	local last_reply
	last_reply=$(grep 'bytes from' "$pinglog" | tail -1 | sed -E 's/.*icmp_seq=([0-9]+).*/\1/')
	echo "last reply at icmp_seq=$last_reply of 300"
	[ "${last_reply:-0}" -ge 280 ]
}
check "cable pulled: the transfer resumed through the tunnel" resumed
for s in home hotel lte; do check "cable pulled: nothing unencrypted from work on $s" no_leak "$s"; done

# ---- sekishod started while an uplink is already on the office LAN ---------------------
# The start's rtnetlink dump must lead to a probe like any uplink event does:
# it used to leave up0 "probing" with no probe out (no beacon challenge on
# the office LAN, remote mode over it, for good).
# since_start LINES: what sekishod logged after the first LINES lines.
since_start() { tail -n +"$(( $1 + 1 ))" "$LAB_DIR/log/sekishod.log" | grep -v '[│┌└]'; }
log_lines() { wc -l <"$LAB_DIR/log/sekishod.log"; }
# office_by T0 MS: office mode (status and log) within MS ms of T0.
# START_MS: 2000, or OFFICE_START_MS (51-office-large: a start with the
# agency-sized policy loads its table first).
START_MS=${OFFICE_START_MS:-2000}
START_S=$(awk -v m="$START_MS" 'BEGIN { print m / 1000 }')
office_by() {
	local t0=$1 max=$2 t
	lab_wait_for -t $(( max / 1000 + 5 )) netvm_mode_is office || { ctl status; return 1; }
	t=$(( $(ms_now) - t0 ))
	echo "office $t ms after the start"
	[ "$t" -le "$max" ]
}
beacon_moved() { lab_leaks office; [ "$(lab_leak office beacon)" -gt 0 ]; }
check "start on office: sekishod stopped" lab_stop sekishod
lab_unplug up2
check "start on office: up0 plugged into the office, fresh lease" lab_plug up0 office
lab_leak_reset office
lines=$(log_lines)
t0=$(ms_now)
check "start on office: sekishod starts" netvm_start
check "start on office: sekishod started while already on the office LAN reaches office mode within $START_S s" office_by "$t0" "$START_MS"
check "start on office: the office segment's beacon counter moved" beacon_moved
check "start on office: up0 listed as office(tokyo-3f)" status_has '^  up0 .* office\(tokyo-3f\)'
check "start on office: the log says the beacon verified" bash -c \
	"tail -n +$(( lines + 1 )) '$LAB_DIR/log/sekishod.log' | grep -q 'uplink up0: beacon tokyo-3f verified'"
check "start on office: LGWAN portal straight from the office LAN" lab_wait_for -t 5 portal_ok
check "start on office: internet refused" internet_refused

# ---- kill -9 and restart while in office mode --------------------------------------------
# A crash leaves the office ruleset in the kernel, and the office proof in
# sekishod's run directory (netvm/sekishod/office.h). The restarted sekishod keeps
# that proof because up0 is exactly as it was (same carrier-flap count,
# address, gateway), so it goes straight back to office mode with no
# detour through remote (whose ruleset change would flush every tracked
# connection), and asks the beacon again at once.
check "restart: kill -9 of sekishod in office mode" netvm_kill9
lab_leak_reset office
lines=$(log_lines)
t0=$(ms_now)
check "restart: sekishod restarts" netvm_start
check "restart: office mode again within $START_S s" office_by "$t0" "$START_MS"
check "restart: the office segment's beacon counter moved" beacon_moved
check "restart: the log says the proof was kept and asked again" bash -c \
	"tail -n +$(( lines + 1 )) '$LAB_DIR/log/sekishod.log' | grep -q 'uplink up0: unchanged since beacon tokyo-3f verified it; asking again'"
check "restart: no detour through remote or blocked mode" bash -c \
	"! tail -n +$(( lines + 1 )) '$LAB_DIR/log/sekishod.log' | grep -E 'mode (remote|blocked)'"
check "restart: the beacon answered the new probe" lab_wait_for -t 3 bash -c \
	"tail -n +$(( lines + 1 )) '$LAB_DIR/log/sekishod.log' | grep -q 'uplink up0: beacon tokyo-3f verified'"
check "restart: LGWAN portal straight from the office LAN" lab_wait_for -t 5 portal_ok
check "restart: internet refused" internet_refused
# Killed in office mode, then the cable moved to the hotel (which hands out
# the office's very address and router): the proof must not be kept.
office_ip=$(lab_uplink_lease up0 ip)
check "restart after a cable move: kill -9 in office mode" netvm_kill9
check "restart after a cable move: up0 now in the hotel" lab_plug up0 hotel
like_office() {
	echo "up0 $(lab_uplink_lease up0 ip) router $(lab_uplink_lease up0 router)"
	[ "$(lab_uplink_lease up0 ip)" = "$office_ip" ] &&
	[ "$(lab_uplink_lease up0 router)" = "$LAB_OFFICE_ROUTER" ]
}
check "restart after a cable move: the hotel gave the office's address ($office_ip) and router" like_office
lines=$(log_lines)
check "restart after a cable move: sekishod restarts" netvm_start
check "restart after a cable move: remote, up0 probed and not an office" lab_wait_for -t 5 status_has '^  up0 .* not-office'
check "restart after a cable move: mode remote" netvm_mode_is remote
check "restart after a cable move: the proof was not kept" bash -c \
	"! tail -n +$(( lines + 1 )) '$LAB_DIR/log/sekishod.log' | grep -q 'unchanged since beacon'"
check "restart after a cable move: the hotel saw nothing unencrypted" no_leak hotel

tap_done
