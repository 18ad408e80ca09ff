/*
 * The registry (registry/registry.h, registry/ops.h) against both
 * backends: every test runs on SQLite (a file in a temporary directory)
 * and on a real PostgreSQL server, started by tests/lab/pg.sh in a
 * temporary directory unless SEKISHO_TEST_PG_URL names one. Each test
 * starts from an empty database (PostgreSQL: the schema dropped).
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <libpq-fe.h>

#include "registry/feed.h"
#include "registry/ops.h"
#include "registry/pgconn.h"
#define REG_PQ_NO_MACROS	/* this file calls libpq itself */
#include "registry/pqload.h"
#include "registry/registry.h"

static char tmpdir[] = "/tmp/test_registry.XXXXXX";
static char pg_url[1024];
static int pg_started;
static int sq_n;

static void
quiet(void *arg, const char *m)
{
	(void)arg;
	(void)m;
}

struct fx {
	char		 url[1100];
	struct reg	*r;
	struct reg_actor a;
};

static void
wipe_pg(const char *url)
{
	PGconn *c = PQconnectdb(url);
	PGresult *res;

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("%s", PQerrorMessage(c));
	PQsetNoticeProcessor(c, quiet, NULL);
	res = PQexec(c, "DROP SCHEMA public CASCADE; CREATE SCHEMA public");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		fail_msg("%s", PQresultErrorMessage(res));
	PQclear(res);
	PQfinish(c);
}

static int
setup(void **state, int pg)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sk_error err;

	if (pg) {
		snprintf(f->url, sizeof(f->url), "%s", pg_url);
		wipe_pg(f->url);
	} else
		snprintf(f->url, sizeof(f->url), "sqlite:%s/r%d.db", tmpdir, ++sq_n);
	if (reg_open(f->url, &f->r, &err) < 0) {
		free(f);
		fail_msg("reg_open %s: %s", f->url, err.msg);
	}
	f->a.who = "it-tanaka";
	f->a.reason = "unit test";
	*state = f;
	return 0;
}
static int setup_sq(void **s) { return setup(s, 0); }
static int setup_pg(void **s) { return setup(s, 1); }

static int
teardown(void **state)
{
	struct fx *f = *state;

	if (f->r != NULL)
		reg_close(f->r);
	free(f);
	return 0;
}

#define OK(call) do { struct sk_error e_; memset(&e_, 0, sizeof(e_)); \
	int rc_ = (call); if (rc_ < 0) fail_msg("%s: %s", #call, e_.msg); } while (0)
/* call must fail with code and exactly msg */
#define REFUSED(call, code, want_) do { \
	int rc_ = (call); assert_int_equal(rc_, -(code)); \
	assert_string_equal(err.msg, (want_)); } while (0)

static void
pools(struct fx *f)
{
	struct sk_error err;
	struct reg_group g = { .name = "default", .tmpl = "x", .key_file = "/etc/sekisho/device.key" };

	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_meta_set(f->r, "pool4", "10.77.0.0/29", &err), 0);
	assert_int_equal(reg_meta_set(f->r, "pool6", "fd00:77::/64", &err), 0);
	assert_int_equal(reg_group_add(f->r, &g, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
}

static struct reg_device
dev(const char *name, const char *pub)
{
	struct reg_device d;

	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "%s", name);
	snprintf(d.grp, sizeof(d.grp), "default");
	snprintf(d.pubkey, sizeof(d.pubkey), "%s", pub);
	return d;
}

#define PUB_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE="
#define PUB_B "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAI="

static void
t_schema(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg *r2;
	int v;

	assert_int_equal(reg_schema_version(f->r, &v, &err), 0);
	assert_int_equal(v, REG_SCHEMA_VERSION);
	/* a second open migrates nothing */
	assert_int_equal(reg_open(f->url, &r2, &err), 0);
	reg_close(r2);
	/* a database newer than this build is refused */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_meta_set(f->r, "schema_version", "99", &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_open(f->url, &r2, &err), -EPROTO);
	assert_string_equal(err.msg, "registry schema version 99 is newer than this"
	    " build's 3: use a newer sekisho-provision");
}

/* libpq is loaded, not linked (registry/pqload.h): every function the
 * registry calls is found, and a second load changes nothing. */
static void
t_pq_load(void **state)
{
	struct sk_error err;
	struct reg_pq before;

	(void)state;
	assert_int_equal(reg_pq_load(&err), 0);
#define NOT_NULL(f)	assert_non_null(reg_pq.f);
	REG_PQ_FUNCS(NOT_NULL)
#undef NOT_NULL
	/* the very functions this test's own link resolves */
	assert_ptr_equal(reg_pq.PQexec, PQexec);
	assert_ptr_equal(reg_pq.PQconnectdbParams, PQconnectdbParams);
	before = reg_pq;
	assert_int_equal(reg_pq_load(&err), 0);
	assert_memory_equal(&before, &reg_pq, sizeof(before));
}

static void
t_bad_url(void **state)
{
	struct sk_error err;
	struct reg *r;

	(void)state;
	REFUSED(reg_open("mysql://x", &r, &err), EINVAL,
	    "registry URL must start with sqlite: or postgresql://");
	REFUSED(reg_open("", &r, &err), EINVAL,
	    "no registry: give -r URL or set SEKISHO_REGISTRY");
	/* a password in the URL would be in argv (/proc/PID/cmdline, ps) of
	 * the verifier, the gateway, the tool: refused by every program, in
	 * every spelling libpq takes, before any connection is tried */
	static const char *const pw[] = {
		"postgresql://it:secret@db.example/sekisho",
		"postgres://it:secret@db.example/sekisho",
		"postgresql:///sekisho?host=/run/postgresql&password=secret",
		"postgresql:///sekisho?host=/run/postgresql&pass%77ord=secret",
		"postgresql://it:s%40cret@db.example/sekisho",
	};
	for (size_t i = 0; i < sizeof(pw) / sizeof(pw[0]); i++) {
		REFUSED(reg_open(pw[i], &r, &err), EINVAL,
		    "the registry URL holds a password, which anyone could read in the"
		    " process list: give it in ~/.pgpass or $PGPASSFILE instead");
		assert_true(reg_url_has_password(pw[i]));
	}
	assert_false(reg_url_has_password("postgresql:///sekisho?host=/run/postgresql"));
	assert_false(reg_url_has_password("postgresql://it@db.example/sekisho"));
	assert_false(reg_url_has_password("sqlite:/tmp/password=x.db"));
}

static void
t_devices(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_device a = dev("pc-001", PUB_A), b = dev("pc-002", ""),
	    c = dev("pc-003", ""), d = dev("pc-004", ""), e = dev("pc-005", ""), g;

	pools(f);
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_add(f->r, &a, 1, &err), 0);
	assert_string_equal(a.addr4, "10.77.0.2/32");
	assert_string_equal(a.addr6, "fd00:77::2/128");
	assert_int_equal(reg_device_add(f->r, &b, 0, &err), 0);
	assert_string_equal(b.addr4, "10.77.0.3/32");
	assert_string_equal(b.addr6, "");
	/* a name or a key twice */
	g = dev("pc-001", "");
	REFUSED(reg_device_add(f->r, &g, 0, &err), EEXIST, "device pc-001 exists");
	assert_int_equal(reg_commit(f->r, &err), 0);

	assert_int_equal(reg_begin(f->r, &err), 0);
	g = dev("pc-009", PUB_A);
	REFUSED(reg_device_add(f->r, &g, 0, &err), EEXIST,
	    "device pc-009: public key " PUB_A " is device pc-001's");
	reg_rollback(f->r);

	/* revoked: the address is never handed out again */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_revoke(f->r, &f->a, "pc-002", "lost on a train", &err), 0);
	REFUSED(reg_device_revoke(f->r, &f->a, "pc-002", "again", &err), EALREADY,
	    "device pc-002 is already revoked");
	assert_int_equal(reg_device_add(f->r, &c, 0, &err), 0);
	assert_string_equal(c.addr4, "10.77.0.4/32");
	assert_int_equal(reg_device_add(f->r, &d, 0, &err), 0);
	assert_int_equal(reg_device_add(f->r, &e, 0, &err), 0);
	assert_string_equal(e.addr4, "10.77.0.6/32");
	g = dev("pc-006", "");
	/* /29: .7 is the broadcast address */
	REFUSED(reg_device_add(f->r, &g, 0, &err), ENOSPC,
	    "address pool 10.77.0.0/29 is exhausted");
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_device_get(f->r, "pc-002", &g, &err), 0);
	assert_string_equal(g.state, "revoked");
	assert_string_equal(g.reason, "lost on a train");
	assert_string_equal(g.addr4, "10.77.0.3/32");
	REFUSED(reg_device_get(f->r, "pc-404", &g, &err), ENOENT, "no device pc-404");

	assert_int_equal(reg_begin(f->r, &err), 0);
	g = dev("pc-002", "");
	REFUSED(reg_device_add(f->r, &g, 0, &err), EEXIST,
	    "device pc-002 exists (revoked: its name is not reused)");
	g = dev("pc-x", "");
	snprintf(g.grp, sizeof(g.grp), "nogroup");
	assert_int_equal(reg_meta_set(f->r, "pool4", "10.78.0.0/24", &err), 0);
	REFUSED(reg_device_add(f->r, &g, 0, &err), ENOENT, "device pc-x: no group nogroup");
	reg_rollback(f->r);
}

