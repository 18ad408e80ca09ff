/*
 * Sessions (registry/ops.h): a device admitted to its user's stage until
 * a time, shared by every gateway on the registry. One open session per
 * device (the partial unique index sessions_open); every change audited
 * and fed to the change log (registry/feed.h) in its transaction.
 */
#include "registry/ops.h"
#include "registry/feed.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define I64(buf, v) (snprintf((buf), sizeof(buf), "%" PRId64, (int64_t)(v)), (buf))
#define SESS_COLS "id, device, staff_id, factor, opened, expires, closed, closed_why"

static const struct reg_actor nobody = { "registry", "" };

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

static void
sess_fill(struct reg_session *s, const char *const *v)
{
	memset(s, 0, sizeof(*s));
	s->id = i64(v[0]);
	cpy(s->device, sizeof(s->device), v[1]);
	cpy(s->staff_id, sizeof(s->staff_id), v[2]);
	cpy(s->factor, sizeof(s->factor), v[3]);
	s->opened = i64(v[4]);
	s->expires = i64(v[5]);
	s->closed = i64(v[6]);
	cpy(s->why, sizeof(s->why), v[7]);
}

static int
sess_one(void *arg, int ncol, const char *const *v)
{
	if (ncol < 8)
		return -EIO;
	sess_fill(arg, v);
	return 1;
}

/* The device's open session (expired or not): 1 found, 0 none, -errno. */
static int
open_session(struct reg *r, const char *device, struct reg_session *s,
    struct sk_error *err)
{
	const char *p[1] = { device };

	return reg_exec(r, "SELECT " SESS_COLS " FROM sessions WHERE device = $1"
	    " AND closed IS NULL", 1, p, sess_one, s, err);
}

/* Closes session s (audited, fed unless quiet). */
static int
end(struct reg *r, const struct reg_actor *a, const struct reg_session *s,
    const char *why, int64_t now, int feed, struct sk_error *err)
{
	char id[24], t[24], detail[REG_TEXT_MAX + 2 * REG_NAME_MAX + 64];
	const char *p[3] = { I64(id, s->id), I64(t, now), why };
	int rc;

	if ((rc = reg_exec(r, "UPDATE sessions SET closed = $2, closed_why = $3"
	    " WHERE id = $1 AND closed IS NULL", 3, p, NULL, NULL, err)) < 0)
		return rc;
	snprintf(detail, sizeof(detail), "session %" PRId64 " of %s closed: %s%s",
	    s->id, s->staff_id, why,
	    s->expires <= now && strcmp(why, "expired") ? " (had expired)" : "");
	if ((rc = reg_audit(r, a, "session close", s->device, detail, err)) < 0)
		return rc;
	return feed ? reg_feed_append(r, "session", s->device, "close", err) : 0;
}

static int
id_row(void *arg, int ncol, const char *const *v)
{
	if (ncol > 0 && v[0] != NULL)
		*(int64_t *)arg = i64(v[0]);
	return 0;
}

/* Closes the device's open session, if any, in one statement (a handover
 * is one step: the feed carries the one "open" that follows): "expired"
 * if it had, else "replaced by STAFF". */
struct prev_row {
	int64_t	id, expires;
	char	staff[REG_NAME_MAX + 1];
	char	why[REG_NAME_MAX + 16];
	int	found;
};

static int
prev_row(void *arg, int ncol, const char *const *v)
{
	struct prev_row *pr = arg;

	if (ncol < 4)
		return -EIO;
	pr->id = i64(v[0]);
	cpy(pr->staff, sizeof(pr->staff), v[1]);
	pr->expires = i64(v[2]);
	cpy(pr->why, sizeof(pr->why), v[3]);
	pr->found = 1;
	return 0;
}

