# shellcheck shell=bash disable=SC2034,SC2119,SC2120
# Sekisho lab: network namespaces standing in for the laptop's partitions
# (work, netvm) and the world around it (home LAN, internet, agency, LGWAN;
# with LAB_SEGMENTS also an office LAN with a beacon, a hotel copying it, an
# LTE carrier). The netvm's uplinks up0..up2 are cables through a patch
# namespace, pluggable into any segment. Sourced by the integration tests,
# the demo and the benches; see README.md beside this file for the topology
# and every address.
#
#   . tests/lab/lab.sh
#   trap lab_down EXIT
#   lab_up                      # or: LAB_SEGMENTS="office hotel lte" lab_up
#   n netvm curl http://192.168.1.1/
#   lab_plug up0 office         # (with LAB_SEGMENTS)
#
# Every function is set -e / set -u safe and quiet unless LAB_VERBOSE=1.
# Traffic stays inside the namespaces this run created: the root namespace's
# interfaces, routes and firewall are never touched.

LAB_LIBDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# ---- fixed addresses (the README's table) -----------------------------------
# Roles: the base lab, then the optional segments lab_up builds when
# LAB_SEGMENTS names them ("office hotel lte", or "all"). LAB_ROLES is the
# roles of the lab that runs (lab_up sets it; $LAB_DIR/env records it).
LAB_BASE_ROLES="work netvm home printer inet agency lgwan patch"
LAB_ALL_SEGMENTS="office hotel lte"
LAB_ROLES=${LAB_ROLES:-$LAB_BASE_ROLES}
LAB_WORK_ADDR=172.30.0.2/30	# handed out by the netvm daemon's DHCP server
LAB_WORK_ROUTER=172.30.0.1
LAB_WORK_ADDR6=fd00:30::2/64
LAB_WORK_ROUTER6=fd00:30::1
LAB_HOME_ROUTER=192.168.1.1
LAB_HOME_LAN=192.168.1.0/24
LAB_HOME_DHCP_FIRST=192.168.1.100
LAB_HOME_DHCP_LAST=192.168.1.150
LAB_HOME_DOMAIN=home.example
LAB_PRINTER=192.168.1.50
LAB_HOME_WAN=203.0.113.2
LAB_INET_HOME_SIDE=203.0.113.1
LAB_INET_AGENCY_SIDE=192.0.2.1
LAB_INET_WEB=198.51.100.80
LAB_INET_DNS=198.51.100.53
LAB_GW_PUBLIC=192.0.2.10
LAB_GW_PORT=51820
LAB_GW_ENDPOINT=192.0.2.10:51820
LAB_TUNNEL_GW=10.77.0.1
LAB_TUNNEL_NET=10.77.0.0/24
LAB_TUNNEL_DEVICE=10.77.0.2/32
LAB_AGENCY_LG=10.255.0.1
LAB_LGWAN_LG=10.255.0.2
LAB_LGWAN_PREFIXES="10.64.0.0/16 10.65.0.0/16 172.20.0.0/16"
LAB_LGWAN_DNS=10.64.0.53
LAB_PORTAL=10.64.1.80
LAB_PORTAL_NAME=portal.lgwan.example
LAB_PORTAL_MARKER="LGWAN portal OK"
LAB_AUTH=10.65.0.10
LAB_AUTH_NAME=auth.lgwan.example
LAB_LGWAN_HOST=172.20.0.10
LAB_IPERF_PORT=5201
LAB_DIST_ADDR=10.64.0.9		# the bundle server a test starts (lab_lgwan_host)
LAB_DIST_PORT=51830
# the netvm's uplinks: stable names and MACs; each is a cable whose far end
# lab_plug puts into a segment's wall socket (patch namespace)
LAB_UPLINKS="up0 up1 up2"	# wired, wifi, wwan
LAB_UPLINK_MAC_up0=02:53:4b:00:01:00
LAB_UPLINK_MAC_up1=02:53:4b:00:01:01
LAB_UPLINK_MAC_up2=02:53:4b:00:01:02
LAB_UPLINK_METRIC_up0=	# default-route metric the DHCP hook uses (none: 0)
LAB_UPLINK_METRIC_up1=100
LAB_UPLINK_METRIC_up2=200
# office (LAB_SEGMENTS): an LGWAN-side office LAN, no internet
LAB_OFFICE_ROUTER=10.66.0.1
LAB_OFFICE_LAN=10.66.0.0/24
LAB_OFFICE_DHCP_FIRST=10.66.0.100
LAB_OFFICE_DHCP_LAST=10.66.0.150
LAB_OFFICE_DOMAIN=office.lgwan.example
LAB_OFFICE_DNS=10.66.0.53
LAB_OFFICE_LG=10.255.1.1	# office router <-> lgwan link (/30)
LAB_LGWAN_OFFICE_SIDE=10.255.1.2
LAB_BEACON_ADDR=10.66.0.2
LAB_BEACON_PORT=51821
LAB_BEACON_ID=tokyo-3f
LAB_BEACON_ANSWERS=3	# genuine answers captured at lab_up for the replayer
# hotel (LAB_SEGMENTS): copies the office's DHCP options, NAT to inet
LAB_HOTEL_ROUTER=10.66.0.1
LAB_HOTEL_LAN=10.66.0.0/24
LAB_HOTEL_DNS=10.66.0.53
LAB_HOTEL_WAN=198.18.1.2
LAB_INET_HOTEL_SIDE=198.18.1.1
# lte (LAB_SEGMENTS): carrier-grade NAT to inet
LAB_LTE_ROUTER=100.64.1.1
LAB_LTE_LAN=100.64.1.0/24
LAB_LTE_DHCP_FIRST=100.64.1.100
LAB_LTE_DHCP_LAST=100.64.1.150
LAB_LTE_WAN=198.18.2.2
LAB_INET_LTE_SIDE=198.18.2.1

# ---- small helpers -----------------------------------------------------------
_lab_log() { [ "${LAB_VERBOSE:-0}" = 1 ] && echo "lab: $*" >&2; return 0; }
_lab_err() { echo "lab: $*" >&2; return 1; }

_lab_ns() {	# role -> namespace name
	local r
	[ -n "${LAB_PREFIX:-}" ] || { _lab_err "no lab (LAB_PREFIX unset): run lab_up, or source \$LAB_DIR/env"; return 1; }
	for r in $LAB_ROLES; do
		[ "$r" = "$1" ] && { echo "$LAB_PREFIX-$1"; return 0; }
	done
	case " $LAB_ALL_SEGMENTS " in
	*" ${1:-?} "*) _lab_err "segment '$1' is not in this lab (build it with LAB_SEGMENTS=\"$LAB_ALL_SEGMENTS\" lab_up)" ;;
	*) _lab_err "unknown role '$1' (roles: $LAB_ROLES)" ;;
	esac
}

# n ROLE CMD...: run CMD in that role's namespace.
n() {
	local ns
	ns=$(_lab_ns "${1:-}") || return 1
	shift
	ip netns exec "$ns" "$@"
}

lab_roles() {
	local r line="lab:"
	for r in $LAB_ROLES; do line+=" $r=$(_lab_ns "$r")" || return 1; done
	echo "$line"
}

