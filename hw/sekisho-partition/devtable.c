/* Known vendor:product ids: the built-in table, the devices file parser,
 * lookup and printing (see hw/sekisho-partition/devtable.h, docs/hw.md).
 *
 * Only ids whose class does not already say what the device is belong
 * here: vendor-specific fingerprint sensors, NFC readers and modems, and a
 * few devices whose class is ambiguous. A missing id is never dangerous:
 * an unknown device stays with dom0. */
#include "hw/sekisho-partition/devtable.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sekisho-partition/conf.h"

#define EXACT	0xffff
#define ANY	0x0000
#define PREFIX2	0xff00	/* the product's first two hex digits */
#define USB(v, p, m, k, n) { HW_BUS_USB, v, p, m, k, n, 0 }
#define PCI(v, p, k, n) { HW_BUS_PCI, v, p, EXACT, k, n, 0 }

static const struct hw_id builtin[] = {
	/* Fingerprint sensors (libfprint's tables and vendors). */
	USB(0x06cb, 0x00bd, EXACT, HW_KIND_FINGERPRINT, "Synaptics Prometheus fingerprint sensor"),
	USB(0x06cb, 0x00c2, EXACT, HW_KIND_FINGERPRINT, "Synaptics fingerprint sensor"),
	USB(0x06cb, 0x00c9, EXACT, HW_KIND_FINGERPRINT, "Synaptics fingerprint sensor"),
	USB(0x06cb, 0x00df, EXACT, HW_KIND_FINGERPRINT, "Synaptics fingerprint sensor"),
	USB(0x06cb, 0x00e7, EXACT, HW_KIND_FINGERPRINT, "Synaptics fingerprint sensor"),
	USB(0x06cb, 0x00e9, EXACT, HW_KIND_FINGERPRINT, "Synaptics fingerprint sensor"),
	USB(0x06cb, 0x00f9, EXACT, HW_KIND_FINGERPRINT, "Synaptics fingerprint sensor"),
	USB(0x06cb, 0x00fc, EXACT, HW_KIND_FINGERPRINT, "Synaptics fingerprint sensor"),
	USB(0x27c6, 0x0000, ANY, HW_KIND_FINGERPRINT, "Goodix fingerprint sensor"),
	USB(0x138a, 0x0000, ANY, HW_KIND_FINGERPRINT, "Validity Sensors fingerprint sensor"),
	USB(0x04f3, 0x0c00, PREFIX2, HW_KIND_FINGERPRINT, "ELAN fingerprint sensor"),
	USB(0x08ff, 0x0000, ANY, HW_KIND_FINGERPRINT, "AuthenTec fingerprint sensor"),
	USB(0x147e, 0x0000, ANY, HW_KIND_FINGERPRINT, "UPEK fingerprint sensor"),
	USB(0x1c7a, 0x0000, ANY, HW_KIND_FINGERPRINT, "EgisTec fingerprint sensor"),
	USB(0x10a5, 0x0000, ANY, HW_KIND_FINGERPRINT, "FPC fingerprint sensor"),
	USB(0x2808, 0x0000, ANY, HW_KIND_FINGERPRINT, "FocalTech fingerprint sensor"),
	/* NFC and FeliCa readers. */
	USB(0x054c, 0x02e1, EXACT, HW_KIND_NFC, "Sony PaSoRi RC-S330/S360/S370 (FeliCa)"),
	USB(0x054c, 0x06c1, EXACT, HW_KIND_NFC, "Sony PaSoRi RC-S380/S (FeliCa)"),
	USB(0x054c, 0x06c3, EXACT, HW_KIND_NFC, "Sony PaSoRi RC-S380/P (FeliCa)"),
	USB(0x054c, 0x0dc8, EXACT, HW_KIND_NFC, "Sony PaSoRi RC-S300/S (FeliCa)"),
	USB(0x054c, 0x0dc9, EXACT, HW_KIND_NFC, "Sony PaSoRi RC-S300/P (FeliCa)"),
	USB(0x072f, 0x2200, EXACT, HW_KIND_NFC, "ACS ACR122U NFC reader"),
	USB(0x04cc, 0x2533, EXACT, HW_KIND_NFC, "NXP PN533 NFC reader"),
	USB(0x04e6, 0x5591, EXACT, HW_KIND_NFC, "SCM SCL3711 NFC reader"),
	/* Smart card readers with vendor-specific functions besides CCID. */
	USB(0x0a5c, 0x5834, EXACT, HW_KIND_CARD_READER, "Broadcom BCM5880 ControlVault (smart card)"),
	/* Cameras whose IR function the class does not show. */
	USB(0x04f2, 0xb634, EXACT, HW_KIND_IR_CAMERA, "Chicony HP Wide Vision FHD Camera (with IR)"),
	USB(0x0bda, 0x58e6, EXACT, HW_KIND_IR_CAMERA, "Realtek HP Wide Vision FHD Camera (with IR)"),
	/* Modems with vendor-specific (QMI) interfaces. */
	USB(0x1199, 0x9071, EXACT, HW_KIND_WWAN, "Sierra Wireless MC74xx LTE modem"),
	USB(0x1199, 0x9079, EXACT, HW_KIND_WWAN, "Sierra Wireless EM74xx LTE modem"),
	USB(0x1199, 0x9091, EXACT, HW_KIND_WWAN, "Sierra Wireless EM7565 LTE modem"),
	USB(0x413c, 0x81b6, EXACT, HW_KIND_WWAN, "Dell Wireless 5811e LTE modem"),
	USB(0x413c, 0x81d7, EXACT, HW_KIND_WWAN, "Dell Wireless 5821e LTE modem"),
	USB(0x05c6, 0x9215, EXACT, HW_KIND_WWAN, "Quectel EC20 LTE modem"),
	USB(0x2c7c, 0x0121, EXACT, HW_KIND_WWAN, "Quectel EC21 LTE modem"),
	USB(0x2c7c, 0x0125, EXACT, HW_KIND_WWAN, "Quectel EC25 LTE modem"),
	USB(0x2c7c, 0x0306, EXACT, HW_KIND_WWAN, "Quectel EP06 LTE modem"),
	USB(0x2c7c, 0x0512, EXACT, HW_KIND_WWAN, "Quectel EM12 LTE modem"),
	USB(0x2c7c, 0x0620, EXACT, HW_KIND_WWAN, "Quectel EM160R-GL LTE modem"),
	USB(0x2c7c, 0x0800, EXACT, HW_KIND_WWAN, "Quectel RM500Q 5G modem"),
	USB(0x12d1, 0x15c1, EXACT, HW_KIND_WWAN, "Huawei ME906s LTE modem"),
	USB(0x1bc7, 0x1201, EXACT, HW_KIND_WWAN, "Telit LE910/LE920 LTE modem"),
	/* USB Ethernet adapters with vendor-specific interfaces. */
	USB(0x0bda, 0x8152, EXACT, HW_KIND_ETHERNET, "Realtek RTL8152 Ethernet adapter"),
	USB(0x0bda, 0x8153, EXACT, HW_KIND_ETHERNET, "Realtek RTL8153 Gigabit Ethernet adapter"),
	USB(0x0b95, 0x1790, EXACT, HW_KIND_ETHERNET, "ASIX AX88179 Gigabit Ethernet adapter"),
	/* PCI modems whose class may not say so. */
	PCI(0x8086, 0x7360, HW_KIND_WWAN, "Intel XMM7360 LTE modem"),
	PCI(0x8086, 0x7560, HW_KIND_WWAN, "Intel XMM7560 LTE modem"),
	PCI(0x14c3, 0x4d75, HW_KIND_WWAN, "MediaTek T700 5G modem"),
	PCI(0x1eac, 0x1001, HW_KIND_WWAN, "Quectel EM120R-GL LTE modem"),
	PCI(0x1eac, 0x1002, HW_KIND_WWAN, "Quectel EM160R-GL LTE modem"),
	PCI(0x105b, 0xe0ab, HW_KIND_WWAN, "Foxconn T99W175 5G modem"),
	PCI(0x17cb, 0x0306, HW_KIND_WWAN, "Qualcomm SDX55 5G modem"),
};

