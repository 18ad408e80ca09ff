/*
 * bench-probe-rtt: the beacon round trip as sekishod times it
 * (netvm/sekishod/office.c), for tests/bench/beacon.sh. Opens a beacon
 * socket on IFNAME as sekishod does (bound to it, TTL 255, the kernel's
 * transmit and receive times: lib/udp.h, beacon_udp_stamp), starts the
 * real sekisho-probe as sekishod does (one SOCK_SEQPACKET socket as its
 * standard input and output), gives it one beacon, then runs ROUNDS
 * rounds: a fresh nonce to the probe, a challenge to the beacon, its
 * answer handed to the probe, the probe's verdict. One line per round:
 *	KERNEL-US WALL-US
 * (sekishod's measure, the one beacon-rtt bounds: the kernel's transmit
 * time of the challenge to its receive time of the answer; and the wall
 * time from just before the challenge was sent to the probe's verdict,
 * which holds both processes' scheduling, as the measure before it did)
 * or "none" for a round without a verified answer within 100 ms.
 *
 *	bench-probe-rtt PROBE IFNAME ADDR:PORT PUBKEY ROUNDS [GAP-MS]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/proc.h"
#include "lib/proto/beacon_wire.h"
#include "lib/proto/probe_wire.h"
#include "lib/udp.h"
#include "lib/util.h"

static int64_t
realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
wait_in(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, ms) == 1 ? 0 : -1;
}

/* One line of the probe's. */
static int
read_line(int fd, char *line, size_t size)
{
	ssize_t n;

	if (wait_in(fd, 5000) != 0 || (n = recv(fd, line, size - 1, 0)) <= 0 ||
	    line[n - 1] != '\n')
		return -1;
	line[n - 1] = '\0';
	return 0;
}

/* The answer to this round's challenge: 0 with *d, or -1 after 100 ms. */
static int
answer(int udp, const uint8_t nonce[BEACON_NONCE_LEN], struct beacon_dgram *d)
{
	int64_t end = realtime_ns() + 100000000;

	while (realtime_ns() < end) {
		if (wait_in(udp, (int)((end - realtime_ns()) / 1000000) + 1) != 0)
			continue;
		if (beacon_udp_recv(udp, d) == BEACON_ANSWER_LEN && d->ttl == BEACON_TTL &&
		    memcmp(d->buf + BEACON_ANSWER_OFF_NONCE, nonce, BEACON_NONCE_LEN) == 0)
			return 0;
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	char line[PROBE_LINE_MAX + 1], *pargv[] = { "sekisho-probe", "-i", NULL, NULL };
	uint8_t nonce[BEACON_NONCE_LEN], pkt[BEACON_CHALLENGE_LEN];
	struct beacon_challenge c;
	struct beacon_tx_stamp t;
	struct beacon_addr dst;
	struct beacon_dgram d;
	struct probe_msg msg;
	struct sk_error err;
	uint64_t rounds, gap = 20;
	uint32_t id = 0;
	int64_t t0, tx;
	int sv[2], udp, ttl = BEACON_TTL, n;
	pid_t pid;

	if (argc < 6 || argc > 7 || parse_u64(argv[5], 1, 1000000, &rounds) != 0 ||
	    (argc == 7 && parse_u64(argv[6], 0, 10000, &gap) != 0) ||
	    beacon_addr_parse(argv[3], 51821, &dst, &err) != 0) {
		fprintf(stderr, "usage: bench-probe-rtt PROBE IFNAME ADDR:PORT PUBKEY ROUNDS [GAP-MS]\n");
		return 2;
	}
	pargv[2] = argv[2];
	if ((udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1 ||
	    setsockopt(udp, SOL_SOCKET, SO_BINDTODEVICE, argv[2], (socklen_t)strlen(argv[2])) == -1 ||
	    setsockopt(udp, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) == -1 ||
	    beacon_udp_stamp(udp) != 0) {
		perror("bench-probe-rtt: beacon socket");
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    spawn_child(&pid, argv[1], pargv, sv[1], sv[1], -1) != 0) {
		perror("bench-probe-rtt: probe");
		return 1;
	}
	close(sv[1]);
	n = snprintf(line, sizeof(line), "bench %s %s\n", argv[3], argv[4]);
	if (send(sv[0], line, (size_t)n, 0) != n || send(sv[0], "go\n", 3, 0) != 3 ||
	    read_line(sv[0], line, sizeof(line)) != 0 || strcmp(line, "ready") != 0) {
		fprintf(stderr, "bench-probe-rtt: the probe did not start: %s\n", line);
		return 1;
	}
	for (uint64_t r = 0; r < rounds; r++, id++) {
		if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
			return 1;
		n = probe_nonce_format(line, sizeof(line), nonce);
		memcpy(c.nonce, nonce, sizeof(c.nonce));
		if (n < 0 || send(sv[0], line, (size_t)n, 0) != n ||
		    beacon_challenge_encode(pkt, sizeof(pkt), &c) != (int)sizeof(pkt))
			return 1;
		t0 = realtime_ns();
		if (sendto(udp, pkt, sizeof(pkt), 0, (const struct sockaddr *)&dst.ss,
		    dst.len) != (ssize_t)sizeof(pkt)) {
			perror("bench-probe-rtt: send");
			return 1;
		}
		if (answer(udp, nonce, &d) != 0) {
			printf("none\n");
			continue;
		}
		n = probe_dgram_format(line, sizeof(line), 0, d.buf);
		if (n < 0 || send(sv[0], line, (size_t)n, 0) != n ||
		    read_line(sv[0], line, sizeof(line)) != 0 ||
		    probe_msg_parse(line, 1, &msg, &err) != 0) {
			fprintf(stderr, "bench-probe-rtt: the probe failed: %s\n", line);
			return 1;
		}
		/* As sekishod does: the driver's stamp of this send over the
		 * queueing discipline's, none at all: the moment before. */
		tx = -1;
		while (beacon_tx_stamp_read(udp, &t) >= 0)
			if (t.id == id && (tx < 0 || !t.sched))
				tx = t.ns;
		if (tx < t0)
			tx = t0;
		if (msg.type == PROBE_MSG_ANSWER)
			printf("%lld %lld\n", (long long)((d.rx_ns - tx) / 1000),
			    (long long)((realtime_ns() - t0) / 1000));
		else
			printf("none\n");
		if (gap > 0)
			usleep((useconds_t)gap * 1000);
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return 0;
}
