#!/bin/bash
# A compromised probe cannot give office mode (issue 10, item 10). The
# helper that reads the uplink's packets is the part most exposed to a
# hostile network; sekishod now chooses each nonce and verifies the raw
# answer itself, so whatever that helper says, it can at most deny office
# mode. sekishod runs with tests/lab/lying-probe.py in place of
# sekisho-probe (-P), on the office LAN itself (a genuine beacon answers
# there), and the liar
#   - prints the old protocol's made-up verdict "ok tokyo-3f 0 1";
#   - passes off a genuine answer captured earlier as this round's (1 us,
#     TTL 255);
#   - passes off a fresh, genuine answer of the beacon to a nonce of its
#     own instead of sekishod's;
#   - makes up an answer to sekishod's nonce with a signature of zeros;
# each time: the exact log line, up0 not an office, mode remote, no office
# rule in the kernel, none of work's LGWAN packets on the office LAN. The
# real probe then gets office mode on the same LAN.
# sekishod now sends the challenges and receives the answers itself (the
# kernel times them) and hands the probe each datagram to parse: an answer
# the probe names must be the very datagram it was given, so even with a
# lying signature checker the made-up answer is refused ("not the datagram
# it was given"). The signature is checked by sekisho-beacon-verify
# (sekishod links no libcrypto): with that helper missing (-V to nothing)
# the real probe gets no office mode (fail closed); an impostor beacon in
# the hotel, whose answers a credulous probe ("fast": everything verified)
# passes on, is refused by the real checker, and gets office mode only
# with a lying checker in its place (tests/lab/lying-bverify.py answering
# "verified" to everything): the checker is trusted, like `sekisho-policy
# verify` (docs/beacon.md, "Who verifies the signature").
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

