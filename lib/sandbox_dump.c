/*
 * sandbox_no_dump (lib/sandbox.h), in an object of its own: a program
 * that never enters the sandbox (sekisho-provision) links it without
 * libseccomp.
 */
#include "lib/sandbox.h"

#include <errno.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

int
sandbox_no_dump(struct sk_error *err)
{
	const struct rlimit zero = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 || setrlimit(RLIMIT_CORE, &zero) == -1)
		return sk_errorf(err, errno, "not dumpable: %s", strerror(errno)), -1;
	return 0;
}
