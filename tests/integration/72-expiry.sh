#!/bin/bash
# Freeze attacks on bundle distribution (docs/distribution.md, "Expiry";
# issue 10, item 16), in the lab: sekisho-bundle-server inside LGWAN at
# 10.64.0.9:51830, sekishod started from serial 1 signed two hours ago with
# a max age of one hour, fetching every 10 s.
#
#  - at start the policy is expired: one line, the mode's ruleset with
#    work's accepts replaced by the two "policy expired" rejects (exactly,
#    in the kernel), the portal refused, the tunnel up for the fetch;
#  - the real server answering "nothing newer" (no statement), a hostile
#    server at its address answering "nothing newer" bare, with garbage
#    for a statement, with a statement of another key, and with a genuine
#    statement that is itself too old: each leaves it expired (one line
#    each, the rejects still in force, the portal still refused);
#  - the agency's statement signed a minute ago, served beside the bundle:
#    fresh again, one line, the portal answers, the statement kept;
#  - an older statement replayed: refused, one line, still fresh;
#  - a restart keeps the freshness (the kept statement, checked again);
#  - serial 2, signed 3510 s ago with a max age of one hour: taken live,
#    the statement kept for serial 1 dropped; sekishod restarted with the
#    server down: fresh at start, then expired by its own timer;
#  - office mode while expired: work still gets nothing (no accept of
#    work's, the two rejects), the fetch goes over the office LAN and the
#    agency's statement for serial 2 brings it back there.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"

POLICY=${POLICY_TOOL:-build/sekisho-policy}
SERVER=${BUNDLE_SERVER:-build/sekisho-bundle-server}
SERVED=""
cleanup() { netvm_cleanup; lab_down; [ -n "$SERVED" ] && rm -rf "$SERVED"; }
trap cleanup EXIT
LAB_SEGMENTS=office lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
SERVED=$(mktemp -d /tmp/sekisho-expiry.XXXXXX) && chmod 0755 "$SERVED"

ST=$LAB_DIR/state
B=$LAB_DIR/bundles
mkdir -m 0700 "$ST" "$B"
BUNDLE=$ST/bundle
SRV="$LAB_DIST_ADDR:$LAB_DIST_PORT"
AGENCY_PUB=$("$POLICY" keygen "$LAB_DIR/agency.key")
OTHER_PUB=$("$POLICY" keygen "$LAB_DIR/other.key")
echo "$AGENCY_PUB" >"$LAB_DIR/agency.pub"
DEV=$LAB_DEVICE_PUB
DEVNAME=$(echo "$DEV" | tr '+/' '-_')
NOW=$(date +%s)
utc() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
policy() {	# SERIAL
	sed "s/^serial 1\$/serial $1/" "$LAB_POLICY"
	printf 'distribution {\n\tserver %s\n\tinterval 10\n}\n' "$SRV"
}
policy 1 >"$B/1.conf"
policy 2 >"$B/2.conf"
T1=$((NOW - 7200))
SOURCE_DATE_EPOCH=$T1 "$POLICY" sign --key "$LAB_DIR/agency.key" --device "$DEV" \
	--max-age 1h "$B/1.conf" "$B/1"
# statements for serial 1: too old to help, current, and another key's
TSTALE=$((NOW - 5400)) TGOOD=$((NOW - 60))
SOURCE_DATE_EPOCH=$TSTALE "$POLICY" fresh --key "$LAB_DIR/agency.key" "$B/1" "$B/1.stale"
SOURCE_DATE_EPOCH=$TGOOD "$POLICY" fresh --key "$LAB_DIR/agency.key" "$B/1" "$B/1.good"
"$POLICY" sign --key "$LAB_DIR/other.key" --device "$DEV" "$B/1.conf" "$B/1.other-bundle"
"$POLICY" fresh --key "$LAB_DIR/other.key" "$B/1.other-bundle" "$B/1.otherkey"
check "the agency signs serial 1 two hours ago (max age 1h) and its statements" bash -c \
	"[ -s $B/1 ] && [ \$(stat -c %s $B/1.stale) = 150 ] && [ \$(stat -c %s $B/1.good) = 150 ]"

