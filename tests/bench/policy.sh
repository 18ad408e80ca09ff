#!/bin/bash
# Policy benchmarks, printed as "bench: NAME = VALUE UNIT":
#   policy.verify_us              Ed25519 verification of a small bundle
#                                 (the golden one, 558 bytes): decode +
#                                 signature, median
#   policy.verify_10k_us          the same for a 10,000-prefix bundle
#   policy.open_10k_us            bundle_open of it: verification, device,
#                                 serial, parsing and every check
#   policy.parse_10k_ms           the parser alone on the 10,000 prefixes
#   policy.parse_10k_1k_ms        the parser on 10,000 prefixes + 1,000
#                                 services (the policy below)
#   policy.compile_apply_ms       sekishod's full load as it starts
#                                 (fw_load, remote mode, over the base
#                                 ruleset in force: the policy rendered,
#                                 read into the model; its sets and maps
#                                 made with their elements in one
#                                 nfnetlink batch where no rule refers to
#                                 them yet, then one libnftables
#                                 transaction that replaces the base's
#                                 chains with the policy's) of 10,000
#                                 prefixes and 1,000 service rules (over
#                                 100 named sets of 50 prefixes and inline
#                                 /26s, port lists and ranges, some UDP
#                                 and ICMP), median, wall clock; goal <
#                                 200 ms (to the commit: freeing the
#                                 context, which waits for the kernel to
#                                 destroy the old table, comes after, as
#                                 sekishod leaves it to its next
#                                 transaction)
#   policy.compile_apply_first_ms the same into an empty kernel (no table)
#   policy.compile_apply_replace_ms
#                                 fw_load over the same policy's table in
#                                 force (recovery: the sets' names are
#                                 taken, so one libnftables transaction
#                                 of text, elements included, as every
#                                 full load was before), median; and its
#                                 CPU time
#   policy.compile_apply_cpu_ms   compile_apply_ms as the process's CPU
#                                 time (user + system; the kernel's share
#                                 of a transaction runs in its syscall),
#                                 which other work on a shared machine
#                                 does not stretch; diff_apply_cpu_ms too
#   policy.compile_apply_runq_ms  of compile_apply_ms, the time the process
#                                 was ready to run but waited for a CPU
#                                 (/proc/thread-self/schedstat): other
#                                 work. Wall = CPU + this + blocked time
#                                 (which measures near 0: the load does
#                                 not wait on the kernel)
#   policy.compile_apply_render_cpu_ms
#                                 of compile_apply_cpu_ms, sekishod's own
#                                 part (rendering, the model); the rest
#                                 is libnftables and the kernel
#   policy.compile_apply_ms_small the same with 10 prefixes + 10 services
#   policy.compile_apply_prefixes_only_ms
#                                 the 10,000 prefixes without services (the
#                                 figure compile_apply_ms was before)
#   policy.mode_switch_ms_10k     sekishod's mode change (fw_switch_mode:
#                                 the mode's chains and small sets, one
#                                 transaction), remote and office in turn,
#                                 with the 10,000 + 1,000 table in force,
#                                 median (p95 beside it); and
#                                 policy.mode_switch_ms with 10 + 10
#   policy.diff_apply_ms          sekishod's policy change by difference
#                                 (fw_policy_diff, apply; no dry run since
#                                 the change itself is the test): one
#                                 prefix added and one service's port
#                                 changed, and back, median
#   policy.live_change_ms         in the lab: the same change as a signed
#                                 bundle, from `sekishoctl reload` to its
#                                 answer (the new rules in force): the
#                                 verifying helper, parsing, the ruleset
#                                 change, routes and allowed IPs; median of
#                                 BENCH_LIVE_RUNS (5); goal < 20; where the
#                                 time went in sekishod (its log line per
#                                 reload, CPU time included) on stderr;
#                                 policy.live_change_ms_small with 10
#                                 prefixes + 10 services; and
#                                 policy.live_change_cpu_ms, sekishod's CPU
#                                 time for those reloads (its own timed
#                                 line), which the load of a shared
#                                 machine does not stretch
# The kernel work runs in a network namespace of this run's own, created
# here and deleted at exit. Measured in process (build/bench-policy).
#
# Forwarding, in the lab (sekishod, nftables, wireguard-go, iperf3 TCP from
# work to the LGWAN portal). Each figure puts the two policies side by side
# in one run: BENCH_FWD_ROUNDS (6) rounds of a transfer with each (big
# small, small big, ...: a drift of the machine's load weighs on both),
# each transfer BENCH_FWD_SECONDS (4) s after a first second left out, its
# rate every half second; the figure is the ratio of the medians of all
# those samples (24 and 24 by default), which a few samples slowed by other
# work on the machine do not move; each round's ratio beside it, every
# sample on stderr. Beside each, NAME_cpu: the same transfers' Mbit per
# CPU-second of iperf3's two processes (iperf3's own getrusage figures):
# the kernel forwards in their context (softirq; no IRQ time accounting
# here), so a share of the CPU lost to other work shrinks throughput but
# not this, and what the rules cost per packet shows in it. A few minutes
# a figure, most of it starting sekishod:
#   policy.forward_ratio_10k      office mode (straight onto the office LAN,
#                                 no tunnel to hide the firewall's cost):
#                                 throughput with 10,000 prefixes and 1,000
#                                 services / with 10 prefixes and 10
#                                 services; goal >= 0.95. The portal's
#                                 service is the last in both (its class
#                                 is found by lookups in the services' map
#                                 and sets, whose cost does not depend on
#                                 the order: fw_svc.c); a flow's first
#                                 packets are looked up, its established
#                                 ones take the verdict cached in their
#                                 conntrack mark (docs/policy.md, "What a
#                                 packet costs")
#   policy.forward_ratio_10k_first
#                                 the same with the portal's service first
#   policy.forward_ratio_10k_prefixes_only
#                                 10,000 prefixes without services / 10
#                                 prefixes without services
#   policy.forward_ratio_10k_nogso
#                                 as forward_ratio_10k with segmentation
#                                 offloads off on the work link (ethtool):
#                                 the rules see every packet, not one per
#                                 64 KB
#   policy.forward_ratio_10k_remote
#                                 as forward_ratio_10k, through the tunnel
#                                 (its _cpu leaves out wireguard-go's own
#                                 CPU, where most of the work is)
# BENCH_FWD_FIGURES="10k first prefixes_only nogso remote" names the ones to
# measure (all by default).
# (BENCH_FWD=0 skips the lab part. BENCH_ONLY="PART ..." runs only the
# parts named of: inproc (compile, apply, mode and policy changes in
# process), fwd (forwarding in the lab), live (live_change in the lab).)
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/bench/lib.sh
B=${B:-build}
BENCH=$PWD/$B/bench-policy
POLICY=$PWD/$B/sekisho-policy
runs=${BENCH_RUNS:-20}
vruns=${BENCH_VERIFY_RUNS:-2000}
prefixes=${BENCH_PREFIXES:-10000}
services=${BENCH_SERVICES:-1000}

