/*
 * The load generator: `parallel` challenges in flight, each on its own
 * socket (from its own source address with -s addr+n), a new one as soon
 * as the last is answered or timed out. Every answer is checked for its
 * nonce; one in verify_every is verified in full (Ed25519 verification
 * costs more than signing, and the beacon is what is measured).
 */
#include "agency/sekisho-beacon-probe/challenge.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/proto/beacon_wire.h"

struct slot {
	uint8_t		nonce[BEACON_NONCE_LEN];
	uint64_t	sent_us;
};

struct load {
	const struct probe	*p;
	struct pollfd		 pfd[PROBE_MAX_PARALLEL];
	struct slot		 slot[PROBE_MAX_PARALLEL];
	uint64_t		 answers, verified, timeouts, invalid, late;
};

static int
slot_open(const struct probe *p, unsigned i)
{
	struct beacon_addr src = p->src;
	struct sockaddr_in *sin = (struct sockaddr_in *)&src.ss;
	struct sk_error err;
	int fd;

	if (p->has_src && p->nsrc > 1)
		sin->sin_addr.s_addr = htonl(ntohl(sin->sin_addr.s_addr) + i % p->nsrc);
	fd = beacon_udp_connect(&p->dst, p->has_src ? &src : NULL, &err);
	if (fd < 0)
		fprintf(stderr, "sekisho-beacon-probe: %s\n", err.msg);
	return fd;
}

static void
slot_send(struct load *l, unsigned i)
{
	uint8_t pkt[BEACON_CHALLENGE_LEN];
	struct beacon_challenge c;

	if (beacon_nonce(c.nonce) < 0) {
		fprintf(stderr, "sekisho-beacon-probe: no random nonce from OpenSSL\n");
		exit(1);
	}
	memcpy(l->slot[i].nonce, c.nonce, sizeof(c.nonce));
	beacon_challenge_encode(pkt, sizeof(pkt), &c);
	l->slot[i].sent_us = probe_now_us();
	(void)send(l->pfd[i].fd, pkt, sizeof(pkt), MSG_DONTWAIT);
}

static void
slot_recv(struct load *l, unsigned i)
{
	uint8_t buf[BEACON_DGRAM_MAX];
	struct beacon_answer a;
	ssize_t n;
	int rc;

	if ((n = recv(l->pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT)) < 0)
		return;
	if (beacon_answer_decode(buf, (size_t)n, &a) != BEACON_OK) {
		l->invalid++;
		return;
	}
	if (memcmp(a.nonce, l->slot[i].nonce, BEACON_NONCE_LEN) != 0) {
		l->late++;	/* the answer to a challenge given up on */
		return;
	}
	if (++l->answers % l->p->verify_every == 1 || l->p->verify_every == 1) {
		rc = beacon_verify(buf, (size_t)n, l->slot[i].nonce, &l->p->keys,
		    time(NULL), l->p->window, NULL);
		if (rc != BEACON_OK) {
			fprintf(stderr, "answer rejected: %s\n", beacon_strerror(rc));
			l->invalid++;
		} else
			l->verified++;
	}
	slot_send(l, i);
}

static int
done(const struct load *l, uint64_t t0)
{
	const struct probe *p = l->p;

	if (p->count != 0 && l->answers >= p->count)
		return 1;
	return p->seconds != 0 && probe_now_us() - t0 >= (uint64_t)p->seconds * 1000000;
}

static void
run(struct load *l, unsigned n, uint64_t t0)
{
	uint64_t timeout_us = (uint64_t)l->p->timeout_ms * 1000, now;

	while (!done(l, t0)) {
		if (poll(l->pfd, n, 10) < 0 && errno != EINTR)
			return;
		now = probe_now_us();
		for (unsigned i = 0; i < n; i++) {
			if (l->pfd[i].revents & (POLLIN | POLLERR))
				slot_recv(l, i);
			else if (now - l->slot[i].sent_us > timeout_us) {
				l->timeouts++;
				slot_send(l, i);
			}
		}
	}
}

int
probe_load(const struct probe *p)
{
	static struct load l;
	unsigned n = p->parallel;
	uint64_t t0, t;
	double secs;

	l.p = p;
	for (unsigned i = 0; i < n; i++) {
		if ((l.pfd[i].fd = slot_open(p, i)) < 0)
			return 1;
		l.pfd[i].events = POLLIN;
	}
	t0 = probe_now_us();
	for (unsigned i = 0; i < n; i++)
		slot_send(&l, i);
	run(&l, n, t0);
	t = probe_now_us() - t0;
	for (unsigned i = 0; i < n; i++)
		close(l.pfd[i].fd);
	secs = (double)t / 1e6;
	printf("load: %llu answers in %.2f s: %.0f answers/s (%llu verified in "
	    "full, %llu timed out, %llu late, %llu invalid)\n",
	    (unsigned long long)l.answers, secs, (double)l.answers / secs,
	    (unsigned long long)l.verified, (unsigned long long)l.timeouts,
	    (unsigned long long)l.late, (unsigned long long)l.invalid);
	return l.invalid == 0 && l.answers > 0 ? 0 : 1;
}
