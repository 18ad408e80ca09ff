#!/bin/bash
# Two sekisho-gw on one PostgreSQL registry (issue 13, item 3): the lab's
# agency and agency2 each run one, the lab's laptop (sekishod, a policy
# with both gateways in failover order) signs on through the first; the
# second admits it at the same stage (the session lives in the registry).
# The first goes deaf: its namespace drops the laptop's UDP, while its
# WireGuard keeps sending to the laptop (a keepalive every second) and its
# sekisho-gw runs on, so WireGuard's counters on the laptop keep moving.
# The laptop, not restarted, notices it by its liveness probe, an ICMP
# echo to the gateway's tunnel address that only a gateway that hears the
# laptop answers (docs/gateway.md, "Liveness"), and fails over to the
# second, and its session holds: the portal (an lgwan service) still
# loads. Closed at the second: the portal is refused, the authentication
# server (prelogon) is not. Before that, the first hears the laptop again
# and the laptop returns to it; then the first is killed (its sekisho-gw
# and wireguard-go, kill -9) and the laptop fails over again, signed on.
# A revocation reaches the second (84-gw shows a gateway's own).
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
# Each gateway's own tunnel address (the probe's echo goes to it;
# gw-tokyo keeps the lab policy's); a
# handshake-stale of 600 s, so that only the probe can move the laptop
# within the wait below (the stale course would, after 600 s).
awk -v pub2="$LAB_GW2_PUB" -v ep2="$LAB_GW2_ENDPOINT" -v ta="$LAB_TUNNEL_GW/32" '
	/^gateway "agency-gw" \{/ { print "gateway \"gw-tokyo\" {"; ingw = 1; next }
	ingw && /^\}/ { print; printf "gateway \"gw-osaka\" {\n\tendpoint %s\n\tpublic-key \"%s\"\n\ttunnel-address %s\n}\n", ep2, pub2, ta; ingw = 0; next }
	{ print }
	END { printf "timers {\n\tgateway-timeout 5\n\thandshake-stale 600\n}\n" }' "$LAB_DIR/policy.conf" >"$POLICY"
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

# ---- the first gateway goes deaf: it still sends, it no longer receives ------------------
# Its namespace drops the laptop's UDP (from the address the gateway sees
# it at); its WireGuard keeps a keepalive going to the laptop every second,
# so the laptop's WireGuard keeps receiving from it: a probe judged by
# WireGuard's counters (rx) would never call it quiet, and the laptop
# would leave only at handshake-stale. The echo probe asks for an answer
# only a gateway that hears the laptop sends: after 20 s with no proof
# (echo answer or handshake), an echo, sent again every 5 s; none
# answered within 15 s: gw-osaka (engine.h, "A quiet tunnel").
SKPID=$(lab_pid sekishod)
has_allowed() {	# KEY ADDRESS/LEN: among that peer's allowed IPs in the netvm
	n netvm wg show "$NETVM_TUN" allowed-ips |
		awk -v k="$1" -v a="$2" '$1 == k { for (i = 2; i <= NF; i++) if ($i == a) f = 1 } END { exit !f }'
}
check "the laptop's policy gives gw-tokyo's tunnel address to its peer (the echo's way)" \
	has_allowed "$LAB_GW_PUB" "$LAB_TUNNEL_GW/32"
check "the netvm's own echo to it, out of the tunnel, is answered" \
	n netvm ping -n -c 1 -W 5 -I "$NETVM_TUN" "$LAB_TUNNEL_GW"
check "work's is refused: the echo is the netvm's, not work's" bash -c \
	"! ip netns exec $NS_WORK ping -n -c 1 -W 2 $LAB_TUNNEL_GW"
