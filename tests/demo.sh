#!/bin/bash
# make demo: the laptop's day at home, end to end in the lab, narrated.
# Exits 0 only if everything it shows worked.
set -u
cd "$(dirname "$0")/.."
. tests/lab/lab.sh
. tests/integration/lib.sh
. tests/cards/cards.sh

failed=0
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '   $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/   | /'; return "${PIPESTATUS[0]}"; }
expect() {	# DESC CMD...: run, and say whether it did what the demo promises
	local desc=$1; shift
	if "$@" >/dev/null 2>&1; then printf '   ok: %s\n' "$desc"
	else printf '   FAILED: %s\n' "$desc"; failed=$((failed + 1)); fi
}
WATCH=
cleanup() {
	[ -z "$WATCH" ] || { kill "$WATCH"; wait "$WATCH"; } 2>/dev/null
	cards_down; netvm_cleanup; lab_down
}
no_leak() { [ "$(lab_leak leak)" = 0 ]; }
restart() { laptop_start && netvm_wait_mode remote; }
trap cleanup EXIT

say "Building the lab: work, netvm, home router + printer, internet, agency gateway, LGWAN"
LAB_SEGMENTS="office hotel lte" lab_up || exit 1
lab_roles
# The sign-on relay (user _sekisho-signon) asks sekishod's control socket
# for the mode and uplink it records; in the netvm the socket's directory
# lets its group through (docs/control.md), here the lab's directory must.
chmod 0711 "$LAB_DIR"
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
	[ -z "${TMPL_EXTRA:-}" ] || printf '%s\n' "$TMPL_EXTRA"
}
provision() {
	prov init --pool "${LAB_TUNNEL_GW%.*}.0/24" --endpoint "$LAB_GW_ENDPOINT" \
		--listen-port "$LAB_GW_PORT" >/dev/null &&
	template >"$PD/lab.tmpl" && prov group add lab "$PD/lab.tmpl" --key-file "$LAB_DIR/device.key" &&
	prov device add laptop --group lab --pubkey "$LAB_DEVICE_PUB" >/dev/null &&
	prov device export laptop "$PD/laptop" >/dev/null &&
	install -m 0600 "$PD/laptop/bundle" "$PD/laptop/signon.key" "$ST/" &&
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
		-D "$ST/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" \
		-N laptop -K "$ST/signon.key" &&
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
		-D "$ST/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" \
		-N laptop -K "$ST/signon.key" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}
expect "sekishod restarted from the signed bundle, serial 2" bundle_start
serial3() { ctl status | grep -q "^policy:     serial 3 "; }
expect "serial 3 fetched, verified and in force within seconds" lab_wait_for -t 15 serial3
show bash -c "grep -E 'fetch|policy serial' $LAB_DIR/log/sekishod.log | tail -3"
expect "after: 172.20.0.10 is refused at once, by the laptop itself too" refused_fast 1000 work_get "http://$LAB_LGWAN_HOST/"
expect "and the portal still works" portal
show ctl status

say "Back home in the evening: LGWAN opens only after a card sign-on (docs/sign-on.md)"
# IT: the verifier's keys, a staff member with her PIN and card, and the
# group's policy with stages (the authentication server before sign-on,
# the portal after) that pins the verifier and asks for presence (the
# card re-checked every 10 s); the laptop fetches it.
PIN=582947 IDM=0123456789ABCDEF
printf '%s\n' "$PIN" >"$PD/pin" && chmod 600 "$PD/pin"
mkdir -m 0700 "$PD/authd" && build/sekisho-authd -G "$PD/authd" >/dev/null
printf 'role * card-pin card-key code-pin\n' >"$PD/rules"
# (New bundles come from the distribution server before anyone signs on:
# it is a prelogon service too.)
TMPL_EXTRA=$(printf 'service "logon" {\n\tclass prelogon\n\tto %s/32\n\ttcp 80\n\tudp 51831\n}\nservice "bundles" {\n\tclass prelogon\n\tto %s/32\n\ttcp %s\n}\nservice "portal" {\n\tclass lgwan\n\tto %s/32\n\ttcp 80\n}\nverifier {\n\taddress %s\n\tsign-key %s\n\tseal-key %s\n}\npresence {\n\tfactor card\n\tperiod 10\n}' \
	"$LAB_AUTH" "$LAB_DIST_ADDR" "$LAB_DIST_PORT" "$LAB_PORTAL" "$LAB_AUTH" \
	"$(cat "$PD/authd/sign.pub")" "$(cat "$PD/authd/seal.pub")")