publish() {	# FILE [NAME-SUFFIX]
	cp "$1" "$SERVED/.new" && chmod 0644 "$SERVED/.new" && mv "$SERVED/.new" "$SERVED/$DEVNAME${2:-}"
}
server_up() {
	lab_lgwan_host "$LAB_DIST_ADDR" &&
	lab_spawn dist lgwan "$PWD/$SERVER" -d -r "$SERVED" -l "$SRV" -t 5000 &&
	lab_wait_for -t 5 _lab_listening lgwan t "$LAB_DIST_ADDR" "$LAB_DIST_PORT"
}
bundle_start() {
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -v -b "$BUNDLE" -k "$LAB_DIR/agency.pub" \
		-D "$LAB_DIR/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
LOG=$LAB_DIR/log/sekishod.log
SLOG=$LAB_DIR/log/dist.log
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
rx() { printf '%s' "$1" | sed 's/[][\.*^$(){}+?|/]/\\&/g'; }
# log_next REGEX: one more line matching it (whole line, grep -E) arrives.
log_next() {
	local re="^sekishod: $1\$" n0
	n0=$(grep -cE -- "$re" "$LOG")
	lab_wait_for -t 20 bash -c '[ "$(grep -cE -- "$1" "$2")" -gt "$3" ]' _ "$re" "$LOG" "$n0" ||
		{ echo "no line: $re"; tail -5 "$LOG"; return 1; }
}
EXPIRED_RULES=$(expired_rules)
expired_now() {
	[ "$(work_rules)" = "$EXPIRED_RULES" ] ||
		{ echo "work's rules:"; work_rules; return 1; }
	refused_fast 1000 work_get "http://$LAB_PORTAL/" || return 1
	ctl status | grep -qE "^bundle:     serial $1 signed [0-9TZ:-]+ \\((bundle|freshness statement)\\), max age 3600 s, [0-9]+ s old: EXPIRED, work blocked\$" ||
		{ ctl status; return 1; }
}
expired_count() { grep -c "expired: last signed" "$LOG"; }

# ---- an expired bundle at start ----------------------------------------------------
publish "$B/1"
check "the bundle server listens inside LGWAN at $SRV" server_up
cp "$B/1" "$BUNDLE"
check "sekishod starts from serial 1, signed 2 h ago" bundle_start
check "work gets its address" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote: the tunnel is up, for the fetch" netvm_wait_mode remote
check "one line: the policy expired" grep -qxF \
	"sekishod: policy serial 1 expired: last signed $(utc $T1) (bundle), older than its max age of 3600 s; work is blocked until a newer bundle or a freshness statement arrives" "$LOG"
expired_rejects() { [ "$(n netvm nft list chain inet sekisho forward | grep -c 'policy expired')" = 2 ]; }
check "the kernel: the mode's ruleset with work's accepts replaced by the expired rejects" \
	lab_wait_for -t 5 expired_rejects
check "expired: work's rules exactly, the portal refused, status says so" expired_now 1
check "the netvm's own path stays: the log says remote mode's ruleset is in force, work blocked" \
	grep -qE "^sekishod: mode remote: ruleset in force, work blocked: the policy expired \((full load|mode's chains|policy changed by difference), [0-9]+ ms\)\$" "$LOG"

# ---- "nothing newer" from anyone cannot keep it alive ------------------------------------
check "the real server answers 'nothing newer', without a statement" lab_wait_for -t 15 grep -qE \
	"10\\.77\\.0\\.2:[0-9]+ device $DEVNAME serial 1: nothing newer \\(holds serial 1\\); no freshness statement \\(none\\)\$" "$SLOG"
check "sekishod: no statement, it stays expired (one debug line)" log_next \
	"$(rx "fetch over the tunnel: no freshness statement; policy serial 1 stays expired")"
check "still expired" expired_now 1

RESP=$LAB_DIR/response
be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
rogue_up() {
	lab_stop dist
	lab_spawn rogue lgwan busybox nc -ll -p "$LAB_DIST_PORT" -e /bin/sh -c "head -c 45 >/dev/null; cat $RESP" &&
	lab_wait_for -t 5 bash -c "ip netns exec $NS_LGWAN ss -Hlnt 'sport = :$LAB_DIST_PORT' | grep -q ."
}
{ printf 'SKBR\002\001'; be32 0; } >"$RESP"
check "a spoofer takes the server's address, answering 'nothing newer' bare" rogue_up
check "it cannot keep the laptop alive: one line, still expired" log_next \
	"$(rx "fetch over the tunnel: no freshness statement; policy serial 1 stays expired")"
check "still expired (spoofer, bare)" expired_now 1
{ printf 'SKBR\002\001'; be32 150; head -c 150 /dev/zero | tr '\0' 'A'; } >"$RESP"
check "with garbage for a statement: refused with one line" log_next \
	"$(rx "freshness statement from $SRV: not a freshness statement: bad magic, expected \"SKPF\"; policy serial 1 stays expired")"
