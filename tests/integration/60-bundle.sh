#!/bin/bash
# Signed policy bundles in sekishod (docs/bundle.md, "In sekishod"), in the
# lab: sekishod started from a signed bundle (-b), pinned agency key (-k),
# the device's public key (-D) and the serial store beside the bundle.
#
#  - a live change: serial 2 withdraws 172.20.0.0/16; a bulk transfer to
#    the portal running across the change completes, 172.20.0.10 is refused
#    at once, the kernel's set, the tunnel's routes and allowed IPs follow;
#  - refusals at the incoming path, by SIGHUP and by `sekishoctl reload`: a
#    tampered byte, a wrong key, an unsigned policy, a bundle for another
#    device, an older serial, a signed policy whose serial is not the
#    bundle's (the helper checks signatures only: sekishod's own parse
#    refuses it); the verifying helper killed before them is started
#    again by the next bundle; each with exactly one log line, the serial in
#    `sekishoctl status` and the ruleset unchanged, and real packets show
#    the old policy in force (the portal reachable, 172.20.0.10 -- which
#    every refused bundle would add back -- still refused);
#  - a restart: the store survives, an older serial is still refused, both
#    as a candidate and as the bundle sekishod starts from;
#  - serial 3 adds 172.20.0.0/16 back, live; then in office mode serial 4
#    withdraws 10.65.0.0/16 (nothing more of work's to it on the office
#    LAN), and office mode stays;
#  - serial 5 changes the device's MTU, the gateway's keepalive and the
#    work link's addresses, live: each applied, with one line saying what
#    it cuts, shown with packets (a DF packet the new MTU refuses, the
#    portal through the tunnel from work's new address, the old address
#    dropped as spoofed); a new key file is still refused.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

POLICY=${POLICY_TOOL:-build/sekisho-policy}
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
LAB_SEGMENTS=office lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

# ---- the agency's side: keys and bundles ---------------------------------------------
ST=$LAB_DIR/state			# what the netvm keeps: bundle, serial, bundle.new
B=$LAB_DIR/bundles			# what the agency signed
mkdir -m 0700 "$ST" "$B"
BUNDLE=$ST/bundle
INCOMING=$ST/bundle.new
STORE=$ST/serial
AGENCY_PUB=$("$POLICY" keygen "$LAB_DIR/agency.key")
OTHER_PUB=$("$POLICY" keygen "$LAB_DIR/other.key")
echo "$AGENCY_PUB" >"$LAB_DIR/agency.pub"
DEV=$LAB_DEVICE_PUB
STRANGER=$(wg genkey | wg pubkey)

sed 's/^serial 1$/serial 2/; /prefix 172\.20\.0\.0\/16/d' "$LAB_POLICY" >"$B/2.conf"
sed 's/^serial 1$/serial 3/' "$LAB_POLICY" >"$B/3.conf"
sed 's/^serial 1$/serial 4/; /prefix 10\.65\.0\.0\/16/d' "$LAB_POLICY" >"$B/4.conf"
sign() { "$POLICY" sign --key "$1" --device "$2" "$3" "$4"; }
sign "$LAB_DIR/agency.key" "$DEV" "$LAB_POLICY" "$B/1"
sign "$LAB_DIR/agency.key" "$DEV" "$B/2.conf" "$B/2"
sign "$LAB_DIR/agency.key" "$DEV" "$B/3.conf" "$B/3"
sign "$LAB_DIR/agency.key" "$DEV" "$B/4.conf" "$B/4"
sign "$LAB_DIR/other.key" "$DEV" "$B/3.conf" "$B/3.otherkey"
sign "$LAB_DIR/agency.key" "$STRANGER" "$B/3.conf" "$B/3.otherdevice"
# signed, but its policy says serial 1: the verifying helper checks the
# signature only (--signature-only); sekishod's own parse must refuse it
python3 tests/policy/bundles/mkbundle.py --key "$LAB_DIR/agency.key" --device "$DEV" \
	--serial 3 --issued "$(date +%s)" "$LAB_POLICY" "$B/3.mismatch"
cp "$B/3" "$B/3.tampered"	# a byte of the policy's first line (offset 96)
printf 'x' | dd of="$B/3.tampered" bs=1 seek=96 conv=notrunc status=none
check "the agency signs serials 1, 2, 3 and the bad ones" \
	bash -c "[ -s $B/1 ] && [ -s $B/2 ] && [ -s $B/3 ] && [ -s $B/3.mismatch ] && ! cmp -s $B/3 $B/3.tampered"

