#!/bin/bash
# The lab's office, hotel and lte segments and the netvm's pluggable
# uplinks, without sekishod: DHCP on each segment (the hotel's a copy of the
# office's), the office beacon verified on-link with TTL 255, the hotel's
# impostor and replayer refused with the exact reason, LGWAN directly from
# the office and the internet not, the internet and the agency endpoint from
# hotel and lte, re-plugging with a fresh lease each time, the leak counters
# counting each class where it belongs, and lab_down leaving nothing.
# TAP output.
# shellcheck disable=SC2016
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lab.sh
. tests/integration/lib.sh

PROBE=$PWD/${B:-build}/sekisho-beacon-probe
for f in sekisho-beacon sekisho-beacon-keygen sekisho-beacon-probe; do
	[ -x "${B:-build}/$f" ] || { echo "not ok 1 - ${B:-build}/$f is not built (make tools)"; exit 1; }
done

trap lab_down EXIT
t0=$EPOCHREALTIME
if ! LAB_SEGMENTS="office hotel lte" lab_up; then
	tap_not_ok "lab_up with LAB_SEGMENTS=\"office hotel lte\""
	exit 1
fi
t1=$EPOCHREALTIME
tap_ok "LAB_SEGMENTS=\"office hotel lte\" lab_up builds the lab in $(( (${t1/./} - ${t0/./}) / 1000 )) ms"
P=$LAB_PREFIX

# expect WANT CMD...: CMD exits 1 and prints exactly WANT (stdout + stderr).
expect_fail() {
	local want=$1 got rc
	shift
	got=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && [ "$got" = "$want" ] && return 0
	printf 'want (exit 1): %s\ngot (exit %d):  %s\n' "$want" "$rc" "$got"
	return 1
}
# match REGEX CMD...: CMD succeeds and its output matches REGEX.
match() {
	local re=$1 got
	shift
	got=$("$@" 2>&1) || { echo "failed: $got"; return 1; }
	[[ $got =~ $re ]] && return 0
	printf 'want /%s/\ngot:  %s\n' "$re" "$got"
	return 1
}
probe() { n netvm "$PROBE" -t 300 "$@"; }
get() { n netvm curl -sS -m "${3:-3}" ${2:+--interface "$2"} "$1"; }
dns() { n netvm dig +short +time=2 +tries=1 "@$1" "$2"; }
lease_is() {	# IFACE FIELD VALUE
	local v
	v=$(lab_uplink_lease "$1" "$2") || { echo "no lease on $1"; return 1; }
	[ "$v" = "$3" ] || { echo "$1 $2=$v, want $3"; return 1; }
}
in_range() {	# IFACE PREFIX(e.g. 10.66.0.) : lease ip is PREFIX100..150
	local ip
	ip=$(lab_uplink_lease "$1" ip) || { echo "no lease on $1"; return 1; }
	[[ $ip == "$2"* ]] && [ "${ip##*.}" -ge 100 ] && [ "${ip##*.}" -le 150 ] ||
		{ echo "$1 ip=$ip, want ${2}100-150"; return 1; }
	n netvm ip -4 -o addr show dev "$1" | awk '{print $4}' | grep -qx "$ip/24" ||
		{ echo "$1 does not hold $ip/24: $(n netvm ip -4 -o addr show dev "$1")"; return 1; }
	[ "$(n netvm ip -4 -o addr show dev "$1" | wc -l)" -eq 1 ] ||
		{ echo "$1 holds more than one address"; return 1; }
}
# only SEGMENT CLASS CMD...: with that segment's counters zeroed, CMD makes
# CLASS count and no other class (arp aside: it may come with anything).
only() {
	local seg=$1 class=$2 c v l
	shift 2
	lab_leak_reset "$seg"
	"$@" >/dev/null 2>&1
	l=$(lab_leaks "$seg")
	echo "$seg: $l"
	[ "$(lab_leak "$seg" "$class")" -gt 0 ] || return 1
	for c in $(_lab_seg_counters "$seg"); do
		[ "$c" = "$class" ] || [ "$c" = arp ] && continue
		v=$(lab_leak "$seg" "$c")
		[ "$v" -eq 0 ] || return 1
	done
}

