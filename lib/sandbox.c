#include "lib/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"

#define NOBODY	"nobody"

/* What every sandboxed C program needs once it runs: memory, time, its
 * open descriptors, exit. openat is here because Landlock decides what it
 * may open (usually nothing); without Landlock the uid and file modes do. */
static const int base_syscalls[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(close), SCMP_SYS(lseek), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(fcntl), SCMP_SYS(openat),
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(restart_syscall),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday), SCMP_SYS(time), SCMP_SYS(getrandom),
	SCMP_SYS(futex), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
	SCMP_SYS(getegid),
};

/* The test build only (build/test/, Makefile; lib/sandbox.h): the
 * installed programs always die of a forbidden call, whatever their
 * environment says. */
static int
debug_mode(void)
{
#ifdef SEKISHO_TEST_HOOKS
	const char *e = getenv("SEKISHO_SANDBOX_DEBUG");

	return e != NULL && *e != '\0' && strcmp(e, "0") != 0;
#else
	return 0;
#endif
}

/* ---- seccomp ---- */

static const struct sandbox *rule_sb;	/* whose noops rule() honours */

/* Allowed; a call with a noop is allowed only with another argument. */
static int
rule(scmp_filter_ctx ctx, int nr)
{
	for (size_t i = 0; rule_sb != NULL && i < rule_sb->n_noops; i++)
		if (rule_sb->noops[i].syscall == nr)
			return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			    SCMP_CMP(rule_sb->noops[i].arg, SCMP_CMP_NE,
			    rule_sb->noops[i].value));
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

static int
noop_rules(scmp_filter_ctx ctx, const struct sandbox *sb)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < sb->n_noops; i++)
		if (sb->noops[i].arg > 5)
			rc = -EINVAL;
		else
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(0), sb->noops[i].syscall, 1,
			    SCMP_CMP(sb->noops[i].arg, SCMP_CMP_EQ, sb->noops[i].value));
	return rc;
}

/* mmap and mprotect, without PROT_EXEC unless the program is yet to exec:
 * no new code in a compromised process's memory. */
static int
memory_rules(scmp_filter_ctx ctx, unsigned int flags)
{
	int rc;

	if (flags & SANDBOX_EXEC_MAPS) {
		if ((rc = rule(ctx, SCMP_SYS(mmap))) == 0)
			rc = rule(ctx, SCMP_SYS(mprotect));
		return rc;
	}
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
	    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0))) == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	return rc;
}

static int
compile_filter(const struct sandbox *sb, struct sandbox_prepared *p,
    struct sk_error *err)
{
	scmp_filter_ctx ctx;
	struct stat st;
	int rc = 0, fd = -1;

	ctx = seccomp_init(debug_mode() ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return sk_errorf(err, ENOMEM, "%s: seccomp_init failed", sb->name), -1;
	rule_sb = sb;
	for (size_t i = 0; rc == 0 && i < nitems(base_syscalls); i++)
		rc = rule(ctx, base_syscalls[i]);
	for (size_t i = 0; rc == 0 && i < sb->n_syscalls; i++)
		rc = rule(ctx, sb->syscalls[i]);
	rule_sb = NULL;
	if (rc == 0)
		rc = noop_rules(ctx, sb);
	if (rc == 0)
		rc = memory_rules(ctx, sb->flags);
	if (rc == 0 && (sb->flags & SANDBOX_SYSLOG) &&
	    (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
	    SCMP_A0(SCMP_CMP_EQ, AF_UNIX))) == 0 &&
	    (rc = rule(ctx, SCMP_SYS(connect))) == 0)
		rc = rule(ctx, SCMP_SYS(sendto));
	/* The filter is loaded by hand (sandbox_apply may run in a child
	 * between fork and exec): export it as BPF through a memory file. */
	if (rc == 0 && (fd = memfd_create("seccomp", MFD_CLOEXEC)) == -1)
		rc = -errno;
	if (rc == 0)
		rc = seccomp_export_bpf(ctx, fd);
	if (rc == 0 && fstat(fd, &st) == -1)
		rc = -errno;
	if (rc == 0 && (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS))
		rc = -E2BIG;
	if (rc == 0 && (p->filter = malloc((size_t)st.st_size)) == NULL)
		rc = -ENOMEM;
	if (rc == 0 && pread(fd, p->filter, (size_t)st.st_size, 0) != st.st_size)
		rc = -EIO;
	if (rc == 0)
		p->n_filter = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	if (fd != -1)
		close(fd);
	seccomp_release(ctx);
	if (rc != 0)
		return sk_errorf(err, -rc, "%s: cannot build the seccomp filter: %s",
		    sb->name, strerror(-rc)), -1;
	return 0;
}

