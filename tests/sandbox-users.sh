#!/bin/sh
# The system users of the sandboxed programs (lib/sandbox.h), one each,
# created when missing: no home, no shell, a group of their own. A package
# would ship the same list as a sysusers.d file; make deps and the tests
# that start these programs run this.
set -e
[ "$(id -u)" = 0 ] || { echo "sandbox-users: must run as root (useradd)"; exit 1; }
for u in _sekisho-probe _sekisho-fetch _sekisho-verify _sekisho-dhcp _sekisho-wg \
	_sekisho-beacon _sekisho-bundle _sekisho-dns _sekisho-bverify _sekisho-ctl _sekisho-eng \
	_sekisho-authd _sekisho-signon _sekisho-gw; do
	getent passwd "$u" >/dev/null && continue
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$u"
	echo "sandbox-users: created $u"
done
