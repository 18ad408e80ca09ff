#!/bin/bash
# The concatenated interval sets in the kernel are exactly what the
# renderer wrote (issue 11). nftables 1.0.6 stores some elements of a
# `mark . inet_proto . inet_service` interval set (the services' port sets,
# svc_ports and svc_ports_mode) with the mark byte-swapped when one command
# carries a long list of them (about 1,300: a netlink message's worth), so
# such sets go in FW_CHUNK elements per command (policy/render/fw_model.h).
# Here: a policy of 10,000 prefixes and 1,000 services (thousands of
# elements in svc_ports_mode), loaded whole by sekishod's own full path
# (fw_load, through build/bench-policy steps full) and changed by
# difference (fw_switch_mode + fw_policy_diff, steps inc), remote and
# office mode in turn, in two private network namespaces; after each step
# every concatenated interval set of `nft -j list table` (and at the end
# `nft -j list set`) is compared element by element with the text
# `sekisho-policy compile --for netvm` renders for the same policy and
# mode (tests/integration/concat_sets.py). `nft get element` is no check
# here: it swaps the mark back on lookup.
#   CONCAT_SEED (5): the random policies' seed (67-randpol.py).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${B:-build}
seed=${CONCAT_SEED:-5}
steps=3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sk68.XXXXXX")
NS=()
cleanup() { for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
newns() {
	ns=sk68$$-${#NS[@]}
	ip netns add "$ns" || return 1
	NS+=("$ns")
}
mode_of() { [ $(($1 % 2)) = 1 ] && echo office || echo remote; }
# compare WHAT RULESET JSON
compare() {
	local out
	if out=$(python3 tests/integration/concat_sets.py "$2" "$3"); then
		ok "$1: every concatenated interval set as rendered ($(echo "$out" | awk '{ printf "%s%s %s", s, $2, $3; s = ", " }') elements)"
	else
		not_ok "$1: a concatenated interval set differs from the rendering"
		echo "$out" | cut -c1-400 | sed 's/^/#   /'
	fi
}

echo "1..$((3 * steps + 1))"
echo "# seed $seed (CONCAT_SEED)"
mkdir -p "$tmp/pol" "$tmp/full" "$tmp/inc" "$tmp/base"
python3 tests/integration/67-randpol.py "$seed" "$steps" 10000 1000 "$tmp/pol" || { not_ok "policies"; exit 1; }
pols=()
for i in $(seq 0 $((steps - 1))); do
	pols+=("$tmp/pol/$i.conf")
	up=(); [ "$(mode_of "$i")" = office ] && up=(--uplink up0)
	"$B/sekisho-policy" compile --for netvm --mode "$(mode_of "$i")" "${up[@]}" \
		"$tmp/pol/$i.conf" >"$tmp/pol/$i.nft" || { not_ok "policy $i does not compile"; exit 1; }
done
big() {	# the policy's largest concatenated interval set holds more than a netlink message's worth
	local k
	k=$(python3 -c '
import re, sys
t = open(sys.argv[1]).read()
n = {}
for m in re.finditer(r"^(?:\tset (\S+) \{\n(?:\t\t.*\n)*?\t\telements = \{(.*)\}$|add element inet sekisho (\S+) \{(.*)\}$)", t, re.M):
    name = m.group(1) or m.group(3)
    n[name] = n.get(name, 0) + (m.group(2) or m.group(4)).count(",") + 1
print(max(n.get("svc_ports", 0), n.get("svc_ports_mode", 0)))' "$tmp/pol/0.nft")
	echo "# largest service port set: $k elements"
	[ "$k" -gt 2000 ]
}
if big; then ok "the policy's port sets are large (over 2,000 elements)"; else not_ok "the policy's port sets are too small to show anything"; fi

newns && a=$ns && newns && b=$ns && newns && c=$ns || { not_ok "namespaces"; exit 1; }
if ! ip netns exec "$a" "$B/bench-policy" steps full "$tmp/full" "${pols[@]}"; then
	not_ok "a full load failed"; exit 1
fi
if ! ip netns exec "$b" "$B/bench-policy" steps inc "$tmp/inc" "${pols[@]}"; then
	not_ok "a change by difference failed"; exit 1
fi
# sekishod's start: over the base ruleset, the sets by nfnetlink first
if ! ip netns exec "$c" "$B/bench-policy" steps base "$tmp/base" "${pols[@]}"; then
	not_ok "a full load over the base ruleset failed"; exit 1
fi
for i in $(seq 0 $((steps - 1))); do
	compare "full load of policy $i, $(mode_of "$i")" "$tmp/pol/$i.nft" "$tmp/full/$i.json"
	compare "full load over the base ruleset (the sets by nfnetlink) of policy $i, $(mode_of "$i")" \
		"$tmp/pol/$i.nft" "$tmp/base/$i.json"
	[ "$i" -gt 0 ] && compare "policy $i by difference, $(mode_of "$i")" "$tmp/pol/$i.nft" "$tmp/inc/$i.json"
done
last=$((steps - 1))
list_sets() {
	local s
	echo '{"nftables": ['
	for s in svc_ports svc_ports_mode; do
		ip netns exec "$a" nft -j list set inet sekisho "$s" | python3 -c 'import json, sys; print(",".join(json.dumps(o) for o in json.load(sys.stdin)["nftables"]))'
		[ "$s" = svc_ports ] && echo ,
	done
	echo ']}'
}
list_sets >"$tmp/sets.json"
compare "nft -j list set after the last full load" "$tmp/pol/$last.nft" "$tmp/sets.json"
