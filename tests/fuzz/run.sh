#!/bin/bash
# Runs every libFuzzer harness in build/fuzz on its seed corpus for
# FUZZ_SECONDS (default 5: the smoke run of make check; make fuzz runs longer).
# One TAP line per harness, in name order. FUZZ_JOBS harnesses run at once
# (default: one per CPU; each harness uses one): the smoke run is a fixed
# time per harness, 40-odd harnesses, so on CI's 2 cores it takes half
# the wall time it took one at a time.
set -u
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-5}
jobs=${FUZZ_JOBS:-$(nproc)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1

one() {	# HARNESS: its log in build/fuzz/NAME.log, its exit status in NAME.rc
	local f=$1 name corpus rc
	name=$(basename "$f")
	corpus=$(mktemp -d)
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$corpus/"
	"$f" -max_total_time="$secs" -max_len=65536 -timeout=10 "$corpus" \
	    >"build/fuzz/$name.log" 2>&1
	rc=$?
	rm -rf "$corpus"
	echo "$rc" >"build/fuzz/$name.rc"
}

harnesses=()
for f in build/fuzz/*; do
	[ -x "$f" ] && [ -f "$f" ] && harnesses+=("$f")
done
running=0
for f in "${harnesses[@]}"; do
	rm -f "build/fuzz/$(basename "$f").rc"
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	one "$f" &
	running=$((running + 1))
done
wait

n=0 rc=0
for f in "${harnesses[@]}"; do
	name=$(basename "$f")
	n=$((n + 1))
	if [ "$(cat "build/fuzz/$name.rc" 2>/dev/null)" = 0 ]; then
		runs=$(grep -oE 'Done [0-9]+ runs' "build/fuzz/$name.log" | grep -oE '[0-9]+')
		echo "ok $n - fuzz $name (${runs:-?} runs in ${secs}s)"
	else
		echo "not ok $n - fuzz $name: see build/fuzz/$name.log"
		tail -n 30 "build/fuzz/$name.log"
		rc=1
	fi
	rm -f "build/fuzz/$name.rc"
done
[ "$n" -gt 0 ] || echo "# no fuzz harnesses built"
exit $rc
