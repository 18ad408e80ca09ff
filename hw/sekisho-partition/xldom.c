/* libxl_domain_config of the netvm and the work domain (see hw/sekisho-partition/xldom.h).
 * The checks are xlcfg.c's, so the text `config` prints and what `up`
 * builds cannot disagree on what is allowed. */
#include "hw/sekisho-partition/xldom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* strdup that cannot fail silently: NULL stays NULL, "" becomes NULL. */
static int
dup_str(char **dst, const char *s)
{
	*dst = NULL;
	if (s == NULL || s[0] == '\0')
		return 0;
	return (*dst = strdup(s)) == NULL ? -ENOMEM : 0;
}

static size_t
count(const struct hw_plan *p, enum hw_domain dom, enum hw_via via)
{
	size_t i, n = 0;

	for (i = 0; i < p->n; i++)
		n += p->a[i].dom == dom && p->a[i].via == via;
	return n;
}

static void
common(libxl_domain_config *d, libxl_domain_type type, unsigned int mib,
    unsigned int vcpus)
{
	libxl_domain_config_init(d);
	d->c_info.type = type;
	libxl_domain_build_info_init_type(&d->b_info, type);
	d->b_info.max_memkb = d->b_info.target_memkb = (uint64_t)mib * 1024;
	d->b_info.max_vcpus = (int)vcpus;
}

static int
boot(libxl_domain_config *d, const char *kernel, const char *ramdisk,
    const char *cmdline)
{
	int rc;

	if ((rc = dup_str(&d->b_info.kernel, kernel)) != 0 ||
	    (rc = dup_str(&d->b_info.ramdisk, ramdisk)) != 0)
		return rc;
	return dup_str(&d->b_info.cmdline, cmdline);
}

/* "0000:00:14.3" (the inventory normalises PCI addresses). */
static int
parse_bdf(const char *s, libxl_device_pci *pci)
{
	unsigned int dom, bus, dev, fn;
	char end;

	if (sscanf(s, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &end) != 4 ||
	    dev > 0x1f || fn > 7)
		return -EINVAL;
	pci->domain = (int)dom;
	pci->bus = (uint8_t)bus;
	pci->dev = (uint8_t)dev;
	pci->func = (uint8_t)fn;
	return 0;
}

static int
pci_devices(libxl_domain_config *d, const struct hw_plan *p,
    struct sk_error *err)
{
	size_t i, n = count(p, HW_DOM_NETVM, HW_VIA_PCI);
	const char *addr;

	if (n == 0)
		return 0;
	if ((d->pcidevs = calloc(n, sizeof(*d->pcidevs))) == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	for (i = 0; i < p->n; i++) {
		if (p->a[i].dom != HW_DOM_NETVM || p->a[i].via != HW_VIA_PCI)
			continue;
		addr = p->inv->dev[p->a[i].dev].addr;
		libxl_device_pci_init(&d->pcidevs[d->num_pcidevs]);
		d->num_pcidevs++;
		if (parse_bdf(addr, &d->pcidevs[d->num_pcidevs - 1]) != 0)
			return sk_errorf(err, EINVAL, "netvm: PCI address %s is "
			    "not DDDD:BB:DD.F", addr);
	}
	return 0;
}

/* One controller with at least four ports and dom's USB devices on it. */
static int
usb_devices(libxl_domain_config *d, const struct hw_plan *p,
    enum hw_domain dom, libxl_usbctrl_type type, struct sk_error *err)
{
	const struct hw_device *dev;
	libxl_device_usbdev *u;
	size_t i, n = count(p, dom, HW_VIA_USB);

	if (n == 0)
		return 0;
	if ((d->usbctrls = calloc(1, sizeof(*d->usbctrls))) == NULL ||
	    (d->usbdevs = calloc(n, sizeof(*d->usbdevs))) == NULL)
		return sk_errorf(err, ENOMEM, "out of memory");
	libxl_device_usbctrl_init(&d->usbctrls[0]);
	d->num_usbctrls = 1;
	d->usbctrls[0].type = type;
	d->usbctrls[0].version = 2;
	d->usbctrls[0].ports = n < 4 ? 4 : (int)n;
	for (i = 0; i < p->n; i++) {
		if (p->a[i].dom != dom || p->a[i].via != HW_VIA_USB)
			continue;
		dev = &p->inv->dev[p->a[i].dev];
		if (dev->busnum > 255 || dev->devnum > 255)
			return sk_errorf(err, EINVAL, "%s: usb %s: bus %u address "
			    "%u out of range", hw_domain_name(dom), dev->addr,
			    dev->busnum, dev->devnum);
		u = &d->usbdevs[d->num_usbdevs++];
		libxl_device_usbdev_init_type(u, LIBXL_USBDEV_TYPE_HOSTDEV);
		u->u.hostdev.hostbus = (uint8_t)dev->busnum;
		u->u.hostdev.hostaddr = (uint8_t)dev->devnum;
	}
	return 0;
}

static libxl_device_nic *
add_nic(libxl_domain_config *d)
{
	libxl_device_nic *nic;

	if ((d->nics = calloc(1, sizeof(*d->nics))) == NULL)
		return NULL;
	nic = &d->nics[0];
	libxl_device_nic_init(nic);
	d->num_nics = 1;
	nic->devid = 0;
	nic->nictype = LIBXL_NIC_TYPE_VIF;	/* a PV NIC only, never emulated */
	return nic;
}

int
xl_netvm_domain(const struct xl_conf *c, const struct hw_plan *p,
    libxl_domain_config *d, struct sk_error *err)
{
	libxl_device_nic *nic;
	int rc;

	common(d, c->netvm_type == XL_TYPE_PV ? LIBXL_DOMAIN_TYPE_PV :
	    LIBXL_DOMAIN_TYPE_PVH, c->netvm_memory, c->netvm_vcpus);
	if ((rc = xl_netvm_check(c, p, err)) != 0)
		return rc;
	if (dup_str(&d->c_info.name, XL_NETVM_NAME) != 0 ||
	    boot(d, c->netvm_kernel, c->netvm_ramdisk, c->netvm_cmdline) != 0)
		return sk_errorf(err, ENOMEM, "out of memory");
	libxl_defbool_set(&d->c_info.driver_domain, true);
	if (c->netvm_lab_uplink[0] != '\0') {
		if ((nic = add_nic(d)) == NULL ||
		    dup_str(&nic->script, c->netvm_lab_uplink) != 0)
			return sk_errorf(err, ENOMEM, "out of memory");
	}
	if ((rc = pci_devices(d, p, err)) != 0)
		return rc;
	return usb_devices(d, p, HW_DOM_NETVM, LIBXL_USBCTRL_TYPE_QUSB, err);
}

/* "00:16:3e:5e:00:02", checked by the domains file parser. */
static void
parse_mac(const char *s, libxl_mac mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x", &b[0], &b[1], &b[2], &b[3],
	    &b[4], &b[5]) != 6)
		return;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
}

