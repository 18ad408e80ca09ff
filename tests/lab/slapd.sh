#!/bin/bash
# A throwaway OpenLDAP server (Debian's slapd) for a test or a bench: its
# configuration, database and sockets in a temporary directory, run as an
# unprivileged user (openldap, else nobody), listening on a loopback port
# and an ldapi socket in that directory, suffix dc=example,dc=lg,dc=jp.
# Removed afterwards; nothing touches /etc/ldap or /var/lib/ldap.
#
#   . tests/lab/slapd.sh
#   slapd_start DIR [LDIF]   load LDIF (offline, slapadd) and start; sets
#                            SLAPD_URL (ldap://127.0.0.1:PORT), SLAPD_LDAPI,
#                            SLAPD_BASE, SLAPD_ROOTDN + SLAPD_ROOTPW_FILE,
#                            SLAPD_SYNC_DN + SLAPD_SYNC_PW_FILE (files 0600:
#                            passwords never on a command line)
#   slapd_modify DIR LDIF    ldapmodify as the root DN over ldapi (changes
#                            with "changetype:", or plain entries with -a)
#   slapd_stop DIR           stop the server we started, remove DIR
#   SLAPD_TLS=1 slapd_start  also TLS: a CA and a server certificate for
#                            IP 127.0.0.1 made here (openssl), StartTLS on
#                            SLAPD_URL and ldaps on SLAPD_LDAPS_URL; the CA
#                            in SLAPD_CA_FILE
#   tests/lab/slapd-users.py N ...   LDIF of N staff with Japanese names
#
# Callers set a trap that calls slapd_stop. The sync account
# (cn=sekisho-sync) reads everything but passwords and has no size limit,
# so paged searches of 20,000 entries run as they do against a real AD
# (where a page is at most 1,000 entries).
SLAPD_BASE=${SLAPD_BASE:-dc=example,dc=lg,dc=jp}
_SLAPD_LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

_slapd_user() { id -u openldap >/dev/null 2>&1 && echo openldap || echo nobody; }
_slapd_enc() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

# A random password into FILE (0600, owned by root), its {SSHA} hash on stdout.
_slapd_secret() {
	( umask 077; head -c 18 /dev/urandom | base64 | tr -d '\n' >"$1" )
	slappasswd -h '{SSHA}' -T "$1"
}