# lab_wait_for [-t SECONDS] CMD...: poll CMD every 20 ms until it succeeds;
# 1 after the bound (default LAB_WAIT_TIMEOUT or 10 s).
lab_wait_for() {
	local t=${LAB_WAIT_TIMEOUT:-10} i f now deadline
	if [ "${1:-}" = -t ]; then t=$2; shift 2; fi
	i=${t%%.*} f=000000
	[[ $t == *.* ]] && f=${t#*.}000000
	deadline=$(( ${EPOCHREALTIME/./} + 10#${i:-0} * 1000000 + 10#${f:0:6} ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		now=${EPOCHREALTIME/./}
		[ "$now" -ge "$deadline" ] && break
		sleep 0.02
	done
	_lab_log "lab_wait_for: timed out after ${t}s: $*"
	return 1
}

# Process identity: "pid starttime" so a recycled pid is never killed.
_lab_proc() {	# pid -> sets _lab_st (starttime, field 22) and _lab_state
	local s
	# (read, not $(<...): a failing $(<file) ends a set -e shell even after ||)
	{ read -r s <"/proc/$1/stat"; } 2>/dev/null || return 1
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	_lab_state=$1 _lab_st=${20}
}
_lab_starttime() { _lab_proc "$1" || return 1; echo "$_lab_st"; }
_lab_alive() {	# pid starttime -> 0 if that very process exists and is no zombie
	_lab_proc "$1" || return 1
	[ "$_lab_st" = "$2" ] && [ "$_lab_state" != Z ] && [ "$_lab_state" != X ]
}

# lab_spawn NAME ROLE CMD...: start a daemon in ROLE's namespace as a child
# of this shell (or, with LAB_DETACH=1, in its own session so it outlives
# the shell), output to $LAB_DIR/log/NAME.log, pid in $LAB_DIR/pids/NAME;
# lab_down (or lab_stop NAME) ends it.
lab_spawn() {
	local name=$1 role=$2 ns pid st
	shift 2
	ns=$(_lab_ns "$role") || return 1
	[ -d "${LAB_DIR:-}/pids" ] || { _lab_err "lab_spawn: no LAB_DIR"; return 1; }
	if [ -e "$LAB_DIR/pids/$name" ]; then
		_lab_err "lab_spawn: '$name' already started"; return 1
	fi
	if [ "${LAB_DETACH:-0}" = 1 ]; then
		rm -f "$LAB_DIR/pids/.$name"
		# setsid may fork; the shell it runs writes its own pid and execs.
		# shellcheck disable=SC2016
		setsid sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' \
			"$LAB_DIR/pids/.$name" ip netns exec "$ns" "$@" \
			</dev/null >>"$LAB_DIR/log/$name.log" 2>&1 &
		lab_wait_for -t 5 test -s "$LAB_DIR/pids/.$name" || { _lab_err "lab_spawn: $name did not start"; return 1; }
		pid=$(cat "$LAB_DIR/pids/.$name"); rm -f "$LAB_DIR/pids/.$name"
	else
		ip netns exec "$ns" "$@" </dev/null >>"$LAB_DIR/log/$name.log" 2>&1 &
		pid=$!
	fi
	st=$(_lab_starttime "$pid") || st=0
	echo "$pid $st $role" >"$LAB_DIR/pids/$name"
	_lab_log "started $name (pid $pid) in $ns: $*"
}

lab_pid() {	# NAME -> pid if running
	local pid st role
	[ -r "${LAB_DIR:-}/pids/$1" ] || return 1
	read -r pid st role <"$LAB_DIR/pids/$1"
	_lab_alive "$pid" "$st" && echo "$pid"
}

# _lab_kill "pid starttime"...: TERM, wait up to 2 s, then KILL; reap children.
_lab_kill() {
	local p pid st left i
	for p in "$@"; do
		read -r pid st <<<"$p"
		_lab_alive "$pid" "$st" && kill -TERM "$pid" 2>/dev/null
	done
	for ((i = 0; i < 100; i++)); do
		left=0
		for p in "$@"; do
			read -r pid st <<<"$p"
			_lab_alive "$pid" "$st" && left=1
		done
		[ $left = 0 ] && break
		sleep 0.02
	done
	for p in "$@"; do
		read -r pid st <<<"$p"
		if _lab_alive "$pid" "$st"; then
			_lab_log "pid $pid ignored SIGTERM, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	for p in "$@"; do
		read -r pid st <<<"$p"
		wait "$pid" 2>/dev/null || true
	done
	return 0
}

lab_stop() {	# NAME: end a daemon started by lab_spawn
	local pid st role
	[ -r "${LAB_DIR:-}/pids/$1" ] || return 0
	read -r pid st role <"$LAB_DIR/pids/$1"
	_lab_kill "$pid $st"
	rm -f "$LAB_DIR/pids/$1"
	_lab_log "stopped $1 (pid $pid)"
}

# ---- prerequisites -----------------------------------------------------------
_lab_prereqs() {
	local missing="" c
	[ "$(id -u)" = 0 ] || { _lab_err "lab_up must run as root (network namespaces)"; return 1; }
	for c in ip:iproute2 ss:iproute2 nft:nftables wg:wireguard-tools \
		wireguard-go:wireguard-go busybox:busybox iperf3:iperf3 \
		setsid:util-linux sysctl:procps mktemp:coreutils awk:mawk; do
		command -v "${c%%:*}" >/dev/null 2>&1 || missing+=" ${c%%:*} (${c#*:})"
	done
	LAB_DNSMASQ=$(command -v dnsmasq 2>/dev/null || echo /usr/sbin/dnsmasq)
	[ -x "$LAB_DNSMASQ" ] || missing+=" dnsmasq (dnsmasq-base)"
	if command -v busybox >/dev/null 2>&1; then
		for c in udhcpc httpd nc; do
			busybox --list 2>/dev/null | grep -qx "$c" || missing+=" busybox-$c (busybox)"
		done
	fi
	[ -c /dev/net/tun ] || missing+=" /dev/net/tun (wireguard-go needs the tun device)"
	if _lab_has_seg office || _lab_has_seg hotel; then
		for c in "$LAB_BEACON" "$LAB_BEACON_KEYGEN" "$LAB_BEACON_PROBE"; do
			[ -x "$c" ] || missing+=" $c (make tools)"
		done
	fi
	if _lab_has_seg hotel; then
		command -v python3 >/dev/null 2>&1 || missing+=" python3 (python3)"
	fi
	if [ -n "$missing" ]; then
		_lab_err "missing prerequisite(s):$missing -- run 'make deps'"
		return 1
	fi
}

# ---- lab_up ------------------------------------------------------------------
_lab_write_env() {
	local v r f="$LAB_DIR/env" vars segs
	segs=$(_lab_segments); segs=${segs#home}; segs=${segs# }
	vars="LAB_PREFIX LAB_DIR LAB_DETACH LAB_ROLES"
	for r in $LAB_ROLES; do vars+=" NS_${r^^}"; done
	vars+=" LAB_WG_GW LAB_GW_ENDPOINT LAB_GW_PUB LAB_DEVICE_KEY LAB_DEVICE_PUB LAB_GW_KEY
		LAB_POLICY LAB_WORK_RESOLV LAB_PORTAL_MARKER"
	_lab_has_seg office && vars+=" LAB_BEACON LAB_BEACON_PROBE LAB_BEACON_KEYGEN
		LAB_OFFICE_BEACON_KEY LAB_OFFICE_BEACON_PUB"
	_lab_has_seg hotel && vars+=" LAB_IMPOSTOR_KEY LAB_IMPOSTOR_PUB"
	{
		echo "# Sekisho lab $LAB_PREFIX: . this file, then . tests/lab/lab.sh for n/lab_* functions"
		printf 'export LAB_SEGMENTS=%q\n' "$segs"
		for v in $vars; do
			printf 'export %s=%q\n' "$v" "${!v}"
		done
	} >"$f.tmp" && mv "$f.tmp" "$f"
}

_lab_pick_prefix() {	# claims a fresh prefix by creating its work namespace
	local i p
	for ((i = 0; i < 20; i++)); do
		p=sk$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
		compgen -G "/run/netns/$p-*" >/dev/null && continue
		compgen -G "/var/run/wireguard/$p*" >/dev/null && continue
		if ip netns add "$p-work" 2>/dev/null; then echo "$p"; return 0; fi
	done
	_lab_err "could not create a network namespace (ip netns add failed)"
}

_lab_build_err() {	# ERR trap of _lab_build: name the failing line
	local i line=0
	for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
		[ "${FUNCNAME[i]}" = _lab_build ] && line=${BASH_LINENO[i - 1]}
	done
	echo "lab: lab_up: setup failed at tests/lab/lab.sh:$line:" \
		"$(sed -n "${line}s/^[[:space:]]*//p" "$LAB_LIBDIR/lab.sh")" >&2
}

# Segments: home always; LAB_SEGMENTS adds the others.
# (From LAB_ROLES, not LAB_SEGMENTS: "LAB_SEGMENTS=all lab_up" sets that
# only for the call.)
_lab_has_seg() { [ "$1" = home ] || [[ " $LAB_ALL_SEGMENTS " == *" $1 "* && " $LAB_ROLES " == *" $1 "* ]]; }
_lab_segments() {	# the segments of this lab, home first
	local s out=home
	for s in $LAB_ALL_SEGMENTS; do _lab_has_seg "$s" && out+=" $s"; done
	echo "$out"
}
# The wall-socket port of each segment: the device its leak counters hook.
_lab_seg_dev() {
	case $1 in home) echo hn0 ;; office) echo on0 ;; hotel) echo tn0 ;; lte) echo ln0 ;;
	*) _lab_err "unknown segment '$1' (segments: $(_lab_segments))" ;;
	esac
}
_lab_seg_counters() {
	case $1 in office) echo "dhcp beacon lgwan tunnel arp other" ;;
	*) echo "dhcp beacon tunnel arp leak" ;;
	esac
}

# _lab_leak_table ROLE: named counters on the ingress of that segment's wall
# port, i.e. every frame a plugged uplink of the netvm sends into it. nft
# 1.0.6's grammar takes no counter *declaration* named "arp" (a keyword), so
# the table and its counters come as JSON, the chain as text.
_lab_leak_table() {
	local role=$1 dev c json="" last p set=""
	dev=$(_lab_seg_dev "$role")
	for c in $(_lab_seg_counters "$role"); do
		json+="{\"add\": {\"counter\": {\"family\": \"netdev\", \"table\": \"lableak\", \"name\": \"$c\"}}},"
		last=$c
	done
	n "$role" nft -j -f - <<-EOF
	{"nftables": [
	  {"add": {"table": {"family": "netdev", "name": "lableak"}}},
	  ${json%,}
	]}
	EOF
	for p in $LAB_LGWAN_PREFIXES $LAB_OFFICE_LAN; do set+="${set:+, }$p"; done
	n "$role" nft -f - <<-EOF
	table netdev lableak {
		chain ingress {
			type filter hook ingress device "$dev" priority -500; policy accept;
			ether type ip udp dport 67 counter name "dhcp" return
			ether type ip udp dport $LAB_BEACON_PORT counter name "beacon" return
			ether type ip ip daddr $LAB_GW_PUBLIC udp dport $LAB_GW_PORT counter name "tunnel" return
			ether type arp counter name "arp" return
			$([ "$role" = office ] && echo "ether type ip ip daddr { $set } counter name \"lgwan\" return")
			counter name "$last"
		}
	}
	EOF
}

# _lab_socket SEGMENT: the segment's wall socket. A bridge s-SEGMENT in the
# patch namespace, joined by a veth (w-SEGMENT there, the segment's port
# device in the segment). lab_plug puts an uplink's cable end into it.
_lab_socket() {
	local seg=$1 dev
	dev=$(_lab_seg_dev "$seg")
	ip link add "w-$seg" netns "$NS_PATCH" type veth peer name "$dev" netns "$(_lab_ns "$seg")"
	# no multicast snooping: it would send IGMP reports into the segment
	ip -n "$NS_PATCH" link add "s-$seg" type bridge stp_state 0 mcast_snooping 0
	ip -n "$NS_PATCH" link set "w-$seg" master "s-$seg"
	ip -n "$NS_PATCH" link set "s-$seg" up
	ip -n "$NS_PATCH" link set "w-$seg" up
}

