/*
 * sekisho-fetch: asks the agency's bundle server whether a bundle newer
 * than the serial this laptop holds waits for it (docs/distribution.md).
 * sekishod runs it; it is the netvm's frontend for this untrusted input
 * (whatever answers at the server's address), so it runs apart from the
 * daemon and enters its sandbox (lib/sandbox.h) once its socket exists:
 * user _sekisho-fetch, no capability, no file system, no system call but
 * talking on that socket and writing standard output.
 *
 *	sekisho-fetch -s ADDRESS:PORT -k DEVICE-PUBKEY -n SERIAL [-m MARK]
 *	    [-t TIMEOUT-MS]
 *
 * The socket carries MARK (SO_MARK), which selects the mode's routing
 * table: the request takes the tunnel in remote mode, the office LAN in
 * office mode. A bundle is written to standard output (sekishod's
 * temporary file); its signature is sekishod's business. Exit status 0: a
 * newer bundle was written; 3: nothing newer; 4: nothing newer, and the
 * agency's freshness statement the server attached was written (its
 * signature, too, is sekishod's business); 1: an error, said in one line
 * on standard error; 2: usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/proto/dist_wire.h"
#include "lib/encode.h"
#include "lib/sandbox.h"
#include "lib/util.h"
#include "lib/proto/fetch_helper.h"
#include "netvm/sekisho-fetch/stream.h"

static char server[INET_ADDRSTRLEN + 6] = "?";
static uint64_t deadline;
static unsigned int timeout_ms = FETCH_HELPER_TIMEOUT_MS;

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", server);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: sekisho-fetch -s address:port -k device-pubkey -n serial "
	    "[-m mark] [-t timeout-ms]\n");
	exit(FETCH_EXIT_USAGE);
}

static int
parse_server(const char *s, struct sockaddr_in *sin)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strchr(s, ':');
	uint64_t port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host) || colon == s)
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1 ||
	    parse_u64(colon + 1, 1, 65535, &port) < 0)
		return -1;
	sin->sin_port = htons((uint16_t)port);
	return 0;
}

/* Waits for events on fd until the deadline; a timeout ends the program. */
static void
wait_for(int fd, short events, const char *what)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	uint64_t now;
	int rc;

	for (;;) {
		now = now_ms();
		if (now >= deadline)
			die(FETCH_EXIT_ERROR, "no %s within %u ms", what, timeout_ms);
		rc = poll(&pfd, 1, (int)(deadline - now));
		if (rc > 0)
			return;
		if (rc == -1 && errno != EINTR)
			die(FETCH_EXIT_ERROR, "poll: %s", strerror(errno));
	}
}

static int
connect_to(const struct sockaddr_in *sin, unsigned int mark)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd == -1)
		die(FETCH_EXIT_ERROR, "socket: %s", strerror(errno));
	/* Before connect: the route, and so the source address, follow it. */
	if (mark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) == -1)
		die(FETCH_EXIT_ERROR, "mark 0x%x: %s", mark, strerror(errno));
	if (connect(fd, (const struct sockaddr *)sin, sizeof(*sin)) == -1 &&
	    errno != EINPROGRESS)
		die(FETCH_EXIT_ERROR, "connect: %s", strerror(errno));
	return fd;
}

/* Nothing below needs privilege: the socket exists and carries its mark,
 * and standard output is already open. */
static void
enter_sandbox(void)
{
	static const int calls[] = { SCMP_SYS(getsockopt), SCMP_SYS(sendto),
	    SCMP_SYS(recvfrom) };
	static const struct sandbox sb = {
		.name = "sekisho-fetch", .user = SANDBOX_USER_FETCH,
		.syscalls = calls, .n_syscalls = nitems(calls),
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) != 0)
		die(FETCH_EXIT_ERROR, "%s", err.msg);
}

