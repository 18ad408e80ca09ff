# tests/signon/: the agent's side of sign-on in C for the tests
# (tests/integration/84-signon.sh), and the verifier's bench
# (tests/bench/auth.sh).
PROGS += signon-client
signon-client_SRCS := tests/signon/signon-client.c
DEBS += tcpdump