const struct hw_id *
hw_table_builtin(size_t *n)
{
	*n = nitems(builtin);
	return builtin;
}

static const struct hw_id *
best_of(const struct hw_id *ids, size_t n, enum hw_bus bus, uint16_t vendor,
    uint16_t product)
{
	const struct hw_id *best = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct hw_id *e = &ids[i];

		if (e->bus != bus || e->vendor != vendor ||
		    (product & e->mask) != (e->product & e->mask))
			continue;
		if (best == NULL || e->mask > best->mask)
			best = e;
	}
	return best;
}

const struct hw_id *
hw_table_lookup(const struct hw_table *tab, enum hw_bus bus, uint16_t vendor,
    uint16_t product)
{
	const struct hw_id *e = NULL;

	if (tab != NULL)
		e = best_of(tab->ids, tab->n, bus, vendor, product);
	if (e == NULL)
		e = best_of(builtin, nitems(builtin), bus, vendor, product);
	return e;
}

void
hw_table_free(struct hw_table *t)
{
	free(t->ids);
	memset(t, 0, sizeof(*t));
}

/* ---- the devices file ---- */

struct tparser {
	struct hw_id *ids;
	size_t n, cap;
};

static int
parse_bus(struct conf_line *l, const struct conf_word *w, enum hw_bus *bus)
{
	char s[64];

	if (conf_word_is(w, "usb"))
		*bus = HW_BUS_USB;
	else if (conf_word_is(w, "pci"))
		*bus = HW_BUS_PCI;
	else
		return conf_err(l, "unknown bus %s, expected 'usb' or 'pci'",
		    conf_show(w, s, sizeof(s)));
	return 0;
}

