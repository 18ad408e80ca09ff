# shellcheck shell=sh
# The netvm's service glue (sourced by tests/xen/init as PID 1): what a
# netvm image's boot does around sekishod, which knows nothing of Xen.
#  0. the product's kernel settings (/usr/lib/sysctl.d, as systemd-sysctl
#     applies them at boot: root's ping sockets for the tunnel's echo);
#  1. the fail-closed base ruleset (sekishod -B), before any interface;
#  2. wk0, the bridge that will hold the work domain's vif (sekishod's
#     work-facing interface must exist when it starts, and the vif only
#     exists once work is created, which waits for this netvm to arm);
#  3. the vif backend's hotplug handler (no xl devd: tests/xen/vif-netvm,
#     run by busybox uevent on each kernel uevent);
#  4. sekishod; once `sekishoctl status` answers, its ruleset is in the
#     kernel: write data/sekisho/armed = 1 (the key dom0's
#     `sekisho-partition up` waits for), or data/sekisho/error if
#     sekishod ended first;
#  5. the uplink (a static address here; DHCP on a laptop);
#  6. the test's probe agent.
SOCK=/run/sekisho/sekishod.sock
POLICY=/etc/sekisho/policy.conf
case "$(/bb/cat /proc/cmdline)" in
*sekisho.test=noarm*) POLICY=/etc/sekisho/missing.conf ;;	# never arms
esac

modules xen-netback xen-netfront bridge wireguard nf_tables
for f in /usr/lib/sysctl.d/*.conf; do
	/bb/sysctl -q -p "$f" || say "sysctl -p $f failed"
done
/usr/sbin/sekishod -B || say "sekishod -B failed"
/usr/sbin/ip link add wk0 type bridge
/usr/sbin/ip link set wk0 address 02:5e:00:00:30:01
/usr/sbin/ip link set wk0 up
/bb/uevent /etc/sekisho-test/vif-netvm </dev/null >/dev/console 2>&1 &

armed() { /usr/sbin/sekishoctl -s "$SOCK" status >/dev/null 2>&1; }
/usr/sbin/sekishod -d -f "$POLICY" -w wk0 -t sekisho0 -s "$SOCK" \
	</dev/null >/dev/console 2>&1 &
SEKISHOD=$!
while :; do
	if armed; then
		/usr/bin/xenstore-write data/sekisho/armed 1
		say "armed: sekishod answers on $SOCK; data/sekisho/armed written"
		break
	fi
	if ! /bb/kill -0 "$SEKISHOD" 2>/dev/null; then
		wait "$SEKISHOD"
		rc=$?
		/usr/bin/xenstore-write data/sekisho/error "sekishod exited with status $rc before it armed"
		say "not armed: sekishod exited with status $rc"
		break
	fi
	/bb/sleep 0.1
done

# The uplink (dom0's agency side): no IPv6 from it, a static address.
wait_for 30 /usr/sbin/ip link show eth0 || say "no uplink eth0"
/bb/sysctl -q -w net.ipv6.conf.eth0.disable_ipv6=1
/usr/sbin/ip addr add 192.168.1.100/24 dev eth0
/usr/sbin/ip link set eth0 up
/usr/sbin/ip route add default via 192.168.1.1

# kill -9, as a crash would. The dead sekishod stays a zombie until this
# shell (PID 1, its parent) reaps it, so "gone" means gone or a zombie.
probe_kill_sekishod() {
	_p=$(/bb/pidof sekishod) || { echo "sekishod is not running"; return 1; }
	/bb/kill -9 $_p
	/bb/sleep 0.5
	for _q in $_p; do
		/bb/grep -q '^State:.*Z' "/proc/$_q/status" 2>/dev/null || [ ! -e "/proc/$_q" ] ||
			{ echo "sekishod $_q still runs"; return 1; }
	done
	echo "sekishod $_p killed"
}
probe_mode_remote() {
	/usr/sbin/sekishoctl -s "$SOCK" status --json | /bb/grep '"mode":"remote"'
}
probe_status() { /usr/sbin/sekishoctl -s "$SOCK" status; }
# The tunnel is the kernel's WireGuard (vpn/'s kernel backend), not a tun.
probe_wg_kernel() {
	/usr/sbin/ip -d link show sekisho0 | /bb/grep -w wireguard &&
		! /bb/pidof wireguard-go && /usr/bin/wg show sekisho0 | /bb/grep -v 'private key'
}
probe_rules() {
	/usr/sbin/nft list table inet sekisho | /bb/grep -E 'iifname "wk0" oifname "sekisho0" ip daddr @lgwan counter|policy drop|saddr != 172.30.0.2'
}
probe_vif() { /usr/sbin/ip -br link show master wk0; }
# The product's sysctl.d: root's group may open ping sockets (the tunnel's
# liveness echo, docs/policy.md), nobody else's.
probe_ping_range() {
	_r=$(/bb/cat /proc/sys/net/ipv4/ping_group_range)
	echo "ping_group_range: $_r"
	[ "$_r" = "$(printf '0\t0')" ]
}
. /etc/sekisho-test/probe.sh
probe_agent
