/*
 * The session socket's clients are read by an unprivileged frontend, as
 * sekishod's control socket is: a child forked before the gateway's key
 * is read, in the sandbox (lib/sandbox.h) as _sekisho-gw, no capability,
 * seccomp, Landlock: nothing. It accepts, reads one request and decodes
 * it (sessd.c, lib/proto/gwsess_wire.c), and hands the parent the request
 * encoded again (exactly GWS_REQ_LEN bytes) with the client's socket
 * (SCM_RIGHTS) over a SOCK_SEQPACKET pair. The parent decodes it again as
 * strictly, never reads from the client, and writes its fixed replies to
 * it. A compromised frontend can ask what `sekisho-gw session|status`
 * can: open and close sessions of admitted devices, read the status.
 */
#include "agency/sekisho-gw/gw.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/sandbox.h"

/* ---- the frontend's side ---- */

static int to_parent = -1;

static void
forward(void *arg, const struct gws_req *req, int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} c;
	uint8_t msg[GWS_REQ_LEN];
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;

	(void)arg;
	if (gws_req_encode(msg, req) < 0)
		return;
	memset(&c, 0, sizeof(c));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	if (sendmsg(to_parent, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(msg))
		exit(0);	/* the parent is gone */
}

static const int fe_calls[] = { SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg),
    SCMP_SYS(sendto), SCMP_SYS(setsockopt), SCMP_SYS(rt_sigaction) };
static const struct sandbox fe_sandbox = {
	.name = "sekisho-gw frontend", .user = SANDBOX_USER_GW,
	.syscalls = fe_calls, .n_syscalls = nitems(fe_calls), .flags = SANDBOX_SYSLOG,
};

static void __attribute__((noreturn))
frontend_main(int fd, struct sessd *sd, const struct sandbox_prepared *prep)
{
	sigset_t none;
	int rc;

	/* nothing of the parent's but its socket, the listener, stderr */
	for (int i = 3; i < 1024; i++)
		if (i != fd && i != sessd_listener(sd) && i != prep->ruleset_fd)
			close(i);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	if ((rc = sandbox_apply(prep)) < 0)
		fatalx("%s: cannot enter the sandbox: %s", prep->name, strerror(-rc));
	if (prep->ruleset_fd != -1)
		close(prep->ruleset_fd);
	to_parent = fd;
	for (;;) {
		struct pollfd pfd[SESSD_MAX + 2];
		size_t n = sessd_pollfds(sd, pfd + 1, SESSD_MAX + 1) + 1;
		int64_t dl = sessd_next_deadline(sd);
		uint64_t now = now_ms();
		int wait = dl > 0 ? ((uint64_t)dl > now ? (int)((uint64_t)dl - now) : 0) : -1;

		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		if (poll(pfd, n, wait) == -1) {
			if (errno == EINTR)
				continue;
			fatal("frontend: poll");
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			exit(0);	/* unasked: the parent hung up */
		sessd_ready(sd, pfd + 1, n - 1, now_ms(), forward, NULL);
	}
}

int
gw_frontend_start(struct gw_frontend *fe, struct sessd *sd, struct sk_error *err)
{
	struct sandbox_prepared prep;
	int fd;

	fe->fd = -1;
	if ((fe->pid = sandbox_fork(&fe_sandbox, "frontend", &prep, &fd, err)) == -1) {
		fe->pid = 0;
		return -1;
	}
	if (fe->pid == 0)
		frontend_main(fd, sd, &prep);
	fe->fd = fd;
	return 0;
}

/* ---- the parent's side ---- */

int
gw_frontend_receive(struct gw_frontend *fe, struct gws_req *req, int *client)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} c;
	uint8_t msg[GWS_REQ_LEN + 1];	/* one more: a longer one is seen */
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;
	struct sk_error err;
	struct timeval tv = { 2, 0 };
	ssize_t n;
	int fd = -1;

	*client = -1;
	memset(&c, 0, sizeof(c));
	if ((n = recvmsg(fe->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) == -1 &&
	    (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		log_warnx("frontend: gone (%s); the session socket is not served",
		    n == 0 ? "hung up" : strerror(errno));
		close(fe->fd);
		fe->fd = -1;
		return 0;
	}
	cm = CMSG_FIRSTHDR(&mh);
	if (cm != NULL && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	if ((mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) || fd == -1 ||
	    CMSG_NXTHDR(&mh, cm) != NULL) {
		log_warnx("frontend: request refused: not one message with one socket");
		if (fd != -1)
			close(fd);
		return 0;
	}
	if (gws_req_decode(msg, (size_t)n, req, &err) < 0) {
		log_warnx("frontend: request refused: %s", err.msg);
		close(fd);
		return 0;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*client = fd;
	return 1;
}

void
gw_frontend_stop(struct gw_frontend *fe)
{
	if (fe->fd != -1)
		close(fe->fd);
	fe->fd = -1;
	if (fe->pid > 0) {
		kill(fe->pid, SIGTERM);
		waitpid(fe->pid, NULL, 0);
	}
	fe->pid = 0;
}
