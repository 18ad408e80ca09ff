/*
 * The frontend's clients (frontend.c; docs/control.md "Clients at
 * once"): the local control socket's (sekishoctl as root, the sign-on
 * relay's status queries) and the work link's (the agent in the work
 * partition, untrusted). Each connection is a small non-blocking state
 * machine, so no client holds the frontend while it sends nothing or
 * reads slowly:
 *
 *	READ	a request line within CLIENTS_READ_MS of the connection
 *	ASK	parsed; waits its turn for the parent (one question at a time:
 *		the parent answers in order, imsg.h)
 *	WAIT	asked; the parent's reply comes to the frontend's loop
 *	SEND	the response, taken within CLIENTS_SEND_MS, then closed
 *
 * The local socket's service does not depend on the work link's:
 *  - each socket has its own slots (CLIENTS_LOCAL, CLIENTS_WORK): a
 *    listening socket whose slots are taken is not accepted from (its
 *    clients wait in the kernel's backlog), the other is;
 *  - a local client is always asked before a work one: at most one work
 *    question (a status, a preference) is ahead of a local client;
 *  - work connections are accepted at most CLIENTS_WORK_RATE a second
 *    (a token bucket, CLIENTS_WORK_BURST at once);
 *  - work's preferences change the uplink at most CLIENTS_PREFER_BURST
 *    times at once, then once each CLIENTS_PREFER_EVERY_MS (each change
 *    may move the tunnel and writes one log line; a request refused or
 *    changing nothing spends none): with no change left, a preference is
 *    refused with one line to the client and, in the log, one line per
 *    CLIENTS_LOG_EVERY_MS at most.
 *
 * A work client's status is narrowed before it leaves (status_for_work,
 * control.h): what DESIGN.md keeps from work is not sent.
 */
#ifndef SK_CLIENTS_H
#define SK_CLIENTS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/proto/control_wire.h"

#define CLIENTS_LOCAL		8
#define CLIENTS_WORK		4
#define CLIENTS_MAX		(CLIENTS_LOCAL + CLIENTS_WORK)
#define CLIENTS_READ_MS		500
#define CLIENTS_SEND_MS		500
#define CLIENTS_WORK_RATE	20	/* work connections a second */
#define CLIENTS_WORK_BURST	20
#define CLIENTS_PREFER_BURST	5
#define CLIENTS_PREFER_EVERY_MS	12000	/* 5 a minute, after the burst */
#define CLIENTS_LOG_EVERY_MS	60000
/*
 * The work listener's backlog (ctl_listen_work): the connections the
 * kernel holds, handshake done, while the frontend takes none (its
 * CLIENTS_WORK slots in use, or its rate spent). Past it, the kernel drops
 * the client's SYN, and TCP sends it again only after its initial
 * retransmission timeout, 1 s at the least: past what the agent's tray
 * waits for a status (1.5 s, UI_NETVM_WAIT_MS in its ui.h). The frontend
 * takes queued connections at most CLIENTS_WORK_RATE a second, so the
 * k-th one waits k / 20 s at least: 30 is as many as are taken within
 * those 1.5 s, and a deeper queue would hold clients that have left.
 * (The agent's clients, `watch` every 10 s, the tray's menu, `prefer` and
 * `uplinks`, are a handful at once; with the backlog of 4 it had, Linux
 * queued 5 and dropped the next.) A hostile work process fills it as it
 * filled 4, and delays only work's own clients; each entry is one socket
 * in the kernel.
 */
#define CLIENTS_WORK_BACKLOG	(CLIENTS_WORK_RATE * 3 / 2)
/* poll entries the loop needs: the parent, both listeners, each client */
#define CLIENTS_POLLFDS		(3 + CLIENTS_MAX)

enum client_state { CL_FREE, CL_READ, CL_ASK, CL_WAIT, CL_SEND };

struct client {
	int			fd;
	int			work;		/* from the work link: never root */
	enum client_state	st;
	uint64_t		deadline;	/* READ: the request; SEND: the answer */
	uint64_t		order;		/* arrival, for the parent's turn */
	char			in[CTL_MAX_LINE + 1];
	size_t			inlen;
	struct ctl_req		req;
	uint8_t			*out;		/* CTL_RESP_HDR_LEN + CTL_PAYLOAD_MAX */
	size_t			outlen, outoff;
	int			drain;		/* read what is left before closing */
};

struct bucket {
	uint64_t	tokens_ms;	/* tokens, in ms of refill (cap: burst * every) */
	uint64_t	last_ms;
};

/*
 * Sends a parsed request to the parent: 0, or -1 (the client is closed
 * unanswered). The reply is given back with clients_reply.
 */
typedef int (*clients_ask_fn)(const struct ctl_req *req, void *arg);

struct clients {
	int		lfd, wfd;	/* listening; wfd -1: no work socket */
	struct client	c[CLIENTS_MAX];	/* local ones first, then work's */
	int		asked;		/* the client the parent answers now, -1 */
	uint64_t	asked_ms;
	uint64_t	order;
	struct bucket	accept_b, prefer_b;
	uint64_t	refused, refused_logged_ms;	/* work's preferences */
	clients_ask_fn	ask;
	void		*arg;
	/* where each poll entry went (clients_poll) */
	int		poll_l, poll_w, poll_c[CLIENTS_MAX];
};

void clients_init(struct clients *cs, int lfd, int wfd, clients_ask_fn ask, void *arg);
/*
 * Fills pfd from index first (the caller's own entries before it) with
 * what the clients wait for; the number of entries added. *timeout_ms is
 * lowered to the nearest deadline (a request, an answer, a work token).
 */
size_t clients_poll(struct clients *cs, struct pollfd *pfd, size_t first, uint64_t now,
    int *timeout_ms);
/* After poll: accepts, reads, writes, expires, and asks the parent for
 * the next client whose turn it is. */
void clients_run(struct clients *cs, const struct pollfd *pfd, uint64_t now);
/*
 * The parent's reply (type, payload) to the question asked last: goes to
 * its client (a work client's status narrowed). A reply to no question
 * is fatal (the parent starts a fresh frontend).
 */
void clients_reply(struct clients *cs, uint8_t type, const uint8_t *payload, size_t len,
    uint64_t now);
/* When the question the parent has not answered yet was asked; 0: none
 * (the frontend gives up on a parent that does not answer, frontend.c). */
uint64_t clients_waiting_since(const struct clients *cs);
/* Open client connections (tests). */
size_t clients_open(const struct clients *cs, int work);

#endif
