#include "netvm/sekishod/office.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/util.h"
#include "netvm/sekishod/live.h"
#include "netvm/sekishod/route.h"
#include "netvm/sekishod/timers.h"
#include "policy/policy.h"


int
office_routes(const struct policy *pol, int oif, const struct in_addr *gw)
{
	int rc;

	for (size_t i = 0; i < pol->n_lgwan; i++)
		if ((rc = route_replace(SK_RT_OFFICE, pol->lgwan[i].addr,
		    pol->lgwan[i].plen, gw, oif)) < 0)
			return rc;
	for (size_t i = 0; i < pol->n_office_resolvers; i++)
		if ((rc = route_replace(SK_RT_OFFICE, pol->office_resolvers[i], 32,
		    gw, oif)) < 0)
			return rc;
	return 0;
}

int
office_withdraw(const struct policy *old, const struct policy *new)
{
	int rc, first = 0;

	for (size_t i = 0; i < old->n_lgwan; i++) {
		const struct prefix4 *p = &old->lgwan[i];

		if (!live_has_prefix(new, p->addr, p->plen) &&
		    (rc = route_del(SK_RT_OFFICE, p->addr, p->plen)) < 0 && first == 0)
			first = rc;
	}
	for (size_t i = 0; i < old->n_office_resolvers; i++) {
		struct in_addr a = old->office_resolvers[i];

		if (!live_has_office_resolver(new, a) && !live_has_prefix(new, a, 32) &&
		    (rc = route_del(SK_RT_OFFICE, a, 32)) < 0 && first == 0)
			first = rc;
	}
	return first;
}

int
office_unroute(const struct policy *pol)
{
	int rc, first = 0;

	for (size_t i = 0; i < pol->n_lgwan; i++)
		if ((rc = route_del(SK_RT_OFFICE, pol->lgwan[i].addr, pol->lgwan[i].plen)) < 0 &&
		    first == 0)
			first = rc;
	for (size_t i = 0; i < pol->n_office_resolvers; i++)
		if ((rc = route_del(SK_RT_OFFICE, pol->office_resolvers[i], 32)) < 0 &&
		    first == 0)
			first = rc;
	return first;
}

#define PROOF_MAGIC	0x534b4f31u	/* "SKO1": version 1 of the layout */

struct proof {
	uint32_t	magic;
	uint32_t	size;		/* sizeof(struct proof): same build */
	struct uplink	u;
};

static void
proof_path(const char *rundir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/office", rundir);
}

