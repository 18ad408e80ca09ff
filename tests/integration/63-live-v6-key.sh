#!/bin/bash
# The last two settings that used to need a restart change live (issue 11,
# Scope 2; docs/bundle.md, the table of live changes), with real packets in
# the lab: sekishod runs from a signed bundle without IPv6.
#
#  - serial 2 turns IPv6 on: the log says what it sets up and that nothing
#    is cut; the netvm forwards IPv6, holds its work-link and tunnel
#    addresses; work hears the router advertisement (managed, the /64 on
#    link), takes its address by DHCPv6 (dhclient) and reaches an LGWAN
#    IPv6 service through the tunnel, seen there from the tunnel's address.
#  - serial 3 moves the IPv6 addresses (tunnel-address6, address6): the log
#    says work's IPv6 connections and the tunnel's are cut; the old
#    addresses are gone, work takes the new one by DHCPv6 and reaches the
#    service again, from the new tunnel address; its old address is refused
#    as a spoofed source (exact counter).
#  - serial 4 turns IPv6 off: the log says what is cut; forwarding is off,
#    the addresses are gone, and work's next IPv6 packets (3 pings) reach
#    the netvm (the test's own counter: exactly 3) and none of them leaves
#    by the tunnel (the agency's counter of IPv6 out of it: 0).
#  - serial 5 names a new key-file: the agency's peer takes the new public
#    key first; the log says the tunnel's connections wait for the new
#    handshake; the netvm's interface holds the new key, the agency sees a
#    handshake from it and the portal loads.
#  - serial 6 names a key-file readable by others: refused with one line
#    naming it, serial 5 and its key stay in force (the portal still loads
#    through the same key).
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

POLICY=${POLICY_TOOL:-build/sekisho-policy}
TL=$PWD/tests/integration/tcpline.py
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
check "the lab's LGWAN answers on IPv6 too" lab_lgwan6

