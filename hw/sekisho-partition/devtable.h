/* The table of known vendor:product ids: the built-in one (hw/sekisho-partition/devtable.c)
 * and the devices file that extends it (docs/hw.md, "The devices file"):
 *
 *	version 1
 *	usb 054c:06c3 nfc Sony RC-S380/P
 *	usb 27c6:* fingerprint Goodix fingerprint sensor
 *	pci 8086:7360 wwan Intel XMM7360 LTE modem
 *
 * An id names what a device is; it can never make a network-capable device
 * anything else (hw/sekisho-partition/classify.c checks the hardware first). */
#ifndef SK_HW_DEVTABLE_H
#define SK_HW_DEVTABLE_H

#include <stddef.h>
#include <stdint.h>

#include "hw/sekisho-partition/inventory.h"
#include "lib/buf.h"
#include "lib/util.h"

#define HW_TABLE_MAX_SIZE	(1u << 20)	/* bytes in a devices file */
#define HW_TABLE_MAX_ENTRIES	4096

struct hw_id {
	enum hw_bus bus;
	uint16_t vendor, product;
	uint16_t mask;			/* of product: 0xffff exact, 0 any */
	enum hw_kind kind;
	char name[HW_NAME_MAX];
	unsigned int line;		/* in the devices file; 0 built in */
};

struct hw_table {
	struct hw_id *ids;		/* heap: the devices file */
	size_t n;
	char file[256];			/* its name, for reasons */
};

/* 0 and *out filled, or -errno with one "FILE:LINE: what" line in err and
 * *out untouched. -EINVAL for content, -EFBIG above HW_TABLE_MAX_SIZE. */
int hw_table_parse_buf(const char *name, const char *buf, size_t len,
    struct hw_table *out, struct sk_error *err);
int hw_table_parse_file(const char *path, struct hw_table *out,
    struct sk_error *err);
void hw_table_free(struct hw_table *t);

/* The most specific match: the devices file before the built-in table,
 * an exact product before a masked one. NULL when the id is unknown.
 * tab may be NULL. */
const struct hw_id *hw_table_lookup(const struct hw_table *tab,
    enum hw_bus bus, uint16_t vendor, uint16_t product);

/* The built-in table. */
const struct hw_id *hw_table_builtin(size_t *n);

/* Writes entries in the devices file syntax (with "version 1" first when
 * header is set); parsing the output gives the same entries. */
void hw_table_print(struct buf *b, const struct hw_id *ids, size_t n,
    int header);

#endif
