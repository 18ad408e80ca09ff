#!/bin/bash
# The employee's preferred uplink (issue 15, item 2; docs/control.md
# "Uplink preference", docs/agent.md): in the lab, with the wired uplink
# up0 on the home LAN (priority 300) and the WWAN-like up2 on the LTE
# segment (priority 100), the agent in the work namespace asks sekishod's
# frontend on the work link (TCP 172.30.0.1:51834):
#
#  - `prefer up2`: the tunnel moves to up2: the netvm's frames into the
#    LTE segment count the tunnel's packets (the lab's leak counters) and
#    none go into the home LAN; one log line; status shows it;
#  - the ruleset in force is byte for byte the one the policy itself
#    gives over up2 (up0 unplugged, no preference): a preference adds no
#    rule, it only chooses which allowed uplink carries the tunnel;
#  - `prefer auto`: back over up0;
#  - a name that is no uplink (and the work link itself), an uplink with
#    no carrier: the exact refusal line, nothing changes (rules, status);
#    a reload from work is refused;
#  - office mode (up0 plugged into the office LAN, the beacon verified):
#    `prefer up2` is refused with its exact line and office mode stays.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS="office lte" lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

AGENT=$PWD/build/sekisho-agent
agent() { n work "$AGENT" "$@" --netvm "$LAB_WORK_ROUTER"; }
log() { cat "$LAB_DIR/log/sekishod.log"; }
count_lines() { log | grep -cxF "$1"; }
# The table as the kernel holds it, counters and timeouts left out.
rules() { netvm_rules | sed -E 's/ counter packets [0-9]+ bytes [0-9]+//; s/ expires [0-9a-z]+//g'; }
active_is() { ctl status --json | grep -qF "\"uplink\":\"$1\""; }
remote_over() { netvm_mode_is remote && active_is "$1" &&
	ip -n "$NS_NETVM" route get "${LAB_GW_ENDPOINT%:*}" | grep -qF "dev $1"; }
said() {	# EXIT LINE ARGS...: the agent's last line is LINE, its status EXIT
	local want_rc=$1 want=$2 out rc
	shift 2
	out=$(agent "$@" 2>&1); rc=$?
	[ "$rc" = "$want_rc" ] && [ "$(printf '%s\n' "$out" | tail -n 1)" = "$want" ] ||
		{ echo "exit $rc (want $want_rc): $out"; echo "want: $want"; return 1; }
}
portal_ok() { work_get "http://$LAB_PORTAL/" 2 | grep -qF "$LAB_PORTAL_MARKER"; }
tunnel_pkts() { lab_leak "$1" tunnel; }

check "sekishod starts" netvm_start
check "work gets its address by DHCP" lab_work_dhcp
check "up2 plugged into the LTE segment" lab_plug up2 lte
both_leases() { lab_uplink_dhcp up0 && lab_uplink_dhcp up2; }
check "up0 (home) and up2 (LTE) have leases" both_leases
check "remote over up0 (wired beats WWAN)" lab_wait_for -t 10 remote_over up0
check "the portal loads from work" lab_wait_for -t 10 portal_ok

# ---- from work: the uplinks, as the agent reads them -------------------------
listed() {	# the agent's list: up0 active, none preferred; or up2 both
	local out
	out=$(agent uplinks) || { echo "$out"; return 1; }
	printf '%s\n' "$out"
	if [ -z "${1:-}" ]; then
		printf '%s\n' "$out" | grep -qxF 'up0 (priority 300, carrier, address, active)' &&
		printf '%s\n' "$out" | grep -qxF 'up2 (priority 100, carrier, address)'
	else
		printf '%s\n' "$out" | grep -qxF 'up0 (priority 300, carrier, address)' &&
		printf '%s\n' "$out" | grep -qxF 'up2 (priority 100, carrier, address, active, preferred)'
	fi &&
	printf '%s\n' "$out" | grep -qxF 'up1 (priority 200, no carrier)' &&
	[ "$(printf '%s\n' "$out" | tail -n 1)" = "Preferred uplink: ${1:-none (automatic)}." ]
}
check "the agent lists the netvm's uplinks (up0 active, none preferred)" listed

# ---- prefer up2: the tunnel moves ----------------------------------------------
lab_leak_reset home
lab_leak_reset lte
check "prefer up2: accepted, the tunnel runs over up2" said 0 \
	"accepted: up2 is the preferred uplink; the tunnel runs over up2" prefer up2
check "the tunnel's endpoint is routed over up2" lab_wait_for -t 5 remote_over up2
check "the portal loads from work through the tunnel over up2" lab_wait_for -t 15 portal_ok
lab_leak_reset home
lab_leak_reset lte
check "LGWAN traffic from work after the move" portal_ok
lte_counted() { local p; p=$(lab_leak lte tunnel); echo "lte tunnel=$p"; [ "$p" -gt 0 ]; }
home_none() { lab_leaks home; [ "$(lab_leak home tunnel)" = 0 ]; }
no_leak() { lab_leaks all; [ "$(lab_leak home leak)" = 0 ] && [ "$(lab_leak lte leak)" = 0 ]; }
check "the LTE segment counted the tunnel's packets" lte_counted
check "the home LAN counted none of them" home_none
check "and nothing but DHCP, ARP and the tunnel left on either: leak=0" no_leak
check "one log line says so" [ "$(count_lines \
	"sekishod: uplink preference: up2 (was automatic); the tunnel runs over up2")" = 1 ]
