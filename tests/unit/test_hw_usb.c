/* Unit tests of work's USB devices by identity (hw/sekisho-partition/usbpass.c):
 * the identity of a device, the work USB file (every error message exactly,
 * print and parse back), and what the file does to the plan on the fixture
 * trees of one laptop before and after its readers were re-plugged
 * (tests/hw/fixtures/usb-*): the device followed, the identical readers
 * told apart by port, the unnamed and the ambiguous left with dom0, the
 * netvm never changed. Run from the top of the tree. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sekisho-partition/inventory.h"
#include "hw/sekisho-partition/plan.h"
#include "hw/sekisho-partition/usbpass.h"
#include "lib/buf.h"
#include "lib/util.h"

#define FIXTURES "tests/hw/fixtures"

static struct hw_device
reader(const char *addr, uint16_t v, uint16_t p, const char *serial,
    unsigned int bus, unsigned int dev)
{
	struct hw_device d;

	memset(&d, 0, sizeof(d));
	d.bus = HW_BUS_USB;
	sk_strlcpy(d.addr, addr, sizeof(d.addr));
	d.vendor = v;
	d.product = p;
	d.nconfigs = 1;
	d.busnum = bus;
	d.devnum = dev;
	sk_strlcpy(d.serial, serial, sizeof(d.serial));
	sk_strlcpy(d.usbifs[0].addr, addr, sizeof(d.usbifs[0].addr));
	d.usbifs[0].cls = 0x0b;	/* CCID */
	d.n_usbifs = 1;
	d.kind = HW_KIND_CARD_READER;
	sk_strlcpy(d.name, "reader", sizeof(d.name));
	return d;
}

static void
test_identity(void **state)
{
	static const struct {
		const char *serial, *want;
	} c[] = {
		{ "OKCM0070813", "076b:3031 serial OKCM0070813" },
		{ "", "076b:3031 port 1-2.3" },
		{ "AB CD", "076b:3031 port 1-2.3" },	/* not one word */
		{ "AB?D", "076b:3031 port 1-2.3" },	/* sanitised byte */
		{ "AB#D", "076b:3031 port 1-2.3" },	/* a comment in the file */
	};
	struct hw_device d;
	struct hw_usbid id;
	char s[128];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(c); i++) {
		d = reader("1-2.3", 0x076b, 0x3031, c[i].serial, 1, 4);
		hw_usbid_of(&d, &id);
		assert_string_equal(hw_usbid_str(&id, s, sizeof(s)), c[i].want);
		assert_true(hw_usbid_matches(&id, &d));
		/* The same reader elsewhere: only a serial follows it. */
		sk_strlcpy(d.addr, "2-1", sizeof(d.addr));
		d.busnum = 2;
		assert_int_equal(hw_usbid_matches(&id, &d),
		    id.by == HW_USBID_SERIAL);
		/* Another product with that serial is another device. */
		d = reader("1-2.3", 0x076b, 0x3032, c[i].serial, 1, 4);
		assert_false(hw_usbid_matches(&id, &d));
	}
}

