#include "netvm/sekishod/office.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/secfile.h"
#include "lib/util.h"
#include "netvm/sekishod/live.h"
#include "netvm/sekishod/route.h"
#include "netvm/sekishod/timers.h"
#include "policy/policy.h"

_Static_assert(PROBE_MAX_BEACONS == POLICY_MAX_BEACONS && ENGINE_BEACON_ID == POLICY_BEACON_ID,
    "a probe_run holds every beacon of a policy");


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

#define PROOF_MAGIC	"SKO2"	/* version 2: the layout in office.h */

_Static_assert(ENGINE_BEACON_ID + 1 == 33 && IF_NAMESIZE == 16,
    "the proof's layout (office.h) has fixed field widths");

static void
proof_path(const char *rundir, char *buf, size_t size)
{
	snprintf(buf, size, "%s/office", rundir);
}

/* A string field: its text, then NULs to the end (at least one). */
static void
put_str(uint8_t *p, const char *s, size_t width)
{
	size_t n = strnlen(s, width - 1);

	memset(p, 0, width);
	memcpy(p, s, n);
}

static int
get_str(char *s, const uint8_t *p, size_t width)
{
	const uint8_t *nul = memchr(p, '\0', width);

	if (nul == NULL)
		return -1;
	for (const uint8_t *q = nul; q < p + width; q++)
		if (*q != '\0')
			return -1;
	memcpy(s, p, width);
	return 0;
}

void
office_proof_encode(uint8_t out[OFFICE_PROOF_LEN], const struct uplink *u)
{
	memcpy(out, PROOF_MAGIC, 4);
	be32_put(out + 4, (uint32_t)u->ifindex);
	put_str(out + 8, u->name, sizeof(u->name));
	be32_put(out + 24, u->priority);
	be32_put(out + 28, (uint32_t)u->carrier);
	be32_put(out + 32, u->carrier_changes);
	be32_put(out + 36, (uint32_t)u->has_addr);
	memcpy(out + 40, &u->addr.s_addr, 4);
	out[44] = u->plen;
	be32_put(out + 45, (uint32_t)u->has_gw);
	memcpy(out + 49, &u->gw.s_addr, 4);
	put_str(out + 53, u->beacon, sizeof(u->beacon));
	be64_put(out + 86, u->verified_ms);
	be64_put(out + 94, u->stale_until_ms);
}

int
office_proof_parse(const uint8_t *buf, size_t len, struct uplink *u,
    struct sk_error *err)
{
	struct uplink p;

	memset(&p, 0, sizeof(p));
	if (len != OFFICE_PROOF_LEN)
		return sk_errorf(err, EINVAL, "%zu bytes, expected %d", len,
		    OFFICE_PROOF_LEN);
	if (memcmp(buf, PROOF_MAGIC, 4) != 0)
		return sk_errorf(err, EINVAL, "bad magic, expected \"%s\"", PROOF_MAGIC);
	p.ifindex = (int)be32_get(buf + 4);
	if (p.ifindex <= 0)
		return sk_errorf(err, EINVAL, "bad interface index");
	if (get_str(p.name, buf + 8, sizeof(p.name)) != 0 || p.name[0] == '\0')
		return sk_errorf(err, EINVAL, "bad interface name");
	p.priority = be32_get(buf + 24);
	p.carrier = (int)be32_get(buf + 28);
	p.carrier_changes = be32_get(buf + 32);
	p.has_addr = (int)be32_get(buf + 36);
	memcpy(&p.addr.s_addr, buf + 40, 4);
	p.plen = buf[44];
	if (p.plen > 32)
		return sk_errorf(err, EINVAL, "bad prefix length %u", p.plen);
	p.has_gw = (int)be32_get(buf + 45);
	memcpy(&p.gw.s_addr, buf + 49, 4);
	if (get_str(p.beacon, buf + 53, sizeof(p.beacon)) != 0)
		return sk_errorf(err, EINVAL, "bad beacon id");
	p.verified_ms = be64_get(buf + 86);
	p.stale_until_ms = be64_get(buf + 94);
	p.office = OFFICE_VERIFIED;
	*u = p;
	return 0;
}

