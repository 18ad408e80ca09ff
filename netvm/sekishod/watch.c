/*
 * What sekishod looks at when its timers say so (timers.c): the tunnel's
 * handshake (to the engine, which judges staleness), the gateway it tried,
 * and its children (userspace WireGuard, the work link's DHCP server).
 */
#include "netvm/sekishod/sekishod.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "lib/log.h"
#include "lib/nftload.h"
#include "lib/util.h"
#include "netvm/sekishod/bundle_verify.h"
#include "netvm/sekishod/bverify.h"
#include "netvm/sekishod/firewall.h"
#include "policy/render/fw_render.h"

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
	/* On a backup: the first gateway's answer to its probe, if any. */
	ev.has_first = ts->has_first && ts->first_handshake.tv_sec != 0;
	ev.first_age_ms = ev.has_first ?
	    (uint64_t)(wall.tv_sec - ts->first_handshake.tv_sec) * 1000 : UINT64_MAX;
	/* The gateway's last packet: when its rx counter last moved (a new
	 * peer's counter starts again: a move, counted as a word from it). */
	if (d->rx_seen_ms == 0 || ts->rx_bytes != d->rx_seen) {
		d->rx_seen = ts->rx_bytes;
		d->rx_seen_ms = ev.now_ms;
	}
	ev.rx_age_ms = ev.now_ms - d->rx_seen_ms;
	/* The echo probe's answers (tunnel.h): the gateway heard us. */
	ev.echo = tunnel_has_echo(&d->tun, &d->pol);
	if (tunnel_echo_heard(&d->tun, &d->pol) > 0)
		d->echo_seen_ms = ev.now_ms;
	ev.echo_age_ms = d->echo_seen_ms == 0 ? UINT64_MAX : ev.now_ms - d->echo_seen_ms;
	on_event(&ev, d);
	ev.type = EV_TICK;
	on_event(&ev, d);
}

/* gateway-timeout after the tunnel was pointed at a gateway or moved: no
 * session with the gateway, the next one (engine.h). */
void
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

void
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
void
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
		} else if (dns_reaped(&d->dns, pid)) {
			log_warnx("dns: the resolver checker (pid %d) exited", (int)pid);
		} else if (verifier_reaped(pid)) {
			log_warnx("bundle verifier (pid %d) exited; the next bundle starts "
			    "another", (int)pid);
			continue;
		} else if (bverify_reaped(pid)) {
			log_warnx("beacon verifier (pid %d) exited; no office beacon verified "
			    "until it runs again", (int)pid);
		} else if (frontend_reaped(&d->front, pid)) {
			log_warnx("frontend (pid %d) exited; the control socket is served "
			    "again in %llu ms", (int)pid, (unsigned long long)
			    respawn_died(&d->front_respawn, now_ms()));
			timers_on_respawn_due(&d->timers, d->front_respawn.due_ms);
			continue;
		} else if (engproc_reaped(&d->eng, pid)) {
			eng_lost(d, "engine: exited");	/* arms its restart */
			continue;
		} else if (signon_reaped(&d->signon, pid, status, now_ms())) {
			timers_on_respawn_due(&d->timers, signon_due(&d->signon));
			continue;
		} else if (prober_reaped(&d->prober, pid)) {
			continue;
		} else {
			fetch_reaped(&d->fetch, pid, status);
			continue;
		}
		timers_on_child_exit(&d->timers, now_ms());
	}
}

void
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
	if (d->dns.pid == -1 && dns_restart(d) < 0)
		timers_on_child_exit(&d->timers, now_ms());
	if (bverify_absent() && bverify_restart() < 0)
		timers_on_child_exit(&d->timers, now_ms());
	if (d->work.dhcp == -1 && workside_dhcp_start(&d->work, &d->pol) < 0) {
		d->work.dhcp = -1;
		timers_on_child_exit(&d->timers, now_ms());
	}
	eng_restart(d);
	front_restart(d);
	signon_restart(&d->signon, &d->pol, now_ms());
	if (signon_due(&d->signon) != 0)
		timers_on_respawn_due(&d->timers, signon_due(&d->signon));
	/* Not yet due (backing off): looked at again when it is. */
	if (!eng_running(d) && d->eng_respawn.due_ms != 0)
		timers_on_respawn_due(&d->timers, d->eng_respawn.due_ms);
	if (d->front.pid == 0 && d->front_respawn.due_ms != 0)
		timers_on_respawn_due(&d->timers, d->front_respawn.due_ms);
}

void
front_restart(struct sekishod *d)
{
	struct sk_error err = { 0 };
	int lfd = -1;

	if (d->front.pid != 0 || d->ctl_listen == -1 || d->front_respawn.due_ms == 0 ||
	    now_ms() < d->front_respawn.due_ms)
		return;
	if (d->front.fd != -1)
		close(d->front.fd);
	d->front.fd = -1;
	fw_settle(d->fw);	/* no netlink socket of ours into the child */
	nfset_settle();
	if (frontend_start(&d->front, &err) < 0 ||
	    (lfd = fcntl(d->ctl_listen, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    frontend_listen(&d->front, lfd, work_listener(d), &err) < 0) {
		log_warnx("frontend: cannot start again: %s", err.msg);
		respawn_died(&d->front_respawn, now_ms());
		timers_on_respawn_due(&d->timers, d->front_respawn.due_ms);
		return;
	}
	respawn_started(&d->front_respawn, now_ms());
	log_info("frontend: started again (pid %d); the control socket is served",
	    (int)d->front.pid);
}

/*
 * Another program may flush the ruleset under us (Debian's own
 * nftables.service does `flush ruleset` at start). Nothing leaks while the
 * table is gone (what no mode routes goes back to work, and the endpoint
 * rule serves the netvm's own traffic only), but nothing works either: the
 * mode's ruleset goes back in at once, through the path of a failed load,
 * so that it lands on the base ruleset if it cannot. A listing of table
 * names only: cheap at any policy size.
 */
void
check_table(struct sekishod *d)
{
	int rc = fw_table_listed(d->fw, "inet", FW_TABLE);

	if (rc != 0)
		return;	/* there, or nftables could not say: next time */
	log_warnx("nftables: table inet %s is gone (flushed by another program?); "
	    "loading mode %s again", FW_TABLE, mode_name(d->engine.mode));
	fw_model_free(d->fw_held);	/* what it held is gone: a full load */
	d->fw_held = NULL;
	rules_retry(d);
}
