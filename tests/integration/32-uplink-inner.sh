#!/bin/bash
# A hostile host on an uplink's LAN (the home printer here; a hotel guest
# in life) addressing the netvm's inner addresses: the work link's router
# address (where the sign-on relay listens, 51832, and the control socket,
# 51834) and the device's tunnel address. Linux takes a packet for any of
# its addresses on any interface (the weak host model), so such a packet
# meets only the input filter; and the filter's rule for the tunnel's
# replies ("ip saddr . udp sport @gateways accept") names no destination:
# a datagram forged from the gateway's public address and port, which
# anyone on the path sees, was handed to whatever listens on an inner
# address, e.g. the sign-on relay, which binds requests to this laptop
# and sends them to the verifier (blind sign-on attempts: lockouts, audit
# noise). The class: what comes in on an uplink must be addressed to that
# uplink (fib daddr . iif: local or broadcast), whatever rule would
# accept it after.
#
# Exact counters: the netvm's prerouting counter (-400) sees every forged
# datagram, a counter after the input filter (priority 10) sees none. With
# the rule removed from the renderer (chain input, "not addressed to this
# uplink"), 'passed' counts the 12 forged from the gateway.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
lab_leak_reset

check "sekishod starts" netvm_start
check "work gets its address by DHCP from the netvm" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "work fetches the LGWAN portal through the tunnel" lab_wait_for -t 10 portal_ok

UP0=$(lab_uplink_lease up0 ip)
TUNADDR=${LAB_TUNNEL_DEVICE%/*}
INNER="$LAB_WORK_ROUTER, $TUNADDR"

watch_up() {
	n netvm nft -f - <<-EOT || return 1
	table inet innerwatch {
		counter seen { }
		counter passed { }
		counter upseen { }
		counter uppassed { }
		chain pre {
			type filter hook prerouting priority -400; policy accept;
			iifname "up0" ip daddr { $INNER } counter name "seen"
			iifname "up0" ip daddr $UP0 udp sport $LAB_GW_PORT counter name "upseen"
		}
		chain after {
			type filter hook input priority 10; policy accept;
			iifname "up0" ip daddr { $INNER } counter name "passed"
			iifname "up0" ip daddr $UP0 udp sport $LAB_GW_PORT counter name "uppassed"
		}
	}
	EOT
	# The printer routes the netvm's inner addresses to its uplink.
	ip -n "$NS_PRINTER" route replace "$LAB_WORK_ROUTER/32" via "$UP0" dev eth0 &&
	ip -n "$NS_PRINTER" route replace "$TUNADDR/32" via "$UP0" dev eth0
}
check "counters in the netvm; the printer routes the inner addresses to up0 ($UP0)" watch_up

counter() { n netvm nft list counter inet innerwatch "$1" | awk '/packets/ { print $2 }'; }

# forge SRC SPORT DST...: one UDP datagram to each of 51832 (the sign-on
# relay), 51834, 53 and 9 of each DST, from SRC:SPORT (a raw socket).
forge() {
	n printer python3 - "$@" <<-'EOT'
	import socket, struct, sys
	src, sport, dsts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
	def csum(b):
	    if len(b) % 2:
	        b += b"\0"
	    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	    while s >> 16:
	        s = (s & 0xffff) + (s >> 16)
	    return (~s) & 0xffff
	s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
	data = b"SKSO forged sign-on request" + b"\0" * 100
	for dst in dsts:
	    for dport in (51832, 51834, 53, 9):
	        u = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
	        ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 17, len(u))
	        u = u[:6] + struct.pack("!H", csum(ph + u)) + u[8:]
	        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(u), 0x1234, 0, 64, 17, 0,
	                        socket.inet_aton(src), socket.inet_aton(dst))
	        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
	        s.sendto(h + u, (dst, 0))
	EOT
}

# inner SRC SPORT: 8 datagrams to the inner addresses, all seen, none
# past the input filter.
inner() {
	local s0 p0 s p
	s0=$(counter seen)
	p0=$(counter passed)
	forge "$1" "$2" "$LAB_WORK_ROUTER" "$TUNADDR" || return 1
	# The printer's own echo to up0, after the forged datagrams on the
	# same link, answered: the netvm is done with them.
	lab_wait_for -t 5 n printer ping -c 1 -W 1 "$LAB_HOME_ROUTER" >/dev/null
	s=$(($(counter seen) - s0))
	p=$(($(counter passed) - p0))
	echo "forged from $1:$2 to the inner addresses: $s of 8 reached the netvm, $p past its input filter"
	[ "$s" = 8 ] && [ "$p" = 0 ]
}
check "from the gateway's address and port (the tunnel's replies): none past the input filter (0 of 8)" \
	inner "$LAB_GW_PUBLIC" "$LAB_GW_PORT"
for i in 1 2; do
	check "from the gateway's address and port, round $i: none past the input filter" \
		inner "$LAB_GW_PUBLIC" "$LAB_GW_PORT"
done
check "from a DHCP server's port 67: none past the input filter (0 of 8)" inner "$LAB_HOME_ROUTER" 67
check "from the printer itself: none past the input filter (0 of 8)" inner "$LAB_PRINTER" 40000

# The tunnel's replies still come in: the tunnel carries work's traffic.
check "the tunnel still works: work fetches the LGWAN portal" lab_wait_for -t 10 portal_ok
# The gateway's rule still takes in what is addressed to the uplink itself
# (a tunnel reply conntrack no longer knows: the netvm's port is not
# known to the ruleset, wireguard-go picks it).
own() {
	local s0 p0 s p
	s0=$(counter upseen)
	p0=$(counter uppassed)
	forge "$LAB_GW_PUBLIC" "$LAB_GW_PORT" "$UP0" || return 1
	lab_wait_for -t 5 n printer ping -c 1 -W 1 "$LAB_HOME_ROUTER" >/dev/null
	s=$(($(counter upseen) - s0))
	p=$(($(counter uppassed) - p0))
	echo "forged from the gateway to up0's own address: $s of 4 reached the netvm, $p past its input filter"
	[ "$s" = 4 ] && [ "$p" = 4 ]
}
check "from the gateway's address and port to up0's own address: all past the input filter (4 of 4)" own
no_leak() { lab_leaks; [ "$(lab_leak leak)" = 0 ]; }
check "home LAN leak counter: nothing but DHCP and the tunnel (0 leaked)" no_leak

n netvm nft delete table inet innerwatch 2>/dev/null
tap_done
