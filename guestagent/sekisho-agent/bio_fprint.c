/* The biometric interface on libfprint. */
#include "guestagent/sekisho-agent/bio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fprint.h>

#include "lib/util.h"

#define TEMPLATE_MAX	(256 * 1024)

static void
set_detail(char *detail, size_t size, const GError *e, const char *what)
{
	snprintf(detail, size, "%s%s%s", what, e ? ": " : "", e ? e->message : "");
}

/* Worth asking again: no finger yet, or a bad swipe; or the time is up
 * (cancelled at the deadline: a timeout, not a failure). */
static int
retryable(const GError *e)
{
	return e != NULL && (e->domain == FP_DEVICE_RETRY ||
	    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	    g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED));
}

static gboolean
cancel_at_deadline(gpointer c)
{
	g_cancellable_cancel(c);
	return G_SOURCE_REMOVE;
}

static FpDevice *
open_device(FpContext *ctx, char *detail, size_t size, int *err)
{
	GPtrArray *devs = fp_context_get_devices(ctx);
	GError *e = NULL;
	FpDevice *dev;

	if (devs == NULL || devs->len == 0) {
		*err = BIO_E_NO_DEVICE;
		return NULL;
	}
	dev = g_ptr_array_index(devs, 0);
	if (!fp_device_open_sync(dev, NULL, &e)) {
		set_detail(detail, size, e, "cannot open the sensor");
		g_clear_error(&e);
		*err = BIO_E_FAIL;
		return NULL;
	}
	return dev;
}

static int
write_template(const char *path, const guchar *data, gsize len)
{
	char tmp[4096];
	int fd;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -1;
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The template: a regular file of mode 0600/0400, at most TEMPLATE_MAX. */
static FpPrint *
read_template(const char *path)
{
	static guchar buf[TEMPLATE_MAX + 1];
	struct stat st;
	size_t len;
	FpPrint *p;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0 ||
	    read_full(fd, buf, sizeof(buf), &len) != 0 || len > TEMPLATE_MAX) {
		close(fd);
		return NULL;
	}
	close(fd);
	p = fp_print_deserialize(buf, len, NULL);
	wipe(buf, len);
	return p;
}

int
bio_enroll(const char *template_path, const char *user, unsigned timeout_s,
    void (*on_ready)(void), char *detail, size_t detail_size)
{
	FpContext *ctx = fp_context_new();
	FpDevice *dev;
	FpPrint *print = NULL;
	GError *e = NULL;
	guchar *data = NULL;
	gsize len = 0;
	time_t deadline = time(NULL) + (time_t)timeout_s;
	int rc = BIO_OK;

	if ((dev = open_device(ctx, detail, detail_size, &rc)) == NULL)
		goto out;
	if (on_ready != NULL)
		on_ready();
	for (;;) {
		FpPrint *tmpl = fp_print_new(dev);
		fp_print_set_finger(tmpl, FP_FINGER_RIGHT_INDEX);
		fp_print_set_username(tmpl, user);
		print = fp_device_enroll_sync(dev, tmpl, NULL, NULL, NULL, &e);
		if (print != NULL || !retryable(e) || time(NULL) >= deadline)
			break;
		g_clear_error(&e);
	}
	if (print == NULL) {
		rc = retryable(e) ? BIO_E_TIMEOUT : BIO_E_FAIL;
		set_detail(detail, detail_size, e, "enrolment failed");
		goto close;
	}
	if (!fp_print_serialize(print, &data, &len, &e) ||
	    write_template(template_path, data, len) != 0) {
		set_detail(detail, detail_size, e, "cannot store the template");
		rc = BIO_E_FAIL;
	}
close:
	fp_device_close_sync(dev, NULL, NULL);
out:
	if (data != NULL) {
		wipe(data, len);
		g_free(data);
	}
	g_clear_error(&e);
	if (print != NULL)
		g_object_unref(print);
	g_object_unref(ctx);
	return rc;
}

int
bio_verify(const char *template_path, unsigned timeout_s,
    void (*on_ready)(void), int *matched, char *detail, size_t detail_size)
{
	FpContext *ctx;
	FpDevice *dev;
	FpPrint *enrolled, *scanned = NULL;
	GError *e = NULL;
	gboolean match = FALSE, ok = FALSE;
	time_t deadline = time(NULL) + (time_t)timeout_s;
	int rc = BIO_OK;

	*matched = 0;
	if ((enrolled = read_template(template_path)) == NULL)
		return BIO_E_NO_PRINT;
	ctx = fp_context_new();
	if ((dev = open_device(ctx, detail, detail_size, &rc)) == NULL)
		goto out;
	if (on_ready != NULL)
		on_ready();
	for (;;) {
		/* a sensor waits for a finger as long as it takes: the time
		 * left cancels it (a source on the context the call iterates) */
		time_t left = deadline - time(NULL);
		GCancellable *cancel = g_cancellable_new();
		guint timer = g_timeout_add_seconds(left > 0 ? (guint)left : 1,
		    cancel_at_deadline, cancel);

		ok = fp_device_verify_sync(dev, enrolled, cancel, NULL, NULL, &match,
		    &scanned, &e);
		if (!g_cancellable_is_cancelled(cancel))
			g_source_remove(timer);
		g_object_unref(cancel);
		if (scanned != NULL)
			g_clear_object(&scanned);
		if (ok || !retryable(e) || time(NULL) >= deadline)
			break;
		g_clear_error(&e);
	}
	if (!ok) {
		rc = retryable(e) ? BIO_E_TIMEOUT : BIO_E_FAIL;
		set_detail(detail, detail_size, e, "no match could be made");
	} else
		*matched = match ? 1 : 0;
	fp_device_close_sync(dev, NULL, NULL);
out:
	g_clear_error(&e);
	g_object_unref(enrolled);
	g_object_unref(ctx);
	return rc;
}
