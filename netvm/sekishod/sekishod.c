/*
 * sekishod: the netvm daemon. Loads the fail-closed ruleset before it looks
 * at any uplink, watches the uplinks through rtnetlink, feeds the engine,
 * and hands its actions to actions.c: nftables transactions and route
 * changes. This file is start-up, the main loop and dispatch; sekishod.h
 * says which file holds the rest.
 *
 *	sekishod [-dnvB] [-f policy | -b bundle [-k agency-keys] [-D device-pub]
 *	    [-S serial-store] [-i incoming]] [-w work-if] [-t tunnel-if]
 *	    [-s socket] [-r rundir] [-P probe-helper] [-V beacon-verifier]
 *	    [-C dns-checker] [-G fetch-helper] [-N device-name [-K signon-key]]
 *	sekishod -B [-F]
 *
 * -N names this laptop in the agency's registry: with it, a policy that
 * names a verifier gets the sign-on relay (signon.h), signing with the
 * key at -K (default /etc/sekisho/signon.key, 0600).
 *
 * -B loads the base ruleset (everything blocked, no policy needed) when
 * the table is absent, and exits: the early-boot unit. With -F it replaces
 * whatever table is there by the base ruleset: what the unit runs when
 * sekishod stops or fails (ExecStopPost), so no mode's rules outlive it.
 *
 * With -b the policy comes from a signed bundle (docs/bundle.md), and a
 * newer one put at the incoming path is taken live on SIGHUP or
 * `sekishoctl reload`; with -f, from a plain policy file read at start.
 */
#include "netvm/sekishod/sekishod.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/ifname.h"
#include "lib/log.h"
#include "lib/notify.h"
#include "lib/proc.h"
#include "lib/sandbox.h"
#include "lib/util.h"
#include "netvm/sekishod/bundle_verify.h"
#include "netvm/sekishod/bverify.h"
#include "netvm/sekishod/control.h"
#include "netvm/sekishod/firewall.h"
#include "netvm/sekishod/route.h"
#include "netvm/sekishod/route6.h"

/*
 * What the parent keeps of root's capabilities (the same list as
 * sekishod.service's CapabilityBoundingSet): CAP_NET_ADMIN (nftables,
 * routes, rules, links, WireGuard, the TUN device), CAP_NET_RAW (the
 * beacon socket's SO_BINDTODEVICE, sekisho-dhcpd's packet socket),
 * CAP_NET_BIND_SERVICE (sekisho-dhcpd's port 67), CAP_SETUID, CAP_SETGID
 * (the sandboxed users), CAP_SETPCAP (the sandbox empties the bounding
 * set), CAP_CHOWN (a helper's pipes, wireguard-go's UAPI socket), CAP_KILL
 * (ending helpers that run as other users).
 */
static const int parent_caps[] = { CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE,
	CAP_SETUID, CAP_SETGID, CAP_SETPCAP, CAP_CHOWN, CAP_KILL };

/*
 * The parent's own seccomp allow-list (beyond lib/sandbox.c's base list),
 * under no_new_privs (sandbox_filter_self). Seccomp filters are inherited,
 * so it also covers what the processes it starts do until they narrow it
 * themselves: the frontend and the engine, and between fork and exec each
 * helper (sandbox_spawn's child: descriptors, the user, the capability
 * sets, Landlock, its own filter, execve); each helper's own list
 * (sekisho-probe, -fetch, -dhcpd, -dnscheck, -beacon-verify, sekisho-policy
 * verify, wireguard-go) is a subset of this one. Gathered with strace -f
 * over the integration tests of sekishod (docs/architecture.md); what it
 * leaves out, it must never need: mount, ptrace, bpf, kernel modules,
 * kexec, reboot, keyctl, perf_event_open, userfaultfd, io_uring,
 * process_vm_readv/writev, personality, ... A call outside it kills the
 * parent (SIGSYS); systemd then loads the base ruleset (ExecStopPost) and
 * starts it again. SEKISHO_SANDBOX_DEBUG=1 names the call instead.
 */
