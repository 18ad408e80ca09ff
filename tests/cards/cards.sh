# shellcheck shell=bash
# A private PC/SC stack for one test run (docs/agent.md, "Cards in the
# tests"): the real pcscd with the vsmartcard vpcd reader driver, in a
# mount namespace of its own (a tmpfs over /run/pcscd, so neither the
# machine's pcscd nor another run's is ever seen or touched) and a network
# namespace of its own (vpcd's ports exist only on that namespace's
# loopback). Cards are the project's vcard (build/vcard) and Debian's vicc;
# a card is inserted by connecting to its reader's port and removed by
# ending it.
#
#   cards_up DIR [READERS]   start the stack; READERS 0 gives a pcscd with
#                            no reader at all (default: vpcd, 2 readers)
#   cards_nopcscd DIR        only the namespaces, no pcscd (no service)
#   cn CMD...                run CMD in the stack's namespaces (cwd kept)
#   cn_net NETNS CMD...      in the stack's mount namespace but the network
#                            namespace NETNS (/run/netns/NETNS): the agent
#                            in the lab's work partition
#   card_insert NAME SLOT ARGS...   vcard in reader SLOT (0 or 1)
#   vicc_insert NAME SLOT           Debian's vicc (an ISO 7816 card with no
#                            staff applet) in reader SLOT
#   card_remove NAME         the card leaves the reader
#   cards_down               ends everything this file started
#
# Readers are "Sekisho Test PCD 00 00" (port CARDS_PORT) and "... 00 01"
# (CARDS_PORT + 1). Everything lives in DIR; every process is a child of
# the test, ended by pid.

CARDS_PORT=${CARDS_PORT:-35963}
CARDS_READER0="Sekisho Test PCD 00 00"
CARDS_READER1="Sekisho Test PCD 00 01"
VCARD=${VCARD:-$PWD/build/vcard}
PCSC_WAIT=${PCSC_WAIT:-$PWD/build/pcsc-wait}
# Debian's python3-virtualsmartcard installs under site-packages, which
# Debian's python3 does not search, and imports PyCrypto as "Crypto" where
# Debian ships pycryptodome as "Cryptodome": both are pointed at here.
CARDS_VICC_PATH=/usr/lib/python3/site-packages/virtualsmartcard

_cards_err() { echo "cards: $*" >&2; return 1; }

# _cards_wait N CMD...: CMD until it succeeds, at most N times 0.05 s.
_cards_wait() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

_cards_holder() {
	CARDS_DIR=$1
	mkdir -p "$CARDS_DIR/pids" "$CARDS_DIR/reader.conf.d"
	chmod 700 "$CARDS_DIR"
	CARDS_PIDS=()
	# pcscd's own directory, which the private mount covers; created once
	# if the machine has no pcscd of its own.
	[ -d /run/pcscd ] || mkdir -p /run/pcscd
	unshare --net --mount --propagation private -- sh -c \
		'mount -t tmpfs -o mode=0755 tmpfs /run/pcscd && ip link set lo up && touch "$0" && exec sleep infinity' \
		"$CARDS_DIR/holder.ready" &
	CARDS_HOLDER=$!
	_cards_wait 100 test -e "$CARDS_DIR/holder.ready" || _cards_err "the namespaces did not come up"
}

# In the background, call nsenter itself (not cn): $! is then the very
# process (nsenter execs its command), which card_remove and cards_down end.
cn() { nsenter -t "$CARDS_HOLDER" -m -r -n --wd="$PWD" -- "$@"; }
cn_net() {
	local ns=$1
	shift
	nsenter -t "$CARDS_HOLDER" -m -r --net="/run/netns/$ns" --wd="$PWD" -- "$@"
}

cards_nopcscd() { _cards_holder "$1"; }

cards_up() {
	local readers=${2:-2}
	_cards_holder "$1" || return 1
	if [ "$readers" != 0 ]; then
		printf 'FRIENDLYNAME "Sekisho Test PCD"\nDEVICENAME   /dev/null:%d\nLIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID    %d\n' \
			"$CARDS_PORT" "$CARDS_PORT" >"$CARDS_DIR/reader.conf.d/vpcd"
	fi
	# No --apdu: the log would hold the PIN's VERIFY.
	nsenter -t "$CARDS_HOLDER" -m -r -n -- pcscd --foreground --config "$CARDS_DIR/reader.conf.d" \
		>"$CARDS_DIR/pcscd.log" 2>&1 &
	CARDS_PIDS+=($!)
	_cards_wait 200 cn test -S /run/pcscd/pcscd.comm || _cards_err "pcscd did not start" || return 1
	if [ "$readers" != 0 ]; then
		_cards_wait 200 _cards_listening "$CARDS_PORT" &&
			_cards_wait 200 _cards_listening $((CARDS_PORT + 1)) ||
			_cards_err "vpcd does not listen" || return 1
	fi
}

_cards_listening() { cn ss -Hltn "sport = :$1" | grep -q LISTEN; }

card_insert() {
	local name=$1 slot=$2
	shift 2
	nsenter -t "$CARDS_HOLDER" -m -r -n --wd="$PWD" -- "$VCARD" --port $((CARDS_PORT + slot)) "$@" \
		>>"$CARDS_DIR/$name.log" 2>&1 &
	echo "$! $slot" >"$CARDS_DIR/pids/$name"
	# Inserted once pcscd reports the card in its reader.
	cn "$PCSC_WAIT" present "$(_cards_reader "$slot")" 10 || _cards_err "card $name not in the reader"
}

_cards_reader() { if [ "$1" = 0 ]; then echo "$CARDS_READER0"; else echo "$CARDS_READER1"; fi; }

vicc_insert() {
	local name=$1 slot=$2
	mkdir -p "$CARDS_DIR/pyshim"
	ln -sfn /usr/lib/python3/dist-packages/Cryptodome "$CARDS_DIR/pyshim/Crypto"
	PYTHONPATH="$CARDS_DIR/pyshim:$CARDS_VICC_PATH" nsenter -t "$CARDS_HOLDER" -m -r -n -- \
		/usr/bin/python3 /usr/bin/vicc -vvv \
		-t iso7816 -H 127.0.0.1 -P $((CARDS_PORT + slot)) >>"$CARDS_DIR/$name.log" 2>&1 &
	echo "$! $slot" >"$CARDS_DIR/pids/$name"
	cn "$PCSC_WAIT" present "$(_cards_reader "$slot")" 20 || _cards_err "vicc $name not in the reader"
}

card_remove() {
	local pid slot
	[ -r "$CARDS_DIR/pids/$1" ] || return 0
	read -r pid slot <"$CARDS_DIR/pids/$1"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$CARDS_DIR/pids/$1"
	# Removed once pcscd reports the reader empty.
	cn "$PCSC_WAIT" empty "$(_cards_reader "$slot")" 10 || _cards_err "card $1 still in the reader"
}

cards_down() {
	local f pid
	[ -n "${CARDS_DIR:-}" ] || return 0
	for f in "$CARDS_DIR"/pids/*; do
		[ -e "$f" ] || continue
		read -r pid _ <"$f"
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		rm -f "$f"
	done
	for pid in "${CARDS_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	CARDS_PIDS=()
	if [ -n "${CARDS_HOLDER:-}" ]; then
		kill -TERM "$CARDS_HOLDER" 2>/dev/null
		wait "$CARDS_HOLDER" 2>/dev/null
		CARDS_HOLDER=
	fi
}
