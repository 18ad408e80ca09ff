#!/bin/bash
# The policy's services, inbound rules and IPv6 in remote mode, in the lab
# with real packets (docs/policy.md, "Sets, services and inbound rules"):
#
#  - services narrow LGWAN: the portal's TCP 80 crosses, its TCP 5201 (also
#    LGWAN, no service) is refused at once; 172.20/16 only by ping; a
#    service of mode office does nothing in remote mode;
#  - the kernel holds one accept per service, set and protocol, with the
#    service's class and name, and its counter moves with the traffic;
#  - an inbound rule: LGWAN's help desk reaches work's TCP port through the
#    tunnel address, any other source or port is not translated;
#  - IPv6: work reaches an LGWAN IPv6 host through the tunnel (RA + DHCPv6
#    from the netvm's dnsmasq are not used: the lab's work has its address),
#    an IPv6 address outside lgwan is refused, and IPv6 towards the uplink
#    never leaves (the home segment's leak counter).
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot
lab_leak_reset
check "the lab's LGWAN answers on IPv6 too" lab_lgwan6

SUPPORT=10.65.99.7		# the help desk, an LGWAN host of this test
lab_lgwan_host "$SUPPORT"
POL=$LAB_DIR/services.conf
sed -e '/^lgwan {/,$d' "$LAB_DIR/policy.conf" | sed 's#^\ttunnel-address '"$LAB_TUNNEL_DEVICE"'$#&\n\ttunnel-address6 '"$LAB_TUNNEL_DEVICE6"'/128#' >"$POL"
cat >>"$POL" <<EOF
set "core" {
	prefix 10.64.0.0/16
	prefix 10.65.0.0/16
	prefix $LAB_LGWAN6_PREFIX
}
set "helpdesk" { prefix $SUPPORT/32 }
lgwan {
	set core
	prefix 172.20.0.0/16
	resolver $LAB_LGWAN_DNS
}
work {
	address $LAB_WORK_ADDR
	router $LAB_WORK_ROUTER
	address6 $LAB_WORK_ADDR6
	router6 $LAB_WORK_ROUTER6
}
service "portal" {
	class lgwan
	to $LAB_PORTAL/32
	tcp 80
}
service "v6-portal" {
	class lgwan
	to $LAB_LGWAN6_HOST/128
	tcp 8080
}
service "ping-hosts" {
	class prelogon
	to 172.20.0.0/16
	icmp echo
}
service "office-only" {
	class prelogon
	to core
	tcp 5201
	mode office
}
inbound "remote-support" {
	from helpdesk
	tcp 3389
	mode remote
}
EOF
check "the test policy is valid" build/sekisho-policy check "$POL"

check "sekishod starts with services" netvm_start "$POL"
check "work gets its address by DHCP" lab_work_dhcp
check "uplink DHCP from the home router" lab_uplink_dhcp
check "mode becomes remote" netvm_wait_mode remote

# ---- services ----------------------------------------------------------------
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "service portal: TCP 80 to the portal crosses" lab_wait_for -t 5 portal_ok
check "no service: TCP $LAB_IPERF_PORT to the portal refused fast (office-only service)" \
	refused_fast 1000 n work nc -w 3 -z "$LAB_PORTAL" "$LAB_IPERF_PORT"
check "no service: HTTP to another LGWAN host refused fast" \
	refused_fast 1000 work_get "http://$LAB_LGWAN_HOST/"
check "service ping-hosts: ICMP echo to 172.20.0.10 answered" \
	n work ping -c 1 -W 2 "$LAB_LGWAN_HOST"
check "no service: ICMP echo to the portal refused" \
	bash -c "! ip netns exec $NS_WORK ping -c 1 -W 2 $LAB_PORTAL"
check "DNS still resolves through the netvm" bash -c \
	"[ \"\$(ip netns exec $NS_WORK dig +short +time=2 +tries=1 @$LAB_WORK_ROUTER $LAB_PORTAL_NAME)\" = $LAB_PORTAL ]"
# The class the kernel's map gives an address, as nft prints a mark
# (0x%08x).
class_of() {
	local c
	c=$(n netvm nft get element inet sekisho "$1" "{ $2 }" 2>/dev/null |
		sed -n 's/.* : \(0x[0-9a-f]*\) }.*/\1/p')
	[ -n "$c" ] && printf '0x%08x\n' "$c"
}
set_has() { n netvm nft list set inet sekisho "$1" | tr -d '\n\t' | grep -qE "$2"; }
# In remote mode class C allows PROTO PORT: C in svc_ports (the same in
# both modes), or C with remote mode's path mark in svc_ports_mode.
remote_allows() {
	set_has svc_ports "$1 \. $2 \. $3[ ,}]" ||
	set_has svc_ports_mode "$(printf '0x%08x' $(($1 | 0x5e1))) \. $2 \. $3[ ,}]"
}
portal_class() { local c; c=$(class_of svc_class "$LAB_PORTAL") && remote_allows "$c" tcp 80; }
check "kernel: the portal's class allows TCP 80 (@svc_class, @svc_ports)" portal_class
icmp_class() { local c; c=$(class_of svc_class "$LAB_LGWAN_HOST") && set_has svc_icmp "$(printf '0x%08x' $((c | 0x5e1)))"; }
check "kernel: 172.20.0.10's class allows ICMP echo (@svc_icmp)" icmp_class
check "kernel: the services' accept counted the portal's traffic" bash -c \
	"ip netns exec $NS_NETVM nft list chain inet sekisho forward | grep -F '@svc_ports' | grep -qE 'counter packets [1-9]'"
