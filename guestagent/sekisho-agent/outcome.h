/*
 * How a sign-on ended, and the one line the user reads for it
 * (docs/agent.md, "What the agent says"). Pure: tests/unit/test_agent.c
 * checks every line, tests/integration/92-agent-cards.sh the ones the real
 * stack produces.
 */
#ifndef SK_AGENT_OUTCOME_H
#define SK_AGENT_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

enum outcome_kind {
	O_OK = 0,		/* the verifier's RESULT said ok */
	O_VERIFIER,		/* the verifier's RESULT refused: result, tries */
	O_RELAY,		/* the relay's RELAY_ERR: relay_err */
	O_UNREACHABLE,		/* no answer on the work link */
	O_NO_SERVICE,		/* no PC/SC service */
	O_NO_READER,
	O_NO_CARD,		/* none held to the reader in time */
	O_REMOVED,		/* the card left mid-way */
	O_NOT_STAFF,		/* a card that is no staff card */
	O_CARD_BAD,		/* a card answer that makes no sense */
	O_CARD_WRONG_PIN,	/* the keyed card refused the PIN: tries */
	O_CARD_BLOCKED,		/* the keyed card is blocked */
	O_PIN_FORMAT,		/* a PIN the card cannot hold (no try used) */
	O_NO_INPUT,		/* no PIN or code given */
	O_BIO_NO_DEVICE,
	O_BIO_NO_MATCH,
	O_BIO_NO_PRINT,		/* no enrolled print for the user */
	O_BIO_FAIL,		/* the sensor failed */
	O_NOT_SIGNED_ON,	/* logout with no session */
	O_INTERNAL,		/* the agent's own failure (detail says what) */
	O_KIND_MAX
};

struct outcome {
	int		kind;
	int		op;		/* enum signon_op */
	int		factor;		/* enum signon_factor */
	int		result;		/* O_VERIFIER: enum signon_result */
	int		tries;		/* wrong PIN: tries left */
	int		relay_err;	/* O_RELAY: enum signon_relay_err */
	uint32_t	lifetime_s;	/* O_OK for a sign-on */
	char		staff[65];	/* as the verifier named the user */
	char		from[65];	/* O_OK of a handover: the user before */
	char		detail[128];	/* O_INTERNAL, O_BIO_FAIL */
	uint8_t		presence;	/* O_OK: the policy's, from the challenge */
	uint8_t		presence_s;	/* (SIGNON_PRES_*, its period) */
};

/* The line for o (no newline): buf, always terminated. */
const char *outcome_message(const struct outcome *o, char *buf, size_t size);
/* 0 for success, 1 otherwise. */
int outcome_exit(const struct outcome *o);
/* A short name for logs and the tests: "ok", "wrong-pin", "removed"... */
const char *outcome_name(const struct outcome *o);

#endif
