/*
 * Which resolver work's DNS goes to (docs/policy.md, "DNS failover"): a
 * small engine of its own, events in (one round of sekisho-dnscheck's
 * health checks), a decision out, no syscalls; dns.c carries it out.
 *
 * The resolvers are the mode's, in the policy's order of preference. The
 * pick starts at the first. Then, after each round:
 *  1. the pick failed DNS_DOWN_ROUNDS rounds in a row: the first resolver
 *     in policy order that answered this round takes over (none answered:
 *     the pick stays, nothing better is known);
 *  2. otherwise, a resolver before the pick answered DNS_UP_ROUNDS rounds
 *     in a row: the first such takes over (back to the preferred one,
 *     with hysteresis: one lucky answer is not enough).
 * A resolver that answers SERVFAIL counts as failed.
 */
#ifndef SK_DNSPICK_H
#define SK_DNSPICK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define DNS_MAX_RESOLVERS	8	/* POLICY_MAX_RESOLVERS */
#define DNS_DOWN_ROUNDS		2
#define DNS_UP_ROUNDS		3

struct dnspick {
	size_t		n;
	size_t		pick;		/* index of the resolver in use */
	size_t		from;		/* after a switch: the one it replaced */
	unsigned int	ok[DNS_MAX_RESOLVERS];	/* rounds answered in a row */
	unsigned int	bad[DNS_MAX_RESOLVERS];	/* rounds not answered in a row */
};

/* n resolvers (1..DNS_MAX_RESOLVERS), the first picked. */
void dnspick_init(struct dnspick *p, size_t n);
/* One round: alive[i] nonzero if resolver i answered. 1 if the pick
 * changed (p->from is the one it replaced), else 0. */
int dnspick_round(struct dnspick *p, const uint8_t *alive);

/*
 * sekisho-dnscheck's line for one round, without its newline: "dns "
 * and one character per resolver, in the order it was given them: '1'
 * answered, '0' did not. Exactly n of them, nothing else: 0 and alive[]
 * filled; anything else: -EINVAL with one line in err.
 */
int dnscheck_line_parse(const char *line, size_t n, uint8_t *alive,
    struct sk_error *err);

#endif
