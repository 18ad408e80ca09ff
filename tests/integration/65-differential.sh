#!/bin/bash
# The differential policy test (issue 4): for hundreds of random packets a
# deliberately simple evaluator written from the policy text
# (tests/integration/policy_eval.py, its own reader of the format) must
# agree with what the kernel does with the ruleset sekishod compiled from
# the same file -- real packets in the lab, in remote and in office mode.
#
# The policy: named sets, services overlapping in set terms (all of "core"
# only on 443, a /28 and a /27 inside it on the logon ports, a /32 inside
# it on other ports and ICMP, a /16 inside it on UDP 123 and ICMP), TCP and
# UDP port lists and ranges, ICMP echo, a service for office mode only and
# one for remote mode only, a service whose ports include DNS's, an lgwan
# prefix no service names, and destinations outside LGWAN.
#
# Each packet (TCP SYN, UDP datagram, ICMP echo request; DSCP CS1, its tag in
# the IPv4 identification field) leaves the work namespace from a raw
# socket; it "crossed" when an AF_PACKET capture at the far end of the
# mode's path saw it (remote: the agency gateway's WireGuard interface;
# office: the office router's port), before that namespace's firewall,
# which then drops the test's packets so that nothing answers them. A
# refused packet must not be seen anywhere (the home socket is watched in
# remote mode, the tunnel in office mode) and its sender must get the
# refusal back: a TCP RST, else ICMP admin-prohibited.
#
#   bash tests/integration/65-differential.sh [SEED]    (or DIFF_SEED=...)
#   DIFF_PACKETS=N   packets per mode (default 500)
#   DIFF_PREFIXES=N DIFF_SERVICES=M   the same policy grown to N lgwan
#                    prefixes and M services (disjoint /24s in 10.0-63.x,
#                    in named sets of 20, with port lists, ICMP and modes;
#                    66-differential-large runs 10,000 and 1,000)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lab.sh
. tests/integration/lib.sh

SEED=${1:-${DIFF_SEED:-$(( $(date +%s) % 1000000 ))}}
COUNT=${DIFF_PACKETS:-500}
PROBE=tests/integration/65-probe.py
EVAL=tests/integration/policy_eval.py
echo "# seed $SEED, $COUNT packets per mode (again: DIFF_SEED=$SEED bash $0)"

