/*
 * The change feed (registry/feed.h): the log's rows, and the listener
 * that wakes a follower (PostgreSQL LISTEN on a connection of its own;
 * SQLite inotify on the database file and its -wal).
 */
#include "registry/feed.h"
#include "registry/pgconn.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <libpq-fe.h>

#include "registry/pqload.h"

#define WATCH_MASK	(IN_MODIFY | IN_CLOSE_WRITE)
#define WATCH_DB	(WATCH_MASK | IN_ATTRIB)

struct reg_feed {
	int	 fd;		/* the descriptor given to the caller */
	PGconn	*pg;		/* PostgreSQL: the listening connection */
	int64_t	 hint;		/* PostgreSQL: highest seq notified */
	/* SQLite: watches */
	char	 db[PATH_MAX], wal[PATH_MAX + 8], base[NAME_MAX + 8];
	int	 wd_db, wd_wal, wd_dir;
	int	 unsettled;	/* SQLite: the last drain could not wait out
				   a write in progress (reg_feed_unsettled) */
};

static void
cpy(char *dst, size_t size, const char *src)
{
	sk_strlcpy(dst, src != NULL ? src : "", size);
}

/* ---- the log ---------------------------------------------------------- */

int
reg_feed_append(struct reg *r, const char *kind, const char *object,
    const char *op, struct sk_error *err)
{
	char at[24];
	const char *p[4] = { kind, object, op, at };
	int rc;

	snprintf(at, sizeof(at), "%" PRId64, (int64_t)time(NULL));
	rc = reg_queue(r, "INSERT INTO changes (kind, object, op, at)"
	    " VALUES ($1, $2, $3, $4)", 4, p, err);
	if (rc < 0)
		return rc;
	r->fed = 1;
	if (!reg_in_tx(r)) {
		/* a change made outside a transaction (each statement its
		 * own): committed already, tell the followers now */
		rc = reg_feed_precommit(r, err);
		reg_feed_postcommit(r);
		r->fed = 0;
	}
	return rc;
}

int
reg_feed_precommit(struct reg *r, struct sk_error *err)
{
	if (!r->fed || reg_backend(r) != REG_PG)
		return 0;
	/* one notification per transaction, its highest seq (under the write
	 * lock max(seq) is ours); delivered by the server at commit */
	return reg_queue(r, "SELECT pg_notify('" REG_FEED_CHANNEL "',"
	    " CAST(max(seq) AS TEXT)) FROM changes", 0, NULL, err);
}

void
reg_feed_postcommit(struct reg *r)
{
	/* committed: a follower woken now sees the rows. A failure here
	 * cannot undo the commit; the -wal's writes still wake followers,
	 * only perhaps too early, and their next wake-up reads the rows. */
	if (r->fed && reg_backend(r) == REG_SQLITE)
		(void)utimensat(AT_FDCWD, r->url + 7, NULL, 0);
}

static int
head_row(void *arg, int ncol, const char *const *v)
{
	int64_t *seq = arg;

	if (ncol > 0 && v[0] != NULL)
		*seq = strtoll(v[0], NULL, 10);
	return 0;
}

int
reg_feed_head(struct reg *r, int64_t *seq, struct sk_error *err)
{
	int64_t pruned;
	int rc;

	*seq = 0;
	if ((rc = reg_exec(r, "SELECT max(seq) FROM changes", 0, NULL, head_row, seq, err)) < 0)
		return rc;
	/* a log pruned to its last row: the head is the marker (a follower
	 * that took 0 would find its place pruned at every read) */
	if ((rc = reg_feed_pruned(r, &pruned, err)) < 0)
		return rc;
	if (pruned > *seq)
		*seq = pruned;
	return 0;
}

struct since_ctx {
	int (*fn)(void *, const struct reg_change *);
	void *arg;
};

static int
since_row(void *arg, int ncol, const char *const *v)
{
	struct since_ctx *c = arg;
	struct reg_change ch;

	if (ncol < 5)
		return -EIO;
	memset(&ch, 0, sizeof(ch));
	ch.seq = v[0] != NULL ? strtoll(v[0], NULL, 10) : 0;
	cpy(ch.kind, sizeof(ch.kind), v[1]);
	cpy(ch.object, sizeof(ch.object), v[2]);
	cpy(ch.op, sizeof(ch.op), v[3]);
	ch.at = v[4] != NULL ? strtoll(v[4], NULL, 10) : 0;
	return c->fn(c->arg, &ch);
}

