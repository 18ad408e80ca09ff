#include "guestagent/sekisho-agent/link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util.h"

struct link {
	int	fd;
};

int
link_addr_valid(const char *addr)
{
	unsigned char a[16];

	return inet_pton(AF_INET, addr, a) == 1 || inet_pton(AF_INET6, addr, a) == 1;
}

int
link_open(struct link **out, const char *addr, uint16_t port)
{
	struct addrinfo hints, *ai;
	struct link *l;
	char ps[8];
	int fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(ps, sizeof(ps), "%u", port);
	if (getaddrinfo(addr, ps, &hints, &ai) != 0)
		return LINK_E_ADDR;
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return LINK_E_IO;
	}
	freeaddrinfo(ai);
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return LINK_E_IO;
	}
	l->fd = fd;
	*out = l;
	return LINK_OK;
}

int
link_exchange(struct link *l, const uint8_t *msg, size_t n, uint8_t *ans,
    size_t max, size_t *alen, unsigned timeout_ms, int tries)
{
	struct pollfd p = { .fd = l->fd, .events = POLLIN };
	uint64_t deadline;
	int t;

	for (t = 0; t < tries; t++) {
		if (send(l->fd, msg, n, 0) != (ssize_t)n)
			return LINK_E_IO;
		deadline = now_ms() + timeout_ms;
		for (;;) {
			uint64_t now = now_ms();
			ssize_t r;
			int pr;

			if (now >= deadline)
				break;
			pr = poll(&p, 1, (int)(deadline - now));
			if (pr < 0 && errno == EINTR)
				continue;
			if (pr < 0)
				return LINK_E_IO;
			if (pr == 0)
				break;
			r = recv(l->fd, ans, max, MSG_TRUNC);
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r < 0)
				return LINK_E_IO;	/* ECONNREFUSED: nothing listens */
			*alen = (size_t)r > max ? max + 1 : (size_t)r;
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
	close(l->fd);
	free(l);
}
