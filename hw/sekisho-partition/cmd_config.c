/* sekisho-partition config [--json] netvm|work: the domain's xl
 * configuration, from the plan and the domains file (--domains); with
 * --json, the libxl domain configuration `up` hands to libxl, as libxl
 * prints it. */
#include "hw/sekisho-partition/partition.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sekisho-partition/xlcfg.h"
#include "hw/sekisho-partition/xldom.h"

static int
usage(const struct partition_opts *o, const char *cmd)
{
	fprintf(stderr, "Usage: %s --domains FILE [global options] %s "
	    "netvm|work\n       %s --domains FILE [global options] %s --json "
	    "netvm|work\n", o->prog, cmd, o->prog, cmd);
	return EXIT_USAGE;
}

static int
libxl_json(const struct xl_conf *c, const struct hw_plan *plan, int work,
    struct buf *b, struct sk_error *err)
{
	libxl_domain_config d;
	char *js = NULL;
	int rc;

	rc = work ? xl_work_domain(c, plan, &d, err) :
	    xl_netvm_domain(c, plan, &d, err);
	if (rc == 0 && (js = xl_domain_json(&d)) == NULL)
		rc = sk_errorf(err, ENOMEM, "libxl cannot print the configuration");
	if (js != NULL)
		buf_printf(b, "%s\n", js);
	free(js);
	libxl_domain_config_dispose(&d);
	return rc;
}

static int
generate(const struct xl_conf *c, const struct hw_plan *plan, int work,
    int json, struct buf *b, struct sk_error *err)
{
	if (json)
		return libxl_json(c, plan, work, b, err);
	return work ? xl_work_cfg(c, plan, b, err) : xl_netvm_cfg(c, plan, b, err);
}

int
config_main(void *ctx, int argc, char *argv[])
{
	const struct partition_opts *o = ctx;
	struct partition_input in;
	struct hw_plan plan;
	struct xl_conf c;
	struct sk_error err;
	struct buf b;
	int rc, work, json = argc == 3 && strcmp(argv[1], "--json") == 0;
	const char *dom = argv[argc - 1];

	if (argc != 2 + json || o->domains == NULL ||
	    (strcmp(dom, "netvm") != 0 && strcmp(dom, "work") != 0))
		return usage(o, argv[0]);
	work = strcmp(dom, "work") == 0;
	if (xl_conf_parse_file(o->domains, &c, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	if ((rc = partition_load(o, &in)) != EXIT_OK)
		return rc;
	if (partition_plan(&in, &plan) != EXIT_OK) {
		partition_input_free(&in);
		return EXIT_FAIL;
	}
	buf_init(&b);
	if (generate(&c, &plan, work, json, &b, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		rc = EXIT_FAIL;
	} else
		rc = partition_output(o, &b);
	buf_free(&b);
	hw_plan_free(&plan);
	partition_input_free(&in);
	return rc;
}
