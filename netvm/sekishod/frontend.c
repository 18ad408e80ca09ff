#include "netvm/sekishod/frontend.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/util.h"
#include "netvm/sekishod/child.h"
#include "netvm/sekishod/clients.h"

#define FRONTEND_WAIT_MS	20000	/* for the parent's answer (a reload verifies) */

/* ---- the frontend's side ---- */

/* A ping from the parent: answered at once (frontend.h, the heartbeat). */
static void
pong(int fd, const uint8_t *msg, size_t len)
{
	uint8_t out[IMSG_REQ_LEN];
	struct sk_error err;
	uint16_t seq;

	if (imsg_beat_decode(msg, len, IMSG_PING, &seq, &err) != 0)
		fatalx("frontend: the parent's message refused: %s", err.msg);
	imsg_beat_encode(out, IMSG_PONG, seq);
	if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out))
		exit(0);
}

/* Asks the parent (clients.h); its reply comes to frontend_main's loop. */
static int
ask_parent(const struct ctl_req *r, void *arg)
{
	int fd = *(int *)arg;
	uint8_t req[IMSG_PREFER_LEN];
	size_t rlen = IMSG_REQ_LEN;

	if (r->cmd == CTL_PREFER) {
		if (imsg_prefer_encode(req, r->uplink) != 0)
			fatalx("frontend: a preference that ctl_parse_req took: %s", r->uplink);
		rlen = IMSG_PREFER_LEN;
	} else
		imsg_req_encode(req, r->cmd);
	if (write(fd, req, rlen) != (ssize_t)rlen)
		fatal("frontend: to the parent");
	return 0;
}

/* A message from the parent: a ping (answered), a reply (to its client),
 * or the hang-up (we go too). */
static void
from_parent(int fd, struct clients *cs)
{
	static uint8_t msg[IMSG_REPLY_LEN + 1];
	const uint8_t *p;
	struct sk_error err;
	uint8_t type;
	size_t len;
	ssize_t n;

	if ((n = read(fd, msg, sizeof(msg))) == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0)
		exit(0);	/* the parent is gone: so are we */
	if (n >= 2 && msg[1] == IMSG_PING) {
		pong(fd, msg, (size_t)n);
		return;
	}
	if (imsg_reply_decode(msg, (size_t)n, &type, &p, &len, &err) != 0)
		fatalx("frontend: the parent's reply refused: %s", err.msg);
	clients_reply(cs, type, p, len, now_ms());
}

/* The listening sockets, handed over by the parent once it is ready: the
 * control socket, and the work link's if *wfd is not -1 after. */
static int
receive_listener(int fd, int *wfd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} c;
	uint8_t msg[IMSG_REQ_LEN + 1];
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;
	struct sk_error err;
	ssize_t n;
	int fds[2], work;

	memset(&c, 0, sizeof(c));
	while ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) == -1 && errno == EINTR)
		;
	if (n <= 0)
		exit(0);	/* the parent gave up before it was ready */
	cm = CMSG_FIRSTHDR(&mh);
	if (imsg_listen_decode(msg, (size_t)n, &work, &err) != 0)
		fatalx("frontend: the parent's first message refused: %s", err.msg);
	if ((mh.msg_flags & MSG_CTRUNC) || cm == NULL || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN((size_t)(1 + work) * sizeof(int)) ||
	    CMSG_NXTHDR(&mh, cm) != NULL)
		fatalx("frontend: the parent's first message carries not the %d socket%s it says",
		    1 + work, work ? "s" : "");
	memcpy(fds, CMSG_DATA(cm), (size_t)(1 + work) * sizeof(int));
	*wfd = work ? fds[1] : -1;
	return fds[0];
}

/* Its sandbox (child.h): prepared in the parent for the first, forked;
 * entered by an exec'd one itself. */
static const int fe_calls[] = { SCMP_SYS(accept4),
    SCMP_SYS(getsockopt), SCMP_SYS(rt_sigaction), SCMP_SYS(recvmsg) };
static const struct sandbox fe_sandbox = {
	.name = "sekishod frontend", .user = SANDBOX_USER_CTL,
	.syscalls = fe_calls, .n_syscalls = nitems(fe_calls), .flags = SANDBOX_SYSLOG,
};

