/*
 * sekisho-gw run: start-up, the main loop, and the requests of the
 * session socket. All timers of the daemon are here: the registry's
 * re-read (without a change feed), the reconnection backoff, session
 * expiry, the session socket's deadlines.
 *
 * Start-up: the key, the interface (reused when it runs: its peers keep
 * their sessions), the session socket, then privileges dropped to
 * CAP_NET_ADMIN (and CAP_KILL when it started wireguard-go), then the
 * registry. A full sync brings the interface and the ruleset to the
 * registry by difference; afterwards only changes are applied. A lost
 * registry keeps everything in force as it is and is tried again with
 * backoff; an apply that failed (nftables or WireGuard refused) is
 * followed by a full sync.
 */
#include "agency/sekisho-gw/gw.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/encode.h"
#include "lib/log.h"
#include "lib/notify.h"
#include "lib/sandbox.h"
#include "registry/feed.h"
#include "registry/ops.h"
#include "registry/registry.h"
#include "vpn/wg.h"

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static int64_t
now_s(void)
{
	return (int64_t)time(NULL);
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Whether the last batch changed a peer or an element (not only logs). */
static int
changed(const struct gw_actions *a)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].type != GW_ACT_LOG)
			return 1;
	return 0;
}

/* ---- syncing ---- */

static int
cmp_seen(const void *a, const void *b)
{
	return memcmp(((const struct gw_seen *)a)->pub, ((const struct gw_seen *)b)->pub,
	    GW_KEY_LEN);
}

/* What the kernel has: the interface (its peers, key and port) and
 * whether our table is in force. Read on a thread of its own while the
 * registry is read (a full sync's two sources do not wait for each other). */
struct kread {
	const char		*ifname;
	struct wg_device	 dev;
	int			 rc;		/* wg_get's */
	int			 listed;	/* fw_table_listed's, -1 unknown */
};

static void *
kread_thread(void *arg)
{
	struct kread *k = arg;

	k->rc = wg_get(k->ifname, &k->dev);
	k->listed = gw_table_in_force();
	return NULL;
}

/* The interface as it was read: peers for the engine to compare with;
 * whether its key and port are ours already. Frees dev. */
