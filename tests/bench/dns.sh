#!/bin/bash
# Work's DNS failover (docs/policy.md, "DNS failover"), printed as
# "bench: NAME = VALUE UNIT":
#   dns.failover_ms   p50/p95 over N kills of the first of two LGWAN
#                     resolvers: from the kill to the first lookup from
#                     work answered by the second (work asks every 20 ms,
#                     each time from a new source port). Goal: p95 below
#                     (DNS_DOWN_ROUNDS + 1) x DNS_CHECK_MS = 6,000 ms.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh
. tests/lab/lab.sh
. tests/integration/lib.sh

runs=${BENCH_DNS_RUNS:-5}
tests/sandbox-users.sh >/dev/null || exit 1
cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || exit 1
netvm_env
netvm_boot
R1=10.64.0.61 R2=10.64.0.62 A1=10.64.7.1 A2=10.64.7.2 NAME=who.lgwan.example
lab_lgwan_host "$R1"
lab_lgwan_host "$R2"
resolver_start() {	# NAME ADDR ANSWER
	_lab_dnsmasq "$1" lgwan --listen-address="$2" --address="/$NAME/$3" &&
		lab_wait_for -t 5 _lab_listening lgwan u "$2" 53
}
resolver_start dns-r1 "$R1" "$A1" && resolver_start dns-r2 "$R2" "$A2" || exit 1
POL=$LAB_DIR/dns.conf
sed "s#^\tresolver $LAB_LGWAN_DNS\$#\tresolver $R1\n\tresolver $R2#" "$LAB_DIR/policy.conf" >"$POL"
netvm_start "$POL" && lab_work_dhcp && lab_uplink_dhcp && netvm_wait_mode remote || exit 1
answers() {
	[ "$(n work dig +short +time=1 +tries=1 @"$LAB_WORK_ROUTER" "$NAME" 2>/dev/null)" = "$1" ]
}
lab_wait_for -t 10 answers "$A1" || exit 1

# until_answer ADDR: ms until a query from work is answered with ADDR.
until_answer() {
	n work python3 - "$LAB_WORK_ROUTER" "$NAME" "$1" <<'PY'
import os, select, socket, struct, sys, time
router, name, want = sys.argv[1], sys.argv[2], socket.inet_aton(sys.argv[3])
q = lambda i: struct.pack(">HHHHHH", i, 0x100, 1, 0, 0, 0) + b"".join(
    bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0\0\1\0\1"
t0, socks, i = time.monotonic(), [], 0
while time.monotonic() - t0 < 60:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(q(i & 0xffff), (router, 53)); socks.append(s); i += 1
    for r in select.select(socks, [], [], 0.02)[0]:
        try: d = r.recv(512)
        except OSError: continue
        if d.endswith(want):
            print(int((time.monotonic() - t0) * 1000)); sys.exit(0)
    socks = socks[-100:]
sys.exit(1)
PY
}

samples=$LAB_DIR/dns-failover.ms
: >"$samples"
for ((r = 0; r < runs; r++)); do
	lab_stop dns-r1
	until_answer "$A2" >>"$samples" || echo "# run $r: no answer from the second resolver"
	resolver_start dns-r1 "$R1" "$A1" || exit 1
	lab_wait_for -t 30 answers "$A1" || { echo "# run $r: no way back"; exit 1; }
	sleep 1
done
read -r p50 p95 cnt < <(stats <"$samples")
bench dns.failover_ms "$p50" "ms p50 over $cnt (goal p95 < 6000)"
bench dns.failover_p95_ms "$p95" ms
bench_done
