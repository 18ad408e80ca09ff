/* libFuzzer harness for hw/'s sysfs reader (hw_inventory_read) and what
 * is built on it: the plan, the tables and the JSON.
 *
 * A small sysfs tree (a PCI Ethernet controller with its netdev, a USB
 * device with one interface and a netdev below it) is made once under a
 * temporary directory. Each input puts back the good content of the files
 * the previous one changed, then overwrites some of them: the first byte
 * picks the file the first piece goes to, and the rest is split at 0xff
 * bytes into pieces for the files that follow (so a short input changes
 * one file, and any file can be reached). A piece that is exactly 0x01
 * removes its file instead.
 *
 * Whatever the bytes: either the read fails with one line of printable
 * ASCII, or every string of every device ends within its buffer and is
 * printable ASCII, the counts are within their arrays, and the inventory
 * and its plan render (tables and JSON); the tables are printable ASCII and
 * newlines, and the JSON parses back with json-c, one device per device
 * read, each string as read. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "hw/sekisho-partition/inventory.h"
#include "hw/sekisho-partition/plan.h"
#include "hw/sekisho-partition/render.h"
#include "hw/sekisho-partition/usbpass.h"
#include "lib/buf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PCI	"sys/bus/pci/devices/0000:00:1f.6/"
#define USB	"sys/bus/usb/devices/1-3/"
#define USBIF	USB "1-3:1.0/"

/* Every file the reader opens in this tree, with its good content. */
static const struct {
	const char *path, *text;
} files[] = {
	{ PCI "vendor", "0x8086\n" },
	{ PCI "device", "0x15fc\n" },
	{ PCI "class", "0x020000\n" },
	{ PCI "net/enp0s31f6/uevent", "INTERFACE=enp0s31f6\nIFINDEX=2\n" },
	{ USB "idVendor", "058f\n" },
	{ USB "idProduct", "9540\n" },
	{ USB "bDeviceClass", "00\n" },
	{ USB "bDeviceSubClass", "00\n" },
	{ USB "bDeviceProtocol", "00\n" },
	{ USB "bNumConfigurations", "1\n" },
	{ USB "busnum", "1\n" },
	{ USB "devnum", "4\n" },
	{ USB "product", "Smart Card Reader\n" },
	{ USBIF "bInterfaceClass", "0b\n" },
	{ USBIF "bInterfaceSubClass", "00\n" },
	{ USBIF "bInterfaceProtocol", "00\n" },
	{ USBIF "interface", "CCID\n" },
	{ USBIF "net/wwan0/uevent", "DEVTYPE=wwan\nINTERFACE=wwan0\n" },
	{ USB "serial", "0123456789AB\n" },
};
#define NFILES	(sizeof(files) / sizeof(files[0]))

static char root[64];
static int changed[NFILES];	/* not the good content since the last input */

static void
put(size_t i, const uint8_t *p, size_t n)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, files[i].path);
	if (n == 1 && p[0] == 0x01) {
		if (unlink(path) == -1 && errno != ENOENT)
			__builtin_trap();
		return;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		__builtin_trap();
	if (n > 0 && write(fd, p, n) != (ssize_t)n)
		__builtin_trap();
	close(fd);
}

static void
mkdirs(const char *rel)
{
	char path[256], *s;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (s = path + strlen(root) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		if (mkdir(path, 0755) == -1 && errno != EEXIST)
			__builtin_trap();
		*s = '/';
	}
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
cleanup(void)
{
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	snprintf(root, sizeof(root), "/tmp/fuzz_inventory.XXXXXX");
	if (mkdtemp(root) == NULL)
		__builtin_trap();
	for (i = 0; i < NFILES; i++) {
		mkdirs(files[i].path);
		put(i, (const uint8_t *)files[i].text, strlen(files[i].text));
	}
	atexit(cleanup);
	return 0;
}

/* NUL within size bytes, and printable ASCII before it. */
static void
check_str(const char *s, size_t size)
{
	const char *end = memchr(s, '\0', size);

	if (end == NULL)
		__builtin_trap();
	for (; s < end; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			__builtin_trap();
}

/* The device's identity, written as a work USB file, parses back to an
 * entry that names this device. */
static void
check_identity(const struct hw_device *d)
{
	struct hw_usbpass up;
	struct hw_usbid id;
	struct sk_error err;
	char text[256], s[128];

	hw_usbid_of(d, &id);
	snprintf(text, sizeof(text), "version 1\nwork usb %s\n",
	    hw_usbid_str(&id, s, sizeof(s)));
	if (hw_usbpass_parse_buf("id", text, strlen(text), &up, &err) != 0 ||
	    up.n != 1 || !hw_usbid_matches(&up.id[0], d))
		__builtin_trap();
	hw_usbpass_free(&up);
}

static void
check_device(const struct hw_device *d)
{
	size_t i;

	if (d->n_usbifs > HW_MAX_USBIFS || d->n_netifs > HW_MAX_NETIFS ||
	    (unsigned)d->kind >= HW_KIND_COUNT)
		__builtin_trap();
	check_str(d->addr, sizeof(d->addr));
	check_str(d->product_name, sizeof(d->product_name));
	check_str(d->serial, sizeof(d->serial));
	if (d->bus == HW_BUS_USB)
		check_identity(d);
	check_str(d->name, sizeof(d->name));
	check_str(d->why, sizeof(d->why));
	for (i = 0; i < d->n_usbifs; i++) {
		check_str(d->usbifs[i].addr, sizeof(d->usbifs[i].addr));
		check_str(d->usbifs[i].name, sizeof(d->usbifs[i].name));
	}
	for (i = 0; i < d->n_netifs; i++)
		check_str(d->netifs[i].name, sizeof(d->netifs[i].name));
}

/* Printable ASCII and newlines, ending with a newline. */
static void
check_text(const struct buf *b)
{
	const char *s = buf_str(b);
	size_t i;

	if (s == NULL || b->len == 0 || s[b->len - 1] != '\n')
		__builtin_trap();
	for (i = 0; i < b->len; i++)
		if (s[i] != '\n' && ((unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f))
			__builtin_trap();
}

/* A member of o that is a string equal to want. */
static void
check_member(json_object *o, const char *key, const char *want)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), want) != 0)
		__builtin_trap();
}