CAPTURES=()
stop_captures() {
	local p
	for p in "${CAPTURES[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${CAPTURES[@]}"; do wait "$p" 2>/dev/null; done
	CAPTURES=()
}
cleanup() { stop_captures; netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS=office lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

# ---- the policy: the lab's device, gateway, work link and office, this test's
# sets, lgwan and services ----------------------------------------------------------
POL=$LAB_DIR/65-policy.conf
{
	awk '/^lgwan \{/ { skip = 1 } !skip { print } skip && /^\}/ { skip = 0 }' "$LAB_POLICY"
	cat <<-'EOF'
	set "core" {
		prefix 10.64.0.0/16
		prefix 10.65.0.0/16
	}
	set "extra" {
		prefix 172.20.0.0/16
		prefix 10.90.8.0/22
	}
	set "dc" {                      # domain controllers, inside core
		prefix 10.64.10.0/28
		prefix 10.64.10.32/27
	}
	set web { prefix 10.65.128.0/17 }
	set "ops" { prefix 10.90.9.0/24 }
	lgwan {
		set core
		set "extra"
		prefix 10.200.0.0/16            # routed, but no service names it
		resolver 10.64.0.53
		resolver 10.65.0.53
	}
	service "logon" {
		class prelogon
		to dc
		tcp 88,389,445,464,636,3268-3269
		udp 88,123,389,464
	}
	service "core-https" {          # all of core, one port
		class lgwan
		to core
		tcp 443
	}
	service "portal" {
		class lgwan
		to 10.64.1.80/32
		tcp 80,8080-8090
		icmp echo
	}
	service "web" {
		class lgwan
		to web
		to 10.64.128.0/20
		to 172.20.5.7/32
		tcp 80,8000-8079
		udp 3478-3480
	}
	service "ntp" {
		class prelogon
		to 10.65.0.0/16
		udp 123
		icmp echo
	}
	service "ops" {                 # every protocol, in the office only
		class lgwan
		to ops
		mode office
	}
	service "vpn-admin" {           # only through the tunnel
		class lgwan
		to 10.90.8.128/25
		tcp 22,3389
		udp 1194-1200,65535
		mode remote
	}
	service "hosts-low" {           # its ranges hold DNS's ports
		class lgwan
		to 172.20.0.0/24
		tcp 1-1023
		udp 1-1023
	}
	inbound "support" {
		from 10.65.99.0/24
		tcp 3389
		mode remote
	}
	EOF
} >"$POL"
if [ -n "${DIFF_PREFIXES:-}" ]; then
	python3 - "$POL" "$DIFF_PREFIXES" "${DIFF_SERVICES:-0}" <<-'PY' || { echo "not ok 1 - cannot grow the policy"; exit 1; }
	import re, sys
	path, n, nsvc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	text = open(path).read()
	lg = re.search(r"^lgwan \{\n(.*?)^\}", text, re.S | re.M)
	base = len(re.findall(r"^\s*prefix ", lg.group(1), re.M))
	fill, x = [], 0	# disjoint, non-adjacent /24s away from the test's own
	while len(fill) < n - base:
	    if x not in (64, 65, 66, 77, 90):
	        fill += ["10.%d.%d.0/24" % (x, y) for y in range(0, 256, 2)]
	    x += 1
	fill = fill[:n - base]
	grown = "".join("\tprefix %s\n" % f for f in fill)
	text = text[:lg.start(1)] + grown + text[lg.start(1):]
	extra = []
	nsets = max(1, nsvc // 5)
	for k in range(nsets):
	    members = fill[k::nsets][:20] or fill[:1]
	    extra.append('set "f%d" {' % k)
	    extra += ["\tprefix %s" % m for m in members]
	    extra.append("}")
	for j in range(nsvc):
	    extra += ['service "f%d" {' % j, "\tclass lgwan", "\tto f%d" % (j % nsets),
	              "\ttcp %d,%d-%d" % (1000 + j % 700, 20000 + j, 20005 + j)]
	    if j % 2:
	        extra.append("\tudp %d" % (5000 + j % 300))
	    if j % 3 == 0:
	        extra.append("\ticmp echo")
	    if j % 7 == 3:
	        extra.append("\tmode %s" % ("office" if j % 2 else "remote"))
	    extra.append("}")
	open(path, "w").write(text + "\n".join(extra) + "\n")
	PY
	grown() {
		local p s
		p=$(awk '/^lgwan \{/ { in_l = 1; next } in_l && /^\}/ { in_l = 0 } in_l && /prefix / { n++ } END { print n + 0 }' "$POL")
		s=$(grep -c '^service ' "$POL")
		echo "lgwan: $p prefix lines, $s services"
		[ "$p" -ge "$DIFF_PREFIXES" ] && [ "$s" -ge "${DIFF_SERVICES:-0}" ]
	}
	check "the policy is grown to $DIFF_PREFIXES prefixes and ${DIFF_SERVICES:-0} services" grown
fi

check "the C parser accepts the test policy" build/sekisho-policy check "$POL"
eval_reads() {
	[ "$(python3 "$EVAL" "$POL" remote tcp 10.64.10.1 389)" = allow ] &&
	[ "$(python3 "$EVAL" "$POL" remote tcp 10.64.10.16 389)" = deny ] &&
	[ "$(python3 "$EVAL" "$POL" office udp 10.90.9.1 9)" = allow ] &&
	[ "$(python3 "$EVAL" "$POL" remote udp 10.90.9.1 9)" = deny ]
}
check "the evaluator reads it (a few verdicts by hand)" eval_reads

check "sekishod starts with the test policy" netvm_start "$POL"
check "work gets its address" lab_work_dhcp
WORK=${LAB_WORK_ADDR%/*}

# Every refusal must be answered: the kernel's ICMP rate limit (after a
# burst of 6, one error a second per destination) would swallow most of
# the refusals of packets sent 2 ms apart, so it is off in this netvm.
n netvm sysctl -qw net.ipv4.icmp_ratemask=0

# The far ends drop the test's packets once their capture has seen them, so
# that nothing answers or forwards them.
far_drop() {	# ROLE IFACE
	n "$1" nft -f - <<-EOF
	table inet sk65 {
		chain pre {
			type filter hook prerouting priority -400; policy accept;
			iifname "$2" ip dscp cs1 counter drop
		}
	}
	EOF
}
check "the agency drops the test's packets arriving from the tunnel" far_drop agency "$LAB_WG_GW"
check "the office router drops the test's packets arriving from its LAN" far_drop office br0

# run_mode MODE PATH-ROLE:IFACE OTHER-ROLE:IFACE...: generate, capture, send,
# compare; one TAP line per class of packets and one summary.
run_mode() {
	local mode=$1 path=$2 base=$3 spec role ifc caps=() f
	shift 3
	local pk=$LAB_DIR/65-$mode.packets sent=$LAB_DIR/65-$mode.sent res=$LAB_DIR/65-$mode.result
	python3 "$PROBE" gen "$POL" "$mode" "$SEED" "$COUNT" "$base" >"$pk" || return 1
	for spec in "$path" "$@"; do
		role=${spec%%:*} ifc=${spec#*:}
		f=$LAB_DIR/65-$mode-$role.cap
		ip netns exec "$(_lab_ns "$role")" python3 "$PROBE" capture "$ifc" "$f" &
		CAPTURES+=("$!")
		caps+=("$f")
	done
	for f in "${caps[@]}"; do
		lab_wait_for -t 10 test -e "$f.ready" || { echo "# capture $f did not start"; stop_captures; return 1; }
	done
	n work python3 "$PROBE" send "$WORK" "$pk" "$sent" || { stop_captures; return 1; }
	sleep 0.3
	stop_captures
	python3 "$PROBE" compare "$mode" "$pk" "$sent" "${caps[@]}" >"$res" || return 1
	class_check "$mode" "$res"
}

# shellcheck disable=SC2034  # read through ${!d} in class_check
DESC_tcp_allow="TCP SYNs the evaluator allows crossed, unanswered"
DESC_tcp_deny="TCP SYNs the evaluator refuses were refused with a RST, none crossed"
DESC_udp_allow="UDP datagrams the evaluator allows crossed, unanswered"
DESC_udp_deny="UDP datagrams the evaluator refuses got ICMP admin-prohibited, none crossed"
DESC_icmp_allow="ICMP echo requests the evaluator allows crossed, unanswered"
DESC_icmp_deny="ICMP echo requests the evaluator refuses got ICMP admin-prohibited, none crossed"
DESC_dns="DNS (UDP 53, TCP 53 and 853) to resolvers, the router and elsewhere: kernel and evaluator agree"

# class_check MODE RESULT: the lines of one run as TAP.
class_check() {
	local mode=$1 res=$2 c total bad d all allowed
	while read -r _ c total bad; do
		d=DESC_${c//-/_}
		if [ "$total" -lt 5 ]; then
			tap_not_ok "$mode: $c: only $total packets of this class (seed $SEED), want at least 5"
		elif [ "$bad" -eq 0 ]; then
			tap_ok "$mode: ${!d} ($total packets)"
		else
			tap_not_ok "$mode: ${!d} ($bad of $total disagree, seed $SEED)"
			grep "^bad $c " "$res" | head -n 20 | sed 's/^bad [^ ]* /#   /'
		fi
	done < <(grep '^class ' "$res")
	read -r _ all bad < <(grep '^total ' "$res")
	allowed=$(awk '$5 == "allow"' "$LAB_DIR/65-$mode.packets" | wc -l)
	if [ "${bad:-1}" -eq 0 ] && [ "${all:-0}" -eq "$COUNT" ]; then
		tap_ok "$mode: $all packets ($allowed allowed by the evaluator), 0 disagreements (seed $SEED)"
	else
		tap_not_ok "$mode: ${all:-0} packets ($allowed allowed by the evaluator), ${bad:-?} disagreements (seed $SEED)"
		trace_some "$mode" "$res"
	fi
}

# trace_some MODE RESULT: for a few disagreements, the rule of the sekisho
# table that decided (nftables tracing in the netvm, a table of this test's
# own that sets nftrace on its packets), so that a report names it.
trace_some() {
	local mode=$1 res=$2 line tag p log mon i=0
	n netvm nft -f - <<-'EOF' || return 0
	table inet sk65trace {
		chain pre {
			type filter hook prerouting priority -350; policy accept;
			iifname "wk0" ip dscp cs1 meta nftrace set 1
		}
	}
	EOF
	grep '^bad ' "$res" | head -n 5 | while read -r line; do
		tag=$(echo "$line" | sed -E 's/.* tag ([0-9]+):.*/\1/')
		i=$((i + 1))
		p=$LAB_DIR/65-$mode-trace.$i.packet log=$LAB_DIR/65-$mode-trace.$i.log
		grep "^$tag " "$LAB_DIR/65-$mode.packets" | awk '{ $1 = $1 + 20000; print }' >"$p"
		ip netns exec "$NS_NETVM" timeout 3 nft monitor trace >"$log" 2>&1 &
		mon=$!
		sleep 0.5
		n work python3 "$PROBE" send "$WORK" "$p" /dev/null 1 0.5 >/dev/null 2>&1
		sleep 0.3
		kill "$mon" 2>/dev/null; wait "$mon" 2>/dev/null
		echo "#   trace of $(cut -d' ' -f2-4 "$p"):"
		grep -aE 'inet sekisho (forward|input) (rule|verdict|policy)' "$log" |
			sed -E 's/^trace id [0-9a-f]+ //; s/counter packets [0-9]+ bytes [0-9]+ //' |
			head -n 4 | sed 's/^/#     /'
	done
	n netvm nft delete table inet sk65trace 2>/dev/null
	return 0
}

# ---- remote mode ------------------------------------------------------------------
check "home: uplink DHCP" lab_uplink_dhcp up0
check "remote: mode remote" netvm_wait_mode remote
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "remote: ordinary traffic still flows (the portal through the tunnel)" lab_wait_for -t 10 portal_ok
run_mode remote "agency:$LAB_WG_GW" 4096 home:hn0 ||
	tap_not_ok "remote: the packets could not be generated, sent or captured"

# ---- office mode ------------------------------------------------------------------
check "office: plugged into the office" lab_plug up0 office
check "office: mode office" netvm_wait_mode office 5
check "office: ordinary traffic still flows (the portal over the office LAN)" lab_wait_for -t 10 portal_ok
run_mode office office:on0 16384 "agency:$LAB_WG_GW" ||
	tap_not_ok "office: the packets could not be generated, sent or captured"

tap_done