staff() {
	prov user add s1001 --name '山田 花子' --role clerk && prov user pin s1001 --pin-fd 3 3<"$PD/pin" &&
	prov card assign s1001 --idm "$IDM"
}
expect "IT: s1001 (山田 花子), her PIN (Argon2id) and her staff card" staff
stages() {
	push 4 172.20.0.0/16 distribution &&
	cp "$PD/laptop.4/bundle" "$SERVED/$(echo "$LAB_DEVICE_PUB" | tr '+/' '-_')"
}
expect "IT: the group's policy gets stages and pins the verifier (serial 4)" stages
authd_up() {
	lab_spawn authd lgwan "$PWD/build/sekisho-authd" -d -r "$SEKISHO_REGISTRY" \
		-k "$PD/authd/sign.key" -s "$PD/authd/seal.key" -f "$PD/rules" -l "$LAB_AUTH:51831" -L 600 &&
	lab_wait_for -t 10 _lab_listening lgwan u "$LAB_AUTH" 51831
}
expect "the verifier, sekisho-authd, listens in LGWAN ($LAB_AUTH)" authd_up
lab_unplug up0
expect "the laptop is plugged into the home router again" lab_plug up0 home
home_remote() { ctl status | grep -q '^uplink:     up0 192\.168\.1\.' && netvm_mode_is remote; }
expect "remote: the tunnel over the home uplink" lab_wait_for -t 15 home_remote
serial4() { ctl status | grep -q "^policy:     serial 4 "; }
expect "serial 4 fetched and in force; sekishod starts the sign-on relay" lab_wait_for -t 30 serial4
serial4 || show bash -c "grep -E 'fetch|serial|refus|sign-on' $LAB_DIR/log/sekishod.log | tail -8"
relay_up() { n netvm ss -Hlun "sport = :51832" | grep -qF "$LAB_WORK_ROUTER:51832"; }
expect "the relay listens on the work link" lab_wait_for -t 10 relay_up
show bash -c "grep 'sign-on relay: started' $LAB_DIR/log/sekishod.log | tail -1"
relay_presence() {
	local pid
	pid=$(sed -n 's/.*sign-on relay: started (pid \([0-9]*\)).*/\1/p' "$LAB_DIR/log/sekishod.log" | tail -n 1)
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- ' -P card:10 '
}
expect "sekishod started the relay with the policy's presence (-P card:10)" relay_presence
prelogon() { work_get "http://$LAB_AUTH/" 3 >/dev/null; }
expect "stage 1: the authentication server answers (prelogon)" lab_wait_for -t 10 prelogon
show n work curl -sS -m 3 "http://$LAB_PORTAL/"
expect "stage 1: the portal is refused at the agency's gateway" bash -c "! ip netns exec $NS_WORK curl -sS -m 2 http://$LAB_PORTAL/"
cards_up "$LAB_DIR/cards" >/dev/null && card_insert idcard 0 --id "$IDM" >/dev/null || failed=$((failed + 1))
agent() { cn_net "$NS_WORK" "$PWD/build/sekisho-agent" "$1" --netvm "$LAB_WORK_ROUTER" --state-dir "$LAB_DIR/agent" "${@:2}"; }
echo "   (the staff card is in the reader; the PIN is typed: here it comes from a file)"
show agent login --reader "$CARDS_READER0" --pin-fd 3 3<"$PD/pin"
expect "signed on with card + PIN: the portal answers (stage 2)" lab_wait_for -t 5 portal
learned() { grep -Eqx 'v1 s1001 1 [0-9]+ 1 10' "$LAB_DIR/agent/session"; }
expect "the agent learned the policy's presence with the sign-on: card, every 10 s" learned
portal || show tail -n 6 "$LAB_DIR/log/agency-gw.log"
show "$PWD/build/sekisho-gw" -s "$GW_SOCK" session list

