/*
 * sekishod: the netvm daemon. Loads the fail-closed ruleset before it looks
 * at any uplink, watches the uplinks through rtnetlink, feeds the engine,
 * and carries out its actions: nftables transactions and route changes.
 *
 *	sekishod [-dnvB] [-f policy | -b bundle [-k agency-keys] [-D device-pub]
 *	    [-S serial-store] [-i incoming]] [-w work-if] [-t tunnel-if]
 *	    [-s socket] [-r rundir] [-P probe-helper]
 *
 * With -b the policy comes from a signed bundle (docs/bundle.md), and a
 * newer one put at the incoming path is taken live on SIGHUP or
 * `sekishoctl reload`; with -f, from a plain policy file read at start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/ifname.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/util.h"
#include "netvm/sekishod/accept.h"
#include "netvm/sekishod/control.h"
#include "netvm/sekishod/engine.h"
#include "netvm/sekishod/fetch.h"
#include "netvm/sekishod/firewall.h"
#include "netvm/sekishod/live.h"
#include "netvm/sekishod/office.h"
#include "netvm/sekishod/route.h"
#include "netvm/sekishod/route6.h"
#include "netvm/sekishod/rtnl.h"
#include "netvm/sekishod/timers.h"
#include "netvm/sekishod/tunnel.h"
#include "netvm/sekishod/workside.h"
#include "policy/policy.h"

struct sekishod {
	const char		*policy_path, *work_if, *tun_if, *sock_path, *rundir;
	const char		*keys_path, *device_path;
	int			 bundled;	/* -b: acc holds the bundle's state */
	struct accept		 acc;
	struct policy		 pol;
	uint8_t			 key[32];
	struct firewall		*fw;
	struct engine		 engine;
	struct tunnel		 tun;
	struct workside		 work;
	struct prober		 prober;
	struct fetcher		 fetch;		/* bundle fetches (-b only) */
	struct rtnl_watch	*rtnl;
	struct timers		 timers;
	int			 ctl_fd, sig_fd;
	int			 quit, resync, quiet;
	struct event		 pending;	/* an event an action produced */
	int			 has_pending;
	enum mode		 rules_mode;	/* of the ruleset last loaded */
	time_t			 handshake_seen;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sekishod [-dnvB] [-f policy | -b bundle [-k agency-keys] "
	    "[-D device-pub] [-S serial-store] [-i incoming]]\n"
	    "\t[-w work-if] [-t tunnel-if] [-s socket] [-r rundir] [-P probe-helper]\n");
	exit(1);
}

/* A helper (sekisho-probe, sekisho-policy) beside our own executable,
 * where they are installed together. */
static void
default_helper(const char *name, char *buf, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0) {
		snprintf(buf, size, "/usr/libexec/sekisho/%s", name);
		return;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		slash[1] = '\0';
	sk_strlcpy(buf, self, size);
	if (strlen(buf) + strlen(name) < size)
		strcat(buf, name);
}

static void fetch_on_mode(struct sekishod *d, enum mode prev);

static int
apply_rules(struct sekishod *d, enum mode mode, const char *uplink)
{
	struct fw_params p = { mode, &d->pol, d->work_if, d->tun_if, uplink };
	struct sk_error err;
	uint64_t t0 = now_ms();
	const struct uplink *u;
	int rc;

	if (mode != MODE_OFFICE)	/* before the office rules go */
		office_proof_drop(d->rundir);
	if ((rc = fw_load(d->fw, &p, &err)) < 0) {
		log_warnx("mode %s: %s; the previous ruleset stays in force",
		    mode_name(mode), err.msg);
		return rc;
	}
	if (mode == MODE_OFFICE && (u = engine_office_uplink(&d->engine)) != NULL &&
	    (rc = office_proof_save(d->rundir, u)) < 0)
		log_warnx("%s/office: %s", d->rundir, strerror(-rc));
	log_info("mode %s%s%s: ruleset in force (%llu ms)", mode_name(mode),
	    uplink != NULL ? " over " : "", uplink != NULL ? uplink : "",
	    (unsigned long long)(now_ms() - t0));
	if (mode == MODE_OFFICE)
		timers_on_office(&d->timers, now_ms(), timers_reverify_ms(&d->pol),
		    (uint32_t)random());
	else
		timers_on_not_office(&d->timers);
	return 0;
}

static void
do_probe(struct sekishod *d, const struct action *a)
{
	int rc;

	if ((rc = prober_start(&d->prober, &d->pol, a->ifindex, a->uplink, now_ms())) < 0) {
		struct event ev = { .type = EV_BEACON_FAIL, .ifindex = a->ifindex,
		    .now_ms = now_ms() };

		log_warnx("uplink %s: cannot probe beacons: %s", a->uplink, strerror(-rc));
		d->pending = ev;
		d->has_pending = 1;
	}
}