# The sets hold both modes' classes (a mode change does not touch them):
# 5201 only under office mode's mark, never remote mode's nor for both.
check "kernel: no port of the office-only service in remote mode" \
	bash -c "ip netns exec $NS_NETVM nft list set inet sekisho svc_ports_mode | grep -qE '0x[0-9a-f]{4}05e2 \. tcp \. 5201' &&
	    ! ip netns exec $NS_NETVM nft list set inet sekisho svc_ports_mode | grep -qE '0x[0-9a-f]{4}05e1 \. tcp \. 5201' &&
	    ! ip netns exec $NS_NETVM nft list set inet sekisho svc_ports | grep -q 5201"
check "kernel: no blanket accept of @lgwan once services exist" \
	bash -c "! ip netns exec $NS_NETVM nft list table inet sekisho | grep -q 'ip daddr @lgwan ct mark set meta mark map @fwd_gen counter'"
check "kernel: the forward chain's service rules do not grow with the services (7)" bash -c \
	"[ \$(ip netns exec $NS_NETVM nft list chain inet sekisho forward | grep -c '@svc_') = 7 ]"
check "kernel: nothing leaves with a service class in its mark" bash -c \
	"ip netns exec $NS_NETVM nft list chain inet sekisho leave | grep -qF 'meta mark != 0x00000000/16 counter packets 0 '"

# ---- inbound -------------------------------------------------------------------
TL=$PWD/tests/integration/tcpline.py
TUN4=${LAB_TUNNEL_DEVICE%/32}
lab_spawn work-rdp work "$TL" serve 0.0.0.0 3389 work-rdp-ok || echo "# listener did not start"
lab_wait_for -t 5 _lab_listening work t 0.0.0.0 3389 || echo "# nothing listens on work's 3389"
check "inbound: the help desk reaches work's TCP 3389 via the tunnel address" \
	bash -c "[ \"\$(ip netns exec $(_lab_ns lgwan) $TL get $TUN4 3389 $SUPPORT)\" = work-rdp-ok ]"
check "inbound: another LGWAN source is not let in" \
	bash -c "! ip netns exec $(_lab_ns lgwan) $TL get $TUN4 3389 $LAB_PORTAL"
check "inbound: the help desk on another port is not let in" \
	bash -c "! ip netns exec $(_lab_ns lgwan) $TL get $TUN4 22 $SUPPORT"
check "kernel: the inbound translation counted the help desk's connection" bash -c \
	"ip netns exec $NS_NETVM nft list chain inet sekisho forward | grep -F 'comment \"inbound remote-support\"' | grep -qE 'counter packets [1-9]'"

# ---- IPv6 ------------------------------------------------------------------------
lab_spawn lgwan6-http lgwan "$TL" serve "$LAB_LGWAN6_HOST" 8080 lgwan6-ok || echo "# listener did not start"
v6_ok() { [ "$(n work "$TL" get "$LAB_LGWAN6_HOST" 8080 2>/dev/null)" = lgwan6-ok ]; }
check "IPv6: work reaches the LGWAN IPv6 service through the tunnel" lab_wait_for -t 5 v6_ok
v6_source() {	# what the LGWAN host saw as the source: the tunnel's IPv6 address
	n lgwan ss -Htn state time-wait "( sport = :8080 )" | grep -qF "$LAB_TUNNEL_DEVICE6"
}
check "IPv6: LGWAN sees the device's tunnel address" v6_source
check "IPv6: another port of the same host refused fast" \
	refused_fast 1000 n work nc -6 -w 3 -z "$LAB_LGWAN6_HOST" 80
check "IPv6: an address outside lgwan refused fast" \
	refused_fast 1000 n work nc -6 -w 3 -z 2001:db8:99::1 80
v6_class() { local c; c=$(class_of svc_class6 "$LAB_LGWAN6_HOST") && remote_allows "$c" tcp 8080; }
check "kernel: the IPv6 host's class allows TCP 8080 (@svc_class6)" v6_class
no_leak() {
	local l
	l=$(lab_leaks)
	echo "home: $l"
	[ "$(lab_leak leak)" -eq 0 ] && [ "$(lab_leak tunnel)" -gt 0 ]
}
check "nothing but DHCP and the tunnel left the home segment" no_leak
tap_done