static int
work_nic(libxl_domain_config *d, const struct xl_conf *c)
{
	libxl_device_nic *nic;

	if ((nic = add_nic(d)) == NULL ||
	    dup_str(&nic->backend_domname, XL_NETVM_NAME) != 0 ||
	    dup_str(&nic->bridge, c->work_bridge) != 0 ||
	    dup_str(&nic->script, c->work_vif_script) != 0 ||
	    dup_str(&nic->ifname, c->work_vifname) != 0)
		return -ENOMEM;
	if (c->work_mac[0] != '\0')
		parse_mac(c->work_mac, nic->mac);
	return 0;
}

static int
work_disk(libxl_domain_config *d, const struct xl_conf *c)
{
	libxl_device_disk *disk;

	if (c->work_disk[0] == '\0')
		return 0;
	if ((d->disks = calloc(1, sizeof(*d->disks))) == NULL)
		return -ENOMEM;
	disk = &d->disks[0];
	libxl_device_disk_init(disk);
	d->num_disks = 1;
	disk->format = LIBXL_DISK_FORMAT_RAW;
	disk->readwrite = 1;
	if (dup_str(&disk->vdev, "xvda") != 0 ||
	    dup_str(&disk->pdev_path, c->work_disk) != 0)
		return -ENOMEM;
	return 0;
}

static int
work_hvm(libxl_domain_config *d, const struct xl_conf *c)
{
	d->b_info.u.hvm.bios = c->work_bios == XL_BIOS_OVMF ?
	    LIBXL_BIOS_TYPE_OVMF : LIBXL_BIOS_TYPE_SEABIOS;
	libxl_defbool_set(&d->b_info.u.hvm.viridian, true);
	libxl_defbool_set(&d->b_info.u.hvm.xen_platform_pci, true);
	libxl_defbool_set(&d->b_info.u.hvm.sdl.enable,
	    c->work_display == XL_DISPLAY_SDL);
	libxl_defbool_set(&d->b_info.u.hvm.vnc.enable,
	    c->work_display == XL_DISPLAY_VNC);
	if (c->work_display == XL_DISPLAY_VNC &&
	    dup_str(&d->b_info.u.hvm.vnc.listen, "127.0.0.1") != 0)
		return -ENOMEM;
	libxl_defbool_set(&d->b_info.u.hvm.nographic,
	    c->work_display == XL_DISPLAY_NONE);
	return 0;
}

int
xl_work_domain(const struct xl_conf *c, const struct hw_plan *p,
    libxl_domain_config *d, struct sk_error *err)
{
	int pv = c->work_type == XL_WORK_PV, rc;

	common(d, pv ? LIBXL_DOMAIN_TYPE_PV : LIBXL_DOMAIN_TYPE_HVM,
	    c->work_memory, c->work_vcpus);
	if ((rc = xl_work_check(c, p, err)) != 0)
		return rc;
	if (dup_str(&d->c_info.name, XL_WORK_NAME) != 0 ||
	    (pv && boot(d, c->work_kernel, c->work_ramdisk, c->work_cmdline) != 0) ||
	    (!pv && work_hvm(d, c) != 0) || work_disk(d, c) != 0 ||
	    work_nic(d, c) != 0)
		return sk_errorf(err, ENOMEM, "out of memory");
	/* Never a PCI device (the plan cannot give work one). */
	return pv ? 0 : usb_devices(d, p, HW_DOM_WORK,
	    LIBXL_USBCTRL_TYPE_DEVICEMODEL, err);
}

char *
xl_domain_json(libxl_domain_config *d)
{
	return libxl_domain_config_to_json(NULL, d);
}