static const int parent_calls[] = {
	/* files: the policy, bundles, the serial store, rundir, /proc, /sys */
	SCMP_SYS(access), SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(statx),
	SCMP_SYS(fstatfs), SCMP_SYS(statfs), SCMP_SYS(getdents64), SCMP_SYS(readlink),
	SCMP_SYS(readlinkat), SCMP_SYS(getcwd), SCMP_SYS(mkdir), SCMP_SYS(mkdirat),
	SCMP_SYS(unlink), SCMP_SYS(unlinkat), SCMP_SYS(rename), SCMP_SYS(renameat),
	SCMP_SYS(renameat2), SCMP_SYS(link), SCMP_SYS(linkat), SCMP_SYS(chmod),
	SCMP_SYS(fchmod), SCMP_SYS(fchmodat), SCMP_SYS(chown), SCMP_SYS(fchown),
	SCMP_SYS(fchownat), SCMP_SYS(umask), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(ftruncate), SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3),
	SCMP_SYS(pipe2), SCMP_SYS(memfd_create), SCMP_SYS(close_range),
	SCMP_SYS(inotify_init1), SCMP_SYS(inotify_add_watch), SCMP_SYS(inotify_rm_watch),
	/* sockets: netlink (routes, nftables, WireGuard), the control socket,
	 * the engine's and the frontend's pairs, helpers' UDP and TCP */
	SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(bind), SCMP_SYS(listen),
	SCMP_SYS(accept4), SCMP_SYS(connect), SCMP_SYS(shutdown), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
	SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg), SCMP_SYS(recvmmsg), SCMP_SYS(ioctl),
	/* waiting */
	SCMP_SYS(pselect6), SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(eventfd2),
	SCMP_SYS(signalfd4), SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity),
	/* processes: helpers started in their sandboxes, ended, reaped */
	SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(execve), SCMP_SYS(wait4),
	SCMP_SYS(waitid), SCMP_SYS(kill), SCMP_SYS(tgkill), SCMP_SYS(tkill),
	SCMP_SYS(getppid), SCMP_SYS(set_tid_address), SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq), SCMP_SYS(arch_prctl), SCMP_SYS(rt_sigaction),
	SCMP_SYS(sigaltstack), SCMP_SYS(prctl), SCMP_SYS(seccomp), SCMP_SYS(prlimit64),
	SCMP_SYS(getrlimit), SCMP_SYS(setrlimit), SCMP_SYS(capget), SCMP_SYS(capset),
	SCMP_SYS(setuid), SCMP_SYS(setresuid), SCMP_SYS(setresgid), SCMP_SYS(setgroups),
	SCMP_SYS(landlock_create_ruleset), SCMP_SYS(landlock_add_rule),
	SCMP_SYS(landlock_restrict_self), SCMP_SYS(uname), SCMP_SYS(sysinfo),
	SCMP_SYS(clock_getres), SCMP_SYS(getpgrp), SCMP_SYS(chdir), SCMP_SYS(fchdir),
};

