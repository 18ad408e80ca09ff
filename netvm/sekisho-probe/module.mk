# sekisho-probe: sekishod's helper that challenges a beacon on one uplink.
PROGS += sekisho-probe
sekisho-probe_SRCS := netvm/sekisho-probe/sekisho-probe.c netvm/sekisho-probe/targets.c
# Its target lines (targets.c) and the TTL of an answer (lib/udp.c).
FUZZERS += fuzz_probe
fuzz_probe_SRCS := tests/fuzz/fuzz_probe.c netvm/sekisho-probe/targets.c
$(B)/sekisho-probe: LDFLAGS += $(SANDBOX_LIBS)
# make bench: tests/bench/beacon.sh times the probe's round trips with this,
# the way sekishod does (beacon.rtt_us_*).
PROGS += bench-probe-rtt
bench-probe-rtt_SRCS := tests/bench/bench_probe_rtt.c
