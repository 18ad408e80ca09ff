#!/bin/bash
# OpenSSL's libcrypto for the Windows agent (make win): Debian ships no
# mingw-w64 build of it, so the agent's cross build compiles Debian's own
# OpenSSL source (apt-get source, with a private source list so the
# machine's apt configuration is left alone) with the cross compiler:
# static, no assembler, no engines or modules, only libcrypto.
#
#   win-openssl.sh OUTDIR     -> OUTDIR/libcrypto.a, OUTDIR/include/openssl/
set -eu
out=$1
cross=${WIN_CROSS:-x86_64-w64-mingw32-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$out"
# The suite the machine's own sources name (bookworm on Debian 12).
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
echo "deb-src http://deb.debian.org/debian $suite main" > "$work/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$work/lists" -o Debug::NoLocking=1)
apt-get "${apt_opts[@]}" -qq update
(cd "$work" && apt-get "${apt_opts[@]}" -qq source --download-only openssl) || true
tarball=$(ls "$work"/openssl_*.orig.tar.gz | head -1)
[ -n "$tarball" ] || { echo "win-openssl.sh: no openssl source from apt-get source" >&2; exit 1; }
tar -C "$work" -xzf "$tarball"
src=$(ls -d "$work"/openssl-*/ | head -1)
(cd "$src" && ./Configure mingw64 no-shared no-tests no-engine no-module no-dso \
	no-asm no-ui-console "--cross-compile-prefix=$cross" >/dev/null &&
	make -j"${JOBS:-2}" build_generated >/dev/null &&
	make -j"${JOBS:-2}" libcrypto.a >/dev/null)
rm -rf "$out/include"
cp "$src/libcrypto.a" "$out/"
cp -r "$src/include" "$out/include"
echo "win-openssl.sh: $out/libcrypto.a from $(basename "$tarball")"
