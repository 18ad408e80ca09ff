/*
 * The session socket's clients are read by an unprivileged frontend, as
 * sekishod's control socket is: a child forked before the gateway's key
 * is read, in the sandbox (lib/sandbox.h) as _sekisho-gw, no capability,
 * seccomp, Landlock: nothing. It accepts, reads one request and decodes
 * it (sessd.c, lib/proto/gwsess_wire.c), and hands the parent the request
 * encoded again (exactly GWS_REQ_LEN bytes) with the client's socket
 * (SCM_RIGHTS) over a SOCK_SEQPACKET pair. The parent decodes it again as
 * strictly, never reads from the client, and queues its fixed replies
 * for it: the main loop writes them as the client takes them, never
 * waiting for one (daemon.c, sessd_out_flush). A compromised frontend
 * can ask what `sekisho-gw session|status` can: open and close sessions
 * of admitted devices, read the status.
 *
 * A frontend that dies is started again, with backoff (250 ms doubling
 * to 10 s, back to 250 ms once one has run 10 s), by its keeper: a child
 * forked with it before the key is read, root with CAP_SETUID, CAP_SETGID,
 * CAP_SETPCAP and CAP_KILL alone (what entering the sandbox and stopping
 * the frontend take), not dumpable, reading nothing from anyone. The
 * keeper holds the frontend's end of the pair to the parent, so the
 * parent's end never changes: the parent, which keeps CAP_NET_ADMIN alone
 * and could not enter a new child into the sandbox, never notices a
 * restart, and the gateway's state stays in force throughout (it is the
 * parent's and the kernel's, none of it the frontend's).
 */
#include "agency/sekisho-gw/gw.h"

#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
    SCMP_SYS(sendto), SCMP_SYS(rt_sigaction) };
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

/* ---- the keeper ---- */

static volatile sig_atomic_t keeper_quit;

static void
keeper_signal(int sig)
{
	(void)sig;
	keeper_quit = 1;
}

static const int keeper_caps[] = { CAP_SETUID, CAP_SETGID, CAP_SETPCAP, CAP_KILL };

/* Forks one frontend on fd (the keeper's end of the pair to the parent). */
static pid_t
keeper_fork(int fd, struct sessd *sd)
{
	struct sandbox_prepared prep;
	struct sk_error err;
	pid_t pid;

	if (sandbox_prepare(&fe_sandbox, &prep, &err) < 0) {
		log_warnx("frontend: %s", err.msg);
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("frontend: fork");
		sandbox_release(&prep);
		return -1;
	}
	if (pid == 0)
		frontend_main(fd, sd, &prep);
	sandbox_release(&prep);
	return pid;
}

static void __attribute__((noreturn))
keeper_main(int fd, struct sessd *sd)
{
	struct sigaction sa;
	struct sk_error err;
	int backoff = 0;
	sigset_t none;

	for (int i = 3; i < 1024; i++)
		if (i != fd && i != sessd_listener(sd))
			close(i);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = keeper_signal;	/* no SA_RESTART: waitpid returns */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* the gateway gone (even by SIGKILL): the keeper and its frontend too */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) == -1 || getppid() == 1)
		exit(0);
	if (geteuid() == 0 && sandbox_keep_caps(keeper_caps, nitems(keeper_caps), &err) < 0)
		fatalx("frontend keeper: %s", err.msg);
	while (!keeper_quit) {
		uint64_t t0 = now_ms();
		pid_t pid = keeper_fork(fd, sd);
		int status = 0;

		while (pid > 0 && !keeper_quit && waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		if (keeper_quit) {
			if (pid > 0) {
				kill(pid, SIGTERM);
				waitpid(pid, NULL, 0);
			}
			break;
		}
		if (pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			break;	/* it saw the parent hang up */
		if (now_ms() - t0 >= GW_FRONTEND_STABLE_MS)
			backoff = 0;
		backoff = backoff == 0 ? GW_BACKOFF_MIN_MS :
		    backoff * 2 > GW_BACKOFF_MAX_MS ? GW_BACKOFF_MAX_MS : backoff * 2;
		if (pid > 0)
			log_warnx("frontend (pid %d) %s %d; the session socket is served again in"
			    " %d ms", (int)pid, WIFSIGNALED(status) ? "killed by signal" :
			    "exited with status", WIFSIGNALED(status) ? WTERMSIG(status) :
			    WEXITSTATUS(status), backoff);
		else
			log_warnx("frontend: not started; trying again in %d ms", backoff);
		usleep((useconds_t)backoff * 1000);	/* a signal cuts it short */
		if (!keeper_quit)
			log_info("frontend: starting again; the session socket is served");
	}
	exit(0);
}

int
gw_frontend_start(struct gw_frontend *fe, struct sessd *sd, struct sk_error *err)
{
	int sv[2], e;
	pid_t pid;

	fe->fd = -1;
	fe->pid = 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return sk_errorf(err, errno, "frontend: socketpair: %s", strerror(errno)), -1;
	if ((pid = fork()) == -1) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		return sk_errorf(err, e, "frontend: fork: %s", strerror(e)), -1;
	}
	if (pid == 0) {
		close(sv[0]);
		keeper_main(sv[1], sd);
	}
	close(sv[1]);
	fe->pid = pid;
	fe->fd = sv[0];
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
	*client = fd;	/* written without blocking (sessd_out_flush) */
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
