#!/bin/bash
# sekisho-gw when nftables refuses its changes (the fault-injection shim
# of 26-rules-fail, tests/lab/nftfail.c, LD_PRELOAD): a revocation still
# removes the laptop's peer (a removal opens nothing), the
# others go on; a laptop provisioned meanwhile gets nowhere, since the
# ruleset in force does not know it (at a full sync its peer may be set
# while the new ruleset loads: the old one still filters); once nftables
# takes changes again, a full sync admits it and the revoked one stays out.
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh

trap lab_down EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
if lab_gw_up; then tap_ok "sekisho-gw runs the lab's agency"; else tap_not_ok "lab_gw_up"; tap_done; exit 1; fi
shim=$LAB_DIR/nftfail.so fail=$LAB_DIR/nftfail
cc -shared -fPIC -O2 -o "$shim" "${NFTFAIL_SRC:-tests/lab/nftfail.c}" -ldl ||
	{ tap_not_ok "cannot build the shim"; tap_done; exit 1; }
GWLOG=$LAB_DIR/log/agency-gw.log
declare -A ADDR PUB
add_laptop() {	# NAME: provisioned in group lab
	local out
	(umask 077; wg genkey >"$LAB_DIR/gw/$1.key")
	PUB[$1]=$(wg pubkey <"$LAB_DIR/gw/$1.key")
	out=$(lab_gw_prov device add "$1" --group lab --pubkey "${PUB[$1]}") || return 1
	ADDR[$1]=${out#* }
	ADDR[$1]=${ADDR[$1]%/32}
}
has_peer() { n agency wg show "$LAB_WG_GW" peers | grep -qxF "$1"; }
portal_from() { n "$1" curl -sS -m 3 "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
for i in 1 2; do
	if add_laptop "lt$i" && lab_laptop_up "lt$i" "$i" "$LAB_DIR/gw/lt$i.key" "${ADDR[lt$i]}"; then
		tap_ok "laptop lt$i provisioned and up"
	else tap_not_ok "laptop lt$i"; fi
	check "lt$i reaches the portal" lab_wait_for -t 15 portal_from "lt$i"
done
# (the shim takes itself out of LD_PRELOAD when it loads, so it is given to
# sekisho-gw itself, by env inside the namespace, not to ip)
restart_shimmed() {
	lab_gw_stop &&
	lab_spawn agency-gw agency env SK_NFTFAIL="$fail" LD_PRELOAD="$shim" "$LAB_BUILD/sekisho-gw" \
		run -d -r "$LAB_GW_REGISTRY" -i "$LAB_WG_GW" -k "$LAB_DIR/gateway.key" -s "$LAB_GW_SOCK" &&
	lab_wait_for -t 10 lab_gw status
}
check "sekisho-gw restarted over the shim (nftables still takes everything)" restart_shimmed

echo all >"$fail"
check "device revoke lt1 while nftables refuses every change" lab_gw_prov device revoke lt1 --reason test
refused() { grep -q 'nftables refused the ruleset' "$GWLOG"; }
check "one line says nftables refused it" lab_wait_for -t 10 refused
check "lt1's peer is removed all the same" lab_wait_for -t 5 bash -c \
	"! ip netns exec $NS_AGENCY wg show $LAB_WG_GW peers | grep -qxF '${PUB[lt1]}'"
check "lt1 reaches nothing" bash -c "! ip netns exec $LAB_PREFIX-lt1 curl -sS -m 3 http://$LAB_PORTAL/ >/dev/null 2>&1"
check "lt2 goes on" portal_from lt2
if add_laptop lt3 && lab_laptop_up lt3 3 "$LAB_DIR/gw/lt3.key" "${ADDR[lt3]}"; then
	tap_ok "laptop lt3 provisioned meanwhile, and up"
else tap_not_ok "laptop lt3"; fi
pending() { [ "$(grep -c 'a full sync is next' "$GWLOG")" -ge 2 ]; }
check "the gateway keeps trying a full sync" lab_wait_for -t 10 pending
check "lt3 gets nowhere while nftables refuses: the ruleset in force does not know it" bash -c \
	"! ip netns exec $LAB_PREFIX-lt3 curl -sS -m 3 http://$LAB_PORTAL/ >/dev/null 2>&1 &&
	 ! ip netns exec $NS_AGENCY nft list table inet sekisho_gw | grep -qF '${ADDR[lt3]}'"

rm -f "$fail"
check "nftables takes changes again: lt3's peer appears" lab_wait_for -t 10 has_peer "${PUB[lt3]}"
check "lt3 reaches the portal" lab_wait_for -t 15 portal_from lt3
check "lt1 stays out" bash -c "! ip netns exec $NS_AGENCY wg show $LAB_WG_GW peers | grep -qxF '${PUB[lt1]}' &&
	! ip netns exec $NS_AGENCY nft list table inet sekisho_gw | grep -qF '${ADDR[lt1]}'"
check "lt2 still goes on" portal_from lt2
[ "$TAP_FAILED" -gt 0 ] && tail -12 "$GWLOG" | sed "s/^/# /"
tap_done
