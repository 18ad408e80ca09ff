#!/bin/bash
# The sandbox of every helper and agency daemon (lib/sandbox.h), read from
# /proc while each runs, started as the product starts it (as root, with
# the product's arguments; sekisho-policy verify through sekishod's own
# verifier_run): its own user, no capability in any set, no_new_privs,
# seccomp filter mode, not dumpable, RLIMIT_NPROC and RLIMIT_CORE 0. Then
# that a call outside the allow-list kills, that SEKISHO_SANDBOX_DEBUG
# names it, and that Landlock shuts the file system.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/integration/lib.sh
B=${B:-build}
[ -x tests/sandbox-users.sh ] && tests/sandbox-users.sh >/dev/null
NS=sk-sbx-$$
DIR=$(mktemp -d /tmp/sk-sandbox.XXXXXX) && chmod 755 "$DIR"	# the server reads beneath it
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
ip netns add "$NS" && ip -n "$NS" link set lo up

# confined PID USER [exec]: every promise of lib/sandbox.h, as /proc shows
# it. "exec": a program sandboxed before its exec, which the kernel makes
# dumpable again (its RLIMIT_CORE 0 and the filter's ban on ptrace stay).
confined() {
	local pid=$1 user=$2 st="/proc/$1/status" u f
	[ -r "$st" ] || { echo "no process $pid"; return 1; }
	u=$(id -u "$user") || { echo "no user $user"; return 1; }
	grep -qE "^Uid:\s+$u\s+$u\s+$u\s+$u\$" "$st" || { grep ^Uid "$st"; echo "want $user ($u)"; return 1; }
	grep -qE "^Gid:\s+0\s" "$st" && { grep ^Gid "$st"; return 1; }
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -qE "^$f:\s+0+\$" "$st" || { grep "^$f" "$st"; return 1; }
	done
	grep -qE '^NoNewPrivs:\s+1$' "$st" || { grep ^NoNewPrivs "$st"; return 1; }
	grep -qE '^Seccomp:\s+2$' "$st" || { grep ^Seccomp "$st"; return 1; }
	# Not dumpable: its /proc files stay root's although it is not.
	[ "${3:-}" = exec ] || [ "$(stat -c %u "$st")" = 0 ] || { echo "dumpable: $st owned by $(stat -c %U "$st")"; return 1; }
	grep -qE '^Max processes\s+0\s+0\s' "/proc/$pid/limits" || { grep 'Max processes' "/proc/$pid/limits"; return 1; }
	grep -qE '^Max core file size\s+0\s+0\s' "/proc/$pid/limits" || { grep 'Max core' "/proc/$pid/limits"; return 1; }
	return 0
}
# wait_confined PID USER: until the program entered its sandbox (it does
# so once its sockets exist), at most 5 s.
wait_confined() {
	local i
	for i in $(seq 1 50); do
		grep -qE '^Seccomp:\s+2$' "/proc/$1/status" 2>/dev/null && break
		sleep 0.1
	done
	confined "$@"
}
# child_of PID: its one child, once it exists.
child_of() {
	local i c
	for i in $(seq 1 50); do
		c=$(cat "/proc/$1/task/$1/children" 2>/dev/null) && [ -n "$c" ] && { echo "${c%% *}"; return 0; }
		sleep 0.1
	done
	return 1
}

KEY=$("$B/sekisho-beacon-keygen" "$DIR/beacon.key") || echo "# keygen failed"
DEVKEY=$KEY	# any public key will do where a device key is asked for

# ---- sekisho-probe: it opens no socket; it waits for sekishod's next line ---------
printf 'tokyo-3f 127.0.0.1:51830 %s\ngo\n' "$KEY" >"$DIR/targets"
# Its input held open (as sekishod holds its socket): it waits for a nonce.
mkfifo "$DIR/probe.in"
exec 7<>"$DIR/probe.in"
cat "$DIR/targets" >&7
ip netns exec "$NS" "$B/sekisho-probe" -i lo <"$DIR/probe.in" >"$DIR/probe.out" 2>&1 &
P=$!; PIDS+=($P)
check "sekisho-probe: _sekisho-probe, no capability, no_new_privs, seccomp, NPROC 0" \
	wait_confined "$P" _sekisho-probe