static const struct {
	const char *text, *msg;
} errors[] = {
	{ "version 1\nnetvm usb 0bda:8153 serial 1\n", "t:2: unknown partition "
	    "'netvm', expected 'work' (this file lists work's USB devices only)" },
	{ "version 1\nwork\n", "t:2: expected 'usb' after 'work'" },
	{ "version 1\nwork pci 00:1f.6\n", "t:2: expected 'usb' after 'work'" },
	{ "version 1\nwork usb\n", "t:2: expected a USB id (076b:3031) after 'usb'" },
	{ "version 1\nwork usb 76b:3031 port 1-1\n", "t:2: bad USB id '76b:3031', "
	    "expected VENDOR:PRODUCT in hex (076b:3031)" },
	{ "version 1\nwork usb 076b:3031\n",
	    "t:2: expected 'serial' or 'port' after the id" },
	{ "version 1\nwork usb 076b:3031 serial\n",
	    "t:2: expected the serial after 'serial'" },
	{ "version 1\nwork usb 076b:3031 port\n",
	    "t:2: expected the port path after 'port'" },
	{ "version 1\nwork usb 076b:3031 bus 1\n", "t:2: unknown identity 'bus', "
	    "expected 'serial' or 'port'" },
	{ "version 1\nwork usb 076b:3031 serial A?B\n", "t:2: bad serial 'A?B', "
	    "expected 1 to 63 printable characters, no '?'" },
	{ "version 1\nwork usb 076b:3031 serial "
	    "0123456789012345678901234567890123456789012345678901234567890123\n",
	    "t:2: bad serial '0123456789012345678901234567890123456...', expected "
	    "1 to 63 printable characters, no '?'" },
	{ "version 1\nwork usb 076b:3031 port 1\n", "t:2: bad port path '1', "
	    "expected BUS-PORT[.PORT]... (1-2.3), at most 7 ports" },
	{ "version 1\nwork usb 076b:3031 port 1-0\n", "t:2: bad port path '1-0', "
	    "expected BUS-PORT[.PORT]... (1-2.3), at most 7 ports" },
	{ "version 1\nwork usb 076b:3031 port 0-1\n", "t:2: bad port path '0-1', "
	    "expected BUS-PORT[.PORT]... (1-2.3), at most 7 ports" },
	{ "version 1\nwork usb 076b:3031 port 1-2.\n", "t:2: bad port path '1-2.', "
	    "expected BUS-PORT[.PORT]... (1-2.3), at most 7 ports" },
	{ "version 1\nwork usb 076b:3031 port 1-256\n", "t:2: bad port path "
	    "'1-256', expected BUS-PORT[.PORT]... (1-2.3), at most 7 ports" },
	{ "version 1\nwork usb 076b:3031 port 1-2-3\n", "t:2: bad port path "
	    "'1-2-3', expected BUS-PORT[.PORT]... (1-2.3), at most 7 ports" },
	{ "version 1\nwork usb 076b:3031 port 1-2:1.0\n", "t:2: bad port path "
	    "'1-2:1.0', expected BUS-PORT[.PORT]... (1-2.3), at most 7 ports" },
	{ "version 1\nwork usb 076b:3031 port usb1\n", "t:2: bad port path "
	    "'usb1', expected BUS-PORT[.PORT]... (1-2.3), at most 7 ports" },
	{ "version 1\nwork usb 076b:3031 port 1-1 x\n",
	    "t:2: unexpected 'x' after the port path" },
	{ "version 1\nwork usb 076b:3031 serial A\nwork usb 076b:3031 serial A\n",
	    "t:3: 076b:3031 serial A already listed at line 2" },
	{ "work usb 076b:3031 serial A\n",
	    "t:1: expected 'version 1' first, found 'work'" },
};

static void
test_file_errors(void **state)
{
	struct hw_usbpass up;
	struct sk_error err;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(errors); i++) {
		memset(&up, 0x5a, sizeof(up));
		memset(&err, 0, sizeof(err));
		if (hw_usbpass_parse_buf("t", errors[i].text,
		    strlen(errors[i].text), &up, &err) == 0)
			fail_msg("parsed: %s", errors[i].text);
		assert_string_equal(err.msg, errors[i].msg);
	}
}

