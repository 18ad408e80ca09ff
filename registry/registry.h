/*
 * The registry: what IT provisions (agency keys, groups, devices, staff,
 * cards, one-time codes) and the audit of every change, behind one small
 * interface with two backends, chosen by URL:
 *
 *   sqlite:PATH              one file, WAL, a busy timeout (the default)
 *   postgresql://...         libpq, for several gateways or IT offices
 *   postgres://...
 *
 * Programs share it: sekisho-provision writes it, the gateway daemon will
 * read it. This file is the transport (open, transactions, one statement
 * with text parameters); registry/ops.h the rows on top of it.
 *
 * SQL is written once for both backends: parameters are $1..$N (rewritten
 * to ?N for SQLite), values are passed and returned as text, NULL as a
 * NULL pointer. The schema is versioned (registry/schema.c); reg_open
 * runs the forward migrations a database lacks, under the write lock, and
 * refuses a database newer than this build.
 *
 * Writers are serialised: reg_begin takes the write lock (SQLite BEGIN
 * IMMEDIATE; PostgreSQL a transaction-scoped advisory lock) and waits at
 * most REG_BUSY_MS for it; after that it fails with -EBUSY and the one line
 * "registry busy: another change is in progress; try again".
 * So two IT staff at once both finish, or one gets that line, and nothing
 * is half-written: every bulk change is one transaction.
 */
#ifndef SK_REGISTRY_H
#define SK_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/util.h"

#define REG_BUSY_MS	10000	/* how long a writer waits for the lock */
#define REG_URL_MAX	1024

struct reg;

enum reg_backend { REG_SQLITE = 1, REG_PG = 2 };

/* Called once per result row: ncol values, each text or NULL. Non-zero
 * stops the statement and is returned by reg_exec. */
typedef int (*reg_row_fn)(void *arg, int ncol, const char *const *val);

/* Opens (creating for SQLite) and migrates. 0 or -errno with err set.
 * A URL that holds a password is refused (reg_url_has_password). */
int reg_open(const char *url, struct reg **out, struct sk_error *err);
/* 1 when url holds a password: postgresql://USER:PASSWORD@..., or a
 * password parameter in any spelling libpq reads (it is libpq's own
 * parser that says). Such a URL given with -r sits in the program's
 * argv, which every local user reads (ps, /proc/PID/cmdline): every
 * program refuses it, and the password goes in ~/.pgpass or
 * $PGPASSFILE. */
int reg_url_has_password(const char *url);
void reg_close(struct reg *r);
/*
 * Drops the backend's connection (and the change feed's listener, if any)
 * and opens it again from the same URL: after a lost PostgreSQL connection
 * (reg_exec or reg_feed_drain failed with -ECONNRESET/-EIO). An open
 * transaction is lost. r stays valid whatever the result; on failure the
 * caller tries again later (each call tries once). A follower then calls
 * reg_feed_listen again and re-reads from its last seq (registry/feed.h).
 */
int reg_reopen(struct reg *r, struct sk_error *err);
enum reg_backend reg_backend(const struct reg *r);
const char *reg_backend_name(const struct reg *r);

/* The write lock and a transaction (see above). */
int reg_begin(struct reg *r, struct sk_error *err);
int reg_commit(struct reg *r, struct sk_error *err);
/* Rolls back if a transaction is open; harmless otherwise. */
void reg_rollback(struct reg *r);
int reg_in_tx(const struct reg *r);
/* How long the next reg_begin waits for the write lock (tests). */
void reg_set_busy_ms(struct reg *r, int ms);

/* One statement with n text parameters ($1..$n), fn per row (may be
 * NULL). Returns 0, fn's non-zero value, or -errno with err set; a
 * unique-key violation is -EEXIST; a lost PostgreSQL connection
 * -ECONNRESET ("registry: connection lost: ...": reg_reopen). */
int reg_exec(struct reg *r, const char *sql, int n, const char *const *params,
    reg_row_fn fn, void *arg, struct sk_error *err);
/* Rows the last INSERT/UPDATE/DELETE changed (by reg_exec). */
uint64_t reg_changes(const struct reg *r);
/*
 * A statement whose result nobody reads (an audit row, an insert checked
 * beforehand): the backend may send it together with the ones after it
 * (PostgreSQL pipelines them, so a bulk change costs a round trip per
 * hundreds of rows instead of one per row). Its error, if any, is then
 * returned by the next reg_exec or reg_commit, which fail; the caller
 * rolls back as for any error.
 */
int reg_queue(struct reg *r, const char *sql, int n, const char *const *params,
    struct sk_error *err);

/* ---- backends (registry/sqlite.c, registry/pg.c) ---- */
struct reg_ops {
	const char *name;
	int  (*open)(struct reg *r, const char *target, struct sk_error *err);
	void (*close)(struct reg *r);
	int  (*lock)(struct reg *r, struct sk_error *err);	/* begin + write lock */
	int  (*exec)(struct reg *r, const char *sql, int n,
	    const char *const *params, reg_row_fn fn, void *arg,
	    struct sk_error *err);
	/* NULL: reg_queue runs exec */
	int  (*queue)(struct reg *r, const char *sql, int n,
	    const char *const *params, struct sk_error *err);
};

struct reg_feed;

struct reg {
	const struct reg_ops	*ops;
	enum reg_backend	 backend;
	void			*h;		/* sqlite3 *, PGconn * */
	int			 in_tx;
	int			 busy_ms;	/* REG_BUSY_MS unless set */
	uint64_t		 changes;
	int			 fed;		/* this transaction added to the change log */
	char			*url;		/* for reg_reopen and the feed (wiped on close) */
	struct reg_feed		*feed;		/* registry/feed.c: the listener, once asked */
};

extern const struct reg_ops reg_sqlite_ops;
extern const struct reg_ops reg_pg_ops;
/* 1 when r is PostgreSQL connected over TCP (a reconnection makes an
 * AF_INET/AF_INET6 socket), 0 for a Unix socket or SQLite: what a
 * sandboxed program's seccomp list must allow to reconnect. */
int reg_pg_over_tcp(const struct reg *r);

/* registry/schema.c: the schema version this build writes, and the
 * migrations (run by reg_open). */
#define REG_SCHEMA_VERSION	3
int reg_migrate(struct reg *r, struct sk_error *err);
int reg_schema_version(struct reg *r, int *v, struct sk_error *err);

#endif
