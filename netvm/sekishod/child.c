/* sekishod's children that are sekishod again (child.h). */
#include "netvm/sekishod/child.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/util.h"

/*
 * What the exec'd child does before it narrows its own filter: the
 * loader's start (mappings with PROT_EXEC, SANDBOX_EXEC_MAPS), naming
 * itself, opening syslog, and sandbox_enter's own steps (compiling the
 * filter into a memory file, Landlock, no_new_privs, the limits).
 */
static const int exec_calls[] = { SCMP_SYS(execve), SCMP_SYS(access),
    SCMP_SYS(arch_prctl), SCMP_SYS(prlimit64), SCMP_SYS(rseq), SCMP_SYS(set_robust_list),
    SCMP_SYS(set_tid_address), SCMP_SYS(prctl), SCMP_SYS(seccomp), SCMP_SYS(setrlimit),
    SCMP_SYS(memfd_create), SCMP_SYS(landlock_create_ruleset),
    SCMP_SYS(landlock_add_rule), SCMP_SYS(landlock_restrict_self), SCMP_SYS(capget),
    SCMP_SYS(capset), SCMP_SYS(rt_sigaction), SCMP_SYS(getrandom) };

void
child_forked_enter(int fd, const struct sandbox_prepared *prep)
{
	sigset_t none;
	int rc;

	for (int i = 3; i < 1024; i++)
		if (i != fd && i != prep->ruleset_fd)
			close(i);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if ((rc = sandbox_apply(prep)) < 0)
		fatalx("%s: cannot enter the sandbox: %s", prep->name, strerror(-rc));
	if (prep->ruleset_fd != -1)
		close(prep->ruleset_fd);
}

int
child_spawn(const struct sandbox *post, enum child_role role, int forked,
    child_main_fn main, pid_t *pid, int *fd, struct sk_error *err)
{
	static const struct sandbox_path paths[] = {
		{ "/proc/self/exe", SANDBOX_EXEC }, { "/usr", SANDBOX_EXEC },
		{ "/etc/ld.so.cache", SANDBOX_READ },
	};
	int calls[nitems(exec_calls) + 16], sv[2], rc;
	char level[16], *argv[] = { "sekishod", SEKISHOD_CHILD_ARG,
	    role == CHILD_ENGINE ? "engine" : "frontend",
	    log_getforeground() ? "stderr" : "syslog", level, NULL };
	struct sandbox pre = *post;
	size_t n = 0;

	if (post->n_syscalls > 16)
		abort();
	for (size_t i = 0; i < nitems(exec_calls); i++)
		calls[n++] = exec_calls[i];
	for (size_t i = 0; i < post->n_syscalls; i++)
		calls[n++] = post->syscalls[i];
	pre.syscalls = calls;
	pre.n_syscalls = n;
	pre.paths = paths;
	pre.n_paths = nitems(paths);
	pre.flags = post->flags | SANDBOX_EXEC_MAPS | SANDBOX_KEEP_NPROC;
	*fd = -1;
	if (forked) {
		struct sandbox_prepared prep;

		if ((*pid = sandbox_fork(post, argv[2], &prep, fd, err)) == -1)
			return -1;
		if (*pid == 0)
			main(*fd, &prep);
		return 0;
	}
	snprintf(level, sizeof(level), "%d", log_getverbose());
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return sk_errorf(err, errno, "%s: socketpair: %s", argv[2], strerror(errno)), -1;
	{
		const int fds[] = { -1, -1, -1, sv[1] };

		rc = sandbox_spawn_fds(pid, &pre, "/proc/self/exe", argv, NULL, fds,
		    nitems(fds), err);
	}
	close(sv[1]);
	if (rc < 0) {
		close(sv[0]);
		return -1;
	}
	*fd = sv[0];
	return 0;
}

enum child_role
child_role(int argc, char **argv)
{
	uint64_t v;
	enum child_role role;

	if (argc != 5 || strcmp(argv[1], SEKISHOD_CHILD_ARG) != 0 ||
	    parse_u64(argv[4], 0, LOG_LEVEL_DEBUG + 8, &v) < 0)
		exit(2);
	if (strcmp(argv[2], "engine") == 0)
		role = CHILD_ENGINE;
	else if (strcmp(argv[2], "frontend") == 0)
		role = CHILD_FRONTEND;
	else
		exit(2);
	prctl(PR_SET_NAME, "sekishod", 0, 0, 0);
	log_init("sekishod", strcmp(argv[3], "stderr") == 0, (int)v);
	return role;
}

