# sekisho-bundle-server: serves signed bundles to laptops (docs/distribution.md).
PROGS += sekisho-bundle-server
sekisho-bundle-server_SRCS := $(wildcard agency/sekisho-bundle-server/*.c)
UNITS += test_dist
test_dist_SRCS := tests/unit/test_dist.c agency/sekisho-bundle-server/dist_serve.c netvm/sekishod/fetcher.c netvm/sekishod/timers.c \
	netvm/sekishod/status.c netvm/sekishod/engine.c
$(B)/sekisho-bundle-server: LDFLAGS += $(SANDBOX_LIBS)
