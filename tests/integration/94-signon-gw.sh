#!/bin/bash
# Sign-on opening stage 2 at sekisho-gw, with real packets from work
# (issue 14): the lab's agency runs sekisho-gw from a registry, the lab's
# laptop is in a group whose policy has prelogon services (the verifier, the
# authentication server's web page) and lgwan ones (the LGWAN host, the
# portal); the verifier (sekisho-authd, in LGWAN) writes its sessions into
# that registry, which the gateway follows (docs/gateway.md). sekishod
# starts the sign-on relay itself (-N, -K), confined. The agent in work
# signs on with a card + PIN through pcscd and the vpcd card:
#  - before: only prelogon answers; the LGWAN host gets exactly 0 packets;
#  - a wrong PIN: stage 1 stays, still 0 packets;
#  - card + PIN: the LGWAN host answers; sign-off: stage 1 again;
#  - a short session (60 s) ends by itself: stage 1;
#  - a revoked laptop gets nothing, not even prelogon;
#  - the relay: confined, restarted when killed, gone when sekishod is;
#  - captures on the uplink and at the agency never hold the PIN.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
. tests/cards/cards.sh

BD=$PWD/${B:-build}
AGENT=$BD/sekisho-agent
AUTHD=$BD/sekisho-authd
tmp=$(mktemp -d /tmp/sekisho-94.XXXXXX)
chmod 0711 "$tmp"
DUMPS=()
cleanup() {
	local p
	for p in "${DUMPS[@]}"; do kill "$p" 2>/dev/null; done
	cards_down; netvm_cleanup; lab_down; rm -rf "$tmp"
}
trap cleanup EXIT
bash tests/sandbox-users.sh >/dev/null

