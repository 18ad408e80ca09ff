#!/bin/bash
# The office router's liveness as policy timers (issue 10, item 1;
# docs/policy.md, "Office mode"): `router-arp` (the interval of sekishod's
# unicast ARP requests to the office router, or off) and `router-alive`
# (how long each reply keeps the office path open in the kernel), changed
# live by signed bundles, with work's packets counted on the office LAN.
#
# The office router here ignores unicast ARP, as some do: a netdev rule in
# its own namespace drops every ARP request not sent to the broadcast
# address (so the netvm's kernel still resolves it by broadcast).
#
#  - serial 1, the defaults (100 / 250): sekishod's requests reach the
#    router at most once per 100 ms; once the router ignores them, the
#    kernel forgets it, and 20 pings from work to the LGWAN portal reach
#    the office LAN exactly 0 times (dropped at the uplink's egress).
#  - serial 2, `router-arp off`, taken live with the router still deaf:
#    no router_alive set, no ARP request from sekishod at all, the same
#    20 pings reach the office LAN exactly 20 times and are answered;
#    still office mode, the office path still bound to the router's MAC.
#  - serial 3, 40 / 100, taken live with the router answering again: the
#    element's timeout is 100 ms, and the requests counted on the office
#    LAN in a window match one per 40 ms (at most that, at least half).
# Against a sekishod with the interval and lifetime fixed (main before
# this), serial 2 keeps the office path closed (0 of 20), and serial 3
# counts one request per 100 ms, below the bound.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

POLICY=${POLICY_TOOL:-build/sekisho-policy}
PINGS=20

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS="office" lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

