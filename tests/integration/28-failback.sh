#!/bin/bash
# Back to the first gateway, and quiet backoff when none answers (issue 13,
# scope 3), end to end in the lab: a policy with two gateways (gw-tokyo =
# the lab's agency, gw-osaka = agency2) and a gateway-timeout of 5 s.
#  1. gw-tokyo dead at start: the tunnel fails over to gw-osaka.
#  2. gw-tokyo comes back: sekishod, probing it beside the working tunnel
#     (a second peer with no allowed IP), returns to it, one line. Work
#     fetches the LGWAN portal all along; the failed fetches are counted
#     and reported (timing is for benches), not asserted.
#  3. Both dead (a fresh start: no session): after one round, one line
#     "all gateways silent; retrying in N s", then nothing more in a window
#     where the old code logged a line per timeout; the gateways are still
#     tried (the peer changes). Both back: one line, LGWAN again.
# Run against another binary with SEKISHOD=path (relative to the tree),
# e.g. SEKISHOD=../main/build/sekishod: then 2 and 3 fail.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

TIMEOUT_S=5		# the policy's gateway-timeout
WINDOW_S=40		# the quiet window of part 3 (old code: a line every 5 s)

loop_pid=
cleanup() { [ -n "$loop_pid" ] && kill "$loop_pid" 2>/dev/null; netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
if lab_agency2_up; then tap_ok "a second agency gateway (lab_agency2_up)"
else tap_not_ok "a second agency gateway (lab_agency2_up)"; tap_done; exit 1; fi
netvm_env
netvm_boot

POLICY=$LAB_DIR/failback.conf
# Each gateway with its tunnel address (gw-tokyo keeps the lab policy's):
# the liveness probe is the echo (docs/gateway.md, "Liveness"), whose
# address moves with the gateway.
awk -v pub2="$LAB_GW2_PUB" -v ep2="$LAB_GW2_ENDPOINT" -v t="$TIMEOUT_S" -v ta="$LAB_TUNNEL_GW/32" '
	/^gateway "agency-gw" \{/ { print "gateway \"gw-tokyo\" {"; ingw = 1; next }
	ingw && /^\}/ { print; printf "gateway \"gw-osaka\" {\n\tendpoint %s\n\tpublic-key \"%s\"\n\ttunnel-address %s\n}\n", ep2, pub2, ta; ingw = 0; next }
	{ print }
	END { printf "timers {\n\tgateway-timeout %s\n}\n", t }' "$LAB_DIR/policy.conf" >"$POLICY"
check "the two-gateway policy is valid" build/sekisho-policy check "$POLICY"

LOG=$LAB_DIR/log/sekishod.log
count_lines() { grep -cxF "$1" "$LOG"; }
has_line() { grep -qxF "$1" "$LOG"; }
portal_ok() { work_get "http://$LAB_PORTAL/" 2 | grep -qF "$LAB_PORTAL_MARKER"; }
status_has() { ctl status | grep -qxF "$1"; }
peers() { n netvm wg show "$NETVM_TUN" peers; }

# ---- 1. gw-tokyo dead at start: failover to gw-osaka ---------------------------
lab_gateway_block agency
check "sekishod starts with two gateways" netvm_start "$POLICY"
check "work gets its address" lab_work_dhcp
lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
check "the portal loads from work through gw-osaka" \
	lab_wait_for -t $((TIMEOUT_S + 10)) portal_ok
check "status: gw-osaka (2 of 2)" \
	status_has "  gateway:  gw-osaka (2 of 2, gw-tokyo gave no handshake)"

# ---- 2. gw-tokyo back: the tunnel returns to it -------------------------------
# Work fetches the portal every 200 ms (a new TCP connection each time)
# until the move is done; each outcome one line.
FETCHES=$LAB_DIR/fetches
: >"$FETCHES"
(
	while :; do
		if portal_ok; then echo ok; else echo lost; fi >>"$FETCHES"
		sleep 0.2
	done
) &
loop_pid=$!
BACK="sekishod: gateway \"gw-tokyo\" answers again, the first in order: back to it over up0 (was \"gw-osaka\")"
lab_gateway_unblock agency
t0=$(ms_now)
check "gw-tokyo back: sekishod returns to it, one line" \
	lab_wait_for -t 60 has_line "$BACK"
t1=$(ms_now)
# three fetches after the move (the last check reads them), not a guess at
# how long three take
n_moved=$(wc -l <"$FETCHES")
fetched_after() { [ "$(wc -l <"$FETCHES")" -ge $((n_moved + 3)) ]; }
lab_wait_for -t 30 fetched_after
kill "$loop_pid"; wait "$loop_pid" 2>/dev/null; loop_pid=
echo "# failback: gw-tokyo unblocked -> the line (or the wait gave up) in $((t1 - t0)) ms;" \
	"work's portal fetches: $(grep -c '^ok$' "$FETCHES") ok, $(grep -c '^lost$' "$FETCHES") lost"
check "... exactly one such line" [ "$(count_lines "$BACK")" = 1 ]
check "the tunnel's only peer is gw-tokyo's, at its endpoint" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN endpoints)\" = \"\$(printf '%s\t%s' '$LAB_GW_PUB' '$LAB_GW_ENDPOINT')\" ]"
check "... with the LGWAN prefixes and its tunnel address as its allowed IPs" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN allowed-ips | cut -f2 | tr ' ' '\n' | sort | tr '\n' ' ')\" = '10.64.0.0/16 10.65.0.0/16 $LAB_TUNNEL_GW/32 172.20.0.0/16 ' ]"
check "status: gw-tokyo (1 of 2)" status_has "  gateway:  gw-tokyo (1 of 2)"
check "work reaches LGWAN after the move" lab_wait_for -t 5 portal_ok
check "the portal fetches that followed the move all loaded" bash -c \
	"[ \"\$(tail -n 3 '$FETCHES' | grep -c '^ok$')\" = 3 ]"

