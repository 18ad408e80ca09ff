#!/bin/bash
# Regenerates the golden bundles of tests/integration/06-policy-bundle.sh;
# run only when the format changes on purpose. The expected outputs, *.out
# and *.err, are not written here: they are goldens, reviewed line by line,
# and a change to them is a change of the tool's behaviour.
#
#   agency.key, other.key   TEST-ONLY agency signing keys (base64 seeds;
#                           copied to mode 0600 before use). Never trust
#                           their public keys anywhere but in tests.
#   device.pub, other-device.pub   two devices' WireGuard public keys
#   policy.conf             the policy signed (serial 5)
#   NAME.bundle             a bundle; NAME.args the arguments of `verify`
#                           for it; NAME.out or NAME.err what it prints.
set -eu
cd "$(dirname "$0")"
P=../../../${B:-build}/sekisho-policy
export SOURCE_DATE_EPOCH=1767225600	# 2026-01-01T00:00:00Z
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
install -m 600 agency.key "$tmp/agency.key"
install -m 600 other.key "$tmp/other.key"
A=$(cat agency.pub) O=$(cat other.pub) D=$(cat device.pub) D2=$(cat other-device.pub)
dir=tests/policy/bundles

"$P" sign --key "$tmp/agency.key" --device "$D" policy.conf good.bundle
"$P" sign --key "$tmp/other.key" --device "$D" policy.conf wrong-key.bundle
# flip one bit, in the policy text / strip the signature / one byte more /
# one byte less / version 3
python3 - <<'PY'
b = bytearray(open("good.bundle", "rb").read())
t = bytearray(b); t[134] ^= 0x01; open("tampered.bundle", "wb").write(t)
open("unsigned.bundle", "wb").write(b[:-64])
open("trailing.bundle", "wb").write(b + b"\n")
open("truncated.bundle", "wb").write(b[:-1])
v = bytearray(b); v[5] = 3; open("version3.bundle", "wb").write(v)
PY
# format 1, as laptops hold them from before format 2: still read
python3 mkbundle.py --key "$tmp/agency.key" --device "$D" --serial 5 --format 1 \
	--issued "$SOURCE_DATE_EPOCH" policy.conf format1.bundle
# signed by the agency key, but the header's serial is not the policy's
python3 mkbundle.py --key "$tmp/agency.key" --device "$D" --serial 6 \
	--issued "$SOURCE_DATE_EPOCH" policy.conf serial-mismatch.bundle

# the agency's freshness statement for good.bundle, an hour later
SOURCE_DATE_EPOCH=1767229200 "$P" fresh --key "$tmp/agency.key" good.bundle good.fresh

args() { echo "$2" >"$1.args"; }
args good		"--pubkey $A --device $D $dir/good.bundle"
args good-rotation	"--pubkey $O --pubkey $A --device $D $dir/good.bundle"
args good-any-device	"--pubkey $A $dir/good.bundle"
args good-min-serial	"--pubkey $A --device $D --min-serial 5 $dir/good.bundle"
args tampered		"--pubkey $A --device $D $dir/tampered.bundle"
args wrong-key		"--pubkey $A --device $D $dir/wrong-key.bundle"
args unsigned		"--pubkey $A --device $D $dir/unsigned.bundle"
args plain-policy	"--pubkey $A --device $D $dir/policy.conf"
args wrong-device	"--pubkey $A --device $D2 $dir/good.bundle"
args older-serial	"--pubkey $A --device $D --min-serial 6 $dir/good.bundle"
args trailing		"--pubkey $A --device $D $dir/trailing.bundle"
args truncated		"--pubkey $A --device $D $dir/truncated.bundle"
args version3		"--pubkey $A --device $D $dir/version3.bundle"
args format1		"--pubkey $A --device $D $dir/format1.bundle"
args serial-mismatch	"--pubkey $A --device $D $dir/serial-mismatch.bundle"
