/* Unit tests of hw/: the classification rules on plain structs, the plan's
 * rules and overrides, the two configuration parsers (every error message
 * exactly), the sysfs reader on the fixture trees and on broken trees, and
 * the JSON escaping. Run from the top of the tree (tests/run.sh does). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hw/sekisho-partition/classify.h"
#include "hw/sekisho-partition/devtable.h"
#include "hw/sekisho-partition/inventory.h"
#include "hw/sekisho-partition/plan.h"
#include "hw/sekisho-partition/render.h"
#include "hw/sekisho-partition/xlcfg.h"
#include "lib/buf.h"
#include "lib/util.h"

#define FIXTURES "tests/hw/fixtures"

/* ---- building devices ---- */

static struct hw_device
pci_dev(const char *addr, uint16_t v, uint16_t p, uint32_t cls)
{
	struct hw_device d;

	memset(&d, 0, sizeof(d));
	d.bus = HW_BUS_PCI;
	sk_strlcpy(d.addr, addr, sizeof(d.addr));
	d.vendor = v;
	d.product = p;
	d.pci_class = cls;
	return d;
}

/* ifs: "CC/SS/PP" per interface, NULL-terminated. */
static struct hw_device
usb_dev(const char *addr, uint16_t v, uint16_t p, const char *product,
    const char *const ifs[])
{
	struct hw_device d;
	unsigned int c, s, pr;
	size_t i;

	memset(&d, 0, sizeof(d));
	d.bus = HW_BUS_USB;
	sk_strlcpy(d.addr, addr, sizeof(d.addr));
	d.vendor = v;
	d.product = p;
	d.nconfigs = 1;
	d.busnum = 1;
	d.devnum = 7;
	sk_strlcpy(d.product_name, product ? product : "", sizeof(d.product_name));
	for (i = 0; ifs != NULL && ifs[i] != NULL; i++) {
		assert_int_equal(sscanf(ifs[i], "%x/%x/%x", &c, &s, &pr), 3);
		snprintf(d.usbifs[i].addr, sizeof(d.usbifs[i].addr), "%s:1.%zu",
		    addr, i);
		d.usbifs[i].cls = (uint8_t)c;
		d.usbifs[i].sub = (uint8_t)s;
		d.usbifs[i].proto = (uint8_t)pr;
	}
	d.n_usbifs = i;
	return d;
}

static void
add_netif(struct hw_device *d, const char *name, enum hw_netif_type t)
{
	sk_strlcpy(d->netifs[d->n_netifs].name, name,
	    sizeof(d->netifs[0].name));
	d->netifs[d->n_netifs++].type = t;
}

static struct hw_table
table_of(const char *text)
{
	struct hw_table t;
	struct sk_error err;

	memset(&err, 0, sizeof(err));
	if (hw_table_parse_buf("devices.conf", text, strlen(text), &t, &err) != 0)
		fail_msg("devices file: %s", err.msg);
	return t;
}

/* ---- classification ---- */

static void
test_classify_pci(void **state)
{
	static const struct {
		uint16_t v, p;
		uint32_t cls;
		enum hw_kind kind;
		int network;
	} c[] = {
		{ 0x8086, 0x15fc, 0x020000, HW_KIND_ETHERNET, 1 },
		{ 0x8086, 0xa0f0, 0x028000, HW_KIND_WIFI, 1 },
		{ 0x15b3, 0x1017, 0x020700, HW_KIND_NETWORK, 1 },	/* InfiniBand */
		{ 0x14c3, 0x0000, 0x0d4000, HW_KIND_WWAN, 1 },
		{ 0x1234, 0x0001, 0x0d4100, HW_KIND_WWAN, 1 },
		{ 0x8086, 0x0001, 0x0d1100, HW_KIND_BLUETOOTH, 1 },
		{ 0x8086, 0x0001, 0x0d2000, HW_KIND_WIFI, 1 },
		{ 0x8086, 0x0001, 0x0d0100, HW_KIND_NETWORK, 1 },	/* consumer IR */
		{ 0x8086, 0x0001, 0x070300, HW_KIND_WWAN, 1 },
		{ 0x8086, 0x7360, 0x078000, HW_KIND_WWAN, 1 },	/* by the table */
		{ 0x1eac, 0x1001, 0xff0000, HW_KIND_WWAN, 1 },	/* by the table */
		{ 0x8086, 0xa0e0, 0x078000, HW_KIND_PLATFORM, 0 },	/* MEI */
		{ 0x8086, 0xa0ed, 0x0c0330, HW_KIND_PLATFORM, 0 },
		{ 0x8086, 0x9a14, 0x060000, HW_KIND_PLATFORM, 0 },
		{ 0x1af4, 0x1045, 0xff0000, HW_KIND_UNKNOWN, 0 },
		{ 0x1234, 0x1111, 0x000000, HW_KIND_UNKNOWN, 0 },
	};
	struct hw_device d;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(c); i++) {
		d = pci_dev("0000:00:1f.6", c[i].v, c[i].p, c[i].cls);
		hw_classify(&d, NULL);
		if (d.kind != c[i].kind || d.network != c[i].network)
			fail_msg("case %zu (%04x:%04x class %06x): %s network %d (%s)",
			    i, c[i].v, c[i].p, (unsigned)c[i].cls,
			    hw_kind_name(d.kind), d.network, d.why);
	}
	d = pci_dev("0000:00:1f.6", 0x8086, 0x15fc, 0x020000);
	hw_classify(&d, NULL);
	assert_string_equal(d.why, "PCI class 0x0200 (Ethernet controller)");
	assert_string_equal(d.name, "Ethernet controller");
	d = pci_dev("0000:00:02.0", 0x1af4, 0x1045, 0xff0000);
	hw_classify(&d, NULL);
	assert_string_equal(d.why, "PCI class 0xff0000 (Unassigned class); "
	    "id 1af4:1045 not in the device table");
}

/* A network interface or a WWAN port makes any device network-capable. */
static void
test_classify_netif_wins(void **state)
{
	static const char *const ccid[] = { "0b/00/00", NULL };
	struct hw_device d;

	(void)state;
	d = pci_dev("0000:00:14.0", 0x8086, 0xa0ed, 0x0c0330);
	add_netif(&d, "eth9", HW_NETIF_ETHER);
	hw_classify(&d, NULL);
	assert_true(d.network);
	assert_int_equal(d.kind, HW_KIND_ETHERNET);

	d = pci_dev("0000:00:14.3", 0x8086, 0xa0f0, 0x028000);
	add_netif(&d, "wlp0s20f3", HW_NETIF_WLAN);
	hw_classify(&d, NULL);
	assert_int_equal(d.kind, HW_KIND_WIFI);
	assert_string_equal(d.why, "network interface wlp0s20f3 (wlan); "
	    "PCI class 0x0280 (Network controller)");

	d = pci_dev("0000:05:00.0", 0x1234, 0x5678, 0xff0000);
	d.wwan_port = 1;
	hw_classify(&d, NULL);
	assert_true(d.network);
	assert_int_equal(d.kind, HW_KIND_WWAN);

	d = usb_dev("1-2", 0x058f, 0x9540, "Reader", ccid);
	d.more_netifs = 1;
	hw_classify(&d, NULL);
	assert_true(d.network);
}