say "A shared counter terminal: pulling the card locks the screen; a colleague takes over with her own card + PIN"
# (Sakai's and Kurashiki's service counters: no Windows logoff; the
# laptop's stage 2 moves from one user to the other in one step.)
PIN2=731246 IDM2=FEDCBA9876543210
printf '%s\n' "$PIN2" >"$PD/pin2" && chmod 600 "$PD/pin2"
staff2() {
	prov user add s1002 --name '佐藤 健' --role clerk && prov user pin s1002 --pin-fd 3 3<"$PD/pin2" &&
	prov card assign s1002 --idm "$IDM2"
}
expect "IT: a colleague, s1002 (佐藤 健), with her own PIN and card" staff2
printf '#!/bin/sh\necho locked >>"%s"\n' "$LAB_DIR/locks" >"$LAB_DIR/lockhook" && chmod 755 "$LAB_DIR/lockhook"
# the agent's watch, as the session's logon task runs it (-v: it says
# which card it watches); its lock command stands in for the screen lock
watch_up() {
	nsenter -t "$CARDS_HOLDER" -m -r --net="/run/netns/$NS_WORK" --wd="$PWD" -- \
		"$PWD/build/sekisho-agent" watch --netvm "$LAB_WORK_ROUTER" --state-dir "$LAB_DIR/agent" \
		--outbox "$LAB_DIR/outbox" --reader "$CARDS_READER0" --lock-cmd "$LAB_DIR/lockhook" \
		--flush-every 3600 -v >"$LAB_DIR/watch.out" 2>"$LAB_DIR/watch.err" </dev/null &
	WATCH=$!
	lab_wait_for -t 10 grep -q "watching the card in $CARDS_READER0" "$LAB_DIR/watch.err"
}
expect "sekisho-agent watch watches s1001's card" watch_up
card_remove idcard >/dev/null || failed=$((failed + 1))
locked() { grep -qx 'Locked: the card was removed.' "$LAB_DIR/watch.out" && [ "$(cat "$LAB_DIR/locks")" = locked ]; }
expect "s1001 pulls her card: the screen locks, once" lab_wait_for -t 5 locked
show cat "$LAB_DIR/watch.out"
trail() { "$PWD/build/sekisho-provision" audit export --from "$(date -u +%F)" --to "$(date -u +%F)" --csv; }
lock_in_trail() { trail | grep -q 'event 1: card-removed'; }
expect "the lock reached the agency's trail (the laptop's audit outbox, through the relay)" lab_wait_for -t 10 lock_in_trail
card_insert idcard2 0 --id "$IDM2" >/dev/null || failed=$((failed + 1))
echo "   (s1002 holds her card to the reader of the locked laptop and types her PIN)"
show agent handover --reader "$CARDS_READER0" --pin-fd 3 3<"$PD/pin2" | tee "$LAB_DIR/handover.out"
handed() { grep -Eq '^   \| Handed over from s1001: signed on as s1002 with card \+ PIN for [0-9]+ minutes\.$' \
	"$LAB_DIR/handover.out"; }
expect "handed over: s1002 is signed on, no logoff" handed
gw_b() { "$PWD/build/sekisho-gw" -s "$GW_SOCK" session list | grep -Eq '^laptop +s1002 +card-pin ' &&
	! "$PWD/build/sekisho-gw" -s "$GW_SOCK" session list | grep -q ' s1001 '; }
expect "the gateway: the laptop's stage 2 is s1002's now, s1001's closed" lab_wait_for -t 5 gw_b
show "$PWD/build/sekisho-gw" -s "$GW_SOCK" session list
expect "the portal answers for s1002" portal
one_handover() { [ "$(trail | grep -c 'handover from s1001 to s1002')" = 1 ]; }
expect "the audit: one handover record naming both" one_handover
show bash -c "'$PWD/build/sekisho-provision' audit export --from $(date -u +%F) --to $(date -u +%F) --csv | grep -E 'handover|card-removed'"
{ kill "$WATCH"; wait "$WATCH"; } 2>/dev/null
WATCH=
show agent logout
expect "signed off: the portal is closed again (stage 1)" lab_wait_for -t 5 bash -c \
	"! ip netns exec $NS_WORK curl -sS -m 2 http://$LAB_PORTAL/"

say "IT reads the sign-on trail: CSV in CP932 for Excel (shown through iconv)"
today=$(date -u +%F)
show bash -c "'$PWD/build/sekisho-provision' audit export --from $today --to $today --csv --encoding cp932 | iconv -f CP932 -t UTF-8"
kanji() { "$PWD/build/sekisho-provision" audit export --from "$today" --to "$today" --csv --encoding cp932 |
	iconv -f CP932 -t UTF-8 | grep -q '山田 花子'; }
expect "the export is CP932 and reads back with the staff's name in kanji" kanji
expect "the trail's hash chain verifies" "$PWD/build/sekisho-provision" audit verify

echo
if [ "$failed" -eq 0 ]; then echo "demo: everything shown worked"; exit 0; fi
echo "demo: $failed step(s) failed"; exit 1
