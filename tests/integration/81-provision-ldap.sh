#!/bin/bash
# sekisho-provision's directory sync (provisioning/sekisho-provision/
# ldapsync*.c) against a real slapd that this test starts in a temporary
# directory (tests/lab/slapd.sh): staff with Japanese names, read with the
# paged-results control in pages of 2, turned into the plan that `user sync
# --dry-run` prints, against a fixed "registry" list (a staff CSV read with
# the importer). Then the directory changes (a renamed member of staff, a
# leaver, a newcomer) and the plan follows; the AD way of marking a leaver
# (userAccountControl bit 2); the failures: a wrong password, a password
# file others can read, an entry with a bad staff id (the whole search
# returns nothing); over TLS (ldaps://, StartTLS) the server's certificate
# must verify against the configured CA, and a server whose certificate
# does not is refused. The registry-level sync test is sekisho-provision's
# own.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
. tests/lab/slapd.sh

PLT=${B:-build}/prov-ldap-test
if [ ! -x "$PLT" ]; then
	echo "not ok 1 - $PLT not built (make $PLT)"
	exit 1
fi
T=$(mktemp -d /tmp/sekisho-ldap.XXXXXX)
chmod 0755 "$T"	# the server's user reaches its directory inside
SD=$T/slapd
cleanup() { slapd_stop "$SD"; rm -rf "$T"; }
trap cleanup EXIT

python3 tests/lab/slapd-users.py 7 --retired 5 >"$T/users.ldif"
if ! SLAPD_TLS=1 slapd_start "$SD" "$T/users.ldif"; then
	echo "not ok 1 - slapd started"
	exit 1
fi
tap_ok "slapd started on $SLAPD_URL with 7 staff"

install -m 0600 "$SLAPD_SYNC_PW_FILE" "$T/sync.secret"
# conf NAME STAFF_ID_ATTR DISABLED...: a sync configuration.
conf() {
	cat >"$T/$1" <<EOC
# the test directory (tests/lab/slapd.sh)
url $SLAPD_URL
base ou=people,$SLAPD_BASE
filter (objectClass=inetOrgPerson)
bind_dn $SLAPD_SYNC_DN
bind_password_file $T/sync.secret
page_size 2
attr staff_id $2
attr name cn
attr kana displayName
attr dept departmentNumber
attr role title
disabled $3
EOC
}
conf ldap.conf employeeNumber "equals employeeType retired"
conf ad.conf sAMAccountName "ad"

# same DESC FILE: FILE holds exactly the text on stdin (CRs dropped).
same() {
	local desc=$1 file=$2
	if diff -u <(cat) <(tr -d '\r' <"$file") >"$T/diff"; then
		tap_ok "$desc"
	else
		tap_not_ok "$desc"
		sed 's/^/#   /' "$T/diff"
	fi
}

# 1. The directory as staff rows, every page read.
"$PLT" "$T/ldap.conf" list >"$T/list.csv" 2>"$T/err"
same "the directory's staff: Japanese names, departments, the leaver disabled" "$T/list.csv" <<'EOX'
staff_id,name,kana,dept,role,disabled
S00001,佐藤 太郎,サトウ タロウ,税務課,主任,0
S00002,鈴木 太郎,スズキ タロウ,市民課,係長,0
S00003,髙橋 太郎,タカハシ タロウ,福祉課,課長補佐,0
S00004,田中 太郎,タナカ タロウ,教育委員会 学校教育課,課長,0
S00005,伊藤 太郎,イトウ タロウ,情報政策課,主事,1
S00006,渡辺 太郎,ワタナベ タロウ,総務課,主任,0
S00007,中村 太郎,ナカムラ タロウ,税務課,係長,0
EOX
"$PLT" "$T/ldap.conf" count >"$T/count" 2>/dev/null
same "7 entries in 4 pages of 2 (paged results followed to the end)" "$T/count" <<<"entries 7 pages 4"

