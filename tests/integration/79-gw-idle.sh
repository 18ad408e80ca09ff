#!/bin/bash
# sekisho-gw follows the registry without polling it (issue 13, item 1;
# docs/gateway.md, "What it does", 2): on SQLite it waits on an inotify
# descriptor (the database and its -wal), on PostgreSQL on the LISTEN
# connection's socket (NOTIFY sekisho_registry), and on nothing else with a
# timeout shorter than its next report (-R, here an hour). Shown with
# strace on the running gateway, in a namespace of the test's own
# (wireguard-go, three devices), on each backend:
#   - idle, 10 s: no system call at all but the poll it waits in, whose
#     timeout is longer than the window; its feed descriptor is an inotify
#     instance (SQLite) or a socket (PostgreSQL);
#   - a device added in the registry meanwhile: the poll returns because
#     the feed descriptor is readable, and the new peer is at the
#     interface (one change, no full re-read: its -v line says so);
#   - then idle again, 10 s: nothing.
# A gateway that re-read the registry every -P (its mode without a change
# feed) makes this fail: its poll then has a 1000-ms timeout and the
# window is full of reads (docs/gateway.md says how it was shown).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
. tests/lab/pg.sh

B=${B:-build}
case $B in /*) ;; *) B=$PWD/$B ;; esac
G=$B/sekisho-gw
P=$B/sekisho-provision
WINDOW=${IDLE_WINDOW:-10}
tmp=$(mktemp -d /tmp/sekisho-t79.XXXXXX)
NS=sk79$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
PGDIR="" wgpid="" gwpid="" IF=""
stop_gw() {
	local p
	for p in $gwpid $wgpid; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	gwpid="" wgpid=""
	[ -n "$IF" ] && rm -f "/var/run/wireguard/$IF.sock"
	return 0
}
cleanup() {
	stop_gw
	[ -n "$PGDIR" ] && pg_stop "$PGDIR"
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
ns() { ip netns exec "$NS" "$@"; }
# waits for a condition, never for a time: the bound only ends a failure
wait_for() {
	local i
	for i in $(seq 1500); do "$@" >/dev/null 2>&1 && return 0; sleep 0.02; done
	return 1
}
# The traces go where the registry is not: the SQLite feed also wakes for
# a file made in the database's directory (its -wal).
TR=$tmp/traces
mkdir -p "$tmp/reg" "$TR"
fail_setup() { tap_not_ok "$1"; tap_done; exit 1; }

ip netns add "$NS" && ns ip link set lo up || fail_setup "namespace"
(umask 077; wg genkey >"$tmp/gw.key")
cat >"$tmp/tmpl.conf" <<'T'
version 1
gateway "agency-gw" {
	endpoint 192.0.2.10:51820
	public-key "A+wQmjkxua52Sjg54mwPZLzGcjirW+tqLiZZtawPG08="
}
lgwan {
	prefix 10.64.0.0/16
	resolver 10.64.0.53
}
work {
	address 172.30.0.2/24
	router 172.30.0.1
}
T

# trace SECONDS FILE: strace every thread of the gateway for SECONDS
trace() { timeout -s INT "$1" strace -f -tt -p "$gwpid" -o "$2" 2>/dev/null; return 0; }
# A trace's completed system calls: strace writes the call in progress at
# the detach as "<detached ...>" (or "<unfinished ...>"), and nothing else
# for a process that sleeps in it all along.
calls() { grep -vE '<(detached|unfinished) \.\.\.>$|resumed>|^[0-9]+ +[0-9:.]+ \+\+\+|^[0-9]+ +[0-9:.]+ ---' "$1"; }
idle() {	# FILE: the window held only the call the gateway waits in
	local t
	trace "$WINDOW" "$1"
	echo "trace of $WINDOW s:"; sed 's/^/  /' "$1"
	[ -z "$(calls "$1")" ] || { echo "system calls in the window (above)"; return 1; }
	# the call in progress: its poll (or, once a trace interrupted it,
	# the kernel's restart of it), with a timeout longer than the window
	grep -qE '^[0-9]+ +[0-9:.]+ (poll\(|restart_syscall\()' "$1" || { echo "no poll in progress"; return 1; }
	t=$(grep -oE '^[0-9]+ +[0-9:.]+ poll\(\[.*\], [0-9]+, -?[0-9]+' "$1" | tail -n 1 | grep -oE '[-0-9]+$')
	echo "poll timeout: ${t:-(restarted: not shown)} ms"
	[ -z "$t" ] || [ "$t" -lt 0 ] || [ "$t" -gt $((WINDOW * 1000)) ]
}
# the descriptor the gateway's poll waits on for the feed (its second)
feed_fd() { grep -oE 'poll\(\[\{fd=[0-9]+, events=POLLIN\}, \{fd=[0-9]+, events=POLLIN\}' "$1" | tail -n 1 |
	sed -E 's/.*\{fd=([0-9]+), events=POLLIN\}$/\1/'; }
settled() {	# a second with no system call: the start's own wake-ups are over
	local f=$TR/settle.trace
	trace 1 "$f"
	[ -z "$(calls "$f")" ]
}

add3() {	# N: devices N1, N2, N3
	local i
	for i in 1 2 3; do "$P" -q device add "$1$i" --group default --pubkey "$(wg genkey | wg pubkey)" >/dev/null || return 1; done
}
run_backend() {	# N URL KIND(inotify|socket): N, one letter, names the interface and devices
	local n=$1 url=$2 kind=$3 name fd link key
	name=$([ "$kind" = inotify ] && echo SQLite || echo PostgreSQL)
	export SEKISHO_REGISTRY=$url SEKISHO_KEYS=$tmp/keys-$n
	IF=${NS}$n
	"$P" -q init --pool 10.80.0.0/16 --listen-port 51999 >/dev/null &&
	"$P" -q group add default "$tmp/tmpl.conf" &&
	add3 "$n" ||
		{ tap_not_ok "$name: registry with 3 devices"; return; }
	ip netns exec "$NS" wireguard-go -f "$IF" >/dev/null 2>&1 &
	wgpid=$!
	wait_for test -S "/var/run/wireguard/$IF.sock" || { tap_not_ok "$name: wireguard-go"; return; }
	# (ip netns exec execs sekisho-gw: $! is its pid)
	ip netns exec "$NS" "$G" run -dv -r "$url" -i "$IF" -k "$tmp/gw.key" -s "$tmp/$n.sock" -R 3600 >"$tmp/$n.log" 2>&1 &
	gwpid=$!
	check "$name: sekisho-gw runs with 3 devices" wait_for "$G" -s "$tmp/$n.sock" status --summary
	check "$name: its start's wake-ups are over (a second with no system call)" wait_for settled

	check "$name: idle for $WINDOW s: no system call but the poll it waits in (timeout longer than the window)" \
		idle "$TR/$n-idle1.trace"

	# a change while traced: the feed wakes the poll, the peer follows
	timeout -s INT 60 strace -f -tt -p "$gwpid" -o "$TR/$n-change.trace" 2>/dev/null &
	local st=$!
	wait_for bash -c "[ -s '$TR/$n-change.trace' ]" # attached (it writes the call in progress)
	key=$(wg genkey | wg pubkey)
	check "$name: a device added in the registry" "$P" -q device add "${n}new" --group default --pubkey "$key"
	check "$name: its peer is at the interface, no restart" wait_for bash -c \
		"ip netns exec $NS wg show $IF peers | grep -qxF '$key'"
	kill -INT "$st"; wait "$st" 2>/dev/null
	fd=$(feed_fd "$TR/$n-change.trace")
	link=$(readlink "/proc/$gwpid/fd/${fd:-none}" 2>/dev/null)
	echo "# $name: the feed's descriptor (the main loop's poll's second) $fd: $link"
	case $kind in
	inotify) check "$name: the feed's descriptor is an inotify instance" [ "$link" = "anon_inode:inotify" ] ;;
	socket) check "$name: the feed's descriptor is a socket (the LISTEN connection)" \
		bash -c "[[ '$link' == socket:* ]]" ;;
	esac
	woke() {	# the first thing read after the wait: the feed's event
		local first
		first=$(grep -m1 -E '^[0-9]+ +[0-9:.]+ (read|recvfrom|recvmsg)\(' "$TR/$n-change.trace")
		echo "the first read after the wait: $first"
		case $kind in
		inotify) grep -qE "^[0-9]+ +[0-9:.]+ read\($fd, " <<<"$first" ;;
		# a NotificationResponse ('A') of channel sekisho_registry
		socket) grep -qE "^[0-9]+ +[0-9:.]+ recvfrom\($fd, \"A.*sekisho_registry" <<<"$first" ;;
		esac
	}
	check "$name: the gateway woke for the feed's event (its first read: the feed's descriptor)" woke
	check "$name: it applied that one device, not a full sync (its -v lines)" bash -c \
		"grep -qF 'WireGuard: 1 peers' '$tmp/$n.log' && [ \"\$(grep -c 'synced with the registry' '$tmp/$n.log')\" = 1 ]"
	check "$name: idle again for $WINDOW s: nothing but the poll" idle "$TR/$n-idle2.trace"
	stop_gw
}

run_backend s "sqlite:$tmp/reg/reg.db" inotify
PGDIR=$(mktemp -d /tmp/sekisho-t79pg.XXXXXX) && chmod 0755 "$PGDIR"
if pg_start "$PGDIR"; then
	run_backend p "$PG_URL" socket
else
	tap_not_ok "PostgreSQL started"
fi
tap_done