DIR=$(mktemp -d "${TMPDIR:-/tmp}/skp-bench.XXXXXX")
NS=
for _ in 1 2 3 4 5 6 7 8; do
	cand="skpb$RANDOM"
	if ip netns add "$cand" 2>/dev/null; then NS=$cand; break; fi
done
LAB_OWNED=0
cleanup() {
	[ -n "$NS" ] && ip netns del "$NS"
	if [ "$LAB_OWNED" = 1 ]; then netvm_cleanup; lab_down; fi
	rm -rf "$DIR"
}
trap cleanup EXIT
[ -n "$NS" ] || { echo "bench: policy: could not create a network namespace"; exit 1; }
[ -x "$BENCH" ] && [ -x "$POLICY" ] || { echo "bench: policy: build $BENCH and $POLICY first"; exit 1; }
get() { sed -n "s/^$1 //p" "$2"; }
part() { case " ${BENCH_ONLY:-inproc fwd live} " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- signature verification ------------------------------------------------------
d=tests/policy/bundles
"$BENCH" verify $d/good.bundle "$(cat $d/agency.pub)" "$vruns" >"$DIR/small" || exit 1
bench policy.verify_us "$(get verify_us "$DIR/small")" \
	"us (Ed25519 over a $(get bytes "$DIR/small")-byte bundle, median of $vruns)"

# A policy with $prefixes disjoint, non-adjacent /24s (10.0.0.0/24,
# 10.0.2.0/24, ...), as many LGWAN prefixes as the goal names.
{
	echo "version 1"; echo "serial 1"
	echo "device {"; echo "	tunnel-address 10.77.0.2/32"; echo "	key-file /k"; echo "}"
	echo "gateway gw {"; echo "	endpoint 192.0.2.10:51820"
	echo "	public-key xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="; echo "}"
	echo "lgwan {"; echo "	resolver 10.0.0.53"
	awk -v n="$prefixes" 'BEGIN { for (i = 0; i < n; i++)
		printf "\tprefix %d.%d.%d.0/24\n", 10 + int(2 * i / 65536), int(2 * i / 256) % 256, (2 * i) % 256 }'
	echo "}"
	echo "work {"; echo "	address 172.30.0.2/30"; echo "	router 172.30.0.1"; echo "}"
} >"$DIR/10k.conf"
"$POLICY" keygen "$DIR/agency.key" >"$DIR/agency.pub" || exit 1
"$POLICY" sign --key "$DIR/agency.key" --device "$(cat $d/device.pub)" \
	"$DIR/10k.conf" "$DIR/10k.bundle" || exit 1
