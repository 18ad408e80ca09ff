/* Policy file parser, format version 1 (docs/policy.md).
 *
 * A lexer turns the buffer into words, quoted strings, '{', '}' and ends of
 * line; a table of keywords per block drives the parser; checks that need
 * the whole file (required items, overlaps, reachability) run at the end.
 * Everything lives in a struct parser on the caller's stack: no globals.
 * The first problem stops the parse with one "NAME:LINE: what" message. */
#include "policy/parse_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/proto/beacon_wire.h"

/* A beacon id is checked by the wire format's own rule (beacon_id_valid). */
_Static_assert(POLICY_BEACON_ID == BEACON_ID_LEN, "beacon ids");

/* ---- messages ---- */

static int lerr(struct lexer *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
vlocated(struct sk_error *err, const char *name, unsigned int line,
    const char *fmt, va_list ap)
{
	char what[sizeof(err->msg)];

	vsnprintf(what, sizeof(what), fmt, ap);
	if (line == 0)
		return sk_errorf(err, EINVAL, "%s: %s", name, what);
	return sk_errorf(err, EINVAL, "%s:%u: %s", name, line, what);
}

/* "NAME:LINE: what"; line 0 gives "NAME: what". Returns -EINVAL. */
int
ps_perr(struct parser *ps, unsigned int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlocated(ps->lx.err, ps->lx.name, line, fmt, ap);
	va_end(ap);
	return rc;
}

static int
lerr(struct lexer *lx, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vlocated(lx->err, lx->name, lx->line, fmt, ap);
	va_end(ap);
	return rc;
}

/* A token's text for a message, cut at SHOW_MAX bytes on a character
 * boundary. */
const char *
ps_show(const struct token *t, char *buf, size_t size)
{
	size_t n = t->len;

	if (n <= SHOW_MAX) {
		snprintf(buf, size, "%.*s", (int)n, t->s);
		return buf;
	}
	n = SHOW_MAX - 4;
	while (n > 0 && ((unsigned char)t->s[n] & 0xc0) == 0x80)
		n--;
	snprintf(buf, size, "%.*s...", (int)n, t->s);
	return buf;
}

const char *
ps_found(const struct token *t, char *buf, size_t size)
{
	char s[SHOW_MAX + 8];

	switch (t->type) {
	case T_EOF:
		return "end of file";
	case T_EOL:
		return "end of line";
	case T_LBRACE:
		return "'{'";
	case T_RBRACE:
		return "'}'";
	case T_STRING:
		snprintf(buf, size, "\"%s\"", ps_show(t, s, sizeof(s)));
		return buf;
	case T_WORD:
		break;
	}
	snprintf(buf, size, "'%s'", ps_show(t, s, sizeof(s)));
	return buf;
}

int
ps_expected(struct parser *ps, const char *what, const char *after,
    const struct token *t)
{
	char f[SHOW_MAX + 16];

	return ps_perr(ps, t->line, "expected %s after '%s', found %s", what, after,
	    ps_found(t, f, sizeof(f)));
}

/* ---- lexer ---- */

static int
is_text(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c < 0x7f);
}

static int
is_delim(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '{' || c == '}' ||
	    c == '#' || c == '"';
}

static int
lex_bad_byte(struct lexer *lx, unsigned char c)
{
	if (c == '\0')
		return lerr(lx, "NUL byte, expected text");
	if (c == '\r')
		return lerr(lx, "carriage return, expected Unix (LF) line endings");
	if (c >= 0x80)
		return lerr(lx, "non-ASCII byte 0x%02x outside a quoted string", c);
	return lerr(lx, "control character 0x%02x, expected printable ASCII", c);
}

static int
lex_check_line(struct lexer *lx)
{
	size_t rest = lx->len - lx->pos, n, linelen;
	const char *nl;

	n = rest < POLICY_MAX_LINE + 1 ? rest : POLICY_MAX_LINE + 1;
	if (n == 0)
		return 0;
	nl = memchr(lx->buf + lx->pos, '\n', n);
	linelen = nl != NULL ? (size_t)(nl - (lx->buf + lx->pos)) : n;
	if (linelen > POLICY_MAX_LINE)
		return lerr(lx, "line too long, at most %d bytes", POLICY_MAX_LINE);
	return 0;
}

