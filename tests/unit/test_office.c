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

#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reaped_probe_not_killed),
	};
	return cmocka_run_group_tests_name("office", tests, NULL, NULL);
}