# _lab_router ROLE ADDR/LEN...: br0 (port: the wall socket) with these addresses.
_lab_router() {
	local role=$1 ns a
	shift
	ns=$(_lab_ns "$role")
	ip -n "$ns" link add br0 type bridge stp_state 0 mcast_snooping 0
	_lab_socket "$role"
	ip -n "$ns" link set "$(_lab_seg_dev "$role")" master br0
	for a in "$@"; do ip -n "$ns" addr add "$a" dev br0; done
	ip -n "$ns" link set br0 up
	ip -n "$ns" link set "$(_lab_seg_dev "$role")" up
	n "$role" sysctl -qw net.ipv4.ip_forward=1
}

# _lab_wan ROLE WAN INET-SIDE INET-DEV LAN: a NAT router's uplink into inet.
_lab_wan() {
	local role=$1 wan=$2 side=$3 idev=$4 lan=$5 ns
	ns=$(_lab_ns "$role")
	ip link add wan0 netns "$ns" type veth peer name "$idev" netns "$NS_INET"
	ip -n "$ns" addr add "$wan/24" dev wan0
	ip -n "$NS_INET" addr add "$side/24" dev "$idev"
	ip -n "$ns" link set wan0 up
	ip -n "$NS_INET" link set "$idev" up
	ip -n "$ns" route add default via "$side" dev wan0
	n "$role" nft -f - <<-EOF
	table ip labnat {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "wan0" ip saddr $lan masquerade
		}
	}
	EOF
}

# Builds namespaces, links, addresses, routes and nftables; runs in a
# subshell with set -e, so the first failing command stops it.
_lab_build() {
	local r ns p u mac
	for r in $LAB_ROLES; do
		ns=$LAB_PREFIX-$r
		[ "$r" = work ] || ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	# IPv6 off where it would only add noise; accept_ra off in the netvm.
	for r in $LAB_ROLES; do
		case $r in work|netvm) continue ;; esac
		n "$r" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	n netvm sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
	# the product's own sysctl.d file, as systemd-sysctl applies it on a
	# netvm: sekishod's liveness probe pings the gateway's tunnel address
	# from a ping socket (root's group; a new namespace has "1 0": nobody)
	n netvm sysctl -q -p "$LAB_LIBDIR/../../netvm/sekishod/sysctl.d/60-sekishod.conf"
	n work sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0

	# veth pairs, created directly in their namespaces. The netvm's uplinks
	# are cables whose far ends (c-upN) live in the patch namespace.
	ip link add wk0 netns "$NS_NETVM" type veth peer name eth0 netns "$NS_WORK"
	for u in $LAB_UPLINKS; do
		mac=LAB_UPLINK_MAC_$u
		ip link add "$u" netns "$NS_NETVM" address "${!mac}" type veth peer name "c-$u" netns "$NS_PATCH"
	done
	ip link add eth0 netns "$NS_PRINTER" type veth peer name hp0 netns "$NS_HOME"
	ip link add wan0 netns "$NS_HOME" type veth peer name ih0 netns "$NS_INET"
	ip link add ia0 netns "$NS_INET" type veth peer name pub0 netns "$NS_AGENCY"
	ip link add lg0 netns "$NS_AGENCY" type veth peer name lg0 netns "$NS_LGWAN"

	# work: eth0, IPv4 by DHCP from the netvm; IPv6 on so tests can try it.
	ip -n "$NS_WORK" link set eth0 up
	ip -n "$NS_WORK" addr add "$LAB_WORK_ADDR6" dev eth0 nodad
	ip -n "$NS_WORK" -6 route add default via "$LAB_WORK_ROUTER6" dev eth0

	# netvm: wk0 up (the daemon addresses it), uplinks by DHCP only, no IPv6.
	for u in $LAB_UPLINKS; do
		n netvm sysctl -qw "net.ipv6.conf.$u.disable_ipv6=1" "net.ipv6.conf.$u.accept_ra=0"
	done
	ip -n "$NS_NETVM" link set wk0 up

	# home router: br0 (ports hn0 = the home wall socket, hp0 = printer), NAT to wan0.
	ip -n "$NS_HOME" link add br0 type bridge stp_state 0
	_lab_socket home
	ip -n "$NS_HOME" link set hn0 master br0
	ip -n "$NS_HOME" link set hp0 master br0
	ip -n "$NS_HOME" addr add "$LAB_HOME_ROUTER/24" dev br0
	ip -n "$NS_HOME" addr add "$LAB_HOME_WAN/24" dev wan0
	n home nft -f - <<-EOF
	table ip labnat {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "wan0" ip saddr $LAB_HOME_LAN masquerade
		}
	}
	EOF
	_lab_leak_table home
	for p in br0 hp0 wan0 hn0; do ip -n "$NS_HOME" link set "$p" up; done
	ip -n "$NS_HOME" route add default via "$LAB_INET_HOME_SIDE" dev wan0
	n home sysctl -qw net.ipv4.ip_forward=1

	# printer on the home LAN.
	ip -n "$NS_PRINTER" addr add "$LAB_PRINTER/24" dev eth0
	ip -n "$NS_PRINTER" link set eth0 up
	ip -n "$NS_PRINTER" route add default via "$LAB_HOME_ROUTER" dev eth0

	# internet: routes between home's WAN and the agency; web + DNS on lo
	# (this kernel has no dummy link type; /32s on lo behave the same).
	ip -n "$NS_INET" addr add "$LAB_INET_HOME_SIDE/24" dev ih0
	ip -n "$NS_INET" addr add "$LAB_INET_AGENCY_SIDE/24" dev ia0
	ip -n "$NS_INET" addr add "$LAB_INET_WEB/32" dev lo
	ip -n "$NS_INET" addr add "$LAB_INET_DNS/32" dev lo
	ip -n "$NS_INET" link set ih0 up
	ip -n "$NS_INET" link set ia0 up
	n inet sysctl -qw net.ipv4.ip_forward=1

	# agency: public side, LGWAN side (wireguard interface comes with its daemon).
	ip -n "$NS_AGENCY" addr add "$LAB_GW_PUBLIC/24" dev pub0
	ip -n "$NS_AGENCY" addr add "$LAB_AGENCY_LG/30" dev lg0
	ip -n "$NS_AGENCY" link set pub0 up
	ip -n "$NS_AGENCY" link set lg0 up
	ip -n "$NS_AGENCY" route add default via "$LAB_INET_AGENCY_SIDE" dev pub0
	for p in $LAB_LGWAN_PREFIXES; do
		ip -n "$NS_AGENCY" route add "$p" via "$LAB_LGWAN_LG" dev lg0
	done
	n agency sysctl -qw net.ipv4.ip_forward=1

	# LGWAN: hosts on lo.
	ip -n "$NS_LGWAN" addr add "$LAB_LGWAN_LG/30" dev lg0
	ip -n "$NS_LGWAN" link set lg0 up
	ip -n "$NS_LGWAN" route add default via "$LAB_AGENCY_LG" dev lg0
	for p in "$LAB_PORTAL" "$LAB_LGWAN_DNS" "$LAB_AUTH" "$LAB_LGWAN_HOST"; do
		ip -n "$NS_LGWAN" addr add "$p/32" dev lo
	done

	# office: br0 with the router, the beacon and the resolver; LGWAN
	# directly over lg0 (no default route: no internet from an office).
	if _lab_has_seg office; then
		_lab_router office "$LAB_OFFICE_ROUTER/24" "$LAB_BEACON_ADDR/24" "$LAB_OFFICE_DNS/24"
		ip link add lg0 netns "$NS_OFFICE" type veth peer name of0 netns "$NS_LGWAN"
		ip -n "$NS_OFFICE" addr add "$LAB_OFFICE_LG/30" dev lg0
		ip -n "$NS_LGWAN" addr add "$LAB_LGWAN_OFFICE_SIDE/30" dev of0
		ip -n "$NS_OFFICE" link set lg0 up
		ip -n "$NS_LGWAN" link set of0 up
		for p in $LAB_LGWAN_PREFIXES; do
			ip -n "$NS_OFFICE" route add "$p" via "$LAB_LGWAN_OFFICE_SIDE" dev lg0
		done
		ip -n "$NS_LGWAN" route add "$LAB_OFFICE_LAN" via "$LAB_OFFICE_LG" dev of0
		_lab_leak_table office
		"$LAB_BEACON_KEYGEN" "$LAB_DIR/office-beacon.key" >"$LAB_DIR/office-beacon.pub"
	fi
	# hotel: the office's addresses, NAT to inet.
	if _lab_has_seg hotel; then
		_lab_router hotel "$LAB_HOTEL_ROUTER/24" "$LAB_BEACON_ADDR/24" "$LAB_HOTEL_DNS/24"
		_lab_wan hotel "$LAB_HOTEL_WAN" "$LAB_INET_HOTEL_SIDE" it0 "$LAB_HOTEL_LAN"
		_lab_leak_table hotel
		"$LAB_BEACON_KEYGEN" "$LAB_DIR/impostor.key" >"$LAB_DIR/impostor.pub"
	fi
	# lte: carrier NAT to inet.
	if _lab_has_seg lte; then
		_lab_router lte "$LAB_LTE_ROUTER/24"
		_lab_wan lte "$LAB_LTE_WAN" "$LAB_INET_LTE_SIDE" il0 "$LAB_LTE_LAN"
		_lab_leak_table lte
	fi

	# the netvm's cables: up0 in the home socket, the others hanging loose.
	for u in $LAB_UPLINKS; do ip -n "$NS_NETVM" link set "$u" up; done
	ip -n "$NS_PATCH" link set c-up0 master s-home
	ip -n "$NS_PATCH" link set c-up0 up

	# keys (never in argv) and the device policy.
	(umask 077
	 wg genkey >"$LAB_DIR/device.key"
	 wg genkey >"$LAB_DIR/gateway.key")
	wg pubkey <"$LAB_DIR/device.key" >"$LAB_DIR/device.pub"
	wg pubkey <"$LAB_DIR/gateway.key" >"$LAB_DIR/gateway.pub"
	{
		echo "# Sekisho device policy for lab $LAB_PREFIX (written by tests/lab/lab.sh)"
		echo "version 1"
		echo "serial 1"
		echo "device {"
		printf '\ttunnel-address %s\n' "$LAB_TUNNEL_DEVICE"
		printf '\tkey-file "%s"\n' "$LAB_DIR/device.key"
		echo "}"
		echo "gateway \"agency-gw\" {"
		printf '\tendpoint %s\n' "$LAB_GW_ENDPOINT"
		printf '\tpublic-key "%s"\n' "$(cat "$LAB_DIR/gateway.pub")"
		# its own address in the tunnel: the liveness probe's echo
		# (docs/gateway.md, "Liveness"), as sekisho-provision fills it in
		printf '\ttunnel-address %s/32\n' "$LAB_TUNNEL_GW"
		echo "}"
		echo "lgwan {"
		for p in $LAB_LGWAN_PREFIXES; do printf '\tprefix %s\n' "$p"; done
		printf '\tresolver %s\n' "$LAB_LGWAN_DNS"
		echo "}"
		echo "work {"
		printf '\taddress %s\n' "$LAB_WORK_ADDR"
		printf '\trouter %s\n' "$LAB_WORK_ROUTER"
		echo "}"
		if _lab_has_seg office; then	# docs/policy.md, "Office mode"
			printf 'beacon "%s" {\n' "$LAB_BEACON_ID"
			printf '\taddress %s:%s\n' "$LAB_BEACON_ADDR" "$LAB_BEACON_PORT"
			printf '\tpublic-key "%s"\n' "$(cat "$LAB_DIR/office-beacon.pub")"
			echo "}"
			echo "office {"
			printf '\tresolver %s\n' "$LAB_OFFICE_DNS"
			echo "}"
			# veths have no DEVTYPE: name the lab's Wi-Fi and WWAN
			printf 'uplink "up1" {\n\tpriority 200\n}\nuplink "up2" {\n\tpriority 100\n}\n'
		fi
	} >"$LAB_DIR/policy.conf"

	# DHCP hook (copied so its mode does not depend on the checkout), the
	# work partition's resolv.conf (ip netns exec bind-mounts it).
	install -m 0700 "$LAB_LIBDIR/udhcpc.script" "$LAB_DIR/udhcpc.script"
	: >"$LAB_DIR/work-resolv.conf"
	if [ ! -d /etc/netns ]; then	# the last lab_down removes it again
		mkdir -p /etc/netns
		: >/run/sekisho-lab.etc-netns-created
	fi
	mkdir -p "/etc/netns/$NS_WORK"
	: >"/etc/netns/$NS_WORK/resolv.conf"
}

