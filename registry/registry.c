#include "registry/registry.h"
#include "registry/feed.h"
#include "registry/pqload.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After a reg_reopen that failed: until one succeeds. */
static int
not_connected(struct sk_error *err)
{
	return sk_errorf(err, ENOTCONN, "registry: not connected (reopen failed)");
}

int
reg_open(const char *url, struct reg **out, struct sk_error *err)
{
	struct reg *r;
	const char *target;
	int rc;

	*out = NULL;
	if (url == NULL || *url == '\0')
		return sk_errorf(err, EINVAL, "no registry: give -r URL or set SEKISHO_REGISTRY");
	if (strlen(url) > REG_URL_MAX)
		return sk_errorf(err, EINVAL, "registry URL longer than %d characters", REG_URL_MAX);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	r->busy_ms = REG_BUSY_MS;
	if ((r->url = strdup(url)) == NULL) {
		free(r);
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	if (!strncmp(url, "sqlite:", 7)) {
		r->ops = &reg_sqlite_ops;
		r->backend = REG_SQLITE;
		target = url + 7;
	} else if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
		if ((rc = reg_pq_load(err)) < 0) {
			free(r->url);
			free(r);
			return rc;
		}
		if (reg_url_has_password(url)) {
			free(r->url);
			free(r);
			return sk_errorf(err, EINVAL, "the registry URL holds a password,"
			    " which anyone could read in the process list: give it in"
			    " ~/.pgpass or $PGPASSFILE instead");
		}
		r->ops = &reg_pg_ops;
		r->backend = REG_PG;
		target = url;
	} else {
		free(r->url);
		free(r);
		return sk_errorf(err, EINVAL,
		    "registry URL must start with sqlite: or postgresql://");
	}
	if ((rc = r->ops->open(r, target, err)) < 0) {
		wipe(r->url, strlen(r->url));
		free(r->url);
		free(r);
		return rc;
	}
	/* SQLite: the file by its absolute name from now on (reg_reopen, the
	 * feed's watches and wake-up), whatever directory the program moves
	 * to afterwards (a daemon's chdir("/")) */
	if (r->backend == REG_SQLITE) {
		char *abs = realpath(target, NULL), *u = NULL;

		if (abs == NULL || asprintf(&u, "sqlite:%s", abs) < 0) {
			free(abs);
			reg_close(r);
			return sk_errorf(err, ENOMEM, "registry %s: no absolute path", target);
		}
		free(abs);
		free(r->url);
		r->url = u;
	}
	if ((rc = reg_migrate(r, err)) < 0) {
		reg_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void
reg_close(struct reg *r)
{
	if (r == NULL)
		return;
	reg_rollback(r);
	reg_feed_close(r);
	if (r->h != NULL)
		r->ops->close(r);
	wipe(r->url, strlen(r->url));
	free(r->url);
	free(r);
}

int
reg_reopen(struct reg *r, struct sk_error *err)
{
	const char *target = r->backend == REG_SQLITE ? r->url + 7 : r->url;
	int rc;

	reg_feed_close(r);
	if (r->h != NULL)
		r->ops->close(r);
	r->in_tx = 0;
	reg_feed_postcommit(r);
	r->fed = 0;
	if ((rc = r->ops->open(r, target, err)) < 0) {
		r->h = NULL;
		return rc;
	}
	return reg_migrate(r, err);
}

enum reg_backend
reg_backend(const struct reg *r)
{
	return r->backend;
}

const char *
reg_backend_name(const struct reg *r)
{
	return r->ops->name;
}

int
reg_begin(struct reg *r, struct sk_error *err)
{
	int rc;

	if (r->h == NULL)
		return not_connected(err);
	if (r->in_tx)
		return sk_errorf(err, EINVAL, "registry: transaction already open");
	if ((rc = r->ops->lock(r, err)) < 0)
		return rc;
	r->in_tx = 1;
	return 0;
}

int
reg_commit(struct reg *r, struct sk_error *err)
{
	int rc;

	if (!r->in_tx)
		return sk_errorf(err, EINVAL, "registry: no transaction to commit");
	if ((rc = reg_feed_precommit(r, err)) < 0 ||
	    (rc = r->ops->exec(r, "COMMIT", 0, NULL, NULL, NULL, err)) < 0) {
		reg_rollback(r);
		return rc;
	}
	r->in_tx = 0;
	reg_feed_postcommit(r);
	r->fed = 0;
	return 0;
}

void
reg_rollback(struct reg *r)
{
	r->fed = 0;
	if (!r->in_tx)
		return;
	r->in_tx = 0;
	(void)r->ops->exec(r, "ROLLBACK", 0, NULL, NULL, NULL, NULL);
}

void
reg_set_busy_ms(struct reg *r, int ms)
{
	r->busy_ms = ms;
}

int
reg_in_tx(const struct reg *r)
{
	return r->in_tx;
}

int
reg_exec(struct reg *r, const char *sql, int n, const char *const *params,
    reg_row_fn fn, void *arg, struct sk_error *err)
{
	if (r->h == NULL)
		return not_connected(err);
	return r->ops->exec(r, sql, n, params, fn, arg, err);
}

int
reg_queue(struct reg *r, const char *sql, int n, const char *const *params,
    struct sk_error *err)
{
	if (r->h == NULL)
		return not_connected(err);
	if (r->ops->queue != NULL)
		return r->ops->queue(r, sql, n, params, err);
	return r->ops->exec(r, sql, n, params, NULL, NULL, err);
}

uint64_t
reg_changes(const struct reg *r)
{
	return r->changes;
}
