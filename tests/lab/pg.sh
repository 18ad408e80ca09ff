#!/bin/bash
# A throwaway PostgreSQL server for a test: initdb in a temporary directory
# as an unprivileged user (postgres, else nobody), no TCP at all (the unix
# socket in that directory), one database "sekisho". Removed afterwards.
#
#   . tests/lab/pg.sh; pg_start DIR   -> PG_URL (postgresql:///sekisho?host=DIR...)
#   pg_stop DIR                       -> stops the server, removes DIR
#   tests/lab/pg.sh start DIR         prints the URL; tests/lab/pg.sh stop DIR
#
# PG_NETNS and PG_LISTEN (both or neither): the server runs in that network
# namespace and listens on TCP at that address too (port 5432), trusting
# connections from PG_HBA (an address/len) to the database sekisho; the
# unix socket stays (PG_URL). For the tests of a link cut on the way.
# PG_EXTRA: more server options ("-c log_connections=on").
#
# Callers set a trap that calls pg_stop. The server runs only as long as the
# test: nothing is left in /var/lib/postgresql or systemd.
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

_pg_opts() {	# DIR
	echo "-c listen_addresses='${PG_LISTEN:-}' -c unix_socket_directories='$1/sock' -c fsync=off -c max_connections=40 ${PG_EXTRA:-}"
}
_pg_ns() { if [ -n "${PG_NETNS:-}" ]; then ip netns exec "$PG_NETNS" "$@"; else "$@"; fi; }

_pg_user() { id -u postgres >/dev/null 2>&1 && echo postgres || echo nobody; }

pg_start() {	# DIR
	local dir=$1 u
	u=$(_pg_user)
	[ -x "$PG_BIN/initdb" ] || { echo "pg_start: no initdb in '$PG_BIN' (apt-get install postgresql)" >&2; return 1; }
	mkdir -p "$dir" && chmod 0755 "$dir" && mkdir -p "$dir/data" "$dir/sock" &&
	chown "$u" "$dir/data" "$dir/sock" && chmod 0700 "$dir/data" || return 1
	runuser -u "$u" -- "$PG_BIN/initdb" -D "$dir/data" -A trust -U sekisho -E UTF8 \
		--locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ echo "pg_start: initdb failed:" >&2; tail -5 "$dir/initdb.log" >&2; return 1; }
	if [ -n "${PG_LISTEN:-}" ]; then
		echo "host sekisho sekisho ${PG_HBA:?PG_HBA with PG_LISTEN} trust" >>"$dir/data/pg_hba.conf" ||
			return 1
	fi
	_pg_ns runuser -u "$u" -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/sock/server.log" -w -t 30 \
		-o "$(_pg_opts "$dir")" start >"$dir/pg_ctl.log" 2>&1 ||
		{ echo "pg_start: the server did not start:" >&2; tail -5 "$dir/sock/server.log" >&2; return 1; }
	runuser -u "$u" -- "$PG_BIN/createdb" -h "$dir/sock" -U sekisho sekisho >>"$dir/pg_ctl.log" 2>&1 ||
		{ echo "pg_start: createdb failed" >&2; return 1; }
	PG_URL="postgresql:///sekisho?host=$dir/sock&user=sekisho"
	export PG_URL
}

# pg_halt DIR / pg_resume DIR: the server stopped at once (as a crash or a
# lost link: clients see their connections die) and started again on the
# same data; for the tests of clients that must ride out an outage.
pg_halt() {
	runuser -u "$(_pg_user)" -- "$PG_BIN/pg_ctl" -D "$1/data" -m immediate -w stop >/dev/null 2>&1
}
pg_resume() {
	local dir=$1
	_pg_ns runuser -u "$(_pg_user)" -- "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/sock/server.log" -w -t 30 \
		-o "$(_pg_opts "$dir")" start >>"$dir/pg_ctl.log" 2>&1
}

pg_stop() {	# DIR
	local dir=$1
	[ -d "$dir/data" ] && runuser -u "$(_pg_user)" -- "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w \
		stop >/dev/null 2>&1
	rm -rf "$dir"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	start) pg_start "$2" && echo "$PG_URL" ;;
	stop) pg_stop "$2" ;;
	*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
	esac
fi
