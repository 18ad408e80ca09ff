#include "netvm/sekishod/office.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/proto/beacon_wire.h"
#include "lib/proto/probe_wire.h"
#include "lib/secfile.h"
#include "lib/udp.h"
#include "lib/util.h"
#include "netvm/sekishod/bverify.h"
#include "netvm/sekishod/route.h"
#include "netvm/sekishod/timers.h"
#include "policy/policy.h"

_Static_assert(PROBE_MAX_BEACONS == POLICY_MAX_BEACONS && ENGINE_BEACON_ID == POLICY_BEACON_ID,
    "a probe_run holds every beacon of a policy");


/*
 * The office table holds one route: the default, via the office router
 * (or on-link) out of the office uplink. What reaches it is chosen by the
 * ruleset, not by the table: the office mark goes only on packets to LGWAN
 * and to the mode's resolvers (fw_render.c, chain modemark), so the
 * routing still sends nothing but LGWAN out of the office uplink, and a
 * mode change costs one route whatever the policy's size. Outside office
 * mode the table is empty (office_unroute): with the ruleset flushed no
 * packet carries the office mark, and one that did would find no route.
 */
int
office_routes(int oif, const struct in_addr *gw)
{
	struct route_op op = { .family = AF_INET, .table = SK_RT_OFFICE, .plen = 0,
	    .oif = oif };

	op.dst.v4.s_addr = INADDR_ANY;
	if (gw != NULL) {
		op.has_gw = 1;
		op.gw = *gw;
	}
	return route_batch(&op, 1);
}

int
office_unroute(void)
{
	/* Whatever the table holds, the default or routes an older sekishod
	 * left (one per prefix, until a crash stopped it from taking them
	 * out): outside office mode it holds nothing. */
	return route_flush_table(SK_RT_OFFICE);
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
	close(r->udp);
	p->runs[i] = p->runs[--p->n];
}

/* The beacons, one per line and one message each, then "go": what
 * sekisho-probe reads (public keys only). */
static int
write_targets(int fd, const struct policy *pol)
{
	char line[256], a[INET_ADDRSTRLEN], k[2][KEY_B64_LEN];

	for (size_t i = 0; i < pol->n_beacons && i < PROBE_MAX_BEACONS; i++) {
		const struct policy_beacon *b = &pol->beacons[i];
		int n;

		for (size_t j = 0; j < b->n_keys; j++)
			key_to_b64(k[j], b->keys[j]);
		n = snprintf(line, sizeof(line), "%s %s:%u %s %s\n", b->id,
		    inet_ntop(AF_INET, &b->addr.sin_addr, a, sizeof(a)),
		    ntohs(b->addr.sin_port), k[0], b->n_keys > 1 ? k[1] : "");
		if (send(fd, line, (size_t)n, MSG_NOSIGNAL) != n)
			return -EPIPE;
	}
	return send(fd, "go\n", 3, MSG_NOSIGNAL) == 3 ? 0 : -EPIPE;
}

static int
spawn(struct prober *p, const char *ifname, int fd, pid_t *pid)
{
	char *argv[] = { "sekisho-probe", "-i", (char *)(uintptr_t)ifname, NULL };

	return spawn_child(pid, p->helper, argv, fd, fd, -1);
}

/* sekishod's beacon socket for one uplink: out of ifname only (never
 * through the tunnel), TTL 255, each datagram's TTL and the kernel's
 * transmit and receive times known. Not connected: one socket for every
 * beacon, each answer told apart by its source. */
