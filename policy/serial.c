#include "policy/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/secfile.h"
#include "policy/fileio.h"

/* The serial line: decimal digits, no sign, no leading zero, a newline,
 * nothing after it. */
static int
parse_body(const char *s, size_t len, uint64_t *serial)
{
	char num[24];
	size_t n;

	if (len < 2 || s[len - 1] != '\n')
		return -1;
	n = len - 1;
	if (n >= sizeof(num) || (n > 1 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	memcpy(num, s, n);
	num[n] = '\0';
	return parse_u64(num, 0, SERIAL_MAX, serial) == 0 ? 0 : -1;
}

int
serial_store_parse(const char *path, const char *s, size_t len, uint64_t *serial,
    struct sk_error *err)
{
	size_t m = sizeof(SERIAL_STORE_MAGIC) - 1;

	if (len == 0)
		return sk_errorf(err, EINVAL, "serial store %s: corrupt: empty", path);
	if (len > SERIAL_STORE_MAX)
		return sk_errorf(err, EINVAL, "serial store %s: corrupt: longer than %d bytes",
		    path, SERIAL_STORE_MAX);
	if (len < m || memcmp(s, SERIAL_STORE_MAGIC, m) != 0)
		return sk_errorf(err, EINVAL,
		    "serial store %s: corrupt: first line is not 'sekisho-serial 1'", path);
	if (parse_body(s + m, len - m, serial) != 0)
		return sk_errorf(err, EINVAL,
		    "serial store %s: corrupt: second line is not a serial from 0 to %" PRIu64
		    " and a newline", path, (uint64_t)SERIAL_MAX);
	return 0;
}

int
serial_store_load(const char *path, int owner_uid, uint64_t *serial,
    struct sk_error *err)
{
	const struct secfile_rule rule = { "serial store", 0, owner_uid, ", must be 0600" };
	char buf[SERIAL_STORE_MAX + 1];
	size_t len;
	int fd, rc;

	fd = secfile_open(path, &rule, err);
	if (fd == -ENOENT)
		return sk_errorf(err, ENOENT, "serial store %s: missing", path);
	if (fd < 0)
		return fd;
	if ((rc = read_full(fd, (uint8_t *)buf, sizeof(buf), &len)) != 0)
		rc = sk_errorf(err, -rc, "serial store %s: %s", path, strerror(-rc));
	else
		rc = serial_store_parse(path, buf, len, serial, err);
	close(fd);
	return rc;
}

/* "serial store " before the line err holds. */
static int
named(int rc, struct sk_error *err)
{
	if (rc != 0 && err != NULL) {
		char why[sizeof(err->msg)];

		memcpy(why, err->msg, sizeof(why));
		sk_errorf(err, -rc, "serial store %s", why);
	}
	return rc;
}

static int
body(const char *path, uint64_t serial, char buf[SERIAL_STORE_MAX], size_t *n,
    struct sk_error *err)
{
	if (serial > SERIAL_MAX)
		return sk_errorf(err, ERANGE, "serial store %s: serial %" PRIu64
		    " out of range", path, serial);
	*n = (size_t)snprintf(buf, SERIAL_STORE_MAX, SERIAL_STORE_MAGIC "%" PRIu64 "\n",
	    serial);
	return 0;
}

/* PATH.next; -ENAMETOOLONG. */
static int
next_path(const char *path, char *next, size_t size, struct sk_error *err)
{
	if ((size_t)snprintf(next, size, "%s.next", path) >= size)
		return sk_errorf(err, ENAMETOOLONG, "serial store %s: path too long", path);
	return 0;
}

int
serial_store_save(const char *path, uint64_t serial, struct sk_error *err)
{
	char buf[SERIAL_STORE_MAX];
	size_t n = 0;
	int rc;

	if ((rc = body(path, serial, buf, &n, err)) != 0)
		return rc;
	return named(durable_write(path, buf, n, 0600, err), err);
}

int
serial_store_prepare(const char *path, uint64_t serial, struct sk_error *err)
{
	char buf[SERIAL_STORE_MAX], next[PATH_MAX];
	size_t n = 0;
	int rc;

	if ((rc = body(path, serial, buf, &n, err)) != 0 ||
	    (rc = next_path(path, next, sizeof(next), err)) != 0)
		return rc;
	return named(durable_prepare(next, buf, n, 0600, err), err);
}

int
serial_store_commit(const char *path, struct sk_error *err)
{
	char next[PATH_MAX];
	int rc;

	if ((rc = next_path(path, next, sizeof(next), err)) != 0)
		return rc;
	return named(durable_finish(next, path, err), err);
}

void
serial_store_abort(const char *path)
{
	char next[PATH_MAX];

	if (next_path(path, next, sizeof(next), NULL) == 0)
		(void)unlink(next);
}
