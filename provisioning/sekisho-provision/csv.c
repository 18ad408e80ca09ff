/* CSV as Excel writes it (csv.h). */
#include "provisioning/sekisho-provision/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
csv_reader_init(struct csv_reader *r, const char *name, const char *data,
    size_t len)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->p = data;
	r->len = len;
	r->line = 1;
}

void
csv_reader_free(struct csv_reader *r)
{
	free(r->buf);
	free(r->foff);
	free(r->flen);
	free(r->fptr);
	r->buf = NULL;
	r->foff = r->flen = NULL;
	r->fptr = NULL;
	r->buflen = r->bufcap = r->nf = r->fcap = 0;
}

/* Room for n more bytes in the record buffer (limits checked by caller). */
static int
reserve(struct csv_reader *r, size_t n)
{
	size_t cap;
	char *p;

	if (r->buflen + n <= r->bufcap)
		return 0;
	cap = r->bufcap ? r->bufcap : 1024;
	while (cap < r->buflen + n)
		cap *= 2;
	if ((p = realloc(r->buf, cap)) == NULL)
		return -ENOMEM;
	r->buf = p;
	r->bufcap = cap;
	return 0;
}

static int
new_field(struct csv_reader *r)
{
	if (r->nf == r->fcap) {
		size_t cap = r->fcap ? r->fcap * 2 : 16;
		size_t *o, *l;
		const char **f;

		if ((o = realloc(r->foff, cap * sizeof(*o))) == NULL)
			return -ENOMEM;
		r->foff = o;
		if ((l = realloc(r->flen, cap * sizeof(*l))) == NULL)
			return -ENOMEM;
		r->flen = l;
		if ((f = realloc(r->fptr, cap * sizeof(*f))) == NULL)
			return -ENOMEM;
		r->fptr = f;
		r->fcap = cap;
	}
	r->foff[r->nf] = r->buflen;
	r->flen[r->nf] = 0;
	r->nf++;
	return 0;
}

/* Appends n bytes to the current field, within the limits. */
static int
put(struct csv_reader *r, const char *s, size_t n, size_t start,
    struct sk_error *err)
{
	size_t *fl = &r->flen[r->nf - 1];

	if (*fl + n > CSV_FIELD_MAX)
		return sk_errorf(err, EINVAL, "%s:%zu: field longer than %d bytes",
		    r->name, start, CSV_FIELD_MAX);
	/* The record's bytes, NULs between fields included. */
	if (r->buflen + n + 1 > CSV_RECORD_MAX)
		return sk_errorf(err, EINVAL, "%s:%zu: record longer than %d bytes",
		    r->name, start, CSV_RECORD_MAX);
	if (reserve(r, n + 1) < 0)
		return sk_errorf(err, ENOMEM, "%s: out of memory", r->name);
	memcpy(r->buf + r->buflen, s, n);
	r->buflen += n;
	*fl += n;
	return 0;
}

static int
end_field(struct csv_reader *r)
{
	if (reserve(r, 1) < 0)
		return -ENOMEM;
	r->buf[r->buflen++] = '\0';
	return 0;
}