static void
test_classify_usb(void **state)
{
	static const char *const ccid[] = { "0b/00/00", NULL };
	static const char *const video[] = { "0e/01/00", "0e/02/00", NULL };
	static const char *const webcam[] = { "0e/01/00", "0e/02/00", "01/01/00",
	    "01/02/00", NULL };
	static const char *const vendor[] = { "ff/ff/ff", NULL };
	static const char *const vendor0[] = { "ff/00/00", NULL };
	static const char *const mbim[] = { "02/0e/00", "0a/00/02", NULL };
	static const char *const ecm[] = { "02/06/00", "0a/00/00", NULL };
	static const char *const ncm[] = { "02/0d/00", "0a/00/01", NULL };
	static const char *const acm_at[] = { "02/02/01", "0a/00/00", NULL };
	static const char *const acm[] = { "02/02/00", "0a/00/00", NULL };
	static const char *const bt[] = { "e0/01/01", "e0/01/01", NULL };
	static const char *const rndis[] = { "ef/04/01", "0a/00/00", NULL };
	static const char *const rndis2[] = { "e0/01/03", "0a/00/00", NULL };
	static const char *const hub[] = { "09/00/00", NULL };
	static const char *const hid[] = { "03/01/02", NULL };
	static const char *const storage[] = { "08/06/50", NULL };
	static const struct {
		uint16_t v, p;
		const char *product;
		const char *const *ifs;
		enum hw_kind kind;
		int network;
	} c[] = {
		{ 0x058f, 0x9540, "EMV Smartcard Reader", ccid, HW_KIND_CARD_READER, 0 },
		{ 0x04f2, 0xb6ea, "Integrated Camera", video, HW_KIND_CAMERA, 0 },
		{ 0x046d, 0x082d, "HD Pro Webcam C920", webcam, HW_KIND_CAMERA, 0 },
		{ 0x5986, 0x1141, "Integrated IR Camera", video, HW_KIND_IR_CAMERA, 0 },
		{ 0x5986, 0x1142, "Integrated_IR_Camera", video, HW_KIND_IR_CAMERA, 0 },
		{ 0x5986, 0x1143, "Infrared Camera", video, HW_KIND_IR_CAMERA, 0 },
		{ 0x5986, 0x1144, "IRIS Camera", video, HW_KIND_CAMERA, 0 },
		{ 0x5986, 0x1145, "FAIR Camera", video, HW_KIND_CAMERA, 0 },
		{ 0x04f2, 0xb634, "HP Wide Vision FHD Camera", video, HW_KIND_IR_CAMERA, 0 },
		{ 0x054c, 0x06c1, "RC-S380/S", vendor, HW_KIND_NFC, 0 },
		{ 0x054c, 0x06c3, "RC-S380/P", vendor, HW_KIND_NFC, 0 },
		{ 0x06cb, 0x00bd, NULL, vendor0, HW_KIND_FINGERPRINT, 0 },
		{ 0x06cb, 0x0001, NULL, vendor0, HW_KIND_UNKNOWN, 0 },
		{ 0x27c6, 0x5110, NULL, vendor0, HW_KIND_FINGERPRINT, 0 },
		{ 0x138a, 0x0097, NULL, vendor0, HW_KIND_FINGERPRINT, 0 },
		{ 0x04f3, 0x0c4b, NULL, vendor0, HW_KIND_FINGERPRINT, 0 },
		{ 0x04f3, 0x3057, NULL, hid, HW_KIND_PLATFORM, 0 },
		{ 0x04f3, 0x3058, NULL, vendor0, HW_KIND_UNKNOWN, 0 },
		{ 0x1199, 0x9079, "EM7455", mbim, HW_KIND_WWAN, 1 },
		{ 0x1234, 0x0001, "any MBIM modem", mbim, HW_KIND_WWAN, 1 },
		{ 0x2c7c, 0x0125, "EC25", vendor, HW_KIND_WWAN, 1 },
		{ 0x1234, 0x0002, "dongle", ecm, HW_KIND_ETHERNET, 1 },
		{ 0x1234, 0x0003, "dongle", ncm, HW_KIND_ETHERNET, 1 },
		{ 0x1234, 0x0004, "modem", acm_at, HW_KIND_WWAN, 1 },
		{ 0x1234, 0x0005, "serial", acm, HW_KIND_NETWORK, 1 },
		{ 0x8087, 0x0026, NULL, bt, HW_KIND_BLUETOOTH, 1 },
		{ 0x18d1, 0x4ee3, "Pixel", rndis, HW_KIND_NETWORK, 1 },
		{ 0x18d1, 0x4ee4, "Pixel", rndis2, HW_KIND_NETWORK, 1 },
		{ 0x0bda, 0x8153, "USB 10/100/1000 LAN", vendor, HW_KIND_ETHERNET, 1 },
		{ 0x05e3, 0x0610, "USB2.0 Hub", hub, HW_KIND_PLATFORM, 0 },
		{ 0x046d, 0xc077, "Mouse", hid, HW_KIND_PLATFORM, 0 },
		{ 0x0781, 0x5583, "Ultra Fit", storage, HW_KIND_UNKNOWN, 0 },
		{ 0x1234, 0x5678, "Mystery", vendor, HW_KIND_UNKNOWN, 0 },
		{ 0x1234, 0x5679, "No interfaces", NULL, HW_KIND_UNKNOWN, 0 },
	};
	struct hw_device d;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(c); i++) {
		d = usb_dev("1-2", c[i].v, c[i].p, c[i].product, c[i].ifs);
		hw_classify(&d, NULL);
		if (d.kind != c[i].kind || d.network != c[i].network)
			fail_msg("case %zu (%04x:%04x %s): %s network %d (%s)", i,
			    c[i].v, c[i].p, c[i].product ? c[i].product : "",
			    hw_kind_name(d.kind), d.network, d.why);
	}
}

/* Device class alone (e0 Bluetooth dongle, 02 CDC) counts too. */
static void
test_classify_usb_device_class(void **state)
{
	struct hw_device d;

	(void)state;
	d = usb_dev("1-10", 0x8087, 0x0026, NULL, NULL);
	d.cls = 0xe0;
	d.sub = 0x01;
	d.proto = 0x01;
	hw_classify(&d, NULL);
	assert_true(d.network);
	assert_int_equal(d.kind, HW_KIND_BLUETOOTH);
	assert_string_equal(d.name, "Bluetooth controller");
	d = usb_dev("1-3", 0x1234, 0x0001, "Phone", NULL);
	d.cls = 0x02;
	hw_classify(&d, NULL);
	assert_true(d.network);
}

static void
test_classify_reasons(void **state)
{
	static const char *const ir[] = { "0e/01/00", "0e/02/00", "0e/01/00",
	    "0e/02/00", NULL };
	static const char *const vendor[] = { "ff/ff/ff", "ff/00/00", NULL };
	struct hw_device d;

	(void)state;
	d = usb_dev("1-4", 0x13d3, 0x56ba, "Integrated Camera", ir);
	sk_strlcpy(d.usbifs[2].name, "Integrated IR Camera", sizeof(d.usbifs[2].name));
	hw_classify(&d, NULL);
	assert_int_equal(d.kind, HW_KIND_IR_CAMERA);
	assert_string_equal(d.why, "interface 1-4:1.2 is an infrared camera "
	    "(video, named 'Integrated IR Camera'); interface 1-4:1.0 is a "
	    "camera (video)");
	d = usb_dev("3-2", 0x1234, 0x5678, "Mystery Gadget", vendor);
	hw_classify(&d, NULL);
	assert_string_equal(d.why, "interface 3-2:1.0 is vendor-specific (and "
	    "more); id 1234:5678 not in the device table");
	assert_string_equal(d.name, "Mystery Gadget");
	d = usb_dev("1-2", 0x054c, 0x06c3, "RC-S380/P", vendor);
	hw_classify(&d, NULL);
	assert_string_equal(d.why, "id 054c:06c3 listed as nfc (built-in table)");
	assert_string_equal(d.name, "Sony PaSoRi RC-S380/P (FeliCa)");
	assert_true(d.table_match);
}

/* The table can name a device, never make a network-capable one anything
 * else; a devices file entry wins over the built-in table. */
static void
test_classify_table_cannot_hide_network(void **state)
{
	static const char *const ecm[] = { "ff/00/00", "02/06/00", "0a/00/00", NULL };
	static const char *const vendor[] = { "ff/00/00", NULL };
	struct hw_table t;
	struct hw_device d;

	(void)state;
	t = table_of("version 1\n"
	    "usb 1d50:6089 fingerprint Totally a fingerprint sensor\n"
	    "usb 27c6:538d camera Not a Goodix\n"
	    "usb 1234:* wwan Some modem maker\n"
	    "usb 1234:0042 platform Known gadget\n");
	d = usb_dev("3-5", 0x1d50, 0x6089, "Reader", ecm);
	hw_classify(&d, &t);
	assert_true(d.network);
	assert_int_equal(d.kind, HW_KIND_ETHERNET);
	assert_string_equal(d.name, "Reader");
	assert_string_equal(d.why, "interface 3-5:1.1 is CDC ECM Ethernet "
	    "(02/06/00); interface 3-5:1.2 is CDC data (0a/00/00); not "
	    "fingerprint as the devices.conf:2 says");

	d = usb_dev("3-1", 0x27c6, 0x538d, NULL, vendor);
	hw_classify(&d, &t);
	assert_int_equal(d.kind, HW_KIND_CAMERA);
	assert_string_equal(d.why, "id 27c6:538d listed as camera (devices.conf:3)");

	d = usb_dev("3-2", 0x1234, 0x0001, NULL, vendor);
	hw_classify(&d, &t);
	assert_true(d.network);
	assert_int_equal(d.kind, HW_KIND_WWAN);

	d = usb_dev("3-2", 0x1234, 0x0042, NULL, vendor);	/* exact beats '*' */
	hw_classify(&d, &t);
	assert_false(d.network);
	assert_int_equal(d.kind, HW_KIND_PLATFORM);
	hw_table_free(&t);
}

/* ---- the plan ---- */

static struct hw_inventory
inventory_of(struct hw_device *devs, size_t n, const struct hw_table *t)
{
	struct hw_inventory inv = { devs, n };
	size_t i;

	for (i = 0; i < n; i++)
		hw_classify(&devs[i], t);
	return inv;
}