"$BENCH" verify "$DIR/10k.bundle" "$(cat "$DIR/agency.pub")" $((vruns / 10)) >"$DIR/big" || exit 1
bench policy.verify_10k_us "$(get verify_us "$DIR/big")" \
	"us (Ed25519 over a $(get bytes "$DIR/big")-byte bundle of $prefixes prefixes, median)"
bench policy.open_10k_us "$(get open_us "$DIR/big")" \
	"us (verification + device + serial + parse + checks, $prefixes prefixes, median)"

# A head of blocks besides lgwan: the 10k policy above's.
awk '/^lgwan \{/ { skip = 1 } !skip { print } skip && /^\}/ { skip = 0 }' "$DIR/10k.conf" >"$DIR/head.conf"
gen_policy "$DIR/head.conf" "$prefixes" "$services" last >"$DIR/10k1k.conf" || exit 1
"$POLICY" check "$DIR/10k1k.conf" || exit 1

# ---- compile and apply --------------------------------------------------------------
if part inproc; then
ip netns exec "$NS" "$BENCH" apply "$DIR/10k.conf" "$runs" >"$DIR/apply0" || exit 1
bench policy.parse_10k_ms "$(get parse_ms "$DIR/apply0")" "ms (parser and checks, $(get prefixes "$DIR/apply0") prefixes)"
ip netns exec "$NS" "$BENCH" apply "$DIR/10k1k.conf" "$runs" >"$DIR/apply" || exit 1
bench policy.parse_10k_1k_ms "$(get parse_ms "$DIR/apply")" \
	"ms (parser and checks, $(get prefixes "$DIR/apply") prefixes, $(get services "$DIR/apply") services, $(get sets "$DIR/apply") sets)"
ms=$(get apply_ms "$DIR/apply")
ms0=$(get apply_ms "$DIR/apply0")
verdict=$(awk -v m="$ms" 'BEGIN { print (m < 200 ? "met" : "NOT met") }')
bench policy.compile_apply_ms "$ms" \
	"ms (fw_load over the base ruleset, as sekishod starts: rendering, the sets by nfnetlink, one libnftables transaction for the chains; $(get prefixes "$DIR/apply") prefixes + $(get services_remote "$DIR/apply") service rules of remote mode, $(get ruleset_bytes "$DIR/apply") bytes of ruleset, median of $runs, max $(get max_ms "$DIR/apply"); goal < 200: $verdict)"
