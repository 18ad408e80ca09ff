/*
 * subreaper: runs a command as a child subreaper, so that daemons orphaned
 * by a test (wireguard-go after kill -9 of sekishod, say) are reparented
 * here and reaped instead of lingering as zombies. When the command exits,
 * whatever it left behind is sent SIGTERM, then SIGKILL, and reaped.
 * Exits with the command's status.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void
forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Signals every process whose parent is this one (the orphans it adopted). */
static int
signal_children(int sig)
{
	char path[300], buf[512], *p;
	struct dirent *de;
	int n = 0;
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		FILE *f;
		long ppid;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 1, " %*c %ld", &ppid) == 1 && ppid == (long)getpid()) {
			kill((pid_t)atol(de->d_name), sig);
			n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

/* Up to 2 s of SIGTERM, then SIGKILL, each round after reaping what has
 * exited; gives up after 5 s rather than hang on an unkillable process. */
static void
reap_orphans(void)
{
	for (int i = 0; i < 100; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (signal_children(i < 40 ? SIGTERM : SIGKILL) == 0)
			return;
		usleep(50000);
	}
	fprintf(stderr, "subreaper: some orphans would not exit\n");
}

int
main(int argc, char *argv[])
{
	int status = 0;
	pid_t p;

	if (argc < 2) {
		fprintf(stderr, "usage: subreaper command [arg ...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		perror("subreaper: prctl");
		return 1;
	}
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	child = fork();
	if (child == -1) {
		perror("subreaper: fork");
		return 1;
	}
	if (child == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "subreaper: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	for (;;) {
		p = waitpid(-1, &status, 0);
		if (p == child)
			break;
		if (p == -1 && errno != EINTR)
			break;
	}
	reap_orphans();
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
