#!/bin/bash
# make bench: every benchmark, each printing "bench: NAME = VALUE UNIT".
# Figures, not assertions: the goals are stated beside them.
set -u
cd "$(dirname "$0")/../.."
rc=0
for b in remote switch office_move beacon office_hold policy dns provision-io provision auth gw handover agent; do
	echo "== bench $b"
	bash "tests/bench/$b.sh" || { echo "bench $b: failed"; rc=1; }
done
exit $rc