/* ---- Landlock (raw system calls: glibc 2.36 has no wrappers) ---- */

#define FS_FILE_RIGHTS (LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | \
	LANDLOCK_ACCESS_FS_READ_FILE)
#define FS_ABI1_RIGHTS ((uint64_t)LANDLOCK_ACCESS_FS_MAKE_SYM * 2 - 1)

static int
landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? -errno : (int)abi;
}

static int
landlock_add_path(int ruleset, const struct sandbox_path *sp, uint64_t handled)
{
	struct landlock_path_beneath_attr pb = { 0 };
	struct stat st;
	int rc = 0;

	if ((pb.parent_fd = open(sp->path, O_PATH | O_CLOEXEC)) == -1)
		return -errno;
	if (fstat(pb.parent_fd, &st) == -1)
		rc = -errno;
	if (sp->access & SANDBOX_READ)
		pb.allowed_access |= LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR;
	if (sp->access & SANDBOX_EXEC)
		pb.allowed_access |= LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE |
		    LANDLOCK_ACCESS_FS_READ_DIR;
	if (rc == 0 && !S_ISDIR(st.st_mode))
		pb.allowed_access &= FS_FILE_RIGHTS;
	pb.allowed_access &= handled;
	if (rc == 0 && syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH,
	    &pb, 0) == -1)
		rc = -errno;
	close(pb.parent_fd);
	return rc;
}

/* The ruleset in p->ruleset_fd, or -1 with one line when the kernel has
 * no Landlock (the rest of the sandbox still holds). */
static int
build_ruleset(const struct sandbox *sb, struct sandbox_prepared *p,
    struct sk_error *err)
{
	struct landlock_ruleset_attr attr = { .handled_access_fs = FS_ABI1_RIGHTS };
	int abi = landlock_abi(), rc = 0;

	p->ruleset_fd = -1;
	if (abi < 0) {
		log_info("%s: no Landlock in this kernel (%s): file system not "
		    "restricted beyond the user's rights", sb->name, strerror(-abi));
		return 0;
	}
	if (abi >= 2)
		attr.handled_access_fs |= LANDLOCK_ACCESS_FS_REFER;
	p->ruleset_fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (p->ruleset_fd == -1)
		return sk_errorf(err, errno, "%s: Landlock ruleset: %s", sb->name,
		    strerror(errno)), -1;
	fcntl(p->ruleset_fd, F_SETFD, FD_CLOEXEC);
	for (size_t i = 0; rc == 0 && i < sb->n_paths; i++)
		if ((rc = landlock_add_path(p->ruleset_fd, &sb->paths[i],
		    attr.handled_access_fs)) < 0)
			sk_errorf(err, -rc, "%s: Landlock rule for %s: %s", sb->name,
			    sb->paths[i].path, strerror(-rc));
	return rc < 0 ? -1 : 0;
}

/* ---- the user ---- */

static int
resolve_user(const struct sandbox *sb, struct sandbox_prepared *p,
    struct sk_error *err)
{
	struct passwd *pw;

