/* Unit tests of hw/'s partition builder, no hypervisor needed:
 *  - the two domain configurations as libxl builds them, printed by libxl
 *    as JSON and checked field by field (the work domain's one NIC is a PV
 *    vif whose backend is the netvm, no emulated NIC, no PCI device; the
 *    passthrough lists of both domains);
 *  - the builder's order against a fake Xen: work is created only after
 *    the netvm armed, never when it fails, dies or stays silent; down
 *    stops work first; usb-attach makes work's USB devices those of the
 *    plan, touching no other domain.
 * Run from the top of the tree (tests/run.sh does). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "hw/sekisho-partition/builder.h"
#include "hw/sekisho-partition/inventory.h"
#include "hw/sekisho-partition/plan.h"
#include "hw/sekisho-partition/usbpass.h"
#include "hw/sekisho-partition/xlcfg.h"
#include "hw/sekisho-partition/xldom.h"
#include "lib/buf.h"
#include "lib/util.h"

#define FIXTURES "tests/hw/fixtures"

static const char domains[] =
    "version 1\n"
    "netvm kernel /var/lib/sekisho/netvm/vmlinuz\n"
    "netvm ramdisk /var/lib/sekisho/netvm/initrd.img\n"
    "netvm cmdline console=hvc0 sekisho.role=netvm\n"
    "netvm memory 512\n"
    "work memory 4096\n"
    "work vcpus 4\n"
    "work disk /dev/sekisho/work\n"
    "work mac 00:16:3e:5e:00:02\n"
    "work bridge wk0\n"
    "work vifname vif-work\n"
    "work bios ovmf\n"
    "work display none\n";

/* The Xen test's domains: a lab uplink for the netvm, a PV work domain. */
static const char lab_domains[] =
    "version 1\n"
    "netvm kernel /guest/vmlinuz\n"
    "netvm ramdisk /guest/netvm.img\n"
    "netvm memory 448\n"
    "netvm lab-uplink /etc/sekisho/vif-uplink\n"
    "work type pv\n"
    "work kernel /guest/vmlinuz\n"
    "work ramdisk /guest/work.img\n"
    "work cmdline console=hvc0 sekisho.role=work\n"
    "work memory 512\n"
    "work vcpus 1\n"
    "work bridge wk0\n"
    "work vifname vif-work\n";

static struct xl_conf
conf_of(const char *text)
{
	struct xl_conf c;
	struct sk_error err;

	if (xl_conf_parse_buf("domains.conf", text, strlen(text), &c, &err) != 0)
		fail_msg("domains: %s", err.msg);
	return c;
}

static void
read_plan(const char *fixture, struct hw_inventory *inv, struct hw_plan *p)
{
	struct sk_error err;

	if (hw_inventory_read(fixture, NULL, inv, &err) != 0 ||
	    hw_plan_make(inv, NULL, p, &err) != 0)
		fail_msg("%s", err.msg);
}

/* libxl's JSON of the configuration, parsed back with yajl. */
static yajl_val
json_of(const struct xl_conf *c, const struct hw_plan *p, int work)
{
	libxl_domain_config d;
	struct sk_error err;
	char *js, ebuf[128];
	yajl_val v;

	if ((work ? xl_work_domain(c, p, &d, &err) :
	    xl_netvm_domain(c, p, &d, &err)) != 0)
		fail_msg("%s", err.msg);
	js = xl_domain_json(&d);
	assert_non_null(js);
	v = yajl_tree_parse(js, ebuf, sizeof(ebuf));
	if (v == NULL)
		fail_msg("libxl printed JSON that does not parse: %s\n%s", ebuf, js);
	free(js);
	libxl_domain_config_dispose(&d);
	return v;
}

/* The value at "a/b/0/c" (numbers index arrays), or NULL. */
static yajl_val
at(yajl_val v, const char *path)
{
	char buf[128], *seg, *save = NULL;
	char *end;
	size_t i;

	sk_strlcpy(buf, path, sizeof(buf));
	for (seg = strtok_r(buf, "/", &save); seg != NULL && v != NULL;
	    seg = strtok_r(NULL, "/", &save)) {
		if (YAJL_IS_ARRAY(v)) {
			i = strtoul(seg, &end, 10);
			v = *end == '\0' && i < YAJL_GET_ARRAY(v)->len ?
			    YAJL_GET_ARRAY(v)->values[i] : NULL;
		} else if (YAJL_IS_OBJECT(v)) {
			const char *p[] = { seg, NULL };

			v = yajl_tree_get(v, p, yajl_t_any);
		} else
			v = NULL;
	}
	return v;
}

