/* The work USB file and what it does to a plan (see hw/sekisho-partition/usbpass.h). */
#include "hw/sekisho-partition/usbpass.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sekisho-partition/conf.h"

/* One word of printable ASCII that no sanitising touched. */
static int
serial_usable(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= HW_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f || s[i] == '#' || s[i] == '?')
			return 0;
	return 1;
}

/* "B-P[.P]...": bus 1..65535, ports 1..255, at most HW_PORT_DEPTH_MAX
 * ports, no leading zeros: sysfs's name for a device that is no root hub. */
static int
port_valid(const char *s, size_t len)
{
	size_t i = 0, start, depth = 0;
	unsigned long v;
	int sep = '-';

	if (len == 0 || len >= HW_ADDR_MAX)
		return 0;
	for (;;) {
		start = i;
		v = 0;
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 5)
			v = v * 10 + (unsigned long)(s[i++] - '0');
		if (i == start || (s[start] == '0') || v == 0 ||
		    v > (depth == 0 ? 65535ul : 255ul))
			return 0;
		if (i == len)
			return depth >= 1;
		if (s[i] != sep || ++depth > HW_PORT_DEPTH_MAX)
			return 0;
		sep = '.';
		i++;
	}
}

void
hw_usbid_of(const struct hw_device *d, struct hw_usbid *id)
{
	memset(id, 0, sizeof(*id));
	id->vendor = d->vendor;
	id->product = d->product;
	if (serial_usable(d->serial, strlen(d->serial))) {
		id->by = HW_USBID_SERIAL;
		sk_strlcpy(id->serial, d->serial, sizeof(id->serial));
	} else {
		id->by = HW_USBID_PORT;
		sk_strlcpy(id->port, d->addr, sizeof(id->port));
	}
}

int
hw_usbid_matches(const struct hw_usbid *id, const struct hw_device *d)
{
	if (d->bus != HW_BUS_USB || d->vendor != id->vendor ||
	    d->product != id->product)
		return 0;
	if (id->by == HW_USBID_SERIAL)
		return serial_usable(d->serial, strlen(d->serial)) &&
		    strcmp(d->serial, id->serial) == 0;
	return strcmp(d->addr, id->port) == 0;
}

static int
same_id(const struct hw_usbid *a, const struct hw_usbid *b)
{
	return a->vendor == b->vendor && a->product == b->product &&
	    a->by == b->by && strcmp(a->serial, b->serial) == 0 &&
	    strcmp(a->port, b->port) == 0;
}

const char *
hw_usbid_str(const struct hw_usbid *id, char *buf, size_t size)
{
	snprintf(buf, size, "%04x:%04x %s %s", id->vendor, id->product,
	    id->by == HW_USBID_SERIAL ? "serial" : "port",
	    id->by == HW_USBID_SERIAL ? id->serial : id->port);
	return buf;
}

/* ---- the file ---- */

static int
add(struct conf_line *l, struct hw_usbpass *up, const struct hw_usbid *id)
{
	struct hw_usbid *n;
	char t[128];
	size_t i;

	for (i = 0; i < up->n; i++)
		if (same_id(&up->id[i], id))
			return conf_err(l, "%s already listed at line %u",
			    hw_usbid_str(id, t, sizeof(t)), up->id[i].line);
	if (up->n == HW_USBPASS_MAX)
		return conf_err(l, "too many devices, at most %d",
		    HW_USBPASS_MAX);
	if ((n = realloc(up->id, (up->n + 1) * sizeof(*n))) == NULL)
		return sk_errorf(l->r->err, ENOMEM, "%s: out of memory",
		    l->r->name);
	up->id = n;
	up->id[up->n++] = *id;
	return 0;
}

static int
parse_line(struct conf_line *l, struct hw_usbpass *up)
{
	struct conf_word w;
	struct hw_usbid id;
	unsigned int v, p;
	char s[64];

	memset(&id, 0, sizeof(id));
	id.line = l->line;
	conf_word(l, &w);
	if (!conf_word_is(&w, "work"))
		return conf_err(l, "unknown partition %s, expected 'work' (this "
		    "file lists work's USB devices only)",
		    conf_show(&w, s, sizeof(s)));
	if (!conf_word(l, &w) || !conf_word_is(&w, "usb"))
		return conf_err(l, "expected 'usb' after 'work'");
	if (!conf_word(l, &w))
		return conf_err(l, "expected a USB id (076b:3031) after 'usb'");
	if (w.len != 9 || w.s[4] != ':' || conf_hex(w.s, 4, 4, &v) != 0 ||
	    conf_hex(w.s + 5, 4, 4, &p) != 0)
		return conf_err(l, "bad USB id %s, expected VENDOR:PRODUCT in hex "
		    "(076b:3031)", conf_show(&w, s, sizeof(s)));
	id.vendor = (uint16_t)v;
	id.product = (uint16_t)p;
	if (!conf_word(l, &w))
		return conf_err(l, "expected 'serial' or 'port' after the id");
	if (conf_word_is(&w, "serial")) {
		id.by = HW_USBID_SERIAL;
		if (!conf_word(l, &w))
			return conf_err(l, "expected the serial after 'serial'");
		if (!serial_usable(w.s, w.len))
			return conf_err(l, "bad serial %s, expected 1 to %d "
			    "printable characters, no '?'",
			    conf_show(&w, s, sizeof(s)), HW_NAME_MAX - 1);
		memcpy(id.serial, w.s, w.len);
	} else if (conf_word_is(&w, "port")) {
		id.by = HW_USBID_PORT;
		if (!conf_word(l, &w))
			return conf_err(l, "expected the port path after 'port'");
		if (!port_valid(w.s, w.len))
			return conf_err(l, "bad port path %s, expected BUS-PORT"
			    "[.PORT]... (1-2.3), at most %d ports",
			    conf_show(&w, s, sizeof(s)), HW_PORT_DEPTH_MAX);
		memcpy(id.port, w.s, w.len);
	} else
		return conf_err(l, "unknown identity %s, expected 'serial' or "
		    "'port'", conf_show(&w, s, sizeof(s)));
	if (conf_word(l, &w))
		return conf_err(l, "unexpected %s after the %s",
		    conf_show(&w, s, sizeof(s)), id.by == HW_USBID_SERIAL ?
		    "serial" : "port path");
	return add(l, up, &id);
}

