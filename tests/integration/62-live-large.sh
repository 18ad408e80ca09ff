#!/bin/bash
# A live policy change at agency size (issue 11): sekishod runs a signed
# bundle of 10,000 LGWAN prefixes and 1,000 services (tests/bench/lib.sh,
# gen_policy: the lab's three /16s among them, the portal's service last),
# and serial 2 withdraws 172.20.0.0/16 (prefix and service destination),
# adds a prefix and changes a service's ports. The change goes in by
# difference (the elements that went and came, one transaction):
#  - a bulk transfer to the portal running across the change completes;
#  - 172.20.0.10, withdrawn, is refused from its next packet: a new
#    connection, and one held open across the change, whose established
#    packets took the cached verdict before (fw_rules.c, fwd_cached);
#  - the kernel's sets, the tunnel's routing table and the gateway's
#    allowed IPs follow; the log says the change went by difference;
#  - the kernel's table then equals the one a full load of serial 2 gives.
# About 15 s on the CI machine (most of it starting with 10,000
# prefixes).
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
. tests/bench/lib.sh

POLICY=${POLICY_TOOL:-build/sekisho-policy}
PREFIXES=${PREFIXES:-10000}
SERVICES=${SERVICES:-1000}
scratch=""
HOLDS=()
cleanup() {
	local p
	for p in "${HOLDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	[ -n "$scratch" ] && ip netns del "$scratch" 2>/dev/null; netvm_cleanup; lab_down
}
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

ST=$LAB_DIR/state
B=$LAB_DIR/bundles
mkdir -m 0700 "$ST" "$B"
BUNDLE=$ST/bundle
INCOMING=$ST/bundle.new
"$POLICY" keygen "$LAB_DIR/agency.key" >"$LAB_DIR/agency.pub"
gen_policy "$LAB_POLICY" "$PREFIXES" "$SERVICES" last >"$B/1.conf"
# serial 2: 172.20.0.0/16 withdrawn (as a prefix and as the portal's
# destination), 10.250.0.0/24 added, service s7's first TCP port moved,
# the portal's 443 withdrawn
sed -e 's/^serial 1$/serial 2/' -e '/^\tprefix 172\.20\.0\.0\/16$/d' -e '/^\tto 172\.20\.0\.0\/16$/d' \
    -e 's/^\tresolver 10\.64\.0\.53$/\tprefix 10.250.0.0\/24\n&/' \
    -e '/^service "s7" {$/,/^}$/ s/^\ttcp 1007,/\ttcp 1107,/' -e 's/^\ttcp 80,443,5201$/\ttcp 80,5201/' \
    "$B/1.conf" >"$B/2.conf"
sign() { "$POLICY" sign --key "$LAB_DIR/agency.key" --device "$LAB_DEVICE_PUB" "$1" "$2"; }
policies_ok() {
	"$POLICY" check "$B/1.conf" && "$POLICY" check "$B/2.conf" &&
	[ "$(grep -c '^	prefix ' "$B/1.conf")" -ge "$PREFIXES" ] &&
	[ "$(grep -c '^service ' "$B/1.conf")" -eq "$SERVICES" ] &&
	! grep -q '172\.20\.' "$B/2.conf" && grep -q '10\.250\.0\.0/24' "$B/2.conf" &&
	grep -q '^	tcp 1107,' "$B/2.conf" && grep -q '^	tcp 80,5201$' "$B/2.conf" &&
	sign "$B/1.conf" "$B/1" && sign "$B/2.conf" "$B/2"
}
check "serials 1 and 2: $PREFIXES prefixes, $SERVICES services, signed" policies_ok

bundle_start() {
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -b "$BUNDLE" -k "$LAB_DIR/agency.pub" \
		-D "$LAB_DIR/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 30 test -S "$NETVM_SOCK"
}
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
host_ok() { work_get "http://$LAB_LGWAN_HOST/" | grep -qF "LGWAN host OK"; }
log=$LAB_DIR/log/sekishod.log
cp "$B/1" "$BUNDLE"
started() { bundle_start || { tail -5 "$log"; return 1; }; }
check "sekishod starts from the large bundle" started
check "work gets its address" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote 30
check "serial 1: the portal is reachable" lab_wait_for -t 10 portal_ok
check "serial 1: 172.20.0.10 is reachable" host_ok

