#!/bin/bash
# make lab-up: build a lab and leave it running to explore. Its daemons run
# in their own sessions (LAB_DETACH=1) so they outlive this script; the
# lab's directory is recorded under /run/sekisho-lab/ for down.sh.
# LAB_SEGMENTS="office hotel lte" (or all) adds those segments.
set -eu
. "$(dirname "$0")/lab.sh"
export LAB_DETACH=1
REG=${LAB_REGISTRY:-/run/sekisho-lab}
lab_up
mkdir -p "$REG" && chmod 0700 "$REG"
echo "$LAB_DIR" >"$REG/$LAB_PREFIX"
echo "$LAB_DIR" >/run/sekisho-lab.current

cat <<INFO
Sekisho lab $LAB_PREFIX is up (state in $LAB_DIR, remove with 'make lab-down').

Run a command in a namespace:
  ip netns exec $NS_WORK ip addr              # work partition (eth0; DHCP from the netvm)
  ip netns exec $NS_NETVM ip link             # netvm: wk0 (to work), up0 (to home LAN)
  ip netns exec $NS_HOME curl http://192.168.1.1/       # home router
  ip netns exec $NS_PRINTER ip addr           # printer 192.168.1.50
  ip netns exec $NS_INET curl http://198.51.100.80/     # internet
  ip netns exec $NS_AGENCY wg show            # WireGuard gateway $LAB_WG_GW
  ip netns exec $NS_LGWAN curl http://10.64.1.80/       # LGWAN portal

Or with the library's helpers:
  . tests/lab/lab.sh; . $LAB_DIR/env
  lab_uplink_dhcp; n netvm curl http://198.51.100.80/; lab_leaks

Device key $LAB_DIR/device.key, policy $LAB_DIR/policy.conf.
INFO
if [ -n "${NS_OFFICE:-}${NS_LTE:-}" ]; then
	cat <<INFO
Segments:$(_lab_segments | sed "s/^home//") (plug the netvm's up0/up1/up2 into any of them):
  lab_plug up0 office; lab_uplink_dhcp up0; lab_uplinks; lab_leaks all
INFO
	[ -n "${NS_OFFICE:-}" ] && cat <<INFO
  ip netns exec $NS_NETVM $LAB_BEACON_PROBE -p $LAB_OFFICE_BEACON_PUB 10.66.0.2
INFO
	[ -n "${NS_HOTEL:-}" ] && cat <<INFO
  lab_hotel_beacon impostor|replayer|none     # what answers at the hotel's 10.66.0.2
INFO
fi
lab_roles