status_shows() { ctl status | grep -qxF "preferred uplink: $1"; }
check "sekishoctl status shows it" status_shows up2
check "... and its JSON" eval 'ctl status --json | grep -qF "\"preferred_uplink\":\"up2\""'
check "... and the agent's list (up2 active and preferred)" listed up2
check "again: unchanged" said 0 \
	"unchanged: up2 is the preferred uplink already; the tunnel runs over up2" prefer up2
R_PREF=$(rules)

# ---- refusals: nothing changes -------------------------------------------------
check "a name that is no uplink: refused" said 1 \
	"refused: eth9 is not an uplink (up0, up1, up2); nothing changed" prefer eth9
check "the work link is no uplink: refused" said 1 \
	"refused: wk0 is not an uplink (up0, up1, up2); nothing changed" prefer wk0
check "the tunnel is no uplink: refused" said 1 \
	"refused: $NETVM_TUN is not an uplink (up0, up1, up2); nothing changed" prefer "$NETVM_TUN"
check "an uplink with no carrier (up1): refused" said 1 \
	"refused: up1 cannot carry the tunnel now (no carrier); nothing changed" prefer up1
check "wifi: the lab's names are no Wi-Fi names: the agent says so, asks nothing" said 1 \
	"Not preferred: no Wi-Fi uplink on this laptop (uplinks: up0, up1, up2); name one." prefer wifi
check "not an interface name: the agent refuses it (usage)" said 2 \
	"sekisho-agent: prefer a;b is not an interface name" prefer 'a;b'
check "the rules are exactly as they were" [ "$(rules)" = "$R_PREF" ]
check "still over up2, still preferred" eval 'remote_over up2 && status_shows up2'
check "no other preference was logged" [ "$(log | grep -c 'uplink preference:')" = 1 ]
raw() { n work python3 -c 'import socket, sys
s = socket.create_connection((sys.argv[1], 51834), 2)
s.sendall(sys.argv[2].encode().decode("unicode_escape").encode("latin1"))
d = b""
while True:
    b = s.recv(65536)
    if not b: break
    d += b
sys.stdout.write(d[10:].decode())' "$LAB_WORK_ROUTER" "$1"; }
raw_is() { local got; got=$(raw "$1"); [ "$got" = "$2" ] || { echo "got: $got"; return 1; }; }
E='error: unknown request (try "status", "status json", "reload" or "prefer UPLINK|auto")'
check "reload from work: refused (only root, on the netvm)" raw_is 'reload\n' \
	'error: reload: only root may ask for it'
check "two names: the error line" raw_is 'prefer up0 up2\n' "$E"
check "a NUL in the name: the error line" raw_is 'prefer up\x000\n' "$E"
check "a line over 64 bytes: the error line" raw_is "prefer $(printf 'u%.0s' {1..70})\n" "$E"
check "the rules are still exactly as they were" [ "$(rules)" = "$R_PREF" ]

# ---- auto: the policy's order ----------------------------------------------------
check "prefer auto: accepted, back over up0" said 0 \
	"accepted: no uplink is preferred, the policy's order; the tunnel runs over up0" prefer auto
check "the tunnel's endpoint is routed over up0 again" lab_wait_for -t 5 remote_over up0
check "status shows no preference" eval '! ctl status | grep -q "preferred uplink"'
check "logged" [ "$(count_lines "sekishod: uplink preference: automatic (was up2); the tunnel runs over up0")" = 1 ]

# ---- the same rules as the policy's own over up2 -----------------------------------
check "up0 unplugged: remote over up2 by the policy's order" lab_uplink_unplug up0
check "... the tunnel over up2" lab_wait_for -t 10 remote_over up2
check "the preference's rules are exactly the policy's own over up2 (no rule added)" \
	[ "$(rules)" = "$R_PREF" ]
check "up0 back: over up0" lab_uplink_plug up0
check "... the tunnel over up0" lab_wait_for -t 10 remote_over up0

# ---- office mode is never left for a preference ------------------------------------
check "prefer up2 (before the office)" said 0 \
	"accepted: up2 is the preferred uplink; the tunnel runs over up2" prefer up2
check "up0 plugged into the office LAN" lab_plug up0 office
check "office mode over up0, the preference notwithstanding" netvm_wait_mode office 10
check "a preference in office mode: refused with its line" said 1 \
	"refused: office mode over up0 (beacon $LAB_BEACON_ID): a proven office LAN is not left for a preference; nothing changed" prefer up2
check "clearing it is allowed, and changes nothing" said 0 \
	"accepted: no uplink is preferred, the policy's order; office mode over up0" prefer auto
check "still office over up0" eval 'netvm_mode_is office && active_is up0'

tap_done
