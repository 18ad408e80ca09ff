#!/bin/bash
# Policy benchmarks, printed as "bench: NAME = VALUE UNIT":
#   policy.verify_us              Ed25519 verification of a small bundle
#                                 (the golden one, 558 bytes): decode +
#                                 signature, median
#   policy.verify_10k_us          the same for a 10,000-prefix bundle
#   policy.open_10k_us            bundle_open of it: verification, device,
#                                 serial, parsing and every check
#   policy.parse_10k_ms           the parser alone on the 10,000 prefixes
#   policy.compile_apply_ms       fw_render (remote mode) of the 10,000
#                                 prefixes + one libnftables transaction
#                                 replacing the table in force, median;
#                                 goal < 200 ms
#   policy.compile_apply_first_ms the same into an empty kernel
# The kernel work runs in a network namespace of this run's own, created
# here and deleted at exit. Measured in process (build/bench-policy).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${B:-build}
BENCH=$PWD/$B/bench-policy
POLICY=$PWD/$B/sekisho-policy
runs=${BENCH_RUNS:-20}
vruns=${BENCH_VERIFY_RUNS:-2000}
prefixes=${BENCH_PREFIXES:-10000}

DIR=$(mktemp -d "${TMPDIR:-/tmp}/skp-bench.XXXXXX")
NS=
for _ in 1 2 3 4 5 6 7 8; do
	cand="skpb$RANDOM"
	if ip netns add "$cand" 2>/dev/null; then NS=$cand; break; fi
done
cleanup() {
	[ -n "$NS" ] && ip netns del "$NS"
	rm -rf "$DIR"
}
trap cleanup EXIT
[ -n "$NS" ] || { echo "bench: policy: could not create a network namespace"; exit 1; }
[ -x "$BENCH" ] && [ -x "$POLICY" ] || { echo "bench: policy: build $BENCH and $POLICY first"; exit 1; }
bench() { printf 'bench: %s = %s %s\n' "$1" "$2" "$3"; }
get() { sed -n "s/^$1 //p" "$2"; }

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

# ---- compile and apply --------------------------------------------------------------
ip netns exec "$NS" "$BENCH" apply "$DIR/10k.conf" "$runs" >"$DIR/apply" || exit 1
bench policy.parse_10k_ms "$(get parse_ms "$DIR/apply")" "ms (parser and checks, $(get prefixes "$DIR/apply") prefixes)"
ms=$(get apply_ms "$DIR/apply")
verdict=$(awk -v m="$ms" 'BEGIN { print (m < 200 ? "met" : "NOT met") }')
bench policy.compile_apply_ms "$ms" \
	"ms (fw_render + libnftables transaction replacing the table, $prefixes prefixes, median of $runs, max $(get max_ms "$DIR/apply"); goal < 200: $verdict)"
bench policy.compile_apply_first_ms "$(get first_ms "$DIR/apply")" "ms (the same into an empty kernel)"
