#include "agency/sekisho-beacon-probe/challenge.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/proto/beacon_wire.h"

/* The outcome of one probe, printed once at the end. */
struct outcome {
	int		rc;		/* BEACON_OK, a beacon_err, or 1: nothing */
	int		refused;	/* ICMP port unreachable seen */
	struct beacon_result res;
	uint64_t	t_us;
};

uint64_t
probe_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
save_answer(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd == -1 || write(fd, buf, len) != (ssize_t)len)
		fprintf(stderr, "sekisho-beacon-probe: %s: %s\n", path, strerror(errno));
	if (fd != -1)
		close(fd);
}

/* Waits until deadline for a verified answer; rejected ones are noted and
 * waiting goes on, so an injected bad answer cannot hide a good one. */
static void
wait_answer(const struct probe *p, int fd, const uint8_t nonce[BEACON_NONCE_LEN],
    uint64_t deadline, struct outcome *o)
{
	uint8_t buf[BEACON_DGRAM_MAX];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t now;
	ssize_t n;

	while ((now = probe_now_us()) < deadline) {
		if (poll(&pfd, 1, (int)((deadline - now + 999) / 1000)) <= 0)
			continue;
		if ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) < 0) {
			o->refused |= errno == ECONNREFUSED;
			continue;
		}
		if (p->save_path != NULL)
			save_answer(p->save_path, buf, (size_t)n);
		o->rc = beacon_verify(buf, (size_t)n, nonce, &p->keys, time(NULL),
		    p->window, &o->res);
		if (p->verbose && o->rc != BEACON_OK)
			fprintf(stderr, "answer of %zd bytes rejected: %s\n", n,
			    beacon_strerror(o->rc));
		if (o->rc == BEACON_OK)
			return;
	}
}

static int
report(const struct probe *p, const struct outcome *o)
{
	char a[BEACON_ADDRSTRLEN];

	beacon_addr_str(&p->dst, a, sizeof(a));
	if (o->rc == BEACON_OK) {
		printf("verified beacon %s (key %d) in %.1f ms\n", o->res.id,
		    o->res.key + 1, (double)o->t_us / 1000);
		if (p->verbose)
			printf("beacon clock %+lld s from ours\n", (long long)o->res.skew);
		return 0;
	}
	if (o->rc == BEACON_E_STALE || o->rc == BEACON_E_FUTURE)
		fprintf(stderr, "rejected: %s (beacon %s clock %+lld s from ours, "
		    "window %u s)\n", beacon_strerror(o->rc), o->res.id,
		    (long long)o->res.skew, p->window);
	else if (o->rc < 0)
		fprintf(stderr, "rejected: %s\n", beacon_strerror(o->rc));
	else if (o->refused)
		fprintf(stderr, "no beacon at %s (port unreachable)\n", a);
	else
		fprintf(stderr, "no answer from %s within %u ms\n", a,
		    p->timeout_ms * p->attempts);
	return 1;
}

int
probe_once(const struct probe *p)
{
	uint8_t pkt[BEACON_CHALLENGE_LEN];
	struct beacon_challenge c;
	struct outcome o = { .rc = 1 };
	struct sk_error err;
	uint64_t t0;
	int fd;

	if ((fd = beacon_udp_connect(&p->dst, p->has_src ? &p->src : NULL, &err)) < 0) {
		fprintf(stderr, "sekisho-beacon-probe: %s\n", err.msg);
		return 1;
	}
	if (beacon_nonce(c.nonce) < 0) {
		fprintf(stderr, "sekisho-beacon-probe: no random nonce from OpenSSL\n");
		return 1;
	}
	beacon_challenge_encode(pkt, sizeof(pkt), &c);
	t0 = probe_now_us();
	/* Retries resend the same challenge: the beacon keeps no state, and
	 * any answer to this nonce is as good as another. */
	for (unsigned i = 0; i < p->attempts && o.rc != BEACON_OK; i++) {
		if (send(fd, pkt, sizeof(pkt), 0) == -1)
			o.refused |= errno == ECONNREFUSED;
		wait_answer(p, fd, c.nonce, probe_now_us() +
		    (uint64_t)p->timeout_ms * 1000, &o);
	}
	o.t_us = probe_now_us() - t0;
	close(fd);
	return report(p, &o);
}
