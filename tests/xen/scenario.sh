# shellcheck shell=sh
# The Xen test's assertions, in order (sourced by dom0.sh, which defines
# check, ask, refused, ...). The domains are built by sekisho-partition;
# xl is used only to look.
check "dom0: Xen toolstack up (xenstored, xen-init-dom0, xenconsoled)" toolstack
check "dom0 plays the agency: kernel WireGuard gateway, LGWAN and internet hosts" agency
follow netvm
follow work
/usr/bin/xenstore-watch /local/domain >/tmp/xs-events 2>/dev/null &

# ---- a netvm that never arms: no work domain ----------------------------------------------
NOARM="$SP --domains /etc/sekisho/domains-noarm.conf"
up_silent() {
	_o=$($NOARM up --timeout 3 2>&1)
	_rc=$?
	echo "$_o"
	[ "$_rc" = 1 ] && echo "$_o" | /bb/grep -q 'did not arm within 3 s; work not started$' && ! running work
}
check "up: a netvm silent for 3 s: up fails, work not started" up_silent
up_failed() {
	_o=$($NOARM up --timeout 240 2>&1)
	_rc=$?
	echo "$_o"
	[ "$_rc" = 1 ] && echo "$_o" | /bb/grep -q '^netvm: already running' &&
		echo "$_o" | /bb/grep -q 'cannot arm: sekishod exited with status 1 before it armed; work not started$' &&
		! running work
}
check "up: a netvm whose sekishod cannot start: up fails at once, work not started" up_failed
check "status: the netvm is up but not armed" sh -c "! $SP status && $SP status | grep -q '^netvm: domain [0-9]*, cannot arm'"
check "down: the unarmed netvm is destroyed" sh -c "$SP down && ! $XL domid netvm"

# ---- up ------------------------------------------------------------------------------------------------
T_UP=$(now_ms)
up_ok() {
	$SP --domains /etc/sekisho/domains.conf up --timeout 300 >/tmp/up.out 2>/tmp/up.err
	_rc=$?
	/bb/sed 's/^/up: /' /tmp/up.out /tmp/up.err >/dev/console
	[ "$_rc" = 0 ]
}
check "up: the netvm is built, arms, then work is built" up_ok
NETVM=$(domid netvm)
WORK=$(domid work)
up_steps() {
	_s=$(/bb/sed 's/, domain [0-9]*$//; s/ (.*)$//; s/ in [0-9.]* s$//' /tmp/up.out | /bb/tr '\n' '|')
	echo "steps: $_s"
	[ "$_s" = "netvm: created|netvm: armed|work: created|up: done|" ]
}
check "up: its steps in order (netvm created, armed, work created)" up_steps
# xenstore's own record: the netvm wrote its armed key before anything of
# the work domain existed.
order() {
	_a=$(/bb/grep -n "^/local/domain/$NETVM/data/sekisho/armed\$" /tmp/xs-events | /bb/head -n 1 | /bb/cut -d: -f1)
	_w=$(/bb/grep -n "^/local/domain/$WORK\(/\|\$\)" /tmp/xs-events | /bb/head -n 1 | /bb/cut -d: -f1)
	echo "xenstore events: armed at #$_a, first of domain $WORK at #$_w"
	[ -n "$_a" ] && [ -n "$_w" ] && [ "$_a" -lt "$_w" ]
}
check "xenstore: the netvm armed before the work domain existed" order
check "status: netvm armed, work running" sh -c "$SP status && $SP status | grep -q '^netvm: domain $NETVM, armed'"
work_vif() {
	$XL network-list work
	_n=$($XL network-list work | /bb/awk 'NR > 1' | /bb/wc -l)
	_be=$(/usr/bin/xenstore-read "/local/domain/$WORK/device/vif/0/backend-id")
	echo "work: $_n vif, backend domain $_be"
	[ "$_n" = 1 ] && [ "$_be" = "$NETVM" ]
}
check "work has one NIC, a vif whose backend is the netvm" work_vif

# ---- packets ---------------------------------------------------------------------------------------
check "work's test agent answers" wait_for 180 agent_ready work
check "netvm: the work vif is in wk0 (hotplug without xl devd)" answers netvm vif
check "netvm: the product's sysctl.d applied (ping_group_range 0 0: root's echo to the gateway)" answers netvm ping_range
one_nic() {
	ask work nics
	echo "$ASK_OUT"
	[ "$ASK_RC" = 0 ] && [ "$(echo "$ASK_OUT" | /bb/wc -l)" = 1 ]
}
check "work's only interface is its PV NIC" one_nic
check "work gets 172.30.0.2/30 by DHCP from sekishod" wait_for 90 answers work addr
leak_watch
lgwan_first() {
	_i=0
	while [ $_i -lt 60 ]; do
		answers work lgwan && { echo "after $_i tries"; return 0; }
		_i=$((_i + 1))
		/bb/sleep 1
	done
	return 1
}
check "work reaches the LGWAN portal through the tunnel" lgwan_first
T_LGWAN=$(now_ms)
echo "bench: xen.arm_to_work_ms = $((T_LGWAN - T_UP)) ms"
check "work reaches a second LGWAN prefix" answers work lgwan_host
check "netvm: the tunnel is kernel WireGuard (vpn/'s kernel backend)" answers netvm wg_kernel
check "netvm: sekishod is in remote mode" answers netvm mode_remote
check "dom0's gateway saw the handshake" sh -c "wg show wg0 latest-handshakes | awk '{ exit \$2 == 0 }'"
check "work: the internet host is refused fast" refused work inet 2000
check "work: the uplink's router (dom0) is refused fast" refused work home 2000
check "work: the gateway's public address is refused fast" refused work gateway 2000

# ---- kill -9 of sekishod ------------------------------------------------------------------------
check "netvm: kill -9 sekishod" answers netvm kill_sekishod
check "after kill -9: the ruleset is still in the netvm's kernel" answers netvm rules
check "after kill -9: the internet host is still refused fast" refused work inet 2000
check "after kill -9: work still reaches LGWAN (the tunnel stays)" answers work lgwan
leaks() {
	echo "tunnel=$(leak tunnel) arp=$(leak arp_) other=$(leak other)"
	[ "$(leak other)" = 0 ] && [ "$(leak tunnel)" -gt 0 ]
}
check "dom0 saw only the tunnel's UDP and ARP from the netvm's uplink" leaks

# ---- down ------------------------------------------------------------------------------------------------
down_ok() {
	_o=$($SP down 2>&1)
	_rc=$?
	echo "$_o"
	[ "$_rc" = 0 ] && [ "$(echo "$_o" | /bb/sed 's/, domain [0-9]*//' | /bb/tr '\n' '|')" = "work: destroyed|netvm: destroyed|" ] &&
		! running work && ! running netvm
}
check "down: work destroyed, then the netvm" down_ok
echo "1..$TAP_N"
echo "xen-test: done, $TAP_FAILED failed"
