/* The two domain configurations, as xl config text, from the plan and the
 * domains file (docs/hw.md, "Domain configurations"):
 *
 *	version 1
 *	netvm type pv
 *	netvm kernel /var/lib/sekisho/netvm/vmlinuz
 *	netvm ramdisk /var/lib/sekisho/netvm/initrd.img
 *	netvm cmdline console=hvc0
 *	netvm memory 512
 *	work memory 4096
 *	work disk /dev/sekisho/work
 *	work mac 00:16:3e:5e:00:02
 *
 * netvm: a PV or PVH driver domain with every network device of the plan
 * (PCI passthrough, USB passthrough for USB modems). work: an HVM domain
 * whose only network device is a PV vif with its backend in the netvm and
 * no emulated NIC, and which gets the plan's work devices by USB
 * passthrough.
 *
 * Only for machines without passthrough (the Xen test under QEMU):
 *	netvm lab-uplink /etc/sekisho/vif-uplink	a PV uplink from dom0
 *	work type pv					a Linux PV guest for
 *	work kernel / ramdisk / cmdline			Windows
 */
#ifndef SK_HW_XLCFG_H
#define SK_HW_XLCFG_H

#include <stddef.h>

#include "hw/sekisho-partition/plan.h"
#include "lib/buf.h"
#include "lib/util.h"

#define XL_MAX_SIZE	(64u << 10)
#define XL_PATH_MAX	256
#define XL_USB_PORTS_MAX 15
#define XL_NETVM_NAME	"netvm"		/* the domains' names */
#define XL_WORK_NAME	"work"

enum xl_type { XL_TYPE_PV, XL_TYPE_PVH };
/* work: HVM (Windows) on a laptop; PV only where a Linux guest stands in
 * for Windows (the Xen test under QEMU, which has no HVM). */
enum xl_work_type { XL_WORK_HVM, XL_WORK_PV };
enum xl_bios { XL_BIOS_OVMF, XL_BIOS_SEABIOS };
enum xl_display { XL_DISPLAY_SDL, XL_DISPLAY_VNC, XL_DISPLAY_NONE };

struct xl_conf {
	/* netvm */
	enum xl_type netvm_type;
	char netvm_kernel[XL_PATH_MAX];
	char netvm_ramdisk[XL_PATH_MAX];	/* "" if none */
	char netvm_cmdline[XL_PATH_MAX];	/* "" if none */
	unsigned int netvm_memory, netvm_vcpus;	/* MiB */
	char netvm_lab_uplink[XL_PATH_MAX];	/* "" if none, see below */
	/* work */
	enum xl_work_type work_type;
	unsigned int work_memory, work_vcpus;
	char work_kernel[XL_PATH_MAX];		/* pv only */
	char work_ramdisk[XL_PATH_MAX];		/* pv only, "" if none */
	char work_cmdline[XL_PATH_MAX];		/* pv only, "" if none */
	char work_disk[XL_PATH_MAX];		/* required for hvm */
	char work_mac[18];			/* "" if none: xl picks one */
	char work_vif_script[XL_PATH_MAX];	/* "" if none */
	char work_bridge[16];			/* "" if none */
	char work_vifname[16];			/* "" if none: vifD.N */
	enum xl_bios work_bios;
	enum xl_display work_display;
};

/* The domains file: 0, or -errno with one "FILE:LINE: what" line in err
 * and *out untouched. */
int xl_conf_parse_buf(const char *name, const char *buf, size_t len,
    struct xl_conf *out, struct sk_error *err);
int xl_conf_parse_file(const char *path, struct xl_conf *out,
    struct sk_error *err);

/* xl config text for each domain. 0, or -EINVAL with one line in err
 * (a PVH netvm given PCI devices, more USB devices than ports). */
int xl_netvm_cfg(const struct xl_conf *c, const struct hw_plan *p,
    struct buf *out, struct sk_error *err);
int xl_work_cfg(const struct xl_conf *c, const struct hw_plan *p,
    struct buf *out, struct sk_error *err);

/* The checks behind both forms of a configuration (this text and the libxl
 * structures of hw/sekisho-partition/xldom.h): 0, or -EINVAL with one line in err. */
int xl_netvm_check(const struct xl_conf *c, const struct hw_plan *p,
    struct sk_error *err);
int xl_work_check(const struct xl_conf *c, const struct hw_plan *p,
    struct sk_error *err);
int xl_work_pv_check(const struct hw_plan *p, struct sk_error *err);

#endif
