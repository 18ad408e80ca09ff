# sekisho-gw: the agency's WireGuard gateway fed from the registry (docs/gateway.md).
PROGS += sekisho-gw
sekisho-gw_SRCS := $(wildcard agency/sekisho-gw/*.c) $(REGISTRY_SRCS)
$(B)/sekisho-gw: LDFLAGS += $(REGISTRY_LIBS) $(SANDBOX_LIBS) -pthread
$(B)/obj/agency/sekisho-gw/%.o: MOD_CFLAGS += $(REGISTRY_CFLAGS)
# The engine alone, with no kernel (tests/unit/test_gw.c), and the
# conntrack flush's match of a dumped entry against a batch (ct.c), and
# the session socket's answers written without waiting (sessd.c), and a
# session's elements as one nfnetlink batch (stage.c).
UNITS += test_gw
test_gw_SRCS := tests/unit/test_gw.c agency/sekisho-gw/engine.c agency/sekisho-gw/ct.c \
	agency/sekisho-gw/sessd.c agency/sekisho-gw/stage.c
# The session socket's messages (lib/proto/gwsess_wire.c) come from local
# clients: fuzzed.
FUZZERS += fuzz_gwsess
fuzz_gwsess_SRCS := tests/fuzz/fuzz_gwsess.c
# 84-gw reads the agency's tracked connections with conntrack(8); the
# daemon itself speaks ctnetlink through libmnl. 79-gw-idle traces the
# idle gateway with strace(1).
DEBS += conntrack strace
