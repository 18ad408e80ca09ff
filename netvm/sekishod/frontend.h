/*
 * sekishod's frontend: the control socket's clients (sekishoctl; later the
 * agent's relay from the work partition) are untrusted input, so they are
 * read and parsed in a process of their own, forked at start before the
 * policy and the key are read, and a fresh exec of sekishod's binary at
 * every restart (child.h: none of the parent's memory), sandboxed before
 * it reads anything (lib/sandbox.h: user _sekisho-ctl, no
 * capability, not dumpable, no_new_privs, seccomp, Landlock with no path). It holds the listening socket (handed over
 * once the daemon is ready) and one end of a SOCK_SEQPACKET pair; the parent holds the other end and answers typed
 * requests (imsg.h) with what only it knows: the status, a reload. Its
 * clients, the local socket's and the work link's, are served side by
 * side, the local ones first, work's limited (clients.h).
 *
 * The parent checks every request (exact size, version, type, one of the
 * three commands) and refuses anything else with one log line; the
 * frontend checks every reply the same way.
 *
 * The heartbeat: a frontend that hangs but stays alive (stopped, looping)
 * would leave the control socket unanswered for good. The parent pings it
 * every FRONTEND_PING_MS (T_FRONT_PING, timers.h); the frontend answers
 * from its event loop, and also while it waits for the parent's reply. No
 * answer FRONTEND_PING_MS after a ping: the parent kills it (SIGKILL),
 * says so in one line and starts a new one with the usual backoff; as for
 * a dead one, nothing but the control socket is affected meanwhile.
 */
#ifndef SK_FRONTEND_H
#define SK_FRONTEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util.h"
#include "netvm/sekishod/control.h"
#include "netvm/sekishod/imsg.h"

#define FRONTEND_PING_MS	2000	/* pinged so often; no pong this long: hung */

struct frontend {
	pid_t		pid;	/* 0: none */
	int		fd;	/* the parent's end of the pair, -1: none */
	int		ping_out;	/* a ping unanswered, sent at ping_ms */
	uint16_t	ping_seq;
	uint64_t	ping_ms;
	unsigned int	starts;	/* 0: the next is the first, forked */
};

/* Starts the frontend (exec'd, engproc.h); it enters its sandbox at once
 * and waits for the listening socket. */
int frontend_start(struct frontend *fe, struct sk_error *err);
/* The frontend's life in the child (from sekishod's main). */
struct sandbox_prepared;
void frontend_main(int fd, const struct sandbox_prepared *prep) __attribute__((noreturn));
/* The heartbeat, at each T_FRONT_PING: pings a frontend that owes no
 * answer; -1 if the last ping is unanswered after FRONTEND_PING_MS (the
 * caller reads what is waiting, then asks again before frontend_kill). */
int frontend_beat(struct frontend *fe, uint64_t now);
/* A pong read by frontend_dispatch: ends the ping it answers; any other
 * is refused with one line. */
void frontend_pong(struct frontend *fe, const uint8_t *msg, size_t len);
/* A hung one: SIGKILL and reaped here (fe->pid 0). */
void frontend_kill(struct frontend *fe);
/* Hands it the listening sockets (ctl_listen, and ctl_listen_work's or -1)
 * once the daemon is ready to answer; both are closed here. */
int frontend_listen(struct frontend *fe, int lfd, int wfd, struct sk_error *err);
/* Parent: reads one request and answers it, or refuses it with one line;
 * a frontend that hung up is let go (fe->fd -1). */
void frontend_dispatch(struct frontend *fe, const struct ctl_ops *ops, void *arg);
/* The parent's decision on one message, without sockets: 0 and the reply
 * in reply, or -1 refused (the one line logged). */
int frontend_handle(const uint8_t *msg, size_t len, const struct ctl_ops *ops, void *arg,
    uint8_t reply[IMSG_REPLY_LEN]);
/* SIGCHLD: 1 if pid was the frontend (then it is gone). */
int frontend_reaped(struct frontend *fe, pid_t pid);
void frontend_stop(struct frontend *fe);

#endif
