/*
 * The registry's schema, versioned. Each migration is a list of
 * statements that takes a database from version N-1 to N; reg_migrate runs
 * those a database lacks, in one transaction under the write lock, and
 * records the version in meta. Migrations only go forward, and a database
 * newer than this build is refused (an old tool must not write rows it
 * does not understand). The SQL is the subset both SQLite and PostgreSQL
 * read; "%ID%" is the one spelling that differs (an auto-numbered key).
 */
#include "registry/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const v1[] = {
	/* agency signing keys: active signs; next is trusted beside it
	 * during a rotation's overlap; retired is kept for the audit */
	"CREATE TABLE agency_keys (pub TEXT PRIMARY KEY, file TEXT NOT NULL,"
	" state TEXT NOT NULL, created BIGINT NOT NULL, retired BIGINT)",
	"CREATE TABLE device_groups (name TEXT PRIMARY KEY, template TEXT NOT NULL,"
	" key_file TEXT NOT NULL, ipv6 INTEGER NOT NULL, created BIGINT NOT NULL)",
	/* a device's addresses stay with its row after revocation: never
	 * reused (UNIQUE, and the pool's counter only goes up) */
	"CREATE TABLE devices (name TEXT PRIMARY KEY,"
	" grp TEXT NOT NULL REFERENCES device_groups(name),"
	" pubkey TEXT UNIQUE, addr4 TEXT NOT NULL UNIQUE, addr6 TEXT UNIQUE,"
	" asset TEXT NOT NULL, owner TEXT NOT NULL, state TEXT NOT NULL,"
	" serial BIGINT NOT NULL, key_here INTEGER NOT NULL, key_handed BIGINT,"
	" created BIGINT NOT NULL, revoked BIGINT, revoke_reason TEXT)",
	"CREATE TABLE staff (staff_id TEXT PRIMARY KEY, name TEXT NOT NULL,"
	" kana TEXT NOT NULL, dept TEXT NOT NULL, role TEXT NOT NULL,"
	" disabled INTEGER NOT NULL, source TEXT NOT NULL, pin_hash TEXT,"
	" pin_set BIGINT, failures INTEGER NOT NULL, updated BIGINT NOT NULL)",
	"CREATE TABLE cards (card_id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
	" staff_id TEXT NOT NULL REFERENCES staff(staff_id), assigned BIGINT NOT NULL)",
	"CREATE TABLE otps (id %ID%, staff_id TEXT NOT NULL REFERENCES staff(staff_id),"
	" hash TEXT NOT NULL UNIQUE, issued BIGINT NOT NULL, expires BIGINT NOT NULL,"
	" used BIGINT)",
	"CREATE INDEX otps_staff ON otps(staff_id)",
	"CREATE TABLE audit (id %ID%, at BIGINT NOT NULL, who TEXT NOT NULL,"
	" action TEXT NOT NULL, object TEXT NOT NULL, detail TEXT NOT NULL,"
	" reason TEXT NOT NULL)",
	NULL
};

/* v2, the gateway's (docs/provisioning.md, "The change feed"): the change
 * log a gateway follows by seq, and the sessions that gateways share. At
 * most one open session per device (the partial unique index). */
static const char *const v2[] = {
	"CREATE TABLE changes (seq %SEQ%, kind TEXT NOT NULL, object TEXT NOT NULL,"
	" op TEXT NOT NULL, at BIGINT NOT NULL)",
	"CREATE TABLE sessions (id %ID%, device TEXT NOT NULL REFERENCES devices(name),"
	" staff_id TEXT NOT NULL REFERENCES staff(staff_id), factor TEXT NOT NULL,"
	" opened BIGINT NOT NULL, expires BIGINT NOT NULL, opened_by TEXT NOT NULL,"
	" closed BIGINT, closed_why TEXT)",
	"CREATE UNIQUE INDEX sessions_open ON sessions(device) WHERE closed IS NULL",
	"CREATE INDEX sessions_staff ON sessions(staff_id) WHERE closed IS NULL",
	NULL
};

/* v3, sign-on's (registry/signon.h, docs/sign-on.md): each laptop's
 * sign-on key, and the hash-chained audit trail with its head in meta. */
