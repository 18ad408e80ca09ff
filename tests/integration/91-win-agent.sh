#!/bin/bash
# The Windows agent under Wine (docs/agent.md "Windows"): build/win/
# sekisho-agent.exe, the mingw-w64 build of the same sources, runs in the
# lab's `work` namespace (wineserver too: Wine's sockets are made by the
# server, so it must live in that namespace) and
#  (a) `status` says "Not signed on." before, and who is signed on after;
#  (b) signs on with an emergency code + PIN through the real relay in the
#      netvm and the real verifier in LGWAN (code and PIN on stdin: Wine
#      hands no other descriptor to a Windows program), the verifier's
#      audit naming the laptop and the tunnel address;
#  (c) `tray` shows its status window under Xvfb: its text read back with
#      WM_GETTEXT (`tray --read`) is exactly the status line, and a
#      screenshot of the screen holds the state square, UI_SQ_SIZE^2
#      pixels of UI_RGB_SIGNED_ON (green) and none of the grey of
#      "signed off" (ui.h) — the check is by what the window must show,
#      not by a reference image that a font or theme would change;
#  (d) the audit outbox on Windows: events marked by the .exe are delivered
#      through the real relay to the real verifier, and the outbox is made
#      shorter past its bound (build/win/outbox-smoke.exe, outbox.c over
#      lock_win.c: LockFileEx on outbox.lock, MoveFileExW; the file in
#      binary mode);
#  (e) the icon's uplink menu lists the netvm's uplinks from its status
#      (`tray --menu`: the menu as it would pop up), and `prefer` from
#      Windows is answered by sekishod's frontend on the work link;
#  (f) the window's netvm line, from the netvm's status read by a thread
#      of its own: the tunnel's last handshake and the policy's presence
#      check (`tray --read`'s second line);
#  (g) a silent peer (a TCP port that accepts and never answers, a UDP
#      port that never answers): `uplinks`, the tray's menu and a sign-on
#      each give up within their bound and say so in one line.
# What Wine cannot run (winscard is a stub there, winbio.dll is absent) is
# said in docs/agent.md with how that code is tested instead.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
. tests/signon/setup.sh

BD=$PWD/${B:-build}
EXE=$BD/win/sekisho-agent.exe
P=$BD/sekisho-provision
AUTHD=$BD/sekisho-authd
RELAY=$BD/sekisho-signon
tmp=$(mktemp -d /tmp/sekisho-win-agent.XXXXXX)
chmod 0711 "$tmp"
XVFB= SILENT=
cleanup() {
	[ -n "$SILENT" ] && { kill "$SILENT" 2>/dev/null; wait "$SILENT" 2>/dev/null; }
	# Only this test's wineserver (its own prefix) and its own Xvfb.
	[ -d "$tmp/wine" ] && ip netns exec "$NS_WORK" env WINEPREFIX="$tmp/wine" wineserver -k 2>/dev/null
	[ -n "$XVFB" ] && { kill "$XVFB" 2>/dev/null; wait "$XVFB" 2>/dev/null; }
	netvm_cleanup; lab_down; rm -rf "$tmp"
}
trap cleanup EXIT
for f in "$EXE" "$BD/win/outbox-smoke.exe" "$P" "$AUTHD" "$RELAY"; do
	[ -e "$f" ] || { tap_not_ok "$f is not built (make win)"; tap_done; exit 1; }
done
for t in wine wineserver Xvfb xwd; do
	command -v "$t" >/dev/null || { tap_not_ok "$t is not installed (make deps)"; tap_done; exit 1; }
done
bash tests/sandbox-users.sh >/dev/null

PIN=739164
VERIFIER=10.65.0.10
printf '%s\n' "$PIN" >"$tmp/pin"
chmod 600 "$tmp/pin"

lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

export SEKISHO_REGISTRY="sqlite:$tmp/reg.db" SEKISHO_KEYS=$tmp/keys
so_template "$LAB_GW_ENDPOINT" "$LAB_GW_PUB" "$LAB_LGWAN_DNS" "$LAB_WORK_ADDR" \
	"$LAB_WORK_ROUTER" >"$tmp/tmpl.conf"
