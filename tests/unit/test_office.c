/* sekishod's probe runs (netvm/sekishod/office.c) and their helper
 * processes: a helper reaped by sekishod's SIGCHLD handler before its run
 * ended is never signalled afterwards, since its pid may name another
 * process by then (issue 10, item 18). kill() is interposed to see what
 * office.c signals. */
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/proto/beacon_sign.h"
#include "lib/proto/probe_wire.h"
#include "netvm/sekishod/bverify.h"
#include "netvm/sekishod/office.h"
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
	assert_int_equal(prober_start(&p, &pol, 7, "up0", 0), 0);
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
	assert_int_equal(prober_start(&p, &pol, 7, "up0", 0), 0);
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
	uint8_t pkt[BEACON_ANSWER_LEN], nonce[BEACON_NONCE_LEN];
	char line[PROBE_LINE_MAX];
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
	n = probe_answer_format(line, sizeof(line), 1, 255, 412, pkt);
	assert_true(n > 0 && line[n - 1] == '\n');
	line[n - 1] = '\0';
	assert_int_equal(probe_msg_parse(line, 2, &m, &err), 0);
	assert_int_equal(m.type, PROBE_MSG_ANSWER);
	assert_int_equal(m.index, 1);
	assert_int_equal(m.ttl, 255);
	assert_int_equal(m.rtt_us, 412);
	assert_memory_equal(m.answer, pkt, sizeof(pkt));
	/* index 1 of one beacon asked about */
	assert_int_equal(probe_msg_parse(line, 1, &m, &err), -EINVAL);
	assert_string_equal(err.msg, "answer for a beacon it was not asked about");
	/* the old protocol's verdict is no line of this one */
	assert_int_equal(probe_msg_parse("ok tokyo-3f 0 1", 1, &m, &err), -EINVAL);
	assert_int_equal(probe_msg_parse("none ", 1, &m, &err), -EINVAL);
	assert_int_equal(probe_msg_parse("none \x01", 1, &m, &err), -EINVAL);
	assert_int_equal(probe_msg_parse("answer 0 255 01 00", 1, &m, &err), -EINVAL);
	assert_int_equal(probe_msg_parse("answer 0  255 1 00", 1, &m, &err), -EINVAL);
	assert_int_equal(probe_msg_parse("answer 0 256 1 00", 1, &m, &err), -EINVAL);
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

/* The one child of this process that is not a zombie, or 0. */
static pid_t
only_child(void)
{
	char path[300], line[512], *p, state;
	struct dirent *e;
	pid_t found = 0;
	long ppid;
	DIR *d;
	FILE *f;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		p = fgets(line, sizeof(line), f);
		fclose(f);
		/* "pid (comm) state ppid ...": comm may hold anything */
		if (p == NULL || (p = strrchr(line, ')')) == NULL ||
		    sscanf(p + 1, " %c %ld", &state, &ppid) != 2)
			continue;
		if (ppid == (long)getpid() && state != 'Z')
			found = (pid_t)atol(e->d_name);
	}
	closedir(d);
	return found;
}

/* Wait until the signature checker that bverify_init just started waits
 * for its first request: blocked in recvfrom(2) on its socket, fd 0
 * (/proc/PID/syscall), whether it is the real one (sandboxed first) or
 * the lying one (Python). Each check must be answered within
 * BVERIFY_TIMEOUT_MS (500 ms), and a first check sent while the process
 * is still starting counted its start-up too: under load the answer
 * came late and the check failed. The condition, not a time: at most
 * 60 s, then the test fails here, saying so. */
static void
wait_checker_ready(void)
{
	char path[64], line[256];
	long nr, fd;
	pid_t pid;
	FILE *f;

	for (int i = 0; i < 6000; i++) {
		if ((pid = only_child()) > 0) {
			snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
			if ((f = fopen(path, "r")) != NULL) {
				if (fgets(line, sizeof(line), f) != NULL &&
				    sscanf(line, "%ld %lx", &nr, &fd) == 2 &&
				    nr == SYS_recvfrom && fd == 0) {
					fclose(f);
					return;
				}
				fclose(f);
			}
		}
		usleep(10000);
	}
	fail_msg("the signature checker never waited for a request (pid %d)", (int)only_child());
}