/* One line per switch, naming both gateways and why. */
static void
do_gateway(struct sekishod *d, const struct action *a)
{
	const char *from = d->pol.gateways[a->gw_from].name;
	const char *to = d->pol.gateways[a->gateway].name;
	int rc;

	if (a->why == GW_TIMEOUT)
		log_warnx("gateway \"%s\" gave no handshake in %u s over %s, trying \"%s\"",
		    from, d->pol.gateway_timeout_s, a->uplink, to);
	else if (a->why == GW_STALE)
		log_warnx("gateway \"%s\" went stale over %s (no handshake for %u s, no other "
		    "uplink), trying \"%s\"", from, a->uplink, d->pol.handshake_stale_s, to);
	else
		log_info("gateway \"%s\" again, the first in order, as the tunnel starts "
		    "afresh over %s (was \"%s\")", to, a->uplink, from);
	if ((rc = tunnel_gateway(&d->tun, &d->pol, a->gateway)) < 0) {
		log_warnx("tunnel: cannot switch to gateway \"%s\": %s; reading the "
		    "state again", to, strerror(-rc));
		d->resync = 1;	/* the engine follows what the tunnel holds */
		return;
	}
	d->handshake_seen = 0;
	timers_on_gateway_tried(&d->timers, now_ms(), timers_gateway_timeout_ms(&d->pol));
}

static void
do_action(struct sekishod *d, const struct action *a)
{
	const struct in_addr *gw = a->has_gw ? &a->gw : NULL;
	char g[INET_ADDRSTRLEN];
	enum mode prev;
	int rc;

	switch (a->type) {
	case ACT_PROBE:
		do_probe(d, a);
		break;
	case ACT_TUNNEL_VIA:
		if ((rc = tunnel_via(&d->tun, a->ifindex, gw)) < 0)
			log_warnx("tunnel: cannot route to the gateway over %s: %s",
			    a->uplink, strerror(-rc));
		else
			log_info("tunnel: gateway reached over %s%s%s", a->uplink,
			    gw ? " via " : "", gw ? inet_ntop(AF_INET, gw, g, sizeof(g)) : "");
		timers_on_gateway_tried(&d->timers, now_ms(), timers_gateway_timeout_ms(&d->pol));
		break;
	case ACT_GATEWAY:
		do_gateway(d, a);
		break;
	case ACT_OFFICE_VIA:
		if ((rc = office_routes(&d->pol, a->ifindex, gw)) < 0)
			log_warnx("office: cannot route LGWAN over %s: %s", a->uplink,
			    strerror(-rc));
		break;
	case ACT_RULES:
		prev = d->rules_mode;
		/* A ruleset that cannot load must not leave an older, wider
		 * one in force: fall back to blocked. */
		if (apply_rules(d, a->mode, a->mode == MODE_OFFICE ? a->uplink : NULL) < 0 &&
		    a->mode != MODE_BLOCKED)
			apply_rules(d, MODE_BLOCKED, NULL);
		if ((a->mode == MODE_OFFICE) != (d->rules_mode == MODE_OFFICE) &&
		    (rc = conntrack_flush()) < 0)
			log_warnx("conntrack: cannot flush: %s", strerror(-rc));
		d->rules_mode = a->mode;
		fetch_on_mode(d, prev);
		break;
	case ACT_TUNNEL_IDLE:
		if ((rc = tunnel_idle(&d->tun)) < 0)
			log_warnx("tunnel: cannot remove its route: %s", strerror(-rc));
		timers_on_tunnel_idle(&d->timers);
		break;
	case ACT_STALE:
		if (a->moved)
			log_warnx("tunnel: no handshake over %s for %u s, trying another uplink",
			    a->uplink, d->pol.handshake_stale_s);
		else
			log_warnx("tunnel: no handshake over %s for %u s, and no other "
			    "uplink or gateway to try", a->uplink, d->pol.handshake_stale_s);
		break;
	}
}

/* The uplink's priority: the policy's, else its kind's (the kernel's
 * DEVTYPE): wired 300 > Wi-Fi 200 > WWAN 100. */
static unsigned int
uplink_priority(const struct policy *pol, const char *name)
{
	char path[64], line[128];
	unsigned int prio = 300;
	FILE *f;

	for (size_t i = 0; i < pol->n_uplinks; i++)
		if (strcmp(pol->uplinks[i].name, name) == 0)
			return pol->uplinks[i].priority;
	snprintf(path, sizeof(path), "/sys/class/net/%s/uevent", name);
	if ((f = fopen(path, "r")) == NULL)
		return prio;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strcmp(line, "DEVTYPE=wlan\n") == 0)
			prio = 200;
		else if (strcmp(line, "DEVTYPE=wwan\n") == 0)
			prio = 100;
	}
	fclose(f);
	return prio;
}

static void
on_event(const struct event *in, void *arg)
{
	struct sekishod *d = arg;
	struct action acts[ENGINE_MAX_ACTIONS];
	struct event ev = *in;
	size_t n;

	if (ev.type == EV_LINK)
		ev.priority = uplink_priority(&d->pol, ev.name);
	n = engine_handle(&d->engine, &ev, acts);

	if (d->quiet)
		return;
	for (size_t i = 0; i < n; i++)
		do_action(d, &acts[i]);
}

static const struct fetch_status *fetch_gather(const struct sekishod *d,
    struct fetch_status *fs);

