#!/bin/bash
# The agent's audit outbox survives an outage (issue 15 item 7, docs/agent.md
# "Audit outbox"): 1,000 events made while the verifier is stopped are kept
# on the laptop (append-only, fsync'd, 0600), the agent making them is
# killed with SIGKILL in the middle (and a line cut short by a crash is
# dropped), then the verifier comes back and the real relay and verifier
# take every event exactly once and in order into the hash-chained audit
# trail (`audit verify` passes). The first batch is delivered while the
# agent is killed again, after sending it and before it could write down
# the acknowledgement: the verifier stores it once and says so. A new
# outbox (the laptop's disk lost) numbers from 1 again under an id of its
# own, and its events are stored, not taken for repeats. A sign-on
# (emergency code + PIN) asked while a delivery is in flight is served,
# not answered "busy" (the relay keeps one slot for the user's exchange
# beside the outbox's). Everything runs in a network namespace of the
# test's own (tests/cards/cards.sh without pcscd).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
. tests/cards/cards.sh
. tests/signon/setup.sh

BD=$PWD/${B:-build}
AGENT=$BD/sekisho-agent
P=$BD/sekisho-provision
AUTHD=$BD/sekisho-authd
RELAY=$BD/sekisho-signon
N=1000
tmp=$(mktemp -d /tmp/sekisho-agent-outbox.XXXXXX)
chmod 0711 "$tmp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	cards_down
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
for f in "$AGENT" "$P" "$AUTHD" "$RELAY"; do
	[ -x "$f" ] || { tap_not_ok "$f is not built"; tap_done; exit 1; }
done
bash tests/sandbox-users.sh >/dev/null
VPORT=51831 RPORT=51832	# inside the test's own network namespace
cd "$tmp" || exit 1

export SEKISHO_REGISTRY="sqlite:$tmp/reg.db" SEKISHO_KEYS=$tmp/keys
so_template >tmpl.conf
printf 'role * card-pin code-pin\n' >rules
PIN=739164
(umask 077; printf '%s\n' "$PIN" >pin)
provision() {
	so_laptops pc-001 && so_user s1001 'Yamada Taro' clerk pin &&
	"$P" -q otp issue s1001 --valid 1h | head -1 >code && chmod 600 code && [ -s code ]
}
check "provisioning: a laptop, a user, her PIN and an emergency code" provision
so_verifier_keys authd
cards_nopcscd "$tmp/c" || { tap_not_ok "the test's namespaces"; tap_done; exit 1; }

so_relay_ns
so_listening "$RPORT" || { tap_not_ok "the relay listens"; cat relay.log; tap_done; exit 1; }

OB=$tmp/outbox
agent() { cn "$AGENT" "$1" --netvm 127.0.0.1 --port "$RPORT" --state-dir "$tmp/state" \
	--outbox "$OB" --timeout-ms 400 "${@:2}"; }
# says WANT CMD...: exactly WANT as the last line on stdout
says() {
	local want=$1 got
	shift
	"$@" </dev/null >out 2>err
	got=$(tail -n 1 out)
	[ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; cat err; return 1; }
}
# fails_with WANT CMD...: CMD fails, WANT its last line on stdout
fails_with() {
	local want=$1 got
	shift
	! "$@" </dev/null >out 2>err || { echo "it succeeded"; cat out; return 1; }
	got=$(tail -n 1 out)
	[ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; cat err; return 1; }
}
events() { grep -c '^E,' "$OB/outbox.csv"; }

# ---- the outage: the verifier is not running ----
check "400 events recorded while the verifier is down" says "Recorded 400 audit events." \
	agent mark --count 400 --user s1001
check "delivery fails while it is down: the relay's line, exit 1" fails_with \
	"Verifier unreachable: the sign-on service does not answer; LGWAN stays closed, try again later." \
	agent flush --timeout-ms 4000
check "nothing is written down as delivered" bash -c "! grep -q '^A,' '$OB/outbox.csv'"
check "the outbox is the agent's alone: mode 0600" bash -c "[ \$(stat -c %a '$OB/outbox.csv') = 600 ]"

# kill -9 of the agent in the middle of making events: it would make far
# more than N. The test counts only while it holds the outbox's lock (the
# agent waits for it between two events), and keeps holding it once the
# count reaches 450: polling without the lock let a fast agent run past N
# between a count and the lock (1,196 of 1,000 in a quiet chroot).
"$AGENT" mark --outbox "$OB" --count 100000 --user s1001 >/dev/null 2>&1 &
MARK=$!
exec 9<"$OB/outbox.lock"
got=0
for ((i = 0; i < 60000; i++)); do
	flock 9
	got=$(events)
	[ "$got" -ge 450 ] && break
	flock -u 9
	kill -0 "$MARK" 2>/dev/null || break
done
{ kill -KILL "$MARK"; wait "$MARK"; } 2>/dev/null
exec 9<&-
check "SIGKILL in the middle: the agent was making events ($got of $N)" \
	bash -c "[ $got -ge 450 ] && [ $got -lt $N ]"