static int
hand_over(struct reg *r, const struct reg_actor *a, const char *device,
    const char *staff_id, const char *prev_why, int64_t now, struct sk_error *err)
{
	struct prev_row pr;
	char t[24], why[REG_NAME_MAX + 16];
	char detail[REG_TEXT_MAX + 2 * REG_NAME_MAX + 64];
	const char *p[3] = { device, I64(t, now), why };
	int rc;

	memset(&pr, 0, sizeof(pr));
	if (prev_why != NULL)
		snprintf(why, sizeof(why), "%s", prev_why);
	else
		snprintf(why, sizeof(why), "replaced by %s", staff_id);
	if ((rc = reg_exec(r, "UPDATE sessions SET closed = $2, closed_why = CASE"
	    " WHEN expires <= CAST($2 AS BIGINT) THEN 'expired' ELSE $3 END"
	    " WHERE device = $1 AND closed IS NULL RETURNING id, staff_id, expires,"
	    " closed_why", 3, p, prev_row, &pr, err)) < 0 || !pr.found)
		return rc;
	snprintf(detail, sizeof(detail), "session %" PRId64 " of %s closed: %s",
	    pr.id, pr.staff, pr.why);
	return reg_audit(r, a, "session close", device, detail, err);
}

int
reg_session_end_in_force(struct reg *r, const struct reg_actor *a, const char *device,
    const char *why, int64_t now, struct sk_error *err)
{
	struct prev_row pr;
	char t[24], detail[REG_TEXT_MAX + 2 * REG_NAME_MAX + 64];
	const char *p[3] = { device, I64(t, now), why };
	int rc;

	if (a == NULL)
		a = &nobody;
	memset(&pr, 0, sizeof(pr));
	if ((rc = reg_exec(r, "UPDATE sessions SET closed = $2, closed_why = $3 WHERE"
	    " device = $1 AND closed IS NULL AND expires > CAST($2 AS BIGINT)"
	    " RETURNING id, staff_id, expires, closed_why", 3, p, prev_row, &pr,
	    err)) < 0)
		return rc;
	if (!pr.found)
		return 0;
	snprintf(detail, sizeof(detail), "session %" PRId64 " of %s closed: %s", pr.id,
	    pr.staff, why);
	if ((rc = reg_audit(r, a, "session close", device, detail, err)) < 0 ||
	    (rc = reg_feed_append(r, "session", device, "close", err)) < 0)
		return rc;
	return 1;
}

/* checked: the caller read the device (active) and the user (enabled,
 * not locked) in this transaction; else they are read here. */
static int
open_tx(struct reg *r, const struct reg_actor *a, const char *device,
    const char *staff_id, const char *factor, int64_t now, int64_t lifetime_s,
    int checked, const char *prev_why, int64_t *id, struct sk_error *err)
{
	struct reg_device d;
	struct reg_staff st;
	char to[24], te[24], detail[REG_TEXT_MAX + 1];
	const char *p[6] = { device, staff_id, factor, I64(to, now),
	    I64(te, now + lifetime_s), a->who };
	int64_t sid = 0;
	int rc;

	if (!checked) {
		if ((rc = reg_device_get(r, device, &d, err)) < 0)
			return rc;
		if (strcmp(d.state, "active"))
			return sk_errorf(err, EPERM, "device %s is revoked: no session",
			    device);
		if ((rc = reg_staff_get(r, staff_id, &st, err)) < 0)
			return rc;
		if (st.disabled)
			return sk_errorf(err, EPERM, "user %s is disabled: no session",
			    staff_id);
		if (st.failures >= REG_MAX_FAILURES)
			return sk_errorf(err, EPERM, "user %s is locked after %d"
			    " failures: no session", staff_id, st.failures);
	}
	if ((rc = hand_over(r, a, device, staff_id, prev_why, now, err)) < 0)
		return rc;
	if ((rc = reg_exec(r, "INSERT INTO sessions (device, staff_id, factor, opened,"
	    " expires, opened_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", 6, p,
	    id_row, &sid, err)) < 0)
		return rc;
	snprintf(detail, sizeof(detail), "session %" PRId64 " for %s by %s, until %s",
	    sid, staff_id, factor, te);
	if ((rc = reg_audit(r, a, "session open", device, detail, err)) < 0 ||
	    (rc = reg_feed_append(r, "session", device, "open", err)) < 0)
		return rc;
	if (id != NULL)
		*id = sid;
	return 0;
}

static int
valid_name(const char *what, const char *s, size_t max, struct sk_error *err)
{
	size_t i, n = s != NULL ? strnlen(s, max + 1) : 0;

	if (n == 0 || n > max)
		return sk_errorf(err, EINVAL, "session: %s must have 1 to %zu characters",
		    what, max);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || s[i] == 0x7f)
			return sk_errorf(err, EINVAL, "session: %s holds a space or a"
			    " control character", what);
	return 0;
}

