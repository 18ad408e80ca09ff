#include "netvm/sekishod/control.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "netvm/sekishod/clients.h"
#include "policy/policy.h"

_Static_assert(CTL_WORK_PORT == POLICY_CTL_WORK_PORT, "the ruleset lets the agent in");

int
ctl_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	sk_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		return -errno;
	unlink(path);
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 || listen(fd, 8) == -1) {
		int e = errno;

		umask(old);
		close(fd);
		return -e;
	}
	umask(old);
	return fd;
}

int
ctl_listen_work(const char *ifname, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
	    .sin_addr.s_addr = htonl(INADDR_ANY) };
	int fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) == -1)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname)) == -1 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, CLIENTS_WORK_BACKLOG) == -1) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* reload's and prefer's one line, typed by how it starts (struct ctl_ops). */
static size_t
answer_line(const struct buf *out, uint8_t *type, uint8_t payload[CTL_PAYLOAD_MAX])
{
	static const char oom[] = "refused: out of memory\n";
	static const char cut[] = "refused: (the answer was not one line)\n";
	const char *s = buf_str(out);
	struct sk_error err;

	*type = CTL_T_REFUSED;
	if (s == NULL) {
		memcpy(payload, oom, sizeof(oom) - 1);
		return sizeof(oom) - 1;
	}
	if (ctl_line_check((const uint8_t *)s, out->len, &err) != 0) {
		log_warnx("control: answered \"%.80s\": %s", s, err.msg);
		memcpy(payload, cut, sizeof(cut) - 1);
		return sizeof(cut) - 1;
	}
	if (strncmp(s, "accepted:", 9) == 0)
		*type = CTL_T_ACCEPTED;
	else if (strncmp(s, "unchanged:", 10) == 0)
		*type = CTL_T_UNCHANGED;
	memcpy(payload, s, out->len);	/* ctl_line_check: <= CTL_LINE_MAX */
	return out->len;
}

static size_t
answer_status(const struct ctl_ops *ops, void *arg, uint8_t *type,
    uint8_t payload[CTL_PAYLOAD_MAX])
{
	static const char e[] = "error: the status does not fit the protocol\n";
	static struct ctl_status w;
	struct status st;
	long n;

	memset(&st, 0, sizeof(st));
	ops->gather(&st, arg);
	status_fill(&st, &w);
	if ((n = ctl_status_encode(payload, CTL_PAYLOAD_MAX, &w)) < 0) {
		log_warnx("control: status does not encode");
		*type = CTL_T_ERROR;
		memcpy(payload, e, sizeof(e) - 1);
		return sizeof(e) - 1;
	}
	*type = CTL_T_STATUS;
	return (size_t)n;
}

size_t
ctl_answer(const struct ctl_req *req, const struct ctl_ops *ops, void *arg, uint8_t *type,
    uint8_t payload[CTL_PAYLOAD_MAX])
{
	struct buf out;
	size_t n;

	if (req->cmd != CTL_RELOAD && req->cmd != CTL_PREFER)
		return answer_status(ops, arg, type, payload);
	buf_init(&out);
	if (req->cmd == CTL_RELOAD)
		ops->reload(&out, arg);
	else
		ops->prefer(req->uplink, &out, arg);
	n = answer_line(&out, type, payload);
	buf_free(&out);
	return n;
}
