/* sekishod's probe runs (netvm/sekishod/office.c) and their helper
 * processes: a helper reaped by sekishod's SIGCHLD handler before its run
 * ended is never signalled afterwards, since its pid may name another
 * process by then (issue 10, item 18). kill() is interposed to see what
 * office.c signals. The round trip is the kernel's (transmit time of the
 * challenge to receive time of the answer, on sekishod's socket): this
 * process plays the beacon on lo, the real sekisho-probe parses. The
 * signature checker says when it is ready, and the first check waits for
 * it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/proto/beacon_sign.h"
#include "lib/proto/probe_wire.h"
#include "netvm/sekishod/bverify.h"
#include "netvm/sekishod/office.h"
#include "netvm/sekishod/timers.h"
#include "policy/policy.h"

static pid_t killed[8];
static size_t n_killed;

/* The executable's kill() comes before libc's for office.c. */
int kill(pid_t pid, int sig);
int
kill(pid_t pid, int sig)
{
	(void)sig;
	if (n_killed < sizeof(killed) / sizeof(killed[0]))
		killed[n_killed++] = pid;
	return 0;
}

static int
was_killed(pid_t pid)
{
	for (size_t i = 0; i < n_killed; i++)
		if (killed[i] == pid)
			return 1;
	return 0;
}

static void
test_reaped_probe_not_killed(void **state)
{
	struct policy pol;
	struct prober p;
	pid_t pid;
	int status;

	(void)state;
	memset(&pol, 0, sizeof(pol));
	pol.beacon_timeout_ms = 100;
	pol.beacon_attempts = 1;
	prober_init(&p, "/bin/true");
	assert_int_equal(prober_start(&p, &pol, 7, "lo", 0), 0);
	pid = p.runs[0].pid;
	assert_true(pid > 0);
	/* What sekishod's reap() does when SIGCHLD comes first. */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(prober_reaped(&p, pid), 1);
	assert_int_equal(prober_reaped(&p, pid), 0);
	n_killed = 0;
	prober_stop_all(&p);
	assert_false(was_killed(pid));
	assert_int_equal(p.n, 0);

	/* A helper not yet reaped when its run ends is killed. */
	prober_init(&p, "/bin/sleep");
	assert_int_equal(prober_start(&p, &pol, 7, "lo", 0), 0);
	pid = p.runs[0].pid;
	n_killed = 0;
	prober_stop_all(&p);
	assert_true(was_killed(pid));
	assert_int_equal(waitpid(pid, &status, 0), pid);	/* it quits on its own */
}


/* The probe's lines (lib/proto/probe_wire.h): exact, or refused. */
static void
test_probe_lines(void **state)
{
	struct probe_msg m;
	struct sk_error err;
	uint8_t pkt[BEACON_ANSWER_LEN], back[BEACON_ANSWER_LEN], nonce[BEACON_NONCE_LEN];
	char line[PROBE_LINE_MAX], dgram[PROBE_LINE_MAX + 16];
	unsigned int idx;
	int n;

	(void)state;
	assert_int_equal(probe_msg_parse("ready", 1, &m, &err), 0);
	assert_int_equal(m.type, PROBE_MSG_READY);
	assert_int_equal(probe_msg_parse("none tokyo-3f: no answer", 1, &m, &err), 0);
	assert_int_equal(m.type, PROBE_MSG_NONE);
	assert_string_equal(m.reason, "tokyo-3f: no answer");
	assert_int_equal(probe_msg_parse("fail x", 1, &m, &err), 0);
	assert_int_equal(m.type, PROBE_MSG_FAIL);
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7);
	n = probe_answer_format(line, sizeof(line), 1, pkt);
	assert_true(n > 0 && line[n - 1] == '\n');
	line[n - 1] = '\0';
	assert_int_equal(probe_msg_parse(line, 2, &m, &err), 0);
	assert_int_equal(m.type, PROBE_MSG_ANSWER);
	assert_int_equal(m.index, 1);
	assert_memory_equal(m.answer, pkt, sizeof(pkt));
	/* index 1 of one beacon asked about */
	assert_int_equal(probe_msg_parse(line, 1, &m, &err), -EINVAL);
	assert_string_equal(err.msg, "answer for a beacon it was not asked about");
	/* the old protocols' lines are no lines of this one: version 1's
	 * verdict, version 2's answer with a TTL and the probe's round trip */
	assert_int_equal(probe_msg_parse("ok tokyo-3f 0 1", 1, &m, &err), -EINVAL);
	snprintf(dgram, sizeof(dgram), "answer 0 255 1 %s", line + 9);
	assert_int_equal(probe_msg_parse(dgram, 2, &m, &err), -EINVAL);
	assert_int_equal(probe_msg_parse("none ", 1, &m, &err), -EINVAL);
	assert_int_equal(probe_msg_parse("none \x01", 1, &m, &err), -EINVAL);
	assert_int_equal(probe_msg_parse("answer 01 00", 1, &m, &err), -EINVAL);
	assert_int_equal(probe_msg_parse("answer 0  00", 1, &m, &err), -EINVAL);
	/* sekishod's datagram line, the same way */
	n = probe_dgram_format(dgram, sizeof(dgram), 1, pkt);
	assert_true(n > 0 && dgram[n - 1] == '\n');
	dgram[n - 1] = '\0';
	memset(back, 0, sizeof(back));
	assert_int_equal(probe_dgram_parse(dgram, 2, &idx, back), 0);
	assert_int_equal(idx, 1);
	assert_memory_equal(back, pkt, sizeof(pkt));
	assert_int_equal(probe_dgram_parse(dgram, 1, &idx, back), -EINVAL);
	dgram[n - 2] = 'A';
	assert_int_equal(probe_dgram_parse(dgram, 2, &idx, back), -EINVAL);
	dgram[n - 3] = '\0';
	assert_int_equal(probe_dgram_parse(dgram, 2, &idx, back), -EINVAL);
	line[n - 2] = 'A';	/* uppercase hex */
	assert_int_equal(probe_msg_parse(line, 2, &m, &err), -EINVAL);
	memset(nonce, 0xab, sizeof(nonce));
	n = probe_nonce_format(line, sizeof(line), nonce);
	assert_true(n > 0);
	line[n - 1] = '\0';
	memset(nonce, 0, sizeof(nonce));
	assert_int_equal(probe_nonce_parse(line, nonce), 0);
	assert_int_equal(nonce[31], 0xab);
	assert_int_equal(probe_nonce_parse("nonce ab", nonce), -EINVAL);
}

