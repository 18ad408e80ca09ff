/*
 * sekisho-probe: proves, or fails to prove, that one uplink is on an agency
 * LAN. sekishod runs it for each uplink change; it is the netvm's frontend
 * for untrusted input (answers from whatever network the laptop is on), so
 * it runs apart from the daemon and enters its sandbox (lib/sandbox.h) once
 * its sockets exist: user _sekisho-probe, no capability, no file system,
 * no system call but sending, receiving and writing its one line.
 *
 *	sekisho-probe -i IFNAME [-t timeout-ms] [-a attempts]
 *
 * Reads the beacons to try from standard input, one per line:
 *	ID ADDRESS:PORT KEY [KEY]
 * and writes one line: "ok ID KEY-INDEX RTT-MS" for the first beacon that
 * answered a fresh challenge with a valid signature, or "fail REASON".
 * Every challenge leaves through IFNAME only (SO_BINDTODEVICE, so never
 * through the tunnel) with TTL 255, and an answer counts only if it
 * arrived on IFNAME with TTL 255: from the LAN itself, not relayed.
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
#include "lib/udp.h"
#include "lib/proto/beacon_wire.h"
#include "lib/sandbox.h"
#include "lib/util.h"
#include "netvm/sekisho-probe/targets.h"

#define MAX_BEACONS	16

struct target {
	struct probe_target	b;	/* id, address, keys */
	int			fd;
	uint8_t			nonce[BEACON_NONCE_LEN];
	uint64_t		sent_ms;
	const char		*why;	/* the last reason it did not verify */
};

static struct target targets[MAX_BEACONS];
static size_t n_targets;

static void __attribute__((noreturn, format(printf, 1, 2)))
fail(const char *fmt, ...)
{
	va_list ap;

	printf("fail ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

static void
read_targets(void)
{
	char line[512];
	struct sk_error err;

	while (fgets(line, sizeof(line), stdin) != NULL && n_targets < MAX_BEACONS) {
		struct target *t = &targets[n_targets];

		if (probe_target_parse(line, &t->b, &err) != 0)
			fail("bad beacon line: %s", err.msg);
		t->why = "no answer";
		n_targets++;
	}
	if (n_targets == 0)
		fail("%s", "no beacons to probe");
}

static int
open_socket(const char *ifname, const struct sockaddr_in *dst)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int ttl = BEACON_TTL, on = 1;

	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on)) == -1 ||
	    connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) == -1)
		fail("socket on %s: %s", ifname, strerror(errno));
	return fd;
}

/* Nothing below needs privilege: the sockets are bound and connected.
 * What is left: challenges out, answers in (with their TTL), the verdict
 * on standard output; the Ed25519 check is computation. */
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
		fail("%s", err.msg);
}

static void
send_challenge(struct target *t)
{
	struct beacon_challenge c;
	uint8_t pkt[BEACON_CHALLENGE_LEN];

	if (beacon_nonce(t->nonce) != 0)
		fail("%s", "no randomness");
	memcpy(c.nonce, t->nonce, sizeof(c.nonce));
	if (beacon_challenge_encode(pkt, sizeof(pkt), &c) != (int)sizeof(pkt))
		fail("%s", "cannot encode a challenge");
	t->sent_ms = now_ms();
	if (send(t->fd, pkt, sizeof(pkt), 0) == -1)
		t->why = "cannot send";
}

/* 1 if this datagram proves the target; otherwise records why not. */
static int
check_answer(struct target *t, struct beacon_result *res)
{
	struct beacon_dgram d;
	int rc;

	if (beacon_udp_recv(t->fd, &d) < 0)
		return 0;
	if (d.ttl != BEACON_TTL) {
		t->why = "answer not from this LAN (TTL below 255)";
		return 0;
	}
	rc = beacon_verify(d.buf, d.len, t->nonce, &t->b.keys, time(NULL),
	    BEACON_WINDOW, res);
	if (rc == BEACON_OK && strcmp(res->id, t->b.id) == 0)
		return 1;
	t->why = rc == BEACON_OK ? "answer from another beacon id" : beacon_strerror(rc);
	return 0;
}

/* One attempt: a fresh challenge to every beacon, then answers until the
 * timeout. A verified answer ends the program. */
static void
attempt(unsigned int timeout_ms)
{
	struct pollfd pfd[MAX_BEACONS];
	struct beacon_result res;
	uint64_t deadline;
	size_t i;

	for (i = 0; i < n_targets; i++) {
		send_challenge(&targets[i]);
		pfd[i].fd = targets[i].fd;
		pfd[i].events = POLLIN;
	}
	deadline = now_ms() + timeout_ms;
	for (uint64_t now = now_ms(); now < deadline; now = now_ms()) {
		if (poll(pfd, n_targets, (int)(deadline - now)) <= 0)
			continue;
		for (i = 0; i < n_targets; i++) {
			if (!(pfd[i].revents & POLLIN) || !check_answer(&targets[i], &res))
				continue;
			printf("ok %s %d %llu\n", res.id, res.key,
			    (unsigned long long)(now_ms() - targets[i].sent_ms));
			exit(0);
		}
	}
}

int
main(int argc, char *argv[])
{
	unsigned int timeout_ms = 100, attempts = 3;
	const char *ifname = NULL;
	uint64_t v;
	int ch;

	while ((ch = getopt(argc, argv, "a:i:t:")) != -1) {
		switch (ch) {
		case 'a':
			if (parse_u64(optarg, 1, 10, &v) != 0)
				fail("bad attempts: %s", optarg);
			attempts = (unsigned int)v;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 't':
			if (parse_u64(optarg, 10, 5000, &v) != 0)
				fail("bad timeout: %s", optarg);
			timeout_ms = (unsigned int)v;
			break;
		default:
			fail("%s", "usage: sekisho-probe -i ifname [-t ms] [-a attempts]");
		}
	}
	if (ifname == NULL || strlen(ifname) >= IF_NAMESIZE)
		fail("%s", "usage: sekisho-probe -i ifname [-t ms] [-a attempts]");
	setvbuf(stdout, NULL, _IOLBF, 0);
	read_targets();
	for (size_t i = 0; i < n_targets; i++)
		targets[i].fd = open_socket(ifname, &targets[i].b.addr);
	enter_sandbox();
	for (unsigned int a = 0; a < attempts; a++)
		attempt(timeout_ms);
	printf("fail %s: %s\n", targets[0].b.id, targets[0].why);
	return 1;
}
