#!/bin/bash
# make demo: the laptop's day at home, end to end in the lab, narrated.
# Exits 0 only if everything it shows worked.
set -u
cd "$(dirname "$0")/.."
. tests/lab/lab.sh
. tests/integration/lib.sh

failed=0
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '   $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/   | /'; return "${PIPESTATUS[0]}"; }
expect() {	# DESC CMD...: run, and say whether it did what the demo promises
	local desc=$1; shift
	if "$@" >/dev/null 2>&1; then printf '   ok: %s\n' "$desc"
	else printf '   FAILED: %s\n' "$desc"; failed=$((failed + 1)); fi
}
cleanup() { netvm_cleanup; lab_down; }
no_leak() { [ "$(lab_leak leak)" = 0 ]; }
restart() { laptop_start && netvm_wait_mode remote; }
trap cleanup EXIT

say "Building the lab: work, netvm, home router + printer, internet, agency gateway, LGWAN"
LAB_SEGMENTS="office hotel lte" lab_up || exit 1
lab_roles
netvm_env
netvm_boot
lab_leak_reset

say "IT provisions the laptop with sekisho-provision (docs/provisioning.md)"
PD=$LAB_DIR/provision && mkdir -m 0700 "$PD"
export SEKISHO_REGISTRY=sqlite:$PD/registry.db SEKISHO_KEYS=$PD/keys
prov() { "$PWD/build/sekisho-provision" -q --by it-demo "$@"; }
ST=$LAB_DIR/state && mkdir -m 0700 "$ST"
# the group's template: the lab's policy without serial and device block
# (sekisho-provision fills them in per laptop), with the gateway key init made
template() {	# [PREFIX-TO-DROP] [distribution]
	sed -e '/^serial /d' -e '/^device {/,/^}/d' \
		-e "s|$(cat "$LAB_DIR/gateway.pub")|$(cat "$PD/keys/gateway.pub")|" \
		${1:+-e "/prefix ${1//\//\\/}\$/d"} "$LAB_POLICY"
	[ -z "${2:-}" ] || printf 'distribution {\n\tserver %s:%s\n\tinterval 10\n}\n' \
		"$LAB_DIST_ADDR" "$LAB_DIST_PORT"
}
provision() {
	prov init --pool "${LAB_TUNNEL_GW%.*}.0/24" --endpoint "$LAB_GW_ENDPOINT" \
		--listen-port "$LAB_GW_PORT" >/dev/null &&
	template >"$PD/lab.tmpl" && prov group add lab "$PD/lab.tmpl" --key-file "$LAB_DIR/device.key" &&
	prov device add laptop --group lab --pubkey "$LAB_DEVICE_PUB" >/dev/null &&
	prov device export laptop "$PD/laptop" >/dev/null &&
	install -m 0600 "$PD/laptop/bundle" "$ST/bundle" &&
	install -m 0644 "$PD/laptop/agency.pub" "$PD/laptop/device.pub" "$ST/"
}
expect "init, a group from the lab's template, the laptop with its own public key, its bundle" provision
show prov device list
GW_SOCK=$PD/gw.sock
gateway_start() {	# sekisho-gw: the agency's gateway, fed from the registry
	lab_spawn agency-gw agency "$PWD/build/sekisho-gw" run -d -r "$SEKISHO_REGISTRY" \
		-i "$LAB_WG_GW" -k "$PD/keys/gateway.key" -s "$GW_SOCK" &&
	lab_wait_for -t 10 "$PWD/build/sekisho-gw" -s "$GW_SOCK" status
}
expect "sekisho-gw runs the agency's gateway from the registry (docs/gateway.md)" gateway_start
show "$PWD/build/sekisho-gw" -s "$GW_SOCK" status
laptop_start() {
	netvm_env
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -b "$ST/bundle" -k "$ST/agency.pub" \
		-D "$ST/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}

say "The laptop boots at home. sekishod loads the fail-closed ruleset first."
expect "sekishod started from the provisioned bundle" laptop_start
show ctl status
expect "mode is blocked: no uplink has an address yet" netvm_mode_is blocked
expect "work gets 172.30.0.2 from the netvm's DHCP on the work link" lab_work_dhcp
expect "blocked: even LGWAN is refused" refused_fast 1000 work_get "http://$LAB_PORTAL/"

say "The home router's DHCP gives the netvm's uplink an address"
expect "uplink DHCP" lab_uplink_dhcp
show ip -n "$NS_NETVM" -4 -br addr show dev up0
expect "mode becomes remote: tunnel to the agency" netvm_wait_mode remote

say "From the work partition, before any logon: LGWAN works"
show n work curl -sS -m 5 "http://$LAB_PORTAL/"
expect "LGWAN portal page loads through the tunnel" bash -c "ip netns exec $NS_WORK curl -sS -m 5 http://$LAB_PORTAL/ | grep -qF '$LAB_PORTAL_MARKER'"
show n work dig +short @"$LAB_WORK_ROUTER" "$LAB_PORTAL_NAME"
expect "LGWAN name resolves" bash -c "[ \"\$(ip netns exec $NS_WORK dig +short +time=2 +tries=1 @$LAB_WORK_ROUTER $LAB_PORTAL_NAME)\" = $LAB_PORTAL ]"

say "Everything else is refused, at once"
for what in "internet web|work_get http://$LAB_INET_WEB/" \
	"public DNS resolver|n work dig +time=3 +tries=1 @$LAB_INET_DNS example.com" \
	"home router's web page|work_get http://$LAB_HOME_ROUTER/" \
	"home LAN printer|n work nc -w 3 -z $LAB_PRINTER 9100"; do
	desc=${what%%|*}; cmd=${what#*|}
	# shellcheck disable=SC2086
	out=$(refused_fast 1000 $cmd)
	rc=$?
	printf '   %s: %s\n' "$desc" "$out"
	[ $rc -eq 0 ] || failed=$((failed + 1))
done

say "sekishoctl status"
show ctl status

say "What the home router saw from the laptop (leak counters on its port)"
show lab_leaks
expect "nothing but DHCP and the tunnel's UDP crossed the home LAN" no_leak

say "A crash: kill -9 sekishod. The rules stay; work keeps LGWAN and nothing else."
expect "killed" netvm_kill9
expect "LGWAN still reachable" bash -c "ip netns exec $NS_WORK curl -sS -m 5 http://$LAB_PORTAL/ | grep -qF '$LAB_PORTAL_MARKER'"
expect "internet still refused" refused_fast 1000 work_get "http://$LAB_INET_WEB/"
expect "sekishod restarted, reused the running tunnel and resumed remote mode" restart
show ctl status
expect "leak counter still zero after crash and restart" no_leak

portal() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
office_status() { ctl status | grep -q '^mode:       office (beacon tokyo-3f verified'; }
say "Arriving at the office: the cable goes into the office LAN"
expect "fresh lease from the office's DHCP" lab_plug up0 office
expect "a beacon answered a fresh challenge under the pinned key: office mode" netvm_wait_mode office 2
show ctl status
expect "LGWAN straight onto the office LAN, no tunnel" portal
expect "the internet is still refused" refused_fast 1000 work_get "http://$LAB_INET_WEB/"

say "Unplugged again: back to the tunnel (WWAN is in too)"
lab_plug up2 lte >/dev/null && lab_uplink_dhcp up2 >/dev/null || failed=$((failed + 1))
lab_unplug up0
expect "remote, tunnel over up2 (WWAN)" lab_wait_for -t 5 bash -c "$SEKISHOCTL -s $NETVM_SOCK status | grep -q 'tunnel over up2'"
expect "LGWAN through the tunnel" lab_wait_for -t 10 portal

say "A hotel Wi-Fi that pretends to be the office (same DHCP, same addresses, a beacon with the wrong key)"
lab_unplug up2
expect "plugged into the hotel" lab_plug up0 hotel
sleep 1
show ctl status
expect "the impostor's signature does not verify: still remote" netvm_mode_is remote
expect "LGWAN through the tunnel" lab_wait_for -t 10 portal
hotel_clean() { [ "$(lab_leak hotel leak)" = 0 ]; }
expect "the hotel saw nothing from the laptop but DHCP, probes and the tunnel" hotel_clean
show lab_leaks hotel

say "IT pushes a new policy: signed at the agency, fetched by the laptop over the tunnel"
SERVED=$(mktemp -d /tmp/sekisho-demo.XXXXXX) && chmod 0755 "$SERVED"
trap 'cleanup; rm -rf "$SERVED"' EXIT
push() {	# SERIAL TEMPLATE-ARGS...: the group's new template, the laptop's next bundle
	local serial=$1
	shift
	template "$@" >"$PD/lab.tmpl" && prov group set lab "$PD/lab.tmpl" &&
	rm -rf "$PD/laptop.$serial" && prov device export laptop "$PD/laptop.$serial" >/dev/null &&
	build/sekisho-policy verify --pubkey "$(grep -v '^#' "$ST/agency.pub")" --device "$LAB_DEVICE_PUB" \
		"$PD/laptop.$serial/bundle" | grep -q "^ok serial $serial "
}
host() { work_get "http://$LAB_LGWAN_HOST/" | grep -qF "LGWAN host OK"; }
expect "before: work reaches 172.20.0.10" host
sign_both() { push 2 "" distribution && push 3 172.20.0.0/16 distribution; }
expect "the group gets a distribution server (serial 2), then 172.20.0.0/16 withdrawn (serial 3)" sign_both
gw_refuses() { ! work_get "http://$LAB_LGWAN_HOST/" 2 >/dev/null; }
expect "the agency's gateway follows the group's new template at once: 172.20.0.10 no longer passes it" \
	lab_wait_for -t 5 gw_refuses
cp "$PD/laptop.2/bundle" "$ST/bundle"
cp "$PD/laptop.3/bundle" "$SERVED/$(echo "$LAB_DEVICE_PUB" | tr '+/' '-_')" && chmod 0644 "$SERVED"/*
show prov audit laptop
lab_lgwan_host "$LAB_DIST_ADDR"
server_up() {
	lab_spawn dist lgwan "$PWD/build/sekisho-bundle-server" -d -r "$SERVED" \
		-l "$LAB_DIST_ADDR:$LAB_DIST_PORT" &&
	lab_wait_for -t 5 _lab_listening lgwan t "$LAB_DIST_ADDR" "$LAB_DIST_PORT"
}
expect "the agency's bundle server listens inside LGWAN ($LAB_DIST_ADDR)" server_up
bundle_start() {
	lab_stop sekishod
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -b "$ST/bundle" -k "$ST/agency.pub" \
		-D "$ST/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
expect "sekishod restarted from the signed bundle, serial 2" bundle_start
serial3() { ctl status | grep -q "^policy:     serial 3 "; }
expect "serial 3 fetched, verified and in force within seconds" lab_wait_for -t 15 serial3
show bash -c "grep -E 'fetch|policy serial' $LAB_DIR/log/sekishod.log | tail -3"
expect "after: 172.20.0.10 is refused at once, by the laptop itself too" refused_fast 1000 work_get "http://$LAB_LGWAN_HOST/"
expect "and the portal still works" portal
show ctl status

echo
if [ "$failed" -eq 0 ]; then echo "demo: everything shown worked"; exit 0; fi
echo "demo: $failed step(s) failed"; exit 1
