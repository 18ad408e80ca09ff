/*
 * sekisho-beacon-verify's lifecycle and the one exchange per answer
 * (bverify.h, lib/proto/bverify_wire.h). A SOCK_SEQPACKET socket pair: one
 * request is one datagram, one reply is one datagram, nothing to frame.
 */
#include "netvm/sekishod/bverify.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/proto/bverify_wire.h"
#include "lib/util.h"

static struct {
	char	helper[4096];
	pid_t	pid;		/* 0: never started, -1: exited, to start again */
	int	fd;
	int	ready;		/* its ready message came (bverify_wire.h) */
} bv = { .fd = -1 };

static void
forget(void)
{
	if (bv.fd >= 0)
		close(bv.fd);
	bv.fd = -1;
}

/* A helper that failed us: killed and reaped here, started afresh at the
 * next check or by the child-restart timer. */
static void
drop(void)
{
	forget();
	if (bv.pid > 0) {
		kill(bv.pid, SIGKILL);
		waitpid(bv.pid, NULL, 0);
	}
	bv.pid = -1;
}

int
bverify_restart(void)
{
	char *argv[] = { "sekisho-beacon-verify", NULL };
	int sv[2], rc;

	if (bv.pid > 0 && bv.fd >= 0)
		return 0;
	drop();
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		rc = -errno;
		log_warnx("beacon verifier: socketpair: %s", strerror(-rc));
		return rc;
	}
	rc = spawn_child(&bv.pid, bv.helper, argv, sv[1], sv[1], -1);
	close(sv[1]);
	if (rc < 0) {
		close(sv[0]);
		bv.pid = -1;
		log_warnx("beacon verifier: cannot start %s: %s (no office mode until it runs)",
		    bv.helper, strerror(-rc));
		return rc;
	}
	bv.fd = sv[0];
	bv.ready = 0;
	return 0;
}

/* The helper's ready message, waited for at most BVERIFY_START_MS: it
 * comes once, when its start-up (exec, sandbox) is over, which under load
 * takes longer than a check may (BVERIFY_TIMEOUT_MS). Usually it came
 * long before the first check (the helper starts with sekishod) and is
 * read here at once. 0, or -1 with *why. */
static int
wait_ready(const char **why)
{
	uint8_t buf[BVERIFY_READY_LEN + 1];
	uint64_t deadline = now_ms() + BVERIFY_START_MS, now;
	struct pollfd pfd;
	ssize_t n;
	int rc;

	while (!bv.ready) {
		now = now_ms();
		if (now >= deadline) {
			*why = "the signature checker did not say it was ready in time";
			return -1;
		}
		pfd = (struct pollfd){ .fd = bv.fd, .events = POLLIN };
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc <= 0)
			continue;	/* EINTR, or the deadline decides */
		n = recv(bv.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0) {
			*why = "the signature checker went away";
			return -1;
		}
		if (!bverify_ready_is(buf, (size_t)n)) {
			*why = "the signature checker spoke before it was ready";
			return -1;
		}
		bv.ready = 1;
	}
	return 0;
}

int
bverify_init(const char *helper)
{
	sk_strlcpy(bv.helper, helper, sizeof(bv.helper));
	return bverify_restart();
}

int
bverify_absent(void)
{
	return bv.pid == -1;
}

int
bverify_reaped(pid_t pid)
{
	if (pid <= 0 || pid != bv.pid)
		return 0;
	forget();
	bv.pid = -1;
	return 1;
}

void
bverify_stop(void)
{
	drop();
	bv.pid = 0;
}