# what a crash in the middle of a write leaves (power lost before the
# line was whole): a line without its newline
printf 'E,%d,17' $((got + 1)) >>"$OB/outbox.csv"
check "the rest made after the restart" says "Recorded $((N - got)) audit events." \
	agent mark --count $((N - got)) --user s1001
check "the cut line was dropped: seqs 1..$N, each once, in order" bash -c \
	"[ \"\$(grep '^E,' '$OB/outbox.csv' | cut -d, -f2)\" = \"\$(seq 1 $N)\" ] &&
	 [ \$(wc -l <'$OB/outbox.csv') = $((N + 1)) ]"
OBID=$(sed -n '1s/^O,\([0-9a-f]\{16\}\)$/\1/p' "$OB/outbox.csv")
check "the outbox begins with its id, made with it: 16 hex digits" test -n "$OBID"

# ---- back: the first batch goes through while the agent dies ----
so_authd_ns
so_listening "$VPORT" || { tap_not_ok "the verifier listens"; cat authd.log; }
kill -STOP "$SO_RELAY_PID"
# (nsenter itself in the background: $! is then the agent, which it execs)
nsenter -t "$CARDS_HOLDER" -n -- "$AGENT" flush --netvm 127.0.0.1 --port "$RPORT" --outbox "$OB" \
	--timeout-ms 400 >/dev/null 2>&1 &
FLUSH=$!
relay_queued() { cn ss -Hlun "sport = :$RPORT" | awk '{ exit !($2 > 0) }'; }
_cards_wait 200 relay_queued
{ kill -KILL "$FLUSH"; wait "$FLUSH"; } 2>/dev/null
kill -CONT "$SO_RELAY_PID"
stored() { [ -s audit.jsonl ] && [ "$(wc -l <audit.jsonl)" -ge "$1" ]; }
check "the batch in flight is stored though its agent is dead" _cards_wait 200 stored 12
check "nothing written down as delivered by the killed agent" bash -c "! grep -q '^A,' '$OB/outbox.csv'"
check "the restarted agent delivers every event" says "Delivered $N audit events." agent flush
check "... and writes it down: nothing left" says "Delivered 0 audit events." agent flush

check "the audit trail: $N records, every event once, in order" bash -c \
	"[ \"\$(sqlite3 '$tmp/reg.db' \"SELECT reason FROM signon_audit ORDER BY seq\" |
	  sed -n 's/^event \([0-9]*\): user; at [-0-9T:]*Z on the laptop; outbox $OBID\$/\1/p')\" = \"\$(seq 1 $N)\" ] &&
	 [ \$(sqlite3 '$tmp/reg.db' 'SELECT count(*) FROM signon_audit') = $N ]"
check "each record: the laptop, the user, the op, bound by the relay" bash -c \
	"[ \$(sqlite3 '$tmp/reg.db' \"SELECT count(*) FROM signon_audit WHERE device = 'pc-001' AND
	  staff_id = 's1001' AND op = 'mark' AND factor = 'none' AND result = 'ok'\") = $N ]"
check "the JSON lines agree" bash -c "[ \$(wc -l <audit.jsonl) = $N ] &&
	grep -q '\"user\":\"s1001\",\"laptop\":\"pc-001\",\"op\":\"mark\",\"factor\":\"none\",\"result\":\"ok\",.*\"reason\":\"event 1000: user; at ' audit.jsonl"
kill -USR1 "$SO_AUTHD_PID"
repeated() { grep -Eq "$N events stored, ([1-9][0-9]*) repeated" authd.log; }
check "the verifier counted the batch sent twice as repeated, stored once" _cards_wait 100 repeated
check "audit verify: the chain holds" bash -c \
	"[ \"\$('$P' audit verify)\" = 'sign-on audit: $N records, chain intact' ]"