static const struct sandbox parent_sandbox = {
	.name = "sekishod", .syscalls = parent_calls, .n_syscalls = nitems(parent_calls),
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sekishod [-dnvB] [-f policy | -b bundle [-k agency-keys] "
	    "[-D device-pub] [-S serial-store] [-i incoming]]\n"
	    "\t[-w work-if] [-t tunnel-if] [-s socket] [-r rundir] [-P probe-helper]\n"
	    "\t[-V beacon-verifier] [-C dns-checker] [-G fetch-helper]\n"
	    "\t[-N device-name [-K signon-key]]\n"
	    "       sekishod -B [-F]\t(the base ruleset if absent; -F: replacing any)\n");
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

void
on_event(const struct event *in, void *arg)
{
	struct sekishod *d = arg;
	struct action acts[ENG_MAX_ACTS];
	struct event ev = *in;
	size_t n;

	const struct uplink *u = engine_uplink(&d->engine, ev.ifindex);
	int fell = ev.type == EV_BEACON_FAIL && u != NULL && u->office == OFFICE_VERIFIED;

	if (ev.type == EV_LINK)
		ev.priority = uplink_priority(&d->pol, ev.name);
	ev.rand = (uint32_t)random();
	/* In the engine process; what comes back is checked (engside.c). */
	n = eng_handle(d, &ev, acts);

	if (d->quiet)
		return;
	/* Said once; the retries that fail too are quiet (office_retry). */
	if (fell && (u = engine_uplink(&d->engine, ev.ifindex)) != NULL &&
	    u->retry_wait_ms != 0)
		log_warnx("office: the beacon on %s did not answer; asking again in %llu s",
		    u->name, (unsigned long long)(u->retry_wait_ms / 1000));
	timers_on_office_retry(&d->timers, engine_office_retry_at(&d->engine));
	for (size_t i = 0; i < n; i++)
		do_action(d, &acts[i]);
	office_vouch_beacon(d, &ev);
}

static void
gather(struct status *st, void *arg)
{
	static struct tunnel_stats ts;
	static struct fetch_status fs;
	static struct expiry_status es;
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
	if (d->bundled)
		expiry_gather(d, &es);
	st->bundle = d->bundled ? &es : NULL;
	st->presence = d->pol.presence;
	st->presence_s = d->pol.presence_period_s;
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
	struct action acts[ENG_MAX_ACTS], probes[ENG_MAX_ACTS];
	static struct engine was;
	struct uplink proof;
	const struct uplink *u;
	size_t n;
	int rc, fresh;

	if (!eng_running(d))
		return;		/* when a new engine has started (eng_restart) */
	was = d->engine;
	fresh = d->resync_fresh;
	if (fresh)
		was.n_uplinks = 0;
	d->resync = 0;
	d->resync_fresh = 0;
	prober_stop_all(&d->prober);
	/* The parent's own view is kept: it does not come from the engine. */
	d->kv.work_ifindex = d->work.ifindex;
	d->kv.tun_ifindex = d->tun.ifindex;
	if (eng_init(d) < 0)
		return;		/* the engine is gone: eng_lost() said so */
	d->quiet = 1;
	rc = rtnl_watch_dump(d->rtnl);
	d->quiet = 0;
	if (!eng_running(d))
		return;
	if (rc < 0) {
		log_warnx("rtnetlink dump: %s", strerror(-rc));
		d->engine = was;	/* what it knew, for the next try */
		d->resync = 1;
		return;
	}
	eng_gateways(d, d->tun.endpoints, d->tun.n_endpoints, d->tun.gw);
	prefer_restore(d);
	/* What a beacon proved still holds on an uplink the kernel shows
	 * exactly as it was (engine_vouch); so does a predecessor's proof,
	 * whose office rules are then the ones in force (office.h). Office
	 * mode still passes the parent's bounds only with an answer the
	 * parent itself verified within office-vouch (engcheck.h), or its
	 * own proof file: counted as an answer of now (kv_prove). */
	for (size_t i = 0; i < was.n_uplinks; i++)
		eng_vouch(d, &was.uplinks[i]);
	if (!fresh && office_proof_load(d->rundir, &proof)) {
		d->rules_mode = MODE_OFFICE;
		if (eng_vouch(d, &proof))
			kv_prove(&d->kv, proof.ifindex, proof.name, now_ms());
	}
	n = eng_restate(d, now_ms(), acts);
	for (size_t i = 0; i < n; i++)
		do_action(d, &acts[i]);
	/* A proof kept is asked again at once; the others are probed. */
	if ((u = engine_office_uplink(&d->engine)) != NULL) {
		log_info("uplink %s: unchanged since beacon %s verified it; asking again",
		    u->name, u->beacon);
		reverify(d);
	}
	n = eng_probe_all(d, probes);
	for (size_t i = 0; i < n; i++)
		do_action(d, &probes[i]);
}

/* Idle time after which the last transaction's sockets are freed. */
#define SETTLE_MS	30
#define TIDY_LATEST_MS	1000	/* a tidy waits for an idle moment at most so long */

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
		if (prober_read(&d->prober, &pfd[i], &ev, now_ms()))
			on_event(&ev, d);
	prober_expire(&d->prober, now_ms(), on_event, d);
}

