/* The partition builder's order (see hw/sekisho-partition/builder.h). No Xen here: the
 * operations come from b->ops. */
#include "hw/sekisho-partition/builder.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hw/sekisho-partition/plan.h"
#include "hw/sekisho-partition/usbpass.h"
#include "hw/sekisho-partition/xlcfg.h"

static void
elapsed(const struct builder *b, uint64_t t0, char *s, size_t size)
{
	uint64_t ms = b->ops->now_ms(b->ctx) - t0;

	snprintf(s, size, "%llu.%01llu s", (unsigned long long)(ms / 1000),
	    (unsigned long long)(ms % 1000 / 100));
}

/* The domain called name: found running, or created from cfg. */
static int
ensure(const struct builder *b, const char *name, void *cfg, uint32_t *domid,
    struct sk_error *err)
{
	int rc;

	if ((rc = b->ops->find(b->ctx, name, domid)) == 0) {
		buf_printf(b->out, "%s: already running, domain %u\n", name, *domid);
		return 0;
	}
	if (rc != -ENOENT)
		return sk_errorf(err, -rc, "%s: cannot look the domain up: %s",
		    name, strerror(-rc));
	if ((rc = b->ops->create(b->ctx, cfg, domid, err)) != 0)
		return rc;
	buf_printf(b->out, "%s: created, domain %u\n", name, *domid);
	return 0;
}

static int
not_armed(const struct builder *b, enum arm_state st, uint32_t id,
    const char *msg, struct sk_error *err)
{
	unsigned long long s = (unsigned long long)(b->arm_timeout_ms / 1000);

	switch (st) {
	case ARM_FAILED:
		return sk_errorf(err, EIO, "netvm (domain %u) cannot arm: %s; "
		    "work not started", id, msg);
	case ARM_GONE:
		return sk_errorf(err, ESRCH, "netvm (domain %u) stopped before "
		    "it armed; work not started", id);
	default:
		return sk_errorf(err, ETIMEDOUT, "netvm (domain %u) did not arm "
		    "within %llu s; work not started", id, s);
	}
}

int
builder_up(const struct builder *b, struct sk_error *err)
{
	char msg[ARM_MSG_MAX] = "", t[32];
	uint64_t t0 = b->ops->now_ms(b->ctx);
	enum arm_state st;
	uint32_t netvm, work;
	int rc;

	if ((rc = ensure(b, XL_NETVM_NAME, b->netvm_cfg, &netvm, err)) != 0)
		return rc;
	st = b->ops->arm_wait(b->ctx, netvm, b->arm_timeout_ms, msg);
	if (st != ARM_ARMED)
		return not_armed(b, st, netvm, msg, err);
	elapsed(b, t0, t, sizeof(t));
	buf_printf(b->out, "netvm: armed (%s after up began)\n", t);
	if ((rc = ensure(b, XL_WORK_NAME, b->work_cfg, &work, err)) != 0)
		return rc;
	elapsed(b, t0, t, sizeof(t));
	buf_printf(b->out, "up: done in %s\n", t);
	return 0;
}

static int
stop(const struct builder *b, const char *name, struct sk_error *err)
{
	uint32_t id;
	int rc;

	if ((rc = b->ops->find(b->ctx, name, &id)) == -ENOENT) {
		buf_printf(b->out, "%s: not running\n", name);
		return 0;
	}
	if (rc != 0)
		return sk_errorf(err, -rc, "%s: cannot look the domain up: %s",
		    name, strerror(-rc));
	if ((rc = b->ops->destroy(b->ctx, id, err)) != 0)
		return rc;
	buf_printf(b->out, "%s: destroyed, domain %u\n", name, id);
	return 0;
}

int
builder_down(const struct builder *b, struct sk_error *err)
{
	int rc;

	if ((rc = stop(b, XL_WORK_NAME, err)) != 0)
		return rc;
	return stop(b, XL_NETVM_NAME, err);
}

static const char *
arm_name(enum arm_state st)
{
	switch (st) {
	case ARM_ARMED: return "armed";
	case ARM_FAILED: return "cannot arm";
	case ARM_GONE: return "stopped";
	default: return "not armed";
	}
}