# ---- sekisho-fetch: a server that accepts and never answers ----------------------
ip netns exec "$NS" python3 -c 'import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)
s.bind(("127.0.0.1",51831)); s.listen(); c=s.accept(); time.sleep(60)' &
PIDS+=($!)
for _ in $(seq 1 50); do ip netns exec "$NS" ss -Hltn | grep -q ':51831 ' && break; sleep 0.1; done
ip netns exec "$NS" "$B/sekisho-fetch" -s 127.0.0.1:51831 -k "$DEVKEY" -n 1 -m 0 -t 10000 \
	>"$DIR/fetch.out" 2>"$DIR/fetch.err" &
P=$!; PIDS+=($P)
fetch_confined() { wait_confined "$P" _sekisho-fetch || { cat "$DIR/fetch.err"; return 1; }; }
check "sekisho-fetch: _sekisho-fetch, no capability, no_new_privs, seccomp, NPROC 0" fetch_confined

# ---- sekisho-beacon ----------------------------------------------------------------
ip netns exec "$NS" "$B/sekisho-beacon" -d -k "$DIR/beacon.key" -i tokyo-3f -l 127.0.0.1:51832 \
	>"$DIR/beacon.log" 2>&1 &
P=$!; PIDS+=($P)
check "sekisho-beacon: _sekisho-beacon, no capability, no_new_privs, seccomp, NPROC 0" \
	wait_confined "$P" _sekisho-beacon
check "sekisho-beacon: still answers a challenge in its sandbox" \
	ip netns exec "$NS" "$B/sekisho-beacon-probe" -p "$KEY" 127.0.0.1:51832

# ---- sekisho-beacon-verify, as sekishod starts it (its socket on standard input) ----
# The holder waits for its ready message (sandbox entered), asks it about
# a genuine answer of the sekisho-beacon above and about the same answer
# with one signature byte flipped, then holds its end of the socket open,
# as sekishod does.
ip netns exec "$NS" python3 -c 'import base64,os,socket,subprocess,sys,time
a,b=socket.socketpair(socket.AF_UNIX,socket.SOCK_SEQPACKET)
p=subprocess.Popen([sys.argv[1]],stdin=b,stdout=b); b.close()
open(sys.argv[3],"w").write("%d\n" % p.pid)
nonce=os.urandom(32)
u=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); u.settimeout(5); u.setsockopt(socket.IPPROTO_IP,socket.IP_TTL,255)
u.sendto(b"SKB1\x01\x01\x00\x00"+nonce+bytes(104),("127.0.0.1",51832))
ans=u.recv(2048)
key=base64.b64decode(sys.argv[2])
def ask(answer):
	a.send(b"SKV1\x01\x00\x00\x00"+nonce+answer+key+bytes(32)); return a.recv(64).hex()
bad=bytearray(ans); bad[100]^=1
ready=a.recv(64).hex()
with open(sys.argv[4],"w") as f: f.write(ready+" "+ask(ans)+" "+ask(bytes(bad))+" "+ask(b"x")+"\n")
time.sleep(60)' "$PWD/$B/sekisho-beacon-verify" "$KEY" "$DIR/bverify.pid" "$DIR/bverify.out" \
	>"$DIR/bverify.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do [ -s "$DIR/bverify.out" ] && break; sleep 0.1; done
P=$(cat "$DIR/bverify.pid" 2>/dev/null || echo none)
check "sekisho-beacon-verify: _sekisho-bverify, no capability, no_new_privs, seccomp, NPROC 0" \
	wait_confined "$P" _sekisho-bverify
# "ready", "ok, key 0", "bad signature", "bad request" (lib/proto/bverify_wire.h)
check "sekisho-beacon-verify: ready, then in its sandbox it verifies a genuine answer, refuses a flipped signature and a short request" \
	bash -c "[ \"\$(cat $DIR/bverify.out)\" = '534b565200000000 534b563100000000 534b563101ff0000 534b563103ff0000' ] ||
	 { cat $DIR/bverify.out $DIR/bverify.log; false; }"

