#!/bin/bash
# Work's DNS survives a dead resolver (issue 10, item 19; docs/policy.md,
# "DNS failover"), in the lab with real packets: a policy with two LGWAN
# resolvers and two office resolvers, each a dnsmasq this test starts
# (in LGWAN, on the office LAN) that answers a test name with its own
# address, so the answer says who answered. In remote mode, then in
# office mode:
#
#  - work's lookups through the netvm go to the mode's first resolver; the
#    kernel's map dns_pick holds it; the checker runs confined as
#    _sekisho-dns;
#  - the first is killed (only the PID this test started): lookups come
#    back from the second, even from the very source port a lookup used
#    before the kill (its tracked translation is forgotten at the switch);
#    sekishod logs the switch, the map holds the second, and no ruleset
#    was loaded for it; a ruleset loaded again keeps the second;
#  - the first comes back: work's DNS goes back to it, logged, in the map.
# On the old code (the DNAT named the first resolver alone), every lookup
# after the kill fails.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lab.sh
. tests/integration/lib.sh

tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS=office lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

NAME=who.lgwan.example
PORT=40053	# a source port work reuses across the switch
L1=10.64.0.61 L2=10.64.0.62	# LGWAN's resolvers; they answer NAME with
LA1=10.64.7.1 LA2=10.64.7.2	# these
O1=10.66.0.61 O2=10.66.0.62	# the office's; they answer NAME with
OA1=10.66.7.1 OA2=10.66.7.2	# these
lab_lgwan_host "$L1"
lab_lgwan_host "$L2"
ip -n "$(_lab_ns office)" addr add "$O1/24" dev br0
ip -n "$(_lab_ns office)" addr add "$O2/24" dev br0
resolver_start() {	# NAME ROLE ADDR ANSWER
	_lab_dnsmasq "$1" "$2" --listen-address="$3" --address="/$NAME/$4" &&
		lab_wait_for -t 5 _lab_listening "$2" u "$3" 53
}
check "LGWAN resolver 1 ($L1) starts" resolver_start dns-l1 lgwan "$L1" "$LA1"
check "LGWAN resolver 2 ($L2) starts" resolver_start dns-l2 lgwan "$L2" "$LA2"
check "office resolver 1 ($O1) starts" resolver_start dns-o1 office "$O1" "$OA1"
check "office resolver 2 ($O2) starts" resolver_start dns-o2 office "$O2" "$OA2"

POL=$LAB_DIR/dns.conf
sed -e "/^lgwan {/,/^}/s#^\tresolver .*#\tresolver $L1\n\tresolver $L2#" \
	-e "/^office {/,/^}/s#^\tresolver .*#\tresolver $O1\n\tresolver $O2#" \
	"$LAB_DIR/policy.conf" >"$POL"
check "the policy names two LGWAN and two office resolvers" bash -c \
	"build/sekisho-policy check '$POL' && [ \$(grep -c '^	resolver 10\.6[46]\.0\.6[12]$' '$POL') = 4 ]"
check "sekishod starts" netvm_start "$POL"
check "work gets its address by DHCP" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp up0
check "mode becomes remote" netvm_wait_mode remote

