#!/bin/bash
# Live changes of the gateway's peer and of the device's tunnel address
# (issue 11: every section changes live), with real packets in the lab:
# sekishod runs from a signed bundle, work reaches LGWAN through the tunnel,
# and a TCP connection from work to an echo server on the portal is held
# open across each change (tests/integration/tcphold.py).
#
#  - serial 2: the agency rotates its gateway's key and moves it to UDP
#    port 51821, and pushes a policy naming the new key and endpoint. The
#    log says the tunnel handshakes anew and connections wait for it; the
#    netvm's peer is the new key at the new endpoint, the old one gone; the
#    held connection survives (its next line is echoed) and new ones work;
#    the agency sees the tunnel's UDP on the new port.
#  - serial 3: the agency moves the device from 10.77.0.2 to 10.77.0.3
#    (the peer's allowed IPs), the policy follows. The log says connections
#    through the tunnel are cut; the held connection IS cut (reset at its
#    next packet, not left hanging: its translation to 10.77.0.2 lives in
#    its conntrack entry, and the forward chain now refuses a flow
#    translated to another address than the tunnel's), new connections
#    work, and the portal sees them from 10.77.0.3; the tunnel interface
#    holds only the new address. A connection of the netvm's own is cut
#    the same way, by its output chain: translated to 10.77.0.2 (its
#    source an uplink's, rerouted into the tunnel by the mode's mark, as
#    the sign-on relay's flow to the verifier). So sekishod restarts its
#    sign-on relay (a new socket, a new flow): work signs on with an
#    emergency code + PIN through it before the change and signs off
#    through it after (the verifier, sekisho-authd, in LGWAN on a
#    registry of the test's own).
#  - serial 4: the gateway gets its tunnel-address (the liveness probe's
#    echo): it stays with its session, its allowed IPs gain the address,
#    and the netvm's echo to it is answered.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

POLICY=${POLICY_TOOL:-build/sekisho-policy}
PROV=$PWD/build/sekisho-provision AUTHD=$PWD/build/sekisho-authd AGENT=$PWD/build/sekisho-agent
ECHO_PORT=7007
NEW_GW_PORT=51821
HOLDS=()
cleanup() {
	local p
	for p in "${HOLDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	netvm_cleanup; lab_down
}
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

ST=$LAB_DIR/state B=$LAB_DIR/bundles V=$LAB_DIR/verifier
mkdir -m 0700 "$ST" "$B"
bash tests/sandbox-users.sh >/dev/null
# The verifier's registry: this laptop (pc-001, its sign-on key) and
# s1001 with a PIN; the verifier's keys, pinned in every serial.
mkdir -m 0711 "$V"
(umask 077; printf '739164\n' >"$V/pin")
verifier_setup() (
	cd "$V" || exit 1
	export SEKISHO_REGISTRY="sqlite:$V/reg.db" SEKISHO_KEYS=$V/keys
	printf 'version 1\ngateway "agency-gw" {\n\tendpoint 192.0.2.10:51820\n\tpublic-key "%s"\n}\n%s\n' \
		"$(wg genkey | wg pubkey)" 'lgwan {
	prefix 10.64.0.0/16
	resolver 10.64.0.53
}
work {
	address 172.30.0.2/24
	router 172.30.0.1
}' >tmpl.conf
	printf 'role * code-pin\n' >rules
	mkdir -m 0700 authd && "$AUTHD" -G authd >/dev/null &&
	"$PROV" -q init --pool 10.77.0.0/16 --endpoint 192.0.2.10:51820 >/dev/null &&
	"$PROV" -q group add default tmpl.conf && "$PROV" -q device add pc-001 >/dev/null &&
	"$PROV" -q device export pc-001 out >/dev/null &&
	"$PROV" -q user add s1001 --name 'Yamada Taro' --role clerk &&
	"$PROV" -q user pin s1001 --pin-fd 3 3<pin
)
check "the verifier's registry: laptop pc-001 and s1001; its keys" verifier_setup
otp() { SEKISHO_REGISTRY="sqlite:$V/reg.db" SEKISHO_KEYS=$V/keys "$PROV" -q otp issue s1001 --valid 1h | head -1; }
{
	# serials 1 to 3 without the gateway's tunnel-address (the lab's
	# policy has it): serial 4 gives it back, live
	grep -vxF "	tunnel-address $LAB_TUNNEL_GW/32" "$LAB_POLICY"
	printf 'verifier {\n\taddress %s\n\tsign-key %s\n\tseal-key %s\n}\n' "$LAB_AUTH" \
		"$(cat "$V/authd/sign.pub")" "$(cat "$V/authd/seal.pub")"
} >"$B/1.conf"
BUNDLE=$ST/bundle INCOMING=$ST/bundle.new
"$POLICY" keygen "$LAB_DIR/agency.key" >"$LAB_DIR/agency.pub"
(umask 077; wg genkey >"$LAB_DIR/gateway-new.key")
NEW_GW_PUB=$(wg pubkey <"$LAB_DIR/gateway-new.key")
sign() { "$POLICY" sign --key "$LAB_DIR/agency.key" --device "$LAB_DEVICE_PUB" "$1" "$2"; }
awk -v pub="$NEW_GW_PUB" -v ep="${LAB_GW_PUBLIC}:$NEW_GW_PORT" '
	/^serial 1$/ { print "serial 2"; next }
	/^\tendpoint / { print "\tendpoint " ep; next }
	/^\tpublic-key / && gw { print "\tpublic-key \"" pub "\""; next }
	/^gateway / { gw = 1 } /^}/ { gw = 0 } { print }' "$B/1.conf" >"$B/2.conf"