# ---- sekisho-bundle-server -----------------------------------------------------------
mkdir -p "$DIR/served"
ip netns exec "$NS" "$B/sekisho-bundle-server" -d -r "$DIR/served" -l 127.0.0.1:51833 >"$DIR/server.log" 2>&1 &
P=$!; PIDS+=($P)
check "sekisho-bundle-server: _sekisho-bundle, no capability, no_new_privs, seccomp, NPROC 0" \
	wait_confined "$P" _sekisho-bundle
check "sekisho-bundle-server: still reads its directory and answers (unknown device)" bash -c \
	"ip netns exec $NS $B/sekisho-fetch -s 127.0.0.1:51833 -k $DEVKEY -n 1 >$DIR/f2 2>$DIR/f2.err;
	 grep -q 'unknown device' $DIR/f2.err"

# ---- sekisho-policy verify, as sekishod's verifier_run starts it --------------------
# The harness runs verifier_run with itself as the helper, which holds
# still after reading the bundle: the child is the helper as sekishod
# would start it.
SANDBOX_HARNESS=hold "$B/sandbox-harness" run-verifier "$PWD/$B/sandbox-harness" \
	"$DEVKEY" 0 "$KEY" </dev/null >"$DIR/verifier.out" 2>&1 &
P=$!; PIDS+=($P)
C=$(child_of "$P") || C=none
check "verify helper (verifier_run): _sekisho-verify, no capability, no_new_privs, seccomp" \
	wait_confined "$C" _sekisho-verify exec
kill "$C" 2>/dev/null
AK=$("$B/sekisho-policy" keygen "$DIR/agency.key" | awk '{print $NF}')
"$B/sekisho-policy" sign --key "$DIR/agency.key" --device "$DEVKEY" tests/policy/01.in "$DIR/bundle" >/dev/null 2>&1
check "verify helper: the real sekisho-policy verifies a bundle in its sandbox" bash -c \
	"$B/sandbox-harness run-verifier $PWD/$B/sekisho-policy $DEVKEY 0 $AK <$DIR/bundle | grep -q '^ok serial '"
check "verify helper: and refuses a tampered one with its reason" bash -c \
	"{ cat $DIR/bundle; printf x; } | $B/sandbox-harness run-verifier $PWD/$B/sekisho-policy $DEVKEY 0 $AK |
	 grep -q '^refused: bundle: 1 trailing byte after the signature'"
check "verify helper: a socket() in it kills it (SIGSYS)" bash -c \
	"SANDBOX_HARNESS=socket $B/sandbox-harness run-verifier $PWD/$B/sandbox-harness $DEVKEY 0 $AK </dev/null |
	 grep -q 'failed (signal 31)'"

# ---- wireguard-go (vpn/wg_userspace.c): the userspace tunnel, as wg_create starts it --
# It parses every packet from the internet. It gets the TUN device and its
# UAPI socket opened for it, and nothing else: its own user, no capability
# in any set, no_new_privs, seccomp. Its threads need RLIMIT_NPROC; a
# program sandboxed before its exec is dumpable again (by its own user).
wg_confined() {	# PID
	local st="/proc/$1/status" u f
	u=$(id -u _sekisho-wg) || return 1
	grep -qE "^Uid:\s+$u\s+$u\s+$u\s+$u\$" "$st" || { grep ^Uid "$st"; return 1; }
	grep -qE "^Gid:\s+0\s" "$st" && { grep ^Gid "$st"; return 1; }
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -qE "^$f:\s+0+\$" "$st" || { grep "^$f" "$st"; return 1; }
	done
	grep -qE '^NoNewPrivs:\s+1$' "$st" || { grep ^NoNewPrivs "$st"; return 1; }
	grep -qE '^Seccomp:\s+2$' "$st" || { grep ^Seccomp "$st"; return 1; }
	grep -qE '^Max core file size\s+0\s+0\s' "/proc/$1/limits" || return 1
}
WGIF=skwg$$
ip netns exec "$NS" "$B/wg_live" up "$WGIF" --backend userspace --listen-port 51834 \
	>"$DIR/wg.out" 2>&1 &
