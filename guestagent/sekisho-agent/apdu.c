#include "guestagent/sekisho-agent/apdu.h"

#include <string.h>

static const uint8_t PIV_AID[] = { 0xA0, 0x00, 0x00, 0x03, 0x08, 0x00, 0x00,
    0x10, 0x00 };

int
apdu_get_uid(uint8_t *out)
{
	static const uint8_t c[] = { 0xFF, 0xCA, 0x00, 0x00, 0x00 };

	memcpy(out, c, sizeof(c));
	return (int)sizeof(c);
}

int
apdu_select_piv(uint8_t *out)
{
	static const uint8_t h[] = { 0x00, 0xA4, 0x04, 0x00, sizeof(PIV_AID) };

	memcpy(out, h, sizeof(h));
	memcpy(out + sizeof(h), PIV_AID, sizeof(PIV_AID));
	out[sizeof(h) + sizeof(PIV_AID)] = 0x00;
	return (int)(sizeof(h) + sizeof(PIV_AID) + 1);
}

int
apdu_get_cert(uint8_t *out)
{
	/* The PIV Authentication certificate, object 5F C1 05. */
	static const uint8_t c[] = { 0x00, 0xCB, 0x3F, 0xFF, 0x05, 0x5C, 0x03,
	    0x5F, 0xC1, 0x05, 0x00 };

	memcpy(out, c, sizeof(c));
	return (int)sizeof(c);
}

int
apdu_get_response(uint8_t *out, uint8_t le)
{
	out[0] = 0x00;
	out[1] = 0xC0;
	out[2] = 0x00;
	out[3] = 0x00;
	out[4] = le;
	return 5;
}

int
apdu_verify_pin(uint8_t *out, const char *pin, size_t pin_len)
{
	static const uint8_t h[] = { 0x00, 0x20, 0x00, 0x80, 0x08 };

	if (pin_len < APDU_PIN_MIN || pin_len > APDU_PIN_MAX)
		return -1;
	memcpy(out, h, sizeof(h));
	memset(out + sizeof(h), 0xFF, 8);
	memcpy(out + sizeof(h), pin, pin_len);
	return (int)sizeof(h) + 8;
}

int
apdu_verify_status(uint8_t *out)
{
	static const uint8_t c[] = { 0x00, 0x20, 0x00, 0x80 };

	memcpy(out, c, sizeof(c));
	return (int)sizeof(c);
}

int
apdu_general_auth(uint8_t *out, const uint8_t digest[APDU_DIGEST_LEN])
{
	/* 7C 24 { 82 00 (ask for the response), 81 20 <challenge> } */
	static const uint8_t h[] = { 0x00, 0x87, 0x11, 0x9A, 0x26, 0x7C, 0x24,
	    0x82, 0x00, 0x81, 0x20 };

	memcpy(out, h, sizeof(h));
	memcpy(out + sizeof(h), digest, APDU_DIGEST_LEN);
	out[sizeof(h) + APDU_DIGEST_LEN] = 0x00;
	return (int)sizeof(h) + APDU_DIGEST_LEN + 1;
}

int
apdu_sw(const uint8_t *resp, size_t len)
{
	if (len < 2)
		return -1;
	return resp[len - 2] << 8 | resp[len - 1];
}

int
apdu_parse_uid(const uint8_t *resp, size_t len, uint8_t *id, size_t *id_len)
{
	if (apdu_sw(resp, len) != SW_OK)
		return -1;
	len -= 2;
	if (len < APDU_ID_MIN || len > APDU_ID_MAX)
		return -1;
	memcpy(id, resp, len);
	*id_len = len;
	return 0;
}

int
apdu_parse_verify(const uint8_t *resp, size_t len, int *tries)
{
	int sw = apdu_sw(resp, len);

	if (len != 2)
		return APDU_PIN_ERROR;
	if (sw == SW_OK)
		return APDU_PIN_OK;
	if (sw == 0x6983 || sw == 0x63C0)
		return APDU_PIN_BLOCKED;
	if ((sw & 0xFFF0) == 0x63C0) {
		*tries = sw & 0x0F;
		return APDU_PIN_WRONG;
	}
	return APDU_PIN_ERROR;
}