static void
t_rollback(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_device a = dev("pc-001", PUB_A), g;
	char v[32];

	pools(f);
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_add(f->r, &a, 0, &err), 0);
	reg_rollback(f->r);
	REFUSED(reg_device_get(f->r, "pc-001", &g, &err), ENOENT, "no device pc-001");
	REFUSED(reg_meta_get(f->r, "pool_next", v, sizeof(v), &err), ENOENT,
	    "registry: pool_next is not set");
}

/* A second writer waits for the lock; after its busy time, one line. */
static void
t_busy(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg *r2;
	struct reg_device a = dev("pc-001", PUB_A), b = dev("pc-002", PUB_B);

	pools(f);
	assert_int_equal(reg_open(f->url, &r2, &err), 0);
	reg_set_busy_ms(r2, 200);
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_add(f->r, &a, 0, &err), 0);
	REFUSED(reg_begin(r2, &err), EBUSY,
	    "registry busy: another change is in progress; try again");
	assert_int_equal(reg_commit(f->r, &err), 0);
	/* the lock is free again: the second writer goes through */
	assert_int_equal(reg_begin(r2, &err), 0);
	assert_int_equal(reg_device_add(r2, &b, 0, &err), 0);
	assert_int_equal(reg_commit(r2, &err), 0);
	assert_string_equal(b.addr4, "10.77.0.3/32");
	reg_close(r2);
}

static int
count_rows(void *arg, int ncol, const char *const *v)
{
	(void)ncol;
	(void)v;
	(*(int *)arg)++;
	return 0;
}

static int
count_audit(void *arg, const struct reg_audit_row *a)
{
	char *s = arg;

	snprintf(s + strlen(s), 1024 - strlen(s), "%s|%s|%s|%s|%s\n", a->who,
	    a->action, a->object, a->detail, a->reason);
	return 0;
}

static void
t_staff_pin(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_staff s = { .staff_id = "s0001", .name = "山田 太郎",
	    .kana = "ヤマダ タロウ", .dept = "総務課", .role = "staff", .source = "csv" }, g;
	int added, i;
	char buf[1024] = "";

	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, &added, &err), 0);
	assert_int_equal(added, 1);
	snprintf(s.dept, sizeof(s.dept), "税務課");
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, &added, &err), 0);
	assert_int_equal(added, 0);
	REFUSED(reg_pin_set(f->r, "s0001", "12", 2, &err), EINVAL,
	    "user s0001: a PIN has 4 to 64 characters");
	assert_int_equal(reg_pin_set(f->r, "s0001", "4711", 4, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_staff_get(f->r, "s0001", &g, &err), 0);
	assert_string_equal(g.name, "山田 太郎");
	assert_string_equal(g.dept, "税務課");
	assert_int_equal(g.pin_set, 1);

	/* the stored hash is Argon2id with OWASP's parameters, never the PIN */
	{
		int n = 0;
		assert_int_equal(reg_exec(f->r, "SELECT pin_hash FROM staff WHERE pin_hash"
		    " LIKE '$argon2id$v=19$m=19456,t=2,p=1$%' AND pin_hash NOT LIKE '%4711%'",
		    0, NULL, count_rows, &n, &err), 0);
		assert_int_equal(n, 1);
	}
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_pin_verify(f->r, "s0001", "4711", 4, &err), 0);
	for (i = 1; i <= REG_MAX_FAILURES; i++) {
		char want[64];
		snprintf(want, sizeof(want), "user s0001: wrong PIN (%d of 5)", i);
		REFUSED(reg_pin_verify(f->r, "s0001", "0000", 4, &err), EACCES, want);
	}
	/* locked: even the right PIN is refused until IT resets */
	REFUSED(reg_pin_verify(f->r, "s0001", "4711", 4, &err), EPERM,
	    "user s0001 is locked after 5 failures");
	assert_int_equal(reg_staff_get(f->r, "s0001", &g, &err), 0);
	assert_int_equal(g.failures, 5);
	assert_int_equal(reg_staff_reset_failures(f->r, "s0001", &err), 0);
	assert_int_equal(reg_pin_verify(f->r, "s0001", "4711", 4, &err), 0);
	assert_int_equal(reg_audit(f->r, &f->a, "user unlock", "s0001", "", &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_audit_list(f->r, "s0001", count_audit, buf, &err), 0);
	assert_string_equal(buf, "it-tanaka|user unlock|s0001||unit test\n");
}

static void
t_otp(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_staff s = { .staff_id = "s0002", .name = "鈴木 花子", .source = "cli" },
	    s3 = { .staff_id = "s0003", .name = "佐藤", .source = "cli" };
	struct reg_actor authd = { "sekisho-authd", "" };
	char code[REG_OTP_LEN + 1], code2[REG_OTP_LEN + 1], buf[1024] = "";
	int64_t exp, now = 1700000000;

	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, NULL, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s3, NULL, &err), 0);
	assert_int_equal(reg_otp_issue(f->r, "s0002", now, 8 * 3600, code, &exp, &err), 0);
	assert_int_equal(reg_otp_issue(f->r, "s0002", now, 3600, code2, &exp, &err), 0);
	assert_int_equal(exp, now + 3600);
	assert_int_equal(strlen(code), REG_OTP_LEN);
	assert_int_equal(code[4], '-');
	REFUSED(reg_otp_issue(f->r, "s0002", now, 30, code2 + 0, &exp, &err), EINVAL,
	    "a code is valid 1 minute to 7 days");
	assert_int_equal(reg_commit(f->r, &err), 0);

	/* only its hash is stored */
	{
		char q[128];
		int n = 0, m = 0;
		snprintf(q, sizeof(q), "SELECT 1 FROM otps WHERE hash LIKE '%%%.4s%%'", code);
		assert_int_equal(reg_exec(f->r, q, 0, NULL, count_rows, &n, &err), 0);
		assert_int_equal(reg_exec(f->r, "SELECT 1 FROM otps WHERE length(hash) = 64",
		    0, NULL, count_rows, &m, &err), 0);
		assert_int_equal(m, 2);
		/* hex digests may contain the code's first group by chance only
		 * if it is all hex digits; a code with a letter past F cannot */
		if (strspn(code, "0123456789ABCDEF") < 4)
			assert_int_equal(n, 0);
	}
	assert_int_equal(reg_begin(f->r, &err), 0);
	/* another user's code */
	REFUSED(reg_otp_use(f->r, &authd, "s0003", code, now + 10, &err), EACCES,
	    "user s0003: code refused: not issued to this user");
	/* once, in lower case and without dashes too */
	{
		char lc[20];
		size_t i, o = 0;
		for (i = 0; code[i]; i++)
			if (code[i] != '-')
				lc[o++] = (char)(code[i] >= 'A' && code[i] <= 'Z' ? code[i] - 'A' + 'a' : code[i]);
		lc[o] = '\0';
		assert_int_equal(reg_otp_use(f->r, &authd, "s0002", lc, now + 10, &err), 0);
	}
	REFUSED(reg_otp_use(f->r, &authd, "s0002", code, now + 20, &err), EACCES,
	    "user s0002: code refused: already used");
	/* the second one expired at now + 3600 */
	REFUSED(reg_otp_use(f->r, &authd, "s0002", code2, now + 3600, &err), EACCES,
	    "user s0002: code refused: expired");
	REFUSED(reg_otp_use(f->r, &authd, "s0002", "not-a-code", now, &err), EACCES,
	    "user s0002: code refused: not a code");
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_audit_list(f->r, "s0002", count_audit, buf, &err), 0);
	assert_string_equal(buf,
	    "sekisho-authd|otp use|s0002|accepted|\n"
	    "sekisho-authd|otp use|s0002|refused: already used|\n"
	    "sekisho-authd|otp use|s0002|refused: expired|\n"
	    "sekisho-authd|otp use|s0002|refused: not a code|\n");
	wipe(code, sizeof(code));
	wipe(code2, sizeof(code2));
}

