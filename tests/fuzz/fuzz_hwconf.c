/* libFuzzer harness for hw/'s two configuration parsers, the devices file
 * and the overrides file, both fed the same input. For each: a failed parse
 * gives exactly one non-empty line and leaves the output untouched; a
 * successful one prints back to text that parses to the same entries and
 * prints identically. Then the parsed table and overrides meet a small
 * inventory, and the plan must keep its promises whatever they say: no
 * network-capable device and no PCI device in work, ever.
 *
 * The domains file parser gets the same treatment, and the configurations
 * it generates with that plan must keep work's only NIC a PV one in the
 * netvm.
 *
 * The work USB file (hw/sekisho-partition/usbpass.h) too: print and parse
 * back, and applied to the plan it may only take devices out of work, to
 * dom0: never put one in, never touch the netvm's.
 *
 * Lines "---" split the input into a devices file, an overrides file, a
 * domains file and a work USB file; without them every parser reads all
 * of it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sekisho-partition/classify.h"
#include "hw/sekisho-partition/devtable.h"
#include "hw/sekisho-partition/plan.h"
#include "hw/sekisho-partition/usbpass.h"
#include "hw/sekisho-partition/xlcfg.h"
#include "lib/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_error(const struct sk_error *err, const void *out, size_t n)
{
	size_t i;

	if (err->msg[0] == '\0' || strchr(err->msg, '\n') != NULL)
		abort();
	for (i = 0; i < n; i++)
		if (((const unsigned char *)out)[i] != 0xa5)
			abort();
}

static void
devices_roundtrip(const struct hw_table *t)
{
	struct hw_table t2;
	struct sk_error err;
	struct buf b1, b2;
	size_t i;

	buf_init(&b1);
	hw_table_print(&b1, t->ids, t->n, 1);
	if (buf_str(&b1) == NULL ||
	    hw_table_parse_buf("printed", b1.p, b1.len, &t2, &err) != 0)
		abort();
	if (t2.n != t->n)
		abort();
	for (i = 0; i < t->n; i++)
		if (t2.ids[i].bus != t->ids[i].bus ||
		    t2.ids[i].vendor != t->ids[i].vendor ||
		    t2.ids[i].product != t->ids[i].product ||
		    t2.ids[i].mask != t->ids[i].mask ||
		    t2.ids[i].kind != t->ids[i].kind ||
		    strcmp(t2.ids[i].name, t->ids[i].name) != 0)
			abort();
	buf_init(&b2);
	hw_table_print(&b2, t2.ids, t2.n, 1);
	if (buf_str(&b2) == NULL || strcmp(buf_str(&b1), buf_str(&b2)) != 0)
		abort();
	buf_free(&b1);
	buf_free(&b2);
	hw_table_free(&t2);
}

static void
overrides_roundtrip(const struct hw_overrides *ov)
{
	struct hw_overrides ov2;
	struct sk_error err;
	struct buf b1, b2;
	size_t i;

	buf_init(&b1);
	hw_overrides_print(&b1, ov);
	if (buf_str(&b1) == NULL ||
	    hw_overrides_parse_buf("printed", b1.p, b1.len, &ov2, &err) != 0)
		abort();
	if (ov2.n != ov->n)
		abort();
	for (i = 0; i < ov->n; i++)
		if (ov2.o[i].bus != ov->o[i].bus ||
		    strcmp(ov2.o[i].addr, ov->o[i].addr) != 0 ||
		    ov2.o[i].vendor != ov->o[i].vendor ||
		    ov2.o[i].product != ov->o[i].product ||
		    ov2.o[i].dom != ov->o[i].dom)
			abort();
	buf_init(&b2);
	hw_overrides_print(&b2, &ov2);
	if (buf_str(&b2) == NULL || strcmp(buf_str(&b1), buf_str(&b2)) != 0)
		abort();
	buf_free(&b1);
	buf_free(&b2);
	hw_overrides_free(&ov2);
}

/* A NIC, a USB modem, a reader, a device nobody knows, a USB Ethernet
 * function hiding behind a CCID interface. */
