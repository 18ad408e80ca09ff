#!/bin/bash
# sekisho-agent against the real card and biometric stacks (docs/agent.md):
# the real pcscd with the vsmartcard vpcd reader driver in a private mount
# and network namespace (tests/cards/cards.sh), the project's own virtual
# cards (build/vcard: an identifier-only FeliCa-like card and a PIV-style
# keyed card) and Debian's vicc as an independent foreign card; libfprint
# with its virtual_device driver. Each case asserts the exact line the agent
# prints:
#   no PC/SC service; no reader; the identifier read by GET DATA; the keyed
#   card's key name; the keyed card's signature of a challenge, verified by
#   openssl against the enrolled public key; wrong PIN with the tries left,
#   then blocked; the card pulled in the middle of the PIN check and in the
#   middle of identification; a foreign card; the verifier unreachable;
#   fingerprint enrol, match and non-match.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
. tests/cards/cards.sh

AGENT=$PWD/${B:-build}/sekisho-agent
SIGN=$PWD/${B:-build}/card-sign
tmp=$(mktemp -d /tmp/sekisho-cards.XXXXXX)
chmod 0700 "$tmp"
cleanup() { cards_down; rm -rf "$tmp"; }
trap cleanup EXIT

for f in "$AGENT" "$SIGN" "$VCARD"; do
	[ -x "$f" ] || { tap_not_ok "$f is not built"; tap_done; exit 1; }
done

