#!/bin/bash
# sekisho-gw on a PostgreSQL registry whose network path is cut without a
# word (issue 13, item 4: "a lost database connection keeps the last good
# state in force and reconnects"). 85-gw-pg stops the server: the gateway
# hears the close at once. Here the server sits in a namespace of its own
# behind a veth, reached over TCP, and an nftables drop in that namespace
# (input and output, no RST, no FIN) cuts the path silently, as a
# firewall or a pulled cable does. Without keepalives the gateway would
# learn of it after the system's default (2 h); a reconnection without a
# connect timeout would hold its main loop for two minutes.
#
# Asserted: the gateway logs the loss within REG_PG_IDLE_DEAD_S (10 s,
# registry/pgconn.h; waited for at most twice that); its status answers
# all through the cut, reconnections in progress included; the peers, the
# sets and the rules in the kernel stay exactly as they were (lt1's
# session too) and lt1 keeps reaching the portal; a device provisioned
# meanwhile (lt2) is applied once the path is back, and connects. The
# gateway runs with a notify socket of the test's (as under its unit,
# Type=notify, WatchdogSec): READY=1 comes once, after the start-up's
# tries, and WATCHDOG=1 goes on through the cut.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/lab/pg.sh
. tests/integration/lib.sh

PGDIR="" NOTIFY_PID=""
cleanup() {
	[ -n "$NOTIFY_PID" ] && kill "$NOTIFY_PID" 2>/dev/null
	[ -n "$PGDIR" ] && pg_stop "$PGDIR"; lab_down
}
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }

# the database's namespace, hanging off the agency's by a veth of its own
DB_NS=$LAB_PREFIX-db DB_GW=10.251.0.1 DB_ADDR=10.251.0.2
if ip netns add "$DB_NS" && ip -n "$DB_NS" link set lo up &&
	LAB_ROLES="$LAB_ROLES db" && export LAB_ROLES &&
	ip link add db0 netns "$NS_AGENCY" type veth peer name eth0 netns "$DB_NS" &&
	ip -n "$NS_AGENCY" addr add "$DB_GW/30" dev db0 && ip -n "$NS_AGENCY" link set db0 up &&
	ip -n "$DB_NS" addr add "$DB_ADDR/30" dev eth0 && ip -n "$DB_NS" link set eth0 up; then
	tap_ok "the database's namespace, a veth from the agency's"
else tap_not_ok "the database's namespace"; exit 1; fi
PGDIR=$(mktemp -d /tmp/sekisho-gwpgcut.XXXXXX) && chmod 0755 "$PGDIR"
PG_NETNS=$DB_NS PG_LISTEN=$DB_ADDR PG_HBA=$DB_GW/32 PG_EXTRA="-c log_statement=all" pg_start "$PGDIR" ||
	{ tap_not_ok "PostgreSQL in $DB_NS"; exit 1; }
TCP_URL="postgresql://sekisho@$DB_ADDR:5432/sekisho"
check "the agency reaches PostgreSQL over TCP" \
	ip netns exec "$NS_AGENCY" "$LAB_BUILD/sekisho-provision" -r "$TCP_URL" device list