static void
str_at(yajl_val root, const char *path, const char *want)
{
	yajl_val v = at(root, path);

	if (v == NULL || !YAJL_IS_STRING(v))
		fail_msg("%s: no string (want \"%s\")", path, want);
	assert_string_equal(YAJL_GET_STRING(v), want);
}

static void
int_at(yajl_val root, const char *path, long long want)
{
	yajl_val v = at(root, path);

	if (v == NULL || !YAJL_IS_INTEGER(v))
		fail_msg("%s: no integer (want %lld)", path, want);
	assert_int_equal(YAJL_GET_INTEGER(v), want);
}

static size_t
len_at(yajl_val root, const char *path)
{
	yajl_val v = at(root, path);

	if (v == NULL)
		return 0;
	if (!YAJL_IS_ARRAY(v))
		fail_msg("%s: not an array", path);
	return YAJL_GET_ARRAY(v)->len;
}

static void
absent(yajl_val root, const char *path)
{
	if (at(root, path) != NULL)
		fail_msg("%s: present, must not be", path);
}

/* x1-carbon: Wi-Fi and Ethernet on PCI, a USB modem and Bluetooth. */
static void
test_netvm_json(void **state)
{
	struct hw_inventory inv;
	struct hw_plan p;
	struct xl_conf c = conf_of(domains);
	yajl_val j;

	(void)state;
	read_plan(FIXTURES "/x1-carbon", &inv, &p);
	j = json_of(&c, &p, 0);
	str_at(j, "c_info/name", "netvm");
	str_at(j, "c_info/type", "pv");
	str_at(j, "c_info/driver_domain", "True");
	str_at(j, "b_info/kernel", "/var/lib/sekisho/netvm/vmlinuz");
	str_at(j, "b_info/ramdisk", "/var/lib/sekisho/netvm/initrd.img");
	str_at(j, "b_info/cmdline", "console=hvc0 sekisho.role=netvm");
	int_at(j, "b_info/max_memkb", 512 * 1024);
	int_at(j, "b_info/target_memkb", 512 * 1024);
	int_at(j, "b_info/max_vcpus", 1);
	/* No NIC of its own: every NIC is passed through. */
	absent(j, "nics");
	assert_int_equal(len_at(j, "pcidevs"), 2);
	absent(j, "pcidevs/0/bus");	/* 0: libxl leaves defaults out */
	absent(j, "pcidevs/0/domain");
	int_at(j, "pcidevs/0/dev", 0x14);
	int_at(j, "pcidevs/0/func", 3);
	int_at(j, "pcidevs/1/dev", 0x1f);
	int_at(j, "pcidevs/1/func", 6);
	assert_int_equal(len_at(j, "usbctrls"), 1);
	str_at(j, "usbctrls/0/type", "qusb");
	int_at(j, "usbctrls/0/version", 2);
	int_at(j, "usbctrls/0/ports", 4);
	assert_int_equal(len_at(j, "usbdevs"), 2);
	int_at(j, "usbdevs/0/type.hostdev/hostbus", 1);
	int_at(j, "usbdevs/0/type.hostdev/hostaddr", 4);
	int_at(j, "usbdevs/1/type.hostdev/hostaddr", 7);
	absent(j, "disks");
	yajl_tree_free(j);
	hw_plan_free(&p);
	hw_inventory_free(&inv);
}