static void
gather(struct status *st, void *arg)
{
	static struct tunnel_stats ts;
	static struct fetch_status fs;
	struct sekishod *d = arg;

	st->engine = &d->engine;
	st->now_ms = now_ms();
	st->tunnel_if = d->tun_if;
	st->tunnel = tunnel_stats(&d->tun, &ts) == 0 ? &ts : NULL;
	clock_gettime(CLOCK_REALTIME, &st->wall);
	st->serial = d->pol.serial;
	st->policy_path = d->bundled ? d->acc.bundle : d->policy_path;
	st->gateway = d->pol.gateways[d->engine.gateway].name;
	st->gateway_pos = d->engine.gateway + 1;
	st->n_gateways = d->pol.n_gateways;
	st->gateway_from = d->pol.gateways[d->engine.gw_from].name;
	st->gateway_why = gw_why_text(d->engine.gw_why);
	st->fetch = fetch_gather(d, &fs);
}

/* The handshake's age goes to the engine, which decides whether the
 * tunnel went stale (engine.h); then time passes. */
static void
check_stale(struct sekishod *d, const struct tunnel_stats *ts)
{
	struct event ev = { .type = EV_HANDSHAKE, .now_ms = now_ms() };
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	ev.age_ms = ts->last_handshake.tv_sec == 0 ? UINT64_MAX :
	    (uint64_t)(wall.tv_sec - ts->last_handshake.tv_sec) * 1000;
	on_event(&ev, d);
	ev.type = EV_TICK;
	on_event(&ev, d);
}

/* gateway-timeout after the tunnel was pointed at a gateway or moved: no
 * session with the gateway, the next one (engine.h). */
static void
check_gateway(struct sekishod *d)
{
	struct event ev = { .type = EV_GATEWAY_TIMEOUT, .now_ms = now_ms() };
	const struct uplink *u = engine_uplink(&d->engine, d->engine.active);
	int rc;

	if (d->engine.mode != MODE_REMOTE)
		return;
	if ((rc = tunnel_alive(&d->tun)) < 0) {
		log_warnx("tunnel %s: cannot read its state", d->tun_if);
		timers_on_gateway_tried(&d->timers, ev.now_ms, timers_gateway_timeout_ms(&d->pol));
	} else if (rc == 0 && d->pol.n_gateways < 2)
		log_warnx("gateway \"%s\" gave no handshake in %u s over %s, and it is the only one",
		    d->pol.gateways[d->engine.gateway].name, d->pol.gateway_timeout_s,
		    u != NULL ? u->name : "?");
	else if (rc == 0)
		on_event(&ev, d);
}

static void
poll_tunnel(struct sekishod *d)
{
	struct tunnel_stats ts;

	if (tunnel_stats(&d->tun, &ts) < 0) {
		log_warnx("tunnel %s: cannot read its state", d->tun_if);
		return;
	}
	if (ts.last_handshake.tv_sec != 0 && d->handshake_seen == 0)
		log_info("tunnel: handshake with the gateway completed (\"%s\")",
		    d->pol.gateways[d->tun.gw].name);
	d->handshake_seen = ts.last_handshake.tv_sec;
	check_stale(d, &ts);
}

/* A child died: wireguard-go (then the tunnel is rebuilt, its interface
 * gone) or the work link's DHCP server. */
static void
reap(struct sekishod *d)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == d->tun.child) {
			log_warnx("tunnel: userspace WireGuard (pid %d) exited", (int)pid);
			d->tun.child = -1;
		} else if (pid == d->work.dhcp) {
			log_warnx("work link: DHCP server (pid %d) exited", (int)pid);
			d->work.dhcp = -1;
		} else {
			fetch_reaped(&d->fetch, pid, status);
			continue;
		}
		timers_on_child_exit(&d->timers, now_ms());
	}
}

static void
restart_children(struct sekishod *d)
{
	struct sk_error err;

	if (d->tun.child == -1) {
		if (tunnel_open(&d->tun, d->tun_if, &d->pol, d->key, &err) < 0) {
			log_warnx("%s", err.msg);
			d->tun.child = -1;
			timers_on_child_exit(&d->timers, now_ms());
		} else
			d->resync = 1;	/* the tunnel's route must be steered again */
	}
	if (d->work.dhcp == -1 && workside_dhcp_start(&d->work, &d->pol) < 0) {
		d->work.dhcp = -1;
		timers_on_child_exit(&d->timers, now_ms());
	}
}

/* In office mode: ask the beacon again; a failure falls back to remote. */
static void
reverify(struct sekishod *d)
{
	const struct uplink *u = engine_office_uplink(&d->engine);
	struct action a = { .type = ACT_PROBE };

	if (u == NULL)
		return;
	a.ifindex = u->ifindex;
	sk_strlcpy(a.uplink, u->name, sizeof(a.uplink));
	do_probe(d, &a);
	timers_on_office(&d->timers, now_ms(), timers_reverify_ms(&d->pol),
	    (uint32_t)random());
}

static void fetch_now(struct sekishod *d);
static void fetch_overdue(struct sekishod *d);

/* The line a reload ends with, logged at level and, for a control client,
 * answered with its outcome ("accepted", "unchanged", "refused") first. */
