/* The frontend's clients, non-blocking, fair between the local socket and
 * the work link's (clients.h). */
#include "netvm/sekishod/clients.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "netvm/sekishod/control.h"

#define OUT_CAP	(CTL_RESP_HDR_LEN + CTL_PAYLOAD_MAX)

static uint8_t outbufs[CLIENTS_MAX][OUT_CAP];

static const char e_unknown[] =
    "error: unknown request (try \"status\", \"status json\", \"reload\" or "
    "\"prefer UPLINK|auto\")\n";
static const char e_notroot[] = "error: reload: only root may ask for it\n";
static const char e_status[] = "error: the status does not fit the protocol\n";

/* ---- token buckets ---- */

static void
bucket_fill(struct bucket *b, uint64_t now, unsigned burst, uint64_t every_ms)
{
	uint64_t cap = (uint64_t)burst * every_ms;

	if (now > b->last_ms)
		b->tokens_ms += now - b->last_ms;
	if (b->tokens_ms > cap)
		b->tokens_ms = cap;
	b->last_ms = now;
}

/* 1 and one token taken, or 0: none now. */
static int
bucket_take(struct bucket *b, uint64_t now, unsigned burst, uint64_t every_ms)
{
	bucket_fill(b, now, burst, every_ms);
	if (b->tokens_ms < every_ms)
		return 0;
	b->tokens_ms -= every_ms;
	return 1;
}

/* A token taken and not used, given back. */
static void
bucket_give(struct bucket *b, unsigned burst, uint64_t every_ms)
{
	b->tokens_ms += every_ms;
	if (b->tokens_ms > (uint64_t)burst * every_ms)
		b->tokens_ms = (uint64_t)burst * every_ms;
}

/* ms until the next token (0: one is there). */
static uint64_t
bucket_wait(const struct bucket *b, uint64_t now, uint64_t every_ms)
{
	uint64_t have = b->tokens_ms + (now > b->last_ms ? now - b->last_ms : 0);

	return have >= every_ms ? 0 : every_ms - have;
}

#define ACCEPT_EVERY_MS	(1000 / CLIENTS_WORK_RATE)

/* ---- clients ---- */

void
clients_init(struct clients *cs, int lfd, int wfd, clients_ask_fn ask, void *arg)
{
	memset(cs, 0, sizeof(*cs));
	cs->lfd = lfd;
	cs->wfd = wfd;
	cs->asked = -1;
	cs->ask = ask;
	cs->arg = arg;
	for (size_t i = 0; i < CLIENTS_MAX; i++) {
		cs->c[i].fd = -1;
		cs->c[i].work = i >= CLIENTS_LOCAL;
		cs->c[i].out = outbufs[i];
	}
	cs->accept_b.tokens_ms = (uint64_t)CLIENTS_WORK_BURST * ACCEPT_EVERY_MS;
	cs->prefer_b.tokens_ms = (uint64_t)CLIENTS_PREFER_BURST * CLIENTS_PREFER_EVERY_MS;
	cs->accept_b.last_ms = cs->prefer_b.last_ms = now_ms();
}

static void
client_close(struct clients *cs, struct client *c)
{
	/* A client asked is not polled until its reply: never closed
	 * before it. Were it, the reply would find no question and the
	 * frontend would start afresh (clients_reply). */
	if (cs->asked == (int)(c - cs->c))
		cs->asked = -1;
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->st = CL_FREE;
	c->inlen = c->outlen = c->outoff = 0;
	c->drain = 0;
}

static struct client *
free_slot(struct clients *cs, int work)
{
	size_t lo = work ? CLIENTS_LOCAL : 0, hi = work ? CLIENTS_MAX : CLIENTS_LOCAL;

	for (size_t i = lo; i < hi; i++)
		if (cs->c[i].st == CL_FREE)
			return &cs->c[i];
	return NULL;
}

size_t
clients_open(const struct clients *cs, int work)
{
	size_t n = 0;

	for (size_t i = 0; i < CLIENTS_MAX; i++)
		n += cs->c[i].st != CL_FREE && cs->c[i].work == work;
	return n;
}

/* The response, header and payload, queued for sending. */
static void
respond(struct client *c, uint8_t type, const void *payload, size_t len, uint64_t now)
{
	if (len > CTL_PAYLOAD_MAX)
		len = 0;
	ctl_header_encode(c->out, type, (uint32_t)len);
	memcpy(c->out + CTL_RESP_HDR_LEN, payload, len);
	c->outlen = CTL_RESP_HDR_LEN + len;
	c->outoff = 0;
	c->st = CL_SEND;
	c->deadline = now + CLIENTS_SEND_MS;
}

