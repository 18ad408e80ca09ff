/* sekishoctl status [--json]: how the netvm stands, as text or JSON. */
#include <stdio.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/cli.h"
#include "netvm/sekishoctl/sekishoctl.h"
#include "netvm/sekishoctl/show.h"

int
status_main(void *ctx, int argc, char *argv[])
{
	static struct ctl_status s;
	struct ctl_client *c = ctx;
	struct sk_error err;
	struct buf out;
	int json, rc;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json") != 0)) {
		fprintf(stderr, "usage: sekishoctl [-s socket] status [--json]\n");
		return EXIT_USAGE;
	}
	json = argc == 2;
	if ((rc = ctl_ask(c, json ? CTL_STATUS_JSON : CTL_STATUS)) != EXIT_OK)
		return rc;
	if (c->type != CTL_T_STATUS) {
		fprintf(stderr, "sekishoctl: %s: bad response: type %u to status\n", c->path,
		    c->type);
		return EXIT_FAIL;
	}
	if (ctl_status_decode(c->payload, c->len, &s, &err) != 0) {
		fprintf(stderr, "sekishoctl: %s: bad status: %s\n", c->path, err.msg);
		return EXIT_FAIL;
	}
	buf_init(&out);
	if (json)
		rc = show_json(&s, &out);
	else
		show_text(&s, &out);
	if (rc != 0 || buf_str(&out) == NULL) {
		fprintf(stderr, "sekishoctl: out of memory\n");
		buf_free(&out);
		return EXIT_FAIL;
	}
	fputs(buf_str(&out), stdout);
	buf_free(&out);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_FAIL;
}
