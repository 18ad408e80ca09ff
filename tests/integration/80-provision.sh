#!/bin/bash
# sekisho-provision end to end, once on SQLite and once on a real PostgreSQL
# server this test starts (tests/lab/pg.sh): init and its keys, groups and
# templates, devices and their signed bundles (verified by sekisho-policy
# verify, the device's own decision), addresses from the pool, revoke and
# the gateway's peer table, key rotation with overlap, staff import in
# UTF-8, UTF-8 with BOM and CP932 round-tripped through `user list --csv`,
# PINs from a descriptor, one-time codes (once, not twice, not after
# expiry), the audit, and two imports at once.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
. tests/lab/pg.sh

P=$PWD/${B:-build}/sekisho-provision
# its test build (Makefile, TEST_SRCS): $SEKISHO_NOW sets its clock; the
# installed program above has no such hook
PT=$PWD/${B:-build}/test/sekisho-provision
POL=$PWD/${B:-build}/sekisho-policy
tmp=$(mktemp -d /tmp/sekisho-prov.XXXXXX)
chmod 0711 "$tmp"
cleanup() { pg_stop "$tmp/pg"; rm -rf "$tmp"; }
trap cleanup EXIT

# is RC WANT_STDERR CMD...: exit status RC and exactly that stderr
is() {
	local want_rc=$1 want=$2 rc
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = "$want_rc" ] || { echo "exit $rc, want $want_rc"; cat "$tmp/err"; return 1; }
	[ "$(cat "$tmp/err")" = "$want" ] || { printf 'got:  %s\nwant: %s\n' "$(cat "$tmp/err")" "$want"; return 1; }
}

