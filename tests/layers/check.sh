#!/bin/bash
# The layer check (docs/architecture.md, "Layers"): every #include "…" of
# the project's own C points down or within its folder, never up or across.
#
#   lib/          only lib/ (lib/proto/ only lib/ as well: pure codecs)
#   vpn/          lib/, vpn/
#   policy/       lib/, policy/ (policy/render/ included)
#   registry/     lib/ (the registry: beside policy/ and vpn/, for the
#                 programs that share it; not in libsekisho.a)
#   a program     lib/, vpn/, policy/ and its own folder, nothing of
#                 another program: a program folder is one that holds a
#                 module.mk naming PROGS (netvm/sekishod/, agency/…/, …)
#   tests/        anything
#
# Prints one TAP line per rule and one "not ok" line per offending include
# (file:line: what). Also: no folder cycle, and each program folder is
# named after the binary its module.mk builds. ROOT= checks another tree.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT"
n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $*"; }

# Program folders: those with a module.mk that adds to PROGS.
progs=()
for mk in */*/module.mk; do
	grep -qE '^PROGS[[:space:]]*\+=' "$mk" && progs+=("$(dirname "$mk")")
done

layer_of() {	# path -> layer name (lib, proto, vpn, policy, render, prog:DIR, tests, other)
	local f=$1 p
	case $f in
	tests/*) echo tests; return ;;
	lib/proto/*) echo proto; return ;;
	lib/*) echo lib; return ;;
	vpn/*) echo vpn; return ;;
	registry/*) echo registry; return ;;
	policy/render/*) echo render; return ;;
	esac
	for p in "${progs[@]}"; do
		case $f in "$p"/*) echo "prog:$p"; return ;; esac
	done
	case $f in policy/*) echo policy; return ;; esac
	echo other
}

allowed() {	# from-layer to-layer -> 0 if the include may point there
	local from=$1 to=$2
	[ "$from" = "$to" ] && return 0
	case $from in
	tests) return 0 ;;
	lib) [ "$to" = lib ] ;;
	proto) [ "$to" = lib ] ;;
	vpn) [ "$to" = lib ] ;;
	registry) case $to in lib|proto) return 0 ;; esac; return 1 ;;
	policy) case $to in lib|proto|render) return 0 ;; esac; return 1 ;;
	render) case $to in lib|proto|policy) return 0 ;; esac; return 1 ;;
	prog:*) case $to in lib|proto|vpn|policy|render|registry) return 0 ;; esac; return 1 ;;
	*) return 1 ;;
	esac
}

violations=0
declare -A edges=()
while IFS= read -r line; do
	file=${line%%:*}; rest=${line#*:}; lno=${rest%%:*}
	inc=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' <<<"${rest#*:}")
	[ -n "$inc" ] || continue
	case $inc in */*) ;; *) continue ;; esac	# same-folder or system-style
	from=$(layer_of "$file"); to=$(layer_of "$inc")
	[ "$from" != "$to" ] && edges["$from $to"]=1
	if ! allowed "$from" "$to"; then
		nok "$file:$lno: includes \"$inc\": ${from#prog:} may not include ${to#prog:}"
		violations=$((violations + 1))
	fi
done < <(git ls-files -- '*.c' '*.h' | xargs grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' /dev/null)
[ "$violations" -eq 0 ] && ok "every include points down or within its folder (${#progs[@]} program folders)"

# lib/ must not include lib/proto's users, and lib/ itself nothing above:
# covered above. Folder cycles: a depth-first search over the edges seen.
declare -A adj=()
for e in "${!edges[@]}"; do
	set -- $e
	[ "$1" = tests ] && continue
	adj[$1]="${adj[$1]:-} $2"
done
declare -A colour=()
cycle=""
dfs() {
	local u=$1 v
	colour[$u]=grey
	for v in ${adj[$u]:-}; do
		case ${colour[$v]:-white} in
		grey) cycle="$u -> $v"; return 1 ;;
		white) dfs "$v" || return 1 ;;
		esac
	done
	colour[$u]=black
	return 0
}
cyc=0
for u in "${!adj[@]}"; do
	[ "${colour[$u]:-white}" = white ] || continue
	dfs "$u" || { cyc=1; break; }
done
if [ "$cyc" -eq 0 ]; then ok "no include cycle between folders"
else nok "include cycle between folders: $cycle"; fi

# One folder per program, named after its binary.
misnamed=0
for p in "${progs[@]}"; do
	for name in $(sed -n 's/^PROGS[[:space:]]*+=[[:space:]]*//p' "$p/module.mk"); do
		if [ "$name" != "$(basename "$p")" ]; then
			nok "$p/module.mk: builds $name; a program's folder is named after its binary"
			misnamed=$((misnamed + 1))
		fi
	done
done
[ "$misnamed" -eq 0 ] && ok "each program folder builds the one binary it is named after"

# No program's sources lie outside its folder (the layers' .c files come
# through libsekisho.a, tests/ through their own rules; registry/'s are
# listed by the programs that use the registry, REGISTRY_SRCS).
outside=0
for p in "${progs[@]}"; do
	name=$(basename "$p")
	for src in $(make -s --no-print-directory -C "$ROOT" print-srcs PROG="$name" 2>/dev/null); do
		case $src in "$p"/*|registry/*) ;; *)
			nok "$p: $name is built from $src, outside its folder"
			outside=$((outside + 1)) ;;
		esac
	done
done
[ "$outside" -eq 0 ] && ok "every program is built from its own folder and the layers' library"

echo "1..$n"
[ "$bad" -eq 0 ]
