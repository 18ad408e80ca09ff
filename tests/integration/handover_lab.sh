# shellcheck shell=bash
# The shared terminal of issue 15 (item 4) in the lab, for
# 97-agent-handover.sh and tests/bench/handover.sh. Sourced after
# tests/lab/lab.sh, tests/integration/lib.sh and tests/cards/cards.sh.
#
#   the agency:  sekisho-gw on a registry (lab_gw_up) whose group "lab" has
#                a prelogon service (the verifier), one lgwan service for
#                every signed-on user (HL_COMMON) and one per role: tax
#                (HL_TAX) and welfare (HL_WELFARE), hosts on LGWAN's lo;
#                sekisho-authd on the same registry, at HL_VERIFIER;
#   the laptop:  the lab's (sekishod in the netvm, remote mode), its relay
#                (sekisho-signon) on the work link;
#   staff:       s1001 (role tax, card HL_IDM_A in reader 0) and s1002
#                (role welfare, card HL_IDM_B in reader 1), both PIN
#                HL_PIN; s1003 (role welfare, no card) for face or finger +
#                PIN (the verifier's rules allow biometric-pin for welfare).
#
# hl_up DIR: all of the above; DIR (0711) holds the keys, the PIN file,
# the audit's JSON lines ($DIR/audit.jsonl) and the agent's state.
# hl_agent CMD ARGS...: the agent in work's namespace, its cards in the
# card stack's pcscd.

HL_VERIFIER=$LAB_AUTH		# 10.65.0.10, auth.lgwan.example
HL_COMMON=10.64.5.1		# any signed-on user
HL_TAX=10.64.5.2		# role tax only
HL_WELFARE=10.64.5.3		# role welfare only
HL_PIN=739164
HL_IDM_A=0123456789ABCDEF
HL_IDM_B=FEDCBA9876543210
HL_DEVICE=laptop		# lab_gw_up's name for the lab's laptop

hl_template() {
	sed -e '/^serial /d' -e '/^device {/,/^}/d' "$LAB_POLICY"
	cat <<-EOF
	service "signon" {
		class prelogon
		to $HL_VERIFIER/32
		udp 51831
	}
	service "common" {
		class lgwan
		to $HL_COMMON/32
		icmp echo
	}
	service "tax" {
		class lgwan
		to $HL_TAX/32
		icmp echo
		role tax
	}
	service "welfare" {
		class lgwan
		to $HL_WELFARE/32
		icmp echo
		role welfare
	}
	EOF
}

_hl_err() { echo "handover lab: $*" >&2; return 1; }