int
reg_feed_since(struct reg *r, int64_t after, size_t max,
    int (*fn)(void *arg, const struct reg_change *c), void *arg,
    struct sk_error *err)
{
	struct since_ctx c = { fn, arg };
	char a[24], m[24];
	const char *p[2] = { a, m };

	snprintf(a, sizeof(a), "%" PRId64, after);
	snprintf(m, sizeof(m), "%" PRId64, max == 0 || max > INT64_MAX ? INT64_MAX :
	    (int64_t)max);
	int64_t pruned;
	int rc;

	rc = reg_exec(r, "SELECT seq, kind, object, op, at FROM changes WHERE seq > $1"
	    " ORDER BY seq LIMIT CAST($2 AS BIGINT)", 2, p, since_row, &c, err);
	if (rc != 0)
		return rc;
	/* after the rows (feed.h): a prune committed before they were read
	 * shows here */
	if ((rc = reg_feed_pruned(r, &pruned, err)) < 0)
		return rc;
	if (pruned > after)
		return sk_errorf(err, ESTALE, "registry feed: change %" PRId64 " was pruned"
		    " (the log holds only changes after %" PRId64 ")", after + 1, pruned);
	return 0;
}

/* ---- pruning ------------------------------------------------------------ */

#define FOLLOWER_PREFIX	"feed_follower:"

int
reg_feed_pruned(struct reg *r, int64_t *seq, struct sk_error *err)
{
	*seq = 0;
	return reg_exec(r, "SELECT value FROM meta WHERE key = 'changes_pruned'", 0, NULL,
	    head_row, seq, err);
}

int
reg_feed_report(struct reg *r, const char *name, int64_t seq, int64_t now,
    struct sk_error *err)
{
	char key[sizeof(FOLLOWER_PREFIX) + REG_FEED_NAME_MAX], val[48];
	int own = !reg_in_tx(r), rc;

	if (name[0] == '\0' || strlen(name) > REG_FEED_NAME_MAX)
		return sk_errorf(err, EINVAL, "registry feed: follower name of 1..%d bytes",
		    REG_FEED_NAME_MAX);
	for (const char *c = name; *c != '\0'; c++)
		if (*c < 0x21 || *c > 0x7e)
			return sk_errorf(err, EINVAL, "registry feed: follower name '%s':"
			    " printable ASCII, no space", name);
	snprintf(key, sizeof(key), FOLLOWER_PREFIX "%s", name);
	snprintf(val, sizeof(val), "%" PRId64 " %" PRId64, seq, now);
	if (own && (rc = reg_begin(r, err)) < 0)
		return rc;
	if ((rc = reg_meta_set(r, key, val, err)) < 0) {
		if (own)
			reg_rollback(r);
		return rc;
	}
	return own ? reg_commit(r, err) : 0;
}

struct live_ctx {
	int64_t	since;		/* reported at or after this: live */
	int64_t	low;		/* the lowest live seq; INT64_MAX: none */
};

static int
follower_row(void *arg, int ncol, const char *const *v)
{
	struct live_ctx *c = arg;
	long long seq, at;
	char tail;

	/* a row that does not parse holds nothing back */
	if (ncol < 1 || v[0] == NULL || sscanf(v[0], "%lld %lld%c", &seq, &at, &tail) != 2)
		return 0;
	if (at >= c->since && seq < c->low)
		c->low = seq;
	return 0;
}

