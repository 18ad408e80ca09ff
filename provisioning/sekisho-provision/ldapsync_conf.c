/*
 * The directory sync's configuration file (ldapsync.h): one keyword and
 * its value per line. Pure: no libldap, no I/O but ldapsync_conf_load's
 * read, so that the parser is fuzzed on its own (tests/fuzz/fuzz_ldapconf.c).
 */
#include "provisioning/sekisho-provision/ldapsync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/secfile.h"

#define LINE_MAX_LEN	2048

static const char *const field_names[LDAPSYNC_NFIELDS] = {
	"staff_id", "name", "kana", "dept", "role",
};

struct pstate {
	const char		*name;
	size_t			 line;
	struct ldapsync_conf	*c;
	struct sk_error		*err;
	/* line of first appearance, 0 when not seen */
	size_t			 seen_url, seen_base, seen_filter, seen_scope;
	size_t			 seen_bind, seen_pw, seen_tls, seen_ca, seen_page;
	size_t			 seen_timeout, seen_dis;
	size_t			 seen_attr[LDAPSYNC_NFIELDS];
};

static int
perr(struct pstate *p, const char *what, const char *arg)
{
	if (arg != NULL)
		return sk_errorf(p->err, EINVAL, "%s:%zu: %s \"%s\"", p->name,
		    p->line, what, arg);
	return sk_errorf(p->err, EINVAL, "%s:%zu: %s", p->name, p->line, what);
}

static int
once(struct pstate *p, size_t *seen, const char *kw)
{
	if (*seen != 0)
		return sk_errorf(p->err, EINVAL,
		    "%s:%zu: duplicate keyword \"%s\" (first on line %zu)",
		    p->name, p->line, kw, *seen);
	*seen = p->line;
	return 0;
}

static int
set(struct pstate *p, char *dst, size_t dstsz, const char *v, const char *kw)
{
	if (*v == '\0')
		return sk_errorf(p->err, EINVAL, "%s:%zu: %s: missing value",
		    p->name, p->line, kw);
	if (strlen(v) >= dstsz)
		return sk_errorf(p->err, EINVAL, "%s:%zu: %s: longer than %zu bytes",
		    p->name, p->line, kw, dstsz - 1);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* An attribute description: a name (letter, then letters, digits, '-')
 * or a numeric OID. */
static int
attr_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= 64)
		return 0;
	if (s[0] >= '0' && s[0] <= '9') {
		for (size_t i = 0; i < n; i++)
			if (!((s[i] >= '0' && s[i] <= '9') ||
			    (s[i] == '.' && i > 0 && s[i - 1] != '.')))
				return 0;
		return s[n - 1] != '.';
	}
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

static int
filter_ok(const char *s)
{
	size_t n = strlen(s);
	int depth = 0;

	if (n < 3 || s[0] != '(' || s[n - 1] != ')')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '(')
			depth++;
		else if (s[i] == ')' && --depth < 0)
			return 0;
		if (depth == 0 && i + 1 < n)
			return 0;	/* "(a)(b)": two filters */
	}
	return depth == 0;
}

static int
url_scheme(const char *s)
{
	if (strncasecmp(s, "ldap://", 7) == 0)
		return 'l';
	if (strncasecmp(s, "ldaps://", 8) == 0)
		return 's';
	if (strncasecmp(s, "ldapi://", 8) == 0)
		return 'i';
	return 0;
}

static int
url_ok(const char *s)
{
	if (url_scheme(s) == 0)
		return 0;
	for (; *s != '\0'; s++)
		if (*s == ' ' || *s == '\t' || *s == '"')
			return 0;
	return 1;
}

/* ldap://HOST[:PORT][/...] with HOST on the loopback. */
static int
url_loopback(const char *url)
{
	const char *h = url + 7;
	size_t n = strcspn(h, "/?");
	char host[256];

	if (n >= sizeof(host))
		return 0;
	memcpy(host, h, n);
	host[n] = '\0';
	if (strncmp(host, "[::1]", 5) == 0)
		return host[5] == '\0' || host[5] == ':';
	host[strcspn(host, ":")] = '\0';
	return strcasecmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0;
}

