#include "netvm/sekishod/engproc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/sandbox.h"

/* ---- the engine's side ---- */

static void
run(struct engine *e, const struct eng_call *k, struct eng_result *r)
{
	memset(r, 0, sizeof(*r));
	switch (k->op) {
	case ENG_INIT:
		engine_init(e, k->i1, k->i2, k->endpoints[0], k->i3 != 0);
		break;
	case ENG_GATEWAYS:
		engine_gateways(e, k->endpoints, k->n, (size_t)(uint32_t)k->i3);
		break;
	case ENG_POLICY:
		engine_set_policy(e, k->i1 != 0, k->u);
		break;
	case ENG_EVENT:
		r->n = engine_handle(e, &k->ev, r->acts);
		break;
	case ENG_RESTATE:
		r->n = engine_restate(e, k->u, r->acts);
		break;
	case ENG_PROBE_ALL:
		r->n = engine_probe_all(e, r->acts);
		break;
	case ENG_OFFICE_RETRY:
		r->n = engine_office_retry(e, k->u, r->acts);
		break;
	case ENG_VOUCH:
		r->r = engine_vouch(e, &k->up);
		break;
	}
	r->retry_at = engine_office_retry_at(e);
	r->state = *e;
}

static const int eng_calls[] = { SCMP_SYS(rt_sigaction) };
static const struct sandbox eng_sandbox = {
	.name = "sekishod engine", .user = SANDBOX_USER_ENG,
	.syscalls = eng_calls, .n_syscalls = nitems(eng_calls), .flags = SANDBOX_SYSLOG,
};