int
csv_read(struct csv_reader *r, struct csv_record *rec, struct sk_error *err)
{
	const char *p = r->p;
	size_t start = r->line;
	int rc;

	if (r->off >= r->len)
		return 0;
	r->buflen = 0;
	r->nf = 0;
	for (;;) {
		if (r->nf == CSV_FIELDS_MAX)
			return sk_errorf(err, EINVAL, "%s:%zu: more than %d fields",
			    r->name, start, CSV_FIELDS_MAX);
		if (new_field(r) < 0)
			return sk_errorf(err, ENOMEM, "%s: out of memory", r->name);
		if (r->off < r->len && p[r->off] == '"') {
			r->off++;
			for (;;) {
				size_t s = r->off;

				while (r->off < r->len && p[r->off] != '"' &&
				    p[r->off] != '\n' && p[r->off] != '\r')
					r->off++;
				if ((rc = put(r, p + s, r->off - s, start, err)) < 0)
					return rc;
				if (r->off >= r->len)
					return sk_errorf(err, EINVAL,
					    "%s:%zu: unterminated quoted field",
					    r->name, start);
				if (p[r->off] == '"') {
					if (r->off + 1 < r->len && p[r->off + 1] == '"') {
						if ((rc = put(r, "\"", 1, start, err)) < 0)
							return rc;
						r->off += 2;
						continue;
					}
					r->off++;
					break;
				}
				/* A line break inside the quotes is data. */
				if ((rc = put(r, p + r->off, 1, start, err)) < 0)
					return rc;
				if (p[r->off] == '\n' || r->off + 1 >= r->len ||
				    p[r->off + 1] != '\n')
					r->line++;
				r->off++;
			}
			if (r->off < r->len && p[r->off] != ',' &&
			    p[r->off] != '\r' && p[r->off] != '\n')
				return sk_errorf(err, EINVAL,
				    "%s:%zu: text after a closing quote",
				    r->name, start);
		} else {
			size_t s = r->off;

			while (r->off < r->len && p[r->off] != ',' &&
			    p[r->off] != '\n' && p[r->off] != '\r') {
				if (p[r->off] == '"')
					return sk_errorf(err, EINVAL,
					    "%s:%zu: quote inside an unquoted field",
					    r->name, start);
				r->off++;
			}
			if ((rc = put(r, p + s, r->off - s, start, err)) < 0)
				return rc;
		}
		if (end_field(r) < 0)
			return sk_errorf(err, ENOMEM, "%s: out of memory", r->name);
		if (r->off >= r->len)
			break;
		if (p[r->off] == ',') {
			r->off++;
			continue;
		}
		/* CRLF, LF or a lone CR ends the record. */
		if (p[r->off] == '\r' && r->off + 1 < r->len &&
		    p[r->off + 1] == '\n')
			r->off++;
		r->off++;
		r->line++;
		break;
	}
	for (size_t i = 0; i < r->nf; i++)
		r->fptr[i] = r->buf + r->foff[i];
	rec->line = start;
	rec->n = r->nf;
	rec->field = r->fptr;
	rec->len = r->flen;
	return 1;
}

int
csv_file_read(const char *path, char **data, size_t *len, struct sk_error *err)
{
	struct stat st;
	char *buf;
	size_t n;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return sk_errorf(err, errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) == -1) {
		rc = sk_errorf(err, errno, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return sk_errorf(err, EINVAL, "%s: not a regular file", path);
	}
	if (st.st_size > (off_t)CSV_FILE_MAX) {
		close(fd);
		return sk_errorf(err, EFBIG, "%s: larger than %u MiB", path,
		    CSV_FILE_MAX >> 20);
	}
	/* One byte more than the size tells a file that grew meanwhile. */
	if ((buf = malloc((size_t)st.st_size + 2)) == NULL) {
		close(fd);
		return sk_errorf(err, ENOMEM, "%s: out of memory", path);
	}
	rc = read_full(fd, buf, (size_t)st.st_size + 1, &n);
	close(fd);
	if (rc < 0) {
		free(buf);
		return sk_errorf(err, -rc, "%s: %s", path, strerror(-rc));
	}
	if (n != (size_t)st.st_size) {
		free(buf);
		return sk_errorf(err, EAGAIN, "%s: changed while being read", path);
	}
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

int
csv_needs_quote(const char *s, size_t len)
{
	if (len > 0 && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
	    s[len - 1] == '\t'))
		return 1;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n')
			return 1;
	return 0;
}

/* Appends bytes, NULs included (buf_printf stops at a NUL). */
static void
append(struct buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void
csv_write_field(struct buf *out, const char *s, size_t len)
{
	size_t i, j;

	if (!csv_needs_quote(s, len)) {
		append(out, s, len);
		return;
	}
	append(out, "\"", 1);
	for (i = j = 0; i < len; i++)
		if (s[i] == '"') {
			append(out, s + j, i + 1 - j);
			append(out, "\"", 1);
			j = i + 1;
		}
	append(out, s + j, len - j);
	append(out, "\"", 1);
}

void
csv_write_record(struct buf *out, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			append(out, ",", 1);
		csv_write_field(out, fields[i], strlen(fields[i]));
	}
	append(out, "\r\n", 2);
}
