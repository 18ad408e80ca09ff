# sekisho-bundle-server: serves signed bundles to laptops (docs/distribution.md).
PROGS += sekisho-bundle-server
sekisho-bundle-server_SRCS := $(wildcard agency/sekisho-bundle-server/*.c)
UNITS += test_dist
test_dist_SRCS := tests/unit/test_dist.c agency/sekisho-bundle-server/dist_serve.c netvm/sekishod/fetcher.c netvm/sekishod/timers.c \
	netvm/sekishod/status.c netvm/sekishod/engine.c netvm/sekishod/freshness.c
# dist_serve on a fuzzed file: newer only for a bundle of the device above
# the request's serial, and then exactly the file's bytes.
FUZZERS += fuzz_dist_serve
fuzz_dist_serve_SRCS := tests/fuzz/fuzz_dist_serve.c agency/sekisho-bundle-server/dist_serve.c
$(B)/sekisho-bundle-server: LDFLAGS += $(SANDBOX_LIBS)
