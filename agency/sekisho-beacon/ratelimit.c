#include "agency/sekisho-beacon/ratelimit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "lib/util.h"

/* 2^32 ms (49 days) of refill fill any bucket (burst <= 2 * RL_RATE_MAX at
 * rate >= 1), and 2^32 * RL_RATE_MAX thousandths cannot overflow. */
#define RL_ELAPSED_CAP_MS	(UINT64_C(1) << 32)

static void
bucket_fill(struct rl_bucket *b, const struct rl_rate *r, uint64_t now_ms)
{
	b->milli = (uint64_t)r->burst * 1000;
	b->last_ms = now_ms;
}

void
ratelimit_init(struct ratelimit *rl, struct rl_rate src, struct rl_rate global,
    const uint64_t secret[2], uint64_t now_ms)
{
	memset(rl, 0, sizeof(*rl));
	rl->src = src;
	rl->global = global;
	rl->mul = secret[0] | 1;	/* odd: multiply-shift hashing */
	rl->add = secret[1];
	bucket_fill(&rl->global_b, &global, now_ms);
	for (size_t i = 0; i < RL_TABLE_SIZE; i++)
		bucket_fill(&rl->table[i], &src, now_ms);
}

/* Refills by the time elapsed (a clock that goes back refills nothing);
 * returns 1 if at least one token is available. */
static int
bucket_refill(struct rl_bucket *b, const struct rl_rate *r, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)r->burst * 1000, elapsed;

	if (r->rate == 0)
		return 1;
	if (now_ms > b->last_ms) {
		elapsed = now_ms - b->last_ms;
		if (elapsed > RL_ELAPSED_CAP_MS)
			elapsed = RL_ELAPSED_CAP_MS;
		/* rate tokens per second = rate thousandths per millisecond */
		b->milli += elapsed * r->rate;
		if (b->milli > cap)
			b->milli = cap;
		b->last_ms = now_ms;
	}
	return b->milli >= 1000;
}

static void
bucket_take(struct rl_bucket *b, const struct rl_rate *r)
{
	if (r->rate != 0)
		b->milli -= 1000;
}

static size_t
slot_of(const struct ratelimit *rl, uint64_t key)
{
	return (size_t)((key * rl->mul + rl->add) >> (64 - RL_TABLE_BITS));
}

enum rl_verdict
ratelimit_take(struct ratelimit *rl, uint64_t key, uint64_t now_ms)
{
	struct rl_bucket *b = &rl->table[slot_of(rl, key)];

	if (!bucket_refill(b, &rl->src, now_ms))
		return RL_SOURCE;
	if (!bucket_refill(&rl->global_b, &rl->global, now_ms))
		return RL_GLOBAL;
	bucket_take(b, &rl->src);
	bucket_take(&rl->global_b, &rl->global);
	return RL_PASS;
}

static uint64_t
mask_bits(uint64_t v, unsigned width, unsigned bits)
{
	if (bits >= width)
		return v;
	if (bits == 0)
		return 0;
	return v & ~((UINT64_C(1) << (width - bits)) - 1);
}

static uint64_t
be_bytes(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

uint64_t
ratelimit_key(const struct sockaddr *sa, unsigned v4_bits, unsigned v6_bits)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	const uint8_t *a;

	if (sa->sa_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;
		if (memcmp(a, mapped, sizeof(mapped)) != 0)	/* a v6 source */
			return mask_bits(be_bytes(a, 8), 64, v6_bits);
		a += sizeof(mapped);
	} else
		return 0;
	/* Bit 32 set: IPv4 keys stay apart from IPv6 prefixes in 0/32. */
	return UINT64_C(1) << 32 | mask_bits(be_bytes(a, 4), 32, v4_bits);
}

static int
parse_u32(const char *s, size_t n, uint32_t max, uint32_t *out)
{
	char buf[16];
	uint64_t v;

	if (n == 0 || n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (parse_u64(buf, 0, max, &v) != 0)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int
ratelimit_parse(const char *s, struct rl_rate *out)
{
	const char *slash = strchr(s, '/');
	struct rl_rate r;

	if (slash == NULL) {
		if (parse_u32(s, strlen(s), RL_RATE_MAX, &r.rate) != 0)
			return -EINVAL;
		r.burst = 2 * r.rate;
	} else if (parse_u32(s, (size_t)(slash - s), RL_RATE_MAX, &r.rate) != 0 ||
	    parse_u32(slash + 1, strlen(slash + 1), 2 * RL_RATE_MAX, &r.burst) != 0)
		return -EINVAL;
	if (r.rate != 0 && r.burst == 0)
		return -EINVAL;
	if (r.rate == 0)
		r.burst = 0;
	*out = r;
	return 0;
}