int
office_proof_save(const char *rundir, const struct uplink *u)
{
	uint8_t p[OFFICE_PROOF_LEN];
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, rc = 0;

	if (u->office != OFFICE_VERIFIED)
		return -EINVAL;
	office_proof_encode(p, u);
	proof_path(rundir, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1)
		return -errno;
	if (write(fd, p, sizeof(p)) != (ssize_t)sizeof(p))
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
	/* A proof lets a restarted sekishod vouch for office mode: read as
	 * the trust files are, and only if this user's alone (mode 0600). */
	const struct secfile_rule rule = { "office proof", 1, (int)geteuid(), NULL };
	char path[PATH_MAX];
	struct sk_error err;
	uint8_t *p;
	size_t n;
	int rc;

	proof_path(rundir, path, sizeof(path));
	if ((rc = secfile_read(path, &rule, OFFICE_PROOF_LEN, &p, &n, &err)) < 0) {
		if (rc != -ENOENT)
			log_warnx("%s; ignored", err.msg);
		return 0;
	}
	rc = office_proof_parse(p, n, u, &err) == 0;
	free(p);
	if (!rc)
		log_warnx("%s: not a proof of office mode (%s); ignored", path, err.msg);
	return rc;
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
	/* The answer may name only a beacon it was asked about. */
	for (size_t i = 0; i < pol->n_beacons && i < PROBE_MAX_BEACONS; i++) {
		sk_strlcpy(r->beacons[i].id, pol->beacons[i].id, sizeof(r->beacons[i].id));
		r->beacons[i].n_keys = (unsigned int)pol->beacons[i].n_keys;
		r->n_beacons++;
	}
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

/* A decimal number as the probe prints it: digits, no leading zero. */
static int
answer_number(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	char buf[24];

	if (n == 0 || n >= sizeof(buf) || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return parse_u64(buf, 0, max, v);
}

int
probe_answer_parse(const char *line, const struct probe_beacon *b, size_t n,
    struct probe_answer *a, struct sk_error *err)
{
	const char *f[3], *end;
	size_t len[3], id_len;
	uint64_t key, rtt;
	size_t i;

	if (strncmp(line, "fail ", 5) == 0) {
		if (line[5] == '\0')
			return sk_errorf(err, EINVAL, "\"fail\" without a reason");
		for (const char *c = line + 5; *c != '\0'; c++)
			if (*c < 0x20 || *c > 0x7e)
				return sk_errorf(err, EINVAL, "unprintable reason");
		memset(a, 0, sizeof(*a));
		a->reason = line + 5;
		return 0;
	}
	if (strncmp(line, "ok ", 3) != 0)
		return sk_errorf(err, EINVAL, "neither \"ok\" nor \"fail\"");
	/* Three fields after "ok", each ended by one space or (the last) the end. */
	end = line + 3;
	for (i = 0; i < 3; i++) {
		f[i] = end;
		len[i] = strcspn(f[i], " ");
		end = f[i] + len[i];
		if (len[i] == 0 || (i < 2 ? *end != ' ' : *end != '\0'))
			return sk_errorf(err, EINVAL, "not \"ok ID KEY-INDEX RTT-MS\"");
		end++;
	}
	id_len = len[0];
	for (i = 0; i < n; i++)
		if (strlen(b[i].id) == id_len && memcmp(b[i].id, f[0], id_len) == 0)
			break;
	if (i == n)
		return sk_errorf(err, EINVAL, "a beacon it was not asked about");
	if (b[i].n_keys == 0 || answer_number(f[1], len[1], b[i].n_keys - 1, &key) != 0)
		return sk_errorf(err, EINVAL, "bad key index for beacon %s", b[i].id);
	if (answer_number(f[2], len[2], PROBE_RTT_MAX, &rtt) != 0)
		return sk_errorf(err, EINVAL, "bad round-trip time");
	memset(a, 0, sizeof(*a));
	sk_strlcpy(a->id, b[i].id, sizeof(a->id));
	a->key = (unsigned int)key;
	a->rtt_ms = (uint32_t)rtt;
	return 1;
}

/* "ok ID KEY RTT" or "fail REASON" into an event, logged. */
static void
verdict(const struct probe_run *r, const char *line, struct event *ev, uint64_t now)
{
	struct probe_answer a;
	struct sk_error err;
	int rc;

	memset(ev, 0, sizeof(*ev));
	ev->ifindex = r->ifindex;
	ev->now_ms = now;
	rc = probe_answer_parse(line, r->beacons, r->n_beacons, &a, &err);
	if (rc == 1) {
		ev->type = EV_BEACON_OK;
		sk_strlcpy(ev->beacon, a.id, sizeof(ev->beacon));
		log_info("uplink %s: beacon %s verified (key %u, %u ms)", r->ifname,
		    a.id, a.key, (unsigned int)a.rtt_ms);
		return;
	}
	ev->type = EV_BEACON_FAIL;
	if (rc == 0)
		log_info("uplink %s: no office beacon verified: %s", r->ifname, a.reason);
	else
		log_info("uplink %s: no office beacon verified: probe helper failed (%s)",
		    r->ifname, err.msg);
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
