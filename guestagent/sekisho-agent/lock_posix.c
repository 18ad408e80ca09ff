/* lock.h on Linux: a lock command run without a shell, flock, fstat. */
#include "guestagent/sekisho-agent/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

#define LOCK_ARGS	16

int
session_lock(const char *cmd, char *detail, size_t detail_size)
{
	char buf[512], *argv[LOCK_ARGS + 1], *save = NULL, *w;
	int n = 0, st;
	pid_t pid;

	if (cmd == NULL)
		cmd = LOCK_CMD_DEFAULT;
	if (strlen(cmd) >= sizeof(buf)) {
		snprintf(detail, detail_size, "the lock command is too long");
		return -1;
	}
	sk_strlcpy(buf, cmd, sizeof(buf));
	for (w = strtok_r(buf, " \t", &save); w != NULL && n < LOCK_ARGS;
	    w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
	if (n == 0 || w != NULL) {
		snprintf(detail, detail_size, "the lock command '%s': 1 to %d words",
		    cmd, LOCK_ARGS);
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		snprintf(detail, detail_size, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR) {
			snprintf(detail, detail_size, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		snprintf(detail, detail_size, "'%s' failed (%s %d)", cmd,
		    WIFEXITED(st) ? "exit" : "signal",
		    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		return -1;
	}
	return 0;
}

int
file_lock(int fd)
{
	while (flock(fd, LOCK_EX) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

void
file_unlock(int fd)
{
	(void)flock(fd, LOCK_UN);
}

int
file_private(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_uid == geteuid() && (st.st_mode & 077) == 0;
}

void
pause_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

int
file_replace(const char *tmp, const char *path, const char *dir)
{
	int d, rc;

	if (rename(tmp, path) != 0)
		return -1;
	if ((d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(d);
	close(d);
	return rc;
}
