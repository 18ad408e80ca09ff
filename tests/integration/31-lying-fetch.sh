#!/bin/bash
# A compromised bundle fetcher (issue 10, item 9): sekisho-fetch talks to
# whatever answers at the distribution server's address, so what it writes
# is untrusted. The privileged parent reads its standard error raw (at
# most 256 bytes) and hands it, with the exit status, to the engine
# process, which parses it and answers with a typed verdict; a freshness
# statement it brings is decoded by the engine too (engmsg.h, kinds
# ENG_PARSE_FETCH and ENG_PARSE_FRESH); the parent holds each verdict to
# the exit status it read itself, and a statement's fields to this
# device, the serial in force and the freshest time seen, after the
# sandboxed verifier checked its signature.
#
# sekishod runs with tests/lab/lying-fetch.py in place of the helper (-G),
# from serial 1 signed two hours ago with a max age of one hour (expired:
# a statement would matter), fetching every 10 s. The liar:
#   - a line with a NUL byte, with a 0xff byte, two lines, 300 bytes;
#   - two verdicts: the agency's genuine serial 2 on standard output,
#     "newer" by its exit status, and a line on standard error; the same
#     with the agency's genuine current freshness statement;
#   - garbage for a statement (exit status "fresh", 150 bytes of 'A');
# each time: the exact refusal line, nothing it brought taken (serial 1
# in force, nothing at the incoming path), the kernel's rules for work
# exactly the expired ones, no ruleset loaded, the portal refused.
# Then the truth (the genuine statement alone): fresh again, the portal
# answers, so the refusals above were the lies' and nothing else's.
# Without the engine's check of two verdicts (engmsg.c, parse_fetch), the
# genuine serial 2 sent with a stray line is taken and this test fails.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"

POLICY=${POLICY_TOOL:-build/sekisho-policy}
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

LIAR=$PWD/tests/lab/lying-fetch.py
SAYS=$LAB_DIR/fetch.says
ST=$LAB_DIR/state
B=$LAB_DIR/bundles
mkdir -m 0700 "$ST" "$B"
BUNDLE=$ST/bundle
SRV="$LAB_DIST_ADDR:$LAB_DIST_PORT"
AGENCY_PUB=$("$POLICY" keygen "$LAB_DIR/agency.key")
echo "$AGENCY_PUB" >"$LAB_DIR/agency.pub"
DEV=$LAB_DEVICE_PUB
NOW=$(date +%s)
utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
policy() {	# SERIAL
	sed "s/^serial 1\$/serial $1/" "$LAB_POLICY"
	printf 'distribution {\n\tserver %s\n\tinterval 10\n}\n' "$SRV"
}
policy 1 >"$B/1.conf"
policy 2 >"$B/2.conf"
T1=$((NOW - 7200)) TGOOD=$((NOW - 60))
SOURCE_DATE_EPOCH=$T1 "$POLICY" sign --key "$LAB_DIR/agency.key" --device "$DEV" \
	--max-age 1h "$B/1.conf" "$B/1"
SOURCE_DATE_EPOCH=$TGOOD "$POLICY" fresh --key "$LAB_DIR/agency.key" "$B/1" "$B/1.good"
"$POLICY" sign --key "$LAB_DIR/agency.key" --device "$DEV" --max-age 1h "$B/2.conf" "$B/2"
head -c 150 /dev/zero | tr '\0' 'A' >"$B/garbage"
check "the agency signs serial 1 two hours ago (max age 1h), its statement, and serial 2" bash -c \
	"[ -s $B/1 ] && [ -s $B/2 ] && [ \$(stat -c %s $B/1.good) = 150 ]"

