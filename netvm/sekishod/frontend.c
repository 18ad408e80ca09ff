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

#define FRONTEND_WAIT_MS	20000	/* for the parent's answer (a reload verifies) */

/* ---- the frontend's side ---- */

/* Asks the parent, waits for its answer and checks it. */
static int
ask_parent(enum ctl_cmd cmd, uint8_t *type, uint8_t payload[CTL_PAYLOAD_MAX], size_t *len,
    void *arg)
{
	static uint8_t msg[IMSG_REPLY_LEN + 1];
	int fd = *(int *)arg;
	uint8_t req[IMSG_REQ_LEN];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	const uint8_t *p;
	struct sk_error err;
	ssize_t n;

	imsg_req_encode(req, cmd);
	if (write(fd, req, sizeof(req)) != (ssize_t)sizeof(req))
		fatal("frontend: to the parent");
	if (poll(&pfd, 1, FRONTEND_WAIT_MS) <= 0) {
		log_warnx("frontend: no answer from the parent");
		return -1;
	}
	if ((n = read(fd, msg, sizeof(msg))) <= 0)
		exit(0);	/* the parent is gone: so are we */
	if (imsg_reply_decode(msg, (size_t)n, type, &p, len, &err) != 0)
		fatalx("frontend: the parent's reply refused: %s", err.msg);
	memcpy(payload, p, *len);
	return 0;
}

/* The listening socket, handed over by the parent once it is ready. */
static int
receive_listener(int fd)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} c;
	uint8_t msg[IMSG_REQ_LEN + 1];
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;
	struct sk_error err;
	ssize_t n;
	int lfd;

	memset(&c, 0, sizeof(c));
	while ((n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC)) == -1 && errno == EINTR)
		;
	if (n <= 0)
		exit(0);	/* the parent gave up before it was ready */
	cm = CMSG_FIRSTHDR(&mh);
	if (imsg_listen_decode(msg, (size_t)n, &err) != 0)
		fatalx("frontend: the parent's first message refused: %s", err.msg);
	if ((mh.msg_flags & MSG_CTRUNC) || cm == NULL || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)) ||
	    CMSG_NXTHDR(&mh, cm) != NULL)
		fatalx("frontend: the parent's first message carries no one socket");
	memcpy(&lfd, CMSG_DATA(cm), sizeof(lfd));
	return lfd;
}

/* Its sandbox, prepared in the parent before the fork (the user looked
 * up, the filter compiled): the child only applies it, and touches little
 * of the libraries that took (netvm.rss_kib counts every page it maps). */
static const int fe_calls[] = { SCMP_SYS(accept4), SCMP_SYS(setsockopt),
    SCMP_SYS(rt_sigaction), SCMP_SYS(recvmsg) };
static const struct sandbox fe_sandbox = {
	.name = "sekishod frontend", .user = SANDBOX_USER_CTL,
	.syscalls = fe_calls, .n_syscalls = nitems(fe_calls), .flags = SANDBOX_SYSLOG,
};

static void __attribute__((noreturn))
frontend_main(int fd, const struct sandbox_prepared *prep)
{
	sigset_t none;
	int lfd, rc;

	/* Nothing of the parent's but its socket and standard error. */
	for (int i = 3; i < 1024; i++)
		if (i != fd && i != prep->ruleset_fd)
			close(i);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((rc = sandbox_apply(prep)) < 0)
		fatalx("%s: cannot enter the sandbox: %s", prep->name, strerror(-rc));
	if (prep->ruleset_fd != -1)
		close(prep->ruleset_fd);
	lfd = receive_listener(fd);
	for (;;) {
		struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
		    { .fd = lfd, .events = POLLIN } };

		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("frontend: poll");
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			exit(0);	/* unasked: the parent hung up */
		if (pfd[1].revents & POLLIN)
			ctl_serve_ask(lfd, ask_parent, &fd);
	}
}

int
frontend_start(struct frontend *fe, struct sk_error *err)
{
	struct sandbox_prepared prep;
	int fd;

	fe->fd = -1;
	if ((fe->pid = sandbox_fork(&fe_sandbox, "frontend", &prep, &fd, err)) == -1) {
		fe->pid = 0;
		return -1;
	}
	if (fe->pid == 0) {
		if (fe->secret != NULL)
			explicit_bzero(fe->secret, fe->secret_len);
		frontend_main(fd, &prep);
	}
	fe->fd = fd;
	return 0;
}

int
frontend_listen(struct frontend *fe, int lfd, struct sk_error *err)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} c;
	uint8_t msg[IMSG_REQ_LEN];
	struct iovec iov = { msg, sizeof(msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = c.buf, .msg_controllen = sizeof(c.buf) };
	struct cmsghdr *cm;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	imsg_listen_encode(msg);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &lfd, sizeof(lfd));
	if (fe->fd == -1 || sendmsg(fe->fd, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(msg)) {
		sk_errorf(err, errno, "frontend: cannot hand over the control socket: %s",
		    strerror(errno));
		rc = -1;
	}
	close(lfd);
	return rc;
}

/* ---- the parent's side ---- */

int
frontend_handle(const uint8_t *msg, size_t len, const struct ctl_ops *ops, void *arg,
    uint8_t reply[IMSG_REPLY_LEN])
{
	static uint8_t payload[CTL_PAYLOAD_MAX];
	struct sk_error err;
	enum ctl_cmd cmd;
	uint8_t type;
	size_t n;

	if (imsg_req_decode(msg, len, &cmd, &err) != 0) {
		log_warnx("frontend: request refused: %s", err.msg);
		return -1;
	}
	n = ctl_answer(cmd, ops, arg, &type, payload);
	return imsg_reply_encode(reply, type, payload, n) == 0 ? 0 : -1;
}

void
frontend_dispatch(struct frontend *fe, const struct ctl_ops *ops, void *arg)
{
	static uint8_t reply[IMSG_REPLY_LEN];
	uint8_t msg[IMSG_REQ_LEN + 1];	/* one more: a longer one is seen */
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
	if (frontend_handle(msg, (size_t)n, ops, arg, reply) == 0 &&
	    send(fe->fd, reply, sizeof(reply), MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_warn("frontend: reply");
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
