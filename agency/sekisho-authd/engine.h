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
 *   4. sign-off / lock: the session closed / the event recorded;
 *   5. sign-on / unlock: the card or user known, not disabled, not
 *      locked, the factor allowed for the user's role, then the factor
 *      itself (PIN, the card's signature, code + PIN, the match);
 *   6. failures are counted per user across every factor: a failure sets
 *      the counter to one more than before the attempt, whatever the
 *      factor's own steps did; a success of a card or code factor resets
 *      it; a biometric success leaves it (the work partition's word is not
 *      a secret anyone guessed); the last allowed failure locks the user
 *      and closes their sessions; only IT resets a lock
 *      (sekisho-provision user unlock);
 *   7. success opens the session (stage 2) for the laptop and the user.
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
#include "agency/sekisho-authd/rules.h"
#include "lib/proto/signon_crypto.h"
#include "lib/proto/signon_wire.h"
#include "registry/signon.h"

enum authd_count {
	AUTHD_C_CHALLENGE,	/* NONCE_REQs answered */
	AUTHD_C_OK,		/* results: accepted */
	AUTHD_C_REFUSED,	/* results: anything else */
	AUTHD_C_MALFORMED,	/* dropped */
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

/* The record as one JSON line (no newline), for the log file and syslog. */
void authd_rec_json(const struct reg_signon_rec *rec, char *buf, size_t len);

#endif
