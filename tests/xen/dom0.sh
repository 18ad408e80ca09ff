# shellcheck shell=sh
# dom0 of the Xen test (sourced by tests/xen/init as PID 1): starts the Xen
# toolstack, plays the agency (kernel WireGuard gateway at 192.0.2.10:51820,
# LGWAN hosts behind it, an "internet" host beside it, all on dom0), runs
# `sekisho-partition up` and proves with packets, through the probe agents
# of the netvm and work domains, what the partitioning promises. One TAP
# line per assertion; the console logs of the guests are copied to this
# console, each line prefixed with [netvm] or [work].
XL=/usr/lib/xen-4.17/bin/xl
SP=/usr/sbin/sekisho-partition
TAP_N=0
TAP_FAILED=0
ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
check() {	# DESC CMD...: one TAP line from CMD's status; its output on failure
	_d=$1
	shift
	if _o=$("$@" 2>&1); then ok "$_d"; else not_ok "$_d"; printf '%s\n' "$_o" | /bb/tail -n 20 | /bb/sed 's/^/#   /'; fi
}

toolstack() {
	modules xen-gntalloc xen-netback bridge wireguard nf_tables
	/bb/mkdir -p /var/run/xenstored /var/lib/xenstored /var/log/xen /var/lib/xen /var/run/xen
	/usr/lib/xen-4.17/bin/xenstored --pid-file /var/run/xenstored.pid \
		</dev/null >/dev/console 2>&1
	wait_for 20 /usr/bin/xenstore-read /local || return 1
	/usr/lib/xen-4.17/bin/xen-init-dom0 || return 1
	/usr/lib/xen-4.17/bin/xenconsoled --pid-file=/var/run/xenconsoled.pid \
		--log=guest --log-dir=/var/log/xen </dev/null >/dev/console 2>&1 || return 1
	$XL info | /bb/grep -E '^(xen_version|xen_commandline|free_memory)'
}

agency() {
	for a in 192.0.2.10 10.64.1.80 172.20.0.10 198.51.100.80; do
		/usr/sbin/ip addr add "$a/32" dev lo || return 1
	done
	/usr/sbin/ip link add wg0 type wireguard || return 1
	/usr/bin/wg set wg0 listen-port 51820 private-key /etc/sekisho/gateway.key \
		peer "$(/bb/cat /etc/sekisho/device.pub)" allowed-ips 10.77.0.2/32 || return 1
	/usr/sbin/ip addr add 10.77.0.1/24 dev wg0
	/usr/sbin/ip link set wg0 up
	web portal 10.64.1.80 "LGWAN portal OK" &&
	web lgwan-host 172.20.0.10 "LGWAN host OK" &&
	web internet 198.51.100.80 "internet" &&
	web gateway 192.0.2.10 "the gateway's own web page"
}

web() {	# NAME ADDR TEXT: a busybox httpd on ADDR:80
	/bb/mkdir -p "/www/$1"
	echo "$3" >"/www/$1/index.html"
	/bb/httpd -p "$2:80" -h "/www/$1" </dev/null >/dev/console 2>&1
}

# The guests' consoles, as xenconsoled writes them, on this console.
follow() {	# NAME
	: >>"/var/log/xen/guest-$1.log"
	/bb/tail -n +1 -F "/var/log/xen/guest-$1.log" 2>/dev/null | /bb/sed "s/^/[$1] /" &
}

domid() { $XL domid "$1" 2>/dev/null; }
running() { domid "$1" >/dev/null; }

# ask NAME PROBE [SECONDS]: runs the domain's probe_PROBE; sets ASK_RC
# (255: no answer in time), ASK_MS and ASK_OUT.
# The sequence number lives in a file: check runs its command in a
# subshell, where a variable's increment would be lost.
ask() {
	_id=$(domid "$1") || { ASK_RC=255; ASK_OUT="no domain $1"; return 255; }
	_p=/local/domain/$_id/data/test
	ASK_SEQ=$(( $(/bb/cat /tmp/ask-seq 2>/dev/null || echo 0) + 1 ))
	echo "$ASK_SEQ" >/tmp/ask-seq
	/usr/bin/xenstore-write "$_p/req" "$ASK_SEQ $2"
	_end=$(( $(now_ms) + ${3:-30} * 1000 ))
	ASK_RC=255 ASK_MS=0 ASK_OUT="no answer from $1 in ${3:-30} s"
	while [ "$(now_ms)" -lt "$_end" ]; do
		_r=$(/usr/bin/xenstore-read "$_p/res" 2>/dev/null)
		if [ "${_r%% *}" = "$ASK_SEQ" ]; then
			set -- $_r
			ASK_RC=$2 ASK_MS=$3
			ASK_OUT=$(/usr/bin/xenstore-read "$_p/out" 2>/dev/null)
			break
		fi
		/bb/sleep 0.2
	done
	return "$ASK_RC"
}
answers() { ask "$@" >/dev/null 2>&1; [ "$ASK_RC" = 0 ] || { echo "$ASK_OUT (status $ASK_RC)"; return 1; }; }
# refused NAME PROBE MAXMS: the probe fails, and fast (an answer, not a timeout)
refused() {
	ask "$1" "$2" 20
	[ "$ASK_RC" != 0 ] && [ "$ASK_RC" != 255 ] && [ "$ASK_MS" -lt "$3" ] ||
		{ echo "status $ASK_RC after $ASK_MS ms (want a refusal within $3 ms): $ASK_OUT"; return 1; }
	echo "refused in $ASK_MS ms"
}
agent_ready() { _i=$(domid "$1") && /usr/bin/xenstore-exists "/local/domain/$_i/data/test/req"; }

# What crossed dom0's end of the netvm's uplink: the tunnel's UDP, ARP,
# anything else (which must stay 0).
leak_watch() {
	_v=$($XL network-list netvm | /bb/awk 'NR == 2 { print $1 }')
	_dev=vif$(domid netvm).${_v:-0}
	/usr/sbin/nft -f - <<EOT
table netdev leak {
	counter tunnel { }
	counter arp_ { }
	counter other { }
	chain in {
		type filter hook ingress device "$_dev" priority -500; policy accept;
		ip daddr 192.0.2.10 udp dport 51820 counter name tunnel accept
		ether type arp counter name arp_ accept
		counter name other
	}
}
EOT
}
leak() { /usr/sbin/nft list counter netdev leak "$1" | /bb/awk '/packets/ { print $2 }'; }

. /etc/sekisho-test/scenario.sh
