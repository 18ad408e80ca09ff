#!/bin/bash
# Office mode with a large policy: 10,000 LGWAN prefixes (the lab's three
# among them) and 1,000 services (issue 11's agency-sized policy).
# Entering office mode used to install one office route per prefix (table
# 1511); each came back to sekishod's own rtnetlink watch as
# a notification, overran its socket ("rtnetlink: No buffer space
# available; reading the state again"), and the resynchronisation threw
# the office proof away: remote mode over the office LAN, LGWAN broken.
# The watch socket filters its own tables' notifications out in the
# kernel, and the office table now holds one route; office mode must hold,
# and LGWAN stay reachable, throughout.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
. tests/bench/lib.sh

PREFIXES=${PREFIXES:-10000}
SERVICES=${SERVICES:-1000}
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS=office lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

# The lab's policy grown (tests/bench/lib.sh, gen_policy, as the benches
# and 62/66 grow it): an lgwan block of the lab's 10.64/16, 10.65/16 and
# 172.20/16, then disjoint /24s 10.X.Y.0 (Y even) whose X avoids the
# lab's 64-66, 77 and 255; and SERVICES services (1,000: issue 11's
# agency-sized policy), the portal's (the lab's three /16s, TCP 80, 443
# and 5201, ICMP echo) last.
big=$LAB_DIR/policy-large.conf
gen_policy "$LAB_POLICY" "$PREFIXES" "$SERVICES" last >"$big"
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
host_ok() { work_get "http://$LAB_LGWAN_HOST/" | grep -q "LGWAN host OK"; }
status_has() { ctl status | grep -qE "$1"; }
prefixes_in_policy() {
	[ "$(sed -n '/^lgwan {/,/^}/p' "$big" | grep -c '^	prefix ')" -eq "$PREFIXES" ] &&
	[ "$(grep -c '^service ' "$big")" -eq "$SERVICES" ] &&
	sed -n '/^lgwan {/,/^}/p' "$big" | grep -qx '	prefix 172.20.0.0/16'
}
check "the policy has $PREFIXES LGWAN prefixes (the lab's among them) and $SERVICES services" prefixes_in_policy
check "the policy is valid" build/sekisho-policy check "$big"

check "sekishod starts with the large policy" netvm_start "$big"
check "work gets its address" lab_work_dhcp
check "home: uplink DHCP" lab_uplink_dhcp up0
check "home: remote" netvm_wait_mode remote 15
# the tunnel's table: one route per prefix, all 10,000 (sent in batches,
# route_batch; their notifications are filtered out of sekishod's own
# watch in the kernel: the overrun check below covers this start too)
tunnel_routes() {
	local n
	n=$(ip -n "$NS_NETVM" -4 route show table 1509 | grep -c " dev $NETVM_TUN ")
	echo "table 1509: $n routes into $NETVM_TUN"
	[ "$n" -eq "$PREFIXES" ]
}
check "home: the tunnel's table holds a route for each of the $PREFIXES prefixes" lab_wait_for -t 10 tunnel_routes
check "office: plugged in, fresh lease" lab_plug up0 office
check "office: mode office" netvm_wait_mode office 10
# The office table holds one route whatever the policy's size: the default
# via the office router, out of up0 (netvm/sekishod/office.c); what reaches
# it is what the ruleset gives the office mark, LGWAN only.
office_route() {
	local t
	t=$(ip -n "$NS_NETVM" -4 route show table 1511)
	echo "table 1511: $t"
	[ "$(printf '%s\n' "$t" | grep -c .)" -eq 1 ] && printf '%s\n' "$t" | grep -q '^default via .* dev up0'
}
check "office: the office table holds its one route, the default via the office router on up0" lab_wait_for -t 10 office_route

