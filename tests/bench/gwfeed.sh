#!/bin/bash
# The registry's change feed, which sekisho-gw follows (docs/provisioning.md,
# "The change feed"): a device add committed by one process -> the
# follower in another (reg_feed_listen's descriptor readable, drained, the
# row read with reg_feed_since). Median of 50, each change waited for
# before the next:
#   registry.feed_notify_ms_sqlite   inotify on the file and its -wal
#   registry.feed_notify_ms_pg       LISTEN/NOTIFY, a server of the bench's
#                                    own (tests/lab/pg.sh)
# Goal: well under gw.one_change_ms's 20 ms, of which it is a part.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lab/pg.sh

G=$PWD/${B:-build}/bench-gwfeed
N=50
tmp=$(mktemp -d /tmp/sekisho-bench-gwfeed.XXXXXX)
chmod 0711 "$tmp"
trap 'pg_stop "$tmp/pg"; rm -rf "$tmp"' EXIT

run() {	# NAME URL
	local s
	if ! "$G" "$2" "$N" >"$tmp/$1.txt" 2>"$tmp/$1.err"; then
		BENCH_WHY="bench-gwfeed: $(tail -1 "$tmp/$1.err")"
		bench "registry.feed_notify_ms_$1" - ms
		return
	fi
	# two decimals: the figures are well under a millisecond
	read -r p50 p95 n < <(sort -n "$tmp/$1.txt" | python3 -c '
import sys
v = [float(x) for x in sys.stdin.read().split()]
p = lambda q: v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
print(f"{p(0.5):.2f} {p(0.95):.2f} {len(v)}" if v else "- - 0")')
	bench "registry.feed_notify_ms_$1" "$p50" ms
	echo "  ($1: p95 $p95 ms, $n samples)"
}

run sqlite "sqlite:$tmp/feed.db"
if pg_start "$tmp/pg"; then
	run pg "$PG_URL"
else
	BENCH_WHY="PostgreSQL did not start"
	bench registry.feed_notify_ms_pg - ms
fi
bench_done
