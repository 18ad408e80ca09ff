/* libxl and xenstore behind struct xen_ops (see hw/sekisho-partition/xenctl.h). */
#include "hw/sekisho-partition/xenctl.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>
#include <xentoollog.h>

struct xenctl {
	libxl_ctx *ctx;
	xentoollog_logger_stdiostream *log;
	struct xs_handle *xs;
};

static uint64_t
mono_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
find(void *arg, const char *name, uint32_t *domid)
{
	struct xenctl *x = arg;
	int rc = libxl_name_to_domid(x->ctx, name, domid);

	if (rc == ERROR_INVAL)
		return -ENOENT;
	return rc == 0 ? 0 : -EIO;
}

static int
create(void *arg, void *cfg, uint32_t *domid, struct sk_error *err)
{
	struct xenctl *x = arg;
	libxl_domain_config *d = cfg;
	int rc;

	if ((rc = libxl_domain_create_new(x->ctx, d, domid, NULL, NULL)) != 0)
		return sk_errorf(err, EIO, "%s: libxl cannot build the domain "
		    "(error %d)", d->c_info.name, rc);
	/* libxl leaves a new domain paused. */
	if ((rc = libxl_domain_unpause(x->ctx, *domid, NULL)) != 0) {
		libxl_domain_destroy(x->ctx, *domid, NULL);
		return sk_errorf(err, EIO, "%s: cannot unpause domain %u "
		    "(error %d)", d->c_info.name, *domid, rc);
	}
	return 0;
}

static int
destroy(void *arg, uint32_t domid, struct sk_error *err)
{
	struct xenctl *x = arg;
	int rc;

	if ((rc = libxl_domain_destroy(x->ctx, domid, NULL)) != 0)
		return sk_errorf(err, EIO, "cannot destroy domain %u (error %d)",
		    domid, rc);
	return 0;
}

/* A key of the netvm's, or NULL. Its content is the netvm's: only
 * printable ASCII is kept, cut at size - 1 bytes. */
static int
read_key(struct xenctl *x, uint32_t domid, const char *key, char *out,
    size_t size)
{
	char path[128];
	unsigned int len, i;
	char *v;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, key);
	if ((v = xs_read(x->xs, XBT_NULL, path, &len)) == NULL)
		return 0;
	for (i = 0; i < len && i + 1 < size; i++)
		out[i] = v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?';
	out[i] = '\0';
	free(v);
	return 1;
}

static enum arm_state
arm_read(struct xenctl *x, uint32_t domid, char msg[ARM_MSG_MAX])
{
	libxl_dominfo info;
	char v[8];
	int gone;

	libxl_dominfo_init(&info);
	gone = libxl_domain_info(x->ctx, &info, domid) != 0 || info.dying ||
	    info.shutdown;
	libxl_dominfo_dispose(&info);
	if (gone)
		return ARM_GONE;
	if (read_key(x, domid, ARM_KEY, v, sizeof(v)) && strcmp(v, "1") == 0)
		return ARM_ARMED;
	if (read_key(x, domid, ARM_ERROR_KEY, msg, ARM_MSG_MAX))
		return ARM_FAILED;
	return ARM_WAITING;
}

static void
drain(struct xenctl *x)
{
	char **ev;

	while ((ev = xs_check_watch(x->xs)) != NULL)
		free(ev);
}

/* Waits on two xenstore watches (the netvm's data/sekisho directory, and
 * @releaseDomain for its end), reading the state again after each event
 * and at least every second. */
static enum arm_state
arm_wait(void *arg, uint32_t domid, uint64_t timeout_ms, char msg[ARM_MSG_MAX])
{
	struct xenctl *x = arg;
	uint64_t deadline = mono_ms(NULL) + timeout_ms, now;
	enum arm_state st;
	char path[128];
	struct pollfd pfd;

	snprintf(path, sizeof(path), "/local/domain/%u/%s", domid, ARM_DIR);
	xs_watch(x->xs, path, "sekisho-arm");
	xs_watch(x->xs, "@releaseDomain", "sekisho-release");
	pfd.fd = xs_fileno(x->xs);
	pfd.events = POLLIN;
	while ((st = arm_read(x, domid, msg)) == ARM_WAITING &&
	    (now = mono_ms(NULL)) < deadline) {
		poll(&pfd, 1, deadline - now < 1000 ? (int)(deadline - now) : 1000);
		drain(x);
	}
	xs_unwatch(x->xs, path, "sekisho-arm");
	xs_unwatch(x->xs, "@releaseDomain", "sekisho-release");
	drain(x);
	return st;
}

