#!/bin/bash
# The lab itself: every namespace wired, every service answering, the leak
# counters counting, a hand-made WireGuard client reaching LGWAN through the
# agency gateway, and lab_down leaving nothing behind. TAP output.
# shellcheck disable=SC2016,SC2034,SC2119,SC2120
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lab.sh

T=0 FAILED=0
ok() { T=$((T + 1)); echo "ok $T - $*"; }
nok() { T=$((T + 1)); FAILED=$((FAILED + 1)); echo "not ok $T - $*"; }
t() {	# "what" 'shell code' (evaluated here, with the lab's functions)
	if eval "$2"; then ok "$1"; else nok "$1"; fi
}
has() { grep -qF -- "$1"; }	# has STRING (stdin)
in_ns() { local r=$1; shift; n "$r" "$@"; }
get() { n netvm curl -sf --max-time "${2:-3}" "$1" 2>/dev/null; }
dns() { n netvm dig +short +time=2 +tries=1 "@$1" "$2" 2>/dev/null; }

trap lab_down EXIT

if ! lab_up; then
	nok "lab_up builds the lab"
	exit 1
fi
ok "lab_up builds the lab ($(lab_roles))"
P=$LAB_PREFIX

# ---- the lab's own bookkeeping -----------------------------------------------
t "every role has its namespace" \
	'for r in $LAB_ROLES; do [ -e "/run/netns/$P-$r" ] || return 1; done'
t "LAB_DIR is 0700, keys are 0600" \
	'[ "$(stat -c %a "$LAB_DIR")" = 700 ] && [ "$(stat -c %a "$LAB_DIR/device.key")" = 600 ] &&
	 [ "$(stat -c %a "$LAB_DIR/gateway.key")" = 600 ]'
t "env file is sourceable and names the namespaces" \
	'(unset NS_WORK NS_LGWAN LAB_GW_PUB; . "$LAB_DIR/env" && [ "$NS_WORK" = "$P-work" ] &&
	  [ "$NS_LGWAN" = "$P-lgwan" ] && [ -n "$LAB_GW_PUB" ])'
t "policy.conf: serial 1, device key file, gateway endpoint and key, prefixes" \
	'f=$LAB_DIR/policy.conf; grep -q "^serial 1$" "$f" && grep -qF "key-file \"$LAB_DIR/device.key\"" "$f" &&
	 grep -q "endpoint 192.0.2.10:51820" "$f" && grep -qF "public-key \"$LAB_GW_PUB\"" "$f" &&
	 grep -q "prefix 172.20.0.0/16" "$f" && grep -q "resolver 10.64.0.53" "$f"'
t "the root namespace has no lab interface" \
	'! ip -o link | grep -qE "(wk0|up[0-2]|c-up[0-2]|[sw]-home|hn0|hp0|wan0|ih0|ia0|pub0|lg0|${P}g)[@:]"'
t "without LAB_SEGMENTS: no office, hotel or lte namespace" \
	'! compgen -G "/run/netns/$P-office" && ! compgen -G "/run/netns/$P-hotel" && ! compgen -G "/run/netns/$P-lte" &&
	 [ "$LAB_ROLES" = "work netvm home printer inet agency lgwan patch" ]'

# ---- the netvm's cables --------------------------------------------------------
t "netvm has up0, up1, up2 with their fixed MACs" \
	'n netvm ip link show up0 | has "link/ether 02:53:4b:00:01:00" &&
	 n netvm ip link show up1 | has "link/ether 02:53:4b:00:01:01" &&
	 n netvm ip link show up2 | has "link/ether 02:53:4b:00:01:02"'
t "lab_uplinks: up0 in the home socket, up1 and up2 hanging loose" '[ "$(lab_uplinks)" = "up0=home up1=none up2=none" ]'
t "up1 and up2 have no carrier, up0 has" \
	'n netvm ip link show up1 | has NO-CARRIER && n netvm ip link show up2 | has NO-CARRIER &&
	 ! n netvm ip link show up0 | has NO-CARRIER'
t "lab_plug to a segment not built says how to build it" \
	'! lab_plug up1 office 2>"$LAB_DIR/err" && grep -q "segment .office. is not in this lab (build it with LAB_SEGMENTS=" "$LAB_DIR/err"'