/* Skips blanks and a comment up to (not including) the end of line. */
static int
lex_skip(struct lexer *lx)
{
	while (lx->pos < lx->len && (lx->buf[lx->pos] == ' ' ||
	    lx->buf[lx->pos] == '\t'))
		lx->pos++;
	if (lx->pos == lx->len || lx->buf[lx->pos] != '#')
		return 0;
	for (; lx->pos < lx->len && lx->buf[lx->pos] != '\n'; lx->pos++)
		if (!is_text((unsigned char)lx->buf[lx->pos]))
			return lex_bad_byte(lx, (unsigned char)lx->buf[lx->pos]);
	return 0;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static int
lex_string(struct lexer *lx, struct token *t)
{
	const unsigned char *s = (const unsigned char *)lx->buf + lx->pos + 1;
	size_t i, n = lx->len - lx->pos - 1, k;

	for (i = 0; i < n && s[i] != '"'; i += k) {
		if (s[i] == '\n')
			break;
		if (s[i] == '\0')
			return lerr(lx, "NUL byte, expected text");
		if (s[i] < 0x20 || s[i] == 0x7f)
			return lerr(lx, "control character 0x%02x in quoted string", s[i]);
		if ((k = utf8_seq(s + i, n - i)) == 0)
			return lerr(lx, "invalid UTF-8 in quoted string");
	}
	if (i == n || s[i] != '"')
		return lerr(lx, "unterminated quoted string, expected '\"' before the end of the line");
	t->type = T_STRING;
	t->s = (const char *)s;
	t->len = i;
	lx->pos += i + 2;
	return 0;
}

static int
lex_word(struct lexer *lx, struct token *t)
{
	size_t start = lx->pos;

	for (; lx->pos < lx->len && !is_delim(lx->buf[lx->pos]); lx->pos++)
		if (!is_text((unsigned char)lx->buf[lx->pos]))
			return lex_bad_byte(lx, (unsigned char)lx->buf[lx->pos]);
	t->type = T_WORD;
	t->s = lx->buf + start;
	t->len = lx->pos - start;
	return 0;
}

static int
lex(struct lexer *lx, struct token *t)
{
	int rc;

	if (lx->at_line_start) {
		lx->at_line_start = 0;
		if ((rc = lex_check_line(lx)) != 0)
			return rc;
	}
	if ((rc = lex_skip(lx)) != 0)
		return rc;
	t->line = lx->line;
	t->s = lx->buf + lx->pos;
	t->len = 1;
	if (lx->pos == lx->len) {
		t->type = T_EOF;
		t->len = 0;
		return 0;
	}
	switch (lx->buf[lx->pos]) {
	case '\n':
		t->type = T_EOL;
		lx->line++;
		lx->at_line_start = 1;
		break;
	case '{':
		t->type = T_LBRACE;
		break;
	case '}':
		t->type = T_RBRACE;
		break;
	case '"':
		return lex_string(lx, t);
	default:
		if (!is_text((unsigned char)lx->buf[lx->pos]))
			return lex_bad_byte(lx, (unsigned char)lx->buf[lx->pos]);
		return lex_word(lx, t);
	}
	lx->pos++;
	return 0;
}

int
ps_next(struct parser *ps, struct token *t)
{
	if (ps->have_back) {
		*t = ps->back;
		ps->have_back = 0;
		return 0;
	}
	return lex(&ps->lx, t);
}

static void
unget(struct parser *ps, const struct token *t)
{
	ps->back = *t;
	ps->have_back = 1;
}

int
ps_tok_is(const struct token *t, const char *word)
{
	return t->type == T_WORD && strlen(word) == t->len &&
	    memcmp(t->s, word, t->len) == 0;
}

/* Copies a token's text; -1 if it does not fit. */
int
ps_tok_copy(const struct token *t, char *buf, size_t size)
{
	if (t->len >= size)
		return -1;
	memcpy(buf, t->s, t->len);
	buf[t->len] = '\0';
	return 0;
}

/* ---- values ---- */

static uint32_t
mask(unsigned int plen)
{
	return plen == 0 ? 0 : ~UINT32_C(0) << (32 - plen);
}

uint32_t
ps_first_of(struct in_addr a, unsigned int plen)
{
	return ntohl(a.s_addr) & mask(plen);
}

uint32_t
ps_last_of(struct in_addr a, unsigned int plen)
{
	return (ntohl(a.s_addr) & mask(plen)) | ~mask(plen);
}

const char *
ps_fmt_addr(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

const char *
ps_fmt_prefix(struct in_addr a, unsigned int plen, char buf[INET_ADDRSTRLEN + 3])
{
	char s[INET_ADDRSTRLEN];

	snprintf(buf, INET_ADDRSTRLEN + 3, "%s/%u", ps_fmt_addr(a, s), plen);
	return buf;
}

struct in_addr
ps_host_addr(uint32_t h)
{
	struct in_addr a = { .s_addr = htonl(h) };

	return a;
}

/* Decimal digits without sign or leading zero. */
static int
is_decimal(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || (len > 1 && s[0] == '0'))
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* -EINVAL if not a decimal number, -ERANGE if outside [min, max]. */
int
ps_decimal(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out)
{
	char buf[24];

	if (!is_decimal(s, len))
		return -EINVAL;
	if (len >= sizeof(buf))
		return -ERANGE;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return parse_u64(buf, min, max, out) == 0 ? 0 : -ERANGE;
}

int
ps_number(struct parser *ps, const struct token *kw, const struct token *v,
    uint64_t min, uint64_t max, uint64_t *out)
{
	char s[SHOW_MAX + 8];
	int rc = ps_decimal(v->s, v->len, min, max, out);

	if (rc == -EINVAL)
		return ps_perr(ps, v->line, "bad %.*s '%s', expected a number from %"
		    PRIu64 " to %" PRIu64, (int)kw->len, kw->s, ps_show(v, s, sizeof(s)),
		    min, max);
	if (rc != 0)
		return ps_perr(ps, v->line, "%.*s %s out of range, expected a number from %"
		    PRIu64 " to %" PRIu64, (int)kw->len, kw->s, ps_show(v, s, sizeof(s)),
		    min, max);
	return 0;
}

int
ps_parse_ipv4(const char *s, size_t len, struct in_addr *a)
{
	char buf[INET_ADDRSTRLEN];

	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, a) == 1 ? 0 : -1;
}

/* "A.B.C.D/N" with N in 0..32; host bits are the caller's business. */
int
ps_parse_prefix(const struct token *v, struct in_addr *a, uint8_t *plen)
{
	const char *slash = memchr(v->s, '/', v->len);
	uint64_t n;

	if (slash == NULL || ps_parse_ipv4(v->s, (size_t)(slash - v->s), a) != 0)
		return -1;
	if (ps_decimal(slash + 1, v->len - (size_t)(slash - v->s) - 1, 0, 32, &n) != 0)
		return -1;
	*plen = (uint8_t)n;
	return 0;
}

/* ---- statements ---- */

/* "keyword value" for messages, the value quoted as it was written. */
static const char *
stmt_text(const struct token *kw, const struct token *v, char *buf, size_t size)
{
	char s[SHOW_MAX + 8];
	const char *q = v->type == T_STRING ? "\"" : "";

	snprintf(buf, size, "%.*s %s%s%s", (int)kw->len, kw->s, q,
	    ps_show(v, s, sizeof(s)), q);
	return buf;
}

/* The end of a statement: an end of line (consumed), or a '}' or the end
 * of the file, left for the block or the file to handle. What came before
 * it, for the message: the statement "kw v" (v NULL: a block's "}").
 * Written only for that message: formatting it for every statement cost
 * a tenth of the parse of 10,000 prefixes (tokens point into the buffer,
 * so they are still whole here). */
static int
end_stmt(struct parser *ps, const struct token *kw, const struct token *v)
{
	char after[2 * SHOW_MAX + 16];
	struct token t;
	int rc;

	if ((rc = ps_next(ps, &t)) != 0)
		return rc;
	if (t.type == T_EOL)
		return 0;
	if (t.type == T_RBRACE || t.type == T_EOF) {
		unget(ps, &t);
		return 0;
	}
	return ps_expected(ps, "end of line",
	    v == NULL ? "}" : stmt_text(kw, v, after, sizeof(after)), &t);
}

int
ps_value(struct parser *ps, const struct token *kw, const char *what,
    struct token *v)
{
	char after[SHOW_MAX + 8];
	int rc;

	if ((rc = ps_next(ps, v)) != 0)
		return rc;
	if (v->type == T_WORD || v->type == T_STRING)
		return 0;
	return ps_expected(ps, what, ps_show(kw, after, sizeof(after)), v);
}

static int
st_version(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];
	uint64_t n = 0;
	int rc;

	(void)kw;
	if ((rc = ps_decimal(v->s, v->len, 0, UINT64_MAX, &n)) == -EINVAL)
		return ps_perr(ps, v->line, "bad version '%s', expected %d",
		    ps_show(v, s, sizeof(s)), POLICY_VERSION);
	if (rc != 0 || n != POLICY_VERSION)
		return ps_perr(ps, v->line, "unsupported version %s, this build reads version %d",
		    ps_show(v, s, sizeof(s)), POLICY_VERSION);
	ps->p->version = POLICY_VERSION;
	return 0;
}

static int
st_serial(struct parser *ps, const struct token *kw, const struct token *v)
{
	return ps_number(ps, kw, v, 1, SERIAL_MAX, &ps->p->serial);
}

