#include "netvm/sekishod/bundle_verify.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/encode.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/proto/pverify_wire.h"
#include "lib/sandbox.h"


#define ARGV_MAX	(14 + 2 * BUNDLE_MAX_KEYS)

struct helper_args {
	char	*argv[ARGV_MAX];
	char	 keys[BUNDLE_MAX_KEYS][KEY_B64_LEN];
	char	 device[KEY_B64_LEN];
	char	 serial[24];
	char	 after[24];
};

/* What is asked: a bundle (fresh NULL), or a freshness statement about
 * the serial in force, signed after a time. */
struct fresh_ask {
	uint64_t	serial, after;
};

static void
build_argv(struct helper_args *h, const char *helper, const char *name,
    const struct bundle_trust *t, const struct fresh_ask *fa)
{
	size_t n = 0;

	h->argv[n++] = (char *)(uintptr_t)helper;
	h->argv[n++] = fa != NULL ? "verify-fresh" : "verify";
	h->argv[n++] = "--name";
	h->argv[n++] = (char *)(uintptr_t)name;
	for (size_t i = 0; i < t->n_keys && i < BUNDLE_MAX_KEYS; i++) {
		key_to_b64(h->keys[i], t->keys[i]);
		h->argv[n++] = "--pubkey";
		h->argv[n++] = h->keys[i];
	}
	key_to_b64(h->device, t->device);
	h->argv[n++] = "--device";
	h->argv[n++] = h->device;
	if (fa != NULL) {
		snprintf(h->serial, sizeof(h->serial), "%" PRIu64, fa->serial);
		snprintf(h->after, sizeof(h->after), "%" PRIu64, fa->after);
		h->argv[n++] = "--serial";
		h->argv[n++] = h->serial;
		h->argv[n++] = "--after";
		h->argv[n++] = h->after;
	} else {
		snprintf(h->serial, sizeof(h->serial), "%" PRIu64, t->accepted);
		h->argv[n++] = "--min-serial";
		h->argv[n++] = h->serial;
		/* sekishod parses the policy itself (accept.c): once */
		h->argv[n++] = "--signature-only";
	}
	h->argv[n++] = "-";
	h->argv[n] = NULL;
}

struct exchange {
	int		 in, out;	/* our ends; -1 once closed */
	const uint8_t	*buf;
	size_t		 len, off;
	char		 line[sizeof(((struct sk_error *)0)->msg)];
	size_t		 got;
};

static void
feed(struct exchange *x)
{
	ssize_t n = write(x->in, x->buf + x->off, x->len - x->off);

	if (n > 0)
		x->off += (size_t)n;
	else if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || x->off == x->len) {	/* all written, or the helper quit reading */
		close(x->in);
		x->in = -1;
	}
}

/* 1 while more may come. */
static int
drain(struct exchange *x)
{
	ssize_t n = read(x->out, x->line + x->got, sizeof(x->line) - 1 - x->got);

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0)
		return 0;
	x->got += (size_t)n;
	return x->got < sizeof(x->line) - 1;
}

/* Writes the bundle and reads the answer until the helper closes its
 * output, with one deadline for both. */
static int
talk(struct exchange *x)
{
	uint64_t deadline = now_ms() + VERIFIER_TIMEOUT_MS;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = x->out, .events = POLLIN },
			{ .fd = x->in, .events = POLLOUT },
		};
		uint64_t now = now_ms();

		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(pfd, 2, (int)(deadline - now)) == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))
			feed(x);
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) && !drain(x))
			return 0;
	}
}

int
verifier_parse_ok(const char *line, const uint8_t device[BUNDLE_KEY_LEN],
    uint64_t *serial)
{
	char num[24], dev[KEY_B64_LEN], want[KEY_B64_LEN];
	const char *p, *q;
	size_t n;

	if (strncmp(line, "ok serial ", 10) != 0)
		return -EINVAL;
	p = line + 10;
	if ((q = strchr(p, ' ')) == NULL || (n = (size_t)(q - p)) >= sizeof(num))
		return -EINVAL;
	memcpy(num, p, n);
	num[n] = '\0';
	if (num[0] == '0' || parse_u64(num, 1, BUNDLE_SERIAL_MAX, serial) < 0 ||
	    strncmp(q, " device ", 8) != 0)
		return -EINVAL;
	q += 8;
	if (strlen(q) != KEY_B64_LEN || q[KEY_B64_LEN - 1] != '\n')
		return -EINVAL;
	memcpy(dev, q, KEY_B64_LEN - 1);
	dev[KEY_B64_LEN - 1] = '\0';
	key_to_b64(want, device);
	return strcmp(dev, want) == 0 ? 0 : -EINVAL;
}

