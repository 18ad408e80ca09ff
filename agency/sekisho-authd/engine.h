/*
 * The verifier's engine (docs/sign-on.md): one datagram in, at most one
 * answer and one audit record out. It holds no socket and no file; its
 * state is the nonce table, the keys and the registry it is given. The
 * order of the checks of a BOUND request, each failure answered with its
 * signed result and recorded:
 *
 *   1. the message decodes (else: dropped, counted, no answer);
 *   2. the laptop is in the registry, active, with a sign-on key, and the
 *      request verifies under that key (else "device": a request claiming
 *      another laptop ends here);
 *   3. the nonce is this verifier's, for this laptop, fresh and unused
 *      (else "replay"); it is used up from here on, whatever follows;
 *      then the laptop's own rate (else "slow-down", not recorded);
 *   4. sign-off / lock: the session closed / the event recorded;
 *   5. sign-on / unlock: the card or user known, not disabled, not
 *      locked, the factor allowed for the user's role, the laptop's
 *      failure budget not spent (else "slow-down", recorded, nothing
 *      checked or counted), then the factor itself (PIN, the card's
 *      signature, code + PIN, the match, the match + PIN); pin-refused
 *      (a keyed card refused the PIN typed into it): the card known, its
 *      user not disabled or locked, the failure budget, then a counted
 *      failure;
 *   6. failures are counted per user across every factor: a failure sets
 *      the counter to one more than before the attempt, whatever the
 *      factor's own steps did; a success of a card or code factor resets
 *      it; a biometric success leaves it (the work partition's word is not
 *      a secret anyone guessed); the last allowed failure locks the user
 *      and closes their sessions; only IT resets a lock
 *      (sekisho-provision user unlock);
 *   7. success opens the session (stage 2) for the laptop and the user.
 *
 * Before all of this, every datagram (any type) takes a token of its
 * source address's bucket: over the rate it is dropped, a BOUND answered
 * "slow-down" at most once a second per address, and one note (a log
 * line) per address per minute. While the registry is unreachable
 * (e->unavailable, set by the daemon) a BOUND is answered "unavailable",
 * never checked: nothing is accepted that the registry did not record.
 *
 * A handover (a shared terminal, locked; another user's factor) first
 * needs a session in force on the laptop (else "no-session", before the
 * factor: nothing is counted); the factor is then checked as for a
 * sign-on, and its success closes the first user's session and opens the
 * second's in one step (reg_session_handover), recorded once as
 * "handover" with the second user and "handover from A to B". The same
 * user again renews the session (the record says so).
 *
 * Requests are handled in batches: authd_batch_begin takes the registry's
 * write lock, reads the audit chain's head; every record of the batch is
 * chained onto it; authd_batch_commit commits. Answers must be sent only
 * after the commit.
 */
#ifndef SK_AUTHD_ENGINE_H
#define SK_AUTHD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "agency/sekisho-authd/nonce.h"
#include "agency/sekisho-authd/ratelimit.h"
#include "agency/sekisho-authd/rules.h"
#include "lib/proto/signon_crypto.h"
#include "lib/proto/signon_wire.h"
#include "registry/signon.h"

enum authd_count {
	AUTHD_C_CHALLENGE,	/* NONCE_REQs answered */
	AUTHD_C_OK,		/* results: accepted */
	AUTHD_C_REFUSED,	/* results: anything else */
	AUTHD_C_MALFORMED,	/* dropped */
	AUTHD_C_LIMITED,	/* over a rate: dropped or "slow-down" */
	AUTHD_C_UNAVAILABLE,	/* answered "unavailable" */
	AUTHD_C_EVENTS,		/* audit events stored */
	AUTHD_C_EV_DUP,		/* audit events already stored */
	AUTHD_C_MAX
};

/* Keys parsed once: laptops' sign-on keys (by name and key) and cards'
 * keys (by card id, which holds the key), direct-mapped. */
#define AUTHD_KEYCACHE	1024
struct authd_keycache {
	struct {
		char		 id[SIGNON_DEVICE_LEN + REG_PUB_LEN + 2];
		EVP_PKEY	*pk;
	} e[AUTHD_KEYCACHE];
};

/*
 * Rate limits (docs/sign-on.md, "Rate limits"), token buckets:
 *   src   datagrams of any kind per source address (without the port),
 *         before anything else is looked at;
 *   dev   verified requests per laptop (after its signature and nonce);
 *   fail  counted failures caused from one laptop: its sign-ons are
 *         answered "slow-down", unchecked and uncounted, once they are
 *         spent: one laptop locks at most 4 users at once, then one
 *         every 5 minutes.
 * Rates are per minute.
 */
#define AUTHD_SRC_RATE		1200
#define AUTHD_SRC_BURST		40
#define AUTHD_DEV_RATE		120
#define AUTHD_DEV_BURST		30
#define AUTHD_FAIL_RATE		1
#define AUTHD_FAIL_BURST	20
/* ev: the audit outbox's EVENTS_BOUND datagrams per source address, a
 * bucket of their own: a laptop back after an outage sends its backlog at
 * once (10,000 events are 834 datagrams), which src would hold back for
 * minutes; past the burst, 100 a second (1,200 events). */