/* The arguments every way of opening a session shares. */
static int
open_args_valid(const char *device, const char *staff_id, const char *factor,
    int64_t now, int64_t lifetime_s, struct sk_error *err)
{
	int rc;

	if ((rc = valid_name("the device", device, REG_NAME_MAX, err)) < 0 ||
	    (rc = valid_name("the user", staff_id, REG_NAME_MAX, err)) < 0 ||
	    (rc = valid_name("the factor", factor, REG_FACTOR_MAX, err)) < 0)
		return rc;
	if (lifetime_s <= 0 || lifetime_s > 366 * 86400 || now < 0)
		return sk_errorf(err, EINVAL, "session: a lifetime is 1 second to a year");
	return 0;
}

int
reg_session_open(struct reg *r, const struct reg_actor *a, const char *device,
    const char *staff_id, const char *factor, int64_t now, int64_t lifetime_s,
    int64_t *id, struct sk_error *err)
{
	int rc, own = !reg_in_tx(r);

	if (a == NULL)
		a = &nobody;
	if ((rc = open_args_valid(device, staff_id, factor, now, lifetime_s, err)) < 0)
		return rc;
	if (own && (rc = reg_begin(r, err)) < 0)
		return rc;
	rc = open_tx(r, a, device, staff_id, factor, now, lifetime_s, 0, NULL, id, err);
	if (own) {
		if (rc == 0)
			rc = reg_commit(r, err);
		else
			reg_rollback(r);
	}
	return rc;
}

int
reg_session_open_checked(struct reg *r, const struct reg_actor *a,
    const char *device, const char *staff_id, const char *factor, int64_t now,
    int64_t lifetime_s, int64_t *id, struct sk_error *err)
{
	int rc;

	if (a == NULL)
		a = &nobody;
	if (!reg_in_tx(r))
		return sk_errorf(err, EINVAL, "session: a checked open needs the"
		    " caller's transaction");
	if ((rc = open_args_valid(device, staff_id, factor, now, lifetime_s, err)) < 0)
		return rc;
	return open_tx(r, a, device, staff_id, factor, now, lifetime_s, 1, NULL, id, err);
}

int
reg_session_handover(struct reg *r, const struct reg_actor *a, const char *device,
    const char *from_staff, const char *to_staff, const char *factor, int64_t now,
    int64_t lifetime_s, int64_t *id, struct sk_error *err)
{
	struct reg_session prev;
	char why[REG_NAME_MAX + 24];
	int rc, own = !reg_in_tx(r);

	if (a == NULL)
		a = &nobody;
	if ((rc = valid_name("the user handing over", from_staff, REG_NAME_MAX, err)) < 0 ||
	    (rc = open_args_valid(device, to_staff, factor, now, lifetime_s, err)) < 0)
		return rc;
	if (strcmp(from_staff, to_staff) == 0)
		return sk_errorf(err, EINVAL, "session: a handover from %s to %s: the same"
		    " user", from_staff, to_staff);
	if (own && (rc = reg_begin(r, err)) < 0)
		return rc;
	if ((rc = open_session(r, device, &prev, err)) >= 0) {
		if (rc == 0 || prev.expires <= now || strcmp(prev.staff_id, from_staff) != 0)
			rc = sk_errorf(err, ESRCH, "device %s has no session of %s in force:"
			    " nothing to hand over", device, from_staff);
		else {
			snprintf(why, sizeof(why), "handed over to %s", to_staff);
			rc = open_tx(r, a, device, to_staff, factor, now, lifetime_s, 0, why,
			    id, err);
		}
	}
	if (own) {
		if (rc == 0)
			rc = reg_commit(r, err);
		else
			reg_rollback(r);
	}
	return rc;
}