ST=$LAB_DIR/state B=$LAB_DIR/bundles
mkdir -m 0700 "$ST" "$B"
BUNDLE=$ST/bundle INCOMING=$ST/bundle.new
"$POLICY" keygen "$LAB_DIR/agency.key" >"$LAB_DIR/agency.pub"
sign() { "$POLICY" sign --key "$LAB_DIR/agency.key" --device "$LAB_DEVICE_PUB" "$1" "$2"; }
# serial N with the timers block T appended
policy() { sed "s/^serial 1\$/serial $1/" "$LAB_POLICY"; printf 'timers {\n%b}\n' "$2"; }
policy 1 '' >"$B/1.conf"
policy 2 '\trouter-arp off\n' >"$B/2.conf"
policy 3 '\trouter-arp 40\n\trouter-alive 100\n' >"$B/3.conf"
sign_all() { sign "$B/1.conf" "$B/1" && sign "$B/2.conf" "$B/2" && sign "$B/3.conf" "$B/3"; }
check "the agency signs serials 1 (default timers), 2 (router-arp off), 3 (40 / 100)" sign_all
cp "$B/1" "$BUNDLE"
start() {
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -b "$BUNDLE" -k "$LAB_DIR/agency.pub" \
		-D "$LAB_DIR/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "sekishod starts from serial 1" start
check "work gets its address" lab_work_dhcp
check "home: uplink DHCP" lab_uplink_dhcp up0
check "home: remote" netvm_wait_mode remote
check "office: plugged in" lab_plug up0 office
check "office: mode office" netvm_wait_mode office 5
check "office: LGWAN portal straight from the office LAN" lab_wait_for -t 5 portal_ok

# the router's MAC as the netvm's kernel holds it (the one office mode is bound to)
RMAC=$(ip -n "$NS_NETVM" neigh show "$LAB_OFFICE_ROUTER" dev up0 | grep -o 'lladdr [0-9a-f:]*' | cut -d' ' -f2)
# On the office LAN, where the wall socket (on0) enters the router's
# bridge: sekishod's requests (unicast to the router's MAC, naming it as
# the target, unlike the kernel's own probes), and work's pings to the
# portal (masqueraded to up0's address). Counted before anything drops.
n office nft -f - <<-EOT
table netdev timers {
	counter arp_asked { }
	counter pings { }
	chain ingress {
		type filter hook ingress device "on0" priority -400; policy accept;
		ether daddr $RMAC arp operation request arp daddr ether $RMAC counter name "arp_asked"
		ip daddr $LAB_PORTAL icmp type echo-request counter name "pings"
	}
}
EOT
count() { n office nft list counter netdev timers "$1" | awk '/packets/ { print $2 }'; }
# asked_in MS: sekishod's ARP requests seen in a window of about MS
# (measured): "N W", N requests in W ms.
asked_in() {
	local a0 a1 t0 t1
	a0=$(count arp_asked); t0=$(ms_now)
	sleep "$(awk -v ms="$1" 'BEGIN { print ms / 1000 }')"
	a1=$(count arp_asked); t1=$(ms_now)
	echo "$((a1 - a0)) $((t1 - t0))"
}
# rate_is INTERVAL: in a 2 s window, at most one request per INTERVAL (and
# 2 for the window's edges), at least one per twice INTERVAL.
rate_is() {
	local got n w
	got=$(asked_in 2000); n=${got% *}; w=${got#* }
	echo "sekishod's ARP requests: $n in $w ms (router-arp $1: at most $((w / $1 + 2)), at least $((w / $1 / 2)))"
	[ "$n" -le $((w / $1 + 2)) ] && [ "$n" -ge $((w / $1 / 2)) ]
}
# alive MS: the router's element is in router_alive with a timeout of MS
# (as the kernel keeps it: in jiffies, 248 ms for 250 at HZ 250)
alive() {
	local t
	t=$(n netvm nft list set netdev sekisho_office router_alive 2>/dev/null |
	    grep -o "$RMAC timeout [0-9]*ms" | grep -o '[0-9]*ms$' | tr -d ms)
	[ -n "$t" ] && [ "$t" -le "$1" ] && [ "$t" -gt $(($1 - 10)) ]
}
no_alive() { ! n netvm nft list set netdev sekisho_office router_alive | grep -q elements; }
# pings_reach: PINGS pings from work to the portal, 20 ms apart; how many
# reached the office LAN.
pings_reach() {
	local p0
	p0=$(count pings)
	n work ping -q -n -c "$PINGS" -i 0.02 -W 2 "$LAB_PORTAL" >/dev/null 2>&1
	echo $(($(count pings) - p0))
}
serial_is() { ctl status | grep -q "^policy: *serial $1 "; }
take() {	# serial N taken live
	cp "$B/$1" "$INCOMING" && ctl reload | grep -q "^accepted: .*policy serial $1 in force" &&
	serial_is "$1"
}

# ---- serial 1: the defaults ---------------------------------------------------
check "serial 1: the router alive, each reply for 250 ms" lab_wait_for -t 2 alive 250
shown() { local desc=$1 out rc; shift; out=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq 0 ]; then tap_ok "$desc"; else tap_not_ok "$desc"; fi
	printf '%s\n' "$out" | sed 's/^/#   /'; }
shown "serial 1: one ARP request per 100 ms to the router" rate_is 100

# The router goes deaf to unicast ARP.
n office nft -f - <<-EOT
table netdev deaf {
	chain ingress {
		type filter hook ingress device "on0" priority -300; policy accept;
		ether daddr != ff:ff:ff:ff:ff:ff arp operation request counter drop
	}
}
EOT
check "serial 1, router deaf to unicast ARP: the kernel forgets it" lab_wait_for -t 2 no_alive
closed() {
	local got
	got=$(pings_reach)
	echo "$got of $PINGS pings reached the office LAN"
	[ "$got" = 0 ] && netvm_mode_is office
}
shown "serial 1, router deaf: work's $PINGS pings reach the office LAN 0 times, still office mode" closed

# ---- serial 2: router-arp off ---------------------------------------------------
check "serial 2 (router-arp off) taken live" take 2
no_set() { ! n netvm nft list table netdev sekisho_office | grep -q router_alive &&
	n netvm nft list chain netdev sekisho_office egress | grep -q "ether daddr != @office_router counter"; }
check "serial 2: no router_alive set, the office path still bound to the router's MAC" no_set
open() {
	local got
	got=$(pings_reach)
	echo "$got of $PINGS pings reached the office LAN"
	[ "$got" = "$PINGS" ] && netvm_mode_is office
}
shown "serial 2, router deaf: work's $PINGS pings reach the office LAN $PINGS times, still office mode" open
check "serial 2: the portal answers, straight from the office LAN" lab_wait_for -t 5 portal_ok
none() { local got; got=$(asked_in 1000); echo "sekishod's ARP requests: ${got% *} in ${got#* } ms"; [ "${got% *}" = 0 ]; }
shown "serial 2: no ARP request from sekishod at all" none

# ---- serial 3: 40 / 100 -------------------------------------------------------
n office nft delete table netdev deaf
check "serial 3 (router-arp 40, router-alive 100) taken live" take 3
check "serial 3: the router alive, each reply for 100 ms" lab_wait_for -t 2 alive 100
shown "serial 3: one ARP request per 40 ms to the router" rate_is 40
check "serial 3: the portal answers, straight from the office LAN" lab_wait_for -t 5 portal_ok
check "still office mode throughout" netvm_mode_is office

tap_done
