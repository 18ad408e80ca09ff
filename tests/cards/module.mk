# tests/cards/: the virtual smart cards of the sign-on tests (docs/sign-on.md,
# "Cards in the tests"): the project's own card speaking the vsmartcard vpcd
# protocol, with the real pcscd, the vpcd reader driver and Debian's vicc as
# a second, independent card. tests/cards/cards.sh runs them in a private
# mount and network namespace.
PROGS += vcard
vcard_SRCS := tests/cards/vcard.c
DEBS += pcscd vsmartcard-vpcd vsmartcard-vpicc python3-virtualsmartcard libpcsclite-dev \
	util-linux openssl

# card-sign: the agent's card code asked to sign one digest, checked with
# openssl in tests/integration/85-agent-cards.sh.
PROGS += card-sign
card-sign_SRCS := tests/cards/card_sign.c guestagent/sekisho-agent/card.c guestagent/sekisho-agent/apdu.c \
	guestagent/sekisho-agent/sc_pcsc.c guestagent/sekisho-agent/secret_posix.c
$(B)/obj/tests/cards/card_sign.o: MOD_CFLAGS += $(AGENT_CFLAGS)
$(B)/card-sign: LDFLAGS += -lpcsclite

# pcsc-wait: settles an insertion or a removal in tests/cards/cards.sh.
PROGS += pcsc-wait
pcsc-wait_SRCS := tests/cards/pcsc_wait.c
$(B)/obj/tests/cards/pcsc_wait.o: MOD_CFLAGS += $(AGENT_CFLAGS)
$(B)/pcsc-wait: LDFLAGS += -lpcsclite