int
builder_status(const struct builder *b, struct sk_error *err)
{
	char msg[ARM_MSG_MAX] = "";
	enum arm_state st = ARM_GONE;
	uint32_t netvm, work;
	int have_netvm, have_work;

	have_netvm = b->ops->find(b->ctx, XL_NETVM_NAME, &netvm) == 0;
	if (have_netvm) {
		st = b->ops->arm_wait(b->ctx, netvm, 0, msg);
		buf_printf(b->out, "netvm: domain %u, %s%s%s\n", netvm,
		    arm_name(st), msg[0] ? ": " : "", msg);
	} else
		buf_printf(b->out, "netvm: not running\n");
	have_work = b->ops->find(b->ctx, XL_WORK_NAME, &work) == 0;
	if (have_work)
		buf_printf(b->out, "work: domain %u, running\n", work);
	else
		buf_printf(b->out, "work: not running\n");
	if (have_netvm && st == ARM_ARMED && have_work)
		return 0;
	return sk_errorf(err, ESRCH, "not up: %s", !have_netvm ?
	    "the netvm is not running" : st != ARM_ARMED ?
	    "the netvm is not armed" : "work is not running");
}

/* ---- usb-attach ---- */

static const struct hw_device *
dev_at(const struct hw_plan *p, uint16_t bus_addr)
{
	const struct hw_device *d;
	size_t i;

	for (i = 0; i < p->n; i++) {
		d = &p->inv->dev[p->a[i].dev];
		if (d->bus == HW_BUS_USB &&
		    (d->busnum << 8 | d->devnum) == bus_addr)
			return d;
	}
	return NULL;
}

int
builder_usb_attach(const struct builder *b, const struct hw_plan *p,
    struct sk_error *err)
{
	uint16_t have[HW_USBPASS_MAX * 2];
	const struct hw_device *d;
	struct hw_usbsync s;
	struct hw_usbid id;
	struct sk_error e1;
	char t[128];
	uint32_t work;
	size_t i, n_have;
	int rc, failed = 0;

	if ((rc = b->ops->find(b->ctx, XL_WORK_NAME, &work)) == -ENOENT) {
		buf_printf(b->out, "work: not running, nothing attached\n");
		return 0;
	}
	if (rc != 0)
		return sk_errorf(err, -rc, "work: cannot look the domain up: %s",
		    strerror(-rc));
	if ((rc = b->ops->usb_list(b->ctx, work, have, nitems(have), &n_have,
	    err)) != 0 || (rc = hw_usbpass_sync(p, have, n_have, &s, err)) != 0)
		return rc;
	for (i = 0; i < s.n_del; i++) {
		d = dev_at(p, s.del[i]);
		buf_printf(b->out, "work: detach hostbus %u hostaddr %u (%s%s)\n",
		    s.del[i] >> 8, s.del[i] & 0xff, d == NULL ? "no device "
		    "there now" : "now usb ", d == NULL ? "" : d->addr);
		if ((rc = b->ops->usb_remove(b->ctx, work, s.del[i], &e1)) != 0) {
			buf_printf(b->out, "work: %s\n", e1.msg);
			if (failed++ == 0)
				*err = e1;
		}
	}
	for (i = 0; i < s.n_add; i++) {
		d = &p->inv->dev[s.add_dev[i]];
		hw_usbid_of(d, &id);
		buf_printf(b->out, "work: attach usb %s (%s, %s) hostbus %u "
		    "hostaddr %u\n", d->addr, d->name, hw_usbid_str(&id, t,
		    sizeof(t)), d->busnum, d->devnum);
		if ((rc = b->ops->usb_add(b->ctx, work, s.add[i], &e1)) != 0) {
			buf_printf(b->out, "work: %s\n", e1.msg);
			if (failed++ == 0)
				*err = e1;
		}
	}
	if (s.n_del == 0 && s.n_add == 0)
		buf_printf(b->out, "work: nothing to change\n");
	return failed ? -EIO : 0;
}
