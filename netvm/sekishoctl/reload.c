/* sekishoctl reload: sekishod takes a new signed policy bundle from its
 * incoming path, if there is one (docs/bundle.md). Prints sekishod's one
 * line; 0 when accepted or unchanged, 1 when refused. */
#include <stdio.h>

#include "lib/cli.h"
#include "netvm/sekishoctl/sekishoctl.h"

int
reload_main(void *ctx, int argc, char *argv[])
{
	struct ctl_client *c = ctx;
	int rc;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "usage: sekishoctl [-s socket] reload\n");
		return EXIT_USAGE;
	}
	if ((rc = ctl_ask(c, CTL_RELOAD)) != EXIT_OK)
		return rc;
	if (c->type == CTL_T_STATUS) {
		fprintf(stderr, "sekishoctl: %s: bad response: a status to reload\n", c->path);
		return EXIT_FAIL;
	}
	fwrite(c->payload, 1, c->len, stdout);
	if (fflush(stdout) != 0)
		return EXIT_FAIL;
	return c->type == CTL_T_ACCEPTED || c->type == CTL_T_UNCHANGED ? EXIT_OK : EXIT_FAIL;
}
