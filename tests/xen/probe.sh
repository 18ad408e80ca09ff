# shellcheck shell=sh
# The test agent of the netvm and the work domain: dom0 asks for one of
# the probe_* functions of the domain's script by writing "SEQ NAME" to
# data/test/req in the domain's own xenstore directory; the agent runs it
# and answers with data/test/out (the end of its output) and then
# data/test/res ("SEQ STATUS MILLISECONDS"). Test images only.

probe_agent() {
	/usr/bin/xenstore-write data/test/res "0 0 0" data/test/req "0 none" || {
		say "probe agent: cannot write to xenstore"
		return 1
	}
	_last=0
	say "probe agent: ready"
	while :; do
		_req=$(/usr/bin/xenstore-read data/test/req 2>/dev/null) || _req="0 none"
		_seq=${_req%% *}
		_name=${_req#* }
		if [ "$_seq" != "$_last" ]; then
			_last=$_seq
			probe_run "$_seq" "$_name"
		fi
		/bb/sleep 0.2
	done
}

probe_run() {	# SEQ NAME
	_t0=$(now_ms)
	case "$2" in
	*[!a-z0-9_]* | "") _out="no such probe: $2"; _rc=127 ;;
	*)
		if type "probe_$2" >/dev/null 2>&1; then
			_out=$("probe_$2" 2>&1)
			_rc=$?
		else
			_out="no such probe: $2"
			_rc=127
		fi
		;;
	esac
	_t1=$(now_ms)
	say "probe $2: status $_rc in $((_t1 - _t0)) ms"
	[ -n "$_out" ] && printf '%s\n' "$_out" | /bb/sed "s/^/[$ROLE probe $2] /"
	/usr/bin/xenstore-write data/test/out "$(printf '%s' "$_out" | /bb/tail -c 900)"
	/usr/bin/xenstore-write data/test/res "$1 $_rc $((_t1 - _t0))"
}