bench policy.compile_apply_first_ms "$(get first_ms "$DIR/apply")" "ms (the same into an empty kernel)"
bench policy.compile_apply_replace_ms "$(get replace_ms "$DIR/apply")" \
	"ms (fw_load over the same policy's table in force: one libnftables transaction, elements included; CPU $(get replace_cpu_ms "$DIR/apply") ms)"
bench policy.compile_apply_cpu_ms "$(get apply_cpu_ms "$DIR/apply")" \
	"ms (compile_apply_ms as this process's CPU time, user + system, median: what other work on a shared machine does not stretch)"
bench policy.compile_apply_runq_ms "$(get apply_runq_ms "$DIR/apply")" \
	"ms (of compile_apply_ms, waiting for a CPU while runnable: other work on the machine; load $(cut -d' ' -f1 /proc/loadavg))"
bench policy.compile_apply_render_cpu_ms "$(get apply_render_cpu_ms "$DIR/apply")" \
	"ms (of compile_apply_cpu_ms, sekishod's rendering and model; the rest is libnftables and the kernel)"
gen_policy "$DIR/head.conf" 10 10 last >"$DIR/10.conf" &&
ip netns exec "$NS" "$BENCH" apply "$DIR/10.conf" "$runs" >"$DIR/apply10" || exit 1
bench policy.compile_apply_ms_small "$(get apply_ms "$DIR/apply10")" \
	"ms (the same with 10 prefixes + 10 services; CPU $(get apply_cpu_ms "$DIR/apply10"))"
bench policy.compile_apply_prefixes_only_ms "$ms0" \
	"ms ($(get prefixes "$DIR/apply0") prefixes, no services, $(get ruleset_bytes "$DIR/apply0") bytes, median of $runs, max $(get max_ms "$DIR/apply0"); services cost x$(awk -v a="$ms" -v b="$ms0" 'BEGIN { printf "%.2f", a / b }'))"

# ---- mode changes and policy changes, in process ---------------------------------
# The 10,000 + 1,000 policy with one more prefix and service s7's first
# port moved: what a small live change looks like.
sed -e '/^\tresolver 10\.64\.0\.53$/i\	prefix 10.250.0.0/24' \
    -e '/^service "s7" {$/,/^}$/ s/^\ttcp 1007,/\ttcp 1107,/' "$DIR/10k1k.conf" >"$DIR/10k1k-b.conf"
[ -s "$DIR/10.conf" ] || gen_policy "$DIR/head.conf" 10 10 last >"$DIR/10.conf"
ip netns exec "$NS" "$BENCH" switch "$DIR/10k1k.conf" "$runs" >"$DIR/switch" &&
ip netns exec "$NS" "$BENCH" switch "$DIR/10.conf" "$runs" >"$DIR/switch10" || echo "bench: policy: switch failed" >&2
bench policy.mode_switch_ms_10k "$(get switch_ms "$DIR/switch")" \
	"ms (fw_switch_mode, $prefixes prefixes + $services services, median of $runs, p95 $(get switch_p95_ms "$DIR/switch"))"
bench policy.mode_switch_ms "$(get switch_ms "$DIR/switch10")" \
	"ms (the same with 10 prefixes + 10 services, p95 $(get switch_p95_ms "$DIR/switch10"))"
"$POLICY" check "$DIR/10k1k-b.conf" >/dev/null &&
ip netns exec "$NS" "$BENCH" live "$DIR/10k1k.conf" "$DIR/10k1k-b.conf" "$runs" >"$DIR/live" ||
	echo "bench: policy: live failed" >&2