/* The client's credentials, from the kernel: root (uid 0) or not. */
static int
peer_is_root(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 || len != sizeof(cr))
		return 0;
	return cr.uid == 0;
}

/* Work's preferences over the limit (no change left: one is held for
 * each preference asked, and given back unless the parent takes it,
 * clients_reply): refused, logged once a while. */
static int
prefer_limited(struct clients *cs, uint64_t now)
{
	if (bucket_take(&cs->prefer_b, now, CLIENTS_PREFER_BURST, CLIENTS_PREFER_EVERY_MS))
		return 0;
	cs->refused++;
	if (cs->refused_logged_ms == 0 || now - cs->refused_logged_ms >= CLIENTS_LOG_EVERY_MS) {
		log_warnx("frontend: the work partition asks for more uplink preferences than "
		    "%u a minute: refused (%llu so far; this line once a minute at most)",
		    60000 / CLIENTS_PREFER_EVERY_MS, (unsigned long long)cs->refused);
		cs->refused_logged_ms = now;
	}
	return 1;
}

/* A whole request line is in: parsed, checked, queued for the parent. */
static void
request_in(struct clients *cs, struct client *c, uint64_t now)
{
	static const char limited[] = "refused: too many uplink preferences from the work "
	    "partition; try again in a minute; nothing changed\n";

	if (ctl_parse_req(c->in, c->inlen, &c->req) != 0) {
		c->drain = 1;
		respond(c, CTL_T_ERROR, e_unknown, sizeof(e_unknown) - 1, now);
		return;
	}
	/* The socket's group may hold the sign-on relay, which asks for the
	 * mode and uplink of each request: a client that is not root may ask
	 * for the status and nothing else. */
	if (c->req.cmd == CTL_RELOAD && (c->work || !peer_is_root(c->fd))) {
		respond(c, CTL_T_ERROR, e_notroot, sizeof(e_notroot) - 1, now);
		return;
	}
	if (c->work && c->req.cmd == CTL_PREFER && prefer_limited(cs, now)) {
		respond(c, CTL_T_REFUSED, limited, sizeof(limited) - 1, now);
		return;
	}
	c->st = CL_ASK;
	c->order = ++cs->order;
}

static void
client_read(struct clients *cs, struct client *c, uint64_t now)
{
	ssize_t n;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(cs, c);
		return;
	}
	c->inlen += (size_t)n;
	if (memchr(c->in, '\n', c->inlen) != NULL || c->inlen == sizeof(c->in))
		request_in(cs, c, now);
}

/* Before a close with the client's bytes unread (a request that was too
 * long): what is already here is read and dropped, a bounded amount, so
 * that TCP ends with the answer and a FIN rather than a reset that could
 * discard the answer on its way (the work link's clients). */
static void
drain(int fd)
{
	char junk[512];

	for (int i = 0; i < 8 && read(fd, junk, sizeof(junk)) > 0; i++)
		;
}

static void
client_write(struct clients *cs, struct client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			client_close(cs, c);
			return;
		}
		c->outoff += (size_t)n;
	}
	if (c->drain)
		drain(c->fd);
	client_close(cs, c);
}

static void
accept_one(struct clients *cs, int lfd, int work, uint64_t now)
{
	struct client *c = free_slot(cs, work);
	int fd;

	if (c == NULL)
		return;
	if (work && !bucket_take(&cs->accept_b, now, CLIENTS_WORK_BURST, ACCEPT_EVERY_MS))
		return;
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1)
		return;
	c->fd = fd;
	c->st = CL_READ;
	c->inlen = c->outlen = c->outoff = 0;
	c->drain = 0;
	c->deadline = now + CLIENTS_READ_MS;
}

/* The parent's turn: a local client before any work one, then arrival. */
static void
ask_next(struct clients *cs, uint64_t now)
{
	struct client *best = NULL;

	if (cs->asked != -1)
		return;
	for (size_t i = 0; i < CLIENTS_MAX; i++) {
		struct client *c = &cs->c[i];

		if (c->st != CL_ASK)
			continue;
		if (best == NULL || (best->work && !c->work) ||
		    (best->work == c->work && c->order < best->order))
			best = c;
	}
	if (best == NULL)
		return;
	if (cs->ask(&best->req, cs->arg) != 0) {
		client_close(cs, best);
		return;
	}
	best->st = CL_WAIT;
	cs->asked = (int)(best - cs->c);
	cs->asked_ms = now;
}

