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
# uplink"), 'passed' counts the 8 forged from the gateway in each round.
#
# Then two hostile-uplink cases found sound, each shown to fail with its
# protection removed: a rogue router advertisement on an uplink with a
# real netvm's IPv6 defaults (the input filter's IPv6 drop), and routes
# pushed through DHCP more specific than the tunnel's ("TunnelVision": the
# mode's mark picks its routing table before the main one is consulted).
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
# ---- ARP for the inner addresses ------------------------------------------------
# Linux answers ARP for any of its addresses on any interface (arp_ignore
# 0): a hotel guest who asks "who has 10.77.0.2?" on the LAN learns the
# device's tunnel address, its identity inside LGWAN, by a sweep of the
# tunnel's prefix, and that 172.30.0.1 is here (a Sekisho laptop). The
# netvm answers ARP on an uplink only for that uplink's own address
# (arp_ignore 1; with 0, as before, the two inner addresses are answered
# with up0's MAC).
# arp_who IP: 0 if an ARP request for IP from the printer is answered.
arp_who() {
	n printer python3 - "$1" "$LAB_PRINTER" <<-'EOT'
	import socket, struct, sys, select, time
	target, me = sys.argv[1], sys.argv[2]
	s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
	s.bind(("eth0", 0))
	mac = s.getsockname()[4]
	req = (b"\xff" * 6 + mac + struct.pack("!H", 0x0806) +
	       struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + socket.inet_aton(me) +
	       b"\0" * 6 + socket.inet_aton(target))
	end = time.monotonic() + 1.0
	for i in range(3):
	    s.send(req)
	    t = time.monotonic() + 0.3
	    while time.monotonic() < t:
	        r, _, _ = select.select([s], [], [], 0.05)
	        if not r:
	            continue
	        f = s.recv(2048)
	        if len(f) >= 42 and f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" and f[28:32] == socket.inet_aton(target):
	            print("%s is-at %s" % (target, f[22:28].hex(":")))
	            sys.exit(0)
	print("%s: no answer" % target)
	sys.exit(1)
	EOT
}
arp_inner() {
	local rc=0
	arp_who "$UP0" || { echo "up0's own address not answered"; rc=1; }
	arp_who "$LAB_WORK_ROUTER" && rc=1
	arp_who "$TUNADDR" && rc=1
	return $rc
}
check "ARP from the home LAN: up0's address answered, the work link's router and the tunnel's address not" arp_inner

# ---- router advertisements on the uplink ---------------------------------------
# A rogue router on the home LAN advertises itself as the default IPv6
# router, a prefix to take addresses from, a route, a DNS server and an
# MTU of 1280. The netvm uses no IPv6 on its uplinks, but nothing turns it
# off there but the lab: a real netvm's kernel would take all of it
# (accept_ra 1, forwarding off for a policy without IPv6), so it is the
# input filter that must keep every one from the kernel's neighbour
# discovery. Removing "meta nfproto ipv6 counter drop" from the
# input chain gives up0 an address in 2001:db8:bad::/64, a default route
# and MTU 1280 (checked once by hand: nft insert rule ... icmpv6 type
# nd-router-advert accept).
rogue_ra() {
	n printer python3 - <<-'EOT'
	import socket, struct, time
	s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
	s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
	s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
	ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
	pio = struct.pack("!BBBBIII", 3, 4, 64, 0xc0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, "2001:db8:bad::")
	rio = struct.pack("!BBBBI", 24, 3, 48, 0x08, 1800) + socket.inet_pton(socket.AF_INET6, "2001:db8:bad::")
	rdnss = struct.pack("!BBHI", 25, 3, 0, 1800) + socket.inet_pton(socket.AF_INET6, "2001:db8:bad::53")
	mtu = struct.pack("!BBHI", 5, 1, 0, 1280)
	idx = socket.if_nametoindex("eth0")
	for i in range(3):
	    s.sendto(ra + pio + rio + rdnss + mtu, ("ff02::1", 0, 0, idx))
	    time.sleep(0.1)
	EOT
}
ra_watch() {
	n netvm nft -f - <<-EOT
	table inet rawatch {
		counter ra { }
		chain pre {
			type filter hook prerouting priority -400; policy accept;
			iifname "up0" icmpv6 type nd-router-advert counter name "ra"
		}
	}
	EOT
}
ra_seen() { [ "$(n netvm nft list counter inet rawatch ra | awk '/packets/ { print $2 }')" -ge 3 ]; }
printer_ll() { ip -n "$NS_PRINTER" -6 addr show dev eth0 scope link | grep -v tentative | grep -q inet6; }
ra_ignored() {
	# A real netvm's uplink as the kernel makes it (the lab turns IPv6
	# off on the uplinks and everywhere but work), and a printer that
	# speaks IPv6.
	n netvm sysctl -qw net.ipv6.conf.up0.disable_ipv6=0 net.ipv6.conf.up0.accept_ra=1 || return 1
	n printer sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.accept_dad=0 \
	    net.ipv6.conf.eth0.disable_ipv6=0 || return 1
	echo "up0 accept_ra=$(n netvm cat /proc/sys/net/ipv6/conf/up0/accept_ra)" \
	    "forwarding=$(n netvm cat /proc/sys/net/ipv6/conf/up0/forwarding)"
	ra_watch || return 1
	lab_wait_for -t 5 printer_ll || { echo "the printer has no link-local address"; return 1; }
	rogue_ra || return 1
	lab_wait_for -t 5 ra_seen || { echo "no advertisement reached the netvm"; return 1; }
	# neighbour discovery handles an RA as it arrives; an echo after it
	# through the same link says it has been handled
	n printer ping -c 1 -W 1 "$UP0" >/dev/null
	local a r m
	a=$(ip -n "$NS_NETVM" -6 addr show dev up0 scope global)
	r=$(ip -n "$NS_NETVM" -6 route show table all | grep -E 'default|2001:db8:bad' || true)
	m=$(ip -n "$NS_NETVM" -o link show dev up0 | sed -nE 's/.* mtu ([0-9]+) .*/\1/p')
	echo "up0 global IPv6: ${a:-none}; routes from the RA: ${r:-none}; up0 mtu $m; IPv6 mtu $(n netvm cat /proc/sys/net/ipv6/conf/up0/mtu)"
	local mtu6
	mtu6=$(n netvm cat /proc/sys/net/ipv6/conf/up0/mtu)
	n netvm nft delete table inet rawatch
	n netvm sysctl -qw net.ipv6.conf.up0.disable_ipv6=1 net.ipv6.conf.up0.accept_ra=0
	n printer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	[ -z "$a" ] && [ -z "$r" ] && [ "$mtu6" != 1280 ]
}
check "a rogue router advertisement (prefix, route, RDNSS, MTU 1280) on up0 reaches the netvm and changes nothing" ra_ignored

