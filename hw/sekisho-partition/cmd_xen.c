/* sekisho-partition up | down | status: the partition builder (docs/hw.md,
 * "The partition builder"). The order is hw/sekisho-partition/builder.c's; the domains come
 * from the plan and the domains file (hw/sekisho-partition/xldom.c); libxl and xenstore do
 * the work (hw/sekisho-partition/xenctl.c). */
#include "hw/sekisho-partition/partition.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/sekisho-partition/builder.h"
#include "hw/sekisho-partition/xenctl.h"
#include "hw/sekisho-partition/xldom.h"

#define ARM_TIMEOUT_DEFAULT	60	/* s */
#define ARM_TIMEOUT_MAX		3600

struct xen_args {
	unsigned int timeout;	/* up: seconds to wait for the netvm */
	int verbose;
};

/* 1 when ROOT/sys/hypervisor/type says "xen". */
int
partition_on_xen(const struct partition_opts *o)
{
	char path[4096], buf[16];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/sys/hypervisor/type", o->sysfs);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strcmp(buf, "xen\n") == 0 || strcmp(buf, "xen") == 0;
}

static int
usage(const struct partition_opts *o, const char *cmd)
{
	fprintf(stderr, "Usage: %s [global options] %s%s\n", o->prog, cmd,
	    strcmp(cmd, "up") == 0 ? " [--timeout SECONDS] [--verbose]" :
	    " [--verbose]");
	return EXIT_USAGE;
}

static int
parse_args(const struct partition_opts *o, int argc, char *argv[],
    struct xen_args *a)
{
	uint64_t n;
	int i;

	a->timeout = ARM_TIMEOUT_DEFAULT;
	a->verbose = 0;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0)
			a->verbose = 1;
		else if (strcmp(argv[0], "up") == 0 &&
		    strcmp(argv[i], "--timeout") == 0 && i + 1 < argc &&
		    parse_u64(argv[i + 1], 1, ARM_TIMEOUT_MAX, &n) == 0) {
			a->timeout = (unsigned int)n;
			i++;
		} else
			return usage(o, argv[0]);
	}
	return EXIT_OK;
}

/* The two domains' libxl configurations, from the plan and the domains
 * file: all of it is read and checked before anything starts. */
static int
configs(const struct partition_opts *o, libxl_domain_config *netvm,
    libxl_domain_config *work)
{
	struct partition_input in;
	struct hw_plan plan;
	struct xl_conf c;
	struct sk_error err;
	int rc;

	libxl_domain_config_init(netvm);
	libxl_domain_config_init(work);
	if (o->domains == NULL) {
		fprintf(stderr, "%s up: needs --domains FILE\n", o->prog);
		return EXIT_USAGE;
	}
	if (xl_conf_parse_file(o->domains, &c, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return EXIT_FAIL;
	}
	if ((rc = partition_load(o, &in)) != EXIT_OK)
		return rc;
	if ((rc = partition_plan(&in, &plan)) == EXIT_OK) {
		if (xl_netvm_domain(&c, &plan, netvm, &err) != 0 ||
		    xl_work_domain(&c, &plan, work, &err) != 0) {
			rc = EXIT_FAIL;
			fprintf(stderr, "%s\n", err.msg);
		}
		hw_plan_free(&plan);
	}
	partition_input_free(&in);
	return rc;
}

static int
run(const struct partition_opts *o, const char *cmd, struct builder *b,
    const struct xen_args *a)
{
	struct sk_error err;
	struct xenctl *x;
	struct buf out;
	int rc;

	if ((x = xenctl_open(a->verbose, &err)) == NULL) {
		fprintf(stderr, "%s %s: %s\n", o->prog, cmd, err.msg);
		return EXIT_FAIL;
	}
	buf_init(&out);
	b->ops = &xenctl_ops;
	b->ctx = x;
	b->out = &out;
	if (strcmp(cmd, "up") == 0)
		rc = builder_up(b, &err);
	else if (strcmp(cmd, "down") == 0)
		rc = builder_down(b, &err);
	else
		rc = builder_status(b, &err);
	if (buf_str(&out) != NULL)
		fputs(buf_str(&out), stdout);
	fflush(stdout);
	if (rc != 0)
		fprintf(stderr, "%s %s: %s\n", o->prog, cmd, err.msg);
	buf_free(&out);
	xenctl_close(x);
	return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

int
partition_no_xen(const struct partition_opts *o, const char *cmd)
{
	fprintf(stderr, "%s %s: not available on this machine: no Xen "
	    "hypervisor (see issue 5)\n", o->prog, cmd);
	return EXIT_USAGE;
}

int
up_main(void *ctx, int argc, char *argv[])
{
	const struct partition_opts *o = ctx;
	libxl_domain_config netvm, work;
	struct builder b;
	struct xen_args a;
	int rc;

	if ((rc = parse_args(o, argc, argv, &a)) != EXIT_OK)
		return rc;
	if (!partition_on_xen(o))
		return partition_no_xen(o, argv[0]);
	if ((rc = configs(o, &netvm, &work)) == EXIT_OK) {
		memset(&b, 0, sizeof(b));
		b.netvm_cfg = &netvm;
		b.work_cfg = &work;
		b.arm_timeout_ms = (uint64_t)a.timeout * 1000;
		rc = run(o, argv[0], &b, &a);
	}
	libxl_domain_config_dispose(&netvm);
	libxl_domain_config_dispose(&work);
	return rc;
}

static int
down_or_status(const struct partition_opts *o, int argc, char *argv[])
{
	struct builder b;
	struct xen_args a;
	int rc;

	if ((rc = parse_args(o, argc, argv, &a)) != EXIT_OK)
		return rc;
	if (!partition_on_xen(o))
		return partition_no_xen(o, argv[0]);
	memset(&b, 0, sizeof(b));
	return run(o, argv[0], &b, &a);
}

int
down_main(void *ctx, int argc, char *argv[])
{
	const struct partition_opts *o = ctx;
	return down_or_status(o, argc, argv);
}

int
status_main(void *ctx, int argc, char *argv[])
{
	const struct partition_opts *o = ctx;
	return down_or_status(o, argc, argv);
}