/* sekishod's check of an answer: only a genuine answer to its own nonce,
 * from the beacon it names (its TTL sekishod reads from the kernel as the
 * datagram arrives: 56 and 50's hotel). */
static void
test_probe_answer_check(void **state)
{
	uint8_t seed[BEACON_SEED_LEN] = { 9 }, other_seed[BEACON_SEED_LEN] = { 8 };
	uint8_t nonce[BEACON_NONCE_LEN], other[BEACON_NONCE_LEN];
	struct beacon_signer s, o;
	struct beacon_answer a;
	struct beacon_result res;
	struct probe_beacon b[2];
	struct probe_msg m;
	const char *why = NULL;
	time_t now = time(NULL);

	(void)state;
	/* the real signature checker, sandboxed (bverify.h) */
	assert_int_equal(bverify_init("build/sekisho-beacon-verify"), 0);
	assert_int_equal(beacon_signer_init(&s, seed, NULL), 0);
	assert_int_equal(beacon_signer_init(&o, other_seed, NULL), 0);
	memset(b, 0, sizeof(b));
	strcpy(b[0].id, "tokyo-3f");
	b[0].keys.n = 1;
	memcpy(b[0].keys.key[0], s.pub, BEACON_PUB_LEN);
	strcpy(b[1].id, "osaka-1");
	b[1].keys.n = 1;
	memcpy(b[1].keys.key[0], o.pub, BEACON_PUB_LEN);
	memset(nonce, 1, sizeof(nonce));
	memset(other, 2, sizeof(other));
	memset(&m, 0, sizeof(m));
	m.type = PROBE_MSG_ANSWER;

	assert_int_equal(beacon_sign_answer(&s, nonce, "tokyo-3f", (uint64_t)now, &a), BEACON_OK);
	assert_int_equal(beacon_answer_encode(m.answer, sizeof(m.answer), &a), BEACON_ANSWER_LEN);
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), 0);
	assert_string_equal(res.id, "tokyo-3f");
	assert_int_equal(res.key, 0);
	/* another round's nonce: a replay */
	assert_int_equal(probe_answer_check(&m, b, 2, other, now, &res, &why), -1);
	assert_string_equal(why, "nonce does not match the challenge sent");
	/* passed off as osaka-1's: not under its key */
	m.index = 1;
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), -1);
	assert_string_equal(why, "signature does not verify under any pinned key");
	/* a beacon it was not asked about */
	m.index = 2;
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), -1);
	/* tokyo-3f's key, another id: not tokyo-3f's answer */
	m.index = 0;
	assert_int_equal(beacon_sign_answer(&s, nonce, "osaka-1", (uint64_t)now, &a), BEACON_OK);
	assert_int_equal(beacon_answer_encode(m.answer, sizeof(m.answer), &a), BEACON_ANSWER_LEN);
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), -1);
	assert_string_equal(why, "answer from another beacon id");
	/* an hour old */
	assert_int_equal(beacon_sign_answer(&s, nonce, "tokyo-3f", (uint64_t)now - 3600, &a), BEACON_OK);
	assert_int_equal(beacon_answer_encode(m.answer, sizeof(m.answer), &a), BEACON_ANSWER_LEN);
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), -1);
	assert_string_equal(why, beacon_strerror(BEACON_E_STALE));
	/* a signature of zeros over the right nonce, id and time: refused */
	assert_int_equal(beacon_sign_answer(&s, nonce, "tokyo-3f", (uint64_t)now, &a), BEACON_OK);
	memset(a.sig, 0, sizeof(a.sig));
	assert_int_equal(beacon_answer_encode(m.answer, sizeof(m.answer), &a), BEACON_ANSWER_LEN);
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), -1);
	assert_string_equal(why, "signature does not verify under any pinned key");
	/* no checker at all: fail closed */
	bverify_stop();
	assert_true(bverify_init("/nonexistent/sekisho-beacon-verify") < 0);
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), -1);
	assert_string_equal(why, "no signature checker (sekisho-beacon-verify) runs");
	/* The trust boundary: a lying checker is what it takes for the forged
	 * answer to pass (the other checks still hold: nonce, id, time). */
	bverify_stop();
	assert_int_equal(bverify_init("tests/lab/lying-bverify.py"), 0);
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), 0);
	assert_int_equal(probe_answer_check(&m, b, 2, other, now, &res, &why), -1);
	assert_string_equal(why, "nonce does not match the challenge sent");
	bverify_stop();
	beacon_signer_free(&s);
	beacon_signer_free(&o);
}

