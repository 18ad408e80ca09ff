/* Reads the PCI and USB devices from sysfs (see hw/sekisho-partition/inventory.h).
 *
 * ROOT/sys/bus/{pci,usb}/devices/NAME are followed (symlinks on a real
 * machine, plain directories in the test fixtures); below a device nothing
 * is followed, and child devices (a bridge's functions, a hub's ports) are
 * never counted as part of their parent. Attributes are parsed strictly:
 * a plan is never built on a guess about what the kernel said. */
#include "hw/sekisho-partition/inventory.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hw/sekisho-partition/classify.h"

#define ATTR_MAX	512	/* bytes of an attribute we read */
#define SCAN_DEPTH	3	/* directory levels searched for net/, wwan/ */

struct sysdir {
	int fd;
	char path[PATH_MAX];
};

static int
sysdir_open(struct sysdir *d, const struct sysdir *parent, const char *name,
    int follow, struct sk_error *err)
{
	int n, flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;

	if (!follow)
		flags |= O_NOFOLLOW;
	n = snprintf(d->path, sizeof(d->path), "%s%s%s",
	    parent ? parent->path : "", parent ? "/" : "", name);
	if (n < 0 || (size_t)n >= sizeof(d->path))
		return sk_errorf(err, ENAMETOOLONG, "%s/%s: path too long",
		    parent ? parent->path : "", name);
	d->fd = openat(parent ? parent->fd : AT_FDCWD, name, flags);
	if (d->fd == -1)
		return sk_errorf(err, errno, "%s: %s", d->path, strerror(errno));
	return 0;
}