/* "VVVV:PPPP", or a product prefix of 0 to 3 hex digits then '*'
 * ("VVVV:0c*", "VVVV:*"). */
static int
parse_id(struct conf_line *l, const struct conf_word *w, struct hw_id *e)
{
	unsigned int v, p = 0;
	size_t k;
	char s[64];

	if (w->len < 6 || w->len > 9 || w->s[4] != ':' ||
	    conf_hex(w->s, 4, 4, &v) != 0)
		goto bad;
	k = w->len - 5;
	if (w->s[w->len - 1] == '*')
		k--;
	else if (k != 4)
		goto bad;
	if (k > 0 && conf_hex(w->s + 5, k, k, &p) != 0)
		goto bad;
	e->vendor = (uint16_t)v;
	e->mask = (uint16_t)(0xffffu << (4 * (4 - k)));
	e->product = (uint16_t)(p << (4 * (4 - k)));
	return 0;
bad:
	return conf_err(l, "bad id %s, expected VENDOR:PRODUCT as 4 hex digits "
	    "each, or a product prefix and '*' (VENDOR:*)",
	    conf_show(w, s, sizeof(s)));
}

/* The id as written in the file. */
static const char *
id_str(const struct hw_id *e, char *buf, size_t size)
{
	char p[8];
	int k;

	snprintf(p, sizeof(p), "%04x", e->product);
	for (k = 0; k < 4 && (e->mask & (0xf000u >> (4 * k))); k++)
		;
	snprintf(buf, size, "%04x:%.*s%s", e->vendor, k, p, k < 4 ? "*" : "");
	return buf;
}

static int
parse_kind(struct conf_line *l, const struct conf_word *w, struct hw_id *e)
{
	char s[64];

	if (hw_kind_parse(w->s, w->len, &e->kind) != 0 ||
	    e->kind == HW_KIND_UNKNOWN)
		return conf_err(l, "unknown kind %s, expected ethernet, wifi, "
		    "wwan, bluetooth, network, card-reader, nfc, fingerprint, "
		    "camera, ir-camera or platform", conf_show(w, s, sizeof(s)));
	if (e->bus == HW_BUS_PCI && !hw_kind_is_network(e->kind) &&
	    e->kind != HW_KIND_PLATFORM)
		return conf_err(l, "kind '%s' is for USB devices: a pci id can "
		    "only be a network kind or platform", hw_kind_name(e->kind));
	return 0;
}

static int
parse_name(struct conf_line *l, struct hw_id *e)
{
	struct conf_word w;

	conf_rest(l, &w);
	if (w.len == 0)
		return conf_err(l, "expected a name after the kind");
	if (memchr(w.s, '\t', w.len) != NULL)
		return conf_err(l, "tab in the name, expected blanks");
	if (w.len >= sizeof(e->name))
		return conf_err(l, "name too long (%zu bytes), at most %zu",
		    w.len, sizeof(e->name) - 1);
	memcpy(e->name, w.s, w.len);
	e->name[w.len] = '\0';
	return 0;
}

