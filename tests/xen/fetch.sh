#!/bin/bash
# Fetches what the Xen test boots, with apt-get download (never installed,
# the host's boot is never touched) into $XEN_CACHE, and unpacks each
# package with dpkg-deb -x into $XEN_CACHE/root/PACKAGE:
#   xen-hypervisor-4.17-amd64  the hypervisor (the version of libxen-dev)
#   xen-utils-4.17             xl, xenstored, xenconsoled, xen-init-dom0
#   xenstore-utils             xenstore-read/-write/-watch for the guests
#   linux-image-6.1.0-N-amd64  the kernel linux-image-amd64 points at
# Prints "fetch: NAME VERSION" per package and the seconds it took.
set -euo pipefail
CACHE=${XEN_CACHE:-build/xen/cache}
mkdir -p "$CACHE/debs" "$CACHE/root"
CACHE=$(cd "$CACHE" && pwd)
t0=$(date +%s)

xen_ver=$(dpkg-query -W -f='${Version}' libxen-dev 2>/dev/null) ||
	{ echo "fetch: libxen-dev is not installed (make deps)" >&2; exit 1; }
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ]; then	# no package lists yet on this machine
	apt-get update -qq >/dev/null 2>&1 || true
	kpkg=$(kernel_pkg)
fi
[ -n "$kpkg" ] || { echo "fetch: cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 1; }

# NAME VERSION: the .deb into debs/ (once), unpacked into root/NAME (once).
one() {
	local name=$1 ver=$2 deb
	deb=$(ls "$CACHE/debs/${name}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		(cd "$CACHE/debs" && apt-get download -q "$name${ver:+=$ver}" >/dev/null 2>&1) ||
			{ echo "fetch: apt-get download $name failed" >&2; return 1; }
		deb=$(ls "$CACHE/debs/${name}_"*.deb | head -n 1)
	fi
	if [ ! -e "$CACHE/root/$name/.unpacked" ]; then
		rm -rf "$CACHE/root/$name"
		dpkg-deb -x "$deb" "$CACHE/root/$name"
		: >"$CACHE/root/$name/.unpacked"
	fi
	echo "fetch: $name $(dpkg-deb -f "$deb" Version)"
}

one xen-hypervisor-4.17-amd64 "$xen_ver"
one xen-utils-4.17 "$xen_ver"
one xenstore-utils "$xen_ver"
one "$kpkg" ""
echo "$kpkg" >"$CACHE/kernel-package"
echo "fetch: done in $(( $(date +%s) - t0 )) s"