static int
st_tunnel(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];
	uint8_t plen;

	(void)kw;
	if (ps_parse_prefix(v, &ps->p->tunnel_addr, &plen) != 0)
		return ps_perr(ps, v->line, "bad tunnel-address '%s', expected an address like 10.77.0.2/32",
		    ps_show(v, s, sizeof(s)));
	if (plen != 32)
		return ps_perr(ps, v->line, "tunnel-address %s is not a /32, expected the device's own address like 10.77.0.2/32",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

static int
st_keyfile(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (v->len == 0 || v->s[0] != '/' ||
	    ps_tok_copy(v, ps->p->key_file, sizeof(ps->p->key_file)) != 0)
		return ps_perr(ps, v->line, "key-file '%s' is not an absolute path",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

static int
st_mtu(struct parser *ps, const struct token *kw, const struct token *v)
{
	uint64_t n;
	int rc;

	if ((rc = ps_number(ps, kw, v, 1280, 1500, &n)) == 0)
		ps->p->mtu = (uint16_t)n;
	return rc;
}

static struct policy_gateway *
cur_gateway(struct parser *ps)
{
	return &ps->p->gateways[ps->p->n_gateways - 1];
}

static int
st_endpoint(struct parser *ps, const struct token *kw, const struct token *v)
{
	const char *colon = memrchr(v->s, ':', v->len);
	struct sockaddr_in *sin = &cur_gateway(ps)->endpoint;
	char s[SHOW_MAX + 8];
	uint64_t port;
	int rc = -EINVAL;

	(void)kw;
	if (colon != NULL && ps_parse_ipv4(v->s, (size_t)(colon - v->s), &sin->sin_addr) == 0)
		rc = ps_decimal(colon + 1, v->len - (size_t)(colon - v->s) - 1, 1, 65535, &port);
	if (rc == -EINVAL)
		return ps_perr(ps, v->line, "bad endpoint '%s', expected ADDRESS:PORT like 192.0.2.10:51820",
		    ps_show(v, s, sizeof(s)));
	if (rc != 0)
		return ps_perr(ps, v->line, "endpoint port %.*s out of range, expected a number from 1 to 65535",
		    (int)(v->len - (size_t)(colon - v->s) - 1), colon + 1);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	ps->endpoint_line[ps->p->n_gateways - 1] = v->line;
	return 0;
}

static int
st_pubkey(struct parser *ps, const struct token *kw, const struct token *v)
{
	char b64[KEY_B64_LEN], s[SHOW_MAX + 8];

	(void)kw;
	if (v->len != KEY_B64_LEN - 1 || ps_tok_copy(v, b64, sizeof(b64)) != 0 ||
	    key_from_b64(cur_gateway(ps)->pubkey, b64) != 0)
		return ps_perr(ps, v->line, "public-key '%s' is not a base64 32-byte key (44 characters ending in '=')",
		    ps_show(v, s, sizeof(s)));
	if (key_is_zero(cur_gateway(ps)->pubkey))
		return ps_perr(ps, v->line, "public-key is the all-zero key, expected the gateway's WireGuard public key");
	return 0;
}

static int
st_keepalive(struct parser *ps, const struct token *kw, const struct token *v)
{
	uint64_t n;
	int rc;

	if ((rc = ps_number(ps, kw, v, 0, 3600, &n)) == 0)
		cur_gateway(ps)->keepalive = (uint16_t)n;
	return rc;
}

/* The gateway's own address in the tunnel: a host address, /32, as the
 * device's tunnel-address is written. */
static int
st_gw_tunnel(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct in_addr a;
	char s[SHOW_MAX + 8];
	uint8_t plen;

	(void)kw;
	if (ps_parse_prefix(v, &a, &plen) != 0 || plen != 32 || a.s_addr == 0)
		return ps_perr(ps, v->line, "bad tunnel-address '%s', expected the gateway's own address in the tunnel like 10.77.0.1/32",
		    ps_show(v, s, sizeof(s)));
	cur_gateway(ps)->tunnel_addr = a;
	return 0;
}

static int
st_resolver(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy *p = ps->p;
	char s[SHOW_MAX + 8];
	struct in_addr a;
	size_t i;

	(void)kw;
	if (ps_parse_ipv4(v->s, v->len, &a) != 0)
		return ps_perr(ps, v->line, "bad resolver '%s', expected an IPv4 address",
		    ps_show(v, s, sizeof(s)));
	for (i = 0; i < p->n_resolvers; i++)
		if (p->resolvers[i].s_addr == a.s_addr)
			return ps_perr(ps, v->line, "duplicate resolver %s, first given on line %u",
			    ps_show(v, s, sizeof(s)), ps->resolver_line[i]);
	if (p->n_resolvers == POLICY_MAX_RESOLVERS)
		return ps_perr(ps, v->line, "too many resolvers, at most %d", POLICY_MAX_RESOLVERS);
	ps->resolver_line[p->n_resolvers] = v->line;
	p->resolvers[p->n_resolvers++] = a;
	return 0;
}

static int
st_address(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (ps_parse_prefix(v, &ps->p->work_addr, &ps->p->work_plen) != 0)
		return ps_perr(ps, v->line, "bad address '%s', expected an address and prefix length like 172.30.0.2/30",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

static int
st_router(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (ps_parse_ipv4(v->s, v->len, &ps->p->work_router) != 0)
		return ps_perr(ps, v->line, "bad router '%s', expected an IPv4 address",
		    ps_show(v, s, sizeof(s)));
	return 0;
}

/* ---- office mode: beacons, office resolvers, uplinks, timers ---- */

static struct policy_beacon *
cur_beacon(struct parser *ps)
{
	return &ps->p->beacons[ps->p->n_beacons - 1];
}

/* ADDRESS or ADDRESS:PORT, the port defaulting to the beacon's. */
int
ps_parse_hostport(const struct token *v, uint16_t dflt, struct sockaddr_in *sin)
{
	const char *colon = memchr(v->s, ':', v->len);
	size_t alen = colon != NULL ? (size_t)(colon - v->s) : v->len;
	uint64_t port = dflt;

	if (ps_parse_ipv4(v->s, alen, &sin->sin_addr) != 0)
		return -EINVAL;
	if (colon != NULL && ps_decimal(colon + 1, v->len - alen - 1, 1, 65535, &port) != 0)
		return -ERANGE;
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

static int
st_b_address(struct parser *ps, const struct token *kw, const struct token *v)
{
	char s[SHOW_MAX + 8];

	(void)kw;
	if (ps_parse_hostport(v, POLICY_BEACON_PORT, &cur_beacon(ps)->addr) != 0)
		return ps_perr(ps, v->line, "bad beacon address '%s', expected ADDRESS or ADDRESS:PORT like 10.66.0.2:%d",
		    ps_show(v, s, sizeof(s)), POLICY_BEACON_PORT);
	return 0;
}

static int
st_b_key(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy_beacon *b = cur_beacon(ps);
	char b64[KEY_B64_LEN], s[SHOW_MAX + 8];

	(void)kw;
	if (b->n_keys == POLICY_BEACON_KEYS)
		return ps_perr(ps, v->line, "too many public-keys in beacon \"%s\", at most %d (the current and the next)",
		    b->id, POLICY_BEACON_KEYS);
	if (v->len != KEY_B64_LEN - 1 || ps_tok_copy(v, b64, sizeof(b64)) != 0 ||
	    key_from_b64(b->keys[b->n_keys], b64) != 0)
		return ps_perr(ps, v->line, "public-key '%s' is not a base64 32-byte key (44 characters ending in '=')",
		    ps_show(v, s, sizeof(s)));
	for (size_t i = 0; i < b->n_keys; i++)
		if (ct_equal(b->keys[i], b->keys[b->n_keys], 32))
			return ps_perr(ps, v->line, "duplicate public-key in beacon \"%s\"", b->id);
	b->n_keys++;
	return 0;
}

static int
st_o_resolver(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy *p = ps->p;
	char s[SHOW_MAX + 8];
	struct in_addr a;

	(void)kw;
	if (ps_parse_ipv4(v->s, v->len, &a) != 0)
		return ps_perr(ps, v->line, "bad resolver '%s', expected an IPv4 address",
		    ps_show(v, s, sizeof(s)));
	for (size_t i = 0; i < p->n_office_resolvers; i++)
		if (p->office_resolvers[i].s_addr == a.s_addr)
			return ps_perr(ps, v->line, "duplicate office resolver %s",
			    ps_show(v, s, sizeof(s)));
	if (p->n_office_resolvers == POLICY_MAX_RESOLVERS)
		return ps_perr(ps, v->line, "too many resolvers, at most %d", POLICY_MAX_RESOLVERS);
	p->office_resolvers[p->n_office_resolvers++] = a;
	return 0;
}

static int
st_u_priority(struct parser *ps, const struct token *kw, const struct token *v)
{
	uint64_t n;
	int rc;

	if ((rc = ps_number(ps, kw, v, 1, 1000, &n)) == 0)
		ps->p->uplinks[ps->p->n_uplinks - 1].priority = (unsigned int)n;
	return rc;
}

static int
timer(struct parser *ps, const struct token *kw, const struct token *v,
    uint64_t min, uint64_t max, unsigned int *out)
{
	uint64_t n;
	int rc;

	if ((rc = ps_number(ps, kw, v, min, max, &n)) == 0)
		*out = (unsigned int)n;
	return rc;
}

static int
st_t_btimeout(struct parser *ps, const struct token *kw, const struct token *v)
{
	return timer(ps, kw, v, 10, 5000, &ps->p->beacon_timeout_ms);
}

static int
st_t_battempts(struct parser *ps, const struct token *kw, const struct token *v)
{
	return timer(ps, kw, v, 1, 10, &ps->p->beacon_attempts);
}

static int
st_t_reverify(struct parser *ps, const struct token *kw, const struct token *v)
{
	return timer(ps, kw, v, 100, 10000, &ps->p->beacon_reverify_ms);
}

static int
st_t_rtt(struct parser *ps, const struct token *kw, const struct token *v)
{
	return timer(ps, kw, v, 100, 100000, &ps->p->beacon_rtt_us);
}

static int
st_t_vouch(struct parser *ps, const struct token *kw, const struct token *v)
{
	return timer(ps, kw, v, 500, 10000, &ps->p->office_vouch_ms);
}

/* router-arp: milliseconds, or off (no ARP, no liveness required). */
static int
st_t_rarp(struct parser *ps, const struct token *kw, const struct token *v)
{
	if (ps_tok_is(v, "off")) {
		ps->p->router_arp_ms = 0;
		return 0;
	}
	return timer(ps, kw, v, 20, 5000, &ps->p->router_arp_ms);
}

static int
st_t_ralive(struct parser *ps, const struct token *kw, const struct token *v)
{
	return timer(ps, kw, v, 60, 20000, &ps->p->router_alive_ms);
}

static int
st_t_stale(struct parser *ps, const struct token *kw, const struct token *v)
{
	return timer(ps, kw, v, 30, 3600, &ps->p->handshake_stale_s);
}

static int
st_t_gwtimeout(struct parser *ps, const struct token *kw, const struct token *v)
{
	return timer(ps, kw, v, 5, 300, &ps->p->gateway_timeout_s);
}

/* ---- blocks ---- */

static int parse_block(struct parser *, const struct block *, unsigned int);
static int bl_device(struct parser *, const struct token *, const struct token *);
static int bl_gateway(struct parser *, const struct token *, const struct token *);
static int bl_lgwan(struct parser *, const struct token *, const struct token *);
static int bl_work(struct parser *, const struct token *, const struct token *);
static int bl_beacon(struct parser *, const struct token *, const struct token *);
static int bl_office(struct parser *, const struct token *, const struct token *);
static int bl_uplink(struct parser *, const struct token *, const struct token *);
static int bl_timers(struct parser *, const struct token *, const struct token *);

static const struct keyword top_kws[] = {
	{ "version", "a version number", S_VERSION, 0, st_version },
	{ "serial", "a number from 1 to 9223372036854775807", S_SERIAL, 0, st_serial },
	{ "device", NULL, S_DEVICE, 0, bl_device },
	{ "gateway", NULL, S_GATEWAY, 1, bl_gateway },
	{ "lgwan", NULL, S_LGWAN, 0, bl_lgwan },
	{ "work", NULL, S_WORK, 0, bl_work },
	{ "beacon", NULL, S_BEACON, 1, bl_beacon },
	{ "office", NULL, S_OFFICE, 0, bl_office },
	{ "uplink", NULL, S_UPLINK, 1, bl_uplink },
	{ "timers", NULL, S_TIMERS, 0, bl_timers },
	{ "set", NULL, S_SET, 1, ps_bl_set },
	{ "service", NULL, S_SERVICE, 1, ps_bl_service },
	{ "inbound", NULL, S_INBOUND, 1, ps_bl_inbound },
	{ "distribution", NULL, S_DIST, 0, ps_bl_distribution },
	{ "verifier", NULL, S_VERIFIER, 0, ps_bl_verifier },
	{ "presence", NULL, S_PRESENCE, 0, ps_bl_presence },
};
static const struct keyword beacon_kws[] = {
	{ "address", "ADDRESS or ADDRESS:PORT", S_B_ADDRESS, 0, st_b_address },
	{ "public-key", "a base64 32-byte key", S_B_KEY, 1, st_b_key },
};
static const struct keyword office_kws[] = {
	{ "resolver", "an IPv4 address", S_O_RESOLVER, 1, st_o_resolver },
};
static const struct keyword uplink_kws[] = {
	{ "priority", "a number from 1 to 1000", S_U_PRIORITY, 0, st_u_priority },
};
static const struct keyword timers_kws[] = {
	{ "beacon-timeout", "milliseconds from 10 to 5000", S_T_BTIMEOUT, 0, st_t_btimeout },
	{ "beacon-attempts", "a number from 1 to 10", S_T_BATTEMPTS, 0, st_t_battempts },
	{ "beacon-reverify", "milliseconds from 100 to 10000", S_T_REVERIFY, 0, st_t_reverify },
	{ "beacon-rtt", "microseconds from 100 to 100000", S_T_RTT, 0, st_t_rtt },
	{ "office-vouch", "milliseconds from 500 to 10000", S_T_VOUCH, 0, st_t_vouch },
	{ "router-arp", "milliseconds from 20 to 5000, or off", S_T_RARP, 0, st_t_rarp },
	{ "router-alive", "milliseconds from 60 to 20000", S_T_RALIVE, 0, st_t_ralive },
	{ "handshake-stale", "seconds from 30 to 3600", S_T_STALE, 0, st_t_stale },
	{ "gateway-timeout", "seconds from 5 to 300", S_T_GWTIMEOUT, 0, st_t_gwtimeout },
};
static const struct keyword device_kws[] = {
	{ "tunnel-address", "an address like 10.77.0.2/32", S_TUNNEL, 0, st_tunnel },
	{ "key-file", "an absolute path", S_KEYFILE, 0, st_keyfile },
	{ "mtu", "a number from 1280 to 1500", S_MTU, 0, st_mtu },
	{ "tunnel-address6", "an address like fd00:77::2/128", S_TUNNEL6, 0, ps_st_tunnel6 },
};
static const struct keyword gateway_kws[] = {
	{ "endpoint", "ADDRESS:PORT", S_ENDPOINT, 0, st_endpoint },
	{ "public-key", "a base64 32-byte key", S_PUBKEY, 0, st_pubkey },
	{ "keepalive", "a number from 0 to 3600", S_KEEPALIVE, 0, st_keepalive },
	{ "tunnel-address", "an address like 10.77.0.1/32", S_G_TUNNEL, 0, st_gw_tunnel },
};
static const struct keyword lgwan_kws[] = {
	{ "prefix", "a prefix like 10.64.0.0/16 or 2001:db8:64::/48", S_PREFIX, 1, ps_st_lgwan_prefix },
	{ "set", "a set name", S_LGWAN_SET, 1, ps_st_lgwan_set },
	{ "resolver", "an IPv4 address", S_RESOLVER, 1, st_resolver },
};
static const struct keyword work_kws[] = {
	{ "address", "an address and prefix length like 172.30.0.2/30", S_ADDRESS, 0, st_address },
	{ "router", "an IPv4 address", S_ROUTER, 0, st_router },
	{ "address6", "an address and prefix length like fd00:30::2/64", S_ADDRESS6, 0, ps_st_address6 },
	{ "router6", "an IPv6 address", S_ROUTER6, 0, ps_st_router6 },
};

static const struct block device_block = { "device", device_kws,
	nitems(device_kws), "tunnel-address, key-file, mtu or tunnel-address6" };
static const struct block gateway_block = { "gateway", gateway_kws,
	nitems(gateway_kws), "endpoint, public-key, keepalive or tunnel-address" };
static const struct block lgwan_block = { "lgwan", lgwan_kws,
	nitems(lgwan_kws), "prefix, set or resolver" };
static const struct block work_block = { "work", work_kws,
	nitems(work_kws), "address, router, address6 or router6" };
static const struct block beacon_block = { "beacon", beacon_kws,
	nitems(beacon_kws), "address or public-key" };
static const struct block office_block = { "office", office_kws,
	nitems(office_kws), "resolver" };
static const struct block uplink_block = { "uplink", uplink_kws,
	nitems(uplink_kws), "priority" };
static const struct block timers_block = { "timers", timers_kws,
	nitems(timers_kws), "beacon-timeout, beacon-attempts, beacon-reverify, beacon-rtt, office-vouch, router-arp, "
	"router-alive, handshake-stale or gateway-timeout" };

static const struct keyword *
lookup(const struct keyword *kws, size_t n, const struct token *t)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ps_tok_is(t, kws[i].name))
			return &kws[i];
	return NULL;
}

/* Runs one keyword: duplicate check, its value or block, end of line. */
static int
run_keyword(struct parser *ps, const struct keyword *k, const struct token *kw)
{
	struct token v;
	int rc;

	if (ps->seen[k->slot] != 0 && !k->many)
		return ps_perr(ps, kw->line, "duplicate '%s'%s, first given on line %u",
		    k->name, k->what == NULL ? " block" : "", ps->seen[k->slot]);
	if (ps->seen[k->slot] == 0)
		ps->seen[k->slot] = kw->line;
	if (k->what == NULL) {
		if ((rc = k->fn(ps, kw, NULL)) != 0)
			return rc;
		return end_stmt(ps, kw, NULL);
	}
	if ((rc = ps_value(ps, kw, k->what, &v)) != 0 || (rc = k->fn(ps, kw, &v)) != 0)
		return rc;
	return end_stmt(ps, kw, &v);
}

/* After a block's name: '{', its statements, '}'. */
int
ps_open_block(struct parser *ps, const struct block *b, const char *after,
    unsigned int line)
{
	struct token t;
	int rc;

	if ((rc = ps_next(ps, &t)) != 0)
		return rc;
	if (t.type != T_LBRACE)
		return ps_expected(ps, "'{'", after, &t);
	return parse_block(ps, b, line);
}

static int
bl_device(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)v;
	return ps_open_block(ps, &device_block, "device", kw->line);
}

static int
bl_lgwan(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)v;
	ps_lgwan_begin(ps);
	return ps_open_block(ps, &lgwan_block, "lgwan", kw->line);
}

static int
bl_work(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)v;
	return ps_open_block(ps, &work_block, "work", kw->line);
}

static int
bl_gateway(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy *p = ps->p;
	struct policy_gateway *g;
	char after[SHOW_MAX + 32], s[SHOW_MAX + 8];
	struct token name;
	int rc;

	(void)v;
	if (p->n_gateways == POLICY_MAX_GATEWAYS)
		return ps_perr(ps, kw->line, "too many gateways, at most %d", POLICY_MAX_GATEWAYS);
	g = &p->gateways[p->n_gateways++];
	memset(g, 0, sizeof(*g));
	g->line = kw->line;
	g->keepalive = POLICY_DEFAULT_KEEPALIVE;
	if ((rc = ps_value(ps, kw, "a gateway name", &name)) != 0)
		return rc;
	if (name.len == 0 || ps_tok_copy(&name, g->name, sizeof(g->name)) != 0)
		return ps_perr(ps, name.line, "bad gateway name \"%s\", expected 1 to %zu bytes",
		    ps_show(&name, s, sizeof(s)), sizeof(g->name) - 1);
	for (size_t i = 0; i + 1 < p->n_gateways; i++)
		if (strcmp(p->gateways[i].name, g->name) == 0)
			return ps_perr(ps, name.line, "duplicate gateway \"%s\", first given on line %u",
			    g->name, p->gateways[i].line);
	ps->seen[S_ENDPOINT] = ps->seen[S_PUBKEY] = ps->seen[S_KEEPALIVE] =
	    ps->seen[S_G_TUNNEL] = 0;
	snprintf(after, sizeof(after), "gateway \"%s\"", ps_show(&name, s, sizeof(s)));
	if ((rc = ps_open_block(ps, &gateway_block, after, kw->line)) != 0)
		return rc;
	if (ps->seen[S_ENDPOINT] == 0)
		return ps_perr(ps, kw->line, "missing 'endpoint' in gateway \"%s\"", g->name);
	if (ps->seen[S_PUBKEY] == 0)
		return ps_perr(ps, kw->line, "missing 'public-key' in gateway \"%s\"", g->name);
	return 0;
}

/* A repeated block's name: its value token, copied and checked. */
int
ps_block_name(struct parser *ps, const struct token *kw, const char *what,
    char *buf, size_t size, struct token *name)
{
	char s[SHOW_MAX + 8];
	int rc;

	if ((rc = ps_value(ps, kw, what, name)) != 0)
		return rc;
	if (name->len == 0 || ps_tok_copy(name, buf, size) != 0)
		return ps_perr(ps, name->line, "bad %.*s name \"%s\", expected 1 to %zu bytes",
		    (int)kw->len, kw->s, ps_show(name, s, sizeof(s)), size - 1);
	return 0;
}

static int
bl_beacon(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy *p = ps->p;
	struct policy_beacon *b;
	char after[SHOW_MAX + 32];
	struct token name;
	int rc;

	(void)v;
	if (p->n_beacons == POLICY_MAX_BEACONS)
		return ps_perr(ps, kw->line, "too many beacons, at most %d", POLICY_MAX_BEACONS);
	b = &p->beacons[p->n_beacons++];
	memset(b, 0, sizeof(*b));
	b->line = kw->line;
	if ((rc = ps_block_name(ps, kw, "a beacon id", b->id, sizeof(b->id), &name)) != 0)
		return rc;
	if (!beacon_id_valid(b->id))
		return ps_perr(ps, name.line, "bad beacon id \"%s\", expected 1 to %d of a-z, 0-9 and '-'",
		    b->id, POLICY_BEACON_ID);
	for (size_t i = 0; i + 1 < p->n_beacons; i++)
		if (strcmp(p->beacons[i].id, b->id) == 0)
			return ps_perr(ps, name.line, "duplicate beacon \"%s\", first given on line %u",
			    b->id, p->beacons[i].line);
	ps->seen[S_B_ADDRESS] = ps->seen[S_B_KEY] = 0;
	snprintf(after, sizeof(after), "beacon \"%s\"", b->id);
	if ((rc = ps_open_block(ps, &beacon_block, after, kw->line)) != 0)
		return rc;
	if (ps->seen[S_B_ADDRESS] == 0)
		return ps_perr(ps, kw->line, "missing 'address' in beacon \"%s\"", b->id);
	if (b->n_keys == 0)
		return ps_perr(ps, kw->line, "missing 'public-key' in beacon \"%s\", at least one is required",
		    b->id);
	return 0;
}

static int
bl_office(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)v;
	return ps_open_block(ps, &office_block, "office", kw->line);
}