IDM=012E4CD1A2B3C4D5
KIDM=0140C0FFEE001234
printf '2468\n' >"$tmp/pin"
printf '1357\n' >"$tmp/badpin"
printf '12\n' >"$tmp/shortpin"
chmod 600 "$tmp"/*pin
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/key.pem" 2>/dev/null
openssl pkey -in "$tmp/key.pem" -pubout -out "$tmp/pub.pem" 2>/dev/null
openssl req -new -x509 -key "$tmp/key.pem" -subj /CN=S0001 -days 2 -outform DER \
	-out "$tmp/cert.der" 2>/dev/null
# The name IT enrols (sekisho-provision card assign --pubkey): the
# compressed point, base64.
PK="pk:$(openssl ec -pubin -in "$tmp/pub.pem" -conv_form compressed -outform DER 2>/dev/null |
	tail -c 33 | base64 -w0)"

# says WANT CMD...: exit status 1 and exactly WANT as the last line of stdout.
says() {
	local want=$1 rc got
	shift
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	cat "$tmp/out" "$tmp/err" >>"$tmp/agent-said.log"
	got=$(tail -n 1 "$tmp/out")
	[ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; cat "$tmp/err"; return 1; }
	[ "$rc" = 1 ] || { echo "exit $rc, want 1"; return 1; }
}
agent() { cn "$AGENT" "$1" --state-dir "$tmp/state" "${@:2}"; }

# ---- usage -------------------------------------------------------------------
if "$AGENT" --help >"$tmp/out" 2>&1 && grep -q '^Usage: sekisho-agent COMMAND' "$tmp/out" &&
	grep -q 'login' "$tmp/out"; then
	tap_ok "--help prints the usage and exits 0"
else
	tap_not_ok "--help: $(head -n 1 "$tmp/out")"
fi

# ---- no service, no reader ---------------------------------------------------
cards_nopcscd "$tmp/c0"
check "no pcscd: the exact line" says \
	"No card service: the smart card service (pcscd) is not running." \
	agent login --pin-fd 3 3<"$tmp/pin"
cards_down

if cards_up "$tmp/c1" 0; then tap_ok "pcscd with no reader, isolated"; else tap_not_ok "pcscd with no reader"; fi
check "no reader: the exact line" says \
	"No card reader: connect the card reader and try again." \
	agent login --pin-fd 3 3<"$tmp/pin"
cards_down

# ---- cards ---------------------------------------------------------------------
if cards_up "$tmp/c2"; then tap_ok "pcscd + vpcd, two readers on the namespace's loopback"
else tap_not_ok "pcscd + vpcd"; cat "$tmp/c2/pcscd.log"; tap_done; exit 1; fi
# vpcd listens inside the test's namespace only: not on the machine's.
check "vpcd's port is not open outside the namespace" \
	bash -c "! ss -Hltn 'sport = :$CARDS_PORT' | grep -q LISTEN"

card_insert idcard 0 --id "$IDM"
info() { cn "$AGENT" card-info --reader "$1" >"$tmp/info" && shift && for l in "$@"; do grep -qx "$l" "$tmp/info" || { cat "$tmp/info"; return 1; }; done; }
check "identifier card: card-info reads the IDm with GET DATA" \
	info "$CARDS_READER0" "kind: identifier" "identifier: $IDM" "card: $IDM"
check "identifier card, no netvm: verifier unreachable, the exact line" says \
	"Verifier unreachable: the netvm does not answer on the work link; LGWAN stays closed, try again later." \
	agent login --reader "$CARDS_READER0" --netvm 127.0.0.1 --timeout-ms 300 --pin-fd 3 3<"$tmp/pin"
card_remove idcard

# The agent started before the card: it waits in SCardGetStatusChange and
# goes on when the card arrives.
late() {
	local pid i
	cn "$AGENT" login --reader "$CARDS_READER0" --state-dir "$tmp/state" --netvm 127.0.0.1 \
		--timeout-ms 300 --pin-fd 3 3<"$tmp/pin" >"$tmp/late.out" 2>"$tmp/late.err" </dev/null &
	pid=$!
	for ((i = 0; i < 400; i++)); do
		grep -q 'Hold your staff card to the reader.' "$tmp/late.err" && break
		sleep 0.05
	done
	grep -q 'Hold your staff card to the reader.' "$tmp/late.err" || { kill "$pid"; echo "no prompt"; return 1; }
	card_insert latecard 0 --id "$IDM"
	wait "$pid"
	[ "$(tail -n 1 "$tmp/late.out")" = "Verifier unreachable: the netvm does not answer on the work link; LGWAN stays closed, try again later." ] ||
		{ cat "$tmp/late.out" "$tmp/late.err"; return 1; }
}
check "a card held to the reader after login started: the agent wakes and goes on" late
card_remove latecard

# A card pulled while it is being identified (at GET DATA).
card_insert idpull 0 --id "$IDM" --remove-on CA
check "card pulled during identification: the exact line" says \
	"Card removed: the card left the reader before sign-on finished; hold it to the reader and try again." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<"$tmp/pin"
card_remove idpull

keyed() { card_insert "$1" 1 --id "$KIDM" --key "$tmp/key.pem" --cert "$tmp/cert.der" \
	--pin-file "$tmp/pin" --state "$tmp/card-tries" "${@:2}"; }
keyed kcard
check "keyed card: card-info names it by its key, as IT enrols it" \
	info "$CARDS_READER1" "kind: keyed" "identifier: $KIDM" "card: $PK"

# The card signs a challenge digest; openssl verifies it with the public key.
head -c 32 /dev/urandom >"$tmp/digest"
dhex=$(od -An -tx1 -v "$tmp/digest" | tr -d ' \n')
sign_ok() {
	local rs
	rs=$(cn "$SIGN" --reader "$CARDS_READER1" --pin-fd 3 "$dhex" 3<"$tmp/pin") || { echo "$rs"; return 1; }
	# r|s -> DER ECDSA-Sig-Value for openssl
	python3 - "$rs" "$tmp/sig.der" <<'EOF' || return 1
import sys
rs = bytes.fromhex(sys.argv[1])
def integer(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b
body = integer(rs[:32]) + integer(rs[32:])
open(sys.argv[2], "wb").write(b"\x30" + bytes([len(body)]) + body)
EOF
	openssl pkeyutl -verify -pubin -inkey "$tmp/pub.pem" -in "$tmp/digest" -sigfile "$tmp/sig.der"
}
check "keyed card: its signature of the challenge verifies with the enrolled key (openssl)" sign_ok
# And not with another key: the check above can fail.
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/other.pem" 2>/dev/null
openssl pkey -in "$tmp/other.pem" -pubout -out "$tmp/other.pub" 2>/dev/null
check "the same signature does not verify with another key" bash -c \
	"! openssl pkeyutl -verify -pubin -inkey '$tmp/other.pub' -in '$tmp/digest' -sigfile '$tmp/sig.der'"

check "keyed card, wrong PIN: 4 tries left" says "Wrong PIN: 4 tries left." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<"$tmp/badpin"
check "keyed card, wrong PIN again: 3 tries left" says "Wrong PIN: 3 tries left." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<"$tmp/badpin"
check "keyed card, a PIN it cannot hold: no try used" says \
	"Wrong PIN: this card's PIN has 4 to 8 characters (no try used)." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<"$tmp/shortpin"
check "the card keeps its tries (3) across removal" grep -qx 3 "$tmp/card-tries"
card_remove kcard
keyed kcard
check "re-inserted keyed card, wrong PIN: 2 tries left" says "Wrong PIN: 2 tries left." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<"$tmp/badpin"
check "right PIN, no netvm: the card accepted it, verifier unreachable" says \
	"Verifier unreachable: the netvm does not answer on the work link; LGWAN stays closed, try again later." \
	agent login --reader "$CARDS_READER1" --netvm 127.0.0.1 --timeout-ms 300 --pin-fd 3 3<"$tmp/pin"
check "a right PIN resets the card's tries" grep -qx 5 "$tmp/card-tries"
card_remove kcard

# Pulled in the middle of the PIN check.
keyed kpull --remove-on 20
check "keyed card pulled during the PIN check: the exact line" says \
	"Card removed: the card left the reader before sign-on finished; hold it to the reader and try again." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<"$tmp/pin"
card_remove kpull

# Blocked after five wrong PINs.
keyed kblock
for i in 1 2 3 4; do cn "$AGENT" login --reader "$CARDS_READER1" --pin-fd 3 3<"$tmp/badpin" >/dev/null 2>&1; done
check "fifth wrong PIN: the card is blocked, the exact line" says \
	"Locked: this card is blocked after too many wrong PINs; ask IT to reset it." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<"$tmp/badpin"
check "blocked: even the right PIN is refused" says \
	"Locked: this card is blocked after too many wrong PINs; ask IT to reset it." \
	agent login --reader "$CARDS_READER1" --pin-fd 3 3<"$tmp/pin"
card_remove kblock

# Debian's vicc: an ISO 7816 card with no staff applet and a contact ATR.
vicc_insert vicc 0
check "a foreign card (Debian's vicc): unknown card, the exact line" says \
	"Unknown card: this is not a staff card." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<"$tmp/pin"
# vicc logs every command it executes (-vvv): the agent's SELECT of the PIV
# applet reached it, and no GET DATA (a contact card has no identifier).
check "vicc was asked: the agent's SELECT reached it, no GET DATA" bash -c \
	"grep -q '00 A4 04 00 09 A0 00 00 03 08 00 00 10 00 00' '$tmp/c2/vicc.log' &&
	 ! grep -q 'FF CA 00 00' '$tmp/c2/vicc.log' && ! grep -q Traceback '$tmp/c2/vicc.log'"
card_remove vicc

# No card in time.
check "no card held in time: the exact line" says "No card: none was held to the reader in time." \
	agent login --reader "$CARDS_READER0" --wait 1 --pin-fd 3 3<"$tmp/pin"

# The PIN is never on a command line, in the environment or in a log.
# (as text, and as the hex an APDU log would show: 32 34 36 38)
pinhex() { od -An -tx1 -N4 "$1" | sed 's/^ //; s/[a-f]/\U&/g'; }
check "no PIN in the logs of this run nor in anything the agent printed" bash -c \
	"! grep -rqai -e 2468 -e 1357 -e '$(pinhex "$tmp/pin")' -e '$(pinhex "$tmp/badpin")' -e '$(pinhex "$tmp/pin" | tr -d ' ')' '$tmp/c2'/*.log '$tmp/agent-said.log'"

# ---- fingerprint: libfprint's virtual_device ------------------------------------
export FP_VIRTUAL_DEVICE="$tmp/fp.sock"
mkdir -p "$tmp/prints"
chmod 700 "$tmp/prints"
# finger CMDS... -- AGENT ARGS...: runs the agent in the background, waits
# for its prompt (the sensor is open), then sends the commands.
finger() {
	local cmds=() pid i
	while [ "$1" != -- ]; do cmds+=("$1"); shift; done
	shift
	"$AGENT" "$1" --state-dir "$tmp/state" --prints "$tmp/prints" "${@:2}" >"$tmp/fout" 2>"$tmp/ferr" </dev/null &
	pid=$!
	for ((i = 0; i < 400; i++)); do
		grep -q 'Touch the fingerprint sensor' "$tmp/ferr" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	python3 tests/cards/fpctl.py "$FP_VIRTUAL_DEVICE" "${cmds[@]}"
	wait "$pid"
}
enrol() { finger "$@" && grep -qx 'Fingerprint enrolled for S0001.' "$tmp/fout" || { cat "$tmp/fout" "$tmp/ferr"; return 1; }; }
check "fingerprint: enrol (5 touches of the same finger)" enrol \
	'SCAN right-index-a' 'SCAN right-index-a' 'SCAN right-index-a' 'SCAN right-index-a' \
	'SCAN right-index-a' -- finger-enroll --user S0001
check "the template is kept 0600" bash -c "[ \"\$(stat -c %a '$tmp/prints/S0001.fp')\" = 600 ]"
finger_says() {
	local want=$1 got
	shift
	finger "$@"
	got=$(tail -n 1 "$tmp/fout")
	[ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; cat "$tmp/ferr"; return 1; }
}
check "fingerprint: the same finger matches (then the netvm is asked)" finger_says \
	"Verifier unreachable: the netvm does not answer on the work link; LGWAN stays closed, try again later." \
	'SCAN right-index-a' -- login --finger --user S0001 --netvm 127.0.0.1 --timeout-ms 300
check "fingerprint: the match was the sensor's (the agent says so)" grep -qx 'Fingerprint recognised.' "$tmp/ferr"
check "fingerprint: another finger does not match, the exact line" finger_says \
	"Fingerprint not recognised: try again, or sign on with your card." \
	'SCAN left-thumb-b' -- login --finger --user S0001 --netvm 127.0.0.1 --timeout-ms 300
check "fingerprint: a user with no template, the exact line" finger_says \
	"No fingerprint enrolled for this user on this laptop." \
	-- login --finger --user S0002 --netvm 127.0.0.1
unset FP_VIRTUAL_DEVICE
check "no sensor: the exact line" says "No fingerprint sensor: connect the sensor and try again." \
	"$AGENT" login --finger --user S0001 --prints "$tmp/prints" --netvm 127.0.0.1

tap_done
