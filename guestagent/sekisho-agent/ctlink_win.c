/* The control link on Windows: a Winsock TCP connection, as ctlink_posix.c
 * does it (ctlink.h). */
#include "guestagent/sekisho-agent/ctlink.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

/* Waits for events on s until deadline: 1 ready, 0 timed out, -1 error. */
static int
wait_for(SOCKET s, short events, uint64_t deadline)
{
	WSAPOLLFD p = { .fd = s, .events = events };
	uint64_t now = now_ms();
	int pr;

	if (now >= deadline)
		return 0;
	if ((pr = WSAPoll(&p, 1, (int)(deadline - now))) < 0)
		return -1;
	if (pr > 0 && (p.revents & (POLLERR | POLLHUP)) && !(p.revents & POLLRDNORM))
		return -1;
	return pr;
}

int
ctlink_exchange(const char *addr, uint16_t port, const char *req, uint8_t *resp,
    size_t cap, size_t *len, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct addrinfo hints, *ai;
	size_t n = strlen(req), got = 0;
	u_long nb = 1;
	WSADATA d;
	char ps[8];
	SOCKET s;
	int rc = LINK_E_IO, w, e = 0, elen = sizeof(e);

	if (cap >= INT_MAX || n > INT_MAX || WSAStartup(MAKEWORD(2, 2), &d) != 0)
		return LINK_E_IO;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(addr, ps, &hints, &ai) != 0) {
		WSACleanup();
		return LINK_E_ADDR;
	}
	s = socket(ai->ai_family, SOCK_STREAM, 0);
	if (s == INVALID_SOCKET) {
		freeaddrinfo(ai);
		WSACleanup();
		return LINK_E_IO;
	}
	(void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
	if (ioctlsocket(s, FIONBIO, &nb) != 0 ||
	    (connect(s, ai->ai_addr, (int)ai->ai_addrlen) != 0 &&
	    WSAGetLastError() != WSAEWOULDBLOCK)) {
		freeaddrinfo(ai);
		goto out;
	}
	freeaddrinfo(ai);
	if ((w = wait_for(s, POLLWRNORM, deadline)) <= 0) {
		rc = w == 0 ? LINK_E_TIMEOUT : LINK_E_IO;
		goto out;
	}
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&e, &elen) != 0 || e != 0)
		goto out;
	if (send(s, req, (int)n, 0) != (int)n)
		goto out;
	for (;;) {
		char extra;
		int r;

		if ((w = wait_for(s, POLLRDNORM, deadline)) <= 0) {
			rc = w == 0 ? LINK_E_TIMEOUT : LINK_E_IO;
			goto out;
		}
		if (got < cap)
			r = recv(s, (char *)resp + got, (int)(cap - got), 0);
		else
			r = recv(s, &extra, 1, 0);
		if (r == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK)
			continue;
		if (r == SOCKET_ERROR)
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
	closesocket(s);
	WSACleanup();
	return rc;
}
