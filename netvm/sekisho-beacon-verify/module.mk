# sekisho-beacon-verify: sekishod's sandboxed Ed25519 check of a beacon's
# answer, so that sekishod links no libcrypto (docs/beacon.md).
PROGS += sekisho-beacon-verify
sekisho-beacon-verify_SRCS := netvm/sekisho-beacon-verify/sekisho-beacon-verify.c
# Ed25519 from GNU Nettle (hogweed), not libcrypto: a small resident set.
$(B)/sekisho-beacon-verify: LDFLAGS += $(SANDBOX_LIBS) -lhogweed -lnettle
DEBS += nettle-dev
# Its requests and replies (lib/proto/bverify_wire.c).
UNITS += test_bverify_wire
test_bverify_wire_SRCS := tests/unit/test_bverify_wire.c
FUZZERS += fuzz_bverify_wire
fuzz_bverify_wire_SRCS := tests/fuzz/fuzz_bverify_wire.c
