#!/bin/bash
# Builds the Xen test's boot images from the project's own binaries and
# what tests/xen/fetch.sh unpacked, into $XEN_IMG (build/xen/img):
#   xen.gz -> xen          the hypervisor (multiboot, QEMU -kernel)
#   vmlinuz                the Debian kernel, for dom0 and both guests
#   base.cpio.gz           busybox, the C library, kernel modules, kmod,
#                          iproute2, the xenstore tools, sekishod,
#                          sekishoctl, sekisho-dhcpd, sekisho-dnscheck, wg, nft,
#                          tests/xen/init
#   work.img               base only: the work domain gets no secret
#   netvm.img              base + the policy, the device key (0600) and
#                          the product's sysctl.d file
#   dom0.img               base + the Xen toolstack, sekisho-partition,
#                          the agency's gateway key, the domains files,
#                          and the guests' kernel and images
# Keys are new on every build (wg genkey, never on a command line).
# dom0.img is two gzipped archives, the first padded to 512 bytes (the
# kernel reads them one after another). The guests' images are one gzip
# stream each, unpadded: libxenguest unpacks a gzipped ramdisk in dom0 and
# takes its size from the last four bytes, so anything appended makes it
# fail ("xc_dom_do_gunzip: inflate failed") and fall back to the raw file.
set -euo pipefail
cd "$(dirname "$0")/../.."
HERE=tests/xen
CACHE=${XEN_CACHE:-build/xen/cache}
OUT=${XEN_IMG:-build/xen/img}
B=${B:-build}
KPKG=$(cat "$CACHE/kernel-package")
KROOT=$(cd "$CACHE/root/$KPKG" && pwd)
KVER=${KPKG#linux-image-}
XROOT=$CACHE/root/xen-utils-4.17
SROOT=$CACHE/root/xenstore-utils
t0=$(date +%s)

rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORKDIR=$OUT/stage
mkdir -p "$WORKDIR"

# usr-merged destination of a path: /bin/x -> /usr/bin/x, /lib/x -> /usr/lib/x
dest() {
	case "$1" in
	/bin/* | /sbin/* | /lib/* | /lib64/*) echo "/usr$1" ;;
	*) echo "$1" ;;
	esac
}

# put STAGE SRC [DST]: a file (symlinks followed), mode kept.
put() {
	local d=${3:-$(dest "$2")}
	mkdir -p "$1$(dirname "$d")"
	cp -L --preserve=mode "$2" "$1$d"
}

# bin STAGE BINARY [DST]: a program and every library it loads.
bin() {
	local lib
	put "$1" "$2" "${3:-}"
	ldd "$2" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[ -e "$1$(dest "$lib")" ] || put "$1" "$lib"
	done
}

# pack STAGE OUT: a newc archive, gzip -1.
pack() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
		gzip -1 >"$2"
}
pad() { truncate -s $(( ($(stat -c %s "$1") + 511) / 512 * 512 )) "$1"; }

# ---- the hypervisor and the kernel ------------------------------------------------
gunzip -c "$CACHE/root/xen-hypervisor-4.17-amd64/boot/xen-4.17-amd64.gz" >"$OUT/xen"
cp "$KROOT/boot/vmlinuz-$KVER" "$OUT/vmlinuz"

# ---- base -----------------------------------------------------------------------
S=$WORKDIR/base
mkdir -p "$S"/usr/{bin,sbin,lib,lib64} "$S"/{proc,sys,dev,tmp,run,root,etc,bb,var/log,var/lib}
ln -s usr/bin "$S/bin"; ln -s usr/sbin "$S/sbin"; ln -s usr/lib "$S/lib"; ln -s usr/lib64 "$S/lib64"
ln -s ../run "$S/var/run"
bin "$S" /bin/busybox /usr/bin/busybox
ln -s busybox "$S/usr/bin/sh"
for a in $(busybox --list); do ln -s /usr/bin/busybox "$S/bb/$a"; done
bin "$S" /usr/bin/kmod
for a in modprobe insmod rmmod lsmod depmod; do ln -s ../bin/kmod "$S/usr/sbin/$a"; done
for b in /usr/sbin/ip /usr/sbin/nft /usr/bin/wg; do bin "$S" "$b"; done
for b in xenstore-read xenstore-write xenstore-rm xenstore-ls xenstore-list \
	xenstore-exists xenstore-watch xenstore-chmod; do
	bin "$S" "$SROOT/usr/bin/$b" "/usr/bin/$b"
done
bin "$S" "$B/sekishod" /usr/sbin/sekishod
bin "$S" "$B/sekishoctl" /usr/sbin/sekishoctl
# The work link's DHCP server, beside sekishod, which starts it.
bin "$S" "$B/sekisho-dhcpd" /usr/sbin/sekisho-dhcpd
# The resolver checker, beside sekishod, which starts it with two resolvers
# or more (docs/policy.md, "DNS failover").
bin "$S" "$B/sekisho-dnscheck" /usr/sbin/sekisho-dnscheck
# The beacon answers' signature checker, beside sekishod, which starts it
# once: sekishod links no libcrypto (docs/beacon.md).
bin "$S" "$B/sekisho-beacon-verify" /usr/sbin/sekisho-beacon-verify
# The sandboxed programs' own users (tests/sandbox-users.sh, lib/sandbox.h).
{
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n'
	i=900
	for u in _sekisho-probe _sekisho-fetch _sekisho-verify _sekisho-dhcp _sekisho-wg _sekisho-dns _sekisho-bverify _sekisho-ctl _sekisho-eng; do
		printf '%s:x:%d:%d::/nonexistent:/bin/false\n' "$u" "$i" "$i"; i=$((i + 1))
	done
} >"$S/etc/passwd"
{
	printf 'root:x:0:\nnogroup:x:65534:\n'
	i=900
	for u in _sekisho-probe _sekisho-fetch _sekisho-verify _sekisho-dhcp _sekisho-wg _sekisho-dns _sekisho-bverify _sekisho-ctl _sekisho-eng; do
		printf '%s:x:%d:\n' "$u" "$i"; i=$((i + 1))
	done
} >"$S/etc/group"
: >"$S/etc/resolv.conf"
install -m 0755 "$HERE/init" "$S/init"
mkdir -p "$S/etc/sekisho-test"
for f in lib.sh dom0.sh scenario.sh netvm.sh work.sh probe.sh vif-netvm \
	vif-uplink udhcpc.script; do
	install -m 0755 "$HERE/$f" "$S/etc/sekisho-test/$f"
done
# Kernel modules: the Xen drivers, the bridge, WireGuard, all of netfilter,
# and what they need (kmod's modprobe honours softdeps; busybox's does not).
M=$KROOT/lib/modules/$KVER
[ -e "$M/modules.dep" ] || depmod -b "$KROOT" "$KVER"	# the .deb ships none
mods="xenfs xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xen-netback xen-netfront bridge wireguard crc32c_generic"
for f in "$M"/kernel/net/netfilter/*.ko "$M"/kernel/net/ipv4/netfilter/*.ko "$M"/kernel/net/ipv6/netfilter/*.ko; do
	mods="$mods $(basename "$f" .ko)"
done
for m in $mods; do modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" 2>/dev/null || :; done |
	awk '$1 == "insmod" { print $2 }' | sort -u | while read -r f; do
	rel=${f#$KROOT}
	mkdir -p "$S/usr$(dirname "$rel")"
	cp "$f" "$S/usr$rel"
done
cp "$M"/modules.{order,builtin,builtin.modinfo} "$S/usr/lib/modules/$KVER/"
depmod -b "$S/usr" "$KVER"
pack "$S" "$OUT/base.cpio.gz"

# ---- secrets and the policy -------------------------------------------------------
K=$WORKDIR/keys
mkdir -p "$K"
(umask 077; wg genkey >"$K/device.key"; wg genkey >"$K/gateway.key")
wg pubkey <"$K/device.key" >"$K/device.pub"
wg pubkey <"$K/gateway.key" >"$K/gateway.pub"

# ---- netvm overlay ----------------------------------------------------------------
N=$WORKDIR/netvm
cp -a "$S" "$N"
mkdir -p "$N/etc/sekisho" "$N/usr/lib/sysctl.d"
install -m 0600 "$K/device.key" "$N/etc/sekisho/device.key"
# The product's kernel settings, where a netvm's package puts them
# (netvm.sh applies them as systemd-sysctl would).
install -m 0644 netvm/sekishod/sysctl.d/60-sekishod.conf "$N/usr/lib/sysctl.d/60-sekishod.conf"
cat >"$N/etc/sekisho/policy.conf" <<EOT
# Sekisho device policy for the Xen test (written by tests/xen/mkimages.sh)
version 1
serial 1
device {
	tunnel-address 10.77.0.2/32
	key-file "/etc/sekisho/device.key"
}
gateway "agency-gw" {
	endpoint 192.0.2.10:51820
	public-key "$(cat "$K/gateway.pub")"
}
lgwan {
	prefix 10.64.0.0/16
	prefix 10.65.0.0/16
	prefix 172.20.0.0/16
	resolver 10.64.0.53
}
work {
	address 172.30.0.2/30
	router 172.30.0.1
}
EOT
pack "$N" "$OUT/netvm.img"
cp "$OUT/base.cpio.gz" "$OUT/work.img"

# ---- dom0 overlay -------------------------------------------------------------------
D=$WORKDIR/dom0
X=/usr/lib/xen-4.17/bin
mkdir -p "$D/guest" "$D/etc/sekisho" "$D/etc/xen" "$D/var/lib/xen" "$D/var/lib/xenstored" "$D/var/log/xen"
for b in xl xenstored xenconsoled xen-init-dom0 libxl-save-helper xenstore-control; do
	bin "$D" "$XROOT$X/$b" "$X/$b"
done
# libxl loads libgcc_s when a thread exits (pthread_cancel/unwind).
put "$D" /usr/lib/x86_64-linux-gnu/libgcc_s.so.1
bin "$D" "$B/sekisho-partition" /usr/sbin/sekisho-partition
: >"$D/etc/xen/xl.conf"	# xl (used only to look) wants one
install -m 0600 "$K/gateway.key" "$D/etc/sekisho/gateway.key"
cp "$K/device.pub" "$D/etc/sekisho/device.pub"
cp "$OUT/vmlinuz" "$D/guest/vmlinuz"
cp "$OUT/netvm.img" "$OUT/work.img" "$D/guest/"
install -m 0644 "$HERE/domains.conf" "$D/etc/sekisho/domains.conf"
sed 's/^netvm cmdline .*/& sekisho.test=noarm/' "$HERE/domains.conf" >"$D/etc/sekisho/domains-noarm.conf"
pack "$D" "$OUT/dom0.overlay"
cp "$OUT/base.cpio.gz" "$OUT/dom0.img"
pad "$OUT/dom0.img"
cat "$OUT/dom0.overlay" >>"$OUT/dom0.img"

rm -rf "$WORKDIR"
ls -l "$OUT" | awk 'NR > 1 { printf "mkimages: %-16s %6d KiB\n", $9, $5 / 1024 }'
echo "mkimages: done in $(( $(date +%s) - t0 )) s"