hl_up() {
	local d=$1
	HL_DIR=$d
	printf '%s\n' "$HL_PIN" >"$d/pin" && chmod 600 "$d/pin" || return 1
	bash tests/sandbox-users.sh >/dev/null
	lab_up || _hl_err "lab_up" || return 1
	lab_gw_up || _hl_err "lab_gw_up" || return 1
	for a in "$HL_COMMON" "$HL_TAX" "$HL_WELFARE"; do
		n lgwan ip addr add "$a/32" dev lo || return 1
	done
	hl_template >"$d/shared.tmpl"
	lab_gw_prov group set lab "$d/shared.tmpl" >/dev/null &&
	lab_gw_prov device export "$HL_DEVICE" "$d/export" >/dev/null &&
	lab_gw_prov user add s1001 --name 'Tax Clerk' --role tax &&
	lab_gw_prov user pin s1001 --pin-fd 3 3<"$d/pin" &&
	lab_gw_prov card assign s1001 --idm "$HL_IDM_A" &&
	lab_gw_prov user add s1002 --name 'Welfare Clerk' --role welfare &&
	lab_gw_prov user pin s1002 --pin-fd 3 3<"$d/pin" &&
	lab_gw_prov card assign s1002 --idm "$HL_IDM_B" &&
	lab_gw_prov user add s1003 --name 'Welfare Counter' --role welfare &&
	lab_gw_prov user pin s1003 --pin-fd 3 3<"$d/pin" ||
		_hl_err "provisioning the registry" || return 1
	# the gateway reloads the group's ruleset: the role sets exist
	lab_wait_for -t 10 n agency nft list set inet sekisho_gw role_welfare ||
		_hl_err "sekisho-gw did not load the group's new template" || return 1
	mkdir -m 0700 "$d/authd" && "$LAB_BUILD/sekisho-authd" -G "$d/authd" >/dev/null || return 1
	printf 'role * card-pin card-key code-pin\nrole welfare card-pin card-key code-pin biometric-pin\n' \
		>"$d/rules"
	{
		cat "$LAB_DIR/policy.conf"
		echo "verifier {"
		echo "	address $HL_VERIFIER"
		echo "	sign-key $(cat "$d/authd/sign.pub")"
		echo "	seal-key $(cat "$d/authd/seal.pub")"
		echo "}"
	} >"$d/policy.conf"
	netvm_env
	netvm_boot || _hl_err "netvm_boot" || return 1
	netvm_start "$d/policy.conf" || _hl_err "sekishod did not start" || return 1
	lab_work_dhcp && lab_uplink_dhcp && netvm_wait_mode remote ||
		_hl_err "the laptop did not reach remote mode" || return 1
	lab_spawn authd lgwan "$LAB_BUILD/sekisho-authd" -d -r "$LAB_GW_REGISTRY" \
		-k "$d/authd/sign.key" -s "$d/authd/seal.key" -f "$d/rules" \
		-l "$HL_VERIFIER:51831" -j "$d/audit.jsonl" &&
	lab_spawn relay netvm "$LAB_BUILD/sekisho-signon" -d -n "$HL_DEVICE" \
		-k "$d/export/signon.key" -V "$HL_VERIFIER:51831" -S "$(cat "$d/authd/sign.pub")" \
		-E "$(cat "$d/authd/seal.pub")" -l "$LAB_WORK_ROUTER:51832" || return 1
	lab_wait_for -t 10 bash -c "ip netns exec $NS_LGWAN ss -Hlun 'sport = :51831' | grep -q . &&
		ip netns exec $NS_NETVM ss -Hlun 'sport = :51832' | grep -q ." ||
		_hl_err "the verifier or the relay does not listen" || return 1
	cards_up "$d/c" || _hl_err "pcscd + vpcd" || return 1
	card_insert carda 0 --id "$HL_IDM_A" && card_insert cardb 1 --id "$HL_IDM_B"
}

hl_agent() {
	cn_net "$NS_WORK" "$LAB_BUILD/sekisho-agent" "$1" --netvm "$LAB_WORK_ROUTER" \
		--state-dir "$HL_DIR/state" --prints "$HL_DIR/prints" "${@:2}"
}

# hl_finger SCANS... -- SUBCOMMAND ARGS...: the agent with libfprint's
# virtual device (FP_VIRTUAL_DEVICE, exported by the caller), each SCAN
# sent (tests/cards/fpctl.py) once it asks for the finger; its output in
# $HL_DIR/fout and $HL_DIR/ferr.
hl_finger() {
	local cmds=() pid i
	while [ "$1" != -- ]; do cmds+=("$1"); shift; done
	shift
	hl_agent "$@" >"$HL_DIR/fout" 2>"$HL_DIR/ferr" &
	pid=$!
	for ((i = 0; i < 400; i++)); do
		grep -q 'Touch the fingerprint sensor' "$HL_DIR/ferr" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	python3 tests/cards/fpctl.py "$FP_VIRTUAL_DEVICE" "${cmds[@]}"
	wait "$pid"
}

# The elements of a gateway set, addresses only, sorted ("" when empty).
hl_set() {
	n agency nft list set inet sekisho_gw "$1" |
		sed -n '/elements = {/,/}/p' | grep -oE '([0-9]{1,3}\.){3}[0-9]{1,3}' | sort | tr '\n' ' '
}

# From work: one echo request to ADDR answered (1) within 2 s.
hl_reach() { n work ping -n -c 1 -W 2 "$1" >/dev/null 2>&1; }