sed 's/^serial 2$/serial 3/; s|^\ttunnel-address 10\.77\.0\.2/32$|\ttunnel-address 10.77.0.3/32|' \
	"$B/2.conf" >"$B/3.conf"
awk -v ta="$LAB_TUNNEL_GW/32" '
	/^serial 3$/ { print "serial 4"; next }
	{ print } /^\tpublic-key / && gw { print "\ttunnel-address " ta }
	/^gateway / { gw = 1 } /^}/ { gw = 0 }' "$B/3.conf" >"$B/4.conf"
sign "$B/1.conf" "$B/1" && sign "$B/2.conf" "$B/2" && sign "$B/3.conf" "$B/3" && sign "$B/4.conf" "$B/4"
check "the agency signs serials 1, 2 (new gateway key and port) and 3 (new tunnel address)" \
	bash -c "grep -q '$NEW_GW_PUB' $B/2.conf && grep -q ':$NEW_GW_PORT\$' $B/2.conf &&
		grep -q '10.77.0.3/32' $B/3.conf && [ -s $B/1 ] && [ -s $B/2 ] && [ -s $B/3 ]"

cp "$B/1" "$BUNDLE"
start() {
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -b "$BUNDLE" -k "$LAB_DIR/agency.pub" \
		-D "$LAB_DIR/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" \
		-N pc-001 -K "$V/out/signon.key" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
check "sekishod starts from serial 1" start
check "work gets its address" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "serial 1: the portal is reachable through the tunnel" lab_wait_for -t 10 portal_ok
authd_start() {
	lab_spawn authd lgwan "$AUTHD" -d -r "sqlite:$V/reg.db" -k "$V/authd/sign.key" \
		-s "$V/authd/seal.key" -f "$V/rules" -l "$LAB_AUTH:51831" -j "$V/audit.jsonl" &&
	lab_wait_for -t 10 _lab_listening lgwan u "$LAB_AUTH" 51831
}
check "the verifier listens in LGWAN" authd_start
relay_pid() { ps -o pid=,comm= --ppid "$(lab_pid sekishod)" | awk '$2 == "sekisho-signon" { print $1 }'; }
relay_up() { [ -n "$(relay_pid)" ] && n netvm ss -Hlun "sport = :51832" | grep -qF "$LAB_WORK_ROUTER:51832"; }
check "sekishod started the sign-on relay" lab_wait_for -t 10 relay_up
# agent_says WANT ARGS...: sekisho-agent in work, WANT its last line
agent_says() {
	local want=$1 got
	shift
	got=$(n work "$AGENT" "$1" --netvm "$LAB_WORK_ROUTER" --state-dir "$V/agent" "${@:2}" \
		</dev/null 2>&1 | tail -n 1)
	[ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; return 1; }
}
lab_spawn echo lgwan python3 "$PWD/tests/integration/tcphold.py" serve "$LAB_PORTAL" "$ECHO_PORT"
check "an echo server on the portal" lab_wait_for -t 10 _lab_listening lgwan t "$LAB_PORTAL" "$ECHO_PORT"
log_has() { grep -qxF -- "$1" "$LAB_DIR/log/sekishod.log"; }
serial_is() { ctl status | grep -qx "policy:     serial $1 ($BUNDLE)"; }

# hold NAME: a connection from work to the echo server, in the background
# (not under check: a command substitution would wait for it to end); then
# check "..." held NAME: it is up.
# (hold_in NS NAME: the same from namespace NS)
hold() { hold_in work "$1"; }
hold_in() {
	rm -f "$LAB_DIR/$2.go" "$LAB_DIR/$2.out"
	n "$1" python3 tests/integration/tcphold.py hold "$LAB_PORTAL" "$ECHO_PORT" \
		"$LAB_DIR/$2.go" "$LAB_DIR/$2.out" >"$LAB_DIR/$2.log" 2>&1 </dev/null &
	HOLDS+=("$!")
}
held() { lab_wait_for -t 10 grep -qx up "$LAB_DIR/$1.out" || { cat "$LAB_DIR/$1.log"; false; }; }
# outcome NAME: let it send its next line, print what became of it
outcome() {
	touch "$LAB_DIR/$1.go"
	lab_wait_for -t 20 bash -c "! grep -qx up '$LAB_DIR/$1.out'" || return 1
	cat "$LAB_DIR/$1.out"
}

# ---- serial 2: the gateway's key and endpoint ---------------------------------------
peer_is() {	# the netvm's tunnel has exactly one peer: $1 at $2
	local p
	p=$(ip netns exec "$NS_NETVM" wg show "$NETVM_TUN" endpoints)
	echo "$p"
	[ "$(echo "$p" | wc -l)" = 1 ] && [ "$p" = "$(printf '%s\t%s' "$1" "$2")" ]
}
check "serial 1: the tunnel's one peer is the gateway's key at $LAB_GW_ENDPOINT" peer_is "$LAB_GW_PUB" "$LAB_GW_ENDPOINT"
hold gw
check "a connection from work to the portal is held open" held gw
n agency nft -f - <<-EOF
table inet sk69 {
	chain in {
		type filter hook input priority -5; policy accept;
		udp dport $NEW_GW_PORT counter name "newport"
	}
	counter newport { }
}
EOF
# The agency rotates: its gateway takes the new key and port at once (the
# old key's session ends with it), then the policy naming them arrives.
n agency wg set "$LAB_WG_GW" listen-port "$NEW_GW_PORT" private-key "$LAB_DIR/gateway-new.key"
cp "$B/2" "$INCOMING"
reply=$(ctl reload); rc=$?
want="$INCOMING: policy serial 2 in force (was 1): 0 prefixes added, 0 withdrawn; stored as $BUNDLE"
check "serial 2 accepted live" bash -c '[ "$1" = 0 ] && [ "$2" = "accepted: $3" ]' _ "$rc" "$reply" "$want"
check "the log says the tunnel handshakes anew and connections wait for it" log_has \
	"sekishod: gateways changed (1 now); \"agency-gw\" is gone or changed: the tunnel handshakes anew with \"agency-gw\", connections through it wait for that handshake"
check "the tunnel's one peer is the new key at ${LAB_GW_PUBLIC}:$NEW_GW_PORT, the old one gone" \
	lab_wait_for -t 5 peer_is "$NEW_GW_PUB" "${LAB_GW_PUBLIC}:$NEW_GW_PORT"
held=$(outcome gw)
check "the held connection survived the new gateway peer (its next line echoed: $held)" [ "$held" = echoed ]
check "a new connection to the portal works" lab_wait_for -t 10 portal_ok
handshake_new() {
	local t
	t=$(ip netns exec "$NS_NETVM" wg show "$NETVM_TUN" latest-handshakes | awk -v k="$NEW_GW_PUB" '$1 == k { print $2 }')
	[ -n "$t" ] && [ "$t" -gt 0 ]
}
check "the tunnel has a handshake with the new key" handshake_new
new_port_used() {
	local c
	c=$(n agency nft list counter inet sk69 newport | sed -nE 's/.*packets ([0-9]+).*/\1/p')
	echo "agency: $c packets to UDP $NEW_GW_PORT"
	[ "${c:-0}" -gt 0 ]
}
check "the agency got the tunnel's UDP on its new port" new_port_used
check "sekishoctl status: serial 2" serial_is 2
stored_is() {	# the bundle in force on disk and the store hold serial $1, nothing staged
	cmp -s "$BUNDLE" "$B/$1" && [ "$(tail -1 "$ST/serial")" = "$1" ] &&
		[ ! -e "$BUNDLE.staged" ] && [ ! -e "$INCOMING" ]
}
check "on disk: serial 2 in force and stored, no staging file left" stored_is 2

# ---- serial 3: the tunnel address ------------------------------------------------------
otp >"$V/code" && chmod 600 "$V/code"
check "work signs on through the relay (emergency code + PIN)" agent_says \
	"Signed on as s1001 with emergency code + PIN for 480 minutes." \
	login --otp --user s1001 --code-fd 4 --pin-fd 3 3<"$V/pin" 4<"$V/code"
first_relay=$(relay_pid)
hold addr
check "a connection from work to the portal is held open again" held addr
hold_in netvm own
check "a connection of the netvm's own to the portal is held open" held own
from_old() {	# the portal sees work's and the netvm's connections from 10.77.0.2
	local s
	s=$(ip netns exec "$NS_LGWAN" ss -Htn state established "( sport = :$ECHO_PORT )")
	echo "$s"
	[ "$(echo "$s" | grep -c ' 10\.77\.0\.2:')" = 2 ]
}
check "the portal sees both held connections from 10.77.0.2 (the netvm's translated)" from_old
# The agency moves the device's tunnel address, then the policy follows.
n agency wg set "$LAB_WG_GW" peer "$LAB_DEVICE_PUB" allowed-ips 10.77.0.3/32
cp "$B/3" "$INCOMING"
reply=$(ctl reload); rc=$?
want="$INCOMING: policy serial 3 in force (was 2): 0 prefixes added, 0 withdrawn; stored as $BUNDLE"
check "serial 3 accepted live" bash -c '[ "$1" = 0 ] && [ "$2" = "accepted: $3" ]' _ "$rc" "$reply" "$want"
check "the log says connections through the tunnel are cut" log_has \
	"sekishod: tunnel $NETVM_TUN: address 10.77.0.3 (was 10.77.0.2); connections through the tunnel are cut: their address changes"
addr_moved() {
	local a
	a=$(ip -n "$NS_NETVM" -4 -o addr show dev "$NETVM_TUN")
	echo "$a"
	echo "$a" | grep -q ' 10\.77\.0\.3/32 ' && ! echo "$a" | grep -q ' 10\.77\.0\.2/'
}
check "the tunnel holds 10.77.0.3, no longer 10.77.0.2" addr_moved
held=$(outcome addr)
check "the held connection is cut, as the log says: reset at its next packet, not left hanging ($held)" \
	[ "$held" = reset ]
refused_by_rule() {	# the forward rule for flows translated to 10.77.0.2 counted it
	local r
	r=$(n netvm nft list chain inet sekisho forward | grep -F 'ct status snat ct reply ip daddr != 10.77.0.3 meta l4proto tcp')
	echo "$r"
	echo "$r" | grep -qE 'counter packets [1-9]'
}
check "it was the netvm's rule for flows translated to the former address that reset it" refused_by_rule
held=$(outcome own)
check "the netvm's own connection translated to 10.77.0.2 is cut too: reset at its next packet ($held)" \
	[ "$held" = reset ]
refused_own() {	# the output rule for the netvm's flows translated to 10.77.0.2 counted it
	local r
	r=$(n netvm nft list chain inet sekisho output | grep -F 'ct status snat ct reply ip daddr != 10.77.0.3 meta l4proto tcp')
	echo "$r"
	echo "$r" | grep -qE 'counter packets [1-9]'
}
check "it was the netvm's output rule for its flows translated to the former address that reset it" refused_own
check "a new connection to the portal works" lab_wait_for -t 10 portal_ok
relay_new() { local p; p=$(relay_pid); [ -n "$p" ] && [ "$p" != "$first_relay" ] && relay_up; }
check "sekishod restarted its sign-on relay (its flow to the verifier was at 10.77.0.2)" \
	lab_wait_for -t 10 relay_new
check "work signs off through it: the relay reaches the verifier from 10.77.0.3" agent_says \
	"Signed off." logout
hold fromnew
from_new() {	# the portal's echo server sees work's new connection from 10.77.0.3
	local s
	held fromnew || return 1
	s=$(ip netns exec "$NS_LGWAN" ss -Htn state established "( sport = :$ECHO_PORT )")
	echo "$s"
	echo "$s" | grep -q ' 10\.77\.0\.3:'
}
check "the portal sees work's new connection from 10.77.0.3" from_new
touch "$LAB_DIR/fromnew.go"
check "sekishoctl status: serial 3" serial_is 3
check "on disk: serial 3 in force and stored, no staging file left" stored_is 3

# ---- serial 4: the gateway's own tunnel address (the liveness probe's echo) -------------
# The same gateway (key, endpoint) stays with its session; its allowed IPs
# gain the address, so the netvm's echo to it goes out of the tunnel and
# its answer comes back (docs/gateway.md, "Liveness").
cp "$B/4" "$INCOMING"
reply=$(ctl reload); rc=$?
want="$INCOMING: policy serial 4 in force (was 3): 0 prefixes added, 0 withdrawn; stored as $BUNDLE"
check "serial 4 accepted live" bash -c '[ "$1" = 0 ] && [ "$2" = "accepted: $3" ]' _ "$rc" "$reply" "$want"
check "the log says the gateway stays, its session kept" log_has \
	"sekishod: gateways changed (1 now); \"agency-gw\" stays in use, its session kept: nothing is cut"
check "the peer's allowed IPs: the LGWAN prefixes and the gateway's tunnel address" bash -c \
	"[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN allowed-ips | cut -f2 | tr ' ' '\n' | sort | tr '\n' ' ')\" = '10.64.0.0/16 10.65.0.0/16 $LAB_TUNNEL_GW/32 172.20.0.0/16 ' ]"
check "the netvm's echo to it, out of the tunnel, is answered" \
	n netvm ping -n -c 1 -W 5 -I "$NETVM_TUN" "$LAB_TUNNEL_GW"
check "the portal still loads" lab_wait_for -t 10 portal_ok

tap_done
