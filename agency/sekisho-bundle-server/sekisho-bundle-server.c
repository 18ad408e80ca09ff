/*
 * sekisho-bundle-server: serves signed policy bundles to laptops over TCP
 * (docs/distribution.md). A laptop sends its device key and the serial it
 * holds; the server reads DIR/NAME for that key afresh and answers with the
 * bundle when its serial is higher. One poll loop, non-blocking sockets, a
 * deadline per connection, a cap on connections and on the bytes held for
 * answers; once the socket is bound, the sandbox (lib/sandbox.h): user
 * _sekisho-bundle, no capability, nothing of the file system but DIR, to
 * read.
 *
 *	sekisho-bundle-server [-dnv] -r DIR [-l addr[:port]] [-c max-conns]
 *	    [-p per-source] [-t timeout-ms] [-m budget-mib] [-u user]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agency/sekisho-bundle-server/dist_serve.h"
#include "lib/proto/dist_wire.h"
#include "lib/log.h"
#include "lib/proc.h"
#include "lib/sandbox.h"
#include "lib/util.h"

#define PROCNAME	"sekisho-bundle-server"
#define MAX_CONNS	1024	/* the most -c allows */
#define PEER_LEN	(INET_ADDRSTRLEN + 6)

struct conn {
	int		 fd;
	struct in_addr	 src;		/* the client's address: -p counts by it */
	char		 peer[PEER_LEN];
	uint8_t		 req[DIST_REQ_LEN + 1];	/* one more: "too long" */
	size_t		 got;
	struct dist_answer ans;		/* once the request is decided */
	size_t		 sent;
	char		 who[160];	/* "device KEY serial N" */
	uint64_t	 deadline;
};

struct server {
	const char		*dir, *listen, *user;
	struct sockaddr_in	 addr;
	uint64_t		 max_conns, per_source, timeout_ms, budget;
	int			 foreground, check, verbose;
	int			 lfd, sig_fd, quit;
	struct conn		*conns;
	size_t			 n_conns;
	size_t			 in_flight;	/* bytes of answers held */
	/* Refusals over -p are logged at most once a second, with the
	 * number left unlogged since the last line. */
	uint64_t		 refused_logged_ms;
	unsigned long		 refused_unlogged;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: " PROCNAME " [-dnv] -r dir [-l addr[:port]] "
	    "[-c max-conns] [-p per-source]\n\t[-t timeout-ms] [-m budget-mib] [-u user]\n");
	exit(1);
}

static void
opt_u64(const char *opt, const char *arg, uint64_t min, uint64_t max, uint64_t *v)
{
	if (parse_u64(arg, min, max, v) < 0)
		fatalx("%s %s: must be a number from %llu to %llu", opt, arg,
		    (unsigned long long)min, (unsigned long long)max);
}

/* A.B.C.D or A.B.C.D:PORT; IPv4, as every address in a policy. */
static int
parse_listen(const char *s, struct sockaddr_in *sin)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strchr(s, ':');
	size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);
	uint64_t port = DIST_PORT;

	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    (colon != NULL && parse_u64(colon + 1, 1, 65535, &port) < 0))
		return -1;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

static void
parse_args(struct server *s, int argc, char **argv)
{
	uint64_t mib = 64;
	int ch;

	while ((ch = getopt(argc, argv, "c:dl:m:np:r:t:u:v")) != -1) {
		switch (ch) {
		case 'c': opt_u64("-c", optarg, 1, MAX_CONNS, &s->max_conns); break;
		case 'd': s->foreground = 1; break;
		case 'l': s->listen = optarg; break;
		case 'm': opt_u64("-m", optarg, 5, 4096, &mib); break;
		case 'n': s->check = 1; break;
		case 'p': opt_u64("-p", optarg, 1, MAX_CONNS, &s->per_source); break;
		case 'r': s->dir = optarg; break;
		case 't': opt_u64("-t", optarg, 100, 600000, &s->timeout_ms); break;
		case 'u': s->user = optarg; break;
		case 'v': s->verbose++; break;
		default: usage();
		}
	}
	if (optind != argc || s->dir == NULL)
		usage();
	if (parse_listen(s->listen, &s->addr) < 0)
		fatalx("-l %s: must be an IPv4 address, optionally with :PORT (1 to 65535)",
		    s->listen);
	if (s->per_source > s->max_conns)
		s->per_source = s->max_conns;
	s->budget = mib << 20;
}

static int
listen_on(const struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;
	char a[INET_ADDRSTRLEN];

	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1 ||
	    listen(fd, 128) == -1)
		fatal("listen on %s:%u", inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a)),
		    ntohs(sin->sin_port));
	return fd;
}

