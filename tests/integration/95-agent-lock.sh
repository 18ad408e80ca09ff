#!/bin/bash
# Lock on card removal and presence (issue 15 items 3 and 5, docs/agent.md
# "Lock and presence"): `sekisho-agent watch` with the real pcscd + vpcd
# (tests/cards/cards.sh) and the project's vcard. Pulling the card locks
# the session (the lock command runs, once) and records a "lock" event,
# reason card removed, which reaches the real verifier's audit trail
# through the real relay; the card put back and pulled again locks again;
# a lock command that fails records nothing; pcscd dying while a card is
# watched locks (fail closed). Presence by finger (libfprint's
# virtual device, the stand-in for a face): a matching finger within the
# period keeps the session, then none for the period locks it, recorded as
# "presence". Presence from the policy: the relay started with the
# policy's presence block (-P face:10, as sekishod starts it) hands it to
# the agent at sign-on, and `watch` with no --presence locks after the
# policy's 10 s. The event is asserted, not the time it took (tests/bench/
# agent.sh measures that).
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
ROOT=$PWD
tmp=$(mktemp -d /tmp/sekisho-agent-lock.XXXXXX)
chmod 0711 "$tmp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	cards_down
	[ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT
for f in "$AGENT" "$P" "$AUTHD" "$RELAY" "$VCARD"; do
	[ -x "$f" ] || { tap_not_ok "$f is not built"; tap_done; exit 1; }
done
bash tests/sandbox-users.sh >/dev/null
VPORT=51831 RPORT=51832	# inside the stack's own network namespace
IDM=0123456789ABCDEF
cd "$tmp" || exit 1

# ---- the registry, the verifier and the relay ----
export SEKISHO_REGISTRY="sqlite:$tmp/reg.db" SEKISHO_KEYS=$tmp/keys
so_template >tmpl.conf
printf 'role * card-pin biometric\n' >rules
provision() { so_laptops pc-001 && so_user s1001 'Yamada Taro' clerk; }
check "provisioning: a laptop and a user" provision
so_verifier_keys authd
if cards_up "$tmp/c"; then tap_ok "pcscd + vpcd in the test's namespaces"
else tap_not_ok "pcscd + vpcd"; tap_done; exit 1; fi
so_authd_ns
so_relay_ns
so_listening "$VPORT" "$RPORT" ||
	{ tap_not_ok "the verifier and the relay listen"; cat authd.log relay.log; tap_done; exit 1; }

# s1001 is signed on (the session file login writes), the lock command is
# a script that counts its runs and fails while $tmp/lockfail exists
mkdir -m 0700 state
printf 'v1 s1001 1 %d\n' $(( $(date +%s) + 3600 )) >state/session
chmod 600 state/session
cat >lockhook <<EOF
#!/bin/sh
[ -e "$tmp/lockfail" ] && exit 3
echo locked >>"$tmp/locks"
EOF
chmod 755 lockhook
OB=$tmp/outbox

# waitfor N FILE PATTERN: until FILE has a line matching PATTERN (grep -E),
# at most N times 0.05 s
waitfor() { _cards_wait "$1" grep -Eq "$3" "$2"; }
start_watch() {	# NAME ARGS...
	local name=$1
	shift
	nsenter -t "$CARDS_HOLDER" -m -r -n --wd="$PWD" -- "$AGENT" watch --netvm 127.0.0.1 \
		--port "$RPORT" --state-dir "$tmp/state" --outbox "$OB" --prints "$tmp/prints" \
		--lock-cmd "$tmp/lockhook" --timeout-ms 400 --flush-every 3600 -v "$@" \
		>"$name.out" 2>"$name.err" </dev/null &
	WATCH=$!
	pids+=("$WATCH")
}
in_trail() { grep -q "$1" audit.jsonl 2>/dev/null; }

# ---- lock on card removal ----
card_insert idcard 0 --id "$IDM"
start_watch w1 --reader "$CARDS_READER0"
check "watch: the card in the reader is watched" waitfor 200 w1.err "watching the card in $CARDS_READER0"
card_remove idcard
check "card removed: the session is locked, the exact line" waitfor 200 w1.out '^Locked: the card was removed\.$'
check "the lock command ran once" bash -c "[ \"\$(cat '$tmp/locks')\" = locked ]"
check "recorded in the outbox: lock, card removed, who was signed on" \
	grep -Eqx 'E,1,[0-9]+,lock,card-removed,s1001' "$OB/outbox.csv"
check "delivered: the verifier's audit trail holds the lock" _cards_wait 200 in_trail \
	'"user":"s1001","laptop":"pc-001","op":"lock","factor":"none","result":"ok",.*"reason":"event 1: card-removed; at '
check "... and the outbox says it was delivered" waitfor 200 "$OB/outbox.csv" '^A,1,1$'

card_insert idcard 0 --id "$IDM"
check "the card back: watched again" _cards_wait 200 bash -c "[ \$(grep -c 'watching the card in' w1.err) = 2 ]"
card_remove idcard
check "pulled again: locked again" _cards_wait 200 bash -c "[ \$(grep -c '^Locked: the card was removed\.$' w1.out) = 2 ]"
check "second lock recorded and delivered" _cards_wait 200 in_trail '"reason":"event 2: card-removed; at '

touch lockfail
card_insert idcard 0 --id "$IDM"
_cards_wait 200 bash -c "[ \$(grep -c 'watching the card' w1.err) -ge 3 ]"
card_remove idcard
check "a lock command that fails: one line saying so" waitfor 200 w1.err \
	"^sekisho-agent: the session could not be locked: '$tmp/lockhook' failed \(exit 3\)$"
check "... and no lock is recorded" bash -c "[ \$(grep -c '^E,' '$OB/outbox.csv') = 2 ] &&
	[ \$(grep -c '^Locked' w1.out) = 2 ]"
rm -f lockfail

# the card service dies while a card is watched: nobody can say the card
# is there any more, so the session locks (fail closed)
card_insert idcard 0 --id "$IDM"
_cards_wait 200 bash -c "[ \$(grep -c 'watching the card' w1.err) -ge 4 ]"
kill -TERM "${CARDS_PIDS[0]}"
check "pcscd gone while the card is watched: locked, and said why" waitfor 200 w1.err \
	'^sekisho-agent: watch: the card service failed \(.*\): locking$'
check "... recorded as the card gone" _cards_wait 200 grep -Eqx 'E,3,[0-9]+,lock,card-removed,s1001' \
	"$OB/outbox.csv"
kill "$WATCH"; wait "$WATCH" 2>/dev/null

# ---- presence by finger (libfprint's virtual device) ----
export FP_VIRTUAL_DEVICE="$tmp/fp.sock"
mkdir -m 0700 prints
fp() { python3 "$ROOT/tests/cards/fpctl.py" "$FP_VIRTUAL_DEVICE" "$@"; }
enrol() {
	"$AGENT" finger-enroll --user s1001 --prints "$tmp/prints" >enrol.out 2>enrol.err </dev/null &
	local pid=$!
	_cards_wait 400 grep -q 'Touch the fingerprint sensor' enrol.err
	fp 'SCAN right-index-a' 'SCAN right-index-a' 'SCAN right-index-a' 'SCAN right-index-a' \
		'SCAN right-index-a'
	wait "$pid" && grep -qx 'Fingerprint enrolled for s1001.' enrol.out
}
check "presence: s1001's finger enrolled" enrol
start_watch w2 --no-card --presence finger --presence-period 3
check "presence: the sensor asks" waitfor 400 w2.err '^Presence: touch the fingerprint sensor\.$'
fp 'SCAN right-index-a'
check "presence: the signed-on user's finger within the period: verified" \
	waitfor 200 w2.err '^sekisho-agent: presence verified \(s1001\)$'
check "... and not locked" bash -c "! grep -q Locked w2.out"
# another finger, then nothing: nobody was verified for the period
_cards_wait 400 bash -c "[ \$(grep -c '^Presence: touch' w2.err) -ge 2 ]"
fp 'SCAN left-thumb-b'
check "presence lapsed: locked, the exact line" waitfor 400 w2.out \
	'^Locked: nobody was verified for 3 s\.$'
check "recorded: lock, presence, s1001; delivered" _cards_wait 200 in_trail \
	'"user":"s1001","laptop":"pc-001","op":"lock","factor":"none","result":"ok",.*"reason":"event 4: presence; at '
check "one lock for one lapse" bash -c "[ \$(grep -c '^Locked' w2.out) = 1 ]"
kill "$WATCH"; wait "$WATCH" 2>/dev/null

# ---- presence from the policy: no switch on the command line ----
# The relay as sekishod starts it from a policy with `presence { factor
# face; period 10 }` (-P face:10, netvm/sekishod/signon.c): it hands the
# presence to the agent with the challenge, the session file keeps it, and
# watch re-verifies by it.
PPORT=51833
nsenter -t "$CARDS_HOLDER" -n -- "$RELAY" -d -n pc-001 -k out1/signon.key -V "127.0.0.1:$VPORT" \
	-S "$(cat authd/sign.pub)" -E "$(cat authd/seal.pub)" -l "127.0.0.1:$PPORT" -P face:10 \
	2>relay-presence.log &
pids+=($!)
so_listening "$PPORT" || { tap_not_ok "the relay with -P listens"; cat relay-presence.log; }
finger_login() {
	nsenter -t "$CARDS_HOLDER" -n -- "$AGENT" login --finger --user s1001 --netvm 127.0.0.1 \
		--port "$PPORT" --state-dir "$tmp/state2" --prints "$tmp/prints" --timeout-ms 2000 \
		>login.out 2>login.err </dev/null &
	local pid=$!
	_cards_wait 400 grep -q 'Touch the fingerprint sensor' login.err
	fp 'SCAN right-index-a'
	wait "$pid" && grep -Eqx 'Signed on as s1001 with fingerprint for [0-9]+ minutes\.' login.out ||
		{ cat login.out login.err; return 1; }
}
check "presence: s1001 signs on with her finger through that relay" finger_login
check "the session keeps the policy's presence: face, 10 s" \
	grep -Eqx 'v1 s1001 4 [0-9]+ 2 10' "$tmp/state2/session"
start_watch w3 --no-card --port "$PPORT" --state-dir "$tmp/state2"
check "watch without --presence: the policy's asks for the finger" \
	waitfor 400 w3.err '^Presence: touch the fingerprint sensor\.$'
fp 'SCAN right-index-a'
check "... her finger within the period: verified" \
	waitfor 200 w3.err '^sekisho-agent: presence verified \(s1001\)$'
check "... and not locked" bash -c "! grep -q Locked w3.out"
check "nobody for the policy's 10 s: locked, the exact line" waitfor 600 w3.out \
	'^Locked: nobody was verified for 10 s\.$'
check "recorded: lock, presence, s1001; delivered" _cards_wait 200 in_trail \
	'"user":"s1001","laptop":"pc-001","op":"lock","factor":"none","result":"ok",.*"reason":"event 5: presence; at '
check "one lock for one lapse" bash -c "[ \$(grep -c '^Locked' w3.out) = 1 ]"
kill "$WATCH"; wait "$WATCH" 2>/dev/null
check "audit verify: the chain holds" bash -c \
	"[ \"\$('$P' audit verify)\" = 'sign-on audit: 6 records, chain intact' ]"
tap_done
