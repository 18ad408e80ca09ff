#!/bin/bash
# sekisho-beacon live, in a network namespace of this run's own: the probe
# verifies it (and a rotated key); malformed, truncated, oversized,
# wrong-version, off-link and reflected packets get no answer within 300 ms;
# an impostor beacon and a replayer of genuine answers are refused with the
# exact reason; the rate limits hold to the packet; key files with loose
# modes or the wrong owner stop the daemon with one exact line; and the
# daemon's own counters at SIGTERM match what was sent.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"

B=${B:-build}
BEACON=$PWD/$B/sekisho-beacon
PROBE=$PWD/$B/sekisho-beacon-probe
KEYGEN=$PWD/$B/sekisho-beacon-keygen
for f in "$BEACON" "$PROBE" "$KEYGEN"; do
	[ -x "$f" ] || { echo "not ok 1 - $f is not built (make tools)"; exit 1; }
done

DIR=$(mktemp -d "${TMPDIR:-/tmp}/skb-test.XXXXXX")
chmod 755 "$DIR"
NS=
for _ in 1 2 3 4 5 6 7 8; do
	cand="skb$RANDOM"
	if ip netns add "$cand" 2>/dev/null; then NS=$cand; break; fi
done
cleanup() {
	local p
	if [ -n "$NS" ]; then
		for p in $(ip netns pids "$NS" 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
		sleep 0.2
		for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$NS"
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT
[ -n "$NS" ] || { echo "not ok 1 - could not create a network namespace"; exit 1; }
ip -n "$NS" link set lo up
nsx() { ip netns exec "$NS" "$@"; }

# ---- helpers --------------------------------------------------------------
# udp.py DST PORT KIND [--ttl N] [--src A] [--count N] [--sources N]: sends
# KIND (see below) and prints "replies=N lengths=..." after 300 ms of quiet.
cat >"$DIR/udp.py" <<'EOF'
import argparse, ipaddress, select, socket, sys, time
ap = argparse.ArgumentParser()
ap.add_argument("dst"); ap.add_argument("port", type=int); ap.add_argument("kind")
ap.add_argument("--ttl", type=int, default=255); ap.add_argument("--src")
ap.add_argument("--count", type=int, default=1); ap.add_argument("--sources", type=int, default=1)
ap.add_argument("--wait", type=int, default=300)
a = ap.parse_args()
def hdr(t=1, v=1, fl=b"\0\0"): return b"SKB1" + bytes([v, t]) + fl
nonce = bytes(range(32))
ch = hdr() + nonce + bytes(104)
kinds = {
	"challenge": ch, "empty": b"", "short40": hdr() + nonce, "short143": ch[:143],
	"long145": ch + b"\0", "long1000": ch + bytes(856), "version0": hdr(v=0) + ch[8:],
	"version2": hdr(v=2) + ch[8:], "type2": hdr(t=2) + ch[8:], "type3": hdr(t=3) + ch[8:],
	"flags": hdr(fl=b"\0\x01") + ch[8:], "flags-high": hdr(fl=b"\x80\0") + ch[8:],
	"padding": ch[:-1] + b"\x01", "magic": b"SKB2" + ch[4:], "garbage": bytes((i * 73 + 11) & 0xff for i in range(144)),
}
# Each kind differs from a challenge in one thing only: all but the length
# cases are exactly 144 bytes.
for k, v in kinds.items():
	assert len(v) == 144 or k in ("empty", "short40", "short143", "long145", "long1000"), k
payload = open(a.kind[5:], "rb").read() if a.kind.startswith("file:") else kinds[a.kind]
fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
socks = []
for i in range(a.sources):
	s = socket.socket(fam, socket.SOCK_DGRAM)
	if fam == socket.AF_INET:
		s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, a.ttl)
		if a.src: s.bind((str(ipaddress.ip_address(a.src) + i), 0))
	else:
		s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, a.ttl)
	s.setblocking(False)
	socks.append(s)
for i in range(a.count):
	socks[i % len(socks)].sendto(payload, (a.dst, a.port))
lengths = []
deadline = time.monotonic() + a.wait / 1000
while True:
	left = deadline - time.monotonic()
	if left <= 0: break
	r, _, _ = select.select(socks, [], [], left)
	for s in r:
		try: lengths.append(len(s.recv(65536)))
		except OSError: pass
print("replies=%d lengths=%s" % (len(lengths), ",".join(map(str, sorted(lengths)))))
EOF
udp() { nsx python3 "$DIR/udp.py" "$@"; }

