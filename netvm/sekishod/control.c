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
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 || listen(fd, 4) == -1) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Reads one line with a deadline: a client that sends nothing, or sends
 * more than a request can be, is dropped without holding the daemon. */
static ssize_t
read_request(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	uint64_t deadline = now_ms() + 500;

	while (len < cap) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <= 0)
			return -1;
		if ((n = read(fd, buf + len, cap - len)) <= 0)
			return -1;
		len += (size_t)n;
		if (memchr(buf, '\n', len) != NULL)
			break;
	}
	return (ssize_t)len;
}

static void
reply(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Before a close with the client's bytes unread (a request that was too
 * long): what is already here is read and dropped, a bounded amount, so
 * that TCP ends with the answer and a FIN rather than a reset that could
 * discard the answer on its way (the work link's clients). */
static void
drain(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char junk[512];

	/* poll and read: what the frontend's sandbox allows */
	for (int i = 0; i < 8 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) &&
	    read(fd, junk, sizeof(junk)) > 0; i++)
		;
}

/* One response: the header, then the payload. */
static void
respond(int fd, uint8_t type, const void *payload, size_t len)
{
	uint8_t hdr[CTL_RESP_HDR_LEN];

	ctl_header_encode(hdr, type, (uint32_t)len);
	reply(fd, hdr, sizeof(hdr));
	reply(fd, payload, len);
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

/* The client's credentials, from the kernel: root (uid 0) or not. */
static int
peer_is_root(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    len != sizeof(cr))
		return 0;
	return cr.uid == 0;
}

void
ctl_serve_ask(int lfd, int work, ctl_ask_fn ask, void *arg)
{
	static const char e[] =
	    "error: unknown request (try \"status\", \"status json\", \"reload\" or "
	    "\"prefer UPLINK|auto\")\n";
	static const char notroot[] = "error: reload: only root may ask for it\n";
	static uint8_t payload[CTL_PAYLOAD_MAX];
	char req[CTL_MAX_LINE + 1];
	struct timeval tv = { 0, 500000 };
	struct ctl_req r;
	uint8_t type;
	size_t len;
	ssize_t n;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = read_request(fd, req, sizeof(req));
	if (n < 0 || ctl_parse_req(req, (size_t)n, &r) != 0) {
		respond(fd, CTL_T_ERROR, e, sizeof(e) - 1);
		drain(fd);
		close(fd);
		return;
	}
	/* The socket's group may hold the sign-on relay, which asks for the
	 * mode and uplink of each request: a client that is not root may ask
	 * for the status and nothing else. */
	if (r.cmd == CTL_RELOAD && (work || !peer_is_root(fd))) {
		respond(fd, CTL_T_ERROR, notroot, sizeof(notroot) - 1);
		close(fd);
		return;
	}
	if (ask(&r, &type, payload, &len, arg) == 0)
		respond(fd, type, payload, len);
	close(fd);
}

struct local {
	const struct ctl_ops	*ops;
	void			*arg;
};

static int
ask_local(const struct ctl_req *req, uint8_t *type, uint8_t payload[CTL_PAYLOAD_MAX],
    size_t *len, void *arg)
{
	struct local *l = arg;

	*len = ctl_answer(req, l->ops, l->arg, type, payload);
	return 0;
}

void
ctl_serve(int lfd, const struct ctl_ops *ops, void *arg)
{
	struct local l = { ops, arg };

	ctl_serve_ask(lfd, 0, ask_local, &l);
}
