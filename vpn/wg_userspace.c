#include "vpn/wg_userspace.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/util.h"
#include "vpn/wg_uapi.h"

#define TUN_CLONE	"/dev/net/tun"
#define WG_VERSION_MS	2000	/* at most, of wg_create's time */
#define SEARCH_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * What wireguard-go (a Go program: its runtime's threads, signals and
 * netpoller) and its loader call, measured with strace -f over the
 * handshake, traffic and the end of a tunnel; plus what /bin/sh needs
 * for the scripts the tests put in its place. No socket family but what
 * its UDP sockets and its rtnetlink listener use is kept out by the user
 * (no capability) rather than here.
 */
static const int wg_calls[] = {
	SCMP_SYS(execve), SCMP_SYS(access), SCMP_SYS(arch_prctl), SCMP_SYS(prlimit64),
	SCMP_SYS(getrlimit), SCMP_SYS(rseq), SCMP_SYS(set_robust_list),
	SCMP_SYS(set_tid_address), SCMP_SYS(clone), SCMP_SYS(clone3),
	SCMP_SYS(rt_sigaction), SCMP_SYS(sigaltstack), SCMP_SYS(tgkill), SCMP_SYS(tkill),
	SCMP_SYS(sched_yield), SCMP_SYS(sched_getaffinity), SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_wait),
	SCMP_SYS(pipe2), SCMP_SYS(eventfd2), SCMP_SYS(socket), SCMP_SYS(bind),
	SCMP_SYS(accept4), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(sendmsg),
	SCMP_SYS(recvmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg), SCMP_SYS(sendto),
	SCMP_SYS(recvfrom), SCMP_SYS(shutdown), SCMP_SYS(ioctl),
	SCMP_SYS(inotify_init1), SCMP_SYS(inotify_add_watch), SCMP_SYS(inotify_rm_watch),
	SCMP_SYS(unlinkat), SCMP_SYS(umask), SCMP_SYS(readlinkat), SCMP_SYS(uname),
	SCMP_SYS(getppid), SCMP_SYS(getcwd), SCMP_SYS(dup2), SCMP_SYS(dup3),
	SCMP_SYS(wait4),
};

/* wireguard-go sets the TUN's MTU to its default at start (SIOCSIFMTU,
 * which needs CAP_NET_ADMIN) and gives up if it cannot. The caller sets
 * the MTU it wants itself (sekishod: the policy's, route_link_set), and
 * wireguard-go reads the real one back (SIOCGIFMTU): the call is answered
 * "done" without being made. */
static const struct sandbox_noop wg_noops[] = {
	{ SCMP_SYS(ioctl), 1, SIOCSIFMTU },
};

unsigned short
wg_go_tun_flags(const char *text)
{
	const unsigned short later = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
	const char *v = strstr(text, " v0.0.");
	unsigned long date = 0;
	int i;

	if (v == NULL)
		return later;
	v += strlen(" v0.0.");
	for (i = 0; i < 8 && v[i] >= '0' && v[i] <= '9'; i++)
		date = date * 10 + (unsigned long)(v[i] - '0');
	if (i != 8 || (v[i] >= '0' && v[i] <= '9'))
		return later;
	return date <= WG_GO_LAST_PI ? IFF_TUN : later;
}

static void
sandbox_for(struct sandbox *sb, struct sandbox_path paths[3], const char *prog)
{
	paths[0] = (struct sandbox_path){ prog, SANDBOX_EXEC };
	paths[1] = (struct sandbox_path){ "/usr", SANDBOX_EXEC };
	paths[2] = (struct sandbox_path){ "/etc/ld.so.cache", SANDBOX_READ };
	/* A Go program's threads count against RLIMIT_NPROC: it keeps it. */
	*sb = (struct sandbox){
		.name = "wireguard-go", .user = SANDBOX_USER_WG,
		.syscalls = wg_calls, .n_syscalls = nitems(wg_calls),
		.paths = paths, .n_paths = 3,
		.flags = SANDBOX_EXEC_MAPS | SANDBOX_KEEP_NPROC,
		.noops = wg_noops, .n_noops = nitems(wg_noops),
	};
}

