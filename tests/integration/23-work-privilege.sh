#!/bin/bash
# DESIGN.md's promise for work -> netvm: no process that work can send a
# packet to holds a capability or runs as root (issue 10, item 8). In the
# lab, once work has its address from the netvm's DHCP: every socket in
# the netvm namespace that a packet from work can reach (ss -lunp/-ltnp/
# -lwnp: bound to any address or to the work link's, and not tied by
# SO_BINDTODEVICE to another link) belongs to a process whose Uid is not 0
# and whose CapEff is 0, read from /proc. The DHCP server is among them,
# and is the one the product started (sekisho-dhcpd, child of sekishod).
set -u
cd "$(dirname "$0")/../.."
. tests/lab/lab.sh
. tests/integration/lib.sh
tests/sandbox-users.sh >/dev/null || echo "# cannot create the sandbox users"

cleanup() { netvm_cleanup; lab_down; }
trap cleanup EXIT
lab_up || { echo "not ok 1 - lab_up"; exit 1; }
netvm_env
netvm_boot

check "sekishod starts" netvm_start
check "work gets its address by DHCP from the netvm" lab_work_dhcp

unprivileged() {	# PID: Uid not 0 (any of real, effective, saved, fs), CapEff 0
	local st=/proc/$1/status
	[ -r "$st" ] || return 1
	! grep -qE '^Uid:.*\s0(\s|$)' "$st" && grep -qE '^CapEff:\s+0+$' "$st"
}
# passes_filter PROTO PORT: 1 if datagrams or SYNs from work to the netvm's
# work address and PORT get past the netvm's input filter (a counter of the
# test's own after the filter's priority), 0 if the filter refuses them all.
# Raw and packet sockets see frames before any filter: always reachable.
passes_filter() {
	local proto=$1 port=$2 passed
	case $proto in udp|tcp) ;; *) return 0 ;; esac
	n netvm nft -f - <<-EOT || return 0
	table inet reach {
		counter passed { }
		chain after {
			type filter hook input priority 10; policy accept;
			iifname "wk0" $proto dport $port counter name "passed"
		}
	}
	EOT
	if [ "$proto" = udp ]; then
		# from an ephemeral port and from the well-known ones a filter
		# might let through (DHCP client and server, DNS, NTP)
		n work python3 -c 'import socket, sys
for sport in (0, 68, 67, 53, 123):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", sport))
    s.sendto(b"x", (sys.argv[1], int(sys.argv[2])))
    s.close()' "$LAB_WORK_ROUTER" "$port"
	else
		n work nc -z -w 1 "$LAB_WORK_ROUTER" "$port" >/dev/null 2>&1
	fi
	passed=$(n netvm nft list counter inet reach passed | awk '/packets/ { print $2 }')
	n netvm nft delete table inet reach
	[ "${passed:-0}" -gt 0 ]
}
# sockets: "PID PROTO LOCAL" for each socket bound where work can address it.
sockets() {
	ip netns exec "$NS_NETVM" ss -Hlnp -A inet,raw,packet 2>/dev/null | awk -v r="$LAB_WORK_ROUTER" '
		{
			proto = $1; local = $5
			if (local ~ /%/ && local !~ /%wk0:/) next
			a = local; sub(/%[^:]*/, "", a); sub(/:[^:]*$/, "", a)
			if (a != "0.0.0.0" && a != "*" && a != "[::]" && a != r && a != "") next
			while (match($0, /pid=[0-9]+/)) {
				print substr($0, RSTART + 4, RLENGTH - 4), proto, local
				$0 = substr($0, RSTART + RLENGTH)
			}
		}' | sort -u
}
# promise [wireguard-go]: every process whose socket a packet from work
# really reaches (bound where work can address it, and let through by the
# netvm's filter) runs unprivileged; with wireguard-go, that its socket is
# one work cannot reach.
promise() {
	local pid proto local bad=0 n=0 line comm port
	while read -r pid proto local; do
		comm=$(cat /proc/"$pid"/comm 2>/dev/null)
		if [ "${1:-}" = wireguard-go ]; then [ "$comm" = wireguard-go ] || continue; fi
		n=$((n + 1))
		port=${local##*:}
		line="$comm (pid $pid) $proto $local: $(grep -E '^(Uid|CapEff)' /proc/"$pid"/status 2>/dev/null | tr -s '\t\n' '  ')"
		if ! passes_filter "$proto" "$port"; then
			echo "# not reachable from work (the input filter refuses it): $line"
			continue
		fi
		[ "${1:-}" = wireguard-go ] && { echo "reachable from work: $line"; bad=1; continue; }
		if unprivileged "$pid"; then echo "# fine: $line"; else echo "privileged: $line"; bad=1; fi
	done < <(sockets)
	[ "$n" -gt 0 ] || { echo "no socket found: the check saw nothing"; return 1; }
	return "$bad"
}
# shown: what each socket is and why it is fine
shown() { local desc=$1 out rc; shift; out=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq 0 ]; then tap_ok "$desc"; else tap_not_ok "$desc"; fi
	printf '%s\n' "$out" | sed 's/^\([^#]\)/#   \1/'; }
