#!/bin/bash
# Bundle distribution (docs/distribution.md), in the lab: sekisho-bundle-server
# runs inside LGWAN at 10.64.0.9:51830 (as nobody, serving a directory IT
# drops bundles into by rename), sekishod starts from an old signed bundle
# with a policy whose distribution block names that server, interval 10 s.
#
#  - at entering remote mode sekishod fetches serial 2 over the tunnel and
#    applies it: the server saw the request from the tunnel address, a
#    destination serial 2 withdraws is refused, the portal still works;
#  - IT drops serial 3: taken at the next interval (8-12 s), packets follow;
#  - the real server serving a tampered bundle, one signed by another key,
#    a plain policy file (which it refuses to serve); a hostile server (a
#    busybox nc) answering with an older bundle, garbage, an over-long
#    length: each refused with exactly one line, serial 3, the ruleset, the
#    stored bundle and the store unchanged, real packets show serial 3;
#  - the server down: one line, tried again within the interval, and serial
#    4 taken once the server is back;
#  - office mode: plugged into the office LAN, sekishod fetches serial 5
#    straight over it (the server sees the office address; the office
#    segment's lgwan counter moves, the tunnel's counters do not).
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"

POLICY=${POLICY_TOOL:-build/sekisho-policy}
SERVER=${BUNDLE_SERVER:-build/sekisho-bundle-server}
SERVED=""	# the server's directory: outside LAB_DIR (0700), readable by nobody
cleanup() { netvm_cleanup; lab_down; [ -n "$SERVED" ] && rm -rf "$SERVED"; }
trap cleanup EXIT
LAB_SEGMENTS=office lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
SERVED=$(mktemp -d /tmp/sekisho-dist.XXXXXX) && chmod 0755 "$SERVED"

# ---- the agency: keys, policies with a distribution block, bundles ------------------
ST=$LAB_DIR/state
B=$LAB_DIR/bundles
mkdir -m 0700 "$ST" "$B"
BUNDLE=$ST/bundle
INCOMING=$ST/bundle.new
STORE=$ST/serial
SRV="$LAB_DIST_ADDR:$LAB_DIST_PORT"
AGENCY_PUB=$("$POLICY" keygen "$LAB_DIR/agency.key")
OTHER_PUB=$("$POLICY" keygen "$LAB_DIR/other.key")
echo "$AGENCY_PUB" >"$LAB_DIR/agency.pub"
DEV=$LAB_DEVICE_PUB
DEVNAME=$(echo "$DEV" | tr '+/' '-_')
policy() {	# SERIAL [PREFIX-TO-DROP]
	sed "s/^serial 1\$/serial $1/${2:+; /prefix ${2//\//\\/}\$/d}" "$LAB_POLICY"
	printf 'distribution {\n\tserver %s\n\tinterval 10\n}\n' "$SRV"
}
policy 1 >"$B/1.conf"
policy 2 172.20.0.0/16 >"$B/2.conf"
policy 3 10.65.0.0/16 >"$B/3.conf"
policy 4 >"$B/4.conf"
policy 5 172.20.0.0/16 >"$B/5.conf"
for s in 1 2 3 4 5; do
	"$POLICY" sign --key "$LAB_DIR/agency.key" --device "$DEV" "$B/$s.conf" "$B/$s"
done
"$POLICY" sign --key "$LAB_DIR/other.key" --device "$DEV" "$B/4.conf" "$B/4.otherkey"
cp "$B/4" "$B/4.tampered"	# a byte of the policy text (offset 96)
printf 'x' | dd of="$B/4.tampered" bs=1 seek=96 conv=notrunc status=none
check "the agency signs serials 1 to 5 (with a distribution block) and the bad ones" bash -c \
	"[ -s $B/1 ] && [ -s $B/5 ] && [ -s $B/4.otherkey ] && ! cmp -s $B/4 $B/4.tampered"

# IT's way of publishing: write beside, then rename into place.
publish() {
	cp "$1" "$SERVED/.new" && chmod 0644 "$SERVED/.new" && mv "$SERVED/.new" "$SERVED/$DEVNAME"
}
server_up() {
	lab_lgwan_host "$LAB_DIST_ADDR" &&
	lab_spawn dist lgwan "$PWD/$SERVER" -d -r "$SERVED" -l "$SRV" -t 5000 &&
	lab_wait_for -t 5 _lab_listening lgwan t "$LAB_DIST_ADDR" "$LAB_DIST_PORT"
}
publish "$B/2"
check "the bundle server listens inside LGWAN at $SRV" server_up
check "it runs as _sekisho-bundle after binding, no capability, seccomp (lib/sandbox.h)" bash -c \
	'[ "$(ps -o user= -p "$1")" = _sekisho-bundle ] &&
	 grep -qE "^CapEff:\s+0+$" /proc/$1/status && grep -qE "^Seccomp:\s+2$" /proc/$1/status' _ "$(lab_pid dist)"