static const char *const v3[] = {
	"ALTER TABLE devices ADD COLUMN sign_pub TEXT",
	"CREATE TABLE signon_audit (seq %ID%, at BIGINT NOT NULL,"
	" staff_id TEXT NOT NULL, device TEXT NOT NULL, op TEXT NOT NULL,"
	" factor TEXT NOT NULL, result TEXT NOT NULL, mode TEXT NOT NULL,"
	" uplink TEXT NOT NULL, source TEXT NOT NULL, reason TEXT NOT NULL,"
	" prev TEXT NOT NULL, hash TEXT NOT NULL UNIQUE)",
	"CREATE INDEX signon_audit_at ON signon_audit(at)",
	"INSERT INTO meta (key, value) VALUES ('signon_audit_head',"
	" '0 0000000000000000000000000000000000000000000000000000000000000000')",
	NULL
};

static const char *const *const migrations[REG_SCHEMA_VERSION] = { v1, v2, v3 };

static int
one_int(void *arg, int ncol, const char *const *val)
{
	if (ncol > 0 && val[0] != NULL)
		*(int *)arg = atoi(val[0]);
	return 0;
}

int
reg_schema_version(struct reg *r, int *v, struct sk_error *err)
{
	struct sk_error e;
	int rc;

	*v = 0;
	rc = reg_exec(r, "SELECT value FROM meta WHERE key = 'schema_version'", 0,
	    NULL, one_int, v, &e);
	if (rc < 0) {
		if (strstr(e.msg, "meta") != NULL)	/* no such table: empty */
			return 0;
		if (err != NULL)
			*err = e;
	}
	return rc;
}

static int
run(struct reg *r, const char *stmt, struct sk_error *err)
{
	char q[2048], *p;
	const char *id = reg_backend(r) == REG_PG ? "BIGSERIAL PRIMARY KEY" :
	    "INTEGER PRIMARY KEY";
	/* a sequence number never given twice, even after the last row is
	 * deleted (SQLite reuses the highest rowid without AUTOINCREMENT) */
	const char *seq = reg_backend(r) == REG_PG ? "BIGSERIAL PRIMARY KEY" :
	    "INTEGER PRIMARY KEY AUTOINCREMENT";

	if (strlen(stmt) + 48 >= sizeof(q))
		return sk_errorf(err, E2BIG, "registry: migration statement too long");
	sk_strlcpy(q, stmt, sizeof(q));
	if ((p = strstr(q, "%ID%")) != NULL || (p = strstr(q, "%SEQ%")) != NULL) {
		char tail[2048];
		int isseq = p[1] == 'S';

		sk_strlcpy(tail, p + (isseq ? 5 : 4), sizeof(tail));
		snprintf(p, sizeof(q) - (size_t)(p - q), "%s%s", isseq ? seq : id, tail);
	}
	return reg_exec(r, q, 0, NULL, NULL, NULL, err);
}

int
reg_migrate(struct reg *r, struct sk_error *err)
{
	char vs[16];
	const char *p[1] = { vs };
	int v = 0, rc, i, k;

	if ((rc = reg_schema_version(r, &v, err)) < 0)
		return rc;
	if (v == REG_SCHEMA_VERSION)
		return 0;
	if ((rc = reg_begin(r, err)) < 0)
		return rc;
	/* again under the lock: another process may have migrated meanwhile */
	if ((rc = run(r, "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY,"
	    " value TEXT NOT NULL)", err)) < 0 ||
	    (rc = reg_schema_version(r, &v, err)) < 0)
		goto fail;
	if (v > REG_SCHEMA_VERSION) {
		rc = sk_errorf(err, EPROTO, "registry schema version %d is newer than"
		    " this build's %d: use a newer sekisho-provision", v, REG_SCHEMA_VERSION);
		goto fail;
	}
	for (i = v; i < REG_SCHEMA_VERSION; i++)
		for (k = 0; migrations[i][k] != NULL; k++)
			if ((rc = run(r, migrations[i][k], err)) < 0)
				goto fail;
	snprintf(vs, sizeof(vs), "%d", REG_SCHEMA_VERSION);
	if ((rc = reg_exec(r, "DELETE FROM meta WHERE key = 'schema_version'", 0, NULL,
	    NULL, NULL, err)) < 0 ||
	    (rc = reg_exec(r, "INSERT INTO meta (key, value) VALUES ('schema_version', $1)",
	    1, p, NULL, NULL, err)) < 0)
		goto fail;
	return reg_commit(r, err);
fail:
	reg_rollback(r);
	return rc;
}
