/* sekisho-partition config netvm|work: the domain's xl configuration, from
 * the plan and the domains file (--domains). What `up` will build. */
#include "hw/partition.h"

#include <stdio.h>
#include <string.h>

#include "hw/xlcfg.h"

static int
usage(const struct partition_opts *o, const char *cmd)
{
	fprintf(stderr, "Usage: %s --domains FILE [global options] %s "
	    "netvm|work\n", o->prog, cmd);
	return EXIT_USAGE;
}

static int
generate(const struct xl_conf *c, const struct hw_plan *plan, int work,
    struct buf *b, struct sk_error *err)
{
	return work ? xl_work_cfg(c, plan, b, err) : xl_netvm_cfg(c, plan, b, err);
}

int
config_main(const struct partition_opts *o, int argc, char *argv[])
{
	struct partition_input in;
	struct hw_plan plan;
	struct xl_conf c;
	struct sk_error err;
	struct buf b;
	int rc, work;

	if (argc != 2 || o->domains == NULL ||
	    (strcmp(argv[1], "netvm") != 0 && strcmp(argv[1], "work") != 0))
		return usage(o, argv[0]);
	work = strcmp(argv[1], "work") == 0;
	if (xl_conf_parse_file(o->domains, &c, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	if ((rc = partition_load(o, &in)) != EXIT_OK)
		return rc;
	if (hw_plan_make(&in.inv, in.have_ov ? &in.ov : NULL, &plan, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		partition_input_free(&in);
		return EXIT_FAIL;
	}
	buf_init(&b);
	if (generate(&c, &plan, work, &b, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		rc = EXIT_FAIL;
	} else
		rc = partition_output(o, &b);
	buf_free(&b);
	hw_plan_free(&plan);
	partition_input_free(&in);
	return rc;
}
