#!/bin/bash
# sekisho-policy compile, keygen, sign and verify (docs/bundle.md):
#   tests/policy/NN.in       compiles to NN.netvm.ok and NN.gateway.ok, and
#                            nftables' dry run (compile --check) accepts both;
#   tests/policy/bundles/    NAME.args run through `verify` print exactly
#                            NAME.out (exit 0) or NAME.err (exit 1);
#   sign reproduces the golden bundle byte for byte, and so does a second,
#   independent encoder (Python + the openssl tool): the format is the
#   documented one; every byte of a bundle tampered with: all refused;
#   key files: created 0600 and O_EXCL, refused when group/world readable;
#   the gateway ruleset applied in namespaces: real packets from a device
#   reach its LGWAN prefixes and nothing else.
# Needs root (network namespaces), nft, python3, openssl. One TAP line per
# check.
set -u
cd "$(dirname "$0")/../.."
bin=${B:-build}/sekisho-policy
dir=tests/policy/bundles
n=0 failed=0
tmp=$(mktemp -d)
NS=()
cleanup() {
	local ns
	for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin not built (make $bin)"
	exit 1
fi

# run NAME WANT_RC WANT_STDOUT_FILE WANT_STDERR_FILE -- ARGS...
run() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4 rc
	shift 5
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		not_ok "$name: exit $rc, expected $want_rc"
		sed 's/^/# /' "$tmp/err"
	elif ! cmp -s "$tmp/out" "$want_out"; then
		not_ok "$name: stdout differs"
		diff -u "$want_out" "$tmp/out" | head -n 20 | sed 's/^/# /'
	elif ! cmp -s "$tmp/err" "$want_err"; then
		not_ok "$name: stderr differs"
		diff -u "$want_err" "$tmp/err" | sed 's/^/# /'
	else
		ok "$name"
	fi
}
# expect NAME WANT_RC WANT_STDERR_LINE -- ARGS...: stdout empty.
expect() {
	local name=$1 rc=$2
	printf '%s\n' "$3" >"$tmp/want"
	shift 3
	run "$name" "$rc" "$tmp/empty" "$tmp/want" "$@"
}
newns() {	# a private network namespace, deleted at exit; name in $ns
	ns=skpb$$-${#NS[@]}
	ip netns add "$ns" || return 1
	NS+=("$ns")
	ip -n "$ns" link set lo up
}
: >"$tmp/empty"

# ---- compile: goldens and nftables' dry run ------------------------------
newns || { echo "not ok 1 - cannot create a network namespace"; exit 1; }
dry=$ns
for in in tests/policy/[0-9]*.in; do
	b=${in%.in}
	run "compile --for netvm $in" 0 "$b.netvm.ok" "$tmp/empty" -- compile --for netvm "$in"
	run "compile --for gateway $in" 0 "$b.gateway.ok" "$tmp/empty" -- compile --for gateway "$in"
	for target in netvm gateway; do
		"$bin" compile --for "$target" "$in" >/dev/null
		ip netns exec "$dry" "$bin" compile --for "$target" --check "$in" >"$tmp/out" 2>&1 &&
		    [ ! -s "$tmp/out" ] && ok "nft dry run accepts the $target ruleset of $in" ||
		    { not_ok "nft dry run of the $target ruleset of $in"; sed 's/^/# /' "$tmp/out"; }
	done
done
for mode in blocked office; do
	ip netns exec "$dry" "$bin" compile --for netvm --mode "$mode" --uplink up0 --check \
	    tests/policy/04.in >"$tmp/out" 2>&1 && ok "nft dry run accepts the netvm's $mode ruleset" ||
	    { not_ok "nft dry run of the $mode ruleset"; sed 's/^/# /' "$tmp/out"; }
done
ip netns exec "$dry" nft list ruleset >"$tmp/out"
[ ! -s "$tmp/out" ] && ok "--check changed nothing in the kernel" || not_ok "--check left rules behind"
expect "compile: office mode needs the uplink" 1 "office mode needs the office uplink's name" \
    -- compile --for netvm --mode office tests/policy/04.in
expect "compile: bad interface name" 1 "bad tunnel interface name 'a\"b'" \
    -- compile --for netvm --tun-if 'a"b' tests/policy/01.in
expect "compile: an invalid policy is refused with its error" 1 \
    "tests/policy/errors/crlf.conf:1: carriage return, expected Unix (LF) line endings" \
    -- compile --for netvm tests/policy/errors/crlf.conf
expect "compile --for gateway: two devices with one tunnel-address" 1 \
    "tests/policy/02.in: tunnel-address 10.77.0.2 is also the tunnel-address of tests/policy/01.in" \
    -- compile --for gateway tests/policy/01.in tests/policy/02.in
"$bin" compile --for bogus tests/policy/01.in >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "compile --for bogus: exit 2" || not_ok "compile --for bogus: exit $rc"
"$bin" compile --for gateway --mode office tests/policy/01.in >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "compile --for gateway --mode: exit 2" || not_ok "compile --for gateway --mode: exit $rc"
"$bin" compile --for netvm tests/policy/01.in tests/policy/02.in >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "compile --for netvm with two policies: exit 2" || not_ok "netvm, two policies: exit $rc"

# ---- the gateway ruleset with real packets -------------------------------
# dev (10.77.0.2 allowed, 10.77.0.3 in no policy) -- sekisho-gw [gw] lg0 --
# lgwan (10.64.0.10 inside the policy's prefixes, 10.66.0.10 outside).
gateway_packets() {
	local dev gw lg
	newns && dev=$ns && newns && gw=$ns && newns && lg=$ns || return 1
	ip link add sekisho-gw netns "$gw" type veth peer name eth0 netns "$dev" &&
	ip link add lg0 netns "$gw" type veth peer name eth0 netns "$lg" || return 1
	ip -n "$gw" addr add 10.77.0.1/24 dev sekisho-gw && ip -n "$gw" link set sekisho-gw up &&
	ip -n "$gw" addr add 10.255.0.1/30 dev lg0 && ip -n "$gw" link set lg0 up &&
	ip -n "$dev" addr add 10.77.0.2/24 dev eth0 && ip -n "$dev" addr add 10.77.0.3/24 dev eth0 &&
	ip -n "$dev" link set eth0 up && ip -n "$dev" route add default via 10.77.0.1 &&
	ip -n "$lg" addr add 10.255.0.2/30 dev eth0 && ip -n "$lg" addr add 10.64.0.10/32 dev eth0 &&
	ip -n "$lg" addr add 10.66.0.10/32 dev eth0 && ip -n "$lg" link set eth0 up &&
	ip -n "$lg" route add default via 10.255.0.1 &&
	ip -n "$gw" route add 10.64.0.0/16 via 10.255.0.2 && ip -n "$gw" route add 10.66.0.0/16 via 10.255.0.2 &&
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1 || return 1
	pings() { ip netns exec "$1" ping -n -q -c 1 -W 1 -I "$2" "$3" >/dev/null 2>&1; }
	# Without the ruleset the topology carries all four: what is dropped
	# below is dropped by the ruleset.
	pings "$dev" 10.77.0.2 10.64.0.10 && pings "$dev" 10.77.0.2 10.66.0.10 &&
	    pings "$dev" 10.77.0.3 10.64.0.10 && pings "$lg" 10.64.0.10 10.77.0.2 &&
	    ok "gateway: without the ruleset all four paths carry packets" ||
	    not_ok "gateway: the topology does not carry packets"
	"$bin" compile --for gateway tests/policy/01.in >"$tmp/gw.nft" &&
	    ip netns exec "$gw" nft -f "$tmp/gw.nft" || return 1
	pings "$dev" 10.77.0.2 10.64.0.10 && ok "gateway: device to its LGWAN prefix passes" ||
	    not_ok "gateway: device to its LGWAN prefix"
	! pings "$dev" 10.77.0.2 10.66.0.10 && ok "gateway: device outside its prefixes dropped" ||
	    not_ok "gateway: device outside its prefixes passed"
	! pings "$dev" 10.77.0.3 10.64.0.10 && ok "gateway: an address in no policy is dropped" ||
	    not_ok "gateway: an address in no policy passed"
	! pings "$lg" 10.64.0.10 10.77.0.2 && ok "gateway: nothing opens a connection towards a device" ||
	    not_ok "gateway: LGWAN reached a device"
}
gateway_packets || not_ok "gateway packet test: namespaces could not be set up"

# ---- keygen ----------------------------------------------------------------
key=$tmp/agency.key
(umask 000; "$bin" keygen "$key" >"$tmp/pub" 2>"$tmp/err"); rc=$?
[ "$rc" -eq 0 ] && [ "$(stat -c %a "$key")" = 600 ] && grep -qxE '[A-Za-z0-9+/]{43}=' "$tmp/pub" &&
    [ ! -s "$tmp/err" ] && ok "keygen: a 0600 key whatever the umask, its public key printed" ||
    not_ok "keygen: exit $rc, mode $(stat -c %a "$key" 2>/dev/null)"
cp "$key" "$tmp/key.before"
expect "keygen never replaces a key" 1 "$key: File exists" -- keygen "$key"
cmp -s "$key" "$tmp/key.before" && ok "keygen: the existing key is untouched" || not_ok "keygen replaced a key"
"$bin" keygen >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "keygen without KEYFILE: exit 2" || not_ok "keygen without KEYFILE: exit $rc"

# ---- sign --------------------------------------------------------------------
A=$(cat $dir/agency.pub) D=$(cat $dir/device.pub)
install -m 600 $dir/agency.key "$tmp/golden.key"
SOURCE_DATE_EPOCH=1767225600 "$bin" sign --key "$tmp/golden.key" --device "$D" \
    $dir/policy.conf "$tmp/good.bundle" 2>"$tmp/err"
cmp -s "$tmp/good.bundle" $dir/good.bundle && [ ! -s "$tmp/err" ] &&
    ok "sign reproduces the golden bundle byte for byte" || not_ok "sign: bundle differs from $dir/good.bundle"
[ "$(stat -c %a "$tmp/good.bundle")" = 644 ] && [ "$(ls "$tmp" | grep -c '\.tmp')" = 0 ] &&
    ok "sign: bundle written 0644, no temporary file left" || not_ok "sign: mode or temporary file"
python3 $dir/mkbundle.py --key "$tmp/golden.key" --device "$D" --serial 5 --issued 1767225600 \
    $dir/policy.conf "$tmp/independent.bundle" &&
    cmp -s "$tmp/independent.bundle" $dir/good.bundle &&
    ok "an independent encoder (Python + openssl) makes the same bytes" ||
    not_ok "the independent encoder disagrees with sign"
chmod 640 "$tmp/golden.key"
expect "sign refuses a key readable by the group" 1 \
    "key file $tmp/golden.key: accessible by group or others (mode 0640), must be 0600" \
    -- sign --key "$tmp/golden.key" --device "$D" $dir/policy.conf "$tmp/x.bundle"
chmod 604 "$tmp/golden.key"
expect "sign refuses a key readable by others" 1 \
    "key file $tmp/golden.key: accessible by group or others (mode 0604), must be 0600" \
    -- sign --key "$tmp/golden.key" --device "$D" $dir/policy.conf "$tmp/x.bundle"
chmod 600 "$tmp/golden.key"
expect "sign refuses an invalid policy" 1 \
    "tests/policy/errors/crlf.conf:1: carriage return, expected Unix (LF) line endings" \
    -- sign --key "$tmp/golden.key" --device "$D" tests/policy/errors/crlf.conf "$tmp/x.bundle"
[ ! -e "$tmp/x.bundle" ] && ok "sign: nothing written when refused" || not_ok "sign wrote a refused bundle"
expect "sign: --device must be a key" 2 \
    "$bin sign: --device 'laptop-0421' is not the device's WireGuard public key (44 characters of base64)" \
    -- sign --key "$tmp/golden.key" --device laptop-0421 $dir/policy.conf "$tmp/x.bundle"
"$bin" sign --device "$D" $dir/policy.conf "$tmp/x.bundle" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "sign without --key: exit 2" || not_ok "sign without --key: exit $rc"
# A key file of the wrong shape: refused without a word of its content.
printf 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYw\n' >"$tmp/short.key"; chmod 600 "$tmp/short.key"
expect "sign: a malformed key file is refused, its content never shown" 1 \
    "key file $tmp/short.key: not a base64 32-byte key" \
    -- sign --key "$tmp/short.key" --device "$D" $dir/policy.conf "$tmp/x.bundle"

# ---- verify: the goldens -------------------------------------------------------
for args in $dir/*.args; do
	b=${args%.args}
	# shellcheck disable=SC2046
	if [ -e "$b.err" ]; then
		run "verify $(basename "$b")" 1 "$tmp/empty" "$b.err" -- verify $(cat "$args")
	else
		run "verify $(basename "$b")" 0 "$b.out" "$tmp/empty" -- verify $(cat "$args")
	fi
done
"$bin" verify --pubkey "$A" --device "$D" - <$dir/good.bundle >"$tmp/out" 2>&1 &&
    grep -qx "ok serial 5 device $D" "$tmp/out" && ok "verify reads standard input" ||
    not_ok "verify -: $(cat "$tmp/out")"
"$bin" verify $dir/good.bundle >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "verify without --pubkey: exit 2" || not_ok "verify without --pubkey: exit $rc"
expect "verify: --pubkey must be a key" 2 \
    "$bin verify: --pubkey 'AAAA' is not an agency public key (44 characters of base64)" \
    -- verify --pubkey AAAA $dir/good.bundle
expect "verify: --min-serial must be a number" 2 \
    "$bin verify: --min-serial '-1' is not a number from 0 to 9223372036854775807" \
    -- verify --pubkey "$A" --min-serial -1 $dir/good.bundle

# ---- freshness statements ---------------------------------------------------------
SOURCE_DATE_EPOCH=1767229200 "$bin" fresh --key "$tmp/golden.key" $dir/good.bundle \
    "$tmp/good.fresh" 2>"$tmp/err"
cmp -s "$tmp/good.fresh" $dir/good.fresh && [ ! -s "$tmp/err" ] &&
    [ "$(stat -c %a "$tmp/good.fresh")" = 644 ] &&
    ok "fresh reproduces the golden statement byte for byte, 0644" ||
    not_ok "fresh: statement differs from $dir/good.fresh"
echo "ok fresh serial 5 time 1767229200" >"$tmp/fresh.out"
run "verify-fresh: the statement for serial 5, signed after the bundle" 0 \
    "$tmp/fresh.out" "$tmp/empty" -- verify-fresh --pubkey "$A" --device "$D" --serial 5 --after 1767225600 $dir/good.fresh
expect "verify-fresh: a replayed statement (not after the freshest time seen)" 1 \
    "$dir/good.fresh: stale: signed at 1767229200, not after 1767229200, the freshest signed time already seen; replay refused" \
    -- verify-fresh --pubkey "$A" --device "$D" --serial 5 --after 1767229200 $dir/good.fresh
expect "verify-fresh: a statement about another serial proves nothing" 1 \
    "$dir/good.fresh: about serial 5, the serial in force is 6; it proves nothing about it" \
    -- verify-fresh --pubkey "$A" --device "$D" --serial 6 $dir/good.fresh
expect "verify-fresh: another key" 1 \
    "$dir/good.fresh: wrong key: signed by $A, which is not a pinned agency key" \
    -- verify-fresh --pubkey "$(cat $dir/other.pub)" --device "$D" --serial 5 $dir/good.fresh
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[20] ^= 1; open(sys.argv[2], "wb").write(b)' \
    $dir/good.fresh "$tmp/tampered.fresh"
expect "verify-fresh: its time changed" 1 \
    "$tmp/tampered.fresh: tampered: the signature does not verify under agency key $A" \
    -- verify-fresh --pubkey "$A" --device "$D" --serial 5 "$tmp/tampered.fresh"
expect "verify-fresh: a bundle is not a statement" 1 \
    "$dir/good.bundle: freshness statement of 151 bytes, expected 150" \
    -- verify-fresh --pubkey "$A" --device "$D" --serial 5 $dir/good.bundle
expect "fresh: only with the key that signed the bundle" 1 \
    "$dir/wrong-key.bundle: signed by another key than the one given" \
    -- fresh --key "$tmp/golden.key" $dir/wrong-key.bundle "$tmp/x.fresh"

# ---- every byte tampered with ----------------------------------------------------
size=$(stat -c %s $dir/good.bundle)
mkdir "$tmp/t"
python3 - $dir/good.bundle "$tmp/t" <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
for i in range(len(b)):
    t = bytearray(b)
    t[i] ^= 1
    open(f"{sys.argv[2]}/{i}", "wb").write(t)
PY
accepted=0 multi=0
for ((i = 0; i < size; i++)); do
	if "$bin" verify --pubkey "$A" --device "$D" "$tmp/t/$i" >"$tmp/out" 2>"$tmp/err"; then
		accepted=$((accepted + 1)); echo "# byte $i accepted"
	fi
	[ "$(wc -l <"$tmp/err")" -eq 1 ] && [ ! -s "$tmp/out" ] || multi=$((multi + 1))
done
[ "$accepted" -eq 0 ] && ok "every one of the $size bytes flipped: all refused" ||
    not_ok "$accepted of $size tampered bundles accepted"
[ "$multi" -eq 0 ] && ok "every refusal is exactly one line" || not_ok "$multi refusals were not one line"

echo "1..$n"
[ "$failed" -eq 0 ]