# ---- bookkeeping ---------------------------------------------------------------
check "lab_roles: the base roles first, then patch, office, hotel, lte" bash -c \
	"[ \"\$1\" = 'lab: work=$P-work netvm=$P-netvm home=$P-home printer=$P-printer inet=$P-inet agency=$P-agency lgwan=$P-lgwan patch=$P-patch office=$P-office hotel=$P-hotel lte=$P-lte' ]" \
	_ "$(lab_roles)"
check "every role has its namespace" \
	bash -c 'for r in $LAB_ROLES; do [ -e "/run/netns/$LAB_PREFIX-$r" ] || exit 1; done'
check "LAB_SEGMENTS=hotel brings the office (its replayer needs it); unknown names refused" bash -c \
	'. tests/lab/lab.sh; [ "$(LAB_SEGMENTS=hotel _lab_pick_segments)" = "office hotel" ] &&
	 [ "$(LAB_SEGMENTS=all _lab_pick_segments)" = "office hotel lte" ] &&
	 ! LAB_SEGMENTS=cafe _lab_pick_segments 2>/dev/null'
keys_ok() {
	local k
	for k in "$LAB_OFFICE_BEACON_KEY" "$LAB_IMPOSTOR_KEY"; do
		[ "$(stat -c '%a %u' "$k")" = "600 0" ] || { echo "$k: $(stat -c '%a %u' "$k")"; return 1; }
	done
	[ "$("$LAB_BEACON_KEYGEN" -p "$LAB_OFFICE_BEACON_KEY")" = "$LAB_OFFICE_BEACON_PUB" ] &&
	[ "$("$LAB_BEACON_KEYGEN" -p "$LAB_IMPOSTOR_KEY")" = "$LAB_IMPOSTOR_PUB" ] &&
	[ "$LAB_OFFICE_BEACON_PUB" != "$LAB_IMPOSTOR_PUB" ]
}
check "beacon keys: 0600 root, two different keys, public halves in the env" keys_ok
no_key_in_argv() {
	local pid k
	for pid in $(for ns in /run/netns/"$P"-*; do ip netns pids "${ns##*/}"; done); do
		for k in "$LAB_OFFICE_BEACON_KEY" "$LAB_IMPOSTOR_KEY"; do
			tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$(cat "$k")" &&
				{ echo "pid $pid has a private key in argv"; return 1; }
		done
	done
	return 0
}
check "no private key on any command line of the run" no_key_in_argv
check "env file: segments, namespaces, beacon public keys" bash -c \
	'(unset LAB_SEGMENTS NS_OFFICE NS_LTE LAB_OFFICE_BEACON_PUB; . "$LAB_DIR/env" &&
	  [ "$LAB_SEGMENTS" = "office hotel lte" ] && [ "$NS_OFFICE" = "$LAB_PREFIX-office" ] &&
	  [ "$NS_LTE" = "$LAB_PREFIX-lte" ] && [ -n "$LAB_OFFICE_BEACON_PUB" ] && [ -n "$LAB_IMPOSTOR_PUB" ])'
check "every segment daemon is a recorded, running child" bash -c \
	'. tests/lab/lab.sh; for d in office-dnsmasq office-beacon hotel-dnsmasq hotel-beacon lte-dnsmasq; do
	   lab_pid "$d" >/dev/null || { echo "$d not running"; exit 1; }; done'
check "three genuine office answers captured for the replayer (144 bytes each)" bash -c \
	'for i in 1 2 3; do [ "$(stat -c %s "$LAB_DIR/office-answer.$i")" = 144 ] || exit 1; done'
check "the root namespace has no lab interface" bash -c \
	"! ip -o link | grep -qE '(up[0-2]|c-up[0-2]|[sw]-(home|office|hotel|lte)|on0|tn0|ln0|it0|il0|of0|hn0|wan0)[@:]'"
