/* The partition builder's operations on a real Xen host (hw/sekisho-partition/builder.h's
 * struct xen_ops): libxl for the domains, libxenstore for the netvm's
 * readiness key. Nothing else in hw/ talks to Xen. */
#ifndef SK_HW_XENCTL_H
#define SK_HW_XENCTL_H

#include <stddef.h>
#include <stdint.h>

#include "hw/sekisho-partition/builder.h"

struct xenctl;

extern const struct xen_ops xenctl_ops;

/* NULL with one line in err when libxl or xenstore cannot be opened (not
 * dom0, no toolstack). verbose: libxl's debug log on stderr. */
struct xenctl *xenctl_open(int verbose, struct sk_error *err);
void xenctl_close(struct xenctl *x);

/* The USB devices passed to a domain now (usb-attach), as bus << 8 | addr:
 * 0 with *n, or -errno with err. */
int xenctl_usb_list(struct xenctl *x, uint32_t domid, uint16_t *have,
    size_t max, size_t *n, struct sk_error *err);
/* Passes the host device at (bus, addr) to the domain, on a free port of
 * its controller (libxl makes one when it has none): 0 or -EIO + err. */
int xenctl_usb_add(struct xenctl *x, uint32_t domid, uint16_t bus_addr,
    struct sk_error *err);
/* Takes the device libxl lists at (bus, addr) away from the domain. */
int xenctl_usb_remove(struct xenctl *x, uint32_t domid, uint16_t bus_addr,
    struct sk_error *err);

#endif
