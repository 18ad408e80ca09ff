#include "lib/util.h"

#include "lib/secfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
sk_errorf(struct sk_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -code;
}

void
wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

int
key_file_read(const char *path, uint8_t key[KEY_LEN], int owner_uid,
    struct sk_error *err)
{
	const struct secfile_rule rule = { "key file", 1, owner_uid, ", must be 0600" };
	char buf[KEY_B64_LEN + 2];
	ssize_t n;
	int fd, rc = 0;

	if ((fd = secfile_open(path, &rule, err)) < 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		rc = sk_errorf(err, errno, "key file %s: %s", path, strerror(errno));
	else {
		buf[n] = '\0';
		if (n > 0 && buf[n - 1] == '\n')
			buf[--n] = '\0';
		if (n != KEY_B64_LEN - 1 || key_from_b64(key, buf) != 0)
			rc = sk_errorf(err, EINVAL,
			    "key file %s: not a base64 32-byte key", path);
	}
	wipe(buf, sizeof(buf));
	close(fd);
	return rc;
}

int
key_file_write(const char *path, const uint8_t key[KEY_LEN], struct sk_error *err)
{
	char tmp[4096], b64[KEY_B64_LEN + 1];
	int fd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >= sizeof(tmp))
		return sk_errorf(err, ENAMETOOLONG, "key file %s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1)
		return sk_errorf(err, errno, "key file %s: %s", tmp, strerror(errno));
	key_to_b64(b64, key);
	b64[KEY_B64_LEN - 1] = '\n';
	if (write(fd, b64, KEY_B64_LEN) != KEY_B64_LEN || fsync(fd) == -1)
		rc = sk_errorf(err, errno, "key file %s: %s", tmp, strerror(errno));
	wipe(b64, sizeof(b64));
	if (close(fd) == -1 && rc == 0)
		rc = sk_errorf(err, errno, "key file %s: %s", tmp, strerror(errno));
	if (rc == 0 && rename(tmp, path) == -1)
		rc = sk_errorf(err, errno, "key file %s: %s", path, strerror(errno));
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int
read_full(int fd, void *buf, size_t max, size_t *len)
{
	ssize_t n;

	*len = 0;
	while (*len < max) {
		n = read(fd, (char *)buf + *len, max - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

size_t
sk_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size > 0) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
