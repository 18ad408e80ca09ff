/*
 * The netvm's sign-on relay (docs/sign-on.md), as a pure engine: datagrams
 * and ticks in, datagrams out, no sockets. It speaks for this laptop: it
 * asks the verifier for a nonce when the agent says HELLO, hands the agent
 * the challenge with the pinned seal key put in (never the one the network
 * sent), binds the agent's REQUEST to this laptop (device name, mode,
 * uplink, time, the laptop's signature) and passes back only a RESULT
 * that verifies under the pinned verifier key and answers the nonce in
 * flight. Everything from the work link is untrusted and decoded here, in
 * the relay's unprivileged process; a request can never widen what work
 * reaches: the relay opens nothing, it only forwards to the verifier.
 *
 * Two verifier keys may be pinned of each kind (the policy's sign-key and
 * next-sign-key, seal-key and next-seal-key), so that the agency rolls
 * its keys without a flag day: a RESULT is passed back when it verifies
 * under either sign key; the agent is handed the seal key the verifier's
 * CHALLENGE names when it is one of the pinned, else the current one.
 *
 * Audit events (EVENTS) are bound the same way (EVENTS_BOUND) without a
 * nonce, and only an EVENTS_ACK verifying under the pinned key, for this
 * laptop and the batch in flight, is passed back.
 *
 * Two exchanges at most, one of each kind, each in its own slot: the
 * user's (HELLO -> CHALLENGE, REQUEST -> RESULT: sign-on, sign-off, lock,
 * unlock, handover; the laptop has one user at its keyboard) and the audit
 * outbox's (EVENTS -> EVENTS_ACK), so that a sign-on is served while a
 * backlog of events is delivered. A second agent's exchange of a kind
 * whose slot is taken gets RELAY_ERR busy. An exchange not answered
 * within RELAY_TIMEOUT_MS gets RELAY_ERR unreachable; answers that do not
 * verify, or that no slot waits for, are dropped (anyone on the path can
 * send them) and counted.
 */
#ifndef SK_SIGNON_RELAY_H
#define SK_SIGNON_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/proto/signon_crypto.h"
#include "lib/proto/signon_wire.h"

#define RELAY_TIMEOUT_MS	3000

enum relay_state { RELAY_IDLE, RELAY_WAIT_CHALLENGE, RELAY_WAIT_RESULT, RELAY_WAIT_ACK };

enum relay_dest { RELAY_TO_NONE, RELAY_TO_AGENT, RELAY_TO_VERIFIER };

enum relay_count {
	RELAY_C_FORWARDED,	/* requests bound and sent */
	RELAY_C_RESULTS,	/* verified results passed back */
	RELAY_C_BAD_AGENT,	/* malformed from the work link */
	RELAY_C_BAD_ANSWER,	/* from the verifier's address, not verifying */
	RELAY_C_BUSY,
	RELAY_C_TIMEOUT,
	RELAY_C_MAX
};

/* Where the agent's datagram came from: the edge's opaque address. */
struct relay_peer {
	uint8_t		addr[32];
	uint32_t	len;
};

enum relay_slot {
	RELAY_SLOT_USER,	/* HELLO, REQUEST */
	RELAY_SLOT_EVENTS,	/* EVENTS */
	RELAY_SLOTS
};

/* One exchange in flight (state != RELAY_IDLE). */
struct relay_xchg {
	enum relay_state		 state;
	struct relay_peer		 agent;		/* of the exchange */
	uint8_t				 nonce[SIGNON_NONCE_LEN];
	uint64_t			 deadline_ms;
	uint64_t			 ev_first;	/* RELAY_WAIT_ACK: the batch */
	uint8_t				 ev_count;
	uint64_t			 ev_outbox;
};

struct relay {
	char				 device[SIGNON_DEVICE_LEN + 1];
	const struct signon_signer	*key;		/* this laptop's sign-on key */
	uint8_t				 verifier_sign[SIGNON_ED25519_LEN];
	uint8_t				 verifier_seal[SIGNON_X25519_LEN];
	/* the next keys, when pinned (has_*_next) */
	uint8_t				 verifier_sign_next[SIGNON_ED25519_LEN];
	uint8_t				 verifier_seal_next[SIGNON_X25519_LEN];
	int				 has_sign_next, has_seal_next;
	/* the policy's presence block, handed to the agent in each
	 * CHALLENGE (SIGNON_PRES_NONE, 0 without one) */
	uint8_t				 presence, presence_s;
	struct relay_xchg		 x[RELAY_SLOTS];
	uint64_t			 count[RELAY_C_MAX];
};

/* One datagram out: its destination (the agent is r->agent or the peer
 * given) and bytes. */
struct relay_out {
	enum relay_dest		dest;
	struct relay_peer	to;
	uint8_t			buf[SIGNON_MAX_LEN];
	size_t			len;
};

/* What the edge knows of the netvm now, for the BOUND. */
struct relay_ctx {
	uint8_t		mode;			/* SIGNON_MODE_* */
	int		blocked;		/* no path: answer RELAY_ERR blocked */
	char		uplink[SIGNON_UPLINK_LEN];
	uint64_t	now_ms;			/* monotonic */
	uint64_t	wall_s;			/* unix seconds */
};

void relay_init(struct relay *r, const char *device, const struct signon_signer *key,
    const uint8_t sign[SIGNON_ED25519_LEN], const uint8_t seal[SIGNON_X25519_LEN]);
/* Pins the verifier's next keys besides the current ones (NULL: none of
 * that kind). */
void relay_set_next(struct relay *r, const uint8_t *sign_next,
    const uint8_t *seal_next);
/* The policy's presence, "card:S" or "face:S" (S 10..60 seconds), put
 * into every CHALLENGE the agent is handed: 0, or -1 when spec is not
 * one (nothing set). */
int relay_set_presence(struct relay *r, const char *spec);
/* A datagram from the work link. */
void relay_from_agent(struct relay *r, const struct relay_peer *from,
    const uint8_t *in, size_t len, const struct relay_ctx *c, struct relay_out *out);
/* A datagram from the verifier's address (a connected socket). */
void relay_from_verifier(struct relay *r, const uint8_t *in, size_t len,
    const struct relay_ctx *c, struct relay_out *out);
/* The timer: an exchange past its deadline ends with RELAY_ERR, one per
 * call (both slots may be due: call until out->dest is RELAY_TO_NONE). */
void relay_tick(struct relay *r, const struct relay_ctx *c, struct relay_out *out);
/* ms until the first deadline, -1 when both slots are idle (for poll). */
int relay_timeout(const struct relay *r, uint64_t now_ms);

#endif
