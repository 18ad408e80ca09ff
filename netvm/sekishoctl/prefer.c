/* sekishoctl prefer UPLINK|auto: the uplink that carries the tunnel when
 * it can (docs/control.md, "Uplink preference"). Prints sekishod's one
 * line; 0 when taken or unchanged, 1 when refused. */
#include <stdio.h>

#include "lib/cli.h"
#include "netvm/sekishoctl/sekishoctl.h"

int
prefer_main(void *ctx, int argc, char *argv[])
{
	struct ctl_client *c = ctx;
	char req[CTL_MAX_LINE + 1];
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: sekishoctl [-s socket] prefer UPLINK|auto\n");
		return EXIT_USAGE;
	}
	if (ctl_prefer_request(req, argv[1]) < 0) {
		fprintf(stderr, "sekishoctl: prefer %s: not an interface name\n", argv[1]);
		return EXIT_USAGE;
	}
	if ((rc = ctl_ask_line(c, req)) != EXIT_OK)
		return rc;
	if (c->type == CTL_T_STATUS) {
		fprintf(stderr, "sekishoctl: %s: bad response: a status to prefer\n", c->path);
		return EXIT_FAIL;
	}
	fwrite(c->payload, 1, c->len, stdout);
	if (fflush(stdout) != 0)
		return EXIT_FAIL;
	return c->type == CTL_T_ACCEPTED || c->type == CTL_T_UNCHANGED ? EXIT_OK : EXIT_FAIL;
}