LIAR=$PWD/tests/lab/lying-probe.py
LYING_VERIFIER=$PWD/tests/lab/lying-bverify.py
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS="office hotel" lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
log=$LAB_DIR/log/sekishod.log
office_rule() { n netvm nft list chain inet sekisho forward | grep -qF 'oifname "up0" ip daddr @lgwan'; }
no_office_rule() { ! office_rule; }
status_has() { ctl status | grep -qE "$1"; }
since() { tail -n +"$(( lines + 1 ))" "$log"; }
logged_now() { since | grep -qF -- "$1"; }
# The status can show the verdict a moment before the line is read here;
# a failure shows what sekishod said instead.
logged() { lab_wait_for -t 5 logged_now "$1" || { since | tail -n 6; return 1; }; }
# liar_start MODE [ARG...]: sekishod with the lying probe
liar_start() {
	local mode=$1
	shift
	SEKISHO_LYING_PROBE=$mode SEKISHO_LYING_ANSWER=$LAB_DIR/office-answer.1 \
		lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -f "$LAB_POLICY" -P "$LIAR" \
		-w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" "$@" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
no_lgwan_on_office() {
	portal_try; lab_leaks office; [ "$(lab_leak office lgwan)" -eq 0 ]
}
portal_try() { work_get "http://$LAB_PORTAL/" 2 >/dev/null; return 0; }

check "the captured genuine answer is there" test -s "$LAB_DIR/office-answer.1"
check "office: up0 plugged into the office LAN (a genuine beacon answers there)" lab_plug up0 office
check "office: uplink DHCP" lab_uplink_dhcp up0

# liar MODE LINE: one lie, and what sekishod makes of it
liar() {
	local mode=$1 line=$2
	rm -f "$NETVM_SOCK"
	lines=$(wc -l <"$log" 2>/dev/null || echo 0)
	lab_leak_reset office
	check "$mode: sekishod starts with the lying probe" liar_start "$mode"
	check "$mode: work gets its address" lab_work_dhcp
	check "$mode: up0 probed and found not to be an office" lab_wait_for -t 10 status_has '^  up0 .* not-office'
	check "$mode: log: $line" logged "$line"
	check "$mode: never verified" bash -c "! tail -n +$(( lines + 1 )) '$log' | grep -q 'beacon tokyo-3f verified'"
	check "$mode: mode remote" netvm_mode_is remote
	check "$mode: no office rule in the kernel" no_office_rule
	check "$mode: none of work's LGWAN packets on the office LAN" no_lgwan_on_office
	check "$mode: sekishod stopped" lab_stop sekishod
}
: >"$log"
liar ok "uplink up0: no office beacon verified: probe helper failed (neither \"ready\", \"answer\", \"none\" nor \"fail\")"
liar replay "uplink up0: no office beacon verified: the probe helper's answer was refused: nonce does not match the challenge sent"
liar own-nonce "uplink up0: no office beacon verified: the probe helper's answer was refused: nonce does not match the challenge sent"
liar forge "uplink up0: no office beacon verified: the probe helper's answer was refused: signature does not verify under any pinned key"

# ---- the signature checker: absent, fail closed; lying, the trust boundary --------------
rm -f "$NETVM_SOCK"
lines=$(wc -l <"$log")
check "no checker: sekishod starts with the real probe and -V to nothing" netvm_start "$LAB_POLICY" \
	-V /nonexistent/sekisho-beacon-verify
check "no checker: up0 probed and found not to be an office" lab_wait_for -t 10 status_has '^  up0 .* not-office'
check "no checker: log: cannot start it" logged "beacon verifier: cannot start /nonexistent/sekisho-beacon-verify"
check "no checker: log: the answer refused" logged "uplink up0: no office beacon verified: the probe helper's answer was refused: no signature checker (sekisho-beacon-verify) runs"
check "no checker: mode remote" netvm_mode_is remote
check "no checker: no office rule in the kernel" no_office_rule
check "no checker: sekishod stopped" lab_stop sekishod
rm -f "$NETVM_SOCK"
lines=$(wc -l <"$log")
check "lying checker: sekishod starts with the forging probe and the lying checker" \
	liar_start forge -V "$LYING_VERIFIER"
check "lying checker: up0 probed and found not to be an office" lab_wait_for -t 10 status_has '^  up0 .* not-office'
check "lying checker: the made-up answer is no datagram the uplink brought" logged \
	"uplink up0: no office beacon verified: the probe helper's answer was refused: not the datagram it was given"
check "lying checker: never verified" bash -c "! tail -n +$(( lines + 1 )) '$log' | grep -q 'beacon tokyo-3f verified'"
check "lying checker: mode remote" netvm_mode_is remote
check "lying checker: sekishod stopped" lab_stop sekishod

# ---- the impostor in the hotel, its answers passed on unchecked by the probe ------------
check "impostor: the hotel's beacon is an impostor (its own key)" lab_hotel_beacon impostor
check "impostor: up0 plugged into the hotel" lab_plug up0 hotel
rm -f "$NETVM_SOCK"
lines=$(wc -l <"$log")
check "impostor: sekishod starts with the credulous probe" liar_start fast
check "impostor: up0 probed and found not to be an office" lab_wait_for -t 10 status_has '^  up0 .* not-office'
check "impostor: the real checker refuses the signature" logged \
	"uplink up0: no office beacon verified: the probe helper's answer was refused: signature does not verify under any pinned key"
check "impostor: mode remote" netvm_mode_is remote
check "impostor: sekishod stopped" lab_stop sekishod
rm -f "$NETVM_SOCK"
lines=$(wc -l <"$log")
check "impostor: sekishod starts with the credulous probe and the lying checker" \
	liar_start fast -V "$LYING_VERIFIER"
check "impostor, lying checker: office mode (the checker is trusted)" netvm_wait_mode office 10
check "impostor, lying checker: log says the beacon verified" logged "uplink up0: beacon tokyo-3f verified"
check "impostor, lying checker: sekishod stopped" lab_stop sekishod
check "office: up0 plugged back into the office LAN" lab_plug up0 office

# ---- control: the real probe on the same LAN ----------------------------------------------
rm -f "$NETVM_SOCK"
lines=$(wc -l <"$log")
check "real probe: sekishod starts" netvm_start
check "real probe: office mode" netvm_wait_mode office 10
check "real probe: log says the beacon verified" logged "uplink up0: beacon tokyo-3f verified"
check "real probe: the kernel holds the office rule" office_rule

tap_done
