#include "netvm/sekishod/fetcher.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/util.h"
#include "policy/fileio.h"

/* Field by field: the path buffers stay untouched (not resident) until a
 * fetch uses them; sekishod's idle RSS is a budget. */
void
fetch_init(struct fetcher *f, const char *helper)
{
	f->helper = helper;
	f->pid = -1;
	f->err_fd = -1;
	f->out_fd = -1;
	f->len = 0;
	f->line[0] = '\0';
	f->reaped = 0;
	f->wstatus = 0;
	f->size = 0;
	f->started_ms = 0;
	f->server[0] = '\0';
	f->via[0] = '\0';
	f->last_wall.tv_sec = 0;
	f->last_wall.tv_nsec = 0;
	f->result[0] = '\0';
}

int
fetch_running(const struct fetcher *f)
{
	return f->pid > 0 || f->err_fd != -1;
}

static void
line_set(struct fetcher *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
line_set(struct fetcher *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->line, sizeof(f->line), fmt, ap);
	va_end(ap);
	f->len = strlen(f->line);
}

/*
 * The file the helper writes, in the incoming path's directory (same file
 * system, so the final rename is atomic), 0600 whatever the umask. It has
 * no name until it is complete (O_TMPFILE): a fetch cut short, even by a
 * kill -9 of sekishod, leaves nothing behind. Only a file system without
 * O_TMPFILE gets a named temporary file, removed on every failure.
 */
/* Names "INCOMING.fetch-*" that a sekishod killed between naming a
 * finished file and renaming it (or a file system without O_TMPFILE) left
 * in dir: only sekishod makes them, one fetch at a time, so any there
 * before a fetch starts is stale. */
static void
tmp_sweep(const char *dir, const char *incoming)
{
	const char *base = strrchr(incoming, '/');
	char prefix[NAME_MAX + 1];
	struct dirent *e;
	DIR *d;
	int dfd;

	base = base != NULL ? base + 1 : incoming;
	if (snprintf(prefix, sizeof(prefix), "%s.fetch-", base) >= (int)sizeof(prefix) ||
	    (d = opendir(dir)) == NULL)
		return;
	dfd = dirfd(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 &&
		    unlinkat(dfd, e->d_name, 0) == 0)
			log_info("fetch: removed %s/%s, left by an interrupted fetch", dir,
			    e->d_name);
	closedir(d);
}

static int
tmp_open(struct fetcher *f, const char *incoming)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(incoming, '/');
	int fd;

	if (snprintf(f->tmp, sizeof(f->tmp), "%s.fetch-XXXXXX", incoming) >=
	    (int)sizeof(f->tmp))
		return -ENAMETOOLONG;
	if (slash == NULL)
		sk_strlcpy(dir, ".", sizeof(dir));
	else if (slash == incoming)
		sk_strlcpy(dir, "/", sizeof(dir));
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - incoming), incoming);
	tmp_sweep(dir, incoming);
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	f->named = fd == -1 && (errno == EOPNOTSUPP || errno == EISDIR);
	if (fd == -1 && !f->named)
		return -errno;
	if (f->named && (fd = mkostemp(f->tmp, O_CLOEXEC)) == -1)
		return -errno;
	if (fchmod(fd, 0600) == -1) {
		int e = errno;

		close(fd);
		if (f->named)
			unlink(f->tmp);
		return -e;
	}
	return fd;
}

static void
tmp_drop(struct fetcher *f)
{
	if (f->out_fd != -1) {
		close(f->out_fd);
		f->out_fd = -1;
		if (f->named)
			unlink(f->tmp);
	}
}

/* Gives the finished anonymous file its temporary name (linkat through
 * /proc, which needs no privilege), so that it can be renamed into place. */
static int
tmp_name(struct fetcher *f)
{
	char proc[64];
	int fd;

	if (f->named)
		return 0;
	if ((fd = mkostemp(f->tmp, O_CLOEXEC)) == -1)
		return -errno;
	close(fd);
	unlink(f->tmp);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", f->out_fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp, AT_SYMLINK_FOLLOW) == -1)
		return -errno;
	f->named = 1;
	return 0;
}

int
fetch_start(struct fetcher *f, const struct fetch_args *a, uint64_t now)
{
	char s[sizeof(f->server)], key[KEY_B64_LEN], serial[24], mark[16], t[16],
	    addr[INET_ADDRSTRLEN];
	char *argv[] = { "sekisho-fetch", "-s", s, "-k", key, "-n", serial, "-m", mark,
	    "-t", t, NULL };
	int err[2], rc;

	if (fetch_running(f))
		return -EBUSY;
	f->len = 0;
	f->line[0] = '\0';
	f->reaped = 0;
	snprintf(s, sizeof(s), "%s:%u", inet_ntop(AF_INET, &a->server.sin_addr, addr,
	    sizeof(addr)), ntohs(a->server.sin_port));
	sk_strlcpy(f->server, s, sizeof(f->server));
	sk_strlcpy(f->via, a->via, sizeof(f->via));
	key_to_b64(key, a->device);
	snprintf(serial, sizeof(serial), "%llu", (unsigned long long)a->serial);
	snprintf(mark, sizeof(mark), "%u", a->mark);
	snprintf(t, sizeof(t), "%u", FETCH_HELPER_TIMEOUT_MS);
	if ((f->out_fd = tmp_open(f, a->incoming)) < 0) {
		rc = f->out_fd;
		f->out_fd = -1;
		line_set(f, "%s.fetch-XXXXXX: %s", a->incoming, strerror(-rc));
		return rc;
	}
	if (pipe2(err, O_CLOEXEC) == -1) {
		rc = -errno;
		tmp_drop(f);
		line_set(f, "pipe: %s", strerror(-rc));
		return rc;
	}
	rc = spawn_child(&f->pid, f->helper, argv, -1, f->out_fd, err[1]);
	close(err[1]);
	if (rc < 0) {
		close(err[0]);
		tmp_drop(f);
		f->pid = -1;
		line_set(f, "%s: %s", f->helper, strerror(-rc));
		return rc;
	}
	fcntl(err[0], F_SETFL, O_NONBLOCK);
	f->err_fd = err[0];
	f->started_ms = now;
	return 0;
}

