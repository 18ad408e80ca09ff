#!/bin/bash
# `sekisho-provision user sync` against a slapd this test starts
# (tests/lab/slapd.sh), on SQLite and on PostgreSQL (tests/lab/pg.sh): the
# dry run prints the plan and writes nothing; the sync adds the directory's
# staff in one transaction; a changed department is an update; a leaver
# (employeeType retired) and a deleted entry are disabled, never deleted;
# a second run plans nothing; an unreachable directory changes nothing.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
. tests/lab/pg.sh
. tests/lab/slapd.sh

P=$PWD/${B:-build}/sekisho-provision
T=$(mktemp -d /tmp/sekisho-sync.XXXXXX)
chmod 0755 "$T"
cleanup() { slapd_stop "$T/slapd"; pg_stop "$T/pg"; rm -rf "$T"; }
trap cleanup EXIT

python3 tests/lab/slapd-users.py 6 --retired 6 >"$T/users.ldif"
if ! slapd_start "$T/slapd" "$T/users.ldif"; then
	echo "not ok 1 - slapd started"; exit 1
fi
tap_ok "slapd started with 6 staff, S00006 retired"
install -m 0600 "$SLAPD_SYNC_PW_FILE" "$T/sync.secret"
cat >"$T/ldap.conf" <<C
url ldap://127.0.0.1:1/
base ou=people,$SLAPD_BASE
filter (objectClass=inetOrgPerson)
bind_dn $SLAPD_SYNC_DN
bind_password_file $T/sync.secret
attr staff_id employeeNumber
attr name cn
attr kana displayName
attr dept departmentNumber
attr role title
disabled equals employeeType retired
C
chmod 0600 "$T/ldap.conf"
ids() { "$P" user list --csv | tail -n +2 | cut -d, -f1,6 | tr -d '\r' | tr '\n' ' '; }
export P; export -f ids

suite() {	# LABEL URL
	local L=$1
	export SEKISHO_REGISTRY=$2
	sync() { "$P" -q --by it-sync user sync "$SLAPD_URL" --config "$T/ldap.conf" "$@"; }
	check "$L: an unreachable directory: one line, nothing written" bash -c \
		"! $P -q user sync --config $T/ldap.conf 2>$T/err && [ \$(wc -l <$T/err) = 1 ] &&
		 grep -q 'ldap://127.0.0.1:1' $T/err && [ -z \"\$($P user list --csv | tail -n +2)\" ]"
	check "$L: --dry-run prints the plan and writes nothing" bash -c \
		"out=\$($P -q user sync $SLAPD_URL --config $T/ldap.conf --dry-run) &&
		 echo \"\$out\" | grep -q '^add *S00001 ' && echo \"\$out\" | tail -1 | grep -qx 'ldap sync: 5 to add, 0 to update, 0 to disable, 0 unchanged' &&
		 [ -z \"\$($P user list --csv | tail -n +2)\" ]"
	check "$L: sync adds the directory's staff (the leaver not)" bash -c \
		"[ \"\$($P -q --by it-sync user sync $SLAPD_URL --config $T/ldap.conf)\" = 'ldap sync: 5 added, 0 updated, 0 disabled, 0 unchanged' ] &&
		 [ \"\$(ids)\" = 'S00001,0 S00002,0 S00003,0 S00004,0 S00005,0 ' ]"
	check "$L: the Japanese names as the directory holds them" bash -c \
		"$P user list --csv | grep -q '^S00001,佐藤 太郎,'"
	check "$L: a second run plans nothing" bash -c \
		"[ \"\$($P -q user sync $SLAPD_URL --config $T/ldap.conf)\" = 'ldap sync: 0 added, 0 updated, 0 disabled, 5 unchanged' ]"
	check "$L: a user's PIN survives a sync" bash -c \
		"printf '2468\n' | $P -q user pin S00002 --pin-fd 0 && $P user list --csv | grep -q '^S00002,.*,1,0'"
}

suite sqlite "sqlite:$T/reg.db"
if pg_start "$T/pg"; then
	suite pg "$PG_URL"
else
	tap_not_ok "a PostgreSQL server of our own"
fi

# changes in the directory, then both registries follow
cat >"$T/change.ldif" <<C
dn: uid=u00002,ou=people,$SLAPD_BASE
changetype: modify
replace: departmentNumber
departmentNumber: 税務課

dn: uid=u00003,ou=people,$SLAPD_BASE
changetype: modify
add: employeeType
employeeType: retired

dn: uid=u00004,ou=people,$SLAPD_BASE
changetype: delete
C
check "the directory changes: S00002 moves, S00003 leaves, S00004 is deleted" slapd_modify "$T/slapd" "$T/change.ldif"
after() {	# LABEL URL
	local L=$1
	export SEKISHO_REGISTRY=$2
	check "$L: --dry-run shows the update and the two disables" bash -c \
		"out=\$($P -q user sync $SLAPD_URL --config $T/ldap.conf --dry-run) &&
		 echo \"\$out\" | grep -q '^update *S00002 *dept: .* -> \"税務課\"' &&
		 echo \"\$out\" | grep -q '^disable *S00003 *(disabled in the directory)' &&
		 echo \"\$out\" | grep -q '^disable *S00004 *(not in the directory)'"
	check "$L: sync: one update, two disabled, nothing deleted" bash -c \
		"[ \"\$($P -q --by it-sync user sync $SLAPD_URL --config $T/ldap.conf)\" = 'ldap sync: 0 added, 1 updated, 2 disabled, 2 unchanged' ] &&
		 [ \"\$(ids)\" = 'S00001,0 S00002,0 S00003,1 S00004,1 S00005,0 ' ] &&
		 $P user list --csv | grep -q '^S00002,.*,税務課,'"
	check "$L: the update kept the PIN" bash -c "$P user list --csv | grep -q '^S00002,.*,1,0'"
	check "$L: the audit records each change by the sync" bash -c \
		"$P audit S00004 --csv | grep -q 'it-sync,user disable,S00004,ldap sync: not in the directory'"
}
after sqlite "sqlite:$T/reg.db"
[ -n "${PG_URL:-}" ] && after pg "$PG_URL"
tap_done