/*
 * One BER tag-length at *p (single-byte tags): the tag, *vlen and *p moved
 * to the value, which lies within end. -1 when it does not.
 */
static int
tlv(const uint8_t **p, const uint8_t *end, size_t *vlen)
{
	const uint8_t *q = *p;
	size_t l;
	int tag;

	if (end - q < 2)
		return -1;
	tag = q[0];
	if (q[1] < 0x80) {
		l = q[1];
		q += 2;
	} else if (q[1] == 0x81) {
		if (end - q < 3 || q[2] < 0x80)
			return -1;
		l = q[2];
		q += 3;
	} else if (q[1] == 0x82) {
		if (end - q < 4)
			return -1;
		l = (size_t)q[2] << 8 | q[3];
		if (l < 0x100)
			return -1;
		q += 4;
	} else
		return -1;
	if ((size_t)(end - q) < l)
		return -1;
	*p = q;
	*vlen = l;
	return tag;
}

int
apdu_parse_general_auth(const uint8_t *resp, size_t len, uint8_t *sig,
    size_t *sig_len)
{
	const uint8_t *p = resp, *end;
	size_t l;

	if (apdu_sw(resp, len) != SW_OK)
		return -1;
	end = resp + len - 2;
	if (tlv(&p, end, &l) != 0x7C || p + l != end)
		return -1;
	if (tlv(&p, end, &l) != 0x82 || p + l != end || l == 0 || l > APDU_SIG_MAX)
		return -1;
	memcpy(sig, p, l);
	*sig_len = l;
	return 0;
}

int
apdu_parse_cert_object(const uint8_t *obj, size_t len, const uint8_t **cert,
    size_t *cert_len)
{
	const uint8_t *p = obj, *end = obj + len, *c = NULL;
	size_t l, cl = 0;
	int tag;

	if (tlv(&p, end, &l) != 0x53 || p + l != end)
		return -1;
	while (p < end) {
		if ((tag = tlv(&p, end, &l)) < 0)
			return -1;
		if (tag == 0x70) {
			if (c != NULL || l == 0)
				return -1;
			c = p;
			cl = l;
		} else if (tag == 0x71) {
			/* CertInfo: 00 = not compressed, the only kind taken */
			if (l != 1 || p[0] != 0x00)
				return -1;
		} else if (tag != 0xFE || l != 0)
			return -1;
		p += l;
	}
	if (c == NULL)
		return -1;
	*cert = c;
	*cert_len = cl;
	return 0;
}

/* One DER INTEGER at *p: positive, minimal, at most 32 significant bytes,
 * written right-aligned into out[32]. */
static int
der_int(const uint8_t **p, const uint8_t *end, uint8_t out[32])
{
	const uint8_t *q = *p;
	size_t l;

	if (end - q < 2 || q[0] != 0x02 || q[1] >= 0x80)
		return -1;
	l = q[1];
	q += 2;
	if (l == 0 || (size_t)(end - q) < l || (q[0] & 0x80))
		return -1;
	if (q[0] == 0x00) {
		if (l == 1 || !(q[1] & 0x80))
			return -1;	/* zero, or not minimal */
		q++;
		l--;
	}
	if (l > 32)
		return -1;
	memset(out, 0, 32);
	memcpy(out + 32 - l, q, l);
	*p = q + l;
	return 0;
}

int
apdu_sig_der_to_raw(const uint8_t *der, size_t len, uint8_t raw[64])
{
	const uint8_t *p = der, *end = der + len;

	if (len < 2 || der[0] != 0x30 || der[1] >= 0x80 || (size_t)der[1] + 2 != len)
		return -1;
	p += 2;
	if (der_int(&p, end, raw) < 0 || der_int(&p, end, raw + 32) < 0 || p != end)
		return -1;
	return 0;
}
