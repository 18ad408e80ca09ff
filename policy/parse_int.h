/* The policy parser's insides, shared by parse.c (lexer, statements of
 * version 1, blocks, whole-file checks) and parse_rules.c (sets, services,
 * inbound rules, distribution). Not an API: policy.h is. */
#ifndef SK_POLICY_PARSE_INT_H
#define SK_POLICY_PARSE_INT_H

#include <arpa/inet.h>
#include <netinet/in.h>

#include "policy/policy.h"

#define SHOW_MAX	64	/* bytes of a token quoted in a message */
#define SERIAL_MAX	INT64_MAX

enum tok_type { T_EOF, T_EOL, T_WORD, T_STRING, T_LBRACE, T_RBRACE };

struct token {
	enum tok_type type;
	unsigned int line;
	const char *s;		/* into the buffer; strings without quotes */
	size_t len;
};

struct lexer {
	const char *name, *buf;
	size_t len, pos;
	unsigned int line;
	int at_line_start;
	struct sk_error *err;
};

/* Line where each item was first given; 0 while absent. */
enum slot {
	S_VERSION, S_SERIAL, S_DEVICE, S_TUNNEL, S_KEYFILE, S_MTU, S_GATEWAY,
	S_ENDPOINT, S_PUBKEY, S_KEEPALIVE, S_G_TUNNEL, S_LGWAN, S_PREFIX, S_RESOLVER,
	S_WORK, S_ADDRESS, S_ROUTER, S_BEACON, S_B_ADDRESS, S_B_KEY, S_OFFICE,
	S_O_RESOLVER, S_UPLINK, S_U_PRIORITY, S_TIMERS, S_T_BTIMEOUT,
	S_T_BATTEMPTS, S_T_REVERIFY, S_T_RTT, S_T_STALE, S_T_GWTIMEOUT, S_T_VOUCH, S_T_RARP, S_T_RALIVE, S_TUNNEL6,
	S_ADDRESS6, S_ROUTER6, S_LGWAN_SET, S_SET, S_SET_PREFIX, S_SERVICE,
	S_R_CLASS, S_R_TO, S_R_FROM, S_R_TCP, S_R_UDP, S_R_ICMP, S_R_MODE, S_R_ROLE,
	S_INBOUND, S_DIST, S_D_SERVER, S_D_INTERVAL, S_VERIFIER, S_V_ADDRESS,
	S_V_SIGN, S_V_SEAL, S_V_SIGN_NEXT, S_V_SEAL_NEXT,
	S_PRESENCE, S_P_FACTOR, S_P_PERIOD,
	S_COUNT
};

struct parser {
	struct lexer lx;
	struct token back;
	int have_back;
	struct policy *p;
	unsigned int seen[S_COUNT];
	unsigned int resolver_line[POLICY_MAX_RESOLVERS];
	unsigned int endpoint_line[POLICY_MAX_GATEWAYS];
	/* parse_rules.c: the set being filled (SIZE_MAX: none) and its room,
	 * the anonymous sets of the lgwan block and of the rule being read,
	 * the rule being read, and the set names used, resolved at the end */
	size_t cur_set, cap4, cap6, cap_sets, cap_services, cap_inbound;
	size_t lgwan_anon, rule_anon;
	struct policy_rule *rule;
	struct set_ref *refs;
	size_t n_refs, cap_refs;
	/* the rules' names so far, services [0] and inbound [1]: a hash
	 * table of their indices + 1 (rule_block) */
	size_t *rule_slot[2], n_rule_slot[2];
	unsigned int dist_server_line;
	unsigned int presence_line;
};

struct keyword {
	const char *name;
	const char *what;	/* the value expected; NULL for a block */
	enum slot slot;
	int many;		/* may repeat */
	int (*fn)(struct parser *, const struct token *kw, const struct token *v);
};

struct block {
	const char *name;
	const struct keyword *kws;
	size_t n;
	const char *expected;	/* the keywords, for messages */
};

/* A set name used by the lgwan block (rule SIZE_MAX) or by a service or
 * inbound rule, resolved into the set's index once the file is read. */