P=$!; PIDS+=($P)
for _ in $(seq 1 50); do grep -qx ready "$DIR/wg.out" && break; sleep 0.1; done
WGP=$(awk '$1 == "child" { print $2 }' "$DIR/wg.out")
check "wireguard-go: _sekisho-wg, no capability, no_new_privs, seccomp" wg_confined "${WGP:-none}"
check "wireguard-go: answers its UAPI socket (root's, group _sekisho-wg, 0640) in its sandbox" bash -c \
	"[ \"\$(stat -c '%U %G %a' /var/run/wireguard/$WGIF.sock)\" = 'root _sekisho-wg 640' ] &&
	 grep -q '^listen_port 51834\$' $DIR/wg.out"
check "wireguard-go: holds the TUN device it was given (TUNGETIFF name $WGIF)" bash -c \
	"grep -q '^iff:.*$WGIF' /proc/${WGP:-none}/fdinfo/3"
kill "$P" 2>/dev/null; wait "$P" 2>/dev/null

# ---- calls outside the list kill; the debug switch names them -----------------------
killed() {	# CALL: the harness enters the sandbox, then makes CALL
	local out rc
	out=$("$B/sandbox-harness" call "$1" 2>&1); rc=$?
	[ "$rc" -eq $((128 + 31)) ] && [ "$out" = entered ] || { echo "rc $rc: $out"; return 1; }
}
for c in socket fork execve ptrace mprotect-exec; do
	check "a forbidden call ($c) kills the process by SIGSYS before it returns" killed "$c"
done
# The debug switch is the test build's only (lib/sandbox.c): the installed
# programs die of the call whatever their environment says, so sandboxed
# code cannot be left to catch SIGSYS and carry on.
check "test build: SEKISHO_SANDBOX_DEBUG=1 names the forbidden call (41 = socket) and exits 159" bash -c \
	"out=\$(SEKISHO_SANDBOX_DEBUG=1 $B/test/sandbox-harness call socket 2>&1); [ \$? = 159 ] &&
	 grep -q 'sandbox: forbidden system call 41\$' <<<\"\$out\""
check "installed build: SEKISHO_SANDBOX_DEBUG=1 changes nothing: killed by SIGSYS, silently" \
	python3 -c "
import subprocess, os, sys
r = subprocess.run(['$B/sandbox-harness', 'call', 'socket'], capture_output=True, text=True,
    env=dict(os.environ, SEKISHO_SANDBOX_DEBUG='1'))
print('status', r.returncode, repr(r.stdout + r.stderr))
sys.exit(0 if r.returncode == -31 and r.stdout == 'entered\\n' and r.stderr == '' else 1)"
# sekishod's parent: its own allow-list under no_new_privs, still root
# with its capabilities (sandbox_filter_self): an allowed call keeps
# root's power, a call outside the list kills it.
check "parent's filter: an allowed call works as root's (a raw socket opens)" bash -c \
	"[ \"\$($B/sandbox-harness filter-self raw-socket)\" = \"\$(printf 'filtered, uid 0\nraw socket: ok')\" ]"
parent_killed() {
	local out rc
	out=$("$B/sandbox-harness" filter-self "$1" 2>&1); rc=$?
	[ "$rc" -eq $((128 + 31)) ] && [ "$out" = "filtered, uid 0" ] || { echo "rc $rc: $out"; return 1; }
}
check "parent's filter: a call outside it (ptrace) kills the root process by SIGSYS" \
	parent_killed ptrace
check "Landlock: no file of the file system opens (/etc/passwd: EACCES)" bash -c \
	"[ \"\$($B/sandbox-harness open /etc/passwd)\" = \"\$(printf 'entered\nopen: EACCES')\" ]"

tap_done
