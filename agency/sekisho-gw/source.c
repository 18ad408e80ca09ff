/*
 * The registry as sekisho-gw reads it: the pools, the gateway's port,
 * device rows (copied as text: the engine checks them), and each group's
 * template compiled to the gateway's ruleset (policy/render/compile.h).
 */
#include "agency/sekisho-gw/gw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "policy/policy.h"
#include "policy/render/compile.h"
#include "registry/feed.h"
#include "registry/ops.h"
#include "registry/registry.h"

/* The part of a connection that waits on the network (connect_timeout
 * each, registry/pgconn.h): run beside the main loop after a loss
 * (src_open_start), so that a registry unreachable without a word (a cut
 * path) never stops the session socket or status from answering. It
 * touches only o. */
void
src_open(struct src_open *o)
{
	o->feed_fd = -1;
	o->feed_rc = 0;
	if ((o->rc = reg_open(o->url, &o->r, &o->err)) < 0) {
		o->r = NULL;
		return;
	}
	/* every statement of the main loop bounded on the server too (a
	 * lock a migration holds, a server that stalls): the link's own
	 * bounds (registry/pgconn.h) do not see a server that answers
	 * TCP but not the query; well below the unit's WatchdogSec */
	if (reg_backend(o->r) == REG_PG && (o->rc = reg_exec(o->r,
	    "SET statement_timeout = " GW_STATEMENT_MS, 0, NULL, NULL, NULL, &o->err)) < 0) {
		reg_close(o->r);
		o->r = NULL;
		return;
	}
	/* the change feed: without it the registry is re-read (-P). One
	 * sync (-o) follows nothing: it does not listen either (closing an
	 * inotify instance waits for the kernel's SRCU grace period, 15 ms
	 * of a 300 ms sync) */
	if (!o->once && (o->feed_rc = reg_feed_listen(o->r, &o->feed_fd, &o->feed_err)) < 0)
		o->feed_fd = -1;
}

/* The rest, on the main loop: o's connection becomes the gateway's. */
int
src_attach(struct gw *g, struct src_open *o, struct sk_error *err)
{
	char pool4[64], pool6[80], port[16];
	uint64_t p;
	int rc;

	if (o->rc < 0) {
		*err = o->err;
		return o->rc;
	}
	g->r = o->r;
	g->feed_fd = o->feed_fd;
	o->r = NULL;
	if (o->feed_rc < 0)
		log_warnx("registry: no change feed (%s): re-read every %d ms", o->feed_err.msg,
		    g->o.poll_ms);
	if ((rc = reg_meta_get(g->r, "pool4", pool4, sizeof(pool4), err)) < 0 ||
	    (rc = reg_meta_get(g->r, "listen_port", port, sizeof(port), err)) < 0) {
		src_disconnect(g);
		return sk_errorf(err, -rc, "registry: %s (sekisho-provision init)", err->msg);
	}
	if (reg_meta_get(g->r, "pool6", pool6, sizeof(pool6), err) < 0)
		pool6[0] = '\0';
	if (parse_u64(port, 1, 65535, &p) != 0) {
		src_disconnect(g);
		return sk_errorf(err, EINVAL, "registry: listen_port '%s' is not a port", port);
	}
	g->listen_port = (uint16_t)p;
	if (g->e.pool_plen == 0) {
		/* the first connection: the engine starts with the pools */
		if ((rc = gw_engine_init(&g->e, pool4, pool6, err)) < 0) {
			src_disconnect(g);
			return rc;
		}
	}
	return 0;
}

/* At start: both parts at once (nothing else to serve yet). */
int
src_connect(struct gw *g, struct sk_error *err)
{
	struct src_open o = { .url = g->o.url, .once = g->o.once };

	if (g->r != NULL)
		return 0;
	src_open(&o);
	return src_attach(g, &o, err);
}

void
src_disconnect(struct gw *g)
{
	if (g->r != NULL)
		reg_close(g->r);	/* the feed's descriptor with it */
	g->r = NULL;
	g->feed_fd = -1;
}

struct sess_ctx {
	struct gw	*g;
	int64_t		 now;
};

