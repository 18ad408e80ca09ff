#!/bin/bash
# Sign-on end to end on loopback, once on SQLite and once on a real
# PostgreSQL server this test starts (tests/lab/pg.sh): the real verifier
# (sekisho-authd, sandboxed as _sekisho-authd) and the real netvm relay
# (sekisho-signon, as _sekisho-signon), provisioned with sekisho-provision
# (the laptop's sign-on key from device export), driven by the agent's
# side in C (signon-client). Card + PIN, a wrong PIN with tries left, an
# unknown card, the card's key, an emergency code once / twice / expired,
# a fingerprint where the role allows it and where it does not, lockout
# across factors and IT's reset, a laptop claiming to be another, the
# verifier down; the audit trail exact (JSON lines and the registry),
# `audit verify` finding a removed and an altered record, `audit export`
# in CP932 read back with iconv; and no PIN or code in a capture of
# every packet.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
. tests/lab/pg.sh
. tests/signon/setup.sh

SRC=$PWD
BD=$PWD/${B:-build}
P=$BD/sekisho-provision
PT=$BD/test/sekisho-provision	# its test build: $SEKISHO_NOW sets its clock
AUTHD=$BD/sekisho-authd
RELAY=$BD/sekisho-signon
CLI=$BD/signon-client
tmp=$(mktemp -d /tmp/sekisho-signon.XXXXXX)
chmod 0711 "$tmp"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pg_stop "$tmp/pg"
	rm -rf "$tmp"
}
trap cleanup EXIT
bash tests/sandbox-users.sh >/dev/null

PIN=739164		# the test PIN: searched for in the capture
VPORT=$((42000 + RANDOM % 1000))

# one line of the client: what the agent would show
say() { "$CLI" -a "127.0.0.1:$RPORT" "$@" 2>&1; }
# is WANT CMD...: the command's one line is exactly WANT
is() { local want=$1 got; shift; got=$("$@"); [ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; return 1; }; }

start_authd() {	# [more options]
	"$AUTHD" -d -r "$URL" -k authd/sign.key -s authd/seal.key -f rules \
		-l "127.0.0.1:$VPORT" -j audit.jsonl "$@" 2>>authd.log &
	AUTHD_PID=$!
	pids+=("$AUTHD_PID")
	wait_udp "$VPORT"
}
wait_udp() { for _ in $(seq 100); do ss -Hlun "sport = :$1" | grep -q . && return 0; sleep 0.05; done; return 1; }
# the registry's own view, for tampering
sql() { if [ "${URL%%:*}" = sqlite ]; then sqlite3 "${URL#sqlite:}" "$1"; else psql -qAt "$URL" -c "$1"; fi; }

