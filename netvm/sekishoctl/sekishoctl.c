/*
 * sekishoctl: asks sekishod how the netvm stands, or to take a new signed
 * policy bundle from its incoming path (docs/bundle.md, "In sekishod"),
 * over sekishod's control socket (docs/control.md).
 *
 *	sekishoctl [-s socket] status [--json]
 *	sekishoctl [-s socket] reload
 *	sekishoctl [-s socket] prefer UPLINK|auto
 *
 * reload prints sekishod's one line and exits 0 when the bundle was
 * accepted or there was nothing new, 1 when it was refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/util.h"
#include "netvm/sekishoctl/sekishoctl.h"

static const struct cli_cmd cmds[] = {
	{ "status", status_main, "[--json]",
	    "how the netvm stands: mode, uplinks, tunnel, policy, fetches" },
	{ "reload", reload_main, "",
	    "take a new signed policy bundle from sekishod's incoming path" },
	{ "prefer", prefer_main, "UPLINK|auto",
	    "carry the tunnel over this uplink when it can (auto: the policy's order)" },
};

static const struct cli cli = {
	.prog = "sekishoctl",
	.synopsis = "[-s socket] <subcommand> [arguments]",
	.cmds = cmds,
	.n_cmds = sizeof(cmds) / sizeof(cmds[0]),
	.footer = "\n  -s socket: sekishod's control socket (default " CTL_SOCKET ")\n",
};

/* Reads until sekishod closes, or until more than a response can be. */
static ssize_t
read_all(int fd, uint8_t *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n;

	while (len < cap && (n = read(fd, buf + len, cap - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		len += (size_t)n;
	}
	return (ssize_t)len;
}

int
ctl_ask(struct ctl_client *c, enum ctl_cmd cmd)
{
	return ctl_ask_line(c, ctl_request(cmd));
}

int
ctl_ask_line(struct ctl_client *c, const char *req)
{
	static uint8_t buf[CTL_RESP_HDR_LEN + CTL_PAYLOAD_MAX + 1];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct sk_error err;
	uint32_t len;
	ssize_t n;
	int fd;

	if (strlen(c->path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "sekishoctl: %s: path too long\n", c->path);
		return EXIT_FAIL;
	}
	sk_strlcpy(sun.sun_path, c->path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "sekishoctl: %s: %s (is sekishod running?)\n", c->path,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return EXIT_FAIL;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req) ||
	    (n = read_all(fd, buf, sizeof(buf))) < 0) {
		fprintf(stderr, "sekishoctl: %s: %s\n", c->path, strerror(errno));
		close(fd);
		return EXIT_FAIL;
	}
	close(fd);
	if ((size_t)n < CTL_RESP_HDR_LEN) {
		fprintf(stderr, "sekishoctl: %s: truncated response: %zd of %d bytes\n",
		    c->path, n, CTL_RESP_HDR_LEN);
		return EXIT_FAIL;
	}
	if (ctl_header_decode(buf, &c->type, &len, &err) != 0) {
		fprintf(stderr, "sekishoctl: %s: bad response: %s\n", c->path, err.msg);
		return EXIT_FAIL;
	}
	if ((size_t)n != CTL_RESP_HDR_LEN + (size_t)len) {
		fprintf(stderr, "sekishoctl: %s: bad response: %zu bytes of payload, "
		    "expected %lu\n", c->path, (size_t)n - CTL_RESP_HDR_LEN, (unsigned long)len);
		return EXIT_FAIL;
	}
	if (c->type != CTL_T_STATUS &&
	    ctl_line_check(buf + CTL_RESP_HDR_LEN, len, &err) != 0) {
		fprintf(stderr, "sekishoctl: %s: bad response: %s\n", c->path, err.msg);
		return EXIT_FAIL;
	}
	memcpy(c->payload, buf + CTL_RESP_HDR_LEN, len);
	c->len = len;
	if (c->type == CTL_T_ERROR) {
		fprintf(stderr, "sekishoctl: %s: %.*s", c->path, (int)len, (char *)c->payload);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	static struct ctl_client c = { .path = CTL_SOCKET };
	int ch;

	if (cli_wants_help(argc, argv)) {
		cli_usage(&cli, stdout);
		return EXIT_OK;
	}
	while ((ch = getopt(argc, argv, "+s:")) != -1) {
		if (ch != 's') {
			cli_usage(&cli, stderr);
			return EXIT_USAGE;
		}
		c.path = optarg;
	}
	return cli_dispatch(&cli, &c, argc - optind, argv + optind);
}
