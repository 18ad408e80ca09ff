# registry/: the registry (docs/provisioning.md): one interface, two
# backends (SQLite, PostgreSQL), the versioned schema, the rows. A layer of
# its own between lib/policy and the programs, for the programs that share
# the registry (sekisho-provision; the gateway daemon to come) and only
# them: its sources are not in LIB_SRCS, a program lists them and links
# REGISTRY_LIBS.
REGISTRY_SRCS := registry/registry.c registry/sqlite.c registry/pg.c registry/schema.c \
	registry/ops.c registry/otpcode.c registry/feed.c registry/session.c \
	registry/devpolicy.c registry/feedseq.c registry/signon.c registry/pqload.c
# libpq is not linked: registry/pqload.c loads it at the first PostgreSQL
# URL (its 27 libraries cost every start ~3 ms). A test that calls libpq
# itself links it (REGISTRY_TEST_LIBS).
REGISTRY_LIBS := -lsqlite3 -largon2
REGISTRY_TEST_LIBS := $(REGISTRY_LIBS) -lpq
REGISTRY_CFLAGS := -I/usr/include/postgresql

UNITS += test_registry
test_registry_SRCS := tests/unit/test_registry.c $(REGISTRY_SRCS)
$(B)/unit/test_registry: PKG_LIBS += $(REGISTRY_TEST_LIBS)
$(B)/obj/registry/%.o $(B)/san/registry/%.o $(B)/san/tests/unit/test_registry.o: MOD_CFLAGS += $(REGISTRY_CFLAGS)

# One-time codes come from the sign-on path: their parser is fuzzed.
FUZZERS += fuzz_otpcode
fuzz_otpcode_SRCS := tests/fuzz/fuzz_otpcode.c registry/otpcode.c

# The change feed's NOTIFY payload comes from whoever may NOTIFY: fuzzed.
FUZZERS += fuzz_feedseq
fuzz_feedseq_SRCS := tests/fuzz/fuzz_feedseq.c registry/feedseq.c

DEBS += libsqlite3-dev postgresql libpq-dev libargon2-dev

# make bench: tests/bench/gwfeed.sh times the change feed (a commit to the
# follower having the row) on both backends with this.
PROGS += bench-gwfeed
bench-gwfeed_SRCS := tests/bench/bench_gwfeed.c $(REGISTRY_SRCS)
$(B)/bench-gwfeed: LDFLAGS += $(REGISTRY_LIBS)
$(B)/obj/tests/bench/bench_gwfeed.o: MOD_CFLAGS += $(REGISTRY_CFLAGS)
