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
	if (o->usb != NULL) {
		if (hw_usbpass_parse_file(o->usb, &in->usb, &err) != 0)
			goto fail;
		in->have_usb = 1;
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
	hw_usbpass_free(&in->usb);
	in->have_usb = 0;
}

int
partition_plan(struct partition_input *in, struct hw_plan *plan)
{
	struct sk_error err;

	if (hw_plan_make(&in->inv, in->have_ov ? &in->ov : NULL, plan,
	    &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	if (in->have_usb && hw_usbpass_apply(plan, &in->usb, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		hw_plan_free(plan);
		return EXIT_FAIL;
	}
	return EXIT_OK;
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
