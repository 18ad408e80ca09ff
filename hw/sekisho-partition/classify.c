/* Classification of one device (see hw/sekisho-partition/classify.h, docs/hw.md).
 *
 * Two questions, in this order:
 *  1. Can it carry network traffic? Any one sign is enough: a network
 *     interface or a kernel WWAN port below it, a network class (PCI 0x02,
 *     0x0d, modem 0x0703; USB CDC, CDC data, wireless controller, RNDIS), or
 *     an id the table lists as a network kind. Nothing can undo a sign.
 *  2. Otherwise, what is it? The id table, then the USB interface classes
 *     (CCID, video), then hubs, input devices and PCI platform classes.
 *     Anything else is unknown. */
#include "hw/sekisho-partition/classify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The signs of what a device is: the highest rank names the kind, the two
 * best are the evidence given (docs/hw.md). */
enum {
	RANK_GENERIC = 1,	/* "some network", hub, platform, unknown */
	RANK_CLASS = 2,		/* a class that names the kind */
	RANK_SPECIFIC = 3,	/* a named function: an IR camera among cameras */
	RANK_TABLE = 4,		/* the id table */
	RANK_NETIF = 5,		/* the kernel's own view: wlan, wwan */
};

#define MAX_SIGNS	8
#define SIGNS_SHOWN	2

struct sign {
	enum hw_kind kind;
	int rank;
	char text[(HW_WHY_MAX - 2) / SIGNS_SHOWN];
};

struct verdict {
	struct sign s[MAX_SIGNS];
	size_t n;
};