/* One request, one reply within BVERIFY_TIMEOUT_MS: 0 and *rep, or -1 with *why. */
static int
exchange(const uint8_t req[BVERIFY_REQ_LEN], size_t n_keys, struct bverify_rep *rep,
    const char **why)
{
	uint8_t buf[BVERIFY_REP_LEN + 1];
	uint64_t deadline = now_ms() + BVERIFY_TIMEOUT_MS, now;
	struct pollfd pfd;
	ssize_t n;
	int rc;

	if (send(bv.fd, req, BVERIFY_REQ_LEN, MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)BVERIFY_REQ_LEN) {
		*why = "the signature checker does not take requests";
		return -1;
	}
	for (;;) {
		now = now_ms();
		if (now >= deadline) {
			*why = "the signature checker did not answer in time";
			return -1;
		}
		pfd = (struct pollfd){ .fd = bv.fd, .events = POLLIN };
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			continue;	/* the deadline decides */
		break;
	}
	n = recv(bv.fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n <= 0) {
		*why = "the signature checker went away";
		return -1;
	}
	if (bverify_rep_decode(buf, (size_t)n, n_keys, rep) != 0) {
		*why = "the signature checker gave a malformed reply";
		return -1;
	}
	return 0;
}

int
bverify_check(const uint8_t answer[BEACON_ANSWER_LEN],
    const uint8_t nonce[BEACON_NONCE_LEN], const struct beacon_keys *keys,
    const char **why)
{
	struct bverify_req q;
	struct bverify_rep rep;
	uint8_t req[BVERIFY_REQ_LEN];

	if (keys->n == 0) {
		*why = beacon_strerror(BEACON_E_NOKEYS);
		return -1;
	}
	memset(&q, 0, sizeof(q));
	q.n_keys = keys->n < BVERIFY_MAX_KEYS ? keys->n : BVERIFY_MAX_KEYS;
	memcpy(q.nonce, nonce, BEACON_NONCE_LEN);
	memcpy(q.answer, answer, BEACON_ANSWER_LEN);
	memcpy(q.keys, keys->key, q.n_keys * BEACON_PUB_LEN);
	if (bverify_req_encode(req, &q) != 0) {
		*why = beacon_strerror(BEACON_E_NOKEYS);
		return -1;
	}
	if ((bv.pid <= 0 || bv.fd < 0) && bverify_restart() < 0) {
		*why = "no signature checker (sekisho-beacon-verify) runs";
		return -1;
	}
	if (wait_ready(why) != 0 || exchange(req, q.n_keys, &rep, why) != 0) {
		log_warnx("beacon verifier: %s; starting it again", *why);
		drop();
		return -1;
	}
	switch (rep.verdict) {
	case BVERIFY_OK:
		return rep.key;
	case BVERIFY_BAD_SIG:
		*why = beacon_strerror(BEACON_E_SIGNATURE);
		return -1;
	case BVERIFY_CRYPTO:
		*why = beacon_strerror(BEACON_E_CRYPTO);
		return -1;
	default:
		*why = "the signature checker refused the request";
		log_warnx("beacon verifier: %s; starting it again", *why);
		drop();
		return -1;
	}
}

int
bverify_answer(const uint8_t *pkt, size_t len, const uint8_t nonce[BEACON_NONCE_LEN],
    const struct beacon_keys *keys, time_t now, unsigned window,
    struct beacon_result *res, const char **why)
{
	struct beacon_answer a;
	int rc;

	memset(res, 0, sizeof(*res));
	res->key = -1;
	if ((rc = beacon_answer_decode(pkt, len, &a)) != BEACON_OK) {
		*why = beacon_strerror(rc);
		return -1;
	}
	memcpy(res->id, a.id, sizeof(res->id));
	res->time = a.time;
	if (!ct_equal(a.nonce, nonce, BEACON_NONCE_LEN)) {
		*why = beacon_strerror(BEACON_E_NONCE);
		return -1;
	}
	if ((res->key = bverify_check(pkt, nonce, keys, why)) < 0)
		return -1;
	res->skew = beacon_skew(a.time, now);
	if (res->skew < -(int64_t)window || res->skew > (int64_t)window) {
		*why = beacon_strerror(res->skew < 0 ? BEACON_E_STALE : BEACON_E_FUTURE);
		return -1;
	}
	return BEACON_OK;
}
