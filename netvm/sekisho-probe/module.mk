# sekisho-probe: sekishod's sandboxed parser of the beacons' answers.
PROGS += sekisho-probe
sekisho-probe_SRCS := netvm/sekisho-probe/sekisho-probe.c netvm/sekisho-probe/targets.c
# Its target lines (targets.c), the nonce and datagram lines
# (lib/proto/probe_wire.c) and what the kernel says of a datagram on
# sekishod's beacon socket: TTL, receive time, transmit time (lib/udp.c).
FUZZERS += fuzz_probe
fuzz_probe_SRCS := tests/fuzz/fuzz_probe.c netvm/sekisho-probe/targets.c
$(B)/sekisho-probe: LDFLAGS += $(SANDBOX_LIBS)
