/*
 * Token buckets for the verifier (docs/sign-on.md, "Rate limits"): one
 * bucket per key (a source address, a laptop), rate tokens a minute up
 * to burst; taking a token from an empty bucket is refused. A fixed table
 * (RL_PROBE slots looked at per key): a key not in it takes a free slot
 * or the one whose bucket holds the most tokens (the least busy one: a
 * source being held back is never the one forgotten, so a flood of new
 * addresses cannot set it free).
 * Pure: time comes in as milliseconds, no system calls.
 */
#ifndef SK_AUTHD_RATELIMIT_H
#define SK_AUTHD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

#define RL_KEY_MAX	80	/* "d:" + a device name, or an address */
#define RL_PROBE	16
#define RL_NOTE_MS	60000	/* one note per key per minute */

struct rl_bucket {
	char		key[RL_KEY_MAX];	/* "" free */
	int64_t		milli;		/* tokens x 1000 */
	int64_t		last_ms;	/* of the last refill */
	int64_t		note_ms;	/* of the last note (log line) */
	uint64_t	refused;	/* since the last note */
	int64_t		answer_s;	/* the second a refusal was last answered */
};

struct ratelimit {
	uint32_t		 rate;	/* tokens per minute; 0: no limit */
	uint32_t		 burst;	/* at most */
	size_t			 mask;	/* slots - 1, a power of two */
	struct rl_bucket	*b;
};

/* slots: a power of two. 0, or -ENOMEM / -EINVAL. */
int rl_init(struct ratelimit *rl, uint32_t rate, uint32_t burst, size_t slots);
void rl_free(struct ratelimit *rl);

enum rl_verdict {
	RL_OK = 0,
	RL_REFUSED = 1,		/* over the rate */
	RL_REFUSED_NOTE = 2,	/* over, and the first refusal of this key
				 * in RL_NOTE_MS: worth a log line */
};
/* Takes one token of key's bucket (cost 1). With rl->rate 0 always RL_OK.
 * *refused (may be NULL): refusals of key since its last note, this one
 * included, for that log line. */
int rl_take(struct ratelimit *rl, const char *key, int64_t now_ms,
    uint64_t *refused);
/* Whether key's bucket has a token, without taking it (1 or 0). */
int rl_has(struct ratelimit *rl, const char *key, int64_t now_ms);
/* For a refusal that is answered: 1 the first time in this second for
 * key (answer it), 0 after (drop it): answers to a flood are bounded. */
int rl_answer(struct ratelimit *rl, const char *key, int64_t now_ms);

#endif