#define AUTHD_EV_RATE		6000
#define AUTHD_EV_BURST		1000
/* unv: records of requests and audit events that verify under no
 * laptop's key (unknown, revoked, another's key), per source address:
 * past it they are answered as before but not recorded, so that
 * whatever reaches the port cannot write the audit trail at the source's
 * rate (one note a minute says how many were not). */
#define AUTHD_UNV_RATE		60
#define AUTHD_UNV_BURST		20
#define AUTHD_RL_SLOTS		(1u << 15)
struct authd_limits {
	struct ratelimit	src, dev, fail, ev, unv;
};
/* The buckets at the rates above (src_rate, src_burst: -R; 0 rate: no
 * limit for the source). 0 or -ENOMEM. */
int authd_limits_init(struct authd_limits *l, uint32_t src_rate,
    uint32_t src_burst);
void authd_limits_free(struct authd_limits *l);

#define AUTHD_NOTE_MAX	256

struct authd_engine {
	struct reg			*r;
	const struct rules		*rules;
	const struct signon_signer	*signer;	/* the results' key */
	const struct signon_unsealer	*unsealer;	/* the secrets' key */
	struct nonce_state		*nonces;
	uint32_t			 lifetime_s;	/* of a session */
	int				 max_failures;	/* REG_MAX_FAILURES */
	/* the batch */
	int				 in_batch;
	int				 head_dirty;	/* records appended */
	int64_t				 head_count;
	char				 head_hash[REG_HASH_HEX];
	uint64_t			 count[AUTHD_C_MAX];
	struct authd_keycache		*keys;		/* made on first use */
	struct authd_limits		*limits;	/* NULL: no rate limits */
	int				 unavailable;	/* the registry is out of
							 * reach: BOUND answered
							 * "unavailable" */
	int64_t				 clock_ms;	/* the caller's clock for the
							 * rates and the nonces, set
							 * before each authd_handle
							 * (0: now s): monotonic,
							 * never the wall clock */
	int64_t				 now_ms;	/* of the datagram */
	/* a line for the log, set by authd_handle (has_note) */
	int				 has_note;
	char				 note[AUTHD_NOTE_MAX];
};

/* Frees what the engine made (its key cache). */
void authd_engine_free(struct authd_engine *e);

int authd_batch_begin(struct authd_engine *e, struct sk_error *err);
int authd_batch_commit(struct authd_engine *e, struct sk_error *err);
void authd_batch_abort(struct authd_engine *e);

/*
 * One datagram from source (an address, for the record). *outlen: the
 * answer's length, 0 for none. *has_rec: 1 if rec holds the attempt's
 * audit record (appended to the registry already; the caller writes it
 * to the JSON lines and syslog after the commit). 0, or -errno when the
 * registry failed (the batch must be aborted; nothing is answered).
 */
int authd_handle(struct authd_engine *e, const uint8_t *in, size_t len,
    const char *source, int64_t now, uint8_t *out, size_t *outlen,
    struct reg_signon_rec *rec, int *has_rec, struct sk_error *err);

/* A BOUND answered without being checked, with result (slow-down,
 * unavailable): its nonce, op, factor and laptop echoed, signed so that
 * the relay passes it on; nothing recorded (a flood must not fill the
 * audit trail). The daemon answers so the requests of a batch the
 * registry failed. *outlen 0 for a datagram that is no BOUND. 0 or
 * -EIO. */
int authd_answer_unchecked(struct authd_engine *e, const uint8_t *in,
    size_t len, int result, int64_t now, uint8_t *out, size_t *outlen,
    struct sk_error *err);
/*
 * Step 2 on its own (events.c shares it): the laptop's parsed sign-on key
 * in *pk (0); 1 with why set when the laptop is unknown, not active or has
 * no key; -errno when the registry failed.
 */
int authd_device_key(struct authd_engine *e, const char *device, EVP_PKEY **pk,
    char *why, size_t whylen, struct sk_error *err);
/* A refusal of something that verified under no laptop's key (step 2)
 * from source: 1 when it may be recorded (the source's unv bucket), 0
 * when it is answered unrecorded (a note a minute). Always 1 without
 * rate limits. */
int authd_unverified_recorded(struct authd_engine *e, const char *source);

/*
 * One EVENTS_BOUND (agency/sekisho-authd/events.c, docs/agent.md "Audit
 * outbox"): in the batch's transaction, the laptop checked as for a
 * request (step 2), then each event whose seq is above the last stored
 * for the laptop (meta "agent_events:DEVICE") appended to the audit
 * chain, and the new last seq written; events at or below it are
 * duplicates and store nothing. recs gets the records appended (*nrec,
 * up to SIGNON_EV_MAX), out the signed EVENTS_ACK (none when dropped by
 * authd_events_admit). As authd_handle: 0, or -errno when the registry
 * failed.
 */
/* events.c's gate, before anything is looked at: 1 when the source may
 * send an EVENTS_BOUND now (its ev bucket; a note when it may not), 0 when
 * it is dropped. The registry out of reach drops it too (the agent keeps
 * its events and tries again). */
int authd_events_admit(struct authd_engine *e, const char *source, int64_t now);
int authd_events(struct authd_engine *e, const uint8_t *in, size_t len,
    const char *source, int64_t now, uint8_t *out, size_t *outlen,
    struct reg_signon_rec *recs, int *nrec, struct sk_error *err);

/* The record as one JSON line (no newline), for the log file and syslog. */
void authd_rec_json(const struct reg_signon_rec *rec, char *buf, size_t len);

#endif
