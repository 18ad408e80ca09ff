# shellcheck shell=sh
# What the domains' scripts share (sourced by tests/xen/init).

uptime_s() { /bb/cut -d' ' -f1 /proc/uptime; }
now_ms() { /bb/awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
say() { echo "[$ROLE $(uptime_s)] $*"; }

# wait_for SECONDS CMD...: CMD every 0.2 s until it succeeds; 1 once
# SECONDS have passed (by the clock, however long CMD itself takes).
wait_for() {
	_end=$(( $(now_ms) + $1 * 1000 ))
	shift
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(now_ms)" -ge "$_end" ] && return 1
		/bb/sleep 0.2
	done
}

# Loads modules with kmod's modprobe (which honours softdeps).
modules() {
	for _m in "$@"; do
		/usr/sbin/modprobe "$_m" || say "modprobe $_m failed"
	done
}
