#!/bin/bash
# Incremental equals full (issue 11): sekishod changes the table by
# difference (a mode change: the mode's chains and small sets; a policy
# change: the elements that went and came, the chains that changed), and
# after every change the kernel's table must be exactly the one a full load
# of the same policy and mode gives. Random policy changes (prefixes, named
# sets, services added, removed, changed in ports, protocols and modes,
# inbound rules, resolvers, IPv6, work and gateway settings), modes remote
# and office in turn; sekishod's own functions (netvm/sekishod/firewall.c,
# through build/bench-policy steps) in two private network namespaces,
# `nft -j list table inet sekisho` compared after each step (handles,
# counters and the vouch's countdown left out, set elements sorted).
#   INC_STEPS (12) changes of a 60-prefix policy, then INC_STEPS_10K (3) of
#   a 10,000-prefix, 1,000-service one (about 20 s on the CI machine).
# And the full load sekishod makes at start (over the base ruleset: the
# policy's sets by nfnetlink first, then the chains, netvm/sekishod/
# firewall.c) gives, for every one of those policies, the table that one
# transaction of text gives (`steps base` against `steps full`).
set -u
cd "$(dirname "$0")/../.." || exit 1
B=${B:-build}
tool=$PWD/$B/bench-policy
steps=${INC_STEPS:-12}
steps10k=${INC_STEPS_10K:-3}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sk67.XXXXXX")
NS=()
cleanup() { for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null; done; rm -rf "$tmp"; }
[ -n "${INC_KEEP:-}" ] && cleanup() { for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null; done; echo "# kept $tmp"; }
trap cleanup EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
newns() {	# a private namespace, deleted at exit; its name in $ns
	ns=sk67$$-${#NS[@]}
	ip netns add "$ns" || return 1
	NS+=("$ns")
}

normalise() {	# JSON of `nft -j list table` -> canonical text
	python3 tests/integration/nft_canon.py "$1"
}

# run NAME SEED STEPS PREFIXES SERVICES
run() {
	local name=$1 dir=$tmp/$1 a b c i bad=0
	mkdir -p "$dir/pol" "$dir/inc" "$dir/full"
	python3 tests/integration/67-randpol.py "$2" "$3" "$4" "$5" "$dir/pol" ||
		{ not_ok "$name: policies"; return; }
	for i in $(seq 0 $(($3 - 1))); do
		"$B/sekisho-policy" check "$dir/pol/$i.conf" >/dev/null ||
			{ not_ok "$name: policy $i does not check"; return; }
	done
	newns && a=$ns && newns && b=$ns || { not_ok "$name: namespaces"; return; }
	local pols=()
	for i in $(seq 0 $(($3 - 1))); do pols+=("$dir/pol/$i.conf"); done
	ip netns exec "$a" "$tool" steps inc "$dir/inc" "${pols[@]}" ||
		{ not_ok "$name: a change by difference failed"; return; }
	ip netns exec "$b" "$tool" steps full "$dir/full" "${pols[@]}" ||
		{ not_ok "$name: a full load failed"; return; }
	for i in $(seq 1 $(($3 - 1))); do
		normalise "$dir/inc/$i.json" >"$dir/inc/$i.txt"
		normalise "$dir/full/$i.json" >"$dir/full/$i.txt"
		if ! [ -s "$dir/full/$i.txt" ] || ! cmp -s "$dir/inc/$i.txt" "$dir/full/$i.txt"; then
			bad=$((bad + 1))
			echo "# $name, step $i ($( [ $((i % 2)) = 1 ] && echo office || echo remote)): the tables differ:"
			diff "$dir/full/$i.txt" "$dir/inc/$i.txt" | cut -c1-200 | head -20 | sed 's/^/#   /'
			python3 -c '
import json, sys
a, b = (open(f).read().split("\n") for f in sys.argv[1:3])
for x, y in zip(a, b):
    if x != y and x.startswith("{\"set") or x.startswith("{\"map"):
        ex, ey = set(json.loads(x).popitem()[1]["elem"]), set(json.loads(y).popitem()[1]["elem"]) if y.startswith("{") else set()
        print("#   in the full load only:", sorted(ex - ey)[:10])
        print("#   after the changes only:", sorted(ey - ex)[:10])' "$dir/full/$i.txt" "$dir/inc/$i.txt"
		fi
	done
	[ "$bad" = 0 ] && ok "$name: after each of $(($3 - 1)) random changes the table equals a full load's" ||
		not_ok "$name: $bad of $(($3 - 1)) changes left a table unlike a full load's"
	# sekishod's start: the base ruleset in force, then fw_load in two
	# transactions (the policy's sets by nfnetlink, then the chains by
	# libnftables): the same table as one transaction of text
	newns && c=$ns || { not_ok "$name: namespaces"; return; }
	mkdir -p "$dir/base"
	ip netns exec "$c" "$tool" steps base "$dir/base" "${pols[@]}" ||
		{ not_ok "$name: a full load over the base ruleset failed"; return; }
	bad=0
	for i in $(seq 0 $(($3 - 1))); do
		normalise "$dir/full/$i.json" >"$dir/full/$i.txt"
		normalise "$dir/base/$i.json" >"$dir/base/$i.txt"
		if ! [ -s "$dir/base/$i.txt" ] || ! cmp -s "$dir/base/$i.txt" "$dir/full/$i.txt"; then
			bad=$((bad + 1))
			echo "# $name, policy $i: the two-step load differs from the text's:"
			diff "$dir/full/$i.txt" "$dir/base/$i.txt" | cut -c1-200 | head -20 | sed 's/^/#   /'
		fi
	done
	[ "$bad" = 0 ] && ok "$name: each of $3 policies loaded over the base ruleset in two steps gives the table one transaction of text gives" ||
		not_ok "$name: $bad of $3 two-step loads differ from the text's"
}

echo "1..4"
seed=${INC_SEED:-$RANDOM}; echo "# seed $seed (INC_SEED)"
[ "${INC_ONLY:-}" != 10k ] && run small "$seed" $((steps + 1)) 60 20
[ "${INC_ONLY:-}" != small ] && run 10k 7 $((steps10k + 1)) 10000 1000