static void
test_plan_rules(void **state)
{
	static const char *const ccid[] = { "0b/00/00", NULL };
	static const char *const ccid_storage[] = { "0b/00/00", "08/06/50", NULL };
	static const char *const video_vendor[] = { "0e/01/00", "ff/00/00", NULL };
	static const char *const fp[] = { "ff/00/00", NULL };
	static const char *const mbim[] = { "02/0e/00", "0a/00/02", NULL };
	static const char *const dfu[] = { "0e/01/00", "fe/01/01", NULL };
	struct hw_device d[9];
	struct hw_assign a;
	size_t i;

	(void)state;
	d[0] = pci_dev("0000:00:1f.6", 0x8086, 0x15fc, 0x020000);
	d[1] = usb_dev("1-6", 0x1199, 0x9079, "EM7455", mbim);
	d[2] = usb_dev("1-3", 0x058f, 0x9540, "Reader", ccid);
	d[3] = usb_dev("1-4", 0x08e6, 0x3437, "Reader", ccid);
	d[3].nconfigs = 2;
	d[4] = usb_dev("1-5", 0x1234, 0x0001, "Reader", ccid_storage);
	d[5] = usb_dev("1-7", 0x1234, 0x0002, "Camera", video_vendor);
	d[6] = usb_dev("1-9", 0x06cb, 0x00bd, NULL, fp);
	d[7] = usb_dev("1-8", 0x1234, 0x0003, "Camera", dfu);
	d[8] = usb_dev("1-1", 0x1234, 0x0004, "Reader", NULL);
	d[8].cls = 0x0b;	/* claims CCID, no interface seen */
	inventory_of(d, nitems(d), NULL);
	{
		static const struct {
			enum hw_domain dom;
			enum hw_via via;
			int held;
			const char *reason;
		} want[] = {
			{ HW_DOM_NETVM, HW_VIA_PCI, 0, "network-capable, the netvm "
			    "owns it: PCI class 0x0200 (Ethernet controller)" },
			{ HW_DOM_NETVM, HW_VIA_USB, 0, NULL },
			{ HW_DOM_WORK, HW_VIA_USB, 0, "card-reader for work: "
			    "interface 1-3:1.0 is a smart card reader (CCID)" },
			{ HW_DOM_DOM0, HW_VIA_NONE, 1, "card-reader held back in "
			    "dom0 because it offers 2 configurations and work could "
			    "switch to one not inspected: interface 1-4:1.0 is a "
			    "smart card reader (CCID)" },
			{ HW_DOM_DOM0, HW_VIA_NONE, 1, "card-reader held back in "
			    "dom0 because interface 1-5:1.1 is mass storage, which "
			    "work is not given: interface 1-5:1.0 is a smart card "
			    "reader (CCID)" },
			{ HW_DOM_DOM0, HW_VIA_NONE, 1, "camera held back in dom0 "
			    "because interface 1-7:1.1 is vendor-specific and the id "
			    "is not in the device table: interface 1-7:1.0 is a "
			    "camera (video)" },
			{ HW_DOM_WORK, HW_VIA_USB, 0, NULL },
			{ HW_DOM_WORK, HW_VIA_USB, 0, NULL },
			{ HW_DOM_DOM0, HW_VIA_NONE, 0, NULL },
		};

		for (i = 0; i < nitems(d); i++) {
			hw_plan_rule(&d[i], &a);
			if (a.dom != want[i].dom || a.via != want[i].via ||
			    a.held != want[i].held)
				fail_msg("device %zu: %s via %s held %d: %s", i,
				    hw_domain_name(a.dom), hw_via_name(a.via),
				    a.held, a.reason);
			if (want[i].reason != NULL)
				assert_string_equal(a.reason, want[i].reason);
		}
	}
	hw_plan_rule(&d[8], &a);
	assert_true(a.unknown);
}

static struct hw_overrides
overrides_of(const char *text)
{
	struct hw_overrides ov;
	struct sk_error err;

	memset(&err, 0, sizeof(err));
	if (hw_overrides_parse_buf("overrides.conf", text, strlen(text), &ov,
	    &err) != 0)
		fail_msg("overrides: %s", err.msg);
	return ov;
}

/* The fixture-like inventory the override tests use. */
static struct hw_inventory
override_inventory(struct hw_device d[6])
{
	static const char *const vendor[] = { "ff/ff/ff", NULL };
	static const char *const ccid[] = { "0b/00/00", NULL };
	static const char *const video[] = { "0e/01/00", NULL };

	d[0] = pci_dev("0000:00:1f.6", 0x8086, 0x15fc, 0x020000);
	d[1] = pci_dev("0000:00:1f.3", 0x8086, 0xa0c8, 0x040380);
	d[2] = usb_dev("3-2", 0x1234, 0x5678, "Mystery Gadget", vendor);
	d[3] = usb_dev("3-3", 0x058f, 0x9540, "Reader", ccid);
	d[4] = usb_dev("3-4", 0x046d, 0x082d, "Webcam", video);
	d[5] = usb_dev("3-5", 0x046d, 0x082d, "Webcam", video);
	return inventory_of(d, 6, NULL);
}

static void
test_plan_overrides(void **state)
{
	struct hw_device d[6];
	struct hw_inventory inv = override_inventory(d);
	struct hw_overrides ov;
	struct hw_plan p;
	struct sk_error err;

	(void)state;
	ov = overrides_of("version 1\n"
	    "assign 1234:5678 work      # vouched for by IT\n"
	    "assign 00:1f.6 dom0\n"
	    "assign 046d:082d dom0\n"
	    "assign 0000:00:1f.3 netvm\n"
	    "assign 2c7c:0125 netvm\n");
	assert_int_equal(hw_plan_make(&inv, &ov, &p, &err), 0);
	assert_int_equal(p.a[2].dom, HW_DOM_WORK);
	assert_int_equal(p.a[2].via, HW_VIA_USB);
	assert_int_equal(p.a[2].override_line, 2);
	assert_false(p.a[2].unknown);
	assert_string_equal(p.a[2].reason, "override overrides.conf:2; the rules "
	    "said dom0: not known to the rules, stays with dom0: interface "
	    "3-2:1.0 is vendor-specific; id 1234:5678 not in the device table");
	assert_int_equal(p.a[0].dom, HW_DOM_DOM0);
	assert_int_equal(p.a[0].via, HW_VIA_NONE);
	assert_int_equal(p.a[1].dom, HW_DOM_NETVM);
	assert_int_equal(p.a[1].via, HW_VIA_PCI);
	assert_int_equal(p.a[3].dom, HW_DOM_WORK);	/* untouched */
	assert_int_equal(p.a[4].dom, HW_DOM_DOM0);	/* both webcams */
	assert_int_equal(p.a[5].dom, HW_DOM_DOM0);
	assert_int_equal(p.n_unknown, 0);
	assert_int_equal(p.n_notes, 1);
	assert_string_equal(p.notes[0], "overrides.conf:6: override for "
	    "2c7c:0125 matches no device");
	hw_plan_free(&p);
	hw_overrides_free(&ov);
}

/* Nothing network-capable and no PCI device goes to work, override or not;
 * the whole plan fails with the override's file and line. */
static void
test_plan_overrides_refused(void **state)
{
	static const struct {
		const char *text, *msg;
	} c[] = {
		{ "version 1\nassign 0000:00:1f.6 work\n", "overrides.conf:2: "
		    "refused: pci 0000:00:1f.6 (ethernet, Ethernet controller) is "
		    "network-capable and never goes to work" },
		{ "version 1\n\nassign 00:1f.3 work\n", "overrides.conf:3: "
		    "refused: 0000:00:1f.3 is a PCI device and work gets USB "
		    "devices only" },
	};
	struct hw_device d[6];
	struct hw_inventory inv = override_inventory(d);
	struct hw_overrides ov;
	struct hw_plan p;
	struct sk_error err;
	size_t i;

	(void)state;
	for (i = 0; i < nitems(c); i++) {
		ov = overrides_of(c[i].text);
		memset(&p, 0x5a, sizeof(p));
		assert_int_equal(hw_plan_make(&inv, &ov, &p, &err), -EINVAL);
		assert_string_equal(err.msg, c[i].msg);
		hw_overrides_free(&ov);
	}
	/* A USB modem, found by its id, to work: refused as well. */
	{
		static const char *const mbim[] = { "02/0e/00", NULL };
		struct hw_device m = usb_dev("1-6", 0x1199, 0x9079, "EM7455", mbim);
		struct hw_inventory one = inventory_of(&m, 1, NULL);

		ov = overrides_of("version 1\nassign 1199:9079 work\n");
		assert_int_equal(hw_plan_make(&one, &ov, &p, &err), -EINVAL);
		assert_string_equal(err.msg, "overrides.conf:2: refused: usb 1-6 "
		    "(wwan, Sierra Wireless EM74xx LTE modem) is network-capable "
		    "and never goes to work");
		hw_overrides_free(&ov);
	}
}

/* ---- configuration files ---- */