bench policy.diff_apply_ms "$(get live_ms "$DIR/live")" \
	"ms (fw_policy_diff + apply: a prefix added and a service's port moved, and back; $prefixes + $services; p95 $(get live_p95_ms "$DIR/live"), $(get live_bytes "$DIR/live") bytes of transaction)"
bench policy.diff_apply_cpu_ms "$(get live_cpu_ms "$DIR/live")" \
	"ms (diff_apply_ms as CPU time, user + system, median; of the wall time: rendering $(get live_render_ms "$DIR/live"), reading it back into the model $(get live_model_ms "$DIR/live"), comparing and encoding $(get live_compare_ms "$DIR/live"))"
fi

if [ "${BENCH_FWD:-1}" = 0 ] || ! { part fwd || part live; }; then bench_done; exit; fi

# ---- forwarding in the lab ----------------------------------------------------------------
. tests/lab/lab.sh
. tests/integration/lib.sh
fsecs=${BENCH_FWD_SECONDS:-4}
rounds=${BENCH_FWD_ROUNDS:-6}
LAB_OWNED=1
LAB_SEGMENTS=office lab_up || { echo "bench: policy: lab_up failed"; exit 1; }
netvm_env
netvm_boot
for v in "10k $prefixes $services last" "10k_first $prefixes $services first" \
	"10 10 10 last" "10k_only $prefixes 0 last" "10_only 10 0 last"; do
	set -- $v
	# Office mode must hold while iperf3 keeps both CPUs busy: the
	# beacon's round trip, the vouch and the router's liveness given room
	# (a re-verification over 2 ms in every round ended office mode in
	# the middle of a transfer; what is measured here is forwarding).
	{ gen_policy "$LAB_POLICY" "$2" "$3" "$4" &&
	  printf 'timers {\n\tbeacon-rtt 20000\n\toffice-vouch 5000\n\trouter-alive 2000\n}\n'; } >"$DIR/lab-$1.conf" || exit 1
	"$POLICY" check "$DIR/lab-$1.conf" || exit 1
done

portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
# use NAME MODE: a fresh sekishod with lab-NAME.conf, in MODE, the portal
# reachable from work.
use() {
	lab_stop sekishod 2>/dev/null
	netvm_start "$DIR/lab-$1.conf" || { echo "bench: policy: sekishod did not start with $1" >&2; return 1; }
	lab_pid work-dhcp >/dev/null || lab_work_dhcp || return 1
	netvm_wait_mode "$2" 30 && lab_wait_for -t 15 portal_ok ||
		{ echo "bench: policy: $1: no $2 mode or no portal: $(ctl status 2>&1 | head -3 | tr "\n" " ")" >&2; return 1; }
}
# iperf_samples MODE: one TCP transfer from work to the portal, $fsecs s
# after a first second left out (slow start, and the first packets of the
# flow, which the rules look up whole): its half-second rates in Mbit/s,
# space separated; fails (saying why on stderr) when sekishod left MODE
# during the run, or iperf3 failed.
iperf_samples() {
	local v
	v=$(n work iperf3 -c "$LAB_PORTAL" -p "$LAB_IPERF_PORT" -t "$fsecs" -O 1 -i 0.5 -J |
		python3 -c '
import json, sys
j = json.load(sys.stdin)
e = j["end"]
assert e["sum_received"]["bytes"] > 0
cpu = e["cpu_utilization_percent"]["host_total"] + e["cpu_utilization_percent"]["remote_total"]
print("e:%.0f" % (e["sum_received"]["bits_per_second"] / 1e6 / (cpu / 100)),
	" ".join("%.0f" % (i["sum"]["bits_per_second"] / 1e6) for i in j["intervals"]
	if not i["sum"]["omitted"] and i["sum"]["seconds"] > 0.4))' 2>/dev/null)
	if ! netvm_mode_is "$1" || [ -z "$v" ]; then
		# a run cut short can leave the server holding its session
		lab_stop lgwan-iperf3
		lab_spawn lgwan-iperf3 lgwan iperf3 -s -B "$LAB_PORTAL" -p "$LAB_IPERF_PORT"
		lab_wait_for -t 5 n lgwan bash -c "ss -Hltn 'sport = :$LAB_IPERF_PORT' | grep -q ."
	fi
	if ! netvm_mode_is "$1"; then
		echo "bench: policy: sekishod left $1 mode during the run: $(grep -v '[│┌└]' "$LAB_DIR/log/sekishod.log" | grep -vE 'timed: ' | tail -8 | tr '\n' '|')" >&2
		return 1
	fi
	[ -n "$v" ] || { echo "bench: policy: iperf3 failed in $1 mode" >&2; return 1; }
	echo "$v"
}
# ratio MODE BIG SMALL NAME: the two policies side by side in one run, $rounds
# rounds of one transfer each, in the order big small, small big, big
# small, ... (a drift of the machine's load over the run weighs on both
# alike; two transfers of one policy in a row share a sekishod); prints
# "ratio big_median small_median n_big n_small per-round-ratios": the
# ratio of the medians of all half-second samples (the median: a sample
# that other work on the machine slowed does not move it), and each
# round's ratio of medians, which shows how far one round can be off.
# The samples go to stderr.
ratio() {
	local mode=$1 big=$2 small=$3 name=$4 r bv=() sv=() x cur= k
	for r in $(seq 1 "$rounds"); do
		for k in $( [ $((r % 2)) = 1 ] && echo "$big $small" || echo "$small $big"); do
			if [ "$k" != "$cur" ]; then use "$k" "$mode" || return 1; cur=$k; fi
			x=$(iperf_samples "$mode") || return 1
			if [ "$k" = "$big" ]; then bv+=("$x"); else sv+=("$x"); fi
		done
	done
	python3 -c '
import statistics as st, sys
n = int(sys.argv[1])
rd = lambda r: [float(x) for x in r.split() if not x.startswith("e:")]
re_ = lambda r: [float(x[2:]) for x in r.split() if x.startswith("e:")][0]
b = [rd(r) for r in sys.argv[2:2 + n]]
s = [rd(r) for r in sys.argv[2 + n:-3]]
eb = [re_(r) for r in sys.argv[2:2 + n]]
es = [re_(r) for r in sys.argv[2 + n:-3]]
fb, fs = [x for r in b for x in r], [x for r in s for x in r]
mb, ms = st.median(fb), st.median(fs)
rr = ["%.2f" % (st.median(x) / st.median(y)) for x, y in zip(b, s)]
print("%.3f %.0f %.0f %d %d %s %.3f %.0f %.0f %s %s" % (mb / ms, mb, ms, len(fb), len(fs), ",".join(rr),
	st.median(eb) / st.median(es), st.median(eb), st.median(es),
	",".join("%.0f" % x for x in eb), ",".join("%.0f" % x for x in es)))
print("bench: %s: samples in Mbit/s, one transfer after another (/), %s: %s; %s: %s" % (sys.argv[-3], sys.argv[-2],
	" / ".join(" ".join("%.0f" % v for v in r) for r in b), sys.argv[-1],
	" / ".join(" ".join("%.0f" % v for v in r) for r in s)), file=sys.stderr)' "$rounds" "${bv[@]}" "${sv[@]}" "$name" "$big" "$small"
}
fwd() {	# NAME MODE BIG SMALL WHAT
	local out l0 verdict
	case " ${BENCH_FWD_FIGURES:-10k first prefixes_only nogso remote} " in
	*" ${1#policy.forward_ratio_} "* | *" ${1#policy.forward_ratio_10k_} "*) ;;
	*) return 0 ;;
	esac
	l0=$(cut -d' ' -f1 /proc/loadavg)
	out=$(ratio "$2" "$3" "$4" "$1") ||
		{ bench "$1" "-" "(not measured: see the line above; $5)"; return 1; }
	set -- "$1" "$2" "$3" "$4" "$5" $out
	verdict=$(awk -v r="$6" 'BEGIN { print (r >= 0.95 ? "met" : "NOT met") }')
	bench "$1" "$6" "($5, $2 mode: medians $7 / $8 Mbit/s of $9 / ${10} half-second samples, $rounds rounds alternating, $fsecs s a transfer after 1 s left out; per round ${11}; load $l0-$(cut -d' ' -f1 /proc/loadavg); goal >= 0.95: $verdict)"
	bench "$1_cpu" "${12}" "(the same transfers as Mbit per CPU-second of iperf3's two processes, whose context the forwarding's softirq work runs in on this kernel, no IRQ time accounting: what other work on the machine does not stretch as much; medians ${13} / ${14}, per transfer ${15} / ${16})"
}
lab_uplink_dhcp up0 || exit 1
if part fwd; then
lab_plug up0 office || exit 1
fwd policy.forward_ratio_10k office 10k 10 \
	"$prefixes prefixes + $services services / 10 prefixes + 10 services, the portal's service last"