int
src_role(struct gw *g, const char *staff, char role[GW_ROLE_MAX + 1], struct sk_error *err)
{
	struct reg_staff st;
	int rc;

	role[0] = '\0';
	if ((rc = reg_staff_get(g->r, staff, &st, err)) == -ENOENT)
		return 0;	/* gone: signed_on only, the registry closes it */
	if (rc < 0)
		return rc;
	if (strlen(st.role) <= GW_ROLE_MAX)
		memcpy(role, st.role, strlen(st.role) + 1);
	return 0;
}

static int
sess_cb(void *arg, const struct reg_session *s)
{
	struct sess_ctx *c = arg;
	char role[GW_ROLE_MAX + 1];
	struct sk_error err;
	int rc;

	if ((rc = src_role(c->g, s->staff_id, role, &err)) < 0) {
		log_warnx("%s", err.msg);
		return rc;
	}
	rc = gw_engine_session_open(&c->g->e, s->device, s->staff_id, role, s->factor,
	    s->opened, s->expires, c->now, &c->g->acts);
	if (rc == -ENOMEM)
		return rc;
	if (rc < 0)
		log_info("device %s: its session in the registry is not admitted here (%s)",
		    s->device, rc == -ENOENT ? "the device is not" : "refused");
	return 0;
}

int
src_sessions(struct gw *g, int64_t now, struct sk_error *err)
{
	struct sess_ctx c = { g, now };

	if (g->r == NULL)
		return sk_errorf(err, ENOTCONN, "registry: not connected");
	return reg_session_list(g->r, now, sess_cb, &c, err);
}

static void
to_row(struct gw_row *w, const struct reg_device *d)
{
	/* (5,000 rows at a start: a copy each, not a printf) */
	sk_strlcpy(w->name, d->name, sizeof(w->name));
	sk_strlcpy(w->grp, d->grp, sizeof(w->grp));
	sk_strlcpy(w->pubkey, d->pubkey, sizeof(w->pubkey));
	sk_strlcpy(w->addr4, d->addr4, sizeof(w->addr4));
	sk_strlcpy(w->addr6, d->addr6, sizeof(w->addr6));
	sk_strlcpy(w->state, d->state, sizeof(w->state));
}

struct rows {
	struct gw_row	*v;
	size_t		 n, cap;
};