static void __attribute__((format(printf, 4, 5)))
report(struct buf *out, int level, const char *outcome, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (level == LOG_LEVEL_WARN)
		log_warnx("%s", line);
	else if (level == LOG_LEVEL_INFO)
		log_info("%s", line);
	else
		log_debug("%s", line);
	if (out != NULL)
		buf_printf(out, "%s: %s\n", outcome, line);
}

/* One line saying why the candidate at path is refused ("PATH: why"). */
static void
refuse(struct buf *out, const char *path, const char *why, unsigned long long serial)
{
	size_t n = strlen(path);
	int named = strncmp(why, path, n) == 0 && why[n] == ':';

	report(out, LOG_LEVEL_WARN, "refused", "%s%s%s; policy serial %llu stays in force",
	    named ? "" : path, named ? "" : ": ", why, serial);
}

/* The name of the office uplink the rules in force were made for. */
static const char *
rules_uplink(const struct sekishod *d)
{
	const struct uplink *u = engine_uplink(&d->engine, d->engine.active);

	return d->rules_mode == MODE_OFFICE && u != NULL ? u->name : NULL;
}

/* nftables' dry run of the ruleset pol would give the mode in force. */
static int
check_rules(struct sekishod *d, const struct policy *pol, struct sk_error *err)
{
	struct fw_params p = { d->rules_mode, pol, d->work_if, d->tun_if, rules_uplink(d) };

	if (p.mode == MODE_OFFICE && p.uplink == NULL)
		p.mode = MODE_REMOTE;
	return fw_load_check(d->fw, &p, err);
}

/* A bundle accepted and stored: its policy takes over, path by path. The
 * new routes and allowed IPs first (nothing the old rules allow loses its
 * path), then the ruleset in one transaction (established flows to what
 * stays allowed go on; anything withdrawn is refused from here on), then
 * the withdrawn routes go. */
static void
switch_policy(struct sekishod *d, struct policy *pol)
{
	const struct uplink *u = engine_office_uplink(&d->engine);
	struct policy old = d->pol;
	enum mode mode = d->rules_mode;
	int rc;

	d->pol = *pol;
	if ((rc = tunnel_update(&d->tun, &d->pol)) < 0)
		log_warnx("tunnel %s: cannot set the new prefixes: %s", d->tun_if,
		    strerror(-rc));
	if (mode == MODE_OFFICE && u != NULL &&
	    (rc = office_routes(&d->pol, u->ifindex, u->has_gw ? &u->gw : NULL)) < 0)
		log_warnx("office: cannot route the new prefixes over %s: %s", u->name,
		    strerror(-rc));
	if (apply_rules(d, mode, rules_uplink(d)) < 0 && mode != MODE_BLOCKED) {
		apply_rules(d, MODE_BLOCKED, NULL);
		d->rules_mode = MODE_BLOCKED;
	}
	if ((rc = tunnel_withdraw(&old, &d->pol)) < 0 ||
	    (rc = office_withdraw(&old, &d->pol)) < 0)
		log_warnx("routes: cannot remove a withdrawn prefix: %s", strerror(-rc));
	engine_set_policy(&d->engine, d->pol.n_beacons > 0, timers_stale_ms(&d->pol));
	if (d->engine.mode == MODE_OFFICE)
		reverify(d);	/* under the new beacons and keys, now */
	policy_free(&old);
}

/* A candidate that passed the bundle's checks: can it take over live, and
 * will nftables take its ruleset? Then stored, then applied. */
static void fetch_on_policy(struct sekishod *d);

static void
take(struct sekishod *d, struct candidate *c, struct buf *out)
{
	unsigned long long was = (unsigned long long)d->pol.serial;
	const char *fixed = live_fixed_change(&d->pol, &c->pol);
	const char *path = d->acc.incoming;
	struct sk_error err;
	size_t added, withdrawn;

	if (fixed != NULL)
		sk_errorf(&err, EINVAL, "%s: serial %llu changes the %s section, which "
		    "cannot change while sekishod runs; install it as %s and restart "
		    "sekishod", path, (unsigned long long)c->serial, fixed, d->acc.bundle);
	if (fixed != NULL || check_rules(d, &c->pol, &err) < 0 ||
	    accept_commit(&d->acc, c, 0, &err) < 0) {
		refuse(out, path, err.msg, was);
		policy_free(&c->pol);
		return;
	}
	live_count(&d->pol, &c->pol, &added, &withdrawn);
	switch_policy(d, &c->pol);
	fetch_on_policy(d);
	report(out, LOG_LEVEL_INFO, "accepted", "%s: policy serial %llu in force (was %llu): "
	    "%zu prefixes added, %zu withdrawn; stored as %s", path,
	    (unsigned long long)d->pol.serial, was, added, withdrawn, d->acc.bundle);
}

/* SIGHUP or "reload": a new bundle at the incoming path is refused with
 * one line, the policy in force untouched, or taken live. */