static int
bl_timers(struct parser *ps, const struct token *kw, const struct token *v)
{
	(void)v;
	return ps_open_block(ps, &timers_block, "timers", kw->line);
}

static int
bl_uplink(struct parser *ps, const struct token *kw, const struct token *v)
{
	struct policy *p = ps->p;
	struct policy_uplink *u;
	char after[SHOW_MAX + 32];
	struct token name;
	int rc;

	(void)v;
	if (p->n_uplinks == POLICY_MAX_UPLINKS)
		return ps_perr(ps, kw->line, "too many uplinks, at most %d", POLICY_MAX_UPLINKS);
	u = &p->uplinks[p->n_uplinks++];
	memset(u, 0, sizeof(*u));
	u->line = kw->line;
	if ((rc = ps_block_name(ps, kw, "an interface name", u->name, sizeof(u->name), &name)) != 0)
		return rc;
	if (strpbrk(u->name, "/ \t") != NULL || strcmp(u->name, ".") == 0 ||
	    strcmp(u->name, "..") == 0)
		return ps_perr(ps, name.line, "bad uplink name \"%s\", expected an interface name",
		    u->name);
	for (size_t i = 0; i + 1 < p->n_uplinks; i++)
		if (strcmp(p->uplinks[i].name, u->name) == 0)
			return ps_perr(ps, name.line, "duplicate uplink \"%s\", first given on line %u",
			    u->name, p->uplinks[i].line);
	ps->seen[S_U_PRIORITY] = 0;
	snprintf(after, sizeof(after), "uplink \"%s\"", u->name);
	if ((rc = ps_open_block(ps, &uplink_block, after, kw->line)) != 0)
		return rc;
	if (ps->seen[S_U_PRIORITY] == 0)
		return ps_perr(ps, kw->line, "missing 'priority' in uplink \"%s\"", u->name);
	return 0;
}