static int
beacon_socket(const char *ifname)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ttl = BEACON_TTL, rc;

	if (fd == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if ((rc = beacon_udp_stamp(fd)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
prober_start(struct prober *p, const struct policy *pol, int ifindex,
    const char *ifname, uint64_t now)
{
	struct probe_run *r;
	int sv[2], rc, udp;

	for (size_t i = 0; i < p->n; i++)
		if (p->runs[i].ifindex == ifindex) {
			run_end(p, i);
			break;
		}
	if (p->n == ENGINE_MAX_UPLINKS)
		return -ENOSPC;
	if ((udp = beacon_socket(ifname)) < 0)
		return udp;
	/* One message per line. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		rc = -errno;
		close(udp);
		return rc;
	}
	r = &p->runs[p->n];
	memset(r, 0, sizeof(*r));
	rc = spawn(p, ifname, sv[1], &r->pid);
	close(sv[1]);
	if (rc < 0) {
		close(sv[0]);
		close(udp);
		return rc;
	}
	/* A helper that died at once ends its run when its socket reads as
	 * closed (prober_read), like any helper that dies without a verdict. */
	(void)write_targets(sv[0], pol);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	/* An answer may come only from a beacon it was asked about, and
	 * verifies only under that beacon's pinned keys. */
	for (size_t i = 0; i < pol->n_beacons && i < PROBE_MAX_BEACONS; i++) {
		struct probe_beacon *b = &r->beacons[i];

		sk_strlcpy(b->id, pol->beacons[i].id, sizeof(b->id));
		for (size_t j = 0; j < pol->beacons[i].n_keys && j < BEACON_MAX_KEYS; j++)
			memcpy(b->keys.key[b->keys.n++], pol->beacons[i].keys[j], BEACON_PUB_LEN);
		b->addr = pol->beacons[i].addr;
		b->addr.sin_family = AF_INET;
		r->n_beacons++;
	}
	r->ifindex = ifindex;
	sk_strlcpy(r->ifname, ifname, sizeof(r->ifname));
	r->fd = sv[0];
	r->udp = udp;
	r->attempts = pol->beacon_attempts;
	r->timeout_ms = pol->beacon_timeout_ms;
	r->bound_us = pol->beacon_rtt_us;
	r->best_us = UINT32_MAX;
	snprintf(r->why, sizeof(r->why), "%s: no answer", r->n_beacons > 0 ?
	    r->beacons[0].id : "-");
	r->deadline = timers_probe_deadline(pol, now);
	p->n++;
	return 0;
}

int
prober_source(struct prober *p, int ifindex, struct in_addr addr)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr = addr };

	for (size_t i = 0; i < p->n; i++)
		if (p->runs[i].ifindex == ifindex) {
			/* Before its first challenge: the socket is not bound
			 * yet (sendto would bind it, and choose the source). */
			if (bind(p->runs[i].udp, (const struct sockaddr *)&a, sizeof(a)) == -1) {
				int rc = -errno;

				run_end(p, i);	/* no challenge from another address */
				return rc;
			}
			return 0;
		}
	return -ENOENT;
}

void
prober_quiet(struct prober *p, int ifindex)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->runs[i].ifindex == ifindex)
			p->runs[i].quiet = 1;
}

void
prober_hush(struct prober *p, int ifindex)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->runs[i].ifindex == ifindex)
			p->runs[i].quiet = 2;
}

size_t
prober_pollfds(const struct prober *p, struct pollfd *pfd, size_t max)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n && k + 2 <= max; i++) {
		const struct probe_run *r = &p->runs[i];

		pfd[k++] = (struct pollfd){ .fd = r->fd, .events = POLLIN };
		/* While the helper holds a datagram the next ones wait in the
		 * socket, their receive times with them; the transmit times
		 * (POLLERR) are read whenever they come. Before the first
		 * round nothing was sent. */
		pfd[k++] = (struct pollfd){ .fd = r->udp,
		    .events = r->round > 0 && !r->pending ? POLLIN : 0 };
	}
	return k;
}