static void
inventory(struct hw_device d[5])
{
	memset(d, 0, 5 * sizeof(d[0]));
	d[0].bus = HW_BUS_PCI;
	strcpy(d[0].addr, "0000:00:1f.6");
	d[0].vendor = 0x8086;
	d[0].product = 0x15fc;
	d[0].pci_class = 0x020000;
	for (int i = 1; i < 5; i++) {
		d[i].bus = HW_BUS_USB;
		snprintf(d[i].addr, sizeof(d[i].addr), "1-%d", i);
		d[i].nconfigs = 1;
		d[i].n_usbifs = 1;
		snprintf(d[i].usbifs[0].addr, sizeof(d[i].usbifs[0].addr),
		    "1-%d:1.0", i);
	}
	d[1].vendor = 0x1199, d[1].product = 0x9079;
	d[1].usbifs[0].cls = 0x02, d[1].usbifs[0].sub = 0x0e;
	d[2].vendor = 0x058f, d[2].product = 0x9540;
	d[2].usbifs[0].cls = 0x0b;
	d[3].vendor = 0x1234, d[3].product = 0x5678;
	d[3].usbifs[0].cls = 0xff;
	d[4].vendor = 0x1d50, d[4].product = 0x6089;
	d[4].usbifs[0].cls = 0x0b;
	d[4].n_netifs = 1;
	strcpy(d[4].netifs[0].name, "usb0");
	strcpy(d[1].serial, "MODEM1");
	strcpy(d[2].serial, "R1");
	strcpy(d[4].serial, "R1");	/* another product: another device */
}

static void
usbpass_roundtrip(const struct hw_usbpass *up)
{
	struct hw_usbpass up2;
	struct sk_error err;
	struct buf b1, b2;
	size_t i;

	buf_init(&b1);
	hw_usbpass_print(&b1, up, NULL);
	if (buf_str(&b1) == NULL ||
	    hw_usbpass_parse_buf("printed", b1.p, b1.len, &up2, &err) != 0 ||
	    up2.n != up->n)
		abort();
	for (i = 0; i < up->n; i++)
		if (up2.id[i].vendor != up->id[i].vendor ||
		    up2.id[i].product != up->id[i].product ||
		    up2.id[i].by != up->id[i].by ||
		    strcmp(up2.id[i].serial, up->id[i].serial) != 0 ||
		    strcmp(up2.id[i].port, up->id[i].port) != 0)
			abort();
	buf_init(&b2);
	hw_usbpass_print(&b2, &up2, NULL);
	if (buf_str(&b2) == NULL || strcmp(buf_str(&b1), buf_str(&b2)) != 0)
		abort();
	buf_free(&b1);
	buf_free(&b2);
	hw_usbpass_free(&up2);
}

/* The file may only take devices out of work, to dom0. */
static void
check_usbpass(struct hw_plan *p, const struct hw_usbpass *up)
{
	enum hw_domain before[8];
	struct sk_error err;
	size_t i;

	for (i = 0; i < p->n; i++)
		before[i] = p->a[i].dom;
	if (hw_usbpass_apply(p, up, &err) != 0)
		abort();
	for (i = 0; i < p->n; i++)
		if (p->a[i].dom != before[i] && (before[i] != HW_DOM_WORK ||
		    p->a[i].dom != HW_DOM_DOM0 || p->a[i].via != HW_VIA_NONE))
			abort();
}

static size_t
occurrences(const char *s, const char *end, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what)) != NULL && s < end) {
		n++;
		s++;
	}
	return n;
}

/* Exactly one vif line, one spec in it: backend netvm, PV only. */
static int
one_pv_vif(const char *cfg)
{
	static const char want[] = "\nvif = [ 'backend=netvm,type=vif";
	const char *v = strstr(cfg, "\nvif = [ '"), *end;

	if (v == NULL || strstr(v + 1, "\nvif") != NULL ||
	    (end = strchr(v + 1, '\n')) == NULL)
		return 0;
	return strncmp(v, want, sizeof(want) - 1) == 0 &&
	    occurrences(v, end, "'") == 2 && occurrences(v, end, "type=") == 1 &&
	    occurrences(v, end, "backend=") == 1 &&
	    occurrences(v, end, "model=") == 0;
}