# ---- 3. both dead: one line, then quiet backoff; both back: recovers ----------
lab_stop sekishod
lab_gateway_block agency
lab_gateway_block agency2
: >"$LOG"
SILENT="sekishod: all gateways silent; retrying in $((TIMEOUT_S + 1)) s"
check "sekishod starts again, both gateways dead" netvm_start "$POLICY"
check "mode becomes remote" netvm_wait_mode remote
check "after one round: \"$SILENT\"" lab_wait_for -t $((3 * TIMEOUT_S)) has_line "$SILENT"
before=$(wc -l <"$LOG")
peer0=$(peers)
changed=0
for _ in $(seq "$WINDOW_S"); do
	sleep 1
	[ "$(peers)" != "$peer0" ] && changed=1
done
new=$(tail -n +"$((before + 1))" "$LOG" | grep '^sekishod: ')
echo "# both dead: $(printf '%s' "$new" | grep -c .) lines in ${WINDOW_S} s after the silent line"
printf '%s\n' "$new" | sed 's/^/#   /'
check "both dead: no gateway line in ${WINDOW_S} s after it (the old code: one per timeout)" \
	bash -c "! printf '%s\n' \"\$1\" | grep -q '^sekishod: gateway '" _ "$new"
check "both dead: the silent line once" [ "$(count_lines "$SILENT")" = 1 ]
check "both dead: the gateways are still tried (the peer changed)" [ "$changed" = 1 ]
check "both dead: the tunnel never has more than one peer" [ "$(peers | wc -l)" = 1 ]
lab_gateway_unblock agency
lab_gateway_unblock agency2
answered() { grep -qE '^sekishod: gateway "gw-(tokyo|osaka)" answered after [0-9]+ s of silence from every gateway$' "$LOG"; }
check "both back: one line says which answered" lab_wait_for -t 30 answered
check "both back: LGWAN reachable from work" lab_wait_for -t 10 portal_ok
check "both back: still one silent line" [ "$(count_lines "$SILENT")" = 1 ]
lab_stop sekishod

tap_done
