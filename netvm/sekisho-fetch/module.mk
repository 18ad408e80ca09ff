# sekisho-fetch: sekishod's helper that asks the bundle server for a newer
# bundle (docs/distribution.md).
PROGS += sekisho-fetch
sekisho-fetch_SRCS := netvm/sekisho-fetch/sekisho-fetch.c netvm/sekisho-fetch/stream.c
# Its reading of the server's response (stream.c).
FUZZERS += fuzz_fetch_stream
fuzz_fetch_stream_SRCS := tests/fuzz/fuzz_fetch_stream.c netvm/sekisho-fetch/stream.c
$(B)/sekisho-fetch: LDFLAGS += $(SANDBOX_LIBS)
