/* The link to the netvm's relay on Windows: Winsock UDP (link.h). The
 * same behaviour as link_udp.c: connected socket, resend on silence, an
 * over-long answer reported as max + 1. */
#include "guestagent/sekisho-agent/link.h"

#include <winsock2.h>
#include <ws2tcpip.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct link {
	SOCKET	s;
};

static int
wsa_up(void)
{
	static int up;
	WSADATA d;

	if (!up && WSAStartup(MAKEWORD(2, 2), &d) == 0)
		up = 1;
	return up;
}

int
link_addr_valid(const char *addr)
{
	unsigned char a[16];

	if (!wsa_up())
		return 0;
	return inet_pton(AF_INET, addr, a) == 1 || inet_pton(AF_INET6, addr, a) == 1;
}

int
link_open(struct link **out, const char *addr, uint16_t port)
{
	struct addrinfo hints, *ai;
	struct link *l;
	char ps[8];
	SOCKET s;

	if (!wsa_up())
		return LINK_E_IO;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(addr, ps, &hints, &ai) != 0)
		return LINK_E_ADDR;
	s = socket(ai->ai_family, SOCK_DGRAM, 0);
	if (s == INVALID_SOCKET || connect(s, ai->ai_addr, (int)ai->ai_addrlen) != 0) {
		if (s != INVALID_SOCKET)
			closesocket(s);
		freeaddrinfo(ai);
		return LINK_E_IO;
	}
	freeaddrinfo(ai);
	(void)SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		closesocket(s);
		return LINK_E_IO;
	}
	l->s = s;
	*out = l;
	return LINK_OK;
}

int
link_exchange(struct link *l, const uint8_t *msg, size_t n, uint8_t *ans,
    size_t max, size_t *alen, unsigned timeout_ms, int tries)
{
	WSAPOLLFD p = { .fd = l->s, .events = POLLRDNORM };
	uint64_t deadline;
	int t;

	if (n > INT_MAX || max >= INT_MAX)
		return LINK_E_IO;
	for (t = 0; t < tries; t++) {
		if (send(l->s, (const char *)msg, (int)n, 0) != (int)n)
			return LINK_E_IO;
		deadline = now_ms() + timeout_ms;
		for (;;) {
			uint64_t now = now_ms();
			int pr, r;

			if (now >= deadline)
				break;
			pr = WSAPoll(&p, 1, (int)(deadline - now));
			if (pr < 0)
				return LINK_E_IO;
			if (pr == 0)
				break;
			/* One byte more than max: a datagram that fills it was
			 * longer than any answer may be (WSAEMSGSIZE: too). */
			r = recv(l->s, (char *)ans, (int)max, 0);
			if (r == SOCKET_ERROR && WSAGetLastError() == WSAEMSGSIZE) {
				*alen = max + 1;
				return LINK_OK;
			}
			if (r == SOCKET_ERROR && WSAGetLastError() == WSAEWOULDBLOCK)
				continue;
			if (r == SOCKET_ERROR)
				return LINK_E_IO;	/* WSAECONNRESET: nothing listens */
			*alen = (size_t)r;
			return LINK_OK;
		}
	}
	return LINK_E_TIMEOUT;
}

void
link_close(struct link *l)
{
	if (l == NULL)
		return;
	closesocket(l->s);
	free(l);
}
