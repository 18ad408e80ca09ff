/* The PostgreSQL backend (libpq). Writers are serialised by a
 * transaction-scoped advisory lock, waited for at most REG_BUSY_MS
 * (lock_timeout): the same "both finish or one is told busy" as SQLite's
 * BEGIN IMMEDIATE, whatever rows the two transactions touch. */
#include "registry/registry.h"
#include "registry/pgconn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "registry/pqload.h"

#define PARAMS_MAX	32
#define REG_PG_LOCK	"5353"	/* the advisory lock key of registry writers */
#define PREPARED_MAX	64	/* statements kept prepared per connection */
#define PIPELINE_MAX	256	/* queued statements sent before their results are read */

/* Statements with parameters are prepared once per connection and then
 * only executed: a bulk import runs the same few statements thousands of
 * times, and the server parses and plans each once. */
struct pg_conn {
	PGconn	*c;
	char	*sql[PREPARED_MAX];
	size_t	 n;
	int	 piped;		/* in libpq's pipeline mode (reg_queue) */
	size_t	 pending;	/* statements sent, results not yet read */
};

static void
quiet(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

/* The first line of libpq's message. */
static int
pg_err(PGconn *c, const PGresult *res, struct sk_error *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(c);
	size_t len = strcspn(m, "\n");

	if (state != NULL && (!strcmp(state, "55P03") || !strcmp(state, "40001") ||
	    !strcmp(state, "40P01")))
		return sk_errorf(err, EBUSY,
		    "registry busy: another change is in progress; try again");
	if (state != NULL && !strcmp(state, "23505"))
		return sk_errorf(err, EEXIST, "registry: %.*s", (int)len, m);
	/* the server is gone: the caller reconnects (reg_reopen) */
	if (PQstatus(c) == CONNECTION_BAD)
		return sk_errorf(err, ECONNRESET, "registry: connection lost: %.*s",
		    (int)len, m);
	return sk_errorf(err, EIO, "registry: %.*s", (int)len, m);
}

int
reg_url_has_password(const char *url)
{
	PQconninfoOption *opts, *o;
	struct sk_error e;
	char *msg = NULL;
	int has = 0;

	if (url == NULL || (strncmp(url, "postgresql://", 13) != 0 &&
	    strncmp(url, "postgres://", 11) != 0))
		return 0;
	/* without libpq nothing connects with this URL either */
	if (reg_pq_load(&e) < 0)
		return 0;
	/* libpq's own reading: user:password@, ?password=, percent-encoded
	 * names and values alike (a URL it cannot read, it will not
	 * connect with either) */
	if ((opts = PQconninfoParse(url, &msg)) == NULL) {
		PQfreemem(msg);
		return 0;
	}
	for (o = opts; o->keyword != NULL; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val != NULL) {
			has = o->val[0] != '\0';
			wipe(o->val, strlen(o->val));
		}
	PQconninfoFree(opts);
	return has;
}

#define STR_(x)	#x
#define STR(x)	STR_(x)

PGconn *
reg_pg_connect(const char *url)
{
	/* in order: the URL last, so that what it says wins (libpq takes
	 * the last value of a keyword given twice) */
	static const char *const kw[] = { "connect_timeout", "keepalives",
	    "keepalives_idle", "keepalives_interval", "keepalives_count",
	    "tcp_user_timeout", "dbname", NULL };
	const char *val[] = { STR(REG_PG_CONNECT_S), "1", STR(REG_PG_KEEPIDLE_S),
	    STR(REG_PG_KEEPINTVL_S), STR(REG_PG_KEEPCNT), STR(REG_PG_USER_TIMEOUT_MS),
	    url, NULL };
	struct sk_error e;

	if (reg_pq_load(&e) < 0)
		return NULL;
	return PQconnectdbParams(kw, val, 1);
}

static int
pg_open(struct reg *r, const char *url, struct sk_error *err)
{
	PGconn *c;
	struct pg_conn *pc;
	const char *m;

	if ((c = reg_pg_connect(url)) == NULL)	/* libpq loaded: reg_open */
		return sk_errorf(err, ENOMEM, "out of memory");
	if (PQstatus(c) != CONNECTION_OK) {
		/* libpq's message names host and user, never the password */
		m = PQerrorMessage(c);
		sk_errorf(err, ECONNREFUSED, "registry: postgresql: %.*s",
		    (int)strcspn(m, "\n"), m);
		PQfinish(c);
		return -ECONNREFUSED;
	}
	PQsetNoticeReceiver(c, quiet, NULL);
	if ((pc = calloc(1, sizeof(*pc))) == NULL) {
		PQfinish(c);
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	pc->c = c;
	r->h = pc;
	return 0;
}

static int drain(struct reg *r, int last, reg_row_fn fn, void *arg,
    struct sk_error *err);

static void
pg_close(struct reg *r)
{
	struct pg_conn *pc = r->h;
	size_t i;

	(void)drain(r, 0, NULL, NULL, NULL);
	PQfinish(pc->c);
	for (i = 0; i < pc->n; i++)
		free(pc->sql[i]);
	free(pc);
	r->h = NULL;
}

/* The prepared statement's name for sql, preparing it the first time
 * (not in pipeline mode); NULL: run it unprepared (the cache is full,
 * or preparing failed). */
static const char *
prepared(struct pg_conn *pc, const char *sql, int n, char name[32])
{
	PGresult *res;
	size_t i;

	for (i = 0; i < pc->n; i++)
		if (!strcmp(pc->sql[i], sql)) {
			snprintf(name, 32, "sk%zu", i);
			return name;
		}
	if (pc->piped || pc->n == PREPARED_MAX || (pc->sql[pc->n] = strdup(sql)) == NULL)
		return NULL;
	snprintf(name, 32, "sk%zu", pc->n);
	res = PQprepare(pc->c, name, sql, n, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		free(pc->sql[pc->n]);
		return NULL;
	}
	PQclear(res);
	pc->n++;
	return name;
}

/* A statement's result: its status, the rows changed, fn per row (the
 * first non-zero fn value is returned). */
static int
result_rows(struct reg *r, PGresult *res, reg_row_fn fn, void *arg,
    struct sk_error *err)
{
	const char *vals[PARAMS_MAX];
	ExecStatusType st = PQresultStatus(res);
	int i, j, nrow, ncol, ret = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return pg_err(((struct pg_conn *)r->h)->c, res, err);
	r->changes = strtoull(PQcmdTuples(res), NULL, 10);
	if (fn != NULL && st == PGRES_TUPLES_OK) {
		nrow = PQntuples(res);
		ncol = PQnfields(res);
		if (ncol > PARAMS_MAX)
			ncol = PARAMS_MAX;
		for (i = 0; i < nrow && ret == 0; i++) {
			for (j = 0; j < ncol; j++)
				vals[j] = PQgetisnull(res, i, j) ? NULL : PQgetvalue(res, i, j);
			ret = fn(arg, ncol, vals);
		}
	}
	return ret;
}

/*
 * Ends pipeline mode: a sync point, then every statement's result is read
 * in order. With last, the last statement sent is the caller's, and its
 * result goes through result_rows (fn, arg). The first error is returned
 * (the transaction is then aborted: the server skipped everything after
 * it), else the last statement's value.
 */
static int
drain(struct reg *r, int last, reg_row_fn fn, void *arg, struct sk_error *err)
{
	struct pg_conn *pc = r->h;
	PGconn *c = pc->c;
	PGresult *res;
	ExecStatusType st;
	size_t k = 0;
	int ret = 0, lret = 0;

	if (!pc->piped)
		return 0;
	if (PQpipelineSync(c) != 1)
		ret = pg_err(c, NULL, err);
	/* every result up to the sync point, errors or not: the connection
	 * leaves pipeline mode only with nothing left unread */
	for (;;) {
		if ((res = PQgetResult(c)) == NULL) {
			if (++k > pc->pending)
				break;	/* no sync point coming (the sync failed) */
			continue;
		}
		st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		if (ret == 0 && last && k + 1 == pc->pending) {
			lret = result_rows(r, res, fn, arg, err);
			if (lret < 0)
				ret = lret;
		} else if (ret == 0 && st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
			ret = pg_err(c, st == PGRES_PIPELINE_ABORTED ? NULL : res, err);
		PQclear(res);
	}
	pc->pending = 0;
	pc->piped = 0;
	if (PQexitPipelineMode(c) != 1 && ret == 0)
		ret = pg_err(c, NULL, err);
	return ret < 0 ? ret : lret;
}

/* Sends one statement into the pipeline (entering it if need be). */
static int
send_piped(struct pg_conn *pc, const char *sql, int n, const char *const *params,
    struct sk_error *err)
{
	PGconn *c = pc->c;
	const char *name = NULL;
	char nbuf[32];
	int ok;

	if (!pc->piped) {
		if (n > 0 && PQtransactionStatus(c) != PQTRANS_INERROR)
			name = prepared(pc, sql, n, nbuf);
		if (PQenterPipelineMode(c) != 1)
			return pg_err(c, NULL, err);
		pc->piped = 1;
	} else if (n > 0)
		name = prepared(pc, sql, n, nbuf);	/* only finds one */
	ok = name != NULL ? PQsendQueryPrepared(c, name, n, params, NULL, NULL, 0) :
	    PQsendQueryParams(c, sql, n, NULL, params, NULL, NULL, 0);
	if (ok != 1)
		return pg_err(c, NULL, err);
	pc->pending++;
	return 0;
}

static int pg_exec(struct reg *, const char *, int, const char *const *, reg_row_fn,
    void *, struct sk_error *);

static int
pg_queue(struct reg *r, const char *sql, int n, const char *const *params,
    struct sk_error *err)
{
	struct pg_conn *pc = r->h;
	int ret;

	/* outside a transaction nothing may wait: a later exit would lose it */
	if (!reg_in_tx(r))
		return pg_exec(r, sql, n, params, NULL, NULL, err);
	if ((ret = send_piped(pc, sql, n, params, err)) < 0) {
		(void)drain(r, 0, NULL, NULL, NULL);
		return ret;
	}
	/* read results now and then: the server must never block on them */
	if (pc->pending >= PIPELINE_MAX)
		return drain(r, 0, NULL, NULL, err);
	return 0;
}

static int
pg_exec(struct reg *r, const char *sql, int n, const char *const *params,
    reg_row_fn fn, void *arg, struct sk_error *err)
{
	struct pg_conn *pc = r->h;
	PGconn *c = pc->c;
	PGresult *res;
	const char *name = NULL;
	char nbuf[32];
	int ret = 0;

	/* what was queued goes first, in the same round trip when this
	 * statement has parameters; an error there is this statement's */
	if (pc->piped && n > 0) {
		if ((ret = send_piped(pc, sql, n, params, err)) < 0) {
			(void)drain(r, 0, NULL, NULL, NULL);
			return ret;
		}
		return drain(r, 1, fn, arg, err);
	}
	if (pc->piped && (ret = drain(r, 0, NULL, NULL, err)) < 0) {
		if (!strcmp(sql, "ROLLBACK"))
			ret = 0;	/* rolling back is what the caller does next */
		else
			return ret;
	}

	/* a failed statement aborts the transaction, and preparing one then
	 * would fail too: only prepare when the connection is healthy */
	if (n > 0 && PQtransactionStatus(c) != PQTRANS_INERROR)
		name = prepared(pc, sql, n, nbuf);
	if (name != NULL)
		res = PQexecPrepared(c, name, n, params, NULL, NULL, 0);
	else
		res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ret = result_rows(r, res, fn, arg, err);
	PQclear(res);
	return ret;
}

static int
pg_lock(struct reg *r, struct sk_error *err)
{
	char q[160];
	int rc;

	if ((rc = pg_exec(r, "BEGIN", 0, NULL, NULL, NULL, err)) < 0)
		return rc;
	snprintf(q, sizeof(q), "SET LOCAL lock_timeout = %d", r->busy_ms);
	if ((rc = pg_exec(r, q, 0, NULL, NULL, NULL, err)) < 0 ||
	    (rc = pg_exec(r, "SELECT pg_advisory_xact_lock(" REG_PG_LOCK ")", 0, NULL,
	    NULL, NULL, err)) < 0) {
		(void)pg_exec(r, "ROLLBACK", 0, NULL, NULL, NULL, NULL);
		return rc;
	}
	return 0;
}

int
reg_pg_over_tcp(const struct reg *r)
{
	const struct pg_conn *pc = r->h;
	const char *host;

	if (r->backend != REG_PG || pc == NULL)
		return 0;
	host = PQhost(pc->c);
	/* a socket directory is a path; anything else is a host or address */
	return host != NULL && host[0] != '/' && host[0] != '\0';
}

const struct reg_ops reg_pg_ops = {
	.name = "postgresql", .open = pg_open, .close = pg_close, .lock = pg_lock,
	.exec = pg_exec, .queue = pg_queue,
};
