#!/bin/bash
# A compromised DNS checker (issue 10, item 9): sekisho-dnscheck reads what
# resolvers send back, so its lines are untrusted; the privileged parent
# only cuts them at newlines and hands each to the engine process, which
# parses it (dnscheck_line_parse) and answers with typed verdicts that the
# parent holds to the resolvers it asked about (engmsg.h, "helper
# results"). sekishod runs with tests/lab/lying-dnscheck.py in place of the
# checker (-C), a policy with two LGWAN resolvers (dnsmasq, started here,
# each answering a test name with its own address), in remote mode; the
# liar writes
#   - verdicts for four resolvers (two of them not in the policy);
#   - bytes that are not a line of the protocol (NUL, 0xff, a shell line);
#   - a line longer than the parent's buffer;
# each time: the exact refusal line, the checker ended, the kernel's
# dns_pick map still holds exactly the first resolver, no ruleset loaded,
# work's lookups still answered by the first resolver, the same engine.
# Then, as the one lie a checker can tell, "dns 01" (the first dead): work's
# DNS moves to the second, which the policy lists: a checker can at most
# move work's DNS among the policy's resolvers.
# Without the length check in the parser (dnspick.c), the first lie moves
# the pick to the second resolver and the map check fails.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/lab/lab.sh
. tests/integration/lib.sh

tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

LIAR=$PWD/tests/lab/lying-dnscheck.py
SAYS=$LAB_DIR/dnscheck.says
NAME=who.lgwan.example
L1=10.64.0.61 L2=10.64.0.62	# LGWAN's resolvers; they answer NAME with
LA1=10.64.7.1 LA2=10.64.7.2	# these
lab_lgwan_host "$L1"
lab_lgwan_host "$L2"
resolver_start() {	# NAME ROLE ADDR ANSWER
	_lab_dnsmasq "$1" "$2" --listen-address="$3" --address="/$NAME/$4" &&
		lab_wait_for -t 5 _lab_listening "$2" u "$3" 53
}
check "LGWAN resolver 1 ($L1) starts" resolver_start dns-l1 lgwan "$L1" "$LA1"
check "LGWAN resolver 2 ($L2) starts" resolver_start dns-l2 lgwan "$L2" "$LA2"
POL=$LAB_DIR/dns.conf
sed -e "/^lgwan {/,/^}/s#^\tresolver .*#\tresolver $L1\n\tresolver $L2#" \
	"$LAB_DIR/policy.conf" >"$POL"
check "the policy names two LGWAN resolvers" build/sekisho-policy check "$POL"

echo 'dns 11' >"$SAYS"
liar_start() {
	SEKISHO_LYING_DNS=$SAYS lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -f "$POL" \
		-C "$LIAR" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
check "sekishod starts with the lying checker (-C)" liar_start
check "work gets its address by DHCP" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp up0
check "mode becomes remote" netvm_wait_mode remote

LOG=$LAB_DIR/log/sekishod.log
lookup() { n work dig +short +time=1 +tries=1 @"$LAB_WORK_ROUTER" "$NAME" 2>/dev/null; }
answers() { [ "$(lookup)" = "$1" ]; }
pick_is() {	# the map's one element, exactly
	local got
	got=$(n netvm nft list map inet sekisho dns_pick | tr -s '\t\n' '  ')
	[ "$got" = "table inet sekisho { map dns_pick { type ipv4_addr : ipv4_addr elements = { $LAB_WORK_ROUTER : $1 } } } " ] ||
		{ echo "kernel: $got"; return 1; }
}
loads() { grep -c 'ruleset in force' "$LOG"; }
lines() { wc -l <"$LOG"; }
engine() {	# the child of sekishod running as _sekisho-eng
	local c p
	p=$(lab_pid sekishod) || return 1
	for c in $(cat "/proc/$p/task/$p/children" 2>/dev/null); do
		[ "$(ps -o user= -p "$c" 2>/dev/null)" = _sekisho-eng ] && { echo "$c"; return 0; }
	done
	return 1
}
check "work's lookup answered by the first resolver" lab_wait_for -t 10 answers "$LA1"
check "kernel: dns_pick holds $LAB_WORK_ROUTER : $L1" pick_is "$L1"
check "the checker's honest rounds are read" lab_wait_for -t 10 bash -c \
	"grep -qxF \"sekishod: dns: work's DNS goes to $L1; 2 resolvers checked every 2000 ms\" '$LOG'"

refused_twice() {	# LINE-NUMBER REFUSAL: logged at least twice after it
	[ "$(tail -n +$(($1 + 1)) "$LOG" | grep -cxF "sekishod: $2")" -ge 2 ]
}
# lie DESC LINE REFUSAL: the liar says LINE; sekishod refuses it with
# exactly REFUSAL (at least twice: the checker is restarted, and refused
# again), and nothing changes.
lie() {
	local at loads0 eng0 rc=0
	at=$(lines) loads0=$(loads) eng0=$(engine)
	printf '%s\n' "$2" >"$SAYS"
	lab_wait_for -t 30 refused_twice "$at" "$3" ||
		{ tail -n +$((at + 1)) "$LOG"; echo "not refused with: $3"; rc=1; }
	tail -n +$((at + 1)) "$LOG" | grep -F 'dns' | sed 's/(pid [0-9]*)/(pid N)/' | sort | uniq -c
	pick_is "$L1" || rc=1
	[ "$(loads)" = "$loads0" ] || { echo "a ruleset was loaded"; rc=1; }
	answers "$LA1" || { echo "work's lookup: $(lookup)"; rc=1; }
	[ "$(engine)" = "$eng0" ] || { echo "the engine changed: the checker's lie is not the engine's fault"; rc=1; }
	tail -n +$((at + 1)) "$LOG" | grep -qE 'does not answer|goes back' && { echo "the pick moved"; rc=1; }
	return $rc
}
check "verdicts for four resolvers: refused with one line, nothing changed" \
	lie four 'dns 0111' 'dns check: bad line, expected "dns " and 2 of 0 or 1; ending it'
check "bytes out of the protocol: refused with one line, nothing changed" \
	lie garbage 'dns \x00\xff;reboot' 'dns check: NUL byte in line; ending it'
check "not printable: refused with one line, nothing changed" \
	lie binary 'dns 0\xff' 'dns check: bad verdict at position 2, expected 0 or 1; ending it'
check "a line longer than the parent's buffer: refused with one line, nothing changed" \
	lie long "dns $(printf '0%.0s' $(seq 100))" 'dns check: line too long; ending it'

# The one lie it can tell: the first resolver is dead. The second (the
# policy's) takes over.
echo 'dns 01' >"$SAYS"
check "\"dns 01\": work's DNS moves to the policy's second resolver" \
	lab_wait_for -t 30 pick_is "$L2"
check "work's lookup answered by the second resolver" lab_wait_for -t 10 answers "$LA2"
check "sekishod still runs" lab_pid sekishod

tap_done