check "lab_uplinks: up0 at home, up1 and up2 loose" test "$(lab_uplinks)" = "up0=home up1=none up2=none"
check "after lab_up every counter of every segment is zero" bash -c \
	'[ -z "$(echo "$1" | grep -E "=[1-9]")" ] || { echo "$1"; exit 1; }' _ "$(lab_leaks all)"

# ---- home, then the office -------------------------------------------------------
lab_uplink_dhcp
check "home lease on up0 first" in_range up0 192.168.1.
lab_leak_reset all
home_addr=$(lab_uplink_lease up0 ip)
ts=$EPOCHREALTIME
lab_plug up0 office
te=$EPOCHREALTIME
check "lab_plug up0 office: a fresh lease in 10.66.0.100-150 ($(( (${te/./} - ${ts/./}) / 1000 )) ms incl. DHCP)" \
	in_range up0 10.66.0.
check "office lease: router 10.66.0.1, resolver 10.66.0.53, from server 10.66.0.1" bash -c \
	'. tests/lab/lab.sh; [ "$(lab_uplink_lease up0 router)" = 10.66.0.1 ] &&
	 [ "$(lab_uplink_lease up0 dns)" = 10.66.0.53 ] && [ "$(lab_uplink_lease up0 serverid)" = 10.66.0.1 ]'
check "office lease: domain and search list office.lgwan.example" bash -c \
	'. tests/lab/lab.sh; [ "$(lab_uplink_lease up0 domain)" = office.lgwan.example ] &&
	 [ "$(lab_uplink_lease up0 search)" = office.lgwan.example ]'
check "the home address is gone from up0 ($home_addr)" bash -c \
	"! ip -n $NS_NETVM -4 -o addr show dev up0 | grep -qF ' $home_addr/'"
check "netvm's default route: the office router on up0" bash -c \
	"ip -n $NS_NETVM route show default | grep -qx 'default via 10.66.0.1 dev up0 *'"
check "lab_uplinks: up0 in the office" test "$(lab_uplinks)" = "up0=office up1=none up2=none"
check "the home router saw nothing while up0 was in the office (no cable there)" bash -c \
	'[ "$1" = "dhcp=0 beacon=0 tunnel=0 arp=0 leak=0" ] || { echo "$1"; exit 1; }' _ "$(lab_leaks home)"

# TTL both ways: the test's own counters on the office port and in the netvm.
n office nft -f - <<-'EOF'
table netdev ttlprobe {
	chain in {
		type filter hook ingress device "on0" priority -400; policy accept;
		udp dport 51821 ip ttl 255 counter
		udp dport 51821 ip ttl != 255 counter
	}
}
EOF
netvm_ttlprobe() {
	n netvm nft -f - <<-'EOF'
	table ip ttlprobe {
		chain in {
			type filter hook prerouting priority -400; policy accept;
			udp sport 51821 ip ttl 255 counter
			udp sport 51821 ip ttl != 255 counter
		}
	}
	EOF
}
netvm_ttlprobe
check "the probe verifies the office beacon with the office key" match \
	'^verified beacon tokyo-3f \(key 1\) in [0-9]+\.[0-9] ms$' probe -p "$LAB_OFFICE_BEACON_PUB" 10.66.0.2
ttl_counts() {	# ROLE TABLE FAMILY -> "N M": packets with TTL 255, with another TTL
	n "$1" nft list table "$3" ttlprobe | awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") printf "%s ", $(i + 1) }'
}
check "the challenge reached the office with TTL 255 (and no other)" bash -c \
	'set -- $1; [ "$1" -gt 0 ] && [ "$2" -eq 0 ] || { echo "ttl 255: $1, other: $2"; exit 1; }' _ "$(ttl_counts office ttlprobe netdev)"
check "the answer reached the netvm with TTL 255 (and no other)" bash -c \
	'set -- $1; [ "$1" -gt 0 ] && [ "$2" -eq 0 ] || { echo "ttl 255: $1, other: $2"; exit 1; }' _ "$(ttl_counts netvm ttlprobe ip)"
n office nft delete table netdev ttlprobe
n netvm nft delete table ip ttlprobe
check "the office beacon refuses to verify under another key" expect_fail \
	"rejected: signature does not verify under any pinned key" probe -p "$LAB_IMPOSTOR_PUB" 10.66.0.2
