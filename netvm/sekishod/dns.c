/*
 * Carrying out the resolver choice (dns.h): the checker process, its
 * lines, the transaction that moves work's DNS, the flows it forgets.
 */
#include "netvm/sekishod/sekishod.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "netvm/sekishod/dns.h"
#include "netvm/sekishod/firewall.h"
#include "netvm/sekishod/route.h"
#include "netvm/sekishod/timers.h"
#include "policy/render/fw_dns.h"

void
dns_init(struct dnswatch *w, const char *helper)
{
	memset(w, 0, sizeof(*w));
	sk_strlcpy(w->helper, helper, sizeof(w->helper));
	w->fd = -1;
}

int
dns_pollfd(const struct dnswatch *w, struct pollfd *pfd)
{
	if (w->fd < 0)
		return 0;
	*pfd = (struct pollfd){ .fd = w->fd, .events = POLLIN };
	return 1;
}

int
dns_reaped(struct dnswatch *w, pid_t pid)
{
	if (pid <= 0 || pid != w->pid)
		return 0;
	w->pid = -1;
	return 1;
}

static void
close_fd(struct dnswatch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->len = 0;
}

void
dns_stop(struct dnswatch *w)
{
	close_fd(w);
	if (w->pid > 0) {
		kill(w->pid, SIGTERM);
		waitpid(w->pid, NULL, 0);
	}
	w->pid = 0;
}

static int
start_checker(struct dnswatch *w)
{
	char iv[16], to[16], addrs[DNS_MAX_RESOLVERS][INET_ADDRSTRLEN];
	char *argv[6 + DNS_MAX_RESOLVERS] = { "sekisho-dnscheck", "-i", iv, "-t", to };
	int p[2], rc;

	snprintf(iv, sizeof(iv), "%u", DNS_CHECK_MS);
	snprintf(to, sizeof(to), "%u", DNS_CHECK_TIMEOUT_MS);
	for (size_t i = 0; i < w->n; i++) {
		inet_ntop(AF_INET, &w->res[i], addrs[i], sizeof(addrs[i]));
		argv[5 + i] = addrs[i];
	}
	argv[5 + w->n] = NULL;
	if (pipe2(p, O_CLOEXEC) == -1)
		return -errno;
	rc = spawn_child(&w->pid, w->helper, argv, -1, p[1], -1);
	close(p[1]);
	if (rc < 0) {
		close(p[0]);
		w->pid = -1;
		return rc;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	w->fd = p[0];
	w->len = 0;
	return 0;
}

static const char *
addr(const struct dnswatch *w, size_t i, char buf[INET_ADDRSTRLEN])
{
	return inet_ntop(AF_INET, &w->res[i], buf, INET_ADDRSTRLEN);
}

/* Work's DNS to resolver i from now on: the map's one element replaced,
 * then every translated DNS flow forgotten (a client reusing its source
 * port would keep the old translation). 0 or -errno. */
static int
move_dns(struct sekishod *d, size_t i)
{
	struct sk_error err;
	int rc;

	if ((rc = fw_dns_pick(d->fw, d->pol.work_router, d->dns.res[i], &err)) < 0) {
		log_warnx("dns: cannot move work's DNS: %s", err.msg);
		return rc;
	}
	if ((rc = conntrack_flush_mark(FW_DNS_CTMARK)) < 0)
		log_warnx("dns: cannot forget work's DNS flows: %s", strerror(-rc));
	return 0;
}

static int
same_list(const struct dnswatch *w, const struct in_addr *v, size_t n)
{
	if (n != w->n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].s_addr != w->res[i].s_addr)
			return 0;
	return 1;
}

void
dns_on_rules(struct sekishod *d)
{
	struct dnswatch *w = &d->dns;
	const struct in_addr *v;
	size_t n;

	if (d->rules_mode == MODE_BLOCKED) {
		dns_stop(w);
		w->n = 0;
		return;
	}
	fw_dns_resolvers(&d->pol, d->rules_mode, &v, &n);
	if (n > DNS_MAX_RESOLVERS)
		n = DNS_MAX_RESOLVERS;
	if (!same_list(w, v, n)) {
		char a[INET_ADDRSTRLEN];

		dns_stop(w);
		memcpy(w->res, v, n * sizeof(*v));
		w->n = n;
		dnspick_init(&w->pick, n);
		if (n > 1)
			log_info("dns: work's DNS goes to %s; %zu resolvers checked every %u ms",
			    addr(w, 0, a), n, DNS_CHECK_MS);
	}
	/* A single resolver has nothing to fail over to. */
	if (w->n > 1 && w->pid <= 0 && dns_restart(d) < 0)
		timers_on_child_exit(&d->timers, now_ms());
	/* The ruleset just loaded holds the first resolver. */
	if (w->pick.pick != 0 && move_dns(d, w->pick.pick) < 0) {
		w->pick.pick = 0;
		dnspick_init(&w->pick, w->n);
	}
}

int
dns_restart(struct sekishod *d)
{
	struct dnswatch *w = &d->dns;
	int rc;

	if (w->n < 2 || w->pid > 0)
		return 0;
	close_fd(w);
	if ((rc = start_checker(w)) < 0)
		log_warnx("dns: cannot start %s: %s", w->helper, strerror(-rc));
	return rc;
}

static void
on_round(struct sekishod *d, const uint8_t *alive)
{
	struct dnswatch *w = &d->dns;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	size_t from;

	if (!dnspick_round(&w->pick, alive))
		return;
	from = w->pick.from;
	if (move_dns(d, w->pick.pick) < 0) {
		w->pick.pick = from;	/* the kernel kept it */
		return;
	}
	if (w->pick.pick > from)
		log_info("dns: resolver %s does not answer; work's DNS goes to %s",
		    addr(w, from, a), addr(w, w->pick.pick, b));
	else
		log_info("dns: resolver %s answers again; work's DNS goes back to it from %s",
		    addr(w, w->pick.pick, a), addr(w, from, b));
}

void
dns_read(struct sekishod *d)
{
	struct dnswatch *w = &d->dns;
	uint8_t alive[DNS_MAX_RESOLVERS];
	struct sk_error err;
	char *nl;
	ssize_t r;
	int rc;

	r = read(w->fd, w->buf + w->len, sizeof(w->buf) - 1 - w->len);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		close_fd(w);	/* it exited: reaped, then restarted */
		return;
	}
	if (r < 0)
		return;
	w->len += (size_t)r;
	w->buf[w->len] = '\0';
	while ((nl = memchr(w->buf, '\n', w->len)) != NULL) {
		*nl = '\0';
		/* Parsed by the engine, not here: only its typed answer,
		 * held to the resolvers asked, comes back. */
		if ((rc = eng_parse_dns(d, w->buf, (size_t)(nl - w->buf), w->n, alive,
		    &err)) == -2) {
			/* No engine: everything is blocked until a new one
			 * has decided; the line is not read at all. */
			w->len = 0;
			return;
		}
		if (rc < 0) {
			/* A checker that says anything else is not trusted
			 * again: it is ended, and restarted by the timer. */
			log_warnx("%s; ending it", err.msg);
			if (w->pid > 0)
				kill(w->pid, SIGTERM);
			close_fd(w);
			return;
		}
		on_round(d, alive);
		w->len -= (size_t)(nl + 1 - w->buf);
		memmove(w->buf, nl + 1, w->len);
	}
	if (w->len == sizeof(w->buf) - 1) {
		log_warnx("dns check: line too long; ending it");
		if (w->pid > 0)
			kill(w->pid, SIGTERM);
		close_fd(w);
	}
}
