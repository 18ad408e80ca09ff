/*
 * sekisho-probe: carries sekishod's beacon challenges out of one uplink
 * and the answers back. sekishod runs it for each uplink change; it is the
 * netvm's frontend for untrusted input (answers from whatever network the
 * laptop is on), so it runs apart from the daemon and enters its sandbox
 * (lib/sandbox.h) once its sockets exist: user _sekisho-probe, no
 * capability, no file system, no system call but sending, receiving and
 * writing its lines.
 *
 *	sekisho-probe -i IFNAME [-t timeout-ms]
 *
 * It decides nothing: sekishod chooses each nonce and verifies each answer
 * itself (lib/proto/probe_wire.h has the exchange, on standard input and
 * output). The probe checks the answers it passes on all the same
 * (signature under the beacon's pinned keys, nonce, id, TTL 255), so that a
 * forged answer injected first cannot hide the genuine one, and passes on
 * the first that verifies, raw, with the TTL it arrived with and its own
 * send-to-receive time (the kernel's receive timestamp).
 *
 * Every challenge leaves through IFNAME only (SO_BINDTODEVICE, so never
 * through the tunnel) with TTL 255, and an answer counts only if it
 * arrived on IFNAME with TTL 255: from the LAN itself, not routed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/proto/beacon_sign.h"
#include "lib/proto/beacon_wire.h"
#include "lib/proto/probe_wire.h"
#include "lib/sandbox.h"
#include "lib/udp.h"
#include "lib/util.h"
#include "netvm/sekisho-probe/targets.h"

#define MAX_BEACONS	16

struct target {
	struct probe_target	b;	/* id, address, keys */
	int			fd;
	int64_t			sent_ns;	/* CLOCK_REALTIME, as the kernel stamps */
	const char		*why;	/* the last reason it did not verify */
};

static struct target targets[MAX_BEACONS];
static size_t n_targets;

/* One line, one write(): on sekishod's side one message. */
static void __attribute__((format(printf, 1, 2)))
say(const char *fmt, ...)
{
	char line[PROBE_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = snprintf(line, sizeof(line), "fail line too long\n");
	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		exit(1);	/* sekishod went away */
}

static void __attribute__((noreturn))
fail(const char *why)
{
	say("fail %s\n", why);
	exit(1);
}

/* The next line of standard input without its '\n'; NULL at the end. */
static char *
next_line(void)
{
	static char buf[PROBE_LINE_MAX * 2];
	static size_t len, skip;
	char *nl;
	ssize_t n;

	memmove(buf, buf + skip, len - skip);
	len -= skip;
	skip = 0;
	while ((nl = memchr(buf, '\n', len)) == NULL) {
		if (len == sizeof(buf) - 1)
			fail("input line too long");
		n = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		len += (size_t)n;
	}
	*nl = '\0';
	skip = (size_t)(nl - buf) + 1;
	return buf;
}

static void
read_targets(void)
{
	struct sk_error err;
	char *line, msg[sizeof(err.msg) + 32];

	while ((line = next_line()) != NULL && strcmp(line, "go") != 0) {
		if (n_targets == MAX_BEACONS)
			fail("more than 16 beacons");
		if (probe_target_parse(line, &targets[n_targets].b, &err) != 0) {
			snprintf(msg, sizeof(msg), "bad beacon line: %s", err.msg);
			fail(msg);
		}
		targets[n_targets].why = "no answer";
		n_targets++;
	}
	if (line == NULL)
		exit(0);	/* sekishod gave up before it began */
	if (n_targets == 0)
		fail("no beacons to probe");
}

static void
open_socket(struct target *t, const char *ifname)
{
	char msg[128];
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ttl = BEACON_TTL, on = 1;

	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == -1 ||
	    connect(fd, (const struct sockaddr *)&t->b.addr, sizeof(t->b.addr)) == -1) {
		snprintf(msg, sizeof(msg), "socket on %s: %s", ifname, strerror(errno));
		fail(msg);
	}
	t->fd = fd;
}

/* Nothing below needs privilege: the sockets are bound and connected.
 * What is left: challenges out, answers in (with their TTL and time),
 * lines to and from sekishod; the Ed25519 check is computation. */
static void
enter_sandbox(void)
{
	static const int calls[] = { SCMP_SYS(sendto), SCMP_SYS(recvmsg) };
	static const struct sandbox sb = {
		.name = "sekisho-probe", .user = SANDBOX_USER_PROBE,
		.syscalls = calls, .n_syscalls = nitems(calls),
	};
	struct sk_error err;

	if (sandbox_enter(&sb, &err) != 0)
		fail(err.msg);
}