# Connections held open across the change: established, their packets
# take the forward chain's cached verdict (fwd_cached,
# policy/render/fw_rules.c) without the services' lookups, and the change
# must end that: the next packet is looked up whole and refused (TCP
# reset). One to 172.20.0.10, whose prefix goes (its route goes too), and
# one to the portal's port 443, which serial 2 no longer opens while the
# portal's prefix stays routed: there only the cached verdict's end
# refuses it. Port 5201 is open on 172.20.0.0/16 in serial 1.
HOLDS=()
lab_spawn hold-echo lgwan python3 "$PWD/tests/integration/tcphold.py" serve "$LAB_LGWAN_HOST" 5201
lab_spawn hold-echo443 lgwan python3 "$PWD/tests/integration/tcphold.py" serve "$LAB_PORTAL" 443
echo_up() { _lab_listening lgwan t "$LAB_LGWAN_HOST" 5201 && _lab_listening lgwan t "$LAB_PORTAL" 443; }
check "echo servers on 172.20.0.10:5201 and the portal's port 443" lab_wait_for -t 10 echo_up
hold() {	# NAME ADDR PORT, in the background
	rm -f "$LAB_DIR/$1.go" "$LAB_DIR/$1.out"
	n work python3 tests/integration/tcphold.py hold "$2" "$3" \
		"$LAB_DIR/$1.go" "$LAB_DIR/$1.out" >"$LAB_DIR/$1.log" 2>&1 </dev/null &
	HOLDS+=("$!")
}
held() { lab_wait_for -t 10 grep -qx up "$LAB_DIR/$1.out" || { cat "$LAB_DIR/$1.log"; false; }; }
hold_cut() {	# NAME: its next line is refused with a reset
	local o
	touch "$LAB_DIR/$1.go"
	lab_wait_for -t 20 bash -c "! grep -qx up '$LAB_DIR/$1.out'" || return 1
	o=$(cat "$LAB_DIR/$1.out")
	[ "$o" = reset ] || { echo "the held connection: $o"; return 1; }
}
hold host "$LAB_LGWAN_HOST" 5201
hold p443 "$LAB_PORTAL" 443
check "serial 1: a connection from work to 172.20.0.10:5201 is held open" held host
check "serial 1: a connection from work to the portal's port 443 is held open" held p443
cached_verdict() {	# the established flows' packets took the cached verdict
	n netvm nft list chain inet sekisho forward | grep -F '@fwd_cached' | grep -qE 'counter packets [1-9]'
}
check "serial 1: their established packets took the cached verdict" cached_verdict

# ---- the live change --------------------------------------------------------------
n work iperf3 -c "$LAB_PORTAL" -p "$LAB_IPERF_PORT" -t 5 -b 20M -J >"$LAB_DIR/iperf.json" 2>&1 &
iperf=$!
sleep 1.5
lines=$(wc -l <"$log")
cp "$B/2" "$INCOMING"
reply=$(ctl reload); rc=$?
want="$INCOMING: policy serial 2 in force (was 1): 1 prefixes added, 1 withdrawn; stored as $BUNDLE"
check "serial 2 accepted: sekishoctl reload says so" \
	bash -c '[ "$1" = 0 ] && [ "$2" = "accepted: $3" ]' _ "$rc" "$reply" "$want"
