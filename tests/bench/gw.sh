#!/bin/bash
# sekisho-gw's figures (docs/gateway.md, "Figures"), in a network namespace
# of the bench's own with wireguard-go, a registry on SQLite:
#   gw.peer_sync_ms        5,000 peers into an empty interface: `sekisho-gw
#       run -o` (registry read, ruleset compiled and loaded with every
#       device's element, one WireGuard set), median of 3
#   gw.syncconf_ms         `wg syncconf` of the same table (gateway export)
#       into the same empty interface, same run, median of 3
#   gw.peer_sync_ratio     the two; goal <= 1.0
#   gw.one_change_ms_5k / _50k  a device added in the registry -> its peer
#       in the interface and its element in force, as the gateway times it
#       (from learning of the change to both applied; status change_us),
#       median of 9; goal < 20
#   gw.revoke_ms           `device revoke` started -> the device's address
#       out of its group's set (its packets dropped), median of 5; goal < 1000
#   gw.session_open_ms     `sekisho-gw session open` started -> returned
#       (the element is in force when it answers), median of 9; goal < 20
#   gw.rss_mib             sekisho-gw's resident memory at 50,000 peers
#   gw.sync_50k_ms         start-up with 50,000 peers (reported)
#   gw.restart_50k_ms      a restart over the 50,000 peers in force (reported)
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh

G=$PWD/${B:-build}/sekisho-gw
P=$PWD/${B:-build}/sekisho-provision
tmp=$(mktemp -d /tmp/sekisho-bench-gw.XXXXXX)
NS=skgw$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
IF=${NS}w
URL=sqlite:$tmp/reg.db
export SEKISHO_REGISTRY=$URL SEKISHO_KEYS=$tmp/keys
SOCK=$tmp/session.sock
wgpid="" gwpid=""
cleanup() {
	[ -n "$gwpid" ] && kill "$gwpid" 2>/dev/null && wait "$gwpid" 2>/dev/null
	[ -n "$wgpid" ] && kill "$wgpid" 2>/dev/null && wait "$wgpid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -f "/var/run/wireguard/$IF.sock"
	rm -rf "$tmp"
}
trap cleanup EXIT
ns() { ip netns exec "$NS" "$@"; }
ms() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1e6:.1f}')" "$@"; }

ip netns add "$NS" && ns ip link set lo up || exit 1
(umask 077; wg genkey >"$tmp/gw.key")
cat >"$tmp/tmpl.conf" <<'T'
version 1
gateway "agency-gw" {
	endpoint 192.0.2.10:51820
	public-key "A+wQmjkxua52Sjg54mwPZLzGcjirW+tqLiZZtawPG08="
}
lgwan {
	prefix 10.64.0.0/16
	prefix 10.65.0.0/16
	resolver 10.64.0.53
}
work {
	address 172.30.0.2/24
	router 172.30.0.1
}
service "logon" {
	class prelogon
	to 10.65.0.10/32
	tcp 88,389
}
service "portal" {
	class lgwan
	to 10.64.0.0/16
}
T
"$P" -q init --pool 10.80.0.0/16 --listen-port 51999 >/dev/null &&
"$P" -q group add default "$tmp/tmpl.conf" &&
"$P" -q user add S0001 --name "Bench User" >/dev/null || exit 1
# devices FROM TO: rows FROM..TO-1 with keys of their own, imported at once
devices() {
	python3 - "$tmp/d.csv" "$1" "$2" <<'PY'
import base64, os, sys
with open(sys.argv[1], "w") as f:
    f.write("name,pubkey\r\n")
    for i in range(int(sys.argv[2]), int(sys.argv[3])):
        f.write(f"gw-{i:05d},{base64.b64encode(os.urandom(31) + b'x').decode()}\r\n")
PY
	"$P" -q device import "$tmp/d.csv" >/dev/null
}
devices 0 5000 || exit 1
"$P" -q gateway export "$tmp/gw.conf" || exit 1
printf '[Interface]\nPrivateKey = %s\nListenPort = 51999\n' "$(cat "$tmp/gw.key")" >"$tmp/empty.conf"

ip netns exec "$NS" wireguard-go -f "$IF" >/dev/null 2>&1 &
wgpid=$!
for _ in $(seq 100); do [ -S "/var/run/wireguard/$IF.sock" ] && break; sleep 0.05; done
peers() { ns wg show "$IF" peers | wc -l; }
empty() { ns wg setconf "$IF" "$tmp/empty.conf" && [ "$(peers)" = 0 ]; }
gw_args=(run -d -r "$URL" -i "$IF" -k "$tmp/gw.key" -s "$SOCK")

