/*
 * sekishod's children that are sekishod again: the engine (engproc.h) and
 * the frontend (frontend.h). The first of each is forked at start, before
 * the policy and the device key are read (there is nothing in the
 * parent's memory to inherit yet, and a fork maps no more of the
 * libraries than the child touches: netvm.rss_kib). Every restart, when
 * the parent holds the key and the policy, is a fresh exec of sekishod's
 * own binary, /proc/self/exe (the running file, even if an upgrade
 * replaced it on disk), with a hidden role argument and its end of a
 * SOCK_SEQPACKET pair as descriptor SEKISHOD_CHILD_FD:
 *
 *	sekishod SEKISHOD_CHILD_ARG engine|frontend stderr|syslog VERBOSITY
 *
 * So every restart gets a new address space with its own ASLR layout and
 * holds none of the parent's memory: no copy of the device key, the
 * policy or the parent's heap (a forked one had all three until it wiped
 * what it knew of). The forked first one enters its sandbox prepared in
 * the parent (sandbox_fork, sandbox_apply). An exec'd one in two steps: between
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
struct sandbox_prepared;
/* The child's life: fd its end of the pair; prep the sandbox prepared by
 * the parent (a forked child: sandbox_apply it), or NULL (an exec'd one:
 * sandbox_enter). Never returns. */
typedef void (*child_main_fn)(int fd, const struct sandbox_prepared *prep);
/* Parent: starts the child of that role, confined in post (what it
 * enters once it runs) plus, when exec'd, what the loader needs before.
 * forked: the first start, running main in a fork; else a fresh exec.
 * 0 with *pid and *fd (the parent's end), or -1 with one line in err. */
int child_spawn(const struct sandbox *post, enum child_role role, int forked,
    child_main_fn main, pid_t *pid, int *fd, struct sk_error *err);
/* A forked child, before it reads anything: every descriptor but fd and
 * the ruleset shut, signals as at exec, prep applied (fatal if it cannot
 * be). */
void child_forked_enter(int fd, const struct sandbox_prepared *prep);
/* Child: the role from argv (anything else: exit 2), logging as the parent
 * said, named "sekishod" (not "exe"). */
enum child_role child_role(int argc, char **argv);

#endif