static void
reload(struct sekishod *d, struct buf *out)
{
	unsigned long long serial = (unsigned long long)d->pol.serial;
	struct candidate c;
	struct sk_error err;

	if (!d->bundled) {
		report(out, LOG_LEVEL_WARN, "refused", "reload: sekishod reads a plain policy "
		    "file (-f) only at start; restart it, or run it with a signed bundle (-b)");
		return;
	}
	switch (accept_open(&d->acc, d->acc.incoming, 0, &c, &err)) {
	case ACCEPT_ABSENT:
		report(out, LOG_LEVEL_INFO, "unchanged", "reload: no new bundle at %s; "
		    "policy serial %llu stays in force", d->acc.incoming, serial);
		return;
	case ACCEPT_SAME:
		report(out, LOG_LEVEL_DEBUG, "unchanged", "%s", err.msg);
		return;
	case ACCEPT_REFUSED:
		refuse(out, d->acc.incoming, err.msg, serial);
		return;
	}
	take(d, &c, out);
	candidate_free(&c);
}

static void
ctl_reload(struct buf *out, void *arg)
{
	reload(arg, out);
}


/* ---- bundle fetches (docs/distribution.md) ----------------------------
 * At entering remote or office mode (a path exists), then every
 * distribution interval with jitter; one at a time, each with a deadline.
 * A fetched bundle goes through reload(), as if put at the incoming path
 * by hand. */

static int
fetch_enabled(const struct sekishod *d)
{
	return d->bundled && d->pol.dist_server.sin_family == AF_INET;
}

static void
fetch_next(struct sekishod *d, int failed)
{
	if (!fetch_enabled(d) || d->rules_mode == MODE_BLOCKED)
		timers_on_fetch_off(&d->timers);
	else
		timers_on_fetch_done(&d->timers, now_ms(), timers_fetch_interval_ms(&d->pol),
		    failed, (uint32_t)random());
}

static unsigned long long
fetch_next_s(const struct sekishod *d)
{
	uint64_t at = d->timers.at[T_FETCH], now = now_ms();

	return at > now ? (at - now + 999) / 1000 : 0;
}

/* One line for a fetch that went wrong; tried again sooner than usual. */
static void
fetch_failed(struct sekishod *d, const char *why)
{
	fetch_next(d, 1);
	fetch_result(&d->fetch, "error: %s", why);
	log_warnx("fetch over %s: %s; next try in %llu s", d->fetch.via, why,
	    fetch_next_s(d));
}

/* Over the path of the mode in force: its mark picks the routing table. */
static void
fetch_now(struct sekishod *d)
{
	const struct uplink *u = engine_uplink(&d->engine, d->engine.active);
	struct fetch_args a = {
		.server = d->pol.dist_server, .device = d->acc.trust.device,
		.serial = d->acc.accepted, .incoming = d->acc.incoming,
	};
	char via[48];

	if (!fetch_enabled(d) || d->rules_mode == MODE_BLOCKED) {
		timers_on_fetch_off(&d->timers);
		return;
	}
	if (fetch_running(&d->fetch))
		return;
	if (d->rules_mode == MODE_OFFICE) {
		snprintf(via, sizeof(via), "the office LAN on %s", u != NULL ? u->name : "?");
		a.mark = SK_MARK_OFFICE;
	} else {
		sk_strlcpy(via, "the tunnel", sizeof(via));
		a.mark = SK_MARK_TUNNEL;
	}
	a.via = via;
	if (fetch_start(&d->fetch, &a, now_ms()) < 0) {
		sk_strlcpy(d->fetch.via, via, sizeof(d->fetch.via));
		fetch_failed(d, d->fetch.line);
		return;
	}
	timers_on_fetch_started(&d->timers, now_ms(), FETCH_TIMEOUT_MS);
	log_debug("fetch over %s: asking %s for a bundle above serial %llu", via,
	    d->fetch.server, (unsigned long long)a.serial);
}

/* The helper has exited and said all it had to say. */
static void
fetch_end(struct sekishod *d)
{
	unsigned long long held = (unsigned long long)d->acc.accepted;
	struct buf out;
	size_t n;

	switch (fetch_finish(&d->fetch, d->acc.incoming)) {
	case FETCH_RUNNING:
		return;
	case FETCH_ERROR:
		fetch_failed(d, d->fetch.line);
		return;
	case FETCH_NONE:
		fetch_result(&d->fetch, "unchanged: %s has nothing newer than serial %llu",
		    d->fetch.server, held);
		log_debug("fetch over %s: %s has nothing newer than serial %llu",
		    d->fetch.via, d->fetch.server, held);
		break;
	case FETCH_NEWER:
		log_info("fetch over %s: a newer bundle from %s (%lld bytes), put at %s",
		    d->fetch.via, d->fetch.server, (long long)d->fetch.size, d->acc.incoming);
		buf_init(&out);
		reload(d, &out);
		n = buf_str(&out) != NULL ? strcspn(out.p, "\n") : 0;
		fetch_result(&d->fetch, "%.*s", (int)n, n > 0 ? out.p : "?");
		buf_free(&out);
		break;
	}
	fetch_next(d, 0);
}

static void
fetch_overdue(struct sekishod *d)
{
	if (!fetch_running(&d->fetch))
		return;
	fetch_stop(&d->fetch);
	fetch_failed(d, "the fetch did not finish in time");
}

/* A new mode: a fetch under way used the old path (its address
 * translation is gone), so it starts again on the new one. */