bundle_start() {
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -b "$BUNDLE" -k "$LAB_DIR/agency.pub" \
		-D "$LAB_DIR/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
LOG=$LAB_DIR/log/sekishod.log
SLOG=$LAB_DIR/log/dist.log
serial_is() { ctl status | grep -qx "policy:     serial $1 ($BUNDLE)"; }
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
host_ok() { work_get "http://$LAB_LGWAN_HOST/" | grep -qF "LGWAN host OK"; }
auth_ok() { work_get "http://$LAB_AUTH/" | grep -qF "LGWAN host OK"; }
log_has() { grep -qxF -- "$1" "$LOG"; }
log_count() { grep -cxF -- "$1" "$LOG"; }
# The table's content, in a form that does not depend on the order its sets
# and chains were created in (a restarted sekishod loads it afresh).
rules_now() { n netvm nft -j list table inet sekisho | python3 tests/integration/nft_canon.py; }
accepted_line() {	# SERIAL WAS ADDED WITHDRAWN
	echo "sekishod: $INCOMING: policy serial $1 in force (was $2): $3 prefixes added, $4 withdrawn; stored as $BUNDLE"
}

# ---- start from serial 1; serial 2 is fetched at entering remote mode ----------------
cp "$B/1" "$BUNDLE"
check "sekishod starts from serial 1" bundle_start
check "work gets its address" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
check "serial 2 is fetched at once and put in force" lab_wait_for -t 10 serial_is 2
check "one line says where it came from, one that it is in force" bash -c '
	grep -qE "^sekishod: fetch over the tunnel: a newer bundle from $1 \([0-9]+ bytes\), put at $2\$" "$3" &&
	grep -qxF "$4" "$3"' _ "$SRV" "$INCOMING" "$LOG" "$(accepted_line 2 1 0 1)"
check "the server saw the request come through the tunnel (10.77.0.2)" grep -qE \
	"^sekisho-bundle-server: 10\.77\.0\.2:[0-9]+ device $DEVNAME serial 1: newer: serial 2, $(stat -c %s "$B/2") bytes\$" "$SLOG"
check "serial 2: 172.20.0.10, withdrawn, is refused" refused_fast 1000 work_get "http://$LAB_LGWAN_HOST/"
check "serial 2: the portal works" lab_wait_for -t 5 portal_ok
check "the fetched bundle is stored (the same bytes, 0600), the store says 2" bash -c \
	"cmp -s $B/2 $BUNDLE && [ \$(stat -c %a $BUNDLE) = 600 ] && [ \"\$(sed -n 2p $STORE)\" = 2 ] && [ ! -e $INCOMING ]"
status_fetch() {
	local s
	s=$(ctl status)
	echo "$s" | grep -qE "^fetch:      $SRV every 10 s, (next in [0-9]+ s|one running now)\$" &&
	echo "$s" | grep -qE "^  last:     20[0-9-]{8}T[0-9:]{8}Z \([0-9]+ s ago\): $1" || { echo "$s"; return 1; }
}
check "sekishoctl status: the server, the interval, the last fetch and its result" \
	status_fetch "accepted: $INCOMING: policy serial 2 in force"
check "sekishoctl status --json has the fetch too" bash -c \
	"$SEKISHOCTL -s $NETVM_SOCK status --json | grep -qE '\"fetch\":\\{\"server\":\"$SRV\",\"interval_s\":10,\"running\":(true|false),\"next_s\":[0-9null]+,\"last\":\"[0-9TZ:-]+\",\"last_age_s\":[0-9]+,\"result\":\"accepted: '"

# ---- IT drops serial 3: taken at the next interval ---------------------------------------
nothing_newer_seen() { grep -qE "10\.77\.0\.2:[0-9]+ device $DEVNAME serial 2: nothing newer \(holds serial 2\); no freshness statement \(none\)\$" "$SLOG"; }
check "meanwhile the next fetches find nothing newer" lab_wait_for -t 15 nothing_newer_seen
publish "$B/3"
t0=$(ms_now)
check "IT drops serial 3: taken within one interval (10 s, +-20%)" lab_wait_for -t 14 serial_is 3
t1=$(ms_now)
check "it took at most 12.5 s ($((t1 - t0)) ms)" test $((t1 - t0)) -le 12500
check "serial 3 accepted with one line" log_has "$(accepted_line 3 2 1 1)"
check "serial 3: 10.65.0.10, withdrawn, is refused" refused_fast 1000 work_get "http://$LAB_AUTH/"
check "serial 3: 172.20.0.10 is reachable again" lab_wait_for -t 5 host_ok

# ---- what must not replace serial 3 -----------------------------------------------------
rules_before=$(rules_now)
old_policy_stays() {
	serial_is 3 || { echo "serial changed"; ctl status | grep policy; return 1; }
	local now; now=$(rules_now)
	[ "$rules_before" = "$now" ] || {
		echo "ruleset changed:"; diff <(echo "$rules_before") <(echo "$now") | head -20; return 1; }
	cmp -s "$B/3" "$BUNDLE" || { echo "stored bundle changed"; return 1; }
	[ "$(sed -n 2p "$STORE")" = 3 ] || { echo "store changed"; return 1; }
	ls "$ST" | grep -q fetch && { echo "a temporary file is left: $(ls "$ST")"; return 1; }
	host_ok || { echo "172.20.0.10 unreachable"; return 1; }
	refused_fast 1000 work_get "http://$LAB_AUTH/"
}
# refused_fetch LINE-REGEX: the next fetch ends in exactly one more line
# matching it, the last one of the log (grep -E, whole line).
refused_fetch() {
	local re="^sekishod: $1\$" n0
	n0=$(grep -cE -- "$re" "$LOG")
	lab_wait_for -t 15 bash -c '[ "$(grep -cE -- "$1" "$2")" -gt "$3" ]' _ "$re" "$LOG" "$n0" ||
		{ echo "no line: $re"; tail -3 "$LOG"; return 1; }
	sleep 0.3
	[ "$(grep -cE -- "$re" "$LOG")" = $((n0 + 1)) ] || { echo "not exactly one line"; return 1; }
	tail -n 1 "$LOG" | grep -qE -- "$re" || { echo "more after it:"; tail -n 3 "$LOG"; return 1; }
}
rx() { printf '%s' "$1" | sed 's/[][\.*^$(){}+?|/]/\\&/g'; }
stays="; policy serial 3 stays in force"

publish "$B/4.tampered"
check "served a tampered bundle: refused with one line" refused_fetch \
	"$(rx "$INCOMING: tampered: the signature does not verify under agency key $AGENCY_PUB$stays")"
check "tampered: serial 3 still in force (packets, ruleset, stored bundle, store)" old_policy_stays
publish "$B/4.otherkey"
check "served a bundle signed by another key: refused with one line" refused_fetch \
	"$(rx "$INCOMING: wrong key: signed by $OTHER_PUB, which is not a pinned agency key$stays")"
check "wrong key: serial 3 still in force" old_policy_stays
publish "$B/4.conf"
check "a plain policy file at the server: the device is told nothing, one line" refused_fetch \
	"$(rx "fetch over the tunnel: $SRV: closed without a response; next try in ")[0-9]+ s"
check "and the server, which refuses to serve it, says why in one line" grep -qE \
	"^sekisho-bundle-server: 10\.77\.0\.2:[0-9]+ device $DEVNAME serial 3: not answered: $(rx "$SERVED/$DEVNAME: unsigned: a plain policy file, not a signed bundle")\$" "$SLOG"
check "plain file at the server: serial 3 still in force" old_policy_stays

# A hostile server at the same address: busybox nc answering fixed bytes.
RESP=$LAB_DIR/response
be32() { printf "\\x$(printf %02x $(($1 >> 24 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 & 255)))"; }
rogue_up() {
	lab_stop dist
	lab_spawn rogue lgwan busybox nc -ll -p "$LAB_DIST_PORT" -e /bin/sh -c "head -c 45 >/dev/null; cat $RESP" &&
	lab_wait_for -t 5 bash -c "ip netns exec $NS_LGWAN ss -Hlnt 'sport = :$LAB_DIST_PORT' | grep -q ."
}
{ printf 'SKBR\002\000'; be32 "$(stat -c %s "$B/2")"; cat "$B/2"; } >"$RESP"
check "a hostile server takes the address" rogue_up
check "it answers with an older bundle (serial 2): refused with one line" refused_fetch \
	"$(rx "$INCOMING: older serial: 2 is below 3, the serial already accepted; rollback refused$stays")"
check "older: serial 3 still in force" old_policy_stays
check "the refused bundle left the incoming path, kept as .refused" bash -c \
	'[ ! -e "$1" ] && cmp -s "$2" "$1.refused"' _ "$INCOMING" "$B/2"
printf 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello' >"$RESP"
check "it answers with garbage: refused with one line" refused_fetch \
	"$(rx "fetch over the tunnel: $SRV: bad response: bad magic, expected \"SKBR\"; next try in ")[0-9]+ s"
