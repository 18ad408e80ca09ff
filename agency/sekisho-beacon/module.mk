# sekisho-beacon: the office-LAN beacon (docs/beacon.md).
PROGS += sekisho-beacon
sekisho-beacon_SRCS := $(wildcard agency/sekisho-beacon/*.c)
UNITS += test_beacon
test_beacon_SRCS := tests/unit/test_beacon.c agency/sekisho-beacon/beacon_handle.c agency/sekisho-beacon/ratelimit.c
FUZZERS += fuzz_beacon
fuzz_beacon_SRCS := tests/fuzz/fuzz_beacon.c agency/sekisho-beacon/beacon_handle.c agency/sekisho-beacon/ratelimit.c
$(B)/sekisho-beacon: LDFLAGS += $(SANDBOX_LIBS)
