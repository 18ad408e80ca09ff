#!/bin/bash
# sekisho-provision's input and output parts, printed as
# "bench: NAME = VALUE UNIT" (the program's own figures, keys and signed
# bundles included, are tests/bench/provision.sh's):
#   provision.import_20000_staff_utf8_ms    decode + CSV + header + checks of
#                                           20,000 staff rows (UTF-8), best
#                                           of 5; goal: well under 1 s
#   provision.import_20000_staff_cp932_ms   the same file in CP932 (iconv)
#   provision.import_20000_devices_ms       20,000 device rows with keys
#   provision.list_csv_cp932_20000_ms       user list --csv --encoding cp932
#   provision.ldap_search_20000_s           bind + paged search (pages of
#                                           1,000, AD's maximum) of 20,000
#                                           staff from a local slapd, every
#                                           entry checked; goal: well under
#                                           the 30 s of user_sync_20000_s
#   provision.ldap_plan_20000_s             the same search and the dry-run
#                                           plan against a 20,000-row
#                                           registry list (200 changes)
# slapd runs from a temporary directory (tests/lab/slapd.sh), as openldap.
set -u
cd "$(dirname "$0")/../.."
. tests/bench/lib.sh
. tests/lab/slapd.sh
B=${B:-build}
T=$(mktemp -d /tmp/sekisho-bench-ldap.XXXXXX)
chmod 0755 "$T"
trap 'slapd_stop "$T/slapd"; rm -rf "$T"' EXIT

while read -r name value; do
	bench "provision.$name" "$value" ms
done < <("$B/bench-provio")

python3 tests/lab/slapd-users.py 20000 --retired 1000 >"$T/users.ldif"
slapd_start "$T/slapd" "$T/users.ldif" || { echo "provision-io: slapd did not start"; exit 1; }
install -m 0600 "$SLAPD_SYNC_PW_FILE" "$T/sync.secret"
cat >"$T/ldap.conf" <<EOC
url $SLAPD_URL
base ou=people,$SLAPD_BASE
filter (objectClass=inetOrgPerson)
bind_dn $SLAPD_SYNC_DN
bind_password_file $T/sync.secret
page_size 1000
attr staff_id employeeNumber
attr name cn
attr kana displayName
attr dept departmentNumber
attr role title
disabled equals employeeType retired
EOC

secs() {	# CMD... -> seconds it took, on stdout; its output to $T/out
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$T/out" 2>"$T/err" || { cat "$T/err" >&2; echo -; return; }
	t1=$(date +%s%N)
	python3 -c "print(f'{($t1 - $t0) / 1e9:.2f}')"
}
s=$(secs "$B/prov-ldap-test" "$T/ldap.conf" count)
grep -q '^entries 20000 pages 20$' "$T/out" || { echo "provision-io: unexpected count: $(cat "$T/out")"; s=-; }
bench provision.ldap_search_20000_s "$s" s

# A registry that differs in 200 places: 100 renamed, 100 absent.
"$B/prov-ldap-test" "$T/ldap.conf" list 2>/dev/null |
	awk -F, 'NR > 1 && NR % 200 == 0 { $2 = $2 "x" } NR > 1 && NR % 200 == 100 { next } { print }' OFS=, >"$T/registry.csv"
s=$(secs "$B/prov-ldap-test" "$T/ldap.conf" plan "$T/registry.csv")
tail -n 1 "$T/out" | sed 's/^/# /'
bench provision.ldap_plan_20000_s "$s" s
exit $BENCH_FAILED