suite() {	# LABEL URL
	local L=$1 dir=$tmp/$1 code old id2 n
	URL=$2
	RPORT=$((VPORT + 1))
	mkdir -p "$dir"
	cd "$dir" || return 1
	export SEKISHO_REGISTRY=$URL SEKISHO_KEYS=$dir/keys
	prov() { "$P" -q --by it-suzuki "$@"; }
	so_template >tmpl.conf
	printf 'role * card-pin card-key code-pin\nrole nurse card-key code-pin biometric\n' >rules
	provision() {
		so_laptops pc-001 pc-002 && printf '%s\n' "$PIN" >pin && "$CLI" card-new card.pem &&
		so_user s1001 '山田 太郎' clerk pin --idm 0123456789ABCDEF &&
		so_user s1002 '佐藤 花子' nurse pin --pubkey "$("$CLI" card-id card.pem | cut -c4-)" &&
		rm pin
	}
	check "$L: provisioning" provision
	check "$L: device export hands the laptop's sign-on key over once, 0600" bash -c \
		"[ \$(stat -c %a out1/signon.key) = 600 ] && [ -s out1/signon.pub ] &&
		 $P -q device export pc-001 out1b >/dev/null && [ ! -e out1b/signon.key ]"
	code=$(prov otp issue s1001 --valid 1h | head -1)
	old=$(SEKISHO_NOW=$(( $(date +%s) - 7200 )) "$PT" -q otp issue s1001 --valid 1h | head -1)
	mkdir -m 0700 authd
	check "$L: sekisho-authd -G makes its keys" bash -c "$AUTHD -G authd >/dev/null &&
		[ \$(stat -c %a authd/sign.key) = 600 ] && [ \$(stat -c %a authd/seal.key) = 600 ]"
	check "$L: sekisho-authd -n checks the configuration" bash -c \
		"$AUTHD -n -r '$URL' -k authd/sign.key -s authd/seal.key -f rules 2>&1 | grep -qx 'configuration OK'"

	tcpdump -i lo -U -s 0 -w cap.pcap "udp port $VPORT or udp port $RPORT or udp port $((RPORT + 1))" 2>/dev/null &
	pids+=($!)
	start_authd
	"$RELAY" -d -n pc-001 -k out1/signon.key -V "127.0.0.1:$VPORT" -S "$(cat authd/sign.pub)" \
		-E "$(cat authd/seal.pub)" -l "127.0.0.1:$RPORT" 2>relay.log &
	pids+=($!)
	# a relay of pc-002 that signs with pc-001's key: it claims pc-002
	"$RELAY" -d -n pc-002 -k out1/signon.key -V "127.0.0.1:$VPORT" -S "$(cat authd/sign.pub)" \
		-E "$(cat authd/seal.pub)" -l "127.0.0.1:$((RPORT + 1))" 2>relay2.log &
	pids+=($!)
	wait_udp "$RPORT" && wait_udp $((RPORT + 1))
	sleep 0.5	# tcpdump is listening

	check "$L: the daemons run as their own users" bash -c \
		"[ \"\$(ps -o user= -p $AUTHD_PID)\" = _sekisho-authd ] &&
		 ps -o user= -C sekisho-signon | grep -qx _sekisho-signon"
	check "$L: card + PIN" is "ok staff=s1001 tries=0 lifetime=28800" \
		env SIGNON_PIN=$PIN "$CLI" -a "127.0.0.1:$RPORT" card-pin 0123456789ABCDEF
	check "$L: a wrong PIN, tries left" is "wrong-pin staff=s1001 tries=4 lifetime=0" \
		env SIGNON_PIN=000000 "$CLI" -a "127.0.0.1:$RPORT" card-pin 0123456789ABCDEF
	check "$L: an unknown card" is "unknown-card staff= tries=0 lifetime=0" \
		env SIGNON_PIN=$PIN "$CLI" -a "127.0.0.1:$RPORT" card-pin FFEEDDCCBBAA9988
	check "$L: the card's key answers the challenge" is "ok staff=s1002 tries=0 lifetime=28800" \
		say card-key card.pem
	check "$L: the emergency code with the PIN" is "ok staff=s1001 tries=0 lifetime=28800" \
		env SIGNON_PIN=$PIN SIGNON_CODE=$code "$CLI" -a "127.0.0.1:$RPORT" code-pin s1001
	check "$L: the code twice: refused" is "code-used staff=s1001 tries=4 lifetime=0" \
		env SIGNON_PIN=$PIN SIGNON_CODE=$code "$CLI" -a "127.0.0.1:$RPORT" code-pin s1001
	check "$L: an expired code: refused" is "code-expired staff=s1001 tries=3 lifetime=0" \
		env SIGNON_PIN=$PIN SIGNON_CODE=$old "$CLI" -a "127.0.0.1:$RPORT" code-pin s1001
	check "$L: a code without the PIN: refused" is "malformed staff=s1001 tries=0 lifetime=0" \
		env SIGNON_PIN= SIGNON_CODE=$code "$CLI" -a "127.0.0.1:$RPORT" code-pin s1001
	check "$L: fingerprint where the role allows it" is "ok staff=s1002 tries=0 lifetime=28800" \
		say bio s1002 yes
	check "$L: fingerprint where the role forbids it" is "factor-refused staff=s1001 tries=0 lifetime=0" \
		say bio s1001 yes
	check "$L: a fingerprint that does not match counts" is "no-match staff=s1002 tries=4 lifetime=0" \
		say bio s1002 no
	check "$L: wrong PINs across factors lock the user" bash -c "
		for p in 1 2 3; do SIGNON_PIN=00000\$p $CLI -a 127.0.0.1:$RPORT card-pin 0123456789ABCDEF >/dev/null; done
		[ \"\$(SIGNON_PIN=$PIN $CLI -a 127.0.0.1:$RPORT card-pin 0123456789ABCDEF)\" = 'locked staff=s1001 tries=0 lifetime=0' ]"
	check "$L: IT resets the lock" bash -c "$P -q user unlock s1001 &&
		[ \"\$(SIGNON_PIN=$PIN $CLI -a 127.0.0.1:$RPORT card-pin 0123456789ABCDEF)\" = 'ok staff=s1001 tries=0 lifetime=28800' ]"
	check "$L: stage 2: the laptop's session in the registry, the gateways' feed" is "s1001|card-pin" \
		sql "SELECT staff_id, factor FROM sessions WHERE device = 'pc-001' AND closed IS NULL"
	check "$L: a laptop claiming to be another is refused" is "device staff= tries=0 lifetime=0" \
		env SIGNON_PIN=$PIN "$CLI" -a "127.0.0.1:$((RPORT + 1))" card-pin 0123456789ABCDEF
	check "$L: sign-off" is "ok staff= tries=0 lifetime=0" say signoff s1001
	check "$L: sign-off closed the session" is "0" \
		sql "SELECT count(*) FROM sessions WHERE closed IS NULL"
	check "$L: each sign-on on the laptop handed the session over" is \
		"$(printf 'replaced by s1001|2\nreplaced by s1002|2\nsigned off|1')" \
		sql "SELECT closed_why, count(*) FROM sessions GROUP BY closed_why ORDER BY closed_why"

	# ---- the audit ----
	n=$(sql "SELECT count(*) FROM signon_audit")
	check "$L: one JSON line and one syslog-able record per attempt" bash -c \
		"[ \$(wc -l <audit.jsonl) = $n ] && [ $n = 18 ]"
	check "$L: the records say who, which laptop, factor, result, why" bash -c "
		grep -q '\"user\":\"s1001\",\"laptop\":\"pc-001\",\"op\":\"signon\",\"factor\":\"card-pin\",\"result\":\"wrong-pin\",\"mode\":\"unknown\",\"uplink\":\"\",\"from\":\"127.0.0.1:[0-9]*\",\"reason\":\"wrong PIN (1 of 5)\"' audit.jsonl &&
		grep -q '\"laptop\":\"pc-002\",\"op\":\"signon\",\"factor\":\"card-pin\",\"result\":\"device\",.*\"reason\":\"the request does not verify under laptop pc-002.s key\"' audit.jsonl &&
		grep -q '\"result\":\"code-used\",.*\"reason\":\"code refused: already used (1 of 5)\"' audit.jsonl"
	check "$L: no PIN or code in the audit" bash -c \
		"! grep -q -e $PIN -e '$code' audit.jsonl authd.log relay.log"
	check "$L: audit verify: the chain holds" is "sign-on audit: $n records, chain intact" \
		"$P" audit verify
	check "$L: audit export in CP932 reads back with the right kanji" bash -c "
		$P audit export --from \$(date +%F) --to \$(date +%F) --csv --encoding cp932 >x.csv &&
		! iconv -f UTF-8 -t UTF-8 x.csv >/dev/null 2>&1 &&
		iconv -f CP932 -t UTF-8 x.csv | grep -q '^[-0-9: ]*,s1001,山田 太郎,pc-001,signon,card-pin,ok,unknown,,127.0.0.1:[0-9]*,' &&
		[ \$(iconv -f CP932 -t UTF-8 x.csv | wc -l) = $((n + 1)) ]"
	sql "UPDATE signon_audit SET result = 'ok' WHERE seq = (SELECT min(seq) FROM signon_audit WHERE result = 'wrong-pin')"
	check "$L: audit verify finds an altered record" bash -c \
		"! $P audit verify 2>err && grep -q 'altered (its hash does not match its fields)' err"
	sql "UPDATE signon_audit SET result = 'wrong-pin' WHERE seq = (SELECT min(seq) FROM signon_audit WHERE reason = 'wrong PIN (1 of 5)')"
	check "$L: and the chain again once put back" "$P" -q audit verify
	sql "DELETE FROM signon_audit WHERE seq = (SELECT min(seq) + 3 FROM signon_audit)"
	check "$L: audit verify finds a removed record" is \
		"sekisho-provision: sign-on audit: record 4 (seq $(sql 'SELECT min(seq) + 4 FROM signon_audit')): the chain breaks before it: a record removed or altered" \
		bash -c "$P audit verify 2>&1"

	# ---- a key roll: the policy pins the verifier's current and next keys ----
	mkdir -m 0700 roll
	"$AUTHD" -G roll >/dev/null
	third=$(wg genkey | wg pubkey)
	# the verifier's keys pinned as the next ones, the roll's as current
	"$RELAY" -d -n pc-001 -k out1/signon.key -V "127.0.0.1:$VPORT" -S "$(cat roll/sign.pub)" \
		-S "$(cat authd/sign.pub)" -E "$(cat roll/seal.pub)" -E "$(cat authd/seal.pub)" \
		-l "127.0.0.1:$((RPORT + 2))" 2>relay3.log &
	pids+=($!)
	# neither of the pinned keys is the verifier's: a third key
	"$RELAY" -d -v -n pc-001 -k out1/signon.key -V "127.0.0.1:$VPORT" -S "$(cat roll/sign.pub)" \
		-S "$third" -E "$(cat roll/seal.pub)" -E "$(cat authd/seal.pub)" \
		-l "127.0.0.1:$((RPORT + 3))" 2>relay4.log &
	pids+=($!)
	relay4=$!
	wait_udp $((RPORT + 2)) && wait_udp $((RPORT + 3))
	check "$L: key roll: a result under the next sign key is passed on" is \
		"ok staff=s1002 tries=0 lifetime=28800" "$CLI" -a "127.0.0.1:$((RPORT + 2))" card-key card.pem
	check "$L: key roll: the PIN sealed to the next seal key, which the verifier names" is \
		"ok staff=s1001 tries=0 lifetime=28800" \
		env SIGNON_PIN=$PIN "$CLI" -a "127.0.0.1:$((RPORT + 2))" card-pin 0123456789ABCDEF
	# the verifier's answer verifies under neither: dropped, the agent
	# hears nothing from the verifier
	check "$L: key roll: a key pinned by neither is refused" is "relay-error unreachable" \
		"$CLI" -a "127.0.0.1:$((RPORT + 3))" card-key card.pem
	kill -USR1 "$relay4"
	check "$L: key roll: the relay counted it a bad answer" bash -c "
		for _ in \$(seq 100); do grep -q 'bad answers' relay4.log && break; sleep 0.05; done
		grep -q '1 forwarded, 0 results, 0 bad from work, 1 bad answers' relay4.log"
	check "$L: key roll: a third key on the relay's command line is refused" is \
		"sekisho-signon: -S $third: at most two sign keys (the current and the next)" \
		bash -c "'$RELAY' -d -n pc-001 -k out1/signon.key -V 127.0.0.1:$VPORT -S '$third' \
			-S '$third' -S '$third' -E '$third' -l 127.0.0.1:9 2>&1; [ \$? = 1 ]"

	# ---- sekishod's control socket silent (a stopped frontend) ----
	# The relay asks it for each request's mode and uplink; one that
	# accepts and never answers costs a request STATUS_WAIT_MS (1 s), then
	# "unknown", never the sign-on: with no bound on the wait, the relay
	# hangs in its read and the agent is told "relay-error unreachable".
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.listen(8)
held = []
while True:
    c, _ = s.accept(); held.append(c)
    with open(sys.argv[2], "a") as f: f.write("accepted\n")
' "$dir/silent.sock" silent.log &
	pids+=($!)
	for _ in $(seq 100); do [ -S "$dir/silent.sock" ] && break; sleep 0.05; done
	"$RELAY" -d -n pc-001 -k out1/signon.key -V "127.0.0.1:$VPORT" -S "$(cat authd/sign.pub)" \
		-E "$(cat authd/seal.pub)" -l "127.0.0.1:$((RPORT + 4))" -c "$dir/silent.sock" 2>relay5.log &
	pids+=($!)
	wait_udp $((RPORT + 4))
	check "$L: control socket silent: the sign-on goes through" is "ok staff=s1002 tries=0 lifetime=28800" \
		"$CLI" -a "127.0.0.1:$((RPORT + 4))" card-key card.pem
	check "$L: control socket silent: and again" is "ok staff=s1002 tries=0 lifetime=28800" \
		"$CLI" -a "127.0.0.1:$((RPORT + 4))" card-key card.pem
	check "$L: control socket silent: asked, one line for it, recorded as unknown" bash -c "
		grep -q accepted silent.log &&
		[ \$(grep -c 'sekisho-signon: control socket $dir/silent.sock: no status within 1000 ms: the mode and uplink are recorded as unknown until it answers' relay5.log) = 1 ] &&
		tail -n 1 audit.jsonl | grep -q '\"result\":\"ok\",\"mode\":\"unknown\",\"uplink\":\"\"'"

	# ---- PostgreSQL restarted under the sandboxed verifier ----
	if [ "$L" = postgresql ]; then
		pg_halt "$tmp/pg"
		check "$L: registry down: the agent is told the verifier is unavailable" is \
			"unavailable staff= tries=0 lifetime=0" say card-key card.pem
		check "$L: and again while it is down (never an accept)" is \
			"unavailable staff= tries=0 lifetime=0" say card-key card.pem
		pg_resume "$tmp/pg"
		# the verifier tries again with a backoff (at most 8 s apart)
		check "$L: the server back: the verifier reconnects from its sandbox" bash -c "
			for _ in \$(seq 60); do
				r=\$($CLI -a 127.0.0.1:$RPORT card-key card.pem)
				[ \"\$r\" = 'ok staff=s1002 tries=0 lifetime=28800' ] && exit 0
				[ \"\$r\" = 'unavailable staff= tries=0 lifetime=0' ] || { echo \"\$r\"; exit 1; }
				sleep 0.5
			done; exit 1"
		check "$L: the verifier still runs, as its own user" bash -c \
			"kill -0 $AUTHD_PID && [ \"\$(ps -o user= -p $AUTHD_PID)\" = _sekisho-authd ]"
		check "$L: the loss and the return logged once each" bash -c "
			[ \$(grep -c 'registry: connection lost: requests are answered \"unavailable\" until it is back' authd.log) = 1 ] &&
			[ \$(grep -c 'registry: connection back after [0-9]* tries: requests are checked again' authd.log) = 1 ]"
		check "$L: nothing recorded while it was down" is "ok" \
			sql "SELECT result FROM signon_audit ORDER BY seq DESC LIMIT 1"
	fi

	# ---- the per-source rate ----
	kill "$AUTHD_PID"; wait "$AUTHD_PID" 2>/dev/null
	start_authd -R 1	# 1 a minute, 4 at once
	check "$L: an address hammering the verifier gets its burst, then nothing" is "4" \
		python3 "$SRC/tests/signon/hammer.py" 127.0.0.1 "$VPORT" 127.0.0.2 pc-001 50
	check "$L: one log line for it" is "1" \
		grep -c 'source 127.0.0.2 is over its rate (1 a minute, 4 at once): slowed down' authd.log
	check "$L: another laptop's address is not slowed down" is "ok staff=s1002 tries=0 lifetime=28800" \
		say card-key card.pem

	# ---- the verifier down ----
	kill "$AUTHD_PID"; wait "$AUTHD_PID" 2>/dev/null
	check "$L: the verifier down: the agent is told" is "relay-error unreachable" \
		env SIGNON_PIN=$PIN "$CLI" -a "127.0.0.1:$RPORT" card-pin 0123456789ABCDEF

	# ---- the capture ----
	sleep 0.3
	kill "${pids[1]}" 2>/dev/null; wait "${pids[1]}" 2>/dev/null
	check "$L: the capture holds the exchanges (the card id is public)" bash -c \
		"[ \$(tcpdump -r cap.pcap 2>/dev/null | wc -l) -ge 60 ] && grep -aq 0123456789ABCDEF cap.pcap"
	check "$L: no PIN and no code in the capture" bash -c \
		"! grep -aq $PIN cap.pcap && ! grep -aq '$code' cap.pcap && ! grep -aq '${code//-/}' cap.pcap"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=()
	cd "$tmp" || return 1
	VPORT=$((VPORT + 10))
}

suite sqlite "sqlite:$tmp/sqlite/reg.db"
[ -n "${SIGNON_SQLITE_ONLY:-}" ] && { tap_done; exit; }
pg_start "$tmp/pg" || { echo "not ok - PostgreSQL did not start"; exit 1; }
suite postgresql "$PG_URL"
tap_done
