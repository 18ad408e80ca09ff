# shellcheck shell=bash
# What every bench shares: the output line, percentiles, and ending only
# the processes a bench started itself.

BENCH_FAILED=0
# bench NAME VALUE UNIT: "bench: NAME = VALUE UNIT". A figure with no value
# (no samples) is said so and fails the bench: it never passes as "-".
bench() {
	if [ -z "${2:-}" ] || [ "$2" = - ]; then
		printf 'bench: %s = - %s (NO SAMPLES: nothing was measured)\n' "$1" "${3:-}"
		BENCH_FAILED=1
		return 1
	fi
	printf 'bench: %s = %s %s\n' "$1" "$2" "$3"
}
# Samples on stdin -> "p50 p95 n" ("- - 0" without samples).
stats() {
	sort -n | python3 -c '
import sys
v = [float(x) for x in sys.stdin.read().split()]
p = lambda q: v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
print(f"{p(0.5):.1f} {p(0.95):.1f} {len(v)}" if v else "- - 0")'
}
# kill_tree PID: PID and every process below it, children first: only what
# this script started, never by name.
kill_tree() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done
	kill "$1" 2>/dev/null
}
# The bench's status at its end: 1 if any figure had no samples.
bench_done() { return "$BENCH_FAILED"; }
