/* sekisho-partition: reading the inputs and writing the output that every
 * subcommand shares (see hw/sekisho-partition/partition.h). */
#include "hw/sekisho-partition/partition.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int
partition_load(const struct partition_opts *o, struct partition_input *in)
{
	struct sk_error err;

	memset(in, 0, sizeof(*in));
	if (o->devices != NULL &&
	    hw_table_parse_file(o->devices, &in->tab, &err) != 0)
		goto fail;
	if (hw_inventory_read(o->sysfs, &in->tab, &in->inv, &err) != 0)
		goto fail;
	if (o->overrides != NULL) {
		if (hw_overrides_parse_file(o->overrides, &in->ov, &err) != 0)
			goto fail;
		in->have_ov = 1;
	}
	return EXIT_OK;
fail:
	fprintf(stderr, "%s\n", err.msg);
	partition_input_free(in);
	return EXIT_FAIL;
}

void
partition_input_free(struct partition_input *in)
{
	hw_table_free(&in->tab);
	hw_inventory_free(&in->inv);
	hw_overrides_free(&in->ov);
	in->have_ov = 0;
}

int
partition_json_flag(const struct partition_opts *o, int argc, char *argv[],
    int *json)
{
	*json = 0;
	if (argc == 2 && strcmp(argv[1], "--json") == 0)
		*json = 1;
	else if (argc != 1) {
		fprintf(stderr, "Usage: %s [global options] %s [--json]\n",
		    o->prog, argv[0]);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int
partition_output(const struct partition_opts *o, const struct buf *b)
{
	const char *s = buf_str(b);

	if (s == NULL) {
		fprintf(stderr, "%s: out of memory\n", o->prog);
		return EXIT_FAIL;
	}
	if (fputs(s, stdout) == EOF || fflush(stdout) == EOF) {
		fprintf(stderr, "%s: cannot write the output: %s\n", o->prog,
		    strerror(errno));
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
