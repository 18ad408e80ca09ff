#include "lib/secfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "key file PATH" or "PATH". */
static const char *
name(char *buf, size_t size, const char *path, const struct secfile_rule *r)
{
	if (r->what == NULL)
		return path;
	snprintf(buf, size, "%s %s", r->what, path);
	return buf;
}

int
secfile_check(int fd, const char *path, const struct secfile_rule *r,
    struct sk_error *err)
{
	char nb[4200];
	const char *n = name(nb, sizeof(nb), path, r);
	const char *hint = r->mode_hint != NULL ? r->mode_hint : "";
	struct stat st;

	if (fstat(fd, &st) == -1)
		return sk_errorf(err, errno, "%s: %s", n, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sk_errorf(err, EPERM, "%s: not a regular file", n);
	if (r->secret && (st.st_mode & (S_IRWXG | S_IRWXO)))
		return sk_errorf(err, EPERM,
		    "%s: accessible by group or others (mode %04o)%s", n,
		    (unsigned)(st.st_mode & 07777), hint);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return sk_errorf(err, EPERM,
		    "%s: writable by group or others (mode %04o)%s", n,
		    (unsigned)(st.st_mode & 07777), hint);
	if (r->owner_uid >= 0 && st.st_uid != (uid_t)r->owner_uid)
		return sk_errorf(err, EPERM, "%s: owned by uid %u, must be %d", n,
		    (unsigned)st.st_uid, r->owner_uid);
	return 0;
}

int
secfile_open(const char *path, const struct secfile_rule *r, struct sk_error *err)
{
	char nb[4200];
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd == -1) {
		rc = errno;
		if (rc == ELOOP)
			return sk_errorf(err, EPERM,
			    "%s: a symbolic link, must be a regular file",
			    name(nb, sizeof(nb), path, r));
		return sk_errorf(err, rc, "%s: %s", name(nb, sizeof(nb), path, r),
		    strerror(rc));
	}
	if ((rc = secfile_check(fd, path, r, err)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int
secfile_read(const char *path, const struct secfile_rule *r, size_t max,
    uint8_t **buf, size_t *len, struct sk_error *err)
{
	char nb[4200];
	uint8_t *b;
	size_t n;
	int fd, rc;

	*buf = NULL;
	*len = 0;
	if ((fd = secfile_open(path, r, err)) < 0)
		return fd;
	if ((b = malloc(max + 2)) == NULL) {
		close(fd);
		return sk_errorf(err, ENOMEM, "%s: out of memory", name(nb, sizeof(nb), path, r));
	}
	rc = read_full(fd, b, max + 1, &n);
	close(fd);
	if (rc == 0 && n > max)
		rc = sk_errorf(err, EFBIG, "%s: longer than %zu bytes",
		    name(nb, sizeof(nb), path, r), max);
	else if (rc != 0)
		rc = sk_errorf(err, -rc, "%s: %s", name(nb, sizeof(nb), path, r),
		    strerror(-rc));
	if (rc != 0) {
		wipe(b, max + 2);
		free(b);
		return rc;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}
