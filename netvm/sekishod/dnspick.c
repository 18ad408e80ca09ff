#include "netvm/sekishod/dnspick.h"

#include <errno.h>
#include <string.h>

void
dnspick_init(struct dnspick *p, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->n = n < 1 ? 1 : n > DNS_MAX_RESOLVERS ? DNS_MAX_RESOLVERS : n;
}

static int
switch_to(struct dnspick *p, size_t i)
{
	p->from = p->pick;
	p->pick = i;
	return 1;
}

int
dnspick_round(struct dnspick *p, const uint8_t *alive)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (alive[i]) {
			p->ok[i]++;
			p->bad[i] = 0;
		} else {
			p->bad[i]++;
			p->ok[i] = 0;
		}
	}
	if (p->bad[p->pick] >= DNS_DOWN_ROUNDS) {
		for (i = 0; i < p->n; i++)
			if (i != p->pick && alive[i])
				return switch_to(p, i);
		return 0;
	}
	for (i = 0; i < p->pick; i++)
		if (p->ok[i] >= DNS_UP_ROUNDS)
			return switch_to(p, i);
	return 0;
}

int
dnscheck_line_parse(const char *line, size_t n, uint8_t *alive,
    struct sk_error *err)
{
	size_t len = strlen(line);

	if (n < 1 || n > DNS_MAX_RESOLVERS)
		return sk_errorf(err, EINVAL, "dns check: %zu resolvers asked", n);
	if (len != 4 + n || strncmp(line, "dns ", 4) != 0)
		return sk_errorf(err, EINVAL, "dns check: bad line, expected \"dns \" "
		    "and %zu of 0 or 1", n);
	for (size_t i = 0; i < n; i++) {
		if (line[4 + i] != '0' && line[4 + i] != '1')
			return sk_errorf(err, EINVAL, "dns check: bad verdict at "
			    "position %zu, expected 0 or 1", i + 1);
	}
	for (size_t i = 0; i < n; i++)
		alive[i] = line[4 + i] == '1';
	return 0;
}
