/* The audit outbox (outbox.h): a local, append-only, fsync'd CSV file. */
#include "guestagent/sekisho-agent/outbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "guestagent/sekisho-agent/lock.h"
#include "lib/util.h"

#define OUTBOX_MAX_BYTES	(64u << 20)	/* read at most this much */

static int
name_index(const char *s, size_t len, const char *(*name)(int), int lo, int hi)
{
	for (int i = lo; i <= hi; i++) {
		const char *n = name(i);

		if (strlen(n) == len && memcmp(n, s, len) == 0)
			return i;
	}
	return -1;
}

/* A decimal u64 field ending at sep: its end, or NULL. */
static const char *
num_field(const char *p, char sep, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = p;

	if (*p == '0' && p[1] != sep)
		return NULL;	/* one spelling per number */
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return NULL;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s || *p != sep)
		return NULL;
	*out = v;
	return p;
}

int
outbox_parse_id(const char *line, uint64_t *id)
{
	uint64_t v = 0;

	if (line[0] != 'O' || line[1] != ',' || strlen(line) != 2 + 16)
		return -1;
	for (const char *p = line + 2; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			v = v << 4 | (uint64_t)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			v = v << 4 | (uint64_t)(*p - 'a' + 10);
		else
			return -1;	/* one spelling: lower case */
	}
	if (v == 0)
		return -1;
	*id = v;
	return 0;
}

int
outbox_parse_line(const char *line, struct outbox_ev *ev, uint64_t *through,
    uint64_t *last)
{
	const char *p, *q;
	uint64_t id;
	int k, r;

	if (strlen(line) >= OUTBOX_LINE_MAX)
		return -1;
	if (line[0] == 'O')
		return outbox_parse_id(line, &id) == 0 ? 'O' : -1;
	if (line[0] == 'B' && line[1] == ',') {
		if ((p = num_field(line + 2, '\0', through)) == NULL)
			return -1;
		*last = *through;
		return 'B';
	}
	if (line[0] == 'A' && line[1] == ',') {
		if ((p = num_field(line + 2, ',', through)) == NULL ||
		    (p = num_field(p + 1, '\0', last)) == NULL || *through > *last)
			return -1;
		return 'A';
	}
	if (line[0] != 'E' || line[1] != ',')
		return -1;
	memset(ev, 0, sizeof(*ev));
	if ((p = num_field(line + 2, ',', &ev->seq)) == NULL || ev->seq == 0 ||
	    (p = num_field(p + 1, ',', &ev->time)) == NULL)
		return -1;
	p++;
	if ((q = strchr(p, ',')) == NULL ||
	    (k = name_index(p, (size_t)(q - p), signon_ev_kind_name, 1,
	    SIGNON_EV_KIND_MAX)) < 0)
		return -1;
	p = q + 1;
	if ((q = strchr(p, ',')) == NULL ||
	    (r = name_index(p, (size_t)(q - p), signon_ev_reason_name, 0,
	    SIGNON_EVR_MAX)) < 0)
		return -1;
	p = q + 1;
	if (strlen(p) > SIGNON_STAFF_LEN || (*p != '\0' && !signon_staff_valid(p)) ||
	    strchr(p, ',') != NULL || strchr(p, '"') != NULL)
		return -1;
	ev->kind = (uint8_t)k;
	ev->reason = (uint8_t)r;
	sk_strlcpy(ev->staff, p, sizeof(ev->staff));
	return 'E';
}

int
outbox_format(const struct outbox_ev *ev, char *buf, size_t size)
{
	int n;

	if (ev->seq == 0 || ev->kind < 1 || ev->kind > SIGNON_EV_KIND_MAX ||
	    ev->reason > SIGNON_EVR_MAX ||
	    (ev->staff[0] != '\0' && (!signon_staff_valid(ev->staff) ||
	    strchr(ev->staff, ',') != NULL || strchr(ev->staff, '"') != NULL)))
		return -1;
	n = snprintf(buf, size, "E,%" PRIu64 ",%" PRIu64 ",%s,%s,%s\n", ev->seq,
	    ev->time, signon_ev_kind_name(ev->kind), signon_ev_reason_name(ev->reason),
	    ev->staff);
	return n > 0 && (size_t)n < size && n < OUTBOX_LINE_MAX ? n : -1;
}

/*
 * The outbox open under its lock. The lock is a file of its own
 * (OUTBOX_LOCK, empty), taken before the outbox is opened and released
 * after it is closed: nobody holds the outbox open outside the lock, so
 * it can be replaced whole (compact) on Windows too, where a file that
 * is open cannot be renamed over (lock.h, file_replace).
 */
struct ob {
	int	lock_fd, fd;
	char	path[4096];
};

