/* Output of the inventory and the plan: a table for people, JSON for
 * programs (docs/hw.md, "Output"). Into a struct buf, so that tests can
 * compare the text; the caller checks buf_str() for an allocation failure. */
#ifndef SK_HW_RENDER_H
#define SK_HW_RENDER_H

#include "hw/sekisho-partition/inventory.h"
#include "hw/sekisho-partition/plan.h"
#include "lib/buf.h"

#define HW_JSON_VERSION 1

void hw_render_inventory(struct buf *b, const struct hw_inventory *inv);
void hw_render_inventory_json(struct buf *b, const struct hw_inventory *inv);
void hw_render_plan(struct buf *b, const struct hw_plan *p);
void hw_render_plan_json(struct buf *b, const struct hw_plan *p);

#endif
