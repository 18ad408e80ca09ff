/*
 * A device's policy: its group's template, written once by IT, with the
 * device's own part appended (serial, tunnel addresses, key file), and
 * each gateway's tunnel-address filled in from the registry (the pool's
 * .1: every gateway on a registry has that address in the tunnel, where
 * the laptop's liveness probe sends its echo). One function for the
 * bundle sekisho-provision signs and for the rules the gateway compiles,
 * so the two never differ.
 */
#include "registry/ops.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"

/* The policy lexer's word delimiters (policy/parse.c). */
static int
delim(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '{' || c == '}' || c == '#' ||
	    c == '"' || c == '\0';
}

/* The IPv4 address of "A.B.C.D/32" (n bytes): 0, or -1. */
static int
addr32(const char *s, size_t n, struct in_addr *a)
{
	char t[INET_ADDRSTRLEN + 3];

	if (n < 4 || n >= sizeof(t) || memcmp(s + n - 3, "/32", 3) != 0)
		return -1;
	memcpy(t, s, n - 3);
	t[n - 3] = '\0';
	return inet_pton(AF_INET, t, a) == 1 ? 0 : -1;
}

/*
 * tmpl into b with "tunnel-address GW" in every top-level gateway block
 * that has none, where it shifts no line of the template: after the
 * block's '{' when nothing but a comment follows it on its line, else
 * before its '}' when that begins its line; else on a line of its own
 * before the '}'. A block's own tunnel-address must be GW: -EINVAL with
 * "line N: ..." in err otherwise. The template's syntax is the parser's
 * to judge; this reads only what it needs (words, quoted strings,
 * comments, braces).
 */
static int
fill_gateways(const char *tmpl, const char *gw, struct buf *b, struct sk_error *err)
{
	enum { NONE, NAME, BRACE, BODY } st = NONE;
	struct in_addr want, got;
	const char *p = tmpl, *open = NULL, *from = tmpl, *kw = NULL;
	char name[128] = "";
	unsigned line = 1;
	int depth = 0, stmt = 1, seen = 0;

	if (addr32(gw, strlen(gw), &want) < 0)
		return sk_errorf(err, EINVAL, "the gateways' tunnel address '%s' is not A.B.C.D/32", gw);
	while (*p != '\0') {
		const char *w = p;
		size_t n;

		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (*p == '#') {
			while (*p != '\0' && *p != '\n')
				p++;
			continue;
		}
		if (*p == '\n') {
			line++;
			p++;
			stmt = 1;
			kw = NULL;
			continue;
		}
		if (*p == '{') {
			if (st == BRACE && depth == 0) {
				st = BODY;
				open = p + 1;
				seen = 0;
			}
			depth++;
			p++;
			stmt = 1;
			kw = NULL;
			continue;
		}
		if (*p == '}') {
			if (st == BODY && depth == 1) {
				const char *q = open, *ls = p;

				while (ls > tmpl && (ls[-1] == ' ' || ls[-1] == '\t'))
					ls--;
				while (*q == ' ' || *q == '\t')
					q++;
				if (seen)
					;
				else if (*q == '\n' || *q == '#' || *q == '\0') {
					buf_add(b, from, (size_t)(open - from));
					buf_printf(b, " tunnel-address %s", gw);
					from = open;
				} else {
					buf_add(b, from, (size_t)(p - from));
					buf_printf(b, ls == tmpl || ls[-1] == '\n' ?
					    "tunnel-address %s " : "\n\ttunnel-address %s\n", gw);
					from = p;
				}
				st = NONE;
			}
			if (depth > 0)
				depth--;
			p++;
			stmt = 1;
			kw = NULL;
			continue;
		}
		/* a word or a quoted string */
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"' && *p != '\n'; p++)
				;
			w++;
			n = (size_t)(p - w);
			if (*p == '"')
				p++;
		} else {
			while (!delim(*p))
				p++;
			n = (size_t)(p - w);
		}
		if (stmt && depth == 0) {
			st = n == 7 && memcmp(w, "gateway", 7) == 0 ? NAME : NONE;
		} else if (st == NAME && depth == 0) {
			snprintf(name, sizeof(name), "%.*s", (int)(n < 100 ? n : 100), w);
			st = BRACE;
		} else if (st == BODY && depth == 1 && kw != NULL) {
			if (addr32(w, n, &got) < 0 || got.s_addr != want.s_addr)
				return sk_errorf(err, EINVAL, "line %u: gateway \"%s\" has tunnel-address"
				    " %.*s, but the registry's gateways have %s in the tunnel (the"
				    " pool's .1): leave it out, sekisho-provision fills it in", line,
				    name, (int)(n < 64 ? n : 64), w, gw);
			seen = 1;
		}
		kw = st == BODY && depth == 1 && stmt && n == 14 &&
		    memcmp(w, "tunnel-address", 14) == 0 ? w : NULL;
		stmt = 0;
	}
	buf_add(b, from, (size_t)(p - from));
	return b->oom ? sk_errorf(err, ENOMEM, "out of memory") : 0;
}

int
reg_policy_compose(const char *tmpl, const struct reg_device *d,
    const char *key_file, int64_t serial, const char *gw, char **out, size_t *outlen,
    struct sk_error *err)
{
	struct buf b;
	int n, rc;

	*out = NULL;
	buf_init(&b);
	if (gw != NULL) {
		if ((rc = fill_gateways(tmpl, gw, &b, err)) < 0) {
			buf_free(&b);
			return rc;
		}
	} else
		buf_add(&b, tmpl, strlen(tmpl));
	if (b.len > 0 && b.p[b.len - 1] != '\n')
		buf_add(&b, "\n", 1);
	n = snprintf(NULL, 0, "%s%s%s", d->addr4, d->addr6, key_file);
	if (n < 0 || n > 4096) {
		buf_free(&b);
		return sk_errorf(err, E2BIG, "device %s: policy text too long", d->name);
	}
	buf_printf(&b,
	    "# device %s, filled in by sekisho-provision\n"
	    "serial %lld\n"
	    "device {\n"
	    "\ttunnel-address %s\n"
	    "%s%s%s"
	    "\tkey-file \"%s\"\n"
	    "}\n", d->name, (long long)serial, d->addr4,
	    d->addr6[0] ? "\ttunnel-address6 " : "", d->addr6, d->addr6[0] ? "\n" : "",
	    key_file);
	if (b.oom) {
		buf_free(&b);
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	*outlen = b.len;
	*out = b.p;	/* the buf's block, NUL-terminated (buf_add keeps it so) */
	return 0;
}

int
reg_device_policy_text(struct reg *r, const struct reg_device *d, char **text,
    struct sk_error *err)
{
	struct reg_group g;
	struct sk_error e1;
	char gw[64];
	size_t len;
	int rc;

	*text = NULL;
	if ((rc = reg_gateway_tunnel(r, gw, sizeof(gw), err)) < 0)
		return rc;
	if ((rc = reg_group_get(r, d->grp, &g, err)) < 0)
		return rc;
	rc = reg_policy_compose(g.tmpl, d, g.key_file, d->serial, gw, text, &len, &e1);
	reg_group_free(&g);
	if (rc < 0)
		return sk_errorf(err, -rc, "device %s: group %s's template: %s", d->name, d->grp,
		    e1.msg);
	return 0;
}