int
probe_answer_check(const struct probe_msg *m, const struct probe_beacon *b, size_t n,
    const uint8_t nonce[BEACON_NONCE_LEN], time_t now, struct beacon_result *res,
    const char **why)
{
	memset(res, 0, sizeof(*res));
	res->key = -1;
	if (m->type != PROBE_MSG_ANSWER || m->index >= n) {
		*why = "an answer for a beacon it was not asked about";
		return -1;
	}
	/* All but the signature here; the signature in the sandboxed
	 * sekisho-beacon-verify (bverify.h): sekishod links no libcrypto. */
	if (bverify_answer(m->answer, sizeof(m->answer), nonce, &b[m->index].keys, now,
	    BEACON_WINDOW, res, why) != BEACON_OK)
		return -1;
	if (strcmp(res->id, b[m->index].id) != 0) {
		*why = "answer from another beacon id";
		return -1;
	}
	return 0;
}

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

uint32_t
probe_round_trip_us(int64_t t0_real_ns, int64_t t0_mono_ns, int64_t tx_ns, int64_t rx_ns,
    int64_t now_real_ns, int64_t now_mono_ns)
{
	int64_t drift = (now_real_ns - t0_real_ns) - (now_mono_ns - t0_mono_ns), us;

	if (drift > 1000000 || drift < -1000000)
		return UINT32_MAX;
	/* A transmit time before the moment the challenge was handed to the
	 * kernel, or after it came back, is no transmit time of it. */
	if (tx_ns < t0_real_ns || (rx_ns >= 0 && tx_ns > rx_ns))
		tx_ns = t0_real_ns;
	us = ((rx_ns >= 0 ? rx_ns : now_real_ns) - tx_ns) / 1000;
	if (us < 0 || us >= UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)us;
}

/* The transmit times waiting on the error queue: each kept for the
 * challenge of this round it belongs to (its OPT_ID), the driver's stamp
 * over the queueing discipline's. */
static void
read_tx_stamps(struct probe_run *r)
{
	struct beacon_tx_stamp t;
	int rc;

	while ((rc = beacon_tx_stamp_read(r->udp, &t)) != -EAGAIN && rc >= 0) {
		if (rc == 0 || t.id - r->first_id >= r->sends - r->first_id)
			continue;	/* not a time, or an earlier round's */
		for (size_t i = 0; i < r->n_beacons; i++)
			if (r->tx_id[i] == t.id && (!r->tx_snd[i] || r->tx_ns[i] < 0) &&
			    !(t.sched && r->tx_snd[i])) {
				r->tx_ns[i] = t.ns;
				r->tx_snd[i] = !t.sched;
			}
	}
}

/* A new round: a fresh nonce to the helper, then a challenge with it to
 * every beacon. 0, or -1 with r->why. */
