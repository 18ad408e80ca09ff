/* The SQLite backend: one file, WAL, a busy timeout; BEGIN IMMEDIATE takes
 * the write lock up front, so a second writer waits (busy handler) or gets
 * -EBUSY instead of failing half-way through its changes.
 *
 * Statements are prepared once and kept (STMT_CACHE, direct-mapped by the
 * statement's text, reset after each use): parsing and planning a
 * statement cost more than running the verifier's small ones, which it
 * runs for every sign-on (docs/sign-on.md, "Figures"). A kept statement
 * is reset as soon as it is done, so it holds no read lock between uses;
 * SQLite prepares it again by itself if the schema changed. */
#include "registry/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sqlite3.h>

#define SQL_MAX		8192
#define PARAMS_MAX	32
#define STMT_CACHE	128

struct sq {
	sqlite3		*db;
	struct {
		char		*sql;
		sqlite3_stmt	*st;
		int		 busy;	/* being stepped */
	} c[STMT_CACHE];
};

static int
busy(struct sk_error *err)
{
	return sk_errorf(err, EBUSY,
		    "registry busy: another change is in progress; try again");
}

static int
sq_err(sqlite3 *db, int rc, struct sk_error *err)
{
	int ext = sqlite3_extended_errcode(db);

	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return busy(err);
	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return sk_errorf(err, EEXIST, "registry: %s", sqlite3_errmsg(db));
	return sk_errorf(err, EIO, "registry: %s", sqlite3_errmsg(db));
}

static int
sq_open(struct reg *r, const char *path, struct sk_error *err)
{
	sqlite3 *db = NULL;
	struct sq *q;
	char *msg = NULL;
	int rc, fd;

	if (*path == '\0')
		return sk_errorf(err, EINVAL, "registry: sqlite: needs a file name");
	/* The file holds PIN hashes and card numbers: created 0600. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return sk_errorf(err, errno, "registry %s: %s", path, strerror(errno));
	close(fd);
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sk_errorf(err, EIO, "registry %s: %s", path,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, REG_BUSY_MS);
	rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
	    " PRAGMA synchronous=NORMAL;", NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		if (rc == SQLITE_BUSY)
			busy(err);
		else
			sk_errorf(err, EIO, "registry %s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		return rc == SQLITE_BUSY ? -EBUSY : -EIO;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		sqlite3_close(db);
		return sk_errorf(err, ENOMEM, "registry %s: out of memory", path);
	}
	q->db = db;
	r->h = q;
	return 0;
}

static void
sq_close(struct reg *r)
{
	struct sq *q = r->h;

	if (q == NULL)
		return;
	for (size_t i = 0; i < STMT_CACHE; i++) {
		sqlite3_finalize(q->c[i].st);
		free(q->c[i].sql);
	}
	sqlite3_close(q->db);
	free(q);
	r->h = NULL;
}

/* The kept statement for sql (rewritten), prepared on first use; a slot
 * held by another statement is given up for this one. A statement in use
 * (a row callback that runs another statement) is not touched: a fresh
 * one is prepared, not kept (*slot -1). NULL with *rc set if SQLite
 * refuses the statement. */
static sqlite3_stmt *
stmt_get(struct sq *q, const char *sql, int *slot, int *rc)
{
	uint32_t h = 2166136261u;
	size_t i;
	sqlite3_stmt *st = NULL;
	char *copy;

	for (const char *p = sql; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	i = h % STMT_CACHE;
	*slot = -1;
	if (q->c[i].busy)
		return (*rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL)) ==
		    SQLITE_OK ? st : NULL;
	if (q->c[i].st != NULL && strcmp(q->c[i].sql, sql) == 0) {
		*slot = (int)i;
		q->c[i].busy = 1;
		return q->c[i].st;
	}
	if ((*rc = sqlite3_prepare_v2(q->db, sql, -1, &st, NULL)) != SQLITE_OK)
		return NULL;
	if ((copy = strdup(sql)) == NULL)
		return st;	/* not kept: finalized after use */
	sqlite3_finalize(q->c[i].st);
	free(q->c[i].sql);
	q->c[i].sql = copy;
	q->c[i].st = st;
	q->c[i].busy = 1;
	*slot = (int)i;
	return st;
}

/* $N -> ?N: SQLite reads ?NNN as the NNN-th parameter. */
static int
rewrite(const char *sql, char *out, size_t outlen)
{
	size_t i, o = 0;

	for (i = 0; sql[i] != '\0'; i++) {
		if (o + 2 >= outlen)
			return -1;
		out[o++] = (sql[i] == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9') ? '?' : sql[i];
	}
	out[o] = '\0';
	return 0;
}

static int
sq_exec(struct reg *r, const char *sql, int n, const char *const *params,
    reg_row_fn fn, void *arg, struct sk_error *err)
{
	struct sq *sq = r->h;
	sqlite3 *db = sq->db;
	sqlite3_stmt *st = NULL;
	char q[SQL_MAX];
	const char *vals[PARAMS_MAX];
	int rc = SQLITE_OK, i, ncol, ret = 0, slot;

	if (rewrite(sql, q, sizeof(q)) < 0)
		return sk_errorf(err, E2BIG, "registry: statement too long");
	if ((st = stmt_get(sq, q, &slot, &rc)) == NULL)
		return sq_err(db, rc, err);
	for (i = 0; i < n; i++) {
		rc = params[i] == NULL ? sqlite3_bind_null(st, i + 1) :
		    sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
		if (rc != SQLITE_OK) {
			ret = sq_err(db, rc, err);
			goto out;
		}
	}
	for (;;) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			ret = sq_err(db, rc, err);
			goto out;
		}
		if (fn == NULL)
			continue;
		ncol = sqlite3_column_count(st);
		if (ncol > PARAMS_MAX)
			ncol = PARAMS_MAX;
		for (i = 0; i < ncol; i++)
			vals[i] = (const char *)sqlite3_column_text(st, i);
		if ((ret = fn(arg, ncol, vals)) != 0)
			goto out;
	}
	r->changes = (uint64_t)sqlite3_changes(db);
out:
	if (slot >= 0) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sq->c[slot].busy = 0;
	} else
		sqlite3_finalize(st);
	return ret;
}

static int
sq_lock(struct reg *r, struct sk_error *err)
{
	sqlite3_busy_timeout(((struct sq *)r->h)->db, r->busy_ms);
	return sq_exec(r, "BEGIN IMMEDIATE", 0, NULL, NULL, NULL, err);
}

const struct reg_ops reg_sqlite_ops = {
	.name = "sqlite", .open = sq_open, .close = sq_close, .lock = sq_lock,
	.exec = sq_exec,
};