_lab_dnsmasq() {	# NAME ROLE ARGS...
	local name=$1 role=$2
	shift 2
	lab_spawn "$name" "$role" "$LAB_DNSMASQ" --conf-file=/dev/null \
		--keep-in-foreground --pid-file="$LAB_DIR/run/$name.pid" \
		--log-facility=- --no-hosts --no-resolv --bind-interfaces "$@"
}

_lab_httpd() {	# NAME ROLE ADDR:PORT DIR
	lab_spawn "$1" "$2" busybox httpd -f -c "$LAB_DIR/httpd.conf" -p "$3" -h "$LAB_LIBDIR/www/$4"
}

_lab_start_services() {
	: >"$LAB_DIR/httpd.conf"
	# home router: DHCP + DNS on br0 only, admin page.
	_lab_dnsmasq home-dnsmasq home --interface=br0 --except-interface=lo \
		--server="$LAB_INET_DNS" --domain="$LAB_HOME_DOMAIN" --local="/$LAB_HOME_DOMAIN/" \
		--host-record="router.$LAB_HOME_DOMAIN,$LAB_HOME_ROUTER" \
		--host-record="printer.$LAB_HOME_DOMAIN,$LAB_PRINTER" \
		--dhcp-range="$LAB_HOME_DHCP_FIRST,$LAB_HOME_DHCP_LAST,255.255.255.0,1h" \
		--dhcp-option=option:router,"$LAB_HOME_ROUTER" \
		--dhcp-option=option:dns-server,"$LAB_HOME_ROUTER" \
		--dhcp-leasefile="$LAB_DIR/home-dhcp.leases" --dhcp-authoritative --no-ping \
		--log-dhcp || return 1
	_lab_httpd home-httpd home "$LAB_HOME_ROUTER:80" home || return 1
	# printer: web page and a raw port 9100 that appends jobs to a file.
	_lab_httpd printer-httpd printer "$LAB_PRINTER:80" printer || return 1
	lab_spawn printer-9100 printer busybox nc -ll -p 9100 -e /bin/sh -c \
		"cat >>'$LAB_DIR/printer-jobs'" || return 1
	# internet: web server and a DNS server answering every name with it.
	_lab_httpd inet-httpd inet "$LAB_INET_WEB:80" internet || return 1
	_lab_dnsmasq inet-dns inet --listen-address="$LAB_INET_DNS" \
		--address="/#/$LAB_INET_WEB" || return 1
	# LGWAN: DNS for its own names only, portal, two more hosts, iperf3.
	_lab_dnsmasq lgwan-dns lgwan --listen-address="$LAB_LGWAN_DNS" \
		--address="/$LAB_PORTAL_NAME/$LAB_PORTAL" --address="/$LAB_AUTH_NAME/$LAB_AUTH" \
		--address=/#/ || return 1
	_lab_httpd lgwan-portal lgwan "$LAB_PORTAL:80" portal || return 1
	_lab_httpd lgwan-auth lgwan "$LAB_AUTH:80" lgwan-host || return 1
	_lab_httpd lgwan-host lgwan "$LAB_LGWAN_HOST:80" lgwan-host || return 1
	lab_spawn lgwan-iperf3 lgwan iperf3 -s -B "$LAB_PORTAL" -p "$LAB_IPERF_PORT" || return 1
	# agency: the WireGuard gateway (userspace; UAPI socket per interface name).
	lab_spawn agency-wg agency wireguard-go -f "$LAB_WG_GW" || return 1
	_lab_has_seg office && { _lab_start_office || return 1; }
	_lab_has_seg hotel && { _lab_start_hotel || return 1; }
	_lab_has_seg lte && { _lab_start_lte || return 1; }
	return 0
}

# office and hotel hand out the same options: subnet, router, resolver,
# domain (option 15) and search list (option 119).
_lab_office_dhcp_opts() {
	echo "--dhcp-range=$LAB_OFFICE_DHCP_FIRST,$LAB_OFFICE_DHCP_LAST,255.255.255.0,1h" \
		"--dhcp-option=option:router,$LAB_OFFICE_ROUTER" \
		"--dhcp-option=option:dns-server,$LAB_OFFICE_DNS" \
		"--dhcp-option=option:domain-search,$LAB_OFFICE_DOMAIN" \
		"--domain=$LAB_OFFICE_DOMAIN" "--local=/$LAB_OFFICE_DOMAIN/" \
		"--host-record=router.$LAB_OFFICE_DOMAIN,$LAB_OFFICE_ROUTER" \
		"--host-record=beacon.$LAB_OFFICE_DOMAIN,$LAB_BEACON_ADDR" \
		"--host-record=dns.$LAB_OFFICE_DOMAIN,$LAB_OFFICE_DNS" \
		"--dhcp-authoritative --no-ping --log-dhcp"
}

_lab_start_office() {
	# DHCP on br0; the office resolver (every br0 address, 10.66.0.53 the
	# one handed out): office names itself, *.lgwan.example from the LGWAN
	# resolver, NXDOMAIN for the rest (no internet from an office).
	# shellcheck disable=SC2046
	_lab_dnsmasq office-dnsmasq office --interface=br0 --except-interface=lo \
		$(_lab_office_dhcp_opts) --server="/lgwan.example/$LAB_LGWAN_DNS" --address=/#/ \
		--dhcp-leasefile="$LAB_DIR/office-dhcp.leases" || return 1
	# shellcheck disable=SC2086
	lab_spawn office-beacon office "$LAB_BEACON" -d -k "$LAB_OFFICE_BEACON_KEY" \
		-i "$LAB_BEACON_ID" -l "$LAB_BEACON_ADDR:$LAB_BEACON_PORT" ${LAB_BEACON_OPTS:-}
}

_lab_start_hotel() {
	# the office's DHCP options and names, but the resolver forwards to
	# the internet's (whose answer for every name, portal.lgwan.example
	# included, is 198.51.100.80).
	# shellcheck disable=SC2046
	_lab_dnsmasq hotel-dnsmasq hotel --interface=br0 --except-interface=lo \
		$(_lab_office_dhcp_opts) --server="$LAB_INET_DNS" \
		--dhcp-leasefile="$LAB_DIR/hotel-dhcp.leases" || return 1
	_lab_hotel_beacon_start impostor
}

_lab_start_lte() {
	_lab_dnsmasq lte-dnsmasq lte --interface=br0 --except-interface=lo --server="$LAB_INET_DNS" \
		--dhcp-range="$LAB_LTE_DHCP_FIRST,$LAB_LTE_DHCP_LAST,255.255.255.0,1h" \
		--dhcp-option=option:router,"$LAB_LTE_ROUTER" \
		--dhcp-option=option:dns-server,"$LAB_LTE_ROUTER" \
		--dhcp-leasefile="$LAB_DIR/lte-dhcp.leases" --dhcp-authoritative --no-ping --log-dhcp
}