/* Whether t and what follows open a top-level block ("work {", "gateway
 * NAME {"): then a '}' is missing before it. Consumes tokens; the caller
 * fails either way. */
static int
opens_block(struct parser *ps, const struct token *t)
{
	const struct keyword *k = lookup(top_kws, nitems(top_kws), t);
	struct token t2;

	if (k == NULL || k->what != NULL || ps_next(ps, &t2) != 0)
		return 0;
	if ((k->fn == bl_gateway || k->fn == bl_beacon || k->fn == bl_uplink ||
	    k->fn == ps_bl_set || k->fn == ps_bl_service || k->fn == ps_bl_inbound) &&
	    (t2.type == T_WORD || t2.type == T_STRING) &&
	    ps_next(ps, &t2) != 0)
		return 0;
	return t2.type == T_LBRACE;
}

static int
block_unknown(struct parser *ps, const struct block *b, const struct token *t,
    unsigned int open_line)
{
	char s[SHOW_MAX + 8];

	if (opens_block(ps, t))
		return ps_perr(ps, t->line, "unterminated '%s' block opened on line %u, expected '}' before '%s'",
		    b->name, open_line, ps_show(t, s, sizeof(s)));
	return ps_perr(ps, t->line, "unknown keyword '%s' in '%s' block, expected %s",
	    ps_show(t, s, sizeof(s)), b->name, b->expected);
}