portal() { get "http://$LAB_PORTAL/" "${1:-}" | grep -qF "$LAB_PORTAL_MARKER"; }
check "LGWAN portal directly from the office, no tunnel in the netvm" bash -c \
	'. tests/lab/lab.sh; n netvm curl -sS -m 3 http://10.64.1.80/ | grep -qF "$LAB_PORTAL_MARKER" &&
	 n netvm ip route get 10.64.1.80 | grep -q "via 10.66.0.1 dev up0" &&
	 [ -z "$(n netvm ip -o link show type wireguard; n netvm ip -o link show type tun)" ]'
check "the other LGWAN prefixes too (10.65.0.10, 172.20.0.10)" bash -c \
	"ip netns exec $NS_NETVM curl -sf -m 3 http://10.65.0.10/ >/dev/null && ip netns exec $NS_NETVM curl -sf -m 3 http://172.20.0.10/ >/dev/null"
check "office resolver: portal.lgwan.example -> 10.64.1.80 (from the LGWAN resolver)" \
	test "$(dns 10.66.0.53 portal.lgwan.example)" = 10.64.1.80
check "office resolver: beacon.office.lgwan.example -> 10.66.0.2" \
	test "$(dns 10.66.0.53 beacon.office.lgwan.example)" = 10.66.0.2
check "office resolver: NXDOMAIN for internet names" bash -c \
	"ip netns exec $NS_NETVM dig +time=2 +tries=1 @10.66.0.53 www.example.com | grep -q 'status: NXDOMAIN'"
check "the internet is not reachable from the office (refused at once)" refused_fast 1000 \
	get "http://$LAB_INET_WEB/"
check "nor is the agency's public endpoint" refused_fast 1000 n netvm ping -c 1 -W 2 "$LAB_GW_PUBLIC"
check "office counters: a lease re-plugged counts as dhcp only" only office dhcp lab_plug up0 office
check "office counters: a challenge counts as beacon only" only office beacon \
	probe -p "$LAB_OFFICE_BEACON_PUB" 10.66.0.2
check "office counters: the portal counts as lgwan only" only office lgwan portal
check "office counters: office DNS counts as lgwan only" only office lgwan dns 10.66.0.53 portal.lgwan.example
check "office counters: UDP to 192.0.2.10:51820 counts as tunnel only" only office tunnel \
	n netvm bash -c 'echo x >/dev/udp/192.0.2.10/51820'
check "office counters: the internet counts as other only" only office other get "http://$LAB_INET_WEB/"

# ---- the hotel ------------------------------------------------------------------
office_lease=$(lab_uplink_lease up0)
lab_plug up0 hotel
check "lab_plug up0 hotel: a fresh lease in the same 10.66.0.100-150" in_range up0 10.66.0.
same_opts() {
	local f a b
	for f in mask router dns domain search serverid; do
		a=$(sed -n "s/^$f=//p" <<<"$office_lease") b=$(lab_uplink_lease up0 "$f")
		[ "$a" = "$b" ] || { echo "$f: office $a, hotel $b"; return 1; }
	done
}
check "hotel lease: router, resolver, domain, search list, server id all the office's" same_opts
check "lab_uplinks: up0 in the hotel" test "$(lab_uplinks)" = "up0=hotel up1=none up2=none"
check "hotel resolver at the office's address resolves portal.lgwan.example to the internet" \
	test "$(dns 10.66.0.53 portal.lgwan.example)" = 198.51.100.80
check "lab_hotel_beacon: the impostor by default" test "$(lab_hotel_beacon)" = impostor
check "impostor (same id, its own key): refused, signature does not verify" expect_fail \
	"rejected: signature does not verify under any pinned key" probe -p "$LAB_OFFICE_BEACON_PUB" 10.66.0.2
check "impostor pinned instead: it verifies (it is a real beacon, id tokyo-3f)" match \
	'^verified beacon tokyo-3f \(key 1\)' probe -p "$LAB_IMPOSTOR_PUB" 10.66.0.2
