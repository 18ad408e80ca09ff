#include "guestagent/sekisho-agent/card.h"

#include <stdio.h>
#include <string.h>

#include "lib/util.h"

/* One command; the answer's SW, or a negative SC_E_*. */
static int
xfer(struct sc *s, const uint8_t *cmd, int n, uint8_t *resp, size_t *rlen)
{
	int e;

	if (n < 0)
		return CARD_E_BAD;
	if ((e = sc_transmit(s, cmd, (size_t)n, resp, APDU_RESP_MAX, rlen)) != SC_OK)
		return e;
	if (*rlen < 2)
		return CARD_E_BAD;
	return apdu_sw(resp, *rlen);
}

/* The PIV certificate object, joined from its GET RESPONSE parts. */
static int
read_cert_object(struct sc *s, uint8_t *obj, size_t *olen)
{
	uint8_t cmd[APDU_MAX], resp[APDU_RESP_MAX];
	size_t rlen, n = 0;
	int sw, parts = 0;

	sw = xfer(s, cmd, apdu_get_cert(cmd), resp, &rlen);
	for (;;) {
		if (sw < 0)
			return sw;
		if (sw != SW_OK && (sw & 0xFF00) != 0x6100)
			return CARD_E_BAD;
		if (n + rlen - 2 > APDU_CERT_MAX || ++parts > 16)
			return CARD_E_BAD;
		memcpy(obj + n, resp, rlen - 2);
		n += rlen - 2;
		if (sw == SW_OK)
			break;
		sw = xfer(s, cmd, apdu_get_response(cmd, (uint8_t)(sw & 0xFF)), resp, &rlen);
	}
	*olen = n;
	return 0;
}

int
card_identify(struct sc *s, struct card_info *ci)
{
	uint8_t cmd[APDU_MAX], resp[APDU_RESP_MAX], atr[SC_ATR_MAX];
	uint8_t obj[APDU_CERT_MAX];
	const uint8_t *cert;
	size_t rlen, atr_len, olen, cl;
	int sw, e, contactless;

	memset(ci, 0, sizeof(*ci));
	if ((e = sc_atr(s, atr, &atr_len)) != SC_OK)
		return e;
	contactless = card_atr_contactless(atr, atr_len);
	sw = xfer(s, cmd, apdu_select_piv(cmd), resp, &rlen);
	if (sw < 0)
		return sw;
	if (sw == SW_OK) {
		ci->keyed = 1;
		if ((e = read_cert_object(s, obj, &olen)) < 0)
			return e;
		if (apdu_parse_cert_object(obj, olen, &cert, &cl) < 0 ||
		    card_cert_pub(cert, cl, ci->pub) < 0 ||
		    card_pub_name(ci->name, sizeof(ci->name), ci->pub) < 0)
			return CARD_E_BAD;
	} else if (!contactless)
		return CARD_E_NOT_STAFF;
	/* The identifier: a keyed card may have none. */
	if (contactless) {
		sw = xfer(s, cmd, apdu_get_uid(cmd), resp, &rlen);
		if (sw < 0)
			return sw;
		if (apdu_parse_uid(resp, rlen, ci->id, &ci->id_len) == 0) {
			size_t i;
			for (i = 0; i < ci->id_len; i++)
				snprintf(ci->id_hex + 2 * i, 3, "%02X", ci->id[i]);
		} else if (!ci->keyed)
			return CARD_E_NOT_STAFF;
	}
	if (!ci->keyed)
		sk_strlcpy(ci->name, ci->id_hex, sizeof(ci->name));
	return 0;
}

int
card_verify_pin(struct sc *s, const char *pin, size_t pin_len, int *tries)
{
	uint8_t cmd[APDU_MAX], resp[APDU_RESP_MAX];
	size_t rlen;
	int sw;

	/* The caller checks the length first (APDU_PIN_MIN..APDU_PIN_MAX). */
	sw = xfer(s, cmd, apdu_verify_pin(cmd, pin, pin_len), resp, &rlen);
	wipe(cmd, sizeof(cmd));
	if (sw < 0)
		return sw;
	return apdu_parse_verify(resp, rlen, tries);
}

int
card_pin_status(struct sc *s, int *tries)
{
	uint8_t cmd[APDU_MAX], resp[APDU_RESP_MAX];
	size_t rlen;
	int sw;

	sw = xfer(s, cmd, apdu_verify_status(cmd), resp, &rlen);
	if (sw < 0)
		return sw;
	return apdu_parse_verify(resp, rlen, tries);
}

int
card_sign(struct sc *s, const uint8_t digest[APDU_DIGEST_LEN], uint8_t sig[64])
{
	uint8_t cmd[APDU_MAX], resp[APDU_RESP_MAX], der[APDU_SIG_MAX];
	size_t rlen, dl;
	int sw;

	sw = xfer(s, cmd, apdu_general_auth(cmd, digest), resp, &rlen);
	if (sw < 0)
		return sw;
	if (apdu_parse_general_auth(resp, rlen, der, &dl) < 0 ||
	    apdu_sig_der_to_raw(der, dl, sig) < 0)
		return CARD_E_BAD;
	return 0;
}
