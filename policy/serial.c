#include "policy/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

int
serial_store_save(const char *path, uint64_t serial, struct sk_error *err)
{
	char buf[SERIAL_STORE_MAX];
	int n, rc;

	if (serial > SERIAL_MAX)
		return sk_errorf(err, ERANGE, "serial store %s: serial %" PRIu64
		    " out of range", path, serial);
	n = snprintf(buf, sizeof(buf), SERIAL_STORE_MAGIC "%" PRIu64 "\n", serial);
	if ((rc = durable_write(path, buf, (size_t)n, 0600, err)) != 0 && err != NULL) {
		char why[sizeof(err->msg)];

		memcpy(why, err->msg, sizeof(why));
		sk_errorf(err, -rc, "serial store %s", why);
	}
	return rc;
}
