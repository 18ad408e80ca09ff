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

/* A response without a bundle, in the request's version. */
static enum dist_verdict
bare(struct dist_answer *a, const struct dist_request *req, enum dist_status st)
{
	struct dist_response r = { req->version, (uint8_t)st, 0 };

	if ((a->out = malloc(DIST_RESP_HDR_LEN)) == NULL)
		return fail(a, "out of memory");
	dist_response_encode(a->out, &r);
	a->len = DIST_RESP_HDR_LEN;
	return DIST_SEND;
}

/*
 * Nothing newer than the serial held: in version 2, with the agency's
 * freshness statement DIR/NAME.fresh when it speaks of exactly that
 * serial for this device (the cron that re-signs it renames it into
 * place like a bundle). Anything else about the file: no statement, and
 * the line says why; the device decides on the signature, not the server.
 */
static enum dist_verdict
nothing_newer(const char *path, const struct dist_request *req, uint64_t held,
    struct dist_answer *a)
{
	struct dist_response r = { req->version, DIST_NOTHING_NEWER, 0 };
	char fpath[PATH_MAX + 8], why[300] = "";
	uint8_t st[DIST_FRESH_LEN + 1];
	struct sk_error err;
	struct fresh f;
	size_t got = 0;
	int fd, rc;

	if ((a->out = malloc(DIST_RESP_HDR_LEN + DIST_FRESH_LEN)) == NULL)
		return fail(a, "out of memory");
	snprintf(fpath, sizeof(fpath), "%s.fresh", path);
	if (req->version == DIST_VERSION && req->serial == held) {
		fd = open(fpath, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd == -1)
			snprintf(why, sizeof(why), "; no freshness statement (%s)",
			    errno == ENOENT ? "none" : strerror(errno));
		else if ((rc = read_full(fd, st, sizeof(st), &got)) < 0)
			snprintf(why, sizeof(why), "; no freshness statement (%s)",
			    strerror(-rc));
		else if (fresh_decode(st, got, "statement", &f, &err) != BUNDLE_OK)
			snprintf(why, sizeof(why), "; no freshness statement (%.250s)",
			    err.msg);
		else if (!ct_equal(f.device, req->device, DIST_KEY_LEN) || f.serial != held) {
			snprintf(why, sizeof(why), "; no freshness statement (it speaks of "
			    "another %s)", f.serial != held ? "serial" : "device");
		} else {
			memcpy(a->out + DIST_RESP_HDR_LEN, st, DIST_FRESH_LEN);
			r.len = DIST_FRESH_LEN;
			snprintf(why, sizeof(why), "; freshness statement signed at %llu",
			    (unsigned long long)f.time);
		}
		if (fd != -1)
			close(fd);
	}
	dist_response_encode(a->out, &r);
	a->len = DIST_RESP_HDR_LEN + r.len;
	snprintf(a->line, sizeof(a->line), "nothing newer (holds serial %llu)%s",
	    (unsigned long long)held, why);
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
		return bare(a, req, DIST_UNKNOWN_DEVICE);
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
		return nothing_newer(path, req, b.serial, a);
	}
	r.version = req->version;
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
