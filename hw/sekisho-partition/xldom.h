/* The two domain configurations as libxl builds them (libxl_domain_config),
 * from the plan and the domains file: the same rules as the xl text of
 * hw/sekisho-partition/xlcfg.h (both run xl_netvm_check / xl_work_check first), in the form
 * `sekisho-partition up` hands to libxl_domain_create_new().
 *
 *  netvm: PV or PVH, driver_domain, the plan's network devices (PCI, and
 *         USB behind a qusb controller); no NIC of its own, except the lab
 *         uplink of a machine without passthrough.
 *  work:  HVM (PV where a Linux guest stands in for Windows); one NIC, a
 *         PV vif (nictype "vif": no emulated NIC beside it) whose backend
 *         is the netvm; no PCI device; the plan's work devices by USB
 *         passthrough (a devicemodel controller).
 *
 * Building needs no hypervisor: the result can be printed as JSON
 * (xl_domain_json) on any machine, which is how the tests check it. */
#ifndef SK_HW_XLDOM_H
#define SK_HW_XLDOM_H

#include <libxl.h>

#include "hw/sekisho-partition/plan.h"
#include "hw/sekisho-partition/xlcfg.h"
#include "lib/util.h"

/* Fills *out (initialised here; release with libxl_domain_config_dispose
 * whatever the result). 0, or -EINVAL / -ENOMEM with one line in err. */
int xl_netvm_domain(const struct xl_conf *c, const struct hw_plan *p,
    libxl_domain_config *out, struct sk_error *err);
int xl_work_domain(const struct xl_conf *c, const struct hw_plan *p,
    libxl_domain_config *out, struct sk_error *err);

/* libxl's JSON of d (heap, the caller frees), or NULL. */
char *xl_domain_json(libxl_domain_config *d);

#endif
