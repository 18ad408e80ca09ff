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
#      Windows is answered by sekishod's frontend on the work link.
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
XVFB=
cleanup() {
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
ip netns exec "$NS_WORK" wine "$EXE" tray --state-dir "$STATE" </dev/null >"$tmp/tray.out" 2>&1 &
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
ip netns exec "$NS_WORK" env WINEPREFIX="$tmp/wine" wineserver -k 2>/dev/null
wait "$TRAY" 2>/dev/null
tap_done
