#!/bin/bash
# make check-xen: the partitioning on the real Xen hypervisor, under QEMU.
# Fetches Xen and the Debian kernel (apt-get download, never installed),
# builds the boot images from the project's own binaries, boots them, and
# prints dom0's TAP lines (tests/xen/scenario.sh), renumbered after its
# own. Logs: build/xen/logs (serial.log, dom0.log, netvm.log, work.log,
# xen.log, fetch.log, mkimages.log). Exit status 0 only if all passed.
set -u
cd "$(dirname "$0")/../.."
LOGS=${XEN_LOGS:-build/xen/logs}
rm -rf "$LOGS"
mkdir -p "$LOGS"
N=0 FAILED=0
ok() { N=$((N + 1)); echo "ok $N - $*"; }
not_ok() { N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - $*"; }
finish() {
	echo "1..$N"
	echo "check-xen: $(( $(date +%s) - T0 )) s in all; logs in $LOGS"
	[ "$FAILED" -eq 0 ]
	exit
}
step() {	# DESC LOG CMD...
	local d=$1 log=$2 t=$(date +%s)
	shift 2
	if "$@" >"$LOGS/$log" 2>&1; then
		ok "$d ($(( $(date +%s) - t )) s)"
	else
		not_ok "$d"
		tail -n 20 "$LOGS/$log" | sed 's/^/#   /'
		finish
	fi
}
T0=$(date +%s)
for b in sekishod sekishoctl sekisho-partition; do
	[ -x "build/$b" ] || { not_ok "build/$b missing (make tools)"; finish; }
done
step "fetch Xen 4.17 and the Debian kernel with apt-get download" fetch.log tests/xen/fetch.sh
step "build the boot images from the project's binaries" mkimages.log tests/xen/mkimages.sh
t=$(date +%s)
tests/xen/run.sh
rc=$?
echo "# QEMU ran $(( $(date +%s) - t )) s (status $rc)"
tap=$(sed -nE 's/^ *[0-9.]+ ((not )?ok) [0-9]+ - /\1 - /p' "$LOGS/dom0.log")
while IFS= read -r line; do
	case "$line" in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	esac
done <<<"$tap"
grep -E '^ *[0-9.]+ #   ' "$LOGS/dom0.log" | sed -E 's/^ *[0-9.]+ //'
grep -oE 'bench: [a-z_.]+ = [0-9]+ ms' "$LOGS/dom0.log"
if grep -qE '^ *[0-9.]+ xen-test: done' "$LOGS/dom0.log"; then
	ok "dom0 ran the whole scenario"
else
	not_ok "dom0 ran the whole scenario (QEMU status $rc; see $LOGS/dom0.log)"
	tail -n 15 "$LOGS/serial.log" | sed 's/^/#   /'
fi
finish