static void
conn_close(struct server *s, size_t i)
{
	struct conn *c = &s->conns[i];

	s->in_flight -= c->ans.len;
	dist_answer_free(&c->ans);
	close(c->fd);
	s->conns[i] = s->conns[--s->n_conns];
}

/* The connections held for src. */
static size_t
from_source(const struct server *s, struct in_addr src)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_conns; i++)
		n += s->conns[i].src.s_addr == src.s_addr;
	return n;
}

/* A connection over -p for its source is closed at once: one client
 * cannot hold the slots every laptop shares. One line a second at most,
 * so that a flood cannot flood the log either. */
static void
refuse_source(struct server *s, int fd, const char *peer)
{
	uint64_t now = now_ms();

	close(fd);
	if (s->refused_logged_ms != 0 && now - s->refused_logged_ms < 1000) {
		s->refused_unlogged++;
		return;
	}
	if (s->refused_unlogged > 0)
		log_warnx("%s: refused: %llu connections from this address already "
		    "(-p %llu); %lu more refused since the last line", peer,
		    (unsigned long long)s->per_source, (unsigned long long)s->per_source,
		    s->refused_unlogged);
	else
		log_warnx("%s: refused: %llu connections from this address already (-p %llu)",
		    peer, (unsigned long long)s->per_source,
		    (unsigned long long)s->per_source);
	s->refused_logged_ms = now;
	s->refused_unlogged = 0;
}

static void
accept_all(struct server *s)
{
	struct sockaddr_in from;
	socklen_t fl;
	char a[INET_ADDRSTRLEN], peer[PEER_LEN];
	struct conn *c;
	int fd;

	while (s->n_conns < s->max_conns) {
		fl = sizeof(from);
		fd = accept4(s->lfd, (struct sockaddr *)&from, &fl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("accept");
			return;
		}
		snprintf(peer, sizeof(peer), "%s:%u",
		    inet_ntop(AF_INET, &from.sin_addr, a, sizeof(a)), ntohs(from.sin_port));
		if (from_source(s, from.sin_addr) >= s->per_source) {
			refuse_source(s, fd, peer);
			continue;
		}
		c = &s->conns[s->n_conns++];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->src = from.sin_addr;
		memcpy(c->peer, peer, sizeof(peer));
		c->deadline = now_ms() + s->timeout_ms;
	}
}

/* The request is complete: decide, and start answering (or close). */
static int
decide(struct server *s, struct conn *c)
{
	char name[DIST_NAME_LEN];
	struct dist_request req;
	struct sk_error err;
	size_t left;

	if (dist_request_decode(c->req, c->got, &req, &err) < 0) {
		log_info("%s: bad request: %s", c->peer, err.msg);
		return -1;
	}
	dist_device_name(name, req.device);
	snprintf(c->who, sizeof(c->who), "device %s serial %llu", name,
	    (unsigned long long)req.serial);
	left = s->budget > s->in_flight + DIST_RESP_HDR_LEN ?
	    s->budget - s->in_flight - DIST_RESP_HDR_LEN : 0;
	if (dist_serve(s->dir, &req, left, &c->ans) != DIST_SEND) {
		log_warnx("%s %s: not answered: %s", c->peer, c->who, c->ans.line);
		return -1;
	}
	s->in_flight += c->ans.len;
	return 0;
}

/* 0 while the connection goes on, -1 when it is done (closed by caller). */
static int
on_readable(struct server *s, struct conn *c)
{
	ssize_t n = recv(c->fd, c->req + c->got, sizeof(c->req) - c->got, 0);

	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n == -1) {
		log_info("%s: recv: %s", c->peer, strerror(errno));
		return -1;
	}
	if (n == 0) {	/* closed early: decoding names the truncation */
		log_info("%s: bad request: truncated request: %zu of %u bytes", c->peer,
		    c->got, DIST_REQ_LEN);
		return -1;
	}
	c->got += (size_t)n;
	if (c->got < DIST_REQ_LEN)
		return 0;
	return decide(s, c);
}

static int
on_writable(struct conn *c)
{
	ssize_t n = send(c->fd, c->ans.out + c->sent, c->ans.len - c->sent, MSG_NOSIGNAL);

	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		log_info("%s %s: %s after %zu of %zu bytes", c->peer, c->who,
		    strerror(errno), c->sent, c->ans.len);
		return -1;
	}
	c->sent += (size_t)n;
	if (c->sent < c->ans.len)
		return 0;
	log_info("%s %s: %s", c->peer, c->who, c->ans.line);
	shutdown(c->fd, SHUT_WR);
	return -1;
}

