#!/bin/bash
# Handover on a shared terminal (issue 15, item 4), with real packets: the
# lab's laptop (sekishod, remote mode) behind sekisho-gw on a registry;
# sekisho-authd on the same registry; two staff cards through the real
# pcscd + vpcd (tests/cards); roles with hosts of their own
# (tests/integration/handover_lab.sh). s1001 (role tax) signs on with her
# card; s1002 (role welfare) holds his card to the reader and types his
# PIN: the laptop's stage 2 moves to him in one step:
#  - the gateway's sets hold s1002's elements only (exact `nft list set`):
#    the address in signed_on and role_welfare, none in role_tax;
#  - from work, the welfare host answers and the tax host does not; a
#    ping to the host every signed-on user may reach, running across the
#    handover, loses no packet (no gap);
#  - the registry: s1001's session closed "handed over to s1002", s1002's
#    open; the sign-on audit holds exactly one handover record naming both;
#  - refused: a handover with a wrong PIN (nothing moves), with nobody
#    signed on (no-session), and a stale move by name at the gateway.
# Before the handover the screen is locked, as at a real counter: s1001
# pulls her card and the agent's watch locks the session (a lock leaves
# stage 2 as it is); s1002's card + PIN then unlock it for him.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
. tests/cards/cards.sh
. tests/integration/handover_lab.sh

tmp=$(mktemp -d /tmp/sekisho-handover.XXXXXX)
chmod 0711 "$tmp"
PING= WATCH=
cleanup() {
	[ -n "$PING" ] && kill "$PING" 2>/dev/null && wait "$PING" 2>/dev/null
	[ -n "$WATCH" ] && kill "$WATCH" 2>/dev/null && wait "$WATCH" 2>/dev/null
	cards_down; netvm_cleanup; lab_down; rm -rf "$tmp"
}
trap cleanup EXIT
printf '000000\n' >"$tmp/badpin"
chmod 600 "$tmp/badpin"

if hl_up "$tmp"; then tap_ok "the lab: sekisho-gw, sekisho-authd on its registry, the laptop in remote mode, two cards"
else tap_not_ok "the lab"; tap_done; exit 1; fi