static int
start_round(struct probe_run *r, uint64_t now)
{
	char line[PROBE_LINE_MAX];
	struct beacon_challenge c;
	uint8_t pkt[BEACON_CHALLENGE_LEN];
	struct beacon_dgram junk;
	int n;

	if (getrandom(r->nonce, sizeof(r->nonce), 0) != (ssize_t)sizeof(r->nonce)) {
		snprintf(r->why, sizeof(r->why), "no randomness for a nonce: %s", strerror(errno));
		return -1;
	}
	n = probe_nonce_format(line, sizeof(line), r->nonce);
	if (n < 0 || send(r->fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
		snprintf(r->why, sizeof(r->why), "cannot write to the probe helper");
		return -1;
	}
	/* What an earlier round left behind answers another nonce; its
	 * transmit times are of no use either. */
	while (beacon_udp_recv(r->udp, &junk) >= 0)
		;
	read_tx_stamps(r);
	memcpy(c.nonce, r->nonce, sizeof(c.nonce));
	if (beacon_challenge_encode(pkt, sizeof(pkt), &c) != (int)sizeof(pkt)) {
		snprintf(r->why, sizeof(r->why), "cannot encode a challenge");
		return -1;
	}
	r->round++;
	r->first_id = r->sends;
	r->t0_mono_ns = clock_ns(CLOCK_MONOTONIC);
	r->t0_real_ns = clock_ns(CLOCK_REALTIME);
	for (size_t i = 0; i < r->n_beacons; i++) {
		r->tx_ns[i] = -1;
		r->tx_snd[i] = 0;
		r->tx_id[i] = r->sends;
		/* A send that fails takes no number (the kernel gives it
		 * back) and its beacon no answer: nothing to time. */
		if (sendto(r->udp, pkt, sizeof(pkt), 0, (const struct sockaddr *)&r->beacons[i].addr,
		    sizeof(r->beacons[i].addr)) == (ssize_t)sizeof(pkt))
			r->sends++;
		else
			r->tx_id[i] = r->first_id - 1;	/* matches no time of this round */
	}
	r->round_deadline = now + r->timeout_ms;
	return 0;
}

static void
verdict_ok(const struct probe_run *r, const struct beacon_result *res, uint32_t us,
    struct event *ev)
{
	ev->type = EV_BEACON_OK;
	sk_strlcpy(ev->beacon, res->id, sizeof(ev->beacon));
	if (r->quiet == 1)
		log_debug("uplink %s: beacon %s verified again (key %d, round trip %u us, "
		    "bound %u us, round %u)", r->ifname, res->id, res->key, (unsigned int)us,
		    r->bound_us, r->round);
	else
		log_info("uplink %s: beacon %s verified (key %d, round trip %u us, bound %u us, "
		    "round %u)", r->ifname, res->id, res->key, (unsigned int)us, r->bound_us,
		    r->round);
}

static void
verdict_fail(const struct probe_run *r, const char *why, struct event *ev)
{
	ev->type = EV_BEACON_FAIL;
	if (r->quiet == 2)
		log_debug("uplink %s: no office beacon verified: %s", r->ifname, why);
	else
		log_info("uplink %s: no office beacon verified: %s", r->ifname, why);
}

/* A genuine answer that took too long: remembered, and another round. */
static void
note_slow(struct probe_run *r, const struct beacon_result *res, uint32_t us)
{
	if (us == UINT32_MAX) {
		log_info("uplink %s: beacon %s answered, but the clock stepped during the "
		    "round: not timed", r->ifname, res->id);
		snprintf(r->why, sizeof(r->why), "%s: the clock stepped during the round",
		    res->id);
		return;
	}
	log_info("uplink %s: beacon %s answered in %u us, over the bound of %u us "
	    "(beacon-rtt)", r->ifname, res->id, (unsigned int)us, r->bound_us);
	if (us < r->best_us)
		r->best_us = us;
	snprintf(r->why, sizeof(r->why), "%s: answered in %u us at best of %u, over the "
	    "bound of %u us (beacon-rtt): not on this LAN, or relayed", res->id,
	    (unsigned int)r->best_us, r->slow + 1, r->bound_us);
}

/* The round is over without an office verdict: another, or the end. 1 with
 * *ev at the end, else 0. */
static int
next_round(struct probe_run *r, struct event *ev, uint64_t now)
{
	if (r->misses == r->attempts || r->slow == PROBE_SLOW_ROUNDS) {
		verdict_fail(r, r->why, ev);
		return 1;
	}
	if (start_round(r, now) != 0) {
		verdict_fail(r, r->why, ev);
		return 1;
	}
	return 0;
}

/* The answer the helper says verified: checked here again, and it must be
 * the very datagram sekishod gave it; then timed by the kernel's clock. */
static int
on_answer(struct probe_run *r, const struct probe_msg *m, struct event *ev, uint64_t now)
{
	struct beacon_result res;
	const char *why;
	char buf[320];
	uint32_t us;

	if (probe_answer_check(m, r->beacons, r->n_beacons, r->nonce, time(NULL), &res,
	    &why) != 0) {
		snprintf(buf, sizeof(buf), "the probe helper's answer was refused: %s", why);
		verdict_fail(r, buf, ev);
		return 1;
	}
	if (!r->pending || m->index != r->pending_index ||
	    memcmp(m->answer, r->pending_pkt, sizeof(r->pending_pkt)) != 0) {
		verdict_fail(r, "the probe helper's answer was refused: not the datagram "
		    "it was given", ev);
		return 1;
	}
	r->pending = 0;
	read_tx_stamps(r);
	us = probe_round_trip_us(r->t0_real_ns, r->t0_mono_ns, r->tx_ns[m->index],
	    r->pending_rx_ns, clock_ns(CLOCK_REALTIME), clock_ns(CLOCK_MONOTONIC));
	if (us <= r->bound_us) {
		verdict_ok(r, &res, us, ev);
		return 1;
	}
	note_slow(r, &res, us);
	r->slow++;
	return next_round(r, ev, now);
}

/* One line of the helper's: 1 with *ev when the run has its verdict, 0
 * while rounds go on. */
static int
on_line(struct probe_run *r, const char *line, struct event *ev, uint64_t now)
{
	struct probe_msg m;
	struct sk_error err;
	char buf[sizeof(err.msg) + 64];

	if (probe_msg_parse(line, r->n_beacons, &m, &err) != 0) {
		snprintf(buf, sizeof(buf), "probe helper failed (%s)", err.msg);
		verdict_fail(r, buf, ev);
		return 1;
	}
	if (m.type == PROBE_MSG_FAIL) {
		snprintf(buf, sizeof(buf), "probe helper failed (%.200s)", m.reason);
		verdict_fail(r, buf, ev);
		return 1;
	}
	if (m.type == PROBE_MSG_ANSWER && r->round > 0)
		return on_answer(r, &m, ev, now);
	if ((m.type == PROBE_MSG_READY) != (r->round == 0) ||
	    (m.type == PROBE_MSG_NONE && !r->pending)) {
		verdict_fail(r, "probe helper failed (a line out of turn)", ev);
		return 1;
	}
	if (m.type == PROBE_MSG_READY) {
		if (start_round(r, now) != 0) {
			verdict_fail(r, r->why, ev);
			return 1;
		}
		return 0;
	}
	/* none: the datagram did not verify; the round goes on. */
	r->pending = 0;
	if (r->best_us == UINT32_MAX)	/* a slow answer says more */
		snprintf(r->why, sizeof(r->why), "%.200s", m.reason);
	return 0;
}

/* The beacon an answer came from, by its source address and port; -1 if
 * none was asked. */
static int
beacon_of(const struct probe_run *r, const struct beacon_dgram *d)
{
	struct sockaddr_in a;

	if (d->from.ss.ss_family != AF_INET || d->from.len != sizeof(a))
		return -1;
	memcpy(&a, &d->from.ss, sizeof(a));
	for (size_t i = 0; i < r->n_beacons; i++)
		if (a.sin_addr.s_addr == r->beacons[i].addr.sin_addr.s_addr &&
		    a.sin_port == r->beacons[i].addr.sin_port)
			return (int)i;
	return -1;
}

/* Datagrams waiting on the beacon socket, until one goes to the helper.
 * sekishod does not look into them: it reads where they came from, their
 * length and what the kernel says (TTL, receive time), and hands the
 * bytes on. Bounded per call, so that a flood cannot hold the loop. */
static int
read_answers(struct probe_run *r, struct event *ev)
{
	char line[PROBE_LINE_MAX];
	struct beacon_dgram d;
	int i, n;

	for (int k = 0; k < 64 && !r->pending; k++) {
		if (beacon_udp_recv(r->udp, &d) < 0)
			return 0;
		if ((i = beacon_of(r, &d)) < 0)
			continue;
		if (r->best_us != UINT32_MAX)
			;	/* a slow answer says more than what follows */
		else if (d.len != BEACON_ANSWER_LEN) {
			snprintf(r->why, sizeof(r->why), "%s: %s", r->beacons[i].id,
			    beacon_strerror(BEACON_E_LENGTH));
		} else if (d.ttl != BEACON_TTL)
			snprintf(r->why, sizeof(r->why), "%s: answer not from this LAN (TTL "
			    "below 255)", r->beacons[i].id);
		if (d.len != BEACON_ANSWER_LEN || d.ttl != BEACON_TTL)
			continue;
		n = probe_dgram_format(line, sizeof(line), (unsigned int)i, d.buf);
		if (n < 0 || send(r->fd, line, (size_t)n, MSG_NOSIGNAL) != n) {
			verdict_fail(r, "probe helper failed (cannot write to it)", ev);
			return 1;
		}
		r->pending = 1;
		r->pending_index = (unsigned int)i;
		memcpy(r->pending_pkt, d.buf, sizeof(r->pending_pkt));
		/* No receive time from the kernel: now, which only makes the
		 * round trip longer. */
		r->pending_rx_ns = d.rx_ns >= 0 ? d.rx_ns : clock_ns(CLOCK_REALTIME);
	}
	return 0;
}

static int
run_of_fd(const struct prober *p, int fd)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->runs[i].fd == fd || p->runs[i].udp == fd)
			return (int)i;
	return -1;
}