PIN=582947
IDM=0123456789ABCDEF
VERIFIER=$LAB_AUTH	# auth.lgwan.example: the verifier and a web page
DEV_ADDR=${LAB_TUNNEL_DEVICE%/*}
printf '%s\n' "$PIN" >"$tmp/pin"
printf '000000\n' >"$tmp/badpin"
chmod 600 "$tmp/pin" "$tmp/badpin"

lab_up || { echo "not ok 1 - lab_up"; exit 1; }
check_here() {	# as check, in this shell (it sets variables)
	local desc=$1
	shift
	if "$@" >"$tmp/check.out" 2>&1; then tap_ok "$desc"
	else tap_not_ok "$desc"; tail -n 15 "$tmp/check.out" | sed 's/^/#   /'; fi
}
check_here "sekisho-gw runs the lab's agency from a registry" lab_gw_up

# ---- the verifier's keys, the group's policy with stages -------------------------
mkdir -m 0700 "$tmp/authd" "$tmp/authd-next"
"$AUTHD" -G "$tmp/authd" >/dev/null
"$AUTHD" -G "$tmp/authd-next" >/dev/null	# the keys the agency rolls to next
services() {
	cat <<-EOF
	service "logon" {
		class prelogon
		to $VERIFIER/32
		tcp 80
		udp 51831
	}
	service "lgwan-host" {
		class lgwan
		to $LAB_LGWAN_HOST/32
		tcp 80
	}
	service "portal" {
		class lgwan
		to $LAB_PORTAL/32
		tcp 80
	}
	verifier {
		address $VERIFIER
		sign-key $(cat "$tmp/authd/sign.pub")
		seal-key $(cat "$tmp/authd/seal.pub")
		next-sign-key $(cat "$tmp/authd-next/sign.pub")
		next-seal-key $(cat "$tmp/authd-next/seal.pub")
	}
	EOF
}
{ cat "$LAB_POLICY"; services; } >"$tmp/policy.conf"
{ sed -e '/^serial /d' -e '/^device {/,/^}/d' "$LAB_POLICY"; services; } >"$tmp/staged.tmpl"
printf 'role * card-pin card-key code-pin\n' >"$tmp/rules"
provision() {
	lab_gw_prov group set lab "$tmp/staged.tmpl" &&
	lab_gw_prov device export laptop "$tmp/laptop" >/dev/null &&
	[ -s "$tmp/laptop/signon.key" ] &&
	lab_gw_prov user add s1001 --name '山田 花子' --role clerk &&
	lab_gw_prov user pin s1001 --pin-fd 3 3<"$tmp/pin" &&
	lab_gw_prov card assign s1001 --idm "$IDM"
}
check "the lab's group gets stages and a verifier; the laptop's sign-on key; s1001 and her card" provision

authd_start() {	# LIFETIME
	lab_spawn authd lgwan "$AUTHD" -d -r "$LAB_GW_REGISTRY" -k "$tmp/authd/sign.key" \
		-s "$tmp/authd/seal.key" -f "$tmp/rules" -l "$VERIFIER:51831" -L "$1" \
		-j "$tmp/audit.jsonl" &&
	lab_wait_for -t 10 _lab_listening lgwan u "$VERIFIER" 51831
}
check "the verifier listens in LGWAN, on the gateway's registry" authd_start 600

# ---- packets counted where they arrive in LGWAN -------------------------------------
n lgwan nft -f - <<EOF
table inet count94 {
	counter lgwan_host {}
	counter prelogon {}
	chain input {
		type filter hook input priority -5; policy accept;
		ip saddr $DEV_ADDR ip daddr $LAB_LGWAN_HOST counter name lgwan_host
		ip saddr $DEV_ADDR ip daddr $VERIFIER counter name prelogon
	}
}
EOF
counter() { n lgwan nft list counter inet count94 "$1" | awk '/packets/ { print $2 }'; }

# ---- the netvm: sekishod starts the relay -------------------------------------------
netvm_env
netvm_boot
# The relay asks sekishod's control socket for the mode and uplink of each
# request: in production the socket sits in sekishod's run directory,
# which sekishod makes passable (0710) for the relay's group; here it sits
# in the lab's directory, so the test lets it be passed through.
chmod 0711 "$LAB_DIR"
check "sekishod starts, named laptop, with its sign-on key" \
	netvm_start "$tmp/policy.conf" -N laptop -K "$tmp/laptop/signon.key"
check "work gets its address" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
relay_pid() { ps -o pid=,comm= --ppid "$(lab_pid sekishod)" | awk '$2 == "sekisho-signon" { print $1 }'; }
relay_up() { [ -n "$(relay_pid)" ] && n netvm ss -Hlun "sport = :51832" | grep -qF "$LAB_WORK_ROUTER:51832"; }
check "sekishod started the relay: it listens on the work link" lab_wait_for -t 10 relay_up
proc_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
relay_confined() {
	local p
	p=$(relay_pid) && [ -n "$p" ] &&
	[ "$(proc_field "$p" Uid | cut -f1)" = "$(id -u _sekisho-signon)" ] &&
	[ "$(proc_field "$p" CapEff)" = 0000000000000000 ] &&
	[ "$(proc_field "$p" CapPrm)" = 0000000000000000 ] &&
	[ "$(proc_field "$p" CapBnd)" = 0000000000000000 ] &&
	[ "$(proc_field "$p" NoNewPrivs)" = 1 ] && [ "$(proc_field "$p" Seccomp)" = 2 ] &&
	! grep -q "signon.key" <(ls -l "/proc/$p/fd/" 2>/dev/null)
}
check "the relay runs as _sekisho-signon: no capability, no_new_privs, seccomp, the key file closed" \
	relay_confined
relay_keys() {	# both pinned pairs, current first, as the policy has them
	local c
	c=$(tr '\0' ' ' <"/proc/$(relay_pid)/cmdline")
	[[ $c == *"-S $(cat "$tmp/authd/sign.pub") -E $(cat "$tmp/authd/seal.pub") "* ]] &&
	[[ $c == *"-S $(cat "$tmp/authd-next/sign.pub") -E $(cat "$tmp/authd-next/seal.pub") "* ]] &&
	[[ $c != *signon.key* ]]
}
check "sekishod gave it the verifier's current and next keys from the policy, the key by descriptor" relay_keys
relay_status() {	# it is given the control socket, which answers it the status only
	local c ctl
	c=$(tr '\0' ' ' <"/proc/$(relay_pid)/cmdline")
	[[ $c == *" -c $NETVM_SOCK"* ]] || { echo "cmdline: $c"; return 1; }
	[ "$(stat -c %G:%a "$NETVM_SOCK")" = "_sekisho-signon:660" ] || { stat "$NETVM_SOCK"; return 1; }
	ctl=(setpriv --reuid=_sekisho-signon --regid=_sekisho-signon --clear-groups
	    "$LAB_BUILD/sekishoctl" -s "$NETVM_SOCK")
	"${ctl[@]}" status | grep -q "^mode: *remote" || { "${ctl[@]}" status; return 1; }
	local out; out=$("${ctl[@]}" reload 2>&1)
	[ "$out" = "sekishoctl: $NETVM_SOCK: error: reload: only root may ask for it" ] || { echo "reload: $out"; return 1; }
}
check "the relay has the control socket: its user reads the status, its reload is refused" \
	relay_status
first_relay=$(relay_pid)
kill "$first_relay"
relay_again() { local p; p=$(relay_pid); [ -n "$p" ] && [ "$p" != "$first_relay" ] && relay_up; }
check "killed, it is started again (backoff)" lab_wait_for -t 10 relay_again
check "sekishod said so" grep -q "sign-on relay (pid $first_relay) exited, status 0; started again in" \
	"$LAB_DIR/log/sekishod.log"

# ---- captures: the home uplink, the agency's side towards LGWAN ---------------------
n home tcpdump -i hn0 -U -s 0 -w "$tmp/uplink.pcap" 2>/dev/null &
DUMPS+=($!)
n agency tcpdump -i lg0 -U -s 0 -w "$tmp/agency.pcap" 2>/dev/null &
DUMPS+=($!)
lab_wait_for -t 5 test -s "$tmp/uplink.pcap"
lab_wait_for -t 5 test -s "$tmp/agency.pcap"

# ---- stage 1 --------------------------------------------------------------------------
lgwan_host() { work_get "http://$LAB_LGWAN_HOST/" "${1:-3}" | grep -qF "LGWAN host OK"; }
no_lgwan_host() { ! lgwan_host 2; }
portal() { work_get "http://$LAB_PORTAL/" 3 | grep -qF "$LAB_PORTAL_MARKER"; }
prelogon() { work_get "http://$VERIFIER/" 3 >/dev/null; }
check "stage 1: the prelogon service answers (the authentication server's page)" \
	lab_wait_for -t 10 prelogon
check "stage 1: the LGWAN host does not answer" no_lgwan_host
check "stage 1: nor the portal" bash -c "! ip netns exec $NS_WORK curl -sS -m 2 http://$LAB_PORTAL/"
check "stage 1: the LGWAN host got exactly 0 packets from the laptop" bash -c "[ \"$(counter lgwan_host)\" = 0 ]"
check "... while the prelogon server got them" bash -c "[ \"$(counter prelogon)\" -gt 0 ]"
stage_of() { lab_gw status | awk -v d="$1" '$1 == d { print $3 }'; }
stage_is() { [ "$(stage_of laptop)" = "$1" ]; }
check "sekisho-gw: the laptop is at stage 1" stage_is 1

# ---- the agent in work: a wrong PIN, then card + PIN ----------------------------------
if cards_up "$tmp/c"; then tap_ok "pcscd + vpcd beside the lab"; else tap_not_ok "pcscd + vpcd"; fi
card_insert idcard 0 --id "$IDM"
agent() { cn_net "$NS_WORK" "$AGENT" "$1" --netvm "$LAB_WORK_ROUTER" --state-dir "$tmp/state" "${@:2}"; }
says() {
	local want=$1 got
	shift
	"$@" </dev/null >"$tmp/out" 2>"$tmp/err"
	got=$(tail -n 1 "$tmp/out")
	[[ $got == $want ]] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; cat "$tmp/err"; return 1; }
}
check "a wrong PIN: the verifier's tries left" says "Wrong PIN: 4 tries left." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<"$tmp/badpin"
check "after a wrong PIN: stage 1 stays, the LGWAN host does not answer" no_lgwan_host
check "... and got exactly 0 packets" bash -c "[ \"$(counter lgwan_host)\" = 0 ]"
check "card + PIN: signed on" says "Signed on as s1001 with card + PIN for 10 minutes." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<"$tmp/pin"
check "stage 2: the LGWAN host answers" lab_wait_for -t 5 lgwan_host
check "stage 2: the portal too" portal
check "sekisho-gw: stage 2, s1001's session" bash -c \
	"$LAB_BUILD/sekisho-gw -s $LAB_GW_SOCK session list | grep -E '^laptop +s1001 +card-pin +[0-9]+s left\$'"
check "the laptop's address is in signed_on with the session's lifetime" bash -c \
	"ip netns exec $NS_AGENCY nft list set inet sekisho_gw signed_on | grep -E '$DEV_ADDR timeout (10m|600s|9m5[0-9]s)'"
check "the verifier's records: the wrong PIN, then s1001 on laptop with card-pin, ok" bash -c \
	"grep -q '\"user\":\"s1001\",\"laptop\":\"laptop\",\"op\":\"signon\",\"factor\":\"card-pin\",\"result\":\"wrong-pin\"' '$tmp/audit.jsonl' &&
	 grep -q '\"user\":\"s1001\",\"laptop\":\"laptop\",\"op\":\"signon\",\"factor\":\"card-pin\",\"result\":\"ok\"' '$tmp/audit.jsonl' ||
	 { cat '$tmp/audit.jsonl'; false; }"

check "... made at home: mode remote, over the uplink in force" grep -qE \
	'"op":"signon","factor":"card-pin","result":"ok","mode":"remote","uplink":"[a-z0-9]+"' \
	"$tmp/audit.jsonl"

# ---- sign-off ---------------------------------------------------------------------------
check "sign-off" says "Signed off." agent logout
check "after sign-off: the LGWAN host no longer answers" lab_wait_for -t 5 no_lgwan_host
check "sekisho-gw: stage 1" stage_is 1
check "the verifier's record of the sign-off" grep -q \
	'"user":"s1001","laptop":"laptop","op":"signoff",.*"result":"ok"' "$tmp/audit.jsonl"
check "prelogon still answers" prelogon

# ---- a session that ends by itself -----------------------------------------------------
lab_stop authd
check "the verifier again, with 60 s sessions (its shortest)" authd_start 60
check "card + PIN: a 1-minute session" says "Signed on as s1001 with card + PIN for 1 minutes." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<"$tmp/pin"
check "the LGWAN host answers" lab_wait_for -t 5 lgwan_host
check "the session ended: the LGWAN host no longer answers" lab_wait_for -t 90 no_lgwan_host
check "sekisho-gw: stage 1" lab_wait_for -t 5 stage_is 1
check "the gateway logged the expiry" grep -qF "sekisho-gw: device laptop: session of s1001 expired: stage 1" \
	"$LAB_DIR/log/agency-gw.log"

# ---- a revoked laptop ------------------------------------------------------------------------
check "card + PIN once more" says "Signed on as s1001 with card + PIN for 1 minutes." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<"$tmp/pin"
check "the LGWAN host answers" lab_wait_for -t 5 lgwan_host
host0=$(counter lgwan_host) pre0=$(counter prelogon)
check "IT revokes the laptop" lab_gw_prov device revoke laptop --reason "reported stolen"
gone() { ! n agency wg show "$LAB_WG_GW" peers | grep -qxF "$LAB_DEVICE_PUB"; }
check "its peer is gone at the gateway" lab_wait_for -t 5 gone
check "revoked: the LGWAN host does not answer" no_lgwan_host
check "revoked: nor the prelogon service" bash -c "! ip netns exec $NS_WORK curl -sS -m 2 http://$VERIFIER/"
check "revoked: the verifier is unreachable, the exact line" says \
	"Verifier unreachable: the sign-on service does not answer; LGWAN stays closed, try again later." \
	agent login --reader "$CARDS_READER0" --pin-fd 3 3<"$tmp/pin"
check "revoked: LGWAN got no packet from it since, neither host" bash -c \
	"[ \"$(counter lgwan_host)\" = $host0 ] && [ \"$(counter prelogon)\" = $pre0 ]"

# ---- sekishod dies: its relay with it (nothing stale holds the work link's port) -----------
kill -9 "$(lab_pid sekishod)"
relay_gone() { ! n netvm ss -Hlun "sport = :51832" | grep -q .; }
check "sekishod killed (-9): the relay ends too, the work link's port is free" lab_wait_for -t 5 relay_gone

# ---- the captures never held the PIN ------------------------------------------------------
for p in "${DUMPS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
DUMPS=()
check "the agency's capture holds the sign-on exchanges (BOUND, 584 bytes)" bash -c \
	"[ \$(tcpdump -r '$tmp/agency.pcap' 'udp port 51831 and udp[4:2] = 592' 2>/dev/null | wc -l) -ge 3 ]"
check "nothing on the uplink but the tunnel, DHCP and ARP" bash -c \
	"[ \$(tcpdump -r '$tmp/uplink.pcap' 'not (udp port 51820 or udp port 67 or udp port 68 or arp)' 2>/dev/null | wc -l) = 0 ]"
check "no PIN and no card identifier on the uplink" bash -c "! grep -aq -e $PIN -e $IDM '$tmp/uplink.pcap'"
check "no PIN at the agency's side" bash -c "! grep -aq -e $PIN '$tmp/agency.pcap'"

tap_done