static void
connected(int fd)
{
	socklen_t sl;
	int e;

	wait_for(fd, POLLOUT, "connection");
	sl = sizeof(e);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == -1)
		e = errno;
	if (e != 0)
		die(FETCH_EXIT_ERROR, "connect: %s", strerror(e));
}

static void
send_all(int fd, const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		wait_for(fd, POLLOUT, "room to send the request");
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			die(FETCH_EXIT_ERROR, "send: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

/* What one receive brings, at most n bytes; 0 at the end of the stream. */
static size_t
recv_some(int fd, uint8_t *p, size_t n, const char *what)
{
	ssize_t r;

	for (;;) {
		wait_for(fd, POLLIN, what);
		if ((r = recv(fd, p, n, 0)) >= 0)
			return (size_t)r;
		if (errno != EAGAIN && errno != EINTR)
			die(FETCH_EXIT_ERROR, "receive: %s", strerror(errno));
	}
}

static void
write_all(const uint8_t *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(STDOUT_FILENO, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			die(FETCH_EXIT_ERROR, "writing the bundle: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
}

/* The response, as stream.c decides it: a bundle is written to standard
 * output in pieces as it comes (memory stays small whatever the length, at
 * most DIST_BODY_MAX), and the server must close right after it. */
static int
receive_response(int fd)
{
	static uint8_t chunk[65536];
	struct fetch_stream s;
	enum fetch_verdict v;
	const uint8_t *body;
	size_t want, got, body_len;

	fetch_stream_init(&s);
	do {
		want = fetch_stream_want(&s);
		got = recv_some(fd, chunk, want < sizeof(chunk) ? want : sizeof(chunk),
		    fetch_stream_what(&s));
		v = fetch_stream_feed(&s, chunk, got, &body, &body_len);
		write_all(body, body_len);
	} while (v == FETCH_MORE);
	if (v == FETCH_FAILED)
		die(FETCH_EXIT_ERROR, "%s", s.err.msg);
	if (v == FETCH_FRESH)
		return FETCH_EXIT_FRESH;
	return v == FETCH_NEWER ? FETCH_EXIT_NEWER : FETCH_EXIT_NONE;
}

int
main(int argc, char *argv[])
{
	struct dist_request req = { .version = DIST_VERSION, .serial = UINT64_MAX };
	struct sockaddr_in sin;
	struct stat st;
	uint8_t buf[DIST_REQ_LEN];
	unsigned int mark = 0;
	int ch, fd, have_key = 0;
	uint64_t v;

	memset(&sin, 0, sizeof(sin));
	while ((ch = getopt(argc, argv, "k:m:n:s:t:")) != -1) {
		switch (ch) {
		case 'k':
			if (key_from_b64(req.device, optarg) != 0 || key_is_zero(req.device))
				usage();
			have_key = 1;
			break;
		case 'm':
			if (parse_u64(optarg, 0, UINT32_MAX, &v) < 0)
				usage();
			mark = (unsigned int)v;
			break;
		case 'n':
			if (parse_u64(optarg, 0, DIST_SERIAL_MAX, &req.serial) < 0)
				usage();
			break;
		case 's':
			if (parse_server(optarg, &sin) < 0)
				usage();
			sk_strlcpy(server, optarg, sizeof(server));
			break;
		case 't':
			if (parse_u64(optarg, 100, 600000, &v) < 0)
				usage();
			timeout_ms = (unsigned int)v;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || !have_key || req.serial == UINT64_MAX || sin.sin_family == 0)
		usage();
	if (fstat(STDOUT_FILENO, &st) == -1 || !S_ISREG(st.st_mode))
		die(FETCH_EXIT_ERROR, "standard output must be a regular file");
	deadline = now_ms() + timeout_ms;
	fd = connect_to(&sin, mark);
	enter_sandbox();
	connected(fd);
	dist_request_encode(buf, &req);
	send_all(fd, buf, sizeof(buf));
	return receive_response(fd);
}