# libnftables through the fault injection shim (tests/lab/nftfail.c, as
# 26-rules-fail): idle unless $NFTFAIL exists.
shim=$LAB_DIR/nftfail.so
NFTFAIL=$LAB_DIR/nftfail
cc -shared -fPIC -O2 -o "$shim" tests/lab/nftfail.c -ldl || { echo "not ok 1 - cannot build the shim"; exit 1; }
bundle_start() {
	lab_spawn sekishod netvm env LD_PRELOAD="$shim" SK_NFTFAIL="$NFTFAIL" "$PWD/$SEKISHOD" -d -b "$BUNDLE" -k "$LAB_DIR/agency.pub" \
		-D "$LAB_DIR/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
serial_is() { ctl status | grep -qx "policy:     serial $1 ($BUNDLE)"; }
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
host_ok() { work_get "http://$LAB_LGWAN_HOST/" | grep -qF "LGWAN host OK"; }
log_has() { grep -qxF -- "$1" "$LAB_DIR/log/sekishod.log"; }
log_count() { grep -cxF -- "$1" "$LAB_DIR/log/sekishod.log"; }
rules_now() { netvm_rules | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'; }

# ---- first start from serial 1 --------------------------------------------------------
cp "$B/1" "$BUNDLE"
check "sekishod starts from the signed bundle" bundle_start
check "it says where its policy comes from" lab_wait_for -t 2 log_has \
	"sekishod: policy serial 1 from the signed bundle $BUNDLE"
check "first start: the serial store is created with serial 1, mode 0600" bash -c \
	"[ \"\$(cat $STORE)\" = \"\$(printf 'sekisho-serial 1\n1')\" ] && [ \$(stat -c %a $STORE) = 600 ]"
check "work gets its address" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
check "sekishoctl status: serial 1 from the bundle" serial_is 1
check "serial 1: the portal is reachable" lab_wait_for -t 5 portal_ok
check "serial 1: 172.20.0.10 is reachable" host_ok
check "reload without a new bundle: nothing changes, exit 0" bash -c \
	"[ \"\$($SEKISHOCTL -s $NETVM_SOCK reload)\" = 'unchanged: reload: no new bundle at $INCOMING; policy serial 1 stays in force' ]"

# ---- a live change: serial 2 withdraws 172.20.0.0/16 -------------------------------
n work iperf3 -c "$LAB_PORTAL" -p "$LAB_IPERF_PORT" -t 4 -b 20M -J >"$LAB_DIR/iperf.json" 2>&1 &
iperf=$!
sleep 1.5
cp "$B/2" "$INCOMING"
reply=$(ctl reload); rc=$?
want="$INCOMING: policy serial 2 in force (was 1): 0 prefixes added, 1 withdrawn; stored as $BUNDLE"
check "serial 2 accepted: sekishoctl reload says so and exits 0" \
	bash -c '[ "$1" = 0 ] && [ "$2" = "accepted: $3" ]' _ "$rc" "$reply" "$want"
check "serial 2 accepted: one log line" log_has "sekishod: $want"
check "sekishoctl status shows serial 2" serial_is 2
check "172.20.0.10, withdrawn, is refused at once" refused_fast 1000 work_get "http://$LAB_LGWAN_HOST/"
wait "$iperf"; iperf_rc=$?
transfer_survived() {
	[ "$iperf_rc" = 0 ] || { tail -5 "$LAB_DIR/iperf.json"; return 1; }
	grep -A4 '"sum_received"' "$LAB_DIR/iperf.json" | grep -qE '"bytes":\s*[1-9][0-9]{6,}'
}
check "a bulk TCP transfer to the portal across the change completes" transfer_survived
check "the portal, still allowed, is reachable" portal_ok
check "the kernel's LGWAN set lost 172.20.0.0/16" bash -c \
	"ip netns exec $NS_NETVM nft list set inet sekisho lgwan | tr -d '\n\t ' | grep -qF 'elements={10.64.0.0/16,10.65.0.0/16}'"
table_lost() {
	local t
	t=$(ip -n "$NS_NETVM" route show table 1509)
	echo "$t"
	! echo "$t" | grep -q '^172\.20\.' && echo "$t" | grep -q '^10\.64\.0\.0/16'
}
check "the tunnel's routing table lost 172.20.0.0/16" table_lost
# (and hold the gateway's own tunnel address, the liveness probe's echo)
check "the gateway's allowed IPs lost 172.20.0.0/16" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN allowed-ips | cut -f2 | tr ' ' '\n' | sort | tr '\n' ' ')\" = '10.64.0.0/16 10.65.0.0/16 $LAB_TUNNEL_GW/32 ' ]"
check "the accepted bundle is stored (same bytes, 0600) and the store says 2" bash -c \
	"cmp -s $B/2 $BUNDLE && [ \$(stat -c %a $BUNDLE) = 600 ] && [ \"\$(sed -n 2p $STORE)\" = 2 ] && [ ! -e $INCOMING ]"

# ---- the verifying helper: one, kept between bundles, started again when it dies ------
# (sekisho-policy verify-serve; its key on the command line is this lab's own)
helper_pid() { ps -eo pid=,args= | grep -F -- "verify-serve --pubkey $AGENCY_PUB" | grep -v grep |
	awk '{ print $1; exit }'; }
H1=$(helper_pid)
# in the sandbox of the one-shot helper (08-sandbox): its user, no
# capability, no_new_privs, seccomp
helper_confined() {
	local st=/proc/$1/status u
	u=$(id -u _sekisho-verify) && [ -r "$st" ] || { echo "no helper ($1)"; return 1; }
	grep -qE "^Uid:\s+$u\s+$u\s+$u\s+$u\$" "$st" && grep -qE '^CapEff:\s+0+$' "$st" &&
	grep -qE '^CapPrm:\s+0+$' "$st" && grep -qE '^NoNewPrivs:\s+1$' "$st" &&
	grep -qE '^Seccomp:\s+2$' "$st" || { grep -E '^(Uid|Cap|NoNew|Seccomp)' "$st"; return 1; }
}
check "the verifying helper stays up after the reload, confined as _sekisho-verify" \
	helper_confined "$H1"
[ -n "$H1" ] && kill -KILL "$H1"
check "killed, it is seen to go (one line)" lab_wait_for -t 5 log_has \
	"sekishod: bundle verifier (pid $H1) exited; the next bundle starts another"

# ---- refusals: one line each, and the old policy stays -------------------------------------
# sekishod logs the tunnel's first handshake when it next reads the
# tunnel (every 5 s, TUNNEL_POLL_MS): a line of its own, at a moment of
# its own. Each refusal below must be the last line logged, so they start
# once that line is there (it came between two refusals under load:
# "older serial (sekishoctl reload)" found it after its own line).
HS_LINE='sekishod: tunnel: handshake with the gateway completed ("agency-gw")'
handshakes_logged() { [ "$(log_count "$HS_LINE")" -ge "$1" ]; }
lab_wait_for -t 30 handshakes_logged 1
rules_before=$(rules_now)
# refused HOW NAME FILE REASON: FILE as the candidate, by SIGHUP or
# sekishoctl; exactly one log line "sekishod: INCOMING: REASON; ..."
refused() {
	local how=$1 file=$3 line reply rc n0
	line="$INCOMING: $4; policy serial 2 stays in force"
	n0=$(log_count "sekishod: $line")
	cp "$file" "$INCOMING"
	if [ "$how" = hup ]; then
		kill -HUP "$(lab_pid sekishod)"
		lab_wait_for -t 5 bash -c '[ "$(grep -cxF -- "$1" "$2")" -gt "$3" ]' _ \
			"sekishod: $line" "$LAB_DIR/log/sekishod.log" "$n0" ||
			{ echo "no line: sekishod: $line"; tail -3 "$LAB_DIR/log/sekishod.log"; return 1; }
	else
		reply=$(ctl reload); rc=$?
		[ "$rc" = 1 ] || { echo "sekishoctl reload: exit $rc, want 1"; return 1; }
		[ "$reply" = "refused: $line" ] || { printf 'got:  %s\nwant: refused: %s\n' "$reply" "$line"; return 1; }
	fi
	[ "$(log_count "sekishod: $line")" = $((n0 + 1)) ] || { echo "not exactly one log line"; return 1; }
	# nothing after it (but the tunnel's handshake, which comes when it
	# comes: once it fell just there on a busy machine)
	[ "$(grep -vF 'sekishod: tunnel: handshake with the gateway completed' \
	    "$LAB_DIR/log/sekishod.log" | tail -n 1)" = "sekishod: $line" ] ||
		{ echo "more after it:"; tail -n 3 "$LAB_DIR/log/sekishod.log"; return 1; }
}
# old_policy_stays: the same serial, ruleset, stored bundle and packets.
old_policy_stays() {
	serial_is 2 || { echo "serial changed"; ctl status | tail -1; return 1; }
	[ "$rules_before" = "$(rules_now)" ] || { echo "ruleset changed"; return 1; }
	cmp -s "$B/2" "$BUNDLE" || { echo "stored bundle changed"; return 1; }
	[ "$(sed -n 2p "$STORE")" = 2 ] || { echo "store changed"; return 1; }
	portal_ok || { echo "portal unreachable"; return 1; }
	refused_fast 1000 work_get "http://$LAB_LGWAN_HOST/"
}
sig="the signature does not verify under agency key $AGENCY_PUB"
check "tampered byte (SIGHUP): refused" refused hup tampered "$B/3.tampered" "tampered: $sig"
check "tampered byte: serial 2 still in force, 172.20.0.10 still refused" old_policy_stays
H2=$(helper_pid)
check "the next bundle started a new verifying helper (and it decided)" \
	bash -c "[ -n '$H2' ] && [ '$H2' != '$H1' ]"
check "tampered byte (sekishoctl reload): refused" refused ctl tampered "$B/3.tampered" "tampered: $sig"
check "wrong key (SIGHUP): refused" refused hup wrongkey "$B/3.otherkey" \
	"wrong key: signed by $OTHER_PUB, which is not a pinned agency key"
check "wrong key: serial 2 still in force, 172.20.0.10 still refused" old_policy_stays
check "unsigned policy file (sekishoctl reload): refused" refused ctl unsigned "$B/3.conf" \
	"unsigned: a plain policy file, not a signed bundle"
check "unsigned: serial 2 still in force, 172.20.0.10 still refused" old_policy_stays
check "another device's bundle (SIGHUP): refused" refused hup device "$B/3.otherdevice" \
	"wrong device: made for $STRANGER, this device is $DEV"
check "wrong device: serial 2 still in force, 172.20.0.10 still refused" old_policy_stays
check "older serial (sekishoctl reload): refused" refused ctl older "$B/1" \
	"older serial: 1 is below 2, the serial already accepted; rollback refused"
check "older serial: serial 2 still in force, 172.20.0.10 still refused" old_policy_stays
check "signed, but the policy's serial is not the bundle's (sekishoctl reload): refused by sekishod" \
	refused ctl mismatch "$B/3.mismatch" "policy serial 1 differs from the bundle serial 3"
check "serial mismatch: serial 2 still in force, 172.20.0.10 still refused" old_policy_stays
cp "$B/2" "$INCOMING"
check "the same serial again: unchanged, exit 0" bash -c \
	"[ \"\$($SEKISHOCTL -s $NETVM_SOCK reload)\" = 'unchanged: $INCOMING: same serial: 2 is already accepted, not newer' ]"
rm -f "$INCOMING"
mkfifo -m 0600 "$INCOMING"
fifo_refused() {
	local reply
	reply=$(timeout 5 "$SEKISHOCTL" -s "$NETVM_SOCK" reload)
	[ "$reply" = "refused: $INCOMING: not a regular file; policy serial 2 stays in force" ] ||
		{ echo "got: $reply"; return 1; }
	serial_is 2
}
check "a FIFO at the incoming path: refused at once, sekishod not held" fifo_refused
rm -f "$INCOMING"

# ---- restart: the store survives ---------------------------------------------------------
stopped() { lab_stop sekishod; ! pgrep -f "sekishod -d -b $BUNDLE"; }
check "SIGTERM: sekishod stops" stopped
check "sekishod restarts from the stored bundle" bundle_start
check "restarted: remote again" netvm_wait_mode remote
check "restarted: serial 2" serial_is 2
check "restarted: the portal is reachable" lab_wait_for -t 10 portal_ok
lab_wait_for -t 30 handshakes_logged 2	# this start's handshake line, as above
rules_before=$(rules_now)
check "restarted, older serial (SIGHUP): refused" refused hup older-again "$B/1" \
	"older serial: 1 is below 2, the serial already accepted; rollback refused"
check "after the restart too: serial 2 still in force, 172.20.0.10 still refused" old_policy_stays
rm -f "$INCOMING"
# A rollback of the stored bundle itself (the store alone knows better):
# sekishod refuses to start with exactly one line.
mkdir -m 0700 "$LAB_DIR/rolled"
cp "$B/1" "$LAB_DIR/rolled/bundle"
cp -p "$STORE" "$LAB_DIR/rolled/serial"
start_rolled_back() {
	local out rc
	out=$(n netvm "$SEKISHOD" -d -b "$LAB_DIR/rolled/bundle" -k "$LAB_DIR/agency.pub" \
		-D "$LAB_DIR/device.pub" -w wk0 -t "$NETVM_TUN" -s "$LAB_DIR/bad.sock" \
		-r "$LAB_DIR/bad-run" 2>&1)
	rc=$?
	want="sekishod: $LAB_DIR/rolled/bundle: older serial: 1 is below 2, the serial already accepted; rollback refused"
	[ "$rc" -eq 1 ] || { echo "exit status $rc, want 1"; return 1; }
	[ "$out" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$out" "$want"; return 1; }
}
check "a rolled-back bundle on disk: sekishod refuses to start, one line" start_rolled_back
check "and the policy in force stays: serial 2, 172.20.0.10 refused" old_policy_stays

# ---- serial 3 adds 172.20.0.0/16 back, live -------------------------------------------
cp "$B/3" "$INCOMING"
kill -HUP "$(lab_pid sekishod)"
check "serial 3 (SIGHUP): accepted" lab_wait_for -t 5 log_has \
	"sekishod: $INCOMING: policy serial 3 in force (was 2): 1 prefixes added, 0 withdrawn; stored as $BUNDLE"
check "sekishoctl status shows serial 3" serial_is 3
check "172.20.0.10 is reachable again" lab_wait_for -t 5 host_ok
check "the gateway's allowed IPs hold the three prefixes again" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN allowed-ips | cut -f2 | tr ' ' '\n' | sort | tr '\n' ' ')\" = '10.64.0.0/16 10.65.0.0/16 $LAB_TUNNEL_GW/32 172.20.0.0/16 ' ]"
check "the internet is still refused fast" refused_fast 1000 work_get "http://$LAB_INET_WEB/"

# ---- office mode: serial 4 withdraws 10.65.0.0/16 from the office table too -------------
auth_ok() { work_get "http://$LAB_AUTH/" | grep -qF "LGWAN host OK"; }
check "office: plugged in" lab_plug up0 office
check "office: mode office" netvm_wait_mode office 5
check "office: 10.65.0.10 reachable straight over the office LAN" lab_wait_for -t 5 auth_ok
# The office table holds one route, the default via the office router;
# the ruleset's office mark, on LGWAN only, decides what takes it.
check "office: the office table holds its one route, via the office router on up0" bash -c \
	"[ \"\$(ip -n $NS_NETVM route show table 1511 | grep -c .)\" = 1 ] && ip -n $NS_NETVM route show table 1511 | grep -q '^default via .* dev up0'"
auth_counter() {
	n office nft -f - <<-EOF
	table netdev t60 {
		chain ingress {
			type filter hook ingress device "on0" priority -600; policy accept;
			ether type ip ip daddr $LAB_AUTH counter
		}
	}
	EOF
}
auth_seen() { n office nft list chain netdev t60 ingress | sed -nE 's/.*counter packets ([0-9]+).*/\1/p'; }
check "office: a counter for $LAB_AUTH on the office LAN" auth_counter
cp "$B/4" "$INCOMING"
reply=$(ctl reload); rc=$?
want="$INCOMING: policy serial 4 in force (was 3): 0 prefixes added, 1 withdrawn; stored as $BUNDLE"
check "office: serial 4 accepted" bash -c '[ "$1" = 0 ] && [ "$2" = "accepted: $3" ]' _ "$rc" "$reply" "$want"
check "office: 10.65.0.10, withdrawn, is refused at once" refused_fast 1000 work_get "http://$LAB_AUTH/"
check "office: the portal is still reachable" portal_ok
# Withdrawn: not one more of work's packets to it on the office LAN (the
# counter stands still over 10 pings), and the tunnel's table lost it.
office_path_lost() {
	local a b
	a=$(auth_seen)
	n work ping -n -i 0.05 -c 10 -W 1 "$LAB_AUTH" >/dev/null 2>&1
	b=$(auth_seen)
	echo "$LAB_AUTH on the office LAN: $a packets before 10 pings, $b after"
	[ -n "$a" ] && [ "$a" = "$b" ] &&
	! ip -n "$NS_NETVM" route show table 1509 | grep -q '^10\.65\.'
}
check "office: nothing more to 10.65.0.10 on the office LAN, and the tunnel table lost 10.65.0.0/16" office_path_lost
check "office: still office mode, serial 4" bash -c \
	"$SEKISHOCTL -s $NETVM_SOCK status | grep -q '^mode:       office' && $SEKISHOCTL -s $NETVM_SOCK status | grep -qx 'policy:     serial 4 ($BUNDLE)'"
check "office: the internet is still refused fast" refused_fast 1000 work_get "http://$LAB_INET_WEB/"

# ---- serial 5: the device's MTU, the gateway's keepalive, the work link, live -----------
# These sections used to be refused live (restart needed). Now each is
# applied, with one line saying what it cuts: the MTU and a keepalive
# nothing (the gateway stays, session and all), the work link's new
# addresses work's connections (its address changes).
home_again() { lab_plug up0 home >/dev/null && netvm_wait_mode remote 10; }
check "home again: remote" home_again
check "home: the portal is reachable" lab_wait_for -t 10 portal_ok
# ---- a bundle whose ruleset nftables refuses: refused, nothing stored -------------------
# No dry run any more: the change itself is the test. Refused, it leaves
# the old ruleset in force, takes out the routes and allowed IPs it put in,
# and stores nothing; the same serial is taken once nftables takes it.
awk '/^serial 4$/ { print "serial 5"; next }
	/^\tresolver 10\.64\.0\.53$/ { print "\tprefix 10.99.0.0/16"; print; print "\tresolver 10.64.0.54"; next }
	{ print }' "$B/4.conf" >"$B/5r.conf"
sign "$LAB_DIR/agency.key" "$DEV" "$B/5r.conf" "$B/5r"
: >"$NFTFAIL"
cp "$B/5r" "$INCOMING"
reply=$(ctl reload); rc=$?
refused_line() {
	echo "$reply"
	[ "$rc" = 1 ] && case $reply in "refused: $INCOMING: nftables refused its ruleset ("*"); policy serial 4 stays in force") ;; *) false ;; esac
}
check "nftables refuses its ruleset: serial 5 refused, one line, serial 4 stays" refused_line
rm -f "$NFTFAIL"
nothing_stored() {
	cmp -s "$BUNDLE" "$B/4" && [ "$(tail -1 "$STORE")" = 4 ] && [ -e "$INCOMING" ] && serial_is 4
}
check "nothing stored: the bundle and the serial store hold serial 4" nothing_stored
paths_back() {
	! ip -n "$NS_NETVM" route show table 1509 | grep -q '^10\.99\.' &&
	! ip netns exec "$NS_NETVM" wg show "$NETVM_TUN" allowed-ips | grep -q '10\.99\.0\.0/16'
}
check "the refused bundle's route and allowed IP for 10.99.0.0/16 are gone again" paths_back
check "the portal is still reachable" portal_ok
rm -f "$INCOMING"

