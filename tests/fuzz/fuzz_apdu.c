/* libFuzzer: every parser of what a card answers the agent
 * (guestagent/sekisho-agent/apdu.h), and the certificate that names a
 * keyed card (card_name.c). Whatever the bytes: no crash, and what is
 * accepted lies within its bounds and inside the input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "guestagent/sekisho-agent/apdu.h"
#include "guestagent/sekisho-agent/card.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[APDU_ID_MAX], sig[APDU_SIG_MAX], raw[64], pub[CARD_PUB_LEN];
	const uint8_t *cert;
	size_t n;
	int tries = -1, r;

	if (apdu_parse_uid(data, size, id, &n) == 0 &&
	    (n < APDU_ID_MIN || n > APDU_ID_MAX || n + 2 != size))
		__builtin_trap();
	r = apdu_parse_verify(data, size, &tries);
	if (r == APDU_PIN_WRONG && (tries < 1 || tries > 15))
		__builtin_trap();
	if (r < APDU_PIN_OK || r > APDU_PIN_ERROR)
		__builtin_trap();
	if (apdu_parse_general_auth(data, size, sig, &n) == 0) {
		if (n == 0 || n > APDU_SIG_MAX)
			__builtin_trap();
		(void)apdu_sig_der_to_raw(sig, n, raw);
	}
	if (apdu_parse_cert_object(data, size, &cert, &n) == 0) {
		if (cert < data || cert + n > data + size || n == 0)
			__builtin_trap();
		/* what names a keyed card: a P-256 key, compressed */
		if (card_cert_pub(cert, n, pub) == 0 && pub[0] != 0x02 && pub[0] != 0x03)
			__builtin_trap();
	}
	(void)card_atr_contactless(data, size);
	if (apdu_sig_der_to_raw(data, size, raw) == 0 && (size < 8 || size > 72))
		__builtin_trap();
	(void)apdu_sw(data, size);
	return 0;
}
