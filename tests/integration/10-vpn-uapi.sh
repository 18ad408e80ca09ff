#!/bin/bash
# vpn/ against a real wireguard-go: two network namespaces joined by a veth
# pair (192.0.2.0/24), one tunnel between them (10.201.0.0/24), both ends
# configured through the library (build/wg_live). Every value set is read
# back twice, through the library and through `wg show dump`, and compared
# with what was set; then traffic goes through the tunnel and the handshake
# time and byte counters are read back and cross-checked between the two
# ends. Names carry a per-run prefix; nothing is configured outside the two
# namespaces except the UAPI sockets in /var/run/wireguard, removed on exit.
set -u
cd "$(dirname "$0")/../.."
B=${B:-build}
WG_LIVE=$B/wg_live
WG_LIVE_T=$B/test/wg_live	# with the test hook $SEKISHO_WG_USERSPACE (vpn/wg.c)

P=skv$RANDOM
NS1=$P-1 NS2=$P-2
IF1=${P}a IF2=${P}b
PORT1=51820 PORT2=51821
T0=$(date +%s)
TMP=$(mktemp -d)
n=0 failed=0
live_pids=() wggo_pids=()

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
fatal() { not_ok "$*"; exit 1; }
# eq DESC GOT WANT: exact comparison, the difference shown on failure.
eq() {
	if [ "$2" == "$3" ]; then ok "$1"; return 0; fi
	not_ok "$1"
	diff <(echo "$3") <(echo "$2") | sed 's/^/#   /'
	return 1
}
n1() { ip netns exec "$NS1" "$@"; }
n2() { ip netns exec "$NS2" "$@"; }