/* An executable script at /tmp; its path in path. */
static void
script(char *path, size_t size, const char *name, const char *text)
{
	FILE *f;

	snprintf(path, size, "/tmp/sk-test-office-%s.%d", name, (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, 0700);
}

/* The checker's start-up is not the first check's: a checker that takes
 * a whole second to start (twice BVERIFY_TIMEOUT_MS) still answers the
 * check made right after it was started, since sekishod waits for its
 * ready message first; one that ends before it is ready fails closed. */
static void
test_checker_ready(void **state)
{
	uint8_t seed[BEACON_SEED_LEN] = { 9 }, nonce[BEACON_NONCE_LEN];
	char slow[64], cwd[PATH_MAX], text[PATH_MAX + 64];
	struct beacon_signer s;
	struct beacon_answer a;
	struct beacon_result res;
	struct probe_beacon b[1];
	struct probe_msg m;
	const char *why = NULL;
	time_t now = time(NULL);

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(text, sizeof(text), "#!/bin/sh\nsleep 1\nexec %s/build/sekisho-beacon-verify\n",
	    cwd);
	script(slow, sizeof(slow), "slow-checker", text);
	assert_int_equal(beacon_signer_init(&s, seed, NULL), 0);
	memset(b, 0, sizeof(b));
	strcpy(b[0].id, "tokyo-3f");
	b[0].keys.n = 1;
	memcpy(b[0].keys.key[0], s.pub, BEACON_PUB_LEN);
	memset(nonce, 1, sizeof(nonce));
	memset(&m, 0, sizeof(m));
	m.type = PROBE_MSG_ANSWER;
	assert_int_equal(beacon_sign_answer(&s, nonce, "tokyo-3f", (uint64_t)now, &a), BEACON_OK);
	assert_int_equal(beacon_answer_encode(m.answer, sizeof(m.answer), &a), BEACON_ANSWER_LEN);
	assert_int_equal(bverify_init(slow), 0);
	if (probe_answer_check(&m, b, 1, nonce, now, &res, &why) != 0)
		fail_msg("the first check after the start: %s", why);
	assert_int_equal(res.key, 0);
	bverify_stop();
	/* gone before it was ready: not verified */
	assert_int_equal(bverify_init("/bin/true"), 0);
	assert_int_equal(probe_answer_check(&m, b, 1, nonce, now, &res, &why), -1);
	assert_string_equal(why, "the signature checker went away");
	bverify_stop();
	beacon_signer_free(&s);
	unlink(slow);
}

/* The round trip, from the kernel's two times: the moment sekishod reads
 * them (now) is not in it. */
static void
test_round_trip_us(void **state)
{
	const int64_t t0 = 1800000000000000000, m0 = 5000000000;

	(void)state;
	/* sent 20 us after t0, answered 150 us later, read 300 ms later */
	assert_int_equal(probe_round_trip_us(t0, m0, t0 + 20000, t0 + 170000,
	    t0 + 300000000, m0 + 300000000), 150);
	/* no transmit time: from t0, the moment before the send */
	assert_int_equal(probe_round_trip_us(t0, m0, -1, t0 + 170000,
	    t0 + 300000000, m0 + 300000000), 170);
	/* a transmit time before t0 or after the answer is none of this
	 * challenge's: from t0 */
	assert_int_equal(probe_round_trip_us(t0, m0, t0 - 5000000, t0 + 170000,
	    t0 + 300000000, m0 + 300000000), 170);
	assert_int_equal(probe_round_trip_us(t0, m0, t0 + 200000, t0 + 170000,
	    t0 + 300000000, m0 + 300000000), 170);
	/* no receive time: until now */
	assert_int_equal(probe_round_trip_us(t0, m0, t0 + 20000, -1,
	    t0 + 300000000, m0 + 300000000), 299980);
	/* the real-time clock stepped by 2 ms meanwhile: no measure */
	assert_int_equal(probe_round_trip_us(t0, m0, t0 + 20000, t0 + 170000,
	    t0 + 302000000, m0 + 300000000), UINT32_MAX);
}

/* The test as the office beacon on lo: a UDP socket, answers sent with
 * TTL 255. */
struct fake_beacon {
	int			fd;
	struct beacon_signer	s;
	unsigned int		challenges;	/* received, all with TTL 255 */
	unsigned int		delay_us;	/* before each answer: a relay's distance */
};

static void
fake_beacon_open(struct fake_beacon *fb, struct policy *pol)
{
	uint8_t seed[BEACON_SEED_LEN] = { 7 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int ttl = 255, on = 1;

	memset(fb, 0, sizeof(*fb));
	assert_int_equal(beacon_signer_init(&fb->s, seed, NULL), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fb->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fb->fd >= 0);
	assert_int_equal(setsockopt(fb->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)), 0);
	assert_int_equal(setsockopt(fb->fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)), 0);
	assert_int_equal(bind(fb->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fb->fd, (struct sockaddr *)&a, &len), 0);
	memset(pol, 0, sizeof(*pol));
	pol->beacon_timeout_ms = 1000;
	pol->beacon_attempts = 3;
	pol->n_beacons = 1;
	strcpy(pol->beacons[0].id, "tokyo-3f");
	pol->beacons[0].n_keys = 1;
	memcpy(pol->beacons[0].keys[0], fb->s.pub, BEACON_PUB_LEN);
	pol->beacons[0].addr = a;
}