static int
row_cb(void *arg, const struct reg_device *d)
{
	struct rows *o = arg;

	if (o->n == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 1024;
		struct gw_row *nv = realloc(o->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		o->v = nv;
		o->cap = ncap;
	}
	to_row(&o->v[o->n++], d);
	return 0;
}

int
src_rows(struct gw *g, struct gw_row **rows, size_t *n, struct sk_error *err)
{
	struct rows o = { 0 };
	int rc;

	*rows = NULL;
	*n = 0;
	if (g->r == NULL)
		return sk_errorf(err, ENOTCONN, "registry: not connected");
	if ((rc = reg_device_list(g->r, row_cb, &o, err)) != 0) {
		free(o.v);
		return rc == -ENOMEM ? sk_errorf(err, ENOMEM, "out of memory") : rc;
	}
	*rows = o.v;
	*n = o.n;
	return 0;
}

int
src_row(struct gw *g, const char *name, struct gw_row *row, struct sk_error *err)
{
	struct reg_device d;
	int rc;

	if (g->r == NULL)
		return sk_errorf(err, ENOTCONN, "registry: not connected");
	if ((rc = reg_device_get(g->r, name, &d, err)) == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	to_row(row, &d);
	return 1;
}

/* The group's policy: its template with a device part that only makes it
 * parse (the gateway's ruleset does not read a device's address). */
static int
group_policy(struct gw *g, const char *name, struct policy *pol, char **text)
{
	struct reg_group grp;
	struct reg_device d;
	struct sk_error err;
	size_t len;
	int rc;

	*text = NULL;
	if ((rc = reg_group_get(g->r, name, &grp, &err)) < 0) {
		log_warnx("group %s: %s: its devices are refused", name, err.msg);
		return rc;
	}
	/* a device part that only makes it parse, as a bundle's: the
	 * gateway's ruleset does not read a device's own addresses */
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "group-%.40s", name);
	snprintf(d.addr4, sizeof(d.addr4), "10.255.255.254/32");
	if (grp.ipv6)
		snprintf(d.addr6, sizeof(d.addr6), "fd00::fffe/128");
	rc = reg_policy_compose(grp.tmpl, &d, grp.key_file, 1, NULL, text, &len, NULL);
	reg_group_free(&grp);
	if (rc < 0)
		return rc;
	if ((rc = policy_parse_buf(name, *text, len, pol, &err)) < 0) {
		log_warnx("group %s: template refused: %s: its devices are refused", name, err.msg);
		free(*text);
		*text = NULL;
		return rc;
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The roles the rendered ruleset has a set for (compile.c's
 * render_roles: every service's role lines), into the engine. */
static int
set_roles(struct gw *g, const struct policy *const *pp, size_t n)
{
	const char *names[GW_MAX_ROLES];
	size_t nr = 0;

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < pp[i]->n_services; j++) {
			const struct policy_rule *r = &pp[i]->services[j];

			for (size_t q = 0; q < r->n_roles; q++) {
				size_t k;

				for (k = 0; k < nr && strcmp(names[k], r->roles[q]); k++)
					;
				if (k < nr)
					continue;
				if (nr == GW_MAX_ROLES)
					return -E2BIG;
				names[nr++] = r->roles[q];
			}
		}
	return gw_engine_set_roles(&g->e, names, nr);
}

int
src_groups(struct gw *g, const struct gw_row *rows, size_t n, struct buf *out,
    struct sk_error *err)
{
	const char **names = NULL, **ok = NULL;
	struct policy *pols = NULL;
	const struct policy **pp = NULL;
	char **texts = NULL;
	size_t *grp = NULL, nn = 0, nok = 0;
	int *nums = NULL, rc = 0;

	if ((names = calloc(n + 1, sizeof(*names))) == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].state, "active") == 0)
			names[nn++] = rows[i].grp;
	qsort(names, nn, sizeof(*names), cmp_str);
	{
		size_t k = 0;

		for (size_t i = 0; i < nn; i++)
			if (k == 0 || strcmp(names[k - 1], names[i]) != 0)
				names[k++] = names[i];
		nn = k;
	}
	if (nn > GW_MAX_GROUPS) {
		log_warnx("%zu groups: only the first %d are served", nn, GW_MAX_GROUPS);
		nn = GW_MAX_GROUPS;
	}
	pols = calloc(nn + 1, sizeof(*pols));
	pp = calloc(nn + 1, sizeof(*pp));
	ok = calloc(nn + 1, sizeof(*ok));
	texts = calloc(nn + 1, sizeof(*texts));
	grp = calloc(nn + 1, sizeof(*grp));
	nums = calloc(nn + 1, sizeof(*nums));
	if (pols == NULL || pp == NULL || ok == NULL || texts == NULL || grp == NULL ||
	    nums == NULL) {
		rc = sk_errorf(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nn; i++) {
		if (group_policy(g, names[i], &pols[nok], &texts[nok]) < 0)
			continue;
		pp[nok] = &pols[nok];
		ok[nok++] = names[i];
	}
	if (nok == 0) {
		/* nobody to admit: the table still stands, with nothing open */
		buf_printf(out, "table inet %s\ndelete table inet %s\ntable inet %s {\n"
		    "\tset signed_on {\n\t\ttype ipv4_addr\n\t\tflags timeout\n\t}\n"
		    "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n"
		    "\t\tiifname \"%s\" counter drop\n\t\toifname \"%s\" counter drop\n\t}\n}\n",
		    GW_TABLE, GW_TABLE, GW_TABLE, g->o.ifname, g->o.ifname);
	} else if ((rc = compile_gateway_groups(pp, ok, nok, g->o.ifname, grp, out, err)) < 0)
		goto out;
	for (size_t i = 0; i < nok; i++)
		nums[i] = (int)grp[i];
	if (gw_engine_set_groups(&g->e, ok, nums, nok) < 0)
		rc = sk_errorf(err, E2BIG, "too many groups");
	else if (set_roles(g, pp, nok) < 0)
		rc = sk_errorf(err, E2BIG, "too many roles");
out:
	for (size_t i = 0; i < nok; i++) {
		policy_free(&pols[i]);
		free(texts[i]);
	}
	free(names);
	free(pols);
	free(pp);
	free(ok);
	free(texts);
	free(grp);
	free(nums);
	return rc;
}
