#!/bin/bash
# Remote mode end to end, in the lab: the netvm boots blocked, the home
# router's DHCP gives the uplink an address, the tunnel comes up, and work
# reaches LGWAN through it and nothing else, refused at once. A leak
# counter on the home router's port proves that across the whole test,
# crash and restart included, nothing but DHCP and the tunnel's UDP left
# the laptop.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
lab_leak_reset

# ---- sekishod -n: a check that changes nothing -------------------------------
check_only() {
	local out
	out=$(unshare -n sh -c "'$PWD/$SEKISHOD' -n -f '$LAB_DIR/policy.conf' -w wk0 -t skx 2>&1;
		echo \"tables: \$(nft list tables | wc -l)\"")
	echo "$out"
	[ "$out" = "$(printf 'configuration OK\ntables: 0')" ]
}
check "sekishod -n says 'configuration OK' and loads nothing" check_only

# ---- boot: blocked before any uplink --------------------------------------
check "sekishod starts" netvm_start
check "mode is blocked before the uplink has an address" netvm_mode_is blocked
rules_blocked() {
	netvm_rules | grep -q 'chain forward' && ! netvm_rules | grep -q '@lgwan ct mark set meta mark map @fwd_gen counter' &&
	! netvm_rules | grep -q '@fwd_cached counter'
}
check "kernel holds the blocked ruleset: nothing accepted into the tunnel" rules_blocked
check "work gets its address by DHCP from the netvm" lab_work_dhcp
check "work's address is the policy's" bash -c "ip -n $NS_WORK -4 addr show dev eth0 | grep -q 'inet 172.30.0.2/30'"
check "blocked: LGWAN portal refused fast" refused_fast 1000 work_get "http://$LAB_PORTAL/"

# ---- the uplink gets an address: remote ------------------------------------
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
want_rule="iifname \"wk0\" oifname \"$NETVM_TUN\" ip daddr @lgwan ct mark set meta mark map @fwd_gen counter packets"
check "kernel holds the remote rule: work to @lgwan into the tunnel only" \
	bash -c "ip netns exec $NS_NETVM nft list table inet sekisho | grep -qF '$want_rule'"
check "kernel holds the LGWAN prefixes as an interval set" bash -c \
	"ip netns exec $NS_NETVM nft list set inet sekisho lgwan | tr -d '\n\t ' | grep -qF 'elements={10.64.0.0/16,10.65.0.0/16,172.20.0.0/16}'"

portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "work fetches the LGWAN portal through the tunnel" lab_wait_for -t 5 portal_ok
check "work resolves an LGWAN name through its resolver" bash -c \
	"[ \"\$(ip netns exec $NS_WORK dig +short +time=2 +tries=1 @$LAB_WORK_ROUTER $LAB_PORTAL_NAME)\" = $LAB_PORTAL ]"
