#!/bin/bash
# Sign-on end to end with the real agent and real cards: sekisho-agent in
# the card stack's namespaces (tests/cards/cards.sh: pcscd + vpcd, vcard,
# libfprint's virtual device) speaks to the real netvm relay
# (sekisho-signon) which binds each request to the laptop and forwards it to
# the real verifier (sekisho-authd) over a registry made by
# sekisho-provision (SQLite). Each case asserts the exact line the agent
# prints: identifier card + PIN, status, sign-off, a wrong PIN with the
# verifier's tries left, an unregistered card, the keyed card answering the
# verifier's challenge (its request replayed from the capture, a card with a
# copied certificate and an unenrolled keyed card: refused), that card pulled during GENERAL AUTHENTICATE, the emergency
# code once, twice and expired (and never sent without the PIN), a
# fingerprint where the role allows it and where it does not, a non-match
# counted, lockout across factors (five wrong PINs refused by a keyed card
# itself, reported by the agent, lock its user for every factor), the
# verifier down; and no PIN or code in a capture of every packet.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
. tests/cards/cards.sh
. tests/signon/setup.sh

BD=$PWD/${B:-build}
AGENT=$BD/sekisho-agent
P=$BD/sekisho-provision
PT=$BD/test/sekisho-provision	# its test build: $SEKISHO_NOW sets its clock
AUTHD=$BD/sekisho-authd
RELAY=$BD/sekisho-signon
tmp=$(mktemp -d /tmp/sekisho-agent-signon.XXXXXX)
chmod 0711 "$tmp"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	cards_down
	rm -rf "$tmp"
}
trap cleanup EXIT
for f in "$AGENT" "$P" "$AUTHD" "$RELAY" "$VCARD"; do
	[ -x "$f" ] || { tap_not_ok "$f is not built"; tap_done; exit 1; }
done
bash tests/sandbox-users.sh >/dev/null

PIN=739164		# the registry's PIN of the identifier card's owner
CPIN=2468		# the keyed card's own PIN
IDM=0123456789ABCDEF
VPORT=51831 RPORT=51832	# inside the stack's own network namespace
ROOT=$PWD
cd "$tmp" || exit 1
printf '%s\n' "$PIN" >pin
printf '%s\n' "$CPIN" >cpin
printf '000000\n' >badpin
chmod 600 pin cpin badpin

# ---- the keyed card and the registry ----
openssl ecparam -name prime256v1 -genkey -noout -out key.pem 2>/dev/null
openssl pkey -in key.pem -pubout -out pub.pem 2>/dev/null
openssl req -new -x509 -key key.pem -subj /CN=s1002 -days 2 -outform DER -out cert.der 2>/dev/null
PKB64=$(openssl ec -pubin -in pub.pem -conv_form compressed -outform DER 2>/dev/null | tail -c 33 | base64 -w0)
export SEKISHO_REGISTRY="sqlite:$tmp/reg.db" SEKISHO_KEYS=$tmp/keys
so_template >tmpl.conf
printf 'role * card-pin card-key code-pin\nrole nurse card-key code-pin biometric\n' >rules
provision() {
	so_laptops pc-001 &&
	so_user s1001 '山田 太郎' clerk pin --idm "$IDM" &&
	so_user s1002 '佐藤 花子' nurse pin --pubkey "$PKB64"
}
check "provisioning: two staff, an IDm card and a keyed card by its key" provision
code=$("$P" -q otp issue s1001 --valid 1h | head -1)
old=$(SEKISHO_NOW=$(( $(date +%s) - 7200 )) "$PT" -q otp issue s1001 --valid 1h | head -1)
so_verifier_keys authd