# The hotel's beacon at 10.66.0.2:51821, one of: impostor (sekisho-beacon,
# id tokyo-3f, its own key), replayer (tests/lab/replayer.py: every
# challenge answered with a genuine answer captured from the office beacon
# at lab_up, TTL 255), none. Recorded child "hotel-beacon".
_lab_hotel_beacon_start() {
	case $1 in
	impostor)
		# shellcheck disable=SC2086
		lab_spawn hotel-beacon hotel "$LAB_BEACON" -d -k "$LAB_IMPOSTOR_KEY" \
			-i "$LAB_BEACON_ID" -l "$LAB_BEACON_ADDR:$LAB_BEACON_PORT" ${LAB_BEACON_OPTS:-} ;;
	replayer)
		compgen -G "$LAB_DIR/office-answer.*" >/dev/null ||
			{ _lab_err "replayer: no captured answers in $LAB_DIR"; return 1; }
		lab_spawn hotel-beacon hotel python3 "$LAB_LIBDIR/replayer.py" \
			"$LAB_BEACON_ADDR" "$LAB_BEACON_PORT" "$LAB_DIR"/office-answer.* ;;
	none) ;;
	*) _lab_err "lab_hotel_beacon: impostor, replayer or none, not '$1'"; return 1 ;;
	esac || return 1
	echo "$1" >"$LAB_DIR/run/hotel-beacon.mode"
}

# Genuine signed answers of the office beacon, for the replayer: probes
# from inside the office namespace (on-link, TTL 255), answers saved raw.
_lab_capture_answers() {
	local i
	for ((i = 1; i <= LAB_BEACON_ANSWERS; i++)); do
		n office "$LAB_BEACON_PROBE" -a 3 -t 300 -p "$LAB_OFFICE_BEACON_PUB" \
			-o "$LAB_DIR/office-answer.$i" "$LAB_BEACON_ADDR:$LAB_BEACON_PORT" \
			>>"$LAB_DIR/log/capture.log" 2>&1 ||
			{ _lab_err "could not capture a genuine answer of the office beacon (log: $LAB_DIR/log/capture.log)"; return 1; }
	done
}

_lab_listening() {	# ROLE t|u ADDR PORT
	n "$1" ss -Hln"$2" "src $3 and sport = :$4" 2>/dev/null | grep -q .
}

_lab_services_ready() {
	_lab_listening home u "$LAB_HOME_ROUTER" 67 2>/dev/null || _lab_listening home u 0.0.0.0 67 || return 1
	_lab_listening home u "$LAB_HOME_ROUTER" 53 &&
	_lab_listening home t "$LAB_HOME_ROUTER" 80 &&
	_lab_listening printer t "$LAB_PRINTER" 80 &&
	n printer ss -Hltn 'sport = :9100' | grep -q . &&
	_lab_listening inet t "$LAB_INET_WEB" 80 &&
	_lab_listening inet u "$LAB_INET_DNS" 53 &&
	_lab_listening lgwan u "$LAB_LGWAN_DNS" 53 &&
	_lab_listening lgwan t "$LAB_PORTAL" 80 &&
	_lab_listening lgwan t "$LAB_AUTH" 80 &&
	_lab_listening lgwan t "$LAB_LGWAN_HOST" 80 &&
	_lab_listening lgwan t "$LAB_PORTAL" "$LAB_IPERF_PORT" &&
	{ ! _lab_has_seg office || _lab_segment_ready office "$LAB_OFFICE_DNS"; } &&
	{ ! _lab_has_seg office || _lab_listening office u "$LAB_BEACON_ADDR" "$LAB_BEACON_PORT"; } &&
	{ ! _lab_has_seg hotel || _lab_segment_ready hotel "$LAB_HOTEL_DNS"; } &&
	{ ! _lab_has_seg hotel || _lab_listening hotel u "$LAB_BEACON_ADDR" "$LAB_BEACON_PORT"; } &&
	{ ! _lab_has_seg lte || _lab_segment_ready lte "$LAB_LTE_ROUTER"; }
}
_lab_segment_ready() {	# ROLE DNS-ADDR: its dnsmasq serves DHCP and DNS
	{ _lab_listening "$1" u 0.0.0.0 67 || _lab_listening "$1" u "$2" 67; } &&
	_lab_listening "$1" u "$2" 53
}

_lab_which_down() {	# names the first recorded daemon that is not running
	local f pid st role
	for f in "$LAB_DIR"/pids/*; do
		[ -e "$f" ] || continue
		read -r pid st role <"$f"
		_lab_alive "$pid" "$st" || { echo "${f##*/} (log: $LAB_DIR/log/${f##*/}.log)"; return; }
	done
	echo "?"
}

_lab_configure_gateway() {
	lab_wait_for test -S "/var/run/wireguard/$LAB_WG_GW.sock" ||
		{ _lab_err "wireguard-go did not create $LAB_WG_GW: $(_lab_which_down)"; return 1; }
	n agency wg set "$LAB_WG_GW" listen-port "$LAB_GW_PORT" private-key "$LAB_DIR/gateway.key" \
		peer "$LAB_DEVICE_PUB" allowed-ips "${LAB_TUNNEL_DEVICE}" &&
	ip -n "$NS_AGENCY" addr add "$LAB_TUNNEL_GW/24" dev "$LAB_WG_GW" &&
	ip -n "$NS_AGENCY" link set "$LAB_WG_GW" up ||
		{ _lab_err "configuring the gateway's WireGuard interface failed"; return 1; }
}

# LAB_SEGMENTS ("office hotel lte", any of them, or "all") -> the segments
# to build, in canonical order; hotel brings office (its replayer needs the
# office beacon's answers).
_lab_pick_segments() {
	local want=" ${LAB_SEGMENTS:-} " s out=""
	[[ $want == *" all "* ]] && want=" $LAB_ALL_SEGMENTS "
	[[ $want == *" hotel "* ]] && want+=" office "
	for s in $want; do
		case " home $LAB_ALL_SEGMENTS " in
		*" $s "*) ;;
		*) _lab_err "LAB_SEGMENTS: unknown segment '$s' (segments: $LAB_ALL_SEGMENTS, or all)"; return 1 ;;
		esac
	done
	for s in $LAB_ALL_SEGMENTS; do
		[[ $want == *" $s "* ]] && out+="${out:+ }$s"
	done
	echo "$out"
}

lab_up() {
	local p r segs
	segs=$(_lab_pick_segments) || return 1
	LAB_ROLES="$LAB_BASE_ROLES${segs:+ $segs}"
	LAB_BUILD=${LAB_BUILD:-$(cd "$LAB_LIBDIR/../.." && pwd)/build}
	LAB_BEACON=$LAB_BUILD/sekisho-beacon
	LAB_BEACON_KEYGEN=$LAB_BUILD/sekisho-beacon-keygen
	LAB_BEACON_PROBE=$LAB_BUILD/sekisho-beacon-probe
	export LAB_ROLES LAB_BUILD LAB_BEACON LAB_BEACON_KEYGEN LAB_BEACON_PROBE
	_lab_prereqs || return 1
	if [ -n "${_LAB_OWNED_DIR:-}" ] && [ -d "$_LAB_OWNED_DIR" ]; then
		_lab_err "lab_up: this shell already runs lab $LAB_PREFIX (lab_down first)"
		return 1
	fi
	p=$(_lab_pick_prefix) || return 1
	LAB_PREFIX=$p
	LAB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sekisho-lab.$p.XXXXXX") || { ip netns del "$p-work"; return 1; }
	chmod 0700 "$LAB_DIR"
	mkdir -m 0700 "$LAB_DIR/pids" "$LAB_DIR/log" "$LAB_DIR/run"
	echo "$LAB_PREFIX" >"$LAB_DIR/.sekisho-lab"
	_LAB_OWNED_DIR=$LAB_DIR
	LAB_DETACH=${LAB_DETACH:-0}
	for r in $LAB_ROLES; do
		printf -v "NS_${r^^}" '%s' "$LAB_PREFIX-$r"
		export "NS_${r^^}"
	done
	LAB_WG_GW=${LAB_PREFIX}g
	LAB_DEVICE_KEY=$LAB_DIR/device.key
	LAB_GW_KEY=$LAB_DIR/gateway.key
	LAB_POLICY=$LAB_DIR/policy.conf
	LAB_WORK_RESOLV=$LAB_DIR/work-resolv.conf
	LAB_OFFICE_BEACON_KEY=$LAB_DIR/office-beacon.key
	LAB_IMPOSTOR_KEY=$LAB_DIR/impostor.key
	export LAB_PREFIX LAB_DIR LAB_DETACH LAB_WG_GW LAB_DEVICE_KEY LAB_GW_KEY LAB_POLICY \
		LAB_WORK_RESOLV LAB_GW_ENDPOINT LAB_PORTAL_MARKER LAB_OFFICE_BEACON_KEY LAB_IMPOSTOR_KEY
	_lab_log "building lab $LAB_PREFIX in $LAB_DIR"
	# A fresh bash, so that set -e holds even when lab_up itself is called
	# where errexit is ignored (lab_up || ..., if lab_up; ...).
	if ! bash -eEc 'trap _lab_build_err ERR
			. "$0"
			_lab_build' "$LAB_LIBDIR/lab.sh"; then
		_lab_err "lab_up: could not build the topology; tearing down $LAB_PREFIX"
		lab_down; return 1
	fi
	LAB_DEVICE_PUB=$(cat "$LAB_DIR/device.pub")
	LAB_GW_PUB=$(cat "$LAB_DIR/gateway.pub")
	export LAB_DEVICE_PUB LAB_GW_PUB
	if _lab_has_seg office; then
		LAB_OFFICE_BEACON_PUB=$(cat "$LAB_DIR/office-beacon.pub")
		export LAB_OFFICE_BEACON_PUB
	fi
	if _lab_has_seg hotel; then
		LAB_IMPOSTOR_PUB=$(cat "$LAB_DIR/impostor.pub")
		export LAB_IMPOSTOR_PUB
	fi
	_lab_write_env
	if ! _lab_start_services || ! _lab_configure_gateway; then
		_lab_err "lab_up: starting services failed; tearing down $LAB_PREFIX"
		lab_down; return 1
	fi
	if ! lab_wait_for _lab_services_ready; then
		_lab_err "lab_up: services not listening after ${LAB_WAIT_TIMEOUT:-10}s: $(_lab_which_down)"
		lab_down; return 1
	fi
	if _lab_has_seg office && ! _lab_capture_answers; then
		lab_down; return 1
	fi
	_lab_log "lab $LAB_PREFIX is up"
}