printf 'role * card-pin card-key code-pin\n' >"$tmp/rules"
provision() {
	cd "$tmp" && so_laptops --endpoint "$LAB_GW_ENDPOINT" pc-001 &&
	so_user s1001 '山田 太郎' clerk pin
}
check "provisioning: the laptop and s1001 with her PIN" provision
CODE=$("$P" -q otp issue s1001 --valid 1h | head -1)
so_verifier_keys "$tmp/authd"
{
	cat "$LAB_DIR/policy.conf"
	echo "verifier {"
	echo "	address $VERIFIER"
	echo "	sign-key $(cat "$tmp/authd/sign.pub")"
	echo "	seal-key $(cat "$tmp/authd/seal.pub")"
	echo "}"
} >"$tmp/policy.conf"
check "sekishod starts with the verifier pinned" netvm_start "$tmp/policy.conf"
check "work gets its address by DHCP from the netvm" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote
lab_spawn authd lgwan "$AUTHD" -d -r "$SEKISHO_REGISTRY" -k "$tmp/authd/sign.key" \
	-s "$tmp/authd/seal.key" -f "$tmp/rules" -l "$VERIFIER:51831" -j "$tmp/audit.jsonl"
lab_spawn relay netvm "$RELAY" -d -n pc-001 -k "$tmp/out1/signon.key" -V "$VERIFIER:51831" \
	-S "$(cat "$tmp/authd/sign.pub")" -E "$(cat "$tmp/authd/seal.pub")" -l "$LAB_WORK_ROUTER:51832"
udp_in() { ip netns exec "$1" ss -Hlun "sport = :$2" | grep -q .; }
check "the verifier and the relay listen" lab_wait_for -t 10 bash -c \
	"$(declare -f udp_in); udp_in $NS_LGWAN 51831 && udp_in $NS_NETVM 51832"

# ---- Xvfb first: every Wine process of the test (one wineserver) sees it ----
exec {dfd}<> <(:)
Xvfb -displayfd "$dfd" -screen 0 800x600x24 -nolisten tcp >/dev/null 2>&1 &
XVFB=$!
read -r -t 30 dnum <&"$dfd" || dnum=
exec {dfd}>&-
[ -n "$dnum" ] || { tap_not_ok "Xvfb started"; tap_done; exit 1; }
export DISPLAY=:$dnum
# ---- Wine in work: its own prefix, no debug output ----
export WINEPREFIX=$tmp/wine WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
win() { ip netns exec "$NS_WORK" wine "$EXE" "$@"; }
check "a Wine prefix in the work namespace" bash -c \
	"ip netns exec $NS_WORK wineboot -i >/dev/null 2>&1"