fwd policy.forward_ratio_10k_first office 10k_first 10 \
	"the same with the portal's service first of $services"
fwd policy.forward_ratio_10k_prefixes_only office 10k_only 10_only \
	"$prefixes prefixes / 10 prefixes, no services"
# Segmentation offloads off on the work link: every packet of 1,500 bytes
# passes the rules alone (with them on, work sends 64 KB at once and the
# rules' cost is spread over 40 packets).
offloads() { n work ethtool -K eth0 tso "$1" gso "$1" && n netvm ethtool -K wk0 gro "$1" gso "$1" tso "$1"; }
if offloads off; then
	fwd policy.forward_ratio_10k_nogso office 10k 10 \
		"as forward_ratio_10k with segmentation offloads off on the work link: the rules pass every 1,500-byte packet alone"
	offloads on
else
	BENCH_WHY="ethtool could not turn the offloads off" bench policy.forward_ratio_10k_nogso - "(not measured)"
fi
fi
lab_plug up0 home || exit 1
part fwd && fwd policy.forward_ratio_10k_remote remote 10k 10 \
	"$prefixes prefixes + $services services / 10 + 10, the portal's service last, through the tunnel"
part live || { bench_done; exit; }

# ---- a live change in the lab: `sekishoctl reload` of a signed bundle ------------------
# Serials 2, 3, ...: in turn 10.250.0.0/24 added and service s7's port
# moved, then both undone; each timed from the reload to its answer.
# Reloads half a second apart (a fetched bundle never comes closer): a
# change that left dead elements (fw_model.h) has them deleted by then,
# after its answer. live PREFIXES SERVICES: "p50 p95 n" in ms; where the
# time went in sekishod, on stderr.
live_runs=${BENCH_LIVE_RUNS:-5}
live() {
	local st=$LAB_DIR/live-state i t0 t1 v=() reply log=$LAB_DIR/log/sekishod.log from
	rm -rf "$st"
	mkdir -m 0700 -p "$st"
	[ -f "$LAB_DIR/agency.key" ] ||
		"$POLICY" keygen "$LAB_DIR/agency.key" >"$LAB_DIR/agency.pub" || return 1
	gen_policy "$LAB_POLICY" "$1" "$2" last >"$DIR/live-base.conf" || return 1
	for i in $(seq 1 $((live_runs + 1))); do
		if [ $((i % 2)) = 1 ]; then
			sed "s/^serial 1$/serial $i/" "$DIR/live-base.conf"
		else
			sed -e "s/^serial 1$/serial $i/" -e '/^\tresolver 10\.64\.0\.53$/i\	prefix 10.250.0.0/24' \
			    -e '/^service "s7" {$/,/^}$/ s/^\ttcp 1007,/\ttcp 1107,/' "$DIR/live-base.conf"
		fi >"$DIR/live-$i.conf"
		"$POLICY" sign --key "$LAB_DIR/agency.key" --device "$LAB_DEVICE_PUB" \
			"$DIR/live-$i.conf" "$DIR/live-$i" || return 1
	done
	lab_stop sekishod 2>/dev/null
	from=$(cat "$log" 2>/dev/null | wc -l)
	cp "$DIR/live-1" "$st/bundle"
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -b "$st/bundle" -k "$LAB_DIR/agency.pub" \
		-D "$LAB_DIR/device.pub" -w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" &&
	lab_wait_for -t 60 test -S "$NETVM_SOCK" && netvm_wait_mode remote 30 || return 1
	for i in $(seq 2 $((live_runs + 1))); do
		cp "$DIR/live-$i" "$st/bundle.new"
		sleep 0.5
		# bash's own clock (microseconds): $(date) would put a fork and
		# an exec of date inside the interval
		t0=${EPOCHREALTIME/./}
		reply=$(ctl reload) || { echo "bench: policy: reload $i: $reply" >&2; return 1; }
		t1=${EPOCHREALTIME/./}
		case $reply in accepted:*) ;; *) echo "bench: policy: reload $i: $reply; sekishod's last lines:" >&2
			tail -n +$((from + 1)) "$log" | grep -v '[│┌└]' | tail -8 >&2; return 1 ;; esac
		v+=("$(( t1 - t0 ))")
	done
	# Where the time went, from sekishod's own line per reload (reload.c).
	tail -n +$((from + 1)) "$log" | grep -h 'timed: ' | python3 -c '