static void
t_cards_keys(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_staff s = { .staff_id = "s0004", .name = "高橋", .source = "cli" };
	struct reg_key k = { .pub = PUB_A, .file = "/k/agency-1.key", .state = "active" },
	    k2 = { .pub = PUB_B, .file = "/k/agency-2.key", .state = "next" }, out[8];
	size_t n;

	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, NULL, &err), 0);
	assert_int_equal(reg_card_assign(f->r, "012E4CD1A2B3C4D5", "felica", "s0004", &err), 0);
	REFUSED(reg_card_assign(f->r, "012E4CD1A2B3C4D5", "felica", "s0004", &err), EEXIST,
	    "card 012E4CD1A2B3C4D5 is already assigned");
	reg_rollback(f->r);
	assert_int_equal(reg_begin(f->r, &err), 0);
	REFUSED(reg_card_assign(f->r, "04A1B2C3", "mifare", "s0404", &err), ENOENT,
	    "no user s0404");
	assert_int_equal(reg_key_add(f->r, &k, &err), 0);
	k2.created = 5;
	assert_int_equal(reg_key_add(f->r, &k2, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_keys(f->r, out, 8, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(out[0].state, "active");
	assert_string_equal(out[1].pub, PUB_B);
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_key_set_state(f->r, PUB_A, "retired", &err), 0);
	assert_int_equal(reg_key_set_state(f->r, PUB_B, "active", &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_keys(f->r, out, 8, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].pub, PUB_B);
}

/* A queued statement's error reaches the caller: at once (SQLite) or at
 * the next statement (PostgreSQL's pipeline); nothing of it stays. */
static void
t_queue(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	const char *p[2] = { "k", "v" };
	char v[8];
	int rc, i, n = 0;

	assert_int_equal(reg_begin(f->r, &err), 0);
	/* many queued rows, more than one pipeline's worth, then a read */
	for (i = 0; i < 600; i++)
		assert_int_equal(reg_audit(f->r, &f->a, "test", "queue", "", &err), 0);
	assert_int_equal(reg_exec(f->r, "SELECT id FROM audit WHERE object = $1", 1,
	    (const char *[]){ "queue" }, count_rows, &n, &err), 0);
	assert_int_equal(n, 600);
	assert_int_equal(reg_queue(f->r, "INSERT INTO meta (key, value) VALUES ($1, $2)",
	    2, p, &err), 0);
	rc = reg_queue(f->r, "INSERT INTO meta (key, value) VALUES ($1, $2)", 2, p, &err);
	if (rc == 0)
		rc = reg_exec(f->r, "SELECT 1 WHERE 1 = $1", 1, (const char *[]){ "1" }, NULL,
		    NULL, &err);
	assert_int_equal(rc, -EEXIST);
	reg_rollback(f->r);
	REFUSED(reg_meta_get(f->r, "k", v, sizeof(v), &err), ENOENT, "registry: k is not set");
	n = 0;
	assert_int_equal(reg_exec(f->r, "SELECT id FROM audit", 0, NULL, count_rows, &n, &err), 0);
	assert_int_equal(n, 0);
}

/* ---- the change feed, sessions, a device's policy (schema v2) ---- */

static int
feed_str(void *arg, const struct reg_change *c)
{
	char *s = arg;

	snprintf(s + strlen(s), 2048 - strlen(s), "%s %s %s\n", c->kind, c->op, c->object);
	return 0;
}

struct seqs {
	int64_t v[64];
	size_t n;
};

static int
feed_seq(void *arg, const struct reg_change *c)
{
	struct seqs *s = arg;

	if (s->n < 64)
		s->v[s->n++] = c->seq;
	return 0;
}

static char feedbuf[2048];

/* The feed since after, as "kind op object" lines. */
static const char *
since(struct reg *r, int64_t after)
{
	struct sk_error err;

	feedbuf[0] = '\0';
	if (reg_feed_since(r, after, 0, feed_str, feedbuf, &err) < 0)
		fail_msg("reg_feed_since: %s", err.msg);
	return feedbuf;
}

static void
staff(struct fx *f, const char *id)
{
	struct sk_error err;
	struct reg_staff s;

	memset(&s, 0, sizeof(s));
	snprintf(s.staff_id, sizeof(s.staff_id), "%s", id);
	snprintf(s.name, sizeof(s.name), "staff %s", id);
	snprintf(s.source, sizeof(s.source), "cli");
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, NULL, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
}

static void
add_dev(struct fx *f, const char *name, const char *pub)
{
	struct sk_error err;
	struct reg_device d = dev(name, pub);

	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_add(f->r, &d, 0, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
}

static void
t_feed(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_device d = dev("pc-009", "");
	struct seqs s = { .n = 0 };
	int64_t head, h2;
	size_t i;

	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);
	assert_int_equal(head, 0);
	pools(f);	/* meta and a group: nothing the gateway follows */
	assert_string_equal(since(f->r, 0), "");
	add_dev(f, "pc-001", PUB_A);
	add_dev(f, "pc-002", "");
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_set_key(f->r, "pc-002", PUB_B, 0, &err), 0);
	assert_int_equal(reg_group_set_template(f->r, "default", "y", &err), 0);
	assert_int_equal(reg_device_revoke(f->r, &f->a, "pc-001", "lost", &err), 0);
	/* a serial signed is not the gateway's business */
	assert_int_equal(reg_device_signed(f->r, "pc-002", 1, 0, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_string_equal(since(f->r, 0),
	    "device add pc-001\n"
	    "device add pc-002\n"
	    "device key pc-002\n"
	    "group template default\n"
	    "device revoke pc-001\n");
	/* seq strictly increasing; head the last; since(x) what follows x */
	assert_int_equal(reg_feed_since(f->r, 0, 0, feed_seq, &s, &err), 0);
	assert_int_equal(s.n, 5);
	for (i = 1; i < s.n; i++)
		assert_true(s.v[i] > s.v[i - 1]);
	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);
	assert_int_equal(head, s.v[4]);
	assert_string_equal(since(f->r, s.v[2]), "group template default\n"
	    "device revoke pc-001\n");
	feedbuf[0] = '\0';
	assert_int_equal(reg_feed_since(f->r, s.v[0], 2, feed_str, feedbuf, &err), 0);
	assert_string_equal(feedbuf, "device add pc-002\ndevice key pc-002\n");
	/* a change rolled back leaves no row; a refused one none either */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_add(f->r, &d, 0, &err), 0);
	reg_rollback(f->r);
	assert_int_equal(reg_begin(f->r, &err), 0);
	REFUSED(reg_device_set_key(f->r, "pc-001", PUB_A, 0, &err), ENOENT,
	    "no active device pc-001");
	REFUSED(reg_group_set_template(f->r, "nogroup", "z", &err), ENOENT,
	    "no group nogroup");
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_string_equal(since(f->r, head), "");
	/* and the next seq is still above every one before */
	add_dev(f, "pc-010", "");
	assert_int_equal(reg_feed_head(f->r, &h2, &err), 0);
	assert_true(h2 > head);
	assert_string_equal(since(f->r, head), "device add pc-010\n");
}

static void
t_sessions(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_session s;
	struct reg_actor gw = { "sekisho-gw@gw1", "" };
	/* the registry's own changes (a revocation) are stamped with the
	 * clock: sessions around it too */
	int64_t now = (int64_t)time(NULL), id1 = 0, id2 = 0, head;
	char buf[2048] = "";
	int n;

	pools(f);
	add_dev(f, "pc-001", PUB_A);
	add_dev(f, "pc-002", PUB_B);
	add_dev(f, "pc-003", "");
	staff(f, "s0001");
	staff(f, "s0002");
	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);

	/* outside a transaction: its own */
	assert_int_equal(reg_session_open(f->r, &gw, "pc-001", "s0001", "card", now, 600,
	    &id1, &err), 0);
	assert_true(id1 > 0);
	assert_int_equal(reg_session_active(f->r, "pc-001", now + 599, &s, &err), 0);
	assert_int_equal(s.id, id1);
	assert_string_equal(s.staff_id, "s0001");
	assert_string_equal(s.factor, "card");
	assert_int_equal(s.opened, now);
	assert_int_equal(s.expires, now + 600);
	assert_int_equal(s.closed, 0);
	/* expired: not active, not listed */
	REFUSED(reg_session_active(f->r, "pc-001", now + 600, &s, &err), ENOENT,
	    "device pc-001 has no session");
	n = 0;
	assert_int_equal(reg_session_list(f->r, now + 600, (int (*)(void *,
	    const struct reg_session *))(void *)count_rows, &n, &err), 0);
	assert_int_equal(n, 0);

	/* a handover: one step, the previous session closed, one open */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_session_open(f->r, &gw, "pc-001", "s0002", "face", now + 10,
	    600, &id2, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_true(id2 > id1);
	assert_int_equal(reg_session_active(f->r, "pc-001", now + 11, &s, &err), 0);
	assert_int_equal(s.id, id2);
	assert_string_equal(s.staff_id, "s0002");
	assert_int_equal(reg_session_open(f->r, &gw, "pc-002", "s0001", "otp", now + 20,
	    60, NULL, &err), 0);
	n = 0;
	assert_int_equal(reg_exec(f->r, "SELECT id FROM sessions WHERE closed IS NULL", 0,
	    NULL, count_rows, &n, &err), 0);
	assert_int_equal(n, 2);

	/* refused: a revoked device, a disabled or locked user, bad input */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_exec(f->r, "UPDATE staff SET failures = 5 WHERE staff_id ="
	    " 's0002'", 0, NULL, NULL, NULL, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	REFUSED(reg_session_open(f->r, &gw, "pc-003", "s0002", "pin", now, 60, NULL, &err),
	    EPERM, "user s0002 is locked after 5 failures: no session");
	REFUSED(reg_session_open(f->r, &gw, "pc-404", "s0001", "pin", now, 60, NULL, &err),
	    ENOENT, "no device pc-404");
	REFUSED(reg_session_open(f->r, &gw, "pc-003", "s0404", "pin", now, 60, NULL, &err),
	    ENOENT, "no user s0404");
	REFUSED(reg_session_open(f->r, &gw, "pc-003", "s0001", "", now, 60, NULL, &err),
	    EINVAL, "session: the factor must have 1 to 15 characters");
	REFUSED(reg_session_open(f->r, &gw, "pc-003", "s0001", "pin", now, 0, NULL, &err),
	    EINVAL, "session: a lifetime is 1 second to a year");
	REFUSED(reg_session_close(f->r, &gw, "pc-003", "sign-off", now, &err), ENOENT,
	    "device pc-003 has no open session");

	/* sign-off */
	assert_int_equal(reg_session_close(f->r, &gw, "pc-002", "sign-off", now + 30, &err), 0);
	REFUSED(reg_session_close(f->r, &gw, "pc-002", "sign-off", now + 31, &err), ENOENT,
	    "device pc-002 has no open session");
	/* revoking a device closes its session in the same transaction */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_revoke(f->r, &f->a, "pc-001", "stolen", &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	REFUSED(reg_session_active(f->r, "pc-001", now + 40, &s, &err), ENOENT,
	    "device pc-001 has no session");
	REFUSED(reg_session_open(f->r, &gw, "pc-001", "s0001", "card", now + 50, 60, NULL,
	    &err), EPERM, "device pc-001 is revoked: no session");
	/* disabling a user closes theirs */
	assert_int_equal(reg_session_open(f->r, &gw, "pc-003", "s0001", "card", now + 60,
	    600, NULL, &err), 0);
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_set_disabled(f->r, &f->a, "s0001", 1, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	REFUSED(reg_session_active(f->r, "pc-003", now + 61, &s, &err), ENOENT,
	    "device pc-003 has no session");
	REFUSED(reg_session_open(f->r, &gw, "pc-003", "s0001", "card", now + 62, 60, NULL,
	    &err), EPERM, "user s0001 is disabled: no session");

	/* fed, one row per change, the handover as one "open" */
	assert_string_equal(since(f->r, head),
	    "session open pc-001\n"
	    "session open pc-001\n"
	    "session open pc-002\n"
	    "session close pc-002\n"
	    "device revoke pc-001\n"
	    "session close pc-001\n"
	    "session open pc-003\n"
	    "session close pc-003\n");
	/* audited with who and why */
	assert_int_equal(reg_audit_list(f->r, "pc-001", count_audit, buf, &err), 0);
	{
		char want[1024];
		snprintf(want, sizeof(want),
		    "sekisho-gw@gw1|session open|pc-001|session %lld for s0001 by card, until %lld|\n"
		    "sekisho-gw@gw1|session close|pc-001|session %lld of s0001 closed: replaced by s0002|\n"
		    "sekisho-gw@gw1|session open|pc-001|session %lld for s0002 by face, until %lld|\n"
		    "it-tanaka|session close|pc-001|session %lld of s0002 closed: device revoked|unit test\n",
		    (long long)id1, (long long)now + 600, (long long)id1, (long long)id2,
		    (long long)now + 610, (long long)id2);
		assert_string_equal(buf, want);
	}
	buf[0] = '\0';
	assert_int_equal(reg_audit_list(f->r, "pc-003", count_audit, buf, &err), 0);
	assert_non_null(strstr(buf, "it-tanaka|session close|pc-003|"));
	assert_non_null(strstr(buf, " closed: user disabled|unit test\n"));
}

/* A handover on a shared terminal: only from the user whose session is
 * in force; both sessions change in one transaction, fed as one open. */
static void
t_session_handover(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_session s;
	int64_t head, id1 = 0, id2 = 0;
	char buf[2048] = "";

	pools(f);
	add_dev(f, "pc-001", PUB_A);
	staff(f, "s0001");
	staff(f, "s0002");
	staff(f, "s0003");
	REFUSED(reg_session_handover(f->r, NULL, "pc-001", "s0001", "s0002", "card-pin", 100,
	    60, NULL, &err), ESRCH, "device pc-001 has no session of s0001 in force:"
	    " nothing to hand over");
	assert_int_equal(reg_session_open(f->r, NULL, "pc-001", "s0001", "card-pin", 100, 60,
	    &id1, &err), 0);
	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);
	/* from someone who is not signed on there, or to themselves: no */
	REFUSED(reg_session_handover(f->r, NULL, "pc-001", "s0003", "s0002", "card-pin", 110,
	    60, NULL, &err), ESRCH, "device pc-001 has no session of s0003 in force:"
	    " nothing to hand over");
	REFUSED(reg_session_handover(f->r, NULL, "pc-001", "s0001", "s0001", "card-pin", 110,
	    60, NULL, &err), EINVAL, "session: a handover from s0001 to s0001: the same user");
	/* expired: nothing to hand over either */
	REFUSED(reg_session_handover(f->r, NULL, "pc-001", "s0001", "s0002", "card-pin", 160,
	    60, NULL, &err), ESRCH, "device pc-001 has no session of s0001 in force:"
	    " nothing to hand over");
	assert_int_equal(reg_session_active(f->r, "pc-001", 110, &s, &err), 0);
	assert_int_equal(s.id, id1);
	/* in the caller's transaction: both rows or neither */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_session_handover(f->r, NULL, "pc-001", "s0001", "s0002",
	    "card-pin", 110, 90, &id2, &err), 0);
	reg_rollback(f->r);
	assert_int_equal(reg_session_active(f->r, "pc-001", 111, &s, &err), 0);
	assert_int_equal(s.id, id1);
	assert_int_equal(reg_session_handover(f->r, NULL, "pc-001", "s0001", "s0002",
	    "card-pin", 110, 90, &id2, &err), 0);
	assert_int_equal(reg_session_active(f->r, "pc-001", 111, &s, &err), 0);
	assert_int_equal(s.id, id2);
	assert_string_equal(s.staff_id, "s0002");
	assert_int_equal(s.expires, 200);
	assert_string_equal(since(f->r, head), "session open pc-001\n");
	assert_int_equal(reg_audit_list(f->r, "pc-001", count_audit, buf, &err), 0);
	assert_non_null(strstr(buf, "registry|session close|pc-001|session 1 of s0001"
	    " closed: handed over to s0002|\n"));
}

/* A second session on one device cannot exist, even written past the API. */
static void
t_session_unique(void **state)
{
	struct fx *f = *state;
	struct sk_error err;

	pools(f);
	add_dev(f, "pc-001", PUB_A);
	staff(f, "s0001");
	assert_int_equal(reg_session_open(f->r, NULL, "pc-001", "s0001", "card", 100, 60,
	    NULL, &err), 0);
	assert_int_equal(reg_exec(f->r, "INSERT INTO sessions (device, staff_id, factor,"
	    " opened, expires, opened_by) VALUES ('pc-001', 's0001', 'x', 1, 2, 'x')", 0,
	    NULL, NULL, NULL, &err), -EEXIST);
	/* an expired one left open is closed as expired by the next */
	assert_int_equal(reg_session_open(f->r, NULL, "pc-001", "s0001", "pin", 1000, 60,
	    NULL, &err), 0);
	{
		char buf[2048] = "";
		assert_int_equal(reg_audit_list(f->r, "pc-001", count_audit, buf, &err), 0);
		assert_non_null(strstr(buf, "registry|session close|pc-001|session 1 of s0001"
		    " closed: expired|\n"));
	}
	/* a reason longer than the column's text is refused */
	{
		char why[REG_TEXT_MAX + 2];
		memset(why, 'x', sizeof(why) - 1);
		why[sizeof(why) - 1] = '\0';
		REFUSED(reg_session_close(f->r, NULL, "pc-001", why, 1001, &err), EINVAL,
		    "session: a reason has at most 255 bytes");
	}
}

static void
t_policy_text(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_device d = dev("pc-007", PUB_A);
	struct reg_group g = { .name = "kyoto", .tmpl = "# kyoto\nmode strict",
	    .key_file = "/etc/sekisho/wg.key", .ipv6 = 1 };
	char *text = NULL;

	pools(f);
	snprintf(d.grp, sizeof(d.grp), "kyoto");
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_group_add(f->r, &g, &err), 0);
	assert_int_equal(reg_device_add(f->r, &d, 1, &err), 0);
	assert_int_equal(reg_device_signed(f->r, "pc-007", 3, 0, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_device_get(f->r, "pc-007", &d, &err), 0);
	assert_int_equal(reg_device_policy_text(f->r, &d, &text, &err), 0);
	assert_string_equal(text, "# kyoto\nmode strict\n"
	    "# device pc-007, filled in by sekisho-provision\n"
	    "serial 3\n"
	    "device {\n"
	    "\ttunnel-address 10.77.0.2/32\n"
	    "\ttunnel-address6 fd00:77::2/128\n"
	    "\tkey-file \"/etc/sekisho/wg.key\"\n"
	    "}\n");
	free(text);
	snprintf(d.grp, sizeof(d.grp), "gone");
	REFUSED(reg_device_policy_text(f->r, &d, &text, &err), ENOENT, "no group gone");
	assert_null(text);
}

/* The gateways' tunnel-address filled into a template where it shifts
 * none of its lines; a template's own that contradicts the registry's,
 * refused with its line. */
static void
t_policy_gateways(void **state)
{
	static const struct {
		const char *tmpl, *want;
	} ok[] = {
		/* '{' ending its line (a comment after it is the same) */
		{ "version 1\ngateway \"a\" {\n\tendpoint 192.0.2.1:51820\n}\n",
		  "version 1\ngateway \"a\" { tunnel-address 10.77.0.1/32\n\tendpoint 192.0.2.1:51820\n}\n" },
		{ "gateway \"d\" {   # the first } of the two\n}\n",
		  "gateway \"d\" { tunnel-address 10.77.0.1/32   # the first } of the two\n}\n" },
		/* a statement after '{', '}' beginning its line */
		{ "gateway b{endpoint 192.0.2.1:51820\n  }\nlgwan {\n}\n",
		  "gateway b{endpoint 192.0.2.1:51820\n  tunnel-address 10.77.0.1/32 }\nlgwan {\n}\n" },
		/* neither: a line of its own (the only case that moves lines) */
		{ "gateway c{endpoint 192.0.2.1:51820\npublic-key \"k\"}\n",
		  "gateway c{endpoint 192.0.2.1:51820\npublic-key \"k\"\n\ttunnel-address 10.77.0.1/32\n}\n" },
		/* its own, the registry's: as it is, quoted or not */
		{ "gateway \"e\" {\n\ttunnel-address 10.77.0.1/32\n}\ngateway \"f\" {\n"
		  "\ttunnel-address \"10.77.0.1/32\"\n}\n", NULL },
		/* two blocks; "gateway" elsewhere is no gateway block */
		{ "service \"gateway\" {\n\tto 10.64.0.0/16\n}\n# gateway \"x\" {\n"
		  "gateway \"g\" {\n}\ngateway \"h\" {\n}\n",
		  "service \"gateway\" {\n\tto 10.64.0.0/16\n}\n# gateway \"x\" {\n"
		  "gateway \"g\" { tunnel-address 10.77.0.1/32\n}\ngateway \"h\" { tunnel-address 10.77.0.1/32\n}\n" },
	};
	static const char tail[] = "# device pc-1, filled in by sekisho-provision\n"
	    "serial 1\ndevice {\n\ttunnel-address 10.77.0.2/32\n\tkey-file \"/k\"\n}\n";
	struct reg_device d;
	struct sk_error err;
	char *text, want[512];
	size_t len;

	(void)state;
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "pc-1");
	snprintf(d.addr4, sizeof(d.addr4), "10.77.0.2/32");
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(reg_policy_compose(ok[i].tmpl, &d, "/k", 1, "10.77.0.1/32", &text,
		    &len, &err), 0);
		snprintf(want, sizeof(want), "%s%s", ok[i].want ? ok[i].want : ok[i].tmpl, tail);
		assert_string_equal(text, want);
		assert_int_equal(len, strlen(want));
		free(text);
	}
	/* without the registry's address: the template as it is */
	assert_int_equal(reg_policy_compose(ok[0].tmpl, &d, "/k", 1, NULL, &text, &len, &err), 0);
	snprintf(want, sizeof(want), "%s%s", ok[0].tmpl, tail);
	assert_string_equal(text, want);
	free(text);
	/* another address: refused, naming the template's line */
	text = NULL;
	REFUSED(reg_policy_compose("version 1\ngateway \"a\" {\n\tendpoint 192.0.2.1:51820\n"
	    "\ttunnel-address 10.77.0.9/32\n}\n", &d, "/k", 1, "10.77.0.1/32", &text, &len, &err),
	    EINVAL, "line 4: gateway \"a\" has tunnel-address 10.77.0.9/32, but the registry's"
	    " gateways have 10.77.0.1/32 in the tunnel (the pool's .1): leave it out,"
	    " sekisho-provision fills it in");
	assert_null(text);
	REFUSED(reg_policy_compose("gateway \"a\" {\n\ttunnel-address 10.77.0.1/24\n}\n", &d, "/k",
	    1, "10.77.0.1/32", &text, &len, &err), EINVAL, "line 2: gateway \"a\" has"
	    " tunnel-address 10.77.0.1/24, but the registry's gateways have 10.77.0.1/32 in the"
	    " tunnel (the pool's .1): leave it out, sekisho-provision fills it in");
}

