/*
 * The session socket (lib/proto/gwsess_wire.h): SOCK_SEQPACKET, 0660
 * root and the -g group (the verifier's), in a directory of its own. At
 * most SESSD_MAX connections wait at once, each for SESSD_WAIT_MS; a
 * connection sends one request of exactly GWS_REQ_LEN bytes and gets its
 * answer, then the gateway closes it. Anything else closes it with one
 * log line. Answers are queued (struct sessd_out) and written without
 * ever blocking: the parent writes them as the client takes them.
 */
#include "agency/sekisho-gw/gw.h"

#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"


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
			/* one reply into the fresh socket's empty buffer,
			 * non-blocking: nothing here ever waits for a client */
			struct gws_rep rep = { .type = GWS_R_DONE, .status = EINVAL };
			uint8_t out[GWS_REP_LEN];

			log_warnx("session socket: %s", err.msg);
			memcpy(rep.text, err.msg, strnlen(err.msg, sizeof(rep.text) - 1));
			for (char *p = rep.text; *p; p++)
				if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
					*p = '?';
			if (gws_rep_encode(out, &rep) == 0)
				(void)send(s->c[k].fd, out, sizeof(out), MSG_DONTWAIT | MSG_NOSIGNAL);
		} else
			fn(arg, &req, s->c[k].fd);
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
sessd_reply(struct sessd_out *o, const struct gws_rep *rep)
{
	/* the last DONE always fits: room for one more is kept */
	size_t room = SESSD_OUT_MAX_BYTES - (rep->type == GWS_R_DONE ? 0 : GWS_REP_LEN);

	if (o->len - o->off + GWS_REP_LEN > room) {
		o->full = 1;
		return -EMSGSIZE;
	}
	if (o->off > 0 && o->off == o->len)
		o->off = o->len = 0;
	if (o->len + GWS_REP_LEN > o->cap) {
		size_t cap = o->cap == 0 ? 16 * GWS_REP_LEN : o->cap * 2;
		uint8_t *nb;

		if (cap > SESSD_OUT_MAX_BYTES)
			cap = SESSD_OUT_MAX_BYTES;
		if ((nb = realloc(o->buf, cap)) == NULL)
			return -ENOMEM;
		o->buf = nb;
		o->cap = cap;
	}
	if (gws_rep_encode(o->buf + o->len, rep) < 0)
		return -EINVAL;
	o->len += GWS_REP_LEN;
	return 0;
}

int
sessd_done(struct sessd_out *o, int status, const char *fmt, ...)
{
	struct gws_rep rep = { .type = GWS_R_DONE, .status = (uint32_t)status };
	va_list ap;

	if (o->full) {
		/* never a complete-looking list that is not */
		rep.status = EMSGSIZE;
		snprintf(rep.text, sizeof(rep.text), "answer over %zu rows: cut short",
		    SESSD_OUT_MAX_BYTES / GWS_REP_LEN - 1);
		return sessd_reply(o, &rep);
	}
	va_start(ap, fmt);
	vsnprintf(rep.text, sizeof(rep.text), fmt, ap);
	va_end(ap);
	for (char *p = rep.text; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	return sessd_reply(o, &rep);
}

int
sessd_out_flush(struct sessd_out *o, uint64_t now)
{
	while (o->off < o->len) {
		ssize_t n = send(o->fd, o->buf + o->off, GWS_REP_LEN, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n != GWS_REP_LEN)
			return n == -1 ? -errno : -EIO;
		o->off += GWS_REP_LEN;
		o->deadline = now + SESSD_WAIT_MS;	/* it reads: it may go on */
	}
	return 1;
}

void
sessd_out_free(struct sessd_out *o)
{
	free(o->buf);
	o->buf = NULL;
	o->len = o->off = o->cap = 0;
}
