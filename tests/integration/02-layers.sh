#!/bin/bash
# The layer check (tests/layers/check.sh, docs/architecture.md "Layers")
# on this tree, and on copies of it with one planted crossing each, which
# it must report with the exact line: a check that cannot fail is none.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
ROOT=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check "this tree: every include points down, no cycle, one folder per program" \
	bash tests/layers/check.sh

# A scratch copy of the tracked sources and module.mk files, as a git tree.
scratch() {
	rm -rf "$tmp/t" && mkdir -p "$tmp/t" &&
	git ls-files -z -- '*.c' '*.h' '*/module.mk' Makefile |
	    (cd "$ROOT" && xargs -0 cp --parents -t "$tmp/t") &&
	git -C "$tmp/t" init -q && git -C "$tmp/t" add -A
}
# planted FILE INCLUDE WANT: FILE gains #include "INCLUDE"; the check must
# fail and print WANT.
planted() {
	local file=$1 inc=$2 want=$3 out
	scratch || return 1
	sed -i "0,/^#include/s||#include \"$inc\"\n#include|" "$tmp/t/$file"
	git -C "$tmp/t" add -A
	if out=$(ROOT=$tmp/t bash tests/layers/check.sh 2>&1); then
		echo "the check passed with $file including $inc"
		return 1
	fi
	grep -qF -- "$want" <<<"$out" || { echo "missing: $want"; echo "$out"; return 1; }
}
line_of() { grep -n "^#include \"$2\"" "$tmp/t/$1" | head -1 | cut -d: -f1; }

check "planted: lib/ including policy/ is refused" \
	planted lib/util.c policy/policy.h \
	'lib/util.c:1: includes "policy/policy.h": lib may not include policy'
check "planted: a wire format including a program is refused" \
	planted lib/proto/dist_wire.c netvm/sekishod/engine.h \
	'lib/proto/dist_wire.c:1: includes "netvm/sekishod/engine.h": proto may not include netvm/sekishod'
check "planted: the renderer including the daemon is refused" \
	planted policy/render/fw_render.c netvm/sekishod/route.h \
	'policy/render/fw_render.c:1: includes "netvm/sekishod/route.h": render may not include netvm/sekishod'
check "planted: one program including another's folder is refused" \
	planted agency/sekisho-beacon/ratelimit.c netvm/sekishod/engine.h \
	'agency/sekisho-beacon/ratelimit.c:1: includes "netvm/sekishod/engine.h": agency/sekisho-beacon may not include netvm/sekishod'
check "planted: lib/ including the registry is refused" \
	planted lib/util.c registry/registry.h \
	'lib/util.c:1: includes "registry/registry.h": lib may not include registry'
check "planted: the registry including a program is refused" \
	planted registry/ops.c provisioning/sekisho-provision/prov.h \
	'registry/ops.c:1: includes "provisioning/sekisho-provision/prov.h": registry may not include provisioning/sekisho-provision'
check "planted: the registry including policy/ is refused" \
	planted registry/ops.c policy/bundle.h \
	'registry/ops.c:1: includes "policy/bundle.h": registry may not include policy'
check "planted: a folder cycle is named" \
	planted policy/parse.c policy/render/mode.h \
	'include cycle between folders'

tap_done
