/* Tables and JSON for the inventory and the plan (see hw/sekisho-partition/render.h). */
#include "hw/sekisho-partition/render.h"
#include "hw/sekisho-partition/usbpass.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

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

/* ---- JSON (json-c) ----
 * json-c keeps members in the order they are added (the order of the
 * goldens, tests/hw/NAME.*.json.ok) and escapes quotes, backslashes and control
 * characters, but passes DEL and bytes >= 0x80 through as they are. So
 * every string that holds text from outside (names and reasons built from
 * sysfs, the overrides file's name) goes through text(), which applies
 * hw_sanitise's rule (any byte that is not printable ASCII becomes '?')
 * whatever the reader already did: the output is plain printable ASCII.
 * Only our own constants and numbers skip it. Pretty-printed with json-c's
 * two-blank indent, one member per line, so outputs diff line by line. An
 * allocation failure anywhere marks the whole buffer failed (b->oom), as
 * the tables do. */

#define JSON_FLAGS	(JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | \
	JSON_C_TO_STRING_NOSLASHESCAPE)

static json_object *
text(const char *s)
{
	json_object *o;
	char *t;

	if ((t = strdup(s)) == NULL)
		return NULL;
	hw_printable(t, strlen(t));
	o = json_object_new_string(t);
	free(t);
	return o;
}

/* "%0*x": vendor, product and PCI class codes as strings of hex digits. */
static json_object *
hex(unsigned int v, int digits)
{
	char s[16];

	snprintf(s, sizeof(s), "%0*x", digits, v);
	return json_object_new_string(s);
}

/* "class/subclass/protocol" of a USB device or interface. */
static json_object *
usb_class(uint8_t cls, uint8_t sub, uint8_t proto)
{
	char s[16];

	snprintf(s, sizeof(s), "%02x/%02x/%02x", cls, sub, proto);
	return json_object_new_string(s);
}

/* Adds v (NULL: a failed allocation) under key to o; *oom on failure. */
static void
put(json_object *o, const char *key, json_object *v, int *oom)
{
	if (v == NULL || json_object_object_add(o, key, v) != 0) {
		json_object_put(v);
		*oom = 1;
	}
}

static void
put_null(json_object *o, const char *key, int *oom)
{
	if (json_object_object_add(o, key, NULL) != 0)
		*oom = 1;
}

static void
push(json_object *a, json_object *v, int *oom)
{
	if (v == NULL || json_object_array_add(a, v) != 0) {
		json_object_put(v);
		*oom = 1;
	}
}

/* A new object or array, or NULL with *oom set. */
static json_object *
new_object(int *oom)
{
	json_object *o = json_object_new_object();

	if (o == NULL)
		*oom = 1;
	return o;
}

static json_object *
new_array(int *oom)
{
	json_object *a = json_object_new_array();

	if (a == NULL)
		*oom = 1;
	return a;
}

/* Serialises root into b with a final newline and frees it. */
static void
emit(struct buf *b, json_object *root, int oom)
{
	const char *s = NULL;

	if (root != NULL && !oom)
		s = json_object_to_json_string_ext(root, JSON_FLAGS);
	if (s == NULL)
		b->oom = 1;
	else
		buf_printf(b, "%s\n", s);
	json_object_put(root);
}

static json_object *
json_netifs(const struct hw_device *d, int *oom)
{
	static const char *const type[] = { "ether", "wlan", "wwan" };
	json_object *a, *o;
	size_t i;

	if ((a = new_array(oom)) == NULL)
		return NULL;
	for (i = 0; i < d->n_netifs; i++) {
		if ((o = new_object(oom)) == NULL)
			break;
		put(o, "name", text(d->netifs[i].name), oom);
		put(o, "type", json_object_new_string(type[d->netifs[i].type]),
		    oom);
		push(a, o, oom);
	}
	return a;
}

static void
json_usb(json_object *o, const struct hw_device *d, int *oom)
{
	struct hw_usbid id;
	char ids[128];
	json_object *a, *u;
	size_t i;

	put(o, "class", usb_class(d->cls, d->sub, d->proto), oom);
	put(o, "hostbus", json_object_new_int64(d->busnum), oom);
	put(o, "hostaddr", json_object_new_int64(d->devnum), oom);
	put(o, "configurations", json_object_new_int64(d->nconfigs), oom);
	put(o, "product_string", text(d->product_name), oom);
	put(o, "serial", text(d->serial), oom);
	/* What the work USB file would call it (usbpass.h). */
	hw_usbid_of(d, &id);
	put(o, "identity", text(hw_usbid_str(&id, ids, sizeof(ids))), oom);
	if ((a = new_array(oom)) == NULL)
		return;
	for (i = 0; i < d->n_usbifs; i++) {
		const struct hw_usbif *ui = &d->usbifs[i];

		if ((u = new_object(oom)) == NULL)
			break;
		put(u, "address", text(ui->addr), oom);
		put(u, "class", usb_class(ui->cls, ui->sub, ui->proto), oom);
		put(u, "name", text(ui->name), oom);
		push(a, u, oom);
	}
	put(o, "interfaces", a, oom);
}

