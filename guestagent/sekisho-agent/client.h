/*
 * The agent's side of sign-on (lib/proto/signon_wire.h): HELLO for a
 * fresh challenge, then one REQUEST with the secret sealed to the
 * verifier's key, and the RESULT read back. The two parsers of what the
 * netvm answers are pure and fuzzed (tests/fuzz/fuzz_agent_answer.c).
 */
#ifndef SK_AGENT_CLIENT_H
#define SK_AGENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "guestagent/sekisho-agent/link.h"
#include "guestagent/sekisho-agent/outcome.h"
#include "lib/proto/signon_wire.h"

struct client_cfg {
	unsigned	hello_ms;	/* wait for CHALLENGE, per try */
	int		hello_tries;
	unsigned	request_ms;	/* wait for RESULT (sent once: a
					 * second REQUEST would be a replay) */
};

/*
 * An answer to HELLO: 0 with *ch filled (a CHALLENGE), 1 with *o set (a
 * RELAY_ERR), -1 for anything else.
 */
int client_parse_challenge(const uint8_t *in, size_t len,
    struct signon_challenge *ch, struct outcome *o);
/*
 * An answer to a REQUEST of nonce, op and factor: 0 with *o set (a RESULT
 * for that nonce, op and factor, or a RELAY_ERR naming that nonce or
 * none), -1 for anything else.
 */
int client_parse_result(const uint8_t *in, size_t len,
    const uint8_t nonce[SIGNON_NONCE_LEN], int op, int factor,
    struct outcome *o);

/*
 * An answer to an EVENTS of outbox, first_seq and count: 0 with *ack
 * filled (an EVENTS_ACK for that batch; the relay checked the verifier's
 * signature), 1 with *o set (a RELAY_ERR naming no nonce), -1 for
 * anything else.
 */
int client_parse_ack(const uint8_t *in, size_t len, uint64_t outbox,
    uint64_t first_seq, uint8_t count, struct signon_events_ack *ack,
    struct outcome *o);

/* HELLO -> CHALLENGE: 0, or 1 with *o set (relay error, unreachable). */
int client_hello(struct link *l, const struct client_cfg *cfg,
    struct signon_challenge *ch, struct outcome *o);
/*
 * REQUEST -> RESULT: req's op, factor, card, staff and card_sig set by
 * the caller, its nonce taken from ch; pin and code sealed to ch's key.
 * Always sets *o. pin and code stay the caller's to wipe.
 */
void client_request(struct link *l, const struct client_cfg *cfg,
    const struct signon_challenge *ch, struct signon_request *req,
    const char *pin, size_t pin_len, const char *code, size_t code_len,
    struct outcome *o);

#endif