check "garbage: serial 3 still in force" old_policy_stays
{ printf 'SKBR\002\000'; be32 4194463; head -c 1000 /dev/zero; } >"$RESP"
check "it announces more than a bundle can be: refused with one line" refused_fetch \
	"$(rx "fetch over the tunnel: $SRV: bad response: bundle length 4194463 out of range, expected 155 to 4194462; next try in ")[0-9]+ s"
check "over-long: serial 3 still in force" old_policy_stays
{ printf 'SKBR\002\001'; be32 0; printf 'x'; } >"$RESP"
check "'nothing newer' with a byte after it: refused with one line" refused_fetch \
	"$(rx "fetch over the tunnel: $SRV: bad response: bytes after its end; next try in ")[0-9]+ s"

# A fetch cut short by a kill -9 of sekishod leaves no file behind.
stall_up() {
	lab_stop rogue
	lab_spawn rogue lgwan busybox nc -ll -p "$LAB_DIST_PORT" -e /bin/sh -c "sleep 30" &&
	lab_wait_for -t 5 bash -c "ip netns exec $NS_LGWAN ss -Hlnt 'sport = :$LAB_DIST_PORT' | grep -q ."
}
fetch_hanging() { ip netns exec "$NS_LGWAN" ss -Htn state established "( sport = :$LAB_DIST_PORT )" | grep -q .; }
check "a server that never answers takes the address" stall_up
check "a fetch hangs on it" lab_wait_for -t 15 fetch_hanging
check "kill -9 of sekishod in the middle of the fetch" netvm_kill9
check "the cut fetch left no file in the state directory" bash -c \
	'! ls -A "$1" | grep -q fetch || { ls -A "$1"; exit 1; }' _ "$ST"