lab_hotel_beacon replayer
check "lab_hotel_beacon replayer: listening" test "$(lab_hotel_beacon)" = replayer
netvm_ttlprobe
check "replayed genuine office answers: refused, nonce does not match" expect_fail \
	"rejected: nonce does not match the challenge sent" probe -a 2 -p "$LAB_OFFICE_BEACON_PUB" 10.66.0.2
check "the replayed answers reached the netvm with TTL 255, like a beacon's" bash -c \
	'set -- $1; [ "$1" -gt 0 ] && [ "$2" -eq 0 ] || { echo "ttl 255: $1, other: $2"; exit 1; }' _ "$(ttl_counts netvm ttlprobe ip)"
check "the replayer did answer, with captured answers (its log)" bash -c \
	'grep -q "^replayer: answer [1-3] to " "$LAB_DIR/log/hotel-beacon.log"'
n netvm nft delete table ip ttlprobe
lab_hotel_beacon none
check "lab_hotel_beacon none: no beacon at 10.66.0.2" expect_fail \
	"no beacon at 10.66.0.2:51821 (port unreachable)" probe -p "$LAB_OFFICE_BEACON_PUB" 10.66.0.2
lab_hotel_beacon impostor
check "lab_hotel_beacon impostor: back" expect_fail \
	"rejected: signature does not verify under any pinned key" probe -p "$LAB_OFFICE_BEACON_PUB" 10.66.0.2
check "the internet from the hotel" bash -c "ip netns exec $NS_NETVM curl -sS -m 3 http://$LAB_INET_WEB/ | grep -q internet"
check "the agency endpoint 192.0.2.10 from the hotel" n netvm ping -c 1 -W 2 "$LAB_GW_PUBLIC"
check "no LGWAN directly from the hotel" bash -c "! ip netns exec $NS_NETVM curl -s -m 2 http://$LAB_PORTAL/"
check "hotel counters: a lease counts as dhcp only" only hotel dhcp lab_plug up0 hotel
check "hotel counters: a challenge counts as beacon only" only hotel beacon \
	probe -p "$LAB_OFFICE_BEACON_PUB" 10.66.0.2
check "hotel counters: UDP to 192.0.2.10:51820 counts as tunnel only" only hotel tunnel \
	n netvm bash -c 'echo x >/dev/udp/192.0.2.10/51820'
check "hotel counters: the internet counts as leak only" only hotel leak get "http://$LAB_INET_WEB/"
check "hotel counters: the office resolver's address counts as leak" only hotel leak \
	dns 10.66.0.53 portal.lgwan.example

# ---- lte on the second uplink -----------------------------------------------------
lab_uplink_dhcp --nowait up1
lab_plug up1 lte
check "lab_plug up1 lte: a lease in 100.64.1.100-150, router 100.64.1.1" bash -c \
	'. tests/lab/lab.sh; ip=$(lab_uplink_lease up1 ip) && [[ $ip == 100.64.1.1[0-5][0-9] ]] &&
	 [ "$(lab_uplink_lease up1 router)" = 100.64.1.1 ]'
check "up1's default route (metric 100) next to up0's" bash -c \
	"ip -n $NS_NETVM route show default | grep -qx 'default via 100.64.1.1 dev up1 metric 100 *' &&
	 ip -n $NS_NETVM route show default | grep -qx 'default via 10.66.0.1 dev up0 *'"
check "lab_uplinks: up0 in the hotel, up1 on lte" test "$(lab_uplinks)" = "up0=hotel up1=lte up2=none"
check "the internet over lte" bash -c "ip netns exec $NS_NETVM curl -sS -m 3 --interface up1 http://$LAB_INET_WEB/ | grep -q internet"
check "the agency endpoint over lte" n netvm ping -c 1 -W 2 -I up1 "$LAB_GW_PUBLIC"
check "lte counters: UDP to 192.0.2.10:51820 counts as tunnel only" only lte tunnel \
	n netvm python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"up1"); s.sendto(b"x", ("192.0.2.10", 51820))'