int
hw_usbpass_parse_buf(const char *name, const char *buf, size_t len,
    struct hw_usbpass *out, struct sk_error *err)
{
	struct hw_usbpass up;
	struct conf_reader r;
	struct conf_line l;
	int rc;

	if (len > HW_USBPASS_MAX_SIZE)
		return sk_errorf(err, EFBIG, "%s: file too large, at most %u "
		    "bytes", name, HW_USBPASS_MAX_SIZE);
	memset(&up, 0, sizeof(up));
	conf_init(&r, name, buf, len, err);
	if ((rc = conf_version(&r)) != 0)
		return rc;
	while ((rc = conf_next(&r, &l)) == 1)
		if ((rc = parse_line(&l, &up)) != 0)
			break;
	if (rc != 0) {
		free(up.id);
		return rc;
	}
	sk_strlcpy(up.file, name, sizeof(up.file));
	*out = up;
	return 0;
}

int
hw_usbpass_parse_file(const char *path, struct hw_usbpass *out,
    struct sk_error *err)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = conf_read_file(path, HW_USBPASS_MAX_SIZE, &buf, &len,
	    err)) != 0)
		return rc;
	rc = hw_usbpass_parse_buf(path, buf, len, out, err);
	free(buf);
	return rc;
}

void
hw_usbpass_free(struct hw_usbpass *up)
{
	free(up->id);
	memset(up, 0, sizeof(*up));
}

void
hw_usbpass_print(struct buf *b, const struct hw_usbpass *up,
    const struct hw_inventory *inv)
{
	char t[128];
	size_t i, j;

	buf_printf(b, "version %d\n", CONF_VERSION);
	for (i = 0; i < up->n; i++) {
		buf_printf(b, "work usb %s", hw_usbid_str(&up->id[i], t,
		    sizeof(t)));
		for (j = 0; inv != NULL && j < inv->n; j++)
			if (hw_usbid_matches(&up->id[i], &inv->dev[j])) {
				buf_printf(b, "\t# %s, now usb %s", inv->dev[j].name,
				    inv->dev[j].addr);
				break;
			}
		buf_printf(b, "\n");
	}
}

/* ---- the plan ---- */

static int
work_usb(const struct hw_assign *a)
{
	return a->dom == HW_DOM_WORK && a->via == HW_VIA_USB;
}

int
hw_usbpass_from_plan(const struct hw_plan *p, struct hw_usbpass *out,
    struct sk_error *err)
{
	struct hw_usbpass up;
	struct hw_usbid id;
	char t[128];
	size_t i, j;

	memset(&up, 0, sizeof(up));
	for (i = 0; i < p->n; i++) {
		if (!work_usb(&p->a[i]))
			continue;
		hw_usbid_of(&p->inv->dev[p->a[i].dev], &id);
		for (j = 0; j < up.n; j++)
			if (same_id(&up.id[j], &id)) {
				hw_usbpass_free(&up);
				return sk_errorf(err, EINVAL, "usb %s and usb %s "
				    "are both %s: they cannot be told apart",
				    p->inv->dev[p->a[j].dev].addr,
				    p->inv->dev[p->a[i].dev].addr,
				    hw_usbid_str(&id, t, sizeof(t)));
			}
		if (up.n == HW_USBPASS_MAX) {
			hw_usbpass_free(&up);
			return sk_errorf(err, EINVAL, "more than %d work USB "
			    "devices", HW_USBPASS_MAX);
		}
		struct hw_usbid *n = realloc(up.id, (up.n + 1) * sizeof(*n));
		if (n == NULL) {
			hw_usbpass_free(&up);
			return sk_errorf(err, ENOMEM, "out of memory");
		}
		up.id = n;
		up.id[up.n++] = id;
	}
	*out = up;
	return 0;
}

/* To dom0, held, with a reason; the reason before is dropped, the rule's
 * kind is still in the plan. */
