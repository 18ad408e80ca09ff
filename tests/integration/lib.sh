# shellcheck shell=bash
# Helpers for the integration tests: TAP output and the netvm daemon in the
# lab. Sourced after tests/lab/lab.sh.

TAP_N=0
TAP_FAILED=0

tap_ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $*"; }
tap_not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $*"; }
# check DESC CMD...: one TAP line from the command's status; its output is
# shown only when it fails.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		tap_ok "$desc"
	else
		tap_not_ok "$desc"
		printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   /'
	fi
}
tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

ms_now() { echo $(($(date +%s%N) / 1000000)); }

# refused_fast MAXMS CMD...: CMD must fail, and within MAXMS milliseconds
# (an answer, not a timeout). work_get (curl) says which itself: exit 7,
# it could not connect because something answered (a reset, an ICMP
# error), is refused whatever the wall time; a drop ends in curl's own
# timeout (28). Under load the wall time counts curl's start too: 1.1-2 s
# at load 20 on 2 cores, for refusals that were answered at once.
refused_fast() {
	local max=$1 t0 t1 rc out
	shift
	t0=$(ms_now)
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	t1=$(ms_now)
	# A command that could not run proves nothing about the firewall.
	if [ "$rc" -eq 126 ] || [ "$rc" -eq 127 ] ||
	    [[ $out == *"exec of \""*"\" failed"* ]] || [[ $out == *"command not found"* ]]; then
		echo "could not run: $*: $out"
		return 1
	fi
	if [ "$rc" -eq 0 ]; then
		echo "unexpectedly succeeded: $*"
		return 1
	fi
	if [ "$1" = work_get ] && [ "$rc" -eq 7 ]; then
		echo "refused (curl: could not connect, in $((t1 - t0)) ms): $out"
		return 0
	fi
	if [ $((t1 - t0)) -ge "$max" ]; then
		echo "refused only after $((t1 - t0)) ms (limit $max ms): $*"
		return 1
	fi
	echo "refused in $((t1 - t0)) ms"
}

# ---- the netvm daemon ------------------------------------------------------
SEKISHOD=${SEKISHOD:-build/sekishod}
SEKISHOCTL=${SEKISHOCTL:-build/sekishoctl}

netvm_env() {
	NETVM_TUN="${LAB_PREFIX}t"
	NETVM_SOCK="$LAB_DIR/sekishod.sock"
	NETVM_RUN="$LAB_DIR/netvm-run"
}

# netvm_boot: what the netvm's early-boot unit does (sekisho-base.service,
# before network-pre.target): the base ruleset, before any uplink is up. The
# lab brought the uplinks up already, so they are cycled once the ruleset is
# in: nothing they sent before it (an IGMP report at link-up, say) belongs
# to the laptop's day.
netvm_boot() {
	local ifc
	n netvm "$PWD/$SEKISHOD" -B 2>/dev/null || return 1
	for ifc in $(ip -n "$NS_NETVM" -o link show | awk -F': ' '$2 ~ /^up[0-9]/ { sub("@.*", "", $2); print $2 }'); do
		ip -n "$NS_NETVM" link set "$ifc" down
		ip -n "$NS_NETVM" link set "$ifc" up
	done
}

# netvm_start [POLICY [ARG...]]: sekishod in the netvm namespace, a child of
# the lab; ARGs go to sekishod.
netvm_start() {
	netvm_env
	lab_spawn sekishod netvm "$PWD/$SEKISHOD" -d -f "${1:-$LAB_DIR/policy.conf}" \
		-w wk0 -t "$NETVM_TUN" -s "$NETVM_SOCK" -r "$NETVM_RUN" "${@:2}" &&
	lab_wait_for -t 10 test -S "$NETVM_SOCK"
}

ctl() { netvm_env; "$SEKISHOCTL" -s "$NETVM_SOCK" "$@"; }

netvm_mode_is() { ctl status --json 2>/dev/null | grep -q "\"mode\":\"$1\""; }
netvm_wait_mode() { lab_wait_for -t "${2:-10}" netvm_mode_is "$1"; }

# The sekisho table as the kernel holds it.
netvm_rules() { n netvm nft list table inet sekisho; }

# kill -9, as a crash would: nothing of sekishod's runs after it.
netvm_kill9() {
	local pid
	pid=$(lab_pid sekishod) || return 1
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	rm -f "$LAB_DIR/pids/sekishod"
	rm -f "$NETVM_SOCK"
}

# Processes a killed sekishod left behind (its wireguard-go and dnsmasq),
# which the lab did not start itself.
netvm_cleanup() {
	netvm_env
	# wireguard-go for this lab's own tunnel name, matched exactly: never
	# another lab's, never by a pattern.
	local p cmd
	for p in /proc/[0-9]*; do
		cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
		[[ $cmd == "wireguard-go -f $NETVM_TUN " || $cmd == */"wireguard-go -f $NETVM_TUN " ]] &&
			kill "${p#/proc/}" 2>/dev/null
	done
	[ -r "$NETVM_RUN/work-dhcp.pid" ] && kill "$(cat "$NETVM_RUN/work-dhcp.pid")" 2>/dev/null
	return 0
}

# Fetch from work: body on stdout.
work_get() { n work curl -sS -m "${2:-5}" "$1"; }

# Work's rules in the netvm's forward chain, counters stripped: what work
# may do (31, 72).
work_rules() {
	n netvm nft list chain inet sekisho forward |
	    sed -nE 's/ counter packets [0-9]+ bytes [0-9]+//; /iifname "wk0"/s/^[[:space:]]+//p'
}
# work_rules in remote mode with the policy expired. Work's connections
# still translated to a former tunnel address are refused there too
# (69-live-gateway).
expired_rules() {
	local former="iifname \"wk0\" oifname \"$NETVM_TUN\" ct status snat ct reply ip daddr != ${LAB_TUNNEL_DEVICE%/*}"

	printf '%s\n' \
	    'iifname "wk0" meta nfproto ipv6 meta l4proto tcp reject with tcp reset' \
	    'iifname "wk0" meta nfproto ipv6 reject with icmpx admin-prohibited' \
	    "$former meta l4proto tcp reject with tcp reset" \
	    "$former reject with icmpx admin-prohibited" \
	    'iifname "wk0" ip saddr != 172.30.0.2 drop' \
	    'iifname "wk0" meta l4proto tcp reject with tcp reset comment "policy expired"' \
	    'iifname "wk0" reject with icmpx admin-prohibited comment "policy expired"' \
	    'iifname "wk0" meta l4proto tcp reject with tcp reset' \
	    'iifname "wk0" reject with icmpx admin-prohibited'
}