static int
path_ok(const char *s)
{
	return s[0] == '/';
}

/* Splits "word rest" in place: *rest points past the word's blanks. */
static char *
word(char *s, char **rest)
{
	char *e = s + strcspn(s, " \t");

	if (*e != '\0') {
		*e++ = '\0';
		e += strspn(e, " \t");
	}
	*rest = e;
	return s;
}

static int
keyword(struct pstate *p, char *kw, char *v)
{
	struct ldapsync_conf *c = p->c;
	uint64_t n;
	int rc;

	if (strcmp(kw, "url") == 0) {
		if ((rc = once(p, &p->seen_url, kw)) < 0)
			return rc;
		if (!url_ok(v))
			return perr(p, "url: not an ldap://, ldaps:// or ldapi:// URL", NULL);
		return set(p, c->url, sizeof(c->url), v, kw);
	}
	if (strcmp(kw, "base") == 0) {
		if ((rc = once(p, &p->seen_base, kw)) < 0)
			return rc;
		return set(p, c->base, sizeof(c->base), v, kw);
	}
	if (strcmp(kw, "filter") == 0) {
		if ((rc = once(p, &p->seen_filter, kw)) < 0)
			return rc;
		if (!filter_ok(v))
			return perr(p, "filter: not one parenthesised LDAP filter", NULL);
		return set(p, c->filter, sizeof(c->filter), v, kw);
	}
	if (strcmp(kw, "scope") == 0) {
		if ((rc = once(p, &p->seen_scope, kw)) < 0)
			return rc;
		if (strcmp(v, "sub") == 0)
			c->scope_one = 0;
		else if (strcmp(v, "one") == 0)
			c->scope_one = 1;
		else
			return perr(p, "scope: must be sub or one, not", v);
		return 0;
	}
	if (strcmp(kw, "bind_dn") == 0) {
		if ((rc = once(p, &p->seen_bind, kw)) < 0)
			return rc;
		return set(p, c->bind_dn, sizeof(c->bind_dn), v, kw);
	}
	if (strcmp(kw, "bind_password") == 0)
		return perr(p, "bind_password: a password is never written here; "
		    "use bind_password_file (mode 0600)", NULL);
	if (strcmp(kw, "bind_password_file") == 0) {
		if ((rc = once(p, &p->seen_pw, kw)) < 0)
			return rc;
		if (!path_ok(v))
			return perr(p, "bind_password_file: not an absolute path", NULL);
		return set(p, c->bind_pw_file, sizeof(c->bind_pw_file), v, kw);
	}
	if (strcmp(kw, "starttls") == 0) {
		if ((rc = once(p, &p->seen_tls, kw)) < 0)
			return rc;
		if (strcmp(v, "yes") == 0)
			c->starttls = 1;
		else if (strcmp(v, "no") == 0)
			c->starttls = 0;
		else
			return perr(p, "starttls: must be yes or no, not", v);
		return 0;
	}
	if (strcmp(kw, "ca_file") == 0) {
		if ((rc = once(p, &p->seen_ca, kw)) < 0)
			return rc;
		if (!path_ok(v))
			return perr(p, "ca_file: not an absolute path", NULL);
		return set(p, c->ca_file, sizeof(c->ca_file), v, kw);
	}
	if (strcmp(kw, "page_size") == 0) {
		if ((rc = once(p, &p->seen_page, kw)) < 0)
			return rc;
		if (parse_u64(v, 1, LDAPSYNC_PAGE_MAX, &n) < 0)
			return perr(p, "page_size: must be 1 to 1000, not", v);
		c->page_size = (int)n;
		return 0;
	}
	if (strcmp(kw, "timeout") == 0) {
		if ((rc = once(p, &p->seen_timeout, kw)) < 0)
			return rc;
		if (parse_u64(v, 1, 3600, &n) < 0)
			return perr(p, "timeout: must be 1 to 3600 seconds, not", v);
		c->timeout_s = (int)n;
		return 0;
	}
	if (strcmp(kw, "attr") == 0) {
		char *rest, *f = word(v, &rest);
		int i;

		for (i = 0; i < LDAPSYNC_NFIELDS; i++)
			if (strcmp(f, field_names[i]) == 0)
				break;
		if (i == LDAPSYNC_NFIELDS)
			return perr(p, "attr: unknown field (staff_id, name, kana, "
			    "dept, role):", f);
		if (p->seen_attr[i] != 0)
			return sk_errorf(p->err, EINVAL, "%s:%zu: duplicate "
			    "\"attr %s\" (first on line %zu)", p->name, p->line,
			    f, p->seen_attr[i]);
		p->seen_attr[i] = p->line;
		if (!attr_ok(rest) || rest[strcspn(rest, " \t")] != '\0')
			return perr(p, "attr: bad attribute name", rest);
		return set(p, c->attr[i], sizeof(c->attr[i]), rest, kw);
	}
	if (strcmp(kw, "disabled") == 0) {
		char *rest, *m;

		if ((rc = once(p, &p->seen_dis, kw)) < 0)
			return rc;
		m = word(v, &rest);
		if (strcmp(m, "none") == 0 && *rest == '\0')
			c->dis_mode = LDAPSYNC_DIS_NONE;
		else if (strcmp(m, "ad") == 0 && *rest == '\0')
			c->dis_mode = LDAPSYNC_DIS_AD;
		else if (strcmp(m, "present") == 0) {
			if (!attr_ok(rest))
				return perr(p, "disabled present: bad attribute name",
				    rest);
			c->dis_mode = LDAPSYNC_DIS_PRESENT;
			return set(p, c->dis_attr, sizeof(c->dis_attr), rest, kw);
		} else if (strcmp(m, "equals") == 0) {
			char *val, *a = word(rest, &val);

			if (!attr_ok(a))
				return perr(p, "disabled equals: bad attribute name",
				    a);
			if (*val == '\0')
				return perr(p, "disabled equals: missing value", NULL);
			c->dis_mode = LDAPSYNC_DIS_EQUALS;
			if ((rc = set(p, c->dis_attr, sizeof(c->dis_attr), a,
			    kw)) < 0)
				return rc;
			return set(p, c->dis_value, sizeof(c->dis_value), val, kw);
		} else
			return perr(p, "disabled: must be ad, equals ATTR VALUE, "
			    "present ATTR or none", NULL);
		return 0;
	}
	return perr(p, "unknown keyword", kw);
}