shown "every process with a socket a packet from work reaches: Uid != 0 and CapEff 0" promise
# wireguard-go listens on every address (its tunnel port); it runs confined
# (below), and work must not reach it at all, which the input filter
# ensures (work is decided first there).
shown "wireguard-go's socket: no packet from work reaches it" promise wireguard-go

dhcp_is_ours() {	# the one on UDP 67 is sekishod's child, sandboxed
	local pid
	pid=$(ip netns exec "$NS_NETVM" ss -Hlunp 'sport = :67' | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
	[ -n "$pid" ] || { echo "nothing on UDP 67"; return 1; }
	[ "$(cat /proc/"$pid"/comm)" = sekisho-dhcpd ] || { echo "UDP 67: $(cat /proc/"$pid"/comm)"; return 1; }
	[ "$(awk '/^PPid:/ { print $2 }' /proc/"$pid"/status)" = "$(lab_pid sekishod)" ] || { echo "not sekishod's child"; return 1; }
	[ "$(ps -o user= -p "$pid")" = _sekisho-dhcp ] &&
		grep -qE '^CapBnd:\s+0+$' /proc/"$pid"/status &&
		grep -qE '^NoNewPrivs:\s+1$' /proc/"$pid"/status &&
		grep -qE '^Seccomp:\s+2$' /proc/"$pid"/status || { grep -E '^(Uid|Cap|NoNew|Seccomp)' /proc/"$pid"/status; return 1; }
}
check "the DHCP server is sekishod's sekisho-dhcpd: _sekisho-dhcp, CapBnd 0, NoNewPrivs 1, Seccomp 2" dhcp_is_ours
check "work renews its lease from the sandboxed server" bash -c \
	"kill -USR1 \$(cat $LAB_DIR/pids/work-dhcp) && sleep 1 && ip -n $NS_WORK -4 addr show dev eth0 | grep -q 'inet 172.30.0.2/30'"

# ---- issue 10, item 9: sekishod's processes and its wireguard-go, from /proc ----
# The parent stays root with only the unit's capabilities (0x35e1: chown,
# kill, setgid, setuid, setpcap, net_bind_service, net_admin, net_raw) in
# every set, none inheritable or ambient, and is not dumpable: root without
# CAP_SYS_PTRACE (whose capabilities are a superset of the parent's) may
# attach to a dumpable root process, not to this one. The frontend (the
# control socket's clients) and wireguard-go
# run as their own users with no capability, no_new_privs and seccomp.
PARENT=$(lab_pid sekishod)
CAPS=00000000000035e1
parent_bounded() {
	local st=/proc/$PARENT/status f
	grep -qE '^Uid:\s+0\s+0\s+0\s+0$' "$st" || { grep ^Uid "$st"; return 1; }
	for f in CapPrm CapEff CapBnd; do
		grep -qE "^$f:\s+$CAPS\$" "$st" || { grep "^$f" "$st"; return 1; }
	done
	for f in CapInh CapAmb; do
		grep -qE "^$f:\s+0+\$" "$st" || { grep "^$f" "$st"; return 1; }
	done
}
check "sekishod's parent: root with CapPrm = CapEff = CapBnd = $CAPS, no inheritable or ambient" parent_bounded
check "sekishod's parent: no_new_privs and its own seccomp allow-list (Seccomp 2)" bash -c \
	"grep -qE '^NoNewPrivs:\s+1\$' /proc/$PARENT/status && grep -qE '^Seccomp:\s+2\$' /proc/$PARENT/status ||
	 { grep -E '^(NoNewPrivs|Seccomp)' /proc/$PARENT/status; false; }"
not_dumpable() {	# PID: root without CAP_SYS_PTRACE cannot attach to it
	local out
	out=$(timeout 2 setpriv --bounding-set -sys_ptrace --inh-caps -all -- \
		strace -qq -e trace=none -o /dev/null -p "$1" 2>&1)
	echo "$out"
	grep -q 'PTRACE_SEIZE.*Operation not permitted' <<<"$out"
}
check "sekishod's parent: not dumpable (root without CAP_SYS_PTRACE cannot attach)" \
	not_dumpable "$PARENT"
children_of() { cat "/proc/$1/task/$1/children" 2>/dev/null; }
proc_of_user() {	# USER: the one child of sekishod running as USER
	local c
	for c in $(children_of "$PARENT"); do
		[ "$(ps -o user= -p "$c" 2>/dev/null)" = "$1" ] && { echo "$c"; return 0; }
	done
	return 1
}
confined_child() {	# USER [exec]
	local pid st f
	pid=$(proc_of_user "$1") || { echo "no child of sekishod runs as $1"; return 1; }
	st=/proc/$pid/status
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do
		grep -qE "^$f:\s+0+\$" "$st" || { grep "^$f" "$st"; return 1; }
	done
	grep -qE '^NoNewPrivs:\s+1$' "$st" && grep -qE '^Seccomp:\s+2$' "$st" ||
		{ grep -E '^(NoNewPrivs|Seccomp)' "$st"; return 1; }
	# forked, not exec'd: not dumpable, so its /proc files stay root's
	[ "${2:-}" = exec ] || [ "$(stat -c %u "$st")" = 0 ] || { echo "dumpable"; return 1; }
}
check "sekishod's frontend: _sekisho-ctl, no capability, no_new_privs, seccomp, not dumpable" \
	confined_child _sekisho-ctl
check "sekishod's wireguard-go: _sekisho-wg, no capability, no_new_privs, seccomp" \
	confined_child _sekisho-wg exec
check "sekishoctl still answered through the frontend" netvm_mode_is blocked

# Issue 10, item 9: the engine runs apart from the parent, as its own
# user with no capability (netvm/sekishod/engproc.h); a dead or hung
# engine or frontend is started again, and meanwhile nothing is open.
check "sekishod's engine: _sekisho-eng, no capability, no_new_privs, seccomp, not dumpable" \
	confined_child _sekisho-eng
LOG=$LAB_DIR/log/sekishod.log
check "uplink DHCP from the home router" lab_uplink_dhcp
check "remote mode, decided by the engine process" netvm_wait_mode remote
portal_ok() { work_get "http://$LAB_PORTAL/" | grep -qF "$LAB_PORTAL_MARKER"; }
check "work fetches the LGWAN portal through the tunnel" lab_wait_for -t 10 portal_ok
lines_after() { tail -n +"$(($1 + 1))" "$LOG"; }	# the log after line $1
lines() { wc -l <"$LOG"; }
# kill -9 the engine while work floods LGWAN: the parent says so in one
# line, goes to blocked before anything else, starts a new engine (which
# is confined as the first was), and remote mode comes back. Nothing of
# work's reached the home LAN meanwhile (its leak counter, exactly).
engine_killed() {
	local old new at flood rc=0
	old=$(proc_of_user _sekisho-eng) || { echo "no engine"; return 1; }
	lab_leak_reset
	n work ping -q -i 0.01 -W 1 "$LAB_PORTAL" >/dev/null 2>&1 & flood=$!
	sleep 0.3
	at=$(lines)
	kill -KILL "$old"
	lab_wait_for -t 10 bash -c "tail -n +$((at + 1)) '$LOG' | grep -q 'engine: started again'" ||
		{ echo "no new engine"; rc=1; }
	lab_wait_for -t 10 netvm_mode_is remote || { echo "not remote again"; rc=1; }
	lab_wait_for -t 10 portal_ok || { echo "the portal is not reached again"; rc=1; }
	kill "$flood"; wait "$flood" 2>/dev/null
	lines_after "$at"
	lines_after "$at" | grep -qxF 'sekishod: engine: exited; everything blocked until a new engine has decided (in 250 ms)' ||
		{ echo "not the one line"; rc=1; }
	# blocked before the new engine, remote only after it
	lines_after "$at" | grep -E 'mode (blocked|remote).*ruleset in force|engine: started again' |
		awk 'NR == 1 && !/mode blocked/ { bad = 1 } /started again/ { s = 1 } /mode remote/ && !s { bad = 1 }
		END { exit bad }' || { echo "not blocked first"; rc=1; }
	new=$(proc_of_user _sekisho-eng) && [ "$new" != "$old" ] || { echo "the same engine?"; rc=1; }
	echo "home LAN leak counter: $(lab_leaks)"
	[ "$(lab_leak leak)" -eq 0 ] || rc=1
	return $rc
}
check "engine killed: one line, blocked at once, a new engine, remote again, 0 leaked" engine_killed
check "the new engine is confined as the first was" confined_child _sekisho-eng
# A hung engine (SIGSTOP) is not waited for: the next call gives up after
# 2 s, and the parent goes on as for a dead one.
engine_hung() {
	local old at
	old=$(proc_of_user _sekisho-eng) || return 1
	at=$(lines)
	kill -STOP "$old"
	lab_wait_for -t 20 bash -c "tail -n +$((at + 1)) '$LOG' | grep -q 'engine: started again'" ||
		{ lines_after "$at"; return 1; }
	lines_after "$at"
	lines_after "$at" | grep -qxF 'sekishod: engine: no answer in 2000 ms; everything blocked until a new engine has decided (in 500 ms)' &&
	lab_wait_for -t 10 netvm_mode_is remote && ! kill -0 "$old" 2>/dev/null
}
check "engine hung: given up after 2 s with one line, replaced, remote again" engine_hung
frontend_killed() {
	local old new at
	old=$(proc_of_user _sekisho-ctl) || return 1
	at=$(lines)
	kill -KILL "$old"
	lab_wait_for -t 10 bash -c "tail -n +$((at + 1)) '$LOG' | grep -q 'frontend: started again'" || return 1
	lines_after "$at"
	new=$(proc_of_user _sekisho-ctl) && [ "$new" != "$old" ] && netvm_mode_is remote
}
check "frontend killed: started again, sekishoctl answered" frontend_killed
check "the new frontend is confined as the first was" confined_child _sekisho-ctl

# Issue 10, item 9: a frontend that hangs but stays alive (SIGSTOP) is
# found by the parent's heartbeat (a ping every second, no pong within
# 2 s): killed, one line, a new one started with the backoff, confined as
# the first, and the control socket answers again.
frontend_hung() {
	local old new at
	old=$(proc_of_user _sekisho-ctl) || return 1
	at=$(lines)
	kill -STOP "$old"
	lab_wait_for -t 20 bash -c "tail -n +$((at + 1)) '$LOG' | grep -q 'frontend: started again'" ||
		{ lines_after "$at"; kill -CONT "$old"; return 1; }
	lines_after "$at"
	lines_after "$at" | grep -qE "^sekishod: frontend \(pid $old\): no answer in 2000 ms; killed, the control socket is served again in [0-9]+ ms\$" ||
		{ echo "not the one line"; return 1; }
	[ "$(lines_after "$at" | grep -c 'frontend')" -eq 2 ] || { echo "more than the two lines"; return 1; }
	! kill -0 "$old" 2>/dev/null || { echo "the hung one is still there"; return 1; }
	new=$(proc_of_user _sekisho-ctl) && [ "$new" != "$old" ] && netvm_mode_is remote
}
check "frontend hung (SIGSTOP): killed after 2 s without a pong, one line, replaced, sekishoctl answered" frontend_hung
check "the frontend after the hang is confined as the first was" confined_child _sekisho-ctl

# Issue 10, item 9: a restarted engine or frontend (both were started
# again above) is a fresh exec of sekishod's binary, not a fork (the first
# of each is forked before the policy and the key are read): it has its
# own address space (no mapping at the parent's addresses, none at its
# predecessor's: ASLR at each start) and none of the parent's memory. The device key is
# in the parent's memory (the search finds it there, so it can find it)
# and nowhere in the engine's.
maps_of() { sed -E 's/ +/ /g' "/proc/$1/maps"; }
shared_maps() {	# PID1 PID2: mappings at the same address in both (but [vsyscall])
	comm -12 <(maps_of "$1" | awk '$6 != "[vsyscall]" { print $1 }' | sort) \
		<(maps_of "$2" | awk '$6 != "[vsyscall]" { print $1 }' | sort)
}
key_hits() {	# PID: how often the device key (raw or base64) is in its memory
	python3 - "$1" "$LAB_DEVICE_KEY" <<-'PY'
	import base64, re, sys
	pid, keyfile = sys.argv[1], sys.argv[2]
	text = open(keyfile, "rb").read().strip()
	needles = (base64.b64decode(text), text)
	hits = 0
	with open(f"/proc/{pid}/maps") as m, open(f"/proc/{pid}/mem", "rb", 0) as mem:
	    for line in m:
	        f = line.split()
	        if "r" not in f[1] or (len(f) > 5 and f[5] == "[vsyscall]"):
	            continue
	        a, b = (int(x, 16) for x in f[0].split("-"))
	        try:
	            mem.seek(a)
	            data = mem.read(b - a)
	        except OSError:
	            continue
	        hits += sum(data.count(n) for n in needles)
	print(hits)
	PY
}
engine_other_than() { local e; e=$(proc_of_user _sekisho-eng) && [ "$e" != "$1" ]; }
engine_is_exec() {
	local eng old new rc=0 h
	[ "$(cat /proc/sys/kernel/randomize_va_space)" != 0 ] || { echo "ASLR is off on this kernel"; return 1; }
	eng=$(proc_of_user _sekisho-eng) || { echo "no engine"; return 1; }
	tr '\0' ' ' <"/proc/$eng/cmdline"; echo
	tr '\0' ' ' <"/proc/$eng/cmdline" | grep -qx 'sekishod --sekishod-child engine stderr [0-9]* ' ||
		{ echo "not exec'd with its role"; rc=1; }
	[ "$(readlink "/proc/$eng/exe")" = "$(readlink "/proc/$PARENT/exe")" ] || { echo "another binary"; rc=1; }
	[ "$(cat "/proc/$eng/comm")" = sekishod ] || { echo "named $(cat "/proc/$eng/comm")"; rc=1; }
	h=$(shared_maps "$PARENT" "$eng" | wc -l)
	echo "mappings at the parent's addresses: $h"
	[ "$h" -eq 0 ] || { shared_maps "$PARENT" "$eng"; rc=1; }
	h=$(key_hits "$PARENT"); echo "the device key in the parent's memory: $h times"
	[ "$h" -gt 0 ] || { echo "the search cannot find the key"; rc=1; }
	h=$(key_hits "$eng"); echo "the device key in the engine's memory: $h times"
	[ "$h" -eq 0 ] || rc=1
	# started again: another layout
	old=$(maps_of "$eng")
	kill -KILL "$eng"
	lab_wait_for -t 10 engine_other_than "$eng" || { echo "no new engine"; return 1; }
	new=$(proc_of_user _sekisho-eng)
	h=$(comm -12 <(echo "$old" | awk '$6 != "[vsyscall]" { print $1 }' | sort) \
		<(maps_of "$new" | awk '$6 != "[vsyscall]" { print $1 }' | sort) | wc -l)
	echo "mappings of the new engine ($new) at its predecessor's addresses: $h"
	[ "$h" -eq 0 ] || rc=1
	h=$(shared_maps "$PARENT" "$new" | wc -l)
	[ "$h" -eq 0 ] || { echo "the new engine shares $h mappings with the parent"; rc=1; }
	h=$(key_hits "$new"); echo "the device key in the new engine's memory: $h times"
	[ "$h" -eq 0 ] || rc=1
	lab_wait_for -t 10 netvm_mode_is remote || { echo "not remote again"; rc=1; }
	return $rc
}
shown "engine: a fresh exec (own layout, none of the parent's mappings or its key), again after a restart" engine_is_exec
check "the exec'd engine is confined (no capability, no_new_privs, seccomp, not dumpable)" \
	confined_child _sekisho-eng
frontend_is_exec() {
	local fe h
	fe=$(proc_of_user _sekisho-ctl) || return 1
	tr '\0' ' ' <"/proc/$fe/cmdline" | grep -qx 'sekishod --sekishod-child frontend stderr [0-9]* ' ||
		{ tr '\0' ' ' <"/proc/$fe/cmdline"; return 1; }
	h=$(shared_maps "$PARENT" "$fe" | wc -l)
	[ "$h" -eq 0 ] || { echo "$h mappings at the parent's addresses"; return 1; }
	h=$(key_hits "$fe"); echo "the device key in the frontend's memory: $h times"
	[ "$h" -eq 0 ]
}
shown "frontend: a fresh exec, none of the parent's mappings or its key" frontend_is_exec

# ---- the work link's control socket, TCP 51834 (docs/control.md, "From
# the work partition", "Clients at once") ----
HAM=$PWD/tests/integration/ctlhammer.py
AGENT=$PWD/build/sekisho-agent
check "remote before the control socket's checks" lab_wait_for -t 10 netvm_mode_is remote
# What work reads of the status, against root's from the same sekishod:
# the gateway's key, endpoint and name, the policy's path, up0's address
# and router are in root's; none is in work's, which is marked narrowed
# (0x40), and the agent still reads its uplinks from it.
ROOT_ST=$LAB_DIR/status.root WORK_ST=$LAB_DIR/status.work ROOT_JSON=$LAB_DIR/status.json
withheld() {	# FILE: the bytes root's JSON names that must not reach work
	python3 - "$1" "$ROOT_JSON" <<-'PY'
	import ipaddress, json, sys
	data = open(sys.argv[1], "rb").read()
	j = json.load(open(sys.argv[2]))
	up = [u for u in j["uplinks"] if u["name"] == j["uplink"]][0]
	needles = {
	    "the gateway's key": j["tunnel"]["peer"].encode(),
	    "its endpoint": j["tunnel"]["endpoint"].encode(),
	    "its name": j["tunnel"]["gateway"].encode(),
	    "the policy's path": j["policy"]["path"].encode(),
	    "the reason": j["reason"].encode(),
	    "the uplink's address": ipaddress.IPv4Address(up["address"].split("/")[0]).packed,
	    "its router": ipaddress.IPv4Address(up["gateway"]).packed,
	}
	found = [k for k, v in needles.items() if v and v in data[10:]]
	print("found: " + (", ".join(found) or "none"))
	sys.exit(0 if len(found) == len(needles) else 1 if not found else 2)
	PY
}
status_pair() {
	ctl status --json >"$ROOT_JSON" &&
	python3 "$HAM" raw "$NETVM_SOCK" >"$ROOT_ST" &&
	n work python3 "$HAM" raw "$LAB_WORK_ROUTER" 51834 >"$WORK_ST" &&
	grep -q '"peer"' "$ROOT_JSON"
}
check "the status read by root (the local socket) and by work (51834)" lab_wait_for -t 10 status_pair
check "root's status carries the gateway's key, endpoint and name, the policy's path, the reason, up0's address and router" \
	withheld "$ROOT_ST"
work_narrow() {
	local rc
	withheld "$WORK_ST"; rc=$?
	[ "$rc" -eq 1 ] || return 1
	python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.exit(0 if d[5] == 1 and d[11] & 0x40 else 1)' "$WORK_ST"
}
check "work's status carries none of them, and is marked narrowed (0x40)" work_narrow
agent_reads() {
	local out
	out=$(n work "$AGENT" uplinks --netvm "$LAB_WORK_ROUTER") || { echo "$out"; return 1; }
	printf '%s\n' "$out"
	printf '%s\n' "$out" | grep -qE '^up0 \(priority [0-9]+, carrier, address, active\)$'
}
check "the agent reads the uplinks from work's status (up0 active)" agent_reads

# The listener's backlog (CTL_WORK_BACKLOG, netvm/sekishod/control.h):
# the kernel queues what the frontend has not yet taken (its 4 work slots
# taken, or its 20 a second spent) instead of dropping the SYN, which TCP
# retries only a second or more later, past the tray's 1.5-s wait. 24
# of the agent's clients at once: every one answered, and not one SYN
# dropped (the netvm's ListenOverflows unchanged; with the backlog of 4
# it had, the kernel drops the SYNs past the fifth queued).
overflows() { n netvm awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "ListenOverflows") c = i; h = 1 } else print $c }' /proc/net/netstat; }
burst() {
	local before after
	ss_q=$(n netvm ss -Hltn 'sport = :51834' | awk '{ print $3 }')
	echo "the listener's backlog (ss Send-Q): $ss_q"
	[ "$ss_q" = 30 ] || return 1
	before=$(overflows)
	n work python3 "$HAM" burst "$LAB_WORK_ROUTER" 51834 24 || return 1
	after=$(overflows)
	echo "ListenOverflows: $before before, $after after"
	[ -n "$before" ] && [ "$before" = "$after" ]
}
shown "24 of work's clients at once: each answered, no SYN dropped (backlog 30)" burst