big_df() { n work ping -n -c 1 -W 2 -M do -s 1372 "$LAB_PORTAL" 2>&1; }
check "MTU 1420: a 1400-byte packet with DF set reaches the portal through the tunnel" big_df
awk '/^serial 4$/ { print "serial 5"; next }
	/^device \{/ { print; print "\tmtu 1380"; next }
	/^gateway / { print; print "\tkeepalive 17"; next }
	/^\taddress 172\.30\.0\.2\/30$/ { print "\taddress 172.30.0.6/30"; next }
	/^\trouter 172\.30\.0\.1$/ { print "\trouter 172.30.0.5"; next }
	{ print }' "$B/4.conf" >"$B/5.conf"
sign "$LAB_DIR/agency.key" "$DEV" "$B/5.conf" "$B/5"
cp "$B/5" "$INCOMING"
reply=$(ctl reload); rc=$?
want="$INCOMING: policy serial 5 in force (was 4): 0 prefixes added, 0 withdrawn; stored as $BUNDLE"
check "serial 5 (MTU, keepalive, work addresses) accepted live" \
	bash -c '[ "$1" = 0 ] && [ "$2" = "accepted: $3" ]' _ "$rc" "$reply" "$want"
check "the log says the MTU changed and nothing is cut" log_has \
	"sekishod: tunnel $NETVM_TUN: MTU 1380 (was 1420); nothing is cut"
check "the log says the gateway stays, its session kept" log_has \
	"sekishod: gateways changed (1 now); \"agency-gw\" stays in use, its session kept: nothing is cut"
check "the log says work's connections are cut" log_has \
	"sekishod: work link wk0: work is 172.30.0.6, the netvm 172.30.0.5 (were 172.30.0.2 and 172.30.0.1); work's connections are cut: its address changes"
check "the tunnel's MTU is 1380" bash -c "ip -n $NS_NETVM link show $NETVM_TUN | grep -q ' mtu 1380 '"
check "the gateway's keepalive is 17 s" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN persistent-keepalive | cut -f2)\" = 17 ]"
wk0_moved() {
	local a
	a=$(ip -n "$NS_NETVM" -4 -o addr show dev wk0)
	echo "$a"
	echo "$a" | grep -q ' 172\.30\.0\.5/30 ' && ! echo "$a" | grep -q ' 172\.30\.0\.1/'
}
check "wk0 holds 172.30.0.5/30, no longer 172.30.0.1" wk0_moved
# Work still holds 172.30.0.2 until its next DHCP exchange: its router is
# gone, so nothing of it gets through.
cut_off() { ! work_get "http://$LAB_PORTAL/" 2 >/dev/null; }
check "work at its old address: the portal is cut off" cut_off
redhcp() { lab_stop work-dhcp; ip -n "$NS_WORK" -4 addr flush dev eth0; lab_work_dhcp; }
check "work asks DHCP again" redhcp
check "work has 172.30.0.6" bash -c "ip -n $NS_WORK -4 -o addr show dev eth0 | grep -q ' 172\.30\.0\.6/30 '"
check "work at 172.30.0.6: the portal is reachable through the tunnel" lab_wait_for -t 10 portal_ok
mtu_1380() { big_df | tee /dev/stderr | grep -q 'mtu = 1380'; }
check "MTU 1380: the same 1400-byte DF packet is refused, frag needed, mtu = 1380" mtu_1380
spoof_dropped() {
	local a b
	# The first rule to meet a forged source is worksrc's (prerouting,
	# before routing): the forward chain's own spoof rule never sees it.
	a=$(netvm_rules | sed -n '/chain worksrc {/,/}/p' | sed -nE 's/.*iifname "wk0" ip saddr != 172\.30\.0\.6 counter packets ([0-9]+).*/\1/p')
	ip -n "$NS_WORK" addr add 172.30.0.2/30 dev eth0 2>/dev/null
	n work ping -n -c 3 -i 0.2 -W 1 -I 172.30.0.2 "$LAB_PORTAL" >/dev/null 2>&1
	ip -n "$NS_WORK" addr del 172.30.0.2/30 dev eth0
	b=$(netvm_rules | sed -n '/chain worksrc {/,/}/p' | sed -nE 's/.*iifname "wk0" ip saddr != 172\.30\.0\.6 counter packets ([0-9]+).*/\1/p')
	echo "spoofed-source drops: $a before, $b after 3 pings from 172.30.0.2"
	[ -n "$a" ] && [ "$b" -ge $(( a + 3 )) ]
}
check "the old work address is now a spoofed source: its 3 pings dropped" spoof_dropped
key_refused() {
	local out
	sed 's/^serial 5$/serial 6/; s|key-file ".*"|key-file "/etc/sekisho/other.key"|' "$B/5.conf" >"$B/6.conf"
	sign "$LAB_DIR/agency.key" "$DEV" "$B/6.conf" "$B/6" || return 1
	cp "$B/6" "$INCOMING"
	out=$(ctl reload)
	echo "$out"
	[ "$out" = "refused: $INCOMING: serial 6 changes the device section's key-file: key file /etc/sekisho/other.key: No such file or directory; the key in use stays; policy serial 5 stays in force" ]
}
check "a new key file that cannot be read is refused live, by name, the key in use stays" key_refused
rm -f "$INCOMING"

# ---- sekishod stays small: no libcrypto in it -------------------------------------------
sleep 1
kib=$(awk '/^VmRSS/ { print $2 }' "/proc/$(lab_pid sekishod)/status")
echo "# sekishod idle VmRSS: $kib KiB"
# A figure, not an assertion: make bench reports netvm.rss_kib.
check "sekishod does not link libcrypto" bash -c "! ldd $SEKISHOD | grep -q libcrypto"

tap_done