int
verifier_parse_fresh_ok(const char *line, uint64_t serial, uint64_t *time)
{
	char want[64];
	size_t n;
	uint64_t t;

	n = (size_t)snprintf(want, sizeof(want), "ok fresh serial %" PRIu64 " time ", serial);
	if (strncmp(line, want, n) != 0)
		return -EINVAL;
	line += n;
	if (line[0] == '0' || strlen(line) < 2 || strlen(line) > 20 ||
	    line[strlen(line) - 1] != '\n')
		return -EINVAL;
	memcpy(want, line, strlen(line) - 1);
	want[strlen(line) - 1] = '\0';
	if (parse_u64(want, 1, BUNDLE_TIME_MAX, &t) < 0)
		return -EINVAL;
	*time = t;
	return 0;
}

/* The helper's verdict from its exit status and its one line: *out is
 * the bundle's serial, or the statement's time. */
static int
verdict(const char *name, const char *helper, int status, struct exchange *x,
    const uint8_t *device, const struct fresh_ask *fa, uint64_t *out,
    struct sk_error *err)
{
	char *nl;

	x->line[x->got] = '\0';
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		if (fa == NULL ? verifier_parse_ok(x->line, device, out) == 0 :
		    verifier_parse_fresh_ok(x->line, fa->serial, out) == 0)
			return 0;
		return sk_errorf(err, EIO, "%s: the verifying helper %s gave no valid answer",
		    name, helper);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 1 && x->got > 0) {
		if ((nl = strchr(x->line, '\n')) != NULL)
			*nl = '\0';
		return sk_errorf(err, EINVAL, "%s", x->line);
	}
	return sk_errorf(err, EIO, "%s: the verifying helper %s failed (%s %d)", name,
	    helper, WIFEXITED(status) ? "exit status" : "signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

/*
 * The helper parses bytes that came from the network, with libcrypto: it
 * runs in the sandbox, entered between fork and exec (sekisho-policy's
 * other subcommands are IT's tools and stay as they are): user
 * _sekisho-verify, no capability, no_new_privs, and of the file system
 * only what the loader and libcrypto read (the helper, /usr, the loader's
 * cache, OpenSSL's configuration), read only. The seccomp list is the
 * loader's and libc's start plus reading, writing and exiting: no socket,
 * no fork, no exec after its own.
 */
static int
spawn_confined(pid_t *pid, const char *helper, char *const argv[], int in, int out)
{
	/* sysinfo: glibc's qsort asks how much memory there is before
	 * sorting a large array (a policy of thousands of prefixes). */
	static const int calls[] = { SCMP_SYS(execve), SCMP_SYS(access),
	    SCMP_SYS(arch_prctl), SCMP_SYS(prlimit64), SCMP_SYS(rseq),
	    SCMP_SYS(set_robust_list), SCMP_SYS(set_tid_address), SCMP_SYS(sysinfo) };
	const struct sandbox_path paths[] = {
		{ helper, SANDBOX_EXEC }, { "/usr", SANDBOX_EXEC },
		{ "/etc/ld.so.cache", SANDBOX_READ }, { "/etc/ssl", SANDBOX_READ },
	};
	const struct sandbox sb = {
		.name = "sekisho-policy verify", .user = SANDBOX_USER_VERIFY,
		.syscalls = calls, .n_syscalls = nitems(calls), .paths = paths,
		.n_paths = nitems(paths),
		.flags = SANDBOX_EXEC_MAPS | SANDBOX_STDIO_PIPES,	/* it reads /dev/stdin */
	};
	struct sk_error err;
	int rc;

	if ((rc = sandbox_spawn(pid, &sb, helper, argv, in, out, out, &err)) < 0)
		log_warnx("%s", err.msg);
	return rc;
}

static int
run(const char *helper, const char *name, const struct bundle_trust *t,
    const struct fresh_ask *fa, const uint8_t *buf, size_t len, uint64_t *serial,
    int confined, struct sk_error *err)
{
	struct helper_args h;
	struct exchange x = { .buf = buf, .len = len };
	int in[2], out[2], rc, status;
	pid_t pid;

	build_argv(&h, helper, name, t, fa);
	if (pipe2(in, O_CLOEXEC) == -1)
		return sk_errorf(err, errno, "%s: pipe: %s", name, strerror(errno));
	if (pipe2(out, O_CLOEXEC) == -1) {
		rc = errno;
		close(in[0]);
		close(in[1]);
		return sk_errorf(err, rc, "%s: pipe: %s", name, strerror(rc));
	}
	if (confined)
		rc = spawn_confined(&pid, helper, h.argv, in[0], out[1]);
	else
		rc = spawn_child(&pid, helper, h.argv, in[0], out[1], out[1]);
	close(in[0]);
	close(out[1]);
	x.in = in[1];
	x.out = out[0];
	if (rc < 0) {
		close(x.in);
		close(x.out);
		return sk_errorf(err, -rc, "%s: cannot run the verifying helper %s: %s",
		    name, helper, strerror(-rc));
	}
	fcntl(x.in, F_SETFL, O_NONBLOCK);
	fcntl(x.out, F_SETFL, O_NONBLOCK);
	if ((rc = talk(&x)) < 0)
		kill(pid, SIGKILL);
	if (x.in != -1)
		close(x.in);
	close(x.out);
	if (waitpid(pid, &status, 0) == -1)
		return sk_errorf(err, errno, "%s: verifying helper: %s", name, strerror(errno));
	if (rc < 0)
		return sk_errorf(err, -rc, "%s: the verifying helper %s: %s", name,
		    helper, strerror(-rc));
	return verdict(name, helper, status, &x, t->device, fa, serial, err);
}

int
verifier_run(const char *helper, const char *name, const struct bundle_trust *t,
    const uint8_t *buf, size_t len, uint64_t *serial, struct sk_error *err)
{
	return run(helper, name, t, NULL, buf, len, serial, 1, err);
}

int
verifier_run_fresh(const char *helper, const char *name, const struct bundle_trust *t,
    uint64_t serial, uint64_t after, const uint8_t *buf, size_t len, uint64_t *time,
    int confined, struct sk_error *err)
{
	const struct fresh_ask fa = { serial, after };

	return run(helper, name, t, &fa, buf, len, time, confined, err);
}

int
verifier_run_unconfined(const char *helper, const char *name,
    const struct bundle_trust *t, const uint8_t *buf, size_t len, uint64_t *serial,
    struct sk_error *err)
{
	return run(helper, name, t, NULL, buf, len, serial, 0, err);
}

/* ---- the long-lived helper: sekisho-policy verify-serve ---- */

static struct {
	pid_t	pid;		/* 0: none running */
	int	in, out;	/* its standard input and output, our ends */
} srv = { 0, -1, -1 };

static void
srv_forget(void)
{
	if (srv.in != -1)
		close(srv.in);
	if (srv.out != -1)
		close(srv.out);
	srv.in = srv.out = -1;
	srv.pid = 0;
}

/* Ended and reaped here (a helper that failed us is not asked again). */
static void
srv_drop(void)
{
	pid_t pid = srv.pid;

	srv_forget();
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

int
verifier_reaped(pid_t pid)
{
	if (pid <= 0 || pid != srv.pid)
		return 0;
	srv_forget();
	return 1;
}

void
verifier_stop(void)
{
	srv_drop();
}

pid_t
verifier_pid(void)
{
	return srv.pid;
}

static int
srv_start(const char *helper, const struct bundle_trust *t, struct sk_error *err)
{
	struct helper_args h;
	int in[2], out[2], rc;
	size_t n = 0;

	h.argv[n++] = (char *)(uintptr_t)helper;
	h.argv[n++] = "verify-serve";
	for (size_t i = 0; i < t->n_keys && i < BUNDLE_MAX_KEYS; i++) {
		key_to_b64(h.keys[i], t->keys[i]);
		h.argv[n++] = "--pubkey";
		h.argv[n++] = h.keys[i];
	}
	key_to_b64(h.device, t->device);
	h.argv[n++] = "--device";
	h.argv[n++] = h.device;
	h.argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) == -1)
		return sk_errorf(err, errno, "pipe: %s", strerror(errno));
	if (pipe2(out, O_CLOEXEC) == -1) {
		rc = errno;
		close(in[0]);
		close(in[1]);
		return sk_errorf(err, rc, "pipe: %s", strerror(rc));
	}
	rc = spawn_confined(&srv.pid, helper, h.argv, in[0], out[1]);
	close(in[0]);
	close(out[1]);
	if (rc < 0) {
		close(in[1]);
		close(out[0]);
		srv.pid = 0;
		return sk_errorf(err, -rc, "cannot run the verifying helper %s: %s", helper,
		    strerror(-rc));
	}
	srv.in = in[1];
	srv.out = out[0];
	fcntl(srv.in, F_SETFL, O_NONBLOCK);
	fcntl(srv.out, F_SETFL, O_NONBLOCK);
	return 0;
}

