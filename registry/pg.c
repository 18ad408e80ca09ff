/* The PostgreSQL backend (libpq). Writers are serialised by a
 * transaction-scoped advisory lock, waited for at most REG_BUSY_MS
 * (lock_timeout): the same "both finish or one is told busy" as SQLite's
 * BEGIN IMMEDIATE, whatever rows the two transactions touch. */
#include "registry/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#define PARAMS_MAX	32
#define REG_PG_LOCK	"5353"	/* the advisory lock key of registry writers */
#define PREPARED_MAX	64	/* statements kept prepared per connection */

/* Statements with parameters are prepared once per connection and then
 * only executed: a bulk import runs the same few statements thousands of
 * times, and the server parses and plans each once. */
struct pg_conn {
	PGconn	*c;
	char	*sql[PREPARED_MAX];
	size_t	 n;
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
	return sk_errorf(err, EIO, "registry: %.*s", (int)len, m);
}

static int
pg_open(struct reg *r, const char *url, struct sk_error *err)
{
	PGconn *c = PQconnectdb(url);
	struct pg_conn *pc;
	const char *m;

	if (c == NULL)
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

static void
pg_close(struct reg *r)
{
	struct pg_conn *pc = r->h;
	size_t i;

	PQfinish(pc->c);
	for (i = 0; i < pc->n; i++)
		free(pc->sql[i]);
	free(pc);
	r->h = NULL;
}

/* The prepared statement's name for sql, preparing it the first time;
 * NULL: run it unprepared (the cache is full, or preparing failed). */
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
	if (pc->n == PREPARED_MAX || (pc->sql[pc->n] = strdup(sql)) == NULL)
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

static int
pg_exec(struct reg *r, const char *sql, int n, const char *const *params,
    reg_row_fn fn, void *arg, struct sk_error *err)
{
	struct pg_conn *pc = r->h;
	PGconn *c = pc->c;
	PGresult *res;
	const char *vals[PARAMS_MAX], *name = NULL;
	char nbuf[32];
	int i, j, nrow, ncol, ret = 0;
	ExecStatusType st;

	/* a failed statement aborts the transaction, and preparing one then
	 * would fail too: only prepare when the connection is healthy */
	if (n > 0 && PQtransactionStatus(c) != PQTRANS_INERROR)
		name = prepared(pc, sql, n, nbuf);
	if (name != NULL)
		res = PQexecPrepared(c, name, n, params, NULL, NULL, 0);
	else
		res = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		ret = pg_err(c, res, err);
		PQclear(res);
		return ret;
	}
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

const struct reg_ops reg_pg_ops = {
	.name = "postgresql", .open = pg_open, .close = pg_close, .lock = pg_lock,
	.exec = pg_exec,
};
