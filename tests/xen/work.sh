# shellcheck shell=sh
# The work domain (a Linux PV guest standing in for Windows): its one NIC,
# eth0, is the PV vif whose backend is the netvm. DHCP from sekishod, then
# the test's probe agent answers dom0's questions with packets.
modules xen-netfront
wait_for 60 /usr/sbin/ip link show eth0 || say "no eth0"
/bb/sysctl -q -w net.ipv6.conf.eth0.disable_ipv6=1
/usr/sbin/ip link set eth0 up
/bb/udhcpc -i eth0 -b -t 30 -T 1 -s /etc/sekisho-test/udhcpc.script >/dev/console 2>&1

# get HOST: an HTTP GET with busybox nc (busybox 1.35's wget crashed with
# SIGSEGV on a refused connection here); fails on a refusal or a timeout.
get() {
	_r=$(printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$1" | /bb/nc -w 5 "$1" 80) &&
		printf '%s\n' "$_r" | /bb/grep -q '^HTTP/1.[01] 200' && printf '%s\n' "$_r" | /bb/tail -n 1
}
probe_addr() { /usr/sbin/ip -4 addr show dev eth0 | /bb/grep 'inet 172.30.0.2/30'; }
probe_nics() { /usr/sbin/ip -br link | /bb/grep -v '^lo '; }
probe_lgwan() { get 10.64.1.80 | /bb/grep 'LGWAN portal OK'; }
probe_lgwan_host() { get 172.20.0.10 | /bb/grep 'LGWAN host OK'; }
probe_inet() { get 198.51.100.80; }
probe_home() { get 192.168.1.1; }
probe_gateway() { get 192.0.2.10; }
. /etc/sekisho-test/probe.sh
probe_agent
