# shellcheck shell=bash
# The sign-on tests' common set-up (88, 89, 95, 96; the template also 91
# and 93): a registry with one group, laptops and staff made with the real
# sekisho-provision, and the real verifier (sekisho-authd) and laptop relay
# (sekisho-signon) in the card stack's network namespace
# (tests/cards/cards.sh). Sourced from the tree's top, after
# tests/integration/lib.sh; every function works in the current directory
# and returns non-zero on the first step that fails.
#
# so_template [ENDPOINT PUBKEY RESOLVER ADDRESS ROUTER]
#	a group's template on stdout; by default a gateway at
#	192.0.2.10:51820 with a fresh key, LGWAN 10.64.0.0/16 (resolver
#	10.64.0.53), work 172.30.0.2/24 behind 172.30.0.1.
# so_laptops [--endpoint EP] DEVICE...
#	with SEKISHO_REGISTRY and SEKISHO_KEYS set: the registry made (pool
#	10.77.0.0/16, EP default 192.0.2.10:51820), group "default" from
#	./tmpl.conf, each DEVICE added and exported to ./out1, ./out2, ...
#	(its sign-on key: outN/signon.key).
# so_user ID NAME ROLE [PINFILE [--idm IDM | --pubkey KEY]]
#	a staff member; with PINFILE her PIN, then her card.
# so_verifier_keys DIR
#	the verifier's keys in DIR (made 0700): DIR/sign.key, DIR/seal.key
#	and their .pub.
# In the card stack's namespace (CARDS_HOLDER), the verifier on
# 127.0.0.1:$VPORT and the relay on 127.0.0.1:$RPORT (default 51831,
# 51832); both are added to the caller's array `pids`:
# so_authd_ns [OPTION...]
#	sekisho-authd with ./authd's keys, ./rules, the audit trail in
#	./audit.jsonl, its log appended to ./authd.log; SO_AUTHD_PID.
# so_relay_ns [DEVICE [KEYDIR]]
#	the relay of DEVICE (pc-001) with KEYDIR/signon.key (out1) pinning
#	./authd's public keys, its log in ./relay.log; SO_RELAY_PID.
# so_listening PORT...
#	until each UDP port listens in the namespace (10 s at most).

SO_BD=${SO_BD:-$PWD/${B:-build}}
VPORT=${VPORT:-51831}
RPORT=${RPORT:-51832}

so_template() {
	local ep=${1:-192.0.2.10:51820} pub=${2:-} dns=${3:-10.64.0.53}
	local addr=${4:-172.30.0.2/24} router=${5:-172.30.0.1}
	[ -n "$pub" ] || pub=$(wg genkey | wg pubkey) || return 1
	printf 'version 1\ngateway "agency-gw" {\n\tendpoint %s\n\tpublic-key "%s"\n}\n' "$ep" "$pub"
	printf 'lgwan {\n\tprefix 10.64.0.0/16\n\tresolver %s\n}\n' "$dns"
	printf 'work {\n\taddress %s\n\trouter %s\n}\n' "$addr" "$router"
}

so_laptops() {
	local ep=192.0.2.10:51820 p=$SO_BD/sekisho-provision i=0 d
	[ "${1:-}" = --endpoint ] && { ep=$2; shift 2; }
	"$p" -q init --pool 10.77.0.0/16 --endpoint "$ep" >/dev/null &&
	"$p" -q group add default tmpl.conf || return 1
	for d in "$@"; do
		i=$((i + 1))
		"$p" -q device add "$d" >/dev/null &&
		"$p" -q device export "$d" "out$i" >/dev/null || return 1
	done
}

so_user() {
	local p=$SO_BD/sekisho-provision
	"$p" -q user add "$1" --name "$2" --role "$3" || return 1
	[ $# -ge 4 ] || return 0
	"$p" -q user pin "$1" --pin-fd 3 3<"$4" || return 1
	[ $# -ge 6 ] || return 0
	"$p" -q card assign "$1" "$5" "$6"
}

so_verifier_keys() {
	mkdir -m 0700 "$1" && "$SO_BD/sekisho-authd" -G "$1" >/dev/null
}

so_authd_ns() {
	nsenter -t "$CARDS_HOLDER" -n -- "$SO_BD/sekisho-authd" -d -r "$SEKISHO_REGISTRY" \
		-k authd/sign.key -s authd/seal.key -f rules -l "127.0.0.1:$VPORT" \
		-j audit.jsonl "$@" 2>>authd.log &
	SO_AUTHD_PID=$!
	pids+=("$SO_AUTHD_PID")
}

so_relay_ns() {
	nsenter -t "$CARDS_HOLDER" -n -- "$SO_BD/sekisho-signon" -d -n "${1:-pc-001}" \
		-k "${2:-out1}/signon.key" -V "127.0.0.1:$VPORT" -S "$(cat authd/sign.pub)" \
		-E "$(cat authd/seal.pub)" -l "127.0.0.1:$RPORT" 2>relay.log &
	SO_RELAY_PID=$!
	pids+=("$SO_RELAY_PID")
}

_so_udp_up() { cn ss -Hlun "sport = :$1" | grep -q .; }
so_listening() {
	local port
	for port in "$@"; do
		_cards_wait 200 _so_udp_up "$port" || return 1
	done
}
