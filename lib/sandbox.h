/*
 * The one sandbox of every helper and agency daemon (docs/sandbox.md): once
 * a program holds its sockets and files, sandbox_enter() leaves it, for
 * good,
 *
 *  - as its own system user (_sekisho-probe, ...; nobody with a warning
 *    when that user is missing), supplementary groups gone;
 *  - with no capability: effective, permitted, inheritable, ambient and
 *    the bounding set all empty, checked by failing to regain root;
 *  - not dumpable (no core, no ptrace by that user), RLIMIT_CORE 0,
 *    RLIMIT_NPROC 0 (no fork from here on), no_new_privs;
 *  - Landlock: no file system access but the paths listed (degrades with
 *    one log line on a kernel without Landlock);
 *  - a seccomp allow-list: a small base every program needs plus the
 *    program's own system calls; any other call kills the process (it dies
 *    of SIGSYS, signal 31).
 *
 * Debugging a kill: the kernel logs each one ("audit: type=1326 ...
 * syscall=N", seccomp's actions_logged holds kill_process by default);
 * `ausyscall N` or <asm/unistd_64.h> names N, and `strace -f` shows the
 * call too. A test build (build/test/, Makefile) also honours
 * SEKISHO_SANDBOX_DEBUG=1 in its environment: a forbidden call is then
 * reported on standard error as "sandbox: forbidden system call N" and the
 * process exits with status 159 (128 + SIGSYS). The installed programs
 * have no such switch: their environment cannot turn a kill into a signal
 * that the sandboxed code could catch and carry on after.
 */
#ifndef SK_SANDBOX_H
#define SK_SANDBOX_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <seccomp.h>	/* SCMP_SYS(name) for the allow-lists */

#include "lib/util.h"

/* What a program may still do to one path (Landlock). */
#define SANDBOX_READ	0x1	/* read files, list directories beneath it */
#define SANDBOX_EXEC	0x2	/* execute files beneath it (and read them) */

struct sandbox_path {
	const char	*path;
	unsigned int	 access;
};

/* Flags. */
#define SANDBOX_EXEC_MAPS	0x1	/* allow executable mappings (a program
					 * that is yet to exec, for ld.so) */
#define SANDBOX_KEEP_NPROC	0x2	/* leave RLIMIT_NPROC (a child about to
					 * exec, whose exec must not count) */
#define SANDBOX_STDIO_PIPES	0x8	/* sandbox_spawn: standard input,
					 * output and error that are pipes
					 * become the user's, so that the
					 * program may reopen /dev/stdin */
#define SANDBOX_SYSLOG		0x4	/* logs to syslog: socket(AF_UNIX),
					 * connect and sendto, for glibc's
					 * reconnection to /dev/log */

/* A call the filter answers "done" (0) without making it, when argument
 * arg equals value: for a program that insists on a change its parent has
 * made for it already (wireguard-go setting the MTU of the tunnel that
 * sekishod configures). At most one per system call. */
struct sandbox_noop {
	int		syscall;	/* SCMP_SYS(name) */
	unsigned int	arg;		/* 0..5 */
	uint64_t	value;
};

struct sandbox {
	const char			*name;	/* the program, for log lines */
	const char			*user;	/* its own system user */
	const int			*syscalls;	/* beyond the base list */
	size_t				 n_syscalls;
	const struct sandbox_path	*paths;	/* all it may touch; none: nothing */
	size_t				 n_paths;
	unsigned int			 flags;
	const struct sandbox_noop	*noops;	/* calls answered 0, not made */
	size_t				 n_noops;
};

/* The system users, one per sandboxed program (tests/sandbox-users.sh
 * creates them; a package would ship them as sysusers.d entries). */
#define SANDBOX_USER_PROBE	"_sekisho-probe"
#define SANDBOX_USER_FETCH	"_sekisho-fetch"
#define SANDBOX_USER_VERIFY	"_sekisho-verify"
#define SANDBOX_USER_DHCP	"_sekisho-dhcp"
#define SANDBOX_USER_WG		"_sekisho-wg"
#define SANDBOX_USER_CTL	"_sekisho-ctl"	/* sekishod's frontend */
#define SANDBOX_USER_BEACON	"_sekisho-beacon"
#define SANDBOX_USER_BUNDLE	"_sekisho-bundle"
#define SANDBOX_USER_DNS	"_sekisho-dns"
#define SANDBOX_USER_BVERIFY	"_sekisho-bverify"
#define SANDBOX_USER_ENG	"_sekisho-eng"	/* sekishod's engine */
#define SANDBOX_USER_AUTHD	"_sekisho-authd"	/* the sign-on verifier */
#define SANDBOX_USER_SIGNON	"_sekisho-signon"	/* the netvm's sign-on relay */
#define SANDBOX_USER_GW		"_sekisho-gw"	/* sekisho-gw's frontend */