log() { cat "$LAB_DIR/log/sekishod.log"; }
# lookup [PORT]: what work's DNS (to the netvm) answers for NAME.
lookup() {
	n work dig +short +time=1 +tries=1 ${1:+-b "${LAB_WORK_ADDR%/*}#$1"} \
		@"$LAB_WORK_ROUTER" "$NAME" 2>/dev/null
}
answers() { [ "$(lookup "${2:-}")" = "$1" ]; }
pick_is() {	# the map's one element, exactly
	local got
	got=$(n netvm nft list map inet sekisho dns_pick | tr -s '\t\n' '  ')
	[ "$got" = "table inet sekisho { map dns_pick { type ipv4_addr : ipv4_addr elements = { $LAB_WORK_ROUTER : $1 } } } " ] ||
		{ echo "kernel: $got"; return 1; }
}
# The kernel's dns_pick changes before sekishod writes its line, and the
# checks before look at the kernel: the line may be a moment behind.
logged() {
	lab_wait_for -t 5 grep -qxF "sekishod: $1" "$LAB_DIR/log/sekishod.log" ||
		{ log | grep -F dns; return 1; }
}
loads() { grep -c 'ruleset in force' "$LAB_DIR/log/sekishod.log"; }
checker_pid() {	# sekishod's sekisho-dnscheck child
	local p
	# shellcheck disable=SC2013	# children: pids separated by blanks
	for p in $(cat "/proc/$(lab_pid sekishod)/task/"*/children 2>/dev/null); do
		[[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" == "sekisho-dnscheck "* ]] &&
			{ echo "$p"; return 0; }
	done
	return 1
}
confined() {
	local p st
	p=$(checker_pid) || { echo "no sekisho-dnscheck"; return 1; }
	st=$(cat "/proc/$p/status")
	echo "$st" | grep -E '^(Uid|CapEff|CapPrm|NoNewPrivs|Seccomp):'
	[ "$(echo "$st" | awk '/^Uid:/ { print $2 }')" = "$(id -u _sekisho-dns)" ] &&
	echo "$st" | grep -qx "CapEff:	0000000000000000" &&
	echo "$st" | grep -qx "CapPrm:	0000000000000000" &&
	echo "$st" | grep -qx "NoNewPrivs:	1" &&
	echo "$st" | grep -qx "Seccomp:	2"
}

# failover MODE D1 ROLE R1 R2 A1 A2: the first resolver dies and comes back.
failover() {
	local m=$1 d1=$2 role=$3 r1=$4 r2=$5 a1=$6 a2=$7 loads0
	check "$m: work's lookup answered by the first resolver" lab_wait_for -t 10 answers "$a1"
	check "$m: ... also from source port $PORT" answers "$a1" "$PORT"
	check "$m: kernel: dns_pick holds $LAB_WORK_ROUTER : $r1" pick_is "$r1"
	check "$m: sekishod logs the resolvers it checks" \
		logged "dns: work's DNS goes to $r1; 2 resolvers checked every 2000 ms"
	check "$m: the checker runs as _sekisho-dns: no capability, no_new_privs, seccomp" confined
	loads0=$(loads)
	lab_stop "$d1"
	check "$m: resolver 1 is gone" bash -c "! ip netns exec $(_lab_ns "$role") ss -Hlun | grep -qF '$r1:53 '"
	check "$m: lookups come back from the second resolver" lab_wait_for -t 30 answers "$a2"
	check "$m: ... also from source port $PORT (its old translation forgotten)" \
		lab_wait_for -t 10 answers "$a2" "$PORT"
	check "$m: sekishod logs the switch" \
		logged "dns: resolver $r1 does not answer; work's DNS goes to $r2"
	check "$m: kernel: dns_pick holds $LAB_WORK_ROUTER : $r2" pick_is "$r2"
	check "$m: no ruleset was loaded for it" [ "$(loads)" = "$loads0" ]
	if [ "$m" = remote ]; then
		# A ruleset loaded again (here: the table deleted under sekishod,
		# which puts it back) starts from the first resolver; the pick
		# must follow it into the new ruleset.
		n netvm nft delete table inet sekisho
		check "$m: table put back, dns_pick still holds $LAB_WORK_ROUTER : $r2" \
			lab_wait_for -t 10 pick_is "$r2"
		check "$m: lookups still answered by the second resolver" \
			lab_wait_for -t 10 answers "$a2"
	fi
	check "$m: resolver 1 starts again" resolver_start "$d1" "$role" "$r1" "$a1"
	check "$m: lookups go back to the first resolver" lab_wait_for -t 30 answers "$a1"
	check "$m: sekishod logs the way back" \
		logged "dns: resolver $r1 answers again; work's DNS goes back to it from $r2"
	check "$m: kernel: dns_pick holds $LAB_WORK_ROUTER : $r1 again" pick_is "$r1"
	check "$m: ... and from source port $PORT too" lab_wait_for -t 10 answers "$a1" "$PORT"
}

failover remote dns-l1 lgwan "$L1" "$L2" "$LA1" "$LA2"

check "office: plugged in, fresh lease" lab_plug up0 office
check "office: mode office" netvm_wait_mode office
failover office dns-o1 office "$O1" "$O2" "$OA1" "$OA2"

# Back home: the LGWAN resolvers again, the first picked.
check "home again: plugged in" lab_plug up0 home
check "home again: mode remote" netvm_wait_mode remote
check "home again: kernel: dns_pick holds $LAB_WORK_ROUTER : $L1" pick_is "$L1"
check "home again: work's lookup answered by the first LGWAN resolver" \
	lab_wait_for -t 10 answers "$LA1"
check "sekishod still runs" lab_pid sekishod

tap_done
