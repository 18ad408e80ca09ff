#!/bin/bash
# Boots Xen 4.17 under QEMU (TCG: no KVM needed; -cpu max wants Xen's
# smap=0; every kernel boots with noxsave, see docs/xen.md, "processes
# crash")
# with the images of tests/xen/mkimages.sh, and keeps the serial
# console with the host's seconds since start on every line:
#   $XEN_LOGS/serial.log   all of it
#   $XEN_LOGS/xen.log      the hypervisor's lines
#   $XEN_LOGS/netvm.log    the netvm's console (dom0 copies it, [netvm])
#   $XEN_LOGS/work.log     the work domain's console ([work])
#   $XEN_LOGS/dom0.log     the rest: dom0's kernel and the test
# Stops QEMU after $XEN_TIMEOUT seconds (default 900) at the latest.
set -u
cd "$(dirname "$0")/../.."
IMG=${XEN_IMG:-build/xen/img}
LOGS=${XEN_LOGS:-build/xen/logs}
mkdir -p "$LOGS"

stamp() {	# host seconds since start before each line, \r removed
	local t0=${EPOCHREALTIME/./} line now d
	while IFS= read -r line; do
		now=${EPOCHREALTIME/./}
		d=$(( (now - t0) / 10000 ))
		printf '%4d.%02d %s\n' $((d / 100)) $((d % 100)) "${line%$'\r'}"
	done
}

timeout -k 10 "${XEN_TIMEOUT:-900}" qemu-system-x86_64 \
	-machine pc,accel=tcg -cpu max -m 2560 -smp 2 \
	-display none -vga none -nic none -monitor none -serial stdio -no-reboot \
	-kernel "$IMG/xen" \
	-append "console=com1 com1=115200,8n1 dom0_mem=768M,max:768M dom0_max_vcpus=2 smap=0 loglvl=all guest_loglvl=all" \
	-initrd "$IMG/vmlinuz console=hvc0 earlyprintk=xen noxsave,$IMG/dom0.img" \
	</dev/null 2>&1 | stamp >"$LOGS/serial.log"
rc=${PIPESTATUS[0]}

cut_role() {	# NAME: its lines, prefix removed
	sed -n "s/^\( *[0-9.]* \)\[$1\] /\1/p" "$LOGS/serial.log" >"$LOGS/$1.log"
}
cut_role netvm
cut_role work
grep -E '^ *[0-9.]+ \(XEN\)' "$LOGS/serial.log" >"$LOGS/xen.log"
grep -vE '^ *[0-9.]+ (\(XEN\)|\[netvm\] |\[work\] )' "$LOGS/serial.log" >"$LOGS/dom0.log"
exit "$rc"