/* sekishod's check of an answer: only a genuine answer to its own nonce,
 * from the beacon it names, with TTL 255. */
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
	wait_checker_ready();
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
	m.ttl = 255;

	assert_int_equal(beacon_sign_answer(&s, nonce, "tokyo-3f", (uint64_t)now, &a), BEACON_OK);
	assert_int_equal(beacon_answer_encode(m.answer, sizeof(m.answer), &a), BEACON_ANSWER_LEN);
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), 0);
	assert_string_equal(res.id, "tokyo-3f");
	assert_int_equal(res.key, 0);
	/* another round's nonce: a replay */
	assert_int_equal(probe_answer_check(&m, b, 2, other, now, &res, &why), -1);
	assert_string_equal(why, "nonce does not match the challenge sent");
	/* not on-link, by the probe's own word */
	m.ttl = 254;
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), -1);
	assert_string_equal(why, "answer not from this LAN (TTL below 255)");
	m.ttl = 255;
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
	wait_checker_ready();
	assert_int_equal(probe_answer_check(&m, b, 2, nonce, now, &res, &why), 0);
	assert_int_equal(probe_answer_check(&m, b, 2, other, now, &res, &why), -1);
	assert_string_equal(why, "nonce does not match the challenge sent");
	bverify_stop();
	beacon_signer_free(&s);
	beacon_signer_free(&o);
}

/* Rounds: a helper that never gets an answer is given beacon-attempts
 * rounds, each with a fresh nonce, and then the run fails with its reason. */
static void
test_prober_rounds(void **state)
{
	char script[64];
	struct policy pol;
	struct prober p;
	struct event ev;
	struct pollfd pfd;
	FILE *f;
	int got = 0, status;
	pid_t pid;

	(void)state;
	snprintf(script, sizeof(script), "/tmp/sk-test-office-probe.%d.py", (int)getpid());
	f = fopen(script, "w");
	assert_non_null(f);
	/* One read per message: the helper's input is a SOCK_SEQPACKET socket. */
	fputs("#!/usr/bin/env python3\n"
	    "import os\n"
	    "while b'go' not in os.read(0, 4096).split(b'\\n'): pass\n"
	    "os.write(1, b'ready\\n')\n"
	    "n = 0\n"
	    "while os.read(0, 4096):\n"
	    "    n += 1\n"
	    "    os.write(1, b'none tokyo-3f: round %d, no answer\\n' % n)\n", f);
	fclose(f);
	chmod(script, 0700);
	memset(&pol, 0, sizeof(pol));
	pol.beacon_timeout_ms = 100;
	pol.beacon_attempts = 3;
	pol.beacon_rtt_us = 2000;
	pol.n_beacons = 1;
	strcpy(pol.beacons[0].id, "tokyo-3f");
	pol.beacons[0].n_keys = 1;
	pol.beacons[0].keys[0][0] = 1;
	pol.beacons[0].addr.sin_family = AF_INET;
	prober_init(&p, script);
	assert_int_equal(prober_start(&p, &pol, 7, "up0", 0), 0);
	pid = p.runs[0].pid;
	while (!got) {
		pfd.fd = p.runs[0].fd;
		pfd.events = POLLIN;
		/* the helper is Python: its start alone took seconds under
		 * load; 60 s only so a broken prober fails instead of hanging */
		assert_int_equal(poll(&pfd, 1, 60000), 1);
		got = prober_read(&p, 0, &ev, 0);
	}
	assert_int_equal(ev.type, EV_BEACON_FAIL);
	assert_int_equal(ev.ifindex, 7);
	assert_int_equal(p.n, 0);
	waitpid(pid, &status, 0);
	unlink(script);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reaped_probe_not_killed),
		cmocka_unit_test(test_probe_lines),
		cmocka_unit_test(test_probe_answer_check),
		cmocka_unit_test(test_prober_rounds),
	};
	return cmocka_run_group_tests_name("office", tests, NULL, NULL);
}
