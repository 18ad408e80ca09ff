#include "policy/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
file_read_max(const char *path, size_t max, uint8_t **buf, size_t *len,
    struct sk_error *err)
{
	uint8_t *b;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return sk_errorf(err, errno, "%s: %s", path, strerror(errno));
	if ((b = malloc(max + 1)) == NULL) {
		close(fd);
		return sk_errorf(err, ENOMEM, "%s: out of memory", path);
	}
	rc = read_full(fd, b, max, len);
	close(fd);
	if (rc != 0) {
		free(b);
		return sk_errorf(err, -rc, "%s: %s", path, strerror(-rc));
	}
	b[*len] = '\0';
	*buf = b;
	return 0;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
fsync_parent(const char *path, struct sk_error *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc = 0;

	if (slash == NULL)
		sk_strlcpy(dir, ".", sizeof(dir));
	else if (slash == path)
		sk_strlcpy(dir, "/", sizeof(dir));
	else if ((size_t)(slash - path) >= sizeof(dir))
		return sk_errorf(err, ENAMETOOLONG, "%s: path too long", path);
	else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return sk_errorf(err, errno, "%s: directory %s: %s", path, dir,
		    strerror(errno));
	if (fsync(fd) == -1)
		rc = sk_errorf(err, errno, "%s: fsync of directory %s: %s", path, dir,
		    strerror(errno));
	close(fd);
	return rc;
}

/* Writes, syncs and closes the temporary file; -errno. */
static int
fill_tmp(int fd, const void *data, size_t len, mode_t mode)
{
	int rc;

	if (fchmod(fd, mode) == -1) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if ((rc = write_all(fd, data, len)) == 0 && fsync(fd) == -1)
		rc = -errno;
	if (close(fd) == -1 && rc == 0)
		rc = -errno;
	return rc;
}

int
durable_write(const char *path, const void *data, size_t len, mode_t mode,
    struct sk_error *err)
{
	char tmp[PATH_MAX];
	int fd, rc;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= sizeof(tmp))
		return sk_errorf(err, ENAMETOOLONG, "%s: path too long", path);
	/* mkostemp creates the file 0600 and O_EXCL: nothing else can have
	 * it open, whatever the umask. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1)
		return sk_errorf(err, errno, "%s: cannot create a temporary file: %s",
		    path, strerror(errno));
	if ((rc = fill_tmp(fd, data, len, mode)) != 0) {
		unlink(tmp);
		return sk_errorf(err, -rc, "%s: writing %s: %s", path, tmp, strerror(-rc));
	}
	if (rename(tmp, path) == -1) {
		rc = errno;
		unlink(tmp);
		return sk_errorf(err, rc, "%s: %s", path, strerror(rc));
	}
	return fsync_parent(path, err);
}

int
durable_prepare(const char *tmp, const void *data, size_t len, mode_t mode,
    struct sk_error *err)
{
	int fd, rc;

	/* O_EXCL after the unlink: never a file (or a link) someone else
	 * left there open for writing */
	if (unlink(tmp) == -1 && errno != ENOENT)
		return sk_errorf(err, errno, "%s: %s", tmp, strerror(errno));
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) == -1)
		return sk_errorf(err, errno, "%s: cannot create: %s", tmp, strerror(errno));
	if ((rc = fill_tmp(fd, data, len, mode)) != 0) {
		unlink(tmp);
		return sk_errorf(err, -rc, "%s: writing: %s", tmp, strerror(-rc));
	}
	return 0;
}

int
durable_finish(const char *tmp, const char *path, struct sk_error *err)
{
	if (rename(tmp, path) == -1)
		return sk_errorf(err, errno, "%s: %s", path, strerror(errno));
	return fsync_parent(path, err);
}
