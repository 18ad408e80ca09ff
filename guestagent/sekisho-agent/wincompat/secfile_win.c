/*
 * lib/secfile.h on Windows: the agent keeps no key files (the laptop's
 * keys live in the netvm), but lib/util.c's key file helpers, linked with
 * the few lib/ functions the agent uses, name secfile_open. Owner and mode
 * bits say nothing on Windows (ACLs do), so every use refuses with one
 * line instead of pretending to check.
 */
#include "lib/secfile.h"

#include <errno.h>

int
secfile_open(const char *path, const struct secfile_rule *r, struct sk_error *err)
{
	(void)r;
	return sk_errorf(err, ENOTSUP, "%s: key files are not read on Windows", path);
}

int
secfile_check(int fd, const char *path, const struct secfile_rule *r,
    struct sk_error *err)
{
	(void)fd;
	(void)r;
	return sk_errorf(err, ENOTSUP, "%s: key files are not read on Windows", path);
}

int
secfile_read(const char *path, const struct secfile_rule *r, size_t max,
    uint8_t **buf, size_t *len, struct sk_error *err)
{
	(void)r;
	(void)max;
	*buf = NULL;
	*len = 0;
	return sk_errorf(err, ENOTSUP, "%s: key files are not read on Windows", path);
}