int
office_proof_save(const char *rundir, const struct uplink *u)
{
	struct proof p = { PROOF_MAGIC, sizeof(p), *u };
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, rc = 0;

	proof_path(rundir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1)
		return -errno;
	if (write(fd, &p, sizeof(p)) != (ssize_t)sizeof(p))
		rc = errno != 0 ? -errno : -EIO;
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int
office_proof_load(const char *rundir, struct uplink *u)
{
	char path[PATH_MAX];
	struct proof p;
	struct stat st;
	ssize_t n;
	int fd;

	proof_path(rundir, path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return 0;
	n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    (st.st_mode & 077) == 0 && st.st_size == (off_t)sizeof(p) ?
	    read(fd, &p, sizeof(p)) : -1;
	close(fd);
	if (n != (ssize_t)sizeof(p) || p.magic != PROOF_MAGIC || p.size != sizeof(p) ||
	    p.u.office != OFFICE_VERIFIED || memchr(p.u.name, '\0', sizeof(p.u.name)) == NULL ||
	    memchr(p.u.beacon, '\0', sizeof(p.u.beacon)) == NULL) {
		log_warnx("%s: not a proof of office mode; ignored", path);
		return 0;
	}
	*u = p.u;
	return 1;
}

void
office_proof_drop(const char *rundir)
{
	char path[PATH_MAX];

	proof_path(rundir, path, sizeof(path));
	unlink(path);
}

void
prober_init(struct prober *p, const char *helper)
{
	memset(p, 0, sizeof(*p));
	sk_strlcpy(p->helper, helper, sizeof(p->helper));
}

int
prober_reaped(struct prober *p, pid_t pid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->runs[i].pid == pid) {
			p->runs[i].pid = 0;	/* never to be signalled again */
			return 1;
		}
	return 0;
}

static void
run_end(struct prober *p, size_t i)
{
	struct probe_run *r = &p->runs[i];

	/* A helper still running; reaped by sekishod's SIGCHLD handler, which
	 * forgets one it reaped first (prober_reaped): its pid may already
	 * name another process. */
	if (r->pid > 0)
		kill(r->pid, SIGKILL);
	close(r->fd);
	p->runs[i] = p->runs[--p->n];
}

/* The beacons, one per line: what sekisho-probe reads (public keys only). */
static void
write_targets(int fd, const struct policy *pol)
{
	char line[256], a[INET_ADDRSTRLEN], k[2][KEY_B64_LEN];

	for (size_t i = 0; i < pol->n_beacons; i++) {
		const struct policy_beacon *b = &pol->beacons[i];
		int n;

		for (size_t j = 0; j < b->n_keys; j++)
			key_to_b64(k[j], b->keys[j]);
		n = snprintf(line, sizeof(line), "%s %s:%u %s %s\n", b->id,
		    inet_ntop(AF_INET, &b->addr.sin_addr, a, sizeof(a)),
		    ntohs(b->addr.sin_port), k[0], b->n_keys > 1 ? k[1] : "");
		if (write(fd, line, (size_t)n) != n)
			return;
	}
}

static int
spawn(struct prober *p, const char *ifname, const struct policy *pol,
    int in[2], int out[2], pid_t *pid)
{
	char t[16], a[16], *argv[] = { "sekisho-probe", "-i", (char *)(uintptr_t)ifname,
	    "-t", t, "-a", a, NULL };
	snprintf(t, sizeof(t), "%u", pol->beacon_timeout_ms);
	snprintf(a, sizeof(a), "%u", pol->beacon_attempts);
	return spawn_child(pid, p->helper, argv, in[0], out[1], -1);
}

int
prober_start(struct prober *p, const struct policy *pol, int ifindex,
    const char *ifname, uint64_t now)
{
	struct probe_run *r;
	int in[2], out[2], rc;

	for (size_t i = 0; i < p->n; i++)
		if (p->runs[i].ifindex == ifindex) {
			run_end(p, i);
			break;
		}
	if (p->n == ENGINE_MAX_UPLINKS)
		return -ENOSPC;
	if (pipe2(in, O_CLOEXEC) == -1)
		return -errno;
	if (pipe2(out, O_CLOEXEC) == -1) {
		rc = -errno;
		close(in[0]);
		close(in[1]);
		return rc;
	}
	r = &p->runs[p->n];
	memset(r, 0, sizeof(*r));
	rc = spawn(p, ifname, pol, in, out, &r->pid);
	close(in[0]);
	close(out[1]);
	if (rc == 0)
		write_targets(in[1], pol);
	close(in[1]);
	if (rc < 0) {
		close(out[0]);
		return rc;
	}
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	r->ifindex = ifindex;
	sk_strlcpy(r->ifname, ifname, sizeof(r->ifname));
	r->fd = out[0];
	r->deadline = timers_probe_deadline(pol, now);
	p->n++;
	return 0;
}

size_t
prober_pollfds(const struct prober *p, struct pollfd *pfd, size_t max)
{
	size_t i;

	for (i = 0; i < p->n && i < max; i++) {
		pfd[i].fd = p->runs[i].fd;
		pfd[i].events = POLLIN;
		pfd[i].revents = 0;
	}
	return i;
}

/* "ok ID KEY RTT" or "fail REASON" into an event, logged. */
static void
verdict(const struct probe_run *r, const char *line, struct event *ev, uint64_t now)
{
	char id[ENGINE_BEACON_ID + 1];
	unsigned int rtt;
	int key;

	memset(ev, 0, sizeof(*ev));
	ev->ifindex = r->ifindex;
	ev->now_ms = now;
	if (sscanf(line, "ok %32s %d %u", id, &key, &rtt) == 3) {
		ev->type = EV_BEACON_OK;
		sk_strlcpy(ev->beacon, id, sizeof(ev->beacon));
		log_info("uplink %s: beacon %s verified (key %d, %u ms)", r->ifname,
		    id, key, rtt);
		return;
	}
	ev->type = EV_BEACON_FAIL;
	log_info("uplink %s: no office beacon verified: %s", r->ifname,
	    strncmp(line, "fail ", 5) == 0 ? line + 5 : "probe helper failed");
}

int
prober_read(struct prober *p, size_t i, struct event *ev, uint64_t now)
{
	struct probe_run *r = &p->runs[i];
	char *nl;
	ssize_t n;

	n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n > 0)
		r->len += (size_t)n;
	r->buf[r->len] = '\0';
	if ((nl = strchr(r->buf, '\n')) == NULL && n > 0 && r->len < sizeof(r->buf) - 1)
		return 0;
	if (nl != NULL)
		*nl = '\0';
	verdict(r, r->buf, ev, now);
	run_end(p, i);
	return 1;
}

void
prober_expire(struct prober *p, uint64_t now,
    void (*cb)(const struct event *, void *), void *arg)
{
	struct event ev;

	for (size_t i = 0; i < p->n; ) {
		if (p->runs[i].deadline > now) {
			i++;
			continue;
		}
		verdict(&p->runs[i], "fail probe helper did not answer in time", &ev, now);
		run_end(p, i);
		cb(&ev, arg);
	}
}

int
prober_timeout(const struct prober *p, uint64_t now)
{
	uint64_t next = 0;

	for (size_t i = 0; i < p->n; i++)
		if (next == 0 || p->runs[i].deadline < next)
			next = p->runs[i].deadline;
	if (next == 0)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

void
prober_stop_all(struct prober *p)
{
	while (p->n > 0)
		run_end(p, 0);
}