# ---- the stack: pcscd + vpcd, the verifier and the relay, a capture ----
if cards_up "$tmp/c"; then tap_ok "pcscd + vpcd in the test's namespaces"
else tap_not_ok "pcscd + vpcd"; tap_done; exit 1; fi
nsenter -t "$CARDS_HOLDER" -n -- tcpdump --immediate-mode -i lo -U -s 0 -w cap.pcap udp 2>/dev/null &
pids+=($!)
so_authd_ns
so_relay_ns
so_listening "$VPORT" "$RPORT" ||
	{ tap_not_ok "the verifier and the relay listen"; cat authd.log relay.log; tap_done; exit 1; }
# tcpdump is capturing once it has written its file header
_cards_wait 200 test -s cap.pcap

agent() { cn "$AGENT" "$1" --netvm 127.0.0.1 --port "$RPORT" --state-dir "$tmp/state" "${@:2}"; }
# says WANT CMD...: exactly WANT as the last line on stdout
says() {
	local want=$1 got
	shift
	"$@" </dev/null >out 2>err
	cat out err >>agent-said.log
	got=$(tail -n 1 out)
	[ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; cat err; return 1; }
}

# ---- identifier card + PIN ----
card_insert idcard 0 --id "$IDM"
check "identifier card + PIN: signed on" says "Signed on as s1001 with card + PIN for 480 minutes." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<pin
check "status: who, with what, until when" bash -c \
	"'$AGENT' status --state-dir '$tmp/state' | grep -qx 'Signed on as s1001 with card + PIN until [-0-9]* [0-9:]* UTC.'"
check "logout: signed off" says "Signed off." agent logout
check "status after logout: not signed on" says "Not signed on." agent status
check "identifier card, wrong PIN: the verifier's tries left" says "Wrong PIN: 4 tries left." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<badpin
card_remove idcard
card_insert stranger 0 --id FFEEDDCCBBAA9988
check "a card nobody enrolled: unknown card" says \
	"Unknown card: this card is not registered for sign-on; ask IT." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<pin
card_remove stranger

# ---- the keyed card: its PIN stays on the card, it signs the challenge ----
card_insert kcard 1 --id 0140C0FFEE001234 --key key.pem --cert cert.der --pin-file cpin \
	--state card-tries
check "keyed card: signed on by the card's answer to the verifier's challenge" says \
	"Signed on as s1002 with card key + PIN for 480 minutes." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<cpin
card_remove kcard
# The keyed card's exchange, captured and sent again: the verifier refuses
# the replay (SIGNON_R_REPLAY = 10), though the card's signature is good.
replayed() {
	local got
	got=$(cn python3 "$ROOT/tests/cards/replay.py" cap.pcap pk: 127.0.0.1 "$RPORT")
	[ "$got" = "result 10" ] || { echo "got: $got"; return 1; }
}
check "the keyed card's request replayed from the capture: refused as a replay" replayed
# A card showing the enrolled card's certificate but holding another key
# (a copied certificate): its signature does not verify.
openssl ecparam -name prime256v1 -genkey -noout -out other.pem 2>/dev/null
openssl req -new -x509 -key other.pem -subj /CN=nobody -days 2 -outform DER -out other.der 2>/dev/null
card_insert kfake 1 --id 0140C0FFEE009999 --key other.pem --cert cert.der --pin-file cpin \
	--state fake-tries
check "a card with a copied certificate and another key: its signature is refused" says \
	"Refused: the card's signature did not verify; ask IT." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<cpin
card_remove kfake
card_insert kother 1 --id 0140C0FFEE009999 --key other.pem --cert other.der --pin-file cpin \
	--state other-tries
check "a keyed card nobody enrolled: unknown card" says \
	"Unknown card: this card is not registered for sign-on; ask IT." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<cpin
card_remove kother
card_insert kpull 1 --id 0140C0FFEE001234 --key key.pem --cert cert.der --pin-file cpin \
	--state card-tries --remove-on 87
check "keyed card pulled during GENERAL AUTHENTICATE: card removed" says \
	"Card removed: the card left the reader before sign-on finished; hold it to the reader and try again." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<cpin
card_remove kpull