# ---- the whole outbox sent again: nothing stored twice ----
grep -E '^(O|E),' "$OB/outbox.csv" >"$OB/replay" && mv "$OB/replay" "$OB/outbox.csv" && chmod 600 "$OB/outbox.csv"
check "every event sent again (the acknowledgements lost)" says "Delivered $N audit events." agent flush
check "... stores nothing: still $N records, the chain intact" bash -c \
	"[ \$(sqlite3 '$tmp/reg.db' 'SELECT count(*) FROM signon_audit') = $N ] &&
	 [ \"\$('$P' audit verify)\" = 'sign-on audit: $N records, chain intact' ]"

# ---- the laptop's disk lost: a new outbox, numbered from 1 again ----
mv "$OB" "$tmp/outbox.lost"
check "a new outbox: 3 events, seqs from 1" says "Recorded 3 audit events." \
	agent mark --count 3 --user s1001
NEWID=$(sed -n '1s/^O,\([0-9a-f]\{16\}\)$/\1/p' "$OB/outbox.csv")
check "... under an id of its own" bash -c "[ -n '$NEWID' ] && [ '$NEWID' != '$OBID' ] &&
	[ \"\$(grep '^E,' '$OB/outbox.csv' | cut -d, -f2 | tr '\n' ' ')\" = '1 2 3 ' ]"
check "delivered" says "Delivered 3 audit events." agent flush
check "stored as new events, not taken for the old outbox's 1..3: $((N + 3)) records" bash -c \
	"[ \$(sqlite3 '$tmp/reg.db' 'SELECT count(*) FROM signon_audit') = $((N + 3)) ] &&
	 [ \"\$(sqlite3 '$tmp/reg.db' \"SELECT reason FROM signon_audit WHERE seq > $N ORDER BY seq\" |
	   sed -n 's/^event \([0-9]\): user; at [-0-9T:]*Z on the laptop; outbox $NEWID\$/\1/p' | tr '\n' ' ')\" = '1 2 3 ' ]"
grep -E '^(O|E),' "$OB/outbox.csv" >"$OB/replay" && mv "$OB/replay" "$OB/outbox.csv" && chmod 600 "$OB/outbox.csv"
check "sent again (the acknowledgement lost): delivered" says "Delivered 3 audit events." agent flush
check "... and stored once: still $((N + 3)) records, the chain intact" bash -c \
	"[ \$(sqlite3 '$tmp/reg.db' 'SELECT count(*) FROM signon_audit') = $((N + 3)) ] &&
	 [ \"\$('$P' audit verify)\" = 'sign-on audit: $((N + 3)) records, chain intact' ]"
mv "$OB" "$tmp/outbox.new" && mv "$tmp/outbox.lost" "$OB"

# ---- bad outbox files: one line, nothing sent ----
chmod 644 "$OB/outbox.csv"
check "an outbox others can read is refused, one line naming it" fails_with \
	"Audit outbox: outbox $OB/outbox.csv: not the agent's own file with mode 0600: refused." \
	agent flush
chmod 600 "$OB/outbox.csv"
printf 'E,%d,1800000000,lock,sideways,s1001\n' $((N + 1)) >>"$OB/outbox.csv"
bad=$(wc -l <"$OB/outbox.csv")
check "a line that is no record stops the outbox there, naming the line" fails_with \
	"Audit outbox: outbox $OB/outbox.csv line $bad: not a record." \
	agent flush
check "... and nothing more is stored" bash -c \
	"[ \$(sqlite3 '$tmp/reg.db' 'SELECT count(*) FROM signon_audit') = $((N + 3)) ]"

# ---- a sign-on while a delivery is in flight ----
# The relay is held (SIGSTOP) until a delivery's first EVENTS and then a
# sign-on's HELLO wait in its socket, in that order: it takes the HELLO
# with the batch in flight (the verifier's answer can only come after).
# The delivery waits 10 s for each answer, so it sends nothing else
# meanwhile; each program has its own socket, so two agents to the relay.
head -n -1 "$OB/outbox.csv" >"$OB/fixed" && mv "$OB/fixed" "$OB/outbox.csv" && chmod 600 "$OB/outbox.csv"
M=200
check "$M more events recorded" says "Recorded $M audit events." agent mark --count $M --user s1001
queued() { cn ss -Hlun "sport = :$RPORT" | awk '{ print $2 }'; }
kill -STOP "$SO_RELAY_PID"
nsenter -t "$CARDS_HOLDER" -n -- "$AGENT" flush --netvm 127.0.0.1 --port "$RPORT" --outbox "$OB" \
	--timeout-ms 10000 >drain.out 2>&1 </dev/null &
DRAIN=$!
_cards_wait 200 relay_queued
q=$(queued)
nsenter -t "$CARDS_HOLDER" -n -- "$AGENT" login --otp --user s1001 --netvm 127.0.0.1 --port "$RPORT" \
	--state-dir "$tmp/state" --timeout-ms 10000 --code-fd 4 --pin-fd 3 3<pin 4<code \
	>login.out 2>&1 </dev/null &
LOGIN=$!
more_queued() { [ "$(queued)" -gt "$q" ]; }
_cards_wait 200 more_queued
check "the delivery's EVENTS and then the sign-on's HELLO wait in the relay's socket" more_queued
kill -CONT "$SO_RELAY_PID"
wait "$LOGIN"
wait "$DRAIN"
last_is() { local got; got=$(tail -n 1 "$1"); [ "$got" = "$2" ] || { cat "$1"; false; }; }
check "the sign-on during the delivery is served, not busy" last_is login.out \
	"Signed on as s1001 with emergency code + PIN for 480 minutes."
check "... and the delivery goes on: every event delivered" last_is drain.out "Delivered $M audit events."
check "the trail: $((N + M)) events of the outbox in order and the sign-on, the chain intact" bash -c \
	"[ \"\$(sqlite3 '$tmp/reg.db' \"SELECT reason FROM signon_audit WHERE op = 'mark' ORDER BY seq\" |
	  sed -n 's/^event \([0-9]*\): user; at [-0-9T:]*Z on the laptop; outbox $OBID\$/\1/p')\" = \"\$(seq 1 $((N + M)))\" ] &&
	 [ \$(sqlite3 '$tmp/reg.db' \"SELECT count(*) FROM signon_audit WHERE op = 'signon' AND
	   factor = 'code-pin' AND result = 'ok' AND staff_id = 's1001'\") = 1 ] &&
	 [ \"\$('$P' audit verify)\" = 'sign-on audit: $((N + 3 + M + 1)) records, chain intact' ]"
tap_done