static void
test_work_json(void **state)
{
	struct hw_inventory inv;
	struct hw_plan p;
	struct xl_conf c = conf_of(domains);
	yajl_val j;

	(void)state;
	read_plan(FIXTURES "/x1-carbon", &inv, &p);
	j = json_of(&c, &p, 1);
	str_at(j, "c_info/name", "work");
	str_at(j, "c_info/type", "hvm");
	absent(j, "c_info/driver_domain");
	int_at(j, "b_info/max_memkb", 4096 * 1024);
	int_at(j, "b_info/max_vcpus", 4);
	str_at(j, "b_info/type.hvm/bios", "ovmf");
	str_at(j, "b_info/type.hvm/viridian", "True");
	str_at(j, "b_info/type.hvm/xen_platform_pci", "True");
	str_at(j, "b_info/type.hvm/nographic", "True");
	str_at(j, "b_info/type.hvm/sdl/enable", "False");
	str_at(j, "b_info/type.hvm/vnc/enable", "False");
	/* One NIC: PV, in the netvm, nothing emulated. */
	assert_int_equal(len_at(j, "nics"), 1);
	str_at(j, "nics/0/backend_domname", "netvm");
	str_at(j, "nics/0/nictype", "vif");
	str_at(j, "nics/0/mac", "00:16:3e:5e:00:02");
	str_at(j, "nics/0/bridge", "wk0");
	str_at(j, "nics/0/ifname", "vif-work");
	absent(j, "nics/0/model");
	absent(j, "nics/0/backend_domid");
	/* Never a PCI device; the work devices by USB. */
	absent(j, "pcidevs");
	assert_int_equal(len_at(j, "usbctrls"), 1);
	str_at(j, "usbctrls/0/type", "devicemodel");
	int_at(j, "usbctrls/0/ports", 4);
	assert_int_equal(len_at(j, "usbdevs"), 3);
	int_at(j, "usbdevs/0/type.hostdev/hostbus", 1);
	int_at(j, "usbdevs/0/type.hostdev/hostaddr", 3);
	int_at(j, "usbdevs/1/type.hostdev/hostaddr", 5);
	int_at(j, "usbdevs/2/type.hostdev/hostaddr", 6);
	assert_int_equal(len_at(j, "disks"), 1);
	str_at(j, "disks/0/pdev_path", "/dev/sekisho/work");
	str_at(j, "disks/0/vdev", "xvda");
	str_at(j, "disks/0/format", "raw");
	int_at(j, "disks/0/readwrite", 1);
	yajl_tree_free(j);
	hw_plan_free(&p);
	hw_inventory_free(&inv);
}

/* The Xen test's shape: a machine with nothing to pass through. */
static void
test_lab_json(void **state)
{
	struct hw_inventory inv;
	struct hw_plan p;
	struct xl_conf c = conf_of(lab_domains);
	yajl_val j;

	(void)state;
	memset(&inv, 0, sizeof(inv));
	assert_int_equal(hw_plan_make(&inv, NULL, &p, &(struct sk_error){ 0 }), 0);
	j = json_of(&c, &p, 0);
	assert_int_equal(len_at(j, "nics"), 1);
	str_at(j, "nics/0/nictype", "vif");
	str_at(j, "nics/0/script", "/etc/sekisho/vif-uplink");
	absent(j, "nics/0/backend_domname");
	absent(j, "pcidevs");
	absent(j, "usbctrls");
	yajl_tree_free(j);
	j = json_of(&c, &p, 1);
	str_at(j, "c_info/type", "pv");
	str_at(j, "b_info/kernel", "/guest/vmlinuz");
	str_at(j, "b_info/ramdisk", "/guest/work.img");
	str_at(j, "b_info/cmdline", "console=hvc0 sekisho.role=work");
	absent(j, "b_info/type.hvm");
	assert_int_equal(len_at(j, "nics"), 1);
	str_at(j, "nics/0/backend_domname", "netvm");
	str_at(j, "nics/0/nictype", "vif");
	str_at(j, "nics/0/ifname", "vif-work");
	absent(j, "disks");
	absent(j, "pcidevs");
	absent(j, "usbdevs");
	yajl_tree_free(j);
	hw_plan_free(&p);
}

