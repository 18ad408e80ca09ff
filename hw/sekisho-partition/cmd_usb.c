/* sekisho-partition usb-ids | usb-attach: work's USB devices by identity
 * (hw/sekisho-partition/usbpass.h, docs/hw.md "USB devices that follow the
 * device").
 *
 *   usb-ids      the work USB file for the plan's work USB devices now:
 *                IT reviews it and installs it as /etc/sekisho/work-usb.
 *   usb-attach   makes the running work domain's USB devices those the
 *                file names, at the bus and address sysfs shows now: adds
 *                the missing ones, removes the ones that are gone. udev
 *                runs it on every USB device that comes or goes
 *                (hw/sekisho-partition/sekisho-usb.rules). It only ever
 *                touches the domain named work: nothing here can give the
 *                netvm a device. --dry-run prints what it would do with
 *                work holding the --attached devices, without Xen. */
#include "hw/sekisho-partition/partition.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sekisho-partition/builder.h"
#include "hw/sekisho-partition/xenctl.h"
#include "hw/sekisho-partition/xlcfg.h"

int
usb_ids_main(void *ctx, int argc, char *argv[])
{
	const struct partition_opts *o = ctx;
	struct partition_input in;
	struct hw_usbpass up;
	struct hw_plan plan;
	struct sk_error err;
	struct buf b;
	int rc;

	if (argc != 1) {
		fprintf(stderr, "Usage: %s [global options] %s\n", o->prog,
		    argv[0]);
		return EXIT_USAGE;
	}
	memset(&plan, 0, sizeof(plan));
	if ((rc = partition_load(o, &in)) != EXIT_OK)
		return rc;
	/* From the rules and overrides only: the file being written is the
	 * one --usb would name. */
	if (hw_plan_make(&in.inv, in.have_ov ? &in.ov : NULL, &plan,
	    &err) != 0 || hw_usbpass_from_plan(&plan, &up, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		hw_plan_free(&plan);
		partition_input_free(&in);
		return EXIT_FAIL;
	}
	buf_init(&b);
	hw_usbpass_print(&b, &up, &in.inv);
	rc = partition_output(o, &b);
	buf_free(&b);
	hw_usbpass_free(&up);
	hw_plan_free(&plan);
	partition_input_free(&in);
	return rc;
}

struct attach_args {
	int dry_run, verbose;
	uint16_t have[HW_USBPASS_MAX * 2];
	size_t n_have;
};

static int
attach_usage(const struct partition_opts *o, const char *cmd)
{
	fprintf(stderr, "Usage: %s --usb FILE [global options] %s [--verbose]\n"
	    "       %s --usb FILE [global options] %s --dry-run "
	    "[--attached BUS.ADDR,...]\n", o->prog, cmd, o->prog, cmd);
	return EXIT_USAGE;
}

/* "3.2,1.7": bus and address pairs, decimal, 1..255 each. */
static int
parse_attached(const char *s, struct attach_args *a)
{
	unsigned long bus, addr;
	char *end;

	while (*s != '\0') {
		if (a->n_have == nitems(a->have) || *s < '0' || *s > '9')
			return -1;
		bus = strtoul(s, &end, 10);
		if (*end != '.' || end[1] < '0' || end[1] > '9')
			return -1;
		addr = strtoul(end + 1, &end, 10);
		if (bus < 1 || bus > 255 || addr < 1 || addr > 255 ||
		    (*end != ',' && *end != '\0'))
			return -1;
		a->have[a->n_have++] = (uint16_t)(bus << 8 | addr);
		s = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static int
attach_args(const struct partition_opts *o, int argc, char *argv[],
    struct attach_args *a)
{
	int i, attached = 0;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dry-run") == 0)
			a->dry_run = 1;
		else if (strcmp(argv[i], "--verbose") == 0)
			a->verbose = 1;
		else if (strcmp(argv[i], "--attached") == 0 && i + 1 < argc &&
		    parse_attached(argv[++i], a) == 0)
			attached = 1;
		else
			return attach_usage(o, argv[0]);
	}
	if (attached && !a->dry_run)
		return attach_usage(o, argv[0]);
	if (o->usb == NULL) {
		/* Without the file nothing is attached: no guessing. */
		fprintf(stderr, "%s %s: needs --usb FILE (sekisho-partition "
		    "usb-ids writes one)\n", o->prog, argv[0]);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* What the plan left out, and its notes: one line each. */
static void
report(struct buf *b, const struct hw_plan *p)
{
	const struct hw_device *d;
	char id[16];
	size_t i;

	for (i = 0; i < p->n; i++) {
		d = &p->inv->dev[p->a[i].dev];
		if (d->bus == HW_BUS_USB && p->a[i].held)
			buf_printf(b, "dom0: usb %s %s: %s\n", d->addr,
			    hw_id_str(d, id, sizeof(id)), p->a[i].reason);
	}
	for (i = 0; i < p->n_notes; i++)
		buf_printf(b, "note: %s\n", p->notes[i]);
}

/* --dry-run: a work domain (domain 1) holding the --attached devices;
 * changes are printed, nothing is done. */
static int
dry_find(void *ctx, const char *name, uint32_t *domid)
{
	(void)ctx;
	(void)name;
	*domid = 1;
	return 0;
}

static int
dry_list(void *ctx, uint32_t domid, uint16_t *have, size_t max, size_t *n,
    struct sk_error *err)
{
	const struct attach_args *a = ctx;

	(void)domid;
	(void)err;
	*n = a->n_have < max ? a->n_have : max;
	memcpy(have, a->have, *n * sizeof(*have));
	return 0;
}

static int
dry_change(void *ctx, uint32_t domid, uint16_t bus_addr, struct sk_error *err)
{
	(void)ctx;
	(void)domid;
	(void)bus_addr;
	(void)err;
	return 0;
}

static const struct xen_ops dry_ops = {
	.find = dry_find, .usb_list = dry_list, .usb_add = dry_change,
	.usb_remove = dry_change,
};

int
usb_attach_main(void *ctx, int argc, char *argv[])
{
	const struct partition_opts *o = ctx;
	struct partition_input in;
	struct attach_args a;
	struct builder bl;
	struct xenctl *x;
	struct hw_plan plan;
	struct sk_error err;
	struct buf b;
	int rc;

	if ((rc = attach_args(o, argc, argv, &a)) != EXIT_OK)
		return rc;
	if (!a.dry_run && !partition_on_xen(o))
		return partition_no_xen(o, argv[0]);
	if ((rc = partition_load(o, &in)) != EXIT_OK)
		return rc;
	if ((rc = partition_plan(&in, &plan)) != EXIT_OK) {
		partition_input_free(&in);
		return rc;
	}
	buf_init(&b);
	report(&b, &plan);
	memset(&bl, 0, sizeof(bl));
	bl.out = &b;
	x = NULL;
	if (a.dry_run) {
		bl.ops = &dry_ops;
		bl.ctx = &a;
	} else if ((x = xenctl_open(a.verbose, &err)) != NULL) {
		bl.ops = &xenctl_ops;
		bl.ctx = x;
	}
	if (bl.ops == NULL || builder_usb_attach(&bl, &plan, &err) != 0)
		rc = EXIT_FAIL;
	if (partition_output(o, &b) != EXIT_OK)
		rc = EXIT_FAIL;
	else if (rc != EXIT_OK)
		fprintf(stderr, "%s %s: %s\n", o->prog, argv[0], err.msg);
	xenctl_close(x);
	buf_free(&b);
	hw_plan_free(&plan);
	partition_input_free(&in);
	return rc;
}
