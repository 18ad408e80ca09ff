/* Work's USB devices by identity, not by bus and address (docs/hw.md, "USB
 * devices that follow the device").
 *
 * xl and libxl pass a USB device by hostbus/hostaddr, which the kernel hands
 * out anew on every plug: a re-plugged card reader gets another address, a
 * reader on another controller another bus. The work USB file records each
 * device work is meant to have by what stays the same:
 *
 *	version 1
 *	work usb 076b:3031 serial 0123456789	# vendor:product + serial
 *	work usb 058f:9540 port 1-3		# no usable serial: the port
 *
 * A device with a serial (one word of printable ASCII) is named by vendor,
 * product and serial, wherever it is plugged; one without, by the chain of
 * physical ports it hangs from (sysfs's name, "1-2.3"), so two identical
 * readers without serials are told apart by where they are plugged.
 *
 * At apply time (`config`, `up`, `usb-attach`) the plan is made from sysfs
 * as always, then hw_usbpass_apply() keeps in work only the USB devices an
 * entry names: the rest go back to dom0. It never moves a device anywhere
 * but to dom0: an entry that names a device the rules give the netvm (or
 * dom0) is a note, the device stays where it was; a device two entries or
 * one entry and another device share goes to nobody (dom0). The bus and
 * address given to Xen are the ones sysfs shows now. */
#ifndef SK_HW_USBPASS_H
#define SK_HW_USBPASS_H

#include <stddef.h>
#include <stdint.h>

#include "hw/sekisho-partition/inventory.h"
#include "hw/sekisho-partition/plan.h"
#include "lib/buf.h"
#include "lib/util.h"

#define HW_USBPASS_MAX_SIZE	(64u << 10)
#define HW_USBPASS_MAX		64	/* entries */
#define HW_PORT_DEPTH_MAX	7	/* a root port and six hub tiers */

enum hw_usbid_by { HW_USBID_SERIAL, HW_USBID_PORT };

struct hw_usbid {
	uint16_t vendor, product;
	enum hw_usbid_by by;
	char serial[HW_NAME_MAX];	/* HW_USBID_SERIAL */
	char port[HW_ADDR_MAX];		/* HW_USBID_PORT: "1-2.3" */
	unsigned int line;		/* in the file; 0 when made */
};

struct hw_usbpass {
	struct hw_usbid *id;
	size_t n;
	char file[256];
};

/* 0, or -errno with one "FILE:LINE: what" line in err and *out untouched. */
int hw_usbpass_parse_buf(const char *name, const char *buf, size_t len,
    struct hw_usbpass *out, struct sk_error *err);
int hw_usbpass_parse_file(const char *path, struct hw_usbpass *out,
    struct sk_error *err);
void hw_usbpass_free(struct hw_usbpass *up);
/* In the file's syntax, "version 1" first, a comment naming each device
 * when inv is given; parses back to the same entries. */
void hw_usbpass_print(struct buf *b, const struct hw_usbpass *up,
    const struct hw_inventory *inv);

/* The identity of a USB device: by serial when it has a usable one (one
 * word of printable ASCII, no '#', no '?' that sanitising may have put in
 * place of another byte), else by port path. */
void hw_usbid_of(const struct hw_device *d, struct hw_usbid *id);
int hw_usbid_matches(const struct hw_usbid *id, const struct hw_device *d);
/* "076b:3031 serial 0123" or "058f:9540 port 1-3". */
const char *hw_usbid_str(const struct hw_usbid *id, char *buf, size_t size);

/* The file for a plan: one entry per USB device the plan gives work.
 * 0, or -ENOMEM / -EINVAL (two of work's devices with one identity: they
 * cannot be told apart, and the file would be refused) with err. */
int hw_usbpass_from_plan(const struct hw_plan *p, struct hw_usbpass *out,
    struct sk_error *err);

/* Keeps in work only the USB devices an entry names (see above); reasons
 * and notes say which line decided. 0, or -ENOMEM. */
int hw_usbpass_apply(struct hw_plan *p, const struct hw_usbpass *up,
    struct sk_error *err);

/* What usb-attach must do to make the work domain's USB devices those of
 * the plan: have[] are the (bus, addr) pairs attached now; every pair of
 * have[] that is not a work USB device of p is removed (unplugged, or an
 * address the kernel gave to another device), every work USB device of p
 * not in have[] is added. Pairs are bus << 8 | addr. */
struct hw_usbsync {
	uint16_t del[HW_USBPASS_MAX * 2], add[HW_USBPASS_MAX];
	size_t n_del, n_add;
	size_t add_dev[HW_USBPASS_MAX];	/* inventory index of add[i] */
};
int hw_usbpass_sync(const struct hw_plan *p, const uint16_t *have,
    size_t n_have, struct hw_usbsync *out, struct sk_error *err);

#endif
