#!/bin/bash
# A shared terminal's handover (issue 15, item 4) in the lab of
# 97-agent-handover (tests/integration/handover_lab.sh): the lab's laptop
# behind sekisho-gw, sekisho-authd on its registry, two staff cards
# through pcscd + vpcd, a host per role. The cards take the laptop from
# each other HANDOVER_ROUNDS times (default 21); in each round work pings
# the new user's role host every millisecond, and a capture in LGWAN
# times, on one clock:
#   t_req    the new user's request (BOUND, 584 bytes) reaching the verifier
#   t_ok     the verifier's signed result leaving it (after its commit)
#   t_pass   the first echo request to the new user's host reaching LGWAN,
#            i.e. the first packet the gateway let through for the new user
# and prints
#   agent.handover_ms        median of t_pass - t_req: the card + PIN
#                            checked (Argon2id) and accepted, the registry's
#                            transaction, the gateway's feed and its one
#                            nftables transaction, to the first packet;
#                            goal < 100
#   agent.handover_p95_ms    its 95th percentile
#   agent.handover_after_ok_ms  median of t_pass - t_ok (the gateway may
#                            apply before the answer leaves the verifier:
#                            then it is 0 or less)
# Run it under `flock /tmp/sekisho-bench.lock`. No samples: fails loudly.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lab/lab.sh
. tests/integration/lib.sh
. tests/cards/cards.sh
. tests/integration/handover_lab.sh

ROUNDS=${HANDOVER_ROUNDS:-21}
T=$(mktemp -d /tmp/sekisho-bench-handover.XXXXXX)
chmod 0711 "$T"
DUMP= PING=
cleanup() {
	[ -n "$PING" ] && kill_tree "$PING"
	[ -n "$DUMP" ] && kill_tree "$DUMP"
	cards_down; netvm_cleanup; lab_down; rm -rf "$T"
}
trap cleanup EXIT

if ! hl_up "$T" >"$T/setup.log" 2>&1; then
	BENCH_WHY="the lab did not come up: $(tail -n 3 "$T/setup.log" | tr '\n' ' ')"
	bench agent.handover_ms - ms
	exit 1
fi
says() { [ "$(tail -n 1 <("$@" 2>>"$T/agent.err" </dev/null))" = "$WANT" ]; }
WANT="Signed on as s1001 with card + PIN for 480 minutes."
if ! says hl_agent login --reader "$CARDS_READER0" --pin-fd 3 3<"$HL_DIR/pin"; then
	BENCH_WHY="s1001 could not sign on: $(tail -n 2 "$T/agent.err" | tr '\n' ' ')"
	bench agent.handover_ms - ms
	exit 1
fi

# One round: the card in READER of USER (role host HOST) takes the laptop
# from FROM. Appends "t_pass-t_req t_pass-t_ok" (ms) to $T/samples.
round() {
	local reader=$1 user=$2 from=$3 host=$4 r
	rm -f "$T/cap" "$T/cap.err"
	n lgwan tcpdump -i any -n -tt -l -U "(udp dst port 51831 and udp[4:2] = 592) or
		(udp src port 51831 and udp[4:2] = 256) or (icmp[icmptype] = icmp-echo and dst host $host)" \
		>"$T/cap" 2>"$T/cap.err" &
	DUMP=$!
	lab_wait_for -t 10 grep -q 'listening on' "$T/cap.err" || return 1
	n work ping -n -q -i 0.001 "$host" >/dev/null 2>&1 &
	PING=$!
	WANT="Handed over from $from: signed on as $user with card + PIN for 480 minutes."
	says hl_agent handover --reader "$reader" --pin-fd 3 3<"$HL_DIR/pin" || return 1
	# the first packet of the new user through the gateway, after the request
	lab_wait_for -t 10 awk -v h="$host" '/length 584/ { q = 1 } q && $0 ~ "> " h ": ICMP echo request" { f = 1 } END { exit !f }' "$T/cap"
	r=$?
	kill_tree "$PING"; wait "$PING" 2>/dev/null; PING=
	kill_tree "$DUMP"; wait "$DUMP" 2>/dev/null; DUMP=
	[ -n "${HANDOVER_KEEP:-}" ] && cp "$T/cap" "$HANDOVER_KEEP/cap.$user.$(date +%s%N)"
	[ "$r" = 0 ] || return 1
	awk -v h="$host" '
		/length 584/ && !req { req = $1 }
		/length 248/ && req && !ok { ok = $1 }
		req && !pass && $0 ~ "> " h ": ICMP echo request" { pass = $1 }
		END { if (req && ok && pass) printf "%.3f %.3f\n", (pass - req) * 1000, (pass - ok) * 1000; else exit 1 }
	' "$T/cap" >>"$T/samples"
}

: >"$T/samples"
cur=s1001
for i in $(seq 1 "$ROUNDS"); do
	if [ "$cur" = s1001 ]; then
		round "$CARDS_READER1" s1002 s1001 "$HL_WELFARE" && cur=s1002 ||
			echo "# round $i: no sample ($(tail -n 1 "$T/agent.err" 2>/dev/null))" >&2
	else
		round "$CARDS_READER0" s1001 s1002 "$HL_TAX" && cur=s1001 ||
			echo "# round $i: no sample ($(tail -n 1 "$T/agent.err" 2>/dev/null))" >&2
	fi
done

read -r p50 p95 nn < <(awk '{ print $1 }' "$T/samples" | stats)
read -r a50 _ _ < <(awk '{ print $2 }' "$T/samples" | stats)
echo "# agent.handover: $nn of $ROUNDS rounds measured (goal: median < 100 ms over >= 20)"
[ "$nn" -ge 20 ] 2>/dev/null || { BENCH_WHY="only $nn samples of the 20 needed"; p50=-; p95=-; a50=-; }
bench agent.handover_ms "$p50" ms
bench agent.handover_p95_ms "$p95" ms
bench agent.handover_after_ok_ms "$a50" ms
bench_done