/* Waits for fd to be readable: 1, or 0 after ms (a generous bound: the
 * test fails only if the wake-up never comes). */
static int
readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

/* A laptop given a new WireGuard key (device rekey: lost, reinstalled,
 * handed to someone else) is another tunnel: its session ends in the
 * same transaction, as with a revocation. The gateway drops stage 2 at
 * the new key; a session left open in the registry would come back at
 * the gateway's next full sync, or at another gateway, for whoever holds
 * the new key. */
static void
t_rekey_session(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_session s;
	struct reg_actor gw = { "sekisho-gw@gw1", "" };
	int64_t now = (int64_t)time(NULL), head;

	pools(f);
	add_dev(f, "pc-001", PUB_A);
	staff(f, "s0001");
	assert_int_equal(reg_session_open(f->r, &gw, "pc-001", "s0001", "card", now, 600,
	    NULL, &err), 0);
	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_set_key(f->r, "pc-001", PUB_B, 0, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	REFUSED(reg_session_active(f->r, "pc-001", now + 1, &s, &err), ENOENT,
	    "device pc-001 has no session");
	assert_string_equal(since(f->r, head), "device key pc-001\nsession close pc-001\n");
	/* a key to be made at the next export (no key meanwhile): the same */
	assert_int_equal(reg_session_open(f->r, &gw, "pc-001", "s0001", "card", now, 600,
	    NULL, &err), 0);
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_set_key(f->r, "pc-001", "", 1, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	REFUSED(reg_session_active(f->r, "pc-001", now + 1, &s, &err), ENOENT,
	    "device pc-001 has no session");
}

/* A user's role changed while signed on (HR's CSV, the directory): the
 * gateways hold the session in its role's set (docs/gateway.md), read
 * when it opened, so the registry feeds a "session role" change for
 * each open session of that user; the gateway reads the session and the
 * role again. Nothing when the role stays, nothing without a session. */
static void
t_role_change(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg_staff s;
	struct reg_actor gw = { "sekisho-gw@gw1", "" };
	int64_t now = (int64_t)time(NULL), head;

	pools(f);
	add_dev(f, "pc-001", PUB_A);
	add_dev(f, "pc-002", PUB_B);
	memset(&s, 0, sizeof(s));
	snprintf(s.staff_id, sizeof(s.staff_id), "s0001");
	snprintf(s.name, sizeof(s.name), "staff s0001");
	snprintf(s.role, sizeof(s.role), "tax");
	snprintf(s.source, sizeof(s.source), "csv");
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, NULL, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	staff(f, "s0002");
	assert_int_equal(reg_session_open(f->r, &gw, "pc-001", "s0001", "card", now, 600,
	    NULL, &err), 0);
	assert_int_equal(reg_session_open(f->r, &gw, "pc-002", "s0002", "card", now, 600,
	    NULL, &err), 0);
	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);

	/* the same row again (a nightly sync), another name: nothing */
	snprintf(s.name, sizeof(s.name), "staff s0001 (renamed)");
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, NULL, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_string_equal(since(f->r, head), "");
	/* another role: the session's gateways told */
	snprintf(s.role, sizeof(s.role), "clerk");
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, NULL, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_string_equal(since(f->r, head), "session role pc-001\n");
	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);
	/* no role at all: the same */
	s.role[0] = '\0';
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, NULL, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_string_equal(since(f->r, head), "session role pc-001\n");
	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);
	/* signed off: a role change is nobody's business at the gateway */
	assert_int_equal(reg_session_close(f->r, &gw, "pc-001", "signed off", now + 1,
	    &err), 0);
	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);
	snprintf(s.role, sizeof(s.role), "tax");
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_staff_put(f->r, &f->a, &s, NULL, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_string_equal(since(f->r, head), "");
}