void
engproc_main(int fd, const struct sandbox_prepared *prep)
{
	static uint8_t in[ENG_CALL_LEN + ENG_PARSE_LEN + 1], out[ENG_RESULT_LEN];
	static struct engine e;
	static struct eng_result r;
	static struct eng_parse p;
	static struct eng_parsed pd;
	struct eng_call k;
	struct sk_error err;
	ssize_t n;

	if (prep != NULL)
		child_forked_enter(fd, prep);
	signal(SIGPIPE, SIG_IGN);
	if (prep == NULL && sandbox_enter(&eng_sandbox, &err) < 0)
		fatalx("%s", err.msg);
	for (;;) {
		if ((n = read(fd, in, sizeof(in))) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			exit(0);	/* the parent hung up */
		if (n >= 2 && in[1] == ENG_T_PARSE) {
			/* A helper's line: parsed here, not in the parent. */
			if (eng_parse_decode(in, (size_t)n, &p, &err) != 0)
				fatalx("engine: the parent's helper result refused: %s", err.msg);
			eng_parse_run(&p, &pd);
			eng_parsed_encode(out, &pd);
			if (write(fd, out, ENG_PARSED_LEN) != (ssize_t)ENG_PARSED_LEN)
				exit(0);
			continue;
		}
		if (eng_call_decode(in, (size_t)n, &k, &err) != 0)
			fatalx("engine: the parent's call refused: %s", err.msg);
		run(&e, &k, &r);
		eng_result_encode(out, &r);
		if (write(fd, out, sizeof(out)) != (ssize_t)sizeof(out))
			exit(0);
	}
}

/* ---- the parent's side ---- */

int
engproc_start(struct engproc *ep, struct sk_error *err)
{
	ep->fd = -1;
	if (child_spawn(&eng_sandbox, CHILD_ENGINE, ep->starts == 0, engproc_main, &ep->pid,
	    &ep->fd, err) < 0) {
		ep->pid = 0;
		return -1;
	}
	ep->starts++;
	return 0;
}

static int
lost(struct engproc *ep, struct sk_error *err)
{
	engproc_stop(ep);
	(void)err;
	return -1;
}

/* One message out, one back into in (of size); its length, or -1 with
 * the engine ended. */
static ssize_t
exchange(struct engproc *ep, const uint8_t *out, size_t outlen, uint8_t *in, size_t size,
    struct sk_error *err)
{
	struct pollfd pfd = { .fd = ep->fd, .events = POLLIN };
	ssize_t n;
	int rc;

	if (ep->fd == -1)
		return sk_errorf(err, ENOTCONN, "engine: not running"), -1;
	if (send(ep->fd, out, outlen, MSG_NOSIGNAL) != (ssize_t)outlen)
		return sk_errorf(err, errno, "engine: gone (%s)", strerror(errno)), lost(ep, err);
	while ((rc = poll(&pfd, 1, ENGPROC_WAIT_MS)) == -1 && errno == EINTR)
		;
	if (rc <= 0)
		return sk_errorf(err, ETIMEDOUT, "engine: no answer in %d ms", ENGPROC_WAIT_MS),
		    lost(ep, err);
	while ((n = recv(ep->fd, in, size, 0)) == -1 && errno == EINTR)
		;
	if (n <= 0)
		return sk_errorf(err, EPIPE, "engine: gone (%s)",
		    n == 0 ? "hung up" : strerror(errno)), lost(ep, err);
	return n;
}

static int
refused(struct engproc *ep, struct sk_error *err)
{
	char why[sizeof(err->msg)];

	sk_strlcpy(why, err->msg, sizeof(why));
	sk_errorf(err, EINVAL, "engine: result refused: %s", why);
	return lost(ep, err);
}

int
engproc_call(struct engproc *ep, const struct eng_call *k, struct eng_result *r,
    struct sk_error *err)
{
	static uint8_t in[ENG_RESULT_LEN + 1];
	uint8_t out[ENG_CALL_LEN];
	ssize_t n;

	eng_call_encode(out, k);
	if ((n = exchange(ep, out, sizeof(out), in, sizeof(in), err)) < 0)
		return -1;
	if (eng_result_decode(in, (size_t)n, r, err) != 0)
		return refused(ep, err);
	return 0;
}

int
engproc_parse(struct engproc *ep, const struct eng_parse *p, struct eng_parsed *r,
    struct sk_error *err)
{
	uint8_t in[ENG_PARSED_LEN + 1], out[ENG_PARSE_LEN];
	ssize_t n;

	eng_parse_encode(out, p);
	if ((n = exchange(ep, out, sizeof(out), in, sizeof(in), err)) < 0)
		return -1;
	if (eng_parsed_decode(in, (size_t)n, r, err) != 0)
		return refused(ep, err);
	if (r->kind != p->kind)
		return sk_errorf(err, EINVAL, "kind %u, not %u", r->kind, p->kind), refused(ep, err);
	return 0;
}

int
engproc_reaped(struct engproc *ep, pid_t pid)
{
	if (ep->pid <= 0 || pid != ep->pid)
		return 0;
	ep->pid = 0;
	if (ep->fd != -1)
		close(ep->fd);
	ep->fd = -1;
	return 1;
}

void
engproc_stop(struct engproc *ep)
{
	if (ep->fd != -1)
		close(ep->fd);
	ep->fd = -1;
	if (ep->pid > 0) {
		kill(ep->pid, SIGKILL);
		waitpid(ep->pid, NULL, 0);
	}
	ep->pid = 0;
}

uint64_t
respawn_died(struct respawn *r, uint64_t now)
{
	uint64_t ms = ENGPROC_RESTART_MIN_MS;

	if (r->started_ms != 0 && now - r->started_ms >= ENGPROC_HEALTHY_MS)
		r->fails = 0;
	for (unsigned int i = 0; i < r->fails && ms < ENGPROC_RESTART_MAX_MS; i++)
		ms *= 2;
	if (ms > ENGPROC_RESTART_MAX_MS)
		ms = ENGPROC_RESTART_MAX_MS;
	r->fails++;
	r->due_ms = now + ms;
	return ms;
}

void
respawn_started(struct respawn *r, uint64_t now)
{
	r->started_ms = now;
	r->due_ms = 0;
}