static void
expect_error(int (*parse)(const char *, const char *, size_t, void *,
    struct sk_error *), const char *text, size_t len, const char *msg)
{
	union {
		struct hw_table t;
		struct hw_overrides o;
		struct xl_conf x;
	} out;
	struct sk_error err;

	memset(&out, 0x5a, sizeof(out));
	memset(&err, 0, sizeof(err));
	if (parse("t", text, len, &out, &err) == 0)
		fail_msg("parsed: %s", text);
	assert_string_equal(err.msg, msg);
}

static int
parse_table(const char *n, const char *b, size_t l, void *o, struct sk_error *e)
{
	return hw_table_parse_buf(n, b, l, o, e);
}

static int
parse_overrides(const char *n, const char *b, size_t l, void *o,
    struct sk_error *e)
{
	return hw_overrides_parse_buf(n, b, l, o, e);
}

static const struct {
	const char *text, *msg;
} lexical[] = {
	{ "", "t: missing 'version 1'" },
	{ "# only a comment\n\n", "t: missing 'version 1'" },
	{ "version\n", "t:1: expected a number after 'version'" },
	{ "version 2\n", "t:1: unsupported version '2', this build reads version 1" },
	{ "version 1 2\n", "t:1: unexpected '2' after the version" },
	{ "version 1\r\n", "t:1: carriage return, expected Unix (LF) line endings" },
	{ "version 1\n\x01\n", "t:2: control character 0x01, expected printable ASCII" },
	{ "version 1\n# caf\xc3\xa9\n", "t:2: non-ASCII byte 0xc3, expected ASCII text" },
};

static void
test_conf_lexical(void **state)
{
	char big[700];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(lexical); i++) {
		expect_error(parse_table, lexical[i].text, strlen(lexical[i].text),
		    lexical[i].msg);
		expect_error(parse_overrides, lexical[i].text,
		    strlen(lexical[i].text), lexical[i].msg);
	}
	expect_error(parse_table, "version 1\n\0\n", 12, "t:2: NUL byte, "
	    "expected text");
	memset(big, '#', sizeof(big));
	memcpy(big, "version 1\n", 10);
	expect_error(parse_overrides, big, sizeof(big), "t:2: line too long, at "
	    "most 512 bytes");
	expect_error(parse_table, "usb 054c:06c3 nfc X\n", 20, "t:1: expected "
	    "'version 1' first, found 'usb'");
	expect_error(parse_overrides, "assign 0000:00:1f.6 dom0\n", 25,
	    "t:1: expected 'version 1' first, found 'assign'");
}

static void
test_devices_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} c[] = {
		{ "version 1\nisa 054c:06c3 nfc X\n",
		    "t:2: unknown bus 'isa', expected 'usb' or 'pci'" },
		{ "version 1\nusb\n", "t:2: expected VENDOR:PRODUCT after 'usb'" },
		{ "version 1\nusb 054c:6c3 nfc X\n", "t:2: bad id '054c:6c3', "
		    "expected VENDOR:PRODUCT as 4 hex digits each, or a product "
		    "prefix and '*' (VENDOR:*)" },
		{ "version 1\nusb 054c:06c3* nfc X\n", "t:2: bad id '054c:06c3*', "
		    "expected VENDOR:PRODUCT as 4 hex digits each, or a product "
		    "prefix and '*' (VENDOR:*)" },
		{ "version 1\nusb 054c:** nfc X\n", "t:2: bad id '054c:**', "
		    "expected VENDOR:PRODUCT as 4 hex digits each, or a product "
		    "prefix and '*' (VENDOR:*)" },
		{ "version 1\nusb 054c-06c3 nfc X\n", "t:2: bad id '054c-06c3', "
		    "expected VENDOR:PRODUCT as 4 hex digits each, or a product "
		    "prefix and '*' (VENDOR:*)" },
		{ "version 1\nusb 054c:06c3\n", "t:2: expected a kind after the id" },
		{ "version 1\nusb 054c:06c3 reader X\n", "t:2: unknown kind "
		    "'reader', expected ethernet, wifi, wwan, bluetooth, network, "
		    "card-reader, nfc, fingerprint, camera, ir-camera or platform" },
		{ "version 1\nusb 054c:06c3 unknown X\n", "t:2: unknown kind "
		    "'unknown', expected ethernet, wifi, wwan, bluetooth, network, "
		    "card-reader, nfc, fingerprint, camera, ir-camera or platform" },
		{ "version 1\nusb 054c:06c3 nfc\n", "t:2: expected a name after "
		    "the kind" },
		{ "version 1\nusb 054c:06c3 nfc   # no name\n", "t:2: expected a "
		    "name after the kind" },
		{ "version 1\nusb 054c:06c3 nfc A\tB\n", "t:2: tab in the name, "
		    "expected blanks" },
		{ "version 1\nusb 054c:06c3 nfc "
		    "0123456789012345678901234567890123456789012345678901234567890123\n",
		    "t:2: name too long (64 bytes), at most 63" },
		{ "version 1\npci 8086:7360 fingerprint X\n", "t:2: kind "
		    "'fingerprint' is for USB devices: a pci id can only be a "
		    "network kind or platform" },
		{ "version 1\nusb 27c6:* fingerprint A\n\nusb 27C6:* camera B\n",
		    "t:4: usb 27c6:* already listed at line 2" },
		{ "version 1\nusb 04f3:0c* fingerprint A\nusb 04f3:0C* camera B\n",
		    "t:3: usb 04f3:0c* already listed at line 2" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(c); i++)
		expect_error(parse_table, c[i].text, strlen(c[i].text), c[i].msg);
}

static void
test_devices_parse_print(void **state)
{
	static const char text[] =
	    "# site additions\n"
	    "version 1\n"
	    "\n"
	    "usb 054C:06C3 nfc   Sony  RC-S380/P   # the office model\n"
	    "usb 04f3:0c* fingerprint ELAN sensors\n"
	    "usb 27c6:* fingerprint Goodix\n"
	    "usb 1234:567* camera Prefix of three\n"
	    "pci 8086:7360 wwan Fibocom L850-GL\n"
	    "pci 10ec:5287 platform Card reader controller\n";
	static const char printed[] =
	    "version 1\n"
	    "usb 054c:06c3 nfc Sony  RC-S380/P\n"
	    "usb 04f3:0c* fingerprint ELAN sensors\n"
	    "usb 27c6:* fingerprint Goodix\n"
	    "usb 1234:567* camera Prefix of three\n"
	    "pci 8086:7360 wwan Fibocom L850-GL\n"
	    "pci 10ec:5287 platform Card reader controller\n";
	struct hw_table t = table_of(text), t2;
	const struct hw_id *e;
	struct buf b;

	(void)state;
	assert_int_equal(t.n, 6);
	e = hw_table_lookup(&t, HW_BUS_USB, 0x04f3, 0x0c4b);
	assert_non_null(e);
	assert_int_equal(e->line, 5);
	e = hw_table_lookup(&t, HW_BUS_USB, 0x1234, 0x5679);
	assert_non_null(e);
	assert_int_equal(e->kind, HW_KIND_CAMERA);
	assert_null(hw_table_lookup(&t, HW_BUS_USB, 0x1234, 0x5689));
	assert_null(hw_table_lookup(&t, HW_BUS_PCI, 0x054c, 0x06c3));
	buf_init(&b);
	hw_table_print(&b, t.ids, t.n, 1);
	assert_string_equal(buf_str(&b), printed);
	t2 = table_of(buf_str(&b));
	assert_int_equal(t2.n, t.n);
	for (size_t i = 0; i < t.n; i++) {
		assert_int_equal(t2.ids[i].line, i + 2);
		t2.ids[i].line = t.ids[i].line;
	}
	assert_memory_equal(t2.ids, t.ids, t.n * sizeof(t.ids[0]));
	buf_free(&b);
	hw_table_free(&t);
	hw_table_free(&t2);
}

/* The built-in table prints as a valid devices file with no duplicates. */
static void
test_devices_builtin(void **state)
{
	const struct hw_id *ids;
	struct hw_table t;
	struct buf b;
	size_t n, i;

	(void)state;
	ids = hw_table_builtin(&n);
	buf_init(&b);
	hw_table_print(&b, ids, n, 1);
	t = table_of(buf_str(&b));
	assert_int_equal(t.n, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(t.ids[i].vendor, ids[i].vendor);
		assert_int_equal(t.ids[i].product, ids[i].product);
		assert_int_equal(t.ids[i].mask, ids[i].mask);
		assert_int_equal(t.ids[i].kind, ids[i].kind);
		assert_string_equal(t.ids[i].name, ids[i].name);
	}
	buf_free(&b);
	hw_table_free(&t);
}

