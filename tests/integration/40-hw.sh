#!/bin/bash
# sekisho-partition over the fixture sysfs trees (OpenBSD regress style):
#   tests/hw/fixtures/NAME/sys/...   a laptop's sysfs, only the files read;
#   tests/hw/NAME.{inventory,plan}.ok and NAME.{inventory,plan}.json.ok
#                                    the exact output of each subcommand;
#   tests/hw/NAME.site.plan.ok       the plan with tests/hw/site.devices and
#                                    tests/hw/site.overrides, when present;
#   tests/hw/NAME.{netvm,work}.cfg.ok
#                                    `config netvm|work` with
#                                    tests/hw/domains.conf;
#   tests/hw/errors/X.{devices,overrides,domains} + X.{...}.err
#                                    a bad file given to `plan` (`config
#                                    netvm` for a domains file) on the
#                                    x1-carbon tree: exit 1, nothing on
#                                    stdout, exactly the .err on stderr.
# Then the promises, checked on every plan's JSON: no network-capable device
# and no PCI device in work, every unknown device left with dom0.
# UPDATE=1 rewrites the golden files instead of comparing (review the diff).
set -u
cd "$(dirname "$0")/../.." || exit 1
bin=${B:-build}/sekisho-partition
hw=tests/hw
n=0 failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }

if [ ! -x "$bin" ]; then
	echo "not ok 1 - $bin not built (make $bin)"
	exit 1
fi

# run NAME WANT_RC WANT_STDOUT_FILE WANT_STDERR_FILE -- ARGS...
run() {
	local name=$1 want_rc=$2 want_out=$3 want_err=$4 rc
	shift 5
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ -n "${UPDATE:-}" ] && [ "$rc" -eq "$want_rc" ]; then
		[ "$want_out" != "$tmp/empty" ] && cp "$tmp/out" "$want_out"
		[ "$want_err" != "$tmp/empty" ] && cp "$tmp/err" "$want_err"
	fi
	if [ "$rc" -ne "$want_rc" ]; then
		not_ok "$name: exit $rc, expected $want_rc"
		sed 's/^/# /' "$tmp/err"
	elif ! cmp -s "$tmp/out" "$want_out"; then
		not_ok "$name: stdout differs"
		diff -u "$want_out" "$tmp/out" | sed 's/^/# /'
	elif ! cmp -s "$tmp/err" "$want_err"; then
		not_ok "$name: stderr differs"
		diff -u "$want_err" "$tmp/err" | sed 's/^/# /'
	else
		ok "$name"
	fi
}

# promises NAME JSON: the plan's rules, whatever the inputs were.
promises() {
	if python3 - "$2" >"$tmp/why" 2>&1 <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
assert plan["version"] == 1
network = {"ethernet", "wifi", "wwan", "bluetooth", "network"}
n_unknown = 0
for a in plan["assignments"]:
    where = "%s %s" % (a["bus"], a["address"])
    if a["partition"] == "work":
        assert a["kind"] not in network, where + ": network device in work"
        assert a["bus"] == "usb", where + ": PCI device in work"
        assert a["passthrough"] == "usb", where
    if a["kind"] in network and a["override"] is None:
        assert a["partition"] == "netvm", where + ": network device not in netvm"
    if a["unknown"]:
        n_unknown += 1
        assert a["partition"] == "dom0", where + ": unknown device left dom0"
assert n_unknown == plan["unknown"]
EOF
	then ok "$1: promises kept"
	else not_ok "$1: promises broken"; sed 's/^/# /' "$tmp/why"
	fi
}

