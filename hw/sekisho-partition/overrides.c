/* The overrides file (docs/hw.md, "The overrides file"):
 *
 *	version 1
 *	assign 0000:00:1f.6 dom0	# a PCI device, by address
 *	assign 054c:06c3 work		# every USB device with this id
 *
 * Only the syntax is checked here; whether an override may apply is a rule
 * of the plan (hw/sekisho-partition/plan.c). */
#include "hw/sekisho-partition/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sekisho-partition/conf.h"

/* "0000:00:1f.6" or "00:1f.6" (domain 0), hex in either case; written
 * back normalised, lower case. */
static int
parse_pci_addr(const struct conf_word *w, char *out, size_t size)
{
	unsigned int dom = 0, bus, dev, fn;
	const char *s = w->s;
	size_t n = w->len;

	if (n == 12) {
		if (s[4] != ':' || conf_hex(s, 4, 4, &dom) != 0)
			return -EINVAL;
		s += 5;
		n -= 5;
	}
	if (n != 7 || s[2] != ':' || s[5] != '.' ||
	    conf_hex(s, 2, 2, &bus) != 0 || conf_hex(s + 3, 2, 2, &dev) != 0 ||
	    conf_hex(s + 6, 1, 1, &fn) != 0 || dev > 0x1f || fn > 7)
		return -EINVAL;
	snprintf(out, size, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
}

static int
parse_target(struct conf_line *l, const struct conf_word *w,
    struct hw_override *o)
{
	unsigned int v, p;
	char s[64];

	if (w->len == 9 && w->s[4] == ':' && conf_hex(w->s, 4, 4, &v) == 0 &&
	    conf_hex(w->s + 5, 4, 4, &p) == 0) {
		o->bus = HW_BUS_USB;
		o->vendor = (uint16_t)v;
		o->product = (uint16_t)p;
		return 0;
	}
	if (parse_pci_addr(w, o->addr, sizeof(o->addr)) == 0) {
		o->bus = HW_BUS_PCI;
		return 0;
	}
	return conf_err(l, "bad device %s, expected a PCI address "
	    "(0000:00:1f.6) or a USB id (054c:06c3)", conf_show(w, s, sizeof(s)));
}

static int
same_target(const struct hw_override *a, const struct hw_override *b)
{
	if (a->bus != b->bus)
		return 0;
	if (a->bus == HW_BUS_PCI)
		return strcmp(a->addr, b->addr) == 0;
	return a->vendor == b->vendor && a->product == b->product;
}

static const char *
target_str(const struct hw_override *o, char *buf, size_t size)
{
	if (o->bus == HW_BUS_PCI)
		snprintf(buf, size, "%s", o->addr);
	else
		snprintf(buf, size, "%04x:%04x", o->vendor, o->product);
	return buf;
}

static int
add(struct conf_line *l, struct hw_overrides *ov, size_t *cap,
    const struct hw_override *o)
{
	struct hw_override *n;
	char t[HW_ADDR_MAX];
	size_t i;

	for (i = 0; i < ov->n; i++)
		if (same_target(&ov->o[i], o))
			return conf_err(l, "%s already assigned at line %u",
			    target_str(o, t, sizeof(t)), ov->o[i].line);
	if (ov->n == HW_OVERRIDES_MAX)
		return conf_err(l, "too many overrides, at most %d",
		    HW_OVERRIDES_MAX);
	if (ov->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((n = realloc(ov->o, *cap * sizeof(*n))) == NULL)
			return sk_errorf(l->r->err, ENOMEM, "%s: out of memory",
			    l->r->name);
		ov->o = n;
	}
	ov->o[ov->n++] = *o;
	return 0;
}

static int
parse_line(struct conf_line *l, struct hw_overrides *ov, size_t *cap)
{
	struct conf_word w;
	struct hw_override o;
	char s[64];
	int rc;

	memset(&o, 0, sizeof(o));
	o.line = l->line;
	conf_word(l, &w);
	if (!conf_word_is(&w, "assign"))
		return conf_err(l, "unknown directive %s, expected 'assign'",
		    conf_show(&w, s, sizeof(s)));
	if (!conf_word(l, &w))
		return conf_err(l, "expected a device after 'assign'");
	if ((rc = parse_target(l, &w, &o)) != 0)
		return rc;
	if (!conf_word(l, &w))
		return conf_err(l, "expected netvm, work or dom0 after the device");
	if (hw_domain_parse(w.s, w.len, &o.dom) != 0)
		return conf_err(l, "unknown partition %s, expected netvm, work or "
		    "dom0", conf_show(&w, s, sizeof(s)));
	if (conf_word(l, &w))
		return conf_err(l, "unexpected %s after the partition",
		    conf_show(&w, s, sizeof(s)));
	return add(l, ov, cap, &o);
}

int
hw_overrides_parse_buf(const char *name, const char *buf, size_t len,
    struct hw_overrides *out, struct sk_error *err)
{
	struct hw_overrides ov;
	struct conf_reader r;
	struct conf_line l;
	size_t cap = 0;
	int rc;

	if (len > HW_OVERRIDES_MAX_SIZE)
		return sk_errorf(err, EFBIG, "%s: file too large, at most %u "
		    "bytes", name, HW_OVERRIDES_MAX_SIZE);
	memset(&ov, 0, sizeof(ov));
	conf_init(&r, name, buf, len, err);
	if ((rc = conf_version(&r)) != 0)
		return rc;
	while ((rc = conf_next(&r, &l)) == 1)
		if ((rc = parse_line(&l, &ov, &cap)) != 0)
			break;
	if (rc != 0) {
		free(ov.o);
		return rc;
	}
	sk_strlcpy(ov.file, name, sizeof(ov.file));
	*out = ov;
	return 0;
}

int
hw_overrides_parse_file(const char *path, struct hw_overrides *out,
    struct sk_error *err)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = conf_read_file(path, HW_OVERRIDES_MAX_SIZE, &buf, &len,
	    err)) != 0)
		return rc;
	rc = hw_overrides_parse_buf(path, buf, len, out, err);
	free(buf);
	return rc;
}

void
hw_overrides_free(struct hw_overrides *ov)
{
	free(ov->o);
	memset(ov, 0, sizeof(*ov));
}

void
hw_overrides_print(struct buf *b, const struct hw_overrides *ov)
{
	size_t i;

	buf_printf(b, "version %d\n", CONF_VERSION);
	for (i = 0; i < ov->n; i++) {
		const struct hw_override *o = &ov->o[i];

		if (o->bus == HW_BUS_PCI)
			buf_printf(b, "assign %s %s\n", o->addr,
			    hw_domain_name(o->dom));
		else
			buf_printf(b, "assign %04x:%04x %s\n", o->vendor,
			    o->product, hw_domain_name(o->dom));
	}
}