static void
note(struct verdict *v, enum hw_kind kind, int rank, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
note(struct verdict *v, enum hw_kind kind, int rank, const char *fmt, ...)
{
	struct sign *g;
	va_list ap;
	size_t i;

	if (v->n < MAX_SIGNS)
		g = &v->s[v->n++];
	else {		/* full: the weakest sign makes room for a stronger one */
		for (g = &v->s[0], i = 1; i < MAX_SIGNS; i++)
			if (v->s[i].rank < g->rank)
				g = &v->s[i];
		if (g->rank >= rank)
			return;
	}
	g->kind = kind;
	g->rank = rank;
	va_start(ap, fmt);
	vsnprintf(g->text, sizeof(g->text), fmt, ap);
	va_end(ap);
}

/* The best sign (first of the highest rank), or NULL. */
static const struct sign *
best(const struct verdict *v, const struct sign *not)
{
	const struct sign *b = NULL;
	size_t i;

	for (i = 0; i < v->n; i++)
		if (&v->s[i] != not && (b == NULL || v->s[i].rank > b->rank))
			b = &v->s[i];
	return b;
}

static void
conclude(const struct verdict *v, struct hw_device *d)
{
	const struct sign *a = best(v, NULL), *b = best(v, a);

	d->kind = a ? a->kind : HW_KIND_UNKNOWN;
	snprintf(d->why, sizeof(d->why), "%s%s%s", a ? a->text : "no sign",
	    b ? "; " : "", b ? b->text : "");
}

/* ---- 1. network ---- */

static void
net_netifs(const struct hw_device *d, struct verdict *v)
{
	static const char *const type[] = { "ether", "wlan", "wwan" };
	static const enum hw_kind kind[] = {
		HW_KIND_ETHERNET, HW_KIND_WIFI, HW_KIND_WWAN
	};
	size_t i;

	for (i = 0; i < d->n_netifs; i++)
		note(v, kind[d->netifs[i].type],
		    d->netifs[i].type == HW_NETIF_ETHER ? RANK_GENERIC : RANK_NETIF,
		    "network interface %s (%s)", d->netifs[i].name,
		    type[d->netifs[i].type]);
	if (d->more_netifs)
		note(v, HW_KIND_NETWORK, RANK_GENERIC, "more network interfaces");
	if (d->wwan_port)
		note(v, HW_KIND_WWAN, RANK_NETIF, "kernel WWAN port");
}

static void
net_pci_class(const struct hw_device *d, struct verdict *v)
{
	uint32_t c = d->pci_class >> 8;
	enum hw_kind k;

	if (c >> 8 == 0x02)
		k = c == 0x0200 ? HW_KIND_ETHERNET :
		    c == 0x0280 ? HW_KIND_WIFI : HW_KIND_NETWORK;
	else if (c >> 8 == 0x0d)
		k = c == 0x0d11 ? HW_KIND_BLUETOOTH :
		    (c == 0x0d20 || c == 0x0d21) ? HW_KIND_WIFI :
		    (c == 0x0d40 || c == 0x0d41) ? HW_KIND_WWAN : HW_KIND_NETWORK;
	else if (c == 0x0703)
		k = HW_KIND_WWAN;
	else
		return;
	note(v, k, k == HW_KIND_NETWORK ? RANK_GENERIC : RANK_CLASS,
	    "PCI class 0x%04x (%s)", (unsigned)c, hw_pci_class_name(d->pci_class));
}

/* The network kind a USB class stands for, or HW_KIND_UNKNOWN. */
static enum hw_kind
usb_net_kind(uint8_t cls, uint8_t sub, uint8_t proto)
{
	switch (cls) {
	case 0x02:
		if (sub == 0x0e || (sub == 0x02 && proto >= 1 && proto <= 6))
			return HW_KIND_WWAN;
		if (sub == 0x06 || sub == 0x0c || sub == 0x0d)
			return HW_KIND_ETHERNET;
		return HW_KIND_NETWORK;
	case 0x0a:
		return HW_KIND_NETWORK;
	case 0xe0:
		if (sub == 0x01 && (proto == 0x01 || proto == 0x04))
			return HW_KIND_BLUETOOTH;
		return HW_KIND_NETWORK;
	case 0xef:
		return sub == 0x04 ? HW_KIND_NETWORK : HW_KIND_UNKNOWN;
	default:
		return HW_KIND_UNKNOWN;
	}
}

static void
net_usb_class(const struct hw_device *d, struct verdict *v)
{
	enum hw_kind k;
	size_t i;

	k = usb_net_kind(d->cls, d->sub, d->proto);
	if (k != HW_KIND_UNKNOWN)
		note(v, k, k == HW_KIND_NETWORK ? RANK_GENERIC : RANK_CLASS,
		    "USB device class %02x (%s)", d->cls,
		    hw_usb_class_name(d->cls, d->sub, d->proto));
	for (i = 0; i < d->n_usbifs; i++) {
		const struct hw_usbif *u = &d->usbifs[i];

		k = usb_net_kind(u->cls, u->sub, u->proto);
		if (k == HW_KIND_UNKNOWN)
			continue;
		note(v, k, k == HW_KIND_NETWORK ? RANK_GENERIC : RANK_CLASS,
		    "interface %s is %s (%02x/%02x/%02x)", u->addr,
		    hw_usb_class_name(u->cls, u->sub, u->proto), u->cls, u->sub,
		    u->proto);
	}
}

static void
table_source(const struct hw_table *tab, const struct hw_id *e, char *buf,
    size_t size)
{
	if (e->line == 0)
		snprintf(buf, size, "built-in table");
	else
		snprintf(buf, size, "%s:%u", tab->file, e->line);
}

/* ---- 2. everything else ---- */

static int
is_word_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* "IR" as a word, or "infrared" in any case. */
static int
says_infrared(const char *s)
{
	const char *p;

	for (p = s; (p = strstr(p, "IR")) != NULL; p += 2)
		if ((p == s || !is_word_char(p[-1])) && !is_word_char(p[2]))
			return 1;
	return strcasestr(s, "infrared") != NULL;
}

static int
all_ifs(const struct hw_device *d, uint8_t cls)
{
	size_t i;

	for (i = 0; i < d->n_usbifs; i++)
		if (d->usbifs[i].cls != cls)
			return 0;
	return d->n_usbifs > 0;
}

static void
usb_function(const struct hw_device *d, struct verdict *v)
{
	size_t i;

	for (i = 0; i < d->n_usbifs; i++) {
		const struct hw_usbif *u = &d->usbifs[i];

		if (u->cls == 0x0b)
			note(v, HW_KIND_CARD_READER, RANK_CLASS,
			    "interface %s is a smart card reader (CCID)", u->addr);
		else if (u->cls == 0x0e && u->sub == 0x01 &&
		    (says_infrared(u->name) || says_infrared(d->product_name)))
			note(v, HW_KIND_IR_CAMERA, RANK_SPECIFIC, "interface %s is an "
			    "infrared camera (video, named '%s')", u->addr,
			    u->name[0] ? u->name : d->product_name);
		else if (u->cls == 0x0e && u->sub == 0x01)
			note(v, HW_KIND_CAMERA, RANK_CLASS,
			    "interface %s is a camera (video)", u->addr);
	}
	if (v->n > 0)
		return;
	if (d->cls == 0x09 || all_ifs(d, 0x09))
		note(v, HW_KIND_PLATFORM, RANK_GENERIC, "USB hub");
	else if (all_ifs(d, 0x03))
		note(v, HW_KIND_PLATFORM, RANK_GENERIC, "USB input device (HID)");
}

/* Nothing known: the first thing that shows what it is, then the id. */
static void
unknown(const struct hw_device *d, struct verdict *v)
{
	const struct hw_usbif *u = d->n_usbifs ? &d->usbifs[0] : NULL;

	if (d->bus == HW_BUS_PCI)
		note(v, HW_KIND_UNKNOWN, RANK_GENERIC, "PCI class 0x%06x (%s)",
		    (unsigned)d->pci_class, hw_pci_class_name(d->pci_class));
	else if (d->cls != 0x00 && d->cls != 0xef)
		note(v, HW_KIND_UNKNOWN, RANK_GENERIC, "USB device class %02x (%s)",
		    d->cls, hw_usb_class_name(d->cls, d->sub, d->proto));
	else if (u != NULL)
		note(v, HW_KIND_UNKNOWN, RANK_GENERIC, "interface %s is %s%s",
		    u->addr, hw_usb_class_name(u->cls, u->sub, u->proto),
		    d->n_usbifs > 1 ? " (and more)" : "");
	else
		note(v, HW_KIND_UNKNOWN, RANK_GENERIC, "no interfaces");
	note(v, HW_KIND_UNKNOWN, RANK_GENERIC, "id %04x:%04x not in the device "
	    "table", d->vendor, d->product);
}

static void
set_name(struct hw_device *d, const struct hw_id *e)
{
	const char *n;

	if (e != NULL)
		n = e->name;
	else if (d->product_name[0] != '\0')
		n = d->product_name;
	else if (d->bus == HW_BUS_PCI)
		n = hw_pci_class_name(d->pci_class);
	else if (d->kind == HW_KIND_BLUETOOTH)
		n = "Bluetooth controller";
	else
		n = "USB device";
	sk_strlcpy(d->name, n, sizeof(d->name));
}

static void
classify_other(const struct hw_device *d, const struct hw_id *e,
    const char *src, struct verdict *v)
{
	if (e != NULL) {
		note(v, e->kind, RANK_TABLE, "id %04x:%04x listed as %s (%s)",
		    d->vendor, d->product, hw_kind_name(e->kind), src);
		return;
	}
	if (d->bus == HW_BUS_USB)
		usb_function(d, v);
	else if ((d->pci_class >> 16) != 0x00 && (d->pci_class >> 16) != 0xff)
		note(v, HW_KIND_PLATFORM, RANK_GENERIC, "PCI class 0x%04x (%s)",
		    (unsigned)(d->pci_class >> 8), hw_pci_class_name(d->pci_class));
	if (v->n == 0)
		unknown(d, v);
}

void
hw_classify(struct hw_device *d, const struct hw_table *tab)
{
	const struct hw_id *e;
	struct verdict v;
	char src[300] = "";
	size_t n;

	memset(&v, 0, sizeof(v));
	e = hw_table_lookup(tab, d->bus, d->vendor, d->product);
	if (e != NULL)
		table_source(tab, e, src, sizeof(src));
	net_netifs(d, &v);
	if (d->bus == HW_BUS_PCI)
		net_pci_class(d, &v);
	else
		net_usb_class(d, &v);
	if (e != NULL && hw_kind_is_network(e->kind))
		note(&v, e->kind, RANK_TABLE, "id %04x:%04x listed as %s (%s)",
		    d->vendor, d->product, hw_kind_name(e->kind), src);
	d->network = v.n > 0;
	if (!d->network)
		classify_other(d, e, src, &v);
	conclude(&v, d);
	n = strlen(d->why);
	if (d->network && e != NULL && !hw_kind_is_network(e->kind))
		snprintf(d->why + n, sizeof(d->why) - n, "; not %s as the %s "
		    "says", hw_kind_name(e->kind), src);
	d->table_match = e != NULL;
	if (d->network && e != NULL && !hw_kind_is_network(e->kind))
		e = NULL;	/* its name is as wrong as its kind */
	set_name(d, e);
}
