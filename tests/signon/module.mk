# tests/signon/: the agent's side of sign-on in C for the tests
# (tests/integration/84-signon.sh), and the verifier's bench
# (tests/bench/auth.sh).
PROGS += signon-client
signon-client_SRCS := tests/signon/signon-client.c
DEBS += tcpdump
PROGS += bench-auth
bench-auth_SRCS := tests/signon/bench-auth.c tests/signon/testcard.c $(AUTHD_CORE) $(REGISTRY_SRCS)
$(B)/bench-auth: LDFLAGS += $(REGISTRY_LIBS)
$(B)/obj/tests/signon/bench-auth.o: MOD_CFLAGS += $(REGISTRY_CFLAGS)
