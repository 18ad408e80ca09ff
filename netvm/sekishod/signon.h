/*
 * The netvm's sign-on relay (netvm/sekisho-signon, docs/sign-on.md),
 * started by sekishod when the policy names a verifier: confined from its
 * first instruction (user _sekisho-signon, no capability, seccomp,
 * Landlock), the laptop's sign-on key handed over as a descriptor that
 * sekishod opened, restarted with a backoff when it dies, restarted when
 * the policy's verifier, work link or tunnel address changes (its flow
 * to the verifier keeps the translation to the former address: only a
 * new socket gets the new one), stopped with sekishod.
 */
#ifndef SK_SIGNON_H
#define SK_SIGNON_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "netvm/sekishod/engproc.h"	/* struct respawn */

struct policy;

struct signon {
	char		 helper[PATH_MAX];	/* sekisho-signon */
	const char	*device;	/* the laptop's name in the registry (-N) */
	const char	*key_path;	/* its sign-on key, 0600 (-K) */
	const char	*ctl_path;	/* sekishod's control socket, for the status */
	pid_t		 pid;		/* 0: none */
	struct respawn	 rs;
};

/* Starts the relay when pol has a verifier and a device name was given;
 * stops it when the policy has none. Either way one line. 0, or -errno
 * (then signon_due says when to try again). */
int signon_start(struct signon *s, const struct policy *pol, uint64_t now);
/* A reaped child: 1 if it was the relay (its restart is then due). */
int signon_reaped(struct signon *s, pid_t pid, int status, uint64_t now);
/* When a restart is due (0: none); signon_restart starts it if now >= it. */
uint64_t signon_due(const struct signon *s);
void signon_restart(struct signon *s, const struct policy *pol, uint64_t now);
/* A mode with a path to the verifier is in force: a relay waiting for its
 * restart (it could not reach the verifier without one, at start) starts
 * now, its backoff forgotten. */
void signon_on_path(struct signon *s, const struct policy *pol, uint64_t now);
/* A new policy in force: the relay follows its verifier, work link and
 * tunnel address. */
void signon_policy(struct signon *s, const struct policy *old,
    const struct policy *pol, uint64_t now);
void signon_stop(struct signon *s);

#endif