	p->uid = (uint32_t)geteuid();
	p->gid = (uint32_t)getegid();
	if (geteuid() != 0)
		return 0;
	if ((pw = getpwnam(sb->user)) == NULL) {
		log_warnx("%s: no user %s (create the system users: "
		    "tests/sandbox-users.sh): running as " NOBODY, sb->name, sb->user);
		if ((pw = getpwnam(NOBODY)) == NULL)
			return sk_errorf(err, ENOENT, "%s: neither %s nor " NOBODY " exists",
			    sb->name, sb->user), -1;
	}
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return sk_errorf(err, EPERM, "%s: user %s is root's uid or gid", sb->name,
		    sb->user), -1;
	p->uid = (uint32_t)pw->pw_uid;
	p->gid = (uint32_t)pw->pw_gid;
	return 0;
}

int
sandbox_prepare(const struct sandbox *sb, struct sandbox_prepared *p,
    struct sk_error *err)
{
	memset(p, 0, sizeof(*p));
	p->name = sb->name;
	p->flags = sb->flags;
	p->ruleset_fd = -1;
	if (resolve_user(sb, p, err) < 0 || build_ruleset(sb, p, err) < 0 ||
	    compile_filter(sb, p, err) < 0) {
		sandbox_release(p);
		return -1;
	}
	return 0;
}

void
sandbox_release(struct sandbox_prepared *p)
{
	if (p->ruleset_fd != -1)
		close(p->ruleset_fd);
	p->ruleset_fd = -1;
	free(p->filter);
	p->filter = NULL;
}

pid_t
sandbox_fork(const struct sandbox *sb, const char *what,
    struct sandbox_prepared *prep, int *fd, struct sk_error *err)
{
	int sv[2], e;
	pid_t pid;

	*fd = -1;
	if (sandbox_prepare(sb, prep, err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		e = errno;
		sandbox_release(prep);
		return sk_errorf(err, e, "%s: socketpair: %s", what, strerror(e)), -1;
	}
	if ((pid = fork()) == -1) {
		e = errno;
		close(sv[0]);
		close(sv[1]);
		sandbox_release(prep);
		return sk_errorf(err, e, "%s: fork: %s", what, strerror(e)), -1;
	}
	if (pid == 0) {
		close(sv[0]);
		*fd = sv[1];
		return 0;
	}
	sandbox_release(prep);
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

/* ---- entering ---- */

/* Every capability out of the bounding set and the ambient set; the
 * permitted and effective sets go with the uid change. */
static int
drop_capability_sets(void)
{
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1 && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 &&
	    errno != EINVAL)
		return -errno;
	return 0;
}

static int
no_capabilities_left(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	/* Inheritable too: a root parent may have left some. */
	if (syscall(SYS_capset, &h, d) == -1)
		return -errno;
	if (syscall(SYS_capget, &h, d) == -1)
		return -errno;
	for (int i = 0; i < 2; i++)
		if (d[i].effective != 0 || d[i].permitted != 0 || d[i].inheritable != 0)
			return -EPERM;
	if (prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) > 0 ||
	    prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) > 0)
		return -EPERM;
	return 0;
}

int
sandbox_apply(const struct sandbox_prepared *p)
{
	const struct rlimit zero = { 0, 0 };
	struct sock_fprog prog = { .len = p->n_filter, .filter = p->filter };
	gid_t gid = (gid_t)p->gid;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 ||
	    setrlimit(RLIMIT_CORE, &zero) == -1)
		return -errno;
	if (geteuid() == 0) {
		if (drop_capability_sets() < 0 || setgroups(1, &gid) == -1 ||
		    setresgid(gid, gid, gid) == -1 ||
		    setresuid((uid_t)p->uid, (uid_t)p->uid, (uid_t)p->uid) == -1)
			return errno != 0 ? -errno : -EPERM;
		if (setuid(0) != -1 || geteuid() == 0)
			return -EPERM;
	}
	if (no_capabilities_left() < 0)
		return -EPERM;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -errno;
	if (!(p->flags & SANDBOX_KEEP_NPROC) && setrlimit(RLIMIT_NPROC, &zero) == -1)
		return -errno;
	if (p->ruleset_fd != -1 &&
	    syscall(SYS_landlock_restrict_self, p->ruleset_fd, 0) == -1)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1)
		return -errno;
	return 0;
}

