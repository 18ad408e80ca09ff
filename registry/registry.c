#include "registry/registry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
	if (!strncmp(url, "sqlite:", 7)) {
		r->ops = &reg_sqlite_ops;
		r->backend = REG_SQLITE;
		target = url + 7;
	} else if (!strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11)) {
		r->ops = &reg_pg_ops;
		r->backend = REG_PG;
		target = url;
	} else {
		free(r);
		return sk_errorf(err, EINVAL,
		    "registry URL must start with sqlite: or postgresql://");
	}
	if ((rc = r->ops->open(r, target, err)) < 0) {
		free(r);
		return rc;
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
	r->ops->close(r);
	free(r);
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
	rc = r->ops->exec(r, "COMMIT", 0, NULL, NULL, NULL, err);
	if (rc < 0) {
		reg_rollback(r);
		return rc;
	}
	r->in_tx = 0;
	return 0;
}

void
reg_rollback(struct reg *r)
{
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
	return r->ops->exec(r, sql, n, params, fn, arg, err);
}

int
reg_queue(struct reg *r, const char *sql, int n, const char *const *params,
    struct sk_error *err)
{
	if (r->ops->queue != NULL)
		return r->ops->queue(r, sql, n, params, err);
	return r->ops->exec(r, sql, n, params, NULL, NULL, err);
}

uint64_t
reg_changes(const struct reg *r)
{
	return r->changes;
}