# expect WANT CMD...: CMD's output (stdout and stderr) must be exactly WANT.
expect() {
	local want=$1 got
	shift
	got=$("$@" 2>&1)
	[ "$got" = "$want" ] && return 0
	printf 'want: %s\ngot:  %s\n' "$want" "$got"
	return 1
}
# expect_fail WANT CMD...: as expect, and CMD must exit 1.
expect_fail() {
	local want=$1 got rc
	shift
	got=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && [ "$got" = "$want" ] && return 0
	printf 'want (exit 1): %s\ngot (exit %d):  %s\n' "$want" "$rc" "$got"
	return 1
}
# expect_match REGEX CMD...: CMD succeeds and its output matches REGEX.
expect_match() {
	local re=$1 got
	shift
	got=$("$@" 2>&1) || { echo "failed: $got"; return 1; }
	[[ "$got" =~ $re ]] && return 0
	printf 'want /%s/\ngot:  %s\n' "$re" "$got"
	return 1
}

# beacon_start NAME ARGS...: the daemon in the foreground of a background
# job (not in a subshell: $! is the daemon), its log in $DIR/NAME.log.
# beacon_listening NAME: waits until it listens.
beacon_start() {
	local name=$1
	shift
	ip netns exec "$NS" "$BEACON" -d "$@" >"$DIR/$name.log" 2>&1 &
	eval "PID_${name//-/_}=$!"
}
beacon_listening() {
	for _ in $(seq 1 50); do
		grep -q 'listening on' "$DIR/$1.log" && return 0
		sleep 0.1
	done
	cat "$DIR/$1.log"
	return 1
}
pid_of() { local v="PID_${1//-/_}"; echo "${!v}"; }

# ---- keys -------------------------------------------------------------------
KEY=$DIR/beacon.key
keygen_ok() {
	PUB=$("$KEYGEN" "$KEY") || return 1
	[ "$(stat -c '%a %u' "$KEY")" = "600 0" ] || { stat -c '%a %u' "$KEY"; return 1; }
	[[ "$PUB" =~ ^[A-Za-z0-9+/]{43}=$ ]] || { echo "public key: $PUB"; return 1; }
	[ "$("$KEYGEN" -p "$KEY")" = "$PUB" ]
}
check "keygen writes a 0600 root key and prints its public key" keygen_ok
PUB=$("$KEYGEN" -p "$KEY")
check "keygen never overwrites an existing key" expect_fail \
	"sekisho-beacon-keygen: key file $KEY: File exists" "$KEYGEN" "$KEY"
IMP_KEY=$DIR/impostor.key NEXT_KEY=$DIR/next.key
IMP_PUB=$("$KEYGEN" "$IMP_KEY")
NEXT_PUB=$("$KEYGEN" "$NEXT_KEY")

# ---- configuration and key file checks ------------------------------------------
check "-n accepts a good configuration" expect "configuration OK" \
	"$BEACON" -n -k "$KEY" -i tokyo-3f -l 127.0.0.1:51821
check "-nv prints the public key to pin" bash -c \
	"'$BEACON' -nv -k '$KEY' -i tokyo-3f 2>/dev/null | grep -qxF 'public-key $PUB'"

cp "$KEY" "$DIR/loose.key"; chmod 0644 "$DIR/loose.key"
check "key file mode 0644: exit 1 with one exact line" expect_fail \
	"sekisho-beacon: key file $DIR/loose.key: accessible by group or others (mode 0644), must be 0600" \
	timeout 5 "$BEACON" -d -k "$DIR/loose.key" -i tokyo-3f -l 127.0.0.1:51899
cp "$KEY" "$DIR/group.key"; chmod 0640 "$DIR/group.key"
check "key file mode 0640: refused" expect_fail \
	"sekisho-beacon: key file $DIR/group.key: accessible by group or others (mode 0640), must be 0600" \
	timeout 5 "$BEACON" -n -k "$DIR/group.key" -i tokyo-3f
cp "$KEY" "$DIR/nobody.key"; chown 65534:65534 "$DIR/nobody.key"
check "key file not owned by root: exit 1 with one exact line" expect_fail \
	"sekisho-beacon: key file $DIR/nobody.key: owned by uid 65534, must be 0" \
	timeout 5 "$BEACON" -d -k "$DIR/nobody.key" -i tokyo-3f -l 127.0.0.1:51899