# ---- uplink DHCP and the world, seen from the netvm (no firewall yet) ---------
a=
lab_uplink_dhcp && a=$(n netvm ip -4 -o addr show dev up0 | awk '{print $4}')
t "uplink DHCP gives the netvm a home address ($a)" '[[ $a =~ ^192\.168\.1\.1([0-4][0-9]|50)/24$ ]]'
t "netvm's default route is the home router" 'n netvm ip route show default | has "via 192.168.1.1 dev up0"'
t "home router admin page reachable from the netvm" 'get http://192.168.1.1/ | has "home router admin"'
t "printer web page reachable from the netvm" 'get http://192.168.1.50/ | has "home printer"'
t "printer raw port 9100 takes a job" \
	'echo "job-$P" | n netvm busybox nc -w1 192.168.1.50 9100; lab_wait_for -t 2 grep -q "job-$P" "$LAB_DIR/printer-jobs"'
t "internet has no route to the home LAN (so what follows needs the NAT)" \
	'! n inet ip route get 192.168.1.10 >/dev/null 2>&1'
t "internet web reachable from the netvm through the home NAT" 'get http://198.51.100.80/ | has "internet"'
t "home DNS answers its local name" '[ "$(dns 192.168.1.1 printer.home.example)" = 192.168.1.50 ]'
t "home DNS forwards to the public DNS (any name -> 198.51.100.80)" \
	'[ "$(dns 192.168.1.1 www.example.com)" = 198.51.100.80 ]'
t "public DNS answers directly too" '[ "$(dns 198.51.100.53 lgwan.example)" = 198.51.100.80 ]'
t "printer reaches the internet too" \
	'n printer curl -sf --max-time 3 http://198.51.100.80/ | has internet'

# ---- the agency gateway ------------------------------------------------------
t "agency wireguard-go interface $LAB_WG_GW exists with 10.77.0.1/24" \
	'n agency ip -4 -o addr show dev "$LAB_WG_GW" | has "10.77.0.1/24"'
t "wg show lists the device peer with 10.77.0.2/32" \
	'n agency wg show "$LAB_WG_GW" allowed-ips | has "$LAB_DEVICE_PUB	10.77.0.2/32"'
t "wg show: gateway listens on 51820 with the lab's gateway key" \
	'[ "$(n agency wg show "$LAB_WG_GW" listen-port)" = 51820 ] &&
	 [ "$(n agency wg show "$LAB_WG_GW" public-key)" = "$LAB_GW_PUB" ]'
t "gateway socket is named after the run's prefix" 'test -S "/var/run/wireguard/$LAB_WG_GW.sock"'