/* The request (head, name, bundle) written and the one reply line read
 * into line, within VERIFIER_TIMEOUT_MS: 0, or -errno (the helper is of
 * no more use: it died, hung, or answered before it had read all). */
static int
srv_talk(const uint8_t *head, const char *name, size_t name_len, const uint8_t *buf,
    size_t len, char *line, size_t cap)
{
	const uint8_t *part[3] = { head, (const uint8_t *)name, buf };
	size_t size[3] = { PVERIFY_HEAD_LEN, name_len, len }, k = 0, off = 0, got = 0;
	uint64_t deadline = now_ms() + VERIFIER_TIMEOUT_MS;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = srv.out, .events = POLLIN },
			{ .fd = k < 3 ? srv.in : -1, .events = POLLOUT },
		};
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(pfd, 2, (int)(deadline - now)) == -1) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k < 3 && (pfd[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			n = write(srv.in, part[k] + off, size[k] - off);
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				return -EPIPE;
			if (n > 0 && (off += (size_t)n) == size[k]) {
				k++;
				off = 0;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = read(srv.out, line + got, cap - 1 - got);
			if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
				return -EPIPE;
			if (n > 0)
				got += (size_t)n;
			line[got] = '\0';
			if (memchr(line, '\n', got) != NULL)
				return k == 3 && line[got - 1] == '\n' ? 0 : -EPROTO;
			if (got == cap - 1)
				return -EPROTO;
		}
	}
}