netvm_portal() { n netvm curl -sS -m 5 "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "the netvm's own LGWAN traffic goes through the tunnel too" netvm_portal
check "work reaches a host in a second LGWAN prefix" bash -c \
	"ip netns exec $NS_WORK curl -sS -m 5 -o /dev/null -w '%{http_code}' http://$LAB_LGWAN_HOST/ | grep -q 200"

# ---- everything else: refused, at once --------------------------------------
check "internet web refused fast" refused_fast 1000 work_get "http://$LAB_INET_WEB/"
check "public DNS resolver refused fast" refused_fast 1000 \
	n work dig +time=3 +tries=1 "@$LAB_INET_DNS" example.com
check "home router's web page refused fast" refused_fast 1000 work_get "http://$LAB_HOME_ROUTER/"
check "home router's DNS refused fast" refused_fast 1000 \
	n work dig +time=3 +tries=1 "@$LAB_HOME_ROUTER" router.home.example
check "home LAN printer (9100) refused fast" refused_fast 1000 \
	n work nc -w 3 -z "$LAB_PRINTER" 9100
check "printer's web page refused fast" refused_fast 1000 work_get "http://$LAB_PRINTER/"
check "DNS to an LGWAN host that is no resolver refused fast" refused_fast 1000 \
	n work dig +time=3 +tries=1 "@$LAB_PORTAL" "$LAB_PORTAL_NAME"
spoofed() {
	local rc=0
	ip -n "$NS_WORK" addr add 10.77.0.9/32 dev eth0
	n work ping -c 2 -i 0.2 -W 1 -I 10.77.0.9 "$LAB_PORTAL" && rc=1
	ip -n "$NS_WORK" addr del 10.77.0.9/32 dev eth0
	netvm_rules | grep -E 'ip saddr != 172.30.0.2 counter packets [1-9]' || rc=1
	return $rc
}
check "spoofed source from work is dropped by the netvm" spoofed

# Work forging the gateway's address and port, or a DHCP server's port 67,
# towards the netvm's own sockets: every datagram reaches the netvm (the
# test's prerouting counter) and none passes its input filter (the test's
# input counter after the filter's priority).
forged_to_netvm() {
	local pre post
	n netvm nft -f - <<-EOT || return 1
	table inet forged {
		chain pre {
			type filter hook prerouting priority -300; policy accept;
			iifname "wk0" udp sport { 67, $LAB_GW_PORT } counter name "seen"
		}
		counter seen { }
		counter passed { }
		chain after {
			type filter hook input priority 10; policy accept;
			iifname "wk0" udp sport { 67, $LAB_GW_PORT } counter name "passed"
		}
	}
	EOT
	ip -n "$NS_WORK" addr add "$LAB_GW_PUBLIC/32" dev eth0
	n work python3 - "$LAB_GW_PUBLIC" "$LAB_GW_PORT" "$LAB_WORK_ROUTER" <<-'EOT'
	import socket, sys
	gw, port, router = sys.argv[1], int(sys.argv[2]), sys.argv[3]
	for src, sport, dport in ((gw, port, 40000), (gw, port, 68), ("0.0.0.0", 67, 68)):
	    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	    s.bind((src, sport))
	    for i in range(50):
	        s.sendto(b"forged %d" % i, (router, dport))
	    s.close()
	EOT
	ip -n "$NS_WORK" addr del "$LAB_GW_PUBLIC/32" dev eth0
	pre=$(n netvm nft list counter inet forged seen | awk '/packets/ { print $2 }')
	post=$(n netvm nft list counter inet forged passed | awk '/packets/ { print $2 }')
	n netvm nft delete table inet forged
	echo "seen $pre, passed the netvm's input filter $post"
	[ "$pre" = 150 ] && [ "$post" = 0 ]
}
check "work forging the gateway or a DHCP server reaches no socket of the netvm (150 seen, 0 passed)" \
	forged_to_netvm

# ---- IPv6 from work never leaves ------------------------------------------------
v6_probe() {
	local ll before
	ll=$(ip -n "$NS_NETVM" -6 addr show dev wk0 scope link | awk '/inet6/ { sub("/.*", "", $2); print $2; exit }')
	[ -n "$ll" ] || { echo "netvm has no link-local address on wk0"; return 1; }
	# The test's own probe in the netvm: proof that work's IPv6 did arrive.
	n netvm nft -f - <<-EOT || return 1
	table inet v6probe {
		chain pre {
			type filter hook prerouting priority -300; policy accept;
			iifname "wk0" ip6 daddr 2001:db8::/32 counter
		}
	}
	EOT
	before=$(lab_leak leak)
	ip -n "$NS_WORK" -6 route replace default via "$ll" dev eth0
	n work ping -6 -c 3 -i 0.2 -W 1 2001:db8::1 >/dev/null 2>&1
	n work curl -s -m 2 "http://[2001:db8::80]/" >/dev/null 2>&1
	n netvm nft list table inet v6probe | grep -E 'counter packets [1-9]' || return 1
	n netvm nft delete table inet v6probe
	[ "$(lab_leak leak)" -eq "$before" ] || { echo "leak counter moved: $(lab_leaks)"; return 1; }
}
check "IPv6 from work reaches the netvm and goes no further" v6_probe

# ---- large transfers work (MTU / MSS) ---------------------------------------------
bulk() {
	local out
	out=$(n work iperf3 -c "$LAB_PORTAL" -p "$LAB_IPERF_PORT" -t 1 -J) || return 1
	echo "$out" | grep -A4 '"sum_received"' | grep -E '"bytes":\s*[1-9][0-9]{6,}'
}
check "bulk TCP from work to LGWAN through the tunnel (> 1 MB)" bulk
check "a full-size (1420) packet crosses the tunnel" n work ping -c 1 -W 2 -s 1392 "$LAB_PORTAL"
check "a larger one with DF gets the tunnel's MTU back at once" bash -c \
	"ip netns exec $NS_WORK ping -c 1 -W 2 -s 1400 $LAB_PORTAL | grep -q 'Frag needed and DF set (mtu = 1420)'"
check "a larger one without DF is fragmented and crosses" n work ping -c 1 -W 2 -M dont -s 1400 "$LAB_PORTAL"

# ---- status ----------------------------------------------------------------------
status_ok() {
	local s
	s=$(ctl status) || return 1
	echo "$s"
	echo "$s" | grep -q '^mode:       remote (tunnel over up0' &&
	echo "$s" | grep -qE '^uplink:     up0 192\.168\.1\.1[0-9][0-9]/24$' &&
	echo "$s" | grep -qF "  peer:     $(cat "$LAB_DIR/gateway.pub") (agency-gw)" &&
	echo "$s" | grep -qF "  endpoint: $LAB_GW_ENDPOINT" &&
	echo "$s" | grep -qE '^  handshake: [0-9]+ s ago$' &&
	echo "$s" | grep -qE '^  transfer: [1-9][0-9]* B received, [1-9][0-9]* B sent$' &&
	echo "$s" | grep -q '^policy:     serial 1 '
}
check "sekishoctl status: mode, uplink, peer, handshake, bytes, serial" status_ok
check "sekishoctl status --json" bash -c "$SEKISHOCTL -s $NETVM_SOCK status --json | grep -q '\"mode\":\"remote\".*\"last_handshake_age_s\":[0-9]'"

# ---- kill -9: the rules stay, and restart resumes -----------------------------------
before=$(netvm_rules | grep -v 'counter packets' | sed 's/counter packets [0-9]* bytes [0-9]*//')
rx_bytes() { n netvm wg show "$NETVM_TUN" transfer | awk '{ print $2 }'; }
rx_before=$(rx_bytes)
check "kill -9 of sekishod" netvm_kill9
check "after the crash the remote ruleset is still in the kernel" bash -c \
	"ip netns exec $NS_NETVM nft list table inet sekisho | grep -qF '$want_rule'"
check "after the crash work still reaches LGWAN (tunnel left running)" portal_ok
check "after the crash the internet is still refused fast" refused_fast 1000 work_get "http://$LAB_INET_WEB/"
# With the ruleset flushed under the dead daemon (as Debian's own
# nftables.service does at start), work's packets to the gateway's public
# address still may not leave onto the home LAN: the routing rule for the
# endpoints serves the netvm's own traffic only.
flushed_to_gateway() {
	local before
	before=$(lab_leak leak)
	n netvm nft flush ruleset
	n work ping -c 10 -i 0.05 -W 1 "$LAB_GW_PUBLIC" >/dev/null 2>&1
	n work curl -s -m 1 "http://$LAB_GW_PUBLIC/" >/dev/null 2>&1
	sleep 0.2
	echo "home leak counter: $before before, $(lab_leak leak) after"
	[ "$(lab_leak leak)" -eq "$before" ]
}
check "ruleset flushed: work's packets to the gateway's address stay off the home LAN (0 leaked)" \
	flushed_to_gateway
check "sekishod restarts" netvm_start
check "restarted sekishod reuses the running tunnel" grep -q "already running, reusing it" "$LAB_DIR/log/sekishod.log"
check "restarted sekishod resumes remote mode" netvm_wait_mode remote
check "the tunnel's session survived the restart (counters not reset)" \
	bash -c "[ \"\$(ip netns exec $NS_NETVM wg show $NETVM_TUN transfer | awk '{ print \$2 }')\" -ge $rx_before ]"
check "work reaches LGWAN after the restart" portal_ok
# Another program flushes the whole ruleset under a running sekishod (as
# Debian's nftables.service does at start): sekishod notices within its
# check interval (2 s) and loads its mode again, with one log line.
table_back() { n netvm nft list tables inet | grep -qx 'table inet sekisho'; }
flushed_live() {
	n netvm nft flush ruleset
	lab_wait_for -t 5 table_back || { echo "the table did not come back"; return 1; }
	netvm_rules | grep -q 'chain forward' || { echo "no forward chain"; return 1; }
	grep -q 'nftables: table inet sekisho is gone (flushed by another program?); loading mode remote again' \
	    "$LAB_DIR/log/sekishod.log" || { echo "no log line"; return 1; }
}
check "ruleset flushed under a running sekishod: its table is back within 5 s, one log line" flushed_live
check "and work reaches LGWAN again" lab_wait_for -t 5 portal_ok

# ---- the gateway goes away -----------------------------------------------------
lab_gateway_down
check "gateway down: LGWAN unreachable" bash -c "! ip netns exec $NS_WORK curl -s -m 2 http://$LAB_PORTAL/"
check "gateway down: internet still refused fast" refused_fast 1000 work_get "http://$LAB_INET_WEB/"
check "gateway down: home router still refused fast" refused_fast 1000 work_get "http://$LAB_HOME_ROUTER/"
lab_gateway_up
check "gateway back: LGWAN reachable again" lab_wait_for -t 15 portal_ok

# ---- the uplink flaps -------------------------------------------------------------
lab_uplink_unplug
check "cable out: mode becomes blocked" netvm_wait_mode blocked
check "cable out: LGWAN refused fast" refused_fast 1000 work_get "http://$LAB_PORTAL/"
lab_uplink_plug
check "cable in: mode becomes remote again" netvm_wait_mode remote
check "cable in: LGWAN reachable again" lab_wait_for -t 10 portal_ok
for i in 1 2 3 4 5; do lab_uplink_unplug; sleep 0.05; lab_uplink_plug; sleep 0.05; done
check "after five flaps: remote and LGWAN reachable" lab_wait_for -t 10 portal_ok
check "after five flaps: internet refused fast" refused_fast 1000 work_get "http://$LAB_INET_WEB/"
# The uplink's address flushed and another one set, in another network and
# without a router: the kernel removed the default route with the old
# address and said nothing of it, so there is no way to the gateway any
# more: blocked, not "remote" through a router that is gone.
OLD_UP0=$(ip -n "$NS_NETVM" -4 -o addr show dev up0 | awk '{ print $4; exit }')
addr_swapped() {
	ip -n "$NS_NETVM" addr flush dev up0
	ip -n "$NS_NETVM" addr add 10.99.0.5/24 dev up0
	sleep 1
	netvm_mode_is blocked || { echo "mode: $(ctl status | head -1)"; return 1; }
	sleep 1
	netvm_mode_is blocked || { echo "mode: $(ctl status | head -1)"; return 1; }
}
check "address flushed, a new one without a router: blocked, and it stays so" addr_swapped
check "meanwhile LGWAN is refused fast" refused_fast 1000 work_get "http://$LAB_PORTAL/"
ip -n "$NS_NETVM" addr flush dev up0
ip -n "$NS_NETVM" addr add "$OLD_UP0" dev up0
ip -n "$NS_NETVM" route replace default via "$LAB_HOME_ROUTER" dev up0
check "the old address and its router back: remote and LGWAN reachable" lab_wait_for -t 10 portal_ok

# ---- bad input: one clear line, and the rules in force stay ---------------------------
rules_now() { netvm_rules | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'; }
# start_bad FILE WANT: sekishod must exit 1 with exactly the line WANT.
start_bad() {
	local out rc
	out=$(n netvm "$SEKISHOD" -d -f "$1" -w wk0 -t "$NETVM_TUN" -s "$LAB_DIR/bad.sock" \
		-r "$LAB_DIR/bad-run" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] || { echo "exit status $rc, want 1"; return 1; }
	[ "$out" = "$2" ] || { printf 'got:  %s\nwant: %s\n' "$out" "$2"; return 1; }
}
check "kill -9 of sekishod before the bad-input cases" netvm_kill9
rules_before=$(rules_now)
bad=$LAB_DIR/bad.conf
sed 's/^serial .*/serial 1\nbogus 7/' "$LAB_DIR/policy.conf" >"$bad"
line=$(grep -n '^bogus' "$bad" | cut -d: -f1)
check "invalid policy: refused with file:line and the problem" start_bad "$bad" \
	"sekishod: $bad:$line: unknown keyword 'bogus', expected version, serial, device, gateway, lgwan, work, set, service, inbound, beacon, office, uplink, distribution, verifier, presence or timers"
sed 's/^serial .*/serial 0/' "$LAB_DIR/policy.conf" >"$bad"
line=$(grep -n '^serial' "$bad" | cut -d: -f1)
check "invalid policy: the daemon's message is the checker's" start_bad "$bad" \
	"sekishod: $(build/sekisho-policy check "$bad" 2>&1)"
sed "s|key-file .*|key-file \"$LAB_DIR/absent.key\"|" "$LAB_DIR/policy.conf" >"$bad"
check "missing key file: refused" start_bad "$bad" \
	"sekishod: key file $LAB_DIR/absent.key: No such file or directory"
cp "$LAB_DIR/device.key" "$LAB_DIR/open.key"; chmod 0644 "$LAB_DIR/open.key"
sed "s|key-file .*|key-file \"$LAB_DIR/open.key\"|" "$LAB_DIR/policy.conf" >"$bad"
check "key file readable by others: refused" start_bad "$bad" \
	"sekishod: key file $LAB_DIR/open.key: accessible by group or others (mode 0644), must be 0600"
rm -f "$LAB_DIR/open.key"
check "after the bad starts the ruleset in the kernel is unchanged" \
	bash -c '[ "$1" = "$2" ]' _ "$rules_before" "$(rules_now)"
check "after the bad starts work still reaches LGWAN" portal_ok
check "after the bad starts the internet is still refused fast" refused_fast 1000 work_get "http://$LAB_INET_WEB/"
check "sekishod restarts with the good policy" netvm_start
check "and resumes remote mode" netvm_wait_mode remote

# ---- a clean stop: work cut off, helpers gone ----------------------------------------
clean_stop() {
	lab_stop sekishod
	grep -q '^sekishod: stopped$' "$LAB_DIR/log/sekishod.log" ||
		{ echo "sekishod did not finish its shutdown (killed after 2 s?)"; return 1; }
	! ip -n "$NS_NETVM" link show "$NETVM_TUN" 2>/dev/null || { echo "tunnel interface still there"; return 1; }
	lab_wait_for -t 3 bash -c "! pgrep -f 'wireguard-go -f $NETVM_TUN\$'" || { echo "wireguard-go still running"; return 1; }
	! pgrep -f "dhcp-leasefile=$NETVM_RUN/" || { echo "work DHCP server still running"; return 1; }
}
check "SIGTERM: sekishod stops its tunnel and DHCP server and exits" clean_stop
check "after a clean stop the kernel holds the blocked ruleset" rules_blocked
check "after a clean stop LGWAN is refused fast" refused_fast 1000 work_get "http://$LAB_PORTAL/"

# ---- the leak counter: nothing but DHCP and the tunnel ------------------------------
leaks() {
	local l
	l=$(lab_leaks)
	echo "$l"
	[ "$(lab_leak leak)" -eq 0 ] && [ "$(lab_leak tunnel)" -gt 0 ] && [ "$(lab_leak dhcp)" -gt 0 ]
}
check "home router saw only DHCP and the tunnel's UDP from the laptop, all test long" leaks

tap_done