static void
expire(struct server *s, uint64_t now)
{
	for (size_t i = 0; i < s->n_conns; ) {
		struct conn *c = &s->conns[i];

		if (c->deadline > now) {
			i++;
			continue;
		}
		if (c->ans.out == NULL)
			log_info("%s: no complete request in %llu ms (%zu of %u bytes)",
			    c->peer, (unsigned long long)s->timeout_ms, c->got, DIST_REQ_LEN);
		else
			log_info("%s %s: answer not taken in %llu ms (%zu of %zu bytes)",
			    c->peer, c->who, (unsigned long long)s->timeout_ms, c->sent,
			    c->ans.len);
		conn_close(s, i);
	}
}

static int
next_timeout(const struct server *s, uint64_t now)
{
	uint64_t next = 0;

	for (size_t i = 0; i < s->n_conns; i++)
		if (next == 0 || s->conns[i].deadline < next)
			next = s->conns[i].deadline;
	if (next == 0)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

static void
on_signal(struct server *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			log_info("SIGHUP ignored: the directory is read for every request");
		else
			s->quit = 1;
	}
}

/* Bound and daemonized: from here on, connections, reading DIR's files,
 * signals from the signalfd, and the log. */
static void
enter_sandbox(const struct server *s)
{
	static const int calls[] = { SCMP_SYS(accept4), SCMP_SYS(recvfrom),
	    SCMP_SYS(sendto), SCMP_SYS(shutdown), SCMP_SYS(access),
	    SCMP_SYS(faccessat), SCMP_SYS(faccessat2) };
	const struct sandbox_path dir = { s->dir, SANDBOX_READ };
	struct sandbox sb = {
		.name = PROCNAME, .user = s->user, .syscalls = calls,
		.n_syscalls = nitems(calls), .paths = &dir, .n_paths = 1,
		.flags = SANDBOX_SYSLOG,
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) < 0)
		fatalx("%s", err.msg);
}

static void
loop(struct server *s)
{
	struct pollfd *pfd = calloc(2 + s->max_conns, sizeof(*pfd));
	size_t n;

	if (pfd == NULL)
		fatal("calloc");
	while (!s->quit) {
		pfd[0] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
		/* At the cap, new connections wait in the kernel's backlog. */
		pfd[1] = (struct pollfd){ .fd = s->n_conns < s->max_conns ? s->lfd : -1,
		    .events = POLLIN };
		n = s->n_conns;
		for (size_t i = 0; i < n; i++)
			pfd[2 + i] = (struct pollfd){ .fd = s->conns[i].fd,
			    .events = s->conns[i].ans.out != NULL ? POLLOUT : POLLIN };
		if (poll(pfd, 2 + n, next_timeout(s, now_ms())) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & POLLIN)
			on_signal(s);
		/* Backwards: closing moves the last connection into slot i. */
		for (size_t i = n; i-- > 0; ) {
			struct conn *c = &s->conns[i];
			short ev = pfd[2 + i].revents;
			int rc = 0;

			if (ev == 0)
				continue;
			if (c->ans.out == NULL)
				rc = on_readable(s, c);
			else if (ev & (POLLOUT | POLLERR | POLLHUP))
				rc = on_writable(c);
			if (rc < 0)
				conn_close(s, i);
		}
		if (pfd[1].revents & POLLIN)
			accept_all(s);
		expire(s, now_ms());
	}
	free(pfd);
}

int
main(int argc, char **argv)
{
	static struct server s = {
		.listen = "0.0.0.0", .user = SANDBOX_USER_BUNDLE, .max_conns = 64,
		.per_source = 4, .timeout_ms = 10000,
	};
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	char a[INET_ADDRSTRLEN];

	log_init(PROCNAME, 1, LOG_LEVEL_INFO);
	parse_args(&s, argc, argv);
	log_setverbose(LOG_LEVEL_INFO + s.verbose);
	if (access(s.dir, R_OK | X_OK) == -1)
		fatal("-r %s", s.dir);
	if (s.check) {
		fprintf(stderr, "configuration OK\n");
		return 0;
	}
	if ((s.conns = calloc(s.max_conns, sizeof(*s.conns))) == NULL)
		fatal("calloc");
	s.lfd = listen_on(&s.addr);
	if ((s.sig_fd = signals_fd(sigs, nitems(sigs))) == -1)
		fatal("signals");
	if (!s.foreground) {
		log_init(PROCNAME, 0, LOG_LEVEL_INFO + s.verbose);
		if (daemon(0, 0) == -1)
			fatal("daemon");
	}
	enter_sandbox(&s);
	if (access(s.dir, R_OK | X_OK) == -1)
		fatal("-r %s: as %s", s.dir, s.user);
	log_info("serving bundles from %s on %s:%u", s.dir,
	    inet_ntop(AF_INET, &s.addr.sin_addr, a, sizeof(a)), ntohs(s.addr.sin_port));
	loop(&s);
	log_info("exiting on signal");
	return 0;
}
