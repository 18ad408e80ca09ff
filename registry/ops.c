#include "registry/ops.h"
#include "registry/feed.h"
#include "registry/otpcode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <argon2.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define I64(buf, v) (snprintf((buf), sizeof(buf), "%" PRId64, (int64_t)(v)), (buf))

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static void
cpy(char *dst, size_t size, const char *src)
{
	sk_strlcpy(dst, src != NULL ? src : "", size);
}

static int64_t
i64(const char *s)
{
	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

/* ---- audit and meta ------------------------------------------------------ */

int
reg_audit(struct reg *r, const struct reg_actor *a, const char *action,
    const char *object, const char *detail, struct sk_error *err)
{
	char at[24];
	const char *p[6] = { I64(at, now_s()), a->who, action, object,
	    detail != NULL ? detail : "", a->reason != NULL ? a->reason : "" };

	return reg_queue(r, "INSERT INTO audit (at, who, action, object, detail, reason)"
	    " VALUES ($1, $2, $3, $4, $5, $6)", 6, p, err);
}

struct audit_ctx {
	int (*fn)(void *, const struct reg_audit_row *);
	void *arg;
};

static int
audit_row(void *arg, int ncol, const char *const *v)
{
	struct audit_ctx *c = arg;
	struct reg_audit_row a;

	if (ncol < 6)
		return -EIO;
	a.at = i64(v[0]);
	a.who = v[1];
	a.action = v[2];
	a.object = v[3];
	a.detail = v[4];
	a.reason = v[5];
	return c->fn(c->arg, &a);
}

int
reg_audit_list(struct reg *r, const char *object,
    int (*fn)(void *arg, const struct reg_audit_row *a), void *arg,
    struct sk_error *err)
{
	struct audit_ctx c = { fn, arg };
	const char *p[1] = { object };

	if (object == NULL)
		return reg_exec(r, "SELECT at, who, action, object, detail, reason FROM audit"
		    " ORDER BY id", 0, NULL, audit_row, &c, err);
	return reg_exec(r, "SELECT at, who, action, object, detail, reason FROM audit"
	    " WHERE object = $1 ORDER BY id", 1, p, audit_row, &c, err);
}

struct str_out {
	char *buf;
	size_t len;
	int found;
};

static int
one_str(void *arg, int ncol, const char *const *v)
{
	struct str_out *o = arg;

	if (ncol > 0 && v[0] != NULL) {
		cpy(o->buf, o->len, v[0]);
		o->found = 1;
	}
	return 0;
}

int
reg_meta_get(struct reg *r, const char *key, char *out, size_t outlen,
    struct sk_error *err)
{
	struct str_out o = { out, outlen, 0 };
	const char *p[1] = { key };
	int rc;

	if ((rc = reg_exec(r, "SELECT value FROM meta WHERE key = $1", 1, p, one_str,
	    &o, err)) < 0)
		return rc;
	return o.found ? 0 : sk_errorf(err, ENOENT, "registry: %s is not set", key);
}

int
reg_meta_set(struct reg *r, const char *key, const char *value,
    struct sk_error *err)
{
	const char *p[2] = { key, value };

	return reg_queue(r, "INSERT INTO meta (key, value) VALUES ($1, $2)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value", 2, p, err);
}

/* ---- agency keys ------------------------------------------------------ */

int
reg_key_add(struct reg *r, const struct reg_key *k, struct sk_error *err)
{
	char c[24];
	const char *p[4] = { k->pub, k->file, k->state, I64(c, k->created) };

	return reg_exec(r, "INSERT INTO agency_keys (pub, file, state, created)"
	    " VALUES ($1, $2, $3, $4)", 4, p, NULL, NULL, err);
}

int
reg_key_set_state(struct reg *r, const char *pub, const char *state,
    struct sk_error *err)
{
	char t[24];
	const char *p[3] = { pub, state, I64(t, now_s()) };
	int rc;

	rc = reg_exec(r, "UPDATE agency_keys SET state = $2, retired = CASE WHEN $2 ="
	    " 'retired' THEN CAST($3 AS BIGINT) ELSE retired END WHERE pub = $1", 3, p,
	    NULL, NULL, err);
	if (rc == 0 && reg_changes(r) != 1)
		return sk_errorf(err, ENOENT, "no agency key %s", pub);
	return rc;
}

struct keys_ctx {
	struct reg_key *out;
	size_t max, n;
};

static int
key_row(void *arg, int ncol, const char *const *v)
{
	struct keys_ctx *c = arg;
	struct reg_key *k;

	if (ncol < 4 || c->n == c->max)
		return 0;
	k = &c->out[c->n++];
	cpy(k->pub, sizeof(k->pub), v[0]);
	cpy(k->file, sizeof(k->file), v[1]);
	cpy(k->state, sizeof(k->state), v[2]);
	k->created = i64(v[3]);
	return 0;
}

int
reg_keys(struct reg *r, struct reg_key *out, size_t max, size_t *n,
    struct sk_error *err)
{
	struct keys_ctx c = { out, max, 0 };
	int rc;

	rc = reg_exec(r, "SELECT pub, file, state, created FROM agency_keys"
	    " WHERE state <> 'retired' ORDER BY CASE state WHEN 'active' THEN 0 ELSE 1 END,"
	    " created", 0, NULL, key_row, &c, err);
	*n = c.n;
	return rc;
}

/* ---- groups ------------------------------------------------------------ */

int
reg_group_add(struct reg *r, const struct reg_group *g, struct sk_error *err)
{
	char t[24], v6[24];
	const char *p[5] = { g->name, g->tmpl, g->key_file, I64(v6, g->ipv6),
	    I64(t, now_s()) };
	int rc;

	rc = reg_exec(r, "INSERT INTO device_groups (name, template, key_file, ipv6,"
	    " created) VALUES ($1, $2, $3, $4, $5)", 5, p, NULL, NULL, err);
	if (rc == -EEXIST)
		return sk_errorf(err, EEXIST, "group %s exists", g->name);
	return rc;
}

int
reg_group_set_template(struct reg *r, const char *name, const char *tmpl,
    struct sk_error *err)
{
	const char *p[2] = { name, tmpl };
	int rc;

	rc = reg_exec(r, "UPDATE device_groups SET template = $2 WHERE name = $1", 2, p,
	    NULL, NULL, err);
	if (rc == 0 && reg_changes(r) != 1)
		return sk_errorf(err, ENOENT, "no group %s", name);
	if (rc < 0)
		return rc;
	return reg_feed_append(r, "group", name, "template", err);
}

static int
group_row(void *arg, int ncol, const char *const *v)
{
	struct reg_group *g = arg;

	if (ncol < 4)
		return -EIO;
	cpy(g->name, sizeof(g->name), v[0]);
	if ((g->tmpl = strdup(v[1] ? v[1] : "")) == NULL)
		return -ENOMEM;
	cpy(g->key_file, sizeof(g->key_file), v[2]);
	g->ipv6 = (int)i64(v[3]);
	return 1;
}

int
reg_group_get(struct reg *r, const char *name, struct reg_group *g,
    struct sk_error *err)
{
	const char *p[1] = { name };
	int rc;

	memset(g, 0, sizeof(*g));
	rc = reg_exec(r, "SELECT name, template, key_file, ipv6 FROM device_groups"
	    " WHERE name = $1", 1, p, group_row, g, err);
	if (rc == 1)
		return 0;
	if (rc == -ENOMEM)
		return sk_errorf(err, ENOMEM, "out of memory");
	return rc < 0 ? rc : sk_errorf(err, ENOENT, "no group %s", name);
}

void
reg_group_free(struct reg_group *g)
{
	free(g->tmpl);
	g->tmpl = NULL;
}

/* ---- devices ----------------------------------------------------------- */

#define DEV_COLS "name, grp, pubkey, addr4, addr6, asset, owner, state, serial," \
	" key_here, key_handed, created, revoked, revoke_reason"

static void
dev_fill(struct reg_device *d, const char *const *v)
{
	memset(d, 0, sizeof(*d));
	cpy(d->name, sizeof(d->name), v[0]);
	cpy(d->grp, sizeof(d->grp), v[1]);
	cpy(d->pubkey, sizeof(d->pubkey), v[2]);
	cpy(d->addr4, sizeof(d->addr4), v[3]);
	cpy(d->addr6, sizeof(d->addr6), v[4]);
	cpy(d->asset, sizeof(d->asset), v[5]);
	cpy(d->owner, sizeof(d->owner), v[6]);
	cpy(d->state, sizeof(d->state), v[7]);
	d->serial = i64(v[8]);
	d->key_here = (int)i64(v[9]);
	d->key_handed = i64(v[10]);
	d->created = i64(v[11]);
	d->revoked = i64(v[12]);
	cpy(d->reason, sizeof(d->reason), v[13]);
}

static int
dev_one(void *arg, int ncol, const char *const *v)
{
	if (ncol < 14)
		return -EIO;
	dev_fill(arg, v);
	return 1;
}

int
reg_device_get(struct reg *r, const char *name, struct reg_device *d,
    struct sk_error *err)
{
	const char *p[1] = { name };
	int rc;

	rc = reg_exec(r, "SELECT " DEV_COLS " FROM devices WHERE name = $1", 1, p,
	    dev_one, d, err);
	if (rc == 1)
		return 0;
	return rc < 0 ? rc : sk_errorf(err, ENOENT, "no device %s", name);
}

struct dev_ctx {
	int (*fn)(void *, const struct reg_device *);
	void *arg;
};

static int
dev_each(void *arg, int ncol, const char *const *v)
{
	struct dev_ctx *c = arg;
	struct reg_device d;

	if (ncol < 14)
		return -EIO;
	dev_fill(&d, v);
	return c->fn(c->arg, &d);
}

int
reg_device_list(struct reg *r, int (*fn)(void *arg, const struct reg_device *d),
    void *arg, struct sk_error *err)
{
	struct dev_ctx c = { fn, arg };

	return reg_exec(r, "SELECT " DEV_COLS " FROM devices ORDER BY name", 0, NULL,
	    dev_each, &c, err);
}

/* The offset-th address of pool ("A.B.C.D/N" or "X::/N"), with /32 or
 * /128. Offset 0 is the network, 1 the gateway's; devices start at 2. */
static int
pool_addr(const char *pool, uint64_t offset, char *out, size_t outlen,
    struct sk_error *err)
{
	char base[64], txt[INET6_ADDRSTRLEN];
	const char *slash = strchr(pool, '/');
	unsigned long len;
	uint8_t a[16];
	int fam, i;
	size_t bl;

	if (slash == NULL || (bl = (size_t)(slash - pool)) >= sizeof(base))
		return sk_errorf(err, EINVAL, "address pool '%s' is not A.B.C.D/N or X::/N", pool);
	memcpy(base, pool, bl);
	base[bl] = '\0';
	len = strtoul(slash + 1, NULL, 10);
	fam = strchr(base, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(fam, base, a) != 1 || len > (fam == AF_INET ? 30u : 126u) ||
	    len < (fam == AF_INET ? 8u : 64u))
		return sk_errorf(err, EINVAL, "address pool '%s' is not A.B.C.D/N or X::/N", pool);
	{
		unsigned hostbits = (fam == AF_INET ? 32u : 128u) - (unsigned)len;
		/* the last address of an IPv4 pool is its broadcast */
		if (hostbits < 63 && offset >= ((uint64_t)1 << hostbits) - (fam == AF_INET))
			return sk_errorf(err, ENOSPC, "address pool %s is exhausted", pool);
	}
	for (i = (fam == AF_INET ? 3 : 15); i >= 0 && offset != 0; i--) {
		uint64_t s = (uint64_t)a[i] + (offset & 0xff);
		a[i] = (uint8_t)s;
		offset = (offset >> 8) + (s >> 8);
	}
	inet_ntop(fam, a, txt, sizeof(txt));
	snprintf(out, outlen, "%s/%s", txt, fam == AF_INET ? "32" : "128");
	return 0;
}

int
reg_gateway_tunnel(struct reg *r, char *out, size_t outlen, struct sk_error *err)
{
	char pool[64];
	int rc;

	if ((rc = reg_meta_get(r, "pool4", pool, sizeof(pool), err)) == -ENOENT || (rc == 0 &&
	    pool[0] == '\0'))
		return sk_errorf(err, ENOENT, "the registry has no address pool: run init first");
	if (rc < 0)
		return rc;
	return pool_addr(pool, 1, out, outlen, err);
}

struct add_pre {
	char	state[16], other[REG_NAME_MAX + 1], pool4[64], pool6[64], next[24];
	int	group;
};

static int
add_pre_row(void *arg, int ncol, const char *const *v)
{
	struct add_pre *a = arg;

	if (ncol < 6)
		return -EIO;
	cpy(a->state, sizeof(a->state), v[0]);
	cpy(a->other, sizeof(a->other), v[1]);
	a->group = v[2] != NULL;
	cpy(a->pool4, sizeof(a->pool4), v[3]);
	cpy(a->pool6, sizeof(a->pool6), v[4]);
	cpy(a->next, sizeof(a->next), v[5]);
	return 0;
}

/* Everything an insert must not collide with, in one round trip: so that
 * a refusal is a clear line and never a failed statement (which would end
 * a PostgreSQL transaction). The UNIQUE keys stay as the last guard. */
int
reg_device_add(struct reg *r, struct reg_device *d, int want6,
    struct sk_error *err)
{
	struct add_pre a = { 0 };
	char t[24], nv[24];
	const char *p[9] = { d->name, d->pubkey, d->grp };
	uint64_t off = 2;
	int rc;

	if ((rc = reg_exec(r, "SELECT (SELECT state FROM devices WHERE name = $1),"
	    " (SELECT name FROM devices WHERE pubkey = $2),"
	    " (SELECT name FROM device_groups WHERE name = $3),"
	    " (SELECT value FROM meta WHERE key = 'pool4'),"
	    " (SELECT value FROM meta WHERE key = 'pool6'),"
	    " (SELECT value FROM meta WHERE key = 'pool_next')", 3, p, add_pre_row, &a,
	    err)) < 0)
		return rc;
	if (a.state[0] != '\0')
		return sk_errorf(err, EEXIST, "device %s exists%s", d->name,
		    strcmp(a.state, "revoked") ? "" : " (revoked: its name is not reused)");
	if (d->pubkey[0] != '\0' && a.other[0] != '\0')
		return sk_errorf(err, EEXIST, "device %s: public key %s is device %s's",
		    d->name, d->pubkey, a.other);
	if (!a.group)
		return sk_errorf(err, ENOENT, "device %s: no group %s", d->name, d->grp);
	if (a.pool4[0] == '\0')
		return sk_errorf(err, ENOENT, "registry: no address pool (sekisho-provision init)");
	if (want6 && a.pool6[0] == '\0')
		return sk_errorf(err, EINVAL, "device %s: group %s has IPv6 but the"
		    " registry has no IPv6 pool (init --pool6)", d->name, d->grp);
	if (a.next[0] != '\0')
		off = strtoull(a.next, NULL, 10);
	if ((rc = pool_addr(a.pool4, off, d->addr4, sizeof(d->addr4), err)) < 0)
		return rc;
	d->addr6[0] = '\0';
	if (want6 && (rc = pool_addr(a.pool6, off, d->addr6, sizeof(d->addr6), err)) < 0)
		return rc;
	snprintf(nv, sizeof(nv), "%" PRIu64, off + 1);
	if ((rc = reg_meta_set(r, "pool_next", nv, err)) < 0)
		return rc;
	cpy(d->state, sizeof(d->state), "active");
	d->created = now_s();
	p[0] = d->name;
	p[1] = d->grp;
	p[2] = d->pubkey[0] ? d->pubkey : NULL;
	p[3] = d->addr4;
	p[4] = d->addr6[0] ? d->addr6 : NULL;
	p[5] = d->asset;
	p[6] = d->owner;
	p[7] = I64(t, d->created);
	p[8] = d->pubkey[0] ? "0" : "1";
	d->key_here = !d->pubkey[0];
	/* checked above under the write lock: queued */
	if ((rc = reg_queue(r, "INSERT INTO devices (name, grp, pubkey, addr4, addr6, asset,"
	    " owner, state, serial, key_here, created) VALUES ($1, $2, $3, $4, $5, $6,"
	    " $7, 'active', 0, $9, $8)", 9, p, err)) < 0)
		return rc;
	return reg_feed_append(r, "device", d->name, "add", err);
}

int
reg_device_revoke(struct reg *r, const struct reg_actor *a, const char *name,
    const char *reason, struct sk_error *err)
{
	char t[24];
	int64_t now = now_s();
	const char *p[3] = { name, I64(t, now), reason };
	struct reg_device d;
	int rc;

	if ((rc = reg_device_get(r, name, &d, err)) < 0)
		return rc;
	if (!strcmp(d.state, "revoked"))
		return sk_errorf(err, EALREADY, "device %s is already revoked", name);
	if ((rc = reg_exec(r, "UPDATE devices SET state = 'revoked', revoked = $2,"
	    " revoke_reason = $3 WHERE name = $1", 3, p, NULL, NULL, err)) < 0 ||
	    (rc = reg_feed_append(r, "device", name, "revoke", err)) < 0)
		return rc;
	/* its session goes with it, in this transaction */
	rc = reg_session_close(r, a, name, "device revoked", now, err);
	return rc == -ENOENT ? 0 : rc;
}

int
reg_device_set_key(struct reg *r, const char *name, const char *pubkey,
    int key_here, struct sk_error *err)
{
	const char *p[3] = { name, pubkey[0] ? pubkey : NULL, key_here ? "1" : "0" };
	int rc;

	rc = reg_exec(r, "UPDATE devices SET pubkey = $2, key_here = $3, key_handed ="
	    " NULL WHERE name = $1 AND state = 'active'", 3, p, NULL, NULL, err);
	if (rc == -EEXIST)
		return sk_errorf(err, EEXIST, "device %s: public key %s is another device's",
		    name, pubkey);
	if (rc == 0 && reg_changes(r) != 1)
		return sk_errorf(err, ENOENT, "no active device %s", name);
	if (rc < 0 || (rc = reg_feed_append(r, "device", name, "key", err)) < 0)
		return rc;
	/* a session of the old key's tunnel ends with it, as at a
	 * revocation: left open it would come back for the new key at a
	 * gateway's next full sync. A key made here for a device that had
	 * none (an export: thousands at once) ends nothing (ops.h). */
	if (pubkey[0] != '\0' && key_here)
		return 0;
	rc = reg_session_end_in_force(r, NULL, name, "device rekeyed", now_s(), err);
	return rc < 0 ? rc : 0;
}

int
reg_device_signed(struct reg *r, const char *name, int64_t serial,
    int64_t handed, struct sk_error *err)
{
	char s[24], h[24];
	const char *p[3] = { name, I64(s, serial), handed ? I64(h, handed) : NULL };

	return reg_queue(r, "UPDATE devices SET serial = $2, key_handed ="
	    " COALESCE(CAST($3 AS BIGINT), key_handed) WHERE name = $1", 3, p, err);
}

/* ---- staff ------------------------------------------------------------- */

#define STAFF_COLS "staff_id, name, kana, dept, role, disabled, source, failures," \
	" CASE WHEN pin_hash IS NULL THEN 0 ELSE 1 END"

static void
staff_fill(struct reg_staff *s, const char *const *v)
{
	memset(s, 0, sizeof(*s));
	cpy(s->staff_id, sizeof(s->staff_id), v[0]);
	cpy(s->name, sizeof(s->name), v[1]);
	cpy(s->kana, sizeof(s->kana), v[2]);
	cpy(s->dept, sizeof(s->dept), v[3]);
	cpy(s->role, sizeof(s->role), v[4]);
	s->disabled = (int)i64(v[5]);
	cpy(s->source, sizeof(s->source), v[6]);
	s->failures = (int)i64(v[7]);
	s->pin_set = (int)i64(v[8]);
}

static int
staff_one(void *arg, int ncol, const char *const *v)
{
	if (ncol < 9)
		return -EIO;
	staff_fill(arg, v);
	return 1;
}

int
reg_staff_get(struct reg *r, const char *id, struct reg_staff *s,
    struct sk_error *err)
{
	const char *p[1] = { id };
	int rc;

	rc = reg_exec(r, "SELECT " STAFF_COLS " FROM staff WHERE staff_id = $1", 1, p,
	    staff_one, s, err);
	if (rc == 1)
		return 0;
	return rc < 0 ? rc : sk_errorf(err, ENOENT, "no user %s", id);
}

int
reg_staff_put(struct reg *r, const struct reg_actor *a, const struct reg_staff *s,
    int *added, struct sk_error *err)
{
	char t[24], dis[24], role[REG_NAME_MAX + 1] = "";
	const char *p[9] = { s->staff_id, s->name, s->kana, s->dept, s->role,
	    I64(dis, s->disabled != 0), s->source, I64(t, now_s()), NULL };
	struct str_out old = { role, sizeof(role), 0 };
	int rc;

	if (added != NULL)
		*added = 0;
	/* the role it had: a session open under it is moved (below) */
	if ((rc = reg_exec(r, "SELECT role FROM staff WHERE staff_id = $1", 1, p,
	    one_str, &old, err)) < 0)
		return rc;
	rc = reg_exec(r, "UPDATE staff SET name = $2, kana = $3, dept = $4, role = $5,"
	    " disabled = $6, source = $7, updated = $8 WHERE staff_id = $1", 8, p, NULL,
	    NULL, err);
	if (rc < 0)
		return rc;
	if (reg_changes(r) == 1) {
		if (s->disabled && (rc = reg_session_close_staff(r, a, s->staff_id,
		    "user disabled", now_s(), err)) < 0)
			return rc;
		/* a session outlives no role: the gateways move it to the new
		 * role's set, or out of the old one */
		if (!s->disabled && strcmp(role, s->role) != 0 &&
		    (rc = reg_session_refeed_staff(r, s->staff_id, err)) < 0)
			return rc;
		return 0;
	}
	if (added != NULL)
		*added = 1;
	return reg_exec(r, "INSERT INTO staff (staff_id, name, kana, dept, role, disabled,"
	    " source, failures, updated) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8)", 8, p,
	    NULL, NULL, err);
}

struct staff_ctx {
	int (*fn)(void *, const struct reg_staff *);
	void *arg;
};

static int
staff_each(void *arg, int ncol, const char *const *v)
{
	struct staff_ctx *c = arg;
	struct reg_staff s;

	if (ncol < 9)
		return -EIO;
	staff_fill(&s, v);
	return c->fn(c->arg, &s);
}

int
reg_staff_list(struct reg *r, int (*fn)(void *arg, const struct reg_staff *s),
    void *arg, struct sk_error *err)
{
	struct staff_ctx c = { fn, arg };

	return reg_exec(r, "SELECT " STAFF_COLS " FROM staff ORDER BY staff_id", 0, NULL,
	    staff_each, &c, err);
}

static int
staff_update(struct reg *r, const char *sql, const char *id, const char *val,
    struct sk_error *err)
{
	const char *p[2] = { id, val };
	int rc;

	rc = reg_exec(r, sql, val != NULL ? 2 : 1, p, NULL, NULL, err);
	if (rc == 0 && reg_changes(r) != 1)
		return sk_errorf(err, ENOENT, "no user %s", id);
	return rc;
}

int
reg_staff_set_disabled(struct reg *r, const struct reg_actor *a, const char *id,
    int disabled, struct sk_error *err)
{
	int rc;

	if ((rc = staff_update(r, "UPDATE staff SET disabled = $2 WHERE staff_id = $1",
	    id, disabled ? "1" : "0", err)) < 0 || !disabled)
		return rc;
	rc = reg_session_close_staff(r, a, id, "user disabled", now_s(), err);
	return rc < 0 ? rc : 0;
}

int
reg_staff_reset_failures(struct reg *r, const char *id, struct sk_error *err)
{
	return staff_update(r, "UPDATE staff SET failures = 0 WHERE staff_id = $1", id,
	    NULL, err);
}

/* ---- PINs --------------------------------------------------------------- */

int
reg_pin_set(struct reg *r, const char *id, const char *pin, size_t len,
    struct sk_error *err)
{
	uint8_t salt[16];
	char enc[160], t[24];
	const char *p[3] = { id, enc, I64(t, now_s()) };
	size_t i;
	int rc;

	if (len < REG_PIN_MIN || len > REG_PIN_MAX)
		return sk_errorf(err, EINVAL, "user %s: a PIN has %d to %d characters",
		    id, REG_PIN_MIN, REG_PIN_MAX);
	for (i = 0; i < len; i++)
		if ((unsigned char)pin[i] < 0x20 || pin[i] == 0x7f)
			return sk_errorf(err, EINVAL, "user %s: a PIN holds no control"
			    " characters", id);
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return sk_errorf(err, EIO, "no random bytes for the salt");
	rc = argon2id_hash_encoded(REG_PIN_T, REG_PIN_M_KIB, 1, pin, len, salt,
	    sizeof(salt), 32, enc, sizeof(enc));
	if (rc != ARGON2_OK)
		return sk_errorf(err, EIO, "argon2id: %s", argon2_error_message(rc));
	rc = reg_exec(r, "UPDATE staff SET pin_hash = $2, pin_set = $3, failures = 0"
	    " WHERE staff_id = $1", 3, p, NULL, NULL, err);
	wipe(enc, sizeof(enc));
	if (rc == 0 && reg_changes(r) != 1)
		return sk_errorf(err, ENOENT, "no user %s", id);
	return rc;
}

static int
fail_count(struct reg *r, const char *id, int failures, struct sk_error *err)
{
	char f[24];
	const char *p[2] = { id, I64(f, failures) };

	return reg_exec(r, "UPDATE staff SET failures = $2 WHERE staff_id = $1", 2, p,
	    NULL, NULL, err);
}

static int
hash_row(void *arg, int ncol, const char *const *v)
{
	struct str_out *o = arg;

	if (ncol > 0 && v[0] != NULL) {
		cpy(o->buf, o->len, v[0]);
		o->found = 1;
	}
	return 0;
}

int
reg_pin_verify(struct reg *r, const char *id, const char *pin, size_t len,
    struct sk_error *err)
{
	struct reg_staff s;
	char enc[160];
	struct str_out o = { enc, sizeof(enc), 0 };
	const char *p[1] = { id };
	int rc;

	if ((rc = reg_staff_get(r, id, &s, err)) < 0)
		return rc;
	if (s.disabled)
		return sk_errorf(err, EPERM, "user %s is disabled", id);
	if (s.failures >= REG_MAX_FAILURES)
		return sk_errorf(err, EPERM, "user %s is locked after %d failures", id,
		    s.failures);
	if ((rc = reg_exec(r, "SELECT pin_hash FROM staff WHERE staff_id = $1", 1, p,
	    hash_row, &o, err)) < 0)
		return rc;
	if (!o.found)
		return sk_errorf(err, ENOENT, "user %s has no PIN", id);
	rc = argon2id_verify(enc, pin, len);
	wipe(enc, sizeof(enc));
	if (rc == ARGON2_OK)
		return s.failures ? fail_count(r, id, 0, err) : 0;
	if ((rc = fail_count(r, id, s.failures + 1, err)) < 0)
		return rc;
	return sk_errorf(err, EACCES, "user %s: wrong PIN (%d of %d)", id,
	    s.failures + 1, REG_MAX_FAILURES);
}

/* ---- cards --------------------------------------------------------------- */

int
reg_card_assign(struct reg *r, const char *card_id, const char *kind,
    const char *staff_id, struct sk_error *err)
{
	char t[24];
	const char *p[4] = { card_id, kind, staff_id, I64(t, now_s()) };
	struct reg_staff s;
	int rc;

	if ((rc = reg_staff_get(r, staff_id, &s, err)) < 0)
		return rc;
	rc = reg_exec(r, "INSERT INTO cards (card_id, kind, staff_id, assigned)"
	    " VALUES ($1, $2, $3, $4)", 4, p, NULL, NULL, err);
	if (rc == -EEXIST)
		return sk_errorf(err, EEXIST, "card %s is already assigned", card_id);
	return rc;
}

struct card_ctx {
	int (*fn)(void *, const char *, const char *, const char *, int64_t);
	void *arg;
};

static int
card_each(void *arg, int ncol, const char *const *v)
{
	struct card_ctx *c = arg;

	if (ncol < 4)
		return -EIO;
	return c->fn(c->arg, v[0], v[1], v[2], i64(v[3]));
}

int
reg_card_list(struct reg *r, int (*fn)(void *arg, const char *card_id,
    const char *kind, const char *staff_id, int64_t assigned), void *arg,
    struct sk_error *err)
{
	struct card_ctx c = { fn, arg };

	return reg_exec(r, "SELECT card_id, kind, staff_id, assigned FROM cards"
	    " ORDER BY staff_id, card_id", 0, NULL, card_each, &c, err);
}

/* ---- one-time codes ------------------------------------------------------ */

/* The stored form: hex SHA-256 of the context, the user and the code's
 * 16 symbols (dashes and case ignored). -EINVAL if it is no code. */
static int
otp_hash(const char *id, const char *code, char hex[65])
{
	char norm[OTP_SYMBOLS + 1];
	uint8_t md[32];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c;
	int ok;

	if (otp_code_norm(code, strnlen(code, OTP_INPUT_MAX + 1), norm) < 0)
		return -EINVAL;
	if ((c = EVP_MD_CTX_new()) == NULL)
		return -ENOMEM;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(c, "sekisho-otp-v1", 15) &&
	    EVP_DigestUpdate(c, id, strlen(id) + 1) &&
	    EVP_DigestUpdate(c, norm, 16) && EVP_DigestFinal_ex(c, md, &mdlen);
	EVP_MD_CTX_free(c);
	wipe(norm, sizeof(norm));
	if (!ok)
		return -EIO;
	hex_encode(hex, 65, md, sizeof(md));
	return 0;
}

int
reg_otp_issue(struct reg *r, const char *id, int64_t now, int64_t valid_s,
    char code[REG_OTP_LEN + 1], int64_t *expires, struct sk_error *err)
{
	struct reg_staff s;
	uint8_t rnd[16];
	char hex[65], ti[24], te[24];
	const char *p[4] = { id, hex, I64(ti, now), I64(te, now + valid_s) };
	int rc;

	if (valid_s < 60 || valid_s > REG_OTP_MAX_S)
		return sk_errorf(err, EINVAL, "a code is valid 1 minute to 7 days");
	if ((rc = reg_staff_get(r, id, &s, err)) < 0)
		return rc;
	if (s.disabled)
		return sk_errorf(err, EPERM, "user %s is disabled", id);
	if (RAND_priv_bytes(rnd, sizeof(rnd)) != 1)
		return sk_errorf(err, EIO, "no random bytes for the code");
	otp_code_make(rnd, code);
	wipe(rnd, sizeof(rnd));
	if (otp_hash(id, code, hex) < 0) {
		wipe(code, REG_OTP_LEN + 1);
		return sk_errorf(err, EIO, "hashing the code failed");
	}
	rc = reg_exec(r, "INSERT INTO otps (staff_id, hash, issued, expires)"
	    " VALUES ($1, $2, $3, $4)", 4, p, NULL, NULL, err);
	if (rc < 0) {
		wipe(code, REG_OTP_LEN + 1);
		return rc;
	}
	*expires = now + valid_s;
	return 0;
}

struct otp_row {
	int found;
	char id[24], staff[REG_NAME_MAX + 1];
	int64_t expires, used;
};

static int
otp_one(void *arg, int ncol, const char *const *v)
{
	struct otp_row *o = arg;

	if (ncol < 4)
		return -EIO;
	o->found = 1;
	cpy(o->id, sizeof(o->id), v[0]);
	cpy(o->staff, sizeof(o->staff), v[1]);
	o->expires = i64(v[2]);
	o->used = v[3] != NULL ? i64(v[3]) : -1;
	return 1;
}

static int
otp_refuse(struct reg *r, const struct reg_actor *a, const struct reg_staff *s,
    const char *why, struct sk_error *err)
{
	char detail[96];
	int rc;

	snprintf(detail, sizeof(detail), "refused: %s", why);
	if ((rc = fail_count(r, s->staff_id, s->failures + 1, err)) < 0 ||
	    (rc = reg_audit(r, a, "otp use", s->staff_id, detail, err)) < 0)
		return rc;
	return sk_errorf(err, EACCES, "user %s: code refused: %s", s->staff_id, why);
}

int
reg_otp_use(struct reg *r, const struct reg_actor *a, const char *id,
    const char *code, int64_t now, struct sk_error *err)
{
	struct reg_staff s;
	struct otp_row o = { 0 };
	char hex[65], t[24];
	const char *p[2] = { hex, NULL };
	int rc;

	if ((rc = reg_staff_get(r, id, &s, err)) < 0)
		return rc;
	if (s.disabled)
		return sk_errorf(err, EPERM, "user %s is disabled", id);
	if (s.failures >= REG_MAX_FAILURES)
		return sk_errorf(err, EPERM, "user %s is locked after %d failures", id,
		    s.failures);
	if (otp_hash(id, code, hex) < 0)
		return otp_refuse(r, a, &s, "not a code", err);
	if ((rc = reg_exec(r, "SELECT id, staff_id, expires, used FROM otps WHERE"
	    " hash = $1", 1, p, otp_one, &o, err)) < 0)
		return rc;
	if (!o.found)
		return otp_refuse(r, a, &s, "not issued to this user", err);
	if (o.used >= 0)
		return otp_refuse(r, a, &s, "already used", err);
	if (now >= o.expires)
		return otp_refuse(r, a, &s, "expired", err);
	p[0] = o.id;
	p[1] = I64(t, now);
	if ((rc = reg_exec(r, "UPDATE otps SET used = $2 WHERE id = $1 AND used IS NULL",
	    2, p, NULL, NULL, err)) < 0)
		return rc;
	if (reg_changes(r) != 1)
		return otp_refuse(r, a, &s, "already used", err);
	if (s.failures && (rc = fail_count(r, id, 0, err)) < 0)
		return rc;
	return reg_audit(r, a, "otp use", id, "accepted", err);
}
