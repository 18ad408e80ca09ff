#!/bin/bash
# A hostile Windows forging its source address on the work link, in remote
# and in office mode: whatever work sends from a source that is not its own (an LGWAN
# address, the internet, the home LAN, link-local, the work link's
# broadcast), nothing the netvm sends in answer may leave the work link.
#
# The class: the forward chain drops work's forged sources, but packets
# addressed to the netvm itself (ICMP echo, the control socket 51834, a
# port it refuses) and packets whose TTL runs out in the netvm (the kernel
# answers those before the forward hook) never meet that rule, and the
# netvm's answer to a forged LGWAN source is the netvm's own LGWAN
# traffic: marked for the mode's path and accepted into it (untranslated:
# it belongs to the forged request's tracked connection). Work
# could put bytes of its choosing (an echo's payload, quoted again in an
# ICMP error) in front of any LGWAN host, whatever the policy's services
# allow. The fix drops forged sources from work before the routing
# decision (chain "worksrc", prerouting, priority raw): no answer of any
# kind is made to them.
#
# Each probe is one hand-made datagram (a raw socket in work), so the
# counters are exact: the netvm sees every one (the test's prerouting
# counter at -400) and drops every one (chain worksrc's counter); nothing
# addressed to a forged source leaves the netvm but onto the work link
# (the test's postrouting counter at 500, after every filter and
# translation), the gateway's side of the tunnel sees none, the home LAN's
# leak counter does not move. In remote mode and in office mode: there,
# no WireGuard peer's allowed IPs stand between the netvm's answer and the
# office LAN (without the fix, 8 of each 10 forged datagrams are answered
# off the work link in both modes; in remote mode the gateway's WireGuard
# drops them, as their source is not the device's tunnel address).
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS=office lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
lab_leak_reset

check "sekishod starts" netvm_start
check "work gets its address by DHCP from the netvm" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "work fetches the LGWAN portal through the tunnel" lab_wait_for -t 10 portal_ok

# The forged sources: an LGWAN address no host holds, an LGWAN host, the
# internet's web server, the home printer, a link-local address, the work
# link's broadcast.
FORGED_LGWAN="10.64.9.9 $LAB_LGWAN_HOST"
FORGED_ALL="$FORGED_LGWAN $LAB_INET_WEB $LAB_PRINTER 169.254.7.7 172.30.0.3"
set_of() { echo "$*" | sed 's/ /, /g'; }

watch_up() {
	n netvm nft -f - <<-EOT || return 1
	table inet forgedseen {
		counter seen { }
		counter out { }
		chain pre {
			type filter hook prerouting priority -400; policy accept;
			iifname "wk0" ip saddr { $(set_of $FORGED_ALL) } counter name "seen"
		}
		chain post {
			type filter hook postrouting priority 500; policy accept;
			oifname != "wk0" ip daddr { $(set_of $FORGED_ALL) } counter name "out"
		}
	}
	EOT
	# What the gateway takes out of the tunnel for a forged source (its
	# translation to the device's tunnel address leaves the destination).
	n agency nft -f - <<-EOT || return 1
	table inet forgedwatch {
		counter answers { }
		chain pre {
			type filter hook prerouting priority -400; policy accept;
			iifname "${LAB_PREFIX}g" ip daddr { $(set_of $FORGED_ALL) } counter name "answers"
		}
	}
	EOT
}
check "counters in the netvm and at the gateway" watch_up

counter() { n "$1" nft list counter inet "$2" "$3" | awk '/packets/ { print $2 }'; }
# The netvm's own drop of work's forged sources (chain worksrc), where it
# happens: before the routing decision.
worksrc() {
	n netvm nft list chain inet sekisho worksrc |
		sed -nE "s/.*ip saddr != ${LAB_WORK_ADDR%/*} counter packets ([0-9]+).*/\1/p"
}

# forge SRC...: from each source, one datagram of each kind: ICMP echo to
# the netvm (answered), TCP SYN to 51834 (the control socket: answered),
# UDP to a port of the netvm nobody serves (refused with an ICMP error),
# UDP with TTL 1 to the LGWAN portal (time exceeded, made before the
# forward hook), ICMP echo with TTL 1 to the portal, whose payload the
# error quotes.
forge() {
	n work python3 - "$LAB_WORK_ROUTER" "$LAB_PORTAL" "$@" <<-'EOT'
	import socket, struct, sys
	router, portal, srcs = sys.argv[1], sys.argv[2], sys.argv[3:]
	def csum(b):
	    if len(b) % 2:
	        b += b"\0"
	    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
	    while s >> 16:
	        s = (s & 0xffff) + (s >> 16)
	    return (~s) & 0xffff
	def ip(src, dst, proto, payload, ttl=64):
	    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0x5e1, 0,
	                    ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
	    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
	    return h + payload
	def l4(src, dst, proto, seg):
	    ph = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, proto, len(seg))
	    c = csum(ph + seg)
	    off = 16 if proto == 6 else 6
	    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]
	def echo(payload):
	    m = struct.pack("!BBHHH", 8, 0, 0, 0x5ec1, 1) + payload
	    return m[:2] + struct.pack("!H", csum(m)) + m[4:]
	def syn(src, dst, dport):
	    t = struct.pack("!HHIIBBHHH", 40001, dport, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
	    return l4(src, dst, 6, t)
	def udp(src, dst, dport, data):
	    u = struct.pack("!HHHH", 40002, dport, 8 + len(data), 0) + data
	    return l4(src, dst, 17, u)
	s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
	secret = b"exfiltrated through the netvm's answer " * 8
	for src in srcs:
	    for pkt, dst in ((ip(src, router, 1, echo(secret)), router),
	                     (ip(src, router, 6, syn(src, router, 51834)), router),
	                     (ip(src, router, 17, udp(src, router, 9, secret)), router),
	                     (ip(src, portal, 17, udp(src, portal, 9, secret), ttl=1), portal),
	                     (ip(src, portal, 1, echo(secret), ttl=1), portal)):
	        s.sendto(pkt, (dst, 0))
	EOT
}

