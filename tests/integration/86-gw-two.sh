#!/bin/bash
# Two sekisho-gw on one PostgreSQL registry (issue 13, item 3): the lab's
# agency and agency2 each run one, the lab's laptop (sekishod, a policy
# with both gateways in failover order) signs on through the first; the
# second admits it at the same stage (the session lives in the registry).
# The first dies while the laptop is idle (its namespace drops the tunnel's
# UDP, its sekisho-gw and its WireGuard are stopped): the laptop, not restarted, notices it by
# a probe of its quiet tunnel and fails over to the second, and its session
# holds: the portal (an lgwan service) still loads. Closed at the second: the portal is refused, the
# authentication server (prelogon) is not. A revocation reaches both.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/lab/pg.sh
. tests/integration/lib.sh

PGDIR=""
cleanup() { netvm_cleanup; [ -n "$PGDIR" ] && pg_stop "$PGDIR"; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
PGDIR=$(mktemp -d /tmp/sekisho-gwpg.XXXXXX) && chmod 0755 "$PGDIR"
pg_start "$PGDIR" || { echo "not ok 1 - PostgreSQL"; exit 1; }
LAB_GW_REGISTRY=$PG_URL
if lab_gw_up; then tap_ok "the first gateway: sekisho-gw on a PostgreSQL registry"
else tap_not_ok "the first gateway: $(tail -3 "$LAB_DIR/log/agency-gw.log")"; tap_done; exit 1; fi
if lab_agency2_up; then tap_ok "a second agency (lab_agency2_up)"
else tap_not_ok "a second agency"; tap_done; exit 1; fi
SOCK2=$LAB_DIR/gw/session2.sock
gw2() { "$LAB_BUILD/sekisho-gw" -s "$SOCK2" "$@"; }
start_gw2() {
	lab_spawn agency2-gw agency2 "$LAB_BUILD/sekisho-gw" run -d -r "$PG_URL" \
		-i "$LAB_WG_GW2" -k "$LAB_DIR/gateway2.key" -s "$SOCK2" &&
	lab_wait_for -t 10 gw2 status
}
check "the second gateway: sekisho-gw on the same registry" start_gw2

# the lab's group with stages: the authentication server before sign-on,
# the portal only for a signed-on user
{
	sed -e '/^serial /d' -e '/^device {/,/^}/d' "$LAB_POLICY"
	cat <<-EOF
	service "logon" {
		class prelogon
		to $LAB_AUTH/32
		tcp 80
	}
	service "portal" {
		class lgwan
		to $LAB_PORTAL/32
		tcp 80
	}
	EOF
} >"$LAB_DIR/gw/staged.tmpl"
check "group lab: stages (group set)" lab_gw_prov group set lab "$LAB_DIR/gw/staged.tmpl"
check "staff S0001" lab_gw_prov user add S0001 --name "Lab User"
has_logon_rule() { n "$1" nft list chain inet sekisho_gw forward | grep -qF 'comment "prelogon logon"'; }
both_reloaded() { has_logon_rule agency && has_logon_rule agency2; }
check "both gateways reload their rules from the registry's change" lab_wait_for -t 10 both_reloaded

# ---- the laptop: both gateways in its policy, gw-tokyo first -----------------------
netvm_env
netvm_boot
POLICY=$LAB_DIR/two.conf
awk -v pub2="$LAB_GW2_PUB" -v ep2="$LAB_GW2_ENDPOINT" '
	/^gateway "agency-gw" \{/ { print "gateway \"gw-tokyo\" {"; ingw = 1; next }
	ingw && /^\}/ { print; printf "gateway \"gw-osaka\" {\n\tendpoint %s\n\tpublic-key \"%s\"\n}\n", ep2, pub2; ingw = 0; next }
	{ print }
	END { printf "timers {\n\tgateway-timeout 5\n}\n" }' "$LAB_DIR/policy.conf" >"$POLICY"
check "sekishod starts with two gateways" netvm_start "$POLICY"
check "work gets its address" lab_work_dhcp
lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
auth_ok() { work_get "http://$LAB_AUTH/" 2 >/dev/null; }
portal_ok() { work_get "http://$LAB_PORTAL/" 2 | grep -qF "$LAB_PORTAL_MARKER"; }
no_portal() { ! portal_ok; }
check "stage 1 through gw-tokyo: the authentication server" lab_wait_for -t 15 auth_ok
check "stage 1: not the portal" no_portal
check "session open at the first gateway" lab_gw session open laptop S0001 --lifetime 600 --factor card
check "stage 2: the portal loads" lab_wait_for -t 5 portal_ok
stage2_at_gw2() { gw2 status | awk '$1 == "laptop" { exit $3 != 2 }'; }
check "the second gateway admits the laptop at stage 2 too (the registry's session)" \
	lab_wait_for -t 10 stage2_at_gw2
check "... with the session's lifetime in its kernel" bash -c \
	"ip netns exec $NS_AGENCY2 nft list set inet sekisho_gw signed_on | grep -qF '${LAB_TUNNEL_DEVICE%/32} timeout'"

# ---- the first gateway dies while the laptop is idle ------------------------------------
# Nothing restarts on the laptop: its tunnel goes quiet; sekishod probes it
# (one datagram after 20 s with nothing from the gateway), gets no answer
# within 15 s and moves to gw-osaka (engine.h, "A quiet tunnel"), long
# before handshake-stale (180 s). The laptop sends nothing meanwhile.
SKPID=$(lab_pid sekishod)
lab_gateway_block agency
lab_stop agency-gw
lab_stop agency-wg	# its WireGuard too: nothing comes from gw-tokyo any more
via_gw2() { [ "$(n netvm wg show "$NETVM_TUN" endpoints | cut -f2)" = "$LAB_GW2_ENDPOINT" ]; }
check "the idle laptop moves to gw-osaka on its own (probe unanswered: within 20 + 15 s and a poll)" \
	lab_wait_for -t 90 via_gw2
check "the log says why, one line" grep -qF \
	"gateway \"gw-tokyo\" is gone: nothing from it for 35 s over" "$LAB_DIR/log/sekishod.log"
same_sekishod() { [ -n "$SKPID" ] && [ "$(lab_pid sekishod)" = "$SKPID" ]; }
check "the same sekishod all along, not restarted" same_sekishod
check "its session holds: the portal loads through the second gateway" lab_wait_for -t 15 portal_ok
check "the second gateway saw its handshake" bash -c \
	"ip netns exec $NS_AGENCY2 wg show $LAB_WG_GW2 latest-handshakes | awk -v k=$LAB_DEVICE_PUB '\$1 == k && \$2 > 0' | grep -q ."
check "session close at the second gateway" gw2 session close laptop --why "signed off"
check "stage 1 again: the portal is refused" lab_wait_for -t 5 no_portal
check "the authentication server still answers" auth_ok

# ---- a revocation reaches every gateway ----------------------------------------------
check "device revoke laptop" lab_gw_prov device revoke laptop --reason "reported stolen"
gone_gw2() { ! n agency2 wg show "$LAB_WG_GW2" peers | grep -qxF "$LAB_DEVICE_PUB"; }
check "the second gateway dropped its peer" lab_wait_for -t 5 gone_gw2
check "the laptop reaches nothing any more" bash -c "! ip netns exec $NS_WORK curl -sS -m 2 http://$LAB_AUTH/ >/dev/null 2>&1"
[ "$TAP_FAILED" -gt 0 ] && { echo "# sekishod:"; tail -15 "$LAB_DIR/log/sekishod.log" | sed "s/^/#   /"; echo "# agency2-gw:"; tail -8 "$LAB_DIR/log/agency2-gw.log" | sed "s/^/#   /"; n agency2 wg show "$LAB_WG_GW2" | sed "s/^/#   /"; }
tap_done
