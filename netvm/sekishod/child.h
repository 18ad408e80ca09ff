/*
 * sekishod's children that are sekishod again: the engine (engproc.h) and
 * the frontend (frontend.h). Each one, the first and every restart, is a
 * fresh exec of sekishod's own binary, /proc/self/exe (the running file,
 * even if an upgrade replaced it on disk), with a hidden role argument
 * and its end of a SOCK_SEQPACKET pair as descriptor SEKISHOD_CHILD_FD:
 *
 *	sekishod SEKISHOD_CHILD_ARG engine|frontend stderr|syslog VERBOSITY
 *
 * So every start gets a new address space with its own ASLR layout and
 * holds none of the parent's memory: no copy of the device key, the
 * policy or the parent's heap (a forked child had all three until it
 * wiped what it knew of). It enters its sandbox in two steps: between
 * fork and exec (lib/sandbox.h, sandbox_spawn_fds) its own user, no
 * capability, no_new_privs, Landlock with only the binary and the
 * loader's files, and a filter that lets the loader start it; after the
 * exec, before it reads a message, sandbox_enter as that user: Landlock
 * with no path, not dumpable, RLIMIT_NPROC 0 and its own narrow filter.
 */
#ifndef SK_CHILD_H
#define SK_CHILD_H

#include <sys/types.h>

#include "lib/util.h"

#define SEKISHOD_CHILD_ARG	"--sekishod-child"
#define SEKISHOD_CHILD_FD	3
enum child_role { CHILD_ENGINE = 1, CHILD_FRONTEND };

struct sandbox;
/* Parent: starts the child of that role, confined in post (what it
 * enters after the exec) plus what the loader needs before. 0 with *pid
 * and *fd (the parent's end), or -1 with one line in err. */
int child_spawn(const struct sandbox *post, enum child_role role, pid_t *pid, int *fd,
    struct sk_error *err);
/* Child: the role from argv (anything else: exit 2), logging as the parent
 * said, named "sekishod" (not "exe"). */
enum child_role child_role(int argc, char **argv);

#endif