int
sandbox_keep_caps(const int *caps, size_t n, struct sk_error *err)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	uint64_t keep = 0;

	for (size_t i = 0; i < n; i++)
		if (caps[i] >= 0 && caps[i] <= 63)
			keep |= 1ULL << caps[i];
	if (sandbox_no_dump(err) < 0)
		return -1;
	/* Only those still there: a unit that bounds it already (and grants
	 * no CAP_SETPCAP, which dropping needs) is left as it is. */
	for (int cap = 0; cap <= 63; cap++)
		if (!(keep & (1ULL << cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1)
			return sk_errorf(err, errno, "bounding set: %s", strerror(errno)), -1;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1 && errno != EINVAL)
		return sk_errorf(err, errno, "ambient set: %s", strerror(errno)), -1;
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) == -1)
		return sk_errorf(err, errno, "capget: %s", strerror(errno)), -1;
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));

		d[i].effective &= k;
		d[i].permitted &= k;
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d) == -1)
		return sk_errorf(err, errno, "capset: %s", strerror(errno)), -1;
	return 0;
}

/* SEKISHO_SANDBOX_DEBUG: the forbidden call's number, then exit 159. */
static void
on_sigsys(int sig, siginfo_t *si, void *uc)
{
	char msg[64] = "sandbox: forbidden system call ";
	size_t n = strlen(msg);
	char num[12];
	int nr = si->si_syscall, k = 0;

	(void)sig;
	(void)uc;
	if (nr < 0)
		nr = 0;
	do {
		num[k++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr > 0 && k < (int)sizeof(num));
	while (k > 0 && n < sizeof(msg) - 2)
		msg[n++] = num[--k];
	msg[n++] = '\n';
	(void)!write(STDERR_FILENO, msg, n);
	_exit(128 + SIGSYS);
}

int
sandbox_enter(const struct sandbox *sb, struct sk_error *err)
{
	struct sandbox_prepared p;
	int rc;

	if (sandbox_prepare(sb, &p, err) < 0)
		return -1;
	if (debug_mode()) {
		struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGSYS, &sa, NULL);
		log_warnx("%s: SEKISHO_SANDBOX_DEBUG: forbidden system calls are reported, "
		    "not killed at once", sb->name);
	}
	rc = sandbox_apply(&p);
	sandbox_release(&p);
	if (rc < 0)
		return sk_errorf(err, -rc, "%s: cannot enter the sandbox: %s", sb->name,
		    strerror(-rc)), -1;
	return 0;
}

int
sandbox_filter_self(const struct sandbox *sb, struct sk_error *err)
{
	struct sandbox_prepared p = { .ruleset_fd = -1 };
	struct sandbox only = *sb;
	struct sock_fprog prog;
	int rc = 0;

	only.flags |= SANDBOX_EXEC_MAPS;	/* its children exec, under it too */
	if (compile_filter(&only, &p, err) < 0)
		return -1;
	if (debug_mode()) {
		struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGSYS, &sa, NULL);
		log_warnx("%s: SEKISHO_SANDBOX_DEBUG: forbidden system calls are reported, "
		    "not killed at once", sb->name);
	}
	prog = (struct sock_fprog){ .len = p.n_filter, .filter = p.filter };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1)
		rc = -errno;
	sandbox_release(&p);
	if (rc < 0)
		return sk_errorf(err, -rc, "%s: cannot load its seccomp filter: %s", sb->name,
		    strerror(-rc)), -1;
	return 0;
}

/* ---- a sandboxed child ---- */

/* Between fork and exec: nothing that allocates or takes a lock. fds[i]
 * becomes descriptor i (sandbox_spawn_fds). */
