/* The partition builder's operations on a real Xen host (hw/sekisho-partition/builder.h's
 * struct xen_ops): libxl for the domains, libxenstore for the netvm's
 * readiness key. Nothing else in hw/ talks to Xen. */
#ifndef SK_HW_XENCTL_H
#define SK_HW_XENCTL_H

#include "hw/sekisho-partition/builder.h"

struct xenctl;

extern const struct xen_ops xenctl_ops;

/* NULL with one line in err when libxl or xenstore cannot be opened (not
 * dom0, no toolstack). verbose: libxl's debug log on stderr. */
struct xenctl *xenctl_open(int verbose, struct sk_error *err);
void xenctl_close(struct xenctl *x);


#endif