cleanup() {
	local pid
	for pid in "${live_pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${live_pids[@]}"; do wait "$pid" 2>/dev/null; done
	# wireguard-go outliving its wg_live (which only a SIGKILL would do).
	for pid in "${wggo_pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
	ip netns del "$NS1" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	rm -f "/var/run/wireguard/$IF1.sock" "/var/run/wireguard/$IF2.sock"
	rm -rf "$TMP" "${PUB:-}"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: polls every 0.1 s.
wait_for() {
	local i tries=$(($1 * 10)); shift
	for ((i = 0; i < tries; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# up NS IF OUT ARGS...: starts `wg_live up` in NS; waits for "ready".
up() {
	local ns=$1 ifname=$2 out=$3 pid; shift 3
	ip netns exec "$ns" "$WG_LIVE" up "$ifname" "$@" >"$out" 2>"$out.err" &
	pid=$!
	live_pids+=("$pid")
	eval "LIVE_$ifname=$pid"
	wait_for 10 grep -qsx ready "$out"
	local rc=$?
	wggo_pids+=($(awk '$1 == "child" { print $2 }' "$out"))
	if [ $rc -ne 0 ]; then
		sed 's/^/#   /' "$out" "$out.err"
		return 1
	fi
}

# The configuration as sorted "facts", from `wg show dump` ...
dump_facts() {
	ip netns exec "$1" wg show "$2" dump | awk -F'\t' '
	NR == 1 { print "device public " $2; print "device port " $3; next }
	{
		print "peer " $1 " endpoint " $3
		n = split($4, a, ",")
		for (i = 1; i <= n; i++) if (a[i] != "(none)") print "peer " $1 " allowed " a[i]
		print "peer " $1 " keepalive " ($8 == "off" ? 0 : $8)
	}' | sort
}
# ... from wg_live's output ...
live_facts() {
	awk '
	$1 == "public_key" { print "device public " $2 }
	$1 == "listen_port" { print "device port " $2 }
	$1 == "peer" { p = $2 }
	$1 == "endpoint" { print "peer " p " endpoint " $2 }
	$1 == "allowed_ip" { print "peer " p " allowed " $2 }
	$1 == "keepalive" { print "peer " p " keepalive " $2 }' "$1" | sort
}
# ... and from what was set: PUB PORT, then per peer: PUB EP KA ALLOWED...
want_facts() {
	{
		echo "device public $1"; echo "device port $2"; shift 2
		while [ $# -gt 0 ]; do
			local pub=$1 ep=$2 ka=$3; shift 3
			echo "peer $pub endpoint $ep"; echo "peer $pub keepalive $ka"
			while [ $# -gt 0 ] && [ "$1" != "--" ]; do echo "peer $pub allowed $1"; shift; done
			[ $# -gt 0 ] && shift
		done
	} | sort
}
# peer_field FILE PEER KEY: one runtime field of one peer in wg_live's output.
peer_field() {
	awk -v p="$2" -v k="$3" '$1 == "peer" { cur = $2 } cur == p && $1 == k { print $2 }' "$1"
}
# dump_field NS IF PEER COLUMN
dump_field() {
	ip netns exec "$1" wg show "$2" dump | awk -F'\t' -v p="$3" -v c="$4" 'NR > 1 && $1 == p { print $c }'
}

# --- prerequisites, keys, topology ---
missing=""
[ "$(id -u)" = 0 ] || missing="$missing root"
for c in wireguard-go wg ip ss ping; do command -v $c >/dev/null || missing="$missing $c"; done
[ -x "$WG_LIVE" ] || missing="$missing $WG_LIVE"
[ -z "$missing" ] || fatal "prerequisites: missing$missing"
ok "prerequisites (run prefix $P)"

(umask 077; wg genkey >"$TMP/k1"; wg genkey >"$TMP/k2"; wg genkey >"$TMP/k3")
chmod 0600 "$TMP"/k?
PRIV1=$(cat "$TMP/k1") PRIV2=$(cat "$TMP/k2")
PUB1=$(wg pubkey <"$TMP/k1") PUB2=$(wg pubkey <"$TMP/k2") PUB3=$(wg pubkey <"$TMP/k3")

ip netns add "$NS1" && ip netns add "$NS2" &&
	ip -n "$NS1" link add v1 type veth peer name v2 netns "$NS2" &&
	ip -n "$NS1" addr add 192.0.2.1/24 dev v1 &&
	ip -n "$NS2" addr add 192.0.2.2/24 dev v2 &&
	ip -n "$NS1" link set v1 up && ip -n "$NS2" link set v2 up &&
	ip -n "$NS1" link set lo up && ip -n "$NS2" link set lo up &&
	wait_for 5 n1 ping -c 1 -W 1 192.0.2.2 >/dev/null ||
	fatal "namespaces $NS1, $NS2 joined by veth"
ok "namespaces $NS1, $NS2 joined by veth"

# --- which backend AUTO picks agrees with what the kernel offers ---
if ip -n "$NS1" link add "${P}k" type wireguard 2>/dev/null; then
	ip -n "$NS1" link del "${P}k"; kernel=kernel
else
	kernel=userspace
fi
eq "AUTO resolves the genetlink family exactly when the kernel has WireGuard" \
	"$("$WG_LIVE" auto)" "$kernel"
if [ "$kernel" = userspace ]; then
	if n1 "$WG_LIVE" create "${P}c" --backend kernel >"$TMP/kc" 2>&1; then
		not_ok "kernel backend refused without the module"
	else
		eq "kernel backend refused without the module" "$(cat "$TMP/kc")" \
			"wg_live: wg_create: Operation not supported"
	fi
fi

# --- the installed build: the environment does not choose what root starts ---
# (vpn/wg.c honours $SEKISHO_WG_USERSPACE in the test build only: with the
# hook in every build, /bin/false is started here and the create fails.)
# wg_live stops the wireguard-go it started before it exits.
out=$(SEKISHO_WG_USERSPACE=/bin/false n1 "$WG_LIVE" create "${P}e" --backend userspace 2>&1 |
	sed 's/^child [1-9][0-9]*$/child PID/')
eq "installed build: SEKISHO_WG_USERSPACE=/bin/false ignored, wireguard-go answers" \
	"$out" "$(printf 'child PID\nbackend userspace')"

# --- wg_create when the userspace program fails (the test build's hook) ---
out=$(SEKISHO_WG_USERSPACE=$TMP/none n1 "$WG_LIVE_T" create "${P}x" 2>&1 | tail -n 1)
eq "userspace program missing" "$out" "wg_live: wg_create: No such file or directory"
out=$(SEKISHO_WG_USERSPACE=/bin/false n1 "$WG_LIVE_T" create "${P}x" 2>&1 | tail -n 1)
eq "userspace program exits at once" "$out" "wg_live: wg_create: No child processes"
# The program runs as _sekisho-wg (vpn/wg_userspace.c): it must be able to
# reach its file, and it cannot write into ours, so it tells its pid on
# its standard output (which it shares with wg_live).
PUB=$(mktemp -d /tmp/skv-pub.XXXXXX) && chmod 0755 "$PUB"
printf '#!/bin/sh\necho "linger $$"\nexec sleep 30\n' >"$PUB/linger"
chmod 0755 "$PUB/linger"
start=$(date +%s%N)
SEKISHO_WG_USERSPACE=$PUB/linger n1 "$WG_LIVE_T" create "${P}x" >"$TMP/linger.out" 2>&1
out=$(tail -n 1 "$TMP/linger.out")
ms=$((($(date +%s%N) - start) / 1000000))
eq "userspace program that never answers" "$out" "wg_live: wg_create: Connection timed out"
[ $ms -ge 3000 ] && [ $ms -lt 6000 ] && ok "... given up after 3 s ($ms ms)" ||
	not_ok "... given up after 3 s ($ms ms)"
lpid=$(awk '$1 == "linger" { print $2 }' "$TMP/linger.out")
[ -n "$lpid" ] && ! kill -0 "$lpid" 2>/dev/null && ok "... and stopped" ||
	{ not_ok "... and stopped"; [ -n "$lpid" ] && kill "$lpid"; }

# --- end 2: one peer, no keepalive; everything zero before any traffic ---
up "$NS2" "$IF2" "$TMP/up2" --private-key "$TMP/k2" --listen-port $PORT2 \
	--peer "$PUB1" --endpoint 192.0.2.1:$PORT1 \
	--allowed-ip 10.201.0.1/32 --allowed-ip fd00:201::1/128 ||
	fatal "wg_live up $IF2 in $NS2"
ok "wg_live up $IF2 in $NS2 (wireguard-go pid ${wggo_pids[0]:-?})"
[ "${wggo_pids[0]:-0}" -gt 0 ] && ok "a new interface has a child to supervise" ||
	not_ok "a new interface has a child to supervise"
eq "$IF2: library read-back, exact" "$(sed '/^child /d' "$TMP/up2")" "interface $IF2
backend userspace
private_key (hidden)
public_key $PUB2
listen_port $PORT2
peer $PUB1
  endpoint 192.0.2.1:$PORT1
  allowed_ip 10.201.0.1/32
  allowed_ip fd00:201::1/128
  keepalive 0
  last_handshake 0
  rx_bytes 0
  tx_bytes 0
ready"
eq "$IF2: wg dump device line (private key, public key, port, fwmark)" \
	"$(n2 wg show "$IF2" dump | head -n 1)" "$PRIV2	$PUB2	$PORT2	off"
eq "$IF2: wg dump peer line" "$(n2 wg show "$IF2" dump | tail -n +2)" \
	"$PUB1	(none)	192.0.2.1:$PORT1	10.201.0.1/32,fd00:201::1/128	0	0	0	off"
ip -n "$NS2" addr add 10.201.0.2/24 dev "$IF2" && ip -n "$NS2" link set "$IF2" up &&
	wait_for 5 sh -c "ip netns exec $NS2 ss -Hlun 'sport = :$PORT2' | grep -q ." ||
	fatal "$IF2 up and listening on $PORT2"

# --- end 1: two peers (one without endpoint); keepalive comes later ---
up "$NS1" "$IF1" "$TMP/up1" --private-key "$TMP/k1" --listen-port $PORT1 \
	--peer "$PUB2" --endpoint 192.0.2.2:$PORT2 \
	--allowed-ip 10.201.0.2/32 --allowed-ip fd00:201::2/128 \
	--peer "$PUB3" --allowed-ip 10.99.0.0/16 --allowed-ip 10.98.0.0/15 ||
	fatal "wg_live up $IF1 in $NS1"
ok "wg_live up $IF1 in $NS1"
want1=$(want_facts "$PUB1" $PORT1 \
	"$PUB2" 192.0.2.2:$PORT2 0 10.201.0.2/32 fd00:201::2/128 -- \
	"$PUB3" "(none)" 0 10.99.0.0/16 10.98.0.0/15)
eq "$IF1: wg dump agrees with what was set" "$(dump_facts "$NS1" "$IF1")" "$want1"
eq "$IF1: library read-back agrees with what was set" "$(live_facts "$TMP/up1")" "$want1"
eq "$IF1: wg dump private key is the key file's" \
	"$(n1 wg show "$IF1" dump | head -n 1 | cut -f 1)" "$PRIV1"
if grep -qF -e "$PRIV1" -e "$PRIV2" "$TMP/up1" "$TMP/up1.err" "$TMP/up2" "$TMP/up2.err"; then
	not_ok "no private key in wg_live's output"
else
	ok "no private key in wg_live's output"
fi
ip -n "$NS1" addr add 10.201.0.1/24 dev "$IF1" && ip -n "$NS1" link set "$IF1" up ||
	fatal "$IF1 up"

# An update without REPLACE: keepalive on, nothing else changes.
n1 "$WG_LIVE" set "$IF1" --peer "$PUB2" --keepalive 25 >"$TMP/set1" 2>&1 ||
	not_ok "wg_live set keepalive: $(cat "$TMP/set1")"
want1=$(want_facts "$PUB1" $PORT1 \
	"$PUB2" 192.0.2.2:$PORT2 25 10.201.0.2/32 fd00:201::2/128 -- \
	"$PUB3" "(none)" 0 10.99.0.0/16 10.98.0.0/15)
eq "$IF1: keepalive set, the rest unchanged (wg dump)" "$(dump_facts "$NS1" "$IF1")" "$want1"
eq "$IF1: keepalive set, the rest unchanged (library)" "$(live_facts "$TMP/set1")" "$want1"

# --- traffic ---
if n1 ping -c 3 -i 0.2 -W 5 -w 20 10.201.0.2 >"$TMP/ping" 2>&1; then
	ok "ping through the tunnel"
else
	not_ok "ping through the tunnel"; sed 's/^/#   /' "$TMP/ping"
fi

# Counters settle once nothing is in flight: what one end sent, the other
# received, to the byte; and the library reads what wg reads.
settled=0
for try in 1 2 3 4 5 6; do
	n1 "$WG_LIVE" show "$IF1" >"$TMP/s1" 2>&1
	n2 "$WG_LIVE" show "$IF2" >"$TMP/s2" 2>&1
	tx1=$(peer_field "$TMP/s1" "$PUB2" tx_bytes) rx1=$(peer_field "$TMP/s1" "$PUB2" rx_bytes)
	tx2=$(peer_field "$TMP/s2" "$PUB1" tx_bytes) rx2=$(peer_field "$TMP/s2" "$PUB1" rx_bytes)
	d1="$(dump_field "$NS1" "$IF1" "$PUB2" 6) $(dump_field "$NS1" "$IF1" "$PUB2" 7)"
	d2="$(dump_field "$NS2" "$IF2" "$PUB1" 6) $(dump_field "$NS2" "$IF2" "$PUB1" 7)"
	if [ -n "$tx1" ] && [ "$tx1" = "$rx2" ] && [ "$rx1" = "$tx2" ] &&
		[ "$d1" = "$rx1 $tx1" ] && [ "$d2" = "$rx2 $tx2" ]; then
		settled=1; break
	fi
	sleep 1
done
if [ $settled = 1 ]; then
	ok "bytes: $IF1 sent $tx1 = $IF2 received; $IF2 sent $tx2 = $IF1 received; wg dump agrees"
else
	not_ok "byte counters: $IF1 tx=$tx1 rx=$rx1 ($d1), $IF2 tx=$tx2 rx=$rx2 ($d2)"
fi
# At least a handshake initiation (148) and three echo requests (128 each
# on the wire), a response (92) and three replies.
[ "${tx1:-0}" -ge $((148 + 3 * 128)) ] && [ "${rx1:-0}" -ge $((92 + 3 * 128)) ] &&
	ok "counters cover the handshake and three echoes ($tx1 >= 532, $rx1 >= 476)" ||
	not_ok "counters cover the handshake and three echoes (tx=$tx1 rx=$rx1)"
now=$(date +%s)
for end in "1 $IF1 $PUB2 $NS1" "2 $IF2 $PUB1 $NS2"; do
	set -- $end
	hs=$(peer_field "$TMP/s$1" "$3" last_handshake)
	sec=${hs%%.*}
	if [ "${sec:-0}" -ge "$T0" ] && [ "$sec" -le "$now" ]; then
		ok "$2: last handshake $hs within this run [$T0, $now]"
	else
		not_ok "$2: last handshake '$hs' within this run [$T0, $now]"
	fi
	eq "$2: handshake second, library = wg dump" "$sec" "$(dump_field "$4" "$2" "$3" 5)"
done

# --- reuse: a restarted daemon resumes the live tunnel ---
eq "wg_create on a live interface reuses it (userspace)" \
	"$(n1 "$WG_LIVE" create "$IF1" --backend userspace 2>&1)" "child 0
backend userspace"
eq "wg_create on a live interface reuses it (auto)" \
	"$(n1 "$WG_LIVE" create "$IF1" --backend auto 2>&1)" "child 0
backend userspace"
eq "the tunnel survived the reuse" "$(n1 "$WG_LIVE" show "$IF1" | live_facts /dev/stdin)" "$want1"

# --- removing one peer, then replacing everything ---
n1 "$WG_LIVE" set "$IF1" --peer "$PUB3" --remove >"$TMP/set2" 2>&1
want1=$(want_facts "$PUB1" $PORT1 \
	"$PUB2" 192.0.2.2:$PORT2 25 10.201.0.2/32 fd00:201::2/128)
eq "$IF1: peer removed (wg dump)" "$(dump_facts "$NS1" "$IF1")" "$want1"
rx_after=$(peer_field "$TMP/set2" "$PUB2" rx_bytes)
[ "${rx_after:-0}" -ge "${rx1:-1}" ] && ok "$IF1: the other peer kept its session ($rx_after >= $rx1)" ||
	not_ok "$IF1: the other peer kept its session ($rx_after >= $rx1)"
n1 "$WG_LIVE" set "$IF1" --listen-port 51830 --replace-peers \
	--peer "$PUB3" --endpoint "[2001:db8::3]:4500" --keepalive 7 --allowed-ip 10.97.0.0/16 \
	>"$TMP/set3" 2>&1
want1=$(want_facts "$PUB1" 51830 "$PUB3" "[2001:db8::3]:4500" 7 10.97.0.0/16)
eq "$IF1: replace_peers (wg dump)" "$(dump_facts "$NS1" "$IF1")" "$want1"
eq "$IF1: replace_peers (library)" "$(live_facts "$TMP/set3")" "$want1"
n1 "$WG_LIVE" set "$IF1" --peer "$PUB3" --keepalive 7 --replace-allowed-ips \
	--allowed-ip 10.96.0.0/12 --allowed-ip fd00:96::/32 >"$TMP/set4" 2>&1
want1=$(want_facts "$PUB1" 51830 "$PUB3" "[2001:db8::3]:4500" 7 10.96.0.0/12 fd00:96::/32)
eq "$IF1: replace_allowed_ips (wg dump)" "$(dump_facts "$NS1" "$IF1")" "$want1"
# wg.h: a peer's keepalive is always set (0 = off); its endpoint only when given.
n1 "$WG_LIVE" set "$IF1" --peer "$PUB3" --allowed-ip 10.95.0.0/16 >"$TMP/set5" 2>&1
want1=$(want_facts "$PUB1" 51830 "$PUB3" "[2001:db8::3]:4500" 0 10.96.0.0/12 fd00:96::/32 \
	10.95.0.0/16)
eq "$IF1: an update adds allowed IPs, keeps the endpoint, sets keepalive" \
	"$(dump_facts "$NS1" "$IF1")" "$want1"
out=$(n1 "$WG_LIVE" set "$IF1" --peer "$PUB3" --allowed-ip 10.0.0.0/33 2>&1)
eq "an invalid configuration is refused before it is sent" "$out" "wg_live: 10.0.0.0/33: Invalid argument"

# --- delete: wireguard-go leaves, its supervisor reports it ---
n1 "$WG_LIVE" delete "$IF1" && ok "wg_delete $IF1" || not_ok "wg_delete $IF1"
eval "pid=\$LIVE_$IF1"
if wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"; then
	wait "$pid"; rc=$?
	eq "$IF1: wireguard-go exited, its supervisor with status 0" \
		"$rc $(tail -n 1 "$TMP/up1")" "0 wireguard-go exited status 0"
else
	not_ok "$IF1: wireguard-go exited after wg_delete"
fi
ip -n "$NS1" link show "$IF1" >/dev/null 2>&1 && not_ok "$IF1 gone" || ok "$IF1 gone"
[ -e "/var/run/wireguard/$IF1.sock" ] && not_ok "$IF1 socket gone" || ok "$IF1 socket gone"
eq "$IF1: backend of a deleted interface" "$("$WG_LIVE" backend "$IF1")" kernel
n1 "$WG_LIVE" show "$IF1" >/dev/null 2>&1 && not_ok "wg_get on a deleted interface fails" ||
	ok "wg_get on a deleted interface fails"

# --- SIGTERM to the supervisor stops wireguard-go and removes the interface ---
eval "pid=\$LIVE_$IF2"
kill -TERM "$pid"; wait "$pid"; rc=$?
eq "$IF2: supervisor stopped by SIGTERM" "$rc $(tail -n 1 "$TMP/up2")" "0 stopped"
wait_for 5 sh -c "! ip -n $NS2 link show $IF2 >/dev/null 2>&1" && ok "$IF2 gone" || not_ok "$IF2 gone"
kill -0 "${wggo_pids[0]}" 2>/dev/null && not_ok "$IF2: wireguard-go reaped" || ok "$IF2: wireguard-go reaped"

echo "1..$n"
[ $failed -eq 0 ]