static void
fetch_on_mode(struct sekishod *d, enum mode prev)
{
	if (d->rules_mode == prev || !fetch_enabled(d))
		return;
	if (fetch_running(&d->fetch))
		fetch_stop(&d->fetch);
	if (d->rules_mode == MODE_BLOCKED)
		timers_on_fetch_off(&d->timers);
	else
		fetch_now(d);
}

/* A live policy change may add, move or remove the server. */
static void
fetch_on_policy(struct sekishod *d)
{
	if (!fetch_enabled(d)) {
		if (fetch_running(&d->fetch))
			fetch_stop(&d->fetch);
		timers_on_fetch_off(&d->timers);
	} else if (!fetch_running(&d->fetch) && d->timers.at[T_FETCH] == 0)
		fetch_next(d, 0);
}

static const struct fetch_status *
fetch_gather(const struct sekishod *d, struct fetch_status *fs)
{
	static char server[INET_ADDRSTRLEN + 6];
	char a[INET_ADDRSTRLEN];

	if (!fetch_enabled(d))
		return NULL;
	snprintf(server, sizeof(server), "%s:%u", inet_ntop(AF_INET,
	    &d->pol.dist_server.sin_addr, a, sizeof(a)), ntohs(d->pol.dist_server.sin_port));
	fs->server = server;
	fs->interval_s = d->pol.dist_interval_s;
	fs->running = fetch_running(&d->fetch);
	fs->next_s = d->timers.at[T_FETCH] != 0 ? (long long)fetch_next_s(d) : -1;
	fs->last = d->fetch.last_wall.tv_sec;
	fs->result = d->fetch.result;
	return fs;
}

static void
on_signal(struct sekishod *d)
{
	struct signalfd_siginfo si;

	while (read(d->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGTERM:
		case SIGINT:
			d->quit = 1;
			break;
		case SIGCHLD:
			reap(d);
			break;
		case SIGHUP:
			reload(d, NULL);
			break;
		}
	}
}

/*
 * Starts over from the kernel's view: the dump rebuilds the engine's table
 * of uplinks without acting on each message, then the whole decision is
 * carried out once. A restarted sekishod thus moves the ruleset it finds
 * (perhaps a remote one left by its predecessor) straight to the right one,
 * never through blocked on the way.
 */
static void
resync(struct sekishod *d)
{
	struct action acts[ENGINE_MAX_ACTIONS], probes[ENGINE_MAX_UPLINKS];
	struct engine was = d->engine;
	struct uplink proof;
	const struct uplink *u;
	size_t n;
	int rc;

	d->resync = 0;
	prober_stop_all(&d->prober);
	engine_init(&d->engine, d->work.ifindex, d->tun.ifindex,
	    d->pol.gateways[0].endpoint.sin_addr, d->pol.n_beacons > 0);
	engine_set_policy(&d->engine, d->pol.n_beacons > 0, timers_stale_ms(&d->pol));
	d->quiet = 1;
	rc = rtnl_watch_dump(d->rtnl);
	d->quiet = 0;
	if (rc < 0) {
		log_warnx("rtnetlink dump: %s", strerror(-rc));
		d->engine = was;	/* what it knew, for the next try */
		d->resync = 1;
		return;
	}
	engine_gateways(&d->engine, d->tun.endpoints, d->tun.n_endpoints, d->tun.gw);
	/* What a beacon proved still holds on an uplink the kernel shows
	 * exactly as it was (engine_vouch); so does a predecessor's proof,
	 * whose office rules are then the ones in force (office.h). */
	for (size_t i = 0; i < was.n_uplinks; i++)
		engine_vouch(&d->engine, &was.uplinks[i]);
	if (office_proof_load(d->rundir, &proof)) {
		d->rules_mode = MODE_OFFICE;
		engine_vouch(&d->engine, &proof);
	}
	n = engine_restate(&d->engine, now_ms(), acts);
	for (size_t i = 0; i < n; i++)
		do_action(d, &acts[i]);
	/* A proof kept is asked again at once; the others are probed. */
	if ((u = engine_office_uplink(&d->engine)) != NULL) {
		log_info("uplink %s: unchanged since beacon %s verified it; asking again",
		    u->name, u->beacon);
		reverify(d);
	}
	n = engine_probe_all(&d->engine, probes);
	for (size_t i = 0; i < n; i++)
		do_action(d, &probes[i]);
}