static void
check_configs(const struct xl_conf *c, const struct hw_plan *p)
{
	struct sk_error err;
	struct buf b;

	buf_init(&b);
	if (xl_work_cfg(c, p, &b, &err) == 0 && (buf_str(&b) == NULL ||
	    !one_pv_vif(b.p) || strstr(b.p, "\npci = [ ]\n") == NULL))
		abort();
	buf_free(&b);
	buf_init(&b);
	if (xl_netvm_cfg(c, p, &b, &err) == 0 && buf_str(&b) == NULL)
		abort();
	buf_free(&b);
}

static void
check_plan(const struct hw_table *t, const struct hw_overrides *ov,
    const struct xl_conf *c, const struct hw_usbpass *up)
{
	struct hw_device d[5];
	struct hw_inventory inv = { d, 5 };
	struct sk_error err;
	struct hw_plan p;
	size_t i;

	inventory(d);
	for (i = 0; i < inv.n; i++)
		hw_classify(&d[i], t);
	if (!d[0].network || !d[1].network || !d[4].network)
		abort();	/* no table entry can hide a network device */
	if (hw_plan_make(&inv, ov, &p, &err) != 0) {
		if (err.msg[0] == '\0' || strchr(err.msg, '\n') != NULL)
			abort();
		return;
	}
	if (up != NULL)
		check_usbpass(&p, up);
	for (i = 0; i < p.n; i++)
		if (p.a[i].dom == HW_DOM_WORK &&
		    (d[i].network || d[i].bus != HW_BUS_USB))
			abort();
	if (c != NULL)
		check_configs(c, &p);
	hw_plan_free(&p);
}

/* Part idx of the input (see the top); the whole input without "---". */
static void
part(const char *in, size_t size, int idx, const char **s, size_t *len)
{
	const char *p = in, *end = in + size, *sep;
	int i;

	if (memmem(in, size, "\n---\n", 5) == NULL) {
		*s = in;
		*len = size;
		return;
	}
	for (i = 0; i < idx && p < end; i++) {
		sep = memmem(p, (size_t)(end - p), "\n---\n", 5);
		p = sep != NULL ? sep + 5 : end;
	}
	sep = memmem(p, (size_t)(end - p), "\n---\n", 5);
	*s = p;
	*len = sep != NULL ? (size_t)(sep - p) + 1 : (size_t)(end - p);
}

static int
domains(const char *s, size_t len, struct xl_conf *c)
{
	struct sk_error err;

	memset(c, 0xa5, sizeof(*c));
	memset(&err, 0, sizeof(err));
	if (xl_conf_parse_buf("fuzz", s, len, c, &err) == 0)
		return 1;
	check_error(&err, c, sizeof(*c));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data, *s;
	struct hw_table t;
	struct hw_overrides ov;
	struct xl_conf c;
	struct hw_usbpass up;
	struct sk_error err;
	int have_t, have_ov, have_c, have_up;
	size_t len;

	part(in, size, 0, &s, &len);
	memset(&t, 0xa5, sizeof(t));
	memset(&err, 0, sizeof(err));
	have_t = hw_table_parse_buf("fuzz", s, len, &t, &err) == 0;
	if (!have_t)
		check_error(&err, &t, sizeof(t));
	else
		devices_roundtrip(&t);
	part(in, size, 1, &s, &len);
	memset(&ov, 0xa5, sizeof(ov));
	memset(&err, 0, sizeof(err));
	have_ov = hw_overrides_parse_buf("fuzz", s, len, &ov, &err) == 0;
	if (!have_ov)
		check_error(&err, &ov, sizeof(ov));
	else
		overrides_roundtrip(&ov);
	part(in, size, 2, &s, &len);
	have_c = domains(s, len, &c);
	part(in, size, 3, &s, &len);
	memset(&up, 0xa5, sizeof(up));
	memset(&err, 0, sizeof(err));
	have_up = hw_usbpass_parse_buf("fuzz", s, len, &up, &err) == 0;
	if (!have_up)
		check_error(&err, &up, sizeof(up));
	else
		usbpass_roundtrip(&up);
	check_plan(have_t ? &t : NULL, have_ov ? &ov : NULL, have_c ? &c : NULL,
	    have_up ? &up : NULL);
	if (have_up)
		hw_usbpass_free(&up);
	if (have_t)
		hw_table_free(&t);
	if (have_ov)
		hw_overrides_free(&ov);
	return 0;
}
