#!/bin/bash
# The partitioning on the real Xen hypervisor, booted under QEMU: what
# `make check-xen` runs (tests/xen/check.sh, docs/xen.md), run by
# `make check` when the machine can: an x86-64 host with QEMU (make deps
# installs qemu-system-x86) and 3 GiB of memory free for it. No KVM
# needed: QEMU emulates the CPU (TCG). XEN_CHECK=0 leaves it out.
set -u
cd "$(dirname "$0")/../.."
skip() { echo "ok 1 - Xen under QEMU # SKIP $*"; echo "1..1"; exit 0; }
[ "${XEN_CHECK:-1}" = 0 ] && skip "XEN_CHECK=0"
[ "$(uname -m)" = x86_64 ] || skip "not an x86-64 machine"
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64 (make deps installs it)"
avail=$(awk '/^MemAvailable:/ { print int($2 / 1024) }' /proc/meminfo)
[ "${avail:-0}" -ge 3072 ] || skip "only ${avail} MiB of memory available, QEMU needs 3072"
exec tests/xen/check.sh
