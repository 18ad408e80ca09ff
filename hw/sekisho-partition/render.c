/* Tables and JSON for the inventory and the plan (see hw/sekisho-partition/render.h). */
#include "hw/sekisho-partition/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a table: fixed columns, widths from the widest cell ---- */

#define COLS		6
#define CELL_MAX	(HW_NAME_MAX + 8)

typedef char row_t[COLS][CELL_MAX];

static void
widths(const row_t *rows, size_t n, size_t w[COLS])
{
	size_t i, c, len;

	memset(w, 0, COLS * sizeof(w[0]));
	for (i = 0; i < n; i++)
		for (c = 0; c < COLS; c++)
			if ((len = strlen(rows[i][c])) > w[c])
				w[c] = len;
}

/* Cells separated by two blanks, the last one not padded. */
static void
print_row(struct buf *b, const char *indent, const row_t row,
    const size_t w[COLS], size_t ncols)
{
	size_t c;

	buf_printf(b, "%s", indent);
	for (c = 0; c < ncols; c++)
		if (c + 1 < ncols)
			buf_printf(b, "%-*s  ", (int)w[c], row[c]);
		else
			buf_printf(b, "%s\n", row[c]);
}

static void
netifs_str(const struct hw_device *d, char *buf, size_t size)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < d->n_netifs && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? "," : "",
		    d->netifs[i].name);
	if (d->more_netifs && n < size)
		snprintf(buf + n, size - n, ",...");
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
}

static void
device_row(const struct hw_device *d, row_t row)
{
	snprintf(row[0], CELL_MAX, "%s", hw_bus_name(d->bus));
	snprintf(row[1], CELL_MAX, "%s", d->addr);
	hw_id_str(d, row[2], CELL_MAX);
	snprintf(row[3], CELL_MAX, "%s", hw_kind_name(d->kind));
	netifs_str(d, row[4], CELL_MAX);
	snprintf(row[5], CELL_MAX, "%s", d->name);
}

void
hw_render_inventory(struct buf *b, const struct hw_inventory *inv)
{
	static const row_t head = { "BUS", "ADDRESS", "ID", "KIND", "NET", "NAME" };
	row_t *rows;
	size_t w[COLS], i;

	if ((rows = calloc(inv->n + 1, sizeof(*rows))) == NULL) {
		b->oom = 1;
		return;
	}
	memcpy(rows[0], head, sizeof(head));
	for (i = 0; i < inv->n; i++)
		device_row(&inv->dev[i], rows[i + 1]);
	widths(rows, inv->n + 1, w);
	for (i = 0; i <= inv->n; i++)
		print_row(b, "", rows[i], w, COLS);
	free(rows);
}

/* ---- JSON ---- */

void
hw_json_str(struct buf *b, const char *s)
{
	const unsigned char *p;

	buf_printf(b, "\"");
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			buf_printf(b, "\\u%04x", *p < 0x7f ? *p : 0xfffd);
		else
			buf_printf(b, "%c", *p);
	}
	buf_printf(b, "\"");
}

static void
json_kv(struct buf *b, const char *key, const char *val)
{
	buf_printf(b, ", \"%s\": ", key);
	hw_json_str(b, val);
}

static void
json_netifs(struct buf *b, const struct hw_device *d)
{
	static const char *const type[] = { "ether", "wlan", "wwan" };
	size_t i;

	buf_printf(b, ", \"netifs\": [");
	for (i = 0; i < d->n_netifs; i++) {
		buf_printf(b, "%s{\"name\": ", i ? ", " : "");
		hw_json_str(b, d->netifs[i].name);
		buf_printf(b, ", \"type\": \"%s\"}", type[d->netifs[i].type]);
	}
	buf_printf(b, "]");
}

static void
json_usb(struct buf *b, const struct hw_device *d)
{
	size_t i;

	buf_printf(b, ", \"class\": \"%02x/%02x/%02x\", \"hostbus\": %u, "
	    "\"hostaddr\": %u, \"configurations\": %u", d->cls, d->sub,
	    d->proto, d->busnum, d->devnum, d->nconfigs);
	json_kv(b, "product_string", d->product_name);
	buf_printf(b, ", \"interfaces\": [");
	for (i = 0; i < d->n_usbifs; i++) {
		const struct hw_usbif *u = &d->usbifs[i];

		buf_printf(b, "%s{\"address\": ", i ? ", " : "");
		hw_json_str(b, u->addr);
		buf_printf(b, ", \"class\": \"%02x/%02x/%02x\"", u->cls, u->sub,
		    u->proto);
		json_kv(b, "name", u->name);
		buf_printf(b, "}");
	}
	buf_printf(b, "]");
}

static void
json_device(struct buf *b, const struct hw_device *d)
{
	buf_printf(b, "{\"bus\": \"%s\"", hw_bus_name(d->bus));
	json_kv(b, "address", d->addr);
	buf_printf(b, ", \"vendor\": \"%04x\", \"product\": \"%04x\"",
	    d->vendor, d->product);
	if (d->bus == HW_BUS_PCI)
		buf_printf(b, ", \"class\": \"%06x\"", (unsigned)d->pci_class);
	else
		json_usb(b, d);
	json_netifs(b, d);
	buf_printf(b, ", \"wwan_port\": %s, \"kind\": \"%s\", \"network\": %s",
	    d->wwan_port ? "true" : "false", hw_kind_name(d->kind),
	    d->network ? "true" : "false");
	json_kv(b, "name", d->name);
	json_kv(b, "why", d->why);
	buf_printf(b, "}");
}

