#!/bin/bash
# Work's DNS survives a dead resolver (issue 10, item 19; docs/policy.md,
# "DNS failover"), in the lab with real packets: a policy with two LGWAN
# resolvers (two dnsmasq this test starts in LGWAN, each answering a test
# name with its own address, so the answer says who answered).
#
#  - work's lookups through the netvm go to the first; the kernel's map
#    dns_pick holds it; the checker runs confined as _sekisho-dns;
#  - the first is killed (only the PID this test started): lookups come
#    back from the second, even from the very source port a lookup used
#    before the kill (its tracked translation is forgotten at the switch);
#    sekishod logs the switch, the map holds the second;
#  - the first comes back: work's DNS goes back to it, logged, in the map.
# On the old code (the DNAT named the first resolver alone), every lookup
# after the kill fails.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

R1=10.64.0.61
R2=10.64.0.62
NAME=who.lgwan.example
A1=10.64.7.1	# what R1 answers for NAME
A2=10.64.7.2	# ... and R2
PORT=40053	# a source port work reuses across the switch
lab_lgwan_host "$R1"
lab_lgwan_host "$R2"
resolver_start() {	# NAME ADDR ANSWER
	_lab_dnsmasq "$1" lgwan --listen-address="$2" --address="/$NAME/$3" &&
		lab_wait_for -t 5 _lab_listening lgwan u "$2" 53
}
check "resolver 1 ($R1) starts" resolver_start dns-r1 "$R1" "$A1"
check "resolver 2 ($R2) starts" resolver_start dns-r2 "$R2" "$A2"

POL=$LAB_DIR/dns.conf
sed "s#^\tresolver $LAB_LGWAN_DNS\$#\tresolver $R1\n\tresolver $R2#" "$LAB_DIR/policy.conf" >"$POL"
check "the two-resolver policy is valid" build/sekisho-policy check "$POL"
check "sekishod starts" netvm_start "$POL"
check "work gets its address by DHCP" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
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
logged() { log | grep -qxF "sekishod: $1" || { log | grep -F dns; return 1; }; }

check "work's lookup answered by the first resolver" lab_wait_for -t 10 answers "$A1"
check "... also from source port $PORT" answers "$A1" "$PORT"
check "kernel: dns_pick holds $LAB_WORK_ROUTER : $R1" pick_is "$R1"

checker_pid() {	# sekishod's sekisho-dnscheck child
	local p
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
check "the checker runs as _sekisho-dns: no capability, no_new_privs, seccomp" confined

# ---- the first resolver dies ------------------------------------------------
loads() { grep -c 'ruleset in force' "$LAB_DIR/log/sekishod.log"; }
loads0=$(loads)
lab_stop dns-r1
check "resolver 1 is gone" bash -c "! ip netns exec $(_lab_ns lgwan) ss -Hlun | grep -qF '$R1:53 '"
check "lookups come back from the second resolver" lab_wait_for -t 30 answers "$A2"
check "... also from source port $PORT (its old translation forgotten)" \
	lab_wait_for -t 10 answers "$A2" "$PORT"
check "sekishod logs the switch" \
	logged "dns: resolver $R1 does not answer; work's DNS goes to $R2"
check "kernel: dns_pick holds $LAB_WORK_ROUTER : $R2" pick_is "$R2"
check "the rest of the ruleset was not reloaded for it" [ "$(loads)" = "$loads0" ]

# ---- it comes back --------------------------------------------------------------
check "resolver 1 starts again" resolver_start dns-r1 "$R1" "$A1"
check "lookups go back to the first resolver" lab_wait_for -t 30 answers "$A1"
check "sekishod logs the way back" \
	logged "dns: resolver $R1 answers again; work's DNS goes back to it from $R2"
check "kernel: dns_pick holds $LAB_WORK_ROUTER : $R1 again" pick_is "$R1"
check "... and from source port $PORT too" lab_wait_for -t 10 answers "$A1" "$PORT"
check "sekishod still runs" lab_pid sekishod

tap_done
