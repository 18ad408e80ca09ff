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

# Bundle distribution (docs/distribution.md): the wire codec is the laptop's
# (netvm/sekisho-fetch) as much as the server's: shared through LIB_SRCS.
LIB_SRCS += agency/dist_wire.c
PROGS += sekisho-bundle-server
sekisho-bundle-server_SRCS := agency/sekisho-bundle-server.c agency/dist_serve.c
UNITS += test_dist
test_dist_SRCS := tests/unit/test_dist.c agency/dist_serve.c netvm/fetch.c netvm/timers.c \
	netvm/status.c netvm/engine.c
FUZZERS += fuzz_dist_wire
fuzz_dist_wire_SRCS := tests/fuzz/fuzz_dist_wire.c
