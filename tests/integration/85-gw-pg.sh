#!/bin/bash
# sekisho-gw on a PostgreSQL registry (issue 13, item 4): the database
# goes away while laptops work. The gateway keeps the last good state in
# force (the laptop keeps reaching LGWAN, sessions can be opened), says so
# in one line per try, tries again with growing backoff, and once the
# database is back it takes the changes made since: a laptop provisioned
# after the outage connects, no restart.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/lab/pg.sh
. tests/integration/lib.sh

PGDIR=""
cleanup() { [ -n "$PGDIR" ] && pg_stop "$PGDIR"; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
PGDIR=$(mktemp -d /tmp/sekisho-gwpg.XXXXXX) && chmod 0755 "$PGDIR"
pg_start "$PGDIR" || { echo "not ok 1 - PostgreSQL"; exit 1; }
LAB_GW_REGISTRY=$PG_URL
if lab_gw_up; then tap_ok "sekisho-gw runs the lab's agency from a PostgreSQL registry"
else tap_not_ok "sekisho-gw on PostgreSQL: $(tail -3 "$LAB_DIR/log/agency-gw.log")"; fi
GWLOG=$LAB_DIR/log/agency-gw.log
declare -A ADDR
add_laptop() {	# NAME N
	local out
	(umask 077; wg genkey >"$LAB_DIR/gw/$1.key")
	out=$(lab_gw_prov device add "$1" --group lab --pubkey "$(wg pubkey <"$LAB_DIR/gw/$1.key")") &&
	ADDR[$1]=${out#* } && ADDR[$1]=${ADDR[$1]%/32} &&
	lab_laptop_up "$1" "$2" "$LAB_DIR/gw/$1.key" "${ADDR[$1]}"
}
portal_from() { n "$1" curl -sS -m 3 "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
if add_laptop lt1 1; then tap_ok "laptop lt1 provisioned and up"; else tap_not_ok "laptop lt1"; fi
check "lt1 reaches the portal" lab_wait_for -t 15 portal_from lt1

pg_halt "$PGDIR"
check "the database is down" bash -c "! $LAB_BUILD/sekisho-provision -r '$PG_URL' device list >/dev/null 2>&1"
lost() { grep -q 'the last good state holds' "$GWLOG"; }
check "the gateway notices: the last good state holds" lab_wait_for -t 10 lost
summary() { lab_gw status --summary --json; }
check "status says the registry is lost" bash -c \
	"$LAB_BUILD/sekisho-gw -s $LAB_GW_SOCK status --summary --json | grep -qF '\"connected\": false'"
check "lt1 still reaches the portal" portal_from lt1
check "its peer is still there" bash -c \
	"ip netns exec $NS_AGENCY wg show $LAB_WG_GW allowed-ips | grep -qF '${ADDR[lt1]}/32'"
backoff() {
	grep -o 'next try in [0-9]* ms' "$GWLOG" | awk '{ print $4 }' | head -4 | tr '\n' ' '
}
grows() { [ "$(backoff)" = "250 500 1000 2000 " ]; }
check "it tries again with growing backoff (250, 500, 1000, 2000 ms)" lab_wait_for -t 20 grows

grep sekisho-gw "$GWLOG" | tail -5 | sed "s/^/# /"
pg_resume "$PGDIR"
back() { grep -qF 'registry connected again' "$GWLOG"; }
check "the database is back: the gateway reconnects" lab_wait_for -t 15 back
if add_laptop lt2 2; then tap_ok "laptop lt2 provisioned after the outage"; else tap_not_ok "laptop lt2"; fi
check "lt2 connects, no restart" lab_wait_for -t 15 portal_from lt2
check "lt1 was never touched" bash -c "[ \$(grep -c 'device lt1' $GWLOG) = 0 ]"
tap_done
