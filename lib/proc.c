#include "lib/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "lib/util.h"

extern char **environ;

int
signals_fd(const int *sigs, size_t n)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < n; i++)
		sigaddset(&set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

static int
child_attrs(posix_spawnattr_t *attr)
{
	static const int dfl[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE,
	    SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM };
	sigset_t none, sigs;
	int rc;

	sigemptyset(&none);
	sigemptyset(&sigs);
	for (size_t i = 0; i < nitems(dfl); i++)
		sigaddset(&sigs, dfl[i]);
	if ((rc = posix_spawnattr_setflags(attr,
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (rc = posix_spawnattr_setsigmask(attr, &none)) != 0 ||
	    (rc = posix_spawnattr_setsigdefault(attr, &sigs)) != 0)
		return rc;
	return 0;
}

static int
child_fds(posix_spawn_file_actions_t *fa, int in, int out, int err)
{
	int rc;

	if (in >= 0)
		rc = posix_spawn_file_actions_adddup2(fa, in, STDIN_FILENO);
	else
		rc = posix_spawn_file_actions_addopen(fa, STDIN_FILENO, "/dev/null",
		    O_RDONLY, 0);
	if (rc == 0 && out >= 0)
		rc = posix_spawn_file_actions_adddup2(fa, out, STDOUT_FILENO);
	if (rc == 0 && err >= 0)
		rc = posix_spawn_file_actions_adddup2(fa, err, STDERR_FILENO);
	if (rc == 0)
		rc = posix_spawn_file_actions_addclosefrom_np(fa, 3);
	return rc;
}

int
spawn_child(pid_t *pid, const char *path, char *const argv[], int in, int out,
    int err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	if ((rc = posix_spawnattr_init(&attr)) != 0)
		return -rc;
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0) {
		posix_spawnattr_destroy(&attr);
		return -rc;
	}
	if ((rc = child_attrs(&attr)) == 0 && (rc = child_fds(&fa, in, out, err)) == 0)
		rc = posix_spawnp(pid, path, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return -rc;
}