# ---- the emergency code, with the PIN ----
printf '%s\n' "$code" >code
chmod 600 code
check "emergency code + PIN: signed on" says \
	"Signed on as s1001 with emergency code + PIN for 480 minutes." \
	agent login --otp --user s1001 --code-fd 4 --pin-fd 3 3<pin 4<code
check "the same code twice: refused" says \
	"Code refused: this emergency code was used already; ask IT for a new one." \
	agent login --otp --user s1001 --code-fd 4 --pin-fd 3 3<pin 4<code

# ---- fingerprint: matched in the work partition, allowed by role ----
export FP_VIRTUAL_DEVICE="$tmp/fp.sock"
mkdir -m 0700 prints
finger() {	# CMDS... -- SUBCOMMAND ARGS...
	local cmds=() pid i
	while [ "$1" != -- ]; do cmds+=("$1"); shift; done
	shift
	cn "$AGENT" "$1" --netvm 127.0.0.1 --port "$RPORT" --state-dir "$tmp/state" \
		--prints "$tmp/prints" "${@:2}" >out 2>err </dev/null &
	pid=$!
	for ((i = 0; i < 400; i++)); do
		grep -q 'Touch the fingerprint sensor' err && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	python3 "$OLDPWD/tests/cards/fpctl.py" "$FP_VIRTUAL_DEVICE" "${cmds[@]}"
	wait "$pid"
}
finger_says() { local want=$1; shift; finger "$@"; [ "$(tail -n 1 out)" = "$want" ] || { cat out err; return 1; }; }
OLDPWD=$(cd "$OLDPWD" && pwd)
check "fingerprint: s1002 enrols" finger_says "Fingerprint enrolled for s1002." \
	'SCAN n1' 'SCAN n1' 'SCAN n1' 'SCAN n1' 'SCAN n1' -- finger-enroll --user s1002
check "fingerprint: s1001 enrols" finger_says "Fingerprint enrolled for s1001." \
	'SCAN c1' 'SCAN c1' 'SCAN c1' 'SCAN c1' 'SCAN c1' -- finger-enroll --user s1001
check "fingerprint where the role allows it: signed on" finger_says \
	"Signed on as s1002 with fingerprint for 480 minutes." 'SCAN n1' -- login --finger --user s1002
check "fingerprint where the role forbids it: refused" finger_says \
	"Refused: your policy does not allow signing on with fingerprint." 'SCAN c1' -- login --finger --user s1001
# (s1002's second failure: the copied certificate's refused signature was
# the first)
check "a finger that does not match: counted with the card's, tries left" finger_says \
	"Fingerprint not recognised: 3 tries left; try again, or sign on with your card." \
	'SCAN other' -- login --finger --user s1002
unset FP_VIRTUAL_DEVICE

# ---- a keyed card's wrong PINs: the card counts them, and so does the
# agency, across factors (the card has 10 tries here: the user's lock
# comes from the verifier's count) ----
code2=$("$P" -q otp issue s1002 --valid 1h | head -1)
printf '%s\n' "$code2" >code2
chmod 600 code2
card_insert klock 1 --id 0140C0FFEE001234 --key key.pem --cert cert.der --pin-file cpin \
	--state lock-tries --tries 10
check "keyed card: signed on (s1002's two failures reset)" says \
	"Signed on as s1002 with card key + PIN for 480 minutes." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<cpin
for n in 4 3 2; do
	check "keyed card, wrong PIN: refused by the card, counted by the verifier, $n tries left" \
		says "Wrong PIN: $n $([ $n = 1 ] && echo try || echo tries) left." \
		agent login --reader "$CARDS_READER1" --pin-fd 3 3<badpin
done
check "keyed card, wrong PIN: 1 try left" says "Wrong PIN: 1 try left." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<badpin
check "fifth wrong PIN at the card (which has tries left): the user is locked" says \
	"Wrong PIN: no tries left; locked, ask IT to unlock your account." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<badpin
check "locked: the card with its right PIN is refused" says \
	"Locked: too many failed sign-ons; ask IT to unlock your account." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<cpin