# forged_answers SRCS...: every forged datagram reached the netvm, and no
# answer to any of them left the netvm but onto the work link (its own
# postrouting counter, after every filter and translation), none came out
# of the tunnel at the gateway, none onto the home LAN.
forged_answers() {
	local seen0 out0 ans0 leak0 ws0 seen out ans leak ws want
	want=$(($# * 5))
	ws0=$(worksrc)
	seen0=$(counter netvm forgedseen seen)
	out0=$(counter netvm forgedseen out)
	ans0=$(counter agency forgedwatch answers)
	leak0=$(lab_leak leak)
	forge "$@" || return 1
	# The netvm answers at once or never; an echo from work's own
	# address, sent after the forged ones and answered through the same
	# queues, says the netvm is done with them.
	n work ping -c 1 -W 2 "$LAB_WORK_ROUTER" >/dev/null || { echo "the netvm does not answer work's own echo"; return 1; }
	n work ping -c 1 -W 2 "$LAB_PORTAL" >/dev/null || { echo "the portal does not answer work's own echo"; return 1; }
	seen=$(($(counter netvm forgedseen seen) - seen0))
	out=$(($(counter netvm forgedseen out) - out0))
	ans=$(($(counter agency forgedwatch answers) - ans0))
	leak=$(($(lab_leak leak) - leak0))
	ws=$(($(worksrc) - ${ws0:-0}))
	echo "forged datagrams: $seen of $want reached the netvm, $ws dropped by chain worksrc; answers sent off the work link: $out; out of the tunnel at the gateway: $ans; home LAN leak: $leak"
	[ "$seen" = "$want" ] && [ "$out" = 0 ] && [ "$ans" = 0 ] && [ "$leak" = 0 ] &&
		[ -n "$ws0" ] && [ "$ws" = "$want" ]
}
# shellcheck disable=SC2086
check "remote: forged LGWAN sources: echo, 51834, a refused port, TTL 1: no answer leaves the netvm but to work (0)" \
	forged_answers $FORGED_LGWAN
# shellcheck disable=SC2086
check "remote: forged internet, home LAN, link-local, broadcast sources: no answer anywhere (0)" \
	forged_answers $LAB_INET_WEB $LAB_PRINTER 169.254.7.7 172.30.0.3

# Office mode: no WireGuard at the far end whose allowed IPs would drop an
# answer from an address other than the device's; the office LAN carries
# whatever leaves. Work's bytes may not reach LGWAN by the netvm's answers
# there either.
check "office: plugged in" lab_plug up0 office
check "office: mode office" netvm_wait_mode office 5
check "office: LGWAN portal straight from the office LAN" lab_wait_for -t 10 portal_ok
lab_leak_reset office
# shellcheck disable=SC2086
check "office: forged LGWAN sources: no answer leaves the netvm but to work (0)" \
	forged_answers $FORGED_LGWAN
# shellcheck disable=SC2086
check "office: forged internet, home LAN, link-local, broadcast sources: no answer anywhere (0)" \
	forged_answers $LAB_INET_WEB $LAB_PRINTER 169.254.7.7 172.30.0.3
office_other() { lab_leaks office; [ "$(lab_leak office other)" = 0 ]; }
check "office LAN: nothing but DHCP, beacon, LGWAN, ARP from the netvm" office_other


# What work may still do: its own address everywhere the policy allows,
# DHCP from 0.0.0.0 (a fresh lease), its router's echo and 51834.
dhcp_again() {
	lab_stop work-dhcp
	ip -n "$NS_WORK" -4 addr flush dev eth0
	rm -f "$LAB_DIR/lease.work"
	lab_work_dhcp
}
check "work's DHCP from 0.0.0.0 still gets a lease" dhcp_again
check "work's own echo to its router is answered" n work ping -c 1 -W 2 "$LAB_WORK_ROUTER"
check "work still reaches the LGWAN portal" lab_wait_for -t 10 portal_ok
work_status() { n work python3 tests/integration/ctlhammer.py raw "$LAB_WORK_ROUTER" 51834 | head -c 4 | grep -qx SKCR; }
check "work's status on 51834 is answered" work_status

no_leak() { lab_leaks; [ "$(lab_leak leak)" = 0 ]; }
check "home LAN leak counter: nothing from work but the tunnel (0 leaked)" no_leak

n netvm nft delete table inet forgedseen 2>/dev/null
n agency nft delete table inet forgedwatch 2>/dev/null
tap_done
