#!/bin/bash
# Runs every test of the project and ends with "N passed, N failed".
#
# Every test speaks TAP: "ok N - what" / "not ok N - what" lines. Unit tests
# are cmocka binaries (build/unit/*, ASan+UBSan), integration tests are
# tests/integration/*.sh (real namespaces, nftables, wireguard-go, dnsmasq),
# fuzz-smoke runs each libFuzzer harness briefly on its seed corpus.
# A test program that exits non-zero without reporting a failing case
# counts as one failure, so a crash is never silent. Each test's wall time
# goes to $LOGDIR/times (seconds, name) and the ten slowest are listed at
# the end (the suite has 90 minutes on CI's 2 cores).
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
LOGDIR=${LOGDIR:-$B/test-logs}
mkdir -p "$LOGDIR"
passed=0 failed=0
failures=()
: >"$LOGDIR/times"
suite_t0=$(date +%s%N)

run_one() {	# name, command...
	local name=$1; shift
	local log="$LOGDIR/$name.log" rc ok nok t0 secs
	printf '== %s\n' "$name"
	t0=$(date +%s%N)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( ($(date +%s%N) - t0) / 1000000 ))
	secs=$(printf '%d.%01d' $((secs / 1000)) $((secs % 1000 / 100)))
	printf '%s\t%s\n' "$secs" "$name" >>"$LOGDIR/times"
	echo "   ($secs s)"
	ok=$(grep -cE '^ok [0-9]+' "$log")
	nok=$(grep -cE '^not ok [0-9]+' "$log")
	grep -E '^(not )?ok [0-9]+' "$log" | sed 's/^/   /'
	if [ "$rc" -ne 0 ] && [ "$nok" -eq 0 ]; then
		nok=1
		echo "   not ok - $name exited with status $rc"
	fi
	if [ "$rc" -ne 0 ] || [ "$nok" -ne 0 ]; then
		failures+=("$name")
		echo "   --- last lines of $log:"
		tail -n 25 "$log" | sed 's/^/   | /'
	fi
	passed=$((passed + ok)); failed=$((failed + nok))
}

export CMOCKA_MESSAGE_OUTPUT=TAP
for t in "$B"/unit/*; do
	[ -x "$t" ] && run_one "unit-$(basename "$t")" "$t"
done
for t in tests/integration/[0-9]*.sh; do
	[ -e "$t" ] || continue
	[ -n "${ONLY:-}" ] && [[ "$t" != *"$ONLY"* ]] && continue
	run_one "integration-$(basename "$t" .sh)" bash "$t"
done
run_one fuzz-smoke tests/fuzz/run.sh

echo "slowest (of $(( ($(date +%s%N) - suite_t0) / 1000000000 )) s in all):"
sort -rn "$LOGDIR/times" | head -n 10 | sed 's/^/   /'
[ ${#failures[@]} -gt 0 ] && echo "failing: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