/*
 * Enters sb for good (see the top of this file). Run it after the last
 * fork and once every socket and file the program needs is open. As
 * another user than root the user and capability steps are skipped; the
 * rest still applies. 0, or -1 with one line in err->msg (the caller
 * exits: a half-entered sandbox is no sandbox).
 */
int sandbox_enter(const struct sandbox *sb, struct sk_error *err);

/*
 * For a privileged parent that must stay root (sekishod's): not dumpable
 * (no core, no ptrace, /proc files root's), RLIMIT_CORE 0, and of the
 * capabilities only caps (CAP_* numbers) in the effective, permitted and
 * bounding sets, none inheritable or ambient. The programs it starts as
 * root get at most these. 0, or -1 with one line in err.
 */
int sandbox_keep_caps(const int *caps, size_t n, struct sk_error *err);

/*
 * For a program that holds a key, a PIN or a code in memory and runs as
 * whoever started it (sekisho-provision), or until it enters its sandbox
 * (the verifier, the relay, the beacon): not dumpable (no core file, no
 * ptrace or /proc/PID/mem by the same user, /proc/PID root's) and
 * RLIMIT_CORE 0, soft and hard (a core_pattern pipe such as
 * systemd-coredump reads the limit; non-dumpable alone is still dumped
 * where fs.suid_dumpable is 2). Call it first in main. 0, or -1 with one
 * line in err.
 */
int sandbox_no_dump(struct sk_error *err);

/*
 * For that parent: no_new_privs and sb's seccomp allow-list (the base list,
 * sb->syscalls, sb->noops; executable mappings allowed), nothing else of
 * the sandbox: it stays root with its capabilities. The filter is
 * inherited by every process it starts, so it must allow what they need
 * as well as what it needs itself (each of them narrows it further). 0,
 * or -1 with one line in err.
 */
int sandbox_filter_self(const struct sandbox *sb, struct sk_error *err);

/*
 * The same for a child about to exec another program: sandbox_prepare in
 * the parent (it resolves the user, opens the paths and compiles the
 * filter), sandbox_apply in the child between fork and exec (system calls
 * only, nothing that allocates; returns -errno), sandbox_release in the
 * parent afterwards. The filter must allow what the exec'd program and its
 * loader need, execve included.
 */
struct sandbox_prepared {
	const char	*name;
	uint32_t	 uid, gid;
	unsigned int	 flags;
	int		 ruleset_fd;	/* Landlock, or -1 */
	void		*filter;	/* struct sock_filter[n_filter] */
	unsigned short	 n_filter;
};
/*
 * Starts path with argv in sandbox sb (see sandbox_prepare): signal mask
 * empty and dispositions at their defaults, standard input, output and
 * error from in, out and err_fd (-1: /dev/null for input, inherited
 * otherwise), nothing else open. 0 with *pid, or -errno (the exec's own
 * error included), with one line in err.
 */
int sandbox_spawn(pid_t *pid, const struct sandbox *sb, const char *path,
    char *const argv[], int in, int out, int err_fd, struct sk_error *err);

/*
 * The same with more descriptors and an environment of its own: fds[i]
 * becomes descriptor i of the program (n at most SANDBOX_MAX_FDS; for 0, 1
 * and 2 -1 means what sandbox_spawn does: /dev/null, inherited; for the
 * others -1 means shut), and envp is its whole environment (NULL: ours).
 */
#define SANDBOX_MAX_FDS	8
int sandbox_spawn_fds(pid_t *pid, const struct sandbox *sb, const char *path,
    char *const argv[], char *const envp[], const int *fds, size_t n,
    struct sk_error *err);

int sandbox_prepare(const struct sandbox *sb, struct sandbox_prepared *p,
    struct sk_error *err);
int sandbox_apply(const struct sandbox_prepared *p);
void sandbox_release(struct sandbox_prepared *p);

/*
 * A child that stays this program (no exec), joined to the parent by a
 * SOCK_SEQPACKET socket pair: prepares sb, makes the pair and forks. In
 * the parent: the child's pid, *fd the parent's end, prep released. In the
 * child: 0, *fd the child's end, prep ready for sandbox_apply. -1 with
 * "WHAT: socketpair|fork: ..." in err, nothing left open.
 */
pid_t sandbox_fork(const struct sandbox *sb, const char *what,
    struct sandbox_prepared *prep, int *fd, struct sk_error *err);

#endif