# ---- routes pushed by the uplink's DHCP (option 121, "TunnelVision") --------
# A hostile DHCP server pushes routes more specific than the tunnel's for
# LGWAN and its resolver, via itself; a DHCP client puts them in the main
# table (here by hand, as one would). Work's traffic and the netvm's own
# LGWAN traffic take the mode's table by their mark, before the main
# table is consulted: both still go through the tunnel, nothing leaves
# onto the home LAN.
pushed_routes() {
	local l0 rx0 rx1 rc=0
	l0=$(lab_leak leak)
	for r in 10.64.0.0/17 10.64.1.80/32 $LAB_LGWAN_DNS/32 0.0.0.0/1 128.0.0.0/1; do
		ip -n "$NS_NETVM" route replace "$r" via "$LAB_HOME_ROUTER" dev up0 || rc=1
	done
	rx0=$(n netvm wg show "$NETVM_TUN" transfer | awk '{ print $2 }')
	work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER" || { echo "work: portal not reached"; rc=1; }
	n netvm curl -sS -m 5 "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER" || { echo "netvm: portal not reached"; rc=1; }
	[ "$(n work dig +short +time=2 +tries=1 "@$LAB_WORK_ROUTER" "$LAB_PORTAL_NAME")" = "$LAB_PORTAL" ] ||
		{ echo "work: no answer from the LGWAN resolver"; rc=1; }
	rx1=$(n netvm wg show "$NETVM_TUN" transfer | awk '{ print $2 }')
	for r in 10.64.0.0/17 10.64.1.80/32 $LAB_LGWAN_DNS/32 0.0.0.0/1 128.0.0.0/1; do
		ip -n "$NS_NETVM" route del "$r" via "$LAB_HOME_ROUTER" dev up0
	done
	echo "tunnel received $((rx1 - rx0)) bytes; home LAN leak counter +$(($(lab_leak leak) - l0))"
	[ "$rc" = 0 ] && [ $((rx1 - rx0)) -gt 0 ] && [ "$(lab_leak leak)" = "$l0" ]
}
check "routes pushed via the home router for LGWAN, its resolver, 0/1 and 128/1: work, the netvm and DNS still through the tunnel, 0 leaked" pushed_routes

no_leak() { lab_leaks; [ "$(lab_leak leak)" = 0 ]; }
check "home LAN leak counter: nothing but DHCP and the tunnel (0 leaked)" no_leak

n netvm nft delete table inet innerwatch 2>/dev/null
tap_done