check "172.20.0.10, withdrawn, is refused from its next packet" refused_fast 1000 work_get "http://$LAB_LGWAN_HOST/"
check "the connection held open to 172.20.0.10 is refused at its next packet (reset)" hold_cut host
check "the connection held open to the portal's port 443, withdrawn, is refused at its next packet (reset)" hold_cut p443
wait "$iperf"; iperf_rc=$?
transfer_survived() {
	[ "$iperf_rc" = 0 ] || { echo "iperf3: exit $iperf_rc"; tail -5 "$LAB_DIR/iperf.json"; return 1; }
	grep -A4 '"sum_received"' "$LAB_DIR/iperf.json" | grep -qE '"bytes":\s*[1-9][0-9]{6,}' ||
		{ grep -A6 '"sum_received"' "$LAB_DIR/iperf.json"; grep -m3 -i error "$LAB_DIR/iperf.json"; return 1; }
}
check "a bulk TCP transfer to the portal across the change completes" transfer_survived
check "the portal, still allowed, is reachable" portal_ok
by_difference() {
	tail -n +"$((lines + 1))" "$log" | grep -E 'ruleset in force' | tee /dev/stderr |
		grep -q 'mode remote: ruleset in force (policy changed by difference, [0-9]* ms)'
}
check "the log says the ruleset changed by difference" by_difference
echo "# $(tail -n +"$((lines + 1))" "$log" | grep -m1 'ruleset in force')"
set_lost() {
	local s
	s=$(n netvm nft list set inet sekisho lgwan | tr -d '\n\t ')
	! echo "$s" | grep -qF '172.20.0.0/16' && echo "$s" | grep -qF '10.250.0.0/24' &&
	echo "$s" | grep -qF '10.64.0.0/16'
}
check "the kernel's LGWAN set lost 172.20.0.0/16 and gained 10.250.0.0/24" set_lost
routes_follow() {
	local t
	t=$(ip -n "$NS_NETVM" route show table 1509)
	! echo "$t" | grep -q '^172\.20\.' && echo "$t" | grep -q '^10\.250\.0\.0/24' &&
	[ "$(echo "$t" | wc -l)" -eq "$PREFIXES" ]
}
check "the tunnel's routing table follows ($PREFIXES routes, 172.20/16 gone, 10.250.0/24 in)" routes_follow
allowed_follow() {
	local a
	a=$(ip netns exec "$NS_NETVM" wg show "$NETVM_TUN" allowed-ips | cut -f2 | tr ' ' '\n')
	! echo "$a" | grep -q '^172\.20\.' && echo "$a" | grep -q '^10\.250\.0\.0/24'
}
check "the gateway's allowed IPs follow" allowed_follow

# The table after the change against a full load of serial 2 (remote mode,
# the lab's interface names), counters and handles aside.
table_text() { sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/; s/expires [0-9hms.]+//' ; }
equals_full() {
	local ns="sk62-$$-$RANDOM" a b
	scratch=$ns
	ip netns add "$ns" || return 1
	"$POLICY" compile --for netvm --mode remote --work-if wk0 --tun-if "$NETVM_TUN" "$B/2.conf" |
		ip netns exec "$ns" nft -f - || return 1
	ip netns exec "$ns" nft -j list table inet sekisho >"$LAB_DIR/full.json"
	n netvm nft -j list table inet sekisho >"$LAB_DIR/live.json"
	ip netns del "$ns"; scratch=""
	python3 - "$LAB_DIR/full.json" "$LAB_DIR/live.json" <<-'PY'
	import json, sys
	def norm(t):
	    out = []
	    for o in json.load(open(t))["nftables"]:
	        o = json.loads(json.dumps(o))
	        k = next(iter(o))
	        if k == "metainfo":
	            continue
	        v = o[k]
	        v.pop("handle", None)
	        if "elem" in v:
	            v["elem"] = sorted(json.dumps(e, sort_keys=True) for e in v["elem"])
	        for e in v.get("expr", []):
	            if "counter" in e:
	                e["counter"] = {}
	        out.append(json.dumps(o, sort_keys=True))
	    return sorted(out)
	a, b = norm(sys.argv[1]), norm(sys.argv[2])
	if a != b:
	    for x in sorted(set(a) ^ set(b))[:6]:
	        print(("full only: " if x in a else "live only: ") + x[:300])
	    sys.exit(1)
	PY
}
check "the kernel's table equals a full load of serial 2" equals_full
tap_done