int
fetch_pollfd(const struct fetcher *f, struct pollfd *pfd)
{
	if (f->err_fd == -1)
		return 0;
	*pfd = (struct pollfd){ .fd = f->err_fd, .events = POLLIN };
	return 1;
}

/* Keeps what it writes, raw, at most sizeof(line) - 1 bytes (one more
 * than the engine takes, so that too much is seen); the rest is read and
 * dropped. */
void
fetch_read(struct fetcher *f)
{
	char chunk[256];
	ssize_t n;

	while ((n = read(f->err_fd, chunk, sizeof(chunk))) > 0) {
		size_t room = sizeof(f->line) - 1 - f->len;
		size_t take = (size_t)n < room ? (size_t)n : room;

		memcpy(f->line + f->len, chunk, take);
		f->len += take;
		f->line[f->len] = '\0';
	}
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR)) {
		close(f->err_fd);
		f->err_fd = -1;
	}
}

int
fetch_reaped(struct fetcher *f, pid_t pid, int wstatus)
{
	if (f->pid <= 0 || pid != f->pid)
		return 0;
	f->pid = -1;
	f->reaped = 1;
	f->wstatus = wstatus;
	return 1;
}

int
fetch_exited(const struct fetcher *f)
{
	return f->reaped && f->err_fd == -1;
}

void
fetch_discard(struct fetcher *f)
{
	f->reaped = 0;
	tmp_drop(f);
}

static enum fetch_outcome
store(struct fetcher *f, const char *incoming)
{
	struct sk_error err;
	struct stat st;
	int rc;

	f->size = fstat(f->out_fd, &st) == 0 ? st.st_size : -1;
	if (fsync(f->out_fd) == -1) {
		line_set(f, "%s: fsync: %s", incoming, strerror(errno));
		tmp_drop(f);
		return FETCH_ERROR;
	}
	if ((rc = tmp_name(f)) < 0) {
		line_set(f, "%s: %s", f->tmp, strerror(-rc));
		tmp_drop(f);
		return FETCH_ERROR;
	}
	close(f->out_fd);
	f->out_fd = -1;
	if (rename(f->tmp, incoming) == -1) {
		line_set(f, "%s: %s", incoming, strerror(errno));
		unlink(f->tmp);
		return FETCH_ERROR;
	}
	if (fsync_parent(incoming, &err) < 0) {
		line_set(f, "%s", err.msg);
		return FETCH_ERROR;
	}
	return FETCH_NEWER;
}

/* A freshness statement is small: read into memory (at most one byte
 * more than one, so that its decoder can say "too long"), the file goes. */
static enum fetch_outcome
statement(struct fetcher *f)
{
	ssize_t n;

	f->statement_len = 0;
	while ((n = pread(f->out_fd, f->statement + f->statement_len,
	    sizeof(f->statement) - f->statement_len, (off_t)f->statement_len)) > 0)
		f->statement_len += (size_t)n;
	if (n == -1) {
		line_set(f, "%s: reading the freshness statement: %s", f->server,
		    strerror(errno));
		tmp_drop(f);
		return FETCH_ERROR;
	}
	tmp_drop(f);
	return FETCH_STATEMENT;
}

enum fetch_outcome
fetch_finish(struct fetcher *f, const char *incoming)
{
	int st = f->wstatus;

	if (!f->reaped || f->err_fd != -1)
		return FETCH_RUNNING;
	f->reaped = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == FETCH_EXIT_NEWER)
		return store(f, incoming);
	if (WIFEXITED(st) && WEXITSTATUS(st) == FETCH_EXIT_FRESH)
		return statement(f);
	tmp_drop(f);
	if (WIFEXITED(st) && WEXITSTATUS(st) == FETCH_EXIT_NONE)
		return FETCH_NONE;
	if (f->len == 0) {
		if (WIFSIGNALED(st))
			line_set(f, "%s: the fetch helper died of signal %d", f->server,
			    WTERMSIG(st));
		else
			line_set(f, "%s: the fetch helper failed (exit status %d)", f->server,
			    WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	}
	return FETCH_ERROR;
}

void
fetch_stop(struct fetcher *f)
{
	if (f->pid > 0)
		kill(f->pid, SIGKILL);	/* reaped by sekishod's SIGCHLD handling */
	f->pid = -1;
	f->reaped = 0;
	if (f->err_fd != -1) {
		close(f->err_fd);
		f->err_fd = -1;
	}
	tmp_drop(f);
}

void
fetch_result(struct fetcher *f, const char *fmt, ...)
{
	va_list ap;

	clock_gettime(CLOCK_REALTIME, &f->last_wall);
	va_start(ap, fmt);
	vsnprintf(f->result, sizeof(f->result), fmt, ap);
	va_end(ap);
}
