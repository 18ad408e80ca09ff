/* sekisho-partition inventory [--json]: the devices found and what each
 * one is. */
#include "hw/sekisho-partition/partition.h"
#include "hw/sekisho-partition/render.h"

int
inventory_main(void *ctx, int argc, char *argv[])
{
	const struct partition_opts *o = ctx;
	struct partition_input in;
	struct buf b;
	int json, rc;

	if ((rc = partition_json_flag(o, argc, argv, &json)) != EXIT_OK ||
	    (rc = partition_load(o, &in)) != EXIT_OK)
		return rc;
	buf_init(&b);
	if (json)
		hw_render_inventory_json(&b, &in.inv);
	else
		hw_render_inventory(&b, &in.inv);
	rc = partition_output(o, &b);
	buf_free(&b);
	partition_input_free(&in);
	return rc;
}