/* The checks are the xl text's: the same refusals, the same words. */
static void
test_domain_refusals(void **state)
{
	struct hw_inventory inv;
	struct hw_plan p;
	struct xl_conf c = conf_of(domains);
	libxl_domain_config d;
	struct sk_error err;

	(void)state;
	read_plan(FIXTURES "/x1-carbon", &inv, &p);
	c.netvm_type = XL_TYPE_PVH;
	assert_int_equal(xl_netvm_domain(&c, &p, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "netvm: type pvh cannot take PCI "
	    "passthrough (2 PCI devices in the plan): use 'netvm type pv'");
	libxl_domain_config_dispose(&d);
	c = conf_of(lab_domains);
	assert_int_equal(xl_work_domain(&c, &p, &d, &err), -EINVAL);
	assert_string_equal(err.msg, "work: type pv cannot take USB "
	    "passthrough (3 USB devices in the plan): use 'work type hvm'");
	libxl_domain_config_dispose(&d);
	hw_plan_free(&p);
	hw_inventory_free(&inv);
}

/* ---- the builder against a fake Xen ---- */

struct fake {
	int netvm, work;		/* domid, 0 = not running */
	int next;
	enum arm_state arm;		/* what the netvm does */
	uint64_t now, waited;
	char log[512];			/* the calls, in order */
	uint16_t usb[8];		/* work's USB devices, bus << 8 | addr */
	size_t n_usb;
	uint16_t fail_add;		/* usb_add of this one fails */
};

static void
note(struct fake *f, const char *fmt, ...)
{
	size_t n = strlen(f->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->log + n, sizeof(f->log) - n, fmt, ap);
	va_end(ap);
}

static int
f_find(void *ctx, const char *name, uint32_t *domid)
{
	struct fake *f = ctx;
	int id = strcmp(name, "netvm") == 0 ? f->netvm : f->work;

	if (id == 0)
		return -ENOENT;
	*domid = (uint32_t)id;
	return 0;
}

static int
f_create(void *ctx, void *cfg, uint32_t *domid, struct sk_error *err)
{
	struct fake *f = ctx;
	const char *name = ((libxl_domain_config *)cfg)->c_info.name;

	(void)err;
	note(f, "create %s; ", name);
	*domid = (uint32_t)++f->next;
	if (strcmp(name, "netvm") == 0)
		f->netvm = f->next;
	else
		f->work = f->next;
	return 0;
}

static int
f_destroy(void *ctx, uint32_t domid, struct sk_error *err)
{
	struct fake *f = ctx;

	(void)err;
	note(f, "destroy %u; ", domid);
	if ((int)domid == f->netvm)
		f->netvm = 0;
	else
		f->work = 0;
	return 0;
}

static enum arm_state
f_arm_wait(void *ctx, uint32_t domid, uint64_t timeout_ms, char msg[ARM_MSG_MAX])
{
	struct fake *f = ctx;

	note(f, "wait %u %llu; ", domid, (unsigned long long)timeout_ms);
	if (f->arm == ARM_FAILED)
		snprintf(msg, ARM_MSG_MAX, "sekishod exited with status 1");
	f->now += f->arm == ARM_WAITING ? timeout_ms : 1500;
	return f->arm;
}

static uint64_t
f_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static int
f_usb_list(void *ctx, uint32_t domid, uint16_t *have, size_t max, size_t *n,
    struct sk_error *err)
{
	struct fake *f = ctx;

	(void)err;
	note(f, "list %u; ", domid);
	assert_true(f->n_usb <= max);
	memcpy(have, f->usb, f->n_usb * sizeof(*have));
	*n = f->n_usb;
	return 0;
}

static int
f_usb_add(void *ctx, uint32_t domid, uint16_t ba, struct sk_error *err)
{
	struct fake *f = ctx;

	note(f, "add %u %u.%u; ", domid, ba >> 8, ba & 0xff);
	if (ba == f->fail_add)
		return sk_errorf(err, EIO, "libxl cannot pass hostbus %u hostaddr "
		    "%u to domain %u (error -3)", ba >> 8, ba & 0xff, domid);
	assert_true(f->n_usb < nitems(f->usb));
	f->usb[f->n_usb++] = ba;
	return 0;
}

static int
f_usb_remove(void *ctx, uint32_t domid, uint16_t ba, struct sk_error *err)
{
	struct fake *f = ctx;
	size_t i;

	(void)err;
	note(f, "remove %u %u.%u; ", domid, ba >> 8, ba & 0xff);
	for (i = 0; i < f->n_usb && f->usb[i] != ba; i++)
		;
	assert_true(i < f->n_usb);
	f->usb[i] = f->usb[--f->n_usb];
	return 0;
}

static const struct xen_ops fake_ops = {
	f_find, f_create, f_destroy, f_arm_wait, f_now,
	f_usb_list, f_usb_add, f_usb_remove,
};

struct run {
	struct fake f;
	libxl_domain_config netvm, work;
	struct buf out;
	struct sk_error err;
	int rc;
};

static void
up(struct run *r, int (*fn)(const struct builder *, struct sk_error *))
{
	struct builder b = { &fake_ops, &r->f, &r->netvm, &r->work, 60000, &r->out };

	libxl_domain_config_init(&r->netvm);
	libxl_domain_config_init(&r->work);
	r->netvm.c_info.name = strdup("netvm");
	r->work.c_info.name = strdup("work");
	buf_init(&r->out);
	r->rc = fn(&b, &r->err);
	libxl_domain_config_dispose(&r->netvm);
	libxl_domain_config_dispose(&r->work);
}

static void
test_builder_up(void **state)
{
	struct run r = { .f = { .arm = ARM_ARMED } };

	(void)state;
	up(&r, builder_up);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.f.log, "create netvm; wait 1 60000; create work; ");
	assert_string_equal(buf_str(&r.out), "netvm: created, domain 1\n"
	    "netvm: armed (1.5 s after up began)\n"
	    "work: created, domain 2\n"
	    "up: done in 1.5 s\n");
	buf_free(&r.out);
	/* Again: nothing is created twice, the netvm is asked again. */
	r.f.log[0] = '\0';
	up(&r, builder_up);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.f.log, "wait 1 60000; ");
	assert_non_null(strstr(buf_str(&r.out), "netvm: already running, domain 1\n"));
	assert_non_null(strstr(buf_str(&r.out), "work: already running, domain 2\n"));
	buf_free(&r.out);
}

