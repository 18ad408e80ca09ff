#!/bin/bash
# sekisho-provision's figures (docs/provisioning.md, "Figures"):
#   provision.import_20000_devices_s     import 20,000 laptops from CSV (no key
#       column: the key pairs are made here), then sign and write every
#       laptop's bundle and keys (device export --all), on SQLite; goal < 10 s
#   provision.import_20000_devices_pg_s  the same on PostgreSQL (a server of
#       the bench's own, tests/lab/pg.sh)
#   provision.user_sync_20000_s          user sync of 20,000 staff from a slapd
#       of the bench's own (tests/lab/slapd.sh); goal < 30 s
#   provision.gateway_export_ms          gateway export of 5,000 peers, median
#       of 9; goal < 500
#   registry.feed_notify_ms_sqlite/_pg   tests/bench/gwfeed.sh, run at the end
# The bundles are written to tmpfs (/dev/shm) when there is one: the figure
# is the tool's, not the disk's (80,000 small files cost this VM's disk
# about 45 s of metadata writes on their own).
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lab/pg.sh

P=$PWD/${B:-build}/sekisho-provision
tmp=$(mktemp -d /tmp/sekisho-bench-prov.XXXXXX)
chmod 0711 "$tmp"
out=$tmp
[ -d /dev/shm ] && out=$(mktemp -d /dev/shm/sekisho-bench-prov.XXXXXX)
slapd_dir=""
cleanup() {
	pg_stop "$tmp/pg"
	[ -n "$slapd_dir" ] && slapd_stop "$slapd_dir"
	rm -rf "$tmp" "$out"
}
trap cleanup EXIT

secs() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.2f}')" "$@"; }

cat >"$tmp/tmpl.conf" <<'T'
version 1
gateway "agency-gw" {
	endpoint 192.0.2.10:51820
	public-key "A+wQmjkxua52Sjg54mwPZLzGcjirW+tqLiZZtawPG08="
}
lgwan {
	prefix 10.64.0.0/16
	prefix 10.65.0.0/16
	resolver 10.64.0.53
}
work {
	address 172.30.0.2/24
	router 172.30.0.1
}
T
python3 - "$tmp" <<'PY'
import sys
d = sys.argv[1]
with open(f"{d}/devices.csv", "w", encoding="cp932", newline="") as f:
    f.write("端末名,グループ,資産番号\r\n")
    for i in range(20000):
        f.write(f"pc-{i:05d},default,A{i:06d}\r\n")
PY

# setup URL KEYS: init and the group
setup() {
	SEKISHO_REGISTRY=$1 SEKISHO_KEYS=$2 "$P" -q init --pool 10.80.0.0/16 >/dev/null &&
	SEKISHO_REGISTRY=$1 SEKISHO_KEYS=$2 "$P" -q group add default "$tmp/tmpl.conf"
}
# import_run URL KEYS OUTDIR -> seconds
import_run() {
	local t0 t1
	t0=$(date +%s%N)
	SEKISHO_REGISTRY=$1 SEKISHO_KEYS=$2 "$P" -q device import "$tmp/devices.csv" >/dev/null &&
	SEKISHO_REGISTRY=$1 SEKISHO_KEYS=$2 "$P" -q device export --all "$3" >/dev/null || return 1
	t1=$(date +%s%N)
	[ "$(ls "$3" | wc -l)" = 20000 ] || return 1
	secs "$t0" "$t1"
}

v=$(setup "sqlite:$tmp/sq.db" "$tmp/keys-sq" && import_run "sqlite:$tmp/sq.db" "$tmp/keys-sq" "$out/sq")
bench provision.import_20000_devices_s "$v" "s (goal < 10)"

if pg_start "$tmp/pg"; then
	v=$(setup "$PG_URL" "$tmp/keys-pg" && import_run "$PG_URL" "$tmp/keys-pg" "$out/pg")
	bench provision.import_20000_devices_pg_s "$v" "s (PostgreSQL)"
else
	bench provision.import_20000_devices_pg_s "" "s (PostgreSQL did not start)"
fi

# gateway export: 5,000 active peers (a registry of its own)
gw() {
	local url=sqlite:$tmp/gw.db keys=$tmp/keys-gw i t0 t1
	setup "$url" "$keys" || return 1
	python3 - "$tmp" <<'PY'
import base64, os, sys
d = sys.argv[1]
with open(f"{d}/gw.csv", "w") as f:
    f.write("name,pubkey\r\n")
    for i in range(5000):
        f.write(f"gw-{i:05d},{base64.b64encode(os.urandom(32)).decode()}\r\n")
PY
	SEKISHO_REGISTRY=$url SEKISHO_KEYS=$keys "$P" -q device import "$tmp/gw.csv" >/dev/null || return 1
	for i in 1 2 3 4 5 6 7 8 9; do
		t0=$(date +%s%N)
		SEKISHO_REGISTRY=$url SEKISHO_KEYS=$keys "$P" -q gateway export "$tmp/gw.conf" || return 1
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000000 ))
	done
	[ "$(grep -c '^\[Peer\]' "$tmp/gw.conf")" = 5000 ] || return 1
}
read -r p50 _ _ < <(gw | stats)
bench provision.gateway_export_ms "$p50" "ms (5,000 peers, median of 9; goal < 500)"

# user sync from slapd: 20,000 staff into an empty registry, the plan
# applied in one transaction (tests/lab/slapd.sh starts the server)
. tests/lab/slapd.sh
sync_run() {
	local url=sqlite:$tmp/sync.db t0 t1
	python3 tests/lab/slapd-users.py 20000 --retired 20 >"$tmp/users.ldif" &&
	slapd_start "$slapd_dir" "$tmp/users.ldif" >/dev/null || return 1
	install -m 0600 "$SLAPD_SYNC_PW_FILE" "$tmp/sync.secret"
	cat >"$tmp/ldap.conf" <<C
url $SLAPD_URL
base ou=people,$SLAPD_BASE
filter (objectClass=inetOrgPerson)
bind_dn $SLAPD_SYNC_DN
bind_password_file $tmp/sync.secret
page_size 1000
attr staff_id employeeNumber
attr name cn
attr kana displayName
attr dept departmentNumber
attr role title
disabled equals employeeType retired
C
	chmod 0600 "$tmp/ldap.conf"
	t0=$(date +%s%N)
	SEKISHO_REGISTRY=$url SEKISHO_KEYS=$tmp/keys-sync "$P" -q user sync --config "$tmp/ldap.conf" \
		>"$tmp/sync.out" || return 1
	t1=$(date +%s%N)
	grep -q "^ldap sync: 19000 added" "$tmp/sync.out" || { cat "$tmp/sync.out" >&2; return 1; }
	secs "$t0" "$t1"
}
slapd_dir=$tmp/slapd
v=$(sync_run)
bench provision.user_sync_20000_s "$v" "s (20,000 entries, 1,000 retired; goal < 30)"

# the registry's change feed, which sekisho-gw follows: its own script
# (registry.feed_notify_ms_sqlite / _pg)
bash tests/bench/gwfeed.sh || BENCH_FAILED=1
bench_done