void
hw_render_inventory_json(struct buf *b, const struct hw_inventory *inv)
{
	size_t i;

	buf_printf(b, "{\n  \"version\": %d,\n  \"devices\": [", HW_JSON_VERSION);
	for (i = 0; i < inv->n; i++) {
		buf_printf(b, "%s\n    ", i ? "," : "");
		json_device(b, &inv->dev[i]);
	}
	buf_printf(b, "%s]\n}\n", inv->n ? "\n  " : "");
}

/* ---- the plan ---- */

static void
via_str(const struct hw_assign *a, const struct hw_device *d, char *buf,
    size_t size)
{
	if (a->via == HW_VIA_PCI)
		snprintf(buf, size, "pci passthrough");
	else if (a->via == HW_VIA_USB)
		snprintf(buf, size, "usb passthrough hostbus=%u hostaddr=%u",
		    d->busnum, d->devnum);
	else
		snprintf(buf, size, "kept");
}

static void
plan_group(struct buf *b, const struct hw_plan *p, enum hw_domain dom,
    const row_t *rows, const size_t w[COLS])
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += p->a[i].dom == dom;
	buf_printf(b, "%s: %zu device%s\n", hw_domain_name(dom), n,
	    n == 1 ? "" : "s");
	for (i = 0; i < p->n; i++) {
		if (p->a[i].dom != dom)
			continue;
		print_row(b, "  ", rows[i], w, COLS);
		buf_printf(b, "      why: %s\n", p->a[i].reason);
	}
}

static void
plan_list(struct buf *b, const struct hw_plan *p, size_t count, int held)
{
	const struct hw_device *d;
	size_t i, k = 0;

	if (count == 0)
		return;
	buf_printf(b, "%s: %zu device%s %s:", held ? "held back" : "unknown",
	    count, count == 1 ? "" : "s", held ? "that work cannot safely have, "
	    "left with dom0" : "the rules do not know, left with dom0");
	for (i = 0; i < p->n; i++) {
		if (!(held ? p->a[i].held : p->a[i].unknown))
			continue;
		d = &p->inv->dev[p->a[i].dev];
		buf_printf(b, "%s %s %s (%04x:%04x)", k++ ? "," : "",
		    hw_bus_name(d->bus), d->addr, d->vendor, d->product);
	}
	buf_printf(b, "\n");
}

void
hw_render_plan(struct buf *b, const struct hw_plan *p)
{
	static const enum hw_domain order[] = {
		HW_DOM_NETVM, HW_DOM_WORK, HW_DOM_DOM0
	};
	row_t *rows;
	size_t w[COLS], i;

	if ((rows = calloc(p->n + 1, sizeof(*rows))) == NULL) {
		b->oom = 1;
		return;
	}
	for (i = 0; i < p->n; i++) {
		device_row(&p->inv->dev[p->a[i].dev], rows[i]);
		snprintf(rows[i][4], CELL_MAX, "%s", rows[i][5]);
		via_str(&p->a[i], &p->inv->dev[p->a[i].dev], rows[i][5], CELL_MAX);
	}
	widths(rows, p->n, w);
	for (i = 0; i < nitems(order); i++)
		plan_group(b, p, order[i], rows, w);
	free(rows);
	plan_list(b, p, p->n_unknown, 0);
	plan_list(b, p, p->n_held, 1);
	for (i = 0; i < p->n_notes; i++)
		buf_printf(b, "note: %s\n", p->notes[i]);
}

static void
json_assign(struct buf *b, const struct hw_plan *p, const struct hw_assign *a)
{
	const struct hw_device *d = &p->inv->dev[a->dev];
	char id[16], where[300];

	buf_printf(b, "{\"bus\": \"%s\"", hw_bus_name(d->bus));
	json_kv(b, "address", d->addr);
	json_kv(b, "id", hw_id_str(d, id, sizeof(id)));
	buf_printf(b, ", \"kind\": \"%s\"", hw_kind_name(d->kind));
	json_kv(b, "name", d->name);
	buf_printf(b, ", \"partition\": \"%s\", \"passthrough\": \"%s\"",
	    hw_domain_name(a->dom), hw_via_name(a->via));
	if (a->via == HW_VIA_USB)
		buf_printf(b, ", \"hostbus\": %u, \"hostaddr\": %u", d->busnum,
		    d->devnum);
	buf_printf(b, ", \"unknown\": %s, \"held\": %s, \"override\": ",
	    a->unknown ? "true" : "false", a->held ? "true" : "false");
	if (a->override_line == 0 || p->overrides_file == NULL)
		buf_printf(b, "null");
	else {
		snprintf(where, sizeof(where), "%s:%u", p->overrides_file,
		    a->override_line);
		hw_json_str(b, where);
	}
	json_kv(b, "reason", a->reason);
	buf_printf(b, "}");
}

void
hw_render_plan_json(struct buf *b, const struct hw_plan *p)
{
	size_t i;

	buf_printf(b, "{\n  \"version\": %d,\n  \"assignments\": [",
	    HW_JSON_VERSION);
	for (i = 0; i < p->n; i++) {
		buf_printf(b, "%s\n    ", i ? "," : "");
		json_assign(b, p, &p->a[i]);
	}
	buf_printf(b, "%s],\n  \"unknown\": %zu,\n  \"held\": %zu,\n"
	    "  \"notes\": [", p->n ? "\n  " : "", p->n_unknown, p->n_held);
	for (i = 0; i < p->n_notes; i++) {
		buf_printf(b, "%s\n    ", i ? "," : "");
		hw_json_str(b, p->notes[i]);
	}
	buf_printf(b, "%s]\n}\n", p->n_notes ? "\n  " : "");
}
