/* sekisho-partition up | down | status: the partition builder (issue 5,
 * part 3). Until it exists these say so and exit 2, whether or not the
 * machine runs on Xen, rather than pretend. */
#include "hw/partition.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* 1 when ROOT/sys/hypervisor/type says "xen". */
static int
on_xen(const struct partition_opts *o)
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
not_available(const struct partition_opts *o, int argc, char *argv[])
{
	if (argc != 1) {
		fprintf(stderr, "Usage: %s [global options] %s\n", o->prog,
		    argv[0]);
		return EXIT_USAGE;
	}
	if (on_xen(o))
		fprintf(stderr, "%s %s: not available yet: the partition builder "
		    "is not implemented (see issue 5)\n", o->prog, argv[0]);
	else
		fprintf(stderr, "%s %s: not available on this machine: no Xen "
		    "hypervisor (see issue 5)\n", o->prog, argv[0]);
	return EXIT_USAGE;
}

int
up_main(const struct partition_opts *o, int argc, char *argv[])
{
	return not_available(o, argc, argv);
}

int
down_main(const struct partition_opts *o, int argc, char *argv[])
{
	return not_available(o, argc, argv);
}

int
status_main(const struct partition_opts *o, int argc, char *argv[])
{
	return not_available(o, argc, argv);
}