# A work process hammering 51834: six connections held open without a
# byte (another as soon as one is let go), two asking "status" in a loop,
# one switching the preference back and forth. Meanwhile root's
# `sekishoctl status` and `reload` are answered, every time.
hammer() {
	local stop=$LAB_DIR/hammer.stop out=$LAB_DIR/hammer.json at hp i rc=0 line
	rm -f "$stop" "$out"
	at=$(lines)
	n work python3 "$HAM" hammer "$LAB_WORK_ROUTER" 51834 "$stop" "$out" & hp=$!
	# under way: work's preferences have hit their limit
	lab_wait_for -t 30 bash -c "tail -n +$((at + 1)) '$LOG' | grep -q 'asks for more uplink preferences'" ||
		{ echo "the hammer never reached the preference limit"; rc=1; }
	for i in $(seq 10); do
		ctl status | grep -qE '^mode: +(remote|blocked|office) ' || { echo "status $i not answered"; rc=1; }
	done
	for i in 1 2; do
		line=$(ctl reload 2>&1)
		grep -qE '^(accepted|unchanged|refused): ' <<<"$line" || { echo "reload $i: $line"; rc=1; }
	done
	ctl status --json | grep -q '"mode":"remote"' || { echo "not remote"; rc=1; }
	touch "$stop"
	wait "$hp"
	cat "$out"
	python3 - "$out" <<-'PY' || rc=1
	import json, sys
	c = json.load(open(sys.argv[1]))
	ok = (c["held"] > 0 and c["held_answered"] == c["held"] and c["status"] > 0
	      and c["prefer"].get("refused: too many uplink preferences from the work partition", 0) > 0
	      and c["prefer"].get("accepted", 0) >= 1)
	sys.exit(0 if ok else 1)
	PY
	echo "log lines during the hammer:"; lines_after "$at" | sort | uniq -c | sort -rn | head
	# one line for the limit, however many were refused; one per change taken
	[ "$(lines_after "$at" | grep -c 'asks for more uplink preferences')" = 1 ] ||
		{ echo "not one limit line"; rc=1; }
	[ "$(lines_after "$at" | grep -c 'uplink preference: ')" = \
	  "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["prefer"].get("accepted", 0))' "$out")" ] ||
		{ echo "not one line per preference taken"; rc=1; }
	return $rc
}
shown "work hammers 51834 (held, looping, preference churn): root's status and reload answered every time; work's preferences limited, one log line" hammer
# While work holds a connection open without sending (one at a time, let
# go after 500 ms), root's status is asked and answered again and again
# within the hold: the frontend is not waiting on work's client. (The
# frontend that served one client at a time, blocked on the hold, answered
# at most the one local client that came just before it: shown with it,
# 1 at most in each of 10 holds.)
within_hold() {
	local stop=$LAB_DIR/local.stop lp rc
	rm -f "$stop"
	python3 "$HAM" local "$SEKISHOCTL" "$NETVM_SOCK" "$stop" "$LAB_DIR/local.times" & lp=$!
	n work python3 "$HAM" hold "$LAB_WORK_ROUTER" 51834 10 "$LAB_DIR/hold.times"
	touch "$stop"
	wait "$lp"
	grep '^fail' "$LAB_DIR/local.times" && return 1
	python3 "$HAM" inside "$LAB_DIR/hold.times" "$LAB_DIR/local.times"
}
shown "root's status answered again and again while work holds a connection open" within_hold
check "the frontend after the hammer: the same confined one" confined_child _sekisho-ctl

# Issue 10, item 18: wireguard-go's banner stays out of sekishod's log.
check "no wireguard-go banner in sekishod's log" bash -c \
	"grep -q 'started: policy' $LAB_DIR/log/sekishod.log && ! grep -qE 'wireguard-go is not required|┌' $LAB_DIR/log/sekishod.log"

tap_done