import re, sys
rows = [[float(x) for x in re.findall(r"[0-9]+\.[0-9]+", l.split("timed: ")[1])] for l in sys.stdin]
names = ["bundle read and checked", "(the helper", "the policy parsed)", "ruleset change made",
         "(rendered", "read back", "compared)", "routes and ruleset in force",
         "(the tunnel\x27s routes waited for", "its allowed IPs waited for after the ruleset)",
         "staging waited for",
         "stored (the commit point)", "the rest", "sekishod CPU (its main thread)"]
if rows:
    med = lambda c: sorted(c)[len(c) // 2]
    print("bench: policy.live_change_ms (%s): the phases in sekishod, median of %d (ms): %s" % (sys.argv[1], len(rows),
        ", ".join("%s %.1f" % (n, med([r[i] for r in rows])) for i, n in enumerate(names) if all(len(r) > i for r in rows))), file=sys.stderr)
    if all(len(r) == len(names) for r in rows):
        open(sys.argv[2], "w").write("%.1f\n" % med([r[-1] for r in rows]))' "$1 + $2" "$DIR/live-cpu-$1" || true
	printf '%s\n' "${v[@]}" | awk '{ print $1 / 1000 }' | stats
}
BENCH_WHY="no reload was accepted (see above)"
read -r sp50 sp95 sn <<<"$(live 10 10 | tail -1 || echo "- - 0")"
read -r lp50 lp95 ln <<<"$(live "$prefixes" "$services" | tail -1 || echo "- - 0")"
bench policy.live_change_ms "$lp50" \
	"ms (sekishoctl reload of a signed bundle to its answer: a prefix added and a service's port moved, or undone; $prefixes + $services; median of $ln, p95 $lp95; goal < 20)"
bench policy.live_change_ms_small "$sp50" \
	"ms (the same with 10 prefixes + 10 services; median of $sn, p95 $sp95)"
BENCH_WHY="sekishod's timed lines were not read"
bench policy.live_change_cpu_ms "$(cat "$DIR/live-cpu-$prefixes" 2>/dev/null || echo -)" \
	"ms (the same reloads, $prefixes + $services, as sekishod's CPU time from the request to its answer, median: what other work on a shared machine does not stretch; the small policy: $(cat "$DIR/live-cpu-10" 2>/dev/null || echo -))"
bench_done