static int64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
send_challenge(struct target *t, const uint8_t nonce[BEACON_NONCE_LEN])
{
	struct beacon_challenge c;
	uint8_t pkt[BEACON_CHALLENGE_LEN];
	struct beacon_dgram d;

	/* What an earlier round left behind answers another nonce. */
	while (beacon_udp_recv(t->fd, &d) >= 0)
		;
	memcpy(c.nonce, nonce, sizeof(c.nonce));
	if (beacon_challenge_encode(pkt, sizeof(pkt), &c) != (int)sizeof(pkt))
		fail("cannot encode a challenge");
	t->sent_ns = realtime_ns();
	if (send(t->fd, pkt, sizeof(pkt), 0) == -1)
		t->why = "cannot send";
}

/* 1 and the answer passed on if this datagram verifies; otherwise records
 * why not. */
static int
check_answer(struct target *t, size_t index, const uint8_t nonce[BEACON_NONCE_LEN])
{
	char line[PROBE_LINE_MAX];
	struct beacon_result res;
	struct beacon_dgram d;
	int64_t rtt_ns;
	int rc;

	if (beacon_udp_recv(t->fd, &d) < 0)
		return 0;
	rtt_ns = (d.rx_ns >= 0 ? d.rx_ns : realtime_ns()) - t->sent_ns;
	if (d.ttl != BEACON_TTL) {
		t->why = "answer not from this LAN (TTL below 255)";
		return 0;
	}
	rc = beacon_verify(d.buf, d.len, nonce, &t->b.keys, time(NULL), BEACON_WINDOW, &res);
	if (rc != BEACON_OK || strcmp(res.id, t->b.id) != 0) {
		t->why = rc == BEACON_OK ? "answer from another beacon id" : beacon_strerror(rc);
		return 0;
	}
	if (rtt_ns < 0)
		rtt_ns = 0;	/* the clock stepped back: sekishod measures too */
	if (rtt_ns / 1000 > PROBE_RTT_US_MAX)
		rtt_ns = (int64_t)PROBE_RTT_US_MAX * 1000;
	if (probe_answer_format(line, sizeof(line), (unsigned int)index, d.ttl,
	    (uint32_t)(rtt_ns / 1000), d.buf) < 0)
		fail("cannot format an answer");
	say("%s", line);
	return 1;
}

/* One round: this nonce to every beacon, then answers until the first
 * that verifies or the timeout. */
static void
round_trip(const uint8_t nonce[BEACON_NONCE_LEN], unsigned int timeout_ms)
{
	struct pollfd pfd[MAX_BEACONS];
	uint64_t deadline;
	size_t i;

	for (i = 0; i < n_targets; i++) {
		send_challenge(&targets[i], nonce);
		pfd[i].fd = targets[i].fd;
		pfd[i].events = POLLIN;
	}
	deadline = now_ms() + timeout_ms;
	for (uint64_t now = now_ms(); now < deadline; now = now_ms()) {
		if (poll(pfd, n_targets, (int)(deadline - now)) <= 0)
			continue;
		for (i = 0; i < n_targets; i++)
			if ((pfd[i].revents & POLLIN) && check_answer(&targets[i], i, nonce))
				return;
	}
	say("none %s: %s\n", targets[0].b.id, targets[0].why);
}

int
main(int argc, char *argv[])
{
	static const char usage[] = "usage: sekisho-probe -i ifname [-t ms]";
	uint8_t nonce[BEACON_NONCE_LEN];
	unsigned int timeout_ms = 100;
	const char *ifname = NULL;
	char *line;
	uint64_t v;
	int ch;

	while ((ch = getopt(argc, argv, "i:t:")) != -1) {
		switch (ch) {
		case 'i':
			ifname = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 10, 5000, &v) != 0)
				fail("bad timeout");
			timeout_ms = (unsigned int)v;
			break;
		default:
			fail(usage);
		}
	}
	if (ifname == NULL || strlen(ifname) >= IF_NAMESIZE || optind != argc)
		fail(usage);
	read_targets();
	for (size_t i = 0; i < n_targets; i++)
		open_socket(&targets[i], ifname);
	enter_sandbox();
	say("ready\n");
	while ((line = next_line()) != NULL) {
		if (probe_nonce_parse(line, nonce) != 0)
			fail("expected \"nonce HEX\"");
		round_trip(nonce, timeout_ms);
	}
	return 0;
}
