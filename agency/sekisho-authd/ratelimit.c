#include "agency/sekisho-authd/ratelimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

int
rl_init(struct ratelimit *rl, uint32_t rate, uint32_t burst, size_t slots)
{
	memset(rl, 0, sizeof(*rl));
	if (slots == 0 || (slots & (slots - 1)) != 0 || burst < 1)
		return -EINVAL;
	if ((rl->b = calloc(slots, sizeof(*rl->b))) == NULL)
		return -ENOMEM;
	rl->rate = rate;
	rl->burst = burst;
	rl->mask = slots - 1;
	return 0;
}

void
rl_free(struct ratelimit *rl)
{
	free(rl->b);
	rl->b = NULL;
}

static void
refill(const struct ratelimit *rl, struct rl_bucket *b, int64_t now_ms)
{
	int64_t full = (int64_t)rl->burst * 1000, dt = now_ms - b->last_ms, gain;

	if (dt <= 0)
		return;
	if (dt >= (int64_t)60 * 1000 * rl->burst) {	/* long idle: full (and no
							 * overflow below) */
		b->milli = full;
		b->last_ms = now_ms;
		return;
	}
	/* rate tokens a minute: rate / 60 milli-tokens a millisecond; the
	 * clock moves on only with what it gained, so that frequent calls
	 * do not round a slow rate down to nothing */
	if ((gain = dt * (int64_t)rl->rate / 60) == 0)
		return;
	b->milli = b->milli + gain > full ? full : b->milli + gain;
	b->last_ms = now_ms;
}

/* key's bucket, refilled; a key not in the table takes a free slot, or
 * the slot whose bucket holds the most tokens (the least busy: being
 * forgotten gives it at most the rest of its burst back; a source that is
 * being held back has none and is kept). */
static struct rl_bucket *
find(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	uint32_t h = 2166136261u;
	struct rl_bucket *b, *victim = NULL;
	int64_t full = (int64_t)rl->burst * 1000;

	for (const char *p = key; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	for (size_t i = 0; i < RL_PROBE; i++) {
		b = &rl->b[(h + i) & rl->mask];
		if (b->key[0] == '\0') {
			if (victim == NULL || victim->key[0] != '\0')
				victim = b;
			continue;
		}
		if (strcmp(b->key, key) == 0) {
			refill(rl, b, now_ms);
			return b;
		}
		refill(rl, b, now_ms);
		if (victim == NULL || (victim->key[0] != '\0' &&
		    (b->milli > victim->milli || (b->milli == victim->milli &&
		    b->last_ms < victim->last_ms))))
			victim = b;
	}
	memset(victim, 0, sizeof(*victim));
	sk_strlcpy(victim->key, key, sizeof(victim->key));
	victim->milli = full;
	victim->last_ms = now_ms;
	victim->note_ms = INT64_MIN / 2;
	victim->answer_s = -1;
	return victim;
}

int
rl_take(struct ratelimit *rl, const char *key, int64_t now_ms, uint64_t *refused)
{
	struct rl_bucket *b;

	if (refused != NULL)
		*refused = 0;
	if (rl->rate == 0)
		return RL_OK;
	b = find(rl, key, now_ms);
	if (b->milli >= 1000) {
		b->milli -= 1000;
		return RL_OK;
	}
	b->refused++;
	if (refused != NULL)
		*refused = b->refused;
	if (now_ms - b->note_ms >= RL_NOTE_MS) {
		b->note_ms = now_ms;
		b->refused = 0;
		return RL_REFUSED_NOTE;
	}
	return RL_REFUSED;
}

int
rl_has(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct rl_bucket *b;

	if (rl->rate == 0)
		return 1;
	b = find(rl, key, now_ms);
	return b->milli >= 1000;
}

int
rl_answer(struct ratelimit *rl, const char *key, int64_t now_ms)
{
	struct rl_bucket *b;

	if (rl->rate == 0)
		return 0;
	b = find(rl, key, now_ms);
	if (b->answer_s == now_ms / 1000)
		return 0;
	b->answer_s = now_ms / 1000;
	return 1;
}
