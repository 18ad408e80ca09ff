/* sekisho-partition plan [--json]: which partition gets each device, how,
 * and why. An override that breaks a rule fails the whole plan. */
#include "hw/sekisho-partition/partition.h"

#include <stdio.h>

#include "hw/sekisho-partition/render.h"

int
plan_main(void *ctx, int argc, char *argv[])
{
	const struct partition_opts *o = ctx;
	struct partition_input in;
	struct hw_plan plan;
	struct buf b;
	int json, rc;

	if ((rc = partition_json_flag(o, argc, argv, &json)) != EXIT_OK ||
	    (rc = partition_load(o, &in)) != EXIT_OK)
		return rc;
	if (partition_plan(&in, &plan) != EXIT_OK) {
		partition_input_free(&in);
		return EXIT_FAIL;
	}
	buf_init(&b);
	if (json)
		hw_render_plan_json(&b, &plan);
	else
		hw_render_plan(&b, &plan);
	rc = partition_output(o, &b);
	buf_free(&b);
	hw_plan_free(&plan);
	partition_input_free(&in);
	return rc;
}
