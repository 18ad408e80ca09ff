/* The control link on Linux: a TCP connection (ctlink.h). */
#include "guestagent/sekisho-agent/ctlink.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util.h"

/* Waits for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int
wait_for(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		uint64_t now = now_ms();
		int pr;

		if (now >= deadline)
			return 0;
		if ((pr = poll(&p, 1, (int)(deadline - now))) < 0 && errno == EINTR)
			continue;
		return pr < 0 ? -1 : pr;
	}
}

int
ctlink_exchange(const char *addr, uint16_t port, const char *req, uint8_t *resp,
    size_t cap, size_t *len, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct addrinfo hints, *ai;
	size_t n = strlen(req), got = 0;
	socklen_t elen = sizeof(int);
	char ps[8];
	int fd, e = 0, rc = LINK_E_IO, w;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(addr, ps, &hints, &ai) != 0)
		return LINK_E_ADDR;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		freeaddrinfo(ai);
		return LINK_E_IO;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
		freeaddrinfo(ai);
		close(fd);
		return LINK_E_IO;
	}
	freeaddrinfo(ai);
	if ((w = wait_for(fd, POLLOUT, deadline)) <= 0) {
		rc = w == 0 ? LINK_E_TIMEOUT : LINK_E_IO;
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0 || e != 0)
		goto out;
	if (send(fd, req, n, MSG_NOSIGNAL) != (ssize_t)n)
		goto out;
	for (;;) {
		uint8_t extra;
		ssize_t r;

		if ((w = wait_for(fd, POLLIN, deadline)) <= 0) {
			rc = w == 0 ? LINK_E_TIMEOUT : LINK_E_IO;
			goto out;
		}
		if (got < cap)
			r = recv(fd, resp + got, cap - got, 0);
		else
			r = recv(fd, &extra, 1, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		if (got == cap) {
			got = cap + 1;	/* more than a response can be */
			break;
		}
		got += (size_t)r;
	}
	*len = got;
	rc = LINK_OK;
out:
	close(fd);
	return rc;
}
