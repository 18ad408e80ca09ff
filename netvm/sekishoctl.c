/*
 * sekishoctl: asks sekishod how the netvm stands.
 *
 *	sekishoctl [-s socket] status [--json]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/util.h"
#include "netvm/control.h"

static int
usage(void)
{
	fprintf(stderr, "usage: sekishoctl [-s socket] status [--json]\n");
	return 1;
}

static int
ask(const char *path, const char *req)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[4096];
	ssize_t n;
	int fd, any = 0;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "sekishoctl: %s: path too long\n", path);
		return 1;
	}
	sk_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "sekishoctl: %s: %s (is sekishod running?)\n", path,
		    strerror(errno));
		return 1;
	}
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		fprintf(stderr, "sekishoctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		fwrite(buf, 1, (size_t)n, stdout);
		any = 1;
	}
	close(fd);
	return any ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	const char *path = CTL_SOCKET;
	int ch;

	while ((ch = getopt(argc, argv, "+s:")) != -1) {
		if (ch != 's')
			return usage();
		path = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc == 1 && strcmp(argv[0], "status") == 0)
		return ask(path, "status\n");
	if (argc == 2 && strcmp(argv[0], "status") == 0 && strcmp(argv[1], "--json") == 0)
		return ask(path, "status json\n");
	return usage();
}
