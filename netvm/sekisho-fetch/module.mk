# sekisho-fetch: sekishod's helper that asks the bundle server for a newer
# bundle (docs/distribution.md).
PROGS += sekisho-fetch
sekisho-fetch_SRCS := netvm/sekisho-fetch/sekisho-fetch.c
$(B)/sekisho-fetch: LDFLAGS += $(SANDBOX_LIBS)
