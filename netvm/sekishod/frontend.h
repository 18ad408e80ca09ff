/*
 * sekishod's frontend: the control socket's clients (sekishoctl; later the
 * agent's relay from the work partition) are untrusted input, so they are
 * read and parsed in a process of their own, forked before the policy and
 * the device key are read, and sandboxed at once (lib/sandbox.h: user
 * _sekisho-ctl, no capability, not dumpable, no_new_privs, seccomp,
 * Landlock with no path). It holds the listening socket (handed over
 * once the daemon is ready) and one end of a SOCK_SEQPACKET pair; the parent holds the other end and answers typed
 * requests (imsg.h) with what only it knows: the status, a reload.
 *
 * The parent checks every request (exact size, version, type, one of the
 * three commands) and refuses anything else with one log line; the
 * frontend checks every reply the same way.
 */
#ifndef SK_FRONTEND_H
#define SK_FRONTEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util.h"
#include "netvm/sekishod/control.h"
#include "netvm/sekishod/imsg.h"

struct frontend {
	pid_t	 pid;	/* 0: none */
	int	 fd;	/* the parent's end of the pair, -1: none */
	uint8_t	*secret;	/* wiped in a frontend forked late (a restart) */
	size_t	 secret_len;
};

/* Forks the frontend (before the policy and the key are read); it enters
 * its sandbox at once and waits for the listening socket. */
int frontend_start(struct frontend *fe, struct sk_error *err);
/* Hands it the listening socket (ctl_listen) once the daemon is ready to
 * answer; lfd is closed here. */
int frontend_listen(struct frontend *fe, int lfd, struct sk_error *err);
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
