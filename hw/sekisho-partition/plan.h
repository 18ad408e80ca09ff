/* The partition plan: which domain gets each device of the inventory, how,
 * and why (docs/hw.md, "The rules").
 *
 *  - network-capable           -> netvm (PCI passthrough, or USB for USB)
 *  - card reader, NFC reader,
 *    fingerprint sensor, camera -> work (USB passthrough), when nothing
 *                                  about the device could give work a
 *                                  network path or hide one
 *  - everything else           -> stays with dom0; unknown devices and
 *                                  devices held back are reported
 *
 * Overrides (the overrides file) move a device to another domain, except
 * that nothing network-capable and no PCI device ever goes to work: such an
 * override is refused, with its file and line. */
#ifndef SK_HW_PLAN_H
#define SK_HW_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "hw/sekisho-partition/inventory.h"
#include "lib/buf.h"
#include "lib/util.h"

#define HW_REASON_MAX		384
#define HW_OVERRIDES_MAX_SIZE	(1u << 20)
#define HW_OVERRIDES_MAX	4096

enum hw_domain { HW_DOM_DOM0, HW_DOM_NETVM, HW_DOM_WORK, HW_DOM_COUNT };

enum hw_via { HW_VIA_NONE, HW_VIA_PCI, HW_VIA_USB };

/* "assign 0000:00:1f.6 dom0" (PCI, by address) or "assign 054c:06c3 work"
 * (USB, every device with that id). */
struct hw_override {
	enum hw_bus bus;
	char addr[HW_ADDR_MAX];		/* PCI, normalised with its domain */
	uint16_t vendor, product;	/* USB */
	enum hw_domain dom;
	unsigned int line;
};

struct hw_overrides {
	struct hw_override *o;
	size_t n;
	char file[256];
};

struct hw_assign {
	size_t dev;			/* index in the inventory */
	enum hw_domain dom;
	enum hw_via via;
	int unknown;			/* the rules do not know it */
	int held;			/* a work device kept back by a safety rule */
	unsigned int override_line;	/* 0: by the rules */
	char reason[HW_REASON_MAX];
};

struct hw_plan {
	const struct hw_inventory *inv;
	const char *overrides_file;	/* ov->file, or NULL */
	struct hw_assign *a;		/* one per device, inventory order */
	size_t n;
	size_t n_unknown, n_held;
	char (*notes)[HW_REASON_MAX];	/* e.g. overrides that match nothing */
	size_t n_notes;
};

/* Overrides file parser: 0, or -errno with one "FILE:LINE: what" line in
 * err and *out untouched. */
int hw_overrides_parse_buf(const char *name, const char *buf, size_t len,
    struct hw_overrides *out, struct sk_error *err);
int hw_overrides_parse_file(const char *path, struct hw_overrides *out,
    struct sk_error *err);
void hw_overrides_free(struct hw_overrides *ov);
/* In the file's syntax, "version 1" first; parses back to the same. */
void hw_overrides_print(struct buf *b, const struct hw_overrides *ov);

/* The plan for inv (which must outlive it); ov may be NULL. 0, or -EINVAL
 * with "FILE:LINE: refused: ..." when an override breaks a rule, or
 * -ENOMEM. */
int hw_plan_make(const struct hw_inventory *inv, const struct hw_overrides *ov,
    struct hw_plan *out, struct sk_error *err);
void hw_plan_free(struct hw_plan *p);

/* Adds a note to the plan: 0, or -ENOMEM. */
int hw_plan_note(struct hw_plan *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The rule for one device, without overrides (unit tests, reasons). */
void hw_plan_rule(const struct hw_device *d, struct hw_assign *a);

const char *hw_domain_name(enum hw_domain dom);
int hw_domain_parse(const char *s, size_t len, enum hw_domain *out);
const char *hw_via_name(enum hw_via via);

#endif
