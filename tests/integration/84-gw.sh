#!/bin/bash
# sekisho-gw at the lab's agency (issue 13), with real packets:
#  - it takes over the running interface by difference (the lab's laptop,
#    sekishod in the netvm, keeps its tunnel) and the laptop reaches LGWAN;
#  - three more laptops (wireguard-go in namespaces of their own) in a
#    group whose policy has a prelogon service (the authentication server)
#    and an lgwan one (the portal): stage 1 reaches only the first; a
#    session opens the portal for that laptop alone; close and expiry end it;
#  - the laptops' liveness probe: an ICMP echo to the gateway's own tunnel
#    address is answered at stage 1 (exactly one packet through the input
#    chain's "liveness" rule); one to another of its addresses is dropped;
#  - a laptop provisioned while the gateway runs connects, no restart;
#  - a revoked laptop's open TCP connection dies, its tracked connections
#    go, it cannot reconnect; the others' handshakes are untouched;
#  - a malformed registry row: one line naming the device, the last good
#    state holds, the others are not touched;
#  - the frontend's keeper killed: one line, the gateway exits (status 1)
#    for its unit to start it again, by difference; a device revoked while
#    the gateway was not following loses its tracked connections in the
#    full sync that follows.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

# check_here DESC CMD...: check, with CMD run in this shell (it sets
# variables the rest of the test uses).
check_here() {
	local desc=$1
	shift
	if "$@" >"$LAB_DIR/check.out" 2>&1; then
		tap_ok "$desc"
	else
		tap_not_ok "$desc"
		tail -n 15 "$LAB_DIR/check.out" | sed 's/^/#   /'
	fi
}
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
check_here "sekisho-gw runs the lab's agency from a registry" lab_gw_up
GWLOG=$LAB_DIR/log/agency-gw.log
gwlog_has() { grep -qF "sekisho-gw: $1" "$GWLOG"; }
check "it admitted the lab's laptop: one sync line, nothing refused" bash -c \
	"[ \"\$(grep -c '' $GWLOG)\" -le 2 ] && grep -qF 'synced with the registry: 1 devices admitted' $GWLOG"

# Confinement (docs/gateway.md): the daemon keeps CAP_NET_ADMIN alone and
# is not dumpable; its one child is the frontend's keeper (root with
# CAP_SETUID, CAP_SETGID, CAP_SETPCAP and CAP_KILL alone, not dumpable);
# the session socket's reader is the keeper's child, as _sekisho-gw, with
# no capability, no_new_privs and a seccomp filter.
proc_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
parent_confined() {
	local p
	p=$(lab_pid agency-gw) || return 1
	[ "$(proc_field "$p" CapEff)" = 0000000000001000 ] &&
	[ "$(proc_field "$p" CapPrm)" = 0000000000001000 ] &&
	[ "$(proc_field "$p" CapBnd)" = 0000000000001000 ] &&
	[ "$(proc_field "$p" Uid)" = 0 ] && [ "$(stat -c %U "/proc/$p/mem")" = root ]
}
check "sekisho-gw keeps CAP_NET_ADMIN alone (effective, permitted, bounding)" parent_confined
keeper_pid() { ps -o pid= --ppid "$(lab_pid agency-gw)" | tr -d ' '; }
frontend_pid() { local k; k=$(keeper_pid) && [ -n "$k" ] && ps -o pid= --ppid "$k" | tr -d ' '; }
keeper_confined() {
	local k
	k=$(keeper_pid) && [ -n "$k" ] &&
	[ "$(proc_field "$k" CapEff)" = 00000000000001e0 ] &&
	[ "$(proc_field "$k" CapPrm)" = 00000000000001e0 ] &&
	[ "$(proc_field "$k" CapBnd)" = 00000000000001e0 ] &&
	[ "$(stat -c %U "/proc/$k/mem")" = root ]
}
check "its frontend's keeper keeps CAP_SETUID, CAP_SETGID, CAP_SETPCAP and CAP_KILL alone" keeper_confined
frontend_confined() {
	local c
	c=$(frontend_pid)
	[ -n "$c" ] && [ "$(proc_field "$c" Uid)" = "$(id -u _sekisho-gw)" ] &&
	[ "$(proc_field "$c" CapEff)" = 0000000000000000 ] &&
	[ "$(proc_field "$c" CapBnd)" = 0000000000000000 ] &&
	[ "$(proc_field "$c" NoNewPrivs)" = 1 ] && [ "$(proc_field "$c" Seccomp)" = 2 ]
}
check "its frontend (the session socket's reader) runs as _sekisho-gw: no capability, no_new_privs, seccomp" \
	frontend_confined