says() { printf '%s\n' "$@" >"$SAYS.tmp" && mv "$SAYS.tmp" "$SAYS"; }
says "err $SRV: no answer within 5000 ms\\n" "exit 1"
liar_start() {
	cp "$B/1" "$BUNDLE" &&
	SEKISHO_LYING_FETCH=$SAYS lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -v -b "$BUNDLE" \
		-k "$LAB_DIR/agency.pub" -D "$LAB_DIR/device.pub" -G "$LIAR" -w wk0 \
		-t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
check "sekishod starts from serial 1 with the lying fetch helper (-G)" liar_start
check "work gets its address" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote: the tunnel is up, for the fetch" netvm_wait_mode remote

LOG=$LAB_DIR/log/sekishod.log
rx() { printf '%s' "$1" | sed 's/[][\.*^$(){}+?|/]/\\&/g'; }
# log_next REGEX: one more line matching it (whole line, grep -E) arrives.
log_next() {
	local re="^sekishod: $1\$" n0
	n0=$(grep -cE -- "$re" "$LOG")
	lab_wait_for -t 30 bash -c '[ "$(grep -cE -- "$1" "$2")" -gt "$3" ]' _ "$re" "$LOG" "$n0" ||
		{ echo "no line: $re"; tail -5 "$LOG"; return 1; }
}
check "a genuine failure: its one line, as the helper said it" log_next \
	"$(rx "fetch over the tunnel: $SRV: no answer within 5000 ms; next try in ")[0-9]+ s"
EXPIRED_RULES=$(expired_rules)
loads() { grep -c 'ruleset in force' "$LOG"; }
LOADS=$(loads)
# unchanged: serial 1 expired, nothing at the incoming path, work's rules
# exactly the expired ones, no ruleset loaded since the start, the portal
# refused.
unchanged() {
	local rc=0
	[ "$(work_rules)" = "$EXPIRED_RULES" ] || { echo "work's rules:"; work_rules; rc=1; }
	[ "$(loads)" = "$LOADS" ] || { echo "a ruleset was loaded"; grep 'ruleset in force' "$LOG" | tail -2; rc=1; }
	[ ! -e "$BUNDLE.new" ] || { echo "something at the incoming path"; rc=1; }
	! grep -q 'policy serial 2 in force\|fresh again' "$LOG" || { echo "taken"; rc=1; }
	ctl status | grep -qE "^bundle:     serial 1 signed $(utc $T1) \\(bundle\\), max age 3600 s, [0-9]+ s old: EXPIRED, work blocked\$" ||
		{ ctl status | grep -E '^(bundle|policy)'; rc=1; }
	refused_fast 1000 work_get "http://$LAB_PORTAL/" || { echo "the portal answers"; rc=1; }
	return $rc
}
check "expired at start: work's rules exactly the expired ones, the portal refused" unchanged

refused() {	# DESCRIPTION WHY: the fetch refused with exactly this reason, nothing changed
	log_next "$(rx "fetch over the tunnel: the helper's output refused: $1; next try in ")[0-9]+ s" &&
	unchanged
}
says 'err ab\x00cd\n' "exit 1"
check "a NUL byte in its line: refused with one line, nothing changed" refused "NUL byte at 2 of its line"
says 'err ab\xffcd\n' "exit 1"
check "a 0xff byte in its line: refused with one line, nothing changed" refused "byte 0xff at 2 of its line"
says 'err one\ntwo\n' "exit 1"
check "two lines: refused with one line, nothing changed" refused "more than one line"
says "err $(head -c 300 /dev/zero | tr '\0' a)\\n" "exit 1"
check "300 bytes: refused by the parent before the engine, nothing changed" \
	refused "more than 256 bytes on standard error"
says "out $B/2" 'err ok\n' "exit 0"
check "two verdicts (the agency's serial 2, 'newer', and a line): refused, serial 2 not taken" \
	refused "its exit status says newer, and it wrote 3 bytes on standard error"
says "out $B/1.good" 'err fresh!\n' "exit 4"
check "two verdicts (the agency's current statement and a line): refused, still expired" \
	refused "its exit status says a freshness statement, and it wrote 7 bytes on standard error"
says "out $B/garbage" "exit 4"
garbage_refused() {
	log_next "$(rx "freshness statement from $SRV: not a freshness statement: bad magic, expected \"SKPF\"; policy serial 1 stays expired")" &&
	unchanged
}
check "garbage for a statement: the engine's decoder refuses it, one line, nothing changed" garbage_refused
check "the engine read all of it: the same engine throughout, never lost" bash -c \
	"! grep -qE 'engine: (exited|no answer|result refused|request refused)' '$LOG'"

# The truth, through the same path: the genuine statement alone.
says "out $B/1.good" "exit 4"
check "the agency's statement alone: fresh again, one line" log_next \
	"$(rx "policy serial 1 fresh again: signed $(utc $TGOOD) (freshness statement), expires in ")[0-9]+ s; work unblocked"
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "the portal answers" lab_wait_for -t 10 portal_ok

tap_done
