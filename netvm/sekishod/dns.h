/*
 * Work's DNS survives a dead resolver (docs/policy.md, "DNS failover"):
 * sekisho-dnscheck, a sandboxed helper, asks the mode's resolvers every
 * DNS_CHECK_MS (timers.h) whether they answer; dnspick.c decides which one work's
 * DNS goes to; this file carries it out: the one-element map dns_pick
 * changed in a small transaction (policy/render/fw_dns.h), and work's
 * tracked DNS flows forgotten, so that the next query is translated to
 * the new resolver.
 */
#ifndef SK_DNS_H
#define SK_DNS_H

#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/types.h>

#include "netvm/sekishod/dnspick.h"

struct dnswatch {
	char		helper[PATH_MAX];
	pid_t		pid;		/* sekisho-dnscheck; 0 none, -1 died */
	int		fd;		/* its standard output, -1 none */
	char		buf[64];
	size_t		len;
	struct in_addr	res[DNS_MAX_RESOLVERS];	/* the mode's, in order */
	size_t		n;		/* 0: not checking (blocked) */
	struct dnspick	pick;
};

void dns_init(struct dnswatch *w, const char *helper);
/* The descriptor to poll (1), or none (0). */
int dns_pollfd(const struct dnswatch *w, struct pollfd *pfd);
/* A child was reaped: 1 if it was the checker (restarted by the
 * child-restart timer). */
int dns_reaped(struct dnswatch *w, pid_t pid);
void dns_stop(struct dnswatch *w);

#endif