/* `prog --version`, confined too; its TUN flags, remembered per program. */
static unsigned short
tun_flags(const char *prog, uint64_t until)
{
	static char known[PATH_MAX];
	static unsigned short flags;
	char path[PATH_MAX], version[] = "--version";
	char *argv[] = { path, version, NULL };
	char *envp[] = { NULL };
	char text[256];
	struct sandbox_path paths[3];
	struct sandbox sb;
	struct sk_error err;
	uint64_t deadline = now_ms() + WG_VERSION_MS;
	size_t len = 0;
	ssize_t n;
	int p[2], fds[3];
	pid_t pid;

	if (strcmp(known, prog) == 0)
		return flags;
	if (deadline > until)
		deadline = until;
	sk_strlcpy(path, prog, sizeof(path));
	if (pipe2(p, O_CLOEXEC) == -1)
		return wg_go_tun_flags("");
	fds[0] = -1;
	fds[1] = p[1];
	fds[2] = -1;
	sandbox_for(&sb, paths, prog);
	if (sandbox_spawn_fds(&pid, &sb, prog, argv, envp, fds, 3, &err) < 0) {
		log_warnx("%s", err.msg);
		close(p[0]);
		close(p[1]);
		return wg_go_tun_flags("");
	}
	close(p[1]);
	/* It prints one line and exits at once; one that does not gets a
	 * second, then the later flags (and wg_create its own timeout). */
	while (len < sizeof(text) - 1) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int wait_ms = (int)(deadline - now_ms());

		if (wait_ms <= 0 || poll(&pfd, 1, wait_ms) <= 0)
			break;
		if ((n = read(p[0], text + len, sizeof(text) - 1 - len)) <= 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	close(p[0]);
	if (len == 0) {
		/* Not remembered: asked again at the next start. */
		log_warnx("%s --version: no answer; assuming a version that wants no "
		    "packet information on its TUN device", prog);
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return wg_go_tun_flags("");
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
	flags = wg_go_tun_flags(text);
	sk_strlcpy(known, prog, sizeof(known));
	return flags;
}

static int
tun_open(const char *ifname, unsigned short flags)
{
	struct ifreq ifr;
	int fd, rc;

	if ((fd = open(TUN_CLONE, O_RDWR | O_CLOEXEC)) == -1)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	sk_strlcpy(ifr.ifr_name, ifname, sizeof(ifr.ifr_name));
	ifr.ifr_flags = (short)flags;
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* The UAPI socket as wireguard-go makes it (ipc.UAPIOpen), but for the
 * owner: root's, group gid, 0640 (its inotify watch needs read access;
 * only root connects). The caller checked that no live one answers. */
static int
uapi_listen(const char *ifname, gid_t gid, char *path, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if ((rc = wg_uapi_sock_path(path, size, ifname)) != 0)
		return rc;
	if (sk_strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	if (mkdir(WG_UAPI_DIR, 0755) == -1 && errno != EEXIST)
		return -errno;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -errno;
	(void)unlink(path);
	if (fchmod(fd, 0600) == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (chown(path, 0, gid) == -1 || chmod(path, 0640) == -1 || listen(fd, 16) == -1) {
		rc = -errno;
		unlink(path);
		close(fd);
		return rc;
	}
	return fd;
}

/* The program's path: as given when it has a slash, else searched. */
static int
resolve(const char *prog, char *out, size_t size)
{
	const char *dir = SEARCH_PATH, *end;

	if (strchr(prog, '/') != NULL) {
		if (sk_strlcpy(out, prog, size) >= size)
			return -ENAMETOOLONG;
		return access(out, F_OK) == 0 ? 0 : -errno;
	}
	for (; *dir != '\0'; dir = *end ? end + 1 : end) {
		size_t n;

		end = strchrnul(dir, ':');
		n = (size_t)(end - dir);
		if (n + 1 + strlen(prog) + 1 > size)
			continue;
		memcpy(out, dir, n);
		out[n] = '/';
		strcpy(out + n + 1, prog);
		if (access(out, X_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

int
wg_userspace_spawn(const char *prog_arg, const char *ifname, uint64_t deadline,
    pid_t *pid)
{
	char prog[PATH_MAX], name[IFNAMSIZ], fg[] = "-f", path[PATH_MAX];
	char *argv[] = { prog, fg, name, NULL };
	/* No banner ("Running wireguard-go is not required ...") in our
	 * log: it prints it unless WG_PROCESS_FOREGROUND=1 (main.go). */
	char tunfd[] = "WG_TUN_FD=3", uapifd[] = "WG_UAPI_FD=4",
	    fgenv[] = "WG_PROCESS_FOREGROUND=1";
	char *envp[] = { tunfd, uapifd, fgenv, NULL };
	struct sandbox_path paths[3];
	struct sandbox sb;
	struct sk_error err;
	struct passwd *pw;
	gid_t gid;
	int fds[5] = { -1, -1, -1, -1, -1 }, rc;

	if ((rc = resolve(prog_arg, prog, sizeof(prog))) < 0) {
		log_warnx("wg %s: cannot start %s: %s", ifname, prog_arg, strerror(-rc));
		return rc;
	}
	sk_strlcpy(name, ifname, sizeof(name));
	if ((pw = getpwnam(SANDBOX_USER_WG)) == NULL)
		pw = getpwnam("nobody");	/* as the sandbox falls back */
	gid = pw != NULL ? pw->pw_gid : (gid_t)65534;
	if ((fds[3] = tun_open(ifname, tun_flags(prog, deadline))) < 0) {
		rc = fds[3];
		log_warnx("wg %s: cannot create the TUN device: %s", ifname, strerror(-rc));
		return rc;
	}
	if ((fds[4] = uapi_listen(ifname, gid, path, sizeof(path))) < 0) {
		rc = fds[4];
		log_warnx("wg %s: cannot create the UAPI socket: %s", ifname, strerror(-rc));
		close(fds[3]);
		return rc;
	}
	sandbox_for(&sb, paths, prog);
	if ((rc = sandbox_spawn_fds(pid, &sb, prog, argv, envp, fds, 5, &err)) < 0) {
		log_warnx("wg %s: %s", ifname, err.msg);
		unlink(path);
	}
	/* The program holds them now: the interface lives as long as it does. */
	close(fds[3]);
	close(fds[4]);
	return rc;
}