/* One challenge in, its answer out (after delay_us). */
static void
fake_beacon_answer(struct fake_beacon *fb)
{
	uint8_t in[256], out[BEACON_ANSWER_LEN];
	union {
		struct cmsghdr	align;
		uint8_t		buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct sockaddr_in from;
	struct iovec iov = { in, sizeof(in) };
	struct msghdr mh = {
		.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
		.msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct beacon_challenge c;
	struct beacon_answer a;
	struct cmsghdr *cm;
	ssize_t n;
	int ttl = -1;

	n = recvmsg(fb->fd, &mh, 0);
	assert_int_equal(n, BEACON_CHALLENGE_LEN);
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TTL)
			memcpy(&ttl, CMSG_DATA(cm), sizeof(ttl));
	assert_int_equal(ttl, 255);	/* sekishod's challenge, TTL 255 */
	assert_int_equal(beacon_challenge_decode(in, (size_t)n, &c), BEACON_OK);
	fb->challenges++;
	if (fb->delay_us > 0)
		usleep(fb->delay_us);
	assert_int_equal(beacon_sign_answer(&fb->s, c.nonce, "tokyo-3f",
	    (uint64_t)time(NULL), &a), BEACON_OK);
	assert_int_equal(beacon_answer_encode(out, sizeof(out), &a), BEACON_ANSWER_LEN);
	assert_int_equal(sendto(fb->fd, out, sizeof(out), 0, (struct sockaddr *)&from,
	    sizeof(from)), (ssize_t)sizeof(out));
}

struct verdict {
	int		got;
	struct event	ev;
};

static void
on_verdict(const struct event *ev, void *arg)
{
	struct verdict *v = arg;

	v->got = 1;
	v->ev = *ev;
}

/* sekishod's loop around one probe run, with the fake beacon answering
 * (answer: 0 lets challenges go unanswered); hold_ms: how long sekishod
 * is busy elsewhere before it reads what came in, each time. The verdict. */
static struct event
drive(struct prober *p, struct fake_beacon *fb, int answer, unsigned int hold_ms)
{
	struct pollfd pfd[PROBER_MAX_POLLFDS + 1];
	struct verdict v;
	struct event ev;
	size_t n;
	int t;

	memset(&v, 0, sizeof(v));
	while (p->n > 0) {
		n = prober_pollfds(p, pfd, PROBER_MAX_POLLFDS);
		pfd[n] = (struct pollfd){ .fd = fb->fd, .events = POLLIN };
		t = prober_timeout(p, now_ms());
		assert_true(poll(pfd, n + 1, t < 0 ? 60000 : t) >= 0);
		if (pfd[n].revents & POLLIN) {
			if (!answer) {
				uint8_t junk[256];

				assert_true(recv(fb->fd, junk, sizeof(junk), 0) > 0);
				fb->challenges++;
			} else
				fake_beacon_answer(fb);
		}
		if (hold_ms > 0)
			usleep(hold_ms * 1000);
		for (size_t i = n; i-- > 0; )
			if (prober_read(p, &pfd[i], &ev, now_ms()))
				return ev;
		prober_expire(p, now_ms(), on_verdict, &v);
		if (v.got)
			return v.ev;
	}
	fail_msg("the run ended without a verdict");
	return v.ev;
}

/* Rounds without an answer: beacon-attempts of them, each a challenge
 * sekishod sent itself (TTL 255), then the run fails with its reason. */
static void
test_prober_rounds(void **state)
{
	struct fake_beacon fb;
	struct policy pol;
	struct prober p;
	struct event ev;
	char cwd[PATH_MAX], helper[PATH_MAX + 32];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(helper, sizeof(helper), "%s/build/sekisho-probe", cwd);
	fake_beacon_open(&fb, &pol);
	pol.beacon_timeout_ms = 100;
	pol.beacon_rtt_us = 2000;
	prober_init(&p, helper);
	assert_int_equal(prober_start(&p, &pol, 7, "lo", now_ms()), 0);
	ev = drive(&p, &fb, 0, 0);
	assert_int_equal(ev.type, EV_BEACON_FAIL);
	assert_int_equal(ev.ifindex, 7);
	assert_int_equal(fb.challenges, 3);
	assert_int_equal(p.n, 0);
	beacon_signer_free(&fb.s);
	close(fb.fd);
}

/* The bound is on the wire's time: an answer that comes 30 ms after its
 * challenge (a relay's distance) is refused in every round, however soon
 * sekishod reads it; an answer that comes at once is taken, although
 * sekishod (busy elsewhere) reads it 200 ms later each time, which the
 * measure before this one (from the nonce to sekishod's reading of the
 * probe's verdict) counted in. */
static void
test_prober_wire_time(void **state)
{
	struct fake_beacon fb;
	struct policy pol;
	struct prober p;
	struct event ev;
	char cwd[PATH_MAX], helper[PATH_MAX + 32];

	(void)state;
	assert_int_equal(bverify_init("build/sekisho-beacon-verify"), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(helper, sizeof(helper), "%s/build/sekisho-probe", cwd);
	fake_beacon_open(&fb, &pol);
	pol.beacon_rtt_us = 20000;	/* 20 ms */
	prober_init(&p, helper);

	fb.delay_us = 30000;
	assert_int_equal(prober_start(&p, &pol, 7, "lo", now_ms()), 0);
	ev = drive(&p, &fb, 1, 0);
	assert_int_equal(ev.type, EV_BEACON_FAIL);
	assert_int_equal(fb.challenges, PROBE_SLOW_ROUNDS);

	fb.delay_us = 0;
	fb.challenges = 0;
	assert_int_equal(prober_start(&p, &pol, 7, "lo", now_ms()), 0);
	ev = drive(&p, &fb, 1, 200);
	assert_int_equal(ev.type, EV_BEACON_OK);
	assert_string_equal(ev.beacon, "tokyo-3f");
	prober_stop_all(&p);
	bverify_stop();
	beacon_signer_free(&fb.s);
	close(fb.fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reaped_probe_not_killed),
		cmocka_unit_test(test_probe_lines),
		cmocka_unit_test(test_probe_answer_check),
		cmocka_unit_test(test_checker_ready),
		cmocka_unit_test(test_round_trip_us),
		cmocka_unit_test(test_prober_rounds),
		cmocka_unit_test(test_prober_wire_time),
	};
	return cmocka_run_group_tests_name("office", tests, NULL, NULL);
}
