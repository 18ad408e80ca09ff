/* Line reader for hw/'s configuration files (see hw/sekisho-partition/conf.h). */
#include "hw/sekisho-partition/conf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHOW_MAX 40

void
conf_init(struct conf_reader *r, const char *name, const char *buf,
    size_t len, struct sk_error *err)
{
	r->name = name;
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->line = 0;
	r->err = err;
}

static int
rerr(const struct conf_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rerr(const struct conf_reader *r, const char *fmt, ...)
{
	char what[sizeof(r->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sk_errorf(r->err, EINVAL, "%s:%u: %s", r->name, r->line, what);
}

int
conf_err(const struct conf_line *l, const char *fmt, ...)
{
	char what[sizeof(l->r->err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return sk_errorf(l->r->err, EINVAL, "%s:%u: %s", l->r->name, l->line,
	    what);
}

static int
bad_byte(const struct conf_reader *r, unsigned char c)
{
	if (c == '\0')
		return rerr(r, "NUL byte, expected text");
	if (c == '\r')
		return rerr(r, "carriage return, expected Unix (LF) line endings");
	if (c >= 0x80)
		return rerr(r, "non-ASCII byte 0x%02x, expected ASCII text", c);
	return rerr(r, "control character 0x%02x, expected printable ASCII", c);
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Checks the bytes of the line starting at r->pos and returns its length
 * (without '\n'), or -EINVAL. */
static int
line_check(const struct conf_reader *r, size_t *linelen)
{
	size_t i;
	unsigned char c;

	for (i = 0; r->pos + i < r->len; i++) {
		c = (unsigned char)r->buf[r->pos + i];
		if (c == '\n')
			break;
		if (i >= CONF_MAX_LINE)
			return rerr(r, "line too long, at most %d bytes",
			    CONF_MAX_LINE);
		if (c != '\t' && (c < 0x20 || c > 0x7e))
			return bad_byte(r, c);
	}
	*linelen = i;
	return 0;
}

int
conf_next(struct conf_reader *r, struct conf_line *l)
{
	const char *s, *e, *hash;
	size_t n = 0;
	int rc;

	while (r->pos < r->len) {
		r->line++;
		if ((rc = line_check(r, &n)) != 0)
			return rc;
		s = r->buf + r->pos;
		e = s + n;
		r->pos += n + (r->pos + n < r->len);	/* past the '\n' */
		if ((hash = memchr(s, '#', n)) != NULL)
			e = hash;
		while (s < e && is_blank(*s))
			s++;
		while (e > s && is_blank(e[-1]))
			e--;
		if (s == e)
			continue;
		l->r = r;
		l->line = r->line;
		l->p = s;
		l->end = e;
		return 1;
	}
	return 0;
}

int
conf_word(struct conf_line *l, struct conf_word *w)
{
	const char *s = l->p;

	while (s < l->end && is_blank(*s))
		s++;
	if (s == l->end) {
		l->p = s;
		return 0;
	}
	w->s = s;
	while (s < l->end && !is_blank(*s))
		s++;
	w->len = (size_t)(s - w->s);
	l->p = s;
	return 1;
}

void
conf_rest(struct conf_line *l, struct conf_word *w)
{
	while (l->p < l->end && is_blank(*l->p))
		l->p++;
	w->s = l->p;
	w->len = (size_t)(l->end - l->p);
	l->p = l->end;
}

int
conf_word_is(const struct conf_word *w, const char *s)
{
	return strlen(s) == w->len && memcmp(w->s, s, w->len) == 0;
}

const char *
conf_show(const struct conf_word *w, char *buf, size_t size)
{
	if (w->len <= SHOW_MAX)
		snprintf(buf, size, "'%.*s'", (int)w->len, w->s);
	else
		snprintf(buf, size, "'%.*s...'", SHOW_MAX - 3, w->s);
	return buf;
}

int
conf_version(struct conf_reader *r)
{
	struct conf_line l;
	struct conf_word w, v;
	char s[SHOW_MAX + 8];
	int rc;

	if ((rc = conf_next(r, &l)) < 0)
		return rc;
	if (rc == 0)
		return sk_errorf(r->err, EINVAL, "%s: missing 'version %d'",
		    r->name, CONF_VERSION);
	conf_word(&l, &w);
	if (!conf_word_is(&w, "version"))
		return conf_err(&l, "expected 'version %d' first, found %s",
		    CONF_VERSION, conf_show(&w, s, sizeof(s)));
	if (!conf_word(&l, &v))
		return conf_err(&l, "expected a number after 'version'");
	if (!conf_word_is(&v, "1"))
		return conf_err(&l, "unsupported version %s, this build reads "
		    "version %d", conf_show(&v, s, sizeof(s)), CONF_VERSION);
	if (conf_word(&l, &w))
		return conf_err(&l, "unexpected %s after the version",
		    conf_show(&w, s, sizeof(s)));
	return 0;
}

int
conf_hex(const char *s, size_t len, size_t ndigits, unsigned int *out)
{
	unsigned int v = 0;
	size_t i;
	char c;

	if (len != ndigits || ndigits == 0 || ndigits > 7)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (c >= '0' && c <= '9')
			v = v * 16 + (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned int)(c - 'A' + 10);
		else
			return -EINVAL;
	}
	*out = v;
	return 0;
}

int
conf_read_file(const char *path, size_t max, char **bufp, size_t *lenp,
    struct sk_error *err)
{
	char *buf;
	size_t len;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sk_errorf(err, errno, "%s: %s", path, strerror(errno));
	if ((buf = malloc(max + 2)) == NULL) {
		close(fd);
		return sk_errorf(err, ENOMEM, "%s: out of memory", path);
	}
	rc = read_full(fd, buf, max + 1, &len);
	close(fd);
	if (rc == 0 && len > max)
		rc = sk_errorf(err, EFBIG, "%s: file too large, at most %zu bytes",
		    path, max);
	else if (rc != 0)
		rc = sk_errorf(err, -rc, "%s: %s", path, strerror(-rc));
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[len] = '\0';
	*bufp = buf;
	*lenp = len;
	return 0;
}