# ---- peer sync: sekisho-gw beside wg syncconf ----------------------------------------
sync_gw() {
	local t0 t1
	empty || return 1
	t0=$(date +%s%N)
	ns "$G" "${gw_args[@]}" -o >>"$tmp/gw.log" 2>&1 || return 1
	t1=$(date +%s%N)
	[ "$(peers)" = 5000 ] || return 1
	ms "$t0" "$t1"
}
sync_wg() {
	local t0 t1
	empty || return 1
	t0=$(date +%s%N)
	ns wg syncconf "$IF" "$tmp/gw.conf" || return 1
	t1=$(date +%s%N)
	[ "$(peers)" = 5000 ] || return 1
	ms "$t0" "$t1"
}
: >"$tmp/a"; : >"$tmp/b"
for _ in 1 2 3 4 5 6 7 8 9; do
	sync_gw >>"$tmp/a" || { BENCH_WHY="sekisho-gw -o: $(tail -2 "$tmp/gw.log")"; break; }
	sync_wg >>"$tmp/b" || { BENCH_WHY="wg syncconf failed"; break; }
done
read -r a _ _ < <(stats <"$tmp/a")
read -r b _ _ < <(stats <"$tmp/b")
bench gw.peer_sync_ms "$a" "ms (5,000 peers into an empty interface, median of 9)"
bench gw.syncconf_ms "$b" "ms (wg syncconf of the same table, same run, median of 9)"
r=-
[ "$a" != - ] && [ "$b" != - ] && r=$(python3 -c "print(f'{$a / $b:.2f}')")
bench gw.peer_sync_ratio "$r" "(goal <= 1.0)"

# ---- the daemon running: one change, revocation, sessions --------------------------
start_gw() {
	# (ip netns exec execs sekisho-gw: $! is its pid)
	ip netns exec "$NS" "$G" "${gw_args[@]}" -P 200 >>"$tmp/gw.log" 2>&1 &
	gwpid=$!
	for _ in $(seq 600); do "$G" -s "$SOCK" status >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
stop_gw() { kill "$gwpid" 2>/dev/null; wait "$gwpid" 2>/dev/null; gwpid=""; }
status_field() { "$G" -s "$SOCK" status --summary --json | python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
# one_change N: a device added, until the gateway has N+1 peers; its change_us
one_change() {
	local i=$1 k want
	for k in 1 2 3 4 5 6 7 8 9; do
		want=$((i + k))
		"$P" -q device add "one-$i-$k" --pubkey "$(wg genkey | wg pubkey)" >/dev/null || return 1
		for _ in $(seq 200); do
			[ "$(status_field peers)" = "$want" ] && break
			sleep 0.02
		done
		[ "$(status_field peers)" = "$want" ] || return 1
		python3 -c "print(f'{$(status_field change_us) / 1000:.2f}')"
	done
}
empty
start_gw || exit 1
read -r v _ _ < <(one_change 5000 | stats)
bench gw.one_change_ms_5k "$v" "ms (5,000 peers; median of 9; goal < 20)"

revoke_one() {
	local name addr t0 t1
	for k in 1 2 3 4 5; do
		name=gw-0000$k
		addr=$("$P" device list --csv | awk -F, -v n="$name" '$1 == n { print $6 }')
		addr=${addr%/32}
		t0=$(date +%s%N)
		"$P" -q device revoke "$name" --reason bench >/dev/null || return 1
		for _ in $(seq 1000); do
			ns nft get element inet sekisho_gw devices_1 "{ $addr }" >/dev/null 2>&1 || break
			sleep 0.005
		done
		t1=$(date +%s%N)
		ns nft get element inet sekisho_gw devices_1 "{ $addr }" >/dev/null 2>&1 && return 1
		ms "$t0" "$t1"
	done
}
read -r v _ _ < <(revoke_one | stats)
bench gw.revoke_ms "$v" "ms (device revoke -> out of the set, median of 5; goal < 1000)"

session_open() {
	local t0 t1 k
	for k in 1 2 3 4 5 6 7 8 9; do
		t0=$(date +%s%N)
		"$G" -s "$SOCK" session open "gw-0010$k" S0001 --lifetime 600 >/dev/null || return 1
		t1=$(date +%s%N)
		ms "$t0" "$t1"
	done
}
read -r v _ _ < <(session_open | stats)
bench gw.session_open_ms "$v" "ms (session open -> in force, median of 9; goal < 20)"
stop_gw

# ---- 50,000 peers ----------------------------------------------------------------------
devices 5000 50000 || exit 1
empty
t0=$(date +%s%N)
start_gw || { BENCH_WHY="sekisho-gw did not start with 50,000 peers"; }
t1=$(date +%s%N)
bench gw.sync_50k_ms "$(ms "$t0" "$t1")" "ms (start-up with 50,000 peers into an empty interface)"
n=$(status_field peers)
read -r v _ _ < <(one_change "$n" | stats)
bench gw.one_change_ms_50k "$v" "ms (50,000 peers; median of 9; goal < 20)"
rss=$(awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$gwpid/status" 2>/dev/null)
bench gw.rss_mib "${rss:--}" "MiB (sekisho-gw at 50,000 peers)"
stop_gw
# a restart over the interface that holds them all: nothing to set
t0=$(date +%s%N)
start_gw || BENCH_WHY="sekisho-gw did not start again over 50,000 peers"
t1=$(date +%s%N)
bench gw.restart_50k_ms "$(ms "$t0" "$t1")" "ms (a restart over the 50,000 peers in force: by difference, no peer set)"
stop_gw
bench_done
