/*
 * sekisho-dnscheck: tells sekishod, round after round, which of the mode's
 * resolvers answer (docs/policy.md, "DNS failover"). It reads what
 * resolvers send back, so it runs apart from the daemon and enters its
 * sandbox (lib/sandbox.h) once its socket exists: user _sekisho-dns, no
 * capability, no file system, no system call but sending, receiving and
 * writing its lines. It reads a DNS header and the echoed question only
 * (lib/proto/dns_wire.h), never a record.
 *
 *	sekisho-dnscheck [-i interval-ms] [-t timeout-ms] RESOLVER...
 *
 * Every interval it sends each resolver a fresh query (a random id) for
 * the root's NS records and waits up to timeout for the answers, then
 * writes one line: "dns " and, per resolver in the order given, '1' if it
 * answered (any RCODE but SERVFAIL) or '0'. Its packets are the netvm's
 * own: the mode's mark routes them through the tunnel or onto the office
 * LAN, as work's DNS goes. It exits when sekishod stops reading.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/proto/dns_wire.h"
#include "lib/sandbox.h"
#include "lib/util.h"

#define MAX_RESOLVERS	8	/* POLICY_MAX_RESOLVERS */

static struct {
	struct in_addr	addr;
	uint16_t	id;
	char		verdict;
} res[MAX_RESOLVERS];
static size_t n_res;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "sekisho-dnscheck: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static void
enter_sandbox(void)
{
	static const int calls[] = { SCMP_SYS(sendto), SCMP_SYS(recvfrom) };
	static const struct sandbox sb = {
		.name = "sekisho-dnscheck", .user = SANDBOX_USER_DNS,
		.syscalls = calls, .n_syscalls = nitems(calls),
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) != 0)
		die("%s", err.msg);
}

static void
send_queries(int fd)
{
	uint8_t q[DNS_QUERY_LEN];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT) };

	for (size_t i = 0; i < n_res; i++) {
		if (getrandom(&res[i].id, sizeof(res[i].id), 0) != (ssize_t)sizeof(res[i].id))
			die("no randomness");
		res[i].verdict = '0';
		dns_query_encode(q, res[i].id);
		sin.sin_addr = res[i].addr;
		/* A resolver without a route is one that does not answer. */
		(void)sendto(fd, q, sizeof(q), 0, (struct sockaddr *)&sin, sizeof(sin));
	}
}

/* One datagram: from a resolver's address and port 53, answering the
 * query it was sent. Anything else is ignored. */
static void
take_answer(int fd)
{
	uint8_t buf[512];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	if (n < 0 || fl != sizeof(from) || from.sin_family != AF_INET ||
	    from.sin_port != htons(DNS_PORT))
		return;
	for (size_t i = 0; i < n_res; i++) {
		if (res[i].addr.s_addr != from.sin_addr.s_addr || res[i].verdict != '0')
			continue;
		switch (dns_answer_check(buf, (size_t)n, res[i].id)) {
		case DNS_ALIVE:
			res[i].verdict = '1';
			break;
		case DNS_FAILING:
			res[i].verdict = 'f';	/* answered, but failing: '0' */
			break;
		case DNS_NOT_OURS:
			break;
		}
	}
}

static void
round_once(int fd, unsigned int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t deadline;
	char line[4 + MAX_RESOLVERS + 2];

	send_queries(fd);
	deadline = now_ms() + timeout_ms;
	for (uint64_t now = now_ms(); now < deadline; now = now_ms()) {
		size_t left = 0;

		for (size_t i = 0; i < n_res; i++)
			left += res[i].verdict == '0';
		if (left == 0)
			break;
		if (poll(&pfd, 1, (int)(deadline - now)) > 0)
			take_answer(fd);
	}
	memcpy(line, "dns ", 4);
	for (size_t i = 0; i < n_res; i++)
		line[4 + i] = res[i].verdict == '1' ? '1' : '0';
	line[4 + n_res] = '\n';
	if (write(STDOUT_FILENO, line, 5 + n_res) != (ssize_t)(5 + n_res))
		exit(0);	/* sekishod is gone */
}

int
main(int argc, char *argv[])
{
	unsigned int interval_ms = 2000, timeout_ms = 1000;
	uint64_t v, t0;
	int ch, fd;

	while ((ch = getopt(argc, argv, "i:t:")) != -1) {
		switch (ch) {
		case 'i':
			if (parse_u64(optarg, 100, 600000, &v) != 0)
				die("bad interval: %s", optarg);
			interval_ms = (unsigned int)v;
			break;
		case 't':
			if (parse_u64(optarg, 10, 60000, &v) != 0)
				die("bad timeout: %s", optarg);
			timeout_ms = (unsigned int)v;
			break;
		default:
			die("usage: sekisho-dnscheck [-i ms] [-t ms] resolver...");
		}
	}
	if (timeout_ms > interval_ms)
		die("the timeout (%u ms) exceeds the interval (%u ms)", timeout_ms, interval_ms);
	if (optind >= argc || argc - optind > MAX_RESOLVERS)
		die("usage: sekisho-dnscheck [-i ms] [-t ms] resolver... (1 to %d)",
		    MAX_RESOLVERS);
	for (int i = optind; i < argc; i++, n_res++)
		if (inet_pton(AF_INET, argv[i], &res[n_res].addr) != 1)
			die("bad resolver: %s", argv[i]);
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		die("socket: %s", strerror(errno));
	enter_sandbox();
	for (;;) {
		t0 = now_ms();
		round_once(fd, timeout_ms);
		v = now_ms() - t0;
		if (v < interval_ms) {
			struct timespec ts = { (time_t)((interval_ms - v) / 1000),
			    (long)((interval_ms - v) % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
}
