# sekisho-authd: the sign-on verifier (docs/sign-on.md). It shares the
# registry: its sources and libraries come from registry/module.mk.
AUTHD_CORE := agency/sekisho-authd/engine.c agency/sekisho-authd/nonce.c \
	agency/sekisho-authd/rules.c agency/sekisho-authd/session.c \
	agency/sekisho-authd/ratelimit.c agency/sekisho-authd/events.c
PROGS += sekisho-authd
sekisho-authd_SRCS := $(AUTHD_CORE) agency/sekisho-authd/sekisho-authd.c $(REGISTRY_SRCS)
$(B)/sekisho-authd: LDFLAGS += $(SANDBOX_LIBS) $(REGISTRY_LIBS)
$(B)/obj/agency/sekisho-authd/%.o $(B)/san/agency/sekisho-authd/%.o: MOD_CFLAGS += $(REGISTRY_CFLAGS)

# The engine against a real registry, SQLite and PostgreSQL.
UNITS += test_authd
test_authd_SRCS := tests/unit/test_authd.c tests/signon/testcard.c $(AUTHD_CORE) $(REGISTRY_SRCS)
$(B)/unit/test_authd: PKG_LIBS += $(REGISTRY_TEST_LIBS)
$(B)/san/tests/unit/test_authd.o: MOD_CFLAGS += $(REGISTRY_CFLAGS)

# The rules file and the verifier's handling of any datagram.
FUZZERS += fuzz_authd_rules
fuzz_authd_rules_SRCS := tests/fuzz/fuzz_authd_rules.c agency/sekisho-authd/rules.c
FUZZERS += fuzz_authd
fuzz_authd_SRCS := tests/fuzz/fuzz_authd.c tests/signon/testcard.c $(AUTHD_CORE) $(REGISTRY_SRCS)
$(B)/fuzz/fuzz_authd: PKG_LIBS += $(REGISTRY_LIBS)
$(B)/fuzz/fuzz_authd: PKG_CFLAGS += $(REGISTRY_CFLAGS)

DEBS += libsqlite3-dev postgresql libpq-dev libargon2-dev