: >"$tmp/empty"
fixtures=0
for dir in "$hw"/fixtures/*/; do
	name=$(basename "$dir")
	fixtures=$((fixtures + 1))
	root=$hw/fixtures/$name
	run "$name: inventory" 0 "$hw/$name.inventory.ok" "$tmp/empty" -- \
	    --sysfs "$root" inventory
	run "$name: plan" 0 "$hw/$name.plan.ok" "$tmp/empty" -- --sysfs "$root" plan
	run "$name: inventory --json" 0 "$hw/$name.inventory.json.ok" "$tmp/empty" -- \
	    --sysfs "$root" inventory --json
	run "$name: plan --json" 0 "$hw/$name.plan.json.ok" "$tmp/empty" -- \
	    --sysfs "$root" plan --json
	for ok_file in "$hw/$name.inventory.json.ok" "$hw/$name.plan.json.ok"; do
		if python3 -m json.tool "$ok_file" >/dev/null 2>"$tmp/why"; then
			ok "$ok_file is JSON"
		else
			not_ok "$ok_file is not JSON"; sed 's/^/# /' "$tmp/why"
		fi
	done
	"$bin" --sysfs "$root" plan --json >"$tmp/plan.json" 2>/dev/null
	promises "$name" "$tmp/plan.json"
	for dom in netvm work; do
		run "$name: config $dom" 0 "$hw/$name.$dom.cfg.ok" "$tmp/empty" -- \
		    --sysfs "$root" --domains "$hw/domains.conf" config "$dom"
	done
	if [ -e "$hw/$name.site.plan.ok" ]; then
		run "$name: plan with the site's devices and overrides" 0 \
		    "$hw/$name.site.plan.ok" "$tmp/empty" -- --sysfs "$root" \
		    --devices "$hw/site.devices" --overrides "$hw/site.overrides" plan
		"$bin" --sysfs "$root" --devices "$hw/site.devices" \
		    --overrides "$hw/site.overrides" plan --json >"$tmp/plan.json"
		promises "$name with the site's files" "$tmp/plan.json"
	fi
done
if [ "$fixtures" -ge 8 ]; then ok "$fixtures fixture trees"
else not_ok "only $fixtures fixture trees, expected at least 8"; fi

# Work's USB devices by identity (docs/hw.md, "USB devices that follow the
# device"). tests/hw/work-usb.conf is what usb-ids writes for usb-readers:
# an OMNIKEY reader with a serial (1-1), two identical Alcor readers without
# one (1-3, 1-4), a fingerprint sensor with a serial (1-5), and a USB
# Ethernet adapter (2-1, the netvm's). The other trees are the same laptop
# later: usb-replug (the OMNIKEY on another bus, 3-2, address 2; the Alcor
# in 1-3 re-plugged in its port, address 9), usb-moved (the OMNIKEY in port
# 1-2; the Alcor from 1-3 in port 1-6), usb-serial-changed (the OMNIKEY
# reports another serial). Work held 1.3, 1.4, 1.5 and 1.2 before.
# usb_expect NAME JSON SPEC: SPEC is "DOM=ADDR@BUS.DEV,... ..." for every
# USB device, its bus and address from the inventory ($tmp/inv.json); the
# netvm keeps exactly its devices of the plan without the file
# ($tmp/plain.json).
usb_expect() {
	if python3 - "$2" "$3" "$tmp/plain.json" "$tmp/inv.json" >"$tmp/why" \
	    2>&1 <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
plain = json.load(open(sys.argv[3]))
inv = {d["address"]: d for d in json.load(open(sys.argv[4]))["devices"]}
got = {}
for a in plan["assignments"]:
    if a["bus"] != "usb":
        continue
    d = inv[a["address"]]
    got[a["address"]] = "%s@%d.%d" % (a["partition"], d["hostbus"], d["hostaddr"])
want = {}
for part in sys.argv[2].split():
    dom, devs = part.split("=")
    for dev in devs.split(","):
        addr, bd = dev.split("@")
        want[addr] = "%s@%s" % (dom, bd)
assert got == want, "got %s, want %s" % (sorted(got.items()), sorted(want.items()))
netvm = lambda p: sorted(a["address"] for a in p["assignments"] if a["partition"] == "netvm")
assert netvm(plan) == netvm(plain), "netvm changed: %s -> %s" % (netvm(plain), netvm(plan))
EOF
	then ok "$1: each device where its identity says"
	else not_ok "$1: devices misplaced"; sed 's/^/# /' "$tmp/why"
	fi
}
usbf=$hw/work-usb.conf
run "usb-ids: the identities of usb-readers' work devices" 0 "$usbf" \
    "$tmp/empty" -- --sysfs "$hw/fixtures/usb-readers" usb-ids
declare -A usb_want=(
	[usb-readers]="work=1-1@1.3,1-3@1.4,1-4@1.5,1-5@1.2 netvm=2-1@2.2"
	[usb-replug]="work=3-2@3.2,1-3@1.9,1-4@1.5,1-5@1.2 netvm=2-1@2.2"
	[usb-moved]="work=1-2@1.7,1-4@1.5,1-5@1.2 dom0=1-6@1.8 netvm=2-1@2.2"
	[usb-serial-changed]="work=1-3@1.4,1-4@1.5,1-5@1.2 dom0=1-1@1.3 netvm=2-1@2.2"
)
for name in usb-readers usb-replug usb-moved usb-serial-changed; do
	root=$hw/fixtures/$name
	run "$name: plan with the work USB file" 0 "$hw/$name.usb.plan.ok" \
	    "$tmp/empty" -- --sysfs "$root" --usb "$usbf" plan
	run "$name: config work with the work USB file" 0 \
	    "$hw/$name.usb.work.cfg.ok" "$tmp/empty" -- --sysfs "$root" \
	    --usb "$usbf" --domains "$hw/domains.conf" config work
	run "$name: usb-attach --dry-run" 0 "$hw/$name.usb-attach.ok" \
	    "$tmp/empty" -- --sysfs "$root" --usb "$usbf" usb-attach --dry-run \
	    --attached 1.3,1.4,1.5,1.2
	"$bin" --sysfs "$root" plan --json >"$tmp/plain.json"
	"$bin" --sysfs "$root" inventory --json >"$tmp/inv.json"
	"$bin" --sysfs "$root" --usb "$usbf" plan --json >"$tmp/plan.json"
	promises "$name with the work USB file" "$tmp/plan.json"
	usb_expect "$name" "$tmp/plan.json" "${usb_want[$name]}"
done
# A line naming the netvm's Ethernet adapter: a note, the adapter stays.
run "usb-readers: the file names a network device" 0 \
    "$hw/usb-readers.usb-netdev.plan.ok" "$tmp/empty" -- \
    --sysfs "$hw/fixtures/usb-readers" --usb "$hw/work-usb-netdev.conf" plan
"$bin" --sysfs "$hw/fixtures/usb-readers" plan --json >"$tmp/plain.json"
"$bin" --sysfs "$hw/fixtures/usb-readers" inventory --json >"$tmp/inv.json"
"$bin" --sysfs "$hw/fixtures/usb-readers" --usb "$hw/work-usb-netdev.conf" \
    plan --json >"$tmp/plan.json"
usb_expect "usb-readers, file naming the adapter" "$tmp/plan.json" \
    "${usb_want[usb-readers]}"
# An empty file: every work USB device stays with dom0.
printf 'version 1\n' >"$tmp/none.usb"
"$bin" --sysfs "$hw/fixtures/usb-replug" plan --json >"$tmp/plain.json"
"$bin" --sysfs "$hw/fixtures/usb-replug" inventory --json >"$tmp/inv.json"
"$bin" --sysfs "$hw/fixtures/usb-replug" --usb "$tmp/none.usb" plan --json \
    >"$tmp/plan.json"
usb_expect "usb-replug, empty work USB file" "$tmp/plan.json" \
    "dom0=3-2@3.2,1-3@1.9,1-4@1.5,1-5@1.2 netvm=2-1@2.2"

# Every bad file fails the whole command with exactly one line.
for f in "$hw"/errors/*.devices "$hw"/errors/*.overrides \
    "$hw"/errors/*.domains "$hw"/errors/*.usb; do
	case $f in
	*.domains) cmd="config netvm" ;;
	*) cmd=plan ;;
	esac
	# shellcheck disable=SC2086
	run "error: $f" 1 "$tmp/empty" "$f.err" -- --sysfs "$hw/fixtures/x1-carbon" \
	    "--${f##*.}" "$f" $cmd
done
echo "$hw/errors/none.devices: No such file or directory" >"$tmp/want"
run "error: missing devices file" 1 "$tmp/empty" "$tmp/want" -- \
    --sysfs "$hw/fixtures/x1-carbon" --devices "$hw/errors/none.devices" inventory
echo "$hw/fixtures: Is a directory" >"$tmp/want"
run "error: overrides file is a directory" 1 "$tmp/empty" "$tmp/want" -- \
    --sysfs "$hw/fixtures/x1-carbon" --overrides "$hw/fixtures" plan
echo "$tmp/none/sys/bus: No such file or directory" >"$tmp/want"
run "error: no sysfs under --sysfs" 1 "$tmp/empty" "$tmp/want" -- \
    --sysfs "$tmp/none" plan
mkdir -p "$tmp/broken/sys/bus/pci/devices/0000:00:1f.6"
printf '0x8086\n' >"$tmp/broken/sys/bus/pci/devices/0000:00:1f.6/vendor"
printf '0x15fc\n' >"$tmp/broken/sys/bus/pci/devices/0000:00:1f.6/device"
printf 'ethernet\n' >"$tmp/broken/sys/bus/pci/devices/0000:00:1f.6/class"
echo "$tmp/broken/sys/bus/pci/devices/0000:00:1f.6/class: expected 0x and 6 hex digits, found 'ethernet'" >"$tmp/want"
run "error: malformed sysfs attribute" 1 "$tmp/empty" "$tmp/want" -- \
    --sysfs "$tmp/broken" inventory

# The devices subcommand prints a devices file that reads back: the same
# plan, the ids now found in that file.
if "$bin" devices >"$tmp/devices" 2>"$tmp/err" &&
    "$bin" --sysfs "$hw/fixtures/dynabook" --devices "$tmp/devices" plan \
    >"$tmp/out" 2>>"$tmp/err" &&
    sed -E "s#\($tmp/devices:[0-9]+\)#(built-in table)#" "$tmp/out" |
    cmp -s - "$hw/dynabook.plan.ok"; then
	ok "devices: the built-in table reads back as a devices file"
else
	not_ok "devices: output does not read back"; sed 's/^/# /' "$tmp/err"
fi

# The builder is not here yet: say so, exit 2.
for cmd in up down status usb-attach; do
	echo "$bin $cmd: not available on this machine: no Xen hypervisor (see issue 5)" \
	    >"$tmp/want"
	run "$cmd: not available without Xen" 2 "$tmp/empty" "$tmp/want" -- \
	    --sysfs "$hw/fixtures/x1-carbon" --usb "$hw/work-usb.conf" "$cmd"
done

# Usage errors exit 2; help exits 0.
# usage DESC WANT_RC GREP_PATTERN|- -- ARGS...: the exit status, and a line
# of the output (both streams) when a pattern is given.
usage() {
	local desc=$1 want_rc=$2 pattern=$3 rc
	shift 4
	"$bin" "$@" >"$tmp/out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want_rc" ] &&
	    { [ "$pattern" = - ] || grep -q -- "$pattern" "$tmp/out"; }; then
		ok "$desc"
	else
		not_ok "$desc: exit $rc, expected $want_rc"
		sed 's/^/# /' "$tmp/out"
	fi
}
usage "no subcommand: exit 2" 2 '^Usage: ' --
usage "unknown subcommand: exit 2" 2 "^Invalid subcommand: 'frobnicate'" -- frobnicate
usage "plan --yaml: exit 2" 2 '^Usage: .* plan \[--json\]' -- plan --yaml
usage "global option after the subcommand: exit 2" 2 - -- plan --sysfs x
usage "--sysfs without a value: exit 2" 2 "option '--sysfs' needs a value" -- --sysfs
usage "config without --domains: exit 2" 2 \
    '^Usage: .* --domains FILE .* config netvm|work' -- \
    --sysfs "$hw/fixtures/x1-carbon" config netvm
usage "config dom0: exit 2" 2 - -- --domains "$hw/domains.conf" config dom0
usage "--help lists inventory" 0 '^  inventory \[--json\]: ' -- --help
usage "--help lists plan" 0 '^  plan \[--json\]: ' -- --help
usage "--help lists up" 0 '^  up: ' -- --help
usage "--help lists usb-attach" 0 '^  usb-attach ' -- --help
usage "usb-attach without --usb: exit 2" 2 \
    'usb-attach: needs --usb FILE' -- --sysfs "$hw/fixtures/usb-readers" \
    usb-attach --dry-run
usage "usb-attach --attached without --dry-run: exit 2" 2 '^Usage: ' -- \
    --usb "$hw/work-usb.conf" usb-attach --attached 1.3
usage "usb-attach --attached 1.256: exit 2" 2 '^Usage: ' -- \
    --usb "$hw/work-usb.conf" usb-attach --dry-run --attached 1.256
usage "usb-ids takes no argument: exit 2" 2 '^Usage: ' -- usb-ids x
"$bin" --sysfs="$hw/fixtures/dynabook" plan >"$tmp/out" 2>&1
if cmp -s "$tmp/out" "$hw/dynabook.plan.ok"; then ok "--sysfs=ROOT form"
else not_ok "--sysfs=ROOT form"; fi

echo "1..$n"
[ "$failed" -eq 0 ]