# ---- the lab's laptop: sekishod in the netvm ----------------------------------------
netvm_env
netvm_boot
check "sekishod starts" netvm_start
check "work gets its address" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
portal_ok() { work_get "http://$LAB_PORTAL/" 3 | grep -qF "$LAB_PORTAL_MARKER"; }
check "the lab's laptop reaches the portal through sekisho-gw (its group has no services: all of LGWAN)" \
	lab_wait_for -t 10 portal_ok

# ---- a group with stages ----------------------------------------------------------
ECHO_PORT=9000
{
	sed -e '/^serial /d' -e '/^device {/,/^}/d' "$LAB_POLICY"
	cat <<-EOF
	service "logon" {
		class prelogon
		to $LAB_AUTH/32
		tcp 80,$ECHO_PORT
	}
	service "portal" {
		class lgwan
		to $LAB_PORTAL/32
		tcp 80
	}
	EOF
} >"$LAB_DIR/gw/staged.tmpl"
check "staff S0001 in the registry (sessions are theirs)" lab_gw_prov user add S0001 --name "Lab User"
check "group staged: a prelogon service (the authentication server) and an lgwan one (the portal)" \
	lab_gw_prov group add staged "$LAB_DIR/gw/staged.tmpl" --key-file /etc/sekisho/device.key
