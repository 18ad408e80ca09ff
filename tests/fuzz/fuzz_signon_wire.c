/* libFuzzer: every sign-on message's decoder (lib/proto/signon_wire.h).
 * Whatever the bytes: refused, or decoded within bounds and encoding back
 * to the very same bytes (one value, one encoding); the type peek agrees
 * with the decoder. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/proto/signon_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same(const uint8_t *a, int n, const uint8_t *b, size_t len)
{
	if (n != (int)len || memcmp(a, b, len) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	uint8_t back[SIGNON_MAX_LEN];
	struct signon_nonce_req nr;
	struct signon_challenge c;
	struct signon_request rq;
	static struct signon_bound b;
	struct signon_result_msg r;
	struct signon_relay_err_msg e;
	static struct signon_events ev;
	static struct signon_events_bound eb;
	struct signon_events_ack ea;
	int t = signon_peek(p, n), ok = 0;

	if (signon_strerror(t)[0] == '\0')
		__builtin_trap();
	if (signon_hello_decode(p, n) == SIGNON_OK) {
		ok++;
		same(back, signon_hello_encode(back, sizeof(back)), p, n);
	}
	if (signon_nonce_req_decode(p, n, &nr) == SIGNON_OK) {
		ok++;
		same(back, signon_nonce_req_encode(back, sizeof(back), &nr), p, n);
	}
	if (signon_challenge_decode(p, n, &c) == SIGNON_OK) {
		ok++;
		same(back, signon_challenge_encode(back, sizeof(back), &c), p, n);
	}
	if (signon_request_decode(p, n, &rq) == SIGNON_OK) {
		ok++;
		if (strlen(rq.card) > SIGNON_CARD_LEN || strlen(rq.staff) > SIGNON_STAFF_LEN)
			__builtin_trap();
		same(back, signon_request_encode(back, sizeof(back), &rq), p, n);
	}
	if (signon_bound_decode(p, n, &b) == SIGNON_OK) {
		ok++;
		same(back, signon_bound_encode(back, sizeof(back), &b), p, n);
	}
	if (signon_result_decode(p, n, &r) == SIGNON_OK) {
		ok++;
		if (signon_result_name(r.result)[0] == '?')
			__builtin_trap();
		same(back, signon_result_encode(back, sizeof(back), &r), p, n);
	}
	if (signon_relay_err_decode(p, n, &e) == SIGNON_OK) {
		ok++;
		same(back, signon_relay_err_encode(back, sizeof(back), &e), p, n);
	}
	if (signon_events_decode(p, n, &ev) == SIGNON_OK) {
		ok++;
		if (ev.count < 1 || ev.count > SIGNON_EV_MAX)
			__builtin_trap();
		for (int i = 0; i < ev.count; i++)
			if (signon_ev_kind_name(ev.ev[i].kind)[0] == '?' ||
			    signon_ev_reason_name(ev.ev[i].reason)[0] == '?' ||
			    strlen(ev.ev[i].staff) > SIGNON_STAFF_LEN)
				__builtin_trap();
		same(back, signon_events_encode(back, sizeof(back), &ev), p, n);
	}
	if (signon_events_bound_decode(p, n, &eb) == SIGNON_OK) {
		ok++;
		same(back, signon_events_bound_encode(back, sizeof(back), &eb), p, n);
	}
	if (signon_events_ack_decode(p, n, &ea) == SIGNON_OK) {
		ok++;
		same(back, signon_events_ack_encode(back, sizeof(back), &ea), p, n);
	}
	/* at most one decoder takes a message, and only one peek names */
	if (ok > 1 || (ok == 1 && t < SIGNON_HELLO))
		__builtin_trap();
	return 0;
}
