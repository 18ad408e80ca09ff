/* The partition plan: the rules, then the overrides (see hw/sekisho-partition/plan.h). */
#include "hw/sekisho-partition/plan.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sekisho-partition/classify.h"

static const char *const domain_names[HW_DOM_COUNT] = {
	[HW_DOM_DOM0] = "dom0",
	[HW_DOM_NETVM] = "netvm",
	[HW_DOM_WORK] = "work",
};

const char *
hw_domain_name(enum hw_domain dom)
{
	return (unsigned)dom < HW_DOM_COUNT ? domain_names[dom] : "dom0";
}

int
hw_domain_parse(const char *s, size_t len, enum hw_domain *out)
{
	size_t i;

	for (i = 0; i < HW_DOM_COUNT; i++)
		if (strlen(domain_names[i]) == len &&
		    memcmp(domain_names[i], s, len) == 0) {
			*out = (enum hw_domain)i;
			return 0;
		}
	return -EINVAL;
}

const char *
hw_via_name(enum hw_via via)
{
	return via == HW_VIA_PCI ? "pci" : via == HW_VIA_USB ? "usb" : "none";
}

static void
reason(struct hw_assign *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reason(struct hw_assign *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
}

/* ---- the rules ---- */

/* Interface classes work may be given, besides vendor-specific ones of a
 * device the id table names. */
static int
work_interface_ok(const struct hw_device *d, const struct hw_usbif *u)
{
	switch (u->cls) {
	case 0x01:	/* audio: a camera's microphone */
	case 0x03:	/* HID: buttons of readers and cameras */
	case 0x0b:	/* smart card (CCID) */
	case 0x0e:	/* video */
	case 0x10:	/* audio/video */
		return 1;
	case 0xfe:	/* application-specific: only firmware update */
		return u->sub == 0x01;
	case 0xff:
		return d->table_match;
	default:
		return 0;
	}
}

/* Why a work device must stay with dom0, or NULL when work may have it. */
static const char *
work_blocker(const struct hw_device *d, char *buf, size_t size)
{
	size_t i;

	if (d->bus != HW_BUS_USB)
		return "work gets USB devices only";
	if (d->nconfigs != 1) {
		snprintf(buf, size, "it offers %u configurations and work could "
		    "switch to one not inspected", d->nconfigs);
		return buf;
	}
	if (d->n_usbifs == 0)
		return "none of its interfaces could be inspected";
	for (i = 0; i < d->n_usbifs; i++) {
		const struct hw_usbif *u = &d->usbifs[i];

		if (work_interface_ok(d, u))
			continue;
		if (u->cls == 0xff)
			snprintf(buf, size, "interface %s is vendor-specific and "
			    "the id is not in the device table", u->addr);
		else
			snprintf(buf, size, "interface %s is %s, which work is "
			    "not given", u->addr,
			    hw_usb_class_name(u->cls, u->sub, u->proto));
		return buf;
	}
	return NULL;
}

void
hw_plan_rule(const struct hw_device *d, struct hw_assign *a)
{
	const char *block;
	char buf[160];

	a->dom = HW_DOM_DOM0;
	a->via = HW_VIA_NONE;
	a->unknown = a->held = 0;
	a->override_line = 0;
	if (d->network) {
		a->dom = HW_DOM_NETVM;
		a->via = d->bus == HW_BUS_PCI ? HW_VIA_PCI : HW_VIA_USB;
		reason(a, "network-capable, the netvm owns it: %s", d->why);
	} else if (hw_kind_is_work(d->kind) &&
	    (block = work_blocker(d, buf, sizeof(buf))) != NULL) {
		a->held = 1;
		reason(a, "%s held back in dom0 because %s: %s",
		    hw_kind_name(d->kind), block, d->why);
	} else if (hw_kind_is_work(d->kind)) {
		a->dom = HW_DOM_WORK;
		a->via = HW_VIA_USB;
		reason(a, "%s for work: %s", hw_kind_name(d->kind), d->why);
	} else if (d->kind == HW_KIND_PLATFORM) {
		reason(a, "platform device, stays with dom0: %s", d->why);
	} else {
		a->unknown = 1;
		reason(a, "not known to the rules, stays with dom0: %s", d->why);
	}
}

/* ---- overrides ---- */

static int
matches(const struct hw_override *o, const struct hw_device *d)
{
	if (o->bus != d->bus)
		return 0;
	if (o->bus == HW_BUS_PCI)
		return strcmp(o->addr, d->addr) == 0;
	return o->vendor == d->vendor && o->product == d->product;
}

static const char *
override_target(const struct hw_override *o, char *buf, size_t size)
{
	if (o->bus == HW_BUS_PCI)
		snprintf(buf, size, "%s", o->addr);
	else
		snprintf(buf, size, "%04x:%04x", o->vendor, o->product);
	return buf;
}

/* 0, or -EINVAL when the override breaks a rule no override may break. */
static int
check_override(const struct hw_overrides *ov, const struct hw_override *o,
    const struct hw_device *d, struct sk_error *err)
{
	char t[HW_ADDR_MAX];

	if (o->dom != HW_DOM_WORK)
		return 0;
	if (d->network)
		return sk_errorf(err, EINVAL, "%s:%u: refused: %s %s (%s, %s) is "
		    "network-capable and never goes to work", ov->file, o->line,
		    hw_bus_name(d->bus), d->addr, hw_kind_name(d->kind), d->name);
	if (d->bus == HW_BUS_PCI)
		return sk_errorf(err, EINVAL, "%s:%u: refused: %s is a PCI device "
		    "and work gets USB devices only", ov->file, o->line,
		    override_target(o, t, sizeof(t)));
	return 0;
}

static void
apply(const struct hw_overrides *ov, const struct hw_override *o,
    const struct hw_device *d, struct hw_assign *a)
{
	char rule[HW_REASON_MAX];
	enum hw_domain was = a->dom;

	snprintf(rule, sizeof(rule), "%s", a->reason);
	a->dom = o->dom;
	a->via = o->dom == HW_DOM_DOM0 ? HW_VIA_NONE :
	    d->bus == HW_BUS_PCI ? HW_VIA_PCI : HW_VIA_USB;
	a->override_line = o->line;
	a->unknown = a->held = 0;
	reason(a, "override %s:%u; the rules said %s: %s", ov->file, o->line,
	    hw_domain_name(was), rule);
}

int
hw_plan_note(struct hw_plan *p, const char *fmt, ...)
{
	char (*n)[HW_REASON_MAX];
	va_list ap;

	if ((n = realloc(p->notes, (p->n_notes + 1) * sizeof(*n))) == NULL)
		return -ENOMEM;
	p->notes = n;
	va_start(ap, fmt);
	vsnprintf(p->notes[p->n_notes++], HW_REASON_MAX, fmt, ap);
	va_end(ap);
	return 0;
}

static int
apply_overrides(struct hw_plan *p, const struct hw_overrides *ov,
    struct sk_error *err)
{
	char t[HW_ADDR_MAX];
	size_t i, j, hits;
	int rc;

	for (i = 0; i < ov->n; i++) {
		for (j = 0, hits = 0; j < p->n; j++) {
			if (!matches(&ov->o[i], &p->inv->dev[j]))
				continue;
			if ((rc = check_override(ov, &ov->o[i], &p->inv->dev[j],
			    err)) != 0)
				return rc;
			apply(ov, &ov->o[i], &p->inv->dev[j], &p->a[j]);
			hits++;
		}
		if (hits == 0 && hw_plan_note(p, "%s:%u: override for %s matches no "
		    "device", ov->file, ov->o[i].line,
		    override_target(&ov->o[i], t, sizeof(t))) != 0)
			return sk_errorf(err, ENOMEM, "out of memory");
	}
	return 0;
}

int
hw_plan_make(const struct hw_inventory *inv, const struct hw_overrides *ov,
    struct hw_plan *out, struct sk_error *err)
{
	struct hw_plan p;
	size_t i;
	int rc;

	memset(&p, 0, sizeof(p));
	p.inv = inv;
	p.n = inv->n;
	p.overrides_file = ov != NULL ? ov->file : NULL;
	if (inv->n > 0 && (p.a = calloc(inv->n, sizeof(*p.a))) == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	for (i = 0; i < inv->n; i++) {
		p.a[i].dev = i;
		hw_plan_rule(&inv->dev[i], &p.a[i]);
	}
	if (ov != NULL && (rc = apply_overrides(&p, ov, err)) != 0) {
		hw_plan_free(&p);
		return rc;
	}
	for (i = 0; i < p.n; i++) {
		p.n_unknown += p.a[i].unknown;
		p.n_held += p.a[i].held;
	}
	*out = p;
	return 0;
}

void
hw_plan_free(struct hw_plan *p)
{
	free(p->a);
	free(p->notes);
	memset(p, 0, sizeof(*p));
}