int
prober_read(struct prober *p, const struct pollfd *pfd, struct event *ev, uint64_t now)
{
	char line[PROBE_LINE_MAX + 1];
	struct probe_run *r;
	ssize_t n;
	int i, done;

	/* A run that ended in this poll round may have left its place to
	 * another; what was polled on a closed descriptor is no one's. */
	if ((i = run_of_fd(p, pfd->fd)) < 0 || pfd->revents == 0)
		return 0;
	r = &p->runs[i];
	memset(ev, 0, sizeof(*ev));
	ev->ifindex = r->ifindex;
	ev->now_ms = now;
	if (pfd->fd == r->udp) {
		if (pfd->revents & POLLERR)
			read_tx_stamps(r);
		done = r->round > 0 && (pfd->revents & POLLIN) ? read_answers(r, ev) : 0;
		if (done)
			run_end(p, (size_t)i);
		return done;
	}
	if (!(pfd->revents & (POLLIN | POLLHUP | POLLERR)))
		return 0;
	n = recv(r->fd, line, sizeof(line) - 1, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0 || (size_t)n > sizeof(line) - 1 || line[n - 1] != '\n' ||
	    memchr(line, '\0', (size_t)n) != NULL) {
		verdict_fail(r, n < 0 ? "probe helper failed (cannot read it)" : n == 0 ?
		    "probe helper failed (it ended without a verdict)" :
		    "probe helper failed (not one line)", ev);
		run_end(p, (size_t)i);
		return 1;
	}
	line[n - 1] = '\0';
	if ((done = on_line(r, line, ev, now)) != 0)
		run_end(p, (size_t)i);
	return done;
}

