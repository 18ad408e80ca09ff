/* libFuzzer harness for the policy parser. Every input either fails with
 * exactly one non-empty line of error, or parses to a policy whose printed
 * form parses back to the same policy and prints identically. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
same(const struct policy *a, const struct policy *b)
{
	size_t i;

	if (a->version != b->version || a->serial != b->serial ||
	    a->tunnel_addr.s_addr != b->tunnel_addr.s_addr ||
	    strcmp(a->key_file, b->key_file) != 0 || a->mtu != b->mtu ||
	    strcmp(a->gateways[0].name, b->gateways[0].name) != 0 ||
	    memcmp(&a->gateways[0].endpoint, &b->gateways[0].endpoint, sizeof(a->gateways[0].endpoint)) != 0 ||
	    memcmp(a->gateways[0].pubkey, b->gateways[0].pubkey, sizeof(a->gateways[0].pubkey)) != 0 ||
	    a->gateways[0].keepalive != b->gateways[0].keepalive || a->n_lgwan != b->n_lgwan ||
	    a->n_resolvers != b->n_resolvers ||
	    memcmp(a->resolvers, b->resolvers, sizeof(a->resolvers)) != 0 ||
	    a->work_addr.s_addr != b->work_addr.s_addr ||
	    a->work_plen != b->work_plen ||
	    a->work_router.s_addr != b->work_router.s_addr ||
	    a->n_gateways != b->n_gateways || a->n_sets != b->n_sets ||
	    a->n_services != b->n_services || a->n_inbound != b->n_inbound ||
	    a->n_lgwan6 != b->n_lgwan6 || a->has_v6 != b->has_v6 ||
	    memcmp(&a->dist_server, &b->dist_server, sizeof(a->dist_server)) != 0)
		return 0;
	for (i = 0; i < a->n_lgwan; i++)
		if (a->lgwan[i].addr.s_addr != b->lgwan[i].addr.s_addr ||
		    a->lgwan[i].plen != b->lgwan[i].plen)
			return 0;
	return 1;
}

static char *
print(const struct policy *p, size_t *len)
{
	char *s = NULL;
	FILE *f = open_memstream(&s, len);

	if (f == NULL || policy_print(f, p) != 0)
		abort();
	fclose(f);
	return s;
}

/* A failed parse: one line, said, and *out untouched. */
static void
check_error(const struct sk_error *err, const struct policy *p)
{
	static const struct policy zero;

	if (err->msg[0] == '\0' || strchr(err->msg, '\n') != NULL ||
	    memcmp(p, &zero, sizeof(zero)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy a, b;
	struct sk_error err;
	size_t n1, n2;
	char *s1, *s2;

	memset(&a, 0, sizeof(a));
	memset(&err, 0, sizeof(err));
	if (policy_parse_buf("fuzz", (const char *)data, size, &a, &err) != 0) {
		check_error(&err, &a);
		return 0;
	}
	for (size_t i = 0; i < a.n_resolvers; i++)
		if (!policy_prefix_contains(&a, a.resolvers[i]))
			abort();
	s1 = print(&a, &n1);
	memset(&b, 0, sizeof(b));
	if (policy_parse_buf("printed", s1, n1, &b, &err) != 0) {
		fprintf(stderr, "printed policy does not parse: %s\n%s", err.msg, s1);
		abort();
	}
	s2 = print(&b, &n2);
	if (!same(&a, &b) || n1 != n2 || memcmp(s1, s2, n1) != 0)
		abort();
	free(s1);
	free(s2);
	policy_free(&a);
	policy_free(&b);
	return 0;
}