ln -s "$KEY" "$DIR/link.key"
check "key file behind a symlink: refused" expect_fail \
	"sekisho-beacon: key file $DIR/link.key: a symbolic link, must be a regular file" \
	timeout 5 "$BEACON" -n -k "$DIR/link.key" -i tokyo-3f
check "missing key file: refused" expect_fail \
	"sekisho-beacon: key file $DIR/none.key: No such file or directory" \
	timeout 5 "$BEACON" -n -k "$DIR/none.key" -i tokyo-3f
check "malformed beacon id: refused" expect_fail \
	"sekisho-beacon: beacon id \"Tokyo_3F\": must be 1 to 32 characters of a-z, 0-9 and '-', not starting with '-'" \
	timeout 5 "$BEACON" -n -k "$KEY" -i Tokyo_3F
check "private key never in the daemon's output" bash -c \
	"! '$BEACON' -nv -k '$KEY' -i tokyo-3f 2>&1 | grep -qF '$(cat "$KEY")'"

# ---- the genuine beacon ---------------------------------------------------------
beacon_start main -k "$KEY" -i tokyo-3f -l 127.0.0.1:51821 -r 1000 -R 1000
check "beacon starts (limits raised for the functional checks)" beacon_listening main
ANSWERED=0 MALFORMED=0 OFFLINK=0
runs_sandboxed() {	# its own user, no capability, no_new_privs, seccomp (lib/sandbox.h)
	local st="/proc/$(pid_of main)/status" u
	u=$(id -u _sekisho-beacon) || return 1
	grep -qE "^Uid:\s+$u\s+$u\s+$u\s+$u\$" "$st" &&
		grep -qE '^CapEff:\s+0+$' "$st" && grep -qE '^CapBnd:\s+0+$' "$st" &&
		grep -qE '^NoNewPrivs:\s+1$' "$st" && grep -qE '^Seccomp:\s+2$' "$st"
}
check "started as root, it runs as _sekisho-beacon, no capability, no_new_privs, seccomp" runs_sandboxed

check "probe verifies the beacon" expect_match \
	'^verified beacon tokyo-3f \(key 1\) in [0-9]+\.[0-9] ms$' \
	nsx "$PROBE" -p "$PUB" 127.0.0.1:51821
ANSWERED=$((ANSWERED + 1))
check "rotation: the second pinned key verifies it" expect_match \
	'^verified beacon tokyo-3f \(key 2\) in [0-9.]+ ms$' \
	nsx "$PROBE" -p "$NEXT_PUB" -p "$PUB" 127.0.0.1
ANSWERED=$((ANSWERED + 1))
check "probe with a wrong pinned key: refused with the reason" expect_fail \
	"rejected: signature does not verify under any pinned key" \
	nsx "$PROBE" -t 300 -p "$NEXT_PUB" 127.0.0.1
ANSWERED=$((ANSWERED + 1))
check "the raw helper gets one 144-byte answer to a well-formed challenge" \
	expect "replies=1 lengths=144" udp 127.0.0.1 51821 challenge
ANSWERED=$((ANSWERED + 1))

for kind in empty short40 short143 long145 long1000 version0 version2 type2 type3 \
    flags flags-high padding magic garbage; do
	check "no answer within 300 ms: $kind" expect "replies=0 lengths=" \
		udp 127.0.0.1 51821 "$kind"
	MALFORMED=$((MALFORMED + 1))
done
check "no answer within 300 ms: a challenge from off-link (TTL 64)" \
	expect "replies=0 lengths=" udp 127.0.0.1 51821 challenge --ttl 64
OFFLINK=$((OFFLINK + 1))
check "probe saves the genuine answer it verified" expect_match '^verified beacon' \
	nsx "$PROBE" -p "$PUB" -o "$DIR/captured.bin" 127.0.0.1
ANSWERED=$((ANSWERED + 1))
check "no answer within 300 ms: its own answer reflected back to it" \
	expect "replies=0 lengths=" udp 127.0.0.1 51821 "file:$DIR/captured.bin"
MALFORMED=$((MALFORMED + 1))

# ---- impostor and replayer ---------------------------------------------------------
beacon_start impostor -k "$IMP_KEY" -i tokyo-3f -l 127.0.0.2
check "impostor beacon (its own key) starts on 127.0.0.2" beacon_listening impostor
check "impostor: probe says the exact reason and fails" expect_fail \
	"rejected: signature does not verify under any pinned key" \
	nsx "$PROBE" -t 300 -p "$PUB" 127.0.0.2