static void
check_inventory_json(const struct hw_inventory *inv)
{
	json_object *top, *devs, *o;
	struct buf b;
	size_t i;

	buf_init(&b);
	hw_render_inventory_json(&b, inv);
	check_text(&b);
	if ((top = json_tokener_parse(buf_str(&b))) == NULL ||
	    !json_object_object_get_ex(top, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array) ||
	    json_object_array_length(devs) != inv->n)
		__builtin_trap();
	for (i = 0; i < inv->n; i++) {
		o = json_object_array_get_idx(devs, i);
		check_member(o, "address", inv->dev[i].addr);
		check_member(o, "name", inv->dev[i].name);
		check_member(o, "why", inv->dev[i].why);
		if (inv->dev[i].bus == HW_BUS_USB)
		{
			check_member(o, "product_string",
			    inv->dev[i].product_name);
			check_member(o, "serial", inv->dev[i].serial);
		}
	}
	json_object_put(top);
	buf_free(&b);
}

static void
check_plan(const struct hw_inventory *inv)
{
	json_object *top, *a;
	struct hw_plan p;
	struct sk_error err;
	struct buf b;

	if (hw_plan_make(inv, NULL, &p, &err) != 0)
		__builtin_trap();	/* no overrides: nothing to refuse */
	buf_init(&b);
	hw_render_plan(&b, &p);
	check_text(&b);
	buf_free(&b);
	buf_init(&b);
	hw_render_plan_json(&b, &p);
	check_text(&b);
	if ((top = json_tokener_parse(buf_str(&b))) == NULL ||
	    !json_object_object_get_ex(top, "assignments", &a) ||
	    json_object_array_length(a) != p.n || p.n != inv->n)
		__builtin_trap();
	json_object_put(top);
	buf_free(&b);
	hw_plan_free(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hw_inventory inv;
	struct sk_error err;
	struct buf b;
	const uint8_t *p, *end, *sep;
	size_t i, k;

	for (i = 0; i < NFILES; i++)
		if (changed[i]) {
			put(i, (const uint8_t *)files[i].text,
			    strlen(files[i].text));
			changed[i] = 0;
		}
	if (size > 0) {
		k = data[0] % NFILES;
		p = data + 1;
		end = data + size;
		for (i = 0; i < NFILES && p <= end; i++, p = sep + 1) {
			if ((sep = memchr(p, 0xff, (size_t)(end - p))) == NULL)
				sep = end;
			put((k + i) % NFILES, p, (size_t)(sep - p));
			changed[(k + i) % NFILES] = 1;
		}
	}

	memset(&err, 0, sizeof(err));
	if (hw_inventory_read(root, NULL, &inv, &err) != 0) {
		check_str(err.msg, sizeof(err.msg));
		if (err.msg[0] == '\0')
			__builtin_trap();
		return 0;
	}
	if (inv.n != 2 || inv.dev[0].bus != HW_BUS_PCI ||
	    inv.dev[1].bus != HW_BUS_USB)
		__builtin_trap();
	for (i = 0; i < inv.n; i++)
		check_device(&inv.dev[i]);
	buf_init(&b);
	hw_render_inventory(&b, &inv);
	check_text(&b);
	buf_free(&b);
	check_inventory_json(&inv);
	check_plan(&inv);
	hw_inventory_free(&inv);
	return 0;
}