# 2. The plan against a fixed registry list.
cat >"$T/registry.csv" <<'EOR'
職員番号,氏名,カナ,所属,役職,無効
S00001,佐藤 太郎,サトウ タロウ,税務課,主任,0
S00002,鈴木 太郎,スズキ タロウ,総務課,係長,0
S00003,髙橋 太郎,タカハシ タロウ,福祉課,課長補佐,1
S00005,伊藤 太郎,イトウ タロウ,情報政策課,主事,0
S00006,渡辺 太郎,ワタナベ タロウ,総務課,主任,0
S00007,中村 太郎,ナカムラ タロウ,税務課,係長,0
S09999,退職 予定,,,,0
EOR
"$PLT" "$T/ldap.conf" plan "$T/registry.csv" >"$T/plan" 2>"$T/err"
same "dry run: add, update (field and re-enable), disable (leaver, absent)" "$T/plan" <<'EOX'
add      S00004  name="田中 太郎" kana="タナカ タロウ" dept="教育委員会 学校教育課" role="課長"
update   S00002  dept: "総務課" -> "市民課"
update   S00003  enable
disable  S00005  (disabled in the directory)
disable  S09999  (not in the directory)
ldap sync: 1 to add, 2 to update, 2 to disable, 3 unchanged
EOX

# 3. The directory's own list as the registry: nothing to do.
"$PLT" "$T/ldap.conf" plan "$T/list.csv" >"$T/plan" 2>"$T/err"
same "the directory against itself: no change (a nightly run is idempotent)" "$T/plan" <<'EOX'
ldap sync: 0 to add, 0 to update, 0 to disable, 7 unchanged
EOX

# 4. The directory changes: a new name, a leaver, a newcomer.
cat >"$T/change.ldif" <<EOC
dn: uid=u00001,ou=people,$SLAPD_BASE
changetype: modify
replace: cn
cn:: $(printf '佐藤 太朗' | base64)

dn: uid=u00006,ou=people,$SLAPD_BASE
changetype: modify
add: employeeType
employeeType: retired
EOC
python3 tests/lab/slapd-users.py 1 --start 100 >"$T/new.ldif"
check "ldapmodify: rename S00001, retire S00006" slapd_modify "$SD" "$T/change.ldif"
check "ldapadd: newcomer S00100" slapd_modify "$SD" "$T/new.ldif" -a
"$PLT" "$T/ldap.conf" plan "$T/registry.csv" >"$T/plan" 2>"$T/err"
same "the plan follows the directory: add S00100, rename S00001, disable S00006" "$T/plan" <<'EOX'
add      S00004  name="田中 太郎" kana="タナカ タロウ" dept="教育委員会 学校教育課" role="課長"
add      S00100  name="田中 大輔" kana="タナカ ダイスケ" dept="教育委員会 学校教育課" role="主事"
update   S00001  name: "佐藤 太郎" -> "佐藤 太朗"
update   S00002  dept: "総務課" -> "市民課"
update   S00003  enable
disable  S00005  (disabled in the directory)
disable  S00006  (disabled in the directory)
disable  S09999  (not in the directory)
ldap sync: 2 to add, 3 to update, 3 to disable, 1 unchanged
EOX

# 5. Active Directory's way: sAMAccountName, userAccountControl 514.
"$PLT" "$T/ad.conf" list >"$T/ad.csv" 2>"$T/err"
same "AD attributes: userAccountControl bit 2 disables" <(grep -E '^s0000[56],' "$T/ad.csv" | tr -d '\r') <<'EOX'
s00005,伊藤 太郎,イトウ タロウ,情報政策課,主事,1
s00006,渡辺 太郎,ワタナベ タロウ,総務課,主任,0
EOX

# 6. Failures: one line each, nothing listed.
printf 'not-the-password\n' >"$T/wrong.secret"
chmod 0600 "$T/wrong.secret"
sed "s|^bind_password_file .*|bind_password_file $T/wrong.secret|" "$T/ldap.conf" >"$T/wrong.conf"
"$PLT" "$T/wrong.conf" list >"$T/out" 2>"$T/err"
rc=$?
same "a wrong password: exit 1, one line" <(echo "rc=$rc"; cat "$T/out" "$T/err") <<EOX
rc=1
$SLAPD_URL: bind as $SLAPD_SYNC_DN: Invalid credentials
EOX
chmod 0644 "$T/sync.secret"
"$PLT" "$T/ldap.conf" list >"$T/out" 2>"$T/err"
rc=$?
same "a password file others can read is refused before any connection" <(echo "rc=$rc"; cat "$T/out" "$T/err") <<EOX
rc=1
bind password file $T/sync.secret: accessible by group or others (mode 0644), must be 0600
EOX
chmod 0600 "$T/sync.secret"
if grep -qF "$(cat "$T/sync.secret")" "$T"/out "$T"/err "$T"/plan "$T"/list.csv "$SD/slapd.log" 2>/dev/null; then
	tap_not_ok "the password appears in no output"