/* A DIR stream over d from its first entry; d stays open. */
static int
opendir_at(const struct sysdir *d, DIR **dirp, struct sk_error *err)
{
	int fd;

	if ((fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return sk_errorf(err, errno, "%s: %s", d->path, strerror(errno));
	if ((*dirp = fdopendir(fd)) == NULL) {
		close(fd);
		return sk_errorf(err, errno, "%s: %s", d->path, strerror(errno));
	}
	return 0;
}

static void
sysdir_close(struct sysdir *d)
{
	if (d->fd != -1)
		close(d->fd);
	d->fd = -1;
}

/* Reads an attribute without its final newline. 0; 1 if optional and
 * absent (buf ""); or -errno. */
static int
attr_read(const struct sysdir *d, const char *attr, char *buf, size_t size,
    int optional, struct sk_error *err)
{
	size_t len = 0;
	ssize_t n;
	int fd;

	buf[0] = '\0';
	fd = openat(d->fd, attr, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1 && errno == ENOENT && optional)
		return 1;
	if (fd == -1)
		return sk_errorf(err, errno, "%s/%s: %s", d->path, attr,
		    strerror(errno));
	while (len < size && (n = read(fd, buf + len, size - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			close(fd);
			return sk_errorf(err, errno, "%s/%s: %s", d->path, attr,
			    strerror(errno));
		}
		len += (size_t)n;
	}
	close(fd);
	if (len == size)
		return sk_errorf(err, EFBIG, "%s/%s: longer than %zu bytes",
		    d->path, attr, size - 1);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return 0;
}

/* "0x" and ndigits hex digits (PCI), or exactly ndigits (USB). */
static int
attr_hex(const struct sysdir *d, const char *attr, int prefix, size_t ndigits,
    unsigned int *out, struct sk_error *err)
{
	char buf[ATTR_MAX], *end;
	const char *s;
	unsigned long v;
	int rc;

	if ((rc = attr_read(d, attr, buf, sizeof(buf), 0, err)) != 0)
		return rc;
	s = buf;
	if (prefix && strncmp(s, "0x", 2) == 0)
		s += 2;
	else if (prefix)
		goto bad;
	if (strlen(s) != ndigits || strspn(s, "0123456789abcdefABCDEF") != ndigits)
		goto bad;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno != 0 || *end != '\0')
		goto bad;
	*out = (unsigned int)v;
	return 0;
bad:
	hw_sanitise(buf, 33, buf, strlen(buf));
	return sk_errorf(err, EINVAL, "%s/%s: expected %s%zu hex digits, "
	    "found '%s'", d->path, attr, prefix ? "0x and " : "", ndigits, buf);
}

static int
attr_uint(const struct sysdir *d, const char *attr, unsigned int max,
    unsigned int *out, struct sk_error *err)
{
	char buf[ATTR_MAX];
	const char *s;
	uint64_t v;
	int rc;

	if ((rc = attr_read(d, attr, buf, sizeof(buf), 0, err)) != 0)
		return rc;
	for (s = buf; *s == ' '; s++)
		;
	if (parse_u64(s, 0, max, &v) != 0) {
		hw_sanitise(buf, 33, buf, strlen(buf));
		return sk_errorf(err, EINVAL, "%s/%s: expected a number from 0 to "
		    "%u, found '%s'", d->path, attr, max, buf);
	}
	*out = (unsigned int)v;
	return 0;
}

static int
attr_text(const struct sysdir *d, const char *attr, char *dst, size_t size,
    struct sk_error *err)
{
	char buf[ATTR_MAX];
	int rc;

	if ((rc = attr_read(d, attr, buf, sizeof(buf), 1, err)) < 0)
		return rc;
	hw_sanitise(dst, size, buf, strlen(buf));
	return 0;
}

static int
exists(const struct sysdir *d, const char *name)
{
	struct stat st;

	return fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* ---- names ---- */

static int
all_digits(const char *s, size_t n)
{
	return n > 0 && strspn(s, "0123456789") >= n;
}

/* "1-3", "1-3.2.4": bus, '-', ports separated by '.'. */
static int
is_usb_device_name(const char *s)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || s[n] != '-')
		return 0;
	s += n + 1;
	for (;;) {
		n = strspn(s, "0123456789");
		if (n == 0)
			return 0;
		s += n;
		if (*s == '\0')
			return 1;
		if (*s++ != '.')
			return 0;
	}
}

static int
is_usb_root_hub_name(const char *s)
{
	return strncmp(s, "usb", 3) == 0 && all_digits(s + 3, strlen(s + 3));
}

/* "0000:00:1f.6". */
static int
is_pci_name(const char *s)
{
	static const char pat[] = "xxxx:xx:xx.x";
	size_t i;

	if (strlen(s) != sizeof(pat) - 1)
		return 0;
	for (i = 0; pat[i] != '\0'; i++)
		if (pat[i] == 'x' ? strchr("0123456789abcdef", s[i]) == NULL ||
		    s[i] == '\0' : s[i] != pat[i])
			return 0;
	return 1;
}

/* A directory below a device that is another device, not part of it. */
static int
is_child_device(const char *s)
{
	return is_pci_name(s) || is_usb_device_name(s) ||
	    is_usb_root_hub_name(s) || strchr(s, ':') != NULL;
}

static int
is_dir(const struct sysdir *d, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	return fstatat(d->fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode);
}

/* ---- what lives below a device ---- */

static int
read_netif(const struct sysdir *net, const char *name, struct hw_device *dev,
    struct sk_error *err)
{
	struct sysdir d;
	struct hw_netif *ni;
	char uevent[ATTR_MAX];
	int rc;

	if (dev->n_netifs == HW_MAX_NETIFS) {
		dev->more_netifs = 1;
		return 0;
	}
	if ((rc = sysdir_open(&d, net, name, 0, err)) != 0)
		return rc;
	rc = attr_read(&d, "uevent", uevent, sizeof(uevent), 1, err);
	if (rc >= 0) {
		ni = &dev->netifs[dev->n_netifs++];
		hw_sanitise(ni->name, sizeof(ni->name), name, strlen(name));
		ni->type = HW_NETIF_ETHER;
		if (strstr(uevent, "DEVTYPE=wlan") || exists(&d, "wireless") ||
		    exists(&d, "phy80211"))
			ni->type = HW_NETIF_WLAN;
		else if (strstr(uevent, "DEVTYPE=wwan"))
			ni->type = HW_NETIF_WWAN;
		rc = 0;
	}
	sysdir_close(&d);
	return rc;
}

static int
read_class_dir(const struct sysdir *parent, const char *name,
    struct hw_device *dev, struct sk_error *err)
{
	struct sysdir d;
	struct dirent *e;
	DIR *dir;
	int rc = 0;

	if ((rc = sysdir_open(&d, parent, name, 0, err)) != 0)
		return rc;
	if ((rc = opendir_at(&d, &dir, err)) != 0) {
		sysdir_close(&d);
		return rc;
	}
	while (rc == 0 && (e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.' || !is_dir(&d, e))
			continue;
		if (strcmp(name, "wwan") == 0)
			dev->wwan_port = 1;
		else
			rc = read_netif(&d, e->d_name, dev, err);
	}
	closedir(dir);
	sysdir_close(&d);
	return rc;
}

/* Whether scan_below may enter directory name: never another device, but
 * at the top of a USB device its interfaces ("1-3:1.0" below "1-3"). */
static int
may_enter(const char *name, const char *usbdev)
{
	size_t n = usbdev ? strlen(usbdev) : 0;

	if (usbdev != NULL && strncmp(name, usbdev, n) == 0 && name[n] == ':')
		return 1;
	return !is_child_device(name);
}

/* Looks for net/IFNAME and wwan/wwanN up to SCAN_DEPTH levels below d,
 * in d's own directories only (not other devices, not symlinks). usbdev
 * is the USB device's name at its top level, else NULL. */
static int
scan_below(const struct sysdir *d, const char *usbdev, int depth,
    struct hw_device *dev, struct sk_error *err)
{
	struct sysdir sub;
	struct dirent *e;
	DIR *dir;
	int rc = 0;

	if ((rc = opendir_at(d, &dir, err)) != 0)
		return rc;
	while (rc == 0 && (e = readdir(dir)) != NULL) {
		if (e->d_name[0] == '.' || !is_dir(d, e) ||
		    !may_enter(e->d_name, usbdev))
			continue;
		if (strcmp(e->d_name, "net") == 0 || strcmp(e->d_name, "wwan") == 0)
			rc = read_class_dir(d, e->d_name, dev, err);
		else if (depth < SCAN_DEPTH &&
		    (rc = sysdir_open(&sub, d, e->d_name, 0, err)) == 0) {
			rc = scan_below(&sub, NULL, depth + 1, dev, err);
			sysdir_close(&sub);
		}
	}
	closedir(dir);
	return rc;
}

/* ---- devices ---- */

static int
read_pci(const struct sysdir *d, const char *name, struct hw_device *dev,
    struct sk_error *err)
{
	unsigned int v, p, c;
	int rc;

	if ((rc = attr_hex(d, "vendor", 1, 4, &v, err)) != 0 ||
	    (rc = attr_hex(d, "device", 1, 4, &p, err)) != 0 ||
	    (rc = attr_hex(d, "class", 1, 6, &c, err)) != 0)
		return rc;
	dev->bus = HW_BUS_PCI;
	sk_strlcpy(dev->addr, name, sizeof(dev->addr));
	dev->vendor = (uint16_t)v;
	dev->product = (uint16_t)p;
	dev->pci_class = c;
	return scan_below(d, NULL, 0, dev, err);
}

static int
read_usbif(const struct sysdir *dev_dir, const char *name,
    struct hw_device *dev, struct sk_error *err)
{
	struct sysdir d;
	struct hw_usbif *u;
	unsigned int c, s, p;
	int rc;

	if (dev->n_usbifs == HW_MAX_USBIFS)
		return sk_errorf(err, E2BIG, "%s/%s: more than %d interfaces",
		    dev_dir->path, name, HW_MAX_USBIFS);
	if ((rc = sysdir_open(&d, dev_dir, name, 0, err)) != 0)
		return rc;
	u = &dev->usbifs[dev->n_usbifs];
	if ((rc = attr_hex(&d, "bInterfaceClass", 0, 2, &c, err)) == 0 &&
	    (rc = attr_hex(&d, "bInterfaceSubClass", 0, 2, &s, err)) == 0 &&
	    (rc = attr_hex(&d, "bInterfaceProtocol", 0, 2, &p, err)) == 0 &&
	    (rc = attr_text(&d, "interface", u->name, sizeof(u->name), err)) == 0) {
		hw_sanitise(u->addr, sizeof(u->addr), name, strlen(name));
		u->cls = (uint8_t)c;
		u->sub = (uint8_t)s;
		u->proto = (uint8_t)p;
		dev->n_usbifs++;
	}
	sysdir_close(&d);
	return rc;
}

static int
cmp_usbif(const void *a, const void *b)
{
	return strcmp(((const struct hw_usbif *)a)->addr,
	    ((const struct hw_usbif *)b)->addr);
}

/* Interfaces are the directories named "NAME:CONFIG.INTERFACE". */
static int
read_usbifs(const struct sysdir *d, const char *name, struct hw_device *dev,
    struct sk_error *err)
{
	struct dirent *e;
	size_t n = strlen(name);
	DIR *dir;
	int rc = 0;

	if ((rc = opendir_at(d, &dir, err)) != 0)
		return rc;
	while (rc == 0 && (e = readdir(dir)) != NULL)
		if (strncmp(e->d_name, name, n) == 0 && e->d_name[n] == ':' &&
		    is_dir(d, e))
			rc = read_usbif(d, e->d_name, dev, err);
	closedir(dir);
	qsort(dev->usbifs, dev->n_usbifs, sizeof(dev->usbifs[0]), cmp_usbif);
	return rc;
}

static int
read_usb(const struct sysdir *d, const char *name, struct hw_device *dev,
    struct sk_error *err)
{
	unsigned int v, p, c, s, pr;
	int rc;

	if ((rc = attr_hex(d, "idVendor", 0, 4, &v, err)) != 0 ||
	    (rc = attr_hex(d, "idProduct", 0, 4, &p, err)) != 0 ||
	    (rc = attr_hex(d, "bDeviceClass", 0, 2, &c, err)) != 0 ||
	    (rc = attr_hex(d, "bDeviceSubClass", 0, 2, &s, err)) != 0 ||
	    (rc = attr_hex(d, "bDeviceProtocol", 0, 2, &pr, err)) != 0 ||
	    (rc = attr_uint(d, "bNumConfigurations", 255, &dev->nconfigs, err)) != 0 ||
	    (rc = attr_uint(d, "busnum", 65535, &dev->busnum, err)) != 0 ||
	    (rc = attr_uint(d, "devnum", 65535, &dev->devnum, err)) != 0 ||
	    (rc = attr_text(d, "product", dev->product_name,
	    sizeof(dev->product_name), err)) != 0 ||
	    (rc = attr_text(d, "serial", dev->serial, sizeof(dev->serial),
	    err)) != 0)
		return rc;
	dev->bus = HW_BUS_USB;
	sk_strlcpy(dev->addr, name, sizeof(dev->addr));
	dev->vendor = (uint16_t)v;
	dev->product = (uint16_t)p;
	dev->cls = (uint8_t)c;
	dev->sub = (uint8_t)s;
	dev->proto = (uint8_t)pr;
	if ((rc = read_usbifs(d, name, dev, err)) != 0)
		return rc;
	return scan_below(d, name, 0, dev, err);
}

/* ---- buses ---- */

struct reader {
	const struct hw_table *tab;
	struct hw_inventory *inv;
	size_t cap;
	struct sk_error *err;
};

static int
grow(struct reader *r, const char *path)
{
	struct hw_device *n;
	size_t cap;

	if (r->inv->n < r->cap)
		return 0;
	cap = r->cap ? r->cap * 2 : 32;
	if ((n = realloc(r->inv->dev, cap * sizeof(*n))) == NULL)
		return sk_errorf(r->err, ENOMEM, "%s: out of memory", path);
	r->inv->dev = n;
	r->cap = cap;
	return 0;
}

/* 1 if the entry is a device of this bus, 0 to skip it, or -EINVAL. */
static int
wanted(enum hw_bus bus, const struct sysdir *d, const char *name,
    struct sk_error *err)
{
	if (bus == HW_BUS_PCI && is_pci_name(name))
		return 1;
	if (bus == HW_BUS_USB && is_usb_device_name(name))
		return 1;
	if (bus == HW_BUS_USB && (is_usb_root_hub_name(name) || strchr(name, ':')))
		return 0;	/* root hubs and interfaces */
	return sk_errorf(err, EINVAL, "%s/%s: not a %s device name", d->path,
	    name, hw_bus_name(bus));
}

static int
read_one(struct reader *r, enum hw_bus bus, const struct sysdir *busdir,
    const char *name, size_t *count)
{
	struct sysdir d;
	struct hw_device *dev;
	int rc;

	if ((rc = wanted(bus, busdir, name, r->err)) <= 0)
		return rc;
	if (++*count > HW_MAX_DEVICES)
		return sk_errorf(r->err, E2BIG, "%s: more than %d devices",
		    busdir->path, HW_MAX_DEVICES);
	if ((rc = grow(r, busdir->path)) != 0 ||
	    (rc = sysdir_open(&d, busdir, name, 1, r->err)) != 0)
		return rc;
	dev = &r->inv->dev[r->inv->n];
	memset(dev, 0, sizeof(*dev));
	rc = bus == HW_BUS_PCI ? read_pci(&d, name, dev, r->err) :
	    read_usb(&d, name, dev, r->err);
	sysdir_close(&d);
	if (rc == 0) {
		hw_classify(dev, r->tab);
		r->inv->n++;
	}
	return rc;
}

/* ROOT/sys/bus/BUS/devices; absent means no such bus on this machine. */
static int
read_bus(struct reader *r, const struct sysdir *sysbus, enum hw_bus bus)
{
	struct sysdir b, d;
	struct dirent *e;
	size_t count = 0;
	DIR *dir;
	int rc;

	if (faccessat(sysbus->fd, bus == HW_BUS_PCI ? "pci" : "usb", F_OK, 0) != 0 &&
	    errno == ENOENT)
		return 0;
	if ((rc = sysdir_open(&b, sysbus, hw_bus_name(bus), 1, r->err)) != 0)
		return rc;
	rc = sysdir_open(&d, &b, "devices", 1, r->err);
	sysdir_close(&b);
	if (rc != 0)
		return rc;
	if ((dir = fdopendir(d.fd)) == NULL) {
		rc = sk_errorf(r->err, errno, "%s: %s", d.path, strerror(errno));
		sysdir_close(&d);
		return rc;
	}
	while (rc == 0 && (e = readdir(dir)) != NULL)
		if (e->d_name[0] != '.')
			rc = read_one(r, bus, &d, e->d_name, &count);
	closedir(dir);
	return rc;
}

int
hw_inventory_read(const char *root, const struct hw_table *tab,
    struct hw_inventory *out, struct sk_error *err)
{
	struct hw_inventory inv = { NULL, 0 };
	struct reader r = { tab, &inv, 0, err };
	struct sysdir sysbus;
	char path[PATH_MAX];
	int rc, n;

	n = snprintf(path, sizeof(path), "%s%ssys/bus", root,
	    root[0] != '\0' && root[strlen(root) - 1] == '/' ? "" : "/");
	if (n < 0 || (size_t)n >= sizeof(path))
		return sk_errorf(err, ENAMETOOLONG, "%s: path too long", root);
	if ((rc = sysdir_open(&sysbus, NULL, path, 1, err)) != 0)
		return rc;
	rc = read_bus(&r, &sysbus, HW_BUS_PCI);
	if (rc == 0)
		rc = read_bus(&r, &sysbus, HW_BUS_USB);
	sysdir_close(&sysbus);
	if (rc != 0) {
		free(inv.dev);
		return rc;
	}
	hw_inventory_sort(&inv);
	*out = inv;
	return 0;
}

void
hw_inventory_free(struct hw_inventory *inv)
{
	free(inv->dev);
	inv->dev = NULL;
	inv->n = 0;
}

/* ---- order ---- */

/* Compares "1-3.10" and "1-3.2" as numbers, part by part. */
static int
cmp_usb_addr(const char *a, const char *b)
{
	unsigned long x, y;
	char *ea, *eb;

	for (;;) {
		x = strtoul(a, &ea, 10);
		y = strtoul(b, &eb, 10);
		if (x != y)
			return x < y ? -1 : 1;
		if (*ea == '\0' || *eb == '\0')
			return (*ea != '\0') - (*eb != '\0');
		a = ea + 1;
		b = eb + 1;
	}
}

static int
cmp_device(const void *pa, const void *pb)
{
	const struct hw_device *a = pa, *b = pb;

	if (a->bus != b->bus)
		return a->bus == HW_BUS_PCI ? -1 : 1;
	if (a->bus == HW_BUS_PCI)
		return strcmp(a->addr, b->addr);
	return cmp_usb_addr(a->addr, b->addr);
}

void
hw_inventory_sort(struct hw_inventory *inv)
{
	if (inv->n > 1)
		qsort(inv->dev, inv->n, sizeof(inv->dev[0]), cmp_device);
}