check "lte counters: the internet counts as leak only" only lte leak get "http://$LAB_INET_WEB/" up1
check "lte counters: a lease counts as dhcp only" only lte dhcp lab_plug up1 lte
lab_unplug up1
check "lab_unplug up1: no carrier, loose" bash -c \
	". tests/lab/lab.sh; ip -n $NS_NETVM link show up1 | grep -q NO-CARRIER && [ \"\$(lab_uplink_segment up1)\" = none ]"
lab_stop uplink-dhcp-up1

# ---- re-plugging up0: home -> office -> home, a fresh lease each time ----------------
acks() { grep -c DHCPACK "$LAB_DIR/log/$1-dnsmasq.log"; }
mac_before=$(n netvm cat /sys/class/net/up0/address) idx_before=$(n netvm cat /sys/class/net/up0/ifindex)
pid_before=$(lab_pid uplink-dhcp)
h0=$(acks home) o0=$(acks office)
lab_plug up0 home
check "home: a fresh lease (new client, new DHCPACK from the home router)" bash -c \
	"[ \$(grep -c DHCPACK '$LAB_DIR/log/home-dnsmasq.log') -gt $h0 ] && [ \"\$1\" != '$pid_before' ]" _ "$(lab_pid uplink-dhcp)"
check "home: up0 holds a home address only" in_range up0 192.168.1.
check "home: the router's page" bash -c "ip netns exec $NS_NETVM curl -sS -m 3 http://192.168.1.1/ | grep -q 'home router admin'"
lab_plug up0 office
check "office: a fresh lease (new DHCPACK from the office router)" test "$(acks office)" -gt "$o0"
check "office: up0 holds an office address only, search list office.lgwan.example" bash -c \
	'. tests/lab/lab.sh; ip=$(lab_uplink_lease up0 ip) && [[ $ip == 10.66.0.1[0-5][0-9] ]] &&
	 [ "$(lab_uplink_lease up0 search)" = office.lgwan.example ] &&
	 [ "$(ip -n "$NS_NETVM" -4 -o addr show dev up0 | wc -l)" = 1 ]'
check "office: the beacon verifies again" match '^verified beacon tokyo-3f' probe -p "$LAB_OFFICE_BEACON_PUB" 10.66.0.2
h1=$(acks home)
lab_plug up0 home
check "home again: a fresh lease" test "$(acks home)" -gt "$h1"
check "home again: up0 holds a home address only, default via 192.168.1.1" bash -c \
	"ip -n $NS_NETVM -4 -o addr show dev up0 | grep -c ' inet ' | grep -qx 1 &&
	 ip -n $NS_NETVM -4 -o addr show dev up0 | grep -q ' inet 192.168.1.1[0-5][0-9]/24' &&
	 ip -n $NS_NETVM route show default | grep -qx 'default via 192.168.1.1 dev up0 *'"
check "up0's name, MAC and ifindex never changed" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM cat /sys/class/net/up0/address)\" = '$mac_before' ] &&
	 [ \"\$(ip netns exec $NS_NETVM cat /sys/class/net/up0/ifindex)\" = '$idx_before' ] &&
	 [ '$mac_before' = 02:53:4b:00:01:00 ]"
check "lab_uplink_unplug / lab_uplink_plug still pull and replace up0's cable" bash -c \
	". tests/lab/lab.sh; lab_uplink_unplug && [ \"\$(lab_uplink_segment up0)\" = none ] &&
	 ip -n $NS_NETVM link show up0 | grep -q NO-CARRIER && lab_uplink_plug && [ \"\$(lab_uplink_segment up0)\" = home ]"

# ---- lab_down leaves nothing behind ------------------------------------------------
d=$LAB_DIR
lab_down
check "lab_down: no $P namespace left" bash -c "! compgen -G '/run/netns/$P-*'"
check "lab_down: no process of this run (beacons, replayer, dnsmasq, udhcpc)" bash -c \
	"! ps -eo args | grep -v grep | grep -qE 'sekisho-lab\\.$P|$P-|replayer\\.py.*$d'"
check "lab_down: LAB_DIR removed" test ! -e "$d"
lab_down
tap_ok "lab_down is idempotent"

tap_done
