#!/bin/bash
# sekisho-policy over the golden files (OpenBSD regress style):
#   tests/policy/NN.in          must pass `check` silently and `print` as NN.ok,
#                               and NN.ok must print as itself;
#   tests/policy/errors/X.conf  must fail `check` and `print` with exit 1 and
#                               exactly X.err (one line) on stderr.
# Files too big to keep in the tree (too many prefixes, over 4 MiB) are made
# here. Exit status: 0 valid, 1 invalid, 2 usage. One TAP line per check.
set -u
cd "$(dirname "$0")/../.."
bin=${B:-build}/sekisho-policy
n=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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
		diff -u "$want_out" "$tmp/out" | sed 's/^/# /'
	elif ! cmp -s "$tmp/err" "$want_err"; then
		not_ok "$name: stderr differs"
		diff -u "$want_err" "$tmp/err" | sed 's/^/# /'
	else
		ok "$name"
	fi
}

: >"$tmp/empty"
for in in tests/policy/*.in; do
	want=${in%.in}.ok
	run "check $in" 0 "$tmp/empty" "$tmp/empty" -- check "$in"
	run "print $in" 0 "$want" "$tmp/empty" -- print "$in"
	run "print $want is a fixed point" 0 "$want" "$tmp/empty" -- print "$want"
done

for conf in tests/policy/errors/*.conf; do
	want=${conf%.conf}.err
	run "check $conf" 1 "$tmp/empty" "$want" -- check "$conf"
	run "print $conf" 1 "$tmp/empty" "$want" -- print "$conf"
done

# Generated: 65,537 prefixes (the 65,537th on line 65,549), then 4 MiB + 1.
{
	echo "version 1"; echo "serial 1"
	echo "device {"; echo "	tunnel-address 10.77.0.2/32"; echo "	key-file /k"; echo "}"
	echo "gateway gw {"; echo "	endpoint 192.0.2.10:51820"
	echo "	public-key xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="; echo "}"
	echo "lgwan {"; echo "	resolver 11.0.0.53"
	awk 'BEGIN { for (i = 0; i <= 65536; i++)
		printf "\tprefix %d.%d.%d.0/24\n", 10 + int(i / 65536), int(i / 256) % 256, i % 256 }'
	echo "}"
	echo "work {"; echo "	address 172.30.0.2/30"; echo "	router 172.30.0.1"; echo "}"
} >"$tmp/too-many-prefixes.conf"
echo "$tmp/too-many-prefixes.conf:65549: too many prefixes, at most 65536" >"$tmp/want"
run "check: too many prefixes" 1 "$tmp/empty" "$tmp/want" -- check "$tmp/too-many-prefixes.conf"
# One prefix fewer (drop the 10.0.0.0/24 line) is exactly the limit: valid.
grep -v '	prefix 10\.0\.0\.0/24$' "$tmp/too-many-prefixes.conf" >"$tmp/max-prefixes.conf"
run "check: exactly 65536 prefixes" 0 "$tmp/empty" "$tmp/empty" -- check "$tmp/max-prefixes.conf"

{ cat tests/policy/01.in; head -c $((4 * 1024 * 1024 - $(wc -c <tests/policy/01.in))) /dev/zero | tr '\0' '\n'; } \
    >"$tmp/max-size.conf"
run "check: exactly 4 MiB" 0 "$tmp/empty" "$tmp/empty" -- check "$tmp/max-size.conf"
{ cat "$tmp/max-size.conf"; echo; } >"$tmp/too-large.conf"
echo "$tmp/too-large.conf: file too large, at most 4194304 bytes" >"$tmp/want"
run "check: file too large" 1 "$tmp/empty" "$tmp/want" -- check "$tmp/too-large.conf"

echo "$tmp/none.conf: No such file or directory" >"$tmp/want"
run "check: missing file" 1 "$tmp/empty" "$tmp/want" -- check "$tmp/none.conf"

# Usage errors exit 2 and name the usage; help exits 0.
"$bin" >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "no subcommand: exit 2" || not_ok "no subcommand: exit $rc, expected 2"
"$bin" frobnicate x >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "^Invalid subcommand: 'frobnicate'" "$tmp/err" &&
    ok "unknown subcommand: exit 2" || not_ok "unknown subcommand: exit $rc"
"$bin" check >/dev/null 2>"$tmp/err"; rc=$?
[ "$rc" -eq 2 ] && grep -q "^Usage: .* check FILE" "$tmp/err" &&
    ok "check without FILE: exit 2" || not_ok "check without FILE: exit $rc"
"$bin" print a b >/dev/null 2>&1; rc=$?
[ "$rc" -eq 2 ] && ok "print with two files: exit 2" || not_ok "print with two files: exit $rc"
"$bin" --help >"$tmp/out" 2>&1; rc=$?
[ "$rc" -eq 0 ] && grep -q '^  check FILE' "$tmp/out" && grep -q '^  print FILE' "$tmp/out" &&
    ok "--help lists the subcommands" || not_ok "--help: exit $rc"

echo "1..$n"
[ "$failed" -eq 0 ]