/* USB devices of a running domain (usb-attach). */

static uint16_t
bus_addr_of(const libxl_device_usbdev *u)
{
	return (uint16_t)(u->u.hostdev.hostbus << 8 | u->u.hostdev.hostaddr);
}

static int
usb_list(void *arg, uint32_t domid, uint16_t *have, size_t max, size_t *n,
    struct sk_error *err)
{
	struct xenctl *x = arg;
	libxl_device_usbdev *l;
	int i, num = 0;

	*n = 0;
	l = libxl_device_usbdev_list(x->ctx, domid, &num);
	for (i = 0; i < num; i++) {
		if (l[i].type != LIBXL_USBDEV_TYPE_HOSTDEV)
			continue;
		if (*n == max) {
			libxl_device_usbdev_list_free(l, num);
			return sk_errorf(err, EINVAL, "domain %u has more than "
			    "%zu USB devices", domid, max);
		}
		have[(*n)++] = bus_addr_of(&l[i]);
	}
	if (l != NULL)
		libxl_device_usbdev_list_free(l, num);
	return 0;
}

static int
usb_add(void *arg, uint32_t domid, uint16_t bus_addr, struct sk_error *err)
{
	struct xenctl *x = arg;
	libxl_device_usbdev u;
	int rc;

	libxl_device_usbdev_init(&u);
	libxl_device_usbdev_init_type(&u, LIBXL_USBDEV_TYPE_HOSTDEV);
	u.u.hostdev.hostbus = (uint8_t)(bus_addr >> 8);
	u.u.hostdev.hostaddr = (uint8_t)bus_addr;
	rc = libxl_device_usbdev_add(x->ctx, domid, &u, NULL);
	libxl_device_usbdev_dispose(&u);
	if (rc != 0)
		return sk_errorf(err, EIO, "libxl cannot pass hostbus %u hostaddr "
		    "%u to domain %u (error %d)", bus_addr >> 8, bus_addr & 0xff,
		    domid, rc);
	return 0;
}

static int
usb_remove(void *arg, uint32_t domid, uint16_t bus_addr, struct sk_error *err)
{
	struct xenctl *x = arg;
	libxl_device_usbdev *l;
	int i, num = 0, rc = ERROR_NOTFOUND;

	l = libxl_device_usbdev_list(x->ctx, domid, &num);
	for (i = 0; i < num; i++)
		if (l[i].type == LIBXL_USBDEV_TYPE_HOSTDEV &&
		    bus_addr_of(&l[i]) == bus_addr) {
			rc = libxl_device_usbdev_remove(x->ctx, domid, &l[i],
			    NULL);
			break;
		}
	if (l != NULL)
		libxl_device_usbdev_list_free(l, num);
	if (rc != 0)
		return sk_errorf(err, EIO, "libxl cannot take hostbus %u "
		    "hostaddr %u from domain %u (error %d)", bus_addr >> 8,
		    bus_addr & 0xff, domid, rc);
	return 0;
}

const struct xen_ops xenctl_ops = {
	.find = find, .create = create, .destroy = destroy,
	.arm_wait = arm_wait, .now_ms = mono_ms,
	.usb_list = usb_list, .usb_add = usb_add, .usb_remove = usb_remove,
};

struct xenctl *
xenctl_open(int verbose, struct sk_error *err)
{
	struct xenctl *x;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		sk_errorf(err, ENOMEM, "out of memory");
		return NULL;
	}
	x->log = xtl_createlogger_stdiostream(stderr, verbose ? XTL_DEBUG :
	    XTL_ERROR, XTL_STDIOSTREAM_HIDE_PROGRESS);
	if (x->log == NULL ||
	    libxl_ctx_alloc(&x->ctx, LIBXL_VERSION, 0,
	    (xentoollog_logger *)x->log) != 0) {
		sk_errorf(err, EIO, "libxl: cannot open the toolstack (dom0, "
		    "xenstored running?)");
		xenctl_close(x);
		return NULL;
	}
	if ((x->xs = xs_open(0)) == NULL) {
		sk_errorf(err, errno, "xenstore: %s", strerror(errno));
		xenctl_close(x);
		return NULL;
	}
	return x;
}

void
xenctl_close(struct xenctl *x)
{
	if (x == NULL)
		return;
	if (x->xs != NULL)
		xs_close(x->xs);
	if (x->ctx != NULL)
		libxl_ctx_free(x->ctx);
	if (x->log != NULL)
		xtl_logger_destroy((xentoollog_logger *)x->log);
	free(x);
}