else
	tap_ok "the password appears in no output"
fi

# 7. TLS: the server's certificate must verify.
tls_conf() {	# NAME URL STARTTLS CA_FILE
	sed -e "s|^url .*|url $2|" -e "\$a starttls $3" "$T/ldap.conf" >"$T/$1"
	[ -n "$4" ] && echo "ca_file $4" >>"$T/$1"
}
( cd "$T" && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout other.key -out other-ca.pem -days 2 -subj "/CN=Another CA" ) >/dev/null 2>&1
tls_conf ldaps.conf "$SLAPD_LDAPS_URL" no "$SLAPD_CA_FILE"
tls_conf starttls.conf "$SLAPD_URL" yes "$SLAPD_CA_FILE"
tls_conf ldaps-other.conf "$SLAPD_LDAPS_URL" no "$T/other-ca.pem"
tls_conf ldaps-none.conf "$SLAPD_LDAPS_URL" no ""
tls_conf starttls-other.conf "$SLAPD_URL" yes "$T/other-ca.pem"
"$PLT" "$T/ldap.conf" list >"$T/now.csv" 2>/dev/null
"$PLT" "$T/ldaps.conf" list >"$T/out" 2>"$T/err"
same "ldaps:// with the server's CA: the same 8 staff" "$T/out" < <(tr -d '\r' <"$T/now.csv")
"$PLT" "$T/starttls.conf" list >"$T/out" 2>"$T/err"
same "StartTLS with the server's CA: the same 8 staff" "$T/out" < <(tr -d '\r' <"$T/now.csv")
[ "$(wc -l <"$T/now.csv")" -eq 9 ] && tap_ok "8 staff and the header over plain LDAP" ||
	tap_not_ok "8 staff and the header over plain LDAP: $(wc -l <"$T/now.csv") lines"
for c in ldaps-other ldaps-none; do
	"$PLT" "$T/$c.conf" list >"$T/out" 2>"$T/err"
	rc=$?
	same "$c: a certificate that does not verify is refused" <(echo "rc=$rc"; cat "$T/out" "$T/err") <<EOX
rc=1
$SLAPD_LDAPS_URL: bind as $SLAPD_SYNC_DN: Can't contact LDAP server
EOX
done
# libldap's environment does not weaken it.
LDAPTLS_REQCERT=never "$PLT" "$T/ldaps-none.conf" list >"$T/out" 2>"$T/err"
rc=$?
same "LDAPTLS_REQCERT=never in the environment changes nothing" <(echo "rc=$rc"; cat "$T/out" "$T/err") <<EOX
rc=1
$SLAPD_LDAPS_URL: bind as $SLAPD_SYNC_DN: Can't contact LDAP server
EOX
"$PLT" "$T/starttls-other.conf" list >"$T/out" 2>"$T/err"
rc=$?
same "StartTLS to a certificate that does not verify is refused" <(echo "rc=$rc"; cat "$T/out" "$T/err") <<EOX
rc=1
$SLAPD_URL: starttls: Connect error
EOX

# 8. One bad entry: the search returns nothing, the entry is named.
sed 's/^employeeNumber: S00200$/employeeNumber: S 200/' \
	<(python3 tests/lab/slapd-users.py 1 --start 200) >"$T/bad.ldif"
check "ldapadd: an entry with a bad staff id" slapd_modify "$SD" "$T/bad.ldif" -a
"$PLT" "$T/ldap.conf" plan "$T/registry.csv" >"$T/out" 2>"$T/err"
rc=$?
same "a bad entry: exit 1, no plan, the entry and field named" <(echo "rc=$rc"; cat "$T/out" "$T/err") <<EOX
rc=1
ldap: uid=u00200,ou=people,$SLAPD_BASE: staff_id (employeeNumber): bad staff id (letters, digits, '.', '_', '-')
EOX

tap_done
