#include "agency/sekisho-bundle-server/dist_serve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"
#include "policy/bundle.h"

static enum dist_verdict
fail(struct dist_answer *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static enum dist_verdict
fail(struct dist_answer *a, const char *fmt, ...)
{
	va_list ap;

	free(a->out);
	a->out = NULL;
	a->len = 0;
	va_start(ap, fmt);
	vsnprintf(a->line, sizeof(a->line), fmt, ap);
	va_end(ap);
	return DIST_FAIL;
}

/* A response without a bundle. */
static enum dist_verdict
bare(struct dist_answer *a, enum dist_status st)
{
	struct dist_response r = { (uint8_t)st, 0 };

	if ((a->out = malloc(DIST_RESP_HDR_LEN)) == NULL)
		return fail(a, "out of memory");
	dist_response_encode(a->out, &r);
	a->len = DIST_RESP_HDR_LEN;
	return DIST_SEND;
}

/* The file's bytes after a response header, read whole: a file that
 * changes size while read was written in place, not renamed. */
static enum dist_verdict
read_bundle(int fd, const char *path, size_t budget, struct dist_answer *a)
{
	struct stat st;
	size_t size, got;
	int rc;

	if (fstat(fd, &st) == -1)
		return fail(a, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(a, "%s: not a regular file", path);
	if (st.st_size > DIST_BODY_MAX)
		return fail(a, "%s: %lld bytes, a bundle has at most %u", path,
		    (long long)st.st_size, DIST_BODY_MAX);
	size = (size_t)st.st_size;
	if (size > budget)
		return fail(a, "busy: %zu bytes would exceed the memory budget", size);
	if ((a->out = malloc(DIST_RESP_HDR_LEN + size + 1)) == NULL)
		return fail(a, "out of memory");
	if ((rc = read_full(fd, a->out + DIST_RESP_HDR_LEN, size + 1, &got)) < 0)
		return fail(a, "%s: %s", path, strerror(-rc));
	if (got != size)
		return fail(a, "%s: changed while read (write bundles elsewhere and "
		    "rename them into place)", path);
	a->len = DIST_RESP_HDR_LEN + size;
	return DIST_SEND;
}

enum dist_verdict
dist_serve(const char *dir, const struct dist_request *req, size_t budget,
    struct dist_answer *a)
{
	char name[DIST_NAME_LEN], path[PATH_MAX];
	struct dist_response r;
	struct sk_error err;
	struct bundle b;
	int fd;

	memset(a, 0, sizeof(*a));
	dist_device_name(name, req->device);
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return fail(a, "%s: path too long", dir);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT) {
		snprintf(a->line, sizeof(a->line), "unknown device (no %.500s)", path);
		return bare(a, DIST_UNKNOWN_DEVICE);
	}
	if (fd == -1)
		return fail(a, "%s: %s", path, errno == ELOOP ?
		    "a symbolic link, not served" : strerror(errno));
	if (read_bundle(fd, path, budget, a) != DIST_SEND) {
		close(fd);
		return DIST_FAIL;
	}
	close(fd);
	if (bundle_decode(a->out + DIST_RESP_HDR_LEN, a->len - DIST_RESP_HDR_LEN, path,
	    &b, &err) != BUNDLE_OK)
		return fail(a, "%s", err.msg);
	if (!ct_equal(b.device, req->device, DIST_KEY_LEN))
		return fail(a, "%s: made for another device", path);
	a->held = b.serial;
	if (b.serial <= req->serial) {
		free(a->out);
		a->out = NULL;
		snprintf(a->line, sizeof(a->line), "nothing newer (holds serial %llu)",
		    (unsigned long long)b.serial);
		return bare(a, DIST_NOTHING_NEWER);
	}
	r.status = DIST_NEWER;
	r.len = (uint32_t)(a->len - DIST_RESP_HDR_LEN);
	dist_response_encode(a->out, &r);
	snprintf(a->line, sizeof(a->line), "newer: serial %llu, %lu bytes",
	    (unsigned long long)b.serial, (unsigned long)r.len);
	return DIST_SEND;
}

void
dist_answer_free(struct dist_answer *a)
{
	free(a->out);
	a->out = NULL;
	a->len = 0;
}