static int
check_dup(struct conf_line *l, const struct tparser *tp, const struct hw_id *e)
{
	char s[16];
	size_t i;

	for (i = 0; i < tp->n; i++) {
		const struct hw_id *o = &tp->ids[i];

		if (o->bus == e->bus && o->vendor == e->vendor &&
		    o->mask == e->mask && o->product == e->product)
			return conf_err(l, "%s %s already listed at line %u",
			    hw_bus_name(e->bus), id_str(e, s, sizeof(s)), o->line);
	}
	return 0;
}

static int
add(struct conf_line *l, struct tparser *tp, const struct hw_id *e)
{
	struct hw_id *n;
	size_t cap;

	if (tp->n == HW_TABLE_MAX_ENTRIES)
		return conf_err(l, "too many devices, at most %d",
		    HW_TABLE_MAX_ENTRIES);
	if (tp->n == tp->cap) {
		cap = tp->cap ? tp->cap * 2 : 16;
		if ((n = realloc(tp->ids, cap * sizeof(*n))) == NULL)
			return sk_errorf(l->r->err, ENOMEM, "%s: out of memory",
			    l->r->name);
		tp->ids = n;
		tp->cap = cap;
	}
	tp->ids[tp->n++] = *e;
	return 0;
}

static int
parse_line(struct conf_line *l, struct tparser *tp)
{
	struct conf_word w;
	struct hw_id e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.line = l->line;
	conf_word(l, &w);
	if ((rc = parse_bus(l, &w, &e.bus)) != 0)
		return rc;
	if (!conf_word(l, &w))
		return conf_err(l, "expected VENDOR:PRODUCT after '%s'",
		    hw_bus_name(e.bus));
	if ((rc = parse_id(l, &w, &e)) != 0)
		return rc;
	if (!conf_word(l, &w))
		return conf_err(l, "expected a kind after the id");
	if ((rc = parse_kind(l, &w, &e)) != 0 ||
	    (rc = parse_name(l, &e)) != 0 ||
	    (rc = check_dup(l, tp, &e)) != 0)
		return rc;
	return add(l, tp, &e);
}

int
hw_table_parse_buf(const char *name, const char *buf, size_t len,
    struct hw_table *out, struct sk_error *err)
{
	struct conf_reader r;
	struct conf_line l;
	struct tparser tp = { NULL, 0, 0 };
	int rc;

	if (len > HW_TABLE_MAX_SIZE)
		return sk_errorf(err, EFBIG, "%s: file too large, at most %u "
		    "bytes", name, HW_TABLE_MAX_SIZE);
	conf_init(&r, name, buf, len, err);
	if ((rc = conf_version(&r)) != 0)
		return rc;
	while ((rc = conf_next(&r, &l)) == 1)
		if ((rc = parse_line(&l, &tp)) != 0)
			break;
	if (rc != 0) {
		free(tp.ids);
		return rc;
	}
	memset(out, 0, sizeof(*out));
	out->ids = tp.ids;
	out->n = tp.n;
	sk_strlcpy(out->file, name, sizeof(out->file));
	return 0;
}

int
hw_table_parse_file(const char *path, struct hw_table *out,
    struct sk_error *err)
{
	char *buf;
	size_t len;
	int rc;

	if ((rc = conf_read_file(path, HW_TABLE_MAX_SIZE, &buf, &len, err)) != 0)
		return rc;
	rc = hw_table_parse_buf(path, buf, len, out, err);
	free(buf);
	return rc;
}

void
hw_table_print(struct buf *b, const struct hw_id *ids, size_t n, int header)
{
	char s[16];
	size_t i;

	if (header)
		buf_printf(b, "version %d\n", CONF_VERSION);
	for (i = 0; i < n; i++) {
		const struct hw_id *e = &ids[i];

		buf_printf(b, "%s %s", hw_bus_name(e->bus), id_str(e, s, sizeof(s)));
		buf_printf(b, " %s %s\n", hw_kind_name(e->kind), e->name);
	}
}
