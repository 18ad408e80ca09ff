#!/bin/bash
# make lab-down: tear down every lab that up.sh left running.
set -u
. "$(dirname "$0")/lab.sh"
REG=${LAB_REGISTRY:-/run/sekisho-lab}
n=0
for f in "$REG"/sk*; do
	[ -f "$f" ] || continue
	p=${f##*/}
	d=$(cat "$f")
	_lab_teardown "$p" "$d"
	rm -f "$f"
	echo "lab $p: down"
	n=$((n + 1))
done
rm -f /run/sekisho-lab.current
rmdir "$REG" 2>/dev/null || true
[ "$n" -gt 0 ] || echo "no lab running (nothing in $REG)"
exit 0
