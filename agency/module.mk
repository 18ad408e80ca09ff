# agency/: the office-LAN beacon (docs/beacon.md).
# The wire codec and the verification of answers are the laptop's as much as
# the beacon's (sekishod will probe beacons): shared through LIB_SRCS.
LIB_SRCS += agency/beacon_wire.c agency/beacon_sign.c

BEACON_SRCS := agency/beacon_handle.c agency/ratelimit.c agency/beacon_udp.c
PROGS += sekisho-beacon sekisho-beacon-keygen sekisho-beacon-probe
sekisho-beacon_SRCS := agency/sekisho-beacon.c $(BEACON_SRCS)
sekisho-beacon-keygen_SRCS := agency/sekisho-beacon-keygen.c
sekisho-beacon-probe_SRCS := agency/sekisho-beacon-probe.c agency/beacon_probe.c \
	agency/beacon_load.c agency/beacon_udp.c

UNITS += test_beacon
test_beacon_SRCS := tests/unit/test_beacon.c agency/beacon_handle.c agency/ratelimit.c

FUZZERS += fuzz_beacon
fuzz_beacon_SRCS := tests/fuzz/fuzz_beacon.c agency/beacon_wire.c \
	agency/beacon_sign.c agency/beacon_handle.c agency/ratelimit.c