/* Pruning (feed.h): below the lowest seq a live follower reported, older
 * than the window; the marker; a follower behind it told so (-ESTALE). */
static void
t_feed_prune(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct seqs s = { .n = 0 };
	int64_t t = (int64_t)time(NULL), removed, cut, m;
	char msg[128];

	pools(f);
	add_dev(f, "pc-001", "");
	add_dev(f, "pc-002", "");
	add_dev(f, "pc-003", "");
	add_dev(f, "pc-004", "");
	assert_int_equal(reg_feed_since(f->r, 0, 0, feed_seq, &s, &err), 0);
	assert_int_equal(s.n, 4);
	/* rows younger than the window stay, follower or none */
	assert_int_equal(reg_feed_prune(f->r, t, 3600, 600, &removed, &cut, &err), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(cut, 0);
	/* a live follower at s2, a silent one at s1: the silent one holds
	 * nothing back; rows above the live one's seq stay however old */
	assert_int_equal(reg_feed_report(f->r, "gw-a/wg0", s.v[1], t + 1000, &err), 0);
	assert_int_equal(reg_feed_report(f->r, "gw-b/wg0", s.v[0], t + 1000 - 601, &err), 0);
	assert_int_equal(reg_feed_prune(f->r, t + 1000, 100, 600, &removed, &cut, &err), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(cut, s.v[1]);
	assert_int_equal(reg_feed_pruned(f->r, &m, &err), 0);
	assert_int_equal(m, s.v[1]);
	assert_string_equal(since(f->r, s.v[1]), "device add pc-003\ndevice add pc-004\n");
	/* a follower behind the marker: -ESTALE, whatever rows it was given */
	feedbuf[0] = '\0';
	assert_int_equal(reg_feed_since(f->r, s.v[0], 0, feed_str, feedbuf, &err), -ESTALE);
	snprintf(msg, sizeof(msg), "registry feed: change %lld was pruned (the log holds only"
	    " changes after %lld)", (long long)s.v[0] + 1, (long long)s.v[1]);
	assert_string_equal(err.msg, msg);
	assert_int_equal(reg_feed_since(f->r, 0, 0, feed_str, feedbuf, &err), -ESTALE);
	/* nothing more to prune: the marker stays */
	assert_int_equal(reg_feed_prune(f->r, t + 1000, 100, 600, &removed, &cut, &err), 0);
	assert_int_equal(removed, 0);
	assert_int_equal(cut, s.v[1]);
	/* a row that does not parse holds nothing back; the live follower
	 * moves on: everything old goes, and seq goes on rising after it */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_meta_set(f->r, "feed_follower:junk", "1 x", &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_feed_report(f->r, "gw-a/wg0", s.v[3], t + 1000, &err), 0);
	assert_int_equal(reg_feed_prune(f->r, t + 1000, 100, 600, &removed, &cut, &err), 0);
	assert_int_equal(removed, 2);
	assert_int_equal(cut, s.v[3]);
	assert_string_equal(since(f->r, s.v[3]), "");
	/* the log empty: its head is the marker, from which a follower
	 * reads without being told it is behind */
	assert_int_equal(reg_feed_head(f->r, &m, &err), 0);
	assert_int_equal(m, s.v[3]);
	add_dev(f, "pc-005", "");
	assert_string_equal(since(f->r, s.v[3]), "device add pc-005\n");
	/* names: printable, no space, bounded */
	REFUSED(reg_feed_report(f->r, "gw a", 1, t, &err), EINVAL,
	    "registry feed: follower name 'gw a': printable ASCII, no space");
	REFUSED(reg_feed_report(f->r, "", 1, t, &err), EINVAL,
	    "registry feed: follower name of 1..96 bytes");
}

static void
t_feed_wake(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg *w;
	struct reg_device a = dev("pc-001", PUB_A), b = dev("pc-002", PUB_B),
	    c = dev("pc-003", ""), x = dev("pc-004", "");
	int64_t last = 0, head;
	int fd, fd2;

	pools(f);
	/* the follower: its own handle, as the gateway is another process */
	assert_int_equal(reg_open(f->url, &w, &err), 0);
	assert_int_equal(reg_feed_listen(w, &fd, &err), 0);
	assert_int_equal(reg_feed_listen(w, &fd2, &err), 0);
	assert_int_equal(fd2, fd);
	assert_true(reg_feed_drain(w, &err) >= 0);
	assert_int_equal(readable(fd, 0), 0);

	/* a committed change wakes it; the drain leaves it quiet */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_add(f->r, &a, 0, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(readable(fd, 10000), 1);
	assert_true(reg_feed_drain(w, &err) >= 0);
	assert_string_equal(since(w, last), "device add pc-001\n");
	assert_int_equal(reg_feed_head(w, &last, &err), 0);
	if (reg_backend(w) == REG_PG)
		assert_int_equal(reg_feed_hint(w), last);

	/* PostgreSQL: nothing for a rolled-back change, one notification per
	 * transaction (its highest seq) however many rows it fed */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_add(f->r, &x, 0, &err), 0);
	reg_rollback(f->r);
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_add(f->r, &b, 0, &err), 0);
	assert_int_equal(reg_device_add(f->r, &c, 0, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(readable(fd, 10000), 1);
	assert_int_equal(reg_feed_head(f->r, &head, &err), 0);
	if (reg_backend(w) == REG_PG) {
		assert_int_equal(reg_feed_drain(w, &err), 1);
		assert_int_equal(reg_feed_hint(w), head);
	} else
		assert_int_equal(reg_feed_drain(w, &err), 0);
	assert_int_equal(readable(fd, 0), 0);
	assert_string_equal(since(w, last), "device add pc-002\ndevice add pc-003\n");
	last = head;

	/* a change the log does not carry: SQLite wakes for any write and
	 * the follower finds nothing new; PostgreSQL is not told at all */
	staff(f, "s0001");
	if (reg_backend(w) == REG_SQLITE) {
		assert_int_equal(readable(fd, 10000), 1);
		assert_int_equal(reg_feed_drain(w, &err), 0);
		assert_string_equal(since(w, last), "");
	}
	/* SQLite: the wake-up that is never early (feed.h): after the
	 * commit of a change the log carries, the file's times (IN_ATTRIB;
	 * the -wal's writes come before the commit is visible) */
	if (reg_backend(w) == REG_SQLITE) {
		int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		char ev[4096];

		assert_true(in >= 0);
		assert_true(inotify_add_watch(in, f->url + 7, IN_ATTRIB) >= 0);
		staff(f, "s0002");
		assert_int_equal(readable(in, 0), 0);
		assert_int_equal(reg_session_open(f->r, NULL, "pc-003", "s0002", "card", 1,
		    60, NULL, &err), 0);
		assert_int_equal(readable(in, 0), 1);
		assert_true(read(in, ev, sizeof(ev)) > 0);
		close(in);
		assert_int_equal(readable(fd, 10000), 1);
		assert_int_equal(reg_feed_drain(w, &err), 0);
		assert_string_equal(since(w, last), "session open pc-003\n");
		assert_int_equal(reg_feed_head(w, &last, &err), 0);
	}
	/* a session opened by another gateway */
	assert_int_equal(reg_session_open(f->r, NULL, "pc-002", "s0001", "card", 1, 60,
	    NULL, &err), 0);
	assert_int_equal(readable(fd, 10000), 1);
	assert_true(reg_feed_drain(w, &err) >= 0);
	assert_string_equal(since(w, last), "session open pc-002\n");
	assert_int_equal(reg_feed_head(w, &last, &err), 0);
	/* a change outside a transaction is fed and told at once */
	assert_int_equal(reg_device_set_key(f->r, "pc-003",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAM=", 0, &err), 0);
	assert_int_equal(readable(fd, 10000), 1);
	assert_true(reg_feed_drain(w, &err) >= 0);
	assert_string_equal(since(w, last), "device key pc-003\n");
	reg_close(w);
}

/* SQLite: a follower woken by a writer's -wal writes before its commit is
 * visible (a writer that may not touch the file's times afterwards:
 * sekisho-authd) waits for the commit in the drain; a writer that holds
 * the lock past the drain's wait is said (reg_feed_unsettled) and read
 * for again. The writer is another process holding BEGIN IMMEDIATE with
 * a fed change until the test lets it commit: no timing in the checks. */
static void
t_feed_settle(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg *w;
	int fd, held[2], go[2], st;
	char c = 0;
	pid_t pid;

	pools(f);
	assert_int_equal(reg_open(f->url, &w, &err), 0);
	assert_int_equal(reg_feed_listen(w, &fd, &err), 0);
	assert_true(reg_feed_drain(w, &err) >= 0);
	assert_int_equal(reg_feed_unsettled(w), 0);
	assert_int_equal(pipe(held), 0);
	assert_int_equal(pipe(go), 0);
	if ((pid = fork()) == 0) {
		struct reg *x;
		struct reg_device d = dev("pc-009", PUB_A);

		/* only the test's ends: a test that fails ends it (EOF on go) */
		close(go[1]);
		close(held[0]);
		if (reg_open(f->url, &x, &err) < 0 || reg_begin(x, &err) < 0 ||
		    reg_device_add(x, &d, 0, &err) < 0 || write(held[1], "h", 1) != 1 ||
		    read(go[0], &c, 1) != 1 || reg_commit(x, &err) < 0)
			_exit(1);
		reg_close(x);
		_exit(0);
	}
	assert_true(pid > 0);
	close(held[1]);
	close(go[0]);
	assert_int_equal(read(held[0], &c, 1), 1);	/* it holds the write lock */
	/* the drain cannot wait it out: it says so, and nothing is there yet */
	assert_true(reg_feed_drain(w, &err) >= 0);
	assert_int_equal(reg_feed_unsettled(w), 1);
	assert_string_equal(since(w, 0), "");
	/* let it commit: a drain that says it settled sees the commit, with
	 * no wake-up needed (the drain may have to wait for it) */
	assert_int_equal(write(go[1], "g", 1), 1);
	do
		assert_true(reg_feed_drain(w, &err) >= 0);
	while (reg_feed_unsettled(w));
	assert_string_equal(since(w, 0), "device add pc-009\n");
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(held[0]);
	close(go[1]);
	reg_close(w);
}

/* A lost connection: the follower is told (-ECONNRESET), reopens, listens
 * again and re-reads since its last seq: the changes made meanwhile are
 * all there. */
static void
t_feed_reconnect(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg *w;
	struct reg_device a = dev("pc-001", PUB_A);
	int64_t last = 0;
	int fd, i, rc = 0;

	pools(f);
	assert_int_equal(reg_open(f->url, &w, &err), 0);
	assert_int_equal(reg_feed_listen(w, &fd, &err), 0);
	/* every connection but this test's own is cut */
	assert_int_equal(reg_exec(f->r, "SELECT pg_terminate_backend(pid) FROM"
	    " pg_stat_activity WHERE pid <> pg_backend_pid() AND datname ="
	    " current_database()", 0, NULL, NULL, NULL, &err), 0);
	/* the server's FATAL message and its close may come apart: each
	 * wakes the descriptor; the close is reported */
	for (i = 0; i < 10; i++) {
		assert_int_equal(readable(fd, 10000), 1);
		if ((rc = reg_feed_drain(w, &err)) < 0)
			break;
	}
	assert_int_equal(rc, -ECONNRESET);
	assert_non_null(strstr(err.msg, "registry feed: connection lost"));
	/* changes while it is away */
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_device_add(f->r, &a, 0, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	assert_int_equal(reg_feed_since(w, last, 0, feed_str, feedbuf, &err),
	    -ECONNRESET);
	assert_non_null(strstr(err.msg, "registry: connection lost: "));
	assert_int_equal(reg_reopen(w, &err), 0);
	assert_int_equal(reg_feed_listen(w, &fd, &err), 0);
	assert_string_equal(since(w, last), "device add pc-001\n");
	assert_int_equal(reg_feed_head(w, &last, &err), 0);
	/* and it is woken again */
	assert_int_equal(reg_session_open(f->r, NULL, "pc-001", "s0001", "card", 1, 60,
	    NULL, &err), -ENOENT);
	staff(f, "s0001");
	assert_int_equal(reg_session_open(f->r, NULL, "pc-001", "s0001", "card", 1, 60,
	    NULL, &err), 0);
	assert_int_equal(readable(fd, 10000), 1);
	assert_true(reg_feed_drain(w, &err) >= 0);
	assert_string_equal(since(w, last), "session open pc-001\n");
	reg_close(w);
}

/* A v1 registry (issue 12) is taken to v2 and v3 on open, its rows kept. */
static void
t_migrate_v1(void **state)
{
	struct fx *f = *state;
	struct sk_error err;
	struct reg *r2;
	struct reg_device d;
	int v;

	pools(f);
	add_dev(f, "pc-001", PUB_A);
	assert_int_equal(reg_begin(f->r, &err), 0);
	assert_int_equal(reg_exec(f->r, "DROP TABLE sessions", 0, NULL, NULL, NULL, &err), 0);
	assert_int_equal(reg_exec(f->r, "DROP TABLE changes", 0, NULL, NULL, NULL, &err), 0);
	/* and sign-on's v3 */
	assert_int_equal(reg_exec(f->r, "DROP TABLE signon_audit", 0, NULL, NULL, NULL, &err), 0);
	assert_int_equal(reg_exec(f->r, "ALTER TABLE devices DROP COLUMN sign_pub", 0, NULL,
	    NULL, NULL, &err), 0);
	assert_int_equal(reg_exec(f->r, "DELETE FROM meta WHERE key = 'signon_audit_head'",
	    0, NULL, NULL, NULL, &err), 0);
	assert_int_equal(reg_exec(f->r, "UPDATE meta SET value = '1' WHERE key ="
	    " 'schema_version'", 0, NULL, NULL, NULL, &err), 0);
	assert_int_equal(reg_commit(f->r, &err), 0);
	reg_close(f->r);
	f->r = NULL;
	assert_int_equal(reg_open(f->url, &r2, &err), 0);
	f->r = r2;
	assert_int_equal(reg_schema_version(r2, &v, &err), 0);
	assert_int_equal(v, 3);
	assert_int_equal(reg_device_get(r2, "pc-001", &d, &err), 0);
	assert_string_equal(since(r2, 0), "");
	add_dev(f, "pc-002", PUB_B);
	assert_string_equal(since(r2, 0), "device add pc-002\n");
}

static void
t_feed_seq_parse(void **state)
{
	int64_t v = 0;

	(void)state;
	assert_int_equal(reg_feed_parse_seq("42", 2, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(reg_feed_parse_seq("9223372036854775807", 19, &v), 0);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(reg_feed_parse_seq("9223372036854775808", 19, &v), -EINVAL);
	assert_int_equal(reg_feed_parse_seq("", 0, &v), -EINVAL);
	assert_int_equal(reg_feed_parse_seq("0", 1, &v), -EINVAL);
	assert_int_equal(reg_feed_parse_seq("042", 3, &v), -EINVAL);
	assert_int_equal(reg_feed_parse_seq("-1", 2, &v), -EINVAL);
	assert_int_equal(reg_feed_parse_seq("4 2", 3, &v), -EINVAL);
	assert_int_equal(reg_feed_parse_seq("+4", 2, &v), -EINVAL);
}

/* The value libpq will use for keyword kw on c (PQconninfo), or "". */
static void
conn_opt(PGconn *c, const char *kw, char *out, size_t len)
{
	PQconninfoOption *o, *opts = PQconninfo(c);

	snprintf(out, len, "%s", "");
	assert_non_null(opts);
	for (o = opts; o->keyword != NULL; o++)
		if (!strcmp(o->keyword, kw) && o->val != NULL)
			snprintf(out, len, "%s", o->val);
	PQconninfoFree(opts);
}

/* Every libpq connection of the project (reg_pg_connect: the registry's
 * and the feed's) notices a dead server or a silently cut path in
 * seconds: connect timeout, keepalives, TCP user timeout set, in every
 * spelling of the URL; a value the URL gives wins. (No server: a socket
 * directory that does not exist; libpq keeps the options of a failed
 * connection.) */
static void
t_pg_conn_opts(void **state)
{
	static const char *const urls[] = {
		"postgresql:///sekisho?host=/nonexistent-sekisho&user=gw",
		"host=/nonexistent-sekisho dbname=sekisho user=gw",
	};
	static const char *const want[][2] = {
		{ "connect_timeout", "5" }, { "keepalives", "1" },
		{ "keepalives_idle", "4" }, { "keepalives_interval", "2" },
		{ "keepalives_count", "3" }, { "tcp_user_timeout", "5000" },
		{ "dbname", "sekisho" }, { "user", "gw" },
	};
	char v[64];
	PGconn *c;

	(void)state;
	assert_int_equal(REG_PG_IDLE_DEAD_S, 10);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		assert_non_null(c = reg_pg_connect(urls[i]));
		assert_int_equal(PQstatus(c), CONNECTION_BAD);
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			conn_opt(c, want[k][0], v, sizeof(v));
			if (strcmp(v, want[k][1]) != 0)
				fail_msg("%s: %s = '%s', want '%s'", urls[i], want[k][0], v,
				    want[k][1]);
		}
		PQfinish(c);
	}
	assert_non_null(c = reg_pg_connect("postgresql:///sekisho?host=/nonexistent-sekisho"
	    "&keepalives_idle=30&connect_timeout=2"));
	conn_opt(c, "keepalives_idle", v, sizeof(v));
	assert_string_equal(v, "30");
	conn_opt(c, "connect_timeout", v, sizeof(v));
	assert_string_equal(v, "2");
	conn_opt(c, "tcp_user_timeout", v, sizeof(v));
	assert_string_equal(v, "5000");
	PQfinish(c);
}

#define BOTH(t) cmocka_unit_test_setup_teardown(t, setup_sq, teardown)
#define BOTH_PG(t) cmocka_unit_test_setup_teardown(t, setup_pg, teardown)

int
main(void)
{
	const struct CMUnitTest sq[] = {
		cmocka_unit_test(t_pq_load), cmocka_unit_test(t_bad_url), cmocka_unit_test(t_pg_conn_opts), BOTH(t_schema), BOTH(t_devices),
		BOTH(t_rollback), BOTH(t_busy), BOTH(t_staff_pin), BOTH(t_otp),
		BOTH(t_cards_keys), BOTH(t_queue), BOTH(t_feed), BOTH(t_sessions),
		BOTH(t_session_unique), BOTH(t_session_handover), BOTH(t_policy_text), cmocka_unit_test(t_policy_gateways), BOTH(t_feed_wake), BOTH(t_feed_prune),
		BOTH(t_feed_settle), BOTH(t_migrate_v1), cmocka_unit_test(t_feed_seq_parse),
		BOTH(t_role_change), BOTH(t_rekey_session),
	};
	const struct CMUnitTest pg[] = {
		BOTH_PG(t_schema), BOTH_PG(t_devices), BOTH_PG(t_rollback),
		BOTH_PG(t_busy), BOTH_PG(t_staff_pin), BOTH_PG(t_otp),
		BOTH_PG(t_cards_keys), BOTH_PG(t_queue), BOTH_PG(t_feed),
		BOTH_PG(t_sessions), BOTH_PG(t_session_unique), BOTH_PG(t_session_handover), BOTH_PG(t_policy_text),
		BOTH_PG(t_feed_wake), BOTH_PG(t_feed_prune), BOTH_PG(t_feed_reconnect), BOTH_PG(t_migrate_v1),
		BOTH_PG(t_role_change), BOTH_PG(t_rekey_session),
	};
	const char *env = getenv("SEKISHO_TEST_PG_URL");
	char cmd[512];
	FILE *p;
	int rc;

	if (mkdtemp(tmpdir) == NULL || chmod(tmpdir, 0711) == -1)
		return 1;
	if (env != NULL) {
		snprintf(pg_url, sizeof(pg_url), "%s", env);
	} else {
		/* a real server of our own, as an unprivileged user */
		snprintf(cmd, sizeof(cmd), "bash tests/lab/pg.sh start %s/pg", tmpdir);
		if ((p = popen(cmd, "r")) == NULL || fgets(pg_url, sizeof(pg_url), p) == NULL) {
			fprintf(stderr, "test_registry: could not start PostgreSQL\n");
			return 1;
		}
		pclose(p);
		pg_url[strcspn(pg_url, "\n")] = '\0';
		pg_started = 1;
	}
	rc = cmocka_run_group_tests_name("registry sqlite", sq, NULL, NULL);
	rc |= cmocka_run_group_tests_name("registry postgresql", pg, NULL, NULL);
	if (pg_started) {
		snprintf(cmd, sizeof(cmd), "bash tests/lab/pg.sh stop %s/pg", tmpdir);
		if (system(cmd) != 0)
			rc |= 1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		rc |= 1;
	return rc;
}