size_t
clients_poll(struct clients *cs, struct pollfd *pfd, size_t first, uint64_t now,
    int *timeout_ms)
{
	size_t n = first;
	uint64_t soonest = UINT64_MAX;

	cs->poll_l = cs->poll_w = -1;
	if (free_slot(cs, 0) != NULL) {
		cs->poll_l = (int)n;
		pfd[n++] = (struct pollfd){ .fd = cs->lfd, .events = POLLIN };
	}
	if (cs->wfd != -1 && free_slot(cs, 1) != NULL) {
		uint64_t w = bucket_wait(&cs->accept_b, now, ACCEPT_EVERY_MS);

		if (w == 0) {
			cs->poll_w = (int)n;
			pfd[n++] = (struct pollfd){ .fd = cs->wfd, .events = POLLIN };
		} else if (now + w < soonest)
			soonest = now + w;
	}
	for (size_t i = 0; i < CLIENTS_MAX; i++) {
		struct client *c = &cs->c[i];

		cs->poll_c[i] = -1;
		if (c->st != CL_READ && c->st != CL_SEND)
			continue;
		cs->poll_c[i] = (int)n;
		pfd[n++] = (struct pollfd){ .fd = c->fd,
		    .events = c->st == CL_READ ? POLLIN : POLLOUT };
		if (c->deadline < soonest)
			soonest = c->deadline;
	}
	if (soonest != UINT64_MAX) {
		uint64_t wait = soonest > now ? soonest - now : 0;

		if (*timeout_ms < 0 || wait < (uint64_t)*timeout_ms)
			*timeout_ms = (int)(wait > 60000 ? 60000 : wait);
	}
	return n - first;
}

void
clients_run(struct clients *cs, const struct pollfd *pfd, uint64_t now)
{
	for (size_t i = 0; i < CLIENTS_MAX; i++) {
		struct client *c = &cs->c[i];
		int k = cs->poll_c[i];

		if (k >= 0 && (pfd[k].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR))) {
			if (c->st == CL_READ)
				client_read(cs, c, now);
			else if (c->st == CL_SEND)
				client_write(cs, c);
		}
		/* a client that sends nothing, or reads nothing, in time */
		if ((c->st == CL_READ || c->st == CL_SEND) && now >= c->deadline) {
			if (c->st == CL_READ) {
				/* said as for a request not understood, at once */
				respond(c, CTL_T_ERROR, e_unknown, sizeof(e_unknown) - 1, now);
				client_write(cs, c);
				if (c->st != CL_FREE)
					client_close(cs, c);
			} else
				client_close(cs, c);
		}
	}
	/* local first: its clients are asked before any of work's */
	if (cs->poll_l >= 0 && (pfd[cs->poll_l].revents & POLLIN))
		for (int i = 0; i < CLIENTS_LOCAL && free_slot(cs, 0) != NULL; i++) {
			size_t before = clients_open(cs, 0);

			accept_one(cs, cs->lfd, 0, now);
			if (clients_open(cs, 0) == before)
				break;
		}
	if (cs->poll_w >= 0 && (pfd[cs->poll_w].revents & POLLIN))
		accept_one(cs, cs->wfd, 1, now);
	ask_next(cs, now);
}

void
clients_reply(struct clients *cs, uint8_t type, const uint8_t *payload, size_t len,
    uint64_t now)
{
	static struct ctl_status st;
	static uint8_t narrowed[CTL_PAYLOAD_MAX];
	struct client *c;
	struct sk_error err;
	long n;

	if (cs->asked == -1)
		fatalx("frontend: a reply from the parent to no question");
	c = &cs->c[cs->asked];
	cs->asked = -1;
	/* a preference from work that changed nothing gives back the change
	 * it held (a refusal moves nothing and logs nothing) */
	if (c->work && c->req.cmd == CTL_PREFER && type != CTL_T_ACCEPTED)
		bucket_give(&cs->prefer_b, CLIENTS_PREFER_BURST, CLIENTS_PREFER_EVERY_MS);
	if (c->work && type == CTL_T_STATUS) {
		/* what the work partition may see, and nothing else */
		if (ctl_status_decode(payload, len, &st, &err) != 0 ||
		    (status_for_work(&st), (n = ctl_status_encode(narrowed, sizeof(narrowed),
		    &st))) < 0) {
			log_warnx("frontend: the status for the work partition: %s",
			    "does not encode");
			respond(c, CTL_T_ERROR, e_status, sizeof(e_status) - 1, now);
		} else
			respond(c, type, narrowed, (size_t)n, now);
	} else
		respond(c, type, payload, len, now);
	client_write(cs, c);
	ask_next(cs, now);
}

uint64_t
clients_waiting_since(const struct clients *cs)
{
	return cs->asked == -1 ? 0 : cs->asked_ms;
}