ST=$LAB_DIR/state B=$LAB_DIR/bundles
mkdir -m 0700 "$ST" "$B"
BUNDLE=$ST/bundle INCOMING=$ST/bundle.new
"$POLICY" keygen "$LAB_DIR/agency.key" >"$LAB_DIR/agency.pub"
sign() { "$POLICY" sign --key "$LAB_DIR/agency.key" --device "$LAB_DEVICE_PUB" "$1" "$2"; }
WORK6=${LAB_WORK_ADDR6%/*} WORK6_NEW=fd00:30::5 TUN6_NEW=fd00:77::3
cp "$LAB_POLICY" "$B/1.conf"
# serial 2: IPv6 on (the three addresses and an IPv6 LGWAN prefix)
awk -v t6="$LAB_TUNNEL_DEVICE6/128" -v a6="$LAB_WORK_ADDR6" -v r6="$LAB_WORK_ROUTER6" \
	-v p6="$LAB_LGWAN6_PREFIX" '
	/^serial 1$/ { print "serial 2"; next }
	{ print }
	/^device \{/ { dev = 1 } /^}/ { dev = 0 }
	/^\ttunnel-address / && dev { print "\ttunnel-address6 " t6 }
	/^lgwan \{/ { print "\tprefix " p6 }
	/^\trouter / { print "\taddress6 " a6; print "\trouter6 " r6 }' "$B/1.conf" >"$B/2.conf"
sed "s/^serial 2\$/serial 3/; s|^\ttunnel-address6 .*|\ttunnel-address6 $TUN6_NEW/128|;
	s|^\taddress6 .*|\taddress6 $WORK6_NEW/64|" "$B/2.conf" >"$B/3.conf"
sed 's/^serial 1$/serial 4/' "$B/1.conf" >"$B/4.conf"
(umask 077; wg genkey >"$LAB_DIR/device-new.key"; wg genkey >"$LAB_DIR/device-open.key")
chmod 0644 "$LAB_DIR/device-open.key"
NEW_PUB=$(wg pubkey <"$LAB_DIR/device-new.key")
sed "s/^serial 4\$/serial 5/; s|key-file \".*\"|key-file \"$LAB_DIR/device-new.key\"|" "$B/4.conf" >"$B/5.conf"
sed "s/^serial 5\$/serial 6/; s|key-file \".*\"|key-file \"$LAB_DIR/device-open.key\"|" "$B/5.conf" >"$B/6.conf"
signed() { local i; for i in 1 2 3 4 5 6; do sign "$B/$i.conf" "$B/$i" || return 1; done; }
check "the agency signs serials 1 to 6" signed

cp "$B/1" "$BUNDLE"
start() {
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -b "$BUNDLE" -k "$LAB_DIR/agency.pub" \
		-D "$LAB_DIR/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
check "sekishod starts from serial 1 (no IPv6)" start
check "work gets its address" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "serial 1: the portal is reachable through the tunnel" lab_wait_for -t 10 portal_ok
log_has() { grep -qxF -- "$1" "$LAB_DIR/log/sekishod.log"; }
serial_is() { ctl status | grep -qx "policy:     serial $1 ($BUNDLE)"; }
# reload_to N ADDED WITHDRAWN: serial N at the incoming path, reloaded and
# accepted (the line counts the IPv4 prefixes added and withdrawn)
reload_to() {
	local reply rc want
	cp "$B/$1" "$INCOMING"
	reply=$(ctl reload); rc=$?
	want="accepted: $INCOMING: policy serial $1 in force (was $(( $1 - 1 ))): $2 prefixes added, $3 withdrawn; stored as $BUNDLE"
	echo "$reply"
	[ "$rc" = 0 ] && [ "$reply" = "$want" ]
}
fwd6() { [ "$(n netvm sysctl -n net.ipv6.conf.all.forwarding)" = "$1" ]; }
has6() {	# has6 IFACE ADDR/PLEN: the netvm's IFACE holds exactly that global address
	local a
	a=$(ip -n "$NS_NETVM" -6 -o addr show dev "$1" scope global | awk '{ print $4 }')
	echo "$1: ${a:-none}"
	[ "$a" = "$2" ]
}

# Work as a DHCPv6 client: its static IPv6 address goes; dhclient (one
# exchange, in the foreground) puts what it is given on eth0.
ip -n "$NS_WORK" -6 addr flush dev eth0 scope global
cat >"$LAB_DIR/dhc6.script" <<'EOF'
#!/bin/sh
case "$reason" in
BOUND6|RENEW6|REBIND6|REBOOT6)
	[ -n "${new_ip6_address:-}" ] &&
	ip -6 addr replace "$new_ip6_address/${new_ip6_prefixlen:-64}" dev "$interface" nodad ;;
esac
exit 0
EOF
chmod 0755 "$LAB_DIR/dhc6.script"
dhcp6() {	# dhcp6 ADDR: work asks anew (a fresh client) and holds ADDR/64 only
	local a p
	ip -n "$NS_WORK" -6 addr flush dev eth0 scope global
	lab_wait_for -t 10 ll_ready || return 1
	rm -f "$LAB_DIR/dhc6.leases"
	n work timeout 20 dhclient -6 -1 -d --address-prefix-len 64 -sf "$LAB_DIR/dhc6.script" -lf "$LAB_DIR/dhc6.leases" \
		-pf "$LAB_DIR/dhc6.pid" eth0 >"$LAB_DIR/dhc6.log" 2>&1 </dev/null &
	p=$!
	lab_wait_for -t 20 bash -c "ip -n $NS_WORK -6 -o addr show dev eth0 scope global | grep -q ' $1/'"
	a=$(ip -n "$NS_WORK" -6 -o addr show dev eth0 scope global | awk '{ print $4 }')
	# dhclient -d stays for its renewals: this test ends it (its own child)
	kill "$p" 2>/dev/null; wait "$p" 2>/dev/null
	echo "work: ${a:-none}"
	[ "$a" = "$1/64" ] || { cat "$LAB_DIR/dhc6.log"; return 1; }
	ip -n "$NS_WORK" -6 route replace default via "$LAB_WORK_ROUTER6" dev eth0
}
lab_spawn lgwan6-http lgwan "$TL" serve "$LAB_LGWAN6_HOST" 8080 lgwan6-ok
v6_listening() { n lgwan ss -Htln "sport = :8080" | grep -qF "[$LAB_LGWAN6_HOST]:8080"; }
check "an IPv6 service in LGWAN" lab_wait_for -t 10 v6_listening
v6_ok() { [ "$(n work "$TL" get "$LAB_LGWAN6_HOST" 8080 2>/dev/null)" = lgwan6-ok ]; }
v6_from() {	# the LGWAN service saw work's last connection from $1
	n lgwan ss -Htn state time-wait "( sport = :8080 )" | grep -qF "[$1]"
}
check "serial 1: IPv6 forwarding off" fwd6 0

# ---- serial 2: IPv6 on --------------------------------------------------------------
check "serial 2 accepted live (IPv6 on)" reload_to 2 0 0
check "the log says IPv6 is on and nothing is cut" log_has \
	"sekishod: IPv6 on: tunnel $NETVM_TUN $LAB_TUNNEL_DEVICE6, work $LAB_WORK_ADDR6 by router advertisements and DHCPv6 on wk0 (the netvm $LAB_WORK_ROUTER6); nothing is cut"
check "IPv6 forwarding on" fwd6 1
check "the netvm holds $LAB_WORK_ROUTER6/64 on the work link" has6 wk0 "$LAB_WORK_ROUTER6/64"
check "the tunnel holds $LAB_TUNNEL_DEVICE6/128" has6 "$NETVM_TUN" "$LAB_TUNNEL_DEVICE6/128"
# Work's link-local address must be usable (not tentative: duplicate
# address detection done) before it can solicit or ask DHCPv6.
ll_ready() {
	local l
	l=$(ip -n "$NS_WORK" -6 -o addr show dev eth0 scope link)
	echo "work: ${l:-no link-local address}"
	[ -n "$l" ] && ! echo "$l" | grep -qE 'tentative|dadfailed'
}
ra_heard() {	# a router solicitation from work is answered: managed, the /64 on link
	local r
	lab_wait_for -t 10 ll_ready || return 1
	r=$(n work rdisc6 -1 -w 1000 -r 3 eth0 2>&1)
	echo "$r" | sed 's/^/# /'
	echo "$r" | grep -qE '^Stateful address conf\. *: *Yes' &&
		echo "$r" | grep -qE "^ Prefix *: *${LAB_WORK_ROUTER6%::1}::/64"
}
check "work hears the netvm's router advertisement (managed, ${LAB_WORK_ROUTER6%::1}::/64)" ra_heard
check "work takes $WORK6 by DHCPv6" dhcp6 "$WORK6"
check "work reaches the LGWAN IPv6 service through the tunnel" lab_wait_for -t 10 v6_ok
check "LGWAN sees it from the tunnel's IPv6 address $LAB_TUNNEL_DEVICE6" v6_from "$LAB_TUNNEL_DEVICE6"
check "sekishoctl status: serial 2" serial_is 2

# ---- serial 3: the IPv6 addresses move --------------------------------------------------
n agency wg set "$LAB_WG_GW" peer "$LAB_DEVICE_PUB" allowed-ips "$LAB_TUNNEL_DEVICE,$TUN6_NEW/128"
check "serial 3 accepted live (new IPv6 addresses)" reload_to 3 0 0
check "the log says work's IPv6 connections and the tunnel's are cut" log_has \
	"sekishod: IPv6 addresses: tunnel $TUN6_NEW (was $LAB_TUNNEL_DEVICE6), work $WORK6_NEW/64 (was $LAB_WORK_ADDR6), the netvm $LAB_WORK_ROUTER6 (was $LAB_WORK_ROUTER6); work's IPv6 connections and those through the tunnel's IPv6 are cut: their addresses change"
check "the tunnel holds $TUN6_NEW/128 only" has6 "$NETVM_TUN" "$TUN6_NEW/128"
spoof6() {	# work's former address is a spoofed source now: its 3 pings dropped, counted
	local a b r='iifname "wk0" ip6 saddr != '"$WORK6_NEW"' counter packets ([0-9]+)'
	a=$(netvm_rules | sed -nE "s/.*$r.*/\1/p")
	n work ping -6 -n -c 3 -i 0.2 -W 1 "$LAB_LGWAN6_HOST" >/dev/null 2>&1
	b=$(netvm_rules | sed -nE "s/.*$r.*/\1/p")
	echo "drops of sources other than $WORK6_NEW: $a before, $b after 3 pings from $WORK6"
	[ -n "$a" ] && [ "$b" = $(( a + 3 )) ]
}
check "work's former address $WORK6 is refused as a spoofed source: exactly its 3 pings" spoof6
check "work takes $WORK6_NEW by DHCPv6" dhcp6 "$WORK6_NEW"
check "work reaches the LGWAN IPv6 service again" lab_wait_for -t 10 v6_ok
check "LGWAN sees it from the new tunnel address $TUN6_NEW" v6_from "$TUN6_NEW"