# provisioning over the server's unix socket (it is not cut: IT at the
# database), the gateway over TCP through the veth (the later -r wins)
LAB_GW_REGISTRY=$PG_URL LAB_GW_OPTS="-r $TCP_URL"
# systemd's side of sd_notify, for the gateway alone: each datagram with
# its sender's pid (SO_PASSCRED) and the time it came, one a line
NOTIFY=$LAB_DIR/notify.sock NOTES=$LAB_DIR/notify.log
python3 -c '
import os, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = next((struct.unpack("iII", d[:12])[0] for l, t, d in anc
                if l == socket.SOL_SOCKET and t == socket.SCM_CREDENTIALS), 0)
    for line in msg.decode(errors="replace").splitlines():
        out.write("%d %d %s\n" % (time.monotonic_ns() // 1000000, pid, line))
' "$NOTIFY" "$NOTES" &
NOTIFY_PID=$!
lab_wait_for -t 5 test -S "$NOTIFY" || tap_not_ok "the notify socket"
# WatchdogSec=2 as systemd would pass it (every second, then)
if NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=2000000 lab_gw_up; then tap_ok "sekisho-gw runs the lab's agency from PostgreSQL over TCP"
else tap_not_ok "sekisho-gw over TCP: $(tail -3 "$LAB_DIR/log/agency-gw.log")"; exit 1; fi
GWLOG=$LAB_DIR/log/agency-gw.log
GWPID=$(lab_pid agency-gw)
notes() { awk -v p="$GWPID" '$2 == p { $1 = ""; $2 = ""; sub(/^  /, ""); print }' "$NOTES"; }
check "READY=1 from the gateway, once, after its start-up tries" bash -c \
	"$(declare -f notes); GWPID=$GWPID NOTES=$NOTES; [ \"\$(notes | grep -cx 'READY=1')\" = 1 ] &&
	 notes | grep -m 1 -vx 'EXTEND_TIMEOUT_USEC=60000000' | grep -qx 'READY=1'"
check "its registry connections are TCP to $DB_ADDR:5432, two (rows and feed)" bash -c \
	"[ \$(ip netns exec $NS_AGENCY ss -Htn state established dst $DB_ADDR:5432 | wc -l) = 2 ]"
check "with keepalives on both (ss: timer:(keepalive...))" bash -c \
	"[ \$(ip netns exec $NS_AGENCY ss -Htno state established dst $DB_ADDR:5432 | grep -c 'timer:(keepalive') = 2 ]"
check "its statements are bounded on the server too (statement_timeout 10 s, set at connect)" \
	grep -qF 'SET statement_timeout = 10000' "$PGDIR/sock/server.log"
declare -A ADDR
add_laptop() {	# NAME N
	local out
	(umask 077; wg genkey >"$LAB_DIR/gw/$1.key")
	out=$(lab_gw_prov device add "$1" --group lab --pubkey "$(wg pubkey <"$LAB_DIR/gw/$1.key")") &&
	ADDR[$1]=${out#* } && ADDR[$1]=${ADDR[$1]%/32} &&
	lab_laptop_up "$1" "$2" "$LAB_DIR/gw/$1.key" "${ADDR[$1]}"
}
portal_from() { n "$1" curl -sS -m 3 "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
if add_laptop lt1 1; then tap_ok "laptop lt1 provisioned and up"; else tap_not_ok "laptop lt1"; fi
check "lt1 reaches the portal" lab_wait_for -t 15 portal_from lt1
check "staff S0001" lab_gw_prov user add S0001 --name "Lab User"
check "a session for lt1" bash -c \
	"[ \"\$($LAB_BUILD/sekisho-gw -s $LAB_GW_SOCK session open lt1 S0001 --lifetime 3600 --factor card)\" = 'device lt1: stage 2 for 3600 s (S0001)' ]"
in_signed_on() { ip netns exec "$NS_AGENCY" nft list set inet sekisho_gw signed_on | grep -qF "${ADDR[lt1]}"; }
check "lt1 is in signed_on" lab_wait_for -t 5 in_signed_on

# what is in force: the peers and their addresses, every set's elements
# and every rule (timers and counters left out: they move by themselves)
in_force() {
	ip netns exec "$NS_AGENCY" wg show "$LAB_WG_GW" allowed-ips | sort
	ip netns exec "$NS_AGENCY" nft list table inet sekisho_gw |
		sed -E -e 's/ expires [0-9dhms.]+//g' -e 's/counter packets [0-9]+ bytes [0-9]+/counter/g'
}
BEFORE=$(in_force)
WG_BEFORE=$(ip netns exec "$NS_AGENCY" wg show "$LAB_WG_GW" allowed-ips | sort)
echo "$BEFORE" | grep -qF "${ADDR[lt1]}/32" && tap_ok "snapshot taken ($(echo "$BEFORE" | wc -l) lines)" ||
	tap_not_ok "the snapshot has no lt1"

# the cut: everything in and out of the database's namespace dropped
LOGOFF=$(wc -l <"$GWLOG")
since() { tail -n +"$((LOGOFF + 1))" "$GWLOG"; }
ip netns exec "$DB_NS" nft -f - <<'NFT' && tap_ok "the path to the database is cut (silent drop)" || tap_not_ok "nft cut"
table inet cut {
	chain in { type filter hook input priority -400; policy drop; iif lo accept; }
	chain out { type filter hook output priority -400; policy drop; oif lo accept; }
}
NFT
T0=$(ms_now)
WD0=$(notes | grep -cx 'WATCHDOG=1')
# status is asked for again and again while the gateway notices; every
# answer must come (the client waits CLIENT_WAIT_S at most)
asks=0 failed=0 lost_ms=""
while [ $(($(ms_now) - T0)) -lt 20000 ]; do
	lab_gw status --summary --json >"$LAB_DIR/st.json" 2>&1 || failed=$((failed + 1))
	asks=$((asks + 1))
	if since | grep -q 'the last good state holds'; then lost_ms=$(($(ms_now) - T0)); break; fi
	sleep 0.2
done
echo "# loss logged after ${lost_ms:-never} ms (bound: 10000 ms, REG_PG_IDLE_DEAD_S)"
since | grep -m 2 'sekisho-gw' | sed 's/^/# /'
if [ -n "$lost_ms" ]; then tap_ok "the gateway logs the loss within twice the bound (${lost_ms} ms)"
else tap_not_ok "no loss logged 20 s after the cut"; fi
[ "$failed" = 0 ] && tap_ok "status answered all $asks times while it noticed" ||
	tap_not_ok "status failed $failed of $asks times"
# reconnections go on beside the loop (each waits connect_timeout, 5 s):
# status answers while one is under way, and says so. A gateway that
# connected on its main loop could never answer "reconnecting": its loop
# would be inside the connect until it failed.
tries() { since | grep -c 'next try in'; }
asks=0 failed=0 during=0 t0=$(tries)
while [ "$(tries)" -lt $((t0 + 2)) ] && [ $(($(ms_now) - T0)) -lt 60000 ]; do
	lab_gw status --summary --json >"$LAB_DIR/st.json" 2>&1 || failed=$((failed + 1))
	grep -qF '"registry": "lost, reconnecting; the last good state holds"' "$LAB_DIR/st.json" &&
		during=$((during + 1))
	asks=$((asks + 1))
	sleep 0.2
done
check "two more reconnections tried while cut" test "$(tries)" -ge $((t0 + 2))
[ "$failed" = 0 ] && [ "$asks" -gt 5 ] && tap_ok "status answered all $asks times during the reconnections" ||
	tap_not_ok "status failed $failed of $asks times during the reconnections"
[ "$during" -gt 0 ] && tap_ok "status answered while a reconnection was under way ($during times)" ||
	tap_not_ok "status never answered while a reconnection was under way (the loop waits in the connect?)"
# the loop says WATCHDOG=1 itself: it goes on through the cut
WD1=$(notes | grep -cx 'WATCHDOG=1')
echo "# WATCHDOG=1 during the cut: $((WD1 - WD0)) in $((($(ms_now) - T0) / 1000)) s (asked every 1 s)"
check "WATCHDOG=1 goes on while cut" test "$((WD1 - WD0))" -ge 5
check "status says the registry is lost" bash -c \
	"$LAB_BUILD/sekisho-gw -s $LAB_GW_SOCK status --summary --json | grep -qF '\"connected\": false'"
check "the same process (no restart)" [ "$(lab_pid agency-gw)" = "$GWPID" ]
AFTER=$(in_force)
[ "$AFTER" = "$BEFORE" ] && tap_ok "peers, sets and rules in the kernel: exactly as before the cut" || {
	tap_not_ok "what is in force changed during the cut"
	diff <(echo "$BEFORE") <(echo "$AFTER") | head -20 | sed 's/^/# /'; }
check "lt1 still reaches the portal" portal_from lt1
check "lt1 is still in signed_on" in_signed_on

# meanwhile, at the database: a new laptop
if out=$(lab_gw_prov device add lt2 --group lab --pubkey "$(umask 077; wg genkey | tee "$LAB_DIR/gw/lt2.key" | wg pubkey)"); then
	ADDR[lt2]=${out#* } ADDR[lt2]=${ADDR[lt2]%/32}
	tap_ok "lt2 provisioned while the path is cut (${ADDR[lt2]})"
else tap_not_ok "lt2 provisioned while cut"; fi
check "lt2 is not applied while cut" bash -c \
	"! ip netns exec $NS_AGENCY wg show $LAB_WG_GW allowed-ips | grep -qF '${ADDR[lt2]}/32'"

ip netns exec "$DB_NS" nft delete table inet cut && tap_ok "the path is back" || tap_not_ok "nft delete"
back() { since | grep -qF 'registry connected again'; }
check "the gateway reconnects" lab_wait_for -t 30 back
lt2_peer() { ip netns exec "$NS_AGENCY" wg show "$LAB_WG_GW" allowed-ips | grep -qF "${ADDR[lt2]}/32"; }
check "lt2's peer is applied" lab_wait_for -t 15 lt2_peer
if lab_laptop_up lt2 2 "$LAB_DIR/gw/lt2.key" "${ADDR[lt2]}"; then tap_ok "laptop lt2 up"; else tap_not_ok "laptop lt2 up"; fi
check "lt2 connects, no restart" lab_wait_for -t 15 portal_from lt2
check "the same process still" [ "$(lab_pid agency-gw)" = "$GWPID" ]
WG_NOW=$(ip netns exec "$NS_AGENCY" wg show "$LAB_WG_GW" allowed-ips | grep -vF "${ADDR[lt2]}/32" | sort)
[ "$WG_NOW" = "$WG_BEFORE" ] && tap_ok "the other peers: exactly as before (lt2 added alone)" || {
	tap_not_ok "the other peers changed"; diff <(echo "$WG_BEFORE") <(echo "$WG_NOW") | sed 's/^/# /'; }
check "lt1's session holds" in_signed_on
check "nothing said about lt1 since the cut" bash -c "[ \$(tail -n +$((LOGOFF + 1)) $GWLOG | grep -c 'device lt1') = 0 ]"
check "status: connected again" bash -c \
	"$LAB_BUILD/sekisho-gw -s $LAB_GW_SOCK status --summary --json | grep -qF '\"connected\": true'"
tap_done