static int
parse_block(struct parser *ps, const struct block *b, unsigned int open_line)
{
	const struct keyword *k;
	char f[SHOW_MAX + 16];
	struct token t;
	int rc;

	for (;;) {
		if ((rc = ps_next(ps, &t)) != 0)
			return rc;
		if (t.type == T_EOL)
			continue;
		if (t.type == T_RBRACE)
			return 0;
		if (t.type == T_EOF)
			return ps_perr(ps, open_line, "unterminated '%s' block, expected '}' before the end of the file",
			    b->name);
		if (t.type != T_WORD)
			return ps_perr(ps, t.line, "expected a keyword or '}' in '%s' block, found %s",
			    b->name, ps_found(&t, f, sizeof(f)));
		if ((k = lookup(b->kws, b->n, &t)) == NULL)
			return block_unknown(ps, b, &t, open_line);
		if ((rc = run_keyword(ps, k, &t)) != 0)
			return rc;
	}
}

/* ---- the file ---- */

static int
top_unknown(struct parser *ps, const struct token *t)
{
	char s[SHOW_MAX + 8];
	struct token t2;

	if (ps_next(ps, &t2) == 0 && t2.type == T_LBRACE)
		return ps_perr(ps, t->line, "unknown block '%s', expected device, gateway, lgwan, work, set, service, inbound, beacon, office, uplink, distribution, verifier, presence or timers",
		    ps_show(t, s, sizeof(s)));
	return ps_perr(ps, t->line, "unknown keyword '%s', expected version, serial, device, gateway, lgwan, work, set, service, inbound, beacon, office, uplink, distribution, verifier, presence or timers",
	    ps_show(t, s, sizeof(s)));
}

