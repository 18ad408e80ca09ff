#include "netvm/sekishod/control.h"

#include <errno.h>
#include <fcntl.h>
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

int
ctl_parse(const char *buf, size_t len, enum ctl_cmd *cmd)
{
	if (len > CTL_MAX_LINE)
		return -EMSGSIZE;
	if (len == 0 || buf[len - 1] != '\n' || memchr(buf, '\n', len) != buf + len - 1)
		return -EINVAL;
	if (len == 7 && memcmp(buf, "status\n", 7) == 0)
		*cmd = CTL_STATUS;
	else if (len == 12 && memcmp(buf, "status json\n", 12) == 0)
		*cmd = CTL_STATUS_JSON;
	else if (len == 7 && memcmp(buf, "reload\n", 7) == 0)
		*cmd = CTL_RELOAD;
	else
		return -EINVAL;
	return 0;
}

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
reply(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

static void
answer(enum ctl_cmd cmd, const struct ctl_ops *ops, void *arg, struct buf *out)
{
	struct status st;

	if (cmd == CTL_RELOAD) {
		ops->reload(out, arg);
		return;
	}
	memset(&st, 0, sizeof(st));
	ops->gather(&st, arg);
	if (cmd == CTL_STATUS_JSON)
		status_json(&st, out);
	else
		status_text(&st, out);
}

void
ctl_serve(int lfd, const struct ctl_ops *ops, void *arg)
{
	char req[CTL_MAX_LINE + 1];
	struct timeval tv = { 0, 500000 };
	enum ctl_cmd cmd;
	struct buf out;
	ssize_t n;
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1)
		return;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	n = read_request(fd, req, sizeof(req));
	if (n < 0 || ctl_parse(req, (size_t)n, &cmd) != 0) {
		static const char e[] =
		    "error: unknown request (try \"status\", \"status json\" or \"reload\")\n";

		reply(fd, e, sizeof(e) - 1);
		close(fd);
		return;
	}
	buf_init(&out);
	answer(cmd, ops, arg, &out);
	if (buf_str(&out) != NULL)
		reply(fd, out.p, out.len);
	buf_free(&out);
	close(fd);
}