STATE='Z:'"$tmp"'/state'
says() {
	local want=$1 got
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$(tail -n 1 "$tmp/out" | tr -d '\r')
	[ "$got" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$got" "$want"; cat "$tmp/err"; return 1; }
}
check "(a) status from Windows before sign-on: not signed on" says "Not signed on." \
	win status --state-dir "$STATE" </dev/null
check "(b) emergency code + PIN from Windows, through the relay and the verifier" says \
	"Signed on as s1001 with emergency code + PIN for 480 minutes." \
	win login --otp --user s1001 --netvm "$LAB_WORK_ROUTER" --code-fd 0 --pin-fd 0 \
	--state-dir "$STATE" < <(printf '%s\n%s\n' "$CODE" "$PIN")
check "(b) the verifier recorded it: laptop pc-001, code-pin, from its tunnel address" bash -c \
	"grep -q '\"user\":\"s1001\",\"laptop\":\"pc-001\",\"op\":\"signon\",\"factor\":\"code-pin\",\"result\":\"ok\",.*\"from\":\"${LAB_TUNNEL_DEVICE%/*}:[0-9]*\"' '$tmp/audit.jsonl' || { cat '$tmp/audit.jsonl'; false; }"
check "(b) the same code again: refused as used" says \
	"Code refused: this emergency code was used already; ask IT for a new one." \
	win login --otp --user s1001 --netvm "$LAB_WORK_ROUTER" --code-fd 0 --pin-fd 0 \
	--state-dir "$STATE" < <(printf '%s\n%s\n' "$CODE" "$PIN")
status_re='Signed on as s1001 with emergency code + PIN until [-0-9]* [0-9:]* UTC\.'
check "(a) status from Windows after sign-on: who, with what, until when" bash -c \
	"ip netns exec $NS_WORK wine '$EXE' status --state-dir '$STATE' </dev/null | tr -d '\r' | grep -qx '$status_re'"

# ---- (d) the audit outbox ----
OB='Z:'"$tmp"'/outbox'
check "(d) 5 audit events marked from Windows" says "Recorded 5 audit events." \
	win mark --count 5 --user s1001 --outbox "$OB" </dev/null
check "(d) delivered through the relay to the verifier" says "Delivered 5 audit events." \
	win flush --netvm "$LAB_WORK_ROUTER" --outbox "$OB" </dev/null
marks() { [ "$(grep -c '"user":"s1001","laptop":"pc-001","op":"mark","factor":"none","result":"ok"' "$tmp/audit.jsonl")" = 5 ]; }
check "(d) the verifier holds the 5, once each" lab_wait_for -t 5 marks
check "(d) the outbox begins with its id, and says it was delivered" bash -c \
	"head -n 1 '$tmp/outbox/outbox.csv' | grep -Eqx 'O,[0-9a-f]{16}' && tail -n 1 '$tmp/outbox/outbox.csv' | grep -qx 'A,5,5'"
smoke() {
	ip netns exec "$NS_WORK" wine "$BD/win/outbox-smoke.exe" 'Z:'"$tmp"'/obsmoke' </dev/null |
		tr -d '\r' | tee "$tmp/smoke.out" | grep -q '^outbox smoke: ok: ' || { cat "$tmp/smoke.out"; false; }
}
check "(d) past its bound the outbox is made shorter on Windows (MoveFileExW), nothing undelivered lost" smoke

# ---- (c) the status window under Xvfb ----
ip netns exec "$NS_WORK" wine "$EXE" tray --state-dir "$STATE" --netvm "$LAB_WORK_ROUTER" \
	</dev/null >"$tmp/tray.out" 2>&1 &
TRAY=$!
# Wine starts the window in its own time (seconds on a loaded machine):
# wait for it to answer, then check what it says.
tray_up() { ip netns exec "$NS_WORK" wine "$EXE" tray --read </dev/null 2>/dev/null | grep -q .; }
for _ in $(seq 300); do tray_up && break; kill -0 "$TRAY" 2>/dev/null || break; sleep 0.1; done
check "(c) the window's text, read back with WM_GETTEXT, is the status line" bash -c \
	"ip netns exec $NS_WORK wine '$EXE' tray --read </dev/null | tr -d '\r' | grep -qx '$status_re' || { cat '$tmp/tray.out'; false; }"
# The window is up (tray --read found it and its text); it painted before
# that text could be read, as WM_PAINT comes first in its queue.
xwd -root -silent -display "$DISPLAY" >"$tmp/screen.xwd"
count_rgb() { python3 tests/integration/xwd_count.py "$tmp/screen.xwd" "$1"; }
green=$(count_rgb 1e9e3c) grey=$(count_rgb 9a9a9a)
check "(c) the screenshot holds the signed-on square: 32x32 green, no grey (got $green, $grey)" \
	test "$green" = 1024 -a "$grey" = 0
# (d) the icon's uplink menu (docs/agent.md, "Uplink preference"): built
# from sekishod's status over the work link (Winsock TCP to 51834), as it
# would pop up; then a preference from Windows, answered by the netvm.
winq() { win "$@" </dev/null; }
menu() { win tray --menu --netvm "$LAB_WORK_ROUTER" </dev/null 2>&1 | tr -d '\r'; }
menu_has() {
	local out
	out=$(menu)
	printf '%s\n' "$out"
	printf '%s\n' "$out" | grep -qxF '[x] Uplink: automatic (the policy'"'"'s order)' &&
	printf '%s\n' "$out" | grep -qxF '[ ] Prefer up0 (priority 300, carrier, address, active)'
}
check "(d) the tray's menu: automatic (checked), then each uplink, up0 active" menu_has
check "(d) prefer up0 from Windows: the netvm's line" says \
	"accepted: up0 is the preferred uplink; the tunnel runs over up0" \
	winq prefer up0 --netvm "$LAB_WORK_ROUTER"
check "(d) the menu checks it" eval 'menu | grep -qxF "[x] Prefer up0 (priority 300, carrier, address, active, preferred)"'
check "(d) prefer auto from Windows" says \
	"accepted: no uplink is preferred, the policy's order; the tunnel runs over up0" \
	winq prefer auto --netvm "$LAB_WORK_ROUTER"
# ---- (f) the window's netvm line ----
# The status thread asks at once, then every 10 s: wait for its first
# answer (the line says "Netvm: asking ..." until then).
netvm_line() { ip netns exec "$NS_WORK" wine "$EXE" tray --read </dev/null 2>/dev/null | tr -d '\r' | sed -n 2p; }
netvm_answered() { local l; l=$(netvm_line); [ -n "$l" ] && [ "${l#Netvm: asking}" = "$l" ]; }
lab_wait_for -t 60 netvm_answered
check "(f) the window's netvm line: the tunnel's last handshake, no presence check in this policy" bash -c \
	"l=\$($(declare -f netvm_line); EXE='$EXE' NS_WORK='$NS_WORK' netvm_line); echo \"\$l\";
	 grep -qxE 'Tunnel: up, last handshake [0-9]+ s ago\. No presence check\.' <<<\"\$l\""

# ---- (g) silent peers: every client call of the .exe has a bound ----
SILENT_TCP=51900 SILENT_UDP=51901
ip netns exec "$NS_WORK" python3 -c '
import socket, sys
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", int(sys.argv[1])))
t.listen(16)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", int(sys.argv[2])))
held = []
while True:
    c, _ = t.accept()
    held.append(c)
' "$SILENT_TCP" "$SILENT_UDP" &
SILENT=$!
tcp_in() { ip netns exec "$NS_WORK" ss -Hltn "sport = :$SILENT_TCP" | grep -q .; }
lab_wait_for -t 10 tcp_in
check "(g) uplinks, the netvm silent: given up after --timeout-ms, one line" says \
	"Uplinks unknown: the netvm does not answer on the work link (127.0.0.1 port $SILENT_TCP)." \
	winq uplinks --netvm 127.0.0.1 --ctl-port "$SILENT_TCP" --timeout-ms 1000
silent_menu() {
	local out
	out=$(win tray --menu --netvm 127.0.0.1 --ctl-port "$SILENT_TCP" </dev/null 2>&1 | tr -d '\r')
	printf '%s\n' "$out"
	[ "$out" = "[ ] Uplinks unknown: the netvm does not answer on the work link (127.0.0.1 port $SILENT_TCP) (greyed)" ]
}
check "(g) the tray's menu, the netvm silent: greyed, says so" silent_menu
check "(g) a sign-on, the relay silent: given up, the verifier unreachable" says \
	"Verifier unreachable: the netvm does not answer on the work link; LGWAN stays closed, try again later." \
	win login --otp --user s1001 --netvm 127.0.0.1 --port "$SILENT_UDP" --code-fd 0 --pin-fd 0 \
	--timeout-ms 1000 --state-dir 'Z:'"$tmp"'/state-silent' < <(printf '%s\n%s\n' "$CODE" "$PIN")
kill "$SILENT" 2>/dev/null; wait "$SILENT" 2>/dev/null

ip netns exec "$NS_WORK" env WINEPREFIX="$tmp/wine" wineserver -k 2>/dev/null
wait "$TRAY" 2>/dev/null
tap_done
