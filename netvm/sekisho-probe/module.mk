# sekisho-probe: sekishod's helper that challenges a beacon on one uplink.
PROGS += sekisho-probe
sekisho-probe_SRCS := netvm/sekisho-probe/sekisho-probe.c netvm/sekisho-probe/targets.c
# Its target lines (targets.c), the nonce lines (lib/proto/probe_wire.c) and
# what the kernel says of an answer: TTL, receive time (lib/udp.c).
FUZZERS += fuzz_probe
fuzz_probe_SRCS := tests/fuzz/fuzz_probe.c netvm/sekisho-probe/targets.c
$(B)/sekisho-probe: LDFLAGS += $(SANDBOX_LIBS)
