/*
 * The session socket (lib/proto/gwsess_wire.h): SOCK_SEQPACKET, 0660
 * root and the -g group (the verifier's), in a directory of its own. At
 * most SESSD_MAX connections wait at once, each for SESSD_WAIT_MS; a
 * connection sends one request of exactly GWS_REQ_LEN bytes and gets its
 * answer, then the gateway closes it. Anything else closes it with one
 * log line.
 */
#include "agency/sekisho-gw/gw.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"

#define SESSD_WAIT_MS	2000
#define SESSD_SEND_MS	2000

struct conn {
	int		fd;
	uint64_t	deadline;
};

struct sessd {
	int		lfd;
	char		path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct conn	c[SESSD_MAX];
	size_t		n;
};

int
sessd_open(struct sessd **out, const char *path, const char *group, struct sk_error *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sessd *s;
	gid_t gid = 0;

	if (strlen(path) >= sizeof(sun.sun_path))
		return sk_errorf(err, ENAMETOOLONG, "session socket path too long: %s", path);
	if (group != NULL) {
		struct group *gr = getgrnam(group);

		if (gr == NULL)
			return sk_errorf(err, ENOENT, "session socket: no group '%s'", group);
		gid = gr->gr_gid;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	memcpy(sun.sun_path, path, strlen(path) + 1);
	memcpy(s->path, path, strlen(path) + 1);
	if ((s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1) {
		free(s);
		return sk_errorf(err, errno, "session socket: %s", strerror(errno));
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		sk_errorf(err, errno, "session socket %s: %s", path, strerror(errno));
		goto fail;
	}
	{
		mode_t old = umask(0177);
		int rc = bind(s->lfd, (struct sockaddr *)&sun, sizeof(sun));

		umask(old);
		if (rc == -1) {
			sk_errorf(err, errno, "session socket %s: %s", path, strerror(errno));
			goto fail;
		}
	}
	if ((group != NULL && (chown(path, 0, gid) == -1 || chmod(path, 0660) == -1)) ||
	    listen(s->lfd, SESSD_MAX) == -1) {
		sk_errorf(err, errno, "session socket %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	*out = s;
	return 0;
fail:
	close(s->lfd);
	free(s);
	return -1;
}

int
sessd_listener(const struct sessd *s)
{
	return s->lfd;
}

void
sessd_close(struct sessd *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		close(s->c[i].fd);
	close(s->lfd);
	unlink(s->path);
	free(s);
}

size_t
sessd_pollfds(struct sessd *s, struct pollfd *pfd, size_t max)
{
	size_t n = 0;

	if (max == 0)
		return 0;
	pfd[n].fd = s->n < SESSD_MAX ? s->lfd : -1;
	pfd[n++].events = POLLIN;
	for (size_t i = 0; i < s->n && n < max; i++) {
		pfd[n].fd = s->c[i].fd;
		pfd[n++].events = POLLIN;
	}
	return n;
}

int64_t
sessd_next_deadline(const struct sessd *s)
{
	int64_t d = 0;

	for (size_t i = 0; i < s->n; i++)
		if (d == 0 || (int64_t)s->c[i].deadline < d)
			d = (int64_t)s->c[i].deadline;
	return d;
}

static void
drop(struct sessd *s, size_t i)
{
	close(s->c[i].fd);
	s->c[i] = s->c[--s->n];
}

void
sessd_ready(struct sessd *s, const struct pollfd *pfd, size_t n, uint64_t now,
    sessd_handler fn, void *arg)
{
	/* connections first (pfd[1..] match s->c as sessd_pollfds made them) */
	for (size_t i = n > 0 ? n - 1 : 0; i > 0; i--) {
		size_t k = i - 1;
		uint8_t msg[GWS_REQ_LEN + 1];
		struct gws_req req;
		struct sk_error err;
		ssize_t len;

		if (k >= s->n || pfd[i].fd != s->c[k].fd)
			continue;
		if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
			if (now >= s->c[k].deadline) {
				log_warnx("session socket: a client sent nothing in %d ms: closed",
				    SESSD_WAIT_MS);
				drop(s, k);
			}
			continue;
		}
		len = recv(s->c[k].fd, msg, sizeof(msg), MSG_DONTWAIT);
		if (len == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (len <= 0) {
			drop(s, k);
			continue;
		}
		if (gws_req_decode(msg, (size_t)len, &req, &err) < 0) {
			log_warnx("session socket: %s", err.msg);
			sessd_done(s->c[k].fd, EINVAL, "%s", err.msg);
		} else {
			struct timeval tv = { SESSD_SEND_MS / 1000, (SESSD_SEND_MS % 1000) * 1000 };

			setsockopt(s->c[k].fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			fn(arg, &req, s->c[k].fd);
		}
		drop(s, k);
	}
	if (n > 0 && pfd[0].fd == s->lfd && (pfd[0].revents & POLLIN)) {
		int fd;

		while (s->n < SESSD_MAX &&
		    (fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) != -1) {
			s->c[s->n].fd = fd;
			s->c[s->n++].deadline = now + SESSD_WAIT_MS;
		}
	}
}

int
sessd_reply(int fd, const struct gws_rep *rep)
{
	uint8_t out[GWS_REP_LEN];
	int flags;

	if (gws_rep_encode(out, rep) < 0)
		return -EINVAL;
	/* blocking, bounded by SO_SNDTIMEO: a long list waits for its reader */
	if ((flags = fcntl(fd, F_GETFL)) != -1)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	if (send(fd, out, sizeof(out), MSG_NOSIGNAL) != (ssize_t)sizeof(out))
		return -errno;
	return 0;
}

int
sessd_done(int fd, int status, const char *fmt, ...)
{
	struct gws_rep rep = { .type = GWS_R_DONE, .status = (uint32_t)status };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep.text, sizeof(rep.text), fmt, ap);
	va_end(ap);
	for (char *p = rep.text; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	return sessd_reply(fd, &rep);
}
