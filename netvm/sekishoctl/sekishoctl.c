/*
 * sekishoctl: asks sekishod how the netvm stands, or to take a new signed
 * policy bundle from its incoming path (docs/bundle.md, "In sekishod").
 *
 *	sekishoctl [-s socket] status [--json]
 *	sekishoctl [-s socket] reload
 *
 * reload prints sekishod's one line and exits 0 when the bundle was
 * accepted or there was nothing new, 1 when it was refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/util.h"
#include "netvm/sekishod/control.h"

static int
usage(void)
{
	fprintf(stderr, "usage: sekishoctl [-s socket] status [--json]\n"
	    "       sekishoctl [-s socket] reload\n");
	return 1;
}

/* want: the reply must start with one of these ("" accepts any). */
static int
ask(const char *path, const char *req, const char *const *want)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[4096];
	ssize_t n;
	int fd, any = 0, ok = 0;

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
		for (size_t i = 0; !any && want[i] != NULL; i++)
			ok |= strncmp(buf, want[i], MIN((size_t)n, strlen(want[i]))) == 0;
		fwrite(buf, 1, (size_t)n, stdout);
		any = 1;
	}
	close(fd);
	return any && ok ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	static const char *const any[] = { "", NULL };
	static const char *const taken[] = { "accepted:", "unchanged:", NULL };
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
		return ask(path, "status\n", any);
	if (argc == 2 && strcmp(argv[0], "status") == 0 && strcmp(argv[1], "--json") == 0)
		return ask(path, "status json\n", any);
	if (argc == 1 && strcmp(argv[0], "reload") == 0)
		return ask(path, "reload\n", taken);
	return usage();
}