void
frontend_main(int fd, const struct sandbox_prepared *prep)
{
	static struct clients cs;
	struct sk_error err;
	size_t n;
	int lfd, wfd;

	if (prep != NULL)
		child_forked_enter(fd, prep);
	signal(SIGPIPE, SIG_IGN);
	if (prep == NULL && sandbox_enter(&fe_sandbox, &err) < 0)
		fatalx("%s", err.msg);
	lfd = receive_listener(fd, &wfd);
	/* the agent's, from the work partition (wfd): never root */
	clients_init(&cs, lfd, wfd, ask_parent, &fd);
	for (;;) {
		struct pollfd pfd[1 + CLIENTS_POLLFDS];
		uint64_t now = now_ms(), since;
		int timeout = -1;

		/* a parent that does not answer: start afresh (it restarts us) */
		if ((since = clients_waiting_since(&cs)) != 0) {
			if (now - since >= FRONTEND_WAIT_MS)
				fatalx("frontend: no answer from the parent in %d ms",
				    FRONTEND_WAIT_MS);
			timeout = (int)(FRONTEND_WAIT_MS - (now - since));
		}
		pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
		n = 1 + clients_poll(&cs, pfd, 1, now, &timeout);
		if (poll(pfd, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("frontend: poll");
		}
		now = now_ms();
		/* Unasked, the parent only pings, or hangs up. */
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			from_parent(fd, &cs);
		clients_run(&cs, pfd, now);
	}
}

int
frontend_start(struct frontend *fe, struct sk_error *err)
{
	fe->fd = -1;
	fe->ping_out = 0;
	if (child_spawn(&fe_sandbox, CHILD_FRONTEND, fe->starts == 0, frontend_main, &fe->pid,
	    &fe->fd, err) < 0) {
		fe->pid = 0;
		return -1;
	}
	fe->starts++;
	return 0;
}

int
frontend_listen(struct frontend *fe, int lfd, int wfd, struct sk_error *err)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} c;
	int fds[2] = { lfd, wfd }, nfd = wfd == -1 ? 1 : 2;
	uint8_t msg[IMSG_REQ_LEN];
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c.buf, .msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int)) };
	struct cmsghdr *cm;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	imsg_listen_encode(msg, wfd != -1);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, (size_t)nfd * sizeof(int));
	if (fe->fd == -1 || sendmsg(fe->fd, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(msg)) {
		sk_errorf(err, errno, "frontend: cannot hand over the control socket: %s",
		    strerror(errno));
		rc = -1;
	}
	close(lfd);
	if (wfd != -1)
		close(wfd);
	return rc;
}

/* ---- the parent's side ---- */

int
frontend_handle(const uint8_t *msg, size_t len, const struct ctl_ops *ops, void *arg,
    uint8_t reply[IMSG_REPLY_LEN])
{
	static uint8_t payload[CTL_PAYLOAD_MAX];
	struct sk_error err;
	struct ctl_req req;
	uint8_t type;
	size_t n;
	int rc;

	memset(&req, 0, sizeof(req));
	if (len >= 2 && msg[1] == IMSG_PREFER) {
		req.cmd = CTL_PREFER;
		rc = imsg_prefer_decode(msg, len, req.uplink, &err);
	} else
		rc = imsg_req_decode(msg, len, &req.cmd, &err);
	if (rc != 0) {
		log_warnx("frontend: request refused: %s", err.msg);
		return -1;
	}
	n = ctl_answer(&req, ops, arg, &type, payload);
	return imsg_reply_encode(reply, type, payload, n) == 0 ? 0 : -1;
}

void
frontend_dispatch(struct frontend *fe, const struct ctl_ops *ops, void *arg)
{
	static uint8_t reply[IMSG_REPLY_LEN];
	uint8_t msg[IMSG_PREFER_LEN + 1];	/* one more: a longer one is seen */
	ssize_t n;

	if ((n = recv(fe->fd, msg, sizeof(msg), MSG_DONTWAIT)) == -1 &&
	    (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		log_warnx("frontend: gone (%s); the control socket is not served",
		    n == 0 ? "hung up" : strerror(errno));
		close(fe->fd);
		fe->fd = -1;
		return;
	}
	if (n >= 2 && msg[1] == IMSG_PONG) {
		frontend_pong(fe, msg, (size_t)n);
		return;
	}
	if (frontend_handle(msg, (size_t)n, ops, arg, reply) == 0 &&
	    send(fe->fd, reply, sizeof(reply), MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_warn("frontend: reply");
}

void
frontend_pong(struct frontend *fe, const uint8_t *msg, size_t len)
{
	struct sk_error err;
	uint16_t seq;

	if (imsg_beat_decode(msg, len, IMSG_PONG, &seq, &err) != 0) {
		log_warnx("frontend: request refused: %s", err.msg);
		return;
	}
	if (!fe->ping_out || seq != fe->ping_seq) {
		log_warnx("frontend: request refused: pong %u, not to ping %u", seq,
		    fe->ping_seq);
		return;
	}
	fe->ping_out = 0;
}

int
frontend_beat(struct frontend *fe, uint64_t now)
{
	uint8_t msg[IMSG_REQ_LEN];

	if (fe->pid <= 0 || fe->fd == -1)
		return 0;
	if (fe->ping_out)
		return now - fe->ping_ms >= FRONTEND_PING_MS ? -1 : 0;
	fe->ping_seq++;
	imsg_beat_encode(msg, IMSG_PING, fe->ping_seq);
	if (send(fe->fd, msg, sizeof(msg), MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		return 0;	/* gone: its hang-up or its exit says so */
	fe->ping_out = 1;
	fe->ping_ms = now;
	return 0;
}

void
frontend_kill(struct frontend *fe)
{
	if (fe->fd != -1)
		close(fe->fd);
	fe->fd = -1;
	fe->ping_out = 0;
	if (fe->pid > 0) {
		kill(fe->pid, SIGKILL);
		waitpid(fe->pid, NULL, 0);
	}
	fe->pid = 0;
}

int
frontend_reaped(struct frontend *fe, pid_t pid)
{
	if (fe->pid <= 0 || pid != fe->pid)
		return 0;
	fe->pid = 0;
	return 1;
}

void
frontend_stop(struct frontend *fe)
{
	if (fe->fd != -1)
		close(fe->fd);	/* it exits when it sees the hang-up */
	fe->fd = -1;
	if (fe->pid > 0) {
		kill(fe->pid, SIGTERM);
		waitpid(fe->pid, NULL, 0);
	}
	fe->pid = 0;
}