check "still expired (garbage)" expired_now 1
{ printf 'SKBR\002\001'; be32 150; cat "$B/1.otherkey"; } >"$RESP"
check "with a statement signed by another key: refused with one line" log_next \
	"$(rx "freshness statement from $SRV: wrong key: signed by $OTHER_PUB, which is not a pinned agency key; policy serial 1 stays expired")"
check "still expired (another key)" expired_now 1
{ printf 'SKBR\002\001'; be32 150; cat "$B/1.stale"; } >"$RESP"
check "with the agency's own statement from 90 min ago: taken, but it stays expired" log_next \
	"$(rx "freshness statement from $SRV: policy serial 1 signed $(utc $TSTALE), still older than its max age of 3600 s; it stays expired")"
check "still expired (an old genuine statement)" expired_now 1
n_exp=$(expired_count)

# ---- the agency's current statement: fresh again ------------------------------------------
lab_stop rogue
rm -f "$LAB_DIR/pids/dist"
publish "$B/1.good" .fresh
check "the real server is back, with the statement of a minute ago beside the bundle" server_up
check "fresh again: one line" log_next \
	"$(rx "policy serial 1 fresh again: signed $(utc $TGOOD) (freshness statement), expires in ")[0-9]+ s; work unblocked"
check "the server logged the statement it sent" grep -qE \
	"device $DEVNAME serial 1: nothing newer \\(holds serial 1\\); freshness statement signed at $TGOOD\$" "$SLOG"
check "the portal answers again" lab_wait_for -t 5 portal_ok
check "the expired rejects are gone from the kernel" bash -c \
	"! ip netns exec $NS_NETVM nft list chain inet sekisho forward | grep -q 'policy expired'"
fresh_status() {
	ctl status | grep -qE "^bundle:     serial 1 signed $(utc $TGOOD) \\(freshness statement\\), max age 3600 s, [0-9]+ s old, expires in [0-9]+ s\$" ||
		{ ctl status; return 1; }
}
check "status: fresh, by the statement" fresh_status
check "the statement is kept beside the bundle (0600, the same bytes)" bash -c \
	"cmp -s $B/1.good $BUNDLE.fresh && [ \$(stat -c %a $BUNDLE.fresh) = 600 ]"