# sekishod's own probe of a gateway that hears it: its echo reaches
# gw-tokyo's "liveness" rule (20 s after the last word; the ping above
# was the test's own, one packet) and the laptop stays.
liveness_n() { n agency nft list chain inet sekisho_gw input | awk '/comment "liveness"/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }
probed() { [ "$(liveness_n)" -ge 2 ] 2>/dev/null; }
check "sekishod's echo reaches gw-tokyo (its liveness rule counts it)" lab_wait_for -t 60 probed
via_gw1() { [ "$(n netvm wg show "$NETVM_TUN" endpoints | cut -f2)" = "$LAB_GW_ENDPOINT" ]; }
check "the laptop is still with gw-tokyo" via_gw1
laptop_at=$(n agency wg show "$LAB_WG_GW" endpoints | awk -v k="$LAB_DEVICE_PUB" '$1 == k { sub(/:[0-9]+$/, "", $2); print $2 }')
deafen() {
	[ -n "$laptop_at" ] && n agency nft -f - <<-EOT
	table inet labdeaf {
		chain input {
			type filter hook input priority -10; policy accept;
			ip saddr $laptop_at udp dport $LAB_GW_PORT counter drop
		}
	}
	EOT
}
check "gw-tokyo keeps sending: a keepalive to the laptop every second" \
	n agency wg set "$LAB_WG_GW" peer "$LAB_DEVICE_PUB" persistent-keepalive 1
t_cut=$(date +%s%N)
check "gw-tokyo drops the laptop's UDP (from $laptop_at)" deafen
rx_tokyo() { n netvm wg show "$NETVM_TUN" transfer | awk -v k="$LAB_GW_PUB" '$1 == k { print $2 }'; }
rx0=$(rx_tokyo)
rx_grew() { [ "$(rx_tokyo)" -gt "${rx0:-0}" ] 2>/dev/null; }
check "the laptop still receives from gw-tokyo (its rx counter grows)" lab_wait_for -t 10 rx_grew
via_gw2() { [ "$(n netvm wg show "$NETVM_TUN" endpoints | cut -f2)" = "$LAB_GW2_ENDPOINT" ]; }
check "the laptop moves to gw-osaka on its own (echo unanswered: within 20 + 15 s and a poll)" \
	lab_wait_for -t 90 via_gw2
echo "# deaf gateway: cut -> the laptop's peer is gw-osaka in $(( ($(date +%s%N) - t_cut) / 1000000 )) ms (reported, not asserted)"
check "the log says why, one line (and none before the cut: its echoes were answered)" bash -c \
	"[ \"\$(grep -cF 'gateway \"gw-tokyo\" is gone: it has not heard us for 35 s over up0 (no answer to its echo, no handshake; no other uplink), trying \"gw-osaka\"' '$LAB_DIR/log/sekishod.log')\" = 1 ] &&
	 [ \"\$(grep -c 'is gone' '$LAB_DIR/log/sekishod.log')\" = 1 ]"
check "gw-tokyo's namespace dropped the laptop's packets meanwhile" bash -c "[ \"\$(ip netns exec $NS_AGENCY nft list chain inet labdeaf input | grep -oE 'packets [0-9]+' | cut -d' ' -f2)\" -gt 0 ]"
same_sekishod() { [ -n "$SKPID" ] && [ "$(lab_pid sekishod)" = "$SKPID" ]; }
check "the same sekishod all along, not restarted" same_sekishod
check "its session holds: the portal loads through the second gateway" lab_wait_for -t 15 portal_ok
address_moved() { has_allowed "$LAB_GW2_PUB" "$LAB_TUNNEL_GW/32" && ! has_allowed "$LAB_GW_PUB" "$LAB_TUNNEL_GW/32"; }
check "gw-osaka's peer holds the tunnel address now, gw-tokyo's probe peer none" address_moved
check "the second gateway saw its handshake" bash -c \
	"ip netns exec $NS_AGENCY2 wg show $LAB_WG_GW2 latest-handshakes | awk -v k=$LAB_DEVICE_PUB '\$1 == k && \$2 > 0' | grep -q ."

# ---- the first gateway back, then killed -----------------------------------------------
# gw-tokyo hears the laptop again: on a backup, sekishod asks the first
# gateway every 10 s without cutting the working tunnel and returns to it
# once it answers (28-failback). Then gw-tokyo dies as a machine does:
# its sekisho-gw and its wireguard-go killed (kill -9), nothing answers at
# its port any more. The laptop, not restarted, moves to gw-osaka again,
# and its session holds there: the registry's session, which gw-osaka
# followed all along (issue 13: "kill the first, the laptop fails over
# and its session holds").
check "gw-tokyo hears the laptop again (its drop removed)" n agency nft delete table inet labdeaf
check "the laptop returns to gw-tokyo, the first in order" lab_wait_for -t 60 via_gw1
check "its session holds there: the portal loads through gw-tokyo" lab_wait_for -t 15 portal_ok
GW1=$(lab_pid agency-gw) WG1=$(lab_pid agency-wg)
# (this shell's jobs: disowned, so that their end goes without the
# shell's "Killed" lines)
disown "$GW1" "$WG1" 2>/dev/null
kill_tokyo() { kill -9 "${GW1:-none}" "${WG1:-none}"; }
check "gw-tokyo dies: kill -9 its sekisho-gw (pid ${GW1:-none}) and its wireguard-go (pid ${WG1:-none})" kill_tokyo
check "... both gone" lab_wait_for -t 10 bash -c "! kill -0 ${GW1:-none} 2>/dev/null && ! kill -0 ${WG1:-none} 2>/dev/null"
t_kill=$(date +%s%N)
check "the laptop moves to gw-osaka on its own" lab_wait_for -t 90 via_gw2
echo "# dead gateway: kill -> the laptop's peer is gw-osaka in $(( ($(date +%s%N) - t_kill) / 1000000 )) ms (reported, not asserted)"
check "the log says gw-tokyo is gone again, one more line" bash -c \
	"[ \"\$(grep -c 'gateway \"gw-tokyo\" is gone' '$LAB_DIR/log/sekishod.log')\" = 2 ]"
check "the same sekishod all along, not restarted" same_sekishod
check "its session holds: the portal loads through gw-osaka" lab_wait_for -t 15 portal_ok
check "gw-osaka still has the laptop at stage 2 (signed_on)" bash -c \
	"ip netns exec $NS_AGENCY2 nft list set inet sekisho_gw signed_on | grep -qF '${LAB_TUNNEL_DEVICE%/32} timeout'"

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