static int
read_interface(struct gw *g, struct wg_device *dev, int *set_first, struct sk_error *err)
{
	struct gw_seen *seen;
	int rc;

	*set_first = !dev->has_private_key || dev->listen_port != g->listen_port ||
	    !ct_equal(dev->private_key, g->priv, WG_KEY_LEN);
	if ((seen = calloc(dev->n_peers + 1, sizeof(*seen))) == NULL) {
		wg_device_free(dev);
		return sk_errorf(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer *p = &dev->peers[i];
		int n4 = 0, n6 = 0;

		memcpy(seen[i].pub, p->public_key, WG_KEY_LEN);
		for (size_t k = 0; k < p->n_allowed; k++) {
			const struct wg_allowedip *a = &p->allowed[k];

			if (a->family == AF_INET && a->cidr == 32 && n4++ == 0)
				seen[i].a4 = a->ip4;
			else if (a->family == AF_INET6 && a->cidr == 128 && n6++ == 0) {
				seen[i].a6 = a->ip6;
				seen[i].has6 = 1;
			} else
				seen[i].other = 1;
		}
		if (n4 > 1 || n6 > 1)
			seen[i].other = 1;
	}
	qsort(seen, dev->n_peers, sizeof(*seen), cmp_seen);
	rc = gw_engine_adopt(&g->e, seen, dev->n_peers);
	free(seen);
	wg_device_free(dev);
	return rc < 0 ? sk_errorf(err, ENOMEM, "out of memory") : 0;
}

/* Start-up and recovery: the whole table loaded again with every admitted
 * device's elements, the interface brought to the registry by difference,
 * the registry's sessions in force. The change feed is followed from the
 * row read before the devices (a change in between is applied twice,
 * which changes nothing the second time). The interface and the table
 * are read on a thread of their own meanwhile. */
static int
full_sync(struct gw *g, struct sk_error *err)
{
	struct gw_row *rows = NULL;
	size_t n = 0;
	struct buf table;
	struct kread k;
	pthread_t th;
	int first = 0, rc, joined = 0;
	int64_t now = now_s(), head = 0;
	uint64_t t0 = now_us(), t1 = t0, t2 = t0, t3 = t0, t4 = t0;

	buf_init(&table);
	memset(&k, 0, sizeof(k));
	k.ifname = g->o.ifname;
	if (pthread_create(&th, NULL, kread_thread, &k) != 0) {
		kread_thread(&k);
		joined = 1;
	}
	if ((rc = reg_feed_head(g->r, &head, err)) < 0)
		goto out;
	if ((rc = src_rows(g, &rows, &n, err)) < 0)
		goto out;
	t1 = now_us();
	if ((rc = src_groups(g, rows, n, &table, err)) < 0)
		goto out;
	t2 = now_us();
	if (!joined++)
		pthread_join(th, NULL);
	g->listed = k.listed;
	if (k.rc < 0) {
		rc = sk_errorf(err, -k.rc, "WireGuard interface %s: %s", g->o.ifname,
		    strerror(-k.rc));
		goto out;
	}
	if ((rc = read_interface(g, &k.dev, &first, err)) < 0)
		goto out;
	t3 = now_us();
	g->e.n = 0;		/* the table is replaced: nothing of it is applied */
	gw_actions_clear(&g->acts);
	if ((rc = gw_engine_sync(&g->e, rows, n, now, &g->acts)) < 0) {
		rc = sk_errorf(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = src_sessions(g, now, err)) < 0)
		goto out;
	t4 = now_us();
	if ((rc = gw_apply(g, buf_str(&table), first, err)) < 0)
		goto out;
	log_debug("full sync: registry %.1f ms, rules %.1f ms, interface read %.1f ms"
	    " (beside them), decided %.1f ms, applied %.1f ms", (t1 - t0) / 1e3,
	    (t2 - t1) / 1e3, (t3 - t2) / 1e3, (t4 - t3) / 1e3, (now_us() - t4) / 1e3);
	gw_actions_free(&g->acts);	/* a start's thousands of actions: not kept */
	free(g->groups_key);
	g->groups_key = strdup(buf_str(&table));
	g->last_sync = now;
	g->seq = head;
	g->dirty = 0;
	log_info("synced with the registry: %zu devices admitted, %zu rows, %zu groups,"
	    " feed at %lld", g->e.n, n, g->e.n_groups, (long long)head);
out:
	if (!joined) {
		pthread_join(th, NULL);
		if (k.rc == 0)
			wg_device_free(&k.dev);
	}
	if (rc < 0)
		g->dirty = 1;
	buf_free(&table);
	free(rows);
	return rc;
}

/* ---- following the change feed ---- */

struct changes {
	struct reg_change	*v;
	size_t			 n, cap;
};

static int
change_cb(void *arg, const struct reg_change *c)
{
	struct changes *o = arg;

	if (o->n == o->cap) {
		size_t ncap = o->cap ? o->cap * 2 : 64;
		struct reg_change *nv = realloc(o->v, ncap * sizeof(*nv));

		if (nv == NULL)
			return -ENOMEM;
		o->v = nv;
		o->cap = ncap;
	}
	o->v[o->n++] = *c;
	return 0;
}

/* One change: the object's current state read and handed to the engine.
 * 1: the table must be rendered again (a group changed). */
static int
one_change(struct gw *g, const struct reg_change *c, int64_t now, struct sk_error *err)
{
	int rc;

	if (strcmp(c->kind, "device") == 0) {
		struct gw_row row;
		int found = src_row(g, c->object, &row, err);

		if (found < 0)
			return found;
		if (found && strcmp(row.state, "active") == 0) {
			size_t k;

			for (k = 0; k < g->e.n_groups && strcmp(g->e.groups[k], row.grp); k++)
				;
			if (k == g->e.n_groups)
				return 1;	/* a group not rendered yet */
		}
		rc = gw_engine_device(&g->e, c->object, found ? &row : NULL, now, &g->acts);
		return rc < 0 ? sk_errorf(err, -rc, "out of memory") : 0;
	}
	if (strcmp(c->kind, "group") == 0)
		return 1;
	if (strcmp(c->kind, "session") == 0) {
		struct reg_session s;
		char role[GW_ROLE_MAX + 1];

		rc = reg_session_active(g->r, c->object, now, &s, err);
		if (rc == 0 && (rc = src_role(g, s.staff_id, role, err)) < 0)
			return rc;
		if (rc == 0) {
			/* another user's session now: a handover, one action */
			rc = gw_engine_session_open(&g->e, s.device, s.staff_id, role, s.factor,
			    s.opened, s.expires, now, &g->acts);
			if (rc == -ENOMEM)
				return sk_errorf(err, ENOMEM, "out of memory");
			if (rc < 0)
				log_info("device %s: its session in the registry is not admitted here",
				    c->object);
			return 0;
		}
		if (rc != -ENOENT)
			return rc;
		if (gw_engine_find(&g->e, c->object) != NULL &&
		    gw_dev_expires(gw_engine_find(&g->e, c->object)) > now)
			gw_engine_session_close(&g->e, c->object, "closed in the registry",
			    &g->acts);
		return 0;
	}
	return 0;	/* a kind this build does not know: nothing to do */
}

/* Every change after g->seq, a batch at a time: each a change of its one
 * device (peer, elements), applied together; a group's change reloads. */
static int
follow(struct gw *g, struct sk_error *err)
{
	struct changes ch = { 0 };
	uint64_t t0 = now_us();
	int rc = 0, any = 0, resynced = 0;

	for (;;) {
		int reload = 0;
		int64_t now = now_s();

		ch.n = 0;
		if ((rc = reg_feed_since(g->r, g->seq, 4096, change_cb, &ch, err)) == -ESTALE &&
		    resynced++ == 0) {
			/* the rows after ours were pruned (we were silent longer
			 * than -L): what was read is thrown away, the registry
			 * re-read whole, by difference (no unchanged peer is set) */
			log_warnx("%s: one full sync by difference", err->msg);
			if ((rc = full_sync(g, err)) < 0)
				goto out;
			any = 1;
			continue;	/* full_sync took the feed's head */
		}
		if (rc == -ESTALE) {
			g->dirty = 1;	/* behind again at once: a full sync each -P */
			goto out;
		}
		if (rc != 0) {
			if (rc == -ENOMEM)
				sk_errorf(err, ENOMEM, "out of memory");
			break;
		}
		if (ch.n == 0)
			break;
		gw_actions_clear(&g->acts);
		for (size_t i = 0; i < ch.n && !reload; i++) {
			if ((rc = one_change(g, &ch.v[i], now, err)) < 0)
				goto out;
			reload = rc == 1;
			rc = 0;
		}
		if (reload) {
			log_info("a group changed: the ruleset is loaded again");
			if ((rc = full_sync(g, err)) < 0)
				goto out;
			continue;	/* full_sync took the feed's head */
		}
		if ((rc = gw_apply(g, NULL, 0, err)) < 0) {
			g->dirty = 1;
			goto out;
		}
		any |= changed(&g->acts);
		g->seq = ch.v[ch.n - 1].seq;
		g->last_sync = now;
		if (ch.n < 4096)
			break;
	}
out:
	if (rc == 0 && any)
		g->change_us = now_us() - t0;
	free(ch.v);
	return rc;
}

/* A re-read of the registry (no change feed, or the feed lost its place):
 * the differences, one device's change each. A group's template that
 * renders differently reloads the table (full sync). */
static int
diff_sync(struct gw *g, struct sk_error *err)
{
	struct gw_row *rows = NULL;
	struct buf table;
	size_t n = 0;
	int rc;

	if (g->dirty)
		return full_sync(g, err);
	buf_init(&table);
	if ((rc = src_rows(g, &rows, &n, err)) < 0)
		goto out;
	if ((rc = src_groups(g, rows, n, &table, err)) < 0)
		goto out;
	if (g->groups_key == NULL || strcmp(g->groups_key, buf_str(&table)) != 0) {
		free(rows);
		buf_free(&table);
		log_info("a group's rules changed: the ruleset is loaded again");
		return full_sync(g, err);
	}
	gw_actions_clear(&g->acts);
	if ((rc = gw_engine_sync(&g->e, rows, n, now_s(), &g->acts)) < 0) {
		rc = sk_errorf(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = gw_apply(g, NULL, 0, err)) < 0) {
		g->dirty = 1;
		goto out;
	}
	g->last_sync = now_s();
out:
	buf_free(&table);
	free(rows);
	return rc;
}

/* Now and then (-R): the last change applied, for the registry's log to
 * be pruned below it (registry/feed.h), and the pruning itself: any
 * gateway may do it, under the registry's write lock. A failure is one
 * line; the next try is a period later (a lost registry shows in the
 * feed's own reads). */
static void
report(struct gw *g)
{
	struct sk_error err;
	int64_t removed, cut;
	int busy;

	if (g->feed_fd < 0)
		return;		/* not following the log (re-reads): holds nothing */
	if (g->seq <= 0 && reg_feed_head(g->r, &cut, &err) == 0 && cut == 0)
		return;		/* an empty log: nothing to hold back */
	/* on the main loop: the registry's write lock is waited for
	 * GW_REPORT_BUSY_MS, not a writer's REG_BUSY_MS (a long import
	 * holds it: the report is tried again a period later) */
	busy = g->r->busy_ms;
	g->r->busy_ms = GW_REPORT_BUSY_MS;
	if (reg_feed_report(g->r, g->name, g->seq, now_s(), &err) < 0)
		log_warnx("reporting change %lld: %s", (long long)g->seq, err.msg);
	else if (reg_feed_prune(g->r, now_s(), g->o.keep_s, g->o.live_s, &removed, &cut,
	    &err) < 0)
		log_warnx("pruning the change log: %s", err.msg);
	else if (removed > 0)
		log_info("change log pruned: %lld rows, up to change %lld", (long long)removed,
		    (long long)cut);
	g->r->busy_ms = busy;
}

/* sekisho-gw prune [-r URL] [-K S] [-L S]: what every gateway does each
 * -R, at once (maintenance, tests). */
int
gw_prune_main(void *ctx, int argc, char *argv[])
{
	struct sk_error err;
	struct reg *r;
	const char *url = getenv("SEKISHO_REGISTRY");
	int64_t keep = GW_KEEP_S, live = GW_LIVE_S, removed, cut;
	int ch, rc;

	(void)ctx;
	optind = 1;
	while ((ch = getopt(argc, argv, "r:K:L:")) != -1) {
		uint64_t v;

		switch (ch) {
		case 'r': url = optarg; break;
		case 'K':
		case 'L':
			if (parse_u64(optarg, 0, 31536000, &v) != 0) {
				fprintf(stderr, "sekisho-gw prune: -%c: 0 .. 31536000 seconds, not"
				    " '%s'\n", ch, optarg);
				return EXIT_USAGE;
			}
			*(ch == 'K' ? &keep : &live) = (int64_t)v;
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc || url == NULL)
		goto usage;
	if (reg_open(url, &r, &err) < 0) {
		fprintf(stderr, "sekisho-gw prune: %s\n", err.msg);
		return EXIT_FAIL;
	}
	rc = reg_feed_prune(r, now_s(), keep, live, &removed, &cut, &err);
	reg_close(r);
	if (rc < 0) {
		fprintf(stderr, "sekisho-gw prune: %s\n", err.msg);
		return EXIT_FAIL;
	}
	printf("%lld rows pruned; the log starts after change %lld\n", (long long)removed,
	    (long long)cut);
	return EXIT_OK;
usage:
	fprintf(stderr, "usage: sekisho-gw prune [-r URL] [-K SECONDS] [-L SECONDS]\n");
	return EXIT_USAGE;
}

/* ---- the session socket's requests ---- */

static int
cmp_peer(const void *a, const void *b)
{
	return memcmp(((const struct wg_peer *)a)->public_key,
	    ((const struct wg_peer *)b)->public_key, WG_KEY_LEN);
}

/* One SESSION reply: d's session (LIST, and STATUS after d's PEER). */
static int
session_reply(struct sessd_out *out, const struct gw_dev *d)
{
	struct gws_rep rep;

	memset(&rep, 0, sizeof(rep));
	rep.type = GWS_R_SESSION;
	snprintf(rep.device, sizeof(rep.device), "%s", d->name);
	/* d is at stage 2: it has a session */
	snprintf(rep.staff, sizeof(rep.staff), "%s", d->sess->staff);
	snprintf(rep.factor, sizeof(rep.factor), "%s", d->sess->factor);
	rep.opened = d->sess->opened;
	rep.expires = d->sess->expires;
	return sessd_reply(out, &rep);
}

/* SUMMARY: one SUMMARY reply. STATUS: the SUMMARY, then each admitted
 * device's PEER reply, followed by its SESSION reply when it is at stage
 * 2 (who signed on, with which factor, since when). */
static void
status(struct gw *g, struct sessd_out *out, int64_t now, int peers)
{
	struct gws_rep rep;
	struct wg_device dev;
	uint64_t st2 = 0;
	int have = peers && wg_get(g->o.ifname, &dev) == 0;

	if (have)
		qsort(dev.peers, dev.n_peers, sizeof(*dev.peers), cmp_peer);
	for (size_t i = 0; i < g->e.n; i++)
		st2 += gw_dev_expires(&g->e.devs[i]) > now;
	memset(&rep, 0, sizeof(rep));
	rep.type = GWS_R_SUMMARY;
	rep.peers = g->e.n;
	rep.stage2 = st2;
	rep.skipped = g->e.skipped;
	rep.seq = g->seq > 0 ? (uint64_t)g->seq : 0;
	rep.last_sync = g->last_sync;
	rep.started = g->started;
	rep.connected = g->r != NULL;
	rep.group = (uint16_t)g->e.n_groups;
	rep.change_us = g->change_us;
	snprintf(rep.ifname, sizeof(rep.ifname), "%s", g->o.ifname);
	snprintf(rep.backend, sizeof(rep.backend), "%s", g->kernel ? "kernel" : "userspace");
	snprintf(rep.registry, sizeof(rep.registry), "%s%s",
	    g->r != NULL ? reg_backend_name(g->r) : "lost",
	    g->r == NULL ? (g->reconnecting ? ", reconnecting; the last good state holds" :
	    ", the last good state holds") : g->dirty ? ", resync pending" : "");
	if (sessd_reply(out, &rep) < 0)
		peers = 0;	/* DONE says what went wrong */
	for (size_t i = 0; peers && i < g->e.n; i++) {
		const struct gw_dev *d = &g->e.devs[i];
		struct wg_peer key, *p = NULL;

		memset(&rep, 0, sizeof(rep));
		rep.type = GWS_R_PEER;
		snprintf(rep.device, sizeof(rep.device), "%s", d->name);
		rep.addr = d->a4;
		rep.stage = gw_dev_expires(d) > now ? 2 : 1;
		rep.expires = rep.stage == 2 ? gw_dev_expires(d) : 0;
		rep.group = (uint16_t)d->group;
		if (have) {
			memcpy(key.public_key, d->pub, WG_KEY_LEN);
			p = bsearch(&key, dev.peers, dev.n_peers, sizeof(*dev.peers), cmp_peer);
		}
		if (p != NULL) {
			rep.handshake = p->last_handshake.tv_sec;
			rep.rx = p->rx_bytes;
			rep.tx = p->tx_bytes;
		}
		if (sessd_reply(out, &rep) < 0 || (rep.stage == 2 && session_reply(out, d) < 0))
			break;
	}
	sessd_done(out, 0, "%zu peers", g->e.n);
	if (have)
		wg_device_free(&dev);
}

/* Who changes the registry from here: the audit says so. */
static const struct reg_actor gw_actor = { "sekisho-gw", "" };

static void
handle(void *arg, const struct gws_req *q, struct sessd_out *out)
{
	struct gw *g = arg;
	struct sk_error err;
	int64_t now = now_s();
	char role[GW_ROLE_MAX + 1];
	int rc;

	switch (q->type) {
	case GWS_OPEN:
		/* sessions live in the registry (every gateway on it follows);
		 * this gateway applies its own at once, the feed confirms it */
		if (gw_engine_find(&g->e, q->device) == NULL) {
			sessd_done(out, ENOENT, "device %s is not admitted here", q->device);
			return;
		}
		if (g->r == NULL) {
			sessd_done(out, EAGAIN, "the registry is lost: no session until it is back");
			return;
		}
		if ((rc = reg_session_open(g->r, &gw_actor, q->device, q->text, q->factor, now,
		    q->lifetime, NULL, &err)) < 0) {
			sessd_done(out, -rc, "session refused: %s", err.msg);
			return;
		}
		if ((rc = src_role(g, q->text, role, &err)) < 0) {
			sessd_done(out, -rc, "session refused: %s", err.msg);
			return;
		}
		gw_actions_clear(&g->acts);
		rc = gw_engine_session_open(&g->e, q->device, q->text, role, q->factor, now,
		    now + q->lifetime, now, &g->acts);
		if (rc < 0) {
			sessd_done(out, -rc, "session refused: %s", strerror(-rc));
			return;
		}
		if (gw_apply(g, NULL, 0, &err) < 0) {
			log_warnx("session of %s on %s: %s", q->text, q->device, err.msg);
			g->dirty = 1;
			sessd_done(out, EIO, "session not applied: %s", err.msg);
			return;
		}
		sessd_done(out, 0, "device %s: stage 2 for %u s (%s)", q->device, q->lifetime,
		    q->text);
		return;
	case GWS_MOVE: {
		/* a handover by name: only from the user signed on; the registry
		 * moves both sessions in one transaction, the engine both users'
		 * elements in one nftables transaction */
		char from[GWS_NAME_FIELD], to[GWS_NAME_FIELD];

		if (gws_move_split(q->text, from, to) != 0) {
			sessd_done(out, EINVAL, "move: two staff ids, one space");
			return;
		}
		if (g->r == NULL) {
			sessd_done(out, EAGAIN, "the registry is lost: no handover until it is back");
			return;
		}
		if ((rc = reg_session_handover(g->r, &gw_actor, q->device, from, to, q->factor,
		    now, q->lifetime, NULL, &err)) < 0) {
			sessd_done(out, -rc, "no handover: %s", err.msg);
			return;
		}
		if ((rc = src_role(g, to, role, &err)) < 0) {
			sessd_done(out, -rc, "handover recorded, not applied: %s", err.msg);
			g->dirty = 1;
			return;
		}
		gw_actions_clear(&g->acts);
		rc = gw_engine_session_move(&g->e, q->device, from, to, role, q->factor, now,
		    now + q->lifetime, now, &g->acts);
		if (rc == -ESRCH || rc == -ENOENT)	/* the registry's word holds */
			rc = gw_engine_session_open(&g->e, q->device, to, role, q->factor, now,
			    now + q->lifetime, now, &g->acts);
		if (rc < 0) {
			sessd_done(out, -rc, "handover recorded, not applied here: %s",
			    strerror(-rc));
			return;
		}
		if (gw_apply(g, NULL, 0, &err) < 0) {
			log_warnx("handover on %s: %s", q->device, err.msg);
			g->dirty = 1;
			sessd_done(out, EIO, "handover not applied: %s", err.msg);
			return;
		}
		sessd_done(out, 0, "device %s: stage 2 moved from %s to %s for %u s", q->device,
		    from, to, q->lifetime);
		return;
	}
	case GWS_CLOSE:
		if (g->r == NULL) {
			sessd_done(out, EAGAIN, "the registry is lost: try again when it is back");
			return;
		}
		if ((rc = reg_session_close(g->r, &gw_actor, q->device,
		    q->text[0] ? q->text : "closed", now, &err)) < 0) {
			sessd_done(out, -rc, rc == -ENOENT ? "device %s has no session" :
			    "session close refused: %s", rc == -ENOENT ? q->device : err.msg);
			return;
		}
		gw_actions_clear(&g->acts);
		if (gw_engine_session_close(&g->e, q->device, q->text[0] ? q->text : "closed",
		    &g->acts) == 0 && gw_apply(g, NULL, 0, &err) < 0) {
			log_warnx("closing the session on %s: %s", q->device, err.msg);
			g->dirty = 1;
			sessd_done(out, EIO, "session close not applied: %s", err.msg);
			return;
		}
		sessd_done(out, 0, "device %s: stage 1", q->device);
		return;
	case GWS_LIST:
		for (size_t i = 0; i < g->e.n; i++) {
			const struct gw_dev *d = &g->e.devs[i];

			if (gw_dev_expires(d) > now && session_reply(out, d) < 0)
				break;	/* DONE says it was cut short */
		}
		sessd_done(out, 0, "sessions");
		return;
	case GWS_STATUS:
	case GWS_SUMMARY:
		status(g, out, now, q->type == GWS_STATUS);
		return;
	}
}

/*
 * Answers being written: the main loop never waits for a client. At most
 * GW_PENDING_MAX at once (each at most SESSD_OUT_MAX_BYTES); while they
 * are all taken, further requests wait in the frontend's queue. A client
 * that takes nothing for SESSD_WAIT_MS is closed, with one line per
 * GW_SLOW_LOG_MS at most (the next one counts the others).
 */
#define GW_PENDING_MAX	8
#define GW_SLOW_LOG_MS	10000

static struct sessd_out pend[GW_PENDING_MAX];
static size_t npend;

static void
pend_drop(size_t i)
{
	close(pend[i].fd);
	sessd_out_free(&pend[i]);
	pend[i] = pend[--npend];
}

static void
pend_slow(size_t i, uint64_t now)
{
	static uint64_t next_line;
	static unsigned quiet;

	if (now >= next_line) {
		log_warnx("session socket: a client took nothing of its answer in %d ms:"
		    " closed (%u more since the last such line)", SESSD_WAIT_MS, quiet);
		next_line = now + GW_SLOW_LOG_MS;
		quiet = 0;
	} else
		quiet++;
	pend_drop(i);
}

/* ---- start-up ---- */

static void
usage_run(void)
{
	fprintf(stderr, "usage: sekisho-gw run [-dov] [-r URL] [-i IFACE] [-k KEYFILE] [-s SOCKET]"
	    " [-g GROUP] [-P MS] [-n NAME] [-R S] [-K S] [-L S]\n");
}

static const int caps_wg[] = { CAP_NET_ADMIN, CAP_KILL };

/* A reconnection, made beside the main loop (source.c's src_open): the
 * connect may wait REG_PG_CONNECT_S on a path cut without a word, twice
 * (the registry, the feed), and the session socket, status and the
 * watchdog go on meanwhile. The thread touches only its src_open; the
 * pipe says it is done. */
struct reconnect {
	struct src_open	 o;
	pthread_t	 th;
	int		 pipe[2];
	int		 busy;		/* a thread runs */
};

static void *
reconnect_thread(void *arg)
{
	struct reconnect *rc = arg;
	ssize_t n;

	src_open(&rc->o);
	do
		n = write(rc->pipe[1], "", 1);
	while (n == -1 && errno == EINTR);
	return NULL;
}

/* A thread started (or, when none can be, the connection made here, as
 * before); either way the pipe becomes readable when it is done. The
 * thread blocks every signal: SIGTERM is the main loop's, whose poll it
 * must interrupt. */
static void
reconnect_start(struct reconnect *rc, const struct gw *g)
{
	sigset_t all, old;
	int rc_create;

	memset(&rc->o, 0, sizeof(rc->o));
	rc->o.url = g->o.url;
	rc->o.once = g->o.once;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc_create = pthread_create(&rc->th, NULL, reconnect_thread, rc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc_create != 0) {
		reconnect_thread(rc);
		rc->busy = 2;
		return;
	}
	rc->busy = 1;
}

static void
reconnect_join(struct reconnect *rc)
{
	char c;

	if (rc->busy == 1)
		pthread_join(rc->th, NULL);
	while (read(rc->pipe[0], &c, 1) == -1 && errno == EINTR)
		;
	rc->busy = 0;
}

/* The main loop is alive: WATCHDOG=1, at most every half interval. */
static void
watchdog(uint64_t now, uint64_t *next, uint64_t every_ms)
{
	if (every_ms == 0 || now < *next)
		return;
	notify_send("WATCHDOG=1");
	*next = now + every_ms;
}

static void
backoff(struct gw *g, uint64_t now)
{
	g->backoff_ms = g->backoff_ms == 0 ? GW_BACKOFF_MIN_MS :
	    g->backoff_ms * 2 > GW_BACKOFF_MAX_MS ? GW_BACKOFF_MAX_MS : g->backoff_ms * 2;
	g->next_try_ms = now + (uint64_t)g->backoff_ms;
}

int
gw_run(int argc, char *argv[])
{
	static struct gw g;
	struct sessd *sd = NULL;
	struct gw_frontend fe = { 0, -1 };
	struct sk_error err;
	uint64_t next_poll, wd_every, wd_next = 0;
	static struct reconnect recon = { .pipe = { -1, -1 } };
	const char *env;
	int ch, rc, keeper_lost = 0;

	memset(&g, 0, sizeof(g));
	g.feed_fd = -1;
	g.o.url = (env = getenv("SEKISHO_REGISTRY")) != NULL ? env : NULL;
	g.o.ifname = GW_IFNAME_DEFAULT;
	g.o.key_file = GW_KEY_DEFAULT;
	g.o.sock = GWS_SOCK_DEFAULT;
	g.o.poll_ms = 1000;
	g.o.report_s = GW_REPORT_S;
	g.o.keep_s = GW_KEEP_S;
	g.o.live_s = GW_LIVE_S;
	optind = 1;
	while ((ch = getopt(argc, argv, "dvor:i:k:s:g:P:n:R:K:L:")) != -1) {
		uint64_t v;

		switch (ch) {
		case 'n': g.o.name = optarg; break;
		case 'R':
		case 'K':
		case 'L':
			if (parse_u64(optarg, ch == 'R', ch == 'R' ? 86400 : 31536000, &v) != 0) {
				fprintf(stderr, "sekisho-gw: -%c: %s seconds, not '%s'\n", ch,
				    ch == 'R' ? "1 .. 86400" : "0 .. 31536000", optarg);
				return EXIT_USAGE;
			}
			*(ch == 'R' ? &g.o.report_s : ch == 'K' ? &g.o.keep_s : &g.o.live_s) =
			    (int)v;
			break;
		case 'd': g.o.foreground = 1; break;
		case 'v': g.o.verbose++; break;
		case 'o': g.o.once = 1; break;
		case 'r': g.o.url = optarg; break;
		case 'i': g.o.ifname = optarg; break;
		case 'k': g.o.key_file = optarg; break;
		case 's': g.o.sock = optarg; break;
		case 'g': g.o.sock_group = optarg; break;
		case 'P':
			if (parse_u64(optarg, 10, 3600000, &v) != 0) {
				fprintf(stderr, "sekisho-gw: -P: 10 .. 3600000 ms, not '%s'\n", optarg);
				return EXIT_USAGE;
			}
			g.o.poll_ms = (int)v;
			break;
		default:
			usage_run();
			return EXIT_USAGE;
		}
	}
	if (optind != argc || g.o.url == NULL) {
		if (g.o.url == NULL)
			fprintf(stderr, "sekisho-gw: no registry: -r URL or $SEKISHO_REGISTRY\n");
		usage_run();
		return EXIT_USAGE;
	}
	/* the follower's name: the host's and the interface's by default */
	if (g.o.name != NULL)
		snprintf(g.name, sizeof(g.name), "%s", g.o.name);
	else {
		char host[64] = "gw";

		(void)gethostname(host, sizeof(host) - 1);
		snprintf(g.name, sizeof(g.name), "%s/%s", host, g.o.ifname);
	}
	for (const char *c = g.name; *c != '\0'; c++)
		if (*c < 0x21 || *c > 0x7e || strlen(g.name) > REG_FEED_NAME_MAX) {
			fprintf(stderr, "sekisho-gw: -n: up to %d printable characters, no space,"
			    " not '%s'\n", REG_FEED_NAME_MAX, g.name);
			return EXIT_USAGE;
		}
	log_init("sekisho-gw", g.o.foreground, g.o.verbose + LOG_LEVEL_INFO);
	/* Fixed malloc thresholds. glibc raises its mmap threshold (to 32 MiB)
	 * and with it its trim threshold (to 64 MiB) each time a large block
	 * it had mapped is freed, and a full sync frees several (the rows,
	 * the ruleset's text): from then on the memory a sync frees stays
	 * resident, the loader thread's arena above all (libnftables' parse of
	 * every element: 24 MB at 50,000 peers, 2 KB of it in use afterwards),
	 * which malloc_trim does not give back either (a thread arena's top
	 * it leaves alone). gw.rss_mib at 50,000 peers: 51 -> 27-30 MiB
	 * (docs/gateway.md, "Memory"). */
	mallopt(M_MMAP_THRESHOLD, GW_MALLOC_THRESHOLD);
	mallopt(M_TRIM_THRESHOLD, GW_MALLOC_THRESHOLD);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	/* the session socket and its frontend first: it is forked before
	 * the key is read */
	if (sessd_open(&sd, g.o.sock, g.o.sock_group, &err) < 0)
		fatalx("%s", err.msg);
	if (!g.o.once && gw_frontend_start(&fe, sd, &err) < 0)
		fatalx("%s", err.msg);
	if (key_file_read(g.o.key_file, g.priv, (int)geteuid(), &err) < 0)
		fatalx("%s", err.msg);
	g.have_priv = 1;
	if ((rc = wg_create(g.o.ifname, WG_BACKEND_AUTO, &g.wg_child)) < 0)
		fatalx("WireGuard interface %s: %s", g.o.ifname, strerror(-rc));
	g.kernel = wg_backend_of(g.o.ifname) == WG_BACKEND_KERNEL;
	if (geteuid() == 0 && sandbox_keep_caps(caps_wg, g.wg_child > 0 ? 2 : 1, &err) < 0)
		fatalx("privileges: %s", err.msg);
	g.started = now_s();
	/* the registry: until it answers, what is in force stays */
	for (;;) {
		/* alive, trying: the unit's start timeout (TimeoutStartSec)
		 * runs again from here, so a start that waits for the registry
		 * is let wait, and one stuck anywhere is not (a try: two
		 * connects, a full sync, a backoff, each bounded) */
		notify_send("EXTEND_TIMEOUT_USEC=" GW_START_TRY_USEC);
		if (src_connect(&g, &err) == 0 && full_sync(&g, &err) == 0)
			break;
		notify_send("STATUS=waiting for the registry; the interface and the ruleset"
		    " stay as they are");
		log_warnx("%s: the interface and the ruleset stay as they are; trying again", err.msg);
		if (g.dirty && g.r != NULL)
			src_disconnect(&g);
		backoff(&g, now_ms());
		usleep((useconds_t)g.backoff_ms * 1000);
		if (quit)
			goto done;
	}
	g.backoff_ms = 0;
	if (g.o.once)
		goto done;
	if (pipe2(recon.pipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe2");
	/* systemd's watchdog (WatchdogSec=, the unit): said from the loop
	 * below only, each time round and at least every half interval
	 * (poll wakes for it): a loop stuck anywhere is killed and restarted
	 * (by difference: the interface and the ruleset stay in force) */
	wd_every = notify_watchdog_usec() / 2000;
	if (notify_watchdog_usec() != 0 && wd_every == 0)
		wd_every = 1;
	notify_send("READY=1");
	log_info("running: interface %s (%s), registry %s, session socket %s", g.o.ifname,
	    g.kernel ? "kernel" : "userspace", reg_backend_name(g.r), g.o.sock);
	next_poll = now_ms() + (uint64_t)g.o.poll_ms;
	g.next_report_ms = now_ms();	/* at once: a gateway back from a long
					   absence holds the log again */
	while (!quit) {
		static uint64_t recheck;	/* a write the drain could not wait
						   out: read for it again */
		/* the second: the feed, or while the registry is lost the
		 * reconnection's pipe */
		int waiting = recon.busy != 0;
		struct pollfd pfd[2 + GW_PENDING_MAX] = {
		    { .fd = npend < GW_PENDING_MAX ? fe.fd : -1, .events = POLLIN },
		    { .fd = waiting ? recon.pipe[0] : g.feed_fd, .events = POLLIN } };
		size_t np = npend;
		uint64_t now = now_ms(), wake = UINT64_MAX;
		int64_t exp;
		pid_t pid;
		int woke, catch_up = 0, wst;

		watchdog(now, &wd_next, wd_every);
		if (wd_every != 0)
			wake = wd_next;
		if (g.r == NULL) {
			if (!waiting && g.next_try_ms < wake)
				wake = g.next_try_ms;
		} else if (g.feed_fd < 0 || g.dirty)
			wake = next_poll < wake ? next_poll : wake;	/* re-read (no
						   feed), or a full sync again */
		gw_actions_clear(&g.acts);
		exp = gw_engine_tick(&g.e, now_s(), &g.acts);
		gw_apply(&g, NULL, 0, &err);	/* log lines only */
		if (g.r != NULL && g.next_report_ms < wake)
			wake = g.next_report_ms;
		if (exp > 0 && (uint64_t)exp * 1000 < wake)
			wake = (uint64_t)exp * 1000 > now ? (uint64_t)exp * 1000 : now;
		if (recheck != 0 && recheck < wake)
			wake = recheck;
		for (size_t i = 0; i < np; i++) {
			pfd[2 + i].fd = pend[i].fd;
			pfd[2 + i].events = POLLOUT;
			if (pend[i].deadline < wake)
				wake = pend[i].deadline;
		}
		if (poll(pfd, 2 + np, wake == UINT64_MAX ? -1 : wake > now ? (int)(wake - now) : 0) == -1 &&
		    errno != EINTR)
			fatal("poll");
		now = now_ms();
		/* the reconnection is over: status no longer says it is under
		 * way (requests are answered below, before it is taken in) */
		if (waiting && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
			g.reconnecting = 0;
		/* backwards: a dropped one takes the last one's place */
		for (size_t i = np; i-- > 0;) {
			if (pfd[2 + i].revents & (POLLOUT | POLLHUP | POLLERR)) {
				if (sessd_out_flush(&pend[i], now) != 0)
					pend_drop(i);	/* all written, or it went */
			} else if (now >= pend[i].deadline)
				pend_slow(i, now);
		}
		if (pfd[0].fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			struct gws_req req;
			int client;

			if (gw_frontend_receive(&fe, &req, &client) == 1) {
				struct sessd_out *o = &pend[npend++];

				memset(o, 0, sizeof(*o));
				o->fd = client;
				o->deadline = now + SESSD_WAIT_MS;
				handle(&g, &req, o);
				if (sessd_out_flush(o, now_ms()) != 0)
					pend_drop(npend - 1);
			}
		}
		woke = pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR));
		if (waiting) {
			waiting = woke;		/* the reconnection is done */
			woke = 0;
		}
		while ((pid = waitpid(-1, &wst, WNOHANG)) > 0) {
			if (pid == fe.pid) {
				/* Only the keeper could put a new frontend in the
				 * sandbox (this process gave up CAP_SETUID, SETGID and
				 * SETPCAP for good): without it the session socket
				 * would go unserved until someone noticed. So the
				 * gateway exits, failed, and its unit starts it again
				 * (Restart=always): the restart is by difference (no
				 * peer set, every tunnel keeps its session), the
				 * ruleset and the stage-2 elements (with their kernel
				 * timeouts) stay in force meanwhile, and wireguard-go,
				 * if it started one, outlives it (KillMode=process). */
				log_warnx("frontend keeper (pid %d) %s %d: the session socket cannot"
				    " be served again by this process; exiting for a restart (the"
				    " interface and the ruleset stay in force)", (int)pid,
				    WIFSIGNALED(wst) ? "killed by signal" : "exited with status",
				    WIFSIGNALED(wst) ? WTERMSIG(wst) : WEXITSTATUS(wst));
				fe.pid = 0;
				keeper_lost = 1;
				quit = 1;
			} else if (pid == g.wg_child) {
				log_warnx("wireguard-go (pid %d) exited", (int)pid);
				g.wg_child = 0;
			}
		}
		if (g.r == NULL && recon.busy == 0 && now >= g.next_try_ms) {
			reconnect_start(&recon, &g);
			g.reconnecting = recon.busy == 1;	/* a thread runs it */
			continue;
		}
		if (g.r == NULL && waiting) {
			reconnect_join(&recon);
			if (src_attach(&g, &recon.o, &err) < 0) {
				backoff(&g, now);
				log_warnx("%s: the last good state holds; next try in %d ms", err.msg,
				    g.backoff_ms);
				continue;
			}
			log_info("registry connected again; following it from change %lld",
			    (long long)g.seq);
			g.backoff_ms = 0;
			next_poll = 0;
			catch_up = 1;	/* the rows written meanwhile are all there */
		}
		if (g.r == NULL)
			continue;
		rc = 0;
		if (g.dirty && now >= next_poll) {
			next_poll = now + (uint64_t)g.o.poll_ms;
			if ((rc = full_sync(&g, &err)) < 0)
				log_warnx("%s: the last good state holds; a full sync is next", err.msg);
			continue;
		}
		if (g.feed_fd >= 0 && (woke || catch_up || (recheck != 0 && now >= recheck))) {
			recheck = 0;
			/* drain before reading: a commit after it wakes us again.
			 * SQLite: the drain waits for a write in progress (the
			 * -wal's writes wake us before its commit is visible);
			 * one it could not wait out is read for again at once */
			if ((rc = reg_feed_drain(g.r, &err)) >= 0)
				rc = follow(&g, &err);
			if (rc >= 0 && reg_feed_unsettled(g.r))
				recheck = now;
		} else if (g.feed_fd < 0 && now >= next_poll) {
			uint64_t t0 = now_us();

			next_poll = now + (uint64_t)g.o.poll_ms;
			rc = diff_sync(&g, &err);
			if (rc == 0 && changed(&g.acts))
				g.change_us = now_us() - t0;
		}
		if (rc == 0 && g.r != NULL && !g.dirty && now >= g.next_report_ms) {
			g.next_report_ms = now + (uint64_t)g.o.report_s * 1000;
			report(&g);
		}
		if (rc < 0 && g.dirty)
			log_warnx("%s: the last good state holds; a full sync is next", err.msg);
		else if (rc < 0) {
			src_disconnect(&g);
			backoff(&g, now);
			log_warnx("%s: the last good state holds; next try in %d ms", err.msg,
			    g.backoff_ms);
		}
	}
done:
	while (npend > 0)
		pend_drop(npend - 1);
	if (recon.busy != 0) {
		reconnect_join(&recon);		/* at most the connect timeouts */
		if (recon.o.r != NULL)
			reg_close(recon.o.r);
	}
	if (recon.pipe[0] != -1) {
		close(recon.pipe[0]);
		close(recon.pipe[1]);
	}
	log_info("stopping; the interface and the ruleset stay in force");
	gw_frontend_stop(&fe);
	sessd_close(sd);
	src_disconnect(&g);
	gw_engine_free(&g.e);
	gw_actions_free(&g.acts);
	gw_stage_close();
	free(g.groups_key);
	wipe(g.priv, sizeof(g.priv));
	if (keeper_lost)
		return EXIT_FAIL;	/* for a restart: wireguard-go stays */
	if (g.wg_child > 0) {
		kill(g.wg_child, SIGTERM);
		waitpid(g.wg_child, NULL, 0);
	}
	return EXIT_OK;
}
