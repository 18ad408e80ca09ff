#!/bin/bash
# The benches' hygiene (issue 11, item 4), checked without running a
# bench (make bench is not part of make check, so what it promises is
# held here):
#  - a figure with no samples prints "bench: NAME = - UNIT", says why on
#    stderr, and fails its bench; tests/bench/run.sh (what make bench
#    runs) then exits non-zero and names the bench; with every figure
#    measured it exits 0. Shown on run.sh itself, in a scratch tree of
#    stand-in benches under its own list of names;
#  - every bench script ends with its status (bench_done or an exit of
#    its failures), and each is run by make bench (in run.sh's list, or
#    by a bench in it);
#  - no bench ends processes by name (pkill, killall, kill -- -1, kill 0):
#    they end only the processes they started (tests/bench/lib.sh,
#    kill_tree);
#  - every program a bench runs comes from a package `make deps`
#    installs (the DEBS of the Makefile and the modules, or what they
#    depend on), or from one in every Debian system (Essential, or of
#    priority required): the first word of each command of the benches
#    that is a program on this machine, its package by dpkg -S.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

tmp=$(mktemp -d /tmp/sekisho-t07.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- a figure with no samples -----------------------------------------------------------
nosample() {
	local out err
	out=$(bash -c '. tests/bench/lib.sh; BENCH_WHY="the probe never answered"
		bench t.figure_ms "" ms && exit 9; bench t.other_ms 1.5 ms || exit 8; bench_done' 2>"$tmp/err")
	echo "rc $?; stdout: $out; stderr: $(cat "$tmp/err")"
	[ "$(head -n 1 <<<"$out")" = "bench: t.figure_ms = - ms" ] &&
	[ "$(sed -n 2p <<<"$out")" = "bench: t.other_ms = 1.5 ms" ] &&
	grep -qxF "bench: t.figure_ms: NO SAMPLES, nothing was measured (the probe never answered)" "$tmp/err" &&
	! bash -c '. tests/bench/lib.sh; bench t.figure_ms "" ms; bench_done' 2>/dev/null >/dev/null
}
check "a figure with no samples: 'bench: NAME = - UNIT', why on stderr, the bench fails" nosample
dash() { ! bash -c '. tests/bench/lib.sh; bench t.figure_ms - ms; bench_done' >/dev/null 2>&1; }
check "... also when the value given is '-'" dash
measured() { bash -c '. tests/bench/lib.sh; bench t.figure_ms 3.2 ms; bench_done' >/dev/null 2>&1; }
check "with every figure measured the bench succeeds" measured

# run.sh in a scratch tree: its own list of benches, each a stand-in
names=$(sed -n 's/^for b in \(.*\); do$/\1/p' tests/bench/run.sh)
check "run.sh's list of benches read" test -n "$names"
mkdir -p "$tmp/tree/tests/bench"
cp tests/bench/run.sh tests/bench/lib.sh "$tmp/tree/tests/bench/"
standins() {	# NAME-WITHOUT-SAMPLES or ""
	local b
	for b in $names; do
		if [ "$b" = "$1" ]; then
			printf '. tests/bench/lib.sh\nBENCH_WHY="stand-in"\nbench %s.x_ms "" ms\nbench_done\n' "$b"
		else
			printf '. tests/bench/lib.sh\nbench %s.x_ms 1.0 ms\nbench_done\n' "$b"
		fi >"$tmp/tree/tests/bench/$b.sh"
	done
}
runsh_fails() {
	local out rc victim
	victim=$(awk '{ print $2 }' <<<"$names")
	standins "$victim"
	out=$(bash "$tmp/tree/tests/bench/run.sh" 2>&1); rc=$?
	echo "$out"; echo "rc $rc"
	[ "$rc" -ne 0 ] && grep -qxF "bench: $victim.x_ms = - ms" <<<"$out" &&
	grep -qxF "bench $victim: failed" <<<"$out" &&
	[ "$(grep -c '^bench: .* = 1.0 ms$' <<<"$out")" = $(($(wc -w <<<"$names") - 1)) ]
}
check "run.sh (make bench): a bench without samples -> it names it, runs the others and exits non-zero" runsh_fails
runsh_ok() {
	local out rc
	standins ""
	out=$(bash "$tmp/tree/tests/bench/run.sh" 2>&1); rc=$?
	echo "$out"; echo "rc $rc"
	[ "$rc" -eq 0 ] && ! grep -q ': failed$' <<<"$out"
}
check "run.sh: every figure measured -> exit 0" runsh_ok

# ---- every bench ends with its status, and make bench runs it --------------------------
benches=$(ls tests/bench/*.sh | grep -vE '/(lib|run)\.sh$')
ends() {
	local f last bad=0
	for f in $benches; do
		last=$(grep -v '^[[:space:]]*$' "$f" | tail -n 1)
		case $last in
		bench_done | 'exit $BENCH_FAILED' | 'exit "$failed"') ;;
		*) echo "$f ends with: $last"; bad=1 ;;
		esac
	done
	return $bad
}
check "every bench ends with its status (bench_done, or exit with its failures)" ends
reached() {
	local f b bad=0
	for f in $benches; do
		b=$(basename "$f" .sh)
		grep -qw "$b" <<<"$names" && continue
		grep -lE "(bash|\.) tests/bench/$b\.sh" $benches | grep -q . && continue
		echo "$f: neither in run.sh's list nor run by a bench"; bad=1
	done
	return $bad
}
check "every bench is run by make bench (run.sh's list, or a bench in it)" reached

# ---- only the processes a bench started ------------------------------------------------
byname() {
	! grep -nE '(^|[^a-z_])(pkill|killall|pgrep)([^a-z_]|$)|kill +(-[A-Z0-9]+ +)?(-- +)?-1([^0-9]|$)|kill +(-[A-Z0-9]+ +)?0([^0-9]|$)' \
		$benches tests/bench/lib.sh tests/bench/run.sh
}
check "no bench kills by name or by process group (pkill, killall, kill -1, kill 0)" byname

# ---- every program a bench runs is installed by make deps ------------------------------
debs=$(make -s --no-print-directory print-debs 2>/dev/null)
check "make print-debs lists the packages make deps installs" test -n "$debs"
# The first word of each command of the benches (after | && || ; $( ( `
# then do else ! and the wrappers exec, nice, timeout N, ip netns exec
# NS, the lab's n ROLE and ns), comments dropped.
commands() {
	python3 - "$@" <<-'PY'
	import re, sys
	skip = {"then", "do", "else", "elif", "if", "while", "until", "!", "exec", "nice",
	        "command", "time", "setsid", "{", "}", "[[", "[", "local", "export", "return"}

	def close_of(text, i):
	    """The index of the ")" that ends the $( at text[i - 2:i]."""
	    depth, n = 0, len(text)
	    while i < n:
	        c = text[i]
	        if c == "\\":
	            i += 2; continue
	        if c == "'":
	            j = text.find("'", i + 1); i = n if j < 0 else j + 1; continue
	        if c == '"':
	            i += 1
	            while i < n and text[i] != '"':
	                if text[i] == "\\":
	                    i += 1
	                elif text.startswith("$(", i):
	                    i = close_of(text, i + 2)
	                i += 1
	            i += 1; continue
	        if c == "(":
	            depth += 1
	        elif c == ")":
	            if depth == 0:
	                return i
	            depth -= 1
	        i += 1
	    return n

	def code(text):
	    """The lines the shell runs as commands: quoted strings, arithmetic,
	    comments and here-documents dropped; each command substitution
	    ($( ), in quotes or not) a line of its own at the end."""
	    text = text.replace("\\\n", " ")	# continued lines
	    out, extra, i, n = [], [], 0, len(text)
	    while i < n:
	        c = text[i]
	        if c == "#" and (i == 0 or text[i - 1] in " \t\n;|&("):
	            while i < n and text[i] != "\n":
	                i += 1
	            continue
	        if c == "\\":
	            out.append(" S "); i += 2; continue
	        if c == "'":
	            j = text.find("'", i + 1)
	            i = n if j < 0 else j + 1
	            out.append(" S ")
	            continue
	        if text.startswith("$((", i) or text.startswith("((", i):
	            j = text.find("))", i)
	            i = n if j < 0 else j + 2
	            out.append(" S ")
	            continue
	        if text.startswith("$(", i):
	            j = close_of(text, i + 2)
	            extra.append(code(text[i + 2:j]))
	            out.append(" S ")
	            i = j + 1
	            continue
	        if c == '"':
	            i += 1
	            while i < n and text[i] != '"':
	                if text[i] == "\\":
	                    i += 2; continue
	                if text.startswith("$((", i):
	                    j = text.find("))", i); i = n if j < 0 else j + 2; continue
	                if text.startswith("$(", i):
	                    j = close_of(text, i + 2)
	                    extra.append(code(text[i + 2:j]))
	                    i = j + 1; continue
	                i += 1
	            i += 1
	            out.append(" S ")
	            continue
	        if text.startswith("<<", i) and not text.startswith("<<<", i):
	            m = re.match(r"<<-?\s*['\"]?([A-Za-z_]+)['\"]?", text[i:])
	            if m:
	                end = re.search(r"\n[ \t]*" + m.group(1) + r"[ \t]*(\n|$)", text[i:])
	                eol = text.find("\n", i)
	                rest = text[i + m.end():eol] if eol > 0 else ""
	                i = n if end is None else i + end.end() - 1
	                out.append(rest)
	                continue
	        out.append(c)
	        i += 1
	    return "\n".join(["".join(out)] + extra)

	out = set()
	for path in sys.argv[1:]:
	    for line in code(open(path).read()).split("\n"):
	        # declarations name no program; a case label is no command
	        if re.match(r"^\s*(local|declare|readonly|export|typeset)\s", line):
	            continue
	        line = re.sub(r"^\s*[^()\s;|&]+(\s*\|\s*[^()\s;|&]+)*\)\s", " ", line)
	        for seg in re.split(r"\|\||&&|[|;`&()]", line):
	            w = seg.split()
	            while w:
	                t = w[0]
	                if t in ("local", "declare", "readonly", "export", "typeset"):
	                    w = []
	                elif t in skip or re.match(r"^[A-Za-z_][A-Za-z0-9_]*\+?=", t) or re.match(r"^[0-9]*[<>]", t):
	                    w = w[1:]
	                elif t == "timeout":
	                    w = w[1:]
	                    while w and (w[0].startswith("-") or re.match(r"^[0-9.]+[smh]?$", w[0])):
	                        w = w[1:]
	                elif t == "ip" and w[1:3] == ["netns", "exec"]:
	                    w = w[4:]
	                elif t in ("n", "ns"):
	                    w = w[2:] if t == "n" else w[1:]
	                else:
	                    break
	            if w and re.match(r"^[a-z][a-z0-9_+.-]*$", w[0]):
	                out.add(w[0])
	print("\n".join(sorted(out)))
	PY
}
tools_packaged() {
	local w c path pkg bad=0 seen=" " depends funcs
	# what the DEBS packages depend on directly (python3 -> python3-minimal)
	# shellcheck disable=SC2086
	depends=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}\n' $debs 2>/dev/null | tr ',|' '\n\n' |
		sed -E 's/\(.*\)//; s/:any//; s/^[[:space:]]+//; s/[[:space:]]+$//' | sed '/^$/d' | sort -u)
	# the functions the benches define or source (the lab's, the cards', the tests')
	funcs=$(find tests -name '*.sh' -exec cat {} + |
		sed -nE 's/^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)\(\)[[:space:]]*[{(].*/\1/p' | sort -u)
	for w in $(commands $benches tests/bench/lib.sh tests/bench/run.sh); do
		grep -qxF "$w" <<<"$funcs" && continue
		case $(type -t "$w" 2>/dev/null) in
		file) ;;
		builtin | keyword) continue ;;
		# not on this machine: a program make deps would have installed
		*) echo "$w: run by a bench, not installed"; bad=1; continue ;;
		esac
		path=$(type -P "$w") pkg=""
		# (merged /usr: dpkg may know it as /bin/sed, or by its target)
		for c in "$path" "${path#/usr}" "$(readlink -f "$path")" "/usr/bin/$w" "/bin/$w" "/usr/sbin/$w" "/sbin/$w"; do
			pkg=$(dpkg -S "$c" 2>/dev/null | grep -v '^diversion' | head -n 1 | cut -d: -f1)
			[ -n "$pkg" ] && break
		done
		[ -n "$pkg" ] || { echo "$w ($path): no package"; bad=1; continue; }
		case $seen in *" $pkg "*) continue ;; esac
		seen+="$pkg "
		grep -qxF "$pkg" <<<"$(tr ' ' '\n' <<<"$debs")" && { echo "$w: $pkg (make deps)"; continue; }
		grep -qxF "$pkg" <<<"$depends" && { echo "$w: $pkg (a dependency of a package make deps installs)"; continue; }
		[ "$(dpkg-query -W -f='${Essential}' "$pkg" 2>/dev/null)" = yes ] && { echo "$w: $pkg (Essential)"; continue; }
		[ "$(dpkg-query -W -f='${Priority}' "$pkg" 2>/dev/null)" = required ] &&
			{ echo "$w: $pkg (Priority: required, in every Debian system)"; continue; }
		echo "$w ($path): package $pkg is neither in DEBS nor Essential nor required"; bad=1
	done
	return $bad
}
check "every program the benches run comes from a package make deps installs (or an Essential one)" tools_packaged
tap_done