# ---- serial 4: IPv6 off -----------------------------------------------------------------
n netvm nft -f - <<EOF
table inet sk63 {
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		iifname "wk0" ip6 daddr $LAB_LGWAN6_PREFIX counter name "in6"
	}
	counter in6 { }
}
EOF
n agency nft -f - <<EOF
table inet sk63 {
	chain f {
		type filter hook forward priority -300; policy accept;
		iifname "$LAB_WG_GW" meta nfproto ipv6 counter name "out6"
	}
	counter out6 { }
}
EOF
check "serial 4 accepted live (IPv6 off)" reload_to 4 0 0
check "the log says what is cut" log_has \
	"sekishod: IPv6 off: work's IPv6 connections and those through the tunnel's IPv6 ($TUN6_NEW) are cut, and work is no longer served IPv6 on wk0; its IPv6 is refused from here on"
check "IPv6 forwarding off" fwd6 0
check "the work link holds no IPv6 address of the policy's" has6 wk0 ""
check "the tunnel holds no IPv6 address" has6 "$NETVM_TUN" ""
rules6() { ip -n "$NS_NETVM" -6 rule show | grep -vE '^(0|32766|32767):'; ip -n "$NS_NETVM" -6 route show table all | grep -vE ' (proto kernel|table local)|^(multicast|anycast|local) '; }
no_rules6() { local r; r=$(rules6); echo "${r:-none}"; [ -z "$r" ]; }
check "no IPv6 routing rule or route of sekishod's is left (as a start without IPv6)" no_rules6
counter_of() { n "$1" nft list counter inet sk63 "$2" | sed -nE 's/.*packets ([0-9]+).*/\1/p'; }
refused6() {
	# work still holds its address; the netvm's link address stands in for
	# the router address it no longer holds, so the packets do arrive
	ip -n "$NS_WORK" -6 neigh replace "$LAB_WORK_ROUTER6" dev eth0 lladdr \
		"$(ip -n "$NS_NETVM" -o link show wk0 | sed -nE 's|.*link/ether ([0-9a-f:]+).*|\1|p')"
	n work ping -6 -n -c 3 -i 0.2 -W 1 "$LAB_LGWAN6_HOST" >/dev/null 2>&1 && return 1
	echo "arrived at the netvm: $(counter_of netvm in6); out of the agency's tunnel: $(counter_of agency out6)"
	[ "$(counter_of netvm in6)" = 3 ] && [ "$(counter_of agency out6)" = 0 ]
}
check "work's next 3 IPv6 packets reach the netvm and none leaves by the tunnel" refused6
check "IPv4 is untouched: the portal loads" lab_wait_for -t 10 portal_ok
n netvm nft delete table inet sk63
n agency nft delete table inet sk63

