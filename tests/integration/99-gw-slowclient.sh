#!/bin/bash
# sekisho-gw's session socket never holds up its main loop
# (docs/gateway.md, "The session socket"): answers are queued and written
# as the client takes them. In a namespace of the test's own (wireguard-go,
# a registry on SQLite, 600 devices each with a session):
#   - a slow reader of `session list` (one reply every 0.2 s: its answer
#     stays pending for minutes) does not delay a revocation: the revoked
#     device's element leaves the kernel while that client is still
#     connected and has not had its answer's end; then it reads on and has
#     all 600 rows and a DONE of status 0. On a gateway that writes its
#     answers blocking, the revocation waits for the whole list: this
#     fails (docs/gateway.md says how it was shown);
#   - a client that reads nothing is closed, with one line;
#   - `session list` and `status` at once: complete (600 rows).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

N=600
B=${B:-build}
G=$PWD/$B/sekisho-gw
P=$PWD/$B/sekisho-provision
C=$PWD/tests/integration/gwsess_client.py
tmp=$(mktemp -d /tmp/sekisho-t99.XXXXXX)
NS=sk99$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
IF=${NS}w
URL=sqlite:$tmp/reg.db
export SEKISHO_REGISTRY=$URL SEKISHO_KEYS=$tmp/keys
SOCK=$tmp/session.sock
GWLOG=$tmp/gw.log
wgpid="" gwpid="" holdpid="" mutepid=""
cleanup() {
	local p
	for p in $holdpid $mutepid $gwpid $wgpid; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	ip netns del "$NS" 2>/dev/null
	rm -f "/var/run/wireguard/$IF.sock"
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
service "portal" {
	class lgwan
	to 10.64.0.0/16
}
T
python3 - "$tmp/d.csv" "$N" <<'PY' || fail_setup "device list"
import base64, os, sys
with open(sys.argv[1], "w") as f:
    f.write("name,pubkey\r\n")
    for i in range(int(sys.argv[2])):
        f.write(f"d{i:04d},{base64.b64encode(os.urandom(31) + b'x').decode()}\r\n")
PY
"$P" -q init --pool 10.80.0.0/16 --listen-port 51999 >/dev/null &&
"$P" -q group add default "$tmp/tmpl.conf" &&
"$P" -q user add S0001 --name "Test User" >/dev/null &&
"$P" -q device import "$tmp/d.csv" >/dev/null || fail_setup "registry: $N devices"
ip netns exec "$NS" wireguard-go -f "$IF" >/dev/null 2>&1 &
wgpid=$!
wait_for test -S "/var/run/wireguard/$IF.sock" || fail_setup "wireguard-go"
# (ip netns exec execs sekisho-gw: $! is its pid)
ip netns exec "$NS" "$G" run -d -r "$URL" -i "$IF" -k "$tmp/gw.key" -s "$SOCK" >"$GWLOG" 2>&1 &
gwpid=$!
check "sekisho-gw runs with $N devices" wait_for "$G" -s "$SOCK" status --summary
devs=()
for i in $(seq 0 $((N - 1))); do devs+=("$(printf 'd%04d' "$i")"); done
check "$N sessions opened on the socket" python3 "$C" open "$SOCK" S0001 "${devs[@]}"
listed() { [ "$("$G" -s "$SOCK" session list | wc -l)" = "$N" ]; }
check "session list: all $N sessions" listed
json_n() { [ "$("$G" -s "$SOCK" session list --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')" = "$N" ]; }
check "session list --json: all $N sessions" json_n

# ---- a slow reader, and a revocation meanwhile --------------------------------------
victim=d0007
addr=$("$P" device list --csv | awk -F, -v n="$victim" '$1 == n { print $6 }')
addr=${addr%/32}
in_set() { ns nft get element inet sekisho_gw "$1" "{ $addr }"; }
both_in() { in_set devices_1 && in_set signed_on; }
check "$victim ($addr) is in devices_1 and signed_on" both_in
mkdir "$tmp/hold"
python3 "$C" hold "$SOCK" "$tmp/hold" &
holdpid=$!
check "a slow reader has sent its session list" wait_for test -e "$tmp/hold/sent"
check "device revoke $victim meanwhile" "$P" -q device revoke "$victim" --reason stolen
gone() { ! in_set devices_1 && ! in_set signed_on; }
check "its elements leave the kernel..." wait_for gone
held() { kill -0 "$holdpid" && [ ! -e "$tmp/hold/done" ]; }
check "...while the slow reader is still connected, its answer not yet ended" held
touch "$tmp/hold/go"
wait "$holdpid"
holdpid=""
whole() { [ "$(cat "$tmp/hold/done")" = "$N 0" ]; }
check "the slow reader then has its whole answer: $N rows, DONE 0" whole

# ---- a client that reads nothing ---------------------------------------------------------
mkdir "$tmp/mute"
python3 "$C" mute "$SOCK" "$tmp/mute" &
mutepid=$!
check "a mute client has sent its session list" wait_for test -e "$tmp/mute/sent"
check "the gateway answers status meanwhile" "$G" -s "$SOCK" status --summary
closed_line() { [ "$(grep -c 'session socket: a client took nothing of its answer in 2000 ms: closed' "$GWLOG")" = 1 ]; }
check "the mute client is closed, one line" wait_for closed_line
touch "$tmp/mute/go"
wait "$mutepid"
mutepid=""
cut_short() { [ -e "$tmp/mute/done" ] && read -r rows st <"$tmp/mute/done" && [ "$st" = eof ] && [ "$rows" -lt $((N - 1)) ]; }
check "it has had part of the answer, no DONE: the end of the socket" cut_short
check "session list afterwards: $((N - 1)) sessions" bash -c \
	"[ \"\$($G -s $SOCK session list | wc -l)\" = $((N - 1)) ]"
check "the gateway still runs" kill -0 "$gwpid"
tap_done