/* The netvm never arms, reports why it cannot, or dies: no work. */
static void
test_builder_never_armed(void **state)
{
	static const struct {
		enum arm_state arm;
		int err;
		const char *msg;
	} c[] = {
		{ ARM_WAITING, ETIMEDOUT, "netvm (domain 1) did not arm within "
		    "60 s; work not started" },
		{ ARM_FAILED, EIO, "netvm (domain 1) cannot arm: sekishod exited "
		    "with status 1; work not started" },
		{ ARM_GONE, ESRCH, "netvm (domain 1) stopped before it armed; "
		    "work not started" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < nitems(c); i++) {
		struct run r = { .f = { .arm = c[i].arm } };

		up(&r, builder_up);
		assert_int_equal(r.rc, -c[i].err);
		assert_string_equal(r.err.msg, c[i].msg);
		assert_string_equal(r.f.log, "create netvm; wait 1 60000; ");
		assert_int_equal(r.f.work, 0);
		assert_string_equal(buf_str(&r.out), "netvm: created, domain 1\n");
		buf_free(&r.out);
	}
}

static void
test_builder_down_status(void **state)
{
	struct run r = { .f = { .netvm = 3, .work = 4, .arm = ARM_ARMED } };

	(void)state;
	up(&r, builder_status);
	assert_int_equal(r.rc, 0);
	assert_string_equal(buf_str(&r.out), "netvm: domain 3, armed\n"
	    "work: domain 4, running\n");
	buf_free(&r.out);
	r.f.log[0] = '\0';
	up(&r, builder_down);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.f.log, "destroy 4; destroy 3; ");
	assert_string_equal(buf_str(&r.out), "work: destroyed, domain 4\n"
	    "netvm: destroyed, domain 3\n");
	buf_free(&r.out);
	up(&r, builder_status);
	assert_int_equal(r.rc, -ESRCH);
	assert_string_equal(r.err.msg, "not up: the netvm is not running");
	assert_string_equal(buf_str(&r.out), "netvm: not running\n"
	    "work: not running\n");
	buf_free(&r.out);
	r.f.netvm = 5;
	r.f.arm = ARM_FAILED;
	up(&r, builder_status);
	assert_string_equal(r.err.msg, "not up: the netvm is not armed");
	assert_string_equal(buf_str(&r.out), "netvm: domain 5, cannot arm: "
	    "sekishod exited with status 1\nwork: not running\n");
	buf_free(&r.out);
}

