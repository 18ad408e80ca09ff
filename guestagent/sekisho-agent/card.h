/*
 * What sign-on reads from a staff card and asks of it, over the smart card
 * interface (sc.h); the commands are apdu.h's. Platform-free: the Windows
 * build uses this file as is.
 *
 * A card is taken as:
 *   keyed       it has the PIV applet (SELECT answers 90 00): its
 *               certificate's P-256 key names it to the verifier
 *               ("pk:" + base64 of the compressed point, as `sekisho-provision
 *               card assign --pubkey` takes it); it checks the PIN itself
 *               and signs the verifier's challenge;
 *   identifier  a contactless card behind a PC/SC reader (its ATR is the
 *               reader's PC/SC part 3 one, 3B 8x 80 01 ...): GET DATA
 *               gives its FeliCa IDm or MIFARE UID, named in upper-case hex;
 *   anything else is not a staff card (CARD_E_NOT_STAFF).
 */
#ifndef SK_AGENT_CARD_H
#define SK_AGENT_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "guestagent/sekisho-agent/apdu.h"
#include "guestagent/sekisho-agent/sc.h"

#define CARD_NAME_MAX	64	/* SIGNON_CARD_LEN */
#define CARD_PUB_LEN	33	/* compressed SEC1 P-256 point */

enum card_err {
	/* the sc_err values (SC_E_*) pass through, and: */
	CARD_E_NOT_STAFF = -20,	/* no identifier, no applet */
	CARD_E_BAD = -21,	/* an answer that makes no sense */
};

struct card_info {
	int	keyed;
	uint8_t	id[APDU_ID_MAX];	/* GET DATA, may be empty on a keyed card */
	size_t	id_len;
	uint8_t	pub[CARD_PUB_LEN];	/* keyed */
	char	name[CARD_NAME_MAX + 1];/* the registry's card id */
	char	id_hex[2 * APDU_ID_MAX + 1];
};

/* 1 if atr is a PC/SC part 3 contactless ATR (3B 8x 80 01 ...). */
int card_atr_contactless(const uint8_t *atr, size_t len);
/* The registry's card id of a public key: "pk:" + base64 (45 bytes room). */
int card_pub_name(char *out, size_t outlen, const uint8_t pub[CARD_PUB_LEN]);
/* A certificate (DER) to its compressed P-256 point: 0 or -1. */
int card_cert_pub(const uint8_t *der, size_t len, uint8_t pub[CARD_PUB_LEN]);

/* Reads what names the card: 0, an SC_E_* or a CARD_E_*. */
int card_identify(struct sc *s, struct card_info *ci);
/* VERIFY on a keyed card: enum apdu_pin_status (>= 0, *tries for
 * APDU_PIN_WRONG) or an SC_E_* when the card went away. */
int card_verify_pin(struct sc *s, const char *pin, size_t pin_len, int *tries);
/* VERIFY without a PIN: the card's state, nothing tried (APDU_PIN_WRONG:
 * not verified, *tries left), or an SC_E_*. */
int card_pin_status(struct sc *s, int *tries);
/* GENERAL AUTHENTICATE over digest: sig = r|s. 0, SC_E_* or CARD_E_BAD. */
int card_sign(struct sc *s, const uint8_t digest[APDU_DIGEST_LEN], uint8_t sig[64]);

#endif