int
reg_session_close(struct reg *r, const struct reg_actor *a, const char *device,
    const char *why, int64_t now, struct sk_error *err)
{
	struct reg_session s;
	int rc, own = !reg_in_tx(r);

	if (a == NULL)
		a = &nobody;
	if (why == NULL || *why == '\0')
		why = "closed";
	if (strlen(why) > REG_TEXT_MAX)
		return sk_errorf(err, EINVAL, "session: a reason has at most %d bytes",
		    REG_TEXT_MAX);
	if (own && (rc = reg_begin(r, err)) < 0)
		return rc;
	if ((rc = open_session(r, device, &s, err)) == 0)
		rc = sk_errorf(err, ENOENT, "device %s has no open session", device);
	else if (rc == 1)
		rc = end(r, a, &s, why, now, 1, err);
	if (own) {
		if (rc == 0)
			rc = reg_commit(r, err);
		else
			reg_rollback(r);
	}
	return rc;
}

int
reg_session_active(struct reg *r, const char *device, int64_t now,
    struct reg_session *s, struct sk_error *err)
{
	char t[24];
	const char *p[2] = { device, I64(t, now) };
	int rc;

	rc = reg_exec(r, "SELECT " SESS_COLS " FROM sessions WHERE device = $1"
	    " AND closed IS NULL AND expires > CAST($2 AS BIGINT)", 2, p, sess_one, s,
	    err);
	if (rc == 1)
		return 0;
	return rc < 0 ? rc : sk_errorf(err, ENOENT, "device %s has no session", device);
}

struct list_ctx {
	int (*fn)(void *, const struct reg_session *);
	void *arg;
};

static int
sess_each(void *arg, int ncol, const char *const *v)
{
	struct list_ctx *c = arg;
	struct reg_session s;

	if (ncol < 8)
		return -EIO;
	sess_fill(&s, v);
	return c->fn(c->arg, &s);
}

int
reg_session_list(struct reg *r, int64_t now,
    int (*fn)(void *arg, const struct reg_session *s), void *arg,
    struct sk_error *err)
{
	struct list_ctx c = { fn, arg };
	char t[24];
	const char *p[1] = { I64(t, now) };

	return reg_exec(r, "SELECT " SESS_COLS " FROM sessions WHERE closed IS NULL"
	    " AND expires > CAST($1 AS BIGINT) ORDER BY device", 1, p, sess_each, &c,
	    err);
}

struct staff_open {
	struct reg_session *v;
	size_t n, cap;
};

static int
collect(void *arg, int ncol, const char *const *v)
{
	struct staff_open *o = arg;
	struct reg_session *nv;

	if (ncol < 8)
		return -EIO;
	if (o->n == o->cap) {
		o->cap = o->cap ? o->cap * 2 : 8;
		if ((nv = realloc(o->v, o->cap * sizeof(*nv))) == NULL)
			return -ENOMEM;
		o->v = nv;
	}
	sess_fill(&o->v[o->n++], v);
	return 0;
}

int
reg_session_refeed_staff(struct reg *r, const char *staff_id, struct sk_error *err)
{
	struct staff_open o = { NULL, 0, 0 };
	const char *p[1] = { staff_id };
	size_t i;
	int rc;

	/* collected first: no statement runs inside another's rows */
	rc = reg_exec(r, "SELECT " SESS_COLS " FROM sessions WHERE staff_id = $1"
	    " AND closed IS NULL ORDER BY device", 1, p, collect, &o, err);
	if (rc == -ENOMEM)
		rc = sk_errorf(err, ENOMEM, "out of memory");
	for (i = 0; rc == 0 && i < o.n; i++)
		rc = reg_feed_append(r, "session", o.v[i].device, "role", err);
	free(o.v);
	return rc < 0 ? rc : (int)o.n;
}

int
reg_session_close_staff(struct reg *r, const struct reg_actor *a,
    const char *staff_id, const char *why, int64_t now, struct sk_error *err)
{
	struct staff_open o = { NULL, 0, 0 };
	const char *p[1] = { staff_id };
	size_t i;
	int rc;

	if (a == NULL)
		a = &nobody;
	rc = reg_exec(r, "SELECT " SESS_COLS " FROM sessions WHERE staff_id = $1"
	    " AND closed IS NULL ORDER BY device", 1, p, collect, &o, err);
	if (rc == -ENOMEM)
		rc = sk_errorf(err, ENOMEM, "out of memory");
	for (i = 0; rc == 0 && i < o.n; i++)
		rc = end(r, a, &o.v[i], why, now, 1, err);
	free(o.v);
	return rc < 0 ? rc : (int)o.n;
}