suite() {	# LABEL URL
	local L=$1 dir=$tmp/$1
	mkdir -p "$dir"
	export SEKISHO_REGISTRY=$2 SEKISHO_KEYS=$dir/keys
	cd "$dir" || return 1
	prov() { "$P" -q --by it-suzuki "$@"; }

	# ---- init ------------------------------------------------------------
	check "$L: init makes the keys" prov init --pool 10.77.0.0/16 --pool6 fd00:77::/64 \
		--endpoint 192.0.2.10:51820
	check "$L: every private key 0600, the directory 0700" bash -c \
		"[ \$(stat -c %a keys) = 700 ] && [ \$(stat -c %a keys/agency-1.key) = 600 ] &&
		 [ \$(stat -c %a keys/gateway.key) = 600 ] && [ \$(stat -c %a keys/beacon-1.key) = 600 ]"
	check "$L: init again is refused, nothing replaced" bash -c \
		"k=\$(cat keys/agency-1.key); ! $P init --pool 10.77.0.0/24 2>/dev/null && [ \"\$(cat keys/agency-1.key)\" = \"\$k\" ]"
	check "$L: init into a fresh registry refuses to overwrite an existing key file" \
		is 1 "sekisho-provision: init: $dir/keys/agency-1.key exists: refusing to overwrite it" \
		env SEKISHO_REGISTRY=sqlite:$dir/other.db "$P" init --pool 10.1.0.0/24

	# ---- groups -----------------------------------------------------------
	{
		echo "version 1"
		echo 'gateway "agency-gw" {'
		echo "	endpoint 192.0.2.10:51820"
		echo "	public-key \"$(cat keys/gateway.pub)\""
		echo "}"
		echo "lgwan {"
		echo "	prefix 10.64.0.0/16"
		echo "	resolver 10.64.0.53"
		echo "}"
		echo "work {"
		echo "	address 172.30.0.2/24"
		echo "	router 172.30.0.1"
		echo "}"
	} >tmpl.conf
	{ cat tmpl.conf; echo "serial 3"; } >bad-serial.conf
	sed 's/10.64.0.0\/16/10.64.0.0\/33/' tmpl.conf >bad-prefix.conf
	check "$L: group add" prov group add default tmpl.conf
	check "$L: a template with a serial is refused" is 1 \
		"sekisho-provision: bad-serial.conf:14: a template has no 'serial': sekisho-provision gives each device's bundle the next one" \
		prov group add g2 bad-serial.conf
	check "$L: a template that does not parse is refused with the parser's line" bash -c \
		"! $P group add g3 bad-prefix.conf 2>err && grep -q '^sekisho-provision: bad-prefix.conf:7: ' err"
	# the gateways' tunnel-address is the registry's (the pool's .1): a
	# template may give it, the same; another is refused, naming the line
	sed 's|^\tendpoint 192.0.2.10:51820$|&\n\ttunnel-address 10.77.0.1/32|' tmpl.conf >gw-same.conf
	sed 's|^\tendpoint 192.0.2.10:51820$|&\n\ttunnel-address 10.77.0.9/32|' tmpl.conf >gw-other.conf
	check "$L: a template with the gateways' own tunnel-address is taken" prov group add g4 gw-same.conf
	check "$L: a template whose gateway tunnel-address is not the registry's is refused with one line" is 1 \
		"sekisho-provision: gw-other.conf:4: gateway \"agency-gw\" has tunnel-address 10.77.0.9/32, but the registry's gateways have 10.77.0.1/32 in the tunnel (the pool's .1): leave it out, sekisho-provision fills it in" \
		prov group add g5 gw-other.conf
	check "$L: ... and nothing added" bash -c "! $P -q group show g5 >/dev/null 2>&1"
	check "$L: nor may group set bring one in" bash -c \
		"! $P -q group set g4 gw-other.conf 2>err && grep -q '^sekisho-provision: gw-other.conf:4: gateway \"agency-gw\" has tunnel-address 10.77.0.9/32' err &&
		 $P -q group show g4 | grep -qx '	tunnel-address 10.77.0.1/32'"

	# ---- devices -----------------------------------------------------------
	local pub2 pub3
	pub2=$(wg genkey | wg pubkey)
	pub3=$(wg genkey | wg pubkey)
	check "$L: device add: the first address of the pool after the gateway's" bash -c \
		"[ \"\$($P -q device add pc-001)\" = 'pc-001 10.77.0.2/32' ]"
	check "$L: device add with its public key" bash -c \
		"[ \"\$($P -q device add pc-002 --pubkey $pub2)\" = 'pc-002 10.77.0.3/32' ]"
	check "$L: a name twice is refused" is 1 "sekisho-provision: device pc-001 exists" \
		prov device add pc-001
	check "$L: a key twice is refused" is 1 \
		"sekisho-provision: device pc-009: public key $pub2 is device pc-002's" \
		prov device add pc-009 --pubkey "$pub2"
	check "$L: device export makes the key pair here, once" bash -c \
		"$P -q device export pc-001 out1 >/dev/null && [ \$(stat -c %a out1/device.key) = 600 ] &&
		 [ \$(stat -c %a out1/bundle) = 600 ] && [ \$(wg pubkey <out1/device.key) = \$(cat out1/device.pub) ]"
	check "$L: the bundle is what the device accepts (sekisho-policy verify)" bash -c \
		"[ \"\$($POL verify --pubkey \$(grep -v '^#' out1/agency.pub) --device \$(cat out1/device.pub) out1/bundle)\" = \"ok serial 1 device \$(cat out1/device.pub)\" ]"
	check "$L: the bundle carries the device's part" bash -c \
		"$POL verify --pubkey \$(grep -v '^#' out1/agency.pub) out1/bundle >/dev/null &&
		 strings out1/bundle | grep -qx '	tunnel-address 10.77.0.2/32' && strings out1/bundle | grep -qx 'serial 1'"
	check "$L: the bundle gives the gateway its tunnel-address, the pool's .1 (the liveness probe's echo), the template's lines unmoved" bash -c \
		"strings out1/bundle | grep -qx 'gateway \"agency-gw\" { tunnel-address 10.77.0.1/32' &&
		 [ \$(strings out1/bundle | grep -c 'tunnel-address 10.77.0.1/32') = 1 ]"
	check "$L: a second export: the next serial, no private key again" bash -c \
		"rm -rf out1b && $P -q device export pc-001 out1b >/dev/null && [ ! -e out1b/device.key ] &&
		 $POL verify --pubkey \$(grep -v '^#' out1b/agency.pub) --min-serial 2 out1b/bundle | grep -q '^ok serial 2 '"
	check "$L: export of a device with its own key writes no key" bash -c \
		"$P -q device export pc-002 out2 >/dev/null && [ ! -e out2/device.key ] && [ \$(cat out2/device.pub) = $pub2 ]"
	check "$L: a group-readable agency key is refused" bash -c \
		"chmod 0640 keys/agency-1.key; ! $P device export pc-002 out2x 2>err; rc=\$?; chmod 0600 keys/agency-1.key;
		 [ \$rc = 0 ] && grep -q 'agency-1.key' err && grep -qi 'mode\|permission\|access' err && [ ! -e out2x ]"
	check "$L: a group-readable gateway key is refused" bash -c \
		"chmod 0640 keys/gateway.key; ! $P gateway export gw.conf 2>err; rc=\$?; chmod 0600 keys/gateway.key;
		 [ \$rc = 0 ] && grep -q 'gateway.key' err && [ ! -e gw.conf ]"
	check "$L: gateway export: wg setconf format, 0600, both devices" bash -c \
		"$P -q gateway export gw.conf && [ \$(stat -c %a gw.conf) = 600 ] &&
		 [ \$(grep -c '^\[Peer\]' gw.conf) = 2 ] && grep -qx 'PublicKey = $pub2' gw.conf &&
		 grep -qx 'AllowedIPs = 10.77.0.3/32' gw.conf && grep -qx 'ListenPort = 51820' gw.conf"
	check "$L: revoke needs a reason" is 2 \
		"Usage: sekisho-provision device revoke NAME --reason TEXT (the reason is required)" \
		prov device revoke pc-002
	check "$L: device revoke" prov device revoke pc-002 --reason "lost on the Yamanote line"
	check "$L: the revoked device is absent from the peer table" bash -c \
		"$P -q gateway export gw.conf && [ \$(grep -c '^\[Peer\]' gw.conf) = 1 ] && ! grep -q $pub2 gw.conf"
	check "$L: a revoked device gets no bundle" is 1 \
		"sekisho-provision: device pc-002 is revoked: no bundle for it" prov device export pc-002 out2y
	check "$L: a revoked device's address and name are never reused" bash -c \
		"[ \"\$($P -q device add pc-003 --pubkey $pub3)\" = 'pc-003 10.77.0.4/32' ] &&
		 ! $P device add pc-002 2>/dev/null"
	check "$L: rekey: a new key, the old one leaves the peer table" bash -c \
		"k=\$(wg genkey | wg pubkey); $P -q device rekey pc-003 --pubkey \$k && $P -q gateway export gw.conf &&
		 grep -qx \"PublicKey = \$k\" gw.conf && ! grep -q $pub3 gw.conf"

	# ---- IPv6: a group whose template has it --------------------------------
	sed -e 's|^\tprefix 10.64.0.0/16$|&\n\tprefix 2001:db8:64::/48|' \
		-e 's|^\trouter 172.30.0.1$|&\n\taddress6 fd00:30::2/64\n\trouter6 fd00:30::1|' tmpl.conf >tmpl6.conf
	check "$L: group add with an IPv6 template" bash -c \
		"$P -q group add v6 tmpl6.conf && $P group show v6 | head -1 | grep -q ', IPv6$'"
	check "$L: its laptops get an IPv6 address from the pool too" bash -c \
		"[ \"\$($P -q device add pc-v6 --group v6 --pubkey \$(wg genkey | wg pubkey))\" = 'pc-v6 10.77.0.5/32 fd00:77::5/128' ]"
	check "$L: the bundle carries tunnel-address6, the peer table both addresses" bash -c \
		"$P -q device export pc-v6 outv6 >/dev/null && strings outv6/bundle | grep -qx '	tunnel-address6 fd00:77::5/128' &&
		 $P -q gateway export gw.conf && grep -qx 'AllowedIPs = 10.77.0.5/32, fd00:77::5/128' gw.conf"

	# ---- key rotation with overlap --------------------------------------------
	local old new
	old=$(grep -v '^#' out1/agency.pub)
	check "$L: key rotate makes the next key" prov key rotate --reason "yearly"
	new=$("$P" key list | awk '$1 == "next" { print $2 }')
	check "$L: during the overlap the trust file pins both, the old key still signs" bash -c \
		"rm -rf r1 && $P -q device export pc-001 r1 >/dev/null && [ \$(grep -vc '^#' r1/agency.pub) = 2 ] &&
		 $POL verify --pubkey $old r1/bundle >/dev/null"
	check "$L: key retire: the new key signs, the old one leaves the trust file" bash -c \
		"$P -q key retire && rm -rf r2 && $P -q device export pc-001 r2 >/dev/null &&
		 [ \"\$(grep -v '^#' r2/agency.pub)\" = '$new' ] && $POL verify --pubkey $new r2/bundle >/dev/null &&
		 ! $POL verify --pubkey $old r2/bundle >/dev/null 2>&1"
	check "$L: a laptop with the overlap's trust file accepts the new key's bundle" \
		"$POL" verify --pubkey "$old" --pubkey "$new" r2/bundle

	# ---- staff: three encodings, round trip -------------------------------------
	printf 'staff_id,name,kana,dept,role\r\nS0001,山田 太郎,ヤマダ タロウ,総務課,係長\r\nS0002,"鈴木, 花子",スズキ ハナコ,税務課,\r\n' >staff-utf8.csv
	printf '\xef\xbb\xbf職員番号,氏名,カナ,所属,役職\r\nS0003,髙橋 一郎,タカハシ イチロウ,市民課,課長\r\n' >staff-bom.csv
	printf '職員番号,氏名,カナ,所属,役職\r\nS0004,佐藤 次郎,サトウ ジロウ,福祉課,主任\r\n' | iconv -f UTF-8 -t CP932 >staff-cp932.csv
	check "$L: user import UTF-8" prov user import staff-utf8.csv
	check "$L: user import UTF-8 with BOM" prov user import staff-bom.csv
	check "$L: user import CP932" prov user import staff-cp932.csv
	check "$L: user list --csv round trip: what was imported, in order" bash -c \
		"$P user list --csv >list.csv &&
		 [ \"\$(cat list.csv)\" = \"\$(printf 'staff_id,name,kana,dept,role,disabled,source,pin,failures\r\nS0001,山田 太郎,ヤマダ タロウ,総務課,係長,0,csv,0,0\r\nS0002,\"鈴木, 花子\",スズキ ハナコ,税務課,,0,csv,0,0\r\nS0003,髙橋 一郎,タカハシ イチロウ,市民課,課長,0,csv,0,0\r\nS0004,佐藤 次郎,サトウ ジロウ,福祉課,主任,0,csv,0,0\r\n')\" ] ||
		 { $P user list --csv; false; }"
	check "$L: user list --csv --encoding cp932 reads back" bash -c \
		"$P user list --csv --encoding cp932 >list932.csv && iconv -f CP932 -t UTF-8 list932.csv | grep -q '髙橋 一郎\|佐藤 次郎' &&
		 $P -q user import list932.csv >/dev/null"
	printf 'staff_id,name\r\nS0100,新人 一\r\nS0101,\r\n' >bad.csv
	check "$L: one bad row imports nothing, and says where" bash -c \
		"! $P -q user import bad.csv 2>err && grep -qx 'bad.csv:3: name (name): empty\|bad.csv:3: name: empty' err &&
		 ! $P user list | grep -q S0100"

	# ---- PINs --------------------------------------------------------------------
	check "$L: user pin from a descriptor" bash -c "printf '4711\n' >pin; $P -q user pin S0001 --pin-fd 3 3<pin"
	check "$L: a PIN is never on the command line" is 2 \
		"$(printf 'sekisho-provision user pin: unknown option --pin\nUsage: sekisho-provision user pin STAFF_ID [--pin-fd N]')" \
		prov user pin S0001 --pin 4711
	check "$L: user list shows the PIN set and the lockout counter" bash -c \
		"$P user list --json | python3 -c 'import json,sys; u={r[\"staff_id\"]: r for r in json.load(sys.stdin)}; assert u[\"S0001\"][\"pin\"] is True and u[\"S0001\"][\"failures\"] == 0 and u[\"S0002\"][\"pin\"] is False, u'"

	# ---- one-time codes --------------------------------------------------------------
	local code
	code=$(SEKISHO_NOW=1700000000 "$PT" -q otp issue S0002 --valid 8h | head -1)
	check "$L: otp issue shows a code once" bash -c "[[ '$code' =~ ^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$ ]]"
	check "$L: the code is not in the registry or the audit" bash -c \
		"! $P audit | grep -qF '$code' && { [ ! -f reg.db ] || ! grep -qaF '$code' reg.db; }"
	check "$L: the code works once" bash -c \
		"[ \"\$(echo $code | SEKISHO_NOW=1700000100 $PT -q otp verify S0002 --code-fd 0)\" = accepted ]"
	check "$L: the second time it is refused" is 1 \
		"sekisho-provision: user S0002: code refused: already used" \
		env SEKISHO_NOW=1700000200 bash -c "echo $code | $PT -q otp verify S0002 --code-fd 0"
	code=$(SEKISHO_NOW=1700000000 "$PT" -q otp issue S0002 --valid 1h | head -1)
	check "$L: after its expiry it is refused" is 1 \
		"sekisho-provision: user S0002: code refused: expired" \
		env SEKISHO_NOW=1700003600 bash -c "echo $code | $PT -q otp verify S0002 --code-fd 0"
	check "$L: another user's code is refused" is 1 \
		"sekisho-provision: user S0001: code refused: not issued to this user" \
		env SEKISHO_NOW=1700000300 bash -c "echo $code | $PT -q otp verify S0001 --code-fd 0"
	check "$L: refusals count towards the lockout, unlock resets" bash -c \
		"$P user list --json | grep -q '\"failures\": *2' && $P -q user unlock S0002 &&
		 $P user list --json | python3 -c 'import json,sys; assert [r for r in json.load(sys.stdin) if r[\"staff_id\"]==\"S0002\"][0][\"failures\"]==0'"
	check "$L: the audit has issue and every use" bash -c \
		"$P audit S0002 --csv | cut -d, -f2-5 | grep -c 'otp' | grep -qx 5"
	check "$L: the installed program takes no clock from the environment" bash -c \
		"! grep -qa SEKISHO_NOW '$P' && grep -qa SEKISHO_NOW '$PT'"
	code=$(SEKISHO_NOW=$(( $(date +%s) - 7200 )) "$PT" -q otp issue S0002 --valid 1h | head -1)
	check "$L: an expired code stays expired whatever SEKISHO_NOW says" is 1 \
		"sekisho-provision: user S0002: code refused: expired" \
		env SEKISHO_NOW=$(( $(date +%s) - 7100 )) bash -c "echo $code | $P -q otp verify S0002 --code-fd 0"
	check "$L: a new PIN resets the lockout counter, and the audit says so" bash -c \
		"$P user list --json | python3 -c 'import json,sys; assert [r for r in json.load(sys.stdin) if r[\"staff_id\"]==\"S0002\"][0][\"failures\"]==1' &&
		 printf '4712\n' >pin2 && $P -q --by it-suzuki user pin S0002 --pin-fd 3 3<pin2 &&
		 $P user list --json | python3 -c 'import json,sys; assert [r for r in json.load(sys.stdin) if r[\"staff_id\"]==\"S0002\"][0][\"failures\"]==0' &&
		 $P audit S0002 --csv | grep -qF 'it-suzuki,user pin,S0002,PIN set; lockout counter reset from 1'"
	check "$L: the audit names who and why" bash -c \
		"$P audit pc-002 --csv | grep -q 'it-suzuki,device revoke,pc-002,revoked,lost on the Yamanote line'"

	# ---- cards ---------------------------------------------------------------------
	check "$L: card assign FeliCa IDm" prov card assign S0001 --idm 01:2e:4c:d1:a2:b3:c4:d5
	check "$L: the same card twice is refused" is 1 \
		"sekisho-provision: card 012E4CD1A2B3C4D5 is already assigned" \
		prov card assign S0003 --idm 012E4CD1A2B3C4D5
	check "$L: a malformed MIFARE UID is refused" is 1 \
		"sekisho-provision: --uid 04A1B2: a MIFARE UID is 4, 7 or 10 bytes in hex" \
		prov card assign S0003 --uid 04A1B2

	# ---- two imports at once -------------------------------------------------------------
	python3 - <<'PY'
for k in ("a", "b"):
    with open(f"dev-{k}.csv", "w") as f:
        f.write("name,group\r\n")
        for i in range(400):
            f.write(f"{k}-{i:04d},default\r\n")
PY
	"$P" -q device import dev-a.csv >imp-a.out 2>imp-a.err & ia=$!
	"$P" -q device import dev-b.csv >imp-b.out 2>imp-b.err & ib=$!
	wait $ia; ra=$?
	wait $ib; rb=$?
	conc() {
		local busy='sekisho-provision: registry busy: another change is in progress; try again'
		for x in a:$ra b:$rb; do
			local k=${x%%:*} r=${x#*:}
			if [ "$r" = 0 ]; then grep -qx "dev-$k.csv: 400 devices imported" imp-$k.out || return 1
			else [ "$(cat imp-$k.err)" = "$busy" ] || { cat imp-$k.err; return 1; }; fi
		done
		local want=$(( (ra == 0 ? 400 : 0) + (rb == 0 ? 400 : 0) ))
		local got dup
		got=$("$P" device list --csv | grep -c '^[ab]-')
		dup=$("$P" device list --csv | cut -d, -f6 | sort | uniq -d | wc -l)
		echo "a=$ra b=$rb devices=$got duplicate addresses=$dup"
		[ "$got" = "$want" ] && [ "$dup" = 0 ] && [ "$want" -gt 0 ]
	}
	check "$L: two imports at once: both finish or one is told busy; no address twice" conc

	# ---- help for every subcommand ----------------------------------------------------------
	helps() {
		local g s
		for g in "init" "key list" "key rotate" "key retire" "group add" "group set" "group show" \
			"device add" "device import" "device list" "device export" "device revoke" \
			"device rekey" "gateway export" "user add" "user import" "user list" "user sync" \
			"user pin" "user unlock" "user disable" "user enable" "card assign" "card list" \
			"otp issue" "otp verify" "audit"; do
			# shellcheck disable=SC2086
			"$P" $g --help >h.out 2>&1 || { echo "$g --help: exit $?"; return 1; }
			grep -q "^Usage: sekisho-provision $g" h.out || { echo "$g:"; cat h.out; return 1; }
		done
	}
	check "$L: --help for every subcommand" helps
	cd "$OLDPWD" || return 1
}

check "a password in the registry URL is refused (it would be in argv)" is 2 \
	"sekisho-provision: the registry URL holds a password, which anyone could read in the process list: give it in ~/.pgpass or \$PGPASSFILE instead" \
	"$P" -r "postgresql://it:secret@db.example/sekisho" device list
# The tool holds the agency's signing key, laptops' keys and PINs in
# memory: it is not dumpable (no core file; /proc/PID root's, so no
# ptrace or /proc/PID/mem by the user it runs as) and RLIMIT_CORE is 0
# (systemd-coredump honours it). Seen on a `user pin` waiting for its PIN,
# run as nobody: a dumpable process's /proc/PID/status would be nobody's.
nodump() {
	local d=$tmp/nodump pid st lim i rc
	mkdir -p "$d" && chmod 0777 "$d"
	SEKISHO_REGISTRY=sqlite:$d/reg.db "$P" -q user add S9 --name nd >/dev/null || return 1
	chown -R nobody "$d" && mkfifo -m 0666 "$d/pin" || return 1
	exec 4<>"$d/pin"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env SEKISHO_REGISTRY=sqlite:$d/reg.db "$P" -q user pin S9 --pin-fd 3 3<"$d/pin" &
	pid=$!
	# waiting for it to hold the registry open (it read its options and
	# is about to read the PIN)
	for i in $(seq 1 500); do
		ls -l /proc/$pid/fd 2>/dev/null | grep -q 'reg.db$' && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.01
	done
	st=$(stat -c %u /proc/$pid/status 2>/dev/null)
	lim=$(awk '/^Max core file size/ { print $5, $6 }' /proc/$pid/limits 2>/dev/null)
	printf '4711\n' >&4
	exec 4>&-
	wait $pid
	rc=$?
	echo "owner of /proc/PID/status: $st (want 0), core limit: $lim (want 0 0), exit $rc"
	[ "$st" = 0 ] && [ "$lim" = "0 0" ] && [ "$rc" = 0 ]
}
check "sekisho-provision is not dumpable and makes no core file (it holds keys and PINs)" nodump
suite sqlite "sqlite:$tmp/sqlite/reg.db"
check "sqlite: the registry file is 0600" bash -c "[ \$(stat -c %a $tmp/sqlite/reg.db) = 600 ]"
if pg_start "$tmp/pg"; then
	tap_ok "a PostgreSQL server of our own in $tmp/pg"
	suite pg "$PG_URL"
else
	tap_not_ok "a PostgreSQL server of our own in $tmp/pg"
fi
tap_done
