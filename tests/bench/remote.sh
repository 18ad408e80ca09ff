#!/bin/bash
# Remote-mode figures, printed as "bench: NAME = VALUE UNIT". No assertion on
# time here: the goals are in the README and the issue notes.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lab/lab.sh
. tests/integration/lib.sh

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || exit 1
netvm_env
netvm_boot
netvm_start || { echo "bench: sekishod did not start"; exit 1; }
lab_work_dhcp || exit 1
lab_uplink_dhcp || exit 1
netvm_wait_mode remote || exit 1
lab_wait_for -t 10 bash -c "ip netns exec $NS_WORK curl -s -m 2 http://$LAB_PORTAL/ >/dev/null" || exit 1

secs=${BENCH_SECONDS:-8}	# 5 s runs varied by +-10% on 2 cores

# ---- remote.throughput_ratio --------------------------------------------------
iperf_bps() {	# ROLE -> received bits per second, iperf3 to the portal
	n "$1" iperf3 -c "$LAB_PORTAL" -p "$LAB_IPERF_PORT" -t "$secs" -J |
		python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]))'
}
w1=$(iperf_bps work); v1=$(iperf_bps netvm); w2=$(iperf_bps work); v2=$(iperf_bps netvm)
work_bps=$(( (w1 + w2) / 2 )); netvm_bps=$(( (v1 + v2) / 2 ))
bench remote.work_to_lgwan_mbps "$((work_bps / 1000000))" Mbit/s
bench remote.netvm_to_lgwan_mbps "$((netvm_bps / 1000000))" Mbit/s
bench remote.throughput_ratio "$(python3 -c "print(f'{$work_bps / $netvm_bps:.3f}')")" "(goal >= 0.95)"

# ---- remote.time_to_lgwan_ms ----------------------------------------------------
# From the uplink getting its address (set here exactly as the DHCP client's
# script does, so DHCP's own time is excluded and reported apart) to the
# first LGWAN reply seen by work, which pings every 5 ms throughout.
addr=$(ip -n "$NS_NETVM" -4 -o addr show dev up0 | awk '{ print $4 }')
lab_stop uplink-dhcp
ip -n "$NS_NETVM" addr flush dev up0
netvm_wait_mode blocked
# one_sample: prints milliseconds from the address to the first reply.
one_sample() {
	local log=$LAB_DIR/ping.log pinger t0 t1
	n work timeout 8 ping -D -n -i 0.005 -W 1 -c 1600 "$LAB_PORTAL" >"$log" 2>&1 &
	pinger=$!
	sleep 0.3
	t0=$(date +%s.%N)
	ip -n "$NS_NETVM" addr add "$addr" dev up0
	ip -n "$NS_NETVM" route replace default via "$LAB_HOME_ROUTER" dev up0
	lab_wait_for -t 5 grep -q 'bytes from' "$log"
	t1=$(grep -m1 'bytes from' "$log" | sed -E 's/^\[([0-9.]+)\].*/\1/')
	kill_tree "$pinger"
	wait "$pinger" 2>/dev/null
	ip -n "$NS_NETVM" addr flush dev up0
	netvm_wait_mode blocked
	[ -n "$t1" ] && python3 -c "print(round(($t1 - $t0) * 1000, 1))"
}
# Warm: the tunnel's WireGuard session outlives blocked mode.
warm=$(for i in $(seq 1 "${BENCH_RUNS:-20}"); do one_sample; done | stats)
read -r p50 p95 n_samples <<<"$warm"
bench remote.time_to_lgwan_ms "$p50" "ms p50 over $n_samples, session kept (goal < 300)"
bench remote.time_to_lgwan_p95_ms "$p95" ms
# Cold: a fresh sekishod and wireguard-go each time, so the first packet
# also waits for the WireGuard handshake.
cold=$(for i in $(seq 1 "${BENCH_COLD_RUNS:-5}"); do
	lab_stop sekishod; netvm_start >/dev/null && netvm_wait_mode blocked && one_sample
done | stats)
read -r p50 p95 n_samples <<<"$cold"
bench remote.time_to_lgwan_cold_ms "$p50" "ms p50 over $n_samples, new tunnel and handshake (goal < 300)"
t0=$(date +%s%N)
ip -n "$NS_NETVM" link set up0 down; ip -n "$NS_NETVM" link set up0 up
lab_uplink_dhcp
t1=$(date +%s%N)
bench remote.dhcp_ms "$(( (t1 - t0) / 1000000 ))" "ms (uplink DHCP alone, busybox udhcpc)"
netvm_wait_mode remote

# ---- netvm.rss_kib ------------------------------------------------------------------
# The sum over sekishod's processes, idle: the parent, its engine and its frontend
# (its children named sekishod); its helpers, wireguard-go and the DHCP
# server are programs of their own, shown apart.
sleep 1
pid=$(lab_pid sekishod)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
total=$(rss "$pid") n=1 wg=0 helpers=0 names=
for c in $(cat "/proc/$pid/task/$pid/children"); do
	comm=$(cat "/proc/$c/comm") || continue
	case $comm in
	sekishod) total=$((total + $(rss "$c"))); n=$((n + 1)) ;;
	wireguard-go) wg=$(rss "$c") ;;
	*) helpers=$((helpers + $(rss "$c"))); names="$names $comm" ;;
	esac
done
bench netvm.rss_kib "$total" "KiB, $n processes (goal < 8192)"
bench netvm.wireguard_go_rss_kib "$wg" "KiB (not counted above)"
bench netvm.helpers_rss_kib "$helpers" "KiB (not counted above:${names:- none})"
bench_done