static void
defaults(struct ldapsync_conf *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s", name);
	snprintf(c->filter, sizeof(c->filter), "(objectClass=*)");
	c->page_size = 500;
	c->timeout_s = 30;
}

/* Whole-file checks, after every line. */
static int
complete(const struct ldapsync_conf *c, const struct pstate *p,
    struct sk_error *err)
{
	if (c->url[0] == '\0')
		return sk_errorf(err, EINVAL, "%s: missing url", p->name);
	if (c->base[0] == '\0')
		return sk_errorf(err, EINVAL, "%s: missing base", p->name);
	if (c->attr[LDAPSYNC_STAFF_ID][0] == '\0')
		return sk_errorf(err, EINVAL, "%s: missing attr staff_id", p->name);
	if (c->attr[LDAPSYNC_NAME][0] == '\0')
		return sk_errorf(err, EINVAL, "%s: missing attr name", p->name);
	if (c->bind_dn[0] != '\0' && c->bind_pw_file[0] == '\0')
		return sk_errorf(err, EINVAL, "%s: bind_dn needs bind_password_file",
		    p->name);
	if (c->bind_dn[0] == '\0' && c->bind_pw_file[0] != '\0')
		return sk_errorf(err, EINVAL, "%s: bind_password_file needs bind_dn",
		    p->name);
	if (c->starttls && url_scheme(c->url) != 'l')
		return sk_errorf(err, EINVAL, "%s: starttls is for ldap:// URLs",
		    p->name);
	if (c->bind_dn[0] != '\0' && url_scheme(c->url) == 'l' && !c->starttls &&
	    !url_loopback(c->url))
		return sk_errorf(err, EINVAL, "%s: bind password would cross the "
		    "network in clear (use ldaps://, starttls yes or ldapi://)",
		    p->name);
	return 0;
}

