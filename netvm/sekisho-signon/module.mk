# sekisho-signon: the netvm's sign-on relay (docs/sign-on.md).
PROGS += sekisho-signon
sekisho-signon_SRCS := netvm/sekisho-signon/sekisho-signon.c netvm/sekisho-signon/relay.c
$(B)/sekisho-signon: LDFLAGS += $(SANDBOX_LIBS)
UNITS += test_signon_relay
test_signon_relay_SRCS := tests/unit/test_signon_relay.c netvm/sekisho-signon/relay.c
# What the work link and the network send it.
FUZZERS += fuzz_signon_relay
fuzz_signon_relay_SRCS := tests/fuzz/fuzz_signon_relay.c netvm/sekisho-signon/relay.c