int
reg_feed_prune(struct reg *r, int64_t now, int64_t keep_s, int64_t live_s,
    int64_t *removed, int64_t *cut, struct sk_error *err)
{
	struct live_ctx live = { now - live_s, INT64_MAX };
	int64_t aged = 0, old = 0, n0 = 0, n1 = 0, c;
	char t[24], cs[24];
	const char *p[1] = { t };
	int rc;

	*removed = 0;
	*cut = 0;
	if ((rc = reg_begin(r, err)) < 0)
		return rc;
	snprintf(t, sizeof(t), "%" PRId64, now - keep_s);
	if ((rc = reg_exec(r, "SELECT value FROM meta WHERE key LIKE '" FOLLOWER_PREFIX "%'",
	    0, NULL, follower_row, &live, err)) < 0 ||
	    (rc = reg_exec(r, "SELECT max(seq) FROM changes WHERE at < CAST($1 AS BIGINT)", 1,
	    p, head_row, &aged, err)) < 0 ||
	    (rc = reg_feed_pruned(r, &old, err)) < 0)
		goto fail;
	c = aged < live.low ? aged : live.low;
	if (c <= old) {
		reg_rollback(r);
		*cut = old;
		return 0;
	}
	snprintf(cs, sizeof(cs), "%" PRId64, c);
	p[0] = cs;
	if ((rc = reg_exec(r, "SELECT count(*) FROM changes", 0, NULL, head_row, &n0,
	    err)) < 0 ||
	    (rc = reg_exec(r, "DELETE FROM changes WHERE seq <= CAST($1 AS BIGINT)", 1, p,
	    NULL, NULL, err)) < 0 ||
	    (rc = reg_exec(r, "SELECT count(*) FROM changes", 0, NULL, head_row, &n1,
	    err)) < 0 ||
	    (rc = reg_meta_set(r, "changes_pruned", cs, err)) < 0)
		goto fail;
	if ((rc = reg_commit(r, err)) < 0)
		return rc;
	*removed = n0 - n1;
	*cut = c;
	return 0;
fail:
	reg_rollback(r);
	return rc;
}

/* ---- waking up: PostgreSQL ---------------------------------------------- */

static void
quiet(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

static int
pg_listen(struct reg *r, struct reg_feed *f, struct sk_error *err)
{
	PGresult *res;
	const char *m;

	f->pg = reg_pg_connect(r->url);	/* libpq loaded: reg_open */
	if (f->pg == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	if (PQstatus(f->pg) != CONNECTION_OK) {
		m = PQerrorMessage(f->pg);
		return sk_errorf(err, ECONNREFUSED, "registry feed: postgresql: %.*s",
		    (int)strcspn(m, "\n"), m);
	}
	PQsetNoticeReceiver(f->pg, quiet, NULL);
	res = PQexec(f->pg, "LISTEN " REG_FEED_CHANNEL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		m = PQresultErrorMessage(res);
		sk_errorf(err, EIO, "registry feed: LISTEN: %.*s", (int)strcspn(m, "\n"), m);
		PQclear(res);
		return -EIO;
	}
	PQclear(res);
	if (PQsetnonblocking(f->pg, 1) != 0 || (f->fd = PQsocket(f->pg)) < 0)
		return sk_errorf(err, EIO, "registry feed: no socket");
	return 0;
}

static int
pg_drain(struct reg_feed *f, struct sk_error *err)
{
	struct pollfd pfd = { .fd = f->fd, .events = POLLIN };
	PGnotify *n;
	const char *m;
	int64_t seq;
	int count = 0, i;

	/* a server going away first sends its FATAL message and then closes:
	 * read until the socket is quiet, so that the close is seen now */
	for (i = 0; i < 8; i++) {
		if (PQconsumeInput(f->pg) != 1 || PQstatus(f->pg) != CONNECTION_OK) {
			m = PQerrorMessage(f->pg);
			return sk_errorf(err, ECONNRESET, "registry feed: connection lost:"
			    " %.*s", (int)strcspn(m, "\n"), m);
		}
		if (poll(&pfd, 1, 0) != 1)
			break;
	}
	while ((n = PQnotifies(f->pg)) != NULL) {
		/* a hint only: the rows are read from the log anyway */
		if (n->extra != NULL &&
		    reg_feed_parse_seq(n->extra, strlen(n->extra), &seq) == 0 &&
		    seq > f->hint)
			f->hint = seq;
		PQfreemem(n);
		count++;
	}
	return count;
}

/* ---- waking up: SQLite -------------------------------------------------- */

static int
sq_listen(struct reg *r, struct reg_feed *f, struct sk_error *err)
{
	const char *path = r->url + 7;	/* "sqlite:" */
	char dir[PATH_MAX];
	const char *slash;

	if (strlen(path) >= sizeof(f->db))
		return sk_errorf(err, ENAMETOOLONG, "registry feed: path too long");
	cpy(f->db, sizeof(f->db), path);
	snprintf(f->wal, sizeof(f->wal), "%s-wal", path);
	slash = strrchr(path, '/');
	if (slash == NULL) {
		cpy(dir, sizeof(dir), ".");
		snprintf(f->base, sizeof(f->base), "%s-wal", path);
	} else {
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path),
		    path);
		snprintf(f->base, sizeof(f->base), "%s-wal", slash + 1);
	}
	if ((f->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return sk_errorf(err, errno, "registry feed: inotify: %s", strerror(errno));
	if ((f->wd_db = inotify_add_watch(f->fd, f->db, WATCH_DB)) == -1)
		return sk_errorf(err, errno, "registry feed: watching %s: %s", f->db,
		    strerror(errno));
	/* the -wal comes and goes with the last connection: the directory
	 * tells when it is (re)created */
	if ((f->wd_dir = inotify_add_watch(f->fd, dir, IN_CREATE | IN_MOVED_TO |
	    IN_ONLYDIR)) == -1)
		return sk_errorf(err, errno, "registry feed: watching %s: %s", dir,
		    strerror(errno));
	f->wd_wal = inotify_add_watch(f->fd, f->wal, WATCH_MASK);
	return 0;
}

static int
sq_drain(struct reg_feed *f, struct sk_error *err)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	ssize_t n;
	size_t off;
	int rewatch = 0;

	for (;;) {
		n = read(f->fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0)
			return sk_errorf(err, EIO, "registry feed: inotify: %s",
			    n == 0 ? "end of file" : strerror(errno));
		for (off = 0; off + sizeof(*ev) <= (size_t)n; off += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)(buf + off);
			if (ev->wd == f->wd_dir && ev->len > 0 && !strcmp(ev->name, f->base))
				rewatch = 1;
			if (ev->wd == f->wd_wal && (ev->mask & IN_IGNORED))
				f->wd_wal = -1;
		}
	}
	if (rewatch || f->wd_wal < 0)
		f->wd_wal = inotify_add_watch(f->fd, f->wal, WATCH_MASK);
	return 0;
}

