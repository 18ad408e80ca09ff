/* The control link on Windows: a Winsock TCP connection, as ctlink_posix.c
 * does it (ctlink.h). */
#include "guestagent/sekisho-agent/ctlink.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

/* Waits until s is writable (a connect finished: want_write) or readable,
 * until deadline: 1 ready, 0 timed out, -1 failed. select(), the way
 * Winsock reports a non-blocking connect: writable when done, in the
 * exception set when it failed. */
static int
wait_for(SOCKET s, int want_write, uint64_t deadline)
{
	fd_set rw, ex;
	struct timeval tv;
	uint64_t now = now_ms(), left;
	int r;

	if (now >= deadline)
		return 0;
	left = deadline - now;
	FD_ZERO(&rw);
	FD_ZERO(&ex);
	FD_SET(s, &rw);
	FD_SET(s, &ex);
	tv.tv_sec = (long)(left / 1000);
	tv.tv_usec = (long)(left % 1000) * 1000;
	r = select(0, want_write ? NULL : &rw, want_write ? &rw : NULL, &ex, &tv);
	if (r == SOCKET_ERROR)
		return -1;
	if (r == 0)
		return 0;
	return FD_ISSET(s, &ex) ? -1 : 1;
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
	if ((w = wait_for(s, 1, deadline)) <= 0) {
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

		if ((w = wait_for(s, 0, deadline)) <= 0) {
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