check "locked: the emergency code with the PIN is refused" says \
	"Locked: too many failed sign-ons; ask IT to unlock your account." \
	agent login --otp --user s1002 --code-fd 4 --pin-fd 3 3<pin 4<code2
check "the audit: five pin-refused records, exact, the fifth locking" bash -c "
	[ \$(grep -c '\"user\":\"s1002\",\"laptop\":\"pc-001\",\"op\":\"pin-refused\",\"factor\":\"card-key\",\"result\":\"wrong-pin\",\"mode\":\"unknown\",\"uplink\":\"\",\"from\":\"127.0.0.1:[0-9]*\",\"reason\":\"wrong PIN: the card refused it ([1-5] of 5)' audit.jsonl) = 5 ] &&
	grep -q '\"op\":\"pin-refused\",.*\"reason\":\"wrong PIN: the card refused it (5 of 5); user locked\"' audit.jsonl &&
	[ \$(grep -c '\"user\":\"s1002\",.*\"result\":\"locked\"' audit.jsonl) = 2 ]"
"$P" -q user unlock s1002
check "IT unlocks s1002: the keyed card signs on" says \
	"Signed on as s1002 with card key + PIN for 480 minutes." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<cpin
card_remove klock

# ---- lockout across factors (s1001: one wrong PIN and one used code so far) ----
card_insert idcard2 0 --id "$IDM"
check "a wrong PIN after a refused code: counted together, 3 tries left" says "Wrong PIN: 3 tries left." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<badpin
check "and again: 2 tries left" says "Wrong PIN: 2 tries left." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<badpin
check "and again: 1 try left" says "Wrong PIN: 1 try left." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<badpin
check "fifth failure across factors: no tries left, locked" says \
	"Wrong PIN: no tries left; locked, ask IT to unlock your account." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<badpin
check "locked: even the right PIN is refused" says \
	"Locked: too many failed sign-ons; ask IT to unlock your account." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<pin
"$P" -q user unlock s1001
check "IT unlocks: the right PIN signs on" says "Signed on as s1001 with card + PIN for 480 minutes." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<pin

# ---- an expired code; a code without the PIN never leaves the laptop ----
printf '%s\n' "$old" >oldcode
printf '\n' >nopin
chmod 600 oldcode nopin
check "an expired emergency code: refused" says \
	"Code refused: this emergency code has expired; ask IT for a new one." \
	agent login --otp --user s1001 --code-fd 4 --pin-fd 3 3<pin 4<oldcode
check "a code without the PIN: the agent asks for both, sends nothing" says \
	"Cancelled: no PIN or code was given." \
	agent login --otp --user s1001 --code-fd 4 --pin-fd 3 3<nopin 4<code

# ---- the verifier down ----
kill "$SO_AUTHD_PID"
wait "$SO_AUTHD_PID" 2>/dev/null
check "the verifier down: the agent says so, exactly" says \
	"Verifier unreachable: the sign-on service does not answer; LGWAN stays closed, try again later." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<pin
card_remove idcard2

# ---- no PIN and no code on the wire ----
kill "${pids[0]}" 2>/dev/null
wait "${pids[0]}" 2>/dev/null
check "the capture holds the exchanges (the card id is public)" bash -c \
	"[ \$(tcpdump -r cap.pcap 2>/dev/null | wc -l) -ge 40 ] && grep -aq $IDM cap.pcap"
check "no PIN, card PIN or code in the capture" bash -c \
	"! grep -aq -e $PIN -e $CPIN cap.pcap && ! grep -aq -e '$code' -e '${code//-/}' -e '$old' -e '${old//-/}' cap.pcap"
check "no PIN or code in the verifier's, the relay's or pcscd's logs, nor in what the agent printed" bash -c \
	"! grep -rqa -e $PIN -e $CPIN -e '$code' authd.log relay.log audit.jsonl c/pcscd.log agent-said.log"

tap_done