check "impostor pinned instead: it verifies (the key is all that differs)" expect_match \
	'^verified beacon tokyo-3f \(key 1\)' nsx "$PROBE" -p "$IMP_PUB" 127.0.0.2

cat >"$DIR/replayer.py" <<'EOF'
import socket, sys
pkt = open(sys.argv[1], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.3", 51821))
print("replaying", flush=True)
while True:
	_, peer = s.recvfrom(2048)
	s.sendto(pkt, peer)
EOF
nsx python3 "$DIR/replayer.py" "$DIR/captured.bin" >"$DIR/replayer.log" 2>&1 &
replayer_up() { for _ in $(seq 1 50); do grep -q replaying "$DIR/replayer.log" && return 0; sleep 0.1; done; return 1; }
check "replayer of a captured genuine answer starts" replayer_up
check "replayed genuine answer: refused, nonce does not match" expect_fail \
	"rejected: nonce does not match the challenge sent" \
	nsx "$PROBE" -t 300 -a 2 -p "$PUB" 127.0.0.3
check "nothing at the port: probe says so" expect_fail \
	"no beacon at 127.0.0.1:9 (port unreachable)" nsx "$PROBE" -t 300 -p "$PUB" 127.0.0.1:9

# ---- IPv6 -----------------------------------------------------------------------------
beacon_start v6 -k "$KEY" -i tokyo-v6 -l '[::1]:51822'
check "beacon on [::1]:51822 starts" beacon_listening v6
check "probe verifies it over IPv6" expect_match \
	'^verified beacon tokyo-v6 \(key 1\)' nsx "$PROBE" -p "$PUB" '[::1]:51822'
check "IPv6: off-link (hop limit 64) gets no answer" \
	expect "replies=0 lengths=" udp ::1 51822 challenge --ttl 64
check "IPv6: wrong version gets no answer" \
	expect "replies=0 lengths=" udp ::1 51822 version2

# ---- rate limits, to the packet ----------------------------------------------------------
beacon_start src -k "$KEY" -i rl-src -l 127.0.0.4 -r 2/2 -R 0
check "beacon with 2/2 per source starts" beacon_listening src
check "one source, 6 challenges at once: exactly 2 answers" \
	expect "replies=2 lengths=144,144" udp 127.0.0.4 51821 challenge --count 6 --src 127.9.0.1
check "another source still gets its own 2" \
	expect "replies=2 lengths=144,144" udp 127.0.0.4 51821 challenge --count 3 --src 127.9.0.2
beacon_start global -k "$KEY" -i rl-global -l 127.0.0.5 -r 0 -R 3/3
check "beacon with 3/3 global starts" beacon_listening global
check "8 sources at once: exactly 3 answers in all" \
	expect "replies=3 lengths=144,144,144" \
	udp 127.0.0.5 51821 challenge --count 8 --sources 8 --src 127.9.1.1
beacon_start p24 -k "$KEY" -i rl-24 -l 127.0.0.6 -r 1/1 -R 0 -p 24
check "beacon with 1/1 per /24 starts" beacon_listening p24
check "4 addresses of one /24 share a bucket: exactly 1 answer" \
	expect "replies=1 lengths=144" \
	udp 127.0.0.6 51821 challenge --count 4 --sources 4 --src 127.9.2.1

# ---- daemon mode, SIGTERM and the counters ----------------------------------------------------
daemonized() {
	local pid
	nsx "$BEACON" -k "$KEY" -i tokyo-bg -l 127.0.0.7 || return 1
	nsx "$PROBE" -a 3 -t 300 -p "$PUB" 127.0.0.7 | grep -q '^verified beacon tokyo-bg' ||
		return 1
	for pid in $(ip netns pids "$NS"); do
		tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'tokyo-bg' && kill -TERM "$pid"
	done
	return 0
}
check "without -d it detaches, answers, and stops on SIGTERM" daemonized

# Not through check: wait must run in this shell, the daemon's parent.
sigterm_rc=0
kill -TERM "$(pid_of main)"
wait "$(pid_of main)" || sigterm_rc=$?
check "SIGTERM: the beacon exits 0" test "$sigterm_rc" -eq 0
want="sekisho-beacon: $ANSWERED answered; dropped: $MALFORMED malformed, $OFFLINK off-link, 0 source-limited, 0 global-limited, 0 sign-failed, 0 send-failed"
check "its counters are exactly what was sent" bash -c \
	"grep -qxF '$want' '$DIR/main.log' || { echo 'want: $want'; grep answered '$DIR/main.log'; exit 1; }"

tap_done
