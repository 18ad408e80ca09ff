#!/bin/bash
# Office mode only while the office router answers (issue 10, item 1;
# policy/render/fw_office.h): in office mode sekishod asks the router it
# was proven behind by a unicast ARP request every 100 ms, and only a
# reply from the router's MAC keeps that MAC in the kernel's set
# router_alive (250 ms), which the office uplink's egress chain requires
# of every office-path frame. A move through a switch onto another LAN
# keeps the carrier and the neighbour entry; nobody there answers to the
# office router's MAC, so the kernel closes the office path by itself.
#
# Here the office router stops answering ARP (its replies dropped in its
# own namespace) while the beacon still answers: the set empties, work's
# LGWAN packets are dropped at the uplink (the rule's counter, the portal
# refused), sekishod stays in office mode (no line of its own was needed),
# and the portal answers again as soon as the replies come back.
# Against a sekishod without the ARP liveness (main before this), the
# portal stays reachable with the router silent, and the test fails.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS="office" lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
LOG=$LAB_DIR/log/sekishod.log
check "sekishod starts" netvm_start
check "work gets its address" lab_work_dhcp
check "home: uplink DHCP" lab_uplink_dhcp up0
check "home: remote" netvm_wait_mode remote
check "office: plugged in" lab_plug up0 office
check "office: mode office" netvm_wait_mode office 5
check "office: LGWAN portal straight from the office LAN" lab_wait_for -t 5 portal_ok

router_mac() { ip -n "$NS_NETVM" neigh show "$LAB_OFFICE_ROUTER" dev up0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2; }
alive() { n netvm nft list set netdev sekisho_office router_alive 2>/dev/null | grep -q "$(router_mac) timeout"; }
alive_dead() { ! n netvm nft list set netdev sekisho_office router_alive | grep -q elements; }
drops() {
	n netvm nft list chain netdev sekisho_office egress |
	    awk '/@router_alive/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }'
}
check "the kernel holds the office router ($LAB_OFFICE_ROUTER) as alive" lab_wait_for -t 2 alive
modes() { grep -c 'ruleset in force' "$LOG"; }
M0=$(modes)
D0=$(drops)

# The router goes silent: its ARP replies dropped where they leave.
n office nft -f - <<-EOT
table arp silent {
	chain out {
		type filter hook output priority 0; policy accept;
		arp operation reply arp saddr ip $LAB_OFFICE_ROUTER counter drop
	}
}
EOT
silent_router() {
	local rc=0
	lab_wait_for -t 2 alive_dead || { echo "still alive:"; n netvm nft list set netdev sekisho_office router_alive; rc=1; }
	! portal_ok || { echo "the portal answers"; rc=1; }
	[ "$(drops)" -gt "$D0" ] || { echo "no office-path frame dropped at the uplink ($(drops))"; rc=1; }
	netvm_mode_is office || { echo "not office mode"; rc=1; }
	[ "$(modes)" = "$M0" ] || { echo "a ruleset was loaded"; rc=1; }
	echo "dropped at the uplink for want of a live router: $(( $(drops) - D0 )) frames"
	return $rc
}
shown() { local desc=$1 out rc; shift; out=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq 0 ]; then tap_ok "$desc"; else tap_not_ok "$desc"; fi
	printf '%s\n' "$out" | sed 's/^/#   /'; }
shown "the router silent: the kernel forgets it within 250 ms, work's LGWAN packets dropped at the uplink, still office mode, nothing loaded" silent_router
n office nft delete table arp silent
check "the router answers again: alive again" lab_wait_for -t 2 alive
check "the portal answers again, straight from the office LAN" lab_wait_for -t 5 portal_ok
check "still office mode throughout" netvm_mode_is office

tap_done