# ---- a replayed (older) statement is refused -------------------------------------------------
publish "$B/1.stale" .fresh
check "the statement of 90 min ago replayed: refused with one line" log_next \
	"$(rx "freshness statement from $SRV: stale: signed at $TSTALE, not after $TGOOD, the freshest signed time already seen; replay refused; policy serial 1 stays as fresh as it was (expires in ")[0-9]+ s\\)"
check "still fresh: the portal answers" portal_ok
check "and no 'expired' line came since it was fresh" test "$(expired_count)" = "$n_exp"

# ---- a restart keeps the freshness ---------------------------------------------------------
netvm_kill9
check "sekishod starts again" bundle_start
check "the kept statement is taken again at start" lab_wait_for -t 5 grep -qxF \
	"sekishod: $BUNDLE.fresh: freshness statement signed $(utc $TGOOD) for policy serial 1" "$LOG"
check "mode remote again" netvm_wait_mode remote
check "the portal answers after the restart" lab_wait_for -t 10 portal_ok
check "no 'expired' line since" test "$(expired_count)" = "$n_exp"

# ---- serial 2, 90 s from its max age: taken live; after a restart the timer expires it ----------
T2=$(($(date +%s) - 3510))
SOURCE_DATE_EPOCH=$T2 "$POLICY" sign --key "$LAB_DIR/agency.key" --device "$DEV" \
	--max-age 1h "$B/2.conf" "$B/2"
rm -f "$SERVED/$DEVNAME.fresh"
publish "$B/2"
check "serial 2 (signed 3510 s ago, max age 1 h) is fetched and taken" lab_wait_for -t 15 \
	grep -qE "^sekishod: .*: policy serial 2 in force \\(was 1\\)" "$LOG"
check "serial 2: the portal answers" lab_wait_for -t 5 portal_ok
check "the statement kept for serial 1 is gone with it" test ! -e "$BUNDLE.fresh"
# A restart with the server gone: nothing but sekishod's own timer, armed
# at start, can end it.
lab_stop dist
rm -f "$LAB_DIR/pids/dist"
netvm_kill9
check "sekishod starts again from serial 2, the server down" bundle_start
check "remote mode" netvm_wait_mode remote
check "serial 2 is fresh after the restart: the portal answers" lab_wait_for -t 10 portal_ok
check "at its max age, the timer armed at start expires it: one line" lab_wait_for -t 120 grep -qxF \
	"sekishod: policy serial 2 expired: last signed $(utc $T2) (bundle), older than its max age of 3600 s; work is blocked until a newer bundle or a freshness statement arrives" "$LOG"
check "expired: work's rules exactly, the portal refused" expired_now 2
check "the bundle server is back" server_up

# ---- office mode while expired: the fetch goes over the office LAN ---------------------------
office_expired() {
	local r
	r=$(work_rules)
	[ "$(grep -c 'accept' <<<"$r")" = 0 ] && [ "$(grep -c 'comment "policy expired"' <<<"$r")" = 2 ] ||
		{ echo "work's rules:"; echo "$r"; return 1; }
	refused_fast 1000 work_get "http://$LAB_PORTAL/"
}
check "plugged into the office LAN" lab_plug up0 office
check "mode office" netvm_wait_mode office 10
check "office mode, expired: no accept of work's, the two rejects, the portal refused" \
	lab_wait_for -t 5 office_expired
check "the log says office mode's ruleset is in force, work blocked" grep -qE \
	"^sekishod: mode office over up0: ruleset in force, work blocked: the policy expired \((full load|mode's chains|policy changed by difference), [0-9]+ ms\)\$" "$LOG"
T3=$(date +%s)
SOURCE_DATE_EPOCH=$T3 "$POLICY" fresh --key "$LAB_DIR/agency.key" "$B/2" "$B/2.fresh"
publish "$B/2.fresh" .fresh
check "the agency's statement for serial 2, fetched over the office LAN: fresh again" log_next \
	"$(rx "policy serial 2 fresh again: signed $(utc $T3) (freshness statement), expires in ")[0-9]+ s; work unblocked"
check "the server saw that fetch from the office LAN (10.66.0.x)" grep -qE \
	"^sekisho-bundle-server: 10\.66\.0\.[0-9]+:[0-9]+ device $DEVNAME serial 2: nothing newer \(holds serial 2\); freshness statement signed at $T3\$" "$SLOG"
check "office mode: the portal answers" lab_wait_for -t 5 portal_ok

tap_done
