#!/bin/bash
# Runs every libFuzzer harness in build/fuzz on its seed corpus for
# FUZZ_SECONDS (default 5: the smoke run of make check; make fuzz runs longer).
# One TAP line per harness.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-5}
n=0 rc=0
for f in build/fuzz/*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	n=$((n + 1))
	corpus=$(mktemp -d)
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
	if "$f" -max_total_time="$secs" -max_len=65536 -timeout=10 "$corpus" \
	    >"build/fuzz/$name.log" 2>&1; then
		runs=$(grep -oE 'Done [0-9]+ runs' "build/fuzz/$name.log" | grep -oE '[0-9]+')
		echo "ok $n - fuzz $name (${runs:-?} runs in ${secs}s)"
	else
		echo "not ok $n - fuzz $name: see build/fuzz/$name.log"
		tail -n 30 "build/fuzz/$name.log"
		rc=1
	fi
	rm -rf "$corpus"
done
[ "$n" -gt 0 ] || echo "# no fuzz harnesses built"
exit $rc
