#!/bin/bash
# sekisho-bundle-server's per-source limit (docs/distribution.md, "Limits";
# issue 10 item 16): one client holding connections cannot take the slots
# every laptop shares. In a network namespace of its own (loopback only):
# the server with -c 5 -p 4; a client opens 6 connections from 127.0.0.2
# and sends nothing: exactly 4 held, 2 closed at once, one log line for
# both (rate-limited); a second client at 127.0.0.3 is answered meanwhile
# (without the limit the first held all 5 slots and the second waited in
# the backlog); once the first lets go, 127.0.0.2 is answered again.
set -u
cd "$(dirname "$0")/../.."
if [ -z "${SK_IN_NETNS:-}" ]; then
	SK_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. tests/integration/lib.sh
tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"

SERVER=${BUNDLE_SERVER:-build/sekisho-bundle-server}
PORT=51830
DIR=$(mktemp -d /tmp/sekisho-limits.XXXXXX) && chmod 0755 "$DIR"
LOG=$DIR.log
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; cat "$LOG" | sed "s/^/# log: /"; rm -rf "$DIR" "$LOG"; }
trap cleanup EXIT
ip link set lo up

"$SERVER" -d -r "$DIR" -l "127.0.0.1:$PORT" -c 5 -t 60000 >"$LOG" 2>&1 &
PID=$!
listening() { ss -Hltn "sport = :$PORT" | grep -q LISTEN; }
for _ in $(seq 50); do listening && break; sleep 0.1; done
check "the server listens with -c 5 and the default per-source limit (4)" listening

OUT=$(python3 tests/integration/dist_flood.py "$PORT" 6 2>&1)
echo "$OUT" | sed 's/^/# /'
check "6 connections from one address: exactly 4 held, 2 closed at once" \
	grep -qx "held 4 closed 2" <<<"$OUT"
# status 2 (unknown device), length 0: the answer, not a timeout
check "a second client is answered while the first holds its 4" \
	grep -qx "second: 534b4252010200000000" <<<"$OUT"
check "once the first lets go, it is answered again" \
	grep -qx "again: 534b4252010200000000" <<<"$OUT"
check "the refusals: exactly one line for both (at most one a second)" bash -c \
	"[ \$(grep -c ': refused: ' '$LOG') -eq 1 ] &&
	 grep -Eq '^sekisho-bundle-server: 127\.0\.0\.2:[0-9]+: refused: 4 connections from this address already \(-p 4\)$' '$LOG'"
check "both requests logged as answered (unknown device)" bash -c \
	"[ \$(grep -c 'unknown device' '$LOG') -eq 2 ]"
kill "$PID" && wait "$PID" 2>/dev/null
PID=""
tap_done