/* usb-attach against the fake: work held the readers of usb-readers; now
 * the tree is usb-replug with the work USB file of usb-readers. */
static void
test_usb_attach(void **state)
{
	static const char file[] =
	    "version 1\n"
	    "work usb 076b:3031 serial OKCM0070813\n"
	    "work usb 058f:9540 port 1-3\n"
	    "work usb 058f:9540 port 1-4\n"
	    "work usb 06cb:00bd serial a1b2c3d4e5f6\n";
	struct fake f = { .netvm = 1, .work = 2,
	    .usb = { 1 << 8 | 3, 1 << 8 | 4, 1 << 8 | 5, 1 << 8 | 2 },
	    .n_usb = 4 };
	struct hw_inventory inv;
	struct hw_usbpass up;
	struct hw_plan p;
	struct sk_error err;
	struct buf out;
	struct builder b = { .ops = &fake_ops, .ctx = &f, .out = &out };

	(void)state;
	read_plan(FIXTURES "/usb-replug", &inv, &p);
	if (hw_usbpass_parse_buf("work-usb", file, strlen(file), &up, &err) != 0 ||
	    hw_usbpass_apply(&p, &up, &err) != 0)
		fail_msg("%s", err.msg);
	buf_init(&out);
	assert_int_equal(builder_usb_attach(&b, &p, &err), 0);
	assert_string_equal(f.log, "list 2; remove 2 1.3; remove 2 1.4; "
	    "add 2 1.9; add 2 3.2; ");
	assert_string_equal(buf_str(&out),
	    "work: detach hostbus 1 hostaddr 3 (no device there now)\n"
	    "work: detach hostbus 1 hostaddr 4 (no device there now)\n"
	    "work: attach usb 1-3 (EMV Smartcard Reader, 058f:9540 port 1-3) "
	    "hostbus 1 hostaddr 9\n"
	    "work: attach usb 3-2 (OMNIKEY 3x21 Smart Card Reader, 076b:3031 "
	    "serial OKCM0070813) hostbus 3 hostaddr 2\n");
	buf_free(&out);
	/* Again: nothing to change; the netvm (domain 1) never asked. */
	f.log[0] = '\0';
	buf_init(&out);
	assert_int_equal(builder_usb_attach(&b, &p, &err), 0);
	assert_string_equal(f.log, "list 2; ");
	assert_string_equal(buf_str(&out), "work: nothing to change\n");
	buf_free(&out);
	/* A failed add: the others are still made, the first failure told. */
	f.log[0] = '\0';
	f.n_usb = 0;
	f.fail_add = 1 << 8 | 9;
	buf_init(&out);
	assert_int_equal(builder_usb_attach(&b, &p, &err), -EIO);
	assert_string_equal(err.msg, "libxl cannot pass hostbus 1 hostaddr 9 "
	    "to domain 2 (error -3)");
	assert_string_equal(f.log, "list 2; add 2 1.9; add 2 1.5; add 2 1.2; "
	    "add 2 3.2; ");
	buf_free(&out);
	/* Work not running: nothing asked, nothing attached. */
	f.log[0] = '\0';
	f.work = 0;
	buf_init(&out);
	assert_int_equal(builder_usb_attach(&b, &p, &err), 0);
	assert_string_equal(f.log, "");
	assert_string_equal(buf_str(&out), "work: not running, nothing attached\n");
	buf_free(&out);
	hw_usbpass_free(&up);
	hw_plan_free(&p);
	hw_inventory_free(&inv);
}

int
main(void)
{
	const struct CMUnitTest hw_xen[] = {
		cmocka_unit_test(test_netvm_json),
		cmocka_unit_test(test_work_json),
		cmocka_unit_test(test_lab_json),
		cmocka_unit_test(test_domain_refusals),
		cmocka_unit_test(test_builder_up),
		cmocka_unit_test(test_builder_never_armed),
		cmocka_unit_test(test_builder_down_status),
		cmocka_unit_test(test_usb_attach),
	};

	return cmocka_run_group_tests(hw_xen, NULL, NULL);
}