static int
top_statement(struct parser *ps, const struct token *t)
{
	const struct keyword *k;
	char f[SHOW_MAX + 16];

	if (t->type == T_RBRACE)
		return ps_perr(ps, t->line, "unexpected '}' outside any block");
	if (t->type != T_WORD)
		return ps_perr(ps, t->line, "expected a keyword, found %s",
		    ps_found(t, f, sizeof(f)));
	if (ps->seen[S_VERSION] == 0 && !ps_tok_is(t, "version"))
		return ps_perr(ps, t->line, "expected 'version %d' as the first statement, found %s",
		    POLICY_VERSION, ps_found(t, f, sizeof(f)));
	if ((k = lookup(top_kws, nitems(top_kws), t)) == NULL)
		return top_unknown(ps, t);
	return run_keyword(ps, k, t);
}

static int
parse_top(struct parser *ps)
{
	struct token t;
	int rc;

	for (;;) {
		if ((rc = ps_next(ps, &t)) != 0)
			return rc;
		if (t.type == T_EOF)
			return 0;
		if (t.type == T_EOL)
			continue;
		if ((rc = top_statement(ps, &t)) != 0)
			return rc;
	}
}

/* ---- checks over the whole file ---- */

static int
check_required(struct parser *ps)
{
	static const struct { enum slot slot; const char *what; } req[] = {
		{ S_VERSION, "'version'" },
		{ S_SERIAL, "'serial'" },
		{ S_DEVICE, "'device' block" },
		{ S_TUNNEL, "'tunnel-address' in 'device' block" },
		{ S_KEYFILE, "'key-file' in 'device' block" },
		{ S_GATEWAY, "'gateway' block" },
		{ S_LGWAN, "'lgwan' block" },
		{ S_RESOLVER, "'resolver' in 'lgwan' block, at least one is required" },
		{ S_WORK, "'work' block" },
		{ S_ADDRESS, "'address' in 'work' block" },
		{ S_ROUTER, "'router' in 'work' block" },
	};
	size_t i;

	for (i = 0; i < nitems(req); i++)
		if (ps->seen[req[i].slot] == 0)
			return ps_perr(ps, 0, "missing %s", req[i].what);
	return 0;
}

static int
check_reach(struct parser *ps)
{
	const struct policy *p = ps->p;
	char a[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN + 3];
	const struct prefix4 *pf;
	uint32_t h;
	size_t i;

	for (i = 0; i < p->n_resolvers; i++)
		if (!policy_prefix_contains(p, p->resolvers[i]))
			return ps_perr(ps, ps->resolver_line[i], "resolver %s is outside every lgwan prefix, it must be reachable through the tunnel",
			    ps_fmt_addr(p->resolvers[i], a));
	for (i = 0; i < p->n_gateways; i++) {
		const struct sockaddr_in *ep = &p->gateways[i].endpoint;

		h = ntohl(ep->sin_addr.s_addr);
		if ((pf = ps_overlap4(p->lgwan, p->n_lgwan, h, h)) != NULL)
			return ps_perr(ps, ps->endpoint_line[i], "endpoint %s is inside lgwan prefix %s on line %u, the tunnel would carry its own packets",
			    ps_fmt_addr(ep->sin_addr, a),
			    ps_fmt_prefix(pf->addr, pf->plen, n), pf->line);
	}
	return 0;
}

/* The address is neither the network nor the broadcast address of the work
 * subnet (which /31 and /32 do not have). */
static int
check_host(struct parser *ps, const char *what, struct in_addr a, unsigned int line)
{
	const struct policy *p = ps->p;
	char s[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN + 3];
	uint32_t h = ntohl(a.s_addr);
	const char *which = NULL;

	if (p->work_plen <= 30 && h == ps_first_of(p->work_addr, p->work_plen))
		which = "network";
	else if (p->work_plen <= 30 && h == ps_last_of(p->work_addr, p->work_plen))
		which = "broadcast";
	if (which == NULL)
		return 0;
	return ps_perr(ps, line, "%s %s is the %s address of the work subnet %s, expected a host address",
	    what, ps_fmt_addr(a, s), which,
	    ps_fmt_prefix(ps_host_addr(ps_first_of(p->work_addr, p->work_plen)), p->work_plen, n));
}

static int
check_router(struct parser *ps)
{
	const struct policy *p = ps->p;
	char s[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN + 3];
	uint32_t r = ntohl(p->work_router.s_addr);
	unsigned int line = ps->seen[S_ROUTER];

	ps_fmt_prefix(ps_host_addr(ps_first_of(p->work_addr, p->work_plen)), p->work_plen, n);
	if (r < ps_first_of(p->work_addr, p->work_plen) || r > ps_last_of(p->work_addr, p->work_plen))
		return ps_perr(ps, line, "router %s is not in the work subnet %s",
		    ps_fmt_addr(p->work_router, s), n);
	if (p->work_router.s_addr == p->work_addr.s_addr)
		return ps_perr(ps, line, "router %s is the work address itself, expected the netvm's address on the work link",
		    ps_fmt_addr(p->work_router, s));
	return check_host(ps, "router", p->work_router, line);
}

static int
check_work(struct parser *ps)
{
	const struct policy *p = ps->p;
	char a[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN + 3], m[INET_ADDRSTRLEN + 3];
	uint32_t first = ps_first_of(p->work_addr, p->work_plen);
	uint32_t last = ps_last_of(p->work_addr, p->work_plen), h;
	unsigned int line = ps->seen[S_ADDRESS];
	const struct prefix4 *pf;
	int rc;

	if ((rc = check_host(ps, "work address", p->work_addr, line)) != 0 ||
	    (rc = check_router(ps)) != 0)
		return rc;
	ps_fmt_prefix(ps_host_addr(first), p->work_plen, n);
	if ((pf = ps_overlap4(p->lgwan, p->n_lgwan, first, last)) != NULL)
		return ps_perr(ps, line, "work subnet %s overlaps lgwan prefix %s on line %u",
		    n, ps_fmt_prefix(pf->addr, pf->plen, m), pf->line);
	h = ntohl(p->tunnel_addr.s_addr);
	if (h >= first && h <= last)
		return ps_perr(ps, line, "work subnet %s contains the tunnel-address %s on line %u",
		    n, ps_fmt_addr(p->tunnel_addr, a), ps->seen[S_TUNNEL]);
	for (size_t i = 0; i < p->n_gateways; i++) {
		const struct sockaddr_in *ep = &p->gateways[i].endpoint;

		h = ntohl(ep->sin_addr.s_addr);
		if (h >= first && h <= last)
			return ps_perr(ps, ps->endpoint_line[i], "endpoint %s is inside the work subnet %s on line %u",
			    ps_fmt_addr(ep->sin_addr, a), n, line);
		/* the gateway's tunnel address: never the device's, never
		 * work's (the probe's echo goes to it through the tunnel) */
		h = ntohl(p->gateways[i].tunnel_addr.s_addr);
		if (h != 0 && (h == ntohl(p->tunnel_addr.s_addr) || (h >= first && h <= last)))
			return ps_perr(ps, p->gateways[i].line, "gateway \"%s\" tunnel-address %s is %s",
			    p->gateways[i].name, ps_fmt_addr(p->gateways[i].tunnel_addr, a),
			    h == ntohl(p->tunnel_addr.s_addr) ? "the device's tunnel-address" :
			    "inside the work subnet");
	}
	return 0;
}

