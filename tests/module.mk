# tests/: the lab's process reaper (make check, demo and bench run under it).
PROGS += subreaper
subreaper_SRCS := tests/lab/subreaper.c

# test_dist (agency/sekisho-bundle-server/module.mk) checks what `sekishoctl
# status` prints about fetches, through the wire as test_netvm does.
test_dist_SRCS += tests/unit/status_wire.c netvm/sekishoctl/show.c
$(B)/unit/test_dist: PKG_LIBS += -ljson-c

# The sandboxed programs' system users (lib/sandbox.h), with the packages.
.PHONY: sandbox-users
deps: sandbox-users
sandbox-users:
	@tests/sandbox-users.sh

# The sandbox's test harness (tests/integration/08-sandbox.sh): enters a
# sandbox and makes forbidden calls; runs sekishod's verifier_run as is.
PROGS += sandbox-harness
sandbox-harness_SRCS := tests/sandbox/sandbox-harness.c netvm/sekishod/bundle_verify.c
$(B)/sandbox-harness: LDFLAGS += $(SANDBOX_LIBS)
# Its test build, build/test/sandbox-harness (Makefile, TEST_SRCS): the
# sandbox with its test hook, $SEKISHO_SANDBOX_DEBUG (08-sandbox).
sandbox-harness_TEST_SRCS := lib/sandbox.c
$(B)/test/sandbox-harness: LDFLAGS += $(SANDBOX_LIBS)

# make bench: tests/bench/beacon.sh times sekisho-probe's round trips with
# this, the way sekishod does (beacon.rtt_us_*).
PROGS += bench-probe-rtt
bench-probe-rtt_SRCS := tests/bench/bench_probe_rtt.c

# tests/integration/81-provision-ldap.sh: sekisho-provision's directory
# search and plan against a slapd the test starts (tests/lab/slapd.sh).
PROGS += prov-ldap-test
prov-ldap-test_SRCS := tests/lab/prov_ldap_test.c $(PROV_IO_SRCS)
$(B)/prov-ldap-test: LDFLAGS += $(PROV_IO_LIBS)

# make bench: tests/bench/provision-io.sh measures sekisho-provision's
# import and list output with this, in process.
PROGS += bench-provio
bench-provio_SRCS := tests/bench/bench_provio.c $(PROV_IO_SRCS)
$(B)/bench-provio: LDFLAGS += $(PROV_IO_LIBS)

# tests/signon/: the agent's side of sign-on in C for the tests
# (tests/integration/88-signon.sh), and the verifier's bench
# (tests/bench/auth.sh).
PROGS += signon-client
signon-client_SRCS := tests/signon/signon-client.c
DEBS += tcpdump sqlite3 ethtool
PROGS += bench-auth
bench-auth_SRCS := tests/signon/bench-auth.c tests/signon/testcard.c $(AUTHD_CORE) $(REGISTRY_SRCS)
$(B)/bench-auth: LDFLAGS += $(REGISTRY_LIBS)
$(B)/obj/tests/signon/bench-auth.o: MOD_CFLAGS += $(REGISTRY_CFLAGS)

# tests/cards/: the virtual smart cards of the sign-on tests (docs/agent.md,
# "Cards in the tests"): the project's own card speaking the vsmartcard vpcd
# protocol, with the real pcscd, the vpcd reader driver and Debian's vicc as
# a second, independent card; tests/cards/cards.sh runs them in a private
# mount and network namespace.
PROGS += vcard
vcard_SRCS := tests/cards/vcard.c
DEBS += pcscd vsmartcard-vpcd vsmartcard-vpicc python3-virtualsmartcard python3-pycryptodome \
	libpcsclite-dev \
	util-linux openssl

# card-sign: the agent's card code asked to sign one digest, checked with
# openssl in tests/integration/92-agent-cards.sh.
PROGS += card-sign
card-sign_SRCS := tests/cards/card_sign.c guestagent/sekisho-agent/card.c guestagent/sekisho-agent/apdu.c \
	guestagent/sekisho-agent/card_name.c \
	guestagent/sekisho-agent/sc_pcsc.c guestagent/sekisho-agent/secret_posix.c
$(B)/obj/tests/cards/card_sign.o: MOD_CFLAGS += $(AGENT_CFLAGS)
$(B)/card-sign: LDFLAGS += -lpcsclite

# pcsc-wait: settles an insertion or a removal in tests/cards/cards.sh.
PROGS += pcsc-wait
pcsc-wait_SRCS := tests/cards/pcsc_wait.c
$(B)/obj/tests/cards/pcsc_wait.o: MOD_CFLAGS += $(AGENT_CFLAGS)
$(B)/pcsc-wait: LDFLAGS += -lpcsclite
