/* The classification rules: what a device read from sysfs is, and whether
 * it can carry network traffic (docs/hw.md, "What is detected"). Pure: no
 * I/O, so every rule is unit-tested on plain structs. */
#ifndef SK_HW_CLASSIFY_H
#define SK_HW_CLASSIFY_H

#include "hw/sekisho-partition/devtable.h"
#include "hw/sekisho-partition/inventory.h"

/* Fills d->kind, d->network, d->table_match, d->name and d->why from the
 * hardware facts in d and the id table (tab may be NULL: built-in ids).
 * Network capability is decided from the hardware first; the table can
 * name a device or make it network-capable, never the reverse. */
void hw_classify(struct hw_device *d, const struct hw_table *tab);

#endif