static void
test_overrides_errors(void **state)
{
	static const struct {
		const char *text, *msg;
	} c[] = {
		{ "version 1\nassing 00:1f.6 dom0\n",
		    "t:2: unknown directive 'assing', expected 'assign'" },
		{ "version 1\nassign\n", "t:2: expected a device after 'assign'" },
		{ "version 1\nassign 00:1f.6\n",
		    "t:2: expected netvm, work or dom0 after the device" },
		{ "version 1\nassign 00:1f.6 windows\n",
		    "t:2: unknown partition 'windows', expected netvm, work or dom0" },
		{ "version 1\nassign 00:1f.6 dom0 now\n",
		    "t:2: unexpected 'now' after the partition" },
		{ "version 1\nassign 00:20.0 dom0\n", "t:2: bad device '00:20.0', "
		    "expected a PCI address (0000:00:1f.6) or a USB id (054c:06c3)" },
		{ "version 1\nassign 00:1f.8 dom0\n", "t:2: bad device '00:1f.8', "
		    "expected a PCI address (0000:00:1f.6) or a USB id (054c:06c3)" },
		{ "version 1\nassign 054c:6c3 work\n", "t:2: bad device '054c:6c3', "
		    "expected a PCI address (0000:00:1f.6) or a USB id (054c:06c3)" },
		{ "version 1\nassign 1-3 work\n", "t:2: bad device '1-3', expected "
		    "a PCI address (0000:00:1f.6) or a USB id (054c:06c3)" },
		{ "version 1\nassign 054c:06c3 work\nassign 054C:06C3 dom0\n",
		    "t:3: 054c:06c3 already assigned at line 2" },
		{ "version 1\nassign 0000:00:1F.6 netvm\nassign 00:1f.6 dom0\n",
		    "t:3: 0000:00:1f.6 already assigned at line 2" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(c); i++)
		expect_error(parse_overrides, c[i].text, strlen(c[i].text),
		    c[i].msg);
}

static void
test_overrides_parse_print(void **state)
{
	struct hw_overrides ov, ov2;
	struct buf b;

	(void)state;
	ov = overrides_of("\n# IT's choices\nversion 1   # format\n"
	    "assign 0000:03:00.0 dom0\n\tassign 054C:06C3   work\n"
	    "assign 1a:00.7 netvm\n");
	assert_int_equal(ov.n, 3);
	assert_int_equal(ov.o[1].bus, HW_BUS_USB);
	assert_int_equal(ov.o[1].line, 5);
	assert_string_equal(ov.o[2].addr, "0000:1a:00.7");
	buf_init(&b);
	hw_overrides_print(&b, &ov);
	assert_string_equal(buf_str(&b), "version 1\nassign 0000:03:00.0 dom0\n"
	    "assign 054c:06c3 work\nassign 0000:1a:00.7 netvm\n");
	ov2 = overrides_of(buf_str(&b));
	assert_int_equal(ov2.n, 3);
	for (size_t i = 0; i < ov.n; i++) {
		assert_int_equal(ov2.o[i].bus, ov.o[i].bus);
		assert_string_equal(ov2.o[i].addr, ov.o[i].addr);
		assert_int_equal(ov2.o[i].vendor, ov.o[i].vendor);
		assert_int_equal(ov2.o[i].product, ov.o[i].product);
		assert_int_equal(ov2.o[i].dom, ov.o[i].dom);
	}
	buf_free(&b);
	hw_overrides_free(&ov);
	hw_overrides_free(&ov2);
}

/* ---- the sysfs reader ---- */

static const struct hw_device *
find(const struct hw_inventory *inv, const char *addr)
{
	size_t i;

	for (i = 0; i < inv->n; i++)
		if (strcmp(inv->dev[i].addr, addr) == 0)
			return &inv->dev[i];
	fail_msg("no device %s", addr);
	return NULL;
}

static void
test_inventory_fixture(void **state)
{
	struct hw_inventory inv;
	struct sk_error err;
	const struct hw_device *d;

	(void)state;
	if (hw_inventory_read(FIXTURES "/x1-carbon", NULL, &inv, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(inv.n, 15);
	/* PCI first by address, then USB by port numbers: 1-9 before 1-10. */
	assert_string_equal(inv.dev[0].addr, "0000:00:00.0");
	assert_string_equal(inv.dev[9].addr, "0000:04:00.0");
	assert_string_equal(inv.dev[13].addr, "1-9");
	assert_string_equal(inv.dev[14].addr, "1-10");
	/* The USB controller holds the modem's directory: not its netif. */
	d = find(&inv, "0000:00:14.0");
	assert_int_equal(d->n_netifs, 0);
	assert_false(d->network);
	d = find(&inv, "1-6");
	assert_int_equal(d->n_netifs, 1);
	assert_string_equal(d->netifs[0].name, "wwan0");
	assert_int_equal(d->netifs[0].type, HW_NETIF_WWAN);
	assert_int_equal(d->nconfigs, 2);
	assert_int_equal(d->n_usbifs, 5);
	assert_string_equal(d->usbifs[0].addr, "1-6:2.0");
	assert_string_equal(d->product_name,
	    "Sierra Wireless EM7455 Qualcomm?? Snapdragon??? X7 LTE");
	assert_int_equal(d->busnum, 1);
	assert_int_equal(d->devnum, 4);
	d = find(&inv, "1-5");
	assert_string_equal(d->usbifs[0].name, "Integrated Camera");
	hw_inventory_free(&inv);

	if (hw_inventory_read(FIXTURES "/wifi-only/", NULL, &inv, &err) != 0)
		fail_msg("%s", err.msg);
	d = find(&inv, "0000:00:14.3");
	assert_int_equal(d->netifs[0].type, HW_NETIF_WLAN);	/* wireless/ */
	assert_string_equal(find(&inv, "1-3.1")->name, "USB Optical Mouse");
	hw_inventory_free(&inv);
}

/* A scratch tree: ROOT/sys/bus/... */
static char root[64];

static void
put(const char *rel, const char *text)
{
	char path[256], *s;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
expect_read_error(const char *msg_tail)
{
	struct hw_inventory inv;
	struct sk_error err;
	char want[512];

	assert_int_not_equal(hw_inventory_read(root, NULL, &inv, &err), 0);
	snprintf(want, sizeof(want), "%s/%s", root, msg_tail);
	assert_string_equal(err.msg, want);
}

static void
test_inventory_errors(void **state)
{
	struct hw_inventory inv;
	struct sk_error err;
	char cmd[128];
	const char *pci = "sys/bus/pci/devices/0000:00:1f.6";
	const char *usb = "sys/bus/usb/devices/1-2";
	char p[128];

	(void)state;
	snprintf(root, sizeof(root), "/tmp/test_hw.XXXXXX");
	assert_non_null(mkdtemp(root));
	expect_read_error("sys/bus: No such file or directory");
	mkdir(strcat(strcpy(p, root), "/sys"), 0755);
	mkdir(strcat(strcpy(p, root), "/sys/bus"), 0755);
	assert_int_equal(hw_inventory_read(root, NULL, &inv, &err), 0);
	assert_int_equal(inv.n, 0);	/* no PCI, no USB: an empty machine */

	snprintf(p, sizeof(p), "%s/vendor", pci);
	put(p, "0x8086\n");
	snprintf(p, sizeof(p), "%s/device", pci);
	put(p, "0x15fc\n");
	expect_read_error("sys/bus/pci/devices/0000:00:1f.6/class: No such file "
	    "or directory");
	snprintf(p, sizeof(p), "%s/class", pci);
	put(p, "0x02000\n");
	expect_read_error("sys/bus/pci/devices/0000:00:1f.6/class: expected 0x "
	    "and 6 hex digits, found '0x02000'");
	put(p, "0x020000\n");
	assert_int_equal(hw_inventory_read(root, NULL, &inv, &err), 0);
	assert_int_equal(inv.n, 1);
	hw_inventory_free(&inv);
	put("sys/bus/pci/devices/junk/vendor", "0x8086\n");
	expect_read_error("sys/bus/pci/devices/junk: not a pci device name");
	snprintf(cmd, sizeof(cmd), "rm -r %s/sys/bus/pci/devices/junk", root);
	assert_int_equal(system(cmd), 0);

	snprintf(p, sizeof(p), "%s/idVendor", usb);
	put(p, "054c\n");
	snprintf(p, sizeof(p), "%s/idProduct", usb);
	put(p, "06c3\n");
	snprintf(p, sizeof(p), "%s/bDeviceClass", usb);
	put(p, "0\n");
	expect_read_error("sys/bus/usb/devices/1-2/bDeviceClass: expected 2 hex "
	    "digits, found '0'");
	put(p, "00\n");
	snprintf(p, sizeof(p), "%s/bDeviceSubClass", usb);
	put(p, "00\n");
	snprintf(p, sizeof(p), "%s/bDeviceProtocol", usb);
	put(p, "00\n");
	snprintf(p, sizeof(p), "%s/bNumConfigurations", usb);
	put(p, "x\n");
	expect_read_error("sys/bus/usb/devices/1-2/bNumConfigurations: expected "
	    "a number from 0 to 255, found 'x'");
	put(p, "1\n");
	snprintf(p, sizeof(p), "%s/busnum", usb);
	put(p, "1\n");
	snprintf(p, sizeof(p), "%s/devnum", usb);
	put(p, "3\n");
	snprintf(p, sizeof(p), "%s/1-2:1.0/bInterfaceClass", usb);
	put(p, "ff\n");
	snprintf(p, sizeof(p), "%s/1-2:1.0/bInterfaceSubClass", usb);
	put(p, "ff\n");
	expect_read_error("sys/bus/usb/devices/1-2/1-2:1.0/bInterfaceProtocol: "
	    "No such file or directory");
	snprintf(p, sizeof(p), "%s/1-2:1.0/bInterfaceProtocol", usb);
	put(p, "ff\n");
	/* Interfaces and root hubs at the top are skipped, like on /sys. */
	put("sys/bus/usb/devices/1-2:1.0/bInterfaceClass", "ff\n");
	put("sys/bus/usb/devices/usb1/idVendor", "1d6b\n");
	assert_int_equal(hw_inventory_read(root, NULL, &inv, &err), 0);
	assert_int_equal(inv.n, 2);
	assert_int_equal(inv.dev[1].kind, HW_KIND_NFC);
	assert_string_equal(inv.dev[1].name, "Sony PaSoRi RC-S380/P (FeliCa)");
	hw_inventory_free(&inv);
	/* An interface's name is the directory's: sanitised like any text. */
	put("sys/bus/usb/devices/1-2/1-2:1.1\x1b[2J\xc3\xa9/bInterfaceClass", "ff\n");
	put("sys/bus/usb/devices/1-2/1-2:1.1\x1b[2J\xc3\xa9/bInterfaceSubClass", "ff\n");
	put("sys/bus/usb/devices/1-2/1-2:1.1\x1b[2J\xc3\xa9/bInterfaceProtocol", "ff\n");
	assert_int_equal(hw_inventory_read(root, NULL, &inv, &err), 0);
	assert_int_equal(inv.dev[1].n_usbifs, 2);
	assert_string_equal(inv.dev[1].usbifs[1].addr, "1-2:1.1?[2J??");
	hw_inventory_free(&inv);
	snprintf(cmd, sizeof(cmd), "rm -r '%s/%s/1-2:1.1'*", root, usb);
	assert_int_equal(system(cmd), 0);
	put("sys/bus/usb/devices/1_2/idVendor", "054c\n");
	expect_read_error("sys/bus/usb/devices/1_2: not a usb device name");

	snprintf(cmd, sizeof(cmd), "rm -r %s", root);
	assert_int_equal(system(cmd), 0);
}

/* ---- domain configurations ---- */

static const char domains[] =
    "version 1\n"
    "netvm type pv\n"
    "netvm kernel /var/lib/sekisho/netvm/vmlinuz\n"
    "netvm ramdisk /var/lib/sekisho/netvm/initrd.img\n"
    "netvm cmdline  console=hvc0 quiet  sekisho.role=netvm  # for the console\n"
    "netvm memory 512\n"
    "netvm vcpus 1\n"
    "work memory 4096\n"
    "work vcpus 4\n"
    "work disk /dev/sekisho/work\n"
    "work mac 00:16:3e:5e:00:02\n"
    "work vif-script vif-sekisho\n"
    "work bridge xenbr-work\n"
    "work bios seabios\n"
    "work display vnc\n";

static struct xl_conf
conf_of(const char *text)
{
	struct xl_conf c;
	struct sk_error err;

	memset(&err, 0, sizeof(err));
	if (xl_conf_parse_buf("domains.conf", text, strlen(text), &c, &err) != 0)
		fail_msg("domains: %s", err.msg);
	return c;
}

static void
test_xl_conf_parse(void **state)
{
	struct xl_conf c;

	(void)state;
	c = conf_of(domains);
	assert_int_equal(c.netvm_type, XL_TYPE_PV);
	assert_string_equal(c.netvm_kernel, "/var/lib/sekisho/netvm/vmlinuz");
	assert_string_equal(c.netvm_ramdisk, "/var/lib/sekisho/netvm/initrd.img");
	assert_string_equal(c.netvm_cmdline, "console=hvc0 quiet  sekisho.role=netvm");
	assert_int_equal(c.netvm_memory, 512);
	assert_int_equal(c.netvm_vcpus, 1);
	assert_int_equal(c.work_memory, 4096);
	assert_int_equal(c.work_vcpus, 4);
	assert_string_equal(c.work_disk, "/dev/sekisho/work");
	assert_string_equal(c.work_mac, "00:16:3e:5e:00:02");
	assert_string_equal(c.work_vif_script, "vif-sekisho");
	assert_string_equal(c.work_bridge, "xenbr-work");
	assert_int_equal(c.work_bios, XL_BIOS_SEABIOS);
	assert_int_equal(c.work_display, XL_DISPLAY_VNC);
	/* The defaults. */
	c = conf_of("version 1\nnetvm kernel /k\nnetvm memory 256\n"
	    "work memory 2048\nwork disk /d\n");
	assert_int_equal(c.netvm_type, XL_TYPE_PV);
	assert_int_equal(c.netvm_vcpus, 1);
	assert_int_equal(c.work_vcpus, 2);
	assert_int_equal(c.work_bios, XL_BIOS_OVMF);
	assert_int_equal(c.work_display, XL_DISPLAY_SDL);
	assert_string_equal(c.netvm_ramdisk, "");
	assert_string_equal(c.work_mac, "");
	assert_int_equal(c.work_type, XL_WORK_HVM);
	assert_string_equal(c.work_vifname, "");
	assert_string_equal(c.netvm_lab_uplink, "");
	/* A PV work domain needs no disk. */
	c = conf_of("version 1\nnetvm kernel /k\nnetvm memory 256\n"
	    "netvm lab-uplink /etc/sekisho/vif-uplink\n"
	    "work type pv\nwork kernel /g/vmlinuz\nwork ramdisk /g/work.img\n"
	    "work cmdline console=hvc0 sekisho.role=work\nwork memory 512\n"
	    "work vifname vif-work\n");
	assert_int_equal(c.work_type, XL_WORK_PV);
	assert_string_equal(c.work_kernel, "/g/vmlinuz");
	assert_string_equal(c.work_ramdisk, "/g/work.img");
	assert_string_equal(c.work_cmdline, "console=hvc0 sekisho.role=work");
	assert_string_equal(c.work_vifname, "vif-work");
	assert_string_equal(c.work_disk, "");
	assert_string_equal(c.netvm_lab_uplink, "/etc/sekisho/vif-uplink");
}

static int
parse_domains(const char *n, const char *b, size_t l, void *o,
    struct sk_error *e)
{
	return xl_conf_parse_buf(n, b, l, o, e);
}

static void
test_xl_conf_errors(void **state)
{
#define MIN "netvm kernel /k\nnetvm memory 256\nwork memory 2048\nwork disk /d\n"
	static const struct {
		const char *text, *msg;
	} c[] = {
		{ "version 1\n", "t: missing 'netvm kernel'" },
		{ "version 1\nnetvm kernel /k\nnetvm memory 256\nwork memory 2048\n",
		    "t: missing 'work disk'" },
		{ "version 1\ndom0 memory 1\n",
		    "t:2: unknown domain 'dom0', expected netvm or work" },
		{ "version 1\nnetvm\n", "t:2: expected a key after 'netvm'" },
		{ "version 1\nnetvm disk /d\n", "t:2: unknown key 'disk' for "
		    "'netvm', expected type, kernel, ramdisk, cmdline, memory, "
		    "vcpus or lab-uplink" },
		{ "version 1\nwork nic e1000\n", "t:2: unknown key 'nic' for "
		    "'work', expected type, memory, vcpus, kernel, ramdisk, "
		    "cmdline, disk, mac, vifname, vif-script, bridge, bios or "
		    "display" },
		{ "version 1\n" MIN "work kernel /k\n",
		    "t:6: work kernel needs 'work type pv'" },
		{ "version 1\n" MIN "work cmdline quiet\n",
		    "t:6: work cmdline needs 'work type pv'" },
		{ "version 1\nnetvm kernel /k\nnetvm memory 256\n"
		    "work memory 2048\nwork type pv\n",
		    "t: missing 'work kernel' (work type pv)" },
		{ "version 1\nwork type windows\n",
		    "t:2: work type 'windows', expected hvm or pv" },
		{ "version 1\nwork vifname vif work\n",
		    "t:2: unexpected 'work' after the work vifname" },
		{ "version 1\nwork vifname vif-work-partition\n",
		    "t:2: work vifname too long (18 bytes), at most 15" },
		{ "version 1\nnetvm lab-uplink vif-uplink\n",
		    "t:2: netvm lab-uplink must be an absolute path" },
		{ "version 1\nnetvm memory\n",
		    "t:2: expected a value after 'netvm memory'" },
		{ "version 1\nnetvm cmdline   # nothing\n",
		    "t:2: expected a value after 'netvm cmdline'" },
		{ "version 1\nnetvm memory 512 MiB\n",
		    "t:2: unexpected 'MiB' after the netvm memory" },
		{ "version 1\nnetvm memory 32\n", "t:2: netvm memory '32', "
		    "expected a number from 64 to 1048576" },
		{ "version 1\nwork vcpus 0x2\n", "t:2: work vcpus '0x2', "
		    "expected a number from 1 to 64" },
		{ "version 1\nnetvm type hvm\n",
		    "t:2: netvm type 'hvm', expected pv or pvh" },
		{ "version 1\nwork bios uefi\n",
		    "t:2: work bios 'uefi', expected ovmf or seabios" },
		{ "version 1\nwork display gtk\n",
		    "t:2: work display 'gtk', expected sdl, vnc or none" },
		{ "version 1\nnetvm kernel vmlinuz\n",
		    "t:2: netvm kernel must be an absolute path" },
		{ "version 1\nwork disk /dev/x,script=/bin/evil\n",
		    "t:2: work disk: ',' is not allowed in a path" },
		{ "version 1\nnetvm ramdisk /a'b\n",
		    "t:2: netvm ramdisk: ''' is not allowed in a path" },
		{ "version 1\nnetvm cmdline console=hvc0\" on_crash=\"x\n",
		    "t:2: netvm cmdline: '\"' is not allowed" },
		{ "version 1\nwork mac 01:16:3e:5e:00:02\n", "t:2: work mac "
		    "'01:16:3e:5e:00:02', expected a unicast MAC address "
		    "(00:16:3e:xx:xx:xx)" },
		{ "version 1\nwork mac 00-16-3e-5e-00-02\n", "t:2: work mac "
		    "'00-16-3e-5e-00-02', expected a unicast MAC address "
		    "(00:16:3e:xx:xx:xx)" },
		{ "version 1\nwork vif-script vif,x\n", "t:2: work vif-script "
		    "'vif,x': only letters, digits and '_.-/' are allowed" },
		{ "version 1\nwork bridge 0123456789abcdef\n",
		    "t:2: work bridge too long (16 bytes), at most 15" },
		{ "version 1\n" MIN "work disk /e\n",
		    "t:6: work disk already given at line 5" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(c); i++)
		expect_error(parse_domains, c[i].text, strlen(c[i].text), c[i].msg);
#undef MIN
}

static void
read_plan(const char *fixture, struct hw_inventory *inv, struct hw_plan *p)
{
	struct sk_error err;

	if (hw_inventory_read(fixture, NULL, inv, &err) != 0 ||
	    hw_plan_make(inv, NULL, p, &err) != 0)
		fail_msg("%s", err.msg);
}

/* x1-carbon: a NIC and Wi-Fi on PCI, a USB modem and Bluetooth for the
 * netvm; a reader, a camera and a fingerprint sensor for work. */
static void
test_xl_netvm(void **state)
{
	static const char want[] =
	    "# Generated by sekisho-partition from the partition plan: do not edit.\n"
	    "name = \"netvm\"\n"
	    "type = \"pv\"\n"
	    "kernel = \"/var/lib/sekisho/netvm/vmlinuz\"\n"
	    "ramdisk = \"/var/lib/sekisho/netvm/initrd.img\"\n"
	    "extra = \"console=hvc0 quiet  sekisho.role=netvm\"\n"
	    "memory = 512\n"
	    "vcpus = 1\n"
	    "driver_domain = 1\n"
	    "vif = [ ]\n"
	    "# pci 0000:00:14.3 8086:a0f0 wifi: Network controller\n"
	    "# pci 0000:00:1f.6 8086:15fc ethernet: Ethernet controller\n"
	    "pci = [ '0000:00:14.3', '0000:00:1f.6' ]\n"
	    "# usb 1-6 1199:9079 wwan: Sierra Wireless EM74xx LTE modem\n"
	    "# usb 1-10 8087:0026 bluetooth: Bluetooth controller\n"
	    "usbctrl = [ 'type=qusb,version=2,ports=4' ]\n"
	    "usbdev = [ 'hostbus=1,hostaddr=4', 'hostbus=1,hostaddr=7' ]\n";
	struct hw_inventory inv;
	struct hw_plan p;
	struct xl_conf c = conf_of(domains);
	struct sk_error err;
	struct buf b;

	(void)state;
	read_plan(FIXTURES "/x1-carbon", &inv, &p);
	buf_init(&b);
	assert_int_equal(xl_netvm_cfg(&c, &p, &b, &err), 0);
	assert_string_equal(buf_str(&b), want);
	buf_free(&b);
	/* PVH cannot take the PCI devices (Xen 4.17). */
	c.netvm_type = XL_TYPE_PVH;
	buf_init(&b);
	assert_int_equal(xl_netvm_cfg(&c, &p, &b, &err), -EINVAL);
	assert_string_equal(err.msg, "netvm: type pvh cannot take PCI "
	    "passthrough (2 PCI devices in the plan): use 'netvm type pv'");
	buf_free(&b);
	hw_plan_free(&p);
	hw_inventory_free(&inv);
}

static void
test_xl_work(void **state)
{
	static const char want[] =
	    "# Generated by sekisho-partition from the partition plan: do not edit.\n"
	    "name = \"work\"\n"
	    "type = \"hvm\"\n"
	    "bios = \"seabios\"\n"
	    "memory = 4096\n"
	    "vcpus = 4\n"
	    "viridian = 1\n"
	    "xen_platform_pci = 1\n"
	    "disk = [ 'format=raw,vdev=xvda,access=rw,target=/dev/sekisho/work' ]\n"
	    "vif = [ 'backend=netvm,type=vif,mac=00:16:3e:5e:00:02,"
	    "bridge=xenbr-work,script=vif-sekisho' ]\n"
	    "pci = [ ]\n"
	    "sdl = 0\n"
	    "vnc = 1\n"
	    "vnclisten = \"127.0.0.1\"\n"
	    "# usb 1-3 058f:9540 card-reader: EMV Smartcard Reader\n"
	    "# usb 1-5 04f2:b6ea camera: Integrated Camera\n"
	    "# usb 1-9 06cb:00bd fingerprint: Synaptics Prometheus fingerprint sensor\n"
	    "usbctrl = [ 'type=devicemodel,version=2,ports=4' ]\n"
	    "usbdev = [ 'hostbus=1,hostaddr=3', 'hostbus=1,hostaddr=5', "
	    "'hostbus=1,hostaddr=6' ]\n";
	struct hw_inventory inv;
	struct hw_plan p;
	struct xl_conf c = conf_of(domains);
	struct sk_error err;
	struct buf b;

	(void)state;
	read_plan(FIXTURES "/x1-carbon", &inv, &p);
	buf_init(&b);
	assert_int_equal(xl_work_cfg(&c, &p, &b, &err), 0);
	assert_string_equal(buf_str(&b), want);
	/* Nothing that would give work an emulated NIC. */
	assert_null(strstr(buf_str(&b), "ioemu"));
	assert_null(strstr(buf_str(&b), "model="));
	buf_free(&b);
	/* The minimal vif; no display. */
	c.work_mac[0] = c.work_bridge[0] = c.work_vif_script[0] = '\0';
	c.work_display = XL_DISPLAY_NONE;
	buf_init(&b);
	assert_int_equal(xl_work_cfg(&c, &p, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b), "vif = [ 'backend=netvm,type=vif' ]\n"));
	assert_non_null(strstr(buf_str(&b), "sdl = 0\nvnc = 0\nnographic = 1\n"));
	buf_free(&b);
	/* A PV stand-in cannot take the USB devices. */
	c.work_type = XL_WORK_PV;
	buf_init(&b);
	assert_int_equal(xl_work_cfg(&c, &p, &b, &err), -EINVAL);
	assert_string_equal(err.msg, "work: type pv cannot take USB passthrough "
	    "(3 USB devices in the plan): use 'work type hvm'");
	buf_free(&b);
	hw_plan_free(&p);
	hw_inventory_free(&inv);
}

/* The Xen test's domains: a PV work domain, a lab uplink for the netvm. */
static void
test_xl_lab(void **state)
{
	static const char netvm[] =
	    "# Generated by sekisho-partition from the partition plan: do not edit.\n"
	    "name = \"netvm\"\n"
	    "type = \"pv\"\n"
	    "kernel = \"/g/vmlinuz\"\n"
	    "memory = 256\n"
	    "vcpus = 1\n"
	    "driver_domain = 1\n"
	    "# lab only: an uplink from dom0, not a passed-through NIC\n"
	    "vif = [ 'type=vif,script=/etc/sekisho/vif-uplink' ]\n";
	static const char work[] =
	    "# Generated by sekisho-partition from the partition plan: do not edit.\n"
	    "name = \"work\"\n"
	    "type = \"pv\"\n"
	    "kernel = \"/g/vmlinuz\"\n"
	    "ramdisk = \"/g/work.img\"\n"
	    "extra = \"console=hvc0 sekisho.role=work\"\n"
	    "memory = 512\n"
	    "vcpus = 2\n"
	    "vif = [ 'backend=netvm,type=vif,bridge=wk0,vifname=vif-work' ]\n"
	    "pci = [ ]\n";
	struct xl_conf c = conf_of("version 1\nnetvm kernel /g/vmlinuz\n"
	    "netvm memory 256\nnetvm lab-uplink /etc/sekisho/vif-uplink\n"
	    "work type pv\nwork kernel /g/vmlinuz\nwork ramdisk /g/work.img\n"
	    "work cmdline console=hvc0 sekisho.role=work\nwork memory 512\n"
	    "work bridge wk0\nwork vifname vif-work\n");
	struct hw_inventory inv;
	struct hw_plan p;
	struct sk_error err;
	struct buf b;

	(void)state;
	memset(&inv, 0, sizeof(inv));
	assert_int_equal(hw_plan_make(&inv, NULL, &p, &err), 0);
	buf_init(&b);
	assert_int_equal(xl_netvm_cfg(&c, &p, &b, &err), 0);
	assert_string_equal(buf_str(&b), netvm);
	buf_free(&b);
	buf_init(&b);
	assert_int_equal(xl_work_cfg(&c, &p, &b, &err), 0);
	assert_string_equal(buf_str(&b), work);
	buf_free(&b);
	hw_plan_free(&p);
}

/* No USB or PCI list when there is nothing to pass; more USB devices than
 * ports is an error. */
static void
test_xl_usb_limits(void **state)
{
	static const char *const ccid[] = { "0b/00/00", NULL };
	struct hw_device d[XL_USB_PORTS_MAX + 1];
	struct hw_inventory inv;
	struct hw_plan p;
	struct xl_conf c = conf_of(domains);
	struct sk_error err;
	struct buf b;
	char addr[16];
	size_t i;

	(void)state;
	for (i = 0; i < nitems(d); i++) {
		snprintf(addr, sizeof(addr), "1-%zu", i + 1);
		d[i] = usb_dev(addr, 0x058f, 0x9540, "Reader", ccid);
	}
	inv = inventory_of(d, nitems(d), NULL);
	assert_int_equal(hw_plan_make(&inv, NULL, &p, &err), 0);
	buf_init(&b);
	assert_int_equal(xl_work_cfg(&c, &p, &b, &err), -EINVAL);
	assert_string_equal(err.msg, "work: 16 USB devices in the plan, at most 15");
	buf_free(&b);
	buf_init(&b);
	assert_int_equal(xl_netvm_cfg(&c, &p, &b, &err), 0);
	assert_null(strstr(buf_str(&b), "usb"));
	assert_null(strstr(buf_str(&b), "pci"));
	buf_free(&b);
	hw_plan_free(&p);
	inv.n = XL_USB_PORTS_MAX;
	assert_int_equal(hw_plan_make(&inv, NULL, &p, &err), 0);
	buf_init(&b);
	assert_int_equal(xl_work_cfg(&c, &p, &b, &err), 0);
	assert_non_null(strstr(buf_str(&b), "ports=15"));
	buf_free(&b);
	hw_plan_free(&p);
}

/* ---- output ---- */

/* Hostile text in every string that reaches the JSON, put straight into
 * the structs (as if the reader had let it through): the output parses
 * back, quote and backslash are escaped, and nothing but the layout's
 * newlines is outside printable ASCII. */
#define HOSTILE		"a\"b\\c\n\x1b[2J\x7f\xc3\xa9"
#define HOSTILE_JSON	"\"a\\\"b\\\\c??[2J???\""	/* as written */
#define HOSTILE_READ	"a\"b\\c??[2J???"		/* as parsed back */

static void
assert_plain_json(const char *s, const char *member)
{
	json_object *top, *o;
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (*p != '\n' && (*p < 0x20 || *p >= 0x7f))
			fail_msg("byte 0x%02x at %zu", *p, (size_t)(p -
			    (const unsigned char *)s));
	assert_non_null(strstr(s, HOSTILE_JSON));
	assert_int_equal(s[strlen(s) - 1], '\n');
	assert_non_null(top = json_tokener_parse(s));
	/* The first array's first object, then member. */
	json_object_object_foreach(top, key, val) {
		(void)key;
		if (json_object_is_type(val, json_type_array)) {
			o = json_object_array_get_idx(val, 0);
			assert_true(json_object_object_get_ex(o, member, &o));
			assert_string_equal(json_object_get_string(o),
			    HOSTILE_READ);
			break;
		}
	}
	json_object_put(top);
}

static void
test_json_escape(void **state)
{
	static const char *const ifs[] = { "0b/00/00", NULL };
	char notes[1][HW_REASON_MAX];
	struct hw_device d;
	struct hw_inventory inv;
	struct hw_plan p;
	struct sk_error err;
	struct buf b;
	const char *s;

	(void)state;
	d = usb_dev("1-2", 0x058f, 0x9540, HOSTILE, ifs);
	inv = inventory_of(&d, 1, NULL);
	sk_strlcpy(d.name, HOSTILE, sizeof(d.name));
	sk_strlcpy(d.why, HOSTILE, sizeof(d.why));
	sk_strlcpy(d.usbifs[0].addr, HOSTILE, sizeof(d.usbifs[0].addr));
	sk_strlcpy(d.usbifs[0].name, HOSTILE, sizeof(d.usbifs[0].name));
	sk_strlcpy(d.netifs[0].name, HOSTILE, sizeof(d.netifs[0].name));
	d.n_netifs = 1;
	buf_init(&b);
	hw_render_inventory_json(&b, &inv);
	assert_non_null(s = buf_str(&b));
	assert_plain_json(s, "product_string");
	assert_plain_json(s, "name");
	assert_plain_json(s, "why");
	buf_free(&b);

	assert_int_equal(hw_plan_make(&inv, NULL, &p, &err), 0);
	sk_strlcpy(p.a[0].reason, HOSTILE, sizeof(p.a[0].reason));
	p.overrides_file = HOSTILE;
	p.a[0].override_line = 3;
	buf_init(&b);
	hw_render_plan_json(&b, &p);
	assert_non_null(s = buf_str(&b));
	assert_plain_json(s, "reason");
	assert_plain_json(s, "name");
	assert_non_null(strstr(s, "\"a\\\"b\\\\c??[2J???:3\""));
	buf_free(&b);
	sk_strlcpy(notes[0], HOSTILE, sizeof(notes[0]));
	free(p.notes);
	p.notes = notes;
	p.n_notes = 1;
	buf_init(&b);
	hw_render_plan_json(&b, &p);
	assert_non_null(s = buf_str(&b));
	assert_non_null(strstr(s, "\"notes\": [\n    " HOSTILE_JSON "\n  ]"));
	buf_free(&b);
	p.notes = NULL;
	p.n_notes = 0;
	hw_plan_free(&p);
}

static void
test_sanitise(void **state)
{
	char s[8];

	(void)state;
	hw_sanitise(s, sizeof(s), "  Cam\x1b[2J  ", 11);
	assert_string_equal(s, "Cam?[2J");
	hw_sanitise(s, sizeof(s), "0123456789", 10);
	assert_string_equal(s, "0123456");
	hw_sanitise(s, sizeof(s), "", 0);
	assert_string_equal(s, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_pci),
		cmocka_unit_test(test_classify_netif_wins),
		cmocka_unit_test(test_classify_usb),
		cmocka_unit_test(test_classify_usb_device_class),
		cmocka_unit_test(test_classify_reasons),
		cmocka_unit_test(test_classify_table_cannot_hide_network),
		cmocka_unit_test(test_plan_rules),
		cmocka_unit_test(test_plan_overrides),
		cmocka_unit_test(test_plan_overrides_refused),
		cmocka_unit_test(test_conf_lexical),
		cmocka_unit_test(test_devices_errors),
		cmocka_unit_test(test_devices_parse_print),
		cmocka_unit_test(test_devices_builtin),
		cmocka_unit_test(test_overrides_errors),
		cmocka_unit_test(test_overrides_parse_print),
		cmocka_unit_test(test_inventory_fixture),
		cmocka_unit_test(test_inventory_errors),
		cmocka_unit_test(test_xl_conf_parse),
		cmocka_unit_test(test_xl_conf_errors),
		cmocka_unit_test(test_xl_netvm),
		cmocka_unit_test(test_xl_work),
		cmocka_unit_test(test_xl_lab),
		cmocka_unit_test(test_xl_usb_limits),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_sanitise),
	};
	return cmocka_run_group_tests_name("hw", tests, NULL, NULL);
}