static const struct ctl_ops ctl_ops = { gather, ctl_reload, ctl_prefer };

/* The frontend's heartbeat (frontend.h): a ping unanswered for
 * FRONTEND_PING_MS, and nothing waiting from it either, ends it. */
static void
front_beat(struct sekishod *d)
{
	uint64_t ms;

	timers_on_front_ping(&d->timers, now_ms(), FRONTEND_PING_MS / 2);
	if (frontend_beat(&d->front, now_ms()) == 0)
		return;
	/* Its pong may be waiting behind the parent's own work. */
	frontend_dispatch(&d->front, &ctl_ops, d);
	if (frontend_beat(&d->front, now_ms()) == 0)
		return;
	ms = respawn_died(&d->front_respawn, now_ms());
	log_warnx("frontend (pid %d): no answer in %d ms; killed, the control socket is "
	    "served again in %llu ms", (int)d->front.pid, FRONTEND_PING_MS,
	    (unsigned long long)ms);
	frontend_kill(&d->front);
	timers_on_respawn_due(&d->timers, d->front_respawn.due_ms);
}

static const struct timer_ops timer_ops = { poll_tunnel, restart_children, recheck,
	fetch_now, fetch_overdue, check_gateway, rules_retry, office_vouch, watchdog,
	check_table, expiry_check, office_retry, front_beat, office_arp };

