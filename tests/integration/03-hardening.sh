#!/bin/bash
# Every program is built hardened (Makefile: HARDEN, LDHARDEN): checked on
# the binaries themselves with readelf, one line per binary and property.
#   PIE          ELF type DYN with the PIE flag
#   full RELRO   a GNU_RELRO segment and BIND_NOW (-z relro -z now)
#   NX stack     GNU_STACK without execute permission
#   canary       __stack_chk_fail imported (-fstack-protector-strong)
#   fortify      some __*_chk function imported (_FORTIFY_SOURCE)
# and no program links libpq: registry/pqload.c loads it at the first
# PostgreSQL URL (its 27 libraries would cost every start ~3 ms).
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
B=${B:-build}

pie() { readelf -h "$1" | grep -q 'Type:.*DYN' && readelf -d "$1" | grep -q 'FLAGS_1.*PIE'; }
relro() { readelf -lW "$1" | grep -q GNU_RELRO && readelf -d "$1" | grep -qE 'BIND_NOW|FLAGS_1.*NOW'; }
nx() { readelf -lW "$1" | grep GNU_STACK | grep -qv 'RWE'; }
canary() { nm -D "$1" | grep -q ' U __stack_chk_fail'; }
fortify() { nm -D "$1" | grep -qE ' U __[a-z_]+_chk(@|$)'; }

progs=$(make -s --no-print-directory print-progs)
[ -n "$progs" ] || { tap_not_ok "make print-progs named no program"; tap_done; exit; }
for p in $progs; do
	bin=$B/$p
	if [ ! -x "$bin" ]; then tap_not_ok "$p: $bin not built"; continue; fi
	for prop in pie relro nx canary fortify; do
		if $prop "$bin"; then tap_ok "$p: $prop"
		else tap_not_ok "$p: $prop missing (readelf/nm on $bin)"; fi
	done
done
linked=""
for p in $progs; do
	[ -x "$B/$p" ] && readelf -d "$B/$p" | grep -q 'NEEDED.*\[libpq\.so' && linked="$linked $p"
done
if [ -z "$linked" ]; then tap_ok "no program links libpq (loaded at the first PostgreSQL URL)"
else tap_not_ok "libpq linked by:$linked (registry/pqload.h: load it instead)"; fi
tap_done