/* A beacon answers on an office LAN: never the gateway, never work. */
static int
check_beacons(struct parser *ps)
{
	const struct policy *p = ps->p;
	uint32_t first = ps_first_of(p->work_addr, p->work_plen);
	uint32_t last = ps_last_of(p->work_addr, p->work_plen);
	char a[INET_ADDRSTRLEN];

	for (size_t i = 0; i < p->n_beacons; i++) {
		const struct policy_beacon *b = &p->beacons[i];
		uint32_t h = ntohl(b->addr.sin_addr.s_addr);

		for (size_t g = 0; g < p->n_gateways; g++)
			if (b->addr.sin_addr.s_addr == p->gateways[g].endpoint.sin_addr.s_addr)
				return ps_perr(ps, b->line, "beacon \"%s\" address %s is the endpoint of gateway \"%s\"",
				    b->id, ps_fmt_addr(b->addr.sin_addr, a), p->gateways[g].name);
		if (h >= first && h <= last)
			return ps_perr(ps, b->line, "beacon \"%s\" address %s is inside the work subnet",
			    b->id, ps_fmt_addr(b->addr.sin_addr, a));
	}
	return 0;
}

/* Office mode lasts while fresh beacon answers renew its vouch: the next
 * re-verification starts at most a fifth late, and its answer may take
 * every attempt; a vouch shorter than that would end office mode on a
 * healthy LAN. */
static int
check_office_timers(struct parser *ps)
{
	const struct policy *p = ps->p;
	uint64_t need = (uint64_t)p->beacon_reverify_ms * 6 / 5 +
	    (uint64_t)p->beacon_timeout_ms * p->beacon_attempts;

	if (p->n_beacons == 0 || p->office_vouch_ms > need)
		return 0;
	return ps_perr(ps, ps->seen[S_T_VOUCH], "office-vouch %u ms is too short: a "
	    "re-verification may answer %llu ms after the last (beacon-reverify and a "
	    "fifth, plus beacon-timeout times beacon-attempts)", p->office_vouch_ms,
	    (unsigned long long)need);
}

/* The office router's liveness (fw_office.h): each reply keeps the office
 * path open router-alive ms, the next request leaves router-arp ms after
 * the last. A lifetime shorter than two intervals closes the path on a
 * healthy LAN at the first lost request or reply; POLICY_ROUTER_SLACK
 * more for the daemon's timer fired late and the router's answer. With
 * router-arp off there is no lifetime to give. */
static int
check_router_timers(struct parser *ps)
{
	struct policy *p = ps->p;
	unsigned int need = 2 * p->router_arp_ms + POLICY_ROUTER_SLACK;

	if (p->router_arp_ms == 0) {
		if (ps->seen[S_T_RALIVE] != 0)
			return ps_perr(ps, ps->seen[S_T_RALIVE], "router-alive with "
			    "router-arp off: no ARP request, no reply to keep alive");
		p->router_alive_ms = 0;
		return 0;
	}
	if (p->router_alive_ms >= need)
		return 0;
	return ps_perr(ps, ps->seen[S_T_RALIVE] != 0 ? ps->seen[S_T_RALIVE] :
	    ps->seen[S_T_RARP], "router-alive %u ms is too short for router-arp %u: "
	    "one lost ARP reply leaves %u ms between two (router-arp twice, plus "
	    "%u ms for the daemon and the router)", p->router_alive_ms,
	    p->router_arp_ms, need, POLICY_ROUTER_SLACK);
}

static int
check_all(struct parser *ps)
{
	int rc;

	if ((rc = check_required(ps)) != 0 || (rc = ps_check_sets(ps)) != 0 ||
	    (rc = check_reach(ps)) != 0 || (rc = check_work(ps)) != 0 ||
	    (rc = check_beacons(ps)) != 0 || (rc = check_office_timers(ps)) != 0 ||
	    (rc = check_router_timers(ps)) != 0 ||
	    (rc = ps_check_rules(ps)) != 0)
		return rc;
	return 0;
}

/* ---- entry points ---- */

int
policy_parse_buf(const char *name, const char *buf, size_t len,
    struct policy *out, struct sk_error *err)
{
	struct parser ps = { .lx = { .name = name, .buf = buf, .len = len,
	    .line = 1, .at_line_start = 1, .err = err } };
	struct policy p;
	int rc;

	if (len > POLICY_MAX_SIZE)
		return sk_errorf(err, EFBIG, "%s: file too large, at most %u bytes",
		    name, POLICY_MAX_SIZE);
	if (buf == NULL)
		ps.lx.buf = buf = "";
	memset(&p, 0, sizeof(p));
	p.mtu = POLICY_DEFAULT_MTU;
	p.gateway_timeout_s = POLICY_DEFAULT_GATEWAY_TIMEOUT;
	p.dist_interval_s = POLICY_DEFAULT_DIST_INTERVAL;
	p.beacon_timeout_ms = POLICY_DEFAULT_BEACON_TIMEOUT;
	p.beacon_attempts = POLICY_DEFAULT_BEACON_ATTEMPTS;
	p.beacon_reverify_ms = POLICY_DEFAULT_BEACON_REVERIFY;
	p.beacon_rtt_us = POLICY_DEFAULT_BEACON_RTT;
	p.office_vouch_ms = POLICY_DEFAULT_OFFICE_VOUCH;
	p.router_arp_ms = POLICY_DEFAULT_ROUTER_ARP;
	p.router_alive_ms = POLICY_DEFAULT_ROUTER_ALIVE;
	p.handshake_stale_s = POLICY_DEFAULT_HANDSHAKE_STALE;
	ps.p = &p;
	ps.cur_set = ps.lgwan_anon = ps.rule_anon = SIZE_MAX;
	rc = parse_top(&ps);
	if (rc == 0)
		rc = check_all(&ps);
	ps_parser_free(&ps);
	if (rc != 0) {
		policy_free(&p);
		return rc;
	}
	*out = p;
	return 0;
}

int
policy_parse_file(const char *path, struct policy *out, struct sk_error *err)
{
	size_t size = POLICY_MAX_SIZE + 1, len;
	char *buf;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sk_errorf(err, errno, "%s: %s", path, strerror(errno));
	if ((buf = malloc(size)) == NULL) {
		close(fd);
		return sk_errorf(err, ENOMEM, "%s: out of memory", path);
	}
	rc = read_full(fd, buf, size, &len);	/* POLICY_MAX_SIZE + 1: tells "too large" */
	close(fd);
	if (rc != 0)
		rc = sk_errorf(err, -rc, "%s: %s", path, strerror(-rc));
	else
		rc = policy_parse_buf(path, buf, len, out, err);
	free(buf);
	return rc;
}

void
policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->n_sets; i++) {
		free(p->sets[i].v4);
		free(p->sets[i].v6);
	}
	free(p->sets);
	free(p->lgwan6);
	free(p->services);
	free(p->inbound);
	free(p->lgwan);
	memset(p, 0, sizeof(*p));
}
