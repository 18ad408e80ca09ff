#!/bin/bash
# The sign-on verifier (agency/sekisho-authd), its engine in process on one
# core (taskset), on a SQLite registry in a temporary directory, printed as
# "bench: NAME = VALUE UNIT" (tests/signon/bench-auth.c):
#   auth.logins_per_s          card challenge-response sign-ons accepted per
#                              second of the verifier's CPU time: the
#                              rate limits (each laptop from its own
#                              address), the laptop's Ed25519 signature,
#                              the nonce, the card's ECDSA P-256
#                              signature, the registry rows (SQLite,
#                              statements kept prepared), the stage-2
#                              session, the chained audit record, the
#                              signed result; goal >= 5,000
#   auth.logins_per_s_wall     the same per second of wall time (what a
#                              shared, busy build machine gives)
#   auth.pin_logins_per_s      card + PIN with the production Argon2id
#                              parameters (m = 19456 KiB, t = 2, p = 1:
#                              registry/ops.h), per CPU second: reported
#   auth.pin_logins_per_s_wall
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
B=${B:-build}
T=$(mktemp -d /tmp/sekisho-bench-auth.XXXXXX)
trap 'rm -rf "$T"' EXIT

run() {	# KIND N
	local name value
	while read -r name value; do
		bench "auth.$name" "$value" "logins/s"
	done < <(taskset -c 0 "$B/bench-auth" "sqlite:$T/$1.db" "$1" "$2")
}
run key 20000
echo "# auth.pin_logins_per_s: Argon2id m=19456 KiB t=2 p=1"
run pin 200
exit $BENCH_FAILED
