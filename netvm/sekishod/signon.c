#include "netvm/sekishod/signon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/log.h"
#include "lib/sandbox.h"
#include "lib/util.h"
#include "policy/policy.h"

/*
 * The relay never runs as root: it is started as _sekisho-signon with no
 * capability, under no_new_privs, Landlock (the program, /usr, the
 * loader's cache and OpenSSL's configuration, read only) and this seccomp
 * list: the loader's start, its UDP sockets, its signal descriptor and
 * the steps of its own sandbox_enter, which narrows it further once the
 * sockets are open (sekisho-signon.c). Its key comes as descriptor 3,
 * opened here: the file stays root's.
 */
static int
spawn(struct signon *s, const struct policy *pol)
{
	static const int calls[] = {
		SCMP_SYS(execve), SCMP_SYS(access), SCMP_SYS(arch_prctl),
		SCMP_SYS(prlimit64), SCMP_SYS(rseq), SCMP_SYS(set_robust_list),
		SCMP_SYS(set_tid_address), SCMP_SYS(sysinfo), SCMP_SYS(prctl),
		SCMP_SYS(seccomp), SCMP_SYS(setrlimit), SCMP_SYS(capget),
		SCMP_SYS(capset), SCMP_SYS(rt_sigaction), SCMP_SYS(signalfd4),
		SCMP_SYS(landlock_create_ruleset), SCMP_SYS(landlock_add_rule),
		SCMP_SYS(landlock_restrict_self), SCMP_SYS(socket), SCMP_SYS(bind),
		SCMP_SYS(connect), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
		SCMP_SYS(memfd_create),
		SCMP_SYS(recvfrom), SCMP_SYS(sendto), SCMP_SYS(recvmsg), SCMP_SYS(sendmsg),
	};
	const struct sandbox_path paths[] = {
		{ s->helper, SANDBOX_EXEC }, { "/usr", SANDBOX_EXEC },
		{ "/etc/ld.so.cache", SANDBOX_READ }, { "/etc/ssl", SANDBOX_READ },
	};
	const struct sandbox sb = {
		.name = "sekisho-signon", .user = SANDBOX_USER_SIGNON, .syscalls = calls,
		.n_syscalls = nitems(calls), .paths = paths, .n_paths = nitems(paths),
		.flags = SANDBOX_EXEC_MAPS,
	};
	char ver[INET_ADDRSTRLEN + 8], work[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];
	char sign[KEY_B64_LEN], seal[KEY_B64_LEN], dev[128];
	char sign2[KEY_B64_LEN], seal2[KEY_B64_LEN], pres[16];
	char *argv[24] = { "sekisho-signon", "-d", "-n", dev, "-K", "3",
	    "-V", ver, "-S", sign, "-E", seal, "-l", work, NULL };
	size_t n = 14;
	int fds[4] = { -1, -1, -1, -1 };
	struct sk_error err;
	int rc;

	sk_strlcpy(dev, s->device, sizeof(dev));	/* the relay checks it */
	inet_ntop(AF_INET, &pol->verifier.sin_addr, a, sizeof(a));
	snprintf(ver, sizeof(ver), "%s:%u", a, (unsigned)ntohs(pol->verifier.sin_port));
	inet_ntop(AF_INET, &pol->work_router, work, sizeof(work));
	key_to_b64(sign, pol->verifier_sign);
	key_to_b64(seal, pol->verifier_seal);
	/* The verifier's next keys, when the policy pins them (a key roll). */
	if (pol->has_verifier_sign_next) {
		key_to_b64(sign2, pol->verifier_sign_next);
		argv[n++] = "-S";
		argv[n++] = sign2;
	}
	if (pol->has_verifier_seal_next) {
		key_to_b64(seal2, pol->verifier_seal_next);
		argv[n++] = "-E";
		argv[n++] = seal2;
	}
	/* The policy's presence, which the relay hands the agent. */
	if (pol->presence != POLICY_PRESENCE_NONE) {
		snprintf(pres, sizeof(pres), "%s:%u", pol->presence ==
		    POLICY_PRESENCE_CARD ? "card" : "face", pol->presence_period_s);
		argv[n++] = "-P";
		argv[n++] = pres;
	}
	/* The mode and uplink of each request, for the audit trail: the
	 * control socket answers the relay's group its status, nothing else
	 * (sekishod.c, control.c). */
	if (s->ctl_path != NULL) {
		argv[n++] = "-c";
		argv[n++] = (char *)(uintptr_t)s->ctl_path;
	}
	argv[n] = NULL;
	if ((fds[3] = open(s->key_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		rc = -errno;
		log_warnx("sign-on relay: %s: %s; not started", s->key_path, strerror(errno));
		return rc;
	}
	rc = sandbox_spawn_fds(&s->pid, &sb, s->helper, argv, NULL, fds, 4, &err);
	close(fds[3]);
	if (rc < 0) {
		s->pid = 0;
		log_warnx("sign-on relay: %s", err.msg);
		return rc;
	}
	log_info("sign-on relay: started (pid %d) for %s on %s, verifier %s",
	    (int)s->pid, s->device, work, ver);
	return 0;
}

static int
wanted(const struct signon *s, const struct policy *pol)
{
	return pol->verifier.sin_family != 0 && s->device != NULL && s->helper[0] != '\0';
}

int
signon_start(struct signon *s, const struct policy *pol, uint64_t now)
{
	int rc;

	if (pol->verifier.sin_family == 0)
		return 0;
	if (!wanted(s, pol)) {
		log_warnx("sign-on relay: the policy names a verifier but sekishod has no "
		    "device name (-N): not started");
		return 0;
	}
	if (s->pid > 0)
		return 0;
	if ((rc = spawn(s, pol)) < 0) {
		uint64_t ms = respawn_died(&s->rs, now);

		log_warnx("sign-on relay: trying again in %llu ms", (unsigned long long)ms);
		return rc;
	}
	respawn_started(&s->rs, now);
	return 0;
}

int
signon_reaped(struct signon *s, pid_t pid, int status, uint64_t now)
{
	char how[32];
	uint64_t ms;

	if (s->pid <= 0 || pid != s->pid)
		return 0;
	s->pid = 0;
	ms = respawn_died(&s->rs, now);
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exited, status %d", WEXITSTATUS(status));
	log_warnx("sign-on relay (pid %d) %s; started again in %llu ms", (int)pid, how,
	    (unsigned long long)ms);
	return 1;
}

uint64_t
signon_due(const struct signon *s)
{
	return s->pid > 0 ? 0 : s->rs.due_ms;
}

void
signon_restart(struct signon *s, const struct policy *pol, uint64_t now)
{
	if (s->pid > 0 || s->rs.due_ms == 0 || now < s->rs.due_ms)
		return;
	if (!wanted(s, pol)) {
		s->rs.due_ms = 0;
		return;
	}
	(void)signon_start(s, pol, now);
}

void
signon_on_path(struct signon *s, const struct policy *pol, uint64_t now)
{
	if (s->pid > 0 || s->rs.due_ms == 0)
		return;
	s->rs = (struct respawn){ 0 };
	(void)signon_start(s, pol, now);
}

void
signon_policy(struct signon *s, const struct policy *old, const struct policy *pol,
    uint64_t now)
{
	if (old->verifier.sin_family == pol->verifier.sin_family &&
	    memcmp(&old->verifier, &pol->verifier, sizeof(pol->verifier)) == 0 &&
	    memcmp(old->verifier_sign, pol->verifier_sign, sizeof(pol->verifier_sign)) == 0 &&
	    memcmp(old->verifier_seal, pol->verifier_seal, sizeof(pol->verifier_seal)) == 0 &&
	    old->has_verifier_sign_next == pol->has_verifier_sign_next &&
	    old->has_verifier_seal_next == pol->has_verifier_seal_next &&
	    memcmp(old->verifier_sign_next, pol->verifier_sign_next,
	    sizeof(pol->verifier_sign_next)) == 0 &&
	    memcmp(old->verifier_seal_next, pol->verifier_seal_next,
	    sizeof(pol->verifier_seal_next)) == 0 &&
	    old->work_router.s_addr == pol->work_router.s_addr &&
	    old->tunnel_addr.s_addr == pol->tunnel_addr.s_addr &&
	    old->presence == pol->presence &&
	    old->presence_period_s == pol->presence_period_s)
		return;
	signon_stop(s);
	if (pol->verifier.sin_family == 0) {
		log_info("sign-on relay: the policy names no verifier now: stopped");
		return;
	}
	s->rs = (struct respawn){ 0 };
	(void)signon_start(s, pol, now);
}

void
signon_stop(struct signon *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
	s->rs.due_ms = 0;
}