static json_object *
json_device(const struct hw_device *d, int *oom)
{
	json_object *o;

	if ((o = new_object(oom)) == NULL)
		return NULL;
	put(o, "bus", json_object_new_string(hw_bus_name(d->bus)), oom);
	put(o, "address", text(d->addr), oom);
	put(o, "vendor", hex(d->vendor, 4), oom);
	put(o, "product", hex(d->product, 4), oom);
	if (d->bus == HW_BUS_PCI)
		put(o, "class", hex(d->pci_class, 6), oom);
	else
		json_usb(o, d, oom);
	put(o, "netifs", json_netifs(d, oom), oom);
	put(o, "wwan_port", json_object_new_boolean(d->wwan_port), oom);
	put(o, "kind", json_object_new_string(hw_kind_name(d->kind)), oom);
	put(o, "network", json_object_new_boolean(d->network), oom);
	put(o, "name", text(d->name), oom);
	put(o, "why", text(d->why), oom);
	return o;
}

void
hw_render_inventory_json(struct buf *b, const struct hw_inventory *inv)
{
	json_object *root, *a;
	size_t i;
	int oom = 0;

	if ((root = new_object(&oom)) == NULL) {
		emit(b, root, oom);
		return;
	}
	put(root, "version", json_object_new_int(HW_JSON_VERSION), &oom);
	if ((a = new_array(&oom)) != NULL) {
		for (i = 0; i < inv->n && !oom; i++)
			push(a, json_device(&inv->dev[i], &oom), &oom);
		put(root, "devices", a, &oom);
	}
	emit(b, root, oom);
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

static json_object *
json_assign(const struct hw_plan *p, const struct hw_assign *a, int *oom)
{
	const struct hw_device *d = &p->inv->dev[a->dev];
	char id[16], where[300];
	json_object *o;

	if ((o = new_object(oom)) == NULL)
		return NULL;
	put(o, "bus", json_object_new_string(hw_bus_name(d->bus)), oom);
	put(o, "address", text(d->addr), oom);
	put(o, "id", json_object_new_string(hw_id_str(d, id, sizeof(id))), oom);
	put(o, "kind", json_object_new_string(hw_kind_name(d->kind)), oom);
	put(o, "name", text(d->name), oom);
	put(o, "partition", json_object_new_string(hw_domain_name(a->dom)), oom);
	put(o, "passthrough", json_object_new_string(hw_via_name(a->via)), oom);
	if (a->via == HW_VIA_USB) {
		put(o, "hostbus", json_object_new_int64(d->busnum), oom);
		put(o, "hostaddr", json_object_new_int64(d->devnum), oom);
	}
	put(o, "unknown", json_object_new_boolean(a->unknown), oom);
	put(o, "held", json_object_new_boolean(a->held), oom);
	if (a->override_line == 0 || p->overrides_file == NULL)
		put_null(o, "override", oom);
	else {
		snprintf(where, sizeof(where), "%s:%u", p->overrides_file,
		    a->override_line);
		put(o, "override", text(where), oom);
	}
	put(o, "reason", text(a->reason), oom);
	return o;
}

void
hw_render_plan_json(struct buf *b, const struct hw_plan *p)
{
	json_object *root, *a;
	size_t i;
	int oom = 0;

	if ((root = new_object(&oom)) == NULL) {
		emit(b, root, oom);
		return;
	}
	put(root, "version", json_object_new_int(HW_JSON_VERSION), &oom);
	if ((a = new_array(&oom)) != NULL) {
		for (i = 0; i < p->n && !oom; i++)
			push(a, json_assign(p, &p->a[i], &oom), &oom);
		put(root, "assignments", a, &oom);
	}
	put(root, "unknown", json_object_new_int64((int64_t)p->n_unknown), &oom);
	put(root, "held", json_object_new_int64((int64_t)p->n_held), &oom);
	if ((a = new_array(&oom)) != NULL) {
		for (i = 0; i < p->n_notes && !oom; i++)
			push(a, text(p->notes[i]), &oom);
		put(root, "notes", a, &oom);
	}
	emit(b, root, oom);
}
