# lib/: what every program shares (logging, buffers, encodings, files,
# processes, UDP with TTL 255, loading nftables text) and lib/proto/, the
# wire formats that two programs speak (docs/architecture.md, "Layers").
# Everything here goes into libsekisho.a; a program links what it uses.
LIB_SRCS += lib/log.c lib/encode.c lib/util.c lib/buf.c lib/proc.c lib/udp.c lib/ifname.c lib/cli.c lib/secfile.c \
	lib/nftload.c lib/notify.c
LIB_SRCS += lib/proto/beacon_wire.c lib/proto/beacon_sign.c lib/proto/dist_wire.c

UNITS += test_lib
test_lib_SRCS := tests/unit/test_lib.c

# The bundle distribution codec (docs/distribution.md).
FUZZERS += fuzz_dist_wire
fuzz_dist_wire_SRCS := tests/fuzz/fuzz_dist_wire.c