static void
to_dom0(struct hw_assign *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
to_dom0(struct hw_assign *a, const char *fmt, ...)
{
	va_list ap;

	a->dom = HW_DOM_DOM0;
	a->via = HW_VIA_NONE;
	a->held = 1;
	va_start(ap, fmt);
	vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
	va_end(ap);
}

int
hw_usbpass_apply(struct hw_plan *p, const struct hw_usbpass *up,
    struct sk_error *err)
{
	const struct hw_device *d;
	char t[128], was[HW_REASON_MAX];
	size_t i, j, hits, first = 0, dev_hits;
	int rc = 0;

	/* Each entry: the devices it names; more than one is ambiguous. */
	for (i = 0; i < up->n && rc == 0; i++) {
		for (j = 0, hits = 0; j < p->n; j++)
			if (hw_usbid_matches(&up->id[i], &p->inv->dev[j])) {
				if (hits++ == 0)
					first = j;
			}
		hw_usbid_str(&up->id[i], t, sizeof(t));
		if (hits == 0)
			rc = hw_plan_note(p, "%s:%u: no device is %s (unplugged?)",
			    up->file, up->id[i].line, t);
		else if (hits > 1)
			rc = hw_plan_note(p, "%s:%u: %zu devices are %s: none of "
			    "them goes to work", up->file, up->id[i].line, hits, t);
		else if (!work_usb(&p->a[first]))
			rc = hw_plan_note(p, "%s:%u: usb %s (%s) is %s's by the "
			    "rules, not work's: left there", up->file,
			    up->id[i].line, p->inv->dev[first].addr, t,
			    hw_domain_name(p->a[first].dom));
	}
	if (rc != 0)
		return sk_errorf(err, ENOMEM, "out of memory");
	/* Each work USB device: exactly one entry names it, and it is the
	 * only device that entry names; otherwise dom0. */
	for (i = 0; i < p->n; i++) {
		if (!work_usb(&p->a[i]))
			continue;
		d = &p->inv->dev[p->a[i].dev];
		for (j = 0, hits = 0; j < up->n; j++)
			if (hw_usbid_matches(&up->id[j], d)) {
				if (hits++ == 0)
					first = j;
			}
		if (hits == 0) {
			to_dom0(&p->a[i], "not in %s: work gets only the USB "
			    "devices it names, left with dom0", up->file);
			p->n_held++;
			continue;
		}
		for (j = 0, dev_hits = 0; j < p->n; j++)
			dev_hits += hw_usbid_matches(&up->id[first],
			    &p->inv->dev[j]);
		if (dev_hits > 1) {
			to_dom0(&p->a[i], "%s:%u names %zu devices, this one "
			    "among them: left with dom0", up->file,
			    up->id[first].line, dev_hits);
			p->n_held++;
			continue;
		}
		/* The rule's reason after the line's, cut if need be. */
		sk_strlcpy(was, p->a[i].reason, sizeof(was));
		if (snprintf(p->a[i].reason, sizeof(p->a[i].reason), "%s:%u "
		    "names it (%s, now hostbus %u hostaddr %u); %s", up->file,
		    up->id[first].line, hw_usbid_str(&up->id[first], t,
		    sizeof(t)), d->busnum, d->devnum, was) < 0)
			p->a[i].reason[0] = '\0';
	}
	return 0;
}

/* ---- attaching ---- */

int
hw_usbpass_sync(const struct hw_plan *p, const uint16_t *have,
    size_t n_have, struct hw_usbsync *out, struct sk_error *err)
{
	const struct hw_device *d;
	uint16_t want[HW_USBPASS_MAX];
	size_t want_dev[HW_USBPASS_MAX];
	size_t i, j, n_want = 0;

	memset(out, 0, sizeof(*out));
	if (n_have > nitems(out->del))
		return sk_errorf(err, EINVAL, "work has %zu USB devices, at "
		    "most %zu expected", n_have, nitems(out->del));
	for (i = 0; i < p->n; i++) {
		if (!work_usb(&p->a[i]))
			continue;
		d = &p->inv->dev[p->a[i].dev];
		if (d->busnum < 1 || d->busnum > 255 || d->devnum < 1 ||
		    d->devnum > 255)
			return sk_errorf(err, EINVAL, "usb %s: bus %u address "
			    "%u out of range", d->addr, d->busnum, d->devnum);
		if (n_want == HW_USBPASS_MAX)
			return sk_errorf(err, EINVAL, "more than %d work USB "
			    "devices", HW_USBPASS_MAX);
		want_dev[n_want] = p->a[i].dev;
		want[n_want++] = (uint16_t)(d->busnum << 8 | d->devnum);
	}
	for (i = 0; i < n_have; i++) {
		for (j = 0; j < n_want && want[j] != have[i]; j++)
			;
		if (j == n_want)
			out->del[out->n_del++] = have[i];
	}
	for (j = 0; j < n_want; j++) {
		for (i = 0; i < n_have && have[i] != want[j]; i++)
			;
		if (i == n_have) {
			out->add_dev[out->n_add] = want_dev[j];
			out->add[out->n_add++] = want[j];
		}
	}
	return 0;
}