int
ldapsync_conf_parse(const char *name, const char *text, size_t len,
    struct ldapsync_conf *c, struct sk_error *err)
{
	struct pstate p;
	char line[LINE_MAX_LEN + 1];
	size_t off = 0;
	int rc;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.c = c;
	p.err = err;
	defaults(c, name);
	if (len > LDAPSYNC_CONF_MAX)
		return sk_errorf(err, EFBIG, "%s: larger than %d bytes", name,
		    LDAPSYNC_CONF_MAX);
	while (off < len) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (text + off)) : len - off;
		char *s, *kw, *v, *e;

		p.line++;
		if (n > LINE_MAX_LEN)
			return sk_errorf(err, EINVAL, "%s:%zu: line longer than %d "
			    "bytes", name, p.line, LINE_MAX_LEN);
		memcpy(line, text + off, n);
		line[n] = '\0';
		off += n + (nl != NULL);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)line[i];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				return sk_errorf(err, EINVAL, "%s:%zu: control "
				    "character", name, p.line);
		}
		s = line + strspn(line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		/* Trailing blanks are not part of a value. */
		e = s + strlen(s);
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		kw = word(s, &v);
		if ((rc = keyword(&p, kw, v)) < 0)
			return rc;
	}
	if ((rc = complete(c, &p, err)) < 0)
		return rc;
	return 0;
}

int
ldapsync_conf_load(const char *path, struct ldapsync_conf *c,
    struct sk_error *err)
{
	static const struct secfile_rule rule = {
		"ldap sync configuration", 0, SECFILE_ANY_OWNER, NULL,
	};
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = secfile_read(path, &rule, LDAPSYNC_CONF_MAX, &buf, &len,
	    err)) < 0)
		return rc;
	rc = ldapsync_conf_parse(path, (const char *)buf, len, c, err);
	free(buf);
	return rc;
}

int
ldapsync_conf_set_url(struct ldapsync_conf *c, const char *url,
    struct sk_error *err)
{
	struct pstate p;
	struct ldapsync_conf tmp = *c;

	memset(&p, 0, sizeof(p));
	p.name = "command line";
	if (!url_ok(url) || strlen(url) >= sizeof(tmp.url))
		return sk_errorf(err, EINVAL, "%s: not an ldap://, ldaps:// or "
		    "ldapi:// URL", url);
	snprintf(tmp.url, sizeof(tmp.url), "%s", url);
	p.name = c->file;
	if (complete(&tmp, &p, err) < 0)
		return -EINVAL;
	*c = tmp;
	return 0;
}

void
ldapsync_conf_print(const struct ldapsync_conf *c, FILE *f)
{
	fprintf(f, "url %s\n", c->url);
	fprintf(f, "base %s\n", c->base);
	fprintf(f, "filter %s\n", c->filter);
	fprintf(f, "scope %s\n", c->scope_one ? "one" : "sub");
	if (c->bind_dn[0] != '\0') {
		fprintf(f, "bind_dn %s\n", c->bind_dn);
		fprintf(f, "bind_password_file %s\n", c->bind_pw_file);
	}
	fprintf(f, "starttls %s\n", c->starttls ? "yes" : "no");
	if (c->ca_file[0] != '\0')
		fprintf(f, "ca_file %s\n", c->ca_file);
	fprintf(f, "page_size %d\n", c->page_size);
	fprintf(f, "timeout %d\n", c->timeout_s);
	for (int i = 0; i < LDAPSYNC_NFIELDS; i++)
		if (c->attr[i][0] != '\0')
			fprintf(f, "attr %s %s\n", field_names[i], c->attr[i]);
	switch (c->dis_mode) {
	case LDAPSYNC_DIS_AD:
		fprintf(f, "disabled ad\n");
		break;
	case LDAPSYNC_DIS_EQUALS:
		fprintf(f, "disabled equals %s %s\n", c->dis_attr, c->dis_value);
		break;
	case LDAPSYNC_DIS_PRESENT:
		fprintf(f, "disabled present %s\n", c->dis_attr);
		break;
	default:
		fprintf(f, "disabled none\n");
		break;
	}
}