# ---- the server down, then back with serial 4 ------------------------------------------------
lab_stop rogue
check "sekishod starts again" bundle_start
check "and resumes remote mode" netvm_wait_mode remote
check "server down: one line" refused_fetch \
	"$(rx "fetch over the tunnel: $SRV: connect: Connection refused; next try in ")[0-9]+ s"
check "server down: sekishoctl status shows the error" status_fetch \
	"error: $(rx "$SRV: connect: Connection refused")"
check "server down: serial 3 still in force" old_policy_stays
publish "$B/4"
lab_stop dist 2>/dev/null
rm -f "$LAB_DIR/pids/dist"
check "the server is back" server_up
check "tried again later: serial 4 is taken" lab_wait_for -t 15 serial_is 4
check "serial 4 accepted with one line" log_has "$(accepted_line 4 3 1 0)"
check "serial 4: 10.65.0.10 is reachable again" lab_wait_for -t 5 auth_ok

# ---- office mode: the fetch goes over the office LAN -------------------------------------------
publish "$B/5"
lab_leak_reset office
check "plugged into the office LAN" lab_plug up0 office
check "mode office" netvm_wait_mode office 10
check "serial 5 is fetched at entering office mode" lab_wait_for -t 10 serial_is 5
check "the server saw the request from the office LAN (10.66.0.x), not the tunnel" grep -qE \
	"^sekisho-bundle-server: 10\.66\.0\.[0-9]+:[0-9]+ device $DEVNAME serial 4: newer: serial 5, [0-9]+ bytes\$" "$SLOG"
check "the log says it came over the office LAN" grep -qE \
	"^sekishod: fetch over the office LAN on up0: a newer bundle from $SRV \([0-9]+ bytes\), put at $INCOMING\$" "$LOG"
check "serial 5 (office): 172.20.0.10, withdrawn, is refused" refused_fast 1000 work_get "http://$LAB_LGWAN_HOST/"
check "serial 5 (office): the portal works" lab_wait_for -t 5 portal_ok
transfer() { ip netns exec "$NS_NETVM" wg show "$NETVM_TUN" transfer | cut -f2,3; }
office_fetches() { grep -cE "^sekisho-bundle-server: 10\.66\.0\.[0-9]+:[0-9]+ device $DEVNAME serial 5: nothing newer" "$SLOG"; }
tun0=$(transfer); lgwan0=$(lab_leak office lgwan); f0=$(office_fetches)
check "the next fetch, again over the office LAN" lab_wait_for -t 15 bash -c \
	'[ "$(grep -cE "^sekisho-bundle-server: 10\.66\.0\.[0-9]+:[0-9]+ device $1 serial 5: nothing newer" "$2")" -gt "$3" ]' \
	_ "$DEVNAME" "$SLOG" "$f0"
tun1=$(transfer); lgwan1=$(lab_leak office lgwan)
check "its packets crossed the office segment (lgwan counter $lgwan0 -> $lgwan1)" test "$lgwan1" -ge $((lgwan0 + 5))
check "and the tunnel's counters did not move ($tun0 -> $tun1)" test "$tun0" = "$tun1"
check "sekishoctl status: nothing newer" status_fetch \
	"unchanged: $SRV has nothing newer than serial 5"
check "no temporary file left beside the incoming path" bash -c "! ls $ST | grep -q fetch"

tap_done
