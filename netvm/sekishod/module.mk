# sekishod: the netvm daemon (docs/architecture.md).
SEKISHOD_SRCS := $(filter-out netvm/sekishod/sekishod.c,$(wildcard netvm/sekishod/*.c))
PROGS += sekishod
sekishod_SRCS := netvm/sekishod/sekishod.c $(SEKISHOD_SRCS)
UNITS += test_engine test_netvm test_office test_dns
# The resolver choice and the checker's lines (dnspick.c), the DNS codec
# and the ruleset's DNS part (lib/proto/dns_wire.c, policy/render/fw_dns.c).
test_dns_SRCS := tests/unit/test_dns.c netvm/sekishod/dnspick.c
FUZZERS += fuzz_dns_lines
fuzz_dns_lines_SRCS := tests/fuzz/fuzz_dns_lines.c netvm/sekishod/dnspick.c
test_engine_SRCS := tests/unit/test_engine.c netvm/sekishod/engine.c
# Element batches (nfset.c) as nft encodes them, and the model's split of a
# change into elements only (policy/render/fw_model.c).
UNITS += test_nfset
test_nfset_SRCS := tests/unit/test_nfset.c netvm/sekishod/nfset.c
test_office_SRCS := tests/unit/test_office.c netvm/sekishod/office.c netvm/sekishod/route.c \
	netvm/sekishod/live.c netvm/sekishod/timers.c netvm/sekishod/bverify.c
# It asks the real signature checker (netvm/sekisho-beacon-verify) and
# runs the real sekisho-probe.
$(B)/unit/test_office: | $(B)/sekisho-beacon-verify $(B)/sekisho-probe
# test_netvm checks what sekishoctl prints from sekishod's status, through
# the wire (tests/unit/status_wire.c), so it has sekishoctl's printer too.
test_netvm_SRCS := tests/unit/test_netvm.c netvm/sekishod/control.c \
	netvm/sekishod/live.c netvm/sekishod/trust.c netvm/sekishod/bundle_verify.c \
	netvm/sekishod/status.c netvm/sekishod/engine.c netvm/sekishod/rtnl.c netvm/sekishod/timers.c \
	tests/unit/status_wire.c netvm/sekishoctl/show.c
$(B)/unit/test_netvm: PKG_LIBS += -ljson-c
FUZZERS += fuzz_rtnl
fuzz_rtnl_SRCS := tests/fuzz/fuzz_rtnl.c netvm/sekishod/engine.c netvm/sekishod/rtnl.c
FUZZERS += fuzz_trust
fuzz_trust_SRCS := tests/fuzz/fuzz_trust.c netvm/sekishod/trust.c
FUZZERS += fuzz_helper_lines
# sekisho-probe's lines (lib/proto/probe_wire.c) and office.c's check of an answer.
fuzz_helper_lines_SRCS := tests/fuzz/fuzz_helper_lines.c netvm/sekishod/bundle_verify.c \
	netvm/sekishod/bverify.c netvm/sekishod/office.c netvm/sekishod/route.c netvm/sekishod/live.c netvm/sekishod/timers.c
# The office proof kept across a restart (office_proof_parse).
FUZZERS += fuzz_office_proof
fuzz_office_proof_SRCS := tests/fuzz/fuzz_office_proof.c netvm/sekishod/office.c netvm/sekishod/bverify.c \
	netvm/sekishod/route.c netvm/sekishod/live.c netvm/sekishod/timers.c
# bundle_verify.c starts the verifying helper in the sandbox (lib/sandbox.h).
$(B)/sekishod: LDFLAGS += $(SANDBOX_LIBS)
$(B)/unit/test_netvm: PKG_LIBS += $(SANDBOX_LIBS)
# The parent <-> frontend messages (imsg.h): both directions.
FUZZERS += fuzz_imsg
fuzz_imsg_SRCS := tests/fuzz/fuzz_imsg.c netvm/sekishod/imsg.c
# The parent's side of the frontend: requests out of bounds refused; the
# frontend's clients (clients.c): fair between the sockets, limited from work.
UNITS += test_frontend
test_frontend_SRCS := tests/unit/test_frontend.c netvm/sekishod/frontend.c \
	netvm/sekishod/clients.c netvm/sekishod/imsg.c netvm/sekishod/control.c netvm/sekishod/status.c \
	netvm/sekishod/engine.c netvm/sekishod/live.c netvm/sekishod/trust.c \
	netvm/sekishod/bundle_verify.c netvm/sekishod/rtnl.c netvm/sekishod/timers.c \
	netvm/sekishod/child.c
$(B)/unit/test_frontend: PKG_LIBS += $(SANDBOX_LIBS)
# accept_commit cut at each step (fault injection through accept_cut).
UNITS += test_accept
test_accept_SRCS := tests/unit/test_accept.c netvm/sekishod/accept.c \
	netvm/sekishod/bundle_verify.c netvm/sekishod/trust.c
# and inside its writes: rename wrapped, so that a test can die in it.
$(B)/unit/test_accept: PKG_LIBS += $(SANDBOX_LIBS) -Wl,--wrap=rename
# 23-work-privilege checks that sekishod's parent is not dumpable by attaching.
DEBS += strace
# 63-live-v6-key: work as a DHCPv6 client (dhclient) and its router
# solicitation (rdisc6)
DEBS += isc-dhcp-client ndisc6
# The parent <-> engine messages (engmsg.h) and the bounds the parent
# holds the engine's actions to (engcheck.h).
UNITS += test_engproc
test_engproc_SRCS := tests/unit/test_engproc.c netvm/sekishod/engmsg.c \
	netvm/sekishod/engcheck.c netvm/sekishod/engine.c netvm/sekishod/dnspick.c
FUZZERS += fuzz_engmsg
fuzz_engmsg_SRCS := tests/fuzz/fuzz_engmsg.c netvm/sekishod/engmsg.c netvm/sekishod/engine.c netvm/sekishod/dnspick.c
