/*
 * bench-probe-rtt: the beacon round trip as sekishod times it
 * (netvm/sekishod/office.c), for tests/bench/beacon.sh. Starts the real
 * sekisho-probe on IFNAME exactly as sekishod does (one SOCK_SEQPACKET
 * socket as its standard input and output), gives it one beacon, then runs
 * ROUNDS rounds: a fresh nonce, timed from just before it leaves to the
 * kernel's receive time of the probe's answer. One line per round:
 *	SEKISHOD-US PROBE-US
 * (sekishod's measure, the one beacon-rtt bounds; the probe's own
 * send-to-receive time) or "none" for a round without an answer.
 *
 *	bench-probe-rtt PROBE IFNAME ADDR:PORT PUBKEY ROUNDS [GAP-MS]
 */
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

/* One line of the probe's, its kernel receive time in *rx_ns. */
static int
read_line(int fd, char *line, size_t size, int64_t *rx_ns)
{
	union {
		struct cmsghdr	align;
		uint8_t		buf[CMSG_SPACE(sizeof(struct timespec))];
	} ctl;
	struct iovec iov = { line, size - 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct beacon_dgram d;
	struct pollfd pfd = { fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, 5000) != 1 || (n = recvmsg(fd, &m, 0)) <= 0 ||
	    line[n - 1] != '\n')
		return -1;
	line[n - 1] = '\0';
	beacon_cmsg_read(&m, &d);
	*rx_ns = d.rx_ns >= 0 ? d.rx_ns : realtime_ns();
	return 0;
}

int
main(int argc, char *argv[])
{
	char line[PROBE_LINE_MAX + 1], *pargv[] = { "sekisho-probe", "-i", NULL, "-t", "100", NULL };
	uint8_t nonce[BEACON_NONCE_LEN];
	struct probe_msg msg;
	struct sk_error err;
	uint64_t rounds, gap = 20;
	int64_t t0, rx;
	int sv[2], on = 1, n;
	pid_t pid;

	if (argc < 6 || argc > 7 || parse_u64(argv[5], 1, 1000000, &rounds) != 0 ||
	    (argc == 7 && parse_u64(argv[6], 0, 10000, &gap) != 0)) {
		fprintf(stderr, "usage: bench-probe-rtt PROBE IFNAME ADDR:PORT PUBKEY ROUNDS [GAP-MS]\n");
		return 2;
	}
	pargv[2] = argv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == -1 ||
	    spawn_child(&pid, argv[1], pargv, sv[1], sv[1], -1) != 0) {
		perror("bench-probe-rtt: probe");
		return 1;
	}
	close(sv[1]);
	n = snprintf(line, sizeof(line), "bench %s %s\n", argv[3], argv[4]);
	if (send(sv[0], line, (size_t)n, 0) != n || send(sv[0], "go\n", 3, 0) != 3 ||
	    read_line(sv[0], line, sizeof(line), &rx) != 0 || strcmp(line, "ready") != 0) {
		fprintf(stderr, "bench-probe-rtt: the probe did not start: %s\n", line);
		return 1;
	}
	for (uint64_t r = 0; r < rounds; r++) {
		if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t)sizeof(nonce))
			return 1;
		n = probe_nonce_format(line, sizeof(line), nonce);
		t0 = realtime_ns();
		if (n < 0 || send(sv[0], line, (size_t)n, 0) != n ||
		    read_line(sv[0], line, sizeof(line), &rx) != 0 ||
		    probe_msg_parse(line, 1, &msg, &err) != 0) {
			fprintf(stderr, "bench-probe-rtt: the probe failed: %s\n", line);
			return 1;
		}
		if (msg.type == PROBE_MSG_ANSWER)
			printf("%lld %u\n", (long long)((rx - t0) / 1000), (unsigned int)msg.rtt_us);
		else
			printf("none\n");
		if (gap > 0)
			usleep((useconds_t)gap * 1000);
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return 0;
}
