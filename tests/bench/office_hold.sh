#!/bin/bash
# Office mode held under CPU load, printed as "bench: NAME = VALUE UNIT":
#   office.hold_lost          times office mode was lost in BENCH_HOLD_S
#                             seconds on the office LAN itself, with
#                             BENCH_BURNERS (2) busy loops of normal
#                             priority running ("no office beacon verified":
#                             every loss is a fail-closed detour through
#                             remote mode)
#   office.hold_slow_rounds   genuine answers refused as over beacon-rtt in
#                             that time (each costs another round)
#   office.hold_verified      re-verifications that held
# Nothing moves: the laptop stays on the office LAN, so every loss and
# every slow round is the measure's, not the wire's. SEKISHOD=... runs
# another build's sekishod (with the probe and checker beside it), e.g.
# the one before the kernel's round trip:
#   SEKISHOD=../main/build/sekishod tests/bench/office_hold.sh
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lab/lab.sh
. tests/integration/lib.sh

secs=${BENCH_HOLD_S:-60}
burners=${BENCH_BURNERS:-2}
HOGS=()
cleanup() {
	for p in "${HOGS[@]}"; do kill "$p" 2>/dev/null; done
	netvm_cleanup; lab_down
}
trap cleanup EXIT
LAB_SEGMENTS="office" lab_up || exit 1
netvm_env
netvm_boot
log=$LAB_DIR/log/sekishod.log
netvm_start "$LAB_POLICY" -v || { echo "bench: office_hold: sekishod did not start" >&2; exit 1; }
lab_plug up0 office && lab_uplink_dhcp up0 && netvm_wait_mode office 20 ||
	{ echo "bench: office_hold: no office mode to begin with" >&2; exit 1; }
from=$(wc -l <"$log")
for _ in $(seq 1 "$burners"); do sh -c 'while :; do :; done' & HOGS+=($!); done
sleep "$secs"
for p in "${HOGS[@]}"; do kill "$p" 2>/dev/null; done
HOGS=()
since() { tail -n +"$(( from + 1 ))" "$log"; }
count() { since | grep -cE "$1"; }
bench office.hold_lost "$(count 'uplink up0: no office beacon verified')" \
	"times in $secs s ($burners busy loops; goal 0)"
bench office.hold_slow_rounds "$(count 'uplink up0: beacon tokyo-3f answered in [0-9]+ us, over the bound')" \
	"rounds"
bench office.hold_verified "$(count 'uplink up0: beacon tokyo-3f verified')" "re-verifications"
# Why each loss, and the slow rounds' times (the beacon's own scheduling
# is in them too: in the lab it shares the laptop's two CPUs).
since | grep -E 'no office beacon verified' >&2
since | sed -n 's/.*beacon tokyo-3f answered in \([0-9]*\) us, over the bound.*/\1/p' |
	sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "# slow rounds (us): p50 %d, max %d\n", v[int((NR + 1) / 2)], v[NR] }' >&2
bench_done