declare -A ADDR PUB
mkkey() { (umask 077; wg genkey >"$LAB_DIR/gw/$1.key"); PUB[$1]=$(wg pubkey <"$LAB_DIR/gw/$1.key"); }
add_laptop() {	# NAME: provisioned in group staged
	local out
	mkkey "$1"
	out=$(lab_gw_prov device add "$1" --group staged --pubkey "${PUB[$1]}") || return 1
	ADDR[$1]=${out#* }
	ADDR[$1]=${ADDR[$1]%/32}
}
gw_peers() { n agency wg show "$LAB_WG_GW" peers; }
has_peer() { gw_peers | grep -qxF "$1"; }
GW_PID=$(lab_pid agency-gw)
for l in lt1 lt2; do
	check_here "device add $l while the gateway runs" add_laptop "$l"
done
check "both peers appear at the gateway without a restart" lab_wait_for -t 10 bash -c \
	"ip netns exec $NS_AGENCY wg show $LAB_WG_GW peers | grep -qxF '${PUB[lt1]}' &&
	 ip netns exec $NS_AGENCY wg show $LAB_WG_GW peers | grep -qxF '${PUB[lt2]}'"
check "in group 2's set, not in signed_on" bash -c \
	"ip netns exec $NS_AGENCY nft list set inet sekisho_gw devices_2 | grep -qF '${ADDR[lt1]}' &&
	 ! ip netns exec $NS_AGENCY nft list set inet sekisho_gw signed_on | grep -qF '${ADDR[lt1]}'"
check_here "laptop lt1 up" lab_laptop_up lt1 1 "$LAB_DIR/gw/lt1.key" "${ADDR[lt1]}"
check_here "laptop lt2 up" lab_laptop_up lt2 2 "$LAB_DIR/gw/lt2.key" "${ADDR[lt2]}"

get() { n "$1" curl -sS -m "${3:-3}" "http://$2/"; }
auth_ok() { get "$1" "$LAB_AUTH" >/dev/null; }
portal_from() { get "$1" "$LAB_PORTAL" "${2:-3}" | grep -qF "$LAB_PORTAL_MARKER"; }
no_portal() { ! portal_from "$1" 2; }

# ---- stage 1: prelogon only --------------------------------------------------------
check "stage 1: lt1 reaches the authentication server (prelogon)" lab_wait_for -t 10 auth_ok lt1
check "stage 1: lt2 too" lab_wait_for -t 10 auth_ok lt2
check "stage 1: lt1 does not reach the portal (lgwan)" no_portal lt1
check "stage 1: nor the other LGWAN host" bash -c "! ip netns exec $LAB_PREFIX-lt1 curl -sS -m 2 http://$LAB_LGWAN_HOST/"
drops0=$(n agency nft list chain inet sekisho_gw forward | awk '/iifname .* counter packets .* drop$/ { v = $(NF-3) } END { print v + 0 }')
check "the gateway counted those refusals in its last rule (drop)" bash -c "[ $drops0 -gt 0 ]"

# ---- the laptops' liveness probe: an echo to the gateway's own tunnel address ------
# sekishod's probe of a quiet tunnel pings the gateway's tunnel address
# (docs/gateway.md, "Liveness"): the input chain takes exactly that, at
# any stage (lt1 has no session), and nothing else addressed to the
# gateway: an echo to its LGWAN side (routed into lt1's tunnel for this
# check) is dropped by the chain's last rule. One ping each: within one
# ping's flow, later requests would be "established".
LT1_IF=${LAB_PREFIX}l1
lt1_allowed=""
for p in $LAB_LGWAN_PREFIXES; do lt1_allowed+="${lt1_allowed:+,}$p"; done
in_counter() {	# packets of the input chain's rule matching $1
	n agency nft list chain inet sekisho_gw input |
		awk -v pat="$1" '$0 ~ pat { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
live_n() { in_counter 'comment "liveness"'; }
drop_n() { in_counter 'counter packets [0-9]+ bytes [0-9]+ drop$'; }
check "the gateway's input chain: echo requests to its own tunnel address alone, counted" bash -c \
	"ip netns exec $NS_AGENCY nft list chain inet sekisho_gw input | grep -qE '^\s+iifname \"$LAB_WG_GW\" icmp type echo-request fib daddr \. iif type local counter packets [0-9]+ bytes [0-9]+ accept comment \"liveness\"$'"
check "lt1 routes the gateway's tunnel address and its LGWAN side into its tunnel (for this check)" bash -c \
	"ip netns exec $LAB_PREFIX-lt1 wg set $LT1_IF peer $LAB_GW_PUB allowed-ips $lt1_allowed,$LAB_TUNNEL_GW/32,$LAB_AGENCY_LG/32 &&
	 ip -n $LAB_PREFIX-lt1 route add $LAB_TUNNEL_GW/32 dev $LT1_IF src ${ADDR[lt1]} &&
	 ip -n $LAB_PREFIX-lt1 route add $LAB_AGENCY_LG/32 dev $LT1_IF src ${ADDR[lt1]}"
live0=$(live_n) drop0=$(drop_n)
check "stage 1: lt1's echo to the gateway's tunnel address is answered" \
	n lt1 ping -n -c 1 -W 5 "$LAB_TUNNEL_GW"
live_grew() { [ $(( $(live_n) - ${live0:-0} )) = "$1" ]; }
drop_grew() { [ $(( $(drop_n) - ${drop0:-0} )) = "$1" ]; }
check "... through the liveness rule: exactly one more packet" live_grew 1
check "stage 1: an echo to the gateway's LGWAN side is not answered" bash -c \
	"! ip netns exec $LAB_PREFIX-lt1 ping -n -c 1 -W 2 $LAB_AGENCY_LG"
check "... dropped by the input chain's last rule (exactly one)" drop_grew 1
check "... and the liveness rule untouched" live_grew 1

# ---- stage 2: a session ------------------------------------------------------------
check "session open lt1 for S0001" bash -c \
	"[ \"\$($LAB_BUILD/sekisho-gw -s $LAB_GW_SOCK session open lt1 S0001 --lifetime 600 --factor card)\" = 'device lt1: stage 2 for 600 s (S0001)' ]"
check "lt1's address is in signed_on with the session's lifetime as its timeout" bash -c \
	"ip netns exec $NS_AGENCY nft list set inet sekisho_gw signed_on | grep -E '${ADDR[lt1]} timeout (10m|600s)'"
check "stage 2: lt1 reaches the portal" portal_from lt1
check "lt2 (stage 1) still does not" no_portal lt2
listed() { lab_gw session list | grep -E '^lt1 +S0001 +card +[0-9]+s left$'; }
check "session list shows it" listed
status_ok() {
	lab_gw status --json | python3 -c '
import json, sys, time
s = json.load(sys.stdin)
d = {x["name"]: x for x in s["devices"]}
assert s["peers"] == 3 and s["stage2"] == 1 and s["connected"], s
assert d["lt1"]["stage"] == 2 and d["lt2"]["stage"] == 1 and d["lt1"]["handshake"] > 0, d
# the last sync: the start'"'"'s, since the gateway started, not in the future
assert 0 < s["started"] <= s["last_sync"] <= time.time() + 1, s
assert s["seq"] > 0 and s["registry"] == "sqlite" and s["backend"] == "userspace", s
# the sessions: lt1 signed on as S0001 with a card, nobody else
ss = s["sessions"]
assert [(x["device"], x["staff"], x["factor"]) for x in ss] == [("lt1", "S0001", "card")], ss
assert ss[0]["expires"] == d["lt1"]["expires"] and ss[0]["opened"] <= time.time() < ss[0]["expires"], ss
'
}
check "status --json: 3 peers, 1 at stage 2, lt1 at stage 2, lt2 at stage 1; the last sync; lt1's session (S0001, card)" status_ok
status_text() {
	local out
	out=$(lab_gw status) || return 1
	echo "$out"
	grep -qE '^interface [^ ]+ \(userspace\); registry sqlite; last sync [0-9]+ s ago \(feed seq [1-9][0-9]*\)$' <<<"$out" &&
	grep -qE '^peers 3, at stage 2 1, groups [0-9]+, rows skipped 0$' <<<"$out" &&
	grep -qE '^lt1 +[0-9.]+ +2 ' <<<"$out" && grep -qE '^lt2 +[0-9.]+ +1 ' <<<"$out" &&
	[ "$(grep -c 'session:' <<<"$out")" = 1 ] &&
	grep -qE "^  lt1's session: S0001 \(card\), opened [0-9]+s ago, [0-9]+s left$" <<<"$out"
}
check "status: the last sync, peers and stages, and lt1's session under its row" status_text
refused_open() {
	local out
	! out=$(lab_gw session open nosuch S0001 2>&1) && [ "$out" = "sekisho-gw: device nosuch is not admitted here" ]
}
check "a session for a device the gateway does not admit is refused, one line" refused_open
closed() { [ "$(lab_gw session close lt1 --why 'signed off')" = 'device lt1: stage 1' ]; }
check "session close lt1" closed
check "closed: lt1 no longer reaches the portal" no_portal lt1
check "closed: lt1 still reaches the authentication server" auth_ok lt1
check "a short session (2 s) opens the portal" lab_gw session open lt1 S0001 --lifetime 2
check "... which lt1 reaches" portal_from lt1
check "expired: the portal is closed again, by the kernel's timeout" lab_wait_for -t 15 no_portal lt1
stage_of() { lab_gw status | awk -v d="$1" '$1 == d { print $3 }'; }
stage1() { [ "$(stage_of lt1)" = 1 ]; }
check "expired: the gateway says stage 1 too" lab_wait_for -t 5 stage1
check "the log says so, one line" gwlog_has "device lt1: session of S0001 expired: stage 1"

# ---- a device provisioned while the gateway runs -----------------------------------
check_here "device add lt3 while the gateway runs" add_laptop lt3
check_here "laptop lt3 up" lab_laptop_up lt3 3 "$LAB_DIR/gw/lt3.key" "${ADDR[lt3]}"
check "lt3 connects and reaches the authentication server" lab_wait_for -t 15 auth_ok lt3
same_gw() { [ "$(lab_pid agency-gw)" = "$GW_PID" ]; }
check "the same sekisho-gw process all along" same_gw

# ---- a restart changes nothing that did not change -------------------------------
hs() { n agency wg show "$LAB_WG_GW" latest-handshakes | awk -v k="$1" '$1 == k { print $2 }'; }
R1=$(hs "${PUB[lt1]}") R3=$(hs "${PUB[lt3]}") RL=$(hs "$LAB_DEVICE_PUB")
L0=$(grep -c '' "$GWLOG")
restart_gw() { lab_gw_stop && LAB_GW_OPTS="-v -R 1 -K 0" lab_gw_start; }
check "sekisho-gw restarted (-v: it logs each nftables and WireGuard change; -R 1 -K 0: it reports its place every second and prunes the log behind it)" restart_gw
GW_PID=$(lab_pid agency-gw)
same_gw_now() { [ "$(lab_pid agency-gw)" = "$GW_PID" ]; }
by_difference() {
	tail -n +"$((L0 + 1))" "$GWLOG" | grep -q 'sekisho-gw: full sync: ' &&
	tail -n +"$((L0 + 1))" "$GWLOG" | grep -qF 'synced with the registry: 4 devices admitted' &&
	! tail -n +"$((L0 + 1))" "$GWLOG" | grep -q 'sekisho-gw: WireGuard: '
}
check "the restart took the interface over by difference: no WireGuard set at all" by_difference
same_hs() {
	[ "$(hs "${PUB[lt1]}")" = "$R1" ] && [ "$(hs "${PUB[lt3]}")" = "$R3" ] &&
	[ "$(hs "$LAB_DEVICE_PUB")" = "$RL" ] && [ -n "$R1" ] && [ -n "$RL" ]
}
check "every laptop keeps its WireGuard session: the same handshakes" same_hs
check "and its way: lt1 to the authentication server, the lab's laptop to the portal" bash -c \
	"ip netns exec $LAB_PREFIX-lt1 curl -sS -m 3 -o /dev/null http://$LAB_AUTH/ &&
	 ip netns exec $NS_WORK curl -sS -m 3 http://$LAB_PORTAL/ | grep -qF '$LAB_PORTAL_MARKER'"

# ---- the frontend dies: its keeper starts it again ------------------------------
F1=$(frontend_pid)
R1=$(hs "${PUB[lt1]}") R3=$(hs "${PUB[lt3]}") RL=$(hs "$LAB_DEVICE_PUB")
check "kill -9 the frontend (pid ${F1:-none})" kill -9 "${F1:-none}"
check "the log says so, with its backoff" lab_wait_for -t 10 gwlog_has \
	"frontend (pid $F1) killed by signal 9; the session socket is served again in 250 ms"
check "sekisho-gw status works again" lab_wait_for -t 10 lab_gw status
new_frontend() { local c; c=$(frontend_pid) && [ -n "$c" ] && [ "$c" != "$F1" ]; }
check "a new frontend serves it, confined as the first" new_frontend
check "... as _sekisho-gw: no capability, no_new_privs, seccomp" frontend_confined
check "the same sekisho-gw process: its state stayed in force" same_gw_now
check "the peers kept their handshakes" same_hs
check "sessions work again through it" bash -c \
	"$LAB_BUILD/sekisho-gw -s $LAB_GW_SOCK session open lt1 S0001 --lifetime 2 >/dev/null"

# ---- the keeper dies: the gateway exits for its unit to start it again -------------
# (this process gave up the privileges that put a frontend in the sandbox;
# a restart is by difference). Started from this shell to read its status.
restart_here() { lab_gw_stop && LAB_GW_OPTS="-v -R 1 -K 0" lab_gw_start; }
check_here "sekisho-gw started again (from the test's own shell)" restart_here
GW_PID=$(lab_pid agency-gw) K1=$(keeper_pid) F2=$(frontend_pid)
R1=$(hs "${PUB[lt1]}") R3=$(hs "${PUB[lt3]}") RL=$(hs "$LAB_DEVICE_PUB")
check "kill -9 the frontend's keeper (pid ${K1:-none})" kill -9 "${K1:-none}"
check "the gateway says so in one line" lab_wait_for -t 10 gwlog_has \
	"frontend keeper (pid $K1) killed by signal 9: the session socket cannot be served again by this process; exiting for a restart (the interface and the ruleset stay in force)"
gw_gone() { ! kill -0 "$GW_PID" 2>/dev/null; }
check "and exits" lab_wait_for -t 10 gw_gone
gw_failed() { local rc; gw_gone || return 1; wait "$GW_PID"; rc=$?; [ "$rc" = 1 ] || { echo "exit status $rc"; return 1; }; }
check_here "with status 1 (a failure: its unit restarts it, Restart=always)" gw_failed
check "its frontend (pid ${F2:-none}) went with it" lab_wait_for -t 10 bash -c "! kill -0 ${F2:-none} 2>/dev/null"
check "the ruleset stays in force meanwhile" bash -c \
	"ip netns exec $NS_AGENCY nft list set inet sekisho_gw devices_2 | grep -qF '${ADDR[lt1]}'"
check "and every peer, with its handshake" same_hs
check_here "started again, as its unit would" restart_here
check "sekisho-gw status answers: a new frontend serves the socket" lab_wait_for -t 10 lab_gw status
check "... confined as _sekisho-gw: no capability, no_new_privs, seccomp" frontend_confined
check "the restart was by difference: the laptops kept their handshakes" same_hs

# ---- the change log is pruned below the gateway's place ----------------------------
DB=${LAB_GW_REGISTRY#sqlite:}
q() { python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$DB" "$1"; }
seq_of() { lab_gw status --summary --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["seq"])'; }
pruned_to_gw() {
	local s m
	s=$(seq_of) && m=$(q "SELECT value FROM meta WHERE key = 'changes_pruned'") &&
	[ "$m" = "$s" ] && [ "$(q "SELECT count(*) FROM changes WHERE seq <= $s")" = 0 ]
}
check "with -R 1 -K 0 the gateway prunes every row it has passed, none after" lab_wait_for -t 10 pruned_to_gw
check "it reports its place as a follower" bash -c \
	"[ \"\$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM meta WHERE key LIKE ?\", (\"feed_follower:%\",)).fetchone()[0])' $DB)\" = 1 ]"
# a gateway silent longer than -L: the log is pruned past it; back, it finds
# its place gone, says so and syncs once by difference. lt5, revoked
# meanwhile with an open connection, loses its peer and its tracked
# connections in that sync (the engine no longer knows it: the interface
# had its peer at its address)
lab_spawn lgwan-echo lgwan busybox nc -ll -p "$ECHO_PORT" -e cat
echo_up() { n lgwan ss -Hltn "sport = :$ECHO_PORT" | grep -q .; }
lab_wait_for -t 5 echo_up
# a laptop keeps a TCP connection open (holder.py); when the file GO
# appears it sends once more
cat >"$LAB_DIR/gw/holder.py" <<'EOF'
import os, socket, sys, time
host, port, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.create_connection((host, port), timeout=3)
s.sendall(b"one\n")
print("connected" if s.recv(16) == b"one\n" else "odd", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
s.settimeout(3)
try:
    s.sendall(b"two\n")
    print("alive" if s.recv(16) == b"two\n" else "closed", flush=True)
except OSError as e:
    print("dead", type(e).__name__, flush=True)
EOF
check_here "device add lt5" add_laptop lt5
check_here "laptop lt5 up" lab_laptop_up lt5 5 "$LAB_DIR/gw/lt5.key" "${ADDR[lt5]}"
check "lt5 reaches the authentication server" lab_wait_for -t 15 auth_ok lt5
lab_spawn lt5-holder lt5 python3 "$LAB_DIR/gw/holder.py" "$LAB_AUTH" "$ECHO_PORT" "$LAB_DIR/gw/go5"
check "lt5 holds an open TCP connection to LGWAN" lab_wait_for -t 10 grep -qx connected "$LAB_DIR/log/lt5-holder.log"
check "the agency tracks it" bash -c "ip netns exec $NS_AGENCY conntrack -L -s ${ADDR[lt5]} 2>/dev/null | grep -q ESTABLISHED"
R1=$(hs "${PUB[lt1]}") RL=$(hs "$LAB_DEVICE_PUB")
S1=$(seq_of)
check "the gateway stopped (SIGSTOP)" kill -STOP "$(lab_pid agency-gw)"
check_here "device add lt4 meanwhile" add_laptop lt4
check "device revoke lt5 meanwhile" lab_gw_prov device revoke lt5 --reason "lost"
prune_past() { "$LAB_BUILD/sekisho-gw" prune -r "$LAB_GW_REGISTRY" -K 0 -L 0 >/dev/null && [ "$(q "SELECT value FROM meta WHERE key = 'changes_pruned'")" -gt "$S1" ]; }
check "sekisho-gw prune -K 0 -L 0 prunes past it (it is silent)" lab_wait_for -t 10 prune_past
check "the gateway goes on (SIGCONT)" kill -CONT "$(lab_pid agency-gw)"
check "it finds its place pruned and says so: one full sync by difference" lab_wait_for -t 10 grep -qF \
	"sekisho-gw: registry feed: change $((S1 + 1)) was pruned" "$GWLOG"
check "lt4's peer is at the gateway" lab_wait_for -t 10 has_peer "${PUB[lt4]}"
check "lt5's peer is gone from it" lab_wait_for -t 10 bash -c "! ip netns exec $NS_AGENCY wg show $LAB_WG_GW peers | grep -qxF '${PUB[lt5]}'"
check "lt5's tracked connections are gone too, as a revocation's" lab_wait_for -t 5 bash -c \
	"! ip netns exec $NS_AGENCY conntrack -L -s ${ADDR[lt5]} 2>/dev/null | grep -q ."
check "the log says so" gwlog_has "${ADDR[lt5]} (a peer no admitted device has):"
touch "$LAB_DIR/gw/go5"
check "lt5's open TCP connection is dead" lab_wait_for -t 10 grep -q '^dead' "$LAB_DIR/log/lt5-holder.log"
check "the others kept their sessions: the same handshakes" bash -c \
	"[ \"\$(ip netns exec $NS_AGENCY wg show $LAB_WG_GW latest-handshakes | awk -v k='${PUB[lt1]}' '\$1 == k { print \$2 }')\" = '$R1' ] &&
	 [ \"\$(ip netns exec $NS_AGENCY wg show $LAB_WG_GW latest-handshakes | awk -v k='$LAB_DEVICE_PUB' '\$1 == k { print \$2 }')\" = '$RL' ]"
check "and it follows the feed again" lab_wait_for -t 10 pruned_to_gw

# ---- revocation ----------------------------------------------------------------------
GO=$LAB_DIR/gw/go
lab_spawn lt2-holder lt2 python3 "$LAB_DIR/gw/holder.py" "$LAB_AUTH" "$ECHO_PORT" "$GO"
check "lt2 holds an open TCP connection to LGWAN" lab_wait_for -t 10 grep -qx connected "$LAB_DIR/log/lt2-holder.log"
check "the agency tracks it" bash -c "ip netns exec $NS_AGENCY conntrack -L -s ${ADDR[lt2]} 2>/dev/null | grep -q ESTABLISHED"
HS1=$(hs "${PUB[lt1]}") HS3=$(hs "${PUB[lt3]}")
check "lt1 and lt3 have handshakes" bash -c "[ ${HS1:-0} -gt 0 ] && [ ${HS3:-0} -gt 0 ]"
check "device revoke lt2" lab_gw_prov device revoke lt2 --reason "reported stolen"
check "its peer is gone from the gateway" lab_wait_for -t 5 bash -c "! ip netns exec $NS_AGENCY wg show $LAB_WG_GW peers | grep -qxF '${PUB[lt2]}'"
check "its address is out of its group's set" bash -c \
	"! ip netns exec $NS_AGENCY nft list set inet sekisho_gw devices_2 | grep -qF '${ADDR[lt2]}'"
check "its tracked connections are gone (removed right after its peer)" lab_wait_for -t 5 bash -c \
	"! ip netns exec $NS_AGENCY conntrack -L -s ${ADDR[lt2]} 2>/dev/null | grep -q ."
touch "$GO"
check "its open TCP connection is dead" lab_wait_for -t 10 grep -q '^dead' "$LAB_DIR/log/lt2-holder.log"
check "it cannot connect again" bash -c "! ip netns exec $LAB_PREFIX-lt2 curl -sS -m 3 http://$LAB_AUTH/"
check "the log names it" gwlog_has "device lt2: revoked: peer, stages and connections removed"
check "lt1 and lt3 keep their sessions: the same handshakes, and they reach LGWAN" bash -c \
	"[ \"\$(ip netns exec $NS_AGENCY wg show $LAB_WG_GW latest-handshakes | awk -v k='${PUB[lt1]}' '\$1 == k { print \$2 }')\" = '$HS1' ] &&
	 [ \"\$(ip netns exec $NS_AGENCY wg show $LAB_WG_GW latest-handshakes | awk -v k='${PUB[lt3]}' '\$1 == k { print \$2 }')\" = '$HS3' ] &&
	 ip netns exec $LAB_PREFIX-lt1 curl -sS -m 3 -o /dev/null http://$LAB_AUTH/ &&
	 ip netns exec $LAB_PREFIX-lt3 curl -sS -m 3 -o /dev/null http://$LAB_AUTH/"

# ---- a malformed registry row ---------------------------------------------------------
# a writer that went wrong: the row and its line in the change log, in
# one transaction, as every writer of the registry does
sql() {
	python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute(sys.argv[2])
c.execute("INSERT INTO changes (kind, object, op, at) VALUES (?, ?, ?, ?)", ("device", sys.argv[3], "key", int(time.time())))
c.commit()' "$DB" "$1" "$2"
}
check "lt1's key garbled in the database" sql "UPDATE devices SET pubkey = 'not-a-key' WHERE name = 'lt1'" lt1
check "lt3's address moved outside the pool in the database" sql "UPDATE devices SET addr4 = '10.99.0.3/32' WHERE name = 'lt3'" lt3
check "one line names lt1 and the field" lab_wait_for -t 10 gwlog_has \
	"device lt1: registry row skipped: pubkey: not a WireGuard key (44 characters of base64) (its last good state stays)"
check "one line names lt3 and the field" lab_wait_for -t 10 gwlog_has \
	"device lt3: registry row skipped: addr4: 10.99.0.3 is outside the pool (or its network, gateway or broadcast address) (its last good state stays)"
check "the last good state holds: lt1 and lt3 reach the authentication server" bash -c \
	"ip netns exec $LAB_PREFIX-lt1 curl -sS -m 3 -o /dev/null http://$LAB_AUTH/ &&
	 ip netns exec $LAB_PREFIX-lt3 curl -sS -m 3 -o /dev/null http://$LAB_AUTH/"
check "nothing was opened for 10.99.0.3" bash -c \
	"! ip netns exec $NS_AGENCY wg show $LAB_WG_GW allowed-ips | grep -qF 10.99.0.3 &&
	 ! ip netns exec $NS_AGENCY nft list table inet sekisho_gw | grep -qF 10.99.0.3"
check "the lab's laptop is not touched either" portal_ok
followed() { [ "$(seq_of)" -ge "$1" ]; }
S0=$(seq_of)
check "lt1's row changed again, just as badly" sql "UPDATE devices SET pubkey = 'not-a-key' WHERE name = 'lt1'" lt1
check "the gateway followed the feed past it" lab_wait_for -t 10 followed $((S0 + 1))
check "each refused row's line is said once, not at every change" bash -c \
	"[ \$(grep -c 'device lt1: registry row skipped' $GWLOG) = 1 ] && [ \$(grep -c 'device lt3: registry row skipped' $GWLOG) = 1 ]"
tap_done