# A steady ping and a fetch every half second from work, about 10 s, with
# the mode read at each fetch.
lab_leak_reset office
pinglog=$LAB_DIR/large-ping.log
n work ping -n -i 0.1 -c 100 -W 1 "$LAB_PORTAL" >"$pinglog" 2>&1 &
pinger=$!
steady=$LAB_DIR/large-steady.log
: >"$steady"
for _ in $(seq 1 20); do
	if portal_ok 2>/dev/null; then echo "portal ok" >>"$steady"; else echo "portal FAILED" >>"$steady"; fi
	if netvm_mode_is office; then echo "mode office" >>"$steady"; else echo "mode NOT office: $(ctl status | head -1)" >>"$steady"; fi
	sleep 0.5
done
wait "$pinger"
no_failure() { cat "$steady" | sort | uniq -c; ! grep -q "FAILED\|NOT" "$steady"; }
check "office held: every fetch of the portal answered and the mode was office at each" no_failure
ping_ok() {
	local got
	got=$(sed -nE 's/.* ([0-9]+) received.*/\1/p' "$pinglog")
	echo "ping: ${got:-0} of 100 replies"
	[ "${got:-0}" -ge 99 ]
}
check "office held: a steady ping to LGWAN lost nothing (99 of 100 at least)" ping_ok
check "office held: another LGWAN prefix reachable too" host_ok
check "office held: status still office over up0" status_has '^mode:       office \(beacon tokyo-3f verified [0-9.]+ s ago on up0'
check "sekishod never had to read the state again (no rtnetlink overrun)" bash -c \
	"! grep -E 'reading the state again|No buffer space' '$LAB_DIR/log/sekishod.log'"
check "sekishod never left office mode once in it" bash -c \
	"sed -n '/mode office over up0: ruleset in force/,\$p' '$LAB_DIR/log/sekishod.log' | grep -v '[│┌└]' | { ! grep -E 'mode (remote|blocked)'; }"

# The office table's default route sends out of up0 whatever carries the
# office mark, so the mark alone keeps the routing to LGWAN. With an
# accept of everything from work put first in the forward chain (a broken
# ruleset), work's packets to an address outside LGWAN are still routed
# back onto the work link, never onto the office LAN: exactly 0 of 20 seen
# there. (With the office mark on all of work's traffic, as the tunnel's
# is, all 20 leave through up0.)
OUTSIDE=198.51.100.7
outside_counter() {
	n office nft -f - <<-EOF
	table netdev t55 {
		chain ingress {
			type filter hook ingress device "on0" priority -600; policy accept;
			ether type ip ip daddr $OUTSIDE counter
		}
	}
	EOF
}
outside_seen() { n office nft list chain netdev t55 ingress | sed -nE 's/.*counter packets ([0-9]+).*/\1/p'; }
check "office: a counter for $OUTSIDE on the office LAN" outside_counter
check "a forward accept of all of work's traffic put first (a broken ruleset)" \
	n netvm nft insert rule inet sekisho forward iifname "wk0" accept
n work ping -n -i 0.05 -c 20 -W 1 "$OUTSIDE" >/dev/null 2>&1
outside_none() { echo "$OUTSIDE on the office LAN: $(outside_seen) packets"; [ "$(outside_seen)" = 0 ]; }
check "work to $OUTSIDE (not LGWAN): exactly 0 of 20 packets on the office LAN" outside_none
unbreak() {
	local h
	h=$(n netvm nft -a list chain inet sekisho forward | sed -nE 's/^[[:space:]]+iifname "wk0" accept # handle ([0-9]+)$/\1/p')
	[ -n "$h" ] && n netvm nft delete rule inet sekisho forward handle "$h"
}
check "the broken rule removed" unbreak
n office nft delete table netdev t55

office_counters() { lab_leaks office; [ "$(lab_leak office lgwan)" -ge 100 ] && [ "$(lab_leak office tunnel)" -eq 0 ]; }
check "office held: work's LGWAN traffic crossed the office LAN, none of it in the tunnel" office_counters
tap_done