says() {
	local want=$1 got
	shift
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	got=$(tail -n 1 "$tmp/out")
	[ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; cat "$tmp/err"; return 1; }
}
A=$CARDS_READER0 B=$CARDS_READER1
ADDR=${LAB_TUNNEL_DEVICE%/*}
unreached() { ! hl_reach "$1"; }
# sets_are SIGNED_ON ROLE_TAX ROLE_WELFARE: each exactly that (an address
# or "" for empty), printed when not.
sets_are() {
	local a b c
	a=$(hl_set signed_on) b=$(hl_set role_tax) c=$(hl_set role_welfare)
	[ "$a" = "${1:+$1 }" ] && [ "$b" = "${2:+$2 }" ] && [ "$c" = "${3:+$3 }" ] ||
		{ echo "signed_on: [$a] role_tax: [$b] role_welfare: [$c]"; return 1; }
}
sets_wait() {
	lab_wait_for -t 10 sets_are "$@" && return 0
	date -u +%T.%N; sets_are "$@"; tail -n 5 "$LAB_DIR/log/agency-gw.log" "$LAB_DIR/log/authd.log"
	return 1
}

check "stage 1: the tax host does not answer" unreached "$HL_TAX"
check "nobody signed on: a handover is refused by the agent" says \
	"Not signed on: there is no session on this laptop to hand over; sign on." \
	hl_agent handover --reader "$B" --pin-fd 3 3<"$HL_DIR/pin"
check "s1001 signs on with her card + PIN" says \
	"Signed on as s1001 with card + PIN for 480 minutes." \
	hl_agent login --reader "$A" --pin-fd 3 3<"$HL_DIR/pin"
check "the gateway: the laptop in signed_on and role_tax" sets_wait "$ADDR" "$ADDR" ""
check "as s1001: the tax host answers" hl_reach "$HL_TAX"
check "as s1001: the welfare host does not" unreached "$HL_WELFARE"

# ---- a wrong PIN moves nothing ----
check "s1002 with a wrong PIN: refused, the verifier's tries left" says "Wrong PIN: 4 tries left." \
	hl_agent handover --reader "$B" --pin-fd 3 3<"$tmp/badpin"
check "nothing moved: the sets are s1001's" sets_are "$ADDR" "$ADDR" ""

# ---- the handover, a ping to the common host across it ----
# the counter's screen lock: s1001 pulls her card, the watch locks
printf '#!/bin/sh\necho locked >>"%s"\n' "$tmp/locks" >"$tmp/lockhook" && chmod 755 "$tmp/lockhook"
nsenter -t "$CARDS_HOLDER" -m -r --net="/run/netns/$NS_WORK" --wd="$PWD" -- \
	"$LAB_BUILD/sekisho-agent" watch --netvm "$LAB_WORK_ROUTER" --state-dir "$HL_DIR/state" \
	--outbox "$HL_DIR/outbox" --reader "$A" --lock-cmd "$tmp/lockhook" --flush-every 3600 -v \
	>"$tmp/watch.out" 2>"$tmp/watch.err" </dev/null &
WATCH=$!
check "the agent's watch watches s1001's card" lab_wait_for -t 10 grep -q "watching the card in $A" \
	"$tmp/watch.err"
card_remove carda
locked() { grep -qx 'Locked: the card was removed.' "$tmp/watch.out" && [ "$(cat "$tmp/locks")" = locked ]; }
check "s1001 pulls her card: the session is locked, once" lab_wait_for -t 5 locked
check "the lock is recorded for s1001 in the laptop's audit outbox" \
	grep -Eqx 'E,1,[0-9]+,lock,card-removed,s1001' "$HL_DIR/outbox/outbox.csv"
check "locked: stage 2 stays s1001's (a lock closes nothing at the gateway)" sets_are "$ADDR" "$ADDR" ""
# (waited for before the handover, so that the trail holds the lock first)
lock_trail() { grep -q '"user":"s1001","laptop":"'"$HL_DEVICE"'","op":"lock",.*"reason":"event 1: card-removed; at ' \
	"$HL_DIR/audit.jsonl"; }
check "the lock reached the verifier's trail, for s1001" lab_wait_for -t 10 lock_trail

check "as s1001: the common host answers" hl_reach "$HL_COMMON"
n work ping -n -i 0.01 -c 600 -W 5 "$HL_COMMON" >"$tmp/ping" 2>&1 &
PING=$!
lab_wait_for -t 5 grep -q 'bytes from' "$tmp/ping"
check "s1002's card + PIN while s1001 is signed on: handed over" says \
	"Handed over from s1001: signed on as s1002 with card + PIN for 480 minutes." \
	hl_agent handover --reader "$B" --pin-fd 3 3<"$HL_DIR/pin"
check "the gateway applied it as one change (its log)" lab_wait_for -t 10 grep -qF \
	"device $HL_DEVICE: session handed over from s1001 to s1002 (card-pin, role welfare)" \
	"$LAB_DIR/log/agency-gw.log"
# The ping must still run: it spanned the handover, or it proves nothing.
if kill -0 "$PING" 2>/dev/null; then tap_ok "the ping to the common host was still running after the handover"
else tap_not_ok "the ping to the common host ended before the handover"; fi
wait "$PING"
PING=
check "no gap: every one of the 600 echo requests to the common host was answered" \
	grep -qE '^600 packets transmitted, 600 received' "$tmp/ping"

check "exactly s1002's elements: signed_on and role_welfare hold the laptop, role_tax nothing" \
	sets_are "$ADDR" "" "$ADDR"
check "as s1002: the welfare host answers" hl_reach "$HL_WELFARE"
check "as s1002: the tax host does not" unreached "$HL_TAX"
gw_lists() { lab_gw session list | grep -E "^$HL_DEVICE +s1002 +card-pin "; }
check "the gateway lists s1002's session" gw_lists
status_is() { hl_agent status | grep -q "^Signed on as $1 "; }
check "the agent's status names s1002" status_is s1002
kill "$WATCH"; wait "$WATCH" 2>/dev/null
WATCH=

# ---- the registry and the audit ----
reg_moved() {
	local a
	a=$(lab_gw_prov audit "$HL_DEVICE") || return 1
	grep -E 'session close.*of s1001 closed: handed over to s1002' <<<"$a" &&
	grep -E 'session open.*for s1002 by card-pin' <<<"$a" || { echo "$a"; return 1; }
}
check "the registry: s1001's session closed, handed over to s1002; s1002's opened" reg_moved
one_record() {
	local rec
	rec=$(grep '"op":"handover","factor":"[a-z-]*","result":"ok"' "$HL_DIR/audit.jsonl")
	[ "$(grep -c . <<<"$rec")" = 1 ] &&
	grep -q '"user":"s1002","laptop":"'"$HL_DEVICE"'","op":"handover","factor":"card-pin","result":"ok".*"reason":"handover from s1001 to s1002"' <<<"$rec" ||
		{ cat "$HL_DIR/audit.jsonl"; return 1; }
}
check "exactly one handover record in the audit (the wrong PIN's is a refusal), naming both users" one_record
chain_ok() {
	lab_gw_prov audit verify >/dev/null &&
	[ "$(lab_gw_prov audit export --from "$(date -u -d yesterday +%F)" \
	    --to "$(date -u -d tomorrow +%F)" --csv | grep -c 'handover from s1001 to s1002')" = 1 ]
}
check "the registry's chained audit holds it once, and verifies" chain_ok

# ---- a stale move by name at the gateway changes nothing ----
stale_move() {
	local out
	out=$(lab_gw session move "$HL_DEVICE" s1001 s1003 2>&1) && return 1
	grep -qF "no handover: device $HL_DEVICE has no session of s1001 in force" <<<"$out" ||
		{ echo "$out"; return 1; }
}
check "the gateway: a move from s1001 (no longer signed on) is refused" stale_move
check "and s1002 keeps the laptop" sets_are "$ADDR" "" "$ADDR"

# ---- face or finger + PIN (libfprint's virtual device) ----
export FP_VIRTUAL_DEVICE=$tmp/fp.sock
mkdir -m 0700 "$HL_DIR/prints"
finger_says() {
	local want=$1
	shift
	hl_finger "$@" 3<"$HL_DIR/pin"
	[ "$(tail -n 1 "$HL_DIR/fout")" = "$want" ] || { cat "$HL_DIR/fout" "$HL_DIR/ferr"; return 1; }
}
check "s1003 enrols a finger on the counter's laptop" finger_says "Fingerprint enrolled for s1003." \
	'SCAN w3' 'SCAN w3' 'SCAN w3' 'SCAN w3' 'SCAN w3' -- finger-enroll --user s1003
check "s1001 enrols one too" finger_says "Fingerprint enrolled for s1001." \
	'SCAN t1' 'SCAN t1' 'SCAN t1' 'SCAN t1' 'SCAN t1' -- finger-enroll --user s1001
check "s1001's finger + PIN: her role (tax) may not switch that way" finger_says \
	"Refused: your policy does not allow signing on with face or fingerprint + PIN." \
	'SCAN t1' -- handover --finger --user s1001 --pin-fd 3
check "s1003's finger + PIN while s1002 is signed on: handed over" finger_says \
	"Handed over from s1002: signed on as s1003 with face or fingerprint + PIN for 480 minutes." \
	'SCAN w3' -- handover --finger --user s1003 --pin-fd 3
check "the gateway: handed over to s1003, same role" lab_wait_for -t 10 grep -qF \
	"device $HL_DEVICE: session handed over from s1002 to s1003 (biometric-pin, role welfare)" \
	"$LAB_DIR/log/agency-gw.log"
check "the sets: signed_on and role_welfare, role_tax nothing" sets_are "$ADDR" "" "$ADDR"
bio_record() {
	[ "$(grep -c '"user":"s1003","laptop":"'"$HL_DEVICE"'","op":"handover","factor":"biometric-pin","result":"ok".*"reason":"handover from s1002 to s1003"' \
	    "$HL_DIR/audit.jsonl")" = 1 ] || { cat "$HL_DIR/audit.jsonl"; return 1; }
}
check "one handover record for it, naming both" bio_record
unset FP_VIRTUAL_DEVICE

# ---- back, and sign-off ----
card_insert carda 0 --id "$HL_IDM_A"
check "s1001 takes it back with her card" says \
	"Handed over from s1003: signed on as s1001 with card + PIN for 480 minutes." \
	hl_agent handover --reader "$A" --pin-fd 3 3<"$HL_DIR/pin"
check "the sets follow: s1001's again" sets_wait "$ADDR" "$ADDR" ""

# ---- her role changed while she is signed on (HR, the directory) ----
# The registry feeds "session role" for her open session: the gateway
# moves it to the new role's set, the old role's access goes at once.
check "IT moves s1001 from role tax to role welfare, signed on" \
	lab_gw_prov user add s1001 --name 'Tax Clerk' --role welfare
check "the gateway follows: signed_on and role_welfare, role_tax nothing" \
	sets_wait "$ADDR" "" "$ADDR"
check "as s1001 (welfare now): the tax host does not answer" unreached "$HL_TAX"
check "as s1001: the welfare host answers" hl_reach "$HL_WELFARE"
check "sign-off" says "Signed off." hl_agent logout
check "stage 1: every set empty" sets_wait "" "" ""
check "stage 1: the common host does not answer" unreached "$HL_COMMON"

tap_done
