# tests/cards/: the virtual smart cards of the sign-on tests (docs/sign-on.md,
# "Cards in the tests"): the project's own card speaking the vsmartcard vpcd
# protocol, with the real pcscd, the vpcd reader driver and Debian's vicc as
# a second, independent card. tests/cards/cards.sh runs them in a private
# mount and network namespace.
PROGS += vcard
vcard_SRCS := tests/cards/vcard.c
DEBS += pcscd vsmartcard-vpcd vsmartcard-vpicc python3-virtualsmartcard libpcsclite-dev \
	util-linux openssl