void
prober_expire(struct prober *p, uint64_t now,
    void (*cb)(const struct event *, void *), void *arg)
{
	struct event ev;
	char why[sizeof(p->runs[0].why) + 64];

	for (size_t i = 0; i < p->n; ) {
		struct probe_run *r = &p->runs[i];
		int done = 0;

		memset(&ev, 0, sizeof(ev));
		ev.ifindex = r->ifindex;
		ev.now_ms = now;
		if (r->deadline <= now) {
			snprintf(why, sizeof(why), "probe helper did not answer in time (%s)",
			    r->why);
			verdict_fail(r, why, &ev);
			done = 1;
		} else if (r->round > 0 && !r->pending && r->round_deadline <= now) {
			/* What came in while sekishod was busy elsewhere is
			 * looked at first: its receive time is the kernel's. */
			done = read_answers(r, &ev);
			if (!done && !r->pending) {
				r->misses++;
				done = next_round(r, &ev, now);
			}
		}
		if (!done) {
			i++;
			continue;
		}
		run_end(p, i);
		cb(&ev, arg);
	}
}

int
prober_timeout(const struct prober *p, uint64_t now)
{
	uint64_t next = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct probe_run *r = &p->runs[i];
		uint64_t t = r->deadline;

		if (r->round > 0 && !r->pending && r->round_deadline < t)
			t = r->round_deadline;
		if (next == 0 || t < next)
			next = t;
	}
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