struct set_ref {
	int inbound;			/* else service */
	size_t rule, k;			/* rule index, slot in its sets[] */
	char name[POLICY_NAME];
	unsigned int line;
};

#define PS_PREFIX6_LEN	(INET6_ADDRSTRLEN + 4)

/* prefix.c */
struct in6_addr ps_first6(const struct in6_addr *, unsigned int);
struct in6_addr ps_last6(const struct in6_addr *, unsigned int);
const char *ps_fmt_prefix6(const struct in6_addr *, unsigned int, char[PS_PREFIX6_LEN]);
int ps_parse_prefix6(const struct token *, struct in6_addr *, uint8_t *);
int ps_sort_check4(struct parser *, struct prefix4 *, size_t);
int ps_sort_check6(struct parser *, struct prefix6 *, size_t);
const struct prefix4 *ps_overlap4(const struct prefix4 *, size_t, uint32_t, uint32_t);
const struct prefix6 *ps_overlap6(const struct prefix6 *, size_t,
    const struct in6_addr *, const struct in6_addr *);
int ps_inside4(const struct prefix4 *, size_t, uint32_t, uint32_t);
int ps_inside6(const struct prefix6 *, size_t, const struct in6_addr *,
    const struct in6_addr *);

/* parse_rules.c: blocks and statements of sets, rules, distribution, IPv6 */
int ps_bl_set(struct parser *, const struct token *, const struct token *);
int ps_bl_service(struct parser *, const struct token *, const struct token *);
int ps_bl_inbound(struct parser *, const struct token *, const struct token *);
int ps_bl_verifier(struct parser *, const struct token *, const struct token *);
int ps_bl_distribution(struct parser *, const struct token *, const struct token *);
int ps_bl_presence(struct parser *, const struct token *, const struct token *);
int ps_st_lgwan_prefix(struct parser *, const struct token *, const struct token *);
int ps_st_lgwan_set(struct parser *, const struct token *, const struct token *);
int ps_st_tunnel6(struct parser *, const struct token *, const struct token *);
int ps_st_address6(struct parser *, const struct token *, const struct token *);
int ps_st_router6(struct parser *, const struct token *, const struct token *);
int ps_lgwan_begin(struct parser *);
int ps_check_sets(struct parser *);	/* before the version-1 checks */
int ps_check_rules(struct parser *);	/* after them */
void ps_parser_free(struct parser *);

/* parse.c */
int ps_perr(struct parser *, unsigned int, const char *, ...)
    __attribute__((format(printf, 3, 4)));
const char *ps_show(const struct token *, char *, size_t);
const char *ps_found(const struct token *, char *, size_t);
int ps_expected(struct parser *, const char *what, const char *after,
    const struct token *);
int ps_next(struct parser *, struct token *);
int ps_tok_is(const struct token *, const char *);
int ps_tok_copy(const struct token *, char *, size_t);
uint32_t ps_first_of(struct in_addr, unsigned int);
uint32_t ps_last_of(struct in_addr, unsigned int);
const char *ps_fmt_addr(struct in_addr, char[INET_ADDRSTRLEN]);
const char *ps_fmt_prefix(struct in_addr, unsigned int, char[INET_ADDRSTRLEN + 3]);
struct in_addr ps_host_addr(uint32_t);
int ps_decimal(const char *, size_t, uint64_t, uint64_t, uint64_t *);
int ps_number(struct parser *, const struct token *kw, const struct token *v,
    uint64_t min, uint64_t max, uint64_t *out);
int ps_parse_ipv4(const char *, size_t, struct in_addr *);
int ps_parse_prefix(const struct token *, struct in_addr *, uint8_t *);
int ps_parse_hostport(const struct token *, uint16_t, struct sockaddr_in *);
int ps_value(struct parser *, const struct token *kw, const char *what,
    struct token *v);
int ps_open_block(struct parser *, const struct block *, const char *after,
    unsigned int line);
int ps_block_name(struct parser *, const struct token *kw, const char *what,
    char *buf, size_t size, struct token *name);

#endif
