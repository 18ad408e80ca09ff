/* sekisho-partition devices: the known device ids, built in and from the
 * devices file, in the devices file's syntax (a starting point for one). */
#include "hw/sekisho-partition/partition.h"

#include <stdio.h>

int
devices_main(void *ctx, int argc, char *argv[])
{
	const struct partition_opts *o = ctx;
	const struct hw_id *ids;
	struct hw_table tab = { NULL, 0, "" };
	struct sk_error err;
	struct buf b;
	size_t n;
	int rc;

	if (argc != 1) {
		fprintf(stderr, "Usage: %s [global options] %s\n", o->prog,
		    argv[0]);
		return EXIT_USAGE;
	}
	if (o->devices != NULL &&
	    hw_table_parse_file(o->devices, &tab, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	ids = hw_table_builtin(&n);
	buf_init(&b);
	buf_printf(&b, "# built in\n");
	hw_table_print(&b, ids, n, 1);
	if (o->devices != NULL) {
		buf_printf(&b, "# %s (looked up first)\n", o->devices);
		hw_table_print(&b, tab.ids, tab.n, 0);
	}
	rc = partition_output(o, &b);
	buf_free(&b);
	hw_table_free(&tab);
	return rc;
}