static void __attribute__((noreturn))
child(const struct sandbox_prepared *pp, const char *path, char *const argv[],
    char *const envp[], const int *fds, size_t n, int report)
{
	struct sandbox_prepared q = *pp, *p = &q;
	int tmp[SANDBOX_MAX_FDS];
	sigset_t none;
	int rc, nul;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Out of the way first, so no target number overwrites a source, the
	 * report pipe or the ruleset. */
	if ((report = fcntl(report, F_DUPFD_CLOEXEC, 3 + SANDBOX_MAX_FDS)) == -1)
		_exit(127);
	if (q.ruleset_fd != -1 &&
	    (q.ruleset_fd = fcntl(q.ruleset_fd, F_DUPFD_CLOEXEC, 3 + SANDBOX_MAX_FDS)) == -1)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		tmp[i] = fds[i];
		if (i == 0 && tmp[i] < 0 && (nul = open("/dev/null", O_RDONLY | O_CLOEXEC)) != -1)
			tmp[i] = nul;
		if (tmp[i] >= 0 && (tmp[i] = fcntl(tmp[i], F_DUPFD_CLOEXEC, 3 + SANDBOX_MAX_FDS)) == -1)
			goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (tmp[i] >= 0 && dup2(tmp[i], (int)i) == -1)
			goto fail;
	/* Our own pipes, private to this child: its user may reopen them. */
	for (int fd = 0; (p->flags & SANDBOX_STDIO_PIPES) && fd <= 2; fd++) {
		struct stat st;

		if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
		    fchown(fd, (uid_t)p->uid, (gid_t)p->gid) == -1)
			goto fail;
	}
	/* Everything else shut, but the ruleset and the report pipe, which
	 * close themselves at exec. */
	for (int fd = (int)n; fd < 1024; fd++)
		if (fd != report && fd != p->ruleset_fd)
			close(fd);
	for (int fd = 3; fd < (int)n; fd++)
		if (tmp[fd] < 0)
			close(fd);
	if ((rc = sandbox_apply(p)) < 0) {
		errno = -rc;
		goto fail;
	}
	if (envp != NULL)
		execve(path, argv, envp);
	else
		execv(path, argv);
fail:
	rc = errno;
	(void)!write(report, &rc, sizeof(rc));
	_exit(127);
}

int
sandbox_spawn(pid_t *pid, const struct sandbox *sb, const char *path,
    char *const argv[], int in, int out, int err_fd, struct sk_error *err)
{
	const int fds[3] = { in, out, err_fd };

	return sandbox_spawn_fds(pid, sb, path, argv, NULL, fds, 3, err);
}

int
sandbox_spawn_fds(pid_t *pid, const struct sandbox *sb, const char *path,
    char *const argv[], char *const envp[], const int *fds, size_t nfds,
    struct sk_error *err)
{
	struct sandbox_prepared p;
	int pfd[2], rc = 0;
	ssize_t n;

	if (nfds < 3 || nfds > SANDBOX_MAX_FDS)
		return sk_errorf(err, EINVAL, "%s: %zu descriptors", sb->name, nfds), -EINVAL;
	if (sandbox_prepare(sb, &p, err) < 0)
		return -EPERM;
	if (pipe2(pfd, O_CLOEXEC) == -1) {
		rc = -errno;
		sandbox_release(&p);
		return sk_errorf(err, -rc, "%s: pipe: %s", sb->name, strerror(-rc)), rc;
	}
	if ((*pid = fork()) == -1) {
		rc = -errno;
	} else if (*pid == 0) {
		close(pfd[0]);
		child(&p, path, argv, envp, fds, nfds, pfd[1]);
	}
	close(pfd[1]);
	sandbox_release(&p);
	if (rc == 0) {
		int e;

		while ((n = read(pfd[0], &e, sizeof(e))) == -1 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof(e)) {	/* the child did not reach its program */
			rc = -e;
			waitpid(*pid, NULL, 0);
		}
	}
	close(pfd[0]);
	if (rc < 0)
		sk_errorf(err, -rc, "%s: cannot start %s: %s", sb->name, path, strerror(-rc));
	return rc;
}