# ---- lab_down ----------------------------------------------------------------
# _lab_teardown PREFIX [DIR]: everything of that run, whoever started it.
_lab_teardown() {
	local p=$1 d=${2:-} f pid st role ns procs=()
	[[ $p =~ ^sk[0-9a-f]{4}$ ]] || { _lab_err "lab_down: refusing odd prefix '$p'"; return 0; }
	if [ -n "$d" ] && [ -d "$d/pids" ]; then
		for f in "$d"/pids/*; do
			[ -f "$f" ] || continue
			read -r pid st role <"$f" || continue
			procs+=("$pid $st")
		done
		[ ${#procs[@]} -gt 0 ] && _lab_kill "${procs[@]}"
	fi
	# Anything else still inside this run's namespaces (a test's daemon, a
	# DHCP hook) belongs to this run too.
	for ns in /run/netns/"$p"-*; do
		[ -e "$ns" ] || continue
		procs=()
		for pid in $(ip netns pids "${ns##*/}" 2>/dev/null); do
			st=$(_lab_starttime "$pid") || continue
			_lab_log "stray pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)) in ${ns##*/}"
			procs+=("$pid $st")
		done
		[ ${#procs[@]} -gt 0 ] && _lab_kill "${procs[@]}"
		ip netns del "${ns##*/}" 2>/dev/null || _lab_log "could not delete ${ns##*/}"
	done
	rm -f /var/run/wireguard/"$p"*.sock
	rm -rf /etc/netns/"$p"-*
	if [ -e /run/sekisho-lab.etc-netns-created ] && rmdir /etc/netns 2>/dev/null; then
		rm -f /run/sekisho-lab.etc-netns-created
	fi
	rm -f "${LAB_REGISTRY:-/run/sekisho-lab}/$p"
	if [ -n "$d" ] && [ -d "$d" ] && [ "$(cat "$d/.sekisho-lab" 2>/dev/null)" = "$p" ]; then
		rm -rf "$d"
	fi
	_lab_log "lab $p is down"
	return 0
}

# lab_down: the lab this shell's lab_up built. lab_down DIR: the lab whose
# LAB_DIR is DIR (e.g. from another shell). Idempotent; safe in an EXIT trap.
lab_down() {
	local d p
	if [ $# -gt 0 ]; then
		d=$1
		p=$(cat "$d/.sekisho-lab" 2>/dev/null) || { _lab_log "lab_down: $d is not a lab"; return 0; }
	else
		d=${_LAB_OWNED_DIR:-}
		[ -n "$d" ] || return 0
		p=$(cat "$d/.sekisho-lab" 2>/dev/null) || p=${LAB_PREFIX:-}
		[ -n "$p" ] || return 0
		_LAB_OWNED_DIR=
	fi
	_lab_teardown "$p" "$d"
}

# ---- helpers for tests -------------------------------------------------------
# The leak counters: frames the netvm sends into a segment (ingress of that
# segment's wall-socket port), by class. SEGMENT defaults to home.
#   home, hotel, lte: dhcp beacon tunnel arp leak
#   office:           dhcp beacon lgwan tunnel arp other
# lab_leaks [SEGMENT]: "dhcp=N beacon=N ..." (packets); lab_leaks all: one
# "SEGMENT dhcp=N ..." line per segment of this lab.
lab_leaks() {
	local seg=${1:-home} s
	if [ "$seg" = all ]; then
		for s in $(_lab_segments); do echo "$s $(lab_leaks "$s")" || return 1; done
		return 0
	fi
	_lab_seg_dev "$seg" >/dev/null || return 1
	n "$seg" nft list counters table netdev lableak | awk -v order="$(_lab_seg_counters "$seg")" '
		$1 == "counter" { name = $2 }
		$1 == "packets" { c[name] = $2 }
		END {
			k = split(order, o, " ")
			for (i = 1; i <= k; i++) printf "%s%s=%d", (i > 1 ? " " : ""), o[i], c[o[i]]
			printf "\n"
		}'
}
# lab_leak [SEGMENT] NAME: that counter's packets (one argument: home's).
lab_leak() {
	local seg=home
	[ $# -ge 2 ] && { seg=$1; shift; }
	lab_leaks "$seg" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
# lab_leak_reset [SEGMENT|all]: zero them (default home).
lab_leak_reset() {
	local seg=${1:-home} s
	if [ "$seg" = all ]; then
		for s in $(_lab_segments); do lab_leak_reset "$s" || return 1; done
		return 0
	fi
	_lab_seg_dev "$seg" >/dev/null || return 1
	n "$seg" nft reset counters table netdev lableak >/dev/null
}

# _lab_dhcp NAME ROLE IFACE --nowait|"" LEASE-FILE [VAR=VALUE... for the hook]
#   [-- UDHCPC-ARGS...]: udhcpc as recorded child NAME; waits (unless
# --nowait) for LEASE-FILE, which the hook writes last, after the address,
# the route and the resolver.
_lab_dhcp() {
	local name=$1 role=$2 ifc=$3 nowait=$4 lease=$5 envs=() args=()
	shift 5
	while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
	[ "${1:-}" = -- ] && { shift; args=("$@"); }
	if lab_pid "$name" >/dev/null; then return 0; fi
	rm -f "$LAB_DIR/pids/$name" "$lease"
	lab_spawn "$name" "$role" env LAB_DHCP_LEASE="$lease" "${envs[@]}" \
		busybox udhcpc -f -i "$ifc" -s "$LAB_DIR/udhcpc.script" -t 3 -T 1 -A 1 "${args[@]}" || return 1
	[ "$nowait" = --nowait ] && return 0
	lab_wait_for test -s "$lease" ||
		{ _lab_err "$name: no DHCP lease on $role/$ifc within ${LAB_WAIT_TIMEOUT:-10}s"; return 1; }
}

_lab_uplink_ok() {
	[[ " $LAB_UPLINKS " == *" ${1:-?} "* ]] || { _lab_err "unknown uplink '${1:-}' (uplinks: $LAB_UPLINKS)"; return 1; }
}
_lab_uplink_dhcp_name() { if [ "$1" = up0 ]; then echo uplink-dhcp; else echo "uplink-dhcp-$1"; fi; }
# lab_uplink_dhcp [--nowait] [IFACE]: busybox udhcpc on the netvm's uplink
# IFACE (default up0; a recorded child "uplink-dhcp", "uplink-dhcp-up1" ...).
# The hook sets the address and a default route (metric 0 / 100 / 200 for
# up0 / up1 / up2, so several uplinks keep theirs) and writes the lease to
# $LAB_DIR/lease.IFACE (see lab_uplink_lease); nothing else. Waits for the
# lease unless --nowait. lab_plug restarts a running client.
lab_uplink_dhcp() {
	local a nowait="" ifc=up0 metric
	for a in "$@"; do
		case $a in --nowait) nowait=--nowait ;; *) ifc=$a ;; esac
	done
	_lab_uplink_ok "$ifc" || return 1
	metric=LAB_UPLINK_METRIC_$ifc
	_lab_dhcp "$(_lab_uplink_dhcp_name "$ifc")" netvm "$ifc" "$nowait" "$LAB_DIR/lease.$ifc" \
		LAB_DHCP_RESOLV= LAB_DHCP_METRIC="${!metric}" -- -O search
}
# lab_uplink_lease [IFACE [FIELD]]: the uplink's current lease as the DHCP
# server gave it, "FIELD=value" lines: ip mask router dns domain search
# serverid lease; with FIELD, its value. Fails when there is no lease.
lab_uplink_lease() {
	local ifc=${1:-up0} f
	_lab_uplink_ok "$ifc" || return 1
	f=$LAB_DIR/lease.$ifc
	[ -s "$f" ] || return 1
	if [ -n "${2:-}" ]; then sed -n "s/^$2=//p" "$f"; else cat "$f"; fi
}
# lab_work_dhcp [--nowait]: udhcpc on work's eth0, from the netvm's server;
# the resolver goes to $LAB_DIR/work-resolv.conf and work's /etc/resolv.conf.
lab_work_dhcp() {
	_lab_dhcp work-dhcp work eth0 "${1:-}" "$LAB_DIR/lease.work" \
		LAB_DHCP_RESOLV="$LAB_DIR/work-resolv.conf /etc/netns/$LAB_PREFIX-work/resolv.conf"
}

# ---- the netvm's cables -------------------------------------------------------
# Each uplink upN of the netvm is a veth whose far end c-upN sits in the
# patch namespace; a segment's wall socket is the bridge s-SEGMENT there.
# Plugged: c-upN is a port of s-SEGMENT and up; unplugged: no bridge, down
# (the netvm sees NO-CARRIER). up0, up1, up2 and their MACs never change.

# lab_uplink_segment IFACE: the segment IFACE is plugged into, or "none".
lab_uplink_segment() {
	local l flags m=""
	_lab_uplink_ok "${1:-}" || return 1
	l=$(ip -n "$(_lab_ns patch)" -o link show dev "c-$1") || return 1
	flags=${l#*<} flags=${flags%%>*}
	[[ $l == *" master s-"* ]] && { m=${l#* master s-}; m=${m%% *}; }
	if [[ ",$flags," == *,UP,* ]] && [ -n "$m" ]; then echo "$m"; else echo none; fi
}
# lab_uplinks: "up0=home up1=none up2=lte", every uplink's segment.
lab_uplinks() {
	local u line=""
	for u in $LAB_UPLINKS; do line+="${line:+ }$u=$(lab_uplink_segment "$u")" || return 1; done
	echo "$line"
}
# lab_unplug IFACE: pulls the cable out (NO-CARRIER on the netvm's side).
# Like busybox udhcpc, the DHCP client ignores carrier: the address and
# routes stay until the next lab_plug (flush them yourself to model a client
# that drops its lease on carrier loss).
lab_unplug() {
	local ns
	_lab_uplink_ok "${1:-}" || return 1
	ns=$(_lab_ns patch) || return 1
	ip -n "$ns" link set "c-$1" down &&
	ip -n "$ns" link set "c-$1" nomaster
}
# lab_carrier_lost [IFACE] (default up0): the netvm's kernel has taken the
# carrier's loss in (IFACE's operstate, which its link watch sets in the
# same step as it flushes the neighbour entries). A cable moved must be
# seen gone before it comes back: under load the link watch may run only
# after a quick down-then-up, see no loss and flush nothing, and the move
# becomes one with the carrier kept (53-office-move, "A swap").
lab_carrier_lost() {
	ip -n "$(_lab_ns netvm)" -o link show dev "${1:-up0}" |
		grep -qE 'state (LOWERLAYERDOWN|DOWN) '
}
# lab_plug [--nowait] IFACE SEGMENT: plugs the cable into that segment's
# wall socket (out of any other first: the netvm sees carrier go, waited
# for with lab_carrier_lost, and come).
# If a DHCP client runs on IFACE (lab_uplink_dhcp) it is restarted while the
# cable is out, its address flushed, so the lease is a fresh one from the
# new segment; waits for it unless --nowait.
lab_plug() {
	local nowait="" ifc seg ns name dhcp=0
	[ "${1:-}" = --nowait ] && { nowait=--nowait; shift; }
	ifc=${1:-} seg=${2:-}
	_lab_uplink_ok "$ifc" || return 1
	_lab_seg_dev "$seg" >/dev/null && _lab_ns "$seg" >/dev/null || return 1
	ns=$(_lab_ns patch) || return 1
	name=$(_lab_uplink_dhcp_name "$ifc")
	ip -n "$ns" link set "c-$ifc" down || return 1
	lab_wait_for -t 10 lab_carrier_lost "$ifc" || return 1
	if lab_pid "$name" >/dev/null; then
		dhcp=1
		lab_stop "$name"
		ip -n "$(_lab_ns netvm)" -4 addr flush dev "$ifc"
	fi
	ip -n "$ns" link set "c-$ifc" master "s-$seg" &&
	ip -n "$ns" link set "c-$ifc" up || return 1
	[ $dhcp = 1 ] || return 0
	lab_uplink_dhcp $nowait "$ifc"
}
# lab_uplink_unplug [IFACE] / lab_uplink_plug [IFACE] (default up0): the
# cable out of its socket and back into the same one (carrier only; socket,
# DHCP client and address untouched).
lab_uplink_unplug() {
	_lab_uplink_ok "${1:-up0}" || return 1
	ip -n "$(_lab_ns patch)" link set "c-${1:-up0}" down
}
lab_uplink_plug() {
	_lab_uplink_ok "${1:-up0}" || return 1
	ip -n "$(_lab_ns patch)" link set "c-${1:-up0}" up
}

# lab_hotel_beacon impostor|replayer|none: what answers at the hotel's
# 10.66.0.2:51821 (see _lab_hotel_beacon_start); returns once it listens
# (or, for none, once nothing does). Without an argument: the current one.
lab_hotel_beacon() {
	_lab_ns hotel >/dev/null || return 1
	if [ $# -eq 0 ]; then cat "$LAB_DIR/run/hotel-beacon.mode"; return; fi
	case $1 in impostor|replayer|none) ;;
	*) _lab_err "lab_hotel_beacon: impostor, replayer or none, not '$1'"; return 1 ;;
	esac
	lab_stop hotel-beacon
	_lab_hotel_beacon_start "$1" || return 1
	[ "$1" = none ] && return 0
	lab_wait_for -t 5 _lab_listening hotel u "$LAB_BEACON_ADDR" "$LAB_BEACON_PORT" ||
		{ _lab_err "hotel $1 beacon not listening (log: $LAB_DIR/log/hotel-beacon.log)"; return 1; }
}

lab_gateway_down() { ip -n "$(_lab_ns agency)" link set pub0 down; }
lab_gateway_up() {
	local ns
	ns=$(_lab_ns agency) || return 1
	ip -n "$ns" link set pub0 up &&
	lab_wait_for ip -n "$ns" route replace default via "$LAB_INET_AGENCY_SIDE" dev pub0
}

# lab_lgwan_host ADDR: one more LGWAN host address (a /32 on lgwan's lo,
# reached through the agency and from the office like the others), for a
# service a test starts there itself (e.g. lab_spawn NAME lgwan ...).
lab_lgwan_host() {
	local ns
	ns=$(_lab_ns lgwan) || return 1
	ip -n "$ns" addr replace "$1/32" dev lo
}

# lab_lgwan6: IPv6 between the agency and LGWAN (which the lab otherwise
# keeps IPv4-only): the gateway's tunnel gets $LAB_TUNNEL_GW6, the device's
# peer may send from $LAB_TUNNEL_DEVICE6, and LGWAN answers on
# $LAB_LGWAN6_HOST inside $LAB_LGWAN6_PREFIX. For a test of a policy with
# IPv6 prefixes; the test starts its own service on the address.
LAB_TUNNEL_GW6=fd00:77::1
LAB_TUNNEL_DEVICE6=fd00:77::2
LAB_LGWAN6_PREFIX=2001:db8:64::/48
LAB_LGWAN6_HOST=2001:db8:64::80
lab_lgwan6() {
	local ag lg i
	ag=$(_lab_ns agency) && lg=$(_lab_ns lgwan) || return 1
	for i in all default lo lg0 "$LAB_WG_GW"; do
		ip netns exec "$ag" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=0" || return 1
	done
	for i in all default lo lg0; do
		ip netns exec "$lg" sysctl -qw "net.ipv6.conf.$i.disable_ipv6=0" || return 1
	done
	ip netns exec "$ag" sysctl -qw net.ipv6.conf.all.forwarding=1 &&
	ip -n "$ag" addr add "$LAB_TUNNEL_GW6/64" dev "$LAB_WG_GW" nodad &&
	ip netns exec "$ag" wg set "$LAB_WG_GW" peer "$LAB_DEVICE_PUB" \
		allowed-ips "$LAB_TUNNEL_DEVICE,$LAB_TUNNEL_DEVICE6/128" &&
	ip -n "$ag" addr add fd00:255::1/64 dev lg0 nodad &&
	ip -n "$ag" -6 route add "$LAB_LGWAN6_PREFIX" via fd00:255::2 dev lg0 &&
	ip -n "$lg" addr add fd00:255::2/64 dev lg0 nodad &&
	ip -n "$lg" addr add "$LAB_LGWAN6_HOST/128" dev lo &&
	ip -n "$lg" -6 route add default via fd00:255::1 dev lg0
}

# ---- a second agency gateway (lab_agency2_up) ----------------------------------
# Another agency, agency2, with its own wireguard-go ($LAB_WG_GW2, key
# $LAB_DIR/gateway2.key) at $LAB_GW2_ENDPOINT on the internet's agency
# segment (inet routes the /32 over its own veth ia1), reaching the same
# LGWAN over its own link; it masquerades the tunnel's addresses onto that
# link (LGWAN routes its replies to agency, not agency2). The second
# gateway's UDP counts as "tunnel" in every segment's leak counters. For a
# policy with two gateways in failover order; call after lab_up.
LAB_GW2_PUBLIC=192.0.2.11
LAB_GW2_ENDPOINT=192.0.2.11:51820
LAB_AGENCY2_LG=10.255.2.1	# agency2 <-> lgwan link (/30)
LAB_LGWAN_AGENCY2_SIDE=10.255.2.2

_lab_agency2_build() {	# in a set -e shell; LAB_ROLES includes agency2
	local p s
	ip netns add "$NS_AGENCY2"
	ip -n "$NS_AGENCY2" link set lo up
	n agency2 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip link add ia1 netns "$NS_INET" type veth peer name pub0 netns "$NS_AGENCY2"
	ip link add lg0 netns "$NS_AGENCY2" type veth peer name ag2 netns "$NS_LGWAN"
	ip -n "$NS_INET" addr add "$LAB_INET_AGENCY_SIDE/32" dev ia1
	ip -n "$NS_INET" link set ia1 up
	ip -n "$NS_INET" route add "$LAB_GW2_PUBLIC/32" dev ia1 src "$LAB_INET_AGENCY_SIDE"
	ip -n "$NS_AGENCY2" addr add "$LAB_GW2_PUBLIC/24" dev pub0
	ip -n "$NS_AGENCY2" addr add "$LAB_AGENCY2_LG/30" dev lg0
	ip -n "$NS_AGENCY2" link set pub0 up
	ip -n "$NS_AGENCY2" link set lg0 up
	ip -n "$NS_AGENCY2" route add default via "$LAB_INET_AGENCY_SIDE" dev pub0
	for p in $LAB_LGWAN_PREFIXES; do
		ip -n "$NS_AGENCY2" route add "$p" via "$LAB_LGWAN_AGENCY2_SIDE" dev lg0
	done
	n agency2 sysctl -qw net.ipv4.ip_forward=1
	n agency2 nft -f - <<-EOT
	table ip labnat {
		chain postrouting {
			type nat hook postrouting priority srcnat; policy accept;
			oifname "lg0" ip saddr $LAB_TUNNEL_NET masquerade
		}
	}
	EOT
	ip -n "$NS_LGWAN" addr add "$LAB_LGWAN_AGENCY2_SIDE/30" dev ag2
	ip -n "$NS_LGWAN" link set ag2 up
	(umask 077; wg genkey >"$LAB_DIR/gateway2.key")
	wg pubkey <"$LAB_DIR/gateway2.key" >"$LAB_DIR/gateway2.pub"
	for s in $(_lab_segments); do
		n "$s" nft -f - <<-EOT
		insert rule netdev lableak ingress ether type ip ip daddr $LAB_GW2_PUBLIC udp dport $LAB_GW_PORT counter name "tunnel" return
		EOT
	done
}

lab_agency2_up() {
	_lab_ns agency >/dev/null || return 1
	[[ " $LAB_ROLES " != *" agency2 "* ]] || { _lab_err "lab_agency2_up: agency2 is up already"; return 1; }
	NS_AGENCY2=$LAB_PREFIX-agency2
	LAB_WG_GW2=${LAB_PREFIX}g2
	export NS_AGENCY2 LAB_WG_GW2
	if ! LAB_ROLES="$LAB_ROLES agency2" bash -eEc 'trap "echo lab: lab_agency2_up: failed at line \$LINENO >&2" ERR
			. "$0"
			_lab_agency2_build' "$LAB_LIBDIR/lab.sh"; then
		_lab_err "lab_agency2_up: could not build agency2 (lab_down removes what was built)"
		return 1
	fi
	LAB_ROLES="$LAB_ROLES agency2"
	LAB_GW2_PUB=$(cat "$LAB_DIR/gateway2.pub")
	export LAB_ROLES LAB_GW2_PUB
	lab_spawn agency2-wg agency2 wireguard-go -f "$LAB_WG_GW2" || return 1
	lab_wait_for test -S "/var/run/wireguard/$LAB_WG_GW2.sock" ||
		{ _lab_err "wireguard-go did not create $LAB_WG_GW2: $(_lab_which_down)"; return 1; }
	n agency2 wg set "$LAB_WG_GW2" listen-port "$LAB_GW_PORT" private-key "$LAB_DIR/gateway2.key" \
		peer "$LAB_DEVICE_PUB" allowed-ips "$LAB_TUNNEL_DEVICE" &&
	ip -n "$NS_AGENCY2" addr add "$LAB_TUNNEL_GW/24" dev "$LAB_WG_GW2" &&
	ip -n "$NS_AGENCY2" link set "$LAB_WG_GW2" up ||
		{ _lab_err "configuring the second gateway's WireGuard interface failed"; return 1; }
	_lab_write_env
	printf 'export %s=%q\n' LAB_WG_GW2 "$LAB_WG_GW2" LAB_GW2_PUB "$LAB_GW2_PUB" >>"$LAB_DIR/env"
}

# lab_gateway_block [agency|agency2] / lab_gateway_unblock [...]: the
# gateway's namespace drops (silently) every UDP datagram to its WireGuard
# port: its wireguard-go runs on but answers nothing, as a gateway that
# died behind a firewall. The default is agency.
lab_gateway_block() {
	n "${1:-agency}" nft -f - <<-EOT
	table inet labblock {
		chain input {
			type filter hook input priority -10; policy accept;
			udp dport $LAB_GW_PORT counter drop
		}
	}
	EOT
}
lab_gateway_unblock() { n "${1:-agency}" nft delete table inet labblock; }

# ---- sekisho-gw at the agency (lab_gw_up) -----------------------------------------
# The agency's gateway run by sekisho-gw from a registry made here
# ($LAB_DIR/gw: `sekisho-provision init` with the lab's tunnel network as
# its pool, group "lab" whose template is the lab's policy, the lab's
# laptop "laptop" with its key and the lab's tunnel address) instead of
# plain `wg set`. sekisho-gw takes over the interface wireguard-go made at
# lab_up by difference: the laptop's peer, unchanged, keeps its session.
# LAB_GW_REGISTRY (default sqlite:$LAB_DIR/gw/registry.db) may name a
# PostgreSQL registry; LAB_GW_OPTS adds options to `sekisho-gw run`.
# lab_gw_prov ARGS: sekisho-provision on that registry; lab_gw ARGS:
# sekisho-gw's CLI on its session socket. Call after lab_up.
lab_gw_prov() {
	"$LAB_BUILD/sekisho-provision" -q --by lab -r "$LAB_GW_REGISTRY" -K "$LAB_DIR/gw/keys" "$@"
}
lab_gw() { "$LAB_BUILD/sekisho-gw" -s "$LAB_GW_SOCK" "$@"; }
lab_gw_up() {
	_lab_ns agency >/dev/null || return 1
	mkdir -m 0700 "$LAB_DIR/gw" || return 1
	LAB_GW_REGISTRY=${LAB_GW_REGISTRY:-sqlite:$LAB_DIR/gw/registry.db}
	LAB_GW_SOCK=$LAB_DIR/gw/session.sock
	export LAB_GW_REGISTRY LAB_GW_SOCK
	lab_gw_prov init --pool "${LAB_TUNNEL_GW%.*}.0/24" --endpoint "$LAB_GW_ENDPOINT" \
		--listen-port "$LAB_GW_PORT" >/dev/null &&
	sed -e '/^serial /d' -e '/^device {/,/^}/d' "$LAB_POLICY" >"$LAB_DIR/gw/lab.tmpl" &&
	lab_gw_prov group add lab "$LAB_DIR/gw/lab.tmpl" --key-file "$LAB_DIR/device.key" &&
	[ "$(lab_gw_prov device add laptop --group lab --pubkey "$LAB_DEVICE_PUB")" = "laptop $LAB_TUNNEL_DEVICE" ] ||
		{ _lab_err "lab_gw_up: provisioning the lab's registry failed"; return 1; }
	lab_gw_start || return 1
	printf 'export %s=%q\n' LAB_GW_REGISTRY "$LAB_GW_REGISTRY" LAB_GW_SOCK "$LAB_GW_SOCK" >>"$LAB_DIR/env"
}
# lab_gw_start / lab_gw_stop: the daemon alone (recorded child agency-gw).
lab_gw_start() {
	# shellcheck disable=SC2086
	lab_spawn agency-gw agency "$LAB_BUILD/sekisho-gw" run -d -r "$LAB_GW_REGISTRY" \
		-i "$LAB_WG_GW" -k "$LAB_DIR/gateway.key" -s "$LAB_GW_SOCK" ${LAB_GW_OPTS:-} &&
	lab_wait_for -t 10 lab_gw status ||
		{ _lab_err "sekisho-gw did not start: $(tail -3 "$LAB_DIR/log/agency-gw.log")"; return 1; }
}
lab_gw_stop() { lab_stop agency-gw; }

# lab_laptop_up NAME N KEYFILE ADDR: one more laptop, a plain WireGuard
# peer (wireguard-go, interface ${LAB_PREFIX}lN) in a namespace of its own
# ($LAB_PREFIX-NAME, role NAME for `n`) hanging off the internet at
# 198.19.N.2 (inet 198.19.N.1), with tunnel address ADDR (/32), the
# lab's gateway as its one peer and the LGWAN prefixes routed into the
# tunnel. lab_down removes it.
lab_laptop_up() {
	local name=$1 i=$2 key=$3 addr=${4%/*} ns wgi p allowed=""
	ns=$LAB_PREFIX-$name wgi=${LAB_PREFIX}l$i
	for p in $LAB_LGWAN_PREFIXES; do allowed+="${allowed:+,}$p"; done
	ip netns add "$ns" && ip -n "$ns" link set lo up &&
	ip link add "lt$i" netns "$NS_INET" type veth peer name eth0 netns "$ns" &&
	ip -n "$NS_INET" addr add "198.19.$i.1/30" dev "lt$i" && ip -n "$NS_INET" link set "lt$i" up &&
	ip -n "$ns" addr add "198.19.$i.2/30" dev eth0 && ip -n "$ns" link set eth0 up &&
	ip -n "$ns" route add default via "198.19.$i.1" ||
		{ _lab_err "lab_laptop_up: the namespace of $name"; return 1; }
	LAB_ROLES="$LAB_ROLES $name"
	export LAB_ROLES
	lab_spawn "laptop-$name" "$name" wireguard-go -f "$wgi" &&
	lab_wait_for test -S "/var/run/wireguard/$wgi.sock" &&
	ip netns exec "$ns" wg set "$wgi" private-key "$key" peer "$LAB_GW_PUB" \
		endpoint "$LAB_GW_ENDPOINT" allowed-ips "$allowed" &&
	ip -n "$ns" addr add "$addr/32" dev "$wgi" && ip -n "$ns" link set "$wgi" up ||
		{ _lab_err "lab_laptop_up: the tunnel of $name"; return 1; }
	for p in $LAB_LGWAN_PREFIXES; do
		ip -n "$ns" route add "$p" dev "$wgi" src "$addr" || return 1
	done
}