# ---- a hand-made WireGuard client in the netvm --------------------------------
C=${P}c
client_up() {
	lab_spawn wg-client netvm wireguard-go -f "$C" &&
	lab_wait_for test -S "/var/run/wireguard/$C.sock" &&
	n netvm wg set "$C" private-key "$LAB_DEVICE_KEY" peer "$LAB_GW_PUB" \
		endpoint 192.0.2.10:51820 allowed-ips 10.64.0.0/16,10.65.0.0/16,172.20.0.0/16 &&
	n netvm ip addr add 10.77.0.2/32 dev "$C" &&
	n netvm ip link set "$C" up || return 1
	for pfx in $LAB_LGWAN_PREFIXES; do n netvm ip route add "$pfx" dev "$C" || return 1; done
}
portal() { get http://10.64.1.80/ "${1:-3}" | has "$LAB_PORTAL_MARKER"; }
t "WireGuard client comes up in the netvm with the device key" client_up
t "LGWAN portal page (marker) through the tunnel" portal
t "LGWAN DNS resolves portal.lgwan.example through the tunnel" \
	'[ "$(dns 10.64.0.53 portal.lgwan.example)" = 10.64.1.80 ]'
t "LGWAN DNS resolves auth.lgwan.example" '[ "$(dns 10.64.0.53 auth.lgwan.example)" = 10.65.0.10 ]'
t "LGWAN DNS says NXDOMAIN for other names" \
	'n netvm dig +time=2 +tries=1 @10.64.0.53 www.example.com | has "status: NXDOMAIN"'
t "LGWAN hosts 10.65.0.10 and 172.20.0.10 answer on 80" \
	'get http://10.65.0.10/ | has "LGWAN host" && get http://172.20.0.10/ | has "LGWAN host"'
t "iperf3 server on the portal answers (1 MB)" 'n netvm iperf3 -c 10.64.1.80 -n 1M >/dev/null 2>&1'
t "gateway saw the device's handshake" \
	'[ "$(n agency wg show "$LAB_WG_GW" latest-handshakes | awk "{print \$2}")" -gt 0 ]'

# ---- leak counters -----------------------------------------------------------
L=$(lab_leaks)
t "lab_leaks prints the five counters ($L)" \
	'[[ $L =~ ^dhcp=[0-9]+\ beacon=[0-9]+\ tunnel=[0-9]+\ arp=[0-9]+\ leak=[0-9]+$ ]] &&
	 [ "$(lab_leaks home)" = "$(lab_leaks)" ]'
t "leak counters: dhcp > 0 and tunnel > 0" '[ "$(lab_leak dhcp)" -gt 0 ] && [ "$(lab_leak tunnel)" -gt 0 ]'
lab_leak_reset
t "lab_leak_reset zeroes them" '[ "$(lab_leaks)" = "dhcp=0 beacon=0 tunnel=0 arp=0 leak=0" ]'
portal >/dev/null
L=$(lab_leaks)
t "tunnel-only traffic counts as tunnel, never as leak ($L)" \
	'[ "$(lab_leak tunnel)" -gt 0 ] && [ "$(lab_leak leak)" = 0 ]'
get http://192.168.1.1/ >/dev/null
t "clear traffic to the home LAN counts as leak" '[ "$(lab_leak leak)" -gt 0 ]'
lab_leak_reset home
n netvm bash -c 'echo challenge >/dev/udp/10.66.0.2/51821'
t "a beacon challenge (UDP to 51821) counts as beacon, not leak ($(lab_leaks))" \
	'[ "$(lab_leak home beacon)" -gt 0 ] && [ "$(lab_leak home leak)" = 0 ]'

# ---- fault helpers -------------------------------------------------------------
lab_gateway_down
t "lab_gateway_down: the portal is unreachable" '! portal 1'
lab_gateway_up
t "lab_gateway_up: the portal is back" 'lab_wait_for -t 5 portal 1'
lab_uplink_unplug
t "lab_uplink_unplug: up0 loses carrier, home unreachable" \
	'lab_wait_for -t 2 eval "n netvm ip link show up0 | has NO-CARRIER" && ! get http://192.168.1.1/ 1 >/dev/null'
lab_uplink_plug
t "lab_uplink_plug: home reachable again" 'lab_wait_for -t 5 get http://192.168.1.1/ 1'

# ---- the work partition: IPv6 address, DHCP client, resolver -----------------
t "work has IPv6 fd00:30::2/64 on eth0 and a v6 default route" \
	'n work ip -6 -o addr show dev eth0 | has "fd00:30::2/64" && n work ip -6 route show default | has "fd00:30::1"'
# a stand-in for the netvm daemon's DHCP server on wk0
n netvm ip addr add 172.30.0.1/30 dev wk0
lab_spawn work-dhcpd netvm "$LAB_DNSMASQ" --conf-file=/dev/null --keep-in-foreground \
	--pid-file="$LAB_DIR/run/work-dhcpd.pid" --log-facility=- --port=0 --no-hosts --no-resolv \
	--interface=wk0 --bind-interfaces --dhcp-range=172.30.0.2,172.30.0.2,255.255.255.252,1h \
	--dhcp-option=option:router,172.30.0.1 --dhcp-option=option:dns-server,172.30.0.1 \
	--dhcp-leasefile="$LAB_DIR/work-dhcpd.leases" --no-ping
t "lab_work_dhcp: work gets 172.30.0.2/30" \
	'lab_wait_for -t 3 eval "n netvm ss -Hlun | has :67" && lab_work_dhcp &&
	 n work ip -4 -o addr show dev eth0 | has "172.30.0.2/30"'
t "work's default route is the netvm" 'n work ip route show default | has "via 172.30.0.1 dev eth0"'
t "work's resolver is in \$LAB_DIR/work-resolv.conf and in work's /etc/resolv.conf" \
	'grep -qx "nameserver 172.30.0.1" "$LAB_DIR/work-resolv.conf" &&
	 n work cat /etc/resolv.conf | grep -qx "nameserver 172.30.0.1"'
lab_stop work-dhcp
lab_stop work-dhcpd

# ---- lab_down leaves nothing behind ------------------------------------------
pids=$(cat "$LAB_DIR"/pids/* | awk '{print $1 ":" $2}')
d=$LAB_DIR
lab_down
t "lab_down: no $P namespace left" '! compgen -G "/run/netns/$P-*" >/dev/null'
t "lab_down: none of the recorded processes is left" \
	'for p in $pids; do _lab_alive "${p%:*}" "${p#*:}" && return 1; done; true'
t "lab_down: no process of this run left (wireguard-go, dnsmasq, httpd...)" \
	'! ps -eo args | grep -v grep | grep -qE "wireguard-go -f $P|sekisho-lab\.$P"'
t "lab_down: no WireGuard socket left" '! compgen -G "/var/run/wireguard/$P*" >/dev/null'
t "lab_down: LAB_DIR and /etc/netns entries removed" '[ ! -e "$d" ] && ! compgen -G "/etc/netns/$P-*" >/dev/null'
lab_down
ok "lab_down is idempotent"

echo "1..$T"
[ "$FAILED" -eq 0 ]