static void
test_file_parse_print(void **state)
{
	static const char text[] =
	    "version 1\n"
	    "# the counter's readers\n"
	    "work usb 076b:3031 serial OKCM0070813   # OMNIKEY\n"
	    "work  usb 058f:9540 port 1-3\n"
	    "work usb 058F:9540 port 1-4.1.2.3.4.5.6\n"
	    "work usb 058f:9540 port 65535-255\n";
	struct hw_usbpass up, back;
	struct sk_error err;
	struct buf b;

	(void)state;
	if (hw_usbpass_parse_buf("work-usb", text, strlen(text), &up, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(up.n, 4);
	assert_int_equal(up.id[0].by, HW_USBID_SERIAL);
	assert_int_equal(up.id[0].line, 3);
	assert_int_equal(up.id[2].vendor, 0x058f);
	assert_string_equal(up.id[2].port, "1-4.1.2.3.4.5.6");
	buf_init(&b);
	hw_usbpass_print(&b, &up, NULL);
	assert_string_equal(buf_str(&b),
	    "version 1\n"
	    "work usb 076b:3031 serial OKCM0070813\n"
	    "work usb 058f:9540 port 1-3\n"
	    "work usb 058f:9540 port 1-4.1.2.3.4.5.6\n"
	    "work usb 058f:9540 port 65535-255\n");
	if (hw_usbpass_parse_buf("back", buf_str(&b), b.len, &back,
	    &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(back.n, up.n);
	buf_free(&b);
	hw_usbpass_free(&back);
	hw_usbpass_free(&up);
}

/* ---- on the fixture trees ---- */

struct laptop {
	struct hw_inventory inv;
	struct hw_plan plan;
};

static void
laptop_read(const char *tree, struct laptop *l)
{
	char root[256];
	struct sk_error err;

	snprintf(root, sizeof(root), FIXTURES "/%s", tree);
	if (hw_inventory_read(root, NULL, &l->inv, &err) != 0 ||
	    hw_plan_make(&l->inv, NULL, &l->plan, &err) != 0)
		fail_msg("%s: %s", tree, err.msg);
}

static void
laptop_free(struct laptop *l)
{
	hw_plan_free(&l->plan);
	hw_inventory_free(&l->inv);
}

static const struct hw_assign *
at(const struct laptop *l, const char *addr)
{
	size_t i;

	for (i = 0; i < l->plan.n; i++)
		if (strcmp(l->inv.dev[l->plan.a[i].dev].addr, addr) == 0)
			return &l->plan.a[i];
	fail_msg("no device %s", addr);
	return NULL;
}

/* The file of the laptop as it was set up (usb-ids on usb-readers). */
static void
base_file(struct hw_usbpass *up)
{
	struct hw_usbpass made;
	struct laptop l;
	struct sk_error err;
	struct buf b;

	laptop_read("usb-readers", &l);
	if (hw_usbpass_from_plan(&l.plan, &made, &err) != 0)
		fail_msg("%s", err.msg);
	/* The two identical readers are told apart by their ports. */
	buf_init(&b);
	hw_usbpass_print(&b, &made, NULL);
	if (hw_usbpass_parse_buf("work-usb", buf_str(&b), b.len, up, &err) != 0)
		fail_msg("%s", err.msg);
	hw_usbpass_free(&made);
	assert_string_equal(buf_str(&b),
	    "version 1\n"
	    "work usb 076b:3031 serial OKCM0070813\n"
	    "work usb 058f:9540 port 1-3\n"
	    "work usb 058f:9540 port 1-4\n"
	    "work usb 06cb:00bd serial a1b2c3d4e5f6\n");
	buf_free(&b);
	laptop_free(&l);
}

/* expect: "ADDR DOM BUS.DEV" for every USB device of the tree. */
static void
expect_tree(const char *tree, const char *const expect[], size_t n_notes,
    const char *note0)
{
	struct hw_usbpass up;
	struct laptop l;
	struct sk_error err;
	const struct hw_assign *a;
	const struct hw_device *d;
	char addr[HW_ADDR_MAX], dom[8];
	unsigned int bus, dev;
	size_t i, n_expect, n_usb = 0;
	enum hw_domain before[64];

	base_file(&up);
	laptop_read(tree, &l);
	assert_true(l.plan.n <= nitems(before));
	for (i = 0; i < l.plan.n; i++)
		before[i] = l.plan.a[i].dom;
	if (hw_usbpass_apply(&l.plan, &up, &err) != 0)
		fail_msg("%s", err.msg);
	for (i = 0; expect[i] != NULL; i++) {
		assert_int_equal(sscanf(expect[i], "%31s %7s %u.%u", addr, dom,
		    &bus, &dev), 4);
		a = at(&l, addr);
		d = &l.inv.dev[a->dev];
		if (strcmp(hw_domain_name(a->dom), dom) != 0)
			fail_msg("%s: usb %s in %s, expected %s", tree, addr,
			    hw_domain_name(a->dom), dom);
		assert_int_equal(d->busnum, bus);
		assert_int_equal(d->devnum, dev);
		assert_int_equal(a->via, a->dom == HW_DOM_DOM0 ? HW_VIA_NONE :
		    HW_VIA_USB);
	}
	n_expect = i;
	for (i = 0; i < l.plan.n; i++) {
		n_usb += l.inv.dev[l.plan.a[i].dev].bus == HW_BUS_USB;
		/* Nothing moves to the netvm, nothing leaves it. */
		assert_int_equal(before[i] == HW_DOM_NETVM,
		    l.plan.a[i].dom == HW_DOM_NETVM);
		/* Nothing goes to work that the rules did not put there. */
		if (l.plan.a[i].dom == HW_DOM_WORK)
			assert_int_equal(before[i], HW_DOM_WORK);
	}
	assert_int_equal(n_usb, n_expect);	/* every USB device checked */
	assert_int_equal(l.plan.n_notes, n_notes);
	if (note0 != NULL)
		assert_string_equal(l.plan.notes[0], note0);
	laptop_free(&l);
	hw_usbpass_free(&up);
}

static void
test_tree_as_set_up(void **state)
{
	static const char *const e[] = { "1-1 work 1.3", "1-3 work 1.4",
	    "1-4 work 1.5", "1-5 work 1.2", "2-1 netvm 2.2", NULL };

	(void)state;
	expect_tree("usb-readers", e, 0, NULL);
}

/* The OMNIKEY on another bus and address; an Alcor re-plugged in its own
 * port (a new address). */
static void
test_tree_replugged(void **state)
{
	static const char *const e[] = { "3-2 work 3.2", "1-3 work 1.9",
	    "1-4 work 1.5", "1-5 work 1.2", "2-1 netvm 2.2", NULL };

	(void)state;
	expect_tree("usb-replug", e, 0, NULL);
}

/* The OMNIKEY in another port follows its serial; the Alcor from 1-3 in
 * port 1-6 is no longer the reader the file names. */
static void
test_tree_moved(void **state)
{
	static const char *const e[] = { "1-2 work 1.7", "1-4 work 1.5",
	    "1-6 dom0 1.8", "1-5 work 1.2", "2-1 netvm 2.2", NULL };

	(void)state;
	expect_tree("usb-moved", e, 1,
	    "work-usb:3: no device is 058f:9540 port 1-3 (unplugged?)");
}

/* The OMNIKEY reports another serial: another device, left with dom0. */
static void
test_tree_serial_changed(void **state)
{
	static const char *const e[] = { "1-1 dom0 1.3", "1-3 work 1.4",
	    "1-4 work 1.5", "1-5 work 1.2", "2-1 netvm 2.2", NULL };

	(void)state;
	expect_tree("usb-serial-changed", e, 1,
	    "work-usb:2: no device is 076b:3031 serial OKCM0070813 (unplugged?)");
}

/* Two readers with one serial (cheap readers share one): neither goes to
 * work, and usb-ids refuses to write a file that cannot tell them apart. */
static void
test_ambiguous(void **state)
{
	static const char text[] =
	    "version 1\nwork usb 076b:3031 serial SAME\n";
	struct hw_device d[3];
	struct hw_inventory inv = { d, 3 };
	struct hw_usbpass up, made;
	struct hw_plan p;
	struct sk_error err;
	size_t i;

	(void)state;
	d[0] = reader("1-1", 0x076b, 0x3031, "SAME", 1, 3);
	d[1] = reader("1-2", 0x076b, 0x3031, "SAME", 1, 4);
	d[2] = reader("1-3", 0x076b, 0x3031, "OTHER", 1, 5);
	if (hw_plan_make(&inv, NULL, &p, &err) != 0)
		fail_msg("%s", err.msg);
	for (i = 0; i < 3; i++)
		assert_int_equal(p.a[i].dom, HW_DOM_WORK);
	assert_int_equal(hw_usbpass_from_plan(&p, &made, &err), -EINVAL);
	assert_string_equal(err.msg, "usb 1-1 and usb 1-2 are both 076b:3031 "
	    "serial SAME: they cannot be told apart");
	if (hw_usbpass_parse_buf("f", text, strlen(text), &up, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(hw_usbpass_apply(&p, &up, &err), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(p.a[i].dom, HW_DOM_DOM0);
		assert_int_equal(p.a[i].via, HW_VIA_NONE);
	}
	assert_string_equal(p.a[0].reason, "f:2 names 2 devices, this one among "
	    "them: left with dom0");
	assert_string_equal(p.a[2].reason, "not in f: work gets only the USB "
	    "devices it names, left with dom0");
	assert_int_equal(p.n_held, 3);
	assert_int_equal(p.n_notes, 1);
	assert_string_equal(p.notes[0], "f:2: 2 devices are 076b:3031 serial "
	    "SAME: none of them goes to work");
	hw_usbpass_free(&up);
	hw_plan_free(&p);
}

/* A line naming a network-capable device (the netvm's adapter, or a
 * "reader" with a CDC Ethernet function) moves nothing: a note. */
static void
test_network_named(void **state)
{
	static const char text[] =
	    "version 1\n"
	    "work usb 0bda:8153 serial 000001\n"
	    "work usb 076b:3031 serial NETRDR\n";
	struct hw_device d[2];
	struct hw_inventory inv = { d, 2 };
	struct hw_usbpass up;
	struct hw_plan p;
	struct sk_error err;

	(void)state;
	d[0] = reader("2-1", 0x0bda, 0x8153, "000001", 2, 2);
	d[0].usbifs[0].cls = 0xff;
	d[0].kind = HW_KIND_ETHERNET;
	d[0].network = 1;
	d[1] = reader("1-1", 0x076b, 0x3031, "NETRDR", 1, 3);
	d[1].usbifs[1] = d[1].usbifs[0];
	d[1].usbifs[1].cls = 0x02;	/* CDC */
	d[1].usbifs[1].sub = 0x06;	/* ECM */
	d[1].n_usbifs = 2;
	d[1].kind = HW_KIND_ETHERNET;
	d[1].network = 1;
	if (hw_plan_make(&inv, NULL, &p, &err) != 0)
		fail_msg("%s", err.msg);
	if (hw_usbpass_parse_buf("f", text, strlen(text), &up, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(hw_usbpass_apply(&p, &up, &err), 0);
	assert_int_equal(p.a[0].dom, HW_DOM_NETVM);
	assert_int_equal(p.a[1].dom, HW_DOM_NETVM);
	assert_int_equal(p.n_notes, 2);
	assert_string_equal(p.notes[0], "f:2: usb 2-1 (0bda:8153 serial 000001) "
	    "is netvm's by the rules, not work's: left there");
	hw_usbpass_free(&up);
	hw_plan_free(&p);
}

/* usb-attach's changes after the OMNIKEY moved to bus 3 and an Alcor got
 * a new address: the stale entries go, the new addresses come. */
static void
test_sync(void **state)
{
	const uint16_t before[] = { 1 << 8 | 3, 1 << 8 | 4, 1 << 8 | 5,
	    1 << 8 | 2 };
	const uint16_t stranger[] = { 1 << 8 | 5, 1 << 8 | 2, 1 << 8 | 9,
	    3 << 8 | 2, 4 << 8 | 1 };
	struct hw_usbpass up;
	struct hw_usbsync s;
	struct laptop l;
	struct sk_error err;

	(void)state;
	base_file(&up);
	laptop_read("usb-replug", &l);
	assert_int_equal(hw_usbpass_apply(&l.plan, &up, &err), 0);
	assert_int_equal(hw_usbpass_sync(&l.plan, before, nitems(before), &s,
	    &err), 0);
	assert_int_equal(s.n_del, 2);
	assert_int_equal(s.del[0], 1 << 8 | 3);
	assert_int_equal(s.del[1], 1 << 8 | 4);
	assert_int_equal(s.n_add, 2);
	assert_int_equal(s.add[0], 1 << 8 | 9);
	assert_string_equal(l.inv.dev[s.add_dev[0]].addr, "1-3");
	assert_int_equal(s.add[1], 3 << 8 | 2);
	assert_string_equal(l.inv.dev[s.add_dev[1]].addr, "3-2");
	/* Already right, plus a device work should not have: it goes. */
	assert_int_equal(hw_usbpass_sync(&l.plan, stranger, nitems(stranger),
	    &s, &err), 0);
	assert_int_equal(s.n_add, 0);
	assert_int_equal(s.n_del, 1);
	assert_int_equal(s.del[0], 4 << 8 | 1);
	laptop_free(&l);
	hw_usbpass_free(&up);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_file_parse_print),
		cmocka_unit_test(test_tree_as_set_up),
		cmocka_unit_test(test_tree_replugged),
		cmocka_unit_test(test_tree_moved),
		cmocka_unit_test(test_tree_serial_changed),
		cmocka_unit_test(test_ambiguous),
		cmocka_unit_test(test_network_named),
		cmocka_unit_test(test_sync),
	};
	return cmocka_run_group_tests_name("hw_usb", tests, NULL, NULL);
}