slapd_start() {	# DIR [LDIF]
	local dir=$1 ldif=${2:-} u port try rootpw syncpw
	u=$(_slapd_user)
	command -v slapd >/dev/null || [ -x /usr/sbin/slapd ] ||
		{ echo "slapd_start: no slapd (apt-get install slapd ldap-utils)" >&2; return 1; }
	mkdir -p "$dir/db" "$dir/run" && chmod 0755 "$dir" || return 1
	SLAPD_ROOTDN="cn=admin,$SLAPD_BASE"
	SLAPD_SYNC_DN="cn=sekisho-sync,$SLAPD_BASE"
	SLAPD_ROOTPW_FILE=$dir/rootpw
	SLAPD_SYNC_PW_FILE=$dir/syncpw
	rootpw=$(_slapd_secret "$SLAPD_ROOTPW_FILE") && syncpw=$(_slapd_secret "$SLAPD_SYNC_PW_FILE") || return 1
	cat >"$dir/slapd.conf" <<EOC
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include $_SLAPD_LAB/ldap-ad.schema
pidfile $dir/run/slapd.pid
argsfile $dir/run/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
sizelimit 500
database mdb
maxsize 1073741824
suffix "$SLAPD_BASE"
rootdn "$SLAPD_ROOTDN"
rootpw $rootpw
directory $dir/db
index objectClass,uid,employeeNumber eq
limits dn.exact="$SLAPD_SYNC_DN" size=unlimited time=unlimited
access to attrs=userPassword by self =xw by anonymous auth by * none
access to * by dn.exact="$SLAPD_SYNC_DN" read by * none
EOC
	cat >"$dir/base.ldif" <<EOB
dn: $SLAPD_BASE
objectClass: dcObject
objectClass: organization
o: Example City
dc: example

dn: ou=people,$SLAPD_BASE
objectClass: organizationalUnit
ou: people

dn: $SLAPD_SYNC_DN
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: sekisho-sync
userPassword: $syncpw
EOB
	if [ "${SLAPD_TLS:-0}" = 1 ]; then
		_slapd_tls "$dir" "$u" || return 1
		cat >>"$dir/slapd.conf" <<EOC
TLSCACertificateFile $dir/tls/ca.pem
TLSCertificateFile $dir/tls/server.pem
TLSCertificateKeyFile $dir/tls/server.key
EOC
		# Global directives must precede "database": move them up.
		python3 - "$dir/slapd.conf" <<'EOP'
import sys
p = sys.argv[1]
lines = open(p).read().splitlines()
tls = [l for l in lines if l.startswith("TLS")]
rest = [l for l in lines if not l.startswith("TLS")]
i = next(k for k, l in enumerate(rest) if l.startswith("database"))
open(p, "w").write("\n".join(rest[:i] + tls + rest[i:]) + "\n")
EOP
	fi
	chown -R "$u" "$dir/db" "$dir/run" && chmod 0700 "$dir/db" || return 1
	chmod 0644 "$dir/slapd.conf" "$dir/base.ldif"
	runuser -u "$u" -- test -r "$dir/slapd.conf" ||
		{ echo "slapd_start: $u cannot reach $dir (a parent directory is 0700?)" >&2; return 1; }
	runuser -u "$u" -- slapadd -q -f "$dir/slapd.conf" -l "$dir/base.ldif" >"$dir/slapadd.log" 2>&1 ||
		{ echo "slapd_start: slapadd (base) failed:" >&2; tail -5 "$dir/slapadd.log" >&2; return 1; }
	if [ -n "$ldif" ]; then
		cp "$ldif" "$dir/load.ldif" && chmod 0644 "$dir/load.ldif"
		runuser -u "$u" -- slapadd -q -f "$dir/slapd.conf" -l "$dir/load.ldif" >>"$dir/slapadd.log" 2>&1 ||
			{ echo "slapd_start: slapadd ($ldif) failed:" >&2; tail -5 "$dir/slapadd.log" >&2; return 1; }
	fi
	SLAPD_LDAPI="ldapi://$(_slapd_enc "$dir/run/ldapi")"
	# A free loopback port: try a few at random (another test may race us).
	for try in 1 2 3 4 5 6 7 8; do
		local urls
		port=$((20000 + RANDOM % 30000))
		ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && continue
		urls="ldap://127.0.0.1:$port/ $SLAPD_LDAPI"
		if [ "${SLAPD_TLS:-0}" = 1 ]; then
			ss -Hltn "sport = :$((port + 1))" 2>/dev/null | grep -q . && continue
			urls="$urls ldaps://127.0.0.1:$((port + 1))/"
			SLAPD_LDAPS_URL="ldaps://127.0.0.1:$((port + 1))"
			export SLAPD_LDAPS_URL
		fi
		if runuser -u "$u" -- /usr/sbin/slapd -f "$dir/slapd.conf" \
		    -h "$urls" >"$dir/slapd.log" 2>&1; then
			local i
			for i in $(seq 1 100); do
				[ -s "$dir/run/slapd.pid" ] && [ -S "$dir/run/ldapi" ] && break
				sleep 0.1
			done
			if [ -s "$dir/run/slapd.pid" ] && kill -0 "$(cat "$dir/run/slapd.pid")" 2>/dev/null; then
				SLAPD_URL="ldap://127.0.0.1:$port"
				export SLAPD_URL SLAPD_LDAPI SLAPD_BASE SLAPD_ROOTDN SLAPD_ROOTPW_FILE \
					SLAPD_SYNC_DN SLAPD_SYNC_PW_FILE
				return 0
			fi
		fi
	done
	echo "slapd_start: slapd did not start:" >&2
	tail -5 "$dir/slapd.log" >&2
	return 1
}

# A CA and a server certificate for 127.0.0.1, the key readable by USER only.
_slapd_tls() {	# DIR USER
	local dir=$1 u=$2
	mkdir -p "$dir/tls" && chmod 0755 "$dir/tls" || return 1
	(
		cd "$dir/tls" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout ca.key -out ca.pem -days 2 -subj "/CN=Sekisho test CA" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout server.key -out server.csr -subj "/CN=127.0.0.1" &&
		printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
			-out server.pem -days 2 -extfile ext
	) >"$dir/tls.log" 2>&1 || { echo "slapd_start: certificates:" >&2; tail -5 "$dir/tls.log" >&2; return 1; }
	chown "$u" "$dir/tls/server.key" && chmod 0600 "$dir/tls/server.key" "$dir/tls/ca.key"
	chmod 0644 "$dir/tls/ca.pem" "$dir/tls/server.pem"
	SLAPD_CA_FILE=$dir/tls/ca.pem
	export SLAPD_CA_FILE
}

slapd_modify() {	# DIR LDIF [-a]
	local dir=$1 ldif=$2
	shift 2
	ldapmodify -x -H "$SLAPD_LDAPI" -D "$SLAPD_ROOTDN" -y "$dir/rootpw" "$@" -f "$ldif" >/dev/null
}

slapd_stop() {	# DIR
	local dir=$1 pid i
	if [ -s "$dir/run/slapd.pid" ]; then
		pid=$(cat "$dir/run/slapd.pid")
		kill "$pid" 2>/dev/null
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null
	fi
	rm -rf "$dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	start) slapd_start "$2" "${3:-}" && echo "$SLAPD_URL" ;;
	stop) slapd_stop "$2" ;;
	*) echo "usage: $0 start DIR [LDIF] | stop DIR" >&2; exit 2 ;;
	esac
fi