# ---- serial 5: a new key-file -------------------------------------------------------------
netvm_key_is() { [ "$(n netvm wg show "$NETVM_TUN" private-key | wg pubkey)" = "$1" ]; }
check "serial 4: the tunnel's key is the lab's device key" netvm_key_is "$LAB_DEVICE_PUB"
# The agency learns the new public key first (the registry's job).
n agency wg set "$LAB_WG_GW" peer "$LAB_DEVICE_PUB" remove peer "$NEW_PUB" \
	allowed-ips "$LAB_TUNNEL_DEVICE"
check "serial 5 accepted live (new key-file)" reload_to 5 0 0
check "the log says the tunnel's connections wait for the new handshake" log_has \
	"sekishod: tunnel $NETVM_TUN: private key from $LAB_DIR/device-new.key (was $LAB_DIR/device.key); connections through the tunnel wait for the new handshake"
check "the tunnel's key is the new one" netvm_key_is "$NEW_PUB"
check "the portal loads through the tunnel under the new key" lab_wait_for -t 15 portal_ok
agency_handshake() {
	local t
	t=$(n agency wg show "$LAB_WG_GW" latest-handshakes | awk -v k="$NEW_PUB" '$1 == k { print $2 }')
	[ -n "$t" ] && [ "$t" -gt 0 ]
}
check "the agency has a handshake with the new key" agency_handshake

# ---- serial 6: a key-file readable by others ------------------------------------------------
key_refused() {
	local out
	cp "$B/6" "$INCOMING"
	out=$(ctl reload)
	echo "$out"
	[ "$out" = "refused: $INCOMING: serial 6 changes the device section's key-file: key file $LAB_DIR/device-open.key: accessible by group or others (mode 0644), must be 0600; the key in use stays; policy serial 5 stays in force" ]
}
check "serial 6 (a key-file readable by others) refused with one line naming it" key_refused
check "sekishoctl status: serial 5" serial_is 5
check "the tunnel's key is still serial 5's" netvm_key_is "$NEW_PUB"
check "the portal still loads" lab_wait_for -t 10 portal_ok
rm -f "$INCOMING"

tap_done