static int
poll_timeout(struct sekishod *d)
{
	uint64_t now = now_ms();
	int a = timers_timeout(&d->timers, now), b = prober_timeout(&d->prober, now);

	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

static void
on_probes(struct sekishod *d, struct pollfd *pfd, size_t n)
{
	struct event ev;

	/* Backwards: a finished run is replaced by the last one. */
	for (size_t i = n; i-- > 0; )
		if ((pfd[i].revents & (POLLIN | POLLHUP)) &&
		    prober_read(&d->prober, i, &ev, now_ms()))
			on_event(&ev, d);
	prober_expire(&d->prober, now_ms(), on_event, d);
}

static const struct ctl_ops ctl_ops = { gather, ctl_reload };
static const struct timer_ops timer_ops = { poll_tunnel, restart_children, reverify,
	fetch_now, fetch_overdue, check_gateway };

static void
loop(struct sekishod *d)
{
	struct pollfd pfd[4 + ENGINE_MAX_UPLINKS];
	size_t np;
	int rc, nf;

	while (!d->quit) {
		if (d->resync)
			resync(d);
		if (d->has_pending) {
			d->has_pending = 0;
			on_event(&d->pending, d);
			continue;
		}
		pfd[0] = (struct pollfd){ .fd = rtnl_watch_fd(d->rtnl), .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = d->ctl_fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
		np = prober_pollfds(&d->prober, pfd + 3, ENGINE_MAX_UPLINKS);
		nf = fetch_pollfd(&d->fetch, &pfd[3 + np]);
		if (poll(pfd, 3 + np + (size_t)nf, poll_timeout(d)) == -1 && errno != EINTR)
			fatal("poll");
		if (pfd[0].revents & POLLIN && (rc = rtnl_watch_read(d->rtnl)) < 0) {
			log_warnx("rtnetlink: %s; reading the state again", strerror(-rc));
			d->resync = 1;
		}
		on_probes(d, pfd + 3, np);
		if (pfd[1].revents & POLLIN)
			ctl_serve(d->ctl_fd, &ctl_ops, d);
		if (pfd[2].revents & POLLIN)
			on_signal(d);
		if (nf && pfd[3 + np].revents & (POLLIN | POLLHUP | POLLERR))
			fetch_read(&d->fetch);
		fetch_end(d);
		timers_run(&d->timers, &timer_ops, d);
	}
}

static void
write_sysctl(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd == -1 || write(fd, value, strlen(value)) < 0)
		log_warn("%s", path);
	if (fd != -1)
		close(fd);
}

/* Forwarding for IPv4, and for IPv6 only with a policy that has IPv6
 * LGWAN prefixes; no redirects; refusals answered without the per-host
 * ICMP rate limit (they only ever go to the work partition). */
static void
kernel_settings(const char *work_if, int v6)
{
	char path[128];

	write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
	write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", v6 ? "1" : "0");
	write_sysctl("/proc/sys/net/ipv4/icmp_ratelimit", "0");
	write_sysctl("/proc/sys/net/ipv4/conf/all/send_redirects", "0");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/send_redirects", work_if);
	write_sysctl(path, "0");
}

static int
signals_open(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

	return signals_fd(sigs, sizeof(sigs) / sizeof(sigs[0]));
}

/* The base ruleset (blocked, no policy needed) if the table is absent:
 * what the early-boot unit loads, and what a first start must ensure. */
static int
ensure_base(struct firewall *fw)
{
	struct fw_params p = { MODE_BLOCKED, NULL, NULL, NULL, NULL };
	struct sk_error err;
	int rc;

	if (fw_table_present(fw, "inet " FW_TABLE))
		return 0;
	if ((rc = fw_load(fw, &p, &err)) < 0)
		log_warnx("base ruleset: %s", err.msg);
	else
		log_info("base ruleset loaded: everything blocked");
	return rc;
}

/* -n: the policy, the key file and the remote ruleset nftables would get. */
static int
check_only(struct sekishod *d)
{
	struct fw_params p = { MODE_REMOTE, &d->pol, d->work_if, d->tun_if, NULL };
	struct sk_error err;

	if (fw_load_check(d->fw, &p, &err) < 0) {
		log_warnx("%s", err.msg);
		return 1;
	}
	fprintf(stderr, "configuration OK\n");
	return 0;
}

/* -b: the bundle in force, accepted again at start (its serial may equal
 * the store's; below it is a rollback). A store behind the bundle (a crash
 * between writing the two) is raised, except by -n, which changes nothing. */
static void
load_bundle(struct sekishod *d, int check)
{
	struct candidate c;
	struct sk_error err;

	if (accept_init(&d->acc, d->keys_path, d->device_path, &err) < 0 ||
	    accept_open(&d->acc, d->acc.bundle, 1, &c, &err) != ACCEPT_OK)
		fatalx("%s", err.msg);
	if (!check && accept_commit(&d->acc, &c, 1, &err) < 0)
		fatalx("%s", err.msg);
	d->pol = c.pol;
	candidate_free(&c);
	log_info("policy serial %llu from the signed bundle %s",
	    (unsigned long long)d->pol.serial, d->acc.bundle);
}

static void
load_config(struct sekishod *d, int check)
{
	struct sk_error err;

	if (d->bundled)
		load_bundle(d, check);
	else if (policy_parse_file(d->policy_path, &d->pol, &err) < 0)
		fatalx("%s", err.msg);
	if (key_file_read(d->pol.key_file, d->key, 0, &err) < 0)
		fatalx("%s", err.msg);
}

/* -b's companions default to files beside it: serial, bundle.new. */
static void
bundle_paths(struct sekishod *d, char *store, char *incoming, size_t size)
{
	const char *slash = strrchr(d->acc.bundle, '/');
	int dir = slash == NULL ? 0 : (int)(slash - d->acc.bundle + 1);

	if (d->acc.store == NULL) {
		snprintf(store, size, "%.*sserial", dir, d->acc.bundle);
		d->acc.store = store;
	}
	if (d->acc.incoming == NULL) {
		snprintf(incoming, size, "%s.new", d->acc.bundle);
		d->acc.incoming = incoming;
	}
}

static void
start(struct sekishod *d)
{
	struct sk_error err;

	if (mkdir(d->rundir, 0700) == -1 && errno != EEXIST)
		fatal("%s", d->rundir);
	if (workside_open(&d->work, d->work_if, d->rundir, &d->pol, &err) < 0)
		fatalx("%s", err.msg);
	kernel_settings(d->work_if, d->pol.has_v6);
	if (workside_dhcp_start(&d->work, &d->pol) < 0)
		fatal("work link: cannot start the DHCP server");
	if (tunnel_open(&d->tun, d->tun_if, &d->pol, d->key, &err) < 0)
		fatalx("%s", err.msg);
	if (route_rules_add(d->work_if, d->work.ifindex, d->tun.endpoints, d->tun.n_endpoints) < 0)
		fatal("routing rules");
	if (d->pol.has_v6 && route6_rules_add(d->work_if, d->work.ifindex) < 0)
		fatal("IPv6 routing rules");
	if ((d->rtnl = rtnl_watch_open(on_event, d)) == NULL)
		fatal("rtnetlink");
	if ((d->ctl_fd = ctl_listen(d->sock_path)) < 0) {
		errno = -d->ctl_fd;
		fatal("control socket %s", d->sock_path);
	}
	timers_on_start(&d->timers, now_ms());
	d->resync = 1;
}

static void
shutdown_daemon(struct sekishod *d)
{
	/* A clean stop leaves work cut off, like a crash does. */
	apply_rules(d, MODE_BLOCKED, NULL);
	prober_stop_all(&d->prober);
	fetch_stop(&d->fetch);
	workside_close(&d->work);
	tunnel_close(&d->tun);
	unlink(d->sock_path);
	rtnl_watch_close(d->rtnl);
	fw_close(d->fw);
	wipe(d->key, sizeof(d->key));
	policy_free(&d->pol);
	log_info("stopped");
}

int
main(int argc, char *argv[])
{
	struct sekishod d = {
		.policy_path = "/etc/sekisho/policy.conf", .work_if = "wk0",
		.tun_if = "sekisho0", .sock_path = CTL_SOCKET, .rundir = "/run/sekisho",
		.keys_path = "/etc/sekisho/agency.pub", .device_path = "/etc/sekisho/device.pub",
	};
	struct sk_error err;
	char helper[PATH_MAX], verifier[PATH_MAX], store[PATH_MAX], incoming[PATH_MAX],
	    fetcher[PATH_MAX];
	int ch, foreground = 0, verbose = 0, check = 0, base_only = 0, plain = 0;

	default_helper("sekisho-probe", helper, sizeof(helper));
	default_helper("sekisho-policy", verifier, sizeof(verifier));
	default_helper("sekisho-fetch", fetcher, sizeof(fetcher));
	d.acc.helper = verifier;
	while ((ch = getopt(argc, argv, "BD:P:S:b:df:i:k:nr:s:t:vw:")) != -1) {
		switch (ch) {
		case 'B': base_only = 1; break;
		case 'D': d.device_path = optarg; break;
		case 'S': d.acc.store = optarg; break;
		case 'b': d.acc.bundle = optarg; d.bundled = 1; break;
		case 'd': foreground = 1; break;
		case 'f': d.policy_path = optarg; plain = 1; break;
		case 'i': d.acc.incoming = optarg; break;
		case 'k': d.keys_path = optarg; break;
		case 'n': check = 1; foreground = 1; break;
		case 'r': d.rundir = optarg; break;
		case 's': d.sock_path = optarg; break;
		case 't': d.tun_if = optarg; break;
		case 'v': verbose++; break;
		case 'w': d.work_if = optarg; break;
		case 'P': sk_strlcpy(helper, optarg, sizeof(helper)); break;
		default: usage();
		}
	}
	if (!ifname_valid(d.work_if) || !ifname_valid(d.tun_if)) {
		fprintf(stderr, "sekishod: interface names take letters, digits, '-', '_' and '.', "
		    "at most 15\n");
		exit(1);
	}
	if (optind != argc || (plain && d.bundled))
		usage();
	if (d.bundled)
		bundle_paths(&d, store, incoming, sizeof(store));
	log_init("sekishod", foreground || base_only, verbose + LOG_LEVEL_INFO);
	if ((d.fw = fw_open(&err)) == NULL)
		fatalx("%s", err.msg);
	/* Before anything else: no instant without a ruleset. */
	if (!check && ensure_base(d.fw) < 0)
		fatalx("cannot load the base ruleset; refusing to go on");
	if (base_only)
		return 0;
	signal(SIGPIPE, SIG_IGN);	/* a verifying helper may quit reading */
	load_config(&d, check);
	if (check)
		return check_only(&d);
	prober_init(&d.prober, helper);
	fetch_init(&d.fetch, fetcher);
	srandom((unsigned int)(now_ms() ^ (uint64_t)getpid()));
	if ((d.sig_fd = signals_open()) == -1)
		fatal("signals");
	start(&d);
	log_info("started: policy serial %llu, work link %s, tunnel %s",
	    (unsigned long long)d.pol.serial, d.work_if, d.tun_if);
	loop(&d);
	shutdown_daemon(&d);
	return 0;
}
