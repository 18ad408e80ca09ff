# shellcheck shell=bash
# What every bench shares: the output line, percentiles, and ending only
# the processes a bench started itself.

BENCH_FAILED=0
# bench NAME VALUE UNIT: "bench: NAME = VALUE UNIT". A figure with no value
# (no samples) prints "bench: NAME = - UNIT", says why on stderr and fails
# the bench (and make bench): it never passes as "-".
bench() {
	if [ -z "${2:-}" ] || [ "$2" = - ]; then
		printf 'bench: %s = - %s\n' "$1" "${3:-}"
		printf 'bench: %s: NO SAMPLES, nothing was measured%s\n' "$1" \
			"${BENCH_WHY:+ ($BENCH_WHY)}" >&2
		BENCH_FAILED=1
		return 1
	fi
	printf 'bench: %s = %s %s\n' "$1" "$2" "$3"
}
# Samples on stdin -> "p50 p95 n" ("- - 0" without samples).
stats() { percentiles 0.5 0.95 n; }
# Samples on stdin -> the percentiles Q... asked for (0.25 the first
# quartile), and the count where a Q is "n"; "-" for each without samples.
percentiles() {
	sort -n | python3 -c '
import sys
v = [float(x) for x in sys.stdin.read().split()]
p = lambda q: v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
out = []
for q in sys.argv[1:]:
    if q == "n":
        out.append(str(len(v)))
    else:
        out.append(f"{p(float(q)):.1f}" if v else "-")
print(" ".join(out))' "$@"
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

# gen_policy HEAD PREFIXES SERVICES ORDER: a policy of HEAD's blocks (all
# but lgwan) and an lgwan block of PREFIXES prefixes: the lab's 10.64.0.0/16,
# 10.65.0.0/16 and 172.20.0.0/16, then disjoint, non-adjacent /24s
# 10.X.Y.0 (Y even; X skips the lab's 64-66, 77 and 255). With SERVICES:
# SERVICES / 10 named sets of (at most) 50 of the /24s, SERVICES - 1
# services each to one named set (every other one also to an inline /26
# inside another /24), TCP port lists with a range (every other one UDP
# ports too, every fifth ICMP echo, every tenth remote-only), and the
# service "portal" (the lab's three /16s, TCP 80,443,5201, ICMP echo),
# last (ORDER=last) or first (ORDER=first).
gen_policy() {
	python3 - "$@" <<-'PY'
	import sys
	head, n, nsvc, order = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
	out = [l for l in open(head).read().split("\n")]
	keep, skip = [], False
	for l in out:
	    if l.startswith("lgwan {"):
	        skip = True
	    if not skip:
	        keep.append(l)
	    elif l.startswith("}"):
	        skip = False
	base = ["10.64.0.0/16", "10.65.0.0/16", "172.20.0.0/16"]
	fill = []
	x = 0
	while len(base) + len(fill) < n:
	    if x not in (64, 65, 66, 77, 255):
	        for y in range(0, 256, 2):
	            if len(base) + len(fill) < n:
	                fill.append((x, y))
	    x += 1
	p = ["\n".join(keep).rstrip("\n"), "lgwan {"]
	p += ["\tprefix %s" % b for b in base[:n]]
	p += ["\tprefix 10.%d.%d.0/24" % f for f in fill]
	p += ["\tresolver 10.64.0.53", "}"]
	nsets = max(1, nsvc // 10)
	if nsvc > 0:
	    for k in range(nsets):
	        members = fill[k::nsets][:50] or fill[:1]
	        p.append('set "g%d" {' % k)
	        p += ["\tprefix 10.%d.%d.0/24" % f for f in members]
	        p.append("}")
	    portal = ['service "portal" {', "\tclass lgwan"] + \
	        ["\tto %s" % b for b in base] + ["\ttcp 80,443,5201", "\ticmp echo", "}"]
	    if order == "first":
	        p += portal
	    for j in range(nsvc - 1):
	        s = ['service "s%d" {' % j, "\tclass %s" % ("prelogon" if j % 3 == 0 else "lgwan"),
	             "\tto g%d" % (j % nsets)]
	        if j % 2 and fill:
	            f = fill[(j * 7) % len(fill)]
	            s.append("\tto 10.%d.%d.64/26" % f)
	        lo = 2000 + (j % 50) * 10
	        s.append("\ttcp %d,%d-%d,%d" % (1000 + j % 900, lo, lo + 9, 9000 + j))
	        if j % 2 == 0:
	            s.append("\tudp %d,%d" % (3000 + j % 500, 40000 + j))
	        if j % 5 == 0:
	            s.append("\ticmp echo")
	        if j % 10 == 9:
	            s.append("\tmode remote")
	        p += s + ["}"]
	    if order == "last":
	        p += portal
	print("\n".join(p))
	PY
}