static int
fail(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
	snprintf(err, errlen, fmt, a, b);
	return -1;
}

static void
ob_close(struct ob *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
	if (o->lock_fd >= 0) {
		file_unlock(o->lock_fd);
		close(o->lock_fd);
	}
	o->lock_fd = -1;
}

/* Opens (creating, 0600) and locks the outbox; refuses one others can
 * read. -2: there is none (create 0). */
static int
ob_open(const char *dir, struct ob *o, int create, char *err, size_t errlen)
{
	char lpath[4200];

	o->lock_fd = o->fd = -1;
	if ((size_t)snprintf(o->path, sizeof(o->path), "%s/%s", dir, OUTBOX_FILE) >=
	    sizeof(o->path))
		return fail(err, errlen, "outbox %s: path too long%s", dir, "");
	snprintf(lpath, sizeof(lpath), "%s/%s", dir, OUTBOX_LOCK);
	if (create && mkdir(dir, 0700) != 0 && errno != EEXIST)
		return fail(err, errlen, "outbox %s: %s", dir, strerror(errno));
	if ((o->lock_fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0) {
		if (!create && errno == ENOENT)
			return -2;	/* no directory: nothing was ever written */
		return fail(err, errlen, "outbox %s: %s", lpath, strerror(errno));
	}
	if (!file_private(o->lock_fd)) {
		ob_close(o);
		return fail(err, errlen, "outbox %s: %s", lpath, "not the agent's own"
		    " file with mode 0600: refused");
	}
	if (file_lock(o->lock_fd) != 0) {
		ob_close(o);
		return fail(err, errlen, "outbox %s: %s", lpath, "cannot be locked");
	}
	o->fd = open(o->path, (create ? O_RDWR | O_CREAT : O_RDONLY) | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	if (o->fd < 0) {
		int e = errno;

		ob_close(o);
		if (!create && e == ENOENT)
			return -2;	/* nothing was ever written */
		return fail(err, errlen, "outbox %s: %s", o->path, strerror(e));
	}
	if (!file_private(o->fd)) {
		ob_close(o);
		return fail(err, errlen, "outbox %s: %s", o->path, "not the agent's own"
		    " file with mode 0600: refused");
	}
	return 0;
}

/*
 * The last seq made (from the last whole line), after dropping a line cut
 * short by a crash. The file ends with a newline afterwards; *empty says
 * it holds no whole line (not even its id).
 */
static int
tail_last(int fd, const char *path, uint64_t *last, int *empty, char *err,
    size_t errlen)
{
	char buf[2 * OUTBOX_LINE_MAX + 1], *nl, *start;
	struct outbox_ev ev;
	uint64_t through;
	off_t size, from;
	size_t got;

	*last = 0;
	*empty = 1;
	if ((size = lseek(fd, 0, SEEK_END)) < 0)
		return fail(err, errlen, "outbox %s: %s", path, strerror(errno));
	if (size == 0)
		return 0;
	from = size > (off_t)(sizeof(buf) - 1) ? size - (off_t)(sizeof(buf) - 1) : 0;
	if (lseek(fd, from, SEEK_SET) < 0 ||
	    read_full(fd, buf, (size_t)(size - from), &got) != 0 ||
	    got != (size_t)(size - from))
		return fail(err, errlen, "outbox %s: %s", path, "cannot be read");
	buf[got] = '\0';
	if ((nl = strrchr(buf, '\n')) == NULL) {
		if (from != 0)
			return fail(err, errlen, "outbox %s: %s", path,
			    "its last line is too long: not an outbox");
		nl = buf - 1;	/* nothing whole: the first line was cut */
	}
	if (nl[1] != '\0') {
		/* cut short: never fsync'd whole, so never delivered */
		if (ftruncate(fd, from + (nl + 1 - buf)) != 0 || fsync(fd) != 0)
			return fail(err, errlen, "outbox %s: %s", path, strerror(errno));
	}
	if (nl < buf)
		return 0;
	*empty = 0;
	*nl = '\0';
	start = strrchr(buf, '\n');
	if (start == NULL && from != 0)
		return fail(err, errlen, "outbox %s: %s", path,
		    "its last line is too long: not an outbox");
	start = start == NULL ? buf : start + 1;
	switch (outbox_parse_line(start, &ev, &through, last)) {
	case 'E':
		*last = ev.seq;
		return 0;
	case 'O':
		*last = 0;
		return 0;
	case 'A':
	case 'B':
		return 0;
	}
	return fail(err, errlen, "outbox %s: its last line '%s' is not a record",
	    path, start);
}

static int
write_sync(int fd, const char *path, const char *buf, size_t len, char *err,
    size_t errlen)
{
	size_t off = 0;

	if (lseek(fd, 0, SEEK_END) < 0)
		return fail(err, errlen, "outbox %s: %s", path, strerror(errno));
	while (off < len) {
		ssize_t w = write(fd, buf + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return fail(err, errlen, "outbox %s: %s", path, strerror(errno));
		off += (size_t)w;
	}
	if (fsync(fd) != 0)
		return fail(err, errlen, "outbox %s: %s", path, strerror(errno));
	return 0;
}

/* A new outbox's id: random, never 0. */
static int
new_id(uint64_t *id)
{
	uint8_t b[8];

	do {
		if (RAND_bytes(b, sizeof(b)) != 1)
			return -1;
		*id = 0;
		for (int i = 0; i < 8; i++)
			*id = *id << 8 | b[i];
	} while (*id == 0);
	return 0;
}

int
outbox_append(const char *dir, struct outbox_ev *evs, size_t n, char *err,
    size_t errlen)
{
	struct ob o;
	char *buf;
	uint64_t last, id;
	size_t len = 0;
	int rc = -1, empty;

	if (n == 0 || n > 100000)
		return fail(err, errlen, "outbox: %s%s", "1 to 100000 events at once", "");
	if ((buf = malloc(n * OUTBOX_LINE_MAX + 32)) == NULL)
		return fail(err, errlen, "outbox: %s%s", "out of memory", "");
	if (ob_open(dir, &o, 1, err, errlen) != 0) {
		free(buf);
		return -1;
	}
	if (tail_last(o.fd, o.path, &last, &empty, err, errlen) != 0)
		goto out;
	if (empty) {
		/* a new outbox: its id first, written with its first events */
		if (new_id(&id) != 0) {
			fail(err, errlen, "outbox %s: %s", o.path, "no random id");
			goto out;
		}
		len = (size_t)snprintf(buf, 32, "O,%016" PRIx64 "\n", id);
	}
	for (size_t i = 0; i < n; i++) {
		int l;

		evs[i].seq = last + 1 + i;
		if ((l = outbox_format(&evs[i], buf + len, OUTBOX_LINE_MAX)) < 0) {
			fail(err, errlen, "outbox: event %s%s: malformed", "", "");
			goto out;
		}
		len += (size_t)l;
	}
	rc = write_sync(o.fd, o.path, buf, len, err, errlen);
out:
	ob_close(&o);
	free(buf);
	return rc;
}

size_t outbox_compact_bytes = OUTBOX_COMPACT_BYTES;

/*
 * The bound: past outbox_compact_bytes, the file is replaced (under its
 * lock; written, fsync'd and renamed whole, the outbox itself closed
 * first) by its id line, a base line 'B,THROUGH' and the events not yet
 * delivered, the oldest delivered records dropped first and never one
 * that was not. Nothing is lost if it cannot be done (the file only stays
 * long): a failure is said on stderr.
 */
static void
compact(const char *dir, struct ob *o, uint64_t through)
{
	char tmp[4200], *buf = NULL, *p, *nl, *keep = NULL, e2[256];
	struct outbox_ev ev;
	uint64_t t, l;
	size_t got, k = 0;
	off_t size;
	int tfd = -1;

	if ((size = lseek(o->fd, 0, SEEK_END)) < 0 || (size_t)size <= outbox_compact_bytes ||
	    size > (off_t)OUTBOX_MAX_BYTES)
		return;
	if ((buf = malloc((size_t)size + 1)) == NULL ||
	    (keep = malloc((size_t)size + 32)) == NULL || lseek(o->fd, 0, SEEK_SET) != 0 ||
	    read_full(o->fd, buf, (size_t)size, &got) != 0 || got != (size_t)size)
		goto fail;
	buf[got] = '\0';
	for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		int type;

		*nl = '\0';
		type = outbox_parse_line(p, &ev, &t, &l);
		if (type == 'O' && p == buf) {
			memcpy(keep, p, (size_t)(nl - p));
			k = (size_t)(nl - p);
			keep[k++] = '\n';
			k += (size_t)snprintf(keep + k, 32, "B,%" PRIu64 "\n", through);
		} else if (type == 'E' && ev.seq > through && k > 0) {
			memcpy(keep + k, p, (size_t)(nl - p));
			k += (size_t)(nl - p);
			keep[k++] = '\n';
		}
	}
	if (k == 0) {
		errno = EINVAL;	/* no id line: left as it is */
		goto fail;
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/%s.new", dir, OUTBOX_FILE) >= sizeof(tmp))
		goto fail;
	(void)unlink(tmp);
	if ((tfd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0 ||
	    write_sync(tfd, tmp, keep, k, e2, sizeof(e2)) != 0 || close(tfd) != 0) {
		tfd = -1;
		(void)unlink(tmp);
		goto fail;
	}
	tfd = -1;
	/* nobody else has the outbox open (its lock is held): closed here,
	 * it can be replaced on every platform */
	close(o->fd);
	o->fd = -1;
	if (file_replace(tmp, o->path, dir) != 0) {
		(void)unlink(tmp);
		goto fail;
	}
	free(buf);
	free(keep);
	return;
fail:
	if (tfd >= 0)
		close(tfd);
	fprintf(stderr, "sekisho-agent: outbox %s: not made shorter: %s\n", o->path,
	    strerror(errno));
	free(buf);
	free(keep);
}

int
outbox_ack(const char *dir, uint64_t through, char *err, size_t errlen)
{
	struct ob o;
	char line[64];
	uint64_t last;
	int rc = -1, n, empty;

	if (ob_open(dir, &o, 1, err, errlen) != 0)
		return -1;
	if (tail_last(o.fd, o.path, &last, &empty, err, errlen) != 0)
		goto out;
	if (through > last) {
		fail(err, errlen, "outbox %s: %s", o.path, "an acknowledgement beyond"
		    " the last event made: not written");
		goto out;
	}
	n = snprintf(line, sizeof(line), "A,%" PRIu64 ",%" PRIu64 "\n", through, last);
	if ((rc = write_sync(o.fd, o.path, line, (size_t)n, err, errlen)) == 0)
		compact(dir, &o, through);
out:
	ob_close(&o);
	return rc;
}

int
outbox_pending(const char *dir, uint64_t *id, struct outbox_ev **evs, size_t *n,
    uint64_t *through, char *err, size_t errlen)
{
	struct ob o;
	char *buf = NULL, *p, *nl;
	struct outbox_ev ev, *v = NULL;
	uint64_t t, l, next = 1;
	size_t cap = 0, cnt = 0, got, lineno = 0;
	off_t size;
	int rc = -1;

	*id = 0;
	*evs = NULL;
	*n = 0;
	*through = 0;
	if ((rc = ob_open(dir, &o, 0, err, errlen)) != 0)
		return rc == -2 ? 0 : -1;
	rc = -1;
	if ((size = lseek(o.fd, 0, SEEK_END)) < 0 || size > (off_t)OUTBOX_MAX_BYTES ||
	    lseek(o.fd, 0, SEEK_SET) != 0 || (buf = malloc((size_t)size + 1)) == NULL ||
	    read_full(o.fd, buf, (size_t)size, &got) != 0 || got != (size_t)size) {
		fail(err, errlen, "outbox %s: %s", o.path, "cannot be read");
		goto out;
	}
	buf[got] = '\0';
	for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		char where[64];
		int type;

		*nl = '\0';
		lineno++;
		snprintf(where, sizeof(where), "%zu", lineno);
		type = outbox_parse_line(p, &ev, &t, &l);
		if (lineno == 1 && type != 'O') {
			fail(err, errlen, "outbox %s line %s: not the outbox's id (O,ID)",
			    o.path, where);
			goto out;
		}
		switch (type) {
		case 'O':
			if (lineno != 1) {
				fail(err, errlen, "outbox %s line %s: an id line after"
				    " the first", o.path, where);
				goto out;
			}
			(void)outbox_parse_id(p, id);
			break;
		case 'E':
			if (ev.seq != next) {
				fail(err, errlen, "outbox %s line %s: seq out of order",
				    o.path, where);
				goto out;
			}
			next++;
			if (cnt == cap) {
				struct outbox_ev *nv;

				cap = cap ? cap * 2 : 256;
				if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
					fail(err, errlen, "outbox: %s%s", "out of memory", "");
					goto out;
				}
				v = nv;
			}
			v[cnt++] = ev;
			break;
		case 'B':
			/* the delivered events before it were dropped */
			if (lineno != 2) {	/* right after the id */
				fail(err, errlen, "outbox %s line %s: a base line after"
				    " the id", o.path, where);
				goto out;
			}
			*through = t;
			next = t + 1;
			break;
		case 'A':
			if (l != next - 1 || t < *through) {
				fail(err, errlen, "outbox %s line %s: acknowledgement out"
				    " of order", o.path, where);
				goto out;
			}
			*through = t;
			break;
		default:
			fail(err, errlen, "outbox %s line %s: not a record", o.path, where);
			goto out;
		}
	}
	/* a cut last line (no newline) is no record: the next writer drops it */
	{
		size_t skip = 0;

		while (skip < cnt && v[skip].seq <= *through)
			skip++;
		if (skip > 0) {
			memmove(v, v + skip, (cnt - skip) * sizeof(*v));
			cnt -= skip;
		}
	}
	*evs = v;
	*n = cnt;
	v = NULL;
	rc = 0;
out:
	free(v);
	free(buf);
	ob_close(&o);
	return rc;
}
