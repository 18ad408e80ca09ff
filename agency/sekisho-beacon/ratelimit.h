/*
 * Token buckets in fixed memory: one per source (the address masked to a
 * prefix, hashed with a secret into a fixed table, so sources that collide
 * share a bucket) and one global. No state is created per request and the
 * clock is a parameter, so the tests drive it.
 */
#ifndef SK_RATELIMIT_H
#define SK_RATELIMIT_H

#include <stdint.h>
#include <sys/socket.h>

#define RL_TABLE_BITS	12
#define RL_TABLE_SIZE	(1u << RL_TABLE_BITS)
#define RL_RATE_MAX	1000000u	/* tokens per second */

/* rate tokens per second, at most burst at once; rate 0 = no limit. */
struct rl_rate {
	uint32_t	rate;
	uint32_t	burst;
};

struct rl_bucket {
	uint64_t	milli;		/* thousandths of a token */
	uint64_t	last_ms;
};

struct ratelimit {
	struct rl_rate		src, global;
	uint64_t		mul, add;	/* the hash's secret */
	struct rl_bucket	global_b;
	struct rl_bucket	table[RL_TABLE_SIZE];
};

enum rl_verdict {
	RL_PASS = 0,
	RL_SOURCE,	/* the source's bucket is empty */
	RL_GLOBAL,	/* the global bucket is empty */
};

/* Every bucket starts full at now_ms. secret: two random words. */
void ratelimit_init(struct ratelimit *rl, struct rl_rate src,
    struct rl_rate global, const uint64_t secret[2], uint64_t now_ms);
/* Takes one token from the source's bucket and one from the global bucket,
 * or none when either is empty. now_ms is a monotonic clock. */
enum rl_verdict ratelimit_take(struct ratelimit *rl, uint64_t key,
    uint64_t now_ms);
/* The source of a packet: IPv4 (and IPv4-mapped IPv6) masked to v4_bits,
 * IPv6 to v6_bits (at most 64). */
uint64_t ratelimit_key(const struct sockaddr *sa, unsigned v4_bits,
    unsigned v6_bits);
/* "RATE" (burst 2 * RATE), "RATE/BURST" or "0" (no limit): 0 or -EINVAL. */
int ratelimit_parse(const char *s, struct rl_rate *out);

#endif