/* ---- the interface ------------------------------------------------------ */

void
reg_feed_close(struct reg *r)
{
	struct reg_feed *f = r->feed;

	if (f == NULL)
		return;
	if (f->pg != NULL)
		PQfinish(f->pg);	/* closes f->fd, its socket */
	else if (f->fd >= 0)
		close(f->fd);
	free(f);
	r->feed = NULL;
}

int
reg_feed_listen(struct reg *r, int *fd, struct sk_error *err)
{
	struct reg_feed *f;
	int rc;

	if (r->feed != NULL) {
		*fd = r->feed->fd;
		return 0;
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	f->fd = f->wd_db = f->wd_wal = f->wd_dir = -1;
	r->feed = f;
	rc = reg_backend(r) == REG_PG ? pg_listen(r, f, err) : sq_listen(r, f, err);
	if (rc < 0) {
		reg_feed_close(r);
		return rc;
	}
	*fd = f->fd;
	return 0;
}

/*
 * SQLite: a wake-up from the -wal may come before its commit is visible,
 * and the writer's touch after the commit (reg_feed_postcommit), the one
 * late wake-up, is refused to a writer that may not set the file's times:
 * sekisho-authd runs as its own user and the file is root's. Then a
 * follower that read too early slept through a sign-on until the next
 * change (94-signon-gw, make demo). Taking the write lock a moment waits
 * for the commit in progress, so the read that follows sees it; a long
 * one (an import) is not waited for past SETTLE_MS: its commit's own
 * write to the -wal wakes the follower again, which then waits here.
 */
#define SETTLE_MS	200

/* 0 when a writer still held the write lock after SETTLE_MS; 1 when it
 * was had (no write in progress: every commit before it is visible now)
 * or could not be had for another reason (nothing to wait out). */
static int
sq_settle(struct reg *r)
{
	struct sk_error err;
	int busy = r->busy_ms, rc;

	if (r->in_tx)
		return 1;	/* our own transaction: nobody else writes */
	r->busy_ms = SETTLE_MS;
	if ((rc = reg_begin(r, &err)) == 0)
		reg_rollback(r);
	r->busy_ms = busy;
	return rc != -EBUSY;
}

int
reg_feed_drain(struct reg *r, struct sk_error *err)
{
	int rc;

	if (r->feed == NULL)
		return sk_errorf(err, EINVAL, "registry feed: not listening");
	if (r->feed->pg != NULL)
		return pg_drain(r->feed, err);
	if ((rc = sq_drain(r->feed, err)) >= 0)
		r->feed->unsettled = !sq_settle(r);
	return rc;
}

int
reg_feed_unsettled(const struct reg *r)
{
	return r->feed != NULL && r->feed->unsettled;
}

int64_t
reg_feed_hint(const struct reg *r)
{
	return r->feed != NULL ? r->feed->hint : 0;
}