/* One exchange with the running helper: 0 with *serial, -EINVAL with its
 * refusal in err, or another -errno with err (the helper dropped). */
static int
srv_ask(const char *name, const struct bundle_trust *t, const uint8_t *buf, size_t len,
    uint64_t *serial, struct sk_error *err)
{
	struct pverify_head ph = { .min_serial = t->accepted, .len = (uint32_t)len };
	uint8_t head[PVERIFY_HEAD_LEN];
	char line[sizeof(err->msg) + sizeof(PVERIFY_REFUSED)];
	size_t nl = strlen(name);
	int rc;

	if (nl == 0 || nl > PVERIFY_NAME_MAX || pverify_name_check((const uint8_t *)name, nl) < 0)
		return sk_errorf(err, EINVAL, "%s: not a name the verifying helper takes", name);
	ph.name_len = (uint16_t)nl;
	pverify_head_encode(head, &ph);
	if ((rc = srv_talk(head, name, nl, buf, len, line, sizeof(line))) < 0) {
		srv_drop();
		return sk_errorf(err, -rc, "%s: the verifying helper: %s", name, strerror(-rc));
	}
	*strchr(line, '\n') = '\0';
	if (strncmp(line, PVERIFY_REFUSED, strlen(PVERIFY_REFUSED)) == 0)
		return sk_errorf(err, EINVAL, "%s", line + strlen(PVERIFY_REFUSED));
	strcat(line, "\n");
	if (verifier_parse_ok(line, t->device, serial) == 0)
		return 0;
	srv_drop();
	return sk_errorf(err, EIO, "%s: the verifying helper gave no valid answer", name);
}

int
verifier_ask(const char *helper, const char *name, const struct bundle_trust *t,
    const uint8_t *buf, size_t len, uint64_t *serial, struct sk_error *err)
{
	struct sk_error e2;
	int rc = 0;

	if (len == 0 || len > BUNDLE_MAX_SIZE + 1)
		return sk_errorf(err, EINVAL, "%s: %zu bytes: not a bundle", name, len);
	/* A helper that died or hung since the last bundle is started
	 * afresh, once: then its answer, or the reason there is none. */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (srv.pid == 0 && (rc = srv_start(helper, t, &e2)) < 0)
			return sk_errorf(err, -rc, "%s: %s", name, e2.msg);
		rc = srv_ask(name, t, buf, len, serial, err);
		if (rc == 0 || rc == -EINVAL)
			return rc;
	}
	return rc;
}
