# sekisho-agent: sign-on in the work partition (docs/agent.md). Platform
# code behind sc.h (pcsc-lite), bio.h (libfprint), link.h (UDP) and
# secret.h (the terminal), ui.h (none on Linux): the Windows build
# (win.mk, make win) swaps those files.
PROGS += sekisho-agent
sekisho-agent_SRCS := $(filter-out %_win.c %_winbio.c,$(wildcard guestagent/sekisho-agent/*.c))
AGENT_PKGS := libpcsclite libfprint-2
# glib's and libfprint's headers do not pass the project's warnings:
# included as system headers.
AGENT_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags $(AGENT_PKGS) 2>/dev/null))
$(B)/obj/guestagent/sekisho-agent/%.o: MOD_CFLAGS += $(AGENT_CFLAGS)
$(B)/sekisho-agent: LDFLAGS += $(shell pkg-config --libs $(AGENT_PKGS) 2>/dev/null) -lpthread

# The pure parts: APDUs, the card answers, what the agent tells the user,
# the netvm's answers, the session file.
AGENT_PURE_SRCS := guestagent/sekisho-agent/apdu.c guestagent/sekisho-agent/outcome.c \
	guestagent/sekisho-agent/card_name.c guestagent/sekisho-agent/outbox.c \
	guestagent/sekisho-agent/lock_posix.c \
	guestagent/sekisho-agent/client.c guestagent/sekisho-agent/state.c \
	guestagent/sekisho-agent/netvm.c guestagent/sekisho-agent/ctlink_posix.c
UNITS += test_agent
test_agent_SRCS := tests/unit/test_agent.c $(AGENT_PURE_SRCS) guestagent/sekisho-agent/link_udp.c \
	guestagent/sekisho-agent/secret_posix.c
# Every answer a card gives the agent, and every answer of the netvm (the
# relay's and the control socket's: netvm_decode).
FUZZERS += fuzz_apdu fuzz_agent_answer fuzz_outbox
fuzz_apdu_SRCS := tests/fuzz/fuzz_apdu.c guestagent/sekisho-agent/apdu.c guestagent/sekisho-agent/card_name.c
fuzz_agent_answer_SRCS := tests/fuzz/fuzz_agent_answer.c $(AGENT_PURE_SRCS) guestagent/sekisho-agent/link_udp.c
# The outbox file's lines (a file the work partition's user can write).
fuzz_outbox_SRCS := tests/fuzz/fuzz_outbox.c guestagent/sekisho-agent/outbox.c \
	guestagent/sekisho-agent/lock_posix.c

DEBS += libpcsclite-dev libfprint-2-dev libglib2.0-dev

include guestagent/sekisho-agent/win.mk
