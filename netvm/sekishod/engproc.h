/*
 * sekishod's engine process: the mode engine (engine.c, pure) run apart
 * from the privileged parent, as its own user _sekisho-eng with no
 * capability, no_new_privs, seccomp, Landlock with no path, not dumpable
 * (lib/sandbox.h). It holds nothing but the engine's state and one end of
 * a SOCK_SEQPACKET pair; the parent calls it (engmsg.h: one call, one
 * result, fixed sizes) for every engine.h function, and carries out an
 * action the engine returns only if it passes the parent's own bounds
 * (engcheck.h). The first is forked before the policy and the device key
 * are read; every restart is a fresh exec of sekishod's own binary
 * (child.h): none of the parent's memory.
 *
 * A call that fails (no answer within ENGPROC_WAIT_MS, a hang-up, a
 * result refused by the decoder) ends the process: the caller goes to
 * blocked and starts a new one, backing off.
 */
#ifndef SK_ENGPROC_H
#define SK_ENGPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util.h"
#include "netvm/sekishod/child.h"
#include "netvm/sekishod/engmsg.h"

#define ENGPROC_WAIT_MS		2000
#define ENGPROC_RESTART_MIN_MS	250	/* a dead engine or frontend: first restart */
#define ENGPROC_RESTART_MAX_MS	30000	/* ... doubling up to this */
#define ENGPROC_HEALTHY_MS	60000	/* alive this long: the backoff starts over */

struct engproc {
	pid_t		 pid;		/* 0: none */
	int		 fd;		/* the parent's end, -1: none */
	unsigned int	 starts;	/* 0: the next is the first, forked */
};

/* The engine's life in the child: its sandbox, then calls until the
 * parent hangs up. */
void engproc_main(int fd, const struct sandbox_prepared *prep) __attribute__((noreturn));

int engproc_start(struct engproc *ep, struct sk_error *err);
/* One call, its result decoded (engmsg.h). 0, or -1 with one line in err:
 * the process is then ended (ep->pid, ep->fd cleared). */
int engproc_call(struct engproc *ep, const struct eng_call *k, struct eng_result *r,
    struct sk_error *err);
/* A helper's line parsed in the engine (engmsg.h). 0 with *r decoded (the
 * caller still checks it against its own bounds), or -1 with one line in
 * err: the engine is then ended, as for a failed call. */
int engproc_parse(struct engproc *ep, const struct eng_parse *p, struct eng_parsed *r,
    struct sk_error *err);
/* SIGCHLD: 1 if pid was the engine (then it is gone). */
int engproc_reaped(struct engproc *ep, pid_t pid);
void engproc_stop(struct engproc *ep);

/* The backoff of a restarted child (engine, frontend). */
struct respawn {
	unsigned int	fails;		/* deaths in a row */
	uint64_t	started_ms, due_ms;	/* due_ms 0: nothing to do */
};
/* It died at now: when to start it again. */
uint64_t respawn_died(struct respawn *r, uint64_t now);
void respawn_started(struct respawn *r, uint64_t now);

#endif