static void
loop(struct sekishod *d)
{
	struct pollfd pfd[5 + PROBER_MAX_POLLFDS];
	size_t np;
	int rc, nf, nd, nready, timeout, settle;

	while (!d->quit) {
		if (d->resync && eng_running(d))
			resync(d);
		if (d->has_pending) {
			d->has_pending = 0;
			on_event(&d->pending, d);
			continue;
		}
		office_unroute_now(d);
		accept_finish(&d->acc);	/* the commit's rest, once answered */
		/* The tidy is some CPU (the services' section rendered again): it
		 * waits until sekishod is idle (below), so that the answer
		 * reaches whoever asked first; at most TIDY_LATEST_MS. */
		if (d->tidy_due != 0 && now_ms() - d->tidy_due >= TIDY_LATEST_MS)
			tidy_now(d);
		pfd[0] = (struct pollfd){ .fd = rtnl_watch_fd(d->rtnl), .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = d->front.fd, .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = d->sig_fd, .events = POLLIN };
		np = prober_pollfds(&d->prober, pfd + 3, PROBER_MAX_POLLFDS);
		nf = fetch_pollfd(&d->fetch, &pfd[3 + np]);
		nd = dns_pollfd(&d->dns, &pfd[3 + np + (size_t)nf]);
		/* The last transaction's sockets (lib/nftload.c, nfset.c) are
		 * freed once sekishod has been idle for SETTLE_MS: by then
		 * the kernel no longer makes their closing wait, and the cost
		 * of freeing (a full load's context is large) falls in idle
		 * time, not on the next mode change. */
		timeout = poll_timeout(d);
		settle = (fw_kept(d->fw) || nfset_kept()) && (timeout < 0 || timeout > SETTLE_MS);
		if (settle)
			timeout = SETTLE_MS;
		if ((nready = poll(pfd, 3 + np + (size_t)(nf + nd), timeout)) == -1 && errno != EINTR)
			fatal("poll");
		if (nready == 0 && settle && d->tidy_due != 0)
			tidy_now(d);	/* its sockets are settled next time */
		else if (nready == 0 && settle) {
			fw_settle(d->fw);
			nfset_settle();
		}
		if (pfd[0].revents & POLLIN && (rc = rtnl_watch_read(d->rtnl)) < 0) {
			log_warnx("rtnetlink: %s; reading the state again", strerror(-rc));
			d->resync = 1;
		}
		on_probes(d, pfd + 3, np);
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
			frontend_dispatch(&d->front, &ctl_ops, d);
		if (pfd[2].revents & POLLIN)
			on_signal(d);
		if (nf && pfd[3 + np].revents & (POLLIN | POLLHUP | POLLERR))
			fetch_read(&d->fetch);
		fetch_end(d);
		if (nd && pfd[3 + np + (size_t)nf].revents & (POLLIN | POLLHUP | POLLERR))
			dns_read(d);
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

void
v6_forwarding(int on)
{
	write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", on ? "1" : "0");
}

/* Forwarding for IPv4, and for IPv6 only with a policy that has IPv6
 * LGWAN prefixes; no redirects; ARP only for an interface's own address;
 * refusals answered without the per-host ICMP rate limit (they only ever
 * go to the work partition: work's forged sources end before routing,
 * fw_render.c chain worksrc). */
static void
kernel_settings(const char *work_if, int v6)
{
	char path[128];

	write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
	v6_forwarding(v6);
	write_sysctl("/proc/sys/net/ipv4/icmp_ratelimit", "0");
	write_sysctl("/proc/sys/net/ipv6/icmp/ratelimit", "0");
	write_sysctl("/proc/sys/net/ipv4/conf/all/send_redirects", "0");
	/* ARP answered on an interface only for that interface's own
	 * address (the larger of "all" and the interface's is used): a
	 * guest on a hotel LAN learned the device's tunnel address, its
	 * identity inside LGWAN, and the work link's, from the uplink's
	 * answers (32-uplink-inner). */
	write_sysctl("/proc/sys/net/ipv4/conf/all/arp_ignore", "1");
	/* A carrier loss flushes the uplink's neighbour entries (the kernel's
	 * default, said here): after a cable swap the office router is
	 * resolved afresh, and office mode's egress check (fw_office.h) sees
	 * the new LAN's router before anything leaves towards it. */
	write_sysctl("/proc/sys/net/ipv4/conf/all/arp_evict_nocarrier", "1");
	write_sysctl("/proc/sys/net/ipv4/conf/default/arp_evict_nocarrier", "1");
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/send_redirects", work_if);
	write_sysctl(path, "0");
}

static int
signals_open(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };

	return signals_fd(sigs, sizeof(sigs) / sizeof(sigs[0]));
}

static void
control_start(struct sekishod *d)
{
	struct sk_error err;

	fw_settle(d->fw);	/* no netlink socket of ours into the child */
	nfset_settle();
	if (frontend_start(&d->front, &err) < 0)
		fatalx("%s", err.msg);
}

/* The sign-on relay asks the control socket for the mode and uplink of
 * each request (the audit trail names them): the socket becomes its
 * group's (0660) and so does the run directory when it holds the socket,
 * only to pass through (0710); control.c answers a client that is not
 * root its status and nothing else. Without them the relay records the
 * mode as unknown, nothing more. */
static void
share_status(const struct sekishod *d)
{
	const struct passwd *pw;
	size_t n = strlen(d->rundir);

	if ((pw = getpwnam(SANDBOX_USER_SIGNON)) == NULL) {
		log_warnx("sign-on relay: no user %s: its requests are recorded with the "
		    "mode unknown", SANDBOX_USER_SIGNON);
		return;
	}
	if (strncmp(d->sock_path, d->rundir, n) == 0 && d->sock_path[n] == '/' &&
	    strchr(d->sock_path + n + 1, '/') == NULL &&
	    (chown(d->rundir, 0, pw->pw_gid) == -1 || chmod(d->rundir, 0710) == -1))
		log_warn("sign-on relay: %s", d->rundir);
	if (chown(d->sock_path, 0, pw->pw_gid) == -1 || chmod(d->sock_path, 0660) == -1)
		log_warn("sign-on relay: %s", d->sock_path);
}

/* The agent's socket on the work link, for a (new) frontend: made afresh
 * each time and kept by the frontend alone, so that no root process holds
 * a socket work can reach (23-work-privilege). -1 if it cannot be made:
 * then the agent is not served, the control socket still is. */
int
work_listener(struct sekishod *d)
{
	int fd;

	if ((fd = ctl_listen_work(d->work_if, CTL_WORK_PORT)) < 0) {
		log_warnx("control socket on the work link (%s, TCP %d): %s; the agent's "
		    "requests are not served", d->work_if, CTL_WORK_PORT, strerror(-fd));
		return -1;
	}
	return fd;
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
	kv_init(&d->kv, d->work.ifindex, d->tun.ifindex);
	if ((d->rtnl = rtnl_watch_open(on_event, d)) == NULL)
		fatal("rtnetlink");
	if ((d->ctl_fd = ctl_listen(d->sock_path)) < 0) {
		errno = -d->ctl_fd;
		fatal("control socket %s", d->sock_path);
	}
	if (d->signon.device != NULL)
		share_status(d);
	/* The frontend gets its own copy; ours is for a restarted one. */
	d->ctl_listen = d->ctl_fd;
	d->ctl_fd = -1;
	if (frontend_listen(&d->front, fcntl(d->ctl_listen, F_DUPFD_CLOEXEC, 3),
	    work_listener(d), &err) < 0)
		fatalx("%s", err.msg);
	respawn_started(&d->front_respawn, now_ms());
	timers_on_start(&d->timers, now_ms());
	timers_on_front_ping(&d->timers, now_ms(), FRONTEND_PING_MS / 2);
	timers_on_watchdog(&d->timers, now_ms(), notify_watchdog_usec());
	if (signon_start(&d->signon, &d->pol, now_ms()) < 0)
		timers_on_respawn_due(&d->timers, signon_due(&d->signon));
	if (d->bundled)
		expiry_check(d);	/* arms T_EXPIRY for the bundle in force */
	d->resync = 1;
}

static void
shutdown_daemon(struct sekishod *d)
{
	notify_send("STOPPING=1");
	/* A clean stop leaves work cut off, like a crash does. */
	apply_rules(d, MODE_BLOCKED, NULL);
	office_unroute_now(d);
	prober_stop_all(&d->prober);
	office_arp_stop(d);
	fetch_stop(&d->fetch);
	dns_stop(&d->dns);
	bverify_stop();
	verifier_stop();
	signon_stop(&d->signon);
	frontend_stop(&d->front);
	engproc_stop(&d->eng);
	if (d->ctl_listen != -1)
		close(d->ctl_listen);
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
		.ctl_listen = -1, .eng = { .fd = -1 }, .arp_fd = -1,
		.signon = { .key_path = "/etc/sekisho/signon.key" },
	};
	struct sk_error err;
	char helper[PATH_MAX], verifier[PATH_MAX], store[PATH_MAX], incoming[PATH_MAX],
	    fetcher[PATH_MAX], dnscheck[PATH_MAX], bverifier[PATH_MAX];
	int ch, foreground = 0, verbose = 0, check = 0, base_only = 0, plain = 0, force = 0;

	/* The engine or the frontend, exec'd by the parent (engproc.h): its
	 * own life, nothing of the daemon's. */
	if (argc > 1 && strcmp(argv[1], SEKISHOD_CHILD_ARG) == 0) {
		if (child_role(argc, argv) == CHILD_ENGINE)
			engproc_main(SEKISHOD_CHILD_FD, NULL);
		frontend_main(SEKISHOD_CHILD_FD, NULL);
	}
	default_helper("sekisho-probe", helper, sizeof(helper));
	default_helper("sekisho-policy", verifier, sizeof(verifier));
	default_helper("sekisho-fetch", fetcher, sizeof(fetcher));
	default_helper("sekisho-dnscheck", dnscheck, sizeof(dnscheck));
	default_helper("sekisho-beacon-verify", bverifier, sizeof(bverifier));
	default_helper("sekisho-signon", d.signon.helper, sizeof(d.signon.helper));
	d.acc.helper = verifier;
	while ((ch = getopt(argc, argv, "BC:D:FG:K:N:P:S:V:b:df:i:k:nr:s:t:vw:")) != -1) {
		switch (ch) {
		case 'B': base_only = 1; break;
		case 'F': force = 1; break;
		case 'K': d.signon.key_path = optarg; break;
		case 'N': d.signon.device = optarg; break;
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
		case 'V': sk_strlcpy(bverifier, optarg, sizeof(bverifier)); break;
		case 'C': sk_strlcpy(dnscheck, optarg, sizeof(dnscheck)); break;
		case 'G': sk_strlcpy(fetcher, optarg, sizeof(fetcher)); break;
		default: usage();
		}
	}
	if (!ifname_valid(d.work_if) || !ifname_valid(d.tun_if)) {
		fprintf(stderr, "sekishod: interface names take letters, digits, '-', '_' and '.', "
		    "at most 15\n");
		exit(1);
	}
	if (optind != argc || (plain && d.bundled) || (force && !base_only))
		usage();
	d.signon.ctl_path = d.sock_path;
	if (d.bundled)
		bundle_paths(&d, store, incoming, sizeof(store));
	log_init("sekishod", foreground || base_only, verbose + LOG_LEVEL_INFO);
	/* Before any input is read: not dumpable, and of root's capabilities
	 * only those the unit grants (sekishod.service), whoever starts it. */
	if (!check && sandbox_keep_caps(parent_caps, nitems(parent_caps), &err) < 0)
		fatalx("privileges: %s", err.msg);
	if (!check && sandbox_filter_self(&parent_sandbox, &err) < 0)
		fatalx("privileges: %s", err.msg);
	if ((d.fw = fw_open(&err)) == NULL)
		fatalx("%s", err.msg);
	if (force)
		return load_base(d.fw) < 0 ? 1 : 0;
	/* Before anything else: no instant without a ruleset. */
	if (!check && ensure_base(d.fw) < 0)
		fatalx("cannot load the base ruleset; refusing to go on");
	if (base_only)
		return 0;
	signal(SIGPIPE, SIG_IGN);	/* a verifying helper may quit reading */
	/* The control socket's clients are served by the frontend, forked
	 * before the policy and the device key are read (frontend.h). */
	if (!check) {
		control_start(&d);
		/* So is the engine (engproc.h): it needs neither. */
		if (eng_start(&d) < 0)
			fatalx("engine: cannot start");
	}
	load_config(&d, check);
	if (check)
		return check_only(&d);
	prober_init(&d.prober, helper);
	fetch_init(&d.fetch, fetcher);
	dns_init(&d.dns, dnscheck);
	(void)bverify_init(bverifier);	/* absent: no office mode until it runs */
	srandom((unsigned int)(now_ms() ^ (uint64_t)getpid()));
	if ((d.sig_fd = signals_open()) == -1)
		fatal("signals");
	start(&d);
	log_info("started: policy serial %llu, work link %s, tunnel %s",
	    (unsigned long long)d.pol.serial, d.work_if, d.tun_if);
	notify_send("READY=1");
	loop(&d);
	shutdown_daemon(&d);
	return 0;
}
